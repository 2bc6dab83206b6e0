//! One run of xlboot: from the options to the reply, in pygrub's order, split between a
//! privileged parent and a sandboxed child (see [`crate::sandbox`]).
//!
//! Parent, before any guest byte is read:
//! 1. open the reply file (`--output`);
//! 2. open the disk (or read the `--isconfig` file);
//! 3. make the output directory and create the kernel and initrd copies in it, empty,
//!    mode 0600 (not for `-n` or `-l`, which copy nothing).
//!
//! Child, confined: find the volumes and filesystems, evaluate the config on the first
//! volume that has one, choose the entry, copy kernel and initrds into the copies, and
//! send the decision back. Parent: with `--update-grubenv`, rewrite the guest's GRUB
//! environment block as the child computed it (see [`crate::grubenv_write`]); write the
//! reply, or on any failure remove the copies. Every failure ends with one line on
//! stderr and exit status 1.
//!
//! An environment block that cannot be updated does not stop the boot: GRUB itself
//! boots when its `save_env` fails (and Debian's script skips `save_env` on LVM, RAID
//! and Btrfs altogether), so xlboot boots too and prints one warning. A `grub-reboot`
//! entry is then booted again next time, as with pygrub or without the option.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use xlboot_boot::config_search::ConfigKind;
use xlboot_boot::decide::{self, Choice};
use xlboot_boot::{Decider, Guest};
use xlboot_config::bls::loader_conf::LoaderConf;
use xlboot_config::FilePath;

use crate::cli::Options;
use crate::copy::{self, CopyError};
use crate::diag::{self, Diag};
use crate::image::{open_guest_disk, GuestDisk, OpenPolicy};
use crate::kernel_check;
use crate::menu::console::Console;
use crate::outcome::{EnvPatch, Outcome, Ramdisk, MAX_ENV_PATCHES};
use crate::output::{self, OutputFiles, ReplySink};
use crate::reply::Reply;
use crate::sandbox::{self, ChildFailure, Policy};

/// The longest command line a PV guest accepts: Xen's `MAX_GUEST_CMDLINE` is 1024
/// bytes including the terminating NUL.
pub const MAX_CMDLINE: usize = 1023;

/// How a run failed.
#[derive(Debug)]
pub enum Failure {
    /// The one line to print.
    Message(String),
    /// The sandboxed child already printed its line.
    Reported,
}

impl From<String> for Failure {
    fn from(m: String) -> Self {
        Failure::Message(m)
    }
}

/// The copies the child writes into, created by the parent.
struct Copies {
    kernel: File,
    ramdisk: File,
}

/// Runs xlboot with parsed options.
pub fn run(opts: &Options) -> Result<(), Failure> {
    let diag = Diag::new(opts.debug);
    let sink = ReplySink::open(opts.output.as_deref()).map_err(|e| {
        let name = opts.output.as_ref().map(|p| p.display().to_string());
        format!(
            "cannot open the output file {}: {e}",
            name.unwrap_or_else(|| "-".into())
        )
    })?;
    let (uid, gid) = Policy::user(opts.runas);
    diag.debug(format_args!(
        "sandbox: the guest is read as uid {uid} gid {gid} ({})",
        match opts.runas {
            Some(_) => "--runas",
            None if uid == sandbox::NOBODY => "no xlboot system user",
            None => "the xlboot system user",
        }
    ));
    let policy = Policy {
        uid,
        gid,
        max_file_size: opts.budgets.max_kernel.max(opts.budgets.max_initrd),
        max_memory: sandbox::DEFAULT_MAX_MEMORY,
        timeout: opts.budgets.timeout,
        menu_time: opts.budgets.menu_timeout,
        strictness: opts.sandbox,
        empty_root: sandbox::EMPTY_ROOT.into(),
    };

    // The menu, when asked for and there is a terminal to show it on (the terminal is
    // in raw mode while `console` lives, and restored however the run ends).
    let console = if opts.interactive && !opts.list_entries && opts.kernel.is_none() {
        Console::open()?
    } else {
        None
    };
    if opts.interactive && console.is_none() {
        diag.debug(format_args!(
            "no menu: stdin and stdout (or stderr) are not a terminal, or -l/--kernel; the default boots"
        ));
    }
    let menu_io = console.as_ref().map(|c| MenuIo {
        beat: c.beat_writer.as_fd(),
        on_stderr: c.on_stderr,
        forever: opts.menu_wait,
        time_limit: opts.budgets.menu_timeout,
    });
    let heartbeat = console.as_ref().map(|c| c.beats.as_fd());
    let beat_fd: Vec<BorrowedFd<'_>> = menu_io.iter().map(|m| m.beat).collect();

    if opts.isconfig {
        // Read on the host before the sandbox closes the filesystem: a GRUB 2 config
        // file, or a directory of Boot Loader Specification entries.
        let source = is_config_source(&opts.image)?;
        let message = sandbox::run_confined(&policy, &beat_fd, heartbeat, &diag, || {
            isconfig(&source, opts, menu_io.as_ref())
        })
        .map_err(child_failure)?;
        return match Outcome::decode(&message) {
            Some(Outcome::Printed) => Ok(()),
            _ => Err(Failure::Message(
                "the sandboxed child sent a malformed answer".into(),
            )),
        };
    }

    let (disk, extra) = open_disks(opts)?;
    diag.debug(format_args!(
        "disk {}: {}",
        diag::sanitize(&opts.image.display().to_string()),
        disk.describe()
    ));
    let mut files = OutputFiles::default();
    let mut created = None;
    if !opts.not_really && !opts.list_entries {
        // Made only when there is something to copy into it (not for `-n` or `-l`).
        let out_dir = output::output_directory(opts.output_directory.as_deref()).map_err(|e| {
            format!(
                "cannot create the output directory {}: {e}",
                output::DEFAULT_OUTPUT_DIRECTORY
            )
        })?;
        let (kernel, kernel_path) = files.create(&out_dir, "boot_kernel.").map_err(|e| {
            format!(
                "cannot create the kernel copy in {}: {e}",
                out_dir.display()
            )
        })?;
        let (ramdisk, ramdisk_path) = files.create(&out_dir, "boot_ramdisk.").map_err(|e| {
            format!(
                "cannot create the initrd copy in {}: {e}",
                out_dir.display()
            )
        })?;
        created = Some((Copies { kernel, ramdisk }, kernel_path, ramdisk_path));
    }

    let mut keep: Vec<_> = disk.fds().collect();
    keep.extend(extra.iter().flat_map(GuestDisk::fds));
    if let Some((copies, _, _)) = &created {
        keep.extend([copies.kernel.as_fd(), copies.ramdisk.as_fd()]);
    }
    keep.extend(beat_fd.iter().copied());
    let message = sandbox::run_confined(&policy, &keep, heartbeat, &diag, || {
        decide_and_copy(
            &disk,
            &extra,
            opts,
            created.as_ref().map(|(c, _, _)| c),
            menu_io.as_ref(),
            &diag,
        )
    })
    .map_err(child_failure)?;

    let (kernel, ramdisk, args, grubenv) = match Outcome::decode(&message) {
        Some(Outcome::Printed) => return Ok(()),
        Some(Outcome::Boot {
            kernel,
            ramdisk,
            args,
            grubenv,
        }) => (kernel, ramdisk, args, grubenv),
        Some(Outcome::Report { .. }) | None => {
            return Err(Failure::Message(
                "the sandboxed child sent a malformed answer".into(),
            ))
        }
    };
    if args.len() > MAX_CMDLINE {
        return Err(Failure::Message(
            "the sandboxed child sent an over-long command line".into(),
        ));
    }
    let reply = match (created, kernel, ramdisk) {
        (None, Some(kernel), Ramdisk::Named(r)) => Reply {
            kernel,
            ramdisk: Some(r),
            args,
        },
        (None, Some(kernel), Ramdisk::None) => Reply {
            kernel,
            ramdisk: None,
            args,
        },
        (Some((_, kernel_path, ramdisk_path)), None, Ramdisk::Copied) => Reply {
            kernel: kernel_path.display().to_string(),
            ramdisk: Some(ramdisk_path.display().to_string()),
            args,
        },
        (Some((_, kernel_path, ramdisk_path)), None, Ramdisk::None) => {
            files.remove(&ramdisk_path);
            Reply {
                kernel: kernel_path.display().to_string(),
                ramdisk: None,
                args,
            }
        }
        _ => {
            return Err(Failure::Message(
                "the sandboxed child sent an inconsistent answer".into(),
            ))
        }
    };
    let bytes = reply.render(opts.format).map_err(|e| e.0)?;
    if !grubenv.is_empty() {
        if !opts.update_grubenv || opts.not_really {
            return Err(Failure::Message(
                "the sandboxed child asked for a write that was not requested".into(),
            ));
        }
        let written = match disk.raw_file() {
            Some(file) => crate::grubenv_write::apply(&opts.image, file, &grubenv),
            None => Err("--update-grubenv writes only raw disks, not qcow2 or VHD images".into()),
        };
        match written {
            Ok(n) => diag.debug(format_args!("grubenv: {n} block(s) rewritten")),
            Err(m) => diag.say(format_args!(
                "warning: the guest's grubenv was not updated: {}",
                diag::sanitize(&m)
            )),
        }
    }
    sink.write(&bytes)
        .map_err(|e| format!("cannot write the reply: {e}"))?;
    files.keep();
    diag.debug(format_args!(
        "reply written to {}: kernel {}, ramdisk {}",
        opts.output
            .as_ref()
            .map_or("stdout".into(), |p| diag::sanitize(
                &p.display().to_string()
            )),
        diag::sanitize(&reply.kernel),
        reply
            .ramdisk
            .as_deref()
            .map_or("none".into(), diag::sanitize)
    ));
    Ok(())
}

/// Opens the guest's disk and each `--disk`, in the privileged parent.
pub fn open_disks(opts: &Options) -> Result<(GuestDisk, Vec<GuestDisk>), Failure> {
    let open_policy = OpenPolicy {
        format: opts.format_in,
        backing_dirs: opts.backing_dirs.clone(),
        budget: opts.budgets.max_read(),
    };
    let disk = open_guest_disk(&opts.image, &open_policy)?;
    // Further disks: raw unless they carry the qcow2 magic (--format is the first
    // disk's, as libxl's disk spec is per disk).
    let extra_policy = OpenPolicy {
        format: None,
        ..open_policy.clone()
    };
    let mut extra = Vec::new();
    for path in &opts.disks {
        extra.push(open_guest_disk(path, &extra_policy)?);
    }
    Ok((disk, extra))
}

fn child_failure(f: ChildFailure) -> Failure {
    match f {
        ChildFailure::Reported => Failure::Reported,
        ChildFailure::Other(m) => Failure::Message(m),
    }
}

/// What the child needs to show the menu.
struct MenuIo<'a> {
    /// Its end of the heartbeat pipe.
    beat: BorrowedFd<'a>,
    /// Draw on stderr (stdout is not a terminal).
    on_stderr: bool,
    /// `--menu-wait`.
    forever: crate::menu::ForeverWait,
    /// `--menu-timeout`.
    time_limit: Duration,
}

/// Shows the menu on the console and returns how it ended.
fn show_menu(
    menu: &xlboot_config::Menu,
    io: &MenuIo<'_>,
    files: &dyn crate::menu::GuestFiles,
    settings: crate::menu::Settings,
) -> Result<crate::menu::Ended, String> {
    let beat = || {
        let _ = nix::unistd::write(io.beat, &[1]);
    };
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let output = if io.on_stderr {
        stderr.as_fd()
    } else {
        stdout.as_fd()
    };
    let mut term = crate::menu::terminal::Terminal::new(stdin.as_fd(), output, &beat);
    crate::menu::run(menu, &mut term, files, &settings)
}

/// Most configs GRUB legacy's `password PASS FILE` may load in one run (each after
/// its password; a config may name itself).
const MAX_PASSWORD_CONFIGS: usize = 16;

/// The menu of `found` on the console, and then of each config a GRUB legacy
/// `password PASS FILE` loads, until something is chosen.
fn menu_choice(
    decider: &mut Decider<'_, '_>,
    found: &decide::FoundConfig,
    menu: xlboot_config::Menu,
    io: &MenuIo<'_>,
    files: &dyn crate::menu::GuestFiles,
) -> Result<Choice, xlboot_boot::BootError> {
    let request = |m: String| xlboot_boot::BootError::new(xlboot_boot::ErrorKind::Request, m);
    let (mut found, mut menu) = (found.clone(), menu);
    // One bound for all the menus shown.
    let ends = Instant::now() + io.time_limit;
    for _ in 0..=MAX_PASSWORD_CONFIGS {
        let settings = menu_settings(found.kind, &found.file, io, ends);
        match show_menu(&menu, io, files, settings).map_err(request)? {
            crate::menu::Ended::Boot(p) => return Ok(picked_choice(p)),
            crate::menu::Ended::LoadConfig(file) => {
                decider.notes.push(format!("password: loading {file}"));
                found = decide::FoundConfig {
                    file,
                    kind: ConfigKind::GrubLegacy,
                };
                menu = decider.evaluate(&found).map_err(|e| {
                    xlboot_boot::BootError::new(
                        e.kind,
                        format!("the config the password loads: {e}"),
                    )
                })?;
            }
        }
    }
    Err(request(format!(
        "passwords loaded more than {MAX_PASSWORD_CONFIGS} configs"
    )))
}

/// The menu's choice as the decision's.
fn picked_choice(p: crate::menu::Picked) -> Choice {
    Choice {
        title: p.title,
        spec: p.spec,
        path: p.path,
    }
}

/// The guest's files as the menu's command line sees them.
struct GuestFiles<'a, 'd>(&'a Guest<'d>);

/// Most names the menu's `ls` asks a directory for.
const MAX_LS: usize = 4096;

impl crate::menu::GuestFiles for GuestFiles<'_, '_> {
    fn devices(&self) -> Vec<String> {
        xlboot_config::ConfigHost::devices(self.0)
            .into_iter()
            .map(|d| d.name)
            .collect()
    }

    fn list(&self, dir: &FilePath) -> Result<Option<Vec<String>>, String> {
        xlboot_config::ConfigHost::list_dir(self.0, dir, MAX_LS).map_err(|e| e.0)
    }

    fn is_file(&self, file: &FilePath) -> Result<bool, String> {
        xlboot_config::ConfigHost::file_size(self.0, file)
            .map(|s| s.is_some())
            .map_err(|e| e.0)
    }
}

/// `--isconfig`'s files are on the host, which the sandboxed menu cannot read: the
/// paths typed are taken as they are, and `ls` says it cannot list.
struct HostFiles;

impl crate::menu::GuestFiles for HostFiles {
    fn devices(&self) -> Vec<String> {
        vec!["host".into()]
    }

    fn list(&self, _dir: &FilePath) -> Result<Option<Vec<String>>, String> {
        Err("ls lists a guest's disks; --isconfig reads none".into())
    }

    fn is_file(&self, _file: &FilePath) -> Result<bool, String> {
        Ok(true)
    }
}

/// The menu's title line, its default device and its kernel command for a config,
/// shown until `ends`.
fn menu_settings(
    kind: ConfigKind,
    file: &FilePath,
    io: &MenuIo<'_>,
    ends: Instant,
) -> crate::menu::Settings {
    crate::menu::Settings {
        forever: io.forever,
        config: format!("{}: {file}", kind.name()),
        device: file.device.clone(),
        kernel_word: if kind == ConfigKind::GrubLegacy {
            "kernel"
        } else {
            "linux"
        },
        ends,
    }
}

/// The child's work: decide, check or list, copy, and say what to reply.
fn decide_and_copy(
    disk: &GuestDisk,
    extra: &[GuestDisk],
    opts: &Options,
    copies: Option<&Copies>,
    menu_io: Option<&MenuIo<'_>>,
    diag: &Diag,
) -> Result<Vec<u8>, String> {
    let mut disks: Vec<&dyn xlboot_disk::BlockDevice> = vec![disk.view()];
    disks.extend(extra.iter().map(GuestDisk::view));
    let mut guest = Guest::open_disks(&disks, opts.offset)
        .map_err(|e| format!("{}: {e}", opts.image.display()))?;
    guest.set_path_limits(opts.limits.path);
    let mut decider = Decider::new(&guest);
    decider.config_limits = opts.limits.config.clone();
    let choice = if let (Some(kernel), false) = (&opts.kernel, opts.list_entries) {
        decider
            .given_kernel(kernel, opts.ramdisk.as_deref(), Some(opts.args.as_str()))
            .map(Some)
    } else {
        decider.find_config().and_then(|found| {
            let menu = decider.evaluate(&found)?;
            if opts.list_entries {
                let listing = crate::listing::render(&menu, &decider.found, Some(&found));
                print!("{listing}");
                return Ok(None);
            }
            match menu_io {
                Some(io) if opts.entry.is_none() => {
                    menu_choice(&mut decider, &found, menu, io, &GuestFiles(&guest)).map(Some)
                }
                _ => decide::choose(&menu, opts.entry.as_deref()).map(Some),
            }
        })
    };
    for note in &decider.notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    let Some(choice) = choice.map_err(|e| e.to_string())? else {
        return Ok(Outcome::Printed.encode());
    };
    // Only a real boot updates grubenv (not -n, -l or --kernel, as GRUB writes it only
    // when it boots an entry of its menu). A refusal is a warning: the guest boots.
    let grubenv = if opts.update_grubenv && copies.is_some() {
        match decider.grubenv_writes(&choice) {
            Ok(writes) if writes.len() > MAX_ENV_PATCHES => {
                diag.say(format_args!(
                    "warning: the guest's grubenv was not updated: more than {MAX_ENV_PATCHES} environment blocks"
                ));
                Vec::new()
            }
            Ok(writes) => writes
                .into_iter()
                .map(|w| {
                    diag.debug(format_args!(
                        "grubenv: {} at disk byte {} to be rewritten",
                        diag::sanitize(&w.file.to_string()),
                        w.disk_offset
                    ));
                    EnvPatch {
                        offset: w.disk_offset,
                        old: w.old,
                        new: w.new,
                    }
                })
                .collect(),
            Err(e) => {
                diag.say(format_args!(
                    "warning: the guest's grubenv was not updated: {}",
                    diag::sanitize(&e.to_string())
                ));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let args = checked_args(&choice, opts, opts.kernel.is_some())?;
    diag.debug(format_args!(
        "chose '{}': kernel {}, initrd {}, command line '{}'",
        diag::sanitize(&choice.title),
        diag::sanitize(&choice.spec.kernel.to_string()),
        if choice.spec.initrds.is_empty() {
            "none".to_string()
        } else {
            diag::sanitize(
                &choice
                    .spec
                    .initrds
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + "),
            )
        },
        diag::sanitize(&args)
    ));

    let outcome = match copies {
        None => {
            for f in std::iter::once(&choice.spec.kernel).chain(&choice.spec.initrds) {
                guest.find(f).map_err(|e| e.to_string())?;
            }
            if kernel_check::wanted(opts) {
                // -n checks the kernel as a boot would, and copies nothing.
                let kernel = guest
                    .find(&choice.spec.kernel)
                    .map_err(|e| format!("kernel: {e}"))?;
                kernel_check::hand_over(
                    &kernel,
                    &choice.spec.kernel,
                    &choice.title,
                    &mut std::io::sink(),
                    opts,
                    diag,
                )?;
            }
            let initrds: Vec<String> = choice
                .spec
                .initrds
                .iter()
                .map(ToString::to_string)
                .collect();
            Outcome::Boot {
                kernel: Some(choice.spec.kernel.to_string()),
                ramdisk: if initrds.is_empty() {
                    Ramdisk::None
                } else {
                    Ramdisk::Named(initrds.join(" "))
                },
                args,
                grubenv,
            }
        }
        Some(copies) => {
            let copied = copy_out(&guest, disk, &choice, copies, opts, diag)?;
            Outcome::Boot {
                kernel: None,
                ramdisk: if copied {
                    Ramdisk::Copied
                } else {
                    Ramdisk::None
                },
                args,
                grubenv,
            }
        }
    };
    Ok(outcome.encode())
}

/// The command line to pass, `--args` included, refused if a PV guest cannot take it.
fn checked_args(choice: &Choice, opts: &Options, given_kernel: bool) -> Result<String, String> {
    // pygrub's `--args`: with `--kernel` it is the whole command line; otherwise it is
    // appended to the entry's after a space.
    let args = if given_kernel {
        opts.args.clone()
    } else if opts.args.is_empty() {
        choice.spec.args.clone()
    } else {
        format!("{} {}", choice.spec.args, opts.args)
    };
    if args.len() > MAX_CMDLINE {
        return Err(format!(
            "the command line of '{}' is {} bytes, more than the {MAX_CMDLINE} a Xen PV guest accepts",
            diag::sanitize(&choice.title),
            args.len()
        ));
    }
    Ok(args)
}

/// Copies kernel and initrds into the copies; returns whether there was an initrd.
/// The kernel is looked at first when the options ask (see [`kernel_check`]).
fn copy_out(
    guest: &Guest<'_>,
    disk: &GuestDisk,
    choice: &Choice,
    copies: &Copies,
    opts: &Options,
    diag: &Diag,
) -> Result<bool, String> {
    let spec = &choice.spec;
    // A partition of the first disk (or the whole of it) of a raw image or block
    // device: its bytes are the file's, `start` bytes in, and stored runs of a file
    // on it can be copied by the kernel. Not an md array or LV (assembled by xlboot),
    // nor a qcow2 or VHD image (a guest offset is not a file offset there).
    let raw_volume = |f: &FilePath| {
        let image = disk.raw_image()?;
        let volume = guest.volume(&f.device)?;
        (volume.name == "hd0" || volume.name.starts_with("hd0,")).then_some(copy::RawVolume {
            image,
            start: volume.start,
        })
    };
    let mut copier = copy::Copier::new();
    let kernel = guest
        .find(&spec.kernel)
        .map_err(|e| format!("kernel: {e}"))?;
    let n = if kernel_check::wanted(opts) {
        let mut kfile = &copies.kernel;
        kernel_check::hand_over(&kernel, &spec.kernel, &choice.title, &mut kfile, opts, diag)?
    } else {
        copier
            .append(
                &kernel,
                raw_volume(&spec.kernel).as_ref(),
                &copies.kernel,
                opts.budgets.max_kernel,
            )
            .map_err(|e| copy_error(e, &spec.kernel))?
    };
    diag.debug(format_args!(
        "copied the kernel {}: {n} bytes{}",
        diag::sanitize(&spec.kernel.to_string()),
        if opts.uncompressed_kernel {
            " (its ELF, decompressed)"
        } else {
            ""
        }
    ));
    let found: Vec<_> = spec
        .initrds
        .iter()
        .map(|f| guest.find(f).map_err(|e| format!("initrd: {e}")))
        .collect::<Result<_, _>>()?;
    let mut total = 0u64;
    for (i, (f, name)) in found.iter().zip(&spec.initrds).enumerate() {
        if i > 0 {
            total = copy::pad_to_4(&mut &copies.ramdisk, total).map_err(|e| copy_error(e, name))?;
        }
        let n = copier
            .append(
                f,
                raw_volume(name).as_ref(),
                &copies.ramdisk,
                opts.budgets.max_initrd.saturating_sub(total),
            )
            .map_err(|e| copy_error(e, name))?;
        total += n;
        diag.debug(format_args!(
            "copied the initrd {}: {n} bytes",
            diag::sanitize(&name.to_string())
        ));
    }
    Ok(!spec.initrds.is_empty())
}

fn copy_error(e: CopyError, from: &FilePath) -> String {
    match e {
        CopyError::Guest(e) => format!("{from}: {e}"),
        CopyError::Write(e) => format!("cannot write the copy of {from}: {e}"),
    }
}

/// What `--isconfig` evaluates.
enum IsConfig {
    /// A GRUB 2 config file's bytes.
    Grub2(Vec<u8>),
    /// A syslinux config file's bytes.
    Syslinux(Vec<u8>, crate::host_config::SyslinuxFiles),
    /// The files of a BLS entries directory (name, bytes), and systemd-boot's
    /// `loader.conf` if there is one.
    Bls(Vec<(String, Vec<u8>)>, Option<LoaderConf>),
    /// A GRUB legacy `menu.lst` / `grub.conf`'s bytes.
    GrubLegacy(Vec<u8>),
    /// A `lilo.conf`'s bytes.
    Lilo(Vec<u8>),
}

/// Reads what `--isconfig PATH` names, on the host, before the sandbox closes the
/// filesystem: a directory of BLS entries (with `../loader.conf` if present), a
/// systemd-boot `loader.conf` (with the `entries` directory beside it), a GRUB legacy
/// or syslinux config by its name (`menu.lst`, `grub.conf`; `extlinux.conf`,
/// `syslinux.cfg`, `isolinux.cfg`; any file in a `pxelinux.cfg` directory is a
/// pxelinux config, read with its TFTP tree), a
/// `lilo.conf`, or else a GRUB 2 config.
fn is_config_source(path: &std::path::Path) -> Result<IsConfig, String> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let loader_conf = |p: &std::path::Path| -> Result<Option<LoaderConf>, String> {
        if p.is_file() {
            Ok(Some(LoaderConf::parse(&read(p)?)))
        } else {
            Ok(None)
        }
    };
    if path.is_dir() {
        let conf = match path.parent() {
            Some(parent) => loader_conf(&parent.join("loader.conf"))?,
            None => None,
        };
        return Ok(IsConfig::Bls(
            crate::host_config::read_entries_dir(path)?,
            conf,
        ));
    }
    let beside = crate::host_config::SyslinuxFiles::read_beside;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let dir = path
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if name == "loader.conf" {
        let entries = path.with_file_name("entries");
        return Ok(IsConfig::Bls(
            crate::host_config::read_entries_dir(&entries)?,
            loader_conf(path)?,
        ));
    }
    let text = read(path)?;
    if dir == "pxelinux.cfg" {
        let tree = crate::host_config::SyslinuxFiles::read_tftp_tree(path)?;
        return Ok(IsConfig::Syslinux(text, tree));
    }
    Ok(match xlboot_boot::config_search::kind_of_file_name(name) {
        ConfigKind::GrubLegacy => IsConfig::GrubLegacy(text),
        ConfigKind::Syslinux => IsConfig::Syslinux(text, beside(path)?),
        ConfigKind::Lilo => IsConfig::Lilo(text),
        _ => IsConfig::Grub2(text),
    })
}

/// `--isconfig`: the image is a config file (GRUB 2, GRUB legacy, syslinux, LILO,
/// systemd-boot's `loader.conf`), or a directory of BLS entries, on this host; print
/// what it boots.
fn isconfig(
    source: &IsConfig,
    opts: &Options,
    menu_io: Option<&MenuIo<'_>>,
) -> Result<Vec<u8>, String> {
    let file = FilePath {
        device: "host".into(),
        path: opts.image.display().to_string(),
        root: Default::default(),
    };
    let file_for_menu = file.clone();
    let mut notes = Vec::new();
    let menu = match source {
        IsConfig::Grub2(text) => decide::evaluate_grub2(
            text,
            file,
            &crate::host_config::HostConfig,
            &opts.limits.config,
            &mut notes,
        )
        .map_err(|e| e.to_string())?,
        IsConfig::GrubLegacy(text) => decide::evaluate_grub_legacy(
            text,
            &file,
            &crate::host_config::HostConfig,
            &opts.limits.config,
            &mut notes,
        )
        .map_err(|e| e.to_string())?,
        IsConfig::Lilo(text) => {
            // Paths of the host's namespace, taken to exist, as for GRUB configs.
            let locate = |p: &str| {
                Ok(Some(FilePath {
                    device: "host".into(),
                    path: p.to_string(),
                    root: Default::default(),
                }))
            };
            decide::evaluate_lilo(text, &file, &locate, &mut notes).map_err(|e| e.to_string())?
        }
        IsConfig::Syslinux(text, files) => {
            let config = FilePath {
                device: "host".into(),
                path: files.config.clone(),
                root: Default::default(),
            };
            match &files.tftp_root {
                Some(root) => {
                    notes.push(format!(
                        "pxelinux: {} is the TFTP root and pxelinux.0's directory",
                        root.display()
                    ));
                    let evaluated = xlboot_config::syslinux::evaluate_pxelinux(
                        text,
                        &config,
                        &opts.limits.config,
                        files,
                    )
                    .map_err(|e| e.to_string())?;
                    notes.extend(evaluated.notes);
                    evaluated.menu
                }
                None => {
                    decide::evaluate_syslinux(text, &config, files, &opts.limits.config, &mut notes)
                        .map_err(|e| e.to_string())?
                }
            }
        }
        IsConfig::Bls(files, conf) => {
            let menu = xlboot_config::bls::spec::menu_with_loader_conf(
                "host",
                &xlboot_config::PathRoot::Top,
                files,
                conf.as_ref(),
            );
            notes.push(menu.default_rule.clone());
            menu
        }
    };
    let diag = Diag::new(opts.debug);
    for note in &notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    let choice = match menu_io {
        Some(io) if opts.entry.is_none() => {
            let kind = match source {
                IsConfig::Grub2(_) => ConfigKind::Grub2,
                IsConfig::GrubLegacy(_) => ConfigKind::GrubLegacy,
                IsConfig::Lilo(_) => ConfigKind::Lilo,
                IsConfig::Syslinux(..) => ConfigKind::Syslinux,
                IsConfig::Bls(..) => ConfigKind::Bls,
            };
            match show_menu(
                &menu,
                io,
                &HostFiles,
                menu_settings(kind, &file_for_menu, io, Instant::now() + io.time_limit),
            )? {
                crate::menu::Ended::Boot(p) => picked_choice(p),
                crate::menu::Ended::LoadConfig(file) => {
                    return Err(format!(
                        "the password loads the config {file}, which --isconfig cannot read"
                    ))
                }
            }
        }
        _ => decide::choose(&menu, opts.entry.as_deref()).map_err(|e| e.to_string())?,
    };
    let args = checked_args(&choice, opts, false)?;
    println!("  kernel: {}", choice.spec.kernel.path);
    for initrd in &choice.spec.initrds {
        println!("  initrd: {}", initrd.path);
    }
    println!("  args: {args}");
    Ok(Outcome::Printed.encode())
}

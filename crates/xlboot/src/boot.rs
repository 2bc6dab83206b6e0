//! One run of xlboot: from the options to the reply, in pygrub's order.
//!
//! 1. open the reply file and the output directory (failures here touch nothing);
//! 2. open the disk, find its volumes and their filesystems;
//! 3. on the first volume that holds a boot config, evaluate it as the guest's boot
//!    loader would and choose the entry (the default, or `--entry`); or with `--kernel`
//!    take the first volume with a filesystem;
//! 4. copy kernel and initrds into fresh files in the output directory;
//! 5. write the reply in one call.
//!
//! Any failure ends the run with one line on stderr and a non-zero exit, after the
//! files it created are removed.

use std::path::Path;

use xlboot_config::grub2::{self, EvalContext};
use xlboot_config::{BootSpec, ConfigHost, EntryPath, FilePath, Menu};

use crate::cli::Options;
use crate::config_search::{ConfigKind, CONFIG_PATHS};
use crate::copy::{self, CopyError};
use crate::diag::{self, Diag};
use crate::guest::{self, Guest};
use crate::image::DiskImage;
use crate::output::{self, OutputFiles, ReplySink};
use crate::reply::Reply;

/// The longest command line a PV guest accepts: Xen's `MAX_GUEST_CMDLINE` is 1024
/// bytes including the terminating NUL.
pub const MAX_CMDLINE: usize = 1023;

/// Largest kernel copied out (libxenguest refuses more than 1 GiB decompressed).
pub const MAX_KERNEL: u64 = 512 << 20;

/// Largest total of initrds copied out (libxenguest's own cap is 1 GiB).
pub const MAX_INITRD: u64 = 1 << 30;

/// The outcome of deciding: which entry, from where, with what.
#[derive(Debug)]
struct Choice {
    /// Title (an `a>b` path for submenu entries), for messages.
    title: String,
    /// Kernel, initrds and command line.
    spec: BootSpec,
}

/// A boot config found on a volume.
struct FoundConfig {
    file: FilePath,
    kind: ConfigKind,
}

/// Runs xlboot with parsed options. `Err` carries the one line to print.
pub fn run(opts: &Options) -> Result<(), String> {
    let diag = Diag::new(opts.debug);
    if let Some(uid) = opts.runas {
        return Err(format!(
            "--runas={uid}: running the disk parsers as another user is not implemented yet; \
             refusing rather than parsing a guest disk as root while claiming otherwise"
        ));
    }
    let sink = ReplySink::open(opts.output.as_deref()).map_err(|e| {
        format!(
            "cannot open the output file {}: {e}",
            show_path(opts.output.as_deref())
        )
    })?;
    if opts.isconfig {
        return run_isconfig(opts);
    }
    let out_dir = output::output_directory(opts.output_directory.as_deref()).map_err(|e| {
        format!(
            "cannot create the output directory {}: {e}",
            output::DEFAULT_OUTPUT_DIRECTORY
        )
    })?;

    let disk = DiskImage::open(&opts.image)
        .map_err(|e| format!("cannot open the disk image {}: {e}", opts.image.display()))?;
    let guest =
        Guest::open(&disk, opts.offset).map_err(|e| format!("{}: {e}", opts.image.display()))?;
    for v in &guest.volumes {
        match &v.fs {
            Ok(fs) => diag.debug(format_args!(
                "volume ({}) at byte {}: {:?}",
                v.name,
                v.start,
                fs.info()
            )),
            Err(e) => diag.debug(format_args!("volume ({}) at byte {}: {e}", v.name, v.start)),
        }
    }

    let choice = if let Some(kernel) = &opts.kernel {
        given_kernel(&guest, kernel, opts)?
    } else {
        let found = find_config(&guest, &diag)?;
        let menu = evaluate(&guest, &found, &diag)?;
        if opts.list_entries {
            print!("{}", crate::listing::render(&menu));
            return Ok(());
        }
        choose(&menu, opts, &diag)?
    };
    let args = with_extra_args(&choice.spec.args, opts, opts.kernel.is_some());
    if args.len() > MAX_CMDLINE {
        return Err(format!(
            "the command line of '{}' is {} bytes, more than the {MAX_CMDLINE} a Xen PV guest accepts",
            diag::sanitize(&choice.title),
            args.len()
        ));
    }
    if opts.interactive {
        diag.say(format_args!(
            "booting '{}' (the interactive menu is not implemented yet)",
            diag::sanitize(&choice.title)
        ));
    }
    diag.debug(format_args!(
        "chose '{}': {:?}",
        diag::sanitize(&choice.title),
        choice.spec
    ));

    let mut files = OutputFiles::default();
    let reply = if opts.not_really {
        check_files(&guest, &choice.spec)?;
        Reply {
            kernel: choice.spec.kernel.to_string(),
            ramdisk: (!choice.spec.initrds.is_empty()).then(|| {
                choice
                    .spec
                    .initrds
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            args,
        }
    } else {
        copy_out(&guest, &choice.spec, &out_dir, &mut files, args)?
    };
    let bytes = reply.render(opts.format).map_err(|e| e.0)?;
    sink.write(&bytes)
        .map_err(|e| format!("cannot write the reply: {e}"))?;
    files.keep();
    Ok(())
}

/// `--kernel`: the first volume with a filesystem, the given paths, `--args` verbatim.
fn given_kernel(guest: &Guest<'_>, kernel: &str, opts: &Options) -> Result<Choice, String> {
    let volume = guest
        .volumes
        .iter()
        .find(|v| v.fs.is_ok())
        .ok_or_else(|| no_filesystem(guest))?;
    let on_volume = |path: &str| FilePath {
        device: volume.name.clone(),
        path: path.to_string(),
    };
    Ok(Choice {
        title: format!("--kernel={kernel}"),
        spec: BootSpec {
            kernel: on_volume(kernel),
            initrds: opts.ramdisk.iter().map(|r| on_volume(r)).collect(),
            args: String::new(),
        },
    })
}

/// pygrub's `--args`: with `--kernel` it is the whole command line; otherwise it is
/// appended to the entry's after a space.
fn with_extra_args(entry_args: &str, opts: &Options, given_kernel: bool) -> String {
    if given_kernel {
        opts.args.clone()
    } else if opts.args.is_empty() {
        entry_args.to_string()
    } else {
        format!("{entry_args} {}", opts.args)
    }
}

/// The first config on the first volume that has one, in pygrub's order.
fn find_config(guest: &Guest<'_>, diag: &Diag) -> Result<FoundConfig, String> {
    for v in &guest.volumes {
        if v.fs.is_err() {
            continue;
        }
        for (path, kind) in CONFIG_PATHS {
            let file = FilePath {
                device: v.name.clone(),
                path: (*path).to_string(),
            };
            match guest.file_size(&file) {
                Ok(Some(_)) => {
                    diag.debug(format_args!("found {} config {file}", kind.name()));
                    return Ok(FoundConfig { file, kind: *kind });
                }
                Ok(None) => {}
                Err(e) => return Err(format!("{file}: {e}")),
            }
        }
        diag.debug(format_args!("({}): no boot config", v.name));
    }
    if guest.volumes.iter().all(|v| v.fs.is_err()) {
        return Err(no_filesystem(guest));
    }
    Err(format!(
        "no boot config found on any volume (looked for {} on {})",
        CONFIG_PATHS
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", "),
        guest
            .volumes
            .iter()
            .filter(|v| v.fs.is_ok())
            .map(|v| format!("({})", v.name))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn no_filesystem(guest: &Guest<'_>) -> String {
    let reasons: Vec<String> = guest
        .volumes
        .iter()
        .filter_map(|v| v.fs.as_ref().err().map(|e| format!("({}): {e}", v.name)))
        .collect();
    format!(
        "no volume holds a filesystem xlboot can read: {}",
        reasons.join("; ")
    )
}

/// Evaluates the config into a menu.
fn evaluate(guest: &Guest<'_>, found: &FoundConfig, diag: &Diag) -> Result<Menu, String> {
    if found.kind != ConfigKind::Grub2 {
        return Err(format!(
            "{}: {} configs are not supported yet",
            found.file,
            found.kind.name()
        ));
    }
    let source = guest
        .read_file(&found.file, guest::MAX_CONFIG_FILE)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{}: disappeared while reading", found.file))?;
    let ctx = EvalContext::new(found.file.clone());
    let evaluated = grub2::evaluate(&source, &ctx, guest).map_err(|e| e.to_string())?;
    for note in &evaluated.notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    Ok(evaluated.menu)
}

/// The entry to boot: `--entry` if given, else the menu's default.
fn choose(menu: &Menu, opts: &Options, diag: &Diag) -> Result<Choice, String> {
    let path: EntryPath = match &opts.entry {
        Some(spec) => xlboot_config::select::find_entry(menu, spec).ok_or_else(|| {
            format!(
                "no entry matches --entry={}; the entries are: {}",
                diag::sanitize(spec),
                menu.flatten()
                    .iter()
                    .enumerate()
                    .map(|(i, e)| format!("{i}: '{}'", diag::sanitize(&e.title_path)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?,
        None => menu
            .default
            .clone()
            .ok_or("the config has no menu entries")?,
    };
    diag.debug(format_args!("selected entry path {path:?}"));
    let (title, entry) = entry_at(menu, &path).ok_or("the selected entry does not exist")?;
    match &entry.boot {
        Ok(spec) => Ok(Choice {
            title,
            spec: spec.clone(),
        }),
        Err(why) => Err(format!(
            "entry '{}' cannot be booted by xlboot: {}",
            diag::sanitize(&title),
            diag::sanitize(why)
        )),
    }
}

/// The entry at `path`, with its title path.
fn entry_at<'m>(menu: &'m Menu, path: &[usize]) -> Option<(String, &'m xlboot_config::Entry)> {
    menu.flatten()
        .into_iter()
        .find(|e| e.path.as_slice() == path)
        .map(|e| (e.title_path, e.entry))
}

/// `-n`: the files must exist and be regular files.
fn check_files(guest: &Guest<'_>, spec: &BootSpec) -> Result<(), String> {
    for f in std::iter::once(&spec.kernel).chain(&spec.initrds) {
        guest.find(f).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Copies kernel and initrds into new files in `dir` and builds the reply.
fn copy_out(
    guest: &Guest<'_>,
    spec: &BootSpec,
    dir: &Path,
    files: &mut OutputFiles,
    args: String,
) -> Result<Reply, String> {
    let kernel = guest
        .find(&spec.kernel)
        .map_err(|e| format!("kernel: {e}"))?;
    let (mut kfile, kpath) = files
        .create(dir, "boot_kernel.")
        .map_err(|e| format!("cannot create the kernel copy in {}: {e}", dir.display()))?;
    copy::append(&kernel, &mut kfile, MAX_KERNEL)
        .map_err(|e| copy_error(e, &spec.kernel, &kpath))?;

    let ramdisk = if spec.initrds.is_empty() {
        None
    } else {
        let found: Vec<_> = spec
            .initrds
            .iter()
            .map(|f| guest.find(f).map_err(|e| format!("initrd: {e}")))
            .collect::<Result<_, _>>()?;
        let (mut rfile, rpath) = files
            .create(dir, "boot_ramdisk.")
            .map_err(|e| format!("cannot create the initrd copy in {}: {e}", dir.display()))?;
        let mut total = 0u64;
        for (i, (f, name)) in found.iter().zip(&spec.initrds).enumerate() {
            if i > 0 {
                total =
                    copy::pad_to_4(&mut rfile, total).map_err(|e| copy_error(e, name, &rpath))?;
            }
            total += copy::append(f, &mut rfile, MAX_INITRD.saturating_sub(total))
                .map_err(|e| copy_error(e, name, &rpath))?;
        }
        Some(rpath.display().to_string())
    };
    Ok(Reply {
        kernel: kpath.display().to_string(),
        ramdisk,
        args,
    })
}

fn copy_error(e: CopyError, from: &FilePath, to: &Path) -> String {
    match e {
        CopyError::Guest(e) => format!("{from}: {e}"),
        CopyError::Write(e) => format!("cannot write {}: {e}", to.display()),
    }
}

/// `--isconfig`: the image is a GRUB 2 config on this host; print what it boots.
fn run_isconfig(opts: &Options) -> Result<(), String> {
    let source = std::fs::read(&opts.image)
        .map_err(|e| format!("cannot read {}: {e}", opts.image.display()))?;
    let host = crate::host_config::HostConfig;
    let file = FilePath {
        device: "host".into(),
        path: opts.image.display().to_string(),
    };
    let ctx = EvalContext::new(file);
    let menu = grub2::evaluate(&source, &ctx, &host)
        .map_err(|e| e.to_string())?
        .menu;
    let choice = choose(&menu, opts, &Diag::new(opts.debug))?;
    let args = with_extra_args(&choice.spec.args, opts, false);
    println!("  kernel: {}", choice.spec.kernel.path);
    for initrd in &choice.spec.initrds {
        println!("  initrd: {}", initrd.path);
    }
    println!("  args: {args}");
    Ok(())
}

fn show_path(p: Option<&Path>) -> String {
    p.map(|p| p.display().to_string())
        .unwrap_or_else(|| "-".into())
}

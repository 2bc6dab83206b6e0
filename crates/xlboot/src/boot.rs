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

use xlboot_boot::decide;
use xlboot_boot::{Decider, Guest};
use xlboot_config::{BootSpec, FilePath};

use crate::cli::Options;
use crate::copy::{self, CopyError};
use crate::diag::{self, Diag};
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
    let mut decider = Decider::new(&guest);
    let choice = if let Some(kernel) = &opts.kernel {
        decider
            .given_kernel(kernel, opts.ramdisk.as_deref())
            .map(Some)
    } else {
        decider
            .find_config()
            .and_then(|found| decider.evaluate(&found))
            .and_then(|menu| {
                if opts.list_entries {
                    print!("{}", crate::listing::render(&menu));
                    return Ok(None);
                }
                decide::choose(&menu, opts.entry.as_deref()).map(Some)
            })
    };
    for note in &decider.notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    let Some(choice) = choice.map_err(|e| e.to_string())? else {
        return Ok(());
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
    let file = FilePath {
        device: "host".into(),
        path: opts.image.display().to_string(),
    };
    let mut notes = Vec::new();
    let menu = decide::evaluate_grub2(&source, file, &crate::host_config::HostConfig, &mut notes)
        .map_err(|e| e.to_string())?;
    let diag = Diag::new(opts.debug);
    for note in &notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    let choice = decide::choose(&menu, opts.entry.as_deref()).map_err(|e| e.to_string())?;
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

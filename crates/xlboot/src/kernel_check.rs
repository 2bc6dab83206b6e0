//! The chosen kernel, looked at before it is handed over: what it is (`--debug`),
//! whether it can boot the way the toolstack will boot it (`--guest-type`), and its
//! ELF file instead of the image (`--uncompressed-kernel`).
//!
//! A kernel that cannot boot as the guest is configured fails late, inside
//! libxenguest or the guest, with a message that says nothing about why (a PVH guest
//! whose kernel lacks `XEN_ELFNOTE_PHYS32_ENTRY` dies with "Unable to find PVH entry
//! point"; a kernel built without Xen support never prints a line). xlboot reads the
//! kernel's Xen notes with libelf's rules (`xlboot-kernel`) and says so before
//! booting: one warning line, which libxl keeps in the bootloader log, or with
//! `--require-guest-type` one error line and no boot.
//!
//! Everything here runs in the sandboxed child, on bytes the guest wrote. The image
//! is read whole, up to `--max-kernel-size`, and its payload decompressed to at most
//! as much: a kernel that would need more is refused, not cut.

use std::io::Write;

use xlboot_boot::Found;
use xlboot_config::FilePath;
use xlboot_kernel::{Container, Kernel, KernelError, Unwrapped};

use crate::cli::{GuestType, Options};
use crate::copy::{self, CopyError};
use crate::diag::{self, Diag};

/// Whether the options need the kernel looked at, rather than streamed as it is.
pub fn wanted(opts: &Options) -> bool {
    opts.guest_type.is_some() || opts.uncompressed_kernel || opts.debug
}

/// The most an image's payload may decompress to: `--max-kernel-size`, which bounds
/// the copy handed to libxl whichever form it takes.
pub fn decompress_cap(max_kernel: u64) -> usize {
    usize::try_from(max_kernel).unwrap_or(usize::MAX)
}

/// Reads the kernel whole (at most `max` bytes).
pub fn read_image(kernel: &Found<'_, '_>, max: u64) -> Result<Vec<u8>, CopyError> {
    let mut image = Vec::new();
    copy::append(kernel, &mut image, max)?;
    Ok(image)
}

/// Whether `kernel` can boot as `guest_type`; `Err` says why not. `unpacked`: it is
/// handed over as its ELF file (`--uncompressed-kernel`), not as the image.
pub fn can_boot_as(
    kernel: &Kernel,
    guest_type: GuestType,
    unpacked: bool,
) -> Result<(), &'static str> {
    let capability = if unpacked {
        kernel.elf_capability
    } else {
        kernel.capability
    };
    match guest_type {
        GuestType::Pv => capability.pv.map(|_| ()),
        GuestType::Pvh => capability.pvh,
    }
}

/// The container as the report names it.
pub fn container_name(container: &Container) -> &'static str {
    match container {
        Container::BzImage(_) => "bzImage",
        Container::Elf => "ELF",
        Container::Compressed => "compressed ELF",
    }
}

/// One line saying what the kernel is, for `--debug`: container, compressor, ELF,
/// Xen notes, capability. Guest text is escaped.
pub fn describe(kernel: &Kernel) -> String {
    describe_parts(kernel).join("; ")
}

/// What [`describe`] says, in parts: container and compressor (and version), ELF,
/// Xen notes, capability.
pub fn describe_parts(kernel: &Kernel) -> Vec<String> {
    let mut parts = Vec::new();
    match &kernel.container {
        Container::BzImage(h) => parts.push(format!(
            "bzImage (boot protocol {}.{:02})",
            h.protocol >> 8,
            h.protocol & 0xff
        )),
        other => parts.push(container_name(other).to_string()),
    }
    if let Some(first) = parts.first_mut() {
        match kernel.compressor {
            Some(c) => first.push_str(&format!(", {} compressed", c.name())),
            None => first.push_str(", not compressed"),
        }
        if let Some(v) = kernel.version() {
            first.push_str(&format!(", version {}", diag::sanitize(v)));
        }
    }
    parts.push(format!(
        "ELF {} machine {}, {} bytes",
        match kernel.elf.class {
            xlboot_kernel::elf::header::Class::Elf32 => "32-bit",
            xlboot_kernel::elf::header::Class::Elf64 => "64-bit",
        },
        machine_name(kernel.elf.machine),
        kernel.elf_size
    ));
    let x = &kernel.xen;
    match x.source {
        None => parts.push("no Xen notes".into()),
        Some(source) => {
            let mut notes = vec![format!("Xen notes ({}):", source_name(source))];
            for (name, value) in [
                ("guest_os", &x.guest_os),
                ("loader", &x.loader),
                ("xen_version", &x.xen_version),
                ("pae_mode", &x.pae_mode),
                ("features", &x.features),
            ] {
                if let Some(v) = value {
                    notes.push(format!("{name}={}", diag::sanitize(v)));
                }
            }
            if let Some(e) = x.phys32_entry {
                notes.push(format!("phys32_entry={e:#x}"));
            }
            parts.push(notes.join(" "));
        }
    }
    parts.push(capability_text(&kernel.capability));
    if kernel.elf_capability != kernel.capability {
        parts.push(format!(
            "its ELF, decompressed: {}",
            capability_text(&kernel.elf_capability)
        ));
    }
    parts
}

/// `PV: yes (xen-3.0-x86_64), PVH: no (why)`.
fn capability_text(c: &xlboot_kernel::Capability) -> String {
    format!(
        "PV: {}, PVH: {}",
        match c.pv {
            Ok(arch) => format!("yes ({})", arch.xen_name()),
            Err(why) => format!("no ({why})"),
        },
        match c.pvh {
            Ok(()) => "yes".to_string(),
            Err(why) => format!("no ({why})"),
        }
    )
}

/// The ELF machine as `readelf -h` names the two Xen runs.
pub fn machine_name(machine: u16) -> String {
    match machine {
        xlboot_kernel::elf::header::EM_X86_64 => "x86-64".into(),
        xlboot_kernel::elf::header::EM_386 => "i386".into(),
        other => format!("{other}"),
    }
}

/// Where the Xen information came from, as the report names it.
pub fn source_name(source: xlboot_kernel::XenSource) -> &'static str {
    match source {
        xlboot_kernel::XenSource::NoteSegments => "PT_NOTE segments",
        xlboot_kernel::XenSource::NoteSections => "SHT_NOTE sections",
        xlboot_kernel::XenSource::LegacyGuestSection => "the __xen_guest section",
    }
}

/// Copies the chosen kernel into `out` after looking at it as the options ask:
/// describes it under `--debug`, checks it against `--guest-type` (a warning, or an
/// error with `--require-guest-type`), and writes its ELF file instead of the image
/// with `--uncompressed-kernel`. Returns the bytes written.
pub fn hand_over(
    kernel: &Found<'_, '_>,
    file: &FilePath,
    title: &str,
    out: &mut impl Write,
    opts: &Options,
    diag: &Diag,
) -> Result<u64, String> {
    let image = read_image(kernel, opts.budgets.max_kernel).map_err(|e| match e {
        CopyError::Guest(e) => format!("{file}: {e}"),
        CopyError::Write(e) => format!("cannot read {file}: {e}"),
    })?;
    let cap = decompress_cap(opts.budgets.max_kernel);
    let name = diag::sanitize(&file.to_string());
    let examined = xlboot_kernel::unwrap_elf(&image, cap)
        .and_then(|u| xlboot_kernel::inspect_unwrapped(&u).map(|k| (u, k)));
    match &examined {
        Ok((_, k)) => diag.debug(format_args!("kernel {name}: {}", describe(k))),
        Err(e) => diag.debug(format_args!("kernel {name}: {e}")),
    }
    if let Some(t) = opts.guest_type {
        check_guest_type(
            examined.as_ref().map(|(_, k)| k),
            t,
            &name,
            title,
            opts,
            diag,
        )?;
    }
    let bytes: &[u8] = match (&examined, opts.uncompressed_kernel) {
        (_, false) => &image,
        (Ok((Unwrapped { elf, .. }, _)), true) => elf,
        (Err(e), true) => {
            return Err(format!(
                "--uncompressed-kernel: cannot unpack the kernel {name}: {e}"
            ))
        }
    };
    out.write_all(bytes)
        .map_err(|e| format!("cannot write the copy of {name}: {e}"))?;
    Ok(bytes.len() as u64)
}

/// The `--guest-type` check: nothing when the kernel can boot that way, one warning
/// line when it cannot (or cannot be read), and with `--require-guest-type` an error.
fn check_guest_type(
    kernel: Result<&Kernel, &KernelError>,
    guest_type: GuestType,
    name: &str,
    title: &str,
    opts: &Options,
    diag: &Diag,
) -> Result<(), String> {
    let why = match kernel {
        Ok(k) => match can_boot_as(k, guest_type, opts.uncompressed_kernel) {
            Ok(()) => {
                diag.debug(format_args!(
                    "kernel {name} can boot as {}",
                    guest_type.name()
                ));
                return Ok(());
            }
            Err(why) => format!("cannot boot as {}: {why}", guest_type.name()),
        },
        Err(e) => format!("cannot tell whether it boots as {}: {e}", guest_type.name()),
    };
    let line = format!("the kernel {name} of '{}' {why}", diag::sanitize(title));
    if opts.require_guest_type {
        Err(format!("{line} (--require-guest-type)"))
    } else {
        diag.say(format_args!("warning: {line}; booting it anyway"));
        Ok(())
    }
}

//! The chosen entry's kernel and initrds, read from the guest's disk and made ready to
//! start through Xen's PVH entry ABI.
//!
//! Why that ABI (and not Linux's boot protocol, which GRUB for Xen PVH uses): it is
//! the one Xen's own direct boot (`kernel=` with `type = "pvh"`) uses, so a kernel
//! that boots directly boots here; it is the capability `xlboot --guest-type=pvh`
//! checks; and every PVH-capable ELF kernel has it (Linux's bzImage or vmlinux,
//! FreeBSD, NetBSD), while Linux's boot protocol only boots Linux, which then has to
//! guess that it runs as a PVH guest from ACPI.
//!
//! So, as libxenguest does for a PVH guest: the ELF kernel (a bzImage's payload is
//! decompressed first, capped by its `init_size`) must have `XEN_ELFNOTE_PHYS32_ENTRY`;
//! its `PT_LOAD` segments go to their `p_paddr`; the initrds, concatenated as GRUB
//! does (each at a 4-byte boundary), are module 0 of a version 1 `hvm_start_info`
//! with the entry's command line, the RSDP and a copy of the memory map. All of it is
//! staged in the loader's heap, at the top of RAM (see `platform::heap`), and the
//! segments are checked against the memory map and everything the loader still uses
//! before a byte is written (`platform::handover::place`).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xlboot_boot::decide::Choice;
use xlboot_boot::guest::read_whole;
use xlboot_boot::{Found, Guest};
use xlboot_compress::DecompressErrorKind;
use xlboot_config::FilePath;
use xlboot_kernel::elf::program::{self, ProgramHeader};
use xlboot_kernel::{KernelError, DEFAULT_MAX_KERNEL};
use xlboot_xen::placement::Busy;
use xlboot_xen::start_info_writer::{KernelStartInfo, Module};

use crate::loader::sanitize;
use crate::platform::entry::Boot;
use crate::platform::handover::Segment;
use crate::platform::{clock, heap};
use crate::println;

/// Memory kept free for a decompressor's own buffers (a 32 MiB xz dictionary for
/// Linux's kernels, a zstd window), on top of the growing output buffer.
const DECOMPRESSOR_ROOM: u64 = 40 << 20;

/// Everything the hand-over needs, staged in the heap.
pub struct Loaded {
    /// The ELF file (the decompressed payload of a bzImage).
    elf: Vec<u8>,
    /// Its loadable segments, each checked against the file.
    segments: Vec<ProgramHeader>,
    /// `XEN_ELFNOTE_PHYS32_ENTRY`.
    pub entry: u32,
    /// Physical address of the start info.
    pub start_info: u32,
    /// The initrd and the start info: memory no segment may overlap.
    pub busy: Vec<Busy>,
}

impl Loaded {
    /// The segments with their bytes in the ELF file.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        self.segments
            .iter()
            .map(|s| Segment {
                paddr: s.paddr,
                // load_segments checked offset + filesz against the file.
                bytes: usize::try_from(s.offset)
                    .ok()
                    .zip(usize::try_from(s.filesz).ok())
                    .and_then(|(o, n)| self.elf.get(o..o.checked_add(n)?))
                    .unwrap_or(&[]),
                memsz: s.memsz,
            })
            .collect()
    }

    /// The lowest and highest byte the segments cover, `[start, end)`.
    pub fn extent(&self) -> (u64, u64) {
        let start = self.segments.iter().map(|s| s.paddr).min().unwrap_or(0);
        let end = self
            .segments
            .iter()
            .map(|s| s.paddr.saturating_add(s.memsz))
            .max()
            .unwrap_or(0);
        (start, end)
    }
}

/// " in N ms" after a step that began at `since`, or nothing without a clock.
fn took(since: Option<u64>) -> String {
    match (since, clock::now_ms()) {
        (Some(a), Some(b)) => format!(" in {} ms", b.saturating_sub(a)),
        _ => String::new(),
    }
}

fn no_room(what: &str, name: &str, size: u64) -> String {
    format!(
        "{what} {name}: {size} bytes do not fit in the loader's free memory ({} bytes); give the guest more memory",
        heap::free()
    )
}

/// The size of a file, before anything of it is read.
fn size_of(found: &Found<'_, '_>, what: &str, name: &str) -> Result<u64, String> {
    found
        .fs
        .metadata(found.node)
        .map(|m| m.size)
        .map_err(|e| format!("{what}: {name}: {e}"))
}

/// Reads the kernel file, finds its ELF and checks that it can boot as PVH, with
/// the messages `xlboot --guest-type=pvh --require-guest-type` gives.
fn read_kernel(guest: &Guest<'_>, choice: &Choice) -> Result<Loaded, String> {
    let file = &choice.spec.kernel;
    let name = sanitize(&file.to_string());
    let found = guest.find(file).map_err(|e| format!("kernel: {e}"))?;
    let size = size_of(&found, "kernel", &name)?;
    if size > heap::free() {
        return Err(no_room("kernel", &name, size));
    }
    let t = clock::now_ms();
    let max = usize::try_from(heap::free()).unwrap_or(usize::MAX);
    let image = read_whole(&found, DEFAULT_MAX_KERNEL.min(max))
        .map_err(|e| format!("kernel: {name}: {e}"))?;
    println!("kernel {name}: {size} bytes read{}", took(t));

    let title = sanitize(&choice.title);
    let cannot = |why: String| format!("the kernel {name} of '{title}' {why}");
    let t = clock::now_ms();
    println!("kernel {name}: unpacking its ELF file");
    // Decompressing into a growing buffer needs up to twice the ELF (the buffer
    // doubles) plus the decompressor's own memory (Linux's xz dictionary is 32 MiB);
    // the cap keeps both inside what is left, so that a kernel too large for the guest
    // is a message, not a failed allocation. xlboot's own cap and a bzImage's
    // init_size apply too.
    let free = heap::free();
    let cap = usize::try_from(free.saturating_sub(DECOMPRESSOR_ROOM) / 2)
        .unwrap_or(usize::MAX)
        .min(DEFAULT_MAX_KERNEL);
    let (kernel, owned) = {
        let unwrapped = xlboot_kernel::unwrap_elf(&image, cap).map_err(|e| match e {
            KernelError::Decompress { error, .. }
                if error.kind == DecompressErrorKind::TooLarge && cap < DEFAULT_MAX_KERNEL =>
            {
                format!(
                    "kernel {name}: its ELF file is larger than {cap} bytes, what the loader's free memory ({free} bytes) can decompress; give the guest more memory"
                )
            }
            e => cannot(format!("cannot tell whether it boots as PVH: {e}")),
        })?;
        let kernel = xlboot_kernel::inspect_unwrapped(&unwrapped)
            .map_err(|e| cannot(format!("cannot tell whether it boots as PVH: {e}")))?;
        let owned = match unwrapped.elf {
            Cow::Owned(elf) => Some(elf),
            Cow::Borrowed(_) => None,
        };
        (kernel, owned)
    };
    let elf = owned.unwrap_or(image);
    println!(
        "kernel {name}: ELF of {} bytes{}{}",
        elf.len(),
        kernel
            .compressor
            .map(|c| format!(", {} decompressed", c.name()))
            .unwrap_or_default(),
        took(t)
    );
    // The ELF is loaded as it is, so its own capability counts (an ELF compressed
    // whole by xz is fine here, though libxenguest would not open it).
    kernel
        .elf_capability
        .pvh
        .map_err(|why| cannot(format!("cannot boot as PVH: {why}")))?;
    let entry = kernel
        .xen
        .phys32_entry
        .and_then(|e| u32::try_from(e & 0xffff_ffff).ok())
        .ok_or_else(|| cannot("cannot boot as PVH: no PHYS32_ENTRY".to_string()))?;
    let segments = program::load_segments(&elf, &kernel.elf)
        .map_err(|e| cannot(format!("cannot tell whether it boots as PVH: {e}")))?;
    Ok(Loaded {
        elf,
        segments,
        entry,
        start_info: 0,
        busy: Vec::new(),
    })
}

/// Reads the initrds, one after the other at 4-byte boundaries as GRUB loads them,
/// into one page-aligned block; `None` without an initrd.
fn read_initrds(guest: &Guest<'_>, files: &[FilePath]) -> Result<Option<Module>, String> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut found = Vec::new();
    let mut total = 0u64;
    for (i, f) in files.iter().enumerate() {
        let name = sanitize(&f.to_string());
        let one = guest.find(f).map_err(|e| format!("initrd: {e}"))?;
        let size = size_of(&one, "initrd", &name)?;
        if i > 0 {
            total = total.checked_add(3).ok_or("initrds too large")? & !3;
        }
        let start = total;
        total = total
            .checked_add(size)
            .filter(|t| *t <= heap::free())
            .ok_or_else(|| no_room("initrd", &name, size))?;
        found.push((one, name, start, size));
    }
    let t = clock::now_ms();
    let len = usize::try_from(total).map_err(|_| "initrds too large".to_string())?;
    let block = heap::pinned(len).ok_or_else(|| no_room("initrd", "(all)", total))?;
    for (one, name, start, size) in &found {
        let mut done = 0u64;
        while done < *size {
            let at = usize::try_from(start.saturating_add(done)).unwrap_or(usize::MAX);
            let end = usize::try_from(start.saturating_add(*size)).unwrap_or(usize::MAX);
            let buf = block.get_mut(at..end).unwrap_or(&mut []);
            let n = one
                .fs
                .read_at(one.node, done, buf)
                .map_err(|e| format!("initrd: {name}: {e}"))?;
            if n == 0 {
                return Err(format!(
                    "initrd: {name}: file ends at {done} bytes, before its size {size}"
                ));
            }
            done = done.saturating_add(n as u64);
        }
    }
    let paddr = block.as_ptr() as u64;
    println!(
        "initrd: {} file(s), {total} bytes at {paddr:#x}-{:#x}{}",
        found.len(),
        paddr.saturating_add(total),
        took(t)
    );
    Ok(Some(Module { paddr, size: total }))
}

/// Reads and checks the chosen entry's kernel and initrds, and writes the start info
/// for it (below 4 GiB, in the heap).
pub fn load(guest: &Guest<'_>, choice: &Choice, boot: &Boot) -> Result<Loaded, String> {
    let mut loaded = read_kernel(guest, choice)?;
    let initrd = read_initrds(guest, &choice.spec.initrds)?;
    let modules: Vec<Module> = initrd.into_iter().collect();
    let info = KernelStartInfo {
        flags: boot.start_info.flags,
        cmdline: choice.spec.args.as_bytes(),
        modules: &modules,
        rsdp_paddr: boot.start_info.rsdp_paddr,
        memmap: &boot.memory,
    };
    let len = info.encoded_len().map_err(|e| e.to_string())?;
    let block =
        heap::pinned(len).ok_or_else(|| no_room("start info", "for the kernel", len as u64))?;
    let base = block.as_ptr() as u64;
    let bytes = info.encode(base).map_err(|e| e.to_string())?;
    block.copy_from_slice(&bytes);
    loaded.start_info = u32::try_from(base).map_err(|_| format!("start info at {base:#x}"))?;
    for m in &modules {
        loaded.busy.push(Busy {
            what: "the initrd",
            start: m.paddr,
            end: m.paddr.saturating_add(m.size),
        });
    }
    loaded.busy.push(Busy {
        what: "the start info",
        start: base,
        end: base.saturating_add(len as u64),
    });
    Ok(loaded)
}

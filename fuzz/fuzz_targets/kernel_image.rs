//! Bytes as a kernel image: `xlboot_kernel::inspect` with a 4 MiB output cap (whole-file
//! gunzip, bzImage setup header and its init_size cap, payload compressor and its
//! framing, every decoder bzip2 included, ELF headers, notes in segments and sections,
//! the legacy `__xen_guest` string, the loaded extent, the capability rules). Seeds:
//! small real ELF files carrying Linux's Xen notes (from the fixture kernel) or a
//! `__xen_guest` section, made by `objcopy`, whole and compressed by every real
//! compressor, bzImages of the fixture kernel's setup code with those payloads, and
//! the NetBSD and FreeBSD note sets of crates/xlboot-kernel/tests/bsd built by `as` and
//! `ld`, plain and gzip-compressed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_kernel::{inspect, unwrap_elf};

const CAP: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(unwrapped) = unwrap_elf(data, CAP) {
        assert!(unwrapped.elf.len() <= CAP.max(data.len()));
    }
    if let Ok(kernel) = inspect(data, CAP) {
        assert!(kernel.elf_size <= CAP.max(data.len()));
        assert!(kernel.xen.note_count <= 256);
        if let Some((start, end)) = kernel.memory {
            assert!(start <= end);
        }
        // The image as is never boots where its ELF does not.
        if kernel.capability.pv.is_ok() {
            assert_eq!(kernel.capability.pv, kernel.elf_capability.pv);
        }
        if kernel.capability.pvh.is_ok() {
            assert!(kernel.elf_capability.pvh.is_ok());
        }
        // PVH capability is exactly a PHYS32_ENTRY note inside the loaded extent (when
        // the kernel may run as domU).
        if kernel.elf_capability.pvh.is_ok() {
            let entry = kernel.xen.phys32_entry.expect("PVH without PHYS32_ENTRY") & 0xffff_ffff;
            let (start, end) = kernel.memory.expect("PVH without a loadable segment");
            assert!(start <= entry && entry <= end);
        }
    }
});

//! Bytes as a kernel image: `xlboot_kernel::inspect` with a 4 MiB output cap (bzImage
//! setup header, payload compressor and its framing, ELF headers, notes, the legacy
//! `__xen_guest` string, the capability rules). Seeds: small real ELF files carrying
//! Linux's Xen notes (from the fixture kernel) or a `__xen_guest` section, made by
//! `objcopy`, whole and compressed by every real compressor, and bzImages of the
//! fixture kernel's setup code with those payloads.
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
        // PVH capability is exactly the PHYS32_ENTRY note (when the kernel may run as domU).
        if kernel.capability.pvh.is_ok() {
            assert!(kernel.xen.phys32_entry.is_some());
        }
    }
});

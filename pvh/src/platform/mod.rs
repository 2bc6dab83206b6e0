//! Everything in the loader that needs `unsafe`, and nothing else.
//!
//! - [`entry`]: the 32-bit PVH entry (`XEN_ELFNOTE_PHYS32_ENTRY`), page tables, long
//!   mode, SSE, stack and `.bss`, then [`crate::main`] with the start info copied out;
//! - [`exceptions`]: an IDT whose handler names any CPU exception and ends the
//!   domain, instead of a silent triple fault;
//! - [`hypercall`]: the hypercall page and one safe function per hypercall used;
//! - [`shared_page`]: pages shared with Xen and other domains, accessed by volatile
//!   loads and stores at checked offsets;
//! - [`heap`]: the global allocator over a RAM region from the memory map, from its
//!   top down;
//! - [`handover`]: the kernel's segments written, and the jump to its PVH entry;
//! - [`clock`]: elapsed time from the TSC, for progress lines;
//! - [`one_cpu`]: a cell for globals, sound because the loader runs on one vCPU with
//!   interrupts off;
//! - [`mem_functions`]: `memcpy` and friends, which the compiler calls and no C
//!   library provides here.
//!
//! The rest of the loader is safe code: it gets pages and hypercalls only through the
//! functions here, which check what they are given.

pub mod clock;
pub mod entry;
mod exceptions;
pub mod handover;
pub mod heap;
pub mod hypercall;
mod mem_functions;
pub mod one_cpu;
pub mod shared_page;

/// Writes bytes to Xen's debug port (0xE9): Xen prints them in its own log (`xl
/// dmesg`, and the serial console with `guest_loglvl=all`) as `(dN) ...`. It works
/// before the PV console is up and after it failed, so early and fatal messages use it.
pub fn debug_port_write(bytes: &[u8]) {
    for b in bytes {
        // SAFETY: an OUT to port 0xE9 has no effect on this guest's memory; Xen
        // emulates the port for every HVM-container domain.
        unsafe {
            core::arch::asm!("out dx, al", in("dx") 0xe9u16, in("al") *b, options(nomem, nostack, preserves_flags));
        }
    }
}

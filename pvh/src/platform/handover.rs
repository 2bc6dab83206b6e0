//! Starting the kernel: its segments written where its ELF header says, then a jump
//! to its `XEN_ELFNOTE_PHYS32_ENTRY` in the state Xen's PVH ABI gives a kernel
//! (`docs/misc/pvh.pandoc`), the state Xen started the loader in:
//!
//! - `%ebx`: the physical address of the `hvm_start_info`;
//! - CR0: PE set (and ET, which is fixed), paging and everything else clear; CR4
//!   clear (no PAE: paging is off); EFER.LME clear, so the CPU is in plain 32-bit
//!   protected mode;
//! - CS a 32-bit flat code segment, DS, ES, SS (and FS, GS) a flat data segment,
//!   base 0, limit 4 GiB;
//! - EFLAGS with only the fixed bit 1 set: interrupts (IF) off, no trap flag, no
//!   virtual-8086 mode;
//! - no IDT (base and limit 0), as Xen starts it: the loader's own (its exception
//!   handlers, in memory the kernel reuses) is unloaded first.
//!
//! Leaving long mode (Intel SDM vol. 3, 10.8.5.4; AMD APM vol. 2, 14.7): jump to a
//! 32-bit code segment (compatibility mode) by a far return, clear CR0.PG (the CPU
//! leaves IA-32e mode; the code runs on because it is identity-mapped), then clear
//! EFER.LME and CR4. The code and the GDT it uses are in the loader's image at
//! 1 MiB, which no segment may overlap ([`place`] checks), and below 4 GiB.

use alloc::vec::Vec;

use xlboot_xen::placement::{self, Busy, PlacementError};
use xlboot_xen::start_info::Region;

use super::entry::MAPPED_END;
use super::heap;

core::arch::global_asm!(
    r#"
    .section .text.pvh_handover, "ax"
    .code64
    .global pvh_handover
pvh_handover:
    cli
    mov %edi, %ebp                      /* the kernel's entry (below 4 GiB) */
    mov %esi, %ebx                      /* its start info (below 4 GiB) */
    lidt empty_idt(%rip)                /* no IDT, as Xen starts a PVH guest */
    pushq $0x18                         /* 32-bit code segment of the loader's GDT */
    pushq $1f
    lretq

    .code32
1:  mov %cr0, %eax
    and $~(1 << 31), %eax               /* PG off: out of long mode */
    mov %eax, %cr0
    mov $0xc0000080, %ecx               /* EFER */
    rdmsr
    and $~(1 << 8), %eax                /* LME off */
    wrmsr
    xor %eax, %eax
    mov %eax, %cr4
    mov $0x11, %eax                     /* PE, ET */
    mov %eax, %cr0
    mov $0x10, %eax                     /* flat data */
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    pushl $2                            /* EFLAGS: only the fixed bit */
    popfl
    jmp *%ebp
    .code64                             /* for the assembly that follows this block */

    .section .rodata.pvh_handover, "a"
    .balign 8
empty_idt:
    .word 0
    .quad 0
"#,
    options(att_syntax)
);

extern "C" {
    fn pvh_handover(entry: u64, start_info: u64) -> !;
    static __image_start: u8;
    static __image_end: u8;
}

/// One `PT_LOAD` segment: `bytes` (`p_filesz` of them) go to `paddr`, zeros after
/// them up to `memsz`.
pub struct Segment<'a> {
    /// `p_paddr`.
    pub paddr: u64,
    /// The segment's bytes in the ELF file.
    pub bytes: &'a [u8],
    /// `p_memsz`, at least `bytes.len()`.
    pub memsz: u64,
}

/// Segments checked by [`place`]: inside RAM, clear of everything the loader uses.
pub struct Placed<'a> {
    segments: Vec<Segment<'a>>,
}

/// The loader's image: code, data, the GDT and the hand-over code, page tables,
/// stack, the hypercall and grant table pages.
pub fn image() -> (u64, u64) {
    (
        core::ptr::addr_of!(__image_start) as u64,
        core::ptr::addr_of!(__image_end) as u64,
    )
}

/// Checks every segment against the memory map (`memory`) and what the loader still
/// needs: `named` ranges (the initrd and the start info, named in the message, inside
/// the heap), its image and its live heap data. Then moves the heap's floor above
/// the segments below it, so later allocations stay clear of them.
pub fn place<'a>(
    segments: Vec<Segment<'a>>,
    memory: &[Region],
    named: &[Busy],
) -> Result<Placed<'a>, PlacementError> {
    let (image_start, image_end) = image();
    let (heap_low, heap_end) = heap::live();
    let mut busy: Vec<Busy> = named.to_vec();
    busy.push(Busy {
        what: "the loader's image (code, stack, page tables)",
        start: image_start,
        end: image_end,
    });
    busy.push(Busy {
        what: "the loader's heap (the kernel file, its ELF, the initrd, the start info)",
        start: heap_low,
        end: heap_end,
    });
    let mut floor = 0u64;
    for s in &segments {
        if (s.bytes.len() as u64) > s.memsz {
            return Err(PlacementError::Overflow {
                start: s.paddr,
                size: s.memsz,
            });
        }
        placement::check(s.paddr, s.memsz, memory, MAPPED_END, &busy)?;
        let end = s.paddr.saturating_add(s.memsz);
        if end <= heap_low {
            floor = floor.max(end);
        }
    }
    heap::protect_below(floor);
    Ok(Placed { segments })
}

/// Writes the segments and jumps to `entry` with `start_info` in `%ebx`; does not
/// return. Call it last: the loader's heap data below its floor may be overwritten.
pub fn start(placed: Placed<'_>, entry: u32, start_info: u32) -> ! {
    for s in &placed.segments {
        let dst = s.paddr as usize as *mut u8;
        // SAFETY: `place` checked that `[paddr, paddr + memsz)` is RAM below
        // MAPPED_END (so identity-mapped and writable) and overlaps neither the
        // image (this code, the stack, the page tables) nor live heap data, which
        // holds `bytes`: the ranges are disjoint. `bytes.len() <= memsz` (checked).
        unsafe {
            core::ptr::copy_nonoverlapping(s.bytes.as_ptr(), dst, s.bytes.len());
            core::ptr::write_bytes(
                dst.add(s.bytes.len()),
                0,
                (s.memsz as usize).saturating_sub(s.bytes.len()),
            );
        }
    }
    // SAFETY: the kernel is in place; `entry` lies in one of its segments (its PVH
    // capability was checked against them) and the start info is in the heap,
    // which no segment overlaps. Nothing of the loader runs after this.
    unsafe { pvh_handover(u64::from(entry), u64::from(start_info)) }
}

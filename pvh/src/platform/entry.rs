//! The PVH entry: from Xen's 32-bit start to safe Rust.
//!
//! Xen starts a PVH guest at the address of its `XEN_ELFNOTE_PHYS32_ENTRY` note in
//! 32-bit protected mode, paging off, interrupts off, flat segments, with the
//! physical address of `struct hvm_start_info` in `%ebx` (`docs/misc/pvh.pandoc`).
//! `pvh_start` zeroes `.bss`, identity-maps the first 4 GiB with 2 MiB pages (the image,
//! the heap, the start info and the console and xenstore pages all lie below 4 GiB),
//! enables PAE, long mode and SSE (the compiler uses SSE registers for ordinary
//! copies), loads a 64-bit GDT and calls [`pvh_main`] on a 1 MiB stack.

use alloc::string::String;
use alloc::vec::Vec;

use xlboot_xen::start_info::{self, Region, StartInfo};

use super::{debug_port_write, heap, hypercall};

core::arch::global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* descriptor size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .bss.pvh_boot, "aw", @nobits
    .balign 4096
pml4:       .skip 4096
pdpt:       .skip 4096
page_dirs:  .skip 4 * 4096
    .global hypercall_page
hypercall_page: .skip 4096
    .global grant_table_page
grant_table_page: .skip 4096
boot_stack: .skip 1024 * 1024
boot_stack_top:

    .section .rodata.pvh_gdt, "a"
    .balign 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
    .quad 0x00cf9a000000ffff    /* 0x18: 32-bit code, for the hand-over to the kernel */
gdt_end:
gdt_pointer:
    .word gdt_end - gdt - 1
    .long gdt

    .section .text.pvh_entry, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    mov %ebx, %esi                      /* start info, kept for pvh_main */

    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $pdpt + 3, %eax                 /* present, writable */
    mov %eax, pml4
    mov $pdpt, %edi
    mov $page_dirs + 3, %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b
    mov $page_dirs, %edi
    mov $0x83, %eax                     /* present, writable, 2 MiB page */
    mov $2048, %ecx
2:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 2b

    mov %cr4, %eax
    or $(1 << 5) | (1 << 9) | (1 << 10), %eax   /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx               /* EFER */
    rdmsr
    or $(1 << 8), %eax                  /* LME */
    wrmsr
    mov %cr0, %eax
    and $~(1 << 2), %eax                /* no EM: SSE instructions run */
    or $(1 << 31) | (1 << 1) | 1, %eax  /* PG, MP, PE */
    mov %eax, %cr0
    lgdt gdt_pointer
    ljmp $0x08, $3f

    .code64
3:  mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $boot_stack_top, %esp
    mov %esi, %edi
    call pvh_main
4:  hlt
    jmp 4b
"#,
    options(att_syntax)
);

extern "C" {
    static __image_end: u8;
}

/// What the loader learns from Xen at its entry, copied out of the start info.
pub struct Boot {
    /// The start info's fields.
    pub start_info: StartInfo,
    /// The memory map.
    pub memory: Vec<Region>,
    /// The command line (xl.cfg `extra=` / `cmdline=`), printable ASCII.
    pub cmdline: String,
    /// The heap, `[start, end)`.
    pub heap: (u64, u64),
}

/// The first byte above the identity map: nothing at or past it can be read.
pub const MAPPED_END: u64 = 1 << 32;

/// Copies `out.len()` bytes of physical memory at `paddr`, which must lie in the
/// identity map; returns false (and copies nothing) if it does not.
fn read_physical(paddr: u64, out: &mut [u8]) -> bool {
    let Ok(len) = u64::try_from(out.len()) else {
        return false;
    };
    if paddr == 0 || paddr.checked_add(len).is_none_or(|end| end > MAPPED_END) {
        return false;
    }
    for (i, b) in out.iter_mut().enumerate() {
        // SAFETY: every address below MAPPED_END is mapped (entry's page tables);
        // what Xen left there is plain bytes, read once.
        *b = unsafe { core::ptr::read_volatile((paddr as usize + i) as *const u8) };
    }
    true
}

fn fail(what: &str) -> ! {
    debug_port_write(b"xlboot-pvh: ");
    debug_port_write(what.as_bytes());
    debug_port_write(b"\n");
    hypercall::shutdown(hypercall::Shutdown::Crash)
}

/// Called by `pvh_start` in long mode, with the start info's physical address.
#[no_mangle]
extern "C" fn pvh_main(start_info_paddr: u64) -> ! {
    super::exceptions::install();
    if hypercall::init().is_err() {
        // Not on Xen (QEMU's own PVH boot, for development): hypercalls fail with
        // ENOSYS from here on, and the shutdown halts the vCPU.
        debug_port_write(b"xlboot-pvh: not running on Xen (no hypervisor CPUID leaves)\n");
    }
    let mut raw = [0u8; start_info::LEN];
    if !read_physical(start_info_paddr, &mut raw) {
        fail("the start info is outside memory");
    }
    let info = match StartInfo::parse(&raw) {
        Ok(info) => info,
        Err(_) => fail("the start info is not Xen's PVH start info"),
    };
    let mut map = [0u8; start_info::MEMMAP_ENTRY_LEN * start_info::MAX_MEMMAP_ENTRIES as usize];
    let map = map.get_mut(..info.memmap_len()).unwrap_or(&mut []);
    if !read_physical(info.memmap_paddr, map) {
        fail("the memory map is outside memory");
    }
    let mut line = [0u8; start_info::MAX_CMDLINE];
    if info.cmdline_paddr != 0 {
        // The line may end less than its maximum before the end of the map.
        let room = MAPPED_END.saturating_sub(info.cmdline_paddr);
        let len = line.len().min(usize::try_from(room).unwrap_or(0));
        if !read_physical(info.cmdline_paddr, &mut line[..len]) {
            fail("the command line is outside memory");
        }
    }
    let image_end = core::ptr::addr_of!(__image_end) as u64;
    let Some(heap) = start_info::largest_ram(start_info::regions(map), image_end, MAPPED_END)
    else {
        fail("no RAM above the image for the heap");
    };
    heap::init(heap.0, heap.1);
    let boot = Boot {
        start_info: info,
        memory: start_info::regions(map).collect(),
        cmdline: start_info::cmdline(&line),
        heap,
    };
    crate::main(boot)
}

//! Hypercalls through the hypercall page, one safe function per call the loader makes.
//!
//! An HVM-container guest finds Xen by its CPUID leaves (`XenVMMXenVMM` at 0x40000000
//! or a multiple of 0x100 above, when Viridian leaves come first) and asks Xen to
//! write the hypercall page by writing its address to the MSR leaf +2 names. Entry `n`
//! of the page, at `n * 32`, is hypercall `n` (`mov $n, %eax; vmcall/vmmcall; ret`),
//! with arguments in rdi, rsi, rdx, r10, r8 and the result in rax. Pointer arguments
//! are guest virtual addresses, here equal to physical ones.

use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

const MEMORY_OP: usize = 12;
const SCHED_OP: usize = 29;
const EVENT_CHANNEL_OP: usize = 32;
const HVM_OP: usize = 34;

const XENMEM_POPULATE_PHYSMAP: u64 = 6;
const XENMEM_ADD_TO_PHYSMAP: u64 = 7;
const XENMEM_REMOVE_FROM_PHYSMAP: u64 = 15;
const XENMAPSPACE_GRANT_TABLE: u32 = 1;
const SCHEDOP_YIELD: u64 = 0;
const SCHEDOP_SHUTDOWN: u64 = 2;
const EVTCHNOP_CLOSE: u64 = 3;
const EVTCHNOP_SEND: u64 = 4;
const EVTCHNOP_ALLOC_UNBOUND: u64 = 6;
const HVMOP_GET_PARAM: u64 = 1;
/// `DOMID_SELF`.
const DOMID_SELF: u16 = 0x7ff0;

extern "C" {
    static hypercall_page: u8;
    static grant_table_page: u8;
}

static READY: AtomicBool = AtomicBool::new(false);
/// Xen's first CPUID leaf, 0 until [`init`] finds it.
static CPUID_BASE: AtomicU32 = AtomicU32::new(0);

/// A hypercall failed with this (negative) errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i64);

/// Finds Xen and has it write the hypercall page; `Err` when not on Xen.
pub fn init() -> Result<(), ()> {
    for base in (0x4000_0000u32..0x4001_0000).step_by(0x100) {
        let id = __cpuid(base);
        let xen = (id.ebx, id.ecx, id.edx) == (0x566e_6558, 0x6558_4d4d, 0x4d4d_566e);
        if xen && id.eax >= base + 2 {
            let msr = __cpuid(base + 2).ebx;
            let page = core::ptr::addr_of!(hypercall_page) as u64;
            // SAFETY: the MSR Xen named for this; Xen writes the page we own.
            unsafe {
                core::arch::asm!("wrmsr", in("ecx") msr, in("eax") page as u32,
                    in("edx") (page >> 32) as u32, options(nostack));
            }
            READY.store(true, Ordering::Relaxed);
            CPUID_BASE.store(base, Ordering::Relaxed);
            return Ok(());
        }
    }
    Err(())
}

/// The guest's TSC frequency in kHz, from Xen's time leaf (base + 3, sub-leaf 0,
/// `ecx`); `None` when not on Xen or Xen does not say.
pub fn tsc_khz() -> Option<u32> {
    let base = CPUID_BASE.load(Ordering::Relaxed);
    if base == 0 || __cpuid(base).eax < base + 3 {
        return None;
    }
    Some(__cpuid_count(base + 3, 0).ecx).filter(|&khz| khz != 0)
}

/// Makes hypercall `nr` with three arguments.
///
/// # Safety
/// The arguments must be what hypercall `nr` expects: pointers to live, correctly laid
/// out structures that Xen may read and write.
unsafe fn call(nr: usize, a1: u64, a2: u64, a3: u64) -> i64 {
    if !READY.load(Ordering::Relaxed) {
        return -38; // ENOSYS
    }
    let entry = core::ptr::addr_of!(hypercall_page) as usize + nr * 32;
    let ret: i64;
    // SAFETY: the caller guarantees the arguments; Xen's stub preserves all but the
    // argument registers and rax (rcx and r11 are given up too, to be safe).
    unsafe {
        core::arch::asm!(
            "call {entry}",
            entry = in(reg) entry,
            lateout("rax") ret,
            inlateout("rdi") a1 => _,
            inlateout("rsi") a2 => _,
            inlateout("rdx") a3 => _,
            lateout("rcx") _,
            lateout("r8") _,
            lateout("r10") _,
            lateout("r11") _,
        );
    }
    ret
}

fn result(ret: i64) -> Result<i64, Errno> {
    if ret < 0 {
        Err(Errno(ret))
    } else {
        Ok(ret)
    }
}

/// Reads an HVM parameter of this domain (`HVMOP_get_param`).
pub fn hvm_param(index: u32) -> Result<u64, Errno> {
    #[repr(C)]
    struct HvmParam {
        domid: u16,
        index: u32,
        value: u64,
    }
    let mut p = HvmParam {
        domid: DOMID_SELF,
        index,
        value: 0,
    };
    // SAFETY: a live `xen_hvm_param` for HVMOP_get_param.
    result(unsafe {
        call(
            HVM_OP,
            HVMOP_GET_PARAM,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })?;
    Ok(p.value)
}

/// Signals event channel `port` (`EVTCHNOP_send`).
pub fn evtchn_send(port: u32) -> Result<(), Errno> {
    let mut p = port;
    // SAFETY: a live `evtchn_send`.
    result(unsafe {
        call(
            EVENT_CHANNEL_OP,
            EVTCHNOP_SEND,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })
    .map(drop)
}

/// Closes event channel `port` of this domain (`EVTCHNOP_close`); the other end's
/// binding, if any, becomes unbound.
pub fn evtchn_close(port: u32) -> Result<(), Errno> {
    let mut p = port;
    // SAFETY: a live `evtchn_close`.
    result(unsafe {
        call(
            EVENT_CHANNEL_OP,
            EVTCHNOP_CLOSE,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })
    .map(drop)
}

/// A new event channel that domain `remote` may bind (`EVTCHNOP_alloc_unbound`).
pub fn evtchn_alloc_unbound(remote: u16) -> Result<u32, Errno> {
    #[repr(C)]
    struct AllocUnbound {
        dom: u16,
        remote_dom: u16,
        port: u32,
    }
    let mut p = AllocUnbound {
        dom: DOMID_SELF,
        remote_dom: remote,
        port: 0,
    };
    // SAFETY: a live `evtchn_alloc_unbound`.
    result(unsafe {
        call(
            EVENT_CHANNEL_OP,
            EVTCHNOP_ALLOC_UNBOUND,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })?;
    Ok(p.port)
}

/// Maps frame 0 of this domain's grant table over the page reserved for it
/// (`XENMEM_add_to_physmap`, `XENMAPSPACE_grant_table`) and returns that page.
pub fn map_grant_table() -> Result<super::shared_page::SharedPage, Errno> {
    #[repr(C)]
    struct AddToPhysmap {
        domid: u16,
        size: u16,
        space: u32,
        idx: u64,
        gpfn: u64,
    }
    let base = core::ptr::addr_of!(grant_table_page) as usize;
    let mut p = AddToPhysmap {
        domid: DOMID_SELF,
        size: 0,
        space: XENMAPSPACE_GRANT_TABLE,
        idx: 0,
        gpfn: grant_table_gfn(),
    };
    // SAFETY: a live `xen_add_to_physmap`; the frame replaced is ours and unused.
    result(unsafe {
        call(
            MEMORY_OP,
            XENMEM_ADD_TO_PHYSMAP,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })?;
    // SAFETY: the page is reserved for the grant table, page-aligned, mapped.
    Ok(unsafe { super::shared_page::SharedPage::at(base) })
}

/// The guest frame of the page reserved for the grant table.
fn grant_table_gfn() -> u64 {
    (core::ptr::addr_of!(grant_table_page) as usize >> 12) as u64
}

/// Takes grant table frame 0 out of this domain's physical address space again
/// (`XENMEM_remove_from_physmap`): the frame stays the table's, the page's guest frame
/// becomes a hole. The loader must not touch the page until
/// [`repopulate_grant_table_page`] has put RAM there.
pub fn unmap_grant_table() -> Result<(), Errno> {
    #[repr(C)]
    struct RemoveFromPhysmap {
        domid: u16,
        gpfn: u64,
    }
    let mut p = RemoveFromPhysmap {
        domid: DOMID_SELF,
        gpfn: grant_table_gfn(),
    };
    // SAFETY: a live `xen_remove_from_physmap`; the frame removed is the grant table
    // frame [`map_grant_table`] put there, which nothing but the grant code uses.
    result(unsafe {
        call(
            MEMORY_OP,
            XENMEM_REMOVE_FROM_PHYSMAP,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })
    .map(drop)
}

/// Puts one page of RAM back at the grant table page's guest frame
/// (`XENMEM_populate_physmap`, one extent of order 0), where the domain's own RAM
/// was until [`map_grant_table`] replaced (and freed) it: the next kernel counts
/// that page as RAM.
pub fn repopulate_grant_table_page() -> Result<(), Errno> {
    #[repr(C)]
    struct MemoryReservation {
        extent_start: u64,
        nr_extents: u64,
        extent_order: u32,
        mem_flags: u32,
        domid: u16,
    }
    let mut gfn = grant_table_gfn();
    let mut p = MemoryReservation {
        extent_start: core::ptr::addr_of_mut!(gfn) as u64,
        nr_extents: 1,
        extent_order: 0,
        mem_flags: 0,
        domid: DOMID_SELF,
    };
    // SAFETY: a live `xen_memory_reservation` whose extent list is one live frame
    // number; the frame is the hole [`unmap_grant_table`] left.
    let done = result(unsafe {
        call(
            MEMORY_OP,
            XENMEM_POPULATE_PHYSMAP,
            core::ptr::addr_of_mut!(p) as u64,
            0,
        )
    })?;
    // The call returns how many extents it populated.
    if done != 1 {
        return Err(Errno(-12)); // ENOMEM
    }
    Ok(())
}

/// Lets other vCPUs and domains run (`SCHEDOP_yield`): the loader polls its rings.
pub fn yield_cpu() {
    // SAFETY: SCHEDOP_yield takes no argument.
    let _ = unsafe { call(SCHED_OP, SCHEDOP_YIELD, 0, 0) };
}

/// How the domain ends.
#[derive(Debug, Clone, Copy)]
pub enum Shutdown {
    /// `SHUTDOWN_poweroff`: done (or failed with a message shown).
    Poweroff = 0,
    /// `SHUTDOWN_crash`: a panic.
    Crash = 3,
}

/// Ends the domain (`SCHEDOP_shutdown`).
pub fn shutdown(how: Shutdown) -> ! {
    let mut reason = how as u32;
    // SAFETY: a live `sched_shutdown`.
    let _ = unsafe {
        call(
            SCHED_OP,
            SCHEDOP_SHUTDOWN,
            core::ptr::addr_of_mut!(reason) as u64,
            0,
        )
    };
    loop {
        // SAFETY: with interrupts off this stops the vCPU for good.
        unsafe { core::arch::asm!("hlt", options(nomem, nostack)) };
    }
}

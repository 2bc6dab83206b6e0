//! Elapsed time, for the lines that say how long a step took: the TSC, scaled by the
//! frequency Xen reports for it.

use super::hypercall;

/// Milliseconds since an arbitrary start, or `None` without a known TSC frequency.
pub fn now_ms() -> Option<u64> {
    let khz = u64::from(hypercall::tsc_khz()?);
    // SAFETY: RDTSC reads a counter; the guest runs with tsc_mode = "native" in the
    // harness, and Xen emulates it otherwise. It touches no memory.
    let tsc = unsafe { core::arch::x86_64::_rdtsc() };
    Some(tsc / khz)
}

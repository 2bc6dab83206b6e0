//! Bounded waiting. The loader polls its rings (it runs with interrupts off, so no
//! event ever interrupts it) and yields the vCPU between polls, so that dom0's
//! daemons and backends run; a count of polls bounds every wait, so a backend that
//! never answers ends in an error instead of a hang.

use alloc::string::String;

use crate::platform::hypercall;

/// Polls before giving up: each is a yield to Xen's scheduler, so this is minutes
/// under emulation and seconds on hardware.
pub const POLLS: u32 = 5_000_000;

/// One wait's remaining polls.
pub struct Patience {
    left: u32,
    what: &'static str,
}

impl Patience {
    /// A new wait for `what` (named in the error).
    pub fn new(what: &'static str) -> Self {
        Patience { left: POLLS, what }
    }

    /// Yields once; `Err` when the patience is spent.
    pub fn wait(&mut self) -> Result<(), String> {
        if self.left == 0 {
            return Err(alloc::format!(
                "no answer from {} after {POLLS} polls",
                self.what
            ));
        }
        self.left -= 1;
        hypercall::yield_cpu();
        Ok(())
    }
}

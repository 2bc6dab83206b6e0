//! Bounded waiting. The loader polls its rings (it runs with interrupts off, so no
//! event ever interrupts it) and yields the vCPU between polls, so that dom0's
//! daemons and backends run; every wait ends in an error instead of a hang when a
//! backend never answers.
//!
//! The bound is time, from the TSC ([`clock::now_ms`]): a count of polls alone would
//! be minutes under emulation but a few seconds on an idle host, where a yield returns
//! at once, too short for a busy backend. Without a TSC frequency from Xen the count
//! is the bound.

use alloc::string::String;

use crate::platform::{clock, hypercall};

/// How long one wait may take.
pub const TIMEOUT_MS: u64 = 120_000;

/// Polls before giving up when there is no clock.
pub const POLLS: u32 = 5_000_000;

/// One wait's remaining time (or polls).
pub struct Patience {
    deadline_ms: Option<u64>,
    left: u32,
    what: &'static str,
}

impl Patience {
    /// A new wait for `what` (named in the error).
    pub fn new(what: &'static str) -> Self {
        Patience {
            deadline_ms: clock::now_ms().map(|now| now.saturating_add(TIMEOUT_MS)),
            left: POLLS,
            what,
        }
    }

    /// Yields once; `Err` when the patience is spent.
    pub fn wait(&mut self) -> Result<(), String> {
        let spent = match (self.deadline_ms, clock::now_ms()) {
            (Some(deadline), Some(now)) => now >= deadline,
            _ => self.left == 0,
        };
        if spent {
            return Err(match self.deadline_ms {
                Some(_) => alloc::format!(
                    "no answer from {} within {} s",
                    self.what,
                    TIMEOUT_MS / 1000
                ),
                None => alloc::format!("no answer from {} after {POLLS} polls", self.what),
            });
        }
        self.left = self.left.saturating_sub(1);
        hypercall::yield_cpu();
        Ok(())
    }
}

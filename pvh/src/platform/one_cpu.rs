//! Globals for a program that runs on one CPU with interrupts off.

use core::cell::RefCell;

/// A `RefCell` that may live in a `static`.
///
/// The loader runs on one vCPU and never enables interrupts, so a `static` is never
/// touched from two threads of execution; the `RefCell` still catches re-entry (a
/// panic while the console is borrowed), which [`OneCpu::with`] reports as `None`
/// instead of panicking again.
pub struct OneCpu<T>(RefCell<T>);

// SAFETY: one vCPU, no interrupts, no threads: there is no concurrent access.
unsafe impl<T> Sync for OneCpu<T> {}

impl<T> OneCpu<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        OneCpu(RefCell::new(value))
    }

    /// Runs `f` on the value, or returns `None` if it is already borrowed.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.try_borrow_mut().ok().map(|mut v| f(&mut v))
    }
}

//! Reading a guest disk: positional reads, windows onto partitions, and the partition
//! tables that say where those windows are.
//!
//! Every byte comes from whoever controls the guest, so nothing here trusts a length,
//! a count or an offset read from the disk. The crate does no I/O of its own: the
//! binary implements [`BlockDevice`] over a file descriptor, and later the in-guest
//! loader over Xen's block frontend.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

extern crate alloc;

pub mod block;

pub use block::{BlockDevice, IoError, Window};

//! From a guest disk to the entry the guest's own boot loader would boot.
//!
//! This crate joins the format crates: it finds the volumes of a disk, probes each for
//! a filesystem, looks for a boot config where pygrub looks, evaluates it, and selects
//! the entry (the default, or one the user names). It does no I/O of its own and needs
//! no `std`, so the dom0 binary, the fuzz targets and a later in-guest loader all run the
//! same decisions.
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

pub mod config_search;
pub mod decide;
pub mod error;
pub mod fstab;
pub mod grubenv_update;
pub mod guest;
pub mod limits;

pub use decide::{Choice, Decider};
pub use error::{BootError, ErrorKind};
pub use guest::{Found, Guest, Volume};
pub use limits::Limits;

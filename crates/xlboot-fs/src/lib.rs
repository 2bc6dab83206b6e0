//! Read-only filesystems on guest volumes, behind one interface ([`FileSystem`]).
//!
//! Each filesystem module mirrors its on-disk structures one file each. Path
//! resolution, symlinks included, lives once in [`path`], above every filesystem, so
//! that every filesystem resolves absolute links inside the guest's root and spends
//! the same hop budget.
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

pub mod error;
pub mod vfs;

pub use error::FsError;
pub use vfs::{FileKind, FileSystem, FsInfo, Metadata, NodeId};

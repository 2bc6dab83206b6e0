//! Reading a guest disk: positional reads, windows onto partitions, and the partition
//! tables that say where those windows are.
//!
//! Every byte comes from whoever controls the guest, so nothing here trusts a length,
//! a count or an offset read from the disk. The crate does no I/O of its own: the
//! binary implements [`BlockDevice`] over a file descriptor, and later the in-guest
//! loader over Xen's block frontend.
//!
//! Entry points: [`discover`] (the volumes to try, in table order) and [`scan`] (the
//! same with the broken partitions and the GPT copy used), then
//! [`Volume::window`] to read one volume through a [`Window`]. One on-disk structure
//! per module: [`mbr`], [`ebr`], [`gpt_header`], [`gpt_entry`]; [`volumes`] holds the rules.
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
pub mod block_cache;

pub use block::{BlockDevice, IoError, Window};
mod bytes;
pub mod crc32;
pub mod ebr;
pub mod error;
pub mod gpt_entry;
pub mod gpt_header;
pub mod guid;
pub mod lvm;
pub mod mbr;
pub mod md;
pub mod qcow2;
pub mod vhd;
pub mod volumes;

pub use error::{Corrupt, DiskError, EbrProblem, PartitionProblem, Unsupported};
pub use guid::Guid;
pub use volumes::{discover, scan, GptCopy, GptInfo, PartType, PartitionTable, Scheme, Volume};

//! The Xen guest protocols the in-guest loader (`pvh/`) speaks, as safe code that the
//! host can test and fuzz.
//!
//! Everything here works on a [`SharedMemory`] page or on bytes copied out of guest
//! memory: the loader's platform module gives it the real pages, the tests and fuzz
//! targets give it [`PlainPage`]s. The other end of every ring (xenconsoled,
//! xenstored, blkback) runs in another domain and is not trusted to keep the rings
//! consistent: an index that runs ahead, a length past the payload, a reply to a
//! request never sent are errors here, never a panic or a read out of bounds.
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

pub mod blkif;
pub mod cmdline;
pub mod console;
pub mod frontend_reset;
pub mod grant_table;
pub mod memory;
pub mod placement;
pub mod ring_index;
pub mod start_info;
pub mod start_info_writer;
pub mod xenbus_state;
pub mod xenstore;

pub use memory::{PlainPage, SharedMemory, PAGE_SIZE};

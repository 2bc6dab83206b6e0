//! Boot loader configs, evaluated as the guest's own boot loader evaluates them, into
//! one menu model ([`menu::Menu`]) from which the entry to boot is chosen.
//!
//! - [`grub2::evaluate`]: a GRUB 2 `grub.cfg`, run as GRUB 2 runs it (lexer, parser,
//!   interpreter, built-in commands), into a [`Menu`] with its default resolved.
//! - [`grub_legacy::evaluate`]: a GRUB legacy `menu.lst` / `grub.conf`, run as
//!   GRUB 0.97 runs it.
//! - [`lilo::evaluate`]: LILO's `lilo.conf`, as `/sbin/lilo` installs it and its
//!   second stage boots it.
//! - [`grubenv`]: GRUB's environment block, read as GRUB reads it.
//! - [`select`]: GRUB's default rules and xlboot's `--entry` lookup
//!   ([`select::find_entry`]); [`Menu::flatten`] lists entries for `-l`.
//!
//! Configs are hostile input: evaluation is bounded (sizes, nesting, loop iterations,
//! `source` depth) and never runs anything. Files are reached only through
//! [`host::ConfigHost`], which the binary implements over the guest's volumes.
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

pub mod bls;
pub mod error;
pub mod grub2;
pub mod grub_legacy;
pub mod grubenv;
pub mod host;
pub mod lilo;
pub mod menu;
pub mod select;
pub mod syslinux;

pub use error::{ConfigError, ConfigErrorKind};
pub use grub2::{evaluate as evaluate_grub2, EvalContext, Evaluated, Limits};
pub use host::{ConfigHost, Device, FilePath, HostError, PathRoot, LIST_DIR_UNAVAILABLE};
pub use menu::{
    BootSpec, Entry, EntryPath, FlatEntry, Hotkey, Menu, MenuItem, MenuKey, MenuLock, MenuUi,
    Restriction, Secret, TimeoutStyle,
};

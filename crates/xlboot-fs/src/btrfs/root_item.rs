//! ROOT_ITEM (`struct btrfs_root_item`): in the root tree, where each tree (each
//! subvolume and snapshot too) starts. Keyed (tree id, ROOT_ITEM, 0), or the
//! creating transaction for snapshots; a directory entry naming a subvolume points at
//! (id, ROOT_ITEM, -1), i.e. the last one.

use alloc::format;

use super::superblock::MAX_LEVEL;
use crate::bytes::{le64, u8_at};
use crate::FsError;

/// Bytes of the item this reader needs (up to and including `level`).
const MIN_SIZE: usize = 239;

/// The fields used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RootItem {
    pub generation: u64,
    /// The tree's root directory (256 for every subvolume).
    pub root_dirid: u64,
    pub bytenr: u64,
    pub level: u8,
}

impl RootItem {
    /// Parses the ROOT_ITEM of tree `id`.
    pub(crate) fn parse(b: &[u8], id: u64) -> Result<RootItem, FsError> {
        let bad = |what: &str| FsError::Corrupt(format!("btrfs: root item of tree {id}: {what}"));
        if b.len() < MIN_SIZE {
            return Err(bad(&format!("{} bytes, under {MIN_SIZE}", b.len())));
        }
        let short = || bad("short");
        let level = u8_at(b, 238).ok_or_else(short)?;
        if level >= MAX_LEVEL {
            return Err(bad(&format!("level {level}")));
        }
        Ok(RootItem {
            generation: le64(b, 160).ok_or_else(short)?,
            root_dirid: le64(b, 168).ok_or_else(short)?,
            bytenr: le64(b, 176).ok_or_else(short)?,
            level,
        })
    }
}

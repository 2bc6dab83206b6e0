//! The btrfs key (`struct btrfs_disk_key`): every item in every tree is addressed by
//! (objectid, type, offset), 17 bytes little-endian, ordered field by field.

use crate::bytes::{le64, u8_at};

/// Size of a key on disk.
pub(crate) const KEY_SIZE: usize = 17;

// Item types (`BTRFS_*_KEY` in the kernel's btrfs_tree.h) that this reader uses.
pub(crate) const INODE_ITEM: u8 = 1;
pub(crate) const DIR_ITEM: u8 = 84;
pub(crate) const DIR_INDEX: u8 = 96;
pub(crate) const EXTENT_DATA: u8 = 108;
pub(crate) const ROOT_ITEM: u8 = 132;
pub(crate) const CHUNK_ITEM: u8 = 228;

// Well-known object ids.
/// The root tree (holds ROOT_ITEMs of all other trees).
pub(crate) const ROOT_TREE_OBJECTID: u64 = 1;
/// The chunk tree (logical to physical mapping).
pub(crate) const CHUNK_TREE_OBJECTID: u64 = 3;
/// The top-level subvolume, `FS_TREE`.
pub(crate) const FS_TREE_OBJECTID: u64 = 5;
/// The root directory of every subvolume, and the first free object id.
pub(crate) const FIRST_FREE_OBJECTID: u64 = 256;
/// The highest object id a subvolume or inode can have (`-256` as u64).
pub(crate) const LAST_FREE_OBJECTID: u64 = u64::MAX - 255;
/// Object id of every CHUNK_ITEM (`BTRFS_FIRST_CHUNK_TREE_OBJECTID`).
pub(crate) const FIRST_CHUNK_TREE_OBJECTID: u64 = 256;

/// One key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub objectid: u64,
    pub ty: u8,
    pub offset: u64,
}

impl Key {
    /// A key from its three parts.
    pub(crate) const fn new(objectid: u64, ty: u8, offset: u64) -> Key {
        Key {
            objectid,
            ty,
            offset,
        }
    }

    /// The key at `off` in `b`, or `None` when it does not fit.
    pub(crate) fn parse(b: &[u8], off: usize) -> Option<Key> {
        Some(Key {
            objectid: le64(b, off)?,
            ty: u8_at(b, off.checked_add(8)?)?,
            offset: le64(b, off.checked_add(9)?)?,
        })
    }
}

impl core::fmt::Display for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "({} {} {})", self.objectid, self.ty, self.offset)
    }
}

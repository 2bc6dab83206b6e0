//! INODE_ITEM (`struct btrfs_inode_item`, 160 bytes), keyed (inode, INODE_ITEM, 0)
//! in the inode's subvolume tree.

use alloc::format;

use crate::bytes::{le32, le64};
use crate::{FileKind, FsError};

/// Size of the item.
const SIZE: usize = 160;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// The fields used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InodeItem {
    pub size: u64,
    pub mode: u32,
    pub flags: u64,
}

/// `BTRFS_INODE_NODATASUM`: the inode's data has no checksums.
const NODATASUM: u64 = 1;

impl InodeItem {
    /// Parses the inode item of inode `ino` in tree `tree`.
    pub(crate) fn parse(b: &[u8], tree: u64, ino: u64) -> Result<InodeItem, FsError> {
        let short = || {
            FsError::Corrupt(format!(
                "btrfs: inode {ino} of tree {tree}: item of {} bytes, under {SIZE}",
                b.len()
            ))
        };
        if b.len() < SIZE {
            return Err(short());
        }
        Ok(InodeItem {
            size: le64(b, 16).ok_or_else(short)?,
            mode: le32(b, 52).ok_or_else(short)?,
            flags: le64(b, 64).ok_or_else(short)?,
        })
    }

    /// Whether its data sectors carry checksums in the checksum tree.
    pub(crate) fn has_data_sums(&self) -> bool {
        self.flags & NODATASUM == 0
    }

    /// Its kind, from the mode's type bits.
    pub(crate) fn kind(&self) -> FileKind {
        match self.mode & S_IFMT {
            S_IFREG => FileKind::Regular,
            S_IFDIR => FileKind::Directory,
            S_IFLNK => FileKind::Symlink,
            _ => FileKind::Other,
        }
    }
}

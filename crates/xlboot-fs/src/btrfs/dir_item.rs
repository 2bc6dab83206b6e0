//! DIR_ITEM and DIR_INDEX (`struct btrfs_dir_item` followed by the name and, for
//! xattrs, a value). Every name is stored twice in its directory: as a DIR_ITEM keyed
//! by the name's hash (several names that collide share one item, one entry after
//! another), used for lookups, and as a DIR_INDEX keyed by a sequence number, used
//! for listings in creation order.

use alloc::format;

use super::key::{Key, KEY_SIZE};
use crate::bytes::{le16, slice, u8_at};
use crate::ext4::checksum::crc32c;
use crate::FsError;

/// Fixed part of an entry: location key, transid, data_len, name_len, type.
const HEADER: usize = KEY_SIZE + 8 + 2 + 2 + 1;
/// Longest name (`BTRFS_NAME_LEN`).
pub(crate) const NAME_MAX: usize = 255;

/// One entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirEntry<'a> {
    /// An INODE_ITEM key for files and directories, a ROOT_ITEM key for subvolumes.
    pub location: Key,
    pub name: &'a [u8],
}

/// The key offset of a DIR_ITEM: `crc32c(~1, name)` without the final inversion, as
/// the kernel's `btrfs_name_hash`.
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    u64::from(crc32c(!1, name))
}

/// Calls `f` with each entry of one item's data; `dir` is the directory's inode,
/// for messages. Stops early when `f` returns `Some`.
pub(crate) fn walk<'a, T>(
    b: &'a [u8],
    dir: u64,
    mut f: impl FnMut(DirEntry<'a>) -> Option<T>,
) -> Result<Option<T>, FsError> {
    let mut pos = 0usize;
    // Each pass consumes at least HEADER bytes.
    while pos < b.len() {
        let bad = |what: &str| {
            FsError::Corrupt(format!(
                "btrfs: directory inode {dir}: entry at byte {pos} of its item: {what}"
            ))
        };
        let location = Key::parse(b, pos).ok_or_else(|| bad("short"))?;
        let data_len = usize::from(le16(b, pos.saturating_add(25)).ok_or_else(|| bad("short"))?);
        let name_len = usize::from(le16(b, pos.saturating_add(27)).ok_or_else(|| bad("short"))?);
        let _ty = u8_at(b, pos.saturating_add(29)).ok_or_else(|| bad("short"))?;
        if name_len == 0 || name_len > NAME_MAX {
            return Err(bad(&format!("name of {name_len} bytes")));
        }
        let name_at = pos.saturating_add(HEADER);
        let name = slice(b, name_at, name_len).ok_or_else(|| bad("name runs past the item"))?;
        let next = name_at.saturating_add(name_len).saturating_add(data_len);
        if next > b.len() {
            return Err(bad("data runs past the item"));
        }
        if let Some(t) = f(DirEntry { location, name }) {
            return Ok(Some(t));
        }
        pos = next;
    }
    Ok(None)
}

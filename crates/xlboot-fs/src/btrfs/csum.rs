//! EXTENT_CSUM items of the checksum tree (tree 7): the checksum of every data sector
//! written with checksums, keyed (`EXTENT_CSUM_OBJECTID`, EXTENT_CSUM, logical address
//! of the first sector); the item is an array of checksums, one per sector, each as
//! long as the filesystem's algorithm makes it (4 bytes for crc32c, 8 for xxhash64,
//! 32 for sha256 and blake2b), the same digest tree blocks carry in their header.
//!
//! What btrfs checksums: the bytes of each sector as they are on disk, so a
//! compressed extent's compressed bytes. Not checksummed: inline extents (inside a
//! checksummed tree block), preallocated extents and holes (nothing was written), and
//! every extent of an inode with the NODATASUM flag (`nodatasum`/`nodatacow`). A
//! sector without a checksum is read as it is, as the kernel reads data written
//! before checksums were kept.

use alloc::format;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use super::checksum::{CsumType, CSUM_SIZE};
use super::key::Key;
use super::tree::{TreeRoot, Trees};
use crate::FsError;

/// The checksum tree's id.
pub(crate) const CSUM_TREE_OBJECTID: u64 = 7;
/// Object id of every EXTENT_CSUM item (`BTRFS_EXTENT_CSUM_OBJECTID`, -10).
const EXTENT_CSUM_OBJECTID: u64 = u64::MAX - 9;
/// Item type of checksum runs.
const EXTENT_CSUM: u8 = 128;

/// Most items one lookup walks: a run of sectors is covered by a few items.
const MAX_ITEMS: usize = 4096;

/// The stored checksums of `count` sectors from logical address `start` (sector
/// aligned): `out[i]` is sector `i`'s, `None` where the tree has none.
pub(crate) fn lookup<D: BlockDevice>(
    trees: &Trees<D>,
    root: &TreeRoot,
    csum: CsumType,
    sector: u64,
    start: u64,
    count: usize,
) -> Result<Vec<Option<[u8; CSUM_SIZE]>>, FsError> {
    let mut out = alloc::vec![None; count];
    let size = csum.digest_len();
    let end = start.saturating_add(sector.saturating_mul(count as u64));
    // The item covering `start` begins at or before it.
    let first = trees
        .find_le(root, &Key::new(EXTENT_CSUM_OBJECTID, EXTENT_CSUM, start))?
        .and_then(|(n, s)| n.key(s))
        .filter(|k| k.objectid == EXTENT_CSUM_OBJECTID && k.ty == EXTENT_CSUM)
        .unwrap_or(Key::new(EXTENT_CSUM_OBJECTID, EXTENT_CSUM, start));
    trees.iter_from(root, &first, MAX_ITEMS, &mut |k, data| {
        if k.objectid != EXTENT_CSUM_OBJECTID || k.ty != EXTENT_CSUM || k.offset >= end {
            return Ok(ControlFlow::Break(()));
        }
        if k.offset.checked_rem(sector) != Some(0) || data.len().checked_rem(size) != Some(0) {
            return Err(FsError::Corrupt(format!(
                "btrfs: checksum item at logical {}: {} bytes, or not sector aligned",
                k.offset,
                data.len()
            )));
        }
        for (i, c) in data.chunks_exact(size).enumerate() {
            let at = k.offset.saturating_add(sector.saturating_mul(i as u64));
            if at < start {
                continue;
            }
            if at >= end {
                break;
            }
            let idx = at
                .saturating_sub(start)
                .checked_div(sector)
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(usize::MAX);
            if let Some(slot) = out.get_mut(idx) {
                let mut field = [0u8; CSUM_SIZE];
                if let Some(f) = field.get_mut(..size) {
                    f.copy_from_slice(c);
                }
                *slot = Some(field);
            }
        }
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(out)
}

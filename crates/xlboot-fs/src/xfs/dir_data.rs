//! Directory data blocks (`xfs_dir2_data_hdr` and its entries), the blocks that hold
//! names in every directory format beyond short-form.
//!
//! A single-block directory (`XD2B`/`XDB3`) ends with a hash-sorted leaf array and a
//! tail (entry count, stale count) after its entries; the data blocks of leaf, node
//! and B-tree directories (`XD2D`/`XDD3`) hold entries up to their end. Entries are
//! 8-byte aligned: inode number, name length, name, file type byte with `ftype`, and
//! a 2-byte tag repeating the entry's own offset; free space is a `0xFFFF` tag and a
//! length. On v5 the header adds a CRC, the block's disk address, the filesystem UUID
//! and the owning inode.

use alloc::format;
use core::ops::ControlFlow;

use super::checksum::verify_crc;
use super::superblock::Superblock;
use super::EntryFn;
use crate::bytes::{be16, be32, be64, slice, u8_at};
use crate::FsError;

const MAGIC_BLOCK_V4: u32 = 0x5844_3242;
const MAGIC_DATA_V4: u32 = 0x5844_3244;
const MAGIC_BLOCK_V5: u32 = 0x5844_4233;
const MAGIC_DATA_V5: u32 = 0x5844_4433;
const HDR_V4: usize = 16;
const HDR_V5: usize = 64;
const CRC_OFF: usize = 4;
/// Tag of a free region.
const FREE_TAG: u16 = 0xFFFF;
/// Size of a single-block directory's tail, and of one of its leaf entries.
const TAIL_LEN: usize = 8;
const LEAF_ENTRY_LEN: usize = 8;

/// Where a directory block came from, for errors and v5 self-checks.
pub(crate) struct Place {
    pub ino: u64,
    /// Directory block number (in directory blocks).
    pub dblk: u64,
    /// Byte offset on the volume of its first filesystem block.
    pub byte: u64,
}

/// Checks the directory block `b` and calls `f` for each of its entries.
///
/// Its magic says whether the directory is in block form (one block, with a leaf
/// array and tail), as the kernel tells by the directory's last mapped block rather
/// than its size; a block-form block anywhere but at the start is corrupt.
pub(crate) fn walk(
    b: &[u8],
    sb: &Superblock,
    at: &Place,
    f: &mut EntryFn<'_>,
) -> Result<ControlFlow<()>, FsError> {
    let bad = |what: &str| {
        FsError::Corrupt(format!(
            "xfs: directory inode {}, block {} (byte {}): {what}",
            at.ino, at.dblk, at.byte
        ))
    };
    let (block_magic, data_magic, hdr) = if sb.is_v5() {
        (MAGIC_BLOCK_V5, MAGIC_DATA_V5, HDR_V5)
    } else {
        (MAGIC_BLOCK_V4, MAGIC_DATA_V4, HDR_V4)
    };
    let magic = be32(b, 0);
    let single = magic == Some(block_magic);
    if !single && magic != Some(data_magic) {
        return Err(bad("bad magic (not a directory data block)"));
    }
    if single && at.dblk != 0 {
        return Err(bad("a single-block directory's block past the first"));
    }
    if sb.is_v5() {
        verify_crc(b, CRC_OFF).map_err(|_| bad("checksum mismatch"))?;
        if be64(b, 8) != Some(at.byte >> 9)
            || slice(b, 24, 16) != Some(&sb.meta_uuid[..])
            || be64(b, 40) != Some(at.ino)
        {
            return Err(bad("block number, UUID or owner mismatch"));
        }
    }
    let end = if single {
        let tail = b
            .len()
            .checked_sub(TAIL_LEN)
            .ok_or_else(|| bad("too small"))?;
        let count = usize::try_from(be32(b, tail).unwrap_or(u32::MAX)).unwrap_or(usize::MAX);
        count
            .checked_mul(LEAF_ENTRY_LEN)
            .and_then(|l| tail.checked_sub(l))
            .filter(|&e| e >= hdr)
            .ok_or_else(|| bad(&format!("{count} leaf entries do not fit")))?
    } else {
        b.len()
    };
    let extra = usize::from(sb.ftype);
    let mut pos = hdr;
    // Every step advances `pos` by at least 8 bytes.
    while pos < end {
        let tag = be16(b, pos).ok_or_else(|| bad("entry truncated"))?;
        if tag == FREE_TAG {
            let len = usize::from(be16(b, pos.saturating_add(2)).unwrap_or(0));
            if len < 8 || len % 8 != 0 || pos.saturating_add(len) > end {
                return Err(bad(&format!("free region of {len} bytes at {pos}")));
            }
            pos = pos.saturating_add(len);
            continue;
        }
        let ino = be64(b, pos).ok_or_else(|| bad("entry truncated"))?;
        let namelen = usize::from(u8_at(b, pos.saturating_add(8)).unwrap_or(0));
        // inumber (8) + namelen (1) + name + ftype + tag (2), rounded up to 8.
        let len = namelen
            .saturating_add(11)
            .saturating_add(extra)
            .saturating_add(7)
            & !7;
        let next = pos.saturating_add(len);
        if namelen == 0 || next > end {
            return Err(bad(&format!(
                "entry at {pos} ({namelen}-byte name) runs past the data"
            )));
        }
        if be16(b, next.saturating_sub(2)).map(usize::from) != Some(pos) {
            return Err(bad(&format!("entry at {pos}: its tag does not match")));
        }
        let name = slice(b, pos.saturating_add(9), namelen).unwrap_or(&[]);
        if f(name, ino)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
        pos = next;
    }
    Ok(ControlFlow::Continue(()))
}

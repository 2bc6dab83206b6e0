//! The block-mapping B+tree (bmbt) of a `btree`-format data fork: its root sits in
//! the inode (`xfs_bmdr_block`: level, record count, keys, then pointers placed after
//! room for the largest count that fits), its other nodes and leaves in long-format
//! btree blocks (`BMAP`, or `BMA3` with CRC, owner, block number and UUID on v5).
//!
//! A lookup descends one path, root to leaf, choosing at each node the last key not
//! beyond the wanted file block; the next key bounds a hole that the leaf alone
//! cannot see the end of. The level must drop by one at every step, so a hostile
//! tree cannot loop, and it starts below [`MAX_LEVELS`].

use alloc::format;
use alloc::vec;

use xlboot_disk::BlockDevice;

use super::checksum::verify_crc;
use super::extent::{self, Run, REC_LEN};
use super::inode::Inode;
use super::superblock::Superblock;
use crate::bytes::{be16, be32, be64, slice};
use crate::FsError;

/// `BMAP`, a v4 bmbt block.
const MAGIC_V4: u32 = 0x424D_4150;
/// `BMA3`, a v5 bmbt block.
const MAGIC_V5: u32 = 0x424D_4133;
/// Header sizes of long-format btree blocks.
const HDR_V4: usize = 24;
const HDR_V5: usize = 72;
/// Offset of the CRC in a v5 long-format block.
const CRC_OFF: usize = 64;
/// Deeper than any real bmbt (the kernel's limit for 2^64 extents is about 9-10).
const MAX_LEVELS: u16 = 12;
/// Size of the in-inode root header (level, numrecs).
const ROOT_HDR: usize = 4;
/// A key (file offset) and a pointer (filesystem block) are 8 bytes each.
const KEY_LEN: usize = 8;

/// Maps file block `lblk` of `inode` (btree format) for at most `max` blocks.
pub(crate) fn map<D: BlockDevice>(
    dev: &D,
    sb: &Superblock,
    inode: &Inode,
    lblk: u64,
    max: u64,
) -> Result<Run, FsError> {
    let ino = inode.ino;
    let bad = |what: &str| FsError::Corrupt(format!("xfs: inode {ino}: bmbt {what}"));
    let root = &inode.fork;
    let level = be16(root, 0).ok_or_else(|| bad("root truncated"))?;
    let numrecs = usize::from(be16(root, 2).ok_or_else(|| bad("root truncated"))?);
    let maxrecs = root.len().saturating_sub(ROOT_HDR) / (2 * KEY_LEN);
    if level == 0 || level > MAX_LEVELS || numrecs == 0 || numrecs > maxrecs {
        return Err(bad(&format!(
            "root of level {level} with {numrecs} records (room for {maxrecs})"
        )));
    }
    let (mut ptr, mut upper) = choose(root, ROOT_HDR, numrecs, maxrecs, lblk, u64::MAX)
        .ok_or_else(|| bad("root keys out of range"))?;
    let bs = usize::try_from(sb.block_size).unwrap_or(4096);
    let (magic, hdr) = if sb.is_v5() {
        (MAGIC_V5, HDR_V5)
    } else {
        (MAGIC_V4, HDR_V4)
    };
    let mut block = vec![0u8; bs];
    let mut want_level = level;
    // `want_level` drops by one per pass and the loop ends at a leaf (level 0).
    loop {
        want_level = want_level.saturating_sub(1);
        let at = sb
            .fsb_to_byte(ptr)
            .ok_or_else(|| bad(&format!("pointer to block {ptr} outside the filesystem")))?;
        let bad_blk = |what: &str| {
            FsError::Corrupt(format!(
                "xfs: inode {ino}: bmbt block {ptr} (byte {at}): {what}"
            ))
        };
        dev.read_exact_at(at, &mut block)?;
        if be32(&block, 0) != Some(magic) {
            return Err(bad_blk("bad magic"));
        }
        if sb.is_v5() {
            verify_crc(&block, CRC_OFF).map_err(|_| bad_blk("checksum mismatch"))?;
            if be64(&block, 24) != Some(at >> 9)
                || slice(&block, 40, 16) != Some(&sb.meta_uuid[..])
                || be64(&block, 56) != Some(ino)
            {
                return Err(bad_blk("block number, UUID or owner mismatch"));
            }
        }
        let lvl = be16(&block, 4).unwrap_or(u16::MAX);
        let n = usize::from(be16(&block, 6).unwrap_or(0));
        if lvl != want_level {
            return Err(bad_blk(&format!(
                "level {lvl} where {want_level} was expected"
            )));
        }
        let room = bs.saturating_sub(hdr) / REC_LEN;
        if n == 0 || n > room {
            return Err(bad_blk(&format!("{n} records (room for {room})")));
        }
        if lvl == 0 {
            return extent::map(&block, hdr, n, lblk, max, upper)
                .ok_or_else(|| bad_blk("records out of range"));
        }
        (ptr, upper) = choose(&block, hdr, n, room, lblk, upper)
            .ok_or_else(|| bad_blk("keys out of range"))?;
    }
}

/// In a node with `n` keys at `hdr` and pointers after room for `maxrecs` keys, picks
/// the child for `lblk`: the last whose key is not beyond it (else the first). Returns
/// its pointer and the bound for holes below it (the next key, or the parent's bound).
fn choose(
    b: &[u8],
    hdr: usize,
    n: usize,
    maxrecs: usize,
    lblk: u64,
    upper: u64,
) -> Option<(u64, u64)> {
    let key = |i: usize| be64(b, hdr.checked_add(i.checked_mul(KEY_LEN)?)?);
    let mut idx = 0;
    for i in 0..n {
        if key(i)? <= lblk {
            idx = i;
        } else {
            break;
        }
    }
    let next = match idx.checked_add(1) {
        Some(j) if j < n => key(j)?.min(upper),
        _ => upper,
    };
    let ptrs = hdr.checked_add(maxrecs.checked_mul(KEY_LEN)?)?;
    let ptr = be64(b, ptrs.checked_add(idx.checked_mul(KEY_LEN)?)?)?;
    Some((ptr, next))
}

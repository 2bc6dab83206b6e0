//! The ext2/ext3 block map: 12 direct block pointers in `i_block`, then one single,
//! one double and one triple indirect pointer. A zero pointer is a hole.
//!
//! Lookups return runs of consecutive pointers inside one pointer block, so a
//! contiguous file costs one device read per pointer block rather than one per block.

use alloc::format;
use alloc::vec::Vec;

use super::inode::Inode;
use super::superblock::Superblock;
use super::Run;
use crate::bytes::le32;
use crate::FsError;
use xlboot_disk::BlockDevice;

/// Direct pointers in `i_block`.
const DIRECT: u64 = 12;
/// `i_block` slots of the single, double and triple indirect pointers.
const INDIRECT_SLOTS: [usize; 3] = [12, 13, 14];

/// Scans pointers `arr[idx..]` for a run starting at `idx`: consecutive physical blocks,
/// or consecutive zeros (a hole). At most `max` blocks.
fn scan(arr: &[u8], idx: u64, max: u64, sb: &Superblock, ino: u32) -> Result<Run, FsError> {
    let ptr = |i: u64| -> Option<u32> {
        let off = usize::try_from(i.checked_mul(4)?).ok()?;
        le32(arr, off)
    };
    let first = ptr(idx).ok_or_else(|| {
        FsError::Corrupt(format!(
            "ext4: inode {ino}: block pointer {idx} out of range"
        ))
    })?;
    let mut len: u64 = 1;
    while len < max {
        let Some(next) = idx.checked_add(len).and_then(ptr) else {
            break;
        };
        let expected = if first == 0 {
            Some(0)
        } else {
            first.checked_add(u32::try_from(len).unwrap_or(u32::MAX))
        };
        if Some(next) != expected {
            break;
        }
        len = len.saturating_add(1);
    }
    if first == 0 {
        return Ok(Run { len, phys: None });
    }
    let end = u64::from(first).saturating_add(len);
    if end > sb.blocks_count {
        return Err(FsError::Corrupt(format!(
            "ext4: inode {ino}: data blocks {first}..{end} outside the filesystem ({} blocks)",
            sb.blocks_count
        )));
    }
    Ok(Run {
        len,
        phys: Some(u64::from(first)),
    })
}

/// Maps logical block `lblk` of `inode` to a run of at most `max` (>= 1) blocks.
/// `scratch` holds each pointer block in turn.
pub(crate) fn map_run<D: BlockDevice>(
    dev: &D,
    sb: &Superblock,
    inode: &Inode,
    lblk: u64,
    max: u64,
    scratch: &mut Vec<u8>,
) -> Result<Run, FsError> {
    let ino = inode.ino;
    let max = max.max(1);
    if lblk < DIRECT {
        return scan(
            &inode.i_block,
            lblk,
            max.min(DIRECT.saturating_sub(lblk)),
            sb,
            ino,
        );
    }
    let per_block = u64::from(sb.block_size / 4);
    let bs = usize::try_from(sb.block_size).unwrap_or(usize::MAX);

    // Find the tier (single, double, triple) and the offset within it.
    let mut rel = lblk.saturating_sub(DIRECT);
    let mut span = per_block;
    let mut found = None;
    for (tier, slot) in INDIRECT_SLOTS.iter().enumerate() {
        if rel < span {
            found = Some((tier, *slot));
            break;
        }
        rel = rel.saturating_sub(span);
        span = span.saturating_mul(per_block);
    }
    let Some((tier, slot)) = found else {
        return Err(FsError::Corrupt(format!(
            "ext4: inode {ino}: logical block {lblk} is beyond what a block map can address"
        )));
    };
    let mut ptr = le32(&inode.i_block, slot.saturating_mul(4)).unwrap_or(0);

    // Walk down: `span` is what `ptr` covers, `rel` is lblk's offset inside it.
    for level in (0..=tier).rev() {
        if ptr == 0 {
            return Ok(Run {
                len: span.saturating_sub(rel).clamp(1, max),
                phys: None,
            });
        }
        if u64::from(ptr) >= sb.blocks_count {
            return Err(FsError::Corrupt(format!(
                "ext4: inode {ino}: indirect block {ptr} outside the filesystem"
            )));
        }
        scratch.resize(bs, 0);
        let off = u64::from(ptr).saturating_mul(u64::from(sb.block_size));
        dev.read_exact_at(off, scratch).map_err(|e| {
            FsError::Corrupt(format!("ext4: inode {ino}: indirect block {ptr}: {e}"))
        })?;
        // What each entry of this pointer block covers.
        let sub = span.checked_div(per_block).unwrap_or(1).max(1);
        let idx = rel.checked_div(sub).unwrap_or(0);
        rel = rel.checked_rem(sub).unwrap_or(0);
        if level == 0 {
            let room = per_block.saturating_sub(idx);
            return scan(scratch, idx, max.min(room), sb, ino);
        }
        let off = usize::try_from(idx.saturating_mul(4)).unwrap_or(usize::MAX);
        ptr = le32(scratch, off).ok_or_else(|| {
            FsError::Corrupt(format!("ext4: inode {ino}: pointer {idx} out of range"))
        })?;
        span = sub;
    }
    Err(FsError::Corrupt(format!(
        "ext4: inode {ino}: block map walk did not end"
    )))
}

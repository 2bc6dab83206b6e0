//! The journal (the "log"): only whether it is clean.
//!
//! XFS has no "needs recovery" flag; the kernel finds the log head (the block where
//! the cycle number stamped into every 512-byte log block drops) and calls the log
//! clean when the last record before the head is exactly one unmount record
//! (`XLOG_UNMOUNT_TRANS`) ending at the head. This does the same, with the same
//! backwards check over the window in which in-flight writes can leave holes, so a
//! crash that left any record after the unmount record reads as dirty.
//!
//! A dirty log is refused with a message naming it: the metadata on disk may predate
//! what the log holds, and reading it would hand back stale directories or files.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_disk::BlockDevice;

use super::superblock::Superblock;
use crate::bytes::{be32, u8_at};
use crate::FsError;

/// Log block ("basic block") size.
const BB: u64 = 512;
/// Record header magic.
const HEADER_MAGIC: u32 = 0xFEED_BABE;
/// `oh_flags` bit of the unmount record.
const UNMOUNT_TRANS: u8 = 0x20;
/// Offset of `oh_flags` in the first operation header after a record header.
const OH_FLAGS: usize = 9;
/// How far before the head in-flight log writes can leave holes (8 log buffers of
/// 256 KiB), and how far back the last record header can start.
const WINDOW: u64 = 8 * (256 << 10) / BB;
/// Size of the part of a v2 record header that one 512-byte block covers.
const HEADER_CYCLE_SIZE: u32 = 32 << 10;

/// Checks that the internal log of `sb` is clean.
pub(crate) fn check_clean<D: BlockDevice>(dev: &D, sb: &Superblock) -> Result<(), FsError> {
    if sb.log_start == 0 {
        return Err(FsError::Unsupported(
            "xfs: the log is on an external device, so whether it is clean cannot be told".into(),
        ));
    }
    let bad = |what: &str| FsError::Corrupt(format!("xfs log: {what}"));
    let start = sb
        .fsb_to_byte(sb.log_start)
        .ok_or_else(|| bad("starts outside the filesystem"))?;
    let last = sb
        .log_start
        .checked_add(u64::from(sb.log_blocks))
        .and_then(|e| e.checked_sub(1))
        .and_then(|l| sb.fsb_to_byte(l));
    if sb.log_blocks < 2
        || last != start.checked_add(u64::from(sb.log_blocks.saturating_sub(1)) << sb.block_log)
    {
        return Err(bad(&format!(
            "{} blocks at block {} do not fit",
            sb.log_blocks, sb.log_start
        )));
    }
    let n = u64::from(sb.log_blocks) << sb.block_log >> 9;
    let log = Log { dev, start, n };
    let wrap = |b: u64| b.checked_rem(n).unwrap_or(0);

    let first = log.cycle(0)?;
    if first == 0 {
        // Never written: nothing to replay (as the kernel's zeroed-log case).
        return Ok(());
    }
    let last_cycle = log.cycle(n.saturating_sub(1))?;
    let mut head = if first == last_cycle {
        n
    } else {
        // Blocks [0, head) carry `first`, the rest an older cycle (or 0 when the log
        // has not wrapped yet): find the first block that is not `first`.
        let (mut lo, mut hi) = (0u64, n.saturating_sub(1));
        // Invariant: cycle(lo) == first, cycle(hi) != first. Halves each pass.
        while hi.saturating_sub(lo) > 1 {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            if log.cycle(mid)? == first {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    };
    // Writes in flight at a crash can leave older blocks just before the head. The
    // window before the head is read once; blocks further back (a wrap) one by one.
    let span = WINDOW.min(head);
    let win_start = head.saturating_sub(span);
    let win = log.range(win_start, span)?;
    let in_win = |blk: u64| -> Option<&[u8]> {
        let i = usize::try_from(blk.checked_sub(win_start)?).ok()?;
        win.get(i.checked_mul(512)?..i.checked_add(1)?.checked_mul(512)?)
    };
    for b in win_start..head {
        if in_win(b).map(cycle_of) != Some(first) {
            head = b;
            break;
        }
    }
    // The last record header before the head.
    for back in 1..=WINDOW.min(n) {
        let blk = wrap(head.saturating_add(n).saturating_sub(back));
        let h = match in_win(blk) {
            Some(b) if blk < head => b.to_vec(),
            _ => log.block(blk)?.to_vec(),
        };
        if be32(&h, 0) != Some(HEADER_MAGIC) {
            continue;
        }
        let version = be32(&h, 8).unwrap_or(0);
        let len = u64::from(be32(&h, 12).unwrap_or(0));
        let ops = be32(&h, 40).unwrap_or(0);
        let hsize = be32(&h, 320).unwrap_or(0);
        let hblks = if version == 2 && hsize > HEADER_CYCLE_SIZE {
            u64::from(hsize.div_ceil(HEADER_CYCLE_SIZE))
        } else {
            1
        };
        let end = wrap(blk.saturating_add(hblks).saturating_add(len.div_ceil(BB)));
        let clean = end == wrap(head) && ops == 1 && {
            let data = log.block(wrap(blk.saturating_add(hblks)))?;
            u8_at(&data, OH_FLAGS).is_some_and(|f| f & UNMOUNT_TRANS != 0)
        };
        if clean {
            return Ok(());
        }
        break;
    }
    Err(FsError::Unsupported(format!(
        "xfs: the log is dirty (the filesystem was not cleanly unmounted; log head at \
         block {head} of {n}), and replaying it is not implemented: the metadata on disk \
         may be stale. Mount it once in the guest (or run xfs_repair) to replay the log"
    )))
}

/// The log area, in 512-byte blocks.
struct Log<'a, D> {
    dev: &'a D,
    start: u64,
    n: u64,
}

impl<D: BlockDevice> Log<'_, D> {
    fn block(&self, blk: u64) -> Result<[u8; 512], FsError> {
        let mut b = [0u8; 512];
        let at = self
            .start
            .saturating_add(blk.min(self.n).saturating_mul(BB));
        self.dev.read_exact_at(at, &mut b)?;
        Ok(b)
    }

    /// `count` blocks from `blk` (at most [`WINDOW`], 2 MiB), in one read.
    fn range(&self, blk: u64, count: u64) -> Result<Vec<u8>, FsError> {
        let len = usize::try_from(count.min(WINDOW).saturating_mul(BB)).unwrap_or(0);
        let mut b = vec![0u8; len];
        self.dev
            .read_exact_at(self.start.saturating_add(blk.saturating_mul(BB)), &mut b)?;
        Ok(b)
    }

    fn cycle(&self, blk: u64) -> Result<u32, FsError> {
        Ok(cycle_of(&self.block(blk)?))
    }
}

/// The cycle number of a log block: `h_cycle` of a record header, else the word the
/// log writer stamped over each block's first four bytes.
fn cycle_of(b: &[u8]) -> u32 {
    if be32(b, 0) == Some(HEADER_MAGIC) {
        be32(b, 4).unwrap_or(0)
    } else {
        be32(b, 0).unwrap_or(0)
    }
}

//! The jbd2 journal (ext3/ext4), replayed in memory.
//!
//! A guest that crashed or was destroyed leaves `needs_recovery` set: committed
//! transactions sit in the journal, not yet copied to their home blocks, so reading
//! the home blocks would show stale (possibly inconsistent) metadata and data. Linux
//! and e2fsck replay the log before anything else; this reader does the same without
//! writing: it walks the log once, building a map from filesystem block to the
//! journal block holding its newest committed copy, and [`Overlay`] serves reads
//! through that map.
//!
//! The walk follows jbd2's rules: transactions in sequence from `s_start`, a
//! transaction counts only once its commit block is seen, revoke records cancel
//! earlier copies of a block, escaped data blocks get their magic number back. It is
//! bounded by the journal length (each step consumes at least one journal block and
//! the walk stops after `s_maxlen` of them), and the map by the number of journal
//! blocks. With journal checksums (v2/v3) everything is verified as jbd2 does:
//! - the journal superblock checksum must match (else the journal is corrupt);
//! - a bad commit block checksum ends the log there (a torn commit: the transaction
//!   never happened; what came before is replayed, as e2fsck does);
//! - a block copy whose tag checksum does not match is skipped rather than written
//!   over good data;
//! - a descriptor or revoke block with a bad tail checksum is either a stale block
//!   left from an earlier use of the journal, or damage: jbd2 tells them apart at the
//!   next commit block, whose time goes backwards for stale data (the log ends, its
//!   transaction discarded) and not for damage (recovery fails: corrupt).
//!
//! The older v1 checksum (a CRC32 of each transaction's descriptor and data blocks in
//! its commit block) is checked too: a mismatch ends the log before that transaction.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_disk::block::check_range;
use xlboot_disk::{BlockDevice, IoError};

use super::checksum::{crc32_be, crc32c};
use super::inode::Inode;
use super::Ext4;
use crate::bytes::{be16, be32, slice};
use crate::{FileKind, FsError};

/// `h_magic` of every journal metadata block.
const JBD2_MAGIC: u32 = 0xC03B_3998;
// h_blocktype values.
const DESCRIPTOR: u32 = 1;
const COMMIT: u32 = 2;
const SUPERBLOCK_V1: u32 = 3;
const SUPERBLOCK_V2: u32 = 4;
const REVOKE: u32 = 5;
// Journal COMPAT features.
/// v1 checksums: a CRC32 of each transaction's descriptor and data blocks, stored in
/// its commit block.
const COMPAT_CHECKSUM: u32 = 0x1;
// Journal INCOMPAT features.
const INCOMPAT_REVOKE: u32 = 0x1;
const INCOMPAT_64BIT: u32 = 0x2;
const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
const INCOMPAT_CSUM_V2: u32 = 0x8;
const INCOMPAT_CSUM_V3: u32 = 0x10;
const INCOMPAT_FAST_COMMIT: u32 = 0x20;
const INCOMPAT_KNOWN: u32 =
    INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;
// Tag flags.
const FLAG_ESCAPE: u32 = 0x1;
const FLAG_SAME_UUID: u32 = 0x2;
const FLAG_LAST_TAG: u32 = 0x8;
/// Largest journal walked: 2^20 blocks (4 GiB of 4 KiB blocks; mke2fs makes at most
/// 1 GiB). Bounds both the walk and the replay map.
const MAX_JOURNAL_BLOCKS: u32 = 1 << 20;

/// Where the newest committed copy of a filesystem block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// Physical block (on the filesystem volume) of the journal copy.
    pub phys: u64,
    /// The copy's first four bytes were zeroed because they looked like the journal
    /// magic; they are restored on read.
    pub escaped: bool,
}

/// A block device with some blocks replaced by their journal copies. With an empty
/// map (a clean filesystem) every read passes straight through.
pub(crate) struct Overlay<D> {
    inner: D,
    block_size: u64,
    map: BTreeMap<u64, Redirect>,
}

impl<D: BlockDevice> Overlay<D> {
    pub(crate) fn new(inner: D, block_size: u64) -> Self {
        Overlay {
            inner,
            block_size,
            map: BTreeMap::new(),
        }
    }

    pub(crate) fn set_map(&mut self, map: BTreeMap<u64, Redirect>) {
        self.map = map;
    }

    /// Number of blocks replaced.
    pub(crate) fn replayed_blocks(&self) -> usize {
        self.map.len()
    }
}

impl<D: BlockDevice> BlockDevice for Overlay<D> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        if self.map.is_empty() || buf.is_empty() {
            return self.inner.read_exact_at(offset, buf);
        }
        let size = self.inner.size();
        check_range(offset, buf.len(), size)?;
        let oor = IoError::OutOfRange {
            offset,
            len: buf.len() as u64,
            size,
        };
        let bs = self.block_size;
        let end = offset.checked_add(buf.len() as u64).ok_or(oor.clone())?;
        let first = offset.checked_div(bs).ok_or(oor.clone())?;
        let last = end.saturating_sub(1).checked_div(bs).ok_or(oor.clone())?;
        // Fill `buf` in order: direct reads between replaced blocks, journal copies
        // for the replaced ones. At most one map entry per block of `buf`.
        let mut pos = offset;
        for (&blk, r) in self.map.range(first..=last) {
            let blk_start = blk.checked_mul(bs).ok_or(oor.clone())?;
            let seg_start = blk_start.max(offset);
            let seg_end = blk_start.saturating_add(bs).min(end);
            let rel = |a: u64| usize::try_from(a.saturating_sub(offset)).map_err(|_| oor.clone());
            if pos < seg_start {
                let dst = buf.get_mut(rel(pos)?..rel(seg_start)?).ok_or(oor.clone())?;
                self.inner.read_exact_at(pos, dst)?;
            }
            let in_blk = seg_start.saturating_sub(blk_start);
            let src = r
                .phys
                .checked_mul(bs)
                .and_then(|p| p.checked_add(in_blk))
                .ok_or(oor.clone())?;
            let dst = buf
                .get_mut(rel(seg_start)?..rel(seg_end)?)
                .ok_or(oor.clone())?;
            self.inner.read_exact_at(src, dst)?;
            if r.escaped {
                let magic = JBD2_MAGIC.to_be_bytes();
                for (i, b) in dst.iter_mut().enumerate() {
                    let at = usize::try_from(in_blk)
                        .unwrap_or(usize::MAX)
                        .saturating_add(i);
                    match magic.get(at) {
                        Some(m) => *b = *m,
                        None => break,
                    }
                }
            }
            pos = seg_end;
        }
        if pos < end {
            let from = usize::try_from(pos.saturating_sub(offset)).map_err(|_| oor.clone())?;
            let dst = buf.get_mut(from..).ok_or(oor)?;
            self.inner.read_exact_at(pos, dst)?;
        }
        Ok(())
    }
}

/// The journal superblock fields the walk needs.
struct JournalSb {
    maxlen: u32,
    first: u32,
    sequence: u32,
    start: u32,
    compat: u32,
    incompat: u32,
    csum_seed: Option<u32>,
}

/// Offset of `h_commit_sec` (big-endian u64) in a commit block.
const COMMIT_SEC: usize = 0x30;
/// Offset of `s_checksum` in the journal superblock, and the superblock's size.
const SB_CHECKSUM: usize = 0xFC;
const SB_SIZE: usize = 1024;
/// `s_checksum_type` of a v2/v3 journal: crc32c.
const CRC32C_CHKSUM: u8 = 4;

/// jbd2's tail checksum of a descriptor or revoke block: crc32c(seed, the block with
/// its last four bytes, the stored checksum, read as zero).
fn tail_csum_ok(block: &[u8], seed: u32) -> bool {
    let Some(t) = block.len().checked_sub(4) else {
        return false;
    };
    let stored = be32(block, t).unwrap_or(0);
    let crc = crc32c(crc32c(seed, block.get(..t).unwrap_or(&[])), &[0; 4]);
    crc == stored
}

fn corrupt(what: &str) -> FsError {
    FsError::Corrupt(format!("ext4 journal: {what}"))
}

/// A transaction being read: its block copies and revoked blocks, applied at commit.
#[derive(Default)]
struct Pending {
    /// Target block, journal block, escaped, expected tag checksum.
    writes: Vec<(u64, u32, bool, Option<u32>)>,
    /// Journal blocks holding revoke records (at most one entry per journal block).
    revoke_blocks: Vec<u32>,
}

/// Walks the journal of `fs` and returns the replay map (empty when the log is).
pub(crate) fn replay_map<D: BlockDevice>(fs: &Ext4<D>) -> Result<BTreeMap<u64, Redirect>, FsError> {
    let ino = fs.sb.journal_inum;
    if ino == 0 {
        return Err(FsError::Unsupported(
            "ext4 journal needs replay, and it is on an external device".into(),
        ));
    }
    let jinode = fs.inode(ino)?;
    if jinode.kind() != FileKind::Regular {
        return Err(corrupt(&format!(
            "journal inode {ino} is not a regular file"
        )));
    }
    jinode.check_readable()?;
    let bs = fs.sb.block_size;
    let bs_usize = usize::try_from(bs).unwrap_or(4096);
    let mut block = vec![0u8; bs_usize];
    // Block copies, read at commit to check their tag checksums.
    let mut data = vec![0u8; bs_usize];
    let mut scratch = Vec::new();

    // Physical block of journal block `j`.
    let phys_of = |j: u32, scratch: &mut Vec<u8>| -> Result<u64, FsError> {
        let run = fs.map_run(&jinode, u64::from(j), 1, scratch)?;
        run.phys
            .ok_or_else(|| corrupt(&format!("journal block {j} is a hole")))
    };
    let read = |j: u32, block: &mut [u8], scratch: &mut Vec<u8>| -> Result<u64, FsError> {
        let p = phys_of(j, scratch)?;
        let off = p
            .checked_mul(u64::from(bs))
            .ok_or_else(|| corrupt("block offset overflows"))?;
        fs.dev
            .read_exact_at(off, block)
            .map_err(|e| corrupt(&format!("block {j}: {e}")))?;
        Ok(p)
    };

    read(0, &mut block, &mut scratch)?;
    let jsb = parse_sb(&block, bs, &jinode)?;
    if jsb.start == 0 {
        // The log is empty: nothing to replay even though the flag is set.
        return Ok(BTreeMap::new());
    }
    if jsb.incompat & INCOMPAT_FAST_COMMIT != 0 {
        return Err(FsError::Unsupported(
            "ext4 journal needs replay and uses fast commits; not supported yet".into(),
        ));
    }
    let unknown = jsb.incompat & !INCOMPAT_KNOWN;
    if unknown != 0 {
        return Err(FsError::Unsupported(format!(
            "ext4 journal needs replay and has unknown features {unknown:#x}"
        )));
    }
    let csum = jsb.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0;
    let is64 = jsb.incompat & INCOMPAT_64BIT != 0;
    let tag_bytes: usize = if jsb.incompat & INCOMPAT_CSUM_V3 != 0 {
        16
    } else {
        let base: usize = if csum { 14 } else { 12 };
        if is64 {
            base
        } else {
            base.saturating_sub(4)
        }
    };
    // Descriptor and revoke blocks end in a 4-byte checksum tail with csum v2/v3.
    let usable = if csum {
        bs_usize.saturating_sub(4)
    } else {
        bs_usize
    };

    let next = |j: u32| -> u32 {
        let n = j.saturating_add(1);
        if n >= jsb.maxlen {
            jsb.first
        } else {
            n
        }
    };

    let mut map: BTreeMap<u64, Redirect> = BTreeMap::new();
    let mut pending = Pending::default();
    let mut j = jsb.start;
    let mut seq = jsb.sequence;
    let mut steps: u32 = 0;
    // A descriptor or revoke block that failed its checksum, judged at the next commit.
    let mut bad_tail: Option<(u32, &str)> = None;
    // v1 checksums: the running CRC32 of this transaction's descriptor and data blocks.
    let v1 = jsb.csum_seed.is_none() && jsb.compat & COMPAT_CHECKSUM != 0;
    let mut v1_sum: u32 = !0;
    let mut last_time = 0u64;
    // Each iteration consumes at least one journal block; the log cannot be longer
    // than the journal.
    while steps < jsb.maxlen {
        steps = steps.saturating_add(1);
        read(j, &mut block, &mut scratch)?;
        if be32(&block, 0) != Some(JBD2_MAGIC) || be32(&block, 8) != Some(seq) {
            break; // end of the log
        }
        let btype = be32(&block, 4).unwrap_or(0);
        match btype {
            DESCRIPTOR => {
                if let Some(seed) = jsb.csum_seed {
                    if !tail_csum_ok(&block, seed) {
                        bad_tail = Some((j, "descriptor"));
                    }
                }
                if v1 {
                    v1_sum = crc32_be(v1_sum, &block);
                }
                let mut off = 12usize;
                while let Some(tag) = slice(&block, off, tag_bytes) {
                    if off.saturating_add(tag_bytes) > usable {
                        break;
                    }
                    let lo = be32(tag, 0).unwrap_or(0);
                    let (flags, hi) = if tag_bytes == 16 {
                        (be32(tag, 4).unwrap_or(0), be32(tag, 8).unwrap_or(0))
                    } else {
                        let hi = if is64 { be32(tag, 8).unwrap_or(0) } else { 0 };
                        (u32::from(be16(tag, 6).unwrap_or(0)), hi)
                    };
                    let target = (u64::from(hi) << 32) | u64::from(lo);
                    j = next(j);
                    steps = steps.saturating_add(1);
                    if v1 {
                        read(j, &mut data, &mut scratch)?;
                        v1_sum = crc32_be(v1_sum, &data);
                    }
                    if target >= fs.sb.blocks_count {
                        return Err(corrupt(&format!(
                            "transaction {seq} writes block {target}, outside the filesystem"
                        )));
                    }
                    let tag_csum = match (jsb.csum_seed, tag_bytes == 16) {
                        (None, _) => None,
                        (Some(_), true) => be32(tag, 12),
                        (Some(_), false) => be16(tag, 4).map(u32::from),
                    };
                    pending
                        .writes
                        .push((target, j, flags & FLAG_ESCAPE != 0, tag_csum));
                    off = off.saturating_add(tag_bytes);
                    if flags & FLAG_SAME_UUID == 0 {
                        off = off.saturating_add(16);
                    }
                    if flags & FLAG_LAST_TAG != 0 || steps >= jsb.maxlen {
                        break;
                    }
                }
            }
            COMMIT => {
                let time = be32(&block, COMMIT_SEC)
                    .zip(be32(&block, COMMIT_SEC.saturating_add(4)))
                    .map_or(0, |(hi, lo)| (u64::from(hi) << 32) | u64::from(lo));
                if let Some((at, what)) = bad_tail {
                    // As jbd2: a commit no older than the last one means the bad block
                    // belongs to this log (damage); an older one means stale blocks.
                    if time >= last_time {
                        return Err(corrupt(&format!(
                            "transaction {seq}: {what} block {at} fails its checksum"
                        )));
                    }
                    break;
                }
                if v1 {
                    // As jbd2: the sum matches with type crc32 (1) and size 4, or the
                    // commit carries no checksum at all. Otherwise the log ends here.
                    let ty = block.get(12).copied().unwrap_or(0);
                    let size = block.get(13).copied().unwrap_or(0);
                    let found = be32(&block, 16).unwrap_or(0);
                    let ok = (found == v1_sum && ty == 1 && size == 4)
                        || (ty == 0 && size == 0 && found == 0);
                    if !ok {
                        break;
                    }
                    v1_sum = !0;
                }
                if let Some(seed) = jsb.csum_seed {
                    let stored = be32(&block, 16).unwrap_or(0);
                    let mut copy = block.clone();
                    if let Some(c) = copy.get_mut(16..20) {
                        c.fill(0);
                    }
                    if crc32c(seed, &copy) != stored {
                        break; // a torn commit: the transaction never happened
                    }
                }
                last_time = time;
                for (target, jb, escaped, tag_csum) in pending.writes.drain(..) {
                    let phys = phys_of(jb, &mut scratch)?;
                    if let (Some(seed), Some(want)) = (jsb.csum_seed, tag_csum) {
                        // crc32c(seed, sequence, block as logged); v2 keeps 16 bits.
                        read(jb, &mut data, &mut scratch)?;
                        let crc = crc32c(crc32c(seed, &seq.to_be_bytes()), &data);
                        let got = if tag_bytes == 16 { crc } else { crc & 0xFFFF };
                        if got != want {
                            continue;
                        }
                    }
                    map.insert(target, Redirect { phys, escaped });
                }
                // A revoke record cancels copies from its own and earlier transactions.
                for jb in pending.revoke_blocks.drain(..) {
                    read(jb, &mut data, &mut scratch)?;
                    for_each_revoke(&data, usable, is64, jb, |b| {
                        map.remove(&b);
                    })?;
                }
                seq = seq.wrapping_add(1);
            }
            REVOKE => {
                if let Some(seed) = jsb.csum_seed {
                    if !tail_csum_ok(&block, seed) {
                        bad_tail = Some((j, "revoke"));
                    }
                }
                // Checked now, applied at commit by reading the block again: keeping
                // the records instead would let a hostile log of revoke blocks (each
                // up to 16 Ki records) use memory without bound.
                for_each_revoke(&block, usable, is64, j, |_| {})?;
                pending.revoke_blocks.push(j);
            }
            _ => break,
        }
        j = next(j);
    }
    Ok(map)
}

/// Calls `f` with each block number a revoke block (journal block `j`) lists.
/// `usable` is the block size less the checksum tail.
fn for_each_revoke(
    block: &[u8],
    usable: usize,
    is64: bool,
    j: u32,
    mut f: impl FnMut(u64),
) -> Result<(), FsError> {
    let count = usize::try_from(be32(block, 12).unwrap_or(0)).unwrap_or(usize::MAX);
    if count > usable || count < 16 {
        return Err(corrupt(&format!("revoke block {j} claims {count} bytes")));
    }
    let rec: usize = if is64 { 8 } else { 4 };
    let mut off = 16usize;
    // Each pass advances by one record, up to `count` (at most the block size).
    while off.saturating_add(rec) <= count {
        let b = if is64 {
            let hi = be32(block, off).unwrap_or(0);
            let lo = be32(block, off.saturating_add(4)).unwrap_or(0);
            (u64::from(hi) << 32) | u64::from(lo)
        } else {
            u64::from(be32(block, off).unwrap_or(0))
        };
        f(b);
        off = off.saturating_add(rec);
    }
    Ok(())
}

/// Parses and checks the journal superblock (journal block 0).
fn parse_sb(b: &[u8], bs: u32, jinode: &Inode) -> Result<JournalSb, FsError> {
    let magic = be32(b, 0).unwrap_or(0);
    let btype = be32(b, 4).unwrap_or(0);
    if magic != JBD2_MAGIC || !(btype == SUPERBLOCK_V1 || btype == SUPERBLOCK_V2) {
        return Err(corrupt(&format!(
            "bad superblock (magic {magic:#x}, type {btype})"
        )));
    }
    let jbs = be32(b, 0xC).unwrap_or(0);
    if jbs != bs {
        return Err(FsError::Unsupported(format!(
            "ext4 journal block size {jbs} differs from the filesystem's {bs}"
        )));
    }
    let maxlen = be32(b, 0x10).unwrap_or(0);
    let first = be32(b, 0x14).unwrap_or(0);
    let sequence = be32(b, 0x18).unwrap_or(0);
    let start = be32(b, 0x1C).unwrap_or(0);
    let file_blocks = jinode.size.checked_div(u64::from(bs)).unwrap_or(0);
    if maxlen > MAX_JOURNAL_BLOCKS {
        return Err(FsError::Limit(format!(
            "ext4 journal of {maxlen} blocks is over the {MAX_JOURNAL_BLOCKS}-block cap"
        )));
    }
    if u64::from(maxlen) > file_blocks || first == 0 || first >= maxlen {
        return Err(corrupt(&format!(
            "superblock says {maxlen} blocks from {first}, the journal file has {file_blocks}"
        )));
    }
    if start != 0 && (start < first || start >= maxlen) {
        return Err(corrupt(&format!(
            "log start {start} outside {first}..{maxlen}"
        )));
    }
    let (compat, incompat) = if btype == SUPERBLOCK_V2 {
        (be32(b, 0x24).unwrap_or(0), be32(b, 0x28).unwrap_or(0))
    } else {
        (0, 0)
    };
    let csum = incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3);
    if csum == INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3 {
        return Err(corrupt("superblock sets both checksum v2 and v3"));
    }
    if csum != 0 && compat & COMPAT_CHECKSUM != 0 {
        return Err(corrupt("superblock sets checksum v1 and v2/v3"));
    }
    let csum_seed = if csum != 0 {
        let ctype = b.get(0x50).copied().unwrap_or(0);
        if ctype != CRC32C_CHKSUM {
            return Err(FsError::Unsupported(format!(
                "ext4 journal checksum type {ctype} (only crc32c, type 4, goes with v2/v3)"
            )));
        }
        // crc32c(!0, the 1024-byte superblock with s_checksum read as zero).
        let sb = slice(b, 0, SB_SIZE).ok_or_else(|| corrupt("superblock is short"))?;
        let stored = be32(sb, SB_CHECKSUM).unwrap_or(0);
        let mut crc = crc32c(!0, sb.get(..SB_CHECKSUM).unwrap_or(&[]));
        crc = crc32c(crc, &[0; 4]);
        crc = crc32c(crc, sb.get(SB_CHECKSUM.saturating_add(4)..).unwrap_or(&[]));
        if crc != stored {
            return Err(corrupt(&format!(
                "superblock checksum mismatch (stored {stored:#010x}, computed {crc:#010x})"
            )));
        }
        Some(crc32c(!0, slice(b, 0x30, 16).unwrap_or(&[])))
    } else {
        None
    };
    Ok(JournalSb {
        maxlen,
        first,
        sequence,
        start,
        compat,
        incompat,
        csum_seed,
    })
}

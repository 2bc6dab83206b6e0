//! The ext4 extent tree: maps logical file blocks to runs of physical blocks.
//!
//! The root lives in the inode's `i_block` (a 12-byte header and up to four 12-byte
//! entries); deeper nodes are whole blocks ending in a checksum tail. Lookups descend
//! from the root, one node per level, and each level's header must carry a depth one
//! less than its parent's: with the kernel's cap of 5, a node pointing at itself or an
//! ancestor cannot make the descent loop.

use alloc::format;
use alloc::vec::Vec;

use super::checksum::crc32c;
use super::inode::Inode;
use super::superblock::Superblock;
use super::Run;
use crate::bytes::{le16, le32, slice};
use crate::FsError;
use xlboot_disk::BlockDevice;

/// `eh_magic`.
const MAGIC: u16 = 0xF30A;
/// Deepest tree Linux builds or accepts.
pub(crate) const MAX_DEPTH: u16 = 5;
/// Header and entry size.
const ENTRY: usize = 12;
/// `ee_len` above this marks an uninitialized (preallocated) extent, read as zeros.
const INIT_MAX_LEN: u16 = 32768;
/// Logical block numbers are 32 bits: nothing is mapped at or past this.
const LOGICAL_END: u64 = 1 << 32;

struct Header {
    entries: usize,
    depth: u16,
}

/// Parses and checks a node header. `node` is the whole node (60 bytes for the root,
/// a block otherwise), `at` says where it is for messages.
fn header(node: &[u8], ino: u32, at: &dyn core::fmt::Display) -> Result<(Header, usize), FsError> {
    let bad = |what: &str| FsError::Corrupt(format!("ext4: inode {ino}: extent node {at}: {what}"));
    let magic = le16(node, 0).ok_or_else(|| bad("short"))?;
    if magic != MAGIC {
        return Err(bad(&format!("bad magic {magic:#06x}")));
    }
    let entries = usize::from(le16(node, 2).ok_or_else(|| bad("short"))?);
    let max = usize::from(le16(node, 4).ok_or_else(|| bad("short"))?);
    let depth = le16(node, 6).ok_or_else(|| bad("short"))?;
    // (max + 1) * 12 cannot overflow: max < 65536.
    let table_end = max.saturating_add(1).saturating_mul(ENTRY);
    if entries > max || table_end > node.len() {
        return Err(bad(&format!(
            "{entries} entries of {max} do not fit in {} bytes",
            node.len()
        )));
    }
    if depth > MAX_DEPTH {
        return Err(bad(&format!("depth {depth} exceeds {MAX_DEPTH}")));
    }
    Ok((Header { entries, depth }, table_end))
}

/// Verifies the checksum tail that follows the `eh_max` entries of a non-root node.
fn verify_tail(
    node: &[u8],
    table_end: usize,
    seed: u32,
    ino: u32,
    block: u64,
) -> Result<(), FsError> {
    let bad =
        |what: &str| FsError::Corrupt(format!("ext4: inode {ino}: extent block {block}: {what}"));
    let stored = le32(node, table_end).ok_or_else(|| bad("no room for the checksum tail"))?;
    let computed = crc32c(seed, slice(node, 0, table_end).ok_or_else(|| bad("short"))?);
    if stored != computed {
        return Err(bad(&format!(
            "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    Ok(())
}

/// Maps logical block `lblk` of `inode` to a run of at most `max` (>= 1) blocks: either
/// physically contiguous data or a hole/uninitialized range (read as zeros).
/// `scratch` is reused for node blocks so that a read costs no allocation per node.
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
    if lblk >= LOGICAL_END {
        return Ok(Run {
            len: max,
            phys: None,
        });
    }
    let bs = usize::try_from(sb.block_size).unwrap_or(usize::MAX);
    // Exclusive end of the logical range the current subtree may map: the next index
    // entry's start at each level above. Bounds holes that end in a later leaf.
    let mut bound = LOGICAL_END;
    let mut node_block: Option<u64> = None;
    let mut expect_depth: Option<u16> = None;

    // One iteration per tree level: the root plus at most MAX_DEPTH levels below it.
    for _ in 0..=MAX_DEPTH {
        let node: &[u8] = match node_block {
            None => &inode.i_block,
            Some(_) => scratch.as_slice(),
        };
        let at: &dyn core::fmt::Display = match &node_block {
            None => &"root (in inode)",
            Some(b) => b,
        };
        let (h, table_end) = header(node, ino, at)?;
        if let Some(d) = expect_depth {
            if h.depth != d {
                return Err(FsError::Corrupt(format!(
                    "ext4: inode {ino}: extent node {at}: depth {} where {d} was expected",
                    h.depth
                )));
            }
        }
        if let (Some(b), Some(seed)) = (node_block, inode.csum_seed) {
            verify_tail(node, table_end, seed, ino, b)?;
        }
        let entry = |i: usize| -> Result<&[u8], FsError> {
            slice(node, i.saturating_add(1).saturating_mul(ENTRY), ENTRY).ok_or_else(|| {
                FsError::Corrupt(format!(
                    "ext4: inode {ino}: extent node {at}: short entry {i}"
                ))
            })
        };

        if h.depth == 0 {
            // Leaf: find the extent holding lblk, or the gap before the next one.
            let mut prev_end = 0u64;
            for i in 0..h.entries {
                let e = entry(i)?;
                let first = u64::from(le32(e, 0).unwrap_or(0));
                let raw_len = le16(e, 4).unwrap_or(0);
                let start_hi = le16(e, 6).unwrap_or(0);
                let start_lo = le32(e, 8).unwrap_or(0);
                let (len, uninit) = if raw_len > INIT_MAX_LEN {
                    (raw_len.saturating_sub(INIT_MAX_LEN), true)
                } else {
                    (raw_len, false)
                };
                let len = u64::from(len);
                let end = first.saturating_add(len);
                if len == 0 || first < prev_end {
                    return Err(FsError::Corrupt(format!(
                        "ext4: inode {ino}: extent node {at}: extent {i} (logical {first}, \
                         {len} blocks) is empty or overlaps the previous one"
                    )));
                }
                prev_end = end;
                if lblk < first {
                    return Ok(Run {
                        len: first.saturating_sub(lblk).min(max),
                        phys: None,
                    });
                }
                if lblk < end {
                    let phys_start = (u64::from(start_hi) << 32) | u64::from(start_lo);
                    let phys_end = phys_start.saturating_add(len);
                    if phys_start == 0 || phys_end > sb.blocks_count {
                        return Err(FsError::Corrupt(format!(
                            "ext4: inode {ino}: extent node {at}: extent {i} maps blocks \
                             {phys_start}..{phys_end}, outside the filesystem ({} blocks)",
                            sb.blocks_count
                        )));
                    }
                    let run = end.saturating_sub(lblk).min(max);
                    let phys = if uninit {
                        None
                    } else {
                        Some(phys_start.saturating_add(lblk.saturating_sub(first)))
                    };
                    return Ok(Run { len: run, phys });
                }
            }
            let len = bound.saturating_sub(lblk).clamp(1, max);
            return Ok(Run { len, phys: None });
        }

        // Index node: the last entry starting at or before lblk covers it.
        let mut child: Option<u64> = None;
        let mut prev_first: Option<u64> = None;
        for i in 0..h.entries {
            let e = entry(i)?;
            let first = u64::from(le32(e, 0).unwrap_or(0));
            if prev_first.is_some_and(|p| first <= p) {
                return Err(FsError::Corrupt(format!(
                    "ext4: inode {ino}: extent node {at}: index entries out of order at {i}"
                )));
            }
            prev_first = Some(first);
            if first > lblk {
                bound = bound.min(first);
                break;
            }
            let lo = le32(e, 4).unwrap_or(0);
            let hi = le16(e, 8).unwrap_or(0);
            child = Some((u64::from(hi) << 32) | u64::from(lo));
        }
        let Some(child) = child else {
            // lblk lies before the first subtree (or the node is empty): a hole.
            let len = bound.saturating_sub(lblk).clamp(1, max);
            return Ok(Run { len, phys: None });
        };
        if child == 0 || child >= sb.blocks_count {
            return Err(FsError::Corrupt(format!(
                "ext4: inode {ino}: extent node {at}: child block {child} outside the filesystem"
            )));
        }
        expect_depth = Some(h.depth.saturating_sub(1));
        let off = child.checked_mul(u64::from(sb.block_size)).ok_or_else(|| {
            FsError::Corrupt(format!("ext4: inode {ino}: extent block {child} overflows"))
        })?;
        scratch.resize(bs, 0);
        dev.read_exact_at(off, scratch).map_err(|e| {
            FsError::Corrupt(format!("ext4: inode {ino}: extent block {child}: {e}"))
        })?;
        node_block = Some(child);
    }
    Err(FsError::Corrupt(format!(
        "ext4: inode {ino}: extent tree deeper than {MAX_DEPTH}"
    )))
}

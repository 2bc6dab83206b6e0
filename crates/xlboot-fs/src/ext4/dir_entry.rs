//! Directory blocks: linear lists of variable-length entries.
//!
//! Every directory, hashed (htree) or not, is read the same way: block by block, entry
//! by entry. An htree's index blocks are disguised as directory blocks so that old
//! readers can do exactly this: the dx_root is block 0 holding `.` and a `..` entry that
//! covers the rest of the block, and each dx_node starts with an empty entry (inode 0)
//! spanning the whole block. They carry no names, and with `metadata_csum` they end in
//! a dx tail instead of the leaf's dirent tail, so they are recognised, checked with
//! their own checksum, and skipped.

use alloc::format;
use core::ops::ControlFlow;

use super::checksum::crc32c;
use crate::bytes::{le16, le32, slice, u8_at};
use crate::FsError;

/// Size of the fixed part of an entry: inode, rec_len, name_len, file_type.
const HEADER: usize = 8;
/// Size of the `metadata_csum` leaf tail, a fake entry at the end of the block.
const TAIL: usize = 12;
/// `det_reserved_ft` of the tail: marks the fake entry as a checksum.
const TAIL_FT: u8 = 0xDE;

/// The callback of a directory walk: gets each live entry's name and inode number,
/// and may stop the walk or fail it.
pub(crate) type EntryFn<'a> = dyn FnMut(&[u8], u32) -> Result<ControlFlow<()>, FsError> + 'a;

/// What a directory block is, for the linear scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// Names.
    Leaf,
    /// htree root (block 0): `.`, `..`, then the index.
    DxRoot,
    /// htree interior node: an empty entry, then the index.
    DxNode,
}

/// Where a block is, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub ino: u32,
    pub lblk: u64,
    /// Physical block, or `None` for inline data held in the inode.
    pub phys: Option<u64>,
}

impl Place {
    fn err(&self, what: &str) -> FsError {
        match self.phys {
            Some(p) => FsError::Corrupt(format!(
                "ext4: directory inode {}, block {} (physical {p}): {what}",
                self.ino, self.lblk
            )),
            None => FsError::Corrupt(format!(
                "ext4: directory inode {}, inline data: {what}",
                self.ino
            )),
        }
    }
}

/// Decodes `rec_len`: 64 KiB blocks store 65536 as 0 or 65535.
fn rec_len(block: &[u8], off: usize) -> Option<usize> {
    let raw = le16(block, off.checked_add(4)?)?;
    if block.len() >= 65536 && (raw == 0 || raw == 0xFFFF) {
        return Some(65536);
    }
    Some(usize::from(raw))
}

/// Classifies a directory block. `indexed` is the directory's INDEX_FL.
pub(crate) fn classify(block: &[u8], lblk: u64, indexed: bool) -> BlockKind {
    let bs = block.len();
    if indexed && lblk == 0 {
        // `.` of length 12, then `..` covering the rest of the block.
        let dot = rec_len(block, 0) == Some(12) && slice(block, HEADER, 1) == Some(b".");
        let dotdot_len = rec_len(block, 12);
        if dot && dotdot_len == Some(bs.saturating_sub(12)) {
            return BlockKind::DxRoot;
        }
    }
    if indexed && lblk > 0 && le32(block, 0) == Some(0) && rec_len(block, 0) == Some(bs) {
        return BlockKind::DxNode;
    }
    BlockKind::Leaf
}

/// Verifies the leaf tail checksum; returns the number of bytes holding entries.
pub(crate) fn verify_leaf(block: &[u8], seed: u32, at: &Place) -> Result<usize, FsError> {
    let bs = block.len();
    let t = bs
        .checked_sub(TAIL)
        .ok_or_else(|| at.err("block too small"))?;
    let is_tail = le32(block, t) == Some(0)
        && rec_len(block, t) == Some(TAIL)
        && u8_at(block, t.saturating_add(6)) == Some(0)
        && u8_at(block, t.saturating_add(7)) == Some(TAIL_FT);
    if !is_tail {
        return Err(at.err("no metadata_csum tail at the end of the leaf block"));
    }
    let stored = le32(block, t.saturating_add(8)).ok_or_else(|| at.err("short tail"))?;
    let computed = crc32c(seed, slice(block, 0, t).ok_or_else(|| at.err("short"))?);
    if stored != computed {
        return Err(at.err(&format!(
            "leaf checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    Ok(t)
}

/// Verifies an htree index block's checksum (dx tail after `limit` index entries).
pub(crate) fn verify_dx(
    block: &[u8],
    kind: BlockKind,
    seed: u32,
    at: &Place,
) -> Result<(), FsError> {
    // The count/limit pair follows `.`+`..`+dx_root_info (32 bytes) or the empty entry.
    let count_off = match kind {
        BlockKind::DxRoot => {
            let info_len = u8_at(block, 29).ok_or_else(|| at.err("short dx_root"))?;
            if info_len != 8 {
                return Err(at.err(&format!("htree root info length {info_len}, not 8")));
            }
            32
        }
        _ => HEADER,
    };
    let limit = usize::from(le16(block, count_off).ok_or_else(|| at.err("short dx header"))?);
    let count = usize::from(
        le16(block, count_off.saturating_add(2)).ok_or_else(|| at.err("short dx header"))?,
    );
    if count > limit {
        return Err(at.err(&format!(
            "htree node has {count} entries but room for {limit}"
        )));
    }
    let tail = count_off.saturating_add(limit.saturating_mul(8));
    let covered = count_off.saturating_add(count.saturating_mul(8));
    let reserved =
        slice(block, tail, 4).ok_or_else(|| at.err("no room for the htree checksum tail"))?;
    let stored = le32(block, tail.saturating_add(4))
        .ok_or_else(|| at.err("no room for the htree checksum tail"))?;
    let mut crc = crc32c(
        seed,
        slice(block, 0, covered).ok_or_else(|| at.err("short"))?,
    );
    crc = crc32c(crc, reserved);
    crc = crc32c(crc, &[0; 4]);
    if stored != crc {
        return Err(at.err(&format!(
            "htree checksum mismatch (stored {stored:#010x}, computed {crc:#010x})"
        )));
    }
    Ok(())
}

/// Calls `f(name, inode)` for each live entry in `block[..end]`. Entries with inode 0
/// (deleted or padding) are skipped. Every `rec_len` is checked to advance by at least
/// one header and stay inside the block, so the walk ends.
pub(crate) fn walk(
    block: &[u8],
    end: usize,
    filetype: bool,
    at: &Place,
    f: &mut EntryFn<'_>,
) -> Result<ControlFlow<()>, FsError> {
    let mut off = 0usize;
    while off < end {
        let here = |what: &str| at.err(&format!("entry at byte {off}: {what}"));
        let ino = le32(block, off).ok_or_else(|| here("truncated header"))?;
        let len = rec_len(block, off).ok_or_else(|| here("truncated header"))?;
        let name_len = if filetype {
            usize::from(
                u8_at(block, off.saturating_add(6)).ok_or_else(|| here("truncated header"))?,
            )
        } else {
            usize::from(le16(block, off.saturating_add(6)).ok_or_else(|| here("truncated header"))?)
        };
        let next = off
            .checked_add(len)
            .ok_or_else(|| here("rec_len overflows"))?;
        if len < HEADER.saturating_add(4) || len % 4 != 0 || next > end {
            return Err(here(&format!("bad rec_len {len}")));
        }
        if HEADER.saturating_add(name_len) > len {
            return Err(here(&format!(
                "name length {name_len} exceeds rec_len {len}"
            )));
        }
        if ino != 0 {
            let name = slice(block, off.saturating_add(HEADER), name_len)
                .ok_or_else(|| here("name past the block"))?;
            // Linux never writes these; a name with `/` or NUL would let a listing
            // smuggle a path into whoever builds paths from names.
            if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
                return Err(here("empty name, or a name containing '/' or NUL"));
            }
            if f(name, ino)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        off = next;
    }
    Ok(ControlFlow::Continue(()))
}

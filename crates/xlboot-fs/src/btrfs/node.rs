//! Tree blocks (`struct btrfs_header`, then items): every tree in btrfs is made of
//! them. A leaf (level 0) holds items, each a key plus an offset and size into the
//! block's data area; an internal node holds key pointers to child blocks.
//!
//! A block is checked once, when it is read: checksum, its own logical address, the
//! filesystem id, the level, the item count against the block size, item data inside
//! the block and after the item headers, and keys strictly ascending. What depends on
//! the path that led to it (level, generation, owner) is checked by the tree walk.

use alloc::format;
use alloc::vec::Vec;

use super::checksum::CsumType;
use super::key::{Key, KEY_SIZE};
use super::superblock::MAX_LEVEL;
use crate::bytes::{le32, le64, slice, u8_at};
use crate::FsError;

/// Size of the header.
pub(crate) const HEADER_SIZE: usize = 101;
/// A leaf item header: key, data offset (u32), data size (u32).
const ITEM_SIZE: usize = KEY_SIZE + 8;
/// An internal node's key pointer: key, block address (u64), generation (u64).
const PTR_SIZE: usize = KEY_SIZE + 16;

/// A checked tree block.
#[derive(Debug)]
pub(crate) struct Node {
    /// Its logical address.
    pub bytenr: u64,
    pub generation: u64,
    pub owner: u64,
    pub level: u8,
    pub nritems: usize,
    raw: Vec<u8>,
}

/// One key pointer of an internal node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyPtr {
    pub key: Key,
    pub blockptr: u64,
    pub generation: u64,
}

impl Node {
    /// Checks `raw` (one whole block read at logical `bytenr`) and wraps it.
    pub(crate) fn parse(
        raw: Vec<u8>,
        bytenr: u64,
        csum: CsumType,
        fsid: &[u8; 16],
    ) -> Result<Node, FsError> {
        let bad =
            |what: &str| FsError::Corrupt(format!("btrfs: tree block at logical {bytenr}: {what}"));
        if !csum.verify(&raw) {
            return Err(bad(&format!("{} checksum mismatch", csum.name())));
        }
        let short = || bad("short");
        if slice(&raw, 32, 16) != Some(&fsid[..]) {
            return Err(bad("belongs to another filesystem (fsid)"));
        }
        let own = le64(&raw, 48).ok_or_else(short)?;
        if own != bytenr {
            return Err(bad(&format!("says it lives at logical {own}")));
        }
        let generation = le64(&raw, 80).ok_or_else(short)?;
        let owner = le64(&raw, 88).ok_or_else(short)?;
        let nritems = usize::try_from(le32(&raw, 96).ok_or_else(short)?).unwrap_or(usize::MAX);
        let level = u8_at(&raw, 100).ok_or_else(short)?;
        if level >= MAX_LEVEL {
            return Err(bad(&format!("level {level}")));
        }
        let space = raw.len().saturating_sub(HEADER_SIZE);
        let per = if level == 0 { ITEM_SIZE } else { PTR_SIZE };
        if nritems.checked_mul(per).is_none_or(|n| n > space) {
            return Err(bad(&format!("{nritems} items do not fit")));
        }
        if level > 0 && nritems == 0 {
            return Err(bad("an internal node without children"));
        }
        let node = Node {
            bytenr,
            generation,
            owner,
            level,
            nritems,
            raw,
        };
        let mut prev: Option<Key> = None;
        // Item headers grow from the front; their data, from the back: data must lie
        // after the headers and inside the block.
        let headers_end = nritems.saturating_mul(per);
        for i in 0..nritems {
            let key = node.key(i).ok_or_else(short)?;
            if prev.is_some_and(|p| p >= key) {
                return Err(bad(&format!("keys out of order at slot {i} {key}")));
            }
            prev = Some(key);
            if level == 0 {
                let (off, size) = node.item_span(i).ok_or_else(short)?;
                let end = off.checked_add(size).ok_or_else(short)?;
                if off < headers_end || end > space {
                    return Err(bad(&format!("item {i} {key}: data outside the block")));
                }
            }
        }
        Ok(node)
    }

    /// The key at `slot` (item or key pointer).
    pub(crate) fn key(&self, slot: usize) -> Option<Key> {
        let per = if self.level == 0 { ITEM_SIZE } else { PTR_SIZE };
        let off = slot.checked_mul(per)?.checked_add(HEADER_SIZE)?;
        Key::parse(&self.raw, off)
    }

    /// Offset (from the end of the header) and size of leaf item `slot`'s data.
    fn item_span(&self, slot: usize) -> Option<(usize, usize)> {
        let off = slot.checked_mul(ITEM_SIZE)?.checked_add(HEADER_SIZE)?;
        let doff = le32(&self.raw, off.checked_add(KEY_SIZE)?)?;
        let dsize = le32(&self.raw, off.checked_add(KEY_SIZE + 4)?)?;
        Some((usize::try_from(doff).ok()?, usize::try_from(dsize).ok()?))
    }

    /// The data of leaf item `slot` (checked to lie inside the block at parse time).
    pub(crate) fn item_data(&self, slot: usize) -> &[u8] {
        self.item_span(slot)
            .and_then(|(off, size)| slice(&self.raw, HEADER_SIZE.checked_add(off)?, size))
            .unwrap_or(&[])
    }

    /// Key pointer `slot` of an internal node.
    pub(crate) fn ptr(&self, slot: usize) -> Option<KeyPtr> {
        let off = slot.checked_mul(PTR_SIZE)?.checked_add(HEADER_SIZE)?;
        Some(KeyPtr {
            key: Key::parse(&self.raw, off)?,
            blockptr: le64(&self.raw, off.checked_add(KEY_SIZE)?)?,
            generation: le64(&self.raw, off.checked_add(KEY_SIZE + 8)?)?,
        })
    }

    /// The last slot whose key is `<= key`, or `None` when every key is greater.
    pub(crate) fn last_le(&self, key: &Key) -> Option<usize> {
        // Binary search over the sorted keys (checked ascending at parse time).
        let (mut lo, mut hi) = (0usize, self.nritems);
        while lo < hi {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            match self.key(mid) {
                Some(k) if k <= *key => lo = mid.saturating_add(1),
                _ => hi = mid,
            }
        }
        lo.checked_sub(1)
    }

    /// Bytes the block occupies in memory.
    pub(crate) fn size(&self) -> usize {
        self.raw.len()
    }
}

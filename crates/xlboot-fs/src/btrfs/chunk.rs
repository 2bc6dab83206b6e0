//! Chunk items (`struct btrfs_chunk` with its stripes): the map from btrfs's logical
//! addresses to byte offsets on the devices.
//!
//! The system chunks, which hold the chunk tree itself, are bootstrapped from the
//! superblock's `sys_chunk_array`; the chunk tree then gives all chunks. Only this
//! device is readable, so a chunk is read through a stripe on it: SINGLE, DUP
//! (two copies on this device), RAID1, RAID1C3 and RAID1C4 (each stripe is a whole
//! copy). RAID0, RAID10, RAID5 and RAID6 spread data over stripes and are refused,
//! named, when a read reaches them (a RAID0 chunk of one stripe is SINGLE).

use alloc::format;
use alloc::vec::Vec;

use super::key::{Key, CHUNK_ITEM, FIRST_CHUNK_TREE_OBJECTID, KEY_SIZE};
use crate::bytes::{le16, le64};
use crate::FsError;

/// Size of a chunk item without its stripes.
const CHUNK_SIZE: usize = 48;
/// Size of one stripe (devid, offset, dev uuid).
const STRIPE_SIZE: usize = 32;
/// Most chunks kept: a 1 GiB data chunk per entry is 100 TiB, and system and
/// metadata chunks are fewer. Bounds the map a hostile chunk tree can build.
pub(crate) const MAX_CHUNKS: usize = 100_000;
/// Most stripes of one chunk (RAID1C4 has 4; striped profiles may have more).
const MAX_STRIPES: usize = 256;

const RAID0: u64 = 1 << 3;
const RAID1: u64 = 1 << 4;
const DUP: u64 = 1 << 5;
const RAID10: u64 = 1 << 6;
const RAID5: u64 = 1 << 7;
const RAID6: u64 = 1 << 8;
const RAID1C3: u64 = 1 << 9;
const RAID1C4: u64 = 1 << 10;
const PROFILES: u64 = RAID0 | RAID1 | DUP | RAID10 | RAID5 | RAID6 | RAID1C3 | RAID1C4;

/// One chunk.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub logical: u64,
    pub length: u64,
    pub ty: u64,
    /// Offsets of the copies of this chunk on this device (empty when none is here).
    copies: Vec<u64>,
    /// Why the chunk cannot be read here, when it cannot.
    refusal: Option<&'static str>,
}

impl Chunk {
    /// Parses a chunk item at logical `logical` (the key's offset); `devid` is this
    /// device's id.
    pub(crate) fn parse(b: &[u8], logical: u64, devid: u64) -> Result<(Chunk, usize), FsError> {
        let bad =
            |what: &str| FsError::Corrupt(format!("btrfs: chunk at logical {logical}: {what}"));
        let short = || bad("short");
        let length = le64(b, 0).ok_or_else(short)?;
        let ty = le64(b, 24).ok_or_else(short)?;
        let num_stripes = usize::from(le16(b, 44).ok_or_else(short)?);
        if length == 0 || logical.checked_add(length).is_none() {
            return Err(bad(&format!("length {length}")));
        }
        if num_stripes == 0 || num_stripes > MAX_STRIPES {
            return Err(bad(&format!("{num_stripes} stripes")));
        }
        let size = num_stripes
            .checked_mul(STRIPE_SIZE)
            .and_then(|s| s.checked_add(CHUNK_SIZE))
            .ok_or_else(short)?;
        if b.len() < size {
            return Err(short());
        }
        let profile = ty & PROFILES;
        let whole_copies = matches!(profile, 0 | DUP | RAID1 | RAID1C3 | RAID1C4)
            || (profile == RAID0 && num_stripes == 1);
        let mut copies = Vec::new();
        for i in 0..num_stripes {
            let at = CHUNK_SIZE.saturating_add(i.saturating_mul(STRIPE_SIZE));
            let sdev = le64(b, at).ok_or_else(short)?;
            let off = le64(b, at.saturating_add(8)).ok_or_else(short)?;
            if sdev == devid && whole_copies {
                off.checked_add(length)
                    .ok_or_else(|| bad("stripe runs past 2^64"))?;
                copies.push(off);
            }
        }
        let refusal = if !whole_copies {
            Some(match profile {
                RAID0 => "RAID0 (striped over devices)",
                RAID10 => "RAID10 (striped over devices)",
                RAID5 => "RAID5 (parity over devices)",
                RAID6 => "RAID6 (parity over devices)",
                _ => "an unknown combination of profiles",
            })
        } else if copies.is_empty() {
            Some("kept on other devices only")
        } else {
            None
        };
        Ok((
            Chunk {
                logical,
                length,
                ty,
                copies,
                refusal,
            },
            size,
        ))
    }
}

/// All chunks, sorted by logical address, none overlapping.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkMap {
    chunks: Vec<Chunk>,
}

impl ChunkMap {
    /// The system chunks of `sys_chunk_array` (key, chunk, key, chunk, ...).
    pub(crate) fn from_sys_array(arr: &[u8], devid: u64) -> Result<ChunkMap, FsError> {
        let mut map = ChunkMap::default();
        let mut pos = 0usize;
        // Each pass consumes at least a key and a chunk header.
        while pos < arr.len() {
            let key = Key::parse(arr, pos).ok_or_else(|| {
                FsError::Corrupt(format!("btrfs: sys_chunk_array: short key at byte {pos}"))
            })?;
            if key.ty != CHUNK_ITEM || key.objectid != FIRST_CHUNK_TREE_OBJECTID {
                return Err(FsError::Corrupt(format!(
                    "btrfs: sys_chunk_array: item {key} at byte {pos} is not a chunk"
                )));
            }
            pos = pos.saturating_add(KEY_SIZE);
            let rest = arr.get(pos..).unwrap_or(&[]);
            let (chunk, size) = Chunk::parse(rest, key.offset, devid)?;
            map.insert(chunk)?;
            pos = pos.saturating_add(size);
        }
        if map.chunks.is_empty() {
            return Err(FsError::Corrupt(
                "btrfs: sys_chunk_array holds no chunk".into(),
            ));
        }
        Ok(map)
    }

    /// Adds a chunk; one identical in place and size to a known one is skipped (the
    /// chunk tree repeats the system chunks), an overlapping one is corrupt.
    pub(crate) fn insert(&mut self, c: Chunk) -> Result<(), FsError> {
        let at = self.chunks.partition_point(|x| x.logical < c.logical);
        let end = c.logical.saturating_add(c.length);
        if let Some(next) = self.chunks.get(at) {
            if next.logical == c.logical && next.length == c.length {
                return Ok(());
            }
            if next.logical < end {
                return Err(FsError::Corrupt(format!(
                    "btrfs: chunks at logical {} and {} overlap",
                    c.logical, next.logical
                )));
            }
        }
        if let Some(prev) = at.checked_sub(1).and_then(|p| self.chunks.get(p)) {
            if prev.logical.saturating_add(prev.length) > c.logical {
                return Err(FsError::Corrupt(format!(
                    "btrfs: chunks at logical {} and {} overlap",
                    prev.logical, c.logical
                )));
            }
        }
        if self.chunks.len() >= MAX_CHUNKS {
            return Err(FsError::Limit(format!(
                "btrfs: more than {MAX_CHUNKS} chunks"
            )));
        }
        self.chunks.insert(at, c);
        Ok(())
    }

    /// Where `logical` lives on this device: the byte offset of each copy (at least
    /// one), and how many bytes from there on stay in the same chunk.
    pub(crate) fn map(&self, logical: u64) -> Result<(Vec<u64>, u64), FsError> {
        let at = self.chunks.partition_point(|x| x.logical <= logical);
        let c = at
            .checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .filter(|c| logical.saturating_sub(c.logical) < c.length)
            .ok_or_else(|| {
                FsError::Corrupt(format!("btrfs: logical address {logical} lies in no chunk"))
            })?;
        if let Some(why) = c.refusal {
            return Err(FsError::Unsupported(format!(
                "btrfs: logical address {logical} lies in a chunk at {} that is {why} \
                 (profile bits {:#x}); only SINGLE, DUP and RAID1/RAID1C3/RAID1C4 copies \
                 on this device are read",
                c.logical,
                c.ty & PROFILES
            )));
        }
        let inside = logical.saturating_sub(c.logical);
        // Each copy was checked at parse time to hold `length` bytes below 2^64.
        let at = c.copies.iter().map(|p| p.saturating_add(inside)).collect();
        Ok((at, c.length.saturating_sub(inside)))
    }
}

//! Chunk items (`struct btrfs_chunk` with its stripes): the map from btrfs's logical
//! addresses to byte offsets on the devices.
//!
//! The system chunks, which hold the chunk tree itself, are bootstrapped from the
//! superblock's `sys_chunk_array`; the chunk tree then gives all chunks. A logical
//! address maps to one place on each copy of it, as GRUB's `btrfs.c` maps it: SINGLE,
//! DUP, RAID1, RAID1C3 and RAID1C4 keep whole copies (one per stripe); RAID0 spreads
//! `stripe_len` pieces over the stripes in turn, and RAID10 does so over groups of
//! `sub_stripes` mirrored stripes. Which of those places are readable depends on which
//! devices the caller has (see [`super::tree`]). RAID5 and RAID6 are refused, named,
//! when a read reaches them.

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

/// How a chunk lays its bytes out on its stripes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Every stripe holds the whole chunk (SINGLE, DUP, RAID1, RAID1C3, RAID1C4, and
    /// RAID0 or RAID10 of one stripe group).
    Copies,
    /// `stripe_len` pieces in turn over groups of `group` stripes, each group's stripes
    /// holding the same bytes (RAID0: groups of 1; RAID10: of `sub_stripes`).
    Striped { stripe_len: u64, group: usize },
    /// Not readable: RAID5, RAID6, or an unknown combination of profile bits.
    Refused(&'static str),
}

/// One chunk.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub logical: u64,
    pub length: u64,
    pub ty: u64,
    layout: Layout,
    /// (devid, byte offset on that device) of each stripe, in the item's order.
    stripes: Vec<(u64, u64)>,
}

/// Where a logical address lives: (devid, byte offset on that device) of each copy,
/// and how many bytes from there on stay contiguous on every copy.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub copies: Vec<(u64, u64)>,
    pub left: u64,
}

impl Chunk {
    /// Parses a chunk item at logical `logical` (the key's offset).
    pub(crate) fn parse(b: &[u8], logical: u64) -> Result<(Chunk, usize), FsError> {
        let bad =
            |what: &str| FsError::Corrupt(format!("btrfs: chunk at logical {logical}: {what}"));
        let short = || bad("short");
        let length = le64(b, 0).ok_or_else(short)?;
        let stripe_len = le64(b, 16).ok_or_else(short)?;
        let ty = le64(b, 24).ok_or_else(short)?;
        let num_stripes = usize::from(le16(b, 44).ok_or_else(short)?);
        let sub_stripes = usize::from(le16(b, 46).ok_or_else(short)?);
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
        let group = match ty & PROFILES {
            RAID0 => Some(1),
            RAID10 => Some(sub_stripes),
            _ => None,
        };
        let layout = match (ty & PROFILES, group) {
            (0 | DUP | RAID1 | RAID1C3 | RAID1C4, _) => Layout::Copies,
            (_, Some(g)) if g == num_stripes => Layout::Copies,
            (_, Some(g)) => {
                if num_stripes.checked_rem(g) != Some(0) {
                    return Err(bad(&format!(
                        "{num_stripes} stripes in groups of {sub_stripes}"
                    )));
                }
                if stripe_len == 0 || stripe_len > length {
                    return Err(bad(&format!("stripe length {stripe_len}")));
                }
                Layout::Striped {
                    stripe_len,
                    group: g,
                }
            }
            (RAID5, _) => Layout::Refused("RAID5 (parity over devices)"),
            (RAID6, _) => Layout::Refused("RAID6 (parity over devices)"),
            _ => Layout::Refused("an unknown combination of profiles"),
        };
        let mut stripes = Vec::with_capacity(num_stripes);
        for i in 0..num_stripes {
            let at = CHUNK_SIZE.saturating_add(i.saturating_mul(STRIPE_SIZE));
            let sdev = le64(b, at).ok_or_else(short)?;
            let off = le64(b, at.saturating_add(8)).ok_or_else(short)?;
            // A stripe never holds more than the whole chunk.
            off.checked_add(length)
                .ok_or_else(|| bad("stripe runs past 2^64"))?;
            stripes.push((sdev, off));
        }
        Ok((
            Chunk {
                logical,
                length,
                ty,
                layout,
                stripes,
            },
            size,
        ))
    }

    /// Where `inside` bytes into this chunk lives (`inside < length`).
    fn place(&self, inside: u64) -> Result<Placement, FsError> {
        let rest = self.length.saturating_sub(inside);
        match self.layout {
            Layout::Copies => Ok(Placement {
                // Each stripe was checked at parse time to hold `length` bytes below 2^64.
                copies: self
                    .stripes
                    .iter()
                    .map(|&(d, off)| (d, off.saturating_add(inside)))
                    .collect(),
                left: rest,
            }),
            Layout::Striped { stripe_len, group } => {
                // Parse checked: stripe_len > 0, group > 0 dividing the stripe count.
                let groups = self.stripes.len().checked_div(group).unwrap_or(1).max(1) as u64;
                let nr = inside.checked_div(stripe_len).unwrap_or(0);
                let within = inside.checked_rem(stripe_len).unwrap_or(0);
                let first = usize::try_from(nr.checked_rem(groups).unwrap_or(0))
                    .unwrap_or(0)
                    .saturating_mul(group);
                let row = nr
                    .checked_div(groups)
                    .unwrap_or(0)
                    .saturating_mul(stripe_len);
                let copies = self
                    .stripes
                    .get(first..first.saturating_add(group))
                    .unwrap_or(&[])
                    .iter()
                    .map(|&(d, off)| (d, off.saturating_add(row).saturating_add(within)))
                    .collect();
                Ok(Placement {
                    copies,
                    left: stripe_len.saturating_sub(within).min(rest),
                })
            }
            Layout::Refused(why) => Err(FsError::Unsupported(format!(
                "btrfs: the chunk at logical {} is {why} (profile bits {:#x}); SINGLE, \
                 DUP, RAID0, RAID1, RAID1C3, RAID1C4 and RAID10 are read",
                self.logical,
                self.ty & PROFILES
            ))),
        }
    }
}

/// All chunks, sorted by logical address, none overlapping.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkMap {
    chunks: Vec<Chunk>,
}

impl ChunkMap {
    /// The system chunks of `sys_chunk_array` (key, chunk, key, chunk, ...).
    pub(crate) fn from_sys_array(arr: &[u8]) -> Result<ChunkMap, FsError> {
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
            let (chunk, size) = Chunk::parse(rest, key.offset)?;
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

    /// Where `logical` lives: each copy's device and offset, and how many bytes from
    /// there on stay contiguous.
    pub(crate) fn map(&self, logical: u64) -> Result<Placement, FsError> {
        let at = self.chunks.partition_point(|x| x.logical <= logical);
        let c = at
            .checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .filter(|c| logical.saturating_sub(c.logical) < c.length)
            .ok_or_else(|| {
                FsError::Corrupt(format!("btrfs: logical address {logical} lies in no chunk"))
            })?;
        c.place(logical.saturating_sub(c.logical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A chunk item of `length` bytes at logical 0 with profile bits `ty`, 64 KiB
    /// stripes, `sub` sub-stripes and one stripe per (devid, offset).
    fn item(length: u64, ty: u64, sub: u16, stripes: &[(u64, u64)]) -> Vec<u8> {
        let mut b = vec![0u8; CHUNK_SIZE + STRIPE_SIZE * stripes.len()];
        b[0..8].copy_from_slice(&length.to_le_bytes());
        b[16..24].copy_from_slice(&65536u64.to_le_bytes());
        b[24..32].copy_from_slice(&ty.to_le_bytes());
        b[44..46].copy_from_slice(&(stripes.len() as u16).to_le_bytes());
        b[46..48].copy_from_slice(&sub.to_le_bytes());
        for (i, &(d, off)) in stripes.iter().enumerate() {
            let at = CHUNK_SIZE + STRIPE_SIZE * i;
            b[at..at + 8].copy_from_slice(&d.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&off.to_le_bytes());
        }
        b
    }

    #[test]
    fn raid0_and_raid10_place_pieces_in_turn_as_grub_does() {
        let devs = [(1, 1 << 20), (2, 2 << 20), (3, 3 << 20), (4, 4 << 20)];
        let (raid0, _) = Chunk::parse(&item(1 << 20, RAID0, 1, &devs[..2]), 0).unwrap();
        // Piece 3 (bytes 192 KiB..256 KiB) is the second piece on device 2.
        let p = raid0.place(3 * 65536 + 10).unwrap();
        assert_eq!(p.copies, vec![(2, (2 << 20) + 65536 + 10)]);
        assert_eq!(p.left, 65536 - 10);
        let (raid10, _) = Chunk::parse(&item(1 << 20, RAID10, 2, &devs), 0).unwrap();
        // Piece 1 lives on the second pair (devices 3 and 4), row 0.
        let p = raid10.place(65536).unwrap();
        assert_eq!(p.copies, vec![(3, 3 << 20), (4, 4 << 20)]);
        // Piece 2 on the first pair again, row 1.
        let p = raid10.place(2 * 65536 + 1).unwrap();
        assert_eq!(
            p.copies,
            vec![(1, (1 << 20) + 65537), (2, (2 << 20) + 65537)]
        );
    }

    #[test]
    fn hostile_stripe_groups_and_parity_are_refused() {
        let devs = [(1, 0), (2, 0), (3, 0)];
        for sub in [0, 2] {
            assert!(matches!(
                Chunk::parse(&item(1 << 20, RAID10, sub, &devs), 0),
                Err(FsError::Corrupt(_))
            ));
        }
        let (raid5, _) = Chunk::parse(&item(1 << 20, RAID5, 1, &devs), 0).unwrap();
        assert!(matches!(raid5.place(0), Err(FsError::Unsupported(_))));
    }
}

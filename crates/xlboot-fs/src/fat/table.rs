//! The file allocation table: one entry per cluster, each naming the next cluster of
//! its chain, or the end.
//!
//! Chains are the guest's to write, so walking one is bounded twice: no chain is
//! longer than the volume has clusters, and Brent's cycle detection catches a loop
//! after at most a few times its length (without remembering visited clusters). Free,
//! reserved and bad-cluster entries inside a chain, and links past the last cluster,
//! are corrupt.
//!
//! Entries are read through a small window of the table (4 KiB), so a contiguous
//! file costs one device read per thousand clusters or so, not one per cluster.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_disk::BlockDevice;

use super::boot_sector::{BootSector, FatType};
use crate::bytes::{le16, le32};
use crate::FsError;

/// Bytes of the table read at once (plus a few, so no entry straddles the window).
const WINDOW: u64 = 4096;

/// Reads entries of the active FAT through a cached window.
struct Table<'a, D> {
    dev: &'a D,
    bs: &'a BootSector,
    /// Byte offset of the active FAT on the volume, and its length.
    base: u64,
    len: u64,
    /// Offset inside the FAT of `buf`'s first byte, when `buf` holds data.
    at: Option<u64>,
    buf: Vec<u8>,
}

impl<'a, D: BlockDevice> Table<'a, D> {
    fn new(dev: &'a D, bs: &'a BootSector) -> Self {
        let bps = u64::from(bs.bytes_per_sector);
        let len = bs.fat_sectors.saturating_mul(bps);
        let first = u64::from(bs.reserved_sectors)
            .saturating_add(u64::from(bs.active_fat).saturating_mul(bs.fat_sectors));
        Table {
            dev,
            bs,
            base: first.saturating_mul(bps),
            len,
            at: None,
            buf: Vec::new(),
        }
    }

    /// The raw entry of cluster `c`.
    fn entry(&mut self, c: u32) -> Result<u32, FsError> {
        let c64 = u64::from(c);
        let (off, width) = match self.bs.fat_type {
            FatType::Fat12 => (c64.saturating_add(c64 / 2), 2u64),
            FatType::Fat16 => (c64.saturating_mul(2), 2),
            FatType::Fat32 => (c64.saturating_mul(4), 4),
        };
        let end = off.saturating_add(width);
        if end > self.len {
            return Err(FsError::Corrupt(format!(
                "FAT: the entry of cluster {c} lies past the end of the table"
            )));
        }
        let fits = |at: u64, len: usize| off >= at && end <= at.saturating_add(len as u64);
        if !self.at.is_some_and(|at| fits(at, self.buf.len())) {
            let start = off.saturating_sub(off % WINDOW);
            let n = (WINDOW + 4).min(self.len.saturating_sub(start));
            self.buf = vec![0u8; usize::try_from(n).unwrap_or(0)];
            self.dev
                .read_exact_at(self.base.saturating_add(start), &mut self.buf)
                .map_err(|e| FsError::Corrupt(format!("FAT: reading the table: {e}")))?;
            self.at = Some(start);
        }
        let rel = usize::try_from(off.saturating_sub(self.at.unwrap_or(0))).unwrap_or(usize::MAX);
        let bad = || FsError::Corrupt(format!("FAT: entry of cluster {c} unreadable"));
        Ok(match self.bs.fat_type {
            FatType::Fat12 => {
                let v = le16(&self.buf, rel).ok_or_else(bad)?;
                u32::from(if c % 2 == 0 { v & 0x0FFF } else { v >> 4 })
            }
            FatType::Fat16 => u32::from(le16(&self.buf, rel).ok_or_else(bad)?),
            FatType::Fat32 => le32(&self.buf, rel).ok_or_else(bad)? & 0x0FFF_FFFF,
        })
    }
}

/// Walks one cluster chain; see the module comment for its bounds.
pub(crate) struct Chain<'a, D> {
    table: Table<'a, D>,
    first: u32,
    /// The cluster the next call returns.
    next: Option<u32>,
    taken: u64,
    /// Brent's cycle detection: the saved cluster, the current power of two, and the
    /// steps since the last save.
    saved: u32,
    power: u64,
    steps: u64,
}

impl<'a, D: BlockDevice> Chain<'a, D> {
    /// The chain starting at cluster `first` (a valid data cluster).
    pub(crate) fn new(dev: &'a D, bs: &'a BootSector, first: u32) -> Result<Self, FsError> {
        if !bs.is_cluster(first) {
            return Err(FsError::Corrupt(format!(
                "FAT: a chain starts at cluster {first}, outside clusters 2..={}",
                u64::from(bs.cluster_count).saturating_add(1)
            )));
        }
        Ok(Chain {
            table: Table::new(dev, bs),
            first,
            next: Some(first),
            taken: 0,
            saved: first,
            power: 1,
            steps: 0,
        })
    }

    /// The next cluster of the chain, `None` after its end-of-chain mark.
    pub(crate) fn next_cluster(&mut self) -> Result<Option<u32>, FsError> {
        let Some(c) = self.next else {
            return Ok(None);
        };
        let bs = self.table.bs;
        let first = self.first;
        self.taken = self.taken.saturating_add(1);
        if self.taken > u64::from(bs.cluster_count) {
            return Err(FsError::Corrupt(format!(
                "FAT: the chain from cluster {first} is longer than the volume's {} clusters",
                bs.cluster_count
            )));
        }
        let v = self.table.entry(c)?;
        let (eoc, badmark) = match bs.fat_type {
            FatType::Fat12 => (0xFF8, 0xFF7),
            FatType::Fat16 => (0xFFF8, 0xFFF7),
            FatType::Fat32 => (0x0FFF_FFF8, 0x0FFF_FFF7),
        };
        self.next = if v >= eoc {
            None
        } else if v == badmark {
            return Err(FsError::Corrupt(format!(
                "FAT: the chain from cluster {first} runs into cluster {c}, marked bad"
            )));
        } else if v == 0 {
            return Err(FsError::Corrupt(format!(
                "FAT: the chain from cluster {first} runs into cluster {c}, marked free"
            )));
        } else if !bs.is_cluster(v) {
            return Err(FsError::Corrupt(format!(
                "FAT: the chain from cluster {first} links cluster {c} to {v}, which does not exist"
            )));
        } else {
            if v == self.saved {
                return Err(FsError::Corrupt(format!(
                    "FAT: the chain from cluster {first} loops (back to cluster {v})"
                )));
            }
            self.steps = self.steps.saturating_add(1);
            if self.steps == self.power {
                self.saved = v;
                self.power = self.power.saturating_mul(2);
                self.steps = 0;
            }
            Some(v)
        };
        Ok(Some(c))
    }

    /// The next run of consecutive clusters, at most `max` long: its first cluster and
    /// length. `None` at the end of the chain.
    pub(crate) fn next_run(&mut self, max: u64) -> Result<Option<(u32, u64)>, FsError> {
        let Some(start) = self.next_cluster()? else {
            return Ok(None);
        };
        let mut len = 1u64;
        let mut last = start;
        while len < max {
            match self.next {
                Some(n) if Some(n) == last.checked_add(1) => {
                    self.next_cluster()?;
                    last = n;
                    len = len.saturating_add(1);
                }
                _ => break,
            }
        }
        Ok(Some((start, len)))
    }

    /// Whether the chain has ended (the last cluster returned carried end-of-chain).
    pub(crate) fn ended(&self) -> bool {
        self.next.is_none()
    }
}

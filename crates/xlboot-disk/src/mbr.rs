//! The master boot record: LBA 0, boot signature 0x55 0xAA at byte 510, and four
//! 16-byte primary partition entries from byte 446.
//!
//! CHS fields are ignored (every tool since the 1990s writes LBAs, and GRUB reads the
//! LBAs too).

use crate::block::BlockDevice;
use crate::bytes::{array, u32_le};
use crate::error::DiskError;

/// MBR sectors are always 512 bytes here: a 4 KiB-sector disk carries GPT.
pub const MBR_SECTOR_SIZE: u64 = 512;

/// Offset of the first partition entry.
const ENTRIES_OFFSET: usize = 446;
/// Size of one partition entry.
const ENTRY_SIZE: usize = 16;

/// Partition type of a GPT protective MBR entry.
pub const TYPE_GPT_PROTECTIVE: u8 = 0xEE;

/// One of the four primary entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MbrEntry {
    /// Status byte: 0x80 marks the active (bootable) partition, 0x00 the others.
    pub status: u8,
    /// Partition type (0x83 Linux, 0x82 Linux swap, 0x05/0x0F/0x85 extended, 0xEE GPT).
    pub part_type: u8,
    /// First sector.
    pub start_lba: u32,
    /// Number of sectors.
    pub sectors: u32,
}

impl MbrEntry {
    fn parse(raw: &[u8; ENTRY_SIZE]) -> Self {
        MbrEntry {
            status: raw[0],
            part_type: raw[4],
            start_lba: u32_le(raw, 8),
            sectors: u32_le(raw, 12),
        }
    }

    /// An empty slot: type 0, or neither start nor size (the kernel also skips entries
    /// of size 0). An entry with a type and a size but start 0 is *not* unused: it is
    /// a broken partition on top of the MBR, reported as such.
    pub fn is_unused(&self) -> bool {
        self.part_type == 0 || self.sectors == 0
    }

    /// An extended partition, the container of an EBR chain of logical partitions.
    pub fn is_extended(&self) -> bool {
        matches!(self.part_type, 0x05 | 0x0F | 0x85)
    }

    /// The active flag.
    pub fn is_bootable(&self) -> bool {
        self.status == 0x80
    }
}

/// Where the disk signature is.
const DISK_SIGNATURE_OFFSET: usize = 440;

/// True if the sector ends in the boot signature 0x55 0xAA (an MBR or an EBR).
pub(crate) fn has_signature(sector: &[u8; 512]) -> bool {
    sector[510] == 0x55 && sector[511] == 0xAA
}

/// The four 16-byte entries from byte 446, in slot order: the layout an EBR shares
/// with the MBR.
pub(crate) fn parse_entries(sector: &[u8; 512]) -> [MbrEntry; 4] {
    let entry = |i: usize| {
        let off = ENTRIES_OFFSET.saturating_add(ENTRY_SIZE.saturating_mul(i));
        MbrEntry::parse(&array::<ENTRY_SIZE>(sector, off))
    };
    [entry(0), entry(1), entry(2), entry(3)]
}

/// LBA 0 read as an MBR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mbr {
    /// The four primary entries, in table order (entry `i` is partition `i + 1`).
    pub entries: [MbrEntry; 4],
    /// The disk signature (little-endian at byte 440), which Linux and blkid make
    /// the partitions' PARTUUIDs from.
    pub disk_signature: u32,
}

impl Mbr {
    /// Reads LBA 0. `Ok(None)` if the disk is too small to hold one or the boot
    /// signature is missing, or if a status byte is neither 0x00 nor 0x80: like the
    /// Linux kernel, we take that for a boot sector that is not a partition table (a
    /// whole-disk FAT or NTFS, whose boot code occupies the entry area).
    pub fn read<D: BlockDevice + ?Sized>(dev: &D) -> Result<Option<Mbr>, DiskError> {
        if dev.size() < MBR_SECTOR_SIZE {
            return Ok(None);
        }
        let mut sector = [0u8; 512];
        dev.read_exact_at(0, &mut sector)?;
        Ok(Self::parse(&sector))
    }

    /// Parses a 512-byte LBA 0; see [`read`](Self::read).
    pub fn parse(sector: &[u8; 512]) -> Option<Mbr> {
        if !has_signature(sector) {
            return None;
        }
        let entries = parse_entries(sector);
        if entries.iter().any(|e| e.status != 0 && e.status != 0x80) {
            return None;
        }
        let sig = array::<4>(sector, DISK_SIGNATURE_OFFSET);
        Some(Mbr {
            entries,
            disk_signature: u32::from_le_bytes(sig),
        })
    }

    /// True if an entry says the disk is GPT (a protective or hybrid MBR).
    pub fn is_protective(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.part_type == TYPE_GPT_PROTECTIVE && !e.is_unused())
    }
}

//! The GPT header: one sector at LBA 1 (primary) and at the last LBA (backup).
//!
//! Layout (UEFI 2.10 §5.3.2), little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | signature "EFI PART" |
//! | 8 | 4 | revision (0x00010000) |
//! | 12 | 4 | header size (92 ..= sector size) |
//! | 16 | 4 | CRC32 of the header, computed with this field zero |
//! | 24 | 8 | my LBA |
//! | 32 | 8 | alternate LBA |
//! | 40 | 8 | first usable LBA |
//! | 48 | 8 | last usable LBA (inclusive) |
//! | 56 | 16 | disk GUID |
//! | 72 | 8 | entry array LBA |
//! | 80 | 4 | entry count |
//! | 84 | 4 | entry size |
//! | 88 | 4 | CRC32 of the entry array |

use alloc::vec;

use crate::block::{BlockDevice, IoError};
use crate::bytes::{array, u32_le, u64_le};
use crate::crc32::crc32;
use crate::error::{Corrupt, DiskError, Unsupported};
use crate::guid::Guid;

/// The header signature.
pub const SIGNATURE: &[u8; 8] = b"EFI PART";
/// Smallest header: the fields above.
pub const MIN_HEADER_SIZE: u32 = 92;
/// Smallest entry, and the size every tool writes.
pub const MIN_ENTRY_SIZE: u32 = 128;
/// Most entries read. Tools write 128; nothing real comes near this.
pub const MAX_ENTRIES: u32 = 1024;
/// Largest entry array read (1024 entries of 1 KiB), so a hostile header cannot make
/// us allocate or checksum more than this.
pub const MAX_ARRAY_BYTES: u64 = 1 << 20;

/// A GPT header that passed every check that does not need its entry array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptHeader {
    /// Sector size the header was found with (512 or 4096).
    pub sector_size: u32,
    /// Revision field.
    pub revision: u32,
    /// LBA of this header.
    pub my_lba: u64,
    /// LBA of the other copy.
    pub alternate_lba: u64,
    /// First LBA partitions may use.
    pub first_usable_lba: u64,
    /// Last LBA partitions may use (inclusive).
    pub last_usable_lba: u64,
    /// Disk GUID.
    pub disk_guid: Guid,
    /// First LBA of the entry array.
    pub entry_lba: u64,
    /// Number of entries in the array.
    pub entry_count: u32,
    /// Size of one entry in bytes.
    pub entry_size: u32,
    /// CRC32 of the entry array (`entry_count * entry_size` bytes).
    pub entry_array_crc: u32,
}

impl GptHeader {
    /// Reads and checks the header at `lba`, with sectors of `sector_size` bytes
    /// (512 or 4096; the caller chooses). Checks: signature, revision 1.x, header size,
    /// CRC, my LBA, usable area, entry size and count, and where the entry array lies.
    pub fn read<D: BlockDevice + ?Sized>(
        dev: &D,
        sector_size: u32,
        lba: u64,
    ) -> Result<GptHeader, DiskError> {
        let ss = u64::from(sector_size);
        // A hostile alternate LBA can be too big to address at all: out of range.
        let at = lba.checked_mul(ss).ok_or(IoError::OutOfRange {
            offset: u64::MAX,
            len: ss,
            size: dev.size(),
        })?;
        let len = usize::try_from(sector_size).map_err(|_| Unsupported::SectorSize(sector_size))?;
        let mut sector = vec![0u8; len];
        dev.read_exact_at(at, &mut sector)?;
        Self::parse(&sector, sector_size, lba, dev.size())
    }

    /// Checks a header sector read from `lba` of a disk of `disk_size` bytes.
    pub fn parse(
        sector: &[u8],
        sector_size: u32,
        lba: u64,
        disk_size: u64,
    ) -> Result<GptHeader, DiskError> {
        let ss = u64::from(sector_size);
        let at = lba.saturating_mul(ss);
        if sector.get(..8) != Some(SIGNATURE.as_slice()) {
            return Err(Corrupt::GptSignature { at }.into());
        }
        let revision = u32_le(sector, 8);
        if revision >> 16 != 1 {
            return Err(Unsupported::GptRevision { at, revision }.into());
        }
        let header_size = u32_le(sector, 12);
        if header_size < MIN_HEADER_SIZE || header_size > sector_size {
            return Err(Corrupt::GptHeaderSize {
                at,
                size: header_size,
            }
            .into());
        }
        let stored = u32_le(sector, 16);
        let hs = usize::try_from(header_size).map_err(|_| Corrupt::GptHeaderSize {
            at,
            size: header_size,
        })?;
        let mut copy = vec![0u8; hs];
        copy.copy_from_slice(sector.get(..hs).ok_or(Corrupt::GptHeaderSize {
            at,
            size: header_size,
        })?);
        if let Some(field) = copy.get_mut(16..20) {
            field.fill(0);
        }
        let computed = crc32(&copy);
        if computed != stored {
            return Err(Corrupt::GptHeaderCrc {
                at,
                stored,
                computed,
            }
            .into());
        }

        let header = GptHeader {
            sector_size,
            revision,
            my_lba: u64_le(sector, 24),
            alternate_lba: u64_le(sector, 32),
            first_usable_lba: u64_le(sector, 40),
            last_usable_lba: u64_le(sector, 48),
            disk_guid: Guid(array::<16>(sector, 56)),
            entry_lba: u64_le(sector, 72),
            entry_count: u32_le(sector, 80),
            entry_size: u32_le(sector, 84),
            entry_array_crc: u32_le(sector, 88),
        };
        if header.my_lba != lba {
            return Err(Corrupt::GptMyLba {
                at,
                expected: lba,
                found: header.my_lba,
            }
            .into());
        }
        let (first, last) = (header.first_usable_lba, header.last_usable_lba);
        // LBAs that belong to the table itself: the MBR, the primary header's standard
        // place, this header and the other copy. Neither the usable area nor the entry
        // array may cover them (a hostile backup could otherwise point its "array" at
        // the primary header and have it read as partition entries).
        let reserved = [0, 1, lba, header.alternate_lba];
        if first > last || reserved.iter().any(|r| (first..=last).contains(r)) {
            return Err(Corrupt::GptUsableRange { at, first, last }.into());
        }
        if header.entry_size < MIN_ENTRY_SIZE || header.entry_size % 8 != 0 {
            return Err(Corrupt::GptEntrySize {
                at,
                size: header.entry_size,
            }
            .into());
        }
        if header.entry_count > MAX_ENTRIES {
            return Err(Unsupported::GptEntryCount {
                at,
                count: header.entry_count,
                max: MAX_ENTRIES,
            }
            .into());
        }
        let bytes = header.array_bytes();
        if bytes > MAX_ARRAY_BYTES {
            return Err(Unsupported::GptEntryArraySize {
                at,
                bytes,
                max: MAX_ARRAY_BYTES,
            }
            .into());
        }

        // The array must lie on the disk, after the MBR, and clear of the headers and
        // of the usable area.
        let bad_array = Corrupt::GptEntryArrayLocation {
            at,
            lba: header.entry_lba,
        };
        let array_start = header.entry_lba;
        let array_end = array_start
            .checked_add(header.array_sectors())
            .ok_or_else(|| bad_array.clone())?; // exclusive
        let disk_sectors = disk_size.checked_div(ss).unwrap_or(0);
        // An empty array (no entries) occupies nothing and cannot overlap anything.
        let empty = array_end == array_start;
        let hits_reserved = reserved.iter().any(|&r| array_start <= r && r < array_end);
        let hits_usable = !empty && array_start <= last && first < array_end;
        if array_start == 0 || hits_reserved || hits_usable || array_end > disk_sectors {
            return Err(bad_array.into());
        }
        Ok(header)
    }

    /// Size of the entry array in bytes (at most [`MAX_ARRAY_BYTES`] once checked).
    pub fn array_bytes(&self) -> u64 {
        // u32 * u32 always fits in u64.
        u64::from(self.entry_count).saturating_mul(u64::from(self.entry_size))
    }

    /// Size of the entry array in whole sectors.
    pub fn array_sectors(&self) -> u64 {
        let ss = u64::from(self.sector_size).max(1);
        self.array_bytes().div_ceil(ss)
    }

    /// Byte offset of this header.
    pub fn offset(&self) -> u64 {
        self.my_lba.saturating_mul(u64::from(self.sector_size))
    }
}

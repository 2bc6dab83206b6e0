//! GPT partition entries: an array of `entry_count` entries of `entry_size` bytes at
//! the header's entry LBA. Only the first 128 bytes of an entry are defined:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 16 | partition type GUID (zero: unused entry) |
//! | 16 | 16 | unique partition GUID |
//! | 32 | 8 | first LBA |
//! | 40 | 8 | last LBA (inclusive) |
//! | 48 | 8 | attributes |
//! | 56 | 72 | name, UTF-16LE, NUL-padded |

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::bytes::{array, u16_le, u64_le};
use crate::crc32::crc32;
use crate::error::{Corrupt, DiskError};
use crate::gpt_header::{GptHeader, MAX_ARRAY_BYTES};
use crate::guid::Guid;

/// Bytes of an entry that carry fields.
pub const ENTRY_FIELDS: usize = 128;
/// UTF-16 code units in the name field.
const NAME_UNITS: usize = 36;

/// One GPT partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptEntry {
    /// Partition type; zero for an unused entry.
    pub type_guid: Guid,
    /// This partition's own GUID (what `root=PARTUUID=` names).
    pub unique_guid: Guid,
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA, inclusive.
    pub last_lba: u64,
    /// Attribute bits (bit 2: legacy BIOS bootable).
    pub attributes: u64,
    /// Name, decoded lossily (unpaired surrogates become U+FFFD), up to the first NUL.
    pub name: String,
}

impl GptEntry {
    /// Parses the defined 128 bytes of an entry.
    pub fn parse(raw: &[u8; ENTRY_FIELDS]) -> GptEntry {
        let units = (0..NAME_UNITS)
            .map(|i| u16_le(raw, 56usize.saturating_add(i.saturating_mul(2))))
            .take_while(|&u| u != 0);
        let name = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        GptEntry {
            type_guid: Guid(array::<16>(raw, 0)),
            unique_guid: Guid(array::<16>(raw, 16)),
            first_lba: u64_le(raw, 32),
            last_lba: u64_le(raw, 40),
            attributes: u64_le(raw, 48),
            name,
        }
    }

    /// True for an unused slot (zero type GUID).
    pub fn is_unused(&self) -> bool {
        self.type_guid.is_zero()
    }

    /// Attribute bit 2, "legacy BIOS bootable".
    pub fn is_legacy_bootable(&self) -> bool {
        self.attributes & (1 << 2) != 0
    }
}

/// Reads the entry array `header` describes, checks its CRC32, and returns the used
/// entries with their 0-based index in the array (GRUB names index `i` `gpt{i+1}`;
/// unused slots keep their number, they are not renumbered away).
pub fn read_entries<D: BlockDevice + ?Sized>(
    dev: &D,
    header: &GptHeader,
) -> Result<Vec<(u32, GptEntry)>, DiskError> {
    let at = header.offset();
    let bytes = header.array_bytes();
    // Checked by GptHeader::parse already; checked again because the allocation
    // below must never be sized by an unchecked disk value.
    if bytes > MAX_ARRAY_BYTES {
        return Err(crate::error::Unsupported::GptEntryArraySize {
            at,
            bytes,
            max: MAX_ARRAY_BYTES,
        }
        .into());
    }
    let len = usize::try_from(bytes).map_err(|_| Corrupt::GptEntryArrayLocation {
        at,
        lba: header.entry_lba,
    })?;
    let offset = header
        .entry_lba
        .checked_mul(u64::from(header.sector_size))
        .ok_or(Corrupt::GptEntryArrayLocation {
            at,
            lba: header.entry_lba,
        })?;
    let mut buf = vec![0u8; len];
    dev.read_exact_at(offset, &mut buf)?;
    let computed = crc32(&buf);
    if computed != header.entry_array_crc {
        return Err(Corrupt::GptEntryArrayCrc {
            at,
            stored: header.entry_array_crc,
            computed,
        }
        .into());
    }

    let size = usize::try_from(header.entry_size).map_err(|_| Corrupt::GptEntrySize {
        at,
        size: header.entry_size,
    })?;
    let mut used = Vec::new();
    // chunks_exact bounds the loop by the (capped) buffer; entry_size >= 128.
    for (index, raw) in (0u32..header.entry_count).zip(buf.chunks_exact(size.max(ENTRY_FIELDS))) {
        let Some(fields) = raw.first_chunk::<ENTRY_FIELDS>() else {
            continue;
        };
        let entry = GptEntry::parse(fields);
        if !entry.is_unused() {
            used.push((index, entry));
        }
    }
    Ok(used)
}

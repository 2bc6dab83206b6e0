//! Volume descriptors: the 2048-byte sectors from sector 16 on, each with `CD001` at
//! byte 1, up to the set terminator (type 255).
//!
//! The scan is bounded (a set longer than [`MAX_DESCRIPTORS`] is corrupt). Read here:
//! the primary descriptor (type 1; its root directory record, volume name and
//! modification date), the first Joliet supplementary descriptor (type 2 with a UCS-2
//! escape sequence `%/@`, `%/C` or `%/E`), and an El Torito boot record (type 0 with
//! the system id `EL TORITO SPECIFICATION`, pointing at the boot catalog).

use alloc::format;

use crate::bytes::{le16, le32, slice, u8_at};
use crate::FsError;

/// Size of a logical sector (the only logical block size this reader accepts).
pub(crate) const SECTOR: u64 = 2048;
/// First descriptor sector (the 32 KiB before it are the system area).
pub(crate) const FIRST_SECTOR: u64 = 16;
/// Most descriptors read before a terminator must have appeared.
pub(crate) const MAX_DESCRIPTORS: u64 = 64;
/// Offset of the root directory record in a primary or supplementary descriptor.
pub(crate) const ROOT_RECORD: u64 = 156;

const TYPE_BOOT: u8 = 0;
const TYPE_PRIMARY: u8 = 1;
const TYPE_SUPPLEMENTARY: u8 = 2;
const TYPE_PARTITION: u8 = 3;
const TYPE_TERMINATOR: u8 = 255;

/// What one descriptor sector is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Descriptor {
    /// An El Torito boot record: the boot catalog's sector.
    ElTorito { catalog: u32 },
    /// The primary descriptor, or a Joliet supplementary one.
    Volume(VolumeDescriptor),
    /// The end of the set.
    Terminator,
    /// Anything else (another boot record, a non-Joliet supplementary or enhanced
    /// descriptor, a partition descriptor): skipped.
    Other,
}

/// A primary or Joliet descriptor's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VolumeDescriptor {
    /// Sector of the descriptor (its root record is at `sector * 2048 + 156`).
    pub sector: u64,
    /// Whether it is Joliet's (names in UCS-2 big-endian).
    pub joliet: bool,
    /// The volume space size in sectors.
    pub sectors: u32,
    /// The 32-byte volume identifier.
    pub volume_id: [u8; 32],
    /// The 17-byte modification date (16 digits and a time zone byte).
    pub modified: [u8; 17],
}

/// Whether `b` (a sector) starts like a volume descriptor: a known type, `CD001`,
/// version 1.
pub(crate) fn has_magic(b: &[u8]) -> bool {
    matches!(
        u8_at(b, 0),
        Some(TYPE_BOOT | TYPE_PRIMARY | TYPE_SUPPLEMENTARY | TYPE_PARTITION | TYPE_TERMINATOR)
    ) && slice(b, 1, 5) == Some(b"CD001")
        && u8_at(b, 6) == Some(1)
}

/// Parses the descriptor at `sector` (its 2048 bytes in `b`), which has the magic.
pub(crate) fn parse(b: &[u8], sector: u64) -> Result<Descriptor, FsError> {
    let short = || {
        FsError::Corrupt(format!(
            "ISO9660: volume descriptor at sector {sector} is short"
        ))
    };
    let ty = u8_at(b, 0).ok_or_else(short)?;
    match ty {
        TYPE_TERMINATOR => Ok(Descriptor::Terminator),
        TYPE_BOOT => {
            let id = slice(b, 7, 23).ok_or_else(short)?;
            if id == b"EL TORITO SPECIFICATION" {
                Ok(Descriptor::ElTorito {
                    catalog: le32(b, 71).ok_or_else(short)?,
                })
            } else {
                Ok(Descriptor::Other)
            }
        }
        TYPE_PRIMARY | TYPE_SUPPLEMENTARY => {
            let escape = slice(b, 88, 3).ok_or_else(short)?;
            let joliet =
                ty == TYPE_SUPPLEMENTARY && matches!(escape, [0x25, 0x2F, 0x40 | 0x43 | 0x45]);
            if ty == TYPE_SUPPLEMENTARY && !joliet {
                return Ok(Descriptor::Other);
            }
            let block = le16(b, 128).ok_or_else(short)?;
            if u64::from(block) != SECTOR {
                return Err(FsError::Unsupported(format!(
                    "ISO9660: logical block size {block} (descriptor at sector {sector}); only \
                     2048 is read"
                )));
            }
            let mut volume_id = [0u8; 32];
            volume_id.copy_from_slice(slice(b, 40, 32).ok_or_else(short)?);
            let mut modified = [0u8; 17];
            modified.copy_from_slice(slice(b, 830, 17).ok_or_else(short)?);
            Ok(Descriptor::Volume(VolumeDescriptor {
                sector,
                joliet,
                sectors: le32(b, 80).ok_or_else(short)?,
                volume_id,
                modified,
            }))
        }
        _ => Ok(Descriptor::Other),
    }
}

impl VolumeDescriptor {
    /// Byte offset of its root directory record.
    pub(crate) fn root_record(&self) -> u64 {
        self.sector
            .saturating_mul(SECTOR)
            .saturating_add(ROOT_RECORD)
    }

    /// The UUID as GRUB makes it: the modification date's digits as
    /// `YYYY-MM-DD-HH-MM-SS-CC`; `None` when the date is all zero bytes (GRUB then has
    /// no UUID).
    pub(crate) fn uuid(&self) -> Option<alloc::string::String> {
        let d = self.modified.get(..16)?;
        if d.iter().all(|&c| c == 0) {
            return None;
        }
        let mut s = alloc::string::String::with_capacity(22);
        for (i, &c) in d.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10 | 12 | 14) {
                s.push('-');
            }
            s.push(char::from(c));
        }
        Some(s)
    }

    /// The label as GRUB reports it: the volume identifier (UCS-2 big-endian on
    /// Joliet), trailing blanks removed; `None` when empty.
    pub(crate) fn label(&self) -> Option<alloc::string::String> {
        let s = if self.joliet {
            let units: alloc::vec::Vec<u16> = self
                .volume_id
                .chunks_exact(2)
                .map(|p| {
                    u16::from_be_bytes([
                        p.first().copied().unwrap_or(0),
                        p.get(1).copied().unwrap_or(0),
                    ])
                })
                .take_while(|&u| u != 0)
                .collect();
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<alloc::string::String>()
        } else {
            let end = self.volume_id.iter().position(|&c| c == 0).unwrap_or(32);
            alloc::string::String::from_utf8_lossy(self.volume_id.get(..end).unwrap_or(&[]))
                .into_owned()
        };
        let t = s.trim_end_matches(' ');
        (!t.is_empty()).then(|| t.into())
    }
}

//! The PV header, right after the label: the PV's UUID, its size, and two lists of
//! disk locations (offset, size; each list ends with a zero entry): the data areas
//! and the metadata areas.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::u64_le;

use super::label::{Label, SECTOR};
use super::{corrupt, LvmError};

/// Most metadata areas read per PV (LVM makes at most two).
pub const MAX_METADATA_AREAS: usize = 8;

/// One disk location: byte offset from the PV's start and size in bytes (0 = to the
/// end of the device, for a data area).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLocation {
    /// Byte offset on the PV.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// The PV header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvHeader {
    /// The PV's UUID, 32 characters without dashes.
    pub uuid: String,
    /// Device size LVM recorded, in bytes.
    pub device_size: u64,
    /// Metadata areas.
    pub metadata_areas: Vec<DiskLocation>,
}

impl PvHeader {
    /// Reads the header that follows `label` in its sector.
    pub fn parse(label: &Label) -> Result<PvHeader, LvmError> {
        let b = label.sector.get(label.header_offset..).unwrap_or(&[]);
        let at = label.at.saturating_add(label.header_offset as u64);
        let uuid_bytes = b
            .get(..32)
            .ok_or_else(|| corrupt(at, "PV header cut short"))?;
        if !uuid_bytes.iter().all(u8::is_ascii_alphanumeric) {
            return Err(corrupt(at, "PV UUID is not 32 letters and digits"));
        }
        let uuid = String::from_utf8_lossy(uuid_bytes).into_owned();
        let device_size = u64_le(b, 32);
        let mut pos = 40usize;
        // The data areas: skipped (pe_start in the metadata says where data is).
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            loop {
                if pos.saturating_add(16) > SECTOR.saturating_sub(label.header_offset) {
                    return Err(corrupt(at, "PV header's area lists run past its sector"));
                }
                let loc = DiskLocation {
                    offset: u64_le(b, pos),
                    size: u64_le(b, pos.saturating_add(8)),
                };
                pos = pos.saturating_add(16);
                if loc.offset == 0 {
                    break;
                }
                if list.len() >= MAX_METADATA_AREAS {
                    return Err(corrupt(at, "PV header lists too many areas"));
                }
                list.push(loc);
            }
        }
        let [_, metadata_areas] = lists;
        Ok(PvHeader {
            uuid,
            device_size,
            metadata_areas,
        })
    }
}

//! Directory records: the variable-length entries of a directory extent (ECMA-119
//! 9.1), at most 255 bytes, never crossing a sector boundary; a zero length byte
//! means the rest of the sector is padding.
//!
//! Each record names one extent: a file of more than one extent (over 4 GiB) is a run
//! of records with the "multi-extent" flag on all but the last. Interleaved files
//! (a file unit size or gap) are refused as unsupported: no tool writes them today.
//! After the name comes the system use area, where Rock Ridge lives (see `susp`).

use alloc::format;

use crate::bytes::{le32, slice, u8_at};
use crate::FsError;

/// Fixed part of a record, before the name.
pub(crate) const FIXED: usize = 33;
/// Flag bits.
const FLAG_DIRECTORY: u8 = 0x02;
const FLAG_MULTI_EXTENT: u8 = 0x80;

/// One parsed record; `raw` keeps its bytes for the name and system use area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirRecord {
    /// Its bytes (`len` of them, 33 to 255).
    pub raw: alloc::vec::Vec<u8>,
    /// First sector of its extent.
    pub extent: u32,
    /// Bytes of data in the extent.
    pub size: u32,
    pub flags: u8,
    /// Extended attribute record sectors before the data.
    pub ext_attr: u8,
}

impl DirRecord {
    /// Parses the record at the start of `b` (the rest of its sector); `at` is its
    /// byte offset on the volume, for messages. `Ok(None)` for padding (length 0).
    pub(crate) fn parse(b: &[u8], at: u64) -> Result<Option<Self>, FsError> {
        let len = usize::from(u8_at(b, 0).unwrap_or(0));
        if len == 0 {
            return Ok(None);
        }
        let bad = |what: &str| {
            FsError::Corrupt(format!("ISO9660: directory record at byte {at}: {what}"))
        };
        let raw = slice(b, 0, len).ok_or_else(|| bad("crosses a sector boundary"))?;
        if len < FIXED {
            return Err(bad(&format!("length {len}, below the 33-byte minimum")));
        }
        let name_len = usize::from(u8_at(raw, 32).unwrap_or(0));
        if name_len == 0 || FIXED.saturating_add(name_len) > len {
            return Err(bad(&format!(
                "name of {name_len} bytes in a {len}-byte record"
            )));
        }
        let unit = u8_at(raw, 26).unwrap_or(0);
        let gap = u8_at(raw, 27).unwrap_or(0);
        if unit != 0 || gap != 0 {
            return Err(FsError::Unsupported(format!(
                "ISO9660: directory record at byte {at} describes an interleaved file (unit \
                 size {unit}, gap {gap})"
            )));
        }
        Ok(Some(DirRecord {
            raw: raw.to_vec(),
            extent: le32(raw, 2).ok_or_else(|| bad("short"))?,
            size: le32(raw, 10).ok_or_else(|| bad("short"))?,
            flags: u8_at(raw, 25).unwrap_or(0),
            ext_attr: u8_at(raw, 1).unwrap_or(0),
        }))
    }

    /// The identifier bytes as stored.
    pub(crate) fn name(&self) -> &[u8] {
        let n = usize::from(u8_at(&self.raw, 32).unwrap_or(0));
        slice(&self.raw, FIXED, n).unwrap_or(&[])
    }

    /// `.` (the single byte 0) or `..` (the single byte 1).
    pub(crate) fn is_dot(&self) -> bool {
        matches!(self.name(), [0] | [1])
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.flags & FLAG_DIRECTORY != 0
    }

    pub(crate) fn is_multi_extent(&self) -> bool {
        self.flags & FLAG_MULTI_EXTENT != 0
    }

    /// The system use area, after the name and its padding byte (names of even
    /// length are followed by one zero byte), minus the SUSP skip of SP.
    pub(crate) fn system_use(&self, skip: usize) -> &[u8] {
        let n = usize::from(u8_at(&self.raw, 32).unwrap_or(0));
        let start = FIXED
            .saturating_add(n)
            .saturating_add(usize::from(n % 2 == 0))
            .saturating_add(skip);
        self.raw.get(start..).unwrap_or(&[])
    }

    /// Byte offset of the data: the extent, after any extended attribute record.
    pub(crate) fn data_offset(&self) -> u64 {
        u64::from(self.extent)
            .saturating_add(u64::from(self.ext_attr))
            .saturating_mul(super::volume_descriptor::SECTOR)
    }
}

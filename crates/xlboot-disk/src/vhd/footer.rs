//! The VHD footer: 512 bytes, big-endian, at the end of every VHD file (and, for a
//! dynamic disk, a copy at the start). It says the disk's type and size, and where
//! a dynamic disk's header is; its checksum is the ones' complement of the sum of its
//! bytes with the checksum field taken as zero.

use alloc::format;

use super::{be32, be64, VhdError};

/// Size of the footer.
pub const SIZE: usize = 512;
/// The footer's cookie.
pub const COOKIE: [u8; 8] = *b"conectix";

/// Disk types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskType {
    /// The data, then the footer.
    Fixed,
    /// A block allocation table over blocks stored in any order.
    Dynamic,
    /// A dynamic disk over a parent (not read by xlboot).
    Differencing,
}

/// The footer's fields xlboot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Disk type.
    pub disk_type: DiskType,
    /// Offset of the dynamic disk header (dynamic and differencing disks).
    pub data_offset: u64,
    /// The virtual disk's size in bytes.
    pub current_size: u64,
}

/// The VHD checksum of `bytes` with the 4 bytes at `skip` taken as zero.
pub fn checksum(bytes: &[u8], skip: usize) -> u32 {
    let sum = bytes
        .iter()
        .enumerate()
        .filter(|(i, _)| !(skip..skip.saturating_add(4)).contains(i))
        .fold(0u32, |s, (_, b)| s.wrapping_add(u32::from(*b)));
    !sum
}

impl Footer {
    /// Parses a footer read at file offset `at`.
    pub fn parse(b: &[u8; SIZE], at: u64) -> Result<Footer, VhdError> {
        let corrupt = |what: &str| VhdError::Corrupt(format!("VHD footer at byte {at}: {what}"));
        if b.get(..8) != Some(&COOKIE[..]) {
            return Err(corrupt("no conectix cookie"));
        }
        if checksum(b, 64) != be32(b, 64) {
            return Err(corrupt("checksum does not match"));
        }
        if be32(b, 12) >> 16 != 1 {
            return Err(VhdError::Unsupported(format!(
                "VHD file format version {:#x}",
                be32(b, 12)
            )));
        }
        let disk_type = match be32(b, 60) {
            2 => DiskType::Fixed,
            3 => DiskType::Dynamic,
            4 => DiskType::Differencing,
            t => return Err(VhdError::Unsupported(format!("VHD disk type {t}"))),
        };
        Ok(Footer {
            disk_type,
            data_offset: be64(b, 16),
            current_size: be64(b, 48),
        })
    }
}

//! The dynamic disk header: 1024 bytes, big-endian, where the footer's data offset
//! points. It says where the block allocation table (BAT) is, how many entries it
//! has and how big a block is; checksummed like the footer.

use alloc::format;

use super::footer::checksum;
use super::{be32, be64, VhdError};

/// Size of the header.
pub const SIZE: usize = 1024;
/// The header's cookie.
pub const COOKIE: [u8; 8] = *b"cxsparse";
/// Largest block size accepted (the format's default is 2 MiB).
pub const MAX_BLOCK_SIZE: u32 = 256 << 20;

/// The header's fields xlboot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicHeader {
    /// File offset of the BAT.
    pub table_offset: u64,
    /// Entries in the BAT.
    pub max_table_entries: u32,
    /// Bytes per block (a power of two, at least one sector).
    pub block_size: u32,
}

impl DynamicHeader {
    /// Parses the header read at file offset `at`.
    pub fn parse(b: &[u8; SIZE], at: u64) -> Result<DynamicHeader, VhdError> {
        let corrupt =
            |what: &str| VhdError::Corrupt(format!("VHD dynamic header at byte {at}: {what}"));
        if b.get(..8) != Some(&COOKIE[..]) {
            return Err(corrupt("no cxsparse cookie"));
        }
        if checksum(b, 36) != be32(b, 36) {
            return Err(corrupt("checksum does not match"));
        }
        let block_size = be32(b, 32);
        if block_size < 512 || !block_size.is_power_of_two() || block_size > MAX_BLOCK_SIZE {
            return Err(corrupt(
                "block size is not a power of two between 512 B and 256 MiB",
            ));
        }
        Ok(DynamicHeader {
            table_offset: be64(b, 16),
            max_table_entries: be32(b, 28),
            block_size,
        })
    }
}

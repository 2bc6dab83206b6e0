//! The metadata checksums of btrfs: every tree block and the superblock start with a
//! 32-byte checksum field over the rest of the block, computed with the filesystem's
//! `csum_type`. Shorter digests fill the start of the field (little-endian for the
//! integer ones), and the rest of the field is zero.

use alloc::format;

use super::{blake2b::blake2b_256, sha256::sha256, xxhash64::xxh64};
use crate::ext4::checksum::crc32c;
use crate::FsError;

/// Size of the checksum field at the start of every block.
pub(crate) const CSUM_SIZE: usize = 32;

/// The checksum algorithm (`csum_type` in the superblock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsumType {
    /// CRC32C, 4 bytes (the default).
    Crc32c,
    /// XXH64 with seed 0, 8 bytes.
    Xxhash64,
    /// SHA-256, 32 bytes.
    Sha256,
    /// BLAKE2b-256, 32 bytes.
    Blake2b,
}

impl CsumType {
    /// From the superblock's `csum_type`.
    pub(crate) fn from_raw(raw: u16) -> Result<Self, FsError> {
        match raw {
            0 => Ok(CsumType::Crc32c),
            1 => Ok(CsumType::Xxhash64),
            2 => Ok(CsumType::Sha256),
            3 => Ok(CsumType::Blake2b),
            other => Err(FsError::Unsupported(format!(
                "btrfs: unsupported checksum type {other} (known: 0 crc32c, 1 xxhash64, \
                 2 sha256, 3 blake2b)"
            ))),
        }
    }

    /// The name mkfs.btrfs uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CsumType::Crc32c => "crc32c",
            CsumType::Xxhash64 => "xxhash64",
            CsumType::Sha256 => "sha256",
            CsumType::Blake2b => "blake2b",
        }
    }

    /// The checksum field for `data`, as it is stored.
    pub(crate) fn compute(self, data: &[u8]) -> [u8; CSUM_SIZE] {
        let mut out = [0u8; CSUM_SIZE];
        match self {
            CsumType::Crc32c => {
                let c = !crc32c(!0, data);
                if let Some(d) = out.get_mut(..4) {
                    d.copy_from_slice(&c.to_le_bytes());
                }
            }
            CsumType::Xxhash64 => {
                if let Some(d) = out.get_mut(..8) {
                    d.copy_from_slice(&xxh64(data).to_le_bytes());
                }
            }
            CsumType::Sha256 => out = sha256(data),
            CsumType::Blake2b => out = blake2b_256(data),
        }
        out
    }

    /// Bytes of the field that the digest fills (and of each data checksum in the
    /// checksum tree).
    pub(crate) fn digest_len(self) -> usize {
        match self {
            CsumType::Crc32c => 4,
            CsumType::Xxhash64 => 8,
            CsumType::Sha256 | CsumType::Blake2b => 32,
        }
    }

    /// Whether `block` (checksum field first) carries the right checksum of the rest.
    pub(crate) fn verify(self, block: &[u8]) -> bool {
        let (Some(stored), Some(body)) = (block.get(..CSUM_SIZE), block.get(CSUM_SIZE..)) else {
            return false;
        };
        self.matches(body, stored)
    }

    /// Whether `data` has the checksum `stored` (a field as [`CsumType::compute`]
    /// makes it; only the digest's bytes are compared).
    pub(crate) fn matches(self, data: &[u8], stored: &[u8]) -> bool {
        let want = self.compute(data);
        let n = self.digest_len();
        stored.get(..n).is_some_and(|s| Some(s) == want.get(..n))
    }
}

#[cfg(test)]
mod tests {
    use super::CsumType;

    #[test]
    fn crc32c_is_the_standard_one_little_endian() {
        let mut block = [0u8; 32 + 9];
        block[32..].copy_from_slice(b"123456789");
        let c = CsumType::Crc32c.compute(&block[32..]);
        assert_eq!(&c[..4], &0xE306_9283u32.to_le_bytes());
        block[..32].copy_from_slice(&c);
        assert!(CsumType::Crc32c.verify(&block));
        block[40] ^= 1;
        assert!(!CsumType::Crc32c.verify(&block));
    }
}

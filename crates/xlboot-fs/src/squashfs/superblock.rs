//! The squashfs 4.0 superblock: 96 bytes at the start of the volume, little-endian.
//!
//! Every table is found from it, so every start is checked against the others and
//! against `bytes_used` (the image length), and `bytes_used` against the volume.

use alloc::format;

use super::compressor::Compressor;
use crate::bytes::{le16, le32, slice};
use crate::FsError;

/// Size of the superblock.
pub(crate) const SUPERBLOCK_SIZE: usize = 96;
/// `s_magic`: "hsqs", the little-endian magic of squashfs 4 (and of little-endian 3.x).
pub(crate) const MAGIC: &[u8; 4] = b"hsqs";
/// "sqsh": big-endian squashfs 1.x to 3.x, which Linux and GRUB no longer read.
pub(crate) const MAGIC_BIG_ENDIAN: &[u8; 4] = b"sqsh";
/// Smallest data block size mksquashfs writes (and Linux reads): 4 KiB.
const MIN_BLOCK_LOG: u16 = 12;
/// Largest data block size: 1 MiB.
const MAX_BLOCK_LOG: u16 = 20;
/// Table starts are all ones when the table is absent.
pub(crate) const ABSENT: u64 = u64::MAX;

/// Flag: a compressor options block follows the superblock.
pub(crate) const FLAG_COMPRESSOR_OPTIONS: u16 = 0x0400;

/// The superblock fields this reader uses, checked.
#[derive(Debug, Clone)]
pub(crate) struct Superblock {
    /// Number of inodes.
    pub inode_count: u32,
    /// Data block size: a power of two from 4 KiB to 1 MiB.
    pub block_size: u32,
    /// Number of entries in the fragment table.
    pub fragment_count: u32,
    /// How data and metadata blocks are compressed.
    pub compressor: Compressor,
    /// The flags word (`SQUASHFS_*` flags; only the compressor options one matters
    /// to a reader, the others say how the image was written).
    pub flags: u16,
    /// Reference (metadata block, offset) of the root directory's inode.
    pub root_inode: u64,
    /// Length of the image in bytes; nothing lies past it.
    pub bytes_used: u64,
    /// Start of the inode table (metadata blocks).
    pub inode_table: u64,
    /// Start of the directory table (metadata blocks); also the end of the inode table.
    pub directory_table: u64,
    /// Start of the fragment lookup table (u64 pointers to metadata blocks), or
    /// [`ABSENT`].
    pub fragment_table: u64,
}

/// A corrupt-superblock error.
fn corrupt(what: &str) -> FsError {
    FsError::Corrupt(format!("squashfs superblock: {what}"))
}

/// Whether `raw` starts with a squashfs magic of either byte order.
pub(crate) fn has_magic(raw: &[u8]) -> bool {
    let m = raw.get(..4);
    m == Some(&MAGIC[..]) || m == Some(&MAGIC_BIG_ENDIAN[..])
}

impl Superblock {
    /// Parses and checks the superblock of a volume of `volume_size` bytes.
    pub(crate) fn parse(raw: &[u8], volume_size: u64) -> Result<Superblock, FsError> {
        let f16 = |off| le16(raw, off).ok_or_else(|| corrupt("truncated"));
        let f32 = |off| le32(raw, off).ok_or_else(|| corrupt("truncated"));
        let f64 = |off: usize| {
            slice(raw, off, 8)
                .and_then(|s| s.try_into().ok())
                .map(u64::from_le_bytes)
                .ok_or_else(|| corrupt("truncated"))
        };
        if raw.get(..4) == Some(&MAGIC_BIG_ENDIAN[..]) {
            return Err(FsError::Unsupported(
                "squashfs: big-endian image (squashfs 3.x or older); only squashfs 4 is read"
                    .into(),
            ));
        }
        let (major, minor) = (f16(28)?, f16(30)?);
        if (major, minor) != (4, 0) {
            return Err(FsError::Unsupported(format!(
                "squashfs version {major}.{minor}; only squashfs 4.0 is read (as Linux and GRUB)"
            )));
        }
        let block_size = f32(12)?;
        let block_log = f16(22)?;
        if !(MIN_BLOCK_LOG..=MAX_BLOCK_LOG).contains(&block_log)
            || 1u32.checked_shl(u32::from(block_log)) != Some(block_size)
        {
            return Err(corrupt(&format!(
                "block size {block_size} (log {block_log}) is not a power of two from 4 KiB to 1 MiB"
            )));
        }
        let compressor = Compressor::from_id(f16(20)?)?;
        let sb = Superblock {
            inode_count: f32(4)?,
            block_size,
            fragment_count: f32(16)?,
            compressor,
            flags: f16(24)?,
            root_inode: f64(32)?,
            bytes_used: f64(40)?,
            inode_table: f64(64)?,
            directory_table: f64(72)?,
            fragment_table: f64(80)?,
        };
        sb.check(volume_size)?;
        Ok(sb)
    }

    /// Checks that the tables are in order and inside the image, and the image inside
    /// the volume.
    fn check(&self, volume_size: u64) -> Result<(), FsError> {
        if self.bytes_used > volume_size {
            return Err(corrupt(&format!(
                "the image is {} bytes but the volume only {volume_size}",
                self.bytes_used
            )));
        }
        let first = SUPERBLOCK_SIZE as u64;
        if !(first <= self.inode_table
            && self.inode_table < self.directory_table
            && self.directory_table < self.bytes_used)
        {
            return Err(corrupt(&format!(
                "inode table at {}, directory table at {}, image end at {}: out of order",
                self.inode_table, self.directory_table, self.bytes_used
            )));
        }
        if self.fragment_count > 0 {
            let index_len = u64::from(self.fragment_count.div_ceil(super::fragment::PER_BLOCK))
                .saturating_mul(8);
            if self.fragment_table == ABSENT
                || self.fragment_table < self.directory_table
                || self.fragment_table.saturating_add(index_len) > self.bytes_used
            {
                return Err(corrupt(&format!(
                    "fragment table of {} entries at {} does not fit the image",
                    self.fragment_count, self.fragment_table
                )));
            }
        }
        if self.inode_count == 0 {
            return Err(corrupt("no inodes (not even the root directory)"));
        }
        Ok(())
    }
}

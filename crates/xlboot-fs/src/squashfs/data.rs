//! Data blocks: a file's blocks follow each other on disk from the inode's
//! `blocks_start`, each as long as its entry in the inode's block list says. An entry
//! is a size word: bit 24 set means stored uncompressed, the low 24 bits are the length
//! on disk, and 0 is a sparse block (all zeros, nothing on disk). Fragment blocks use
//! the same word.

use alloc::format;
use alloc::string::String;

/// Size word bit: the block is stored uncompressed.
const UNCOMPRESSED: u32 = 1 << 24;

/// A parsed size word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockSize {
    /// Bytes on disk (0: sparse).
    pub disk: u32,
    /// Stored as is rather than compressed.
    pub uncompressed: bool,
}

impl BlockSize {
    /// Parses a size word; the length on disk cannot exceed the block size (mksquashfs
    /// stores a block that does not shrink uncompressed).
    pub(crate) fn parse(word: u32, block_size: u32) -> Result<BlockSize, String> {
        let disk = word & !UNCOMPRESSED;
        if disk > block_size {
            return Err(format!(
                "block of {disk} bytes on disk, over the {block_size}-byte block size"
            ));
        }
        Ok(BlockSize {
            disk,
            uncompressed: word & UNCOMPRESSED != 0,
        })
    }

    /// A sparse block: zeros, nothing stored.
    pub(crate) fn is_sparse(self) -> bool {
        self.disk == 0
    }
}

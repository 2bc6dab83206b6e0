//! The fragment table: one 16-byte entry per fragment block (disk offset, size word,
//! unused), packed 512 to a metadata block; the superblock points at an array of u64
//! disk offsets of those metadata blocks. A fragment block holds the tail ends of
//! several files, each at an offset its inode gives.

use alloc::format;

use xlboot_disk::BlockDevice;

use super::data::BlockSize;
use super::metadata::{MetaPos, MetaReader};
use super::Squashfs;
use crate::FsError;

/// Entries per metadata block (8192 / 16).
pub(crate) const PER_BLOCK: u32 = 512;
/// Bytes per entry.
const ENTRY: usize = 16;

/// Where fragment block `index` is on disk, and its size word.
pub(crate) fn entry<D: BlockDevice>(
    fs: &Squashfs<D>,
    index: u32,
) -> Result<(u64, BlockSize), FsError> {
    let bad = |what: &str| FsError::Corrupt(format!("squashfs: fragment {index}: {what}"));
    if index >= fs.sb.fragment_count {
        return Err(bad(&format!(
            "past the table's {} entries",
            fs.sb.fragment_count
        )));
    }
    let slot = u64::from(index / PER_BLOCK);
    let mut ptr = [0u8; 8];
    let ptr_at = fs.sb.fragment_table.saturating_add(slot.saturating_mul(8));
    fs.dev.read_exact_at(ptr_at, &mut ptr)?;
    let block = u64::from_le_bytes(ptr);
    let offset = usize::try_from(index % PER_BLOCK)
        .unwrap_or(0)
        .saturating_mul(ENTRY);
    let mut r = MetaReader::new(fs, MetaPos { block, offset }, fs.whole_image());
    let start = r.u64()?;
    let size = BlockSize::parse(r.u32()?, fs.sb.block_size).map_err(|e| bad(&e))?;
    if size.is_sparse() {
        return Err(bad("empty fragment block"));
    }
    Ok((start, size))
}

//! Metadata blocks: inodes, directories and the fragment table are stored as a
//! chain of blocks of at most 8 KiB each, every one behind a 2-byte header (bit 15 set:
//! stored uncompressed; the low 15 bits: the length on disk).
//!
//! A position in such a table is the disk offset of a block plus an offset into its
//! decompressed bytes; a structure may run on into the next block, which starts where
//! the previous one ends on disk. [`MetaReader`] follows that chain, through the
//! filesystem's block cache.

use alloc::format;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_compress::{decompress, Codec, DecompressErrorKind};
use xlboot_disk::BlockDevice;

use super::Squashfs;
use crate::FsError;

/// Decompressed size of every metadata block but a table's last.
pub(crate) const METADATA_SIZE: usize = 8192;
/// Header bit: the block is stored uncompressed.
const UNCOMPRESSED: u16 = 0x8000;

/// One decompressed metadata block.
#[derive(Debug)]
pub(crate) struct MetaBlock {
    /// Its bytes, 1 to 8192 of them.
    pub data: Vec<u8>,
    /// Disk offset of the block after it.
    pub next: u64,
}

/// A position inside a metadata table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MetaPos {
    /// Disk offset of the block's header.
    pub block: u64,
    /// Offset into the block's decompressed bytes (below 8192).
    pub offset: usize,
}

/// The disk range a table's blocks must lie in, and its name for errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    pub start: u64,
    pub end: u64,
}

impl Table {
    fn err(&self, at: u64, what: &str) -> FsError {
        FsError::Corrupt(format!(
            "squashfs {} table, metadata block at byte {at}: {what}",
            self.name
        ))
    }
}

/// Turns a decompression failure of the block at `at` into a filesystem error.
pub(crate) fn decompress_error(
    what: &str,
    at: u64,
    e: &xlboot_compress::DecompressError,
) -> FsError {
    match e.kind {
        DecompressErrorKind::Unsupported => {
            FsError::Unsupported(format!("squashfs: {what} at byte {at}: {e}"))
        }
        DecompressErrorKind::Corrupt | DecompressErrorKind::TooLarge => {
            FsError::Corrupt(format!("squashfs: {what} at byte {at}: {e}"))
        }
    }
}

/// Reads the metadata block at disk offset `at`, which must lie inside `table`.
pub(crate) fn read_block<D: BlockDevice>(
    dev: &D,
    codec: Codec,
    at: u64,
    table: &Table,
) -> Result<MetaBlock, FsError> {
    if at < table.start || at.saturating_add(2) > table.end {
        return Err(table.err(
            at,
            &format!("outside the table (bytes {} to {})", table.start, table.end),
        ));
    }
    let mut header = [0u8; 2];
    dev.read_exact_at(at, &mut header)?;
    let header = u16::from_le_bytes(header);
    let len = usize::from(header & !UNCOMPRESSED);
    if len == 0 || len > METADATA_SIZE {
        return Err(table.err(at, &format!("length {len} (1 to 8192)")));
    }
    let next = at.saturating_add(2).saturating_add(len as u64);
    if next > table.end {
        return Err(table.err(at, &format!("its {len} bytes run past the table's end")));
    }
    let mut raw = vec![0u8; len];
    dev.read_exact_at(at.saturating_add(2), &mut raw)?;
    let data = if header & UNCOMPRESSED != 0 {
        raw
    } else {
        decompress(codec, &raw, METADATA_SIZE).map_err(|e| {
            decompress_error(&format!("{} table metadata block", table.name), at, &e)
        })?
    };
    if data.is_empty() {
        return Err(table.err(at, "empty"));
    }
    Ok(MetaBlock { data, next })
}

/// Reads a metadata table sequentially from a position, across block boundaries.
pub(crate) struct MetaReader<'a, D> {
    fs: &'a Squashfs<D>,
    pos: MetaPos,
    table: Table,
    /// The block `pos` is in, once fetched.
    block: Option<Rc<MetaBlock>>,
}

impl<'a, D: BlockDevice> MetaReader<'a, D> {
    /// A reader at `pos` in `table`.
    pub(crate) fn new(fs: &'a Squashfs<D>, pos: MetaPos, table: Table) -> Self {
        MetaReader {
            fs,
            pos,
            table,
            block: None,
        }
    }

    /// Where the next read starts (normalised: the offset is inside the block once the
    /// block has been read).
    pub(crate) fn pos(&self) -> MetaPos {
        self.pos
    }

    /// The current block, stepping to the next one while `pos` is past its end.
    /// Every step moves forward on disk, and only as far as the table's end.
    fn current(&mut self) -> Result<Rc<MetaBlock>, FsError> {
        loop {
            let block = match &self.block {
                Some(b) => Rc::clone(b),
                None => {
                    let b = self.fs.meta_block(self.pos.block, &self.table)?;
                    self.block = Some(Rc::clone(&b));
                    b
                }
            };
            if self.pos.offset < block.data.len() {
                return Ok(block);
            }
            if block.data.len() < METADATA_SIZE {
                return Err(self.table.err(
                    self.pos.block,
                    "a structure runs past the table's last block",
                ));
            }
            self.pos = MetaPos {
                block: block.next,
                offset: self.pos.offset.saturating_sub(block.data.len()),
            };
            self.block = None;
        }
    }

    /// Fills `out` from the table.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> Result<(), FsError> {
        let mut done = 0usize;
        while done < out.len() {
            let block = self.current()?;
            let src = block.data.get(self.pos.offset..).unwrap_or(&[]);
            let n = src.len().min(out.len().saturating_sub(done));
            let end = done.saturating_add(n);
            if let (Some(dst), Some(src)) = (out.get_mut(done..end), src.get(..n)) {
                dst.copy_from_slice(src);
            }
            done = end;
            self.pos.offset = self.pos.offset.saturating_add(n);
        }
        Ok(())
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), FsError> {
        let mut left = n;
        while left > 0 {
            let block = self.current()?;
            let step = block.data.len().saturating_sub(self.pos.offset).min(left);
            self.pos.offset = self.pos.offset.saturating_add(step);
            left = left.saturating_sub(step);
        }
        Ok(())
    }

    /// A little-endian u16.
    pub(crate) fn u16(&mut self) -> Result<u16, FsError> {
        let mut b = [0u8; 2];
        self.read(&mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    /// A little-endian u32.
    pub(crate) fn u32(&mut self) -> Result<u32, FsError> {
        let mut b = [0u8; 4];
        self.read(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// A little-endian u64.
    pub(crate) fn u64(&mut self) -> Result<u64, FsError> {
        let mut b = [0u8; 8];
        self.read(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

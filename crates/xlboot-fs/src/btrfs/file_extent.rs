//! EXTENT_DATA (`struct btrfs_file_extent_item`), keyed (inode, EXTENT_DATA, file
//! offset): one piece of a file. Inline extents carry their bytes in the item;
//! regular ones point at a disk extent (a hole when the address is 0), of which
//! `num_bytes` from `offset` on belong to the file (of the decompressed bytes, for
//! compressed extents); preallocated ones read as zeros.

use alloc::format;

use crate::bytes::{le16, le64, u8_at};
use crate::FsError;

/// Fixed part of every extent item; inline data follows it.
const INLINE_HEADER: usize = 21;
/// Size of a regular or preallocated extent item.
const REGULAR_SIZE: usize = 53;

/// How an extent's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Zlib,
    Lzo,
    Zstd,
}

/// What an extent holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Bytes in the item (from byte 21 on), `ram_bytes` once decompressed.
    Inline,
    /// Zeros: a hole (disk address 0) or preallocated space.
    Zeros,
    /// A disk extent: `disk_bytenr`, `disk_num_bytes`, and the window of its
    /// (decompressed) bytes that belongs to the file, from `offset`.
    Disk {
        disk_bytenr: u64,
        disk_num_bytes: u64,
        offset: u64,
    },
}

/// One extent of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileExtent {
    pub ram_bytes: u64,
    pub compression: Compression,
    pub body: Body,
    /// Bytes of the file it covers.
    pub len: u64,
}

impl FileExtent {
    /// Parses the extent of inode `ino` at file offset `at`.
    pub(crate) fn parse(b: &[u8], ino: u64, at: u64) -> Result<FileExtent, FsError> {
        let bad = |what: &str| {
            FsError::Corrupt(format!(
                "btrfs: inode {ino}: extent at file offset {at}: {what}"
            ))
        };
        let unsup = |what: &str| {
            FsError::Unsupported(format!(
                "btrfs: inode {ino}: extent at file offset {at}: {what}"
            ))
        };
        let short = || bad("short");
        let ram_bytes = le64(b, 8).ok_or_else(short)?;
        let compression = match u8_at(b, 16).ok_or_else(short)? {
            0 => Compression::None,
            1 => Compression::Zlib,
            2 => Compression::Lzo,
            3 => Compression::Zstd,
            c => return Err(unsup(&format!("compression type {c}"))),
        };
        if u8_at(b, 17).ok_or_else(short)? != 0 {
            return Err(unsup("encrypted"));
        }
        if le16(b, 18).ok_or_else(short)? != 0 {
            return Err(unsup("an unknown encoding"));
        }
        let ty = u8_at(b, 20).ok_or_else(short)?;
        if ty == 0 {
            let len = if compression == Compression::None {
                // Uncompressed inline data is exactly the rest of the item.
                b.len().saturating_sub(INLINE_HEADER) as u64
            } else {
                ram_bytes
            };
            return Ok(FileExtent {
                ram_bytes,
                compression,
                body: Body::Inline,
                len,
            });
        }
        if ty > 2 {
            return Err(bad(&format!("type {ty}")));
        }
        if b.len() < REGULAR_SIZE {
            return Err(short());
        }
        let disk_bytenr = le64(b, 21).ok_or_else(short)?;
        let disk_num_bytes = le64(b, 29).ok_or_else(short)?;
        let offset = le64(b, 37).ok_or_else(short)?;
        let len = le64(b, 45).ok_or_else(short)?;
        let body = if ty == 2 || disk_bytenr == 0 {
            Body::Zeros
        } else {
            Body::Disk {
                disk_bytenr,
                disk_num_bytes,
                offset,
            }
        };
        Ok(FileExtent {
            ram_bytes,
            compression,
            body,
            len,
        })
    }
}

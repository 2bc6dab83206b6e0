//! The lz4 legacy frame (`lz4 -l`), as Linux compresses kernels with lz4 and its
//! `lib/decompress_unlz4.c` reads them: the magic 0x184C2102 (little endian), then
//! blocks, each a 4-byte little-endian compressed size and an LZ4 block that
//! decompresses to at most 8 MiB. The magic may appear again between blocks
//! (concatenated frames). The frame has no end marker: it ends with the input; in a
//! bzImage the payload's last 4 bytes are the decompressed size, which reads as a block
//! size with no block behind it and ends the frame, as in the kernel's reader.

use alloc::vec::Vec;

use xlboot_compress::{decompress as inflate, Codec, DecompressErrorKind};

use crate::bytes::{slice, u32_at, Endian::Little};
use crate::error::KernelError;
use crate::payload::{framing_error, Compressor};

/// The frame magic as it appears on disk.
pub const MAGIC: [u8; 4] = 0x184C_2102u32.to_le_bytes();
/// The most one block decompresses to.
const BLOCK_MAX: usize = 8 << 20;

/// Decodes a whole legacy frame into at most `max_out` bytes.
pub fn decompress(data: &[u8], max_out: usize) -> Result<Vec<u8>, KernelError> {
    let err = |kind, detail| framing_error(Compressor::Lz4Legacy, Codec::Lz4Block, kind, detail);
    let mut out: Vec<u8> = Vec::new();
    let mut pos: u64 = 0;
    let end = data.len() as u64;
    // Each turn consumes at least 4 bytes, so this ends.
    while end.saturating_sub(pos) >= 4 {
        let size = u32_at(data, pos, Little).ok_or(err(DecompressErrorKind::Corrupt, "cut"))?;
        pos = pos.saturating_add(4);
        if size.to_le_bytes() == MAGIC {
            continue;
        }
        let Some(block) = slice(data, pos, u64::from(size)) else {
            if pos == end {
                // The decompressed size Linux appends: the end of the payload.
                break;
            }
            return Err(err(
                DecompressErrorKind::Corrupt,
                "lz4 legacy block size runs past the end of the data",
            ));
        };
        pos = pos.saturating_add(u64::from(size));
        let room = max_out.saturating_sub(out.len());
        let part = inflate(Codec::Lz4Block, block, room.min(BLOCK_MAX)).map_err(|e| {
            if e.kind == DecompressErrorKind::TooLarge && room < BLOCK_MAX {
                err(
                    DecompressErrorKind::TooLarge,
                    "output larger than the caller's limit",
                )
            } else {
                KernelError::Decompress {
                    compressor: Compressor::Lz4Legacy,
                    error: e,
                }
            }
        })?;
        out.extend_from_slice(&part);
    }
    if pos < end {
        return Err(err(
            DecompressErrorKind::Corrupt,
            "lz4 legacy frame ends inside a block size",
        ));
    }
    Ok(out)
}

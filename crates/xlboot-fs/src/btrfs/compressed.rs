//! Compressed extents: zlib and zstd streams as the codecs write them, and LZO in
//! btrfs's own framing around LZO1X blocks.
//!
//! The LZO framing (the kernel's `fs/btrfs/lzo.c`): a 4-byte little-endian total
//! length (this header included), then segments, each a 4-byte little-endian length
//! and that many bytes of one LZO1X block that decompresses to at most one sector. A
//! segment header never straddles a sector boundary: when fewer than 4 bytes are left
//! in a sector, they are zero padding and the next header starts in the next sector.
//! Inline extents use the same framing with a single segment.
//!
//! Every extent decompresses to at most 128 KiB (`BTRFS_MAX_UNCOMPRESSED`), so the
//! output of one extent is bounded here, whatever the codec stream claims.

use alloc::format;
use alloc::vec::Vec;

use xlboot_compress::{decompress, Codec, DecompressErrorKind};

use super::file_extent::Compression;
use crate::bytes::le32;
use crate::FsError;

/// Size of an LZO length field.
const LZO_LEN: usize = 4;

/// Decompresses one extent's bytes `input` into at most `max_out` bytes.
/// `sectorsize` is the filesystem's; `what` names the extent for messages.
pub(crate) fn extent(
    c: Compression,
    input: &[u8],
    max_out: usize,
    sectorsize: usize,
    what: &dyn Fn() -> alloc::string::String,
) -> Result<Vec<u8>, FsError> {
    let codec = match c {
        Compression::None => {
            return Ok(input
                .get(..max_out.min(input.len()))
                .unwrap_or(&[])
                .to_vec())
        }
        Compression::Zlib => Codec::Zlib,
        Compression::Zstd => Codec::Zstd,
        Compression::Lzo => return lzo(input, max_out, sectorsize, what),
    };
    decompress(codec, input, max_out).map_err(|e| match e.kind {
        DecompressErrorKind::Unsupported => FsError::Unsupported(format!("btrfs: {}: {e}", what())),
        DecompressErrorKind::Corrupt | DecompressErrorKind::TooLarge => {
            FsError::Corrupt(format!("btrfs: {}: {e}", what()))
        }
    })
}

/// btrfs's LZO framing (see the module doc).
fn lzo(
    input: &[u8],
    max_out: usize,
    sectorsize: usize,
    what: &dyn Fn() -> alloc::string::String,
) -> Result<Vec<u8>, FsError> {
    let bad = |m: &str| FsError::Corrupt(format!("btrfs: {}: lzo: {m}", what()));
    let total = le32(input, 0).ok_or_else(|| bad("no length header"))?;
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    if total < LZO_LEN || total > input.len() {
        return Err(bad(&format!(
            "total length {total} outside the {} bytes stored",
            input.len()
        )));
    }
    // The worst case LZO1X expansion of one sector (lzo1x_worst_compress).
    let seg_max = sectorsize
        .saturating_add(sectorsize / 16)
        .saturating_add(64 + 3);
    let mut out = Vec::new();
    let mut pos = LZO_LEN;
    // Each pass consumes a header and a non-empty segment, or skips padding.
    while pos < total && out.len() < max_out {
        let left_in_sector = sectorsize.saturating_sub(pos.checked_rem(sectorsize).unwrap_or(0));
        if left_in_sector < LZO_LEN {
            pos = pos.saturating_add(left_in_sector);
            continue;
        }
        let len = le32(input, pos).ok_or_else(|| bad("short segment header"))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len == 0 || len > seg_max {
            return Err(bad(&format!("segment of {len} bytes at byte {pos}")));
        }
        let start = pos.saturating_add(LZO_LEN);
        let end = start.saturating_add(len);
        let seg = input
            .get(start..end.min(total))
            .filter(|s| s.len() == len)
            .ok_or_else(|| bad(&format!("segment at byte {pos} runs past the end")))?;
        let room = max_out.saturating_sub(out.len()).min(sectorsize);
        let part = decompress(Codec::Lzo1x, seg, room).map_err(|e| match e.kind {
            DecompressErrorKind::Unsupported => {
                FsError::Unsupported(format!("btrfs: {}: {e}", what()))
            }
            _ => bad(&format!("segment at byte {pos}: {e}")),
        })?;
        out.extend_from_slice(&part);
        pos = end;
    }
    Ok(out)
}

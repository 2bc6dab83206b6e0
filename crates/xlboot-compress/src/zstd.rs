//! Zstandard (RFC 8878) through ruzstd.
//!
//! Frames are decoded one after another while the input holds another frame (or a
//! skippable frame, which is skipped); bytes that follow the last frame and do not
//! start one are ignored, so btrfs' sector padding is harmless.

use alloc::vec::Vec;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use crate::output::Output;
use crate::{corrupt, too_large, Outcome};

/// The largest window (history) a frame may ask for: 128 MiB, libzstd's own default
/// limit (`ZSTD_WINDOWLOG_LIMIT_DEFAULT` = 27). `zstd -22 --ultra`, which Linux uses
/// for kernels read from a pipe, asks for exactly this. The decoder reserves the
/// window when a frame starts, and may decode up to one window past `max_out` before
/// the cap is seen.
pub const ZSTD_MAX_WINDOW: u64 = 128 * 1024 * 1024;

/// Magic number of a zstd frame.
const FRAME_MAGIC: u32 = 0xFD2F_B528;
/// Skippable frames use magics 0x184D2A50..=0x184D2A5F.
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
/// The skippable magic with its low nibble cleared.
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// Decode this much before draining the decoder into the output.
const STEP: usize = 128 * 1024;

/// Decodes every frame at the start of `input`.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let mut out = Output::new(max_out);
    let mut decoder = FrameDecoder::new();
    decoder.set_max_window_size(ZSTD_MAX_WINDOW);
    let mut rest = input;
    let mut frames = 0usize;
    // Every round consumes at least a frame header from `rest`, so this ends.
    while let Some(magic) = rest.get(..4) {
        let magic = u32::from_le_bytes([
            magic.first().copied().unwrap_or(0),
            magic.get(1).copied().unwrap_or(0),
            magic.get(2).copied().unwrap_or(0),
            magic.get(3).copied().unwrap_or(0),
        ]);
        let is_skippable = magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC;
        if magic != FRAME_MAGIC && !is_skippable {
            break;
        }
        match decoder.init(&mut rest) {
            Ok(()) => {}
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                length,
                ..
            })) => {
                let Some(after) = usize::try_from(length).ok().and_then(|l| rest.get(l..)) else {
                    return corrupt("skippable frame runs past the input");
                };
                rest = after;
                continue;
            }
            Err(e) => return Err(map_error(&e)),
        }
        frames = frames.saturating_add(1);
        // A declared size over the cap fails before any decoding work.
        if usize::try_from(decoder.content_size()).map_or(true, |size| size > out.room()) {
            return too_large();
        }
        // Each round decodes at least one block (3 or more input bytes) or fails.
        loop {
            decoder
                .decode_blocks(&mut rest, BlockDecodingStrategy::UptoBytes(STEP))
                .map_err(|e| map_error(&e))?;
            if let Some(bytes) = decoder.collect() {
                out.push(&bytes)?;
            }
            if decoder.is_finished() {
                break;
            }
        }
        if let Some(stored) = decoder.get_checksum_from_data() {
            if decoder.get_calculated_checksum() != Some(stored) {
                return corrupt("content checksum mismatch");
            }
        }
    }
    if frames == 0 {
        return corrupt("no zstd frame");
    }
    Ok(out.into_vec())
}

/// Sorts ruzstd's errors into our kinds.
fn map_error(e: &FrameDecoderError) -> (crate::DecompressErrorKind, &'static str) {
    use crate::DecompressErrorKind::{Corrupt, Unsupported};
    match e {
        FrameDecoderError::WindowSizeTooBig { .. } => {
            (Unsupported, "window larger than the 128 MiB limit")
        }
        FrameDecoderError::DictNotProvided { .. } | FrameDecoderError::DictionaryDecodeError(_) => {
            (Unsupported, "frame needs a dictionary")
        }
        FrameDecoderError::ReadFrameHeaderError(_)
        | FrameDecoderError::FrameHeaderError(_)
        | FrameDecoderError::FailedToInitialize(_) => (Corrupt, "invalid frame header"),
        FrameDecoderError::FailedToReadBlockHeader(_) => {
            (Corrupt, "invalid or truncated block header")
        }
        FrameDecoderError::FailedToReadBlockBody(_) => (Corrupt, "invalid or truncated block"),
        FrameDecoderError::FailedToReadChecksum(_) => (Corrupt, "truncated content checksum"),
        _ => (Corrupt, "invalid zstd data"),
    }
}

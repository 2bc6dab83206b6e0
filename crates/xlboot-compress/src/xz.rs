//! The .xz container through xz4rust, a port of xz-embedded (the decoder Linux uses
//! for its own xz kernels and squashfs blocks): LZMA2 with the BCJ filters, CRC-32 and
//! CRC-64 checks.
//!
//! One stream is decoded; what follows it (stream padding, Linux's appended size) is
//! ignored.

use alloc::vec::Vec;

use xz4rust::{XzDecoder, XzError, XzNextBlockResult};

use crate::output::Output;
use crate::{corrupt, Outcome, LZMA_MAX_DICT};

/// The dictionary is allocated as the stream needs it, starting this small.
const FIRST_DICT: usize = 64 * 1024;
/// Decode into a buffer this big, then append to the output.
const CHUNK: usize = 64 * 1024;
/// The smallest dictionary and output buffer (xz-embedded wants 256 bytes or more).
const MIN_BUFFER: usize = 4096;

/// Decodes one .xz stream.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let mut out = Output::new(max_out);
    // Small outputs (squashfs metadata blocks are 8 KiB) need small buffers; the
    // dictionary still grows to what the stream asks for, up to the limit.
    let mut decoder = XzDecoder::in_heap_with_alloc_dict_size(
        FIRST_DICT.min(max_out.max(MIN_BUFFER)),
        LZMA_MAX_DICT_USIZE,
    );
    let mut chunk = alloc::vec![0u8; CHUNK.min(max_out.max(MIN_BUFFER))];
    let mut pos = 0usize;
    // Every round consumes input or produces output, or the loop stops; the input is
    // finite and the output capped, so this ends.
    loop {
        let rest = input.get(pos..).unwrap_or(&[]);
        let step = decoder
            .decode(rest, &mut chunk)
            .map_err(|e| map_error(&e))?;
        let produced = chunk.get(..step.output_produced()).unwrap_or(&[]);
        out.push(produced)?;
        pos = pos.saturating_add(step.input_consumed());
        match step {
            XzNextBlockResult::EndOfStream(..) => return Ok(out.into_vec()),
            XzNextBlockResult::NeedMoreData(..) if !step.made_progress() => {
                return corrupt("stream truncated");
            }
            XzNextBlockResult::NeedMoreData(..) => {}
        }
    }
}

/// [`LZMA_MAX_DICT`] as the decoder takes it.
const LZMA_MAX_DICT_USIZE: usize = LZMA_MAX_DICT as usize;

/// Sorts xz4rust's errors into our kinds.
fn map_error(e: &XzError) -> (crate::DecompressErrorKind, &'static str) {
    use crate::DecompressErrorKind::{Corrupt, Unsupported};
    match e {
        XzError::DictionaryTooLarge(_) => (Unsupported, "dictionary larger than the 64 MiB limit"),
        XzError::UnsupportedCheckType(_) | XzError::Sha256NotSupported => {
            (Unsupported, "integrity check type (only CRC-32 and CRC-64)")
        }
        XzError::UnsupportedStreamHeaderOption
        | XzError::UnsupportedBlockHeaderOption
        | XzError::UnsupportedBcjFilter(_)
        | XzError::DeltaFilterUnsupported
        | XzError::UnsupportedLzmaProperties(_) => {
            (Unsupported, "filter or option xz-embedded does not decode")
        }
        XzError::NeedsLargerInputBuffer => (Corrupt, "stream truncated"),
        XzError::StreamHeaderMagicNumberMismatch => (Corrupt, "bad magic"),
        _ => (Corrupt, "invalid xz data"),
    }
}

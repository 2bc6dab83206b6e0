//! Deflate (RFC 1951) and zlib (RFC 1950) through miniz_oxide's core inflater.
//!
//! The inflater writes into one flat buffer that grows (doubling, never past
//! `max_out`) while the stream asks for more room, so its back-references always find
//! their history in place and no byte is ever copied between windows.

use alloc::vec::Vec;

use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::{corrupt, too_large, Outcome};

/// The first output allocation; doubled as needed.
const FIRST_CHUNK: usize = 64 * 1024;

/// Inflates one raw deflate stream at the start of `input`. Returns the output and how
/// many input bytes the stream used (gzip's trailer follows it).
pub fn raw(input: &[u8], max_out: usize) -> Outcome<(Vec<u8>, usize)> {
    inflate(input, max_out, 0)
}

/// Inflates one zlib stream, checking its header and Adler-32.
pub fn zlib(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    inflate(input, max_out, TINFL_FLAG_PARSE_ZLIB_HEADER).map(|(out, _)| out)
}

/// The shared loop: `flags` picks zlib framing or none.
fn inflate(input: &[u8], max_out: usize, flags: u32) -> Outcome<(Vec<u8>, usize)> {
    let flags = flags | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut state = alloc::boxed::Box::new(DecompressorOxide::new());
    let mut out: Vec<u8> = alloc::vec![0; FIRST_CHUNK.min(max_out)];
    let mut in_pos = 0usize;
    let mut out_pos = 0usize;
    // Each round either finishes, fails, or doubles the buffer towards max_out, so
    // the loop runs at most about log2(max_out) + 1 times.
    loop {
        let rest = input.get(in_pos..).unwrap_or(&[]);
        let (status, read, written) = decompress(&mut state, rest, &mut out, out_pos, flags);
        in_pos = in_pos.saturating_add(read);
        out_pos = out_pos.saturating_add(written);
        match status {
            TINFLStatus::Done => {
                out.truncate(out_pos);
                return Ok((out, in_pos));
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() >= max_out {
                    return too_large();
                }
                let grown = out.len().saturating_mul(2).clamp(FIRST_CHUNK, max_out);
                out.resize(grown, 0);
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return corrupt("stream truncated");
            }
            TINFLStatus::Adler32Mismatch => return corrupt("Adler-32 mismatch"),
            _ => {
                return corrupt("invalid deflate data");
            }
        }
    }
}

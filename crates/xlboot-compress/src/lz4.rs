//! A raw LZ4 block through lz4_flex's safe decoder.
//!
//! A block has no end marker and no stored length: the whole input is the block, and
//! its last sequence must end exactly at the end of the input.

use alloc::vec::Vec;

use lz4_flex::block::{decompress_into, DecompressError};

use crate::{corrupt, too_large, Outcome};

/// LZ4 cannot expand one input byte into more than 255 output bytes (a length byte of
/// 255), so a buffer this many times the input holds any valid block.
const MAX_RATIO: usize = 255;
/// Slack for the block's last literals and the token bytes.
const SLACK: usize = 64;

/// Decodes one block.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let bound = input.len().saturating_mul(MAX_RATIO).saturating_add(SLACK);
    let mut out = alloc::vec![0; bound.min(max_out)];
    match decompress_into(input, &mut out) {
        Ok(n) => {
            out.truncate(n);
            Ok(out)
        }
        Err(DecompressError::OutputTooSmall { .. }) if out.len() >= max_out => too_large(),
        Err(DecompressError::OutputTooSmall { .. }) => corrupt("expands beyond what LZ4 can"),
        Err(DecompressError::LiteralOutOfBounds | DecompressError::ExpectedAnotherByte) => {
            corrupt("truncated block")
        }
        Err(DecompressError::OffsetOutOfBounds | DecompressError::OffsetZero) => {
            corrupt("match offset outside the output")
        }
        Err(_) => corrupt("invalid block"),
    }
}

//! bzip2: our own decoder, written from the format as bzip2 1.0.8 and Linux's
//! lib/decompress_bunzip2.c read it.
//!
//! A stream is `BZh` and the block size digit (1 to 9: × 100 000 bytes), then blocks
//! (48-bit magic 0x314159265359), then the end marker (0x177245385090) with the
//! combined CRC, padded to a byte. bzip2(1) writes one stream per file and `cat`
//! or parallel compressors make several; like `bzip2 -d`, every stream that follows is
//! decoded while the next four bytes are a stream header, and anything else after the
//! last stream is ignored (Linux appends the kernel's size after its bzip2 payload).
//!
//! Why our own: the bzip2 crate wraps the C library (unsafe code, a C build), and the
//! pure-Rust decoders are young single-vendor crates; the decoder is about 400 lines
//! here, every count and length in it checked as it is read (see `block`).

mod bits;
mod block;
mod crc;
mod huffman;

use alloc::vec::Vec;

use crate::{corrupt, Outcome};
use bits::Bits;

/// A stream header: `BZh` and the block size digit.
const STREAM_MAGIC: &[u8; 3] = b"BZh";
/// The 48-bit magic (π) that starts a block.
const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
/// The 48-bit magic (√π) that ends a stream.
const END_MAGIC: u64 = 0x1772_4538_5090;
/// A block holds at most this many bytes per block size level.
const LEVEL_BYTES: usize = 100_000;

/// Decodes every stream at the start of `input`.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let mut out = Vec::new();
    let mut scratch = block::Scratch::new();
    let mut pos = 0usize;
    let mut streams = 0usize;
    // Each round consumes at least a stream header and end marker, so this ends.
    while let Some(level) = stream_level(input.get(pos..).unwrap_or(&[])) {
        let rest = input.get(pos.saturating_add(4)..).unwrap_or(&[]);
        let used = stream(rest, level, &mut scratch, &mut out, max_out)?;
        pos = pos.saturating_add(4).saturating_add(used);
        streams = streams.saturating_add(1);
    }
    if streams == 0 {
        return corrupt("no bzip2 stream header (BZh1 to BZh9)");
    }
    Ok(out)
}

/// The block size level if `data` starts with a stream header.
fn stream_level(data: &[u8]) -> Option<usize> {
    let (magic, rest) = data.split_first_chunk::<3>()?;
    let &digit = rest.first()?;
    if magic != STREAM_MAGIC || !(b'1'..=b'9').contains(&digit) {
        return None;
    }
    Some(usize::from(digit.wrapping_sub(b'0')))
}

/// Decodes the blocks of one stream (after its header) and checks the stream CRC;
/// returns how many bytes the stream used, up to its padded last byte.
fn stream(
    data: &[u8],
    level: usize,
    scratch: &mut block::Scratch,
    out: &mut Vec<u8>,
    max_out: usize,
) -> Outcome<usize> {
    let block_size = level.saturating_mul(LEVEL_BYTES);
    let mut bits = Bits::new(data);
    let mut combined = 0u32;
    // Each block consumes at least its 48-bit magic and header; input is finite.
    loop {
        let high = u64::from(bits.bits(24)?);
        let magic = high << 24 | u64::from(bits.bits(24)?);
        match magic {
            BLOCK_MAGIC => {
                let crc = block::decode(&mut bits, block_size, scratch, out, max_out)?;
                combined = crc::combine(combined, crc);
            }
            END_MAGIC => {
                if bits.bits(32)? != combined {
                    return corrupt("stream CRC mismatch");
                }
                return Ok(bits.byte_offset());
            }
            _ => return corrupt("neither a block nor the end of the stream"),
        }
    }
}

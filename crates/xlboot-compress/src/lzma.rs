//! The legacy .lzma ("LZMA alone") format through lzma-rust2: a 13-byte header (the
//! properties byte, the dictionary size, the uncompressed size or all ones for "ends
//! with an end marker") and one LZMA stream.

use alloc::vec::Vec;

use lzma_rust2::{LzmaReader, Read};

use crate::output::Output;
use crate::{corrupt, too_large, unsupported, Outcome};

/// The largest LZMA or LZMA2 dictionary accepted: 64 MiB, what `xz -9` and `lzma -9`
/// write (Linux uses 32 MiB for kernels; squashfs never more than its block size).
/// The decoder allocates up to this much for the dictionary.
pub const LZMA_MAX_DICT: u32 = 64 * 1024 * 1024;

/// Header length: properties (1), dictionary size (4), uncompressed size (8).
const HEADER: usize = 13;
/// The largest valid properties byte: (pb * 5 + lp) * 9 + lc with pb, lp ≤ 4, lc ≤ 8.
const MAX_PROPS: u8 = (4 * 5 + 4) * 9 + 8;
/// The uncompressed size that means "unknown, an end marker ends the stream".
const UNKNOWN_SIZE: u64 = u64::MAX;
/// Decode this much at a time.
const CHUNK: usize = 64 * 1024;

/// Decodes one .lzma file.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let (Some(header), Some(body)) = (input.get(..HEADER), input.get(HEADER..)) else {
        return corrupt("truncated header");
    };
    let mut fields = [0u8; HEADER];
    fields.copy_from_slice(header);
    let [props, d0, d1, d2, d3, s0, s1, s2, s3, s4, s5, s6, s7] = fields;
    let dict_size = u32::from_le_bytes([d0, d1, d2, d3]);
    let size = u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]);
    if props > MAX_PROPS {
        return corrupt("invalid properties byte");
    }
    if dict_size > LZMA_MAX_DICT {
        return unsupported("dictionary larger than the 64 MiB limit");
    }
    if size != UNKNOWN_SIZE && usize::try_from(size).map_or(true, |s| s > max_out) {
        return too_large();
    }
    let mut reader = LzmaReader::new_with_props(body, size, props, dict_size, None)
        .map_err(|_| (crate::DecompressErrorKind::Corrupt, "invalid header"))?;
    let mut out = Output::new(max_out);
    let mut chunk = alloc::vec![0u8; CHUNK];
    // Each round produces output (capped) or ends.
    loop {
        let n = reader.read(&mut chunk).map_err(|_| {
            (
                crate::DecompressErrorKind::Corrupt,
                "invalid or truncated LZMA data",
            )
        })?;
        if n == 0 {
            break;
        }
        out.push(chunk.get(..n).unwrap_or(&[]))?;
    }
    let out = out.into_vec();
    if size != UNKNOWN_SIZE && u64::try_from(out.len()).ok() != Some(size) {
        return corrupt("stream shorter than its header says");
    }
    Ok(out)
}

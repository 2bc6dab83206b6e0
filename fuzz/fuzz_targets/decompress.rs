//! Bytes as compressed data: the first byte picks the codec (low 3 bits) and the
//! output cap (high 5 bits: 0 is 1 MiB, n is n * 4 KiB), the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_compress::{decompress, Codec};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let codec = Codec::ALL[usize::from(selector & 7)];
    let max_out = match usize::from(selector >> 3) {
        0 => 1 << 20,
        n => n * 4096,
    };
    match decompress(codec, stream, max_out) {
        Ok(out) => assert!(out.len() <= max_out, "{codec:?}: {} > {max_out}", out.len()),
        Err(e) => assert_eq!(e.codec, codec),
    }
});

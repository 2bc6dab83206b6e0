//! Bytes as compressed data: the first byte picks the codec (its remainder by the
//! number of codecs, the index in `Codec::ALL`) and the output cap (its quotient: 0 is
//! 1 MiB, n is n * 4 KiB), the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_compress::{decompress, Codec};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let codecs = Codec::ALL.len();
    let codec = Codec::ALL[usize::from(selector) % codecs];
    let max_out = match usize::from(selector) / codecs {
        0 => 1 << 20,
        n => n * 4096,
    };
    match decompress(codec, stream, max_out) {
        Ok(out) => assert!(out.len() <= max_out, "{codec:?}: {} > {max_out}", out.len()),
        Err(e) => assert_eq!(e.codec, codec),
    }
});

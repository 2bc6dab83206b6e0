//! Bytes as a qcow2 image file: the header and its extensions, then reads of the
//! guest view through L1/L2 tables, extended L2 bitmaps and compressed clusters
//! (zlib and zstd through xlboot-compress), in odd-sized pieces. A read never
//! fills more than asked and the size is never exceeded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_disk::qcow2::{Compression, Qcow2};
use xlboot_disk::BlockDevice;

fn decompress(c: Compression, input: &[u8], cluster: usize) -> Result<Vec<u8>, String> {
    let codec = match c {
        Compression::Deflate => xlboot_compress::Codec::Deflate,
        Compression::Zstd => xlboot_compress::Codec::Zstd,
    };
    xlboot_compress::decompress(codec, input, cluster).map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = Qcow2::open(data, None, Some(decompress)) else {
        return;
    };
    let _ = format!("{:?}", q.header());
    let size = q.size();
    let mut buf = [0u8; 5000];
    let mut off = 0u64;
    while off < size.min(1 << 20) {
        let n = (size - off).min(buf.len() as u64) as usize;
        let _ = q.read_exact_at(off, &mut buf[..n]);
        off += n as u64;
    }
    // A few reads far into a large virtual disk.
    for k in 1..8u64 {
        let at = size / 8 * k;
        if at < size {
            let n = (size - at).min(700) as usize;
            let _ = q.read_exact_at(at, &mut buf[..n]);
        }
    }
    assert!(q.read_exact_at(size, &mut [0u8; 1]).is_err());
});

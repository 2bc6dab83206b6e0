//! Bytes as a VHD file: footer (and its copy at the start), dynamic header, block
//! allocation table, then reads of the guest view in odd-sized pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_disk::vhd::Vhd;
use xlboot_disk::BlockDevice;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = Vhd::open(data) else { return };
    let size = v.size();
    let mut buf = [0u8; 3333];
    let mut off = 0u64;
    while off < size.min(1 << 20) {
        let n = (size - off).min(buf.len() as u64) as usize;
        let _ = v.read_exact_at(off, &mut buf[..n]);
        off += n as u64;
    }
    for k in 1..8u64 {
        let at = size / 8 * k;
        if at < size {
            let n = (size - at).min(600) as usize;
            let _ = v.read_exact_at(at, &mut buf[..n]);
        }
    }
    assert!(v.read_exact_at(size, &mut [0u8; 1]).is_err());
});

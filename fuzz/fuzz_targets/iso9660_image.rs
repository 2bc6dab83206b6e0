//! Structure-aware ISO9660: the input is a byte choosing one of three real images made
//! by `xorriso` (Rock Ridge + Joliet with relocated directories and a continuation
//! area, Joliet alone, plain names; see `fuzz/seeds/build`), then 5-byte patch records
//! (u32 LE offset, u8 xor). The top two bits of the offset aim it: 00 and 01 at the
//! 96 KiB from sector 16 (volume descriptors, path tables, the first directories), 10
//! at the first 512 KiB (directories, continuation areas), 11 anywhere. The damaged
//! image is then probed (generically, then as ISO9660), fixed paths resolved, the
//! whole tree listed and read, and the El Torito catalog read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, Patched, Walk, ISO_IMAGES};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, records)) = data.split_first() else {
        return;
    };
    let base = ISO_IMAGES[usize::from(sel) % ISO_IMAGES.len()];
    let size = base.len() as u64;
    let dev = Patched::from_records(base, records, |v| {
        let low = u64::from(v & 0x3fff_ffff);
        match v >> 30 {
            0 | 1 => (32 << 10) + low % (96 << 10),
            2 => low % (512 << 10).min(size),
            _ => low % size,
        }
    });
    dev.dump_if_asked();
    // The generic probe tries ext4 and FAT first (patches may well make sector 0 a
    // FAT boot sector: that is no finding); the walk runs once, on the ISO9660 reader.
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        let _ = fs.info();
    }
    if let Ok(Some(fs)) = xlboot_fs::iso9660::probe(&dev) {
        exercise_fs(&fs, Walk::IMAGE);
        let _ = fs.boot_catalog();
    }
});

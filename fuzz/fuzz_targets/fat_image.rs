//! Structure-aware FAT: the input is a byte choosing one of three real images made by
//! `mkfs.vfat` + `mcopy` (FAT12, FAT16, FAT32; see `fuzz/seeds/build`), then 5-byte
//! patch records (u32 LE offset, u8 xor). The top two bits of the offset aim it: 00
//! and 01 at the first 64 KiB (boot sector, FSInfo, the FATs, the FAT12/16 root
//! directory), 10 at the first 512 KiB (directories), 11 anywhere. The damaged image
//! is then probed, fixed paths resolved, and the whole tree listed and read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, Patched, Walk, FAT_IMAGES};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, records)) = data.split_first() else {
        return;
    };
    let base = FAT_IMAGES[usize::from(sel) % FAT_IMAGES.len()];
    let size = base.len() as u64;
    let dev = Patched::from_records(base, records, |v| {
        let low = u64::from(v & 0x3fff_ffff);
        match v >> 30 {
            0 | 1 => low % (64 << 10).min(size),
            2 => low % (512 << 10).min(size),
            _ => low % size,
        }
    });
    dev.dump_if_asked();
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        exercise_fs(fs.as_ref(), Walk::IMAGE);
    };
});

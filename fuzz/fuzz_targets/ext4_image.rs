//! Structure-aware ext2/3/4: the input is a byte choosing one of four real images made
//! by `mke2fs -d` (see `fuzz/seeds/build`), then 5-byte patch records (u32 LE offset,
//! u8 xor). The top two bits of the offset aim it: 00 and 01 at the first 256 KiB
//! (superblock, group descriptors, bitmaps, inode table), 10 at the first 1 MiB
//! (directories and extent blocks), 11 anywhere. The damaged image is then probed,
//! fixed paths resolved, and the whole tree listed and read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, Patched, Walk, EXT4_IMAGES};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, records)) = data.split_first() else {
        return;
    };
    let base = EXT4_IMAGES[usize::from(sel) % EXT4_IMAGES.len()];
    let size = base.len() as u64;
    let dev = Patched::from_records(base, records, |v| {
        let low = u64::from(v & 0x3fff_ffff);
        match v >> 30 {
            0 | 1 => low % (256 << 10).min(size),
            2 => low % (1 << 20).min(size),
            _ => low % size,
        }
    });
    dev.dump_if_asked();
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        exercise_fs(fs.as_ref(), Walk::IMAGE);
    };
});

//! Structure-aware XFS: the input is a byte choosing one of two real images made by
//! `mkfs.xfs -p` (v5 and v4, see `fuzz/seeds/build`), then 5-byte patch records (u32
//! LE offset, u8 xor). The top two bits of the offset aim it: 00 at the first 64 KiB
//! (superblock, AG headers, btree roots, the root inode chunk), 01 at the first 1 MiB
//! (inodes, directory and bmbt blocks), 10 at the first 4 MiB, 11 anywhere (the log
//! included). The damaged image is then probed, fixed paths resolved, and the whole
//! tree listed and read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, Patched, Walk, XFS_IMAGES};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, records)) = data.split_first() else {
        return;
    };
    let base = XFS_IMAGES[usize::from(sel) % XFS_IMAGES.len()];
    let size = base.len() as u64;
    let dev = Patched::from_records(base, records, |v| {
        let low = u64::from(v & 0x3fff_ffff);
        match v >> 30 {
            0 => low % (64 << 10).min(size),
            1 => low % (1 << 20).min(size),
            2 => low % (4 << 20).min(size),
            _ => low % size,
        }
    });
    dev.dump_if_asked();
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        exercise_fs(fs.as_ref(), Walk::IMAGE);
    };
});

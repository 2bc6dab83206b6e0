//! Structure-aware squashfs: the input is a byte choosing one of five real images made
//! by `mksquashfs` (see `fuzz/seeds/build`), then 5-byte patch records (u32 LE offset,
//! u8 xor). The top two bits of the offset aim it: 00 at the superblock and the
//! compressor options (first 256 bytes), 01 and 10 at the metadata tables (inodes,
//! directories, fragment, id and export tables: everything from the inode table on),
//! 11 anywhere (data blocks too). The damaged image is then probed, fixed paths
//! resolved, and the whole tree listed and read, at most 256 KiB of file data per run:
//! decompressing costs far more than reading ext4's plain blocks, and the decoders
//! have a target of their own (`decompress`), so the runs go to the metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, in_regions, Patched, Walk, SQUASHFS_IMAGES};

/// The walk of the patched images, with less file data read.
const WALK: Walk = Walk {
    max_file: 64 << 10,
    max_total: 256 << 10,
    ..Walk::IMAGE
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, records)) = data.split_first() else {
        return;
    };
    let base = SQUASHFS_IMAGES[usize::from(sel) % SQUASHFS_IMAGES.len()];
    let size = base.len() as u64;
    // The inode table's start, from the pristine superblock.
    let tables = base
        .get(64..72)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
        .min(size);
    let dev = Patched::from_records(base, records, |v| {
        let low = v & 0x3fff_ffff;
        match v >> 30 {
            0 => u64::from(low) % 256.min(size),
            1 | 2 => in_regions(low, &[(tables, size - tables)]),
            _ => u64::from(low) % size,
        }
    });
    dev.dump_if_asked();
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        exercise_fs(fs.as_ref(), WALK);
    };
});

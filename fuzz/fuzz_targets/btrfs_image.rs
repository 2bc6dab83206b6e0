//! Structure-aware btrfs: 5-byte patch records (u32 LE offset, u8 xor) on a real image
//! made by `mkfs.btrfs --rootdir` (see `fuzz/seeds/build`). With the top bit clear, the
//! offset is aimed into one of the image's tree blocks (4 KiB blocks that carry its
//! fsid, the superblock included); set, anywhere. Every tree block a patch lands in
//! gets its crc32c recomputed as it is read, so the damage reaches the parsers behind
//! the checksum check instead of stopping there. The damaged image is probed, fixed
//! paths resolved, and the whole tree listed and read.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use xlboot_disk::{BlockDevice, IoError};
use xlboot_fuzz::{exercise_fs, Patched, Walk, BTRFS_IMAGE};

const BLOCK: usize = 4096;

/// Offsets of the base image's tree blocks (and superblock copies).
fn tree_blocks() -> &'static [u64] {
    static BLOCKS: OnceLock<Vec<u64>> = OnceLock::new();
    BLOCKS.get_or_init(|| {
        let fsid = BTRFS_IMAGE.get(65536 + 32..65536 + 48).unwrap_or(&[]);
        BTRFS_IMAGE
            .chunks_exact(BLOCK)
            .enumerate()
            .filter(|(_, b)| !fsid.is_empty() && b.get(32..48) == Some(fsid))
            .map(|(i, _)| (i * BLOCK) as u64)
            .collect()
    })
}

/// Standard CRC32C, as btrfs stores it.
fn crc32c(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0x82F6_3B78 } else { c >> 1 };
        }
    }
    !c
}

/// The patched image, with the checksum of every patched tree block made right.
struct Resummed<'a> {
    inner: Patched<'a>,
    dirty: Vec<u64>,
}

impl BlockDevice for Resummed<'_> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.inner.read_exact_at(offset, buf)?;
        let end = offset + buf.len() as u64;
        for &blk in &self.dirty {
            if blk >= offset && blk + BLOCK as u64 <= end {
                let at = (blk - offset) as usize;
                let block = &mut buf[at..at + BLOCK];
                let c = crc32c(&block[32..]);
                block[..4].copy_from_slice(&c.to_le_bytes());
            }
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let blocks = tree_blocks();
    let size = BTRFS_IMAGE.len() as u64;
    if blocks.is_empty() || size == 0 {
        return;
    }
    let inner = Patched::from_records(BTRFS_IMAGE, data, |v| {
        if v >> 31 == 0 {
            let b = blocks[(v >> 12) as usize % blocks.len()];
            // Past the checksum field: the checksum is recomputed anyway.
            b + 32 + u64::from(v & 0xfff) % (BLOCK as u64 - 32)
        } else {
            u64::from(v & 0x7fff_ffff) % size
        }
    });
    let mut dirty: Vec<u64> = inner
        .offsets()
        .map(|o| o - o % BLOCK as u64)
        .filter(|b| blocks.binary_search(b).is_ok())
        .collect();
    dirty.dedup();
    inner.dump_if_asked();
    let dev = Resummed { inner, dirty };
    if let Ok(Some(fs)) = xlboot_fs::probe(&dev) {
        exercise_fs(fs.as_ref(), Walk::IMAGE);
    };
});

//! Raw bytes as the whole device: probe and walk. Cheap; finds superblock and group
//! descriptor handling problems (seeds: 64 and 128 KiB images from mke2fs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_fuzz::{exercise_fs, Walk};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(fs)) = xlboot_fs::probe(data) {
        exercise_fs(fs.as_ref(), Walk::RAW);
    };
});

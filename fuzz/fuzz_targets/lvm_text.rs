//! Bytes as an LVM2 metadata text: the bounded parser, then the volume group model
//! built from it (PVs, LVs, segments, stripes checked against each other).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_disk::lvm::{metadata::VgMeta, text};

fuzz_target!(|data: &[u8]| {
    if let Ok(top) = text::parse(data) {
        if let Ok(vg) = VgMeta::from_text(&top) {
            assert!(vg.extent_size >= 8);
            for lv in &vg.lvs {
                assert!(!lv.segments.is_empty());
            }
        }
    }
});

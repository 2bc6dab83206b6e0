//! Bytes as a GRUB environment block.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grubenv;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = grubenv::parse(data) {
        for (name, _) in &block.vars {
            assert!(!name.contains('='), "variable name {name:?} holds '='");
        }
    }
});

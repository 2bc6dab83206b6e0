//! Bytes as a grub.cfg, evaluated against an in-memory guest (two partitions with
//! UUIDs, kernels, a grub-editenv grubenv, files to `source`), then everything a caller
//! does with the menu: flatten, find entries by several specs, choose.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grub2::{evaluate, EvalContext};
use xlboot_config::FilePath;
use xlboot_fuzz::{exercise_menu, MemHost, CONFIG_DEVICE};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static HOST: MemHost = MemHost::new();
    }
    let ctx = EvalContext::new(FilePath {
        device: CONFIG_DEVICE.to_string(),
        path: "/boot/grub/grub.cfg".to_string(),
    });
    HOST.with(|host| {
        if let Ok(evaluated) = evaluate(data, &ctx, host) {
            exercise_menu(&evaluated.menu);
        }
    });
});

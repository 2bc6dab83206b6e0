//! Bytes as a GRUB legacy `menu.lst`, evaluated against the in-memory guest (`(hd0,0)`
//! and `(hd0,1)` with kernels, a `default` file for `default saved`, configs to reach
//! with `configfile`, one of them the config itself), then everything a caller does
//! with the menu.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grub2::Limits;
use xlboot_config::grub_legacy::evaluate;
use xlboot_config::FilePath;
use xlboot_fuzz::{exercise_menu, MemHost, CONFIG_DEVICE};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static HOST: MemHost = MemHost::new();
    }
    let file = FilePath::new(CONFIG_DEVICE.to_string(), "/boot/grub/menu.lst".to_string());
    HOST.with(|host| {
        if let Ok(evaluated) = evaluate(data, &file, &Limits::default(), host) {
            exercise_menu(&evaluated.menu);
        }
    });
});

//! Bytes as an `extlinux.conf`, evaluated against the in-memory guest (whose
//! `/boot/extlinux` holds files to `INCLUDE`, one that includes itself, a `CONFIG`
//! target and a module for implicit names), then everything a caller does with the
//! menu.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grub2::Limits;
use xlboot_config::FilePath;
use xlboot_fuzz::{exercise_menu, MemHost, CONFIG_DEVICE};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static HOST: MemHost = MemHost::new();
    }
    let config = FilePath::new(CONFIG_DEVICE.to_string(), "/boot/extlinux/extlinux.conf".to_string());
    let limits = Limits::default();
    HOST.with(|host| {
        if let Ok(evaluated) = xlboot_config::syslinux::evaluate(data, &config, &limits, host) {
            let m = &evaluated.menu;
            if let Some(d) = &m.default {
                assert!(m.entry(d).is_some(), "the default {d:?} is no entry");
            }
            exercise_menu(m);
        }
    });
});

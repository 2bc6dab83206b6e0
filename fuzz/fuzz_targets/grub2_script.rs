//! Bytes as a grub.cfg, evaluated against an in-memory guest (two partitions with
//! UUIDs, kernels, a grub-editenv grubenv, files to `source`), then everything a caller
//! does with the menu: flatten, find entries by several specs, choose; and the
//! `save_env` commands on the way to each entry applied to a grubenv as
//! `--update-grubenv` applies them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grub2::{evaluate, EvalContext};
use xlboot_config::{grubenv, FilePath};
use xlboot_fuzz::{exercise_menu, MemHost, CONFIG_DEVICE, GRUBENV};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static HOST: MemHost = MemHost::new();
    }
    let ctx = EvalContext::new(FilePath::new(CONFIG_DEVICE.to_string(), "/boot/grub/grub.cfg".to_string()));
    HOST.with(|host| {
        if let Ok(evaluated) = evaluate(data, &ctx, host) {
            exercise_menu(&evaluated.menu);
            let paths = evaluated
                .menu
                .flatten()
                .into_iter()
                .map(|f| f.path)
                .chain(evaluated.menu.default.clone());
            for path in paths.take(16) {
                let mut block = GRUBENV.to_vec();
                for save in evaluated.env_saves.for_boot(&path) {
                    if let Ok(b) = grubenv::save(&block, &save.vars) {
                        assert_eq!(b.len(), block.len());
                        block = b;
                    }
                }
            }
        }
    });
});

//! Bytes as a GRUB environment block: read, checked, and edited as `save_env` edits it
//! (set, grow, shrink, append and delete), which must keep the block's size and, for a
//! plain block, leave one that reads back with the value set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::grubenv;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = grubenv::parse(data) {
        for (name, _) in &block.vars {
            assert!(!name.contains('='), "variable name {name:?} holds '='");
        }
    }
    let plain = grubenv::check_plain(data).is_ok();
    let edits: [&[(String, Option<String>)]; 3] = [
        &[("next_entry".into(), Some(String::new()))],
        &[
            ("saved_entry".into(), Some("a\\b\nc>d".into())),
            ("recordfail".into(), Some("1".into())),
        ],
        &[("saved_entry".into(), None), ("next_entry".into(), None)],
    ];
    for vars in edits {
        if let Ok(new) = grubenv::save(data, vars) {
            assert_eq!(new.len(), data.len());
            if plain {
                assert!(grubenv::check_plain(&new).is_ok());
                let read = grubenv::parse(&new).unwrap().vars;
                for (n, v) in vars {
                    let got = read.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v);
                    if v.is_some() {
                        assert_eq!(got, v.as_ref(), "{n}");
                    }
                }
            }
        }
    }
});

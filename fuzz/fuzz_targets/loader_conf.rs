//! Bytes as systemd-boot's `loader.conf` over three real-shaped BLS entries (boot
//! counting included): the default and timeout systemd-boot would use, then everything
//! a caller does with the menu. The `default` glob also runs against a 1 KiB name, to
//! catch matching whose work grows with more than the name's length squared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::bls::loader_conf::{fnmatch, LoaderConf};
use xlboot_config::bls::spec::menu_with_loader_conf;
use xlboot_config::PathRoot;
use xlboot_fuzz::exercise_menu;

fuzz_target!(|data: &[u8]| {
    let conf = LoaderConf::parse(data);
    let entry = |name: &str, body: &str| (name.to_string(), body.as_bytes().to_vec());
    let files = [
        entry(
            "5b1f0c2e8d3a4f6b9c7e1a2d3b4c5d6e-6.1.0-50-cloud-amd64.conf",
            "title Debian GNU/Linux 12 (bookworm)\nversion 6.1.0-50-cloud-amd64\nlinux /k1\ninitrd /i1\noptions root=UUID=x ro\n",
        ),
        entry(
            "5b1f0c2e8d3a4f6b9c7e1a2d3b4c5d6e-6.1.0-50-amd64+2-1.conf",
            "title Debian GNU/Linux 12 (bookworm)\nversion 6.1.0-50-amd64\nlinux /k2\ninitrd /i2\n",
        ),
        entry("rescue+0.conf", "title Rescue\nefi /EFI/rescue.efi\n"),
    ];
    let menu = menu_with_loader_conf("hd0,msdos1", &PathRoot::Top, &files, Some(&conf));
    let d = menu.default.clone().expect("entries exist, so there is a default");
    assert!(menu.entry(&d).is_some(), "the default {d:?} is no entry");
    exercise_menu(&menu);
    if let Some(pattern) = &conf.default {
        let long = "a".repeat(1024);
        let _ = fnmatch(pattern, &long);
    }
});

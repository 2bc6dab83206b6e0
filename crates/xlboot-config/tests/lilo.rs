//! LILO semantics, one test per rule: labels, the default, and the command line as
//! `/sbin/lilo` stores it and LILO's second stage passes it. The config in tests/data
//! is in the shape Debian's `liloconfig` writes (`@K1@`, `@K2@`, `@UUID@` filled in
//! here and by the fixture builder).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{data, fp};
use xlboot_config::lilo::{evaluate, Evaluated};
use xlboot_config::{ConfigError, ConfigErrorKind, FilePath};

const UUID: &str = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

/// The root namespace of a guest whose /boot is `hd0,msdos1`: every path exists.
fn locate(p: &str) -> Result<Option<FilePath>, String> {
    Ok(Some(match p.strip_prefix("/boot/") {
        Some(rest) => fp("hd0,msdos1", &format!("/{rest}")),
        None => fp("hd0,msdos2", p),
    }))
}

fn run(cfg: &str) -> Result<Evaluated, ConfigError> {
    evaluate(
        cfg.as_bytes(),
        &fp("hd0,msdos2", "/etc/lilo.conf"),
        1 << 20,
        &locate,
    )
}

/// (label, kernel, initrds, args) of the default entry.
fn chosen(ev: &Evaluated) -> (String, String, Vec<String>, String) {
    let e = ev.menu.entry(ev.menu.default.as_ref().unwrap()).unwrap();
    let b = e.boot.as_ref().unwrap();
    (
        e.title.clone(),
        b.kernel.to_string(),
        b.initrds.iter().map(ToString::to_string).collect(),
        b.args.clone(),
    )
}

#[test]
fn liloconfig_style_config() {
    let cfg = String::from_utf8(data("liloconfig.lilo.conf"))
        .unwrap()
        .replace("@K1@", "6.1.0-50-cloud-amd64")
        .replace("@K2@", "6.1.0-50-amd64")
        .replace("@UUID@", UUID);
    let ev = run(&cfg).unwrap();
    let titles: Vec<&str> = ev.menu.items.iter().map(|i| i.title()).collect();
    assert_eq!(titles, ["Linux", "Linux_Old"]);
    let (label, kernel, initrds, args) = chosen(&ev);
    assert_eq!(label, "Linux_Old");
    assert_eq!(kernel, "(hd0,msdos1)/vmlinuz-6.1.0-50-amd64");
    assert_eq!(initrds, ["(hd0,msdos1)/initrd.img-6.1.0-50-amd64"]);
    assert_eq!(
        args,
        format!("auto BOOT_IMAGE=Linux_Old ro root=UUID={UUID} console=hvc0 quiet")
    );
    assert_eq!(ev.menu.timeout, Some(10));
}

#[test]
fn without_default_the_first_image_boots() {
    let ev = run("image=/boot/a\nimage=/boot/b\n").unwrap();
    assert_eq!(chosen(&ev).0, "a");
}

#[test]
fn default_matches_labels_ignoring_case() {
    let ev = run("default=LINUX\nimage=/boot/a\nimage=/boot/b\nlabel=linux\n").unwrap();
    assert_eq!(chosen(&ev).0, "linux");
}

#[test]
fn default_naming_nothing_is_refused_as_lilo_refuses_it() {
    let e = run("default=nothing\nimage=/boot/a\n").err().unwrap();
    assert_eq!(e.kind, ConfigErrorKind::Syntax);
}

#[test]
fn default_with_a_blank_does_not_match_the_underscored_label() {
    assert!(run("default=\"My Linux\"\nimage=/boot/a\nlabel=\"My Linux\"\n").is_err());
}

#[test]
fn option_order_is_ro_root_ramdisk_append_addappend() {
    let ev = run(
        "append=\"g=1\"\nread-only\nroot=/dev/xvda2\nimage=/boot/a\nramdisk=0x100\naddappend=\"x=2\"\n",
    )
    .unwrap();
    assert_eq!(
        chosen(&ev).3,
        "auto BOOT_IMAGE=a ro root=ca02 ramdisk=256 g=1 x=2"
    );
}

#[test]
fn image_append_replaces_the_global_one() {
    let ev = run("append=\"g=1\"\nimage=/boot/a\nappend=\"i=1\"\n").unwrap();
    assert_eq!(chosen(&ev).3, "auto BOOT_IMAGE=a i=1");
}

#[test]
fn image_keywords_win_over_global_ones() {
    let ev = run("root=/dev/xvda1\ninitrd=/boot/g.img\nimage=/boot/a\nroot=\"LABEL=r\"\n").unwrap();
    let (_, _, initrds, args) = chosen(&ev);
    assert_eq!(initrds, ["(hd0,msdos1)/g.img"]);
    assert_eq!(args, "auto BOOT_IMAGE=a root=LABEL=r");
}

#[test]
fn read_write_and_read_only_from_different_sections_both_apply() {
    let ev = run("read-only\nimage=/boot/a\nread-write\n").unwrap();
    assert_eq!(chosen(&ev).3, "auto BOOT_IMAGE=a ro rw");
    assert!(run("image=/boot/a\nread-only\nread-write\n").is_err());
}

#[test]
fn literal_replaces_every_option() {
    let ev = run("append=\"g=1\"\nread-only\nimage=/boot/a\nliteral=\"only  this\"\n").unwrap();
    assert_eq!(chosen(&ev).3, "auto BOOT_IMAGE=a only this");
}

#[test]
fn label_from_the_image_name() {
    let ev = run("image=/boot/vmlinuz-6.1\n").unwrap();
    assert_eq!(chosen(&ev).0, "vmlinuz-6.1");
    assert!(
        run("image=/boot/vmlinuz-6.1.0-50-cloud-amd64\n").is_err(),
        "longer than 15"
    );
}

#[test]
fn other_entries_are_listed_and_not_bootable() {
    let ev = run("default=dos\nother=/dev/xvda3\nlabel=dos\nimage=/boot/a\n").unwrap();
    assert_eq!(ev.menu.items.len(), 2);
    assert!(ev.menu.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn optional_missing_images_are_left_out() {
    let locate = |p: &str| -> Result<Option<FilePath>, String> {
        Ok((p == "/boot/b").then(|| fp("hd0,msdos1", "/b")))
    };
    let ev = evaluate(
        b"image=/boot/a\noptional\nimage=/boot/b\n",
        &fp("hd0,msdos2", "/etc/lilo.conf"),
        1 << 20,
        &locate,
    )
    .unwrap();
    assert_eq!(ev.menu.items.len(), 1);
    assert_eq!(chosen(&ev).0, "b");
    // Not optional: listed, and booting it says why not.
    let ev = evaluate(
        b"image=/boot/a\nimage=/boot/b\n",
        &fp("hd0,msdos2", "/etc/lilo.conf"),
        1 << 20,
        &locate,
    )
    .unwrap();
    assert!(ev
        .menu
        .entry(&[0])
        .unwrap()
        .boot
        .as_ref()
        .unwrap_err()
        .contains("not found"));
}

#[test]
fn environment_variables_are_unsupported() {
    let e = run("image=/boot/a\nappend=\"root=$ROOT\"\n").err().unwrap();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
}

#[test]
fn timeouts_are_tenths_of_seconds() {
    assert_eq!(
        run("prompt\ntimeout=55\nimage=/boot/a\n")
            .unwrap()
            .menu
            .timeout,
        Some(6)
    );
    assert_eq!(run("prompt\nimage=/boot/a\n").unwrap().menu.timeout, None);
    assert_eq!(
        run("delay=20\nimage=/boot/a\n").unwrap().menu.timeout,
        Some(2)
    );
    assert_eq!(run("image=/boot/a\n").unwrap().menu.timeout, Some(0));
}

#[test]
fn hostile_inputs_end_in_errors_not_panics() {
    let huge = format!("image=/boot/a\nappend=\"{}\"\n", "x".repeat(100_000));
    assert!(run(&huge).is_err());
    let many = "image=/boot/a\n".repeat(5000);
    assert!(run(&many).is_err());
    assert!(run("").is_err());
    assert!(run("timeout=99999999999999999999\nprompt\nimage=/boot/a\n").is_ok());
    let mut seed: u32 = 7;
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..1500)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b"image=/boot/a label \"x\\\n#\t=append root read-only default $ other"
                    [usize::from((seed >> 16) as u8) % 64]
            })
            .collect();
        let _ = evaluate(
            &bytes,
            &fp("hd0,msdos2", "/etc/lilo.conf"),
            1 << 20,
            &locate,
        );
    }
}

//! GRUB legacy semantics, one test per rule: each fails if xlboot decides otherwise
//! than GRUB 0.97 does. Configs in the style distributions wrote them (Debian's
//! update-grub, Red Hat's anaconda) are in tests/data; `@K1@`/`@K2@` there stand for
//! kernel versions (the fixture builder puts real ones in).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{data, fp, FakeHost};
use xlboot_config::grub2::Limits;
use xlboot_config::grub_legacy::{evaluate, Evaluated};
use xlboot_config::{ConfigError, ConfigErrorKind, Menu, MenuItem};

const K1: &str = "6.1.0-50-cloud-amd64";
const K2: &str = "6.1.0-50-amd64";
const DEV: &str = "hd0,msdos1";

fn template(name: &str) -> Vec<u8> {
    String::from_utf8(data(name))
        .unwrap()
        .replace("@K1@", K1)
        .replace("@K2@", K2)
        .into_bytes()
}

fn run_at(cfg: &[u8], host: &FakeHost, path: &str) -> Result<Evaluated, ConfigError> {
    evaluate(cfg, &fp(DEV, path), &Limits::default(), host)
}

fn run(cfg: &str, host: &FakeHost) -> Evaluated {
    run_at(cfg.as_bytes(), host, "/boot/grub/menu.lst").unwrap()
}

/// A guest with /boot on msdos1 (kernels in /boot) and root on msdos2.
fn guest() -> FakeHost {
    FakeHost::new()
        .device(DEV, Some("aaaa-1111"), None)
        .device("hd0,msdos2", Some("bbbb-2222"), None)
        .debian_kernels(DEV, "/boot")
        .debian_kernels("hd0,msdos2", "")
}

/// (title, kernel, initrds, args) of the default entry.
fn chosen(m: &Menu) -> (String, String, Vec<String>, String) {
    let path = m.default.clone().expect("a default");
    let e = m.entry(&path).expect("an entry");
    let b = e.boot.as_ref().expect("bootable");
    (
        e.title.clone(),
        b.kernel.to_string(),
        b.initrds.iter().map(ToString::to_string).collect(),
        b.args.clone(),
    )
}

#[test]
fn debian_update_grub_menu_lst_with_default_saved() {
    let host = guest().file(DEV, "/boot/grub/default", b"2\n#\n#\n#\n#\n#\n#\n#\n#\n#\n#\n# WARNING: If you want to edit this file directly, do not remove any line\n");
    let ev = run_at(
        &template("debian-lenny.menu.lst"),
        &host,
        "/boot/grub/menu.lst",
    )
    .unwrap();
    let (title, kernel, initrds, args) = chosen(&ev.menu);
    assert_eq!(title, format!("Debian GNU/Linux, kernel {K2}"));
    assert_eq!(kernel, format!("(hd0,msdos1)/boot/vmlinuz-{K2}"));
    assert_eq!(initrds, [format!("(hd0,msdos1)/boot/initrd.img-{K2}")]);
    assert_eq!(
        args,
        "root=UUID=7c4a6b1e-2d3f-4e5a-8b9c-0d1e2f3a4b5c ro console=hvc0 quiet"
    );
    assert_eq!(ev.menu.timeout, Some(5));
    assert_eq!(ev.menu.items.len(), 4);
    assert!(
        ev.menu.default_rule.contains("default saved"),
        "{}",
        ev.menu.default_rule
    );
    assert!(ev.menu.default_rule.contains("/boot/grub/default says 2"));
    assert_eq!(ev.config.color.as_deref(), Some("cyan/blue white/blue"));
}

#[test]
fn default_saved_without_a_default_file_is_entry_0() {
    let ev = run_at(
        &template("debian-lenny.menu.lst"),
        &guest(),
        "/boot/grub/menu.lst",
    )
    .unwrap();
    assert_eq!(ev.menu.default, Some(vec![0]));
}

#[test]
fn default_file_is_next_to_the_config() {
    // A separate /boot: the config is /grub/menu.lst, the file /grub/default.
    let host = guest()
        .file(DEV, "/grub/default", b"1\n")
        .file(DEV, "/boot/grub/default", b"3\n");
    let cfg = "default saved\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-cloud-amd64\n";
    let ev = run_at(cfg.as_bytes(), &host, "/grub/menu.lst").unwrap();
    assert_eq!(ev.menu.default, Some(vec![1]));
}

#[test]
fn savedefault_once_file_uses_the_number_after_the_colon() {
    let host = guest().file(DEV, "/boot/grub/default", b"0:1\n");
    let ev = run(
        "default saved\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-cloud-amd64\n",
        &host,
    );
    assert_eq!(ev.menu.default, Some(vec![1]));
}

#[test]
fn centos_anaconda_grub_conf_on_a_separate_boot() {
    let host = FakeHost::new()
        .device(DEV, Some("aaaa"), None)
        .device("hd0,msdos2", Some("bbbb"), None)
        .debian_kernels(DEV, "")
        .file(DEV, "/xen-4.17-amd64.gz", b"xen");
    let ev = run_at(&template("centos5-xen.grub.conf"), &host, "/grub/grub.conf").unwrap();
    let (title, kernel, initrds, args) = chosen(&ev.menu);
    assert_eq!(title, format!("CentOS ({K1})"));
    assert_eq!(kernel, format!("(hd0,msdos1)/vmlinuz-{K1}"));
    assert_eq!(initrds, [format!("(hd0,msdos1)/initrd.img-{K1}")]);
    assert_eq!(
        args,
        "ro root=UUID=3e5f7a9c-1b2d-4c6e-8f0a-2b4c6d8e0f1a console=hvc0"
    );
    assert!(ev.config.hidden_menu);
    assert_eq!(
        ev.config.splash_image.as_deref(),
        Some("(hd0,0)/grub/splash.xpm.gz")
    );
}

#[test]
fn xen_multiboot_entry_boots_the_linux_module() {
    let host = FakeHost::new()
        .device(DEV, Some("aaaa"), None)
        .debian_kernels(DEV, "")
        .file(DEV, "/xen-4.17-amd64.gz", b"xen");
    let cfg = String::from_utf8(template("centos5-xen.grub.conf"))
        .unwrap()
        .replace("default=1", "default=2");
    let ev = run_at(cfg.as_bytes(), &host, "/grub/grub.conf").unwrap();
    let (_, kernel, initrds, args) = chosen(&ev.menu);
    assert_eq!(kernel, format!("(hd0,msdos1)/vmlinuz-{K1}"));
    assert_eq!(initrds, [format!("(hd0,msdos1)/initrd.img-{K1}")]);
    assert_eq!(
        args,
        "ro root=UUID=3e5f7a9c-1b2d-4c6e-8f0a-2b4c6d8e0f1a console=hvc0 xencons=hvc"
    );
}

#[test]
fn partitions_count_from_zero() {
    let ev = run(
        "title a\nroot (hd0,1)\nkernel /vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(chosen(&ev.menu).1, "(hd0,msdos2)/vmlinuz-6.1.0-50-amd64");
}

#[test]
fn device_in_the_kernel_path() {
    let ev = run(
        "title a\nroot (hd0,0)\nkernel (hd0,1)/vmlinuz-6.1.0-50-amd64 ro\ninitrd /boot/initrd.img-6.1.0-50-amd64\n",
        &guest(),
    );
    let (_, k, i, a) = chosen(&ev.menu);
    assert_eq!(k, "(hd0,msdos2)/vmlinuz-6.1.0-50-amd64");
    assert_eq!(i, ["(hd0,msdos1)/boot/initrd.img-6.1.0-50-amd64"]);
    assert_eq!(a, "ro");
}

#[test]
fn without_root_the_config_volume_is_root() {
    let ev = run("title a\nkernel /boot/vmlinuz-6.1.0-50-amd64\n", &guest());
    assert_eq!(
        chosen(&ev.menu).1,
        "(hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64"
    );
}

#[test]
fn root_before_the_first_title_does_nothing() {
    let ev = run(
        "root (hd0,1)\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(
        chosen(&ev.menu).1,
        "(hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64"
    );
}

#[test]
fn args_are_the_rest_of_the_kernel_line_verbatim() {
    let ev = run(
        "title a\nkernel\t/boot/vmlinuz-6.1.0-50-amd64   root=/dev/xvda1  ro\tquiet \n",
        &guest(),
    );
    // Tabs become spaces; leading blanks skipped; inner and trailing blanks kept.
    assert_eq!(chosen(&ev.menu).3, "root=/dev/xvda1  ro quiet ");
}

#[test]
fn kernel_options_before_the_file() {
    let ev = run(
        "title a\nkernel --no-mem-option --type=linux /boot/vmlinuz-6.1.0-50-amd64 x\n",
        &guest(),
    );
    let (_, k, _, a) = chosen(&ev.menu);
    assert_eq!(k, "(hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64");
    assert_eq!(a, "x");
}

#[test]
fn equals_sign_as_separator() {
    let ev = run(
        "default=1\ntimeout=3\ntitle=a\nkernel=/boot/vmlinuz-6.1.0-50-amd64\ntitle=b\nkernel=/boot/vmlinuz-6.1.0-50-cloud-amd64 ro\n",
        &guest(),
    );
    let (t, k, _, a) = chosen(&ev.menu);
    assert_eq!((t.as_str(), a.as_str()), ("b", "ro"));
    assert!(k.ends_with("cloud-amd64"));
    assert_eq!(ev.menu.timeout, Some(3));
}

#[test]
fn default_out_of_range_is_entry_0_without_fallback() {
    let ev = run(
        "default 7\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![0]));
}

#[test]
fn default_out_of_range_takes_the_first_fallback() {
    let ev = run(
        "default 7\nfallback 1\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![1]));
}

#[test]
fn failing_default_boots_the_fallback_entries_in_order() {
    let ev = run(
        "default 0\nfallback 1 2\ntitle a\nkernel /boot/missing\ntitle b\nkernel /boot/missing-too\ntitle c\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![2]));
    assert!(
        ev.menu.default_rule.contains("fallback 2"),
        "{}",
        ev.menu.default_rule
    );
}

#[test]
fn failing_default_without_fallback_stays_and_says_why() {
    let ev = run(
        "title a\nkernel /boot/missing\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![0]));
    let e = ev.menu.entry(&[0]).unwrap();
    assert!(e.boot.as_ref().unwrap_err().contains("file not found"));
}

#[test]
fn fallback_entries_past_the_menu_are_dropped() {
    let ev = run(
        "fallback 5 1\ntitle a\nkernel /boot/missing\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![1]));
}

#[test]
fn initrd_before_kernel_fails_the_entry() {
    let ev = run(
        "fallback 1\ntitle a\ninitrd /boot/initrd.img-6.1.0-50-amd64\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-cloud-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![1]));
}

#[test]
fn unknown_and_menu_only_commands_fail_an_entry() {
    let ev = run(
        "title a\nkernel$ /boot/vmlinuz-6.1.0-50-amd64\ntitle b\nkernel /boot/vmlinuz-6.1.0-50-amd64\ntimeout 3\n",
        &guest(),
    );
    for i in 0..2 {
        let e = ev.menu.entry(&[i]).unwrap();
        assert!(e.boot.is_err(), "entry {i} should fail");
    }
}

#[test]
fn display_and_password_commands_do_not_stop_booting() {
    let ev = run(
        "password --md5 $1$x$y\ntitle a\nlock\nquiet\nkernel /boot/vmlinuz-6.1.0-50-amd64\nsavedefault\nmakeactive\n",
        &guest(),
    );
    assert!(ev.menu.entry(&[0]).unwrap().boot.is_ok());
    assert!(ev.config.password.as_ref().unwrap().md5);
}

#[test]
fn commands_after_boot_are_not_run() {
    let ev = run(
        "title a\nkernel /boot/vmlinuz-6.1.0-50-amd64\nboot\nkernel /boot/missing\n",
        &guest(),
    );
    assert!(ev.menu.entry(&[0]).unwrap().boot.is_ok());
}

#[test]
fn chainloader_entries_cannot_be_booted() {
    let ev = run("title w\nrootnoverify (hd0,0)\nchainloader +1\n", &guest());
    assert!(ev.menu.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn uuid_command_sets_root_by_filesystem_uuid() {
    let ev = run(
        "title a\nuuid bbbb-2222\nkernel /vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(chosen(&ev.menu).1, "(hd0,msdos2)/vmlinuz-6.1.0-50-amd64");
}

#[test]
fn missing_device_fails_the_entry() {
    let ev = run(
        "title a\nroot (hd0,5)\nkernel /vmlinuz\ntitle b\nroot (hd1,0)\nkernel /vmlinuz\n",
        &guest(),
    );
    assert!(ev.menu.entry(&[0]).unwrap().boot.is_err());
    assert!(ev.menu.entry(&[1]).unwrap().boot.is_err());
}

#[test]
fn configfile_entry_becomes_a_submenu_with_its_default() {
    let host = guest().file(
        "hd0,msdos2",
        "/boot/grub/menu.lst",
        b"default 1\ntitle x\nkernel /vmlinuz-6.1.0-50-amd64\ntitle y\nkernel /vmlinuz-6.1.0-50-cloud-amd64 y=1\n",
    );
    let ev = run(
        "title chain\nroot (hd0,1)\nconfigfile /boot/grub/menu.lst\n",
        &host,
    );
    assert!(matches!(ev.menu.items[0], MenuItem::Submenu { .. }));
    assert_eq!(ev.menu.default, Some(vec![0, 1]));
    let (_, k, _, a) = chosen(&ev.menu);
    assert_eq!(k, "(hd0,msdos2)/vmlinuz-6.1.0-50-cloud-amd64");
    assert_eq!(a, "y=1");
}

#[test]
fn configfile_loops_are_refused_not_followed() {
    let host = guest()
        .file(
            DEV,
            "/boot/grub/a.lst",
            b"title to b\nconfigfile /boot/grub/b.lst\n",
        )
        .file(
            DEV,
            "/boot/grub/b.lst",
            b"title to a\nconfigfile /boot/grub/a.lst\n",
        );
    let ev = run_at(
        b"title to a\nconfigfile /boot/grub/a.lst\n",
        &host,
        "/boot/grub/menu.lst",
    )
    .unwrap();
    let flat = ev.menu.flatten();
    assert_eq!(flat.len(), 1);
    assert!(flat[0].entry.boot.as_ref().unwrap_err().contains("loop"));
}

#[test]
fn configfile_to_itself_is_a_loop() {
    let cfg = "title self\nconfigfile /boot/grub/menu.lst\n";
    let host = guest().file(DEV, "/boot/grub/menu.lst", cfg.as_bytes());
    let ev = run(cfg, &host);
    assert!(ev
        .menu
        .entry(&[0])
        .unwrap()
        .boot
        .as_ref()
        .unwrap_err()
        .contains("loop"));
}

#[test]
fn configfile_fan_out_is_bounded() {
    // Each level chains to the next through many entries: the number of files read
    // is capped, so the evaluation ends quickly with a limit error.
    let mut host = guest();
    for level in 0..10 {
        let mut cfg = String::new();
        for _ in 0..50 {
            cfg.push_str(&format!("title n\nconfigfile /l{}.lst\n", level + 1));
        }
        host = host.file(DEV, &format!("/l{level}.lst"), cfg.as_bytes());
    }
    let start = std::time::Instant::now();
    let r = run_at(
        b"title top\nconfigfile /l0.lst\n",
        &host,
        "/boot/grub/menu.lst",
    );
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(r.err().map(|e| e.kind), Some(ConfigErrorKind::Limit));
}

#[test]
fn hostile_numbers_and_lines() {
    let long = format!(
        "title a\nkernel /boot/vmlinuz-6.1.0-50-amd64 {}\n",
        "x".repeat(100_000)
    );
    let ev = run(&long, &guest());
    // GRUB keeps 1500 bytes of the line: the path and 1500 - 33 bytes of arguments.
    assert_eq!(
        chosen(&ev.menu).3.len(),
        1500 - "kernel /boot/vmlinuz-6.1.0-50-amd64 ".len()
    );
    let ev = run(
        "default 99999999999999999999\ntimeout -1\nfallback 4294967297\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64\n",
        &guest(),
    );
    assert_eq!(ev.menu.default, Some(vec![0]));
    assert_eq!(ev.menu.timeout, None);
    let many = "title t\nkernel /boot/vmlinuz-6.1.0-50-amd64\n".repeat(10_000);
    let r = run_at(many.as_bytes(), &guest(), "/boot/grub/menu.lst");
    assert_eq!(r.err().map(|e| e.kind), Some(ConfigErrorKind::Limit));
}

#[test]
fn binary_garbage_does_not_panic() {
    let mut seed: u32 = 12345;
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..2000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let b = (seed >> 16) as u8;
                // Mostly config-like characters.
                b"title kernel root (hd0,0) /boot default saved fallback configfile \n\t=#\\"
                    [usize::from(b) % 70]
            })
            .collect();
        let _ = run_at(&bytes, &guest(), "/boot/grub/menu.lst");
    }
}

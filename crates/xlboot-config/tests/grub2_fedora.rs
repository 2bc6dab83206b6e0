//! Fedora / RHEL / Rocky / Alma: `grub.cfg` in the style Fedora's `grub2-mkconfig`
//! writes it (util/grub.d/00_header.in and 10_linux.in of the Fedora GRUB:
//! `load_env`, `set default="${saved_entry}"`, the `kernelopts` fallback, `insmod
//! blscfg; blscfg`), with BLS entries written as Fedora's kernel-install writes them
//! (`<machine-id>-<kernel version>.conf`, `grub_users $grub_users`, `grub_arg
//! --unrestricted`) and RHEL 8's (`options $kernelopts $tuned_params`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{ctx, data, eval, fp, FakeHost};
use xlboot_config::grub2::evaluate;
use xlboot_config::{BootSpec, ConfigErrorKind, Evaluated, Menu, MenuItem};

const MID: &str = "8a3c9e0d6b4f4c2e9f1a7b5d3c8e2f10";
const BOOT_UUID: &str = "6b1d7a35-3f9e-4c3b-9d36-0c1f4e7b2a10";
const ROOT_OPTS: &str =
    "root=UUID=0b7a8f3e-58c1-4d4e-a7b6-2a9d1f0c3e55 ro rootflags=subvol=root console=hvc0";

fn fedora_entry(kver: &str) -> String {
    format!(
        "title Fedora Linux ({kver}) 40 (Server Edition)\n\
         version {kver}\n\
         linux /vmlinuz-{kver}\n\
         initrd /initramfs-{kver}.img\n\
         options {ROOT_OPTS}\n\
         grub_users $grub_users\n\
         grub_arg --unrestricted\n\
         grub_class fedora\n"
    )
}

fn rescue_entry() -> String {
    format!(
        "title Fedora Linux (0-rescue-{MID}) 40 (Server Edition)\n\
         version 0-rescue-{MID}\n\
         linux /vmlinuz-0-rescue-{MID}\n\
         initrd /initramfs-0-rescue-{MID}.img\n\
         options {ROOT_OPTS}\n\
         grub_users $grub_users\n\
         grub_arg --unrestricted\n\
         grub_class kernel\n"
    )
}

const KVERS: [&str; 3] = [
    "6.9.12-200.fc40.x86_64",
    "6.10.3-200.fc40.x86_64",
    "6.8.5-301.fc40.x86_64",
];

/// A Fedora guest with a separate /boot (`hd0,msdos1`), three kernels and a rescue
/// entry; entries in `/loader/entries` of the /boot filesystem.
fn fedora_guest() -> FakeHost {
    let dev = "hd0,msdos1";
    let mut h = FakeHost::new()
        .listable()
        .device("hd0", None, None)
        .device(dev, Some(BOOT_UUID), None)
        .device(
            "hd0,msdos2",
            Some("0b7a8f3e-58c1-4d4e-a7b6-2a9d1f0c3e55"),
            None,
        )
        .file(dev, "/grub2/grub.cfg", &data("fedora40.grub.cfg"));
    for k in KVERS {
        h = h
            .file(dev, &format!("/vmlinuz-{k}"), b"kernel")
            .file(dev, &format!("/initramfs-{k}.img"), b"initrd")
            .file(
                dev,
                &format!("/loader/entries/{MID}-{k}.conf"),
                fedora_entry(k).as_bytes(),
            );
    }
    h.file(dev, &format!("/vmlinuz-0-rescue-{MID}"), b"kernel")
        .file(dev, &format!("/initramfs-0-rescue-{MID}.img"), b"initrd")
        .file(
            dev,
            &format!("/loader/entries/{MID}-0-rescue.conf"),
            rescue_entry().as_bytes(),
        )
}

fn grubenv(vars: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from("# GRUB Environment Block\n");
    for (k, v) in vars {
        s.push_str(&format!("{k}={v}\n"));
    }
    while s.len() < 1024 {
        s.push('#');
    }
    s.into_bytes()
}

fn run(host: &FakeHost) -> Evaluated {
    evaluate(
        &data("fedora40.grub.cfg"),
        &ctx("hd0,msdos1", "/grub2/grub.cfg"),
        host,
    )
    .unwrap()
}

fn titles(m: &Menu) -> Vec<String> {
    m.items.iter().map(|i| i.title().to_string()).collect()
}

fn default_boot(m: &Menu) -> (usize, BootSpec) {
    let p = m.default.clone().expect("a default");
    assert_eq!(p.len(), 1);
    (p[0], m.entry(&p).unwrap().boot.clone().expect("bootable"))
}

fn kernel(k: &str) -> String {
    format!("/vmlinuz-{k}")
}

#[test]
fn entries_newest_first_by_version_not_by_string() {
    let ev = run(&fedora_guest());
    let m = &ev.menu;
    assert_eq!(
        titles(m),
        [
            "Fedora Linux (6.10.3-200.fc40.x86_64) 40 (Server Edition)",
            "Fedora Linux (6.9.12-200.fc40.x86_64) 40 (Server Edition)",
            "Fedora Linux (6.8.5-301.fc40.x86_64) 40 (Server Edition)",
            &format!("Fedora Linux (0-rescue-{MID}) 40 (Server Edition)"),
        ]
    );
    let ids: Vec<_> = m
        .items
        .iter()
        .map(|i| i.id().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], format!("{MID}-6.10.3-200.fc40.x86_64"));
    // No grubenv: `default` is "${saved_entry}", empty: entry 0.
    let (i, b) = default_boot(m);
    assert_eq!(i, 0);
    assert_eq!(
        b.kernel,
        fp("hd0,msdos1", &kernel("6.10.3-200.fc40.x86_64"))
    );
    assert_eq!(
        b.initrds,
        vec![fp("hd0,msdos1", "/initramfs-6.10.3-200.fc40.x86_64.img")]
    );
    assert_eq!(b.args, ROOT_OPTS);
    assert_eq!(m.timeout, Some(5));
}

#[test]
fn saved_entry_names_an_entry_id() {
    let id = format!("{MID}-6.8.5-301.fc40.x86_64");
    let host = fedora_guest().file(
        "hd0,msdos1",
        "/grub2/grubenv",
        &grubenv(&[("saved_entry", &id), ("boot_success", "1")]),
    );
    let ev = run(&host);
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 2);
    assert_eq!(b.kernel, fp("hd0,msdos1", &kernel("6.8.5-301.fc40.x86_64")));
}

#[test]
fn saved_entry_as_title_and_as_index() {
    let host = fedora_guest().file(
        "hd0,msdos1",
        "/grub2/grubenv",
        &grubenv(&[(
            "saved_entry",
            "Fedora Linux (6.9.12-200.fc40.x86_64) 40 (Server Edition)",
        )]),
    );
    assert_eq!(default_boot(&run(&host).menu).0, 1);
    let host = fedora_guest().file(
        "hd0,msdos1",
        "/grub2/grubenv",
        &grubenv(&[("saved_entry", "3")]),
    );
    let (i, b) = default_boot(&run(&host).menu);
    assert_eq!(i, 3);
    assert_eq!(
        b.kernel,
        fp("hd0,msdos1", &format!("/vmlinuz-0-rescue-{MID}"))
    );
}

#[test]
fn next_entry_wins_over_saved_entry() {
    let host = fedora_guest().file(
        "hd0,msdos1",
        "/grub2/grubenv",
        &grubenv(&[
            ("saved_entry", &format!("{MID}-6.9.12-200.fc40.x86_64")),
            ("next_entry", &format!("{MID}-0-rescue")),
        ]),
    );
    let ev = run(&host);
    assert_eq!(default_boot(&ev.menu).0, 3);
    assert!(ev.notes.iter().any(|n| n.contains("next_entry")));
}

#[test]
fn unknown_saved_entry_boots_entry_zero() {
    let host = fedora_guest().file(
        "hd0,msdos1",
        "/grub2/grubenv",
        &grubenv(&[("saved_entry", &format!("{MID}-5.0.0-1.fc30.x86_64"))]),
    );
    assert_eq!(default_boot(&run(&host).menu).0, 0);
}

/// RHEL 8 / Rocky 8 / Alma 8: `options $kernelopts $tuned_params`, `initrd ...
/// $tuned_initrd`, `kernelopts` kept in grubenv.
fn rhel8_entry(kver: &str) -> String {
    format!(
        "title Red Hat Enterprise Linux ({kver}) 8.9 (Ootpa)\n\
         version {kver}\n\
         linux /vmlinuz-{kver}\n\
         initrd /initramfs-{kver}.img $tuned_initrd\n\
         options $kernelopts $tuned_params\n\
         id rhel-20231108150525-{kver}\n\
         grub_users $grub_users\n\
         grub_arg --unrestricted\n\
         grub_class kernel\n"
    )
}

const RHEL_KVERS: [&str; 2] = [
    "4.18.0-513.5.1.el8_9.x86_64",
    "4.18.0-477.10.1.el8_8.x86_64",
];

fn rhel8_guest(env: &[(&str, &str)]) -> FakeHost {
    let dev = "hd0,msdos1";
    let mut h = FakeHost::new()
        .listable()
        .device("hd0", None, None)
        .device(dev, Some(BOOT_UUID), None)
        .file(dev, "/grub2/grubenv", &grubenv(env));
    for k in RHEL_KVERS {
        h = h
            .file(dev, &format!("/vmlinuz-{k}"), b"kernel")
            .file(dev, &format!("/initramfs-{k}.img"), b"initrd")
            .file(
                dev,
                &format!("/loader/entries/{MID}-{k}.conf"),
                rhel8_entry(k).as_bytes(),
            );
    }
    h
}

const KERNELOPTS: &str = "root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap console=hvc0";

#[test]
fn rhel8_kernelopts_and_tuned_params_from_grubenv() {
    let old = format!("{MID}-{}", RHEL_KVERS[1]);
    let host = rhel8_guest(&[
        ("saved_entry", &old),
        ("kernelopts", KERNELOPTS),
        ("tuned_params", "skew_tick=1 nohz=on"),
        ("tuned_initrd", ""),
        ("boot_success", "0"),
    ]);
    let ev = run(&host);
    assert_eq!(ev.menu.items.len(), 2);
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 1);
    assert_eq!(b.kernel, fp("hd0,msdos1", &kernel(RHEL_KVERS[1])));
    assert_eq!(
        b.initrds,
        vec![fp(
            "hd0,msdos1",
            &format!("/initramfs-{}.img", RHEL_KVERS[1])
        )]
    );
    assert_eq!(b.args, format!("{KERNELOPTS} skew_tick=1 nohz=on"));
    // The `id` key is not the entry's id: the file name is.
    assert_eq!(ev.menu.items[1].id(), Some(old.as_str()));
}

#[test]
fn rhel8_kernelopts_fallback_from_grub_cfg() {
    let host = rhel8_guest(&[("saved_entry", &format!("{MID}-{}", RHEL_KVERS[0]))]);
    let ev = run(&host);
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 0);
    // `set kernelopts="root=... ro ... console=hvc0 "` in grub.cfg (no grubenv value).
    assert_eq!(b.args, ROOT_OPTS);
}

#[test]
fn tuned_initrd_adds_an_initrd() {
    let host = rhel8_guest(&[
        ("kernelopts", KERNELOPTS),
        ("tuned_initrd", "/tuned-initrd.img"),
    ])
    .file("hd0,msdos1", "/tuned-initrd.img", b"x");
    let (_, b) = default_boot(&run(&host).menu);
    assert_eq!(
        b.initrds,
        vec![
            fp("hd0,msdos1", &format!("/initramfs-{}.img", RHEL_KVERS[0])),
            fp("hd0,msdos1", "/tuned-initrd.img"),
        ]
    );
    assert_eq!(b.args, KERNELOPTS);
}

/// No separate /boot: the root filesystem has /boot/loader/entries, and blscfg falls
/// back to it after /loader/entries is not found.
#[test]
fn entries_under_boot_on_the_root_filesystem() {
    let dev = "hd0,msdos1";
    let mut h =
        FakeHost::new()
            .listable()
            .device("hd0", None, None)
            .device(dev, Some(BOOT_UUID), None);
    for k in KVERS {
        h = h
            .file(dev, &format!("/boot/vmlinuz-{k}"), b"k")
            .file(dev, &format!("/boot/initramfs-{k}.img"), b"i")
            .file(
                dev,
                &format!("/boot/loader/entries/{MID}-{k}.conf"),
                fedora_entry(k)
                    .replace(" /vmlinuz", " /boot/vmlinuz")
                    .replace(" /initramfs", " /boot/initramfs")
                    .as_bytes(),
            );
    }
    h = h.file(
        dev,
        "/boot/grub2/grubenv",
        &grubenv(&[("saved_entry", &format!("{MID}-6.9.12-200.fc40.x86_64"))]),
    );
    let ev = evaluate(
        &data("fedora40.grub.cfg"),
        &ctx(dev, "/boot/grub2/grub.cfg"),
        &h,
    )
    .unwrap();
    assert_eq!(ev.menu.items.len(), 3);
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 1);
    assert_eq!(b.kernel, fp(dev, "/boot/vmlinuz-6.9.12-200.fc40.x86_64"));
}

/// The UEFI stub Fedora puts on the ESP, chaining to the real config on /boot.
#[test]
fn esp_stub_chains_to_the_boot_config() {
    let stub = format!(
        "search --no-floppy --root-dev-only --fs-uuid --set=dev {BOOT_UUID}\n\
         set prefix=($dev)/grub2\n\
         \n\
         export $prefix\n\
         configfile $prefix/grub.cfg\n"
    );
    let mut host = FakeHost::new().listable().device("hd0", None, None).device(
        "hd0,gpt1",
        Some("4A1B-2C3D"),
        None,
    );
    // The same guest with /boot on gpt2.
    let base = fedora_guest();
    host = host.device("hd0,gpt2", Some(BOOT_UUID), None);
    for ((d, p), v) in base.files {
        if d == "hd0,msdos1" {
            host = host.file("hd0,gpt2", &p, &v);
        }
    }
    host = host.file(
        "hd0,gpt2",
        "/grub2/grubenv",
        &grubenv(&[("saved_entry", &format!("{MID}-6.8.5-301.fc40.x86_64"))]),
    );
    let ev = evaluate(
        stub.as_bytes(),
        &ctx("hd0,gpt1", "/EFI/fedora/grub.cfg"),
        &host,
    )
    .unwrap();
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 2);
    assert_eq!(b.kernel, fp("hd0,gpt2", &kernel("6.8.5-301.fc40.x86_64")));
    assert_eq!(b.args, ROOT_OPTS);
}

#[test]
fn blscfg_default_then_non_default() {
    let cfg = format!(
        "set default={MID}-6.8.5-301.fc40.x86_64\n\
         menuentry first {{ linux /vmlinuz-6.8.5-301.fc40.x86_64 }}\n\
         blscfg default\n\
         menuentry middle {{ linux /vmlinuz-6.8.5-301.fc40.x86_64 }}\n\
         blscfg non-default\n\
         blscfg\n"
    );
    let ev = evaluate(
        cfg.as_bytes(),
        &ctx("hd0,msdos1", "/grub2/grub.cfg"),
        &fedora_guest(),
    )
    .unwrap();
    let t = titles(&ev.menu);
    assert_eq!(t.len(), 6);
    assert_eq!(t[0], "first");
    assert_eq!(
        t[1],
        "Fedora Linux (6.8.5-301.fc40.x86_64) 40 (Server Edition)"
    );
    assert_eq!(t[2], "middle");
    assert_eq!(
        t[3],
        "Fedora Linux (6.10.3-200.fc40.x86_64) 40 (Server Edition)"
    );
    assert_eq!(default_boot(&ev.menu).0, 1);
}

#[test]
fn blscfg_one_id_and_explicit_directory() {
    let cfg = format!(
        "set default=1\nblscfg {MID}-6.9.12-200.fc40.x86_64\nblscfg (hd0,msdos1)/loader/entries\n"
    );
    let ev = evaluate(
        cfg.as_bytes(),
        &ctx("hd0,msdos1", "/grub2/grub.cfg"),
        &fedora_guest(),
    )
    .unwrap();
    let t = titles(&ev.menu);
    assert_eq!(t.len(), 4);
    assert!(t[0].contains("6.9.12"));
    assert!(t[1].contains("6.10.3"));
    assert!(t[2].contains("6.8.5"));
    assert_eq!(default_boot(&ev.menu).0, 1);
}

#[test]
fn blsdir_variable_and_odd_files() {
    let dev = "hd0,msdos1";
    let host = FakeHost::new()
        .listable()
        .device(dev, None, None)
        .file(dev, "/vmlinuz-2", b"k")
        .file(dev, "/vmlinuz-1", b"k")
        .file(dev, "/b/e/a-2.conf", b"linux /vmlinuz-2\noptions x=2\n")
        .file(dev, "/b/e/a-1.conf", b"title one\nlinux /vmlinuz-1\n")
        // Equal to a-1 in vercmp (a trailing separator), listed after it: dropped.
        .file(dev, "/b/e/a-1_.conf", b"title dup\nlinux /vmlinuz-1\n")
        .file(dev, "/b/e/.hidden.conf", b"linux /vmlinuz-1\n")
        .file(dev, "/b/e/a-3.conf.bak", b"linux /vmlinuz-1\n")
        .file(dev, "/b/e/a-4.conf", b"title no kernel\n")
        .file(dev, "/b/e/a-5.conf", b"\nlinux /vmlinuz-1\n");
    let ev = evaluate(
        b"set blsdir=/b/e\nset default=one\nblscfg\n",
        &ctx(dev, "/grub.cfg"),
        &host,
    )
    .unwrap();
    // a-5 (empty first line: nothing read, no linux), a-4 (no linux) skipped.
    assert_eq!(titles(&ev.menu), ["/vmlinuz-2", "one"]);
    let (i, b) = default_boot(&ev.menu);
    assert_eq!(i, 1);
    assert_eq!(b.args, "");
    let b0 = ev.menu.items[0].clone();
    match b0 {
        MenuItem::Entry(e) => assert_eq!(e.boot.unwrap().args, "x=2"),
        MenuItem::Submenu { .. } => panic!(),
    }
}

#[test]
fn no_entries_directory_gives_an_empty_menu() {
    let host = FakeHost::new().listable().device("hd0,msdos1", None, None);
    let ev = eval(b"blscfg\n", "hd0,msdos1", &host).unwrap();
    assert!(ev.menu.items.is_empty());
    assert!(ev.menu.default.is_none());
}

#[test]
fn hosts_that_cannot_list_refuse_blscfg() {
    let host = FakeHost::new().device("hd0,msdos1", None, None);
    let e = eval(b"blscfg\n", "hd0,msdos1", &host).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
}

#[test]
fn options_that_do_not_parse_fail_only_their_entry() {
    let dev = "hd0,msdos1";
    let host = FakeHost::new()
        .listable()
        .device(dev, None, None)
        .file(dev, "/vmlinuz", b"k")
        .file(
            dev,
            "/loader/entries/a-2.conf",
            b"linux /vmlinuz\noptions 'unclosed\n",
        )
        .file(
            dev,
            "/loader/entries/a-1.conf",
            b"linux /vmlinuz\noptions ok\n",
        );
    let ev = eval(b"set default=1\nblscfg\n", dev, &host).unwrap();
    assert_eq!(ev.menu.items.len(), 2);
    match &ev.menu.items[0] {
        MenuItem::Entry(e) => assert!(e.boot.is_err()),
        MenuItem::Submenu { .. } => panic!(),
    }
    assert_eq!(default_boot(&ev.menu).1.args, "ok");
}

#[test]
fn grub_users_restricts_only_with_superusers() {
    let dev = "hd0,msdos1";
    let host = FakeHost::new()
        .listable()
        .device(dev, None, None)
        .file(dev, "/vmlinuz", b"k")
        .file(
            dev,
            "/loader/entries/a-1.conf",
            b"linux /vmlinuz\ngrub_users $grub_users\n",
        );
    let ev = eval(b"set superusers=root\nblscfg\n", dev, &host).unwrap();
    assert!(!ev.notes.iter().any(|n| n.contains("password")));
    let ev = eval(
        b"set superusers=root\nset grub_users=root\nblscfg\n",
        dev,
        &host,
    )
    .unwrap();
    assert!(ev.notes.iter().any(|n| n.contains("password")));
}

#[test]
fn hostile_entry_directories_are_bounded() {
    let dev = "hd0,msdos1";
    let mut host = FakeHost::new().listable().device(dev, None, None);
    for i in 0..1100 {
        host = host.file(dev, &format!("/loader/entries/e-{i}.conf"), b"linux /k\n");
    }
    let e = eval(b"blscfg\n", dev, &host).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit, "{e}");
    // blscfg in a loop: the reads are charged to the work budget.
    let mut host = FakeHost::new().listable().device(dev, None, None);
    for i in 0..200 {
        host = host.file(
            dev,
            &format!("/loader/entries/e-{i}.conf"),
            &vec![b'#'; 60_000],
        );
    }
    let e = eval(b"while true; do blscfg; done\n", dev, &host).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit, "{e}");
    // Options that expand to more than a value may hold.
    let host = FakeHost::new()
        .listable()
        .device(dev, None, None)
        .file(dev, "/vmlinuz", b"k")
        .file(
            dev,
            "/loader/entries/a-1.conf",
            "linux /vmlinuz\noptions $v $v $v $v $v $v $v $v $v $v\n".as_bytes(),
        );
    let cfg = format!("set v={}\nblscfg\n", "x".repeat(10_000));
    let e = eval(cfg.as_bytes(), dev, &host).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit, "{e}");
}

/// `08_fallback_counting` and `10_reset_boot_success` as Fedora's GRUB runs them: the
/// boot counter counted down with `decrement` and saved, the rollback entry (1) booted
/// when it reaches 0, and `boot_success` reset; the block GRUB would write.
#[test]
fn boot_counting_decrements_saves_and_rolls_back() {
    let env_after = |env: &[(&str, &str)]| {
        let h = fedora_guest().file("hd0,msdos1", "/grub2/grubenv", &grubenv(env));
        let ev = run(&h);
        let mut block = grubenv(env);
        for s in ev.env_saves.for_boot(ev.menu.default.as_ref().unwrap()) {
            assert_eq!(s.file.to_string(), "(hd0,msdos1)/grub2/grubenv");
            block = xlboot_config::grubenv::save(&block, &s.vars).unwrap();
        }
        let vars = xlboot_config::grubenv::parse(&block).unwrap().vars;
        let vars: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        (default_boot(&ev.menu).0, vars)
    };
    let (entry, vars) = env_after(&[("boot_counter", "3"), ("boot_success", "0")]);
    assert_eq!(entry, 0);
    // boot_indeterminate is unset, so save_env deletes it (it was not there).
    assert_eq!(vars, ["boot_counter=2", "boot_success=0"]);
    let (entry, vars) = env_after(&[("boot_counter", "0"), ("boot_success", "0")]);
    assert_eq!(entry, 1);
    assert_eq!(vars, ["boot_counter=-1", "boot_success=0"]);
    // A successful last boot: the counter is left alone, the flags reset.
    let (entry, vars) = env_after(&[("boot_counter", "2"), ("boot_success", "1")]);
    assert_eq!(entry, 0);
    assert_eq!(
        vars,
        ["boot_counter=2", "boot_success=0", "boot_indeterminate=0"]
    );
}

#[test]
fn increment_and_decrement_as_fedora_grub() {
    let h = FakeHost::new().device("hd0,msdos1", None, None);
    let e = eval(
        b"set a=0x10\nincrement a\necho \"$a $?\"\nset b=' -5x'\ndecrement b\necho \"$b $?\"\n\
          set c=junk\nincrement c\necho \"$c $?\"\nincrement nosuch\necho $?\n\
          set d=99999999999999999999\ndecrement d\necho \"$d $?\"\nincrement a b\necho $?\n",
        "hd0,msdos1",
        &h,
    )
    .unwrap();
    assert_eq!(
        e.echoes,
        [
            "17 0",
            "-6 0",
            "junk 10",
            "5",
            "99999999999999999999 11",
            "18"
        ]
    );
}

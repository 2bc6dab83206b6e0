//! Real Debian 12 `grub-mkconfig` output (tests/data, see README there), evaluated
//! against a fake guest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{data, eval, fp, FakeHost};
use xlboot_config::select::find_entry;
use xlboot_config::{BootSpec, Menu, MenuItem};

const SAVED_UUID: &str = "a4262ae0-1471-4bc1-ac9a-f6b2e79884e5";

fn msdos_guest(uuid: &str) -> FakeHost {
    FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,msdos1", Some(uuid), None)
        .debian_kernels("hd0,msdos1", "/boot")
}

fn boot_of(menu: &Menu) -> BootSpec {
    let path = menu.default.clone().expect("a default");
    menu.entry(&path)
        .expect("an entry")
        .boot
        .clone()
        .expect("bootable")
}

fn title_of(menu: &Menu) -> String {
    let path = menu.default.clone().expect("a default");
    menu.entry(&path).expect("an entry").title.clone()
}

#[test]
fn saved_entry_from_grubenv_is_an_id_path() {
    let host =
        msdos_guest(SAVED_UUID).file("hd0,msdos1", "/boot/grub/grubenv", &data("saved.grubenv"));
    let ev = eval(&data("saved.grub.cfg"), "hd0,msdos1", &host).unwrap();
    let m = &ev.menu;
    assert_eq!(m.items.len(), 2);
    assert_eq!(m.default, Some(vec![1, 2]));
    assert_eq!(title_of(m), "Debian GNU/Linux, with Linux 6.1.0-50-amd64");
    let b = boot_of(m);
    assert_eq!(b.kernel, fp("hd0,msdos1", "/boot/vmlinuz-6.1.0-50-amd64"));
    assert_eq!(
        b.initrds,
        vec![fp("hd0,msdos1", "/boot/initrd.img-6.1.0-50-amd64")]
    );
    // `ro  quiet` in the config: GRUB joins arguments with single spaces.
    assert_eq!(b.args, format!("root=UUID={SAVED_UUID} ro quiet"));
    assert_eq!(m.timeout, Some(5));
    // Ids: Debian exports menuentry_id_option, so entries inside the submenu have ids.
    match &m.items[1] {
        MenuItem::Submenu { id, items, .. } => {
            assert_eq!(
                id.as_deref(),
                Some(format!("gnulinux-advanced-{SAVED_UUID}").as_str())
            );
            assert_eq!(items.len(), 4);
            assert_eq!(
                items[3].id(),
                Some(format!("gnulinux-6.1.0-50-amd64-recovery-{SAVED_UUID}").as_str())
            );
        }
        MenuItem::Entry(_) => panic!("item 1 should be the submenu"),
    }
    assert!(
        ev.notes.iter().any(|n| n.contains("save_env"))
            || ev.notes.iter().any(|n| n.contains("load_env"))
    );
}

#[test]
fn without_grubenv_saved_default_is_empty_and_boots_entry_0() {
    let host = msdos_guest(SAVED_UUID);
    let ev = eval(&data("saved.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![0]));
    assert_eq!(title_of(&ev.menu), "Debian GNU/Linux");
    assert_eq!(
        boot_of(&ev.menu).kernel,
        fp("hd0,msdos1", "/boot/vmlinuz-6.1.0-50-cloud-amd64")
    );
}

#[test]
fn next_entry_beats_saved_entry() {
    let uuid = "d8d8be3e-3cb1-4d45-8078-ff0d60083e54";
    let host = msdos_guest(uuid).file("hd0,msdos1", "/boot/grub/grubenv", &data("reboot.grubenv"));
    let ev = eval(&data("reboot.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![1, 3]));
    assert_eq!(
        title_of(&ev.menu),
        "Debian GNU/Linux, with Linux 6.1.0-50-amd64 (recovery mode)"
    );
    // Trailing space after `single` in the config makes no argument.
    assert_eq!(
        boot_of(&ev.menu).args,
        format!("root=UUID={uuid} ro single")
    );
}

#[test]
fn saved_entry_by_index_from_grub_editenv() {
    let host =
        msdos_guest(SAVED_UUID).file("hd0,msdos1", "/boot/grub/grubenv", &data("index.grubenv"));
    let ev = eval(&data("saved.grub.cfg"), "hd0,msdos1", &host).unwrap();
    // Entry 2 does not exist at the top level (2 items): GRUB boots entry 0.
    assert_eq!(ev.menu.default, Some(vec![0]));
}

#[test]
fn default_index_path() {
    let host = msdos_guest("3115eda6-219e-4cb2-bf08-0c4b76629b22");
    let ev = eval(&data("mbr-index.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![1, 2]));
    assert_eq!(
        title_of(&ev.menu),
        "Debian GNU/Linux, with Linux 6.1.0-50-amd64"
    );
    assert_eq!(
        boot_of(&ev.menu).args,
        "root=UUID=3115eda6-219e-4cb2-bf08-0c4b76629b22 ro console=hvc0 quiet"
    );
}

#[test]
fn default_title_path() {
    let host = msdos_guest("41d03f4b-50e3-4d68-9e02-cfbdaa8ca51c");
    let ev = eval(&data("mbr-title.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![1, 2]));
}

#[test]
fn default_id_path() {
    let host = msdos_guest("cea7ebd0-3596-4335-854a-f60904451d9c");
    let ev = eval(&data("mbr-id.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![1, 1]));
    assert_eq!(
        title_of(&ev.menu),
        "Debian GNU/Linux, with Linux 6.1.0-50-cloud-amd64 (recovery mode)"
    );
}

#[test]
fn default_index_into_custom_entry() {
    let uuid = "c49fb02d-1169-457c-a71f-794b00712e8c";
    let host = msdos_guest(uuid);
    let ev = eval(&data("mbr-custom.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![2]));
    let b = boot_of(&ev.menu);
    assert_eq!(b.kernel, fp("hd0,msdos1", "/boot/vmlinuz-6.1.0-50-amd64"));
    assert_eq!(
        b.args,
        format!("root=UUID={uuid} ro console=hvc0 console=tty0 xlboot.custom=1")
    );
    // The custom entry has no --id: GRUB's id is its title.
    let e = ev.menu.entry(&[2]).unwrap();
    assert_eq!(e.id, None);
}

#[test]
fn gpt_flat_menu_default_2() {
    let uuid = "b7253de8-01f2-4db7-bd40-a4516104f871";
    let host = FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,gpt1", None, None)
        .device("hd0,gpt2", Some(uuid), None)
        .debian_kernels("hd0,gpt2", "/boot");
    let ev = eval(&data("gpt.grub.cfg"), "hd0,gpt2", &host).unwrap();
    assert!(ev
        .menu
        .items
        .iter()
        .all(|i| matches!(i, MenuItem::Entry(_))));
    assert_eq!(ev.menu.default, Some(vec![2]));
    let b = boot_of(&ev.menu);
    assert_eq!(b.kernel.device, "hd0,gpt2");
}

#[test]
fn separate_boot_partition_found_by_search() {
    let boot_uuid = "94c6302f-184a-4536-ab91-08bc7b10bfe5";
    let root_uuid = "897e0cee-5cd0-4f02-aa29-b7ee26eb70e9";
    // Put the partitions in an order where the hint does not help: search must find
    // the boot partition by UUID.
    let host = FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,msdos1", Some(boot_uuid), None)
        .device("hd0,msdos2", Some(root_uuid), None)
        .debian_kernels("hd0,msdos1", "");
    let ev = eval(&data("sepboot.grub.cfg"), "hd0,msdos1", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![0]));
    let b = boot_of(&ev.menu);
    assert_eq!(b.kernel, fp("hd0,msdos1", "/vmlinuz-6.1.0-50-cloud-amd64"));
    assert_eq!(
        b.initrds,
        vec![fp("hd0,msdos1", "/initrd.img-6.1.0-50-cloud-amd64")]
    );
}

#[test]
fn search_overrides_a_wrong_set_root() {
    // The entry says `set root='hd0,msdos1'` but the UUID lives on msdos3 here.
    let boot_uuid = "94c6302f-184a-4536-ab91-08bc7b10bfe5";
    let host = FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,msdos1", Some("0000"), None)
        .device("hd0,msdos3", Some(boot_uuid), None)
        .debian_kernels("hd0,msdos3", "");
    let ev = eval(&data("sepboot.grub.cfg"), "hd0,msdos3", &host).unwrap();
    assert_eq!(boot_of(&ev.menu).kernel.device, "hd0,msdos3");
}

#[test]
fn whole_disk_filesystem() {
    let uuid = "d8d8001b-b815-4753-9314-3e68c9291b7e";
    let host = FakeHost::new()
        .device("hd0", Some(uuid), None)
        .debian_kernels("hd0", "/boot");
    let ev = eval(&data("whole.grub.cfg"), "hd0", &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![0]));
    assert_eq!(
        boot_of(&ev.menu).kernel,
        fp("hd0", "/boot/vmlinuz-6.1.0-50-cloud-amd64")
    );
}

#[test]
fn demo_config_and_listing() {
    let host = msdos_guest("d831fb7b-e30b-4bc4-a4cb-c8009e8ca6b0");
    let ev = eval(&data("demo.grub.cfg"), "hd0,msdos1", &host).unwrap();
    let flat = ev.menu.flatten();
    assert_eq!(flat.len(), 3);
    assert_eq!(flat[0].title_path, "Debian GNU/Linux");
    assert_eq!(
        flat[1].title_path,
        "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-amd64"
    );
    assert_eq!(flat[1].path, vec![1, 0]);
    assert!(flat.iter().all(|f| f.entry.boot.is_ok()));
}

#[test]
fn every_sample_evaluates() {
    for name in [
        "demo",
        "gpt",
        "mbr-custom",
        "mbr-id",
        "mbr-index",
        "mbr-title",
        "reboot",
        "saved",
        "sepboot",
        "whole",
    ] {
        let host = FakeHost::new()
            .device("hd0", None, None)
            .device("hd0,msdos1", None, None);
        let ev = eval(&data(&format!("{name}.grub.cfg")), "hd0,msdos1", &host)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(ev.menu.default.is_some(), "{name}");
        // Kernels are missing on this host: entries are listed, not bootable.
        assert!(
            ev.menu.flatten().iter().all(|f| f.entry.boot.is_err()),
            "{name}"
        );
    }
}

#[test]
fn find_entry_forms() {
    let host = msdos_guest(SAVED_UUID);
    let ev = eval(&data("saved.grub.cfg"), "hd0,msdos1", &host).unwrap();
    let m = &ev.menu;
    // pygrub numbering: flattened bootable entries.
    assert_eq!(find_entry(m, "0"), Some(vec![0]));
    assert_eq!(find_entry(m, "3"), Some(vec![1, 2]));
    assert_eq!(find_entry(m, "9"), None);
    // Exact title, title path, id, id path, index path, mixed path.
    assert_eq!(find_entry(m, "Debian GNU/Linux"), Some(vec![0]));
    assert_eq!(
        find_entry(
            m,
            "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-amd64"
        ),
        Some(vec![1, 2])
    );
    assert_eq!(
        find_entry(m, &format!("gnulinux-6.1.0-50-amd64-recovery-{SAVED_UUID}")),
        Some(vec![1, 3])
    );
    assert_eq!(find_entry(m, "1>1"), Some(vec![1, 1]));
    assert_eq!(
        find_entry(m, &format!("gnulinux-advanced-{SAVED_UUID}>0")),
        Some(vec![1, 0])
    );
    assert_eq!(find_entry(m, "nothing"), None);
    assert_eq!(find_entry(m, "1"), Some(vec![1, 0]));
}

#[test]
fn grubenv_next_to_a_config_in_a_separate_boot_partition() {
    // /boot is its own file system: GRUB's prefix is (hd0,msdos1)/grub there.
    let boot_uuid = "94c6302f-184a-4536-ab91-08bc7b10bfe5";
    let host = FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,msdos1", Some(boot_uuid), None)
        .device(
            "hd0,msdos2",
            Some("897e0cee-5cd0-4f02-aa29-b7ee26eb70e9"),
            None,
        )
        .debian_kernels("hd0,msdos1", "")
        .file("hd0,msdos1", "/grub/grubenv", &data("reboot.grubenv"));
    let ctx = common::ctx("hd0,msdos1", "/grub/grub.cfg");
    let ev = xlboot_config::grub2::evaluate(&data("sepboot.grub.cfg"), &ctx, &host).unwrap();
    assert_eq!(ev.menu.default, Some(vec![1, 3]));
    assert_eq!(
        boot_of(&ev.menu).kernel,
        fp("hd0,msdos1", "/vmlinuz-6.1.0-50-amd64")
    );
}

//! Configs in the styles other distributions' generators write (each written here
//! after the generator's templates: Ubuntu's 00_header/10_linux with `recordfail`,
//! `initrdfail`, `gfxmode $linux_gfx_mode` and `vt.handoff`; openSUSE's 00_header
//! with `btrfs_relative_path` and its snapper snapshot submenu; Arch's plain
//! grub-mkconfig with a microcode initrd). Every test has a default that is not
//! entry 0, and checks [`Menu::default_rule`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{ctx, fp, FakeHost};
use xlboot_config::grub2::evaluate;
use xlboot_config::{BootSpec, Evaluated, Menu};

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

fn default_boot(m: &Menu) -> (Vec<usize>, String, BootSpec) {
    let p = m.default.clone().expect("a default");
    let e = m.entry(&p).unwrap();
    (p, e.title.clone(), e.boot.clone().expect("bootable"))
}

// ---------------------------------------------------------------------------
// Ubuntu 24.04
// ---------------------------------------------------------------------------

const U_UUID: &str = "3f0c5e2a-9b1d-4c7e-8a6f-1d2e3f4a5b6c";

fn ubuntu_entry(indent: &str, title: &str, id: &str, kver: &str, args: &str, gfx: bool) -> String {
    let gfx = if gfx {
        format!("{indent}\tgfxmode $linux_gfx_mode\n")
    } else {
        String::new()
    };
    format!(
        "{indent}menuentry '{title}' --class ubuntu --class gnu-linux --class gnu --class os $menuentry_id_option '{id}' {{\n\
         {indent}\trecordfail\n\
         {indent}\tload_video\n\
         {gfx}\
         {indent}\tinsmod gzio\n\
         {indent}\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n\
         {indent}\tinsmod part_gpt\n\
         {indent}\tinsmod ext2\n\
         {indent}\tsearch --no-floppy --fs-uuid --set=root {U_UUID}\n\
         {indent}\techo\t'Loading Linux {kver} ...'\n\
         {indent}\tlinux\t/boot/vmlinuz-{kver} root=UUID={U_UUID} ro {args}\n\
         {indent}\techo\t'Loading initial ramdisk ...'\n\
         {indent}\tinitrd\t/boot/initrd.img-{kver}\n\
         {indent}}}\n"
    )
}

fn ubuntu_cfg(default: &str) -> String {
    let next_entry = common::grub_header::next_entry_and_savedefault(default);
    let load_video = common::grub_header::LOAD_VIDEO;
    let font = common::grub_header::font(
        &format!("insmod part_gpt\ninsmod ext2\nsearch --no-floppy --fs-uuid --set=root {U_UUID}"),
        "/usr/share/grub/unicode.pf2",
    );
    let mut s = format!(
        r#"### BEGIN /etc/grub.d/00_header ###
if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "${{initrdfail}}" = 2 ]; then
   set initrdfail=
elif [ "${{initrdfail}}" = 1 ]; then
   set next_entry="${{prev_entry}}"
   set prev_entry=
   save_env prev_entry
   if [ "${{next_entry}}" ]; then
      set initrdfail=2
   fi
fi
{next_entry}
function initrdfail {{
    if [ -n "${{have_grubenv}}" ]; then if [ -n "${{partuuid}}" ]; then
      if [ -z "${{initrdfail}}" ]; then
        set initrdfail=1
        if [ -n "${{boot_once}}" ]; then
          set prev_entry="${{default}}"
          save_env prev_entry
        fi
      fi
      save_env initrdfail
    fi; fi
}}
function recordfail {{
  set recordfail=1
  if [ -n "${{have_grubenv}}" ]; then if [ -z "${{boot_once}}" ]; then save_env recordfail; fi; fi
}}
{load_video}

{font}
terminal_output gfxterm
if [ "${{recordfail}}" = 1 ] ; then
  set timeout=30
else
  if [ x$feature_timeout_style = xy ] ; then
    set timeout_style=hidden
    set timeout=0
  # Fallback hidden-timeout code in case the timeout_style feature is
  # unavailable.
  elif sleep --interruptible 0 ; then
    set timeout=0
  fi
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/05_debian_theme ###
set menu_color_normal=white/black
set menu_color_highlight=black/light-gray
### END /etc/grub.d/05_debian_theme ###

### BEGIN /etc/grub.d/10_linux ###
function gfxmode {{
	set gfxpayload="${{1}}"
	if [ "${{1}}" = "keep" ]; then
		set vt_handoff=vt.handoff=7
	else
		set vt_handoff=
	fi
}}
if [ "${{recordfail}}" != 1 ]; then
  if [ -e ${{prefix}}/gfxblacklist.txt ]; then
    if [ ${{grub_platform}} != pc ]; then
      set linux_gfx_mode=keep
    elif hwmatch ${{prefix}}/gfxblacklist.txt 3; then
      if [ ${{match}} = 0 ]; then
        set linux_gfx_mode=keep
      else
        set linux_gfx_mode=text
      fi
    else
      set linux_gfx_mode=text
    fi
  else
    set linux_gfx_mode=keep
  fi
else
  set linux_gfx_mode=text
fi
export linux_gfx_mode
"#
    );
    let adv = format!("gnulinux-advanced-{U_UUID}");
    s.push_str(&ubuntu_entry(
        "",
        "Ubuntu",
        &format!("gnulinux-simple-{U_UUID}"),
        "6.8.0-45-generic",
        " console=hvc0 $vt_handoff",
        true,
    ));
    s.push_str(&format!(
        "submenu 'Advanced options for Ubuntu' $menuentry_id_option '{adv}' {{\n"
    ));
    for k in ["6.8.0-45-generic", "6.8.0-40-generic"] {
        s.push_str(&ubuntu_entry(
            "\t",
            &format!("Ubuntu, with Linux {k}"),
            &format!("gnulinux-{k}-advanced-{U_UUID}"),
            k,
            " console=hvc0 $vt_handoff",
            true,
        ));
        s.push_str(&ubuntu_entry(
            "\t",
            &format!("Ubuntu, with Linux {k} (recovery mode)"),
            &format!("gnulinux-{k}-recovery-{U_UUID}"),
            k,
            "recovery nomodeset dis_ucode_ldr console=hvc0",
            false,
        ));
    }
    s.push_str("}\n### END /etc/grub.d/10_linux ###\n");
    s
}

fn ubuntu_guest(env: Option<&[(&str, &str)]>) -> FakeHost {
    let dev = "hd0,gpt1";
    let mut h = FakeHost::new()
        .device("hd0", None, None)
        .device(dev, Some(U_UUID), None);
    for k in ["6.8.0-45-generic", "6.8.0-40-generic"] {
        h = h.file(dev, &format!("/boot/vmlinuz-{k}"), b"k").file(
            dev,
            &format!("/boot/initrd.img-{k}"),
            b"i",
        );
    }
    if let Some(env) = env {
        h = h.file(dev, "/boot/grub/grubenv", &grubenv(env));
    }
    h
}

fn ubuntu_run(default: &str, env: Option<&[(&str, &str)]>) -> Evaluated {
    evaluate(
        ubuntu_cfg(default).as_bytes(),
        &ctx("hd0,gpt1", "/boot/grub/grub.cfg"),
        &ubuntu_guest(env),
    )
    .unwrap()
}

#[test]
fn ubuntu_saved_submenu_path_with_vt_handoff() {
    let saved = format!("gnulinux-advanced-{U_UUID}>gnulinux-6.8.0-40-generic-advanced-{U_UUID}");
    let ev = ubuntu_run("${saved_entry}", Some(&[("saved_entry", &saved)]));
    let (p, title, b) = default_boot(&ev.menu);
    assert_eq!(p, [1, 2]);
    assert_eq!(title, "Ubuntu, with Linux 6.8.0-40-generic");
    assert_eq!(b.kernel, fp("hd0,gpt1", "/boot/vmlinuz-6.8.0-40-generic"));
    // Xen is not `pc`: linux_gfx_mode=keep, so gfxmode sets vt.handoff=7.
    assert_eq!(
        b.args,
        format!("root=UUID={U_UUID} ro console=hvc0 vt.handoff=7")
    );
    // recordfail unset: timeout_style=hidden, timeout=0.
    assert_eq!(ev.menu.timeout, Some(0));
    assert!(
        ev.menu.default_rule.contains("saved_entry via grubenv")
            && ev.menu.default_rule.contains("path"),
        "{}",
        ev.menu.default_rule
    );
}

#[test]
fn ubuntu_recordfail_drops_vt_handoff_and_waits() {
    let ev = ubuntu_run("1>1", Some(&[("recordfail", "1")]));
    let (p, title, b) = default_boot(&ev.menu);
    assert_eq!(p, [1, 1]);
    assert_eq!(title, "Ubuntu, with Linux 6.8.0-45-generic (recovery mode)");
    assert_eq!(
        b.args,
        format!("root=UUID={U_UUID} ro recovery nomodeset dis_ucode_ldr console=hvc0")
    );
    assert_eq!(ev.menu.timeout, Some(30));
    let ev = ubuntu_run("1>0", Some(&[("recordfail", "1")]));
    let (_, _, b) = default_boot(&ev.menu);
    assert_eq!(b.args, format!("root=UUID={U_UUID} ro console=hvc0"));
}

#[test]
fn ubuntu_initrdfail_boots_the_previous_entry_once() {
    let prev = format!("gnulinux-advanced-{U_UUID}>gnulinux-6.8.0-40-generic-advanced-{U_UUID}");
    let ev = ubuntu_run("0", Some(&[("initrdfail", "1"), ("prev_entry", &prev)]));
    let (p, _, _) = default_boot(&ev.menu);
    assert_eq!(p, [1, 2]);
    // initrdfail=2 then: back to the plain default.
    let ev = ubuntu_run("0", Some(&[("initrdfail", "2"), ("prev_entry", &prev)]));
    assert_eq!(default_boot(&ev.menu).0, [0]);
}

#[test]
fn ubuntu_grub_reboot_next_entry() {
    let ev = ubuntu_run(
        "0",
        Some(&[(
            "next_entry",
            "Advanced options for Ubuntu>Ubuntu, with Linux 6.8.0-40-generic (recovery mode)",
        )]),
    );
    assert_eq!(default_boot(&ev.menu).0, [1, 3]);
    assert!(
        ev.menu.default_rule.contains("next_entry via grubenv"),
        "{}",
        ev.menu.default_rule
    );
}

// ---------------------------------------------------------------------------
// openSUSE Tumbleweed (Btrfs root, snapper)
// ---------------------------------------------------------------------------

const S_UUID: &str = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";

fn suse_entry(
    indent: &str,
    title: &str,
    hotkey: &str,
    id: &str,
    kver: &str,
    extra: &str,
) -> String {
    format!(
        "{indent}menuentry '{title}' {hotkey}--class opensuse --class gnu-linux --class gnu --class os $menuentry_id_option '{id}' {{\n\
         {indent}\tload_video\n\
         {indent}\tset gfxpayload=keep\n\
         {indent}\tinsmod gzio\n\
         {indent}\tinsmod part_gpt\n\
         {indent}\tinsmod btrfs\n\
         {indent}\tsearch --no-floppy --fs-uuid --set=root {S_UUID}\n\
         {indent}\techo\t'Loading Linux {kver} ...'\n\
         {indent}\tlinux\t/boot/vmlinuz-{kver} root=UUID={S_UUID} ${{extra_cmdline}} {extra}\n\
         {indent}\techo\t'Loading initial ramdisk ...'\n\
         {indent}\tinitrd\t/boot/initrd-{kver}\n\
         {indent}}}\n"
    )
}

fn suse_cfg() -> String {
    let mut s = String::from(
        r#"### BEGIN /etc/grub.d/00_header ###
set btrfs_relative_path="y"
export btrfs_relative_path
if [ -f ${config_directory}/grubenv ]; then
  load_env -f ${config_directory}/grubenv
elif [ -s $prefix/grubenv ]; then
  load_env
fi

if [ "${env_block}" ] ; then
  set env_block="($root)${env_block}"
  export env_block
  load_env -f "${env_block}"
fi

if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   if [ "${env_block}" ] ; then
     save_env -f "${env_block}" next_entry
   else
     save_env next_entry
   fi
   set boot_once=true
else
   set default="${saved_entry}"
fi

if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

function savedefault {
  if [ -z "${boot_once}" ]; then
    saved_entry="${chosen}"
    save_env saved_entry
  fi
}

"#,
    );
    s.push_str(common::grub_header::LOAD_VIDEO);
    s.push_str(
        r#"

terminal_output console
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=8
else
  set timeout=8
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
"#,
    );
    let opts = "splash=silent mitigations=auto quiet security=apparmor console=hvc0";
    s.push_str(&suse_entry(
        "",
        "openSUSE Tumbleweed",
        "",
        &format!("gnulinux-simple-{S_UUID}"),
        "6.10.5-1-default",
        opts,
    ));
    s.push_str(&format!(
        "submenu 'Advanced options for openSUSE Tumbleweed' --hotkey=1 $menuentry_id_option 'gnulinux-advanced-{S_UUID}' {{\n"
    ));
    for (i, k) in ["6.10.5-1-default", "6.9.9-1-default"].iter().enumerate() {
        s.push_str(&suse_entry(
            "\t",
            &format!("openSUSE Tumbleweed, with Linux {k}"),
            &format!("--hotkey={} ", 2 + 2 * i),
            &format!("gnulinux-{k}-advanced-{S_UUID}"),
            k,
            opts,
        ));
        s.push_str(&suse_entry(
            "\t",
            &format!("openSUSE Tumbleweed, with Linux {k} (recovery mode)"),
            &format!("--hotkey={} ", 3 + 2 * i),
            &format!("gnulinux-{k}-recovery-{S_UUID}"),
            k,
            "splash=silent mitigations=auto security=apparmor console=hvc0 nomodeset 3",
        ));
    }
    s.push_str(
        r#"}
### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/80_suse_btrfs_snapshot ###
if [ -n "$extra_cmdline" ]; then
  submenu "Bootable snapshot #$snapshot_num" {
    menuentry "If OK, run 'snapper rollback' and reboot." { true; }
  }
fi
if [ -z "$extra_cmdline" -a -f "/.snapshots/grub-snapshot.cfg" ]; then
  source "/.snapshots/grub-snapshot.cfg"
fi
### END /etc/grub.d/80_suse_btrfs_snapshot ###
"#,
    );
    s
}

/// What snapper's grub plugin keeps in `/.snapshots/grub-snapshot.cfg`: one entry per
/// snapshot, each re-reading the snapshot's own grub.cfg with `extra_cmdline` set.
const SNAPSHOT_CFG: &str = r#"submenu "Start bootloader from a read-only snapshot" {
  if [ -z "$snapshot_found" ]; then
    snapshot_found=true
  fi
  saved_subvol=$btrfs_subvol
  menuentry "openSUSE Tumbleweed (6.9.9-1-default,2024-08-20T09:12,pre,zypp(zypper))" {
    btrfs_subvol="@/.snapshots/57/snapshot"
    extra_cmdline="rootflags=subvol=@/.snapshots/57/snapshot"
    export extra_cmdline
    snapshot_num=57
    export snapshot_num
    configfile "/boot/grub2/grub.cfg"
  }
  btrfs_subvol=$saved_subvol
}
"#;

fn suse_guest(env: &[(&str, &str)]) -> FakeHost {
    let dev = "hd0,gpt2";
    let mut h = FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,gpt1", None, None)
        .device(dev, Some(S_UUID), None)
        .file(dev, "/boot/grub2/grubenv", &grubenv(env))
        .file(dev, "/boot/grub2/grub.cfg", suse_cfg().as_bytes())
        .file(
            dev,
            "/.snapshots/grub-snapshot.cfg",
            SNAPSHOT_CFG.as_bytes(),
        );
    for k in ["6.10.5-1-default", "6.9.9-1-default"] {
        h = h.file(dev, &format!("/boot/vmlinuz-{k}"), b"k").file(
            dev,
            &format!("/boot/initrd-{k}"),
            b"i",
        );
    }
    h
}

fn suse_run(env: &[(&str, &str)]) -> Evaluated {
    evaluate(
        suse_cfg().as_bytes(),
        &ctx("hd0,gpt2", "/boot/grub2/grub.cfg"),
        &suse_guest(env),
    )
    .unwrap()
}

#[test]
fn opensuse_saved_title_path_and_snapshot_submenu() {
    let ev = suse_run(&[(
        "saved_entry",
        "Advanced options for openSUSE Tumbleweed>openSUSE Tumbleweed, with Linux 6.9.9-1-default",
    )]);
    let m = &ev.menu;
    assert_eq!(m.items.len(), 3);
    assert_eq!(
        m.items[2].title(),
        "Start bootloader from a read-only snapshot"
    );
    let (p, _, b) = default_boot(m);
    assert_eq!(p, [1, 2]);
    assert_eq!(b.kernel, fp("hd0,gpt2", "/boot/vmlinuz-6.9.9-1-default"));
    // `${extra_cmdline}` is empty outside a snapshot and expands to nothing.
    assert_eq!(
        b.args,
        format!("root=UUID={S_UUID} splash=silent mitigations=auto quiet security=apparmor console=hvc0")
    );
    assert_eq!(m.timeout, Some(8));
    assert!(
        m.default_rule.contains("title") || m.default_rule.contains("path"),
        "{}",
        m.default_rule
    );
}

#[test]
fn opensuse_snapshot_entry_opens_the_snapshot_config_as_a_submenu() {
    // Choosing the snapshot entry shows the menu of the config it `configfile's,
    // evaluated with the entry's `extra_cmdline`: the entries of that menu boot
    // with snapper's rootflags.
    let ev = suse_run(&[("saved_entry", "2>0")]);
    let snapshot = [2, 0, 0];
    let e = ev.menu.entry(&snapshot).unwrap();
    assert_eq!(e.title, "openSUSE Tumbleweed");
    assert_eq!(
        e.boot.as_ref().unwrap().args,
        format!("root=UUID={S_UUID} rootflags=subvol=@/.snapshots/57/snapshot splash=silent mitigations=auto quiet security=apparmor console=hvc0")
    );
    assert_eq!(
        ev.menu.items[2].title(),
        "Start bootloader from a read-only snapshot"
    );
}

// ---------------------------------------------------------------------------
// Arch Linux (upstream grub-mkconfig)
// ---------------------------------------------------------------------------

const A_UUID: &str = "d1c2b3a4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

fn arch_entry(indent: &str, title: &str, id: &str, initrd: &str) -> String {
    format!(
        "{indent}menuentry '{title}' --class arch --class gnu-linux --class gnu --class os $menuentry_id_option '{id}' {{\n\
         {indent}\tload_video\n\
         {indent}\tset gfxpayload=keep\n\
         {indent}\tinsmod gzio\n\
         {indent}\tinsmod part_msdos\n\
         {indent}\tinsmod ext2\n\
         {indent}\tset root='hd0,msdos1'\n\
         {indent}\tif [ x$feature_platform_search_hint = xy ]; then\n\
         {indent}\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1  {A_UUID}\n\
         {indent}\telse\n\
         {indent}\t  search --no-floppy --fs-uuid --set=root {A_UUID}\n\
         {indent}\tfi\n\
         {indent}\techo\t'Loading Linux linux ...'\n\
         {indent}\tlinux\t/boot/vmlinuz-linux root=UUID={A_UUID} rw  loglevel=3 quiet console=hvc0\n\
         {indent}\techo\t'Loading initial ramdisk ...'\n\
         {indent}\tinitrd\t/boot/intel-ucode.img {initrd}\n\
         {indent}}}\n"
    )
}

fn arch_cfg(default: &str) -> String {
    let next_entry = common::grub_header::next_entry_and_savedefault(default);
    let load_video = common::grub_header::LOAD_VIDEO;
    let font = common::grub_header::font(
        &format!("insmod part_msdos\ninsmod ext2\nset root='hd0,msdos1'\n  search --no-floppy --fs-uuid --set=root {A_UUID}"),
        "/usr/share/grub/unicode.pf2",
    );
    let mut s = format!(
        r#"### BEGIN /etc/grub.d/00_header ###
insmod part_gpt
insmod part_msdos
if [ -s $prefix/grubenv ]; then
  load_env
fi
{next_entry}

{load_video}

{font}
terminal_input console
terminal_output gfxterm
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=5
# Fallback normal timeout code in case the timeout_style feature is
# unavailable.
else
  set timeout=5
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
"#
    );
    s.push_str(&arch_entry(
        "",
        "Arch Linux",
        &format!("gnulinux-simple-{A_UUID}"),
        "/boot/initramfs-linux.img",
    ));
    s.push_str(&format!(
        "submenu 'Advanced options for Arch Linux' $menuentry_id_option 'gnulinux-advanced-{A_UUID}' {{\n"
    ));
    s.push_str(&arch_entry(
        "\t",
        "Arch Linux, with Linux linux",
        &format!("gnulinux-linux-advanced-{A_UUID}"),
        "/boot/initramfs-linux.img",
    ));
    s.push_str(&arch_entry(
        "\t",
        "Arch Linux, with Linux linux (fallback initramfs)",
        &format!("gnulinux-linux-fallback-{A_UUID}"),
        "/boot/initramfs-linux-fallback.img",
    ));
    s.push_str("}\n### END /etc/grub.d/10_linux ###\n");
    s
}

fn arch_guest() -> FakeHost {
    let dev = "hd0,msdos1";
    FakeHost::new()
        .device("hd0", None, None)
        .device(dev, Some(A_UUID), None)
        .file(dev, "/boot/vmlinuz-linux", b"k")
        .file(dev, "/boot/intel-ucode.img", b"u")
        .file(dev, "/boot/initramfs-linux.img", b"i")
        .file(dev, "/boot/initramfs-linux-fallback.img", b"f")
}

#[test]
fn arch_index_path_fallback_initramfs_with_microcode() {
    let ev = evaluate(
        arch_cfg("1>1").as_bytes(),
        &ctx("hd0,msdos1", "/boot/grub/grub.cfg"),
        &arch_guest(),
    )
    .unwrap();
    let (p, title, b) = default_boot(&ev.menu);
    assert_eq!(p, [1, 1]);
    assert_eq!(title, "Arch Linux, with Linux linux (fallback initramfs)");
    assert_eq!(
        b.initrds,
        vec![
            fp("hd0,msdos1", "/boot/intel-ucode.img"),
            fp("hd0,msdos1", "/boot/initramfs-linux-fallback.img"),
        ]
    );
    assert_eq!(
        b.args,
        format!("root=UUID={A_UUID} rw loglevel=3 quiet console=hvc0")
    );
    assert_eq!(
        ev.menu.default_rule,
        "default=\"1>1\" (path): entry 1 -> 1>1"
    );
}

#[test]
fn arch_saved_default_by_id_path() {
    let host = arch_guest().file(
        "hd0,msdos1",
        "/boot/grub/grubenv",
        &grubenv(&[(
            "saved_entry",
            &format!("gnulinux-advanced-{A_UUID}>gnulinux-linux-fallback-{A_UUID}"),
        )]),
    );
    let ev = evaluate(
        arch_cfg("${saved_entry}").as_bytes(),
        &ctx("hd0,msdos1", "/boot/grub/grub.cfg"),
        &host,
    )
    .unwrap();
    assert_eq!(default_boot(&ev.menu).0, [1, 1]);
}

#[test]
fn default_rule_texts() {
    let ev = evaluate(
        arch_cfg("no such entry").as_bytes(),
        &ctx("hd0,msdos1", "/boot/grub/grub.cfg"),
        &arch_guest(),
    )
    .unwrap();
    assert_eq!(
        ev.menu.default_rule,
        "default=\"no such entry\" names no entry: entry 0"
    );
    let cfg = "set default=1\nset fallback=\"0\"\nmenuentry a { linux /boot/vmlinuz-linux }\nmenuentry b { linux /boot/missing }\n";
    let ev = evaluate(
        cfg.as_bytes(),
        &ctx("hd0,msdos1", "/boot/grub/grub.cfg"),
        &arch_guest(),
    )
    .unwrap();
    assert_eq!(ev.menu.default, Some(vec![0]));
    assert_eq!(
        ev.menu.default_rule,
        "default=\"1\" (index): entry 1; fallback after entry 1 cannot boot: 0"
    );
    let ev = evaluate(
        b"menuentry a { linux /boot/vmlinuz-linux }\n",
        &ctx("hd0,msdos1", "/boot/grub/grub.cfg"),
        &arch_guest(),
    )
    .unwrap();
    assert_eq!(ev.menu.default_rule, "default unset: entry 0");
    assert!(ev
        .notes
        .iter()
        .any(|n| n == "default entry: default unset: entry 0"));
}

/// What GRUB writes back when it boots (`--update-grubenv`): Ubuntu's `recordfail` in
/// the booted top-level entry, except on a `grub-reboot` boot, where only `next_entry`
/// is cleared.
#[test]
fn ubuntu_boot_writes_recordfail_or_clears_next_entry() {
    let saves = |ev: &Evaluated| -> Vec<Vec<(String, Option<String>)>> {
        let path = ev.menu.default.clone().unwrap();
        ev.env_saves
            .for_boot(&path)
            .into_iter()
            .map(|s| {
                assert_eq!(s.file.to_string(), "(hd0,gpt1)/boot/grub/grubenv");
                s.vars
            })
            .collect()
    };
    let some = |n: &str, v: &str| vec![(n.to_string(), Some(v.to_string()))];
    let ev = ubuntu_run("0", Some(&[("recordfail", "1")]));
    assert_eq!(saves(&ev), vec![some("recordfail", "1")]);
    // In the submenu the entries run in a new context without the unexported
    // `have_grubenv`, so GRUB's recordfail saves nothing there.
    let ev = ubuntu_run("1>1", Some(&[("recordfail", "1")]));
    assert!(saves(&ev).is_empty());
    let ev = ubuntu_run(
        "0",
        Some(&[(
            "next_entry",
            "Advanced options for Ubuntu>Ubuntu, with Linux 6.8.0-40-generic (recovery mode)",
        )]),
    );
    assert_eq!(saves(&ev), vec![some("next_entry", "")]);
    // Without a grubenv (`have_grubenv` unset) nothing is saved.
    let ev = ubuntu_run("0", None);
    assert!(saves(&ev).is_empty());
}

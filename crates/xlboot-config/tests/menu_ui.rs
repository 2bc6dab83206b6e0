//! What the evaluators tell the interactive menu beyond the entries: how each loader
//! shows its menu while it counts down, and which passwords lock what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{eval, fp, FakeHost};
use xlboot_config::grub2::Limits;
use xlboot_config::{Hotkey, MenuKey, MenuLock, MenuUi, Restriction, Secret, TimeoutStyle};

const DEV: &str = "hd0,msdos1";

fn host() -> FakeHost {
    FakeHost::new()
        .device(DEV, None, None)
        .debian_kernels(DEV, "/boot")
}

fn grub2(cfg: &str) -> MenuUi {
    eval(cfg.as_bytes(), DEV, &host()).unwrap().menu.ui
}

const ENTRIES: &str = "menuentry A --unrestricted { linux /boot/vmlinuz-6.1.0-50-amd64 }\n\
     menuentry B --users 'alice,bob' { linux /boot/vmlinuz-6.1.0-50-amd64 }\n\
     submenu S { menuentry C { linux /boot/vmlinuz-6.1.0-50-amd64 } }\n";

#[test]
fn grub2_timeout_style_needs_a_timeout() {
    assert_eq!(
        grub2("set timeout=5\nset timeout_style=countdown\n").style,
        TimeoutStyle::Countdown
    );
    assert_eq!(
        grub2("set timeout=5\nset timeout_style=hidden\n").style,
        TimeoutStyle::Hidden
    );
    assert_eq!(
        grub2("set timeout=5\nset timeout_style=menu\n").style,
        TimeoutStyle::Menu
    );
    // Waiting for ever shows the menu whatever the style.
    assert_eq!(
        grub2("set timeout=-1\nset timeout_style=hidden\n").style,
        TimeoutStyle::Menu
    );
}

#[test]
fn grub2_superusers_users_and_restricted_items() {
    let ui = grub2(&format!(
        "set superusers=\"root admin\"\npassword root rootpw\n\
         password_pbkdf2 admin grub.pbkdf2.sha512.10000.AB.CD\npassword root newpw\n{ENTRIES}"
    ));
    assert_eq!(
        ui.lock,
        MenuLock::Users {
            superusers: vec!["root".into(), "admin".into()],
            users: vec![
                (
                    "admin".into(),
                    Secret::Pbkdf2Sha512("grub.pbkdf2.sha512.10000.AB.CD".into())
                ),
                ("root".into(), Secret::Plain("newpw".into())),
            ],
        }
    );
    let r = |path: Vec<usize>, users: &[&str]| Restriction {
        path,
        users: users.iter().map(|u| u.to_string()).collect(),
        password: None,
    };
    assert_eq!(
        ui.restricted,
        [
            r(vec![1], &["alice", "bob"]),
            r(vec![2], &[]),
            r(vec![2, 0], &[])
        ]
    );
}

#[test]
fn grub2_without_superusers_locks_nothing() {
    let ui = grub2(&format!("password root rootpw\n{ENTRIES}"));
    assert_eq!(ui.lock, MenuLock::Open);
    assert!(ui.restricted.is_empty());
    // A malformed PBKDF2 hash is refused as GRUB refuses it, and registers nobody.
    let ui = grub2("set superusers=root\npassword_pbkdf2 root plain\n");
    assert_eq!(
        ui.lock,
        MenuLock::Users {
            superusers: vec!["root".into()],
            users: vec![]
        }
    );
}

#[test]
fn grub_legacy_hiddenmenu_password_and_lock() {
    let cfg = "timeout 5\nhiddenmenu\npassword --md5 $1$salt$hash\n\
               title A\nkernel /boot/vmlinuz-6.1.0-50-amd64\n\
               title B\nlock\nkernel /boot/vmlinuz-6.1.0-50-amd64\n\
               title C\npassword own\nkernel /boot/vmlinuz-6.1.0-50-amd64\n";
    let e = xlboot_config::grub_legacy::evaluate(
        cfg.as_bytes(),
        &fp(DEV, "/boot/grub/menu.lst"),
        &Limits::default(),
        &host(),
    )
    .unwrap();
    let ui = e.menu.ui;
    assert_eq!(ui.style, TimeoutStyle::Countdown);
    assert_eq!(
        ui.lock,
        MenuLock::Legacy(Secret::Md5Crypt("$1$salt$hash".into()))
    );
    assert_eq!(
        ui.restricted,
        [
            Restriction {
                path: vec![1],
                users: vec![],
                password: None
            },
            Restriction {
                path: vec![2],
                users: vec![],
                password: Some(Secret::Plain("own".into()))
            }
        ]
    );
}

#[test]
fn syslinux_timeout_keeps_its_tenths() {
    let cfg = "PROMPT 1\nTIMEOUT 15\nDEFAULT a\nLABEL a\nLINUX /boot/vmlinuz-6.1.0-50-amd64\n";
    let e = xlboot_config::syslinux::evaluate(
        cfg.as_bytes(),
        &fp(DEV, "/boot/extlinux/extlinux.conf"),
        &Limits::default(),
        &host(),
    )
    .unwrap();
    assert_eq!(e.menu.timeout, Some(2));
    assert_eq!(e.menu.ui.timeout_tenths, Some(15));
}

#[test]
fn grub2_hotkeys_with_or_without_superusers() {
    let cfg = "menuentry A --hotkey=a { linux /boot/vmlinuz-6.1.0-50-amd64 }\n\
               menuentry B --hotkey f5 { linux /boot/vmlinuz-6.1.0-50-amd64 }\n\
               menuentry N --hotkey=\u{e9} { linux /boot/vmlinuz-6.1.0-50-amd64 }\n\
               submenu S --hotkey=s { menuentry C --hotkey=tab { linux /boot/vmlinuz-6.1.0-50-amd64 } }\n";
    let want = [
        Hotkey {
            path: vec![0],
            key: MenuKey::Char('a'),
        },
        Hotkey {
            path: vec![1],
            key: MenuKey::F(5),
        },
        Hotkey {
            path: vec![3],
            key: MenuKey::Char('s'),
        },
        Hotkey {
            path: vec![3, 0],
            key: MenuKey::Tab,
        },
    ];
    assert_eq!(grub2(cfg).hotkeys, want);
    let locked = grub2(&format!("set superusers=root\npassword root pw\n{cfg}"));
    assert_eq!(locked.hotkeys, want);
    assert_eq!(locked.restricted.len(), 5);
}

fn legacy(cfg: &str, host: &FakeHost) -> xlboot_config::grub_legacy::Evaluated {
    xlboot_config::grub_legacy::evaluate(
        cfg.as_bytes(),
        &fp(DEV, "/boot/grub/menu.lst"),
        &Limits::default(),
        host,
    )
    .unwrap()
}

#[test]
fn grub_legacy_password_loads_a_config() {
    let with_file = host().file(DEV, "/boot/grub/admin.lst", b"title X\n");
    let entry = "title A\nkernel /boot/vmlinuz-6.1.0-50-amd64\n";
    for (line, want) in [
        (
            "password pw /boot/grub/admin.lst",
            Some("/boot/grub/admin.lst"),
        ),
        (
            "password --md5 $1$s$h (hd0,0)/boot/grub/admin.lst",
            Some("/boot/grub/admin.lst"),
        ),
        ("password pw", None),
        ("password pw /boot/grub/missing.lst", None),
    ] {
        let e = legacy(&format!("{line}\n{entry}"), &with_file);
        assert_eq!(e.menu.ui.unlock_config, want.map(|p| fp(DEV, p)), "{line}");
        if line.contains("missing") {
            assert!(
                e.notes
                    .iter()
                    .any(|n| n.contains("missing.lst") && n.contains("only unlocks")),
                "{:?}",
                e.notes
            );
        }
    }
}

fn syslinux(cfg: &str) -> xlboot_config::Menu {
    xlboot_config::syslinux::evaluate(
        cfg.as_bytes(),
        &fp(DEV, "/boot/extlinux/extlinux.conf"),
        &Limits::default(),
        &host(),
    )
    .unwrap()
    .menu
}

#[test]
fn syslinux_menu_passwd_master_hidden_and_hide() {
    let cfg = "UI menu.c32\nTIMEOUT 50\nMENU HIDDEN\nMENU MASTER PASSWD $6$salt$hash\n\
               LABEL open\n LINUX /boot/vmlinuz-6.1.0-50-amd64\n\
               LABEL locked\n MENU PASSWD plainpw\n LINUX /boot/vmlinuz-6.1.0-50-amd64\n\
               LABEL gone\n MENU HIDE\n LINUX /boot/vmlinuz-6.1.0-50-amd64\n\
               MENU BEGIN sub\n MENU PASSWD $1$s$h\n\
               LABEL inner\n MENU PASSWD $5$x$y\n LINUX /boot/vmlinuz-6.1.0-50-amd64\n\
               MENU END\n";
    let menu = syslinux(cfg);
    let titles: Vec<&str> = menu.items.iter().map(|i| i.title()).collect();
    // MENU HIDE: on no menu.
    assert_eq!(titles, ["open", "locked", "sub"]);
    let ui = menu.ui;
    assert_eq!(ui.style, TimeoutStyle::Hidden);
    assert_eq!(
        ui.lock,
        MenuLock::Master(Secret::Crypt("$6$salt$hash".into()))
    );
    let own = |path: Vec<usize>, s: Secret| Restriction {
        path,
        users: vec![],
        password: Some(s),
    };
    let mut restricted = ui.restricted.clone();
    restricted.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        restricted,
        [
            own(vec![1], Secret::Plain("plainpw".into())),
            own(vec![2], Secret::Crypt("$1$s$h".into())),
            own(vec![2, 0], Secret::Crypt("$5$x$y".into())),
        ]
    );
    // Without a UI menu, ldlinux's prompt asks for nothing and hides nothing.
    let plain = syslinux(&cfg.replace("UI menu.c32\n", "PROMPT 1\nDEFAULT open\n"));
    assert_eq!(plain.ui.style, TimeoutStyle::Menu);
    assert_eq!(plain.ui.lock, MenuLock::Open);
    assert!(plain.ui.restricted.is_empty());
}

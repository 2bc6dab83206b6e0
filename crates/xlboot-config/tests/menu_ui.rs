//! What the evaluators tell the interactive menu beyond the entries: how each loader
//! shows its menu while it counts down, and which passwords lock what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{eval, fp, FakeHost};
use xlboot_config::grub2::Limits;
use xlboot_config::{MenuLock, MenuUi, Restriction, Secret, TimeoutStyle};

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

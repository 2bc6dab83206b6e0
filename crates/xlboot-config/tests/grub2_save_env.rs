//! `save_env` as GRUB runs it: which commands run for which boot (top level always, a
//! submenu's body on the way into it, only the booted entry's body), the values they
//! save (unset variables deleted), `-f FILE`, a missing or too full block, and later
//! `load_env` reading what an earlier `save_env` wrote.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{data, eval, FakeHost};
use xlboot_config::grub2::EnvSave;

const DEV: &str = "hd0,msdos1";

fn host() -> FakeHost {
    FakeHost::new()
        .device(DEV, None, None)
        .file(DEV, "/k", b"kernel")
        .file(DEV, "/boot/grub/grubenv", &data("reboot.grubenv"))
        .file(DEV, "/other.env", &data("index.grubenv"))
}

/// `file: name=value ...` for each save, `name-` for a deletion.
fn show(saves: &[EnvSave]) -> Vec<String> {
    saves
        .iter()
        .map(|s| {
            let vars: Vec<String> = s
                .vars
                .iter()
                .map(|(n, v)| match v {
                    Some(v) => format!("{n}={v}"),
                    None => format!("{n}-"),
                })
                .collect();
            format!("{}: {}", s.file, vars.join(" "))
        })
        .collect()
}

#[test]
fn saves_by_where_they_run() {
    let cfg = br#"
load_env
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
fi
submenu s {
  set a=1
  save_env a nosuch
  menuentry in { set b="x\y"; save_env b; linux /k }
}
menuentry top { set c=3; save_env -f /other.env c; linux /k }
"#;
    let e = eval(cfg, DEV, &host()).unwrap();
    let saves = &e.env_saves;
    assert_eq!(
        show(&saves.config),
        vec!["(hd0,msdos1)/boot/grub/grubenv: next_entry="]
    );
    assert_eq!(
        show(&saves.for_boot(&[0, 0])),
        vec![
            "(hd0,msdos1)/boot/grub/grubenv: next_entry=",
            "(hd0,msdos1)/boot/grub/grubenv: a=1 nosuch-",
            "(hd0,msdos1)/boot/grub/grubenv: b=x\\y",
        ]
    );
    assert_eq!(
        show(&saves.for_boot(&[1])),
        vec![
            "(hd0,msdos1)/boot/grub/grubenv: next_entry=",
            "(hd0,msdos1)/other.env: c=3",
        ]
    );
}

#[test]
fn statuses_and_reading_back() {
    let big = "x".repeat(2000);
    let cfg = format!(
        r#"
save_env
echo "none $?"
save_env -f /missing.env a
echo "missing $?"
set big={big}
save_env big
echo "full $?"
set saved_entry=7
save_env saved_entry
unset saved_entry
load_env
echo "read back $saved_entry $?"
menuentry a {{ linux /k }}
"#
    );
    let e = eval(cfg.as_bytes(), DEV, &host()).unwrap();
    assert_eq!(
        e.echoes,
        vec!["none 18", "missing 5", "full 18", "read back 7 0"]
    );
    // Only the save that fitted is kept.
    assert_eq!(
        show(&e.env_saves.config),
        vec!["(hd0,msdos1)/boot/grub/grubenv: saved_entry=7"]
    );
}

/// Real GRUB: grub-emu 2.06 booted entry 0 of `savedefault.cfg.txt` (Debian's `savedefault`
/// and Ubuntu's `recordfail` in the entry body) on an ext4 disk holding
/// `savedefault-before.grubenv`; the block it left is the one computed here from the
/// `save_env` commands of that boot.
#[test]
fn savedefault_and_recordfail_as_grub_emu_wrote_them() {
    let h = FakeHost::new()
        .device("hd0", None, None)
        .file("hd0", "/boot/vmlinuz", b"kernel")
        .file(
            "hd0",
            "/boot/grub/grubenv",
            &data("grub-emu/savedefault-before.grubenv"),
        );
    let e = eval(&data("grub-emu/savedefault.cfg.txt"), "hd0", &h).unwrap();
    let path = e.menu.default.clone().unwrap();
    assert_eq!(path, [0]);
    let mut block = data("grub-emu/savedefault-before.grubenv");
    for s in e.env_saves.for_boot(&path) {
        block = xlboot_config::grubenv::save(&block, &s.vars).unwrap();
    }
    assert_eq!(block, data("grub-emu/savedefault-after.grubenv"));
}

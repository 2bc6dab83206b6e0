//! Environment blocks written as GRUB's `save_env` writes them, checked byte for byte
//! against the real `grub-editenv` (grub-common 2.06, which uses the same envblk code):
//! each case edits a copy of a block with `grub-editenv FILE set|unset ...` and with
//! [`grubenv::save`], and the two blocks must be equal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::data;
use xlboot_config::grubenv::{self, SaveError};

/// Whether grub-editenv runs here; a missing tool skips, unless XLBOOT_REQUIRE_TOOLS.
fn have_editenv() -> bool {
    let ok = Command::new("grub-editenv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("grub-editenv is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: grub-editenv not installed (package grub-common)");
    }
    ok
}

/// `grub-editenv COPY-OF-block ARGS...`: the block it leaves, or `None` if it failed.
fn editenv(block: &[u8], args: &[&str]) -> Option<Vec<u8>> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "xlboot-grubenv-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, block).unwrap();
    let out = Command::new("grub-editenv")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let after = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    if out.status.success() {
        Some(after)
    } else {
        assert_eq!(after, block, "grub-editenv failed yet changed the file");
        None
    }
}

/// What `save_env` does after `set NAME=VALUE` for each pair (`None`: `unset NAME`).
fn ours(block: &[u8], vars: &[(&str, Option<&str>)]) -> Result<Vec<u8>, SaveError> {
    let vars: Vec<(String, Option<String>)> = vars
        .iter()
        .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
        .collect();
    grubenv::save(block, &vars)
}

/// grub-editenv's view of the same edit: `set` for values, then `unset` for the rest,
/// run one variable at a time in order (so the order of sets and deletes is kept).
fn theirs(block: &[u8], vars: &[(&str, Option<&str>)]) -> Option<Vec<u8>> {
    let mut cur = block.to_vec();
    for (n, v) in vars {
        cur = match v {
            Some(v) => editenv(&cur, &["set", &format!("{n}={v}")])?,
            None => editenv(&cur, &["unset", n])?,
        };
    }
    Some(cur)
}

fn check(block: &[u8], vars: &[(&str, Option<&str>)]) {
    let a = ours(block, vars);
    let b = theirs(block, vars);
    match (a, b) {
        (Ok(a), Some(b)) => assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "{vars:?}"
        ),
        (Err(SaveError::TooSmall(_)), None) => {}
        (a, b) => panic!("{vars:?}: ours {a:?}, grub-editenv {b:?}"),
    }
}

/// Real GRUB: Debian's clearing code run by grub-emu 2.06 on a copy of the `reboot`
/// fixture disk (see tests/data/README.md); the block it left is the one computed here.
#[test]
fn next_entry_cleared_as_grub_emu_cleared_it() {
    let block = data("reboot.grubenv");
    let cleared = ours(&block, &[("next_entry", Some(""))]).unwrap();
    assert_eq!(cleared, data("grub-emu/reboot-cleared.grubenv"));
}

#[test]
fn next_entry_cleared_as_debian_00_header_does() {
    if !have_editenv() {
        return;
    }
    let block = data("reboot.grubenv");
    // `set next_entry=` then `save_env next_entry`: an empty value, not a deletion.
    check(&block, &[("next_entry", Some(""))]);
    let cleared = ours(&block, &[("next_entry", Some(""))]).unwrap();
    assert_eq!(cleared.len(), 1024);
    let vars = grubenv::parse(&cleared).unwrap().vars;
    assert_eq!(
        vars,
        vec![
            ("saved_entry".to_string(), "1>0".to_string()),
            ("next_entry".to_string(), String::new())
        ]
    );
    // Clearing it again changes nothing.
    assert_eq!(
        ours(&cleared, &[("next_entry", Some(""))]).unwrap(),
        cleared
    );
}

#[test]
fn set_grow_shrink_append_delete() {
    if !have_editenv() {
        return;
    }
    for block in [
        data("reboot.grubenv"),
        data("saved.grubenv"),
        data("escape.grubenv"),
    ] {
        check(&block, &[("recordfail", Some("1"))]);
        check(&block, &[("saved_entry", Some("0"))]);
        check(
            &block,
            &[(
                "saved_entry",
                Some("gnulinux-advanced-x>gnulinux-6.1.0-50-amd64-recovery-x"),
            )],
        );
        check(&block, &[("next_entry", None)]);
        check(&block, &[("saved_entry", None), ("absent", None)]);
        check(&block, &[("nl", Some("a\nb\\c")), ("weird", Some(""))]);
        check(
            &block,
            &[
                ("saved_entry", Some("2")),
                ("prev_saved_entry", Some("")),
                ("recordfail", Some("1")),
                ("recordfail", None),
            ],
        );
    }
}

#[test]
fn too_small_writes_nothing() {
    if !have_editenv() {
        return;
    }
    let block = data("reboot.grubenv");
    let big = "x".repeat(900);
    check(&block, &[("big", Some(&big))]);
    check(&block, &[("saved_entry", Some(&big))]);
    // A block filled to its last byte: growing anything fails, shrinking works.
    let fill = 1024 - block.iter().rposition(|&b| b != b'#').unwrap() - 1 - "pad=\n".len();
    let pad = "p".repeat(fill);
    let full = editenv(&block, &["set", &format!("pad={pad}")]).unwrap();
    assert_eq!(*full.last().unwrap(), b'\n');
    check(&full, &[("recordfail", Some("1"))]);
    check(&full, &[("saved_entry", Some("10>0"))]);
    check(&full, &[("next_entry", None)]);
    // Shrinking with less padding than GRUB's refill needs is refused, not guessed.
    assert!(matches!(
        ours(&full, &[("saved_entry", Some("1"))]),
        Err(SaveError::TooSmall(_))
    ));
}

/// Seeded random edits of real blocks: names from a small set (so they collide),
/// values with backslashes, newlines, `=` and `#`, of lengths around the block size.
#[test]
fn random_edits_match_grub_editenv() {
    if !have_editenv() {
        return;
    }
    let mut seed: u64 = 0x5eed_1234;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let names = [
        "saved_entry",
        "next_entry",
        "recordfail",
        "a",
        "ab",
        "b#",
        "x_1",
    ];
    let alphabet = ['a', 'z', '\\', '\n', '=', '#', ' ', '>', '1'];
    let mut block = data("reboot.grubenv");
    for round in 0..120 {
        let n = 1 + next(3) as usize;
        let mut vars: Vec<(String, Option<String>)> = Vec::new();
        for _ in 0..n {
            let name = names[next(names.len() as u64) as usize].to_string();
            let value = if next(4) == 0 {
                None
            } else {
                let len = match next(5) {
                    0 => 0,
                    1 => next(400),
                    _ => next(24),
                };
                Some(
                    (0..len)
                        .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                        .collect(),
                )
            };
            vars.push((name, value));
        }
        let borrowed: Vec<(&str, Option<&str>)> = vars
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_deref()))
            .collect();
        let a = ours(&block, &borrowed);
        let b = theirs(&block, &borrowed);
        match (a, b) {
            (Ok(a), Some(b)) => {
                assert_eq!(a, b, "round {round}: {borrowed:?}");
                block = a;
            }
            (Err(SaveError::TooSmall(_)), None) => {}
            (Err(SaveError::TooSmall(_)), Some(_)) => {
                // Only the refill GRUB would run past its buffer is refused here
                // while grub-editenv (same code) goes ahead.
                assert!(
                    vars.iter().any(|(_, v)| v.is_some()),
                    "round {round}: {borrowed:?}"
                );
            }
            (a, b) => panic!("round {round}: {borrowed:?}: ours {a:?}, grub-editenv {b:?}"),
        }
        if round % 40 == 39 {
            block = data("reboot.grubenv");
        }
    }
}

#[test]
fn plain_blocks_only() {
    let good = data("reboot.grubenv");
    assert_eq!(grubenv::check_plain(&good), Ok(()));
    let bad = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        edit(&mut b);
        grubenv::check_plain(&b)
    };
    // A backslash in the padding escapes a newline: GRUB's reader would not see a
    // variable appended after it.
    assert!(bad(&|b| b[1000..1003].copy_from_slice(b"\\\n#")).is_err());
    assert!(bad(&|b| b.truncate(1000)).is_err());
    assert!(bad(&|b| b[1020] = b'x').is_err());
    assert!(bad(&|b| b[0] = b'x').is_err());
    let sig = grubenv::SIGNATURE.len();
    assert!(bad(&|b| b[sig] = b'\r').is_err());
    assert!(bad(&|b| b[sig..sig + 3].copy_from_slice(b"=x\n")).is_err());
    let twice = editenv_free_block("a=1\na=2\n");
    assert_eq!(grubenv::check_plain(&twice), Err("a variable set twice"));
}

/// A block with `lines` after the signature, padded with '#'.
fn editenv_free_block(lines: &str) -> Vec<u8> {
    let mut b = grubenv::SIGNATURE.to_vec();
    b.extend_from_slice(lines.as_bytes());
    b.resize(1024, b'#');
    b
}

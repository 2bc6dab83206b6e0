//! Environment blocks written by the real `grub-editenv` (tests/data/*.grubenv).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::data;
use xlboot_config::grubenv::{parse, EnvBlockError, SIGNATURE};

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn saved_and_next_entry() {
    let b = parse(&data("reboot.grubenv")).unwrap();
    assert!(!b.broken);
    assert_eq!(
        pairs(&b.vars),
        vec![
            ("saved_entry", "1>0"),
            (
                "next_entry",
                "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-amd64 (recovery mode)"
            ),
        ]
    );
}

#[test]
fn escapes_as_grub_editenv_writes_them() {
    let b = parse(&data("escape.grubenv")).unwrap();
    assert_eq!(
        pairs(&b.vars),
        vec![("weird", "a\\b"), ("nl", "line1\nline2"), ("eq", "x=y")]
    );
}

#[test]
fn bad_signature_or_too_short_is_refused() {
    assert_eq!(parse(b""), Err(EnvBlockError::BadSignature));
    assert_eq!(parse(SIGNATURE), Err(EnvBlockError::BadSignature));
    assert_eq!(
        parse(b"# GRUB Environment Blocx\nsaved_entry=1\n"),
        Err(EnvBlockError::BadSignature)
    );
    let mut ok = SIGNATURE.to_vec();
    ok.push(b'#');
    assert_eq!(parse(&ok).unwrap().vars, vec![]);
}

#[test]
fn broken_lines_keep_what_came_before() {
    let mut b = SIGNATURE.to_vec();
    b.extend_from_slice(b"a=1\nnoequals");
    let r = parse(&b).unwrap();
    assert!(r.broken);
    assert_eq!(pairs(&r.vars), vec![("a", "1")]);
    let mut b = SIGNATURE.to_vec();
    b.extend_from_slice(b"a=1\nb=unterminated\\");
    let r = parse(&b).unwrap();
    assert!(r.broken);
    assert_eq!(pairs(&r.vars), vec![("a", "1")]);
}

#[test]
fn every_prefix_and_byte_flip_is_safe() {
    let base = data("escape.grubenv");
    for n in 0..=base.len() {
        let _ = parse(&base[..n]);
    }
    for i in 0..base.len() {
        for v in [0u8, b'\\', b'\n', b'=', b'#', 0xff] {
            let mut m = base.clone();
            m[i] = v;
            let _ = parse(&m);
        }
    }
}

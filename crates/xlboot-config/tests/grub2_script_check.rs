//! The lexer and parser accept exactly what GRUB's own parser accepts: 400 scripts
//! (seeded mutations of GRUB snippets) with the verdict of GRUB 2.06's
//! `grub-script-check` (tests/data/script-check.txt, see README there).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use xlboot_config::grub2::lexer::tokenize;
use xlboot_config::grub2::parser::Parser;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn accepts(src: &[u8]) -> bool {
    let src: Vec<u8> = src.iter().copied().filter(|&b| b != b'\r').collect();
    match tokenize(&src, 1, src.len() + 16) {
        Err(_) => false,
        Ok(toks) => Parser::new(&src, toks, 64).script().is_ok(),
    }
}

#[test]
fn same_verdicts_as_grub_script_check() {
    let text = String::from_utf8(common::data("script-check.txt")).unwrap();
    let mut n = 0;
    let mut wrong = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (verdict, hex) = line.split_once('\t').unwrap();
        let src = unhex(hex);
        let grub_ok = verdict == "0";
        if accepts(&src) != grub_ok {
            wrong.push(format!(
                "grub {verdict}: {:?}",
                String::from_utf8_lossy(&src)
            ));
        }
        n += 1;
    }
    assert_eq!(n, 400);
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

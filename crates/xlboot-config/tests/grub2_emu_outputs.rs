//! The evaluator against real GRUB 2.06: each `tests/data/grub-emu/NAME.cfg` was run by
//! Debian 12's `grub-emu` (see the README in tests/data); `NAME.out` is what GRUB
//! printed (its `echo` output, then `CHOSEN=$chosen` from the entry it booted). Here
//! the same config is evaluated, and its echo output and default entry must match.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use common::grub_chosen::chosen;
use common::FakeHost;
use xlboot_config::grub2::{evaluate, EvalContext};
use xlboot_config::FilePath;

const ROOT: &str = "/tmp/emuroot";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/grub-emu")
}

/// The guest as grub-emu saw it: one device, `host`.
fn host(cfg: &[u8]) -> FakeHost {
    let d = dir();
    let read = |n: &str| std::fs::read(d.join(n)).unwrap();
    FakeHost::new()
        .device("host", None, None)
        .dir("host", ROOT)
        .file("host", &format!("{ROOT}/grub.cfg"), cfg)
        .file("host", &format!("{ROOT}/grubenv"), &read("support.grubenv"))
        .file(
            "host",
            &format!("{ROOT}/other.env"),
            &read("support.other.env"),
        )
        .file("host", &format!("{ROOT}/inc.cfg"), &read("support.inc.cfg"))
        .file(
            "host",
            &format!("{ROOT}/inc2.cfg"),
            &read("support.inc2.cfg"),
        )
        .file("host", &format!("{ROOT}/cf.cfg"), &read("support.cf.cfg"))
        .file(
            "host",
            &format!("{ROOT}/broken.env"),
            &read("support.broken.env"),
        )
        .file(
            "host",
            &format!("{ROOT}/badsig.env"),
            &read("support.badsig.env"),
        )
        .file("host", &format!("{ROOT}/esc.env"), &read("support.esc.env"))
        .file(
            "host",
            &format!("{ROOT}/small.file"),
            &read("support.small.file"),
        )
        .file("host", &format!("{ROOT}/empty.file"), b"")
        .dir("host", &format!("{ROOT}/adir"))
        .dir("host", "/tmp")
}

/// Tabs as GRUB's terminal shows them.
fn expand_tabs(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c == '\t' {
            out.push(' ');
            while out.chars().count() % 8 != 0 {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn same_output_and_default_as_grub_emu() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".cfg").map(str::to_string))
        .filter(|n| !n.starts_with("support."))
        .collect();
    names.sort();
    assert!(names.len() >= 40);
    let mut failures = Vec::new();
    for n in &names {
        let cfg = std::fs::read(dir().join(format!("{n}.cfg"))).unwrap();
        let grub = std::fs::read_to_string(dir().join(format!("{n}.out"))).unwrap();
        let grub_lines: Vec<&str> = grub.lines().collect();
        let ctx = EvalContext {
            grub_platform: "emu".into(),
            ..EvalContext::new(FilePath {
                device: "host".into(),
                path: format!("{ROOT}/grub.cfg"),
                root: Default::default(),
            })
        };
        let ev = match evaluate(&cfg, &ctx, &host(&cfg)) {
            Ok(ev) => ev,
            Err(e) => {
                failures.push(format!("{n}: {e}"));
                continue;
            }
        };
        // GRUB's last CHOSEN= line is the entry it booted.
        let grub_chosen = grub_lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("CHOSEN="))
            .map(str::to_string);
        let mine_chosen = ev.menu.default.as_ref().map(|p| chosen(&ev.menu.items, p));
        if grub_chosen != mine_chosen {
            failures.push(format!(
                "{n}: default {mine_chosen:?}, GRUB {grub_chosen:?}"
            ));
        }
        // Echo output; entry bodies that `halt` are not "booted" by xlboot's model, so
        // CHOSEN lines are compared above rather than here.
        let mine: Vec<String> = ev
            .echoes
            .iter()
            .map(|l| expand_tabs(l).trim_end().to_string())
            .filter(|l| !l.is_empty() && !l.starts_with("CHOSEN="))
            .collect();
        let theirs: Vec<String> = grub_lines
            .iter()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty() && !l.starts_with("CHOSEN="))
            .collect();
        if mine != theirs {
            failures.push(format!("{n}: echo\n mine  {mine:?}\n GRUB  {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Random scripts (variables, quoting, `test`, `if`, `for`, functions, `$?`, `$@`):
/// `grub-emu/random.txt` holds each script and GRUB's output.
#[test]
fn random_scripts_print_what_grub_prints() {
    corpus("random.txt", 250);
}

/// Random menu trees with random `default` and `fallback` values (numbers, titles, ids,
/// `>` paths, `>>`, garbage), some set inside submenus: the entry GRUB boots prints
/// `CHOSEN=$chosen`.
#[test]
fn random_menus_boot_what_grub_boots() {
    corpus("menus.txt", 400);
}

fn corpus(file: &str, at_least: usize) {
    let text = std::fs::read_to_string(dir().join(file)).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for rec in text.split("=== ").skip(1) {
        let (head, rest) = rec.split_once('\n').unwrap();
        let (cfg, out) = rest.split_once("--- output\n").unwrap();
        let ctx = EvalContext {
            grub_platform: "emu".into(),
            ..EvalContext::new(FilePath {
                device: "host".into(),
                path: format!("{ROOT}/grub.cfg"),
                root: Default::default(),
            })
        };
        let ev = match evaluate(cfg.as_bytes(), &ctx, &host(cfg.as_bytes())) {
            Ok(ev) => ev,
            Err(e) => {
                failures.push(format!("{head}: {e}"));
                continue;
            }
        };
        let mine: Vec<String> = ev
            .echoes
            .iter()
            .map(|l| expand_tabs(l).trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let theirs: Vec<String> = out
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if mine != theirs {
            failures.push(format!("{head}:\n mine  {mine:?}\n GRUB  {theirs:?}"));
        }
        n += 1;
    }
    assert!(n >= at_least, "{n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

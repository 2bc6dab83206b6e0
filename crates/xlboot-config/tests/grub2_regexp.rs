//! GRUB's `regexp` against real GRUB 2.06: each case of tests/data/grub-emu/regexp.txt
//! was run by Debian 12's `grub-emu` as
//! `unset d; ...; regexp --set=SPEC... 'PATTERN' 'STRING'; echo "$? d=[$d] e=[$e] ..."`,
//! and the evaluator must print the same. The cases are the patterns distributions and
//! installers put in grub.cfg (device names out of `$cmdpath`/`$root`, ISO file names),
//! POSIX matching rules (leftmost-longest, captures of alternations and repetitions),
//! gnulib's extensions and patterns GRUB refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{eval, FakeHost};
use xlboot_config::ConfigErrorKind;

fn run(script: &str) -> Result<Vec<String>, xlboot_config::ConfigError> {
    let host = FakeHost::new().device("hd0,msdos1", None, None);
    eval(script.as_bytes(), "hd0,msdos1", &host).map(|e| e.echoes)
}

#[test]
fn same_answers_as_grub_emu() {
    check_table("grub-emu/regexp.txt", 60);
}

/// Seeded random patterns over `a`/`b` (groups, alternations, every repetition,
/// anchors) on random strings: whole match and three groups as GRUB reports them.
#[test]
fn random_patterns_same_as_grub_emu() {
    check_table("grub-emu/regexp-random.txt", 250);
}

fn check_table(name: &str, min: usize) {
    let table = String::from_utf8(common::data(name)).unwrap();
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let (pattern, text, sets, want) = (f[0], f[1], f[2], f[3]);
        let opts: Vec<String> = sets.split(' ').map(|s| format!("--set={s}")).collect();
        let script = format!(
            "unset d; unset e; unset f; unset g\nregexp {} '{pattern}' '{text}'\necho \"$? d=[$d] e=[$e] f=[$f] g=[$g]\"\n",
            opts.join(" ")
        );
        let echoes = run(&script).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(echoes, vec![want.to_string()], "{line}");
        n += 1;
    }
    assert!(n >= min, "{n} cases");
}

#[test]
fn esp_stub_finds_its_device_in_cmdpath() {
    // The early config Debian live / archiso images embed: derive the device from
    // $cmdpath and chain to the real config there.
    let script = r#"
set cmdpath=(hd0,msdos1)/EFI/BOOT
if regexp --set=1:isodevice '^(\([^)]+\))\/?[Ee][Ff][Ii]\/[Bb][Oo][Oo][Tt]\/?$' "$cmdpath"; then
    echo "dev=${isodevice}"
fi
"#;
    assert_eq!(run(script).unwrap(), vec!["dev=(hd0,msdos1)".to_string()]);
}

#[test]
fn refused_rather_than_guessed() {
    // Back-references: valid for gnulib, not evaluated here.
    let e = run("regexp '(a)\\1' aa\n").unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported, "{e}");
    // Once the module is loaded GRUB expands unquoted wildcards against files.
    let e = run("regexp a a\nfor f in /boot/vmlinuz-*; do echo $f; done\n").unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported, "{e}");
    assert!(e.message.contains("file name pattern"), "{e}");
    // A long path is still matched.
    let dir = "d/".repeat(150);
    let script =
        format!("regexp --set=1:a --set=2:b '^(.*)/([^/]*)$' '/{dir}vmlinuz'\necho \"$a $b\"\n");
    let want = format!("/{} vmlinuz", dir.trim_end_matches('/'));
    assert_eq!(run(&script).unwrap(), vec![want]);
    // Costly patterns stop at the budget, not after exponential time.
    let text = "a".repeat(4000);
    let script = format!("regexp '((a*)*)*b' '{text}'\necho $?\n");
    match run(&script) {
        Ok(echoes) => assert_eq!(echoes, vec!["1".to_string()]),
        Err(e) => assert_eq!(e.kind, ConfigErrorKind::Unsupported, "{e}"),
    }
}

//! Hostile configs: errors, never panics, hangs or runaway memory; and nothing a
//! config says is ever run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{data, eval, FakeHost};
use xlboot_config::grub2::{evaluate, Limits};
use xlboot_config::{ConfigErrorKind, MenuItem};

fn host() -> FakeHost {
    FakeHost::new()
        .device("hd0", None, None)
        .device(
            "hd0,msdos1",
            Some("a4262ae0-1471-4bc1-ac9a-f6b2e79884e5"),
            None,
        )
        .debian_kernels("hd0,msdos1", "/boot")
        .file("hd0,msdos1", "/k", b"k")
}

fn kind(cfg: &[u8]) -> ConfigErrorKind {
    match eval(cfg, "hd0,msdos1", &host()) {
        Ok(e) => panic!("expected an error, got {:?}", e.menu),
        Err(e) => e.kind,
    }
}

#[test]
fn unterminated_constructs() {
    for cfg in [
        "menuentry 'a { linux /k }",
        "menuentry \"a { linux /k }",
        "menuentry a { linux /k ",
        "menuentry a { linux /k }\n}",
        "if true; then a=1",
        "for x in a b; do true",
        "while true; do true",
        "function f { true",
        "function f { true }",
        "function f[[ { true; }",
        "echo a ;;",
        "echo a\n; echo b",
        "echo a \\\n",
        "echo ${unterminated",
        "echo $",
        "menuentry a { }",
        "{",
        "}",
        "fi",
        "then",
        "if; then true; fi",
        "echo a | b",
        "echo a && b",
        "echo a > b",
        "[[ a ]]",
        "case x in esac",
    ] {
        assert_eq!(kind(cfg.as_bytes()), ConfigErrorKind::Syntax, "{cfg:?}");
    }
}

#[test]
fn command_substitution_never_parses() {
    // `$(` is not GRUB script: a syntax error, so no `default` can ever come from it.
    assert_eq!(
        kind(b"set default=\"$(rm -rf /)\""),
        ConfigErrorKind::Syntax
    );
    assert_eq!(kind(b"set default=$(reboot)"), ConfigErrorKind::Syntax);
}

#[test]
fn metacharacters_come_through_as_inert_text() {
    let cfg = "set default=\"x'; os.system('reboot') #\"
menuentry '`reboot`' --id \"\\$(id)\" { linux /k '$(rm -rf /)' \"`id`\" ';' }
menuentry \"x'; os.system('reboot') #\" { linux /k }";
    let e = eval(cfg.as_bytes(), "hd0,msdos1", &host()).unwrap();
    assert_eq!(e.menu.items[0].title(), "`reboot`");
    assert_eq!(e.menu.items[0].id(), Some("$(id)"));
    assert_eq!(e.menu.default, Some(vec![1]));
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "\"$(rm -rf /)\" `id` ;"
    );
}

#[test]
fn nul_bytes_are_refused() {
    assert_eq!(
        kind(b"menuentry a {\n linux /k\0 x\n}"),
        ConfigErrorKind::Syntax
    );
}

#[test]
fn deep_nesting_is_a_limit() {
    let n = 5000;
    let cfg = format!("{}true{}", "if true; then ".repeat(n), "; fi".repeat(n));
    assert_eq!(kind(cfg.as_bytes()), ConfigErrorKind::Limit);
    let cfg = format!("{}linux /k{}", "submenu s { ".repeat(200), " }".repeat(200));
    assert!(eval(cfg.as_bytes(), "hd0,msdos1", &host()).is_err());
    // Nested submenus within the parser's limit but beyond the menu depth limit.
    let cfg = format!(
        "{}menuentry e {{ linux /k }}{}",
        "submenu s {\n".repeat(30),
        "\n}".repeat(30)
    );
    assert!(eval(cfg.as_bytes(), "hd0,msdos1", &host()).is_err());
}

#[test]
fn recursion_and_loops_are_bounded() {
    assert_eq!(kind(b"function f { f; }\nf"), ConfigErrorKind::Limit);
    assert_eq!(
        kind(b"function f { g; }\nfunction g { f; }\nf"),
        ConfigErrorKind::Limit
    );
    assert_eq!(kind(b"while true; do true; done"), ConfigErrorKind::Limit);
    assert_eq!(kind(b"until false; do true; done"), ConfigErrorKind::Limit);
    // Exponential growth of a variable stops at the value limit.
    assert_eq!(
        kind(b"a=x\nwhile true; do a=$a$a; done"),
        ConfigErrorKind::Limit
    );
    // Recursion inside an entry body hits the shared budget too.
    assert_eq!(
        kind(b"function f { f; }\nmenuentry a { f; linux /k }"),
        ConfigErrorKind::Limit
    );
}

#[test]
fn source_loops_are_bounded() {
    let h = host()
        .file(
            "hd0,msdos1",
            "/boot/grub/a.cfg",
            b"source $config_directory/b.cfg\n",
        )
        .file(
            "hd0,msdos1",
            "/boot/grub/b.cfg",
            b"source /boot/grub/a.cfg\n",
        );
    let e = eval(b"source /boot/grub/a.cfg\n", "hd0,msdos1", &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    let h = host().file(
        "hd0,msdos1",
        "/boot/grub/self.cfg",
        b"source /boot/grub/self.cfg\n",
    );
    assert!(eval(b". /boot/grub/self.cfg\n", "hd0,msdos1", &h).is_err());
}

#[test]
fn huge_configs_and_many_entries() {
    let mut ctx = common::ctx("hd0,msdos1", "/boot/grub/grub.cfg");
    ctx.limits = Limits {
        max_config_size: 1 << 16,
        ..Limits::default()
    };
    let big = "# padding\n".repeat(10_000);
    assert_eq!(
        evaluate(big.as_bytes(), &ctx, &host()).unwrap_err().kind,
        ConfigErrorKind::Limit
    );
    let many = "menuentry e { linux /k }\n".repeat(5000);
    assert_eq!(kind(many.as_bytes()), ConfigErrorKind::Limit);
    let wide = format!("menuentry e {{ linux /k {} }}\n", "a ".repeat(10_000));
    assert_eq!(kind(wide.as_bytes()), ConfigErrorKind::Limit);
}

#[test]
fn huge_grubenv_is_a_host_error_not_a_crash() {
    let mut env = b"# GRUB Environment Block\n".to_vec();
    env.extend(std::iter::repeat_n(b'#', 2 << 20));
    let h = host().file("hd0,msdos1", "/boot/grub/grubenv", &env);
    let e = eval(b"load_env\n", "hd0,msdos1", &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Host);
}

#[test]
fn odd_but_valid_inputs() {
    let h = host();
    for cfg in [
        "",
        "\n\n\n",
        "# only a comment",
        ";",
        "menuentry",
        "menuentry --id x { linux /k }",
        "submenu empty { true }",
        "menuentry '' { linux /k }",
        "set default=\"\"\nmenuentry a { linux /k }",
        "unset root\nmenuentry a { linux /k }",
        "set root=\nmenuentry a { linux /k }",
        "set root=lvmid/abc\nmenuentry a { linux /k }",
        "menuentry a { linux k-without-slash }",
        "menuentry a { linux (hd9,9)/k }",
        "menuentry a { linux (hd0,msdos1 }",
        "return\nshift\nsetparams a\nbreak\ncontinue",
        "export\nunset\nset x\nsource\nload_env -f\nsearch\nsearch -u\ntest\n[\n",
        "menuentry a { initrd newc:x:/k; linux /k; initrd newc:x:/k }",
        "\u{feff}menuentry \u{e9}t\u{e9} { linux /k }",
    ] {
        let _ = eval(cfg.as_bytes(), "hd0,msdos1", &h);
    }
    // Latin-1 bytes are not UTF-8: no panic.
    let _ = eval(b"menuentry \xe9t\xe9 { linux /k }", "hd0,msdos1", &h);
}

#[test]
fn empty_submenu_is_listed_and_not_default() {
    let e = eval(
        b"submenu s { true }\nmenuentry a { linux /k }\nset default=0",
        "hd0,msdos1",
        &host(),
    )
    .unwrap();
    assert!(matches!(&e.menu.items[0], MenuItem::Submenu { items, .. } if items.is_empty()));
    assert_eq!(e.menu.default, None);
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

#[test]
fn seeded_mutations_of_real_configs() {
    const TOKENS: &[&[u8]] = &[
        b"{",
        b"}",
        b"'",
        b"\"",
        b"\\",
        b"$",
        b"${",
        b"$@",
        b"$1",
        b";",
        b"\n",
        b"#",
        b">",
        b"(",
        b"if ",
        b"fi",
        b"then ",
        b"else ",
        b"for x in a; do ",
        b"done",
        b"while ",
        b"function f ",
        b"menuentry m ",
        b"submenu s ",
        b"source /boot/grub/grub.cfg\n",
        b"f\n",
        b"\0",
        b"\xff",
        b"set default=",
        b"load_env\n",
        b"linux /k ",
        b"initrd /k ",
    ];
    let samples = ["saved", "mbr-custom", "sepboot", "gpt", "mbr-id"];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let h = host()
        .file("hd0,msdos1", "/boot/grub/grubenv", &data("saved.grubenv"))
        .file("hd0,msdos1", "/boot/grub/grub.cfg", &data("saved.grub.cfg"));
    let mut ctx = common::ctx("hd0,msdos1", "/boot/grub/grub.cfg");
    // Smaller budgets keep this test fast; the code paths are the same.
    ctx.limits.max_commands = 20_000;
    ctx.limits.max_loop_iterations = 2_000;
    let mut ok = 0;
    for round in 0..1500 {
        let mut cfg = data(&format!("{}.grub.cfg", samples[round % samples.len()]));
        for _ in 0..=rng.below(4) {
            let at = rng.below(cfg.len());
            match rng.below(4) {
                0 => {
                    let t = TOKENS[rng.below(TOKENS.len())];
                    cfg.splice(at..at, t.iter().copied());
                }
                1 => {
                    let end = (at + rng.below(64)).min(cfg.len());
                    cfg.drain(at..end);
                }
                2 => {
                    cfg[at] = rng.next() as u8;
                }
                _ => {
                    let end = (at + rng.below(200)).min(cfg.len());
                    let chunk: Vec<u8> = cfg[at..end].to_vec();
                    let to = rng.below(cfg.len());
                    cfg.splice(to..to, chunk);
                }
            }
        }
        if evaluate(&cfg, &ctx, &h).is_ok() {
            ok += 1;
        }
    }
    // Some mutations leave a valid config (comments, strings): the loop exercises both.
    assert!(ok > 0);
}

#[test]
fn wide_expansions_and_many_copies_are_bounded() {
    // 4096 words of 64 KiB each would be 256 MiB of arguments.
    let cfg = format!(
        "a=x\n{}\nmenuentry e {{ linux /k {} }}",
        "a=$a$a\n".repeat(16),
        "\"$a\" ".repeat(4000)
    );
    assert_eq!(kind(cfg.as_bytes()), ConfigErrorKind::Limit);
    // Big titles on many entries.
    let cfg = format!(
        "a=x\n{}\n{}",
        "a=$a$a\n".repeat(15),
        "menuentry \"$a\" \"$a\" { linux /k }\n".repeat(400)
    );
    assert_eq!(kind(cfg.as_bytes()), ConfigErrorKind::Limit);
    // A big environment copied into many entries.
    let mut cfg = String::from("a=x\n");
    cfg.push_str(&"a=$a$a\n".repeat(15));
    for i in 0..60 {
        cfg.push_str(&format!("v{i}=$a\n"));
    }
    cfg.push_str(&"menuentry e { linux /k }\n".repeat(4000));
    assert_eq!(kind(cfg.as_bytes()), ConfigErrorKind::Limit);
}

#[test]
fn repeated_reads_and_parses_are_bounded() {
    let big = format!("{}\n", "# comment line\n".repeat(60_000));
    let h = host()
        .file("hd0,msdos1", "/boot/grub/big.cfg", big.as_bytes())
        .file("hd0,msdos1", "/boot/grub/grubenv", &data("saved.grubenv"));
    // A smaller work budget keeps the test quick; the default (256 MiB) ends the same way.
    let mut ctx = common::ctx("hd0,msdos1", "/boot/grub/grub.cfg");
    ctx.limits.max_work_bytes = 16 << 20;
    let e = evaluate(b"while true; do source /boot/grub/big.cfg; done", &ctx, &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    assert!(e.message.contains("work"), "{e}");
    let e = evaluate(
        b"for i in 1; do while true; do search --file --set /nope; done; done",
        &ctx,
        &h,
    )
    .unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    let words = "a ".repeat(300_000);
    assert_eq!(kind(words.as_bytes()), ConfigErrorKind::Limit);
}

#[test]
fn nesting_just_under_the_limits_works_without_overflowing_the_stack() {
    // 60 nested `if`s: near both the parser's and the interpreter's depth limit (64).
    let n = 60;
    let cfg = format!(
        "{}a=deep{}\nmenuentry e {{ linux /k $a }}",
        "if true; then ".repeat(n),
        "; fi".repeat(n)
    );
    let e = eval(cfg.as_bytes(), "hd0,msdos1", &host()).unwrap();
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "deep"
    );
    // Function calls 30 deep.
    let mut cfg = String::new();
    for i in 0..30 {
        cfg.push_str(&format!("function f{i} {{ f{} ; }}\n", i + 1));
    }
    cfg.push_str("function f30 { d=bottom; }\nf0\nmenuentry e { linux /k $d }");
    let e = eval(cfg.as_bytes(), "hd0,msdos1", &host()).unwrap();
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "bottom"
    );
    // Submenus 15 deep, each level's default leading down.
    let cfg = format!(
        "{}menuentry e {{ linux /k leaf }}{}",
        "submenu s {\n".repeat(15),
        "\n}".repeat(15)
    );
    let e = eval(cfg.as_bytes(), "hd0,msdos1", &host()).unwrap();
    assert_eq!(e.menu.default, Some(vec![0; 16]));
}

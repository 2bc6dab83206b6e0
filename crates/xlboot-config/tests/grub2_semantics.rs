//! GRUB script semantics, one behaviour per test, each checked against GRUB's source
//! (named in the comments).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{data, eval, fp, FakeHost};
use xlboot_config::grub2::Evaluated;
use xlboot_config::{ConfigErrorKind, MenuItem};

fn host() -> FakeHost {
    FakeHost::new()
        .device("hd0", None, None)
        .device("hd0,msdos1", Some("1111-AAAA"), Some("boot"))
        .device("hd0,msdos2", Some("2222-bbbb"), Some("root"))
        .file("hd0,msdos1", "/k", b"kernel")
        .file("hd0,msdos1", "/i1", b"a")
        .file("hd0,msdos1", "/i2", b"b")
        .file("hd0,msdos2", "/k2", b"kernel")
}

fn ev(cfg: &str) -> Evaluated {
    eval(cfg.as_bytes(), "hd0,msdos1", &host()).unwrap_or_else(|e| panic!("{e}"))
}

fn args_of(cfg: &str) -> String {
    let e = ev(cfg);
    let p = e.menu.default.clone().unwrap();
    e.menu.entry(&p).unwrap().boot.clone().unwrap().args
}

fn default_of(cfg: &str) -> Vec<usize> {
    ev(cfg).menu.default.unwrap()
}

fn err_kind(cfg: &str) -> ConfigErrorKind {
    match eval(cfg.as_bytes(), "hd0,msdos1", &host()) {
        Ok(e) => panic!("expected an error, got {:?}", e.menu),
        Err(e) => e.kind,
    }
}

// ---- words and the kernel command line (execute.c, lib/cmdline.c) ----

#[test]
fn args_joined_with_single_spaces() {
    assert_eq!(args_of("menuentry a {\n linux /k  a   b\tc \n}"), "a b c");
}

#[test]
fn quoting_and_cmdline_escaping() {
    // grub_create_loader_cmdline: \ ' " are backslash-escaped; args with a space quoted.
    assert_eq!(
        args_of(r#"menuentry a { linux /k "a b" 'c"d' e\'f "x\\y" 'p\q' }"#),
        r#""a b" c\"d e\'f x\\y p\\q"#
    );
}

#[test]
fn double_quote_escapes() {
    // In "...", only \$ \\ \" and backslash-newline are escapes; \n stays two chars.
    assert_eq!(
        args_of("menuentry a { linux /k \"\\$x \\n\\\"\" }"),
        r#""$x \\n\"""#
    );
}

#[test]
fn unquoted_variables_split_quoted_do_not() {
    assert_eq!(
        args_of("set o='quiet  splash'\nmenuentry a { linux /k $o \"$o\" x${o}y }"),
        r#"quiet splash "quiet  splash" xquiet splashy"#
    );
}

#[test]
fn empty_expansions_vanish_but_empty_quotes_stay() {
    assert_eq!(
        args_of("menuentry a { linux /k a $nothing b \"\" c }"),
        "a b  c"
    );
}

#[test]
fn backslash_newline_continues_a_line() {
    assert_eq!(args_of("menuentry a {\n linux /k a \\\n   b\n}"), "a b");
}

/// GRUB would drop the arguments past its 1023-byte buffer; the evaluator keeps them
/// all so that xlboot refuses the entry instead of booting it without them.
#[test]
fn no_boot_image_added_and_long_cmdline_kept_whole() {
    let long = "x".repeat(600);
    let a = args_of(&format!("menuentry a {{ linux /k {long} {long} end }}"));
    assert_eq!(a, format!("{long} {long} end"));
}

#[test]
fn positional_parameters_in_entries_and_functions() {
    // An entry's parameters are its menuentry arguments, title first.
    assert_eq!(
        args_of("function f { linux /k $# $1 \"$@\"; }\nmenuentry t extra { f a 'b c' }"),
        r#"2 a a "b c""#
    );
    assert_eq!(
        args_of("menuentry t extra { linux /k $1 $2 $# }"),
        "t extra 2"
    );
}

#[test]
fn status_variable() {
    assert_eq!(args_of("menuentry t { false; linux /k $? }"), "1");
    assert_eq!(args_of("menuentry t { true; linux /k $? }"), "0");
}

#[test]
fn assignment_in_command_position() {
    assert_eq!(args_of("x=1=2\nmenuentry t { linux /k $x }"), "1=2");
}

#[test]
fn set_uses_only_its_first_argument() {
    assert_eq!(args_of("set a=1 b=2\nmenuentry t { linux /k $a $b }"), "1");
}

#[test]
fn gettext_strings_expand_variables() {
    assert_eq!(args_of("v=7\nmenuentry t { linux /k $\"v=$v\" }"), "v=7");
}

// ---- files, devices, search ----

#[test]
fn multiple_initrds_and_device_prefix() {
    let e = ev("menuentry a { linux (hd0,msdos2)/k2 x\n initrd /i1 (hd0,1)/i2 }");
    let b = e.menu.entry(&[0]).unwrap().boot.clone().unwrap();
    assert_eq!(b.kernel, fp("hd0,msdos2", "/k2"));
    assert_eq!(
        b.initrds,
        vec![fp("hd0,msdos1", "/i1"), fp("hd0,msdos1", "/i2")]
    );
}

#[test]
fn root_with_parentheses_and_short_partition_name() {
    let e = ev("set root=(hd0,2)\nmenuentry a { linux /k2 }");
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().kernel,
        fp("hd0,msdos2", "/k2")
    );
}

#[test]
fn search_variants() {
    // UUIDs compare case-insensitively, labels exactly; first match in device order.
    let e = ev("search --fs-uuid --set=x 2222-BBBB\nsearch -l -s y boot\nsearch.fs_uuid 1111-aaaa z\nsearch --file --set /k2\nmenuentry a { linux /k $x $y $z $root }");
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap_err(),
        "kernel (hd0,msdos2)/k not found"
    );
    let e = ev("search --fs-uuid --set=x 2222-BBBB\nsearch -l -s y boot\nsearch.fs_uuid 1111-aaaa z\nmenuentry a { linux /k $x $y $z $root }");
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "hd0,msdos2 hd0,msdos1 hd0,msdos1 hd0,msdos1"
    );
}

#[test]
fn failed_search_keeps_root() {
    assert_eq!(
        args_of("search --fs-uuid --set=root nope\nmenuentry a { linux /k $root $? }"),
        "hd0,msdos1 0"
    );
    assert_eq!(
        args_of("menuentry a { search --fs-uuid --set=root nope; linux /k $? }"),
        "5"
    );
}

#[test]
fn source_adds_entries_like_41_custom() {
    let cfg = data("demo.grub.cfg");
    let h = FakeHost::new()
        .device("hd0", None, None)
        .device(
            "hd0,msdos1",
            Some("d831fb7b-e30b-4bc4-a4cb-c8009e8ca6b0"),
            None,
        )
        .debian_kernels("hd0,msdos1", "/boot")
        .file("hd0,msdos1", "/k", b"k")
        .file(
            "hd0,msdos1",
            "/boot/grub/custom.cfg",
            b"menuentry 'From custom.cfg' { linux /k from=$config_file }\n",
        );
    let e = eval(&cfg, "hd0,msdos1", &h).unwrap();
    assert_eq!(e.menu.items.len(), 3);
    assert_eq!(e.menu.items[2].title(), "From custom.cfg");
    // config_file is restored after `source`: the entry body runs later, at top level.
    assert_eq!(
        e.menu.entry(&[2]).unwrap().boot.clone().unwrap().args,
        "from=(hd0,msdos1)/boot/grub/grub.cfg"
    );
}

#[test]
fn missing_files_make_entries_unbootable_not_the_menu() {
    let e = ev("menuentry a { linux /nope }\nmenuentry b { linux /k\n initrd /nope }\nmenuentry c { chainloader +1 }\nmenuentry d { linux /k }");
    let err = |i: usize| e.menu.entry(&[i]).unwrap().boot.clone().unwrap_err();
    assert!(err(0).contains("not found"));
    assert!(err(1).contains("initrd"));
    assert!(err(2).contains("chainloader"));
    assert!(e.menu.entry(&[3]).unwrap().boot.is_ok());
    assert_eq!(e.menu.default, Some(vec![0]));
}

#[test]
fn fallback_used_when_default_cannot_boot() {
    assert_eq!(default_of("set fallback='2 1'\nmenuentry a { chainloader +1 }\nmenuentry b { linux /k }\nmenuentry c { multiboot /xen }"), vec![1]);
}

#[test]
fn initrd_before_linux_and_linux_resets_initrd() {
    let e =
        ev("menuentry a { initrd /i1; linux /k; }\nmenuentry b { linux /k; initrd /i1; linux /k }");
    assert!(e
        .menu
        .entry(&[0])
        .unwrap()
        .boot
        .clone()
        .unwrap()
        .initrds
        .is_empty());
    assert!(e
        .menu
        .entry(&[1])
        .unwrap()
        .boot
        .clone()
        .unwrap()
        .initrds
        .is_empty());
}

#[test]
fn boot_stops_the_entry_body() {
    assert_eq!(
        args_of("menuentry a { linux /k one; boot; linux /k two }"),
        "one"
    );
}

// ---- default (normal/menu.c) ----

const THREE: &str = "menuentry 'Alpha' --id a-id { linux /k a }
submenu 'Sub>menu' --id s-id {
  menuentry 'Inner 0' --id i0 { linux /k i0 }
  menuentry 'Inner 1' --id i1 { linux /k i1 }
}
menuentry 'Gamma' { linux /k g }
";

#[test]
fn default_forms() {
    let d = |v: &str| default_of(&format!("set default=\"{v}\"\n{THREE}"));
    assert_eq!(d("2"), vec![2]);
    assert_eq!(d("Gamma"), vec![2]);
    assert_eq!(d("a-id"), vec![0]);
    assert_eq!(d("1>1"), vec![1, 1]);
    assert_eq!(d("s-id>i1"), vec![1, 1]);
    assert_eq!(d("Sub>>menu>Inner 1"), vec![1, 1]);
    assert_eq!(d("Sub>>menu>1"), vec![1, 1]);
    // A default naming a submenu boots that submenu's own default (its entry 0).
    assert_eq!(d("s-id"), vec![1, 0]);
    // Unknown names, out of range numbers, empty: entry 0.
    assert_eq!(d("nothing"), vec![0]);
    assert_eq!(d("7"), vec![0]);
    assert_eq!(d(""), vec![0]);
    assert_eq!(d("-1"), vec![0]);
    // grub_strtoul stops at the first non-digit without an error; 0x is hex.
    assert_eq!(d("2nd"), vec![2]);
    assert_eq!(d(" 0x2"), vec![2]);
    assert_eq!(d("99999999999999999999999"), vec![0]);
    // (int) cast of 2^32 + 2.
    assert_eq!(d("4294967298"), vec![2]);
    assert_eq!(default_of(THREE), vec![0]);
}

#[test]
fn submenu_body_may_set_its_own_default() {
    let cfg = "set default=1\nsubmenu S { menuentry x { linux /k x }\n menuentry y { linux /k y }\n }\nsubmenu T { set default=1\n menuentry x { linux /k x }\n menuentry y { linux /k y }\n }";
    assert_eq!(default_of(cfg), vec![1, 1]);
    assert_eq!(
        default_of(&cfg.replace("default=1\nsub", "default=0\nsub")),
        vec![0, 0]
    );
}

#[test]
fn saved_entry_script_without_grubenv_file() {
    assert_eq!(
        default_of(&format!(
            "load_env\nset default=\"${{saved_entry}}\"\n{THREE}"
        )),
        vec![0]
    );
}

#[test]
fn timeout_values() {
    assert_eq!(
        ev("set timeout=0\nmenuentry a { linux /k }").menu.timeout,
        Some(0)
    );
    assert_eq!(
        ev("set timeout=-1\nmenuentry a { linux /k }").menu.timeout,
        None
    );
    assert_eq!(
        ev("set timeout=x\nmenuentry a { linux /k }").menu.timeout,
        None
    );
    assert_eq!(ev("menuentry a { linux /k }").menu.timeout, None);
}

// ---- contexts (normal/context.c) ----

#[test]
fn submenus_see_exported_variables_only() {
    let e = ev("set plain=P\nset exp=E\nexport exp\nsubmenu s { menuentry \"$plain-$exp\" { linux /k $plain $exp } }");
    match &e.menu.items[0] {
        MenuItem::Submenu { items, .. } => {
            assert_eq!(items[0].title(), "-E");
        }
        MenuItem::Entry(_) => panic!(),
    }
    assert_eq!(
        e.menu.entry(&[0, 0]).unwrap().boot.clone().unwrap().args,
        "E"
    );
}

#[test]
fn entries_see_final_top_level_variables_and_chosen() {
    assert_eq!(
        args_of("menuentry a --id 'x>y' { linux /k $v $chosen }\nset v=late"),
        "late x>>y"
    );
}

#[test]
fn debian_menuentry_id_option_must_be_exported() {
    let cfg = "menuentry_id_option=--id\nsubmenu S $menuentry_id_option sid { menuentry E $menuentry_id_option eid { linux /k } }";
    // Not exported: inside the submenu `--id` is empty and `eid` becomes an argument.
    let e = ev(cfg);
    assert_eq!(e.menu.items[0].id(), Some("sid"));
    match &e.menu.items[0] {
        MenuItem::Submenu { items, .. } => assert_eq!(items[0].id(), None),
        MenuItem::Entry(_) => panic!(),
    }
    let e = ev(&cfg.replace("\nsubmenu", "\nexport menuentry_id_option\nsubmenu"));
    match &e.menu.items[0] {
        MenuItem::Submenu { items, .. } => assert_eq!(items[0].id(), Some("eid")),
        MenuItem::Entry(_) => panic!(),
    }
}

// ---- control flow (execute.c) and test (commands/test.c) ----

#[test]
fn if_elif_else_for_while() {
    let cfg = "
if false; then a=1; elif [ x = y ]; then a=2; else a=3; fi
for i in 1 2 3; do n=$n$i; if [ $i = 2 ]; then break; fi; done
c=
while [ \"$c\" != xxx ]; do c=x$c; done
until true; do u=never; done
menuentry t { linux /k $a $n $c $u }";
    assert_eq!(args_of(cfg), "3 12 xxx");
}

#[test]
fn test_expressions() {
    let t = |e: &str| {
        args_of(&format!(
            "if {e}; then r=yes; else r=no; fi\nmenuentry t {{ linux /k $r }}"
        ))
    };
    assert_eq!(t("[ ]"), "yes");
    assert_eq!(t("[ \"\" ]"), "no");
    assert_eq!(t("[ -n \"\" ]"), "no");
    assert_eq!(t("[ -z \"\" ]"), "yes");
    assert_eq!(t("[ a = a -a b != c ]"), "yes");
    assert_eq!(t("[ a = b -o c = c ]"), "yes");
    assert_eq!(t("[ ! a = a ]"), "no");
    assert_eq!(t("! [ a = b ]"), "yes");
    assert_eq!(t("[ ( a = b ) -o ( 1 -lt 2 ) ]"), "yes");
    assert_eq!(t("[ 10 -gt 9 ]"), "yes");
    assert_eq!(t("[ 10 '>' 9 ]"), "no");
    assert_eq!(t("test -f /k"), "yes");
    assert_eq!(t("test -f /nope"), "no");
    assert_eq!(t("[ -s (hd0,msdos2)/k2 ]"), "yes");
    assert_eq!(t("[ -e / ]"), "yes");
    assert_eq!(t("[ vmlinuz-10 -pgt vmlinuz-9 ]"), "yes");
}

#[test]
fn functions_return_and_shift() {
    let cfg = "function f { shift; r=$1; return 3; r=never; }\nf a b\ns=$?\nmenuentry t { linux /k $r $s }";
    assert_eq!(args_of(cfg), "b 3");
}

// ---- what xlboot refuses, and what it only notes ----

#[test]
fn unsupported_commands_name_file_and_line() {
    let e = eval(
        b"set a=1\n\nprobe -u $root --set=u\n",
        "hd0,msdos1",
        &host(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
    assert_eq!(e.line, 3);
    assert_eq!(e.file, "(hd0,msdos1)/boot/grub/grub.cfg");
    assert!(e.to_string().contains("probe"));
    assert_eq!(
        err_kind("smbios --type 1 --set=v\nmenuentry a { linux /k }"),
        ConfigErrorKind::Unsupported
    );
    assert_eq!(
        err_kind("insmod blscfg\nblscfg"),
        ConfigErrorKind::Unsupported
    );
}

#[test]
fn unknown_command_deciding_a_condition_is_refused() {
    assert_eq!(
        err_kind("if frobnicate; then set default=1; fi\nmenuentry a { linux /k }"),
        ConfigErrorKind::Unsupported
    );
    // Unknown but not deciding anything: a note.
    let e = ev("frobnicate\nmenuentry a { linux /k }");
    assert!(e.notes.iter().any(|n| n.contains("frobnicate")));
}

#[test]
fn display_commands_are_notes() {
    let e = ev("insmod gfxterm\nterminal_output gfxterm\nif loadfont unicode; then set f=1; fi\nbackground_image /x.png\nmenuentry a { linux /k $f }");
    assert!(e.notes.iter().any(|n| n.contains("terminal_output")));
    assert_eq!(e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args, "");
}

#[test]
fn entry_using_unsupported_command_is_unbootable_only() {
    let e = ev("menuentry a { read v; linux /k }\nmenuentry b { linux /k }");
    assert!(e.menu.entry(&[0]).unwrap().boot.is_err());
    assert!(e.menu.entry(&[1]).unwrap().boot.is_ok());
}

#[test]
fn unquoted_greater_than_is_a_syntax_error_as_in_grub() {
    assert_eq!(err_kind("set default=1>2"), ConfigErrorKind::Syntax);
}

#[test]
fn directory_tests_use_the_host() {
    let h = host().dir("hd0,msdos1", "/boot");
    let r = |cfg: &str| {
        let e = eval(cfg.as_bytes(), "hd0,msdos1", &h).unwrap();
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args
    };
    assert_eq!(r("if [ -d /boot/ ]; then a=d; fi\nif [ -e /boot ]; then b=e; fi\nif [ -d /k ]; then c=no; fi\nmenuentry t { linux /k $a $b $c }"), "d e");
}

/// A host that cannot answer directory questions (the trait's default).
struct NoDirs(FakeHost);
impl xlboot_config::ConfigHost for NoDirs {
    fn devices(&self) -> Vec<xlboot_config::Device> {
        self.0.devices()
    }
    fn canonical_device(&self, d: &str) -> Option<String> {
        self.0.canonical_device(d)
    }
    fn file_size(
        &self,
        f: &xlboot_config::FilePath,
    ) -> Result<Option<u64>, xlboot_config::HostError> {
        self.0.file_size(f)
    }
    fn read_file(
        &self,
        f: &xlboot_config::FilePath,
        max: usize,
    ) -> Result<Option<Vec<u8>>, xlboot_config::HostError> {
        self.0.read_file(f, max)
    }
}

#[test]
fn directory_tests_without_host_support_are_refused_not_guessed() {
    let h = NoDirs(host());
    let ctx = common::ctx("hd0,msdos1", "/boot/grub/grub.cfg");
    let r = xlboot_config::grub2::evaluate(b"if [ -d /boot ]; then set default=1; fi", &ctx, &h);
    assert_eq!(r.unwrap_err().kind, ConfigErrorKind::Unsupported);
    // -f and -s need only file lookups.
    let r = xlboot_config::grub2::evaluate(
        b"if [ -f /k -a -s /k ]; then a=1; fi\nmenuentry a { linux /k }",
        &ctx,
        &h,
    );
    assert!(r.is_ok());
}

#[test]
fn source_and_setparams_inside_entries() {
    let h = host().file(
        "hd0,msdos1",
        "/boot/grub/opts.cfg",
        b"opts=\"$opts from-file\"\n",
    );
    let e = eval(
        b"menuentry t a b { setparams x y z; opts=$3; source $prefix/opts.cfg; linux /k $opts $# }",
        "hd0,msdos1",
        &h,
    )
    .unwrap();
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "z from-file 3"
    );
}

#[test]
fn configfile_menu_replaces_the_stub() {
    // The shape of an EFI stub grub.cfg (Fedora/RHEL): find the real config and open it.
    let stub = "search --no-floppy --fs-uuid --set=dev 2222-bbbb
set prefix=($dev)/grub2
export $prefix
configfile $prefix/grub.cfg
menuentry never { linux /k }
";
    let real = b"set default=1\nset timeout=3\nmenuentry one { linux /k2 one }\nmenuentry two { linux /k2 two $dev }\n";
    let h = host().file("hd0,msdos2", "/grub2/grub.cfg", real);
    let e = eval(stub.as_bytes(), "hd0,msdos1", &h).unwrap();
    assert_eq!(e.menu.items.len(), 2);
    assert_eq!(e.menu.default, Some(vec![1]));
    assert_eq!(e.menu.timeout, Some(3));
    // `dev` was not exported: the new context does not see it. `root` is exported but
    // still the stub's, so /k2 is looked up there (and is not on msdos1).
    assert!(e.menu.entry(&[1]).unwrap().boot.is_err());
    let real2 = b"set root=(hd0,msdos2)\nmenuentry two { linux /k2 two $dev $config_file }\n";
    let h = host().file("hd0,msdos2", "/grub2/grub.cfg", real2);
    let e = eval(stub.as_bytes(), "hd0,msdos1", &h).unwrap();
    assert_eq!(
        e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args,
        "two (hd0,msdos2)/grub2/grub.cfg"
    );
}

#[test]
fn configfile_without_entries_returns_and_in_entries_opens_a_menu() {
    let h = host().file("hd0,msdos1", "/empty.cfg", b"set x=1\n").file(
        "hd0,msdos1",
        "/other.cfg",
        b"menuentry inner { linux /k $y $x }\nmenuentry second { linux /k 2 }\n",
    );
    let e = eval(
        b"configfile /empty.cfg\nmenuentry a { linux /k $x }\n\
          menuentry b { configfile /empty.cfg }\n\
          menuentry c { y=local; export y; configfile /other.cfg; linux /k never }",
        "hd0,msdos1",
        &h,
    )
    .unwrap();
    assert_eq!(e.menu.items.len(), 3);
    // The new context is closed again: `x` is gone.
    assert_eq!(e.menu.entry(&[0]).unwrap().boot.clone().unwrap().args, "");
    // A config without entries comes back, and the body loads nothing.
    assert!(e
        .menu
        .entry(&[1])
        .unwrap()
        .boot
        .clone()
        .unwrap_err()
        .contains("no Linux kernel"));
    // With entries, choosing `c` shows that menu: its entries see the exported `y`,
    // and the rest of the body never runs.
    assert_eq!(e.menu.items[2].title(), "c");
    assert_eq!(
        e.menu.entry(&[2, 0]).unwrap().boot.clone().unwrap().args,
        "local"
    );
    assert_eq!(e.menu.entry(&[2, 1]).unwrap().title, "second");
}

#[test]
fn entries_that_reload_the_menu_stop_after_a_few_menus() {
    let cfg = b"menuentry a { linux /k }\nmenuentry reload { configfile /boot/grub/grub.cfg }\n\
                menuentry again { configfile /boot/grub/grub.cfg }\n";
    let h = host().file("hd0,msdos1", "/boot/grub/grub.cfg", cfg);
    let e = eval(cfg, "hd0,msdos1", &h).unwrap();
    assert!(e.menu.entry(&[0]).unwrap().boot.is_ok());
    assert!(e.menu.entry(&[1, 2, 1, 0]).unwrap().boot.is_ok());
    let deepest = e.menu.entry(&[1, 1, 1, 1]).unwrap();
    assert!(deepest.boot.clone().unwrap_err().contains("menus deep"));
}

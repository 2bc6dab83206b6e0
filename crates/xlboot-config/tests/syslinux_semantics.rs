//! syslinux 6.04's rules, one test per rule (each fails if the rule is wrong), on an
//! in-memory guest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fp, FakeHost};
use xlboot_config::error::ConfigErrorKind;
use xlboot_config::grub2::{Evaluated, Limits};
use xlboot_config::{BootSpec, ConfigError, Menu};

const DEV: &str = "hd0,msdos1";
const CFG: &str = "/boot/extlinux/extlinux.conf";

fn eval_at(path: &str, cfg: &str, host: &FakeHost) -> Result<Evaluated, ConfigError> {
    xlboot_config::syslinux::evaluate(cfg.as_bytes(), &fp(DEV, path), &Limits::default(), host)
}

fn eval(cfg: &str, host: &FakeHost) -> Evaluated {
    eval_at(CFG, cfg, host).unwrap_or_else(|e| panic!("{e}"))
}

fn default_boot(m: &Menu) -> BootSpec {
    let p = m.default.clone().expect("a default");
    m.entry(&p)
        .expect("default exists")
        .boot
        .clone()
        .unwrap_or_else(|e| panic!("not bootable: {e}"))
}

fn titles(m: &Menu) -> Vec<String> {
    m.flatten().iter().map(|e| e.title_path.clone()).collect()
}

fn host() -> FakeHost {
    FakeHost::new().device(DEV, None, None)
}

#[test]
fn label_default_kernel_append_boot_image() {
    let m = eval(
        "DEFAULT second\nLABEL first\n  KERNEL /vmlinuz-1\nLABEL second\n  KERNEL ../vmlinuz-2\n  APPEND root=/dev/xvda1  ro quiet \n",
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![1]));
    let b = default_boot(&m);
    // Relative to the config's directory; BOOT_IMAGE= names the kernel as written;
    // APPEND is kept byte for byte (double and trailing spaces).
    assert_eq!(b.kernel, fp(DEV, "/boot/vmlinuz-2"));
    assert_eq!(b.args, "BOOT_IMAGE=../vmlinuz-2 root=/dev/xvda1  ro quiet ");
    assert!(b.initrds.is_empty());
    // A label with no APPEND at all: BOOT_IMAGE= and a space.
    let first = m.entry(&[0]).unwrap().boot.clone().unwrap();
    assert_eq!(first.args, "BOOT_IMAGE=/vmlinuz-1 ");
    assert!(
        m.default_rule.contains("DEFAULT second (label)"),
        "{}",
        m.default_rule
    );
}

#[test]
fn keywords_ignore_case_and_label_is_kernel() {
    let m = eval("default Lx\nlabel Lx\n\tappend ro\n", &host()).menu;
    let b = default_boot(&m);
    // No KERNEL: the label itself is the kernel.
    assert_eq!(b.kernel, fp(DEV, "/boot/extlinux/Lx"));
    assert_eq!(b.args, "BOOT_IMAGE=Lx ro");
    // Labels compare exactly: `lx` is no label, so it is a kernel of its own.
    let m = eval("DEFAULT lx\nLABEL Lx\n KERNEL /k\n", &host()).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/boot/extlinux/lx"));
    assert_eq!(titles(&m), ["Lx", "DEFAULT lx"]);
}

#[test]
fn default_kernel_command_line() {
    let m = eval(
        "DEFAULT /boot/vmlinuz-6 root=/dev/xvda1 initrd=/boot/initrd.img-6\nLABEL other\n KERNEL /k\n",
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![1]));
    let b = default_boot(&m);
    assert_eq!(b.kernel, fp(DEV, "/boot/vmlinuz-6"));
    assert_eq!(b.initrds, [fp(DEV, "/boot/initrd.img-6")]);
    assert_eq!(
        b.args,
        "BOOT_IMAGE=/boot/vmlinuz-6 root=/dev/xvda1 initrd=/boot/initrd.img-6"
    );
    assert!(m.default_rule.contains("kernel command line"));
}

#[test]
fn default_label_with_more_arguments() {
    let m = eval(
        "DEFAULT linux single\nLABEL linux\n KERNEL /vmlinuz\n APPEND ro\n",
        &host(),
    )
    .menu;
    // Not the plain entry: the label's command line and the extra words.
    assert_eq!(m.default, Some(vec![1]));
    assert_eq!(default_boot(&m).args, "BOOT_IMAGE=/vmlinuz ro single");
}

#[test]
fn initrd_keyword_comma_list_and_append_initrd() {
    let m = eval(
        "DEFAULT a\nLABEL a\n LINUX /vmlinuz\n INITRD /ucode.img,initrd.img\n APPEND ro\n",
        &host(),
    )
    .menu;
    let b = default_boot(&m);
    assert_eq!(
        b.initrds,
        [fp(DEV, "/ucode.img"), fp(DEV, "/boot/extlinux/initrd.img")]
    );
    // INITRD goes after APPEND on the command line, which the kernel receives.
    assert_eq!(
        b.args,
        "BOOT_IMAGE=/vmlinuz ro initrd=/ucode.img,initrd.img"
    );
    // Both: syslinux loads the first `initrd=` only, the one in APPEND.
    let m = eval(
        "DEFAULT a\nLABEL a\n LINUX /vmlinuz\n INITRD /b.img\n APPEND initrd=/a.img ro\n",
        &host(),
    )
    .menu;
    let b = default_boot(&m);
    assert_eq!(b.initrds, [fp(DEV, "/a.img")]);
    assert_eq!(b.args, "BOOT_IMAGE=/vmlinuz initrd=/a.img ro initrd=/b.img");
    // An empty name fails to load.
    let m = eval(
        "DEFAULT a\nLABEL a\n LINUX /v\n APPEND initrd= ro\n",
        &host(),
    )
    .menu;
    assert!(m.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn global_append_and_append_dash() {
    let cfg = "APPEND console=hvc0\nDEFAULT b\nLABEL a\n KERNEL /a\nLABEL b\n KERNEL /b\n APPEND -\nLABEL c\n KERNEL /c\n APPEND own\n";
    let m = eval(cfg, &host()).menu;
    let args: Vec<String> = m
        .flatten()
        .iter()
        .map(|e| e.entry.boot.clone().unwrap().args)
        .collect();
    assert_eq!(
        args,
        [
            "BOOT_IMAGE=/a console=hvc0",
            "BOOT_IMAGE=/b ",
            "BOOT_IMAGE=/c own"
        ]
    );
    // An APPEND after a LABEL belongs to that label, not to the global section.
    let m = eval("LABEL a\n KERNEL /a\nAPPEND x\nDEFAULT a\n", &host()).menu;
    assert_eq!(default_boot(&m).args, "BOOT_IMAGE=/a x");
}

#[test]
fn image_type_by_extension() {
    let m = eval(
        "DEFAULT k\nLABEL k\n KERNEL /boot/vmlinuz-5.10.0\nLABEL l\n LINUX /boot/vmlinuz-5.10.0\n",
        &host(),
    )
    .menu;
    let k = m.entry(&[0]).unwrap().boot.clone().unwrap_err();
    assert!(k.contains("PXE"), "{k}");
    assert!(m.entry(&[1]).unwrap().boot.is_ok());
    let m = eval(
        "DEFAULT c\nLABEL c\n COM32 chain.c32\n APPEND hd0\n",
        &host(),
    )
    .menu;
    assert!(m.entry(&[0]).unwrap().boot.is_err());
    let m = eval("DEFAULT c\nLABEL c\n LOCALBOOT 0\n", &host()).menu;
    assert!(m.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn include_relative_labels_missing_and_tags() {
    let h = host()
        .file(DEV, "/boot/extlinux/linux.cfg", b"LABEL l0\n MENU LABEL Debian\n LINUX /boot/vmlinuz\n APPEND ro\nLABEL l1\n LINUX /boot/vmlinuz.old\n")
        .file(DEV, "/boot/extlinux/sub.cfg", b"LABEL s\n LINUX /s\n");
    let m = eval(
        "DEFAULT l1\nINCLUDE linux.cfg\nINCLUDE missing.cfg\nMENU INCLUDE sub.cfg Other kernels\n",
        &h,
    );
    assert!(m.notes.iter().any(|n| n.contains("missing.cfg")));
    let m = m.menu;
    // No UI: ldlinux's flat list of labels.
    assert_eq!(titles(&m), ["Debian", "l1", "s"]);
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/boot/vmlinuz.old"));
    // With the menu, the tag makes a submenu.
    let m = eval(
        "UI menu.c32\nDEFAULT s\nINCLUDE linux.cfg\nMENU INCLUDE sub.cfg Other kernels\n",
        &h,
    )
    .menu;
    assert_eq!(titles(&m), ["Debian", "l1", "Other kernels>s"]);
    assert_eq!(m.default, Some(vec![2, 0]));
}

#[test]
fn include_loop_and_depth_are_limits() {
    let h = host().file(DEV, "/boot/extlinux/a.cfg", b"INCLUDE a.cfg\n");
    let e = eval_at(CFG, "INCLUDE a.cfg\n", &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    assert!(e.message.contains("INCLUDE nested"), "{e}");
    // Sixteen levels are fine (the config is level 1).
    let mut h = host();
    for i in 0..14 {
        let body = format!("INCLUDE {}.cfg\n", i + 1);
        h = h.file(DEV, &format!("/boot/extlinux/{i}.cfg"), body.as_bytes());
    }
    h = h.file(
        DEV,
        "/boot/extlinux/14.cfg",
        b"DEFAULT x\nLABEL x\n LINUX /x\n",
    );
    let m = eval("INCLUDE 0.cfg\n", &h).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/x"));
    // The include-everything-twice bomb stops at the file count.
    let h = host().file(
        DEV,
        "/boot/extlinux/b.cfg",
        b"INCLUDE b.cfg\nINCLUDE b.cfg\n",
    );
    let h = h.file(DEV, "/boot/extlinux/c.cfg", b"INCLUDE b.cfg\n");
    assert_eq!(
        eval_at(CFG, "INCLUDE c.cfg\n", &h).unwrap_err().kind,
        ConfigErrorKind::Limit
    );
}

#[test]
fn huge_lines_and_files() {
    // fgets cuts a long line: the piece after 4095 bytes is a line of its own.
    let cfg = format!("# {}DEFAULT x\nLABEL x\n KERNEL /x\n", "a".repeat(4093));
    let m = eval(&cfg, &host()).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/x"));
    let big = "# x\n".repeat(2 << 20);
    let e = eval_at(CFG, &big, &host()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    // A command line of 2048 bytes or more is refused by syslinux.
    let cfg = format!(
        "DEFAULT x\nLABEL x\n KERNEL /x\n APPEND {}\n",
        "b".repeat(2100)
    );
    let m = eval(&cfg, &host()).menu;
    assert!(m.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn ui_menu_default_rules() {
    let cfg = "UI menu.c32\nTIMEOUT 50\nLABEL a\n LINUX /a\nLABEL b\n MENU DEFAULT\n LINUX /b\nLABEL c\n LINUX /c\n";
    let m = eval(cfg, &host()).menu;
    assert_eq!(m.default, Some(vec![1]));
    assert_eq!(m.timeout, Some(5));
    assert!(m.default_rule.contains("MENU DEFAULT"));
    // DEFAULT naming a label wins over MENU DEFAULT when UI runs the menu.
    let m = eval(&format!("DEFAULT c\n{cfg}"), &host()).menu;
    assert_eq!(m.default, Some(vec![2]));
    // ONTIMEOUT with a TIMEOUT: what the menu runs when the time is up.
    let m = eval(&format!("ONTIMEOUT c quiet\n{cfg}"), &host()).menu;
    assert_eq!(m.default, Some(vec![3]));
    assert_eq!(default_boot(&m).args, "BOOT_IMAGE=/c quiet");
    // Other UI modules are not evaluated.
    let e = eval_at(CFG, "UI gfxboot bootlogo\nLABEL a\n LINUX /a\n", &host()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
}

#[test]
fn default_menu_c32_without_ui() {
    // pygrub's alpine-linux-2.3.2.extlinux: DEFAULT starts the menu, whose default is
    // the MENU DEFAULT entry.
    let cfg = "DEFAULT menu.c32\nPROMPT 0\nMENU TITLE Alpine/Linux Boot Menu\nMENU HIDDEN\nTIMEOUT 30\nLABEL other\n KERNEL vmlinuz-old\nLABEL grsec\n  MENU DEFAULT\n  MENU LABEL Linux 3.0.10-grsec\n  KERNEL vmlinuz-3.0.10-grsec\n  APPEND initrd=initramfs-3.0.10-grsec root=UUID=a97f quiet\n";
    let m = eval_at("/extlinux.conf", cfg, &host()).unwrap().menu;
    assert_eq!(m.default, Some(vec![1]));
    assert_eq!(m.timeout, Some(3));
    let b = default_boot(&m);
    assert_eq!(b.kernel, fp(DEV, "/vmlinuz-3.0.10-grsec"));
    assert_eq!(b.initrds, [fp(DEV, "/initramfs-3.0.10-grsec")]);
    assert_eq!(
        b.args,
        "BOOT_IMAGE=vmlinuz-3.0.10-grsec initrd=initramfs-3.0.10-grsec root=UUID=a97f quiet"
    );
}

#[test]
fn prompt_timeout_ontimeout() {
    let labels = "LABEL a\n LINUX /a\nLABEL b\n LINUX /b\n";
    // No PROMPT: DEFAULT boots at once; TIMEOUT and ONTIMEOUT do not matter.
    let m = eval(
        &format!("DEFAULT a\nTIMEOUT 10\nONTIMEOUT b\n{labels}"),
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![0]));
    assert_eq!(m.timeout, Some(0));
    // PROMPT 1 and a TIMEOUT: ONTIMEOUT runs when it runs out.
    let m = eval(
        &format!("PROMPT 1\nDEFAULT a\nTIMEOUT 10\nONTIMEOUT b\n{labels}"),
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![1]));
    assert_eq!(m.timeout, Some(1));
    // PROMPT 1 without a TIMEOUT waits for ever; Enter boots DEFAULT.
    let m = eval(
        &format!("PROMPT 1\nDEFAULT a\nONTIMEOUT b\n{labels}"),
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![0]));
    assert_eq!(m.timeout, None);
    // Neither DEFAULT nor UI: syslinux waits at its prompt.
    let e = eval_at(CFG, labels, &host()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unsupported);
}

#[test]
fn mboot_xen_chain() {
    let cfg = "DEFAULT xen\nLABEL xen\n KERNEL mboot.c32\n APPEND /xen.gz dom0_mem=1G --- /vmlinuz-6  root=/dev/xvda1   ro --- /initrd.img-6 --- /ucode.bin\n";
    let m = eval(cfg, &host()).menu;
    let b = default_boot(&m);
    assert_eq!(b.kernel, fp(DEV, "/vmlinuz-6"));
    assert_eq!(b.initrds, [fp(DEV, "/initrd.img-6")]);
    // mboot joins the words by single spaces; Xen drops the file name.
    assert_eq!(b.args, "root=/dev/xvda1 ro");
    // `DEFAULT mboot.c32 ...` as a command line, with an option before the files.
    let m = eval(
        "DEFAULT /boot/mboot.c32 -solaris xen.gz --- vmlinuz quiet\n",
        &host(),
    )
    .menu;
    let b = default_boot(&m);
    assert_eq!(b.kernel, fp(DEV, "/boot/extlinux/vmlinuz"));
    assert!(b.initrds.is_empty());
    assert_eq!(b.args, "quiet");
    let m = eval(
        "DEFAULT x\nLABEL x\n KERNEL mboot.c32\n APPEND xen.gz\n",
        &host(),
    )
    .menu;
    assert!(m.entry(&[0]).unwrap().boot.is_err());
}

#[test]
fn config_keyword_follows_the_other_file() {
    let h = host().file(
        DEV,
        "/other/syslinux.cfg",
        b"DEFAULT n\nLABEL n\n LINUX vmlinuz\n APPEND nested\n",
    );
    let m = eval(
        "DEFAULT c\nLABEL c\n CONFIG /other/syslinux.cfg /other\nLABEL d\n CONFIG /other/syslinux.cfg\n",
        &h,
    )
    .menu;
    let b = default_boot(&m);
    // The working directory given after the file name.
    assert_eq!(b.kernel, fp(DEV, "/other/vmlinuz"));
    assert_eq!(b.args, "BOOT_IMAGE=vmlinuz nested");
    // Without one, the working directory stays.
    let d = m.entry(&[1]).unwrap().boot.clone().unwrap();
    assert_eq!(d.kernel, fp(DEV, "/boot/extlinux/vmlinuz"));
    // Many CONFIG labels, each a whole config to read: a budget for all together.
    let many: String = (0..40)
        .map(|i| format!("LABEL c{i}\n CONFIG /other/syslinux.cfg\n"))
        .collect();
    let e = eval_at(CFG, &format!("DEFAULT c0\n{many}"), &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    assert!(e.message.contains("CONFIG files"), "{e}");
    // A CONFIG loop is a limit.
    let h = host().file(DEV, "/loop.cfg", b"DEFAULT c\nLABEL c\n CONFIG /loop.cfg\n");
    let e = eval_at("/loop.cfg", "DEFAULT c\nLABEL c\n CONFIG /loop.cfg\n", &h).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
}

#[test]
fn hidden_labels() {
    let cfg = "LABEL a\n LINUX /a\nLABEL h\n MENU HIDE\n LINUX /h\nDEFAULT h\n";
    // Without the menu, the label still boots.
    let m = eval(cfg, &host()).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/h"));
    // The menu ignores a DEFAULT naming a hidden label and does not list it.
    let m = eval(&format!("UI vesamenu.c32\n{cfg}"), &host()).menu;
    assert_eq!(titles(&m), ["a"]);
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/a"));
}

#[test]
fn label_words_for_ldlinux_whole_lines_for_menu() {
    let cfg = "DEFAULT My\nLABEL My Linux\n MENU LABEL ^Debian\n KERNEL /k\n";
    // ldlinux's label is the first word, so DEFAULT My names it.
    let m = eval(cfg, &host()).menu;
    assert_eq!(m.default, Some(vec![0]));
    assert_eq!(titles(&m), ["Debian"]);
    // The menu's label is `My Linux`: DEFAULT My names nothing there, and the first
    // entry is the default.
    let m = eval(
        &format!("UI menu.c32\n{cfg}LABEL x\n KERNEL /x\n MENU DEFAULT\n"),
        &host(),
    )
    .menu;
    assert_eq!(m.default, Some(vec![1]));
}

#[test]
fn submenus_and_separators() {
    let cfg = "UI menu.c32\nDEFAULT deep\nLABEL a\n LINUX /a\nMENU SEPARATOR\nMENU BEGIN more\n MENU TITLE More kernels\n LABEL deep\n  LINUX /deep\n LABEL up\n  MENU EXIT\nMENU END\nLABEL z\n LINUX /z\n";
    let m = eval(cfg, &host()).menu;
    assert_eq!(
        titles(&m),
        ["a", "More kernels>deep", "More kernels>up", "z"]
    );
    assert_eq!(m.default, Some(vec![1, 0]));
    assert!(m.entry(&[1, 1]).unwrap().boot.is_err());
    // A separator first: the highlight moves to the first real entry.
    let m = eval("UI menu.c32\nMENU SEPARATOR\nLABEL a\n LINUX /a\n", &host()).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/a"));
}

#[test]
fn implicit_and_extension_probing() {
    let m = eval(
        "IMPLICIT 0\nDEFAULT /vmlinuz ro\nLABEL a\n LINUX /a\n",
        &host(),
    )
    .menu;
    assert!(m.entry(&m.default.clone().unwrap()).unwrap().boot.is_err());
    // `DEFAULT hdt` runs hdt.c32 when that file exists in the working directory.
    let h = host().file(DEV, "/boot/extlinux/hdt.c32", b"module");
    let m = eval("DEFAULT hdt\n", &h).menu;
    let why = m
        .entry(&m.default.clone().unwrap())
        .unwrap()
        .boot
        .clone()
        .unwrap_err();
    assert!(why.contains("hdt.c32"), "{why}");
    let m = eval("DEFAULT hdt\n", &host()).menu;
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/boot/extlinux/hdt"));
}

#[test]
fn text_blocks_say_and_sysappend() {
    let cfg = "TEXT HELP\nDEFAULT wrong\nENDTEXT\nSAY hello there\nDEFAULT a\nLABEL a\n LINUX /a\n IPAPPEND 2\nLABEL b\n LINUX /b\n SYSAPPEND 4\n";
    let ev = eval(cfg, &host());
    assert_eq!(ev.echoes, ["hello there"]);
    // Bits 1 and 2 are PXE-only and empty on a disk; others depend on the machine.
    assert_eq!(default_boot(&ev.menu).args, "BOOT_IMAGE=/a ");
    assert!(ev.menu.entry(&[1]).unwrap().boot.is_err());
}

#[test]
fn many_labels_and_deep_menus_are_bounded() {
    // More labels than the menu budget: a limit, not a long evaluation.
    let many: String = (0..5000)
        .map(|i| format!("LABEL l{i}\n LINUX /k{i}\n"))
        .collect();
    let e = eval_at(CFG, &format!("DEFAULT l1\n{many}"), &host()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    // Submenus nested deeper than the menu model allows.
    let deep = "MENU BEGIN x\n".repeat(20);
    let e = eval_at(
        CFG,
        &format!("UI menu.c32\n{deep}LABEL a\n LINUX /a\n"),
        &host(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Limit);
    // Within the budgets: 3000 labels spread over nested submenus, the default deep.
    let mut cfg = String::from("UI menu.c32\nDEFAULT last\n");
    for d in 0..10 {
        cfg.push_str(&format!("MENU BEGIN m{d}\n"));
        for i in 0..300 {
            cfg.push_str(&format!("LABEL l{d}-{i}\n LINUX /k\n"));
        }
    }
    cfg.push_str("LABEL last\n LINUX /last\n");
    let start = std::time::Instant::now();
    let m = eval(&cfg, &host()).menu;
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    assert_eq!(m.default.as_ref().map(Vec::len), Some(11));
    assert_eq!(default_boot(&m).kernel, fp(DEV, "/last"));
}

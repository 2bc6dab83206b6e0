//! `--update-grubenv` on real images: the `reboot` fixture (grubenv written by the real
//! `grub-set-default` and `grub-reboot`, grub.cfg by the real `grub-mkconfig`) and ext4
//! images made by `mke2fs -d`. The block xlboot leaves must be byte for byte the one the
//! real `grub-editenv` makes from the same edit, and nothing else on the disk may
//! change; without the option the disk must not change at all.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::have;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("xlboot-env-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("out")).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    )
}

/// Boots `image` as libxl does, plus `extra`; returns the process output and the
/// reply's `args`.
fn boot(s: &Scratch, image: &Path, extra: &[&str]) -> (Output, String) {
    let reply = s.0.join("reply");
    fs::write(&reply, b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(["-q", "--output-format=simple0"])
        .arg(format!("--output={}", reply.display()))
        .arg(format!("--output-directory={}", s.0.join("out").display()))
        .args(extra)
        .arg(image)
        .output()
        .unwrap();
    for f in fs::read_dir(s.0.join("out")).unwrap() {
        fs::remove_file(f.unwrap().path()).unwrap();
    }
    let text = String::from_utf8_lossy(&fs::read(&reply).unwrap()).into_owned();
    let args = text
        .split('\0')
        .find_map(|i| i.strip_prefix("args "))
        .unwrap_or_default()
        .to_string();
    (out, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `grub-editenv COPY args...` on a copy of `block`.
fn editenv(s: &Scratch, block: &[u8], args: &[&str]) -> Vec<u8> {
    let f = s.0.join("editenv");
    fs::write(&f, block).unwrap();
    let st = Command::new("grub-editenv")
        .arg(&f)
        .args(args)
        .status()
        .unwrap();
    assert!(st.success());
    fs::read(&f).unwrap()
}

/// The one offset where `needle` occurs in `hay`.
fn find_once(hay: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "block found {} times", hits.len());
    hits[0]
}

/// The kernel path `-n` names for `image`.
fn kernel_named(image: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(["-n", "-q"])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let reply = String::from_utf8_lossy(&out.stdout).into_owned();
    let start = reply.find(")/").map(|i| i + 1).expect("a kernel path");
    reply[start..].split('\'').next().unwrap().to_string()
}

/// A fixture whose grubenv has `next_entry` (from the real `grub-reboot`) over a
/// `saved_entry` (from the real `grub-set-default`): `next_entry` boots once, then
/// `saved_entry` boots; xlboot writes the block as GRUB's `save_env` does, byte for
/// byte what `grub-editenv` makes, and nothing else. Returns the args of the two
/// boots.
fn next_entry_is_one_boot(name: &str, once: &str, then: &str) -> Option<(String, String)> {
    let dir = fixtures();
    if !dir.join(format!("{name}.img")).is_file() {
        panic!(
            "no fixture images in {}: run scripts/fixtures/build",
            dir.display()
        );
    }
    if !have("grub-editenv", "grub-common") {
        return None;
    }
    let s = Scratch::new(name);
    let image = s.0.join(format!("{name}.img"));
    fs::copy(dir.join(format!("{name}.img")), &image).unwrap();
    let original = fs::read(&image).unwrap();
    let block = fs::read(dir.join(format!("cfg/{name}.grubenv"))).unwrap();
    let at = find_once(&original, &block);

    // Without the option: next_entry boots, and the disk is untouched.
    let (out, _) = boot(&s, &image, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read(&image).unwrap() == original,
        "read-only run changed the disk"
    );
    // Nor with -n, or when only listing.
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(["-n", "-q", "--update-grubenv"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read(&image).unwrap() == original, "-n changed the disk");
    assert_eq!(kernel_named(&image), once);

    // First boot with the option: next_entry, and next_entry cleared as Debian's
    // 00_header clears it (`set next_entry=` + `save_env next_entry`).
    let (out, first) = boot(&s, &image, &["--update-grubenv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let after = fs::read(&image).unwrap();
    let want = editenv(&s, &block, &["set", "next_entry="]);
    assert_ne!(want, block);
    let mut expected = original.clone();
    expected[at..at + 1024].copy_from_slice(&want);
    assert!(
        after == expected,
        "the disk is not the original with grub-editenv's block at byte {at}"
    );

    // Second boot: saved_entry, and nothing more to write (the entry's `savedefault`
    // saves nothing while `boot_once` is set).
    assert_eq!(kernel_named(&image), then);
    let (out, second) = boot(&s, &image, &["--update-grubenv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read(&image).unwrap() == expected,
        "second boot changed the disk"
    );
    Some((first, second))
}

#[test]
fn reboot_fixture_next_entry_is_one_boot() {
    let Some((first, second)) = next_entry_is_one_boot(
        "reboot",
        "/boot/vmlinuz-6.1.0-50-amd64",
        "/boot/vmlinuz-6.1.0-50-cloud-amd64",
    ) else {
        return;
    };
    // grub-reboot named K2's recovery entry, grub-set-default `1>0` K1's plain one.
    assert!(first.ends_with(" ro single"), "{first}");
    assert!(!second.contains("single"), "{second}");
}

/// The GRUB_* settings (GRUB_DEFAULT=saved with GRUB_SAVEDEFAULT, no submenu, no
/// recovery, the root by device name): grub-reboot's title, then grub-set-default's id.
#[test]
fn grub_knobs_fixture_boots_next_entry_then_saved_entry() {
    let Some((first, second)) = next_entry_is_one_boot(
        "grub-knobs",
        "/boot/vmlinuz-6.1.0-50-amd64",
        "/boot/vmlinuz-6.1.0-50-cloud-amd64",
    ) else {
        return;
    };
    let args = "root=/dev/xvda1 ro console=hvc0 xlboot.knobs=1 quiet loglevel=3";
    assert_eq!((first.as_str(), second.as_str()), (args, args));
}

/// An ext4 image from `mke2fs -d` of a tree with `grub.cfg` and a grubenv made by
/// `grub-editenv` (`env_args` applied to a new block).
fn guest(s: &Scratch, cfg: &str, env_args: &[&str], mke2fs: &[&str]) -> (PathBuf, Vec<u8>) {
    let root = s.0.join("root");
    fs::create_dir_all(root.join("boot/grub")).unwrap();
    fs::write(root.join("boot/grub/grub.cfg"), cfg).unwrap();
    fs::write(root.join("boot/vmlinuz"), b"kernel").unwrap();
    let env = root.join("boot/grub/grubenv");
    let st = Command::new("grub-editenv")
        .arg(&env)
        .arg("create")
        .status()
        .unwrap();
    assert!(st.success());
    if !env_args.is_empty() {
        let st = Command::new("grub-editenv")
            .arg(&env)
            .args(env_args)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let block = fs::read(&env).unwrap();
    let image = s.0.join("disk.img");
    let out = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4"])
        .args(mke2fs)
        .arg("-d")
        .arg(&root)
        .arg(&image)
        .arg("8M")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (image, block)
}

/// Debian's savedefault and Ubuntu's recordfail, run from the chosen entry's body.
const SAVEDEFAULT_CFG: &str = r#"
if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
function savedefault {
  if [ -z "${boot_once}" ]; then
    saved_entry="${chosen}"
    save_env saved_entry
  fi
}
function recordfail {
  set recordfail=1
  if [ -n "${have_grubenv}" ]; then if [ -z "${boot_once}" ]; then save_env recordfail; fi; fi
}
menuentry 'first' --id first {
  savedefault
  recordfail
  linux /boot/vmlinuz first
}
menuentry 'second' --id second {
  savedefault
  recordfail
  linux /boot/vmlinuz second
}
"#;

#[test]
fn savedefault_and_recordfail_from_the_chosen_entry() {
    if !have("grub-editenv", "grub-common") || !have("mke2fs", "e2fsprogs") {
        return;
    }
    let s = Scratch::new("savedefault");
    let (image, block) = guest(&s, SAVEDEFAULT_CFG, &["set", "saved_entry=second"], &[]);
    let original = fs::read(&image).unwrap();
    let at = find_once(&original, &block);
    // --entry=first: GRUB runs first's body, which saves it as the default.
    let (out, args) = boot(&s, &image, &["--update-grubenv", "--entry=first"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(args, "first");
    let want = editenv(&s, &block, &["set", "saved_entry=first", "recordfail=1"]);
    let mut expected = original;
    expected[at..at + 1024].copy_from_slice(&want);
    assert!(fs::read(&image).unwrap() == expected);
    // Then the default is `first`.
    let (out, args) = boot(&s, &image, &["--update-grubenv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(args, "first");
    assert!(fs::read(&image).unwrap() == expected);
}

#[test]
fn refusals_warn_and_still_boot() {
    if !have("grub-editenv", "grub-common") || !have("mke2fs", "e2fsprogs") {
        return;
    }
    // The grubenv kept inline in a 2 KiB inode: no block of its own to rewrite.
    let s = Scratch::new("inline");
    let (image, _) = guest(
        &s,
        SAVEDEFAULT_CFG,
        &["set", "next_entry=second"],
        &["-b", "2048", "-I", "2048", "-O", "inline_data"],
    );
    let original = fs::read(&image).unwrap();
    let (out, args) = boot(&s, &image, &["--update-grubenv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(args, "second");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("warning") && err.contains("inline"), "{err}");
    assert!(fs::read(&image).unwrap() == original);
    drop(s);

    // A grubenv that is not the 1024 bytes grub-editenv writes.
    let s = Scratch::new("size");
    let root = s.0.join("root/boot/grub");
    fs::create_dir_all(&root).unwrap();
    let mut big = Command::new("grub-editenv");
    big.arg(root.join("grubenv")).arg("create");
    assert!(big.status().unwrap().success());
    let mut block = fs::read(root.join("grubenv")).unwrap();
    block.extend(std::iter::repeat_n(b'#', 1024));
    fs::write(root.join("grubenv"), &block).unwrap();
    let cfg =
        "load_env\nset default=0\nset x=1\nsave_env x\nmenuentry a {\nlinux /boot/vmlinuz a\n}\n";
    fs::write(root.join("grub.cfg"), cfg).unwrap();
    fs::write(s.0.join("root/boot/vmlinuz"), b"kernel").unwrap();
    let image = s.0.join("disk.img");
    let st = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(s.0.join("root"))
        .arg(&image)
        .arg("8M")
        .status()
        .unwrap();
    assert!(st.success());
    let original = fs::read(&image).unwrap();
    let (out, args) = boot(&s, &image, &["--update-grubenv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(args, "a");
    let err = stderr(&out);
    assert!(err.contains("2048 bytes, not the 1024"), "{err}");
    assert!(fs::read(&image).unwrap() == original);
}

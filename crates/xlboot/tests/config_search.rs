//! Which config decides when a guest carries several, and the report of all of them,
//! on ext4 images made by the real `mke2fs -d`.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

/// An ext4 image of `files` (path, contents); removed on drop.
struct Image {
    dir: PathBuf,
    image: PathBuf,
}

impl Image {
    fn new(tag: &str, files: &[(&str, &str)]) -> Image {
        let dir = std::env::temp_dir().join(format!("xlboot-search-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let root = dir.join("root");
        for (path, data) in files {
            let p = root.join(path.trim_start_matches('/'));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, data).unwrap();
        }
        let image = dir.join("disk.img");
        let out = Command::new("mke2fs")
            .args(["-q", "-F", "-t", "ext4", "-d"])
            .arg(&root)
            .arg(&image)
            .arg("8M")
            .output()
            .expect("mke2fs (e2fsprogs) is needed for these tests");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Image { dir, image }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xlboot"))
            .args(args)
            .arg(&self.image)
            .output()
            .unwrap()
    }

    /// `-l`'s output, which must succeed.
    fn list(&self) -> String {
        let out = self.run(&["-l", "--debug"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const KERNELS: [(&str, &str); 2] = [("/boot/vmlinuz-a", "A"), ("/boot/vmlinuz-b", "B")];

fn with_kernels<'a>(cfgs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = cfgs.to_vec();
    v.extend(KERNELS);
    v
}

#[test]
fn grub2_before_syslinux_before_bls_and_all_reported() {
    let img = Image::new(
        "all",
        &with_kernels(&[
            (
                "/boot/grub/grub.cfg",
                "menuentry 'from grub' { linux /boot/vmlinuz-a g }\n",
            ),
            (
                "/boot/extlinux/extlinux.conf",
                "DEFAULT x\nLABEL x\n LINUX ../vmlinuz-b\n",
            ),
            (
                "/boot/syslinux/syslinux.cfg",
                "DEFAULT y\nLABEL y\n LINUX /boot/vmlinuz-b\n",
            ),
            (
                "/boot/loader/entries/e.conf",
                "title E\nlinux /boot/vmlinuz-b\n",
            ),
            ("/boot/loader/loader.conf", "default e.conf\n"),
        ]),
    );
    let listing = img.list();
    assert!(listing.contains("title: from grub\n"), "{listing}");
    let last = listing.lines().last().unwrap();
    assert_eq!(
        last,
        "configs found: (hd0)/boot/grub/grub.cfg (GRUB 2, used), \
         (hd0)/boot/extlinux/extlinux.conf (syslinux), \
         (hd0)/boot/syslinux/syslinux.cfg (syslinux), \
         (hd0)/boot/loader/entries (Boot Loader Specification), \
         (hd0)/boot/loader/loader.conf (systemd-boot loader.conf)"
    );
    let debug = String::from_utf8(img.run(&["-l", "--debug"]).stderr).unwrap();
    assert!(
        debug.contains("found syslinux config (hd0)/boot/syslinux/syslinux.cfg"),
        "{debug}"
    );
}

#[test]
fn pygrub_paths_before_syslinux_own_paths() {
    // pygrub reads /extlinux.conf; syslinux itself would look in /boot/syslinux first.
    // pygrub's order decides, so a guest boots what it booted with pygrub.
    let img = Image::new(
        "order",
        &with_kernels(&[
            (
                "/extlinux.conf",
                "DEFAULT x\nLABEL x\n LINUX /boot/vmlinuz-a\n",
            ),
            (
                "/boot/syslinux/syslinux.cfg",
                "DEFAULT y\nLABEL y\n LINUX /boot/vmlinuz-b\n",
            ),
        ]),
    );
    let listing = img.list();
    assert!(
        listing.contains("  kernel: /boot/vmlinuz-a\n  args: BOOT_IMAGE=/boot/vmlinuz-a \n"),
        "{listing}"
    );
    assert!(
        listing.ends_with("(hd0)/boot/syslinux/syslinux.cfg (syslinux)\n"),
        "{listing}"
    );
}

#[test]
fn syslinux_own_path_and_loader_conf_alone() {
    let img = Image::new(
        "own",
        &with_kernels(&[(
            "/boot/syslinux/syslinux.cfg",
            "UI menu.c32\nLABEL a\n LINUX /boot/vmlinuz-a\nLABEL b\n MENU DEFAULT\n LINUX /boot/vmlinuz-b\n",
        )]),
    );
    let listing = img.list();
    assert!(
        listing.contains("title: b\n  root: d0\n  kernel: /boot/vmlinuz-b\n"),
        "{listing}"
    );
    assert!(
        listing.contains("  default: yes\ndefault rule: MENU DEFAULT (UI menu)\n"),
        "{listing}"
    );
    // systemd-boot's loader.conf picks the older entry by a glob.
    let img = Image::new(
        "sdboot",
        &with_kernels(&[
            (
                "/boot/loader/entries/os-2.conf",
                "title Two\nversion 2\nlinux /boot/vmlinuz-b\n",
            ),
            (
                "/boot/loader/entries/os-1.conf",
                "title One\nversion 1\nlinux /boot/vmlinuz-a\n",
            ),
            ("/boot/loader/loader.conf", "timeout 3\ndefault OS-1*\n"),
        ]),
    );
    let listing = img.list();
    assert!(listing.contains("title: One\n  root: d0\n  kernel: /boot/vmlinuz-a\n  args: None\n  initrd: None\n  default: yes\n"), "{listing}");
}

/// `--isconfig` on a syslinux config (its `INCLUDE`s beside it are read) and on a
/// systemd-boot `loader.conf` (with `entries/` beside it).
#[test]
fn isconfig_syslinux_and_loader_conf() {
    let dir = std::env::temp_dir().join(format!("xlboot-isconfig-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("extlinux")).unwrap();
    fs::create_dir_all(dir.join("loader/entries")).unwrap();
    fs::write(
        dir.join("extlinux/extlinux.conf"),
        "ui menu.c32\ndefault l1\ninclude linux.cfg\n",
    )
    .unwrap();
    fs::write(
        dir.join("extlinux/linux.cfg"),
        "label l0\n linux /vmlinuz-0\nlabel l1\n linux /vmlinuz-1\n initrd /initrd-1\n append ro\n",
    )
    .unwrap();
    fs::write(dir.join("loader/loader.conf"), "default a*\n").unwrap();
    fs::write(
        dir.join("loader/entries/a-2.conf"),
        "title A\nlinux /a\noptions y\n",
    )
    .unwrap();
    fs::write(
        dir.join("loader/entries/b-1.conf"),
        "title B\nlinux /b\noptions x\n",
    )
    .unwrap();
    let run = |p: PathBuf| {
        let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
            .arg("--isconfig")
            .arg(p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(dir.join("extlinux/extlinux.conf")),
        "  kernel: /vmlinuz-1\n  initrd: /initrd-1\n  args: BOOT_IMAGE=/vmlinuz-1 ro initrd=/initrd-1\n"
    );
    // The specification lists b-1 first; the glob names a-2.
    let sd = "  kernel: /a\n  args: y\n";
    assert_eq!(run(dir.join("loader/loader.conf")), sd);
    assert_eq!(run(dir.join("loader/entries")), sd);
    let _ = fs::remove_dir_all(&dir);
}

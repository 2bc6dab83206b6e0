//! The guest's disk as a qcow2 or VHD image: a fixture disk converted by the real
//! `qemu-img` (v2, v3, extended L2, zlib and zstd compressed clusters, a backing
//! chain made with `-F`) boots exactly as
//! the raw disk does; and the rules for backing files: followed only with
//! `--format=qcow2`, only inside the
//! image's directory (`.` for a bare file name) or a `--backing-dir`, never through a symlink.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    )
}

fn have_qemu_img() -> bool {
    let ok = Command::new("qemu-img").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "qemu-img is required (XLBOOT_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipping: qemu-img not installed (package qemu-utils)");
    }
    ok
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("xlboot-qimg-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

fn run(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn xlboot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(args)
        .output()
        .unwrap()
}

/// `-q -n` answer (kernel, ramdisk, args lines) for an image.
fn answer(extra: &[&str], image: &Path) -> Result<String, String> {
    let mut args = vec!["-q", "-n", "--output-format=simple"];
    args.extend_from_slice(extra);
    args.push(image.to_str().unwrap());
    let out = xlboot(&args);
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn qcow2_disks_boot_as_the_raw_disk_does() {
    let raw = fixtures().join("sepboot.img");
    if !raw.is_file() || !have_qemu_img() {
        return;
    }
    let want = answer(&[], &raw).unwrap();
    let d = scratch("boot");
    for (name, opts) in [
        ("v2", "compat=0.10"),
        ("v3", "compat=1.1"),
        ("ext", "extended_l2=on,cluster_size=128k"),
        ("zlib", "compression_type=zlib"),
        ("zstd", "compression_type=zstd"),
    ] {
        let img = d.0.join(format!("{name}.qcow2"));
        let compress = if name.starts_with('z') { "-c" } else { "-q" };
        run(&[
            "qemu-img",
            "convert",
            compress,
            "-f",
            "raw",
            "-O",
            "qcow2",
            "-o",
            opts,
            s(&raw),
            s(&img),
        ]);
        assert_eq!(answer(&["--format=qcow2"], &img).unwrap(), want, "{name}");
        // Without --format the qcow2 header is recognised too.
        assert_eq!(answer(&[], &img).unwrap(), want, "{name}");
    }
    // A chain: an empty overlay over the v3 image, then one over a raw base.
    let base = d.0.join("v3.qcow2");
    let top = d.0.join("top.qcow2");
    run(&[
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "v3.qcow2",
        "-F",
        "qcow2",
        s(&top),
    ]);
    assert_eq!(answer(&["--format=qcow2"], &top).unwrap(), want);
    let over_raw = d.0.join("over-raw.qcow2");
    std::os::unix::fs::symlink(&raw, d.0.join("link.img")).unwrap();
    std::fs::copy(&raw, d.0.join("base.img")).unwrap();
    run(&[
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "base.img",
        "-F",
        "raw",
        s(&over_raw),
    ]);
    assert_eq!(answer(&["--format=qcow2"], &over_raw).unwrap(), want);
    let _ = base;
}

#[test]
fn backing_files_are_followed_only_by_the_rules() {
    let raw = fixtures().join("sepboot.img");
    if !raw.is_file() || !have_qemu_img() {
        return;
    }
    let d = scratch("rules");
    let sub = d.0.join("images");
    std::fs::create_dir_all(&sub).unwrap();
    let other = d.0.join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(&raw, other.join("base.img")).unwrap();
    std::fs::copy(&raw, sub.join("base.img")).unwrap();
    std::os::unix::fs::symlink(other.join("base.img"), sub.join("link.img")).unwrap();
    let mk = |name: &str, backing: &str, fmt: Option<&str>| {
        let img = sub.join(name);
        let mut args = vec![
            "qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", backing,
        ];
        if let Some(f) = fmt {
            args.extend(["-F", f]);
        }
        args.push(s(&img));
        args.push("80M");
        run(&args);
        img
    };
    // Probed, not given: the backing file is not followed.
    let ok = mk("ok.qcow2", "base.img", Some("raw"));
    let e = answer(&[], &ok).unwrap_err();
    assert!(
        e.contains("refusing its backing file") && e.contains("--format=qcow2"),
        "{e}"
    );
    assert!(answer(&["--format=qcow2"], &ok).is_ok());
    // Outside the image's directory: refused, unless that directory is allowed.
    let out = mk("out.qcow2", "../elsewhere/base.img", Some("raw"));
    let e = answer(&["--format=qcow2"], &out).unwrap_err();
    assert!(e.contains("outside the image's directory"), "{e}");
    let allow = format!("--backing-dir={}", other.display());
    assert!(answer(&["--format=qcow2", &allow], &out).is_ok());
    // A symlink, even to an allowed place: refused.
    let link = mk("link.qcow2", "link.img", Some("raw"));
    let e = answer(&["--format=qcow2", &allow], &link).unwrap_err();
    assert!(
        e.contains("link.img") && e.contains("symlinks are not followed"),
        "{e}"
    );
    // The image named by its bare file name, from its own directory (a relative
    // `target=` in xl.cfg): its directory is `.`, and the backing file beside it is
    // inside it.
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .current_dir(&sub)
        .args([
            "-q",
            "-n",
            "--output-format=simple",
            "--format=qcow2",
            "ok.qcow2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        answer(&[], &sub.join("base.img")).unwrap().as_bytes()
    );
    // (An image that names no backing format is refused too; qemu-img 6 and later
    // cannot make one: create and rebase insist on -F.)
    // A loop: an image backed by itself is cut by the chain limit.
    let looped = mk("loop.qcow2", "loop.qcow2", Some("qcow2"));
    let e = answer(&["--format=qcow2"], &looped).unwrap_err();
    assert!(e.contains("longer than"), "{e}");
}

#[test]
fn vhd_disks_boot_as_the_raw_disk_does() {
    let raw = fixtures().join("sepboot.img");
    if !raw.is_file() || !have_qemu_img() {
        return;
    }
    let want = answer(&[], &raw).unwrap();
    let d = scratch("vhd");
    for sub in ["dynamic", "fixed"] {
        let img = d.0.join(format!("{sub}.vhd"));
        let opt = format!("subformat={sub}");
        run(&[
            "qemu-img",
            "convert",
            "-f",
            "raw",
            "-O",
            "vpc",
            "-o",
            &opt,
            s(&raw),
            s(&img),
        ]);
        assert_eq!(answer(&["--format=vhd"], &img).unwrap(), want, "{sub}");
    }
    // A dynamic VHD carries a footer copy at its start, which identifies it.
    assert_eq!(answer(&[], &d.0.join("dynamic.vhd")).unwrap(), want);
}

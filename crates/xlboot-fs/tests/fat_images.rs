//! FAT12/16/32 images made by the real `mkfs.vfat` and filled by `mcopy -s`, compared
//! with their source tree by the differential walk; names looked up without case, as
//! FAT does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod walk;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_stored_runs, have, random_bytes, run, FileDev, TempDir};
use walk::diff_tree;
use xlboot_fs::fat::{self, FatType};
use xlboot_fs::{resolve, resolve_file, FileSystem, FsError, PathLimits};

fn tools() -> bool {
    have("mkfs.vfat", "dosfstools") && have("mcopy", "mtools")
}

/// A tree with what FAT can hold: long, Unicode, mixed-case and 8.3 names, a deep
/// path, a directory of several clusters, big and cluster-edge-sized files.
pub fn fat_tree(root: &Path, many: usize) {
    let d = |p: &str| fs::create_dir_all(root.join(p)).unwrap();
    let w = |p: &str, data: &[u8]| fs::write(root.join(p), data).unwrap();
    d("boot/grub");
    w(
        "boot/grub/grub.cfg",
        b"set default=0\nmenuentry 'Debian' {\n linux /vmlinuz root=/dev/xvda2\n}\n",
    );
    w(
        "boot/vmlinuz-6.1.0-test",
        &random_bytes(1, 3 * 1024 * 1024 + 1234),
    );
    w(
        "boot/initrd.img-6.1.0-test",
        &random_bytes(2, 1024 * 1024 + 17),
    );
    w("A long file name with spaces.txt", b"spaces\n");
    w("readme.txt", b"8.3, lowercase\n");
    w("UPPER.TXT", b"8.3, uppercase\n");
    w("MiXeD.TxT", b"mixed case needs a long name\n");
    w("lower.TXT", b"lowercase base, uppercase extension\n");
    w("noext", b"no extension\n");
    w("ünïcödé-名前.txt", b"unicode\n");
    // (No names beyond the BMP: mtools stores only the low 16 bits of such
    // characters.)
    w("Ωμέγα ΣΣ.txt", b"greek\n");
    w("empty", b"");
    w("cluster-512", &random_bytes(3, 512));
    w("cluster-4096", &random_bytes(4, 4096));
    w("cluster-4097", &random_bytes(5, 4097));
    w("exactly-thirteen-chars-x", b"two LFN slots exactly\n");
    d("a/b/c/d/e/f/g/h/i/j");
    w("a/b/c/d/e/f/g/h/i/j/deep.txt", b"deep file\n");
    d("many");
    for i in 0..many {
        w(
            &format!("many/file_{i:05}_with_a_long_name.txt"),
            format!("{i}\n").as_bytes(),
        );
    }
}

/// `mkfs.vfat <args>` on a fresh image of `mib` MiB, then `mcopy -s` of `src`.
pub fn fat_image(dir: &Path, name: &str, args: &[&str], mib: u64, src: &Path) -> PathBuf {
    let img = dir.join(format!("{name}.img"));
    File::create(&img).unwrap().set_len(mib << 20).unwrap();
    run(Command::new("mkfs.vfat").args(args).arg(&img));
    let mut entries: Vec<_> = fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    run(Command::new("mcopy")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-s")
        .arg("-i")
        .arg(&img)
        .args(&entries)
        .arg("::/"));
    img
}

fn check_image(tmp: &TempDir, name: &str, args: &[&str], mib: u64, want: FatType) {
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir(&src).unwrap();
    fat_tree(&src, 400);
    let mut a = vec!["-i", "1234abcd", "-n", "XLBOOT FAT"];
    a.extend_from_slice(args);
    let img = fat_image(tmp.path(), name, &a, mib, &src);
    let dev = FileDev::open(&img);
    let fs = fat::probe(&dev).unwrap().expect("FAT signature");
    assert_eq!(fs.fat_type(), want, "{name}: {args:?}");
    assert!(!fs.opened_from_backup());
    let info = fs.info();
    assert_eq!(info.fs_type, "fat");
    assert_eq!(info.uuid.as_deref(), Some("1234-ABCD"));
    assert_eq!(info.label.as_deref(), Some("XLBOOT FAT"));
    if want == FatType::Fat32 {
        assert!(fs.fs_info().is_some(), "{name}: FSInfo");
    }

    let n = diff_tree(&fs, &src, fs.root(), "");
    assert!(n > 400, "{name}: {n} files compared");

    // The boot files lie in cluster runs on the volume, all of them data.
    for p in [
        "/boot/vmlinuz-6.1.0-test",
        "/boot/initrd.img-6.1.0-test",
        "/cluster-4097",
    ] {
        let want = fs::read(src.join(&p[1..])).unwrap();
        let id = resolve_file(&fs, p.as_bytes(), &PathLimits::default()).unwrap();
        let (data, zeros) = check_stored_runs(&fs, &dev, id, &want, p);
        assert_eq!((data, zeros), (want.len() as u64, 0), "{name}: {p}");
    }

    // Lookups ignore case, on long names and 8.3 names alike.
    let l = PathLimits::default();
    for (a, b) in [
        ("/BOOT/GRUB/GRUB.CFG", "/boot/grub/grub.cfg"),
        ("/Boot/VMLINUZ-6.1.0-TEST", "/boot/vmlinuz-6.1.0-test"),
        ("/README.TXT", "/readme.txt"),
        ("/upper.txt", "/UPPER.TXT"),
        ("/mixed.txt", "/MiXeD.TxT"),
        (
            "/a/B/c/D/e/F/g/H/i/J/DEEP.TXT",
            "/a/b/c/d/e/f/g/h/i/j/deep.txt",
        ),
        (
            "/MANY/FILE_00399_WITH_A_LONG_NAME.TXT",
            "/many/file_00399_with_a_long_name.txt",
        ),
    ] {
        assert_eq!(
            resolve_file(&fs, a.as_bytes(), &l).unwrap_or_else(|e| panic!("{a}: {e}")),
            resolve_file(&fs, b.as_bytes(), &l).unwrap(),
            "{name}: {a}"
        );
    }
    // Non-ASCII letters are not folded (GRUB folds ASCII only).
    assert!(matches!(
        resolve(&fs, "/ÜNÏCÖDÉ-名前.TXT".as_bytes(), &l),
        Err(FsError::NotFound(_))
    ));
    // A file is not a directory; FAT has no links.
    assert!(matches!(
        resolve(&fs, b"/readme.txt/x", &l),
        Err(FsError::WrongKind(_))
    ));

    // The generic probe finds it too, and an image with nothing on it is not FAT.
    let boxed = xlboot_fs::probe(&dev).unwrap().expect("probe");
    assert_eq!(boxed.info().fs_type, "fat");
}

#[test]
fn fat12() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("fat12");
    check_image(&tmp, "f12-s8", &["-F", "12", "-s", "8"], 12, FatType::Fat12);
    check_image(&tmp, "f12-s4", &["-F", "12", "-s", "4"], 7, FatType::Fat12);
}

#[test]
fn fat16() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("fat16");
    check_image(&tmp, "f16-s2", &["-F", "16", "-s", "2"], 40, FatType::Fat16);
    check_image(
        &tmp,
        "f16-s64",
        &["-F", "16", "-s", "64"],
        400,
        FatType::Fat16,
    );
    check_image(
        &tmp,
        "f16-S4096",
        &["-F", "16", "-S", "4096", "-s", "1"],
        64,
        FatType::Fat16,
    );
}

#[test]
fn fat32() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("fat32");
    check_image(&tmp, "f32-s1", &["-F", "32", "-s", "1"], 40, FatType::Fat32);
    check_image(
        &tmp,
        "f32-s8",
        &["-F", "32", "-s", "8"],
        300,
        FatType::Fat32,
    );
    check_image(
        &tmp,
        "f32-S4096",
        &["-F", "32", "-S", "4096", "-s", "1"],
        300,
        FatType::Fat32,
    );
}

#[test]
fn not_fat() {
    let zeros = vec![0u8; 1 << 20];
    assert!(fat::probe(zeros.as_slice()).unwrap().is_none());
    // An ext4 volume is never taken for FAT, even with the 0x55AA of an old MBR left
    // in its first sector.
    if !have("mke2fs", "e2fsprogs") {
        return;
    }
    let tmp = TempDir::new("notfat");
    let img = tmp.path().join("e.img");
    File::create(&img).unwrap().set_len(8 << 20).unwrap();
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4"])
        .arg(&img));
    let mut b = fs::read(&img).unwrap();
    b[510] = 0x55;
    b[511] = 0xAA;
    assert!(fat::probe(b.as_slice()).unwrap().is_none());
}

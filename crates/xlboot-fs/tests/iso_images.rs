//! ISO9660 images made by the real `xorriso -as mkisofs` (Rock Ridge + Joliet, Joliet
//! alone, plain ECMA-119, deep trees relocated, an isolinux image made hybrid by
//! `isohybrid`), compared with their source tree by the differential walk.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;
mod walk;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_stored_runs, have, random_bytes, run, FileDev, TempDir};
use walk::diff_tree;
use xlboot_fs::iso9660::{self, Names};
use xlboot_fs::{resolve, resolve_file, FileKind, FileSystem, FsError, PathLimits, StoredRun};

fn tools() -> bool {
    have("xorriso", "xorriso")
}

/// A tree for Rock Ridge: long and Unicode names, symlinks (relative, absolute,
/// chained, dangling, a loop), a tree 12 levels deep, a directory of many files, big
/// and odd-sized files.
fn rr_tree(root: &Path) {
    let d = |p: &str| fs::create_dir_all(root.join(p)).unwrap();
    let w = |p: &str, data: &[u8]| fs::write(root.join(p), data).unwrap();
    let ln = |t: &str, p: &str| symlink(t, root.join(p)).unwrap();
    d("boot/grub");
    w(
        "boot/grub/grub.cfg",
        b"set default=0\nmenuentry 'Debian' {\n linux /vmlinuz\n}\n",
    );
    w(
        "boot/vmlinuz-6.1.0-test",
        &random_bytes(11, 3 * 1024 * 1024 + 1234),
    );
    w(
        "boot/initrd.img-6.1.0-test",
        &random_bytes(12, 1024 * 1024 + 17),
    );
    ln("vmlinuz-6.1.0-test", "boot/vmlinuz");
    ln("/boot/vmlinuz", "vmlinuz");
    ln("boot/initrd.img-6.1.0-test", "initrd.img");
    ln("loop2", "loop1");
    ln("loop1", "loop2");
    ln("no/such/target", "dangling");
    ln("../../../../../boot/grub/grub.cfg", "up");
    w("empty", b"");
    w("odd-2049", &random_bytes(13, 2049));
    w("A Name With Spaces and UPPER case.txt", b"spaces\n");
    w("ünïcödé-名前.txt", b"unicode\n");
    w(&format!("{}.txt", "long".repeat(50)), b"a 204-byte name\n");
    d("a/b/c/d/e/f/g/h/i/j/k/l");
    w("a/b/c/d/e/f/g/h/i/j/k/l/deep.txt", b"twelve levels down\n");
    w("a/b/c/d/e/f/g/h/i/nine.txt", b"nine levels down\n");
    ln("../../..", "a/b/c/d/e/f/g/h/i/j/k/l/up3");
    d("many");
    for i in 0..600 {
        w(
            &format!("many/file_{i:05}_with_a_long_name.txt"),
            format!("{i}\n").as_bytes(),
        );
    }
}

/// A tree plain ECMA-119 names can hold exactly (lowercase d-characters, one dot in
/// file names, none in directory names, at most 8 levels) so that the names GRUB
/// shows for it are the source names.
fn plain_tree(root: &Path) {
    let d = |p: &str| fs::create_dir_all(root.join(p)).unwrap();
    let w = |p: &str, data: &[u8]| fs::write(root.join(p), data).unwrap();
    d("boot/grub");
    w("boot/grub/grub.cfg", b"menuentry x {}\n");
    w(
        "boot/vmlinuz_6_1_0.img",
        &random_bytes(21, 2 * 1024 * 1024 + 5),
    );
    w("readme.txt", b"plain\n");
    w("noext", b"no extension\n");
    w("empty", b"");
    d("a/b/c/d/e/f/g");
    w("a/b/c/d/e/f/g/deep.txt", b"deep\n");
    d("many");
    for i in 0..300 {
        w(
            &format!("many/file_{i:05}.txt"),
            format!("{i}\n").as_bytes(),
        );
    }
}

fn mkiso(dir: &Path, name: &str, args: &[&str], src: &Path) -> PathBuf {
    let img = dir.join(format!("{name}.iso"));
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", "XLBOOT_ISO"])
        .args(args)
        .arg("-o")
        .arg(&img)
        .arg(src)
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    img
}

fn open(img: &Path) -> (FileDev, PathBuf) {
    (FileDev::open(img), img.to_path_buf())
}

#[test]
fn rock_ridge_and_joliet() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("iso-rr");
    let src = tmp.path().join("src");
    rr_tree(&src);
    let img = mkiso(
        tmp.path(),
        "rr",
        &["-R", "-J", "-joliet-long", "-rr_reloc_dir", "rr_moved"],
        &src,
    );
    let (dev, _) = open(&img);
    let fs = iso9660::probe(&dev).unwrap().expect("ISO9660");
    assert!(
        matches!(fs.names(), Names::RockRidge { .. }),
        "{:?}",
        fs.names()
    );
    let info = fs.info();
    assert_eq!(info.fs_type, "iso9660");
    assert_eq!(info.label.as_deref(), Some("XLBOOT_ISO"));
    // SOURCE_DATE_EPOCH 1700000000 is 2023-11-14 22:13:20 UTC.
    assert_eq!(info.uuid.as_deref(), Some("2023-11-14-22-13-20-00"));
    let n = diff_tree(&fs, &src, fs.root(), "");
    assert!(n > 600, "{n} compared");
    for p in ["/boot/vmlinuz-6.1.0-test", "/boot/initrd.img-6.1.0-test"] {
        let want = fs::read(src.join(&p[1..])).unwrap();
        let id = resolve_file(&fs, p.as_bytes(), &PathLimits::default()).unwrap();
        let runs = check_stored_runs(&fs, &dev, id, &want, p);
        assert_eq!(runs, (want.len() as u64, 0), "{p}");
    }

    let l = PathLimits::default();
    let k = resolve_file(&fs, b"/boot/vmlinuz-6.1.0-test", &l).unwrap();
    assert_eq!(resolve_file(&fs, b"/vmlinuz", &l).unwrap(), k);
    assert_eq!(
        resolve_file(&fs, b"/a/b/c/d/e/f/g/h/i/j/k/l/up3/j/k/l/deep.txt", &l).unwrap(),
        resolve_file(&fs, b"/a/b/c/d/e/f/g/h/i/j/k/l/deep.txt", &l).unwrap()
    );
    assert!(matches!(
        resolve(&fs, b"/loop1", &l),
        Err(FsError::Limit(_))
    ));
    assert!(matches!(
        resolve(&fs, b"/dangling", &l),
        Err(FsError::NotFound(_))
    ));
    assert_eq!(
        resolve_file(&fs, b"/up", &l).unwrap(),
        resolve_file(&fs, b"/boot/grub/grub.cfg", &l).unwrap()
    );
    // Rock Ridge names are exact.
    assert!(matches!(
        resolve(&fs, b"/BOOT/GRUB/GRUB.CFG", &l),
        Err(FsError::NotFound(_))
    ));
    // No El Torito record on this one.
    assert_eq!(fs.boot_catalog().unwrap(), None);
    // The generic probe finds it.
    assert_eq!(
        xlboot_fs::probe(&dev).unwrap().unwrap().info().fs_type,
        "iso9660"
    );
}

#[test]
fn joliet_only() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("iso-joliet");
    let src = tmp.path().join("src");
    rr_tree(&src);
    // Joliet has no links: drop them from the source.
    for l in [
        "boot/vmlinuz",
        "vmlinuz",
        "initrd.img",
        "loop1",
        "loop2",
        "dangling",
        "up",
    ] {
        fs::remove_file(src.join(l)).unwrap();
    }
    fs::remove_file(src.join("a/b/c/d/e/f/g/h/i/j/k/l/up3")).unwrap();
    let long = format!("{}.txt", "long".repeat(50));
    fs::remove_file(src.join(long)).unwrap();
    let img = mkiso(tmp.path(), "j", &["--norock", "-J", "-joliet-long"], &src);
    let (dev, _) = open(&img);
    let fs = iso9660::probe(&dev).unwrap().expect("ISO9660");
    assert_eq!(fs.names(), Names::Joliet);
    assert_eq!(fs.info().label.as_deref(), Some("XLBOOT_ISO"));
    let n = diff_tree(&fs, &src, fs.root(), "");
    assert!(n > 600, "{n} compared");
    for p in ["/boot/vmlinuz-6.1.0-test", "/boot/initrd.img-6.1.0-test"] {
        let want = fs::read(src.join(&p[1..])).unwrap();
        let id = resolve_file(&fs, p.as_bytes(), &PathLimits::default()).unwrap();
        let runs = check_stored_runs(&fs, &dev, id, &want, p);
        assert_eq!(runs, (want.len() as u64, 0), "{p}");
    }
    // Joliet names are exact.
    let l = PathLimits::default();
    assert!(matches!(
        resolve(&fs, b"/BOOT", &l),
        Err(FsError::NotFound(_))
    ));
}

#[test]
fn plain_iso9660() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("iso-plain");
    let src = tmp.path().join("src");
    plain_tree(&src);
    for (name, args) in [
        ("plain3", &["--norock", "-iso-level", "3"][..]),
        ("plain2", &["--norock", "-iso-level", "2"][..]),
    ] {
        let img = mkiso(tmp.path(), name, args, &src);
        let (dev, _) = open(&img);
        let fs = iso9660::probe(&dev).unwrap().expect("ISO9660");
        assert_eq!(fs.names(), Names::Plain);
        let n = diff_tree(&fs, &src, fs.root(), "");
        assert!(n > 300, "{n} compared");
        // Plain names are looked up without case, as GRUB does.
        let l = PathLimits::default();
        assert_eq!(
            resolve_file(&fs, b"/BOOT/GRUB/GRUB.CFG", &l).unwrap(),
            resolve_file(&fs, b"/boot/grub/grub.cfg", &l).unwrap()
        );
        assert_eq!(
            fs.metadata(resolve(&fs, b"/A/B", &l).unwrap())
                .unwrap()
                .kind,
            FileKind::Directory
        );
    }
}

/// A file split by hand into two extents (records with the multi-extent flag), as
/// `xorriso -iso-level 3` writes files over 4 GiB: that needs a 4 GiB source file, so
/// a real image is rewritten instead: the directory sector holding the file's record
/// gets two records for it, the first flagged, covering the same bytes.
#[test]
fn multi_extent() {
    if !tools() {
        return;
    }
    let tmp = TempDir::new("iso-multi");
    let src = tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let data = random_bytes(31, 5 * 2048 + 100);
    fs::write(src.join("big.bin"), &data).unwrap();
    fs::write(src.join("after.txt"), b"after\n").unwrap();
    let img = mkiso(tmp.path(), "m", &["--norock", "-iso-level", "3"], &src);
    let mut b = fs::read(&img).unwrap();
    // The root directory's extent, from the primary descriptor's root record.
    let root =
        u32::from_le_bytes(b[16 * 2048 + 156 + 2..][..4].try_into().unwrap()) as usize * 2048;
    let mut recs = Vec::new();
    let mut p = root;
    while b[p] != 0 {
        recs.push(b[p..p + b[p] as usize].to_vec());
        p += b[p] as usize;
    }
    let mut out = Vec::new();
    for r in recs {
        if &r[33..33 + r[32] as usize] == b"BIG.BIN;1" {
            let ext = u32::from_le_bytes(r[2..6].try_into().unwrap());
            let mut first = r.clone();
            first[10..14].copy_from_slice(&(2 * 2048u32).to_le_bytes());
            first[14..18].copy_from_slice(&(2 * 2048u32).to_be_bytes());
            first[25] |= 0x80;
            let mut second = r.clone();
            let rest = data.len() as u32 - 2 * 2048;
            second[2..6].copy_from_slice(&(ext + 2).to_le_bytes());
            second[6..10].copy_from_slice(&(ext + 2).to_be_bytes());
            second[10..14].copy_from_slice(&rest.to_le_bytes());
            second[14..18].copy_from_slice(&rest.to_be_bytes());
            out.extend_from_slice(&first);
            out.extend_from_slice(&second);
        } else {
            out.extend_from_slice(&r);
        }
    }
    assert!(out.len() <= 2048);
    b[root..root + out.len()].copy_from_slice(&out);
    let fs = iso9660::probe(b.as_slice()).unwrap().unwrap();
    let l = PathLimits::default();
    let id = resolve_file(&fs, b"/big.bin", &l).unwrap();
    assert_eq!(fs.metadata(id).unwrap().size, data.len() as u64);
    let mut got = vec![0u8; data.len() + 10];
    assert_eq!(fs.read_at(id, 0, &mut got).unwrap(), data.len());
    assert!(got[..data.len()] == data[..]);
    let mut mid = vec![0u8; 3000];
    assert_eq!(fs.read_at(id, 3000, &mut mid).unwrap(), 3000);
    assert!(mid[..] == data[3000..6000]);
    // Each extent is one stored run, the second starting where the first ends.
    assert_eq!(
        check_stored_runs(&fs, &b.as_slice(), id, &data, "/big.bin"),
        (data.len() as u64, 0)
    );
    assert!(matches!(
        fs.stored_run(id, 0, u64::MAX).unwrap(),
        Some(StoredRun::Data { len: 4096, .. })
    ));
    // The continuation record is not listed as a file of its own.
    let mut names = Vec::new();
    fs.read_dir(fs.root(), 100, &mut |n, _| {
        names.push(String::from_utf8_lossy(n).into_owned());
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(names, ["after.txt", "big.bin"]);
}

/// An isolinux ISO made hybrid by `isohybrid`: its MBR partition 1 starts at sector 0
/// and holds the ISO9660 filesystem; the El Torito catalog names isolinux.bin.
#[test]
fn isohybrid_isolinux() {
    if !tools() || !have("isohybrid", "syslinux-utils") {
        return;
    }
    let isolinux = Path::new("/usr/lib/ISOLINUX/isolinux.bin");
    if !isolinux.exists() {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "isolinux.bin is required (package isolinux)"
        );
        eprintln!("skipping: /usr/lib/ISOLINUX/isolinux.bin missing (package isolinux)");
        return;
    }
    let tmp = TempDir::new("iso-hybrid");
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("isolinux")).unwrap();
    fs::copy(isolinux, src.join("isolinux/isolinux.bin")).unwrap();
    fs::write(
        src.join("isolinux/isolinux.cfg"),
        b"default linux\nlabel linux\n kernel /boot/vmlinuz\n append initrd=/boot/initrd.img\n",
    )
    .unwrap();
    fs::create_dir_all(src.join("boot")).unwrap();
    fs::write(src.join("boot/vmlinuz"), random_bytes(41, 500_000)).unwrap();
    fs::write(src.join("boot/initrd.img"), random_bytes(42, 300_000)).unwrap();
    let img = mkiso(
        tmp.path(),
        "hybrid",
        &[
            "-R",
            "-J",
            "-b",
            "isolinux/isolinux.bin",
            "-c",
            "isolinux/boot.cat",
            "-no-emul-boot",
            "-boot-load-size",
            "4",
            "-boot-info-table",
        ],
        &src,
    );
    run(Command::new("isohybrid").arg(&img));
    let dev = FileDev::open(&img);
    let disk = xlboot_disk::scan(&dev).unwrap();
    let vols: Vec<_> = disk
        .entries
        .iter()
        .filter_map(|v| v.as_ref().ok())
        .collect();
    assert_eq!(vols.len(), 1, "{:?}", disk.entries);
    assert_eq!(vols[0].start, 0);
    let fs = xlboot_fs::probe(vols[0].window(&dev).unwrap())
        .unwrap()
        .expect("a filesystem");
    assert_eq!(fs.info().fs_type, "iso9660");
    // The catalog (isolinux/boot.cat) is the one file not from the source tree.
    let l = PathLimits::default();
    let boot = resolve(&*fs, b"/boot", &l).unwrap();
    assert_eq!(diff_tree(&*fs, &src.join("boot"), boot, "/boot"), 2);
    let cfg = resolve_file(&*fs, b"/isolinux/isolinux.cfg", &l).unwrap();
    walk::compare_file(
        &*fs,
        cfg,
        &fs::read(src.join("isolinux/isolinux.cfg")).unwrap(),
        "isolinux.cfg",
    );
    // The ISO alone (no table) reads the same, and its catalog names isolinux.bin.
    let iso = iso9660::probe(&dev).unwrap().unwrap();
    let cat = iso.boot_catalog().unwrap().expect("El Torito");
    assert_eq!(cat.entries.len(), 1);
    let e = &cat.entries[0];
    assert!(e.bootable && e.media == 0 && e.sector_count == 4 && e.platform == 0);
    let bin = resolve_file(&iso, b"/isolinux/isolinux.bin", &PathLimits::default()).unwrap();
    let mut head = [0u8; 64];
    iso.read_at(bin, 0, &mut head).unwrap();
    let mut at_rba = [0u8; 64];
    dev_read(&img, u64::from(e.load_rba) * 2048, &mut at_rba);
    assert_eq!(head, at_rba);
}

fn dev_read(img: &Path, off: u64, buf: &mut [u8]) {
    use std::os::unix::fs::FileExt;
    fs::File::open(img)
        .unwrap()
        .read_exact_at(buf, off)
        .unwrap();
}

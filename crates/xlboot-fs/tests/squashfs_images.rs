//! squashfs images from the real `mksquashfs` (squashfs-tools): every compressor, block
//! sizes from 4 KiB to 1 MiB, with and without fragments, compared file by file with
//! the tree they were made from; extended inodes (hard links, sparse files, xattrs,
//! indexed directories), pseudo device nodes, and how often blocks are decompressed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod walk;

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build_tree, have, FileDev, TempDir, TreeOpts};
use walk::diff_tree;
use xlboot_fs::squashfs::{self, Squashfs};
use xlboot_fs::{resolve_file, FileKind, FileSystem, NodeId, PathLimits};

/// Runs `mksquashfs src img -noappend -quiet <args>` and returns the image.
fn mksquashfs(dir: &Path, name: &str, src: &Path, args: &[&str]) -> PathBuf {
    let img = dir.join(format!("{name}.sqfs"));
    let out = Command::new("mksquashfs")
        .arg(src)
        .arg(&img)
        .args(["-noappend", "-quiet", "-no-progress"])
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("mksquashfs");
    assert!(
        out.status.success(),
        "mksquashfs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    img
}

/// The shared test tree plus what squashfs adds: a hard link, an extended attribute
/// (extended inodes), a compressible 2 MiB "kernel" (machine code).
fn tree(root: &Path) {
    build_tree(root, &TreeOpts::default());
    fs::hard_link(
        root.join("boot/vmlinuz-6.1.0-test"),
        root.join("boot/vmlinuz.hardlink"),
    )
    .unwrap();
    fs::write(root.join("boot/code"), code(2 << 20)).unwrap();
    let _ = Command::new("setfattr")
        .args(["-n", "user.note", "-v", "xattr"])
        .arg(root.join("small"))
        .status();
}

/// `n` bytes of real machine code (this test binary, repeated): compresses like a
/// kernel does.
fn code(n: usize) -> Vec<u8> {
    let exe = fs::read(std::env::current_exe().unwrap()).unwrap();
    exe.iter().copied().cycle().take(n).collect()
}

/// Opens an image and checks what every squashfs says about itself.
fn open(img: &Path) -> Squashfs<FileDev> {
    let fs =
        Squashfs::open(FileDev::open(img)).unwrap_or_else(|e| panic!("{}: {e}", img.display()));
    let info = fs.info();
    assert_eq!(info.fs_type, "squash4");
    assert_eq!(info.uuid, None);
    assert_eq!(info.label, None);
    fs
}

/// The full comparison of an image with its tree.
fn check_image(img: &Path, src: &Path) {
    let fs = open(img);
    let n = diff_tree(&fs, src, fs.root(), "");
    assert!(n > 3000, "{}: only {n} files compared", img.display());
    // A hard link is one inode: both names lead to the same node.
    let a = resolve_file(&fs, b"/boot/vmlinuz-6.1.0-test", &PathLimits::default()).unwrap();
    let b = resolve_file(&fs, b"/boot/vmlinuz.hardlink", &PathLimits::default()).unwrap();
    assert_eq!(a, b, "{}: hard link", img.display());
    // Through the generic probe, as the boot path sees it.
    let dev = FileDev::open(img);
    let boxed = xlboot_fs::probe(&dev).unwrap().unwrap();
    assert_eq!(boxed.info().fs_type, "squash4");
}

#[test]
fn every_compressor_against_the_source_tree() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-comp");
    let src = dir.path().join("src");
    tree(&src);
    for (name, args) in [
        ("gzip", &["-comp", "gzip"][..]),
        ("xz", &["-comp", "xz"]),
        ("xz-bcj", &["-comp", "xz", "-Xbcj", "x86"]),
        ("lzo", &["-comp", "lzo"]),
        ("lz4", &["-comp", "lz4"]),
        ("lz4hc", &["-comp", "lz4", "-Xhc"]),
        ("zstd", &["-comp", "zstd"]),
    ] {
        let img = mksquashfs(dir.path(), name, &src, args);
        check_image(&img, &src);
    }
}

#[test]
fn block_sizes_and_fragment_modes() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-blocks");
    let src = dir.path().join("src");
    tree(&src);
    for (name, args) in [
        ("4k", &["-b", "4K"][..]),
        ("4k-nofrag", &["-b", "4K", "-no-fragments", "-comp", "zstd"]),
        (
            "64k-always",
            &["-b", "64K", "-always-use-fragments", "-comp", "lz4"],
        ),
        ("1m", &["-b", "1M", "-comp", "xz"]),
        ("1m-always", &["-b", "1M", "-always-use-fragments"]),
        ("nofrag", &["-no-fragments", "-comp", "lzo"]),
        ("uncompressed", &["-noI", "-noD", "-noF", "-noX"]),
    ] {
        let img = mksquashfs(dir.path(), name, &src, args);
        check_image(&img, &src);
    }
}

#[test]
fn pseudo_device_nodes_fifos_and_sockets() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-pseudo");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("boot")).unwrap();
    fs::write(src.join("boot/config"), b"x\n").unwrap();
    let img = mksquashfs(
        dir.path(),
        "pseudo",
        &src,
        &[
            "-p",
            "dev d 755 0 0",
            "-p",
            "dev/console c 600 0 0 5 1",
            "-p",
            "dev/xvda b 660 0 6 202 0",
            "-p",
            "dev/initctl i 600 0 0 f",
            "-p",
            "dev/log i 666 0 0 s",
            "-p",
            "dev/stdin s 777 0 0 /proc/self/fd/0",
        ],
    );
    let fs = open(&img);
    let mut names = Vec::new();
    let dev = resolve_file(&fs, b"/dev", &PathLimits::default()).unwrap_err();
    assert!(matches!(dev, xlboot_fs::FsError::WrongKind(_)), "{dev}");
    let dev = fs.lookup(fs.root(), b"dev").unwrap().unwrap();
    fs.read_dir(dev, 100, &mut |n, id| {
        names.push((String::from_utf8_lossy(n).into_owned(), id));
        ControlFlow::Continue(())
    })
    .unwrap();
    let names: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["console", "initctl", "log", "stdin", "xvda"]);
    for node in ["console", "initctl", "log", "xvda"] {
        let id = fs.lookup(dev, node.as_bytes()).unwrap().unwrap();
        assert_eq!(fs.metadata(id).unwrap().kind, FileKind::Other, "{node}");
        let mut b = [0u8; 4];
        assert!(fs.read_at(id, 0, &mut b).is_err(), "{node} read");
        let p = format!("/dev/{node}");
        let e = resolve_file(&fs, p.as_bytes(), &PathLimits::default()).unwrap_err();
        assert!(matches!(e, xlboot_fs::FsError::WrongKind(_)), "{p}: {e}");
    }
    let stdin = fs.lookup(dev, b"stdin").unwrap().unwrap();
    assert_eq!(fs.read_link(stdin, 100).unwrap(), b"/proc/self/fd/0");
}

#[test]
fn indexed_directory_lookups() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-index");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("big")).unwrap();
    let names: Vec<String> = (0..5000)
        .map(|i| format!("entry-{:05}-{}", i * 7, "x".repeat(i % 40)))
        .collect();
    for n in &names {
        fs::write(src.join("big").join(n), n.as_bytes()).unwrap();
    }
    for (name, args) in [
        ("gzip", &["-comp", "gzip"][..]),
        ("zstd-4k", &["-comp", "zstd", "-b", "4K"]),
    ] {
        let img = mksquashfs(dir.path(), name, &src, args);
        let fs = open(&img);
        let big = fs.lookup(fs.root(), b"big").unwrap().unwrap();
        for n in &names {
            let id = fs
                .lookup(big, n.as_bytes())
                .unwrap()
                .unwrap_or_else(|| panic!("{name}: {n} not found"));
            let mut b = vec![0u8; 100];
            let len = fs.read_at(id, 0, &mut b).unwrap();
            assert_eq!(&b[..len], n.as_bytes());
        }
        // Names before, between and after the stored ones are absent.
        for absent in [
            "a",
            "entry-",
            "entry-00000-x",
            "entry-00001",
            "entry-99999",
            "zzz",
            "entry-17500-x",
        ] {
            assert_eq!(
                fs.lookup(big, absent.as_bytes()).unwrap(),
                None,
                "{name}: {absent}"
            );
        }
        let mut count = 0;
        fs.read_dir(big, 10_000, &mut |_, _| {
            count += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(count, names.len());
        assert!(fs
            .read_dir(big, 4999, &mut |_, _| ControlFlow::Continue(()))
            .is_err());
    }
}

/// Reads a file through `read_at` in `chunk`-byte pieces.
fn read_in_chunks(fs: &dyn FileSystem, id: NodeId, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        let n = fs.read_at(id, out.len() as u64, &mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn each_block_is_decompressed_once_per_sequential_read() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-cache");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("boot")).unwrap();
    let kernel = code(5 << 20);
    fs::write(src.join("boot/vmlinuz"), &kernel).unwrap();
    for (name, args) in [
        ("xz", &["-comp", "xz", "-Xbcj", "x86"][..]),
        ("zstd-1m", &["-comp", "zstd", "-b", "1M"]),
    ] {
        let img = mksquashfs(dir.path(), name, &src, args);
        for chunk in [4096, 65_536, 1 << 20, 3 << 20] {
            let fs = open(&img);
            let id = resolve_file(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
            let before = fs.blocks_decompressed();
            let data = read_in_chunks(&fs, id, chunk);
            assert!(data == kernel, "{name}: content");
            let blocks = kernel.len().div_ceil(fs.block_size() as usize) as u64;
            let used = fs.blocks_decompressed() - before;
            // Data blocks once each (the tail may sit in a fragment), plus at most a
            // couple of metadata blocks for the block list.
            assert!(
                used <= blocks + 2,
                "{name}, {chunk}-byte reads: {used} decompressions for {blocks} blocks"
            );
        }
    }
}

#[test]
fn lzma_images_from_the_legacy_compressor_if_built_in() {
    if !have("mksquashfs", "squashfs-tools") {
        return;
    }
    let dir = TempDir::new("sqfs-lzma");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(
        src.join("boot/grub/grub.cfg"),
        b"menuentry x { linux /vmlinuz }\n",
    )
    .unwrap();
    let img = dir.path().join("lzma.sqfs");
    let st = Command::new("mksquashfs")
        .arg(&src)
        .arg(&img)
        .args(["-noappend", "-quiet", "-no-progress", "-comp", "lzma"])
        .output()
        .unwrap();
    if !st.status.success() {
        eprintln!("mksquashfs has no lzma compressor here: skipped");
        return;
    }
    let fs = open(&img);
    assert_eq!(diff_tree(&fs, &src, fs.root(), ""), 1);
}

#[test]
fn probe_leaves_other_volumes_alone() {
    // No magic: not squashfs, whatever follows.
    let dir = TempDir::new("sqfs-probe");
    let img = dir.path().join("zeros.img");
    fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    assert!(squashfs::probe(FileDev::open(&img)).unwrap().is_none());
    let tiny = dir.path().join("tiny.img");
    fs::write(&tiny, b"hsqs").unwrap();
    assert!(squashfs::probe(FileDev::open(&tiny)).unwrap().is_none());
}

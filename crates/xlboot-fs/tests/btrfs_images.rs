//! Differential tests against images built by the real `mkfs.btrfs --rootdir`: every
//! file, link and directory of the source tree is looked up in the image and compared
//! (kind, size, bytes, link target), over every checksum algorithm, small and large
//! node sizes (small nodes make the directory and extent trees several levels deep),
//! and SINGLE and DUP metadata; then path resolution is checked case by case.
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

use common::*;
use walk::{check_tree_links, diff_tree_with, err, node};
use xlboot_fs::{btrfs, resolve_file, FileSystem, FsError, PathLimits};

const UUID: &str = "0b7f3e2a-5c4d-4e6f-8a9b-1c2d3e4f5a6b";

/// Path resolution cases on the tree from `build_tree`, beyond its links.
fn check_paths(fs: &dyn FileSystem) {
    check_tree_links(fs);
    let kernel = node(fs, "/boot/vmlinuz-6.1.0-test");
    let l = PathLimits::default();
    assert_eq!(resolve_file(fs, b"vmlinuz", &l).unwrap(), kernel, "vmlinuz");
    assert_eq!(node(fs, "/.."), fs.root());
    assert!(matches!(err(fs, "/nonexistent"), FsError::NotFound(_)));
    assert!(matches!(err(fs, "/boot"), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/fifo"), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/small/x"), FsError::WrongKind(_)));
    let boot = node(fs, "/boot");
    assert!(matches!(
        fs.read_at(boot, 0, &mut [0; 4]),
        Err(FsError::WrongKind(_))
    ));
    let link = fs.lookup(fs.root(), b"slowlink").unwrap().unwrap();
    assert!(matches!(
        fs.read_at(link, 0, &mut [0; 4]),
        Err(FsError::WrongKind(_))
    ));
    assert!(fs.lookup(boot, b"nope").unwrap().is_none());
    let many = PathLimits::default();
    let mut n = 0;
    let err = fs
        .read_dir(node(fs, "/many"), 10, &mut |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(matches!(err, FsError::Limit(_)), "{err}");
    assert_eq!(n, 10);
    let _ = many;
}

/// Builds the tree, makes an image with `args`, checks it all; returns the image.
fn full_check(name: &str, args: &[&str], opts: TreeOpts, csum: &str) {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new(name);
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    build_tree(&src, &opts);
    // Small files are inlined in the tree: one just below the inline limit, one
    // just above it (a regular extent of less than a sector).
    fs::write(src.join("inline_max"), vec![b'i'; 2000]).unwrap();
    fs::write(src.join("not_inline"), vec![b'r'; 5000]).unwrap();
    let mut a = vec!["-L", "bootfs", "-U", UUID];
    a.extend(args);
    let img = mkfs_btrfs(tmp.path(), name, &a, &src, 400 << 20);
    let dev = FileDev::open(&img);
    let fs = btrfs::probe(&dev).unwrap().expect("btrfs magic");
    assert_eq!(fs.checksum_name(), csum);
    assert_eq!(fs.default_subvolume().unwrap(), 5);
    let info = fs.info();
    assert_eq!(info.fs_type, "btrfs");
    assert_eq!(info.uuid.as_deref(), Some(UUID));
    assert_eq!(info.label.as_deref(), Some("bootfs"));
    let n = diff_tree_with(&fs, &src, fs.root(), "", &walk::BTRFS);
    assert!(n > opts.many, "{name}: only {n} files compared");
    check_paths(&fs);
    let boxed = xlboot_fs::probe(&dev).unwrap().expect("probe");
    assert_eq!(boxed.info().fs_type, "btrfs");
}

fn small_tree() -> TreeOpts {
    TreeOpts {
        many: 1500,
        kernel_size: 3 * 1024 * 1024 + 1234,
        sparse_far: 70 << 20,
    }
}

#[test]
fn crc32c_16k_nodes_single_metadata() {
    full_check("crc32c", &["-m", "single"], small_tree(), "crc32c");
}

#[test]
fn xxhash_4k_nodes_dup_metadata() {
    // 4 KiB nodes: /many's 1500 entries make the subvolume tree three levels deep.
    full_check(
        "xxhash",
        &["--csum", "xxhash", "-n", "4096", "-m", "dup"],
        small_tree(),
        "xxhash64",
    );
}

#[test]
fn sha256_64k_nodes() {
    full_check(
        "sha256",
        &["--csum", "sha256", "-n", "65536"],
        small_tree(),
        "sha256",
    );
}

#[test]
fn blake2_8k_nodes_dup() {
    full_check(
        "blake2",
        &["--csum", "blake2", "-n", "8192", "-m", "dup", "-d", "dup"],
        small_tree(),
        "blake2b",
    );
}

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

use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use xlboot_fs::{btrfs, resolve, resolve_file, FileKind, FileSystem, FsError, NodeId, PathLimits};

const UUID: &str = "0b7f3e2a-5c4d-4e6f-8a9b-1c2d3e4f5a6b";

/// Whether mkfs.btrfs can be run; a missing one skips, or fails under
/// XLBOOT_REQUIRE_TOOLS.
fn have_mkfs() -> bool {
    let ok = Command::new("mkfs.btrfs")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("mkfs.btrfs is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: mkfs.btrfs not installed (package btrfs-progs)");
    }
    ok
}

/// Runs `mkfs.btrfs -q -f <args> --rootdir src img` on a `size`-byte image.
fn mkfs_btrfs(dir: &Path, name: &str, args: &[&str], src: &Path, size: u64) -> PathBuf {
    let img = dir.join(format!("{name}.img"));
    fs::File::create(&img).unwrap().set_len(size).unwrap();
    let out = Command::new("mkfs.btrfs")
        .args(["-q", "-f", "-L", "bootfs", "-U", UUID])
        .args(args)
        .arg("--rootdir")
        .arg(src)
        .arg(&img)
        .output()
        .expect("mkfs.btrfs");
    assert!(
        out.status.success(),
        "mkfs.btrfs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chk = Command::new("btrfs")
        .args(["check", "--readonly"])
        .arg(&img)
        .output()
        .expect("btrfs check");
    assert!(
        chk.status.success(),
        "btrfs check: {}{}",
        String::from_utf8_lossy(&chk.stdout),
        String::from_utf8_lossy(&chk.stderr)
    );
    img
}

/// Walks `host` and the image directory `node` side by side; returns files compared.
fn diff_tree(fs: &dyn FileSystem, host: &Path, node: NodeId, rel: &str) -> usize {
    let mut img: BTreeMap<Vec<u8>, NodeId> = BTreeMap::new();
    fs.read_dir(node, 1_000_000, &mut |n, id| {
        assert!(
            img.insert(n.to_vec(), id).is_none(),
            "{rel}: duplicate entry"
        );
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("read_dir {rel}: {e}"));
    let mut host_names: Vec<_> = fs::read_dir(host).unwrap().map(|e| e.unwrap()).collect();
    host_names.sort_by_key(|e| e.file_name());
    let want: Vec<Vec<u8>> = host_names
        .iter()
        .map(|e| name_bytes(&e.file_name()))
        .collect();
    let got: Vec<Vec<u8>> = img.keys().cloned().collect();
    assert_eq!(got, want, "{rel}: directory listing differs");

    let mut n = 0;
    for e in host_names {
        let name = e.file_name();
        let p = format!("{rel}/{}", name.to_string_lossy());
        let id = img[&name_bytes(&name)];
        // Every name is found by its hash too, and leads to the listed node.
        let looked = fs.lookup(node, &name_bytes(&name)).unwrap();
        assert_eq!(looked, Some(id), "{p}: lookup by name hash");
        let hm = fs::symlink_metadata(e.path()).unwrap();
        let m = fs
            .metadata(id)
            .unwrap_or_else(|e| panic!("metadata {p}: {e}"));
        if hm.file_type().is_dir() {
            assert_eq!(m.kind, FileKind::Directory, "{p}");
            n += diff_tree(fs, &e.path(), id, &p);
        } else if hm.file_type().is_symlink() {
            assert_eq!(m.kind, FileKind::Symlink, "{p}");
            let t = fs
                .read_link(id, 4096)
                .unwrap_or_else(|e| panic!("read_link {p}: {e}"));
            let ht = fs::read_link(e.path()).unwrap();
            assert_eq!(t, name_bytes(ht.as_os_str()), "{p}: link target");
            assert_eq!(m.size, t.len() as u64, "{p}: link size");
            n += 1;
        } else if hm.file_type().is_file() {
            assert_eq!(m.kind, FileKind::Regular, "{p}");
            assert_eq!(m.size, hm.len(), "{p}: size");
            compare_file(fs, id, &e.path(), &p);
            let r = resolve_file(fs, p.as_bytes(), &PathLimits::default()).unwrap();
            assert_eq!(r, id, "{p}: resolve");
            n += 1;
        } else {
            assert!(is_other(&hm));
            assert_eq!(m.kind, FileKind::Other, "{p}");
            let err = resolve_file(fs, p.as_bytes(), &PathLimits::default()).unwrap_err();
            assert!(matches!(err, FsError::WrongKind(_)), "{p}: {err}");
            n += 1;
        }
    }
    n
}

/// Compares a file's bytes with the host's, in 1 MiB reads plus a few unaligned ones.
fn compare_file(fs: &dyn FileSystem, id: NodeId, host: &Path, p: &str) {
    let want = fs::read(host).unwrap();
    let mut got = Vec::with_capacity(want.len());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = fs
            .read_at(id, got.len() as u64, &mut buf)
            .unwrap_or_else(|e| panic!("read {p}: {e}"));
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        assert!(got.len() <= want.len(), "{p}: read past the end");
    }
    assert!(got == want, "{p}: content differs");
    for (off, len) in [
        (1u64, 1usize),
        (4095, 10_000),
        (1023, 1025),
        (want.len() as u64 / 2, 70_000),
        (want.len() as u64 / 3, 300_000),
    ] {
        let mut b = vec![0xAAu8; len];
        let n = fs.read_at(id, off, &mut b).unwrap();
        let start = (off as usize).min(want.len());
        let end = (start + len).min(want.len());
        assert_eq!(n, end - start, "{p}: short read at {off}");
        assert!(b[..n] == want[start..end], "{p}: bytes at {off}+{len}");
    }
    let mut b = [0u8; 16];
    assert_eq!(fs.read_at(id, want.len() as u64 + 5, &mut b).unwrap(), 0);
}

fn node(fs: &dyn FileSystem, p: &str) -> NodeId {
    resolve(fs, p.as_bytes(), &PathLimits::default()).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn err(fs: &dyn FileSystem, p: &str) -> FsError {
    resolve_file(fs, p.as_bytes(), &PathLimits::default()).expect_err(p)
}

/// Path resolution cases on the tree from `build_tree`.
fn check_paths(fs: &dyn FileSystem) {
    let kernel = node(fs, "/boot/vmlinuz-6.1.0-test");
    let l = PathLimits::default();
    for p in [
        "/vmlinuz",
        "vmlinuz",
        "/vmlinuz.chain",
        "/boot/vmlinuz",
        "//boot/./vmlinuz",
    ] {
        assert_eq!(resolve_file(fs, p.as_bytes(), &l).unwrap(), kernel, "{p}");
    }
    let cfg = node(fs, &format!("/boot/{LONG_DIR}/config"));
    assert_eq!(node(fs, "/slowlink/config"), cfg);
    assert_eq!(node(fs, "/etc_slow_rel"), cfg);
    assert_eq!(node(fs, "/up"), node(fs, "/boot/grub/grub.cfg"));
    assert_eq!(node(fs, "/.."), fs.root());
    assert!(matches!(err(fs, "/loop1"), FsError::Limit(_)));
    assert!(matches!(err(fs, "/dangling"), FsError::NotFound(_)));
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
    if !have_mkfs() {
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
    let img = mkfs_btrfs(tmp.path(), name, args, &src, 400 << 20);
    let dev = FileDev::open(&img);
    let fs = btrfs::probe(&dev).unwrap().expect("btrfs magic");
    assert_eq!(fs.checksum_name(), csum);
    assert_eq!(fs.default_subvolume().unwrap(), 5);
    let info = fs.info();
    assert_eq!(info.fs_type, "btrfs");
    assert_eq!(info.uuid.as_deref(), Some(UUID));
    assert_eq!(info.label.as_deref(), Some("bootfs"));
    let n = diff_tree(&fs, &src, fs.root(), "");
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

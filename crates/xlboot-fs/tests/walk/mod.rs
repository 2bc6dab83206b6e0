//! The differential walk for image tests of filesystems other than ext4 (FAT,
//! ISO9660, squashfs): every file, link, directory and special file of a source tree is
//! looked up in the image made from it by the real tool and compared (listing, kind,
//! size, bytes, link target); and a check that a needed tool is installed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Command, Stdio};

use xlboot_fs::{resolve_file, FileKind, FileSystem, FsError, NodeId, PathLimits};

/// Whether `tool` runs. A missing tool skips the test with a note, unless
/// XLBOOT_REQUIRE_TOOLS is set (as in CI, where a skip would hide a gap).
pub fn have(tool: &str, package: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("{tool} is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: {tool} not installed (package {package})");
    }
    found
}

/// Runs a command, failing the test with its stderr when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Bytes of a host file name.
pub fn name_bytes(n: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    n.as_bytes().to_vec()
}

/// Walks `host` and the image directory `node` side by side; returns the number of
/// files and links compared. Listings must match exactly (names byte for byte).
pub fn diff_tree(fs: &dyn FileSystem, host: &Path, node: NodeId, rel: &str) -> usize {
    let mut img: BTreeMap<Vec<u8>, NodeId> = BTreeMap::new();
    fs.read_dir(node, 1_000_000, &mut |n, id| {
        assert!(
            img.insert(n.to_vec(), id).is_none(),
            "{rel}: duplicate entry {}",
            String::from_utf8_lossy(n)
        );
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("read_dir {rel}: {e}"));
    let mut host_names: Vec<_> = fs::read_dir(host).unwrap().map(|e| e.unwrap()).collect();
    host_names.sort_by_key(|e| e.file_name());
    let want: Vec<String> = host_names
        .iter()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let got: Vec<String> = img
        .keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert_eq!(got, want, "{rel}: directory listing differs");

    let mut n = 0;
    let big = host_names.len() > 200;
    for (idx, e) in host_names.into_iter().enumerate() {
        let name = e.file_name();
        let p = format!("{rel}/{}", name.to_string_lossy());
        let id = img[&name_bytes(&name)];
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
            n += 1;
        } else if !hm.file_type().is_file() {
            // A FIFO, socket or device: listed, of kind Other, never a boot file.
            assert_eq!(m.kind, FileKind::Other, "{p}");
            let err = resolve_file(fs, p.as_bytes(), &PathLimits::default()).unwrap_err();
            assert!(matches!(err, FsError::WrongKind(_)), "{p}: {err}");
            n += 1;
        } else {
            assert_eq!(m.kind, FileKind::Regular, "{p}");
            assert_eq!(m.size, hm.len(), "{p}: size");
            compare_file(fs, id, &e.path(), &p);
            if !big || idx % 97 == 0 {
                let r = resolve_file(fs, p.as_bytes(), &PathLimits::default())
                    .unwrap_or_else(|e| panic!("resolve {p}: {e}"));
                assert_eq!(r, id, "{p}: resolve");
            }
            n += 1;
        }
    }
    n
}

/// Compares a file's bytes with the host's, in 1 MiB reads plus a few unaligned ones.
pub fn compare_file(fs: &dyn FileSystem, id: NodeId, host: &Path, p: &str) {
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
        (511, 513),
        (4095, 10_000),
        (2047, 2049),
        (want.len() as u64 / 2, 70_000),
        (want.len().saturating_sub(3) as u64, 10),
    ] {
        let mut b = vec![0xAAu8; len];
        let n = fs.read_at(id, off, &mut b).unwrap();
        let start = (off as usize).min(want.len());
        let end = (start + len).min(want.len());
        assert_eq!(n, end - start, "{p}: short read at {off}");
        assert!(b[..n] == want[start..end], "{p}: bytes at {off}+{len}");
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
pub fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    v.truncate(n);
    v
}

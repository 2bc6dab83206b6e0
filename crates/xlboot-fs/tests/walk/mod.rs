//! The differential walk every image test uses: every file, link, directory and special
//! file of a source tree is looked up in the image made from it by the real tool and
//! compared (listing, kind, size, bytes, link target). [`Walk`] says what a filesystem
//! adds or cannot represent, and how much of the lookup/resolve work to sample. Also
//! the path checks on `common::build_tree`'s links, and [`walk_all`], the walk over a
//! damaged image that only must not panic.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;
use std::path::Path;

use xlboot_fs::{resolve, resolve_file, FileKind, FileSystem, FsError, NodeId, PathLimits};

use super::common::{is_other, name_bytes, LONG_DIR};

/// How often a per-entry check runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Never,
    /// Every entry of a directory of at most 200 entries; in a bigger one every 97th
    /// and the last (each lookup scans the directory, so all of them is quadratic).
    Sampled,
    Every,
}

impl Check {
    fn runs(self, idx: usize, len: usize) -> bool {
        match self {
            Check::Never => false,
            Check::Sampled => len <= 200 || idx % 97 == 0 || idx + 1 == len,
            Check::Every => true,
        }
    }
}

/// What a walk checks beyond listing, kind, size, bytes and link targets.
#[derive(Clone, Copy)]
pub struct Walk {
    /// Names the tool adds to the image root that the source lacks (ext4 lost+found).
    pub root_extras: &'static [&'static [u8]],
    /// A symlink's size is its target's length (not so where the format has no size
    /// for links, as FAT, ISO9660 and squashfs here).
    pub link_size: bool,
    /// `FileSystem::lookup` of each name in its directory finds the listed node.
    pub lookup: Check,
    /// The path of each regular file resolves to the listed node.
    pub resolve: Check,
    /// Empty files in big directories are not read (only listed, kind and size).
    pub skip_empty_in_big: bool,
}

/// FAT, ISO9660, squashfs.
pub const PLAIN: Walk = Walk {
    root_extras: &[],
    link_size: false,
    lookup: Check::Never,
    resolve: Check::Sampled,
    skip_empty_in_big: false,
};

/// ext4 (`mke2fs -d`): mke2fs adds lost+found; each regular file's path resolves (a
/// sample in big directories, as each lookup scans the directory).
pub const EXT4: Walk = Walk {
    root_extras: &[b"lost+found"],
    link_size: true,
    lookup: Check::Never,
    resolve: Check::Sampled,
    skip_empty_in_big: false,
};

/// btrfs (`mkfs.btrfs --rootdir`): every name is found by its hash too, and every
/// file by its path.
pub const BTRFS: Walk = Walk {
    root_extras: &[],
    link_size: true,
    lookup: Check::Every,
    resolve: Check::Every,
    skip_empty_in_big: false,
};

/// btrfs written by the kernel (subvolumes, compression): every name is looked up in
/// its directory too.
pub const BTRFS_KERNEL: Walk = Walk {
    root_extras: &[],
    link_size: false,
    lookup: Check::Every,
    resolve: Check::Never,
    skip_empty_in_big: false,
};

/// XFS (`mkfs.xfs -p`): lookups (linear in the directory) for a sample of big
/// directories; the thousands of empty files of the big directories are listed but
/// not read.
pub const XFS: Walk = Walk {
    root_extras: &[],
    link_size: true,
    lookup: Check::Sampled,
    resolve: Check::Never,
    skip_empty_in_big: true,
};

/// Walks with [`PLAIN`] checks; see [`diff_tree_with`].
pub fn diff_tree(fs: &dyn FileSystem, host: &Path, node: NodeId, rel: &str) -> usize {
    diff_tree_with(fs, host, node, rel, &PLAIN)
}

/// Walks `host` and the image directory `node` side by side; returns the number of
/// files, links and special files compared. Listings must match exactly (names byte
/// for byte).
pub fn diff_tree_with(
    fs: &dyn FileSystem,
    host: &Path,
    node: NodeId,
    rel: &str,
    w: &Walk,
) -> usize {
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
    if rel.is_empty() {
        for extra in w.root_extras {
            img.remove(*extra);
        }
    }
    let mut host_names: Vec<_> = fs::read_dir(host).unwrap().map(|e| e.unwrap()).collect();
    host_names.sort_by_key(|e| e.file_name());
    let want: Vec<Vec<u8>> = host_names
        .iter()
        .map(|e| name_bytes(&e.file_name()))
        .collect();
    let got: Vec<Vec<u8>> = img.keys().cloned().collect();
    assert_eq!(got, want, "{rel}: directory listing differs");

    let mut n = 0;
    let len = host_names.len();
    let big = len > 200;
    for (idx, e) in host_names.into_iter().enumerate() {
        let name = e.file_name();
        let p = format!("{rel}/{}", name.to_string_lossy());
        let id = img[&name_bytes(&name)];
        if w.lookup.runs(idx, len) {
            assert_eq!(
                fs.lookup(node, &name_bytes(&name)).unwrap(),
                Some(id),
                "{p}: lookup"
            );
        }
        let hm = fs::symlink_metadata(e.path()).unwrap();
        let m = fs
            .metadata(id)
            .unwrap_or_else(|e| panic!("metadata {p}: {e}"));
        if hm.file_type().is_dir() {
            assert_eq!(m.kind, FileKind::Directory, "{p}");
            n += diff_tree_with(fs, &e.path(), id, &p, w);
        } else if hm.file_type().is_symlink() {
            assert_eq!(m.kind, FileKind::Symlink, "{p}");
            let t = fs
                .read_link(id, 4096)
                .unwrap_or_else(|e| panic!("read_link {p}: {e}"));
            let ht = fs::read_link(e.path()).unwrap();
            assert_eq!(t, name_bytes(ht.as_os_str()), "{p}: link target");
            if w.link_size {
                assert_eq!(m.size, t.len() as u64, "{p}: link size");
            }
            n += 1;
        } else if hm.file_type().is_file() {
            assert_eq!(m.kind, FileKind::Regular, "{p}");
            assert_eq!(m.size, hm.len(), "{p}: size");
            if !(w.skip_empty_in_big && big && hm.len() == 0) {
                compare_file(fs, id, &fs::read(e.path()).unwrap(), &p);
            }
            if w.resolve.runs(idx, len) {
                let r = resolve_file(fs, p.as_bytes(), &PathLimits::default())
                    .unwrap_or_else(|e| panic!("resolve {p}: {e}"));
                assert_eq!(r, id, "{p}: resolve");
            }
            n += 1;
        } else {
            // A FIFO, socket or device: listed, of kind Other, never a boot file.
            assert!(is_other(&hm), "{p}");
            assert_eq!(m.kind, FileKind::Other, "{p}");
            let err = resolve_file(fs, p.as_bytes(), &PathLimits::default()).unwrap_err();
            assert!(matches!(err, FsError::WrongKind(_)), "{p}: {err}");
            n += 1;
        }
    }
    n
}

/// Compares a file's bytes with `want`: in 1 MiB reads, in one read of the whole file
/// (and a little more), in unaligned reads across block and extent boundaries, and
/// past the end (nothing).
pub fn compare_file(fs: &dyn FileSystem, id: NodeId, want: &[u8], p: &str) {
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
    let mut whole = vec![0u8; want.len() + 10];
    let n = fs
        .read_at(id, 0, &mut whole)
        .unwrap_or_else(|e| panic!("read {p}: {e}"));
    assert_eq!(n, want.len(), "{p}: one whole read");
    assert!(whole[..n] == want[..], "{p}: content of one whole read");
    for (off, len) in [
        (1u64, 1usize),
        (511, 513),
        (1023, 1025),
        (2047, 2049),
        (4095, 10_000),
        (4095, 70_000),
        (131_071, 70_000),
        (131_072, 70_000),
        (200_001, 70_000),
        (want.len() as u64 / 2, 70_000),
        (want.len() as u64 / 3, 300_000),
        (want.len().saturating_sub(3) as u64, 10),
    ] {
        let mut b = vec![0xAAu8; len];
        let n = fs.read_at(id, off, &mut b).unwrap();
        let start = (off as usize).min(want.len());
        let end = (start + len).min(want.len());
        assert_eq!(n, end - start, "{p}: short read at {off}");
        assert!(b[..n] == want[start..end], "{p}: bytes at {off}+{len}");
    }
    let mut b = [0u8; 16];
    assert_eq!(
        fs.read_at(id, want.len() as u64 + 5, &mut b).unwrap(),
        0,
        "{p}: read past the end"
    );
}

/// Resolves `p` (of any kind), failing the test with the error.
pub fn node(fs: &dyn FileSystem, p: &str) -> NodeId {
    resolve(fs, p.as_bytes(), &PathLimits::default()).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The error resolving `p` as a regular file gives.
pub fn err(fs: &dyn FileSystem, p: &str) -> FsError {
    resolve_file(fs, p.as_bytes(), &PathLimits::default()).expect_err(p)
}

/// Path resolution through the links of `common::build_tree` (absolute and relative,
/// chains, a slow link to a directory, `..` above the root, a loop, a dangling link).
pub fn check_tree_links(fs: &dyn FileSystem) {
    let kernel = node(fs, "/boot/vmlinuz-6.1.0-test");
    let l = PathLimits::default();
    for p in [
        "/vmlinuz",
        "/vmlinuz.chain",
        "/boot/vmlinuz",
        "//boot/./vmlinuz",
    ] {
        assert_eq!(resolve_file(fs, p.as_bytes(), &l).unwrap(), kernel, "{p}");
    }
    let cfg = node(fs, &format!("/boot/{LONG_DIR}/config"));
    assert_eq!(node(fs, "/slowlink/config"), cfg);
    assert_eq!(node(fs, "/etc_slow_rel"), cfg);
    assert_eq!(
        node(fs, "/up"),
        node(fs, "/boot/grub/grub.cfg"),
        "a link climbing above the root stops at the root"
    );
    let e = err(fs, "/loop1");
    assert!(matches!(e, FsError::Limit(_)), "{e}");
    let e = err(fs, "/dangling");
    assert!(matches!(e, FsError::NotFound(_)), "{e}");
}

/// Visits every node of a (damaged) image under budgets (depth 12, 5000 nodes), reads
/// every link and every file (in 40,000-byte reads up to 4 MiB, and 64 KiB at 0 and at
/// 1 MiB); errors are fine, panics are not. `seen` counts the nodes visited.
pub fn walk_all(fs: &dyn FileSystem, dir: NodeId, depth: usize, seen: &mut usize) {
    if depth > 12 || *seen > 5000 {
        return;
    }
    let mut kids = Vec::new();
    let _ = fs.read_dir(dir, 2000, &mut |_, id| {
        kids.push(id);
        ControlFlow::Continue(())
    });
    for id in kids {
        *seen += 1;
        match fs.metadata(id).map(|m| m.kind) {
            Ok(FileKind::Directory) => walk_all(fs, id, depth + 1, seen),
            Ok(FileKind::Symlink) => {
                let _ = fs.read_link(id, 4096);
            }
            Ok(_) => {
                let mut buf = vec![0u8; 40_000];
                let mut off = 0u64;
                while let Ok(n) = fs.read_at(id, off, &mut buf) {
                    if n == 0 || off > 4 << 20 {
                        break;
                    }
                    assert!(n <= buf.len());
                    off += n as u64;
                }
                let mut buf = vec![0u8; 64 << 10];
                let _ = fs.read_at(id, 0, &mut buf);
                let _ = fs.read_at(id, 1 << 20, &mut buf);
            }
            Err(_) => {}
        }
    }
}

/// Runs `open_and_walk` on one damaged image and returns whether the image opened. A
/// panic fails the test, after printing `damage()` (what was flipped where).
pub fn survives(damage: impl FnOnce() -> String, open_and_walk: impl FnOnce() -> bool) -> bool {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(open_and_walk)) {
        Ok(opened) => opened,
        Err(p) => {
            eprintln!("panic on {}", damage());
            std::panic::resume_unwind(p);
        }
    }
}

/// Most damaged images of a flip loop should still open, or the loop only tests the
/// superblock.
pub fn assert_most_opened(name: &str, opened: u64, iterations: u64) {
    eprintln!("{name}: {opened} of {iterations} damaged images opened and were walked");
    assert!(
        opened > iterations / 4,
        "{name}: only {opened} images opened"
    );
}

/// Where an image's metadata is: the non-zero bytes of its 1 KiB pieces that are not
/// mostly non-zero (random file data is; superblocks, group or AG headers, inodes,
/// extent, B-tree, directory and log blocks are not). Read 1 MiB at a time.
pub fn metadata_bytes(img: &Path) -> Vec<u64> {
    use std::io::Read;
    let mut hot = Vec::new();
    let mut f = fs::File::open(img).unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    let mut base = 0u64;
    loop {
        let n = f.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        for (bi, blk) in chunk[..n].chunks(1024).enumerate() {
            let nz = blk.iter().filter(|&&b| b != 0).count();
            if nz > 0 && nz < 900 {
                let at = base + (bi * 1024) as u64;
                hot.extend(
                    blk.iter()
                        .enumerate()
                        .filter(|(_, &b)| b != 0)
                        .map(|(i, _)| at + i as u64),
                );
            }
        }
        base += n as u64;
    }
    hot
}

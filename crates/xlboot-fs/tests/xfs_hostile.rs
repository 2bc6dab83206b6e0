//! Hostile XFS images: real `mkfs.xfs` images with features switched by `xfs_db -x`
//! (which keeps the CRCs right, so the reader must refuse on meaning, not checksum),
//! and a seeded random byte-flip loop over v4 and v5 images that must never panic or
//! hang.
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
use std::ops::ControlFlow;
use std::path::PathBuf;

use common::*;
use walk::{assert_most_opened, metadata_bytes, survives};
use xlboot_disk::{BlockDevice, IoError};
use xlboot_fs::{resolve, xfs, FileKind, FileSystem, FsError, NodeId, PathLimits};

/// A small tree (plus a 600-entry directory, a B-tree on v4) as a 300 MiB image.
fn small_image(tmp: &TempDir, name: &str, args: &[&str]) -> PathBuf {
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    build_tree(
        &src,
        &TreeOpts {
            many: 600,
            kernel_size: 200_000,
            sparse_far: 1 << 20,
        },
    );
    mkfs_xfs(tmp.path(), name, args, &src, 300 << 20)
}

/// Feature bits and geometry changed with valid CRCs: refused with the right kind.
#[test]
fn xfs_refuses_features_and_bad_geometry() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let tmp = TempDir::new("xfs-feat");
    let img = small_image(&tmp, "feat", &[]);
    let clean = fs::read(&img).unwrap();
    // (field and value, refused as unsupported (else corrupt), words in the error)
    let cases = [
        ("features_incompat 0x10b", true, "metadir"),
        ("features_incompat 0x1b", false, "needsrepair"),
        ("agblklog 9", false, "allocation groups"),
        ("inprogress 1", false, "mkfs did not finish"),
    ];
    for (cmd, unsupported, words) in cases {
        fs::write(&img, &clean).unwrap();
        xfs_db(&img, true, &["sb 0", &format!("write -d {cmd}")]);
        let data = fs::read(&img).unwrap();
        match xfs::probe(data.as_slice()) {
            Err(e) => {
                let kind_ok = if unsupported {
                    matches!(e, FsError::Unsupported(_))
                } else {
                    matches!(e, FsError::Corrupt(_))
                };
                assert!(kind_ok, "{cmd}: {e}");
                assert!(e.to_string().contains(words), "{cmd}: {e}");
            }
            Ok(_) => panic!("{cmd}: opened"),
        }
    }
}

/// An image file with a few bytes changed in memory.
struct Flipped<'a> {
    dev: &'a FileDev,
    flips: &'a [(u64, u8)],
}

impl BlockDevice for Flipped<'_> {
    fn size(&self) -> u64 {
        self.dev.size()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.dev.read_exact_at(offset, buf)?;
        for &(at, v) in self.flips {
            if at >= offset && at < offset + buf.len() as u64 {
                buf[(at - offset) as usize] ^= v;
            }
        }
        Ok(())
    }
}

/// Reads everything reachable, within budgets; errors are fine, panics are not.
fn walk(fs: &dyn FileSystem, dir: NodeId, path: String, depth: usize, budget: &mut usize) {
    if depth > 10 || *budget == 0 {
        return;
    }
    let mut entries = Vec::new();
    let _ = fs.read_dir(dir, 5000, &mut |n, id| {
        entries.push((n.to_vec(), id));
        ControlFlow::Continue(())
    });
    for (i, (n, id)) in entries.into_iter().enumerate() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let p = format!("{path}/{}", String::from_utf8_lossy(&n));
        if i % 50 == 0 {
            let _ = fs.lookup(dir, &n);
            let _ = resolve(fs, p.as_bytes(), &PathLimits::default());
        }
        let Ok(m) = fs.metadata(id) else { continue };
        match m.kind {
            FileKind::Directory => walk(fs, id, p, depth + 1, budget),
            FileKind::Regular => {
                let mut buf = vec![0u8; 256 * 1024];
                let mut off = 0u64;
                while off < 4 << 20 {
                    match fs.read_at(id, off, &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => off += k as u64,
                    }
                }
            }
            FileKind::Symlink => {
                let _ = fs.read_link(id, 4096);
            }
            FileKind::Other => {}
        }
    }
}

fn flip_loop(name: &str, args: &[&str], iterations: u64) {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let tmp = TempDir::new(name);
    let img = small_image(&tmp, name, args);
    let hot = metadata_bytes(&img);
    let dev = FileDev::open(&img);
    let mut rng = Rng(0x0BAD_F00D ^ iterations);
    let mut opened = 0u64;
    for it in 0..iterations {
        let k = 1 + rng.below(8);
        let flips: Vec<(u64, u8)> = (0..k)
            .map(|_| {
                (
                    hot[rng.below(hot.len() as u64) as usize],
                    (rng.next() as u8) | 1,
                )
            })
            .collect();
        let d = Flipped {
            dev: &dev,
            flips: &flips,
        };
        let ok = survives(
            || format!("{name}: iteration {it}, flips {flips:?}"),
            || {
                if let Ok(Some(fs)) = xfs::probe(&d) {
                    let mut budget = 1000;
                    walk(&fs, fs.root(), String::new(), 0, &mut budget);
                    true
                } else {
                    false
                }
            },
        );
        opened += u64::from(ok);
    }
    assert_most_opened(name, opened, iterations);
}

#[test]
fn random_flips_xfs_v5() {
    flip_loop("flip-xfs-v5", &["-b", "size=1024"], 300);
}

#[test]
fn random_flips_xfs_v4() {
    flip_loop(
        "flip-xfs-v4",
        &["-m", "crc=0", "-i", "size=256", "-b", "size=1024"],
        300,
    );
}

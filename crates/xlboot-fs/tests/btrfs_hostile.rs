//! Hostile btrfs images: real `mkfs.btrfs --rootdir` images with hand-placed damage,
//! asserting a clean error of the right kind (or the intact copy being used), plus a
//! seeded byte-flip loop over tree blocks whose checksums are then made valid again,
//! so that the damage reaches the parsers behind the checksum check.
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
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use walk::{assert_most_opened, survives};
use xlboot_fs::{btrfs, resolve, FileKind, FileSystem, FsError, NodeId, PathLimits};

const UUID: &str = "11111111-2222-4333-8444-555555555555";
const FSID: [u8; 16] = [
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x43, 0x33, 0x84, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
];

/// A small image of the standard tree, `size` bytes, 4 KiB nodes, made with `args`.
fn image(tmp: &TempDir, name: &str, args: &[&str], size: u64) -> PathBuf {
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir(&src).unwrap();
    let o = TreeOpts {
        many: 300,
        kernel_size: 200_000,
        sparse_far: 2 << 20,
    };
    build_tree(&src, &o);
    let mut a = vec!["-n", "4096", "-U", UUID];
    a.extend(args);
    mkfs_btrfs(tmp.path(), name, &a, &src, size)
}

/// Standard CRC32C (init and final inversion), as btrfs stores it.
fn crc32c(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Recomputes the crc32c of the block of `len` bytes at `at`.
fn fix_csum(img: &mut [u8], at: usize, len: usize) {
    let c = crc32c(&img[at + 32..at + len]);
    img[at..at + 4].copy_from_slice(&c.to_le_bytes());
}

/// Physical offsets of the copies of the subvolume tree's root block.
fn fs_root_copies(img: &Path) -> Vec<u64> {
    let out = Command::new("btrfs")
        .args(["inspect-internal", "dump-tree", "-t", "5"])
        .arg(img)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let logical: u64 = text
        .lines()
        .find(|l| l.starts_with("node ") || l.starts_with("leaf "))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("dump-tree: root block")
        .parse()
        .unwrap();
    let out = Command::new("btrfs-map-logical")
        .args(["-l", &logical.to_string()])
        .arg(img)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(" physical ").nth(1))
        .map(|r| r.split_whitespace().next().unwrap().parse().unwrap())
        .collect()
}

/// Resolves, lists and reads everything reachable, ignoring errors: the point is
/// that nothing panics or runs away.
fn exercise(fs: &dyn FileSystem) {
    let l = PathLimits::default();
    for p in [
        "/boot/grub/grub.cfg",
        "/vmlinuz",
        "/slowlink/config",
        "/many",
    ] {
        let _ = resolve(fs, p.as_bytes(), &l);
    }
    let mut stack: Vec<(NodeId, usize)> = vec![(fs.root(), 0)];
    let mut visited = 0;
    while let Some((dir, depth)) = stack.pop() {
        let mut kids = Vec::new();
        let _ = fs.read_dir(dir, 10_000, &mut |n, id| {
            kids.push((n.to_vec(), id));
            ControlFlow::Continue(())
        });
        for (name, id) in kids {
            visited += 1;
            if visited > 2000 {
                return;
            }
            let _ = fs.lookup(dir, &name);
            let Ok(m) = fs.metadata(id) else { continue };
            match m.kind {
                FileKind::Directory if depth < 10 => stack.push((id, depth + 1)),
                FileKind::Regular => {
                    let mut buf = vec![0u8; 64 * 1024];
                    let _ = fs.read_at(id, 0, &mut buf);
                    let _ = fs.read_at(id, m.size.saturating_sub(100), &mut buf);
                }
                FileKind::Symlink => {
                    let _ = fs.read_link(id, 4096);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn damaged_primary_superblock_falls_back_to_the_mirror() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("btrfs-sb");
    let path = image(&tmp, "sb", &[], 160 << 20);
    let mut img = fs::read(&path).unwrap();
    img[65536 + 0x12b] ^= 0x55; // in the label: only the checksum notices
    let fs = btrfs::probe(img.as_slice()).unwrap().expect("btrfs");
    assert_eq!(fs.superblock_offset(), 64 << 20);
    let k = resolve(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    assert_eq!(fs.metadata(k).unwrap().size, 200_000);

    // Both copies damaged: the primary's error.
    img[(64 << 20) + 0x12b] ^= 0x55;
    match btrfs::probe(img.as_slice()) {
        Err(FsError::Corrupt(m)) => assert!(m.contains("checksum"), "{m}"),
        other => panic!("{other:?}"),
    }
    // No primary magic: not btrfs at all, whatever the mirrors say.
    img[65536 + 0x40] = b'X';
    assert!(btrfs::probe(img.as_slice()).unwrap().is_none());
}

#[test]
fn unknown_checksum_type_is_unsupported() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("btrfs-csum");
    let path = image(&tmp, "csum", &[], 64 << 20);
    let mut img = fs::read(&path).unwrap();
    img[65536 + 0xc4] = 9;
    fix_csum(&mut img, 65536, 4096);
    match btrfs::probe(img.as_slice()) {
        Err(FsError::Unsupported(m)) => assert!(m.contains("checksum type 9"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dup_metadata_reads_the_intact_copy() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("btrfs-dup");
    let path = image(&tmp, "dup", &["-m", "dup"], 64 << 20);
    let copies = fs_root_copies(&path);
    assert_eq!(copies.len(), 2, "DUP has two copies: {copies:?}");
    let mut img = fs::read(&path).unwrap();
    img[copies[0] as usize + 200] ^= 0xFF;
    let fs = btrfs::probe(img.as_slice()).unwrap().expect("btrfs");
    let k = resolve(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    assert_eq!(fs.metadata(k).unwrap().size, 200_000);

    // Both copies damaged: the first copy's checksum error, with the address.
    img[copies[1] as usize + 200] ^= 0xFF;
    match btrfs::probe(img.as_slice()) {
        Err(FsError::Corrupt(m)) => {
            assert!(m.contains("crc32c checksum mismatch"), "{m}");
            assert!(m.contains("tree block at logical"), "{m}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn impossible_item_count_is_corrupt_even_with_a_valid_checksum() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("btrfs-nritems");
    let path = image(&tmp, "nritems", &["-m", "single"], 64 << 20);
    let at = fs_root_copies(&path)[0] as usize;
    let mut img = fs::read(&path).unwrap();
    img[at + 96..at + 100].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_csum(&mut img, at, 4096);
    match btrfs::probe(img.as_slice()) {
        Err(FsError::Corrupt(m)) => assert!(m.contains("items do not fit"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// Flips bytes inside tree blocks, fixes their checksums, opens and walks.
#[test]
fn random_flips_in_checksummed_tree_blocks() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("btrfs-flip");
    let path = image(&tmp, "flip", &["-m", "single"], 64 << 20);
    let clean = fs::read(&path).unwrap();
    // Tree blocks: 4 KiB-aligned blocks carrying the fsid at byte 32 (the
    // superblock too, which is 4 KiB at 64 KiB).
    let blocks: Vec<usize> = (0..clean.len() / 4096)
        .map(|i| i * 4096)
        .filter(|&at| clean[at + 32..at + 48] == FSID)
        .collect();
    assert!(blocks.len() > 10, "only {} tree blocks", blocks.len());
    let mut rng = Rng(0xB7F5_0001);
    let mut img = clean.clone();
    let mut opened = 0u64;
    let iterations = 1000u64;
    for it in 0..iterations {
        let blk = blocks[rng.below(blocks.len() as u64) as usize];
        let flips = 1 + rng.below(4);
        let mut log = Vec::new();
        for _ in 0..flips {
            // Mostly the header and item headers, where the structure lives.
            let span = if rng.below(2) == 0 {
                101 + 25 * 20
            } else {
                4096 - 32
            };
            let at = blk + 32 + rng.below(span - 32) as usize;
            img[at] ^= (rng.next() as u8) | 1;
            log.push(at);
        }
        fix_csum(&mut img, blk, 4096);
        let ok = survives(
            || format!("iteration {it}, block {blk}, flipped {log:?}"),
            || {
                if let Ok(Some(fs)) = btrfs::probe(img.as_slice()) {
                    exercise(&fs);
                    true
                } else {
                    false
                }
            },
        );
        opened += u64::from(ok);
        // Only this block was touched: restore it (copying the whole image each time
        // would cost more than the walk).
        img[blk..blk + 4096].copy_from_slice(&clean[blk..blk + 4096]);
    }
    assert_most_opened("btrfs-flip", opened, iterations);
}

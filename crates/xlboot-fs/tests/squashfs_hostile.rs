//! Hostile squashfs images: real `mksquashfs` images with hand-placed damage in the
//! superblock, the metadata blocks and the block lists, asserting a clean error of the
//! right kind (never a panic or a hang), and a seeded random corruption loop over
//! every compressor.
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
use std::process::Command;

use common::{have, random_bytes, run, Rng, TempDir};
use walk::walk_all;
use xlboot_fs::squashfs::{self, Squashfs};
use xlboot_fs::{resolve_file, FileSystem, FsError, NodeId, PathLimits};

/// A small image of a boot tree, made with `mksquashfs <args>`.
fn image(tmp: &TempDir, name: &str, args: &[&str]) -> Option<Vec<u8>> {
    if !have("mksquashfs", "squashfs-tools") {
        return None;
    }
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(
        src.join("boot/grub/grub.cfg"),
        b"menuentry x { linux /vmlinuz }\n",
    )
    .unwrap();
    // Half random, half text: some blocks compress, some are stored.
    let mut kernel = random_bytes(7, 150_000);
    kernel.extend(b"kernel text ".repeat(20_000));
    fs::write(src.join("boot/vmlinuz"), kernel).unwrap();
    fs::write(src.join("boot/initrd.img"), b"initrd".repeat(3000)).unwrap();
    std::os::unix::fs::symlink("boot/vmlinuz", src.join("vmlinuz")).unwrap();
    fs::create_dir_all(src.join("many")).unwrap();
    for i in 0..400 {
        fs::write(
            src.join(format!("many/a_long_file_name_{i:04}.txt")),
            format!("{i}"),
        )
        .unwrap();
    }
    let img = tmp.path().join(format!("{name}.sqfs"));
    run(Command::new("mksquashfs")
        .arg(&src)
        .arg(&img)
        .args(["-noappend", "-quiet", "-no-progress", "-b", "16K"])
        .args(args));
    Some(fs::read(&img).unwrap())
}

fn open(img: &[u8]) -> Result<Squashfs<&[u8]>, FsError> {
    squashfs::probe(img).map(|o| o.expect("squashfs magic"))
}

fn le64(img: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(img[at..at + 8].try_into().unwrap())
}

fn read_all(fs: &dyn FileSystem, node: NodeId) -> Result<Vec<u8>, FsError> {
    let size = fs.metadata(node)?.size;
    let mut v = vec![0u8; size as usize];
    let mut done = 0;
    while done < v.len() {
        let n = fs.read_at(node, done as u64, &mut v[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    v.truncate(done);
    Ok(v)
}

fn expect_corrupt(r: Result<impl Sized, FsError>, what: &str) {
    match r {
        Err(FsError::Corrupt(m)) => assert!(m.contains(what), "wanted {what:?} in: {m}"),
        Err(e) => panic!("{what}: expected a corrupt error, got: {e}"),
        Ok(_) => panic!("{what}: expected a corrupt error, got success"),
    }
}

fn expect_unsupported(r: Result<impl Sized, FsError>, what: &str) {
    match r {
        Err(FsError::Unsupported(m)) => assert!(m.contains(what), "wanted {what:?} in: {m}"),
        Err(e) => panic!("{what}: expected an unsupported error, got: {e}"),
        Ok(_) => panic!("{what}: expected an unsupported error, got success"),
    }
}

#[test]
fn superblock_checks() {
    let tmp = TempDir::new("sqfs-sb");
    let Some(clean) = image(&tmp, "gzip", &["-comp", "gzip"]) else {
        return;
    };
    open(&clean).unwrap();
    let set = |at: usize, bytes: &[u8]| {
        let mut img = clean.clone();
        img[at..at + bytes.len()].copy_from_slice(bytes);
        img
    };
    expect_unsupported(open(&set(28, &[3, 0, 1, 0])), "version 3.1");
    expect_unsupported(
        squashfs::probe(&set(0, b"sqsh")[..]).map(|_| ()),
        "big-endian",
    );
    expect_unsupported(open(&set(20, &[9, 0])), "compressor id 9");
    expect_corrupt(open(&set(22, &[13, 0])), "block size");
    expect_corrupt(open(&set(12, &[0, 0, 0, 0x40])), "block size");
    expect_corrupt(open(&set(40, &u64::MAX.to_le_bytes())), "the volume only");
    let dir_table = le64(&clean, 72);
    expect_corrupt(
        open(&set(64, &(dir_table + 1).to_le_bytes())),
        "out of order",
    );
    expect_corrupt(open(&set(16, &u32::MAX.to_le_bytes())), "fragment table");
    expect_corrupt(open(&set(4, &0u32.to_le_bytes())), "no inodes");
    // The root inode reference pointing into the middle of an inode.
    let root = le64(&clean, 32);
    assert!(open(&set(32, &(root + 3).to_le_bytes())).is_err());
    expect_corrupt(open(&set(32, &(root | 0x1fff).to_le_bytes())), "");
    // Cut short: the image says it is longer than the volume.
    expect_corrupt(open(&clean[..clean.len() / 2]), "the volume only");
    // Not squashfs at all.
    assert!(squashfs::probe(&vec![0u8; 4096][..]).unwrap().is_none());
}

#[test]
fn metadata_block_checks() {
    let tmp = TempDir::new("sqfs-meta");
    let Some(clean) = image(&tmp, "zstd", &["-comp", "zstd"]) else {
        return;
    };
    // The inode table block holding the root inode, which probe reads.
    let inode_table = le64(&clean, 64) as usize + (le64(&clean, 32) >> 16) as usize;
    let set = |at: usize, bytes: &[u8]| {
        let mut img = clean.clone();
        img[at..at + bytes.len()].copy_from_slice(bytes);
        img
    };
    // That block: length 0, more than 8 KiB, running past its table.
    expect_corrupt(open(&set(inode_table, &[0, 0])), "length 0");
    expect_corrupt(open(&set(inode_table, &[0x01, 0x20])), "length 8193");
    expect_corrupt(open(&set(inode_table, &[0xff, 0x1f])), "past the table");
    // A compressed block that inflates past 8 KiB: a decompression bomb, capped.
    let bomb = {
        let out = Command::new("zstd")
            .args(["-c", "-19"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&vec![0u8; 100_000])?;
                c.wait_with_output()
            });
        match out {
            Ok(o) if o.status.success() => o.stdout,
            _ => return,
        }
    };
    let mut img = clean.clone();
    img[inode_table..inode_table + 2].copy_from_slice(&(bomb.len() as u16).to_le_bytes());
    img[inode_table + 2..inode_table + 2 + bomb.len()].copy_from_slice(&bomb);
    expect_corrupt(open(&img), "larger than");
    // Garbage in a compressed inode block.
    let mut img = clean.clone();
    for b in &mut img[inode_table + 2..inode_table + 40] {
        *b ^= 0x5a;
    }
    expect_corrupt(open(&img), "inode table metadata block");
}

#[test]
fn data_and_fragment_checks() {
    let tmp = TempDir::new("sqfs-data");
    let Some(clean) = image(&tmp, "xz", &["-comp", "xz"]) else {
        return;
    };
    let fs = open(&clean).unwrap();
    let k = resolve_file(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    let want = read_all(&fs, k).unwrap();
    assert_eq!(want.len(), 150_000 + 12 * 20_000);
    drop(fs);
    // Damage the data (not the metadata): the first data block starts after the
    // superblock and the compressor options; xz's CRC-32 catches any change.
    let mut img = clean.clone();
    img[200] ^= 0x40;
    let fs = open(&img).unwrap();
    let k = resolve_file(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    let r = read_all(&fs, k);
    match r {
        Err(FsError::Corrupt(m)) => assert!(m.contains("data block"), "{m}"),
        Ok(v) => assert!(v == want, "damage went unnoticed"),
        Err(e) => panic!("{e}"),
    }
    // The image cut right after its tables, the data area zeroed: reads fail, cleanly.
    let mut img = clean.clone();
    let inode_table = le64(&clean, 64) as usize;
    for b in &mut img[120..inode_table] {
        *b = 0;
    }
    let fs = open(&img).unwrap();
    let k = resolve_file(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    assert!(read_all(&fs, k).is_err());
    let i = resolve_file(&fs, b"/boot/initrd.img", &PathLimits::default()).unwrap();
    assert!(read_all(&fs, i).is_err());
}

#[test]
fn seeded_corruption() {
    let tmp = TempDir::new("sqfs-fuzz");
    for (name, args, seed) in [
        ("gzip", &["-comp", "gzip"][..], 1u64),
        ("xz", &["-comp", "xz", "-Xbcj", "x86"][..], 2),
        ("lzo", &["-comp", "lzo"][..], 3),
        ("lz4", &["-comp", "lz4"][..], 4),
        ("zstd", &["-comp", "zstd", "-no-fragments"][..], 5),
        ("raw", &["-noI", "-noD", "-noF"][..], 6),
    ] {
        let Some(clean) = image(&tmp, name, args) else {
            return;
        };
        let tables = le64(&clean, 64) as usize;
        let used = le64(&clean, 40) as usize;
        let mut rng = Rng(seed);
        for round in 0..200 {
            let mut img = clean.clone();
            for _ in 0..1 + rng.below(6) {
                // Mostly the superblock and the metadata tables, sometimes data.
                let at = match rng.below(4) {
                    0 => rng.below(96) as usize,
                    1 => rng.below(used as u64) as usize,
                    _ => tables + rng.below((used - tables) as u64) as usize,
                };
                img[at] = rng.next() as u8;
            }
            if let Ok(Some(fs)) = squashfs::probe(img.as_slice()) {
                let mut seen = 0;
                walk_all(&fs, fs.root(), 0, &mut seen);
                let _ = resolve_file(&fs, b"/vmlinuz", &PathLimits::default());
                let _ = round;
            }
        }
    }
}

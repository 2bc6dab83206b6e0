//! File data checked against the checksum tree, on images from the real
//! `mkfs.btrfs --rootdir` (which writes data checksums as the kernel does): a byte
//! flipped in a file's data on disk is reported as corrupt, naming the inode and
//! where; with `-d dup` the other copy is read instead; with both copies damaged the
//! error names both. Every checksum algorithm is covered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use xlboot_fs::{btrfs, resolve_file, FileSystem, FsError, PathLimits};

/// Incompressible bytes from a fixed seed.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An image holding `/boot/kernel` (`data`) and a small inline file.
fn image(tmp: &TempDir, name: &str, args: &[&str], data: &[u8]) -> PathBuf {
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir_all(src.join("boot")).unwrap();
    fs::write(src.join("boot/kernel"), data).unwrap();
    fs::write(src.join("boot/inline"), b"tiny\n").unwrap();
    mkfs_btrfs(tmp.path(), name, args, &src, 256 << 20)
}

/// Every sector of the image that starts with `needle` (file data starts sectors).
fn find_all(img: &Path, needle: &[u8]) -> Vec<usize> {
    let bytes = fs::read(img).unwrap();
    (0..bytes.len() - needle.len())
        .step_by(4096)
        .filter(|&i| &bytes[i..i + needle.len()] == needle)
        .collect()
}

/// The algorithm's name as the filesystem reports it.
fn fs_name(mkfs: &str) -> &str {
    match mkfs {
        "xxhash" => "xxhash64",
        "blake2" => "blake2b",
        other => other,
    }
}

fn flip(img: &Path, at: usize) {
    let mut bytes = fs::read(img).unwrap();
    bytes[at] ^= 0x40;
    fs::write(img, bytes).unwrap();
}

fn read_kernel(img: &Path) -> Result<Vec<u8>, FsError> {
    let dev = FileDev::open(img);
    let fs = btrfs::probe(&dev).unwrap().expect("btrfs");
    let node = resolve_file(&fs, b"/boot/kernel", &PathLimits::default()).unwrap();
    let mut out = vec![0u8; fs.metadata(node).unwrap().size as usize];
    // In pieces that start and end inside sectors, as a caller may read.
    let mut done = 0;
    while done < out.len() {
        let end = (done + 100_003).min(out.len());
        let n = fs.read_at(node, done as u64, &mut out[done..end])?;
        assert!(n > 0);
        done += n;
    }
    let inline = resolve_file(&fs, b"/boot/inline", &PathLimits::default()).unwrap();
    let mut small = [0u8; 5];
    assert_eq!(fs.read_at(inline, 0, &mut small).unwrap(), 5);
    assert_eq!(&small, b"tiny\n");
    Ok(out)
}

#[test]
fn a_flipped_data_byte_is_reported_with_where_it_is() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("csum-single");
    for csum in ["crc32c", "xxhash", "sha256", "blake2"] {
        let data = noise(3 << 20, 7);
        let img = image(&tmp, csum, &["--csum", csum, "-d", "single"], &data);
        assert_eq!(read_kernel(&img).unwrap(), data, "{csum}: intact");
        // A byte in the second MiB of the file.
        let probe = &data[(1 << 20) + 4096..(1 << 20) + 4096 + 64];
        let hits = find_all(&img, probe);
        assert_eq!(hits.len(), 1, "{csum}: one copy of the data");
        flip(&img, hits[0] + 10);
        let err = read_kernel(&img).unwrap_err();
        assert!(matches!(err, FsError::Corrupt(_)), "{csum}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains("of subvolume 5")
                && msg.contains(&format!("(byte {} of the device)", hits[0]))
                && msg.contains(&format!(
                    "fails its {} checksum on its only copy",
                    fs_name(csum)
                )),
            "{csum}: {msg}"
        );
    }
}

#[test]
fn dup_data_is_read_from_the_copy_that_passes() {
    if !have("mkfs.btrfs", "btrfs-progs") {
        return;
    }
    let tmp = TempDir::new("csum-dup");
    let data = noise(2 << 20, 11);
    let img = image(&tmp, "dup", &["-m", "dup", "-d", "dup"], &data);
    let probe = &data[(1 << 20) + 4096..(1 << 20) + 4096 + 64];
    let hits = find_all(&img, probe);
    assert_eq!(hits.len(), 2, "two copies of the data");
    flip(&img, hits[0] + 777);
    assert_eq!(read_kernel(&img).unwrap(), data, "first copy damaged");
    flip(&img, hits[0] + 777);
    flip(&img, hits[1] + 777);
    assert_eq!(read_kernel(&img).unwrap(), data, "second copy damaged");
    flip(&img, hits[0] + 777);
    let err = read_kernel(&img).unwrap_err();
    assert!(
        err.to_string().contains("all 2 copies"),
        "both copies damaged: {err}"
    );
}

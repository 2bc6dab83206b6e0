//! Throughput of btrfs file reads with data checksums verified, against copying the
//! same bytes out of the image file: a 64 MiB file in images from the real
//! `mkfs.btrfs --rootdir`, one per checksum algorithm (crc32c is every distribution's
//! default). The file is read the way xlboot copies a kernel out (1 MiB reads), and
//! the image is in the page cache, so the numbers are the reader's own cost.
//!
//! `cargo bench -p xlboot-fs --bench btrfs_data` needs btrfs-progs. Prints MB/s, best
//! of 5.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use xlboot_disk::{BlockDevice, IoError};
use xlboot_fs::{btrfs, resolve_file, FileSystem, PathLimits};

const LEN: usize = 64 << 20;
const READ: usize = 1 << 20;

struct FileDev(File, u64);

impl BlockDevice for FileDev {
    fn size(&self) -> u64 {
        self.1
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.0
            .read_exact_at(buf, offset)
            .map_err(|e| IoError::Device {
                offset,
                len: buf.len() as u64,
                errno: e.raw_os_error(),
            })
    }
}

fn best(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn mbps(d: Duration) -> f64 {
    LEN as f64 / d.as_secs_f64() / 1e6
}

fn main() {
    let dir = std::env::temp_dir().join(format!("xlboot-bench-btrfs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<u8> = (0..LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    fs::write(dir.join("src/kernel"), &data).unwrap();
    for csum in ["crc32c", "xxhash", "sha256", "blake2"] {
        let img = dir.join(format!("{csum}.img"));
        File::create(&img).unwrap().set_len(256 << 20).unwrap();
        let ok = Command::new("mkfs.btrfs")
            .args(["-q", "-f", "--csum", csum, "--rootdir"])
            .arg(dir.join("src"))
            .arg(&img)
            .status()
            .expect("mkfs.btrfs (btrfs-progs)")
            .success();
        assert!(ok, "mkfs.btrfs --csum {csum}");
        let f = File::open(&img).unwrap();
        let size = f.metadata().unwrap().len();
        let dev = FileDev(f, size);
        let fs = btrfs::probe(&dev).unwrap().unwrap();
        let node = resolve_file(&fs, b"/kernel", &PathLimits::default()).unwrap();
        let mut out = vec![0u8; LEN];
        let fs_time = best(|| {
            for (i, chunk) in out.chunks_mut(READ).enumerate() {
                assert_eq!(
                    fs.read_at(node, (i * READ) as u64, chunk).unwrap(),
                    chunk.len()
                );
            }
        });
        assert!(out == data, "{csum}: bytes differ");
        let raw = std::fs::File::open(&img).unwrap();
        let raw_time = best(|| {
            for (i, chunk) in out.chunks_mut(READ).enumerate() {
                raw.read_exact_at(chunk, (i * READ) as u64).unwrap();
            }
        });
        println!(
            "{csum:>7}: checked read {:7.0} MB/s   plain copy of the image {:7.0} MB/s",
            mbps(fs_time),
            mbps(raw_time)
        );
    }
    let _ = fs::remove_dir_all(Path::new(&dir));
}

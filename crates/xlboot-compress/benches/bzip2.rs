//! Throughput of the bzip2 decoder against `bzip2 -d` (libbzip2) on the same stream:
//! the first 16 MiB of a real Debian vmlinux (the fixture kernel's xz payload, decoded
//! by this crate) compressed by `bzip2 -9`, as Linux's build compresses kernels.
//!
//! `cargo bench -p xlboot-compress --bench bzip2` needs bzip2 and the fixture cache of
//! scripts/fixtures/build (or `XLBOOT_FIXTURES`). Prints MB/s of output, best of 5.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use xlboot_compress::{decompress, Codec};

const LEN: usize = 16 << 20;

fn vmlinux() -> Vec<u8> {
    let path = std::env::var_os("XLBOOT_FIXTURES")
        .map_or_else(
            || "/var/cache/xlboot/fixtures".into(),
            std::path::PathBuf::from,
        )
        .join("chroot/boot/vmlinuz-6.1.0-50-amd64");
    let image = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let at = image
        .windows(6)
        .position(|w| w == b"\xfd7zXZ\0")
        .expect("xz payload");
    let mut elf = decompress(Codec::Xz, &image[at..], 256 << 20).expect("xz payload decodes");
    elf.truncate(LEN);
    elf
}

/// Runs bzip2 on `input`; returns its output and how long it took.
fn bzip2(args: &[&str], input: &[u8]) -> (Vec<u8>, Duration) {
    let mut child = Command::new("bzip2")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bzip2");
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let start = Instant::now();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    (out.stdout, took)
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

fn main() {
    let elf = vmlinux();
    let (bz, _) = bzip2(&["-9", "-c"], &elf);
    let mut ours = Duration::MAX;
    let mut theirs = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let out = decompress(Codec::Bzip2, &bz, elf.len()).unwrap();
        ours = ours.min(start.elapsed());
        assert!(out == elf);
        let (out, took) = bzip2(&["-dc"], &bz);
        theirs = theirs.min(took);
        assert!(out == elf);
    }
    println!(
        "bzip2 -9 of {} MiB of vmlinux ({} bytes compressed): xlboot {:.1} MB/s, bzip2 -d {:.1} MB/s",
        LEN >> 20,
        bz.len(),
        mbps(elf.len(), ours),
        mbps(elf.len(), theirs)
    );
}

//! Hostile FAT images: real `mkfs.vfat` + `mcopy` images with hand-placed damage,
//! asserting a clean error of the right kind (never a panic or a hang), the FAT32
//! backup boot sector taking over, and a seeded random corruption loop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;
mod walk;

use std::fs::{self, File};
use std::process::Command;

use common::{have, random_bytes, run, Rng, TempDir};
use walk::walk_all;
use xlboot_fs::fat::{self, FatType};
use xlboot_fs::{resolve_file, FileSystem, FsError, NodeId, PathLimits};

fn image(tmp: &TempDir, args: &[&str], mib: u64) -> Option<Vec<u8>> {
    if !(have("mkfs.vfat", "dosfstools") && have("mcopy", "mtools")) {
        return None;
    }
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(src.join("boot/grub/grub.cfg"), b"menuentry x {}\n").unwrap();
    fs::write(src.join("boot/vmlinuz"), random_bytes(7, 300_000)).unwrap();
    fs::create_dir_all(src.join("many")).unwrap();
    for i in 0..80 {
        fs::write(src.join(format!("many/a_long_file_name_{i}.txt")), b"x").unwrap();
    }
    let img = tmp.path().join("f.img");
    File::create(&img).unwrap().set_len(mib << 20).unwrap();
    run(Command::new("mkfs.vfat").args(args).arg(&img));
    run(Command::new("mcopy")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-s")
        .arg("-i")
        .arg(&img)
        .arg(src.join("boot"))
        .arg(src.join("many"))
        .arg("::/"));
    Some(fs::read(&img).unwrap())
}

fn open(img: &[u8]) -> Result<fat::Fat<&[u8]>, FsError> {
    fat::probe(img).map(|o| o.expect("FAT signature"))
}

fn kernel(fs: &dyn FileSystem) -> NodeId {
    resolve_file(fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap()
}

fn read_all(fs: &dyn FileSystem, node: NodeId) -> Result<Vec<u8>, FsError> {
    let size = fs.metadata(node)?.size;
    let mut v = vec![0u8; size as usize];
    let n = fs.read_at(node, 0, &mut v)?;
    v.truncate(n);
    Ok(v)
}

fn corrupt_msg(r: Result<impl Sized, FsError>) -> String {
    match r {
        Err(FsError::Corrupt(m)) => m,
        Err(e) => panic!("expected a corrupt error, got: {e}"),
        Ok(_) => panic!("expected a corrupt error, got success"),
    }
}

/// Byte offset of the FAT entry of cluster `c` (FAT16/32; first FAT).
fn entry_at(img: &[u8], c: u32, width: usize) -> usize {
    let bps = u16::from_le_bytes([img[11], img[12]]) as usize;
    let reserved = u16::from_le_bytes([img[14], img[15]]) as usize;
    reserved * bps + c as usize * width
}

fn first_cluster(img: &[u8], node: NodeId) -> u32 {
    let o = node.0 as usize;
    u32::from(u16::from_le_bytes([img[o + 26], img[o + 27]]))
        | u32::from(u16::from_le_bytes([img[o + 20], img[o + 21]])) << 16
}

#[test]
fn backup_boot_sector() {
    let tmp = TempDir::new("fat-backup");
    let Some(clean) = image(&tmp, &["-F", "32", "-s", "1"], 40) else {
        return;
    };
    let want = read_all(&open(&clean).unwrap(), kernel(&open(&clean).unwrap())).unwrap();
    // A wrecked BPB in sector 0 (signature intact): the backup at sector 6 is used.
    let mut img = clean.clone();
    img[11..13].copy_from_slice(&3u16.to_le_bytes());
    let fs = open(&img).unwrap();
    assert!(fs.opened_from_backup());
    assert_eq!(read_all(&fs, kernel(&fs)).unwrap(), want);
    // Both copies bad: corrupt, naming the primary.
    img[6 * 512 + 13] = 3;
    let m = corrupt_msg(open(&img));
    assert!(
        m.contains("sector 0") && m.contains("bytes per sector"),
        "{m}"
    );
}

#[test]
fn boot_sector_checks() {
    let tmp = TempDir::new("fat-bpb");
    let Some(clean) = image(&tmp, &["-F", "16", "-s", "2"], 20) else {
        return;
    };
    assert_eq!(open(&clean).unwrap().fat_type(), FatType::Fat16);
    let cases: [(&str, usize, &[u8]); 6] = [
        ("sectors per cluster", 13, &[3]),
        ("FATs", 16, &[0]),
        ("media byte", 21, &[0x12]),
        ("reserved", 14, &[0, 0]),
        ("larger than its volume", 32, &[0xFF, 0xFF, 0xFF, 0x0F]),
        ("root directory entries", 17, &[0, 0]),
    ];
    for (what, off, bytes) in cases {
        let mut img = clean.clone();
        img[off..off + bytes.len()].copy_from_slice(bytes);
        if off == 32 {
            img[19..21].copy_from_slice(&[0, 0]);
        }
        let m = corrupt_msg(open(&img));
        assert!(m.contains(what), "{what}: {m}");
    }
    // Without the type string or the 0x55AA signature it is simply not FAT.
    for (off, b) in [(54usize, b'X'), (510, 0), (0, 0x90)] {
        let mut img = clean.clone();
        img[off] = b;
        assert!(fat::probe(img.as_slice()).unwrap().is_none(), "byte {off}");
    }
}

#[test]
fn chains() {
    let tmp = TempDir::new("fat-chain");
    let Some(clean) = image(&tmp, &["-F", "32", "-s", "1"], 40) else {
        return;
    };
    let fs = open(&clean).unwrap();
    let k = kernel(&fs);
    let first = first_cluster(&clean, k);
    let clusters = 300_000u32.div_ceil(512);
    drop(fs);

    // The last cluster links back to the first: a loop, caught.
    let mut img = clean.clone();
    let last = entry_at(&img, first + clusters - 1, 4);
    img[last..last + 4].copy_from_slice(&first.to_le_bytes());
    let fs = open(&img).unwrap();
    let m = corrupt_msg(read_all(&fs, k));
    assert!(m.contains("longer"), "{m}");
    // A loop in the middle of the chain.
    let mut img = clean.clone();
    let mid = entry_at(&img, first + 100, 4);
    img[mid..mid + 4].copy_from_slice(&(first + 50).to_le_bytes());
    let fs = open(&img).unwrap();
    let m = corrupt_msg(read_all(&fs, k));
    assert!(m.contains("loops") || m.contains("longer"), "{m}");
    // Ends early: shorter than the size.
    let mut img = clean.clone();
    img[mid..mid + 4].copy_from_slice(&0x0FFF_FFFFu32.to_le_bytes());
    let fs = open(&img).unwrap();
    let m = corrupt_msg(read_all(&fs, k));
    assert!(m.contains("ends after 101 clusters"), "{m}");
    // Runs into a free cluster, a bad one, a cluster past the end.
    for (v, what) in [
        (0u32, "marked free"),
        (0x0FFF_FFF7, "marked bad"),
        (0x0FFF_FFF0, "does not exist"),
    ] {
        let mut img = clean.clone();
        img[mid..mid + 4].copy_from_slice(&v.to_le_bytes());
        let fs = open(&img).unwrap();
        let m = corrupt_msg(read_all(&fs, k));
        assert!(m.contains(what), "{what}: {m}");
    }
    // A size beyond what the volume holds.
    let mut img = clean.clone();
    let o = k.0 as usize + 28;
    img[o..o + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let fs = open(&img).unwrap();
    let m = corrupt_msg(fs.read_at(k, 0, &mut [0u8; 16]));
    assert!(m.contains("more than the volume holds"), "{m}");
    // Node ids that are not entries are refused.
    for bad in [1u64, 512, 33, u64::MAX - 31] {
        assert!(fs.metadata(NodeId(bad)).is_err(), "{bad}");
    }
}

fn fuzz(clean: &[u8], seed: u64, rounds: usize, span: usize) {
    let mut rng = Rng(seed);
    for _ in 0..rounds {
        let mut img = clean.to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(span as u64) as usize;
            img[at] = rng.next() as u8;
        }
        if let Ok(Some(fs)) = fat::probe(img.as_slice()) {
            let mut seen = 0;
            walk_all(&fs, fs.root(), 0, &mut seen);
            let _ = resolve_file(&fs, b"/BOOT/VMLINUZ", &PathLimits::default());
        }
    }
}

#[test]
fn seeded_corruption() {
    let tmp = TempDir::new("fat-fuzz");
    for (args, mib, seed) in [
        (&["-F", "12", "-s", "4"][..], 4u64, 1u64),
        (&["-F", "16", "-s", "2"][..], 20, 2),
        (&["-F", "32", "-s", "1"][..], 40, 3),
    ] {
        let Some(clean) = image(&tmp, args, mib) else {
            return;
        };
        let fs = open(&clean).unwrap();
        // Damage where the metadata lives: boot sector, FATs and the first
        // directories (the data area after them is file bytes).
        let k = kernel(&fs).0 as usize;
        let span = (k + (64 << 10)).min(clean.len());
        drop(fs);
        fuzz(&clean, seed, 300, span);
    }
}

//! Hostile ISO9660 images: real `xorriso` images with hand-placed damage (the kind
//! XSA-497 was about: lengths and offsets that lie), asserting a clean error of the
//! right kind and never a panic or a hang, plus a seeded random corruption loop.
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
use std::os::unix::fs::symlink;
use std::process::Command;

use common::{have, random_bytes, run, Rng, TempDir};
use walk::walk_all;
use xlboot_fs::iso9660;
use xlboot_fs::{resolve, resolve_file, FileSystem, FsError, NodeId, PathLimits};

/// A small Rock Ridge + Joliet image with a name long enough to need a continuation
/// area (CE), a link and a deep (relocated) directory.
fn image(tmp: &TempDir) -> Option<Vec<u8>> {
    if !have("xorriso", "xorriso") {
        return None;
    }
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(src.join("boot/grub/grub.cfg"), b"menuentry x {}\n").unwrap();
    fs::write(src.join("boot/vmlinuz"), random_bytes(5, 100_000)).unwrap();
    fs::write(src.join(format!("{}.txt", "n".repeat(240))), b"long\n").unwrap();
    symlink("/boot/vmlinuz", src.join("vmlinuz")).unwrap();
    fs::create_dir_all(src.join("a/b/c/d/e/f/g/h/i/j")).unwrap();
    fs::write(src.join("a/b/c/d/e/f/g/h/i/j/deep"), b"deep\n").unwrap();
    let img = tmp.path().join("h.iso");
    run(Command::new("xorriso")
        .args([
            "-as",
            "mkisofs",
            "-quiet",
            "-R",
            "-J",
            "-rr_reloc_dir",
            "rr_moved",
        ])
        .arg("-o")
        .arg(&img)
        .arg(&src));
    Some(fs::read(&img).unwrap())
}

fn open(img: &[u8]) -> Result<iso9660::Iso9660<&[u8]>, FsError> {
    iso9660::probe(img).map(|o| o.expect("ISO9660 descriptor"))
}

fn find(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

fn kind_of<T>(r: Result<T, FsError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(FsError::Corrupt(_)) => "corrupt",
        Err(FsError::Unsupported(_)) => "unsupported",
        Err(FsError::Limit(_)) => "limit",
        Err(FsError::NotFound(_)) => "notfound",
        Err(FsError::WrongKind(_)) => "wrongkind",
        Err(FsError::Io(_)) => "io",
    }
}

#[test]
fn descriptors() {
    let tmp = TempDir::new("iso-vd");
    let Some(clean) = image(&tmp) else { return };
    assert!(open(&clean).is_ok());
    // The terminator lost: the scan stops at the first sector that is not one.
    let term = (16..40).find(|s| clean[s * 2048] == 255).unwrap();
    let mut img = clean.clone();
    img[term * 2048 + 1] = b'X';
    assert_eq!(kind_of(open(&img)), "corrupt");
    // A logical block size other than 2048 is refused, named.
    let mut img = clean.clone();
    img[16 * 2048 + 128..][..2].copy_from_slice(&512u16.to_le_bytes());
    match open(&img) {
        Err(FsError::Unsupported(m)) => assert!(m.contains("block size 512"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // No magic: not ISO9660.
    let mut img = clean.clone();
    img[16 * 2048 + 1] = b'X';
    assert!(iso9660::probe(img.as_slice()).unwrap().is_none());
    // The root record pointing past the end of the volume.
    let mut img = clean.clone();
    img[16 * 2048 + 156 + 2..][..4].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    assert_eq!(kind_of(open(&img)), "corrupt");
}

#[test]
fn records_and_susp() {
    let tmp = TempDir::new("iso-rec");
    let Some(clean) = image(&tmp) else { return };
    let l = PathLimits::default();
    let long = format!("/{}.txt", "n".repeat(240));
    {
        let fs = open(&clean).unwrap();
        assert!(resolve_file(&fs, long.as_bytes(), &l).is_ok());
    }
    // A CE entry pointing at itself: a loop of continuation areas, bounded.
    let ces = find(&clean, b"CE\x1c\x01");
    assert!(!ces.is_empty(), "xorriso wrote no CE entry");
    let mut img = clean.clone();
    for &p in &ces {
        let (sector, off) = ((p / 2048) as u32, (p % 2048) as u32);
        img[p + 4..p + 8].copy_from_slice(&sector.to_le_bytes());
        img[p + 12..p + 16].copy_from_slice(&off.to_le_bytes());
        img[p + 20..p + 24].copy_from_slice(&28u32.to_le_bytes());
    }
    if let Ok(fs) = open(&img) {
        assert_eq!(kind_of(resolve(&fs, long.as_bytes(), &l)), "corrupt");
    }
    // A CE area far too large.
    let mut img = clean.clone();
    for &p in &ces {
        img[p + 20..p + 24].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    }
    if let Ok(fs) = open(&img) {
        assert_eq!(kind_of(resolve(&fs, long.as_bytes(), &l)), "corrupt");
    }

    let fs = open(&clean).unwrap();
    let k = resolve_file(&fs, b"/boot/vmlinuz", &l).unwrap().0 as usize;
    // A record running over its sector's end.
    let mut img = clean.clone();
    let in_sector = k % 2048;
    img[k] = 255;
    if in_sector + 255 > 2048 {
        let fs = open(&img).unwrap();
        assert_eq!(kind_of(resolve(&fs, b"/boot/vmlinuz", &l)), "corrupt");
    }
    // A name length beyond the record.
    let mut img = clean.clone();
    img[k + 32] = 200;
    let fs = open(&img).unwrap();
    assert_eq!(kind_of(resolve(&fs, b"/boot/vmlinuz", &l)), "corrupt");
    // A data extent past the end of the volume: the read fails, corrupt.
    let mut img = clean.clone();
    img[k + 2..k + 6].copy_from_slice(&0x0FFF_FFFFu32.to_le_bytes());
    let fs = open(&img).unwrap();
    let id = NodeId(k as u64);
    assert_eq!(kind_of(fs.read_at(id, 0, &mut [0u8; 100])), "corrupt");
    // Interleaving is refused, named.
    let mut img = clean.clone();
    img[k + 26] = 1;
    let fs = open(&img).unwrap();
    assert_eq!(kind_of(fs.metadata(id)), "unsupported");
    // A directory claiming 1 GiB.
    let fs = open(&clean).unwrap();
    let boot = resolve(&fs, b"/boot", &l).unwrap().0 as usize;
    let mut img = clean.clone();
    img[boot + 10..boot + 14].copy_from_slice(&(1u32 << 30).to_le_bytes());
    let fs = open(&img).unwrap();
    assert_eq!(kind_of(resolve(&fs, b"/boot/vmlinuz", &l)), "limit");
    // A multi-extent flag on the last record of a directory: no record follows.
    let mut img = clean.clone();
    img[k + 25] |= 0x80;
    let fs = open(&img).unwrap();
    assert_ne!(kind_of(fs.metadata(id)), "ok");
    // Node ids that are not records.
    let fs = open(&clean).unwrap();
    for bad in [0u64, 2047, u64::MAX - 5] {
        assert!(fs.metadata(NodeId(bad)).is_err(), "{bad}");
    }
}

#[test]
fn seeded_corruption() {
    let tmp = TempDir::new("iso-fuzz");
    let Some(clean) = image(&tmp) else { return };
    // Damage where the metadata lives: descriptors, path tables, directories and
    // continuation areas come first in xorriso's layout, before the file data.
    let fs = open(&clean).unwrap();
    let k = resolve_file(&fs, b"/boot/vmlinuz", &PathLimits::default()).unwrap();
    let mut data_start = [0u8; 4];
    data_start.copy_from_slice(&clean[k.0 as usize + 2..][..4]);
    let span = (u32::from_le_bytes(data_start) as usize * 2048).min(clean.len());
    let mut rng = Rng(0x150_9660);
    for _ in 0..600 {
        let mut img = clean.clone();
        for _ in 0..1 + rng.below(8) {
            let at = 16 * 2048 + rng.below((span - 16 * 2048) as u64) as usize;
            img[at] = rng.next() as u8;
        }
        if let Ok(Some(fs)) = iso9660::probe(img.as_slice()) {
            let mut seen = 0;
            walk_all(&fs, fs.root(), 0, &mut seen);
            let _ = resolve_file(&fs, b"/vmlinuz", &PathLimits::default());
            let _ = fs.boot_catalog();
        }
    }
}

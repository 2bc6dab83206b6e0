//! Journal replay: images left with committed transactions in their journal (written
//! with debugfs's journal writer, as a crash would leave them) must read as e2fsck
//! leaves them after replaying.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use xlboot_fs::{ext4, resolve, FileSystem, FsError, PathLimits};

fn needs_recovery(img: &Path) -> bool {
    let b = fs::read(img).unwrap();
    u32::from_le_bytes(b[1024 + 0x60..1024 + 0x64].try_into().unwrap()) & 0x4 != 0
}

/// A copy of `img` replayed by e2fsck: the oracle.
fn replayed_by_e2fsck(img: &Path) -> PathBuf {
    let copy = img.with_extension("fsck.img");
    fs::copy(img, &copy).unwrap();
    let out = Command::new("e2fsck")
        .arg("-fy")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap_or(8) <= 1,
        "e2fsck: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!needs_recovery(&copy));
    copy
}

fn read_path(fs: &dyn FileSystem, p: &str) -> Vec<u8> {
    let n =
        resolve(fs, p.as_bytes(), &PathLimits::default()).unwrap_or_else(|e| panic!("{p}: {e}"));
    let size = fs.metadata(n).unwrap().size as usize;
    let mut b = vec![0u8; size];
    assert_eq!(fs.read_at(n, 0, &mut b).unwrap(), size);
    b
}

fn block_image(bs: usize, text: &[u8]) -> Vec<u8> {
    let mut v = text.to_vec();
    v.resize(bs, 0);
    v
}

fn setup(tmp: &TempDir, name: &str, args: &[&str]) -> (PathBuf, u64, usize) {
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir_all(src.join("boot/grub")).unwrap();
    fs::write(src.join("small"), b"original content\n").unwrap();
    fs::write(src.join("boot/grub/grub.cfg"), b"set default=0\n").unwrap();
    let img = mkfs(tmp.path(), name, args, &src, "8M");
    let b: u64 = debugfs(&img, "bmap /small 0").trim().parse().unwrap();
    let bs: usize = if args.contains(&"4096") { 4096 } else { 1024 };
    (img, b, bs)
}

#[test]
fn committed_data_block_is_replayed() {
    let tmp = TempDir::new("jdata");
    for (name, args, open) in [
        ("plain", &["-t", "ext4"][..], "jo"),
        ("csum3", &["-t", "ext4", "-b", "4096"][..], "jo -c"),
        ("ext3", &["-t", "ext3"][..], "jo"),
    ] {
        let (img, b, bs) = setup(&tmp, name, args);
        let blk = tmp.path().join(format!("{name}.blk"));
        fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
        debugfs_w(&img, &format!("{open}\njw -b {b} {}\njc\n", blk.display()));
        assert!(needs_recovery(&img), "{name}: debugfs left no transaction");

        let oracle = replayed_by_e2fsck(&img);
        let odev = FileDev::open(&oracle);
        let ofs = ext4::probe(&odev).unwrap().unwrap();
        assert_eq!(
            read_path(&ofs, "/small"),
            b"replayed content\n",
            "{name}: oracle"
        );

        let dev = FileDev::open(&img);
        let fs = ext4::probe(&dev)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap();
        assert_eq!(fs.replayed_blocks(), 1, "{name}");
        assert_eq!(read_path(&fs, "/small"), b"replayed content\n", "{name}");
        assert_eq!(
            read_path(&fs, "/boot/grub/grub.cfg"),
            b"set default=0\n",
            "{name}"
        );
    }
}

#[test]
fn revoked_block_is_not_replayed() {
    let tmp = TempDir::new("jrevoke");
    let (img, b, bs) = setup(&tmp, "revoke", &["-t", "ext4"]);
    let blk = tmp.path().join("blk");
    fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
    debugfs_w(
        &img,
        &format!(
            "jo\njw -b {b} {}\njc\njo\njw -r {b} /dev/null\njc\n",
            blk.display()
        ),
    );
    assert!(needs_recovery(&img));
    let oracle = replayed_by_e2fsck(&img);
    let odev = FileDev::open(&oracle);
    let ofs = ext4::probe(&odev).unwrap().unwrap();
    assert_eq!(read_path(&ofs, "/small"), b"original content\n");
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert_eq!(fs.replayed_blocks(), 0);
    assert_eq!(read_path(&fs, "/small"), b"original content\n");
}

#[test]
fn escaped_block_gets_its_magic_back() {
    let tmp = TempDir::new("jescape");
    let (img, b, bs) = setup(&tmp, "escape", &["-t", "ext4"]);
    let blk = tmp.path().join("blk");
    let mut content = vec![0xC0, 0x3B, 0x39, 0x98];
    content.extend_from_slice(b"after the magic\n");
    fs::write(&blk, block_image(bs, &content)).unwrap();
    debugfs_w(&img, &format!("jo\njw -b {b} {}\njc\n", blk.display()));
    let oracle = replayed_by_e2fsck(&img);
    let ofs_dev = FileDev::open(&oracle);
    let ofs = ext4::probe(&ofs_dev).unwrap().unwrap();
    let want = read_path(&ofs, "/small");
    assert_eq!(&want[..4], &[0xC0, 0x3B, 0x39, 0x98]);
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert_eq!(read_path(&fs, "/small"), want);
}

#[test]
fn replayed_directory_block() {
    // Metadata too: a directory block whose journal copy renames grub.cfg.
    let tmp = TempDir::new("jdir");
    let (img, _, bs) = setup(&tmp, "dir", &["-t", "ext3"]);
    let d: u64 = debugfs(&img, "bmap /boot/grub 0").trim().parse().unwrap();
    let mut all = fs::read(&img).unwrap();
    let start = d as usize * bs;
    let blockdata = &mut all[start..start + bs];
    let pos = blockdata
        .windows(8)
        .position(|w| w == b"grub.cfg")
        .expect("entry");
    blockdata[pos..pos + 8].copy_from_slice(b"grub.new");
    let blk = tmp.path().join("blk");
    fs::write(&blk, &blockdata[..]).unwrap();
    debugfs_w(&img, &format!("jo\njw -b {d} {}\njc\n", blk.display()));
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert_eq!(read_path(&fs, "/boot/grub/grub.new"), b"set default=0\n");
    assert!(matches!(
        resolve(&fs, b"/boot/grub/grub.cfg", &PathLimits::default()),
        Err(FsError::NotFound(_))
    ));
    let oracle = replayed_by_e2fsck(&img);
    let odev = FileDev::open(&oracle);
    let ofs = ext4::probe(&odev).unwrap().unwrap();
    assert_eq!(read_path(&ofs, "/boot/grub/grub.new"), b"set default=0\n");
}

#[test]
fn damaged_journals_do_not_panic() {
    // No checksums, v1 checksums, v3 checksums.
    for (name, args, open) in [
        ("flip", &["-t", "ext4", "-O", "^metadata_csum"][..], "jo"),
        (
            "flip1",
            &["-t", "ext4", "-O", "^metadata_csum"][..],
            "jo -c -v 1",
        ),
        ("flip3", &["-t", "ext4"][..], "jo -c"),
    ] {
        flip_journal(name, args, open);
    }
}

fn flip_journal(name: &str, args: &[&str], open: &str) {
    let tmp = TempDir::new(name);
    let (img, b, bs) = setup(&tmp, name, args);
    let blk = tmp.path().join("blk");
    fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
    // Three transactions: a write, its revoke, and a new write of the same block.
    debugfs_w(
        &img,
        &format!(
            "{open}\njw -b {b} {}\njc\n{open}\njw -r {b} /dev/null\njc\n{open}\njw -b {b} {}\njc\n",
            blk.display(),
            blk.display()
        ),
    );
    let clean = fs::read(&img).unwrap();
    {
        let fs = ext4::probe(clean.as_slice()).unwrap().unwrap();
        assert_eq!(read_path(&fs, "/small"), b"replayed content\n");
    }
    // The journal's first blocks: find them through debugfs.
    let jblocks: Vec<u64> = debugfs(&img, "bmap <8> 0")
        .trim()
        .parse::<u64>()
        .map(|j0| (j0..j0 + 8).collect())
        .unwrap();
    let mut rng = Rng(0x10_6a1);
    let mut img2 = clean.clone();
    for it in 0..400 {
        img2.copy_from_slice(&clean);
        let mut log = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let blk = jblocks[rng.below(jblocks.len() as u64) as usize];
            let at = blk as usize * bs + rng.below(64) as usize;
            img2[at] ^= (rng.next() as u8) | 1;
            log.push(at);
        }
        let r = std::panic::catch_unwind(|| {
            if let Ok(Some(fs)) = ext4::probe(img2.as_slice()) {
                let _ = resolve(&fs, b"/small", &PathLimits::default())
                    .and_then(|n| fs.read_at(n, 0, &mut [0u8; 64]));
            }
        });
        if r.is_err() {
            panic!("{name}: iteration {it}: panic with flips at {log:?}");
        }
    }
}

#[test]
fn block_copy_with_bad_tag_checksum_is_skipped() {
    let tmp = TempDir::new("jtagcsum");
    let (img, b, bs) = setup(&tmp, "tag", &["-t", "ext4", "-b", "4096"]);
    let blk = tmp.path().join("blk");
    fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
    debugfs_w(&img, &format!("jo -c\njw -b {b} {}\njc\n", blk.display()));
    // Damage the logged copy (journal block 2: block 1 is the descriptor).
    let j2: u64 = debugfs(&img, "bmap <8> 2").trim().parse().unwrap();
    let mut all = fs::read(&img).unwrap();
    let at = j2 as usize * bs;
    assert_eq!(&all[at..at + 8], b"replayed", "journal layout");
    all[at] = b'X';
    fs::write(&img, &all).unwrap();
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert_eq!(fs.replayed_blocks(), 0);
    assert_eq!(read_path(&fs, "/small"), b"original content\n");
}

/// Byte offset of journal block `k` (the journal is inode 8).
fn jblock(img: &Path, k: u64, bs: usize) -> usize {
    let p: usize = debugfs(img, &format!("bmap <8> {k}"))
        .trim()
        .parse()
        .unwrap();
    p * bs
}

fn corrupt_msg(img: &[u8]) -> String {
    match ext4::probe(img) {
        Err(FsError::Corrupt(m)) => m,
        Err(e) => panic!("expected a corrupt error, got: {e}"),
        Ok(_) => panic!("expected a corrupt error, got success"),
    }
}

#[test]
fn journal_checksums_v3_superblock_descriptor_and_revoke() {
    // Two checksummed transactions writing the same block: the second copy wins.
    let tmp = TempDir::new("jcsum");
    let (img, b, bs) = setup(&tmp, "csum", &["-t", "ext4", "-b", "4096"]);
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    fs::write(&first, block_image(bs, b"first copy -----\n")).unwrap();
    fs::write(&second, block_image(bs, b"second copy ----\n")).unwrap();
    debugfs_w(
        &img,
        &format!(
            "jo -c\njw -b {b} {}\njc\njo -c\njw -b {b} {}\njc\n",
            first.display(),
            second.display()
        ),
    );
    let clean = fs::read(&img).unwrap();
    // Layout: 0 superblock; 1 descriptor, 2 copy, 3 commit; 4, 5, 6 likewise.
    let at: Vec<usize> = (0..7).map(|k| jblock(&img, k, bs)).collect();
    let btype =
        |img: &[u8], k: usize| u32::from_be_bytes(img[at[k] + 4..at[k] + 8].try_into().unwrap());
    assert_eq!(
        (
            btype(&clean, 1),
            btype(&clean, 3),
            btype(&clean, 4),
            btype(&clean, 6)
        ),
        (1, 2, 1, 2),
        "journal layout"
    );
    {
        let fs = ext4::probe(clean.as_slice()).unwrap().unwrap();
        assert_eq!(read_path(&fs, "/small"), b"second copy ----\n");
    }

    // The journal superblock's checksum (a byte of s_users, unused by replay).
    let mut img2 = clean.clone();
    img2[at[0] + 0x100] ^= 1;
    let m = corrupt_msg(&img2);
    assert!(m.contains("superblock checksum mismatch"), "{m}");

    // The second descriptor's tail checksum (a byte in its unused middle): its commit
    // is not older than the first, so this is damage, and replay fails as in jbd2.
    let mut img2 = clean.clone();
    img2[at[4] + 2000] ^= 1;
    let m = corrupt_msg(&img2);
    assert!(
        m.contains("transaction 2") && m.contains("descriptor block 4"),
        "{m}"
    );

    // The same, with the second commit dated before the first: a stale block from an
    // earlier use of the journal. The log ends after the first transaction.
    img2[at[6] + 0x30..at[6] + 0x38].fill(0);
    let fs = ext4::probe(img2.as_slice()).unwrap().unwrap();
    assert_eq!(read_path(&fs, "/small"), b"first copy -----\n");

    // A torn second commit (its own checksum fails): the first transaction stands.
    let mut img2 = clean.clone();
    img2[at[6] + 0x40] ^= 1;
    let fs = ext4::probe(img2.as_slice()).unwrap().unwrap();
    assert_eq!(read_path(&fs, "/small"), b"first copy -----\n");
}

#[test]
fn journal_revoke_block_checksum() {
    let tmp = TempDir::new("jrevcsum");
    let (img, b, bs) = setup(&tmp, "rev", &["-t", "ext4", "-b", "4096"]);
    let blk = tmp.path().join("blk");
    fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
    debugfs_w(
        &img,
        &format!(
            "jo -c\njw -b {b} {}\njc\njo -c\njw -r {b} /dev/null\njc\n",
            blk.display()
        ),
    );
    let clean = fs::read(&img).unwrap();
    let rev = jblock(&img, 4, bs);
    assert_eq!(
        u32::from_be_bytes(clean[rev + 4..rev + 8].try_into().unwrap()),
        5,
        "journal block 4 is the revoke block"
    );
    {
        let fs = ext4::probe(clean.as_slice()).unwrap().unwrap();
        assert_eq!(read_path(&fs, "/small"), b"original content\n");
    }
    let mut img2 = clean.clone();
    img2[rev + 3000] ^= 1;
    let m = corrupt_msg(&img2);
    assert!(m.contains("revoke block 4"), "{m}");
}

#[test]
fn journal_checksum_v1() {
    // v1 checksums (the journal_checksum mount option without metadata_csum): a CRC32
    // of the descriptor and the copies, in the commit block. debugfs writes them too.
    let tmp = TempDir::new("jcsum1");
    let (img, b, bs) = setup(
        &tmp,
        "v1",
        &["-t", "ext4", "-b", "4096", "-O", "^metadata_csum"],
    );
    let blk = tmp.path().join("blk");
    fs::write(&blk, block_image(bs, b"replayed content\n")).unwrap();
    debugfs_w(
        &img,
        &format!("jo -c -v 1\njw -b {b} {}\njc\n", blk.display()),
    );
    let clean = fs::read(&img).unwrap();
    let sb = jblock(&img, 0, bs);
    assert_eq!(
        u32::from_be_bytes(clean[sb + 0x24..sb + 0x28].try_into().unwrap()) & 1,
        1,
        "v1 journal checksums"
    );
    let commit = jblock(&img, 3, bs);
    assert_eq!(&clean[commit + 12..commit + 14], &[1, 4], "crc32 commit");
    {
        let fs = ext4::probe(clean.as_slice()).unwrap().unwrap();
        assert_eq!(fs.replayed_blocks(), 1);
        assert_eq!(read_path(&fs, "/small"), b"replayed content\n");
    }
    let oracle = replayed_by_e2fsck(&img);
    let odev = FileDev::open(&oracle);
    let ofs = ext4::probe(&odev).unwrap().unwrap();
    assert_eq!(read_path(&ofs, "/small"), b"replayed content\n");

    // A damaged copy fails the sum: the transaction is not replayed.
    let copy = jblock(&img, 2, bs);
    let mut img2 = clean.clone();
    img2[copy + 100] ^= 1;
    let fs = ext4::probe(img2.as_slice()).unwrap().unwrap();
    assert_eq!(fs.replayed_blocks(), 0);
    assert_eq!(read_path(&fs, "/small"), b"original content\n");
}

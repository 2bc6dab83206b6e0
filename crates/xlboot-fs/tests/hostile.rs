//! Hostile images: real images with hand-placed corruption, asserting a clean error of
//! the right kind (and never a panic), plus a seeded random byte-flip loop.
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

use common::*;
use walk::{assert_most_opened, metadata_bytes, survives};
use xlboot_fs::{ext4, resolve, FileKind, FileSystem, FsError, NodeId, PathLimits};

/// A small image of the standard tree, built with `args`.
fn small_image(tmp: &TempDir, name: &str, args: &[&str]) -> PathBuf {
    let src = tmp.path().join(format!("src-{name}"));
    fs::create_dir(&src).unwrap();
    let o = TreeOpts {
        many: 60,
        kernel_size: 200_000,
        sparse_far: 2 << 20,
    };
    build_tree(&src, &o);
    // /sparse has a block at 40 MiB: keep the tree's shape, but the image small.
    mkfs(tmp.path(), name, args, &src, "16M")
}

/// Byte offset of the inode of `path` (from `debugfs -R "imap path"`).
fn inode_offset(img: &Path, path: &str, block_size: u64) -> u64 {
    let out = debugfs(img, &format!("imap {path}"));
    let after = out
        .split("located at block ")
        .nth(1)
        .unwrap_or_else(|| panic!("imap: {out}"));
    let block: u64 = after.split(',').next().unwrap().trim().parse().unwrap();
    let hex = after.split("offset 0x").nth(1).unwrap().trim();
    let off = u64::from_str_radix(hex.split_whitespace().next().unwrap(), 16).unwrap();
    block * block_size + off
}

/// Physical block of logical block 0 of `path`.
fn first_block(img: &Path, path: &str) -> u64 {
    debugfs(img, &format!("bmap {path} 0"))
        .trim()
        .parse()
        .unwrap()
}

fn put32(img: &mut [u8], off: u64, v: u32) {
    let o = off as usize;
    img[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

fn put16(img: &mut [u8], off: u64, v: u16) {
    let o = off as usize;
    img[o..o + 2].copy_from_slice(&v.to_le_bytes());
}

fn corrupt_msg(r: Result<impl Sized, FsError>) -> String {
    match r {
        Err(FsError::Corrupt(m)) => m,
        Err(e) => panic!("expected a corrupt error, got: {e}"),
        Ok(_) => panic!("expected a corrupt error, got success"),
    }
}

fn open(img: &[u8]) -> Result<ext4::Ext4<&[u8]>, FsError> {
    ext4::probe(img).map(|o| o.expect("ext magic"))
}

fn lookup_path(fs: &dyn FileSystem, p: &str) -> Result<NodeId, FsError> {
    resolve(fs, p.as_bytes(), &PathLimits::default())
}

#[test]
fn superblock_damage() {
    let tmp = TempDir::new("hostile-sb");
    let ext4_img = fs::read(small_image(&tmp, "e4", &["-t", "ext4", "-b", "1024"])).unwrap();
    let ext2_img = fs::read(small_image(&tmp, "e2", &["-t", "ext2", "-b", "1024"])).unwrap();
    assert!(open(&ext4_img).is_ok() && open(&ext2_img).is_ok());

    // Any flipped bit in a checksummed superblock is caught by the checksum.
    let mut img = ext4_img.clone();
    img[1024 + 0x10] ^= 0x40;
    assert!(corrupt_msg(open(&img)).contains("superblock checksum mismatch"));

    // Without checksums, geometry is checked field by field.
    let cases: [(&str, u64, u32); 5] = [
        ("log block size 7", 0x18, 7),
        ("block count past the device", 0x4, 0xFFFF_FFF0),
        ("zero inodes per group", 0x28, 0),
        ("zero blocks per group", 0x20, 0),
        ("inode count not matching groups", 0x0, 12345),
    ];
    for (what, off, v) in cases {
        let mut img = ext2_img.clone();
        put32(&mut img, 1024 + off, v);
        let m = corrupt_msg(open(&img));
        assert!(m.contains("superblock"), "{what}: {m}");
    }
    let mut img = ext2_img.clone();
    put16(&mut img, 1024 + 0x58, 100);
    assert!(corrupt_msg(open(&img)).contains("inode size 100"));

    // An image cut short: the superblock claims more than the device has.
    let half = &ext2_img[..ext2_img.len() / 2];
    assert!(corrupt_msg(ext4::probe(half).map(|_| ())).contains("larger than its volume"));

    // Unknown INCOMPAT bits are unsupported, named.
    let mut img = ext2_img.clone();
    put32(&mut img, 1024 + 0x60, 0x2 | 0x1000_0000);
    match open(&img) {
        Err(FsError::Unsupported(m)) => assert!(m.contains("unknown bits 0x10000000"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn metadata_checksums() {
    let tmp = TempDir::new("hostile-csum");
    let path = small_image(&tmp, "e4", &["-t", "ext4", "-b", "1024"]);
    let clean = fs::read(&path).unwrap();

    // Group descriptor 0 (the block after the superblock with 1 KiB blocks).
    let mut img = clean.clone();
    img[2048 + 0x8] ^= 1;
    let m = corrupt_msg(open(&img));
    assert!(
        m.contains("group descriptor 0") && m.contains("checksum mismatch"),
        "{m}"
    );

    // Without metadata_csum, uninit_bg's crc16 descriptor checksum (gdt_csum) is
    // checked: any byte of a descriptor, here group 0's inode table pointer.
    let old = small_image(
        &tmp,
        "e4-crc16",
        &["-t", "ext4", "-b", "1024", "-O", "^metadata_csum,uninit_bg"],
    );
    let old = fs::read(old).unwrap();
    assert!(open(&old).is_ok());
    let ro_compat = u32::from_le_bytes(old[1024 + 0x64..1024 + 0x68].try_into().unwrap());
    assert_eq!(ro_compat & 0x410, 0x10, "gdt_csum without metadata_csum");
    for at in [2048 + 0x8, 2048 + 0x1E, 2048 + 0x1F] {
        let mut img = old.clone();
        img[at] ^= 4;
        let m = corrupt_msg(open(&img));
        assert!(
            m.contains("group descriptor 0") && m.contains("checksum mismatch"),
            "{m}"
        );
    }

    // An inode.
    let off = inode_offset(&path, "/small", 1024);
    let mut img = clean.clone();
    img[off as usize + 4] ^= 1; // i_size
    let fs = open(&img).unwrap();
    let m = corrupt_msg(lookup_path(&fs, "/small"));
    assert!(
        m.contains("inode") && m.contains("checksum mismatch"),
        "{m}"
    );

    // A directory leaf block.
    let b = first_block(&path, "/boot");
    let mut img = clean.clone();
    img[(b * 1024 + 30) as usize] ^= 1;
    let fs = open(&img).unwrap();
    let m = corrupt_msg(lookup_path(&fs, "/boot/grub"));
    assert!(m.contains("leaf checksum mismatch"), "{m}");

    // An htree root block (the 60-entry /many is indexed after e2fsck -D).
    let fsck_path = tmp.path().join("e4.img");
    reindex(&fsck_path);
    let clean = fs::read(&fsck_path).unwrap();
    let b = first_block(&fsck_path, "/many");
    let mut img = clean.clone();
    img[(b * 1024 + 40) as usize] ^= 1;
    let fs = open(&img).unwrap();
    let m = corrupt_msg(lookup_path(&fs, "/many/file_00007_with_some_padding"));
    assert!(m.contains("htree checksum mismatch"), "{m}");
}

#[test]
fn inode_pointing_outside_the_disk() {
    let tmp = TempDir::new("hostile-ptr");
    // ext2: direct block pointer.
    let path = small_image(&tmp, "e2", &["-t", "ext2", "-b", "1024"]);
    let mut img = fs::read(&path).unwrap();
    let off = inode_offset(&path, "/small", 1024);
    put32(&mut img, off + 0x28, 0xFFFF_FF00);
    let fs = open(&img).unwrap();
    let n = lookup_path(&fs, "/small").unwrap();
    let m = corrupt_msg(fs.read_at(n, 0, &mut [0; 16]));
    assert!(m.contains("outside the filesystem"), "{m}");

    // ext2: indirect pointer of the kernel.
    let off = inode_offset(&path, "/boot/vmlinuz-6.1.0-test", 1024);
    put32(&mut img, off + 0x28 + 12 * 4, 0x7FFF_FFFF);
    let fs = open(&img).unwrap();
    let n = lookup_path(&fs, "/boot/vmlinuz-6.1.0-test").unwrap();
    let m = corrupt_msg(fs.read_at(n, 20 * 1024, &mut [0; 16]));
    assert!(m.contains("indirect block"), "{m}");

    // ext4 (no checksums, so the damage reaches the extent parser): extent start.
    let path = small_image(
        &tmp,
        "e4",
        &["-t", "ext4", "-b", "1024", "-O", "^metadata_csum"],
    );
    let mut img = fs::read(&path).unwrap();
    let off = inode_offset(&path, "/small", 1024);
    // i_block: header (12) then the first extent: ee_block, ee_len, ee_start_hi, ee_start_lo.
    put16(&mut img, off + 0x28 + 12 + 6, 0xFFFF);
    let fs = open(&img).unwrap();
    let n = lookup_path(&fs, "/small").unwrap();
    let m = corrupt_msg(fs.read_at(n, 0, &mut [0; 16]));
    assert!(m.contains("outside the filesystem"), "{m}");

    // Directory entry naming an inode past the last.
    let b = first_block(&path, "/boot");
    let mut img = fs::read(&path).unwrap();
    put32(&mut img, b * 1024 + 24, 0x7FFF_FFFF); // third entry of /boot
    let fs = open(&img).unwrap();
    let boot = lookup_path(&fs, "/boot").unwrap();
    let m = corrupt_msg(fs.read_dir(boot, 100, &mut |_, _| ControlFlow::Continue(())));
    assert!(m.contains("past the last"), "{m}");
}

#[test]
fn extent_tree_loops_and_bad_headers() {
    let tmp = TempDir::new("hostile-ext");
    let path = small_image(
        &tmp,
        "e4",
        &["-t", "ext4", "-b", "1024", "-O", "^metadata_csum"],
    );
    let clean = fs::read(&path).unwrap();
    let off = inode_offset(&path, "/small", 1024);
    let root = off + 0x28;
    let data = first_block(&path, "/small");

    let read = |img: &[u8]| {
        let fs = open(img).unwrap();
        let n = lookup_path(&fs, "/small").unwrap();
        fs.read_at(n, 0, &mut [0; 16]).map(|_| ())
    };

    // Root says depth 2 and points at a block whose header also says depth 2 and
    // points at itself: the depth check stops it.
    let mut img = clean.clone();
    put16(&mut img, root + 2, 1); // entries
    put16(&mut img, root + 6, 2); // depth
    put32(&mut img, root + 12, 0); // ei_block
    put32(&mut img, root + 16, data as u32); // ei_leaf_lo
    put16(&mut img, root + 20, 0); // ei_leaf_hi
    let node = data * 1024;
    put16(&mut img, node, 0xF30A);
    put16(&mut img, node + 2, 1);
    put16(&mut img, node + 4, 84);
    put16(&mut img, node + 6, 2);
    put32(&mut img, node + 12, 0);
    put32(&mut img, node + 16, data as u32);
    put16(&mut img, node + 20, 0);
    let m = corrupt_msg(read(&img));
    assert!(m.contains("depth 2 where 1 was expected"), "{m}");

    // A consistent chain that still points at itself: depth decreases until a leaf
    // header is demanded, so it ends.
    put16(&mut img, node + 6, 1);
    let m = corrupt_msg(read(&img));
    assert!(m.contains("depth 1 where 0 was expected"), "{m}");

    // Depth beyond the kernel's 5.
    let mut img = clean.clone();
    put16(&mut img, root + 6, 6);
    assert!(corrupt_msg(read(&img)).contains("exceeds 5"));

    // More entries than room, and a huge eh_max.
    let mut img = clean.clone();
    put16(&mut img, root + 2, 60000);
    put16(&mut img, root + 4, 65535);
    assert!(corrupt_msg(read(&img)).contains("do not fit"));

    // Bad magic.
    let mut img = clean.clone();
    put16(&mut img, root, 0x1234);
    assert!(corrupt_msg(read(&img)).contains("bad magic"));

    // Zero-length extent.
    let mut img = clean.clone();
    put16(&mut img, root + 12 + 4, 0);
    assert!(corrupt_msg(read(&img)).contains("empty or overlaps"));
}

#[test]
fn directory_damage_and_huge_sizes() {
    let tmp = TempDir::new("hostile-dir");
    let path = small_image(&tmp, "e2", &["-t", "ext2", "-b", "1024"]);
    let clean = fs::read(&path).unwrap();
    let b = first_block(&path, "/boot") * 1024;

    for (what, off, v) in [
        ("rec_len 0", b + 4, 0u16),
        ("rec_len past block", b + 4, 2000),
        ("odd rec_len", b + 4, 13),
    ] {
        let mut img = clean.clone();
        put16(&mut img, off, v);
        let fs = open(&img).unwrap();
        let m = corrupt_msg(lookup_path(&fs, "/boot/grub"));
        assert!(m.contains("rec_len"), "{what}: {m}");
    }
    // Name longer than its record.
    let mut img = clean.clone();
    img[(b + 6) as usize] = 200;
    let fs = open(&img).unwrap();
    assert!(corrupt_msg(lookup_path(&fs, "/boot/grub")).contains("name length"));

    // Without large_dir the high size half of a directory is ext2's i_dir_acl, and
    // Linux ignores it: so does this reader.
    let off = inode_offset(&path, "/boot", 1024);
    let mut img = clean.clone();
    put32(&mut img, off + 0x6C, 0x100);
    let fs = open(&img).unwrap();
    lookup_path(&fs, "/boot/grub").unwrap();

    // With large_dir it counts: a directory claiming 2^40 bytes is refused by the size
    // cap, not scanned.
    let ld = small_image(
        &tmp,
        "e4-ld",
        &["-t", "ext4", "-b", "1024", "-O", "large_dir,^metadata_csum"],
    );
    let off = inode_offset(&ld, "/boot", 1024);
    let mut img = fs::read(&ld).unwrap();
    put32(&mut img, off + 0x6C, 0x100);
    let fs = open(&img).unwrap();
    match lookup_path(&fs, "/boot/grub") {
        Err(FsError::Limit(m)) => assert!(m.contains("cap"), "{m}"),
        other => panic!("{other:?}"),
    }

    // A file claiming 2^40 bytes reads its real blocks, then zeros; no huge allocation.
    let off = inode_offset(&path, "/small", 1024);
    let mut img = clean.clone();
    put32(&mut img, off + 0x6C, 0x100);
    let fs = open(&img).unwrap();
    let n = lookup_path(&fs, "/small").unwrap();
    assert_eq!(fs.metadata(n).unwrap().size, (0x100u64 << 32) + 6);
    let mut buf = vec![1u8; 8192];
    assert_eq!(fs.read_at(n, 1 << 20, &mut buf).unwrap(), 8192);
    assert!(buf.iter().all(|&b| b == 0));
    // Past what a 1 KiB block map can address (16 GiB): corrupt, said so.
    assert!(corrupt_msg(fs.read_at(n, 1 << 39, &mut buf)).contains("beyond what a block map"));

    // read_dir's entry budget.
    let fs = open(&clean).unwrap();
    let many = lookup_path(&fs, "/many").unwrap();
    match fs.read_dir(many, 10, &mut |_, _| ControlFlow::Continue(())) {
        Err(FsError::Limit(_)) => {}
        other => panic!("{other:?}"),
    }

    // A slow symlink with a huge size is capped before any allocation.
    let off = inode_offset(&path, "/slowlink", 1024);
    let mut img = clean.clone();
    put32(&mut img, off + 4, 0xFFFF_FFF0);
    let fs = open(&img).unwrap();
    match lookup_path(&fs, "/slowlink/config") {
        Err(FsError::Limit(m)) => assert!(m.contains("symlink"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// Reads everything reachable, within budgets; errors are fine, panics are not.
fn exercise(fs: &dyn FileSystem) {
    let mut budget = 400usize;
    let mut bytes = 16usize << 20;
    walk(fs, fs.root(), String::new(), 0, &mut budget, &mut bytes);
}

fn walk(
    fs: &dyn FileSystem,
    dir: NodeId,
    path: String,
    depth: usize,
    budget: &mut usize,
    bytes: &mut usize,
) {
    if depth > 10 || *budget == 0 {
        return;
    }
    let mut entries = Vec::new();
    let _ = fs.read_dir(dir, 2000, &mut |n, id| {
        entries.push((n.to_vec(), id));
        ControlFlow::Continue(())
    });
    for (n, id) in entries {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let p = format!("{path}/{}", String::from_utf8_lossy(&n));
        let _ = fs.lookup(dir, &n);
        let _ = resolve(fs, p.as_bytes(), &PathLimits::default());
        let Ok(m) = fs.metadata(id) else { continue };
        match m.kind {
            FileKind::Directory => walk(fs, id, p, depth + 1, budget, bytes),
            FileKind::Regular => {
                let mut buf = vec![0u8; 256 * 1024];
                let mut off = 0u64;
                while *bytes > 0 {
                    match fs.read_at(id, off, &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => {
                            off += k as u64;
                            *bytes = bytes.saturating_sub(k);
                        }
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
    flip_loop_with(name, args, |_| {}, iterations);
}

/// Like [`flip_loop`], with `prep` run on the image (debugfs edits, e2fsck -D) first.
fn flip_loop_with(name: &str, args: &[&str], prep: impl Fn(&Path), iterations: u64) {
    let tmp = TempDir::new(name);
    let path = small_image(&tmp, name, args);
    prep(&path);
    let clean = fs::read(&path).unwrap();
    let hot: Vec<usize> = metadata_bytes(&path)
        .into_iter()
        .map(|a| a as usize)
        .collect();
    let mut rng = Rng(0xC0FF_EE00 ^ iterations);
    let mut img = clean.clone();
    let mut opened = 0u64;
    for it in 0..iterations {
        img.copy_from_slice(&clean);
        let flips = 1 + rng.below(8);
        let mut log = Vec::new();
        for _ in 0..flips {
            let at = if rng.below(2) == 0 {
                hot[rng.below(hot.len() as u64) as usize]
            } else {
                rng.below(256 * 1024) as usize
            };
            let v = rng.next() as u8;
            img[at] ^= v | 1;
            log.push(at);
        }
        let ok = survives(
            || format!("{name}: iteration {it}, flipped offsets {log:?}"),
            || {
                if let Ok(Some(fs)) = ext4::probe(img.as_slice()) {
                    exercise(&fs);
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
fn random_flips_ext4() {
    flip_loop("flip-ext4", &["-t", "ext4", "-b", "1024"], 600);
}

#[test]
fn random_flips_ext4_without_checksums() {
    flip_loop(
        "flip-ext4-nocsum",
        &["-t", "ext4", "-b", "1024", "-O", "^metadata_csum"],
        600,
    );
}

#[test]
fn random_flips_ext2() {
    flip_loop("flip-ext2", &["-t", "ext2", "-b", "1024"], 600);
}

#[test]
fn random_flips_ext4_inline_data() {
    flip_loop(
        "flip-ext4-inline",
        &[
            "-t",
            "ext4",
            "-b",
            "1024",
            "-O",
            "inline_data,^metadata_csum",
        ],
        400,
    );
}

/// Casefold on /many and /boot (made with debugfs as chattr +F would), htrees rebuilt
/// with the casefold hash.
fn casefold_dirs(img: &Path) {
    debugfs_w(
        img,
        "set_inode_field /many flags 0x40080000\nset_inode_field /boot flags 0x40080000\n",
    );
    reindex(img);
}

#[test]
fn random_flips_ext4_casefold() {
    flip_loop_with(
        "flip-ext4-casefold",
        &["-t", "ext4", "-b", "1024", "-O", "casefold,^metadata_csum"],
        casefold_dirs,
        400,
    );
}

#[test]
fn random_flips_ext4_ea_inode_large_dir_huge_file() {
    flip_loop_with(
        "flip-ext4-eainode",
        &[
            "-t",
            "ext4",
            "-b",
            "1024",
            "-O",
            "ea_inode,large_dir,huge_file,^metadata_csum",
        ],
        |img| {
            let v = img.with_extension("value");
            fs::write(&v, Rng(9).bytes(1024)).unwrap();
            debugfs_w(
                img,
                &format!(
                    "ea_set -f {} /small user.big\nsif /boot/initrd.img-6.1.0-test flags 0xC0000\n",
                    v.display()
                ),
            );
        },
        400,
    );
}

#[test]
fn random_flips_ext4_uninit_bg() {
    flip_loop(
        "flip-ext4-crc16",
        &["-t", "ext4", "-b", "1024", "-O", "^metadata_csum,uninit_bg"],
        300,
    );
}

#[test]
fn casefold_encoding_and_flags() {
    let tmp = TempDir::new("hostile-cf");
    let path = small_image(
        &tmp,
        "cf",
        &["-t", "ext4", "-b", "1024", "-O", "casefold,^metadata_csum"],
    );
    let clean = fs::read(&path).unwrap();
    assert!(open(&clean).is_ok());
    // s_encoding other than utf8-12.1, and unknown encoding flags: unsupported, named.
    for (off, v, want) in [(0x27C, 2u16, "encoding 2"), (0x27E, 0x6, "flags 0x6")] {
        let mut img = clean.clone();
        put16(&mut img, 1024 + off, v);
        match open(&img) {
            Err(FsError::Unsupported(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    // A casefold directory flag on a filesystem without casefold is corrupt, as Linux
    // says; on a casefold filesystem it changes how /boot is searched.
    let off = inode_offset(&path, "/boot", 1024);
    let mut img = clean.clone();
    put32(&mut img, off + 0x20, 0x4008_0000);
    {
        let fs = open(&img).unwrap();
        let a = lookup_path(&fs, "/BOOT/GRUB/grub.cfg");
        assert!(matches!(a, Err(FsError::NotFound(_))), "{a:?}");
        let b = lookup_path(&fs, "/boot/GRUB/GRUB.CFG");
        assert!(matches!(b, Err(FsError::NotFound(_))), "{b:?}");
        lookup_path(&fs, "/boot/GRUB/grub.cfg").unwrap();
    }
    let incompat = u32::from_le_bytes(img[1024 + 0x60..1024 + 0x64].try_into().unwrap());
    put32(&mut img, 1024 + 0x60, incompat & !0x20000);
    let fs = open(&img).unwrap();
    let m = corrupt_msg(lookup_path(&fs, "/boot/grub"));
    assert!(m.contains("casefold"), "{m}");
}

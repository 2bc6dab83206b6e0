//! Differential tests against XFS images built by the real `mkfs.xfs -p protofile`:
//! every file, link and directory of the source tree is looked up in the image and
//! compared (kind, size, bytes, link target, entry set), v4 and v5, several block,
//! inode and directory block sizes, directories in every format (checked with
//! `xfs_db`), and data forks in extent and B-tree format.
//!
//! mkfs.xfs 6.1 copies every file in full (holes in the source become allocated
//! zeros), so holes and unwritten extents are made afterwards with `xfs_db -x`, which
//! rewrites the CRCs as the kernel would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod walk;

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use walk::{check_tree_links, compare_file, diff_tree_with, node};
use xlboot_fs::{xfs, FileSystem, FsError};

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";

/// The data fork format xfs_db reports for `path` (`local`, `extents`, `btree`).
fn fork_format(img: &Path, path: &str) -> String {
    let out = xfs_db(img, false, &[&format!("path {path}"), "print core.format"]);
    out.split('(')
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or("")
        .to_string()
}

/// Directory entries of sizes that reach every directory format at 4 KiB directory
/// blocks: short-form, block, leaf, node, and B-tree (more extents than the inode
/// holds, because mkfs interleaves directory blocks with inode chunks).
const DIRS: [(&str, usize); 5] = [
    ("dir_sf", 4),
    ("dir_block", 60),
    ("dir_leaf", 300),
    ("dir_node", 2500),
    ("dir_btree", 12000),
];

/// Builds the common tree plus the directories of [`DIRS`] and, with `remote_links`,
/// two symlinks too long for any inode's literal area.
///
/// mkfs.xfs 6.1 writes remote symlink blocks on v5 without their `XSLM` header (the
/// target bytes start the block; `xfs_repair -n` calls the inode bad), so v5 trees
/// keep their links local and [`xfs_v5_mkfs_remote_symlink_bug`] checks the refusal.
fn build_xfs_tree(src: &Path, remote_links: bool) {
    build_tree(
        src,
        &TreeOpts {
            many: 0,
            kernel_size: 3 * 1024 * 1024 + 1234,
            sparse_far: 3 << 20,
        },
    );
    for (d, n) in DIRS {
        fs::create_dir(src.join(d)).unwrap();
        for i in 0..n {
            let p = src.join(d).join(format!("entry_{i:05}_padded_name"));
            if i % 500 == 0 {
                fs::write(&p, format!("{d} {i}\n")).unwrap();
            } else {
                fs::write(&p, b"").unwrap();
            }
        }
    }
    let mid = format!("../{}", "y/".repeat(60));
    std::os::unix::fs::symlink(&mid, src.join("mid_link")).unwrap();
    if !remote_links {
        return;
    }
    // 1023 bytes: the longest target, remote on every block size.
    let long = format!("/{}", "x".repeat(1022));
    std::os::unix::fs::symlink(&long, src.join("longest_link")).unwrap();
    let mid = format!("../{}", "z/".repeat(100));
    std::os::unix::fs::symlink(&mid, src.join("remote_link")).unwrap();
}

/// Builds the tree, makes an image with `args`, checks formats and the whole tree.
/// Returns the temp dir and image for further checks.
fn full_check(name: &str, args: &[&str], version: u16) -> Option<(TempDir, PathBuf)> {
    if !have("mkfs.xfs", "xfsprogs") {
        return None;
    }
    let tmp = TempDir::new(name);
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    build_xfs_tree(&src, version == 4);
    let mut a: Vec<&str> = args.to_vec();
    let uuid_opt = format!("uuid={UUID}");
    a.extend(["-L", "xfsboot", "-m", &uuid_opt]);
    let img = mkfs_xfs(tmp.path(), name, &a, &src, 400 << 20);
    let dev = FileDev::open(&img);
    let fs = xfs::probe(&dev).unwrap().expect("xfs magic");
    assert_eq!(fs.version(), version, "{name}");
    let info = fs.info();
    assert_eq!(info.fs_type, "xfs");
    assert_eq!(info.uuid.as_deref(), Some(UUID));
    assert_eq!(info.label.as_deref(), Some("xfsboot"));
    let n = diff_tree_with(&fs, &src, fs.root(), "", &walk::XFS);
    assert!(n > 14_800, "{name}: only {n} files compared");
    // mkfs.xfs allocates every block (holes too): all of each file is data runs.
    for p in [
        "/boot/vmlinuz-6.1.0-test",
        "/boot/initrd.img-6.1.0-test",
        "/sparse",
    ] {
        let want = fs::read(src.join(&p[1..])).unwrap();
        let (data, _) = check_stored_runs(&fs, &dev, node(&fs, p), &want, p);
        assert_eq!(data, want.len() as u64, "{name}: {p}");
    }
    check_tree_links(&fs);
    let boxed = xlboot_fs::probe(&dev).unwrap().expect("probe");
    assert_eq!(boxed.info().fs_type, "xfs");
    Some((tmp, img))
}

/// The formats xfs_db reports for the directories of [`DIRS`], in order.
fn dir_formats(img: &Path) -> Vec<String> {
    DIRS.iter()
        .map(|(d, _)| fork_format(img, &format!("/{d}")))
        .collect()
}

#[test]
fn xfs_v5_default() {
    let Some((_tmp, img)) = full_check("v5", &[], 5) else {
        return;
    };
    assert_eq!(
        dir_formats(&img),
        ["local", "extents", "extents", "extents", "btree"]
    );
    assert_eq!(fork_format(&img, "/mid_link"), "local");
}

#[test]
fn xfs_v5_mkfs_remote_symlink_bug() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let tmp = TempDir::new("v5-link");
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    std::os::unix::fs::symlink("x".repeat(700), src.join("remote")).unwrap();
    let mut proto = String::from("/dev/null\n0 0\nd--755 0 0\n");
    proto_dir(&src, &mut proto, 1);
    proto.push_str("$\n");
    let pf = tmp.path().join("p");
    fs::write(&pf, proto).unwrap();
    let img = tmp.path().join("i.img");
    fs::File::create(&img).unwrap().set_len(300 << 20).unwrap();
    let st = Command::new("mkfs.xfs")
        .args(["-q", "-p"])
        .arg(&pf)
        .arg(&img)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(fork_format(&img, "/remote"), "extents");
    let dev = FileDev::open(&img);
    let fs = xfs::probe(&dev).unwrap().unwrap();
    let id = fs.lookup(fs.root(), b"remote").unwrap().unwrap();
    match fs.read_link(id, 4096) {
        Err(FsError::Corrupt(m)) => assert!(m.contains("bad magic"), "{m}"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn xfs_v5_1k_blocks_all_features() {
    full_check(
        "v5-1k",
        &[
            "-b",
            "size=1024",
            "-m",
            "rmapbt=1,reflink=1,finobt=1,bigtime=1,inobtcount=1",
            "-i",
            "size=512,sparse=1,nrext64=1",
            "-n",
            "size=8192",
        ],
        5,
    );
}

#[test]
fn xfs_v5_64k_blocks() {
    full_check("v5-64k", &["-b", "size=65536"], 5);
}

#[test]
fn xfs_v4_ftype() {
    let Some((_tmp, img)) = full_check("v4", &["-m", "crc=0", "-i", "size=256"], 4) else {
        return;
    };
    // 256-byte inodes hold 9 extents: the node directory is a B-tree already.
    assert_eq!(
        dir_formats(&img),
        ["local", "extents", "extents", "btree", "btree"]
    );
    assert_eq!(fork_format(&img, "/remote_link"), "extents");
    assert_eq!(fork_format(&img, "/longest_link"), "extents");
}

#[test]
fn xfs_v4_no_ftype_512_blocks() {
    full_check(
        "v4-512",
        &[
            "-m", "crc=0", "-n", "ftype=0", "-b", "size=512", "-i", "size=256",
        ],
        4,
    );
}

/// The block size of an image, from xfs_db.
fn block_size(img: &Path) -> u64 {
    let out = xfs_db(img, false, &["sb 0", "print blocksize"]);
    out.trim()
        .trim_start_matches("blocksize = ")
        .parse()
        .unwrap()
}

/// `block`, `leaf` or `node`: the shape of an extents- or btree-format directory,
/// from where its blocks sit (data space, leaf space at 32 GiB, free index at 64 GiB).
fn dir_shape(img: &Path, path: &str) -> &'static str {
    let bs = block_size(img);
    let out = xfs_db(img, false, &[&format!("path {path}"), "bmap"]);
    let (leaf, free) = ((1u64 << 35) / bs, (1u64 << 36) / bs);
    let offs: Vec<u64> = out
        .lines()
        .filter_map(|l| l.split("offset ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    if offs.iter().any(|&o| o >= free) {
        "node"
    } else if offs.iter().any(|&o| o >= leaf) {
        "leaf"
    } else {
        "block"
    }
}

#[test]
fn xfs_directory_shapes() {
    let Some((_tmp, img)) = full_check("v5-shapes", &["-n", "size=4096"], 5) else {
        return;
    };
    assert_eq!(dir_shape(&img, "/dir_block"), "block");
    assert_eq!(dir_shape(&img, "/dir_leaf"), "leaf");
    assert_eq!(dir_shape(&img, "/dir_node"), "node");
    assert_eq!(dir_shape(&img, "/dir_btree"), "node");
}

/// A one-extent file edited with `xfs_db -x`: its extent moved 10 blocks into the
/// file (a hole in front, size grown to match), or marked unwritten.
#[test]
fn xfs_holes_and_unwritten_extents() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    for (name, args, fork) in [
        ("v5-holes", &["-b", "size=1024"][..], "u3.bmx[0]"),
        ("v4-holes", &["-m", "crc=0"][..], "u.bmx[0]"),
    ] {
        let tmp = TempDir::new(name);
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        let data = Rng(7).bytes(20_000);
        fs::write(src.join("holes"), &data).unwrap();
        fs::write(src.join("unwritten"), &data).unwrap();
        let img = mkfs_xfs(tmp.path(), name, args, &src, 300 << 20);
        let bs = block_size(&img);
        let size = data.len() as u64 + 10 * bs;
        xfs_db(
            &img,
            true,
            &[
                "path /holes",
                &format!("write {fork}.startoff 10"),
                &format!("write core.size {size}"),
            ],
        );
        xfs_db(
            &img,
            true,
            &["path /unwritten", &format!("write {fork}.extentflag 1")],
        );
        xfs_repair_clean(&img);
        let dev = FileDev::open(&img);
        let fs = xfs::probe(&dev).unwrap().unwrap();
        let mut want = vec![0u8; 10 * bs as usize];
        want.extend_from_slice(&data);
        let id = fs.lookup(fs.root(), b"holes").unwrap().unwrap();
        assert_eq!(fs.metadata(id).unwrap().size, size);
        compare_file(&fs, id, &want, "/holes");
        let runs = check_stored_runs(&fs, &dev, id, &want, "/holes");
        assert_eq!(runs, (data.len() as u64, 10 * bs), "{name}: /holes");
        let id = fs.lookup(fs.root(), b"unwritten").unwrap().unwrap();
        compare_file(&fs, id, &vec![0u8; data.len()], "/unwritten");
        let runs = check_stored_runs(&fs, &dev, id, &vec![0u8; data.len()], "/unwritten");
        assert_eq!(runs, (0, data.len() as u64), "{name}: /unwritten");
    }
}

/// `xfs_admin -U` on v5 sets a new user-visible UUID and the `meta_uuid` feature;
/// metadata keeps the old one. The new UUID is what GRUB and blkid report.
#[test]
fn xfs_meta_uuid_and_label() {
    let Some((_tmp, img)) = full_check("v5-metauuid", &[], 5) else {
        return;
    };
    let new = "11111111-2222-3333-4444-555555555555";
    let out = Command::new("xfs_admin")
        .args(["-U", new, "-L", "relabeled"])
        .arg(&img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sb = xfs_db(&img, false, &["sb 0", "print features_incompat meta_uuid"]);
    assert!(sb.contains(&format!("meta_uuid = {UUID}")), "{sb}");
    let dev = FileDev::open(&img);
    let fs = xfs::probe(&dev).unwrap().unwrap();
    assert_eq!(fs.info().uuid.as_deref(), Some(new));
    assert_eq!(fs.info().label.as_deref(), Some("relabeled"));
    let k = node(&fs, "/boot/vmlinuz");
    assert_eq!(fs.metadata(k).unwrap().size, 3 * 1024 * 1024 + 1234);
    diff_tree_with(&fs, &_tmp.path().join("src"), fs.root(), "", &walk::XFS);
}

/// mkfs.xfs over an ext4 image, and mke2fs over an XFS image: the probe names the
/// newer filesystem each time.
#[test]
fn xfs_and_ext4_never_confused() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let tmp = TempDir::new("xfs-ext4");
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("hello"), b"hi\n").unwrap();
    let img = mkfs(tmp.path(), "e", &["-t", "ext4"], &src, "300M");
    assert_eq!(
        xlboot_fs::probe(&FileDev::open(&img))
            .unwrap()
            .unwrap()
            .info()
            .fs_type,
        "ext2"
    );
    assert!(xfs::probe(FileDev::open(&img)).unwrap().is_none());
    let st = Command::new("mkfs.xfs")
        .args(["-q", "-f"])
        .arg(&img)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(
        xlboot_fs::probe(&FileDev::open(&img))
            .unwrap()
            .unwrap()
            .info()
            .fs_type,
        "xfs"
    );
    let img2 = mkfs(tmp.path(), "e", &["-t", "ext4"], &src, "300M");
    assert_eq!(img, img2);
    assert_eq!(
        xlboot_fs::probe(&FileDev::open(&img))
            .unwrap()
            .unwrap()
            .info()
            .fs_type,
        "ext2"
    );
}

/// Byte offset on the image of an xfs_db expression (`convert fsb N byte`).
fn fsb_byte(img: &Path, fsb: u64) -> u64 {
    let out = xfs_db(img, false, &[&format!("convert fsb {fsb} byte")]);
    let hex = out
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("0x");
    u64::from_str_radix(hex, 16).unwrap()
}

/// The unmount record's flag cleared: a log that ends in a transaction, as after a
/// crash. Refused, named; and a damaged inode CRC is refused as corrupt.
#[test]
fn xfs_dirty_log_and_bad_checksum() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let tmp = TempDir::new("xfs-dirty");
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("hello"), b"hi\n").unwrap();
    let img = mkfs_xfs(tmp.path(), "d", &[], &src, 300 << 20);
    let sb = xfs_db(&img, false, &["sb 0", "print logstart rootino"]);
    let field = |n: &str| -> u64 {
        sb.lines()
            .find_map(|l| l.strip_prefix(&format!("{n} = ")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let log = fsb_byte(&img, field("logstart"));
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&img)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, log + 512 + 9).unwrap();
    assert_eq!(
        b[0] & 0x20,
        0x20,
        "the unmount record follows the log's first header"
    );
    f.write_all_at(&[b[0] & !0x20], log + 512 + 9).unwrap();
    match xfs::probe(FileDev::open(&img)) {
        Err(FsError::Unsupported(m)) => assert!(m.contains("log is dirty"), "{m}"),
        r => panic!("{r:?}"),
    }
    f.write_all_at(&b, log + 512 + 9).unwrap();
    assert!(xfs::probe(FileDev::open(&img)).unwrap().is_some());

    // The root inode's mode, changed without fixing its CRC.
    let root = field("rootino");
    let at: u64 = {
        let out = xfs_db(&img, false, &[&format!("convert ino {root} byte")]);
        u64::from_str_radix(
            out.split_whitespace()
                .next()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap()
    };
    f.write_all_at(&[0x43], at + 2).unwrap();
    match xfs::probe(FileDev::open(&img)) {
        Err(FsError::Corrupt(m)) => assert!(m.contains("checksum"), "{m}"),
        r => panic!("{r:?}"),
    }
}

/// Files and logs only a kernel writes: `scripts/fixtures/vm` boots the fixture
/// chroot's Debian kernel in QEMU, which mounts two mkfs.xfs images (v5 and v4), writes
/// a file full of holes with 400 extents (a bmbt data fork), a preallocated
/// (unwritten) range, and unmounts them cleanly; a third is written, synced and left
/// mounted when the guest powers off (a dirty log). Skips without the fixture cache
/// (scripts/fixtures/build), unless XLBOOT_REQUIRE_TOOLS is set.
#[test]
fn xfs_written_by_the_kernel() {
    if !have("mkfs.xfs", "xfsprogs") {
        return;
    }
    let cache = std::env::var("XLBOOT_FIXTURES").unwrap_or("/var/cache/xlboot/fixtures".into());
    if !Path::new(&cache).join("chroot/boot").is_dir() {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "the fixture chroot is required (XLBOOT_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipping: no fixture chroot in {cache} (scripts/fixtures/build)");
        return;
    }
    let tmp = TempDir::new("xfs-kernel");
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let pat = Rng(42).bytes(4096);
    fs::write(input.join("pat"), &pat).unwrap();
    fs::write(
        input.join("make.sh"),
        r#"set -e
mkdir -p /mnt
for d in $DISK0 $DISK1; do
	mount -t xfs $d /mnt
	i=0
	while [ $i -lt 400 ]; do
		dd if=/in/pat of=/mnt/frag bs=4096 count=1 seek=$((i * 2)) conv=notrunc 2>/dev/null
		dd if=/in/pat of=/mnt/other bs=4096 count=1 seek=$i conv=notrunc 2>/dev/null
		i=$((i + 1))
	done
	xfs_io -f -c "pwrite -S 0x61 0 64k" -c "falloc 64k 1m" -c "pwrite -S 0x62 2m 4k" /mnt/unwritten >/dev/null
	umount /mnt
done
mount -t xfs $DISK2 /mnt
mkdir /mnt/newdir
echo hello > /mnt/newdir/after
sync
"#,
    )
    .unwrap();
    let imgs: Vec<PathBuf> = [
        ("v5", &[][..]),
        ("v4", &["-m", "crc=0", "-i", "size=256"][..]),
        ("dirty", &[][..]),
    ]
    .iter()
    .map(|(n, args)| {
        let img = tmp.path().join(format!("{n}.img"));
        fs::File::create(&img).unwrap().set_len(300 << 20).unwrap();
        let st = Command::new("mkfs.xfs")
            .arg("-q")
            .args(*args)
            .arg(&img)
            .status()
            .unwrap();
        assert!(st.success());
        img
    })
    .collect();
    let vm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fixtures/vm");
    let mut c = Command::new(vm);
    c.args(["--tools", "xfsprogs", "--in"]).arg(&input);
    for i in &imgs {
        c.arg("--disk").arg(i);
    }
    let out = c.arg("--").arg(input.join("make.sh")).output().unwrap();
    assert!(
        out.status.success(),
        "vm: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut frag = vec![0u8; 799 * 4096];
    for i in 0..400 {
        frag[i * 8192..i * 8192 + 4096].copy_from_slice(&pat);
    }
    let other: Vec<u8> = pat.iter().copied().cycle().take(400 * 4096).collect();
    let mut unwritten = vec![b'a'; 64 << 10];
    unwritten.resize(2 << 20, 0);
    unwritten.extend_from_slice(&[b'b'; 4096]);
    for img in &imgs[..2] {
        assert_eq!(fork_format(img, "/frag"), "btree", "{}", img.display());
        let dev = FileDev::open(img);
        let fs = xfs::probe(&dev).unwrap().unwrap();
        for (name, want) in [
            ("frag", &frag),
            ("other", &other),
            ("unwritten", &unwritten),
        ] {
            let id = fs.lookup(fs.root(), name.as_bytes()).unwrap().unwrap();
            assert_eq!(fs.metadata(id).unwrap().size, want.len() as u64, "{name}");
            compare_file(&fs, id, want, name);
        }
    }
    match xfs::probe(FileDev::open(&imgs[2])) {
        Err(FsError::Unsupported(m)) => assert!(m.contains("log is dirty"), "{m}"),
        r => panic!("a crashed XFS opened: {r:?}"),
    }
}

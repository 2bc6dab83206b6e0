//! Differential tests against images built by the real `mke2fs -d`: every file, link
//! and directory of the source tree is looked up in the image and compared (kind, size,
//! bytes, link target), then path resolution is checked case by case.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod walk;

use std::fs;
use std::process::Command;

use common::*;
use walk::{check_tree_links, diff_tree_with, err, node};
use xlboot_fs::{ext4, resolve, resolve_file, FileSystem, FsError, PathLimits};

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";

/// Path resolution cases on the tree from `build_tree`, beyond its links.
fn check_paths(fs: &dyn FileSystem) {
    check_tree_links(fs);
    let kernel = node(fs, "/boot/vmlinuz-6.1.0-test");
    let l = PathLimits::default();
    assert_eq!(resolve_file(fs, b"vmlinuz", &l).unwrap(), kernel, "vmlinuz");
    assert_eq!(
        node(fs, "/initrd.img"),
        node(fs, "/boot/initrd.img-6.1.0-test")
    );
    let grub = node(fs, "/boot/grub/grub.cfg");
    assert_eq!(node(fs, "/../../boot/../boot/grub//grub.cfg"), grub);
    assert_eq!(
        node(fs, "/a/b/c/d/e/f/g/up3/e/f/g/deep"),
        node(fs, "/a/b/c/d/e/f/g/deep")
    );
    assert_eq!(node(fs, "/.."), fs.root());
    assert_eq!(node(fs, ""), fs.root());

    assert!(matches!(err(fs, "/self"), FsError::Limit(_)));
    assert!(matches!(err(fs, "/nonexistent"), FsError::NotFound(_)));
    match err(fs, "/boot") {
        FsError::WrongKind(m) => assert_eq!(m, "/boot is a directory"),
        e => panic!("{e}"),
    }
    assert!(matches!(err(fs, "/fifo"), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/small/x"), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/small/.."), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/small/"), FsError::WrongKind(_)));
    assert!(matches!(err(fs, "/vmlinuz/"), FsError::WrongKind(_)));
    assert_eq!(
        node(fs, "/slowlink/"),
        node(fs, &format!("/boot/{LONG_DIR}"))
    );
    assert_eq!(node(fs, "/boot/"), node(fs, "/boot"));
    let tight = PathLimits {
        max_hops: 2,
        ..PathLimits::default()
    };
    assert!(matches!(
        resolve(fs, b"/vmlinuz.chain", &tight),
        Err(FsError::Limit(_))
    ));
    let shallow = PathLimits {
        max_depth: 3,
        ..PathLimits::default()
    };
    assert!(matches!(
        resolve(fs, b"/a/b/c/d", &shallow),
        Err(FsError::Limit(_))
    ));
    let short = PathLimits {
        max_link_len: 20,
        ..PathLimits::default()
    };
    assert!(matches!(
        resolve(fs, b"/slowlink", &short),
        Err(FsError::Limit(_))
    ));
    let long = vec![b'a'; 5000];
    assert!(matches!(resolve(fs, &long, &l), Err(FsError::Limit(_))));

    // The fast symlink and the slow one are read back exactly.
    let fast = fs.lookup(fs.root(), b"vmlinuz").unwrap().unwrap();
    assert_eq!(fs.read_link(fast, 4096).unwrap(), b"/boot/vmlinuz");
    let slow = fs.lookup(fs.root(), b"slowlink").unwrap().unwrap();
    assert!(fs.read_link(slow, 4096).unwrap().len() > 60);
    assert!(matches!(
        fs.read_at(slow, 0, &mut [0; 4]),
        Err(FsError::WrongKind(_))
    ));
    let boot = node(fs, "/boot");
    assert!(matches!(
        fs.read_at(boot, 0, &mut [0; 4]),
        Err(FsError::WrongKind(_))
    ));
    assert!(fs.lookup(boot, b"nope").unwrap().is_none());
}

/// The stored runs of `p` (see [`common::check_stored_runs`]): a file over 70 000
/// bytes is all data runs, except `/sparse`, whose holes are zero runs.
fn check_runs(fs: &dyn FileSystem, dev: &FileDev, src: &std::path::Path, p: &str) {
    let want = fs::read(src.join(p.trim_start_matches('/'))).unwrap();
    let (data, zeros) = check_stored_runs(fs, dev, node(fs, p), &want, p);
    if p.contains("sparse") {
        assert!(zeros > 60 << 20, "{p}: only {zeros} bytes of holes");
        assert_eq!(data + zeros, want.len() as u64, "{p}: not all said");
    } else if want.len() > 70_000 {
        assert_eq!(data, want.len() as u64, "{p}: not all stored");
    }
}

/// Builds the tree, makes an image with `args`, checks it all.
fn full_check(name: &str, args: &[&str], opts: TreeOpts, htree: bool) {
    let tmp = TempDir::new(name);
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    build_tree(&src, &opts);
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["-L", "bootfs", "-U", UUID]);
    let img = mkfs(tmp.path(), name, &a, &src, "160M");
    if htree {
        reindex(&img);
        let st = debugfs(&img, "stat /many");
        assert!(
            st.contains("Flags: 0x81000") || st.contains("Flags: 0x1000"),
            "/many is not an htree:\n{st}"
        );
    } else {
        fsck_clean(&img);
    }
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().expect("ext magic");
    let info = fs.info();
    assert_eq!(info.fs_type, "ext2");
    assert_eq!(info.uuid.as_deref(), Some(UUID));
    assert_eq!(info.label.as_deref(), Some("bootfs"));
    let n = diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4);
    assert!(n > opts.many, "{name}: only {n} files compared");
    check_paths(&fs);
    for p in [
        "/boot/vmlinuz-6.1.0-test",
        "/boot/initrd.img-6.1.0-test",
        "/boot/grub/grub.cfg",
        "/sparse",
    ] {
        check_runs(&fs, &dev, &src, p);
    }

    // The generic probe finds the same filesystem.
    let boxed = xlboot_fs::probe(&dev).unwrap().expect("probe");
    assert_eq!(boxed.info().uuid.as_deref(), Some(UUID));
}

#[test]
fn ext4_default_4k() {
    full_check(
        "ext4-4k",
        &["-t", "ext4", "-b", "4096"],
        TreeOpts::default(),
        true,
    );
}

#[test]
fn ext4_1k_blocks() {
    full_check(
        "ext4-1k",
        &["-t", "ext4", "-b", "1024"],
        TreeOpts::default(),
        true,
    );
}

#[test]
fn ext4_without_metadata_csum() {
    full_check(
        "ext4-nocsum",
        &["-t", "ext4", "-O", "^metadata_csum,uninit_bg"],
        TreeOpts::default(),
        true,
    );
}

#[test]
fn ext4_64k_blocks() {
    // 64 KiB blocks store a whole-block rec_len specially; small tree to keep it quick.
    let o = TreeOpts {
        many: 500,
        ..TreeOpts::default()
    };
    full_check("ext4-64k", &["-t", "ext4", "-b", "65536"], o, false);
}

#[test]
fn ext2_1k_reaches_triple_indirect() {
    // With 1 KiB blocks, block 65804 and on go through the triple indirect block:
    // the far end of /sparse (70 MiB) is there.
    full_check(
        "ext2-1k",
        &["-t", "ext2", "-b", "1024"],
        TreeOpts::default(),
        true,
    );
}

#[test]
fn ext2_4k() {
    full_check(
        "ext2-4k",
        &["-t", "ext2", "-b", "4096"],
        TreeOpts::default(),
        false,
    );
}

#[test]
fn ext3_journal_and_indirect_blocks() {
    full_check("ext3", &["-t", "ext3"], TreeOpts::default(), true);
}

#[test]
fn ext4_csum_seed_and_orphan_file_after_uuid_change() {
    // With metadata_csum_seed the seed stays while the UUID changes: checksums only
    // verify if the stored seed is used, not one derived from the new UUID.
    let tmp = TempDir::new("seed");
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let opts = TreeOpts {
        many: 200,
        ..TreeOpts::default()
    };
    build_tree(&src, &opts);
    let img = mkfs(
        tmp.path(),
        "seed",
        &["-t", "ext4", "-O", "metadata_csum_seed,orphan_file"],
        &src,
        "160M",
    );
    let out = Command::new("tune2fs")
        .arg("-U")
        .arg(UUID)
        .arg(&img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tune2fs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fsck_clean(&img);
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert_eq!(fs.info().uuid.as_deref(), Some(UUID));
    assert_eq!(fs.info().label, None);
    diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4);
    check_paths(&fs);
}

#[test]
fn ext4_inline_data() {
    // Small files, symlinks and directories live inside their inodes.
    let o = TreeOpts {
        many: 300,
        ..TreeOpts::default()
    };
    full_check("ext4-inline", &["-t", "ext4", "-O", "inline_data"], o, true);
}

#[test]
fn ext4_inline_data_really_inline() {
    let tmp = TempDir::new("inline");
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("d/sub")).unwrap();
    fs::write(src.join("d/small"), b"hi\n").unwrap();
    fs::write(src.join("d/mid"), vec![0x5a; 100]).unwrap();
    fs::write(src.join("d/sub/x"), b"x").unwrap();
    let img = mkfs(
        tmp.path(),
        "inline",
        &["-t", "ext4", "-O", "inline_data"],
        &src,
        "8M",
    );
    for p in ["/d/small", "/d/mid", "/d/sub"] {
        let st = debugfs(&img, &format!("stat {p}"));
        assert!(st.contains("Flags: 0x10000000"), "{p} is not inline:\n{st}");
    }
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4);
}

#[test]
fn not_ext_is_none() {
    let zeros = vec![0u8; 1 << 20];
    assert!(ext4::probe(zeros.as_slice()).unwrap().is_none());
    assert!(xlboot_fs::probe(zeros.as_slice()).unwrap().is_none());
    let tiny = [0u8; 100];
    assert!(ext4::probe(&tiny[..]).unwrap().is_none());
}

#[test]
fn htree_with_interior_nodes() {
    // 1500 entries with 200-byte names in 1 KiB blocks: four names per leaf, more
    // leaves than a dx_root can point at, so the htree gets a level of dx_node blocks,
    // which the linear scan must recognise, verify and skip. (Long names rather than
    // many files: `mke2fs -d` is slow on huge directories.)
    let tmp = TempDir::new("htree2");
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("many")).unwrap();
    let pad = "x".repeat(190);
    for i in 0..1500 {
        fs::write(src.join(format!("many/f{i:05}_{pad}")), format!("{i}\n")).unwrap();
    }
    for (name, args) in [
        ("csum", &["-t", "ext4"][..]),
        ("nocsum", &["-t", "ext4", "-O", "^metadata_csum"][..]),
        ("ext2", &["-t", "ext2"][..]),
    ] {
        let mut a = args.to_vec();
        a.extend(["-b", "1024", "-N", "4096"]);
        let img = mkfs(tmp.path(), name, &a, &src, "16M");
        reindex(&img);
        let h = debugfs(&img, "htree /many");
        assert!(
            h.contains("Indirect levels: 1"),
            "{name}: expected a two-level htree:\n{}",
            &h[..h.len().min(500)]
        );
        let dev = FileDev::open(&img);
        let fs = ext4::probe(&dev).unwrap().unwrap();
        assert_eq!(
            diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4),
            1500,
            "{name}"
        );
        let n = node(&fs, &format!("/many/f01499_{pad}"));
        let mut b = [0u8; 16];
        let k = fs.read_at(n, 0, &mut b).unwrap();
        assert_eq!(&b[..k], b"1499\n");
    }
}

#[test]
fn unusual_layouts() {
    // Layouts mke2fs can make but does not by default: descriptors per meta group
    // (64 small groups of 8 inodes, so that inodes live in groups whose descriptors
    // are in the second meta group), backups only where
    // sparse_super2 says, no sparse_super, no filetype (16-bit name lengths), revision
    // 0 (128-byte inodes), bigalloc clusters, 128-byte inodes with metadata_csum
    // (16-bit inode checksums), 32-bit descriptors.
    let tmp = TempDir::new("layouts");
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let o = TreeOpts {
        many: 100,
        kernel_size: 600_000,
        sparse_far: 3 << 20,
    };
    build_tree(&src, &o);
    let cases: &[(&str, &[&str])] = &[
        (
            "meta_bg",
            &[
                "-t",
                "ext4",
                "-b",
                "1024",
                "-g",
                "1024",
                "-O",
                "meta_bg,^resize_inode",
                "-N",
                "512",
            ],
        ),
        (
            "meta_bg_ext2",
            &[
                "-t",
                "ext2",
                "-b",
                "1024",
                "-g",
                "1024",
                "-O",
                "meta_bg,^resize_inode",
                "-N",
                "512",
            ],
        ),
        (
            "sparse_super2",
            &[
                "-t",
                "ext4",
                "-b",
                "1024",
                "-g",
                "1024",
                "-O",
                "sparse_super2",
            ],
        ),
        (
            "no_sparse_super",
            &[
                "-t",
                "ext2",
                "-b",
                "1024",
                "-g",
                "1024",
                "-O",
                "^sparse_super,^resize_inode",
            ],
        ),
        ("no_filetype", &["-t", "ext2", "-O", "^filetype"]),
        ("rev0", &["-t", "ext2", "-r", "0"]),
        ("bigalloc", &["-t", "ext4", "-O", "bigalloc", "-C", "16384"]),
        ("inode128_csum", &["-t", "ext4", "-I", "128"]),
        ("no_64bit", &["-t", "ext4", "-O", "^64bit"]),
        ("no_extents_ext4", &["-t", "ext4", "-O", "^extents,^64bit"]),
        (
            "no_flex_bg",
            &["-t", "ext4", "-b", "1024", "-g", "1024", "-O", "^flex_bg"],
        ),
    ];
    for (name, args) in cases {
        let img = mkfs(tmp.path(), name, args, &src, "64M");
        fsck_clean(&img);
        let dev = FileDev::open(&img);
        let fs = ext4::probe(&dev)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .expect(name);
        let n = diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4);
        assert!(n > 100, "{name}");
        check_paths(&fs);
        if name.starts_with("meta_bg") {
            // 16 descriptors per block: inode 129+ is in group 16+, meta group 1+.
            let last = node(&fs, "/many/file_00099_with_some_padding");
            assert!(
                last.0 > 128,
                "{name}: inode {} does not reach meta group 1",
                last.0
            );
        }
    }
}

#[test]
fn ext4_casefold_directories() {
    // Casefold directories as Debian and Android make them: the feature at mkfs, the
    // +F flag on directories (set here with debugfs, as chattr +F needs a mount), and
    // e2fsck -D rebuilding their htrees with the casefolded name hash.
    let tmp = TempDir::new("casefold");
    let src = tmp.path().join("src");
    let o = TreeOpts {
        many: 300,
        kernel_size: 300_000,
        sparse_far: 3 << 20,
    };
    build_tree(&src, &o);
    fs::create_dir_all(src.join("cf/Grub")).unwrap();
    fs::write(src.join("cf/Vmlinuz-6.1.0"), b"kernel\n").unwrap();
    fs::write(src.join("cf/Grub/Grub.CFG"), b"set default=0\n").unwrap();
    fs::write(src.join("cf/Straße"), b"sharp s\n").unwrap();
    fs::write(src.join("cf/\u{212A}elvin"), b"kelvin sign\n").unwrap();
    fs::write(src.join("cf/Ünïcode"), b"needs tables\n").unwrap();
    for i in 0..400 {
        fs::write(src.join(format!("cf/File_{i:04}_padding")), b"f\n").unwrap();
    }
    for (name, extra) in [
        ("cf", "^metadata_csum"),
        ("cf-csum-strict", "metadata_csum"),
    ] {
        let mut args = vec!["-t", "ext4", "-O"];
        let feats = format!("casefold,{extra}");
        args.push(&feats);
        if name.ends_with("strict") {
            args.extend(["-E", "encoding_flags=strict"]);
        }
        let img = mkfs(tmp.path(), name, &args, &src, "64M");
        debugfs_w(
            &img,
            "set_inode_field /cf flags 0x40080000\nset_inode_field /cf/Grub flags 0x40080000\n",
        );
        reindex(&img);
        let st = debugfs(&img, "stat /cf");
        assert!(st.contains("Flags: 0x40081000"), "{name}: /cf:\n{st}");

        let dev = FileDev::open(&img);
        let fs = ext4::probe(&dev)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap();
        // Listings and exact names read as stored.
        assert!(
            diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4) > 700,
            "{name}"
        );
        check_paths(&fs);

        let kernel = node(&fs, "/cf/Vmlinuz-6.1.0");
        for p in [
            "/cf/vmlinuz-6.1.0",
            "/cf/VMLINUZ-6.1.0",
            "/cf/vMlInUz-6.1.0",
        ] {
            assert_eq!(node(&fs, p), kernel, "{name}: {p}");
        }
        let cfg = node(&fs, "/cf/Grub/Grub.CFG");
        assert_eq!(node(&fs, "/cf/grub/grub.cfg"), cfg, "{name}");
        assert_eq!(node(&fs, "/cf/GRUB/GRUB.CFG"), cfg, "{name}");
        // Characters that fold to ASCII, both ways round.
        assert_eq!(node(&fs, "/cf/STRASSE"), node(&fs, "/cf/Straße"), "{name}");
        assert_eq!(
            node(&fs, "/cf/kelvin"),
            node(&fs, "/cf/\u{212A}elvin"),
            "{name}"
        );
        assert_eq!(
            node(&fs, "/cf/file_0399_PADDING"),
            node(&fs, "/cf/File_0399_padding"),
            "{name}"
        );
        // A non-ASCII name is found when it is spelt exactly, and otherwise refused
        // as unsupported, named, rather than reported missing.
        node(&fs, "/cf/Ünïcode");
        match resolve(&fs, "/cf/ünïcode".as_bytes(), &PathLimits::default()) {
            Err(FsError::Unsupported(m)) => assert!(m.contains("ünïcode"), "{m}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(matches!(err(&fs, "/cf/nothing"), FsError::NotFound(_)));
        assert!(matches!(err(&fs, "/cf/straß"), FsError::NotFound(_)));
        // Directories without +F still compare bytes.
        assert!(matches!(
            err(&fs, "/CF/Grub/Grub.CFG"),
            FsError::NotFound(_)
        ));
        assert!(matches!(
            err(&fs, "/boot/GRUB/grub.cfg"),
            FsError::NotFound(_)
        ));
    }
}

#[test]
fn ext4_ea_inode_values_are_not_files() {
    // ea_inode: an xattr value too big for the inode and the xattr block goes into an
    // inode of its own. Files stay readable; the value inode is never a file.
    let tmp = TempDir::new("eainode");
    let src = tmp.path().join("src");
    let o = TreeOpts {
        many: 100,
        kernel_size: 300_000,
        sparse_far: 3 << 20,
    };
    build_tree(&src, &o);
    let img = mkfs(
        tmp.path(),
        "ea",
        &["-t", "ext4", "-b", "1024", "-O", "ea_inode"],
        &src,
        "64M",
    );
    let value = tmp.path().join("value");
    fs::write(&value, Rng(7).bytes(4000)).unwrap();
    debugfs_w(
        &img,
        &format!(
            "ea_set -f {} /boot/vmlinuz-6.1.0-test user.big\n",
            value.display()
        ),
    );
    // debugfs leaves i_blocks of the owner one short; e2fsck mends it.
    let _ = Command::new("e2fsck")
        .arg("-fy")
        .arg(&img)
        .output()
        .unwrap();
    fsck_clean(&img);
    // Find the value inode: the one flagged EA_INODE_FL (0x200000).
    let cmds: String = (11..200).map(|i| format!("stat <{i}>\n")).collect();
    let out = debugfs_w(&img, &cmds);
    let ea: u64 = out
        .split("Inode: ")
        .skip(1)
        .find(|s| s.contains("Flags: 0x28") || s.contains("Flags: 0x20"))
        .map(|s| s.split_whitespace().next().unwrap().parse().unwrap())
        .expect("an EA inode");
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    assert!(diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4) > 100);
    check_paths(&fs);
    drop(fs);

    // A directory entry naming the value inode (debugfs `ln`) is refused as corrupt.
    debugfs_w(&img, &format!("ln <{ea}> /ea_value\n"));
    let dev = FileDev::open(&img);
    let fs = ext4::probe(&dev).unwrap().unwrap();
    match resolve(&fs, b"/ea_value", &PathLimits::default()) {
        Err(FsError::Corrupt(m)) => assert!(m.contains("extended attribute value"), "{m}"),
        other => panic!("{other:?}"),
    }
    node(&fs, "/boot/vmlinuz");
}

#[test]
fn ext4_large_dir_and_huge_file() {
    // large_dir: the directory size has 64 bits and htrees may have three levels; a
    // directory of normal size reads the same. huge_file: a sparse 3 TiB file (over the
    // 2 TiB that 32-bit sector counts allow), with HUGE_FILE_FL counting i_blocks in
    // filesystem blocks.
    let tmp = TempDir::new("largedir");
    let src = tmp.path().join("src");
    let o = TreeOpts {
        many: 3000,
        ..TreeOpts::default()
    };
    build_tree(&src, &o);
    let hsrc = tmp.path().join("hsrc");
    fs::create_dir(&hsrc).unwrap();
    const HUGE: u64 = 3 << 40;
    {
        use std::os::unix::fs::FileExt;
        let f = fs::File::create(hsrc.join("huge")).unwrap();
        f.set_len(HUGE).unwrap();
        f.write_all_at(b"start of a huge file\n", 0).unwrap();
        f.write_all_at(b"its end\n", HUGE - 8).unwrap();
    }
    for (name, args, dir) in [
        (
            "large_dir",
            &["-t", "ext4", "-b", "4096", "-O", "large_dir,huge_file"][..],
            &src,
        ),
        (
            "huge",
            &["-t", "ext4", "-b", "4096", "-O", "large_dir,huge_file"][..],
            &hsrc,
        ),
    ] {
        let img = mkfs(tmp.path(), name, args, dir, "160M");
        if name == "large_dir" {
            reindex(&img);
            let dev = FileDev::open(&img);
            let fs = ext4::probe(&dev).unwrap().unwrap();
            assert!(diff_tree_with(&fs, &src, fs.root(), "", &walk::EXT4) > 3000);
            check_paths(&fs);
            continue;
        }
        debugfs_w(&img, "sif /huge flags 0xC0000\nsif /huge blocks 2\n");
        fsck_clean(&img);
        let st = debugfs(&img, "stat /huge");
        assert!(st.contains("Flags: 0xc0000"), "{st}");
        let dev = FileDev::open(&img);
        let fs = ext4::probe(&dev).unwrap().unwrap();
        let n = node(&fs, "/huge");
        assert_eq!(fs.metadata(n).unwrap().size, HUGE);
        let mut b = [0xAAu8; 21];
        assert_eq!(fs.read_at(n, 0, &mut b).unwrap(), 21);
        assert_eq!(&b, b"start of a huge file\n");
        let mut b = [0xAAu8; 64];
        assert_eq!(fs.read_at(n, 1 << 40, &mut b).unwrap(), 64);
        assert!(b.iter().all(|&x| x == 0));
        assert_eq!(fs.read_at(n, HUGE - 8, &mut b).unwrap(), 8);
        assert_eq!(&b[..8], b"its end\n");
        assert_eq!(fs.read_at(n, HUGE, &mut b).unwrap(), 0);
    }
}

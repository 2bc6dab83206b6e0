//! Btrfs images that only a kernel can write: subvolumes (nested, a read-only
//! snapshot, `set-default`) and files copied under `mount -o compress-force=zlib`,
//! `lzo` and `zstd`. They are made by the real mkfs.btrfs, btrfs and kernel inside a
//! small QEMU guest (`scripts/fixtures/vm`, which boots the fixture chroot's Debian
//! kernel), then read here and compared with the source directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod walk;

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use walk::{diff_tree_with, node};
use xlboot_fs::{btrfs, resolve_file, FileSystem, PathLimits};

const UUID: &str = "2b9b8f0e-3c1d-4a5e-9f60-7a8b9c0d1e2f";

/// The guest's script: one filesystem with subvolumes `@` (made the default),
/// `@home`, `@/sub` nested in `@`, a read-only snapshot `@snap` of `@`, and the
/// `comp` tree copied three times under forced compression.
const SCRIPT: &str = r#"set -eu
mkfs.btrfs -q -f -U 2b9b8f0e-3c1d-4a5e-9f60-7a8b9c0d1e2f -L layout "$DISK0"
mkdir -p /mnt
mount -t btrfs "$DISK0" /mnt
btrfs subvolume create /mnt/@ >/dev/null
btrfs subvolume create /mnt/@home >/dev/null
cp -a src/data /mnt/@/data
echo "user file" >/mnt/@home/user.txt
echo "top level" >/mnt/top.txt
btrfs subvolume create /mnt/@/sub >/dev/null
echo "inside the nested subvolume" >/mnt/@/sub/inside
for c in zlib lzo zstd; do
	mount -o remount,compress-force=$c /mnt
	cp -a src/comp /mnt/@/$c
	sync
done
mount -o remount,compress=no /mnt
btrfs subvolume snapshot -r /mnt/@ /mnt/@snap >/dev/null
btrfs subvolume set-default /mnt/@
umount /mnt
"#;

/// Where the fixture chroot (and so the guest's kernel) is.
fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var_os("XLBOOT_FIXTURES").unwrap_or_else(|| "/var/cache/xlboot/fixtures".into()),
    )
}

/// Builds the source tree: plain files, and compressible text in several sizes
/// (many 128 KiB compressed extents, one small enough to be inlined compressed),
/// random bytes (which the kernel stores uncompressed even when forced), links.
fn build_src(src: &Path) {
    let data = src.join("data");
    let comp = src.join("comp");
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&comp).unwrap();
    let mut rng = Rng(0xB7F5_1A70);
    let text = |n: usize| -> Vec<u8> {
        let mut s = String::new();
        let mut i = 0u64;
        while s.len() < n {
            s.push_str(&format!("line {i} of a compressible boot file\n"));
            i += 1;
        }
        s.truncate(n);
        s.into_bytes()
    };
    fs::write(data.join("random"), rng.bytes(300_000)).unwrap();
    fs::write(data.join("text"), text(1_000_000)).unwrap();
    fs::write(data.join("small"), b"small\n").unwrap();
    std::os::unix::fs::symlink("text", data.join("link")).unwrap();
    fs::write(comp.join("big.txt"), text(3_000_000 + 77)).unwrap();
    fs::write(comp.join("inline.txt"), text(1500)).unwrap();
    fs::write(comp.join("random"), rng.bytes(200_000)).unwrap();
    fs::write(comp.join("tiny"), b"tiny\n").unwrap();
    // Half text, half random: compressed and plain extents in one file.
    let mut mixed = text(400_000);
    mixed.extend(rng.bytes(300_000));
    mixed.extend(text(200_003));
    fs::write(comp.join("mixed"), mixed).unwrap();
    std::os::unix::fs::symlink("big.txt", comp.join("link")).unwrap();
}

/// Makes the image in a guest; `None` when the guest cannot be run here.
fn make_image(tmp: &TempDir) -> Option<PathBuf> {
    let vm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fixtures/vm");
    let have_kernel = fs::read_dir(fixtures().join("chroot/boot"))
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("vmlinuz-"))
        })
        .unwrap_or(false);
    if !vm.exists() || !have_kernel {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("scripts/fixtures/vm and the fixture chroot's kernel are required");
        }
        eprintln!("skipping: no fixture chroot kernel (run scripts/fixtures/build)");
        return None;
    }
    let inp = tmp.path().join("in");
    fs::create_dir_all(&inp).unwrap();
    build_src(&inp.join("src"));
    let script = tmp.path().join("make.sh");
    fs::write(&script, SCRIPT).unwrap();
    let img = tmp.path().join("layout.img");
    fs::File::create(&img).unwrap().set_len(256 << 20).unwrap();
    let out = Command::new(&vm)
        .args(["--tools", "btrfs-progs", "--disk"])
        .arg(&img)
        .arg("--in")
        .arg(&inp)
        .arg("--")
        .arg(&script)
        .output()
        .expect("scripts/fixtures/vm");
    assert!(
        out.status.success(),
        "vm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(img)
}

fn read_all(fs: &dyn FileSystem, p: &str) -> Vec<u8> {
    let id = resolve_file(fs, p.as_bytes(), &PathLimits::default()).unwrap();
    let mut b = vec![0u8; fs.metadata(id).unwrap().size as usize];
    assert_eq!(fs.read_at(id, 0, &mut b).unwrap(), b.len());
    b
}

#[test]
fn subvolumes_snapshots_and_compressed_extents() {
    let tmp = TempDir::new("btrfs-layout");
    let Some(img) = make_image(&tmp) else {
        return;
    };
    let src = tmp.path().join("in/src");
    let dev = FileDev::open(&img);
    let fs = btrfs::probe(&dev).unwrap().expect("btrfs");
    assert_eq!(fs.info().uuid.as_deref(), Some(UUID));

    // GRUB's view: `/` is the top level; subvolumes are directories in it.
    let mut top = Vec::new();
    fs.read_dir(fs.root(), 100, &mut |n, _| {
        top.push(String::from_utf8_lossy(n).into_owned());
        ControlFlow::Continue(())
    })
    .unwrap();
    top.sort();
    assert_eq!(top, ["@", "@home", "@snap", "top.txt"]);
    assert_eq!(read_all(&fs, "/top.txt"), b"top level\n");
    assert_eq!(read_all(&fs, "/@home/user.txt"), b"user file\n");
    // `@` was created first (id 256) and made the default.
    assert_eq!(fs.default_subvolume().unwrap(), 256);
    assert_eq!(fs.subvolume_root(256).unwrap(), Some(node(&fs, "/@")));
    assert_eq!(fs.subvolume_root(5).unwrap(), Some(fs.root()));
    assert_eq!(fs.default_root().unwrap(), node(&fs, "/@"));
    assert_eq!(fs.subvolume_root(4000).unwrap(), None);
    assert!(fs.is_subvolume_root(node(&fs, "/@/sub")));
    assert!(!fs.is_subvolume_root(node(&fs, "/@/data")));
    // `..` from a subvolume's root climbs back into its parent.
    assert_eq!(node(&fs, "/@/data/../../@home/.."), fs.root());
    // A nested subvolume is crossed into.
    assert_eq!(
        read_all(&fs, "/@/sub/inside"),
        b"inside the nested subvolume\n"
    );

    let n = diff_tree_with(
        &fs,
        &src.join("data"),
        node(&fs, "/@/data"),
        "/@/data",
        &walk::BTRFS_KERNEL,
    );
    assert_eq!(n, 4);
    // The snapshot shares the source's blocks (owned by tree 256).
    diff_tree_with(
        &fs,
        &src.join("data"),
        node(&fs, "/@snap/data"),
        "/@snap/data",
        &walk::BTRFS_KERNEL,
    );

    for c in ["zlib", "lzo", "zstd"] {
        let p = format!("/@/{c}");
        let n = diff_tree_with(
            &fs,
            &src.join("comp"),
            node(&fs, &p),
            &p,
            &walk::BTRFS_KERNEL,
        );
        assert_eq!(n, 6, "{c}");
        let p = format!("/@snap/{c}");
        diff_tree_with(
            &fs,
            &src.join("comp"),
            node(&fs, &p),
            &p,
            &walk::BTRFS_KERNEL,
        );
    }
}

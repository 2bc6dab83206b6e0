//! What the fuzz targets share: the base images (built by `fuzz/seeds/build`), the
//! patch-list device that turns fuzzer bytes into a damaged copy of a real image, a
//! bounded walk over any [`FileSystem`], and an in-memory [`ConfigHost`].
//!
//! The targets assert the contracts the crates document (a read returns at most the
//! buffer, a volume lies inside its disk, ...): a failed assertion is a finding just
//! like a panic inside a parser.

#![forbid(unsafe_code)]

use std::ops::ControlFlow;

use xlboot_config::{ConfigHost, Device, FilePath, HostError};
use xlboot_disk::block::check_range;
use xlboot_disk::{BlockDevice, IoError};
use xlboot_fs::path::{resolve, resolve_file, PathLimits};
use xlboot_fs::{FileKind, FileSystem, NodeId};

/// Constants about the base images, written by `fuzz/seeds/build`.
pub mod meta {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/out/meta.rs"));
}

macro_rules! seed {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/out/", $name))
    };
}

/// A btrfs image made by `mkfs.btrfs -M --rootdir` from the same tree, crc32c, 4 KiB
/// nodes (see `fuzz/seeds/build`).
pub static BTRFS_IMAGE: &[u8] = seed!("base/btrfs.img");

/// Real filesystems made by `mke2fs -d` from the same tree (see `fuzz/seeds/build`):
/// ext4 with metadata_csum and 4 KiB blocks; ext4 without checksums (so patches get
/// past the checksums into the structures); ext2 with 1 KiB blocks (indirect and
/// double-indirect blocks); ext4 with inline_data and 1 KiB blocks.
pub static EXT4_IMAGES: [&[u8]; 4] = [
    seed!("base/ext4-csum.img"),
    seed!("base/ext4-nocsum.img"),
    seed!("base/ext2-1k.img"),
    seed!("base/ext4-inline.img"),
];

/// Real squashfs images made by `mksquashfs` from the same tree (see
/// `fuzz/seeds/build`): gzip with 4 KiB blocks and fragments, xz with the x86 BCJ
/// filter, lz4 (high compression) with every tail in a fragment, zstd without
/// fragments, lzo.
pub static SQUASHFS_IMAGES: [&[u8]; 5] = [
    seed!("base/squashfs-gzip.sqfs"),
    seed!("base/squashfs-xz.sqfs"),
    seed!("base/squashfs-lz4.sqfs"),
    seed!("base/squashfs-zstd.sqfs"),
    seed!("base/squashfs-lzo.sqfs"),
];

/// Real FAT filesystems made by `mkfs.vfat` + `mcopy` from the tree without its links
/// (see `fuzz/seeds/build`): FAT12 (2 KiB clusters), FAT16 and FAT32 (512-byte
/// clusters), with long names, a directory of several clusters and nested directories.
pub static FAT_IMAGES: [&[u8]; 3] = [
    seed!("base/fat12.img"),
    seed!("base/fat16.img"),
    seed!("base/fat32.img"),
];

/// Real ISO9660 filesystems made by `xorriso` from the tree and a deep directory:
/// Rock Ridge + Joliet (deep directories relocated, a name long enough for a
/// continuation area), Joliet alone, plain ECMA-119 names.
pub static ISO_IMAGES: [&[u8]; 3] = [
    seed!("base/iso-rr.img"),
    seed!("base/iso-joliet.img"),
    seed!("base/iso-plain.img"),
];
/// Real XFS made by `mkfs.xfs -p` from the same tree (16 MiB, one AG): v5 with the
/// defaults (CRCs, finobt, reflink, bigtime, inobtcount, sparse inodes, ftype);
/// v4 with 1 KiB blocks (4 per directory block) and 256-byte inodes, no CRCs, so
/// patches reach the structures.
pub static XFS_IMAGES: [&[u8]; 2] = [seed!("base/xfs-v5.img"), seed!("base/xfs-v4.img")];

/// An MBR disk with one ext4 partition at 1 MiB holding a Debian 12 grub.cfg,
/// a grubenv written by grub-editenv, and stand-in kernel and initrd.
pub static DISK_MBR: &[u8] = seed!("base/disk-mbr.img");

/// The grubenv written by grub-editenv for the tree (`saved_entry=` a `>` path of ids).
pub static GRUBENV: &[u8] = seed!("base/grubenv");

/// Most patches taken from one input.
pub const MAX_PATCHES: usize = 64;

/// A read-only device that reads as `base` with single bytes xored: the fuzzer's
/// damage to a real image, without copying the image for every run.
pub struct Patched<'a> {
    base: &'a [u8],
    /// (offset, xor), sorted by offset.
    patches: Vec<(u64, u8)>,
}

impl<'a> Patched<'a> {
    /// `base` with `patches` applied (offsets past the end are dropped).
    pub fn new(base: &'a [u8], mut patches: Vec<(u64, u8)>) -> Self {
        let size = base.len() as u64;
        patches.retain(|&(off, x)| off < size && x != 0);
        patches.sort_unstable_by_key(|p| p.0);
        Patched { base, patches }
    }

    /// Reads 5-byte records (u32 little-endian, u8 xor) from `data`, at most
    /// [`MAX_PATCHES`]; `place` turns the u32 into a byte offset.
    pub fn from_records(base: &'a [u8], data: &[u8], place: impl Fn(u32) -> u64) -> Self {
        let patches = data
            .chunks_exact(5)
            .take(MAX_PATCHES)
            .map(|r| (place(u32::from_le_bytes([r[0], r[1], r[2], r[3]])), r[4]))
            .collect();
        Patched::new(base, patches)
    }

    /// The offsets patched, in increasing order.
    pub fn offsets(&self) -> impl Iterator<Item = u64> + '_ {
        self.patches.iter().map(|p| p.0)
    }

    /// The patched image as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = self.base.to_vec();
        for &(off, x) in &self.patches {
            v[off as usize] ^= x;
        }
        v
    }

    /// With `XLBOOT_FUZZ_IMAGE=<file>` in the environment, writes the patched image
    /// there (to look at a crashing input with debugfs, e2fsck or xlboot itself).
    pub fn dump_if_asked(&self) {
        static PATH: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
        if let Some(path) = PATH.get_or_init(|| std::env::var_os("XLBOOT_FUZZ_IMAGE")) {
            if let Err(e) = std::fs::write(path, self.to_vec()) {
                eprintln!("XLBOOT_FUZZ_IMAGE: {e}");
            }
        }
    }
}

impl BlockDevice for Patched<'_> {
    fn size(&self) -> u64 {
        self.base.len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.size())?;
        let start = offset as usize;
        let end = start + buf.len();
        buf.copy_from_slice(&self.base[start..end]);
        let first = self.patches.partition_point(|p| p.0 < offset);
        for &(off, x) in &self.patches[first..] {
            if off >= end as u64 {
                break;
            }
            buf[(off - offset) as usize] ^= x;
        }
        Ok(())
    }
}

/// Maps `v` into the union of `regions` ((start, len) pairs), cyclically.
pub fn in_regions(v: u32, regions: &[(u64, u64)]) -> u64 {
    let total: u64 = regions.iter().map(|r| r.1).sum();
    if total == 0 {
        return u64::from(v);
    }
    let mut k = u64::from(v) % total;
    for &(start, len) in regions {
        if k < len {
            return start + k;
        }
        k -= len;
    }
    unreachable!()
}

/// Budgets for [`exercise_fs`].
#[derive(Clone, Copy)]
pub struct Walk {
    /// Most nodes visited in the tree walk.
    pub max_nodes: usize,
    /// Deepest directory descended into.
    pub max_depth: usize,
    /// Most entries asked of one `read_dir`.
    pub max_entries: usize,
    /// Largest file read whole; larger files are read in part.
    pub max_file: u64,
    /// Most file bytes read in one run.
    pub max_total: u64,
}

impl Walk {
    /// For the patched real images.
    pub const IMAGE: Walk = Walk {
        max_nodes: 200,
        max_depth: 8,
        max_entries: 1024,
        max_file: 1 << 20,
        max_total: 4 << 20,
    };
    /// For raw inputs (small devices, many runs).
    pub const RAW: Walk = Walk {
        max_nodes: 200,
        max_depth: 6,
        max_entries: 256,
        max_file: 256 << 10,
        max_total: 1 << 20,
    };
}

/// Paths resolved in every filesystem: the tree `fuzz/seeds/build` writes, with
/// symlinks of every kind, htree lookups, `..` and `.`, and names that are not there.
pub const PATHS: &[&[u8]] = &[
    b"/boot/grub/grub.cfg",
    b"/boot/grub/grubenv",
    b"/vmlinuz",
    b"/initrd.img",
    b"/boot/vmlinuz-6.1.0-50-cloud-amd64",
    b"/boot/initrd.img-6.1.0-50-cloud-amd64",
    b"/a/b/c/d/up",
    b"/a/b/c/d/tiny",
    b"/slowlink",
    b"/chain2",
    b"/loop1",
    b"/dirlink/c/d/tiny",
    b"/dirlink/../boot/grub/../../vmlinuz",
    b"/many/file-1",
    b"/many/file-150",
    b"/many/file-300",
    b"/many/file-301",
    b"/sparse",
    b"/big",
    b"/empty",
    b"/etc/default/grub",
    b"/boot/",
    b"/vmlinuz/",
    b"//boot//grub/./grub.cfg",
    b"/nonexistent/x",
    // FAT and plain ISO9660 names match without case; the deep, relocated directory
    // and the long name of the ISO images.
    b"/BOOT/GRUB/GRUB.CFG",
    b"/Many/File-150",
    b"/A Long Name With Spaces.cfg",
    b"/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/deep",
];

struct Budget {
    walk: Walk,
    read: u64,
    buf: Vec<u8>,
}

/// Reads a file as a caller would: its size, then `read_at` until the size or the
/// budget is reached. Asserts that no read claims more bytes than asked for.
fn read_file(fs: &dyn FileSystem, node: NodeId, budget: &mut Budget) {
    let Ok(md) = fs.metadata(node) else { return };
    if md.kind != FileKind::Regular {
        return;
    }
    let want = md
        .size
        .min(budget.walk.max_file)
        .min(budget.walk.max_total.saturating_sub(budget.read));
    let buf = &mut budget.buf;
    let mut off = 0u64;
    while off < want {
        let n = (want - off).min(buf.len() as u64) as usize;
        match fs.read_at(node, off, &mut buf[..n]) {
            Ok(0) => break,
            Ok(got) => {
                assert!(got <= n, "read_at returned {got} bytes for a {n}-byte buffer");
                off += got as u64;
            }
            Err(_) => break,
        }
    }
    budget.read += off;
    // Past the end: nothing, or an error, never bytes.
    if let Ok(got) = fs.read_at(node, md.size, &mut buf[..16]) {
        assert_eq!(got, 0, "read_at past the end of a {}-byte file", md.size);
    }
}

fn touch(fs: &dyn FileSystem, node: NodeId, budget: &mut Budget) {
    let Ok(md) = fs.metadata(node) else { return };
    match md.kind {
        FileKind::Regular => read_file(fs, node, budget),
        FileKind::Symlink => {
            for max in [4096usize, 10] {
                if let Ok(t) = fs.read_link(node, max) {
                    assert!(t.len() <= max, "read_link returned {} > {max} bytes", t.len());
                }
            }
        }
        FileKind::Directory | FileKind::Other => {}
    }
}

/// Everything a caller may do with a filesystem: info, resolve [`PATHS`] (and as
/// regular files), then walk the tree within `walk`: list each directory, look each
/// name up again, read each file whole and each link.
pub fn exercise_fs(fs: &dyn FileSystem, walk: Walk) {
    let _ = fs.info();
    let mut budget = Budget {
        walk,
        read: 0,
        buf: vec![0u8; 64 << 10],
    };
    let limits = PathLimits::default();
    for p in PATHS {
        if let Ok(node) = resolve(fs, p, &limits) {
            touch(fs, node, &mut budget);
        }
        let _ = resolve_file(fs, p, &limits);
    }
    let tight = PathLimits {
        max_hops: 3,
        max_path_len: 64,
        max_depth: 3,
        max_link_len: 32,
    };
    let _ = resolve(fs, b"/chain2", &tight);

    let mut stack = vec![(fs.root(), 0usize)];
    let mut visited = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let mut children: Vec<(Vec<u8>, NodeId)> = Vec::new();
        let mut calls = 0usize;
        let max = walk.max_entries;
        let _ = fs.read_dir(dir, max, &mut |name, id| {
            calls += 1;
            children.push((name.to_vec(), id));
            ControlFlow::Continue(())
        });
        assert!(calls <= max, "read_dir called back {calls} times, max_entries {max}");
        // Stopping early must stop.
        let mut early = 0usize;
        let _ = fs.read_dir(dir, max, &mut |_, _| {
            early += 1;
            ControlFlow::Break(())
        });
        assert!(early <= 1, "read_dir went on after Break ({early} calls)");
        for (i, (name, id)) in children.into_iter().enumerate() {
            visited += 1;
            if visited > walk.max_nodes {
                return;
            }
            // Looking every name up again costs more than it finds; a few per directory
            // (and the fixed paths) cover the lookup code, htree included.
            if i < 8 {
                let _ = fs.lookup(dir, &name);
            }
            match fs.metadata(id) {
                Ok(md) if md.kind == FileKind::Directory => {
                    if depth < walk.max_depth {
                        stack.push((id, depth + 1));
                    }
                }
                Ok(_) => touch(fs, id, &mut budget),
                Err(_) => {}
            }
        }
    }
}

/// The in-memory guest `grub2_script` evaluates against: two partitions with UUIDs
/// (the first is the one Debian's grub.cfg searches for), Debian kernel names on both,
/// a grubenv written by grub-editenv, and small files to `source` and `configfile`.
pub struct MemHost {
    devices: Vec<Device>,
    files: Vec<(FilePath, Vec<u8>)>,
    dirs: Vec<FilePath>,
}

/// The device the config is evaluated from.
pub const CONFIG_DEVICE: &str = "hd0,msdos1";

fn fp(device: &str, path: &str) -> FilePath {
    FilePath::new(device, path)
}

impl MemHost {
    /// The fixed guest.
    pub fn new() -> Self {
        let dev = |name: &str, uuid: Option<&str>, label: Option<&str>| Device {
            name: name.to_string(),
            fs_uuid: uuid.map(str::to_string),
            label: label.map(str::to_string),
        };
        let devices = vec![
            dev("hd0", None, None),
            dev(CONFIG_DEVICE, Some("a4262ae0-1471-4bc1-ac9a-f6b2e79884e5"), Some("root")),
            dev("hd0,msdos2", Some("d8d8001b-b815-4753-9314-3e68c9291b7e"), Some("boot")),
        ];
        let mut files = Vec::new();
        for (d, dir) in [(CONFIG_DEVICE, "/boot"), ("hd0,msdos2", ""), (CONFIG_DEVICE, "")] {
            for v in ["6.1.0-50-cloud-amd64", "6.1.0-50-amd64"] {
                files.push((fp(d, &format!("{dir}/vmlinuz-{v}")), b"kernel".to_vec()));
                files.push((fp(d, &format!("{dir}/initrd.img-{v}")), b"initrd".to_vec()));
            }
        }
        files.push((fp(CONFIG_DEVICE, "/vmlinuz"), b"k".to_vec()));
        files.push((fp(CONFIG_DEVICE, "/initrd.img"), b"i".to_vec()));
        files.push((fp(CONFIG_DEVICE, "/boot/grub/grubenv"), GRUBENV.to_vec()));
        files.push((
            fp("hd0,msdos2", "/grub/grubenv"),
            b"# GRUB Environment Block\nsaved_entry=1>0\nnext_entry=0\n#####".to_vec(),
        ));
        files.push((
            fp(CONFIG_DEVICE, "/boot/grub/custom.cfg"),
            b"menuentry 'custom' --id custom { linux /vmlinuz ro; initrd /initrd.img }\nset fallback=custom\n".to_vec(),
        ));
        files.push((
            fp(CONFIG_DEVICE, "/boot/grub/grub.cfg"),
            b"set timeout=1\nmenuentry 'from configfile' { linux /vmlinuz }\n".to_vec(),
        ));
        files.push((
            fp("hd0,msdos2", "/grub/grub.cfg"),
            b"source /grub/grub.cfg\n".to_vec(),
        ));
        // syslinux: files to INCLUDE (one includes itself), a CONFIG target, and a
        // module an implicit `DEFAULT hdt` turns into.
        files.push((
            fp(CONFIG_DEVICE, "/boot/extlinux/linux.cfg"),
            b"label l0\n\tmenu label Debian\n\tlinux ../vmlinuz-6.1.0-50-amd64\n\tinitrd ../initrd.img-6.1.0-50-amd64\n\tappend root=UUID=x ro quiet\n".to_vec(),
        ));
        files.push((
            fp(CONFIG_DEVICE, "/boot/extlinux/loop.cfg"),
            b"include loop.cfg\n".to_vec(),
        ));
        files.push((
            fp(CONFIG_DEVICE, "/boot/extlinux/other.cfg"),
            b"default o\nlabel o\n kernel mboot.c32\n append xen.gz --- /vmlinuz ro --- /initrd.img\n".to_vec(),
        ));
        files.push((fp(CONFIG_DEVICE, "/boot/extlinux/hdt.c32"), b"module".to_vec()));
        // GRUB legacy: the default file grub-set-default writes, and configs to reach
        // through `configfile` (one chaining back to the first).
        files.push((fp(CONFIG_DEVICE, "/boot/grub/default"), b"1\n#\n#\n".to_vec()));
        files.push((
            fp(CONFIG_DEVICE, "/boot/grub/menu.lst"),
            b"default saved\ntitle a\nkernel /boot/vmlinuz-6.1.0-50-amd64 ro\ntitle b\nroot (hd0,1)\nkernel /vmlinuz-6.1.0-50-amd64\ninitrd /initrd.img-6.1.0-50-amd64\n".to_vec(),
        ));
        files.push((
            fp("hd0,msdos2", "/grub/menu.lst"),
            b"fallback 1\ntitle back\nconfigfile (hd0,0)/boot/grub/menu.lst\ntitle k\nkernel /vmlinuz-6.1.0-50-amd64\n".to_vec(),
        ));
        let dirs = vec![
            fp(CONFIG_DEVICE, "/"),
            fp(CONFIG_DEVICE, "/boot"),
            fp(CONFIG_DEVICE, "/boot/grub"),
            fp("hd0,msdos2", "/"),
            fp("hd0,msdos2", "/grub"),
        ];
        MemHost { devices, files, dirs }
    }

    fn get(&self, file: &FilePath) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, d)| d.as_slice())
    }
}

impl Default for MemHost {
    fn default() -> Self {
        MemHost::new()
    }
}

impl ConfigHost for MemHost {
    fn devices(&self) -> Vec<Device> {
        self.devices.clone()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        if self.devices.iter().any(|d| d.name == device) {
            return Some(device.to_string());
        }
        let (disk, part) = device.split_once(',')?;
        if !part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()) {
            let want = format!("{disk},msdos{part}");
            return self.devices.iter().find(|d| d.name == want).map(|d| d.name.clone());
        }
        None
    }

    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(self.get(file).map(|d| d.len() as u64))
    }

    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError> {
        match self.get(file) {
            Some(d) if d.len() > max => Err(HostError(format!("{file}: larger than {max}"))),
            Some(d) => Ok(Some(d.to_vec())),
            None => Ok(None),
        }
    }

    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        Ok(self.dirs.iter().any(|d| d == dir))
    }
}

/// `--entry` specs tried on every menu: indexes, `>` paths, titles, ids, and junk.
pub const ENTRY_SPECS: &[&str] = &[
    "0",
    "1",
    "2",
    "1>0",
    "1>2",
    "18446744073709551616",
    "Debian GNU/Linux",
    "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-cloud-amd64",
    "gnulinux-advanced-a4262ae0-1471-4bc1-ac9a-f6b2e79884e5>gnulinux-6.1.0-50-cloud-amd64-advanced-a4262ae0-1471-4bc1-ac9a-f6b2e79884e5",
    "custom",
    "",
    ">",
    ">>",
    "a>>b>c",
    "0>>0",
];

/// Everything a caller does with an evaluated menu, with the invariants that hold for
/// any menu: flattened paths lead back to their entries, `find_entry` only names
/// entries, and `choose` succeeds only with an entry that boots.
pub fn exercise_menu(menu: &xlboot_config::Menu) {
    let flat = menu.flatten();
    for f in &flat {
        let e = menu.entry(&f.path);
        assert!(
            e.is_some_and(|e| std::ptr::eq(e, f.entry)),
            "flatten() path {:?} does not lead back to its entry",
            f.path
        );
    }
    if let Some(def) = &menu.default {
        let _ = menu.entry(def);
    }
    let titles: Vec<String> = flat.iter().take(4).map(|f| f.title_path.clone()).collect();
    let specs = ENTRY_SPECS.iter().copied().chain(titles.iter().map(String::as_str));
    for spec in specs {
        if let Some(path) = xlboot_config::select::find_entry(menu, spec) {
            assert!(
                menu.entry(&path).is_some(),
                "find_entry({spec:?}) returned {path:?}, which is not an entry"
            );
        }
        let _ = xlboot_boot::decide::choose(menu, Some(spec));
    }
    if let Ok(choice) = xlboot_boot::decide::choose(menu, None) {
        assert!(menu.default.is_some(), "choose() found an entry with no default");
        let _ = choice.spec.kernel.to_string();
    }
}

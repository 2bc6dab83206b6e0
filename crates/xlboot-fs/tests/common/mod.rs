//! Shared helpers for the image tests: temporary directories, a file-backed block
//! device, a source tree with every kind of object, the check that a needed tool is
//! installed, and the real tools that turn a tree into an image (`mke2fs -d`,
//! `mkfs.btrfs --rootdir`, `mkfs.xfs -p`) with their checkers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::fs::{self, File};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use xlboot_disk::{BlockDevice, IoError};
use xlboot_fs::{FileSystem, NodeId, StoredRun};

/// Whether `tool` runs. A missing tool skips the test with a note, unless
/// XLBOOT_REQUIRE_TOOLS is set (as in CI, where a skip would hide a gap).
pub fn have(tool: &str, package: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("{tool} is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: {tool} not installed (package {package})");
    }
    found
}

/// Runs a command, failing the test with its output when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("xlboot-fs-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A block device over an image file, read with `pread`, as the binary does.
pub struct FileDev {
    f: File,
    size: u64,
}

impl FileDev {
    pub fn open(p: &Path) -> FileDev {
        let f = File::open(p).unwrap();
        let size = f.metadata().unwrap().len();
        FileDev { f, size }
    }
}

impl BlockDevice for FileDev {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.size)?;
        self.f
            .read_exact_at(buf, offset)
            .map_err(|e| IoError::Device {
                offset,
                len: buf.len() as u64,
                errno: e.raw_os_error(),
            })
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// `n` deterministic pseudo-random bytes from `seed` (see [`Rng`]).
pub fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    Rng(seed | 1).bytes(n)
}

/// Long directory name so that a link to it needs a slow (block-stored) symlink.
pub const LONG_DIR: &str =
    "a_directory_with_a_rather_long_name_so_that_links_to_it_do_not_fit_in_the_inode";

/// What the tree built by [`build_tree`] contains, for tests that check by hand.
pub struct TreeOpts {
    /// Files in /many (an htree after `e2fsck -D`).
    pub many: usize,
    /// Size of /boot/vmlinuz-6.1.0-test (random bytes).
    pub kernel_size: usize,
    /// Offset of the last data block of /sparse (the file is sparse up to there).
    pub sparse_far: u64,
}

impl Default for TreeOpts {
    fn default() -> Self {
        TreeOpts {
            many: 3000,
            kernel_size: 3 * 1024 * 1024 + 1234,
            sparse_far: 70 << 20,
        }
    }
}

/// Builds a source tree with regular files (empty, small, multi-MiB random, sparse),
/// a big directory, fast and slow symlinks, absolute chains, a loop, `..` above the
/// root and a FIFO.
pub fn build_tree(root: &Path, o: &TreeOpts) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let d = |p: &str| fs::create_dir_all(root.join(p)).unwrap();
    let w = |p: &str, data: &[u8]| fs::write(root.join(p), data).unwrap();
    let ln = |target: &str, p: &str| std::os::unix::fs::symlink(target, root.join(p)).unwrap();

    d("boot/grub");
    w(
        "boot/grub/grub.cfg",
        b"set default=0\nmenuentry 'Debian' {\n linux /vmlinuz root=/dev/xvda1\n}\n",
    );
    w("boot/vmlinuz-6.1.0-test", &rng.bytes(o.kernel_size));
    w("boot/initrd.img-6.1.0-test", &rng.bytes(1024 * 1024 + 17));
    ln("vmlinuz-6.1.0-test", "boot/vmlinuz");
    ln("/boot/vmlinuz", "vmlinuz");
    ln("boot/initrd.img-6.1.0-test", "initrd.img");
    ln("/vmlinuz", "vmlinuz.chain");
    w("empty", b"");
    w("small", b"hello\n");

    d(&format!("boot/{LONG_DIR}"));
    w(
        &format!("boot/{LONG_DIR}/config"),
        b"inside the long directory\n",
    );
    ln(&format!("/boot/{LONG_DIR}"), "slowlink");
    ln(
        &format!("../boot/{LONG_DIR}/./../{LONG_DIR}/config"),
        "etc_slow_rel",
    );

    ln("loop2", "loop1");
    ln("loop1", "loop2");
    ln("self", "self");
    ln("../../../../../boot/grub/grub.cfg", "up");
    ln("no/such/target", "dangling");

    d("a/b/c/d/e/f/g");
    w("a/b/c/d/e/f/g/deep", b"deep file\n");
    ln("../../..", "a/b/c/d/e/f/g/up3");

    {
        let f = File::create(root.join("sparse")).unwrap();
        f.write_all_at(&rng.bytes(4096), 0).unwrap();
        f.write_all_at(&rng.bytes(4096), 40 << 20).unwrap();
        f.write_all_at(&rng.bytes(5000), o.sparse_far).unwrap();
    }

    if o.many > 0 {
        d("many");
        for i in 0..o.many {
            w(
                &format!("many/file_{i:05}_with_some_padding"),
                format!("{i}\n").as_bytes(),
            );
        }
    }

    let st = Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo failed");
}

/// Runs `mke2fs -q -F <args> -d src img size` and returns the image path.
pub fn mkfs(dir: &Path, name: &str, args: &[&str], src: &Path, size: &str) -> PathBuf {
    let img = dir.join(format!("{name}.img"));
    let out = Command::new("mke2fs")
        .arg("-q")
        .arg("-F")
        .args(args)
        .arg("-d")
        .arg(src)
        .arg(&img)
        .arg(size)
        .env("MKE2FS_CONFIG", "/etc/mke2fs.conf")
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .output()
        .expect("mke2fs must be installed (e2fsprogs): these tests build images with it");
    assert!(
        out.status.success(),
        "mke2fs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    img
}

/// Runs `e2fsck -fyD` (re-index all directories, building htrees) and then a
/// read-only `e2fsck -fn` that must find the image clean.
pub fn reindex(img: &Path) {
    let out = Command::new("e2fsck")
        .arg("-fyD")
        .arg(img)
        .output()
        .unwrap();
    // Exit 1 means "errors corrected" (the re-indexing itself).
    assert!(
        out.status.code().unwrap_or(8) <= 1,
        "e2fsck -D: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    fsck_clean(img);
}

/// Asserts that `e2fsck -fn` finds nothing wrong.
pub fn fsck_clean(img: &Path) {
    let out = Command::new("e2fsck").arg("-fn").arg(img).output().unwrap();
    assert!(
        out.status.success(),
        "e2fsck -fn: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `debugfs -R <req> img` stdout.
pub fn debugfs(img: &Path, req: &str) -> String {
    let out = Command::new("debugfs")
        .arg("-R")
        .arg(req)
        .arg(img)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs debugfs commands (one per line, from a file beside the image) with the image
/// open read-write; returns stdout.
pub fn debugfs_w(img: &Path, cmds: &str) -> String {
    let f = img.with_extension("cmds");
    fs::write(&f, cmds).unwrap();
    let out = Command::new("debugfs")
        .arg("-w")
        .arg("-f")
        .arg(&f)
        .arg(img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "debugfs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Bytes of a host path's name.
pub fn name_bytes(n: &OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    n.as_bytes().to_vec()
}

/// Whether a host file is a FIFO/device/socket.
pub fn is_other(m: &fs::Metadata) -> bool {
    let t = m.mode() & 0o170000;
    t != 0o100000 && t != 0o040000 && t != 0o120000
}

/// Runs `mkfs.btrfs -q -f <args> --rootdir src img` on a sparse `size`-byte file, then
/// asserts that `btrfs check --readonly` finds it clean; returns the image path.
pub fn mkfs_btrfs(dir: &Path, name: &str, args: &[&str], src: &Path, size: u64) -> PathBuf {
    let img = dir.join(format!("{name}.img"));
    File::create(&img).unwrap().set_len(size).unwrap();
    run(Command::new("mkfs.btrfs")
        .args(["-q", "-f"])
        .args(args)
        .arg("--rootdir")
        .arg(src)
        .arg(&img));
    run(Command::new("btrfs")
        .args(["check", "--readonly"])
        .arg(&img));
    img
}

/// Writes the `mkfs.xfs -p` prototype of `dir` (recursively) into `out`.
pub fn proto_dir(dir: &Path, out: &mut String, depth: usize) {
    let mut ents: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    ents.sort_by_key(|e| e.file_name());
    let pad = " ".repeat(depth);
    for e in ents {
        let name = e.file_name().into_string().unwrap();
        assert!(!name.contains(char::is_whitespace), "{name}");
        let m = fs::symlink_metadata(e.path()).unwrap();
        let perm = m.mode() & 0o777;
        let ft = m.file_type();
        if ft.is_dir() {
            out.push_str(&format!("{pad}{name} d--{perm:o} 0 0\n"));
            proto_dir(&e.path(), out, depth + 1);
            out.push_str(&format!("{pad}$\n"));
        } else if ft.is_symlink() {
            let t = fs::read_link(e.path()).unwrap();
            out.push_str(&format!("{pad}{name} l--{perm:o} 0 0 {}\n", t.display()));
        } else if ft.is_file() {
            out.push_str(&format!(
                "{pad}{name} ---{perm:o} 0 0 {}\n",
                e.path().display()
            ));
        } else {
            out.push_str(&format!("{pad}{name} p--{perm:o} 0 0\n"));
        }
    }
}

/// Runs `mkfs.xfs -q -p <prototype of src> <args> img` on a sparse `size`-byte file,
/// then asserts that `xfs_repair -n` finds it clean; returns the image path.
pub fn mkfs_xfs(dir: &Path, name: &str, args: &[&str], src: &Path, size: u64) -> PathBuf {
    let mut proto = String::from("/dev/null\n0 0\nd--755 0 0\n");
    proto_dir(src, &mut proto, 1);
    proto.push_str("$\n");
    let pf = dir.join(format!("{name}.proto"));
    fs::write(&pf, proto).unwrap();
    let img = dir.join(format!("{name}.img"));
    File::create(&img).unwrap().set_len(size).unwrap();
    run(Command::new("mkfs.xfs")
        .arg("-q")
        .arg("-p")
        .arg(&pf)
        .args(args)
        .arg(&img));
    xfs_repair_clean(&img);
    img
}

/// Asserts that `xfs_repair -n` finds nothing wrong.
pub fn xfs_repair_clean(img: &Path) {
    run(Command::new("xfs_repair").arg("-n").arg("-f").arg(img));
}

/// `xfs_db -r -c cmd...` stdout (or `-x`, read-write expert mode, with `write`).
pub fn xfs_db(img: &Path, write: bool, cmds: &[&str]) -> String {
    let mut c = Command::new("xfs_db");
    c.arg(if write { "-x" } else { "-r" });
    for cmd in cmds {
        c.arg("-c").arg(cmd);
    }
    run(c.arg(img))
}

/// What `stored_run` says of file `id` (path `p`), checked against the file's bytes
/// `want`, walking it with run limits of `u64::MAX` and 5000 bytes: every data run lies
/// on `dev` holding exactly the file's bytes, every zero run covers zeros, each run is
/// at least 1 byte, at most the limit, never past the end; nothing is said at the end.
/// Where the reader says nothing, the walk steps on to the next 4 KiB boundary.
/// Returns the bytes found as data runs and as zero runs (limit `u64::MAX`).
pub fn check_stored_runs(
    fs: &dyn FileSystem,
    dev: &dyn BlockDevice,
    id: NodeId,
    want: &[u8],
    p: &str,
) -> (u64, u64) {
    let size = want.len() as u64;
    let mut found = (0, 0);
    for max in [5000, u64::MAX] {
        let (mut off, mut data, mut zeros) = (0u64, 0u64, 0u64);
        while off < size {
            match fs.stored_run(id, off, max).unwrap() {
                Some(StoredRun::Data { at, len }) => {
                    assert!(len >= 1 && len <= max, "{p}: run of {len} at {off}");
                    assert!(off + len <= size, "{p}: run past the end");
                    let mut b = vec![0u8; len as usize];
                    dev.read_exact_at(at, &mut b).unwrap();
                    assert!(
                        b[..] == want[off as usize..(off + len) as usize],
                        "{p}: stored bytes at {off}+{len} differ"
                    );
                    off += len;
                    data += len;
                }
                Some(StoredRun::Zeros { len }) => {
                    assert!(len >= 1 && len <= max, "{p}: zeros of {len} at {off}");
                    assert!(off + len <= size, "{p}: zeros past the end");
                    assert!(
                        want[off as usize..(off + len) as usize]
                            .iter()
                            .all(|&b| b == 0),
                        "{p}: bytes at {off}+{len} are not zeros"
                    );
                    off += len;
                    zeros += len;
                }
                None => off += 4096 - off % 4096,
            }
        }
        assert_eq!(
            fs.stored_run(id, size, max).unwrap(),
            None,
            "{p}: at the end"
        );
        found = (data, zeros);
    }
    found
}

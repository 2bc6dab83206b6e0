//! Helpers shared by the integration tests: a file-backed device, scratch images made
//! by the real partitioning tools, and byte-level patching of GPT structures with the
//! checksums fixed up (so a test can reach the checks that come after the CRC).
#![allow(dead_code)]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use xlboot_disk::crc32::crc32;
use xlboot_disk::{BlockDevice, IoError};

/// A disk image file, read positionally.
pub struct FileDev {
    file: File,
    size: u64,
}

impl FileDev {
    pub fn open(path: &Path) -> FileDev {
        let file = File::open(path).expect("open image");
        let size = file.metadata().expect("stat image").len();
        FileDev { file, size }
    }
}

impl BlockDevice for FileDev {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.size)?;
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| IoError::Device {
                offset,
                len: buf.len() as u64,
                errno: e.raw_os_error(),
            })
    }
}

/// A scratch file that is removed when dropped.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A sparse zero-filled image of `size` bytes.
pub fn image(tag: &str, size: u64) -> Scratch {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "xlboot-disk-{}-{}-{}.img",
        std::process::id(),
        tag,
        n
    ));
    let f = File::create(&path).expect("create image");
    f.set_len(size).expect("size image");
    Scratch(path)
}

/// Whether a tool can be run. Tests that need a missing tool are skipped with a note,
/// unless XLBOOT_REQUIRE_TOOLS is set (as in CI, where a skip would hide a gap).
pub fn have(tool: &str) -> bool {
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
        eprintln!("skipping: {tool} not installed (packages fdisk, gdisk)");
    }
    found
}

/// Runs `tool args...` with `stdin`, failing the test on a non-zero exit.
pub fn run(tool: &str, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sfdisk` with a script on stdin.
/// The disk signature [`sfdisk`] gives a `label: dos` script that names none (sfdisk
/// would pick a random one).
pub const SFDISK_LABEL_ID: u32 = 0x1e9a_c7f0;

/// `sfdisk image` with `script`; an MBR script without a `label-id:` gets
/// [`SFDISK_LABEL_ID`].
pub fn sfdisk(img: &Scratch, script: &str) {
    let script = match script.strip_prefix("label: dos\n") {
        Some(rest) if !script.contains("label-id:") => {
            format!("label: dos\nlabel-id: {SFDISK_LABEL_ID:#010x}\n{rest}")
        }
        _ => script.to_string(),
    };
    run(
        "sfdisk",
        &["-q", "--no-reread", "--no-tell-kernel", path(img)],
        &script,
    );
}

/// Each partition's number and `PARTUUID` as libblkid reads them (`partx --show`),
/// empty where it has none.
pub fn partx_uuids(img: &Scratch) -> Vec<(u32, String)> {
    let out = Command::new("partx")
        .args(["--show", "--noheadings", "-o", "NR,UUID"])
        .arg(&img.0)
        .output()
        .expect("partx");
    assert!(
        out.status.success(),
        "partx: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.parse().ok()?, w.next().unwrap_or("").to_string()))
        })
        .collect()
}

/// `sgdisk args... image`.
pub fn sgdisk(img: &Scratch, args: &[&str]) {
    let mut all: Vec<&str> = args.to_vec();
    all.push(path(img));
    run("sgdisk", &all, "");
}

pub fn path(img: &Scratch) -> &str {
    img.0.to_str().unwrap()
}

pub fn read(img: &Scratch) -> Vec<u8> {
    std::fs::read(&img.0).unwrap()
}

pub fn write(img: &Scratch, bytes: &[u8]) {
    std::fs::write(&img.0, bytes).unwrap();
}

/// Little-endian field access on an image in memory.
pub fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
pub fn get_u64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
pub fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Field offsets in a GPT header.
pub mod hdr {
    pub const REVISION: usize = 8;
    pub const HEADER_SIZE: usize = 12;
    pub const HEADER_CRC: usize = 16;
    pub const MY_LBA: usize = 24;
    pub const ALTERNATE_LBA: usize = 32;
    pub const FIRST_USABLE: usize = 40;
    pub const LAST_USABLE: usize = 48;
    pub const ENTRY_LBA: usize = 72;
    pub const ENTRY_COUNT: usize = 80;
    pub const ENTRY_SIZE: usize = 84;
    pub const ARRAY_CRC: usize = 88;
}

/// Byte offset of the GPT header at `lba`.
pub fn header_at(ss: usize, lba: u64) -> usize {
    ss * lba as usize
}

/// Byte offset of the backup header (last LBA).
pub fn backup_at(img: &[u8], ss: usize) -> usize {
    (img.len() / ss - 1) * ss
}

/// Recomputes the header CRC of the header at byte `at` (using its own size field,
/// clamped so that a hostile size cannot make the helper itself panic).
pub fn fix_header_crc(img: &mut [u8], at: usize) {
    let size = (get_u32(img, at + hdr::HEADER_SIZE) as usize).clamp(92, 512);
    put_u32(img, at + hdr::HEADER_CRC, 0);
    let crc = crc32(&img[at..at + size]);
    put_u32(img, at + hdr::HEADER_CRC, crc);
}

/// Recomputes the entry-array CRC of the header at byte `at` (when the array it
/// describes lies inside the image), then the header CRC.
pub fn fix_crcs(img: &mut [u8], at: usize, ss: usize) {
    let count = get_u32(img, at + hdr::ENTRY_COUNT) as u64;
    let size = get_u32(img, at + hdr::ENTRY_SIZE) as u64;
    let lba = get_u64(img, at + hdr::ENTRY_LBA);
    let start = lba.checked_mul(ss as u64);
    let len = count.checked_mul(size);
    if let (Some(start), Some(len)) = (start, len) {
        if let Some(end) = start.checked_add(len) {
            if end <= img.len() as u64 && len <= 1 << 24 {
                let crc = crc32(&img[start as usize..end as usize]);
                put_u32(img, at + hdr::ARRAY_CRC, crc);
            }
        }
    }
    fix_header_crc(img, at);
}

/// Byte offset of entry `index` of the array of the header at `at`.
pub fn entry_at(img: &[u8], at: usize, ss: usize, index: usize) -> usize {
    let lba = get_u64(img, at + hdr::ENTRY_LBA) as usize;
    let size = get_u32(img, at + hdr::ENTRY_SIZE) as usize;
    lba * ss + index * size
}

/// Applies `patch` to both GPT copies (header at byte offset given to the closure),
/// fixing every checksum afterwards.
pub fn patch_both(img: &mut Vec<u8>, ss: usize, patch: impl Fn(&mut Vec<u8>, usize)) {
    let primary = header_at(ss, 1);
    let backup = backup_at(img, ss);
    patch(img, primary);
    fix_crcs(img, primary, ss);
    patch(img, backup);
    fix_crcs(img, backup, ss);
}

/// A small deterministic generator for the corruption loops (xorshift64*).
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
}

/// The partitions as `sfdisk -d` sees them: (number, start sector, sectors, type),
/// the oracle the tests compare against.
pub fn sfdisk_dump(img: &Scratch) -> Vec<(u32, u64, u64, String)> {
    let out = Command::new("sfdisk")
        .arg("-d")
        .arg(&img.0)
        .output()
        .expect("sfdisk -d");
    assert!(
        out.status.success(),
        "sfdisk -d: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = Vec::new();
    for line in text.lines() {
        let Some(fields) = line.split_once(" : ") else {
            continue;
        };
        let Some(number) = fields.0.strip_prefix(path(img)) else {
            continue;
        };
        let field = |name: &str| {
            fields
                .1
                .split(',')
                .map(str::trim)
                .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        parts.push((
            number.parse().unwrap(),
            field("start").parse().unwrap(),
            field("size").parse().unwrap(),
            field("type"),
        ));
    }
    parts
}

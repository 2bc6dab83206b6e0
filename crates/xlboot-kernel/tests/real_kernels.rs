//! The Debian kernels of the fixture chroot, read by us and by the real tools:
//! the payload decompressed by `xz` found by its magic, as Linux's
//! scripts/extract-vmlinux does, must have our sha256; `readelf -n` is the oracle for
//! the Xen notes; both kernels are PV (x86-64) and PVH capable. Then the same vmlinux
//! re-compressed by every real compressor Linux's build uses, with the 4-byte size
//! Linux appends, both as a bzImage payload and as a whole compressed file.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use xlboot_kernel::{
    inspect, unwrap_elf, Compressor, Container, KernelError, PvArch, XenSource, DEFAULT_MAX_KERNEL,
};

/// The fixture cache (`XLBOOT_FIXTURES`, as scripts/fixtures/build uses).
fn fixtures() -> PathBuf {
    std::env::var_os("XLBOOT_FIXTURES").map_or_else(
        || PathBuf::from("/var/cache/xlboot/fixtures"),
        PathBuf::from,
    )
}

/// A missing prerequisite skips, unless XLBOOT_REQUIRE_TOOLS is set.
fn missing(what: &str) {
    if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
        panic!("{what} is required (XLBOOT_REQUIRE_TOOLS is set)");
    }
    eprintln!("skipping: {what} missing");
}

/// Whether `tool` runs.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        missing(tool);
    }
    ok
}

/// The Debian kernels in the fixture chroot, sorted.
fn kernels() -> Vec<PathBuf> {
    let dir = fixtures().join("chroot/boot");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("vmlinuz-"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        missing(&format!("Debian kernels in {}", dir.display()));
    }
    found
}

fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// Runs `cmd` with `input` on stdin and returns stdout (stderr and status ignored,
/// as extract-vmlinux ignores trailing-garbage complaints).
fn pipe(cmd: &[&str], input: &[u8]) -> Vec<u8> {
    let dir = tempdir();
    let path = dir.join("in");
    std::fs::write(&path, input).unwrap();
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(std::fs::File::open(&path).unwrap())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    out.stdout
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xlboot-kernel-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Xen notes `readelf -nW` prints: (type, descriptor bytes).
fn readelf_xen_notes(elf: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let dir = tempdir();
    let path = dir.join("vmlinux");
    std::fs::write(&path, elf).unwrap();
    let out = Command::new("readelf")
        .arg("-nW")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut notes = Vec::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with("Xen ")) {
        // readelf names the note types it knows from other owners.
        let kind = if let Some(i) = line.find("Unknown note type: (0x") {
            u32::from_str_radix(&line[i + 22..i + 30], 16).unwrap()
        } else if line.contains("NT_VERSION") {
            1
        } else if line.contains("NT_ARCH") {
            2
        } else if line.contains("GO BUILDID") {
            4
        } else {
            panic!("unexpected readelf line: {line}");
        };
        let desc = line
            .split("description data:")
            .nth(1)
            .map(|d| {
                d.split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        notes.push((kind, desc));
    }
    notes
}

fn le(desc: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..desc.len()].copy_from_slice(desc);
    u64::from_le_bytes(b)
}

fn cstr(desc: &[u8]) -> String {
    String::from_utf8(desc.split(|&b| b == 0).next().unwrap().to_vec()).unwrap()
}

/// Checks our notes and capability against readelf on `elf`.
fn check_notes(kernel: &xlboot_kernel::Kernel, elf: &[u8]) {
    let oracle = readelf_xen_notes(elf);
    assert!(!oracle.is_empty());
    assert_eq!(kernel.xen.note_count, oracle.len());
    assert_eq!(kernel.xen.source, Some(XenSource::NoteSegments));
    let find = |t: u32| oracle.iter().rev().find(|(k, _)| *k == t).map(|(_, d)| d);
    let x = &kernel.xen;
    assert_eq!(x.entry, find(1).map(|d| le(d)));
    assert_eq!(x.hypercall_page, find(2).map(|d| le(d)));
    assert_eq!(x.virt_base, find(3).map(|d| le(d)));
    assert_eq!(x.xen_version, find(5).map(|d| cstr(d)));
    assert_eq!(x.guest_os, find(6).map(|d| cstr(d)));
    assert_eq!(x.loader, find(8).map(|d| cstr(d)));
    assert_eq!(x.pae_mode, find(9).map(|d| cstr(d)));
    assert_eq!(x.features, find(10).map(|d| cstr(d)));
    assert_eq!(x.supported_features, find(17).map(|d| le(d)));
    assert_eq!(x.phys32_entry, find(18).map(|d| le(d)));
    assert_eq!(kernel.capability.pv, Ok(PvArch::X86_64));
    assert_eq!(kernel.capability.pvh, Ok(()));
}

#[test]
fn debian_bzimages_match_extract_vmlinux_and_readelf() {
    if !have("xz") || !have("lz4") || !have("readelf") {
        return;
    }
    for path in kernels() {
        let image = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let release = name.strip_prefix("vmlinuz-").unwrap();
        let kernel = inspect(&image, DEFAULT_MAX_KERNEL).unwrap();
        let Container::BzImage(hdr) = &kernel.container else {
            panic!("{name}: not read as a bzImage");
        };
        assert!(
            hdr.protocol >= 0x020f,
            "{name}: protocol {:#x}",
            hdr.protocol
        );
        assert_eq!(hdr.xloadflags & 1, 1, "{name}: XLF_KERNEL_64");
        let version = kernel.version().unwrap();
        assert!(
            version.starts_with(&format!("{release} (debian-kernel@")),
            "{version}"
        );
        // Debian's flavours differ: amd64 is xz, cloud-amd64 is lz4.
        let (compressor, magic, tool) = configured_compressor(&path);
        assert_eq!(kernel.compressor, Some(compressor), "{name}");

        // extract-vmlinux: the first magic in the file, through the real tool.
        let at = image.windows(magic.len()).position(|w| w == magic).unwrap();
        let oracle = pipe(tool, &image[at..]);
        assert!(oracle.starts_with(b"\x7fELF"));
        let ours = unwrap_elf(&image, DEFAULT_MAX_KERNEL).unwrap().elf;
        assert_eq!(sha256(&ours), sha256(&oracle), "{name}");
        assert_eq!(kernel.elf_size, oracle.len());
        // Linux appends the decompressed size; init_size covers the whole image.
        let (start, len) = hdr.payload_range();
        let tail = &image[(start + len - 4) as usize..(start + len) as usize];
        assert_eq!(
            u32::from_le_bytes(tail.try_into().unwrap()) as usize,
            oracle.len()
        );
        assert!(hdr.init_size as usize >= oracle.len());

        check_notes(&kernel, &oracle);
        assert_eq!(kernel.capability, kernel.elf_capability);
        // The loaded extent the ELF declares fits in the memory init_size declares.
        let (start, end) = kernel.memory.unwrap();
        assert!(end - start <= u64::from(hdr.init_size), "{name}");
        // The plain vmlinux reads the same.
        let plain = inspect(&oracle, DEFAULT_MAX_KERNEL).unwrap();
        assert_eq!(plain.container, Container::Elf);
        assert_eq!(plain.xen, kernel.xen);
    }
}

/// The compressor `config-RELEASE` next to the kernel chose (`CONFIG_KERNEL_*=y`),
/// its magic and the command that decompresses it.
fn configured_compressor(
    kernel: &std::path::Path,
) -> (Compressor, &'static [u8], &'static [&'static str]) {
    let name = kernel.file_name().unwrap().to_str().unwrap();
    let config = kernel.with_file_name(name.replace("vmlinuz-", "config-"));
    let config = std::fs::read_to_string(config).unwrap();
    let chosen = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_KERNEL_")?.strip_suffix("=y"))
        .unwrap();
    match chosen {
        "XZ" => (Compressor::Xz, b"\xfd7zXZ\0", &["xz", "-dc"]),
        "LZ4" => (Compressor::Lz4Legacy, b"\x02\x21\x4c\x18", &["lz4", "-dc"]),
        "ZSTD" => (Compressor::Zstd, b"\x28\xb5\x2f\xfd", &["zstd", "-dc"]),
        "GZIP" => (Compressor::Gzip, b"\x1f\x8b\x08", &["gzip", "-dc"]),
        other => panic!("{name}: CONFIG_KERNEL_{other} not covered here"),
    }
}

/// The vmlinux of the first fixture kernel, extracted by the real xz.
fn vmlinux() -> Option<Vec<u8>> {
    if !have("xz") {
        return None;
    }
    let path = kernels().into_iter().next()?;
    let image = std::fs::read(path).unwrap();
    let at = image.windows(6).position(|w| w == b"\xfd7zXZ\0").unwrap();
    Some(pipe(&["xz", "-dc"], &image[at..]))
}

/// The vmlinux compressed by `cmd` with Linux's size_append, as a bzImage payload in
/// place of the fixture kernel's and as a whole file: both must give back the vmlinux
/// exactly, and read as PV and PVH capable. `prefix` limits the test to the vmlinux's
/// first bytes (not an ELF then, so only the bytes are compared): xz, lzma and zstd at
/// Linux's settings need minutes for the whole 63 MiB on a shared machine.
fn rewrap(cmd: &[&str], expect: Compressor, prefix: Option<usize>) {
    if !have(cmd[0]) {
        return;
    }
    let Some(mut elf) = vmlinux() else { return };
    if let Some(n) = prefix {
        elf.truncate(n);
    }
    let mut payload = pipe(cmd, &elf);
    assert!(!payload.is_empty(), "{cmd:?} produced nothing");
    payload.extend_from_slice(&(elf.len() as u32).to_le_bytes());

    let path = kernels().into_iter().next().unwrap();
    let image = std::fs::read(path).unwrap();
    let Container::BzImage(hdr) = inspect(&image, DEFAULT_MAX_KERNEL).unwrap().container else {
        panic!("not a bzImage");
    };
    let (start, len) = hdr.payload_range();
    let (start, end) = (start as usize, (start + len) as usize);
    let mut bz = image[..start].to_vec();
    bz.extend_from_slice(&payload);
    bz.extend_from_slice(&image[end..]);
    bz[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());

    for (what, img) in [("bzImage", &bz), ("whole file", &payload)] {
        let got =
            unwrap_elf(img, DEFAULT_MAX_KERNEL).unwrap_or_else(|e| panic!("{cmd:?} {what}: {e}"));
        assert_eq!(got.compressor, Some(expect), "{what}");
        assert!(got.elf == elf, "{cmd:?} {what}: output differs");
        let short = unwrap_elf(img, elf.len() - 1).unwrap_err();
        assert!(
            matches!(&short, KernelError::Decompress { error, .. }
                if error.kind == xlboot_compress::DecompressErrorKind::TooLarge),
            "{cmd:?} {what}: {short:?}"
        );
        if prefix.is_some() {
            continue;
        }
        let kernel = inspect(img, DEFAULT_MAX_KERNEL).unwrap();
        assert_eq!(kernel.elf_capability.pv, Ok(PvArch::X86_64));
        assert_eq!(kernel.elf_capability.pvh, Ok(()));
        // libxenguest opens a bzImage with any of these payloads, but a whole
        // compressed file only when it is gzip.
        if what == "bzImage" || expect == Compressor::Gzip {
            assert_eq!(kernel.capability, kernel.elf_capability, "{what}");
        } else {
            let why = kernel.capability.pv.unwrap_err();
            assert!(why.contains("only when gzip-compressed"), "{why}");
            assert_eq!(kernel.capability.pvh, Err(why));
        }
    }
}

/// How much of the vmlinux the slow compressors get: over one 8 MiB lz4 block, several
/// zstd blocks and the x86 BCJ filter's work on real code.
const SLOW_PREFIX: usize = 10 << 20;

#[test]
fn rewrapped_gzip() {
    rewrap(&["gzip", "-n", "-9"], Compressor::Gzip, None);
}

#[test]
fn rewrapped_xz_x86_bcj() {
    rewrap(
        &["xz", "--check=crc32", "--x86", "--lzma2=dict=32MiB"],
        Compressor::Xz,
        Some(SLOW_PREFIX),
    );
}

#[test]
fn rewrapped_lzma() {
    rewrap(&["lzma", "-9"], Compressor::Lzma, Some(SLOW_PREFIX));
}

#[test]
fn rewrapped_lz4_legacy() {
    rewrap(&["lz4", "-l", "-9"], Compressor::Lz4Legacy, None);
}

#[test]
fn rewrapped_lzop() {
    rewrap(&["lzop", "-9"], Compressor::Lzop, None);
}

#[test]
fn rewrapped_zstd() {
    rewrap(
        &["zstd", "-22", "--ultra", "-q"],
        Compressor::Zstd,
        Some(SLOW_PREFIX),
    );
}

#[test]
fn rewrapped_bzip2() {
    rewrap(&["bzip2", "-9"], Compressor::Bzip2, None);
}

/// The `LOAD` lines of `readelf -lW`: (offset, paddr, filesz, memsz).
fn readelf_loads(elf: &[u8]) -> Vec<(u64, u64, u64, u64)> {
    let dir = tempdir();
    let path = dir.join("vmlinux");
    std::fs::write(&path, elf).unwrap();
    let out = Command::new("readelf")
        .arg("-lW")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success());
    let hex = |w: &str| u64::from_str_radix(w.trim_start_matches("0x"), 16).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("LOAD "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (hex(w[1]), hex(w[3]), hex(w[4]), hex(w[5]))
        })
        .collect()
}

/// The segments the in-guest loader writes are readelf's `LOAD` lines, and the PVH
/// entry lies in one of them.
#[test]
fn debian_vmlinux_load_segments_match_readelf() {
    if !have("readelf") {
        return;
    }
    let Some(elf) = vmlinux() else { return };
    let hdr = xlboot_kernel::elf::header::parse(&elf).unwrap();
    let ours: Vec<_> = xlboot_kernel::elf::program::load_segments(&elf, &hdr)
        .unwrap()
        .iter()
        .map(|s| (s.offset, s.paddr, s.filesz, s.memsz))
        .collect();
    let oracle = readelf_loads(&elf);
    assert!(oracle.len() >= 2);
    assert_eq!(ours, oracle);
    // Linux x86-64 is linked at CONFIG_PHYSICAL_START, 16 MiB.
    assert_eq!(ours[0].1, 0x100_0000);
    let entry = inspect(&elf, DEFAULT_MAX_KERNEL)
        .unwrap()
        .xen
        .phys32_entry
        .unwrap();
    assert!(ours
        .iter()
        .any(|&(_, paddr, filesz, _)| (paddr..paddr + filesz).contains(&entry)));
}

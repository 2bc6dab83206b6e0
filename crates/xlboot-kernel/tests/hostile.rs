//! Hostile and edge-case kernels: hand-made bytes only where the real tools cannot make
//! the damage (truncations and lying fields of a real Debian bzImage, ELF files with
//! note loops and impossible counts), and ELF files made by the real `objcopy` for the
//! legacy `__xen_guest` section and a binary without Xen support. Nothing may panic;
//! every error must say corrupt, unsupported or not a kernel, as appropriate.

use std::path::PathBuf;
use std::process::Command;

use xlboot_compress::DecompressErrorKind;
use xlboot_kernel::{inspect, unwrap_elf, KernelError, PvArch, XenSource, DEFAULT_MAX_KERNEL};

const MAX: usize = 64 << 20;

fn missing(what: &str) {
    if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
        panic!("{what} is required (XLBOOT_REQUIRE_TOOLS is set)");
    }
    eprintln!("skipping: {what} missing");
}

/// The fixture chroot's lz4 kernel (fast to decompress), if present.
fn lz4_kernel() -> Option<Vec<u8>> {
    let dir = std::env::var_os("XLBOOT_FIXTURES")
        .map_or_else(
            || PathBuf::from("/var/cache/xlboot/fixtures"),
            PathBuf::from,
        )
        .join("chroot/boot");
    let found = std::fs::read_dir(&dir).ok().and_then(|rd| {
        rd.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-") && n.ends_with("-cloud-amd64"))
        })
    });
    match found {
        Some(p) => Some(std::fs::read(p).unwrap()),
        None => {
            missing("the cloud-amd64 (lz4) kernel in the fixture chroot");
            None
        }
    }
}

fn is_corrupt(e: &KernelError) -> bool {
    matches!(e, KernelError::Corrupt { .. })
        || matches!(e, KernelError::Decompress { error, .. } if error.kind == DecompressErrorKind::Corrupt)
}

#[test]
fn truncated_bzimage_never_panics_and_is_corrupt() {
    let Some(image) = lz4_kernel() else { return };
    let Ok(xlboot_kernel::Kernel {
        container: xlboot_kernel::Container::BzImage(h),
        ..
    }) = inspect(&image, MAX)
    else {
        panic!("the lz4 kernel does not read")
    };
    let (start, len) = h.payload_range();
    let end = (start + len) as usize;
    // Cut anywhere up to the payload's end: corrupt. The decompressor code after the
    // payload is not read (libxenguest and GRUB do not check `syssize` either).
    for cut in [
        0x1f0,
        0x210,
        0x250,
        0x261,
        0x2000,
        0x5000,
        end / 2,
        end - 4096,
        end - 5,
        end - 1,
    ] {
        let e = inspect(&image[..cut], MAX).unwrap_err();
        assert!(
            is_corrupt(&e) || e == KernelError::NotAKernel,
            "{cut}: {e:?}"
        );
    }
    assert!(inspect(&image[..end], MAX).is_ok());
}

fn patch(image: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut v = image.to_vec();
    v[at..at + bytes.len()].copy_from_slice(bytes);
    v
}

#[test]
fn lying_setup_header_fields() {
    let Some(image) = lz4_kernel() else { return };
    // payload_length far past the end.
    let e = inspect(&patch(&image, 0x24c, &u32::MAX.to_le_bytes()), MAX).unwrap_err();
    assert!(
        matches!(
            e,
            KernelError::Corrupt {
                structure: "setup header",
                offset: 0x248,
                ..
            }
        ),
        "{e:?}"
    );
    // payload_offset past the end.
    let e = inspect(&patch(&image, 0x248, &u32::MAX.to_le_bytes()), MAX).unwrap_err();
    assert!(matches!(e, KernelError::Corrupt { .. }), "{e:?}");
    // setup_sects past the end of a cut image.
    let e = inspect(&patch(&image[..0x4000], 0x1f1, &[0xff]), MAX).unwrap_err();
    assert!(
        matches!(e, KernelError::Corrupt { offset: 0x1f1, .. }),
        "{e:?}"
    );
    // Boot protocol 2.07: no payload pointer.
    let e = inspect(&patch(&image, 0x206, &0x0207u16.to_le_bytes()), MAX).unwrap_err();
    assert!(matches!(e, KernelError::Unsupported { .. }), "{e:?}");
    // kernel_version pointing past the setup code: no version, still a kernel.
    let k = inspect(&patch(&image, 0x20e, &0xfff0u16.to_le_bytes()), MAX).unwrap();
    assert_eq!(k.version(), None);
    // The payload's magic damaged: an unknown compressor, named.
    let Ok(xlboot_kernel::Kernel {
        container: xlboot_kernel::Container::BzImage(h),
        ..
    }) = inspect(&image, MAX)
    else {
        panic!()
    };
    let start = h.payload_range().0 as usize;
    let e = inspect(&patch(&image, start, b"\0\0\0\0"), MAX).unwrap_err();
    assert!(matches!(e, KernelError::Unsupported { .. }), "{e:?}");
    // A block size in the lz4 frame that runs past the payload.
    let e = inspect(
        &patch(&image, start + 4, &0x7fff_ffffu32.to_le_bytes()),
        MAX,
    )
    .unwrap_err();
    assert!(is_corrupt(&e), "{e:?}");
    // A cap below the kernel: too large, not a truncated kernel.
    let e = inspect(&image, 1 << 20).unwrap_err();
    assert!(
        matches!(&e, KernelError::Decompress { error, .. } if error.kind == DecompressErrorKind::TooLarge),
        "{e:?}"
    );
}

#[test]
fn lz4_frame_of_magics_and_lzop_lies() {
    // Nothing but frame magics: ends, decompresses to nothing, which is not an ELF.
    let magics: Vec<u8> = std::iter::repeat_n(0x184C_2102u32.to_le_bytes(), 100_000)
        .flatten()
        .collect();
    assert_eq!(unwrap_elf(&magics, MAX).unwrap().elf.len(), 0);
    assert!(is_corrupt(&inspect(&magics, MAX).unwrap_err()));
    // Two stray bytes after the last block.
    let mut stray = magics[..8].to_vec();
    stray.extend_from_slice(&[1, 2]);
    assert!(is_corrupt(&unwrap_elf(&stray, MAX).unwrap_err()));

    // lzop: a valid header (version 0x1040, method 3, level 9, flags 1), then a block
    // claiming 1 MiB, over the kernel reader's 256 KiB.
    let mut lzo = b"\x89LZO\x00\r\n\x1a\n".to_vec();
    lzo.extend_from_slice(&[0x10, 0x40, 0x20, 0xa0, 0x09, 0x40, 3, 9]);
    lzo.extend_from_slice(&1u32.to_be_bytes()); // flags: F_ADLER32_D
    lzo.extend_from_slice(&[0; 12]); // mode, mtime, mtime high
    lzo.push(0); // no name
    lzo.extend_from_slice(&[0; 4]); // header checksum
    let mut big = lzo.clone();
    big.extend_from_slice(&(1u32 << 20).to_be_bytes());
    big.extend_from_slice(&16u32.to_be_bytes());
    let e = unwrap_elf(&big, MAX).unwrap_err();
    assert!(is_corrupt(&e), "{e:?}");
    // A stored block with a wrong Adler-32.
    let mut bad = lzo.clone();
    bad.extend_from_slice(&4u32.to_be_bytes());
    bad.extend_from_slice(&4u32.to_be_bytes());
    bad.extend_from_slice(&0u32.to_be_bytes());
    bad.extend_from_slice(b"\x7fELF");
    bad.extend_from_slice(&0u32.to_be_bytes());
    let e = unwrap_elf(&bad, MAX).unwrap_err();
    assert!(is_corrupt(&e), "{e:?}");
    // Cut inside the header.
    assert!(is_corrupt(&unwrap_elf(&lzo[..20], MAX).unwrap_err()));
}

/// A minimal ELF: header, a `PT_NOTE` program header, a `PT_LOAD` one (4 KiB at
/// physical 16 MiB, where the entry point is), the notes.
fn elf(class64: bool, big: bool, machine: u16, notes: &[u8]) -> Vec<u8> {
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w64 = |v: u64| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = b"\x7fELF".to_vec();
    f.push(if class64 { 2 } else { 1 });
    f.push(if big { 2 } else { 1 });
    f.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&w16(2)); // ET_EXEC
    f.extend_from_slice(&w16(machine));
    f.extend_from_slice(&w32(1));
    let (ehsize, phsize) = if class64 { (64u64, 56u64) } else { (52, 32) };
    let notes_at = ehsize + 2 * phsize;
    const BASE: u64 = 0x100_0000;
    if class64 {
        f.extend_from_slice(&w64(BASE)); // entry
        f.extend_from_slice(&w64(ehsize)); // phoff
        f.extend_from_slice(&w64(0)); // shoff
        f.extend_from_slice(&w32(0));
        for v in [ehsize as u16, phsize as u16, 2, 64, 0, 0] {
            f.extend_from_slice(&w16(v));
        }
        f.extend_from_slice(&w32(4)); // PT_NOTE
        f.extend_from_slice(&w32(4)); // flags
        for v in [notes_at, 0, 0, notes.len() as u64, notes.len() as u64, 4] {
            f.extend_from_slice(&w64(v));
        }
        f.extend_from_slice(&w32(1)); // PT_LOAD
        f.extend_from_slice(&w32(5)); // R, X
        for v in [0, BASE, BASE, 0, 0x1000, 0x1000] {
            f.extend_from_slice(&w64(v));
        }
    } else {
        f.extend_from_slice(&w32(BASE as u32));
        f.extend_from_slice(&w32(ehsize as u32));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(0));
        for v in [ehsize as u16, phsize as u16, 2, 40, 0, 0] {
            f.extend_from_slice(&w16(v));
        }
        for v in [
            4,
            notes_at as u32,
            0,
            0,
            notes.len() as u32,
            notes.len() as u32,
            4,
            4,
        ] {
            f.extend_from_slice(&w32(v));
        }
        for v in [1, 0, BASE as u32, BASE as u32, 0, 0x1000, 5, 0x1000] {
            f.extend_from_slice(&w32(v));
        }
    }
    assert_eq!(f.len() as u64, notes_at);
    f.extend_from_slice(notes);
    f
}

fn note(big: bool, name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut n = Vec::new();
    n.extend_from_slice(&w32(name.len() as u32 + 1));
    n.extend_from_slice(&w32(desc.len() as u32));
    n.extend_from_slice(&w32(kind));
    n.extend_from_slice(name);
    n.push(0);
    while n.len() % 4 != 0 {
        n.push(0);
    }
    n.extend_from_slice(desc);
    while n.len() % 4 != 0 {
        n.push(0);
    }
    n
}

fn pv_notes(big: bool, pae: Option<&[u8]>) -> Vec<u8> {
    let mut n = note(big, b"Xen", 6, b"linux\0");
    n.extend(note(big, b"Xen", 5, b"xen-3.0\0"));
    n.extend(note(big, b"Xen", 8, b"generic\0"));
    if let Some(p) = pae {
        n.extend(note(big, b"Xen", 9, p));
    }
    n
}

#[test]
fn elf32_both_byte_orders_pae_and_pvh_rules() {
    for big in [false, true] {
        let k = inspect(&elf(false, big, 3, &pv_notes(big, Some(b"yes\0"))), MAX).unwrap();
        assert_eq!(k.capability.pv, Ok(PvArch::X86_32Pae), "big={big}");
        assert!(k.capability.pvh.is_err());
        assert_eq!(k.xen.guest_os.as_deref(), Some("linux"));

        let k = inspect(&elf(false, big, 3, &pv_notes(big, None)), MAX).unwrap();
        assert!(k.capability.pv.is_err(), "non-PAE 32-bit PV");

        // PHYS32_ENTRY alone: PVH, not PV (no PV entry).
        let entry = if big {
            0x0100_0000u32.to_be_bytes()
        } else {
            0x0100_0000u32.to_le_bytes()
        };
        let k = inspect(&elf(true, big, 62, &note(big, b"Xen", 18, &entry)), MAX).unwrap();
        assert_eq!(k.xen.phys32_entry, Some(0x0100_0000));
        assert_eq!(k.capability.pvh, Ok(()));
        assert!(k.capability.pv.is_err());
    }
    // FEATURES requiring dom0: no domU of either kind.
    let mut n = pv_notes(false, None);
    n.extend(note(false, b"Xen", 10, b"writable_page_tables|!dom0\0"));
    n.extend(note(false, b"Xen", 18, &0x1000u32.to_le_bytes()));
    let k = inspect(&elf(true, false, 62, &n), MAX).unwrap();
    assert!(k.capability.pv.is_err() && k.capability.pvh.is_err());
    // Notes of other owners are not Xen's; an ARM kernel is not x86.
    let k = inspect(
        &elf(true, false, 62, &note(false, b"Linux", 18, &[1, 0, 0, 0])),
        MAX,
    )
    .unwrap();
    assert_eq!(k.xen.source, None);
    let k = inspect(&elf(true, false, 183, &pv_notes(false, None)), MAX).unwrap();
    assert!(k.capability.pv.is_err() && k.capability.pvh.is_err());
}

#[test]
fn note_loops_and_huge_counts() {
    // 100 000 empty notes named "Xen": bounded, refused after 256.
    let many: Vec<u8> = std::iter::repeat_n(note(false, b"Xen", 99, b""), 100_000)
        .flatten()
        .collect();
    let e = inspect(&elf(true, false, 62, &many), MAX).unwrap_err();
    assert!(
        matches!(
            e,
            KernelError::Corrupt {
                structure: "ELF note",
                ..
            }
        ),
        "{e:?}"
    );
    // 100 000 all-zero notes (no name): walked to the end, no Xen information.
    let k = inspect(&elf(true, false, 62, &vec![0u8; 1_200_000]), MAX).unwrap();
    assert_eq!(k.xen.source, None);
    assert!(k.capability.pv.is_err());
    // A name size of 4 GiB.
    let mut huge = note(false, b"Xen", 6, b"linux\0");
    huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = inspect(&elf(true, false, 62, &huge), MAX).unwrap_err();
    assert!(
        matches!(
            e,
            KernelError::Corrupt {
                structure: "ELF note",
                ..
            }
        ),
        "{e:?}"
    );
    // A note segment larger than the file.
    let mut f = elf(true, false, 62, &pv_notes(false, None));
    f[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        inspect(&f, MAX).unwrap_err(),
        KernelError::Corrupt { .. }
    ));
    // 65535 program headers that are not there.
    let mut f = elf(true, false, 62, &[]);
    f[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(matches!(
        inspect(&f, MAX).unwrap_err(),
        KernelError::Corrupt { .. }
    ));
    // Every prefix of a valid ELF with notes: an error or an answer, never a panic.
    let f = elf(false, true, 3, &pv_notes(true, Some(b"yes\0")));
    for len in 0..f.len() {
        let _ = inspect(&f[..len], MAX);
    }
}

/// Runs objcopy; false (and a skip) when binutils is missing.
fn objcopy(args: &[&std::ffi::OsStr]) -> bool {
    match Command::new("objcopy").args(args).status() {
        Ok(s) => {
            assert!(s.success(), "objcopy {args:?}");
            true
        }
        Err(_) => {
            missing("objcopy");
            false
        }
    }
}

#[test]
fn legacy_xen_guest_section_and_a_kernel_without_xen() {
    let dir = std::env::temp_dir().join(format!("xlboot-kernel-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = std::fs::read("/bin/true").unwrap();
    // A binary without Xen notes: not bootable on Xen, said so.
    let k = inspect(&host, DEFAULT_MAX_KERNEL).unwrap();
    assert_eq!(k.xen.source, None);
    assert!(k.capability.pv.is_err() && k.capability.pvh.is_err());

    let guest = dir.join("guest");
    std::fs::write(
        &guest,
        "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x2,LOADER=generic,PAE=yes[extended-cr3]\0",
    )
    .unwrap();
    let out = dir.join("legacy");
    let add = format!("__xen_guest={}", guest.display());
    if !objcopy(&[
        "--add-section".as_ref(),
        add.as_ref(),
        "/bin/true".as_ref(),
        out.as_os_str(),
    ]) {
        return;
    }
    let k = inspect(&std::fs::read(&out).unwrap(), DEFAULT_MAX_KERNEL).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(k.xen.source, Some(XenSource::LegacyGuestSection));
    assert_eq!(k.xen.guest_os.as_deref(), Some("linux"));
    assert_eq!(k.xen.xen_version.as_deref(), Some("xen-3.0"));
    assert_eq!(k.xen.virt_base, Some(0xC000_0000));
    assert_eq!(k.xen.hypercall_page, Some(2));
    assert_eq!(k.xen.pae_mode.as_deref(), Some("yes[extended-cr3]"));
    // /bin/true is linked near 0, below this VIRT_BASE: libelf refuses it as PV.
    assert_eq!(
        k.capability.pv,
        Err("PV entry point or VIRT_BASE outside the kernel's loaded extent")
    );
    assert!(k.capability.pvh.is_err());
}

/// Runs `tool args` in `dir`; false (and a skip) when the tool is missing.
fn tool(tool: &str, args: &[&std::ffi::OsStr], dir: &std::path::Path) -> bool {
    match Command::new(tool).args(args).current_dir(dir).status() {
        Ok(s) => {
            assert!(s.success(), "{tool} {args:?}");
            true
        }
        Err(_) => {
            missing(tool);
            false
        }
    }
}

#[test]
fn declared_sizes_cap_decompression() {
    let Some(image) = lz4_kernel() else { return };
    let dir = std::env::temp_dir().join(format!("xlboot-kernel-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // init_size lowered to 1 MiB: the payload decompresses past what the header
    // declares, which is corrupt, found after 1 MiB of output, not at the 64 MiB cap.
    let e = inspect(&patch(&image, 0x260, &(1u32 << 20).to_le_bytes()), MAX).unwrap_err();
    assert!(
        matches!(
            e,
            KernelError::Corrupt {
                structure: "bzImage payload",
                ..
            }
        ),
        "{e:?}"
    );
    // The whole bzImage gzip-compressed: libxenguest gunzips it first, then finds the
    // bzImage inside.
    std::fs::write(dir.join("vmlinuz"), &image).unwrap();
    if !tool("gzip", &["-1n".as_ref(), "vmlinuz".as_ref()], &dir) {
        return;
    }
    let gz = std::fs::read(dir.join("vmlinuz.gz")).unwrap();
    let plain = unwrap_elf(&image, MAX).unwrap();
    let wrapped = unwrap_elf(&gz, MAX).unwrap();
    assert!(matches!(
        wrapped.container,
        xlboot_kernel::Container::BzImage(_)
    ));
    assert!(wrapped.elf == plain.elf);
    // A gzip size trailer lower than the data: corrupt, as zlib finds it in
    // libxenguest's buffer of that size plus 16.
    let mut short = gz.clone();
    let n = short.len();
    short[n - 4..].copy_from_slice(&100_000u32.to_le_bytes());
    let e = unwrap_elf(&short, MAX).unwrap_err();
    assert!(
        matches!(
            e,
            KernelError::Corrupt {
                structure: "gzip file",
                ..
            }
        ),
        "{e:?}"
    );
    // Over libxenguest's 1 GiB: it does not gunzip such a file at all.
    short[n - 4..].copy_from_slice(&0x4000_0001u32.to_le_bytes());
    let e = unwrap_elf(&short, MAX).unwrap_err();
    assert!(matches!(e, KernelError::Unsupported { .. }), "{e:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debian_vmlinux_with_its_xen_notes_removed_is_not_bootable() {
    let Some(image) = lz4_kernel() else { return };
    let dir = std::env::temp_dir().join(format!("xlboot-kernel-strip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vmlinux = unwrap_elf(&image, MAX).unwrap().elf.into_owned();
    std::fs::write(dir.join("vmlinux"), &vmlinux).unwrap();
    // Linux keeps its Xen notes (and the build id) in the .notes section, which the
    // PT_NOTE segment covers.
    if !tool(
        "objcopy",
        &[
            "--remove-section=.notes".as_ref(),
            "vmlinux".as_ref(),
            "stripped".as_ref(),
        ],
        &dir,
    ) {
        return;
    }
    let stripped = std::fs::read(dir.join("stripped")).unwrap();
    let out = Command::new("readelf")
        .args(["-nW".as_ref(), dir.join("stripped").as_os_str()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Xen "));
    let k = inspect(&stripped, MAX).unwrap();
    assert_eq!(k.xen.source, None);
    assert_eq!(k.xen.note_count, 0);
    assert!(k.capability.pv.unwrap_err().contains("not built for Xen"));
    assert!(k.capability.pvh.unwrap_err().contains("not built for Xen"));
    // The original reads PV and PVH capable.
    let k = inspect(&vmlinux, MAX).unwrap();
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    assert_eq!(k.capability.pvh, Ok(()));
}

#[test]
fn libelf_address_checks() {
    let le64 = |v: u64| v.to_le_bytes();
    let with = |extra: &[Vec<u8>]| {
        let mut n = pv_notes(false, None);
        for e in extra {
            n.extend_from_slice(e);
        }
        inspect(&elf(true, false, 62, &n), MAX).unwrap()
    };
    // The PV entry (ENTRY note) inside the loaded 4 KiB, then just past it.
    let k = with(&[note(false, b"Xen", 1, &le64(0x100_0800))]);
    assert_eq!(k.memory, Some((0x100_0000, 0x100_1000)));
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    let k = with(&[note(false, b"Xen", 1, &le64(0x100_1001))]);
    assert!(k.capability.pv.is_err());
    // VIRT_BASE moves the kernel: entry and base must follow.
    let k = with(&[
        note(false, b"Xen", 3, &le64(0xffff_ffff_8000_0000)),
        note(false, b"Xen", 1, &le64(0xffff_ffff_8100_0000)),
    ]);
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    // PADDR_OFFSET without VIRT_BASE.
    let k = with(&[note(false, b"Xen", 4, &le64(0))]);
    assert_eq!(k.capability.pv, Err("PADDR_OFFSET without VIRT_BASE"));
    // PHYS32_ENTRY of 0xffffffff is libelf's "unset"; 0x1000 lies outside the kernel.
    let k = with(&[note(false, b"Xen", 18, &0xffff_ffffu32.to_le_bytes())]);
    assert!(k.capability.pvh.is_err());
    let k = with(&[note(false, b"Xen", 18, &0x1000u32.to_le_bytes())]);
    assert!(k.capability.pvh.is_err());
    let k = with(&[note(false, b"Xen", 18, &le64(0x100_0010))]);
    assert_eq!(k.capability.pvh, Ok(()));
    // No loadable segment at all: nothing to boot.
    let mut f = elf(true, false, 62, &pv_notes(false, None));
    f[56..58].copy_from_slice(&1u16.to_le_bytes());
    let k = inspect(&f, MAX).unwrap();
    assert_eq!(k.memory, None);
    assert!(k.capability.pv.is_err());
}

/// Segments whose bytes are not in the file, whose file part is larger than their
/// memory, or whose memory wraps are refused as corrupt, never sliced.
#[test]
fn load_segments_refuse_lying_program_headers() {
    use xlboot_kernel::elf::{header, program};
    let good = elf(true, false, 62, &[]);
    let hdr = header::parse(&good).unwrap();
    let segs = program::load_segments(&good, &hdr).unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(
        (segs[0].paddr, segs[0].filesz, segs[0].memsz),
        (0x100_0000, 0, 0x1000)
    );
    // The PT_LOAD header is the second, at 64 + 56; its offset at +8, paddr at +24,
    // filesz at +32, memsz at +40.
    let ph = 64 + 56;
    for (field, value) in [
        (32, 0x2000u64),       // filesz > memsz
        (8, u64::MAX - 1),     // offset past the file (filesz 0 still fits: set it)
        (24, u64::MAX - 0x10), // paddr + memsz wraps
    ] {
        let mut bad = patch(&good, ph + field, &value.to_le_bytes());
        if field == 8 {
            bad = patch(&bad, ph + 32, &1u64.to_le_bytes());
        }
        let hdr = header::parse(&bad).unwrap();
        assert!(
            matches!(program::load_segments(&bad, &hdr), Err(e) if is_corrupt(&e)),
            "field {field}"
        );
    }
}

//! NetBSD and FreeBSD kernels, as far as their Xen notes go. Their kernel binaries
//! cannot be downloaded here, so each test assembles and links (GNU `as` and `ld`) a
//! small ELF from tests/bsd/: the notes its OS's source declares, with the OS's own
//! `ELFNOTE` macro (same section, names, types and payload sizes, the values its
//! linker gives them), linked where that OS links its kernel; the code is a stub.
//! Each file says which source it follows and what could not be read here. `readelf -n`
//! is the oracle for the notes; libelf's rules decide PV and PVH. The older
//! `__xen_guest` string is added to a stub by `objcopy`. The fuzz seeds
//! (fuzz/seeds/build) are built from the same files.

use std::path::{Path, PathBuf};
use std::process::Command;

use xlboot_kernel::elf::header::Class;
use xlboot_kernel::{inspect, Container, GuestOs, Kernel, PvArch, XenSource, DEFAULT_MAX_KERNEL};

fn missing(what: &str) {
    if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
        panic!("{what} is required (XLBOOT_REQUIRE_TOOLS is set)");
    }
    eprintln!("skipping: {what} missing");
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xlboot-bsd-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a tool in `dir`; `None` (and a skip) when it is missing.
fn run(tool: &str, args: &[&str], dir: &Path) -> Option<()> {
    match Command::new(tool).args(args).current_dir(dir).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(())
        }
        Err(_) => {
            missing(tool);
            None
        }
    }
}

/// tests/bsd/`name`.
fn source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bsd")
        .join(name)
}

/// Assembles tests/bsd/`asm` (with `--defsym` for each of `defs`, 32-bit if `i386`),
/// links it with tests/bsd/`script`, checks our reading of its notes against
/// `readelf -n` and inspects it.
fn build(asm: &str, defs: &[&str], script: &str, i386: bool) -> Option<(Vec<u8>, Kernel)> {
    let dir = tempdir(&format!("{asm}-{}", defs.join("-")));
    let (bits, emulation) = if i386 {
        ("--32", "elf_i386")
    } else {
        ("--64", "elf_x86_64")
    };
    let asm_path = source(asm);
    // `-I`: the sources include the shared ELFNOTE macro, elfnote.inc.
    let include = source("");
    let mut args = vec![
        bits,
        "-I",
        include.to_str().unwrap(),
        asm_path.to_str().unwrap(),
        "-o",
        "k.o",
    ];
    for d in defs {
        args.extend(["--defsym", d]);
    }
    run("as", &args, &dir)?;
    let script = source(script);
    run(
        "ld",
        &[
            "-m",
            emulation,
            "-nostdlib",
            "-static",
            "-T",
            script.to_str().unwrap(),
            "k.o",
            "-o",
            "k",
        ],
        &dir,
    )?;
    let elf = std::fs::read(dir.join("k")).unwrap();
    let oracle = readelf_xen_note_types(&dir.join("k"));
    std::fs::remove_dir_all(&dir).unwrap();
    let kernel = inspect(&elf, DEFAULT_MAX_KERNEL).unwrap();
    assert_eq!(kernel.container, Container::Elf);
    assert_eq!(kernel.xen.note_count, oracle.len(), "{oracle:?}");
    assert_eq!(kernel.capability, kernel.elf_capability);
    Some((elf, kernel))
}

/// `readelf -nW`: the types of the "Xen" notes, in order.
fn readelf_xen_note_types(path: &Path) -> Vec<u32> {
    let out = Command::new("readelf")
        .arg("-nW")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .filter(|l| l.trim_start().starts_with("Xen "))
        .map(|line| {
            // readelf names the types it knows from other owners' notes.
            if let Some(i) = line.find("Unknown note type: (0x") {
                u32::from_str_radix(&line[i + 22..i + 30], 16).unwrap()
            } else if line.contains("NT_VERSION") {
                1
            } else if line.contains("NT_ARCH") {
                2
            } else if line.contains("GO BUILDID") {
                4
            } else {
                panic!("unexpected readelf line: {line}")
            }
        })
        .collect()
}

const KERNBASE: u64 = 0xffff_ffff_8000_0000;

#[test]
fn netbsd_xen3_domu_is_pv_only_and_read_from_its_note_section() {
    let Some((elf, k)) = build("netbsd-amd64-xenpv.s", &[], "netbsd.ld", false) else {
        return;
    };
    // Not allocated: no PT_NOTE, so the section headers (libelf's second place).
    assert_eq!(k.xen.source, Some(XenSource::NoteSections));
    assert_eq!(k.xen.note_count, 14);
    assert_eq!(k.xen.os(), Some(GuestOs::NetBsd));
    assert_eq!(k.xen.guest_os.as_deref(), Some("NetBSD"));
    assert_eq!(k.xen.guest_version.as_deref(), Some("4.99"));
    assert_eq!(k.xen.loader.as_deref(), Some("generic"));
    assert_eq!(k.xen.features.as_deref(), Some(""));
    assert_eq!(k.xen.bsd_symtab.as_deref(), Some("yes"));
    assert_eq!(k.xen.virt_base, Some(KERNBASE));
    assert_eq!(k.xen.paddr_offset, Some(KERNBASE));
    assert_eq!(k.xen.entry, Some(KERNBASE + 0x20_0000));
    assert_eq!(k.xen.hypercall_page, Some(KERNBASE + 0x20_1000));
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    assert!(k.capability.pvh.is_err());

    // Gzip-compressed whole, as NetBSD ships it (netbsd-XEN3_DOMU.gz): libxenguest
    // gunzips the file first, so it boots the same.
    let dir = tempdir("gz");
    std::fs::write(dir.join("netbsd-XEN3_DOMU"), &elf).unwrap();
    if run("gzip", &["-9n", "netbsd-XEN3_DOMU"], &dir).is_none() {
        return;
    }
    let gz = std::fs::read(dir.join("netbsd-XEN3_DOMU.gz")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let z = inspect(&gz, DEFAULT_MAX_KERNEL).unwrap();
    assert_eq!(z.container, Container::Compressed);
    assert_eq!(z.xen, k.xen);
    assert_eq!(z.capability.pv, Ok(PvArch::X86_64));
}

#[test]
fn freebsd_amd64_pv_notes_and_pvh_entry() {
    let Some((_, k)) = build("freebsd-amd64.s", &["PVH=1"], "freebsd.ld", false) else {
        return;
    };
    // Allocated: in a PT_NOTE segment.
    assert_eq!(k.xen.source, Some(XenSource::NoteSegments));
    assert_eq!(k.xen.note_count, 15);
    assert_eq!(k.xen.os(), Some(GuestOs::FreeBsd));
    assert_eq!(k.xen.paddr_offset, Some(0));
    assert_eq!(k.xen.phys32_entry, Some(0x20_1001));
    assert_eq!(k.capability.pvh, Ok(()));
    // Its PV notes pass libelf's checks (generic loader, xen-3.0, entry inside).
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));

    // Without the PVH note: PV by libelf's rules, not PVH.
    let Some((_, k)) = build("freebsd-amd64.s", &[], "freebsd.ld", false) else {
        return;
    };
    assert_eq!(k.xen.note_count, 14);
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    assert!(k.capability.pvh.is_err());

    // A PHYS32_ENTRY below the loaded kernel: libelf refuses it for PVH.
    let Some((_, k)) = build("freebsd-amd64.s", &["PVH_OUTSIDE=1"], "freebsd.ld", false) else {
        return;
    };
    assert_eq!(k.xen.phys32_entry, Some(0x10_0000));
    assert_eq!(
        k.capability.pvh,
        Err("PHYS32_ENTRY outside the kernel's loadable segments")
    );
}

#[test]
fn freebsd_i386_pae_and_non_pae() {
    let Some((_, k)) = build("freebsd-i386-xenpv.s", &["PAE=1"], "freebsd-i386.ld", true) else {
        return;
    };
    assert_eq!(k.elf.class, Class::Elf32);
    assert_eq!(k.xen.entry, Some(0xc040_0000));
    assert_eq!(k.xen.pae_mode.as_deref(), Some("yes"));
    assert_eq!(k.capability.pv, Ok(PvArch::X86_32Pae));
    assert!(k.capability.pvh.is_err());

    let Some((_, k)) = build("freebsd-i386-xenpv.s", &[], "freebsd-i386.ld", true) else {
        return;
    };
    assert_eq!(
        k.capability.pv,
        Err("32-bit kernel without PAE: no current Xen runs non-PAE PV guests")
    );
}

#[test]
fn netbsd_generic_with_only_the_pvh_note() {
    let Some((_, k)) = build("netbsd-generic-pvh.s", &[], "netbsd-generic.ld", false) else {
        return;
    };
    assert_eq!(k.xen.source, Some(XenSource::NoteSections));
    assert_eq!(k.xen.note_count, 1);
    assert_eq!(k.xen.os(), None);
    assert_eq!(k.capability.pvh, Ok(()));
    // No loader, OS or Xen version: not PV.
    assert_eq!(
        k.capability.pv,
        Err("Xen notes name neither the generic loader nor a Linux guest")
    );
    // Linked at physical = virtual, the physical entry lies below the kernel.
    let Some((_, k)) = build("netbsd-generic-pvh.s", &[], "netbsd.ld", false) else {
        return;
    };
    assert!(k.capability.pvh.is_err());
}

#[test]
fn legacy_xen_guest_string_with_bsd_keys() {
    // Before ELF notes, BSD kernels described themselves in a __xen_guest string;
    // these are the keys libelf's elf_xen_parse_guest_info reads, NetBSD's among them.
    let Some((elf, k)) = build("stub-amd64.s", &[], "netbsd.ld", false) else {
        return;
    };
    assert_eq!(k.xen.source, None);
    let dir = tempdir("legacy");
    std::fs::write(dir.join("k"), &elf).unwrap();
    std::fs::write(
        dir.join("guest"),
        "GUEST_OS=NetBSD,GUEST_VER=3.0,XEN_VER=xen-3.0,LOADER=generic,\
         VIRT_BASE=0xffffffff80000000,ELF_PADDR_OFFSET=0xffffffff80000000,\
         VIRT_ENTRY=0xffffffff80200000,HYPERCALL_PAGE=0x201,BSD_SYMTAB=yes\0",
    )
    .unwrap();
    if run(
        "objcopy",
        &["--add-section", "__xen_guest=guest", "k", "legacy"],
        &dir,
    )
    .is_none()
    {
        return;
    }
    let legacy = std::fs::read(dir.join("legacy")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let k = inspect(&legacy, DEFAULT_MAX_KERNEL).unwrap();
    assert_eq!(k.xen.source, Some(XenSource::LegacyGuestSection));
    assert_eq!(k.xen.os(), Some(GuestOs::NetBsd));
    assert_eq!(k.xen.guest_version.as_deref(), Some("3.0"));
    assert_eq!(k.xen.paddr_offset, Some(KERNBASE));
    assert_eq!(k.xen.entry, Some(KERNBASE + 0x20_0000));
    assert_eq!(k.xen.hypercall_page, Some(0x201));
    assert_eq!(k.xen.bsd_symtab.as_deref(), Some("yes"));
    assert_eq!(k.capability.pv, Ok(PvArch::X86_64));
    assert_eq!(
        k.capability.pvh,
        Err("only a __xen_guest section, which libelf reads for PV guests only")
    );
}

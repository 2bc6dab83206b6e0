//! Xen's ELF notes (`XEN_ELFNOTE_*`, Xen's public/elfnote.h) and the legacy
//! `__xen_guest` section string they replaced, gathered the way libelf
//! (xen/common/libelf/libelf-dominfo.c, `elf_xen_parse`) gathers them:
//!
//! 1. notes named "Xen" in the `PT_NOTE` program headers;
//! 2. if none were found there, notes named "Xen" in the `SHT_NOTE` sections;
//! 3. if still none, the `__xen_guest` section's `KEY=value,KEY=value` string.
//!
//! Numeric notes are 1, 2, 4 or 8 bytes in the file's byte order (libelf's
//! `elf_note_numeric`); string notes end at their NUL.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::{slice, u16_at, u32_at, u64_at, u8_at, until_nul};
use crate::elf::header::FileHeader;
use crate::elf::note::{Note, Notes};
use crate::elf::{program, section};
use crate::error::KernelError;

/// `XEN_ELFNOTE_ENTRY`: the PV entry point (virtual).
pub const ENTRY: u32 = 1;
/// `XEN_ELFNOTE_HYPERCALL_PAGE`: virtual address of the hypercall page.
pub const HYPERCALL_PAGE: u32 = 2;
/// `XEN_ELFNOTE_VIRT_BASE`: virtual address the kernel is linked at.
pub const VIRT_BASE: u32 = 3;
/// `XEN_ELFNOTE_PADDR_OFFSET`: what to subtract from a virtual address to get the
/// ELF physical address (NetBSD and older FreeBSD set it to their KERNBASE).
pub const PADDR_OFFSET: u32 = 4;
/// `XEN_ELFNOTE_XEN_VERSION`: "xen-3.0".
pub const XEN_VERSION: u32 = 5;
/// `XEN_ELFNOTE_GUEST_OS`: "linux", "NetBSD", "FreeBSD", ...
pub const GUEST_OS: u32 = 6;
/// `XEN_ELFNOTE_GUEST_VERSION`: the OS's version string.
pub const GUEST_VERSION: u32 = 7;
/// `XEN_ELFNOTE_LOADER`: "generic".
pub const LOADER: u32 = 8;
/// `XEN_ELFNOTE_PAE_MODE`: "yes", "yes,bimodal", "bimodal", "no".
pub const PAE_MODE: u32 = 9;
/// `XEN_ELFNOTE_FEATURES`: "feature|!required_feature|...".
pub const FEATURES: u32 = 10;
/// `XEN_ELFNOTE_BSD_SYMTAB`: "yes" asks the loader to load the BSD symbol table
/// after the kernel (NetBSD, FreeBSD).
pub const BSD_SYMTAB: u32 = 11;
/// `XEN_ELFNOTE_SUPPORTED_FEATURES`: a bitmap of XENFEAT_* the kernel supports.
pub const SUPPORTED_FEATURES: u32 = 17;
/// `XEN_ELFNOTE_PHYS32_ENTRY`: the 32-bit physical entry point of PVH.
pub const PHYS32_ENTRY: u32 = 18;

/// The most Xen notes read from one file; Linux has about 20.
const MAX_NOTES: usize = 256;
/// The longest string note or `__xen_guest` string kept.
const MAX_STRING: usize = 1024;

/// The guest OS a kernel names in `GUEST_OS`, as Xen's own tools tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestOs {
    /// "linux" (libelf compares only this prefix, and only for Linux).
    Linux,
    /// "NetBSD".
    NetBsd,
    /// "FreeBSD".
    FreeBsd,
    /// Anything else ("Solaris", "Mini-OS", ...): see [`XenNotes::guest_os`].
    Other,
}

/// Where the Xen information came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XenSource {
    /// `PT_NOTE` program headers.
    NoteSegments,
    /// `SHT_NOTE` sections.
    NoteSections,
    /// The legacy `__xen_guest` section.
    LegacyGuestSection,
}

/// What a kernel tells Xen about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XenNotes {
    /// Where these came from; `None` when the kernel has no Xen information at all.
    pub source: Option<XenSource>,
    /// `XEN_ELFNOTE_ENTRY` (legacy: `VIRT_ENTRY`).
    pub entry: Option<u64>,
    /// `XEN_ELFNOTE_HYPERCALL_PAGE` (legacy: `HYPERCALL_PAGE`, a page number).
    pub hypercall_page: Option<u64>,
    /// `XEN_ELFNOTE_VIRT_BASE` (legacy: `VIRT_BASE`).
    pub virt_base: Option<u64>,
    /// `XEN_ELFNOTE_PADDR_OFFSET` (legacy: `ELF_PADDR_OFFSET`).
    pub paddr_offset: Option<u64>,
    /// `XEN_ELFNOTE_XEN_VERSION` (legacy: `XEN_VER`).
    pub xen_version: Option<String>,
    /// `XEN_ELFNOTE_GUEST_OS` (legacy: `GUEST_OS`).
    pub guest_os: Option<String>,
    /// `XEN_ELFNOTE_GUEST_VERSION` (legacy: `GUEST_VER`).
    pub guest_version: Option<String>,
    /// `XEN_ELFNOTE_LOADER` (legacy: `LOADER`).
    pub loader: Option<String>,
    /// `XEN_ELFNOTE_PAE_MODE` (legacy: `PAE`).
    pub pae_mode: Option<String>,
    /// `XEN_ELFNOTE_FEATURES` (legacy: `FEATURES`).
    pub features: Option<String>,
    /// `XEN_ELFNOTE_BSD_SYMTAB` (legacy: `BSD_SYMTAB`).
    pub bsd_symtab: Option<String>,
    /// `XEN_ELFNOTE_SUPPORTED_FEATURES`.
    pub supported_features: Option<u64>,
    /// `XEN_ELFNOTE_PHYS32_ENTRY`.
    pub phys32_entry: Option<u64>,
    /// The raw `__xen_guest` string, when that was the source.
    pub legacy_guest_string: Option<String>,
    /// How many "Xen" notes were read.
    pub note_count: usize,
}

fn text(desc: &[u8]) -> String {
    let s = until_nul(desc);
    String::from_utf8_lossy(s.get(..MAX_STRING.min(s.len())).unwrap_or_default()).into_owned()
}

fn numeric(desc: &[u8], hdr: &FileHeader) -> Option<u64> {
    let e = hdr.endian;
    match desc.len() {
        1 => u8_at(desc, 0).map(u64::from),
        2 => u16_at(desc, 0, e).map(u64::from),
        4 => u32_at(desc, 0, e).map(u64::from),
        8 => u64_at(desc, 0, e),
        _ => None,
    }
}

impl XenNotes {
    /// Which OS the kernel says it is, if it says.
    pub fn os(&self) -> Option<GuestOs> {
        let os = self.guest_os.as_deref()?;
        Some(if os.starts_with("linux") {
            GuestOs::Linux
        } else if os == "NetBSD" {
            GuestOs::NetBsd
        } else if os == "FreeBSD" {
            GuestOs::FreeBsd
        } else {
            GuestOs::Other
        })
    }

    fn take(&mut self, note: &Note<'_>, hdr: &FileHeader) {
        self.note_count = self.note_count.saturating_add(1);
        let d = note.desc;
        match note.kind {
            ENTRY => self.entry = numeric(d, hdr),
            HYPERCALL_PAGE => self.hypercall_page = numeric(d, hdr),
            VIRT_BASE => self.virt_base = numeric(d, hdr),
            PADDR_OFFSET => self.paddr_offset = numeric(d, hdr),
            XEN_VERSION => self.xen_version = Some(text(d)),
            GUEST_OS => self.guest_os = Some(text(d)),
            GUEST_VERSION => self.guest_version = Some(text(d)),
            BSD_SYMTAB => self.bsd_symtab = Some(text(d)),
            LOADER => self.loader = Some(text(d)),
            PAE_MODE => self.pae_mode = Some(text(d)),
            FEATURES => self.features = Some(text(d)),
            SUPPORTED_FEATURES => self.supported_features = numeric(d, hdr),
            PHYS32_ENTRY => self.phys32_entry = numeric(d, hdr),
            _ => {}
        }
    }

    /// Reads the "Xen" notes in `area` (at file offset `base`).
    fn walk(&mut self, area: &[u8], base: u64, hdr: &FileHeader) -> Result<(), KernelError> {
        for note in Notes::new(area, base, hdr.endian) {
            let note = note?;
            if note.name != b"Xen" {
                continue;
            }
            if self.note_count >= MAX_NOTES {
                return Err(KernelError::corrupt(
                    "ELF note",
                    base,
                    "more than 256 Xen notes",
                ));
            }
            self.take(&note, hdr);
        }
        Ok(())
    }

    /// Fills the fields from a `__xen_guest` string (`KEY=value,...`).
    fn legacy(&mut self, raw: &[u8]) {
        let s = text(raw);
        for item in s.split(',') {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let number = || parse_number(value);
            match key {
                "GUEST_OS" => self.guest_os = Some(value.into()),
                "GUEST_VER" => self.guest_version = Some(value.into()),
                "BSD_SYMTAB" => self.bsd_symtab = Some(value.into()),
                "VIRT_ENTRY" => self.entry = number(),
                "ELF_PADDR_OFFSET" => self.paddr_offset = number(),
                "XEN_VER" => self.xen_version = Some(value.into()),
                "LOADER" => self.loader = Some(value.into()),
                "PAE" => self.pae_mode = Some(value.into()),
                "FEATURES" => self.features = Some(value.into()),
                "VIRT_BASE" => self.virt_base = number(),
                "HYPERCALL_PAGE" => self.hypercall_page = number(),
                _ => {}
            }
        }
        self.legacy_guest_string = Some(s);
    }
}

/// A number as libelf's `strtoull(value, NULL, 0)` reads it: 0x for hex, 0 for octal.
fn parse_number(v: &str) -> Option<u64> {
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if v.len() > 1 && v.starts_with('0') {
        u64::from_str_radix(v.get(1..)?, 8).ok()
    } else {
        v.parse().ok()
    }
}

/// Gathers the Xen notes of an ELF file as libelf does (see the module docs).
pub fn read(data: &[u8], hdr: &FileHeader) -> Result<XenNotes, KernelError> {
    let mut xen = XenNotes::default();
    for i in 0..hdr.phnum {
        let ph = program::read(data, hdr, i)?;
        // libelf skips note segments at offset 0: some binutils wrote them so.
        if ph.kind != program::PT_NOTE || ph.offset == 0 {
            continue;
        }
        let area = slice(data, ph.offset, ph.filesz).ok_or_else(|| {
            KernelError::corrupt("ELF note segment", ph.offset, "outside the file")
        })?;
        xen.walk(area, ph.offset, hdr)?;
    }
    if xen.note_count > 0 {
        xen.source = Some(XenSource::NoteSegments);
        return Ok(xen);
    }
    if hdr.shoff == 0 || hdr.shnum == 0 {
        return Ok(xen);
    }
    let mut sections = Vec::new();
    for i in 0..hdr.shnum {
        sections.push(section::read(data, hdr, i)?);
    }
    for sh in sections.iter().filter(|s| s.kind == section::SHT_NOTE) {
        let area = sh.bytes(data).ok_or_else(|| {
            KernelError::corrupt("ELF note section", sh.offset, "outside the file")
        })?;
        xen.walk(area, sh.offset, hdr)?;
    }
    if xen.note_count > 0 {
        xen.source = Some(XenSource::NoteSections);
        return Ok(xen);
    }
    if let Some(strtab) = sections.get(usize::from(hdr.shstrndx)) {
        let guest = sections
            .iter()
            .find(|sh| section::name(data, strtab, sh) == b"__xen_guest");
        if let Some(raw) = guest.and_then(|sh| sh.bytes(data)) {
            xen.legacy(raw);
            xen.source = Some(XenSource::LegacyGuestSection);
        }
    }
    Ok(xen)
}

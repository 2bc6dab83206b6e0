//! ELF section headers: `SHT_NOTE` sections (where libelf looks for Xen notes when no
//! note segment has them) and the legacy `__xen_guest` section, found by name.

use crate::bytes::{slice, u32_at, u64_at, until_nul};
use crate::elf::header::{Class, FileHeader};
use crate::error::KernelError;

/// `sh_type` of a note section.
pub const SHT_NOTE: u32 = 7;
/// The longest section name compared.
const MAX_NAME: u64 = 64;

/// The fields of a section header this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    /// `sh_name`: offset of the name in the section name string table.
    pub name: u32,
    /// `sh_type`.
    pub kind: u32,
    /// `sh_offset`.
    pub offset: u64,
    /// `sh_size`.
    pub size: u64,
}

impl SectionHeader {
    /// The section's bytes, if they lie inside the file (`SHT_NOBITS` and damaged
    /// headers do not).
    pub fn bytes<'a>(&self, data: &'a [u8]) -> Option<&'a [u8]> {
        slice(data, self.offset, self.size)
    }
}

/// The `index`th section header (the table's bounds were checked with the header).
pub fn read(data: &[u8], hdr: &FileHeader, index: u16) -> Result<SectionHeader, KernelError> {
    let at = hdr
        .shoff
        .saturating_add(u64::from(hdr.shentsize).saturating_mul(u64::from(index)));
    let cut = || KernelError::corrupt("ELF section header", at, "outside the file");
    let e = hdr.endian;
    Ok(match hdr.class {
        Class::Elf32 => SectionHeader {
            name: u32_at(data, at, e).ok_or_else(cut)?,
            kind: u32_at(data, at.saturating_add(4), e).ok_or_else(cut)?,
            offset: u64::from(u32_at(data, at.saturating_add(16), e).ok_or_else(cut)?),
            size: u64::from(u32_at(data, at.saturating_add(20), e).ok_or_else(cut)?),
        },
        Class::Elf64 => SectionHeader {
            name: u32_at(data, at, e).ok_or_else(cut)?,
            kind: u32_at(data, at.saturating_add(4), e).ok_or_else(cut)?,
            offset: u64_at(data, at.saturating_add(24), e).ok_or_else(cut)?,
            size: u64_at(data, at.saturating_add(32), e).ok_or_else(cut)?,
        },
    })
}

/// The name of section `sh` from the string table `strtab` (empty if it points
/// outside the table).
pub fn name<'a>(data: &'a [u8], strtab: &SectionHeader, sh: &SectionHeader) -> &'a [u8] {
    let table = strtab.bytes(data).unwrap_or_default();
    let start = u64::from(sh.name);
    let len = MAX_NAME.min((table.len() as u64).saturating_sub(start));
    until_nul(slice(table, start, len).unwrap_or_default())
}

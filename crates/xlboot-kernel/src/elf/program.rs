//! ELF program headers: only `PT_NOTE` segments matter here, where Xen's notes live.

use crate::bytes::{u32_at, u64_at};
use crate::elf::header::{Class, FileHeader};
use crate::error::KernelError;

/// `p_type` of a note segment.
pub const PT_NOTE: u32 = 4;

/// The fields of a program header this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramHeader {
    /// `p_type`.
    pub kind: u32,
    /// `p_offset`: where the segment's bytes are in the file.
    pub offset: u64,
    /// `p_filesz`.
    pub filesz: u64,
}

/// The `index`th program header (the table's bounds were checked with the header).
pub fn read(data: &[u8], hdr: &FileHeader, index: u16) -> Result<ProgramHeader, KernelError> {
    let at = hdr
        .phoff
        .saturating_add(u64::from(hdr.phentsize).saturating_mul(u64::from(index)));
    let cut = || KernelError::corrupt("ELF program header", at, "outside the file");
    let e = hdr.endian;
    Ok(match hdr.class {
        Class::Elf32 => ProgramHeader {
            kind: u32_at(data, at, e).ok_or_else(cut)?,
            offset: u64::from(u32_at(data, at.saturating_add(4), e).ok_or_else(cut)?),
            filesz: u64::from(u32_at(data, at.saturating_add(16), e).ok_or_else(cut)?),
        },
        Class::Elf64 => ProgramHeader {
            kind: u32_at(data, at, e).ok_or_else(cut)?,
            offset: u64_at(data, at.saturating_add(8), e).ok_or_else(cut)?,
            filesz: u64_at(data, at.saturating_add(32), e).ok_or_else(cut)?,
        },
    })
}

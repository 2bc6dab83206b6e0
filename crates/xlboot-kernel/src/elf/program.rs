//! ELF program headers: `PT_NOTE` segments, where Xen's notes live, and the loadable
//! segments whose physical extent libelf checks the entry points against.

use crate::bytes::{u32_at, u64_at};
use crate::elf::header::{Class, FileHeader};
use crate::error::KernelError;

/// `p_type` of a loadable segment.
pub const PT_LOAD: u32 = 1;
/// `p_type` of a note segment.
pub const PT_NOTE: u32 = 4;
/// `p_flags` bits execute, write, read: libelf loads a `PT_LOAD` only with one set.
const PF_RWX: u32 = 7;

/// The fields of a program header this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramHeader {
    /// `p_type`.
    pub kind: u32,
    /// `p_flags`.
    pub flags: u32,
    /// `p_offset`: where the segment's bytes are in the file.
    pub offset: u64,
    /// `p_paddr`: the physical address it is loaded at.
    pub paddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
    /// `p_memsz`: its size in memory (`.bss` included).
    pub memsz: u64,
}

impl ProgramHeader {
    /// Whether libelf loads it (`elf_phdr_is_loadable`).
    pub fn is_loadable(&self) -> bool {
        self.kind == PT_LOAD && self.flags & PF_RWX != 0
    }
}

/// The `index`th program header (the table's bounds were checked with the header).
pub fn read(data: &[u8], hdr: &FileHeader, index: u16) -> Result<ProgramHeader, KernelError> {
    let at = hdr
        .phoff
        .saturating_add(u64::from(hdr.phentsize).saturating_mul(u64::from(index)));
    let cut = || KernelError::corrupt("ELF program header", at, "outside the file");
    let e = hdr.endian;
    let w32 = |off: u64| u32_at(data, at.saturating_add(off), e).ok_or_else(cut);
    let w64 = |off: u64| u64_at(data, at.saturating_add(off), e).ok_or_else(cut);
    Ok(match hdr.class {
        Class::Elf32 => ProgramHeader {
            kind: w32(0)?,
            offset: u64::from(w32(4)?),
            paddr: u64::from(w32(12)?),
            filesz: u64::from(w32(16)?),
            memsz: u64::from(w32(20)?),
            flags: w32(24)?,
        },
        Class::Elf64 => ProgramHeader {
            kind: w32(0)?,
            flags: w32(4)?,
            offset: w64(8)?,
            paddr: w64(24)?,
            filesz: w64(32)?,
            memsz: w64(40)?,
        },
    })
}

/// The physical memory the loadable segments span, `[start, end)`, as libelf's
/// `elf_parse_binary` computes it (`pstart`, `pend`); `None` without one.
pub fn load_extent(data: &[u8], hdr: &FileHeader) -> Result<Option<(u64, u64)>, KernelError> {
    let mut extent: Option<(u64, u64)> = None;
    for i in 0..hdr.phnum {
        let ph = read(data, hdr, i)?;
        if !ph.is_loadable() {
            continue;
        }
        // libelf adds in 64 bits without a check; a sum that wraps is a damaged
        // header, refused here rather than wrapped.
        let end = ph.paddr.checked_add(ph.memsz).ok_or(KernelError::corrupt(
            "ELF program header",
            hdr.phoff,
            "p_paddr + p_memsz past the end of the address space",
        ))?;
        extent = Some(match extent {
            None => (ph.paddr, end),
            Some((low, high)) => (low.min(ph.paddr), high.max(end)),
        });
    }
    Ok(extent)
}

/// The loadable segments as a loader writes them (libelf's `elf_load_binary`):
/// `filesz` bytes of the file from `offset` at `paddr`, then zeros up to `memsz`.
/// Each is checked against the file and the address space, so that the caller can
/// slice the file and add to `paddr` without a further check.
pub fn load_segments(
    data: &[u8],
    hdr: &FileHeader,
) -> Result<alloc::vec::Vec<ProgramHeader>, KernelError> {
    let mut segments = alloc::vec::Vec::new();
    for i in 0..hdr.phnum {
        let ph = read(data, hdr, i)?;
        if !ph.is_loadable() {
            continue;
        }
        let at = hdr
            .phoff
            .saturating_add(u64::from(hdr.phentsize).saturating_mul(u64::from(i)));
        let bad = |detail| Err(KernelError::corrupt("ELF program header", at, detail));
        if ph.filesz > ph.memsz {
            return bad("p_filesz larger than p_memsz");
        }
        if ph.paddr.checked_add(ph.memsz).is_none() {
            return bad("p_paddr + p_memsz past the end of the address space");
        }
        if ph
            .offset
            .checked_add(ph.filesz)
            .is_none_or(|end| end > data.len() as u64)
        {
            return bad("p_offset + p_filesz past the end of the file");
        }
        segments.push(ph);
    }
    Ok(segments)
}

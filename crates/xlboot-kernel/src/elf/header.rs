//! The ELF file header (System V gABI): class, byte order, machine, entry point and
//! where the program and section header tables are.

use crate::bytes::{slice, u16_at, u32_at, u64_at, u8_at, Endian};
use crate::error::KernelError;

/// ELF class: 32 or 64-bit fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// ELFCLASS32.
    Elf32,
    /// ELFCLASS64.
    Elf64,
}

/// `e_machine` of 32-bit x86.
pub const EM_386: u16 = 3;
/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;

/// The fields of the file header this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    /// 32 or 64-bit.
    pub class: Class,
    /// Byte order of every field.
    pub endian: Endian,
    /// `e_machine` (3 is i386, 62 is x86-64).
    pub machine: u16,
    /// `e_entry`.
    pub entry: u64,
    /// Program header table: offset, entry size, count.
    pub phoff: u64,
    /// Size of one program header.
    pub phentsize: u16,
    /// Number of program headers.
    pub phnum: u16,
    /// Section header table offset (0: none).
    pub shoff: u64,
    /// Size of one section header.
    pub shentsize: u16,
    /// Number of section headers.
    pub shnum: u16,
    /// Index of the section name string table.
    pub shstrndx: u16,
}

/// Whether `data` starts with the ELF magic.
pub fn looks_like(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

/// Reads the file header.
pub fn parse(data: &[u8]) -> Result<FileHeader, KernelError> {
    const S: &str = "ELF file header";
    let cut = || KernelError::corrupt(S, 0, "file ends inside the ELF header");
    if !looks_like(data) {
        return Err(KernelError::NotAKernel);
    }
    let class = match u8_at(data, 4).ok_or_else(cut)? {
        1 => Class::Elf32,
        2 => Class::Elf64,
        _ => {
            return Err(KernelError::corrupt(
                S,
                4,
                "EI_CLASS is neither 32 nor 64-bit",
            ))
        }
    };
    let e = match u8_at(data, 5).ok_or_else(cut)? {
        1 => Endian::Little,
        2 => Endian::Big,
        _ => {
            return Err(KernelError::corrupt(
                S,
                5,
                "EI_DATA is neither little nor big endian",
            ))
        }
    };
    let h16 = |off| u16_at(data, off, e).ok_or_else(cut);
    let h32 = |off| u32_at(data, off, e).ok_or_else(cut);
    let h64 = |off| u64_at(data, off, e).ok_or_else(cut);
    let hdr = match class {
        Class::Elf32 => FileHeader {
            class,
            endian: e,
            machine: h16(18)?,
            entry: u64::from(h32(24)?),
            phoff: u64::from(h32(28)?),
            shoff: u64::from(h32(32)?),
            phentsize: h16(42)?,
            phnum: h16(44)?,
            shentsize: h16(46)?,
            shnum: h16(48)?,
            shstrndx: h16(50)?,
        },
        Class::Elf64 => FileHeader {
            class,
            endian: e,
            machine: h16(18)?,
            entry: h64(24)?,
            phoff: h64(32)?,
            shoff: h64(40)?,
            phentsize: h16(54)?,
            phnum: h16(56)?,
            shentsize: h16(58)?,
            shnum: h16(60)?,
            shstrndx: h16(62)?,
        },
    };
    let (ph_min, sh_min) = match class {
        Class::Elf32 => (32, 40),
        Class::Elf64 => (56, 64),
    };
    if hdr.phnum != 0 {
        if hdr.phentsize < ph_min {
            return Err(KernelError::corrupt(
                S,
                0,
                "e_phentsize smaller than a program header",
            ));
        }
        let len = u64::from(hdr.phentsize).saturating_mul(u64::from(hdr.phnum));
        if slice(data, hdr.phoff, len).is_none() {
            return Err(KernelError::corrupt(
                S,
                0,
                "program header table outside the file",
            ));
        }
    }
    if hdr.shoff != 0 && hdr.shnum != 0 {
        if hdr.shentsize < sh_min {
            return Err(KernelError::corrupt(
                S,
                0,
                "e_shentsize smaller than a section header",
            ));
        }
        let len = u64::from(hdr.shentsize).saturating_mul(u64::from(hdr.shnum));
        if slice(data, hdr.shoff, len).is_none() {
            return Err(KernelError::corrupt(
                S,
                0,
                "section header table outside the file",
            ));
        }
    }
    Ok(hdr)
}

//! The x86 boot protocol's setup header, at 0x1f1 in a bzImage (Linux's
//! Documentation/arch/x86/boot.rst), and where it says the compressed payload is.
//!
//! libxenguest's bzImage loader (xg_dom_bzimageloader.c) accepts an image whose
//! header magic is `HdrS` and whose boot protocol is 2.08 or later (the first with
//! `payload_offset`/`payload_length`); the boot sector signature 0xAA55 is what every
//! x86 boot loader checks first. We require the same.

use alloc::string::String;

use crate::bytes::{slice, u16_at, u32_at, u8_at, until_nul, Endian::Little};
use crate::error::KernelError;

/// Offset of the boot sector signature (`boot_flag`).
const BOOT_FLAG: u64 = 0x1fe;
/// Offset of the `HdrS` magic.
const HEADER: u64 = 0x202;
/// The oldest boot protocol with a payload pointer (2.08), as libxenguest requires.
pub const MIN_PROTOCOL: u16 = 0x0208;
/// The longest `kernel_version` string we read; Linux's is about 100 bytes.
const MAX_VERSION_LEN: u64 = 256;
/// The setup code is at most this many 512-byte sectors (`setup_sects` is one byte).
const SECTOR: u64 = 512;

/// The fields of the setup header this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupHeader {
    /// Boot protocol version, major in the high byte (0x020f is 2.15).
    pub protocol: u16,
    /// Sectors of real-mode setup code after the boot sector (0 means 4).
    pub setup_sects: u8,
    /// Size of the protected-mode code in 16-byte paragraphs.
    pub syssize: u32,
    /// Extended load flags (2.12+): bit 0 is "64-bit entry at 0x200", bits 2 and 3
    /// are the EFI handover entries. 0 before 2.12.
    pub xloadflags: u16,
    /// Offset of the compressed payload from the start of the protected-mode code.
    pub payload_offset: u32,
    /// Length of the compressed payload.
    pub payload_length: u32,
    /// Memory the kernel needs from its load address to decompress in place (2.10+;
    /// 0 before).
    pub init_size: u32,
    /// The `kernel_version` string ("6.1.0-50-amd64 (debian-kernel@...) #1 SMP ..."),
    /// if the header points at one.
    pub kernel_version: Option<String>,
}

impl SetupHeader {
    /// Offset of the protected-mode code in the image: the boot sector and the setup
    /// sectors come before it.
    pub fn protected_mode_offset(&self) -> u64 {
        let sects = if self.setup_sects == 0 {
            4
        } else {
            u64::from(self.setup_sects)
        };
        sects.saturating_add(1).saturating_mul(SECTOR)
    }

    /// Offset and length of the compressed payload in the image.
    pub fn payload_range(&self) -> (u64, u64) {
        (
            self.protected_mode_offset()
                .saturating_add(u64::from(self.payload_offset)),
            u64::from(self.payload_length),
        )
    }
}

/// Whether `image` starts as a bzImage (signature and `HdrS`), before any check.
pub fn looks_like(image: &[u8]) -> bool {
    u16_at(image, BOOT_FLAG, Little) == Some(0xAA55) && slice(image, HEADER, 4) == Some(b"HdrS")
}

/// Reads the setup header of a bzImage; `looks_like` must have said yes.
pub fn parse(image: &[u8]) -> Result<SetupHeader, KernelError> {
    const S: &str = "setup header";
    let cut = || KernelError::corrupt(S, 0x1f1, "image ends inside the setup header");
    let protocol = u16_at(image, 0x206, Little).ok_or_else(cut)?;
    if protocol < MIN_PROTOCOL {
        return Err(KernelError::Unsupported {
            detail:
                "boot protocol older than 2.08 (no payload pointer; libxenguest refuses it too)",
        });
    }
    let mut hdr = SetupHeader {
        protocol,
        setup_sects: u8_at(image, 0x1f1).ok_or_else(cut)?,
        syssize: u32_at(image, 0x1f4, Little).ok_or_else(cut)?,
        xloadflags: if protocol >= 0x020c {
            u16_at(image, 0x236, Little).ok_or_else(cut)?
        } else {
            0
        },
        payload_offset: u32_at(image, 0x248, Little).ok_or_else(cut)?,
        payload_length: u32_at(image, 0x24c, Little).ok_or_else(cut)?,
        init_size: if protocol >= 0x020a {
            u32_at(image, 0x260, Little).ok_or_else(cut)?
        } else {
            0
        },
        kernel_version: None,
    };
    let setup_end = hdr.protected_mode_offset();
    if setup_end > image.len() as u64 {
        return Err(KernelError::corrupt(
            S,
            0x1f1,
            "setup_sects points past the end of the image",
        ));
    }
    let version_ptr = u16_at(image, 0x20e, Little).ok_or_else(cut)?;
    if version_ptr != 0 {
        // The string lies in the setup code; the pointer is relative to 0x200.
        let start = 0x200u64.saturating_add(u64::from(version_ptr));
        let len = MAX_VERSION_LEN.min(setup_end.saturating_sub(start));
        if let Some(raw) = slice(image, start, len).filter(|r| !r.is_empty()) {
            hdr.kernel_version = Some(String::from_utf8_lossy(until_nul(raw)).into_owned());
        }
    }
    let (start, len) = hdr.payload_range();
    if slice(image, start, len).is_none() || len == 0 {
        return Err(KernelError::corrupt(
            S,
            0x248,
            "payload_offset/payload_length point outside the image",
        ));
    }
    Ok(hdr)
}

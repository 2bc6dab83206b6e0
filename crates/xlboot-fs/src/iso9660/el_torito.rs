//! The El Torito boot catalog: 32-byte entries in the sector the boot record
//! descriptor names. A validation entry (header 1, key `55 AA`, words summing to
//! zero), the initial/default entry, then sections (header 0x90, or 0x91 for the
//! last) each followed by their entries; extension entries (0x44) are skipped.
//!
//! xlboot does not boot through El Torito (a Xen PV guest has no BIOS); the catalog is
//! read for `inspect`, so it is parsed to a bound ([`MAX_ENTRIES`], within
//! [`MAX_SECTORS`] sectors) and never consulted when booting.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_disk::BlockDevice;

use crate::bytes::{le16, le32, slice, u8_at};
use crate::FsError;

/// Most catalog sectors read.
pub const MAX_SECTORS: u64 = 4;
/// Most boot entries returned.
pub const MAX_ENTRIES: usize = 64;
const ENTRY: usize = 32;

/// One bootable image in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootEntry {
    /// Platform of its section: 0 x86 BIOS, 0xEF UEFI, ...
    pub platform: u8,
    /// Whether it is marked bootable (0x88).
    pub bootable: bool,
    /// Emulation: 0 none, 1-3 floppies, 4 hard disk.
    pub media: u8,
    /// Virtual sectors (512 bytes) loaded.
    pub sector_count: u16,
    /// First sector (2048 bytes) of the image.
    pub load_rba: u32,
}

/// The parsed catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootCatalog {
    /// Sector of the catalog.
    pub sector: u32,
    /// The initial/default entry first, then section entries in order.
    pub entries: Vec<BootEntry>,
}

fn corrupt(sector: u32, what: &str) -> FsError {
    FsError::Corrupt(format!(
        "ISO9660: El Torito boot catalog at sector {sector}: {what}"
    ))
}

fn boot_entry(e: &[u8], platform: u8) -> Option<BootEntry> {
    Some(BootEntry {
        platform,
        bootable: u8_at(e, 0)? == 0x88,
        media: u8_at(e, 1)? & 0x0F,
        sector_count: le16(e, 6)?,
        load_rba: le32(e, 8)?,
    })
}

/// Reads and checks the catalog at `sector`.
pub fn read<D: BlockDevice>(dev: &D, sector: u32) -> Result<BootCatalog, FsError> {
    let from = u64::from(sector).saturating_mul(2048);
    let avail = dev.size().saturating_sub(from).min(MAX_SECTORS * 2048);
    if avail < 64 {
        return Err(corrupt(sector, "past the end of the volume"));
    }
    let mut buf = vec![0u8; usize::try_from(avail).unwrap_or(2048)];
    dev.read_exact_at(from, &mut buf)
        .map_err(|e| corrupt(sector, &format!("{e}")))?;
    let v = slice(&buf, 0, ENTRY).ok_or_else(|| corrupt(sector, "short"))?;
    if u8_at(v, 0) != Some(1) || slice(v, 30, 2) != Some(&[0x55, 0xAA][..]) {
        return Err(corrupt(sector, "no validation entry"));
    }
    let sum = v.chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([
            w.first().copied().unwrap_or(0),
            w.get(1).copied().unwrap_or(0),
        ]))
    });
    if sum != 0 {
        return Err(corrupt(sector, "validation entry checksum mismatch"));
    }
    let mut platform = u8_at(v, 1).unwrap_or(0);
    let mut entries = Vec::new();
    let initial = slice(&buf, ENTRY, ENTRY).ok_or_else(|| corrupt(sector, "short"))?;
    entries.push(boot_entry(initial, platform).ok_or_else(|| corrupt(sector, "short"))?);
    // Sections: a header, then its entries (each possibly followed by extensions).
    let mut last = false;
    let mut left_in_section = 0u16;
    for e in buf.chunks_exact(ENTRY).skip(2) {
        let id = u8_at(e, 0).unwrap_or(0);
        if left_in_section == 0 {
            if last || !matches!(id, 0x90 | 0x91) {
                break;
            }
            last = id == 0x91;
            platform = u8_at(e, 1).unwrap_or(0);
            left_in_section = le16(e, 2).unwrap_or(0);
            continue;
        }
        if id == 0x44 {
            continue;
        }
        if entries.len() >= MAX_ENTRIES {
            return Err(FsError::Limit(format!(
                "ISO9660: El Torito boot catalog at sector {sector} has more than {MAX_ENTRIES} entries"
            )));
        }
        entries.push(boot_entry(e, platform).ok_or_else(|| corrupt(sector, "short"))?);
        left_in_section = left_in_section.saturating_sub(1);
    }
    Ok(BootCatalog { sector, entries })
}

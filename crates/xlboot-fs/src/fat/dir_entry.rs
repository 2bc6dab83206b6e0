//! Directory entries: 32 bytes each, either a short (8.3) entry that describes a file,
//! or a long-file-name (LFN) entry holding 13 UCS-2 characters of the name of the
//! short entry that follows the run.
//!
//! An LFN run is stored last part first: the first entry has bit 0x40 in its ordinal
//! and the count of entries, each next one the ordinal below, ending at 1 just before
//! the short entry; every part carries the checksum of the short name. A run that
//! breaks any of that is dropped and the short name is used, as Windows and Linux do.
//! When the run is whole the long name is the file's only name (GRUB matches no
//! other), converted from UCS-2 (surrogate pairs included) to UTF-8.
//!
//! Short names are shown as Windows NT writes them: blanks trimmed, and the base or the
//! extension lowercased when the NT case bits (byte 12) say so.

use alloc::vec::Vec;

use crate::bytes::{le16, le32, slice, u8_at};

/// Size of one entry.
pub(crate) const ENTRY_SIZE: usize = 32;

pub(crate) const ATTR_VOLUME_ID: u8 = 0x08;
pub(crate) const ATTR_DIRECTORY: u8 = 0x10;
/// Read-only | hidden | system | volume id: the marker of an LFN entry.
const ATTR_LFN: u8 = 0x0F;
/// First name byte of a deleted entry.
const DELETED: u8 = 0xE5;
/// NT case bits: base name lowercase, extension lowercase.
const NT_LOWER_BASE: u8 = 0x08;
const NT_LOWER_EXT: u8 = 0x10;
/// Longest long name in UCS-2 units (20 entries of 13).
const LFN_MAX_UNITS: usize = 255;
const LFN_PARTS: u8 = 20;

/// A short entry's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShortEntry {
    pub name: [u8; 11],
    pub attr: u8,
    pub nt_case: u8,
    pub cluster_hi: u16,
    pub cluster_lo: u16,
    pub size: u32,
}

/// What one 32-byte slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// First byte 0: this and every later slot are unused.
    End,
    /// A deleted entry.
    Deleted,
    /// A part of a long name (the whole slot).
    Lfn([u8; ENTRY_SIZE]),
    /// The volume label (in the root directory): its 11 bytes.
    Label([u8; 11]),
    /// A file or directory.
    Short(ShortEntry),
}

/// Classifies a 32-byte slot; `None` when `b` is short.
pub(crate) fn slot(b: &[u8]) -> Option<Slot> {
    let first = u8_at(b, 0)?;
    let attr = u8_at(b, 11)?;
    if first == 0 {
        return Some(Slot::End);
    }
    if first == DELETED {
        return Some(Slot::Deleted);
    }
    if attr & 0x3F == ATTR_LFN {
        let mut raw = [0u8; ENTRY_SIZE];
        raw.copy_from_slice(slice(b, 0, ENTRY_SIZE)?);
        return Some(Slot::Lfn(raw));
    }
    let mut name = [0u8; 11];
    name.copy_from_slice(slice(b, 0, 11)?);
    if attr & (ATTR_VOLUME_ID | ATTR_DIRECTORY) == ATTR_VOLUME_ID {
        return Some(Slot::Label(name));
    }
    Some(Slot::Short(ShortEntry {
        name,
        attr,
        nt_case: u8_at(b, 12)?,
        cluster_hi: le16(b, 20)?,
        cluster_lo: le16(b, 26)?,
        size: le32(b, 28)?,
    }))
}

impl ShortEntry {
    /// Whether it is `.` or `..`.
    pub(crate) fn is_dot(&self) -> bool {
        self.name == *b".          " || self.name == *b"..         "
    }

    /// The displayed 8.3 name (see the module comment).
    pub(crate) fn display_name(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12);
        let (base, ext) = self.name.split_at(8);
        let trim = |s: &[u8]| trimmed_len(s);
        for (i, &c) in base.iter().take(trim(base)).enumerate() {
            // 0x05 in the first byte stands for 0xE5, a valid lead byte in some code
            // pages, which would otherwise read as "deleted".
            let c = if i == 0 && c == 0x05 { DELETED } else { c };
            out.push(if self.nt_case & NT_LOWER_BASE != 0 {
                c.to_ascii_lowercase()
            } else {
                c
            });
        }
        let ext_len = trim(ext);
        if ext_len > 0 {
            out.push(b'.');
            for &c in ext.iter().take(ext_len) {
                out.push(if self.nt_case & NT_LOWER_EXT != 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                });
            }
        }
        out
    }

    /// The checksum LFN entries carry of this short name.
    pub(crate) fn checksum(&self) -> u8 {
        self.name
            .iter()
            .fold(0u8, |s, &c| s.rotate_right(1).wrapping_add(c))
    }
}

/// Collects one LFN run across slots (see the module comment).
#[derive(Debug, Default)]
pub(crate) struct LongName {
    units: Vec<u16>,
    /// Checksum of the run, and the ordinal the next part must have (0: none open).
    checksum: u8,
    expect: u8,
    /// Parts seen so far, all valid.
    open: bool,
}

/// Offsets of the 13 UCS-2 characters inside an LFN slot.
const LFN_CHARS: [usize; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

impl LongName {
    /// Forgets any run in progress.
    pub(crate) fn reset(&mut self) {
        self.open = false;
        self.expect = 0;
        self.units.clear();
    }

    /// Takes one LFN slot.
    pub(crate) fn push(&mut self, b: &[u8]) {
        let (Some(ord), Some(sum)) = (u8_at(b, 0), u8_at(b, 13)) else {
            self.reset();
            return;
        };
        let seq = ord & 0x1F;
        if ord & 0x40 != 0 {
            self.reset();
            if seq == 0 || seq > LFN_PARTS {
                return;
            }
            self.units = alloc::vec![0xFFFF; usize::from(seq).saturating_mul(13)];
            self.checksum = sum;
            self.open = true;
        } else if !self.open || seq != self.expect || sum != self.checksum || ord & 0xA0 != 0 {
            self.reset();
            return;
        }
        let base = usize::from(seq.saturating_sub(1)).saturating_mul(13);
        for (k, &off) in LFN_CHARS.iter().enumerate() {
            let u = le16(b, off).unwrap_or(0);
            if let Some(slot) = self.units.get_mut(base.saturating_add(k)) {
                *slot = u;
            }
        }
        self.expect = seq.saturating_sub(1);
    }

    /// The long name for `short` if a whole, matching run precedes it, as UTF-8.
    /// Consumes the run either way.
    pub(crate) fn take(&mut self, short: &ShortEntry) -> Option<Vec<u8>> {
        let whole = self.open && self.expect == 0 && self.checksum == short.checksum();
        let units = core::mem::take(&mut self.units);
        self.reset();
        if !whole {
            return None;
        }
        // The name ends at the first NUL (padding after it is 0xFFFF).
        let len = units.iter().position(|&u| u == 0).unwrap_or(units.len());
        let units = units.get(..len.min(LFN_MAX_UNITS))?;
        if units.is_empty() {
            return None;
        }
        Some(ucs2_to_utf8(units))
    }
}

/// UTF-16 to UTF-8; an unpaired surrogate becomes U+FFFD.
pub(crate) fn ucs2_to_utf8(units: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(units.len());
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out
}

/// Length of `s` without its trailing blanks.
pub(crate) fn trimmed_len(s: &[u8]) -> usize {
    s.iter()
        .rposition(|&c| c != b' ')
        .map_or(0, |i| i.saturating_add(1))
}

/// ASCII case-insensitive equality, as FAT lookups compare (GRUB folds ASCII only).
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

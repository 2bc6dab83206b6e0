//! Rock Ridge (IEEE P1282): POSIX names, modes and symbolic links carried as SUSP
//! entries in each directory record, and the relocation of directories nested deeper
//! than ECMA-119's eight levels.
//!
//! Entries read: `NM` (the name, in parts), `PX` (the mode: directory, file, link or
//! other), `SL` (the link target, as components), `CL` (this file record stands for a
//! directory relocated to the given sector), `RE` (this directory is such a relocated
//! one: it is hidden where it physically is, as Linux hides it), `PL` (the relocated
//! directory's real parent; path resolution walks `..` itself, so it is only noted).
//! Names and link targets are capped in length, so a run of `NM` or `SL` parts cannot
//! grow without a bound.

use alloc::format;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use super::susp::{self, Entry};
use crate::bytes::{le32, u8_at};
use crate::{FileKind, FsError};

/// Longest Rock Ridge name accepted (Linux's NAME_MAX is 255; xorriso writes up to 255).
pub(crate) const MAX_NAME: usize = 1024;
/// Longest link target assembled (Linux's PATH_MAX).
pub(crate) const MAX_LINK: usize = 4096;

/// What the Rock Ridge entries of one record say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RockRidge {
    /// The POSIX name, when an `NM` entry gives one.
    pub name: Option<Vec<u8>>,
    /// The file type from `PX`.
    pub kind: Option<FileKind>,
    /// The link target from `SL`, when there is one.
    pub link: Option<Vec<u8>>,
    /// `CL`: the sector of the relocated directory this record stands for.
    pub child_link: Option<u32>,
    /// `RE`: this directory was relocated and is hidden here.
    pub relocated: bool,
    /// Whether `PL` was seen (noted only).
    pub parent_link: bool,
}

/// The `SL` target being assembled: components, and whether the last is still open
/// (its component record had the "continue" flag).
#[derive(Default)]
struct Link {
    out: Vec<u8>,
    open: bool,
    started: bool,
}

impl Link {
    fn push_component(&mut self, flags: u8, content: &[u8], at: u64) -> Result<(), FsError> {
        let piece: &[u8] = if flags & 0x02 != 0 {
            b"."
        } else if flags & 0x04 != 0 {
            b".."
        } else if flags & 0x08 != 0 {
            // The root: the target is absolute from here on.
            self.out.clear();
            self.out.push(b'/');
            self.started = false;
            self.open = false;
            return Ok(());
        } else {
            content
        };
        if self.started && !self.open {
            self.out.push(b'/');
        }
        self.out.extend_from_slice(piece);
        self.started = true;
        self.open = flags & 0x01 != 0;
        if self.out.len() > MAX_LINK {
            return Err(FsError::Limit(format!(
                "ISO9660: record at byte {at}: symbolic link target over {MAX_LINK} bytes"
            )));
        }
        Ok(())
    }
}

/// Reads the Rock Ridge entries of a record's system use area.
pub(crate) fn read<D: BlockDevice>(dev: &D, area: &[u8], at: u64) -> Result<RockRidge, FsError> {
    let mut rr = RockRidge::default();
    let mut link = Link::default();
    let mut saw_sl = false;
    let mut name_open = true;
    susp::for_each(dev, area, at, &mut |e: &Entry<'_>| {
        let d = e.data();
        let bad = |what: &str| {
            FsError::Corrupt(format!(
                "ISO9660: record at byte {at}: {what} Rock Ridge entry"
            ))
        };
        match &e.sig {
            b"NM" => {
                let flags = u8_at(d, 0).ok_or_else(|| bad("short NM"))?;
                if flags & 0x06 != 0 || !name_open {
                    // `.`/`..` names, or parts after a final one.
                    return Ok(ControlFlow::Continue(()));
                }
                let part = d.get(1..).unwrap_or(&[]);
                let name = rr.name.get_or_insert_with(Vec::new);
                name.extend_from_slice(part);
                if name.len() > MAX_NAME {
                    return Err(FsError::Limit(format!(
                        "ISO9660: record at byte {at}: Rock Ridge name over {MAX_NAME} bytes"
                    )));
                }
                name_open = flags & 0x01 != 0;
            }
            b"PX" => {
                let mode = le32(d, 0).ok_or_else(|| bad("short PX"))?;
                rr.kind = Some(match mode & 0o170_000 {
                    0o040_000 => FileKind::Directory,
                    0o100_000 => FileKind::Regular,
                    0o120_000 => FileKind::Symlink,
                    _ => FileKind::Other,
                });
            }
            b"SL" => {
                saw_sl = true;
                // Component records after the entry's flag byte: flags, length, bytes.
                let mut pos = 1usize;
                while pos.saturating_add(2) <= d.len() {
                    let flags = u8_at(d, pos).unwrap_or(0);
                    let len = usize::from(u8_at(d, pos.saturating_add(1)).unwrap_or(0));
                    let start = pos.saturating_add(2);
                    let content = d
                        .get(start..start.saturating_add(len))
                        .ok_or_else(|| bad("SL component past the end of its"))?;
                    link.push_component(flags, content, at)?;
                    pos = start.saturating_add(len);
                }
            }
            b"CL" => rr.child_link = Some(le32(d, 0).ok_or_else(|| bad("short CL"))?),
            b"RE" => rr.relocated = true,
            b"PL" => rr.parent_link = true,
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if saw_sl {
        if link.out.is_empty() {
            return Err(FsError::Corrupt(format!(
                "ISO9660: record at byte {at}: empty Rock Ridge link target"
            )));
        }
        rr.link = Some(link.out);
    }
    Ok(rr)
}

/// Whether the root's `.` record starts with `SP` (SUSP in use) and has an `ER`
/// entry (an extension, Rock Ridge, is recorded) — GRUB's test for Rock Ridge.
/// Returns the SP skip length when so.
pub(crate) fn detect<D: BlockDevice>(dev: &D, area: &[u8], at: u64) -> Result<Option<u8>, FsError> {
    if area.get(..2) != Some(b"SP") || u8_at(area, 4) != Some(0xBE) || u8_at(area, 5) != Some(0xEF)
    {
        return Ok(None);
    }
    let skip = u8_at(area, 6).unwrap_or(0);
    let mut er = false;
    susp::for_each(dev, area, at, &mut |e| {
        er = &e.sig == b"ER";
        Ok(if er {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })?;
    Ok(er.then_some(skip))
}

//! Writing the guest's GRUB environment block back as GRUB's `save_env` would at boot
//! (`next_entry` cleared after a `grub-reboot`, `saved_entry` from `savedefault`,
//! Ubuntu's `recordfail`), decided here and written by someone else.
//!
//! This crate only plans: for each block file the config's `save_env` commands touch
//! on the way to the chosen entry, the block as GRUB would leave it
//! ([`xlboot_config::grubenv::save`]) and the one place on the disk where the file's
//! bytes are. The caller (the privileged parent, never the sandboxed child) writes it
//! there only if those bytes are still the ones read (compare and write).
//!
//! The plan is refused, whole, unless every block is plain and mapped the way GRUB's
//! own `save_env` insists (`check_blocklists`): exactly 1024 bytes in one contiguous
//! run of the volume, holding on the disk exactly what the filesystem reads for the
//! file. A refusal leaves the guest as it was.
//!
//! When the default entry cannot be booted and a `fallback` entry is, GRUB would have
//! run the failed entry's body (and its `save_env` commands) first; the plan holds the
//! config's and the booted entry's only.

use alloc::format;
use alloc::vec::Vec;

use xlboot_config::grub2::EnvSave;
use xlboot_config::grubenv::{self, DEFAULT_SIZE};
use xlboot_config::{ConfigHost, FilePath};

use crate::error::{BootError, ErrorKind};
use crate::guest::{in_file, read_whole, Guest};

/// One environment block to rewrite in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvWrite {
    /// The block file, for messages.
    pub file: FilePath,
    /// Byte offset of the file's first byte on the disk.
    pub disk_offset: u64,
    /// The bytes there now (as read).
    pub old: Vec<u8>,
    /// The bytes GRUB would leave.
    pub new: Vec<u8>,
}

fn refused(file: &FilePath, why: impl core::fmt::Display) -> BootError {
    BootError::new(
        ErrorKind::Unsupported,
        format!("{file}: not updated: {why}"),
    )
}

/// The writes that make the guest's environment blocks what `saves` (in order, as
/// [`xlboot_config::grub2::EnvSaves::for_boot`] lists them) would leave. Blocks that
/// end up unchanged are left out. An error (nothing to write) when any block cannot be
/// rewritten safely.
pub fn plan(guest: &Guest<'_>, saves: &[EnvSave]) -> Result<Vec<EnvWrite>, BootError> {
    // The files in the order first touched; two spellings of a device are one file.
    let mut files: Vec<FilePath> = Vec::new();
    for s in saves {
        let device = guest
            .canonical_device(&s.file.device)
            .unwrap_or_else(|| s.file.device.clone());
        let f = FilePath {
            device,
            path: s.file.path.clone(),
            root: Default::default(),
        };
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let mut out = Vec::new();
    for file in files {
        let found = guest
            .find(&file)
            .map_err(|e| refused(&file, in_file(e, &file)))?;
        let size = found
            .fs
            .metadata(found.node)
            .map_err(|e| refused(&file, e))?
            .size;
        if size != DEFAULT_SIZE as u64 {
            return Err(refused(
                &file,
                format!("it is {size} bytes, not the {DEFAULT_SIZE} grub-editenv writes"),
            ));
        }
        let old = read_whole(&found, DEFAULT_SIZE).map_err(|e| refused(&file, e))?;
        grubenv::check_plain(&old).map_err(|why| refused(&file, why))?;
        let mut new = old.clone();
        for s in saves.iter().filter(|s| {
            s.file.path == file.path
                && guest.canonical_device(&s.file.device).as_deref() == Some(&file.device)
        }) {
            if s.vars.iter().any(|(n, v)| {
                n.contains('\u{FFFD}') || v.as_ref().is_some_and(|v| v.contains('\u{FFFD}'))
            }) {
                return Err(refused(
                    &file,
                    format!(
                        "save_env at {} writes bytes that are not UTF-8, which xlboot cannot \
                         reproduce exactly",
                        s.at
                    ),
                ));
            }
            // A save_env that does not fit writes nothing, in GRUB too.
            if let Ok(b) = grubenv::save(&new, &s.vars) {
                new = b;
            }
        }
        if new == old {
            continue;
        }
        let volume = guest
            .volume(&file.device)
            .ok_or_else(|| refused(&file, "no such device"))?;
        // GRUB writes only to plain disks and partitions ("diskfilter writes are not
        // supported"): an LV or md array is not a byte range of hd0 to write, and
        // only the first disk is written.
        if !(volume.name == "hd0" || volume.name.starts_with("hd0,")) {
            return Err(refused(
                &file,
                "only the first disk's partitions are written (GRUB does not write to LVM or md volumes)",
            ));
        }
        let at = found
            .fs
            .contiguous_range(found.node, 0, DEFAULT_SIZE as u64)
            .map_err(|e| refused(&file, e))?;
        let disk_offset = volume
            .start
            .checked_add(at)
            .ok_or_else(|| refused(&file, "its offset overflows"))?;
        // GRUB's check_blocklists: the disk must hold what the file reads as.
        let mut raw = alloc::vec![0u8; DEFAULT_SIZE];
        guest
            .disk()
            .read_exact_at(disk_offset, &mut raw)
            .map_err(|e| refused(&file, e))?;
        if raw != old {
            return Err(refused(
                &file,
                format!(
                    "the disk at byte {disk_offset} does not hold the bytes the filesystem \
                     reads for it"
                ),
            ));
        }
        out.push(EnvWrite {
            file,
            disk_offset,
            old,
            new,
        });
    }
    Ok(out)
}

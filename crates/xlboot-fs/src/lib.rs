//! Read-only filesystems on guest volumes, behind one interface ([`FileSystem`]).
//!
//! Each filesystem module mirrors its on-disk structures one file each. Path
//! resolution, symlinks included, lives once in [`path`], above every filesystem, so
//! that every filesystem resolves absolute links inside the guest's root and spends
//! the same hop budget.
//!
//! Typical use, on one volume:
//!
//! ```ignore
//! let fs = xlboot_fs::probe(window)?.ok_or(no_filesystem)?;     // Box<dyn FileSystem>
//! let limits = xlboot_fs::PathLimits::default();
//! let node = xlboot_fs::resolve_file(&*fs, b"/boot/vmlinuz", &limits)?;
//! let size = fs.metadata(node)?.size;
//! let mut off = 0;
//! while off < size {
//!     let n = fs.read_at(node, off, &mut buf)?;   // one device read per contiguous run
//!     if n == 0 { break; }
//!     off += n as u64;
//! }
//! ```
//!
//! Today's filesystems: ext2, ext3 and ext4 ([`ext4`]), journal replayed in memory
//! when the guest was not cleanly shut down; XFS v4 and v5 ([`xfs`]), checksums
//! verified, a dirty log detected and refused (not replayed); FAT12, FAT16 and FAT32
//! with long names ([`fat`]); ISO9660 with Rock Ridge and Joliet, El Torito catalogs
//! parsed ([`iso9660`]); btrfs ([`btrfs`]) on one device, seen from the top-level
//! subvolume as GRUB sees it; squashfs 4 ([`squashfs`]).
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

extern crate alloc;

pub mod btrfs;
mod bytes;
pub mod error;
pub mod ext4;
pub mod fat;
pub mod iso9660;
pub mod not_a_filesystem;
pub mod path;
pub mod squashfs;
pub mod vfs;
pub mod xfs;

use alloc::boxed::Box;

use xlboot_disk::BlockDevice;

pub use error::FsError;
pub use path::{resolve, resolve_file, resolve_file_in, resolve_in, PathLimits};
pub use vfs::{FileKind, FileSystem, FsInfo, Metadata, NodeId, StoredRun};

/// Tries every filesystem this crate reads on `dev`, strongest signature first:
/// squashfs (its magic at byte 0, checked with its version and block size: a squashfs
/// image may hold any bytes at the other filesystems' signature offsets, while every
/// other mkfs here overwrites byte 0), ext2/3/4 (a magic number at byte 1080), then XFS
/// (its magic and a checked superblock at byte 0, where FAT would need its boot
/// sector; `mke2fs` and `mkfs.xfs` wipe each other's signature, as the XFS image tests
/// check), then FAT (a boot sector with its jump, type string
/// and 0x55AA all present, which nothing else writes together at sector 0), then
/// ISO9660 (`CD001` descriptors from sector 16: after the filesystems whose
/// signatures are in their first sectors, because any of them may keep file data, an
/// `.iso` file, at 32 KiB), then btrfs (a checksummed superblock at 64 KiB: last,
/// because `mkfs.btrfs` zeroes the first 2 MiB, so a FAT or ISO9660 signature found
/// there is newer than any btrfs superblock, while `mkfs.vfat` and `xorriso` may
/// leave an old one at 64 KiB).
///
/// `Ok(None)`: no known filesystem signature. `Err`: a signature was found but the
/// filesystem is corrupt or uses an unsupported feature; that is reported rather than
/// passed over, because a volume that looks like ext4 is not going to be another
/// filesystem and "no filesystem" would hide the real reason.
pub fn probe<'a, D: BlockDevice + Clone + 'a>(
    dev: D,
) -> Result<Option<Box<dyn FileSystem + 'a>>, FsError> {
    probe_among(dev, &[])
}

/// [`probe`] on a guest with several volumes: `others` are the guest's other volumes,
/// where a btrfs filesystem spanning devices finds its other devices
/// ([`btrfs::probe_among`]).
pub fn probe_among<'a, D: BlockDevice + Clone + 'a>(
    dev: D,
    others: &[D],
) -> Result<Option<Box<dyn FileSystem + 'a>>, FsError> {
    if let Some(fs) = squashfs::probe(dev.clone())? {
        return Ok(Some(Box::new(fs)));
    }
    if let Some(fs) = ext4::probe(dev.clone())? {
        return Ok(Some(Box::new(fs)));
    }
    if let Some(fs) = xfs::probe(dev.clone())? {
        return Ok(Some(Box::new(fs)));
    }
    if let Some(fs) = fat::probe(dev.clone())? {
        return Ok(Some(Box::new(fs)));
    }
    if let Some(fs) = iso9660::probe(dev.clone())? {
        return Ok(Some(Box::new(fs)));
    }
    if let Some(fs) = btrfs::probe_among(dev, others.to_vec())? {
        return Ok(Some(Box::new(fs)));
    }
    Ok(None)
}

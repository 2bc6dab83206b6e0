//! Inodes (`xfs_dinode`): the core (mode, size, fork formats, extent counts) and the
//! data fork's literal area, which holds a short-form directory, a local symlink, an
//! extent list or the root of a bmbt, depending on `di_format`.
//!
//! Versions 1 and 2 (v4 filesystems) have a 100-byte core; version 3 (v5) a 176-byte
//! core with a CRC32C over the whole inode, its own number and the filesystem UUID.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use xlboot_disk::BlockDevice;

use super::checksum::verify_crc;
use super::superblock::Superblock;
use crate::bytes::{be16, be32, be64, slice, u8_at};
use crate::{FileKind, FsError};

/// `IN`.
const MAGIC: u16 = 0x494E;
/// Core size of version 1 and 2 inodes.
const CORE_V2: usize = 100;
/// Core size of version 3 inodes.
const CORE_V3: usize = 176;
/// Offset of `di_crc` in a version 3 inode.
const CRC_OFF: usize = 100;
/// `di_flags`: the data lives on the realtime device.
const DIFLAG_REALTIME: u16 = 0x0001;
/// `di_flags2`: the data fork extent count is the 64-bit `di_big_nextents`.
const DIFLAG2_NREXT64: u64 = 0x10;

/// How the data fork is stored (`di_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A device number (device inodes).
    Dev,
    /// The data itself, in the inode (short-form directories, short symlinks).
    Local,
    /// A list of extent records in the inode.
    Extents,
    /// The root of a bmbt in the inode.
    Btree,
}

/// A checked inode, with a copy of its data fork area.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub ino: u64,
    pub mode: u16,
    pub format: Format,
    pub size: u64,
    pub nextents: u64,
    pub realtime: bool,
    /// The data fork's literal area (its length is the fork size).
    pub fork: Vec<u8>,
}

impl Inode {
    /// The kind of object, from the `S_IFMT` bits of the mode.
    pub(crate) fn kind(&self) -> FileKind {
        match self.mode & 0xF000 {
            0x8000 => FileKind::Regular,
            0x4000 => FileKind::Directory,
            0xA000 => FileKind::Symlink,
            _ => FileKind::Other,
        }
    }
}

/// Reads and checks inode `ino`.
pub(crate) fn read<D: BlockDevice>(dev: &D, sb: &Superblock, ino: u64) -> Result<Inode, FsError> {
    let at = sb.inode_byte(ino).ok_or_else(|| {
        FsError::Corrupt(format!("xfs: inode number {ino} is outside the filesystem"))
    })?;
    let mut raw = vec![0u8; usize::from(sb.inode_size)];
    dev.read_exact_at(at, &mut raw).map_err(|e| match e {
        xlboot_disk::IoError::OutOfRange { .. } => {
            FsError::Corrupt(format!("xfs: inode {ino} at byte {at}: {e}"))
        }
        other => FsError::Io(other),
    })?;
    parse(&raw, sb, ino, at)
}

/// Parses inode `ino` from its on-disk bytes `raw` (read at byte `at`).
pub(crate) fn parse(raw: &[u8], sb: &Superblock, ino: u64, at: u64) -> Result<Inode, FsError> {
    let bad = |what: &str| FsError::Corrupt(format!("xfs: inode {ino} (byte {at}): {what}"));
    let short = || bad("truncated");
    let f8 = |o| u8_at(raw, o).ok_or_else(short);
    let f16 = |o| be16(raw, o).ok_or_else(short);
    let f32 = |o| be32(raw, o).ok_or_else(short);
    let f64 = |o| be64(raw, o).ok_or_else(short);

    if f16(0)? != MAGIC {
        return Err(bad("bad magic (not an inode, or an unallocated one)"));
    }
    let version = f8(4)?;
    let core = match (version, sb.is_v5()) {
        (3, true) => CORE_V3,
        (1 | 2, false) => CORE_V2,
        _ => {
            return Err(bad(&format!(
                "inode version {version} on a version {} filesystem",
                sb.version
            )))
        }
    };
    let mut flags2 = 0;
    if version == 3 {
        verify_crc(raw, CRC_OFF).map_err(|_| bad("checksum mismatch"))?;
        if f64(152)? != ino {
            return Err(bad(&format!("it says it is inode {}", f64(152)?)));
        }
        if slice(raw, 160, 16) != Some(&sb.meta_uuid[..]) {
            return Err(bad("filesystem UUID mismatch"));
        }
        flags2 = f64(120)?;
    }
    let mode = f16(2)?;
    let format = match f8(5)? {
        0 => Format::Dev,
        1 => Format::Local,
        2 => Format::Extents,
        3 => Format::Btree,
        f => return Err(bad(&format!("unknown data fork format {f}"))),
    };
    let size = f64(56)?;
    if size > i64::MAX as u64 {
        return Err(bad(&format!("negative size {size:#x}")));
    }
    let nextents = if flags2 & DIFLAG2_NREXT64 != 0 {
        if !sb.nrext64 {
            return Err(bad("64-bit extent counter without the nrext64 feature"));
        }
        f64(24)?
    } else {
        u64::from(f32(76)?)
    };
    let literal = usize::from(sb.inode_size).saturating_sub(core);
    let forkoff = usize::from(f8(82)?).saturating_mul(8);
    let fork_len = if forkoff == 0 {
        literal
    } else if forkoff < literal {
        forkoff
    } else {
        return Err(bad(&format!(
            "attribute fork offset {forkoff} beyond the {literal}-byte literal area"
        )));
    };
    let fork = slice(raw, core, fork_len).ok_or_else(short)?.to_vec();
    Ok(Inode {
        ino,
        mode,
        format,
        size,
        nextents,
        realtime: f16(90)? & DIFLAG_REALTIME != 0,
        fork,
    })
}

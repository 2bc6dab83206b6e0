//! Inodes: kind, size, flags and the 60-byte `i_block` area that holds the extent tree
//! root, the ext2/3 block map, or a fast symlink's target.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::checksum::crc32c;
use super::group_desc;
use super::superblock::{
    Superblock, INCOMPAT_CASEFOLD, INCOMPAT_INLINE_DATA, INCOMPAT_LARGEDIR, RO_COMPAT_HUGE_FILE,
};
use crate::bytes::{le16, le32, slice};
use crate::{FileKind, FsError};
use xlboot_disk::BlockDevice;

/// The root directory's inode number, fixed by the format.
pub(crate) const ROOT_INO: u32 = 2;

/// Size of `i_block`.
pub(crate) const I_BLOCK_LEN: usize = 60;

/// Offsets of the two halves of the inode checksum.
const CHECKSUM_LO: usize = 0x7C;
const CHECKSUM_HI: usize = 0x82;
/// Size of the original (rev 0) inode; `i_extra_isize` counts bytes after it.
const GOOD_OLD_INODE_SIZE: usize = 128;

// i_flags bits.
const COMPR_FL: u32 = 0x4;
pub(crate) const INDEX_FL: u32 = 0x1000;
const ENCRYPT_FL: u32 = 0x800;
const HUGE_FILE_FL: u32 = 0x40000;
pub(crate) const EXTENTS_FL: u32 = 0x80000;
/// The inode holds an extended attribute value (`ea_inode`), not a file.
const EA_INODE_FL: u32 = 0x20_0000;
const INLINE_DATA_FL: u32 = 0x1000_0000;
/// A directory whose names compare without case (`casefold`).
const CASEFOLD_FL: u32 = 0x4000_0000;

/// An inode, parsed and checked.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub ino: u32,
    pub mode: u16,
    pub size: u64,
    pub flags: u32,
    /// 512-byte sectors in use, data and xattr block (converted from filesystem
    /// blocks for a `huge_file` inode with HUGE_FILE_FL; saturating).
    pub blocks: u64,
    pub file_acl: u64,
    pub i_block: [u8; I_BLOCK_LEN],
    /// Seed for checksums of blocks owned by this inode (extent nodes, dir blocks):
    /// crc32c(fs seed, inode number, generation).
    pub csum_seed: Option<u32>,
    /// With `inline_data`: the bytes after the first 60 (the `system.data` xattr
    /// value, kept in the inode's extra space). `None` for ordinary inodes.
    pub inline_tail: Option<Vec<u8>>,
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

    /// Whether the data is mapped by an extent tree (else by the ext2/3 block map).
    pub(crate) fn uses_extents(&self) -> bool {
        self.flags & EXTENTS_FL != 0
    }

    /// Whether this directory has an htree index (its block 0 is a dx_root).
    pub(crate) fn is_indexed_dir(&self) -> bool {
        self.flags & INDEX_FL != 0
    }

    /// Whether this is a directory whose names compare without case.
    pub(crate) fn is_casefolded(&self) -> bool {
        self.flags & CASEFOLD_FL != 0 && self.mode & 0xF000 == 0x4000
    }

    /// A symlink whose target is stored in `i_block` itself. As Linux decides it
    /// (`ext4_inode_is_fast_symlink`): no inline data, and no blocks but its xattr
    /// block (one cluster) if it has one; and, here, shorter than `i_block`.
    pub(crate) fn is_fast_symlink(&self, cluster_size: u32) -> bool {
        if self.flags & INLINE_DATA_FL != 0 || self.size >= I_BLOCK_LEN as u64 {
            return false;
        }
        let ea_sectors = if self.file_acl == 0 {
            0
        } else {
            u64::from(cluster_size / 512)
        };
        self.blocks == ea_sectors
    }

    /// Refuses inodes whose data this reader cannot decode, naming why.
    pub(crate) fn check_readable(&self) -> Result<(), FsError> {
        let ino = self.ino;
        if self.flags & ENCRYPT_FL != 0 {
            return Err(FsError::Unsupported(format!(
                "ext4 inode {ino} is encrypted"
            )));
        }
        if self.flags & COMPR_FL != 0 {
            return Err(FsError::Unsupported(format!(
                "ext4 inode {ino} is compressed"
            )));
        }
        Ok(())
    }
}

/// Reads inode `ino`: finds its group's inode table, reads `s_inode_size` bytes,
/// verifies the checksum (with `metadata_csum`) and parses the fields.
pub(crate) fn read<D: BlockDevice>(dev: &D, sb: &Superblock, ino: u32) -> Result<Inode, FsError> {
    if ino == 0 || ino > sb.inodes_count {
        return Err(FsError::Corrupt(format!(
            "ext4: inode number {ino} outside 1..={}",
            sb.inodes_count
        )));
    }
    let index0 = ino.saturating_sub(1);
    let group = index0.checked_div(sb.inodes_per_group).unwrap_or(0);
    let index = index0.checked_rem(sb.inodes_per_group).unwrap_or(0);
    let gd = group_desc::read(dev, sb, group)?;
    let off = gd
        .inode_table
        .checked_mul(u64::from(sb.block_size))
        .and_then(|t| t.checked_add(u64::from(index).checked_mul(u64::from(sb.inode_size))?))
        .ok_or_else(|| {
            FsError::Corrupt(format!("ext4: inode {ino}: inode table offset overflows"))
        })?;
    let isize = usize::from(sb.inode_size);
    let mut raw = vec![0u8; isize];
    dev.read_exact_at(off, &mut raw).map_err(|e| {
        FsError::Corrupt(format!(
            "ext4: inode {ino} (group {group}) at byte {off}: {e}"
        ))
    })?;
    parse(sb, ino, &raw, off)
}

fn parse(sb: &Superblock, ino: u32, raw: &[u8], off: u64) -> Result<Inode, FsError> {
    let bad = |what: &str| FsError::Corrupt(format!("ext4: inode {ino} at byte {off}: {what}"));
    let f16 = |o: usize| le16(raw, o).ok_or_else(|| bad("short inode"));
    let f32 = |o: usize| le32(raw, o).ok_or_else(|| bad("short inode"));

    let mode = f16(0x0)?;
    let generation = f32(0x64)?;
    let extra_isize = if raw.len() > GOOD_OLD_INODE_SIZE {
        f16(0x80)?
    } else {
        0
    };
    let extra_end = GOOD_OLD_INODE_SIZE.saturating_add(usize::from(extra_isize));
    if extra_end > raw.len() {
        return Err(bad(&format!(
            "i_extra_isize {extra_isize} runs past the inode"
        )));
    }
    // The high checksum half exists when the extra area reaches past it.
    let has_hi = extra_end >= CHECKSUM_HI.saturating_add(2);

    let csum_seed = match sb.csum_seed {
        Some(fs_seed) => {
            let seed = crc32c(
                crc32c(fs_seed, &ino.to_le_bytes()),
                &generation.to_le_bytes(),
            );
            // crc32c over the inode with both checksum fields read as zero.
            let mut crc = crc32c(seed, slice(raw, 0, CHECKSUM_LO).unwrap_or(&[]));
            crc = crc32c(crc, &[0, 0]);
            if has_hi {
                crc = crc32c(
                    crc,
                    raw.get(CHECKSUM_LO.saturating_add(2)..CHECKSUM_HI)
                        .unwrap_or(&[]),
                );
                crc = crc32c(crc, &[0, 0]);
                crc = crc32c(crc, raw.get(CHECKSUM_HI.saturating_add(2)..).unwrap_or(&[]));
            } else {
                crc = crc32c(crc, raw.get(CHECKSUM_LO.saturating_add(2)..).unwrap_or(&[]));
            }
            let lo = f16(CHECKSUM_LO)?;
            let (stored, computed) = if has_hi {
                let hi = f16(CHECKSUM_HI)?;
                ((u32::from(hi) << 16) | u32::from(lo), crc)
            } else {
                (u32::from(lo), crc & 0xFFFF)
            };
            if stored != computed {
                return Err(bad(&format!(
                    "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
                )));
            }
            Some(seed)
        }
        None => None,
    };

    if mode == 0 {
        // Reached through a directory entry or as the root: a live file never has mode 0.
        return Err(bad("not in use (mode 0)"));
    }

    let size_lo = f32(0x4)?;
    let size_hi = f32(0x6C)?;
    let blocks_lo = f32(0x1C)?;
    let blocks_hi = f16(0x74)?;
    let acl_lo = f32(0x68)?;
    let acl_hi = f16(0x76)?;
    let flags = f32(0x20)?;
    let is_dir = mode & 0xF000 == 0x4000;
    if flags & EA_INODE_FL != 0 {
        // Reached from a directory, the root or the superblock: an xattr value inode
        // is none of these, and reading it as a file would show attribute bytes.
        return Err(bad(
            "holds an extended attribute value (EA_INODE_FL), yet is linked as a file",
        ));
    }
    if is_dir && flags & CASEFOLD_FL != 0 && !sb.has_incompat(INCOMPAT_CASEFOLD) {
        return Err(bad(
            "casefold directory flag set, but the filesystem lacks casefold",
        ));
    }
    // As Linux's ext4_isize: the high half of the size counts for regular files, and
    // for everything with large_dir; elsewhere it was ext2's i_dir_acl.
    let size = if mode & 0xF000 == 0x8000 || sb.has_incompat(INCOMPAT_LARGEDIR) {
        (u64::from(size_hi) << 32) | u64::from(size_lo)
    } else {
        u64::from(size_lo)
    };
    // As Linux's ext4_inode_blocks: the high half only with huge_file, and then
    // HUGE_FILE_FL counts filesystem blocks rather than 512-byte sectors.
    let blocks = if sb.has_ro_compat(RO_COMPAT_HUGE_FILE) {
        let raw_blocks = (u64::from(blocks_hi) << 32) | u64::from(blocks_lo);
        if flags & HUGE_FILE_FL != 0 {
            raw_blocks.saturating_mul(u64::from(sb.block_size / 512))
        } else {
            raw_blocks
        }
    } else {
        u64::from(blocks_lo)
    };
    let inline_tail = if flags & INLINE_DATA_FL != 0 {
        if !sb.has_incompat(INCOMPAT_INLINE_DATA) {
            return Err(bad(
                "inline data flag set, but the filesystem lacks inline_data",
            ));
        }
        let xattrs = raw.get(extra_end..).unwrap_or(&[]);
        Some(inline_data_xattr(xattrs).map_err(|m| bad(&m))?.to_vec())
    } else {
        None
    };
    let mut i_block = [0u8; I_BLOCK_LEN];
    i_block.copy_from_slice(slice(raw, 0x28, I_BLOCK_LEN).ok_or_else(|| bad("short inode"))?);
    Ok(Inode {
        ino,
        mode,
        size,
        flags,
        blocks,
        file_acl: (u64::from(acl_hi) << 32) | u64::from(acl_lo),
        i_block,
        csum_seed,
        inline_tail,
    })
}

/// `ext4_xattr_ibody_header` magic, at the start of the in-inode xattr area.
const XATTR_MAGIC: u32 = 0xEA02_0000;
/// Name index of `system.` attributes.
const XATTR_INDEX_SYSTEM: u8 = 7;
/// Size of an xattr entry before its name.
const XATTR_ENTRY: usize = 16;

/// Finds the `system.data` xattr (the inline data past the first 60 bytes) in the
/// in-inode xattr area `area` (the bytes after `i_extra_isize`). Absent means the
/// data fits in `i_block`. The entry walk advances by at least 16 bytes each step and
/// stops at the end of the area, so it ends.
fn inline_data_xattr(area: &[u8]) -> Result<&[u8], alloc::string::String> {
    if le32(area, 0) != Some(XATTR_MAGIC) {
        return Ok(&[]);
    }
    let entries = area.get(4..).unwrap_or(&[]);
    let mut off = 0usize;
    while off.saturating_add(4) <= entries.len() {
        if le32(entries, off) == Some(0) {
            break;
        }
        let name_len = usize::from(entries.get(off).copied().unwrap_or(0));
        let index = entries.get(off.saturating_add(1)).copied().unwrap_or(0);
        let value_offs = usize::from(le16(entries, off.saturating_add(2)).unwrap_or(0));
        let value_inum = le32(entries, off.saturating_add(4)).unwrap_or(0);
        let value_size = le32(entries, off.saturating_add(8)).unwrap_or(0);
        let name = slice(entries, off.saturating_add(XATTR_ENTRY), name_len)
            .ok_or_else(|| format!("xattr entry at byte {off} runs past the inode"))?;
        if index == XATTR_INDEX_SYSTEM && name == b"data" {
            if value_inum != 0 {
                return Err("inline data stored in an xattr inode".into());
            }
            let size = usize::try_from(value_size).unwrap_or(usize::MAX);
            return slice(entries, value_offs, size).ok_or_else(|| {
                format!("inline data value ({size} bytes at {value_offs}) runs past the inode")
            });
        }
        // Entries are padded to 4 bytes.
        let step = XATTR_ENTRY.saturating_add(name_len).saturating_add(3) & !3;
        off = off.saturating_add(step);
    }
    Ok(&[])
}

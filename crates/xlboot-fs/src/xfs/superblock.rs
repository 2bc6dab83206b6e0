//! The superblock (`xfs_dsb`): first sector of allocation group 0. Geometry, the root
//! inode, the log's place, and the feature bits of v4 (`sb_versionnum`,
//! `sb_features2`) and v5 (`sb_features_*`) filesystems.
//!
//! Every geometry field the reader later computes with is checked here against the
//! others (block size against its log, inodes per block against block and inode
//! size, AG size against its log, ...), so that the rest of the module can shift and
//! multiply with values known to be small.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::checksum::verify_crc;
use crate::bytes::{be16, be32, be64, slice, u8_at};
use crate::FsError;

/// `XFSB`.
pub(crate) const MAGIC: u32 = 0x5846_5342;
/// Bytes of the superblock the reader looks at (the v5 superblock ends at 264).
pub(crate) const SB_LEN: usize = 264;
/// Offset of `sb_crc`.
const CRC_OFF: usize = 224;

// sb_versionnum bits.
const VERSION_NUMBITS: u16 = 0x000F;
const VERSION_BORGBIT: u16 = 0x4000;
const VERSION_DIRV2BIT: u16 = 0x2000;
const VERSION_MOREBITSBIT: u16 = 0x8000;

// sb_features2 bits (v4).
const FEATURES2_CRC: u32 = 0x0100;
const FEATURES2_FTYPE: u32 = 0x0200;

// sb_features_incompat bits (v5).
const INCOMPAT_FTYPE: u32 = 0x01;
const INCOMPAT_SPINODES: u32 = 0x02;
const INCOMPAT_META_UUID: u32 = 0x04;
const INCOMPAT_BIGTIME: u32 = 0x08;
const INCOMPAT_NEEDSREPAIR: u32 = 0x10;
const INCOMPAT_NREXT64: u32 = 0x20;
const INCOMPAT_EXCHRANGE: u32 = 0x40;
const INCOMPAT_PARENT: u32 = 0x80;
/// Incompatible features whose on-disk changes this reader knows: dirent file types,
/// sparse inode chunks (only the allocator sees them), a separate metadata UUID,
/// 64-bit timestamps, 64-bit extent counters (read from `di_big_nextents`), file
/// range exchange (only log items) and parent pointers (extra xattrs; directories
/// are unchanged).
const INCOMPAT_KNOWN: u32 = INCOMPAT_FTYPE
    | INCOMPAT_SPINODES
    | INCOMPAT_META_UUID
    | INCOMPAT_BIGTIME
    | INCOMPAT_NREXT64
    | INCOMPAT_EXCHRANGE
    | INCOMPAT_PARENT;

/// Names of incompatible features, for errors.
const INCOMPAT_NAMES: [(u32, &str); 10] = [
    (0x001, "ftype"),
    (0x002, "sparse inodes"),
    (0x004, "meta_uuid"),
    (0x008, "bigtime"),
    (0x010, "needsrepair"),
    (0x020, "nrext64"),
    (0x040, "exchange-range"),
    (0x080, "parent pointers"),
    (0x100, "metadir"),
    (0x200, "zoned"),
];

/// A checked superblock.
#[derive(Debug, Clone)]
pub(crate) struct Superblock {
    /// 4 or 5.
    pub version: u16,
    pub block_size: u32,
    pub block_log: u8,
    pub dblocks: u64,
    pub ag_blocks: u32,
    pub ag_count: u32,
    pub ag_blk_log: u8,
    pub inode_size: u16,
    pub inode_log: u8,
    pub inop_blog: u8,
    pub dir_blk_log: u8,
    pub root_ino: u64,
    /// First block of an internal log (filesystem block number), 0 for an external one.
    pub log_start: u64,
    pub log_blocks: u32,
    pub uuid: [u8; 16],
    /// The UUID stamped into v5 metadata: `sb_meta_uuid` with `meta_uuid`, else `uuid`.
    pub meta_uuid: [u8; 16],
    pub label: [u8; 12],
    /// Directory entries carry a file type byte.
    pub ftype: bool,
    /// Inodes may count data fork extents in 64 bits (`di_big_nextents`).
    pub nrext64: bool,
    /// Names compare ASCII case-insensitively (`mkfs.xfs -n version=ci`).
    pub ascii_ci: bool,
}

impl Superblock {
    /// Whether `raw` starts with the XFS superblock magic.
    pub(crate) fn has_magic(raw: &[u8]) -> bool {
        be32(raw, 0) == Some(MAGIC)
    }

    /// Whether this is a v5 (CRC-enabled) filesystem.
    pub(crate) fn is_v5(&self) -> bool {
        self.version == 5
    }

    /// Parses and checks the superblock sector `raw` of a volume of `dev_size` bytes.
    pub(crate) fn parse(raw: &[u8], dev_size: u64) -> Result<Superblock, FsError> {
        let bad = |what: &str| FsError::Corrupt(format!("xfs superblock: {what}"));
        let short = || bad("shorter than 264 bytes");
        let f16 = |o| be16(raw, o).ok_or_else(short);
        let f32 = |o| be32(raw, o).ok_or_else(short);
        let f64 = |o| be64(raw, o).ok_or_else(short);
        let f8 = |o| u8_at(raw, o).ok_or_else(short);

        if f32(0)? != MAGIC {
            return Err(bad("bad magic"));
        }
        let versionnum = f16(100)?;
        let version = versionnum & VERSION_NUMBITS;
        let features2 = if versionnum & VERSION_MOREBITSBIT != 0 {
            f32(200)?
        } else {
            0
        };
        match version {
            4 => {
                if versionnum & VERSION_DIRV2BIT == 0 {
                    return Err(FsError::Unsupported(
                        "xfs: version 1 directories (a v4 filesystem without dirv2)".into(),
                    ));
                }
                if features2 & FEATURES2_CRC != 0 {
                    return Err(bad("the CRC feature is set on a version 4 superblock"));
                }
            }
            5 => {}
            1..=3 => {
                return Err(FsError::Unsupported(format!(
                    "xfs: superblock version {version} (only 4 and 5 are read)"
                )))
            }
            _ => return Err(bad(&format!("unknown version {version}"))),
        }
        let sect_size = f16(102)?;
        let sect_log = f8(121)?;
        if !(512..=32768).contains(&sect_size)
            || 1u32.checked_shl(u32::from(sect_log)) != Some(u32::from(sect_size))
        {
            return Err(bad(&format!("sector size {sect_size} (log {sect_log})")));
        }
        if version == 5 {
            let sector = raw.get(..usize::from(sect_size)).ok_or_else(short)?;
            verify_crc(sector, CRC_OFF).map_err(|_| bad("checksum mismatch"))?;
        }
        let block_size = f32(4)?;
        let block_log = f8(120)?;
        if !(512..=65536).contains(&block_size)
            || 1u32.checked_shl(u32::from(block_log)) != Some(block_size)
            || block_size < u32::from(sect_size)
        {
            return Err(bad(&format!("block size {block_size} (log {block_log})")));
        }
        let inode_size = f16(104)?;
        let inode_log = f8(122)?;
        let inopblock = f16(106)?;
        let inop_blog = f8(123)?;
        let min_inode = if version == 5 { 512 } else { 256 };
        if !(min_inode..=2048).contains(&inode_size)
            || 1u32.checked_shl(u32::from(inode_log)) != Some(u32::from(inode_size))
            || u32::from(inode_size) > block_size
            || u32::from(inopblock) != block_size.checked_div(u32::from(inode_size)).unwrap_or(0)
            || u32::from(inode_log).checked_add(u32::from(inop_blog)) != Some(u32::from(block_log))
        {
            return Err(bad(&format!(
                "inode size {inode_size} (log {inode_log}), {inopblock} per block (log {inop_blog})"
            )));
        }
        let ag_blocks = f32(84)?;
        let ag_count = f32(88)?;
        let ag_blk_log = f8(124)?;
        // sb_agblklog is the number of bits of the largest AG block number.
        let want_log = 32u32.saturating_sub(ag_blocks.saturating_sub(1).leading_zeros());
        if ag_blocks < 2 || u32::from(ag_blk_log) != want_log || ag_count == 0 {
            return Err(bad(&format!(
                "{ag_count} allocation groups of {ag_blocks} blocks (log {ag_blk_log})"
            )));
        }
        // Inode numbers must fit in 64 bits: AG number bits + AG block bits + inode bits.
        if u32::from(ag_blk_log).saturating_add(u32::from(inop_blog)) > 40 {
            return Err(bad(
                "AG size and inodes per block give inode numbers over 2^40 per AG",
            ));
        }
        let dblocks = f64(8)?;
        if dblocks > u64::from(ag_blocks).saturating_mul(u64::from(ag_count)) || dblocks == 0 {
            return Err(bad(&format!(
                "{dblocks} data blocks do not fit {ag_count} AGs of {ag_blocks} blocks"
            )));
        }
        let needed = dblocks.saturating_mul(u64::from(block_size));
        if needed > dev_size {
            return Err(FsError::Corrupt(format!(
                "xfs: the filesystem is {needed} bytes but the volume only {dev_size} (truncated image?)"
            )));
        }
        let dir_blk_log = f8(192)?;
        if u32::from(block_log).saturating_add(u32::from(dir_blk_log)) > 16 {
            return Err(bad(&format!(
                "directory block log {dir_blk_log} (over 64 KiB)"
            )));
        }
        if f8(126)? != 0 {
            return Err(bad("mkfs did not finish (sb_inprogress is set)"));
        }

        let mut ftype = features2 & FEATURES2_FTYPE != 0;
        let mut nrext64 = false;
        let mut meta_uuid_on = false;
        if version == 5 {
            let incompat = f32(216)?;
            if incompat & INCOMPAT_NEEDSREPAIR != 0 {
                return Err(FsError::Corrupt(
                    "xfs: the superblock says the filesystem needs xfs_repair (needsrepair)".into(),
                ));
            }
            let unknown = incompat & !INCOMPAT_KNOWN;
            if unknown != 0 {
                return Err(FsError::Unsupported(format!(
                    "xfs: incompatible features {}",
                    feature_names(unknown)
                )));
            }
            ftype = incompat & INCOMPAT_FTYPE != 0;
            nrext64 = incompat & INCOMPAT_NREXT64 != 0;
            meta_uuid_on = incompat & INCOMPAT_META_UUID != 0;
        }
        let uuid: [u8; 16] = to_array(slice(raw, 32, 16).ok_or_else(short)?);
        let meta_uuid = if meta_uuid_on {
            to_array(slice(raw, 248, 16).ok_or_else(short)?)
        } else {
            uuid
        };
        let label: [u8; 12] = to_array(slice(raw, 108, 12).ok_or_else(short)?);
        Ok(Superblock {
            version,
            block_size,
            block_log,
            dblocks,
            ag_blocks,
            ag_count,
            ag_blk_log,
            inode_size,
            inode_log,
            inop_blog,
            dir_blk_log,
            root_ino: f64(56)?,
            log_start: f64(48)?,
            log_blocks: f32(96)?,
            uuid,
            meta_uuid,
            label,
            ftype,
            nrext64,
            ascii_ci: versionnum & VERSION_BORGBIT != 0,
        })
    }

    /// Directory block size in bytes (at most 64 KiB, checked in `parse`).
    pub(crate) fn dir_block_size(&self) -> u32 {
        self.block_size
            .checked_shl(u32::from(self.dir_blk_log))
            .unwrap_or(self.block_size)
    }

    /// Byte offset on the volume of filesystem block `fsbno` (AG number in the high
    /// bits, AG block in the low `ag_blk_log` bits), checked against the geometry.
    pub(crate) fn fsb_to_byte(&self, fsbno: u64) -> Option<u64> {
        let agno = fsbno.checked_shr(u32::from(self.ag_blk_log))?;
        let mask = 1u64
            .checked_shl(u32::from(self.ag_blk_log))?
            .checked_sub(1)?;
        let agbno = fsbno & mask;
        if agno >= u64::from(self.ag_count) || agbno >= u64::from(self.ag_blocks) {
            return None;
        }
        let linear = agno
            .checked_mul(u64::from(self.ag_blocks))?
            .checked_add(agbno)?;
        if linear >= self.dblocks {
            return None;
        }
        linear.checked_shl(u32::from(self.block_log))
    }

    /// Byte offset on the volume of inode `ino`, checked against the geometry.
    pub(crate) fn inode_byte(&self, ino: u64) -> Option<u64> {
        let in_block = ino
            & 1u64
                .checked_shl(u32::from(self.inop_blog))?
                .checked_sub(1)?;
        let fsbno = ino.checked_shr(u32::from(self.inop_blog))?;
        let block = self.fsb_to_byte(fsbno)?;
        block.checked_add(in_block.checked_shl(u32::from(self.inode_log))?)
    }

    /// The UUID as GRUB's `search --fs-uuid` and blkid print it (from `sb_uuid`, the
    /// user-visible one, even when metadata carries another).
    pub(crate) fn uuid_string(&self) -> String {
        let mut s = String::with_capacity(36);
        for (i, b) in self.uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The label (`sb_fname`), cut at the first NUL; `None` when empty.
    pub(crate) fn label(&self) -> Option<String> {
        let end = self.label.iter().position(|&b| b == 0).unwrap_or(12);
        let name = self.label.get(..end)?;
        (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned())
    }
}

/// "ftype, 0x400" style list of the feature bits in `bits`.
fn feature_names(bits: u32) -> String {
    let mut names: Vec<String> = Vec::new();
    for bit in 0..32u32 {
        let b = 1u32.checked_shl(bit).unwrap_or(0);
        if bits & b == 0 {
            continue;
        }
        match INCOMPAT_NAMES.iter().find(|(v, _)| *v == b) {
            Some((_, n)) => names.push(format!("{n} ({b:#x})")),
            None => names.push(format!("{b:#x}")),
        }
    }
    names.join(", ")
}

/// Copies a slice known to have the array's length (zeros otherwise).
fn to_array<const N: usize>(s: &[u8]) -> [u8; N] {
    s.try_into().unwrap_or([0u8; N])
}

//! The btrfs superblock: 4096 bytes at 64 KiB, with mirror copies at 64 MiB and
//! 256 GiB on volumes large enough to hold them.
//!
//! The primary copy is used when it is valid (magic, checksum, its own address, sane
//! geometry); otherwise the valid mirror with the highest generation, as `btrfs
//! rescue super-recover` would choose. Every INCOMPAT feature must be one this
//! reader understands; RO_COMPAT features (free space tree, verity, block group tree)
//! only matter to writers.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use xlboot_disk::BlockDevice;

use super::checksum::CsumType;
use crate::bytes::{le16, le32, le64, slice, u8_at};
use crate::FsError;

/// Size of the superblock.
pub(crate) const SUPER_SIZE: usize = 4096;
/// The primary superblock's offset.
pub(crate) const PRIMARY_OFFSET: u64 = 64 << 10;
/// Offsets of the primary and mirror superblocks.
const OFFSETS: [u64; 3] = [PRIMARY_OFFSET, 64 << 20, 256 << 30];
/// `_BHRfS_M`.
const MAGIC: &[u8; 8] = b"_BHRfS_M";
const MAGIC_OFFSET: usize = 0x40;
/// Capacity of `sys_chunk_array`.
const SYS_CHUNK_ARRAY_MAX: usize = 2048;
const SYS_CHUNK_ARRAY_OFFSET: usize = 0x32b;
/// Deepest tree (`BTRFS_MAX_LEVEL`): levels run 0 to 7.
pub(crate) const MAX_LEVEL: u8 = 8;

// INCOMPAT feature bits.
const MIXED_BACKREF: u64 = 1 << 0;
const DEFAULT_SUBVOL: u64 = 1 << 1;
const MIXED_GROUPS: u64 = 1 << 2;
const COMPRESS_LZO: u64 = 1 << 3;
const COMPRESS_ZSTD: u64 = 1 << 4;
const BIG_METADATA: u64 = 1 << 5;
const EXTENDED_IREF: u64 = 1 << 6;
const RAID56: u64 = 1 << 7;
const SKINNY_METADATA: u64 = 1 << 8;
const NO_HOLES: u64 = 1 << 9;
pub(crate) const METADATA_UUID: u64 = 1 << 10;
const RAID1C34: u64 = 1 << 11;
const ZONED: u64 = 1 << 12;
const EXTENT_TREE_V2: u64 = 1 << 13;
const RAID_STRIPE_TREE: u64 = 1 << 14;
const SIMPLE_QUOTA: u64 = 1 << 16;

/// INCOMPAT features read here, and why each is safe:
/// - mixed_backref, skinny_metadata, extended_iref, simple_quota: extent tree,
///   back-reference and quota formats; the extent tree and back references are never
///   read;
/// - default_subvol: the `default` item exists (it is read, see the module doc);
/// - mixed_groups, big_metadata: block group sharing and nodes larger than pages;
///   both only change sizes the superblock gives;
/// - compress_lzo, compress_zstd: compressed extents (each names its codec);
/// - raid56, raid1c34: chunk profiles, judged chunk by chunk when mapped;
/// - no_holes: holes have no items; missing extents read as zeros anyway;
/// - metadata_uuid: tree blocks carry `metadata_uuid` instead of the fsid.
const SUPPORTED: u64 = MIXED_BACKREF
    | DEFAULT_SUBVOL
    | MIXED_GROUPS
    | COMPRESS_LZO
    | COMPRESS_ZSTD
    | BIG_METADATA
    | EXTENDED_IREF
    | RAID56
    | SKINNY_METADATA
    | NO_HOLES
    | METADATA_UUID
    | RAID1C34
    | SIMPLE_QUOTA;

const NAMES: [(u64, &str); 3] = [
    (ZONED, "zoned"),
    (EXTENT_TREE_V2, "extent_tree_v2"),
    (RAID_STRIPE_TREE, "raid_stripe_tree"),
];

// Superblock `flags` that make an image unreadable here.
const FLAG_METADUMP: u64 = 1 << 33;
const FLAG_METADUMP_V2: u64 = 1 << 34;
const FLAG_CHANGING_FSID: u64 = 1 << 35;
const FLAG_CHANGING_FSID_V2: u64 = 1 << 36;

/// The fields of the superblock this reader uses.
#[derive(Debug, Clone)]
pub(crate) struct Superblock {
    /// Where this copy was read from.
    pub offset: u64,
    pub fsid: [u8; 16],
    /// The fsid tree blocks carry (`metadata_uuid` when that feature is on).
    pub meta_fsid: [u8; 16],
    pub generation: u64,
    /// Logical address of the root tree's root node.
    pub root: u64,
    pub root_level: u8,
    /// Logical address of the chunk tree's root node.
    pub chunk_root: u64,
    pub chunk_root_level: u8,
    pub chunk_root_generation: u64,
    /// The root tree's directory holding the `default` subvolume entry (6).
    pub root_dir_objectid: u64,
    /// The data block size: lzo segments are laid out in sectors of this size.
    pub sectorsize: u32,
    pub nodesize: u32,
    pub csum: CsumType,
    /// This device's id (`dev_item.devid`).
    pub devid: u64,
    /// How many devices the filesystem spans (`num_devices`).
    pub num_devices: u64,
    pub label: Vec<u8>,
    /// The bootstrap chunk items (`sys_chunk_array`, `sys_chunk_array_size` bytes).
    pub sys_chunks: Vec<u8>,
}

fn arr16(b: &[u8], off: usize) -> Option<[u8; 16]> {
    slice(b, off, 16)?.try_into().ok()
}

fn corrupt(off: u64, what: &str) -> FsError {
    FsError::Corrupt(format!("btrfs: superblock at byte {off}: {what}"))
}

impl Superblock {
    /// Whether the bytes carry the btrfs magic.
    pub(crate) fn has_magic(raw: &[u8]) -> bool {
        slice(raw, MAGIC_OFFSET, 8) == Some(&MAGIC[..])
    }

    /// Parses and checks one copy read at byte `off`.
    pub(crate) fn parse(raw: &[u8], off: u64) -> Result<Self, FsError> {
        let short = || corrupt(off, "short");
        if !Self::has_magic(raw) {
            return Err(corrupt(off, "no magic"));
        }
        let csum = CsumType::from_raw(le16(raw, 0xc4).ok_or_else(short)?)?;
        let raw = raw.get(..SUPER_SIZE).ok_or_else(short)?;
        if !csum.verify(raw) {
            return Err(corrupt(off, &format!("{} checksum mismatch", csum.name())));
        }
        let g64 = |o| le64(raw, o).ok_or_else(short);
        let g32 = |o| le32(raw, o).ok_or_else(short);
        let g8 = |o| u8_at(raw, o).ok_or_else(short);
        let bytenr = g64(0x30)?;
        if bytenr != off {
            return Err(corrupt(off, &format!("says it lives at byte {bytenr}")));
        }
        let flags = g64(0x38)?;
        if flags & (FLAG_METADUMP | FLAG_METADUMP_V2) != 0 {
            return Err(FsError::Unsupported(
                "btrfs: a metadata dump (btrfs-image), which holds no file data".into(),
            ));
        }
        if flags & (FLAG_CHANGING_FSID | FLAG_CHANGING_FSID_V2) != 0 {
            return Err(FsError::Unsupported(
                "btrfs: an fsid change was interrupted (btrfstune did not finish)".into(),
            ));
        }
        let incompat = g64(0xbc)?;
        let unknown = incompat & !SUPPORTED;
        if unknown != 0 {
            let mut names = String::new();
            for (bit, name) in NAMES {
                if unknown & bit != 0 {
                    names.push(' ');
                    names.push_str(name);
                }
            }
            return Err(FsError::Unsupported(format!(
                "btrfs: incompatible features {unknown:#x}{names}"
            )));
        }
        let sectorsize = g32(0x90)?;
        let nodesize = g32(0x94)?;
        if !sectorsize.is_power_of_two() || !(4096..=65536).contains(&sectorsize) {
            return Err(corrupt(off, &format!("sector size {sectorsize}")));
        }
        if !nodesize.is_power_of_two()
            || !(4096..=65536).contains(&nodesize)
            || nodesize < sectorsize
        {
            return Err(corrupt(off, &format!("node size {nodesize}")));
        }
        let root_level = g8(0xc6)?;
        let chunk_root_level = g8(0xc7)?;
        if root_level >= MAX_LEVEL || chunk_root_level >= MAX_LEVEL {
            return Err(corrupt(off, "tree root level over 7"));
        }
        let sys_len = usize::try_from(g32(0xa0)?).unwrap_or(usize::MAX);
        if sys_len > SYS_CHUNK_ARRAY_MAX {
            return Err(corrupt(
                off,
                &format!("sys_chunk_array of {sys_len} bytes, over {SYS_CHUNK_ARRAY_MAX}"),
            ));
        }
        let sys_chunks = slice(raw, SYS_CHUNK_ARRAY_OFFSET, sys_len)
            .ok_or_else(short)?
            .to_vec();
        let fsid = arr16(raw, 0x20).ok_or_else(short)?;
        let meta_fsid = if incompat & METADATA_UUID != 0 {
            arr16(raw, 0x23b).ok_or_else(short)?
        } else {
            fsid
        };
        let label = slice(raw, 0x12b, 256).ok_or_else(short)?;
        let label_len = label.iter().position(|&b| b == 0).unwrap_or(label.len());
        Ok(Superblock {
            offset: off,
            fsid,
            meta_fsid,
            generation: g64(0x48)?,
            root: g64(0x50)?,
            root_level,
            chunk_root: g64(0x58)?,
            chunk_root_level,
            chunk_root_generation: g64(0xa4)?,
            root_dir_objectid: g64(0x80)?,
            sectorsize,
            nodesize,
            csum,
            devid: g64(0xc9)?,
            num_devices: g64(0x88)?,
            label: label.get(..label_len).unwrap_or(&[]).to_vec(),
            sys_chunks,
        })
    }

    /// Reads the superblock of `dev`. `Ok(None)` when the primary copy lacks the magic
    /// (as GRUB and blkid, a volume without the primary magic is not btrfs: mirrors
    /// may survive a reformat by another filesystem). The primary is used when it is
    /// valid; when it is damaged, the valid mirror of the highest generation; with
    /// none, the primary's error.
    pub(crate) fn read<D: BlockDevice>(dev: &D) -> Result<Option<Superblock>, FsError> {
        let size = dev.size();
        let mut raw = alloc::vec![0u8; SUPER_SIZE];
        if PRIMARY_OFFSET.saturating_add(SUPER_SIZE as u64) > size {
            return Ok(None);
        }
        dev.read_exact_at(PRIMARY_OFFSET, &mut raw)?;
        if !Self::has_magic(&raw) {
            return Ok(None);
        }
        let primary_err = match Self::parse(&raw, PRIMARY_OFFSET) {
            Ok(sb) => return Ok(Some(sb)),
            // A valid primary naming something unsupported is the answer: mirrors
            // are for damage, not for getting around a feature.
            Err(e @ FsError::Corrupt(_)) => e,
            Err(e) => return Err(e),
        };
        let mut best: Option<Superblock> = None;
        for &off in OFFSETS.get(1..).unwrap_or(&[]) {
            if off.saturating_add(SUPER_SIZE as u64) > size {
                break;
            }
            dev.read_exact_at(off, &mut raw)?;
            if let Ok(sb) = Self::parse(&raw, off) {
                if best.as_ref().is_none_or(|b| sb.generation > b.generation) {
                    best = Some(sb);
                }
            }
        }
        best.map(Some).ok_or(primary_err)
    }

    /// The fsid as GRUB prints it for `search --fs-uuid` and as `blkid` does: lowercase
    /// `8-4-4-4-12` hex.
    pub(crate) fn uuid_string(&self) -> String {
        let mut s = String::with_capacity(36);
        for (i, b) in self.fsid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

//! The ext2/3/4 superblock: 1024 bytes at byte 1024 of the volume.
//!
//! Everything else is located from it, so it is checked hardest: geometry must be
//! self-consistent and fit the device, and every INCOMPAT feature must be one this
//! reader understands (INCOMPAT means "you will misread the filesystem if you ignore
//! this"). RO_COMPAT features only matter to writers and are ignored, except
//! `metadata_csum` and the older `gdt_csum`, whose checksums are verified.

use alloc::format;

use super::checksum::crc32c;
use crate::bytes::{le16, le32, slice, u8_at};
use crate::FsError;

/// Byte offset of the superblock on the volume, whatever the block size.
pub(crate) const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the superblock structure.
pub(crate) const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub(crate) const EXT4_MAGIC: u16 = 0xEF53;
/// Offset of `s_magic` inside the superblock.
pub(crate) const MAGIC_OFFSET: usize = 0x38;

// COMPAT features we care about (for naming only; all COMPAT features are safe to ignore).
pub(crate) const COMPAT_SPARSE_SUPER2: u32 = 0x200;

// INCOMPAT features.
const INCOMPAT_COMPRESSION: u32 = 0x1;
pub(crate) const INCOMPAT_FILETYPE: u32 = 0x2;
const INCOMPAT_RECOVER: u32 = 0x4;
const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
pub(crate) const INCOMPAT_META_BG: u32 = 0x10;
const INCOMPAT_EXTENTS: u32 = 0x40;
pub(crate) const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_MMP: u32 = 0x100;
const INCOMPAT_FLEX_BG: u32 = 0x200;
const INCOMPAT_EA_INODE: u32 = 0x400;
const INCOMPAT_DIRDATA: u32 = 0x1000;
pub(crate) const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub(crate) const INCOMPAT_LARGEDIR: u32 = 0x4000;
pub(crate) const INCOMPAT_INLINE_DATA: u32 = 0x8000;
const INCOMPAT_ENCRYPT: u32 = 0x10000;
pub(crate) const INCOMPAT_CASEFOLD: u32 = 0x20000;

/// INCOMPAT features this reader handles. Each is listed with why it is safe:
/// - needs_recovery: the journal is replayed in memory (see `journal`);
/// - filetype: dirents carry a type byte (name length is then one byte);
/// - meta_bg: group descriptors are placed per meta group (see `group_desc`);
/// - extents, 64bit, flex_bg: implemented (flex_bg only moves tables around, and the
///   descriptors say where);
/// - mmp: multi-mount protection is a block that writers update; readers ignore it;
/// - ea_inode: large xattr values live in inodes of their own; xattrs are never read
///   here, and an inode flagged as such a value is refused when a directory names it;
/// - csum_seed: the checksum seed is stored rather than derived from the UUID;
/// - largedir: three-level htrees, which the linear leaf scan reads the same way, and
///   directory sizes over 4 GiB (`i_size_high` counts for directories; such a size
///   still meets the directory size cap);
/// - inline_data: small files and directories kept inside the inode (see `inode`);
/// - encrypt: only encrypted inodes are unreadable, and those are refused one by one;
/// - casefold: directories flagged casefold compare names without case; the encoding
///   must be utf8-12.1, and lookups fold ASCII (see `casefold`).
const INCOMPAT_SUPPORTED: u32 = INCOMPAT_RECOVER
    | INCOMPAT_FILETYPE
    | INCOMPAT_META_BG
    | INCOMPAT_EXTENTS
    | INCOMPAT_64BIT
    | INCOMPAT_MMP
    | INCOMPAT_FLEX_BG
    | INCOMPAT_EA_INODE
    | INCOMPAT_CSUM_SEED
    | INCOMPAT_LARGEDIR
    | INCOMPAT_INLINE_DATA
    | INCOMPAT_ENCRYPT
    | INCOMPAT_CASEFOLD;

/// Names of INCOMPAT bits, for error messages.
const INCOMPAT_NAMES: [(u32, &str); 16] = [
    (INCOMPAT_COMPRESSION, "compression"),
    (INCOMPAT_FILETYPE, "filetype"),
    (INCOMPAT_RECOVER, "needs_recovery"),
    (INCOMPAT_JOURNAL_DEV, "journal_dev"),
    (INCOMPAT_META_BG, "meta_bg"),
    (INCOMPAT_EXTENTS, "extents"),
    (INCOMPAT_64BIT, "64bit"),
    (INCOMPAT_MMP, "mmp"),
    (INCOMPAT_FLEX_BG, "flex_bg"),
    (INCOMPAT_EA_INODE, "ea_inode"),
    (INCOMPAT_DIRDATA, "dirdata"),
    (INCOMPAT_CSUM_SEED, "metadata_csum_seed"),
    (INCOMPAT_LARGEDIR, "large_dir"),
    (INCOMPAT_INLINE_DATA, "inline_data"),
    (INCOMPAT_ENCRYPT, "encrypt"),
    (INCOMPAT_CASEFOLD, "casefold"),
];

// RO_COMPAT features.
pub(crate) const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
pub(crate) const RO_COMPAT_HUGE_FILE: u32 = 0x8;
pub(crate) const RO_COMPAT_GDT_CSUM: u32 = 0x10;
const RO_COMPAT_BIGALLOC: u32 = 0x200;
const RO_COMPAT_METADATA_CSUM: u32 = 0x400;

/// Largest block size: 64 KiB, as Linux.
const MAX_LOG_BLOCK_SIZE: u32 = 6;
/// Largest cluster (bigalloc): 2^30 bytes, as Linux (`s_log_cluster_size` <= 20).
const MAX_LOG_CLUSTER_SIZE: u32 = 20;
/// `s_encoding` of the only casefold encoding Linux knows: UTF-8, Unicode 12.1.
const ENCODING_UTF8_12_1: u16 = 1;
/// `s_encoding_flags`: invalid UTF-8 names are refused at creation.
const ENCODING_STRICT: u16 = 0x1;

/// The fields of the superblock this reader uses, validated.
#[derive(Debug, Clone)]
pub(crate) struct Superblock {
    pub inodes_count: u32,
    pub blocks_count: u64,
    pub first_data_block: u32,
    pub block_size: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub inode_size: u16,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    /// Bytes per group descriptor: 32, or `s_desc_size` with `64bit`.
    pub desc_size: u16,
    pub first_meta_bg: u32,
    /// `s_backup_bgs`, the two groups holding backups under `sparse_super2`.
    pub backup_bgs: [u32; 2],
    /// Number of block groups.
    pub group_count: u32,
    /// The `metadata_csum` seed, if the filesystem has metadata checksums.
    pub csum_seed: Option<u32>,
    /// `needs_recovery`: the journal holds committed transactions not yet written
    /// to their home blocks.
    pub needs_recovery: bool,
    /// `s_journal_inum`: the journal's inode (0 for an external journal).
    pub journal_inum: u32,
    /// Bytes per allocation cluster: the block size, or more with `bigalloc`.
    pub cluster_size: u32,
}

fn field<T>(v: Option<T>, what: &str) -> Result<T, FsError> {
    // Unreachable with a SUPERBLOCK_SIZE buffer; kept as an error, not a panic.
    v.ok_or_else(|| FsError::Corrupt(format!("ext4 superblock: field {what} out of range")))
}

fn corrupt(msg: alloc::string::String) -> FsError {
    FsError::Corrupt(format!("ext4 superblock (byte offset 1024): {msg}"))
}

impl Superblock {
    /// Whether `raw` (the 1024 bytes at offset 1024) carries the ext2/3/4 magic.
    pub(crate) fn has_magic(raw: &[u8]) -> bool {
        le16(raw, MAGIC_OFFSET) == Some(EXT4_MAGIC)
    }

    /// Parses and validates a superblock. `device_size` bounds the block count: a
    /// filesystem larger than its volume is corrupt (Linux refuses it too), and checking
    /// here means every block number below `blocks_count` is readable afterwards.
    pub(crate) fn parse(raw: &[u8], device_size: u64) -> Result<Self, FsError> {
        if raw.len() < SUPERBLOCK_SIZE {
            return Err(corrupt(format!("only {} bytes", raw.len())));
        }
        if !Self::has_magic(raw) {
            return Err(corrupt("bad magic".into()));
        }
        let incompat = field(le32(raw, 0x60), "s_feature_incompat")?;
        let ro_compat = field(le32(raw, 0x64), "s_feature_ro_compat")?;
        let compat = field(le32(raw, 0x5C), "s_feature_compat")?;

        // Checksum first: with metadata_csum, a mismatch means every other field is
        // suspect, and saying "checksum" is more useful than a geometry complaint.
        let csum_enabled = ro_compat & RO_COMPAT_METADATA_CSUM != 0;
        if csum_enabled {
            let ctype = field(u8_at(raw, 0x175), "s_checksum_type")?;
            if ctype != 1 {
                return Err(FsError::Unsupported(format!(
                    "ext4 superblock: checksum type {ctype} (only crc32c, type 1, exists)"
                )));
            }
            let stored = field(le32(raw, 0x3FC), "s_checksum")?;
            let computed = crc32c(!0, field(slice(raw, 0, 0x3FC), "superblock body")?);
            if stored != computed {
                return Err(corrupt(format!(
                    "superblock checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
                )));
            }
        }

        if incompat & INCOMPAT_JOURNAL_DEV != 0 {
            return Err(FsError::Unsupported(
                "this volume is an external ext4 journal device, not a filesystem".into(),
            ));
        }
        let unknown = incompat & !INCOMPAT_SUPPORTED;
        if unknown != 0 {
            let mut names = alloc::string::String::new();
            for (bit, name) in INCOMPAT_NAMES {
                if unknown & bit != 0 {
                    if !names.is_empty() {
                        names.push_str(", ");
                    }
                    names.push_str(name);
                }
            }
            let rest = unknown & !INCOMPAT_NAMES.iter().fold(0, |a, (b, _)| a | b);
            if rest != 0 {
                if !names.is_empty() {
                    names.push_str(", ");
                }
                names.push_str(&format!("unknown bits {rest:#x}"));
            }
            return Err(FsError::Unsupported(format!(
                "ext4 incompatible feature(s) not implemented: {names}"
            )));
        }

        let inodes_count = field(le32(raw, 0x0), "s_inodes_count")?;
        let blocks_lo = field(le32(raw, 0x4), "s_blocks_count_lo")?;
        let first_data_block = field(le32(raw, 0x14), "s_first_data_block")?;
        let log_block_size = field(le32(raw, 0x18), "s_log_block_size")?;
        let blocks_per_group = field(le32(raw, 0x20), "s_blocks_per_group")?;
        let inodes_per_group = field(le32(raw, 0x28), "s_inodes_per_group")?;
        let rev_level = field(le32(raw, 0x4C), "s_rev_level")?;
        let raw_inode_size = field(le16(raw, 0x58), "s_inode_size")?;
        let blocks_hi = field(le32(raw, 0x150), "s_blocks_count_hi")?;
        let raw_desc_size = field(le16(raw, 0xFE), "s_desc_size")?;
        let first_meta_bg = field(le32(raw, 0x104), "s_first_meta_bg")?;
        let backup_bgs = [
            field(le32(raw, 0x24C), "s_backup_bgs")?,
            field(le32(raw, 0x250), "s_backup_bgs")?,
        ];
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(field(slice(raw, 0x68, 16), "s_uuid")?);
        let mut volume_name = [0u8; 16];
        volume_name.copy_from_slice(field(slice(raw, 0x78, 16), "s_volume_name")?);

        if log_block_size > MAX_LOG_BLOCK_SIZE {
            return Err(corrupt(format!(
                "s_log_block_size {log_block_size} (block size over 64 KiB)"
            )));
        }
        let block_size: u32 = 1024u32 << log_block_size;
        let cluster_size = if ro_compat & RO_COMPAT_BIGALLOC != 0 {
            let log_cluster = field(le32(raw, 0x1C), "s_log_cluster_size")?;
            if log_cluster < log_block_size || log_cluster > MAX_LOG_CLUSTER_SIZE {
                return Err(corrupt(format!(
                    "s_log_cluster_size {log_cluster} with s_log_block_size {log_block_size}"
                )));
            }
            1024u32 << log_cluster
        } else {
            block_size
        };
        if incompat & INCOMPAT_CASEFOLD != 0 {
            let encoding = field(le16(raw, 0x27C), "s_encoding")?;
            let flags = field(le16(raw, 0x27E), "s_encoding_flags")?;
            if encoding != ENCODING_UTF8_12_1 {
                return Err(FsError::Unsupported(format!(
                    "ext4 casefold encoding {encoding} (only utf8-12.1, 1, exists)"
                )));
            }
            if flags & !ENCODING_STRICT != 0 {
                return Err(FsError::Unsupported(format!(
                    "ext4 casefold encoding flags {flags:#x} (only strict, 0x1, exists)"
                )));
            }
        }

        let is_64bit = incompat & INCOMPAT_64BIT != 0;
        let blocks_count = if is_64bit {
            (u64::from(blocks_hi) << 32) | u64::from(blocks_lo)
        } else {
            u64::from(blocks_lo)
        };
        if blocks_count == 0 || u64::from(first_data_block) >= blocks_count {
            return Err(corrupt(format!(
                "block count {blocks_count} with first data block {first_data_block}"
            )));
        }
        let fs_bytes = blocks_count
            .checked_mul(u64::from(block_size))
            .ok_or_else(|| corrupt(format!("block count {blocks_count} overflows")))?;
        if fs_bytes > device_size {
            return Err(corrupt(format!(
                "filesystem of {blocks_count} blocks of {block_size} bytes ({fs_bytes} bytes) \
                 is larger than its volume ({device_size} bytes)"
            )));
        }
        if blocks_per_group == 0 || inodes_per_group == 0 {
            return Err(corrupt(format!(
                "{blocks_per_group} blocks and {inodes_per_group} inodes per group"
            )));
        }
        // An inode bitmap is one block, so a group cannot have more inodes than bits.
        if inodes_per_group > block_size.saturating_mul(8) {
            return Err(corrupt(format!(
                "{inodes_per_group} inodes per group exceeds the bitmap size"
            )));
        }

        let inode_size = if rev_level == 0 { 128 } else { raw_inode_size };
        if inode_size < 128 || !inode_size.is_power_of_two() || u32::from(inode_size) > block_size {
            return Err(corrupt(format!("inode size {inode_size}")));
        }

        let desc_size = if is_64bit { raw_desc_size } else { 32 };
        if desc_size < 32
            || (is_64bit && desc_size < 64)
            || !desc_size.is_power_of_two()
            || u32::from(desc_size) > block_size
        {
            return Err(corrupt(format!("group descriptor size {desc_size}")));
        }

        // Groups cover blocks from first_data_block on; the last may be partial.
        let data_blocks = blocks_count.saturating_sub(u64::from(first_data_block));
        let groups = data_blocks.div_ceil(u64::from(blocks_per_group));
        let group_count =
            u32::try_from(groups).map_err(|_| corrupt(format!("{groups} block groups")))?;
        if u64::from(group_count).checked_mul(u64::from(inodes_per_group))
            != Some(u64::from(inodes_count))
        {
            return Err(corrupt(format!(
                "{inodes_count} inodes do not fill {group_count} groups of {inodes_per_group}"
            )));
        }

        let csum_seed = if csum_enabled {
            if incompat & INCOMPAT_CSUM_SEED != 0 {
                Some(field(le32(raw, 0x270), "s_checksum_seed")?)
            } else {
                Some(crc32c(!0, &uuid))
            }
        } else {
            None
        };

        Ok(Superblock {
            inodes_count,
            blocks_count,
            first_data_block,
            block_size,
            blocks_per_group,
            inodes_per_group,
            inode_size,
            feature_compat: compat,
            feature_incompat: incompat,
            feature_ro_compat: ro_compat,
            uuid,
            volume_name,
            desc_size,
            first_meta_bg,
            backup_bgs,
            group_count,
            csum_seed,
            needs_recovery: incompat & INCOMPAT_RECOVER != 0,
            journal_inum: field(le32(raw, 0xE0), "s_journal_inum")?,
            cluster_size,
        })
    }

    /// Whether the filesystem has the given RO_COMPAT feature bit.
    pub(crate) fn has_ro_compat(&self, bit: u32) -> bool {
        self.feature_ro_compat & bit != 0
    }

    /// Whether the filesystem has the given INCOMPAT feature bit.
    pub(crate) fn has_incompat(&self, bit: u32) -> bool {
        self.feature_incompat & bit != 0
    }

    /// The UUID as GRUB's `search --fs-uuid` spells it: lowercase 8-4-4-4-12.
    pub(crate) fn uuid_string(&self) -> alloc::string::String {
        let mut s = alloc::string::String::with_capacity(36);
        for (i, b) in self.uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The label, cut at the first NUL; `None` when empty.
    pub(crate) fn label(&self) -> Option<alloc::string::String> {
        let end = self.volume_name.iter().position(|&b| b == 0).unwrap_or(16);
        let name = self.volume_name.get(..end)?;
        if name.is_empty() {
            None
        } else {
            Some(alloc::string::String::from_utf8_lossy(name).into_owned())
        }
    }
}

//! Block group descriptors: where each group's inode table is.
//!
//! Descriptors are read one at a time when an inode is needed rather than all at mount:
//! a hostile superblock can claim millions of groups, and reading one 32/64-byte
//! descriptor per inode load costs nothing next to the inode read itself.

use alloc::format;
use alloc::vec;

use super::checksum::{crc16, crc32c};
use super::superblock::{
    Superblock, COMPAT_SPARSE_SUPER2, INCOMPAT_META_BG, RO_COMPAT_GDT_CSUM, RO_COMPAT_SPARSE_SUPER,
};
use crate::bytes::{le16, le32, slice};
use crate::FsError;
use xlboot_disk::BlockDevice;

/// Offset of `bg_checksum` inside a descriptor.
const CHECKSUM_OFFSET: usize = 0x1E;

/// The fields of a group descriptor this reader uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupDesc {
    /// First block of the group's inode table.
    pub inode_table: u64,
}

/// Whether `group` holds a superblock backup (and so, with `meta_bg`, whether its
/// meta-group descriptor block follows one).
fn has_super(sb: &Superblock, group: u32) -> bool {
    if group == 0 {
        return true;
    }
    if sb.feature_compat & COMPAT_SPARSE_SUPER2 != 0 {
        return sb.backup_bgs.contains(&group);
    }
    if sb.feature_ro_compat & RO_COMPAT_SPARSE_SUPER == 0 {
        return true;
    }
    if group == 1 {
        return true;
    }
    // Powers of 3, 5 and 7: a bounded loop (at most ~20 steps for a u32).
    for base in [3u32, 5, 7] {
        let mut p = base;
        while p < group {
            match p.checked_mul(base) {
                Some(n) => p = n,
                None => break,
            }
        }
        if p == group {
            return true;
        }
    }
    false
}

/// Byte offset of group `group`'s descriptor on the volume.
fn location(sb: &Superblock, group: u32) -> Option<u64> {
    let bs = u64::from(sb.block_size);
    let ds = u64::from(sb.desc_size);
    let per_block = u32::try_from(bs.checked_div(ds)?).ok()?;
    let meta_group = group.checked_div(per_block)?;
    if sb.has_incompat(INCOMPAT_META_BG) && meta_group >= sb.first_meta_bg {
        // With meta_bg, each meta group (the groups one descriptor block describes)
        // keeps its descriptor block in its own first group, after the superblock
        // backup if that group has one.
        let first = meta_group.checked_mul(per_block)?;
        let group_start = u64::from(sb.first_data_block)
            .checked_add(u64::from(first).checked_mul(u64::from(sb.blocks_per_group))?)?;
        let mut skip = u64::from(has_super(sb, first));
        // As Linux: with 1 KiB blocks and a first data block of 0 (bigalloc), group 0
        // starts at the boot block, and the superblock is one block further in.
        if bs == 1024 && first == 0 && sb.first_data_block == 0 {
            skip = skip.checked_add(1)?;
        }
        let block = group_start.checked_add(skip)?;
        let idx = u64::from(group.checked_rem(per_block)?);
        block.checked_mul(bs)?.checked_add(idx.checked_mul(ds)?)
    } else {
        // The classic table starts in the block after the one holding the superblock
        // (block 2 with 1 KiB blocks, else block 1). Not first_data_block + 1: with
        // bigalloc and 1 KiB blocks the first data block is 0 but the superblock
        // still sits in block 1.
        let sb_block = super::superblock::SUPERBLOCK_OFFSET.checked_div(bs)?;
        let start = sb_block.checked_add(1)?.checked_mul(bs)?;
        start.checked_add(u64::from(group).checked_mul(ds)?)
    }
}

/// Reads, checks and parses the descriptor of `group`.
pub(crate) fn read<D: BlockDevice>(
    dev: &D,
    sb: &Superblock,
    group: u32,
) -> Result<GroupDesc, FsError> {
    if group >= sb.group_count {
        return Err(FsError::Corrupt(format!(
            "ext4: block group {group} past the last ({})",
            sb.group_count
        )));
    }
    let off = location(sb, group).ok_or_else(|| {
        FsError::Corrupt(format!(
            "ext4: descriptor of group {group} lies beyond 2^64"
        ))
    })?;
    let mut raw = vec![0u8; usize::from(sb.desc_size)];
    dev.read_exact_at(off, &mut raw).map_err(|e| {
        FsError::Corrupt(format!("ext4: group descriptor {group} at byte {off}: {e}"))
    })?;
    let bad = |what: &str| {
        FsError::Corrupt(format!(
            "ext4: group descriptor {group} at byte {off}: {what}"
        ))
    };

    // Both checksums skip bg_checksum itself and cover the rest of the descriptor (all
    // `s_desc_size` bytes with 64bit; the 32 bytes of the small descriptor otherwise).
    let stored = le16(&raw, CHECKSUM_OFFSET).ok_or_else(|| bad("short"))?;
    let head = slice(&raw, 0, CHECKSUM_OFFSET).ok_or_else(|| bad("short"))?;
    let rest = raw.get(CHECKSUM_OFFSET.saturating_add(2)..).unwrap_or(&[]);
    let computed = if let Some(seed) = sb.csum_seed {
        // metadata_csum: crc32c(seed, group number, descriptor), low 16 bits.
        let mut crc = crc32c(seed, &group.to_le_bytes());
        crc = crc32c(crc, head);
        crc = crc32c(crc, &[0, 0]);
        crc = crc32c(crc, rest);
        Some(u16::try_from(crc & 0xFFFF).unwrap_or(0))
    } else if sb.feature_ro_compat & RO_COMPAT_GDT_CSUM != 0 {
        // gdt_csum (`uninit_bg`), the older scheme: crc16(!0, UUID, group, descriptor).
        let mut crc = crc16(!0, &sb.uuid);
        crc = crc16(crc, &group.to_le_bytes());
        crc = crc16(crc, head);
        crc = crc16(crc, rest);
        Some(crc)
    } else {
        None
    };
    if let Some(computed) = computed {
        if stored != computed {
            return Err(bad(&format!(
                "checksum mismatch (stored {stored:#06x}, computed {computed:#06x})"
            )));
        }
    }

    let lo = le32(&raw, 0x8).ok_or_else(|| bad("short"))?;
    let hi = if sb.desc_size >= 64 {
        le32(&raw, 0x28).ok_or_else(|| bad("short"))?
    } else {
        0
    };
    let inode_table = (u64::from(hi) << 32) | u64::from(lo);
    if inode_table == 0 || inode_table >= sb.blocks_count {
        return Err(bad(&format!(
            "inode table at block {inode_table}, outside the filesystem"
        )));
    }
    Ok(GroupDesc { inode_table })
}

//! The md 0.90 superblock: 4 KiB in the last 64 KiB-aligned 64 KiB of the member,
//! 32-bit words in the host's byte order (little-endian on the x86 machines that
//! write guest images). The array's data starts at the member's first byte.

use crate::block::BlockDevice;
use crate::bytes::u32_le;

use super::{MdError, MdMember, MdVersion, MAGIC};

/// Size of the superblock.
const SIZE: usize = 4096;
/// The reserved area at the end of the member, also the alignment.
const RESERVED: u64 = 64 * 1024;

/// Where the 0.90 superblock of a member of `size` bytes is, if it has room.
pub fn offset(size: u64) -> Option<u64> {
    (size & !(RESERVED - 1)).checked_sub(RESERVED)
}

/// Reads a 0.90 superblock. `Ok(None)` if there is no md magic where it would be.
pub fn read<D: BlockDevice + ?Sized>(dev: &D) -> Result<Option<MdMember>, MdError> {
    let Some(at) = offset(dev.size()) else {
        return Ok(None);
    };
    let mut sb = [0u8; SIZE];
    dev.read_exact_at(at, &mut sb)?;
    let word = |i: usize| u32_le(&sb, i.saturating_mul(4));
    if word(0) != MAGIC || word(1) != 0 {
        return Ok(None);
    }
    if word(2) != 90 {
        return Err(MdError::Unsupported(alloc::format!(
            "md superblock 0.{} at byte {at}",
            word(2)
        )));
    }
    // The checksum (word 38) is the sum of all 1024 words with itself as zero,
    // folded to 32 bits.
    let mut sum: u64 = 0;
    for i in 0..SIZE / 4 {
        if i != 38 {
            sum = sum.wrapping_add(u64::from(word(i)));
        }
    }
    let folded = (sum & 0xFFFF_FFFF).wrapping_add(sum >> 32) as u32;
    if folded != word(38) {
        return Err(MdError::Corrupt(alloc::format!(
            "md 0.90 superblock checksum does not match (at byte {at})"
        )));
    }
    // set_uuid0 is word 5, set_uuid1..3 words 13..15; GRUB and mdadm write each
    // word as 8 hex digits of its value.
    let mut uuid = [0u8; 16];
    for (i, w) in [5usize, 13, 14, 15].into_iter().enumerate() {
        if let Some(dst) = uuid.get_mut(i.saturating_mul(4)..i.saturating_mul(4).saturating_add(4))
        {
            dst.copy_from_slice(&word(w).to_be_bytes());
        }
    }
    let level = word(7) as i32;
    // Word 8: size of each member used, in KiB.
    let data_size = u64::from(word(8)).saturating_mul(1024);
    Ok(Some(MdMember {
        version: MdVersion::V090,
        uuid,
        name: None,
        minor: word(11),
        level,
        raid_disks: word(10),
        data_offset: 0,
        data_size,
        superblock_at: at,
    }))
}

//! The md 1.x superblock: 256 bytes plus two bytes per device role, little-endian.
//! 1.0 puts it near the end of the member (8 KiB from the end, 4 KiB aligned), 1.1
//! at byte 0, 1.2 at byte 4096; the array's data starts `data_offset` sectors into
//! the member in all three.

use alloc::string::String;

use crate::block::BlockDevice;
use crate::bytes::{array, u32_le, u64_le};

use super::{MdError, MdMember, MdVersion, MAGIC};

/// The fixed part of the superblock.
const FIXED: usize = 256;
/// Largest device-role table read (mdadm allows up to 1920 devices).
const MAX_DEVS: u32 = 1920;

/// Where a 1.x superblock of each minor version is on a member of `size` bytes.
pub fn offset(version: MdVersion, size: u64) -> Option<u64> {
    match version {
        MdVersion::V1_0 => {
            let sectors = size / 512;
            sectors
                .checked_sub(16)
                .map(|s| (s & !7).saturating_mul(512))
        }
        MdVersion::V1_1 => Some(0),
        MdVersion::V1_2 => Some(4096),
        MdVersion::V090 => None,
    }
}

/// Reads a 1.x superblock of the given minor version. `Ok(None)` if there is no md
/// magic there.
pub fn read<D: BlockDevice + ?Sized>(
    dev: &D,
    version: MdVersion,
) -> Result<Option<MdMember>, MdError> {
    let Some(at) = offset(version, dev.size()) else {
        return Ok(None);
    };
    if at.saturating_add(FIXED as u64) > dev.size() {
        return Ok(None);
    }
    let mut fixed = [0u8; FIXED];
    dev.read_exact_at(at, &mut fixed)?;
    if u32_le(&fixed, 0) != MAGIC || u32_le(&fixed, 4) != 1 {
        return Ok(None);
    }
    let corrupt = |what: &str| {
        MdError::Corrupt(alloc::format!(
            "md {version} superblock at byte {at}: {what}"
        ))
    };
    let super_offset = u64_le(&fixed, 144);
    if super_offset.checked_mul(512) != Some(at) {
        return Err(corrupt("it does not say it is where it was found"));
    }
    let max_dev = u32_le(&fixed, 220);
    if max_dev > MAX_DEVS {
        return Err(corrupt("too many device roles"));
    }
    // The checksum covers the fixed part and the role table, with itself as zero.
    let total = FIXED.saturating_add((max_dev as usize).saturating_mul(2));
    let mut whole = alloc::vec![0u8; total];
    dev.read_exact_at(at, &mut whole)?;
    let mut sum: u64 = 0;
    let mut i = 0usize;
    while i.saturating_add(4) <= total {
        if i != 216 {
            sum = sum.wrapping_add(u64::from(u32_le(&whole, i)));
        }
        i = i.saturating_add(4);
    }
    if total % 4 == 2 {
        sum = sum.wrapping_add(u64::from(crate::bytes::u16_le(
            &whole,
            total.saturating_sub(2),
        )));
    }
    let folded = (sum & 0xFFFF_FFFF).wrapping_add(sum >> 32) as u32;
    if folded != u32_le(&fixed, 216) {
        return Err(corrupt("checksum does not match"));
    }
    let name_bytes = array::<32>(&fixed, 32);
    let name_len = name_bytes.iter().position(|&b| b == 0).unwrap_or(32);
    let name = String::from_utf8_lossy(name_bytes.get(..name_len).unwrap_or(&[])).into_owned();
    let data_offset = u64_le(&fixed, 128)
        .checked_mul(512)
        .ok_or_else(|| corrupt("data offset overflows"))?;
    let data_size = u64_le(&fixed, 80)
        .checked_mul(512)
        .ok_or_else(|| corrupt("data size overflows"))?;
    Ok(Some(MdMember {
        version,
        uuid: array::<16>(&fixed, 16),
        name: (!name.is_empty()).then_some(name),
        minor: 0,
        level: u32_le(&fixed, 72) as i32,
        raid_disks: u32_le(&fixed, 92),
        data_offset,
        data_size,
        superblock_at: at,
    }))
}

//! A metadata area: a 512-byte header (checksum, magic, version, where the area is,
//! and `raw_locn` entries saying where in the area's circular buffer the current
//! metadata text is), then the buffer. Reads the current text, checked.

use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::bytes::{array, u32_le, u64_le};

use super::label::lvm_crc;
use super::pv_header::DiskLocation;
use super::{corrupt, LvmError};

/// Size of the header at the start of a metadata area.
pub const HEADER_SIZE: u64 = 512;
/// [`HEADER_SIZE`] as a buffer length.
const HEADER_LEN: usize = 512;
/// The header's magic.
pub const MAGIC: [u8; 16] = *b" LVM2 x[5A%r0N*>";
/// Largest metadata text read (LVM's default area is 1 MiB).
pub const MAX_TEXT: u64 = 8 << 20;
/// `raw_locn` flag: the copy is being ignored (`pvchange --metadataignore`).
const RAW_LOCN_IGNORED: u32 = 1;

/// Reads the current metadata text of the area at `loc` (on the PV `dev`).
/// `Ok(None)` when the area holds no metadata (a new PV, or an ignored copy).
pub fn read_text<D: BlockDevice + ?Sized>(
    dev: &D,
    loc: DiskLocation,
) -> Result<Option<Vec<u8>>, LvmError> {
    let at = loc.offset;
    let mut h = [0u8; HEADER_LEN];
    dev.read_exact_at(at, &mut h)?;
    if array::<16>(&h, 4) != MAGIC {
        return Err(corrupt(at, "metadata area header has no LVM2 magic"));
    }
    let stored = u32_le(&h, 0);
    if stored != lvm_crc(h.get(4..).unwrap_or(&[])) {
        return Err(corrupt(at, "metadata area header checksum does not match"));
    }
    if u32_le(&h, 20) != 1 {
        return Err(LvmError::Unsupported(alloc::format!(
            "metadata area header at byte {at} has version {}",
            u32_le(&h, 20)
        )));
    }
    if u64_le(&h, 24) != loc.offset {
        return Err(corrupt(at, "metadata area header names another start"));
    }
    let size = u64_le(&h, 32);
    if size <= HEADER_SIZE || size != loc.size {
        return Err(corrupt(
            at,
            "metadata area size disagrees with the PV header",
        ));
    }
    // raw_locn[0]: offset (from the area start), size, checksum, flags.
    let offset = u64_le(&h, 40);
    let len = u64_le(&h, 48);
    let checksum = u32_le(&h, 56);
    let flags = u32_le(&h, 60);
    if offset == 0 || flags & RAW_LOCN_IGNORED != 0 {
        return Ok(None);
    }
    let buffer = size.saturating_sub(HEADER_SIZE);
    if offset < HEADER_SIZE || offset >= size || len == 0 || len > buffer {
        return Err(corrupt(at, "metadata text location is outside its area"));
    }
    if len > MAX_TEXT {
        return Err(LvmError::Limit(alloc::format!(
            "metadata text at byte {} is {len} bytes, more than the {MAX_TEXT} read",
            at.saturating_add(offset)
        )));
    }
    let len_usize = usize::try_from(len).map_err(|_| corrupt(at, "metadata text too large"))?;
    let mut text = vec![0u8; len_usize];
    // The buffer is circular: text running past the area's end continues right after
    // the header.
    let first = size.saturating_sub(offset).min(len);
    let first_usize = usize::try_from(first).unwrap_or(len_usize);
    let (head, tail) = text.split_at_mut(first_usize.min(len_usize));
    dev.read_exact_at(at.saturating_add(offset), head)?;
    if !tail.is_empty() {
        dev.read_exact_at(at.saturating_add(HEADER_SIZE), tail)?;
    }
    if lvm_crc(&text) != checksum {
        return Err(corrupt(
            at.saturating_add(offset),
            "metadata text checksum does not match",
        ));
    }
    Ok(Some(text))
}

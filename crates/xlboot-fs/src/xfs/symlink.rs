//! Remote symlink blocks: a target too long for the inode's literal area lives in
//! filesystem blocks. On v4 they hold the bytes alone; on v5 each mapping (one
//! extent) starts with a header (`XSLM`, the offset of its piece in the target, the
//! piece's length, CRC32C over the mapping, UUID, owner inode, disk address).

use alloc::format;
use alloc::vec::Vec;

use super::checksum::verify_crc;
use super::superblock::Superblock;
use crate::bytes::{be32, be64, slice};
use crate::FsError;

const MAGIC: u32 = 0x5853_4C4D;
/// v5 header length and the offset of its CRC.
pub(crate) const HDR_LEN: usize = 56;
const CRC_OFF: usize = 12;
/// The longest target XFS stores (`XFS_SYMLINK_MAXLEN`).
pub(crate) const MAX_LEN: usize = 1024;

/// Appends the target bytes held in one mapping `buf` (read at byte `at`) of symlink
/// inode `ino` to `out`, which must reach `len` bytes in the end.
pub(crate) fn append(
    buf: &[u8],
    sb: &Superblock,
    ino: u64,
    at: u64,
    len: usize,
    out: &mut Vec<u8>,
) -> Result<(), FsError> {
    let bad = |what: &str| {
        FsError::Corrupt(format!(
            "xfs: symlink inode {ino}, block at byte {at}: {what}"
        ))
    };
    let want = len.saturating_sub(out.len());
    let piece = if sb.is_v5() {
        if be32(buf, 0) != Some(MAGIC) {
            return Err(bad("bad magic"));
        }
        verify_crc(buf, CRC_OFF).map_err(|_| bad("checksum mismatch"))?;
        if be32(buf, 4).and_then(|o| usize::try_from(o).ok()) != Some(out.len())
            || slice(buf, 16, 16) != Some(&sb.meta_uuid[..])
            || be64(buf, 32) != Some(ino)
            || be64(buf, 40) != Some(at >> 9)
        {
            return Err(bad("offset, UUID, owner or block number mismatch"));
        }
        let bytes = usize::try_from(be32(buf, 8).unwrap_or(u32::MAX)).unwrap_or(usize::MAX);
        if bytes == 0 || bytes > want {
            return Err(bad(&format!("{bytes} bytes where {want} remain")));
        }
        slice(buf, HDR_LEN, bytes).ok_or_else(|| bad("piece longer than its block"))?
    } else {
        buf.get(..want.min(buf.len())).unwrap_or(&[])
    };
    out.extend_from_slice(piece);
    Ok(())
}

//! CRC32C of v5 metadata: computed over the whole structure with its own checksum
//! field taken as zero, inverted, and stored little-endian (the one little-endian
//! field in a big-endian format).

use crate::bytes::le32;
use crate::ext4::checksum::crc32c;

/// Checks the CRC32C of `buf` whose checksum field is at `off`. `Err(())` when the
/// field is out of range or the checksum does not match; callers say what and where.
pub(crate) fn verify_crc(buf: &[u8], off: usize) -> Result<(), ()> {
    let stored = le32(buf, off).ok_or(())?;
    let head = buf.get(..off).ok_or(())?;
    let tail = buf.get(off.checked_add(4).ok_or(())?..).ok_or(())?;
    let crc = crc32c(crc32c(crc32c(!0, head), &[0u8; 4]), tail);
    if !crc == stored {
        Ok(())
    } else {
        Err(())
    }
}

//! Copying boot files out of the guest into dom0.

use std::io::Write;

use xlboot_fs::FsError;

use xlboot_boot::Found;

/// Bytes read from the guest per call: large enough that the copy runs at disk speed.
const CHUNK: usize = 4 << 20;

/// Why a copy failed: reading the guest, or writing dom0.
#[derive(Debug)]
pub enum CopyError {
    /// The guest's filesystem could not be read, or the file is over its size limit.
    Guest(FsError),
    /// The copy could not be written.
    Write(std::io::Error),
}

/// Appends the whole of a guest file to `out`, refusing it before reading a byte if its
/// size is over `max` (a sparse file can claim any size). Returns the bytes copied.
pub fn append(found: &Found<'_, '_>, out: &mut impl Write, max: u64) -> Result<u64, CopyError> {
    let size = found
        .fs
        .metadata(found.node)
        .map_err(CopyError::Guest)?
        .size;
    if size > max {
        return Err(CopyError::Guest(FsError::Limit(format!(
            "file is {size} bytes, more than the {max} allowed"
        ))));
    }
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(size).unwrap_or(CHUNK)).max(1)];
    let mut offset = 0u64;
    while offset < size {
        let want = usize::try_from(size - offset)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = found
            .fs
            .read_at(found.node, offset, &mut buf[..want])
            .map_err(CopyError::Guest)?;
        if n == 0 {
            return Err(CopyError::Guest(FsError::Corrupt(format!(
                "file ends at {offset} bytes, before its size {size}"
            ))));
        }
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
        offset += n as u64;
    }
    Ok(size)
}

/// Pads `out` with zeros from `len` bytes to the next multiple of 4: GRUB loads each
/// initrd of an entry at a 4-byte aligned address, one after the other.
pub fn pad_to_4(out: &mut impl Write, len: u64) -> Result<u64, CopyError> {
    let pad = (4 - len % 4) % 4;
    out.write_all(&[0u8; 3][..pad as usize])
        .map_err(CopyError::Write)?;
    Ok(len + pad)
}

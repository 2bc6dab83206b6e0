//! The length of the zstd frame at the start of a compressed cluster.
//!
//! QEMU packs compressed clusters back to back, and the L2 entry gives only an upper
//! bound of a cluster's length (whole 512-byte sectors), so the bytes after a zstd
//! frame are often the next cluster's frame; decoding them too would produce more
//! than a cluster. Deflate streams end themselves; a zstd frame's length is found by
//! walking its header and block headers (RFC 8878, section 3.1.1).

/// Magic number of a zstd frame.
const MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Bytes of the first frame of `input`, or `None` if it is not a whole frame.
pub fn frame_len(input: &[u8]) -> Option<usize> {
    if input.get(..4)? != MAGIC {
        return None;
    }
    let descriptor = *input.get(4)?;
    let fcs_flag = descriptor >> 6;
    let single_segment = descriptor & 0x20 != 0;
    let checksum = descriptor & 0x04 != 0;
    let dict_len = match descriptor & 3 {
        0 => 0usize,
        1 => 1,
        2 => 2,
        _ => 4,
    };
    let fcs_len = match fcs_flag {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let mut pos = 5usize
        .checked_add(usize::from(!single_segment))?
        .checked_add(dict_len)?
        .checked_add(fcs_len)?;
    // Each block takes at least its 3-byte header, so this ends within the input.
    loop {
        let [b0, b1, b2] = *input.get(pos..)?.first_chunk::<3>()?;
        let header = u32::from(b0) | u32::from(b1) << 8 | u32::from(b2) << 16;
        let last = header & 1 != 0;
        let size = usize::try_from(header >> 3).ok()?;
        let content = match (header >> 1) & 3 {
            0 | 2 => size, // raw, compressed
            1 => 1,        // RLE: one byte
            _ => return None,
        };
        pos = pos.checked_add(3)?.checked_add(content)?;
        if pos > input.len() {
            return None;
        }
        if last {
            break;
        }
    }
    if checksum {
        pos = pos.checked_add(4)?;
    }
    (pos <= input.len()).then_some(pos)
}

//! bzip2's CRC-32: the same polynomial as gzip's (0x04C11DB7) but not reflected,
//! most significant bit first. Every block carries one over its output; the stream
//! trailer carries their combination.

/// The 256-entry table, built at compile time.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The CRC of `data`, as bzip2 stores it for a block.
pub fn block(data: &[u8]) -> u32 {
    let mut c = u32::MAX;
    for &b in data {
        let [top, ..] = c.to_be_bytes();
        c = (c << 8) ^ TABLE.get(usize::from(top ^ b)).copied().unwrap_or(0);
    }
    !c
}

/// Folds a block's CRC into the stream's, as bzip2 does.
pub fn combine(stream: u32, block: u32) -> u32 {
    stream.rotate_left(1) ^ block
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_value() {
        // CRC-32/BZIP2 of "123456789".
        assert_eq!(super::block(b"123456789"), 0xFC89_1918);
    }
}

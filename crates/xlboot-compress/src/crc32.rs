//! CRC-32 (IEEE 802.3, reflected, as gzip uses), table-driven.

/// The 256-entry table, built at compile time (an out-of-range index here would be a
/// compile error, not a run-time panic).
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Continues a CRC-32 over `data`; start with 0.
pub fn update(crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in data {
        let [low, ..] = c.to_le_bytes();
        let index = usize::from(low ^ b);
        c = TABLE.get(index).copied().unwrap_or(0) ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_value() {
        assert_eq!(super::update(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(
            super::update(super::update(0, b"1234"), b"56789"),
            0xCBF4_3926
        );
    }
}

//! CRC-32 as GPT uses it (IEEE 802.3, reflected polynomial 0xEDB88320, initial value
//! and final XOR all ones): the same checksum as zlib's `crc32`.

/// Lookup table for one byte at a time, built at compile time.
const TABLE: [u32; 256] = build_table();

// Evaluated only at compile time: the loop index stays below 256, and an out-of-range
// index would be a compile error, not a runtime panic.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0u32;
    while i < 256 {
        let mut c = i;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i as usize] = c;
        i += 1;
    }
    table
}

/// A running CRC-32, for data that arrives in pieces.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Crc32 {
    /// A checksum over no bytes yet.
    pub fn new() -> Self {
        Crc32(0xFFFF_FFFF)
    }

    /// Adds `data` to the checksum.
    pub fn update(&mut self, data: &[u8]) {
        let mut c = self.0;
        for &b in data {
            let index = usize::from(c.to_le_bytes()[0] ^ b);
            c = TABLE.get(index).copied().unwrap_or(0) ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The checksum of everything added so far.
    pub fn finish(self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    /// A checksum started from `state` instead of all ones: LVM2 starts its label and
    /// metadata checksums from 0xF597A6CF and applies no final XOR (see [`Crc32::state`]).
    pub fn with_state(state: u32) -> Self {
        Crc32(state)
    }

    /// The running value without the final XOR, as LVM2 stores it.
    pub fn state(self) -> u32 {
        self.0
    }
}

/// The CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(data);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
        let mut c = Crc32::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finish(), 0xCBF4_3926);
    }
}

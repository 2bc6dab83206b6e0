//! CRC32C (Castagnoli), the checksum of ext4's `metadata_csum` feature, and CRC16
//! (the ANSI polynomial), the older `gdt_csum`/`uninit_bg` group descriptor checksum.
//!
//! ext4 uses the raw reflected CRC: the caller supplies the starting value (`!0` or a
//! seed derived from the UUID, the inode number, ...) and no final inversion is done,
//! which is what lets checksums be chained over several pieces. A 1 KiB table built at
//! compile time keeps this dependency-free and fast enough for metadata blocks.

/// Reflected CRC32C polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Byte-at-a-time lookup table, computed at compile time.
static TABLE: [u32; 256] = make_table();

/// Slicing-by-8 tables: `SLICES[k][b]` is the CRC of byte `b` followed by `k` zero
/// bytes, so eight bytes are folded in with eight lookups and no loop-carried
/// dependency between them. Every directory block, inode and tree block is
/// checksummed; byte at a time this was the largest part of deciding on an ext4 or
/// Btrfs disk (see docs/benchmarks.md). 8 KiB, computed at compile time.
static SLICES: [[u32; 256]; 8] = make_slices();

// Runs at compile time only, over constant bounds: no guest data reaches it.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn make_slices() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    t[0] = make_table();
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// One entry of a slicing table (the index is always below 256).
fn slice_entry(k: usize, b: u8) -> u32 {
    SLICES
        .get(k)
        .and_then(|t| t.get(usize::from(b)))
        .copied()
        .unwrap_or(0)
}

// Runs at compile time only, over constant bounds: no guest data reaches it.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0usize;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// Reflected CRC16 (ANSI, x^16 + x^15 + x^2 + 1), as Linux's `lib/crc16.c`.
const POLY16: u16 = 0xA001;

/// Byte-at-a-time CRC16 table, computed at compile time.
static TABLE16: [u16; 256] = make_table16();

// Runs at compile time only, over constant bounds: no guest data reaches it.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
const fn make_table16() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0usize;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ POLY16
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// Continues a CRC16 over `data` from `crc` (no inversion; ext4 starts at `!0`).
pub(crate) fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        let [lo, _] = crc.to_le_bytes();
        let idx = usize::from(lo ^ b);
        crc = TABLE16.get(idx).copied().unwrap_or(0) ^ (crc >> 8);
    }
    crc
}

/// Big-endian (MSB-first) CRC32 polynomial, as Linux's `crc32_be`.
const POLY_BE: u32 = 0x04C1_1DB7;

/// Byte-at-a-time table for [`crc32_be`], computed at compile time.
static TABLE_BE: [u32; 256] = make_table_be();

// Runs at compile time only, over constant bounds: no guest data reaches it.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
const fn make_table_be() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0usize;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ POLY_BE
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// Continues a big-endian CRC32 over `data` from `crc` (no inversion), as the jbd2
/// v1 journal checksum (`JBD2_FEATURE_COMPAT_CHECKSUM`) uses it.
pub(crate) fn crc32_be(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        let [hi, ..] = crc.to_be_bytes();
        let idx = usize::from(hi ^ b);
        crc = TABLE_BE.get(idx).copied().unwrap_or(0) ^ (crc << 8);
    }
    crc
}

/// Continues a CRC32C over `data`, starting from `crc` (no pre- or post-inversion,
/// as ext4's `ext4_chksum` does).
pub(crate) fn crc32c(mut crc: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = <[u8; 8]>::try_from(w).unwrap_or([0; 8]);
        let [c0, c1, c2, c3] = crc.to_le_bytes();
        crc = slice_entry(7, b0 ^ c0)
            ^ slice_entry(6, b1 ^ c1)
            ^ slice_entry(5, b2 ^ c2)
            ^ slice_entry(4, b3 ^ c3)
            ^ slice_entry(3, b4)
            ^ slice_entry(2, b5)
            ^ slice_entry(1, b6)
            ^ slice_entry(0, b7);
    }
    for &b in words.remainder() {
        let [lo, ..] = crc.to_le_bytes();
        let idx = usize::from(lo ^ b);
        crc = TABLE.get(idx).copied().unwrap_or(0) ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::{crc16, crc32_be, crc32c};

    #[test]
    fn crc32_be_check_value() {
        // CRC-32/BZIP2 (MSB-first, init and final xor !0) of "123456789".
        assert_eq!(!crc32_be(!0, b"123456789"), 0xFC89_1918);
    }

    #[test]
    fn crc16_check_value() {
        // CRC-16/MODBUS: the reflected ANSI polynomial from 0xFFFF, no final xor.
        assert_eq!(crc16(!0, b"123456789"), 0x4B37);
    }

    #[test]
    fn standard_check_value() {
        // The standard CRC-32C check: crc of "123456789" with init and final xor !0.
        assert_eq!(!crc32c(!0, b"123456789"), 0xE306_9283);
    }

    #[test]
    fn eight_at_a_time_is_byte_at_a_time() {
        let bytewise = |mut crc: u32, data: &[u8]| {
            for &b in data {
                crc = super::TABLE[usize::from(crc.to_le_bytes()[0] ^ b)] ^ (crc >> 8);
            }
            crc
        };
        let data: alloc::vec::Vec<u8> = (0u32..300).map(|i| (i * 131 + 7) as u8).collect();
        for start in 0..9 {
            for end in start..data.len() {
                let d = &data[start..end];
                assert_eq!(crc32c(0x1234_5678, d), bytewise(0x1234_5678, d));
            }
        }
    }

    #[test]
    fn chains() {
        let whole = crc32c(!0, b"hello world");
        let parts = crc32c(crc32c(!0, b"hello "), b"world");
        assert_eq!(whole, parts);
    }
}

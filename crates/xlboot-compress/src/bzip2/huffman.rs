//! One of a block's Huffman tables (2 to 6 of them): canonical codes from their
//! lengths, as bzip2's `hbAssignCodes` gives them (by length, then by symbol).
//!
//! The lengths come from the stream, so they are checked here: each is 1 to 20
//! bits, and together they may not claim more codes than exist (an over-subscribed
//! table would make codes ambiguous). A table with unused codes is accepted, as
//! bzip2 accepts it; reading one of those codes is an error.

use crate::bzip2::bits::Bits;
use crate::{corrupt, Outcome};

/// The longest code bzip2 allows (`BZ_MAX_CODE_LEN`).
pub const MAX_LEN: u32 = 20;
/// The largest alphabet: RUNA, RUNB, 255 move-to-front positions, end of block.
pub const MAX_SYMBOLS: usize = 258;
/// Codes up to this long are decoded by one table lookup; longer ones (rare: bzip2
/// writes at most 17 bits, and short codes for the common symbols) by a walk over
/// the lengths.
const FAST_BITS: u32 = 10;
/// Entries in the lookup table.
const FAST_SIZE: usize = 1 << FAST_BITS;

/// A decoding table.
pub struct Table {
    /// For every `FAST_BITS`-bit prefix: `symbol << 5 | length`, or 0 when the code
    /// there is longer than `FAST_BITS` (or unused).
    fast: [u16; FAST_SIZE],
    /// For each length: the first canonical code of that length.
    first: [u32; MAX_LEN as usize + 1],
    /// For each length: how many codes have it.
    count: [u32; MAX_LEN as usize + 1],
    /// For each length: where its symbols start in `sorted`.
    start: [u32; MAX_LEN as usize + 1],
    /// The symbols ordered by (length, symbol).
    sorted: [u16; MAX_SYMBOLS],
}

impl Table {
    /// Builds the table for `lengths` (one per symbol, each already checked to be
    /// 1..=20 by the reader).
    pub fn new(lengths: &[u8]) -> Outcome<Table> {
        let mut t = Table {
            fast: [0; FAST_SIZE],
            first: [0; MAX_LEN as usize + 1],
            count: [0; MAX_LEN as usize + 1],
            start: [0; MAX_LEN as usize + 1],
            sorted: [0; MAX_SYMBOLS],
        };
        if lengths.len() > MAX_SYMBOLS {
            return corrupt("Huffman table with too many symbols");
        }
        for &len in lengths {
            let Some(c) = t.count.get_mut(usize::from(len)).filter(|_| len != 0) else {
                return corrupt("Huffman code length outside 1 to 20");
            };
            *c = c.wrapping_add(1);
        }
        // Canonical first codes, and the over-subscription check: at each length the
        // codes used so far may not pass 2^length.
        let mut code = 0u32;
        let mut index = 0u32;
        for len in 1..=MAX_LEN {
            let l = usize::try_from(len).unwrap_or(0);
            let n = t.count.get(l).copied().unwrap_or(0);
            code <<= 1;
            if let (Some(f), Some(s)) = (t.first.get_mut(l), t.start.get_mut(l)) {
                *f = code;
                *s = index;
            }
            code = code.wrapping_add(n);
            index = index.wrapping_add(n);
            if code > 1 << len {
                return corrupt("over-subscribed Huffman table");
            }
        }
        // Symbols in canonical order; `next` is each length's next free slot.
        let mut next = t.start;
        for (symbol, &len) in lengths.iter().enumerate() {
            let Some(slot) = next.get_mut(usize::from(len)) else {
                continue;
            };
            if let Some(s) = t
                .sorted
                .get_mut(usize::try_from(*slot).unwrap_or(usize::MAX))
            {
                *s = u16::try_from(symbol).unwrap_or(0);
            }
            *slot = slot.wrapping_add(1);
            // Short codes fill every lookup entry that starts with them.
            let len = u32::from(len);
            if len <= FAST_BITS {
                let l = usize::from(u8::try_from(len).unwrap_or(0));
                let ordinal = slot
                    .wrapping_sub(1)
                    .wrapping_sub(t.start.get(l).copied().unwrap_or(0));
                let code = t.first.get(l).copied().unwrap_or(0).wrapping_add(ordinal);
                let shift = FAST_BITS.wrapping_sub(len);
                let from = usize::try_from(code << shift).unwrap_or(usize::MAX);
                let to = usize::try_from((code.wrapping_add(1)) << shift).unwrap_or(0);
                let entry =
                    u16::try_from(symbol << 5).unwrap_or(0) | u16::try_from(len).unwrap_or(0);
                if let Some(range) = t.fast.get_mut(from..to) {
                    range.fill(entry);
                }
            }
        }
        Ok(t)
    }

    /// Reads one symbol.
    #[inline]
    pub fn decode(&self, bits: &mut Bits<'_>) -> Outcome<u16> {
        let peek = bits.peek(MAX_LEN);
        let prefix = usize::try_from(peek >> (MAX_LEN - FAST_BITS)).unwrap_or(0);
        let entry = self.fast.get(prefix).copied().unwrap_or(0);
        if entry != 0 {
            bits.skip(u32::from(entry & 31))?;
            return Ok(entry >> 5);
        }
        for len in FAST_BITS + 1..=MAX_LEN {
            let l = usize::try_from(len).unwrap_or(0);
            let code = peek >> MAX_LEN.wrapping_sub(len);
            let first = self.first.get(l).copied().unwrap_or(0);
            let count = self.count.get(l).copied().unwrap_or(0);
            let Some(ordinal) = code.checked_sub(first) else {
                continue;
            };
            if ordinal < count {
                bits.skip(len)?;
                let at = self
                    .start
                    .get(l)
                    .copied()
                    .unwrap_or(0)
                    .wrapping_add(ordinal);
                let symbol = self.sorted.get(usize::try_from(at).unwrap_or(usize::MAX));
                return symbol.copied().map_or(corrupt("invalid Huffman code"), Ok);
            }
        }
        corrupt("bit pattern that is no Huffman code of the table")
    }
}

#[cfg(test)]
mod tests {
    use super::Table;
    use crate::bzip2::bits::Bits;
    use alloc::vec::Vec;

    #[test]
    fn canonical_codes_short_and_long() {
        // Lengths 1, 2, 3, 12, 12: codes 0, 10, 110, 1110_0000_0000, 1110_0000_0001.
        let t = Table::new(&[1, 2, 3, 12, 12]).unwrap();
        let mut b = Bits::new(&[0b0101_1011, 0b1000_0000, 0b0011_1000, 0b0000_0100]);
        let got: Vec<u16> = (0..5).map(|_| t.decode(&mut b).unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4]);
        // An unused code (1111...) of the incomplete table is an error.
        assert!(t.decode(&mut Bits::new(&[0xff, 0xff, 0xff])).is_err());
    }

    #[test]
    fn over_subscribed_is_refused() {
        assert!(Table::new(&[1, 1, 1]).is_err());
        assert!(Table::new(&[2, 2, 2, 2]).is_ok());
        assert!(Table::new(&[2, 2, 2, 2, 3]).is_err());
    }
}

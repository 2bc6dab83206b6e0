//! The bit reader: bzip2 packs every field most significant bit first, with no
//! alignment anywhere inside a stream.

use crate::{corrupt, Outcome};

/// Reads bits from `data`, most significant first. Running past the end is an error
/// when bits are consumed; `peek` pads with zeros so that a Huffman lookup near the end
/// of the input still works, and the consume that follows it decides.
pub struct Bits<'a> {
    data: &'a [u8],
    /// The next byte of `data` to load.
    next: usize,
    /// Loaded bits: the low `avail` bits are the next ones, first bit highest.
    buf: u64,
    avail: u32,
}

impl<'a> Bits<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            next: 0,
            buf: 0,
            avail: 0,
        }
    }

    /// Loads whole bytes while at least 8 bits of room are left.
    fn refill(&mut self) {
        while self.avail <= 56 {
            let Some(&byte) = self.data.get(self.next) else {
                return;
            };
            self.buf = (self.buf << 8) | u64::from(byte);
            self.avail = self.avail.wrapping_add(8);
            self.next = self.next.wrapping_add(1);
        }
    }

    /// The next `n` bits (1 to 32) without consuming them; zeros past the end.
    pub fn peek(&mut self, n: u32) -> u32 {
        if self.avail < n {
            self.refill();
        }
        let mask = (1u64 << n).wrapping_sub(1);
        let bits = match self.avail.checked_sub(n) {
            Some(rest) => self.buf >> rest,
            None => self.buf << n.wrapping_sub(self.avail),
        };
        // The mask keeps at most 32 bits.
        u32::try_from(bits & mask).unwrap_or(0)
    }

    /// Consumes `n` bits already seen through `peek`.
    pub fn skip(&mut self, n: u32) -> Outcome<()> {
        match self.avail.checked_sub(n) {
            Some(rest) => {
                self.avail = rest;
                Ok(())
            }
            None => corrupt("stream truncated"),
        }
    }

    /// Reads `n` bits (1 to 32).
    pub fn bits(&mut self, n: u32) -> Outcome<u32> {
        let v = self.peek(n);
        self.skip(n)?;
        Ok(v)
    }

    /// Reads one bit as a bool.
    pub fn bit(&mut self) -> Outcome<bool> {
        self.bits(1).map(|b| b == 1)
    }

    /// The offset of the first whole byte not yet read: a stream ends by padding its
    /// last byte, so the next stream starts here.
    pub fn byte_offset(&self) -> usize {
        self.next
            .saturating_sub(usize::try_from(self.avail / 8).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn msb_first_and_truncation() {
        let mut b = Bits::new(&[0b1010_0000, 0xff]);
        assert_eq!(b.bits(1), Ok(1));
        assert_eq!(b.bits(2), Ok(0b01));
        assert_eq!(b.bits(9), Ok(0b0_0000_1111));
        assert_eq!(b.byte_offset(), 2);
        assert_eq!(b.peek(8), 0b1111_0000);
        assert!(b.bits(5).is_err());
    }
}

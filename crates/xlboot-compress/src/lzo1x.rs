//! Our own LZO1X decoder: the raw block format squashfs and btrfs store and the lzop
//! container wraps.
//!
//! LZO1X is a byte-oriented LZ77: each instruction byte is either a literal run or a
//! match (length and distance packed in 1 to 3 bytes), and a match may be followed by
//! 0 to 3 literals encoded in its low two bits. The meaning of a byte below 16 depends
//! on what came before it, kept in `state`. Written from the format's description (the
//! Linux kernel's Documentation/staging/lzo.rst) rather than taken from a crate: it is
//! small, and every length and distance is checked against the input and the output
//! here, which is the whole of the hostile-input problem.

use alloc::vec::Vec;

use crate::{corrupt, too_large, Outcome};

/// Distance bias of the 3-byte match after a long literal run (M1 in state 4).
const M2_MAX_OFFSET: usize = 0x0800;
/// Distance bias of the M4 matches (instruction bytes 16..=31).
const M4_BIAS: usize = 0x4000;

/// Decodes one block; stops at its end marker and ignores anything after it.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let mut d = Decoder {
        input,
        ip: 0,
        out: Vec::new(),
        max: max_out,
    };
    d.run()?;
    Ok(d.out)
}

/// Decoding state: the input position and the output so far.
struct Decoder<'a> {
    input: &'a [u8],
    ip: usize,
    out: Vec<u8>,
    max: usize,
}

impl Decoder<'_> {
    /// Runs instructions until the end marker. Every instruction consumes at least one
    /// input byte, so the loop is bounded by the input length.
    fn run(&mut self) -> Outcome<()> {
        // How many literals the previous instruction copied: 0..=3, or 4 for a run.
        let mut state = 0usize;
        if let Some(&first) = self.input.first() {
            if first > 17 {
                self.ip = 1;
                let n = usize::from(first).saturating_sub(17);
                self.literals(n)?;
                state = n.min(4);
            }
        }
        loop {
            let t = self.byte()?;
            let (distance, length, next);
            if t < 16 {
                if state == 0 {
                    let n = if t == 0 { self.run_length(15)? } else { t };
                    self.literals(n.saturating_add(3))?;
                    state = 4;
                    continue;
                }
                let h = self.byte()?;
                let base = if state == 4 { 1 + M2_MAX_OFFSET } else { 1 };
                distance = base.saturating_add(t >> 2).saturating_add(h << 2);
                length = if state == 4 { 3 } else { 2 };
                next = t & 3;
            } else if t >= 64 {
                let h = self.byte()?;
                distance = 1usize.saturating_add((t >> 2) & 7).saturating_add(h << 3);
                length = (t >> 5).saturating_add(1);
                next = t & 3;
            } else if t >= 32 {
                let l = match t & 31 {
                    0 => self.run_length(31)?,
                    l => l,
                };
                length = l.saturating_add(2);
                let v = self.le16()?;
                distance = (v >> 2).saturating_add(1);
                next = v & 3;
            } else {
                let l = match t & 7 {
                    0 => self.run_length(7)?,
                    l => l,
                };
                length = l.saturating_add(2);
                let v = self.le16()?;
                let far = ((t & 8) << 11).saturating_add(v >> 2);
                if far == 0 {
                    // The end marker is this instruction with length 3: 0x11 0x00 0x00.
                    return if length == 3 {
                        Ok(())
                    } else {
                        corrupt("malformed end marker")
                    };
                }
                distance = far.saturating_add(M4_BIAS);
                next = v & 3;
            }
            self.copy_match(distance, length)?;
            self.literals(next)?;
            state = next;
        }
    }

    /// The next input byte.
    fn byte(&mut self) -> Outcome<usize> {
        let Some(&b) = self.input.get(self.ip) else {
            return corrupt("block truncated");
        };
        self.ip = self.ip.saturating_add(1);
        Ok(usize::from(b))
    }

    /// The next two input bytes, little-endian.
    fn le16(&mut self) -> Outcome<usize> {
        let lo = self.byte()?;
        let hi = self.byte()?;
        Ok(lo | (hi << 8))
    }

    /// A length that did not fit its instruction: each zero byte adds 255, the first
    /// non-zero byte ends it. `base` is the largest length the instruction holds.
    fn run_length(&mut self, base: usize) -> Outcome<usize> {
        let mut length = base;
        // Each round consumes an input byte.
        loop {
            match self.byte()? {
                0 => length = length.saturating_add(255),
                b => return Ok(length.saturating_add(b)),
            }
        }
    }

    /// Copies `n` literal bytes from the input.
    fn literals(&mut self, n: usize) -> Outcome<()> {
        let end = self.ip.saturating_add(n);
        let Some(bytes) = self.input.get(self.ip..end) else {
            return corrupt("literal run past the end of the block");
        };
        if n > self.max.saturating_sub(self.out.len()) {
            return too_large();
        }
        self.out.extend_from_slice(bytes);
        self.ip = end;
        Ok(())
    }

    /// Copies `length` bytes from `distance` back in the output; the source may
    /// overlap the bytes being written (a run).
    fn copy_match(&mut self, distance: usize, length: usize) -> Outcome<()> {
        let Some(start) = self.out.len().checked_sub(distance) else {
            return corrupt("match reaches before the start of the output");
        };
        if length > self.max.saturating_sub(self.out.len()) {
            return too_large();
        }
        if distance >= length {
            self.out
                .extend_from_within(start..start.saturating_add(length));
        } else {
            for i in start..start.saturating_add(length) {
                let b = self.out.get(i).copied().unwrap_or(0);
                self.out.push(b);
            }
        }
        Ok(())
    }
}

//! One bzip2 block, after its 48-bit magic: header, symbol map, Huffman tables and
//! selectors, the move-to-front and run-length coded symbols, the inverse
//! Burrows-Wheeler transform and the final run-length decoding, then the block CRC.
//!
//! Every count read here is checked before it is used: the block may hold at most the
//! stream's block size (level × 100 000 bytes before the last run-length step), the
//! original pointer must lie inside it, the tables must be valid Huffman codes, and
//! every selector must name a table. Each loop is bounded by a count checked that way
//! or by the input, as each round consumes bits.

use alloc::vec::Vec;

use crate::bzip2::bits::Bits;
use crate::bzip2::crc;
use crate::bzip2::huffman::{Table, MAX_LEN, MAX_SYMBOLS};
use crate::{corrupt, too_large, unsupported, Outcome};

/// Symbols are coded in groups of this many, each group with its selected table.
const GROUP: u32 = 50;
/// The most selectors bzip2 keeps (`BZ_MAX_SELECTORS`); a stream may declare more
/// (up to 2^15 - 1) and bzip2 1.0.8 reads and drops the rest, so we do too.
const MAX_SELECTORS: usize = 18_002;
/// The fewest and most Huffman tables a block may have.
const MIN_TABLES: u32 = 2;
const MAX_TABLES: u32 = 6;

/// Buffers reused from block to block.
pub struct Scratch {
    /// The block before the inverse BWT: byte in the low 8 bits; the BWT links are
    /// added in the upper 24 bits (a block holds at most 900 000 < 2^24 bytes).
    tt: Vec<u32>,
    selectors: Vec<u8>,
}

impl Scratch {
    /// Empty buffers; they grow to the stream's block size.
    pub fn new() -> Self {
        Scratch {
            tt: Vec::new(),
            selectors: Vec::new(),
        }
    }
}

/// Decodes one block into `out` (which may not grow past `max_out`) and returns the
/// block's CRC, checked against the one it stores.
pub fn decode(
    bits: &mut Bits<'_>,
    block_size: usize,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    max_out: usize,
) -> Outcome<u32> {
    let stored_crc = bits.bits(32)?;
    if bits.bit()? {
        // Randomised blocks were written by bzip2 0.9.0 and earlier only; Linux's
        // decompressor refuses them too.
        return unsupported("randomised block (bzip2 0.9.0 and older)");
    }
    let orig_ptr = usize::try_from(bits.bits(24)?).unwrap_or(usize::MAX);

    let symbols = symbol_map(bits)?;
    let alpha_size = symbols.len().saturating_add(2);
    let tables = read_tables(bits, alpha_size, &mut scratch.selectors)?;
    let tt = &mut scratch.tt;
    tt.clear();
    tt.reserve(block_size);
    let counts = read_symbols(bits, &symbols, &tables, &scratch.selectors, block_size, tt)?;
    if orig_ptr >= tt.len() {
        return corrupt("block's original pointer outside the block");
    }
    inverse_bwt(tt, &counts)?;
    let start = out.len();
    undo_runs(tt, orig_ptr, out, max_out)?;
    let crc = crc::block(out.get(start..).unwrap_or(&[]));
    if crc != stored_crc {
        return corrupt("block CRC mismatch");
    }
    Ok(crc)
}

/// The byte values the block uses, in order: a 16-bit map of 16-value ranges, then a
/// 16-bit map for each range present.
fn symbol_map(bits: &mut Bits<'_>) -> Outcome<Vec<u8>> {
    let ranges = bits.bits(16)?;
    let mut used = Vec::with_capacity(256);
    for range in 0..16u8 {
        if ranges & (0x8000 >> range) == 0 {
            continue;
        }
        let map = bits.bits(16)?;
        for low in 0..16u8 {
            if map & (0x8000 >> low) != 0 {
                used.push(range << 4 | low);
            }
        }
    }
    if used.is_empty() {
        return corrupt("block uses no byte values");
    }
    Ok(used)
}

/// The number of tables, the selectors (move-to-front coded, one per group of 50
/// symbols) and the tables' code lengths (delta coded).
fn read_tables(
    bits: &mut Bits<'_>,
    alpha_size: usize,
    selectors: &mut Vec<u8>,
) -> Outcome<Vec<Table>> {
    let n_tables = bits.bits(3)?;
    if !(MIN_TABLES..=MAX_TABLES).contains(&n_tables) {
        return corrupt("number of Huffman tables outside 2 to 6");
    }
    let n_selectors = bits.bits(15)?;
    if n_selectors == 0 {
        return corrupt("block without selectors");
    }
    let mut mtf: [u8; MAX_TABLES as usize] = [0, 1, 2, 3, 4, 5];
    selectors.clear();
    for _ in 0..n_selectors {
        // Unary: the count of 1 bits before a 0, less than the number of tables.
        let mut j = 0u32;
        while bits.bit()? {
            j = j.wrapping_add(1);
            if j >= n_tables {
                return corrupt("selector names a table that does not exist");
            }
        }
        let j = usize::try_from(j).unwrap_or(0);
        let Some(&table) = mtf.get(j) else {
            return corrupt("selector names a table that does not exist");
        };
        if let Some(front) = mtf.get_mut(..=j) {
            front.copy_within(..j, 1);
            if let Some(first) = front.first_mut() {
                *first = table;
            }
        }
        if selectors.len() < MAX_SELECTORS {
            selectors.push(table);
        }
    }
    let mut tables = Vec::with_capacity(6);
    let mut lengths = [0u8; MAX_SYMBOLS];
    let lengths = lengths.get_mut(..alpha_size).unwrap_or(&mut []);
    for _ in 0..n_tables {
        let mut len = bits.bits(5)?;
        for slot in lengths.iter_mut() {
            // Each round reads two bits, so a hostile stream ends by running out.
            loop {
                if !(1..=MAX_LEN).contains(&len) {
                    return corrupt("Huffman code length outside 1 to 20");
                }
                if !bits.bit()? {
                    break;
                }
                len = if bits.bit()? {
                    len.wrapping_sub(1)
                } else {
                    len.wrapping_add(1)
                };
            }
            *slot = u8::try_from(len).unwrap_or(0);
        }
        tables.push(Table::new(lengths)?);
    }
    Ok(tables)
}

/// Decodes the Huffman-coded symbols into `tt`, undoing the zero-run coding (RUNA,
/// RUNB: a run length in bijective base 2) and move-to-front. Returns how many times
/// each byte value occurs, for the inverse BWT.
fn read_symbols(
    bits: &mut Bits<'_>,
    symbols: &[u8],
    tables: &[Table],
    selectors: &[u8],
    block_size: usize,
    tt: &mut Vec<u32>,
) -> Outcome<[u32; 256]> {
    const RUNB: u16 = 1;
    let end_of_block = u16::try_from(symbols.len().saturating_add(1)).unwrap_or(u16::MAX);
    let mut mtf = [0u8; 256];
    if let Some(front) = mtf.get_mut(..symbols.len()) {
        front.copy_from_slice(symbols);
    }
    let mut counts = [0u32; 256];
    let mut run = 0usize;
    let mut run_weight = 1usize;
    let mut group_left = 0u32;
    let mut selector = selectors.iter();
    let mut table = tables.first();
    // Each round reads at least one bit; runs and literals are checked against the
    // block size as they grow.
    loop {
        if group_left == 0 {
            let Some(&next) = selector.next() else {
                return corrupt("block has more symbol groups than selectors");
            };
            table = tables.get(usize::from(next));
            group_left = GROUP;
        }
        group_left = group_left.wrapping_sub(1);
        let Some(t) = table else {
            return corrupt("selector names a table that does not exist");
        };
        let sym = t.decode(bits)?;
        if sym <= RUNB {
            // RUNA adds the weight, RUNB twice the weight; the weight doubles.
            run = run.saturating_add(run_weight.saturating_mul(usize::from(sym).wrapping_add(1)));
            run_weight = run_weight.saturating_mul(2);
            if run > block_size {
                return corrupt("run longer than the block size");
            }
            continue;
        }
        if run > 0 {
            let byte = mtf.first().copied().unwrap_or(0);
            if run > block_size.saturating_sub(tt.len()) {
                return corrupt("block larger than the stream's block size");
            }
            tt.resize(tt.len().saturating_add(run), u32::from(byte));
            if let Some(c) = counts.get_mut(usize::from(byte)) {
                *c = c.wrapping_add(u32::try_from(run).unwrap_or(0));
            }
            run = 0;
            run_weight = 1;
        }
        if sym >= end_of_block {
            return Ok(counts);
        }
        // Symbol n moves the value at position n - 1 to the front.
        let index = usize::from(sym.wrapping_sub(1));
        let Some(front) = mtf.get_mut(..=index) else {
            return corrupt("move-to-front index outside the table");
        };
        let byte = front.last().copied().unwrap_or(0);
        front.copy_within(..index, 1);
        if let Some(first) = front.first_mut() {
            *first = byte;
        }
        if tt.len() >= block_size {
            return corrupt("block larger than the stream's block size");
        }
        tt.push(u32::from(byte));
        if let Some(c) = counts.get_mut(usize::from(byte)) {
            *c = c.wrapping_add(1);
        }
    }
}

/// Links every entry of `tt` to the next one in the original order, in its upper 24
/// bits (bzip2's "fast" inverse transform).
fn inverse_bwt(tt: &mut [u32], counts: &[u32; 256]) -> Outcome<()> {
    // Where each byte value's entries start in the sorted order.
    let mut next = [0u32; 256];
    let mut sum = 0u32;
    for (slot, &count) in next.iter_mut().zip(counts.iter()) {
        *slot = sum;
        sum = sum.wrapping_add(count);
    }
    for i in 0..tt.len() {
        let byte = tt.get(i).copied().unwrap_or(0) & 0xff;
        let Some(slot) = next.get_mut(usize::try_from(byte).unwrap_or(0)) else {
            return corrupt("invalid byte in block");
        };
        let Some(target) = tt.get_mut(usize::try_from(*slot).unwrap_or(usize::MAX)) else {
            return corrupt("invalid block");
        };
        *target |= u32::try_from(i).unwrap_or(0) << 8;
        *slot = slot.wrapping_add(1);
    }
    Ok(())
}

/// Follows the links from the original pointer, undoing bzip2's first step: after
/// four equal bytes, the next byte is a count of further copies (0 to 255).
fn undo_runs(tt: &[u32], orig_ptr: usize, out: &mut Vec<u8>, max_out: usize) -> Outcome<()> {
    let link = |entry: u32| usize::try_from(entry >> 8).unwrap_or(usize::MAX);
    let mut pos = link(tt.get(orig_ptr).copied().unwrap_or(0));
    let mut last = 0u8;
    let mut same = 0u32;
    for _ in 0..tt.len() {
        let Some(&entry) = tt.get(pos) else {
            return corrupt("invalid block");
        };
        pos = link(entry);
        let byte = entry.to_le_bytes().first().copied().unwrap_or(0);
        if same == 4 {
            let n = usize::from(byte);
            if n > max_out.saturating_sub(out.len()) {
                return too_large();
            }
            out.resize(out.len().saturating_add(n), last);
            same = 0;
            continue;
        }
        if byte == last {
            same = same.wrapping_add(1);
        } else {
            last = byte;
            same = 1;
        }
        if out.len() >= max_out {
            return too_large();
        }
        out.push(byte);
    }
    Ok(())
}

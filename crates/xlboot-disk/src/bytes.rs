//! Little-endian fields out of byte buffers, without indexing that could panic.
//!
//! Callers read fixed-size structures whose length they have already checked, so a
//! field that does not fit cannot happen; it reads as zero rather than panicking.

pub(crate) fn u16_le(b: &[u8], off: usize) -> u16 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<2>())
        .map_or(0, |a| u16::from_le_bytes(*a))
}

pub(crate) fn u32_le(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_le_bytes(*a))
}

pub(crate) fn u64_le(b: &[u8], off: usize) -> u64 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(0, |a| u64::from_le_bytes(*a))
}

pub(crate) fn array<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    b.get(off..)
        .and_then(|s| s.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

//! Bounded reads of integers and slices from untrusted bytes: every read is checked,
//! and a read past the end is `None`, which callers turn into an error naming the
//! structure.

/// Byte order of a structure (ELF says which in its header; x86 boot is little endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// `len` bytes at `offset`, if they are all inside `data`.
pub fn slice(data: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

/// `N` bytes at `offset`, as an array.
pub fn array<const N: usize>(data: &[u8], offset: u64) -> Option<[u8; N]> {
    slice(data, offset, N as u64)?.try_into().ok()
}

/// A byte at `offset`.
pub fn u8_at(data: &[u8], offset: u64) -> Option<u8> {
    array::<1>(data, offset).map(|[b]| b)
}

/// A 16-bit integer at `offset` in byte order `e`.
pub fn u16_at(data: &[u8], offset: u64, e: Endian) -> Option<u16> {
    let b = array(data, offset)?;
    Some(match e {
        Endian::Little => u16::from_le_bytes(b),
        Endian::Big => u16::from_be_bytes(b),
    })
}

/// A 32-bit integer at `offset` in byte order `e`.
pub fn u32_at(data: &[u8], offset: u64, e: Endian) -> Option<u32> {
    let b = array(data, offset)?;
    Some(match e {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

/// A 64-bit integer at `offset` in byte order `e`.
pub fn u64_at(data: &[u8], offset: u64, e: Endian) -> Option<u64> {
    let b = array(data, offset)?;
    Some(match e {
        Endian::Little => u64::from_le_bytes(b),
        Endian::Big => u64::from_be_bytes(b),
    })
}

/// The bytes before the first NUL (all of them if there is none).
pub fn until_nul(data: &[u8]) -> &[u8] {
    match data.iter().position(|&b| b == 0) {
        Some(n) => data.get(..n).unwrap_or(data),
        None => data,
    }
}

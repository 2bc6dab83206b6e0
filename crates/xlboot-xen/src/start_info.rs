//! `struct hvm_start_info` (`xen/include/public/arch-x86/hvm/start_info.h`): what Xen
//! hands a PVH guest in `%ebx` at its 32-bit entry, and the memory map it points to.
//!
//! Layout (version 1): `magic`, `version`, `flags`, `nr_modules` (u32 each), then
//! `modlist_paddr`, `cmdline_paddr`, `rsdp_paddr`, `memmap_paddr` (u64 each),
//! `memmap_entries`, `reserved` (u32). A memory map entry is `addr: u64`, `size: u64`,
//! `type: u32`, `reserved: u32`. The toolstack writes these; they are checked anyway,
//! as everything else the loader reads.

use core::fmt;

/// `XEN_HVM_START_MAGIC_VALUE`.
pub const MAGIC: u32 = 0x336e_c578;
/// Bytes of a version 1 start info.
pub const LEN: usize = 56;
/// Bytes of one memory map entry.
pub const MEMMAP_ENTRY_LEN: usize = 24;
/// The most memory map entries read; Xen's own maps have a handful.
pub const MAX_MEMMAP_ENTRIES: u32 = 128;
/// The longest command line read, terminating NUL excluded (Xen's
/// `MAX_GUEST_CMDLINE` is 1024 with it).
pub const MAX_CMDLINE: usize = 1023;
/// `XEN_HVM_MEMMAP_TYPE_RAM`.
pub const MEMORY_RAM: u32 = 1;

/// A start info the loader cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartInfoError {
    /// Wrong magic: not started by Xen's PVH entry.
    Magic(u32),
    /// Version 0 has no memory map.
    NoMemoryMap(u32),
    /// The memory map is empty or longer than [`MAX_MEMMAP_ENTRIES`].
    MemmapEntries(u32),
}

impl fmt::Display for StartInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartInfoError::Magic(m) => write!(f, "start info magic {m:#x}, not {MAGIC:#x}"),
            StartInfoError::NoMemoryMap(v) => {
                write!(f, "start info version {v} has no memory map")
            }
            StartInfoError::MemmapEntries(n) => write!(
                f,
                "memory map of {n} entries (1 to {MAX_MEMMAP_ENTRIES} expected)"
            ),
        }
    }
}

/// The fields the loader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartInfo {
    /// Structure version (1 or later).
    pub version: u32,
    /// `SIF_*` flags, handed on to the kernel as they are.
    pub flags: u32,
    /// Physical address of the NUL-terminated command line, 0 for none.
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP, 0 for none: handed on to the kernel.
    pub rsdp_paddr: u64,
    /// Physical address of the memory map.
    pub memmap_paddr: u64,
    /// Entries in the memory map, 1..=[`MAX_MEMMAP_ENTRIES`].
    pub memmap_entries: u32,
}

impl StartInfo {
    /// Parses the [`LEN`] bytes at `%ebx`.
    pub fn parse(bytes: &[u8; LEN]) -> Result<StartInfo, StartInfoError> {
        let magic = u32_at(bytes, 0);
        if magic != MAGIC {
            return Err(StartInfoError::Magic(magic));
        }
        let version = u32_at(bytes, 4);
        if version < 1 {
            return Err(StartInfoError::NoMemoryMap(version));
        }
        let memmap_entries = u32_at(bytes, 48);
        if !(1..=MAX_MEMMAP_ENTRIES).contains(&memmap_entries) {
            return Err(StartInfoError::MemmapEntries(memmap_entries));
        }
        Ok(StartInfo {
            version,
            flags: u32_at(bytes, 8),
            cmdline_paddr: u64_at(bytes, 24),
            rsdp_paddr: u64_at(bytes, 32),
            memmap_paddr: u64_at(bytes, 40),
            memmap_entries,
        })
    }

    /// Bytes of the memory map to read.
    pub fn memmap_len(&self) -> usize {
        usize::try_from(self.memmap_entries)
            .unwrap_or(0)
            .saturating_mul(MEMMAP_ENTRY_LEN)
    }
}

/// One memory map entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// `XEN_HVM_MEMMAP_TYPE_*` (1 RAM, 2 reserved, 3 ACPI, ...).
    pub kind: u32,
}

/// The entries of a memory map's bytes (a trailing partial entry is dropped). It
/// allocates nothing: the loader reads the map before it has a heap.
pub fn regions(bytes: &[u8]) -> impl Iterator<Item = Region> + '_ {
    bytes
        .chunks_exact(MEMMAP_ENTRY_LEN)
        .take(usize::try_from(MAX_MEMMAP_ENTRIES).unwrap_or(0))
        .map(|e| Region {
            addr: u64_at(e, 0),
            size: u64_at(e, 8),
            kind: u32_at(e, 16),
        })
}

/// The largest stretch of RAM inside `[low, high)` (for the heap: `low` past the
/// loader's image and boot data, `high` the end of what its page tables map), as
/// `(start, end)` rounded inwards to pages, or `None` if no RAM is there.
pub fn largest_ram(
    regions: impl Iterator<Item = Region>,
    low: u64,
    high: u64,
) -> Option<(u64, u64)> {
    regions
        .filter(|r| r.kind == MEMORY_RAM)
        .filter_map(|r| {
            let start = r.addr.max(low).checked_add(0xfff)? & !0xfff;
            let end = r.addr.saturating_add(r.size).min(high) & !0xfff;
            (start < end).then_some((start, end))
        })
        .max_by_key(|(s, e)| e.saturating_sub(*s))
}

/// The command line's bytes up to its NUL (or [`MAX_CMDLINE`]), as text with anything
/// that is not printable ASCII replaced by `?`.
pub fn cmdline(bytes: &[u8]) -> alloc::string::String {
    bytes
        .iter()
        .take(MAX_CMDLINE)
        .take_while(|b| **b != 0)
        .map(|b| match *b {
            0x20..=0x7e => char::from(*b),
            _ => '?',
        })
        .collect()
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = at.checked_add(4).and_then(|end| bytes.get(at..end)) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = at.checked_add(8).and_then(|end| bytes.get(at..end)) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(version: u32, entries: u32) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&version.to_le_bytes());
        b[8..12].copy_from_slice(&4u32.to_le_bytes());
        b[24..32].copy_from_slice(&0x1234u64.to_le_bytes());
        b[32..40].copy_from_slice(&0xfc00_8000u64.to_le_bytes());
        b[40..48].copy_from_slice(&0x5000u64.to_le_bytes());
        b[48..52].copy_from_slice(&entries.to_le_bytes());
        b
    }

    #[test]
    fn parses_version_1() {
        let s = StartInfo::parse(&info(1, 3)).unwrap();
        assert_eq!(s.cmdline_paddr, 0x1234);
        assert_eq!(s.flags, 4);
        assert_eq!(s.rsdp_paddr, 0xfc00_8000);
        assert_eq!(s.memmap_paddr, 0x5000);
        assert_eq!(s.memmap_len(), 72);
        assert_eq!(
            StartInfo::parse(&info(0, 3)),
            Err(StartInfoError::NoMemoryMap(0))
        );
        assert!(StartInfo::parse(&info(1, 0)).is_err());
        assert!(StartInfo::parse(&info(1, 100_000)).is_err());
        assert!(StartInfo::parse(&[0; LEN]).is_err());
    }

    #[test]
    fn heap_is_the_largest_ram_above_the_image() {
        let mut map = alloc::vec::Vec::new();
        for (addr, size, kind) in [
            (0u64, 0xa_0000u64, 1u32),
            (0x10_0000, 0xf00_0000, 1),
            (0xfc00_0000, 0x1000, 2),
        ] {
            map.extend_from_slice(&addr.to_le_bytes());
            map.extend_from_slice(&size.to_le_bytes());
            map.extend_from_slice(&kind.to_le_bytes());
            map.extend_from_slice(&0u32.to_le_bytes());
        }
        assert_eq!(regions(&map[..70]).count(), 2);
        assert_eq!(
            largest_ram(regions(&map), 0x20_0001, 1 << 32),
            Some((0x20_1000, 0xf10_0000))
        );
        assert_eq!(largest_ram(regions(&map), 1 << 32, u64::MAX), None);
    }

    #[test]
    fn cmdline_stops_at_nul() {
        assert_eq!(cmdline(b"entry=1\0junk"), "entry=1");
        assert_eq!(cmdline(b"a\xffb"), "a?b");
    }
}

//! The `struct hvm_start_info` the loader hands the kernel it starts, with the module
//! list, memory map and command line it points to, written as one block of bytes.
//!
//! The kernel is started through the same PVH entry Xen started the loader through
//! (`XEN_ELFNOTE_PHYS32_ENTRY`, `%ebx` = the start info), so it gets what Xen would
//! give it when booted directly: version 1 (magic [`MAGIC`]), the entry's command
//! line, the initrd as module 0 (`hvm_modlist_entry`: `paddr`, `size`,
//! `cmdline_paddr`, `reserved`, u64 each; no module command line), the RSDP and the
//! `SIF_*` flags of the loader's own start info, and a copy of its memory map
//! (`hvm_memmap_table_entry`: `addr`, `size` u64, `type`, `reserved` u32).
//!
//! Block layout, from `base`: the start info (56 bytes, padded to 64), the module
//! list, the memory map, the NUL-terminated command line. Every field is 8-byte
//! aligned when `base` is. The kernel reads it at its 32-bit entry with paging off,
//! so all of it must lie below 4 GiB (Xen places its own below 4 GiB too).

use alloc::vec::Vec;
use core::fmt;

use crate::start_info::{Region, LEN, MAGIC, MAX_MEMMAP_ENTRIES, MEMMAP_ENTRY_LEN};

/// Bytes of one `hvm_modlist_entry`.
pub const MODLIST_ENTRY_LEN: usize = 32;
/// Where the module list starts in the block: the start info padded to 64 bytes.
const MODLIST_OFFSET: usize = 64;
/// The most modules written: the loader passes one (the initrds, concatenated).
pub const MAX_MODULES: usize = 16;
/// The first address the block may not reach: the kernel reads it with paging off.
pub const LIMIT: u64 = 1 << 32;

/// A module (an initrd) in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// Physical address of its first byte.
    pub paddr: u64,
    /// Length in bytes.
    pub size: u64,
}

/// What the kernel is told.
#[derive(Debug, Clone, Copy)]
pub struct KernelStartInfo<'a> {
    /// `SIF_*` flags (those of the loader's own start info).
    pub flags: u32,
    /// The kernel's command line, without NUL.
    pub cmdline: &'a [u8],
    /// The modules, the initrd first.
    pub modules: &'a [Module],
    /// Physical address of the ACPI RSDP, 0 for none.
    pub rsdp_paddr: u64,
    /// The memory map.
    pub memmap: &'a [Region],
}

/// A start info that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The command line holds a NUL byte, which would cut it short.
    CmdlineNul,
    /// More modules than [`MAX_MODULES`].
    TooManyModules(usize),
    /// An empty memory map, or more entries than [`MAX_MEMMAP_ENTRIES`].
    MemmapEntries(usize),
    /// The block would not lie wholly in `[1, 4 GiB)` at this base, or the base is
    /// not 8-byte aligned.
    Placement {
        /// The base asked for.
        base: u64,
        /// The block's length.
        len: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::CmdlineNul => f.write_str("the kernel command line holds a NUL byte"),
            WriteError::TooManyModules(n) => {
                write!(f, "{n} modules for the kernel (at most {MAX_MODULES})")
            }
            WriteError::MemmapEntries(n) => write!(
                f,
                "memory map of {n} entries for the kernel (1 to {MAX_MEMMAP_ENTRIES} expected)"
            ),
            WriteError::Placement { base, len } => write!(
                f,
                "start info for the kernel at {base:#x} ({len} bytes) is not 8-byte aligned inside 4 GiB"
            ),
        }
    }
}

impl KernelStartInfo<'_> {
    /// Bytes of the block, checking the counts and the command line first.
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        if self.cmdline.contains(&0) {
            return Err(WriteError::CmdlineNul);
        }
        if self.modules.len() > MAX_MODULES {
            return Err(WriteError::TooManyModules(self.modules.len()));
        }
        let entries = self.memmap.len();
        if entries == 0 || entries > MAX_MEMMAP_ENTRIES as usize {
            return Err(WriteError::MemmapEntries(entries));
        }
        // Bounded by the checks above and the command line, which is in memory.
        let len = MODLIST_OFFSET
            .checked_add(self.modules.len().saturating_mul(MODLIST_ENTRY_LEN))
            .and_then(|n| n.checked_add(entries.saturating_mul(MEMMAP_ENTRY_LEN)))
            .and_then(|n| n.checked_add(self.cmdline.len()))
            .and_then(|n| n.checked_add(1));
        len.ok_or(WriteError::Placement {
            base: 0,
            len: usize::MAX,
        })
    }

    /// The block as it must lie at physical address `base`; the start info is its
    /// first byte, so `base` is what goes into `%ebx`.
    pub fn encode(&self, base: u64) -> Result<Vec<u8>, WriteError> {
        let len = self.encoded_len()?;
        let end = u64::try_from(len).ok().and_then(|l| base.checked_add(l));
        if base == 0 || base % 8 != 0 || end.is_none_or(|e| e > LIMIT) {
            return Err(WriteError::Placement { base, len });
        }
        let at = |offset: usize| base.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX));
        let modlist = MODLIST_OFFSET;
        let memmap = modlist.saturating_add(self.modules.len().saturating_mul(MODLIST_ENTRY_LEN));
        let cmdline = memmap.saturating_add(self.memmap.len().saturating_mul(MEMMAP_ENTRY_LEN));

        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&count(self.modules.len()).to_le_bytes());
        let modlist_paddr = if self.modules.is_empty() {
            0
        } else {
            at(modlist)
        };
        out.extend_from_slice(&modlist_paddr.to_le_bytes());
        out.extend_from_slice(&at(cmdline).to_le_bytes());
        out.extend_from_slice(&self.rsdp_paddr.to_le_bytes());
        out.extend_from_slice(&at(memmap).to_le_bytes());
        out.extend_from_slice(&count(self.memmap.len()).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        debug_assert_eq!(out.len(), LEN);
        out.resize(MODLIST_OFFSET, 0);
        for m in self.modules {
            out.extend_from_slice(&m.paddr.to_le_bytes());
            out.extend_from_slice(&m.size.to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes()); // no module command line
            out.extend_from_slice(&0u64.to_le_bytes());
        }
        for r in self.memmap {
            out.extend_from_slice(&r.addr.to_le_bytes());
            out.extend_from_slice(&r.size.to_le_bytes());
            out.extend_from_slice(&r.kind.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        out.extend_from_slice(self.cmdline);
        out.push(0);
        Ok(out)
    }
}

/// A count checked by [`KernelStartInfo::encoded_len`] (at most [`MAX_MEMMAP_ENTRIES`]).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::start_info::{cmdline, regions, StartInfo};

    fn map() -> [Region; 3] {
        [
            Region {
                addr: 0,
                size: 0xa_0000,
                kind: 1,
            },
            Region {
                addr: 0x10_0000,
                size: 0xff0_0000,
                kind: 1,
            },
            Region {
                addr: 0xfc00_0000,
                size: 0x1000,
                kind: 2,
            },
        ]
    }

    #[test]
    fn round_trips_through_the_parser() {
        let memmap = map();
        let modules = [Module {
            paddr: 0xf00_0000,
            size: 1234,
        }];
        let info = KernelStartInfo {
            flags: 0,
            cmdline: b"root=/dev/xvda1 ro console=hvc0",
            modules: &modules,
            rsdp_paddr: 0xfc00_8000,
            memmap: &memmap,
        };
        let base = 0xe00_0000u64;
        let bytes = info.encode(base).unwrap();
        assert_eq!(bytes.len(), info.encoded_len().unwrap());
        assert_eq!(bytes.len(), 64 + 32 + 3 * 24 + 31 + 1);

        let head: &[u8; LEN] = bytes[..LEN].try_into().unwrap();
        let parsed = StartInfo::parse(head).unwrap();
        assert_eq!(parsed.version, 1);
        assert_eq!(parsed.rsdp_paddr, 0xfc00_8000);
        assert_eq!(parsed.memmap_entries, 3);
        assert_eq!(parsed.memmap_paddr, base + 96);
        assert_eq!(parsed.cmdline_paddr, base + 168);
        // nr_modules and modlist_paddr
        assert_eq!(bytes[12..16], 1u32.to_le_bytes());
        assert_eq!(bytes[16..24], (base + 64).to_le_bytes());
        // module 0: paddr, size, no command line
        assert_eq!(bytes[64..72], 0xf00_0000u64.to_le_bytes());
        assert_eq!(bytes[72..80], 1234u64.to_le_bytes());
        assert_eq!(bytes[80..96], [0; 16]);

        let at = |paddr: u64| usize::try_from(paddr - base).unwrap();
        let map_bytes = &bytes[at(parsed.memmap_paddr)..][..parsed.memmap_len()];
        assert_eq!(regions(map_bytes).collect::<Vec<_>>(), memmap);
        assert_eq!(
            cmdline(&bytes[at(parsed.cmdline_paddr)..]),
            "root=/dev/xvda1 ro console=hvc0"
        );
        assert_eq!(bytes.last(), Some(&0));
    }

    #[test]
    fn without_modules_the_list_is_absent() {
        let memmap = map();
        let info = KernelStartInfo {
            flags: 0,
            cmdline: b"",
            modules: &[],
            rsdp_paddr: 0,
            memmap: &memmap,
        };
        let bytes = info.encode(0x1000).unwrap();
        assert_eq!(bytes[12..24], [0; 12]);
        assert_eq!(bytes.len(), 64 + 72 + 1);
    }

    #[test]
    fn refuses_what_the_kernel_could_not_use() {
        let memmap = map();
        let ok = KernelStartInfo {
            flags: 0,
            cmdline: b"quiet",
            modules: &[],
            rsdp_paddr: 0,
            memmap: &memmap,
        };
        let nul = KernelStartInfo {
            cmdline: b"a\0b",
            ..ok
        };
        assert_eq!(nul.encode(0x1000), Err(WriteError::CmdlineNul));
        let empty = KernelStartInfo { memmap: &[], ..ok };
        assert_eq!(empty.encode(0x1000), Err(WriteError::MemmapEntries(0)));
        let many = [Module { paddr: 1, size: 1 }; MAX_MODULES + 1];
        let too_many = KernelStartInfo {
            modules: &many,
            ..ok
        };
        assert_eq!(
            too_many.encode(0x1000),
            Err(WriteError::TooManyModules(MAX_MODULES + 1))
        );
        for base in [0, 0x1004, LIMIT - 64, u64::MAX - 8] {
            assert!(
                matches!(ok.encode(base), Err(WriteError::Placement { .. })),
                "{base:#x}"
            );
        }
        assert!(ok.encode(LIMIT - 256).is_ok());
    }
}

//! Whether a kernel segment may be written where its ELF header says: wholly inside
//! RAM of the memory map, and clear of everything the loader still uses.
//!
//! libxenguest places a PVH kernel's `PT_LOAD` segments at their physical addresses
//! in a domain nothing else runs in yet. The in-guest loader does the same inside a
//! running domain, so a segment must also miss the loader's own image (code, stack,
//! page tables, the GDT the hand-over uses), its live heap data, the initrd and the
//! start info it built. The addresses come from the guest's disk: a segment that
//! does not fit is refused with both ranges named, never written.

use core::fmt;

use crate::start_info::{Region, MEMORY_RAM};

/// A range of physical memory the loader still needs, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// What it is, for the message ("the loader's image").
    pub what: &'static str,
    /// First byte.
    pub start: u64,
    /// First byte past it.
    pub end: u64,
}

/// Why a range cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementError {
    /// `start + size` passes the end of the address space.
    Overflow {
        /// First byte.
        start: u64,
        /// Length asked for.
        size: u64,
    },
    /// Part of the range is not RAM in the memory map (or lies at or above `limit`,
    /// which the loader cannot write).
    NotRam {
        /// The range, `[start, end)`.
        start: u64,
        /// First byte past it.
        end: u64,
        /// The first byte of it that is not usable RAM.
        at: u64,
    },
    /// The range overlaps memory the loader still uses.
    Overlaps {
        /// The range, `[start, end)`.
        start: u64,
        /// First byte past it.
        end: u64,
        /// What it overlaps.
        busy: Busy,
    },
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::Overflow { start, size } => write!(
                f,
                "{start:#x} + {size:#x} passes the end of the address space"
            ),
            PlacementError::NotRam { start, end, at } => write!(
                f,
                "{start:#x}-{end:#x} is not wholly RAM the loader can write: {at:#x} is not \
                 (not enough guest memory? see the memory map above)"
            ),
            PlacementError::Overlaps { start, end, busy } => write!(
                f,
                "{start:#x}-{end:#x} overlaps {} at {:#x}-{:#x}",
                busy.what, busy.start, busy.end
            ),
        }
    }
}

/// Checks that `[start, start + size)` lies in RAM entries of `map` (adjacent entries
/// may share it) below `limit`, and overlaps no `busy` range. An empty range is fine
/// anywhere.
pub fn check(
    start: u64,
    size: u64,
    map: &[Region],
    limit: u64,
    busy: &[Busy],
) -> Result<(), PlacementError> {
    let end = start
        .checked_add(size)
        .ok_or(PlacementError::Overflow { start, size })?;
    if size == 0 {
        return Ok(());
    }
    // Walk the RAM entries from `start` up; each round moves `pos` past one entry,
    // so there are at most as many rounds as entries.
    let mut pos = start;
    for _ in 0..=map.len() {
        if pos >= end {
            break;
        }
        let next = map
            .iter()
            .filter(|r| r.kind == MEMORY_RAM && r.addr <= pos)
            .map(|r| r.addr.saturating_add(r.size))
            .filter(|&e| e > pos)
            .max();
        match next {
            Some(e) if pos < limit => pos = e.min(limit),
            _ => break,
        }
    }
    if pos < end {
        return Err(PlacementError::NotRam {
            start,
            end,
            at: pos,
        });
    }
    if let Some(b) = busy.iter().find(|b| b.start < end && start < b.end) {
        return Err(PlacementError::Overlaps {
            start,
            end,
            busy: *b,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    /// The map Xen 4.17 gives a 256 MiB PVH guest (low RAM, RAM from 1 MiB, ACPI).
    fn map() -> [Region; 3] {
        [
            Region {
                addr: 0,
                size: 0xa_0000,
                kind: 1,
            },
            Region {
                addr: MIB,
                size: 255 * MIB,
                kind: 1,
            },
            Region {
                addr: 0xfc00_0000,
                size: 0x1_0000,
                kind: 3,
            },
        ]
    }

    const IMAGE: Busy = Busy {
        what: "the loader's image",
        start: MIB,
        end: 0x35b000,
    };

    #[test]
    fn a_linux_kernel_fits_below_the_heap() {
        let heap = Busy {
            what: "the loader's heap",
            start: 120 * MIB,
            end: 256 * MIB,
        };
        // Debian 6.1's vmlinux: 16 MiB to 74 MiB.
        assert_eq!(
            check(16 * MIB, 58 * MIB, &map(), 1 << 32, &[IMAGE, heap]),
            Ok(())
        );
        assert_eq!(
            check(100 * MIB, 58 * MIB, &map(), 1 << 32, &[IMAGE, heap]),
            Err(PlacementError::Overlaps {
                start: 100 * MIB,
                end: 158 * MIB,
                busy: heap
            })
        );
        assert!(matches!(
            check(2 * MIB, MIB, &map(), 1 << 32, &[IMAGE, heap]),
            Err(PlacementError::Overlaps { busy, .. }) if busy == IMAGE
        ));
    }

    #[test]
    fn outside_ram_is_refused() {
        // The hole below 1 MiB, memory past the end of RAM, ACPI tables.
        for (start, size, at) in [
            (0x9_f000, 0x2000, 0xa_0000),
            (250 * MIB, 8 * MIB, 256 * MIB),
            (0xfc00_0000, 0x1000, 0xfc00_0000),
        ] {
            assert_eq!(
                check(start, size, &map(), 1 << 32, &[]),
                Err(PlacementError::NotRam {
                    start,
                    end: start + size,
                    at
                })
            );
        }
        // Above what the loader maps.
        assert!(check(16 * MIB, MIB, &map(), 16 * MIB + 4096, &[]).is_err());
        assert_eq!(
            check(u64::MAX, 2, &map(), 1 << 32, &[]),
            Err(PlacementError::Overflow {
                start: u64::MAX,
                size: 2
            })
        );
    }

    #[test]
    fn adjacent_ram_entries_are_one_range() {
        let split = [
            Region {
                addr: MIB,
                size: MIB,
                kind: 1,
            },
            Region {
                addr: 2 * MIB,
                size: MIB,
                kind: 1,
            },
        ];
        assert_eq!(check(MIB + 5, MIB, &split, 1 << 32, &[]), Ok(()));
        assert!(check(MIB, 3 * MIB, &split, 1 << 32, &[]).is_err());
        assert_eq!(check(0, 0, &split, 1 << 32, &[]), Ok(()));
    }
}

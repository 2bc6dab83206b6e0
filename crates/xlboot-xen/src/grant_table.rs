//! Version 1 grant table entries (`xen/include/public/grant_table.h`): how this domain
//! lets a backend map one of its pages.
//!
//! An entry is 8 bytes: `flags: u16`, `domid: u16`, `frame: u32`. The frame and domain
//! are written first and the flags last, behind a barrier, so the backend never sees a
//! permitted entry with a stale frame. Entries 0..8 are reserved for the toolstack
//! (console and xenstore pages).

use core::fmt;

use crate::memory::{SharedMemory, PAGE_SIZE};

/// The first reference a guest may use (`GNTTAB_NR_RESERVED_ENTRIES`).
pub const FIRST_FREE_REF: u32 = 8;
/// Entries in one grant table frame.
pub const ENTRIES_PER_FRAME: u32 = 512;

const GTF_PERMIT_ACCESS: u16 = 1;
const GTF_READONLY: u16 = 1 << 2;
/// Set by Xen while the backend has the page mapped (`GTF_reading | GTF_writing`).
const GTF_IN_USE: u16 = (1 << 3) | (1 << 4);

/// A grant reference outside the frame this table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    /// The reference is reserved or past the table.
    BadRef(u32),
    /// The backend still has the page mapped; the grant cannot end yet.
    InUse(u32),
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantError::BadRef(r) => write!(f, "grant reference {r} is outside the table"),
            GrantError::InUse(r) => write!(f, "grant reference {r} is still mapped by the backend"),
        }
    }
}

fn entry_offset(gref: u32) -> Result<usize, GrantError> {
    if !(FIRST_FREE_REF..ENTRIES_PER_FRAME).contains(&gref) {
        return Err(GrantError::BadRef(gref));
    }
    usize::try_from(gref)
        .ok()
        .and_then(|g| g.checked_mul(8))
        .filter(|o| *o < PAGE_SIZE)
        .ok_or(GrantError::BadRef(gref))
}

/// Lets domain `domid` map guest frame `frame` through reference `gref`.
pub fn grant(
    table: &impl SharedMemory,
    gref: u32,
    domid: u16,
    frame: u32,
    readonly: bool,
) -> Result<(), GrantError> {
    let at = entry_offset(gref)?;
    table.write_u16(at.wrapping_add(2), domid);
    table.write_u32(at.wrapping_add(4), frame);
    table.fence();
    let flags = if readonly {
        GTF_PERMIT_ACCESS | GTF_READONLY
    } else {
        GTF_PERMIT_ACCESS
    };
    table.write_u16(at, flags);
    Ok(())
}

/// How often [`end`] retries when the flags change under it: Xen changes them only
/// while a backend maps or unmaps the page, so a few tries settle it either way.
const END_TRIES: u32 = 16;

/// Ends the grant `gref` unless the backend still has the page mapped
/// (`GTF_reading`/`GTF_writing`), as Linux's `gnttab_end_foreign_access_ref_v1`
/// does: the flags are cleared with a compare-and-exchange, so a mapping Xen records
/// between the check and the clear is never wiped out. `Err(InUse)` means: wait for
/// the backend to unmap (it does when it disconnects) and try again. Ending an entry
/// that was never granted, or already ended, succeeds.
pub fn end(table: &impl SharedMemory, gref: u32) -> Result<(), GrantError> {
    let at = entry_offset(gref)?;
    let mut flags = table.read_u16(at);
    for _ in 0..END_TRIES {
        if flags & GTF_IN_USE != 0 {
            return Err(GrantError::InUse(gref));
        }
        let found = table.compare_exchange_u16(at, flags, 0);
        if found == flags {
            table.fence();
            return Ok(());
        }
        flags = found;
    }
    Err(GrantError::InUse(gref))
}

/// One entry as it stands: what [`grant`] wrote and what Xen added to the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `GTF_*` flags (permit, read-only, and Xen's reading/writing bits).
    pub flags: u16,
    /// The domain allowed to map the page.
    pub domid: u16,
    /// The guest frame granted.
    pub frame: u32,
}

impl Entry {
    /// Whether the grant is live: another domain may map the page
    /// (`GTF_permit_access`) or still has it mapped.
    pub fn is_active(&self) -> bool {
        self.flags & (GTF_PERMIT_ACCESS | GTF_IN_USE) != 0
    }
}

/// Reads entry `gref`.
pub fn entry(table: &impl SharedMemory, gref: u32) -> Result<Entry, GrantError> {
    let at = entry_offset(gref)?;
    Ok(Entry {
        flags: table.read_u16(at),
        domid: table.read_u16(at.wrapping_add(2)),
        frame: table.read_u32(at.wrapping_add(4)),
    })
}

/// The first live grant among the references a guest may use, if any: after the
/// loader ended its grants there must be none, or a backend could still map (and
/// write) pages the next kernel uses as ordinary memory.
pub fn first_active(table: &impl SharedMemory) -> Option<u32> {
    (FIRST_FREE_REF..ENTRIES_PER_FRAME)
        .find(|gref| entry(table, *gref).is_ok_and(|e| e.is_active()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::PlainPage;

    #[test]
    fn entry_layout() {
        let t = PlainPage::default();
        grant(&t, 9, 0, 0x1234, false).unwrap();
        assert_eq!(t.read_u16(72), 1);
        assert_eq!(t.read_u16(74), 0);
        assert_eq!(t.read_u32(76), 0x1234);
        grant(&t, 10, 7, 5, true).unwrap();
        assert_eq!(t.read_u16(80), 5);
        assert_eq!(t.read_u16(82), 7);
        end(&t, 10).unwrap();
        assert_eq!(t.read_u16(80), 0);
    }

    #[test]
    fn reserved_and_out_of_table_refs_are_refused() {
        let t = PlainPage::default();
        assert_eq!(grant(&t, 7, 0, 1, true), Err(GrantError::BadRef(7)));
        assert_eq!(grant(&t, 512, 0, 1, true), Err(GrantError::BadRef(512)));
        t.write_u16(88, 1 | 8);
        assert_eq!(end(&t, 11), Err(GrantError::InUse(11)));
        assert_eq!(end(&t, 8), Ok(()));
        assert_eq!(end(&t, 512), Err(GrantError::BadRef(512)));
    }

    /// The rules for ending a grant, as the teardown before the hand-over relies on
    /// them: a grant the backend still maps (reading or writing) stays until it is
    /// unmapped; then it ends, and no entry of the table is live any more.
    #[test]
    fn end_waits_for_the_backend_to_unmap() {
        let t = PlainPage::default();
        grant(&t, 8, 0, 0x400, false).unwrap();
        grant(&t, 9, 0, 0x401, true).unwrap();
        assert_eq!(first_active(&t), Some(8));
        // blkback maps the ring (Xen sets GTF_writing) and a data page read-only.
        t.write_u16(64, 1 | (1 << 4));
        t.write_u16(72, 1 | 4 | (1 << 3));
        assert_eq!(end(&t, 8), Err(GrantError::InUse(8)));
        assert_eq!(end(&t, 9), Err(GrantError::InUse(9)));
        assert_eq!(t.read_u16(64), 1 | (1 << 4), "a mapped entry is left alone");
        // The backend disconnects: Xen clears the in-use bits, the grants end.
        t.write_u16(64, 1);
        t.write_u16(72, 1 | 4);
        assert_eq!(end(&t, 8), Ok(()));
        assert_eq!(first_active(&t), Some(9));
        assert_eq!(end(&t, 9), Ok(()));
        assert_eq!(first_active(&t), None);
        // Only the flags are cleared; the frame stays as a record.
        assert_eq!(
            entry(&t, 9),
            Ok(Entry {
                flags: 0,
                domid: 0,
                frame: 0x401
            })
        );
        // Xen's in-use bits alone (permit already gone) still count as live.
        t.write_u16(80, 1 << 3);
        assert_eq!(first_active(&t), Some(10));
    }
}

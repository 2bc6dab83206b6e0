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

/// Ends the grant `gref`, unless the backend still has the page mapped.
pub fn end(table: &impl SharedMemory, gref: u32) -> Result<(), GrantError> {
    let at = entry_offset(gref)?;
    if table.read_u16(at) & GTF_IN_USE != 0 {
        return Err(GrantError::InUse(gref));
    }
    table.write_u16(at, 0);
    table.fence();
    if table.read_u16(at) & GTF_IN_USE != 0 {
        return Err(GrantError::InUse(gref));
    }
    Ok(())
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
    }
}

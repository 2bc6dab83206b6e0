//! ELF notes: `namesz`, `descsz`, `type`, then the name and the descriptor, each
//! padded to 4 bytes. libelf (and Linux, which writes Xen's notes with 4-byte
//! alignment in ELF64 files too) pads to 4 in both classes; so do we.

use crate::bytes::{slice, u32_at, until_nul, Endian};
use crate::error::KernelError;

/// One note, borrowing from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    /// The owner's name without its NUL ("Xen", "GNU", "Linux").
    pub name: &'a [u8],
    /// `n_type`.
    pub kind: u32,
    /// The descriptor.
    pub desc: &'a [u8],
}

/// Walks the notes in `area` (a note segment or section at `base` in the file). Each
/// note moves the cursor forward by at least 12 bytes, so the walk ends; a note that
/// does not fit is an error naming its offset.
pub struct Notes<'a> {
    area: &'a [u8],
    base: u64,
    pos: u64,
    endian: Endian,
}

impl<'a> Notes<'a> {
    /// Notes in `area`, which starts at file offset `base`.
    pub fn new(area: &'a [u8], base: u64, endian: Endian) -> Self {
        Notes {
            area,
            base,
            pos: 0,
            endian,
        }
    }
}

fn pad4(n: u32) -> u64 {
    u64::from(n).saturating_add(3) & !3
}

impl<'a> Iterator for Notes<'a> {
    type Item = Result<Note<'a>, KernelError>;

    fn next(&mut self) -> Option<Self::Item> {
        let left = (self.area.len() as u64).saturating_sub(self.pos);
        if left == 0 {
            return None;
        }
        let at = self.base.saturating_add(self.pos);
        let fail = |detail| Some(Err(KernelError::corrupt("ELF note", at, detail)));
        if left < 12 {
            self.pos = self.area.len() as u64;
            return fail("note header cut short");
        }
        let e = self.endian;
        let (Some(namesz), Some(descsz), Some(kind)) = (
            u32_at(self.area, self.pos, e),
            u32_at(self.area, self.pos.saturating_add(4), e),
            u32_at(self.area, self.pos.saturating_add(8), e),
        ) else {
            self.pos = self.area.len() as u64;
            return fail("note header cut short");
        };
        let name_at = self.pos.saturating_add(12);
        let desc_at = name_at.saturating_add(pad4(namesz));
        let (Some(name), Some(desc)) = (
            slice(self.area, name_at, u64::from(namesz)),
            slice(self.area, desc_at, u64::from(descsz)),
        ) else {
            self.pos = self.area.len() as u64;
            return fail("note name or descriptor runs past its segment");
        };
        self.pos = desc_at.saturating_add(pad4(descsz));
        Some(Ok(Note {
            name: until_nul(name),
            kind,
            desc,
        }))
    }
}

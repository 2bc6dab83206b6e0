//! This domain's grant table (version 1, one frame), mapped over a reserved page of
//! the loader's image, and given back before the hand-over.

use alloc::format;
use alloc::string::{String, ToString};

use xlboot_xen::grant_table::{self, GrantError};
use xlboot_xen::SharedMemory;

use crate::patience::Patience;
use crate::platform::hypercall;
use crate::platform::shared_page::SharedPage;

/// The grant table and the next unused reference.
pub struct GrantTable {
    page: SharedPage,
    next: u32,
}

impl GrantTable {
    /// Maps frame 0 of the table.
    pub fn map() -> Result<GrantTable, String> {
        let page = hypercall::map_grant_table()
            .map_err(|e| format!("cannot map the grant table (error {})", e.0))?;
        Ok(GrantTable {
            page,
            next: grant_table::FIRST_FREE_REF,
        })
    }

    /// Lets domain `domid` map `page`; returns the reference.
    pub fn grant(&mut self, domid: u16, page: &SharedPage, readonly: bool) -> Result<u32, String> {
        let gref = self.next;
        let frame = u32::try_from(page.frame()).map_err(|_| "page above 16 TiB".to_string())?;
        grant_table::grant(&self.page, gref, domid, frame, readonly).map_err(|e| e.to_string())?;
        self.next += 1;
        Ok(gref)
    }

    /// Ends grant `gref`, waiting (bounded) while the backend still has the page
    /// mapped; `what` names the device in the error.
    pub fn end(&mut self, gref: u32, what: &str) -> Result<(), String> {
        let mut patience = Patience::new("the backend (unmapping a granted page)");
        loop {
            match grant_table::end(&self.page, gref) {
                Ok(()) => return Ok(()),
                Err(GrantError::InUse(_)) => patience
                    .wait()
                    .map_err(|e| format!("{what}: grant reference {gref} stays mapped: {e}"))?,
                Err(e) => return Err(format!("{what}: {e}")),
            }
        }
    }

    /// Gives the table's frame back and puts RAM where it was mapped, so that the next
    /// kernel finds an ordinary page of its memory there: a write into a live grant
    /// frame would create grants. Refused while any grant is live.
    ///
    /// The page is then checked: it must no longer hold the loader's first grant entry
    /// (still there in the table frame, whose ended entries keep domain and frame), and
    /// must keep what is written to it. It is left zeroed.
    pub fn release(self) -> Result<(), String> {
        if let Some(gref) = grant_table::first_active(&self.page) {
            return Err(format!(
                "grant table: grant reference {gref} is still live before the hand-over"
            ));
        }
        let first = grant_table::entry(&self.page, grant_table::FIRST_FREE_REF)
            .map_err(|e| format!("grant table: {e}"))?;
        hypercall::unmap_grant_table().map_err(|e| {
            format!(
                "cannot remove the grant table frame from memory (XENMEM_remove_from_physmap error {})",
                e.0
            )
        })?;
        hypercall::repopulate_grant_table_page().map_err(|e| {
            format!(
                "cannot put RAM back where the grant table was (XENMEM_populate_physmap error {})",
                e.0
            )
        })?;
        let now = grant_table::entry(&self.page, grant_table::FIRST_FREE_REF)
            .map_err(|e| format!("grant table: {e}"))?;
        if first.frame != 0 && now == first {
            return Err(format!(
                "the grant table page at frame {:#x} still holds the grant table after it was removed",
                self.page.frame()
            ));
        }
        check_ram(&self.page)
    }
}

/// Writes a pattern over the page, reads it back and zeroes the page. Seen as grant
/// entries, the pattern's flags (the low 16 bits of each word) are 0xf0f0, whose type
/// bits say `GTF_invalid`: even a table frame still mapped there would grant nothing.
fn check_ram(page: &SharedPage) -> Result<(), String> {
    const PATTERN: u64 = 0x5a5a_a5a5_0f0f_f0f0;
    let words = xlboot_xen::PAGE_SIZE / 8;
    let word = |i: usize| PATTERN ^ ((i as u64) << 32);
    for i in 0..words {
        page.write_u64(i * 8, word(i));
    }
    page.fence();
    let bad = (0..words).find(|i| page.read_u64(i * 8) != word(*i));
    for i in 0..words {
        page.write_u64(i * 8, 0);
    }
    page.fence();
    match bad {
        Some(i) => Err(format!(
            "the page put back at frame {:#x} does not keep what is written to it (offset {})",
            page.frame(),
            i * 8
        )),
        None => Ok(()),
    }
}

//! This domain's grant table (version 1, one frame), mapped over a reserved page.

use alloc::format;
use alloc::string::{String, ToString};

use xlboot_xen::grant_table;

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
}

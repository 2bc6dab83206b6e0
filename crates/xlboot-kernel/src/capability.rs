//! Whether a kernel can boot as a PV or a PVH guest, decided with libxenguest's and
//! libelf's rules, each named where it is applied:
//!
//! - libelf `elf_xen_note_check`: an x86 ELF without Xen notes and without a
//!   `__xen_guest` section is "not a Xen-ELF image": neither PV nor PVH.
//! - libelf `elf_xen_note_check`: PVH needs only `XEN_ELFNOTE_PHYS32_ENTRY`;
//!   libxenguest's `xc_dom_parse_elf_kernel` refuses a PVH guest without it.
//! - libelf `elf_xen_note_check`: otherwise the loader must be "generic" or the
//!   guest OS "linux" (prefix compare), and the Xen version "xen-3.0". libelf skips
//!   these checks when `PHYS32_ENTRY` is present, because it does not know yet which
//!   way the kernel will boot; we apply them to PV always, since a kernel that has
//!   only the PVH note has no PV entry and would not run as PV.
//! - libxenguest `xc_dom_guest_type`: x86-64 is "xen-3.0-x86_64"; i386 is
//!   "xen-3.0-x86_32p" when `PAE_MODE` says "yes" (or "bimodal", or a legacy
//!   `PAE=yes...`), else non-PAE "xen-3.0-x86_32", which no current Xen offers.
//! - libxenguest `xc_dom_parse_elf_kernel`: a kernel whose `FEATURES` require
//!   `dom0` ("!dom0") does not support unprivileged operation: neither PV nor PVH domU.

use crate::elf::header::{FileHeader, EM_386, EM_X86_64};
use crate::xen_notes::XenNotes;

/// The PV guest type libxenguest would pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PvArch {
    /// "xen-3.0-x86_64".
    X86_64,
    /// "xen-3.0-x86_32p": 32-bit PAE.
    X86_32Pae,
}

impl PvArch {
    /// libxenguest's name for the guest type.
    pub fn xen_name(self) -> &'static str {
        match self {
            PvArch::X86_64 => "xen-3.0-x86_64",
            PvArch::X86_32Pae => "xen-3.0-x86_32p",
        }
    }
}

/// How a kernel can boot on Xen; each `Err` says why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    /// As a PV guest, with its guest type.
    pub pv: Result<PvArch, &'static str>,
    /// As a PVH guest.
    pub pvh: Result<(), &'static str>,
}

/// Whether FEATURES requires `dom0` (a `!dom0` item, as libelf's feature parser reads
/// a leading `!` as "required").
fn requires_dom0(features: Option<&str>) -> bool {
    features.is_some_and(|f| f.split('|').any(|item| item.trim() == "!dom0"))
}

fn pae(mode: Option<&str>) -> bool {
    mode.is_some_and(|m| m == "yes" || m.contains("bimodal") || m.starts_with("yes"))
}

/// Decides PV and PVH capability from the ELF header and the Xen notes.
pub fn decide(hdr: &FileHeader, xen: &XenNotes) -> Capability {
    if hdr.machine != EM_386 && hdr.machine != EM_X86_64 {
        const NOT_X86: &str = "not an x86 kernel";
        return Capability {
            pv: Err(NOT_X86),
            pvh: Err(NOT_X86),
        };
    }
    if xen.source.is_none() {
        return Capability {
            pv: Err("no Xen ELF notes and no __xen_guest section: not built for Xen"),
            pvh: Err("no Xen ELF notes: not built for Xen"),
        };
    }
    if requires_dom0(xen.features.as_deref()) {
        const DOM0: &str = "its FEATURES require dom0: no unprivileged (domU) operation";
        return Capability {
            pv: Err(DOM0),
            pvh: Err(DOM0),
        };
    }
    let pvh = if xen.phys32_entry.is_some() {
        Ok(())
    } else {
        Err("no XEN_ELFNOTE_PHYS32_ENTRY note: no PVH entry point")
    };
    let loader_ok = xen
        .loader
        .as_deref()
        .is_some_and(|l| l.starts_with("generic"));
    let os_ok = xen
        .guest_os
        .as_deref()
        .is_some_and(|o| o.starts_with("linux"));
    let pv = if !loader_ok && !os_ok {
        Err("Xen notes name neither the generic loader nor a Linux guest")
    } else if !xen
        .xen_version
        .as_deref()
        .is_some_and(|v| v.starts_with("xen-3.0"))
    {
        Err("Xen notes do not say xen-3.0")
    } else if hdr.machine == EM_X86_64 {
        Ok(PvArch::X86_64)
    } else if pae(xen.pae_mode.as_deref()) {
        Ok(PvArch::X86_32Pae)
    } else {
        Err("32-bit kernel without PAE: no current Xen runs non-PAE PV guests")
    };
    Capability { pv, pvh }
}

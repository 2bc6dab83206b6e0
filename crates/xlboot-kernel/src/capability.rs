//! Whether a kernel can boot as a PV or a PVH guest, decided with libxenguest's and
//! libelf's rules, each named where it is applied:
//!
//! - libelf `elf_xen_note_check`: an x86 ELF without Xen notes and without a
//!   `__xen_guest` section is "not a Xen-ELF image": neither PV nor PVH.
//! - libelf `elf_xen_note_check`: PVH needs only `XEN_ELFNOTE_PHYS32_ENTRY` (any value
//!   but 0xffffffff, libelf's "unset", after truncation to 32 bits); libxenguest's
//!   `xc_dom_guest_type` refuses a PVH guest without it. `__xen_guest` is read for PV
//!   only, so a legacy kernel is never PVH.
//! - libelf `elf_xen_note_check`: otherwise the loader must be "generic" or the
//!   guest OS "linux" (prefix compare), and the Xen version "xen-3.0". NetBSD and
//!   FreeBSD name the generic loader, which is how they pass. libelf skips these
//!   checks when `PHYS32_ENTRY` is present and the guest is PVH; we apply them to PV
//!   always, as libelf does for a PV guest.
//! - libelf `elf_xen_addr_calc_check`: the entry point must lie inside the kernel's
//!   loaded extent: for PV the `ENTRY` note (or `VIRT_ENTRY`, or `e_entry`) inside the
//!   loadable segments' physical extent moved by `VIRT_BASE - PADDR_OFFSET`, with
//!   `VIRT_BASE` not above the kernel's start, and no `PADDR_OFFSET` without
//!   `VIRT_BASE`; for PVH the `PHYS32_ENTRY` inside the physical extent itself.
//! - libxenguest `xc_dom_guest_type`: x86-64 is "xen-3.0-x86_64"; i386 is
//!   "xen-3.0-x86_32p" when `PAE_MODE` says "yes" (or "bimodal", or a legacy
//!   `PAE=yes...`), else non-PAE "xen-3.0-x86_32", which no current Xen offers.
//! - libxenguest `xc_dom_parse_elf_kernel`: a kernel whose `FEATURES` require
//!   `dom0` ("!dom0") does not support unprivileged operation: neither PV nor PVH domU.
//!
//! What libelf cannot know, this cannot either: a kernel whose notes declare a PV
//! entry it cannot use (FreeBSD's amd64 kernels keep the notes of the PVH mode Xen 4.9
//! removed, which libelf reads as PV) is reported as libxenguest treats it: it starts.

use crate::elf::header::{FileHeader, EM_386, EM_X86_64};
use crate::xen_notes::{XenNotes, XenSource};

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

impl Capability {
    /// Neither PV nor PVH, for the same reason.
    pub const fn neither(why: &'static str) -> Self {
        Capability {
            pv: Err(why),
            pvh: Err(why),
        }
    }
}

/// libelf's "unset" 32-bit address.
const UNSET_ADDR32: u64 = 0xffff_ffff;

/// Whether FEATURES requires `dom0` (a `!dom0` item, as libelf's feature parser reads
/// a leading `!` as "required").
fn requires_dom0(features: Option<&str>) -> bool {
    features.is_some_and(|f| f.split('|').any(|item| item.trim() == "!dom0"))
}

fn pae(mode: Option<&str>) -> bool {
    mode.is_some_and(|m| m == "yes" || m.contains("bimodal") || m.starts_with("yes"))
}

/// Decides PV and PVH capability from the ELF header, the Xen notes and the
/// physical extent of the loadable segments (`elf::program::load_extent`).
pub fn decide(hdr: &FileHeader, xen: &XenNotes, extent: Option<(u64, u64)>) -> Capability {
    if hdr.machine != EM_386 && hdr.machine != EM_X86_64 {
        return Capability::neither("not an x86 kernel");
    }
    if xen.source.is_none() {
        return Capability {
            pv: Err("no Xen ELF notes and no __xen_guest section: not built for Xen"),
            pvh: Err("no Xen ELF notes: not built for Xen"),
        };
    }
    if requires_dom0(xen.features.as_deref()) {
        return Capability::neither("its FEATURES require dom0: no unprivileged (domU) operation");
    }
    Capability {
        pv: pv(hdr, xen, extent),
        pvh: pvh(xen, extent),
    }
}

/// PVH: the entry note, inside the loaded extent (virtual base and offset are 0).
fn pvh(xen: &XenNotes, extent: Option<(u64, u64)>) -> Result<(), &'static str> {
    if xen.source == Some(XenSource::LegacyGuestSection) {
        return Err("only a __xen_guest section, which libelf reads for PV guests only");
    }
    let entry = xen
        .phys32_entry
        .map(|e| e & UNSET_ADDR32)
        .filter(|&e| e != UNSET_ADDR32)
        .ok_or("no XEN_ELFNOTE_PHYS32_ENTRY note: no PVH entry point")?;
    let (start, end) = extent.ok_or("no loadable segment")?;
    if entry < start || entry > end {
        return Err("PHYS32_ENTRY outside the kernel's loadable segments");
    }
    Ok(())
}

/// PV: libelf's note check, its address check, then the guest type.
fn pv(
    hdr: &FileHeader,
    xen: &XenNotes,
    extent: Option<(u64, u64)>,
) -> Result<PvArch, &'static str> {
    let loader_ok = xen
        .loader
        .as_deref()
        .is_some_and(|l| l.starts_with("generic"));
    let os_ok = xen
        .guest_os
        .as_deref()
        .is_some_and(|o| o.starts_with("linux"));
    if !loader_ok && !os_ok {
        return Err("Xen notes name neither the generic loader nor a Linux guest");
    }
    if !xen
        .xen_version
        .as_deref()
        .is_some_and(|v| v.starts_with("xen-3.0"))
    {
        return Err("Xen notes do not say xen-3.0");
    }
    pv_addresses(hdr, xen, extent)?;
    if hdr.machine == EM_X86_64 {
        Ok(PvArch::X86_64)
    } else if pae(xen.pae_mode.as_deref()) {
        Ok(PvArch::X86_32Pae)
    } else {
        Err("32-bit kernel without PAE: no current Xen runs non-PAE PV guests")
    }
}

/// libelf's `elf_xen_addr_calc_check` for a PV guest, in its 64-bit arithmetic (which
/// wraps, as there).
fn pv_addresses(
    hdr: &FileHeader,
    xen: &XenNotes,
    extent: Option<(u64, u64)>,
) -> Result<(), &'static str> {
    if xen.paddr_offset.is_some() && xen.virt_base.is_none() {
        return Err("PADDR_OFFSET without VIRT_BASE");
    }
    let virt_base = xen.virt_base.unwrap_or(0);
    // Without the offset, notes mean 0 and the legacy string means VIRT_BASE.
    let paddr_offset = xen.paddr_offset.unwrap_or(match xen.source {
        Some(XenSource::LegacyGuestSection) => virt_base,
        _ => 0,
    });
    let (start, end) = extent.ok_or("no loadable segment")?;
    let offset = virt_base.wrapping_sub(paddr_offset);
    let (kstart, kend) = (start.wrapping_add(offset), end.wrapping_add(offset));
    let entry = xen.entry.unwrap_or(hdr.entry);
    if kstart > kend || entry < kstart || entry > kend || virt_base > kstart {
        return Err("PV entry point or VIRT_BASE outside the kernel's loaded extent");
    }
    Ok(())
}

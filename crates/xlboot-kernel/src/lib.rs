//! What a guest kernel is, before anyone boots it: its container (x86 bzImage, ELF,
//! or an ELF compressed whole), its compressor, its version string, its Xen ELF
//! notes, and whether it can boot as a 64-bit or 32-bit PV guest or as PVH.
//!
//! A kernel that cannot boot the way the guest is configured fails late, inside
//! libxenguest or the guest, with a message that says nothing about why; this crate
//! tells before. It follows libxenguest where libxenguest decides:
//!
//! - [`bzimage`]: the setup header as xg_dom_bzimageloader.c accepts it (`HdrS`,
//!   boot protocol 2.08+), plus the boot sector signature every x86 loader checks;
//! - [`payload`]: the compressor by magic in that loader's order, decompressed by
//!   `xlboot-compress`, with the lzop container and the lz4 legacy frame framed here;
//! - [`elf`]: a small ELF reader of our own (both classes, both byte orders);
//! - [`xen_notes`]: the Xen notes and the legacy `__xen_guest` string, found as libelf
//!   finds them;
//! - [`capability`]: PV/PVH capability by libelf's and libxenguest's rules.
//!
//! Everything here reads hostile bytes: no panics, every offset, length and count
//! checked, every loop bounded, decompressed output capped by the caller.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

extern crate alloc;

mod bytes;
pub mod bzimage;
pub mod capability;
pub mod elf;
mod error;
mod lz4_legacy;
mod lzop;
pub mod payload;
pub mod xen_notes;

use alloc::borrow::Cow;

pub use bytes::Endian;
pub use capability::{Capability, PvArch};
pub use error::KernelError;
pub use payload::Compressor;
pub use xen_notes::{XenNotes, XenSource};

use bzimage::SetupHeader;
use elf::header::FileHeader;

/// The most a kernel payload may decompress to unless the caller says otherwise:
/// Debian's amd64 vmlinux is about 63 MiB; the largest distribution kernels stay well
/// under this.
pub const DEFAULT_MAX_KERNEL: usize = 256 << 20;

/// How the ELF kernel was wrapped in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// An x86 bzImage with a compressed ELF payload.
    BzImage(SetupHeader),
    /// A plain ELF file (vmlinux, NetBSD, FreeBSD).
    Elf,
    /// An ELF file compressed whole (vmlinux.gz and the like).
    Compressed,
}

/// The ELF kernel inside an image, and how it was wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped<'a> {
    /// The container.
    pub container: Container,
    /// The payload's compressor, if compressed.
    pub compressor: Option<Compressor>,
    /// The ELF file (borrowed when the image is a plain ELF).
    pub elf: Cow<'a, [u8]>,
}

/// What a kernel image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// The container.
    pub container: Container,
    /// The payload's compressor, if compressed.
    pub compressor: Option<Compressor>,
    /// Size of the ELF kernel after decompression.
    pub elf_size: usize,
    /// The ELF file header.
    pub elf: FileHeader,
    /// The Xen notes.
    pub xen: XenNotes,
    /// PV and PVH capability.
    pub capability: Capability,
}

impl Kernel {
    /// The bzImage `kernel_version` string, if there is one.
    pub fn version(&self) -> Option<&str> {
        match &self.container {
            Container::BzImage(h) => h.kernel_version.as_deref(),
            _ => None,
        }
    }
}

/// Finds the ELF kernel in `image`, decompressing at most `max_out` bytes.
///
/// A bzImage is tried first (its boot sector comes first), then a plain ELF, then an
/// ELF compressed whole, recognised by the same magics as a bzImage payload.
pub fn unwrap_elf(image: &[u8], max_out: usize) -> Result<Unwrapped<'_>, KernelError> {
    if bzimage::looks_like(image) {
        let hdr = bzimage::parse(image)?;
        let (start, len) = hdr.payload_range();
        let data = bytes::slice(image, start, len).unwrap_or_default();
        let compressor = Compressor::detect(data).ok_or(KernelError::Unsupported {
            detail: "bzImage payload with an unknown compressor magic",
        })?;
        let elf = compressor.decompress(data, max_out)?;
        return Ok(Unwrapped {
            container: Container::BzImage(hdr),
            compressor: Some(compressor),
            elf: Cow::Owned(elf),
        });
    }
    if elf::header::looks_like(image) {
        return Ok(Unwrapped {
            container: Container::Elf,
            compressor: None,
            elf: Cow::Borrowed(image),
        });
    }
    let compressor = Compressor::detect(image).ok_or(KernelError::NotAKernel)?;
    let elf = compressor.decompress(image, max_out)?;
    Ok(Unwrapped {
        container: Container::Compressed,
        compressor: Some(compressor),
        elf: Cow::Owned(elf),
    })
}

/// Reads what `image` is: container, compressor, ELF header, Xen notes, capability.
pub fn inspect(image: &[u8], max_out: usize) -> Result<Kernel, KernelError> {
    let unwrapped = unwrap_elf(image, max_out)?;
    let data: &[u8] = &unwrapped.elf;
    if !elf::header::looks_like(data) {
        return Err(KernelError::corrupt(
            "decompressed payload",
            0,
            "not an ELF file",
        ));
    }
    let hdr = elf::header::parse(data)?;
    let xen = xen_notes::read(data, &hdr)?;
    let capability = capability::decide(&hdr, &xen);
    Ok(Kernel {
        container: unwrapped.container,
        compressor: unwrapped.compressor,
        elf_size: data.len(),
        elf: hdr,
        xen,
        capability,
    })
}

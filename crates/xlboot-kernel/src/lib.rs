//! What a guest kernel is, before anyone boots it: its container (x86 bzImage, ELF,
//! or an ELF compressed whole), its compressor, its version string, its Xen ELF
//! notes, which OS it says it is, and whether it can boot as a 64-bit or 32-bit PV
//! guest or as PVH.
//!
//! A kernel that cannot boot the way the guest is configured fails late, inside
//! libxenguest or the guest, with a message that says nothing about why; this crate
//! tells before. It follows libxenguest where libxenguest decides:
//!
//! - `container`: how libxenguest opens the file: a gzip-compressed file is gunzipped
//!   whole first (`xc_dom_try_gunzip`, capped at its size trailer, as there), then it
//!   is a bzImage or an ELF. An ELF compressed whole by anything else is decompressed
//!   so that it can be inspected, and reported as not loadable as is
//!   ([`Kernel::capability`] against [`Kernel::elf_capability`]);
//! - [`bzimage`]: the setup header as xg_dom_bzimageloader.c accepts it (`HdrS`,
//!   boot protocol 2.08+), plus the boot sector signature every x86 loader checks;
//!   its payload decompresses into at most the header's `init_size`, as Linux's own
//!   decompressor does, so a kernel cannot make us allocate more than it declares
//!   (more is corrupt; the caller's cap is "too large");
//! - [`payload`]: the compressor by magic in that loader's order (gzip, bzip2, xz,
//!   zstd, lzma, lzop, lz4), decompressed by `xlboot-compress`, with the lzop container
//!   and the lz4 legacy frame framed here;
//! - [`elf`]: a small ELF reader of our own (both classes, both byte orders), with
//!   the loadable segments' physical extent as libelf computes it;
//! - [`xen_notes`]: the Xen notes and the legacy `__xen_guest` string, found as libelf
//!   finds them (note segments, then note sections, then the string), and the guest
//!   OS they name (Linux, NetBSD, FreeBSD, ...);
//! - [`capability`]: PV/PVH capability by libelf's and libxenguest's rules, the
//!   entry points checked against the loaded extent.
//!
//! NetBSD and FreeBSD kernels are tested with ELF files assembled and linked by GNU
//! binutils from the notes their sources declare (tests/bsd), not with the real
//! kernels, which cannot be downloaded where this is built.
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
mod container;
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
pub use xen_notes::{GuestOs, XenNotes, XenSource};

use bzimage::SetupHeader;
use elf::header::FileHeader;

/// The most a kernel payload may decompress to unless the caller says otherwise:
/// Debian's amd64 vmlinux is about 63 MiB; the largest distribution kernels stay well
/// under this.
pub const DEFAULT_MAX_KERNEL: usize = 256 << 20;

/// How the ELF kernel was wrapped in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// An x86 bzImage with a compressed ELF payload (also when the whole bzImage was
    /// gzip-compressed, which libxenguest undoes first).
    BzImage(SetupHeader),
    /// A plain ELF file (vmlinux, NetBSD, FreeBSD).
    Elf,
    /// An ELF file compressed whole (`netbsd-XEN3_DOMU.gz`, `vmlinux.gz`). libxenguest
    /// opens such a file only when the compressor is gzip.
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
    /// The physical memory the ELF's loadable segments span, `[start, end)`, as libelf
    /// computes it; `None` without a loadable segment.
    pub memory: Option<(u64, u64)>,
    /// PV and PVH capability of the image as it is, handed to libxenguest: the ELF's
    /// own, unless libxenguest cannot open the container at all (an ELF compressed
    /// whole by anything but gzip).
    pub capability: Capability,
    /// PV and PVH capability of the ELF alone: what it is when handed to libxenguest
    /// decompressed.
    pub elf_capability: Capability,
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

/// Finds the ELF kernel in `image`, decompressing at most `max_out` bytes (less when
/// the image declares less: a bzImage's `init_size`, a gzip file's size trailer).
///
/// In libxenguest's order: a gzip-compressed file is gunzipped first, then a bzImage
/// is tried (its boot sector comes first), then a plain ELF; last, an ELF compressed
/// whole by another compressor, recognised by the same magics as a bzImage payload
/// and decompressed so that it can be inspected (libxenguest would not open it; see
/// [`Kernel::capability`]).
pub fn unwrap_elf(image: &[u8], max_out: usize) -> Result<Unwrapped<'_>, KernelError> {
    if let Some(inner) = container::gunzip_whole(image, max_out)? {
        if bzimage::looks_like(&inner) {
            return from_bzimage(&inner, max_out);
        }
        return Ok(Unwrapped {
            container: Container::Compressed,
            compressor: Some(Compressor::Gzip),
            elf: Cow::Owned(inner),
        });
    }
    if bzimage::looks_like(image) {
        return from_bzimage(image, max_out);
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

/// A bzImage, its payload decompressed.
fn from_bzimage<'a>(image: &[u8], max_out: usize) -> Result<Unwrapped<'a>, KernelError> {
    let (hdr, compressor, elf) = container::bzimage_payload(image, max_out)?;
    Ok(Unwrapped {
        container: Container::BzImage(hdr),
        compressor: Some(compressor),
        elf: Cow::Owned(elf),
    })
}

/// Reads what `image` is: container, compressor, ELF header, Xen notes, capability.
pub fn inspect(image: &[u8], max_out: usize) -> Result<Kernel, KernelError> {
    inspect_unwrapped(&unwrap_elf(image, max_out)?)
}

/// What [`inspect`] says, from an image [`unwrap_elf`] already unwrapped: for a caller
/// that also needs the ELF file itself, without decompressing twice.
pub fn inspect_unwrapped(unwrapped: &Unwrapped<'_>) -> Result<Kernel, KernelError> {
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
    let memory = elf::program::load_extent(data, &hdr)?;
    let elf_capability = capability::decide(&hdr, &xen, memory);
    let capability = match (&unwrapped.container, unwrapped.compressor) {
        (Container::Compressed, Some(c)) if c != Compressor::Gzip => {
            Capability::neither(not_opened_whole(c))
        }
        _ => elf_capability,
    };
    Ok(Kernel {
        container: unwrapped.container.clone(),
        compressor: unwrapped.compressor,
        elf_size: data.len(),
        elf: hdr,
        xen,
        memory,
        capability,
        elf_capability,
    })
}

/// Why libxenguest cannot open an ELF compressed whole with `c`.
fn not_opened_whole(c: Compressor) -> &'static str {
    match c {
        Compressor::Bzip2 => "a bzip2-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Lzma => "an lzma-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Xz => "an xz-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Lzop => "an lzop-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Lz4Legacy => "an lz4-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Zstd => "a zstd-compressed ELF file: libxenguest decompresses whole kernel files only when gzip-compressed",
        Compressor::Gzip => "a gzip-compressed file libxenguest could not open",
    }
}

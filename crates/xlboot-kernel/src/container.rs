//! How libxenguest opens a kernel file, before any loader looks at it, and the caps
//! that keep a kernel from making us decompress more than it declares:
//!
//! - `xc_dom_kernel_file` gunzips the whole file first when it starts with the gzip
//!   magic (`xc_dom_try_gunzip`): into a buffer of the size the file's last four bytes
//!   give plus 16, refusing sizes over 1 GiB. No other compressor is tried on a whole
//!   file. What comes out is then probed as a bzImage or an ELF, like any file.
//! - A bzImage's payload is decompressed by the compressor its magic names. Linux's
//!   own decompressor writes the payload into the `init_size` bytes the setup header
//!   declares, so a payload that decompresses to more contradicts its header: it is
//!   corrupt, and we stop there instead of allocating what it asks.

use alloc::vec::Vec;

use xlboot_compress::DecompressErrorKind;

use crate::bytes::{slice, u32_at, Endian};
use crate::bzimage::{self, SetupHeader};
use crate::error::KernelError;
use crate::payload::Compressor;

/// gzip's magic, which libxenguest checks before anything else.
const GZIP_MAGIC: &[u8] = b"\x1f\x8b";
/// libxenguest's `XC_DOM_DECOMPRESS_MAX`: a gzip size trailer over this is not
/// decompressed.
const DECOMPRESS_MAX: u32 = 1 << 30;
/// The slack libxenguest adds to the gzip size trailer.
const GUNZIP_SLACK: usize = 16;

/// The whole file gunzipped, as libxenguest does first; `None` if it is not gzip.
pub fn gunzip_whole(image: &[u8], max_out: usize) -> Result<Option<Vec<u8>>, KernelError> {
    if !image.starts_with(GZIP_MAGIC) {
        return Ok(None);
    }
    let len = image.len() as u64;
    let trailer = len.saturating_sub(4);
    let Some(size) = u32_at(image, trailer, Endian::Little).filter(|_| len >= 6) else {
        return Err(KernelError::corrupt(
            "gzip file",
            0,
            "shorter than its magic and a size trailer",
        ));
    };
    if size > DECOMPRESS_MAX {
        return Err(KernelError::Unsupported {
            detail:
                "gzip file whose size trailer says over 1 GiB: libxenguest does not decompress it",
        });
    }
    let declared = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_add(GUNZIP_SLACK);
    capped(Compressor::Gzip, image, declared, max_out, || {
        KernelError::corrupt(
            "gzip file",
            trailer,
            "decompresses to more than its size trailer says",
        )
    })
    .map(Some)
}

/// A bzImage's setup header and its payload, decompressed.
pub fn bzimage_payload(
    image: &[u8],
    max_out: usize,
) -> Result<(SetupHeader, Compressor, Vec<u8>), KernelError> {
    let hdr = bzimage::parse(image)?;
    let (start, len) = hdr.payload_range();
    let data = slice(image, start, len).unwrap_or_default();
    let compressor = Compressor::detect(data).ok_or(KernelError::Unsupported {
        detail: "bzImage payload with an unknown compressor magic",
    })?;
    // Boot protocols before 2.10 have no init_size (0): only the caller's cap.
    let declared = match hdr.init_size {
        0 => usize::MAX,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let elf = capped(compressor, data, declared, max_out, || {
        KernelError::corrupt(
            "bzImage payload",
            start,
            "decompresses to more than the setup header's init_size",
        )
    })?;
    Ok((hdr, compressor, elf))
}

/// Decompresses under the tighter of what the image declares and the caller's cap;
/// passing what the image declares is its own error (`over`), passing the caller's
/// cap stays "too large".
fn capped(
    compressor: Compressor,
    data: &[u8],
    declared: usize,
    max_out: usize,
    over: impl FnOnce() -> KernelError,
) -> Result<Vec<u8>, KernelError> {
    let cap = declared.min(max_out);
    match compressor.decompress(data, cap) {
        Err(KernelError::Decompress { error, .. })
            if error.kind == DecompressErrorKind::TooLarge && declared < max_out =>
        {
            Err(over())
        }
        other => other,
    }
}

//! The one error type: what failed, where, and whether the image is damaged, uses
//! something not supported, or is not a kernel at all.

use core::fmt;

use xlboot_compress::DecompressError;

use crate::payload::Compressor;

/// Why a kernel image could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelError {
    /// The image contradicts its format: a field points outside the image, a count
    /// is impossible, a structure is cut short.
    Corrupt {
        /// The structure being read ("setup header", "ELF program header", ...).
        structure: &'static str,
        /// Byte offset of that structure in the image (or in the decompressed ELF).
        offset: u64,
        /// What exactly is wrong.
        detail: &'static str,
    },
    /// A valid image using something this crate (or libxenguest) does not read: a
    /// boot protocol older than 2.08, a compressor it does not know, a gzip file
    /// over libxenguest's 1 GiB.
    Unsupported {
        /// What is not supported.
        detail: &'static str,
    },
    /// Not a bzImage, an ELF file or a compressed ELF file.
    NotAKernel,
    /// The payload did not decompress.
    Decompress {
        /// The compressor found by magic.
        compressor: Compressor,
        /// The decoder's error (corrupt, too large, unsupported).
        error: DecompressError,
    },
}

impl KernelError {
    /// A corrupt structure at `offset`.
    pub(crate) const fn corrupt(
        structure: &'static str,
        offset: u64,
        detail: &'static str,
    ) -> Self {
        KernelError::Corrupt {
            structure,
            offset,
            detail,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Corrupt {
                structure,
                offset,
                detail,
            } => write!(f, "corrupt kernel: {structure} at byte {offset}: {detail}"),
            KernelError::Unsupported { detail } => write!(f, "unsupported kernel: {detail}"),
            KernelError::NotAKernel => f.write_str(
                "not a kernel: neither a bzImage, an ELF file nor a compressed ELF file",
            ),
            KernelError::Decompress { compressor, error } => {
                write!(f, "kernel payload ({}): {error}", compressor.name())
            }
        }
    }
}

//! The compressed payload of a bzImage (or a whole compressed vmlinux): which
//! compressor by its magic, and decompression through `xlboot-compress`.
//!
//! The magics and their order are those libxenguest's bzImage loader
//! (xg_dom_bzimageloader.c) tries; Linux's own build (arch/x86/boot/compressed
//! Makefile) writes them: `gzip -n -9`, `bzip2 -9`, `lzma -9`, `xz --check=crc32`
//! with the x86 BCJ filter, `lzop -9`, `lz4 -l -9` and `zstd -22 --ultra`, each
//! followed by the decompressed size as 4 little-endian bytes, which the decoders
//! with an end marker ignore and the lz4 legacy frame reader skips.

use alloc::vec::Vec;

use xlboot_compress::{decompress as inflate, Codec, DecompressError, DecompressErrorKind};

use crate::error::KernelError;
use crate::{lz4_legacy, lzop};

/// A compressor Linux uses for its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compressor {
    /// gzip (RFC 1952).
    Gzip,
    /// bzip2 (`bzip2 -9`, as Linux's build writes it).
    Bzip2,
    /// Legacy .lzma.
    Lzma,
    /// .xz (with the x86 BCJ filter, as Linux builds it).
    Xz,
    /// The lzop container around LZO1X blocks.
    Lzop,
    /// The lz4 legacy frame (`lz4 -l`).
    Lz4Legacy,
    /// Zstandard.
    Zstd,
}

/// Magics in the order libxenguest's bzImage loader tries them (they do not overlap,
/// so the order only matters for reading along).
const MAGICS: [(&[u8], Compressor); 7] = [
    (b"\x1f\x8b", Compressor::Gzip),
    (b"BZh", Compressor::Bzip2),
    (b"\xfd7zXZ", Compressor::Xz),
    (b"\x28\xb5\x2f\xfd", Compressor::Zstd),
    (b"\x5d\x00", Compressor::Lzma),
    (lzop::MAGIC, Compressor::Lzop),
    (&lz4_legacy::MAGIC, Compressor::Lz4Legacy),
];

impl Compressor {
    /// The compressor whose magic `data` starts with.
    pub fn detect(data: &[u8]) -> Option<Compressor> {
        MAGICS
            .iter()
            .find(|(magic, _)| data.starts_with(magic))
            .map(|&(_, c)| c)
    }

    /// The compressor's name as Linux's `CONFIG_KERNEL_*` options spell it.
    pub fn name(self) -> &'static str {
        match self {
            Compressor::Gzip => "gzip",
            Compressor::Bzip2 => "bzip2",
            Compressor::Lzma => "lzma",
            Compressor::Xz => "xz",
            Compressor::Lzop => "lzo",
            Compressor::Lz4Legacy => "lz4",
            Compressor::Zstd => "zstd",
        }
    }

    /// Decompresses `data` (which starts with this compressor's magic) into at most
    /// `max_out` bytes.
    pub fn decompress(self, data: &[u8], max_out: usize) -> Result<Vec<u8>, KernelError> {
        let wrap = |error: DecompressError| KernelError::Decompress {
            compressor: self,
            error,
        };
        match self {
            Compressor::Gzip => inflate(Codec::Gzip, data, max_out).map_err(wrap),
            Compressor::Lzma => inflate(Codec::Lzma, data, max_out).map_err(wrap),
            Compressor::Xz => inflate(Codec::Xz, data, max_out).map_err(wrap),
            Compressor::Zstd => inflate(Codec::Zstd, data, max_out).map_err(wrap),
            Compressor::Bzip2 => inflate(Codec::Bzip2, data, max_out).map_err(wrap),
            Compressor::Lzop => lzop::decompress(data, max_out),
            Compressor::Lz4Legacy => lz4_legacy::decompress(data, max_out),
        }
    }
}

/// A framing error of our own (lzop, lz4 legacy), in the decoder error's shape.
pub(crate) fn framing_error(
    compressor: Compressor,
    codec: Codec,
    kind: DecompressErrorKind,
    detail: &'static str,
) -> KernelError {
    KernelError::Decompress {
        compressor,
        error: DecompressError {
            codec,
            kind,
            detail,
        },
    }
}

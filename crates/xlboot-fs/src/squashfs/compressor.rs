//! The compressor: its id in the superblock, and the optional options block that
//! follows the superblock (one uncompressed metadata block).
//!
//! Decoding needs almost nothing from the options: every stream describes itself
//! (xz lists its filters, BCJ included). They are still checked as Linux checks
//! them, so an image Linux refuses is refused here too.

use alloc::format;

use xlboot_compress::Codec;

use crate::bytes::le32;
use crate::FsError;

/// Compressor ids of the superblock's `compression` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compressor {
    /// 1: zlib streams (squashfs calls it gzip).
    Gzip,
    /// 2: LZMA in the legacy .lzma format (never in mainline Linux, which reads xz).
    Lzma,
    /// 3: raw LZO1X blocks.
    Lzo,
    /// 4: .xz streams, possibly with a BCJ filter.
    Xz,
    /// 5: raw LZ4 blocks.
    Lz4,
    /// 6: zstd frames.
    Zstd,
}

/// LZ4 options `version`: the only format Linux reads (a raw block).
const LZ4_LEGACY: u32 = 1;

impl Compressor {
    /// The compressor with superblock id `id`.
    pub(crate) fn from_id(id: u16) -> Result<Compressor, FsError> {
        Ok(match id {
            1 => Compressor::Gzip,
            2 => Compressor::Lzma,
            3 => Compressor::Lzo,
            4 => Compressor::Xz,
            5 => Compressor::Lz4,
            6 => Compressor::Zstd,
            other => {
                return Err(FsError::Unsupported(format!(
                    "squashfs: compressor id {other} (known: 1 gzip, 2 lzma, 3 lzo, 4 xz, 5 lz4, \
                     6 zstd)"
                )))
            }
        })
    }

    /// The decoder for this compressor's blocks.
    pub(crate) fn codec(self) -> Codec {
        match self {
            Compressor::Gzip => Codec::Zlib,
            Compressor::Lzma => Codec::Lzma,
            Compressor::Lzo => Codec::Lzo1x,
            Compressor::Xz => Codec::Xz,
            Compressor::Lz4 => Codec::Lz4Block,
            Compressor::Zstd => Codec::Zstd,
        }
    }

    /// The name mksquashfs gives it (`-comp NAME`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compressor::Gzip => "gzip",
            Compressor::Lzma => "lzma",
            Compressor::Lzo => "lzo",
            Compressor::Xz => "xz",
            Compressor::Lz4 => "lz4",
            Compressor::Zstd => "zstd",
        }
    }

    /// Checks the options block's contents, as Linux does: an xz dictionary size must
    /// be 2^n or 2^n + 2^(n+1), and LZ4 must be the legacy (raw block) format.
    pub(crate) fn check_options(self, opts: &[u8]) -> Result<(), FsError> {
        let bad =
            |what: &str| FsError::Corrupt(format!("squashfs {} options: {what}", self.name()));
        match self {
            Compressor::Xz => {
                let dict = le32(opts, 0).ok_or_else(|| bad("truncated"))?;
                let n = dict.trailing_zeros();
                let single = 1u32.checked_shl(n);
                let triple =
                    single.and_then(|s| s.checked_add(1u32.checked_shl(n.saturating_add(1))?));
                if dict == 0 || (Some(dict) != single && Some(dict) != triple) {
                    return Err(bad(&format!(
                        "dictionary size {dict} is not 2^n or 3 * 2^n"
                    )));
                }
            }
            Compressor::Lz4 => {
                let version = le32(opts, 0).ok_or_else(|| bad("truncated"))?;
                if version != LZ4_LEGACY {
                    return Err(FsError::Unsupported(format!(
                        "squashfs lz4 format version {version} (Linux reads only 1, raw blocks)"
                    )));
                }
            }
            Compressor::Gzip | Compressor::Lzma | Compressor::Lzo | Compressor::Zstd => {}
        }
        Ok(())
    }
}

//! Decompression of hostile guest data: one function, [`decompress`], for every codec
//! a guest's filesystems and kernels use.
//!
//! Callers (squashfs and btrfs blocks, compressed kernels) never see the decoders
//! behind it, so a decoder can be replaced without touching them. Every call:
//!
//! - produces at most `max_out` bytes; a stream that would produce more is
//!   [`DecompressErrorKind::TooLarge`], found while decoding, never after allocating
//!   what the stream claims;
//! - bounds the decoder's own memory: the zstd window is at most
//!   [`ZSTD_MAX_WINDOW`], the xz and lzma dictionary at most [`LZMA_MAX_DICT`];
//! - never panics, and tells a damaged stream ([`DecompressErrorKind::Corrupt`])
//!   from a valid one using something this crate does not decode
//!   ([`DecompressErrorKind::Unsupported`]).
//!
//! Codecs with an end marker (every one but [`Codec::Lz4Block`]) stop there and ignore
//! the bytes after it, as the kernel's and the boot loaders' decoders do: btrfs pads
//! compressed extents to a sector, and Linux appends the decompressed size after some
//! compressed kernels.
//!
//! The decoders, and why these:
//!
//! - deflate, zlib: miniz_oxide (`forbid(unsafe_code)`, everywhere already); the gzip
//!   framing and its CRC-32 are ours, so every header field is checked here.
//! - zstd: ruzstd, pure Rust, with its window limit set.
//! - LZ4 blocks: lz4_flex's safe decoder (block format only, which is all that works
//!   without std, and all squashfs stores; Linux's legacy frame is a length and a block).
//! - xz: xz4rust, a port of xz-embedded, the decoder Linux itself uses for xz kernels
//!   and squashfs, so it accepts what the kernel accepts (BCJ filters included) and
//!   needs no further crates. lzma-rust2 decodes xz too, but only with a SHA-2 crate
//!   stack behind it.
//! - .lzma: lzma-rust2 without features (no dependencies, `forbid(unsafe_code)`);
//!   xz-embedded has no LZMA1.
//! - LZO1X: our own decoder (`lzo1x.rs`): about 150 lines, where the permissive crates
//!   are either brand new from a single vendor (`lzo`) or carry unsafe code
//!   (`lzokay`), and the others are GPL.
//! - bzip2: our own decoder (`bzip2/`): the `bzip2` crate wraps the C library (unsafe
//!   code and a C build), the pure-Rust decoders are young single-vendor crates, and
//!   the format is small. It checks what libbzip2 checks and more: the block size from
//!   the stream header (at most 900 000 bytes before the last run-length step), every
//!   Huffman table (lengths 1 to 20, never over-subscribed), every selector, the
//!   original pointer, the block and stream CRCs. Its state is the block (4 bytes per
//!   byte of block size, 3.6 MB at level 9) and the output. Measured by
//!   `cargo bench -p xlboot-compress --bench bzip2` on 16 MiB of a Debian vmlinux at
//!   `bzip2 -9`, on this project's shared 2-core build machine at a load average near
//!   17 (so the absolute numbers are low): 5.5 MB/s of output against 5.8 MB/s for
//!   `bzip2 -d` on the same stream in one run, 4.2 against 3.4 MB/s in another. The
//!   same speed as libbzip2, within the noise of a loaded machine.
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

mod bzip2;
mod crc32;
mod deflate;
mod error;
mod gzip;
mod lz4;
mod lzma;
mod lzo1x;
mod output;
mod xz;
mod zstd;

use alloc::vec::Vec;

pub use error::{DecompressError, DecompressErrorKind};
pub use lzma::LZMA_MAX_DICT;
pub use zstd::ZSTD_MAX_WINDOW;

/// A compressed data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// zlib (RFC 1950): a deflate stream with a 2-byte header and an Adler-32
    /// trailer, which is checked. squashfs "gzip" and btrfs "zlib" store this.
    Zlib,
    /// Raw deflate (RFC 1951), no header or checksum.
    Deflate,
    /// gzip (RFC 1952): header, deflate, CRC-32 and size trailer, all checked.
    /// Concatenated members decode as one stream, as with `gzip -d`.
    Gzip,
    /// Zstandard frames (RFC 8878), skippable frames skipped, content checksums
    /// checked. Dictionaries are unsupported.
    Zstd,
    /// A raw LZO1X block, as squashfs and btrfs store it and as the lzop container
    /// wraps it (the container itself is not parsed here).
    Lzo1x,
    /// A raw LZ4 block (no frame): the whole input is one block.
    Lz4Block,
    /// The .xz container with LZMA2 and the BCJ filters (x86 and the others
    /// xz-embedded knows), as Linux compresses kernels and squashfs stores xz blocks.
    /// CRC-32 and CRC-64 checks are verified; SHA-256 is unsupported.
    Xz,
    /// The legacy .lzma ("LZMA alone") format: 13-byte header and an LZMA stream.
    Lzma,
    /// bzip2: every stream as `bzip2 -d` decodes them, block and stream CRCs
    /// checked. Randomised blocks (bzip2 0.9.0 and older) are unsupported, as in
    /// Linux.
    Bzip2,
}

impl Codec {
    /// Every codec, for tests and fuzzing.
    pub const ALL: [Codec; 9] = [
        Codec::Zlib,
        Codec::Deflate,
        Codec::Gzip,
        Codec::Zstd,
        Codec::Lzo1x,
        Codec::Lz4Block,
        Codec::Xz,
        Codec::Lzma,
        Codec::Bzip2,
    ];

    /// The codec's name, as error messages print it.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Deflate => "deflate",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Lzo1x => "lzo1x",
            Codec::Lz4Block => "lz4 block",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Bzip2 => "bzip2",
        }
    }
}

/// Decompresses the whole of `input`; producing more than `max_out` bytes is
/// [`DecompressErrorKind::TooLarge`].
///
/// Exactly `max_out` bytes is fine. No decoder is handed more than `max_out` bytes
/// of output space, so a hostile stream cannot make this allocate more than
/// `max_out` plus the decoder's bounded state (see the crate documentation).
pub fn decompress(codec: Codec, input: &[u8], max_out: usize) -> Result<Vec<u8>, DecompressError> {
    let result = match codec {
        Codec::Zlib => deflate::zlib(input, max_out),
        Codec::Deflate => deflate::raw(input, max_out).map(|(out, _)| out),
        Codec::Gzip => gzip::decompress(input, max_out),
        Codec::Zstd => zstd::decompress(input, max_out),
        Codec::Lzo1x => lzo1x::decompress(input, max_out),
        Codec::Lz4Block => lz4::decompress(input, max_out),
        Codec::Xz => xz::decompress(input, max_out),
        Codec::Lzma => lzma::decompress(input, max_out),
        Codec::Bzip2 => bzip2::decompress(input, max_out),
    };
    result.map_err(|(kind, detail)| DecompressError {
        codec,
        kind,
        detail,
    })
}

/// What a codec module returns: the output, or the kind and a short reason.
type Outcome<T> = Result<T, (DecompressErrorKind, &'static str)>;

/// A corrupt stream, with the reason.
const fn corrupt<T>(detail: &'static str) -> Outcome<T> {
    Err((DecompressErrorKind::Corrupt, detail))
}

/// Output over the caller's cap.
const fn too_large<T>() -> Outcome<T> {
    Err((
        DecompressErrorKind::TooLarge,
        "output larger than the caller's limit",
    ))
}

/// A valid stream using something this crate does not decode.
const fn unsupported<T>(detail: &'static str) -> Outcome<T> {
    Err((DecompressErrorKind::Unsupported, detail))
}

//! The lzop container around LZO1X blocks, as Linux's `CONFIG_KERNEL_LZO` writes it
//! (`lzop -9`) and its `lib/decompress_unlzo.c` reads it. Layout from lzop's own
//! format: magic, a header (version, library version, version needed from 0x0940,
//! method, level from 0x0940, flags, filter if `F_H_FILTER`, mode, mtime, mtime high
//! from 0x0940, name, header checksum, extra field if `F_H_EXTRA_FIELD`), then blocks:
//! decompressed length (0 ends the stream), compressed length, the checksums the
//! flags ask for, and the data, LZO1X-compressed unless both lengths are equal (then
//! stored). All integers are big endian.
//!
//! A block may decompress to at most 256 KiB, the limit the kernel's reader enforces
//! (lzop writes 256 KiB blocks). The Adler-32 of the decompressed data
//! (`F_ADLER32_D`, which lzop sets by default) is checked; CRC-32 ones are skipped.

use alloc::vec::Vec;

use xlboot_compress::{decompress as inflate, Codec, DecompressErrorKind};

use crate::bytes::{slice, u16_at, u32_at, u8_at, Endian::Big};
use crate::error::KernelError;
use crate::payload::{framing_error, Compressor};

/// The container's magic.
pub const MAGIC: &[u8] = b"\x89LZO\x00\r\n\x1a\n";
/// Largest decompressed block, as in the kernel's reader.
const BLOCK_MAX: u32 = 256 << 10;
const F_ADLER32_D: u32 = 0x0001;
const F_ADLER32_C: u32 = 0x0002;
const F_H_EXTRA_FIELD: u32 = 0x0040;
const F_CRC32_D: u32 = 0x0100;
const F_CRC32_C: u32 = 0x0200;
const F_H_FILTER: u32 = 0x0800;

fn err(kind: DecompressErrorKind, detail: &'static str) -> KernelError {
    framing_error(Compressor::Lzop, Codec::Lzo1x, kind, detail)
}

fn cut() -> KernelError {
    err(DecompressErrorKind::Corrupt, "lzop data ends early")
}

/// A cursor over big-endian fields.
struct Reader<'a> {
    data: &'a [u8],
    pos: u64,
}

impl Reader<'_> {
    fn skip(&mut self, n: u64) -> Result<(), KernelError> {
        slice(self.data, self.pos, n).ok_or_else(cut)?;
        self.pos = self.pos.saturating_add(n);
        Ok(())
    }
    fn u8(&mut self) -> Result<u8, KernelError> {
        let v = u8_at(self.data, self.pos).ok_or_else(cut)?;
        self.pos = self.pos.saturating_add(1);
        Ok(v)
    }
    fn u16(&mut self) -> Result<u16, KernelError> {
        let v = u16_at(self.data, self.pos, Big).ok_or_else(cut)?;
        self.pos = self.pos.saturating_add(2);
        Ok(v)
    }
    fn u32(&mut self) -> Result<u32, KernelError> {
        let v = u32_at(self.data, self.pos, Big).ok_or_else(cut)?;
        self.pos = self.pos.saturating_add(4);
        Ok(v)
    }
    fn bytes(&mut self, n: u32) -> Result<&[u8], KernelError> {
        let s = slice(self.data, self.pos, u64::from(n)).ok_or_else(cut)?;
        self.pos = self.pos.saturating_add(u64::from(n));
        Ok(s)
    }
}

/// Adler-32 (RFC 1950) of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a = a.wrapping_add(u32::from(byte));
            b = b.wrapping_add(a);
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Decodes a whole lzop stream into at most `max_out` bytes.
pub fn decompress(data: &[u8], max_out: usize) -> Result<Vec<u8>, KernelError> {
    let mut r = Reader { data, pos: 0 };
    r.skip(MAGIC.len() as u64)?;
    let version = r.u16()?;
    r.skip(2)?; // library version
    if version >= 0x0940 {
        r.skip(2)?; // version needed to extract
    }
    let method = r.u8()?;
    if !(1..=3).contains(&method) {
        return Err(err(
            DecompressErrorKind::Unsupported,
            "lzop method other than LZO1X",
        ));
    }
    if version >= 0x0940 {
        r.skip(1)?; // level
    }
    let flags = r.u32()?;
    if flags & F_H_FILTER != 0 {
        r.skip(4)?;
    }
    r.skip(8)?; // mode, mtime
    if version >= 0x0940 {
        r.skip(4)?; // mtime high
    }
    let name_len = r.u8()?;
    r.skip(u64::from(name_len))?;
    r.skip(4)?; // header checksum
    if flags & F_H_EXTRA_FIELD != 0 {
        let len = r.u32()?;
        r.bytes(len)?;
        r.skip(4)?;
    }
    let mut out: Vec<u8> = Vec::new();
    // Each block consumes at least 8 bytes of input, so this ends.
    loop {
        let dst_len = r.u32()?;
        if dst_len == 0 {
            break;
        }
        if dst_len > BLOCK_MAX {
            return Err(err(
                DecompressErrorKind::Corrupt,
                "lzop block larger than 256 KiB",
            ));
        }
        let src_len = r.u32()?;
        if src_len > dst_len {
            return Err(err(
                DecompressErrorKind::Corrupt,
                "lzop block compressed length over its decompressed length",
            ));
        }
        let want_adler = if flags & F_ADLER32_D != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        if flags & F_CRC32_D != 0 {
            r.skip(4)?;
        }
        if src_len < dst_len {
            if flags & F_ADLER32_C != 0 {
                r.skip(4)?;
            }
            if flags & F_CRC32_C != 0 {
                r.skip(4)?;
            }
        }
        let block = r.bytes(src_len)?;
        let dst = usize::try_from(dst_len).unwrap_or(usize::MAX);
        if out.len().saturating_add(dst) > max_out {
            return Err(err(
                DecompressErrorKind::TooLarge,
                "output larger than the caller's limit",
            ));
        }
        let start = out.len();
        if src_len == dst_len {
            out.extend_from_slice(block);
        } else {
            let part =
                inflate(Codec::Lzo1x, block, dst).map_err(|error| KernelError::Decompress {
                    compressor: Compressor::Lzop,
                    error,
                })?;
            if part.len() != dst {
                return Err(err(
                    DecompressErrorKind::Corrupt,
                    "lzop block decompressed to another length than its header says",
                ));
            }
            out.extend_from_slice(&part);
        }
        if let Some(want) = want_adler {
            if adler32(out.get(start..).unwrap_or_default()) != want {
                return Err(err(
                    DecompressErrorKind::Corrupt,
                    "lzop block Adler-32 mismatch",
                ));
            }
        }
    }
    Ok(out)
}

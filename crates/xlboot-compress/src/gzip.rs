//! gzip (RFC 1952): our own header and trailer parser around the deflate body.
//!
//! Members are decoded while another member header follows, as `gzip -d` does;
//! anything else after the last member is ignored (Linux appends the kernel's size).

use crate::output::Output;
use crate::{corrupt, crc32, deflate, unsupported, Outcome};
use alloc::vec::Vec;

/// gzip's magic bytes.
const MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Compression method 8, deflate: the only one defined.
const CM_DEFLATE: u8 = 8;
/// Header flag: a CRC-16 of the header follows it.
const FHCRC: u8 = 0x02;
/// Header flag: an extra field (2-byte length, then data).
const FEXTRA: u8 = 0x04;
/// Header flag: a zero-terminated original file name.
const FNAME: u8 = 0x08;
/// Header flag: a zero-terminated comment.
const FCOMMENT: u8 = 0x10;
/// Flag bits RFC 1952 reserves; a decoder must refuse them.
const FRESERVED: u8 = 0xe0;
/// The fixed part of the header: magic, CM, FLG, MTIME, XFL, OS.
const FIXED_HEADER: usize = 10;

/// Decodes every member of a gzip file.
pub fn decompress(input: &[u8], max_out: usize) -> Outcome<Vec<u8>> {
    let mut out = Output::new(max_out);
    let mut pos = 0usize;
    // Each member consumes at least its header, so this ends.
    loop {
        let member = input.get(pos..).unwrap_or(&[]);
        let used = member_into(member, &mut out)?;
        pos = pos.saturating_add(used);
        if input.get(pos..pos.saturating_add(2)) != Some(&MAGIC[..]) {
            return Ok(out.into_vec());
        }
    }
}

/// Decodes one member at the start of `input` into `out`; returns its length.
fn member_into(input: &[u8], out: &mut Output) -> Outcome<usize> {
    let body = header_len(input)?;
    let deflated = input.get(body..).unwrap_or(&[]);
    let (data, used) = deflate::raw(deflated, out.room())?;
    let trailer_at = body.saturating_add(used);
    let Some(trailer) = input.get(trailer_at..trailer_at.saturating_add(8)) else {
        return corrupt("truncated before the CRC-32 and size trailer");
    };
    let (crc, size) = trailer.split_at(4);
    if le32(crc) != crc32::update(0, &data) {
        return corrupt("CRC-32 mismatch");
    }
    // ISIZE is the length modulo 2^32.
    let isize = u64::try_from(data.len()).unwrap_or(u64::MAX) & 0xffff_ffff;
    if u64::from(le32(size)) != isize {
        return corrupt("length in the trailer does not match the data");
    }
    out.push(&data)?;
    Ok(trailer_at.saturating_add(8))
}

/// Checks a member header and returns where its deflate data starts.
fn header_len(input: &[u8]) -> Outcome<usize> {
    let Some(fixed) = input.get(..FIXED_HEADER) else {
        return corrupt("truncated header");
    };
    if fixed.get(..2) != Some(&MAGIC[..]) {
        return corrupt("bad magic");
    }
    if fixed.get(2) != Some(&CM_DEFLATE) {
        return unsupported("compression method other than deflate");
    }
    let flags = fixed.get(3).copied().unwrap_or(0);
    if flags & FRESERVED != 0 {
        return unsupported("reserved header flags set");
    }
    let mut pos = FIXED_HEADER;
    if flags & FEXTRA != 0 {
        let Some(xlen) = input.get(pos..pos.saturating_add(2)) else {
            return corrupt("truncated extra field");
        };
        let xlen = usize::from(u16::from_le_bytes([
            xlen.first().copied().unwrap_or(0),
            xlen.get(1).copied().unwrap_or(0),
        ]));
        pos = pos.saturating_add(2).saturating_add(xlen);
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = input.get(pos..).unwrap_or(&[]);
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return corrupt("unterminated name or comment");
            };
            pos = pos.saturating_add(nul).saturating_add(1);
        }
    }
    if flags & FHCRC != 0 {
        let (Some(head), Some(crc16)) = (input.get(..pos), input.get(pos..pos.saturating_add(2)))
        else {
            return corrupt("truncated header CRC");
        };
        let want = u32::from(u16::from_le_bytes([
            crc16.first().copied().unwrap_or(0),
            crc16.get(1).copied().unwrap_or(0),
        ]));
        if crc32::update(0, head) & 0xffff != want {
            return corrupt("header CRC mismatch");
        }
        pos = pos.saturating_add(2);
    }
    if pos > input.len() {
        return corrupt("truncated header");
    }
    Ok(pos)
}

/// A little-endian u32 from 4 bytes (fewer read as zero).
fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u32::from_le_bytes(a)
}

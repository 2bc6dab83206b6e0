//! The System Use Sharing Protocol (IEEE P1281): a record's system use area is a
//! sequence of entries (two signature bytes, a length, a version, data); a `CE` entry
//! continues the sequence in a continuation area elsewhere on the volume, and `ST`
//! ends it.
//!
//! Every length here is the guest's: an entry shorter than its header or running
//! past its area ends the area, continuation areas are capped in size
//! ([`MAX_CE_LEN`]) and number ([`MAX_CE_HOPS`]), so a chain of `CE` entries pointing
//! at each other cannot make a reader loop.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use crate::bytes::{le32, slice, u8_at};
use crate::FsError;

/// Largest continuation area read (ECMA-119 sectors; real ones are a few hundred bytes).
pub(crate) const MAX_CE_LEN: u32 = 2048;
/// Most continuation areas followed for one record.
pub(crate) const MAX_CE_HOPS: u32 = 16;

/// One entry: its signature and its whole bytes (header included).
pub(crate) struct Entry<'a> {
    pub sig: [u8; 2],
    pub bytes: &'a [u8],
}

impl Entry<'_> {
    /// The data after the 4-byte header.
    pub(crate) fn data(&self) -> &[u8] {
        self.bytes.get(4..).unwrap_or(&[])
    }
}

/// Calls `f` with each entry of `area`, then of its continuation areas; `at` is the
/// record's byte offset, for messages.
pub(crate) fn for_each<D: BlockDevice>(
    dev: &D,
    area: &[u8],
    at: u64,
    f: &mut dyn FnMut(&Entry<'_>) -> Result<ControlFlow<()>, FsError>,
) -> Result<(), FsError> {
    let mut owned: Vec<u8>;
    let mut cur: &[u8] = area;
    let mut hops = 0u32;
    loop {
        let mut next: Option<(u32, u32, u32)> = None;
        let mut pos = 0usize;
        while let (Some(s), Some(len)) = (slice(cur, pos, 2), u8_at(cur, pos.saturating_add(2))) {
            let len = usize::from(len);
            let Some(bytes) = slice(cur, pos, len).filter(|_| len >= 4) else {
                break;
            };
            let sig = [
                s.first().copied().unwrap_or(0),
                s.get(1).copied().unwrap_or(0),
            ];
            if &sig == b"ST" {
                break;
            }
            if &sig == b"CE" {
                let bad = || {
                    FsError::Corrupt(format!(
                        "ISO9660: record at byte {at}: short CE (continuation) entry"
                    ))
                };
                next = Some((
                    le32(bytes, 4).ok_or_else(bad)?,
                    le32(bytes, 12).ok_or_else(bad)?,
                    le32(bytes, 20).ok_or_else(bad)?,
                ));
            } else if f(&Entry { sig, bytes })?.is_break() {
                return Ok(());
            }
            pos = pos.saturating_add(len);
        }
        let Some((block, offset, len)) = next else {
            return Ok(());
        };
        hops = hops.saturating_add(1);
        if hops > MAX_CE_HOPS {
            return Err(FsError::Corrupt(format!(
                "ISO9660: record at byte {at}: more than {MAX_CE_HOPS} continuation areas (a loop?)"
            )));
        }
        if len > MAX_CE_LEN || offset >= 2048 {
            return Err(FsError::Corrupt(format!(
                "ISO9660: record at byte {at}: continuation area of {len} bytes at offset \
                 {offset} of sector {block}"
            )));
        }
        let from = u64::from(block)
            .saturating_mul(2048)
            .saturating_add(u64::from(offset));
        owned = vec![0u8; usize::try_from(len).unwrap_or(0)];
        dev.read_exact_at(from, &mut owned).map_err(|e| {
            FsError::Corrupt(format!(
                "ISO9660: record at byte {at}: continuation area at sector {block}: {e}"
            ))
        })?;
        cur = &owned;
    }
}

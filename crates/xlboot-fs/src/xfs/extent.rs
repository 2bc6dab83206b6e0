//! Extent records (`xfs_bmbt_rec`): 128 bits packing an unwritten flag, the file
//! offset (54 bits), the filesystem block (52 bits) and the length (21 bits), all in
//! filesystem blocks. Lists of them fill an `extents`-format data fork and the leaves
//! of a bmbt.

use crate::bytes::be64;

/// Bytes per record.
pub(crate) const REC_LEN: usize = 16;

/// A run of file blocks mapped one way: to consecutive filesystem blocks, or to
/// nothing (a hole or an unwritten extent, both read as zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// Number of blocks, at least 1.
    pub len: u64,
    /// First filesystem block (AG-encoded), or `None` for zeros.
    pub fsb: Option<u64>,
}

/// One decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extent {
    pub off: u64,
    pub fsb: u64,
    pub len: u64,
    pub unwritten: bool,
}

impl Extent {
    /// Decodes the 16-byte record at `at` in `b`.
    pub(crate) fn decode(b: &[u8], at: usize) -> Option<Extent> {
        let l0 = be64(b, at)?;
        let l1 = be64(b, at.checked_add(8)?)?;
        Some(Extent {
            unwritten: l0 >> 63 != 0,
            off: (l0 >> 9) & ((1u64 << 54) - 1),
            fsb: ((l0 & 0x1FF) << 43) | (l1 >> 21),
            len: l1 & 0x1F_FFFF,
        })
    }
}

/// Maps file block `lblk` through the `n` records starting at byte `at` of `b`.
///
/// The answer covers at most `max` blocks (`max >= 1`) and stops before `upper`, the
/// first file block this list is not responsible for (the next key of a bmbt parent,
/// or `u64::MAX`). `None` when a record does not fit in `b`.
pub(crate) fn map(b: &[u8], at: usize, n: usize, lblk: u64, max: u64, upper: u64) -> Option<Run> {
    let mut next = upper;
    for i in 0..n {
        let e = Extent::decode(b, at.checked_add(i.checked_mul(REC_LEN)?)?)?;
        let end = e.off.saturating_add(e.len);
        if e.len > 0 && e.off <= lblk && lblk < end {
            let len = end.saturating_sub(lblk).min(max);
            let fsb = (!e.unwritten).then(|| e.fsb.saturating_add(lblk.saturating_sub(e.off)));
            return Some(Run { len, fsb });
        }
        if e.off > lblk {
            next = next.min(e.off);
        }
    }
    Some(Run {
        len: next.saturating_sub(lblk).clamp(1, max.max(1)),
        fsb: None,
    })
}

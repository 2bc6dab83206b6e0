//! FAT32's FSInfo sector: free-cluster hints kept by writers.
//!
//! A reader needs nothing from it, and Linux only warns when it is damaged, so a bad
//! FSInfo is never fatal here. It is parsed (its three signatures checked) so that
//! `inspect` can report it, and so that a FAT32 boot sector whose FSInfo pointer
//! leads nowhere valid is noticed.

use crate::bytes::le32;

const LEAD_SIG: u32 = 0x4161_5252;
const STRUC_SIG: u32 = 0x6141_7272;
const TRAIL_SIG: u32 = 0xAA55_0000;
/// "Unknown" in both hint fields.
const UNKNOWN: u32 = 0xFFFF_FFFF;

/// The hints of a valid FSInfo sector (`None` where the writer left them unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsInfoSector {
    /// Last known count of free clusters.
    pub free_clusters: Option<u32>,
    /// Where a writer should start looking for a free cluster.
    pub next_free: Option<u32>,
}

impl FsInfoSector {
    /// Parses one sector; `None` when any of its signatures is wrong.
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        if le32(b, 0)? != LEAD_SIG || le32(b, 484)? != STRUC_SIG || le32(b, 508)? != TRAIL_SIG {
            return None;
        }
        let hint = |v: u32| (v != UNKNOWN).then_some(v);
        Some(FsInfoSector {
            free_clusters: hint(le32(b, 488)?),
            next_free: hint(le32(b, 492)?),
        })
    }
}

//! One L2 table entry: 64 bits (standard), or 128 bits with extended L2 entries (the
//! standard word and a bitmap of 32 subclusters: "allocated" in bits 0-31, "reads as
//! zero" in bits 32-63).
//!
//! Standard word: bit 63 "copied" (refcount 1, ignored here), bit 62 compressed.
//! Uncompressed: bits 9-55 the host offset of the cluster (0: unallocated), bit 0
//! "reads as zero" (v3, standard entries only). Compressed: the low
//! `62 - (cluster_bits - 8)` bits are the host offset of the data, the bits above it
//! up to bit 61 the number of 512-byte sectors it occupies after the first.

use alloc::format;
use alloc::string::String;

use super::header::Header;

/// Bits 9-55: a cluster-aligned host offset (L1 and standard L2 entries).
pub const OFFSET_MASK: u64 = 0x00FF_FFFF_FFFF_FE00;
const COMPRESSED: u64 = 1 << 62;
const ZERO: u64 = 1;

/// What a part of a cluster reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cluster {
    /// From this host offset (already moved to the subcluster's byte).
    Data(u64),
    /// Zeros.
    Zero,
    /// From the backing image.
    Unallocated,
    /// Decompressed from `len` bytes at `host`.
    Compressed {
        /// Host offset of the compressed data.
        host: u64,
        /// Upper bound of its length (whole sectors).
        len: u64,
    },
}

/// A parsed L2 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Entry {
    kind: Kind,
    /// Extended L2 bitmap (allocated in the low half, zero in the high half).
    bitmap: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unallocated,
    Zero,
    Data(u64),
    Compressed { host: u64, len: u64 },
}

impl L2Entry {
    /// The entry of a cluster whose L2 table is not allocated.
    pub fn unallocated() -> L2Entry {
        L2Entry {
            kind: Kind::Unallocated,
            bitmap: None,
        }
    }

    /// Parses the 8 or 16 bytes read at file offset `at`.
    pub fn parse(raw: &[u8], header: &Header, at: u64) -> Result<L2Entry, String> {
        let word = raw.first_chunk::<8>().map_or(0, |a| u64::from_be_bytes(*a));
        let bitmap = if header.extended_l2 {
            Some(
                raw.get(8..)
                    .and_then(|s| s.first_chunk::<8>())
                    .map_or(0, |a| u64::from_be_bytes(*a)),
            )
        } else {
            None
        };
        let cluster_size = 1u64 << header.cluster_bits;
        if word & COMPRESSED != 0 {
            let x = 62u32.saturating_sub(header.cluster_bits.saturating_sub(8));
            let host = word & ((1u64 << x).saturating_sub(1));
            let sectors = (word & !(COMPRESSED | (1 << 63))) >> x;
            let len = sectors
                .saturating_add(1)
                .saturating_mul(512)
                .saturating_sub(host & 511);
            if host == 0 {
                return Err(format!(
                    "compressed L2 entry at file offset {at} has no data offset"
                ));
            }
            return Ok(L2Entry {
                kind: Kind::Compressed { host, len },
                bitmap: None,
            });
        }
        let host = word & OFFSET_MASK;
        if host & cluster_size.saturating_sub(1) != 0 {
            return Err(format!(
                "L2 entry at file offset {at} points to an unaligned cluster"
            ));
        }
        if bitmap.is_some() {
            // Extended L2: the bitmap says, per subcluster; bit 0 is reserved.
            return Ok(L2Entry {
                kind: if host == 0 {
                    Kind::Unallocated
                } else {
                    Kind::Data(host)
                },
                bitmap,
            });
        }
        let kind = if word & ZERO != 0 && header.version >= 3 {
            Kind::Zero
        } else if host == 0 {
            Kind::Unallocated
        } else {
            Kind::Data(host)
        };
        Ok(L2Entry { kind, bitmap: None })
    }

    /// What byte `in_cluster` of the cluster reads as, and how many bytes from it on
    /// read the same way (to the end of its subcluster or cluster).
    pub fn at(&self, in_cluster: u64, cluster_size: u64) -> (Cluster, u64) {
        let to_end = cluster_size.saturating_sub(in_cluster);
        match (self.kind, self.bitmap) {
            (Kind::Compressed { host, len }, _) => (Cluster::Compressed { host, len }, to_end),
            (kind, Some(bitmap)) => {
                let sub_size = (cluster_size >> 5).max(1);
                let sub = in_cluster.checked_div(sub_size).unwrap_or(0);
                let to_sub_end =
                    sub_size.saturating_sub(in_cluster.checked_rem(sub_size).unwrap_or(0));
                let allocated = bitmap >> sub & 1 != 0;
                let zero = bitmap >> sub.saturating_add(32) & 1 != 0;
                let c = match kind {
                    Kind::Data(host) if allocated => Cluster::Data(host.saturating_add(in_cluster)),
                    _ if zero => Cluster::Zero,
                    _ => Cluster::Unallocated,
                };
                (c, to_sub_end)
            }
            (Kind::Data(host), None) => (Cluster::Data(host.saturating_add(in_cluster)), to_end),
            (Kind::Zero, None) => (Cluster::Zero, to_end),
            (Kind::Unallocated, None) => (Cluster::Unallocated, to_end),
        }
    }
}

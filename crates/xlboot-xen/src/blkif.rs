//! The block device ring (`xen/include/public/io/blkif.h` and `ring.h`), 64-bit
//! layout: the frontend puts read requests on a shared page, blkback in dom0 answers
//! on the same page.
//!
//! Page layout: `req_prod`, `req_event`, `rsp_prod`, `rsp_event` (u32 each), 48 bytes
//! of padding, then 32 slots of 112 bytes (the union of a request and a response).
//! A request: `operation: u8`, `nr_segments: u8`, `handle: u16`, 4 bytes padding,
//! `id: u64`, `sector_number: u64` (512-byte units, whatever the sector size), then 11
//! segments of `gref: u32`, `first_sect: u8`, `last_sect: u8`, 2 bytes padding. A
//! response: `id: u64`, `operation: u8`, padding, `status: i16` at 10.

use core::fmt;

use crate::memory::SharedMemory;
use crate::ring_index::{self, RingError};

/// Slots on the ring: (4096 - 64) / 112, rounded down to a power of two.
pub const RING_SIZE: u32 = 32;
/// Segments (pages) one request may carry.
pub const MAX_SEGMENTS: usize = 11;
/// The unit of `sector_number` and of a segment's sector range.
pub const SECTOR: u64 = 512;
/// 512-byte sectors in one page.
pub const SECTORS_PER_PAGE: u8 = 8;
/// `BLKIF_OP_READ`.
pub const OP_READ: u8 = 0;

const REQ_PROD: usize = 0;
const REQ_EVENT: usize = 4;
const RSP_PROD: usize = 8;
const RSP_EVENT: usize = 12;
const SLOTS: usize = 64;
const SLOT_SIZE: usize = 112;

/// A misbehaving ring or a request the protocol cannot carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlkError {
    /// The backend moved `rsp_prod` past what was asked.
    Ring(RingError),
    /// No slot is free (more requests outstanding than the ring holds).
    Full,
    /// A request with no segment, too many, or a sector range outside its page.
    BadRequest,
    /// A response names a request that is not outstanding.
    UnknownId(u64),
    /// The backend failed the request (`BLKIF_RSP_ERROR` -1, `EOPNOTSUPP` -2).
    Status {
        /// The request's id.
        id: u64,
        /// The status the backend sent.
        status: i16,
    },
}

impl fmt::Display for BlkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlkError::Ring(e) => write!(f, "block ring: {e}"),
            BlkError::Full => f.write_str("block ring full"),
            BlkError::BadRequest => f.write_str("block request malformed"),
            BlkError::UnknownId(id) => write!(f, "block backend answered unknown request {id}"),
            BlkError::Status { id, status } => {
                write!(f, "block backend failed request {id} with status {status}")
            }
        }
    }
}

/// One page of a request: grant reference and the 512-byte sectors of that page used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Grant of the data page to the backend.
    pub gref: u32,
    /// First sector of the page, 0..8.
    pub first_sect: u8,
    /// Last sector of the page, `first_sect..8`.
    pub last_sect: u8,
}

/// A response as the backend wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The id of the request answered.
    pub id: u64,
    /// Operation echoed back.
    pub operation: u8,
    /// 0 for success.
    pub status: i16,
}

/// The frontend's private view of the ring: its producer and consumer indices.
#[derive(Debug, Default)]
pub struct FrontRing {
    req_prod_pvt: u32,
    rsp_cons: u32,
}

fn slot_offset(index: u32) -> usize {
    SLOTS.wrapping_add(ring_index::slot(index, RING_SIZE).wrapping_mul(SLOT_SIZE))
}

impl FrontRing {
    /// Initialises the shared page (`SHARED_RING_INIT`) and an empty front ring.
    pub fn init(page: &impl SharedMemory) -> FrontRing {
        page.write_u32(REQ_PROD, 0);
        page.write_u32(RSP_PROD, 0);
        page.write_u32(REQ_EVENT, 1);
        page.write_u32(RSP_EVENT, 1);
        page.fence();
        FrontRing::default()
    }

    /// Requests put on the ring and not yet answered.
    pub fn outstanding(&self) -> u32 {
        self.req_prod_pvt.wrapping_sub(self.rsp_cons)
    }

    /// Puts a read of `segments` starting at 512-byte sector `sector` on the ring and
    /// publishes it; notify the backend afterwards.
    pub fn push_read(
        &mut self,
        page: &impl SharedMemory,
        handle: u16,
        id: u64,
        sector: u64,
        segments: &[Segment],
    ) -> Result<(), BlkError> {
        if segments.is_empty()
            || segments.len() > MAX_SEGMENTS
            || segments
                .iter()
                .any(|s| s.first_sect > s.last_sect || s.last_sect >= SECTORS_PER_PAGE)
        {
            return Err(BlkError::BadRequest);
        }
        if self.outstanding() >= RING_SIZE {
            return Err(BlkError::Full);
        }
        let at = slot_offset(self.req_prod_pvt);
        page.write_u8(at, OP_READ);
        page.write_u8(
            at.wrapping_add(1),
            u8::try_from(segments.len()).unwrap_or(0),
        );
        page.write_u16(at.wrapping_add(2), handle);
        page.write_u64(at.wrapping_add(8), id);
        page.write_u64(at.wrapping_add(16), sector);
        for (i, s) in segments.iter().enumerate() {
            let seg = at.wrapping_add(24).wrapping_add(i.wrapping_mul(8));
            page.write_u32(seg, s.gref);
            page.write_u8(seg.wrapping_add(4), s.first_sect);
            page.write_u8(seg.wrapping_add(5), s.last_sect);
        }
        self.req_prod_pvt = self.req_prod_pvt.wrapping_add(1);
        // The request must be complete before the index that publishes it.
        page.fence();
        page.write_u32(REQ_PROD, self.req_prod_pvt);
        page.fence();
        Ok(())
    }

    /// Takes the next response if the backend has published one.
    pub fn take_response(
        &mut self,
        page: &impl SharedMemory,
    ) -> Result<Option<Response>, BlkError> {
        let prod = page.read_u32(RSP_PROD);
        page.fence();
        let ready =
            ring_index::used(prod, self.rsp_cons, self.outstanding()).map_err(BlkError::Ring)?;
        if ready == 0 {
            // Ask for an event with the next response (for a backend that checks).
            page.write_u32(RSP_EVENT, self.rsp_cons.wrapping_add(1));
            page.fence();
            return Ok(None);
        }
        let at = slot_offset(self.rsp_cons);
        let response = Response {
            id: page.read_u64(at),
            operation: page.read_u8(at.wrapping_add(8)),
            status: i16::from_le_bytes(page.read_u16(at.wrapping_add(10)).to_le_bytes()),
        };
        self.rsp_cons = self.rsp_cons.wrapping_add(1);
        Ok(Some(response))
    }
}

/// The sector range of `page_offset..page_offset + len` within one page, for a segment
/// (both multiples of 512, inside the page, `len` > 0).
pub fn segment_sectors(page_offset: usize, len: usize) -> Option<(u8, u8)> {
    const SECTOR_BYTES: usize = 512;
    if len == 0 || page_offset % SECTOR_BYTES != 0 || len % SECTOR_BYTES != 0 {
        return None;
    }
    let first = page_offset.checked_div(SECTOR_BYTES)?;
    let last = first
        .checked_add(len.checked_div(SECTOR_BYTES)?)?
        .checked_sub(1)?;
    if last >= usize::from(SECTORS_PER_PAGE) {
        return None;
    }
    Some((u8::try_from(first).ok()?, u8::try_from(last).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::PlainPage;

    #[test]
    fn request_layout_and_response() {
        let page = PlainPage::default();
        let mut ring = FrontRing::init(&page);
        assert_eq!(page.read_u32(REQ_EVENT), 1);
        let segs = [
            Segment {
                gref: 9,
                first_sect: 0,
                last_sect: 7,
            },
            Segment {
                gref: 10,
                first_sect: 0,
                last_sect: 3,
            },
        ];
        ring.push_read(&page, 51712, 77, 2048, &segs).unwrap();
        assert_eq!(page.read_u32(REQ_PROD), 1);
        assert_eq!(page.read_u8(64), OP_READ);
        assert_eq!(page.read_u8(65), 2);
        assert_eq!(page.read_u16(66), 51712);
        assert_eq!(page.read_u64(72), 77);
        assert_eq!(page.read_u64(80), 2048);
        assert_eq!(page.read_u32(88 + 8), 10);
        assert_eq!(page.read_u8(88 + 13), 3);
        assert_eq!(ring.take_response(&page), Ok(None));
        // blkback answers in the same slot.
        page.write_u64(64, 77);
        page.write_u8(72, OP_READ);
        page.write_u16(74, 0);
        page.write_u32(RSP_PROD, 1);
        assert_eq!(
            ring.take_response(&page),
            Ok(Some(Response {
                id: 77,
                operation: 0,
                status: 0
            }))
        );
        assert_eq!(ring.outstanding(), 0);
    }

    #[test]
    fn hostile_backend_and_bad_requests() {
        let page = PlainPage::default();
        let mut ring = FrontRing::init(&page);
        page.write_u32(RSP_PROD, 1);
        assert!(matches!(ring.take_response(&page), Err(BlkError::Ring(_))));
        let bad = [Segment {
            gref: 9,
            first_sect: 4,
            last_sect: 8,
        }];
        assert_eq!(
            ring.push_read(&page, 0, 1, 0, &bad),
            Err(BlkError::BadRequest)
        );
        assert_eq!(
            ring.push_read(&page, 0, 1, 0, &[]),
            Err(BlkError::BadRequest)
        );
        let ok = [Segment {
            gref: 9,
            first_sect: 0,
            last_sect: 0,
        }];
        for i in 0..RING_SIZE {
            ring.push_read(&page, 0, u64::from(i), 0, &ok).unwrap();
        }
        assert_eq!(ring.push_read(&page, 0, 99, 0, &ok), Err(BlkError::Full));
    }

    #[test]
    fn segment_ranges() {
        assert_eq!(segment_sectors(0, 4096), Some((0, 7)));
        assert_eq!(segment_sectors(1024, 512), Some((2, 2)));
        assert_eq!(segment_sectors(3584, 1024), None);
        assert_eq!(segment_sectors(100, 512), None);
        assert_eq!(segment_sectors(0, 0), None);
    }
}

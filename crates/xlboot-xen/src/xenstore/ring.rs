//! The xenstore ring page (`struct xenstore_domain_interface`): a 1024-byte request
//! ring at 0, a 1024-byte response ring at 1024, then the indices `req_cons`,
//! `req_prod`, `rsp_cons`, `rsp_prod`.

use crate::memory::SharedMemory;
use crate::ring_index::{self, RingError};

const REQ: usize = 0;
const RSP: usize = 1024;
/// Bytes in each of the two rings.
pub const SIZE: u32 = 1024;
const REQ_CONS: usize = 2048;
const REQ_PROD: usize = 2052;
const RSP_CONS: usize = 2056;
const RSP_PROD: usize = 2060;

/// Puts as much of `bytes` on the request ring as fits; returns how many were taken.
pub fn send(page: &impl SharedMemory, bytes: &[u8]) -> Result<usize, RingError> {
    let cons = page.read_u32(REQ_CONS);
    let prod = page.read_u32(REQ_PROD);
    page.fence();
    let room = ring_index::free(prod, cons, SIZE)?;
    let mut index = prod;
    let mut taken = 0usize;
    for b in bytes.iter().take(usize::try_from(room).unwrap_or(0)) {
        page.write_u8(REQ.wrapping_add(ring_index::slot(index, SIZE)), *b);
        index = index.wrapping_add(1);
        taken = taken.wrapping_add(1);
    }
    page.fence();
    page.write_u32(REQ_PROD, index);
    Ok(taken)
}

/// Takes up to `out.len()` bytes off the response ring; returns how many.
pub fn receive(page: &impl SharedMemory, out: &mut [u8]) -> Result<usize, RingError> {
    let cons = page.read_u32(RSP_CONS);
    let prod = page.read_u32(RSP_PROD);
    page.fence();
    let have = ring_index::used(prod, cons, SIZE)?;
    let mut index = cons;
    let mut taken = 0usize;
    for b in out.iter_mut().take(usize::try_from(have).unwrap_or(0)) {
        *b = page.read_u8(RSP.wrapping_add(ring_index::slot(index, SIZE)));
        index = index.wrapping_add(1);
        taken = taken.wrapping_add(1);
    }
    // The bytes are copied out before the space is handed back.
    page.fence();
    page.write_u32(RSP_CONS, index);
    Ok(taken)
}

/// What is still on the rings: request bytes xenstored has not taken and response
/// bytes this domain has not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// `req_prod - req_cons`.
    pub requests: u32,
    /// `rsp_prod - rsp_cons`.
    pub responses: u32,
}

/// Both rings' fill, checked. Linux's xenbus (`xb_init_comms`) expects both empty
/// when it starts: it complains about a request ring that is not, and throws away
/// what is on a response ring that is not.
pub fn pending(page: &impl SharedMemory) -> Result<Pending, RingError> {
    let req_cons = page.read_u32(REQ_CONS);
    let req_prod = page.read_u32(REQ_PROD);
    let rsp_cons = page.read_u32(RSP_CONS);
    let rsp_prod = page.read_u32(RSP_PROD);
    page.fence();
    Ok(Pending {
        requests: ring_index::used(req_prod, req_cons, SIZE)?,
        responses: ring_index::used(rsp_prod, rsp_cons, SIZE)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::PlainPage;

    #[test]
    fn request_and_response_wrap() {
        let page = PlainPage::default();
        page.write_u32(REQ_CONS, 1020);
        page.write_u32(REQ_PROD, 1020);
        assert_eq!(send(&page, b"abcdefgh"), Ok(8));
        assert_eq!(page.read_u8(1023), b'd');
        assert_eq!(page.read_u8(0), b'e');
        // The daemon answers six bytes across the end of the response ring.
        for (i, b) in b"xyzuvw".iter().enumerate() {
            page.write_u8(RSP + (1022 + i) % 1024, *b);
        }
        page.write_u32(RSP_CONS, 1022);
        page.write_u32(RSP_PROD, 1028);
        let mut out = [0u8; 4];
        assert_eq!(receive(&page, &mut out), Ok(4));
        assert_eq!(&out, b"xyzu");
        assert_eq!(receive(&page, &mut out), Ok(2));
        assert_eq!(&out[..2], b"vw");
        assert_eq!(receive(&page, &mut out), Ok(0));
        assert_eq!(
            pending(&page),
            Ok(Pending {
                requests: 8,
                responses: 0
            })
        );
        page.write_u32(REQ_CONS, 1028);
        assert_eq!(
            pending(&page),
            Ok(Pending {
                requests: 0,
                responses: 0
            })
        );
    }

    #[test]
    fn producer_past_the_ring_is_refused() {
        let page = PlainPage::default();
        page.write_u32(RSP_PROD, 2000);
        assert!(receive(&page, &mut [0; 8]).is_err());
        assert!(pending(&page).is_err());
    }
}

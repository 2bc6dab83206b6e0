//! The PV console ring (`xen/include/public/io/console.h`): the page xenconsoled reads
//! the guest's output from (hvc0 in the guest, `xl console` in dom0).
//!
//! Layout: `in[1024]`, `out[2048]`, then the 32-bit indices `in_cons`, `in_prod`,
//! `out_cons`, `out_prod`. Only output is used: the loader reads nothing from it yet.

use crate::memory::SharedMemory;
use crate::ring_index::{self, RingError};

const OUT: usize = 1024;
const OUT_SIZE: u32 = 2048;
const OUT_CONS: usize = 3080;
const OUT_PROD: usize = 3084;

/// Copies as much of `bytes` into the output ring as fits and publishes it; returns how
/// many bytes were taken (0 when the ring is full: notify the console daemon and try
/// again).
pub fn write(page: &impl SharedMemory, bytes: &[u8]) -> Result<usize, RingError> {
    let cons = page.read_u32(OUT_CONS);
    let prod = page.read_u32(OUT_PROD);
    page.fence();
    let room = ring_index::free(prod, cons, OUT_SIZE)?;
    let mut index = prod;
    let mut taken = 0usize;
    for b in bytes.iter().take(usize::try_from(room).unwrap_or(0)) {
        page.write_u8(OUT.wrapping_add(ring_index::slot(index, OUT_SIZE)), *b);
        index = index.wrapping_add(1);
        taken = taken.wrapping_add(1);
    }
    // The bytes must be visible before the index that hands them over.
    page.fence();
    page.write_u32(OUT_PROD, index);
    Ok(taken)
}

/// Output bytes xenconsoled has not taken yet (`out_prod - out_cons`). Zero before
/// the hand-over: the next kernel's hvc driver then starts on a ring with nothing
/// of the loader's still in flight.
pub fn unsent(page: &impl SharedMemory) -> Result<u32, RingError> {
    let cons = page.read_u32(OUT_CONS);
    let prod = page.read_u32(OUT_PROD);
    page.fence();
    ring_index::used(prod, cons, OUT_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::PlainPage;

    #[test]
    fn writes_wrap_and_stop_when_full() {
        let page = PlainPage::default();
        page.write_u32(OUT_CONS, 2040);
        page.write_u32(OUT_PROD, 2040);
        assert_eq!(write(&page, b"0123456789"), Ok(10));
        assert_eq!(page.read_u8(OUT + 2047), b'7');
        assert_eq!(page.read_u8(OUT), b'8');
        assert_eq!(page.read_u32(OUT_PROD), 2050);
        let big = [b'x'; 3000];
        assert_eq!(write(&page, &big), Ok(2038));
        assert_eq!(write(&page, b"y"), Ok(0));
        assert_eq!(unsent(&page), Ok(2048));
        // xenconsoled takes everything.
        page.write_u32(OUT_CONS, 2040 + 10 + 2038);
        assert_eq!(unsent(&page), Ok(0));
    }

    #[test]
    fn hostile_indices_are_refused() {
        let page = PlainPage::default();
        page.write_u32(OUT_CONS, 5000);
        assert!(write(&page, b"a").is_err());
        assert!(unsent(&page).is_err());
    }
}

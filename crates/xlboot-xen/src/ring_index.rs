//! The free-running 32-bit producer and consumer indices of Xen's shared rings.
//!
//! Both ends count forever and wrap at 2^32; a slot is an index masked by the ring
//! size, a power of two. The other end writes one of the two indices, so the distance
//! between them is checked before it is used: more than the ring holds means the other
//! end is broken or hostile.

use core::fmt;

/// The other end moved an index past what the ring can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingError {
    /// Producer index read.
    pub prod: u32,
    /// Consumer index read.
    pub cons: u32,
    /// Ring size, in slots (or bytes for byte rings).
    pub size: u32,
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ring indices out of step: producer {} consumer {} on a ring of {}",
            self.prod, self.cons, self.size
        )
    }
}

/// How many slots hold data not yet consumed: `prod - cons`, which must not exceed
/// `size`.
pub fn used(prod: u32, cons: u32, size: u32) -> Result<u32, RingError> {
    let n = prod.wrapping_sub(cons);
    if n > size {
        return Err(RingError { prod, cons, size });
    }
    Ok(n)
}

/// How many slots are free for the producer.
pub fn free(prod: u32, cons: u32, size: u32) -> Result<u32, RingError> {
    used(prod, cons, size).map(|n| size.saturating_sub(n))
}

/// The slot an index names on a ring of `size` slots (a power of two).
pub fn slot(index: u32, size: u32) -> usize {
    usize::try_from(index & size.wrapping_sub(1)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_around_zero() {
        assert_eq!(used(3, u32::MAX - 1, 16), Ok(5));
        assert_eq!(free(3, u32::MAX - 1, 16), Ok(11));
        assert_eq!(slot(u32::MAX, 16), 15);
        assert_eq!(slot(16, 16), 0);
    }

    #[test]
    fn consumer_ahead_of_producer_is_an_error() {
        assert!(used(5, 6, 16).is_err());
        assert!(used(40, 20, 16).is_err());
        assert_eq!(used(36, 20, 16), Ok(16));
        assert_eq!(free(36, 20, 16), Ok(0));
    }
}

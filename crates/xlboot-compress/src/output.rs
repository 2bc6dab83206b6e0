//! The output buffer every streaming decoder appends to, capped at the caller's
//! `max_out`.

use alloc::vec::Vec;

use crate::{too_large, Outcome};

/// Decoded bytes so far; never longer than `max`.
pub struct Output {
    data: Vec<u8>,
    max: usize,
}

impl Output {
    /// An empty buffer that refuses to grow past `max` bytes.
    pub fn new(max: usize) -> Self {
        Output {
            data: Vec::new(),
            max,
        }
    }

    /// Appends `bytes`, or fails with TooLarge if that would pass the cap.
    pub fn push(&mut self, bytes: &[u8]) -> Outcome<()> {
        if bytes.len() > self.max.saturating_sub(self.data.len()) {
            return too_large();
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }

    /// How many more bytes fit under the cap.
    pub fn room(&self) -> usize {
        self.max.saturating_sub(self.data.len())
    }

    /// The bytes decoded.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }
}

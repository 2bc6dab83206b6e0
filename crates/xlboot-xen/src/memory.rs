//! Memory shared with another domain, seen through offsets.

use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

/// The size of a Xen page, and of every shared page here.
pub const PAGE_SIZE: usize = 4096;

/// One page that another domain reads and writes while this one does.
///
/// Every access names a byte offset; the implementation refuses (panics on) an offset
/// past the page, which the protocol code here never computes: ring slots are masked
/// into the page before they are used. Multi-byte values are little-endian (x86).
/// Accesses are single volatile loads and stores, so a value the other side changes is
/// read again every time; [`fence`](Self::fence) orders them where the protocols need
/// barriers.
pub trait SharedMemory {
    /// Reads one byte.
    fn read_u8(&self, offset: usize) -> u8;
    /// Writes one byte.
    fn write_u8(&self, offset: usize, value: u8);
    /// Reads an aligned 16-bit value.
    fn read_u16(&self, offset: usize) -> u16;
    /// Writes an aligned 16-bit value.
    fn write_u16(&self, offset: usize, value: u16);
    /// Reads an aligned 32-bit value.
    fn read_u32(&self, offset: usize) -> u32;
    /// Writes an aligned 32-bit value.
    fn write_u32(&self, offset: usize, value: u32);
    /// Reads an aligned 64-bit value.
    fn read_u64(&self, offset: usize) -> u64;
    /// Writes an aligned 64-bit value.
    fn write_u64(&self, offset: usize, value: u64);
    /// Atomically replaces the aligned 16-bit value at `offset` with `new` if it is
    /// `current`; returns the value found (equal to `current` when it was replaced).
    /// Grant entries need it: Xen sets their in-use bits while the guest clears them.
    fn compare_exchange_u16(&self, offset: usize, current: u16, new: u16) -> u16;
    /// A full memory barrier: every access before it is visible before any after it.
    fn fence(&self);

    /// Copies `out.len()` bytes starting at `offset` out of the page.
    fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        for (o, b) in (offset..).zip(out.iter_mut()) {
            *b = self.read_u8(o);
        }
    }

    /// Copies `bytes` into the page starting at `offset`.
    fn write_bytes(&self, offset: usize, bytes: &[u8]) {
        for (o, b) in (offset..).zip(bytes) {
            self.write_u8(o, *b);
        }
    }
}

/// A page in ordinary memory: the other end of a ring in tests and fuzz targets.
#[derive(Debug)]
pub struct PlainPage {
    bytes: RefCell<Vec<u8>>,
}

impl Default for PlainPage {
    fn default() -> Self {
        PlainPage {
            bytes: RefCell::new(vec![0; PAGE_SIZE]),
        }
    }
}

impl PlainPage {
    /// A page holding `bytes` (cut or zero-padded to [`PAGE_SIZE`]).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut v: Vec<u8> = bytes.iter().copied().take(PAGE_SIZE).collect();
        v.resize(PAGE_SIZE, 0);
        PlainPage {
            bytes: RefCell::new(v),
        }
    }

    fn load<const N: usize>(&self, offset: usize) -> [u8; N] {
        let bytes = self.bytes.borrow();
        let mut out = [0; N];
        match offset.checked_add(N).and_then(|end| bytes.get(offset..end)) {
            Some(s) => out.copy_from_slice(s),
            None => out_of_page(offset),
        }
        out
    }

    fn store(&self, offset: usize, value: &[u8]) {
        let mut bytes = self.bytes.borrow_mut();
        match offset
            .checked_add(value.len())
            .and_then(|end| bytes.get_mut(offset..end))
        {
            Some(s) => s.copy_from_slice(value),
            None => out_of_page(offset),
        }
    }
}

#[allow(clippy::panic)]
fn out_of_page(offset: usize) -> ! {
    panic!("access at offset {offset} is outside the shared page")
}

impl SharedMemory for PlainPage {
    fn read_u8(&self, offset: usize) -> u8 {
        u8::from_le_bytes(self.load(offset))
    }
    fn write_u8(&self, offset: usize, value: u8) {
        self.store(offset, &value.to_le_bytes());
    }
    fn read_u16(&self, offset: usize) -> u16 {
        u16::from_le_bytes(self.load(offset))
    }
    fn write_u16(&self, offset: usize, value: u16) {
        self.store(offset, &value.to_le_bytes());
    }
    fn read_u32(&self, offset: usize) -> u32 {
        u32::from_le_bytes(self.load(offset))
    }
    fn write_u32(&self, offset: usize, value: u32) {
        self.store(offset, &value.to_le_bytes());
    }
    fn read_u64(&self, offset: usize) -> u64 {
        u64::from_le_bytes(self.load(offset))
    }
    fn write_u64(&self, offset: usize, value: u64) {
        self.store(offset, &value.to_le_bytes());
    }
    fn compare_exchange_u16(&self, offset: usize, current: u16, new: u16) -> u16 {
        let found = self.read_u16(offset);
        if found == current {
            self.write_u16(offset, new);
        }
        found
    }
    fn fence(&self) {}
}

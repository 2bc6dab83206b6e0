//! A small bounded cache of a device's blocks, for metadata.
//!
//! Filesystem readers read the same metadata again and again: an inode and its group
//! descriptor on each read of a file, a directory's blocks on each lookup in it, the
//! upper nodes of a tree on each search. On a raw image each of those reads is a
//! system call; under a compressed qcow2 cluster each decompresses the whole cluster
//! again. [`BlockCache`] keeps the last [`SLOTS`] blocks of [`BLOCK`] bytes that small
//! reads touched, least recently used out first. Reads longer than
//! [`MAX_CACHED_READ`] (file data: kernels and initrds are read in long runs) go
//! straight through and are not kept, so a file streaming past does not push the
//! metadata out. Memory is bounded: `SLOTS * BLOCK` = 256 KiB. Failed reads are not
//! kept.
//!
//! The device must not change while cached: xlboot opens guest disks read-only and
//! reads each once per run.

use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::block::{check_range, BlockDevice, IoError};

/// Bytes per cached block, aligned on the device.
pub const BLOCK: usize = 1 << BLOCK_SHIFT;

const BLOCK_SHIFT: u32 = 12;

/// Number of blocks kept.
pub const SLOTS: usize = 64;

/// Longest read served through the cache; longer ones bypass it.
pub const MAX_CACHED_READ: usize = 16 << 10;

struct Slot {
    /// Block number (device offset / [`BLOCK`]).
    block: u64,
    /// When it was last used (a counter), for eviction.
    used: u64,
    /// Its bytes: [`BLOCK`], or fewer for the device's last block.
    data: Vec<u8>,
}

struct State {
    slots: Vec<Slot>,
    clock: u64,
}

/// `dev` with its small reads served from a cache of its blocks.
pub struct BlockCache<D> {
    dev: D,
    state: RefCell<State>,
}

impl<D: BlockDevice> BlockCache<D> {
    /// A cache over `dev`, empty.
    pub fn new(dev: D) -> Self {
        BlockCache {
            dev,
            state: RefCell::new(State {
                slots: Vec::new(),
                clock: 0,
            }),
        }
    }

    /// The device under the cache.
    pub fn inner(&self) -> &D {
        &self.dev
    }

    /// Copies the part of block `block` from byte `from` into `out`, reading the block
    /// into the least recently used slot when it is not kept.
    fn copy_from_block(&self, block: u64, from: usize, out: &mut [u8]) -> Result<(), IoError> {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        state.clock = state.clock.wrapping_add(1);
        let now = state.clock;
        let index = match state.slots.iter().position(|s| s.block == block) {
            Some(i) => i,
            None => {
                let start = block.saturating_mul(BLOCK as u64);
                let len = usize::try_from(self.dev.size().saturating_sub(start))
                    .unwrap_or(BLOCK)
                    .min(BLOCK);
                let i = if state.slots.len() < SLOTS {
                    state.slots.push(Slot {
                        block,
                        used: now,
                        data: vec![0u8; BLOCK],
                    });
                    state.slots.len().saturating_sub(1)
                } else {
                    state
                        .slots
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, s)| s.used)
                        .map(|(i, _)| i)
                        .unwrap_or(0)
                };
                let slot = state.slots.get_mut(i).ok_or(IoError::OutOfRange {
                    offset: start,
                    len: len as u64,
                    size: self.dev.size(),
                })?;
                // Mark the slot empty until the read succeeds.
                slot.block = u64::MAX;
                slot.data.resize(len, 0);
                self.dev.read_exact_at(start, &mut slot.data)?;
                slot.block = block;
                i
            }
        };
        let slot = state.slots.get_mut(index).ok_or(IoError::OutOfRange {
            offset: block.saturating_mul(BLOCK as u64),
            len: out.len() as u64,
            size: self.dev.size(),
        })?;
        slot.used = now;
        let src = slot
            .data
            .get(from..)
            .and_then(|d| d.get(..out.len()))
            .ok_or(IoError::OutOfRange {
                offset: block
                    .saturating_mul(BLOCK as u64)
                    .saturating_add(from as u64),
                len: out.len() as u64,
                size: self.dev.size(),
            })?;
        out.copy_from_slice(src);
        Ok(())
    }
}

impl<D: BlockDevice> BlockDevice for BlockCache<D> {
    fn size(&self) -> u64 {
        self.dev.size()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.dev.size())?;
        if buf.len() > MAX_CACHED_READ {
            return self.dev.read_exact_at(offset, buf);
        }
        let mut done = 0usize;
        // Each pass fills at least one byte: `from` is below BLOCK.
        while done < buf.len() {
            let pos = offset.saturating_add(done as u64);
            let block = pos >> BLOCK_SHIFT;
            let from = usize::try_from(pos & ((1u64 << BLOCK_SHIFT).wrapping_sub(1))).unwrap_or(0);
            let n = BLOCK
                .saturating_sub(from)
                .min(buf.len().saturating_sub(done));
            let end = done.saturating_add(n);
            let part = buf.get_mut(done..end).unwrap_or_default();
            self.copy_from_block(block, from, part)?;
            done = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// A device of `len` bytes (byte i is i * 7 mod 251) counting its reads.
    struct Counting {
        len: u64,
        reads: Cell<usize>,
    }

    impl BlockDevice for Counting {
        fn size(&self) -> u64 {
            self.len
        }
        fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
            check_range(offset, buf.len(), self.len)?;
            self.reads.set(self.reads.get() + 1);
            for (i, b) in buf.iter_mut().enumerate() {
                *b = ((offset + i as u64) * 7 % 251) as u8;
            }
            Ok(())
        }
    }

    fn expect(offset: u64, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| ((offset + i as u64) * 7 % 251) as u8)
            .collect()
    }

    #[test]
    fn reads_match_the_device_at_any_offset_and_length() {
        let dev = Counting {
            len: 10 * BLOCK as u64 + 123,
            reads: Cell::new(0),
        };
        let cache = BlockCache::new(&dev);
        for (offset, len) in [
            (0u64, 1usize),
            (4095, 2),
            (100, 9000),
            (40_960, 123),
            (40_961, 122),
            (3 * 4096, 16 << 10),
            (5, (16 << 10) + 1),
            (10 * 4096 + 122, 1),
        ] {
            let mut buf = vec![0u8; len];
            cache.read_exact_at(offset, &mut buf).unwrap();
            assert_eq!(buf, expect(offset, len), "{offset}+{len}");
        }
        let mut buf = [0u8; 2];
        assert!(matches!(
            cache.read_exact_at(10 * 4096 + 122, &mut buf),
            Err(IoError::OutOfRange { .. })
        ));
    }

    #[test]
    fn small_reads_are_served_once_and_the_cache_stays_bounded() {
        let dev = Counting {
            len: 1 << 30,
            reads: Cell::new(0),
        };
        let cache = BlockCache::new(&dev);
        let mut buf = [0u8; 256];
        for _ in 0..10 {
            cache.read_exact_at(8192 + 512, &mut buf).unwrap();
        }
        assert_eq!(dev.reads.get(), 1);
        // A long read goes through and evicts nothing.
        let mut long = vec![0u8; 1 << 20];
        cache.read_exact_at(0, &mut long).unwrap();
        assert_eq!(dev.reads.get(), 2);
        cache.read_exact_at(8192 + 512, &mut buf).unwrap();
        assert_eq!(dev.reads.get(), 2);
        // Many distinct blocks: at most SLOTS are kept, the least recently used go.
        for b in 0..(4 * SLOTS as u64) {
            cache.read_exact_at(b * 4096 * 3, &mut buf).unwrap();
        }
        assert!(cache.state.borrow().slots.len() <= SLOTS);
        let before = dev.reads.get();
        cache
            .read_exact_at((4 * SLOTS as u64 - 1) * 4096 * 3, &mut buf)
            .unwrap();
        assert_eq!(dev.reads.get(), before, "the last block read is kept");
        cache.read_exact_at(0, &mut buf).unwrap();
        assert_eq!(dev.reads.get(), before + 1, "the first one is gone");
    }
}

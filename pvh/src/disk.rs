//! A connected block frontend as xlboot's [`BlockDevice`]: reads of any size at any
//! offset, served from a cache of 4 KiB blocks that is filled eleven blocks (one
//! request) at a time. Filesystem code reads small structures often and close
//! together, and every request is a round trip to dom0, so one request brings the
//! neighbours too. Reads of a request's size or more (file contents) go straight to
//! the caller's buffer instead: they would only push the metadata out of the cache.
//!
//! The loader's allocator frees only its newest block, so the cache allocates its
//! slots and its request buffer once and then copies into them: a new block per fill
//! would leak about twice the size of every file read.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use xlboot_disk::block::check_range;
use xlboot_disk::{BlockDevice, IoError};

use crate::blkfront::{Blkfront, MAX_READ};

const BLOCK: u64 = 4096;
/// Cached blocks (8 MiB): more than the metadata a config search touches.
const SLOTS: usize = 2048;

/// A cached block: its number and bytes (4 KiB, less for the last of the disk).
type Slot = Option<(u64, Box<[u8]>)>;

/// A guest disk read through its block frontend.
pub struct XenDisk {
    front: RefCell<Blkfront>,
    cache: RefCell<Vec<Slot>>,
    /// One request's bytes, on their way into the cache.
    request: RefCell<Vec<u8>>,
    size: u64,
}

impl XenDisk {
    /// Wraps a connected frontend.
    pub fn new(front: Blkfront) -> XenDisk {
        let size = front.size();
        XenDisk {
            front: RefCell::new(front),
            cache: RefCell::new(vec![None; SLOTS]),
            request: RefCell::new(vec![0u8; MAX_READ]),
            size,
        }
    }

    /// The frontend, for the teardown before the hand-over.
    pub fn into_front(self) -> Blkfront {
        self.front.into_inner()
    }

    fn slot(block: u64) -> usize {
        (block % SLOTS as u64) as usize
    }

    /// Reads the blocks from `block` on (one request's worth, up to the end of the
    /// disk) into the cache.
    fn fill(&self, block: u64) -> Result<(), IoError> {
        let start = block * BLOCK;
        let len = (self.size - start).min(MAX_READ as u64) as usize;
        let mut request = self.request.borrow_mut();
        let bytes = request.get_mut(..len).unwrap_or(&mut []);
        self.read_direct(start, bytes)?;
        let mut cache = self.cache.borrow_mut();
        for (i, chunk) in bytes.chunks(BLOCK as usize).enumerate() {
            let b = block + i as u64;
            let Some(slot) = cache.get_mut(Self::slot(b)) else {
                continue;
            };
            match slot {
                Some((number, data)) if data.len() == chunk.len() => {
                    *number = b;
                    data.copy_from_slice(chunk);
                }
                _ => *slot = Some((b, chunk.into())),
            }
        }
        Ok(())
    }

    /// One request: `out` (a multiple of 512 bytes, at most [`MAX_READ`]) from byte
    /// `start` (a multiple of 512).
    fn read_direct(&self, start: u64, out: &mut [u8]) -> Result<(), IoError> {
        self.front
            .borrow_mut()
            .read(start / 512, out)
            .map_err(|message| {
                crate::println!("xlboot-pvh: {message}");
                IoError::Device {
                    offset: start,
                    len: out.len() as u64,
                    errno: None,
                }
            })
    }
}

impl BlockDevice for XenDisk {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let direct = (buf.len() - done).min(MAX_READ) & !511;
            if pos % 512 == 0 && direct == MAX_READ {
                let to = buf.get_mut(done..done + direct).unwrap_or(&mut []);
                self.read_direct(pos, to)?;
                done += direct;
                continue;
            }
            let block = pos / BLOCK;
            let within = (pos % BLOCK) as usize;
            let cached = matches!(
                self.cache.borrow().get(Self::slot(block)),
                Some(Some((b, _))) if *b == block
            );
            if !cached {
                self.fill(block)?;
            }
            let cache = self.cache.borrow();
            let Some(Some((_, data))) = cache.get(Self::slot(block)) else {
                return Err(IoError::Device {
                    offset: pos,
                    len: 1,
                    errno: None,
                });
            };
            let from = data.get(within..).unwrap_or(&[]);
            let to = buf.get_mut(done..).unwrap_or(&mut []);
            let n = from.len().min(to.len());
            if n == 0 {
                return Err(IoError::OutOfRange {
                    offset: pos,
                    len: 1,
                    size: self.size,
                });
            }
            to[..n].copy_from_slice(&from[..n]);
            done += n;
        }
        Ok(())
    }
}

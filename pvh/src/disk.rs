//! A connected block frontend as xlboot's [`BlockDevice`]: reads of any size at any
//! offset, served from a cache of 4 KiB blocks that is filled eleven blocks (one
//! request) at a time. Filesystem code reads small structures often and close
//! together, and every request is a round trip to dom0, so one request brings the
//! neighbours too.

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
    size: u64,
}

impl XenDisk {
    /// Wraps a connected frontend.
    pub fn new(front: Blkfront) -> XenDisk {
        let size = front.size();
        XenDisk {
            front: RefCell::new(front),
            cache: RefCell::new(vec![None; SLOTS]),
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
        let mut bytes = vec![0u8; len];
        self.front
            .borrow_mut()
            .read(start / 512, &mut bytes)
            .map_err(|message| {
                crate::println!("xlboot-pvh: {message}");
                IoError::Device {
                    offset: start,
                    len: len as u64,
                    errno: None,
                }
            })?;
        let mut cache = self.cache.borrow_mut();
        for (i, chunk) in bytes.chunks(BLOCK as usize).enumerate() {
            let b = block + i as u64;
            if let Some(slot) = cache.get_mut(Self::slot(b)) {
                *slot = Some((b, chunk.into()));
            }
        }
        Ok(())
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

//! A small least-recently-used cache of decompressed blocks.
//!
//! Reading a path touches the same few metadata blocks again and again (an inode
//! block holds about a hundred inodes, a directory block a hundred entries), and a
//! kernel is read in chunks that need not match its data blocks; without a cache each
//! of those would decompress the same block again. The cache holds a fixed number of
//! blocks, each at most one data block (1 MiB), so a hostile image cannot make it
//! grow.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Up to `capacity` values keyed by their disk offset, most recently used first.
pub(crate) struct Cache<T> {
    slots: RefCell<Vec<(u64, Rc<T>)>>,
    capacity: usize,
}

impl<T> Cache<T> {
    /// An empty cache of `capacity` slots (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Cache {
            slots: RefCell::new(Vec::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value cached for `key`, now the most recently used.
    pub(crate) fn get(&self, key: u64) -> Option<Rc<T>> {
        let mut slots = self.slots.borrow_mut();
        let at = slots.iter().position(|(k, _)| *k == key)?;
        let entry = slots.remove(at);
        let value = Rc::clone(&entry.1);
        slots.insert(0, entry);
        Some(value)
    }

    /// Caches `value` for `key`, evicting the least recently used if full.
    pub(crate) fn insert(&self, key: u64, value: Rc<T>) {
        let mut slots = self.slots.borrow_mut();
        slots.retain(|(k, _)| *k != key);
        slots.truncate(self.capacity.saturating_sub(1));
        slots.insert(0, (key, value));
    }
}

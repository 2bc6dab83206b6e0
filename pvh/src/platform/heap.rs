//! The global allocator: a bump allocator over one RAM region of the memory map.
//!
//! The loader runs once, reads a config and a few files, and hands over: it needs no
//! general-purpose allocator. Freeing the most recent allocation and growing it in
//! place are supported, which is what a `Vec` or `String` that grows does; anything
//! else freed stays used until the loader ends.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicU64, Ordering};

struct Bump {
    /// Next free byte.
    next: AtomicU64,
    /// First byte past the heap.
    end: AtomicU64,
    /// Start of the most recent allocation (for freeing or growing it in place).
    last: AtomicU64,
}

#[global_allocator]
static HEAP: Bump = Bump {
    next: AtomicU64::new(0),
    end: AtomicU64::new(0),
    last: AtomicU64::new(u64::MAX),
};

/// Gives the allocator `[start, end)`, RAM in the identity map used by nothing else.
pub fn init(start: u64, end: u64) {
    HEAP.next.store(start, Ordering::Relaxed);
    HEAP.end.store(end, Ordering::Relaxed);
}

/// Bytes still free.
pub fn free() -> u64 {
    HEAP.end
        .load(Ordering::Relaxed)
        .saturating_sub(HEAP.next.load(Ordering::Relaxed))
}

// SAFETY: every block handed out is inside the region given to `init`, aligned as
// asked, and never handed out twice while allocated (only the top block is reused).
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let align = layout.align() as u64;
        let next = self.next.load(Ordering::Relaxed);
        let Some(start) = next.checked_add(align - 1).map(|n| n & !(align - 1)) else {
            return core::ptr::null_mut();
        };
        let Some(end) = start.checked_add(layout.size() as u64) else {
            return core::ptr::null_mut();
        };
        if end > self.end.load(Ordering::Relaxed) {
            return core::ptr::null_mut();
        }
        self.next.store(end, Ordering::Relaxed);
        self.last.store(start, Ordering::Relaxed);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if ptr as u64 == self.last.load(Ordering::Relaxed) {
            self.next.store(ptr as u64, Ordering::Relaxed);
            self.last.store(u64::MAX, Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as u64;
        if start == self.last.load(Ordering::Relaxed) {
            if let Some(end) = start.checked_add(new_size as u64) {
                if end <= self.end.load(Ordering::Relaxed) {
                    self.next.store(end, Ordering::Relaxed);
                    return ptr;
                }
            }
            return core::ptr::null_mut();
        }
        // SAFETY: as GlobalAlloc's default: a new block, the old bytes copied.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}

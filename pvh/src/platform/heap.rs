//! The global allocator: a bump allocator over one RAM region of the memory map,
//! handing out memory from the top of the region down.
//!
//! The loader runs once, reads a config and a few files, and hands over: it needs no
//! general-purpose allocator. Freeing the most recent allocation and growing it are
//! supported, which is what a `Vec` or `String` that grows does (growing moves the
//! block down over the free memory below it); anything else freed stays used until
//! the loader ends.
//!
//! Why top-down: the kernel's segments go where its ELF header says, and kernels are
//! linked low (Linux x86-64 at 16 MiB, extending some 60 MiB; the BSDs at 1 or 2
//! MiB). Everything the loader reads (the kernel file, its decompressed ELF, the
//! initrd) and builds (the start info) thus piles up at the top of RAM, below 4 GiB,
//! as GRUB puts initrds high, and the memory between the loader's image and the
//! lowest live block stays free for the segments. Before they are written,
//! [`protect_below`] moves the heap's floor above them, so that nothing allocated
//! afterwards (the teardown's messages) lands where a segment goes.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicU64, Ordering};

struct Bump {
    /// The lowest byte handed out: free memory is `[floor, next)`.
    next: AtomicU64,
    /// First byte past the heap.
    end: AtomicU64,
    /// The lowest byte the heap may use.
    floor: AtomicU64,
    /// Start of the most recent allocation (for freeing or growing it).
    last: AtomicU64,
    /// `next` before the most recent allocation: where it ends, padding included.
    last_top: AtomicU64,
}

#[global_allocator]
static HEAP: Bump = Bump {
    next: AtomicU64::new(0),
    end: AtomicU64::new(0),
    floor: AtomicU64::new(0),
    last: AtomicU64::new(u64::MAX),
    last_top: AtomicU64::new(0),
};

/// Gives the allocator `[start, end)`, RAM in the identity map used by nothing else.
pub fn init(start: u64, end: u64) {
    HEAP.floor.store(start, Ordering::Relaxed);
    HEAP.next.store(end, Ordering::Relaxed);
    HEAP.end.store(end, Ordering::Relaxed);
}

/// Bytes still free.
pub fn free() -> u64 {
    HEAP.next
        .load(Ordering::Relaxed)
        .saturating_sub(HEAP.floor.load(Ordering::Relaxed))
}

/// The memory holding live heap data, `[lowest block, end of the heap)`.
pub fn live() -> (u64, u64) {
    (
        HEAP.next.load(Ordering::Relaxed),
        HEAP.end.load(Ordering::Relaxed),
    )
}

/// Keeps the heap out of everything below `addr` from now on (the kernel's segments
/// are about to be written there); later allocations that do not fit above it fail.
pub fn protect_below(addr: u64) {
    let floor = HEAP.floor.load(Ordering::Relaxed);
    HEAP.floor.store(floor.max(addr), Ordering::Relaxed);
}

/// A zeroed, page-aligned block of `len` bytes that stays where it is until the
/// loader ends (the initrd, the start info: the kernel is told their addresses).
/// `None` when the heap has no room for it.
pub fn pinned(len: usize) -> Option<&'static mut [u8]> {
    let layout = Layout::from_size_align(len.max(1), 4096).ok()?;
    // SAFETY: a non-zero-sized layout. The block is never freed (the reference is
    // 'static and nothing deallocates it), so nothing else ever gets its memory.
    unsafe {
        let p = alloc::alloc::alloc_zeroed(layout);
        (!p.is_null()).then(|| core::slice::from_raw_parts_mut(p, len))
    }
}

impl Bump {
    /// The start of a `size`-byte block aligned to `align` ending at or below `top`,
    /// if it stays above the floor.
    fn place(&self, top: u64, size: usize, align: usize) -> Option<u64> {
        let start = top.checked_sub(size as u64)? & !(align as u64 - 1);
        (start >= self.floor.load(Ordering::Relaxed) && start != 0).then_some(start)
    }
}

// SAFETY: every block handed out is inside the region given to `init` and above the
// floor, aligned as asked, and never handed out twice while allocated: only the most
// recent block is freed or moved, and a moved block's old bytes are copied first.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let next = self.next.load(Ordering::Relaxed);
        let Some(start) = self.place(next, layout.size(), layout.align()) else {
            return core::ptr::null_mut();
        };
        self.next.store(start, Ordering::Relaxed);
        self.last.store(start, Ordering::Relaxed);
        self.last_top.store(next, Ordering::Relaxed);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if ptr as u64 == self.last.load(Ordering::Relaxed) {
            self.next
                .store(self.last_top.load(Ordering::Relaxed), Ordering::Relaxed);
            self.last.store(u64::MAX, Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = ptr as u64;
        if new_size <= layout.size() {
            return ptr; // shrinking: the block stays, its tail unused
        }
        let new = if old == self.last.load(Ordering::Relaxed) {
            // The most recent block grows downwards, into the free memory below it.
            let top = self.last_top.load(Ordering::Relaxed);
            let Some(start) = self.place(top, new_size, layout.align()) else {
                return core::ptr::null_mut();
            };
            self.next.store(start, Ordering::Relaxed);
            self.last.store(start, Ordering::Relaxed);
            start as *mut u8
        } else {
            // SAFETY: `new_size` is non-zero and, rounded to the alignment, does not
            // overflow (GlobalAlloc::realloc's contract).
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: as `alloc`.
            let new = unsafe { self.alloc(new_layout) };
            if new.is_null() {
                return new;
            }
            new
        };
        // SAFETY: the old block's bytes move to the new block, which starts at or
        // below it; `copy` is a memmove, so an overlap is fine.
        unsafe { core::ptr::copy(ptr, new, layout.size()) };
        new
    }
}

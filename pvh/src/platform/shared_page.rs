//! Pages shared with Xen and other domains: the console and xenstore rings (placed by
//! the toolstack, named by HVM parameters), the grant table, and pages the loader
//! grants to backends.

use core::sync::atomic::{fence, AtomicU16, Ordering};

use xlboot_xen::{SharedMemory, PAGE_SIZE};

use super::entry::MAPPED_END;
use super::hypercall::{self, Errno};

/// A 4 KiB page, identity-mapped, that stays valid until the loader ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPage {
    base: usize,
}

impl SharedPage {
    /// The page at `base`.
    ///
    /// # Safety
    /// `base` must be page-aligned, in the identity map, and not memory the loader uses
    /// for anything else (its image, its heap objects, its stack).
    pub(super) unsafe fn at(base: usize) -> SharedPage {
        SharedPage { base }
    }

    /// A new zeroed page from the heap, never freed.
    pub fn alloc() -> SharedPage {
        let layout = core::alloc::Layout::from_size_align(PAGE_SIZE, PAGE_SIZE)
            .unwrap_or(core::alloc::Layout::new::<u8>());
        // SAFETY: a non-zero-sized layout; the block is leaked, so nothing else ever
        // gets it.
        let p = unsafe { alloc::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            alloc::alloc::handle_alloc_error(layout);
        }
        SharedPage { base: p as usize }
    }

    /// The page the HVM parameter `pfn_param` names (console, xenstore), with the event
    /// channel `evtchn_param` names.
    pub fn from_hvm_params(pfn_param: u32, evtchn_param: u32) -> Result<(SharedPage, u32), Errno> {
        let pfn = hypercall::hvm_param(pfn_param)?;
        let port = hypercall::hvm_param(evtchn_param)?;
        let base = pfn
            .checked_mul(PAGE_SIZE as u64)
            .filter(|b| *b != 0 && *b < MAPPED_END);
        let (Some(base), Ok(port)) = (base, u32::try_from(port)) else {
            return Err(Errno(-22));
        };
        // SAFETY: Xen's special pages lie outside the RAM of the memory map, so outside
        // the heap and the image; below MAPPED_END they are identity-mapped.
        Ok((unsafe { SharedPage::at(base as usize) }, port))
    }

    /// The guest frame number, for grants and the rings' xenstore nodes.
    pub fn frame(&self) -> u64 {
        (self.base / PAGE_SIZE) as u64
    }

    fn address<T>(&self, offset: usize) -> *mut T {
        let size = core::mem::size_of::<T>();
        if offset % size != 0 || offset.checked_add(size).is_none_or(|end| end > PAGE_SIZE) {
            panic!("shared page access at {offset} of {size} bytes is outside the page");
        }
        (self.base + offset) as *mut T
    }
}

impl SharedMemory for SharedPage {
    fn read_u8(&self, offset: usize) -> u8 {
        // SAFETY: `address` checked the offset; the page is valid (see `at`).
        unsafe { self.address::<u8>(offset).read_volatile() }
    }
    fn write_u8(&self, offset: usize, value: u8) {
        // SAFETY: as above.
        unsafe { self.address::<u8>(offset).write_volatile(value) }
    }
    fn read_u16(&self, offset: usize) -> u16 {
        // SAFETY: as above; `address` checked the alignment.
        unsafe { self.address::<u16>(offset).read_volatile() }
    }
    fn write_u16(&self, offset: usize, value: u16) {
        // SAFETY: as above.
        unsafe { self.address::<u16>(offset).write_volatile(value) }
    }
    fn read_u32(&self, offset: usize) -> u32 {
        // SAFETY: as above.
        unsafe { self.address::<u32>(offset).read_volatile() }
    }
    fn write_u32(&self, offset: usize, value: u32) {
        // SAFETY: as above.
        unsafe { self.address::<u32>(offset).write_volatile(value) }
    }
    fn read_u64(&self, offset: usize) -> u64 {
        // SAFETY: as above.
        unsafe { self.address::<u64>(offset).read_volatile() }
    }
    fn write_u64(&self, offset: usize, value: u64) {
        // SAFETY: as above.
        unsafe { self.address::<u64>(offset).write_volatile(value) }
    }
    fn compare_exchange_u16(&self, offset: usize, current: u16, new: u16) -> u16 {
        let p = self.address::<u16>(offset);
        // SAFETY: `address` checked the offset and alignment; the page is valid (see
        // `at`) and every access to it is volatile or atomic, never a Rust reference
        // held across the call.
        let atomic = unsafe { AtomicU16::from_ptr(p) };
        match atomic.compare_exchange(current, new, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(found) | Err(found) => found,
        }
    }
    fn fence(&self) {
        fence(Ordering::SeqCst);
    }

    /// A plain copy: used for data pages the backend has finished writing (its
    /// response came first), where a byte-by-byte volatile copy would only be slower.
    fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        if offset
            .checked_add(out.len())
            .is_none_or(|end| end > PAGE_SIZE)
        {
            panic!(
                "shared page copy at {offset} of {} bytes is outside the page",
                out.len()
            );
        }
        fence(Ordering::SeqCst);
        // SAFETY: the range is inside the page (checked); `out` is ours.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (self.base + offset) as *const u8,
                out.as_mut_ptr(),
                out.len(),
            );
        }
    }
}

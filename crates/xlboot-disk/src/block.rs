//! The one positional-read interface everything above the disk reads through.

use core::fmt;

/// A read-only store of bytes addressed by offset: a disk image, a block device, a
/// partition of either.
///
/// Reads take `&self` so that one open disk can serve several filesystems at once
/// (positional reads need no cursor).
pub trait BlockDevice {
    /// Size in bytes. Nothing at or past this offset can be read.
    fn size(&self) -> u64;

    /// Fills all of `buf` with the bytes at `offset`. A read that would run past
    /// [`size`](Self::size) fails with [`IoError::OutOfRange`] and reads nothing.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError>;
}

impl<T: BlockDevice + ?Sized> BlockDevice for &T {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_exact_at(offset, buf)
    }
}

/// A device shared by several readers (a backing file read by its overlay while the
/// binary keeps its descriptor open across the sandbox).
impl<T: BlockDevice + ?Sized> BlockDevice for alloc::rc::Rc<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_exact_at(offset, buf)
    }
}

/// A device chosen at run time (a raw file, a qcow2 or VHD image over it).
impl<T: BlockDevice + ?Sized> BlockDevice for alloc::boxed::Box<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_exact_at(offset, buf)
    }
}

/// Why a read failed. Offsets are those of the device the read was made on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoError {
    /// The read asked for bytes past the end of the device: on a guest disk this means
    /// a structure points outside its volume, so callers usually report it as corrupt.
    OutOfRange {
        /// First byte asked for.
        offset: u64,
        /// Number of bytes asked for.
        len: u64,
        /// Size of the device.
        size: u64,
    },
    /// The run's budget of bytes read from the disk is spent: a guest laid out so
    /// that reading it never ends is stopped here.
    Budget {
        /// The budget, in bytes.
        limit: u64,
    },
    /// The disk image format under the guest's view (qcow2, VHD) cannot give these
    /// bytes: a table entry points outside the file, a compressed cluster does not
    /// decompress, or uses something xlboot does not read.
    Image {
        /// First byte asked for, on the guest's view of the disk.
        offset: u64,
        /// What is wrong, and where in the image file.
        what: alloc::string::String,
    },
    /// The operating system (or hypervisor) refused the read.
    Device {
        /// First byte asked for.
        offset: u64,
        /// Number of bytes asked for.
        len: u64,
        /// `errno`, where there is one.
        errno: Option<i32>,
    },
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::OutOfRange { offset, len, size } => write!(
                f,
                "read of {len} bytes at offset {offset} runs past the end of the device ({size} bytes)"
            ),
            IoError::Budget { limit } => {
                write!(f, "stopped after reading {limit} bytes from the disk (the read budget)")
            }
            IoError::Image { offset, what } => {
                write!(f, "reading the disk at offset {offset}: {what}")
            }
            IoError::Device { offset, len, errno: Some(e) } => {
                write!(f, "read of {len} bytes at offset {offset} failed (errno {e})")
            }
            IoError::Device { offset, len, errno: None } => {
                write!(f, "read of {len} bytes at offset {offset} failed")
            }
        }
    }
}

/// Checks that `len` bytes at `offset` lie inside a device of `size` bytes.
pub fn check_range(offset: u64, len: usize, size: u64) -> Result<(), IoError> {
    let len = len as u64;
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(IoError::OutOfRange { offset, len, size }),
    }
}

/// A window onto part of another device: a partition, or a filesystem at an offset.
/// Reads are translated and confined to the window.
#[derive(Debug, Clone, Copy)]
pub struct Window<D> {
    inner: D,
    start: u64,
    len: u64,
}

impl<D: BlockDevice> Window<D> {
    /// A window of `len` bytes from `start`. Fails if it does not lie inside `inner`,
    /// so that a partition running past the end of the disk is caught when it is
    /// opened, not at some later read.
    pub fn new(inner: D, start: u64, len: u64) -> Result<Self, IoError> {
        let size = inner.size();
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(Window { inner, start, len }),
            _ => Err(IoError::OutOfRange {
                offset: start,
                len,
                size,
            }),
        }
    }

    /// Offset of the window's first byte on the underlying device.
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl<D: BlockDevice> BlockDevice for Window<D> {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.len)?;
        // Cannot overflow: offset + len <= self.len and start + self.len was checked.
        let abs = self.start.saturating_add(offset);
        self.inner.read_exact_at(abs, buf)
    }
}

/// A device held in memory: used by tests, fuzz targets and the in-guest loader's
/// boot-time buffers.
impl BlockDevice for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.size())?;
        let start = usize::try_from(offset).map_err(|_| IoError::OutOfRange {
            offset,
            len: buf.len() as u64,
            size: self.size(),
        })?;
        let src =
            self.get(start..)
                .and_then(|s| s.get(..buf.len()))
                .ok_or(IoError::OutOfRange {
                    offset,
                    len: buf.len() as u64,
                    size: self.size(),
                })?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

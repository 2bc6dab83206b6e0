//! The guest's disk as dom0 sees it: a raw image file or a block device, read with
//! positional reads.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::path::Path;

use xlboot_disk::{BlockDevice, IoError};

/// A raw disk image or block device, opened read-only, with a budget of bytes that may
/// be read from it in one run.
#[derive(Debug)]
pub struct DiskImage {
    file: File,
    size: u64,
    read: Cell<u64>,
    budget: u64,
}

impl DiskImage {
    /// Opens `path` read-only. Its size comes from seeking to the end, which works
    /// for block devices as well as files.
    pub fn open(path: &Path, budget: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a directory",
            ));
        }
        let size = file.seek(SeekFrom::End(0))?;
        Ok(DiskImage {
            file,
            size,
            read: Cell::new(0),
            budget,
        })
    }
}

impl DiskImage {
    /// The open (read-only) file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl BlockDevice for DiskImage {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        xlboot_disk::block::check_range(offset, buf.len(), self.size)?;
        let read = self.read.get().saturating_add(buf.len() as u64);
        if read > self.budget {
            return Err(IoError::Budget { limit: self.budget });
        }
        self.read.set(read);
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                // The file shrank under us.
                IoError::OutOfRange {
                    offset,
                    len: buf.len() as u64,
                    size: self.size,
                }
            } else {
                IoError::Device {
                    offset,
                    len: buf.len() as u64,
                    errno: e.raw_os_error(),
                }
            }
        })
    }
}

impl AsFd for DiskImage {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

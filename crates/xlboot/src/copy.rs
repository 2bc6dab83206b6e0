//! Copying boot files out of the guest into dom0.
//!
//! A file's size is checked against its budget before a byte of it is read (a sparse
//! file can claim any size). Its bytes are then streamed through one fixed buffer of
//! [`BUF`] bytes, so memory stays the same whatever the size of the kernel or initrd.
//!
//! The filesystem says, run by run, how the file is stored
//! ([`FileSystem::stored_run`]). A hole (a sparse file's unmapped blocks, an unwritten
//! extent) is neither read nor written: the copy's position moves past it, leaving a
//! hole there too. Where the guest's disk is a raw image or block device and a run is
//! plain data (ext2/3/4 and XFS extents and blocks, FAT cluster runs, ISO9660
//! extents), the run is copied by the kernel from the disk's descriptor to the copy's,
//! and never enters xlboot's memory: `copy_file_range` first (within one filesystem: a
//! reflink or server-side copy where the filesystem has one, an in-kernel copy
//! otherwise), then `sendfile` (across filesystems, e.g. an image on ext4 into the
//! tmpfs `/var/run/xen`, which `copy_file_range` refuses with `EXDEV` since Linux 5.19;
//! and from block devices, which it refuses with `EINVAL`), then the buffer. A refusal
//! is remembered for the rest of the run, so it costs one system call. Both calls only
//! move bytes between descriptors the sandboxed child already holds (the disk,
//! read-only; the copy, for writing), so allowing them in its seccomp list widens
//! nothing it can reach, and `RLIMIT_FSIZE` applies to them as to `write`.
//!
//! [`FileSystem::stored_run`]: xlboot_fs::FileSystem::stored_run

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

use nix::errno::Errno;
use xlboot_boot::Found;
use xlboot_disk::{BlockDevice, IoError};
use xlboot_fs::{FsError, StoredRun};

use crate::image::DiskImage;

/// The copy buffer: large enough that a copy through it runs at the speed of `cat`
/// (which uses 128 KiB), small enough to keep the boot path's memory low.
pub const BUF: usize = 256 << 10;

/// Longest run handed to the kernel in one call: bounds the time between checks.
const MAX_KERNEL_RUN: u64 = 64 << 20;

/// Why a copy failed: reading the guest, or writing dom0.
#[derive(Debug)]
pub enum CopyError {
    /// The guest's filesystem could not be read, or the file is over its size limit.
    Guest(FsError),
    /// The copy could not be written.
    Write(std::io::Error),
}

/// A volume whose bytes are those of a file dom0 holds: a partition (or the whole
/// disk) of a raw image or block device, `start` bytes into it.
pub struct RawVolume<'a> {
    /// The disk image.
    pub image: &'a DiskImage,
    /// The volume's first byte in the image.
    pub start: u64,
}

/// How runs of stored bytes are copied; each step down is taken once, when the
/// kernel refuses the one above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    CopyFileRange,
    Sendfile,
    Buffer,
}

/// Copies files into the output copies, keeping its buffer and what the kernel
/// refused from one file to the next.
pub struct Copier {
    method: Method,
    buf: Vec<u8>,
}

impl Copier {
    /// A copier; the buffer is allocated when a file first needs it.
    pub fn new() -> Self {
        Copier {
            method: Method::CopyFileRange,
            buf: Vec::new(),
        }
    }

    /// Appends the whole of a guest file to `out`, refusing it before reading a byte if
    /// its size is over `max`. `raw` is the file's volume when its bytes can be copied
    /// from the disk image by the kernel. Returns the bytes copied.
    ///
    /// `out` must be a regular file written from its current position to its end (the
    /// copies xlboot creates): holes are skipped by seeking, not written.
    pub fn append(
        &mut self,
        found: &Found<'_, '_>,
        raw: Option<&RawVolume<'_>>,
        out: &File,
        max: u64,
    ) -> Result<u64, CopyError> {
        let size = checked_size(found, max)?;
        let mut offset = 0u64;
        while offset < size {
            let left = size - offset;
            let want = left.min(MAX_KERNEL_RUN);
            let run = found
                .fs
                .stored_run(found.node, offset, want)
                .map_err(CopyError::Guest)?
                // The reader promises 1..=max bytes; anything else is read the plain way.
                .filter(|r| (1..=want).contains(&run_len(r)));
            match run {
                Some(StoredRun::Zeros { len }) => {
                    skip_zeros(out, len, offset + len == size)?;
                    offset += len;
                }
                Some(StoredRun::Data { at, len }) => {
                    let mut done = match raw {
                        Some(raw) if self.method != Method::Buffer => {
                            self.kernel_copy(raw, at, len, out)?
                        }
                        _ => 0,
                    };
                    // What the kernel did not copy goes through the buffer.
                    while done < len {
                        done += self.buffered(found, offset + done, len - done, &mut &*out)?;
                    }
                    offset += len;
                }
                None => offset += self.buffered(found, offset, left, &mut &*out)?,
            }
        }
        Ok(size)
    }

    /// One buffer's worth of the file at `offset`, through [`FileSystem::read_at`].
    ///
    /// [`FileSystem::read_at`]: xlboot_fs::FileSystem::read_at
    fn buffered(
        &mut self,
        found: &Found<'_, '_>,
        offset: u64,
        left: u64,
        out: &mut impl Write,
    ) -> Result<u64, CopyError> {
        if self.buf.is_empty() {
            self.buf = vec![0u8; BUF];
        }
        let want = usize::try_from(left).unwrap_or(BUF).min(BUF);
        let buf = self.buf.get_mut(..want).unwrap_or_default();
        let n = found
            .fs
            .read_at(found.node, offset, buf)
            .map_err(CopyError::Guest)?;
        if n == 0 {
            return Err(CopyError::Guest(FsError::Corrupt(format!(
                "file ends at {offset} bytes, before its size {}",
                offset + left
            ))));
        }
        out.write_all(buf.get(..n).unwrap_or_default())
            .map_err(CopyError::Write)?;
        Ok(n as u64)
    }

    /// Copies `len` bytes at volume offset `at` from the image to `out` in the kernel.
    /// Returns how many were copied: fewer than `len` (possibly none) only when the
    /// kernel refused a method and the rest is left to the next one.
    fn kernel_copy(
        &mut self,
        raw: &RawVolume<'_>,
        at: u64,
        len: u64,
        out: &File,
    ) -> Result<u64, CopyError> {
        let from = raw
            .start
            .checked_add(at)
            .filter(|f| f.checked_add(len).is_some_and(|e| e <= raw.image.size()))
            .ok_or_else(|| {
                CopyError::Guest(FsError::Io(IoError::OutOfRange {
                    offset: raw.start.saturating_add(at),
                    len,
                    size: raw.image.size(),
                }))
            })?;
        let mut pos = i64::try_from(from).map_err(|_| {
            CopyError::Guest(FsError::Corrupt(format!("disk offset {from} overflows")))
        })?;
        let mut done = 0u64;
        while done < len {
            let want = usize::try_from(len - done).unwrap_or(usize::MAX);
            let r = match self.method {
                Method::CopyFileRange => {
                    nix::fcntl::copy_file_range(raw.image.file(), Some(&mut pos), out, None, want)
                }
                Method::Sendfile => {
                    nix::sys::sendfile::sendfile64(out, raw.image.file(), Some(&mut pos), want)
                }
                Method::Buffer => return Ok(done),
            };
            match r {
                Ok(0) => {
                    return Err(CopyError::Guest(FsError::Io(IoError::OutOfRange {
                        offset: from + done,
                        len: len - done,
                        size: raw.image.size(),
                    })))
                }
                Ok(n) => {
                    done += n as u64;
                    raw.image
                        .charge(n as u64)
                        .map_err(|e| CopyError::Guest(FsError::Io(e)))?;
                }
                Err(Errno::EINTR) => {}
                Err(
                    Errno::EXDEV
                    | Errno::EINVAL
                    | Errno::ENOSYS
                    | Errno::EOPNOTSUPP
                    | Errno::EPERM
                    | Errno::EBADF,
                ) => {
                    self.method = match self.method {
                        Method::CopyFileRange => Method::Sendfile,
                        _ => Method::Buffer,
                    };
                }
                Err(e) => return Err(CopyError::Write(std::io::Error::from(e))),
            }
        }
        Ok(done)
    }
}

/// Bytes in a run.
fn run_len(run: &StoredRun) -> u64 {
    match *run {
        StoredRun::Data { len, .. } | StoredRun::Zeros { len } => len,
    }
}

/// Moves `out`'s position `len` bytes on (at most [`MAX_KERNEL_RUN`]), leaving a hole
/// that reads as zeros; at the end of the file (`last`) its final zero is written, so
/// that the file has its full size. Costs no reading and no writing of the zeros,
/// whatever the hole's size.
fn skip_zeros(out: &File, len: u64, last: bool) -> Result<(), CopyError> {
    let gap = if last { len - 1 } else { len };
    let mut out = out;
    out.seek(SeekFrom::Current(
        i64::try_from(gap.min(MAX_KERNEL_RUN)).unwrap_or(0),
    ))
    .map_err(CopyError::Write)?;
    if last {
        out.write_all(&[0]).map_err(CopyError::Write)?;
    }
    Ok(())
}

/// Appends the whole of a guest file to any writer (a hash, a buffer to look the
/// kernel over), through the fixed buffer, refusing it before reading a byte if its
/// size is over `max`. Returns the bytes copied.
pub fn append(found: &Found<'_, '_>, out: &mut impl Write, max: u64) -> Result<u64, CopyError> {
    let size = checked_size(found, max)?;
    let mut copier = Copier::new();
    let mut offset = 0u64;
    while offset < size {
        offset += copier.buffered(found, offset, size - offset, out)?;
    }
    Ok(size)
}

/// The file's size, or a limit error before anything is read if it is over `max`.
fn checked_size(found: &Found<'_, '_>, max: u64) -> Result<u64, CopyError> {
    let size = found
        .fs
        .metadata(found.node)
        .map_err(CopyError::Guest)?
        .size;
    if size > max {
        return Err(CopyError::Guest(FsError::Limit(format!(
            "file is {size} bytes, more than the {max} allowed"
        ))));
    }
    Ok(size)
}

/// Pads `out` with zeros from `len` bytes to the next multiple of 4: GRUB loads each
/// initrd of an entry at a 4-byte aligned address, one after the other.
pub fn pad_to_4(out: &mut impl Write, len: u64) -> Result<u64, CopyError> {
    let pad = (4 - len % 4) % 4;
    out.write_all(&[0u8; 3][..pad as usize])
        .map_err(CopyError::Write)?;
    Ok(len + pad)
}

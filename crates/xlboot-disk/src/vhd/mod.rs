//! VHD (Virtual PC / Hyper-V's first format; QEMU's `vpc`) images, fixed and
//! dynamic, read as the guest sees its disk: a [`BlockDevice`] over the file.
//!
//! A fixed disk is the data followed by the [`footer`]. A dynamic disk has a copy of
//! the footer at the start, a [`dynamic_header`] and a block allocation table: each
//! entry gives the sector where a block starts (a sector bitmap, then the block's
//! data) or 0xFFFFFFFF for a block never written, which reads as zeros. The bitmap
//! matters only for differencing disks, whose unwritten sectors come from a parent
//! image; those are refused as unsupported.
//!
//! The size is the footer's current size, as QEMU uses it for the images it writes.

pub mod dynamic_header;
pub mod footer;

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::block::{check_range, BlockDevice, IoError};
use dynamic_header::DynamicHeader;
use footer::{DiskType, Footer};

pub(crate) fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_be_bytes(*a))
}

pub(crate) fn be64(b: &[u8], off: usize) -> u64 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(0, |a| u64::from_be_bytes(*a))
}

/// Why a VHD could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VhdError {
    /// Damaged.
    Corrupt(String),
    /// Valid, but not read by xlboot (differencing disks).
    Unsupported(String),
    /// The file could not be read.
    Io(IoError),
}

impl From<IoError> for VhdError {
    fn from(e: IoError) -> Self {
        VhdError::Io(e)
    }
}

impl fmt::Display for VhdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VhdError::Corrupt(m) => write!(f, "corrupt {m}"),
            VhdError::Unsupported(m) => write!(f, "unsupported {m}"),
            VhdError::Io(e) => write!(f, "reading the VHD image: {e}"),
        }
    }
}

/// True if `dev` starts with a VHD footer copy (a dynamic disk; QEMU's probe looks
/// only there too: a fixed disk is told only by `--format=vhd`).
pub fn has_cookie_at_start<D: BlockDevice + ?Sized>(dev: &D) -> bool {
    let mut c = [0u8; 8];
    dev.read_exact_at(0, &mut c).is_ok() && c == footer::COOKIE
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    Fixed,
    Dynamic(DynamicHeader),
}

/// A VHD image opened for reading.
#[derive(Debug, Clone)]
pub struct Vhd<D> {
    file: D,
    size: u64,
    layout: Layout,
}

impl<D: BlockDevice> Vhd<D> {
    /// Opens the VHD in `file`: the footer at its end (or, if that is damaged, the
    /// copy at its start, as the format allows for dynamic disks).
    pub fn open(file: D) -> Result<Self, VhdError> {
        let len = file.size();
        let end = len
            .checked_sub(footer::SIZE as u64)
            .ok_or_else(|| VhdError::Corrupt("VHD file shorter than its footer".into()))?;
        let mut b = [0u8; footer::SIZE];
        file.read_exact_at(end, &mut b)?;
        let foot = match Footer::parse(&b, end) {
            Ok(f) => f,
            Err(e) => {
                file.read_exact_at(0, &mut b)?;
                match Footer::parse(&b, 0) {
                    Ok(f) if f.disk_type != DiskType::Fixed => f,
                    _ => return Err(e),
                }
            }
        };
        let layout = match foot.disk_type {
            DiskType::Fixed => {
                if foot.current_size > end {
                    return Err(VhdError::Corrupt(format!(
                        "fixed VHD of {} bytes in a file of {len}",
                        foot.current_size
                    )));
                }
                Layout::Fixed
            }
            DiskType::Differencing => {
                return Err(VhdError::Unsupported(
                    "differencing VHD (its parent image is not read)".into(),
                ))
            }
            DiskType::Dynamic => {
                let mut h = [0u8; dynamic_header::SIZE];
                file.read_exact_at(foot.data_offset, &mut h)?;
                let dh = DynamicHeader::parse(&h, foot.data_offset)?;
                let blocks = foot.current_size.div_ceil(u64::from(dh.block_size));
                if u64::from(dh.max_table_entries) < blocks {
                    return Err(VhdError::Corrupt(format!(
                        "VHD block table of {} entries covers less than the disk size {}",
                        dh.max_table_entries, foot.current_size
                    )));
                }
                Layout::Dynamic(dh)
            }
        };
        Ok(Vhd {
            file,
            size: foot.current_size,
            layout,
        })
    }
}

impl<D: BlockDevice> BlockDevice for Vhd<D> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.size)?;
        let dh = match self.layout {
            Layout::Fixed => return self.file.read_exact_at(offset, buf),
            Layout::Dynamic(dh) => dh,
        };
        let block_size = u64::from(dh.block_size);
        // The sector bitmap before each block: one bit per sector, whole sectors.
        let bitmap = (block_size >> 12).max(1).next_multiple_of(512);
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset.saturating_add(done as u64);
            let block = pos >> dh.block_size.trailing_zeros();
            let in_block = pos & block_size.saturating_sub(1);
            let n = usize::try_from(block_size.saturating_sub(in_block))
                .unwrap_or(usize::MAX)
                .min(buf.len().saturating_sub(done))
                .max(1);
            let end = done.saturating_add(n);
            let part = buf.get_mut(done..end).ok_or(IoError::OutOfRange {
                offset: pos,
                len: n as u64,
                size: self.size,
            })?;
            let mut e = [0u8; 4];
            self.file.read_exact_at(
                dh.table_offset.saturating_add(block.saturating_mul(4)),
                &mut e,
            )?;
            let sector = u32::from_be_bytes(e);
            if sector == u32::MAX {
                part.fill(0);
            } else {
                let at = u64::from(sector)
                    .saturating_mul(512)
                    .saturating_add(bitmap)
                    .saturating_add(in_block);
                self.file.read_exact_at(at, part).map_err(|e| match e {
                    IoError::OutOfRange { .. } => IoError::Image {
                        offset: pos,
                        what: format!("VHD block {block} at file sector {sector} lies past the end of the file"),
                    },
                    other => other,
                })?;
            }
            done = end;
        }
        Ok(())
    }
}

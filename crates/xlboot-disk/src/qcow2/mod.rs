//! qcow2 images (versions 2 and 3), read as the guest sees its disk: a
//! [`BlockDevice`] over the image file's [`BlockDevice`].
//!
//! A guest offset is looked up through the two-level table: its L1 entry gives the
//! L2 table, its L2 entry ([`l2_entry`]) the cluster: data at a host offset, zeros
//! (the v3 zero flag, or the extended-L2 "reads as zero" bit of a subcluster), a
//! compressed cluster (raw deflate or zstd, decompressed whole through the caller's
//! [`Decompress`]), or unallocated, read from the backing image (zeros past its end,
//! or with none). Entries are read from the file as needed; only the last
//! decompressed cluster is kept. Every host offset is checked against the file's end
//! and its alignment; nothing here loops over more clusters than a read spans.
//!
//! Backing files: [`Header::backing_file`] and [`Header::backing_format`] say what
//! the image names; opening it is the caller's business (and its security rules: it
//! chooses whether and how a name written by whoever made the image is followed).

pub mod header;
pub mod l2_entry;
pub mod zstd_frame;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use crate::block::{check_range, BlockDevice, IoError};
pub use header::{Compression, Header};
use l2_entry::{Cluster, L2Entry};

/// Why a qcow2 image could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Qcow2Error {
    /// Damaged header.
    Corrupt(String),
    /// Valid, but not something xlboot reads (encryption, an external data file).
    Unsupported(String),
    /// The file could not be read.
    Io(IoError),
}

impl From<IoError> for Qcow2Error {
    fn from(e: IoError) -> Self {
        Qcow2Error::Io(e)
    }
}

impl fmt::Display for Qcow2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qcow2Error::Corrupt(m) => write!(f, "corrupt {m}"),
            Qcow2Error::Unsupported(m) => write!(f, "unsupported {m}"),
            Qcow2Error::Io(e) => write!(f, "reading the qcow2 image: {e}"),
        }
    }
}

/// Decompresses one compressed cluster: `(codec, compressed bytes, cluster size)`
/// to exactly... at most the cluster size; `Err` says why not. Supplied by the caller
/// (the binary wires in `xlboot-compress`), so this crate stays free of codecs.
pub type Decompress = fn(Compression, &[u8], usize) -> Result<Vec<u8>, String>;

/// A qcow2 image opened for reading.
pub struct Qcow2<'b, D> {
    file: D,
    header: Header,
    cluster_size: u64,
    backing: Option<Box<dyn BlockDevice + 'b>>,
    decompress: Option<Decompress>,
    /// The last decompressed cluster: (host offset of its data, bytes).
    last: RefCell<Option<(u64, Vec<u8>)>>,
}

impl<D> fmt::Debug for Qcow2<'_, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Qcow2")
            .field("header", &self.header)
            .field("backing", &self.backing.is_some())
            .finish()
    }
}

impl<'b, D: BlockDevice> Qcow2<'b, D> {
    /// Opens the qcow2 image in `file`. `backing` is the image its unallocated
    /// clusters read from (the caller opened what [`Header::backing_file`] names,
    /// or nothing: then they read as zeros, which is only right for an image
    /// without a backing file). `decompress` is needed for compressed clusters.
    pub fn open(
        file: D,
        backing: Option<Box<dyn BlockDevice + 'b>>,
        decompress: Option<Decompress>,
    ) -> Result<Self, Qcow2Error> {
        let header = Header::read(&file)?;
        let cluster_size = 1u64 << header.cluster_bits;
        Ok(Qcow2 {
            file,
            header,
            cluster_size,
            backing,
            decompress,
            last: RefCell::new(None),
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn image_error(&self, offset: u64, what: String) -> IoError {
        IoError::Image { offset, what }
    }

    /// The L2 entry of the cluster holding guest offset `pos`.
    fn entry(&self, pos: u64) -> Result<L2Entry, IoError> {
        let bits = self.header.cluster_bits;
        let entry_size: u64 = if self.header.extended_l2 { 16 } else { 8 };
        let l2_bits = bits.saturating_sub(if self.header.extended_l2 { 4 } else { 3 });
        let cluster_index = pos >> bits;
        let l1_index = cluster_index >> l2_bits;
        let l2_index = cluster_index & ((1u64 << l2_bits).saturating_sub(1));
        if l1_index >= u64::from(self.header.l1_size) {
            return Err(self.image_error(pos, format!("L1 index {l1_index} past the L1 table")));
        }
        let mut raw = [0u8; 8];
        let l1_at = self
            .header
            .l1_table_offset
            .saturating_add(l1_index.saturating_mul(8));
        self.file.read_exact_at(l1_at, &mut raw)?;
        let l2_table = u64::from_be_bytes(raw) & l2_entry::OFFSET_MASK;
        if l2_table == 0 {
            return Ok(L2Entry::unallocated());
        }
        if l2_table & self.cluster_size.saturating_sub(1) != 0 {
            return Err(self.image_error(
                pos,
                format!("L1 entry at file offset {l1_at} points to an unaligned L2 table"),
            ));
        }
        let at = l2_table.saturating_add(l2_index.saturating_mul(entry_size));
        let mut e = [0u8; 16];
        let e = e
            .get_mut(..usize::try_from(entry_size).unwrap_or(8))
            .unwrap_or(&mut []);
        self.file.read_exact_at(at, e)?;
        L2Entry::parse(e, &self.header, at).map_err(|what| self.image_error(pos, what))
    }

    /// Fills `buf` from the backing image at `pos` (zeros past its end, or without one).
    fn read_backing(&self, pos: u64, buf: &mut [u8]) -> Result<(), IoError> {
        buf.fill(0);
        let Some(b) = &self.backing else {
            return Ok(());
        };
        let size = b.size();
        if pos >= size {
            return Ok(());
        }
        let n = usize::try_from(size.saturating_sub(pos))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        b.read_exact_at(pos, buf.get_mut(..n).unwrap_or(&mut []))
    }

    fn read_compressed(
        &self,
        pos: u64,
        host: u64,
        len: u64,
        in_cluster: u64,
        buf: &mut [u8],
    ) -> Result<(), IoError> {
        let hit = matches!(&*self.last.borrow(), Some((h, _)) if *h == host);
        if !hit {
            let decompress = self.decompress.ok_or_else(|| {
                self.image_error(pos, "compressed clusters need a decompressor".into())
            })?;
            // The compressed data may run up to the end of the file but not past it.
            let len = len.min(self.file.size().saturating_sub(host));
            let mut input = alloc::vec![0u8; usize::try_from(len).unwrap_or(0)];
            self.file.read_exact_at(host, &mut input)?;
            let cs = usize::try_from(self.cluster_size).unwrap_or(0);
            if self.header.compression == Compression::Zstd {
                // Only this cluster's frame: the next cluster's may follow it.
                let n = zstd_frame::frame_len(&input).ok_or_else(|| {
                    self.image_error(
                        pos,
                        format!("compressed cluster at file offset {host}: no whole zstd frame"),
                    )
                })?;
                input.truncate(n);
            }
            let mut out = decompress(self.header.compression, &input, cs).map_err(|e| {
                self.image_error(
                    pos,
                    format!("compressed cluster at file offset {host}: {e}"),
                )
            })?;
            // QEMU pads a short last cluster with zeros when it reads.
            out.resize(cs, 0);
            *self.last.borrow_mut() = Some((host, out));
        }
        let last = self.last.borrow();
        let data = last.as_ref().map(|(_, d)| d.as_slice()).unwrap_or(&[]);
        let start = usize::try_from(in_cluster).unwrap_or(usize::MAX);
        let src = data
            .get(start..)
            .and_then(|s| s.get(..buf.len()))
            .ok_or_else(|| self.image_error(pos, "compressed cluster too short".into()))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl<D: BlockDevice> BlockDevice for Qcow2<'_, D> {
    fn size(&self) -> u64 {
        self.header.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.header.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset.saturating_add(done as u64);
            let entry = self.entry(pos)?;
            let in_cluster = pos & self.cluster_size.saturating_sub(1);
            let (cluster, run) = entry.at(in_cluster, self.cluster_size);
            let n = usize::try_from(run)
                .unwrap_or(usize::MAX)
                .min(buf.len().saturating_sub(done))
                .max(1);
            let end = done.saturating_add(n);
            let part = buf.get_mut(done..end).ok_or(IoError::OutOfRange {
                offset: pos,
                len: n as u64,
                size: self.header.size,
            })?;
            match cluster {
                Cluster::Data(host) => {
                    self.file.read_exact_at(host, part).map_err(|e| match e {
                        IoError::OutOfRange { .. } => self.image_error(
                            pos,
                            format!(
                                "cluster data at file offset {host} lies past the end of the file"
                            ),
                        ),
                        other => other,
                    })?;
                }
                Cluster::Zero => part.fill(0),
                Cluster::Unallocated => self.read_backing(pos, part)?,
                Cluster::Compressed { host, len } => {
                    self.read_compressed(pos, host, len, in_cluster, part)?;
                }
            }
            done = end;
        }
        Ok(())
    }
}

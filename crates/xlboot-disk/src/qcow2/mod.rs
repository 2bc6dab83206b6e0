//! qcow2 images (versions 2 and 3), read as the guest sees its disk: a
//! [`BlockDevice`] over the image file's [`BlockDevice`].
//!
//! A guest offset is looked up through the two-level table: its L1 entry gives the
//! L2 table, its L2 entry ([`l2_entry`]) the cluster: data at a host offset, zeros
//! (the v3 zero flag, or the extended-L2 "reads as zero" bit of a subcluster), a
//! compressed cluster (raw deflate or zstd, decompressed whole through the caller's
//! [`Decompress`]), or unallocated, read from the backing image (zeros past its end,
//! or with none). Every host offset is checked against the file's end and its
//! alignment; nothing here loops over more clusters than a read spans.
//!
//! What is kept between reads, all of fixed size: the last L1 entry looked up, a
//! window of up to [`L2_WINDOW`] bytes of the last L2 table read (512 entries, 32 MiB
//! of guest data with the default 64 KiB clusters), and the last decompressed
//! cluster. A read over clusters that lie one after another in the file is one read
//! of the file: a kernel copied out of a freshly written image costs a read per run,
//! not three per cluster.
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

/// Bytes of an L2 table read at once and kept (a whole number of entries of either
/// size, and at most one cluster, the smallest being 512 bytes).
pub const L2_WINDOW: u64 = 4096;

/// Part of one L2 table, as read from the file.
struct L2Window {
    /// File offset of the table.
    table: u64,
    /// Index of the first entry held.
    first: u64,
    /// The entries' bytes.
    bytes: Vec<u8>,
}

/// A qcow2 image opened for reading.
pub struct Qcow2<'b, D> {
    file: D,
    header: Header,
    cluster_size: u64,
    backing: Option<Box<dyn BlockDevice + 'b>>,
    decompress: Option<Decompress>,
    /// The last decompressed cluster: (host offset of its data, bytes).
    last: RefCell<Option<(u64, Vec<u8>)>>,
    /// The last L1 entry looked up: (L1 index, L2 table offset).
    l1_last: core::cell::Cell<Option<(u64, u64)>>,
    /// The part of an L2 table read last.
    l2_window: RefCell<Option<L2Window>>,
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
            l1_last: core::cell::Cell::new(None),
            l2_window: RefCell::new(None),
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
        let l2_table = self.l1_entry(pos, l1_index)?;
        if l2_table == 0 {
            return Ok(L2Entry::unallocated());
        }
        let at = l2_table.saturating_add(l2_index.saturating_mul(entry_size));
        let mut window = self.l2_window.borrow_mut();
        let cached = window
            .as_ref()
            .is_some_and(|w| w.table == l2_table && Self::window_has(w, l2_index, entry_size));
        if !cached {
            *window = Some(self.read_window(pos, l2_table, l2_index, entry_size)?);
        }
        let w = window
            .as_ref()
            .ok_or_else(|| self.image_error(pos, "L2 table not read".into()))?;
        let start = usize::try_from(l2_index.saturating_sub(w.first).saturating_mul(entry_size))
            .unwrap_or(usize::MAX);
        let raw = w
            .bytes
            .get(start..)
            .and_then(|b| b.get(..usize::try_from(entry_size).unwrap_or(8)))
            .ok_or_else(|| {
                self.image_error(pos, format!("L2 entry at file offset {at} not read"))
            })?;
        L2Entry::parse(raw, &self.header, at).map_err(|what| self.image_error(pos, what))
    }

    /// The L2 table offset in L1 entry `l1_index` (0: none), checked for alignment.
    fn l1_entry(&self, pos: u64, l1_index: u64) -> Result<u64, IoError> {
        if let Some((index, table)) = self.l1_last.get() {
            if index == l1_index {
                return Ok(table);
            }
        }
        let mut raw = [0u8; 8];
        let l1_at = self
            .header
            .l1_table_offset
            .saturating_add(l1_index.saturating_mul(8));
        self.file.read_exact_at(l1_at, &mut raw)?;
        let l2_table = u64::from_be_bytes(raw) & l2_entry::OFFSET_MASK;
        if l2_table & self.cluster_size.saturating_sub(1) != 0 {
            return Err(self.image_error(
                pos,
                format!("L1 entry at file offset {l1_at} points to an unaligned L2 table"),
            ));
        }
        self.l1_last.set(Some((l1_index, l2_table)));
        Ok(l2_table)
    }

    fn window_has(w: &L2Window, index: u64, entry_size: u64) -> bool {
        let held = (w.bytes.len() as u64).checked_div(entry_size).unwrap_or(0);
        index.checked_sub(w.first).is_some_and(|i| i < held)
    }

    /// Reads the window of the L2 table at `table` that holds entry `index`: up to
    /// [`L2_WINDOW`] bytes, within the table (one cluster) and the file.
    fn read_window(
        &self,
        pos: u64,
        table: u64,
        index: u64,
        entry_size: u64,
    ) -> Result<L2Window, IoError> {
        let per_window = L2_WINDOW.checked_div(entry_size).unwrap_or(1).max(1);
        let first = index.saturating_sub(index.checked_rem(per_window).unwrap_or(0));
        let from = table.saturating_add(first.saturating_mul(entry_size));
        let table_end = table.saturating_add(self.cluster_size);
        let len = L2_WINDOW
            .min(table_end.saturating_sub(from))
            .min(self.file.size().saturating_sub(from));
        let needed = index
            .saturating_sub(first)
            .saturating_add(1)
            .saturating_mul(entry_size);
        if len < needed {
            let at = table.saturating_add(index.saturating_mul(entry_size));
            return Err(self.image_error(
                pos,
                format!("L2 entry at file offset {at} lies past the end of the file"),
            ));
        }
        let mut bytes = alloc::vec![0u8; usize::try_from(len).unwrap_or(0)];
        self.file.read_exact_at(from, &mut bytes)?;
        Ok(L2Window {
            table,
            first,
            bytes,
        })
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

impl<'b, D: BlockDevice> Qcow2<'b, D> {
    /// How many of the `wanted` bytes from guest offset `pos` lie one after another in
    /// the file from `host`, given that the first `first` do (the rest of the first
    /// cluster's run): later clusters count while their data starts where the run
    /// ends. Bounded by `wanted`, so by the caller's buffer.
    fn contiguous(
        &self,
        pos: u64,
        host: u64,
        first: usize,
        wanted: usize,
    ) -> Result<usize, IoError> {
        let mut n = first;
        while n < wanted {
            let next = pos.saturating_add(n as u64);
            if next >= self.header.size {
                break;
            }
            let in_cluster = next & self.cluster_size.saturating_sub(1);
            let (cluster, run) = self.entry(next)?.at(in_cluster, self.cluster_size);
            match cluster {
                Cluster::Data(h) if h == host.saturating_add(n as u64) => {
                    let run = usize::try_from(run).unwrap_or(usize::MAX).max(1);
                    n = n.saturating_add(run).min(wanted);
                }
                _ => break,
            }
        }
        Ok(n)
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
            let mut n = usize::try_from(run)
                .unwrap_or(usize::MAX)
                .min(buf.len().saturating_sub(done))
                .max(1);
            if let Cluster::Data(host) = cluster {
                // The clusters after this one, while they follow it in the file.
                n = self.contiguous(pos, host, n, buf.len().saturating_sub(done))?;
            }
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

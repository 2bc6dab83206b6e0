//! squashfs 4, read-only: the compressed filesystem of live media, appliances and
//! some container-style guests. GRUB reads it as `squash4` (without UUID or label).
//!
//! One file per on-disk structure: `superblock`, `compressor` (id and options),
//! `metadata` (the 8 KiB metadata blocks every table is made of), `inode` (all basic
//! and extended types), `dir` (listings and the directory index), `fragment` (the
//! fragment table), `data` (data block size words); `cache` holds the decompressed
//! blocks.
//!
//! Read: gzip, lzma, lzo, xz (BCJ filters included), lz4 and zstd through
//! `xlboot-compress`; data blocks, tail ends in fragment blocks, sparse blocks; 4 KiB
//! to 1 MiB blocks. Extended attributes, the id table and the export table are never
//! read (nothing here needs owners or NFS handles).
//!
//! Unlike ext4, which reads uncompressed blocks in place, every read here may need a
//! decompression, so decompressed blocks are cached: the last [`META_CACHE`] metadata
//! blocks and the last [`DATA_CACHE`] data or fragment blocks, a bounded amount
//! (at most 512 KiB and 4 MiB). Reading a file in chunks that do not line up with its
//! blocks decompresses each block once, and the position in a file's block list is
//! remembered between reads, so reading a file front to back walks its list once.
//! A node id is the inode's reference (block and offset in the inode table), which is
//! also what directory entries hold, so hard links share one node.

mod cache;
mod compressor;
mod data;
mod dir;
mod fragment;
mod inode;
mod metadata;
mod superblock;

use alloc::format;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ops::ControlFlow;

use xlboot_compress::decompress;
use xlboot_disk::BlockDevice;

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId};
use cache::Cache;
use data::BlockSize;
use inode::{Body, FileInode, Inode, NO_FRAGMENT};
use metadata::{MetaBlock, MetaPos, MetaReader, Table};
use superblock::{Superblock, FLAG_COMPRESSOR_OPTIONS, SUPERBLOCK_SIZE};

/// Metadata blocks kept decompressed (8 KiB each).
pub const META_CACHE: usize = 64;
/// Data and fragment blocks kept decompressed (at most 1 MiB each).
pub const DATA_CACHE: usize = 4;

/// Where the last read of a file stopped in its block list.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// The file's inode reference.
    iref: u64,
    /// A block number of the file.
    index: u64,
    /// Disk offset of that block.
    disk: u64,
    /// Position of its size word in the inode table.
    list: MetaPos,
}

/// An open squashfs 4 filesystem.
pub struct Squashfs<D> {
    dev: D,
    sb: Superblock,
    meta: Cache<MetaBlock>,
    data: Cache<Vec<u8>>,
    cursor: RefCell<Option<Cursor>>,
    decompressed: Cell<u64>,
}

impl<D> core::fmt::Debug for Squashfs<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Squashfs")
            .field("sb", &self.sb)
            .finish_non_exhaustive()
    }
}

/// Opens `dev` as squashfs if it starts with a squashfs magic.
///
/// `Ok(None)`: no magic, so another reader may try. `Err`: squashfs, but corrupt, of
/// another version than 4.0, or using an unknown compressor. The root directory is read
/// once here so that a broken image fails at probe time.
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Squashfs<D>>, FsError> {
    if dev.size() < SUPERBLOCK_SIZE as u64 {
        return Ok(None);
    }
    let mut raw = [0u8; SUPERBLOCK_SIZE];
    dev.read_exact_at(0, &mut raw)?;
    if !superblock::has_magic(&raw) {
        return Ok(None);
    }
    let sb = Superblock::parse(&raw, dev.size())?;
    let fs = Squashfs {
        dev,
        sb,
        meta: Cache::new(META_CACHE),
        data: Cache::new(DATA_CACHE),
        cursor: RefCell::new(None),
        decompressed: Cell::new(0),
    };
    if fs.sb.flags & FLAG_COMPRESSOR_OPTIONS != 0 {
        let table = Table {
            name: "compressor options",
            start: SUPERBLOCK_SIZE as u64,
            end: fs.sb.bytes_used,
        };
        let opts = metadata::read_block(
            &fs.dev,
            fs.sb.compressor.codec(),
            SUPERBLOCK_SIZE as u64,
            &table,
        )?;
        fs.sb.compressor.check_options(&opts.data)?;
    }
    let root = fs.inode(fs.sb.root_inode)?;
    if root.kind() != FileKind::Directory {
        return Err(FsError::Corrupt(format!(
            "squashfs: the root inode ({}) is not a directory",
            root.number
        )));
    }
    Ok(Some(fs))
}

impl<D: BlockDevice> Squashfs<D> {
    /// Like [`probe`], but a missing magic is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no squashfs superblock magic".into()))
    }

    /// Data block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// The compressor's name, as `mksquashfs -comp` takes it.
    pub fn compressor(&self) -> &'static str {
        self.sb.compressor.name()
    }

    /// How many blocks (metadata, data, fragment) have been decompressed so far:
    /// with the caches, each block of a file read front to back is decompressed once.
    pub fn blocks_decompressed(&self) -> u64 {
        self.decompressed.get()
    }

    /// The inode table's extent.
    fn inode_table(&self) -> Table {
        Table {
            name: "inode",
            start: self.sb.inode_table,
            end: self.sb.directory_table,
        }
    }

    /// The directory table's extent (it ends where the tables after it start, which
    /// the superblock does not say; the image's end bounds it).
    fn directory_table(&self) -> Table {
        Table {
            name: "directory",
            start: self.sb.directory_table,
            end: self.sb.bytes_used,
        }
    }

    /// The fragment table's metadata blocks may be anywhere in the image.
    fn whole_image(&self) -> Table {
        Table {
            name: "fragment",
            start: SUPERBLOCK_SIZE as u64,
            end: self.sb.bytes_used,
        }
    }

    /// The metadata block at `at`, from the cache or decompressed into it.
    fn meta_block(&self, at: u64, table: &Table) -> Result<Rc<MetaBlock>, FsError> {
        if at < table.start || at >= table.end {
            return Err(FsError::Corrupt(format!(
                "squashfs {} table: metadata block at byte {at} is outside it (bytes {} to {})",
                table.name, table.start, table.end
            )));
        }
        if let Some(block) = self.meta.get(at) {
            return Ok(block);
        }
        let block = Rc::new(metadata::read_block(
            &self.dev,
            self.sb.compressor.codec(),
            at,
            table,
        )?);
        self.count_decompression();
        self.meta.insert(at, Rc::clone(&block));
        Ok(block)
    }

    fn count_decompression(&self) {
        self.decompressed
            .set(self.decompressed.get().saturating_add(1));
    }

    fn inode(&self, iref: u64) -> Result<Inode, FsError> {
        inode::read(self, iref)
    }

    /// A data or fragment block, decompressed (from the cache if it is there).
    /// `expected`: the exact decompressed length, when known (data blocks).
    fn block(
        &self,
        disk: u64,
        size: BlockSize,
        expected: Option<usize>,
        what: &dyn Fn() -> alloc::string::String,
    ) -> Result<Rc<Vec<u8>>, FsError> {
        let block = match self.data.get(disk) {
            Some(b) => b,
            None => {
                let end = disk.saturating_add(u64::from(size.disk));
                if end > self.sb.bytes_used {
                    return Err(FsError::Corrupt(format!(
                        "squashfs: {}: {} bytes at byte {disk} run past the image ({} bytes)",
                        what(),
                        size.disk,
                        self.sb.bytes_used
                    )));
                }
                let mut raw = vec![0u8; usize::try_from(size.disk).unwrap_or(0)];
                self.dev.read_exact_at(disk, &mut raw)?;
                let out = if size.uncompressed {
                    raw
                } else {
                    let max = usize::try_from(self.sb.block_size).unwrap_or(usize::MAX);
                    let out = decompress(self.sb.compressor.codec(), &raw, max)
                        .map_err(|e| metadata::decompress_error(&what(), disk, &e))?;
                    self.count_decompression();
                    out
                };
                let b = Rc::new(out);
                self.data.insert(disk, Rc::clone(&b));
                b
            }
        };
        if let Some(len) = expected {
            if block.len() != len {
                return Err(FsError::Corrupt(format!(
                    "squashfs: {}: {} bytes, {len} expected",
                    what(),
                    block.len()
                )));
            }
        }
        Ok(block)
    }

    /// Disk offset and size word of block `index` of a file, walking its block list
    /// from where the last read of the same file stopped (or from the start).
    fn locate(&self, iref: u64, file: &FileInode, index: u64) -> Result<(u64, BlockSize), FsError> {
        let saved = *self.cursor.borrow();
        let mut cur = saved
            .filter(|c| c.iref == iref && c.index <= index)
            .unwrap_or(Cursor {
                iref,
                index: 0,
                disk: file.blocks_start,
                list: file.sizes_at,
            });
        let mut r = MetaReader::new(self, cur.list, self.inode_table());
        let bs = self.sb.block_size;
        // One size word per step, at most `index` steps; the list is in the inode
        // table, so a corrupt count ends at the table's end.
        while cur.index < index {
            let size = BlockSize::parse(r.u32()?, bs)
                .map_err(|e| self.block_error(iref, cur.index, &e))?;
            cur.disk = cur.disk.saturating_add(u64::from(size.disk));
            cur.index = cur.index.saturating_add(1);
        }
        let list = r.pos();
        let size = BlockSize::parse(r.u32()?, bs).map_err(|e| self.block_error(iref, index, &e))?;
        *self.cursor.borrow_mut() = Some(Cursor {
            iref,
            index,
            disk: cur.disk,
            list,
        });
        Ok((cur.disk, size))
    }

    fn block_error(&self, iref: u64, index: u64, what: &str) -> FsError {
        FsError::Corrupt(format!(
            "squashfs: file inode {iref:#x}, block {index}: {what}"
        ))
    }

    /// Reads file bytes at `offset`, clamped to the file size.
    fn read_file(
        &self,
        ino: &Inode,
        file: &FileInode,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        if offset >= file.size {
            return Ok(0);
        }
        let avail = file.size.saturating_sub(offset);
        let want = usize::try_from(avail).map_or(buf.len(), |a| a.min(buf.len()));
        let bs = u64::from(self.sb.block_size);
        let number = ino.number;
        let mut done = 0usize;
        // Each pass copies at least one byte: a block or tail holds the position.
        while done < want {
            let pos = offset.saturating_add(done as u64);
            let index = pos.checked_div(bs).unwrap_or(0);
            let in_block = pos.checked_rem(bs).unwrap_or(0);
            let block_start = index.saturating_mul(bs);
            let remaining = want.saturating_sub(done);
            let (src_len, chunk_src): (u64, Option<Rc<Vec<u8>>>);
            let mut src_off = usize::try_from(in_block).unwrap_or(0);
            if index < file.block_count {
                let len = bs.min(file.size.saturating_sub(block_start));
                let (disk, size) = self.locate(ino.iref, file, index)?;
                let what = || format!("inode {number}, data block {index}");
                if size.is_sparse() {
                    src_len = len;
                    chunk_src = None;
                } else {
                    let len_usize = usize::try_from(len).unwrap_or(0);
                    chunk_src = Some(self.block(disk, size, Some(len_usize), &what)?);
                    src_len = len;
                }
            } else if file.fragment != NO_FRAGMENT {
                let tail = file.size.saturating_sub(block_start);
                let (disk, size) = fragment::entry(self, file.fragment)?;
                let what = || format!("inode {number}, fragment block {}", file.fragment);
                let block = self.block(disk, size, None, &what)?;
                let start = usize::try_from(file.frag_offset).unwrap_or(usize::MAX);
                let end = start.saturating_add(usize::try_from(tail).unwrap_or(usize::MAX));
                if end > block.len() {
                    return Err(FsError::Corrupt(format!(
                        "squashfs: inode {number}: tail of {tail} bytes at offset {start} of \
                         fragment {} ({} bytes)",
                        file.fragment,
                        block.len()
                    )));
                }
                src_off = src_off.saturating_add(start);
                src_len = tail;
                chunk_src = Some(block);
            } else {
                return Err(FsError::Corrupt(format!(
                    "squashfs: inode {number}: byte {pos} is past its {} blocks",
                    file.block_count
                )));
            }
            let n = usize::try_from(src_len.saturating_sub(in_block))
                .map_or(remaining, |a| a.min(remaining));
            if n == 0 {
                return Err(FsError::Corrupt(format!(
                    "squashfs: inode {number}: no data at byte {pos}"
                )));
            }
            let end = done.saturating_add(n);
            let dst = buf.get_mut(done..end).ok_or_else(|| {
                FsError::Corrupt(format!("squashfs: inode {number}: read bookkeeping"))
            })?;
            match chunk_src {
                None => dst.fill(0),
                Some(block) => {
                    let src = block
                        .get(src_off..src_off.saturating_add(n))
                        .ok_or_else(|| {
                            FsError::Corrupt(format!(
                                "squashfs: inode {number}: block shorter than its file part"
                            ))
                        })?;
                    dst.copy_from_slice(src);
                }
            }
            done = end;
        }
        Ok(want)
    }

    fn dir_of(&self, node: NodeId) -> Result<(Inode, inode::DirInode), FsError> {
        let i = self.inode(node.0)?;
        match &i.body {
            Body::Dir(d) => {
                let d = *d;
                Ok((i, d))
            }
            _ => Err(FsError::WrongKind(format!(
                "squashfs inode {} is not a directory",
                i.number
            ))),
        }
    }
}

/// No [`FileSystem::stored_run`] (the default: always `None`): a squashfs file's data
/// blocks are compressed unless `mksquashfs -noD` was asked, and its tail is packed
/// with other files' tails into a fragment block, compressed too; every byte is read
/// through `read_at` and its decompressor.
impl<D: BlockDevice> FileSystem for Squashfs<D> {
    fn info(&self) -> FsInfo {
        // GRUB's squash4 has neither: `grub-probe -t fs_uuid` says "squash4 does not
        // support UUIDs".
        FsInfo {
            fs_type: "squash4",
            uuid: None,
            label: None,
        }
    }

    fn root(&self) -> NodeId {
        NodeId(self.sb.root_inode)
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        let (i, d) = self.dir_of(dir)?;
        if name.is_empty() || name.len() > 256 || name.contains(&b'/') {
            return Ok(None);
        }
        let start = dir::index_start(self, &d, i.number, name)?;
        let mut found = None;
        dir::walk(self, &d, i.number, start, &mut |entry, iref| {
            if entry == name {
                found = Some(iref);
                return Ok(ControlFlow::Break(()));
            }
            // Listings are sorted: past the name, it is not there.
            if entry > name {
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(found.map(NodeId))
    }

    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError> {
        let i = self.inode(node.0)?;
        Ok(Metadata {
            kind: i.kind(),
            size: i.size(),
        })
    }

    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError> {
        let i = self.inode(node.0)?;
        let Body::Symlink { len, at } = i.body else {
            return Err(FsError::WrongKind(format!(
                "squashfs inode {} is not a symbolic link",
                i.number
            )));
        };
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= max_len)
            .ok_or_else(|| {
                FsError::Limit(format!(
                    "squashfs: symlink inode {} is {len} bytes long, over the {max_len}-byte cap",
                    i.number
                ))
            })?;
        let mut out = vec![0u8; len];
        MetaReader::new(self, at, self.inode_table()).read(&mut out)?;
        Ok(out)
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let i = self.inode(node.0)?;
        match &i.body {
            Body::File(f) => {
                let f = *f;
                self.read_file(&i, &f, offset, buf)
            }
            Body::Dir(_) => Err(FsError::WrongKind(format!(
                "squashfs inode {} is a directory",
                i.number
            ))),
            Body::Symlink { .. } => Err(FsError::WrongKind(format!(
                "squashfs inode {} is a symbolic link",
                i.number
            ))),
            Body::Other => Err(FsError::WrongKind(format!(
                "squashfs inode {} is not a regular file (a device, FIFO or socket)",
                i.number
            ))),
        }
    }

    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError> {
        let (i, d) = self.dir_of(dir)?;
        let mut budget = EntryBudget::new(max_entries);
        let start = dir::listing_start(self, &d);
        dir::walk(self, &d, i.number, start, &mut |name, iref| {
            budget.take(|| format!("squashfs: directory inode {}", i.number))?;
            Ok(f(name, NodeId(iref)))
        })
    }
}

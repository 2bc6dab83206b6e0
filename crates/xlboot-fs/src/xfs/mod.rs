//! XFS, versions 4 and 5, read-only.
//!
//! One file per on-disk structure: `superblock`, `inode` (cores v1 to v3 and the data
//! fork), `extent` (extent records), `bmbt` (the block-mapping B+tree), `dir_sf`
//! (short-form directories), `dir_data` (directory data blocks), `symlink` (remote
//! symlink blocks), `log` (is the log clean?) and `checksum` (the v5 CRC32C).
//!
//! Read: v4 (with or without `ftype`, v1 and v2 inodes) and v5 with the features
//! of current `mkfs.xfs` and its common options (`finobt`, `rmapbt`, `reflink`,
//! sparse inodes, `bigtime`, `inobtcount`, `nrext64`, `meta_uuid`); 512-byte to
//! 64 KiB blocks and directory blocks; data forks in local, extent and B-tree
//! format, holes and unwritten extents reading as zeros; directories in every format
//! (short-form, block, leaf, node, B-tree), scanned through their data blocks, so
//! lookups are linear in the directory's size (bounded by [`MAX_DIR_BYTES`]);
//! `-n version=ci` names compared ASCII-case-insensitively. On v5 the CRC of every
//! structure read (superblock, inodes, bmbt blocks, directory blocks, remote symlink
//! blocks) is verified, with its owner, block number and UUID.
//!
//! Refused, named: unknown incompatible features, `needsrepair`, realtime files,
//! external logs, and a dirty log (see `log`: it is detected, not replayed).
//!
//! Nothing is cached between calls: every operation reads the inode it needs.

mod bmbt;
mod checksum;
mod dir_data;
mod dir_sf;
mod extent;
mod inode;
mod log;
mod superblock;
mod symlink;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId, StoredRun};
use extent::Run;
use inode::{Format, Inode};
use superblock::{Superblock, SB_LEN};

/// Largest directory this reader scans (its data blocks), far beyond any boot
/// directory; it bounds the work a hostile directory size can cause.
pub const MAX_DIR_BYTES: u64 = 256 << 20;

/// Directory data blocks live below this byte offset; leaf and free-index blocks
/// (`XFS_DIR2_LEAF_OFFSET`, `XFS_DIR2_FREE_OFFSET`) above it are not read.
const DIR_LEAF_OFFSET: u64 = 1 << 35;

/// Callback over directory entries: name and inode number.
pub(crate) type EntryFn<'a> = dyn FnMut(&[u8], u64) -> Result<ControlFlow<()>, FsError> + 'a;

/// An open XFS filesystem.
pub struct Xfs<D> {
    dev: D,
    sb: Superblock,
}

impl<D> core::fmt::Debug for Xfs<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Xfs")
            .field("sb", &self.sb)
            .finish_non_exhaustive()
    }
}

/// Opens `dev` as XFS if it carries the XFS superblock magic.
///
/// `Ok(None)`: no magic, so another reader may try. `Err`: XFS, but corrupt, with a
/// dirty log, or using a feature this reader refuses (named in the error). The log is
/// checked and the root directory read here, so that such a volume fails at probe.
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Xfs<D>>, FsError> {
    let mut head = [0u8; SB_LEN];
    if dev.size() < SB_LEN as u64 {
        return Ok(None);
    }
    dev.read_exact_at(0, &mut head)?;
    if !Superblock::has_magic(&head) {
        return Ok(None);
    }
    // The superblock's checksum covers its whole sector.
    let sect = usize::from(crate::bytes::be16(&head, 102).unwrap_or(512)).clamp(SB_LEN, 32768);
    let mut raw = vec![0u8; sect];
    dev.read_exact_at(0, &mut raw)
        .map_err(|e| FsError::Corrupt(format!("xfs: superblock sector of {sect} bytes: {e}")))?;
    let sb = Superblock::parse(&raw, dev.size())?;
    log::check_clean(&dev, &sb)?;
    let fs = Xfs { dev, sb };
    let root = fs.inode(fs.sb.root_ino)?;
    if root.kind() != FileKind::Directory {
        return Err(FsError::Corrupt(format!(
            "xfs: root inode {} is not a directory",
            fs.sb.root_ino
        )));
    }
    Ok(Some(fs))
}

impl<D: BlockDevice> Xfs<D> {
    /// Like [`probe`], but a missing magic is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no XFS superblock magic".into()))
    }

    /// Filesystem block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// Superblock version: 4, or 5 for a filesystem with metadata checksums.
    pub fn version(&self) -> u16 {
        self.sb.version
    }

    /// The inode of a regular file whose data this reader can read.
    fn data_inode(&self, node: NodeId) -> Result<Inode, FsError> {
        let i = self.inode(node.0)?;
        let ino = i.ino;
        match i.kind() {
            FileKind::Regular => {}
            FileKind::Directory => {
                return Err(FsError::WrongKind(format!(
                    "xfs inode {ino} is a directory"
                )))
            }
            FileKind::Symlink => {
                return Err(FsError::WrongKind(format!(
                    "xfs inode {ino} is a symbolic link"
                )))
            }
            FileKind::Other => {
                return Err(FsError::WrongKind(format!(
                    "xfs inode {ino} is not a regular file (a device, FIFO or socket)"
                )))
            }
        }
        if i.realtime {
            return Err(FsError::Unsupported(format!(
                "xfs: inode {ino} keeps its data on the realtime device"
            )));
        }
        Ok(i)
    }

    fn inode(&self, ino: u64) -> Result<Inode, FsError> {
        inode::read(&self.dev, &self.sb, ino)
    }

    /// Maps file block `lblk` of `inode` for at most `max` blocks.
    fn map_run(&self, inode: &Inode, lblk: u64, max: u64) -> Result<Run, FsError> {
        let ino = inode.ino;
        match inode.format {
            Format::Extents => {
                let n = usize::try_from(inode.nextents)
                    .ok()
                    .filter(|&n| n.saturating_mul(extent::REC_LEN) <= inode.fork.len())
                    .ok_or_else(|| {
                        FsError::Corrupt(format!(
                            "xfs: inode {ino}: {} extents do not fit its {}-byte fork",
                            inode.nextents,
                            inode.fork.len()
                        ))
                    })?;
                extent::map(&inode.fork, 0, n, lblk, max, u64::MAX).ok_or_else(|| {
                    FsError::Corrupt(format!("xfs: inode {ino}: extent list out of range"))
                })
            }
            Format::Btree => bmbt::map(&self.dev, &self.sb, inode, lblk, max),
            Format::Local | Format::Dev => Err(FsError::Corrupt(format!(
                "xfs: inode {ino}: data fork in {:?} format has no blocks",
                inode.format
            ))),
        }
    }

    /// Byte offset of the `len`-block run starting at filesystem block `fsb`, checked
    /// to stay inside one AG and the filesystem.
    fn run_byte(&self, ino: u64, fsb: u64, len: u64) -> Result<u64, FsError> {
        let bad = || {
            FsError::Corrupt(format!(
                "xfs: inode {ino}: extent of {len} blocks at block {fsb} is outside the filesystem"
            ))
        };
        let first = self.sb.fsb_to_byte(fsb).ok_or_else(bad)?;
        let last_fsb = fsb.checked_add(len.saturating_sub(1)).ok_or_else(bad)?;
        let last = self.sb.fsb_to_byte(last_fsb).ok_or_else(bad)?;
        if last.checked_sub(first) != Some(len.saturating_sub(1) << self.sb.block_log) {
            return Err(bad());
        }
        Ok(first)
    }

    /// Reads fork bytes at `offset` into `buf` without clamping to the inode size;
    /// holes and unwritten extents read as zeros. One device read per mapped run.
    fn read_fork(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<(), FsError> {
        let ino = inode.ino;
        let bs = u64::from(self.sb.block_size);
        let want = buf.len();
        let mut done = 0usize;
        // Each pass consumes at least one byte (a run is at least one block and the
        // offset inside the first block is below the block size), so this ends.
        while done < want {
            let pos = offset.saturating_add(done as u64);
            let lblk = pos >> self.sb.block_log;
            let in_blk = pos & bs.saturating_sub(1);
            let remaining = want.saturating_sub(done);
            let blocks = in_blk.saturating_add(remaining as u64).div_ceil(bs);
            let run = self.map_run(inode, lblk, blocks)?;
            let run_bytes = run.len.saturating_mul(bs).saturating_sub(in_blk);
            let n = usize::try_from(run_bytes).map_or(remaining, |r| r.min(remaining));
            let end = done.saturating_add(n);
            let chunk = buf.get_mut(done..end).ok_or_else(|| {
                FsError::Corrupt(format!("xfs: inode {ino}: read bookkeeping out of range"))
            })?;
            match run.fsb {
                None => chunk.fill(0),
                Some(fsb) => {
                    let used = in_blk.saturating_add(n as u64).div_ceil(bs);
                    let at = self.run_byte(ino, fsb, used)?.saturating_add(in_blk);
                    self.dev.read_exact_at(at, chunk).map_err(|e| match e {
                        xlboot_disk::IoError::OutOfRange { .. } => {
                            FsError::Corrupt(format!("xfs: inode {ino}: data block {fsb}: {e}"))
                        }
                        other => FsError::Io(other),
                    })?;
                }
            }
            done = end;
        }
        Ok(())
    }

    /// Reads file data at `offset`, clamped to the inode size; returns bytes read.
    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        if offset >= inode.size {
            return Ok(0);
        }
        let avail = inode.size.saturating_sub(offset);
        let want = usize::try_from(avail).map_or(buf.len(), |a| a.min(buf.len()));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        self.read_fork(inode, offset, buf)?;
        Ok(want)
    }

    /// Calls `f(name, inode)` for every entry of directory `dir` (`.` and `..` too
    /// where the format stores them).
    fn for_each_entry(&self, dir: &Inode, f: &mut EntryFn<'_>) -> Result<(), FsError> {
        let ino = dir.ino;
        if dir.kind() != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "xfs inode {ino} is not a directory"
            )));
        }
        match dir.format {
            Format::Local => return dir_sf::walk(&dir.fork, dir.size, ino, self.sb.ftype, f),
            Format::Extents | Format::Btree => {}
            Format::Dev => {
                return Err(FsError::Corrupt(format!(
                    "xfs: directory inode {ino} has a device fork"
                )))
            }
        }
        if dir.size > MAX_DIR_BYTES {
            return Err(FsError::Limit(format!(
                "xfs: directory inode {ino} is {} bytes, over the {MAX_DIR_BYTES}-byte cap",
                dir.size
            )));
        }
        let dbs = u64::from(self.sb.dir_block_size());
        let per = 1u64 << self.sb.dir_blk_log;
        let end = dir
            .size
            .min(DIR_LEAF_OFFSET)
            .div_ceil(u64::from(self.sb.block_size));
        let mut block = vec![0u8; usize::try_from(dbs).unwrap_or(4096)];
        let mut lblk = 0u64;
        // Each pass moves `lblk` forward: past a hole run, or to the next directory block.
        while lblk < end {
            let run = self.map_run(dir, lblk, end.saturating_sub(lblk))?;
            let Some(fsb) = run.fsb else {
                lblk = lblk.saturating_add(run.len);
                continue;
            };
            let first = lblk & !per.saturating_sub(1);
            let byte = self
                .sb
                .fsb_to_byte(fsb.saturating_sub(lblk.saturating_sub(first)));
            self.read_fork(dir, first << self.sb.block_log, &mut block)?;
            let at = dir_data::Place {
                ino,
                dblk: first >> self.sb.dir_blk_log,
                byte: byte.unwrap_or(0),
            };
            if dir_data::walk(&block, &self.sb, &at, f)?.is_break() {
                return Ok(());
            }
            lblk = first.saturating_add(per);
        }
        Ok(())
    }

    /// Checks that a directory entry's inode number lies inside the filesystem.
    fn check_ino(&self, dir: u64, ino: u64) -> Result<u64, FsError> {
        if self.sb.inode_byte(ino).is_none() {
            return Err(FsError::Corrupt(format!(
                "xfs: directory inode {dir} has an entry for inode {ino}, outside the filesystem"
            )));
        }
        Ok(ino)
    }

    fn names_match(&self, a: &[u8], b: &[u8]) -> bool {
        if self.sb.ascii_ci {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }
}

impl<D: BlockDevice> FileSystem for Xfs<D> {
    fn info(&self) -> FsInfo {
        FsInfo {
            fs_type: "xfs",
            uuid: Some(self.sb.uuid_string()),
            label: self.sb.label(),
        }
    }

    fn root(&self) -> NodeId {
        NodeId(self.sb.root_ino)
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        let d = self.inode(dir.0)?;
        if d.kind() != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "xfs inode {} is not a directory",
                d.ino
            )));
        }
        if name.is_empty() || name.len() > 255 || name.contains(&b'/') {
            return Ok(None);
        }
        let mut found = None;
        self.for_each_entry(&d, &mut |n, ino| {
            if self.names_match(n, name) {
                found = Some(self.check_ino(d.ino, ino)?);
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
            size: i.size,
        })
    }

    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError> {
        let i = self.inode(node.0)?;
        let ino = i.ino;
        if i.kind() != FileKind::Symlink {
            return Err(FsError::WrongKind(format!(
                "xfs inode {ino} is not a symbolic link"
            )));
        }
        let len = usize::try_from(i.size)
            .ok()
            .filter(|&l| l <= max_len)
            .ok_or_else(|| {
                FsError::Limit(format!(
                    "xfs: symlink inode {ino} is {} bytes long, over the {max_len}-byte cap",
                    i.size
                ))
            })?;
        if len == 0 || len > symlink::MAX_LEN {
            return Err(FsError::Corrupt(format!(
                "xfs: symlink inode {ino} is {len} bytes long"
            )));
        }
        if i.format == Format::Local {
            let t = i.fork.get(..len).ok_or_else(|| {
                FsError::Corrupt(format!(
                    "xfs: local symlink inode {ino} of {len} bytes in a {}-byte fork",
                    i.fork.len()
                ))
            })?;
            return Ok(t.to_vec());
        }
        // Remote: one piece per mapping, in file order. A target of at most 1 KiB
        // needs at most 3 blocks even at 512 bytes a block with v5 headers.
        const MAX_BLOCKS: u64 = 4;
        let bs = u64::from(self.sb.block_size);
        let mut out = Vec::with_capacity(len);
        let mut lblk = 0u64;
        while out.len() < len {
            if lblk >= MAX_BLOCKS {
                return Err(FsError::Corrupt(format!(
                    "xfs: symlink inode {ino}: {len} bytes not found in {MAX_BLOCKS} blocks"
                )));
            }
            let run = self.map_run(&i, lblk, MAX_BLOCKS.saturating_sub(lblk))?;
            let fsb = run.fsb.ok_or_else(|| {
                FsError::Corrupt(format!(
                    "xfs: symlink inode {ino} has a hole at block {lblk}"
                ))
            })?;
            let at = self.run_byte(ino, fsb, run.len)?;
            let mut buf = vec![0u8; usize::try_from(run.len.saturating_mul(bs)).unwrap_or(0)];
            self.dev.read_exact_at(at, &mut buf)?;
            symlink::append(&buf, &self.sb, ino, at, len, &mut out)?;
            lblk = lblk.saturating_add(run.len);
        }
        Ok(out)
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let i = self.data_inode(node)?;
        self.read_data(&i, offset, buf)
    }

    /// A data extent as one run, and holes and unwritten extents as zeros: XFS keeps
    /// no data checksums, and a dirty log is refused when the filesystem is opened, so
    /// the blocks an extent names hold the file's bytes.
    fn stored_run(
        &self,
        node: NodeId,
        offset: u64,
        max: u64,
    ) -> Result<Option<StoredRun>, FsError> {
        let i = self.data_inode(node)?;
        let want = i.size.saturating_sub(offset).min(max);
        if want == 0 || matches!(i.format, Format::Local) {
            return Ok(None);
        }
        let bs = u64::from(self.sb.block_size);
        let lblk = offset >> self.sb.block_log;
        let in_blk = offset & bs.saturating_sub(1);
        let blocks = in_blk.saturating_add(want).div_ceil(bs);
        let run = self.map_run(&i, lblk, blocks)?;
        // A run is at least one block and `in_blk` is below the block size: len >= 1.
        let len = run.len.saturating_mul(bs).saturating_sub(in_blk).min(want);
        let Some(fsb) = run.fsb else {
            return Ok(Some(StoredRun::Zeros { len }));
        };
        let used = in_blk.saturating_add(len).div_ceil(bs);
        let at = self.run_byte(i.ino, fsb, used)?.saturating_add(in_blk);
        if at.checked_add(len).is_none_or(|e| e > self.dev.size()) {
            return Err(FsError::Corrupt(format!(
                "xfs: inode {}: data block {fsb} lies outside the volume",
                i.ino
            )));
        }
        Ok(Some(StoredRun::Data { at, len }))
    }

    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError> {
        let d = self.inode(dir.0)?;
        let mut budget = EntryBudget::new(max_entries);
        self.for_each_entry(&d, &mut |name, ino| {
            if name == b"." || name == b".." {
                return Ok(ControlFlow::Continue(()));
            }
            let ino = self.check_ino(d.ino, ino)?;
            budget.take(|| format!("xfs: directory inode {}", d.ino))?;
            Ok(f(name, NodeId(ino)))
        })
    }
}

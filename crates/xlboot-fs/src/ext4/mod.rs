//! ext2, ext3 and ext4, read-only.
//!
//! One file per on-disk structure: `superblock`, `group_desc`, `inode`, `extent`
//! (ext4 extent trees), `block_map` (ext2/3 indirect blocks), `dir_entry` (directory
//! blocks, htree included), `journal` (jbd2 replay) and `checksum` (crc32c, and
//! crc16 for old group descriptors); `casefold` holds the name comparison of
//! case-insensitive directories.
//!
//! Features read: extents and block maps, htree directories (leaves scanned in
//! order) including `large_dir`, `inline_data`, `meta_bg`, `flex_bg`, `bigalloc`,
//! `sparse_super2`, 64bit, 1 KiB to 64 KiB blocks, `huge_file`, `metadata_csum`
//! (with `metadata_csum_seed`) and `gdt_csum` checksums verified, `casefold`
//! directories (ASCII folding, see `casefold`), `ea_inode` (xattrs are never read;
//! value inodes are refused as files), `orphan_file`, `mmp`. Refused, named:
//! compression, `dirdata`, external journal devices, encrypted inodes, and replay of
//! a journal with fast commits.
//!
//! Nothing is cached between calls: each operation reads the group descriptor and
//! inode it needs. Those are two small reads next to the data they lead to, and it
//! keeps the reader free of interior mutability and of memory a hostile image could
//! make grow. File data is read in physically contiguous runs straight into the
//! caller's buffer.
//!
//! A clean journal is never read: it holds nothing the filesystem lacks. When the
//! guest was not cleanly shut down (`needs_recovery`), the committed transactions
//! are replayed in memory at probe time and every later read sees the replayed
//! blocks; the disk is never written.

mod block_map;
mod casefold;
pub(crate) mod checksum;
mod dir_entry;
mod extent;
mod group_desc;
mod inode;
mod journal;
mod superblock;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId, StoredRun};
use dir_entry::{BlockKind, Place};
use inode::{Inode, ROOT_INO};
use superblock::{Superblock, INCOMPAT_FILETYPE, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// Largest directory this reader scans. Far beyond any boot directory (about a million
/// entries), and it bounds the work a hostile directory size can cause.
pub const MAX_DIR_BYTES: u64 = 256 << 20;

/// A run of logical blocks mapped one way: to consecutive physical blocks, or to
/// nothing (a hole or an uninitialized extent, read as zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// Number of blocks, at least 1.
    pub len: u64,
    /// First physical block, or `None` for zeros.
    pub phys: Option<u64>,
}

/// An open ext2/3/4 filesystem.
pub struct Ext4<D> {
    /// The volume, with journal copies replacing home blocks when the journal needed
    /// replay (a plain pass-through otherwise).
    dev: journal::Overlay<D>,
    sb: Superblock,
}

impl<D> core::fmt::Debug for Ext4<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ext4")
            .field("sb", &self.sb)
            .finish_non_exhaustive()
    }
}

/// Opens `dev` as ext2/3/4 if it carries the ext superblock magic.
///
/// `Ok(None)`: not ext (no magic), so another reader may try. `Err`: it is ext but
/// corrupt, or uses a feature this reader refuses (named in the error); the root
/// directory is read once here so that a broken image fails at probe time.
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Ext4<D>>, FsError> {
    let end = SUPERBLOCK_OFFSET.saturating_add(SUPERBLOCK_SIZE as u64);
    if dev.size() < end {
        return Ok(None);
    }
    let mut raw = [0u8; SUPERBLOCK_SIZE];
    dev.read_exact_at(SUPERBLOCK_OFFSET, &mut raw)?;
    if !Superblock::has_magic(&raw) {
        return Ok(None);
    }
    let size = dev.size();
    let sb = Superblock::parse(&raw, size)?;
    let bs = u64::from(sb.block_size);
    let mut fs = Ext4 {
        dev: journal::Overlay::new(dev, bs),
        sb,
    };
    if fs.sb.needs_recovery {
        // Replay in memory, then take the superblock as the journal left it.
        let map = journal::replay_map(&fs)?;
        fs.dev.set_map(map);
        fs.dev.read_exact_at(SUPERBLOCK_OFFSET, &mut raw)?;
        let sb = Superblock::parse(&raw, size)?;
        if u64::from(sb.block_size) != bs {
            return Err(FsError::Corrupt(
                "ext4: the journal changes the block size".into(),
            ));
        }
        fs.sb = sb;
    }
    let root = fs.inode(ROOT_INO)?;
    if root.kind() != FileKind::Directory {
        return Err(FsError::Corrupt(
            "ext4: root inode 2 is not a directory".into(),
        ));
    }
    Ok(Some(fs))
}

impl<D: BlockDevice> Ext4<D> {
    /// Like [`probe`], but a missing magic is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no ext2/3/4 superblock magic".into()))
    }

    /// Filesystem block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// Number of blocks read from the journal instead of their home location: non-zero
    /// when the filesystem was not cleanly unmounted and its journal was replayed (in
    /// memory; the disk is never written).
    pub fn replayed_blocks(&self) -> usize {
        self.dev.replayed_blocks()
    }

    fn ino_of(&self, node: NodeId) -> Result<u32, FsError> {
        u32::try_from(node.0)
            .map_err(|_| FsError::NotFound(format!("ext4: no inode {} (over 2^32)", node.0)))
    }

    fn inode(&self, ino: u32) -> Result<Inode, FsError> {
        inode::read(&self.dev, &self.sb, ino)
    }

    fn node(&self, node: NodeId) -> Result<Inode, FsError> {
        self.inode(self.ino_of(node)?)
    }

    fn map_run(
        &self,
        inode: &Inode,
        lblk: u64,
        max: u64,
        scratch: &mut Vec<u8>,
    ) -> Result<Run, FsError> {
        if inode.uses_extents() {
            extent::map_run(&self.dev, &self.sb, inode, lblk, max, scratch)
        } else {
            block_map::map_run(&self.dev, &self.sb, inode, lblk, max, scratch)
        }
    }

    /// Reads the data of `inode` at `offset`, clamped to its size; returns bytes read.
    /// Each mapped run is one device read into `buf`; holes are zero-filled.
    fn read_data(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let ino = inode.ino;
        if offset >= inode.size {
            return Ok(0);
        }
        let avail = inode.size.saturating_sub(offset);
        let want = usize::try_from(avail).map_or(buf.len(), |a| a.min(buf.len()));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        if let Some(tail) = &inode.inline_tail {
            return read_inline(inode, tail, offset, buf);
        }
        let bs = u64::from(self.sb.block_size);
        let mut scratch = Vec::new();
        let mut done = 0usize;
        // Each pass consumes at least one byte (a run is at least one block and the
        // offset inside the first block is below the block size), so this ends.
        while done < want {
            let pos = offset.saturating_add(done as u64);
            // bs is a power of two >= 1024: the divisions cannot fail.
            let lblk = pos.checked_div(bs).unwrap_or(0);
            let in_blk = pos.checked_rem(bs).unwrap_or(0);
            let remaining = want.saturating_sub(done);
            let blocks = in_blk.saturating_add(remaining as u64).div_ceil(bs);
            let run = self.map_run(inode, lblk, blocks, &mut scratch)?;
            let run_bytes = run.len.saturating_mul(bs).saturating_sub(in_blk);
            let n = usize::try_from(run_bytes).map_or(remaining, |r| r.min(remaining));
            let end = done.saturating_add(n);
            let chunk = buf.get_mut(done..end).ok_or_else(|| {
                FsError::Corrupt(format!("ext4: inode {ino}: read bookkeeping out of range"))
            })?;
            match run.phys {
                None => chunk.fill(0),
                Some(p) => {
                    let at = p
                        .checked_mul(bs)
                        .and_then(|b| b.checked_add(in_blk))
                        .ok_or_else(|| {
                            FsError::Corrupt(format!("ext4: inode {ino}: block {p} overflows"))
                        })?;
                    self.dev.read_exact_at(at, chunk).map_err(|e| match e {
                        xlboot_disk::IoError::OutOfRange { .. } => {
                            FsError::Corrupt(format!("ext4: inode {ino}: data block {p}: {e}"))
                        }
                        other => FsError::Io(other),
                    })?;
                }
            }
            done = end;
        }
        Ok(want)
    }

    /// Calls `f(name, inode)` for every entry of directory `dir`, `.` and `..` included.
    fn for_each_entry(&self, dir: &Inode, f: &mut dir_entry::EntryFn<'_>) -> Result<(), FsError> {
        let ino = dir.ino;
        if dir.kind() != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "ext4 inode {ino} is not a directory"
            )));
        }
        dir.check_readable()?;
        if dir.size > MAX_DIR_BYTES {
            return Err(FsError::Limit(format!(
                "ext4: directory inode {ino} is {} bytes, over the {MAX_DIR_BYTES}-byte cap",
                dir.size
            )));
        }
        let filetype = self.sb.has_incompat(INCOMPAT_FILETYPE);
        if let Some(tail) = &dir.inline_tail {
            // An inline directory: i_block starts with the parent's inode number (the
            // only trace of `..`; there is no `.`), then entries fill the rest of
            // i_block and, separately, the system.data value.
            let at = Place {
                ino,
                lblk: 0,
                phys: None,
            };
            let parent = crate::bytes::le32(&dir.i_block, 0).unwrap_or(0);
            if f(b"..", parent)?.is_break() {
                return Ok(());
            }
            let head = dir.i_block.get(4..).unwrap_or(&[]);
            if dir_entry::walk(head, head.len(), filetype, &at, f)?.is_break() {
                return Ok(());
            }
            if !tail.is_empty() {
                let _ = dir_entry::walk(tail, tail.len(), filetype, &at, f)?;
            }
            return Ok(());
        }
        let bs = u64::from(self.sb.block_size);
        let nblocks = dir.size.div_ceil(bs);
        let mut block = vec![0u8; usize::try_from(bs).unwrap_or(4096)];
        let mut scratch = Vec::new();
        let mut lblk = 0u64;
        while lblk < nblocks {
            let run = self.map_run(dir, lblk, nblocks.saturating_sub(lblk), &mut scratch)?;
            if let Some(phys0) = run.phys {
                for k in 0..run.len {
                    let phys = phys0.saturating_add(k);
                    let l = lblk.saturating_add(k);
                    let at = Place {
                        ino,
                        lblk: l,
                        phys: Some(phys),
                    };
                    self.dev
                        .read_exact_at(phys.saturating_mul(bs), &mut block)
                        .map_err(|e| {
                            FsError::Corrupt(format!("ext4: directory inode {ino}, block {l}: {e}"))
                        })?;
                    let kind = dir_entry::classify(&block, l, dir.is_indexed_dir());
                    let end = match (kind, dir.csum_seed) {
                        (BlockKind::Leaf, Some(seed)) => dir_entry::verify_leaf(&block, seed, &at)?,
                        (BlockKind::Leaf, None) => block.len(),
                        (BlockKind::DxRoot | BlockKind::DxNode, seed) => {
                            if let Some(seed) = seed {
                                dir_entry::verify_dx(&block, kind, seed, &at)?;
                            }
                            if kind == BlockKind::DxNode {
                                continue;
                            }
                            block.len()
                        }
                    };
                    if dir_entry::walk(&block, end, filetype, &at, f)?.is_break() {
                        return Ok(());
                    }
                }
            }
            lblk = lblk.saturating_add(run.len);
        }
        Ok(())
    }

    fn check_ino(&self, dir: u32, ino: u32) -> Result<u32, FsError> {
        if ino > self.sb.inodes_count {
            return Err(FsError::Corrupt(format!(
                "ext4: directory inode {dir} has an entry for inode {ino}, past the last ({})",
                self.sb.inodes_count
            )));
        }
        Ok(ino)
    }
}

/// Reads inline data: the first 60 bytes from `i_block`, the rest from the
/// `system.data` value. `buf` is already clamped to the file size.
fn read_inline(inode: &Inode, tail: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
    let ino = inode.ino;
    let short = || {
        FsError::Corrupt(format!(
            "ext4: inode {ino}: size {} exceeds its inline data ({} bytes)",
            inode.size,
            inode.i_block.len().saturating_add(tail.len())
        ))
    };
    let start = usize::try_from(offset).map_err(|_| short())?;
    let end = start.checked_add(buf.len()).ok_or_else(short)?;
    let mut done = 0usize;
    for (seg, seg_start) in [(&inode.i_block[..], 0usize), (tail, inode.i_block.len())] {
        let seg_end = seg_start.saturating_add(seg.len());
        let from = start.max(seg_start);
        let to = end.min(seg_end);
        if from >= to {
            continue;
        }
        let src = seg
            .get(from.saturating_sub(seg_start)..to.saturating_sub(seg_start))
            .ok_or_else(short)?;
        let dst = buf
            .get_mut(from.saturating_sub(start)..to.saturating_sub(start))
            .ok_or_else(short)?;
        dst.copy_from_slice(src);
        done = done.saturating_add(src.len());
    }
    if done != buf.len() {
        return Err(short());
    }
    Ok(done)
}

impl<D: BlockDevice> FileSystem for Ext4<D> {
    fn info(&self) -> FsInfo {
        FsInfo {
            fs_type: "ext2",
            uuid: Some(self.sb.uuid_string()),
            label: self.sb.label(),
        }
    }

    fn root(&self) -> NodeId {
        NodeId(u64::from(ROOT_INO))
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        let d = self.node(dir)?;
        if d.kind() != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "ext4 inode {} is not a directory",
                d.ino
            )));
        }
        if name.is_empty() || name.len() > 255 || name.contains(&b'/') {
            return Ok(None);
        }
        // In a casefold directory names compare as Linux folds them (see `casefold`
        // for the subset implemented); elsewhere byte for byte.
        let key = d.is_casefolded().then(|| casefold::key(name));
        let mut found = None;
        self.for_each_entry(&d, &mut |n, ino| {
            let hit = match &key {
                None => n == name,
                Some(k) => casefold::matches(k, name, n),
            };
            if hit {
                found = Some(self.check_ino(d.ino, ino)?);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if found.is_none() && key == Some(casefold::Key::NeedsTables) {
            return Err(FsError::Unsupported(format!(
                "ext4: directory inode {} ignores case, and matching \"{}\" in it needs full \
                 Unicode case folding, which this reader does not implement (only ASCII \
                 folding and exact matches)",
                d.ino,
                alloc::string::String::from_utf8_lossy(name)
            )));
        }
        Ok(found.map(|i| NodeId(u64::from(i))))
    }

    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError> {
        let i = self.node(node)?;
        Ok(Metadata {
            kind: i.kind(),
            size: i.size,
        })
    }

    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError> {
        let i = self.node(node)?;
        let ino = i.ino;
        if i.kind() != FileKind::Symlink {
            return Err(FsError::WrongKind(format!(
                "ext4 inode {ino} is not a symbolic link"
            )));
        }
        let len = usize::try_from(i.size)
            .ok()
            .filter(|&l| l <= max_len)
            .ok_or_else(|| {
                FsError::Limit(format!(
                    "ext4: symlink inode {ino} is {} bytes long, over the {max_len}-byte cap",
                    i.size
                ))
            })?;
        if len == 0 {
            return Err(FsError::Corrupt(format!(
                "ext4: symlink inode {ino} is empty"
            )));
        }
        if i.is_fast_symlink(self.sb.cluster_size) {
            let t = i.i_block.get(..len).ok_or_else(|| {
                FsError::Corrupt(format!("ext4: fast symlink inode {ino} of {len} bytes"))
            })?;
            return Ok(t.to_vec());
        }
        i.check_readable()?;
        let mut out = vec![0u8; len];
        let got = self.read_data(&i, 0, &mut out)?;
        if got != len {
            return Err(FsError::Corrupt(format!(
                "ext4: symlink inode {ino}: short read"
            )));
        }
        Ok(out)
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let i = self.node(node)?;
        match i.kind() {
            FileKind::Regular => {}
            FileKind::Directory => {
                return Err(FsError::WrongKind(format!(
                    "ext4 inode {} is a directory",
                    i.ino
                )))
            }
            FileKind::Symlink => {
                return Err(FsError::WrongKind(format!(
                    "ext4 inode {} is a symbolic link",
                    i.ino
                )))
            }
            FileKind::Other => {
                return Err(FsError::WrongKind(format!(
                    "ext4 inode {} is not a regular file (a device, FIFO or socket)",
                    i.ino
                )))
            }
        }
        i.check_readable()?;
        self.read_data(&i, offset, buf)
    }

    /// Plain data blocks only: an extent-mapped or block-mapped regular file whose
    /// bytes `offset..offset + len` lie in one mapped, initialized run. Refused: a
    /// filesystem whose journal needs replay (the kernel's replay at the next mount
    /// could write an older copy over the block), inline data, encrypted or compressed
    /// inodes, holes and uninitialized extents, and ranges split between runs.
    fn contiguous_range(&self, node: NodeId, offset: u64, len: u64) -> Result<u64, FsError> {
        if self.sb.needs_recovery {
            return Err(FsError::Unsupported(
                "ext4: the journal needs recovery; writing before it is replayed is not safe"
                    .into(),
            ));
        }
        let i = self.node(node)?;
        let ino = i.ino;
        if i.kind() != FileKind::Regular {
            return Err(FsError::WrongKind(format!(
                "ext4 inode {ino} is not a regular file"
            )));
        }
        i.check_readable()?;
        if i.inline_tail.is_some() {
            return Err(FsError::Unsupported(format!(
                "ext4 inode {ino} keeps its data inline in the inode"
            )));
        }
        let end = offset
            .checked_add(len)
            .filter(|e| *e <= i.size && len > 0)
            .ok_or_else(|| {
                FsError::NotFound(format!(
                    "ext4 inode {ino}: bytes {offset}+{len} are not inside its {} bytes",
                    i.size
                ))
            })?;
        let bs = u64::from(self.sb.block_size);
        // bs is a power of two >= 1024: the divisions cannot fail.
        let lblk = offset.checked_div(bs).unwrap_or(0);
        let in_blk = offset.checked_rem(bs).unwrap_or(0);
        let blocks = end.saturating_sub(1).checked_div(bs).unwrap_or(0);
        let want = blocks.saturating_sub(lblk).saturating_add(1);
        let run = self.map_run(&i, lblk, want, &mut Vec::new())?;
        let phys = run.phys.ok_or_else(|| {
            FsError::Unsupported(format!(
                "ext4 inode {ino}: bytes {offset}+{len} are a hole or an uninitialized extent"
            ))
        })?;
        if run.len < want {
            return Err(FsError::Unsupported(format!(
                "ext4 inode {ino}: bytes {offset}+{len} are split between extents"
            )));
        }
        phys.checked_mul(bs)
            .and_then(|b| b.checked_add(in_blk))
            .filter(|at| at.checked_add(len).is_some_and(|e| e <= self.dev.size()))
            .ok_or_else(|| {
                FsError::Corrupt(format!(
                    "ext4: inode {ino}: block {phys} lies outside the volume"
                ))
            })
    }

    /// Plain data blocks of an extent-mapped or block-mapped regular file, and its holes
    /// and unwritten extents as zeros, on a filesystem whose journal was not replayed in
    /// memory (a replayed journal may hold a newer copy of any block, data blocks
    /// included with `data=journal`).
    fn stored_run(
        &self,
        node: NodeId,
        offset: u64,
        max: u64,
    ) -> Result<Option<StoredRun>, FsError> {
        if self.sb.needs_recovery || self.dev.replayed_blocks() > 0 {
            return Ok(None);
        }
        let i = self.node(node)?;
        let ino = i.ino;
        if i.kind() != FileKind::Regular {
            return Err(FsError::WrongKind(format!(
                "ext4 inode {ino} is not a regular file"
            )));
        }
        i.check_readable()?;
        let want = i.size.saturating_sub(offset).min(max);
        if i.inline_tail.is_some() || want == 0 {
            return Ok(None);
        }
        let bs = u64::from(self.sb.block_size);
        // bs is a power of two >= 1024: the divisions cannot fail.
        let lblk = offset.checked_div(bs).unwrap_or(0);
        let in_blk = offset.checked_rem(bs).unwrap_or(0);
        let blocks = in_blk.saturating_add(want).div_ceil(bs);
        let run = self.map_run(&i, lblk, blocks, &mut Vec::new())?;
        // A run is at least one block and `in_blk` is below the block size: len >= 1.
        let len = run.len.saturating_mul(bs).saturating_sub(in_blk).min(want);
        let Some(phys) = run.phys else {
            return Ok(Some(StoredRun::Zeros { len }));
        };
        phys.checked_mul(bs)
            .and_then(|b| b.checked_add(in_blk))
            .filter(|at| at.checked_add(len).is_some_and(|e| e <= self.dev.size()))
            .map(|at| Some(StoredRun::Data { at, len }))
            .ok_or_else(|| {
                FsError::Corrupt(format!(
                    "ext4: inode {ino}: data block {phys} lies outside the volume"
                ))
            })
    }

    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError> {
        let d = self.node(dir)?;
        let mut budget = EntryBudget::new(max_entries);
        self.for_each_entry(&d, &mut |name, ino| {
            if name == b"." || name == b".." {
                return Ok(ControlFlow::Continue(()));
            }
            let ino = self.check_ino(d.ino, ino)?;
            budget.take(|| format!("ext4: directory inode {}", d.ino))?;
            Ok(f(name, NodeId(u64::from(ino))))
        })
    }
}

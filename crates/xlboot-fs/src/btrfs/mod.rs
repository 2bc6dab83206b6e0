//! Btrfs, read-only, on one device or several ([`probe_among`]).
//!
//! One file per on-disk structure: `superblock` (and its mirrors), `chunk` (chunk
//! items and the logical-to-physical map, bootstrapped from the superblock's system
//! chunks), `node` (tree blocks), `key`, `root_item`, `inode`, `dir_item` (DIR_ITEM
//! and DIR_INDEX), `file_extent` (EXTENT_DATA), `compressed` (compressed extents);
//! `tree` walks trees through a bounded block cache; `checksum` verifies blocks with
//! the filesystem's algorithm (crc32c, and `xxhash64`, `sha256` and `blake2b`,
//! written here from their specifications).
//!
//! # Which tree is `/`: GRUB's view
//!
//! The root directory of this reader is the root of the top-level subvolume (id 5),
//! not the default subvolume, because that is what upstream GRUB's `btrfs.c` does
//! (Debian's and Ubuntu's GRUB): paths start at subvolume 5 whatever `btrfs subvolume
//! set-default` says, and a directory entry that names a subvolume (its location is
//! a ROOT_ITEM key) is crossed into that subvolume's own tree, at its root directory
//! 256. So a root filesystem in subvolume `@` is reached as `/@/boot/...`, which is
//! exactly how `grub-mkconfig` writes kernel paths for it (with `rootflags=subvol=@`
//! on the command line for the kernel). Absolute symlinks restart at the top level
//! too, as in GRUB (path resolution lives in [`crate::path`]). openSUSE's and Fedora's
//! GRUB carries patches that start at the default subvolume instead
//! (`btrfs_relative_path`, `btrfs_subvol`), as does the kernel for a mount without
//! `subvol=`: [`FileSystem::default_root`] and [`FileSystem::subvolume_root`] give
//! those trees, and [`crate::path::resolve_in`] resolves paths inside one.
//!
//! # What is read
//!
//! Superblock checksum and mirrors (used when the primary is damaged), SINGLE, DUP,
//! RAID1, RAID1C3, RAID1C4, RAID0 and RAID10 chunks on the devices at hand (the other
//! copy of a tree block is tried when the first fails its checks), tree blocks checked
//! (checksum, address, fsid, level, generation, owner, key order, item bounds),
//! inodes, directories (lookups by name hash, listings in index order), symlinks,
//! inline, regular and preallocated extents and holes, and extents compressed with
//! zlib, LZO (in btrfs's own framing, see `compressed`) or zstd, through
//! `xlboot-compress`. File data is checked against the checksum tree (`csum`) sector
//! by sector as it is read, the other copy read where one fails. Refused, named:
//! RAID5 and RAID6 chunks, stripes on devices not given, zoned,
//! extent-tree-v2 and raid-stripe-tree filesystems, and encrypted extents.
//!
//! Tree blocks are cached (8 MiB at most); each read of file data finds its extents
//! from the tree and reads them straight into the caller's buffer. A compressed extent
//! (at most 128 KiB either way) is decompressed whole, and the last one is kept, so
//! reads in small pieces decompress each extent once.

mod blake2b;
mod checksum;
mod chunk;
mod compressed;
mod csum;
mod dir_item;
mod file_extent;
mod inode;
mod key;
mod node;
mod root_item;
mod sha256;
mod superblock;
mod tree;
mod xxhash64;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId};
use chunk::{Chunk, ChunkMap};
use dir_item::{name_hash, NAME_MAX};
use file_extent::{Body, Compression, FileExtent};
use inode::InodeItem;
use key::{
    Key, CHUNK_ITEM, CHUNK_TREE_OBJECTID, DIR_INDEX, DIR_ITEM, EXTENT_DATA,
    FIRST_CHUNK_TREE_OBJECTID, FIRST_FREE_OBJECTID, FS_TREE_OBJECTID, INODE_ITEM, ROOT_ITEM,
    ROOT_TREE_OBJECTID,
};
use root_item::RootItem;
use superblock::Superblock;
use tree::{Owner, TreeRoot, Trees};

/// A [`NodeId`] is the subvolume's tree id in the high 20 bits and the inode number
/// in the low 44: subvolume ids are handed out one by one from 256, inode numbers one
/// by one from 256 in each subvolume, so neither comes near its limit on a real
/// filesystem (one past is refused, named).
const INO_BITS: u32 = 44;
const INO_MASK: u64 = (1 << INO_BITS) - 1;
const MAX_TREE_ID: u64 = (1 << (64 - INO_BITS)) - 1;

/// Most tree roots remembered (one per subvolume visited).
const MAX_CACHED_ROOTS: usize = 4096;
/// Largest disk extent and decompressed size of a compressed extent
/// (`BTRFS_MAX_COMPRESSED`, 128 KiB).
const MAX_COMPRESSED: u64 = 128 << 10;
/// Most items one file read or one chunk tree scan walks.
const MAX_ITEMS_PER_WALK: usize = 1 << 22;

/// An open btrfs filesystem.
pub struct Btrfs<D> {
    trees: Trees<D>,
    root_tree: TreeRoot,
    /// The checksum tree (data checksums); `None` when the filesystem has none.
    csum_root: Option<TreeRoot>,
    roots: RefCell<BTreeMap<u64, TreeRoot>>,
    /// The last compressed disk extent decompressed (its logical address and bytes):
    /// reads in pieces smaller than an extent decompress it once.
    last_extent: RefCell<Option<(u64, Rc<Vec<u8>>)>>,
}

impl<D> core::fmt::Debug for Btrfs<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Btrfs")
            .field("sb", &self.trees.sb)
            .finish_non_exhaustive()
    }
}

/// Opens `dev` as btrfs if its primary superblock carries the btrfs magic.
///
/// `Ok(None)`: not btrfs. `Err`: btrfs, but corrupt or using something this reader
/// refuses. The chunk tree is read, and the top-level subvolume's root directory
/// checked, here, so that a broken image fails at probe time.
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Btrfs<D>>, FsError> {
    probe_among(dev, Vec::new())
}

/// Most devices of one filesystem used (the one probed and others).
const MAX_DEVICES: usize = 64;

/// [`probe`] for a filesystem that may span devices: when the superblock of `dev`
/// counts more than one, the `others` whose superblock carries the same fsid and
/// another devid are read too, as GRUB's `btrfs.c` scans every disk for them (one
/// per devid, the first found; at most 64). Stripes on devices not found stay
/// unreadable, and a read that needs one fails naming its devid.
pub fn probe_among<D: BlockDevice>(dev: D, others: Vec<D>) -> Result<Option<Btrfs<D>>, FsError> {
    let Some(sb) = Superblock::read(&dev)? else {
        return Ok(None);
    };
    let mut devs = vec![(sb.devid, dev)];
    if sb.num_devices > 1 {
        for other in others {
            if devs.len() >= MAX_DEVICES || devs.len() as u64 >= sb.num_devices {
                break;
            }
            // A device that is not btrfs, or whose superblock fails, is not a member.
            let Ok(Some(osb)) = Superblock::read(&other) else {
                continue;
            };
            if osb.fsid == sb.fsid && !devs.iter().any(|(id, _)| *id == osb.devid) {
                devs.push((osb.devid, other));
            }
        }
    }
    let sys = ChunkMap::from_sys_array(&sb.sys_chunks)?;
    let chunk_root = TreeRoot {
        bytenr: sb.chunk_root,
        level: sb.chunk_root_level,
        generation: sb.chunk_root_generation,
        owner: Owner::Tree(CHUNK_TREE_OBJECTID),
    };
    let root_tree = TreeRoot {
        bytenr: sb.root,
        level: sb.root_level,
        generation: sb.generation,
        owner: Owner::Tree(ROOT_TREE_OBJECTID),
    };
    let mut trees = Trees::new(devs, sb, sys.clone());
    let mut found: Vec<Chunk> = Vec::new();
    trees.iter_from(
        &chunk_root,
        &Key::new(FIRST_CHUNK_TREE_OBJECTID, CHUNK_ITEM, 0),
        MAX_ITEMS_PER_WALK,
        &mut |k, data| {
            if k.objectid != FIRST_CHUNK_TREE_OBJECTID || k.ty != CHUNK_ITEM {
                return Ok(ControlFlow::Break(()));
            }
            if found.len() >= chunk::MAX_CHUNKS {
                return Err(FsError::Limit(format!(
                    "btrfs: more than {} chunks",
                    chunk::MAX_CHUNKS
                )));
            }
            found.push(Chunk::parse(data, k.offset)?.0);
            Ok(ControlFlow::Continue(()))
        },
    )?;
    let mut map = sys;
    for c in found {
        map.insert(c)?;
    }
    trees.chunks = map;
    let csum_root = match trees.find_le(
        &root_tree,
        &Key::new(csum::CSUM_TREE_OBJECTID, ROOT_ITEM, u64::MAX),
    )? {
        Some((node, slot))
            if node
                .key(slot)
                .is_some_and(|k| k.objectid == csum::CSUM_TREE_OBJECTID && k.ty == ROOT_ITEM) =>
        {
            let ri = RootItem::parse(node.item_data(slot), csum::CSUM_TREE_OBJECTID)?;
            Some(TreeRoot {
                bytenr: ri.bytenr,
                level: ri.level,
                generation: ri.generation,
                owner: Owner::Tree(csum::CSUM_TREE_OBJECTID),
            })
        }
        _ => None,
    };
    let fs = Btrfs {
        trees,
        root_tree,
        csum_root,
        roots: RefCell::new(BTreeMap::new()),
        last_extent: RefCell::new(None),
    };
    let root = fs.inode(FS_TREE_OBJECTID, FIRST_FREE_OBJECTID)?;
    if root.kind() != FileKind::Directory {
        return Err(FsError::Corrupt(
            "btrfs: the top-level subvolume's root (inode 256) is not a directory".into(),
        ));
    }
    Ok(Some(fs))
}

fn encode(tree: u64, ino: u64) -> Result<NodeId, FsError> {
    if tree > MAX_TREE_ID || ino > INO_MASK {
        return Err(FsError::Unsupported(format!(
            "btrfs: subvolume {tree}, inode {ino}: ids this large are not supported \
             (subvolume ids up to {MAX_TREE_ID}, inode numbers up to {INO_MASK})"
        )));
    }
    Ok(NodeId((tree << INO_BITS) | ino))
}

fn decode(node: NodeId) -> (u64, u64) {
    (node.0 >> INO_BITS, node.0 & INO_MASK)
}

impl<D: BlockDevice> Btrfs<D> {
    /// Like [`probe`], but a missing magic is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no btrfs superblock magic".into()))
    }

    /// The checksum algorithm of the filesystem (`crc32c`, `xxhash64`, `sha256`,
    /// `blake2b`).
    pub fn checksum_name(&self) -> &'static str {
        self.trees.sb.csum.name()
    }

    /// Byte offset of the superblock copy in use (65536 unless the primary is
    /// damaged and a mirror was used).
    pub fn superblock_offset(&self) -> u64 {
        self.trees.sb.offset
    }

    /// The id of the default subvolume (`btrfs subvolume set-default`; 5, the top
    /// level, when none was set).
    pub fn default_subvolume(&self) -> Result<u64, FsError> {
        let dir = self.trees.sb.root_dir_objectid;
        let key = Key::new(dir, DIR_ITEM, name_hash(b"default"));
        let Some(data) = self.trees.find_exact(&self.root_tree, &key)? else {
            return Ok(FS_TREE_OBJECTID);
        };
        let hit = dir_item::walk(&data, dir, |e| (e.name == b"default").then_some(e.location))?;
        match hit {
            Some(loc) if loc.ty == ROOT_ITEM => Ok(loc.objectid),
            Some(loc) => Err(FsError::Corrupt(format!(
                "btrfs: the default subvolume item points at {loc}, not a root item"
            ))),
            None => Ok(FS_TREE_OBJECTID),
        }
    }

    /// Where subvolume tree `id` starts, from its ROOT_ITEM (remembered).
    fn tree_root(&self, id: u64) -> Result<TreeRoot, FsError> {
        if let Some(r) = self.roots.borrow().get(&id) {
            return Ok(*r);
        }
        if id != FS_TREE_OBJECTID && !(FIRST_FREE_OBJECTID..=MAX_TREE_ID).contains(&id) {
            return Err(FsError::NotFound(format!("btrfs: no subvolume {id}")));
        }
        let key = Key::new(id, ROOT_ITEM, u64::MAX);
        let hit = self.trees.find_le(&self.root_tree, &key)?;
        let Some((node, slot)) = hit.filter(|(n, s)| {
            n.key(*s)
                .is_some_and(|k| k.objectid == id && k.ty == ROOT_ITEM)
        }) else {
            return Err(FsError::NotFound(format!("btrfs: no subvolume {id}")));
        };
        let ri = RootItem::parse(node.item_data(slot), id)?;
        if ri.root_dirid != FIRST_FREE_OBJECTID {
            return Err(FsError::Corrupt(format!(
                "btrfs: subvolume {id}: root directory {} (256 expected)",
                ri.root_dirid
            )));
        }
        let root = TreeRoot {
            bytenr: ri.bytenr,
            level: ri.level,
            generation: ri.generation,
            owner: Owner::Subvolume,
        };
        let mut roots = self.roots.borrow_mut();
        if roots.len() < MAX_CACHED_ROOTS {
            roots.insert(id, root);
        }
        Ok(root)
    }

    fn inode(&self, tree: u64, ino: u64) -> Result<InodeItem, FsError> {
        let root = self.tree_root(tree)?;
        let data = self
            .trees
            .find_exact(&root, &Key::new(ino, INODE_ITEM, 0))?
            .ok_or_else(|| {
                FsError::Corrupt(format!("btrfs: subvolume {tree} has no inode {ino}"))
            })?;
        InodeItem::parse(&data, tree, ino)
    }

    /// The node a directory entry of subvolume `tree` leads to.
    fn target(&self, tree: u64, dir: u64, loc: &Key) -> Result<NodeId, FsError> {
        match loc.ty {
            INODE_ITEM => encode(tree, loc.objectid),
            ROOT_ITEM => encode(loc.objectid, FIRST_FREE_OBJECTID),
            _ => Err(FsError::Corrupt(format!(
                "btrfs: directory inode {dir} of subvolume {tree}: entry points at {loc}"
            ))),
        }
    }

    fn dir_inode(&self, node: NodeId) -> Result<(u64, u64), FsError> {
        let (tree, ino) = decode(node);
        let i = self.inode(tree, ino)?;
        if i.kind() != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "btrfs inode {ino} of subvolume {tree} is not a directory"
            )));
        }
        Ok((tree, ino))
    }

    /// Reads file bytes of inode `ino` at `offset` into `buf`, data checksums verified
    /// unless the inode has none.
    fn read_data(
        &self,
        tree: u64,
        ino: u64,
        inode: &InodeItem,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        let size = inode.size;
        let file = FileRef {
            tree,
            ino,
            sums: inode.has_data_sums(),
        };
        if offset >= size {
            return Ok(0);
        }
        let avail = size.saturating_sub(offset);
        let want = usize::try_from(avail).map_or(buf.len(), |a| a.min(buf.len()));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let end = offset.saturating_add(want as u64);
        let root = self.tree_root(tree)?;
        // Start at the extent that covers `offset` (or the first after it).
        let first = self
            .trees
            .find_le(&root, &Key::new(ino, EXTENT_DATA, offset))?
            .and_then(|(n, s)| n.key(s))
            .filter(|k| k.objectid == ino && k.ty == EXTENT_DATA)
            .unwrap_or(Key::new(ino, EXTENT_DATA, 0));
        let mut pos = offset;
        self.trees
            .iter_from(&root, &first, MAX_ITEMS_PER_WALK, &mut |k, data| {
                if k.objectid != ino || k.ty != EXTENT_DATA || pos >= end {
                    return Ok(ControlFlow::Break(()));
                }
                let ext = FileExtent::parse(data, ino, k.offset)?;
                let start = k.offset;
                let ext_end = start.saturating_add(ext.len);
                if start > pos {
                    // A hole before this extent (no_holes, or a sparse tail).
                    let to = start.min(end);
                    zero(buf, offset, pos, to);
                    pos = to;
                }
                if pos < ext_end && pos < end {
                    let to = ext_end.min(end);
                    let dst = span(buf, offset, pos, to)?;
                    self.read_extent(&ext, data, &file, start, pos, dst)?;
                    pos = to;
                }
                Ok(if pos >= end {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })?;
        // Past the last extent: a hole up to the size.
        zero(buf, offset, pos, end);
        Ok(want)
    }

    /// Fills `dst` with the bytes of extent `ext` (item data `item`, starting at file
    /// offset `start`) from file offset `pos` on.
    fn read_extent(
        &self,
        ext: &FileExtent,
        item: &[u8],
        file: &FileRef,
        start: u64,
        pos: u64,
        dst: &mut [u8],
    ) -> Result<(), FsError> {
        let ino = file.ino;
        let into = pos.saturating_sub(start);
        match ext.body {
            Body::Zeros => dst.fill(0),
            Body::Inline => {
                let raw = item.get(21..).unwrap_or(&[]);
                if ext.compression == Compression::None {
                    copy_from(raw, into, dst);
                } else {
                    let out = self.decompress(ext, raw, ino, start)?;
                    copy_from(&out, into, dst);
                }
            }
            Body::Disk {
                disk_bytenr,
                disk_num_bytes,
                offset,
            } => {
                if ext.compression != Compression::None {
                    let out =
                        self.compressed_extent(ext, disk_bytenr, disk_num_bytes, file, start)?;
                    copy_from(&out, offset.saturating_add(into), dst);
                    return Ok(());
                }
                let at = disk_bytenr
                    .checked_add(offset)
                    .and_then(|a| a.checked_add(into))
                    .ok_or_else(|| {
                        FsError::Corrupt(format!(
                            "btrfs: inode {ino}: extent at file offset {start}: address overflows"
                        ))
                    })?;
                self.read_logical_checked(at, dst, file)?;
            }
        }
        Ok(())
    }

    /// Reads `dst.len()` bytes of file data at logical `logical`; with `file.sums`,
    /// every whole sector read is checked against the checksum tree, and a sector that
    /// fails is read from the other copies (DUP, RAID1*) until one passes. Sectors are
    /// read and checked [`CHECK_SECTORS`] at a time, so memory stays bounded whatever
    /// the read's size.
    fn read_logical_checked(
        &self,
        logical: u64,
        dst: &mut [u8],
        file: &FileRef,
    ) -> Result<(), FsError> {
        let Some(root) = self.csum_root.filter(|_| file.sums) else {
            return self.trees.read_logical(logical, dst);
        };
        let csum = self.trees.sb.csum;
        let sector = u64::from(self.trees.sb.sectorsize);
        let sector_len = usize::try_from(sector).unwrap_or(4096);
        let end = logical.saturating_add(dst.len() as u64);
        let mut pos = logical.saturating_sub(logical.checked_rem(sector).unwrap_or(0));
        let mut buf = Vec::new();
        while pos < end {
            let left = end.saturating_sub(pos).div_ceil(sector);
            let count = usize::try_from(left).map_or(CHECK_SECTORS, |l| l.min(CHECK_SECTORS));
            buf.resize(count.saturating_mul(sector_len), 0);
            self.trees.read_logical(pos, &mut buf)?;
            let sums = csum::lookup(&self.trees, &root, csum, sector, pos, count)?;
            for (i, (data, sum)) in buf.chunks_exact_mut(sector_len).zip(&sums).enumerate() {
                let Some(sum) = sum else { continue };
                if !csum.matches(data, sum) {
                    let at = pos.saturating_add(sector.saturating_mul(i as u64));
                    self.repair_sector(at, data, sum, file)?;
                }
            }
            // The part of this run that `dst` wants.
            let from = pos.max(logical);
            let to = pos.saturating_add(buf.len() as u64).min(end);
            let src = buf
                .get(usize::try_from(from.saturating_sub(pos)).unwrap_or(usize::MAX)..)
                .and_then(|b| b.get(..usize::try_from(to.saturating_sub(from)).unwrap_or(0)))
                .unwrap_or(&[]);
            let d = usize::try_from(from.saturating_sub(logical)).unwrap_or(usize::MAX);
            if let Some(out) = dst.get_mut(d..d.saturating_add(src.len())) {
                out.copy_from_slice(src);
            }
            pos = pos.saturating_add(buf.len() as u64);
        }
        Ok(())
    }

    /// Replaces `data`, the sector at `logical` that failed its checksum `sum`, with
    /// the first other copy that passes; an error naming where when none does.
    fn repair_sector(
        &self,
        logical: u64,
        data: &mut [u8],
        sum: &[u8],
        file: &FileRef,
    ) -> Result<(), FsError> {
        let csum = self.trees.sb.csum;
        let mut other = vec![0u8; data.len()];
        let mut copy = 1usize;
        while let Some(_phys) = self.trees.read_copy(logical, copy, &mut other)? {
            if csum.matches(&other, sum) {
                data.copy_from_slice(&other);
                return Ok(());
            }
            copy = copy.saturating_add(1);
        }
        let phys = self
            .trees
            .placement(logical)
            .ok()
            .and_then(|(c, _)| c.first().map(|&(_, p)| p))
            .map_or_else(String::new, |p| format!(" (byte {p} of the device)"));
        Err(FsError::Corrupt(format!(
            "btrfs: inode {} of subvolume {}: the data sector at logical {logical}{phys} \
             fails its {} checksum on {}",
            file.ino,
            file.tree,
            csum.name(),
            if copy > 1 {
                format!("all {copy} copies")
            } else {
                String::from("its only copy")
            }
        )))
    }

    /// The decompressed bytes of a compressed disk extent (at most 128 KiB), from the
    /// one-extent cache or the disk.
    fn compressed_extent(
        &self,
        ext: &FileExtent,
        disk_bytenr: u64,
        disk_num_bytes: u64,
        file: &FileRef,
        start: u64,
    ) -> Result<Rc<Vec<u8>>, FsError> {
        let ino = file.ino;
        if let Some((at, bytes)) = self.last_extent.borrow().as_ref() {
            if *at == disk_bytenr {
                return Ok(Rc::clone(bytes));
            }
        }
        if disk_num_bytes == 0 || disk_num_bytes > MAX_COMPRESSED {
            return Err(FsError::Corrupt(format!(
                "btrfs: inode {ino}: compressed extent at file offset {start} is \
                 {disk_num_bytes} bytes on disk (at most {MAX_COMPRESSED})"
            )));
        }
        let mut raw = vec![0u8; usize::try_from(disk_num_bytes).unwrap_or(0)];
        // The checksums cover the compressed bytes as stored.
        self.read_logical_checked(disk_bytenr, &mut raw, file)?;
        let out = Rc::new(self.decompress(ext, &raw, ino, start)?);
        *self.last_extent.borrow_mut() = Some((disk_bytenr, Rc::clone(&out)));
        Ok(out)
    }

    /// Decompresses `raw`, the stored bytes of extent `ext`, to at most its
    /// `ram_bytes` (itself at most 128 KiB).
    fn decompress(
        &self,
        ext: &FileExtent,
        raw: &[u8],
        ino: u64,
        start: u64,
    ) -> Result<Vec<u8>, FsError> {
        let what = || {
            format!(
                "inode {ino}: {:?} extent at file offset {start}",
                ext.compression
            )
        };
        if ext.ram_bytes > MAX_COMPRESSED {
            return Err(FsError::Corrupt(format!(
                "btrfs: {}: decompresses to {} bytes (at most {MAX_COMPRESSED})",
                what(),
                ext.ram_bytes
            )));
        }
        let max = usize::try_from(ext.ram_bytes).unwrap_or(0);
        let sector = usize::try_from(self.trees.sb.sectorsize).unwrap_or(4096);
        compressed::extent(ext.compression, raw, max, sector, &what)
    }
}

/// Sectors read and checked at once (256 KiB of 4 KiB sectors).
const CHECK_SECTORS: usize = 64;

/// The file whose data is being read, for checksum decisions and messages.
struct FileRef {
    tree: u64,
    ino: u64,
    /// Its data sectors have checksums (no NODATASUM flag).
    sums: bool,
}

/// Copies `src[from..]` into `dst`, zeros past the end of `src`.
fn copy_from(src: &[u8], from: u64, dst: &mut [u8]) {
    let s = usize::try_from(from)
        .ok()
        .and_then(|f| src.get(f..))
        .unwrap_or(&[]);
    let n = s.len().min(dst.len());
    let (head, tail) = dst.split_at_mut(n);
    head.copy_from_slice(s.get(..n).unwrap_or(&[]));
    tail.fill(0);
}

/// The part of `buf` (which starts at file offset `base`) for file offsets
/// `from..to`.
fn span(buf: &mut [u8], base: u64, from: u64, to: u64) -> Result<&mut [u8], FsError> {
    let a = usize::try_from(from.saturating_sub(base)).unwrap_or(usize::MAX);
    let b = usize::try_from(to.saturating_sub(base)).unwrap_or(usize::MAX);
    buf.get_mut(a..b)
        .ok_or_else(|| FsError::Corrupt("btrfs: read bookkeeping out of range".into()))
}

fn zero(buf: &mut [u8], base: u64, from: u64, to: u64) {
    if from < to {
        if let Ok(s) = span(buf, base, from, to) {
            s.fill(0);
        }
    }
}

/// No [`FileSystem::stored_run`] (the default: always `None`), so every byte of a file
/// comes through `read_at`, even a plain uncompressed extent on a raw disk. A copy by
/// the kernel straight from the disk would skip what `read_at` does for each sector:
/// check it against the checksum tree and, where that fails, read the other copy of a
/// DUP or RAID1 chunk; a damaged or altered sector would then reach dom0 unnoticed.
/// Only NODATASUM files on a single-profile chunk would be safe to copy that way, and
/// boot files are not written with `nodatasum`: they stay on the verified path.
impl<D: BlockDevice> FileSystem for Btrfs<D> {
    fn info(&self) -> FsInfo {
        let label = &self.trees.sb.label;
        FsInfo {
            fs_type: "btrfs",
            uuid: Some(self.trees.sb.uuid_string()),
            label: (!label.is_empty()).then(|| String::from_utf8_lossy(label).into_owned()),
        }
    }

    fn root(&self) -> NodeId {
        NodeId((FS_TREE_OBJECTID << INO_BITS) | FIRST_FREE_OBJECTID)
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        let (tree, ino) = self.dir_inode(dir)?;
        if name.is_empty() || name.len() > NAME_MAX || name.contains(&b'/') {
            return Ok(None);
        }
        let root = self.tree_root(tree)?;
        let key = Key::new(ino, DIR_ITEM, name_hash(name));
        let Some(data) = self.trees.find_exact(&root, &key)? else {
            return Ok(None);
        };
        let Some(loc) = dir_item::walk(&data, ino, |e| (e.name == name).then_some(e.location))?
        else {
            return Ok(None);
        };
        let node = self.target(tree, ino, &loc)?;
        if loc.ty == ROOT_ITEM {
            // As GRUB: an entry for a subvolume that has no root item is not there.
            match self.tree_root(loc.objectid) {
                Ok(_) => {}
                Err(FsError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(Some(node))
    }

    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError> {
        let (tree, ino) = decode(node);
        let i = self.inode(tree, ino)?;
        Ok(Metadata {
            kind: i.kind(),
            size: i.size,
        })
    }

    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError> {
        let (tree, ino) = decode(node);
        let i = self.inode(tree, ino)?;
        if i.kind() != FileKind::Symlink {
            return Err(FsError::WrongKind(format!(
                "btrfs inode {ino} of subvolume {tree} is not a symbolic link"
            )));
        }
        let len = usize::try_from(i.size)
            .ok()
            .filter(|&l| l <= max_len)
            .ok_or_else(|| {
                FsError::Limit(format!(
                    "btrfs: symlink inode {ino} is {} bytes long, over the {max_len}-byte cap",
                    i.size
                ))
            })?;
        let mut out = vec![0u8; len];
        let got = self.read_data(tree, ino, &i, 0, &mut out)?;
        if got != len {
            return Err(FsError::Corrupt(format!(
                "btrfs: symlink inode {ino}: short read"
            )));
        }
        Ok(out)
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let (tree, ino) = decode(node);
        let i = self.inode(tree, ino)?;
        let what = match i.kind() {
            FileKind::Regular => return self.read_data(tree, ino, &i, offset, buf),
            FileKind::Directory => "a directory",
            FileKind::Symlink => "a symbolic link",
            FileKind::Other => "not a regular file (a device, FIFO or socket)",
        };
        Err(FsError::WrongKind(format!(
            "btrfs inode {ino} of subvolume {tree} is {what}"
        )))
    }

    fn has_subvolumes(&self) -> bool {
        true
    }

    fn default_root(&self) -> Result<NodeId, FsError> {
        let id = self.default_subvolume()?;
        self.tree_root(id)?;
        encode(id, FIRST_FREE_OBJECTID)
    }

    fn subvolume_root(&self, id: u64) -> Result<Option<NodeId>, FsError> {
        match self.tree_root(id) {
            Ok(_) => encode(id, FIRST_FREE_OBJECTID).map(Some),
            Err(FsError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn is_subvolume_root(&self, node: NodeId) -> bool {
        decode(node).1 == FIRST_FREE_OBJECTID
    }

    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError> {
        let (tree, ino) = self.dir_inode(dir)?;
        let root = self.tree_root(tree)?;
        let mut budget = EntryBudget::new(max_entries);
        self.trees.iter_from(
            &root,
            &Key::new(ino, DIR_INDEX, 0),
            max_entries.saturating_add(1),
            &mut |k, data| {
                if k.objectid != ino || k.ty != DIR_INDEX {
                    return Ok(ControlFlow::Break(()));
                }
                let hit = dir_item::walk(data, ino, |e| {
                    if let Err(err) =
                        budget.take(|| format!("btrfs: directory inode {ino} of subvolume {tree}"))
                    {
                        return Some(Err(err));
                    }
                    let node = match self.target(tree, ino, &e.location) {
                        Ok(n) => n,
                        Err(err) => return Some(Err(err)),
                    };
                    f(e.name, node).is_break().then_some(Ok(()))
                })?;
                match hit {
                    Some(Err(e)) => Err(e),
                    Some(Ok(())) => Ok(ControlFlow::Break(())),
                    None => Ok(ControlFlow::Continue(())),
                }
            },
        )
    }
}

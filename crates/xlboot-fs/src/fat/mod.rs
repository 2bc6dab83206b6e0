//! FAT12, FAT16 and FAT32, read-only, with long file names.
//!
//! One file per on-disk structure: `boot_sector` (the BPB, and which FAT type it is),
//! `fs_info` (FAT32's FSInfo sector), `table` (the FAT itself: cluster chains) and
//! `dir_entry` (32-byte directory entries, short and long names).
//!
//! FAT has no inodes: a file is its directory entry. A node here is the byte offset
//! of that short entry on the volume, and the root directory (which has no entry) is
//! node 0; offset 0 is the boot sector, never an entry. Every node handed back in is
//! checked to be an aligned offset inside the directory area holding a short entry.
//!
//! Names are looked up as FAT does, without case (ASCII folding, as GRUB), against the
//! long name when a valid one is stored and the 8.3 name otherwise (see
//! `dir_entry`). There are no symbolic links.
//!
//! A FAT32 volume whose primary boot sector is damaged is opened from its backup
//! boot sector, as Windows and fsck do.
//!
//! Nothing is cached between calls, as in `ext4`: each read walks the file's cluster
//! chain from its start through a small window of the table, and reads each run of
//! consecutive clusters with one device read.

mod boot_sector;
mod dir_entry;
mod fs_info;
mod table;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::{BlockDevice, IoError};

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId, StoredRun};
pub use boot_sector::FatType;
use boot_sector::{BootSector, BOOT_SECTOR_SIZE};
use dir_entry::{LongName, ShortEntry, Slot, ATTR_DIRECTORY, ENTRY_SIZE};
pub use fs_info::FsInfoSector;
use table::Chain;

/// Most slots one directory may have: fatgen103 caps a directory at 65536 entries
/// (2 MiB), which also bounds the work a hostile directory chain can cause.
pub const MAX_DIR_SLOTS: u64 = 65536;

/// What [`Fat::for_each_entry`] calls: name, node, entry.
type EntryFn<'a> = dyn FnMut(&[u8], NodeId, &ShortEntry) -> Result<ControlFlow<()>, FsError> + 'a;

/// The root directory's node.
const ROOT: NodeId = NodeId(0);

/// An open FAT filesystem.
pub struct Fat<D> {
    dev: D,
    bs: BootSector,
    fs_info: Option<FsInfoSector>,
    /// The root directory's volume label entry, blanks trimmed (GRUB's label).
    label: Option<String>,
    from_backup: bool,
}

impl<D> core::fmt::Debug for Fat<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fat")
            .field("bs", &self.bs)
            .field("from_backup", &self.from_backup)
            .finish_non_exhaustive()
    }
}

/// Where a directory's slots are.
#[derive(Debug, Clone, Copy)]
enum DirLoc {
    /// The fixed root directory of FAT12/16.
    FixedRoot,
    /// A cluster chain from this cluster.
    Chain(u32),
}

fn io(what: &str, e: IoError) -> FsError {
    match e {
        IoError::OutOfRange { .. } => FsError::Corrupt(format!("FAT: {what}: {e}")),
        other => FsError::Io(other),
    }
}

/// Opens `dev` as FAT if sector 0 carries a FAT boot sector signature (see
/// `boot_sector`).
///
/// `Ok(None)`: no signature, so another reader may try. `Err`: FAT, but corrupt (in
/// both copies of the boot sector, for FAT32) or unsupported.
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Fat<D>>, FsError> {
    if dev.size() < BOOT_SECTOR_SIZE as u64 {
        return Ok(None);
    }
    let mut raw = [0u8; BOOT_SECTOR_SIZE];
    dev.read_exact_at(0, &mut raw)?;
    let Some(is32) = boot_sector::signature(&raw) else {
        return Ok(None);
    };
    let size = dev.size();
    let (bs, from_backup) = match BootSector::parse(&raw, "sector 0", size) {
        Ok(bs) => (bs, false),
        Err(e) if is32 => (backup(&dev, size).ok_or(e)?, true),
        Err(e) => return Err(e),
    };
    let fs_info = read_fs_info(&dev, &bs);
    let mut fs = Fat {
        dev,
        bs,
        fs_info,
        label: None,
        from_backup,
    };
    // Read the root once (its label entry is the volume label), so that a broken root
    // fails at probe time.
    let mut label = None;
    let root = fs.root_loc();
    fs.for_each_slot(root, &mut |_, slot| {
        if let Slot::Label(name) = slot {
            let end = dir_entry::trimmed_len(&name);
            let name = name.get(..end).unwrap_or(&[]);
            if !name.is_empty() && label.is_none() {
                label = Some(String::from_utf8_lossy(name).into_owned());
            }
        }
        Ok(ControlFlow::Continue(()))
    })?;
    fs.label = label;
    Ok(Some(fs))
}

/// The FAT32 backup boot sector, if one of the usual sector sizes finds a good one
/// at sector 6 (the primary's pointer to it is not trusted: the primary is bad).
fn backup<D: BlockDevice>(dev: &D, size: u64) -> Option<BootSector> {
    let mut raw = [0u8; BOOT_SECTOR_SIZE];
    [512u64, 1024, 2048, 4096].into_iter().find_map(|bps| {
        let at = bps.saturating_mul(6);
        dev.read_exact_at(at, &mut raw).ok()?;
        boot_sector::signature(&raw).filter(|&is32| is32)?;
        let bs = BootSector::parse(&raw, &format!("byte {at} (the backup)"), size).ok()?;
        (u64::from(bs.bytes_per_sector) == bps).then_some(bs)
    })
}

fn read_fs_info<D: BlockDevice>(dev: &D, bs: &BootSector) -> Option<FsInfoSector> {
    if bs.fat_type != FatType::Fat32
        || bs.fs_info_sector == 0
        || bs.fs_info_sector >= bs.reserved_sectors
    {
        return None;
    }
    let mut raw = [0u8; BOOT_SECTOR_SIZE];
    let at = u64::from(bs.fs_info_sector).saturating_mul(u64::from(bs.bytes_per_sector));
    dev.read_exact_at(at, &mut raw).ok()?;
    FsInfoSector::parse(&raw)
}

impl<D: BlockDevice> Fat<D> {
    /// Like [`probe`], but a missing signature is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no FAT boot sector signature".into()))
    }

    /// FAT12, FAT16 or FAT32.
    pub fn fat_type(&self) -> FatType {
        self.bs.fat_type
    }

    /// Bytes per cluster.
    pub fn cluster_size(&self) -> u64 {
        self.bs.cluster_size()
    }

    /// Number of data clusters.
    pub fn cluster_count(&self) -> u32 {
        self.bs.cluster_count
    }

    /// Whether the primary boot sector was bad and the FAT32 backup was used.
    pub fn opened_from_backup(&self) -> bool {
        self.from_backup
    }

    /// FAT32's FSInfo hints, when the sector is present and valid.
    pub fn fs_info(&self) -> Option<FsInfoSector> {
        self.fs_info
    }

    fn root_loc(&self) -> DirLoc {
        match self.bs.fat_type {
            FatType::Fat32 => DirLoc::Chain(self.bs.root_cluster),
            _ => DirLoc::FixedRoot,
        }
    }

    fn first_cluster(&self, e: &ShortEntry) -> u32 {
        let hi = if self.bs.fat_type == FatType::Fat32 {
            u32::from(e.cluster_hi) << 16
        } else {
            0
        };
        hi | u32::from(e.cluster_lo)
    }

    /// The short entry a node names, checked to be one.
    fn entry(&self, node: NodeId) -> Result<ShortEntry, FsError> {
        let bps = u64::from(self.bs.bytes_per_sector);
        let area = match self.bs.fat_type {
            FatType::Fat32 => self.bs.data_sector,
            _ => self.bs.root_dir_sector,
        }
        .saturating_mul(bps);
        let end = self.bs.total_sectors.saturating_mul(bps);
        let off = node.0;
        if off.checked_rem(ENTRY_SIZE as u64) != Some(0) || off < area || off >= end {
            return Err(FsError::NotFound(format!(
                "FAT: no directory entry at byte {off}"
            )));
        }
        let mut raw = [0u8; ENTRY_SIZE];
        self.dev
            .read_exact_at(off, &mut raw)
            .map_err(|e| io(&format!("directory entry at byte {off}"), e))?;
        match dir_entry::slot(&raw) {
            Some(Slot::Short(e)) if !e.is_dot() => Ok(e),
            _ => Err(FsError::NotFound(format!(
                "FAT: no file's directory entry at byte {off}"
            ))),
        }
    }

    /// Where the slots of directory `node` are.
    fn dir_loc(&self, node: NodeId) -> Result<DirLoc, FsError> {
        if node == ROOT {
            return Ok(self.root_loc());
        }
        let e = self.entry(node)?;
        if e.attr & ATTR_DIRECTORY == 0 {
            return Err(FsError::WrongKind(format!(
                "FAT: the entry at byte {} is not a directory",
                node.0
            )));
        }
        let c = self.first_cluster(&e);
        if c == 0 {
            return Err(FsError::Corrupt(format!(
                "FAT: the directory entry at byte {} has no cluster",
                node.0
            )));
        }
        Ok(DirLoc::Chain(c))
    }

    /// Calls `f(byte offset, slot)` for each slot of a directory up to its end marker.
    fn for_each_slot(
        &self,
        loc: DirLoc,
        f: &mut dyn FnMut(u64, Slot) -> Result<ControlFlow<()>, FsError>,
    ) -> Result<(), FsError> {
        let mut seen = 0u64;
        let mut visit = |base: u64, buf: &[u8]| -> Result<ControlFlow<()>, FsError> {
            for (i, raw) in buf.chunks_exact(ENTRY_SIZE).enumerate() {
                seen = seen.saturating_add(1);
                if seen > MAX_DIR_SLOTS {
                    return Err(FsError::Limit(format!(
                        "FAT: a directory at byte {base} has more than {MAX_DIR_SLOTS} entries"
                    )));
                }
                let at = base.saturating_add((i as u64).saturating_mul(ENTRY_SIZE as u64));
                let Some(slot) = dir_entry::slot(raw) else {
                    continue;
                };
                if slot == Slot::End {
                    return Ok(ControlFlow::Break(()));
                }
                if f(at, slot)?.is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        };
        match loc {
            DirLoc::FixedRoot => {
                let bps = u64::from(self.bs.bytes_per_sector);
                let at = self.bs.root_dir_sector.saturating_mul(bps);
                let len = u64::from(self.bs.root_entries).saturating_mul(ENTRY_SIZE as u64);
                let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
                self.dev
                    .read_exact_at(at, &mut buf)
                    .map_err(|e| io("the root directory", e))?;
                let _ = visit(at, &buf)?;
            }
            DirLoc::Chain(first) => {
                let cs = self.bs.cluster_size();
                let mut buf = vec![0u8; usize::try_from(cs).unwrap_or(0)];
                let mut chain = Chain::new(&self.dev, &self.bs, first)?;
                while let Some(c) = chain.next_cluster()? {
                    let at = self.bs.cluster_offset(c);
                    self.dev.read_exact_at(at, &mut buf).map_err(|e| {
                        io(&format!("directory cluster {c} (chain from {first})"), e)
                    })?;
                    if visit(at, &buf)?.is_break() {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Calls `f(name, node, entry)` for each file of a directory, `.` and `..` skipped.
    fn for_each_entry(&self, dir: NodeId, f: &mut EntryFn<'_>) -> Result<(), FsError> {
        let loc = self.dir_loc(dir)?;
        let mut lfn = LongName::default();
        self.for_each_slot(loc, &mut |at, slot| match slot {
            Slot::Lfn(raw) => {
                lfn.push(&raw);
                Ok(ControlFlow::Continue(()))
            }
            Slot::Short(e) => {
                let long = lfn.take(&e);
                if e.is_dot() {
                    return Ok(ControlFlow::Continue(()));
                }
                let name = long.unwrap_or_else(|| e.display_name());
                f(&name, NodeId(at), &e)
            }
            Slot::End | Slot::Deleted | Slot::Label(_) => {
                lfn.reset();
                Ok(ControlFlow::Continue(()))
            }
        })
    }

    /// The directory entry of file `node`.
    fn file_entry(&self, node: NodeId) -> Result<ShortEntry, FsError> {
        if node == ROOT {
            return Err(FsError::WrongKind("FAT: the root is a directory".into()));
        }
        let e = self.entry(node)?;
        if e.attr & ATTR_DIRECTORY != 0 {
            return Err(FsError::WrongKind(format!(
                "FAT: the entry at byte {} is a directory",
                node.0
            )));
        }
        Ok(e)
    }

    /// The chain of a file (entry `e` at byte `at`) walked to the cluster that holds
    /// byte `offset`, which is below the file's size.
    fn seek(&self, at: u64, e: &ShortEntry, offset: u64) -> Result<FileCursor<'_, D>, FsError> {
        let size = u64::from(e.size);
        let cs = self.bs.cluster_size();
        let need = size.div_ceil(cs);
        if need > u64::from(self.bs.cluster_count) {
            return Err(FsError::Corrupt(format!(
                "FAT: the file at byte {at} is {size} bytes, more than the volume holds"
            )));
        }
        let first = self.first_cluster(e);
        if first == 0 {
            return Err(FsError::Corrupt(format!(
                "FAT: the file at byte {at} is {size} bytes but has no cluster"
            )));
        }
        let mut cur = FileCursor {
            chain: Chain::new(&self.dev, &self.bs, first)?,
            at,
            size,
            need,
            first,
            pos: 0,
        };
        let skip = offset.checked_div(cs).unwrap_or(0);
        while cur.pos < skip {
            let (_, n) = cur
                .chain
                .next_run(skip.saturating_sub(cur.pos))?
                .ok_or_else(|| cur.short())?;
            cur.pos = cur.pos.saturating_add(n);
        }
        Ok(cur)
    }

    /// Reads file bytes at `offset` into `buf`; returns how many (fewer only at the end).
    fn read_file(
        &self,
        node: NodeId,
        e: &ShortEntry,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        let at = node.0;
        let size = u64::from(e.size);
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let cs = self.bs.cluster_size();
        let mut cur = self.seek(at, e, offset)?;
        let want =
            usize::try_from(size.saturating_sub(offset)).map_or(buf.len(), |a| a.min(buf.len()));
        let mut in_cluster = offset.checked_rem(cs).unwrap_or(0);
        let mut done = 0usize;
        while done < want {
            let left = want.saturating_sub(done) as u64;
            let (c, bytes) = cur.next_run(cs, in_cluster, left)?;
            let end = done.saturating_add(usize::try_from(bytes).unwrap_or(0));
            let chunk = buf.get_mut(done..end).ok_or_else(|| {
                FsError::Corrupt(format!(
                    "FAT: file at byte {at}: read bookkeeping out of range"
                ))
            })?;
            let from = self.bs.cluster_offset(c).saturating_add(in_cluster);
            self.dev
                .read_exact_at(from, chunk)
                .map_err(|err| io(&format!("file at byte {at}, cluster {c}"), err))?;
            in_cluster = 0;
            done = end;
        }
        cur.check_end(offset.saturating_add(want as u64))?;
        Ok(want)
    }
}

impl<D: BlockDevice> FileSystem for Fat<D> {
    fn info(&self) -> FsInfo {
        FsInfo {
            fs_type: "fat",
            uuid: Some(self.bs.uuid_string()),
            label: self.label.clone(),
        }
    }

    fn root(&self) -> NodeId {
        ROOT
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        if name.is_empty() || name.contains(&b'/') {
            return Ok(None);
        }
        let mut found = None;
        self.for_each_entry(dir, &mut |n, node, _| {
            if dir_entry::eq_ignore_case(n, name) {
                found = Some(node);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(found)
    }

    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError> {
        if node == ROOT {
            return Ok(Metadata {
                kind: FileKind::Directory,
                size: 0,
            });
        }
        let e = self.entry(node)?;
        Ok(if e.attr & ATTR_DIRECTORY != 0 {
            Metadata {
                kind: FileKind::Directory,
                size: 0,
            }
        } else {
            Metadata {
                kind: FileKind::Regular,
                size: u64::from(e.size),
            }
        })
    }

    fn read_link(&self, node: NodeId, _max_len: usize) -> Result<Vec<u8>, FsError> {
        Err(FsError::WrongKind(format!(
            "FAT: the entry at byte {} is not a symbolic link (FAT has none)",
            node.0
        )))
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let e = self.file_entry(node)?;
        self.read_file(node, &e, offset, buf)
    }

    /// A run of consecutive clusters: FAT stores a file's bytes as they read, cluster
    /// by cluster, with no checksums.
    fn stored_run(
        &self,
        node: NodeId,
        offset: u64,
        max: u64,
    ) -> Result<Option<StoredRun>, FsError> {
        let e = self.file_entry(node)?;
        let left = u64::from(e.size).saturating_sub(offset).min(max);
        if left == 0 {
            return Ok(None);
        }
        let cs = self.bs.cluster_size();
        let mut cur = self.seek(node.0, &e, offset)?;
        let in_cluster = offset.checked_rem(cs).unwrap_or(0);
        let (c, len) = cur.next_run(cs, in_cluster, left)?;
        cur.check_end(offset.saturating_add(len))?;
        let at = self.bs.cluster_offset(c).saturating_add(in_cluster);
        if at.checked_add(len).is_none_or(|e| e > self.dev.size()) {
            return Err(FsError::Corrupt(format!(
                "FAT: file at byte {}: cluster {c} lies outside the volume",
                node.0
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
        let mut budget = EntryBudget::new(max_entries);
        self.for_each_entry(dir, &mut |name, node, _| {
            budget.take(|| format!("FAT: directory {}", dir.0))?;
            Ok(f(name, node))
        })
    }
}

/// A file's cluster chain being walked: `pos` clusters passed so far.
struct FileCursor<'a, D> {
    chain: Chain<'a, D>,
    /// Byte offset of the file's directory entry, to name it in errors.
    at: u64,
    size: u64,
    /// Clusters the size needs.
    need: u64,
    first: u32,
    pos: u64,
}

impl<D: BlockDevice> FileCursor<'_, D> {
    /// The chain ended after `pos` clusters, before the size was reached.
    fn short(&self) -> FsError {
        FsError::Corrupt(format!(
            "FAT: the file at byte {} is {} bytes, but its chain from cluster {} ends after {} \
             clusters",
            self.at, self.size, self.first, self.pos
        ))
    }

    /// The next run of consecutive clusters, for at most `left` bytes starting
    /// `in_cluster` bytes into its first cluster: that cluster and the bytes (>= 1).
    fn next_run(&mut self, cs: u64, in_cluster: u64, left: u64) -> Result<(u32, u64), FsError> {
        let clusters = in_cluster.saturating_add(left).div_ceil(cs);
        let (c, n) = self.chain.next_run(clusters)?.ok_or_else(|| self.short())?;
        self.pos = self.pos.saturating_add(n);
        Ok((c, n.saturating_mul(cs).saturating_sub(in_cluster).min(left)))
    }

    /// Once a read reaches byte `end`: if that is the end of the file, checks that the
    /// chain ends there too, since a longer chain contradicts the size as much as a
    /// shorter one does.
    fn check_end(&self, end: u64) -> Result<(), FsError> {
        if end == self.size && self.pos == self.need && !self.chain.ended() {
            return Err(FsError::Corrupt(format!(
                "FAT: the file at byte {} is {} bytes ({} clusters), but its chain from \
                 cluster {} is longer",
                self.at, self.size, self.need, self.first
            )));
        }
        Ok(())
    }
}

//! ISO9660 (ECMA-119), read-only, with Rock Ridge and Joliet.
//!
//! One file per on-disk structure: `volume_descriptor` (the descriptor set from
//! sector 16), `dir_record` (directory records), `susp` (system use entries and their
//! continuation areas), `rock_ridge` (the POSIX layer on top of SUSP) and `el_torito`
//! (the boot catalog, for `inspect`).
//!
//! Which names a volume has is chosen as GRUB chooses: Rock Ridge when the root's `.`
//! record carries `SP` and an `ER` entry; otherwise the Joliet tree when there is a
//! Joliet descriptor; otherwise plain ECMA-119 names. Plain names are shown as GRUB
//! (and Linux) show them: the `;1` version cut off, lowercased, one trailing dot
//! removed, and they are looked up without case (ASCII). Rock Ridge and Joliet names
//! are exact. A record without an `NM` entry falls back to its plain name.
//!
//! A node is the byte offset of its directory record on the volume (the root's is
//! inside the descriptor). Files of more than one extent are runs of records; the
//! node is the first, and the rest are found after it in the same directory, each
//! checked to carry the same identifier. Relocated directories (Rock Ridge `CL`/`RE`)
//! appear where they belong and are hidden where they were moved to, as Linux shows
//! them (GRUB itself ignores relocation).
//!
//! Every length, offset and count is hostile (pygrub's own reader needed XSA-497):
//! records are checked against their sector, directories against
//! [`MAX_DIR_BYTES`], multi-extent runs against [`MAX_EXTENTS`], SUSP continuation
//! areas in size and number.

mod dir_record;
pub mod el_torito;
mod rock_ridge;
mod susp;
mod volume_descriptor;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use xlboot_disk::{BlockDevice, IoError};

use crate::vfs::EntryBudget;
use crate::{FileKind, FileSystem, FsError, FsInfo, Metadata, NodeId, StoredRun};
use dir_record::DirRecord;
pub use el_torito::{BootCatalog, BootEntry};
use rock_ridge::RockRidge;
use volume_descriptor::{Descriptor, VolumeDescriptor, FIRST_SECTOR, MAX_DESCRIPTORS, SECTOR};

/// [`SECTOR`] as a buffer length.
const SECTOR_BYTES: usize = 2048;

/// What [`Iso9660::for_each_entry`] calls: name, whether it matches without case,
/// node.
type EntryFn<'a> = dyn FnMut(&[u8], bool, NodeId) -> Result<ControlFlow<()>, FsError> + 'a;

/// Largest directory read (far beyond any boot directory; bounds hostile sizes).
pub const MAX_DIR_BYTES: u64 = 32 << 20;
/// Most extents of one file (xorriso's default limit is 100).
pub const MAX_EXTENTS: usize = 256;

/// Which of a volume's name layers is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Rock Ridge on the primary tree, with the SUSP skip length of `SP`.
    RockRidge {
        /// Bytes skipped at the start of each system use area.
        skip: u8,
    },
    /// The Joliet tree (UCS-2 names).
    Joliet,
    /// Plain ECMA-119 names.
    Plain,
}

/// An open ISO9660 filesystem.
pub struct Iso9660<D> {
    dev: D,
    vd: VolumeDescriptor,
    names: Names,
    catalog: Option<u32>,
}

impl<D> core::fmt::Debug for Iso9660<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Iso9660")
            .field("vd", &self.vd)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// A record with what its Rock Ridge entries say (empty unless Rock Ridge is used).
struct Node {
    at: u64,
    rec: DirRecord,
    rr: RockRidge,
}

fn io(what: &str, e: IoError) -> FsError {
    match e {
        IoError::OutOfRange { .. } => FsError::Corrupt(format!("ISO9660: {what}: {e}")),
        other => FsError::Io(other),
    }
}

/// Opens `dev` as ISO9660 if sector 16 is a volume descriptor (`CD001`).
///
/// `Ok(None)`: no descriptor, so another reader may try. `Err`: the descriptor set or
/// the root directory is corrupt, or uses what this reader refuses (named).
pub fn probe<D: BlockDevice>(dev: D) -> Result<Option<Iso9660<D>>, FsError> {
    let mut sector = vec![0u8; SECTOR_BYTES];
    let first = FIRST_SECTOR.saturating_mul(SECTOR);
    if dev.size() < first.saturating_add(SECTOR) {
        return Ok(None);
    }
    dev.read_exact_at(first, &mut sector)?;
    if !volume_descriptor::has_magic(&sector) {
        return Ok(None);
    }
    let mut primary = None;
    let mut joliet = None;
    let mut catalog = None;
    let mut ended = false;
    for n in FIRST_SECTOR..FIRST_SECTOR.saturating_add(MAX_DESCRIPTORS) {
        dev.read_exact_at(n.saturating_mul(SECTOR), &mut sector)
            .map_err(|e| io(&format!("volume descriptor at sector {n}"), e))?;
        if !volume_descriptor::has_magic(&sector) {
            return Err(FsError::Corrupt(format!(
                "ISO9660: sector {n} is not a volume descriptor, and no terminator came before it"
            )));
        }
        match volume_descriptor::parse(&sector, n)? {
            Descriptor::Terminator => {
                ended = true;
                break;
            }
            Descriptor::ElTorito { catalog: c } => {
                catalog.get_or_insert(c);
            }
            Descriptor::Volume(v) if v.joliet => {
                joliet.get_or_insert(v);
            }
            Descriptor::Volume(v) => {
                primary.get_or_insert(v);
            }
            Descriptor::Other => {}
        }
    }
    if !ended {
        return Err(FsError::Corrupt(format!(
            "ISO9660: no volume descriptor set terminator in {MAX_DESCRIPTORS} sectors"
        )));
    }
    let primary =
        primary.ok_or_else(|| FsError::Corrupt("ISO9660: no primary volume descriptor".into()))?;
    let mut fs = Iso9660 {
        dev,
        vd: primary,
        names: Names::Plain,
        catalog,
    };
    // Rock Ridge: the root's `.` record (the first of the root directory).
    let root = fs.record(NodeId(fs.vd.root_record()))?;
    let (dot_at, _) = fs.dir_extent(&root)?;
    let dot = fs.record(NodeId(dot_at))?;
    if !dot.rec.is_dot() {
        return Err(FsError::Corrupt(format!(
            "ISO9660: the root directory at byte {dot_at} does not start with `.`"
        )));
    }
    if let Some(skip) = rock_ridge::detect(&fs.dev, dot.rec.system_use(0), dot_at)? {
        fs.names = Names::RockRidge { skip };
    } else if let Some(j) = joliet {
        fs.vd = j;
        fs.names = Names::Joliet;
        let root = fs.record(NodeId(fs.vd.root_record()))?;
        fs.dir_extent(&root)?;
    }
    Ok(Some(fs))
}

/// The plain ECMA-119 name as GRUB shows it (see the module comment).
fn plain_name(id: &[u8]) -> Vec<u8> {
    let id = id
        .iter()
        .rposition(|&c| c == b';')
        .and_then(|i| id.get(..i))
        .unwrap_or(id);
    let mut v: Vec<u8> = id.iter().map(u8::to_ascii_lowercase).collect();
    if v.last() == Some(&b'.') {
        v.pop();
    }
    v
}

/// A Joliet name: UCS-2 big-endian to UTF-8, the `;` version cut off.
fn joliet_name(id: &[u8]) -> Vec<u8> {
    let units = id.chunks_exact(2).map(|p| {
        u16::from_be_bytes([
            p.first().copied().unwrap_or(0),
            p.get(1).copied().unwrap_or(0),
        ])
    });
    let s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let s = s.rfind(';').and_then(|i| s.get(..i)).unwrap_or(&s);
    s.as_bytes().to_vec()
}

impl<D: BlockDevice> Iso9660<D> {
    /// Like [`probe`], but a missing descriptor is an error too.
    pub fn open(dev: D) -> Result<Self, FsError> {
        probe(dev)?.ok_or_else(|| FsError::NotFound("no ISO9660 volume descriptor".into()))
    }

    /// The name layer in use.
    pub fn names(&self) -> Names {
        self.names
    }

    /// The El Torito boot catalog, when the volume has a boot record.
    pub fn boot_catalog(&self) -> Result<Option<BootCatalog>, FsError> {
        self.catalog
            .map(|c| el_torito::read(&self.dev, c))
            .transpose()
    }

    /// Reads the record at byte `node` and, on a Rock Ridge volume, its entries.
    fn record(&self, node: NodeId) -> Result<Node, FsError> {
        let at = node.0;
        let in_sector = at.checked_rem(SECTOR).unwrap_or(0);
        let avail = SECTOR.saturating_sub(in_sector).min(255);
        if avail < dir_record::FIXED as u64 || at.saturating_add(avail) > self.dev.size() {
            return Err(FsError::NotFound(format!(
                "ISO9660: no directory record at byte {at}"
            )));
        }
        let mut buf = [0u8; 255];
        let buf = buf
            .get_mut(..usize::try_from(avail).unwrap_or(0))
            .unwrap_or(&mut []);
        self.dev
            .read_exact_at(at, buf)
            .map_err(|e| io(&format!("directory record at byte {at}"), e))?;
        let rec = DirRecord::parse(buf, at)?.ok_or_else(|| {
            FsError::NotFound(format!("ISO9660: no directory record at byte {at}"))
        })?;
        let rr = match self.names {
            Names::RockRidge { skip } if !rec.is_dot() => {
                rock_ridge::read(&self.dev, rec.system_use(usize::from(skip)), at)?
            }
            _ => RockRidge::default(),
        };
        Ok(Node { at, rec, rr })
    }

    fn kind(n: &Node) -> FileKind {
        if n.rr.child_link.is_some() {
            return FileKind::Directory;
        }
        n.rr.kind.unwrap_or(if n.rec.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Regular
        })
    }

    /// Byte offset and size of a directory's extent (a relocated one's, for `CL`).
    fn dir_extent(&self, n: &Node) -> Result<(u64, u64), FsError> {
        let (off, size) = if let Some(lba) = n.rr.child_link {
            let at = u64::from(lba).saturating_mul(SECTOR);
            let dot = self.record(NodeId(at)).map_err(|e| {
                FsError::Corrupt(format!(
                    "ISO9660: record at byte {}: relocated directory at sector {lba}: {e}",
                    n.at
                ))
            })?;
            if !dot.rec.is_dot() || !dot.rec.is_dir() {
                return Err(FsError::Corrupt(format!(
                    "ISO9660: record at byte {}: sector {lba} (CL) is not a directory",
                    n.at
                )));
            }
            (dot.rec.data_offset(), u64::from(dot.rec.size))
        } else {
            if !n.rec.is_dir() {
                return Err(FsError::WrongKind(format!(
                    "ISO9660: the record at byte {} is not a directory",
                    n.at
                )));
            }
            (n.rec.data_offset(), u64::from(n.rec.size))
        };
        if size > MAX_DIR_BYTES {
            return Err(FsError::Limit(format!(
                "ISO9660: directory of {size} bytes at byte {off}, over the {MAX_DIR_BYTES}-byte cap"
            )));
        }
        if off.saturating_add(size) > self.dev.size() {
            return Err(FsError::Corrupt(format!(
                "ISO9660: directory of {size} bytes at byte {off} runs past the end of the volume"
            )));
        }
        Ok((off, size))
    }

    /// Calls `f(name, case-insensitive?, node)` for each entry of directory `dir`:
    /// `.`, `..`, the continuation records of multi-extent files and relocated
    /// directories (`RE`) skipped.
    fn for_each_entry(&self, dir: NodeId, f: &mut EntryFn<'_>) -> Result<(), FsError> {
        let d = self.record(dir)?;
        let (start, size) = self.dir_extent(&d)?;
        let mut sector = vec![0u8; SECTOR_BYTES];
        let mut continuing = false;
        let mut off = 0u64;
        while off < size {
            let at = start.saturating_add(off);
            self.dev
                .read_exact_at(at, &mut sector)
                .map_err(|e| io(&format!("directory sector at byte {at}"), e))?;
            let mut pos = 0usize;
            while let Some(rest) = sector.get(pos..) {
                let rat = at.saturating_add(pos as u64);
                let Some(rec) = DirRecord::parse(rest, rat)? else {
                    break;
                };
                pos = pos.saturating_add(rec.raw.len());
                let cont = core::mem::replace(&mut continuing, rec.is_multi_extent());
                if cont || rec.is_dot() {
                    continue;
                }
                let (name, fold) = match self.names {
                    Names::Joliet => (joliet_name(rec.name()), false),
                    Names::Plain => (plain_name(rec.name()), true),
                    Names::RockRidge { skip } => {
                        let rr =
                            rock_ridge::read(&self.dev, rec.system_use(usize::from(skip)), rat)?;
                        if rr.relocated {
                            continue;
                        }
                        match rr.name {
                            Some(n) => (n, false),
                            None => (plain_name(rec.name()), true),
                        }
                    }
                };
                if f(&name, fold, NodeId(rat))?.is_break() {
                    return Ok(());
                }
            }
            off = off.saturating_add(SECTOR);
        }
        Ok(())
    }

    /// The extents of regular file `node` (see `extents`).
    fn file_extents(&self, node: NodeId) -> Result<Vec<(u64, u64)>, FsError> {
        let n = self.record(node)?;
        match Self::kind(&n) {
            FileKind::Regular => {}
            FileKind::Directory => {
                return Err(FsError::WrongKind(format!(
                    "ISO9660: the record at byte {} is a directory",
                    node.0
                )))
            }
            FileKind::Symlink => {
                return Err(FsError::WrongKind(format!(
                    "ISO9660: the record at byte {} is a symbolic link",
                    node.0
                )))
            }
            FileKind::Other => {
                return Err(FsError::WrongKind(format!(
                "ISO9660: the record at byte {} is not a regular file (a device, FIFO or socket)",
                node.0
            )))
            }
        }
        if n.rec.is_multi_extent() {
            self.extents(&n)
        } else {
            Ok(vec![(n.rec.data_offset(), u64::from(n.rec.size))])
        }
    }

    /// The extents of a file: (byte offset, bytes) each, in order.
    fn extents(&self, n: &Node) -> Result<Vec<(u64, u64)>, FsError> {
        let mut out = vec![(n.rec.data_offset(), u64::from(n.rec.size))];
        let mut cur_at = n.at;
        let mut cur_len = n.rec.raw.len() as u64;
        let mut multi = n.rec.is_multi_extent();
        while multi {
            if out.len() >= MAX_EXTENTS {
                return Err(FsError::Limit(format!(
                    "ISO9660: the file at byte {} has more than {MAX_EXTENTS} extents",
                    n.at
                )));
            }
            // The next record follows, or starts the next sector after padding.
            let mut next = cur_at.saturating_add(cur_len);
            let lost = FsError::Corrupt(format!(
                "ISO9660: the multi-extent file at byte {} has no record for its extent {}",
                n.at,
                out.len()
            ));
            let rec = match self.record(NodeId(next)) {
                Ok(r) => r,
                Err(_) => {
                    next = next.div_ceil(SECTOR).saturating_mul(SECTOR);
                    self.record(NodeId(next)).map_err(|_| lost)?
                }
            };
            if rec.rec.name() != n.rec.name() {
                return Err(FsError::Corrupt(format!(
                    "ISO9660: the multi-extent file at byte {}: the record at byte {next} names \
                     another file",
                    n.at
                )));
            }
            out.push((rec.rec.data_offset(), u64::from(rec.rec.size)));
            cur_at = next;
            cur_len = rec.rec.raw.len() as u64;
            multi = rec.rec.is_multi_extent();
        }
        Ok(out)
    }

    fn file_size(&self, n: &Node) -> Result<u64, FsError> {
        if !n.rec.is_multi_extent() {
            return Ok(u64::from(n.rec.size));
        }
        Ok(self
            .extents(n)?
            .iter()
            .fold(0u64, |s, &(_, l)| s.saturating_add(l)))
    }
}

impl<D: BlockDevice> FileSystem for Iso9660<D> {
    fn info(&self) -> FsInfo {
        FsInfo {
            fs_type: "iso9660",
            uuid: self.vd.uuid(),
            label: self.vd.label(),
        }
    }

    fn root(&self) -> NodeId {
        NodeId(self.vd.root_record())
    }

    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError> {
        if name.is_empty() || name.contains(&b'/') {
            return Ok(None);
        }
        let mut found = None;
        self.for_each_entry(dir, &mut |n, fold, node| {
            let hit = if fold {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            };
            if hit {
                found = Some(node);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(found)
    }

    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError> {
        let n = self.record(node)?;
        let kind = Self::kind(&n);
        let size = match kind {
            FileKind::Regular => self.file_size(&n)?,
            FileKind::Symlink => n.rr.link.as_ref().map_or(0, |l| l.len() as u64),
            _ => u64::from(n.rec.size),
        };
        Ok(Metadata { kind, size })
    }

    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError> {
        let n = self.record(node)?;
        let is_link = Self::kind(&n) == FileKind::Symlink;
        let Some(link) = n.rr.link.filter(|_| is_link) else {
            return Err(FsError::WrongKind(format!(
                "ISO9660: the record at byte {} is not a symbolic link",
                node.0
            )));
        };
        if link.len() > max_len {
            return Err(FsError::Limit(format!(
                "ISO9660: symbolic link at byte {} is {} bytes long, over the {max_len}-byte cap",
                node.0,
                link.len()
            )));
        }
        Ok(link)
    }

    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let extents = self.file_extents(node)?;
        let mut done = 0usize;
        let mut base = 0u64; // file offset of the current extent
        for (i, &(at, len)) in extents.iter().enumerate() {
            let end = base.saturating_add(len);
            let pos = offset.saturating_add(done as u64);
            if done < buf.len() && pos < end {
                let inside = pos.saturating_sub(base);
                let left = buf.len().saturating_sub(done);
                let n = usize::try_from(end.saturating_sub(pos)).map_or(left, |a| a.min(left));
                let chunk = buf.get_mut(done..done.saturating_add(n)).unwrap_or(&mut []);
                self.dev
                    .read_exact_at(at.saturating_add(inside), chunk)
                    .map_err(|e| io(&format!("file at byte {}, extent {i}", node.0), e))?;
                done = done.saturating_add(n);
            }
            base = end;
        }
        Ok(done)
    }

    /// Extents are always stored as they read: an ISO9660 file's bytes lie in whole
    /// sectors, one contiguous run per extent (interleaved files are refused when
    /// their record is read, and zisofs compression is not read at all).
    fn stored_run(
        &self,
        node: NodeId,
        offset: u64,
        max: u64,
    ) -> Result<Option<StoredRun>, FsError> {
        let extents = self.file_extents(node)?;
        let mut base = 0u64; // file offset of the current extent
        for &(at, len) in &extents {
            let end = base.saturating_add(len);
            if offset < end {
                let len = end.saturating_sub(offset).min(max);
                let at = at.saturating_add(offset.saturating_sub(base));
                if len == 0 || at.checked_add(len).is_none_or(|e| e > self.dev.size()) {
                    // read_at says what is wrong with it.
                    return Ok(None);
                }
                return Ok(Some(StoredRun::Data { at, len }));
            }
            base = end;
        }
        Ok(None)
    }

    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError> {
        let mut budget = EntryBudget::new(max_entries);
        self.for_each_entry(dir, &mut |name, _, node| {
            budget.take(|| format!("ISO9660: directory at byte {}", dir.0))?;
            Ok(f(name, node))
        })
    }
}

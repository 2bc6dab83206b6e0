//! The guest's volumes, each with the filesystem found on it, named as the guest's
//! boot loader names them; and the view of them that config evaluation gets
//! ([`ConfigHost`]).
//!
//! Volumes come in layers, as GRUB's disk drivers find them: the partitions (or the
//! whole disk) of each disk given (`hd0`, `hd1`, ...); the md RAID1 arrays whose
//! members are among those (`md/NAME` or `mdN`, also `mduuid/...`), each read through
//! its first member found; then the LVM2 logical volumes whose physical volumes are
//! among the partitions and arrays (`lvm/VG-LV`, also `lvmid/VG-UUID/LV-UUID`). An
//! array or LV that cannot be read (another RAID level, a thin or snapshot LV, a PV on
//! a disk not given) is kept as a volume without a filesystem, with the reason.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use xlboot_config::{ConfigHost, Device, FilePath, HostError, PathRoot};
use xlboot_disk::volumes::{self, Volume as DiskVolume};
use xlboot_disk::{lvm, md, BlockDevice, IoError, Window};
use xlboot_fs::path::{resolve, resolve_file_in, resolve_in, PathLimits};
use xlboot_fs::{FileKind, FileSystem, FsError, NodeId};

use crate::error::{BootError, ErrorKind};

/// The disk as the guest's volumes read it.
pub type Disk<'d> = &'d dyn BlockDevice;

/// The largest config or environment file read (pygrub reads the first 1 MiB).
pub const MAX_CONFIG_FILE: usize = 1 << 20;

/// One volume: a partition, the whole disk, the filesystem at `--offset`, an md
/// array or an LVM logical volume.
pub struct Volume<'d> {
    /// GRUB 2's name for it: `hd0`, `hd0,msdos1`, `hd0,gpt2`, `md/boot`, `lvm/vg-root`.
    pub name: String,
    /// Other names GRUB accepts for it: `mduuid/...`, `lvmid/.../...`.
    pub aliases: Vec<String>,
    /// Byte offset on its disk (of an md array: of its data on the member read; 0 for
    /// an LV, which may be spread over several places).
    pub start: u64,
    /// The filesystem on it, or why there is none xlboot can read.
    pub fs: Result<Box<dyn FileSystem + 'd>, FsError>,
    /// For a partition, what the running guest also names it by.
    pub ids: PartitionIds,
}

/// What names a partition in the running guest besides its filesystem: fstab's and
/// the kernel's `PARTUUID=`, and `PARTLABEL=` (udev's `/dev/disk/by-partuuid/` and
/// `by-partlabel/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionIds {
    /// `PARTUUID`: a GPT partition's unique GUID, or an MBR partition's
    /// `SIGNATURE-NN` ([`DiskVolume::part_uuid`]).
    pub uuid: Option<String>,
    /// `PARTLABEL`: a GPT partition's name.
    pub label: Option<String>,
}

impl PartitionIds {
    fn of(v: &DiskVolume) -> PartitionIds {
        PartitionIds {
            uuid: v.part_uuid(),
            label: (!v.name.is_empty()).then(|| v.name.clone()),
        }
    }
}

impl fmt::Debug for Volume<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volume")
            .field("name", &self.name)
            .field("start", &self.start)
            .field("fs", &self.fs.as_ref().map(|fs| fs.info()))
            .finish()
    }
}

/// A guest disk, opened.
pub struct Guest<'d> {
    /// Volumes in the order pygrub tries them: partition table order, disk by disk,
    /// then md arrays, then LVM logical volumes.
    pub volumes: Vec<Volume<'d>>,
    /// md superblocks and LVM labels that were found but could not be used, for
    /// diagnostics (the partition is still tried as a plain volume).
    pub problems: Vec<String>,
    limits: PathLimits,
    disk: Disk<'d>,
}

/// A partition (or the volume at `--offset`) found on a disk: its name, start, ids, and
/// the window onto it (or why there is none).
type FoundPartition<'d> = (String, u64, PartitionIds, Result<Window<Disk<'d>>, IoError>);

/// What the layers above the partitions read through: a partition window or an md
/// array's window on a member.
#[derive(Clone)]
enum Backing<'d> {
    Part(Window<Disk<'d>>),
    Md(Window<Window<Disk<'d>>>),
}

impl BlockDevice for Backing<'_> {
    fn size(&self) -> u64 {
        match self {
            Backing::Part(w) => w.size(),
            Backing::Md(w) => w.size(),
        }
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        match self {
            Backing::Part(w) => w.read_exact_at(offset, buf),
            Backing::Md(w) => w.read_exact_at(offset, buf),
        }
    }
}

/// The filesystem on `dev`, or why there is none: when no filesystem signature is
/// found, what the volume holds instead if its signature says (an encrypted
/// container must read as that, not as damage).
fn probe_fs<'d, D: BlockDevice + Clone + 'd>(dev: D) -> Result<Box<dyn FileSystem + 'd>, FsError> {
    probe_fs_among(dev, &[])
}

/// [`probe_fs`] with the guest's other volumes at hand, for a filesystem that spans
/// devices (btrfs).
fn probe_fs_among<'d, D: BlockDevice + Clone + 'd>(
    dev: D,
    others: &[D],
) -> Result<Box<dyn FileSystem + 'd>, FsError> {
    let fs = xlboot_fs::probe_among(dev.clone(), others)?;
    fs.ok_or_else(|| {
        FsError::Unsupported(match xlboot_fs::not_a_filesystem::identify(&dev) {
            Some(other) => format!("no filesystem xlboot can read: {other}"),
            None => "no filesystem xlboot can read".to_string(),
        })
    })
}

/// A filesystem on one volume with a file in it resolved.
pub struct Found<'g, 'd> {
    /// The filesystem.
    pub fs: &'g (dyn FileSystem + 'd),
    /// The file.
    pub node: NodeId,
}

impl<'d> Guest<'d> {
    /// Finds the volumes of `disk` (or takes the one at `offset`) and probes each for a
    /// filesystem. A volume without one is kept, with the reason, for error messages.
    pub fn open(disk: Disk<'d>, offset: Option<u64>) -> Result<Self, BootError> {
        Self::open_disks(&[disk], offset)
    }

    /// [`Guest::open`] over several disks: `disks[0]` is GRUB's `hd0` (the one
    /// `offset` applies to), the others `hd1`, `hd2`, ... in order. Further disks
    /// matter for LVM volume groups and md arrays that span them.
    pub fn open_disks(disks: &[Disk<'d>], offset: Option<u64>) -> Result<Self, BootError> {
        let mut volumes = Vec::new();
        let mut problems = Vec::new();
        // Layer 1: partitions, found on every disk first, so that a filesystem
        // spanning several of them (btrfs) is probed with the others at hand.
        let mut parts_found: Vec<FoundPartition<'d>> = Vec::new();
        for (index, &disk) in disks.iter().enumerate() {
            let parts = volumes::discover(disk).map_err(|e| {
                let kind = if e.is_corrupt() {
                    ErrorKind::Corrupt
                } else if e.is_unsupported() {
                    ErrorKind::Unsupported
                } else {
                    ErrorKind::Io
                };
                let which = if index == 0 {
                    String::new()
                } else {
                    format!("disk hd{index}: ")
                };
                BootError::new(kind, format!("{which}partition table: {e}"))
            })?;
            let chosen: Vec<(String, u64, u64)> = match offset {
                Some(off) if index == 0 => vec![offset_volume(&parts, off, disk)?],
                _ => parts
                    .iter()
                    .map(|v| (v.grub_name(), v.start, v.len))
                    .collect(),
            };
            for (name, start, len) in chosen {
                let ids = parts
                    .iter()
                    .find(|v| v.start == start && v.grub_name() == name)
                    .map(PartitionIds::of)
                    .unwrap_or_default();
                let window = Window::new(disk, start, len);
                parts_found.push((on_disk(&name, index), start, ids, window));
            }
        }
        let windows: Vec<Window<Disk<'d>>> = parts_found
            .iter()
            .filter_map(|(_, _, _, w)| w.as_ref().ok().copied())
            .collect();
        let mut backings: Vec<Backing<'d>> = Vec::new();
        // For each partition backing, the index of its volume.
        let mut backing_volume: Vec<usize> = Vec::new();
        for (name, start, ids, window) in parts_found {
            let fs = match &window {
                Ok(w) => probe_fs_among(*w, &windows),
                Err(e) => Err(FsError::Io(e.clone())),
            };
            if let Ok(w) = window {
                backings.push(Backing::Part(w));
                backing_volume.push(volumes.len());
            }
            volumes.push(Volume {
                name,
                aliases: Vec::new(),
                start,
                fs,
                ids,
            });
        }
        // Layer 2: md RAID1 arrays, one per UUID, read through the first member. A
        // member of an array that is read is no volume of its own, even where its
        // data starts with a filesystem (superblocks 0.90 and 1.0 sit at the end):
        // the kernel and GRUB's search hints name the array, and a write to one member
        // (`--update-grubenv`) would leave the mirror's copies differing.
        let mut arrays: Vec<([u8; 16], bool)> = Vec::new();
        let mut md_backings = Vec::new();
        for (b, &volume) in backings.iter().zip(&backing_volume) {
            let Backing::Part(member) = b else { continue };
            match md::probe(member) {
                Ok(Some(m)) => {
                    let read = match arrays.iter().find(|(u, _)| *u == m.uuid) {
                        Some((_, read)) => *read,
                        None => {
                            let start = member.start().saturating_add(m.data_offset);
                            let (fs, read) = match m.array(*member) {
                                Ok(array) => {
                                    md_backings.push(Backing::Md(array));
                                    (probe_fs(array), true)
                                }
                                Err(e) => (Err(FsError::Unsupported(e.to_string())), false),
                            };
                            arrays.push((m.uuid, read));
                            volumes.push(Volume {
                                name: m.grub_name(),
                                aliases: vec![m.grub_id()],
                                start,
                                fs,
                                ids: PartitionIds::default(),
                            });
                            read
                        }
                    };
                    if let (true, Some(v)) = (read, volumes.get_mut(volume)) {
                        v.fs = Err(FsError::Unsupported(format!(
                            "no filesystem xlboot can read: {}",
                            xlboot_fs::not_a_filesystem::OtherContent::MdMember
                        )));
                    }
                }
                Ok(None) => {}
                Err(e) => problems.push(format!("at byte {}: {e}", member.start())),
            }
        }
        backings.extend(md_backings);
        // Layer 3: LVM2 logical volumes.
        let mut pvs = Vec::new();
        for (i, b) in backings.iter().enumerate() {
            match lvm::probe(b) {
                Ok(Some(pv)) => {
                    if let Some(e) = &pv.metadata_problem {
                        problems.push(e.to_string());
                    }
                    pvs.push((i, pv));
                }
                Ok(None) => {}
                Err(e) => problems.push(e.to_string()),
            }
        }
        let found: Vec<(usize, &lvm::PhysicalVolume)> = pvs.iter().map(|(i, p)| (*i, p)).collect();
        for vg in lvm::assemble(&found) {
            for lv in vg.visible_lvs() {
                let fs = match vg.open(lv, &backings) {
                    Ok(dev) => probe_fs(dev),
                    Err(lvm::LvmError::Corrupt(m)) => Err(FsError::Corrupt(m)),
                    Err(e) => Err(FsError::Unsupported(e.to_string())),
                };
                volumes.push(Volume {
                    name: vg.grub_name(lv),
                    aliases: vec![vg.grub_id(lv)],
                    start: 0,
                    fs,
                    ids: PartitionIds::default(),
                });
            }
        }
        let disk = *disks
            .first()
            .ok_or_else(|| BootError::new(ErrorKind::Request, "no disk given".to_string()))?;
        Ok(Guest {
            volumes,
            problems,
            limits: PathLimits::default(),
            disk,
        })
    }

    /// The whole first disk (`hd0`).
    pub fn disk(&self) -> Disk<'d> {
        self.disk
    }

    /// Changes the budgets of path resolution on the guest's filesystems.
    pub fn set_path_limits(&mut self, limits: PathLimits) {
        self.limits = limits;
    }

    /// The budgets of path resolution on the guest's filesystems.
    pub fn path_limits(&self) -> &PathLimits {
        &self.limits
    }

    /// The volume GRUB calls `device` (any of its spellings).
    pub fn volume(&self, device: &str) -> Option<&Volume<'d>> {
        let canonical = self.canonical_device(device)?;
        self.volumes.iter().find(|v| v.name == canonical)
    }

    /// Resolves a regular file on a volume, symlinks followed inside that volume.
    pub fn find(&self, file: &FilePath) -> Result<Found<'_, 'd>, FsError> {
        let volume = self
            .volume(&file.device)
            .ok_or_else(|| FsError::NotFound(format!("device ({}) does not exist", file.device)))?;
        let fs = volume.fs.as_ref().map_err(|e| {
            FsError::NotFound(format!(
                "({}) holds no readable filesystem: {e}",
                file.device
            ))
        })?;
        let start = self.start(fs.as_ref(), &file.root)?;
        let node = resolve_file_in(fs.as_ref(), start, file.path.as_bytes(), &self.limits)
            .map_err(|e| in_file(e, file))?;
        Ok(Found {
            fs: fs.as_ref(),
            node,
        })
    }

    /// The directory a path with this [`PathRoot`] starts at on `fs`. On a filesystem
    /// without subvolumes every path starts at its root, as GRUB's `btrfs_*`
    /// variables and the kernel's `subvol=` only concern btrfs.
    pub fn start(&self, fs: &dyn FileSystem, root: &PathRoot) -> Result<NodeId, FsError> {
        if !fs.has_subvolumes() {
            return Ok(fs.root());
        }
        match root {
            PathRoot::Top => Ok(fs.root()),
            PathRoot::DefaultSubvolume => fs.default_root(),
            PathRoot::SubvolumeId(id) => fs
                .subvolume_root(*id)?
                .ok_or_else(|| FsError::NotFound(format!("no subvolume with id {id}"))),
            PathRoot::Subvolume {
                path,
                or_in_default,
            } => {
                let node = match resolve(fs, path.as_bytes(), &self.limits) {
                    Err(FsError::NotFound(_)) if *or_in_default => {
                        resolve_in(fs, fs.default_root()?, path.as_bytes(), &self.limits)
                    }
                    r => r,
                }
                .map_err(|e| match e {
                    FsError::NotFound(m) => {
                        FsError::NotFound(format!("subvolume {path} not found: {m}"))
                    }
                    e => e,
                })?;
                if fs.is_subvolume_root(node) && fs.metadata(node)?.kind == FileKind::Directory {
                    Ok(node)
                } else {
                    Err(FsError::WrongKind(format!("{path} is not a subvolume")))
                }
            }
        }
    }

    /// The node `dir` names, `None` when there is no such file or volume.
    fn resolve_any(&self, dir: &FilePath) -> Result<Option<(&dyn FileSystem, NodeId)>, FsError> {
        let Some(fs) = self.volume(&dir.device).and_then(|v| v.fs.as_ref().ok()) else {
            return Ok(None);
        };
        let found = self
            .start(fs.as_ref(), &dir.root)
            .and_then(|start| resolve_in(fs.as_ref(), start, dir.path.as_bytes(), &self.limits));
        match found {
            Ok(node) => Ok(Some((fs.as_ref(), node))),
            Err(FsError::NotFound(_) | FsError::WrongKind(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Adds the file's name to an error that lacks it.
pub fn in_file(e: FsError, file: &FilePath) -> FsError {
    match e {
        FsError::NotFound(m) => FsError::NotFound(format!("{file}: {m}")),
        FsError::WrongKind(m) => FsError::WrongKind(format!("{file}: {m}")),
        FsError::Limit(m) => FsError::Limit(format!("{file}: {m}")),
        other => other,
    }
}

/// `hd0,msdos1` as it is called on disk `index`: `hd1,msdos1` for the second disk.
fn on_disk(name: &str, index: usize) -> String {
    match name.strip_prefix("hd0") {
        Some(rest) if index > 0 => format!("hd{index}{rest}"),
        _ => name.to_string(),
    }
}

/// The volume for `--offset`: the partition starting there if there is one (so it
/// keeps its GRUB name), else everything from the offset to the end of the disk.
fn offset_volume(
    parts: &[DiskVolume],
    offset: u64,
    disk: Disk<'_>,
) -> Result<(String, u64, u64), BootError> {
    if let Some(v) = parts.iter().find(|v| v.start == offset) {
        return Ok((v.grub_name(), v.start, v.len));
    }
    let len = disk
        .size()
        .checked_sub(offset)
        .filter(|l| *l > 0)
        .ok_or_else(|| {
            BootError::new(
                ErrorKind::Request,
                format!(
                    "offset {offset} is past the end of the disk ({} bytes)",
                    disk.size()
                ),
            )
        })?;
    Ok(("hd0".to_string(), offset, len))
}

/// Parses GRUB's device spellings for a disk and partition: `hdN`, `hdN,1`,
/// `hdN,msdos1`, `hdN,gpt1`, and the Xen forms of the first disk, `xen/xvda` and
/// `/dev/xvda` (older Debian configs say `(/dev/xvda,msdos1)`). Returns the disk
/// index and the partition part, if any.
fn parse_device(name: &str) -> Option<(usize, Option<&str>)> {
    let (disk, part) = match name.split_once(',') {
        Some((d, p)) => (d, Some(p)),
        None => (name, None),
    };
    let index = match disk {
        "xen/xvda" | "/dev/xvda" => 0,
        _ => {
            let n = disk.strip_prefix("hd")?;
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 3 {
                return None;
            }
            n.parse().ok()?
        }
    };
    Some((index, part))
}

impl ConfigHost for Guest<'_> {
    fn devices(&self) -> Vec<Device> {
        self.volumes
            .iter()
            .filter_map(|v| {
                let info = v.fs.as_ref().ok()?.info();
                Some(Device {
                    name: v.name.clone(),
                    fs_uuid: info.uuid,
                    label: info.label,
                })
            })
            .collect()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        if let Some(v) = self
            .volumes
            .iter()
            .find(|v| v.name == device || v.aliases.iter().any(|a| a == device))
        {
            return Some(v.name.clone());
        }
        let (disk, part) = parse_device(device)?;
        let wanted_number = part.map(|p| p.trim_start_matches(|c: char| c.is_ascii_alphabetic()));
        let wanted_scheme = part.map(|p| p.trim_end_matches(|c: char| c.is_ascii_digit()));
        self.volumes
            .iter()
            .filter(|v| {
                let d = v.name.split_once(',').map_or(v.name.as_str(), |(d, _)| d);
                parse_device(d).is_some_and(|(i, _)| i == disk)
            })
            .find(
                |v| match (v.name.split_once(','), wanted_number, wanted_scheme) {
                    (None, None, None) => true,
                    (Some((_, vp)), Some(n), Some(scheme)) => {
                        let vn = vp.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                        let vs = vp.trim_end_matches(|c: char| c.is_ascii_digit());
                        vn == n && (scheme.is_empty() || scheme == vs)
                    }
                    _ => false,
                },
            )
            .map(|v| v.name.clone())
    }

    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        match self.find(file) {
            Ok(f) => {
                f.fs.metadata(f.node)
                    .map(|m| Some(m.size))
                    .map_err(host_error)
            }
            Err(FsError::NotFound(_) | FsError::WrongKind(_)) => Ok(None),
            Err(e) => Err(host_error(e)),
        }
    }

    fn has_subvolumes(&self, device: &str) -> bool {
        self.volume(device)
            .and_then(|v| v.fs.as_ref().ok())
            .is_some_and(|fs| fs.has_subvolumes())
    }

    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        match self.resolve_any(dir).map_err(host_error)? {
            Some((fs, node)) => fs
                .metadata(node)
                .map(|m| m.kind == FileKind::Directory)
                .map_err(host_error),
            None => Ok(false),
        }
    }

    fn list_dir(
        &self,
        dir: &FilePath,
        max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        let Some((fs, node)) = self.resolve_any(dir).map_err(host_error)? else {
            return Ok(None);
        };
        if fs.metadata(node).map_err(host_error)?.kind != FileKind::Directory {
            return Ok(None);
        }
        let mut names = Vec::new();
        fs.read_dir(node, max_entries, &mut |name, _| {
            names.push(String::from_utf8_lossy(name).into_owned());
            core::ops::ControlFlow::Continue(())
        })
        .map_err(|e| host_error(in_file(e, dir)))?;
        Ok(Some(names))
    }

    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError> {
        let found = match self.find(file) {
            Ok(f) => f,
            Err(FsError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(host_error(e)),
        };
        read_whole(&found, max)
            .map(Some)
            .map_err(|e| host_error(in_file(e, file)))
    }
}

/// Reads a whole file of at most `max` bytes.
pub fn read_whole(found: &Found<'_, '_>, max: usize) -> Result<Vec<u8>, FsError> {
    let size = found.fs.metadata(found.node)?.size;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= max)
        .ok_or_else(|| {
            FsError::Limit(format!("file is {size} bytes, more than the {max} allowed"))
        })?;
    let mut buf = vec![0u8; size];
    let mut done = 0usize;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        let n = found.fs.read_at(found.node, done as u64, rest)?;
        if n == 0 {
            return Err(FsError::Corrupt(format!(
                "file ends at {done} bytes, before its size {size}"
            )));
        }
        done = done.saturating_add(n);
    }
    Ok(buf)
}

fn host_error(e: FsError) -> HostError {
    HostError(e.to_string())
}

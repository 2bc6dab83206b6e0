//! The guest's volumes, each with the filesystem found on it, named as the guest's
//! boot loader names them; and the view of them that config evaluation gets
//! ([`ConfigHost`]).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use xlboot_config::{ConfigHost, Device, FilePath, HostError};
use xlboot_disk::volumes::{self, Volume as DiskVolume};
use xlboot_disk::{BlockDevice, Window};
use xlboot_fs::path::{resolve, resolve_file, PathLimits};
use xlboot_fs::{FileKind, FileSystem, FsError, NodeId};

use crate::error::{BootError, ErrorKind};

/// The disk as the guest's volumes read it.
pub type Disk<'d> = &'d dyn BlockDevice;

/// The largest config or environment file read (pygrub reads the first 1 MiB).
pub const MAX_CONFIG_FILE: usize = 1 << 20;

/// One volume: a partition, the whole disk, or the filesystem at `--offset`.
pub struct Volume<'d> {
    /// GRUB 2's name for it: `hd0`, `hd0,msdos1`, `hd0,gpt2`.
    pub name: String,
    /// Byte offset on the disk.
    pub start: u64,
    /// The filesystem on it, or why there is none xlboot can read.
    pub fs: Result<Box<dyn FileSystem + 'd>, FsError>,
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
    /// Volumes in the order pygrub tries them: partition table order.
    pub volumes: Vec<Volume<'d>>,
    limits: PathLimits,
    disk: Disk<'d>,
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
        let parts = volumes::discover(disk).map_err(|e| {
            let kind = if e.is_corrupt() {
                ErrorKind::Corrupt
            } else if e.is_unsupported() {
                ErrorKind::Unsupported
            } else {
                ErrorKind::Io
            };
            BootError::new(kind, format!("partition table: {e}"))
        })?;
        let chosen: Vec<(String, u64, u64)> = match offset {
            None => parts
                .iter()
                .map(|v| (v.grub_name(), v.start, v.len))
                .collect(),
            Some(off) => vec![offset_volume(&parts, off, disk)?],
        };
        let volumes = chosen
            .into_iter()
            .map(|(name, start, len)| {
                let fs = Window::new(disk, start, len)
                    .map_err(FsError::Io)
                    .and_then(xlboot_fs::probe)
                    .and_then(|fs| {
                        fs.ok_or_else(|| {
                            FsError::Unsupported("no filesystem xlboot can read".to_string())
                        })
                    });
                Volume { name, start, fs }
            })
            .collect();
        Ok(Guest {
            volumes,
            limits: PathLimits::default(),
            disk,
        })
    }

    /// The whole disk.
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
        let node = resolve_file(fs.as_ref(), file.path.as_bytes(), &self.limits)
            .map_err(|e| in_file(e, file))?;
        Ok(Found {
            fs: fs.as_ref(),
            node,
        })
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

/// Parses GRUB's device spellings for the guest's one disk: `hd0`, `hd0,1`,
/// `hd0,msdos1`, `hd0,gpt1`, and the Xen forms `xen/xvda` and `/dev/xvda` (older
/// Debian configs say `(/dev/xvda,msdos1)`). Returns the partition part, if any.
fn parse_device(name: &str) -> Option<Option<&str>> {
    let (disk, part) = match name.split_once(',') {
        Some((d, p)) => (d, Some(p)),
        None => (name, None),
    };
    matches!(disk, "hd0" | "xen/xvda" | "/dev/xvda").then_some(part)
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
        let part = parse_device(device)?;
        let wanted_number = part.map(|p| p.trim_start_matches(|c: char| c.is_ascii_alphabetic()));
        let wanted_scheme = part.map(|p| p.trim_end_matches(|c: char| c.is_ascii_digit()));
        self.volumes
            .iter()
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

    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        let Some(fs) = self.volume(&dir.device).and_then(|v| v.fs.as_ref().ok()) else {
            return Ok(false);
        };
        match resolve(fs.as_ref(), dir.path.as_bytes(), &self.limits) {
            Ok(node) => fs
                .metadata(node)
                .map(|m| m.kind == FileKind::Directory)
                .map_err(host_error),
            Err(FsError::NotFound(_) | FsError::WrongKind(_)) => Ok(false),
            Err(e) => Err(host_error(e)),
        }
    }

    fn list_dir(
        &self,
        dir: &FilePath,
        max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        let Some(fs) = self.volume(&dir.device).and_then(|v| v.fs.as_ref().ok()) else {
            return Ok(None);
        };
        let node = match resolve(fs.as_ref(), dir.path.as_bytes(), &self.limits) {
            Ok(node) => node,
            Err(FsError::NotFound(_) | FsError::WrongKind(_)) => return Ok(None),
            Err(e) => return Err(host_error(e)),
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

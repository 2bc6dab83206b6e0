//! What a config evaluator may ask of the guest's disks, and nothing more.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Where a path starts on a filesystem that holds several trees (btrfs subvolumes).
///
/// Upstream GRUB, pygrub and most boot loaders start at the filesystem's own root
/// (btrfs: the top-level subvolume 5). openSUSE's and SLES's GRUB starts at the
/// default subvolume when `btrfs_relative_path` is set, or at the subvolume
/// `btrfs_subvol` / `btrfs_subvolid` names; the kernel mounts the default subvolume
/// unless `subvol=` or `subvolid=` says otherwise. On a filesystem without subvolumes
/// every variant is its root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PathRoot {
    /// The filesystem's root.
    #[default]
    Top,
    /// The default subvolume.
    DefaultSubvolume,
    /// The subvolume at this path from the top level (`subvol=`, `btrfs_subvol`,
    /// `btrfs-mount-subvol`).
    Subvolume {
        /// Its path from the top level, e.g. `@/.snapshots/2/snapshot`.
        path: String,
        /// openSUSE GRUB's fallback for `btrfs_subvol` (`lookup_root_by_name_fallback`):
        /// when the path is not found from the top level, it is looked for inside the
        /// default subvolume.
        or_in_default: bool,
    },
    /// The subvolume with this id (`subvolid=`, `btrfs_subvolid`).
    SubvolumeId(u64),
}

/// A file named by a config, on a device named the way the boot loader names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePath {
    /// The boot loader's device name without parentheses, e.g. GRUB 2's `hd0,msdos1`,
    /// `hd0,gpt2` or `hd0`, as it stood when the command that named the file ran (an
    /// explicit `(dev)` prefix, else `$root`).
    pub device: String,
    /// Absolute path on that device, e.g. `/boot/vmlinuz-6.1.0-13-amd64`.
    pub path: String,
    /// Where `path` starts, on a filesystem with subvolumes.
    pub root: PathRoot,
}

impl FilePath {
    /// `path` from the root of `device`'s filesystem.
    pub fn new(device: impl Into<String>, path: impl Into<String>) -> FilePath {
        FilePath {
            device: device.into(),
            path: path.into(),
            root: Default::default(),
        }
    }
}

impl fmt::Display for FilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}){}", self.device, self.path)
    }
}

/// A device (whole disk or partition) that a boot loader running in the guest would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// GRUB 2 name: `hd0` for the whole disk, `hd0,msdos1`, `hd0,gpt1`, ...
    pub name: String,
    /// Filesystem UUID as GRUB's `search --fs-uuid` compares it, if a filesystem was found.
    pub fs_uuid: Option<String>,
    /// Filesystem label, if any.
    pub label: Option<String>,
}

/// Why the host could not answer. Not finding a file is not an error (`Ok(None)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The message of the error [`ConfigHost::list_dir`] gives by default: a host that
/// cannot list directories. Commands that need a listing (`blscfg`) then fail as
/// unsupported rather than guess.
pub const LIST_DIR_UNAVAILABLE: &str = "directory listing is not available";

/// The guest's disks as a config evaluator sees them.
pub trait ConfigHost {
    /// Devices in the order the boot loader would scan them (GRUB's `search` returns
    /// the first match in this order).
    fn devices(&self) -> Vec<Device>;

    /// Whether `device` is a name this host knows (accepting the boot loader's
    /// equivalent spellings, e.g. `hd0,1` for `hd0,msdos1`); returns the canonical name.
    fn canonical_device(&self, device: &str) -> Option<String>;

    /// Size of a regular file (symlinks followed), or `None` if there is no such
    /// regular file.
    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError>;

    /// The whole of a regular file if it is at most `max` bytes; `None` if it does not
    /// exist; an error if it is larger than `max` or unreadable.
    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError>;

    /// Whether `dir` is a directory (symlinks followed). Used by GRUB's `test -d` and
    /// `test -e`. The default answers with an error, which makes a config whose choice
    /// depends on such a test fail as unsupported rather than guess.
    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        Err(HostError(alloc::format!(
            "directory lookups are not available ({dir})"
        )))
    }

    /// Whether `device` holds a filesystem with subvolumes (btrfs), where
    /// [`PathRoot`] matters and openSUSE's `btrfs-mount-subvol` works.
    fn has_subvolumes(&self, device: &str) -> bool {
        let _ = device;
        false
    }

    /// The names in directory `dir` (symlinks followed; `.` and `..` left out), in the
    /// filesystem's own order, at most `max_entries` of them (an error when there are
    /// more); `None` if there is no such directory. Used by `blscfg`. The default
    /// answers with the error [`LIST_DIR_UNAVAILABLE`].
    fn list_dir(
        &self,
        dir: &FilePath,
        max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        let _ = (dir, max_entries);
        Err(HostError(String::from(LIST_DIR_UNAVAILABLE)))
    }
}

//! openSUSE's and SLES's GRUB on btrfs: where a file name starts.
//!
//! Upstream GRUB reads btrfs from the top-level subvolume. The `grub2-btrfs-*`
//! patches of openSUSE's grub2 package change `grub-core/fs/btrfs.c` so that:
//!
//! - when the variable `btrfs_relative_path` starts with `y` or `1`, paths start at
//!   the default subvolume (`find_path` follows the root tree's `default` entry), or
//!   at the subvolume `btrfs_subvol` (a path from the top level, looked for inside the
//!   default subvolume when not found there) or `btrfs_subvolid` names; openSUSE's
//!   `00_header` sets it when `SUSE_BTRFS_SNAPSHOT_BOOTING` is true, and its
//!   `grub2-install` puts `set btrfs_relative_path='y'` in the core image's load.cfg;
//! - `btrfs_subvol` and `btrfs_subvolid` are module state behind variable hooks, not
//!   ordinary variables: one global value, whatever the context, each clearing the
//!   other when set; reading `btrfs_subvolid` while a path is set gives
//!   `subvol:PATH`, and `btrfs_subvol` while an id is set gives `subvolid:N`;
//! - `btrfs-mount-subvol DEVICE DIR SUBVOL` records a mount table: a file name that
//!   starts with `DIR` loses that prefix and, with `btrfs_relative_path` on, is looked
//!   for in `SUBVOL` (a path from the top level). The snapper plugin's
//!   `80_suse_btrfs_snapshot` mounts `@/.snapshots` on `/.snapshots` this way, since
//!   the root snapshot holds only an empty directory there. GRUB compares the prefix
//!   with `strncmp` and takes the greatest matching `DIR` (`find_mtab_subvol_tree`);
//!   that is kept. GRUB applies the table to every btrfs device; here it applies to
//!   the device it was made on, the only one it was meant for.
//!
//! The choice is made when a file name is resolved ([`Btrfs::root_for`]) and carried
//! in [`FilePath::root`](crate::host::FilePath), so that a kernel named inside a
//! snapshot's menu is read from that snapshot even after the entry body's
//! `btrfs_subvol=$saved_subvol` would have run.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::eval::{status, Interp, Vars};
use crate::error::{ConfigError, ConfigErrorKind};
use crate::host::{FilePath, PathRoot};

/// Most `btrfs-mount-subvol` mounts kept.
const MAX_MOUNTS: usize = 64;

/// `btrfs_default_subvol` / `btrfs_default_subvolid` of the patched module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Subvol {
    /// Neither set (or `btrfs_subvolid` set to 0).
    #[default]
    Unset,
    /// `btrfs_subvol`: a path from the top level (empty: the default subvolume).
    Path(String),
    /// `btrfs_subvolid`.
    Id(u64),
}

/// One `btrfs-mount-subvol`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    device: String,
    dir: String,
    subvol: String,
}

/// The btrfs module's global state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Btrfs {
    subvol: Subvol,
    /// Newest first, as `grub_list_push` keeps them.
    mounts: Vec<Mount>,
}

/// Whether `btrfs_relative_path` is on in `vars` (`relpath[0] == '1' || 'y'`).
pub(crate) fn relative(vars: &Vars) -> bool {
    vars.get("btrfs_relative_path")
        .is_some_and(|v| v.starts_with('1') || v.starts_with('y'))
}

impl Btrfs {
    /// The value a hooked variable reads as; `None` for every other name.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        match (name, &self.subvol) {
            ("btrfs_subvol", Subvol::Path(p)) => Some(p.clone()),
            ("btrfs_subvol", Subvol::Id(n)) => Some(format!("subvolid:{n}")),
            ("btrfs_subvolid", Subvol::Path(p)) => Some(format!("subvol:{p}")),
            ("btrfs_subvolid", Subvol::Id(n)) => Some(n.to_string()),
            ("btrfs_subvol" | "btrfs_subvolid", Subvol::Unset) => Some(String::new()),
            _ => None,
        }
    }

    /// Sets a hooked variable: `Some(true)` done, `Some(false)` refused (a
    /// `btrfs_subvolid` that is not a number, as `grub_strtoull` fails), `None` for
    /// every other name.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Option<bool> {
        match name {
            "btrfs_subvol" => {
                self.subvol = Subvol::Path(value.to_string());
                Some(true)
            }
            "btrfs_subvolid" => {
                let id = if value.is_empty() {
                    0
                } else {
                    match crate::select::grub_strtoull(value, 10) {
                        (Some(n), true, _) => n,
                        _ => return Some(false),
                    }
                };
                self.subvol = if id == 0 {
                    Subvol::Unset
                } else {
                    Subvol::Id(id)
                };
                Some(true)
            }
            _ => None,
        }
    }

    /// Where `find_path` starts without the mount table: the top level, or with
    /// `btrfs_relative_path` on, the subvolume `btrfs_subvol`/`btrfs_subvolid` name,
    /// else the default one (`grub_btrfs_mount`, `btrfs_handle_subvol`).
    fn base_root(&self, relative: bool) -> PathRoot {
        if !relative {
            return PathRoot::Top;
        }
        match &self.subvol {
            Subvol::Unset => PathRoot::DefaultSubvolume,
            Subvol::Path(p) if p.is_empty() => PathRoot::DefaultSubvolume,
            Subvol::Path(p) => PathRoot::Subvolume {
                path: p.clone(),
                or_in_default: true,
            },
            Subvol::Id(n) => PathRoot::SubvolumeId(*n),
        }
    }

    /// Where `path` on `device` starts, and what is left of it, as `grub_btrfs_open`
    /// and `find_path` decide with `btrfs_relative_path` `relative`.
    pub(crate) fn root_for(
        &self,
        relative: bool,
        device: &str,
        path: String,
    ) -> (String, PathRoot) {
        // find_mtab_subvol_tree: the greatest DIR that is a prefix of the path.
        let mount = self
            .mounts
            .iter()
            .filter(|m| m.device == device && path.starts_with(m.dir.as_str()))
            .fold(None::<&Mount>, |best, m| match best {
                Some(b) if m.dir <= b.dir => Some(b),
                _ => Some(m),
            });
        let (path, mounted) = match mount {
            Some(m) => {
                let rest = path.get(m.dir.len()..).unwrap_or_default();
                let rest = if rest.is_empty() { "/" } else { rest };
                (rest.to_string(), Some(m))
            }
            None => (path, None),
        };
        // Without btrfs_relative_path find_path starts at the top level, with the
        // mount's prefix already taken off the name.
        let root = match mounted {
            Some(m) if relative => PathRoot::Subvolume {
                path: m.subvol.clone(),
                or_in_default: false,
            },
            _ => self.base_root(relative),
        };
        (path, root)
    }
}

/// `btrfs-mount-subvol DEVICE DIR SUBVOL` (`grub_cmd_btrfs_mount_subvol`): `DIR` must
/// be a directory as file names resolve now, `SUBVOL` a subvolume from the top level.
pub(crate) fn cmd_mount_subvol(
    it: &mut Interp<'_>,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    let [dev, dir, subvol, ..] = args else {
        return Ok(status::BAD_ARGUMENT);
    };
    // grub_file_get_device_name: the name inside the parentheses.
    let name = dev
        .strip_prefix('(')
        .and_then(|d| d.split_once(')'))
        .map_or(dev.as_str(), |(d, _)| d);
    let Some(device) = it.host.canonical_device(name) else {
        it.note(format!(
            "{}:{line}: btrfs-mount-subvol: disk `{name}' not found",
            it.file
        ));
        return Ok(status::FILE_NOT_FOUND);
    };
    if !it.host.has_subvolumes(&device) {
        it.note(format!(
            "{}:{line}: btrfs-mount-subvol: ({device}) is not btrfs",
            it.file
        ));
        return Ok(status::BAD_FS);
    }
    let root = it.btrfs.base_root(relative(&it.vars));
    let host_err = |it: &Interp<'_>, e: crate::host::HostError| {
        it.err(
            ConfigErrorKind::Host,
            line,
            format!("btrfs-mount-subvol: {e}"),
        )
    };
    it.host_call(line)?;
    let dir_there = FilePath {
        device: device.clone(),
        path: dir.clone(),
        root,
    };
    if !it
        .host
        .dir_exists(&dir_there)
        .map_err(|e| host_err(it, e))?
    {
        it.note(format!(
            "{}:{line}: btrfs-mount-subvol: {dir} is not a directory",
            it.file
        ));
        return Ok(status::FILE_NOT_FOUND);
    }
    it.host_call(line)?;
    let subvol_root = FilePath {
        device: device.clone(),
        path: String::from("/"),
        root: PathRoot::Subvolume {
            path: subvol.clone(),
            or_in_default: false,
        },
    };
    if !it
        .host
        .dir_exists(&subvol_root)
        .map_err(|e| host_err(it, e))?
    {
        it.note(format!(
            "{}:{line}: btrfs-mount-subvol: {subvol} is not a subvolume",
            it.file
        ));
        return Ok(status::BAD_FILE_TYPE);
    }
    if it.btrfs.mounts.len() >= MAX_MOUNTS {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("more than {MAX_MOUNTS} btrfs-mount-subvol mounts"),
        ));
    }
    it.btrfs.mounts.insert(
        0,
        Mount {
            device,
            dir: dir.clone(),
            subvol: subvol.clone(),
        },
    );
    Ok(status::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_start_where_the_module_state_says() {
        let mut b = Btrfs::default();
        let at = |b: &Btrfs, rel, p: &str| b.root_for(rel, "hd0,gpt2", p.to_string());
        assert_eq!(at(&b, false, "/boot/x"), ("/boot/x".into(), PathRoot::Top));
        assert_eq!(
            at(&b, true, "/boot/x"),
            ("/boot/x".into(), PathRoot::DefaultSubvolume)
        );
        assert_eq!(b.set("btrfs_subvol", "@/.snapshots/2/snapshot"), Some(true));
        assert_eq!(
            at(&b, true, "/boot/x").1,
            PathRoot::Subvolume {
                path: "@/.snapshots/2/snapshot".into(),
                or_in_default: true
            }
        );
        assert_eq!(
            b.get("btrfs_subvolid").as_deref(),
            Some("subvol:@/.snapshots/2/snapshot")
        );
        assert_eq!(b.set("btrfs_subvolid", "260"), Some(true));
        assert_eq!(at(&b, true, "/x").1, PathRoot::SubvolumeId(260));
        assert_eq!(b.get("btrfs_subvol").as_deref(), Some("subvolid:260"));
        assert_eq!(b.set("btrfs_subvolid", "x"), Some(false));
        assert_eq!(b.set("btrfs_subvol", ""), Some(true));
        assert_eq!(at(&b, true, "/x").1, PathRoot::DefaultSubvolume);
        assert_eq!(b.set("other", "1"), None);
    }

    #[test]
    fn mounts_strip_the_greatest_matching_prefix() {
        let mut b = Btrfs::default();
        for (dir, subvol) in [("/.snapshots", "@/.snapshots"), ("/.snap", "@/other")] {
            b.mounts.insert(
                0,
                Mount {
                    device: "hd0,gpt2".into(),
                    dir: dir.into(),
                    subvol: subvol.into(),
                },
            );
        }
        let (p, r) = b.root_for(true, "hd0,gpt2", "/.snapshots/grub-snapshot.cfg".into());
        assert_eq!(p, "/grub-snapshot.cfg");
        assert_eq!(
            r,
            PathRoot::Subvolume {
                path: "@/.snapshots".into(),
                or_in_default: false
            }
        );
        // strncmp: `/.snapshotsX` matches too, as in GRUB; the whole name is `/`.
        assert_eq!(b.root_for(true, "hd0,gpt2", "/.snapshots".into()).0, "/");
        // Without btrfs_relative_path the prefix still goes, from the top level.
        assert_eq!(
            b.root_for(false, "hd0,gpt2", "/.snapshots/x".into()),
            ("/x".into(), PathRoot::Top)
        );
        // Another device is not affected.
        assert_eq!(
            b.root_for(true, "hd1", "/.snapshots/x".into()),
            ("/.snapshots/x".into(), PathRoot::DefaultSubvolume)
        );
    }
}

//! The view `--isconfig` gives a config evaluated on its own, outside any guest, as
//! pygrub's `--isconfig` reads it: no disk behind it, so `search` finds nothing and no
//! file can be read, while every device name the config uses is taken as written and
//! every file it names is taken to exist (empty), so that entries show their paths.

use xlboot_config::{ConfigHost, Device, FilePath, HostError};

/// A host with no devices.
pub struct HostConfig;

impl ConfigHost for HostConfig {
    fn devices(&self) -> Vec<Device> {
        Vec::new()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        Some(device.to_string())
    }

    fn file_size(&self, _file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(Some(0))
    }

    fn dir_exists(&self, _dir: &FilePath) -> Result<bool, HostError> {
        Ok(false)
    }

    fn list_dir(
        &self,
        _dir: &FilePath,
        _max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        Ok(None)
    }

    fn read_file(&self, _file: &FilePath, _max: usize) -> Result<Option<Vec<u8>>, HostError> {
        Ok(None)
    }
}

/// For syslinux configs under `--isconfig`: the config files beside the config
/// (read before the sandbox closes the filesystem), so that `INCLUDE` works, and
/// nothing else; or for a pxelinux config, the files of the TFTP tree it is in. syslinux
/// looks files up to decide (an implicit kernel `vmlinuz` becomes `vmlinuz.c32` when
/// that exists), so files must not all seem to exist.
pub struct SyslinuxFiles {
    /// The config's path as the evaluator names it: its own absolute path (symlinks
    /// resolved), so that relative names resolve against its directory; for pxelinux
    /// its path from the TFTP root (`/pxelinux.cfg/default`).
    pub config: String,
    /// For pxelinux, the host directory taken as the TFTP root.
    pub tftp_root: Option<std::path::PathBuf>,
    /// (path as the evaluator names it, size, contents if read).
    files: Vec<(String, u64, Option<Vec<u8>>)>,
}

/// Most files [`SyslinuxFiles::read_beside`] keeps, and the largest it reads.
const MAX_BESIDE_FILES: usize = 256;
const MAX_BESIDE_SIZE: u64 = 1 << 20;
/// For [`SyslinuxFiles::read_tftp_tree`]: most directory entries looked at, deepest
/// directory, largest file read, and most bytes read in all.
const MAX_TFTP_ENTRIES: usize = 4096;
const MAX_TFTP_DEPTH: usize = 8;
const MAX_TFTP_READ: u64 = 64 << 10;
const MAX_TFTP_TOTAL: u64 = 8 << 20;

impl SyslinuxFiles {
    /// The regular files named `*.cfg` or `*.conf` in the directory of `config` (not
    /// below it), at most 256 of at most 1 MiB each; others are left out.
    pub fn read_beside(config: &std::path::Path) -> Result<SyslinuxFiles, String> {
        let config =
            std::fs::canonicalize(config).map_err(|e| format!("{}: {e}", config.display()))?;
        let dir = config.parent().unwrap_or_else(|| std::path::Path::new("/"));
        let mut files = Vec::new();
        let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for ent in rd.take(4096) {
            let ent = ent.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = ent.path();
            let name = ent.file_name().to_string_lossy().into_owned();
            if !(name.ends_with(".cfg") || name.ends_with(".conf")) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_file() || meta.len() > MAX_BESIDE_SIZE || files.len() >= MAX_BESIDE_FILES {
                continue;
            }
            let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((path.display().to_string(), meta.len(), Some(data)));
        }
        Ok(SyslinuxFiles {
            config: config.display().to_string(),
            tftp_root: None,
            files,
        })
    }

    /// For a pxelinux config (`ROOT/pxelinux.cfg/NAME`): the TFTP tree `ROOT`, taken
    /// as the directory `pxelinux.0` was loaded from and as the TFTP server's root.
    /// Directories are walked as a TFTP server reads them, following symlinks
    /// (Debian's netboot tree links `pxelinux.cfg` into `debian-installer/amd64/`),
    /// and `ROOT` is taken as named, not resolved: a link's target is not the root. At
    /// most 4096 entries, 8 directories deep, are looked at; every regular file is
    /// known by its size, and those of at most 64 KiB are read, 8 MiB in all.
    pub fn read_tftp_tree(config: &std::path::Path) -> Result<SyslinuxFiles, String> {
        let absolute =
            std::path::absolute(config).map_err(|e| format!("{}: {e}", config.display()))?;
        let (Some(cfg_dir), Some(name)) = (absolute.parent(), absolute.file_name()) else {
            return Err(format!(
                "{}: not a file in a pxelinux.cfg directory",
                config.display()
            ));
        };
        let root = cfg_dir
            .parent()
            .unwrap_or_else(|| std::path::Path::new("/"))
            .to_path_buf();
        let mut files = Vec::new();
        let mut seen = 0usize;
        let mut read_total = 0u64;
        let mut dirs = std::collections::VecDeque::from([(root.clone(), String::new(), 0usize)]);
        while let Some((dir, tftp, depth)) = dirs.pop_front() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for ent in rd {
                seen += 1;
                if seen > MAX_TFTP_ENTRIES {
                    return Err(format!(
                        "{}: more than {MAX_TFTP_ENTRIES} entries in the TFTP tree",
                        root.display()
                    ));
                }
                let ent = ent.map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = ent.path();
                let named = format!("{tftp}/{}", ent.file_name().to_string_lossy());
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if meta.is_dir() {
                    if depth.saturating_add(1) < MAX_TFTP_DEPTH {
                        dirs.push_back((path, named, depth.saturating_add(1)));
                    }
                    continue;
                }
                if !meta.is_file() {
                    continue;
                }
                let data = if meta.len() <= MAX_TFTP_READ
                    && read_total.saturating_add(meta.len()) <= MAX_TFTP_TOTAL
                {
                    read_total = read_total.saturating_add(meta.len());
                    Some(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?)
                } else {
                    None
                };
                files.push((named, meta.len(), data));
            }
        }
        let cfg_dir_name = cfg_dir
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        Ok(SyslinuxFiles {
            config: format!("/{cfg_dir_name}/{}", name.to_string_lossy()),
            tftp_root: Some(root),
            files,
        })
    }

    fn get(&self, file: &FilePath) -> Option<(u64, Option<&[u8]>)> {
        self.files
            .iter()
            .find(|(p, _, _)| *p == file.path)
            .map(|(_, size, d)| (*size, d.as_deref()))
    }
}

impl ConfigHost for SyslinuxFiles {
    fn devices(&self) -> Vec<Device> {
        Vec::new()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        Some(device.to_string())
    }

    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(self.get(file).map(|(size, _)| size))
    }

    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError> {
        match self.get(file) {
            Some((_, Some(d))) if d.len() > max => {
                Err(HostError(format!("{file}: larger than {max} bytes")))
            }
            Some((_, Some(d))) => Ok(Some(d.to_vec())),
            Some((size, None)) => Err(HostError(format!(
                "{file}: {size} bytes, more than --isconfig reads of a TFTP tree"
            ))),
            None => Ok(None),
        }
    }
}

/// For `--isconfig DIR`: the Boot Loader Specification entry files (`*.conf`) of a
/// directory on this host, as (file name, contents), for
/// [`xlboot_config::bls::spec::menu`]. At most [`xlboot_config::bls::MAX_DIR_NAMES`]
/// names are looked at and [`xlboot_config::bls::MAX_ENTRY_FILE`] bytes read from
/// each file; more is an error. Symlinks and other non-regular files are left out.
#[allow(dead_code)] // wired into --isconfig by boot.rs
pub fn read_entries_dir(dir: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    use xlboot_config::bls::{MAX_DIR_NAMES, MAX_ENTRY_FILE};
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for (n, ent) in rd.enumerate() {
        if n >= MAX_DIR_NAMES {
            return Err(format!(
                "{}: more than {MAX_DIR_NAMES} directory entries",
                dir.display()
            ));
        }
        let ent = ent.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".conf") {
            continue;
        }
        let path = ent.path();
        let meta =
            std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !meta.is_file() {
            continue;
        }
        let mut data = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| {
                f.take(
                    u64::try_from(MAX_ENTRY_FILE)
                        .unwrap_or(u64::MAX)
                        .saturating_add(1),
                )
                .read_to_end(&mut data)
            })
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if data.len() > MAX_ENTRY_FILE {
            return Err(format!(
                "{}: larger than {MAX_ENTRY_FILE} bytes",
                path.display()
            ));
        }
        out.push((name, data));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_dir_to_menu() {
        let dir = std::env::temp_dir().join(format!("xlboot-bls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a-1.conf"), "title A1\nversion 1\nlinux /a1\n").unwrap();
        std::fs::write(dir.join("a-2+0.conf"), "title A2\nversion 2\nlinux /a2\n").unwrap();
        std::fs::write(
            dir.join("a-3.conf"),
            "title A3\nversion 3\nlinux /a3\noptions x\n",
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        let files = read_entries_dir(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files.len(), 3);
        let menu = xlboot_config::bls::spec::menu("host", &files);
        let titles: Vec<_> = menu.items.iter().map(|i| i.title()).collect();
        // Newest first; a-2 has no tries left (+0): last.
        assert_eq!(titles, ["A3", "A1", "A2"]);
        assert_eq!(menu.default, Some(vec![0]));
    }
}

//! Deciding what to boot: the config on the first volume that has one, evaluated, and
//! the entry chosen from it.
//!
//! The first volume holding a config decides, as in pygrub; unlike pygrub, a config
//! that fails to evaluate is an error, not a reason to try the next volume, since the
//! guest's own boot loader would not boot some other volume's config either.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xlboot_config::bls::loader_conf::LoaderConf;
use xlboot_config::grub2::{self, EvalContext};
use xlboot_config::{BootSpec, ConfigHost, Entry, EntryPath, FilePath, Menu, PathRoot};

use crate::config_search::{self, ConfigKind, BLS_DIRS, CONFIG_PATHS};
use crate::error::{BootError, ErrorKind};
use crate::fstab::RootNamespace;
use crate::guest::{self, Guest};

/// The entry to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Its title (an `a>b` path for a submenu entry).
    pub title: String,
    /// Kernel, initrds and command line, files still on the guest's volumes.
    pub spec: BootSpec,
    /// Where it is in the menu (`None` for `--kernel`).
    pub path: Option<EntryPath>,
}

/// A boot config found on a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundConfig {
    /// Where it is.
    pub file: FilePath,
    /// Which boot loader's.
    pub kind: ConfigKind,
}

/// Makes the decisions for one guest, keeping `--debug` notes on the way.
pub struct Decider<'g, 'd> {
    guest: &'g Guest<'d>,
    /// What was decided and why, for `--debug`. Guest text in here is raw: escape it
    /// before printing.
    pub notes: Vec<String>,
    /// The budgets of config evaluation.
    pub config_limits: grub2::Limits,
    /// Every config [`Decider::find_config`] found, in search order, for `-l`.
    pub found: Vec<FoundConfig>,
    /// The `save_env` commands of the evaluated GRUB 2 config (none for BLS).
    pub env_saves: grub2::EnvSaves,
}

impl<'g, 'd> Decider<'g, 'd> {
    /// A decider over an opened guest.
    pub fn new(guest: &'g Guest<'d>) -> Self {
        let mut notes = Vec::new();
        for v in &guest.volumes {
            notes.push(match &v.fs {
                Ok(fs) => {
                    let info = fs.info();
                    format!(
                        "volume ({}) at byte {}: {}, UUID {}, label {}",
                        v.name,
                        v.start,
                        info.fs_type,
                        info.uuid.as_deref().unwrap_or("none"),
                        info.label
                            .as_deref()
                            .map_or("none".into(), |l| format!("'{l}'"))
                    )
                }
                Err(e) => format!("volume ({}) at byte {}: {e}", v.name, v.start),
            });
        }
        Decider {
            guest,
            notes,
            config_limits: grub2::Limits::default(),
            found: Vec::new(),
            env_saves: grub2::EnvSaves::default(),
        }
    }

    /// Every config on every volume, in search order (see [`crate::config_search`]):
    /// per volume, each of [`CONFIG_PATHS`] that exists, then each BLS entries
    /// directory holding `*.conf` files, then systemd-boot's `loader.conf`. A volume
    /// that cannot be searched is an error while no config has been found yet (the
    /// guest's boot loader would stop there too); after that, only a note.
    pub fn find_configs(&mut self) -> Result<Vec<FoundConfig>, BootError> {
        let mut all = Vec::new();
        for v in &self.guest.volumes {
            if v.fs.is_err() {
                continue;
            }
            let before = all.len();
            match self.volume_configs(&v.name, &mut all) {
                Ok(()) => {}
                Err(e) if all.is_empty() => return Err(e),
                Err(e) => self
                    .notes
                    .push(format!("({}): not searched further: {e}", v.name)),
            }
            if all.len() == before {
                self.notes.push(format!("({}): no boot config", v.name));
            }
        }
        Ok(all)
    }

    fn volume_configs(&self, volume: &str, out: &mut Vec<FoundConfig>) -> Result<(), BootError> {
        let on = |path: &str| FilePath {
            device: volume.to_string(),
            path: path.to_string(),
            root: Default::default(),
        };
        let exists = |file: &FilePath| match self.guest.file_size(file) {
            Ok(found) => Ok(found.is_some()),
            Err(e) => Err(BootError::new(ErrorKind::Io, format!("{file}: {e}"))),
        };
        let before = out.len();
        for (path, kind) in CONFIG_PATHS {
            let file = on(path);
            if exists(&file)? {
                out.push(FoundConfig { file, kind: *kind });
            }
        }
        if out.len() == before && self.is_btrfs(volume) {
            let suse = FilePath {
                device: volume.to_string(),
                path: config_search::DEFAULT_SUBVOLUME_GRUB_PATH.to_string(),
                root: PathRoot::DefaultSubvolume,
            };
            if self.default_subvolume_is_not_top(volume) && exists(&suse)? {
                out.push(FoundConfig {
                    file: suse,
                    kind: ConfigKind::Grub2,
                });
            }
            for file in self.subvolume_grub_configs(volume)? {
                out.push(FoundConfig {
                    file,
                    kind: ConfigKind::Grub2,
                });
            }
        }
        for dir in BLS_DIRS {
            self.bls_dir_configs(on(dir), out)?;
        }
        if out.len() == before && self.is_btrfs(volume) {
            for dir in self.subvolume_bls_dirs(volume)? {
                self.bls_dir_configs(dir, out)?;
            }
        }
        let esp_conf = on(config_search::LOADER_CONF);
        if !out.iter().any(|f| f.file == esp_conf) && exists(&esp_conf)? {
            out.push(FoundConfig {
                file: esp_conf,
                kind: ConfigKind::LoaderConf,
            });
        }
        Ok(())
    }

    /// A BLS entries directory holding `*.conf` files, and systemd-boot's
    /// `loader.conf` beside it.
    fn bls_dir_configs(&self, dir: FilePath, out: &mut Vec<FoundConfig>) -> Result<(), BootError> {
        let io =
            |e: xlboot_config::HostError| BootError::new(ErrorKind::Io, format!("{dir}: {}", e.0));
        let names = match self.guest.list_dir(&dir, xlboot_config::bls::MAX_DIR_NAMES) {
            Ok(names) => names,
            // A top-level directory that is no subvolume.
            Err(_) if dir.root != PathRoot::Top => None,
            Err(e) => return Err(io(e)),
        };
        if !names.is_some_and(|n| {
            n.iter()
                .any(|n| n.ends_with(".conf") && !n.starts_with('.'))
        }) {
            return Ok(());
        }
        let conf = FilePath {
            path: config_search::loader_conf_for(&dir.path),
            ..dir.clone()
        };
        out.push(FoundConfig {
            file: dir,
            kind: ConfigKind::Bls,
        });
        let conf_exists = self
            .guest
            .file_size(&conf)
            .map_err(|e| BootError::new(ErrorKind::Io, format!("{conf}: {e}")))?
            .is_some();
        if conf_exists {
            out.push(FoundConfig {
                file: conf,
                kind: ConfigKind::LoaderConf,
            });
        }
        Ok(())
    }

    fn is_btrfs(&self, volume: &str) -> bool {
        self.guest
            .volumes
            .iter()
            .find(|v| v.name == volume)
            .and_then(|v| v.fs.as_ref().ok())
            .is_some_and(|fs| fs.info().fs_type == "btrfs")
    }

    /// Whether a btrfs volume's default subvolume is another one than the top level.
    fn default_subvolume_is_not_top(&self, volume: &str) -> bool {
        self.guest
            .volumes
            .iter()
            .find(|v| v.name == volume)
            .and_then(|v| v.fs.as_ref().ok())
            .and_then(|fs| fs.default_root().ok().map(|d| d != fs.root()))
            .unwrap_or(false)
    }

    /// The names in a btrfs volume's top-level directory, in listing (creation)
    /// order, at most [`config_search::BTRFS_TOP_LEVEL_MAX`].
    fn top_level_names(&self, volume: &str) -> Result<Vec<String>, BootError> {
        let top = FilePath {
            device: volume.to_string(),
            path: "/".to_string(),
            root: Default::default(),
        };
        self.guest
            .list_dir(&top, config_search::BTRFS_TOP_LEVEL_MAX)
            .map(Option::unwrap_or_default)
            .map_err(|e| BootError::new(ErrorKind::Io, format!("{top}: {}", e.0)))
    }

    /// GRUB 2 configs inside the top-level directories of a btrfs volume (see
    /// [`config_search::BTRFS_SUBVOLUME_GRUB_PATHS`]), in listing order.
    fn subvolume_grub_configs(&self, volume: &str) -> Result<Vec<FilePath>, BootError> {
        let mut found = Vec::new();
        for name in self.top_level_names(volume)? {
            for path in config_search::BTRFS_SUBVOLUME_GRUB_PATHS {
                let file = FilePath {
                    device: volume.to_string(),
                    path: format!("/{name}{path}"),
                    root: Default::default(),
                };
                match self.guest.file_size(&file) {
                    Ok(Some(_)) => found.push(file),
                    Ok(None) => {}
                    Err(e) => return Err(BootError::new(ErrorKind::Io, format!("{file}: {e}"))),
                }
            }
        }
        Ok(found)
    }

    /// The BLS entries directories a root in a subvolume of a btrfs volume has (see
    /// [`config_search::BTRFS_SUBVOLUME_BLS_DIR`]): in the default subvolume when it
    /// is not the top level, then in each top-level subvolume, in listing order. Their
    /// paths start at that subvolume, as the running system wrote them.
    fn subvolume_bls_dirs(&self, volume: &str) -> Result<Vec<FilePath>, BootError> {
        let at = |root: PathRoot| FilePath {
            device: volume.to_string(),
            path: config_search::BTRFS_SUBVOLUME_BLS_DIR.to_string(),
            root,
        };
        let mut dirs = Vec::new();
        if self.default_subvolume_is_not_top(volume) {
            dirs.push(at(PathRoot::DefaultSubvolume));
        }
        for name in self.top_level_names(volume)? {
            dirs.push(at(PathRoot::Subvolume {
                path: name,
                or_in_default: false,
            }));
        }
        Ok(dirs)
    }

    /// The config that decides: the first one found (a `loader.conf` only goes with
    /// entries), after looking at every volume; [`Decider::found`] keeps them all.
    pub fn find_config(&mut self) -> Result<FoundConfig, BootError> {
        let all = self.find_configs()?;
        let chosen = all
            .iter()
            .find(|f| f.kind != ConfigKind::LoaderConf)
            .cloned();
        for f in &all {
            let used = chosen.as_ref().is_some_and(|c| c == f);
            self.notes.push(format!(
                "found {} config {}{}{}",
                f.kind.name(),
                f.file,
                describe_root(&f.file.root),
                if used { " (used)" } else { "" }
            ));
        }
        self.found = all;
        if let Some(c) = chosen {
            return Ok(c);
        }
        if self.guest.volumes.iter().all(|v| v.fs.is_err()) {
            return Err(self.no_filesystem());
        }
        if let Some(e) = self.unified_kernel_images() {
            return Err(e);
        }
        let searched: Vec<String> = self
            .guest
            .volumes
            .iter()
            .filter(|v| v.fs.is_ok())
            .map(|v| format!("({})", v.name))
            .collect();
        let paths: Vec<&str> = CONFIG_PATHS
            .iter()
            .map(|(p, _)| *p)
            .chain(BLS_DIRS.iter().copied())
            .collect();
        Err(BootError::new(
            ErrorKind::NotFound,
            format!(
                "no boot config found on any volume (looked for {} on {})",
                paths.join(", "),
                searched.join(", ")
            ),
        ))
    }

    /// With no config found: the Unified Kernel Images (Boot Loader Specification type
    /// #2 entries, `/EFI/Linux/*.efi`, which systemd-boot lists with no entry file)
    /// on the first volume holding some, named in an unsupported error, so that an ESP
    /// booted that way is not reported as holding nothing.
    fn unified_kernel_images(&self) -> Option<BootError> {
        self.guest
            .volumes
            .iter()
            .filter(|v| v.fs.is_ok())
            .find_map(|v| {
                let dir = FilePath {
                    device: v.name.clone(),
                    path: config_search::UKI_DIR.to_string(),
                    root: Default::default(),
                };
                let names = self
                    .guest
                    .list_dir(&dir, xlboot_config::bls::MAX_DIR_NAMES)
                    .ok()??;
                let ukis: Vec<&String> = names
                    .iter()
                    .filter(|n| !n.starts_with('.') && n.to_ascii_lowercase().ends_with(".efi"))
                    .collect();
                let first = ukis.first()?;
                Some(BootError::new(
                    ErrorKind::Unsupported,
                    format!(
                        "{dir}: unsupported: Unified Kernel Images ({first}{}), the only \
                         boot entries found, are not booted: the guest needs a type #1 Boot \
                         Loader Specification entry (kernel-install layout=bls) or a GRUB \
                         config",
                        if ukis.len() > 1 {
                            format!(" and {} more", ukis.len().saturating_sub(1))
                        } else {
                            String::new()
                        }
                    ),
                ))
            })
    }

    fn no_filesystem(&self) -> BootError {
        let reasons: Vec<String> = self
            .guest
            .volumes
            .iter()
            .filter_map(|v| v.fs.as_ref().err().map(|e| format!("({}): {e}", v.name)))
            .collect();
        BootError::new(
            ErrorKind::NotFound,
            format!(
                "no volume holds a filesystem xlboot can read: {}",
                reasons.join("; ")
            ),
        )
    }

    /// The `*.conf` files of a BLS entries directory, read whole (each capped), or
    /// none if there is no such directory.
    fn bls_files(&self, dir: &FilePath) -> Result<Vec<(String, Vec<u8>)>, BootError> {
        use xlboot_config::bls::{MAX_DIR_NAMES, MAX_ENTRIES, MAX_ENTRY_FILE};
        let io =
            |e: xlboot_config::HostError| BootError::new(ErrorKind::Io, format!("{dir}: {}", e.0));
        let Some(names) = self.guest.list_dir(dir, MAX_DIR_NAMES).map_err(io)? else {
            return Ok(Vec::new());
        };
        let mut files = Vec::new();
        for name in names
            .into_iter()
            .filter(|n| n.ends_with(".conf") && !n.starts_with('.'))
        {
            if files.len() >= MAX_ENTRIES {
                break;
            }
            let file = FilePath {
                device: dir.device.clone(),
                path: format!("{}/{name}", dir.path),
                root: dir.root.clone(),
            };
            if let Some(text) = self.guest.read_file(&file, MAX_ENTRY_FILE).map_err(io)? {
                files.push((name, text));
            }
        }
        Ok(files)
    }

    /// Evaluates a config into a menu.
    pub fn evaluate(&mut self, found: &FoundConfig) -> Result<Menu, BootError> {
        if found.kind == ConfigKind::Bls {
            let files = self.bls_files(&found.file)?;
            let conf = self.loader_conf(&found.file)?;
            let menu = xlboot_config::bls::spec::menu_with_loader_conf(
                &found.file.device,
                &found.file.root,
                &files,
                conf.as_ref(),
            );
            self.notes.push(menu.default_rule.clone());
            return Ok(menu);
        }
        if found.kind == ConfigKind::Syslinux {
            let source = self.read_config(&found.file)?;
            return evaluate_syslinux(
                &source,
                &found.file,
                self.guest,
                &self.config_limits,
                &mut self.notes,
            );
        }
        if !matches!(
            found.kind,
            ConfigKind::Grub2 | ConfigKind::GrubLegacy | ConfigKind::Lilo
        ) {
            return Err(BootError::new(
                ErrorKind::Unsupported,
                format!(
                    "{}: {} configs are not supported yet",
                    found.file,
                    found.kind.name()
                ),
            ));
        }
        let source = self.read_config(&found.file)?;
        match found.kind {
            ConfigKind::Lilo => {
                let ns = match RootNamespace::read(self.guest)? {
                    Some(ns) => ns,
                    None => RootNamespace::single(&found.file.device),
                };
                let guest = self.guest;
                let locate = |p: &str| ns.resolve(guest, p).map_err(|e| e.to_string());
                evaluate_lilo(&source, &found.file, &locate, &mut self.notes)
            }
            ConfigKind::GrubLegacy => evaluate_grub_legacy(
                &source,
                &found.file,
                self.guest,
                &self.config_limits,
                &mut self.notes,
            ),
            _ => {
                let evaluated = evaluate_grub2_full(
                    &source,
                    found.file.clone(),
                    self.guest,
                    &self.config_limits,
                    &mut self.notes,
                )?;
                self.env_saves = evaluated.env_saves;
                Ok(evaluated.menu)
            }
        }
    }

    /// A config file's bytes.
    fn read_config(&self, file: &FilePath) -> Result<Vec<u8>, BootError> {
        self.guest
            .read_file(file, guest::MAX_CONFIG_FILE)
            .map_err(|e| BootError::new(ErrorKind::Io, e.0))?
            .ok_or_else(|| {
                BootError::new(
                    ErrorKind::NotFound,
                    format!("{file}: disappeared while reading"),
                )
            })
    }

    /// systemd-boot's `loader.conf` for the entries in `dir`: next to them, else on
    /// the first volume that has `/loader/loader.conf` (an ESP, with the entries on an
    /// XBOOTLDR partition).
    fn loader_conf(&mut self, dir: &FilePath) -> Result<Option<LoaderConf>, BootError> {
        let beside = FilePath {
            device: dir.device.clone(),
            path: config_search::loader_conf_for(&dir.path),
            root: dir.root.clone(),
        };
        let candidates =
            core::iter::once(beside).chain(self.guest.volumes.iter().filter(|v| v.fs.is_ok()).map(
                |v| FilePath {
                    device: v.name.clone(),
                    path: config_search::LOADER_CONF.to_string(),
                    root: Default::default(),
                },
            ));
        for file in candidates {
            let data = self
                .guest
                .read_file(&file, xlboot_config::bls::MAX_ENTRY_FILE)
                .map_err(|e| BootError::new(ErrorKind::Io, format!("{file}: {}", e.0)))?;
            if let Some(data) = data {
                let conf = LoaderConf::parse(&data);
                self.notes.push(format!("read systemd-boot's {file}"));
                self.notes.extend(conf.notes.iter().cloned());
                return Ok(Some(conf));
            }
        }
        Ok(None)
    }

    /// What booting `choice` would write to the guest's environment blocks, as GRUB's
    /// `save_env` commands on the way to it would (see [`crate::grubenv_update`]).
    pub fn grubenv_writes(
        &self,
        choice: &Choice,
    ) -> Result<Vec<crate::grubenv_update::EnvWrite>, BootError> {
        let Some(path) = &choice.path else {
            return Ok(Vec::new());
        };
        crate::grubenv_update::plan(self.guest, &self.env_saves.for_boot(path))
    }

    /// `--kernel`: the given paths on the first volume with a filesystem, as pygrub
    /// reads them; a path not there is looked up in the guest's root namespace (its
    /// `/etc/fstab`, btrfs subvolumes included, with `root=` and `rootflags=` of
    /// `args`, the command line, deciding `/` as they do for the kernel), as the
    /// running guest names files: on a btrfs root in a subvolume, `/boot/vmlinuz` is
    /// inside that subvolume.
    pub fn given_kernel(
        &mut self,
        kernel: &str,
        ramdisk: Option<&str>,
        args: Option<&str>,
    ) -> Result<Choice, BootError> {
        let volume = self
            .guest
            .volumes
            .iter()
            .find(|v| v.fs.is_ok())
            .ok_or_else(|| self.no_filesystem())?;
        let device = volume.name.clone();
        let mut ns: Option<Option<RootNamespace>> = None;
        let mut locate = |path: &str, notes: &mut Vec<String>| -> Result<FilePath, BootError> {
            let plain = FilePath {
                device: device.clone(),
                path: path.to_string(),
                root: PathRoot::Top,
            };
            let there = self
                .guest
                .file_size(&plain)
                .map_err(|e| BootError::new(ErrorKind::Io, format!("{plain}: {e}")))?;
            if there.is_some() || !path.starts_with('/') {
                return Ok(plain);
            }
            if ns.is_none() {
                ns = Some(RootNamespace::read_for(self.guest, args)?);
            }
            let found = match ns.as_ref().and_then(Option::as_ref) {
                Some(ns) => ns.resolve(self.guest, path)?,
                None => None,
            };
            Ok(match found {
                Some(f) => {
                    notes.push(format!(
                        "{path}: not on ({device}); found through the guest's /etc/fstab in {f}{}",
                        describe_root(&f.root)
                    ));
                    f
                }
                None => plain,
            })
        };
        let mut notes = Vec::new();
        let kernel_file = locate(kernel, &mut notes)?;
        let initrds = match ramdisk {
            Some(r) => alloc::vec![locate(r, &mut notes)?],
            None => Vec::new(),
        };
        self.notes.append(&mut notes);
        Ok(Choice {
            title: format!("--kernel={kernel}"),
            path: None,
            spec: BootSpec {
                kernel: kernel_file,
                initrds,
                args: String::new(),
            },
        })
    }
}

/// Where a path starts, for notes: nothing for a filesystem's root.
pub fn describe_root(root: &PathRoot) -> String {
    match root {
        PathRoot::Top => String::new(),
        PathRoot::DefaultSubvolume => String::from(" (in the default subvolume)"),
        PathRoot::Subvolume { path, .. } => format!(" (in subvolume {path})"),
        PathRoot::SubvolumeId(id) => format!(" (in subvolume id {id})"),
    }
}

/// Evaluates GRUB 2 config text found at `file`, reading other files through `host`.
pub fn evaluate_grub2(
    source: &[u8],
    file: FilePath,
    host: &dyn ConfigHost,
    limits: &grub2::Limits,
    notes: &mut Vec<String>,
) -> Result<Menu, BootError> {
    evaluate_grub2_full(source, file, host, limits, notes).map(|e| e.menu)
}

/// As [`evaluate_grub2`], keeping everything the evaluation found (its `save_env`
/// commands too); the notes are moved into `notes`.
pub fn evaluate_grub2_full(
    source: &[u8],
    file: FilePath,
    host: &dyn ConfigHost,
    limits: &grub2::Limits,
    notes: &mut Vec<String>,
) -> Result<grub2::Evaluated, BootError> {
    let mut ctx = EvalContext::new(file);
    ctx.limits = limits.clone();
    let mut evaluated = grub2::evaluate(source, &ctx, host)?;
    notes.append(&mut evaluated.notes);
    Ok(evaluated)
}

/// Evaluates GRUB legacy config text found at `file`, reading other files (the
/// `default` file, `configfile` targets) through `host`.
pub fn evaluate_grub_legacy(
    source: &[u8],
    file: &FilePath,
    host: &dyn ConfigHost,
    limits: &grub2::Limits,
    notes: &mut Vec<String>,
) -> Result<Menu, BootError> {
    let evaluated = xlboot_config::grub_legacy::evaluate(source, file, limits, host)?;
    notes.extend(evaluated.notes);
    notes.push(format!("default entry: {}", evaluated.menu.default_rule));
    Ok(evaluated.menu)
}

/// Evaluates syslinux config text found at `file`, reading other files through `host`.
pub fn evaluate_syslinux(
    source: &[u8],
    file: &FilePath,
    host: &dyn ConfigHost,
    limits: &grub2::Limits,
    notes: &mut Vec<String>,
) -> Result<Menu, BootError> {
    let evaluated = xlboot_config::syslinux::evaluate(source, file, limits, host)?;
    notes.extend(evaluated.notes);
    Ok(evaluated.menu)
}

/// Evaluates `lilo.conf` text found at `file`; `locate` maps the guest's root
/// namespace paths (`image=`, `initrd=`) to files.
pub fn evaluate_lilo(
    source: &[u8],
    file: &FilePath,
    locate: &dyn Fn(&str) -> xlboot_config::lilo::Located,
    notes: &mut Vec<String>,
) -> Result<Menu, BootError> {
    let evaluated = xlboot_config::lilo::evaluate(source, file, guest::MAX_CONFIG_FILE, locate)?;
    notes.extend(evaluated.notes);
    notes.push(format!("default entry: {}", evaluated.menu.default_rule));
    Ok(evaluated.menu)
}

/// The entry to boot: the one `entry` names (see [`xlboot_config::select::find_entry`]),
/// else the menu's default.
pub fn choose(menu: &Menu, entry: Option<&str>) -> Result<Choice, BootError> {
    let path: EntryPath = match entry {
        Some(spec) => xlboot_config::select::find_entry(menu, spec).ok_or_else(|| {
            let entries: Vec<String> = menu
                .flatten()
                .iter()
                .enumerate()
                .map(|(i, e)| format!("{i}: '{}'", e.title_path))
                .collect();
            BootError::new(
                ErrorKind::Request,
                format!(
                    "no entry matches --entry={spec}; the entries are: {}",
                    entries.join(", ")
                ),
            )
        })?,
        None => menu
            .default
            .clone()
            .ok_or_else(|| BootError::new(ErrorKind::NotFound, "the config has no menu entries"))?,
    };
    let (title, entry) = entry_at(menu, &path)
        .ok_or_else(|| BootError::new(ErrorKind::NotFound, "the selected entry does not exist"))?;
    match &entry.boot {
        Ok(spec) => Ok(Choice {
            title,
            spec: spec.clone(),
            path: Some(path),
        }),
        Err(why) => Err(BootError::new(
            ErrorKind::Unsupported,
            format!("entry '{title}' cannot be booted by xlboot: {why}"),
        )),
    }
}

/// The entry at `path`, with its title path.
fn entry_at<'m>(menu: &'m Menu, path: &[usize]) -> Option<(String, &'m Entry)> {
    menu.flatten()
        .into_iter()
        .find(|e| e.path.as_slice() == path)
        .map(|e| (e.title_path, e.entry))
}

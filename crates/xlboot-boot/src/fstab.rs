//! The guest's `/etc/fstab`, to find files named in the root filesystem's namespace.
//!
//! Some boot configs name kernels as the running system sees them: LILO's
//! `image=/boot/vmlinuz`, GRUB legacy setups whose `root` is the root filesystem.
//! When /boot is a separate volume, `/boot/vmlinuz` is really `/vmlinuz` on that
//! volume. The guest's fstab says which volume is mounted where; this module reads it
//! (bounded, hostile input like everything else) and maps such paths to volumes.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xlboot_config::{ConfigHost, FilePath, PathRoot};

use crate::error::{BootError, ErrorKind};
use crate::guest::{Guest, MAX_CONFIG_FILE};

/// Most fstab lines read; more is a limit error.
pub const MAX_FSTAB_ENTRIES: usize = 512;

/// One fstab line: what is mounted, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FstabEntry {
    /// The first field: `UUID=...`, `LABEL=...`, `/dev/xvda2`, ...
    pub spec: String,
    /// The second field, with fstab's octal escapes (`\040` for a space) decoded.
    pub mount_point: String,
    /// The fourth field (mount options), empty when absent.
    pub options: String,
}

impl FstabEntry {
    /// The btrfs subvolume its options name: `subvol=` (a path from the top level;
    /// the kernel takes it from there whether or not it starts with `/`) or
    /// `subvolid=`; the last one given wins, as in the kernel's option parser.
    pub fn subvolume(&self) -> Option<PathRoot> {
        let mut found = None;
        for o in self.options.split(',') {
            if let Some(p) = o.strip_prefix("subvol=") {
                found = Some(PathRoot::Subvolume {
                    path: p.trim_start_matches('/').to_string(),
                    or_in_default: false,
                });
            } else if let Some(n) = o.strip_prefix("subvolid=") {
                found = n.parse().ok().map(|id: u64| {
                    if id == 0 {
                        PathRoot::DefaultSubvolume
                    } else {
                        PathRoot::SubvolumeId(id)
                    }
                });
            }
        }
        found
    }
}

/// Parses fstab text: `#` comments and blank lines skipped, fields split on blanks,
/// lines with fewer than two fields ignored (as `mount` ignores them).
pub fn parse(text: &[u8]) -> Result<Vec<FstabEntry>, BootError> {
    let text = String::from_utf8_lossy(text);
    let mut entries = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_ascii_whitespace();
        let (Some(spec), Some(mount_point)) = (fields.next(), fields.next()) else {
            continue;
        };
        let options = fields.nth(1).unwrap_or_default();
        if entries.len() >= MAX_FSTAB_ENTRIES {
            return Err(BootError::new(
                ErrorKind::Limit,
                format!("/etc/fstab has more than {MAX_FSTAB_ENTRIES} entries"),
            ));
        }
        entries.push(FstabEntry {
            spec: unescape(spec),
            mount_point: unescape(mount_point),
            options: unescape(options),
        });
    }
    Ok(entries)
}

/// Decodes fstab's `\NNN` octal escapes; anything else is kept as written.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        let octal = bytes
            .get(i.saturating_add(1)..i.saturating_add(4))
            .and_then(|d| {
                let s = core::str::from_utf8(d).ok()?;
                if s.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                    u8::from_str_radix(s, 8).ok()
                } else {
                    None
                }
            });
        match (b, octal) {
            (b'\\', Some(v)) => {
                out.push(v);
                i = i.saturating_add(4);
            }
            _ => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One mounted filesystem: where, which volume, and which tree of it (a btrfs
/// subvolume).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    point: String,
    device: String,
    root: PathRoot,
}

/// Where the guest's filesystems are mounted, as its fstab says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootNamespace {
    /// Longest mount points first.
    mounts: Vec<Mount>,
}

/// The last `root=` and `rootflags=` of a kernel command line, as the kernel (and
/// its initramfs) take them.
fn root_params(cmdline: &str) -> (Option<String>, Option<String>) {
    let mut root = None;
    let mut flags = None;
    for word in cmdline.split_ascii_whitespace() {
        if let Some(v) = word.strip_prefix("root=") {
            root = Some(v.to_string());
        } else if let Some(v) = word.strip_prefix("rootflags=") {
            flags = Some(v.to_string());
        }
    }
    (root, flags)
}

/// Most top-level subvolumes of a btrfs volume looked into for `/etc/fstab`.
const MAX_TOP_LEVEL: usize = 1024;

/// Where the root filesystem of a volume may be, in the order it is looked for:
/// the filesystem's root; on btrfs, the default subvolume first (the kernel mounts
/// it when no `subvol=` is given, as openSUSE does), then each subvolume at the top
/// level (Debian's and Ubuntu's `@`, Fedora's `root`, mounted with
/// `rootflags=subvol=`).
fn root_candidates(fs: &dyn xlboot_fs::FileSystem) -> Result<Vec<PathRoot>, BootError> {
    if !fs.has_subvolumes() {
        return Ok(alloc::vec![PathRoot::Top]);
    }
    let mut out = alloc::vec![PathRoot::DefaultSubvolume];
    let io = |e: xlboot_fs::FsError| BootError::new(ErrorKind::Io, e.to_string());
    let mut names = Vec::new();
    fs.read_dir(fs.root(), MAX_TOP_LEVEL, &mut |name, node| {
        if fs.is_subvolume_root(node) {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
        core::ops::ControlFlow::Continue(())
    })
    .map_err(io)?;
    out.extend(names.into_iter().map(|path| PathRoot::Subvolume {
        path,
        or_in_default: false,
    }));
    out.push(PathRoot::Top);
    Ok(out)
}

impl RootNamespace {
    /// Reads `/etc/fstab` from the first volume that has one (that volume is the root
    /// filesystem) and resolves each entry's device to one of the guest's volumes.
    /// Entries naming nothing on this disk (swap, tmpfs, network shares, other disks)
    /// are left out. `Ok(None)` when no volume has an fstab.
    pub fn read(guest: &Guest<'_>) -> Result<Option<RootNamespace>, BootError> {
        Self::read_for(guest, None)
    }

    /// [`RootNamespace::read`] for a kernel started with `cmdline`: its `root=`
    /// (`UUID=`, `LABEL=`, a device name) picks the volume that is `/`, and its
    /// `rootflags=subvol=`/`subvolid=` the subvolume the kernel mounts there, whatever
    /// fstab's `/` line says (fstab only remounts it). Without them, as
    /// [`RootNamespace::read`].
    pub fn read_for(
        guest: &Guest<'_>,
        cmdline: Option<&str>,
    ) -> Result<Option<RootNamespace>, BootError> {
        let (root_spec, flags) = cmdline.map(root_params).unwrap_or_default();
        let root_dev = root_spec.and_then(|s| resolve_spec(guest, &s));
        let forced = flags.and_then(|o| {
            FstabEntry {
                spec: String::new(),
                mount_point: "/".to_string(),
                options: o,
            }
            .subvolume()
        });
        for v in guest.volumes.iter() {
            let Ok(fs) = v.fs.as_ref() else { continue };
            if root_dev.as_ref().is_some_and(|d| *d != v.name) {
                continue;
            }
            let candidates = match &forced {
                Some(r) if fs.has_subvolumes() => alloc::vec![r.clone()],
                _ => root_candidates(fs.as_ref())?,
            };
            for root in candidates {
                let file = FilePath {
                    device: v.name.clone(),
                    path: "/etc/fstab".to_string(),
                    root: root.clone(),
                };
                let Some(text) = guest
                    .read_file(&file, MAX_CONFIG_FILE)
                    .map_err(|e| BootError::new(ErrorKind::Io, e.0))?
                else {
                    continue;
                };
                let mut ns = Self::from_fstab(guest, &parse(&text)?, &v.name, root.clone());
                if forced.is_some() {
                    for m in ns.mounts.iter_mut().filter(|m| m.point == "/") {
                        m.device = v.name.clone();
                        m.root = root.clone();
                    }
                }
                return Ok(Some(ns));
            }
        }
        Ok(None)
    }

    /// The namespace an fstab describes, read from volume `device` at `root` (which
    /// is therefore `/`, unless the fstab names a subvolume for `/` on that volume).
    fn from_fstab(
        guest: &Guest<'_>,
        entries: &[FstabEntry],
        device: &str,
        root: PathRoot,
    ) -> RootNamespace {
        let mut mounts: Vec<Mount> = Vec::new();
        for entry in entries {
            if !entry.mount_point.starts_with('/') {
                continue;
            }
            let point = entry.mount_point.trim_end_matches('/');
            let point = if point.is_empty() { "/" } else { point };
            let resolved = resolve_spec(guest, &entry.spec);
            let (dev, tree) = if point == "/" {
                let dev = resolved.unwrap_or_else(|| device.to_string());
                let tree = match entry.subvolume() {
                    Some(t) if dev == device => t,
                    _ => root.clone(),
                };
                (dev, tree)
            } else {
                let Some(dev) = resolved else { continue };
                // A btrfs mounted without subvol= gets the default subvolume.
                (dev, entry.subvolume().unwrap_or(PathRoot::DefaultSubvolume))
            };
            mounts.push(Mount {
                point: point.to_string(),
                device: dev,
                root: tree,
            });
        }
        if !mounts.iter().any(|m| m.point == "/") {
            mounts.push(Mount {
                point: "/".to_string(),
                device: device.to_string(),
                root,
            });
        }
        // Longest first, so the deepest mount point covering a path wins.
        mounts.sort_by_key(|m| core::cmp::Reverse(m.point.len()));
        RootNamespace { mounts }
    }

    /// A namespace with one filesystem, mounted on `/` (a guest without an fstab).
    pub fn single(device: &str) -> RootNamespace {
        RootNamespace {
            mounts: alloc::vec![Mount {
                point: "/".to_string(),
                device: device.to_string(),
                root: PathRoot::Top,
            }],
        }
    }

    /// The file behind an absolute path of the guest's root namespace, with every
    /// symlink on the way followed as the running guest would follow it, across
    /// mount points: Debian's `/vmlinuz` is a symlink to `boot/vmlinuz-...`, which is
    /// on another volume when /boot is separate. `Ok(None)` when there is no such
    /// regular file. Symlink hops, path length and depth are bounded by the guest's
    /// path limits.
    pub fn resolve(&self, guest: &Guest<'_>, path: &str) -> Result<Option<FilePath>, BootError> {
        let limits = guest.path_limits();
        let err = |kind: ErrorKind, m: String| BootError::new(kind, format!("{path}: {m}"));
        if !path.starts_with('/') {
            return Ok(None);
        }
        let mut comps: Vec<String> = Vec::new();
        push_components(&mut comps, path);
        let mut hops = 0u32;
        'walk: loop {
            if comps.len() > limits.max_depth {
                return Err(err(ErrorKind::Limit, "path too deep".into()));
            }
            let full = format!("/{}", comps.join("/"));
            if full.len() > limits.max_path_len {
                return Err(err(ErrorKind::Limit, "path too long".into()));
            }
            let Some(loc) = self.locate(&full) else {
                return Ok(None);
            };
            let Some(fs) = guest.volume(&loc.device).and_then(|v| v.fs.as_ref().ok()) else {
                return Ok(None);
            };
            let rel: Vec<&str> = loc.path.split('/').filter(|c| !c.is_empty()).collect();
            let base = comps.len().saturating_sub(rel.len());
            let mut node = match guest.start(fs.as_ref(), &loc.root) {
                Ok(n) => n,
                Err(xlboot_fs::FsError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(err(ErrorKind::Io, e.to_string())),
            };
            for (i, name) in rel.iter().enumerate() {
                let io = |e: xlboot_fs::FsError| err(ErrorKind::Io, e.to_string());
                let Some(child) = fs.lookup(node, name.as_bytes()).map_err(io)? else {
                    return Ok(None);
                };
                let kind = fs.metadata(child).map_err(io)?.kind;
                let last = i.saturating_add(1) == rel.len();
                match kind {
                    xlboot_fs::FileKind::Symlink => {
                        hops = hops.saturating_add(1);
                        if hops > limits.max_hops {
                            return Err(err(
                                ErrorKind::Limit,
                                format!("more than {} symlinks", limits.max_hops),
                            ));
                        }
                        let target = fs.read_link(child, limits.max_link_len).map_err(io)?;
                        let target = String::from_utf8_lossy(&target).into_owned();
                        let rest: Vec<String> = comps
                            .get(base.saturating_add(i).saturating_add(1)..)
                            .unwrap_or_default()
                            .to_vec();
                        let mut next: Vec<String> = if target.starts_with('/') {
                            Vec::new()
                        } else {
                            comps
                                .get(..base.saturating_add(i))
                                .unwrap_or_default()
                                .to_vec()
                        };
                        push_components(&mut next, &target);
                        for r in rest {
                            push_components(&mut next, &r);
                        }
                        comps = next;
                        continue 'walk;
                    }
                    xlboot_fs::FileKind::Directory if !last => node = child,
                    xlboot_fs::FileKind::Regular if last => return Ok(Some(loc)),
                    _ => return Ok(None),
                }
            }
            return Ok(None);
        }
    }

    /// The volume and path behind an absolute path of the guest's root namespace,
    /// e.g. `/boot/vmlinuz` → `(hd0,msdos1)/vmlinuz` when /boot is msdos1.
    pub fn locate(&self, path: &str) -> Option<FilePath> {
        if !path.starts_with('/') {
            return None;
        }
        self.mounts.iter().find_map(|m| {
            let rest = if m.point == "/" {
                Some(path)
            } else {
                path.strip_prefix(m.point.as_str())
            }?;
            if !(rest.is_empty() || rest.starts_with('/')) {
                return None;
            }
            let rest = if rest.is_empty() { "/" } else { rest };
            Some(FilePath {
                device: m.device.clone(),
                path: rest.to_string(),
                root: m.root.clone(),
            })
        })
    }
}

/// Appends the components of `path` to `comps`, `.` dropped and `..` taking one
/// off (never above the root).
fn push_components(comps: &mut Vec<String>, path: &str) {
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                comps.pop();
            }
            c => comps.push(c.to_string()),
        }
    }
}

/// The GRUB name of the volume an fstab device spec names, if it is on this disk:
/// `UUID=`, `LABEL=`, `PARTUUID=`, `PARTLABEL=` (util-linux's tags, which `mount`
/// and the kernel's `root=` resolve as blkid does: a PARTUUID case-insensitively, as
/// the kernel compares it, with its `/PARTNROFF=N` form), their `/dev/disk/by-*/`
/// links, and the Xen and
/// emulated disk names of the first disk (`/dev/xvda2`, `/dev/sda2`, `/dev/vda2`,
/// `/dev/hda2`, and the whole disk without a number).
fn resolve_spec(guest: &Guest<'_>, spec: &str) -> Option<String> {
    let by_uuid = spec
        .strip_prefix("UUID=")
        .or_else(|| spec.strip_prefix("/dev/disk/by-uuid/"));
    let by_label = spec
        .strip_prefix("LABEL=")
        .or_else(|| spec.strip_prefix("/dev/disk/by-label/"));
    if let Some(id) = spec
        .strip_prefix("PARTUUID=")
        .or_else(|| spec.strip_prefix("/dev/disk/by-partuuid/"))
    {
        return by_part_uuid(guest, id.trim_matches('"'));
    }
    if let Some(label) = spec
        .strip_prefix("PARTLABEL=")
        .or_else(|| spec.strip_prefix("/dev/disk/by-partlabel/"))
    {
        let label = label.trim_matches('"');
        return guest
            .volumes
            .iter()
            .find(|v| v.ids.label.as_deref() == Some(label))
            .map(|v| v.name.clone());
    }
    let devices = guest.devices();
    if let Some(uuid) = by_uuid {
        let uuid = uuid.trim_matches('"');
        return devices
            .into_iter()
            .find(|d| {
                d.fs_uuid
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
            })
            .map(|d| d.name);
    }
    if let Some(label) = by_label {
        let label = label.trim_matches('"');
        return devices
            .into_iter()
            .find(|d| d.label.as_deref() == Some(label))
            .map(|d| d.name);
    }
    if let Some(dm) = spec.strip_prefix("/dev/mapper/") {
        return guest.canonical_device(&format!("lvm/{dm}"));
    }
    if let Some(md) = spec.strip_prefix("/dev/md/") {
        return guest.canonical_device(&format!("md/{md}"));
    }
    if let Some(n) = spec
        .strip_prefix("/dev/md")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return guest
            .canonical_device(&format!("md{n}"))
            .or_else(|| guest.canonical_device(&format!("md/{n}")));
    }
    if let Some((vg, lv)) = spec
        .strip_prefix("/dev/")
        .and_then(|r| r.split_once('/'))
        .filter(|(vg, lv)| {
            !vg.is_empty()
                && !lv.is_empty()
                && !lv.contains('/')
                && !["disk", "md", "mapper"].contains(vg)
        })
    {
        let lvm = format!("lvm/{}-{}", vg.replace('-', "--"), lv.replace('-', "--"));
        if let Some(d) = guest.canonical_device(&lvm) {
            return Some(d);
        }
    }
    let name = ["/dev/xvda", "/dev/sda", "/dev/vda", "/dev/hda"]
        .iter()
        .find_map(|disk| spec.strip_prefix(disk))?;
    if name.is_empty() {
        return guest.canonical_device("hd0");
    }
    if !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    guest.canonical_device(&format!("hd0,{name}"))
}

/// The partition whose `PARTUUID` is `id`; with the kernel's `/PARTNROFF=N` suffix
/// (`devt_from_partuuid` in `init/do_mounts.c`), the partition `N` numbers after it
/// on the same disk.
fn by_part_uuid(guest: &Guest<'_>, id: &str) -> Option<String> {
    let (uuid, offset) = match id.split_once("/PARTNROFF=") {
        Some((u, n)) => (u, n.parse::<u32>().ok()?),
        None => (id, 0),
    };
    let found = guest.volumes.iter().find(|v| {
        v.ids
            .uuid
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
    })?;
    if offset == 0 {
        return Some(found.name.clone());
    }
    let (disk, part) = found.name.split_once(',')?;
    let digits = part.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let scheme = part.get(..part.len().saturating_sub(digits.len()))?;
    let number = digits.parse::<u32>().ok()?.checked_add(offset)?;
    guest.canonical_device(&format!("{disk},{scheme}{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_fstab_with_escapes() {
        let text = b"# /etc/fstab\n\nUUID=abc / ext4 errors=remount-ro 0 1\n\
                     LABEL=my\\040boot /boot ext4 defaults 0 2\n/dev/xvda3 none swap sw 0 0\nbroken\n";
        let e = parse(text).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(
            e[1],
            FstabEntry {
                spec: "LABEL=my boot".into(),
                mount_point: "/boot".into(),
                options: "defaults".into(),
            }
        );
        assert_eq!(e[2].mount_point, "none");
    }

    #[test]
    fn subvolume_options_as_the_kernel_reads_them() {
        let e = |o: &str| FstabEntry {
            spec: "UUID=x".into(),
            mount_point: "/".into(),
            options: o.into(),
        };
        let sv = |p: &str| {
            Some(PathRoot::Subvolume {
                path: p.into(),
                or_in_default: false,
            })
        };
        assert_eq!(e("defaults").subvolume(), None);
        assert_eq!(
            e("rw,subvol=/@/.snapshots,noatime").subvolume(),
            sv("@/.snapshots")
        );
        assert_eq!(e("subvol=root,compress=zstd:1").subvolume(), sv("root"));
        assert_eq!(e("subvolid=5").subvolume(), Some(PathRoot::SubvolumeId(5)));
        assert_eq!(
            e("subvol=@,subvolid=0").subvolume(),
            Some(PathRoot::DefaultSubvolume)
        );
    }

    #[test]
    fn too_many_entries_is_a_limit() {
        let text = "a /b\n".repeat(MAX_FSTAB_ENTRIES + 1);
        assert_eq!(parse(text.as_bytes()).unwrap_err().kind, ErrorKind::Limit);
    }

    #[test]
    fn locates_by_the_deepest_mount_point() {
        let m = |point: &str, device: &str| Mount {
            point: point.into(),
            device: device.into(),
            root: PathRoot::Top,
        };
        let ns = RootNamespace {
            mounts: alloc::vec![
                m("/boot/efi", "hd0,gpt1"),
                m("/boot", "hd0,gpt2"),
                m("/", "hd0,gpt3"),
            ],
        };
        let at = |p: &str| ns.locate(p).map(|f| f.to_string());
        assert_eq!(at("/boot/vmlinuz").as_deref(), Some("(hd0,gpt2)/vmlinuz"));
        assert_eq!(at("/boot").as_deref(), Some("(hd0,gpt2)/"));
        assert_eq!(
            at("/bootx/vmlinuz").as_deref(),
            Some("(hd0,gpt3)/bootx/vmlinuz")
        );
        assert_eq!(at("/boot/efi/EFI/x").as_deref(), Some("(hd0,gpt1)/EFI/x"));
        assert_eq!(at("relative"), None);
    }
}

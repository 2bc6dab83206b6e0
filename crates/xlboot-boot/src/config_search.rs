//! Where boot loader configs live on a volume, and which one decides.
//!
//! The order is pygrub's (`Grub.read_config` in `tools/pygrub/src/pygrub`), so that a
//! guest that boots with pygrub today boots the same config with xlboot: volumes in
//! partition table order, the first volume holding any config decides, and on it the
//! first of [`CONFIG_PATHS`] that exists. pygrub's thirteen paths come first, in its
//! order; the places the boot loaders themselves search that pygrub never looked at
//! come after all of them (syslinux's own search directories), so they cannot change
//! what pygrub-compatible guests boot; a directory of Boot Loader Specification
//! entries (with systemd-boot's `loader.conf`) counts only on a volume with none of
//! these files, since pygrub knows no such entries at all. Every config found on any
//! volume is reported (`--debug`, `-l`), chosen or not.

use alloc::string::String;

/// The boot loader a config file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// GRUB 2 `grub.cfg`.
    Grub2,
    /// syslinux, extlinux or isolinux.
    Syslinux,
    /// GRUB legacy `menu.lst` / `grub.conf`.
    GrubLegacy,
    /// LILO's `/etc/lilo.conf`.
    Lilo,
    /// A directory of Boot Loader Specification entries with no boot loader config
    /// around it (systemd-boot style, or `kernel-install` with `layout=bls`).
    Bls,
    /// systemd-boot's `loader.conf` (reported; it decides with the entries).
    LoaderConf,
}

impl ConfigKind {
    /// Its name for people.
    pub fn name(self) -> &'static str {
        match self {
            ConfigKind::Grub2 => "GRUB 2",
            ConfigKind::Syslinux => "syslinux",
            ConfigKind::GrubLegacy => "GRUB legacy",
            ConfigKind::Lilo => "LILO",
            ConfigKind::Bls => "Boot Loader Specification",
            ConfigKind::LoaderConf => "systemd-boot loader.conf",
        }
    }
}

/// The search list: on each volume the first of these that exists is the config.
/// pygrub's list first: GRUB 2 paths come first, so a guest upgraded from GRUB legacy
/// that still carries an old `menu.lst` boots from its `grub.cfg`.
pub const CONFIG_PATHS: &[(&str, ConfigKind)] = &[
    ("/boot/grub/grub.cfg", ConfigKind::Grub2),
    ("/grub/grub.cfg", ConfigKind::Grub2),
    ("/boot/grub2/grub.cfg", ConfigKind::Grub2),
    ("/grub2/grub.cfg", ConfigKind::Grub2),
    ("/boot/isolinux/isolinux.cfg", ConfigKind::Syslinux),
    ("/boot/extlinux/extlinux.conf", ConfigKind::Syslinux),
    ("/boot/extlinux.conf", ConfigKind::Syslinux),
    ("/extlinux/extlinux.conf", ConfigKind::Syslinux),
    ("/extlinux.conf", ConfigKind::Syslinux),
    ("/boot/grub/menu.lst", ConfigKind::GrubLegacy),
    ("/boot/grub/grub.conf", ConfigKind::GrubLegacy),
    ("/grub/menu.lst", ConfigKind::GrubLegacy),
    ("/grub/grub.conf", ConfigKind::GrubLegacy),
    // syslinux's own search (`generic_open_config`, `iso_open_config`): extlinux and
    // syslinux look in /boot/syslinux, /syslinux and / for extlinux.conf then
    // syslinux.cfg; isolinux in /boot/isolinux, /isolinux, then those.
    ("/boot/syslinux/extlinux.conf", ConfigKind::Syslinux),
    ("/boot/syslinux/syslinux.cfg", ConfigKind::Syslinux),
    ("/syslinux/extlinux.conf", ConfigKind::Syslinux),
    ("/syslinux/syslinux.cfg", ConfigKind::Syslinux),
    ("/syslinux.cfg", ConfigKind::Syslinux),
    ("/isolinux/isolinux.cfg", ConfigKind::Syslinux),
    ("/boot/isolinux/syslinux.cfg", ConfigKind::Syslinux),
    ("/isolinux/syslinux.cfg", ConfigKind::Syslinux),
    // pygrub has a LILO parser but no path that reaches it: after every file pygrub
    // reads, so a guest with both keeps booting as pygrub boots it.
    ("/etc/lilo.conf", ConfigKind::Lilo),
];

/// On a btrfs volume with none of [`CONFIG_PATHS`] at its top level and a default
/// subvolume other than the top level, this is looked for inside the default
/// subvolume first: openSUSE's and SLES's GRUB (snapper's bootable snapshots) starts
/// paths there (`grub2-install` writes `set btrfs_relative_path='y'` into the core
/// image, with the prefix `/boot/grub2`), so after `snapper rollback` it reads the
/// config of the snapshot made default. Upstream GRUB never does (Debian and Ubuntu
/// name their directory `grub`, and are found below).
pub const DEFAULT_SUBVOLUME_GRUB_PATH: &str = "/boot/grub2/grub.cfg";

/// On a btrfs volume with none of [`CONFIG_PATHS`] at its top level, these are looked
/// for under each top-level directory: GRUB reads btrfs from the top-level subvolume,
/// and `grub-install` sets its prefix to where `/boot/grub` really is, which for a
/// root in a subvolume (Debian's and Ubuntu's `@`, Fedora's `root`) is
/// `/@/boot/grub`. The subvolume is not recorded anywhere but in GRUB's core image, so
/// every top-level directory is a candidate, in listing (creation) order.
pub const BTRFS_SUBVOLUME_GRUB_PATHS: &[&str] = &["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];

/// Most top-level entries of a btrfs volume looked at for
/// [`BTRFS_SUBVOLUME_GRUB_PATHS`].
pub const BTRFS_TOP_LEVEL_MAX: usize = 1024;

/// Where BLS entry directories are looked for, on a volume with none of the config
/// files above: the entries directory of an XBOOTLDR or ESP partition, and of /boot on
/// the root filesystem.
pub const BLS_DIRS: &[&str] = &["/loader/entries", "/boot/loader/entries"];

/// On a btrfs volume with no config at all so far (none of [`CONFIG_PATHS`] or
/// [`BLS_DIRS`] at its top level, no `grub.cfg` in a subvolume), the BLS entries
/// directory looked for in its default subvolume and then in each top-level
/// subvolume: a root in a subvolume (Fedora's `root`, Debian's and Ubuntu's `@`)
/// without a boot partition keeps `/boot` in it, where `kernel-install` writes the
/// entries, naming files from that subvolume (the running system's `/`).
pub const BTRFS_SUBVOLUME_BLS_DIR: &str = "/boot/loader/entries";

/// The kind of config a file is, from its name alone (for `--isconfig`, where the file
/// is on the host): the kind [`CONFIG_PATHS`] gives a file of that name, GRUB 2 for any
/// other name (pygrub reads every `--isconfig` file as GRUB 2).
pub fn kind_of_file_name(name: &str) -> ConfigKind {
    CONFIG_PATHS
        .iter()
        .find(|(path, _)| path.rsplit('/').next() == Some(name))
        .map_or(ConfigKind::Grub2, |(_, kind)| *kind)
}

/// systemd-boot's `loader.conf` for an entries directory: in the directory above it
/// (`/loader/loader.conf` for `/loader/entries`); with an XBOOTLDR partition it is on
/// the ESP, another volume, at [`LOADER_CONF`].
pub fn loader_conf_for(entries_dir: &str) -> String {
    let parent = entries_dir
        .trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(p, _)| p);
    alloc::format!("{parent}/loader.conf")
}

/// Where systemd-boot reads `loader.conf` on its own partition.
pub const LOADER_CONF: &str = "/loader/loader.conf";

/// Where the Boot Loader Specification keeps type #2 entries, Unified Kernel Images
/// (systemd-boot lists each `*.efi` there): not booted, but named when nothing else is
/// found ([`crate::decide`]).
pub const UKI_DIR: &str = "/EFI/Linux";

//! Where boot loader configs live on a volume, in the order pygrub looks for them.

/// The boot loader a config file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// GRUB 2 `grub.cfg`.
    Grub2,
    /// syslinux, extlinux or isolinux.
    Syslinux,
    /// GRUB legacy `menu.lst` / `grub.conf`.
    GrubLegacy,
    /// A directory of Boot Loader Specification entries with no boot loader config
    /// around it (systemd-boot style, or `kernel-install` with `layout=bls`).
    Bls,
}

impl ConfigKind {
    /// Its name for people.
    pub fn name(self) -> &'static str {
        match self {
            ConfigKind::Grub2 => "GRUB 2",
            ConfigKind::Syslinux => "syslinux",
            ConfigKind::GrubLegacy => "GRUB legacy",
            ConfigKind::Bls => "Boot Loader Specification",
        }
    }
}

/// pygrub's search list: on each volume the first of these that exists is the config.
/// GRUB 2 paths come first, so a guest upgraded from GRUB legacy that still carries an
/// old `menu.lst` boots from its `grub.cfg`.
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
];

/// Where BLS entry directories are looked for, on a volume with none of the config
/// files above: the entries directory of an XBOOTLDR or ESP partition, and of /boot on
/// the root filesystem.
pub const BLS_DIRS: &[&str] = &["/loader/entries", "/boot/loader/entries"];

/// The kind of config a file is, from its name alone (for `--isconfig`, where the file
/// is on the host): the kind [`CONFIG_PATHS`] gives a file of that name, GRUB 2 for any
/// other name (pygrub reads every `--isconfig` file as GRUB 2).
pub fn kind_of_file_name(name: &str) -> ConfigKind {
    CONFIG_PATHS
        .iter()
        .find(|(path, _)| path.rsplit('/').next() == Some(name))
        .map_or(ConfigKind::Grub2, |(_, kind)| *kind)
}

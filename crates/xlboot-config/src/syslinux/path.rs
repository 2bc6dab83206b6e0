//! File names as syslinux opens them: relative to its working directory, which is the
//! directory the config was found in (`search_dirs` in `core/fs/lib/searchconfig.c`
//! changes to it; extlinux's install directory is searched first), unless they start
//! with `/`. `.` and `..` are resolved by the filesystem; here they are resolved by
//! name, which gives the same file when no directory on the way is a symlink.
//!
//! pxelinux names files on a TFTP server instead ([`Namespace::Tftp`], `core/fs/pxe`),
//! whose root is `/` here. Its working directory is a text prefix: the directory of
//! the boot file (`pxelinux.0`, `get_prefix` in `pxe.c`), which `pxe_open_config`
//! changes to before it opens `pxelinux.cfg/<name>`, so a relative name in a config
//! under `pxelinux.cfg/` is relative to that directory's parent, not to the config's
//! own directory. Every name is appended to the prefix as text (`__pxe_searchdir`), a
//! leading `/` included, except `::path`, which names `path` from the TFTP root
//! (`url_type` in `urlparse.c`: `URL_OLD_TFTP` with the default server); `host::path`
//! and `scheme://...` name other servers and are kept as written.

use alloc::string::String;
use alloc::vec::Vec;

/// The directory of an absolute file path: `/boot/extlinux` for
/// `/boot/extlinux/extlinux.conf`, `/` for `/extlinux.conf`.
pub fn dir_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => String::from("/"),
        Some(p) => String::from(path.get(..p).unwrap_or("/")),
    }
}

/// Where syslinux looks names up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// A filesystem (syslinux, extlinux, isolinux): names are paths on it.
    Disk,
    /// A TFTP server (pxelinux), whose root is `/` here: names are appended to the
    /// working directory, `::` starts one from the root, and a name with a server or
    /// URL scheme is another server's.
    Tftp,
}

impl Namespace {
    /// `name` as this loader opens it from working directory `cwd` (absolute): an
    /// absolute path, or for another TFTP or URL server the name as written (no file
    /// here has it).
    pub fn resolve(self, cwd: &str, name: &str) -> String {
        if self == Namespace::Disk {
            return resolve(cwd, name);
        }
        let appended = || resolve(cwd, name.trim_start_matches('/'));
        let Some(colon) = name.find(':') else {
            return appended();
        };
        let after = name.get(colon.saturating_add(1)..).unwrap_or_default();
        if after.starts_with("//") {
            return String::from(name);
        }
        match after.strip_prefix(':') {
            Some(path) if colon == 0 => resolve("/", path),
            Some(_) => String::from(name),
            None => appended(),
        }
    }
}

/// `name` resolved against the working directory `cwd` (absolute), as an absolute
/// path with no `.`, `..` or repeated `/`. `..` at the root stays at the root.
pub fn resolve(cwd: &str, name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if name.starts_with('/') {
        [name, ""]
    } else {
        [cwd, name]
    };
    for piece in joined {
        for c in piece.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
    }
    let mut out = String::new();
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_config_dir() {
        assert_eq!(dir_of("/boot/extlinux/extlinux.conf"), "/boot/extlinux");
        assert_eq!(dir_of("/extlinux.conf"), "/");
        assert_eq!(
            resolve("/boot/extlinux", "vmlinuz"),
            "/boot/extlinux/vmlinuz"
        );
        assert_eq!(resolve("/boot/extlinux", "../vmlinuz"), "/boot/vmlinuz");
        assert_eq!(resolve("/boot/extlinux", "/vmlinuz"), "/vmlinuz");
        assert_eq!(resolve("/", "../../x//./y"), "/x/y");
        assert_eq!(resolve("/a", ".."), "/");
    }

    #[test]
    fn tftp_names_as_pxelinux_opens_them() {
        let t = Namespace::Tftp;
        assert_eq!(t.resolve("/srv/tftp", "d-i/linux"), "/srv/tftp/d-i/linux");
        assert_eq!(t.resolve("/d-i", "::vmlinuz"), "/vmlinuz");
        assert_eq!(t.resolve("/d-i", "::/boot/vmlinuz"), "/boot/vmlinuz");
        // The prefix `::d-i/` and `/vmlinuz` make `::d-i//vmlinuz`.
        assert_eq!(t.resolve("/d-i", "/vmlinuz"), "/d-i/vmlinuz");
        assert_eq!(t.resolve("/", "10.0.0.1::vmlinuz"), "10.0.0.1::vmlinuz");
        assert_eq!(
            t.resolve("/", "http://10.0.0.1/vmlinuz"),
            "http://10.0.0.1/vmlinuz"
        );
        // A colon that starts no server or scheme is part of the name.
        assert_eq!(t.resolve("/", "a:b"), "/a:b");
        // On a disk `::` means nothing.
        assert_eq!(Namespace::Disk.resolve("/e", "::vmlinuz"), "/e/::vmlinuz");
    }
}

//! File names as syslinux opens them: relative to its working directory, which is the
//! directory the config was found in (`search_dirs` in `core/fs/lib/searchconfig.c`
//! changes to it; extlinux's install directory is searched first), unless they start
//! with `/`. `.` and `..` are resolved by the filesystem; here they are resolved by
//! name, which gives the same file when no directory on the way is a symlink.

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
}

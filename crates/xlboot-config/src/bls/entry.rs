//! One Boot Loader Specification Type #1 entry file (`/loader/entries/ID.conf`), read
//! as Fedora-family GRUB's `blscfg` reads it (`read_entry` in
//! `grub-core/commands/blscfg.c`, lines from `grub_file_getline`):
//!
//! - carriage returns are dropped anywhere; a NUL byte ends the line (C strings);
//! - leading spaces and tabs are skipped; a line starting with `#` is a comment;
//! - the key ends at the first space (or, when there is none, the first tab); the
//!   value starts after the spaces and tabs that follow, and keeps trailing blanks;
//! - a line with no separator, or whose separator is its last byte (an empty line
//!   too) **ends the file**: the lines after it are not read;
//! - keys repeat: single-valued keys (`title`, `linux`, `options` ...) take their
//!   first occurrence, `initrd` and the `grub_*` list keys take all, in file order.

use alloc::string::String;
use alloc::vec::Vec;

/// Most key/value lines kept from one file (the file itself is size-capped).
pub const MAX_KEYS: usize = 4096;

/// A parsed entry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlsEntry {
    /// The file name without `.conf`: the entry's id (`saved_entry` names it).
    pub id: String,
    /// Key/value pairs in file order.
    pub keys: Vec<(String, String)>,
}

impl BlsEntry {
    /// Parses the contents of `ID.conf`.
    pub fn parse(id: &str, data: &[u8]) -> BlsEntry {
        let mut keys = Vec::new();
        for raw in data.split(|&c| c == b'\n') {
            if keys.len() >= MAX_KEYS {
                break;
            }
            let mut line: Vec<u8> = raw.iter().copied().filter(|&c| c != b'\r').collect();
            if let Some(nul) = line.iter().position(|&c| c == 0) {
                line.truncate(nul);
            }
            let start = line
                .iter()
                .position(|&c| c != b' ' && c != b'\t')
                .unwrap_or(line.len());
            let line = line.get(start..).unwrap_or_default();
            if line.first() == Some(&b'#') {
                continue;
            }
            let sep = line
                .iter()
                .position(|&c| c == b' ')
                .or_else(|| line.iter().position(|&c| c == b'\t'));
            let Some(sep) = sep else { break };
            let after = sep.saturating_add(1);
            if after >= line.len() {
                break;
            }
            let key = line.get(..sep).unwrap_or_default();
            let rest = line.get(after..).unwrap_or_default();
            let vstart = rest
                .iter()
                .position(|&c| c != b' ' && c != b'\t')
                .unwrap_or(rest.len());
            let value = rest.get(vstart..).unwrap_or_default();
            keys.push((
                String::from_utf8_lossy(key).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ));
        }
        BlsEntry {
            id: String::from(id),
            keys,
        }
    }

    /// The first value of `key` (`bls_get_val`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in file order (`bls_make_list`).
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_line_rules() {
        let e = BlsEntry::parse(
            "x",
            b"  # comment\r\ntitle  Fedora Linux (6.8)  \r\n\tlinux\t/vmlinuz\ninitrd /a\ninitrd /b /c\noptions root=/dev/xvda1 ro\n\nversion 1\n",
        );
        assert_eq!(e.get("title"), Some("Fedora Linux (6.8)  "));
        assert_eq!(e.get("linux"), Some("/vmlinuz"));
        assert_eq!(e.all("initrd"), ["/a", "/b /c"]);
        // The empty line ends the file.
        assert_eq!(e.get("version"), None);
    }

    #[test]
    fn separator_last_ends_file() {
        let e = BlsEntry::parse("x", b"title \nlinux /k\n");
        assert!(e.keys.is_empty());
        let e = BlsEntry::parse("x", b"linux /k\0junk\nkey\nversion 2\n");
        assert_eq!(e.get("linux"), Some("/k"));
        assert_eq!(e.get("version"), None);
    }
}

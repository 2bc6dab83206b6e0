//! The loader's own command line (xl.cfg `extra=` or `cmdline=`, which Xen hands a PVH
//! guest through its start info): which config to read and which entry to boot.
//!
//! Words separated by spaces: `config=PATH` (a path on the guest's volumes, optionally
//! with its device as xlboot names it: `(hd0,msdos1)/boot/grub/grub.cfg`), `entry=E`
//! (as xlboot's `--entry`: a number, a title, an id or a `>` path). A bare word that
//! starts with `/` or `(` is a config path, as PV-GRUB took
//! `(hd0,0)/boot/grub/menu.lst`. Anything else is refused, so a typo is not silently
//! ignored.

use alloc::string::{String, ToString};
use core::fmt;

/// What the command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoaderOptions {
    /// The config to evaluate instead of searching for one.
    pub config: Option<String>,
    /// The entry to boot instead of the config's default.
    pub entry: Option<String>,
}

/// A word of the command line the loader does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdlineError(pub String);

impl fmt::Display for CmdlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command line: {} (expected config=PATH, entry=ENTRY or a config path)",
            self.0
        )
    }
}

impl LoaderOptions {
    /// Parses the command line.
    pub fn parse(line: &str) -> Result<LoaderOptions, CmdlineError> {
        let mut opts = LoaderOptions::default();
        for word in line.split_ascii_whitespace() {
            let (slot, value) = if let Some(v) = word.strip_prefix("config=") {
                (&mut opts.config, v)
            } else if let Some(v) = word.strip_prefix("entry=") {
                (&mut opts.entry, v)
            } else if word.starts_with('/') || word.starts_with('(') {
                (&mut opts.config, word)
            } else {
                return Err(CmdlineError(alloc::format!("unknown word '{word}'")));
            };
            if value.is_empty() {
                return Err(CmdlineError(alloc::format!("'{word}' has no value")));
            }
            if slot.is_some() {
                return Err(CmdlineError(alloc::format!("'{word}' given twice")));
            }
            *slot = Some(value.to_string());
        }
        Ok(opts)
    }
}

/// A config path split into its device (`hd0,msdos1` from `(hd0,msdos1)/boot/...`) and
/// the path on it; `None` for the device when the path names none.
pub fn split_device(path: &str) -> (Option<&str>, &str) {
    match path.strip_prefix('(').and_then(|rest| rest.split_once(')')) {
        Some((device, rest)) => (Some(device), rest),
        None => (None, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let o = LoaderOptions::parse("  config=/boot/grub/grub.cfg entry=1 ").unwrap();
        assert_eq!(o.config.as_deref(), Some("/boot/grub/grub.cfg"));
        assert_eq!(o.entry.as_deref(), Some("1"));
        let o = LoaderOptions::parse("(hd0,0)/boot/grub/menu.lst").unwrap();
        assert_eq!(o.config.as_deref(), Some("(hd0,0)/boot/grub/menu.lst"));
        assert_eq!(LoaderOptions::parse("").unwrap(), LoaderOptions::default());
        assert!(LoaderOptions::parse("quiet").is_err());
        assert!(LoaderOptions::parse("entry=").is_err());
        assert!(LoaderOptions::parse("entry=1 entry=2").is_err());
    }

    #[test]
    fn devices() {
        assert_eq!(
            split_device("(hd0,msdos1)/boot/grub/grub.cfg"),
            (Some("hd0,msdos1"), "/boot/grub/grub.cfg")
        );
        assert_eq!(split_device("/boot/x"), (None, "/boot/x"));
        assert_eq!(split_device("(hd0"), (None, "(hd0"));
    }
}

//! systemd-boot's `loader/loader.conf` and its choice of the default entry, as
//! systemd 252 implements them (`src/boot/efi/boot.c`: `line_get_key_value`,
//! `config_defaults_load_from_file`, `config_default_entry_select`; `efi_fnmatch` in
//! `src/boot/efi/efi-string.c`).
//!
//! - Lines end at `\n` or `\r`; blanks (space, tab) around them are dropped; `#` starts
//!   a comment line; the key ends at the first blank, the value starts after the
//!   blanks that follow; a value starting with `"` on a line ending with `"` loses both.
//! - `default`: a glob (`*`, `?`, `[...]` with ranges, `\` escapes; no negation),
//!   matched case-insensitively against each entry's id in menu order; the first
//!   match is the default. The id is the entry's file name, `.conf` included (and, as
//!   systemd-boot 252 does, the boot-counting suffix too; later versions drop it, so a
//!   pattern matching the name without it is accepted as well). `@saved` means the
//!   entry saved in the `LoaderEntryLastBooted` EFI variable, and other `@` values are
//!   ignored. A Xen guest has no EFI variables, so with `@saved` (or no match) the
//!   first entry is the default, as systemd-boot does with the variable unset.
//! - `timeout`: seconds, or `menu-force` (wait for ever), or `menu-hidden` (0); values
//!   it cannot parse are ignored. Unset, the menu is not shown and the default boots
//!   at once.
//!
//! The entries' kernels, initrds and options stay as [`super::spec`] reads them.

use alloc::string::String;
use alloc::vec::Vec;

/// `timeout` as systemd-boot keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// Not set: no menu, the default boots at once.
    Unset,
    /// `menu-force`: the menu waits for ever.
    MenuForce,
    /// `menu-hidden` or 0: no menu.
    MenuHidden,
    /// Seconds.
    Seconds(u64),
}

impl Timeout {
    /// Seconds before the default boots; `None` waits for ever.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Timeout::Unset | Timeout::MenuHidden => Some(0),
            Timeout::MenuForce => None,
            Timeout::Seconds(s) => Some(s),
        }
    }
}

/// What `loader.conf` says about the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderConf {
    /// `default`, lower-cased (the last valid line wins).
    pub default: Option<String>,
    /// `timeout` (the last valid line wins).
    pub timeout: Timeout,
    /// Lines systemd-boot ignores with an error, for `--debug`.
    pub notes: Vec<String>,
}

/// Most lines read (the file itself is size-capped by the caller).
pub const MAX_LINES: usize = 65536;

/// The largest `timeout` systemd-boot accepts (`TIMEOUT_TYPE_MAX`).
const TIMEOUT_TYPE_MAX: u64 = 0xffff_ffff;

/// `line_get_key_value(content, " \t", ...)`: (key, value) pairs in file order.
pub fn key_values(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let mut out = Vec::new();
    for line in data.split(|&c| c == b'\n' || c == b'\r').take(MAX_LINES) {
        // A NUL ends the content (C strings).
        let line = match line.iter().position(|&c| c == 0) {
            Some(n) => line.get(..n).unwrap_or_default(),
            None => line,
        };
        let start = line.iter().position(|c| !blank(c)).unwrap_or(line.len());
        let end = line
            .iter()
            .rposition(|c| !blank(c))
            .map_or(start, |e| e.saturating_add(1));
        let line = line.get(start..end).unwrap_or_default();
        if line.is_empty() || line.first() == Some(&b'#') {
            continue;
        }
        let Some(sep) = line.iter().position(blank) else {
            continue;
        };
        let key = line.get(..sep).unwrap_or_default();
        let rest = line.get(sep..).unwrap_or_default();
        let vstart = rest.iter().position(|c| !blank(c)).unwrap_or(rest.len());
        let mut value = rest.get(vstart..).unwrap_or_default();
        if value.first() == Some(&b'"') && line.last() == Some(&b'"') {
            // The opening quote is skipped and the line's last byte (the closing
            // quote, or the same quote when the value is one `"`) cut.
            value = value
                .get(1..value.len().saturating_sub(1).max(1))
                .unwrap_or_default();
        }
        out.push((key, value));
    }
    out
}

/// `parse_number8`: decimal digits only, at least one, the whole value.
fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &c in v {
        n = n
            .checked_mul(10)?
            .checked_add(u64::from(c.saturating_sub(b'0')))?;
    }
    Some(n)
}

impl LoaderConf {
    /// Reads `loader.conf`.
    pub fn parse(data: &[u8]) -> LoaderConf {
        let mut conf = LoaderConf {
            default: None,
            timeout: Timeout::Unset,
            notes: Vec::new(),
        };
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for (key, value) in key_values(data) {
            match key {
                b"timeout" => {
                    conf.timeout = match value {
                        b"menu-force" => Timeout::MenuForce,
                        b"menu-hidden" => Timeout::MenuHidden,
                        v => match number(v).filter(|&n| n <= TIMEOUT_TYPE_MAX) {
                            Some(0) => Timeout::MenuHidden,
                            Some(n) => Timeout::Seconds(n),
                            None => {
                                conf.notes.push(alloc::format!(
                                    "loader.conf: timeout {} is not a number; ignored, as systemd-boot does",
                                    text(v)
                                ));
                                continue;
                            }
                        },
                    };
                }
                b"default" => {
                    if value.first() == Some(&b'@') && !value.eq_ignore_ascii_case(b"@saved") {
                        conf.notes.push(alloc::format!(
                            "loader.conf: default {} is no entry id systemd-boot knows; ignored",
                            text(value)
                        ));
                        continue;
                    }
                    conf.default = Some(text(value).to_lowercase());
                }
                _ => {}
            }
        }
        conf
    }
}

/// What follows a `*`: the rest of the pattern and of the haystack.
type Tails<'p, 'h> = (&'p [char], &'h [char]);

/// `efi_fnmatch_prefix`: matches the pattern up to its first `*` against the start
/// of `h`; at a `*`, `Some` of the rest of the pattern (after the stars) and of `h`.
fn prefix<'p, 'h>(p: &'p [char], h: &'h [char]) -> (bool, Option<Tails<'p, 'h>>) {
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let hc = h.get(j).copied();
        match p.get(i).copied() {
            None => return (hc.is_none(), None),
            Some('\\') => {
                i = i.saturating_add(1);
                match p.get(i) {
                    Some(c) if Some(*c) == hc => {}
                    _ => return (false, None),
                }
            }
            Some('?') => {
                if hc.is_none() {
                    return (false, None);
                }
            }
            Some('*') => {
                while p.get(i) == Some(&'*') {
                    i = i.saturating_add(1);
                }
                return (
                    true,
                    Some((
                        p.get(i..).unwrap_or_default(),
                        h.get(j..).unwrap_or_default(),
                    )),
                );
            }
            Some('[') => {
                let Some(hc) = hc else {
                    return (false, None);
                };
                let (mut first, mut can_range, mut matched) = (true, true, false);
                loop {
                    i = i.saturating_add(1);
                    let Some(c) = p.get(i).copied() else {
                        return (false, None);
                    };
                    if c == '\\' {
                        i = i.saturating_add(1);
                        let Some(e) = p.get(i).copied() else {
                            return (false, None);
                        };
                        if e == hc {
                            matched = true;
                        }
                        can_range = true;
                        first = false;
                        continue;
                    }
                    if c == ']' && !first {
                        break;
                    }
                    if c == '-' && can_range && !first && p.get(i.saturating_add(1)) != Some(&']') {
                        let low = p.get(i.saturating_sub(1)).copied().unwrap_or('\0');
                        i = i.saturating_add(1);
                        if p.get(i) == Some(&'\\') {
                            i = i.saturating_add(1);
                        }
                        let Some(high) = p.get(i).copied() else {
                            return (false, None);
                        };
                        if low <= hc && hc <= high {
                            matched = true;
                        }
                        can_range = false;
                        first = false;
                        continue;
                    }
                    if c == hc {
                        matched = true;
                    }
                    can_range = true;
                    first = false;
                }
                if !matched {
                    return (false, None);
                }
            }
            Some(c) => {
                if Some(c) != hc {
                    return (false, None);
                }
            }
        }
        i = i.saturating_add(1);
        j = j.saturating_add(1);
    }
}

/// `efi_fnmatch`: whether `pattern` matches all of `haystack`, without backtracking
/// (each round consumes a `*` or a haystack character, so it ends).
pub fn fnmatch(pattern: &str, haystack: &str) -> bool {
    Glob::new(pattern).matches(haystack)
}

/// A glob decoded once, to match many names (a `default` may be as long as the file).
pub struct Glob(Vec<char>);

impl Glob {
    /// The glob `pattern`.
    pub fn new(pattern: &str) -> Glob {
        Glob(pattern.chars().collect())
    }

    /// [`fnmatch`] with this glob. Each round consumes a `*` segment or a haystack
    /// character and compares at most the rest of the haystack, so the work is
    /// bounded by the haystack's length squared plus the pattern's length.
    pub fn matches(&self, haystack: &str) -> bool {
        let h: Vec<char> = haystack.chars().collect();
        glob_match(&self.0, &h)
    }
}

fn glob_match(p: &[char], h: &[char]) -> bool {
    let (mut p, mut h) = (p, h);
    let mut first = true;
    loop {
        let (matched, tail) = prefix(p, h);
        if first {
            if !matched {
                return false;
            }
            if tail.is_none() {
                return true;
            }
            first = false;
        }
        match tail {
            Some((pt, ht)) => {
                p = pt;
                h = ht;
            }
            None => {
                if matched || h.is_empty() {
                    return matched;
                }
                h = h.get(1..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_systemd_boot_reads_them() {
        let kv =
            key_values(b"  # c\r\ntimeout\t 5  \ndefault \"fedora-*\"\nnovalue\n\ndefault \"\n");
        assert_eq!(
            kv,
            [
                (&b"timeout"[..], &b"5"[..]),
                (b"default", b"fedora-*"),
                (b"default", b""),
            ]
        );
    }

    #[test]
    fn settings() {
        let c = LoaderConf::parse(b"timeout 3\ndefault Debian-*\n");
        assert_eq!(c.timeout, Timeout::Seconds(3));
        assert_eq!(c.default.as_deref(), Some("debian-*"));
        let c = LoaderConf::parse(b"timeout menu-force\ndefault @saved\ndefault @bogus\n");
        assert_eq!(c.timeout.seconds(), None);
        assert_eq!(c.default.as_deref(), Some("@saved"));
        assert_eq!(c.notes.len(), 1);
        let c = LoaderConf::parse(b"timeout 5\ntimeout x\n");
        assert_eq!(c.timeout, Timeout::Seconds(5));
        assert_eq!(LoaderConf::parse(b"").timeout.seconds(), Some(0));
        assert_eq!(LoaderConf::parse(b"timeout 0").timeout, Timeout::MenuHidden);
        assert_eq!(
            LoaderConf::parse(b"timeout 4294967296").timeout,
            Timeout::Unset
        );
    }

    /// Globs as `efi_fnmatch` matches them (no backtracking needed, sets without
    /// negation, ranges that do not chain).
    #[test]
    fn globs() {
        for (p, h, want) in [
            ("", "", true),
            ("abc", "abc", true),
            ("aBc", "abc", false),
            ("b", "a", false),
            ("b", "", false),
            ("abc", "a", false),
            ("a?c", "azc", true),
            ("???", "?.9", true),
            ("1?", "1", false),
            ("***", "", true),
            ("*", "123", true),
            ("**", "abcd", true),
            ("*b*", "abcd", true),
            ("abc*d", "abc", false),
            ("start*end", "startend", true),
            ("start*end", "startendend", true),
            ("start*end", "startenddne", false),
            ("start*end", "startendstartend", true),
            ("start*end", "starten", false),
            ("*.conf", "fedora-6.8.conf", true),
            ("[]", "a", false),
            ("[]", "", false),
            ("[", "[", false),
            ("[a", "a", false),
            ("[abc]", "a", true),
            ("[abc]", "d", false),
            ("[a-c]", "b", true),
            ("[a-c]", "d", false),
            ("[a-c-f]", "e", false),
            ("[a-c-f]", "-", true),
            ("[]]", "]", true),
            ("[]-]", "-", true),
            ("[!a]", "!", true),
            ("\\*", "*", true),
            ("\\", "", false),
            ("*[a-z]?x", "0x1x", true),
            ("*[a-z]?x", "abx", true),
            ("*[a-z]?x", "x0ax", false),
            ("*[a-z]?x", "12x", false),
        ] {
            assert_eq!(fnmatch(p, h), want, "{p:?} {h:?}");
        }
    }

    #[test]
    fn long_globs_stay_cheap() {
        // A default as long as the file allows, against long names: the work is
        // bounded by the name, not by the pattern times the name.
        let g = Glob::new(&"*a".repeat(500_000));
        assert!(!g.matches(&"a".repeat(255)));
        let g = Glob::new(&"?".repeat(1 << 20));
        assert!(!g.matches(&"b".repeat(4096)));
        assert!(Glob::new(&"*".repeat(1 << 20)).matches("anything.conf"));
    }
}

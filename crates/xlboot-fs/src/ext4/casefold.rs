//! Name matching in casefold directories (`casefold` feature, `+F` directories).
//!
//! Linux compares names in such a directory by their UTF-8 "nfdicf" form: canonical
//! decomposition (NFD), then full Unicode case folding (CaseFolding.txt, statuses C
//! and F), with Unicode 12.1 tables (`s_encoding` utf8-12.1). A name that is not valid
//! UTF-8 is compared byte for byte. Full tables are large (the kernel's are ~100 KiB),
//! and boot paths are ASCII, so this reader implements a documented subset that is
//! exact wherever it answers:
//!
//! - a lookup name whose nfdicf form is pure ASCII (every ASCII name, and names using
//!   only ASCII plus the 13 characters below) is compared with each entry's nfdicf
//!   form, which is computed exactly whenever it can be ASCII at all: an entry that
//!   holds any other non-ASCII character folds to something non-ASCII and so cannot
//!   match;
//! - a lookup name that is not valid UTF-8 is compared byte for byte, as Linux does;
//! - any other lookup name (valid UTF-8 whose fold would need the full tables) is
//!   matched exactly; when nothing matches exactly the lookup fails as unsupported,
//!   naming the name, rather than claiming the file is absent.
//!
//! The characters outside ASCII whose nfdicf form is all ASCII (derived from the
//! Unicode data: canonical decompositions, then full case folding) are:
//! U+00DF ß and U+1E9E ẞ (ss), U+017F ſ (s), U+037E Greek question mark (;),
//! U+1FEF Greek varia (`), U+212A Kelvin sign (k), and the ligatures U+FB00..=U+FB06
//! (ff, fi, fl, ffi, ffl, st, st).
//!
//! Linux before 6.14 also dropped default-ignorable code points (such as U+200D)
//! when folding; later kernels do not, and neither does this reader.

use alloc::vec::Vec;

/// How a name is looked up in a casefold directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// The name's nfdicf form, all ASCII (lowercase).
    Ascii(Vec<u8>),
    /// Not valid UTF-8: compared byte for byte.
    Bytes,
    /// Valid UTF-8 whose fold needs the full Unicode tables.
    NeedsTables,
}

/// The nfdicf form of a character, when it is all ASCII: up to three bytes.
struct Fold {
    bytes: [u8; 3],
    len: usize,
}

impl Fold {
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

fn fold_char(c: char) -> Option<Fold> {
    if let Ok(b) = u8::try_from(c) {
        if b.is_ascii() {
            return Some(Fold {
                bytes: [b.to_ascii_lowercase(), 0, 0],
                len: 1,
            });
        }
    }
    let s: &[u8] = match c {
        '\u{00DF}' | '\u{1E9E}' => b"ss",
        '\u{017F}' => b"s",
        '\u{037E}' => b";",
        '\u{1FEF}' => b"`",
        '\u{212A}' => b"k",
        '\u{FB00}' => b"ff",
        '\u{FB01}' => b"fi",
        '\u{FB02}' => b"fl",
        '\u{FB03}' => b"ffi",
        '\u{FB04}' => b"ffl",
        '\u{FB05}' | '\u{FB06}' => b"st",
        _ => return None,
    };
    let mut bytes = [0u8; 3];
    bytes.get_mut(..s.len())?.copy_from_slice(s);
    Some(Fold {
        bytes,
        len: s.len(),
    })
}

/// The nfdicf form of `s` if it is all ASCII. Bounded by `s`: at most three output
/// bytes per character, and never more than three per input byte.
fn fold_ascii(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        out.extend_from_slice(fold_char(c)?.as_bytes());
    }
    Some(out)
}

/// How `name` is to be looked up in a casefold directory.
pub(crate) fn key(name: &[u8]) -> Key {
    match core::str::from_utf8(name) {
        Err(_) => Key::Bytes,
        Ok(s) => match fold_ascii(s) {
            Some(k) => Key::Ascii(k),
            None => Key::NeedsTables,
        },
    }
}

/// Whether directory entry name `entry` matches `name` (whose key is `key`) in a
/// casefold directory.
pub(crate) fn matches(key: &Key, name: &[u8], entry: &[u8]) -> bool {
    if entry == name {
        return true;
    }
    let Key::Ascii(k) = key else {
        return false;
    };
    if entry.is_ascii() {
        return entry.len() == k.len() && entry.eq_ignore_ascii_case(k);
    }
    // Compare fold by fold, stopping at the first difference: no allocation.
    let Ok(s) = core::str::from_utf8(entry) else {
        return false; // not UTF-8: bytes only, and the bytes differ
    };
    let mut rest = k.as_slice();
    for c in s.chars() {
        let Some(f) = fold_char(c) else {
            return false;
        };
        match rest.strip_prefix(f.as_bytes()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{key, matches, Key};

    fn m(a: &str, b: &[u8]) -> bool {
        matches(&key(a.as_bytes()), a.as_bytes(), b)
    }

    #[test]
    fn ascii_and_the_few_that_fold_to_ascii() {
        assert!(m("vmlinuz", b"VMLinuz"));
        assert!(m("GRUB.CFG", b"grub.cfg"));
        assert!(!m("grub.cfg", b"grub.cf"));
        assert!(!m("grub.cfg", b"grub.cfgx"));
        assert!(m("strasse", "Straße".as_bytes()));
        assert!(m("STRASSE", "STRAẞE".as_bytes()));
        assert!(m("Straße", b"STRASSE"));
        assert!(m("kernel", "\u{212A}ernel".as_bytes()));
        assert!(m("office", "o\u{FB03}ce".as_bytes()));
        assert!(!m("e", "é".as_bytes()));
        assert!(!m("strass", "Straße".as_bytes()));
        // Invalid UTF-8 entries match bytes only.
        assert!(!m("ab", b"A\xffB"));
    }

    #[test]
    fn keys() {
        assert_eq!(key(b"Boot"), Key::Ascii(b"boot".to_vec()));
        assert_eq!(key(b"a\xff"), Key::Bytes);
        assert_eq!(key("Ünïcode".as_bytes()), Key::NeedsTables);
        // Bytes and NeedsTables keys match exactly only.
        assert!(matches(&Key::Bytes, b"a\xff", b"a\xff"));
        assert!(!matches(&Key::Bytes, b"a\xff", b"A\xff"));
        let u = "Ünïcode".as_bytes();
        assert!(matches(&Key::NeedsTables, u, u));
        assert!(!matches(&Key::NeedsTables, u, "ünïcode".as_bytes()));
    }
}

//! The reply to the toolstack, byte for byte as pygrub writes it.
//!
//! libxl reads `simple0`; xend read `sxp`. Both carry values a guest chose (the command
//! line), so both are written so that no value can smuggle in another item: XSA-198 was
//! exactly that injection in pygrub. `sxp` quotes values as Python's `repr()` does
//! (what pygrub uses since XSA-198); `simple` and `simple0` refuse a value containing
//! their delimiter rather than cut it.

use crate::cli::Format;

/// The three items of a reply. `ramdisk` and `args` are omitted when absent or empty,
/// as pygrub omits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Path of the kernel copy in dom0 (with `-n`, pygrub writes `None`).
    pub kernel: String,
    /// Path of the initrd copy, if the entry has one.
    pub ramdisk: Option<String>,
    /// The kernel command line.
    pub args: String,
}

/// Why a reply cannot be written in the format asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl Reply {
    /// The reply in `format`, ready to be written in one call.
    pub fn render(&self, format: Format) -> Result<Vec<u8>, FormatError> {
        match format {
            Format::Sxp => Ok(self.render_sxp().into_bytes()),
            Format::Simple => self.render_simple('\n', "simple"),
            Format::Simple0 => self.render_simple('\0', "simple0"),
        }
    }

    fn render_sxp(&self) -> String {
        let mut s = format!("linux (kernel {})", python_repr(&self.kernel));
        if let Some(r) = self.ramdisk.as_deref().filter(|r| !r.is_empty()) {
            s.push_str(&format!("(ramdisk {})", python_repr(r)));
        }
        if !self.args.is_empty() {
            s.push_str(&format!("(args {})", python_repr(&self.args)));
        }
        s
    }

    fn render_simple(&self, sep: char, name: &str) -> Result<Vec<u8>, FormatError> {
        let items = [
            ("kernel", Some(self.kernel.as_str())),
            ("ramdisk", self.ramdisk.as_deref().filter(|r| !r.is_empty())),
            ("args", Some(self.args.as_str()).filter(|a| !a.is_empty())),
        ];
        let mut s = String::new();
        for (key, value) in items {
            let Some(value) = value else { continue };
            if value.contains(sep) {
                let what = if sep == '\0' {
                    "a NUL byte"
                } else {
                    "a newline"
                };
                return Err(FormatError(format!(
                    "the {key} value contains {what}, which the {name} output format cannot represent"
                )));
            }
            s.push_str(key);
            s.push(' ');
            s.push_str(value);
            s.push(sep);
        }
        s.push(sep);
        Ok(s.into_bytes())
    }
}

/// Quotes a string as Python 3's `repr()` does: single quotes unless the string
/// contains `'` and no `"`; backslash escapes for `\\`, the chosen quote, `\t`, `\n`,
/// `\r`; `\xNN` for other control characters and for the non-printable characters of
/// Latin-1; other characters as they are.
///
/// Python also escapes the rarer non-printable characters beyond Latin-1 (format and
/// separator characters such as U+2028) as `\uNNNN`; those listed in
/// [`is_python_nonprintable`] are escaped the same way. Either way the quoting cannot be
/// broken out of, which is what XSA-198 asks.
pub fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_python_nonprintable(c) => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Characters above Latin-1 that Python's `str.isprintable()` rejects and that show up
/// in practice: separators (Zs, Zl, Zp), the common format characters (Cf), surrogates
/// cannot occur in Rust strings, private use (Co) and a few noncharacters.
fn is_python_nonprintable(c: char) -> bool {
    matches!(c as u32,
        0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xfffe | 0xffff
        | 0xf0000..=0x10ffff | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e
        | 0x110bd | 0xe0001 | 0xe0020..=0xe007f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(ramdisk: Option<&str>, args: &str) -> Reply {
        Reply {
            kernel: "/var/lib/xen/bootloader.1.d/boot_kernel.abcd1234".into(),
            ramdisk: ramdisk.map(String::from),
            args: args.into(),
        }
    }

    #[test]
    fn formats_match_pygrub() {
        let r = reply(Some("/d/boot_ramdisk.x"), "root=/dev/xvda1 single");
        assert_eq!(
            r.render(Format::Sxp).unwrap(),
            b"linux (kernel '/var/lib/xen/bootloader.1.d/boot_kernel.abcd1234')(ramdisk '/d/boot_ramdisk.x')(args 'root=/dev/xvda1 single')"
        );
        assert_eq!(
            r.render(Format::Simple).unwrap(),
            b"kernel /var/lib/xen/bootloader.1.d/boot_kernel.abcd1234\nramdisk /d/boot_ramdisk.x\nargs root=/dev/xvda1 single\n\n"
        );
        assert_eq!(
            r.render(Format::Simple0).unwrap(),
            b"kernel /var/lib/xen/bootloader.1.d/boot_kernel.abcd1234\0ramdisk /d/boot_ramdisk.x\0args root=/dev/xvda1 single\0\0"
        );
    }

    #[test]
    fn empty_items_are_omitted() {
        let r = reply(None, "");
        assert_eq!(
            r.render(Format::Simple0).unwrap(),
            b"kernel /var/lib/xen/bootloader.1.d/boot_kernel.abcd1234\0\0"
        );
        assert_eq!(
            r.render(Format::Sxp).unwrap(),
            b"linux (kernel '/var/lib/xen/bootloader.1.d/boot_kernel.abcd1234')"
        );
    }

    #[test]
    fn delimiters_are_refused() {
        assert!(reply(None, "a\0b").render(Format::Simple0).is_err());
        assert!(reply(None, "a\nb").render(Format::Simple).is_err());
        assert!(reply(None, "a\nb").render(Format::Simple0).is_ok());
    }

    #[test]
    fn sxp_quotes_like_python_repr() {
        assert_eq!(python_repr("a\0b"), r"'a\x00b'");
        assert_eq!(python_repr("it's"), r#""it's""#);
        assert_eq!(python_repr(r#"it's "x""#), r#"'it\'s "x"'"#);
        assert_eq!(
            python_repr("a\\b\tc\nd\x7f\u{85}é"),
            r"'a\\b\tc\nd\x7f\x85é'"
        );
        assert_eq!(
            python_repr("')(kernel '/etc/shadow"),
            r#""')(kernel '/etc/shadow""#
        );
        assert_eq!(python_repr("\u{2028}"), r"'\u2028'");
    }
}

//! Messages on stderr: the failure line, `--debug` notes, and the line saying what is
//! booted. libxl copies all of it to the guest console and keeps it in
//! `/var/log/xen/bootloader.N.log`, so guest-chosen text is sanitised first: a title
//! must not be able to send escape sequences to an administrator's terminal.

use std::fmt;

/// Writes diagnostics to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Diag {
    debug: bool,
}

impl Diag {
    /// `debug` turns on the `--debug` notes.
    pub fn new(debug: bool) -> Self {
        Diag { debug }
    }

    /// A `--debug` note.
    pub fn debug(&self, msg: fmt::Arguments<'_>) {
        if self.debug {
            eprintln!("xlboot: debug: {msg}");
        }
    }

    /// A line for whoever watches the console.
    pub fn say(&self, msg: fmt::Arguments<'_>) {
        eprintln!("xlboot: {msg}");
    }
}

/// Guest text made safe to print: control characters (C0, DEL, C1) become `\xNN`, so
/// no escape sequence reaches a terminal or the log.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let n = c as u32;
        if n < 0x20 || (0x7f..0xa0).contains(&n) {
            out.push_str(&format!("\\x{n:02x}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_are_neutralised() {
        assert_eq!(
            super::sanitize("a\x1b[2Jb\u{9b}c\td"),
            "a\\x1b[2Jb\\x9bc\\x09d"
        );
    }
}

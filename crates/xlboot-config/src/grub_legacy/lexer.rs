//! Lines and commands of a GRUB legacy config, split as GRUB 0.97 splits them.
//!
//! GRUB reads its config one logical line at a time (`get_line_from_config` in
//! `stage2/stage2.c`), byte by byte:
//!
//! - carriage returns are dropped and tabs become spaces;
//! - a backslash right before a newline joins the two lines: the backslash is
//!   overwritten and the newline becomes a space (also inside a comment, so a comment
//!   ending in `\` swallows the next line);
//! - blanks before the first character are skipped; a `#` as that first character makes
//!   the line a comment, up to the next newline;
//! - everything else is kept as written, trailing blanks included, up to 1500 bytes
//!   (`NEW_HEAPSIZE`): the rest of a longer line is dropped.
//!
//! A command is then the line's first word, ended by a blank or `=` (`find_command`),
//! and its argument what follows once blanks and `=` signs are skipped (`skip_to (1,
//! ...)`): `default=0`, `default 0` and `default = 0` are the same command. A NUL byte
//! ends the line for every command, as it ends the C string GRUB works on.

use alloc::string::String;
use alloc::vec::Vec;

/// The longest logical line GRUB keeps (`NEW_HEAPSIZE` in `stage2/shared.h`).
pub const MAX_LINE: usize = 1500;

/// One logical line of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based number of the physical line it starts on.
    pub number: u32,
    /// The line as GRUB keeps it (at most [`MAX_LINE`] bytes; invalid UTF-8 replaced).
    pub text: String,
    /// Bytes were dropped because the line was longer than [`MAX_LINE`].
    pub truncated: bool,
}

/// Splits config text into GRUB's logical lines. At most `max_lines` are returned; the
/// second value says whether more were left out.
pub fn lines(source: &[u8], max_lines: usize) -> (Vec<Line>, bool) {
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut truncated = false;
    let mut literal = false;
    let mut comment = false;
    let mut physical: u32 = 1;
    let mut start: u32 = 1;
    let finish = |buf: &mut Vec<u8>, truncated: &mut bool, start: u32, out: &mut Vec<Line>| {
        // A NUL ends the C string: the rest of the line is not seen by any command.
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let text = String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
        out.push(Line {
            number: start,
            text,
            truncated: *truncated,
        });
        buf.clear();
        *truncated = false;
    };
    for &byte in source {
        let mut c = byte;
        if c == b'\r' {
            continue;
        }
        if c == b'\n' {
            physical = physical.saturating_add(1);
        }
        if c == b'\t' {
            c = b' ';
        }
        if literal {
            if c == b'\n' {
                c = b' ';
                buf.pop();
            }
            literal = false;
        }
        if c == b'\\' {
            literal = true;
        }
        if comment {
            if c == b'\n' {
                comment = false;
            }
        } else if buf.is_empty() {
            if c == b'#' {
                comment = true;
            } else if c != b' ' && c != b'\n' {
                start = physical;
                buf.push(c);
            }
        } else if c == b'\n' {
            if out.len() >= max_lines {
                return (out, true);
            }
            finish(&mut buf, &mut truncated, start, &mut out);
        } else if buf.len() < MAX_LINE {
            buf.push(c);
        } else {
            truncated = true;
        }
    }
    if !buf.is_empty() {
        if out.len() >= max_lines {
            return (out, true);
        }
        finish(&mut buf, &mut truncated, start, &mut out);
    }
    (out, false)
}

/// GRUB's `skip_to (after_equal, s)`: past the first word (ended by a blank, or also by
/// `=` when `after_equal`), then past the blanks (and `=` signs) after it.
pub fn skip_to(after_equal: bool, s: &str) -> &str {
    let sep = |c: char| c == ' ' || c == '\t' || (after_equal && c == '=');
    let rest = s.find(sep).map_or("", |i| s.get(i..).unwrap_or(""));
    rest.trim_start_matches(sep)
}

/// The command name of a line (`find_command`: up to a blank or `=`) and its argument
/// (`skip_to (1, line)`).
pub fn command(line: &str) -> (&str, &str) {
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    (line.get(..end).unwrap_or(""), skip_to(true, line))
}

/// The first word of an argument: a file name ends at the first blank (GRUB's file
/// system code stops there).
pub fn first_word(arg: &str) -> &str {
    arg.split([' ', '\t']).next().unwrap_or("")
}

/// GRUB's `safe_parse_maxint`: a decimal number, or hexadecimal after `0x`, at the very
/// start of `s` (no blanks skipped), ending at the first other character. Returns the
/// value and the rest, or `None` when there is no digit or the value passes
/// `0x7FFFFFFF`.
pub fn parse_maxint(s: &str) -> Option<(i32, &str)> {
    let b = s.as_bytes();
    let (mut i, radix) = match b {
        [b'0', x, ..] if x.eq_ignore_ascii_case(&b'x') => (2usize, 16u32),
        _ => (0usize, 10u32),
    };
    let mut value: i32 = 0;
    let mut found = false;
    while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(radix)) {
        found = true;
        value = value
            .checked_mul(i32::try_from(radix).ok()?)?
            .checked_add(i32::try_from(d).ok()?)?;
        i = i.saturating_add(1);
    }
    found.then(|| (value, s.get(i..).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn texts(src: &str) -> Vec<(u32, String)> {
        lines(src.as_bytes(), 100)
            .0
            .into_iter()
            .map(|l| (l.number, l.text))
            .collect()
    }

    #[test]
    fn comments_blanks_tabs_and_carriage_returns() {
        assert_eq!(
            texts("# c\r\n\n  \ttitle\tA  \r\n#x\nkernel /v\n"),
            vec![(3, "title A  ".into()), (5, "kernel /v".into())]
        );
    }

    #[test]
    fn hash_inside_a_line_is_not_a_comment() {
        assert_eq!(texts("kernel /v a#b\n"), vec![(1, "kernel /v a#b".into())]);
    }

    #[test]
    fn backslash_newline_joins_lines() {
        assert_eq!(
            texts("kernel /v a\\\n b\nx\n"),
            vec![(1, "kernel /v a  b".into()), (3, "x".into())]
        );
    }

    #[test]
    fn comment_ending_in_backslash_swallows_the_next_line() {
        assert_eq!(texts("# note \\\nkernel /v\nx\n"), vec![(3, "x".into())]);
    }

    #[test]
    fn long_lines_are_cut_at_1500_bytes() {
        let src = alloc::format!("kernel /v {}\n", "a".repeat(3000));
        let (l, more) = lines(src.as_bytes(), 10);
        assert!(!more);
        assert_eq!(l[0].text.len(), MAX_LINE);
        assert!(l[0].truncated);
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(texts("kernel /v a\0b\n"), vec![(1, "kernel /v a".into())]);
    }

    #[test]
    fn line_count_is_bounded() {
        let (l, more) = lines("a\n".repeat(10).as_bytes(), 3);
        assert_eq!(l.len(), 3);
        assert!(more);
    }

    #[test]
    fn commands_split_on_blank_or_equals() {
        assert_eq!(command("default=0"), ("default", "0"));
        assert_eq!(command("default = 1"), ("default", "1"));
        assert_eq!(
            command("kernel /v root=/dev/xvda1 ro"),
            ("kernel", "/v root=/dev/xvda1 ro")
        );
        assert_eq!(command("hiddenmenu"), ("hiddenmenu", ""));
        assert_eq!(command("title=A=B"), ("title", "A=B"));
    }

    #[test]
    fn maxint_as_grub_parses_it() {
        assert_eq!(parse_maxint("12 x"), Some((12, " x")));
        assert_eq!(parse_maxint("0x1f"), Some((31, "")));
        assert_eq!(parse_maxint("3:4"), Some((3, ":4")));
        assert_eq!(parse_maxint(" 1"), None);
        assert_eq!(parse_maxint("saved"), None);
        assert_eq!(parse_maxint("0x"), None);
        assert_eq!(parse_maxint("2147483647"), Some((i32::MAX, "")));
        assert_eq!(parse_maxint("2147483648"), None);
        assert_eq!(parse_maxint("99999999999999999999"), None);
    }
}

//! Lines and keywords as syslinux's config readers see them
//! (`parse_config_file` in `com32/elflink/ldlinux/readconfig.c` and
//! `com32/menu/readconfig.c`, syslinux 6.04).
//!
//! - Lines come from `fgets` into a 4096-byte buffer: a line longer than 4095 bytes is
//!   read as several lines of at most 4095 bytes each ([`lines`]).
//! - The first `\r` ends the line, so does a NUL byte (C strings).
//! - A keyword matches when its letters match ignoring case (syslinux compares bytes
//!   with bit 0x20 masked) and it is followed by a byte `my_isspace` accepts (any byte
//!   up to space, DEL, or the end of the line) ([`looking_at`]).
//! - Arguments start after `isspace` white space ([`skip_space`]) and keep their
//!   trailing white space.

/// `MAX_LINE`: the `fgets` buffer size, so lines are cut into pieces of one less.
pub const MAX_LINE: usize = 4096;

/// The lines `fgets` returns from `data`, each without its `\n`, cut at its first `\r`
/// or NUL. A final line without `\n` is returned too; nothing is returned for the end
/// of the data right after a `\n`.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let max = MAX_LINE.saturating_sub(1);
        let piece_end = match rest.iter().take(max).position(|&c| c == b'\n') {
            Some(nl) => nl.saturating_add(1),
            None => rest.len().min(max),
        };
        let (piece, after) = rest.split_at(piece_end);
        rest = after;
        let cut = piece
            .iter()
            .position(|&c| c == b'\r' || c == b'\n' || c == 0)
            .unwrap_or(piece.len());
        Some(piece.get(..cut).unwrap_or_default())
    })
}

/// `my_isspace`: bytes up to space, and DEL. The end of the line counts too (`None`).
pub fn my_isspace(c: Option<u8>) -> bool {
    match c {
        None => true,
        Some(c) => c <= b' ' || c == 0x7f,
    }
}

/// C's `isspace` in the "C" locale.
fn c_isspace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `skipspace`: `s` without its leading `isspace` bytes.
pub fn skip_space(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| !c_isspace(c)).unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

/// `looking_at`: if `line` starts with `keyword` (ASCII letters, compared with bit 0x20
/// masked as syslinux does) followed by a `my_isspace` byte or the end, the rest of the
/// line after the keyword (its separator included).
pub fn looking_at<'a>(line: &'a [u8], keyword: &str) -> Option<&'a [u8]> {
    let k = keyword.as_bytes();
    let head = line.get(..k.len())?;
    if head.iter().zip(k).any(|(a, b)| (a ^ b) & !0x20 != 0) {
        return None;
    }
    let rest = line.get(k.len()..).unwrap_or_default();
    my_isspace(rest.first().copied()).then_some(rest)
}

/// The argument of a keyword: the rest of the line after white space.
pub fn argument<'a>(line: &'a [u8], keyword: &str) -> Option<&'a [u8]> {
    looking_at(line, keyword).map(skip_space)
}

/// The first word of `s` (up to the first `my_isspace` byte) and what follows it.
pub fn first_word(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|&c| my_isspace(Some(c)))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// C's `atoi`: optional white space and sign, then decimal digits; 0 when none;
/// saturating instead of overflowing.
pub fn atoi(s: &[u8]) -> i64 {
    let s = skip_space(s);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n
            .saturating_mul(10)
            .saturating_add(i64::from(c.saturating_sub(b'0')));
    }
    if neg {
        n.saturating_neg()
    } else {
        n
    }
}

/// C's `strtoul(s, NULL, 0)` as far as a bit mask needs it: decimal, `0x` hex or
/// leading-`0` octal; 0 when no digit; saturating.
pub fn strtoul0(s: &[u8]) -> u64 {
    let s = skip_space(s);
    let (radix, digits) = if let Some(h) = s.strip_prefix(b"0x").or(s.strip_prefix(b"0X")) {
        (16, h)
    } else if s.first() == Some(&b'0') {
        (8, s)
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let Some(d) = char::from(c).to_digit(radix) else {
            break;
        };
        n = n
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn fgets_pieces() {
        let v: Vec<&[u8]> = lines(b"a\r\nb\0c\nlast").collect();
        assert_eq!(v, [&b"a"[..], b"b", b"last"]);
        let long = [b'x'; 5000];
        let v: Vec<usize> = lines(&long).map(<[u8]>::len).collect();
        assert_eq!(v, [4095, 905]);
        // A line of exactly 4095 bytes and its newline: fgets returns the bytes, then
        // the newline alone as an empty line.
        let mut d = alloc::vec![b'y'; 4095];
        d.push(b'\n');
        let v: Vec<usize> = lines(&d).map(<[u8]>::len).collect();
        assert_eq!(v, [4095, 0]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"a\n").count(), 1);
    }

    #[test]
    fn keywords() {
        assert_eq!(
            looking_at(b"DeFaUlT linux", "default"),
            Some(&b" linux"[..])
        );
        assert_eq!(looking_at(b"default", "default"), Some(&b""[..]));
        assert_eq!(looking_at(b"defaults x", "default"), None);
        assert_eq!(looking_at(b"default\tx", "default"), Some(&b"\tx"[..]));
        assert_eq!(looking_at(b"def", "default"), None);
        assert_eq!(argument(b"append  a  b ", "append"), Some(&b"a  b "[..]));
        assert_eq!(first_word(b"vmlinuz  ro"), (&b"vmlinuz"[..], &b"  ro"[..]));
    }

    #[test]
    fn numbers() {
        assert_eq!(atoi(b" 50"), 50);
        assert_eq!(atoi(b"-3x"), -3);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"99999999999999999999999"), i64::MAX);
        assert_eq!(strtoul0(b"0x10"), 16);
        assert_eq!(strtoul0(b"010"), 8);
        assert_eq!(strtoul0(b"3"), 3);
    }
}

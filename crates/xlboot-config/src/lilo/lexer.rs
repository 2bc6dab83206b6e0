//! `lilo.conf` tokens and items, as `/sbin/lilo` reads them (`cfg_get_token` and
//! `cfg_next` in `src/cfg.c` of LILO 24):
//!
//! - blanks and newlines only separate tokens: `image = /vmlinuz` may span lines;
//! - `#` at the start of a token starts a comment to the end of the line;
//! - `=` is a token of its own; an item is `name = value` or a bare `name` (a flag);
//! - `"..."` quotes a value: inside, `\"` and `\\` stand for themselves, a backslash
//!   before a newline continues the string (blanks at the start of the next line
//!   dropped, one space kept); a raw newline or tab, or any other backslash, is an
//!   error;
//! - outside quotes, a backslash takes the next character literally (a tab as a
//!   space; a backslash-newline is dropped);
//! - `$NAME` and `${NAME}` are replaced from the environment `/sbin/lilo` ran in,
//!   which xlboot cannot know: refused (`\$` is a plain `$`);
//! - a token longer than 1023 bytes is an error (`MAX_TOKEN`).

use alloc::string::String;
use alloc::vec::Vec;

/// The longest token LILO accepts (`MAX_TOKEN`).
pub const MAX_TOKEN: usize = 1023;

/// One `name [= value]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based line of the name.
    pub line: u32,
    /// The name as written.
    pub name: String,
    /// The value, quotes and escapes removed; `None` for a flag.
    pub value: Option<String>,
}

/// Why the config cannot be read, and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
    /// The construct is valid but cannot be evaluated here (`$VAR`).
    pub unsupported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Equals,
    Word(String),
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
}

impl Lexer<'_> {
    fn err(&self, message: &str) -> LexError {
        LexError {
            line: self.line,
            message: String::from(message),
            unsupported: false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// The next byte, as `next()` gives it: carriage returns before a newline dropped,
    /// `$` refused.
    fn next(&mut self) -> Result<Option<u8>, LexError> {
        let Some(mut c) = self.peek() else {
            return Ok(None);
        };
        self.pos = self.pos.saturating_add(1);
        if c == b'\r' {
            match self.peek() {
                Some(n) => {
                    c = n;
                    self.pos = self.pos.saturating_add(1);
                }
                None => return Ok(None),
            }
        }
        if c == b'\\' && self.peek() == Some(b'$') {
            self.pos = self.pos.saturating_add(1);
            return Ok(Some(b'$'));
        }
        if c == b'$' {
            return Err(LexError {
                line: self.line,
                message: String::from(
                    "`$' takes a value from the environment /sbin/lilo ran in, which is not known here",
                ),
                unsupported: true,
            });
        }
        if c == b'\n' {
            self.line = self.line.saturating_add(1);
        }
        Ok(Some(c))
    }

    fn back(&mut self, c: u8) {
        self.pos = self.pos.saturating_sub(1);
        if c == b'\n' {
            self.line = self.line.saturating_sub(1);
        }
    }

    fn token(&mut self) -> Result<Option<(Token, u32)>, LexError> {
        let c = loop {
            let Some(c) = self.next()? else {
                return Ok(None);
            };
            match c {
                b' ' | b'\t' | b'\n' => {}
                b'#' => loop {
                    // Comments are read raw: a `$` in one is harmless.
                    match self.peek() {
                        None => return Ok(None),
                        Some(b'\n') => break,
                        Some(_) => self.pos = self.pos.saturating_add(1),
                    }
                },
                c => break c,
            }
        };
        let line = self.line;
        if c == b'=' {
            return Ok(Some((Token::Equals, line)));
        }
        let mut buf: Vec<u8> = Vec::new();
        if c == b'"' {
            loop {
                if buf.len() >= MAX_TOKEN {
                    return Err(self.err("quoted string is too long"));
                }
                let Some(mut c) = self.next()? else {
                    return Err(self.err("end of file in quoted string"));
                };
                if c == b'"' {
                    return Ok(Some((Token::Word(lossy(buf)), line)));
                }
                if c == b'\\' {
                    c = self.next()?.unwrap_or(0);
                    if c != b'"' && c != b'\\' && c != b'\n' {
                        return Err(self.err("bad use of \\ in quoted string"));
                    }
                    if c == b'\n' {
                        let n = loop {
                            match self.next()? {
                                Some(b' ' | b'\t') => {}
                                other => break other,
                            }
                        };
                        match n {
                            None => return Err(self.err("end of file in quoted string")),
                            Some(n) => self.back(n),
                        }
                        c = b' ';
                    }
                } else if c == b'\n' || c == b'\t' {
                    return Err(self.err("newlines and tabs are not allowed in quoted strings"));
                }
                buf.push(c);
            }
        }
        let mut c = Some(c);
        let mut escaped = false;
        loop {
            if buf.len() >= MAX_TOKEN {
                return Err(self.err("token is too long"));
            }
            if escaped {
                match c {
                    None => return Err(self.err("\\ before the end of the file")),
                    Some(b'\n') => {}
                    Some(b'\t') => buf.push(b' '),
                    Some(ch) => buf.push(ch),
                }
                escaped = false;
            } else {
                match c {
                    None => return Ok(Some((Token::Word(lossy(buf)), line))),
                    Some(ch @ (b' ' | b'\t' | b'\n' | b'#' | b'=')) => {
                        self.back(ch);
                        return Ok(Some((Token::Word(lossy(buf)), line)));
                    }
                    Some(b'\\') => escaped = true,
                    Some(ch) => buf.push(ch),
                }
            }
            c = self.next()?;
        }
    }
}

fn lossy(buf: Vec<u8>) -> String {
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads `lilo.conf` into items, at most `max_items` of them.
pub fn items(src: &[u8], max_items: usize) -> Result<Vec<Item>, LexError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        line: 1,
    };
    let mut out: Vec<Item> = Vec::new();
    let mut pending: Option<(Token, u32)> = None;
    loop {
        let tok = match pending.take() {
            Some(t) => Some(t),
            None => lx.token()?,
        };
        let Some((tok, line)) = tok else {
            return Ok(out);
        };
        let Token::Word(name) = tok else {
            return Err(LexError {
                line,
                message: String::from("syntax error: `=' without a name before it"),
                unsupported: false,
            });
        };
        if out.len() >= max_items {
            return Err(LexError {
                line,
                message: alloc::format!("more than {max_items} items"),
                unsupported: false,
            });
        }
        let value = match lx.token()? {
            Some((Token::Equals, _)) => match lx.token()? {
                Some((Token::Word(v), _)) => Some(v),
                Some((Token::Equals, l)) => {
                    return Err(LexError {
                        line: l,
                        message: alloc::format!("syntax error after {name}"),
                        unsupported: false,
                    })
                }
                None => {
                    return Err(LexError {
                        line,
                        message: alloc::format!("value expected for {name} at the end of the file"),
                        unsupported: false,
                    })
                }
            },
            other => {
                pending = other;
                None
            }
        };
        out.push(Item { line, name, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn kv(src: &str) -> Vec<(u32, String, Option<String>)> {
        items(src.as_bytes(), 100)
            .unwrap()
            .into_iter()
            .map(|i| (i.line, i.name, i.value))
            .collect()
    }

    #[test]
    fn items_values_flags_and_comments() {
        assert_eq!(
            kv("boot=/dev/xvda # the disk\nprompt\ntimeout = 50\nimage\n  =\n /vmlinuz\n"),
            vec![
                (1, "boot".into(), Some("/dev/xvda".into())),
                (2, "prompt".into(), None),
                (3, "timeout".into(), Some("50".into())),
                (4, "image".into(), Some("/vmlinuz".into())),
            ]
        );
    }

    #[test]
    fn quoted_values_and_escapes() {
        assert_eq!(
            kv("append=\"a b \\\"c\\\" d\\\\e\"\nlabel=x\\ y\n"),
            vec![
                (1, "append".into(), Some("a b \"c\" d\\e".into())),
                (2, "label".into(), Some("x y".into())),
            ]
        );
        assert_eq!(
            kv("append=\"a \\\n     b\"\n"),
            vec![(1, "append".into(), Some("a  b".into()))]
        );
    }

    #[test]
    fn hash_inside_quotes_and_words() {
        assert_eq!(
            kv("append=\"a#b\"\nlabel=l#comment\n"),
            vec![
                (1, "append".into(), Some("a#b".into())),
                (2, "label".into(), Some("l".into())),
            ]
        );
    }

    #[test]
    fn errors() {
        assert!(items(b"append=\"a\tb\"", 10).is_err());
        assert!(items(b"append=\"a\nb\"", 10).is_err());
        assert!(items(b"append=\"a\\xb\"", 10).is_err());
        assert!(items(b"append=\"ab", 10).is_err());
        assert!(items(b"= x", 10).is_err());
        assert!(items(b"image=", 10).is_err());
        assert!(items(b"a=b\nc=d\ne\n", 2).is_err());
        let long = alloc::format!("append={}", "x".repeat(5000));
        assert!(items(long.as_bytes(), 10).is_err());
        let e = items(b"append=\"root=$ROOT\"", 10).unwrap_err();
        assert!(e.unsupported);
        assert_eq!(
            items(b"append=\\$x # $y", 10).unwrap()[0].value.as_deref(),
            Some("$x")
        );
    }
}

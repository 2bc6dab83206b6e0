//! GRUB 2 script tokens, split exactly as `grub-core/script/yylex.l` splits them.
//!
//! What GRUB's lexer does, and so what this one does:
//!
//! - Blanks are space and tab. `#` starts a comment only where a token could start
//!   (`a#b` is one word). Newline and `;` end a command. `{` and `}` are tokens of their
//!   own wherever they stand unquoted (`${name}` is part of a word).
//! - `|`, `&`, `<`, `>`, `;;`, `||`, `&&`, `[[`, `]]` are tokens GRUB's grammar has no
//!   rule for: they are syntax errors, as in GRUB (so `set default=1>2` must be quoted).
//! - Unquoted `\c` is the character `c`; backslash-newline vanishes (line continuation;
//!   standing alone it is an empty word, which expands to nothing).
//! - `'...'` is literal up to the next `'` (newlines included).
//! - `"..."` knows the escapes `\$`, `\\`, `\"` and backslash-newline; any other `\c`
//!   stays as the two characters. `$` inside starts a variable.
//! - `$name`, `${name}`, `$1`, `${12}`, `$?`, `$#`, `$*`, `$@` are variables; `$` followed
//!   by anything else is a syntax error (GRUB's lexer has no rule for it), which is also
//!   why `$(cmd)` and backquotes can never run anything: backquotes are ordinary
//!   characters and `$(` does not parse.
//! - `$"..."` is a translatable string (gettext): variables in it are expanded, unsplit.
//!
//! The source is scanned once; the number of tokens is bounded by its length.

use alloc::string::String;
use alloc::vec::Vec;

/// One piece of a word, before expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text, escapes already resolved.
    Text(String),
    /// Single- or double-quoted literal text (may be empty: `""` is an empty argument).
    Quoted(String),
    /// A variable reference; `quoted` when inside double quotes (no field splitting).
    Var {
        /// Variable name: a name, digits, or one of `? # * @`.
        name: String,
        /// Inside double quotes.
        quoted: bool,
    },
    /// `$"..."`: translatable text with variables expanded.
    Gettext(String),
}

/// A word: the parts that are concatenated into one (or, after splitting, several)
/// arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Its parts in order.
    pub parts: Vec<Part>,
    /// The word's text when it is made of plain characters only (no quotes, escapes or
    /// variables): only such a word can be a reserved word like `if` or `fi`.
    pub bare: Option<String>,
}

impl Word {
    /// Whether this word is the reserved word `kw`.
    pub fn is_keyword(&self, kw: &str) -> bool {
        self.bare.as_deref() == Some(kw)
    }
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokKind {
    /// A word (command name or argument, maybe a reserved word).
    Word(Word),
    /// End of line.
    Newline,
    /// `;`
    Semi,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// End of input.
    Eof,
}

/// A token with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokKind,
    /// 1-based line where it starts.
    pub line: u32,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset just past its last byte.
    pub end: usize,
}

/// A lexing error: the line and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// 1-based line.
    pub line: u32,
    /// What went wrong.
    pub message: String,
    /// A budget ran out (nesting, token count) rather than the syntax being wrong.
    pub limit: bool,
}

/// Reserved words of GRUB's grammar.
pub const KEYWORDS: &[&str] = &[
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "select", "then",
    "until", "while", "function",
];

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ends_word(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b'<' | b'>' | b'{' | b'}'
    )
}

fn to_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        if c == b'\n' {
            self.line = self.line.saturating_add(1);
        }
        Some(c)
    }

    fn err(&self, message: &str) -> LexError {
        LexError {
            line: self.line,
            message: String::from(message),
            limit: false,
        }
    }

    /// Reads a variable name after `$` (the `$` already consumed).
    fn var_name(&mut self) -> Result<String, LexError> {
        let braced = self.peek() == Some(b'{');
        if braced {
            self.bump();
        }
        let mut name = Vec::new();
        match self.peek() {
            Some(c) if matches!(c, b'?' | b'#' | b'*' | b'@') => {
                self.bump();
                name.push(c);
            }
            Some(c) if c.is_ascii_digit() => {
                while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                    self.bump();
                    name.push(d);
                }
            }
            Some(c) if is_name_start(c) => {
                while let Some(d) = self.peek().filter(|d| is_name_char(*d)) {
                    self.bump();
                    name.push(d);
                }
            }
            _ => {
                return Err(self.err(
                    "`$' must be followed by a variable name (GRUB has no command substitution)",
                ))
            }
        }
        if braced {
            if self.peek() != Some(b'}') {
                return Err(self.err("bad `${...}' variable reference"));
            }
            self.bump();
        }
        Ok(to_string(name))
    }

    fn single_quoted(&mut self) -> Result<String, LexError> {
        let start_line = self.line;
        let mut buf = Vec::new();
        loop {
            match self.bump() {
                Some(b'\'') => return Ok(to_string(buf)),
                Some(c) => buf.push(c),
                None => {
                    return Err(LexError {
                        line: start_line,
                        message: String::from("unterminated single quote"),
                        limit: false,
                    })
                }
            }
        }
    }

    fn double_quoted(&mut self, parts: &mut Vec<Part>) -> Result<(), LexError> {
        let start_line = self.line;
        let mut buf = Vec::new();
        loop {
            match self.bump() {
                Some(b'"') => {
                    parts.push(Part::Quoted(to_string(buf)));
                    return Ok(());
                }
                Some(b'\\') => match self.peek() {
                    Some(c @ (b'$' | b'\\' | b'"')) => {
                        self.bump();
                        buf.push(c);
                    }
                    Some(b'\n') => {
                        self.bump();
                    }
                    _ => buf.push(b'\\'),
                },
                Some(b'$') => {
                    parts.push(Part::Quoted(to_string(core::mem::take(&mut buf))));
                    let name = self.var_name()?;
                    parts.push(Part::Var { name, quoted: true });
                }
                Some(c) => buf.push(c),
                None => {
                    return Err(LexError {
                        line: start_line,
                        message: String::from("unterminated double quote"),
                        limit: false,
                    })
                }
            }
        }
    }

    /// `$"..."`: GRUB keeps `\\` as two characters (it is unescaped later, while
    /// variables are substituted), turns `\"` into `"` and drops backslash-newline.
    fn gettext_quoted(&mut self) -> Result<String, LexError> {
        let start_line = self.line;
        let mut buf = Vec::new();
        loop {
            match self.bump() {
                Some(b'"') => return Ok(to_string(buf)),
                Some(b'\\') => match self.peek() {
                    Some(b'\\') => {
                        self.bump();
                        buf.extend_from_slice(b"\\\\");
                    }
                    Some(b'"') => {
                        self.bump();
                        buf.push(b'"');
                    }
                    Some(b'\n') => {
                        self.bump();
                    }
                    _ => buf.push(b'\\'),
                },
                Some(c) => buf.push(c),
                None => {
                    return Err(LexError {
                        line: start_line,
                        message: String::from("unterminated $\"...\" string"),
                        limit: false,
                    })
                }
            }
        }
    }

    fn word(&mut self) -> Result<Word, LexError> {
        let mut parts: Vec<Part> = Vec::new();
        let mut text: Vec<u8> = Vec::new();
        let mut bare = true;
        let flush = |text: &mut Vec<u8>, parts: &mut Vec<Part>| {
            if !text.is_empty() {
                parts.push(Part::Text(to_string(core::mem::take(text))));
            }
        };
        while let Some(c) = self.peek() {
            if ends_word(c) {
                break;
            }
            match c {
                b'\\' => {
                    bare = false;
                    self.bump();
                    match self.bump() {
                        // Line continuation: nothing (a word of its own if it stands
                        // alone, as in GRUB, which then drops it as empty).
                        Some(b'\n') => {
                            if self.peek().is_none() {
                                return Err(self.err("line continuation at end of file"));
                            }
                        }
                        None => return Err(self.err("backslash at end of file")),
                        Some(d) => text.push(d),
                    }
                }
                b'\'' => {
                    bare = false;
                    self.bump();
                    flush(&mut text, &mut parts);
                    let s = self.single_quoted()?;
                    parts.push(Part::Quoted(s));
                }
                b'"' => {
                    bare = false;
                    self.bump();
                    flush(&mut text, &mut parts);
                    self.double_quoted(&mut parts)?;
                }
                b'$' => {
                    bare = false;
                    self.bump();
                    flush(&mut text, &mut parts);
                    if self.peek() == Some(b'"') {
                        self.bump();
                        let s = self.gettext_quoted()?;
                        parts.push(Part::Gettext(s));
                    } else {
                        let name = self.var_name()?;
                        parts.push(Part::Var {
                            name,
                            quoted: false,
                        });
                    }
                }
                _ => {
                    self.bump();
                    text.push(c);
                }
            }
        }
        let bare_text = if bare {
            Some(to_string(text.clone()))
        } else {
            None
        };
        flush(&mut text, &mut parts);
        Ok(Word {
            parts,
            bare: bare_text,
        })
    }

    fn next_token(&mut self) -> Result<Token, LexError> {
        // Blanks and comments.
        loop {
            match self.peek() {
                Some(c) if is_blank(c) => {
                    self.bump();
                }
                Some(b'#') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let start = self.pos;
        let line = self.line;
        let kind = match self.peek() {
            None => TokKind::Eof,
            Some(b'\n') => {
                self.bump();
                TokKind::Newline
            }
            Some(b';') => {
                self.bump();
                if self.peek() == Some(b';') {
                    return Err(self.err("`;;' is not valid here"));
                }
                TokKind::Semi
            }
            Some(b'{') => {
                self.bump();
                TokKind::LBrace
            }
            Some(b'}') => {
                self.bump();
                TokKind::RBrace
            }
            Some(c @ (b'|' | b'&' | b'<' | b'>')) => {
                let mut m = String::from("unexpected `");
                m.push(char::from(c));
                m.push_str("' (pipes, redirections and `&&'/`||' are not GRUB script)");
                return Err(LexError {
                    line,
                    message: m,
                    limit: false,
                });
            }
            Some(_) => {
                let w = self.word()?;
                if matches!(w.bare.as_deref(), Some("[[" | "]]")) {
                    return Err(LexError {
                        line,
                        message: String::from("`[[' and `]]' are not valid GRUB script"),
                        limit: false,
                    });
                }
                TokKind::Word(w)
            }
        };
        Ok(Token {
            kind,
            line,
            start,
            end: self.pos,
        })
    }
}

/// Splits a whole script into tokens, ending with [`TokKind::Eof`].
///
/// `max_tokens` bounds the output; `first_line` numbers lines (for bodies that start in
/// the middle of a file).
pub fn tokenize(src: &[u8], first_line: u32, max_tokens: usize) -> Result<Vec<Token>, LexError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        line: first_line,
    };
    let mut out = Vec::new();
    loop {
        let t = lx.next_token()?;
        let eof = t.kind == TokKind::Eof;
        out.push(t);
        if eof {
            return Ok(out);
        }
        if out.len() > max_tokens {
            return Err(LexError {
                line: lx.line,
                message: String::from("too many tokens"),
                limit: true,
            });
        }
    }
}

//! GRUB 2 script syntax tree, following the grammar of `grub-core/script/parser.y`.
//!
//! - A script is statements separated by `;` or newlines. A statement is a command or a
//!   `function name { ... }` definition; functions exist only at the top level of a
//!   script (a file, a `source`d file, an entry body), never inside `if`/loops/blocks.
//! - A command is `if ... then ... [elif ... then ...] [else ...] fi`,
//!   `for NAME in WORDS; do ...; done`, `while|until LIST; do LIST; done`, or a simple
//!   command: words, optionally ending with a `{ ... }` block (`menuentry`, `submenu`).
//! - Reserved words are recognised only where a command starts; elsewhere they are
//!   plain arguments (`echo then` prints "then"). A reserved word that closes a list
//!   (`then`, `fi`, `do`, ...) must follow a delimiter, as in GRUB.
//! - Blocks and lists must not be empty (`{ }` is a syntax error in GRUB).
//! - A block keeps its source text (GRUB stores the text and re-parses it when the
//!   entry runs) and its parsed form.
//!
//! Nesting is bounded by [`Parser::max_depth`]; the parser recurses only through
//! nesting, so its stack use is bounded too.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use super::lexer::{LexError, TokKind, Token, Word, KEYWORDS};

/// A `{ ... }` block argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The text between the braces, as GRUB records it.
    pub source: String,
    /// 1-based line of the `{`.
    pub line: u32,
    /// Its commands.
    pub body: Rc<Vec<Cmd>>,
}

/// A command of the syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Words, maybe ending with a block.
    Simple {
        /// Words in order (the first names the command).
        words: Vec<Word>,
        /// The trailing `{ ... }`, if any.
        block: Option<Rc<Block>>,
        /// 1-based line of the first word.
        line: u32,
    },
    /// `if`; `elif` is an `If` inside `otherwise`.
    If {
        /// The condition list; its last status decides.
        cond: Vec<Cmd>,
        /// Run when the status is 0.
        then: Vec<Cmd>,
        /// Run otherwise.
        otherwise: Vec<Cmd>,
        /// 1-based line of `if`.
        line: u32,
    },
    /// `for NAME in WORDS; do BODY; done`.
    For {
        /// Loop variable.
        var: String,
        /// Words to expand.
        words: Vec<Word>,
        /// Body.
        body: Vec<Cmd>,
        /// 1-based line of `for`.
        line: u32,
    },
    /// `while` / `until`.
    While {
        /// `until` rather than `while`.
        until: bool,
        /// Condition list.
        cond: Vec<Cmd>,
        /// Body.
        body: Vec<Cmd>,
        /// 1-based line of `while`.
        line: u32,
    },
    /// `function NAME { BODY }` (defined when reached, as GRUB defines it when parsed).
    Function {
        /// Its name.
        name: String,
        /// Its body.
        body: Rc<Vec<Cmd>>,
        /// 1-based line of `function`.
        line: u32,
    },
}

/// A syntax error.
pub type ParseError = LexError;

/// Recursive-descent parser over a token list.
pub struct Parser<'a> {
    src: &'a [u8],
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Maximum nesting of lists (blocks, `if`, loops, functions).
    pub max_depth: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// End of input (top level of a script).
    Eof,
    /// `}` of a block or function.
    Brace,
    /// One of the given reserved words.
    Words(&'static [&'static str]),
}

/// A `NAME` token: `[A-Za-z_][A-Za-z0-9_]*`, unquoted.
fn is_name(w: &Word) -> bool {
    w.bare.as_deref().is_some_and(|b| {
        b.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

fn is_keyword(w: &Word) -> Option<&str> {
    let b = w.bare.as_deref()?;
    KEYWORDS.iter().copied().find(|k| *k == b)
}

impl<'a> Parser<'a> {
    /// A parser for `src` (already tokenized into `toks`).
    pub fn new(src: &'a [u8], toks: Vec<Token>, max_depth: usize) -> Self {
        Parser {
            src,
            toks,
            pos: 0,
            depth: 0,
            max_depth,
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&TokKind> {
        self.peek().map(|t| &t.kind)
    }

    fn line(&self) -> u32 {
        self.peek()
            .map(|t| t.line)
            .or_else(|| self.toks.last().map(|t| t.line))
            .unwrap_or(1)
    }

    fn advance(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos = self.pos.saturating_add(1);
        }
        t
    }

    fn error(&self, message: &str) -> ParseError {
        LexError {
            line: self.line(),
            message: String::from(message),
            limit: false,
        }
    }

    fn peek_keyword(&self) -> Option<&str> {
        match self.peek_kind() {
            Some(TokKind::Word(w)) => is_keyword(w),
            _ => None,
        }
    }

    /// Skips delimiters; returns whether any was skipped. With `newlines_only`, only
    /// newlines (`newlines0`); otherwise GRUB's `delimiters1`: one `;` or newline, then
    /// newlines only (so `;;`, `; ;` and a `;` at the start of a line are errors).
    fn skip_delimiters(&mut self, newlines_only: bool) -> bool {
        let mut any = false;
        while let Some(k) = self.peek_kind() {
            match k {
                TokKind::Newline => {}
                TokKind::Semi if !newlines_only && !any => {}
                _ => break,
            }
            self.pos = self.pos.saturating_add(1);
            any = true;
        }
        any
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        if self.depth >= self.max_depth {
            let mut e = self.error("blocks, `if's and loops nested too deeply");
            e.limit = true;
            return Err(e);
        }
        self.depth = self.depth.saturating_add(1);
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Parses a whole script (top level: functions allowed, empty allowed).
    pub fn script(&mut self) -> Result<Vec<Cmd>, ParseError> {
        let cmds = self.list(End::Eof, true)?;
        match self.peek_kind() {
            Some(TokKind::Eof) | None => Ok(cmds),
            _ => Err(self.error("unexpected token")),
        }
    }

    /// Parses commands up to (not including) `end`.
    fn list(&mut self, end: End, top: bool) -> Result<Vec<Cmd>, ParseError> {
        self.enter()?;
        let r = self.list_inner(end, top);
        self.leave();
        r
    }

    fn list_inner(&mut self, end: End, top: bool) -> Result<Vec<Cmd>, ParseError> {
        let mut cmds = Vec::new();
        // Statements are read one by one; each is separated from the next by a
        // delimiter. Bounded: every iteration consumes at least one token.
        self.skip_delimiters(true);
        loop {
            let before = self.pos;
            match self.peek_kind() {
                None | Some(TokKind::Eof) => {
                    if end == End::Eof {
                        return Ok(cmds);
                    }
                    return Err(self.error("unexpected end of file (missing `}', `fi' or `done'?)"));
                }
                Some(TokKind::RBrace) => {
                    if end == End::Brace {
                        return Ok(cmds);
                    }
                    return Err(self.error("unexpected `}'"));
                }
                Some(TokKind::LBrace) => return Err(self.error("unexpected `{'")),
                Some(TokKind::Newline | TokKind::Semi) => {
                    return Err(self.error("unexpected `;'"));
                }
                Some(TokKind::Word(_)) => {}
            }
            if let (End::Words(ws), Some(k)) = (end, self.peek_keyword()) {
                if ws.contains(&k) {
                    if cmds.is_empty() {
                        return Err(self.error("empty command list"));
                    }
                    return Ok(cmds);
                }
            }
            let cmd = self.command(top)?;
            cmds.push(cmd);
            let delimited = self.skip_delimiters(false);
            if !delimited {
                match self.peek_kind() {
                    Some(TokKind::RBrace) if end == End::Brace => {}
                    None | Some(TokKind::Eof) => {}
                    _ => return Err(self.error("expected `;' or newline")),
                }
            }
            if self.pos == before {
                return Err(self.error("parser made no progress"));
            }
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.peek_keyword() == Some(kw) {
            self.advance();
            Ok(())
        } else {
            let mut m = String::from("expected `");
            m.push_str(kw);
            m.push('\'');
            Err(self.error(&m))
        }
    }

    fn command(&mut self, top: bool) -> Result<Cmd, ParseError> {
        let line = self.line();
        match self.peek_keyword() {
            Some("if") => {
                self.advance();
                self.if_clause(line)
            }
            Some("for") => {
                self.advance();
                let var = match self.advance().map(|t| t.kind) {
                    Some(TokKind::Word(w)) if is_keyword(&w).is_none() && is_name(&w) => {
                        w.bare.unwrap_or_default()
                    }
                    _ => return Err(self.error("`for' needs a variable name")),
                };
                self.expect_keyword("in")?;
                let mut words = Vec::new();
                while let Some(TokKind::Word(w)) = self.peek_kind() {
                    words.push(w.clone());
                    self.advance();
                }
                if !self.skip_delimiters(false) {
                    return Err(self.error("expected `;' or newline before `do'"));
                }
                self.expect_keyword("do")?;
                let body = self.list(End::Words(&["done"]), false)?;
                self.expect_keyword("done")?;
                Ok(Cmd::For {
                    var,
                    words,
                    body,
                    line,
                })
            }
            Some(k @ ("while" | "until")) => {
                let until = k == "until";
                self.advance();
                let cond = self.list(End::Words(&["do"]), false)?;
                self.expect_keyword("do")?;
                let body = self.list(End::Words(&["done"]), false)?;
                self.expect_keyword("done")?;
                Ok(Cmd::While {
                    until,
                    cond,
                    body,
                    line,
                })
            }
            Some("function") if top => {
                self.advance();
                let name = match self.advance().map(|t| t.kind) {
                    Some(TokKind::Word(w)) if is_keyword(&w).is_none() && is_name(&w) => {
                        w.bare.unwrap_or_default()
                    }
                    _ => return Err(self.error("`function' needs a name")),
                };
                self.skip_delimiters(true);
                match self.advance().map(|t| t.kind) {
                    Some(TokKind::LBrace) => {}
                    _ => return Err(self.error("expected `{' after function name")),
                }
                let body = self.list(End::Brace, false)?;
                if body.is_empty() {
                    return Err(self.error("empty function body"));
                }
                // `commands1 delimiters1 "}"`: unlike a block, a function body needs a
                // `;` or newline before its `}`.
                let before = self.pos.checked_sub(1).and_then(|i| self.toks.get(i));
                if !matches!(
                    before.map(|t| &t.kind),
                    Some(TokKind::Newline | TokKind::Semi)
                ) {
                    return Err(self.error("expected `;' or newline before `}'"));
                }
                match self.advance().map(|t| t.kind) {
                    Some(TokKind::RBrace) => {}
                    _ => return Err(self.error("expected `}'")),
                }
                Ok(Cmd::Function {
                    name,
                    body: Rc::new(body),
                    line,
                })
            }
            Some(k) => {
                let mut m = String::from("unexpected `");
                m.push_str(k);
                m.push('\'');
                Err(self.error(&m))
            }
            None => self.simple(line),
        }
    }

    fn if_clause(&mut self, line: u32) -> Result<Cmd, ParseError> {
        // Iterative over `elif` so a long elif chain does not recurse.
        let mut arms: Vec<(Vec<Cmd>, Vec<Cmd>, u32)> = Vec::new();
        let mut arm_line = line;
        let otherwise;
        loop {
            let cond = self.list(End::Words(&["then"]), false)?;
            self.expect_keyword("then")?;
            let then = self.list(End::Words(&["elif", "else", "fi"]), false)?;
            arms.push((cond, then, arm_line));
            match self.peek_keyword() {
                Some("elif") => {
                    arm_line = self.line();
                    self.advance();
                }
                Some("else") => {
                    self.advance();
                    otherwise = self.list(End::Words(&["fi"]), false)?;
                    self.expect_keyword("fi")?;
                    break;
                }
                _ => {
                    self.expect_keyword("fi")?;
                    otherwise = Vec::new();
                    break;
                }
            }
        }
        let mut acc = otherwise;
        let mut result = None;
        while let Some((cond, then, l)) = arms.pop() {
            let cmd = Cmd::If {
                cond,
                then,
                otherwise: acc,
                line: l,
            };
            if arms.is_empty() {
                result = Some(cmd);
                break;
            }
            acc = alloc::vec![cmd];
        }
        result.ok_or_else(|| self.error("bad `if'"))
    }

    fn simple(&mut self, line: u32) -> Result<Cmd, ParseError> {
        let mut words = Vec::new();
        while let Some(TokKind::Word(w)) = self.peek_kind() {
            words.push(w.clone());
            self.advance();
        }
        let mut block = None;
        if let Some(TokKind::LBrace) = self.peek_kind() {
            let open = self.advance().ok_or_else(|| self.error("expected `{'"))?;
            let body = self.list(End::Brace, false)?;
            if body.is_empty() {
                return Err(self.error("empty block"));
            }
            let close = match self.advance() {
                Some(t) if t.kind == TokKind::RBrace => t,
                _ => return Err(self.error("expected `}'")),
            };
            let text = self.src.get(open.end..close.start).unwrap_or_default();
            let source = String::from_utf8_lossy(text).into_owned();
            block = Some(Rc::new(Block {
                source,
                line: open.line,
                body: Rc::new(body),
            }));
            // After a block only a delimiter or the end of the enclosing list may follow.
            if let Some(TokKind::Word(_)) = self.peek_kind() {
                return Err(self.error("unexpected word after `}'"));
            }
        }
        if words.is_empty() {
            return Err(self.error("missing command"));
        }
        Ok(Cmd::Simple { words, block, line })
    }
}

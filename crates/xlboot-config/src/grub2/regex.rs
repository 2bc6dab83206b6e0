//! POSIX extended regular expressions as GRUB's `regexp` command uses them (gnulib's
//! `regcomp (REG_EXTENDED)` + `regexec`), on bytes.
//!
//! Syntax (`RE_SYNTAX_POSIX_EXTENDED`): `|`, `( )`, `*` `+` `?` `{m}` `{m,}` `{m,n}`,
//! `.` (any byte, newline included), `^` and `$` anchors anywhere, bracket expressions
//! with ranges and `[:class:]`, `\` quoting the next byte, and gnulib's `\w` `\W` `\s`
//! `\S` `\b` `\B` `\<` `\>` `` \` `` `\'`. A `)` without `(` is an ordinary byte; a
//! repetition with nothing before it, an unclosed `(` or `[`, and bad intervals are
//! errors, as in gnulib. Refused (`Unsupported` by the caller): back-references (which
//! make matching NP-hard), `[=x=]` and `[.x.]`.
//!
//! Matching is POSIX's: the leftmost match, and of those the longest. Subexpressions
//! follow POSIX's rule that each element of a concatenation, left to right, takes the
//! longest string that still lets the whole match succeed; for an alternation the first
//! alternative that fits; for a repetition, the last iteration's captures.
//!
//! There is no backtracking: the engine computes, for each node and start position,
//! the *set* of end positions (a bitset), memoized, and picks captures from those sets
//! afterwards. Work is counted in 64-bit words touched and capped by a budget, so a
//! hostile pattern or string costs at most that budget and then fails as too costly.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// gnulib's `RE_DUP_MAX`.
const DUP_MAX: u32 = 0x7fff;
/// Most nodes in a compiled pattern (its size is bounded by the argument length too).
const MAX_NODES: usize = 4096;
/// Deepest nesting of groups.
const MAX_NESTING: usize = 64;

/// Why a pattern was not compiled, or a match not computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegexError {
    /// GRUB refuses it too (its `regcomp` fails): the message regerror would give.
    Invalid(&'static str),
    /// Valid, but not evaluated by xlboot (named).
    Unsupported(String),
}

#[derive(Debug, Clone)]
enum Node {
    /// Matches the empty string.
    Empty,
    /// One byte from a set.
    Set(Rc<[u64; 4]>),
    /// A zero-width assertion.
    Assert(Assert),
    /// `a` then `b`.
    Cat(usize, usize),
    /// `a` or `b` (`a` preferred for captures).
    Alt(usize, usize),
    /// `node{min,max}` (`max` None: unbounded).
    Repeat {
        node: usize,
        min: u32,
        max: Option<u32>,
    },
    /// Capture group `index` (1-based).
    Group { node: usize, index: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assert {
    LineStart,
    LineEnd,
    WordBoundary,
    NotWordBoundary,
    WordStart,
    WordEnd,
    BufStart,
    BufEnd,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Regex {
    nodes: Vec<Node>,
    root: usize,
    /// Number of capture groups (`re_nsub`).
    pub groups: usize,
}

fn set_of(f: impl Fn(u8) -> bool) -> [u64; 4] {
    let mut s = [0u64; 4];
    for b in 0..=255u8 {
        if f(b) {
            if let Some(w) = s.get_mut(usize::from(b >> 6)) {
                *w |= 1u64 << (b & 63);
            }
        }
    }
    s
}

fn in_set(s: &[u64; 4], b: u8) -> bool {
    s.get(usize::from(b >> 6))
        .is_some_and(|w| w & (1u64 << (b & 63)) != 0)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The `[:name:]` classes of the C locale.
fn class(name: &[u8]) -> Option<fn(u8) -> bool> {
    Some(match name {
        b"alpha" => |b: u8| b.is_ascii_alphabetic(),
        b"digit" => |b: u8| b.is_ascii_digit(),
        b"alnum" => |b: u8| b.is_ascii_alphanumeric(),
        b"upper" => |b: u8| b.is_ascii_uppercase(),
        b"lower" => |b: u8| b.is_ascii_lowercase(),
        b"space" => |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"blank" => |b: u8| matches!(b, b' ' | b'\t'),
        b"punct" => |b: u8| b.is_ascii_punctuation(),
        b"print" => |b: u8| (0x20..0x7f).contains(&b),
        b"graph" => |b: u8| (0x21..0x7f).contains(&b),
        b"cntrl" => |b: u8| b < 0x20 || b == 0x7f,
        b"xdigit" => |b: u8| b.is_ascii_hexdigit(),
        _ => return None,
    })
}

struct Parser<'p> {
    p: &'p [u8],
    i: usize,
    nodes: Vec<Node>,
    groups: usize,
    depth: usize,
}

type PResult = Result<usize, RegexError>;

impl Parser<'_> {
    fn push(&mut self, n: Node) -> PResult {
        if self.nodes.len() >= MAX_NODES {
            return Err(RegexError::Unsupported(alloc::format!(
                "pattern of more than {MAX_NODES} nodes"
            )));
        }
        self.nodes.push(n);
        Ok(self.nodes.len().saturating_sub(1))
    }

    fn peek(&self) -> Option<u8> {
        self.p.get(self.i).copied()
    }

    fn bump(&mut self) {
        self.i = self.i.saturating_add(1);
    }

    /// alternation := branch ('|' branch)*
    fn alternation(&mut self) -> PResult {
        let mut left = self.branch()?;
        while self.peek() == Some(b'|') {
            self.bump();
            let right = self.branch()?;
            left = self.push(Node::Alt(left, right))?;
        }
        Ok(left)
    }

    /// branch := piece*, as a right-nested chain of `Cat` (so every suffix is a node).
    fn branch(&mut self) -> PResult {
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || (c == b')' && self.depth > 0) {
                break;
            }
            pieces.push(self.piece()?);
        }
        let mut node = match pieces.pop() {
            Some(n) => n,
            None => return self.push(Node::Empty),
        };
        while let Some(p) = pieces.pop() {
            node = self.push(Node::Cat(p, node))?;
        }
        Ok(node)
    }

    fn piece(&mut self) -> PResult {
        let mut atom = self.atom()?;
        loop {
            let (min, max) = match self.peek() {
                Some(b'*') => (0, None),
                Some(b'+') => (1, None),
                Some(b'?') => (0, Some(1)),
                Some(b'{') => {
                    self.bump();
                    let (min, max) = self.interval()?;
                    atom = self.push(Node::Repeat {
                        node: atom,
                        min,
                        max,
                    })?;
                    continue;
                }
                _ => return Ok(atom),
            };
            self.bump();
            atom = self.push(Node::Repeat {
                node: atom,
                min,
                max,
            })?;
        }
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            n = n
                .saturating_mul(10)
                .saturating_add(u32::from(d.saturating_sub(b'0')));
            self.bump();
        }
        (self.i > start).then_some(n)
    }

    /// After `{`: `m}`, `m,}`, `m,n}`.
    fn interval(&mut self) -> Result<(u32, Option<u32>), RegexError> {
        let bad = RegexError::Invalid("Invalid content of \\{\\}");
        // gnulib reads a missing minimum (`{,n}`) as 0.
        let min = match self.number() {
            Some(n) => n,
            None if self.peek() == Some(b',') => 0,
            None => return Err(bad),
        };
        let max = if self.peek() == Some(b',') {
            self.bump();
            self.number()
        } else {
            Some(min)
        };
        if self.peek() != Some(b'}') {
            return Err(RegexError::Invalid("Unmatched \\{"));
        }
        self.bump();
        if min > DUP_MAX || max.is_some_and(|m| m > DUP_MAX) {
            return Err(RegexError::Invalid("Regular expression too big"));
        }
        if max.is_some_and(|m| m < min) {
            return Err(bad);
        }
        Ok((min, max))
    }

    fn atom(&mut self) -> PResult {
        let Some(c) = self.peek() else {
            return self.push(Node::Empty);
        };
        self.bump();
        match c {
            b'*' | b'+' | b'?' | b'{' => {
                Err(RegexError::Invalid("Invalid preceding regular expression"))
            }
            b'(' => {
                if self.depth >= MAX_NESTING {
                    return Err(RegexError::Unsupported(alloc::format!(
                        "groups nested deeper than {MAX_NESTING}"
                    )));
                }
                self.groups = self.groups.saturating_add(1);
                let index = self.groups;
                self.depth = self.depth.saturating_add(1);
                let inner = self.alternation()?;
                self.depth = self.depth.saturating_sub(1);
                if self.peek() != Some(b')') {
                    return Err(RegexError::Invalid("Unmatched ( or \\("));
                }
                self.bump();
                self.push(Node::Group { node: inner, index })
            }
            b'.' => self.push(Node::Set(Rc::new(set_of(|_| true)))),
            b'^' => self.push(Node::Assert(Assert::LineStart)),
            b'$' => self.push(Node::Assert(Assert::LineEnd)),
            b'[' => self.bracket(),
            b'\\' => {
                let Some(e) = self.peek() else {
                    return Err(RegexError::Invalid("Trailing backslash"));
                };
                self.bump();
                let node = match e {
                    b'1'..=b'9' => {
                        return Err(RegexError::Unsupported(String::from(
                            "back-references in regular expressions",
                        )))
                    }
                    b'w' => Node::Set(Rc::new(set_of(is_word))),
                    b'W' => Node::Set(Rc::new(set_of(|b| !is_word(b)))),
                    b's' => Node::Set(Rc::new(set_of(|b| {
                        matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
                    }))),
                    b'S' => Node::Set(Rc::new(set_of(|b| {
                        !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
                    }))),
                    b'b' => Node::Assert(Assert::WordBoundary),
                    b'B' => Node::Assert(Assert::NotWordBoundary),
                    b'<' => Node::Assert(Assert::WordStart),
                    b'>' => Node::Assert(Assert::WordEnd),
                    b'`' => Node::Assert(Assert::BufStart),
                    b'\'' => Node::Assert(Assert::BufEnd),
                    other => Node::Set(Rc::new(set_of(|b| b == other))),
                };
                self.push(node)
            }
            other => self.push(Node::Set(Rc::new(set_of(|b| b == other)))),
        }
    }

    /// After `[`.
    fn bracket(&mut self) -> PResult {
        let mut set = [0u64; 4];
        let negate = self.peek() == Some(b'^');
        if negate {
            self.bump();
        }
        let unmatched = RegexError::Invalid("Unmatched [, [^, [:, [., or [=");
        let mut first = true;
        loop {
            let c = self.peek().ok_or(unmatched.clone())?;
            self.bump();
            if c == b']' && !first {
                break;
            }
            first = false;
            let lo = if c == b'[' && matches!(self.peek(), Some(b':' | b'=' | b'.')) {
                let kind = self.peek().unwrap_or(b':');
                self.bump();
                let start = self.i;
                loop {
                    match (self.peek(), self.p.get(self.i.saturating_add(1))) {
                        (Some(k), Some(b']')) if k == kind => break,
                        (None, _) => return Err(unmatched),
                        _ => self.bump(),
                    }
                }
                let name = self.p.get(start..self.i).unwrap_or_default();
                self.i = self.i.saturating_add(2);
                if kind != b':' {
                    return Err(RegexError::Unsupported(String::from(
                        "[=x=] and [.x.] in bracket expressions",
                    )));
                }
                let f = class(name).ok_or(RegexError::Invalid("Invalid character class name"))?;
                for b in 0..=255u8 {
                    if f(b) {
                        add(&mut set, b);
                    }
                }
                continue;
            } else {
                c
            };
            // A range `lo-hi`, unless the `-` is last.
            if self.peek() == Some(b'-') && self.p.get(self.i.saturating_add(1)) != Some(&b']') {
                if let Some(&hi) = self.p.get(self.i.saturating_add(1)) {
                    if hi == b'[' {
                        return Err(RegexError::Unsupported(String::from(
                            "a bracket range ending in a class or collating element",
                        )));
                    }
                    self.i = self.i.saturating_add(2);
                    if hi < lo {
                        return Err(RegexError::Invalid("Invalid range end"));
                    }
                    for b in lo..=hi {
                        add(&mut set, b);
                    }
                    continue;
                }
            }
            add(&mut set, lo);
        }
        if negate {
            for w in &mut set {
                *w = !*w;
            }
        }
        self.push(Node::Set(Rc::new(set)))
    }
}

fn add(set: &mut [u64; 4], b: u8) {
    if let Some(w) = set.get_mut(usize::from(b >> 6)) {
        *w |= 1u64 << (b & 63);
    }
}

impl Regex {
    /// `regcomp (pattern, REG_EXTENDED)`.
    pub(crate) fn new(pattern: &[u8]) -> Result<Regex, RegexError> {
        let mut p = Parser {
            p: pattern,
            i: 0,
            nodes: Vec::new(),
            groups: 0,
            depth: 0,
        };
        // At the top level `)` is an ordinary byte, so this reads the whole pattern.
        let root = p.alternation()?;
        Ok(Regex {
            nodes: p.nodes,
            root,
            groups: p.groups,
        })
    }

    /// `regexec`: the leftmost-longest match in `text` and its groups (index 0: the
    /// whole match; `None`: did not take part). `Ok(None)`: no match. An error when the
    /// text is longer than [`MAX_TEXT`] or the work would exceed `budget`.
    #[allow(clippy::type_complexity)]
    pub(crate) fn find(
        &self,
        text: &[u8],
        budget: u64,
    ) -> Result<Option<Vec<Option<(usize, usize)>>>, RegexError> {
        if text.len() > MAX_TEXT {
            return Err(RegexError::Unsupported(alloc::format!(
                "matching a string of more than {MAX_TEXT} bytes"
            )));
        }
        let mut m = Matcher {
            re: self,
            text,
            words: text.len().saturating_add(1).div_ceil(64),
            memo: BTreeMap::new(),
            spent: 0,
            budget,
            depth: 0,
        };
        for start in 0..=text.len() {
            let ends = m.ends(self.root, start, 0)?;
            if let Some(end) = last(&ends.1) {
                let mut caps = vec![None; self.groups.saturating_add(1)];
                if let Some(c) = caps.first_mut() {
                    *c = Some((start, end));
                }
                m.assign(self.root, start, 0, end, &mut caps)?;
                return Ok(Some(caps));
            }
        }
        Ok(None)
    }
}

/// Longest string matched (gnulib has no such limit; GRUB's strings are paths, device
/// names and titles, far shorter).
pub(crate) const MAX_TEXT: usize = 1024;
/// Deepest recursion of the matcher. It follows the pattern's nesting (a repetition's
/// states are filled from the end of the text backwards, in a loop, so the text's
/// length does not deepen it).
const MAX_RECURSION: usize = 128;

fn has(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

fn last(bits: &[u64]) -> Option<usize> {
    for (wi, w) in bits.iter().enumerate().rev() {
        if *w != 0 {
            let bit = 63usize.saturating_sub(w.leading_zeros() as usize);
            return Some(wi.saturating_mul(64).saturating_add(bit));
        }
    }
    None
}

/// The ends a node can reach from one position: in the order gnulib's `set_regs`
/// prefers the paths that reach them (first alternative first, one more iteration
/// before stopping), and as a set.
type Ends = Rc<(Vec<usize>, Vec<u64>)>;

struct Matcher<'r, 't> {
    re: &'r Regex,
    text: &'t [u8],
    words: usize,
    /// By (node, start, iterations done for a repetition).
    memo: BTreeMap<(usize, usize, u32), Ends>,
    spent: u64,
    budget: u64,
    depth: usize,
}

impl Matcher<'_, '_> {
    fn charge(&mut self, n: usize) -> Result<(), RegexError> {
        self.spent = self
            .spent
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if self.spent > self.budget {
            return Err(RegexError::Unsupported(alloc::format!(
                "matching needs more than {} steps",
                self.budget
            )));
        }
        Ok(())
    }

    fn assert_holds(&self, a: Assert, i: usize) -> bool {
        let before = i.checked_sub(1).and_then(|p| self.text.get(p)).copied();
        let after = self.text.get(i).copied();
        let wb = before.is_some_and(is_word);
        let wa = after.is_some_and(is_word);
        match a {
            // No REG_NEWLINE: anchors match only at the ends of the string.
            Assert::LineStart | Assert::BufStart => i == 0,
            Assert::LineEnd | Assert::BufEnd => i == self.text.len(),
            Assert::WordBoundary => wb != wa,
            Assert::NotWordBoundary => wb == wa,
            Assert::WordStart => !wb && wa,
            Assert::WordEnd => wb && !wa,
        }
    }

    /// Iterations done, as far as they matter to what a repetition can still do.
    fn norm(min: u32, max: Option<u32>, done: u32) -> u32 {
        match max {
            None => done.min(min),
            Some(_) => done,
        }
    }

    /// Where `node` can end when it starts at `i` (`done`: iterations already made,
    /// for a repetition; 0 otherwise).
    fn ends(&mut self, node: usize, i: usize, done: u32) -> Result<Ends, RegexError> {
        if let Some(b) = self.memo.get(&(node, i, done)) {
            return Ok(Rc::clone(b));
        }
        if self.depth >= MAX_RECURSION {
            return Err(RegexError::Unsupported(alloc::format!(
                "matching nests deeper than {MAX_RECURSION}"
            )));
        }
        self.depth = self.depth.saturating_add(1);
        let r = match self.re.nodes.get(node) {
            Some(Node::Repeat { min, max, .. }) => {
                let (min, max) = (*min, *max);
                self.fill_repeat(node, min, max, i, done)
            }
            _ => self.compute(node, i, done).map(|r| {
                self.memo.insert((node, i, done), Rc::new(r));
            }),
        };
        self.depth = self.depth.saturating_sub(1);
        r?;
        self.memo
            .get(&(node, i, done))
            .map(Rc::clone)
            .ok_or_else(|| RegexError::Unsupported(String::from("matcher bookkeeping")))
    }

    /// Computes a repetition's states for every position from the end of the text back
    /// to `i` and every iteration count from the largest that matters down to `done`,
    /// so that each state finds the later ones it needs already computed.
    fn fill_repeat(
        &mut self,
        node: usize,
        min: u32,
        max: Option<u32>,
        i: usize,
        done: u32,
    ) -> Result<(), RegexError> {
        let top = max.unwrap_or(min);
        for pos in (i..=self.text.len()).rev() {
            for c in (done..=top).rev() {
                if self.memo.contains_key(&(node, pos, c)) {
                    continue;
                }
                let r = self.compute(node, pos, c)?;
                self.memo.insert((node, pos, c), Rc::new(r));
            }
        }
        Ok(())
    }

    fn compute(
        &mut self,
        node: usize,
        i: usize,
        done: u32,
    ) -> Result<(Vec<usize>, Vec<u64>), RegexError> {
        self.charge(self.words.saturating_add(1))?;
        let mut order = Vec::new();
        let mut set = vec![0u64; self.words];
        let add = |order: &mut Vec<usize>, set: &mut Vec<u64>, e: usize| {
            if let Some(w) = set.get_mut(e / 64) {
                if *w & (1u64 << (e % 64)) == 0 {
                    *w |= 1u64 << (e % 64);
                    order.push(e);
                }
            }
        };
        match self.re.nodes.get(node).cloned().unwrap_or(Node::Empty) {
            Node::Empty => add(&mut order, &mut set, i),
            Node::Set(s) => {
                if self.text.get(i).is_some_and(|&b| in_set(&s, b)) {
                    add(&mut order, &mut set, i.saturating_add(1));
                }
            }
            Node::Assert(a) => {
                if self.assert_holds(a, i) {
                    add(&mut order, &mut set, i);
                }
            }
            Node::Group { node, .. } => return Ok(self.ends(node, i, 0)?.as_ref().clone()),
            Node::Alt(a, b) => {
                for n in [a, b] {
                    let e = self.ends(n, i, 0)?;
                    self.charge(e.0.len())?;
                    for &x in &e.0 {
                        add(&mut order, &mut set, x);
                    }
                }
            }
            Node::Cat(a, b) => {
                let mids = self.ends(a, i, 0)?;
                for &k in &mids.0 {
                    let e = self.ends(b, k, 0)?;
                    self.charge(e.0.len())?;
                    for &x in &e.0 {
                        add(&mut order, &mut set, x);
                    }
                }
            }
            Node::Repeat {
                node: inner,
                min,
                max,
            } => {
                if max.is_none_or(|m| done < m) {
                    let firsts = self.ends(inner, i, 0)?;
                    let next = Self::norm(min, max, done.saturating_add(1));
                    for &k in &firsts.0 {
                        // An empty iteration only helps to reach the minimum.
                        if k == i && done >= min {
                            continue;
                        }
                        let e = self.ends(node, k, next)?;
                        self.charge(e.0.len())?;
                        for &x in &e.0 {
                            add(&mut order, &mut set, x);
                        }
                    }
                }
                if done >= min {
                    add(&mut order, &mut set, i);
                }
            }
        }
        Ok((order, set))
    }

    /// Fills `caps` along the path gnulib's `set_regs` takes for `node` from `i` to
    /// exactly `j`: at each choice the first option (in [`Self::ends`] order) that can
    /// still end at `j`. A group is written each time the path passes it, so a group of
    /// an earlier iteration keeps its value when a later one does not pass it. The
    /// rest of a concatenation and further iterations are followed in a loop.
    fn assign(
        &mut self,
        node: usize,
        i: usize,
        done: u32,
        j: usize,
        caps: &mut [Option<(usize, usize)>],
    ) -> Result<(), RegexError> {
        if self.depth >= MAX_RECURSION {
            return Err(RegexError::Unsupported(alloc::format!(
                "matching nests deeper than {MAX_RECURSION}"
            )));
        }
        self.depth = self.depth.saturating_add(1);
        let r = self.assign_loop(node, i, done, j, caps);
        self.depth = self.depth.saturating_sub(1);
        r
    }

    fn assign_loop(
        &mut self,
        mut node: usize,
        mut i: usize,
        mut done: u32,
        j: usize,
        caps: &mut [Option<(usize, usize)>],
    ) -> Result<(), RegexError> {
        loop {
            self.charge(1)?;
            match self.re.nodes.get(node).cloned().unwrap_or(Node::Empty) {
                Node::Empty | Node::Set(_) | Node::Assert(_) => return Ok(()),
                Node::Group { node: inner, index } => {
                    self.assign(inner, i, 0, j, caps)?;
                    if let Some(c) = caps.get_mut(index) {
                        *c = Some((i, j));
                    }
                    return Ok(());
                }
                Node::Alt(a, b) => {
                    node = if has(&self.ends(a, i, 0)?.1, j) { a } else { b };
                    done = 0;
                }
                Node::Cat(a, b) => {
                    let mids = self.ends(a, i, 0)?;
                    let mut next = None;
                    for &k in &mids.0 {
                        if has(&self.ends(b, k, 0)?.1, j) {
                            next = Some(k);
                            break;
                        }
                    }
                    let Some(k) = next else { return Ok(()) };
                    self.assign(a, i, 0, k, caps)?;
                    node = b;
                    i = k;
                    done = 0;
                }
                Node::Repeat {
                    node: inner,
                    min,
                    max,
                } => {
                    let mut step = None;
                    if max.is_none_or(|m| done < m) {
                        let firsts = self.ends(inner, i, 0)?;
                        let next = Self::norm(min, max, done.saturating_add(1));
                        for &k in &firsts.0 {
                            if k == i && done >= min {
                                continue;
                            }
                            if has(&self.ends(node, k, next)?.1, j) {
                                step = Some((k, next));
                                break;
                            }
                        }
                    }
                    // No further iteration: the repetition stops here (at j).
                    let Some((k, next)) = step else { return Ok(()) };
                    self.assign(inner, i, 0, k, caps)?;
                    i = k;
                    done = next;
                }
            }
        }
    }
}

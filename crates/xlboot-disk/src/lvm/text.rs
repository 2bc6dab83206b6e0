//! LVM2's text metadata format: the volume group description LVM writes into each
//! physical volume's metadata area.
//!
//! The format is small: `name = value` assignments and `name { ... }` sections;
//! values are integers, double-quoted strings (`\"` and `\\` escaped) and `[ ... ]`
//! arrays of those; `#` starts a comment to the end of the line; a NUL byte ends the
//! text (LVM stores a terminating NUL). Names are LVM's object names, which may hold
//! letters, digits and `_ . + -`.
//!
//! The text comes from the guest, so the parser is bounded in every direction:
//! nesting depth, the number of items, and the length of the text itself (checked by
//! the caller). It recurses only per nested section, at most [`MAX_DEPTH`] deep.

use alloc::string::String;
use alloc::vec::Vec;

/// Deepest nesting of sections accepted (LVM writes 4: VG, logical_volumes, LV,
/// segment).
pub const MAX_DEPTH: usize = 8;
/// Most items (assignments, sections, array elements) in one text.
pub const MAX_ITEMS: usize = 200_000;

/// A value on the right of `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string, unescaped.
    Str(String),
    /// An array of values (LVM never nests them; we do not accept nesting either).
    Array(Vec<Value>),
}

/// One `name = value` or `name { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An assignment.
    Value(Value),
    /// A section.
    Section(Section),
}

/// The items of a section, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// `(name, item)` pairs.
    pub items: Vec<(String, Item)>,
}

impl Section {
    /// The first item called `name`.
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, i)| i)
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        match self.get(name) {
            Some(Item::Section(s)) => Some(s),
            _ => None,
        }
    }

    /// The integer called `name`.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Item::Value(Value::Int(i))) => Some(*i),
            _ => None,
        }
    }

    /// The string called `name`.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Item::Value(Value::Str(s))) => Some(s),
            _ => None,
        }
    }

    /// The array called `name`.
    pub fn array(&self, name: &str) -> Option<&[Value]> {
        match self.get(name) {
            Some(Item::Value(Value::Array(a))) => Some(a),
            _ => None,
        }
    }

    /// The subsections, in text order.
    pub fn sections(&self) -> impl Iterator<Item = (&str, &Section)> {
        self.items.iter().filter_map(|(n, i)| match i {
            Item::Section(s) => Some((n.as_str(), s)),
            Item::Value(_) => None,
        })
    }

    /// True if the string array `name` (e.g. `status`) holds `flag`.
    pub fn has_flag(&self, name: &str, flag: &str) -> bool {
        self.array(name)
            .is_some_and(|a| a.iter().any(|v| matches!(v, Value::Str(s) if s == flag)))
    }
}

/// Why the text could not be parsed: what, and at which byte of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    /// Byte offset in the text.
    pub at: usize,
    /// What was wrong.
    pub what: &'static str,
}

/// Parses a whole metadata text into its top-level section.
pub fn parse(text: &[u8]) -> Result<Section, TextError> {
    // A NUL ends the text.
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let mut p = Parser {
        text: text.get(..end).unwrap_or(&[]),
        pos: 0,
        items: 0,
    };
    let top = p.section_body(0)?;
    p.skip_blank();
    if p.pos < p.text.len() {
        return Err(p.error("unexpected '}' at the top level"));
    }
    Ok(top)
}

struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    items: usize,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-')
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> TextError {
        TextError { at: self.pos, what }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn count_item(&mut self) -> Result<(), TextError> {
        self.items = self.items.saturating_add(1);
        if self.items > MAX_ITEMS {
            return Err(self.error("too many items"));
        }
        Ok(())
    }

    /// Skips white space and comments.
    fn skip_blank(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.bump();
            } else if b == b'#' {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// Items up to a closing `}` (not consumed) or the end of the text.
    fn section_body(&mut self, depth: usize) -> Result<Section, TextError> {
        let mut section = Section::default();
        loop {
            self.skip_blank();
            match self.peek() {
                None | Some(b'}') => return Ok(section),
                Some(_) => {}
            }
            let name = self.name()?;
            self.skip_blank();
            match self.peek() {
                Some(b'=') => {
                    self.bump();
                    self.skip_blank();
                    let value = self.value(true)?;
                    self.count_item()?;
                    section.items.push((name, Item::Value(value)));
                }
                Some(b'{') => {
                    self.bump();
                    if depth >= MAX_DEPTH {
                        return Err(self.error("sections nested too deep"));
                    }
                    self.count_item()?;
                    let inner = self.section_body(depth.saturating_add(1))?;
                    if self.peek() != Some(b'}') {
                        return Err(self.error("section not closed"));
                    }
                    self.bump();
                    section.items.push((name, Item::Section(inner)));
                }
                _ => return Err(self.error("expected '=' or '{' after a name")),
            }
        }
    }

    fn name(&mut self) -> Result<String, TextError> {
        let start = self.pos;
        while self.peek().is_some_and(is_name_byte) {
            self.bump();
        }
        let bytes = self.text.get(start..self.pos).unwrap_or(&[]);
        if bytes.is_empty() {
            return Err(self.error("expected a name"));
        }
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    fn value(&mut self, array_allowed: bool) -> Result<Value, TextError> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') if array_allowed => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_blank();
                    if self.peek() == Some(b']') {
                        self.bump();
                        return Ok(Value::Array(items));
                    }
                    if !items.is_empty() {
                        if self.peek() != Some(b',') {
                            return Err(self.error("expected ',' or ']' in an array"));
                        }
                        self.bump();
                        self.skip_blank();
                    }
                    let v = self.value(false)?;
                    self.count_item()?;
                    items.push(v);
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn string(&mut self) -> Result<String, TextError> {
        self.bump(); // the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("string not closed")),
                Some(b'"') => {
                    self.bump();
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.bump();
                    let Some(c) = self.peek() else {
                        return Err(self.error("string not closed"));
                    };
                    out.push(c);
                    self.bump();
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }

    /// An integer. LVM writes only integers in VG metadata; a fraction or exponent
    /// (written by nothing we read) is refused rather than misread.
    fn number(&mut self) -> Result<Value, TextError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.bump();
        }
        let mut n: i64 = 0;
        let mut digits = 0usize;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(d.wrapping_sub(b'0'))))
                .ok_or_else(|| self.error("integer too large"))?;
            digits = digits.saturating_add(1);
            self.bump();
        }
        if digits == 0 {
            self.pos = start;
            return Err(self.error("expected a number"));
        }
        if self
            .peek()
            .is_some_and(|b| b == b'.' || b.is_ascii_alphabetic())
        {
            return Err(self.error("only integers are accepted"));
        }
        Ok(Value::Int(if negative { n.saturating_neg() } else { n }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lvm_shapes() {
        let t = b"vg0 {\nid = \"a-b\"\nseqno = 3\nstatus = [\"READ\", \"WRITE\"]\n# c\nlogical_volumes {\nroot-1 {\nstripes = [\n\"pv0\", 0\n]\n}\n}\n}\n# Generated\ncontents = \"Text \\\"F\\\"\"\nversion = 1\n\0junk";
        let top = parse(t).unwrap();
        let vg = top.section("vg0").unwrap();
        assert_eq!(vg.str("id"), Some("a-b"));
        assert_eq!(vg.int("seqno"), Some(3));
        assert!(vg.has_flag("status", "WRITE"));
        let lv = vg
            .section("logical_volumes")
            .unwrap()
            .section("root-1")
            .unwrap();
        assert_eq!(
            lv.array("stripes").unwrap(),
            &[Value::Str("pv0".into()), Value::Int(0)]
        );
        assert_eq!(top.str("contents"), Some("Text \"F\""));
    }

    #[test]
    fn refuses_bad_text() {
        assert!(parse(b"a {").is_err());
        assert!(parse(b"a = ").is_err());
        assert!(parse(b"a = [[1]]").is_err());
        assert!(parse(b"a = 1.5").is_err());
        assert!(parse(b"}").is_err());
        assert!(parse(b"a = 99999999999999999999").is_err());
        let deep = "a {".repeat(MAX_DEPTH + 2) + &"}".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_err());
    }
}

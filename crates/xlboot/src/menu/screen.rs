//! What the menu shows, as a grid of characters written in one go.
//!
//! Every string that reaches the terminal goes through [`Frame::put`], which keeps
//! only printable ASCII: titles and command lines come from the guest's disk, and a
//! control character or escape sequence in them could move the cursor, rewrite the
//! screen, or make an xterm answer with bytes that arrive as keys. Any other byte is
//! shown as `?`: not only C0 and C1 controls, but all non-ASCII, because a terminal
//! in an 8-bit mode (a real vt100, or xterm without UTF-8) reads the bytes of UTF-8
//! characters in 0x80..0x9f as C1 controls (0x9b is CSI). The only escape sequences
//! written are the frame's own: cursor position, reverse video, attributes off, which
//! a vt100 and xterm both know.

use super::terminal::Size;

/// Guest text as the screen shows it: printable ASCII kept, a tab as a space, any
/// other character as `?`.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c,
            '\t' => ' ',
            _ => '?',
        })
        .collect()
}

/// One screenful.
#[derive(Debug, Clone)]
pub struct Frame {
    size: Size,
    rows: Vec<Vec<u8>>,
    /// Per row, the columns shown in reverse video.
    reverse: Vec<Option<(usize, usize)>>,
    /// Where the cursor is left (row, column).
    pub cursor: (usize, usize),
}

impl Frame {
    /// A blank frame.
    pub fn new(size: Size) -> Self {
        Frame {
            size,
            rows: vec![vec![b' '; size.cols]; size.rows],
            reverse: vec![None; size.rows],
            cursor: (size.rows.saturating_sub(1), 0),
        }
    }

    /// Writes `text` (cleaned) at `row`, `col`; what does not fit is cut.
    pub fn put(&mut self, row: usize, col: usize, text: &str) {
        let Some(line) = self.rows.get_mut(row) else {
            return;
        };
        for (i, c) in clean(text).bytes().enumerate() {
            match line.get_mut(col.saturating_add(i)) {
                Some(cell) => *cell = c,
                None => break,
            }
        }
    }

    /// `text` centred on `row`.
    pub fn center(&mut self, row: usize, text: &str) {
        let len = clean(text).len();
        let col = self.size.cols.saturating_sub(len) / 2;
        self.put(row, col, text);
    }

    /// Shows columns `from..to` of `row` in reverse video.
    pub fn highlight(&mut self, row: usize, from: usize, to: usize) {
        if let Some(r) = self.reverse.get_mut(row) {
            *r = Some((from.min(self.size.cols), to.min(self.size.cols)));
        }
    }

    /// The text of a row (for tests).
    #[cfg(test)]
    pub fn row(&self, row: usize) -> String {
        String::from_utf8_lossy(self.rows.get(row).map(Vec::as_slice).unwrap_or_default())
            .into_owned()
    }

    /// The bytes that draw the frame over whatever the screen showed.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size.cols.saturating_add(8) * self.size.rows);
        out.extend_from_slice(b"\x1b[0m");
        let last = self.rows.len().saturating_sub(1);
        for (i, row) in self.rows.iter().enumerate() {
            out.extend_from_slice(format!("\x1b[{};1H", i.saturating_add(1)).as_bytes());
            // The bottom right cell is left alone: writing it scrolls some terminals.
            let row = if i == last {
                row.get(..row.len().saturating_sub(1)).unwrap_or_default()
            } else {
                row.as_slice()
            };
            match self.reverse.get(i).copied().flatten() {
                Some((from, to)) if from < to => {
                    let to = to.min(row.len());
                    let from = from.min(to);
                    out.extend_from_slice(row.get(..from).unwrap_or_default());
                    out.extend_from_slice(b"\x1b[7m");
                    out.extend_from_slice(row.get(from..to).unwrap_or_default());
                    out.extend_from_slice(b"\x1b[0m");
                    out.extend_from_slice(row.get(to..).unwrap_or_default());
                }
                _ => out.extend_from_slice(row),
            }
        }
        let (r, c) = self.cursor;
        out.extend_from_slice(
            format!(
                "\x1b[{};{}H",
                r.min(last).saturating_add(1),
                c.min(self.size.cols.saturating_sub(1)).saturating_add(1)
            )
            .as_bytes(),
        );
        out
    }
}

/// Clears the screen and leaves the cursor at its top left, for what follows the
/// menu (the kernel's console output, or xlboot's own messages).
pub const CLEAR: &[u8] = b"\x1b[0m\x1b[H\x1b[2J";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_text_cannot_reach_the_terminal_as_controls() {
        let hostile = "a\x1b]0;owned\x07b\x1b[2Jc\u{9b}31md\u{85}e\r\n\tf\u{e9}";
        assert_eq!(clean(hostile), "a?]0;owned?b?[2Jc?31md?e?? f?");
        let mut f = Frame::new(Size { cols: 20, rows: 3 });
        f.put(0, 0, hostile);
        let bytes = f.render();
        // Only the frame's own sequences: each ESC starts `[` + digits/; + H, m.
        let text = String::from_utf8(bytes).unwrap();
        for (i, _) in text.match_indices('\x1b') {
            let rest = &text[i + 1..];
            let end = rest.find(|c: char| c.is_ascii_alphabetic()).unwrap();
            assert!(rest.starts_with('['), "{rest:?}");
            assert!(rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ';'));
            assert!(matches!(&rest[end..=end], "H" | "m"), "{rest:?}");
        }
        assert!(text.bytes().all(|b| b == 0x1b || (0x20..0x7f).contains(&b)));
    }

    #[test]
    fn text_is_cut_at_the_edge() {
        let mut f = Frame::new(Size { cols: 10, rows: 2 });
        f.put(0, 6, "abcdefgh");
        assert_eq!(f.row(0), "      abcd");
        f.center(1, "xy");
        assert_eq!(f.row(1), "    xy    ");
    }
}

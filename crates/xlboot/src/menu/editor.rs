//! The line editor (`a`, `c`, passwords) and the entry editor (`e`).
//!
//! Keys as in GRUB's and pygrub's editors: Left/Right and Ctrl-B/Ctrl-F move,
//! Home/End and Ctrl-A/Ctrl-E jump, Backspace and Delete/Ctrl-D delete, Ctrl-K cuts
//! to the end, Ctrl-U to the start. In the entry editor Up/Down change line and
//! Enter splits one. Lines are bounded so that holding a key cannot grow one without
//! end.

use super::keys::Key;

/// Longest line the editors keep (the Xen PV command line is 1023 bytes).
pub const MAX_LINE: usize = 4096;

/// Most lines of an entry being edited.
pub const MAX_LINES: usize = 64;

/// One line being edited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: Vec<char>,
    cursor: usize,
}

impl LineEditor {
    /// A line holding `text`, the cursor at its end.
    pub fn new(text: &str) -> Self {
        let text: Vec<char> = text.chars().take(MAX_LINE).collect();
        LineEditor {
            cursor: text.len(),
            text,
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.text.iter().collect()
    }

    /// Acts on an editing key; `false` for a key that is not one.
    pub fn handle(&mut self, key: Key) -> bool {
        match key {
            Key::Char(c) => {
                if self.text.len() < MAX_LINE {
                    self.text.insert(self.cursor, c);
                    self.cursor += 1;
                }
            }
            Key::Tab => return self.handle(Key::Char(' ')),
            Key::Left | Key::Ctrl('b') => self.cursor = self.cursor.saturating_sub(1),
            Key::Right | Key::Ctrl('f') => self.cursor = (self.cursor + 1).min(self.text.len()),
            Key::Home | Key::Ctrl('a') => self.cursor = 0,
            Key::End | Key::Ctrl('e') => self.cursor = self.text.len(),
            Key::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.text.remove(self.cursor);
                }
            }
            Key::Delete | Key::Ctrl('d') => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            Key::Ctrl('k') => self.text.truncate(self.cursor),
            Key::Ctrl('u') => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            _ => return false,
        }
        true
    }

    /// What fits in `width` columns around the cursor, and the cursor's column in it:
    /// the line scrolls sideways, as GRUB's does.
    pub fn view(&self, width: usize) -> (String, usize) {
        let width = width.max(2);
        let start = if self.cursor < width {
            0
        } else {
            self.cursor + 1 - width
        };
        let shown: String = self.text.iter().skip(start).take(width).collect();
        (shown, self.cursor - start)
    }

    /// Splits at the cursor: this line keeps what is before it; the rest is returned.
    fn split(&mut self) -> LineEditor {
        let rest: Vec<char> = self.text.split_off(self.cursor);
        LineEditor {
            text: rest,
            cursor: 0,
        }
    }
}

/// An entry's lines being edited.
#[derive(Debug, Clone)]
pub struct EntryEditor {
    /// The lines.
    pub lines: Vec<LineEditor>,
    /// The line the cursor is on.
    pub current: usize,
}

impl EntryEditor {
    /// An editor over `lines`, the cursor at the start of the first (as GRUB's).
    pub fn new(lines: &[String]) -> Self {
        let mut lines: Vec<LineEditor> = lines
            .iter()
            .take(MAX_LINES)
            .map(|l| {
                let mut ed = LineEditor::new(l);
                ed.cursor = 0;
                ed
            })
            .collect();
        if lines.is_empty() {
            lines.push(LineEditor::default());
        }
        EntryEditor { lines, current: 0 }
    }

    /// The text of every line.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(LineEditor::text).collect()
    }

    /// Acts on a key; `false` for a key the editor has no use for.
    pub fn handle(&mut self, key: Key) -> bool {
        let count = self.lines.len();
        let Some(line) = self.lines.get_mut(self.current) else {
            return false;
        };
        let col = line.cursor;
        match key {
            Key::Up | Key::Ctrl('p') => self.go(self.current.saturating_sub(1), col),
            Key::Down | Key::Ctrl('n') => self.go((self.current + 1).min(count - 1), col),
            Key::Enter => {
                if count < MAX_LINES {
                    let rest = line.split();
                    self.current += 1;
                    self.lines.insert(self.current, rest);
                }
            }
            Key::Backspace if col == 0 && self.current > 0 => {
                let line = self.lines.remove(self.current);
                self.current -= 1;
                if let Some(prev) = self.lines.get_mut(self.current) {
                    prev.cursor = prev.text.len();
                    let room = MAX_LINE.saturating_sub(prev.text.len());
                    prev.text.extend(line.text.into_iter().take(room));
                }
            }
            k => return line.handle(k),
        }
        true
    }

    fn go(&mut self, to: usize, col: usize) {
        self.current = to;
        if let Some(l) = self.lines.get_mut(to) {
            l.cursor = col.min(l.text.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(ed: &mut LineEditor, s: &str) {
        for c in s.chars() {
            ed.handle(Key::Char(c));
        }
    }

    #[test]
    fn line_editing_keys() {
        let mut ed = LineEditor::new("root=/dev/xvda1 ro");
        ed.handle(Key::Home);
        typed(&mut ed, "x ");
        ed.handle(Key::End);
        ed.handle(Key::Backspace);
        ed.handle(Key::Backspace);
        typed(&mut ed, "rw");
        assert_eq!(ed.text(), "x root=/dev/xvda1 rw");
        ed.handle(Key::Ctrl('a'));
        ed.handle(Key::Right);
        ed.handle(Key::Ctrl('k'));
        assert_eq!(ed.text(), "x");
        ed.handle(Key::Left);
        ed.handle(Key::Delete);
        assert_eq!(ed.text(), "");
    }

    #[test]
    fn long_lines_scroll_and_stop_growing() {
        let mut ed = LineEditor::new(&"a".repeat(MAX_LINE + 10));
        assert_eq!(ed.text().len(), MAX_LINE);
        typed(&mut ed, "b");
        assert_eq!(ed.text().len(), MAX_LINE);
        let (shown, col) = ed.view(10);
        assert_eq!((shown.len(), col), (9, 9));
    }

    #[test]
    fn entry_editor_splits_and_joins() {
        let mut ed = EntryEditor::new(&["linux /vmlinuz ro".into(), "initrd /initrd".into()]);
        ed.handle(Key::Down);
        ed.handle(Key::Backspace);
        assert_eq!(ed.texts(), ["linux /vmlinuz roinitrd /initrd"]);
        // The cursor stayed where the lines were joined.
        ed.handle(Key::Enter);
        assert_eq!(ed.texts(), ["linux /vmlinuz ro", "initrd /initrd"]);
    }
}

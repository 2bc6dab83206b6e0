//! Keys from the terminal's bytes.
//!
//! A pty hands over what the terminal sends: printable characters, control
//! characters, and escape sequences for the cursor and function keys, in the forms
//! vt100 (`ESC O A`, application mode) and xterm (`ESC [ A`, `ESC [ 5 ~`, ...) use. A
//! lone ESC is the Escape key; it is told from the start of a sequence by the pause
//! after it (see [`Decoder::feed`]).

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character (ASCII; other input is ignored).
    Char(char),
    /// A control character, by its letter: `Ctrl('x')` for Ctrl-X.
    Ctrl(char),
    /// Cursor keys.
    Up,
    /// Cursor down.
    Down,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home (or `ESC [ 1 ~`).
    Home,
    /// End (or `ESC [ 4 ~`).
    End,
    /// Delete (the key, not backspace).
    Delete,
    /// Backspace (DEL or Ctrl-H).
    Backspace,
    /// Enter (CR or LF).
    Enter,
    /// Escape alone.
    Esc,
    /// Tab.
    Tab,
    /// Insert (`ESC [ 2 ~`).
    Insert,
    /// A function key, F1 to F12 (`ESC O P` to `ESC O S` for F1 to F4 on vt100,
    /// `ESC [ N ~` on xterm). F10 boots an edited entry, as in GRUB.
    F(u8),
    /// An escape sequence this menu has no use for.
    Unknown,
}

/// Longest escape sequence kept: longer ones are dropped as [`Key::Unknown`].
const MAX_SEQUENCE: usize = 16;

/// Turns bytes into keys, keeping an unfinished escape sequence between reads.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
}

impl Decoder {
    /// Adds bytes read from the terminal and returns the keys they finish. A lone ESC
    /// stays pending until [`Decoder::flush`] (called when no further byte came
    /// within a short pause).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        let mut keys = Vec::new();
        for &b in bytes {
            if self.pending.is_empty() {
                match b {
                    0x1b => self.pending.push(b),
                    b'\r' | b'\n' => keys.push(Key::Enter),
                    b'\t' => keys.push(Key::Tab),
                    0x7f | 0x08 => keys.push(Key::Backspace),
                    0x01..=0x1a => keys.push(Key::Ctrl(char::from(b - 1 + b'a'))),
                    0x20..=0x7e => keys.push(Key::Char(char::from(b))),
                    _ => {}
                }
                continue;
            }
            if b == 0x1b {
                // A new ESC ends what was pending (a lone Escape, or a cut sequence).
                keys.extend(self.flush());
                self.pending.push(b);
                continue;
            }
            if self.pending.len() == 1 && b != b'[' && b != b'O' {
                // ESC and then a key that starts no sequence (Alt+key, or Escape
                // typed just before it): both keys.
                keys.extend(self.flush());
                keys.extend(self.feed(&[b]));
                continue;
            }
            self.pending.push(b);
            if let Some(key) = self.sequence() {
                keys.push(key);
                self.pending.clear();
            } else if self.pending.len() >= MAX_SEQUENCE {
                keys.push(Key::Unknown);
                self.pending.clear();
            }
        }
        keys
    }

    /// Whether an escape sequence is unfinished.
    pub fn is_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Ends an unfinished sequence after a pause: a lone ESC is the Escape key, a
    /// cut-off sequence is dropped.
    pub fn flush(&mut self) -> Option<Key> {
        let key = match self.pending.as_slice() {
            [] => None,
            [0x1b] => Some(Key::Esc),
            _ => Some(Key::Unknown),
        };
        self.pending.clear();
        key
    }

    /// The key of the pending sequence if it is complete.
    fn sequence(&self) -> Option<Key> {
        let seq = self.pending.get(1..)?;
        match seq {
            [] => None,
            [b'O'] | [b'['] => None,
            [b'O', c] => Some(match c {
                b'A' => Key::Up,
                b'B' => Key::Down,
                b'C' => Key::Right,
                b'D' => Key::Left,
                b'H' => Key::Home,
                b'F' => Key::End,
                b'P' => Key::F(1),
                b'Q' => Key::F(2),
                b'R' => Key::F(3),
                b'S' => Key::F(4),
                _ => Key::Unknown,
            }),
            [b'[', rest @ ..] => {
                let last = *rest.last()?;
                if !(0x40..=0x7e).contains(&last) {
                    return None;
                }
                let params = rest.get(..rest.len().saturating_sub(1)).unwrap_or_default();
                Some(match (params, last) {
                    (_, b'A') => Key::Up,
                    (_, b'B') => Key::Down,
                    (_, b'C') => Key::Right,
                    (_, b'D') => Key::Left,
                    (_, b'H') => Key::Home,
                    (_, b'F') => Key::End,
                    (b"1" | b"7", b'~') => Key::Home,
                    (b"4" | b"8", b'~') => Key::End,
                    (b"2", b'~') => Key::Insert,
                    (b"3", b'~') => Key::Delete,
                    (b"5", b'~') => Key::PageUp,
                    (b"6", b'~') => Key::PageDown,
                    (b"11", b'~') => Key::F(1),
                    (b"12", b'~') => Key::F(2),
                    (b"13", b'~') => Key::F(3),
                    (b"14", b'~') => Key::F(4),
                    (b"15", b'~') => Key::F(5),
                    (b"17", b'~') => Key::F(6),
                    (b"18", b'~') => Key::F(7),
                    (b"19", b'~') => Key::F(8),
                    (b"20", b'~') => Key::F(9),
                    (b"21", b'~') => Key::F(10),
                    (b"23", b'~') => Key::F(11),
                    (b"24", b'~') => Key::F(12),
                    _ => Key::Unknown,
                })
            }
            _ => Some(Key::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut d = Decoder::default();
        let mut k = d.feed(bytes);
        k.extend(d.flush());
        k
    }

    #[test]
    fn vt100_and_xterm_cursor_keys() {
        assert_eq!(
            keys(b"\x1bOA\x1b[B\x1bOC\x1b[D"),
            [Key::Up, Key::Down, Key::Right, Key::Left]
        );
        assert_eq!(
            keys(b"\x1b[5~\x1b[6~\x1b[1~\x1b[4~\x1b[H\x1b[F\x1b[3~\x1b[21~"),
            [
                Key::PageUp,
                Key::PageDown,
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Delete,
                Key::F(10)
            ]
        );
        assert_eq!(
            keys(b"\x1bOP\x1bOS\x1b[15~\x1b[24~\x1b[2~"),
            [Key::F(1), Key::F(4), Key::F(5), Key::F(12), Key::Insert]
        );
        assert_eq!(keys(b"\x1b[1;5A"), [Key::Up]);
    }

    #[test]
    fn controls_and_lone_escape() {
        assert_eq!(
            keys(b"a\r\x18\x7f\x1b"),
            [
                Key::Char('a'),
                Key::Enter,
                Key::Ctrl('x'),
                Key::Backspace,
                Key::Esc
            ]
        );
        assert_eq!(keys(b"\x1b\x1b"), [Key::Esc, Key::Esc]);
        assert_eq!(keys(b"\x1b\r"), [Key::Esc, Key::Enter]);
    }

    #[test]
    fn a_sequence_split_across_reads() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[").is_empty());
        assert!(d.is_pending());
        assert_eq!(d.feed(b"6~"), [Key::PageDown]);
    }

    #[test]
    fn endless_sequences_are_dropped() {
        let mut junk = b"\x1b[".to_vec();
        junk.extend([b'1'; 100]);
        junk.push(b'x');
        let k = keys(&junk);
        assert!(
            k.iter().all(|k| matches!(k, Key::Unknown | Key::Char(_))),
            "{k:?}"
        );
    }
}

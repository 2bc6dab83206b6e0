//! The console the menu runs on: key input with time limits, output, and the size.
//!
//! The menu runs in the sandboxed child, on the descriptors it inherited (libxl's pty
//! as stdin and stdout). Everything here uses only calls the child's seccomp filter
//! allows: `read`, `write`, `poll` and the one `ioctl` that asks the window size. The
//! terminal was put into raw mode by the privileged parent, which also restores it
//! however the child ends (see [`super::raw_mode`]).

use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::keys::{Decoder, Key};

/// The size used when the terminal reports none: libxl opens its pty without a
/// window size, so a menu on `xl create -c` always gets this.
pub const DEFAULT_SIZE: Size = Size { cols: 80, rows: 24 };

/// Smallest size the menu lays itself out for; a smaller window is drawn as this and
/// cut by the terminal.
const MIN_SIZE: Size = Size { cols: 40, rows: 12 };

/// How long after an ESC the next byte must come to belong to the same sequence.
const ESC_PAUSE: Duration = Duration::from_millis(60);

/// Columns and rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
}

/// What waiting for a key gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A key.
    Key(Key),
    /// The time given passed without one.
    Timeout,
    /// The terminal is gone (hang-up or end of input).
    Closed,
    /// The menu's overall time (`--menu-timeout`) is over.
    Expired,
}

/// The menu's terminal.
pub struct Terminal<'a> {
    input: BorrowedFd<'a>,
    output: BorrowedFd<'a>,
    decoder: Decoder,
    queued: std::collections::VecDeque<Key>,
    /// Called on every key and every tick: tells the parent the menu is alive.
    heartbeat: &'a dyn Fn(),
    /// When the menu's overall time ends, if it does.
    ends: Option<Instant>,
}

impl<'a> Terminal<'a> {
    /// A terminal reading `input` and drawing on `output`.
    pub fn new(input: BorrowedFd<'a>, output: BorrowedFd<'a>, heartbeat: &'a dyn Fn()) -> Self {
        Terminal {
            input,
            output,
            decoder: Decoder::default(),
            queued: Default::default(),
            heartbeat,
            ends: None,
        }
    }

    /// Ends the menu's time at `at`: from then on [`Terminal::next`] says
    /// [`Input::Expired`].
    pub fn end_at(&mut self, at: Instant) {
        self.ends = Some(at);
    }

    /// Whether the menu's overall time is over.
    pub fn expired(&self) -> bool {
        self.ends.is_some_and(|e| Instant::now() >= e)
    }

    /// The window size, or [`DEFAULT_SIZE`] when the terminal has none.
    pub fn size(&self) -> Size {
        let mut ws = nix::libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        if window_size(self.output, &mut ws).is_err() || ws.ws_col == 0 || ws.ws_row == 0 {
            return DEFAULT_SIZE;
        }
        Size {
            cols: usize::from(ws.ws_col).max(MIN_SIZE.cols),
            rows: usize::from(ws.ws_row).max(MIN_SIZE.rows),
        }
    }

    /// Tells the parent the menu is alive (it then does not take the wait for a
    /// disk that hangs).
    pub fn beat(&self) {
        (self.heartbeat)();
    }

    /// Waits `d` without reading a key (a sleep the sandbox allows: `poll` on
    /// nothing), keeping the parent told that the menu is alive.
    pub fn pause(&self, d: Duration) {
        let end = Instant::now() + d;
        loop {
            (self.heartbeat)();
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let ms =
                u16::try_from(left.min(Duration::from_millis(500)).as_millis()).unwrap_or(u16::MAX);
            let _ = poll(&mut [], PollTimeout::from(ms));
        }
    }

    /// Writes `bytes` whole.
    pub fn write(&self, bytes: &[u8]) -> Result<(), String> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match nix::unistd::write(self.output, rest) {
                Ok(0) => return Err("the terminal accepts no more output".into()),
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                Err(e) => return Err(format!("writing to the terminal: {e}")),
            }
        }
        Ok(())
    }

    /// Whether a key is already waiting (read without waiting).
    pub fn key_waiting(&mut self) -> Result<bool, String> {
        if !self.queued.is_empty() {
            return Ok(true);
        }
        match self.next(Some(Duration::ZERO))? {
            Input::Key(k) => {
                self.queued.push_front(k);
                Ok(true)
            }
            Input::Timeout | Input::Expired => Ok(false),
            Input::Closed => Err("the terminal closed".into()),
        }
    }

    /// The next key, waiting at most `wait` (`None`: as long as it takes), and never
    /// past the end of the menu's time.
    pub fn next(&mut self, wait: Option<Duration>) -> Result<Input, String> {
        if self.expired() {
            return Ok(Input::Expired);
        }
        if let Some(k) = self.queued.pop_front() {
            (self.heartbeat)();
            return Ok(Input::Key(k));
        }
        let asked = wait.map(|w| Instant::now() + w);
        let deadline = match (asked, self.ends) {
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, e) => a.or(e),
        };
        loop {
            let left = match (deadline, self.decoder.is_pending()) {
                (_, true) => Some(ESC_PAUSE),
                (Some(d), false) => Some(d.saturating_duration_since(Instant::now())),
                (None, false) => None,
            };
            let ms = left.map_or(PollTimeout::NONE, |l| {
                PollTimeout::from(u16::try_from(l.as_millis()).unwrap_or(u16::MAX))
            });
            let mut fds = [PollFd::new(self.input.as_fd(), PollFlags::POLLIN)];
            let ready = match poll(&mut fds, ms) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(format!("waiting for a key: {e}")),
            };
            if ready == 0 {
                if self.decoder.is_pending() {
                    if let Some(k) = self.decoder.flush() {
                        (self.heartbeat)();
                        return Ok(Input::Key(k));
                    }
                    continue;
                }
                match deadline {
                    _ if self.expired() => return Ok(Input::Expired),
                    Some(d) if Instant::now() >= d => return Ok(Input::Timeout),
                    _ => continue,
                }
            }
            let revents = fds[0].revents().unwrap_or(PollFlags::empty());
            let mut buf = [0u8; 256];
            let n = if revents.contains(PollFlags::POLLIN) {
                match nix::unistd::read(self.input, &mut buf) {
                    Ok(n) => n,
                    Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => continue,
                    Err(e) => return Err(format!("reading a key: {e}")),
                }
            } else {
                0
            };
            if n == 0 {
                return Ok(Input::Closed);
            }
            self.queued
                .extend(self.decoder.feed(buf.get(..n).unwrap_or_default()));
            if let Some(k) = self.queued.pop_front() {
                (self.heartbeat)();
                return Ok(Input::Key(k));
            }
        }
    }
}

/// `TIOCGWINSZ`.
fn window_size(fd: BorrowedFd<'_>, ws: &mut nix::libc::winsize) -> nix::Result<()> {
    nix::ioctl_read_bad!(tiocgwinsz, nix::libc::TIOCGWINSZ, nix::libc::winsize);
    use std::os::fd::AsRawFd;
    // SAFETY: TIOCGWINSZ writes one `winsize` into the buffer given, which lives
    // for the call; the descriptor is borrowed and open.
    #[allow(unsafe_code)]
    unsafe { tiocgwinsz(fd.as_raw_fd(), ws) }.map(drop)
}

//! The console the menu is shown on, as the privileged parent prepares it.
//!
//! libxl runs the boot loader with its pty as stdin, stdout and stderr. The menu is
//! shown when stdin is a terminal and stdout (else stderr) is one, so that
//! `xlboot disk.img > reply` still shows it; otherwise (a pipe, `/dev/null`, the
//! tests' harness) the default boots as with `-q`.
//!
//! Besides raw mode, the parent makes a pipe the child writes a byte into while
//! the menu is up ([`super::terminal::Terminal::beat`]): each byte gives the child
//! another `--timeout` of wall-clock time, so that someone reading the menu is not
//! cut off by the limit meant for a disk that reads slowly. The child's CPU time
//! stays limited as before.

use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};

use super::raw_mode::RawMode;

/// The console, in raw mode while this lives.
pub struct Console {
    _raw: RawMode,
    /// The parent's end of the heartbeat pipe.
    pub beats: OwnedFd,
    /// The child's end.
    pub beat_writer: OwnedFd,
    /// The menu draws on stderr (stdout is not a terminal).
    pub on_stderr: bool,
}

impl Console {
    /// The console, if the menu can be shown on it.
    pub fn open() -> Result<Option<Console>, String> {
        let on_stderr = if !std::io::stdin().is_terminal() {
            return Ok(None);
        } else if std::io::stdout().is_terminal() {
            false
        } else if std::io::stderr().is_terminal() {
            true
        } else {
            return Ok(None);
        };
        let input = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| format!("the terminal: {e}"))?;
        let (beats, beat_writer) =
            nix::unistd::pipe().map_err(|e| format!("heartbeat pipe: {e}"))?;
        Ok(Some(Console {
            _raw: RawMode::enter(input)?,
            beats,
            beat_writer,
            on_stderr,
        }))
    }
}

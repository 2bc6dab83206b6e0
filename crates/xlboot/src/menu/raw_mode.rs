//! Raw mode on the menu's terminal, set and always restored by the privileged parent.
//!
//! The sandboxed child draws the menu and reads keys, but cannot change terminal
//! modes (its seccomp filter allows no `tcsetattr`), and a child killed at the
//! timeout or by a signal restores nothing. So the parent puts the terminal into raw
//! mode before it forks and puts the saved modes back when the child has ended, on
//! every path: normal return, error, timeout ([`RawMode`]'s `Drop`), and `SIGTERM`,
//! `SIGINT` or `SIGHUP` to the parent (libxl sends `SIGTERM` when the domain dies
//! or the console goes away): the handler only sets a flag, the parent's wait loop
//! sees it, kills the child, and unwinds through the `Drop`.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

/// The signal that asked the parent to stop, 0 if none.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signals after which the terminal is restored before xlboot exits.
const STOP_SIGNALS: [Signal; 3] = [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP];

/// The terminal in raw mode; dropping it restores the modes it had.
pub struct RawMode {
    fd: OwnedFd,
    saved: Termios,
}

impl RawMode {
    /// Puts `fd`'s terminal in raw mode: no line editing, no echo, no signals from
    /// keys (Ctrl-C reaches the menu as a key), no flow control, no CR/LF mapping;
    /// output processing stays as it was. Installs the stop-signal handlers.
    pub fn enter(fd: OwnedFd) -> Result<Self, String> {
        let saved = termios::tcgetattr(&fd).map_err(|e| format!("terminal modes: {e}"))?;
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN);
        raw.input_flags.remove(
            termios::InputFlags::IXON
                | termios::InputFlags::ICRNL
                | termios::InputFlags::INLCR
                | termios::InputFlags::IGNCR
                | termios::InputFlags::ISTRIP,
        );
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        install_stop_handlers();
        termios::tcsetattr(&fd, SetArg::TCSANOW, &raw)
            .map_err(|e| format!("raw terminal mode: {e}"))?;
        Ok(RawMode { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(&self.fd, SetArg::TCSANOW, &self.saved);
    }
}

/// The stop signal received, if any (checked by the parent's wait loop).
pub fn stop_requested() -> Option<Signal> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// Puts the default action back for the stop signals: the child must die of them,
/// not set a flag nobody reads.
pub fn default_stop_handlers() {
    for sig in STOP_SIGNALS {
        set_handler(sig, SigHandler::SigDfl);
    }
}

extern "C" fn on_stop(sig: nix::libc::c_int) {
    STOP_SIGNAL.store(sig, Ordering::SeqCst);
}

fn install_stop_handlers() {
    for sig in STOP_SIGNALS {
        set_handler(sig, SigHandler::Handler(on_stop));
    }
}

fn set_handler(sig: Signal, handler: SigHandler) {
    let action = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler only stores into an atomic, which is async-signal-safe, and
    // xlboot is single-threaded.
    #[allow(unsafe_code)]
    let _ = unsafe { nix::sys::signal::sigaction(sig, &action) };
}

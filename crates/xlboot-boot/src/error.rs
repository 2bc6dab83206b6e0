//! Errors of a boot decision, classed so that an administrator can tell a damaged disk
//! from a feature xlboot lacks from a file that is simply not there.

use alloc::string::String;
use core::fmt;

use xlboot_config::error::ConfigErrorKind;
use xlboot_config::ConfigError;
use xlboot_fs::FsError;

/// What kind of problem stopped the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The disk, a filesystem or a config contradicts its own format.
    Corrupt,
    /// Valid data that xlboot cannot read or evaluate yet.
    Unsupported,
    /// A file, device or entry that was asked for does not exist.
    NotFound,
    /// A budget ran out.
    Limit,
    /// The device could not be read.
    Io,
    /// The user's request cannot be met (an `--entry` that names nothing, a command
    /// line too long for the guest).
    Request,
}

/// A failed decision: its kind and a one-line message saying what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootError {
    /// The class of the problem.
    pub kind: ErrorKind,
    /// What went wrong, and where.
    pub message: String,
}

impl BootError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BootError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<FsError> for BootError {
    fn from(e: FsError) -> Self {
        let kind = match &e {
            FsError::Corrupt(_) => ErrorKind::Corrupt,
            FsError::Unsupported(_) => ErrorKind::Unsupported,
            FsError::NotFound(_) | FsError::WrongKind(_) => ErrorKind::NotFound,
            FsError::Limit(_) => ErrorKind::Limit,
            FsError::Io(_) => ErrorKind::Io,
        };
        BootError::new(kind, alloc::format!("{e}"))
    }
}

impl From<ConfigError> for BootError {
    fn from(e: ConfigError) -> Self {
        let kind = match e.kind {
            ConfigErrorKind::Syntax => ErrorKind::Corrupt,
            ConfigErrorKind::Unsupported => ErrorKind::Unsupported,
            ConfigErrorKind::Limit => ErrorKind::Limit,
            ConfigErrorKind::Host => ErrorKind::Io,
        };
        BootError::new(kind, alloc::format!("{e}"))
    }
}

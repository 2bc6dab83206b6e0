//! Filesystem errors, split the way an administrator needs them: is the disk damaged
//! (corrupt), is it something xlboot cannot read yet (unsupported), is the file simply
//! not there (not found), did a budget run out, or did the device fail?

use alloc::string::String;
use core::fmt;

use xlboot_disk::IoError;

/// A filesystem error. Messages say what and where (byte offset, inode, path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    /// On-disk data contradicts itself or the format.
    Corrupt(String),
    /// Valid data using a feature this reader does not implement.
    Unsupported(String),
    /// A path component does not exist.
    NotFound(String),
    /// A budget (symlink hops, directory entries, sizes) ran out.
    Limit(String),
    /// The wrong kind of object: a directory where a file was needed, and so on.
    WrongKind(String),
    /// The device could not be read.
    Io(IoError),
}

impl From<IoError> for FsError {
    fn from(e: IoError) -> Self {
        FsError::Io(e)
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::Corrupt(m) => write!(f, "corrupt filesystem: {m}"),
            FsError::Unsupported(m) => write!(f, "unsupported: {m}"),
            FsError::NotFound(m) => write!(f, "not found: {m}"),
            FsError::Limit(m) => write!(f, "limit reached: {m}"),
            FsError::WrongKind(m) => write!(f, "{m}"),
            FsError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

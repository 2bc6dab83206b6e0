//! Config errors: every one names the file and line it comes from.

use alloc::string::String;
use core::fmt;

/// Why a config could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file, as the boot loader names it, e.g. `(hd0,msdos1)/boot/grub/grub.cfg`.
    pub file: String,
    /// 1-based line number, 0 when the error is not about one line.
    pub line: u32,
    /// Which kind of problem.
    pub kind: ConfigErrorKind,
    /// What went wrong, for a person.
    pub message: String,
}

/// The class of a config error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The config is not valid in its language.
    Syntax,
    /// Valid, but uses something xlboot does not evaluate and that could change the
    /// entry chosen or its arguments, so xlboot will not guess.
    Unsupported,
    /// A budget (size, nesting, iterations, `source` depth) ran out.
    Limit,
    /// Reading a file the config asked for failed.
    Host,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ConfigErrorKind::Syntax => "syntax error",
            ConfigErrorKind::Unsupported => "unsupported",
            ConfigErrorKind::Limit => "limit reached",
            ConfigErrorKind::Host => "cannot read",
        };
        if self.line > 0 {
            write!(f, "{}:{}: {what}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {what}: {}", self.file, self.message)
        }
    }
}

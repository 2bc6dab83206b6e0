//! The one error type: which codec, which kind of failure, and why.

use core::fmt;

use crate::Codec;

/// Why decompression failed, in the three ways a caller must tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecompressErrorKind {
    /// The stream is damaged, truncated or contradicts its format.
    Corrupt,
    /// The output would be larger than the caller's `max_out`.
    TooLarge,
    /// A valid stream using a feature or size this crate does not decode (a zstd
    /// dictionary, an xz SHA-256 check, a window over the documented limit, a
    /// randomised bzip2 block).
    Unsupported,
}

/// A decompression failure: codec, kind and a short reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecompressError {
    /// The codec that was decoding.
    pub codec: Codec,
    /// Corrupt, too large or unsupported.
    pub kind: DecompressErrorKind,
    /// What exactly went wrong, for the administrator.
    pub detail: &'static str,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DecompressErrorKind::Corrupt => "corrupt",
            DecompressErrorKind::TooLarge => "too large",
            DecompressErrorKind::Unsupported => "unsupported",
        };
        write!(f, "{} data {kind}: {}", self.codec.name(), self.detail)
    }
}

//! The GRUB environment block (`grubenv`), read exactly as `grub-core/lib/envblk.c`
//! reads it.
//!
//! - The file must start with the signature `# GRUB Environment Block\n` and be at least
//!   one byte longer than it (`grub_envblk_open` compares `sizeof` of the signature,
//!   which counts the terminating NUL); otherwise GRUB refuses the whole block
//!   ("invalid environment block") and sets no variable.
//! - After the signature, lines starting with `#`, `\n` or `\r` are skipped (the `#`
//!   padding `grub-editenv` writes to fill 1024 bytes).
//! - Any other line is `name=value\n`; in the value a backslash takes the next byte
//!   literally (`grub-editenv` writes `\\` for a backslash and `\` + newline for a
//!   newline). A line without `=`, or whose value runs into the end of the block without
//!   a newline, stops the scan ("broken"): the variables before it are kept, as GRUB
//!   keeps them (it sets each variable as it reads it).
//! - The whole file is read, whatever its size (normally 1024 bytes).

use alloc::string::String;
use alloc::vec::Vec;

/// The signature every environment block starts with.
pub const SIGNATURE: &[u8] = b"# GRUB Environment Block\n";

/// Why a block was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvBlockError {
    /// Too short, or the signature does not match: GRUB sets nothing.
    BadSignature,
}

/// What was read from a block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvBlock {
    /// `(name, value)` pairs in block order (a later duplicate overrides an earlier one
    /// when applied in order, as GRUB sets them one by one).
    pub vars: Vec<(String, String)>,
    /// The scan stopped at a malformed line (the pairs before it are in `vars`).
    pub broken: bool,
}

fn to_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses an environment block.
pub fn parse(buf: &[u8]) -> Result<EnvBlock, EnvBlockError> {
    // `size < sizeof (GRUB_ENVBLK_SIGNATURE)`: sizeof counts the NUL.
    if buf.len() <= SIGNATURE.len() || !buf.starts_with(SIGNATURE) {
        return Err(EnvBlockError::BadSignature);
    }
    let mut out = EnvBlock::default();
    let mut p = SIGNATURE.len();
    let end = buf.len();
    // Every iteration advances p by at least one byte.
    while p < end {
        let c = buf.get(p).copied().unwrap_or(b'#');
        if c != b'#' && c != b'\n' && c != b'\r' {
            let name_start = p;
            while p < end && buf.get(p) != Some(&b'=') {
                p = p.saturating_add(1);
            }
            if p >= end {
                out.broken = true;
                return Ok(out);
            }
            let name_end = p;
            p = p.saturating_add(1);
            let value_start = p;
            while p < end {
                match buf.get(p) {
                    Some(b'\n') => break,
                    Some(b'\\') => p = p.saturating_add(2),
                    _ => p = p.saturating_add(1),
                }
            }
            if p >= end {
                out.broken = true;
                return Ok(out);
            }
            let mut value = Vec::new();
            let mut q = value_start;
            while q < p {
                match buf.get(q) {
                    Some(b'\\') => {
                        q = q.saturating_add(1);
                        if let Some(&b) = buf.get(q) {
                            value.push(b);
                        }
                    }
                    Some(&b) => value.push(b),
                    None => break,
                }
                q = q.saturating_add(1);
            }
            let name = buf.get(name_start..name_end).unwrap_or_default();
            out.vars.push((to_string(name), to_string(&value)));
        }
        // find_next_line: skip to just past the next unescaped newline.
        while p < end {
            match buf.get(p) {
                Some(b'\\') => p = p.saturating_add(2),
                Some(b'\n') => break,
                _ => p = p.saturating_add(1),
            }
        }
        p = p.saturating_add(1);
    }
    Ok(out)
}

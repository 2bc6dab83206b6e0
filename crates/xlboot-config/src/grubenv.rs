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
//!
//! It is also written as `grub-core/lib/envblk.c` writes it ([`set`], [`delete`],
//! [`save`]): in place, inside the block's own size. A changed value shifts the rest of
//! the block, the free space is the run of `#` at its end, a new variable goes at the
//! start of that run, a deleted line is refilled with `#` at the end. `save_env` reads
//! the block, applies every named variable in turn and writes it back only when all of
//! them fitted.

use alloc::string::String;
use alloc::vec::Vec;

/// The signature every environment block starts with.
pub const SIGNATURE: &[u8] = b"# GRUB Environment Block\n";

/// The size `grub-editenv` gives a new block (`DEFAULT_ENVBLK_SIZE`).
pub const DEFAULT_SIZE: usize = 1024;

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

/// Why `save_env` would not write a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// No signature: GRUB's "invalid environment block".
    BadSignature,
    /// A variable did not fit, or the block has no free space GRUB can find (no
    /// newline before its `#` padding): GRUB's "environment block too small". Holds
    /// the variable's name.
    TooSmall(String),
}

/// The free space of a block: the index just past the last byte that is not `#`
/// padding, if that byte is a newline (`grub_envblk_set`'s first loop; "broken"
/// otherwise).
fn free_start(buf: &[u8]) -> Option<usize> {
    let last = buf.iter().rposition(|&b| b != b'#')?;
    (buf.get(last) == Some(&b'\n')).then(|| last.saturating_add(1))
}

/// The end of the line starting at `p` (index of its unescaped newline, or `end` when
/// there is none): `find_next_line` without the final step.
fn line_end(buf: &[u8], mut p: usize, end: usize) -> usize {
    while p < end {
        match buf.get(p) {
            Some(b'\\') => p = p.saturating_add(2),
            Some(b'\n') => return p,
            _ => p = p.saturating_add(1),
        }
    }
    end
}

/// `value` as it is stored: backslash and newline preceded by a backslash.
fn escaped(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for &c in value {
        if c == b'\\' || c == b'\n' {
            out.push(b'\\');
        }
        out.push(c);
    }
    out
}

/// Whether the line at `p` starts with `name=` (`grub_memcmp (p, name, nl) == 0 &&
/// p[nl] == '='`).
fn names(buf: &[u8], p: usize, name: &[u8]) -> bool {
    let eq = p.saturating_add(name.len());
    buf.get(p..eq) == Some(name) && buf.get(eq) == Some(&b'=')
}

/// `grub_envblk_set`: sets `name` to `value` in place. Returns false (the block
/// unchanged) when it does not fit or the block is broken, as GRUB returns 0; also when
/// shrinking a value would make GRUB's refill run past the end of its buffer (less
/// `#` padding than twice the bytes freed), where what GRUB does is undefined.
pub fn set(buf: &mut [u8], name: &[u8], value: &[u8]) -> bool {
    // GRUB's strings end at a NUL.
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    let value = value.split(|&b| b == 0).next().unwrap_or_default();
    let pend = buf.len();
    if pend <= SIGNATURE.len() {
        return false;
    }
    let Some(space) = free_start(buf) else {
        return false;
    };
    let val = escaped(value);
    let vl = val.len();
    let nl = name.len();
    let mut p = SIGNATURE.len();
    // Each round moves p past at least one byte.
    while p.saturating_add(nl).saturating_add(1) < space {
        if names(buf, p, name) {
            let vstart = p.saturating_add(nl).saturating_add(1);
            // The current value's length, escapes counted (GRUB scans to `pend`).
            let vend = line_end(buf, vstart, pend);
            if vend >= pend {
                return false;
            }
            let len = vend.saturating_sub(vstart);
            if vl > len && pend.saturating_sub(space) < vl.saturating_sub(len) {
                return false;
            }
            if vl < len {
                // Shift the rest back. GRUB then fills `len - vl` bytes with '#' from
                // `space + len - vl`: inside the old padding, so normally a no-op; with
                // less padding than `2 * (len - vl)` that fill runs past GRUB's buffer
                // (undefined), so such a block is left alone.
                let shrink = len.saturating_sub(vl);
                let fill_start = space.saturating_add(shrink);
                let fill_end = fill_start.saturating_add(shrink);
                if fill_end > pend {
                    return false;
                }
                buf.copy_within(vend..pend, vstart.saturating_add(vl));
                if let Some(fill) = buf.get_mut(fill_start..fill_end) {
                    fill.fill(b'#');
                }
            } else {
                // Shift the rest forward; what falls off the end is padding.
                let dst = vstart.saturating_add(vl);
                let n = pend.saturating_sub(dst);
                buf.copy_within(vend..vend.saturating_add(n), dst);
            }
            return write_value(buf, vstart, &val);
        }
        p = line_end(buf, p, pend).saturating_add(1);
    }
    // Append at the start of the free space.
    if pend.saturating_sub(space) < nl.saturating_add(vl).saturating_add(2) {
        return false;
    }
    let Some(dst) = buf.get_mut(space..space.saturating_add(nl)) else {
        return false;
    };
    dst.copy_from_slice(name);
    let eq = space.saturating_add(nl);
    if let Some(b) = buf.get_mut(eq) {
        *b = b'=';
    }
    write_value(buf, eq.saturating_add(1), &val)
}

/// Writes an escaped value and its newline at `at`.
fn write_value(buf: &mut [u8], at: usize, val: &[u8]) -> bool {
    let end = at.saturating_add(val.len());
    match buf.get_mut(at..end) {
        Some(dst) => dst.copy_from_slice(val),
        None => return false,
    }
    match buf.get_mut(end) {
        Some(b) => {
            *b = b'\n';
            true
        }
        None => false,
    }
}

/// `grub_envblk_delete`: removes the first line setting `name`, shifting the rest
/// back and refilling the end with `#`. Nothing happens when there is none, or when
/// that line runs into the end of the block.
pub fn delete(buf: &mut [u8], name: &[u8]) {
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    let pend = buf.len();
    let nl = name.len();
    let mut p = SIGNATURE.len();
    while p.saturating_add(nl).saturating_add(1) < pend {
        if names(buf, p, name) {
            let vend = line_end(buf, p.saturating_add(nl).saturating_add(1), pend);
            if vend >= pend {
                return;
            }
            let len = vend.saturating_sub(p).saturating_add(1);
            buf.copy_within(p.saturating_add(len)..pend, p);
            if let Some(fill) = buf.get_mut(pend.saturating_sub(len)..pend) {
                fill.fill(b'#');
            }
            return;
        }
        p = line_end(buf, p, pend).saturating_add(1);
    }
}

/// `save_env`'s effect on a block: each variable in turn set to its value, or deleted
/// when it is unset (`None`). All or nothing: when one does not fit, GRUB writes
/// nothing, and neither does this.
pub fn save(block: &[u8], vars: &[(String, Option<String>)]) -> Result<Vec<u8>, SaveError> {
    if block.len() <= SIGNATURE.len() || !block.starts_with(SIGNATURE) {
        return Err(SaveError::BadSignature);
    }
    let mut buf = block.to_vec();
    for (name, value) in vars {
        match value {
            Some(v) => {
                if !set(&mut buf, name.as_bytes(), v.as_bytes()) {
                    return Err(SaveError::TooSmall(name.clone()));
                }
            }
            None => delete(&mut buf, name.as_bytes()),
        }
    }
    Ok(buf)
}

/// Whether a block is one `grub-editenv` could have written and that GRUB's `save_env`
/// will edit predictably: exactly [`DEFAULT_SIZE`] bytes, the signature, then only
/// `name=value` lines (values escaped, each ending in a newline), comment lines
/// without a backslash (one there would escape the comment's newline and hide the
/// lines after it from GRUB's reader) and empty lines, no variable twice, and then only
/// `#` padding.
/// Says what is wrong otherwise.
pub fn check_plain(block: &[u8]) -> Result<(), &'static str> {
    if block.len() != DEFAULT_SIZE {
        return Err("not the 1024 bytes grub-editenv writes");
    }
    if !block.starts_with(SIGNATURE) {
        return Err("no environment block signature");
    }
    let end = block.len();
    let mut p = SIGNATURE.len();
    let mut names: Vec<&[u8]> = Vec::new();
    // Each round moves p past at least one byte.
    while p < end {
        let rest = block.get(p..).unwrap_or_default();
        match rest.first() {
            Some(b'#') => match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    if rest.get(..nl).is_some_and(|l| l.contains(&b'\\')) {
                        return Err("a comment line with a backslash");
                    }
                    p = p.saturating_add(nl).saturating_add(1);
                }
                None if rest.iter().all(|&b| b == b'#') => return Ok(()),
                None => return Err("something other than '#' padding after its last line"),
            },
            Some(b'\n') => p = p.saturating_add(1),
            Some(b'\r') => return Err("a line starting with a carriage return"),
            _ => {
                let nl = line_end(block, p, end);
                let line = block.get(p..nl).unwrap_or_default();
                if nl >= end || !line.contains(&b'=') || line.first() == Some(&b'=') {
                    return Err("a malformed line");
                }
                // GRUB edits the first of two lines with one name and reads the last.
                let name = line.split(|&b| b == b'=').next().unwrap_or_default();
                if names.contains(&name) {
                    return Err("a variable set twice");
                }
                names.push(name);
                p = nl.saturating_add(1);
            }
        }
    }
    // Full to the last byte, no padding left: still plain.
    Ok(())
}

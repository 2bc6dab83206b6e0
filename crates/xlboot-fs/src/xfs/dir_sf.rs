//! Short-form directories (`xfs_dir2_sf`): a small directory kept in the inode's data
//! fork. A header (entry count, whether inode numbers are 8 bytes, the parent's inode
//! number) and packed entries: name length, a 2-byte offset hint, the name, the file
//! type byte with `ftype`, and a 4- or 8-byte inode number. No `.` or `..` entries.

use alloc::format;

use super::EntryFn;
use crate::bytes::{be32, be64, u8_at};
use crate::FsError;

/// Calls `f` for each entry of the short-form directory `fork` of inode `ino`;
/// `size` is the inode size (the bytes of the fork in use).
pub(crate) fn walk(
    fork: &[u8],
    size: u64,
    ino: u64,
    ftype: bool,
    f: &mut EntryFn<'_>,
) -> Result<(), FsError> {
    let bad =
        |what: &str| FsError::Corrupt(format!("xfs: short-form directory inode {ino}: {what}"));
    let used = usize::try_from(size)
        .ok()
        .filter(|&s| s <= fork.len())
        .ok_or_else(|| bad(&format!("size {size} over its {}-byte fork", fork.len())))?;
    let b = fork.get(..used).unwrap_or(&[]);
    let count = u8_at(b, 0).ok_or_else(|| bad("no header"))?;
    let wide = u8_at(b, 1).ok_or_else(|| bad("no header"))? != 0;
    let ino_len = if wide { 8 } else { 4 };
    let mut pos = 2usize.saturating_add(ino_len);
    if pos > b.len() {
        return Err(bad("header truncated"));
    }
    let extra = usize::from(ftype);
    for i in 0..count {
        let namelen =
            usize::from(u8_at(b, pos).ok_or_else(|| bad(&format!("entry {i} truncated")))?);
        let name_at = pos.saturating_add(3);
        let ino_at = name_at.saturating_add(namelen).saturating_add(extra);
        let end = ino_at.saturating_add(ino_len);
        if namelen == 0 || end > b.len() {
            return Err(bad(&format!("entry {i} (byte {pos}) runs past the fork")));
        }
        let name = b
            .get(name_at..name_at.saturating_add(namelen))
            .unwrap_or(&[]);
        let child = if wide {
            be64(b, ino_at)
        } else {
            be32(b, ino_at).map(u64::from)
        }
        .ok_or_else(|| bad(&format!("entry {i} truncated")))?;
        if f(name, child)?.is_break() {
            return Ok(());
        }
        pos = end;
    }
    Ok(())
}

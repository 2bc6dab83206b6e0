//! Directory listings in the directory table: runs of up to 256 entries, each run
//! behind a header that holds what its entries share (the inode table block of their
//! inodes and a base inode number). An entry holds its inode's offset in that block,
//! its inode number as a signed difference from the base, a type, and its name
//! (1 to 256 bytes). `.` and `..` are not stored.
//!
//! Extended directories also carry an index in their inode: for every metadata block
//! the listing crosses, the listing offset and block of the first header in it and the
//! first name after that header. Names are sorted (bytewise, as mksquashfs sorts), so
//! a lookup starts at the last index entry whose name is not after the one sought,
//! as Linux does, instead of at the listing's start.

use alloc::format;
use alloc::vec;
use core::ops::ControlFlow;

use xlboot_disk::BlockDevice;

use super::inode::DirInode;
use super::metadata::{MetaPos, MetaReader, METADATA_SIZE};
use super::Squashfs;
use crate::FsError;

/// Most entries behind one header.
const MAX_RUN: u32 = 256;
/// Longest name.
const MAX_NAME: usize = 256;
/// Bytes of a header: count - 1, inode block, base inode number.
const HEADER: u32 = 12;
/// Bytes of an entry before its name: offset, inode difference, type, name size - 1.
const ENTRY: u32 = 8;
/// Largest entry type (basic types only: 1 directory to 7 socket).
const MAX_ENTRY_TYPE: u16 = 7;

/// The callback of a listing walk: gets each entry's name and inode reference, and may
/// stop the walk or fail it.
pub(crate) type EntryFn<'a> = dyn FnMut(&[u8], u64) -> Result<ControlFlow<()>, FsError> + 'a;

/// Where to start reading a listing: the position, and how many listing bytes lie
/// before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start {
    pub at: MetaPos,
    pub skipped: u32,
}

/// The start of a directory's listing.
pub(crate) fn listing_start<D: BlockDevice>(fs: &Squashfs<D>, dir: &DirInode) -> Start {
    Start {
        at: MetaPos {
            block: fs.sb.directory_table.saturating_add(u64::from(dir.block)),
            offset: usize::from(dir.offset),
        },
        skipped: 0,
    }
}

/// Where a lookup of `name` may start, from the directory index (the listing's start
/// if there is none or `name` sorts before every indexed name).
pub(crate) fn index_start<D: BlockDevice>(
    fs: &Squashfs<D>,
    dir: &DirInode,
    ino: u32,
    name: &[u8],
) -> Result<Start, FsError> {
    let mut best = listing_start(fs, dir);
    if dir.index_count == 0 {
        return Ok(best);
    }
    let bad =
        |what: &str| FsError::Corrupt(format!("squashfs: directory inode {ino}, index: {what}"));
    let mut r = MetaReader::new(fs, dir.index_at, fs.inode_table());
    let mut entry_name = vec![0u8; MAX_NAME];
    let mut last_offset = 0u32;
    for _ in 0..dir.index_count {
        let offset = r.u32()?;
        let block = r.u32()?;
        let len = usize::try_from(r.u32()?)
            .ok()
            .and_then(|l| l.checked_add(1))
            .filter(|&l| l <= MAX_NAME)
            .ok_or_else(|| bad("name longer than 256 bytes"))?;
        let entry = entry_name
            .get_mut(..len)
            .ok_or_else(|| bad("name length"))?;
        r.read(entry)?;
        if &*entry > name {
            break;
        }
        if offset < last_offset || offset >= dir.listing {
            return Err(bad(&format!(
                "listing offset {offset} out of order or past the listing ({} bytes)",
                dir.listing
            )));
        }
        last_offset = offset;
        let in_block = usize::from(dir.offset)
            .saturating_add(usize::try_from(offset).unwrap_or(usize::MAX))
            .checked_rem(METADATA_SIZE)
            .unwrap_or(0);
        best = Start {
            at: MetaPos {
                block: fs.sb.directory_table.saturating_add(u64::from(block)),
                offset: in_block,
            },
            skipped: offset,
        };
    }
    Ok(best)
}

/// Calls `f(name, inode reference, inode number)` for the entries of a listing from
/// `start` on, until `f` breaks or the listing ends.
pub(crate) fn walk<D: BlockDevice>(
    fs: &Squashfs<D>,
    dir: &DirInode,
    ino: u32,
    start: Start,
    f: &mut EntryFn<'_>,
) -> Result<(), FsError> {
    let bad = |at: u32, what: &str| {
        FsError::Corrupt(format!(
            "squashfs: directory inode {ino}, listing byte {at}: {what}"
        ))
    };
    let mut r = MetaReader::new(fs, start.at, fs.directory_table());
    let mut name = vec![0u8; MAX_NAME];
    let mut done = start.skipped;
    // Each header and entry consumes listing bytes, and the listing is finite.
    while done < dir.listing {
        if dir.listing.saturating_sub(done) < HEADER {
            return Err(bad(done, "truncated header"));
        }
        let count = r.u32()?.saturating_add(1);
        let block = r.u32()?;
        let _base = r.u32()?;
        done = done.saturating_add(HEADER);
        if count > MAX_RUN {
            return Err(bad(
                done,
                &format!("{count} entries behind one header (at most 256)"),
            ));
        }
        for _ in 0..count {
            let offset = r.u16()?;
            let _inode_diff = r.u16()?;
            let kind = r.u16()?;
            let len = usize::from(r.u16()?).saturating_add(1);
            let Some(entry) = name.get_mut(..len) else {
                return Err(bad(done, "name longer than 256 bytes"));
            };
            r.read(entry)?;
            done = done
                .saturating_add(ENTRY)
                .saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
            if done > dir.listing {
                return Err(bad(done, "entry runs past the listing"));
            }
            if kind == 0 || kind > MAX_ENTRY_TYPE {
                return Err(bad(done, &format!("entry type {kind}")));
            }
            if usize::from(offset) >= METADATA_SIZE {
                return Err(bad(done, &format!("inode offset {offset}")));
            }
            if entry.contains(&b'/') || entry == b"." || entry == b".." {
                return Err(bad(done, "entry name is \".\", \"..\" or holds '/'"));
            }
            let iref = (u64::from(block) << 16) | u64::from(offset);
            if f(entry, iref)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

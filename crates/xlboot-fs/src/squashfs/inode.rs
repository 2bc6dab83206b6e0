//! Inodes: a 16-byte common header (type, permissions, uid and gid indexes, mtime,
//! inode number), then a body per type, basic or extended. They are packed in the
//! inode table's metadata blocks and named by a reference: the block's offset from the
//! table start (bits 16 to 47) and the offset inside the decompressed block (bits 0 to
//! 15).
//!
//! Extended inodes add 64-bit sizes, sparse counts, link counts and an xattr index;
//! extended attributes are never read, so the index is skipped.

use alloc::format;

use xlboot_disk::BlockDevice;

use super::metadata::{MetaPos, MetaReader, METADATA_SIZE};
use super::Squashfs;
use crate::{FileKind, FsError};

/// Basic and extended inode types.
const BASIC_DIR: u16 = 1;
const BASIC_FILE: u16 = 2;
const BASIC_SYMLINK: u16 = 3;
const EXT_DIR: u16 = 8;
const EXT_FILE: u16 = 9;
const EXT_SYMLINK: u16 = 10;
/// Types 4 to 7 are block and character devices, FIFOs and sockets; 11 to 14 their
/// extended forms.
const LAST_TYPE: u16 = 14;

/// "No fragment": the file has no tail end in a fragment block.
pub(crate) const NO_FRAGMENT: u32 = u32::MAX;
/// Longest symlink target Linux accepts from squashfs (a page).
pub(crate) const MAX_SYMLINK: u32 = 4096;
/// Most directory index entries an inode may claim: one per 8 KiB metadata block of a
/// directory listing of at most 4 GiB.
const MAX_INDEX_COUNT: u32 = 1 << 19;

/// A parsed inode.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    /// Its reference (the node id).
    pub iref: u64,
    /// The inode number stored in it, for messages.
    pub number: u32,
    pub body: Body,
}

/// What an inode holds, by kind.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Dir(DirInode),
    File(FileInode),
    Symlink {
        /// Target length in bytes.
        len: u32,
        /// Where the target starts in the inode table.
        at: MetaPos,
    },
    /// A device, FIFO or socket.
    Other,
}

/// Where a directory's listing is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirInode {
    /// Offset of the listing's first metadata block from the directory table start.
    pub block: u32,
    /// Offset of the listing inside that block's decompressed bytes.
    pub offset: u16,
    /// Bytes of listing (the stored size minus the 3 of the invented `.` and `..`).
    pub listing: u32,
    /// Number of directory index entries (extended directories only).
    pub index_count: u32,
    /// Where the index entries start (just after the inode).
    pub index_at: MetaPos,
}

/// Where a regular file's data is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileInode {
    /// Disk offset of the first data block.
    pub blocks_start: u64,
    /// File size in bytes.
    pub size: u64,
    /// Fragment table index of the tail end, or [`NO_FRAGMENT`].
    pub fragment: u32,
    /// Offset of the tail end inside the decompressed fragment block.
    pub frag_offset: u32,
    /// Number of full-size (or last, without a fragment) data blocks.
    pub block_count: u64,
    /// Where the list of block sizes (u32 each) starts.
    pub sizes_at: MetaPos,
}

impl Inode {
    /// The kind callers see.
    pub(crate) fn kind(&self) -> FileKind {
        match self.body {
            Body::Dir(_) => FileKind::Directory,
            Body::File(_) => FileKind::Regular,
            Body::Symlink { .. } => FileKind::Symlink,
            Body::Other => FileKind::Other,
        }
    }

    /// Size in bytes: the file size, the listing size plus 3 (as `stat` shows a
    /// squashfs directory) or the link length.
    pub(crate) fn size(&self) -> u64 {
        match &self.body {
            Body::Dir(d) => u64::from(d.listing).saturating_add(3),
            Body::File(f) => f.size,
            Body::Symlink { len, .. } => u64::from(*len),
            Body::Other => 0,
        }
    }
}

/// Splits an inode reference into the block's offset from the table start and the
/// offset inside the block.
pub(crate) fn split_ref(iref: u64) -> Result<(u64, usize), FsError> {
    let block = iref >> 16;
    let offset = usize::from((iref & 0xffff) as u16);
    if block > u64::from(u32::MAX) || offset >= METADATA_SIZE {
        return Err(FsError::Corrupt(format!(
            "squashfs: inode reference {iref:#x} is malformed"
        )));
    }
    Ok((block, offset))
}

/// Reads the inode `iref` names.
pub(crate) fn read<D: BlockDevice>(fs: &Squashfs<D>, iref: u64) -> Result<Inode, FsError> {
    let (block, offset) = split_ref(iref)?;
    let table = fs.inode_table();
    let pos = MetaPos {
        block: table.start.saturating_add(block),
        offset,
    };
    let mut r = MetaReader::new(fs, pos, table);
    let kind = r.u16()?;
    r.skip(2 + 2 + 2 + 4)?; // permissions, uid, gid, mtime
    let number = r.u32()?;
    let bad = |what: &str| {
        FsError::Corrupt(format!(
            "squashfs: inode {number} (reference {iref:#x}): {what}"
        ))
    };
    if number == 0 || number > fs.sb.inode_count {
        return Err(bad(&format!(
            "inode number out of range (1 to {})",
            fs.sb.inode_count
        )));
    }
    let body = match kind {
        BASIC_DIR => {
            let block = r.u32()?;
            r.skip(4)?; // link count
            let size = r.u16()?;
            let offset = r.u16()?;
            r.skip(4)?; // parent inode
            dir_body(block, offset, u32::from(size), 0, r.pos(), &bad)?
        }
        EXT_DIR => {
            r.skip(4)?; // link count
            let size = r.u32()?;
            let block = r.u32()?;
            r.skip(4)?; // parent inode
            let index_count = u32::from(r.u16()?);
            let offset = r.u16()?;
            r.skip(4)?; // xattr index
            dir_body(block, offset, size, index_count, r.pos(), &bad)?
        }
        BASIC_FILE => {
            let start = u64::from(r.u32()?);
            let fragment = r.u32()?;
            let frag_offset = r.u32()?;
            let size = u64::from(r.u32()?);
            file_body(fs, start, size, fragment, frag_offset, r.pos(), &bad)?
        }
        EXT_FILE => {
            let start = r.u64()?;
            let size = r.u64()?;
            r.skip(8 + 4)?; // sparse bytes, link count
            let fragment = r.u32()?;
            let frag_offset = r.u32()?;
            r.skip(4)?; // xattr index
            file_body(fs, start, size, fragment, frag_offset, r.pos(), &bad)?
        }
        BASIC_SYMLINK | EXT_SYMLINK => {
            r.skip(4)?; // link count
            let len = r.u32()?;
            if len == 0 || len > MAX_SYMLINK {
                return Err(bad(&format!(
                    "symlink target of {len} bytes (1 to {MAX_SYMLINK})"
                )));
            }
            Body::Symlink { len, at: r.pos() }
        }
        4..=LAST_TYPE => Body::Other,
        other => return Err(bad(&format!("unknown inode type {other}"))),
    };
    Ok(Inode { iref, number, body })
}

/// A directory body, checked.
fn dir_body(
    block: u32,
    offset: u16,
    size: u32,
    index_count: u32,
    index_at: MetaPos,
    bad: &dyn Fn(&str) -> FsError,
) -> Result<Body, FsError> {
    if usize::from(offset) >= METADATA_SIZE {
        return Err(bad(&format!(
            "directory listing offset {offset} (below 8192)"
        )));
    }
    if index_count > MAX_INDEX_COUNT {
        return Err(bad(&format!("{index_count} directory index entries")));
    }
    Ok(Body::Dir(DirInode {
        block,
        offset,
        listing: size.saturating_sub(3),
        index_count,
        index_at,
    }))
}

/// A regular file body, checked against the image.
fn file_body<D: BlockDevice>(
    fs: &Squashfs<D>,
    blocks_start: u64,
    size: u64,
    fragment: u32,
    frag_offset: u32,
    sizes_at: MetaPos,
    bad: &dyn Fn(&str) -> FsError,
) -> Result<Body, FsError> {
    let bs = u64::from(fs.sb.block_size);
    // With a fragment, the tail (size mod block size) lives there and every block in
    // the list is full; without, the last block may be short.
    let block_count = if fragment == NO_FRAGMENT {
        size.div_ceil(bs)
    } else {
        if fragment >= fs.sb.fragment_count {
            return Err(bad(&format!(
                "fragment {fragment}, but the image has {}",
                fs.sb.fragment_count
            )));
        }
        if u64::from(frag_offset) >= bs {
            return Err(bad(&format!("fragment offset {frag_offset}")));
        }
        size.checked_div(bs).unwrap_or(0)
    };
    if blocks_start > fs.sb.bytes_used {
        return Err(bad(&format!(
            "data starts at byte {blocks_start}, past the image"
        )));
    }
    Ok(Body::File(FileInode {
        blocks_start,
        size,
        fragment,
        frag_offset,
        block_count,
        sizes_at,
    }))
}

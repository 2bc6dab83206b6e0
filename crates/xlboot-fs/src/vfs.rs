//! The interface every filesystem reader offers.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use crate::FsError;

/// A file, directory or link inside one filesystem (an inode number, or its like).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u64);

/// What kind of object a node is. Only [`FileKind::Regular`] files may be boot files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A device, FIFO, socket or anything else.
    Other,
}

/// What callers need to know about a node before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// Its kind.
    pub kind: FileKind,
    /// Its size in bytes (for a sparse file, the apparent size).
    pub size: u64,
}

/// How a stretch of a file's bytes is stored (see [`FileSystem::stored_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredRun {
    /// `len` bytes stored as they read, one run from volume byte `at`.
    Data {
        /// Volume byte offset of the first byte.
        at: u64,
        /// Bytes in the run.
        len: u64,
    },
    /// `len` bytes that read as zeros and take no space on the volume.
    Zeros {
        /// Bytes in the run.
        len: u64,
    },
}

/// Identity of a filesystem, as GRUB's `search` and `/etc/fstab` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsInfo {
    /// Short type name, as `grub-probe --target=fs` prints it (`ext2` for all of
    /// ext2/3/4, as GRUB does).
    pub fs_type: &'static str,
    /// The UUID formatted as GRUB formats it for `search --fs-uuid` (for ext4,
    /// lowercase `8-4-4-4-12` hex), if the filesystem has one.
    pub uuid: Option<String>,
    /// The label, if set.
    pub label: Option<String>,
}

/// A read-only filesystem. Implementations read through a
/// [`BlockDevice`](xlboot_disk::BlockDevice) and must never panic, loop without a bound
/// or allocate an amount chosen by the disk without a cap.
pub trait FileSystem {
    /// Type, UUID and label.
    fn info(&self) -> FsInfo;

    /// The root directory.
    fn root(&self) -> NodeId;

    /// Looks up one name (no `/`) in a directory. `Ok(None)` when it is not there.
    fn lookup(&self, dir: NodeId, name: &[u8]) -> Result<Option<NodeId>, FsError>;

    /// Kind and size of a node.
    fn metadata(&self, node: NodeId) -> Result<Metadata, FsError>;

    /// The target of a symbolic link, at most `max_len` bytes (longer is an error).
    fn read_link(&self, node: NodeId, max_len: usize) -> Result<Vec<u8>, FsError>;

    /// Reads file bytes at `offset` into `buf`; returns how many were read, which is
    /// less than `buf.len()` only at the end of the file. Holes read as zeros.
    fn read_at(&self, node: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize, FsError>;

    /// Calls `f` with each entry of a directory (`.` and `..` skipped) until it returns
    /// `Break` or the entries run out. At most `max_entries` entries are visited; more
    /// is an error, so a hostile directory cannot make a caller loop for ever.
    fn read_dir(
        &self,
        dir: NodeId,
        max_entries: usize,
        f: &mut dyn FnMut(&[u8], NodeId) -> ControlFlow<()>,
    ) -> Result<(), FsError>;

    /// Where bytes `offset..offset + len` of regular file `node` lie on the volume, if
    /// they are one contiguous run that holds exactly those bytes, so that writing
    /// there changes the file and nothing else (GRUB's `save_env` rewrites its
    /// environment block this way, through the block list it read the file with).
    /// Returns the volume byte offset of `offset`.
    ///
    /// An error when that is not so or not known: data not in plain blocks (inline,
    /// compressed, encrypted, a hole), split across runs, or a journal that holds a
    /// newer copy. The default refuses: a filesystem must show that in-place writes
    /// are safe before any are made.
    fn contiguous_range(&self, node: NodeId, offset: u64, len: u64) -> Result<u64, FsError> {
        let _ = (node, offset, len);
        Err(FsError::Unsupported(String::from(
            "in-place writes are not supported on this filesystem",
        )))
    }

    /// Where the bytes of regular file `node` from `offset` lie on the volume exactly as
    /// the file holds them, so that a caller with the volume's bytes at hand can copy
    /// them without passing them through this reader (an in-kernel copy of a kernel or
    /// initrd out of a raw image), or that they are a hole it need not read at all.
    /// [`StoredRun::Data`]: the first `len` bytes from `offset` are one run of plain
    /// data inside the volume, and [`FileSystem::read_at`] would return those very
    /// bytes. [`StoredRun::Zeros`]: the filesystem stores nothing for them (a hole, an
    /// unwritten extent) and `read_at` would return zeros. Either way `len` is at least
    /// 1, at most `max`, never past the end of the file. `None` when they are not
    /// stored as they read (inline, compressed or encrypted data, data whose checksums
    /// only this reader verifies, a journal replayed in memory that may hold a newer
    /// copy), when `offset` is at or past the end, or when the reader cannot tell: the
    /// caller then reads them with `read_at`. The default says `None`.
    fn stored_run(
        &self,
        node: NodeId,
        offset: u64,
        max: u64,
    ) -> Result<Option<StoredRun>, FsError> {
        let _ = (node, offset, max);
        Ok(None)
    }

    /// Whether this filesystem holds subvolumes (btrfs), so that where a path starts
    /// (see [`FileSystem::default_root`]) matters.
    fn has_subvolumes(&self) -> bool {
        false
    }

    /// The root directory of the subvolume a plain mount gives (btrfs: the default
    /// subvolume, `btrfs subvolume set-default`; the top level when none was set).
    /// Filesystems without subvolumes have one tree: their root.
    fn default_root(&self) -> Result<NodeId, FsError> {
        Ok(self.root())
    }

    /// The root directory of subvolume `id` (btrfs; 5 is the top level). `Ok(None)`
    /// when there is no such subvolume, or the filesystem has none.
    fn subvolume_root(&self, id: u64) -> Result<Option<NodeId>, FsError> {
        let _ = id;
        Ok(None)
    }

    /// Whether `node` is the root directory of a subvolume (btrfs), which is what a
    /// `subvol=` mount option or GRUB's `btrfs_subvol` must name. On a filesystem
    /// without subvolumes only the root is.
    fn is_subvolume_root(&self, node: NodeId) -> bool {
        node == self.root()
    }
}

/// The entry count a [`FileSystem::read_dir`] hands out, held against the caller's
/// `max_entries`, so that every filesystem enforces that bound, and words its refusal,
/// the same way.
pub(crate) struct EntryBudget {
    seen: usize,
    max: usize,
}

impl EntryBudget {
    /// A budget of `max` entries.
    pub(crate) fn new(max: usize) -> Self {
        EntryBudget { seen: 0, max }
    }

    /// Counts one more entry; past the budget, a limit error naming the directory as
    /// `dir()` describes it (e.g. `ext4: directory inode 12`).
    pub(crate) fn take(&mut self, dir: impl FnOnce() -> String) -> Result<(), FsError> {
        self.seen = self.seen.saturating_add(1);
        if self.seen > self.max {
            return Err(FsError::Limit(alloc::format!(
                "{} has more than {} entries",
                dir(),
                self.max
            )));
        }
        Ok(())
    }
}

//! Path resolution, once, for every filesystem.
//!
//! Symlinks in a guest are the guest's to write, so they are followed here and nowhere
//! else: absolute targets restart at the guest filesystem's root (never the host's),
//! relative targets continue from the link's own directory, `..` never climbs above
//! the root, and a hop budget (40, as Linux) stops loops. Paths, link targets and
//! nesting depth are capped too, so a hostile tree cannot make resolution run long or
//! allocate much.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::{FileKind, FileSystem, FsError, NodeId};

/// Budgets for one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathLimits {
    /// Symlinks followed in one resolution, all hops together (Linux: 40).
    pub max_hops: u32,
    /// Longest path, checked on the input and again on what remains to resolve after
    /// each symlink is substituted in (Linux's PATH_MAX is 4096).
    pub max_path_len: usize,
    /// Deepest directory nesting below the root.
    pub max_depth: usize,
    /// Longest symlink target read.
    pub max_link_len: usize,
}

impl Default for PathLimits {
    fn default() -> Self {
        PathLimits {
            max_hops: 40,
            max_path_len: 4096,
            max_depth: 256,
            max_link_len: 4096,
        }
    }
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// One step down from the root: the node, its name, and its kind.
struct Step {
    node: NodeId,
    name: Vec<u8>,
    kind: FileKind,
}

/// The walked path so far, for messages: `/a/b`.
fn walked(stack: &[Step]) -> String {
    if stack.is_empty() {
        return String::from("/");
    }
    let mut s = String::new();
    for st in stack {
        s.push('/');
        s.push_str(&String::from_utf8_lossy(&st.name));
    }
    s
}

/// Resolves `path` (relative paths are taken from the root) to a node, following
/// every symlink, the last component's included.
///
/// Errors: [`FsError::NotFound`] when a component is missing, [`FsError::WrongKind`]
/// when a non-directory is walked through, [`FsError::Limit`] when a budget runs out
/// (a symlink loop spends the hop budget), and whatever the filesystem reports.
pub fn resolve(fs: &dyn FileSystem, path: &[u8], limits: &PathLimits) -> Result<NodeId, FsError> {
    resolve_in(fs, fs.root(), path, limits)
}

/// [`resolve`] inside the tree whose root directory is `root` (a btrfs subvolume, as a
/// mount with `subvol=` or openSUSE's GRUB sees it): the path starts there, absolute
/// symlink targets restart there, and `..` never climbs above it.
pub fn resolve_in(
    fs: &dyn FileSystem,
    root: NodeId,
    path: &[u8],
    limits: &PathLimits,
) -> Result<NodeId, FsError> {
    let whole = show(path);
    if path.len() > limits.max_path_len {
        return Err(FsError::Limit(format!(
            "path of {} bytes is longer than {} bytes",
            path.len(),
            limits.max_path_len
        )));
    }
    let root_kind = fs.metadata(root)?.kind;
    if root_kind != FileKind::Directory {
        return Err(FsError::Corrupt(
            "filesystem root is not a directory".into(),
        ));
    }
    let mut stack: Vec<Step> = Vec::new();
    let mut pending: Vec<u8> = path.to_vec();
    let mut pos = 0usize;
    let mut hops = 0u32;

    // Each pass consumes one component of `pending`; `pending` is only replaced when a
    // symlink is followed, which spends the hop budget, so the loop is bounded by
    // max_hops * max_path_len passes.
    loop {
        let before = pos;
        while pending.get(pos) == Some(&b'/') {
            pos = pos.saturating_add(1);
        }
        if pos >= pending.len() {
            // A trailing slash asks for a directory, as in Linux: `/boot/vmlinuz/` is
            // an error, not the kernel.
            if pos > before {
                if let Some(last) = stack.last() {
                    if last.kind != FileKind::Directory {
                        return Err(FsError::WrongKind(format!(
                            "{whole}: {} is not a directory",
                            walked(&stack)
                        )));
                    }
                }
            }
            break;
        }
        let end = pending
            .get(pos..)
            .and_then(|r| r.iter().position(|&b| b == b'/'))
            .map_or(pending.len(), |i| pos.saturating_add(i));
        let name: Vec<u8> = pending.get(pos..end).unwrap_or(&[]).to_vec();
        pos = end;

        let (cur, cur_kind) = stack.last().map_or((root, root_kind), |s| (s.node, s.kind));
        if cur_kind != FileKind::Directory {
            return Err(FsError::WrongKind(format!(
                "{whole}: {} is not a directory",
                walked(&stack)
            )));
        }
        if name == b"." {
            continue;
        }
        if name == b".." {
            // At the root `..` is the root, as in Linux: a guest link cannot climb out.
            stack.pop();
            continue;
        }
        let Some(child) = fs.lookup(cur, &name)? else {
            let at = walked(&stack);
            let sep = if stack.is_empty() { "" } else { "/" };
            return Err(FsError::NotFound(format!(
                "{whole}: {at}{sep}{} does not exist",
                show(&name)
            )));
        };
        let kind = fs.metadata(child)?.kind;
        if kind == FileKind::Symlink {
            hops = hops.saturating_add(1);
            if hops > limits.max_hops {
                return Err(FsError::Limit(format!(
                    "{whole}: more than {} symbolic links followed (a loop?)",
                    limits.max_hops
                )));
            }
            let target = fs.read_link(child, limits.max_link_len)?;
            if target.is_empty() || target.contains(&0) {
                return Err(FsError::Corrupt(format!(
                    "{whole}: symbolic link {}/{} has an empty target or one with a NUL byte",
                    walked(&stack),
                    show(&name)
                )));
            }
            if target.first() == Some(&b'/') {
                stack.clear();
            }
            // What followed the link (slashes included) is appended to its target.
            let rest = pending.get(pos..).unwrap_or(&[]);
            let new_len = target.len().saturating_add(rest.len());
            if new_len > limits.max_path_len {
                return Err(FsError::Limit(format!(
                    "{whole}: path grows past {} bytes through symbolic links",
                    limits.max_path_len
                )));
            }
            let mut next = Vec::with_capacity(new_len);
            next.extend_from_slice(&target);
            next.extend_from_slice(rest);
            pending = next;
            pos = 0;
            continue;
        }
        if stack.len() >= limits.max_depth {
            return Err(FsError::Limit(format!(
                "{whole}: nested deeper than {} directories",
                limits.max_depth
            )));
        }
        stack.push(Step {
            node: child,
            name,
            kind,
        });
    }
    Ok(stack.last().map_or(root, |s| s.node))
}

/// Resolves `path` like [`resolve`] and requires a regular file: only regular files
/// can be boot files (a directory, device or FIFO named as a kernel is an error,
/// [`FsError::WrongKind`], never something to read from).
pub fn resolve_file(
    fs: &dyn FileSystem,
    path: &[u8],
    limits: &PathLimits,
) -> Result<NodeId, FsError> {
    resolve_file_in(fs, fs.root(), path, limits)
}

/// [`resolve_file`] inside the tree whose root directory is `root` (see
/// [`resolve_in`]).
pub fn resolve_file_in(
    fs: &dyn FileSystem,
    root: NodeId,
    path: &[u8],
    limits: &PathLimits,
) -> Result<NodeId, FsError> {
    let node = resolve_in(fs, root, path, limits)?;
    let kind = fs.metadata(node)?.kind;
    let what = match kind {
        FileKind::Regular => return Ok(node),
        FileKind::Directory => "a directory",
        FileKind::Symlink => "a symbolic link",
        FileKind::Other => "not a regular file (a device, FIFO or socket)",
    };
    Err(FsError::WrongKind(format!("{} is {what}", show(path))))
}

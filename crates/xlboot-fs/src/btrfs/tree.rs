//! Reading trees: tree blocks through the chunk map, a bounded cache of checked
//! blocks, and the two searches everything else is built on (the last item at or
//! before a key, and the items from a key on, in order).
//!
//! Each step down checks what the parent promised: the child's level is one less, its
//! generation is the one in the key pointer (a stale or misdirected write shows here),
//! its first key is the pointer's key, and its owner is the tree being walked (for
//! subvolume trees, any subvolume: snapshots share blocks that their source owns).
//! Levels start below 8 and fall by one per step, so a walk is at most 8 blocks deep.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ops::ControlFlow;

use xlboot_disk::{BlockDevice, IoError};

use super::chunk::ChunkMap;
use super::key::{Key, FIRST_FREE_OBJECTID, FS_TREE_OBJECTID, LAST_FREE_OBJECTID};
use super::node::Node;
use super::superblock::Superblock;
use crate::FsError;

/// Memory the block cache may hold: 8 MiB (128 blocks of 64 KiB, 512 of 16 KiB).
const CACHE_BYTES: usize = 8 << 20;

/// Who may own the blocks of a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Exactly this tree (root tree, chunk tree).
    Tree(u64),
    /// Any subvolume tree (a snapshot shares its source's blocks).
    Subvolume,
}

/// Where a tree starts, and what its root block must say about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeRoot {
    pub bytenr: u64,
    pub level: u8,
    pub generation: u64,
    pub owner: Owner,
}

/// Checked blocks by logical address, dropped oldest first past [`CACHE_BYTES`].
#[derive(Debug, Default)]
struct Cache {
    nodes: BTreeMap<u64, Rc<Node>>,
    order: VecDeque<u64>,
    bytes: usize,
}

impl Cache {
    fn get(&self, bytenr: u64) -> Option<Rc<Node>> {
        self.nodes.get(&bytenr).cloned()
    }

    fn put(&mut self, node: Rc<Node>) {
        let size = node.size();
        // Evictions are bounded by the number of cached blocks.
        while self.bytes.saturating_add(size) > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(n) = self.nodes.remove(&old) {
                self.bytes = self.bytes.saturating_sub(n.size());
            }
        }
        self.order.push_back(node.bytenr);
        self.bytes = self.bytes.saturating_add(size);
        self.nodes.insert(node.bytenr, node);
    }
}

/// The devices, the superblock and chunk map, and the block cache.
pub(crate) struct Trees<D> {
    /// (devid, device): the device probed first (the superblock's), then the other
    /// devices of the filesystem found, one per devid.
    pub devs: Vec<(u64, D)>,
    pub sb: Superblock,
    pub chunks: ChunkMap,
    cache: RefCell<Cache>,
}

/// The copies of a logical address on the devices at hand (device, byte offset on
/// it), and how many bytes from there on stay contiguous on each.
pub(crate) type Here<'a, D> = (Vec<(&'a D, u64)>, u64);

/// A position: each level's block and slot, root first, leaf last.
type Path = Vec<(Rc<Node>, usize)>;

/// What [`Trees::iter_from`] calls with each item: its key and data.
pub(crate) type ItemFn<'a> = dyn FnMut(&Key, &[u8]) -> Result<ControlFlow<()>, FsError> + 'a;

impl<D: BlockDevice> Trees<D> {
    pub(crate) fn new(devs: Vec<(u64, D)>, sb: Superblock, chunks: ChunkMap) -> Self {
        Trees {
            devs,
            sb,
            chunks,
            cache: RefCell::new(Cache::default()),
        }
    }

    /// The copies of `logical` on the devices at hand (device and offset), and how
    /// many bytes from there on stay contiguous. An error naming the missing devices
    /// when no copy is on one of them.
    pub(crate) fn placement(&self, logical: u64) -> Result<Here<'_, D>, FsError> {
        let p = self.chunks.map(logical)?;
        let here: Vec<(&D, u64)> = p
            .copies
            .iter()
            .filter_map(|&(devid, off)| {
                self.devs
                    .iter()
                    .find(|(id, _)| *id == devid)
                    .map(|(_, d)| (d, off))
            })
            .collect();
        if here.is_empty() {
            let mut missing: Vec<u64> = p.copies.iter().map(|&(d, _)| d).collect();
            missing.sort_unstable();
            missing.dedup();
            let missing: Vec<String> = missing.iter().map(u64::to_string).collect();
            return Err(FsError::Unsupported(format!(
                "btrfs: logical address {logical} is kept only on devid {} of this \
                 filesystem, a device not found among the guest's disks",
                missing.join(", ")
            )));
        }
        Ok((here, p.left))
    }

    /// Reads `buf.len()` bytes at logical address `logical` (first copy), across
    /// chunk and stripe boundaries.
    pub(crate) fn read_logical(&self, logical: u64, buf: &mut [u8]) -> Result<(), FsError> {
        let mut done = 0usize;
        // Each pass reads at least one byte: a mapped place has bytes left.
        while done < buf.len() {
            let at = logical.checked_add(done as u64).ok_or_else(|| {
                FsError::Corrupt(format!("btrfs: logical address {logical} overflows"))
            })?;
            let (copies, left) = self.placement(at)?;
            let (dev, phys) = copies
                .first()
                .copied()
                .ok_or_else(|| FsError::Corrupt(format!("btrfs: logical {at} has no copy")))?;
            let want = buf.len().saturating_sub(done);
            let n = usize::try_from(left).map_or(want, |l| l.min(want));
            let end = done.saturating_add(n);
            let chunk = buf.get_mut(done..end).unwrap_or(&mut []);
            dev.read_exact_at(phys, chunk).map_err(|e| io(e, at))?;
            done = end;
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes at `logical` from copy `copy` (0 is the first; DUP and
    /// RAID1 have two), within one contiguous run. `Ok(None)` when there is no such
    /// copy; otherwise the device offset read.
    pub(crate) fn read_copy(
        &self,
        logical: u64,
        copy: usize,
        buf: &mut [u8],
    ) -> Result<Option<u64>, FsError> {
        let (copies, left) = self.placement(logical)?;
        let Some(&(dev, phys)) = copies.get(copy) else {
            return Ok(None);
        };
        if left < buf.len() as u64 {
            return Err(FsError::Corrupt(format!(
                "btrfs: data at logical {logical} crosses the end of its chunk or stripe"
            )));
        }
        dev.read_exact_at(phys, buf).map_err(|e| io(e, logical))?;
        Ok(Some(phys))
    }

    /// The checked block at `bytenr`, from the cache or the disk. Each copy (DUP,
    /// RAID1) is tried until one passes the checks.
    fn read_node(&self, bytenr: u64) -> Result<Rc<Node>, FsError> {
        if let Some(n) = self.cache.borrow().get(bytenr) {
            return Ok(n);
        }
        let size = usize::try_from(self.sb.nodesize).unwrap_or(65536);
        let (copies, left) = self.placement(bytenr)?;
        if left < size as u64 {
            return Err(FsError::Corrupt(format!(
                "btrfs: tree block at logical {bytenr} crosses the end of its chunk or stripe"
            )));
        }
        let mut first_err = None;
        for (dev, phys) in copies {
            let mut raw = vec![0u8; size];
            let r = dev
                .read_exact_at(phys, &mut raw)
                .map_err(|e| io(e, bytenr))
                .and_then(|()| Node::parse(raw, bytenr, self.sb.csum, &self.sb.meta_fsid));
            match r {
                Ok(node) => {
                    let node = Rc::new(node);
                    self.cache.borrow_mut().put(Rc::clone(&node));
                    return Ok(node);
                }
                Err(e @ FsError::Io(_)) => return Err(e),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| {
            FsError::Corrupt(format!("btrfs: tree block at logical {bytenr} has no copy"))
        }))
    }

    /// Checks what the path promised about `node`.
    fn check(
        &self,
        node: &Node,
        level: u8,
        generation: u64,
        first: Option<&Key>,
        root: &TreeRoot,
    ) -> Result<(), FsError> {
        let at = node.bytenr;
        let bad = |what: alloc::string::String| {
            Err(FsError::Corrupt(format!(
                "btrfs: tree block at logical {at}: {what}"
            )))
        };
        if node.level != level {
            return bad(format!("level {} where {level} was expected", node.level));
        }
        if node.generation != generation || generation > self.sb.generation {
            return bad(format!(
                "generation {} where {generation} was expected (superblock {})",
                node.generation, self.sb.generation
            ));
        }
        let owner_ok = match root.owner {
            Owner::Tree(t) => node.owner == t,
            Owner::Subvolume => {
                node.owner == FS_TREE_OBJECTID
                    || (FIRST_FREE_OBJECTID..=LAST_FREE_OBJECTID).contains(&node.owner)
            }
        };
        if !owner_ok {
            return bad(format!(
                "owned by tree {} ({:?} expected)",
                node.owner, root.owner
            ));
        }
        if let Some(k) = first {
            if node.key(0).as_ref() != Some(k) {
                return bad(format!("first key is not the parent's {k}"));
            }
        }
        Ok(())
    }

    fn root_node(&self, root: &TreeRoot) -> Result<Rc<Node>, FsError> {
        let n = self.read_node(root.bytenr)?;
        self.check(&n, root.level, root.generation, None, root)?;
        Ok(n)
    }

    fn child(&self, parent: &Node, slot: usize, root: &TreeRoot) -> Result<Rc<Node>, FsError> {
        let p = parent.ptr(slot).ok_or_else(|| {
            FsError::Corrupt(format!(
                "btrfs: tree block at logical {}: no key pointer {slot}",
                parent.bytenr
            ))
        })?;
        let n = self.read_node(p.blockptr)?;
        self.check(
            &n,
            parent.level.saturating_sub(1),
            p.generation,
            Some(&p.key),
            root,
        )?;
        Ok(n)
    }

    /// The last item whose key is `<= key`: its block and slot.
    pub(crate) fn find_le(
        &self,
        root: &TreeRoot,
        key: &Key,
    ) -> Result<Option<(Rc<Node>, usize)>, FsError> {
        let mut node = self.root_node(root)?;
        // Levels fall by one per step from below 8 (checked in `check`).
        loop {
            let Some(slot) = node.last_le(key) else {
                return Ok(None);
            };
            if node.level == 0 {
                return Ok(Some((node, slot)));
            }
            node = self.child(&node, slot, root)?;
        }
    }

    /// The item with exactly `key`: its data, copied.
    pub(crate) fn find_exact(
        &self,
        root: &TreeRoot,
        key: &Key,
    ) -> Result<Option<Vec<u8>>, FsError> {
        Ok(self
            .find_le(root, key)?
            .filter(|(n, s)| n.key(*s).as_ref() == Some(key))
            .map(|(n, s)| n.item_data(s).to_vec()))
    }

    /// Calls `f` with every item from the first whose key is `>= key` on, in key
    /// order, until it returns `Break` or the tree ends. More than `max_items` items
    /// visited is an error ([`FsError::Limit`]).
    pub(crate) fn iter_from(
        &self,
        root: &TreeRoot,
        key: &Key,
        max_items: usize,
        f: &mut ItemFn<'_>,
    ) -> Result<(), FsError> {
        let mut path: Path = Vec::new();
        let mut node = self.root_node(root)?;
        loop {
            let le = node.last_le(key);
            if node.level == 0 {
                let slot = match le {
                    Some(i) if node.key(i).as_ref() == Some(key) => i,
                    Some(i) => i.saturating_add(1),
                    None => 0,
                };
                path.push((node, slot));
                break;
            }
            let slot = le.unwrap_or(0);
            let child = self.child(&node, slot, root)?;
            path.push((node, slot));
            node = child;
        }
        let mut visited = 0usize;
        loop {
            let Some((leaf, slot)) = path.last_mut() else {
                return Ok(());
            };
            if *slot < leaf.nritems {
                visited = visited.saturating_add(1);
                if visited > max_items {
                    return Err(FsError::Limit(format!(
                        "btrfs: more than {max_items} items from {key}"
                    )));
                }
                let k = leaf.key(*slot).ok_or_else(|| {
                    FsError::Corrupt(format!(
                        "btrfs: tree block at logical {}: bad slot",
                        leaf.bytenr
                    ))
                })?;
                let leaf = Rc::clone(leaf);
                let s = *slot;
                if f(&k, leaf.item_data(s))?.is_break() {
                    return Ok(());
                }
                if let Some((_, slot)) = path.last_mut() {
                    *slot = slot.saturating_add(1);
                }
                continue;
            }
            // This leaf is done: climb to the nearest ancestor with a next child...
            path.pop();
            loop {
                let Some((n, s)) = path.last_mut() else {
                    return Ok(());
                };
                if s.saturating_add(1) < n.nritems {
                    *s = s.saturating_add(1);
                    break;
                }
                path.pop();
            }
            // ...and go down its leftmost edge (at most 7 steps).
            loop {
                let Some((n, s)) = path.last() else {
                    return Ok(());
                };
                if n.level == 0 {
                    break;
                }
                let child = self.child(n, *s, root)?;
                path.push((child, 0));
            }
        }
    }
}

/// A device error while reading logical address `at`: reads past the end mean the
/// filesystem points outside its volume (corrupt); the others pass through.
fn io(e: IoError, at: u64) -> FsError {
    match e {
        IoError::OutOfRange { .. } => FsError::Corrupt(format!("btrfs: logical address {at}: {e}")),
        other => FsError::Io(other),
    }
}

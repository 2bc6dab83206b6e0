//! The menu model every config format evaluates into, and the selection of an entry.

use alloc::string::String;
use alloc::vec::Vec;

use crate::host::FilePath;

/// What to boot: everything libxl needs, with files still on the guest's disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSpec {
    /// The kernel.
    pub kernel: FilePath,
    /// Initrds in load order; the boot loader concatenates them (see `initrd_padding`).
    pub initrds: Vec<FilePath>,
    /// The kernel command line, exactly as the boot loader would pass it.
    pub args: String,
}

/// A bootable menu entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Title as shown in the menu.
    pub title: String,
    /// Identifier (GRUB 2 `--id`), if any.
    pub id: Option<String>,
    /// Its kernel, initrds and command line, or why it cannot be booted by xlboot
    /// (for example a `chainloader` entry). Listing shows such entries; booting one is
    /// an error naming the reason.
    pub boot: Result<BootSpec, String>,
}

/// One item of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuItem {
    /// An entry that boots something.
    Entry(Entry),
    /// A submenu with its own items.
    Submenu {
        /// Title as shown in the menu.
        title: String,
        /// Identifier (GRUB 2 `--id`), if any.
        id: Option<String>,
        /// Its items, in menu order.
        items: Vec<MenuItem>,
    },
}

impl MenuItem {
    /// Its title.
    pub fn title(&self) -> &str {
        match self {
            MenuItem::Entry(e) => &e.title,
            MenuItem::Submenu { title, .. } => title,
        }
    }

    /// Its identifier, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            MenuItem::Entry(e) => e.id.as_deref(),
            MenuItem::Submenu { id, .. } => id.as_deref(),
        }
    }
}

/// Indices from the top menu down to an entry: `[1, 2]` is item 2 of the submenu that
/// is item 1 of the top menu (GRUB writes it `1>2`).
pub type EntryPath = Vec<usize>;

/// An evaluated boot menu.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Menu {
    /// Top-level items in menu order.
    pub items: Vec<MenuItem>,
    /// The entry the boot loader boots when nobody chooses, as the boot loader itself
    /// resolves its default rules. `None` when there is no bootable entry at all.
    pub default: Option<EntryPath>,
    /// Seconds the boot loader waits before booting the default; `None` waits for ever.
    pub timeout: Option<u64>,
}

//! The menu model every config format evaluates into, and the selection of an entry.

use alloc::string::String;
use alloc::vec::Vec;

use crate::host::FilePath;

/// What to boot: everything libxl needs, with files still on the guest's disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSpec {
    /// The kernel.
    pub kernel: FilePath,
    /// Initrds in load order. GRUB loads them as one ramdisk (`grub_initrd_load` in
    /// `grub-core/loader/linux.c`, used by the Xen loader too): the files are
    /// concatenated raw (no decompression), and before each file after the first, zero
    /// bytes are added so that the file starts at an offset that is a multiple of 4,
    /// i.e. after every file but the last, `(4 - size % 4) % 4` zero bytes. Nothing is
    /// added after the last file. (`newc:` initrd arguments, which wrap a file in a cpio
    /// header, are refused by the evaluator.)
    pub initrds: Vec<FilePath>,
    /// The kernel command line, exactly as the boot loader would pass it. For GRUB 2 on
    /// Xen (`grub-core/lib/cmdline.c`, `grub-core/loader/i386/xen.c`): the arguments
    /// after the kernel path, each written with `\`, `'` and `"` backslash-escaped and
    /// wrapped in double quotes if it contains a space, joined by single spaces; no
    /// `BOOT_IMAGE=` is added. Not cut at 1023 bytes as GRUB cuts it: the caller refuses
    /// a command line longer than a PV guest accepts.
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
    /// resolves its default rules. For GRUB 2: `default` resolved at each menu level
    /// (entry 0 when it names nothing); if that entry cannot be booted, the `fallback`
    /// entries in order; if none of those can be booted either, the default entry
    /// itself (its `boot` then says why it cannot boot). `None` only when the menu has
    /// no entry to reach (empty menu, or a default submenu with no items).
    pub default: Option<EntryPath>,
    /// Seconds the boot loader waits before booting the default; `None` waits for ever
    /// (GRUB: `timeout` unset, negative or not a number).
    pub timeout: Option<u64>,
    /// Which rule chose [`Menu::default`], for `-l` and `--debug`, e.g. `default="1>2"
    /// (path): entry 1 -> 1>2` or `default="ID" (saved_entry via grubenv) (id): entry 2`.
    /// Empty when the evaluator does not say.
    pub default_rule: String,
    /// How the boot loader's own menu shows itself and who may change what it boots:
    /// what the interactive menu needs beyond the entries.
    pub ui: MenuUi,
}

/// How the menu shows itself while the boot loader counts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeoutStyle {
    /// The menu is shown while counting down (GRUB 2 `timeout_style=menu`, the default
    /// of every loader).
    #[default]
    Menu,
    /// Only a line counting down is shown; a key shows the menu (GRUB 2
    /// `timeout_style=countdown`, GRUB legacy `hiddenmenu`, which prints
    /// "Press `ESC' to enter the menu... N").
    Countdown,
    /// Nothing is shown while waiting; a key shows the menu (GRUB 2
    /// `timeout_style=hidden`, syslinux `MENU HIDDEN`, systemd-boot `timeout 0`).
    Hidden,
}

/// A password as a boot config stores it. Checking one is the interactive menu's
/// business (it needs hashing, which this crate does not do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// Compared as is (GRUB legacy `password X`, GRUB 2 `password USER X`).
    Plain(String),
    /// An MD5 crypt hash, `$1$SALT$HASH` (GRUB legacy `password --md5`).
    Md5Crypt(String),
    /// `grub.pbkdf2.sha512.ITERATIONS.SALT.HASH` (GRUB 2 `password_pbkdf2`).
    Pbkdf2Sha512(String),
    /// A crypt(3) hash as syslinux's `MENU PASSWD` takes it: `$1$` (MD5), `$4$`
    /// (SHA-1), `$5$` (SHA-256) or `$6$` (SHA-512), salt and hash; which of these
    /// can be checked is the menu's business.
    Crypt(String),
}

/// Who may edit entries, use the command line and boot restricted entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MenuLock {
    /// Nobody needs a password.
    #[default]
    Open,
    /// GRUB legacy's global `password`: editing, the command line and entries with
    /// `lock` wait until `p` is pressed and the password given.
    Legacy(Secret),
    /// syslinux's `MENU MASTER PASSWD`: asked before a command line is edited, and
    /// taken in place of any entry's own password.
    Master(Secret),
    /// GRUB 2's `superusers` with the users its `password` and `password_pbkdf2`
    /// commands registered: a superuser's name and password unlock everything, a
    /// user listed in an entry's `--users` may boot that entry.
    Users {
        /// The names in `superusers`.
        superusers: Vec<String>,
        /// Registered users and their passwords, in command order (the last
        /// registration of a name wins, as in GRUB).
        users: Vec<(String, Secret)>,
    },
}

/// A menu item that asks for a password before it boots or opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    /// Where it is.
    pub path: EntryPath,
    /// Users besides the superusers who may boot it (GRUB 2 `--users`).
    pub users: Vec<String>,
    /// The entry's own password (a GRUB legacy `password` inside the entry), asked
    /// each time it boots, whatever else is unlocked.
    pub password: Option<Secret>,
}

/// What the interactive menu needs beyond the entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MenuUi {
    /// See [`TimeoutStyle`].
    pub style: TimeoutStyle,
    /// The wait in tenths of a second when the loader counts that finely (syslinux's
    /// `TIMEOUT`); [`Menu::timeout`] then holds it rounded up to seconds.
    pub timeout_tenths: Option<u64>,
    /// See [`MenuLock`].
    pub lock: MenuLock,
    /// Items that ask for a password (only when [`MenuUi::lock`] is not open, or
    /// for an item with its own password).
    pub restricted: Vec<Restriction>,
    /// Keys that boot (or open) an item at once (GRUB 2 `menuentry --hotkey`).
    pub hotkeys: Vec<Hotkey>,
    /// GRUB legacy `password PASS FILE`: the config the boot loader loads, in place
    /// of this one, once the password is given.
    pub unlock_config: Option<FilePath>,
}

/// A key that chooses a menu item while its menu is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hotkey {
    /// The item.
    pub path: EntryPath,
    /// The key.
    pub key: MenuKey,
}

/// A key as a config names it (GRUB 2's `--hotkey`: a character, or one of the
/// names of `hotkey_aliases` in `grub-core/commands/menuentry.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKey {
    /// A character key.
    Char(char),
    /// `backspace`.
    Backspace,
    /// `tab`.
    Tab,
    /// `delete`.
    Delete,
    /// `insert`.
    Insert,
    /// `esc`.
    Esc,
    /// `f1` to `f12`.
    F(u8),
}

impl MenuKey {
    /// GRUB's reading of a `--hotkey` value: an alias name, else its first byte (a
    /// byte that is not ASCII names no key GRUB can read, so `None`).
    pub fn from_grub_hotkey(value: &str) -> Option<MenuKey> {
        let named = match value {
            "backspace" => Some(MenuKey::Backspace),
            "tab" => Some(MenuKey::Tab),
            "delete" => Some(MenuKey::Delete),
            "insert" => Some(MenuKey::Insert),
            "esc" => Some(MenuKey::Esc),
            _ => (1..=12u8)
                .find(|n| alloc::format!("f{n}") == value)
                .map(MenuKey::F),
        };
        named.or_else(|| {
            let b = *value.as_bytes().first()?;
            b.is_ascii().then(|| MenuKey::Char(char::from(b)))
        })
    }
}

/// Splits a GRUB 2 user list (`superusers`, `--users`) into names, at the separators
/// GRUB's `grub_strword` uses: blanks, `,`, `;`, `|` and `&`.
pub fn user_names(list: &str) -> Vec<String> {
    list.split(|c: char| c.is_ascii_whitespace() || matches!(c, ',' | ';' | '|' | '&'))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// A title as one component of a `>` path: `>` doubled, as GRUB writes paths.
fn push_component(out: &mut String, title: &str) {
    for c in title.chars() {
        if c == '>' {
            out.push('>');
        }
        out.push(c);
    }
}

/// One entry of [`Menu::flatten`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatEntry<'a> {
    /// Indices from the top menu down to the entry.
    pub path: EntryPath,
    /// Titles from the top menu down to the entry, joined by `>` (a `>` inside a title
    /// doubled).
    pub title_path: String,
    /// The entry.
    pub entry: &'a Entry,
}

impl Menu {
    /// Every entry (not submenus) in menu order, depth first, with its path and its
    /// title path (`Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux
    /// 6.1.0-13-amd64`; a `>` inside a title is written `>>`, as in GRUB's `default`).
    ///
    /// This is the numbering `--entry N` and `-l` use (pygrub flattens submenus the same
    /// way). Submenus deeper than [`MAX_MENU_DEPTH`] are not listed.
    pub fn flatten(&self) -> Vec<FlatEntry<'_>> {
        let mut out = Vec::new();
        // Explicit stack instead of recursion: (items, next index, path, title prefix).
        let mut stack: Vec<(&[MenuItem], usize, EntryPath, String)> =
            alloc::vec![(self.items.as_slice(), 0, Vec::new(), String::new())];
        while let Some((items, idx, path, prefix)) = stack.pop() {
            let Some(item) = items.get(idx) else { continue };
            stack.push((items, idx.saturating_add(1), path.clone(), prefix.clone()));
            let mut p = path;
            p.push(idx);
            let mut title = prefix;
            if !title.is_empty() {
                title.push('>');
            }
            push_component(&mut title, item.title());
            match item {
                MenuItem::Entry(e) => out.push(FlatEntry {
                    path: p,
                    title_path: title,
                    entry: e,
                }),
                MenuItem::Submenu { items: sub, .. } => {
                    if p.len() < MAX_MENU_DEPTH {
                        stack.push((sub.as_slice(), 0, p, title));
                    }
                }
            }
        }
        out
    }

    /// The entry at `path`, if `path` leads to an entry.
    pub fn entry(&self, path: &[usize]) -> Option<&Entry> {
        crate::select::entry_at(self, path)
    }
}

/// Deepest submenu nesting a menu may have (evaluators refuse deeper ones).
pub const MAX_MENU_DEPTH: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_hotkey_values() {
        assert_eq!(MenuKey::from_grub_hotkey("x"), Some(MenuKey::Char('x')));
        // GRUB keeps the first byte of a longer value that names no key.
        assert_eq!(MenuKey::from_grub_hotkey("xyz"), Some(MenuKey::Char('x')));
        assert_eq!(MenuKey::from_grub_hotkey("tab"), Some(MenuKey::Tab));
        assert_eq!(MenuKey::from_grub_hotkey("f12"), Some(MenuKey::F(12)));
        assert_eq!(MenuKey::from_grub_hotkey("f13"), Some(MenuKey::Char('f')));
        assert_eq!(MenuKey::from_grub_hotkey("f01"), Some(MenuKey::Char('f')));
        assert_eq!(MenuKey::from_grub_hotkey("é"), None);
        assert_eq!(MenuKey::from_grub_hotkey(""), None);
    }
}

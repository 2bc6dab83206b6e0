//! GRUB 2 configs (`grub.cfg`), evaluated as GRUB 2 evaluates them.
//!
//! The script is lexed ([`lexer`]) and parsed ([`parser`]) following GRUB's own flex
//! and bison grammars, then run by an interpreter (`eval.rs`, built-in commands in
//! `commands.rs`) that keeps GRUB's variable contexts, function table, positional
//! parameters and `$?`. Running the top level registers menu entries and submenus;
//! then, as GRUB does when an entry is booted, each entry's body is run in the
//! context GRUB would give it, to learn its kernel, initrds and command line; each
//! submenu's body is run in a new context (exported variables only) to learn its
//! items. Finally `default` (and `fallback`) are resolved as `grub-core/normal/menu.c`
//! resolves them ([`crate::select`]).
//!
//! Nothing is ever executed on the host: the only effects are reads through
//! [`ConfigHost`]. Every loop, recursion and allocation is bounded by [`Limits`].

mod blscfg;
mod btrfs;
mod commands;
mod eval;
pub mod lexer;
pub mod parser;
mod regex;

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ConfigError;
use crate::host::{ConfigHost, FilePath};
use crate::menu::Menu;

/// Budgets for one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest config (and `source`d file) accepted, in bytes.
    pub max_config_size: usize,
    /// Most tokens (words, braces, delimiters) in one parsed script.
    pub max_tokens: usize,
    /// Deepest nesting of blocks, `if`s and loops (parser), and of commands inside
    /// commands (interpreter; GRUB itself stops at 64).
    pub max_depth: usize,
    /// Total loop iterations (all `for`/`while`/`until` loops together).
    pub max_loop_iterations: u64,
    /// Total commands executed (top level, entry and submenu bodies together).
    pub max_commands: u64,
    /// Deepest function call nesting.
    pub max_call_depth: usize,
    /// Deepest `source` nesting.
    pub max_source_depth: usize,
    /// Most menu items in one menu.
    pub max_entries: usize,
    /// Largest environment block (`load_env`) accepted, in bytes.
    pub max_env_size: usize,
    /// Longest single variable value or argument, in bytes.
    pub max_value_len: usize,
    /// Most bytes held in variables of one context.
    pub max_env_bytes: usize,
    /// Most arguments one command may expand to (and most bytes: `max_env_bytes`).
    pub max_args: usize,
    /// Most bytes of titles and arguments held by registered menu items, all menus.
    pub max_menu_bytes: usize,
    /// Most bytes copied while expanding words and entering entry/submenu contexts, for
    /// the whole evaluation: bounds the time a hostile config can take.
    pub max_work_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_config_size: 4 << 20,
            max_tokens: 256 << 10,
            max_depth: 64,
            max_loop_iterations: 100_000,
            max_commands: 1_000_000,
            max_call_depth: 32,
            max_source_depth: 8,
            max_entries: 4096,
            max_env_size: 1 << 20,
            max_value_len: 64 << 10,
            max_env_bytes: 4 << 20,
            max_args: 4096,
            max_menu_bytes: 16 << 20,
            max_work_bytes: 64 << 20,
        }
    }
}

/// Where and how a config is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalContext {
    /// Where the config was found, e.g. `(hd0,msdos1)/boot/grub/grub.cfg`. GRUB's
    /// `root` starts as its device, `prefix` as `(device)` + its directory.
    pub config: FilePath,
    /// Budgets.
    pub limits: Limits,
    /// `$grub_platform` (`xen` for the PV GRUB; `xen_pvh` for PVH).
    pub grub_platform: String,
    /// `$grub_cpu` (`x86_64` for the PV GRUB; `i386` for PVH).
    pub grub_cpu: String,
}

impl EvalContext {
    /// A context for the config at `config`, with default limits, as GRUB 2's
    /// `x86_64-xen` platform.
    pub fn new(config: FilePath) -> Self {
        EvalContext {
            config,
            limits: Limits::default(),
            grub_platform: String::from("xen"),
            grub_cpu: String::from("x86_64"),
        }
    }
}

/// The result of evaluating a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// The menu, its default and timeout.
    pub menu: Menu,
    /// Remarks for `--debug`: commands not evaluated because they only affect the
    /// display, writes not done (`save_env`), and the like. Deduplicated.
    pub notes: Vec<String>,
    /// What `echo` would print while GRUB reads the config (top level, sourced files and
    /// submenu bodies; not entry bodies), one string per line. Bounded.
    pub echoes: Vec<String>,
    /// The `save_env` commands GRUB would run, by where they run.
    pub env_saves: EnvSaves,
}

/// One `save_env` as GRUB would run it: the environment block file and each named
/// variable with its value at that moment (`None`: unset, so GRUB deletes it from the
/// block). See [`crate::grubenv::save`] for what it does to the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSave {
    /// The block file (`-f FILE`, else `$prefix/grubenv`).
    pub file: FilePath,
    /// The variables in command order.
    pub vars: Vec<(String, Option<String>)>,
    /// Where the command is, `file:line`, for messages.
    pub at: String,
}

/// The `save_env` commands of one evaluation, by where GRUB runs them: while reading
/// the config (always), in a submenu's body (when GRUB enters it), in an entry's body
/// (when GRUB boots it). Debian's `next_entry` clearing is in the first kind, the
/// `savedefault` and Ubuntu's `recordfail` functions in the last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSaves {
    /// Run while the config is read (top level, `source`d files, `configfile`).
    pub config: Vec<EnvSave>,
    /// One per item of [`Menu::items`], in the same order.
    pub items: Vec<ItemSaves>,
}

/// The `save_env` commands of one menu item's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSaves {
    /// An entry: its body's.
    Entry(Vec<EnvSave>),
    /// A submenu: its body's, and its items'.
    Submenu {
        /// Run when GRUB enters the submenu.
        body: Vec<EnvSave>,
        /// One per item of the submenu.
        items: Vec<ItemSaves>,
    },
}

impl EnvSaves {
    /// Every `save_env` GRUB runs, in order, when it boots the entry at `path` (as
    /// [`Menu::default`] or [`crate::select::find_entry`] give it): the config's, then
    /// the bodies of the submenus on the way, then the entry's.
    pub fn for_boot(&self, path: &[usize]) -> Vec<EnvSave> {
        let mut out = self.config.clone();
        let mut level = &self.items;
        for i in path {
            match level.get(*i) {
                Some(ItemSaves::Entry(s)) => {
                    out.extend(s.iter().cloned());
                    break;
                }
                Some(ItemSaves::Submenu { body, items }) => {
                    out.extend(body.iter().cloned());
                    level = items;
                }
                None => break,
            }
        }
        out
    }
}

/// Evaluates a GRUB 2 config as GRUB would, reading other files (`source`,
/// `load_env`, `search`, kernels' existence) only through `host`.
pub fn evaluate(
    source: &[u8],
    ctx: &EvalContext,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    eval::run(source, ctx, host)
}

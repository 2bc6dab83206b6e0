//! The GRUB 2 script interpreter: `grub-core/script/execute.c`, `kern/env.c`,
//! `normal/context.c` and the menu side of `normal/menu.c`, for one config.
//!
//! What it keeps, as GRUB keeps it:
//!
//! - **Variables** live in a context. Entering a submenu opens a new context holding
//!   copies of the *exported* variables only (`grub_env_context_open`); an entry's body
//!   runs in the context of the menu it belongs to (no new context), so it sees every
//!   variable set at that level. `root` has GRUB's write hook: a value `(dev)` is stored
//!   as `dev`. `export` of an unset variable creates it empty.
//! - **Functions** are one global table, defined when their definition is reached.
//!   Built-in commands win over functions of the same name.
//! - **Positional parameters** (`$1`, `$#`, `$@`, `$*`) exist inside functions and
//!   entry bodies (an entry's are its `menuentry` arguments, title first); at the top
//!   level they expand to nothing.
//! - **Words** expand like `grub_script_arglist_to_argv`: unquoted variables are split
//!   on white space, quoted ones are not; a word that expands to nothing at all is
//!   dropped, while `""` is an empty argument.
//! - **`$?`** is set after every command. An unknown command prints an error in GRUB
//!   yet leaves status 0; an argument `name=value` in command position sets a variable.
//!   xlboot refuses (`Unsupported`) to let the status of a command it does not know
//!   decide an `if`/`while`.
//! - **Menus**: after the top level has run, each entry body is run (in a copy of its
//!   level's final context, with `chosen` and `default` set as `grub_menu_execute_entry`
//!   sets them) to learn what it loads, and each submenu body is run in a new context to
//!   learn its items.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::commands;
use super::lexer::{tokenize, LexError, Part, Word};
use super::parser::{Cmd, Parser};
use super::{EnvSave, EnvSaves, EvalContext, Evaluated, ItemSaves, Limits};
use crate::error::{ConfigError, ConfigErrorKind};
use crate::host::{ConfigHost, Device, FilePath, PathRoot};
use crate::menu::{BootSpec, Entry, EntryPath, Menu, MenuItem, MAX_MENU_DEPTH};
use crate::select;

/// GRUB error numbers used as statuses (`include/grub/err.h`).
pub(crate) mod status {
    pub const OK: i32 = 0;
    pub const TEST_FAILURE: i32 = 1;
    pub const BAD_FILE_TYPE: i32 = 4;
    pub const FILE_NOT_FOUND: i32 = 5;
    pub const BAD_FS: i32 = 9;
    pub const BAD_NUMBER: i32 = 10;
    pub const OUT_OF_RANGE: i32 = 11;
    pub const INVALID_COMMAND: i32 = 17;
    pub const BAD_ARGUMENT: i32 = 18;
}

/// One variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    pub value: String,
    pub exported: bool,
}

/// One variable context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Vars {
    map: BTreeMap<String, Var>,
    bytes: usize,
}

/// `grub_env_write_root`: `(dev)` is stored as `dev`.
fn root_hook(value: &str) -> &str {
    if value.len() >= 2 && value.starts_with('(') && value.ends_with(')') {
        value.get(1..value.len().saturating_sub(1)).unwrap_or(value)
    } else {
        value
    }
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| v.value.as_str())
    }

    pub fn set(&mut self, name: &str, value: &str, limits: &Limits) -> Result<(), String> {
        let value = if name == "root" {
            root_hook(value)
        } else {
            value
        };
        if value.len() > limits.max_value_len || name.len() > limits.max_value_len {
            return Err(format!(
                "value of `{name}' longer than {} bytes",
                limits.max_value_len
            ));
        }
        let old = self
            .map
            .get(name)
            .map(|v| v.value.len().saturating_add(name.len()));
        let new_bytes = self
            .bytes
            .saturating_sub(old.unwrap_or(0))
            .saturating_add(value.len())
            .saturating_add(name.len());
        if new_bytes > limits.max_env_bytes {
            return Err(format!(
                "variables larger than {} bytes",
                limits.max_env_bytes
            ));
        }
        self.bytes = new_bytes;
        match self.map.get_mut(name) {
            Some(v) => {
                v.value = String::from(value);
            }
            None => {
                self.map.insert(
                    String::from(name),
                    Var {
                        value: String::from(value),
                        exported: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// `grub_env_unset`; a variable with a hook (`root`) is set empty instead.
    pub fn unset(&mut self, name: &str) {
        if name == "root" {
            if let Some(v) = self.map.get_mut(name) {
                self.bytes = self.bytes.saturating_sub(v.value.len());
                v.value.clear();
            }
            return;
        }
        if let Some(v) = self.map.remove(name) {
            self.bytes = self
                .bytes
                .saturating_sub(v.value.len().saturating_add(name.len()));
        }
    }

    pub fn export(&mut self, name: &str, limits: &Limits) -> Result<(), String> {
        if !self.map.contains_key(name) {
            self.set(name, "", limits)?;
        }
        if let Some(v) = self.map.get_mut(name) {
            v.exported = true;
        }
        Ok(())
    }

    /// The new context a submenu gets: exported variables only.
    pub fn exported(&self) -> Vars {
        let mut out = Vars::default();
        for (k, v) in &self.map {
            if v.exported {
                out.bytes = out
                    .bytes
                    .saturating_add(k.len())
                    .saturating_add(v.value.len());
                out.map.insert(k.clone(), v.clone());
            }
        }
        out
    }
}

/// A menu item registered by `menuentry`/`submenu`, body not yet run.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub title: String,
    pub id: Option<String>,
    pub args: Vec<String>,
    pub body: Rc<Vec<Cmd>>,
    pub submenu: bool,
    pub restricted: bool,
    /// `--users`: who besides the superusers may boot it.
    pub users: Option<String>,
    /// `--hotkey`: the key that chooses it at once.
    pub hotkey: Option<crate::MenuKey>,
    pub line: u32,
    pub file: String,
}

/// What an entry body loaded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loader {
    pub kernel: Option<(FilePath, String)>,
    pub initrds: Option<Vec<FilePath>>,
    /// Another kind of loader ran last (chainloader, multiboot ...).
    pub refused: Option<String>,
    /// Errors GRUB would print while loading (missing files ...).
    pub problems: Vec<String>,
    /// `boot` ran: the rest of the body does not.
    pub booted: bool,
    /// `configfile` ran and produced a menu: GRUB shows it instead of booting, and
    /// booting from it never comes back to the rest of the body.
    pub menu: Option<Replaced>,
}

/// Where the interpreter is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The config's top level (or a file it `source`s).
    Config,
    /// A submenu body.
    Submenu,
    /// A menu entry body.
    Entry,
}

/// The interpreter.
pub(crate) struct Interp<'h> {
    pub host: &'h dyn ConfigHost,
    pub limits: Limits,
    pub notes: Vec<String>,
    /// Output of `echo` at the top level, line by line.
    pub echoes: Vec<String>,
    /// The last echo had `-n`: the next one continues its line.
    echo_open: bool,
    pub functions: BTreeMap<String, Rc<Vec<Cmd>>>,
    pub vars: Vars,
    pub scope: Option<Vec<String>>,
    pub menu: Vec<Pending>,
    pub loader: Option<Loader>,
    pub file: String,
    pub mode: Mode,
    commands: u64,
    loop_iterations: u64,
    exec_depth: usize,
    call_depth: usize,
    pub source_depth: usize,
    pub function_return: bool,
    pub active_loops: u64,
    pub active_breaks: u64,
    pub is_continue: bool,
    /// The last command's status came from a command xlboot does not evaluate.
    pub unknown_status: Option<String>,
    devices: Option<Vec<Device>>,
    /// A `configfile` produced the menu GRUB shows instead of this one.
    replaced: Option<Replaced>,
    work_bytes: u64,
    pub menu_bytes: usize,
    /// BLS entries read by `blscfg`, newest first, kept for the whole run as GRUB
    /// keeps them.
    pub bls: Vec<super::blscfg::Loaded>,
    /// `blscfg` ran: the guest's GRUB is the Fedora/RHEL fork, which resolves `default`
    /// and `fallback` its own way ([`select::fedora_entry_number`]).
    pub fedora: bool,
    /// Variables `load_env` set, with the values read (the last read wins), so that
    /// `-l` can say where `default` came from.
    pub env_loaded: BTreeMap<String, String>,
    /// The `save_env` commands run in the current body (or at the top level).
    pub env_saves: Vec<EnvSave>,
    /// Environment blocks as earlier `save_env` commands on this path left them, by
    /// (device, path): what GRUB would read back from the disk.
    pub env_overlay: BTreeMap<(String, String), Vec<u8>>,
    /// The `regexp` module is loaded (`insmod regexp`, or `regexp` run): GRUB now
    /// expands `*` and `?` in unquoted words as file name patterns.
    pub regexp_loaded: bool,
    /// Users registered by `password` and `password_pbkdf2`, in command order.
    pub passwords: Vec<(String, crate::Secret)>,
    /// openSUSE's btrfs module state (`btrfs_subvol`, `btrfs-mount-subvol`).
    pub btrfs: super::btrfs::Btrfs,
}

const MAX_NOTES: usize = 512;
const MAX_NOTE_LEN: usize = 400;
const MAX_ECHO_LINES: usize = 1000;
/// Work charged for one question to the host, so that loops cannot make unbounded I/O.
const HOST_CALL_COST: usize = 4096;

impl<'h> Interp<'h> {
    pub fn err(&self, kind: ConfigErrorKind, line: u32, message: String) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line,
            kind,
            message,
        }
    }

    pub fn note(&mut self, mut s: String) {
        if s.len() > MAX_NOTE_LEN {
            let mut cut = MAX_NOTE_LEN;
            while !s.is_char_boundary(cut) {
                cut = cut.saturating_sub(1);
            }
            s.truncate(cut);
            s.push_str("...");
        }
        if self.notes.len() < MAX_NOTES && !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }

    /// Records what `echo` prints (bounded: [`MAX_ECHO_LINES`] lines of at most
    /// [`MAX_NOTE_LEN`] bytes).
    pub fn echo(&mut self, text: String, no_newline: bool) {
        let mut lines: Vec<String> = text.split('\n').map(ToString::to_string).collect();
        if self.echo_open {
            if let (Some(last), Some(first)) = (self.echoes.last_mut(), lines.first()) {
                if last.len().saturating_add(first.len()) <= MAX_NOTE_LEN {
                    last.push_str(first);
                }
            }
            if !lines.is_empty() {
                lines.remove(0);
            }
        }
        for l in lines {
            if self.echoes.len() >= MAX_ECHO_LINES {
                break;
            }
            let mut l = l;
            if l.len() > MAX_NOTE_LEN {
                let mut cut = MAX_NOTE_LEN;
                while !l.is_char_boundary(cut) {
                    cut = cut.saturating_sub(1);
                }
                l.truncate(cut);
            }
            self.echoes.push(l);
        }
        self.echo_open = no_newline;
    }

    pub fn set_var(&mut self, name: &str, value: &str, line: u32) -> Result<(), ConfigError> {
        if let Some(done) = self.btrfs.set(name, value) {
            if !done {
                self.note(format!(
                    "{}:{line}: `{name}={value}' refused: not a number",
                    self.file
                ));
            }
            return Ok(());
        }
        let limits = self.limits.clone();
        self.vars
            .set(name, value, &limits)
            .map_err(|m| self.err(ConfigErrorKind::Limit, line, m))
    }

    pub fn export_var(&mut self, name: &str, line: u32) -> Result<(), ConfigError> {
        let limits = self.limits.clone();
        self.vars
            .export(name, &limits)
            .map_err(|m| self.err(ConfigErrorKind::Limit, line, m))
    }

    /// The guest's devices, in GRUB's scan order (asked once).
    pub fn devices(&mut self) -> Vec<Device> {
        if self.devices.is_none() {
            self.devices = Some(self.host.devices());
        }
        self.devices.clone().unwrap_or_default()
    }

    /// Resolves a GRUB file name: `(dev)/path`, or `/path` on `$root`.
    pub fn resolve_file(&self, name: &str) -> Result<FilePath, String> {
        let (dev, path) = if let Some(rest) = name.strip_prefix('(') {
            let close = rest
                .find(')')
                .ok_or_else(|| format!("missing `)' in `{name}'"))?;
            (
                rest.get(..close).unwrap_or_default().to_string(),
                rest.get(close.saturating_add(1)..)
                    .unwrap_or_default()
                    .to_string(),
            )
        } else {
            match self.vars.get("root") {
                Some(r) if !r.is_empty() => (r.to_string(), name.to_string()),
                _ => return Err(String::from("variable `root' isn't set")),
            }
        };
        let device = self
            .host
            .canonical_device(&dev)
            .ok_or_else(|| format!("disk `{dev}' not found"))?;
        if !path.starts_with('/') {
            return Err(format!("invalid file name `{name}'"));
        }
        Ok(self.file_on(device, path))
    }

    /// The file `path` names on `device` (canonical), with the btrfs view GRUB's
    /// btrfs module would open it with (see [`super::btrfs`]).
    pub fn file_on(&self, device: String, path: String) -> FilePath {
        let (path, root) = if self.host.has_subvolumes(&device) {
            let relative = super::btrfs::relative(&self.vars);
            self.btrfs.root_for(relative, &device, path)
        } else {
            (path, PathRoot::Top)
        };
        FilePath { device, path, root }
    }

    fn tick_command(&mut self, line: u32) -> Result<(), ConfigError> {
        self.commands = self.commands.saturating_add(1);
        if self.commands > self.limits.max_commands {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                format!("more than {} commands executed", self.limits.max_commands),
            ));
        }
        Ok(())
    }

    /// Charges `bytes` of copying to the evaluation's work budget.
    pub fn charge(&mut self, bytes: usize, line: u32) -> Result<(), ConfigError> {
        self.work_bytes = self
            .work_bytes
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
        if self.work_bytes > self.limits.max_work_bytes {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                format!(
                    "more than {} bytes of work (expansions, copies, reads)",
                    self.limits.max_work_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Charges one question to the host (a file lookup or read) to the work budget.
    pub fn host_call(&mut self, line: u32) -> Result<(), ConfigError> {
        self.charge(HOST_CALL_COST, line)
    }

    fn tick_loop(&mut self, line: u32) -> Result<(), ConfigError> {
        self.loop_iterations = self.loop_iterations.saturating_add(1);
        if self.loop_iterations > self.limits.max_loop_iterations {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                format!(
                    "more than {} loop iterations",
                    self.limits.max_loop_iterations
                ),
            ));
        }
        Ok(())
    }

    fn set_status(&mut self, ret: i32, line: u32) -> Result<(), ConfigError> {
        self.set_var("?", &ret.to_string(), line)
    }

    fn stopped(&self) -> bool {
        self.loader
            .as_ref()
            .is_some_and(|l| l.booted || l.menu.is_some())
            || self.replaced.is_some()
    }

    /// `configfile` at the top level (`commands/configfile.c`): GRUB opens a new
    /// context (exported variables only) and a new menu, runs the file, and shows that
    /// menu at once; booting its default never returns. So when the file yields a
    /// menu, it replaces everything, and the rest of this config is not run; when it
    /// yields none, GRUB comes back and goes on.
    pub fn configfile(
        &mut self,
        cmds: &[Cmd],
        fp: &FilePath,
        line: u32,
    ) -> Result<i32, ConfigError> {
        let name = fp.to_string();
        let dir = match fp.path.rfind('/') {
            Some(i) => format!("({}){}", fp.device, fp.path.get(..i).unwrap_or_default()),
            None => format!("({})", fp.device),
        };
        self.charge(self.vars.bytes, line)?;
        let mut vars = self.vars.exported();
        let limits = self.limits.clone();
        for (k, v) in [
            ("config_file", name.as_str()),
            ("config_directory", dir.as_str()),
        ] {
            vars.set(k, v, &limits)
                .and_then(|()| vars.export(k, &limits))
                .map_err(|m| self.err(ConfigErrorKind::Limit, line, m))?;
        }
        let saved_vars = core::mem::replace(&mut self.vars, vars);
        let saved_menu = core::mem::take(&mut self.menu);
        let saved_file = core::mem::replace(&mut self.file, name);
        let saved_scope = self.scope.take();
        // Kept raised while the new menu's bodies run: an entry of it may run
        // `configfile' again.
        self.source_depth = self.source_depth.saturating_add(1);
        let saved_mode = core::mem::replace(&mut self.mode, Mode::Config);
        let saved_loader = self.loader.take();
        let r = self.exec_list(cmds).and_then(|_| {
            if self.replaced.is_some() {
                return Ok(());
            }
            let pending = core::mem::take(&mut self.menu);
            if pending.is_empty() {
                return Ok(());
            }
            let vars = self.vars.clone();
            let (items, info) = self.build_level(pending, &vars, None, 0, true)?;
            self.replaced = Some(Replaced { items, info, vars });
            Ok(())
        });
        self.source_depth = self.source_depth.saturating_sub(1);
        self.mode = saved_mode;
        self.loader = saved_loader;
        if self.mode == Mode::Entry {
            let menu = self.replaced.take();
            if let Some(l) = self.loader.as_mut() {
                l.menu = menu;
            }
        }
        self.file = saved_file;
        self.scope = saved_scope;
        self.menu = saved_menu;
        self.vars = saved_vars;
        r?;
        Ok(status::OK)
    }

    /// `grub_script_execute_cmdlist`.
    pub fn exec_list(&mut self, cmds: &[Cmd]) -> Result<i32, ConfigError> {
        let mut ret = status::OK;
        for cmd in cmds {
            if self.active_breaks > 0 {
                break;
            }
            ret = self.exec_cmd(cmd)?;
            if self.function_return || self.stopped() {
                break;
            }
        }
        Ok(ret)
    }

    fn cmd_line(cmd: &Cmd) -> u32 {
        match cmd {
            Cmd::Simple { line, .. }
            | Cmd::If { line, .. }
            | Cmd::For { line, .. }
            | Cmd::While { line, .. }
            | Cmd::Function { line, .. } => *line,
        }
    }

    /// `grub_script_execute_cmd`: depth-checked, sets `$?`.
    fn exec_cmd(&mut self, cmd: &Cmd) -> Result<i32, ConfigError> {
        // A function definition is not a command in GRUB: the parser records it, and
        // nothing runs, so `$?` is left alone.
        if let Cmd::Function { name, body, .. } = cmd {
            self.functions.insert(name.clone(), Rc::clone(body));
            return Ok(status::OK);
        }
        let line = Self::cmd_line(cmd);
        self.tick_command(line)?;
        if self.exec_depth >= self.limits.max_depth {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                String::from("maximum recursion depth exceeded"),
            ));
        }
        self.exec_depth = self.exec_depth.saturating_add(1);
        let r = self.exec_cmd_inner(cmd, line);
        self.exec_depth = self.exec_depth.saturating_sub(1);
        let ret = r?;
        self.set_status(ret, line)?;
        Ok(ret)
    }

    fn check_condition(&mut self, line: u32) -> Result<(), ConfigError> {
        if let Some(c) = self.unknown_status.take() {
            return Err(self.err(
                ConfigErrorKind::Unsupported,
                line,
                format!(
                    "a condition depends on the status of `{c}', which xlboot does not evaluate"
                ),
            ));
        }
        Ok(())
    }

    fn exec_cmd_inner(&mut self, cmd: &Cmd, line: u32) -> Result<i32, ConfigError> {
        match cmd {
            Cmd::Simple { words, block, .. } => {
                self.unknown_status = None;
                let argv = self.expand_words(words, line)?;
                let Some((first, rest)) = argv.split_first() else {
                    return Ok(status::OK);
                };
                if first == "!" {
                    let Some((name, args)) = rest.split_first() else {
                        return Ok(status::BAD_ARGUMENT);
                    };
                    let ret = self.dispatch(name, args, block.as_ref(), line)?;
                    return Ok(match ret {
                        status::TEST_FAILURE => status::OK,
                        status::OK => status::TEST_FAILURE,
                        _ => status::OK,
                    });
                }
                self.dispatch(first, rest, block.as_ref(), line)
            }
            Cmd::If {
                cond,
                then,
                otherwise,
                ..
            } => {
                let ret = self.exec_list(cond)?;
                self.set_status(ret, line)?;
                if self.function_return {
                    return Ok(ret);
                }
                self.check_condition(line)?;
                if ret == status::OK {
                    self.exec_list(then)
                } else {
                    self.exec_list(otherwise)
                }
            }
            Cmd::For {
                var, words, body, ..
            } => {
                let items = self.expand_words(words, line)?;
                self.active_loops = self.active_loops.saturating_add(1);
                let mut result = Ok(status::OK);
                for item in items {
                    if self.is_continue && self.active_breaks == 1 {
                        self.active_breaks = 0;
                    }
                    if self.active_breaks > 0 {
                        break;
                    }
                    if let Err(e) = self.tick_loop(line) {
                        result = Err(e);
                        break;
                    }
                    if let Err(e) = self.set_var(var, &item, line) {
                        result = Err(e);
                        break;
                    }
                    result = self.exec_list(body);
                    if result.is_err() || self.function_return || self.stopped() {
                        break;
                    }
                }
                if self.active_breaks > 0 {
                    self.active_breaks = self.active_breaks.saturating_sub(1);
                }
                self.active_loops = self.active_loops.saturating_sub(1);
                result
            }
            Cmd::While {
                until, cond, body, ..
            } => {
                self.active_loops = self.active_loops.saturating_add(1);
                let result = self.exec_while(*until, cond, body, line);
                if self.active_breaks > 0 {
                    self.active_breaks = self.active_breaks.saturating_sub(1);
                }
                self.active_loops = self.active_loops.saturating_sub(1);
                result
            }
            Cmd::Function { name, body, .. } => {
                self.functions.insert(name.clone(), Rc::clone(body));
                Ok(status::OK)
            }
        }
    }

    fn exec_while(
        &mut self,
        until: bool,
        cond: &[Cmd],
        body: &[Cmd],
        line: u32,
    ) -> Result<i32, ConfigError> {
        let mut result;
        loop {
            self.tick_loop(line)?;
            result = self.exec_list(cond)?;
            if self.function_return {
                break;
            }
            self.check_condition(line)?;
            let stop = if until {
                result == status::OK
            } else {
                result != status::OK
            };
            if stop {
                break;
            }
            result = self.exec_list(body)?;
            if self.function_return || self.stopped() {
                break;
            }
            if self.active_breaks == 1 && self.is_continue {
                self.active_breaks = 0;
            }
            if self.active_breaks > 0 {
                break;
            }
        }
        Ok(result)
    }

    fn dispatch(
        &mut self,
        name: &str,
        args: &[String],
        block: Option<&Rc<super::parser::Block>>,
        line: u32,
    ) -> Result<i32, ConfigError> {
        // A block is an argument like any other for commands other than `menuentry`
        // and `submenu`: `{` + its source text + `}` (`grub_script_arglist_to_argv`).
        let with_block: Vec<String>;
        let args = match block {
            Some(b) if name != "menuentry" && name != "submenu" => {
                let mut v = args.to_vec();
                v.push(format!("{{{}}}", b.source));
                with_block = v;
                with_block.as_slice()
            }
            _ => args,
        };
        if let Some(r) = commands::builtin(self, name, args, block, line) {
            return r;
        }
        if let Some(body) = self.functions.get(name).cloned() {
            return self.call_function(&body, args, line);
        }
        if let Some((var, value)) = name.split_once('=') {
            // `grub_script_env_set` refuses the special names.
            let special = var.bytes().next().is_some_and(|c| c.is_ascii_digit())
                || matches!(var, "#" | "*" | "@");
            if !special {
                self.set_var(var, value, line)?;
            }
            return Ok(status::OK);
        }
        self.note(format!(
            "{}:{line}: unknown command `{name}' not evaluated",
            self.file
        ));
        self.unknown_status = Some(String::from(name));
        Ok(status::OK)
    }

    /// `grub_script_function_call`.
    pub fn call_function(
        &mut self,
        body: &[Cmd],
        args: &[String],
        line: u32,
    ) -> Result<i32, ConfigError> {
        if self.call_depth >= self.limits.max_call_depth {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                format!(
                    "function calls nested deeper than {}",
                    self.limits.max_call_depth
                ),
            ));
        }
        self.call_depth = self.call_depth.saturating_add(1);
        let saved_scope = self.scope.replace(args.to_vec());
        let saved_loops = core::mem::take(&mut self.active_loops);
        let r = self.exec_list(body);
        self.function_return = false;
        self.active_loops = saved_loops;
        self.scope = saved_scope;
        self.call_depth = self.call_depth.saturating_sub(1);
        r
    }

    /// Values of a variable reference, as `grub_script_env_get` returns them.
    fn var_values(&self, name: &str, quoted: bool) -> Vec<String> {
        let special = name.bytes().next().is_some_and(|c| c.is_ascii_digit())
            || matches!(name, "#" | "*" | "@");
        let split_or_whole = |v: &str| -> Vec<String> {
            if quoted {
                alloc::vec![v.to_string()]
            } else {
                split_ws(v)
            }
        };
        if !special {
            if let Some(v) = self.btrfs.get(name) {
                return if v.is_empty() {
                    Vec::new()
                } else {
                    split_or_whole(&v)
                };
            }
            return match self.vars.get(name) {
                Some(v) if !v.is_empty() => split_or_whole(v),
                _ => Vec::new(),
            };
        }
        let Some(args) = self.scope.as_ref() else {
            return Vec::new();
        };
        match name {
            "#" => alloc::vec![args.len().to_string()],
            "*" => {
                if quoted {
                    alloc::vec![args.join(" ")]
                } else {
                    args.iter().flat_map(|a| split_ws(a)).collect()
                }
            }
            "@" => {
                if quoted {
                    args.clone()
                } else {
                    args.iter().flat_map(|a| split_ws(a)).collect()
                }
            }
            _ => {
                let n = match select::grub_strtoull(name, 10) {
                    (Some(n), true, _) => n,
                    _ => 0,
                };
                if n == 0 {
                    return Vec::new();
                }
                let idx = usize::try_from(n.saturating_sub(1)).unwrap_or(usize::MAX);
                match args.get(idx) {
                    Some(a) => split_or_whole(a),
                    None => Vec::new(),
                }
            }
        }
    }

    /// `$"..."` after translation (none): `parse_string` with `gettext_putvar`.
    fn gettext(&self, s: &str) -> String {
        let b = s.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        let mut escaped = false;
        let mut i = 0usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'\\' => {
                    escaped = !escaped;
                    if !escaped {
                        out.push(b'\\');
                    }
                    i = i.saturating_add(1);
                }
                b'$' => {
                    if escaped {
                        escaped = false;
                        out.push(b'$');
                        i = i.saturating_add(1);
                        continue;
                    }
                    i = i.saturating_add(1);
                    let start = i;
                    let name: &[u8] = match b.get(i) {
                        Some(b'{') => {
                            let open = i.saturating_add(1);
                            let Some(close) = b
                                .get(open..)
                                .and_then(|r| r.iter().position(|&x| x == b'}'))
                                .map(|p| p.saturating_add(open))
                            else {
                                break;
                            };
                            i = close.saturating_add(1);
                            b.get(open..close).unwrap_or_default()
                        }
                        Some(d) if d.is_ascii_digit() => {
                            while b.get(i).is_some_and(u8::is_ascii_digit) {
                                i = i.saturating_add(1);
                            }
                            b.get(start..i).unwrap_or_default()
                        }
                        Some(d) if d.is_ascii_alphabetic() || *d == b'_' => {
                            while b
                                .get(i)
                                .is_some_and(|x| x.is_ascii_alphanumeric() || *x == b'_')
                            {
                                i = i.saturating_add(1);
                            }
                            b.get(start..i).unwrap_or_default()
                        }
                        Some(b'?' | b'#') => {
                            i = i.saturating_add(1);
                            b.get(start..i).unwrap_or_default()
                        }
                        _ => {
                            out.push(b'$');
                            continue;
                        }
                    };
                    let name = String::from_utf8_lossy(name);
                    if name == "#" {
                        if let Some(a) = &self.scope {
                            out.extend_from_slice(a.len().to_string().as_bytes());
                        }
                    } else if let Some(v) = self.btrfs.get(&name) {
                        out.extend_from_slice(v.as_bytes());
                    } else if let Some(v) = self.vars.get(&name) {
                        out.extend_from_slice(v.as_bytes());
                    }
                }
                _ => {
                    if escaped {
                        out.push(b'\\');
                    }
                    escaped = false;
                    out.push(c);
                    i = i.saturating_add(1);
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// `grub_script_arglist_to_argv` (without wildcard expansion, which GRUB does only
    /// with the `regexp` module loaded).
    pub fn expand_words(&mut self, words: &[Word], line: u32) -> Result<Vec<String>, ConfigError> {
        let mut out: Vec<Option<String>> = Vec::new();
        let max_len = self.limits.max_value_len;
        let max_args = self.limits.max_args;
        fn next(out: &mut Vec<Option<String>>) {
            if !matches!(out.last(), Some(None)) {
                out.push(None);
            }
        }
        fn append(out: &mut Vec<Option<String>>, s: &str) {
            match out.last_mut() {
                Some(Some(cur)) => cur.push_str(s),
                Some(slot @ None) => *slot = Some(s.to_string()),
                None => out.push(Some(s.to_string())),
            }
        }
        let mut wildcard = false;
        for w in words {
            next(&mut out);
            for part in &w.parts {
                match part {
                    Part::Text(s) => {
                        if s.contains(['*', '?']) {
                            wildcard = true;
                        }
                        if !s.is_empty() {
                            append(&mut out, s);
                        }
                    }
                    Part::Quoted(s) => append(&mut out, s),
                    Part::Var { name, quoted } => {
                        for (i, v) in self.var_values(name, *quoted).iter().enumerate() {
                            if i != 0 {
                                next(&mut out);
                            }
                            append(&mut out, v);
                            if out.len() > max_args {
                                break;
                            }
                        }
                    }
                    Part::Gettext(s) => {
                        let v = self.gettext(s);
                        append(&mut out, &v);
                    }
                }
                let too_long = matches!(out.last(), Some(Some(s)) if s.len() > max_len);
                if too_long || out.len() > max_args {
                    return Err(self.err(
                        ConfigErrorKind::Limit,
                        line,
                        format!("command expands beyond {max_args} arguments of {max_len} bytes"),
                    ));
                }
            }
        }
        if wildcard && self.regexp_loaded {
            return Err(self.err(
                ConfigErrorKind::Unsupported,
                line,
                String::from(
                    "an unquoted `*' or `?' after the regexp module is loaded: GRUB expands it as a file name pattern, which xlboot does not",
                ),
            ));
        }
        if wildcard {
            self.note(format!(
                "{}:{line}: `*'/`?' left unexpanded (GRUB expands wildcards only with the regexp module)",
                self.file
            ));
        }
        if matches!(out.last(), Some(None)) {
            out.pop();
        }
        let total = out
            .iter()
            .map(|a| a.as_ref().map_or(0, String::len))
            .fold(0usize, usize::saturating_add);
        if total > self.limits.max_env_bytes {
            return Err(self.err(
                ConfigErrorKind::Limit,
                line,
                format!(
                    "command expands to more than {} bytes",
                    self.limits.max_env_bytes
                ),
            ));
        }
        self.charge(total, line)?;
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Parses a script from `src` named `file`.
    pub fn parse(&self, src: &[u8], file: &str) -> Result<Vec<Cmd>, ConfigError> {
        if src.len() > self.limits.max_config_size {
            return Err(ConfigError {
                file: file.to_string(),
                line: 0,
                kind: ConfigErrorKind::Limit,
                message: format!("larger than {} bytes", self.limits.max_config_size),
            });
        }
        if let Some(pos) = src.iter().position(|&b| b == 0) {
            let line = src
                .get(..pos)
                .map(|p| p.iter().filter(|&&b| b == b'\n').count())
                .unwrap_or(0);
            return Err(ConfigError {
                file: file.to_string(),
                line: u32::try_from(line).unwrap_or(u32::MAX).saturating_add(1),
                kind: ConfigErrorKind::Syntax,
                message: String::from("NUL byte in config"),
            });
        }
        // GRUB's line reader drops carriage returns.
        let cleaned: Vec<u8> = src.iter().copied().filter(|&b| b != b'\r').collect();
        let syntax = |e: LexError| ConfigError {
            file: file.to_string(),
            line: e.line,
            kind: if e.limit {
                ConfigErrorKind::Limit
            } else {
                ConfigErrorKind::Syntax
            },
            message: e.message,
        };
        let toks = tokenize(&cleaned, 1, self.limits.max_tokens).map_err(syntax)?;
        let mut p = Parser::new(&cleaned, toks, self.limits.max_depth);
        p.script().map_err(syntax)
    }
}

fn is_grub_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn split_ws(v: &str) -> Vec<String> {
    v.split(is_grub_space)
        .filter(|s| !s.is_empty())
        .map(ToString::to_string)
        .collect()
}

/// `grub_create_loader_cmdline`: each argument escaped, quoted if it holds a space,
/// joined by single spaces.
///
/// GRUB for Xen silently drops the arguments that do not fit its 1023-byte buffer.
/// xlboot keeps them all, so that the caller can refuse an over-long command line with a
/// clear message instead of booting the guest without, say, its `root=`.
pub(crate) fn loader_cmdline(args: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for a in args {
        let has_space = a.contains(' ');
        let mut s = String::new();
        if has_space {
            s.push('"');
        }
        for c in a.chars() {
            if matches!(c, '\\' | '\'' | '"') {
                s.push('\\');
            }
            s.push(c);
        }
        if has_space {
            s.push('"');
        }
        parts.push(s);
    }
    parts.join(" ")
}

/// Where an item being built sits: its level's variables and place in the menu.
#[derive(Clone, Copy)]
struct Level<'a> {
    vars: &'a Vars,
    chosen_prefix: Option<&'a str>,
    depth: usize,
    /// Reached by booting defaults without user input (`auto_boot`).
    on_default_path: bool,
    /// What is left of `default` below this level.
    remainder: Option<&'a str>,
}

/// The menu of a `configfile`, which replaces the config's own.
#[derive(Debug, Clone)]
pub(crate) struct Replaced {
    items: Vec<MenuItem>,
    info: LevelInfo,
    vars: Vars,
}

/// Per-level facts needed to resolve the default after the items are built.
#[derive(Debug, Clone, Default)]
struct LevelInfo {
    default: Option<String>,
    fallback: Option<String>,
    /// Fedora/RHEL GRUB's `default` and `fallback` rules.
    fedora: bool,
    superusers: bool,
    restricted: Vec<bool>,
    /// Each item's `--users`.
    users: Vec<Option<String>>,
    /// Each item's `--hotkey`.
    hotkeys: Vec<Option<crate::MenuKey>>,
    children: Vec<Option<LevelInfo>>,
    /// What this submenu's body echoed (GRUB prints it when entering the submenu).
    echoes: Vec<String>,
    /// What each entry's body echoed (GRUB prints it when booting the entry).
    entry_echoes: Vec<Vec<String>>,
    /// The `save_env` commands of this submenu's body.
    saves: Vec<EnvSave>,
    /// Each entry's body's `save_env` commands (empty for submenus).
    entry_saves: Vec<Vec<EnvSave>>,
}

/// What a body left of the environment blocks: its `save_env` commands and the blocks
/// as it wrote them.
struct BodyEnv {
    saves: Vec<EnvSave>,
    overlay: BTreeMap<(String, String), Vec<u8>>,
}

/// The `save_env` commands of each item of a level, from its [`LevelInfo`].
fn item_saves(info: &LevelInfo, depth: usize) -> Vec<ItemSaves> {
    let mut out = Vec::new();
    for (i, child) in info.children.iter().enumerate() {
        out.push(match child {
            Some(c) if depth < MAX_MENU_DEPTH => ItemSaves::Submenu {
                body: c.saves.clone(),
                items: item_saves(c, depth.saturating_add(1)),
            },
            Some(_) => ItemSaves::Submenu {
                body: Vec::new(),
                items: Vec::new(),
            },
            None => ItemSaves::Entry(info.entry_saves.get(i).cloned().unwrap_or_default()),
        });
    }
    out
}

/// `chosen` for an item: the parent's `chosen`, `>`, and the id with `>` doubled.
fn chosen_for(prefix: Option<&str>, id: &str) -> String {
    let mut s = String::new();
    if let Some(p) = prefix {
        s.push_str(p);
        s.push('>');
    }
    for c in id.chars() {
        if c == '>' {
            s.push('>');
        }
        s.push(c);
    }
    s
}

impl Interp<'_> {
    /// Runs an item's body in `vars` (GRUB's `grub_script_execute_new_scope`).
    #[allow(clippy::type_complexity)]
    fn run_body(
        &mut self,
        p: &Pending,
        vars: Vars,
        mode: Mode,
    ) -> (
        Result<i32, ConfigError>,
        Vec<Pending>,
        Vars,
        Option<Loader>,
        Vec<String>,
        BodyEnv,
    ) {
        let saved_saves = core::mem::take(&mut self.env_saves);
        let saved_overlay = self.env_overlay.clone();
        let saved_echoes = core::mem::take(&mut self.echoes);
        let saved_echo_open = core::mem::replace(&mut self.echo_open, false);
        let saved_vars = core::mem::replace(&mut self.vars, vars);
        let saved_scope = self.scope.replace(p.args.clone());
        let saved_menu = core::mem::take(&mut self.menu);
        let saved_loader = core::mem::replace(
            &mut self.loader,
            (mode == Mode::Entry).then(Loader::default),
        );
        let saved_file = core::mem::replace(&mut self.file, p.file.clone());
        let saved_mode = core::mem::replace(&mut self.mode, mode);
        self.function_return = false;
        self.active_breaks = 0;
        self.active_loops = 0;
        self.unknown_status = None;
        let r = self.exec_list(&p.body);
        self.function_return = false;
        self.active_breaks = 0;
        self.active_loops = 0;
        let menu = core::mem::replace(&mut self.menu, saved_menu);
        let vars = core::mem::replace(&mut self.vars, saved_vars);
        let loader = core::mem::replace(&mut self.loader, saved_loader);
        self.scope = saved_scope;
        self.file = saved_file;
        self.mode = saved_mode;
        let echoes = core::mem::replace(&mut self.echoes, saved_echoes);
        self.echo_open = saved_echo_open;
        let env = BodyEnv {
            saves: core::mem::replace(&mut self.env_saves, saved_saves),
            overlay: core::mem::replace(&mut self.env_overlay, saved_overlay),
        };
        (r, menu, vars, loader, echoes, env)
    }

    fn prepare_vars(
        &self,
        mut vars: Vars,
        chosen: &str,
        remainder: Option<&str>,
        line: u32,
    ) -> Result<Vars, ConfigError> {
        let limits = &self.limits;
        let e = |m: String| ConfigError {
            file: self.file.clone(),
            line,
            kind: ConfigErrorKind::Limit,
            message: m,
        };
        vars.set("chosen", chosen, limits).map_err(e)?;
        vars.export("chosen", limits).map_err(e)?;
        match remainder {
            Some(r) => vars.set("default", r, limits).map_err(e)?,
            None => vars.unset("default"),
        }
        Ok(vars)
    }

    /// Builds one menu level. `auto`: this level is reached by booting defaults
    /// without user input, so the submenu GRUB enters from here is entered with
    /// `timeout=0` (`grub_menu_execute_entry` with `auto_boot`).
    fn build_level(
        &mut self,
        pending: Vec<Pending>,
        level_vars: &Vars,
        chosen_prefix: Option<&str>,
        depth: usize,
        auto: bool,
    ) -> Result<(Vec<MenuItem>, LevelInfo), ConfigError> {
        let mut info = LevelInfo {
            default: level_vars.get("default").map(ToString::to_string),
            fallback: level_vars.get("fallback").map(ToString::to_string),
            fedora: self.fedora,
            superusers: level_vars.get("superusers").is_some_and(|s| !s.is_empty()),
            ..LevelInfo::default()
        };
        let remainder = select::default_remainder(info.default.as_deref());
        // The default index, from titles and ids alone (bodies not yet run).
        let shells: Vec<MenuItem> = pending
            .iter()
            .map(|p| MenuItem::Submenu {
                title: p.title.clone(),
                id: p.id.clone(),
                items: Vec::new(),
            })
            .collect();
        let default_index = level_default(&shells, &info).unwrap_or(0);
        drop(shells);
        let mut items = Vec::new();
        for (index, p) in pending.into_iter().enumerate() {
            // GRUB runs a body only when its item is chosen, so each item starts from
            // the btrfs module state the menu was shown with.
            let btrfs = self.btrfs.clone();
            let level = Level {
                vars: level_vars,
                chosen_prefix,
                depth,
                on_default_path: auto && index == default_index,
                remainder: remainder.as_deref(),
            };
            let built = self.build_item(p, &level, &mut info, &mut items);
            self.btrfs = btrfs;
            built?;
        }
        Ok((items, info))
    }

    /// Builds one item of a level into `items` and `info`.
    fn build_item(
        &mut self,
        p: Pending,
        level: &Level<'_>,
        info: &mut LevelInfo,
        items: &mut Vec<MenuItem>,
    ) -> Result<(), ConfigError> {
        let Level {
            vars: level_vars,
            chosen_prefix,
            depth,
            on_default_path,
            remainder,
        } = *level;
        let chosen = chosen_for(chosen_prefix, p.id.as_deref().unwrap_or(&p.title));
        info.restricted.push(p.restricted);
        info.users.push(p.users.clone());
        info.hotkeys.push(p.hotkey);
        if p.submenu {
            if depth.saturating_add(1) >= MAX_MENU_DEPTH {
                return Err(ConfigError {
                    file: p.file.clone(),
                    line: p.line,
                    kind: ConfigErrorKind::Limit,
                    message: format!("submenus nested deeper than {MAX_MENU_DEPTH}"),
                });
            }
            self.charge(level_vars.bytes, p.line)?;
            let mut vars = self.prepare_vars(level_vars.exported(), &chosen, remainder, p.line)?;
            if on_default_path {
                let limits = self.limits.clone();
                vars.set("timeout", "0", &limits)
                    .map_err(|m| self.err(ConfigErrorKind::Limit, p.line, m))?;
            }
            let (r, sub_pending, sub_vars, _, echoes, env) = self.run_body(&p, vars, Mode::Submenu);
            r?;
            // The submenu's entries read the blocks as its body left them.
            let outer_overlay = core::mem::replace(&mut self.env_overlay, env.overlay);
            let built = self.build_level(
                sub_pending,
                &sub_vars,
                Some(&chosen),
                depth.saturating_add(1),
                on_default_path,
            );
            self.env_overlay = outer_overlay;
            let (sub_items, mut sub_info) = built?;
            sub_info.echoes = echoes;
            sub_info.saves = env.saves;
            items.push(MenuItem::Submenu {
                title: p.title.clone(),
                id: p.id.clone(),
                items: sub_items,
            });
            info.children.push(Some(sub_info));
            info.entry_echoes.push(Vec::new());
            info.entry_saves.push(Vec::new());
        } else {
            self.charge(level_vars.bytes, p.line)?;
            let vars = self.prepare_vars(level_vars.clone(), &chosen, remainder, p.line)?;
            let (r, _, _, mut loader, echoes, env) = self.run_body(&p, vars, Mode::Entry);
            if let Some(menu) = loader.as_mut().and_then(|l| l.menu.take()) {
                // The entry ran `configfile': choosing it shows that config's menu,
                // so it is a submenu of that menu's items.
                if r.is_ok() {
                    let mut sub_info = menu.info;
                    sub_info.echoes = echoes;
                    sub_info.saves = env.saves;
                    items.push(MenuItem::Submenu {
                        title: p.title.clone(),
                        id: p.id.clone(),
                        items: menu.items,
                    });
                    info.children.push(Some(sub_info));
                    info.entry_echoes.push(Vec::new());
                    info.entry_saves.push(Vec::new());
                    return Ok(());
                }
            }
            info.entry_echoes.push(echoes);
            info.entry_saves.push(env.saves);
            let boot = match r {
                Err(e) if e.kind == ConfigErrorKind::Limit => return Err(e),
                Err(e) => Err(e.to_string()),
                Ok(_) => boot_spec(loader.unwrap_or_default()),
            };
            items.push(MenuItem::Entry(Entry {
                title: p.title.clone(),
                id: p.id.clone(),
                boot,
            }));
            info.children.push(None);
        }
        Ok(())
    }
}

fn boot_spec(l: Loader) -> Result<BootSpec, String> {
    match l.kernel {
        Some((kernel, args)) => {
            if !l.problems.is_empty() {
                return Err(l.problems.join("; "));
            }
            Ok(BootSpec {
                kernel,
                initrds: l.initrds.unwrap_or_default(),
                args,
            })
        }
        None => Err(l
            .refused
            .or_else(|| (!l.problems.is_empty()).then(|| l.problems.join("; ")))
            .unwrap_or_else(|| String::from("the entry loads no Linux kernel"))),
    }
}

/// The index `default` names at one level (GRUB's or Fedora's rules).
fn level_default(items: &[MenuItem], info: &LevelInfo) -> Option<usize> {
    if info.fedora {
        select::fedora_entry_number(items, info.default.as_deref())
    } else {
        select::entry_number(items, info.default.as_deref())
    }
}

/// The `fallback` indices at one level (GRUB's or Fedora's rules).
fn level_fallbacks(items: &[MenuItem], info: &LevelInfo) -> Vec<usize> {
    if info.fedora {
        select::fedora_fallback_numbers(items, info.fallback.as_deref())
    } else {
        fallback_numbers(info.fallback.as_deref())
            .into_iter()
            .filter_map(|n| usize::try_from(n).ok())
            .collect()
    }
}

/// How the default was chosen, for `-l` and `--debug`: the `default` value and where
/// it came from, what it matched at the top level, and the fallbacks taken.
fn describe_default(
    items: &[MenuItem],
    info: &LevelInfo,
    default: Option<&[usize]>,
    env: &BTreeMap<String, String>,
) -> String {
    let Some(path) = default else {
        return String::from("no entry to boot");
    };
    let mut out = String::new();
    let val = info.default.as_deref();
    let origin = val.and_then(|v| {
        ["next_entry", "saved_entry"]
            .into_iter()
            .find(|k| env.get(*k).is_some_and(|e| e == v && !v.is_empty()))
    });
    let dialect = if info.fedora {
        ", Fedora GRUB rules"
    } else {
        ""
    };
    let named = level_default(items, info);
    match val {
        None => out.push_str("default unset: entry 0"),
        Some(v) => {
            out.push_str(&format!("default={v:?}"));
            if let Some(o) = origin {
                out.push_str(&format!(" ({o} via grubenv)"));
            }
            match named {
                None => out.push_str(&format!(" names no entry{dialect}: entry 0")),
                Some(n) => {
                    let how = if v.contains('>') {
                        "path"
                    } else if v.bytes().all(|c| c.is_ascii_digit()) && !v.is_empty() {
                        "index"
                    } else if items
                        .get(n)
                        .and_then(MenuItem::id)
                        .is_some_and(|id| id == v)
                    {
                        "id"
                    } else {
                        "title"
                    };
                    out.push_str(&format!(" ({how}{dialect}): entry {n}"));
                }
            }
        }
    }
    let chosen: Vec<String> = path.iter().map(ToString::to_string).collect();
    let chosen = chosen.join(">");
    let first = named.unwrap_or(0);
    if path.first() != Some(&first) {
        out.push_str(&format!(
            "; fallback after entry {first} cannot boot: {chosen}"
        ));
    } else if path.len() > 1 {
        out.push_str(&format!(" -> {chosen}"));
    }
    out
}

/// `get_and_remove_first_entry_number ("fallback")`, all at once.
fn fallback_numbers(val: Option<&str>) -> Vec<i32> {
    let mut out = Vec::new();
    let Some(mut rest) = val else { return out };
    // Each round consumes at least one digit.
    while out.len() < 64 {
        match select::grub_strtoull(rest, 0) {
            (Some(n), true, end) => {
                let low = u32::try_from(n & 0xffff_ffff).unwrap_or(0);
                out.push(i32::from_ne_bytes(low.to_ne_bytes()));
                rest = rest
                    .get(end..)
                    .unwrap_or_default()
                    .trim_start_matches(is_grub_space);
            }
            _ => break,
        }
    }
    out
}

fn is_bootable(items: &[MenuItem], path: &[usize]) -> bool {
    let mut level = items;
    let Some((last, init)) = path.split_last() else {
        return false;
    };
    for i in init {
        match level.get(*i) {
            Some(MenuItem::Submenu { items, .. }) => level = items,
            _ => return false,
        }
    }
    matches!(level.get(*last), Some(MenuItem::Entry(e)) if e.boot.is_ok())
}

/// The entry GRUB boots at this level with no user input: `default` (entry 0 when it
/// names nothing), then `fallback` entries when that one cannot boot.
fn resolve_default(items: &[MenuItem], info: &LevelInfo, depth: usize) -> Option<EntryPath> {
    if items.is_empty() || depth >= MAX_MENU_DEPTH {
        return None;
    }
    let first = level_default(items, info).unwrap_or(0);
    let mut candidates = alloc::vec![first];
    for n in level_fallbacks(items, info) {
        if n < items.len() {
            candidates.push(n);
        }
    }
    let mut first_found: Option<EntryPath> = None;
    for c in candidates {
        let path = match items.get(c) {
            Some(MenuItem::Entry(_)) => Some(alloc::vec![c]),
            Some(MenuItem::Submenu { items: sub, .. }) => info
                .children
                .get(c)
                .and_then(Option::as_ref)
                .and_then(|ci| resolve_default(sub, ci, depth.saturating_add(1)))
                .map(|p| {
                    let mut full = alloc::vec![c];
                    full.extend(p);
                    full
                }),
            None => None,
        };
        if let Some(p) = path {
            if is_bootable(items, &p) {
                return Some(p);
            }
            if first_found.is_none() {
                first_found = Some(p);
            }
        }
    }
    first_found
}

/// What GRUB's menu does beyond the entries: `timeout_style` (honoured only with a
/// timeout, as `grub_menu_get_timeout` and `run_menu` do: waiting for ever always shows
/// the menu), the `--hotkey` of each item, and with `superusers` set, the users and
/// the restricted items (`menuentry` without `--unrestricted`, or with `--users`).
fn menu_ui(
    top_vars: &Vars,
    info: &LevelInfo,
    passwords: Vec<(String, crate::Secret)>,
    timeout: Option<u64>,
) -> crate::MenuUi {
    let style = match (top_vars.get("timeout_style"), timeout) {
        (_, None) => crate::TimeoutStyle::Menu,
        (Some("countdown"), _) => crate::TimeoutStyle::Countdown,
        (Some("hidden"), _) => crate::TimeoutStyle::Hidden,
        _ => crate::TimeoutStyle::Menu,
    };
    let superusers = top_vars.get("superusers").unwrap_or("");
    let mut restricted = Vec::new();
    let mut hotkeys = Vec::new();
    // Explicit stack (no recursion): (level, path to it).
    let mut stack: Vec<(&LevelInfo, EntryPath)> = alloc::vec![(info, Vec::new())];
    while let Some((level, path)) = stack.pop() {
        for (i, r) in level.restricted.iter().enumerate() {
            let mut p = path.clone();
            p.push(i);
            if *r && !superusers.is_empty() {
                restricted.push(crate::Restriction {
                    path: p.clone(),
                    users: level
                        .users
                        .get(i)
                        .and_then(Option::as_deref)
                        .map(crate::menu::user_names)
                        .unwrap_or_default(),
                    password: None,
                });
            }
            if let Some(Some(key)) = level.hotkeys.get(i) {
                hotkeys.push(crate::Hotkey {
                    path: p.clone(),
                    key: *key,
                });
            }
            if let Some(Some(child)) = level.children.get(i) {
                if p.len() < MAX_MENU_DEPTH {
                    stack.push((child, p));
                }
            }
        }
    }
    restricted.sort_by(|a, b| a.path.cmp(&b.path));
    hotkeys.sort_by(|a, b| a.path.cmp(&b.path));
    let lock = if superusers.is_empty() {
        crate::MenuLock::Open
    } else {
        crate::MenuLock::Users {
            superusers: crate::menu::user_names(superusers),
            users: passwords,
        }
    };
    crate::MenuUi {
        style,
        lock,
        restricted,
        hotkeys,
        ..crate::MenuUi::default()
    }
}

fn restricted_at(info: &LevelInfo, path: &[usize]) -> bool {
    let mut level = info;
    let Some((last, init)) = path.split_last() else {
        return false;
    };
    for i in init {
        if level.restricted.get(*i).copied().unwrap_or(false) && level.superusers {
            return true;
        }
        match level.children.get(*i).and_then(Option::as_ref) {
            Some(c) => level = c,
            None => return false,
        }
    }
    level.superusers && level.restricted.get(*last).copied().unwrap_or(false)
}

/// The initial variables, as GRUB's kernel and normal mode set them before reading
/// `grub.cfg` (`kern/main.c`, `normal/main.c`, `read_config_file`).
fn initial_vars(ctx: &EvalContext) -> Result<Vars, String> {
    let limits = &ctx.limits;
    let mut v = Vars::default();
    let dir = match ctx.config.path.rfind('/') {
        Some(i) => ctx.config.path.get(..i).unwrap_or_default(),
        None => "",
    };
    let dev = &ctx.config.device;
    let prefix = format!("({dev}){dir}");
    let exported: [(&str, String); 9] = [
        ("root", dev.clone()),
        ("prefix", prefix.clone()),
        ("cmdpath", prefix.clone()),
        ("config_file", ctx.config.to_string()),
        ("config_directory", prefix),
        ("grub_cpu", ctx.grub_cpu.clone()),
        ("grub_platform", ctx.grub_platform.clone()),
        ("color_normal", String::from("light-gray/black")),
        ("color_highlight", String::from("black/light-gray")),
    ];
    for (k, val) in exported.iter() {
        v.set(k, val, limits)?;
        v.export(k, limits)?;
    }
    v.export("pager", limits)?;
    if ctx.config.root == PathRoot::DefaultSubvolume {
        // A config read from the default subvolume was found by openSUSE's GRUB, whose
        // grub2-install writes `set btrfs_relative_path='y'` into the core image's
        // load.cfg, run before grub.cfg.
        v.set("btrfs_relative_path", "y", limits)?;
        v.export("btrfs_relative_path", limits)?;
    }
    // GRUB 2.06's feature list (normal/main.c `features`).
    for f in [
        "feature_chainloader_bpb",
        "feature_ntldr",
        "feature_platform_search_hint",
        "feature_default_font_path",
        "feature_all_video_module",
        "feature_menuentry_id",
        "feature_menuentry_options",
        "feature_200_final",
        "feature_nativedisk_cmd",
        "feature_timeout_style",
    ] {
        v.set(f, "y", limits)?;
        v.export(f, limits)?;
    }
    Ok(v)
}

/// Evaluates a config: see [`super::evaluate`].
pub(crate) fn run(
    source: &[u8],
    ctx: &EvalContext,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    let file = ctx.config.to_string();
    let vars = initial_vars(ctx).map_err(|m| ConfigError {
        file: file.clone(),
        line: 0,
        kind: ConfigErrorKind::Limit,
        message: m,
    })?;
    let mut it = Interp {
        host,
        limits: ctx.limits.clone(),
        notes: Vec::new(),
        echoes: Vec::new(),
        echo_open: false,
        functions: BTreeMap::new(),
        vars,
        scope: None,
        menu: Vec::new(),
        loader: None,
        file: file.clone(),
        mode: Mode::Config,
        commands: 0,
        loop_iterations: 0,
        exec_depth: 0,
        call_depth: 0,
        source_depth: 0,
        function_return: false,
        active_loops: 0,
        active_breaks: 0,
        is_continue: false,
        unknown_status: None,
        devices: None,
        replaced: None,
        work_bytes: 0,
        menu_bytes: 0,
        bls: Vec::new(),
        fedora: false,
        env_loaded: BTreeMap::new(),
        env_saves: Vec::new(),
        env_overlay: BTreeMap::new(),
        regexp_loaded: false,
        passwords: Vec::new(),
        btrfs: super::btrfs::Btrfs::default(),
    };
    let cmds = it.parse(source, &file)?;
    it.exec_list(&cmds)?;
    let (items, info, top_vars) = match it.replaced.take() {
        Some(r) => {
            it.note(String::from(
                "the menu comes from a `configfile'; GRUB shows it instead of the first config's",
            ));
            (r.items, r.info, r.vars)
        }
        None => {
            let top_vars = it.vars.clone();
            let pending = core::mem::take(&mut it.menu);
            let (items, info) = it.build_level(pending, &top_vars, None, 0, true)?;
            (items, info, top_vars)
        }
    };
    let default = resolve_default(&items, &info, 0);
    // GRUB prints a submenu body's output only when it enters that submenu: on the way
    // to the default entry.
    if let Some(p) = &default {
        let mut level = &info;
        for i in p {
            match level.children.get(*i).and_then(Option::as_ref) {
                Some(child) => {
                    for e in &child.echoes {
                        it.echo(e.clone(), false);
                    }
                    level = child;
                }
                None => {
                    for e in level.entry_echoes.get(*i).into_iter().flatten() {
                        it.echo(e.clone(), false);
                    }
                    break;
                }
            }
        }
    }
    if let Some(p) = &default {
        if restricted_at(&info, p) {
            it.note(String::from(
                "`superusers' is set and the default entry is restricted: GRUB would ask for a password before booting it",
            ));
        }
    }
    let timeout = match top_vars.get("timeout").map(select::grub_int) {
        Some(Ok(n)) => u64::try_from(n).ok(),
        _ => None,
    };
    let default_rule = describe_default(&items, &info, default.as_deref(), &it.env_loaded);
    it.note(format!("default entry: {default_rule}"));
    let ui = menu_ui(
        &top_vars,
        &info,
        core::mem::take(&mut it.passwords),
        timeout,
    );
    Ok(Evaluated {
        menu: Menu {
            default_rule,
            items,
            default,
            timeout,
            ui,
        },
        notes: it.notes,
        echoes: it.echoes,
        env_saves: EnvSaves {
            config: it.env_saves,
            items: item_saves(&info, 0),
        },
    })
}

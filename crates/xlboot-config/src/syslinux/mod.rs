//! syslinux family configs (`extlinux.conf`, `syslinux.cfg`, `isolinux.cfg`, and
//! pxelinux-style files read from disk), evaluated as syslinux 6.04 evaluates them.
//!
//! - [`line`]: lines and keywords as `parse_config_file` reads them.
//! - [`parse`]: labels, menus and global settings, `INCLUDE`d files in place.
//! - [`exec`]: what a command line boots: label lookup, implicit kernels, image types
//!   by extension, `BOOT_IMAGE=` and `initrd=` on the kernel command line, `CONFIG`
//!   files, Xen's `mboot.c32` chain.
//! - [`path`]: file names relative to the config's directory, or for pxelinux to the
//!   TFTP directory of `pxelinux.0` ([`evaluate_pxelinux`]).
//!
//! What boots when nobody touches the keyboard (`main` in `ldlinux.c`, `run_menu` in
//! `com32/menu/menumain.c`):
//!
//! - With `UI menu.c32` (or `vesamenu.c32`): the menu's default entry, which is the
//!   label `DEFAULT` names (if it names one not hidden), else the `MENU DEFAULT` entry
//!   of the first menu shown, else its first entry; if that menu has a `TIMEOUT` and
//!   an `ONTIMEOUT`, the `ONTIMEOUT` command instead. Other `UI` modules are refused,
//!   and so is `MENU SAVE` (its saved label lives in syslinux's ADV).
//! - `DEFAULT menu.c32` without `UI` (pygrub's Alpine example) starts the same menu,
//!   which then does not take `DEFAULT` as its default label.
//! - Without `UI`: the `DEFAULT` command, at once unless `PROMPT 1`; with `PROMPT 1` the
//!   boot: prompt waits `TIMEOUT` tenths of a second (0: for ever) and then runs
//!   `ONTIMEOUT` if set, else `DEFAULT`. A `DEFAULT` whose first word is no label is a
//!   kernel command line of its own. No `DEFAULT` and no `UI`: syslinux stops at its
//!   prompt, and xlboot refuses the config.
//!
//! Such a default that is no listed entry as it stands (a kernel command line, a label
//! with extra arguments) is listed as an extra entry titled by the command, last.

pub mod exec;
pub mod line;
pub mod parse;
pub mod path;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{ConfigError, ConfigErrorKind};
use crate::grub2::{Evaluated, Limits};
use crate::host::{ConfigHost, FilePath};
use crate::menu::{Entry, EntryPath, Menu, MenuItem};
use exec::{image_type, Booted, Exec, ExecError};
use line::first_word;
use parse::{Action, Item, ParseError, ParseLimits, Parsed, Parser};
use path::Namespace;

/// Deepest `INCLUDE` nesting (syslinux documents 16 levels).
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Most files read for one config (itself and its includes).
pub const MAX_FILES: usize = 256;
/// Most `CONFIG` files evaluated for one config, all its entries together (each is
/// a whole config of its own).
pub const MAX_CONFIG_FILES: usize = 32;

/// Evaluates the syslinux config `source`, found at `config`, reading included files,
/// `CONFIG` files and implicit kernels' names through `host`.
pub fn evaluate(
    source: &[u8],
    config: &FilePath,
    limits: &Limits,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    let cwd = path::dir_of(&config.path);
    evaluate_in(source, config, Namespace::Disk, &cwd, limits, host)
}

/// [`evaluate`] for pxelinux: `config` is a file of a `pxelinux.cfg` directory on a
/// TFTP server whose root `host` shows as `/` (`/pxelinux.cfg/default`), and names
/// are looked up as pxelinux looks them up ([`Namespace::Tftp`]): from the directory
/// that holds `pxelinux.cfg/`, where `pxelinux.0` is.
pub fn evaluate_pxelinux(
    source: &[u8],
    config: &FilePath,
    limits: &Limits,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    let cwd = path::dir_of(&path::dir_of(&config.path));
    evaluate_in(source, config, Namespace::Tftp, &cwd, limits, host)
}

fn evaluate_in(
    source: &[u8],
    config: &FilePath,
    names: Namespace,
    cwd: &str,
    limits: &Limits,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    let ev = Evaluation {
        host,
        device: &config.device,
        names,
        limits,
        nested_left: core::cell::Cell::new(MAX_CONFIG_FILES),
    };
    let parsed = ev.parse(&config.to_string(), source, cwd)?;
    ev.full(&parsed, cwd, &config.to_string())
}

/// What the default is, in syslinux's terms.
enum Chosen {
    /// An entry of a menu (menu index, item index), booted by the menu module.
    MenuItem(usize, usize),
    /// A command line the menu module runs (`ONTIMEOUT`, label already replaced).
    MenuCommand(Vec<u8>),
    /// A command ldlinux runs as if typed at its prompt.
    Command(Vec<u8>),
}

struct Evaluation<'a> {
    host: &'a dyn ConfigHost,
    device: &'a str,
    names: Namespace,
    limits: &'a Limits,
    /// `CONFIG` files still allowed to be read, all entries and depths together.
    nested_left: core::cell::Cell<usize>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A title as the menu shows it: `^` marks a hotkey and is not shown.
fn title(b: &[u8]) -> String {
    lossy(b).replace('^', "")
}

fn parse_error(e: ParseError) -> ConfigError {
    ConfigError {
        file: e.file,
        line: e.line,
        kind: if e.limit {
            ConfigErrorKind::Limit
        } else {
            ConfigErrorKind::Host
        },
        message: e.message,
    }
}

impl Evaluation<'_> {
    fn parse(&self, shown: &str, source: &[u8], cwd: &str) -> Result<Parsed, ConfigError> {
        let max_file = self.limits.max_config_size;
        let too_big = |what: &str| ConfigError {
            file: String::from(shown),
            line: 0,
            kind: ConfigErrorKind::Limit,
            message: format!("{what} is larger than {max_file} bytes"),
        };
        if source.len() > max_file {
            return Err(too_big("the config"));
        }
        let host = self.host;
        let device = self.device;
        let names = self.names;
        let mut read = |name: &[u8]| -> Result<Option<(String, Vec<u8>)>, String> {
            let file = FilePath {
                device: String::from(device),
                path: names.resolve(cwd, &lossy(name)),
                root: Default::default(),
            };
            match host.read_file(&file, max_file) {
                Ok(Some(d)) => Ok(Some((file.to_string(), d))),
                Ok(None) => Ok(None),
                Err(e) => Err(format!("{file}: {e}")),
            }
        };
        let limits = ParseLimits {
            max_file,
            max_depth: MAX_INCLUDE_DEPTH,
            max_files: MAX_FILES,
            max_total: max_file.saturating_mul(4),
            max_records: self.limits.max_entries,
        };
        Parser::new(limits, &mut read)
            .run(String::from(shown), source)
            .map_err(parse_error)
    }

    fn exec<'e>(
        &'e self,
        parsed: &'e Parsed,
        cwd: &'e str,
        depth: usize,
        nested: &'e exec::NestedFn<'e>,
    ) -> Exec<'e> {
        Exec {
            parsed,
            host: self.host,
            device: self.device,
            names: self.names,
            cwd,
            depth,
            nested,
        }
    }

    /// What a `CONFIG` file boots: its default, evaluated with working directory `cwd`.
    fn nested(&self, file: &str, cwd: &str, depth: usize) -> Result<Booted, ExecError> {
        let left = self.nested_left.get();
        if left == 0 {
            return Err(ExecError::Limit(format!(
                "more than {MAX_CONFIG_FILES} CONFIG files to evaluate"
            )));
        }
        self.nested_left.set(left.saturating_sub(1));
        let fp = FilePath {
            device: String::from(self.device),
            path: String::from(file),
            root: Default::default(),
        };
        let data = match self.host.read_file(&fp, self.limits.max_config_size) {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(Err(format!("its CONFIG file {fp} does not exist"))),
            Err(e) => return Err(ExecError::Host(format!("{fp}: {e}"))),
        };
        let parsed = match self.parse(&fp.to_string(), &data, cwd) {
            Ok(p) => p,
            Err(e) if e.kind == ConfigErrorKind::Limit => {
                return Err(ExecError::Limit(format!("{e}")))
            }
            Err(e) => return Err(ExecError::Host(format!("{e}"))),
        };
        let nested = |f: &str, c: &str, d: usize| self.nested(f, c, d);
        let ex = self.exec(&parsed, cwd, depth, &nested);
        let chosen = match choose(&parsed) {
            Ok(c) => c.chosen,
            Err(e) => return Ok(Err(format!("its CONFIG file {fp}: {}", e.message))),
        };
        boot_chosen(&ex, &chosen)
    }

    fn full(&self, parsed: &Parsed, cwd: &str, shown: &str) -> Result<Evaluated, ConfigError> {
        let fatal = |e: ExecError| match e {
            ExecError::Host(m) => ConfigError {
                file: String::from(shown),
                line: 0,
                kind: ConfigErrorKind::Host,
                message: m,
            },
            ExecError::Limit(m) => ConfigError {
                file: String::from(shown),
                line: 0,
                kind: ConfigErrorKind::Limit,
                message: m,
            },
        };
        let nested = |f: &str, c: &str, d: usize| self.nested(f, c, d);
        let ex = self.exec(parsed, cwd, 0, &nested);
        let Choice {
            chosen,
            rule,
            timeout,
            menu: ui,
        } = choose(parsed).map_err(|mut e| {
            if e.file.is_empty() {
                e.file = String::from(shown);
            }
            e
        })?;
        // Each record's boot, and where it is listed.
        let boot_of = |i: usize| -> Result<Booted, ConfigError> {
            let Some(r) = parsed.records.get(i) else {
                return Ok(Err(String::from("no such label")));
            };
            if let Action::Navigate(what) = r.action {
                return Ok(Err(format!("a {what} menu item boots nothing")));
            }
            if let Some(why) = r.ipappend_problem() {
                return Ok(Err(why));
            }
            let cmd = r.cmdline(ui);
            ex.execute(&cmd, image_type(&cmd), false, 0).map_err(fatal)
        };
        let entry_of = |i: usize| -> Result<Entry, ConfigError> {
            let r = parsed.records.get(i);
            Ok(Entry {
                title: r.map_or_else(String::new, |r| {
                    title(r.menu_label.as_deref().unwrap_or(&r.label))
                }),
                id: r.map(|r| lossy(if ui { &r.label } else { &r.word })),
                boot: boot_of(i)?,
            })
        };
        let mut items = Vec::new();
        // Where each (menu, item) ended up, for the default.
        let mut paths: Vec<((usize, usize), EntryPath)> = Vec::new();
        let mut record_paths: Vec<(usize, EntryPath)> = Vec::new();
        if ui {
            // Depth-first over the menu tree, explicit stack: (menu, next item, path
            // of the Menu items being filled).
            build_tree(parsed, &entry_of, &mut items, &mut paths, &mut record_paths)?;
        } else {
            for (i, r) in parsed.records.iter().enumerate() {
                if r.disabled {
                    continue;
                }
                record_paths.push((i, alloc::vec![items.len()]));
                items.push(MenuItem::Entry(entry_of(i)?));
            }
        }
        let extra = |items: &mut Vec<MenuItem>, what: &str, cmd: &[u8], boot: Booted| {
            let p = alloc::vec![items.len()];
            items.push(MenuItem::Entry(Entry {
                title: format!("{what} {}", lossy(cmd)),
                id: None,
                boot,
            }));
            p
        };
        let default = match &chosen {
            Chosen::MenuItem(m, i) => paths
                .iter()
                .find(|(k, _)| *k == (*m, *i))
                .map(|(_, p)| p.clone()),
            Chosen::MenuCommand(cmd) => {
                let same = parsed
                    .records
                    .iter()
                    .enumerate()
                    .find(|(_, r)| !r.disabled && r.cmdline(true) == *cmd)
                    .and_then(|(i, _)| record_paths.iter().find(|(j, _)| *j == i));
                match same {
                    Some((_, p)) => Some(p.clone()),
                    None => {
                        let b = ex.execute(cmd, image_type(cmd), false, 0).map_err(fatal)?;
                        Some(extra(&mut items, "ONTIMEOUT", cmd, b))
                    }
                }
            }
            Chosen::Command(cmd) => {
                let (_, args) = first_word(cmd);
                let label = ex.find_label(cmd);
                let listed = label.and_then(|i| record_paths.iter().find(|(j, _)| *j == i));
                match listed {
                    Some((_, p)) if line::skip_space(args).is_empty() => Some(p.clone()),
                    _ => {
                        let b = ex.load_kernel(cmd).map_err(fatal)?;
                        Some(extra(&mut items, "DEFAULT", cmd, b))
                    }
                }
            }
        };
        let mut notes = parsed.notes.clone();
        for s in &parsed.says {
            notes.push(format!("SAY {s}"));
        }
        if !parsed.path.is_empty() {
            notes.push(String::from(
                "PATH only tells syslinux where modules are (an implicit kernel's `.c32` too); kernels are not searched there",
            ));
        }
        notes.push(rule.clone());
        Ok(Evaluated {
            menu: Menu {
                items,
                default,
                timeout: timeout.map(|t| t.div_ceil(10)),
                default_rule: rule,
                ui: menu_ui(parsed, ui, timeout, &paths),
            },
            notes,
            echoes: parsed.says.clone(),
            env_saves: crate::grub2::EnvSaves::default(),
        })
    }
}

/// What the menu module does beyond the entries (`com32/menu/menumain.c`): the
/// timeout in tenths, `MENU HIDDEN`, `MENU MASTER PASSWD` and the `MENU PASSWD` of
/// labels and submenus. Without a `UI` menu, ldlinux's prompt asks for none of them.
fn menu_ui(
    parsed: &Parsed,
    ui: bool,
    timeout: Option<u64>,
    paths: &[((usize, usize), EntryPath)],
) -> crate::MenuUi {
    let mut out = crate::MenuUi {
        timeout_tenths: timeout,
        ..crate::MenuUi::default()
    };
    if !ui {
        return out;
    }
    if parsed.hidden_menu {
        out.style = crate::TimeoutStyle::Hidden;
    }
    if let Some(master) = &parsed.master_passwd {
        out.lock = crate::MenuLock::Master(secret(master));
    }
    out.restricted = paths
        .iter()
        .filter_map(|((m, idx), path)| {
            let passwd = match parsed.menus.get(*m)?.items.get(*idx)? {
                Item::Record(r) => parsed.records.get(*r)?.passwd.as_ref()?,
                Item::Submenu(s) => parsed.menus.get(*s)?.passwd.as_ref()?,
            };
            Some(crate::Restriction {
                path: path.clone(),
                users: Vec::new(),
                password: Some(secret(passwd)),
            })
        })
        .collect();
    out
}

/// A `MENU PASSWD` as `passwd_compare` takes it: a crypt hash when it starts with
/// `$`, else plain text.
fn secret(passwd: &[u8]) -> crate::Secret {
    if passwd.first() == Some(&b'$') {
        crate::Secret::Crypt(lossy(passwd))
    } else {
        crate::Secret::Plain(lossy(passwd))
    }
}

/// An item placed in its menu's list: (menu, (menu, syslinux item index), index in the
/// list, the record if it is one).
type Placed = (usize, (usize, usize), usize, Option<usize>);

/// The menu module's tree, with where each syslinux item went.
fn build_tree(
    parsed: &Parsed,
    entry_of: &dyn Fn(usize) -> Result<Entry, ConfigError>,
    top: &mut Vec<MenuItem>,
    paths: &mut Vec<((usize, usize), EntryPath)>,
    record_paths: &mut Vec<(usize, EntryPath)>,
) -> Result<(), ConfigError> {
    // Menus are built from the last created to the first: a submenu is created after
    // its parent, so it is complete when its parent takes it (no recursion).
    let n = parsed.menus.len();
    let mut built: Vec<Option<Vec<MenuItem>>> = alloc::vec![None; n];
    // Where each syslinux item went inside its menu's list, joined to whole paths at
    // the end.
    let mut local: Vec<Placed> = Vec::new();
    // For each submenu: its position in its parent's list.
    let mut sub_pos: Vec<Option<usize>> = alloc::vec![None; n];
    for m in (0..n).rev() {
        let Some(node) = parsed.menus.get(m) else {
            continue;
        };
        let mut list = Vec::new();
        for (idx, item) in node.items.iter().enumerate() {
            match *item {
                Item::Record(r) => {
                    if parsed.records.get(r).is_some_and(|x| x.disabled) {
                        continue;
                    }
                    local.push((m, (m, idx), list.len(), Some(r)));
                    list.push(MenuItem::Entry(entry_of(r)?));
                }
                Item::Submenu(s) => {
                    let sub = built.get_mut(s).and_then(Option::take).unwrap_or_default();
                    let t = parsed
                        .menus
                        .get(s)
                        .map(|x| title(&x.title))
                        .unwrap_or_default();
                    local.push((m, (m, idx), list.len(), None));
                    if let Some(slot) = sub_pos.get_mut(s) {
                        *slot = Some(list.len());
                    }
                    list.push(MenuItem::Submenu {
                        title: t,
                        id: None,
                        items: sub,
                    });
                }
            }
        }
        if let Some(slot) = built.get_mut(m) {
            *slot = Some(list);
        }
    }
    *top = built.first_mut().and_then(Option::take).unwrap_or_default();
    // The path of menu m's own entry in the tree: its parent's path plus its index.
    let menu_path = |m: usize| -> EntryPath {
        let mut rev = Vec::new();
        let mut cur = m;
        while let Some((p, _)) = parsed.menus.get(cur).and_then(|x| x.parent) {
            if let Some(Some(pos)) = sub_pos.get(cur) {
                rev.push(*pos);
            }
            cur = p;
            if rev.len() > crate::menu::MAX_MENU_DEPTH {
                break;
            }
        }
        rev.reverse();
        rev
    };
    for (m, key, pos, rec) in &local {
        let mut p = menu_path(*m);
        p.push(*pos);
        if let Some(r) = rec {
            record_paths.push((*r, p.clone()));
        }
        paths.push((*key, p));
    }
    Ok(())
}

/// What syslinux boots by itself.
struct Choice {
    /// The default.
    chosen: Chosen,
    /// Which rule chose it, for `-l` and `--debug`.
    rule: String,
    /// Tenths of a second before it boots; `None` waits for ever.
    timeout: Option<u64>,
    /// The menu module shows the entries (else ldlinux's prompt reads labels).
    menu: bool,
}

fn unsupported(message: String) -> ConfigError {
    ConfigError {
        file: String::new(),
        line: 0,
        kind: ConfigErrorKind::Unsupported,
        message,
    }
}

/// A `TIMEOUT` value: tenths of a second, 0 or less waits for ever.
fn tenths(value: i64) -> Option<u64> {
    (value > 0).then(|| u64::try_from(value).unwrap_or(0))
}

/// Whether a command starts the menu module: `menu.c32` or `vesamenu.c32` (any
/// directory, `.c32` optional as ldlinux adds it).
fn is_menu_module(cmd: &[u8]) -> bool {
    let module = first_word(cmd).0;
    let base = module.rsplit(|&c| c == b'/').next().unwrap_or(module);
    let base = base.strip_suffix(b".c32").unwrap_or(base);
    base.eq_ignore_ascii_case(b"menu") || base.eq_ignore_ascii_case(b"vesamenu")
}

/// What syslinux boots by itself, which rule says so, and the timeout in tenths of a
/// second.
fn choose(parsed: &Parsed) -> Result<Choice, ConfigError> {
    if parsed.has_ui {
        let ui = parsed.default_cmd.clone().unwrap_or_default();
        if !is_menu_module(&ui) {
            return Err(unsupported(format!(
                "UI {}: only the menu.c32 and vesamenu.c32 menus are evaluated",
                lossy(&ui)
            )));
        }
        return menu_choose(parsed, true, "UI menu");
    }
    let cmd_rule = |what: &str, cmd: &[u8]| {
        let kind = if is_label(parsed, cmd) {
            "label"
        } else {
            "kernel command line"
        };
        format!("{what} {} ({kind})", lossy(cmd))
    };
    let (cmd, rule, timeout) = if parsed.prompt != 0 {
        let timeout = tenths(parsed.timeout);
        match (timeout, &parsed.ontimeout, &parsed.default_cmd) {
            (Some(_), Some(ot), _) => (
                ot.clone(),
                format!(
                    "{} at the boot: prompt's TIMEOUT",
                    cmd_rule("ONTIMEOUT", ot)
                ),
                timeout,
            ),
            (_, _, Some(d)) => (
                d.clone(),
                format!("{} at the boot: prompt", cmd_rule("DEFAULT", d)),
                timeout,
            ),
            _ => return Err(no_default()),
        }
    } else {
        let Some(d) = &parsed.default_cmd else {
            return Err(no_default());
        };
        (
            d.clone(),
            format!(
                "{}, booted at once (no UI, no PROMPT)",
                cmd_rule("DEFAULT", d)
            ),
            Some(0),
        )
    };
    if !is_label(parsed, &cmd) && is_menu_module(&cmd) {
        // `DEFAULT menu.c32`: the menu module starts, without `UI`, so it does not
        // take `DEFAULT` as its default label.
        let what = format!("DEFAULT {}", lossy(first_word(&cmd).0));
        return menu_choose(parsed, false, &what);
    }
    Ok(Choice {
        chosen: Chosen::Command(cmd),
        rule,
        timeout,
        menu: false,
    })
}

fn no_default() -> ConfigError {
    unsupported(String::from(
        "no DEFAULT and no UI: syslinux stops at its boot: prompt",
    ))
}

fn is_label(parsed: &Parsed, cmd: &[u8]) -> bool {
    let word = first_word(cmd).0;
    parsed.records.iter().any(|r| !r.disabled && r.word == word)
}

/// The menu module's default (`parse_configs` and `run_menu` of `com32/menu`):
/// `apply_default` when `UI` started it, so that `DEFAULT` names its default label.
fn menu_choose(parsed: &Parsed, apply_default: bool, how: &str) -> Result<Choice, ConfigError> {
    if parsed.menu_save {
        return Err(unsupported(String::from(
            "MENU SAVE: the default may be a label saved in syslinux's ADV, which xlboot does not read",
        )));
    }
    let mut rule = String::new();
    let mut start = (parsed.start_menu, None);
    if let (true, Some(d)) = (apply_default, &parsed.default) {
        let word = first_word(d).0;
        if let Some(i) = parsed
            .records
            .iter()
            .position(|r| !r.disabled && r.label == word)
        {
            let at = parsed.menus.iter().enumerate().find_map(|(m, node)| {
                node.items
                    .iter()
                    .position(|it| *it == Item::Record(i))
                    .map(|idx| (m, idx))
            });
            if let Some((m, idx)) = at {
                start = (m, Some(idx));
                rule = format!("DEFAULT {} (label)", lossy(d));
            }
        }
    }
    let (m, def) = match start {
        (m, Some(idx)) => (m, idx),
        (m, None) => {
            let node = parsed.menus.get(m);
            let d = node.map_or(0, |n| n.defentry);
            rule = if node.is_some_and(|n| n.defentry != 0) {
                String::from("MENU DEFAULT")
            } else {
                String::from("first entry (no DEFAULT label, no MENU DEFAULT)")
            };
            (m, d)
        }
    };
    let node = parsed
        .menus
        .get(m)
        .ok_or_else(|| unsupported(String::from("no menu")))?;
    if node.items.is_empty() {
        return Err(unsupported(String::from(
            "the menu has no LABEL entries (menu.c32 stops with an error)",
        )));
    }
    // The menu moves the highlight off separators, forward from the top.
    let usable = |idx: usize| match node.items.get(idx) {
        Some(Item::Record(r)) => parsed.records.get(*r).is_some_and(|x| !x.disabled),
        Some(Item::Submenu(_)) => true,
        None => false,
    };
    let def = if usable(def) {
        def
    } else {
        (0..node.items.len())
            .find(|&i| usable(i))
            .ok_or_else(|| unsupported(String::from("the menu has only separators")))?
    };
    let timeout = tenths(node.timeout);
    if let (Some(_), Some(ot)) = (timeout, &node.ontimeout) {
        // `unlabel`: a label at the start is replaced by its command line.
        let (word, rest) = first_word(ot);
        let cmd = match parsed
            .records
            .iter()
            .find(|r| !r.disabled && r.label == word)
        {
            Some(r) => {
                let mut c = r.cmdline(true);
                c.extend_from_slice(rest);
                c
            }
            None => ot.clone(),
        };
        return Ok(Choice {
            chosen: Chosen::MenuCommand(cmd),
            rule: format!(
                "ONTIMEOUT {} (the menu's TIMEOUT runs it; {how})",
                lossy(ot)
            ),
            timeout,
            menu: true,
        });
    }
    if matches!(node.items.get(def), Some(Item::Submenu(_))) {
        return Err(unsupported(String::from(
            "the menu's default entry is a submenu, which a timeout does not boot",
        )));
    }
    Ok(Choice {
        chosen: Chosen::MenuItem(m, def),
        rule: format!("{rule} ({how})"),
        timeout,
        menu: true,
    })
}

/// What the chosen default boots.
fn boot_chosen(ex: &Exec<'_>, chosen: &Chosen) -> Result<Booted, ExecError> {
    match chosen {
        Chosen::MenuItem(m, idx) => {
            let rec = ex
                .parsed
                .menus
                .get(*m)
                .and_then(|n| n.items.get(*idx))
                .and_then(|it| match it {
                    Item::Record(r) => ex.parsed.records.get(*r),
                    Item::Submenu(_) => None,
                });
            let Some(rec) = rec else {
                return Ok(Err(String::from("the default is not an entry")));
            };
            if let Action::Navigate(what) = rec.action {
                return Ok(Err(format!("a {what} menu item boots nothing")));
            }
            if let Some(why) = rec.ipappend_problem() {
                return Ok(Err(why));
            }
            let cmd = rec.cmdline(true);
            ex.execute(&cmd, image_type(&cmd), false, 0)
        }
        Chosen::MenuCommand(cmd) => ex.execute(cmd, image_type(cmd), false, 0),
        Chosen::Command(cmd) => ex.load_kernel(cmd),
    }
}

//! `blscfg` (and its old name `bls_import`), as Fedora-family GRUB runs it
//! (`grub_cmd_blscfg`, `bls_load_entries`, `find_entry`, `bls_create_entries`,
//! `is_default_entry` in `grub-core/commands/blscfg.c`, rhboot/grub2 fedora-44):
//!
//! - one argument `default` / `non-default` adds only the entry `$default` names (by
//!   id, title, then index in the sorted list) / only the others; `(dev)/dir` reads that
//!   directory, `(dev)/file.conf` that one file; any other single argument adds only
//!   the entry with that id. No argument (or several): every entry.
//! - the directory is `$blsdir` (default `/loader/entries/`) on the device `$root`
//!   names; when it cannot be listed, `/boot/loader/entries/` (a `/boot` partition
//!   holds `/loader/entries`, a root filesystem `/boot/loader/entries`).
//! - entries are kept in one list for the whole run, newest first ([`bls::order`]);
//!   each is added to the menu at most once, so `blscfg default` then `blscfg` adds
//!   the default first and the others after it.
//! - each entry becomes a menu entry whose body is the script `create_entry` writes
//!   ([`bls::entry_script`]), run like any other entry body.

use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::eval::{status, Interp, Mode, Pending};
use crate::bls::{self, BlsEntry};
use crate::error::{ConfigError, ConfigErrorKind};
use crate::host::{FilePath, LIST_DIR_UNAVAILABLE};
use crate::select;

/// One entry read by `blscfg`, and whether it is in the menu already.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub entry: BlsEntry,
    /// Where it was read, for messages.
    pub file: String,
    pub visible: bool,
}

enum Which {
    All,
    Default,
    NonDefault,
    Id(String),
}

/// `is_default_entry`: `$default` is the id, the title, or (`grub_strtol`) the index.
fn is_default(def: Option<&str>, e: &BlsEntry, idx: usize) -> bool {
    let Some(def) = def else { return false };
    if def == e.id || e.get("title") == Some(def) {
        return true;
    }
    let t = def.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    match select::grub_strtoull(t, 0) {
        (Some(n), true, _) => (!neg || n == 0) && u64::try_from(idx).is_ok_and(|i| i == n),
        _ => false,
    }
}

pub(crate) fn cmd_blscfg(
    it: &mut Interp<'_>,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    if it.mode == Mode::Entry {
        it.note(format!(
            "{}:{line}: `blscfg' inside a menu entry ignored",
            it.file
        ));
        return Ok(status::OK);
    }
    let mut which = Which::All;
    let mut path: Option<&str> = None;
    if let [a] = args {
        match a.as_str() {
            "default" => which = Which::Default,
            "non-default" => which = Which::NonDefault,
            p if p.starts_with('(') => path = Some(p),
            id => which = Which::Id(id.to_string()),
        }
    }
    it.fedora = true;
    load(it, path, line)?;
    create(it, &which, line)?;
    Ok(status::OK)
}

/// `bls_load_entries`: reads entry files into the run's list.
fn load(it: &mut Interp<'_>, path: Option<&str>, line: u32) -> Result<(), ConfigError> {
    if let Some(p) = path.filter(|p| p.ends_with(".conf")) {
        let fp = match it.resolve_file(p) {
            Ok(f) => f,
            Err(m) => {
                it.note(format!("{}:{line}: blscfg: {m}", it.file));
                return Ok(());
            }
        };
        let name = fp.path.rsplit('/').next().unwrap_or_default().to_string();
        let id = name.strip_suffix(".conf").unwrap_or(&name).to_string();
        return read_one(it, &fp, &id, line);
    }
    let (dir, explicit) = match path {
        Some(p) => match it.resolve_file(p) {
            Ok(f) => (f, true),
            Err(m) => {
                it.note(format!("{}:{line}: blscfg: {m}", it.file));
                return Ok(());
            }
        },
        None => {
            let blsdir = it
                .vars
                .get("blsdir")
                .map_or_else(|| bls::DEFAULT_DIR.to_string(), ToString::to_string);
            let root = it.vars.get("root").unwrap_or_default().to_string();
            if root.is_empty() {
                it.note(format!(
                    "{}:{line}: blscfg: variable `root' isn't set",
                    it.file
                ));
                return Ok(());
            }
            match it.host.canonical_device(&root) {
                Some(device) => (it.file_on(device, blsdir), false),
                None => {
                    it.note(format!(
                        "{}:{line}: blscfg: disk `{root}' not found",
                        it.file
                    ));
                    return Ok(());
                }
            }
        }
    };
    let mut listing = list(it, &dir, line)?;
    let mut dir = dir;
    if listing.is_none() && !explicit {
        it.note(format!(
            "{}:{line}: blscfg: {dir} not found; trying {}",
            it.file,
            bls::FALLBACK_DIR
        ));
        dir.path = bls::FALLBACK_DIR.to_string();
        listing = list(it, &dir, line)?;
    }
    let Some(names) = listing else {
        it.note(format!("{}:{line}: blscfg: {dir} not found", it.file));
        return Ok(());
    };
    let base = dir.path.trim_end_matches('/').to_string();
    for name in names {
        let Some(id) = bls::entry_id(&name) else {
            continue;
        };
        let fp = FilePath {
            device: dir.device.clone(),
            path: format!("{base}/{name}"),
            root: dir.root.clone(),
        };
        let id = id.to_string();
        read_one(it, &fp, &id, line)?;
    }
    Ok(())
}

fn list(
    it: &mut Interp<'_>,
    dir: &FilePath,
    line: u32,
) -> Result<Option<Vec<String>>, ConfigError> {
    it.host_call(line)?;
    match it.host.list_dir(dir, bls::MAX_DIR_NAMES) {
        Ok(l) => {
            if let Some(names) = &l {
                let bytes = names
                    .iter()
                    .map(String::len)
                    .fold(0usize, usize::saturating_add);
                it.charge(bytes, line)?;
            }
            Ok(l)
        }
        Err(e) if e.0 == LIST_DIR_UNAVAILABLE => Err(it.err(
            ConfigErrorKind::Unsupported,
            line,
            format!("`blscfg' needs to list {dir}, and directories cannot be listed here"),
        )),
        Err(e) => Err(it.err(ConfigErrorKind::Host, line, format!("{dir}: {e}"))),
    }
}

/// `read_entry` for one file, then `bls_add_entry`.
fn read_one(it: &mut Interp<'_>, fp: &FilePath, id: &str, line: u32) -> Result<(), ConfigError> {
    it.host_call(line)?;
    match it.host.file_size(fp) {
        Ok(Some(_)) => {}
        Ok(None) => {
            it.note(format!(
                "{}:{line}: blscfg: {fp} is not a regular file; skipped",
                it.file
            ));
            return Ok(());
        }
        Err(e) => return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    }
    it.host_call(line)?;
    let data = match it.host.read_file(fp, bls::MAX_ENTRY_FILE) {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(()),
        Err(e) => return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    };
    it.charge(data.len(), line)?;
    if it.bls.len() >= bls::MAX_ENTRIES.min(it.limits.max_entries) {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!(
                "more than {} BLS entries",
                bls::MAX_ENTRIES.min(it.limits.max_entries)
            ),
        ));
    }
    let entry = BlsEntry::parse(id, &data);
    let loaded = Loaded {
        entry,
        file: fp.to_string(),
        visible: false,
    };
    if !bls::insert_sorted(&mut it.bls, loaded, |l| l.entry.id.as_str()) {
        it.note(format!(
            "{}:{line}: blscfg: {fp}: its id compares equal to an entry already read; dropped, as GRUB drops it",
            it.file
        ));
    }
    Ok(())
}

/// `bls_create_entries`.
fn create(it: &mut Interp<'_>, which: &Which, line: u32) -> Result<(), ConfigError> {
    let def = it.vars.get("default").map(ToString::to_string);
    for idx in 0..it.bls.len() {
        let Some(l) = it.bls.get(idx) else { break };
        if l.visible {
            continue;
        }
        let is_def = is_default(def.as_deref(), &l.entry, idx);
        let add = match which {
            Which::All => true,
            Which::Default => is_def,
            Which::NonDefault => !is_def,
            Which::Id(id) => *id == l.entry.id,
        };
        if !add {
            continue;
        }
        let entry = l.entry.clone();
        let file = l.file.clone();
        if let Some(slot) = it.bls.get_mut(idx) {
            slot.visible = true;
        }
        let vars = &it.vars;
        let get = |n: &str| vars.get(n).map(ToString::to_string);
        let script = bls::entry_script(&entry, &get, it.limits.max_value_len)
            .map_err(|m| it.err(ConfigErrorKind::Limit, line, format!("{file}: {m}")))?;
        let Some(script) = script else {
            it.note(format!(
                "{}:{line}: blscfg: {file} has no `linux' key; skipped",
                it.file
            ));
            continue;
        };
        add_entry(it, script, file, line)?;
    }
    Ok(())
}

fn add_entry(
    it: &mut Interp<'_>,
    s: bls::EntryScript,
    file: String,
    line: u32,
) -> Result<(), ConfigError> {
    if it.menu.len() >= it.limits.max_entries {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("more than {} menu entries", it.limits.max_entries),
        ));
    }
    let size = s.args.iter().map(String::len).fold(
        s.source.len().saturating_add(s.id.len()),
        usize::saturating_add,
    );
    it.menu_bytes = it.menu_bytes.saturating_add(size);
    if it.menu_bytes > it.limits.max_menu_bytes {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!(
                "menu titles and arguments larger than {} bytes",
                it.limits.max_menu_bytes
            ),
        ));
    }
    it.charge(s.source.len(), line)?;
    // GRUB parses the body when the entry is booted: a body that does not parse makes
    // that entry fail, not the menu.
    let body = match it.parse(s.source.as_bytes(), &file) {
        Ok(b) => b,
        Err(e) if e.kind == ConfigErrorKind::Limit => return Err(e),
        Err(e) => {
            it.note(format!("{file}: the entry's script does not parse: {e}"));
            Vec::new()
        }
    };
    it.menu.push(Pending {
        title: s.title,
        id: Some(s.id),
        args: s.args,
        body: Rc::new(body),
        submenu: false,
        restricted: s.users.is_some(),
        users: s.users.clone(),
        hotkey: None,
        line,
        file,
    });
    Ok(())
}

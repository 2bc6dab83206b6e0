//! Boot Loader Specification Type #1 entries, as Fedora-family GRUB's `blscfg` turns
//! them into menu entries (`grub-core/commands/blscfg.c` of rhboot/grub2, branches
//! fedora-44 and rhel-9-main).
//!
//! - [`entry`]: one `ID.conf` file, read as `read_entry` reads it.
//! - [`order`]: `bls_cmp`, the newest-first order of entry ids.
//! - [`expand_val`]: `$name` in `options` (and `grub_users`) replaced from the GRUB
//!   environment as `blscfg` does it, quirks included.
//! - [`entry_script`]: the GRUB script `create_entry` registers for an entry, which the
//!   evaluator then runs as it runs any menu entry body.
//! - [`spec`]: entries with no GRUB around them, as the specification orders them.
//! - [`loader_conf`]: systemd-boot's `loader.conf` and its choice of the default.
//! - [`insert_sorted`]: `bls_add_entry`, including its dropping of entries whose ids
//!   compare equal to one already listed.

pub mod entry;
pub mod loader_conf;
pub mod order;
pub mod spec;

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

pub use entry::BlsEntry;

/// Where `blscfg` looks when `$blsdir` is not set, then its fallback.
pub const DEFAULT_DIR: &str = "/loader/entries/";
/// The fallback directory, used when the first cannot be listed.
pub const FALLBACK_DIR: &str = "/boot/loader/entries/";
/// Largest entry file read (older `blscfg` skipped files over 1 MiB).
pub const MAX_ENTRY_FILE: usize = 1 << 20;
/// Most names taken from one directory listing.
pub const MAX_DIR_NAMES: usize = 4096;
/// Most entries kept.
pub const MAX_ENTRIES: usize = 1024;

/// Whether a directory entry name is an entry file (`read_entry`): not starting with
/// `.`, longer than 5 bytes, ending in `.conf`. Returns the id.
pub fn entry_id(name: &str) -> Option<&str> {
    if name.starts_with('.') || name.len() <= 5 {
        return None;
    }
    name.strip_suffix(".conf")
}

/// `bls_add_entry`: inserts `e` before the first listed entry it is newer than; an
/// entry whose id compares equal to one already listed is dropped (returns `false`).
pub fn insert_sorted<T>(list: &mut Vec<T>, e: T, id: impl Fn(&T) -> &str) -> bool {
    let mut at = list.len();
    for (i, x) in list.iter().enumerate() {
        match order::blscfg_cmp(id(&e), id(x)) {
            Ordering::Equal => return false,
            Ordering::Greater => {
                at = i;
                break;
            }
            Ordering::Less => {}
        }
    }
    list.insert(at, e);
    true
}

/// `expand_val`: copies `value`, replacing each `$name` (`name` made of ASCII letters,
/// digits and `_`, the `$` not preceded by `\`) by the variable's value followed by one
/// space (nothing when unset). A space right after a name is dropped. As in GRUB, a
/// piece of one byte is lost when the next `$` or the end follows it (`a$x` loses `a`;
/// a trailing `$x` with a one-letter name expands to nothing). `None` when nothing at
/// all was produced (GRUB then uses `$default_kernelopts` for `options`). An error when
/// the result would be longer than `max` bytes (many references to a long variable).
pub fn expand_val(
    value: &str,
    get: &dyn Fn(&str) -> Option<String>,
    max: usize,
) -> Result<Option<String>, String> {
    let v = value.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut too_long = false;
    let mut append = |is_var: bool, start: usize, end: usize, out: &mut Option<Vec<u8>>| {
        if too_long {
            return;
        }
        // The field is v[start..=end]; empty when end < start.
        let field = if end >= start {
            v.get(start..=end).unwrap_or_default()
        } else {
            &[][..]
        };
        if is_var {
            let name = String::from_utf8_lossy(field);
            if let Some(val) = get(&name) {
                let buf = out.get_or_insert_with(Vec::new);
                if buf.len().saturating_add(val.len()).saturating_add(1) > max {
                    too_long = true;
                    return;
                }
                buf.extend_from_slice(val.as_bytes());
                buf.push(b' ');
            }
        } else {
            let buf = out.get_or_insert_with(Vec::new);
            if buf.len().saturating_add(field.len()) > max {
                too_long = true;
                return;
            }
            buf.extend_from_slice(field);
        }
    };
    let (mut start, mut end) = (0usize, 0usize);
    let mut is_var = false;
    for (i, &c) in v.iter().enumerate() {
        let prev = v.get(end).copied().unwrap_or(0);
        if c == b'$' && prev != b'\\' {
            if start != end {
                append(is_var, start, end, &mut out);
            }
            is_var = true;
            start = i.saturating_add(1);
        } else if is_var && !c.is_ascii_alphanumeric() && c != b'_' {
            append(is_var, start, end, &mut out);
            is_var = false;
            start = i;
            if c == b' ' {
                start = i.saturating_add(1);
            }
        }
        end = i;
    }
    if start != end {
        append(is_var, start, end, &mut out);
    }
    if too_long {
        return Err(alloc::format!(
            "`{}' expands to more than {max} bytes",
            value.get(..value.len().min(40)).unwrap_or("")
        ));
    }
    Ok(out.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// What `create_entry` registers for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryScript {
    /// Menu title: `title`, else the `linux` value.
    pub title: String,
    /// The `menuentry` arguments: the title, then each `grub_arg` value.
    pub args: Vec<String>,
    /// The entry's id (file name without `.conf`).
    pub id: String,
    /// `grub_users` was given (expanded): the entry is restricted.
    pub users: Option<String>,
    /// The GRUB script that is the entry's body.
    pub source: String,
}

/// `create_entry`: the script GRUB runs when the entry is booted, or `None` for an
/// entry without a `linux` key (skipped). `get` reads the GRUB environment as it is
/// when `blscfg` runs (`options` and `$default_kernelopts`, `$early_initrd`,
/// `$devicetree`, `$save_default` are read then; `$root` in the script is expanded when
/// the entry runs). An error when an expansion is longer than `max` bytes.
pub fn entry_script(
    e: &BlsEntry,
    get: &dyn Fn(&str) -> Option<String>,
    max: usize,
) -> Result<Option<EntryScript>, String> {
    let Some(linux) = e.get("linux") else {
        return Ok(None);
    };
    let expand = |v: Option<&str>| -> Result<Option<String>, String> {
        match v {
            Some(v) => expand_val(v, get, max),
            None => Ok(None),
        }
    };
    let mut id = String::from(e.id.as_str());
    // "strip the .conf off the end": only a final `.conf` (the id has none already,
    // unless the file was `x.conf.conf`).
    if let Some(s) = id.strip_suffix(".conf") {
        id = String::from(s);
    }
    let title = e.get("title").unwrap_or(linux);
    let options = match expand(e.get("options"))? {
        Some(o) => Some(o),
        None => expand(get("default_kernelopts").as_deref())?,
    };
    let initrds = e.all("initrd");
    let users = expand(e.get("grub_users"))?;
    let mut args = Vec::new();
    args.push(String::from(title));
    args.extend(e.all("grub_arg").into_iter().map(String::from));
    let mut src = String::new();
    if get("save_default").as_deref() == Some("true") {
        src.push_str("savedefault\n");
    }
    src.push_str("load_video\nset gfxpayload=keep\ninsmod gzio\nlinux ($root)");
    src.push_str(linux);
    if let Some(o) = &options {
        src.push(' ');
        src.push_str(o);
    }
    src.push('\n');
    let early = get("early_initrd");
    if early.is_some() || !initrds.is_empty() {
        src.push_str("initrd");
        if let Some(early) = &early {
            // Early initrds live in the directory of the first initrd (else of the
            // kernel), up to and including its last `/`.
            let base = initrds.first().copied().unwrap_or(linux);
            let prefix = base.rfind('/').map_or("", |p| base.get(..=p).unwrap_or(""));
            for name in early.split(' ') {
                src.push_str(" ($root)");
                src.push_str(prefix);
                src.push_str(name);
            }
        }
        for i in &initrds {
            src.push_str(" ($root)");
            src.push_str(i);
        }
        src.push('\n');
    }
    let dt = match e.get("devicetree") {
        Some(d) => expand(Some(d))?.map(|d| (d, false)),
        None => expand(get("devicetree").as_deref())?.map(|d| (d, true)),
    };
    if let Some((dt, add_prefix)) = dt {
        src.push_str("devicetree ($root)");
        if add_prefix {
            let prefix = linux
                .rfind('/')
                .map_or("", |p| linux.get(..=p).unwrap_or(""));
            src.push_str(prefix);
        }
        src.push_str(&dt);
        src.push('\n');
    }
    Ok(Some(EntryScript {
        title: String::from(title),
        args,
        id,
        users,
        source: src,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn env(name: &str) -> Option<String> {
        match name {
            "kernelopts" => Some("root=/dev/xvda2 ro".to_string()),
            "tuned_params" => Some("skew_tick=1".to_string()),
            "x" => Some("X".to_string()),
            _ => None,
        }
    }

    #[test]
    fn expand() {
        assert_eq!(
            expand_val("$kernelopts $tuned_params", &env, 1 << 16)
                .unwrap()
                .as_deref(),
            Some("root=/dev/xvda2 ro skew_tick=1 ")
        );
        assert_eq!(
            expand_val("quiet $kernelopts", &env, 1 << 16)
                .unwrap()
                .as_deref(),
            Some("quiet root=/dev/xvda2 ro ")
        );
        assert_eq!(
            expand_val("root=/dev/xvda1 ro quiet", &env, 1 << 16)
                .unwrap()
                .as_deref(),
            Some("root=/dev/xvda1 ro quiet")
        );
        assert_eq!(expand_val("$unset", &env, 1 << 16).unwrap(), None);
        // One-byte pieces before `$` or at the end are lost, as in GRUB.
        assert_eq!(
            expand_val("a$kernelopts", &env, 1 << 16)
                .unwrap()
                .as_deref(),
            Some("root=/dev/xvda2 ro ")
        );
        assert_eq!(expand_val("$x", &env, 1 << 16).unwrap(), None);
        assert_eq!(
            expand_val("$kernelopts,y", &env, 1 << 16)
                .unwrap()
                .as_deref(),
            Some("root=/dev/xvda2 ro ,y")
        );
        assert_eq!(
            expand_val("\\$x b", &env, 1 << 16).unwrap().as_deref(),
            Some("\\$x b")
        );
    }

    #[test]
    fn expansion_is_bounded() {
        let long = |_: &str| Some("x".repeat(1000));
        let many = "$v ".repeat(100);
        assert!(expand_val(&many, &long, 1 << 17).is_ok());
        assert!(expand_val(&many, &long, 50_000).is_err());
    }

    #[test]
    fn sorted_insert_drops_equal() {
        let mut l: Vec<String> = Vec::new();
        for id in [
            "m-5.14.0-70.el9.x86_64",
            "m-5.14.0-427.el9.x86_64",
            "m-0-rescue",
            "m-5.14.0-070.el9.x86_64",
        ] {
            insert_sorted(&mut l, id.to_string(), |s| s.as_str());
        }
        assert_eq!(
            l,
            [
                "m-5.14.0-427.el9.x86_64",
                "m-5.14.0-70.el9.x86_64",
                "m-0-rescue"
            ]
        );
    }
}

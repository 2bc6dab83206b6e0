//! Type #1 entries with no GRUB script around them, ordered and read as the Boot Loader
//! Specification and systemd read them (`specs/boot_loader_specification.md` of
//! uapi-group/specifications; `boot_entry_load_type1`, `boot_entry_compare` and
//! `boot_filename_extract_tries` in systemd's `src/shared/bootspec.c`):
//!
//! - file `ID[+LEFT[-DONE]].conf`: the boot-counting suffix is not part of the id;
//!   `+0` (no tries left) marks a bad entry, sorted last;
//! - blank lines and `#` comments are skipped; a key is followed by white space and the
//!   value (trimmed); single-valued keys take their last occurrence, `options` lines
//!   are joined with spaces, `initrd` lines add initrds in order;
//! - order: good before bad; entries with `sort-key` before those without; between two
//!   with `sort-key`: `sort-key` (bytes), `machine-id`, then `version` newest first;
//!   finally the id, newest first ([`super::order::strverscmp_improved`]); for
//!   two files with the same id then by tries left (more first) and tries done (fewer
//!   first), as systemd-boot's `config_entry_compare` ends;
//! - the default: with a `loader.conf`, as systemd-boot chooses it
//!   ([`super::loader_conf`]); without one, the first entry xlboot can boot (no EFI
//!   variables exist for a Xen guest's boot).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::loader_conf::{Glob, LoaderConf};
use super::order::strverscmp_improved;
use crate::host::{FilePath, PathRoot};
use crate::menu::{BootSpec, Entry, Menu, MenuItem, MenuUi, TimeoutStyle};

/// One entry as the specification reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecEntry {
    /// The file name.
    pub file: String,
    /// The file name without the boot-counting suffix and `.conf`.
    pub id: String,
    /// Boot tries left (`+LEFT`), if the file name counts boots.
    pub tries_left: Option<u32>,
    /// Boot tries done (`-DONE`).
    pub tries_done: Option<u32>,
    /// `title`.
    pub title: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `machine-id`.
    pub machine_id: Option<String>,
    /// `sort-key`.
    pub sort_key: Option<String>,
    /// `linux`.
    pub linux: Option<String>,
    /// Every `initrd`, in order.
    pub initrds: Vec<String>,
    /// Every `options` line, joined by spaces.
    pub options: Option<String>,
    /// `efi` or `uki`: an EFI program, which xlboot does not boot.
    pub efi: Option<String>,
}

/// Splits `ID[+LEFT[-DONE]].conf` (`boot_filename_extract_tries`). `None` when the name
/// does not end in `.conf` or starts with `.`.
pub fn split_name(name: &str) -> Option<(String, Option<u32>, Option<u32>)> {
    if name.starts_with('.') {
        return None;
    }
    let stem = name.strip_suffix(".conf")?;
    if let Some(plus) = stem.rfind('+') {
        let counter = stem.get(plus.saturating_add(1)..).unwrap_or_default();
        let (left, done) = match counter.split_once('-') {
            Some((l, d)) => (l, Some(d)),
            None => (counter, None),
        };
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        if let Some(l) = num(left) {
            let d = match done {
                None => Some(None),
                Some(d) => num(d).map(Some),
            };
            if let Some(d) = d {
                return Some((
                    String::from(stem.get(..plus).unwrap_or_default()),
                    Some(l),
                    d,
                ));
            }
        }
    }
    Some((String::from(stem), None, None))
}

impl SpecEntry {
    /// Reads the file `name` (`ID[+LEFT[-DONE]].conf`) with contents `data`.
    pub fn parse(name: &str, data: &[u8]) -> Option<SpecEntry> {
        let (id, tries_left, tries_done) = split_name(name)?;
        let mut e = SpecEntry {
            file: String::from(name),
            id,
            tries_left,
            tries_done,
            title: None,
            version: None,
            machine_id: None,
            sort_key: None,
            linux: None,
            initrds: Vec::new(),
            options: None,
            efi: None,
        };
        let text = String::from_utf8_lossy(data);
        for line in text.lines().take(super::entry::MAX_KEYS) {
            let line = line.trim_matches(|c: char| c.is_ascii_whitespace());
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = match line.find(|c: char| c.is_ascii_whitespace()) {
                Some(p) => (
                    line.get(..p).unwrap_or_default(),
                    line.get(p..)
                        .unwrap_or_default()
                        .trim_matches(|c: char| c.is_ascii_whitespace()),
                ),
                None => (line, ""),
            };
            let v = String::from(value);
            match key {
                "title" => e.title = Some(v),
                "version" => e.version = Some(v),
                "machine-id" => e.machine_id = Some(v),
                "sort-key" => e.sort_key = Some(v),
                "linux" => e.linux = Some(v),
                "efi" | "uki" => e.efi = Some(v),
                "initrd" => e.initrds.push(v),
                "options" => match &mut e.options {
                    Some(o) => {
                        o.push(' ');
                        o.push_str(&v);
                    }
                    None => e.options = Some(v),
                },
                _ => {}
            }
        }
        Some(e)
    }
}

fn opt_bytes(s: &Option<String>) -> &[u8] {
    s.as_deref().unwrap_or("").as_bytes()
}

/// `boot_entry_compare`: `Less` means `a` is listed first.
pub fn spec_cmp(a: &SpecEntry, b: &SpecEntry) -> Ordering {
    let bad = |e: &SpecEntry| e.tries_left == Some(0);
    bad(a)
        .cmp(&bad(b))
        .then_with(|| a.sort_key.is_none().cmp(&b.sort_key.is_none()))
        .then_with(|| {
            if a.sort_key.is_some() && b.sort_key.is_some() {
                opt_bytes(&a.sort_key)
                    .cmp(opt_bytes(&b.sort_key))
                    .then_with(|| a.machine_id.cmp(&b.machine_id))
                    .then_with(|| strverscmp_improved(opt_bytes(&b.version), opt_bytes(&a.version)))
            } else {
                Ordering::Equal
            }
        })
        .then_with(|| strverscmp_improved(b.id.as_bytes(), a.id.as_bytes()))
        .then_with(|| match (a.tries_left, b.tries_left) {
            (Some(la), Some(lb)) => lb
                .cmp(&la)
                .then_with(|| a.tries_done.unwrap_or(0).cmp(&b.tries_done.unwrap_or(0))),
            _ => Ordering::Equal,
        })
}

/// A menu from the entry files of one directory on `device`: `files` are (file name,
/// contents). Files that are not entries are left out; at most
/// [`super::MAX_ENTRIES`] entries are kept.
pub fn menu(device: &str, files: &[(String, Vec<u8>)]) -> Menu {
    menu_with_loader_conf(device, &PathRoot::Top, files, None)
}

/// [`menu`], with the default and timeout chosen as systemd-boot chooses them when
/// `loader.conf` is given. The entries' paths start at `root`: the subvolume the
/// entries directory is in, when it is in one (the running system's `/`, where
/// `kernel-install` wrote them from).
pub fn menu_with_loader_conf(
    device: &str,
    root: &PathRoot,
    files: &[(String, Vec<u8>)],
    conf: Option<&LoaderConf>,
) -> Menu {
    let mut entries: Vec<SpecEntry> = files
        .iter()
        .filter_map(|(n, d)| SpecEntry::parse(n, d))
        .take(super::MAX_ENTRIES)
        .collect();
    entries.sort_by(spec_cmp);
    let fp = |p: &str| FilePath {
        device: String::from(device),
        path: String::from(p),
        root: root.clone(),
    };
    let items: Vec<MenuItem> = entries
        .iter()
        .map(|e| {
            let boot = match (&e.linux, &e.efi) {
                (Some(l), _) => Ok(BootSpec {
                    kernel: fp(l),
                    initrds: e.initrds.iter().map(|i| fp(i)).collect(),
                    args: e.options.clone().unwrap_or_default(),
                }),
                (None, Some(efi)) => Err(format!(
                    "the entry boots the EFI program {efi}; xlboot boots only Linux kernels"
                )),
                (None, None) => Err(String::from("the entry has no `linux' key")),
            };
            MenuItem::Entry(Entry {
                title: e.title.clone().unwrap_or_else(|| e.id.clone()),
                id: Some(e.id.clone()),
                boot,
            })
        })
        .collect();
    if let Some(conf) = conf {
        let (default, default_rule) = loader_conf_default(&entries, conf);
        return Menu {
            default: (!items.is_empty()).then(|| alloc::vec![default]),
            items,
            timeout: conf.timeout.seconds(),
            default_rule,
            ui: MenuUi {
                // systemd-boot shows no menu unless it waits; a key shows it.
                style: if conf.timeout.seconds() == Some(0) {
                    TimeoutStyle::Hidden
                } else {
                    TimeoutStyle::Menu
                },
                ..MenuUi::default()
            },
        };
    }
    let first_ok = items
        .iter()
        .position(|i| matches!(i, MenuItem::Entry(e) if e.boot.is_ok()));
    let default = if items.is_empty() {
        None
    } else {
        Some(alloc::vec![first_ok.unwrap_or(0)])
    };
    Menu {
        default_rule: String::from(
            "Boot Loader Specification order (no loader.conf default): first bootable entry",
        ),
        items,
        default,
        // Without loader.conf systemd-boot boots at once, no menu shown.
        timeout: Some(0),
        ui: MenuUi {
            style: TimeoutStyle::Hidden,
            ..MenuUi::default()
        },
    }
}

/// `config_default_entry_select` without EFI variables: the first entry (in menu
/// order) whose id the `default` glob matches, else the first entry.
fn loader_conf_default(entries: &[SpecEntry], conf: &LoaderConf) -> (usize, String) {
    let Some(pattern) = conf.default.as_deref() else {
        return (
            0,
            String::from("loader.conf has no default: first entry, as systemd-boot"),
        );
    };
    if pattern == "@saved" {
        return (
            0,
            String::from(
                "loader.conf default @saved: no saved entry (no EFI variables): first entry, as systemd-boot",
            ),
        );
    }
    let glob = Glob::new(pattern);
    let found = entries.iter().position(|e| {
        let full = e.file.to_lowercase();
        // Without the boot-counting suffix, as later systemd-boot versions name it.
        let plain = format!("{}.conf", e.id).to_lowercase();
        glob.matches(&full) || glob.matches(&plain)
    });
    match found {
        Some(i) => (
            i,
            format!(
                "loader.conf default {pattern} (glob on entry file names): entry {i}, {}",
                entries.get(i).map_or("", |e| e.file.as_str())
            ),
        ),
        None => (
            0,
            format!("loader.conf default {pattern} matches no entry: first entry, as systemd-boot"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn counting_suffix() {
        assert_eq!(
            split_name("fedora-6.8+3-1.conf"),
            Some((String::from("fedora-6.8"), Some(3), Some(1)))
        );
        assert_eq!(
            split_name("a+0.conf"),
            Some((String::from("a"), Some(0), None))
        );
        assert_eq!(
            split_name("a+x.conf"),
            Some((String::from("a+x"), None, None))
        );
        assert_eq!(split_name("a.conf.bak"), None);
    }

    /// systemd's test-bootspec expectation: d, cx, c, b, a-10, a-5.
    #[test]
    fn systemd_order() {
        let f = |n: &str, body: &str| (String::from(n), body.as_bytes().to_vec());
        let files = vec![
            f("a-5.conf", "title A\nversion 5\nlinux /a5\n"),
            f("a-10.conf", "title A\nversion 10\nlinux /a10\n"),
            f("b.conf", "title B\nversion 3\nlinux /b\n"),
            f("c.conf", "title C\nsort-key xxxx\nversion 5\nlinux /c\n"),
            f("cx.conf", "title C\nsort-key xxxx\nversion 10\nlinux /cx\n"),
            f("d.conf", "title D\nsort-key aaaa\nversion 2\nlinux /d\n"),
        ];
        let m = menu("hd0", &files);
        let ids: Vec<_> = m.items.iter().map(|i| i.id().unwrap_or("")).collect();
        assert_eq!(ids, ["d", "cx", "c", "b", "a-10", "a-5"]);
    }

    #[test]
    fn bad_entries_last_and_options_joined() {
        let f = |n: &str, body: &str| (String::from(n), body.as_bytes().to_vec());
        let files = vec![
            f("z-9+0-3.conf", "linux /z9\n"),
            f(
                "z-1+2.conf",
                "linux /z1\n\noptions a=1\noptions b=2\ninitrd /i1\ninitrd /i2\n",
            ),
        ];
        let m = menu("hd0", &files);
        let ids: Vec<_> = m.items.iter().map(|i| i.id().unwrap_or("")).collect();
        assert_eq!(ids, ["z-1", "z-9"]);
        let b = m.entry(&[0]).unwrap().boot.clone().unwrap();
        assert_eq!(b.args, "a=1 b=2");
        assert_eq!(b.initrds.len(), 2);
        assert_eq!(m.default, Some(vec![0]));
    }

    fn fedora_files() -> Vec<(String, Vec<u8>)> {
        let f = |n: &str, body: &str| (String::from(n), body.as_bytes().to_vec());
        vec![
            f(
                "m-6.8.5+2-1.conf",
                "title F 6.8\nversion 6.8.5\nlinux /v68\n",
            ),
            f("m-6.5.6.conf", "title F 6.5\nversion 6.5.6\nlinux /v65\n"),
            f("m-0-rescue.conf", "title Rescue\nlinux /vr\n"),
        ]
    }

    #[test]
    fn loader_conf_default_glob_and_timeout() {
        let files = fedora_files();
        let conf = LoaderConf::parse(b"default M-6.5*\ntimeout 4\n");
        let m = menu_with_loader_conf("hd0", &PathRoot::Top, &files, Some(&conf));
        let ids: Vec<_> = m.items.iter().map(|i| i.id().unwrap_or("")).collect();
        assert_eq!(ids, ["m-6.8.5", "m-6.5.6", "m-0-rescue"]);
        assert_eq!(m.default, Some(vec![1]));
        assert_eq!(m.timeout, Some(4));
        // Matched against the file name: `.conf` is part of it.
        let conf = LoaderConf::parse(b"default m-0-rescue\n");
        let m = menu_with_loader_conf("hd0", &PathRoot::Top, &files, Some(&conf));
        assert_eq!(m.default, Some(vec![0]));
        assert!(m.default_rule.contains("matches no entry"));
        let conf = LoaderConf::parse(b"default m-0-rescue.conf\n");
        let m = menu_with_loader_conf("hd0", &PathRoot::Top, &files, Some(&conf));
        assert_eq!(m.default, Some(vec![2]));
        // With or without the boot-counting suffix.
        for pattern in ["m-6.8.5+2-1.conf", "m-6.8.5.conf"] {
            let conf = LoaderConf::parse(alloc::format!("default {pattern}").as_bytes());
            let m = menu_with_loader_conf("hd0", &PathRoot::Top, &files, Some(&conf));
            assert_eq!(m.default, Some(vec![0]), "{pattern}");
        }
        // @saved: no EFI variables, so the first entry; no timeout: at once.
        let conf = LoaderConf::parse(b"default @saved\n");
        let m = menu_with_loader_conf("hd0", &PathRoot::Top, &files, Some(&conf));
        assert_eq!(m.default, Some(vec![0]));
        assert_eq!(m.timeout, Some(0));
    }

    #[test]
    fn same_id_by_tries() {
        let f = |n: &str| {
            (
                String::from(n),
                alloc::format!("title {n}\nlinux /k\n").into_bytes(),
            )
        };
        let m = menu("hd0", &[f("a+1-5.conf"), f("a+3-1.conf"), f("a+3-0.conf")]);
        let titles: Vec<_> = m.items.iter().map(MenuItem::title).collect();
        // More tries left first, then fewer tries done.
        assert_eq!(titles, ["a+3-0.conf", "a+3-1.conf", "a+1-5.conf"]);
    }
}

//! Running a parsed GRUB legacy config as GRUB 0.97 boots it: each entry's commands as
//! `run_script` runs them, `default`, `default saved` and `fallback` as `cmain` and
//! `run_menu` resolve them.
//!
//! An entry fails, as in GRUB, when one of its commands fails: a device or file that
//! does not exist, `initrd` or `module` before `kernel`, a menu-only or unknown
//! command. GRUB then boots the `fallback` entries in order; when every one fails it
//! stops at the menu, and xlboot reports the default entry's failure.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::lexer::{self, first_word, skip_to};
use super::model::{self, Command, Config, DefaultSetting, EntrySource};
use crate::error::{ConfigError, ConfigErrorKind};
use crate::grub2::Limits;
use crate::host::{ConfigHost, FilePath};
use crate::menu::{BootSpec, Entry, EntryPath, Menu, MenuItem};

/// Most config files read through `configfile`, all nesting levels together.
pub const MAX_CONFIG_FILES: usize = 64;
/// Most bytes of the `default` file GRUB looks at (`char buf[10]`, the last byte
/// overwritten by the terminating NUL).
const DEFAULT_FILE_BYTES: usize = 9;
/// Largest `default` file read.
const MAX_DEFAULT_FILE: usize = 64 << 10;

/// A config evaluated into a menu.
pub struct Evaluated {
    /// The menu, its default and timeout.
    pub menu: Menu,
    /// The top config as parsed (password, hidden menu, ... for the menu UI).
    pub config: Config,
    /// Remarks for `--debug`.
    pub notes: Vec<String>,
}

/// The evaluation of one config and the ones it chains to.
pub struct Eval<'h> {
    host: &'h dyn ConfigHost,
    limits: Limits,
    files_read: usize,
    entries_seen: usize,
    notes: Vec<String>,
}

/// What one config file became.
struct Level {
    menu: Menu,
    config: Config,
}

impl<'h> Eval<'h> {
    /// An evaluation reading files through `host`, within `limits`.
    pub fn new(host: &'h dyn ConfigHost, limits: &Limits) -> Self {
        Eval {
            host,
            limits: limits.clone(),
            files_read: 0,
            entries_seen: 0,
            notes: Vec::new(),
        }
    }

    /// Evaluates the config `source` found at `file`. GRUB's root device starts as the
    /// device the config is on.
    pub fn run(mut self, source: &[u8], file: &FilePath) -> Result<Evaluated, ConfigError> {
        let mut chain = alloc::vec![file.clone()];
        let level = self.level(source, file, &file.device, &mut chain)?;
        Ok(Evaluated {
            menu: level.menu,
            config: level.config,
            notes: self.notes,
        })
    }

    fn note(&mut self, file: &FilePath, s: String) {
        if self.notes.len() < 512 {
            self.notes.push(format!("{file}: {s}"));
        }
    }

    fn err(file: &FilePath, line: u32, kind: ConfigErrorKind, message: String) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            line,
            kind,
            message,
        }
    }

    /// One config file: parse, evaluate every entry, resolve the default.
    fn level(
        &mut self,
        source: &[u8],
        file: &FilePath,
        root: &str,
        chain: &mut Vec<FilePath>,
    ) -> Result<Level, ConfigError> {
        if source.len() > self.limits.max_config_size {
            return Err(Self::err(
                file,
                0,
                ConfigErrorKind::Limit,
                format!(
                    "{} bytes, more than the {} allowed",
                    source.len(),
                    self.limits.max_config_size
                ),
            ));
        }
        let (lines, more) = lexer::lines(source, self.limits.max_tokens);
        if more {
            return Err(Self::err(
                file,
                0,
                ConfigErrorKind::Limit,
                format!("more than {} lines", self.limits.max_tokens),
            ));
        }
        let remaining = self.limits.max_entries.saturating_sub(self.entries_seen);
        let config = model::parse(&lines, remaining, self.limits.max_tokens)
            .map_err(|m| Self::err(file, 0, ConfigErrorKind::Limit, m))?;
        self.entries_seen = self.entries_seen.saturating_add(config.entries.len());
        for n in &config.notes {
            self.note(file, n.clone());
        }

        let mut items = Vec::new();
        let mut sub_defaults: Vec<Option<(EntryPath, String)>> = Vec::new();
        for e in &config.entries {
            let (item, sub) = self.entry(e, file, root, chain)?;
            items.push(item);
            sub_defaults.push(sub);
        }

        let (start, mut rule) = self.default_number(&config, file)?;
        let (index, why) = choose(&items, start, &config.fallback);
        rule.push_str(&why);
        let default = index.map(|i| {
            let mut path = alloc::vec![i];
            if let Some(Some((sub, sub_rule))) = sub_defaults.get(i) {
                path.extend(sub.iter().copied());
                rule.push_str("; then ");
                rule.push_str(sub_rule);
            }
            path
        });
        let timeout = config.timeout.and_then(|t| u64::try_from(t).ok());
        let mut ui = menu_ui(&config);
        ui.unlock_config = self.unlock_config(&config, file, root)?;
        Ok(Level {
            menu: Menu {
                items,
                default,
                timeout,
                default_rule: rule,
                ui,
            },
            config,
        })
    }

    /// The config a global `password PASS FILE` loads once the password is given
    /// (`run_menu` copies FILE into `config_file` and `cmain` opens it from the boot
    /// device, as any config). One that does not exist is noted: GRUB would stop at
    /// its command line; the password then only unlocks this menu.
    fn unlock_config(
        &mut self,
        config: &Config,
        file: &FilePath,
        root: &str,
    ) -> Result<Option<FilePath>, ConfigError> {
        let Some(word) = config.password.as_ref().and_then(|p| p.new_config.clone()) else {
            return Ok(None);
        };
        let c = Command {
            line: 0,
            name: "password".into(),
            arg: word.clone(),
        };
        match self.file(&word, &Ok(root.to_string()), file, &c)? {
            Ok(f) => Ok(Some(f)),
            Err(m) => {
                self.note(
                    file,
                    format!(
                        "password: the config it loads: {m}; the password only unlocks the menu"
                    ),
                );
                Ok(None)
            }
        }
    }

    /// The entry number `default` asks for, and how it was found.
    fn default_number(
        &mut self,
        config: &Config,
        file: &FilePath,
    ) -> Result<(usize, String), ConfigError> {
        match config.default {
            None => Ok((0, format!("{file}: no default line: entry 0"))),
            Some((DefaultSetting::Number(n), line)) => Ok((
                usize::try_from(n).unwrap_or(0),
                format!("{file}: default {n} (line {line})"),
            )),
            Some((DefaultSetting::Saved, line)) => {
                let dir = file
                    .path
                    .rfind('/')
                    .map_or("", |i| file.path.get(..i).unwrap_or(""));
                let default_file = FilePath {
                    device: file.device.clone(),
                    path: format!("{dir}/default"),
                    root: Default::default(),
                };
                let text = self
                    .host
                    .read_file(&default_file, MAX_DEFAULT_FILE)
                    .map_err(|e| Self::err(file, line, ConfigErrorKind::Host, e.0))?;
                let Some(text) = text else {
                    return Ok((
                        0,
                        format!("{file}: default saved (line {line}): no {default_file}, so 0"),
                    ));
                };
                let n = saved_entry(&text);
                Ok((
                    usize::try_from(n).unwrap_or(0),
                    format!("{file}: default saved (line {line}): {default_file} says {n}"),
                ))
            }
        }
    }

    /// Runs one entry's commands as GRUB would when booting it.
    fn entry(
        &mut self,
        e: &EntrySource,
        file: &FilePath,
        root: &str,
        chain: &mut Vec<FilePath>,
    ) -> Result<(MenuItem, Option<(EntryPath, String)>), ConfigError> {
        let fail = |why: String| {
            (
                MenuItem::Entry(Entry {
                    title: e.title.clone(),
                    id: None,
                    boot: Err(why),
                }),
                None,
            )
        };
        let mut root: Result<String, String> = Ok(root.to_string());
        let mut kernel: Option<(FilePath, String)> = None;
        let mut initrd: Option<FilePath> = None;
        let mut modules: Vec<(FilePath, String)> = Vec::new();
        for c in &e.commands {
            let at = |m: String| format!("line {}: {m}", c.line);
            match c.name.as_str() {
                "root" | "rootnoverify" => match self.device(first_word(&c.arg)) {
                    Ok(d) => root = Ok(d),
                    Err(m) => return Ok(fail(at(m))),
                },
                "uuid" => {
                    let want = first_word(&c.arg);
                    match self.host.devices().into_iter().find(|d| {
                        d.fs_uuid
                            .as_deref()
                            .is_some_and(|u| u.eq_ignore_ascii_case(want))
                    }) {
                        Some(d) => root = Ok(d.name),
                        None => {
                            return Ok(fail(at(format!(
                                "uuid {want}: no filesystem with this UUID"
                            ))))
                        }
                    }
                }
                "kernel" => {
                    let mut arg = c.arg.as_str();
                    loop {
                        if let Some(t) = arg.strip_prefix("--type=") {
                            let known = [
                                "netbsd",
                                "freebsd",
                                "openbsd",
                                "linux",
                                "biglinux",
                                "multiboot",
                            ];
                            if !known.iter().any(|k| t.starts_with(k)) {
                                return Ok(fail(at(format!("kernel: bad --type in `{arg}'"))));
                            }
                        } else if !arg.starts_with("--no-mem-option") {
                            break;
                        }
                        arg = skip_to(false, arg);
                    }
                    match self.file(first_word(arg), &root, file, c)? {
                        Ok(f) => kernel = Some((f, skip_to(false, arg).to_string())),
                        Err(m) => return Ok(fail(at(m))),
                    }
                    initrd = None;
                    modules.clear();
                }
                "initrd" => {
                    if kernel.is_none() {
                        return Ok(fail(at("initrd before kernel (GRUB: Error 26)".into())));
                    }
                    match self.file(first_word(&c.arg), &root, file, c)? {
                        Ok(f) => initrd = Some(f),
                        Err(m) => return Ok(fail(at(m))),
                    }
                }
                "module" | "modulenounzip" => {
                    if kernel.is_none() {
                        return Ok(fail(at("module before kernel (GRUB: Error 25)".into())));
                    }
                    match self.file(first_word(&c.arg), &root, file, c)? {
                        Ok(f) => modules.push((f, skip_to(false, &c.arg).to_string())),
                        Err(m) => return Ok(fail(at(m))),
                    }
                }
                "configfile" => return self.configfile(e, c, &root, file, chain),
                "chainloader" => return Ok(fail(at(
                    "chainloader: chain-loading another boot loader is not something xlboot can do"
                        .into(),
                ))),
                "boot" => break,
                "halt" | "reboot" | "quit" => {
                    return Ok(fail(at(format!("`{}' does not boot anything", c.name))))
                }
                name if model::MENU_ONLY_COMMANDS.contains(&name) => {
                    return Ok(fail(at(format!(
                        "`{name}' cannot be used inside an entry (GRUB: Error 27)"
                    ))))
                }
                name if model::KNOWN_COMMANDS.contains(&name) => {
                    let why = match name {
                        "savedefault" => Some("xlboot writes nothing to the guest's disk"),
                        "lock" => Some(
                            "only the interactive menu asks for the password; -q, --entry and the countdown trust the administrator",
                        ),
                        "password" => Some(
                            "only the interactive menu asks for the entry's password; -q, --entry and the countdown trust the administrator",
                        ),
                        _ => None,
                    };
                    if let Some(why) = why {
                        self.note(
                            file,
                            at(format!("`{name}' in `{}' not acted on ({why})", e.title)),
                        );
                    }
                }
                name => {
                    return Ok(fail(at(format!(
                        "unknown command `{name}' (GRUB: Error 27, the entry stops)"
                    ))))
                }
            }
        }
        let Some((kernel, args)) = kernel else {
            return Ok(fail(format!("line {}: no kernel command", e.line)));
        };
        let spec = if let Some(((linux, linux_args), rest)) = modules.split_first() {
            // A Xen entry: `kernel` is the hypervisor, the first module the Linux kernel
            // and the second its initrd. A PV guest boots the Linux kernel itself.
            self.note(
                file,
                format!(
                    "line {}: `{}' is a multiboot entry: booting its first module {linux} (not the hypervisor {kernel})",
                    e.line, e.title
                ),
            );
            if rest.len() > 1 {
                self.note(
                    file,
                    format!("line {}: modules after the second are not loaded", e.line),
                );
            }
            BootSpec {
                kernel: linux.clone(),
                initrds: rest.first().map(|(f, _)| f.clone()).into_iter().collect(),
                args: linux_args.clone(),
            }
        } else {
            BootSpec {
                kernel,
                initrds: initrd.into_iter().collect(),
                args,
            }
        };
        Ok((
            MenuItem::Entry(Entry {
                title: e.title.clone(),
                id: None,
                boot: Ok(spec),
            }),
            None,
        ))
    }

    /// `configfile FILE` in an entry: GRUB loads FILE and shows its menu instead; xlboot
    /// makes the entry a submenu holding FILE's entries.
    fn configfile(
        &mut self,
        e: &EntrySource,
        c: &Command,
        root: &Result<String, String>,
        file: &FilePath,
        chain: &mut Vec<FilePath>,
    ) -> Result<(MenuItem, Option<(EntryPath, String)>), ConfigError> {
        let fail = |why: String| {
            Ok((
                MenuItem::Entry(Entry {
                    title: e.title.clone(),
                    id: None,
                    boot: Err(format!("line {}: {why}", c.line)),
                }),
                None,
            ))
        };
        let target = match self.file(first_word(&c.arg), root, file, c)? {
            Ok(t) => t,
            Err(m) => return fail(m),
        };
        if chain.contains(&target) {
            return fail(format!(
                "configfile {target}: loop (that config is already being read)"
            ));
        }
        if chain.len() > self.limits.max_source_depth {
            return Err(Self::err(
                file,
                c.line,
                ConfigErrorKind::Limit,
                format!(
                    "configfile nested more than {} deep",
                    self.limits.max_source_depth
                ),
            ));
        }
        if self.files_read >= MAX_CONFIG_FILES {
            return Err(Self::err(
                file,
                c.line,
                ConfigErrorKind::Limit,
                format!("more than {MAX_CONFIG_FILES} config files read through configfile"),
            ));
        }
        self.files_read = self.files_read.saturating_add(1);
        let source = self
            .host
            .read_file(&target, self.limits.max_config_size)
            .map_err(|e| Self::err(file, c.line, ConfigErrorKind::Host, e.0))?;
        let Some(source) = source else {
            return fail(format!("configfile {target}: file not found"));
        };
        let root = root.clone().unwrap_or_else(|_| target.device.clone());
        chain.push(target.clone());
        let level = self.level(&source, &target, &root, chain);
        chain.pop();
        let level = level?;
        let sub = level
            .menu
            .default
            .clone()
            .map(|p| (p, level.menu.default_rule.clone()));
        Ok((
            MenuItem::Submenu {
                title: e.title.clone(),
                id: None,
                items: level.menu.items,
            },
            sub,
        ))
    }

    /// A device as `root` names it, as the guest's device name. (`root` also mounts
    /// it, `rootnoverify` does not; a device without a filesystem fails either way as
    /// soon as a file is read from it.)
    fn device(&self, word: &str) -> Result<String, String> {
        let inner = word
            .strip_prefix('(')
            .and_then(|w| w.split_once(')'))
            .map(|(d, _)| d)
            .ok_or_else(|| format!("`{word}' is not a device such as (hd0,0)"))?;
        let name = legacy_device(inner)?;
        self.host
            .canonical_device(&name)
            .ok_or_else(|| format!("({inner}): no such device on this disk"))
    }

    /// A file named by a command, on its explicit device or the current root; checked
    /// to exist, as GRUB opens it. The inner `Err` makes the entry fail.
    fn file(
        &mut self,
        word: &str,
        root: &Result<String, String>,
        config: &FilePath,
        c: &Command,
    ) -> Result<Result<FilePath, String>, ConfigError> {
        let (device, path) = if word.starts_with('(') {
            let Some((dev, path)) = word.split_once(')') else {
                return Ok(Err(format!("`{word}': no closing parenthesis")));
            };
            match self.device(&format!("{dev})")) {
                Ok(d) => (d, path),
                Err(m) => return Ok(Err(m)),
            }
        } else {
            match root {
                Ok(d) => (d.clone(), word),
                Err(m) => return Ok(Err(m.clone())),
            }
        };
        if !path.starts_with('/') {
            return Ok(Err(if path.is_empty() {
                format!("{}: no file name", c.name)
            } else {
                format!("`{word}': block lists and relative names are not supported")
            }));
        }
        let f = FilePath {
            device,
            path: path.to_string(),
            root: Default::default(),
        };
        match self.host.file_size(&f) {
            Ok(Some(_)) => Ok(Ok(f)),
            Ok(None) => Ok(Err(format!("{f}: file not found (GRUB: Error 15)"))),
            Err(e) => Err(Self::err(config, c.line, ConfigErrorKind::Host, e.0)),
        }
    }
}

/// GRUB legacy's device syntax inside the parentheses, as GRUB 2 names the device:
/// `hd0` → `hd0`, `hd0,0` → `hd0,1` (legacy counts partitions from 0, GRUB 2 from 1;
/// `hd0,4` is the first logical partition, `hd0,5`). Only the guest's first disk
/// exists; floppies, CD-ROMs, the network and BSD sub-partitions are refused.
pub fn legacy_device(inner: &str) -> Result<String, String> {
    let rest = inner
        .strip_prefix("hd")
        .ok_or_else(|| format!("({inner}): only hard disks (hdN) can hold a PV guest's kernel"))?;
    let (drive, part) = match rest.split_once(',') {
        Some((d, p)) => (d, Some(p)),
        None => (rest, None),
    };
    match lexer::parse_maxint(drive) {
        Some((0, "")) => {}
        Some((_, "")) => {
            return Err(format!(
                "({inner}): xlboot reads only the guest's first disk (hd0)"
            ))
        }
        _ => return Err(format!("({inner}): bad drive number")),
    }
    let Some(part) = part else {
        return Ok("hd0".to_string());
    };
    match lexer::parse_maxint(part) {
        Some((n, "")) if n <= 254 => Ok(format!("hd0,{}", n.saturating_add(1))),
        Some((_, rest)) if rest.starts_with(',') => {
            Err(format!("({inner}): BSD sub-partitions are not supported"))
        }
        _ => Err(format!("({inner}): bad partition number")),
    }
}

/// The entry number in a `default` file, as GRUB reads it: the first 9 bytes, from
/// after a `:` if there is one (`savedefault --once` writes `PREVIOUS:ONCE`, a patch
/// Debian, Red Hat and Xen's PV-GRUB all carry), parsed by `safe_parse_maxint`; 0 when
/// that finds no number.
pub fn saved_entry(text: &[u8]) -> i32 {
    let head = text.get(..DEFAULT_FILE_BYTES).unwrap_or(text);
    let head = head
        .iter()
        .position(|&b| b == 0)
        .map_or(head, |n| head.get(..n).unwrap_or_default());
    let head = String::from_utf8_lossy(head);
    let from = head
        .find(':')
        .map_or(&head[..], |i| head.get(i.saturating_add(1)..).unwrap_or(""));
    lexer::parse_maxint(from).map_or(0, |(n, _)| n)
}

/// GRUB's choice: `start` if it names an entry, else the first `fallback` entry, else
/// entry 0; then, while the chosen entry cannot boot, the remaining fallback entries
/// in order. `None` for an empty menu.
fn choose(items: &[MenuItem], start: usize, fallback: &[i32]) -> (Option<usize>, String) {
    let n = items.len();
    if n == 0 {
        return (None, ": no entries".into());
    }
    let fallback: Vec<usize> = fallback
        .iter()
        .filter_map(|&f| usize::try_from(f).ok())
        .filter(|&f| f < n)
        .collect();
    let mut why = String::new();
    let mut chain = fallback.iter().copied();
    let first = if start < n {
        start
    } else if let Some(f) = chain.next() {
        why.push_str(&format!(": entry {start} does not exist, fallback {f}"));
        f
    } else {
        why.push_str(&format!(": entry {start} does not exist, so 0"));
        0
    };
    let bootable = |i: usize| match items.get(i) {
        Some(MenuItem::Entry(e)) => e.boot.is_ok(),
        Some(MenuItem::Submenu { .. }) => true,
        None => false,
    };
    let mut chosen = first;
    while !bootable(chosen) {
        match chain.next() {
            Some(f) => {
                why.push_str(&format!(": entry {chosen} cannot boot, fallback {f}"));
                chosen = f;
            }
            None => {
                if chosen != first {
                    why.push_str(&format!(
                        ": entry {chosen} cannot boot either, GRUB stops at the menu"
                    ));
                    chosen = first;
                }
                break;
            }
        }
    }
    why.push_str(&format!(
        ": entry {chosen} `{}'",
        items.get(chosen).map_or("", |i| i.title())
    ));
    (Some(chosen), why)
}

/// What GRUB 0.97's menu does with `hiddenmenu`, `password` and `lock`: a hidden menu
/// prints only its countdown; a global `password` locks editing and the command line
/// until `p`, and entries holding `lock` until then too; a `password` inside an entry
/// is asked each time that entry boots.
fn menu_ui(config: &model::Config) -> crate::MenuUi {
    let secret = |p: &model::Password| {
        if p.md5 {
            crate::Secret::Md5Crypt(p.secret.clone())
        } else {
            crate::Secret::Plain(p.secret.clone())
        }
    };
    let lock = match &config.password {
        Some(p) => crate::MenuLock::Legacy(secret(p)),
        None => crate::MenuLock::Open,
    };
    let locked = lock != crate::MenuLock::Open;
    let restricted = config
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let own = e
                .commands
                .iter()
                .find(|c| c.name == "password")
                .map(|c| secret(&model::parse_password(&c.arg)));
            let lock = locked && e.commands.iter().any(|c| c.name == "lock");
            (own.is_some() || lock).then(|| crate::Restriction {
                path: alloc::vec![i],
                users: Vec::new(),
                password: own,
            })
        })
        .collect();
    crate::MenuUi {
        style: if config.hidden_menu {
            crate::TimeoutStyle::Countdown
        } else {
            crate::TimeoutStyle::Menu
        },
        lock,
        restricted,
        ..crate::MenuUi::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_partitions_count_from_zero() {
        assert_eq!(legacy_device("hd0,0").unwrap(), "hd0,1");
        assert_eq!(legacy_device("hd0,4").unwrap(), "hd0,5");
        assert_eq!(legacy_device("hd0").unwrap(), "hd0");
        assert!(legacy_device("hd1,0").is_err());
        assert!(legacy_device("fd0").is_err());
        assert!(legacy_device("hd0,0,a").is_err());
        assert!(legacy_device("hd0,255").is_err());
        assert!(legacy_device("hd0,99999999999").is_err());
    }

    #[test]
    fn default_file_as_grub_reads_it() {
        assert_eq!(saved_entry(b"2\n#\n#\n# WARNING: ..."), 2);
        assert_eq!(saved_entry(b"0:3\n"), 3);
        assert_eq!(saved_entry(b"default\n"), 0);
        // Only 9 bytes are looked at.
        assert_eq!(saved_entry(b"123456789012"), 123_456_789);
        assert_eq!(saved_entry(b"         :5"), 0);
        assert_eq!(saved_entry(b""), 0);
    }
}

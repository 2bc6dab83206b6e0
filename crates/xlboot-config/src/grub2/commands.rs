//! GRUB 2's built-in commands, as far as they decide what boots.
//!
//! Each command follows its GRUB source: `kern/corecmd.c` (`set`, `unset`),
//! `normal/context.c` (`export`), `commands/test.c` (`[`, `test`),
//! `commands/search.c` + `search_wrap.c` (`search`, `search.*`), `commands/loadenv.c`
//! (`load_env`, `save_env`), `commands/configfile.c` (`source`),
//! `commands/menuentry.c` (`menuentry`, `submenu`), `script/execute.c` (`setparams`,
//! `shift`, `return`, `break`, `continue`), `loader/i386/xen.c` (`linux`, `initrd`,
//! `boot` on the Xen platform), and `lib/arg.c` for option parsing.
//!
//! Commands that only change what is displayed get a note and status 0 (`loadfont`
//! and `keystatus` report failure: no font is needed, no key is held). Commands that
//! could change the entry chosen or its arguments and that xlboot does not evaluate
//! (`probe`, `blsuki` ...) are refused with `Unsupported`. `regexp` follows
//! `commands/regexp.c` with the engine in `regex.rs`. `configfile` at the
//! top level is evaluated: its menu replaces the config's (see `Interp::configfile`).

use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::eval::{loader_cmdline, status, Interp, Mode, Pending};
use super::parser::Block;
use crate::error::{ConfigError, ConfigErrorKind};
use crate::grubenv;
use crate::host::FilePath;
use crate::select;

/// Whether an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgKind {
    None,
    Required,
    Optional,
}

struct OptSpec {
    long: &'static str,
    short: Option<u8>,
    kind: ArgKind,
}

const fn opt(long: &'static str, short: Option<u8>, kind: ArgKind) -> OptSpec {
    OptSpec { long, short, kind }
}

#[derive(Default)]
struct Parsed {
    opts: Vec<(&'static str, Option<String>)>,
    positional: Vec<String>,
}

impl Parsed {
    fn has(&self, long: &str) -> bool {
        self.opts.iter().any(|(l, _)| *l == long)
    }
    /// The last value given for `long` (GRUB keeps the last for non-repeatable ones).
    fn value(&self, long: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(l, _)| *l == long)
            .and_then(|(_, v)| v.as_deref())
    }
    fn values(&self, long: &str) -> Vec<String> {
        self.opts
            .iter()
            .filter(|(l, _)| *l == long)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

/// [`parse_opts`] for the command `name` at `line`: options GRUB would refuse are
/// noted, and the command then fails (`None`) with GRUB's bad-argument status.
fn command_opts(
    it: &mut Interp<'_>,
    name: &str,
    specs: &[OptSpec],
    args: &[String],
    accept_dash: bool,
    line: u32,
) -> Option<Parsed> {
    match parse_opts(specs, args, accept_dash) {
        Ok(p) => Some(p),
        Err(m) => {
            it.note(format!("{}:{line}: {name}: {m}", it.file));
            None
        }
    }
}

/// `grub_arg_parse` from `lib/arg.c`: options anywhere, `--` ends them,
/// `--name=value` or `--name value` (a value is taken only if the next argument does not
/// start with `-`), clusters of short options; with `accept_dash`, unknown options are
/// ordinary arguments.
fn parse_opts(specs: &[OptSpec], args: &[String], accept_dash: bool) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0usize;
    while let Some(arg) = args.get(i) {
        i = i.saturating_add(1);
        let b = arg.as_bytes();
        if b.first() != Some(&b'-') || b.len() == 1 {
            out.positional.push(arg.clone());
            continue;
        }
        if b.get(1) != Some(&b'-') {
            // Short options.
            let shorts = b.get(1..).unwrap_or_default();
            let find = |c: u8| specs.iter().find(|s| s.short == Some(c));
            if accept_dash && shorts.iter().any(|c| find(*c).is_none()) {
                out.positional.push(arg.clone());
                continue;
            }
            let n = shorts.len();
            for (k, c) in shorts.iter().enumerate() {
                let Some(spec) = find(*c) else {
                    return Err(format!("unknown argument `-{}'", char::from(*c)));
                };
                let last = k.saturating_add(1) == n;
                if !last {
                    if spec.kind == ArgKind::Required {
                        return Err(format!("missing mandatory option for `{}'", spec.long));
                    }
                    out.opts.push((spec.long, None));
                    continue;
                }
                let mut value = None;
                if spec.kind != ArgKind::None {
                    if let Some(next) = args.get(i) {
                        if spec.kind == ArgKind::Required
                            || next.len() < 2
                            || !next.starts_with('-')
                        {
                            value = Some(next.clone());
                            i = i.saturating_add(1);
                        }
                    }
                    if value.is_none() && spec.kind == ArgKind::Required {
                        return Err(format!("missing mandatory option for `{}'", spec.long));
                    }
                }
                out.opts.push((spec.long, value));
            }
            continue;
        }
        if b.len() == 2 {
            // `--`: the rest are arguments.
            out.positional
                .extend(args.get(i..).unwrap_or_default().iter().cloned());
            break;
        }
        let body = arg.get(2..).unwrap_or_default();
        let (name, mut value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let Some(spec) = specs.iter().find(|s| s.long == name) else {
            if accept_dash {
                out.positional.push(arg.clone());
                continue;
            }
            return Err(format!("unknown argument `{arg}'"));
        };
        if value.is_none() && spec.kind != ArgKind::None {
            if let Some(next) = args.get(i) {
                if !next.starts_with('-') {
                    value = Some(next.clone());
                    i = i.saturating_add(1);
                }
            }
        }
        if spec.kind == ArgKind::Required && value.is_none() {
            return Err(format!("missing mandatory option for `{}'", spec.long));
        }
        if spec.kind == ArgKind::None {
            value = None;
        }
        out.opts.push((spec.long, value));
    }
    Ok(out)
}

/// Commands that only change what is shown (or that need hardware xlboot does not
/// have); they do not change which entry boots or its arguments.
const DISPLAY_ONLY: &[&str] = &[
    "insmod",
    "btrfs-info",
    "rmmod",
    "terminal_output",
    "terminal_input",
    "terminal",
    "terminfo",
    "serial",
    "background_image",
    "background_color",
    "gfxterm_background_color",
    "play",
    "clear",
    "sleep",
    "set_gfx",
    "videoinfo",
    "vbeinfo",
    "lsfonts",
    "ls",
    "lsmod",
    "help",
    "date",
    "cat",
    "list_env",
    "nativedisk",
    "cutmem",
    "badram",
    "acpi",
    "gptsync",
    "font",
    "gettext",
    "tpm2_key_protector_init",
    "lsacpi",
    "lspci",
    "hexdump",
    "hashsum",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "devicetree",
];

/// Commands that report failure without doing anything here.
const DISPLAY_ONLY_FALSE: &[&str] = &["loadfont", "keystatus"];

/// Commands that could change the menu, the chosen entry or its arguments, which xlboot
/// does not evaluate.
const UNSUPPORTED: &[&str] = &[
    "normal",
    "normal_exit",
    "blsuki",
    "probe",
    "eval",
    "read",
    "getenv",
    "smbios",
    "tr",
    "loopback",
    "extract_entries_source",
    "extract_entries_configfile",
    "extract_legacy_entries_source",
    "extract_legacy_entries_configfile",
    "legacy_source",
    "legacy_configfile",
    "syslinux_source",
    "syslinux_configfile",
    "extract_syslinux_entries_source",
    "extract_syslinux_entries_configfile",
    "net_bootp",
    "net_dhcp",
    "net_get_dhcp_option",
    "setpci",
    "lsefi",
    "hwmatch",
    "efi_export_env",
    "efi_load_env",
];

/// Boot loaders other than Linux: an entry using them cannot be booted by xlboot.
const OTHER_LOADERS: &[&str] = &[
    "chainloader",
    "multiboot",
    "multiboot2",
    "module",
    "module2",
    "kfreebsd",
    "kfreebsd_module",
    "kfreebsd_module_elf",
    "kfreebsd_loadenv",
    "knetbsd",
    "knetbsd_module",
    "knetbsd_module_elf",
    "kopenbsd",
    "kopenbsd_ramdisk",
    "xnu_kernel",
    "xnu_kernel64",
    "xnu_mkext",
    "xnu_kext",
    "xnu_kextdir",
    "xnu_ramdisk",
    "xnu_resume",
    "xnu_splash",
    "appleloader",
    "ntldr",
    "freedos",
    "plan9",
    "truecrypt",
    "pxechainloader",
    "legacy_kernel",
    "legacy_initrd",
    "legacy_initrd_nounzip",
    "fwsetup",
    "reboot",
    "halt",
    "exit",
];

/// Runs `name` if it is a built-in command; `None` if it is not one.
pub(crate) fn builtin(
    it: &mut Interp<'_>,
    name: &str,
    args: &[String],
    block: Option<&Rc<Block>>,
    line: u32,
) -> Option<Result<i32, ConfigError>> {
    let r = match name {
        "set" => cmd_set(it, args, line),
        "unset" => match args.first() {
            Some(n) => {
                it.vars.unset(n);
                Ok(status::OK)
            }
            None => Ok(status::BAD_ARGUMENT),
        },
        "export" => {
            if args.is_empty() {
                return Some(Ok(status::BAD_ARGUMENT));
            }
            for a in args {
                if let Err(e) = it.export_var(a, line) {
                    return Some(Err(e));
                }
            }
            Ok(status::OK)
        }
        "echo" => cmd_echo(it, args, line).map(|()| status::OK),
        "true" => Ok(status::OK),
        "false" => Ok(status::TEST_FAILURE),
        "[" | "test" => cmd_test(it, args, line),
        "menuentry" | "submenu" => cmd_menuentry(it, name == "submenu", args, block, line),
        "setparams" => match it.scope {
            Some(_) => {
                it.scope = Some(args.to_vec());
                Ok(status::OK)
            }
            None => Ok(status::INVALID_COMMAND),
        },
        "shift" => cmd_shift(it, args),
        "return" => cmd_return(it, args),
        "break" | "continue" => cmd_break(it, name == "continue", args),
        "source" | "." => cmd_source(it, args, line),
        "configfile" => cmd_configfile(it, args, line),
        "blscfg" | "bls_import" => super::blscfg::cmd_blscfg(it, args, line),
        "btrfs-mount-subvol" => super::btrfs::cmd_mount_subvol(it, args, line),
        // openSUSE's listings: they only print, unless `-o VAR` keeps the answer.
        "btrfs-list-subvols" | "btrfs-get-default-subvol"
            if !args.iter().any(|a| a.starts_with("-o") || a.starts_with("--output")) =>
        {
            it.note(format!(
                "`{name}' not evaluated (does not affect what boots)"
            ));
            Ok(status::OK)
        }
        "btrfs-list-subvols" | "btrfs-get-default-subvol" => Err(it.err(
            ConfigErrorKind::Unsupported,
            line,
            format!("`{name} -o' sets a variable from the subvolume list, which xlboot does not evaluate"),
        )),
        "load_env" => cmd_load_env(it, args, line),
        "save_env" => cmd_save_env(it, args, line),
        "regexp" => cmd_regexp(it, args, line),
        "increment" | "decrement" => cmd_increment(it, name == "increment", args, line),
        "search" => cmd_search(it, args, line),
        "search.fs_uuid" | "search.fs_label" | "search.file" => {
            let kind = match name {
                "search.fs_uuid" => SearchKind::Uuid,
                "search.fs_label" => SearchKind::Label,
                _ => SearchKind::File,
            };
            match args.split_first() {
                None => Ok(status::BAD_ARGUMENT),
                Some((key, rest)) => {
                    let var = rest.first().cloned();
                    let hints = rest.get(1..).unwrap_or_default().to_vec();
                    do_search(it, kind, key, var.as_deref(), &hints, line)
                }
            }
        }
        "password" | "password_pbkdf2" => cmd_password(it, name == "password_pbkdf2", args, line),
        "linux" | "linux16" | "linuxefi" => cmd_linux(it, name, args, line),
        "initrd" | "initrd16" | "initrdefi" => cmd_initrd(it, name, args, line),
        "boot" => match it.loader.as_mut() {
            Some(l) if l.kernel.is_some() => {
                l.booted = true;
                Ok(status::OK)
            }
            Some(_) => Ok(status::BAD_ARGUMENT),
            None => Err(it.err(
                ConfigErrorKind::Unsupported,
                line,
                String::from("`boot' outside a menu entry"),
            )),
        },
        "cpuid" => {
            // Only `cpuid -l` (64-bit capable) has a known answer on x86_64 Xen.
            if args.len() == 1
                && args
                    .first()
                    .is_some_and(|a| a == "-l" || a == "--long-mode")
            {
                Ok(status::OK)
            } else {
                it.unknown_status = Some(String::from("cpuid"));
                Ok(status::OK)
            }
        }
        _ => {
            if name == "cryptomount" {
                it.note(format!(
                    "{}:{line}: `cryptomount' not evaluated: files on encrypted devices cannot be reached",
                    it.file
                ));
                Ok(status::TEST_FAILURE)
            } else if DISPLAY_ONLY.contains(&name) {
                if name == "insmod" && args.iter().any(|a| a == "regexp") {
                    it.regexp_loaded = true;
                }
                it.note(format!(
                    "`{name}' not evaluated (does not affect what boots)"
                ));
                Ok(status::OK)
            } else if DISPLAY_ONLY_FALSE.contains(&name) {
                it.note(format!(
                    "`{name}' not evaluated (does not affect what boots); it reports failure"
                ));
                Ok(status::TEST_FAILURE)
            } else if UNSUPPORTED.contains(&name) {
                Err(it.err(
                    ConfigErrorKind::Unsupported,
                    line,
                    format!("`{name}' could change the menu, the entry chosen or its arguments, and xlboot does not evaluate it"),
                ))
            } else if OTHER_LOADERS.contains(&name) {
                other_loader(it, name, line)
            } else {
                return None;
            }
        }
    };
    Some(r)
}

/// `echo [-n] [-e] ARGS` (`commands/echo.c`): what GRUB would print is kept for
/// [`super::Evaluated::echoes`] (submenu and entry bodies' output only along the way
/// to the default entry, as GRUB prints it).
fn cmd_echo(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<(), ConfigError> {
    let mut rest = args;
    let mut newline = true;
    let mut escapes = false;
    // Options only at the start (GRUB_COMMAND_OPTIONS_AT_START); clusters of -n/-e;
    // anything else starting with `-` is text (GRUB_COMMAND_ACCEPT_DASH).
    while let Some((first, tail)) = rest.split_first() {
        let f = first.as_str();
        if f == "--" {
            rest = tail;
            break;
        }
        if f.len() < 2 || !f.starts_with('-') || !f.bytes().skip(1).all(|c| c == b'n' || c == b'e')
        {
            break;
        }
        newline &= !f.contains('n');
        escapes |= f.contains('e');
        rest = tail;
    }
    let mut text = String::new();
    for (i, a) in rest.iter().enumerate() {
        if i != 0 {
            text.push(' ');
        }
        if escapes {
            echo_escapes(a, &mut text, &mut newline);
        } else {
            text.push_str(a);
        }
    }
    it.charge(text.len(), line)?;
    it.echo(text, !newline);
    Ok(())
}

/// `echo -e`: the escapes `\\`, `\a`, `\f`, `\n`, `\r`, `\t`, `\v`; `\c` drops the final newline;
/// any other escaped character is dropped with its backslash; a final lone backslash
/// ends the argument.
fn echo_escapes(s: &str, out: &mut String, newline: &mut bool) {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => return,
            Some('\\') => out.push('\\'),
            Some('a') => out.push('\u{7}'),
            Some('c') => *newline = false,
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('v') => out.push('\u{b}'),
            Some(_) => {}
        }
    }
}

fn cmd_set(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    let Some(a) = args.first() else {
        it.note(String::from("`set' without arguments only lists variables"));
        return Ok(status::OK);
    };
    match a.split_once('=') {
        Some((n, v)) => {
            it.set_var(n, v, line)?;
            Ok(status::OK)
        }
        None => Ok(status::BAD_ARGUMENT),
    }
}

/// `grub_strtoul (s, &end, 10)` requiring the whole string to be a number.
fn strict_number(s: &str) -> Option<u64> {
    match select::grub_strtoull(s, 10) {
        (Some(n), true, end) if end == s.len() => Some(n),
        _ => None,
    }
}

fn cmd_shift(it: &mut Interp<'_>, args: &[String]) -> Result<i32, ConfigError> {
    let Some(scope) = it.scope.as_mut() else {
        return Ok(status::OK);
    };
    let n = match args {
        [] => 1u64,
        [a] => match strict_number(a) {
            Some(n) => n,
            None => return Ok(status::BAD_ARGUMENT),
        },
        _ => return Ok(status::BAD_ARGUMENT),
    };
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > scope.len() {
        return Ok(status::BAD_ARGUMENT);
    }
    scope.drain(..n);
    Ok(status::OK)
}

fn to_status(n: u64) -> i32 {
    let low = u32::try_from(n & 0xffff_ffff).unwrap_or(0);
    i32::from_ne_bytes(low.to_ne_bytes())
}

fn cmd_return(it: &mut Interp<'_>, args: &[String]) -> Result<i32, ConfigError> {
    if it.scope.is_none() || args.len() > 1 {
        return Ok(status::BAD_ARGUMENT);
    }
    match args.first() {
        None => {
            it.function_return = true;
            let t = it.vars.get("?").unwrap_or("0");
            Ok(match select::grub_strtoull(t, 10) {
                (Some(n), true, _) => to_status(n),
                _ => status::OK,
            })
        }
        Some(a) => match strict_number(a) {
            Some(n) => {
                it.function_return = true;
                Ok(to_status(n))
            }
            None => Ok(status::BAD_ARGUMENT),
        },
    }
}

fn cmd_break(it: &mut Interp<'_>, is_continue: bool, args: &[String]) -> Result<i32, ConfigError> {
    let count = match args {
        [] => 1u64,
        [a] => match strict_number(a) {
            Some(0) | None => return Ok(status::BAD_ARGUMENT),
            Some(n) => n,
        },
        _ => return Ok(status::BAD_ARGUMENT),
    };
    it.is_continue = is_continue;
    it.active_breaks = count.min(it.active_loops);
    Ok(status::OK)
}

fn cmd_menuentry(
    it: &mut Interp<'_>,
    submenu: bool,
    args: &[String],
    block: Option<&Rc<Block>>,
    line: u32,
) -> Result<i32, ConfigError> {
    let what = if submenu { "submenu" } else { "menuentry" };
    if it.mode == Mode::Entry {
        it.note(format!(
            "{}:{line}: `{what}' inside a menu entry ignored",
            it.file
        ));
        return Ok(status::OK);
    }
    const SPECS: &[OptSpec] = &[
        opt("class", None, ArgKind::Required),
        opt("users", None, ArgKind::Required),
        opt("hotkey", None, ArgKind::Required),
        opt("source", None, ArgKind::Required),
        opt("id", None, ArgKind::Required),
        opt("unrestricted", None, ArgKind::None),
    ];
    let Some(parsed) = command_opts(it, what, SPECS, args, true, line) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let Some(title) = parsed.positional.first().cloned() else {
        it.note(format!("{}:{line}: {what} without a title", it.file));
        return Ok(status::BAD_ARGUMENT);
    };
    let body = match (block, parsed.value("source")) {
        (Some(b), None) => Rc::clone(&b.body),
        (None, Some(src)) => {
            it.charge(src.len(), line)?;
            let file = it.file.clone();
            Rc::new(it.parse(src.as_bytes(), &file)?)
        }
        (Some(_), Some(_)) | (None, None) => return Ok(status::BAD_ARGUMENT),
    };
    if it.menu.len() >= it.limits.max_entries {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("more than {} menu entries", it.limits.max_entries),
        ));
    }
    let size = parsed.positional.iter().map(String::len).fold(
        parsed.value("id").map_or(0, str::len),
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
    let restricted = parsed.has("users") || !parsed.has("unrestricted");
    let users = parsed.value("users").map(ToString::to_string);
    let hotkey = parsed
        .value("hotkey")
        .and_then(crate::MenuKey::from_grub_hotkey);
    let file = it.file.clone();
    it.menu.push(Pending {
        title,
        id: parsed.value("id").map(ToString::to_string),
        args: parsed.positional,
        body,
        submenu,
        restricted,
        users,
        hotkey,
        line,
        file,
    });
    Ok(status::OK)
}

/// Most users `password` and `password_pbkdf2` may register.
const MAX_PASSWORDS: usize = 64;

/// `password USER PASSWORD` and `password_pbkdf2 USER grub.pbkdf2.sha512.N.SALT.HASH`:
/// registers a user for the menu's authentication (`grub_auth_register_authentication`;
/// a later registration of the same name replaces the earlier). The hash is checked
/// for its form here, as `password_pbkdf2` does; checking a typed password against it
/// is the menu's work.
fn cmd_password(
    it: &mut Interp<'_>,
    pbkdf2: bool,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    let [user, secret] = args else {
        return Ok(status::BAD_ARGUMENT);
    };
    let secret = if pbkdf2 {
        if !secret.starts_with("grub.pbkdf2.sha512.") {
            it.note(format!(
                "{}:{line}: password_pbkdf2: invalid PBKDF2 password",
                it.file
            ));
            return Ok(status::BAD_ARGUMENT);
        }
        crate::Secret::Pbkdf2Sha512(secret.clone())
    } else {
        crate::Secret::Plain(secret.clone())
    };
    it.passwords.retain(|(u, _)| u != user);
    if it.passwords.len() >= MAX_PASSWORDS {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("more than {MAX_PASSWORDS} users with passwords"),
        ));
    }
    it.passwords.push((user.clone(), secret));
    Ok(status::OK)
}

fn cmd_source(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    let [name] = args else {
        return Ok(status::BAD_ARGUMENT);
    };
    let fp = match it.resolve_file(name) {
        Ok(f) => f,
        Err(m) => {
            it.note(format!("{}:{line}: source: {m}", it.file));
            return Ok(status::OK);
        }
    };
    if it.source_depth >= it.limits.max_source_depth {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("`source' nested deeper than {}", it.limits.max_source_depth),
        ));
    }
    it.host_call(line)?;
    let data = match it.host.read_file(&fp, it.limits.max_config_size) {
        Ok(Some(d)) => d,
        Ok(None) => {
            // grub_cmd_source returns 0 even when the file cannot be opened.
            it.note(format!("{}:{line}: source: {fp} not found", it.file));
            return Ok(status::OK);
        }
        Err(e) => {
            return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}")));
        }
    };
    it.charge(data.len(), line)?;
    let name = fp.to_string();
    let cmds = it.parse(&data, &name)?;
    let dir = match fp.path.rfind('/') {
        Some(i) => format!("({}){}", fp.device, fp.path.get(..i).unwrap_or_default()),
        None => format!("({})", fp.device),
    };
    let old_file = it.vars.get("config_file").map(ToString::to_string);
    let old_dir = it.vars.get("config_directory").map(ToString::to_string);
    it.set_var("config_file", &name, line)?;
    it.set_var("config_directory", &dir, line)?;
    it.export_var("config_file", line)?;
    it.export_var("config_directory", line)?;
    let saved = core::mem::replace(&mut it.file, name);
    it.source_depth = it.source_depth.saturating_add(1);
    let r = it.exec_list(&cmds);
    it.source_depth = it.source_depth.saturating_sub(1);
    it.file = saved;
    match old_file {
        Some(v) => it.set_var("config_file", &v, line)?,
        None => it.vars.unset("config_file"),
    }
    match old_dir {
        Some(v) => it.set_var("config_directory", &v, line)?,
        None => it.vars.unset("config_directory"),
    }
    r?;
    Ok(status::OK)
}

/// Most menus opened through entries that run `configfile` (openSUSE's snapshot
/// entries need one).
const MAX_ENTRY_CONFIGFILE_DEPTH: usize = 3;

fn cmd_configfile(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    match it.mode {
        Mode::Config | Mode::Entry => {}
        Mode::Submenu => {
            return Err(it.err(
                ConfigErrorKind::Unsupported,
                line,
                String::from("`configfile' inside a submenu is not evaluated"),
            ))
        }
    }
    let [name] = args else {
        return Ok(status::BAD_ARGUMENT);
    };
    let fp = match it.resolve_file(name) {
        Ok(f) => f,
        Err(m) => {
            it.note(format!("{}:{line}: configfile: {m}", it.file));
            return Ok(status::OK);
        }
    };
    if it.mode == Mode::Entry && it.source_depth >= MAX_ENTRY_CONFIGFILE_DEPTH {
        // An entry that shows a menu holding such an entry again ("reload the
        // menu"): the user could go round for ever; the listing stops here.
        if let Some(l) = it.loader.as_mut() {
            l.refused = Some(format!(
                "the entry opens another config (`configfile') more than {MAX_ENTRY_CONFIGFILE_DEPTH} menus deep"
            ));
            l.booted = true;
        }
        return Ok(status::OK);
    }
    if it.source_depth >= it.limits.max_source_depth {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!(
                "`configfile' nested deeper than {}",
                it.limits.max_source_depth
            ),
        ));
    }
    it.host_call(line)?;
    let data = match it.host.read_file(&fp, it.limits.max_config_size) {
        Ok(Some(d)) => d,
        Ok(None) => {
            it.note(format!("{}:{line}: configfile: {fp} not found", it.file));
            return Ok(status::OK);
        }
        Err(e) => return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    };
    it.charge(data.len(), line)?;
    let cmds = it.parse(&data, &fp.to_string())?;
    it.configfile(&cmds, &fp, line)
}

fn cmd_load_env(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    const SPECS: &[OptSpec] = &[
        opt("file", Some(b'f'), ArgKind::Required),
        opt("skip-sig", Some(b's'), ArgKind::None),
    ];
    let Some(parsed) = command_opts(it, "load_env", SPECS, args, false, line) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let (fp, data) = match env_file(it, parsed.value("file"), "load_env", line)? {
        Ok(found) => found,
        Err(status) => return Ok(status),
    };
    let block = match grubenv::parse(&data) {
        Ok(b) => b,
        Err(_) => {
            it.note(format!(
                "{}:{line}: load_env: {fp}: invalid environment block (GRUB loads nothing from it)",
                it.file
            ));
            return Ok(status::BAD_FILE_TYPE);
        }
    };
    if block.broken {
        it.note(format!(
            "{}:{line}: load_env: {fp}: malformed line; variables after it ignored, as GRUB ignores them",
            it.file
        ));
    }
    let whitelist = &parsed.positional;
    let mut loaded = Vec::new();
    for (n, v) in &block.vars {
        if whitelist.is_empty() || whitelist.contains(n) {
            it.set_var(n, v, line)?;
            if it.env_loaded.len() < 256 {
                it.env_loaded.insert(n.clone(), v.clone());
            }
            loaded.push(format!("{n}={v}"));
        }
    }
    it.note(format!(
        "{}:{line}: load_env {fp}: {}",
        it.file,
        if loaded.is_empty() {
            String::from("no variables")
        } else {
            loaded.join(" ")
        }
    ));
    Ok(status::OK)
}

/// The environment block file `load_env` and `save_env` act on (`-f FILE`, else
/// `$prefix/grubenv`) and its bytes as GRUB would read them now; `Err(status)` (noted)
/// when GRUB's command would fail to find it.
fn env_file(
    it: &mut Interp<'_>,
    file: Option<&str>,
    cmd: &str,
    line: u32,
) -> Result<Result<(FilePath, Vec<u8>), i32>, ConfigError> {
    let name = match file {
        Some(f) => f.to_string(),
        None => match it.vars.get("prefix") {
            Some(p) => format!("{p}/grubenv"),
            None => {
                it.note(format!("{}:{line}: {cmd}: `prefix' isn't set", it.file));
                return Ok(Err(status::FILE_NOT_FOUND));
            }
        },
    };
    let fp = match it.resolve_file(&name) {
        Ok(f) => f,
        Err(m) => {
            it.note(format!("{}:{line}: {cmd}: {m}", it.file));
            return Ok(Err(status::FILE_NOT_FOUND));
        }
    };
    Ok(match read_env_file(it, &fp, cmd, line)? {
        Some(data) => Ok((fp, data)),
        None => Err(status::FILE_NOT_FOUND),
    })
}

/// An environment block file as GRUB would read it now: as an earlier `save_env` left
/// it, else from the guest. `None` (noted) when there is no such file.
fn read_env_file(
    it: &mut Interp<'_>,
    fp: &FilePath,
    cmd: &str,
    line: u32,
) -> Result<Option<Vec<u8>>, ConfigError> {
    let key = (fp.device.clone(), fp.path.clone());
    if let Some(d) = it.env_overlay.get(&key) {
        let d = d.clone();
        it.charge(d.len(), line)?;
        return Ok(Some(d));
    }
    it.host_call(line)?;
    match it.host.read_file(fp, it.limits.max_env_size) {
        Ok(Some(d)) => {
            it.charge(d.len(), line)?;
            Ok(Some(d))
        }
        Ok(None) => {
            it.note(format!("{}:{line}: {cmd}: {fp} not found", it.file));
            Ok(None)
        }
        Err(e) => Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    }
}

/// Most `save_env` commands kept for one body (or the top level): far more than any
/// generated config runs, and a bound on what a loop can make xlboot remember.
const MAX_ENV_SAVES: usize = 256;

/// `save_env [-f FILE] NAME...` (`commands/loadenv.c`): reads the block, sets each
/// named variable to its current value (deletes it when unset), and writes the block
/// back in place only if every variable fitted. Nothing is written here: the command
/// is recorded ([`super::EnvSave`]) and the block as GRUB would leave it is kept for
/// later reads in the same run; whether to write it to the guest is the caller's choice.
fn cmd_save_env(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    const SPECS: &[OptSpec] = &[
        opt("file", Some(b'f'), ArgKind::Required),
        opt("skip-sig", Some(b's'), ArgKind::None),
    ];
    let Some(parsed) = command_opts(it, "save_env", SPECS, args, false, line) else {
        return Ok(status::BAD_ARGUMENT);
    };
    if parsed.positional.is_empty() {
        it.note(format!(
            "{}:{line}: save_env: no variable is specified",
            it.file
        ));
        return Ok(status::BAD_ARGUMENT);
    }
    let (fp, data) = match env_file(it, parsed.value("file"), "save_env", line)? {
        Ok(found) => found,
        Err(status) => return Ok(status),
    };
    let vars: Vec<(String, Option<String>)> = parsed
        .positional
        .iter()
        .map(|n| (n.clone(), it.vars.get(n).map(ToString::to_string)))
        .collect();
    let shown: Vec<String> = vars
        .iter()
        .map(|(n, v)| match v {
            Some(v) => format!("{n}={v}"),
            None => format!("{n} (unset: deleted)"),
        })
        .collect();
    let new = match grubenv::save(&data, &vars) {
        Ok(b) => b,
        Err(e) => {
            let why = match e {
                grubenv::SaveError::BadSignature => String::from("invalid environment block"),
                grubenv::SaveError::TooSmall(n) => {
                    format!("environment block too small for `{n}'")
                }
            };
            it.note(format!(
                "{}:{line}: save_env {fp}: {why}; GRUB writes nothing",
                it.file
            ));
            return Ok(if why.starts_with("invalid") {
                status::BAD_FILE_TYPE
            } else {
                status::BAD_ARGUMENT
            });
        }
    };
    if it.env_saves.len() >= MAX_ENV_SAVES {
        return Err(it.err(
            ConfigErrorKind::Limit,
            line,
            format!("more than {MAX_ENV_SAVES} save_env commands in one body"),
        ));
    }
    it.note(format!(
        "{}:{line}: save_env {fp}: {} (not written unless xlboot is asked to update grubenv)",
        it.file,
        shown.join(" ")
    ));
    it.env_overlay
        .insert((fp.device.clone(), fp.path.clone()), new);
    let at = format!("{}:{line}", it.file);
    it.env_saves.push(super::EnvSave { file: fp, vars, at });
    Ok(status::OK)
}

/// Fedora's GRUB `increment VAR` / `decrement VAR` (`commands/increment.c` of its
/// fork; `08_fallback_counting` counts boot attempts down with it and saves the count):
/// the value read as `grub_strtol (value, NULL, 0)` (leading blanks, a `-`, `0x` or `0`
/// prefixes, trailing junk ignored), one added or taken away, stored in decimal. A
/// missing variable, no digits or a value outside a C `long` fail as GRUB fails them,
/// leaving the variable alone.
fn cmd_increment(
    it: &mut Interp<'_>,
    up: bool,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    let cmd = if up { "increment" } else { "decrement" };
    let [name] = args else {
        it.note(format!("{}:{line}: {cmd}: one variable expected", it.file));
        return Ok(status::BAD_ARGUMENT);
    };
    let Some(old) = it.vars.get(name).map(ToString::to_string) else {
        it.note(format!(
            "{}:{line}: {cmd}: no such variable `{name}'",
            it.file
        ));
        return Ok(status::FILE_NOT_FOUND);
    };
    let t = old.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let value: Option<i64> = match select::grub_strtoull(digits, 0) {
        (_, false, _) => {
            it.note(format!(
                "{}:{line}: {cmd}: `{old}' is not a number",
                it.file
            ));
            return Ok(status::BAD_NUMBER);
        }
        (None, true, _) => None,
        (Some(m), true, _) if negative => {
            if m == 1u64 << 63 {
                Some(i64::MIN)
            } else {
                i64::try_from(m).ok().map(|v| v.saturating_neg())
            }
        }
        (Some(m), true, _) => i64::try_from(m).ok(),
    };
    let Some(value) = value else {
        it.note(format!("{}:{line}: {cmd}: `{old}' overflows", it.file));
        return Ok(status::OUT_OF_RANGE);
    };
    let new = if up {
        value.checked_add(1)
    } else {
        value.checked_sub(1)
    };
    let Some(new) = new else {
        // C's long overflows here: undefined in GRUB.
        return Err(it.err(
            ConfigErrorKind::Unsupported,
            line,
            format!("{cmd} {name}: {old} has no successor in a C long"),
        ));
    };
    it.set_var(name, &new.to_string(), line)?;
    Ok(status::OK)
}

/// Work allowed for one `regexp` match (64-bit words of position sets touched): far
/// more than matching a path or device name takes, and a bound on a hostile one.
const REGEXP_BUDGET: u64 = 4 << 20;

/// `regexp [-s|--set [NUMBER:]VARNAME]... REGEXP STRING` (`commands/regexp.c`): matches
/// STRING against the POSIX extended REGEXP; on a match sets each VARNAME to
/// subexpression NUMBER (1 when not given), or unsets it when that subexpression took
/// no part, and succeeds; otherwise fails with status 1 (a pattern GRUB cannot compile
/// fails the same way). Loading the module also turns on GRUB's wildcard expansion of
/// unquoted words, which xlboot refuses to guess at afterwards.
fn cmd_regexp(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    const SPECS: &[OptSpec] = &[opt("set", Some(b's'), ArgKind::Required)];
    it.regexp_loaded = true;
    let Some(parsed) = command_opts(it, "regexp", SPECS, args, false, line) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let [pattern, text] = parsed.positional.as_slice() else {
        it.note(format!(
            "{}:{line}: regexp: two arguments expected",
            it.file
        ));
        return Ok(status::BAD_ARGUMENT);
    };
    it.charge(pattern.len().saturating_add(text.len()), line)?;
    let unsupported = |it: &Interp<'_>, why: String| {
        it.err(
            ConfigErrorKind::Unsupported,
            line,
            format!("regexp {pattern:?}: {why}"),
        )
    };
    let re = match super::regex::Regex::new(pattern.as_bytes()) {
        Ok(r) => r,
        Err(super::regex::RegexError::Invalid(m)) => {
            it.note(format!("{}:{line}: regexp: {m}", it.file));
            return Ok(status::TEST_FAILURE);
        }
        Err(super::regex::RegexError::Unsupported(m)) => return Err(unsupported(it, m)),
    };
    let caps = match re.find(text.as_bytes(), REGEXP_BUDGET) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(status::TEST_FAILURE),
        Err(super::regex::RegexError::Unsupported(m)) => return Err(unsupported(it, m)),
        Err(super::regex::RegexError::Invalid(m)) => return Err(unsupported(it, m.into())),
    };
    it.charge(REGEXP_BUDGET_CHARGE, line)?;
    for spec in parsed.values("set") {
        let (index, var) = match spec.split_once(':') {
            None => (1usize, spec.as_str()),
            Some((num, var)) => match select::grub_strtoull(num, 10) {
                (Some(n), true, end) if end == num.len() => {
                    (usize::try_from(n).unwrap_or(usize::MAX), var)
                }
                _ => {
                    it.note(format!(
                        "{}:{line}: regexp: invalid variable name format {spec}",
                        it.file
                    ));
                    return Ok(status::BAD_ARGUMENT);
                }
            },
        };
        let sub = caps
            .get(index)
            .copied()
            .flatten()
            .and_then(|(a, b)| text.as_bytes().get(a..b));
        match sub {
            Some(bytes) => {
                let v = String::from_utf8_lossy(bytes).into_owned();
                it.set_var(var, &v, line)?;
            }
            None => it.vars.unset(var),
        }
    }
    Ok(status::OK)
}

/// What one `regexp` match is charged to the evaluation's work budget, whatever it
/// took, so that a loop of them stays bounded.
const REGEXP_BUDGET_CHARGE: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SearchKind {
    Uuid,
    Label,
    File,
}

fn cmd_search(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    const SPECS: &[OptSpec] = &[
        opt("file", Some(b'f'), ArgKind::None),
        opt("label", Some(b'l'), ArgKind::None),
        opt("fs-uuid", Some(b'u'), ArgKind::None),
        opt("set", Some(b's'), ArgKind::Optional),
        opt("no-floppy", Some(b'n'), ArgKind::None),
        opt("efidisk-only", None, ArgKind::None),
        opt("cryptodisk-only", None, ArgKind::None),
        // Fedora's GRUB: only a duplicate-UUID check for USB disks, none on Xen.
        opt("root-dev-only", Some(b'r'), ArgKind::None),
        opt("hint", Some(b'h'), ArgKind::Required),
        opt("hint-ieee1275", None, ArgKind::Required),
        opt("hint-bios", None, ArgKind::Required),
        opt("hint-baremetal", None, ArgKind::Required),
        opt("hint-efi", None, ArgKind::Required),
        opt("hint-arc", None, ArgKind::Required),
    ];
    let Some(parsed) = command_opts(it, "search", SPECS, args, true, line) else {
        return Ok(status::BAD_ARGUMENT);
    };
    // On the Xen platform only `--hint` and `--hint-baremetal` apply.
    let mut hints = parsed.values("hint");
    hints.extend(parsed.values("hint-baremetal"));
    let positional: Vec<&String> = parsed
        .positional
        .iter()
        .skip_while(|a| a.starts_with("--hint-"))
        .collect();
    let set = parsed.has("set");
    let set_arg = parsed.value("set");
    let (var, key): (Option<String>, String) = match positional.first() {
        Some(k) => (
            set.then(|| set_arg.unwrap_or("root").to_string()),
            (*k).clone(),
        ),
        None => match set_arg {
            Some(k) => (Some(String::from("root")), k.to_string()),
            None => return Ok(status::BAD_ARGUMENT),
        },
    };
    if parsed.has("efidisk-only") || parsed.has("cryptodisk-only") {
        // A Xen guest has neither EFI disks nor (readable) encrypted ones.
        return Ok(status::FILE_NOT_FOUND);
    }
    let kind = if parsed.has("label") {
        SearchKind::Label
    } else if parsed.has("fs-uuid") {
        SearchKind::Uuid
    } else if parsed.has("file") {
        SearchKind::File
    } else {
        return Ok(status::INVALID_COMMAND);
    };
    do_search(it, kind, &key, var.as_deref(), &hints, line)
}

/// GRUB's search: hinted devices first, then every device in scan order; the first
/// match wins. UUIDs compare case-insensitively, labels exactly.
fn do_search(
    it: &mut Interp<'_>,
    kind: SearchKind,
    key: &str,
    var: Option<&str>,
    hints: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    let devices = it.devices();
    let mut order: Vec<usize> = Vec::new();
    for h in hints {
        if h.ends_with(',') {
            for (i, d) in devices.iter().enumerate() {
                if d.name.starts_with(h.as_str()) {
                    order.push(i);
                }
            }
        } else if let Some(c) = it.host.canonical_device(h) {
            if let Some(i) = devices.iter().position(|d| d.name == c) {
                order.push(i);
            }
        }
    }
    order.extend(0..devices.len());
    let mut found = None;
    for i in order {
        let Some(d) = devices.get(i) else { continue };
        if kind == SearchKind::File {
            it.host_call(line)?;
        }
        let hit = match kind {
            SearchKind::Uuid => d
                .fs_uuid
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(key)),
            SearchKind::Label => d.label.as_deref() == Some(key),
            SearchKind::File => {
                key.starts_with('/')
                    && matches!(
                        it.host
                            .file_size(&it.file_on(d.name.clone(), key.to_string())),
                        Ok(Some(_))
                    )
            }
        };
        if hit {
            found = Some(d.name.clone());
            break;
        }
    }
    match found {
        Some(dev) => {
            match var {
                Some(v) => it.set_var(v, &dev, line)?,
                None => it.note(format!(
                    "{}:{line}: search found {dev} (not stored)",
                    it.file
                )),
            }
            Ok(status::OK)
        }
        None => {
            it.note(format!("{}:{line}: search: no such device: {key}", it.file));
            Ok(status::FILE_NOT_FOUND)
        }
    }
}

fn cmd_linux(
    it: &mut Interp<'_>,
    name: &str,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    if it.loader.is_none() {
        it.note(format!(
            "{}:{line}: `{name}' outside a menu entry ignored",
            it.file
        ));
        return Ok(status::OK);
    }
    if name != "linux" {
        it.note(format!(
            "`{name}' read as `linux' (GRUB for Xen has only `linux')"
        ));
    }
    let resolved = args.first().map(|k| it.resolve_file(k));
    let Some(l) = it.loader.as_mut() else {
        return Ok(status::OK);
    };
    // grub_cmd_xen: the previous loader is unloaded first, initrd included.
    l.kernel = None;
    l.initrds = None;
    l.refused = None;
    l.problems.clear();
    let fp = match resolved {
        None => {
            l.problems.push(String::from("linux: filename expected"));
            return Ok(status::BAD_ARGUMENT);
        }
        Some(Err(m)) => {
            l.problems.push(format!("linux: {m}"));
            return Ok(status::FILE_NOT_FOUND);
        }
        Some(Ok(fp)) => fp,
    };
    it.host_call(line)?;
    match it.host.file_size(&fp) {
        Ok(Some(_)) => {}
        Ok(None) => {
            if let Some(l) = it.loader.as_mut() {
                l.problems.push(format!("kernel {fp} not found"));
            }
            return Ok(status::FILE_NOT_FOUND);
        }
        Err(e) => return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    }
    let cmdline = loader_cmdline(args.get(1..).unwrap_or_default());
    if let Some(l) = it.loader.as_mut() {
        l.kernel = Some((fp, cmdline));
    }
    Ok(status::OK)
}

fn cmd_initrd(
    it: &mut Interp<'_>,
    name: &str,
    args: &[String],
    line: u32,
) -> Result<i32, ConfigError> {
    let Some(l) = it.loader.as_ref() else {
        it.note(format!(
            "{}:{line}: `{name}' outside a menu entry ignored",
            it.file
        ));
        return Ok(status::OK);
    };
    if l.kernel.is_none() {
        // "you need to load the kernel first"
        return Ok(status::BAD_ARGUMENT);
    }
    if l.initrds.is_some() {
        it.note(format!(
            "{}:{line}: second `{name}' refused (GRUB for Xen: initrd already loaded)",
            it.file
        ));
        return Ok(status::BAD_ARGUMENT);
    }
    if args.is_empty() {
        return Ok(status::BAD_ARGUMENT);
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for a in args {
        if a.starts_with("newc:") {
            problems.push(format!("initrd `{a}': newc: archives are not supported"));
            continue;
        }
        match it.resolve_file(a) {
            Err(m) => problems.push(format!("initrd: {m}")),
            Ok(fp) => match it.host_call(line).map(|()| it.host.file_size(&fp))? {
                Ok(Some(_)) => files.push(fp),
                Ok(None) => problems.push(format!(
                    "initrd {fp} not found (GRUB would boot without any initrd)"
                )),
                Err(e) => return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
            },
        }
    }
    let Some(l) = it.loader.as_mut() else {
        return Ok(status::OK);
    };
    if problems.is_empty() {
        l.initrds = Some(files);
        Ok(status::OK)
    } else {
        l.problems.extend(problems);
        Ok(status::FILE_NOT_FOUND)
    }
}

fn other_loader(it: &mut Interp<'_>, name: &str, line: u32) -> Result<i32, ConfigError> {
    match it.loader.as_mut() {
        Some(l) => {
            if !matches!(name, "module" | "module2") || l.refused.is_none() {
                l.kernel = None;
                l.initrds = None;
                l.refused = Some(format!(
                    "the entry boots with `{name}', not a Linux kernel; xlboot boots only Linux kernels"
                ));
            }
            Ok(status::OK)
        }
        None => {
            if matches!(name, "reboot" | "halt" | "exit") {
                Err(it.err(
                    ConfigErrorKind::Unsupported,
                    line,
                    format!("`{name}' outside a menu entry"),
                ))
            } else {
                it.note(format!(
                    "{}:{line}: `{name}' outside a menu entry ignored",
                    it.file
                ));
                Ok(status::OK)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// test / [
// ---------------------------------------------------------------------------

/// `grub_strtosl`: a leading `-` negates; then C's conversion to `int`.
fn strtosl(s: &str) -> i32 {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = match select::grub_strtoull(body, 0) {
        (Some(n), true, _) => n,
        (None, true, _) => u64::MAX,
        _ => 0,
    };
    let v = if neg { v.wrapping_neg() } else { v };
    to_status(v)
}

fn strtoul_prefix(s: &str) -> u64 {
    match select::grub_strtoull(s, 0) {
        (Some(n), true, _) => n,
        (None, true, _) => u64::MAX,
        _ => 0,
    }
}

struct TestCtx {
    invert: bool,
    or: bool,
    and: bool,
}

impl TestCtx {
    fn update(&mut self, val: bool) {
        self.and = self.and && (if self.invert { !val } else { val });
        self.invert = false;
    }
}

/// What a file test sees.
struct FileInfo {
    exists: bool,
    dir: bool,
}

fn file_info(it: &mut Interp<'_>, path: &str, line: u32) -> Result<FileInfo, ConfigError> {
    let none = FileInfo {
        exists: false,
        dir: false,
    };
    let fp = match it.resolve_file(path) {
        Ok(fp) => fp,
        Err(_) => {
            // `(dev)` alone, or `(dev)/`: the device's root directory.
            let whole = path.strip_prefix('(').and_then(|r| r.split_once(')'));
            if let Some((dev, rest)) = whole {
                if rest.trim_end_matches('/').is_empty() && it.host.canonical_device(dev).is_some()
                {
                    return Ok(FileInfo {
                        exists: true,
                        dir: true,
                    });
                }
            }
            return Ok(none);
        }
    };
    let trimmed = fp.path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(FileInfo {
            exists: true,
            dir: true,
        });
    }
    let fp = FilePath {
        device: fp.device,
        path: trimmed.to_string(),
        root: fp.root,
    };
    it.host_call(line)?;
    it.host_call(line)?;
    match it.host.file_size(&fp) {
        Ok(Some(_)) => Ok(FileInfo {
            exists: true,
            dir: false,
        }),
        Ok(None) => match it.host.dir_exists(&fp) {
            Ok(d) => Ok(FileInfo { exists: d, dir: d }),
            Err(e) => Err(it.err(
                ConfigErrorKind::Unsupported,
                line,
                format!("cannot tell whether {fp} is a directory: {e}"),
            )),
        },
        Err(e) => Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}"))),
    }
}

const MAX_TEST_DEPTH: usize = 100;

fn test_parse(
    it: &mut Interp<'_>,
    args: &[String],
    argn: &mut usize,
    depth: &mut usize,
    line: u32,
) -> Result<bool, ConfigError> {
    let mut ctx = TestCtx {
        invert: false,
        or: false,
        and: true,
    };
    let argc = args.len();
    let get = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    while *argn < argc {
        let a0 = get(*argn);
        if argn.saturating_add(2) < argc {
            let op = get(argn.saturating_add(1));
            let a2 = get(argn.saturating_add(2));
            let three = match op {
                "=" | "==" => Some(a0 == a2),
                "!=" => Some(a0 != a2),
                "<" => Some(a0.as_bytes() < a2.as_bytes()),
                "<=" => Some(a0.as_bytes() <= a2.as_bytes()),
                ">" => Some(a0.as_bytes() > a2.as_bytes()),
                ">=" => Some(a0.as_bytes() >= a2.as_bytes()),
                "-eq" => Some(strtosl(a0) == strtosl(a2)),
                "-ge" => Some(strtosl(a0) >= strtosl(a2)),
                "-gt" => Some(strtosl(a0) > strtosl(a2)),
                "-le" => Some(strtosl(a0) <= strtosl(a2)),
                "-lt" => Some(strtosl(a0) < strtosl(a2)),
                "-ne" => Some(strtosl(a0) != strtosl(a2)),
                "-pgt" | "-plt" => {
                    let (x, y) = (a0.as_bytes(), a2.as_bytes());
                    let mut i = x.iter().zip(y.iter()).take_while(|(p, q)| p == q).count();
                    // Back over the digits of the common prefix (GRUB's loop).
                    i = i.saturating_sub(1);
                    while i > 0 && x.get(i).is_some_and(u8::is_ascii_digit) {
                        i = i.saturating_sub(1);
                    }
                    i = i.saturating_add(1);
                    let xa = a0.get(i..).unwrap_or("");
                    let ya = a2.get(i..).unwrap_or("");
                    let (xn, yn) = (strtoul_prefix(xa), strtoul_prefix(ya));
                    Some(if op == "-pgt" { xn > yn } else { xn < yn })
                }
                _ if op.starts_with("-nt") || op.starts_with("-ot") => {
                    return Err(it.err(
                        ConfigErrorKind::Unsupported,
                        line,
                        format!("test {op}: file times are not evaluated"),
                    ));
                }
                _ => None,
            };
            if let Some(v) = three {
                ctx.update(v);
                *argn = argn.saturating_add(3);
                continue;
            }
        }
        if argn.saturating_add(1) < argc {
            let a1 = get(argn.saturating_add(1)).to_string();
            let two = match a0 {
                "-d" => Some(file_info(it, &a1, line)?.dir),
                "-e" => Some(file_info(it, &a1, line)?.exists),
                // A regular file: the host's `file_size` answers that alone.
                "-f" => Some(match it.resolve_file(&a1) {
                    Ok(fp) => match it.host_call(line).map(|()| it.host.file_size(&fp))? {
                        Ok(s) => s.is_some(),
                        Err(e) => {
                            return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}")))
                        }
                    },
                    Err(_) => false,
                }),
                "-s" => Some(match it.resolve_file(&a1) {
                    Ok(fp) => match it.host_call(line).map(|()| it.host.file_size(&fp))? {
                        Ok(s) => s.is_some_and(|s| s != 0),
                        Err(e) => {
                            return Err(it.err(ConfigErrorKind::Host, line, format!("{fp}: {e}")))
                        }
                    },
                    Err(_) => false,
                }),
                "-n" => Some(!a1.is_empty()),
                "-z" => Some(a1.is_empty()),
                _ => None,
            };
            if let Some(v) = two {
                ctx.update(v);
                *argn = argn.saturating_add(2);
                continue;
            }
        }
        match a0 {
            ")" => {
                *argn = argn.saturating_add(1);
                *depth = depth.saturating_sub(1);
                return Ok(ctx.or || ctx.and);
            }
            "(" => {
                *argn = argn.saturating_add(1);
                *depth = depth.saturating_add(1);
                if *depth > MAX_TEST_DEPTH {
                    return Err(it.err(
                        ConfigErrorKind::Limit,
                        line,
                        String::from("test: max recursion depth exceeded"),
                    ));
                }
                let v = test_parse(it, args, argn, depth, line)?;
                ctx.update(v);
            }
            "!" => {
                ctx.invert = !ctx.invert;
                *argn = argn.saturating_add(1);
            }
            "-a" => *argn = argn.saturating_add(1),
            "-o" => {
                ctx.or = ctx.or || ctx.and;
                ctx.and = true;
                *argn = argn.saturating_add(1);
            }
            _ => {
                ctx.update(!a0.is_empty());
                *argn = argn.saturating_add(1);
            }
        }
    }
    Ok(ctx.or || ctx.and)
}

fn cmd_test(it: &mut Interp<'_>, args: &[String], line: u32) -> Result<i32, ConfigError> {
    let mut args = args;
    if args.last().is_some_and(|a| a == "]") {
        args = args.split_last().map(|(_, r)| r).unwrap_or_default();
    }
    let mut argn = 0usize;
    let mut depth = 0usize;
    if test_parse(it, args, &mut argn, &mut depth, line)? {
        Ok(status::OK)
    } else {
        Ok(status::TEST_FAILURE)
    }
}

//! A GRUB legacy config as GRUB 0.97 reads it (`cmain` in `stage2/stage2.c`): the
//! menu commands before the first `title`, run as they are read, and the entries, each
//! a title and the command lines GRUB stores to run when the entry is booted.
//!
//! - Before the first `title`, only menu commands act (`default`, `fallback`,
//!   `timeout`, `hiddenmenu`, `password`, `splashimage`, `color`, ...). Other known
//!   commands (`root`, `kernel`, `configfile`, ...) are ignored there, and unknown ones
//!   skipped, as GRUB does.
//! - A `title` with no command after it (before the next `title` or the end) is
//!   dropped: GRUB overwrites it with the next one.
//! - Values are parsed as GRUB parses them: `default saved` only when the argument is
//!   exactly `saved`; numbers by `safe_parse_maxint` (a value GRUB cannot parse leaves
//!   the setting as it was).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::lexer::{self, Line};

/// The most `fallback` entries GRUB keeps (`MAX_FALLBACK_ENTRIES`).
pub const MAX_FALLBACK: usize = 8;

/// What `default` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultSetting {
    /// An entry number.
    Number(i32),
    /// `default saved`: the number in the `default` file next to the config.
    Saved,
}

/// A `password` line: locks the menu editor and `lock`ed entries in GRUB. Kept for the
/// interactive menu; it never stops xlboot from booting the default entry, since the
/// administrator starting the guest is the authority GRUB's password stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    /// `--md5`: the password is an MD5 crypt hash.
    pub md5: bool,
    /// The password or its hash.
    pub secret: String,
    /// The config file GRUB loads once the password is given, if any.
    pub new_config: Option<String>,
}

/// One command line of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Line number in the config.
    pub line: u32,
    /// The command name (`kernel`, `root`, ...).
    pub name: String,
    /// Its argument, as GRUB passes it (`skip_to (1, line)`).
    pub arg: String,
}

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySource {
    /// Line of its `title`.
    pub line: u32,
    /// The title as GRUB shows it.
    pub title: String,
    /// Its commands, in order.
    pub commands: Vec<Command>,
}

/// A parsed GRUB legacy config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The last `default` GRUB could parse, with its line.
    pub default: Option<(DefaultSetting, u32)>,
    /// `fallback` entries in order, duplicates removed, at most [`MAX_FALLBACK`].
    pub fallback: Vec<i32>,
    /// `timeout` seconds, if given and parsed.
    pub timeout: Option<i32>,
    /// `hiddenmenu`: the menu is not shown unless a key is pressed.
    pub hidden_menu: bool,
    /// The last `password` line.
    pub password: Option<Password>,
    /// `splashimage` (display only).
    pub splash_image: Option<String>,
    /// `color` (display only).
    pub color: Option<String>,
    /// The entries, in menu order.
    pub entries: Vec<EntrySource>,
    /// Remarks for `--debug`: lines ignored, values GRUB could not parse, lines cut.
    pub notes: Vec<String>,
}

/// Commands GRUB 0.97 knows (with the graphics patch distributions ship, and the
/// `uuid` and `quiet` commands of Debian's and Ubuntu's GRUB). A line whose command is
/// not one of these is skipped before the first `title`, and makes an entry fail when
/// GRUB runs it.
pub const KNOWN_COMMANDS: &[&str] = &[
    "background",
    "blocklist",
    "boot",
    "bootp",
    "border",
    "cat",
    "chainloader",
    "clear",
    "cmp",
    "color",
    "configfile",
    "debug",
    "default",
    "device",
    "dhcp",
    "displayapm",
    "displaymem",
    "dump",
    "embed",
    "fallback",
    "find",
    "foreground",
    "fstest",
    "geometry",
    "halt",
    "help",
    "hiddenmenu",
    "hide",
    "ifconfig",
    "impsprobe",
    "initrd",
    "install",
    "ioprobe",
    "kernel",
    "lock",
    "makeactive",
    "map",
    "md5crypt",
    "module",
    "modulenounzip",
    "pager",
    "partnew",
    "parttype",
    "password",
    "pause",
    "print",
    "quiet",
    "quit",
    "rarp",
    "read",
    "reboot",
    "root",
    "rootnoverify",
    "savedefault",
    "serial",
    "setkey",
    "setup",
    "shade",
    "splashimage",
    "terminal",
    "terminfo",
    "testload",
    "testvbe",
    "tftpserver",
    "timeout",
    "title",
    "unhide",
    "uppermem",
    "uuid",
    "vbeprobe",
    "viewport",
];

/// Commands that act before the first `title` (`BUILTIN_MENU`) and cannot run inside
/// an entry (no `BUILTIN_CMDLINE`): inside an entry GRUB stops with "Unrecognized
/// command".
pub const MENU_ONLY_COMMANDS: &[&str] = &["default", "fallback", "hiddenmenu", "timeout"];

/// Commands that act before the first `title` (`BUILTIN_MENU`).
const MENU_COMMANDS: &[&str] = &[
    "background",
    "bootp",
    "border",
    "color",
    "default",
    "device",
    "dhcp",
    "fallback",
    "foreground",
    "hiddenmenu",
    "hide",
    "ifconfig",
    "pager",
    "partnew",
    "parttype",
    "password",
    "print",
    "rarp",
    "serial",
    "setkey",
    "shade",
    "splashimage",
    "terminal",
    "terminfo",
    "tftpserver",
    "timeout",
    "unhide",
    "viewport",
];

/// Most remarks kept for `--debug`; later ones are dropped.
pub const MAX_NOTES: usize = 256;

fn note(notes: &mut Vec<String>, s: String) {
    if notes.len() < MAX_NOTES {
        notes.push(s);
    }
}

/// Parses GRUB's logical lines into a config. At most `max_entries` entries and
/// `max_commands` entry commands are kept; `Err` says which bound was passed.
pub fn parse(lines: &[Line], max_entries: usize, max_commands: usize) -> Result<Config, String> {
    let mut cfg = Config::default();
    let mut current: Option<EntrySource> = None;
    let mut commands = 0usize;
    for line in lines {
        if line.truncated {
            note(
                &mut cfg.notes,
                alloc::format!(
                    "line {}: longer than {} bytes; GRUB keeps only the first {}",
                    line.number,
                    lexer::MAX_LINE,
                    lexer::MAX_LINE
                ),
            );
        }
        let (name, arg) = lexer::command(&line.text);
        if !KNOWN_COMMANDS.contains(&name) && current.is_none() {
            note(
                &mut cfg.notes,
                alloc::format!(
                    "line {}: unknown command `{name}' skipped, as GRUB skips it",
                    line.number
                ),
            );
            continue;
        }
        if name == "title" {
            if let Some(e) = current.take() {
                finish_entry(&mut cfg, e, max_entries)?;
            }
            current = Some(EntrySource {
                line: line.number,
                title: arg.to_string(),
                commands: Vec::new(),
            });
            continue;
        }
        match &mut current {
            Some(e) => {
                commands = commands.saturating_add(1);
                if commands > max_commands {
                    return Err(alloc::format!("more than {max_commands} entry commands"));
                }
                e.commands.push(Command {
                    line: line.number,
                    name: name.to_string(),
                    arg: arg.to_string(),
                });
            }
            None if MENU_COMMANDS.contains(&name) => menu_command(&mut cfg, line.number, name, arg),
            None => note(
                &mut cfg.notes,
                alloc::format!(
                    "line {}: `{name}' before the first title is ignored, as GRUB ignores it",
                    line.number
                ),
            ),
        }
    }
    if let Some(e) = current {
        finish_entry(&mut cfg, e, max_entries)?;
    }
    Ok(cfg)
}

/// Adds a finished entry to the menu, or drops it when it has no commands (GRUB
/// overwrites such a title with the next one).
fn finish_entry(cfg: &mut Config, e: EntrySource, max_entries: usize) -> Result<(), String> {
    if e.commands.is_empty() {
        note(
            &mut cfg.notes,
            alloc::format!(
                "line {}: title `{}' has no commands; GRUB drops it",
                e.line,
                e.title
            ),
        );
        return Ok(());
    }
    if cfg.entries.len() >= max_entries {
        return Err(alloc::format!("more than {max_entries} entries"));
    }
    cfg.entries.push(e);
    Ok(())
}

/// Runs one menu command as GRUB does while reading the config.
fn menu_command(cfg: &mut Config, line: u32, name: &str, arg: &str) {
    let unparsed = |cfg: &mut Config, what: &str| {
        note(
            &mut cfg.notes,
            alloc::format!(
                "line {line}: `{name} {arg}': GRUB cannot parse {what}; the setting is unchanged"
            ),
        );
    };
    match name {
        "default" => {
            if arg == "saved" {
                cfg.default = Some((DefaultSetting::Saved, line));
            } else if let Some((n, _)) = lexer::parse_maxint(arg) {
                cfg.default = Some((DefaultSetting::Number(n), line));
            } else {
                unparsed(cfg, "the entry number");
            }
        }
        "timeout" => match lexer::parse_maxint(arg) {
            Some((n, _)) => cfg.timeout = Some(n),
            None => unparsed(cfg, "the number of seconds"),
        },
        "fallback" => match parse_fallback(arg) {
            Some(list) => cfg.fallback = list,
            None => unparsed(cfg, "an entry number"),
        },
        "hiddenmenu" => cfg.hidden_menu = true,
        "password" => cfg.password = Some(parse_password(arg)),
        "splashimage" => cfg.splash_image = Some(arg.to_string()),
        "color" => cfg.color = Some(arg.to_string()),
        _ => {}
    }
}

/// `fallback NUM...` as `fallback_func` reads it: numbers separated by blanks (each
/// word read from its start: `1,2` is 1), duplicates dropped, at most
/// [`MAX_FALLBACK`]. `None` when a word does not start with a number.
fn parse_fallback(mut arg: &str) -> Option<Vec<i32>> {
    let mut list: Vec<i32> = Vec::new();
    while !arg.is_empty() {
        let (n, _) = lexer::parse_maxint(arg)?;
        if !list.contains(&n) {
            list.push(n);
            if list.len() == MAX_FALLBACK {
                break;
            }
        }
        arg = lexer::skip_to(false, arg);
    }
    Some(list)
}

/// `password [--md5] PASSWD [NEW-CONFIG-FILE]`.
pub fn parse_password(arg: &str) -> Password {
    let (md5, rest) = match arg.strip_prefix("--md5") {
        Some(r) if r.is_empty() || r.starts_with([' ', '\t']) => (true, lexer::skip_to(false, arg)),
        _ => (false, arg),
    };
    let secret = lexer::first_word(rest).to_string();
    let new_config = Some(lexer::skip_to(false, rest))
        .filter(|s| !s.is_empty())
        .map(|s| lexer::first_word(s).to_string());
    Password {
        md5,
        secret,
        new_config,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(src: &str) -> Config {
        let (lines, _) = lexer::lines(src.as_bytes(), 1000);
        parse(&lines, 100, 1000).unwrap()
    }

    #[test]
    fn menu_commands_before_the_first_title() {
        let c = cfg("default=2\ntimeout 5\nhiddenmenu\nfallback 1 3 1\n\
                     password --md5 $1$abc$def\nsplashimage=(hd0,0)/grub/splash.xpm.gz\n\
                     title A\nkernel /a\n");
        assert_eq!(c.default, Some((DefaultSetting::Number(2), 1)));
        assert_eq!(c.timeout, Some(5));
        assert!(c.hidden_menu);
        assert_eq!(c.fallback, [1, 3]);
        assert_eq!(
            c.password,
            Some(Password {
                md5: true,
                secret: "$1$abc$def".into(),
                new_config: None
            })
        );
        assert_eq!(
            c.splash_image.as_deref(),
            Some("(hd0,0)/grub/splash.xpm.gz")
        );
        assert_eq!(c.entries.len(), 1);
    }

    #[test]
    fn default_saved_only_when_exactly_saved() {
        assert_eq!(
            cfg("default saved\n").default,
            Some((DefaultSetting::Saved, 1))
        );
        // Trailing blank: not "saved", not a number: the setting is unchanged.
        assert_eq!(
            cfg("default 1\ndefault saved \n").default,
            Some((DefaultSetting::Number(1), 1))
        );
        assert_eq!(cfg("default x\n").default, None);
        assert_eq!(
            cfg("default 3rd\n").default,
            Some((DefaultSetting::Number(3), 1))
        );
    }

    #[test]
    fn commands_after_a_title_belong_to_the_entry() {
        let c = cfg("title A\ndefault 1\nroot (hd0,0)\n");
        assert_eq!(c.default, None);
        assert_eq!(c.entries[0].commands.len(), 2);
    }

    #[test]
    fn root_before_the_first_title_is_ignored() {
        let c = cfg("root (hd0,1)\ntitle A\nkernel /a\n");
        assert!(c
            .notes
            .iter()
            .any(|n| n.contains("`root' before the first title")));
        assert_eq!(c.entries[0].commands.len(), 1);
    }

    #[test]
    fn titles_without_commands_are_dropped() {
        let c = cfg("title Empty\ntitle A\nkernel /a\ntitle Trailing\n");
        let titles: Vec<&str> = c.entries.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["A"]);
    }

    #[test]
    fn unknown_commands_skipped_at_the_top_kept_in_entries() {
        let c = cfg("gfxmenu (hd0,0)/message\ntitle A\nkernel$ /a\n");
        assert_eq!(c.entries[0].commands[0].name, "kernel$");
    }

    #[test]
    fn fallback_parsing() {
        assert_eq!(parse_fallback("1,2"), Some(alloc::vec![1]));
        assert_eq!(parse_fallback("1 x"), None);
        assert_eq!(
            parse_fallback("0 1 2 3 4 5 6 7 8 9").map(|l| l.len()),
            Some(8)
        );
    }

    #[test]
    fn entry_and_command_counts_are_bounded() {
        let (lines, _) = lexer::lines("title a\nkernel /a\n".repeat(20).as_bytes(), 1000);
        assert!(parse(&lines, 10, 1000).is_err());
        assert!(parse(&lines, 100, 5).is_err());
    }
}

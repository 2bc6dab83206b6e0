//! The usage line, `--help`, the man page `xlboot(1)` and the bash, zsh and fish
//! completions, all rendered from the one option table `cli::OPTIONS`, so that an
//! option added there is parsed, documented and completed without further edits.

use std::fmt::Write as _;

use crate::cli::{Generated, OptSpec, Section, Value, INSPECT_OPTIONS, OPTIONS};

/// What xlboot is, for `--help` and the man page's DESCRIPTION.
const ABOUT: &str = "Boots a Xen PV or PVH guest from the kernel on its own disk: finds the \
guest's boot loader config, picks the entry the guest's boot loader would boot, copies its \
kernel and initrd into the output directory and writes the reply libxl reads. A drop-in \
replacement for pygrub: use bootloader = \"xlboot\" in xl.cfg.";

/// How libxl runs it, for the man page.
const LIBXL: &str = "libxl runs it as root in dom0 as xlboot [--kernel=K] [--ramdisk=R] \
[--args=A] [--runas=UID --quiet] --output=FILE --output-format=simple0 \
--output-directory=DIR [bootloader_args...] DISK, with the guest's first disk as DISK. \
xlboot opens the disk and the output files, then reads the guest in a sandboxed child \
(another uid, no groups, an empty chroot, new namespaces, Landlock, rlimits, a seccomp \
allow-list): the uid given by --runas, else the xlboot system user if there is one, else \
65534.";

/// Width `--help` wraps its text to.
const WIDTH: usize = 79;
/// Column where `--help` starts an option's text.
const HELP_COLUMN: usize = 27;

/// The options `--help`, the man page and the completions show.
fn shown() -> impl Iterator<Item = &'static OptSpec> {
    OPTIONS.iter().filter(|o| !o.hidden)
}

/// The option as written on a command line: `-q, --quiet` or `    --entry=E`.
fn signature(o: &OptSpec) -> String {
    let short = match o.short {
        Some(c) => format!("-{c}, "),
        None => "    ".to_string(),
    };
    format!("{short}--{}{}", o.long, value_suffix(o.value))
}

/// `=E`, `=sxp|simple|simple0`, or nothing for a flag.
fn value_suffix(v: Value) -> String {
    match v {
        Value::None => String::new(),
        Value::Text(name) | Value::File(name) | Value::Dir(name) => format!("={name}"),
        Value::Choice(words) => format!("={}", words.join("|")),
    }
}

/// The first sentence of an option's help, for the completions' one-line descriptions.
fn summary(o: &OptSpec) -> &'static str {
    let help = o.help;
    let end = [". ", ": ", "; "]
        .iter()
        .filter_map(|sep| help.find(sep))
        .min()
        .unwrap_or(help.len());
    help[..end].trim_end_matches('.')
}

/// Words of `text` filled into lines of at most `width` characters (a longer word gets
/// a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The usage lines: pygrub's, with every boot option of the table, then
/// `xlboot inspect`'s with the options it takes.
fn usage(argv0: &str) -> String {
    let mut s = format!("Usage: {argv0}");
    for o in shown().filter(|o| o.section != Section::Inspect) {
        let long = format!("--{}{}", o.long, value_suffix(o.value));
        match o.short {
            Some(c) => write!(s, " [-{c}|{long}]"),
            None => write!(s, " [{long}]"),
        }
        .ok();
    }
    s.push_str(" <image>");
    write!(s, "\n       {argv0} inspect").ok();
    for o in shown().filter(|o| INSPECT_OPTIONS.contains(&o.long)) {
        write!(s, " [--{}{}]", o.long, value_suffix(o.value)).ok();
    }
    s.push_str(" <image>");
    s
}

/// The `--help` text: usage, what xlboot is, then each section's options.
pub fn help(argv0: &str) -> String {
    let mut s = usage(argv0);
    s.push_str("\n\n");
    for line in wrap(ABOUT, WIDTH - 1) {
        writeln!(s, "{line}").ok();
    }
    for section in Section::ALL {
        writeln!(s, "\n{}:", section.title()).ok();
        for o in shown().filter(|o| o.section == section) {
            let sig = format!("  {}", signature(o));
            let text = wrap(o.help, WIDTH - HELP_COLUMN);
            let mut text = text.iter();
            if sig.len() < HELP_COLUMN {
                let first = text.next().map_or("", String::as_str);
                writeln!(s, "{sig:<HELP_COLUMN$}{first}").ok();
            } else {
                writeln!(s, "{sig}").ok();
            }
            for line in text {
                writeln!(s, "{:HELP_COLUMN$}{line}", "").ok();
            }
        }
    }
    s.push_str(
        "\nOptions may follow the image, long options may be shortened to a unique prefix,\n\
         and later options override earlier ones, as with pygrub's getopt. On failure\n\
         xlboot prints one line on stderr, removes what it created and exits 1.",
    );
    s
}

/// Text escaped for roff: backslashes, hyphens (so that they stay ASCII minus signs
/// and can be searched for), and a leading `.` or `'` that would start a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The man page `xlboot(1)`.
pub fn man(version: &str) -> String {
    let mut s = String::new();
    writeln!(
        s,
        ".TH XLBOOT 1 \"\" \"xlboot {}\" \"User Commands\"",
        roff(version)
    )
    .ok();
    s.push_str(".SH NAME\nxlboot \\- boot Xen PV and PVH guests from the kernel on their own disk, a drop\\-in for pygrub\n");
    s.push_str(".SH SYNOPSIS\n.B xlboot\n[\\fIOPTION\\fR]... \\fIIMAGE\\fR\n");
    s.push_str(".br\n.B xlboot inspect\n[\\fB\\-\\-json\\fR] [\\fIOPTION\\fR]... \\fIIMAGE\\fR\n");
    writeln!(s, ".SH DESCRIPTION\n{}\n.PP\n{}", roff(ABOUT), roff(LIBXL)).ok();
    s.push_str(
        ".PP\nOptions may follow the image, long options may be shortened to a unique \
         prefix, and later options override earlier ones, as with pygrub's getopt.\n",
    );
    s.push_str(".SH OPTIONS\n");
    for section in Section::ALL {
        writeln!(s, ".SS {}", roff(section.title())).ok();
        for o in shown().filter(|o| o.section == section) {
            s.push_str(".TP\n");
            if let Some(c) = o.short {
                write!(s, "\\fB\\-{c}\\fR, ").ok();
            }
            write!(s, "\\fB\\-\\-{}\\fR", roff(o.long)).ok();
            match o.value {
                Value::None => {}
                Value::Text(n) | Value::File(n) | Value::Dir(n) => {
                    write!(s, "=\\fI{}\\fR", roff(n)).ok();
                }
                Value::Choice(words) => {
                    write!(s, "={}", roff(&words.join("|"))).ok();
                }
            }
            writeln!(s, "\n{}", roff(o.help)).ok();
        }
    }
    s.push_str(".SS Budgets for \\-\\-limit\n");
    for (name, what) in xlboot_boot::limits::NAMES {
        writeln!(s, ".TP\n.B {}\n{}", roff(name), roff(what)).ok();
    }
    s.push_str(
        ".SH EXIT STATUS\n0 when the reply was written (or the list printed); 1 on any \
         failure, after one line on stderr and with every file xlboot created removed. \
         xlboot never exits 0 with a partial or empty reply.\n",
    );
    s.push_str(
        ".SH FILES\n.TP\n.I /var/log/xen/bootloader.N.log\nwhere libxl keeps xlboot's \
         stderr: one line on failure, one line per decision with \\-\\-debug.\n\
         .TP\n.I /var/run/xen/xlboot\nthe default output directory.\n\
         .TP\n.I /usr/share/doc/xlboot\nthe xl.cfg guide, the migration guide from \
         pygrub and pvgrub2, and the explanation of every error message.\n",
    );
    s.push_str(".SH SEE ALSO\n.BR xl (1),\n.BR xl.cfg (5)\n");
    s
}

/// A bash completion script (`complete -F _xlboot xlboot`).
pub fn bash() -> String {
    let mut words = Vec::new();
    let mut cases = String::new();
    for o in shown() {
        if let Some(c) = o.short {
            words.push(format!("-{c}"));
        }
        let eq = if o.value == Value::None { "" } else { "=" };
        words.push(format!("--{}{eq}", o.long));
        let reply = match o.value {
            Value::None => continue,
            Value::Text(_) => "COMPREPLY=()".to_string(),
            Value::File(_) => "COMPREPLY=($(compgen -f -- \"$cur\"))".to_string(),
            Value::Dir(_) => "COMPREPLY=($(compgen -d -- \"$cur\"))".to_string(),
            Value::Choice(c) => {
                format!("COMPREPLY=($(compgen -W '{}' -- \"$cur\"))", c.join(" "))
            }
        };
        writeln!(cases, "        --{}) {reply}; return ;;", o.long).ok();
    }
    format!(
        "# bash completion for xlboot (generated from xlboot's option table)
_xlboot() {{
    local cur=\"${{COMP_WORDS[COMP_CWORD]}}\" opt=\"\"
    local prev=\"${{COMP_WORDS[COMP_CWORD-1]}}\"
    # bash splits --opt=value at the '=' into three words.
    if [[ $cur == = ]]; then
        opt=$prev; cur=\"\"
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        opt=${{COMP_WORDS[COMP_CWORD-2]}}
    elif [[ $prev == --* ]]; then
        opt=$prev
    fi
    case $opt in
{cases}    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '{words}' -- \"$cur\"))
        [[ ${{COMPREPLY[0]}} == *= ]] && compopt -o nospace
    elif [[ $COMP_CWORD -eq 1 ]]; then
        # The first word may be the inspect command instead of an option or the disk.
        COMPREPLY=($(compgen -W inspect -- \"$cur\") $(compgen -f -- \"$cur\"))
    else
        COMPREPLY=($(compgen -f -- \"$cur\"))
    fi
}}
complete -F _xlboot xlboot
",
        words = words.join(" ")
    )
}

/// Text for inside a zsh `_arguments` description in single quotes.
fn zsh_text(text: &str) -> String {
    text.replace('\'', "'\\''")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
}

/// A zsh completion function, installed as `_xlboot`.
pub fn zsh() -> String {
    let mut s = String::from(
        "#compdef xlboot\n# zsh completion for xlboot (generated from xlboot's option table)\n\
         _arguments -s -S \\\n",
    );
    for o in shown() {
        let desc = zsh_text(summary(o));
        let action = match o.value {
            Value::None => String::new(),
            Value::Text(n) => format!(":{}: ", zsh_text(n)),
            Value::File(n) => format!(":{}:_files", zsh_text(n)),
            Value::Dir(n) => format!(":{}:_files -/", zsh_text(n)),
            Value::Choice(c) => format!(":{}:({})", o.long, c.join(" ")),
        };
        let eq = if o.value == Value::None { "" } else { "=" };
        // '*': every option may be repeated, the last one counting (getopt).
        writeln!(s, "  '*--{}{eq}[{desc}]{action}' \\", o.long).ok();
        if let Some(c) = o.short {
            writeln!(s, "  '*-{c}[{desc}]' \\").ok();
        }
    }
    s.push_str("  '1:disk image:_files'\n");
    s
}

/// fish completions (`complete -c xlboot ...` lines).
pub fn fish() -> String {
    let mut s = String::from(
        "# fish completion for xlboot (generated from xlboot's option table)\n\
         complete -c xlboot -n __fish_use_subcommand -a inspect \
         -d 'Report what the disk holds instead of booting it'\n",
    );
    for o in shown() {
        write!(s, "complete -c xlboot").ok();
        if let Some(c) = o.short {
            write!(s, " -s {c}").ok();
        }
        let takes = match o.value {
            Value::None => String::new(),
            Value::Text(_) => " -x".to_string(),
            Value::File(_) => " -r -F".to_string(),
            Value::Dir(_) => " -x -a '(__fish_complete_directories)'".to_string(),
            Value::Choice(c) => format!(" -x -a '{}'", c.join(" ")),
        };
        let desc = summary(o).replace('\\', "\\\\").replace('\'', "\\'");
        writeln!(s, " -l {}{takes} -d '{desc}'", o.long).ok();
    }
    s
}

/// What `--generate=WHAT` prints.
pub fn generate(what: Generated, version: &str) -> String {
    match what {
        Generated::Man => man(version),
        Generated::Bash => bash(),
        Generated::Zsh => zsh(),
        Generated::Fish => fish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// Runs `shell -n` (syntax check only) on `script`, if that shell is installed.
    fn syntax_ok(shell: &str, script: &str) {
        let Ok(mut child) = Command::new(shell)
            .arg("-n")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            eprintln!("{shell} not installed: its completion script is not checked");
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{shell} -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn every_option_is_in_every_document() {
        let docs = [
            ("help", help("xlboot")),
            ("man", man("0")),
            ("bash", bash()),
            ("zsh", zsh()),
            ("fish", fish()),
        ];
        for o in OPTIONS {
            for (what, text) in &docs {
                let name = if *what == "man" {
                    format!("\\-\\-{}", o.long.replace('-', "\\-"))
                } else if *what == "fish" {
                    format!("-l {}", o.long)
                } else {
                    format!("--{}", o.long)
                };
                assert_eq!(
                    text.contains(&name),
                    !o.hidden,
                    "--{} in the {what} text",
                    o.long
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                o.long.len() > 1
                    && o.long
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "--{}",
                o.long
            );
            for other in &OPTIONS[i + 1..] {
                assert_ne!(o.long, other.long);
                assert!(
                    o.short.is_none() || o.short != other.short,
                    "-{:?}",
                    o.short
                );
            }
            assert!(o.help.ends_with('.'), "--{}'s help ends a sentence", o.long);
        }
    }

    #[test]
    fn every_limit_is_documented() {
        let limit = OPTIONS.iter().find(|o| o.long == "limit").unwrap();
        for (name, _) in xlboot_boot::limits::NAMES {
            assert!(limit.help.contains(name), "{name}");
        }
    }

    #[test]
    fn help_fits_the_terminal() {
        let text = help("xlboot");
        // The usage lines are one line each, however long, as pygrub prints them.
        for line in text.lines().skip(usage("xlboot").lines().count()) {
            assert!(line.len() <= WIDTH, "{line:?}");
        }
    }

    #[test]
    fn completion_scripts_parse() {
        syntax_ok("bash", &bash());
        syntax_ok("zsh", &zsh());
        syntax_ok("fish", &fish());
    }

    #[test]
    fn man_page_renders_without_warnings() {
        let Ok(mut child) = Command::new("groff")
            .args(["-ww", "-man", "-z"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            eprintln!("groff not installed: the man page is not checked");
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(man("1.2.3").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff(".x-y\\"), "\\&.x\\-y\\e");
        assert_eq!(roff("'q"), "\\&'q");
    }
}

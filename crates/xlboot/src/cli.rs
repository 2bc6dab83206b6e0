//! pygrub's command line, parsed the way pygrub's `getopt.gnu_getopt` parses it.
//!
//! libxl runs the bootloader as
//! `LOADER [--kernel=K] [--ramdisk=R] [--args=A] [--runas=UID --quiet] --output=FILE
//! --output-format=simple0 --output-directory=DIR [bootloader_args...] DISK`, and
//! administrators have scripts that call pygrub directly, so every form pygrub accepts
//! is accepted here with the same meaning: options after the image (GNU permutation),
//! `--opt=value` and `--opt value`, unique prefixes of long options (`--ent=1`),
//! clustered short options (`-qn`), `--` to end options, later options overriding
//! earlier ones. What pygrub rejects is rejected, with a clearer message.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::{self, Strictness};

/// Limits on what a guest can make xlboot do, with defaults generous enough for real
/// guests (Debian's initrds with every module run past 100 MiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Largest kernel copied out (`--max-kernel-size`). libxenguest itself refuses
    /// kernels that decompress past 1 GiB.
    pub max_kernel: u64,
    /// Largest initrd, all files of an entry together (`--max-initrd-size`).
    pub max_initrd: u64,
    /// Wall-clock limit on reading the guest (`--timeout`).
    pub timeout: Duration,
}

impl Budgets {
    /// Bytes that may be read from the disk in one run: the boot files at their largest,
    /// plus 256 MiB for partition tables, filesystem metadata and configs.
    pub fn max_read(&self) -> u64 {
        self.max_kernel
            .saturating_add(self.max_initrd)
            .saturating_add(256 << 20)
    }
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            max_kernel: 256 << 20,
            max_initrd: 1 << 30,
            timeout: sandbox::DEFAULT_TIMEOUT,
        }
    }
}

/// How the reply to the toolstack is written (`--output-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `linux (kernel '...')(ramdisk '...')(args '...')`, values quoted as Python's
    /// `repr()` quotes them (xend's format; pygrub's default).
    Sxp,
    /// `kernel ...\nramdisk ...\nargs ...\n\n`.
    Simple,
    /// As `Simple` with NUL instead of newline: what libxl asks for.
    Simple0,
}

/// Everything the options ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The guest's disk (image file or block device), or with `--isconfig` a config file.
    pub image: PathBuf,
    /// Show the menu (pygrub's default; `-q` and `--entry` turn it off).
    pub interactive: bool,
    /// `-l`: list the entries instead of booting.
    pub list_entries: bool,
    /// `-n`: decide and check, but copy nothing out.
    pub not_really: bool,
    /// `--output`: an existing file to write the reply into; `None` is stdout.
    pub output: Option<PathBuf>,
    /// `--output-format`.
    pub format: Format,
    /// `--output-directory`: where the kernel and initrd copies go.
    pub output_directory: Option<PathBuf>,
    /// `--offset`: byte offset of the one filesystem to read, instead of partition
    /// discovery.
    pub offset: Option<u64>,
    /// `--disk=PATH` (repeatable): further disks of the guest, GRUB's `hd1`, `hd2`,
    /// ... in order. libxl hands a boot loader only the guest's first disk; an LVM
    /// volume group or md array that spans several disks needs the others, passed
    /// as `bootloader_args = ["--disk=/dev/vg/guest-disk2"]` in xl.cfg. They are
    /// opened read-only by the privileged parent, like the first disk.
    pub disks: Vec<PathBuf>,
    /// `--format`: the disk image's format, as libxl's disk spec names it; without
    /// it, the file's own header decides (see `image::open_guest_disk`).
    pub format_in: Option<crate::image::ImageFormat>,
    /// `--backing-dir` (repeatable): directories besides the image's own where a
    /// qcow2 backing file may be.
    pub backing_dirs: Vec<PathBuf>,
    /// `--runas`: the uid to parse the disk as (0 means unset, as in pygrub).
    pub runas: Option<u32>,
    /// `--entry`: which entry to boot instead of the default.
    pub entry: Option<String>,
    /// `--kernel`: a kernel path in the guest; the config is then not read.
    pub kernel: Option<String>,
    /// `--ramdisk`: an initrd path in the guest, used with `--kernel`.
    pub ramdisk: Option<String>,
    /// `--args`: the command line with `--kernel`, else appended to the entry's.
    pub args: String,
    /// `--isconfig`: the image is a config file (or BLS entries directory) on this host.
    pub isconfig: bool,
    /// `--debug`: say what is decided, and why, on stderr.
    pub debug: bool,
    /// `--max-kernel-size`, `--max-initrd-size`, `--timeout`.
    pub budgets: Budgets,
    /// `--sandbox`.
    pub sandbox: Strictness,
    /// `--limit=NAME=VALUE`: the decision's other budgets.
    pub limits: xlboot_boot::Limits,
    /// `--update-grubenv`: after choosing an entry from a GRUB 2 config, rewrite the
    /// guest's environment block as GRUB's `save_env` would at boot (the disk is
    /// otherwise never opened for writing).
    pub update_grubenv: bool,
}

/// What the command line asks xlboot to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Boot (or list, or check) as the options say.
    Run(Box<Options>),
    /// Print the usage text.
    Help,
    /// Print the version.
    Version,
}

/// A command line pygrub would also refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// Most further disks (`--disk=`) taken.
pub const MAX_DISKS: usize = 16;

/// The long options, as pygrub declares them (`name=` takes a value), plus
/// `--version`.
const LONG_OPTIONS: &[&str] = &[
    "quiet",
    "interactive",
    "list-entries",
    "not-really",
    "help",
    "output=",
    "output-format=",
    "output-directory=",
    "offset=",
    "disk=",
    "format=",
    "backing-dir=",
    "runas=",
    "entry=",
    "kernel=",
    "ramdisk=",
    "args=",
    "isconfig",
    "debug",
    "version",
    "sandbox=",
    "timeout=",
    "max-kernel-size=",
    "max-initrd-size=",
    "limit=",
    "update-grubenv",
];

/// One option as getopt returns it: the canonical name and its value.
type RawOption = (String, Option<String>);

/// Splits the arguments (without argv\[0\]) into options and operands exactly as
/// Python's `getopt.gnu_getopt(args, "qilnh::", LONG_OPTIONS)` does, except that `-h`
/// takes no value (pygrub requires one, which makes a bare `-h` an error).
fn gnu_getopt(args: &[String]) -> Result<(Vec<RawOption>, Vec<String>), UsageError> {
    let mut opts = Vec::new();
    let mut operands = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            operands.extend(rest.cloned());
            break;
        } else if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let (canonical, takes_value) = match_long(name)?;
            let value = match (takes_value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(rest.next().cloned().ok_or_else(|| {
                    UsageError(format!("option --{canonical} requires argument"))
                })?),
                (false, Some(_)) => {
                    return Err(UsageError(format!(
                        "option --{canonical} must not have an argument"
                    )))
                }
                (false, None) => None,
            };
            opts.push((canonical.to_string(), value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            for c in arg.chars().skip(1) {
                match c {
                    'q' | 'i' | 'l' | 'n' => opts.push((short_name(c).to_string(), None)),
                    // pygrub's "h::" makes -h swallow a value; help ignores it anyway.
                    'h' => {
                        opts.push(("help".to_string(), None));
                        break;
                    }
                    _ => return Err(UsageError(format!("option -{c} not recognized"))),
                }
            }
        } else {
            operands.push(arg.clone());
        }
    }
    Ok((opts, operands))
}

fn short_name(c: char) -> &'static str {
    match c {
        'q' => "quiet",
        'i' => "interactive",
        'l' => "list-entries",
        _ => "not-really",
    }
}

/// Python getopt's `long_has_args`: an exact name wins, else a unique prefix.
fn match_long(name: &str) -> Result<(&'static str, bool), UsageError> {
    let candidates: Vec<&'static str> = LONG_OPTIONS
        .iter()
        .copied()
        .filter(|o| o.starts_with(name))
        .collect();
    if candidates.is_empty() {
        return Err(UsageError(format!("option --{name} not recognized")));
    }
    if let Some(exact) = candidates.iter().find(|c| **c == name) {
        return Ok((exact, false));
    }
    let with_value = format!("{name}=");
    if let Some(c) = candidates.iter().find(|c| **c == with_value) {
        return Ok((c.trim_end_matches('='), true));
    }
    match candidates.as_slice() {
        [only] => Ok((only.trim_end_matches('='), only.ends_with('='))),
        _ => Err(UsageError(format!("option --{name} not a unique prefix"))),
    }
}

/// Parses the command line (without argv\[0\]).
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| UsageError(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<_, _>>()?;
    let (opts, operands) = gnu_getopt(&args)?;

    let mut o = Options {
        image: PathBuf::new(),
        interactive: true,
        list_entries: false,
        not_really: false,
        output: None,
        format: Format::Sxp,
        output_directory: None,
        offset: None,
        disks: Vec::new(),
        format_in: None,
        backing_dirs: Vec::new(),
        runas: None,
        entry: None,
        kernel: None,
        ramdisk: None,
        args: String::new(),
        isconfig: false,
        debug: false,
        budgets: Budgets::default(),
        sandbox: Strictness::BestEffort,
        limits: xlboot_boot::Limits::default(),
        update_grubenv: false,
    };
    for (name, value) in opts {
        let value = value.unwrap_or_default();
        match name.as_str() {
            "quiet" => o.interactive = false,
            "interactive" => o.interactive = true,
            "list-entries" => o.list_entries = true,
            "not-really" => o.not_really = true,
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "output" => o.output = (value != "-").then(|| PathBuf::from(value)),
            "output-format" => {
                o.format = match value.as_str() {
                    "sxp" => Format::Sxp,
                    "simple" => Format::Simple,
                    "simple0" => Format::Simple0,
                    other => {
                        return Err(UsageError(format!(
                            "unknown output format {other} (sxp, simple or simple0)"
                        )))
                    }
                }
            }
            "output-directory" => {
                if !std::path::Path::new(&value).is_dir() {
                    return Err(UsageError(format!("{value} is not an existing directory")));
                }
                o.output_directory = Some(PathBuf::from(value));
            }
            "offset" => {
                o.offset = Some(parse_python_int(&value).ok_or_else(|| {
                    UsageError(format!(
                        "offset value must be an integer (bytes), not {value:?}"
                    ))
                })?)
            }
            "format" => {
                o.format_in = Some(value.parse().map_err(UsageError)?);
            }
            "backing-dir" => {
                if o.backing_dirs.len() >= MAX_DISKS {
                    return Err(UsageError(format!(
                        "at most {MAX_DISKS} --backing-dir options"
                    )));
                }
                o.backing_dirs.push(PathBuf::from(value));
            }
            "disk" => {
                if o.disks.len() >= MAX_DISKS {
                    return Err(UsageError(format!("at most {MAX_DISKS} --disk options")));
                }
                o.disks.push(PathBuf::from(value));
            }
            "runas" => {
                let uid = parse_python_int(&value).ok_or_else(|| {
                    UsageError(format!(
                        "runas value must be an integer user id, not {value:?}"
                    ))
                })?;
                let uid = u32::try_from(uid).map_err(|_| {
                    UsageError(format!("runas value {value} is not a valid user id"))
                })?;
                // pygrub treats uid 0 as "not set".
                o.runas = (uid != 0).then_some(uid);
            }
            "entry" => {
                o.entry = Some(value);
                o.interactive = false;
            }
            "kernel" => o.kernel = Some(value),
            "ramdisk" => o.ramdisk = Some(value),
            "args" => o.args = value,
            "isconfig" => o.isconfig = true,
            "debug" => o.debug = true,
            "update-grubenv" => o.update_grubenv = true,
            "sandbox" => {
                o.sandbox = match value.as_str() {
                    "best-effort" => Strictness::BestEffort,
                    "strict" => Strictness::Strict,
                    other => {
                        return Err(UsageError(format!(
                            "unknown sandbox mode {other} (best-effort or strict)"
                        )))
                    }
                }
            }
            "timeout" => {
                let secs = parse_python_int(&value).filter(|s| *s > 0).ok_or_else(|| {
                    UsageError(format!(
                        "timeout must be a number of seconds, not {value:?}"
                    ))
                })?;
                o.budgets.timeout = Duration::from_secs(secs);
            }
            "limit" => {
                let (name, n) = value.split_once('=').ok_or_else(|| {
                    UsageError(format!("--limit takes NAME=VALUE, not {value:?}"))
                })?;
                let n = parse_size(n)?;
                o.limits.set(name, n).map_err(|e| {
                    let names: Vec<&str> =
                        xlboot_boot::limits::NAMES.iter().map(|(n, _)| *n).collect();
                    UsageError(format!(
                        "--limit={value}: {e} (limits: {})",
                        names.join(", ")
                    ))
                })?;
            }
            "max-kernel-size" => o.budgets.max_kernel = parse_size(&value)?,
            "max-initrd-size" => o.budgets.max_initrd = parse_size(&value)?,
            _ => return Err(UsageError(format!("option --{name} not recognized"))),
        }
    }
    // Extra operands are ignored, as pygrub ignores them.
    let image = operands
        .into_iter()
        .next()
        .ok_or_else(|| UsageError("no disk image given".to_string()))?;
    o.image = PathBuf::from(image);
    if o.interactive && o.runas.is_some() {
        return Err(UsageError(
            "In order to use --runas, you must also set --entry or -q".to_string(),
        ));
    }
    Ok(Command::Run(Box::new(o)))
}

/// A size in bytes, with an optional `K`, `M` or `G` suffix (powers of 1024).
fn parse_size(value: &str) -> Result<u64, UsageError> {
    let (digits, shift) = match value.strip_suffix(['K', 'k']) {
        Some(d) => (d, 10),
        None => match value.strip_suffix(['M', 'm']) {
            Some(d) => (d, 20),
            None => match value.strip_suffix(['G', 'g']) {
                Some(d) => (d, 30),
                None => (value, 0),
            },
        },
    };
    parse_python_int(digits)
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| UsageError(format!("{value:?} is not a size in bytes (e.g. 512M)")))
}

/// Python's `int()` on a decimal string: surrounding whitespace, an optional sign and
/// `_` between digits are allowed. Negative values are refused here (no option takes
/// one).
fn parse_python_int(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    if !t.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// The usage line, as pygrub prints it, with xlboot's additions.
pub fn usage(argv0: &str) -> String {
    format!(
        "Usage: {argv0} [-q|--quiet] [-i|--interactive] [-l|--list-entries] [-n|--not-really] \
         [--output=] [--kernel=] [--ramdisk=] [--args=] [--entry=] [--output-directory=] \
         [--output-format=sxp|simple|simple0] [--runas=] [--offset=] [--disk=] [--format=raw|qcow2|vhd] [--backing-dir=] [--isconfig] [--debug] \
         [--sandbox=best-effort|strict] [--timeout=] [--max-kernel-size=] [--max-initrd-size=] [--limit=NAME=VALUE] [--update-grubenv] \
         [--version] <image>"
    )
}

/// The help text.
pub fn help(argv0: &str) -> String {
    format!(
        "{usage}

Boots a Xen PV or PVH guest from the kernel on its own disk: finds the guest's boot
loader config, picks the entry the guest's boot loader would boot, copies its kernel
and initrd into the output directory and writes the reply libxl reads. A drop-in for
pygrub: use bootloader = \"xlboot\" in xl.cfg.

Options:
  -q, --quiet              do not show the menu; boot the default (or --entry)
  -i, --interactive        show the menu (the default; not implemented yet: the
                           default entry is booted at once)
  -l, --list-entries       list the entries, in pygrub's format, and exit
  -n, --not-really         choose and check the entry, but copy nothing out
      --entry=E            boot entry E: an index in the -l list, a title, a
                           menuentry id, or a GRUB path such as 1>2 or
                           'Advanced options for Debian GNU/Linux>...'
      --kernel=PATH        boot this kernel (a path in the guest); the config is
                           not read
      --ramdisk=PATH       the initrd to use with --kernel
      --args=ARGS          the command line with --kernel, else appended to the
                           entry's
      --output=FILE        write the reply into FILE, which must exist (it is not
                           created or truncated); - is stdout (the default)
      --output-format=F    sxp (default), simple or simple0 (what libxl uses)
      --output-directory=D where the kernel and initrd copies go (must exist;
                           default /var/run/xen/xlboot, created if missing)
      --offset=BYTES       read the one filesystem at this byte offset
      --disk=PATH          a further disk of the guest (hd1, hd2, ... in order),
                           for LVM volume groups and md arrays spanning disks;
                           libxl passes only the first disk, so give the others
                           in xl.cfg: bootloader_args = [\"--disk=PATH\"]
      --format=F           the image's format, as in xl.cfg's disk spec: raw or
                           qcow2; without it a file starting with the qcow2 magic
                           is read as qcow2 (its backing files are then refused)
      --backing-dir=DIR    a directory besides the image's own where qcow2
                           backing files may be (repeatable)
      --isconfig           IMAGE is a config on this host (GRUB 2, syslinux by
                           name, systemd-boot loader.conf, a BLS entries
                           directory): print the entry it boots
      --runas=UID          parse the disk as this user (libxl's restricted mode);
                           without it xlboot parses as the xlboot system user, or
                           65534 when there is none
      --sandbox=MODE       best-effort (default): apply every sandbox layer the
                           host offers; strict: fail if any is missing
      --timeout=SECONDS    give up reading the guest after this long (default 90)
      --max-kernel-size=N  largest kernel copied out (default 256M)
      --max-initrd-size=N  largest initrd, all files together (default 1G)
      --limit=NAME=VALUE   change another budget: symlink-hops, path-length,
                           path-depth, link-length, config-size, config-depth,
                           config-loop-iterations, config-commands,
                           config-call-depth, config-source-depth,
                           config-entries, config-work-bytes (SECURITY.md)
      --update-grubenv     write the guest's grubenv back as GRUB's save_env does
                           when it boots: clears next_entry after grub-reboot,
                           keeps savedefault/recordfail state. Only a plain
                           1024-byte block in one run of an ext2/3/4 file on a
                           raw image or block device, compared before writing;
                           when it cannot be written the guest still boots and
                           one warning goes to stderr. Default: read-only
      --debug              explain each decision on stderr
  -h, --help               this text
      --version            xlboot's version",
        usage = usage(argv0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from).collect())
    }

    fn opts(args: &[&str]) -> Options {
        match run(args) {
            Ok(Command::Run(o)) => *o,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn libxl_command_line() {
        let o = opts(&[
            "--kernel=/boot/vmlinuz",
            "--args=root=/dev/xvda1 ro",
            "--output=/tmp/out",
            "--output-format=simple0",
            "--output-directory=/tmp",
            "/dev/vdb",
        ]);
        assert_eq!(o.kernel.as_deref(), Some("/boot/vmlinuz"));
        assert_eq!(o.args, "root=/dev/xvda1 ro");
        assert_eq!(o.output, Some(PathBuf::from("/tmp/out")));
        assert_eq!(o.format, Format::Simple0);
        assert_eq!(o.output_directory, Some(PathBuf::from("/tmp")));
        assert_eq!(o.image, PathBuf::from("/dev/vdb"));
        assert!(o.interactive);
    }

    #[test]
    fn permutation_prefixes_and_separate_values() {
        let o = opts(&[
            "disk.img",
            "-q",
            "--ent",
            "1>2",
            "--output-form=simple",
            "--output=-",
        ]);
        assert_eq!(o.image, PathBuf::from("disk.img"));
        assert!(!o.interactive);
        assert_eq!(o.entry.as_deref(), Some("1>2"));
        assert_eq!(o.format, Format::Simple);
        assert_eq!(o.output, None);
    }

    #[test]
    fn ambiguous_prefix_is_refused() {
        let e = run(&["--outp=x", "disk"]).unwrap_err();
        assert!(e.0.contains("not a unique prefix"), "{e:?}");
    }

    #[test]
    fn flag_with_value_is_refused() {
        assert!(run(&["--isconfig=1", "disk"]).is_err());
        assert!(run(&["--quiet=yes", "disk"]).is_err());
    }

    #[test]
    fn values_may_start_with_a_dash() {
        let o = opts(&["--args", "-s", "disk"]);
        assert_eq!(o.args, "-s");
        let o = opts(&["--args=-s", "disk"]);
        assert_eq!(o.args, "-s");
    }

    #[test]
    fn clustered_shorts_and_double_dash() {
        let o = opts(&["-qln", "--", "-weird-name"]);
        assert!(!o.interactive && o.list_entries && o.not_really);
        assert_eq!(o.image, PathBuf::from("-weird-name"));
    }

    #[test]
    fn later_options_override_earlier_ones() {
        let o = opts(&[
            "--entry=2",
            "-i",
            "--output-format=sxp",
            "--output-format=simple0",
            "d",
        ]);
        assert!(o.interactive);
        assert_eq!(o.format, Format::Simple0);
    }

    #[test]
    fn runas_needs_quiet_or_entry() {
        assert!(run(&["--runas=1000", "disk"]).is_err());
        assert_eq!(opts(&["--runas=1000", "-q", "disk"]).runas, Some(1000));
        assert_eq!(opts(&["--runas=0", "disk"]).runas, None);
        assert!(run(&["--runas=nobody", "-q", "disk"]).is_err());
    }

    #[test]
    fn offsets_are_python_ints() {
        assert_eq!(opts(&["--offset= 1048576", "d"]).offset, Some(1_048_576));
        assert_eq!(opts(&["--offset=+1_048_576", "d"]).offset, Some(1_048_576));
        assert!(run(&["--offset=0x100000", "d"]).is_err());
        assert!(run(&["--offset=-1", "d"]).is_err());
    }

    #[test]
    fn errors() {
        assert!(run(&[]).is_err());
        assert!(run(&["--output-format=json", "d"]).is_err());
        assert!(run(&["--output-directory=/nonexistent/dir", "d"]).is_err());
        assert!(run(&["-x", "d"]).is_err());
        assert!(run(&["--default_args=foo", "d"]).is_err());
        assert!(run(&["d", "--entry"]).is_err());
        assert_eq!(run(&["--help"]), Ok(Command::Help));
        assert_eq!(run(&["-h"]), Ok(Command::Help));
        assert_eq!(run(&["--vers"]), Ok(Command::Version));
    }

    #[test]
    fn update_grubenv_is_off_unless_asked() {
        assert!(!opts(&["d"]).update_grubenv);
        assert!(opts(&["--update-grubenv", "-q", "d"]).update_grubenv);
        assert!(opts(&["d", "--update"]).update_grubenv);
        assert!(run(&["--update-grubenv=1", "d"]).is_err());
    }
}

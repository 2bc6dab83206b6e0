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
//!
//! Every option is one entry of [`OPTIONS`] (name, short letter, value, help text,
//! section, action): the parser, `--help`, the man page and the shell completions
//! (`cli_docs`) are all made from that table, so they cannot disagree.

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
    /// How long the interactive menu may be shown in all (`--menu-timeout`).
    pub menu_timeout: Duration,
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
            menu_timeout: crate::menu::DEFAULT_MENU_TIMEOUT,
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
    /// `--menu-wait=SECONDS|forever`: what the menu makes of a config's "wait for
    /// ever".
    pub menu_wait: crate::menu::ForeverWait,
    /// `--guest-type`: how the toolstack will boot the guest; the chosen kernel is
    /// checked against it before it is handed over.
    pub guest_type: Option<GuestType>,
    /// `--require-guest-type`: a kernel that cannot boot as `--guest-type` is an
    /// error instead of a warning.
    pub require_guest_type: bool,
    /// `--uncompressed-kernel`: hand libxl the ELF kernel inside the image instead of
    /// the image itself.
    pub uncompressed_kernel: bool,
    /// `inspect --json`: the report for programs instead of people.
    pub json: bool,
}

/// How the toolstack boots the guest (`--guest-type`, xl.cfg's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestType {
    /// A paravirtualised guest: libxenguest loads the kernel as PV.
    Pv,
    /// A PVH guest: the kernel needs a PVH entry point.
    Pvh,
}

impl GuestType {
    /// The name as messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            GuestType::Pv => "PV",
            GuestType::Pvh => "PVH",
        }
    }
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
    /// Print a generated document (`--generate`).
    Generate(Generated),
    /// `xlboot inspect IMAGE`: report what the disk holds and print it.
    Inspect(Box<Options>),
}

/// What `--generate` prints, made from [`OPTIONS`] by `cli_docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    /// The man page `xlboot(1)`, in roff.
    Man,
    /// A bash completion script.
    Bash,
    /// A zsh completion function (`_xlboot`).
    Zsh,
    /// fish completions.
    Fish,
}

/// A command line pygrub would also refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// Most further disks (`--disk=`) taken.
pub const MAX_DISKS: usize = 16;

/// Where an option is listed in `--help` and the man page, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Which entry, kernel and command line boot.
    Boot,
    /// The reply to the toolstack and the copies of kernel and initrd.
    Output,
    /// Which disks and filesystems are read, and how.
    Disks,
    /// The sandbox and the budgets that bound a hostile guest.
    Limits,
    /// Debugging output and information about xlboot itself.
    Info,
    /// `xlboot inspect`'s own options.
    Inspect,
}

impl Section {
    /// Every section, in the order they are shown.
    pub const ALL: [Section; 6] = [
        Section::Boot,
        Section::Output,
        Section::Disks,
        Section::Limits,
        Section::Info,
        Section::Inspect,
    ];

    /// The heading shown above the section's options.
    pub fn title(self) -> &'static str {
        match self {
            Section::Boot => "Choosing what boots",
            Section::Output => "The reply and the copies",
            Section::Disks => "The guest's disks",
            Section::Limits => "Sandbox and budgets",
            Section::Info => "Diagnostics and information",
            Section::Inspect => "xlboot inspect [OPTION]... IMAGE",
        }
    }
}

/// What follows an option: nothing, or a value of some kind. The kind only matters to
/// the shell completions and the usage text; the parser hands every value to the
/// option's action as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A flag: `--opt=x` is refused.
    None,
    /// Free text, shown as the given name (`--entry=E`).
    Text(&'static str),
    /// A file (completed as a file name).
    File(&'static str),
    /// A directory (completed as a directory name).
    Dir(&'static str),
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// What an option does once getopt has found it.
#[derive(Clone, Copy)]
pub enum Action {
    /// Changes the options being built; the value is `""` for a flag.
    Set(fn(&mut Options, String) -> Result<(), UsageError>),
    /// Ends parsing at once with this command (`--help`, `--version`), as pygrub
    /// acts on `--help` when getopt returns it, before looking at later options.
    Finish(fn(String) -> Result<Command, UsageError>),
}

/// One option: the single definition the parser, `--help`, the man page and the
/// shell completions are all made from. To add an option, add one entry to
/// [`OPTIONS`]; nothing else needs to know about it.
#[derive(Clone, Copy)]
pub struct OptSpec {
    /// The long name, without `--`.
    pub long: &'static str,
    /// The short letter, if any (only pygrub's own options have one).
    pub short: Option<char>,
    /// What follows the option.
    pub value: Value,
    /// What it does: the first sentence is the summary the completions show, the
    /// whole text is what `--help` and the man page print.
    pub help: &'static str,
    /// Where `--help` and the man page list it.
    pub section: Section,
    /// Left out of `--help`, the man page and the completions, and matched only by its
    /// whole name (never by a prefix, so that it can never make a documented option's
    /// prefix ambiguous).
    pub hidden: bool,
    /// What it does.
    pub action: Action,
}

/// Every option xlboot takes: pygrub's (with its short letters), then xlboot's own.
/// The order within a section is the order `--help` shows.
pub static OPTIONS: &[OptSpec] = &[
    OptSpec {
        long: "quiet",
        short: Some('q'),
        value: Value::None,
        help: "Do not show the menu: boot the default entry (or --entry).",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.interactive = false;
            Ok(())
        }),
    },
    OptSpec {
        long: "interactive",
        short: Some('i'),
        value: Value::None,
        help: "Show the boot menu (pygrub's default) when stdin and stdout (or stderr) \
               are a terminal, as libxl's pty is; otherwise the default entry boots.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.interactive = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "menu-wait",
        short: None,
        value: Value::Text("SECONDS|forever"),
        help: "When the config says to wait for ever (GRUB timeout=-1 or unset, syslinux \
               TIMEOUT 0, systemd-boot menu-force), the menu boots the default after this \
               many seconds (default 30), so that xl create does not hang with nobody on \
               the console; forever waits as the config says.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.menu_wait = if v == "forever" {
                crate::menu::ForeverWait::Forever
            } else {
                let secs = parse_python_int(&v).ok_or_else(|| {
                    UsageError(format!(
                        "menu-wait must be a number of seconds or forever, not {v:?}"
                    ))
                })?;
                crate::menu::ForeverWait::Cap(Duration::from_secs(secs))
            };
            Ok(())
        }),
    },
    OptSpec {
        long: "menu-timeout",
        short: None,
        value: Value::Text("SECONDS"),
        help: "The longest the menu is shown, whatever is done in it (default 120, \
               libxl's bootloader timeout); then the default boots. A menu in use keeps \
               the --timeout of reading the disk from running out, up to this.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            let secs = parse_python_int(&v).filter(|s| *s > 0).ok_or_else(|| {
                UsageError(format!(
                    "menu-timeout must be a number of seconds, not {v:?}"
                ))
            })?;
            o.budgets.menu_timeout = Duration::from_secs(secs);
            Ok(())
        }),
    },
    OptSpec {
        long: "list-entries",
        short: Some('l'),
        value: Value::None,
        help: "List the entries in pygrub's format and exit. The entry the guest would \
               boot is marked \"default: yes\", a line \"default rule:\" says why, and a \
               last line \"configs found:\" names every boot config on the guest's volumes.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.list_entries = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "not-really",
        short: Some('n'),
        value: Value::None,
        help: "Choose and check the entry, but copy nothing out; the reply names the \
               files in the guest.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.not_really = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "entry",
        short: None,
        value: Value::Text("E"),
        help: "Boot entry E instead of the default: an index in the -l list (submenus \
               flattened, as pygrub counts), a title, a menuentry id, or a GRUB path such \
               as 1>2 or 'Advanced options for Debian GNU/Linux>...'. An E that matches \
               nothing is an error.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.entry = Some(v);
            o.interactive = false;
            Ok(())
        }),
    },
    OptSpec {
        long: "kernel",
        short: None,
        value: Value::Text("PATH"),
        help: "Boot this kernel (a path in the guest) from the first volume with a \
               filesystem; the boot config is not read.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.kernel = Some(v);
            Ok(())
        }),
    },
    OptSpec {
        long: "ramdisk",
        short: None,
        value: Value::Text("PATH"),
        help: "The initrd (a path in the guest) to boot with --kernel.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.ramdisk = Some(v);
            Ok(())
        }),
    },
    OptSpec {
        long: "args",
        short: None,
        value: Value::Text("ARGS"),
        help: "With --kernel, the whole kernel command line; otherwise appended to the \
               entry's after a space (pygrub's rule).",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.args = v;
            Ok(())
        }),
    },
    OptSpec {
        long: "isconfig",
        short: None,
        value: Value::None,
        help: "IMAGE is a boot config on this host, not a disk: a GRUB 2 config, a GRUB \
               legacy menu.lst or grub.conf, a lilo.conf, a syslinux config (by its \
               name), a systemd-boot loader.conf or a directory of BLS entries. Print the \
               entry it boots.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.isconfig = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "update-grubenv",
        short: None,
        value: Value::None,
        help: "Write the guest's grubenv back as GRUB's save_env does when it boots the \
               chosen entry: clears next_entry after grub-reboot, keeps savedefault and \
               recordfail state. Only a plain 1024-byte block in one run of an ext2/3/4 \
               file on a raw image or block device, compared before writing; when it \
               cannot be written the guest still boots and one warning goes to stderr. \
               Without it the disk is opened read-only.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.update_grubenv = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "guest-type",
        short: None,
        value: Value::Choice(&["pv", "pvh"]),
        help: "How the toolstack will boot the guest, as xl.cfg's type (pass it in \
               bootloader_args). After choosing the entry, check that its kernel can \
               boot that way (its Xen ELF notes, read with libelf's rules), and when it \
               cannot print one warning line on stderr and boot it anyway. -n checks too.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, v| {
            o.guest_type = Some(match v.as_str() {
                "pv" => GuestType::Pv,
                "pvh" => GuestType::Pvh,
                other => {
                    return Err(UsageError(format!(
                        "unknown guest type {other} (pv or pvh)"
                    )))
                }
            });
            Ok(())
        }),
    },
    OptSpec {
        long: "require-guest-type",
        short: None,
        value: Value::None,
        help: "With --guest-type: a kernel that cannot boot that way (or cannot be read \
               as a kernel) is an error, one line and exit 1, instead of a warning.",
        section: Section::Boot,
        hidden: false,
        action: Action::Set(|o, _| {
            o.require_guest_type = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "output",
        short: None,
        value: Value::File("FILE"),
        help: "Write the reply into FILE, which must exist: it is neither created nor \
               truncated (libxl creates it). - or none: stdout.",
        section: Section::Output,
        hidden: false,
        action: Action::Set(|o, v| {
            o.output = (v != "-").then(|| PathBuf::from(v));
            Ok(())
        }),
    },
    OptSpec {
        long: "output-format",
        short: None,
        value: Value::Choice(&["sxp", "simple", "simple0"]),
        help: "The reply's format: sxp (the default, values quoted as Python's repr()), \
               simple, or simple0 (what libxl asks for). simple and simple0 refuse a \
               value containing their delimiter.",
        section: Section::Output,
        hidden: false,
        action: Action::Set(|o, v| {
            o.format = match v.as_str() {
                "sxp" => Format::Sxp,
                "simple" => Format::Simple,
                "simple0" => Format::Simple0,
                other => {
                    return Err(UsageError(format!(
                        "unknown output format {other} (sxp, simple or simple0)"
                    )))
                }
            };
            Ok(())
        }),
    },
    OptSpec {
        long: "output-directory",
        short: None,
        value: Value::Dir("DIR"),
        help: "Where the kernel and initrd copies go, as boot_kernel.XXXXXXXX and \
               boot_ramdisk.XXXXXXXX (created exclusively, mode 0600). It must exist; \
               the default, /var/run/xen/xlboot, is created if missing.",
        section: Section::Output,
        hidden: false,
        action: Action::Set(|o, v| {
            if !std::path::Path::new(&v).is_dir() {
                return Err(UsageError(format!("{v} is not an existing directory")));
            }
            o.output_directory = Some(PathBuf::from(v));
            Ok(())
        }),
    },
    OptSpec {
        long: "uncompressed-kernel",
        short: None,
        value: Value::None,
        help: "Hand libxl the ELF kernel inside the image (a bzImage's payload, or a \
               compressed vmlinux, decompressed) instead of the image, for toolstacks \
               without its compressor. Same boot_kernel.XXXXXXXX file and cleanup; the \
               ELF is bounded by --max-kernel-size, and a larger one refused.",
        section: Section::Output,
        hidden: false,
        action: Action::Set(|o, _| {
            o.uncompressed_kernel = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "offset",
        short: None,
        value: Value::Text("BYTES"),
        help: "Read only the filesystem at this byte offset (decimal) instead of looking \
               for partitions.",
        section: Section::Disks,
        hidden: false,
        action: Action::Set(|o, v| {
            o.offset = Some(parse_python_int(&v).ok_or_else(|| {
                UsageError(format!(
                    "offset value must be an integer (bytes), not {v:?}"
                ))
            })?);
            Ok(())
        }),
    },
    OptSpec {
        long: "disk",
        short: None,
        value: Value::File("PATH"),
        help: "A further disk of the guest, GRUB's hd1, hd2, ... in the order given (at \
               most 16), for LVM volume groups, md arrays and btrfs filesystems spanning \
               disks. libxl hands a boot loader only the first disk, so give the others \
               in xl.cfg: bootloader_args = [\"--disk=/dev/vg/guest-disk2\"].",
        section: Section::Disks,
        hidden: false,
        action: Action::Set(|o, v| {
            if o.disks.len() >= MAX_DISKS {
                return Err(UsageError(format!("at most {MAX_DISKS} --disk options")));
            }
            o.disks.push(PathBuf::from(v));
            Ok(())
        }),
    },
    OptSpec {
        long: "format",
        short: None,
        value: Value::Choice(&["raw", "qcow2", "vhd"]),
        help: "The image's format, as in xl.cfg's disk spec. Without it a file starting \
               with the qcow2 magic is read as qcow2 (its backing files then refused) and \
               a dynamic VHD as VHD, anything else as raw; a fixed VHD needs --format=vhd.",
        section: Section::Disks,
        hidden: false,
        action: Action::Set(|o, v| {
            o.format_in = Some(v.parse().map_err(UsageError)?);
            Ok(())
        }),
    },
    OptSpec {
        long: "backing-dir",
        short: None,
        value: Value::Dir("DIR"),
        help: "A directory besides the image's own where qcow2 backing files may be \
               (repeatable).",
        section: Section::Disks,
        hidden: false,
        action: Action::Set(|o, v| {
            if o.backing_dirs.len() >= MAX_DISKS {
                return Err(UsageError(format!(
                    "at most {MAX_DISKS} --backing-dir options"
                )));
            }
            o.backing_dirs.push(PathBuf::from(v));
            Ok(())
        }),
    },
    OptSpec {
        long: "runas",
        short: None,
        value: Value::Text("UID"),
        help: "The uid the sandboxed parser runs as (libxl's restricted mode); needs -q \
               or --entry, as in pygrub. Without it the parser runs as the xlboot system \
               user, or 65534 when there is none.",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            let uid = parse_python_int(&v).ok_or_else(|| {
                UsageError(format!("runas value must be an integer user id, not {v:?}"))
            })?;
            let uid = u32::try_from(uid)
                .map_err(|_| UsageError(format!("runas value {v} is not a valid user id")))?;
            // pygrub treats uid 0 as "not set".
            o.runas = (uid != 0).then_some(uid);
            Ok(())
        }),
    },
    OptSpec {
        long: "sandbox",
        short: None,
        value: Value::Choice(&["best-effort", "strict"]),
        help: "best-effort (the default) applies every sandbox layer the host offers and \
               notes missing ones under --debug; strict fails instead.",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            o.sandbox = match v.as_str() {
                "best-effort" => Strictness::BestEffort,
                "strict" => Strictness::Strict,
                other => {
                    return Err(UsageError(format!(
                        "unknown sandbox mode {other} (best-effort or strict)"
                    )))
                }
            };
            Ok(())
        }),
    },
    OptSpec {
        long: "timeout",
        short: None,
        value: Value::Text("SECONDS"),
        help: "Give up reading the guest after this long (default 90).",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            let secs = parse_python_int(&v).filter(|s| *s > 0).ok_or_else(|| {
                UsageError(format!("timeout must be a number of seconds, not {v:?}"))
            })?;
            o.budgets.timeout = Duration::from_secs(secs);
            Ok(())
        }),
    },
    OptSpec {
        long: "max-kernel-size",
        short: None,
        value: Value::Text("SIZE"),
        help: "The largest kernel copied out, in bytes or with a K, M or G suffix \
               (default 256M).",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            o.budgets.max_kernel = parse_size(&v)?;
            Ok(())
        }),
    },
    OptSpec {
        long: "max-initrd-size",
        short: None,
        value: Value::Text("SIZE"),
        help: "The largest initrd, all files of the entry together (default 1G).",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            o.budgets.max_initrd = parse_size(&v)?;
            Ok(())
        }),
    },
    OptSpec {
        long: "limit",
        short: None,
        value: Value::Text("NAME=VALUE"),
        help: "Change another budget: symlink-hops, path-length, path-depth, \
               link-length, config-size, config-depth, config-loop-iterations, \
               config-commands, config-call-depth, config-source-depth, config-entries, \
               config-work-bytes (see SECURITY.md).",
        section: Section::Limits,
        hidden: false,
        action: Action::Set(|o, v| {
            let (name, n) = v
                .split_once('=')
                .ok_or_else(|| UsageError(format!("--limit takes NAME=VALUE, not {v:?}")))?;
            let n = parse_size(n)?;
            o.limits.set(name, n).map_err(|e| {
                let names: Vec<&str> = xlboot_boot::limits::NAMES.iter().map(|(n, _)| *n).collect();
                UsageError(format!("--limit={v}: {e} (limits: {})", names.join(", ")))
            })
        }),
    },
    OptSpec {
        long: "debug",
        short: None,
        value: Value::None,
        help: "Explain each decision on stderr, one line each (libxl keeps them in \
               /var/log/xen/bootloader.N.log), including what the chosen kernel is: \
               container, compressor, version, Xen notes, PV/PVH capability.",
        section: Section::Info,
        hidden: false,
        action: Action::Set(|o, _| {
            o.debug = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "help",
        short: Some('h'),
        value: Value::None,
        help: "Print this help and exit.",
        section: Section::Info,
        hidden: false,
        action: Action::Finish(|_| Ok(Command::Help)),
    },
    OptSpec {
        long: "version",
        short: None,
        value: Value::None,
        help: "Print xlboot's version and the commit it was built from, and exit.",
        section: Section::Info,
        hidden: false,
        action: Action::Finish(|_| Ok(Command::Version)),
    },
    OptSpec {
        long: "json",
        short: None,
        value: Value::None,
        help: "Print the report as JSON for programs (layout and schema version in \
               docs/inspect-json.md). xlboot inspect reports what the disk holds instead \
               of booting it: image format, partition tables, volumes (filesystem, label, \
               UUID), the configs found and the one used, the whole menu with its default \
               and the rule that chose it, each entry's kernel (size, sha256, format, \
               compressor, version, PV/PVH capability) and initrds, and the problems \
               found. It takes the disk, sandbox and budget options above. Exit status 0 \
               when the default entry's kernel and initrds were read, else 1, after the \
               report.",
        section: Section::Inspect,
        hidden: false,
        action: Action::Set(|o, _| {
            o.json = true;
            Ok(())
        }),
    },
    OptSpec {
        long: "generate",
        short: None,
        value: Value::Choice(&["man", "bash", "zsh", "fish"]),
        help: "Print the man page or a shell's completion script, made from these \
               option definitions, and exit (used to build the package).",
        section: Section::Info,
        hidden: true,
        action: Action::Finish(|v| {
            Ok(Command::Generate(match v.as_str() {
                "man" => Generated::Man,
                "bash" => Generated::Bash,
                "zsh" => Generated::Zsh,
                "fish" => Generated::Fish,
                other => {
                    return Err(UsageError(format!(
                        "cannot generate {other} (man, bash, zsh or fish)"
                    )))
                }
            }))
        }),
    },
];

/// The options `xlboot inspect` takes: those that say how to read the disk and how
/// far to trust it, and `--json`. The others choose or hand over an entry, which
/// inspect never does.
pub const INSPECT_OPTIONS: &[&str] = &[
    "help",
    "version",
    "offset",
    "disk",
    "format",
    "backing-dir",
    "runas",
    "debug",
    "sandbox",
    "timeout",
    "max-kernel-size",
    "max-initrd-size",
    "limit",
    "json",
];

/// One option as getopt returns it: its definition and its value.
type RawOption = (&'static OptSpec, Option<String>);

/// Splits the arguments (without argv\[0\]) into options and operands exactly as
/// Python's `getopt.gnu_getopt(args, "qilnh::", LONG_OPTIONS)` does in pygrub, with
/// [`OPTIONS`] as the long and short options, except that `-h` takes no value (pygrub
/// requires one, which makes a bare `-h` an error): an option that ends parsing (help)
/// ends its cluster of short options instead.
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
            let spec = match_long(name)?;
            let takes_value = spec.value != Value::None;
            let value = match (takes_value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(rest.next().cloned().ok_or_else(|| {
                    UsageError(format!("option --{} requires argument", spec.long))
                })?),
                (false, Some(_)) => {
                    return Err(UsageError(format!(
                        "option --{} must not have an argument",
                        spec.long
                    )))
                }
                (false, None) => None,
            };
            opts.push((spec, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            let cluster = &arg[1..];
            for (at, c) in cluster.char_indices() {
                let spec = OPTIONS
                    .iter()
                    .find(|o| o.short == Some(c))
                    .ok_or_else(|| UsageError(format!("option -{c} not recognized")))?;
                if spec.value != Value::None {
                    // getopt: the rest of the cluster is the value, else the next word.
                    let tail = &cluster[at + c.len_utf8()..];
                    let value = if tail.is_empty() {
                        rest.next()
                            .cloned()
                            .ok_or_else(|| UsageError(format!("option -{c} requires argument")))?
                    } else {
                        tail.to_string()
                    };
                    opts.push((spec, Some(value)));
                    break;
                }
                opts.push((spec, None));
                // pygrub's "h::" makes -h swallow the rest; help ignores it anyway.
                if matches!(spec.action, Action::Finish(_)) {
                    break;
                }
            }
        } else {
            operands.push(arg.clone());
        }
    }
    Ok((opts, operands))
}

/// Python getopt's `long_has_args`: an exact name wins, else a unique prefix (of the
/// options that are not hidden).
fn match_long(name: &str) -> Result<&'static OptSpec, UsageError> {
    if let Some(exact) = OPTIONS.iter().find(|o| o.long == name) {
        return Ok(exact);
    }
    let candidates: Vec<&'static OptSpec> = OPTIONS
        .iter()
        .filter(|o| !o.hidden && o.long.starts_with(name))
        .collect();
    match candidates.as_slice() {
        [] => Err(UsageError(format!("option --{name} not recognized"))),
        [only] => Ok(only),
        _ => Err(UsageError(format!("option --{name} not a unique prefix"))),
    }
}

/// Parses the command line (without argv\[0\]).
///
/// `inspect` is a subcommand only as the very first argument: libxl and pygrub's
/// users put options first, so a disk image that happens to be named `inspect`
/// still boots as `xlboot -q inspect` (or `xlboot -- inspect`).
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let mut args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| UsageError(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<_, _>>()?;
    let inspect = args.first().is_some_and(|a| a == "inspect");
    if inspect {
        args.remove(0);
    }
    let (opts, operands) = gnu_getopt(&args)?;
    if inspect {
        if let Some((spec, _)) = opts
            .iter()
            .find(|(spec, _)| !INSPECT_OPTIONS.contains(&spec.long))
        {
            return Err(UsageError(format!(
                "option --{} does not apply to xlboot inspect",
                spec.long
            )));
        }
    } else if opts.iter().any(|(spec, _)| spec.long == "json") {
        return Err(UsageError(
            "option --json applies only to xlboot inspect".to_string(),
        ));
    }

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
        menu_wait: crate::menu::ForeverWait::default(),
        guest_type: None,
        require_guest_type: false,
        uncompressed_kernel: false,
        json: false,
    };
    for (spec, value) in opts {
        let value = value.unwrap_or_default();
        match spec.action {
            Action::Set(set) => set(&mut o, value)?,
            Action::Finish(finish) => return finish(value),
        }
    }
    // Extra operands are ignored, as pygrub ignores them.
    let image = operands
        .into_iter()
        .next()
        .ok_or_else(|| UsageError("no disk image given".to_string()))?;
    o.image = PathBuf::from(image);
    if inspect {
        // Nothing to choose: the menu is never shown.
        o.interactive = false;
        return Ok(Command::Inspect(Box::new(o)));
    }
    if o.require_guest_type && o.guest_type.is_none() {
        return Err(UsageError(
            "--require-guest-type needs --guest-type=pv or --guest-type=pvh".to_string(),
        ));
    }
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
    fn help_ends_a_cluster_and_generate_is_matched_whole() {
        assert_eq!(run(&["-qhx"]), Ok(Command::Help));
        assert!(run(&["-xh"]).is_err());
        assert_eq!(
            run(&["--generate=man"]),
            Ok(Command::Generate(Generated::Man))
        );
        assert_eq!(
            run(&["--generate", "fish"]),
            Ok(Command::Generate(Generated::Fish))
        );
        assert!(run(&["--gen=man"]).is_err());
        assert!(run(&["--generate=html"]).is_err());
    }

    #[test]
    fn inspect_is_a_subcommand_only_as_the_first_argument() {
        let Ok(Command::Inspect(o)) = run(&["inspect", "--json", "--disk=b", "a.img"]) else {
            panic!("not inspect")
        };
        assert!(o.json && !o.interactive);
        assert_eq!(o.image, PathBuf::from("a.img"));
        assert_eq!(o.disks, [PathBuf::from("b")]);
        // Elsewhere it is the image's name.
        assert_eq!(opts(&["-q", "inspect"]).image, PathBuf::from("inspect"));
        assert_eq!(opts(&["--", "inspect"]).image, PathBuf::from("inspect"));
        assert!(matches!(
            run(&["inspect", "inspect"]),
            Ok(Command::Inspect(o)) if o.image == std::path::Path::new("inspect")
        ));
        assert!(run(&["inspect", "-n", "a.img"]).is_err());
        assert!(run(&["inspect", "--guest-type=pv", "a.img"]).is_err());
        assert!(run(&["--json", "a.img"]).is_err());
        assert!(run(&["inspect"]).is_err());
    }

    #[test]
    fn guest_type_options() {
        let o = opts(&["--guest-type=pvh", "--require-guest-type", "-q", "d"]);
        assert_eq!(o.guest_type, Some(GuestType::Pvh));
        assert!(o.require_guest_type);
        assert_eq!(
            opts(&["--guest-type", "pv", "d"]).guest_type,
            Some(GuestType::Pv)
        );
        assert!(run(&["--guest-type=hvm", "d"]).is_err());
        assert!(run(&["--require-guest-type", "d"]).is_err());
        assert!(opts(&["--uncompressed-kernel", "d"]).uncompressed_kernel);
        assert!(!opts(&["d"]).uncompressed_kernel);
    }

    #[test]
    fn update_grubenv_is_off_unless_asked() {
        assert!(!opts(&["d"]).update_grubenv);
        assert!(opts(&["--update-grubenv", "-q", "d"]).update_grubenv);
        assert!(opts(&["d", "--update"]).update_grubenv);
        assert!(run(&["--update-grubenv=1", "d"]).is_err());
    }
}

//! `xlboot inspect IMAGE`: everything xlboot learns about a guest's disk, as a report
//! for people or (`--json`) for programs, instead of a boot.
//!
//! The split is the boot's: the privileged parent opens the disks and forks; the
//! sandboxed child reads the guest, gathers the [`Report`], renders it and sends the
//! text back; the parent checks that the text carries no control characters (the
//! child escapes guest text, and a child the disk took over must not be able to
//! write escape sequences to a terminal either) and prints it.
//!
//! One problem never stops the report: a volume without a filesystem, a config that
//! does not evaluate, an entry whose kernel is missing or is not a kernel, are each a
//! message in [`Report::problems`] and an `error` where they occurred. The run still
//! fails (exit 1, after the report) when the default entry's kernel or initrds could
//! not be read, so that a script never takes an incomplete answer for a good one.
//!
//! Every read is bounded as in a boot: the disk read budget, `--max-kernel-size` for
//! each kernel image and for what its payload decompresses to, `--max-initrd-size`
//! for each initrd (hashed as it streams, never held whole), and each distinct file
//! read once however many entries name it.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use xlboot_boot::config_search::ConfigKind;
use xlboot_boot::decide::FoundConfig;
use xlboot_boot::{Decider, Guest};
use xlboot_config::menu::{EntryPath, MAX_MENU_DEPTH};
use xlboot_config::{BootSpec, FilePath, Menu, MenuItem};
use xlboot_disk::{GptCopy, PartType, PartitionTable, Scheme};
use xlboot_fs::{FsError, FsInfo};
use xlboot_kernel::Kernel;

use crate::boot::Failure;
use crate::cli::Options;
use crate::copy;
use crate::diag::{self, Diag};
use crate::image::GuestDisk;
use crate::kernel_check;
use crate::outcome::Outcome;
use crate::sandbox::{self, Policy};

/// The version of the JSON report's layout (docs/inspect-json.md). Raised when a
/// field changes meaning or goes away; new fields may appear without a change.
pub const SCHEMA: u64 = 1;

/// What inspect found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The guest's disks: the image, then each `--disk`.
    pub disks: Vec<DiskReport>,
    /// Every volume xlboot looked at, in search order.
    pub volumes: Vec<VolumeReport>,
    /// Every boot config found, in search order.
    pub configs: Vec<ConfigReport>,
    /// The evaluated menu of the config used, if one was found and evaluated.
    pub menu: Option<MenuReport>,
    /// Everything that went wrong, one message each.
    pub problems: Vec<String>,
    /// Whether the default entry's kernel and initrds were read.
    pub complete: bool,
}

/// One disk of the guest.
#[derive(Debug, Clone)]
pub struct DiskReport {
    /// GRUB's name: `hd0`, `hd1`, ...
    pub name: String,
    /// The host path given.
    pub path: String,
    /// `raw`, `qcow2` or `vhd`.
    pub format: &'static str,
    /// Files the guest's view reads (a qcow2 image and its backing chain).
    pub files: usize,
    /// Size of the disk as the guest sees it.
    pub size: u64,
    /// Its partition table, or why it could not be read.
    pub table: Result<TableReport, String>,
}

/// A partition table.
#[derive(Debug, Clone)]
pub struct TableReport {
    /// `msdos`, `gpt`, or `none` (a filesystem on the whole disk).
    pub scheme: &'static str,
    /// The sector size the table was read with.
    pub sector_size: u32,
    /// For GPT: `primary` or `backup`, the copy used.
    pub gpt_copy: Option<&'static str>,
    /// The partitions, in table order.
    pub partitions: Vec<PartitionReport>,
    /// Broken or unsupported partitions.
    pub problems: Vec<String>,
}

/// One partition.
#[derive(Debug, Clone)]
pub struct PartitionReport {
    /// GRUB's name, `hd0,msdos1`.
    pub name: String,
    /// First byte on the disk.
    pub start: u64,
    /// Length in bytes.
    pub length: u64,
    /// The MBR type byte (`0x83`) or the GPT type GUID.
    pub part_type: String,
    /// The GPT partition name (empty for MBR).
    pub label: String,
    /// The MBR active flag or the GPT legacy BIOS bootable bit.
    pub bootable: bool,
    /// The GPT unique partition GUID.
    pub unique_guid: Option<String>,
}

/// A volume: a partition, the whole disk, an md array or an LVM logical volume.
#[derive(Debug, Clone)]
pub struct VolumeReport {
    /// GRUB's name (`hd0,msdos1`, `lvm/vg-root`, `md/0`).
    pub name: String,
    /// GRUB's other names for it (`lvmid/...`, `mduuid/...`).
    pub aliases: Vec<String>,
    /// Its first byte on the disk (0 for logical volumes).
    pub start: u64,
    /// Its filesystem, or why none was read.
    pub filesystem: Result<FsInfo, String>,
}

/// A boot config found on a volume.
#[derive(Debug, Clone)]
pub struct ConfigReport {
    /// Where.
    pub file: FilePath,
    /// Which boot loader's.
    pub kind: ConfigKind,
    /// Whether it is the one evaluated.
    pub used: bool,
}

/// The evaluated menu.
#[derive(Debug, Clone)]
pub struct MenuReport {
    /// The config it came from.
    pub config: FilePath,
    /// The default entry's path (`1>2`), if there is one.
    pub default: Option<String>,
    /// The rule that chose it, as the evaluator words it.
    pub default_rule: String,
    /// Seconds before the default boots; `None` waits for ever.
    pub timeout: Option<u64>,
    /// Top-level items.
    pub items: Vec<ItemReport>,
}

/// One menu item.
#[derive(Debug, Clone)]
pub enum ItemReport {
    /// A bootable (or not) entry.
    Entry(Box<EntryReport>),
    /// A submenu.
    Submenu {
        /// Its path (`1`).
        path: String,
        /// Its title.
        title: String,
        /// Its id, if any.
        id: Option<String>,
        /// Its items.
        items: Vec<ItemReport>,
    },
}

/// One entry.
#[derive(Debug, Clone)]
pub struct EntryReport {
    /// Its number in the flat list (`-l`, `--entry=N`).
    pub index: Option<usize>,
    /// Its path (`1>2`).
    pub path: String,
    /// Its title.
    pub title: String,
    /// Its id, if any.
    pub id: Option<String>,
    /// Whether the boot loader boots it by default.
    pub default: bool,
    /// What it boots, or why it cannot be booted.
    pub boot: Result<BootReport, String>,
}

/// What an entry boots.
#[derive(Debug, Clone)]
pub struct BootReport {
    /// The kernel.
    pub kernel: KernelReport,
    /// The initrds, in load order.
    pub initrds: Vec<FileReport>,
    /// The command line.
    pub args: String,
}

/// A boot file's size and hash, or why it could not be read.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Where it is.
    pub file: FilePath,
    /// Size and sha256.
    pub read: Result<FileFacts, String>,
}

/// Size and sha256 of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// Bytes.
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// A kernel file and what it is.
#[derive(Debug, Clone)]
pub struct KernelReport {
    /// The file.
    pub file: FileReport,
    /// What the image is, or why that could not be told (`None` when the file
    /// itself could not be read).
    pub kernel: Option<Result<Kernel, String>>,
}

impl KernelReport {
    fn is_ok(&self) -> bool {
        self.file.read.is_ok() && matches!(self.kernel, Some(Ok(_)))
    }
}

/// `xlboot inspect`: opens the disks, has the sandboxed child gather and render the
/// report, prints it.
pub fn run(opts: &Options) -> Result<(), Failure> {
    let diag = Diag::new(opts.debug);
    let (disk, extra) = crate::boot::open_disks(opts)?;
    let (uid, gid) = Policy::user(opts.runas);
    let policy = Policy {
        uid,
        gid,
        // The child writes no file.
        max_file_size: 0,
        max_memory: sandbox::DEFAULT_MAX_MEMORY,
        timeout: opts.budgets.timeout,
        // No menu: no heartbeat.
        menu_time: std::time::Duration::ZERO,
        strictness: opts.sandbox,
        empty_root: sandbox::EMPTY_ROOT.into(),
    };
    let mut keep: Vec<_> = disk.fds().collect();
    keep.extend(extra.iter().flat_map(GuestDisk::fds));
    let message = sandbox::run_confined(&policy, &keep, None, &diag, || {
        let mut all = vec![&disk];
        all.extend(&extra);
        let report = gather(&all, opts, &diag);
        let text = if opts.json {
            crate::inspect_json::render(&report)
        } else {
            crate::inspect_text::render(&report)
        };
        Ok(Outcome::Report {
            complete: report.complete,
            text,
        }
        .encode())
    })
    .map_err(|f| match f {
        sandbox::ChildFailure::Reported => Failure::Reported,
        sandbox::ChildFailure::Other(m) => Failure::Message(m),
    })?;
    let Some(Outcome::Report { complete, text }) = Outcome::decode(&message) else {
        return Err(Failure::Message(
            "the sandboxed child sent a malformed answer".into(),
        ));
    };
    if text
        .chars()
        .any(|c| c != '\n' && (c < ' ' || ('\u{7f}'..'\u{a0}').contains(&c)))
    {
        return Err(Failure::Message(
            "the sandboxed child sent a report with control characters".into(),
        ));
    }
    print!("{text}");
    if complete {
        Ok(())
    } else {
        Err(Failure::Message(
            "inspect: the default entry's kernel and initrds could not all be read (see the problems above)"
                .into(),
        ))
    }
}

/// The child's work: everything there is to say about the guest. Never fails: what
/// cannot be read is a problem in the report.
pub fn gather(disks: &[&GuestDisk], opts: &Options, diag: &Diag) -> Report {
    let mut report = Report {
        disks: Vec::new(),
        volumes: Vec::new(),
        configs: Vec::new(),
        menu: None,
        problems: Vec::new(),
        complete: false,
    };
    let paths = std::iter::once(&opts.image).chain(&opts.disks);
    for (i, (disk, path)) in disks.iter().zip(paths).enumerate() {
        let table = xlboot_disk::scan(disk.view())
            .map(|t| table_report(&t))
            .map_err(|e| e.to_string());
        match &table {
            Ok(t) => report
                .problems
                .extend(t.problems.iter().map(|p| format!("hd{i}: {p}"))),
            Err(e) => report.problems.push(format!("hd{i}: partition table: {e}")),
        }
        report.disks.push(DiskReport {
            name: format!("hd{i}"),
            path: path.display().to_string(),
            format: disk.format().name(),
            files: disk.file_count(),
            size: disk.view().size(),
            table,
        });
    }
    let views: Vec<&dyn xlboot_disk::BlockDevice> = disks.iter().map(|d| d.view()).collect();
    let mut guest = match Guest::open_disks(&views, opts.offset) {
        Ok(g) => g,
        Err(e) => {
            report.problems.push(e.to_string());
            return report;
        }
    };
    guest.set_path_limits(opts.limits.path);
    report.problems.extend(guest.problems.iter().cloned());
    for v in &guest.volumes {
        let filesystem = match &v.fs {
            Ok(fs) => Ok(fs.info()),
            Err(e) => {
                // "No filesystem" on a swap partition is a fact, not a problem.
                if !matches!(e, FsError::Unsupported(_)) {
                    report.problems.push(format!("({}): {e}", v.name));
                }
                Err(e.to_string())
            }
        };
        report.volumes.push(VolumeReport {
            name: v.name.clone(),
            aliases: v.aliases.clone(),
            start: v.start,
            filesystem,
        });
    }
    let mut decider = Decider::new(&guest);
    decider.config_limits = opts.limits.config.clone();
    let found = decider.find_config();
    let used = found.as_ref().ok().cloned();
    report.configs = decider
        .found
        .iter()
        .map(|f: &FoundConfig| ConfigReport {
            file: f.file.clone(),
            kind: f.kind,
            used: used.as_ref() == Some(f),
        })
        .collect();
    let menu = found.and_then(|f| decider.evaluate(&f).map(|m| (f, m)));
    for note in &decider.notes {
        diag.debug(format_args!("{}", diag::sanitize(note)));
    }
    let (config, menu) = match menu {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(e.to_string());
            return report;
        }
    };
    let mut files = FileCache::new(&guest, opts);
    let index: BTreeMap<EntryPath, usize> = menu
        .flatten()
        .into_iter()
        .enumerate()
        .map(|(i, e)| (e.path, i))
        .collect();
    let items = items_report(
        &menu.items,
        &[],
        &menu,
        &index,
        &mut files,
        &mut report.problems,
    );
    report.complete = menu.default.as_ref().is_some_and(|d| {
        entry_at(&items, d).is_some_and(|e| {
            e.boot
                .as_ref()
                .is_ok_and(|b| b.kernel.is_ok() && b.initrds.iter().all(|i| i.read.is_ok()))
        })
    });
    if menu.default.is_none() {
        report
            .problems
            .push("the menu has no default entry to boot".into());
    }
    report.menu = Some(MenuReport {
        config: config.file,
        default: menu.default.as_deref().map(path_string),
        default_rule: menu.default_rule.clone(),
        timeout: menu.timeout,
        items,
    });
    report
}

/// `1>2` for the path `[1, 2]`.
pub fn path_string(path: &[usize]) -> String {
    path.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(">")
}

fn table_report(t: &PartitionTable) -> TableReport {
    TableReport {
        scheme: match t.scheme {
            Scheme::Whole => "none",
            Scheme::Mbr => "msdos",
            Scheme::Gpt => "gpt",
        },
        sector_size: t.sector_size,
        gpt_copy: t.gpt.as_ref().map(|g| match g.copy {
            GptCopy::Primary => "primary",
            GptCopy::Backup => "backup",
        }),
        partitions: t
            .volumes()
            .filter(|v| v.scheme != Scheme::Whole)
            .map(|v| PartitionReport {
                name: v.grub_name(),
                start: v.start,
                length: v.len,
                part_type: match v.part_type {
                    PartType::None => String::new(),
                    PartType::Mbr(b) => format!("{b:#04x}"),
                    PartType::Gpt(g) => g.to_string(),
                },
                label: v.name.clone(),
                bootable: v.bootable,
                unique_guid: v.unique_guid.map(|g| g.to_string()),
            })
            .collect(),
        problems: t.problems().map(ToString::to_string).collect(),
    }
}

/// The entry at `path` in the report's tree.
fn entry_at<'a>(items: &'a [ItemReport], path: &[usize]) -> Option<&'a EntryReport> {
    let (first, rest) = path.split_first()?;
    match (items.get(*first)?, rest.is_empty()) {
        (ItemReport::Entry(e), true) => Some(e),
        (ItemReport::Submenu { items, .. }, false) => entry_at(items, rest),
        _ => None,
    }
}

/// The report of a menu level. Recursion follows the menu's submenus, which the
/// evaluators cap at [`MAX_MENU_DEPTH`]; deeper ones are cut here too.
fn items_report(
    items: &[MenuItem],
    prefix: &[usize],
    menu: &Menu,
    index: &BTreeMap<EntryPath, usize>,
    files: &mut FileCache<'_, '_>,
    problems: &mut Vec<String>,
) -> Vec<ItemReport> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut path = prefix.to_vec();
        path.push(i);
        match item {
            MenuItem::Entry(e) => {
                let flat = index.get(&path).copied();
                let name = format!(
                    "entry {} '{}'",
                    flat.map_or_else(|| path_string(&path), |n| n.to_string()),
                    e.title
                );
                let boot = match &e.boot {
                    Ok(spec) => Ok(boot_report(spec, files, &name, problems)),
                    Err(why) => {
                        problems.push(format!("{name}: cannot be booted: {why}"));
                        Err(why.clone())
                    }
                };
                out.push(ItemReport::Entry(Box::new(EntryReport {
                    index: flat,
                    default: menu.default.as_ref() == Some(&path),
                    path: path_string(&path),
                    title: e.title.clone(),
                    id: e.id.clone(),
                    boot,
                })));
            }
            MenuItem::Submenu { title, id, items } => {
                let sub = if path.len() < MAX_MENU_DEPTH {
                    items_report(items, &path, menu, index, files, problems)
                } else {
                    Vec::new()
                };
                out.push(ItemReport::Submenu {
                    path: path_string(&path),
                    title: title.clone(),
                    id: id.clone(),
                    items: sub,
                });
            }
        }
    }
    out
}

fn boot_report(
    spec: &BootSpec,
    files: &mut FileCache<'_, '_>,
    name: &str,
    problems: &mut Vec<String>,
) -> BootReport {
    let kernel = files.kernel(&spec.kernel);
    match (&kernel.file.read, &kernel.kernel) {
        (Err(e), _) | (Ok(_), Some(Err(e))) => {
            problems.push(format!("{name}: kernel {}: {e}", spec.kernel));
        }
        _ => {}
    }
    let initrds = spec
        .initrds
        .iter()
        .map(|f| {
            let r = files.initrd(f);
            if let Err(e) = &r.read {
                problems.push(format!("{name}: initrd {f}: {e}"));
            }
            r
        })
        .collect();
    BootReport {
        kernel,
        initrds,
        args: spec.args.clone(),
    }
}

/// Each distinct boot file read once, however many entries name it.
struct FileCache<'g, 'd> {
    guest: &'g Guest<'d>,
    opts: &'g Options,
    kernels: BTreeMap<String, KernelReport>,
    initrds: BTreeMap<String, FileReport>,
}

impl<'g, 'd> FileCache<'g, 'd> {
    fn new(guest: &'g Guest<'d>, opts: &'g Options) -> Self {
        FileCache {
            guest,
            opts,
            kernels: BTreeMap::new(),
            initrds: BTreeMap::new(),
        }
    }

    fn kernel(&mut self, file: &FilePath) -> KernelReport {
        let key = file.to_string();
        if let Some(k) = self.kernels.get(&key) {
            return k.clone();
        }
        let max = self.opts.budgets.max_kernel;
        let image = self
            .guest
            .find(file)
            .map_err(|e| e.to_string())
            .and_then(|found| {
                kernel_check::read_image(&found, max).map_err(|e| match e {
                    copy::CopyError::Guest(e) => e.to_string(),
                    copy::CopyError::Write(e) => e.to_string(),
                })
            });
        let report = match image {
            Err(e) => KernelReport {
                file: FileReport {
                    file: file.clone(),
                    read: Err(e),
                },
                kernel: None,
            },
            Ok(image) => KernelReport {
                file: FileReport {
                    file: file.clone(),
                    read: Ok(FileFacts {
                        size: image.len() as u64,
                        sha256: hex(&Sha256::digest(&image)),
                    }),
                },
                kernel: Some(
                    xlboot_kernel::inspect(&image, kernel_check::decompress_cap(max))
                        .map_err(|e| e.to_string()),
                ),
            },
        };
        self.kernels.insert(key, report.clone());
        report
    }

    fn initrd(&mut self, file: &FilePath) -> FileReport {
        let key = file.to_string();
        if let Some(r) = self.initrds.get(&key) {
            return r.clone();
        }
        let max = self.opts.budgets.max_initrd;
        let read = self
            .guest
            .find(file)
            .map_err(|e| e.to_string())
            .and_then(|found| {
                let mut hasher = Sha256::new();
                copy::append(&found, &mut hasher, max)
                    .map(|size| FileFacts {
                        size,
                        sha256: hex(&hasher.finalize()),
                    })
                    .map_err(|e| match e {
                        copy::CopyError::Guest(e) => e.to_string(),
                        copy::CopyError::Write(e) => e.to_string(),
                    })
            });
        let report = FileReport {
            file: file.clone(),
            read,
        };
        self.initrds.insert(key, report.clone());
        report
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! Reading a syslinux config (and the files it includes) into labels, menus and global
//! settings, as `parse_config_file` does it in syslinux 6.04.
//!
//! Two programs read the same files: `ldlinux.c32` (the boot: prompt, and the automatic
//! boot when there is no `UI`) and the menu module (`menu.c32`, `vesamenu.c32`) that
//! `UI` starts. They agree on almost everything; where they differ the record keeps
//! both readings:
//!
//! - `LABEL`: ldlinux takes the first word as the label, the menu the whole rest of the
//!   line; either is also the kernel when the label names none.
//! - `TIMEOUT` and `ONTIMEOUT`: global for ldlinux (the last one wins); per menu for the
//!   menu module (a submenu starts with its parent's).
//! - `INCLUDE file tag`: the menu module makes a submenu titled `tag` (ldlinux does that
//!   only for `MENU INCLUDE`); the submenu structure only matters for the menu.
//!
//! A label's settings are written down ("recorded") only when the next `LABEL`, a
//! `MENU BEGIN`/`END`/`SEPARATOR` or the end of the last file comes, and the global
//! `APPEND` it falls back to is the one in force at that moment, as in syslinux.
//! Keywords nobody needs to choose or boot an entry (colours, fonts, serial ports,
//! help texts, F-keys ...) are read past.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::line::{argument, atoi, first_word, lines, looking_at, skip_space, strtoul0};

/// The kernel types a label can name (`kernel_types` in readconfig.c), in the order
/// syslinux tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelType {
    /// `NONE`.
    None,
    /// `LOCALBOOT`: boot from a local disk instead.
    Localboot,
    /// `KERNEL`: the type comes from the file name's extension.
    Kernel,
    /// `LINUX`: a Linux kernel whatever its name.
    Linux,
    /// `BOOT`: a boot sector.
    Boot,
    /// `BSS`: a boot sector with a DOS superblock patched in.
    Bss,
    /// `PXE`: a PXE network bootstrap program.
    Pxe,
    /// `FDIMAGE`: a floppy image.
    Fdimage,
    /// `COMBOOT`.
    Comboot,
    /// `COM32`: a syslinux module.
    Com32,
    /// `CONFIG`: another config file.
    Config,
}

/// `kernel_types`: keyword and type.
pub const KERNEL_TYPES: &[(&str, KernelType)] = &[
    ("none", KernelType::None),
    ("localboot", KernelType::Localboot),
    ("kernel", KernelType::Kernel),
    ("linux", KernelType::Linux),
    ("boot", KernelType::Boot),
    ("bss", KernelType::Bss),
    ("pxe", KernelType::Pxe),
    ("fdimage", KernelType::Fdimage),
    ("comboot", KernelType::Comboot),
    ("com32", KernelType::Com32),
    ("config", KernelType::Config),
];

impl KernelType {
    /// Its keyword, as `.type` prefixes of command lines use it.
    pub fn name(self) -> &'static str {
        KERNEL_TYPES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("kernel", |(n, _)| n)
    }
}

/// What choosing a menu entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Runs its command line.
    Cmd,
    /// `MENU GOTO`, `MENU EXIT`, `MENU QUIT`: moves around the menu, boots nothing.
    Navigate(&'static str),
}

/// One `LABEL` as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The menu module's label: the whole rest of the `LABEL` line.
    pub label: Vec<u8>,
    /// ldlinux's label: its first word.
    pub word: Vec<u8>,
    /// `KERNEL`/`LINUX`/... and its value (path and any inline arguments), if given.
    pub kernel: Option<(KernelType, Vec<u8>)>,
    /// The label's own `APPEND`.
    pub append: Option<Vec<u8>>,
    /// The global `APPEND` in force when the label was recorded.
    pub global_append: Option<Vec<u8>>,
    /// `INITRD` (a comma list).
    pub initrd: Option<Vec<u8>>,
    /// `IPAPPEND`/`SYSAPPEND` bits.
    pub ipappend: u64,
    /// `MENU LABEL`.
    pub menu_label: Option<Vec<u8>>,
    /// `MENU HIDE`: on no menu, but its label still names it.
    pub hidden: bool,
    /// `MENU SEPARATOR` or `MENU DISABLE`: shown, has no label, cannot be chosen.
    pub disabled: bool,
    /// `MENU PASSWD`: asked before the menu boots it.
    pub passwd: Option<Vec<u8>>,
    /// What choosing it does.
    pub action: Action,
    /// Where its `LABEL` line is: file index into [`Parsed::files`], 1-based line.
    pub at: (usize, u32),
}

impl Record {
    /// Why its `IPAPPEND`/`SYSAPPEND` bits make its command line unknowable: bits 1
    /// and 2 (`ip=`, `BOOTIF=`) are PXE-only and add nothing on a disk; the others
    /// add values of the machine (UUID, CPU, DMI strings).
    pub fn ipappend_problem(&self) -> Option<String> {
        (self.ipappend & !3 != 0).then(|| {
            format!(
                "IPAPPEND/SYSAPPEND {:#x} adds values of the machine (DMI, CPU, UUID) to the command line",
                self.ipappend
            )
        })
    }

    /// The command line the entry runs (`record`): the kernel (the label itself when
    /// none was named; the menu's reading of the label when `menu` is set, ldlinux's
    /// otherwise), prefixed by `.type ` unless the type is `KERNEL`, then a space and
    /// the label's `APPEND` (else the global one; `APPEND -` is nothing), then
    /// ` initrd=` and the `INITRD` value.
    pub fn cmdline(&self, menu: bool) -> Vec<u8> {
        let (ty, kernel) = match &self.kernel {
            Some((t, k)) => (*t, k.as_slice()),
            None => (
                KernelType::Kernel,
                if menu {
                    self.label.as_slice()
                } else {
                    self.word.as_slice()
                },
            ),
        };
        let mut a: &[u8] = self
            .append
            .as_deref()
            .or(self.global_append.as_deref())
            .unwrap_or_default();
        if a == b"-" {
            a = b"";
        }
        let mut out = Vec::new();
        if ty != KernelType::Kernel {
            out.push(b'.');
            out.extend_from_slice(ty.name().as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(kernel);
        if !a.is_empty() {
            out.push(b' ');
            out.extend_from_slice(a);
        }
        if let Some(i) = &self.initrd {
            out.extend_from_slice(b" initrd=");
            out.extend_from_slice(i);
        }
        out
    }
}

/// An item of a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A record (index into [`Parsed::records`]).
    Record(usize),
    /// A submenu (index into [`Parsed::menus`]).
    Submenu(usize),
}

/// A menu (`struct menu`) of the menu module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuNode {
    /// The menu holding this one, and the index of its entry there.
    pub parent: Option<(usize, usize)>,
    /// Its entries in order, separators included.
    pub items: Vec<Item>,
    /// Title of its entry in the parent (`MENU BEGIN tag`, `MENU LABEL`, `MENU TITLE`).
    pub title: Vec<u8>,
    /// `MENU LABEL` set the title (`MENU TITLE` then no longer does).
    pub labelled: bool,
    /// Index of its default entry (`MENU DEFAULT`), 0 when none.
    pub defentry: usize,
    /// `TIMEOUT` in tenths of a second; 0 waits for ever.
    pub timeout: i64,
    /// `ONTIMEOUT`.
    pub ontimeout: Option<Vec<u8>>,
    /// `MENU PASSWD` inside `MENU BEGIN` before any `LABEL`: asked before the menu
    /// opens this submenu.
    pub passwd: Option<Vec<u8>>,
}

/// Everything the configs said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The files read, as shown in messages (`(hd0,msdos1)/boot/extlinux/extlinux.conf`).
    pub files: Vec<String>,
    /// Every label in the order recorded (`all_entries`).
    pub records: Vec<Record>,
    /// Menus; 0 is the top menu.
    pub menus: Vec<MenuNode>,
    /// `MENU START`: the menu shown first.
    pub start_menu: usize,
    /// The last `DEFAULT` (`globaldefault`).
    pub default: Option<Vec<u8>>,
    /// What ldlinux boots automatically (`default_cmd`): the last `UI` line if any,
    /// else the last `DEFAULT`.
    pub default_cmd: Option<Vec<u8>>,
    /// A `UI` line was seen.
    pub has_ui: bool,
    /// `PROMPT`.
    pub prompt: i64,
    /// ldlinux's `TIMEOUT`, tenths of a second.
    pub timeout: i64,
    /// ldlinux's `ONTIMEOUT`.
    pub ontimeout: Option<Vec<u8>>,
    /// `IMPLICIT` (1 unless set).
    pub implicit: i64,
    /// `ALLOWOPTIONS` (1 unless set).
    pub allow_options: i64,
    /// The global `IPAPPEND`/`SYSAPPEND` bits.
    pub sysappend: u64,
    /// `MENU SAVE` was seen: the menu module's default may come from the ADV.
    pub menu_save: bool,
    /// `MENU MASTER PASSWD` of the top menu.
    pub master_passwd: Option<Vec<u8>>,
    /// `MENU HIDDEN`: nothing is shown during the timeout; a key shows the menu.
    pub hidden_menu: bool,
    /// `PATH` directories: where modules are searched (`findpath`), an implicit
    /// kernel's `.c32` too; never kernels.
    pub path: Vec<Vec<u8>>,
    /// Remarks for `--debug`.
    pub notes: Vec<String>,
    /// `SAY` messages.
    pub says: Vec<String>,
}

/// Budgets of one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest file read.
    pub max_file: usize,
    /// Deepest `INCLUDE` nesting (syslinux documents 16 levels).
    pub max_depth: usize,
    /// Most files read (the config and its includes).
    pub max_files: usize,
    /// Most bytes read, all files together.
    pub max_total: usize,
    /// Most labels and submenus.
    pub max_records: usize,
}

/// Why reading stopped: a file could not be read, or a budget ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// A budget ran out (else the host failed).
    pub limit: bool,
    /// The file, as shown in messages.
    pub file: String,
    /// 1-based line, 0 when not about a line.
    pub line: u32,
    /// What happened.
    pub message: String,
}

/// Reads a file for the parser: `Ok(None)` when it does not exist.
pub type ReadFn<'a> = dyn FnMut(&[u8]) -> Result<Option<(String, Vec<u8>)>, String> + 'a;

/// The label data being collected (`struct labeldata`).
#[derive(Default)]
struct LabelData {
    label: Option<Vec<u8>>,
    kernel: Option<(KernelType, Vec<u8>)>,
    append: Option<Vec<u8>>,
    initrd: Option<Vec<u8>>,
    ipappend: u64,
    menu_label: Option<Vec<u8>>,
    menu_default: bool,
    hidden: bool,
    disabled: bool,
    passwd: Option<Vec<u8>>,
    action: Option<&'static str>,
    at: (usize, u32),
}

/// The reader.
pub struct Parser<'r, 'a> {
    out: Parsed,
    ld: LabelData,
    append: Option<Vec<u8>>,
    current: usize,
    limits: ParseLimits,
    read: &'r mut ReadFn<'a>,
    total: usize,
    main_name: Vec<u8>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl<'r, 'a> Parser<'r, 'a> {
    /// A reader that opens included files with `read` (names as written in the
    /// config; `read` resolves them against the working directory).
    pub fn new(limits: ParseLimits, read: &'r mut ReadFn<'a>) -> Self {
        let root = MenuNode {
            parent: None,
            items: Vec::new(),
            title: Vec::new(),
            labelled: false,
            defentry: 0,
            timeout: 0,
            ontimeout: None,
            passwd: None,
        };
        Parser {
            out: Parsed {
                menus: alloc::vec![root],
                implicit: 1,
                allow_options: 1,
                ..Parsed::default()
            },
            ld: LabelData::default(),
            append: None,
            current: 0,
            limits,
            read,
            total: 0,
            main_name: Vec::new(),
        }
    }

    /// Reads the main config (`name` as shown in messages, `data` its bytes) and what
    /// it includes; then records the last label, as syslinux does at the end.
    pub fn run(mut self, name: String, data: &[u8]) -> Result<Parsed, ParseError> {
        self.main_name = name.clone().into_bytes();
        self.file(name, data, 1)?;
        let m = self.current;
        self.record(m)?;
        Ok(self.out)
    }

    fn error(&self, limit: bool, at: (usize, u32), message: String) -> ParseError {
        ParseError {
            limit,
            file: self.out.files.get(at.0).cloned().unwrap_or_default(),
            line: at.1,
            message,
        }
    }

    fn limit(&self, at: (usize, u32), msg: String) -> ParseError {
        self.error(true, at, msg)
    }

    fn file(&mut self, name: String, data: &[u8], depth: usize) -> Result<(), ParseError> {
        let file = self.out.files.len();
        if file >= self.limits.max_files {
            let at = (file.saturating_sub(1), 0);
            return Err(self.limit(
                at,
                format!("more than {} config files included", self.limits.max_files),
            ));
        }
        self.total = self.total.saturating_add(data.len());
        if self.total > self.limits.max_total {
            return Err(self.limit(
                (file.saturating_sub(1), 0),
                format!("more than {} bytes of config read", self.limits.max_total),
            ));
        }
        self.out.files.push(name);
        let mut in_text = false;
        let mut lineno: u32 = 0;
        for raw in lines(data) {
            lineno = lineno.saturating_add(1);
            let at = (file, lineno);
            let p = skip_space(raw);
            if in_text {
                in_text = looking_at(p, "endtext").is_none();
                continue;
            }
            self.line(p, at, depth, &mut in_text)?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        p: &[u8],
        at: (usize, u32),
        depth: usize,
        in_text: &mut bool,
    ) -> Result<(), ParseError> {
        let m = self.current;
        if let Some(rest) = looking_at(p, "menu") {
            return self.menu_line(skip_space(rest), at, depth);
        }
        if looking_at(p, "text").is_some() {
            *in_text = true;
            return Ok(());
        }
        if let Some(rest) = argument(p, "include") {
            return self.include(rest, at, depth);
        }
        if let Some(a) = argument(p, "append") {
            if self.ld.label.is_some() {
                self.ld.append = Some(a.to_vec());
            } else {
                self.append = Some(a.to_vec());
            }
            return Ok(());
        }
        if let Some(a) = argument(p, "initrd") {
            if self.ld.label.is_some() {
                self.ld.initrd = Some(a.to_vec());
            } else {
                self.note(at, "INITRD outside a LABEL is ignored");
            }
            return Ok(());
        }
        if let Some(a) = argument(p, "label") {
            self.record(m)?;
            self.ld = LabelData {
                label: Some(a.to_vec()),
                ipappend: self.out.sysappend,
                at,
                ..LabelData::default()
            };
            return Ok(());
        }
        for (kw, ty) in KERNEL_TYPES {
            if let Some(a) = argument(p, kw) {
                if self.ld.label.is_some() {
                    self.ld.kernel = Some((*ty, a.to_vec()));
                }
                return Ok(());
            }
        }
        if let Some(a) = argument(p, "timeout") {
            self.out.timeout = atoi(a);
            if let Some(menu) = self.out.menus.get_mut(m) {
                menu.timeout = atoi(a);
            }
        } else if let Some(a) = argument(p, "ontimeout") {
            self.out.ontimeout = Some(a.to_vec());
            if let Some(menu) = self.out.menus.get_mut(m) {
                menu.ontimeout = Some(a.to_vec());
            }
        } else if let Some(a) = argument(p, "ipappend").or_else(|| argument(p, "sysappend")) {
            if self.ld.label.is_some() {
                self.ld.ipappend = strtoul0(a);
            } else {
                self.out.sysappend = strtoul0(a);
            }
        } else if let Some(a) = argument(p, "default") {
            self.out.default = Some(a.to_vec());
            if !self.out.has_ui {
                self.out.default_cmd = Some(a.to_vec());
            }
        } else if let Some(a) = argument(p, "ui") {
            self.out.has_ui = true;
            self.out.default_cmd = Some(a.to_vec());
        } else if let Some(a) = argument(p, "implicit") {
            self.out.implicit = atoi(a);
        } else if let Some(a) = argument(p, "prompt") {
            self.out.prompt = atoi(a);
        } else if let Some(a) = argument(p, "allowoptions") {
            self.out.allow_options = atoi(a);
        } else if let Some(rest) = looking_at(p, "say") {
            // `printf("%s\n", p+4)`: the byte after SAY's separator on.
            if self.out.says.len() < 256 {
                self.out.says.push(lossy(rest.get(1..).unwrap_or_default()));
            }
        } else if let Some(a) = argument(p, "path") {
            for dir in a.split(|&c| c == b':') {
                if self.out.path.len() < 64 {
                    self.out.path.push(dir.to_vec());
                }
            }
        }
        Ok(())
    }

    fn menu_line(&mut self, p: &[u8], at: (usize, u32), depth: usize) -> Result<(), ParseError> {
        let m = self.current;
        if let Some(a) = argument(p, "label") {
            if self.ld.label.is_some() {
                self.ld.menu_label = Some(a.to_vec());
            } else if self.out.menus.get(m).is_some_and(|x| x.parent.is_some()) {
                if let Some(menu) = self.out.menus.get_mut(m) {
                    menu.title = a.to_vec();
                    menu.labelled = true;
                }
            }
        } else if let Some(a) = argument(p, "title") {
            if let Some(menu) = self.out.menus.get_mut(m) {
                if menu.parent.is_some() && !menu.labelled {
                    menu.title = a.to_vec();
                }
            }
        } else if looking_at(p, "default").is_some() {
            if self.ld.label.is_some() {
                self.ld.menu_default = true;
            } else if let Some((parent, idx)) = self.out.menus.get(m).and_then(|x| x.parent) {
                if let Some(pm) = self.out.menus.get_mut(parent) {
                    pm.defentry = idx;
                }
            }
        } else if looking_at(p, "hide").is_some() {
            self.ld.hidden = true;
        } else if looking_at(p, "hidden").is_some() {
            self.out.hidden_menu = true;
        } else if let Some(a) = argument(p, "passwd") {
            // readconfig.c: the label's, else the submenu's own entry's; at the top
            // of the top menu it does nothing.
            if self.ld.label.is_some() {
                self.ld.passwd = Some(a.to_vec());
            } else if let Some(menu) = self.out.menus.get_mut(m).filter(|x| x.parent.is_some()) {
                menu.passwd = Some(a.to_vec());
            }
        } else if let Some(rest) = looking_at(p, "master") {
            if let Some(a) = argument(skip_space(rest), "passwd") {
                if m == 0 {
                    self.out.master_passwd = Some(a.to_vec());
                } else {
                    self.note(
                        at,
                        "MENU MASTER PASSWD inside a submenu is not supported: the top menu's applies there",
                    );
                }
            }
        } else if looking_at(p, "save").is_some() {
            self.out.menu_save = true;
        } else if let Some(rest) = argument(p, "include") {
            return self.include(rest, at, depth);
        } else if looking_at(p, "separator").is_some() {
            self.record(m)?;
            self.ld = LabelData {
                label: Some(Vec::new()),
                disabled: true,
                at,
                ..LabelData::default()
            };
            self.record(m)?;
        } else if looking_at(p, "disable").is_some() || looking_at(p, "disabled").is_some() {
            self.ld.disabled = true;
        } else if let Some(a) = argument(p, "begin") {
            self.record(m)?;
            self.begin_submenu(a, at)?;
        } else if looking_at(p, "end").is_some() {
            self.record(m)?;
            self.end_submenu();
        } else if looking_at(p, "quit").is_some() {
            if self.ld.label.is_some() {
                self.ld.action = Some("MENU QUIT");
            }
        } else if looking_at(p, "goto").is_some() {
            if self.ld.label.is_some() {
                self.ld.action = Some("MENU GOTO");
            }
        } else if looking_at(p, "exit").is_some() {
            if self.ld.label.is_some() && self.out.menus.get(m).is_some_and(|x| x.parent.is_some())
            {
                self.ld.action = Some("MENU EXIT");
            }
        } else if looking_at(p, "start").is_some() {
            self.out.start_menu = m;
        }
        Ok(())
    }

    fn include(&mut self, rest: &[u8], at: (usize, u32), depth: usize) -> Result<(), ParseError> {
        let (name, tag) = first_word(rest);
        let tag = skip_space(tag);
        if depth >= self.limits.max_depth {
            return Err(self.limit(
                at,
                format!("INCLUDE nested more than {} deep", self.limits.max_depth),
            ));
        }
        let name = if name == b"~" {
            self.main_name.clone()
        } else {
            name.to_vec()
        };
        let found = match (self.read)(&name) {
            Ok(f) => f,
            Err(e) => return Err(self.error(false, at, e)),
        };
        let Some((shown, data)) = found else {
            self.note(
                at,
                &format!(
                    "INCLUDE {}: no such file; skipped, as syslinux does",
                    lossy(&name)
                ),
            );
            return Ok(());
        };
        if data.len() > self.limits.max_file {
            return Err(self.limit(
                at,
                format!("{shown} is larger than {} bytes", self.limits.max_file),
            ));
        }
        if tag.is_empty() {
            return self.file(shown, &data, depth.saturating_add(1));
        }
        let m = self.current;
        self.record(m)?;
        self.begin_submenu(tag, at)?;
        self.file(shown, &data, depth.saturating_add(1))?;
        let m = self.current;
        self.record(m)?;
        self.end_submenu();
        Ok(())
    }

    fn count_check(&self, at: (usize, u32)) -> Result<(), ParseError> {
        if self.out.records.len().saturating_add(self.out.menus.len()) >= self.limits.max_records {
            return Err(self.limit(
                at,
                format!("more than {} labels and menus", self.limits.max_records),
            ));
        }
        Ok(())
    }

    fn begin_submenu(&mut self, tag: &[u8], at: (usize, u32)) -> Result<(), ParseError> {
        self.count_check(at)?;
        let parent = self.current;
        let mut depth = 0usize;
        let mut m = parent;
        while let Some((p, _)) = self.out.menus.get(m).and_then(|x| x.parent) {
            depth = depth.saturating_add(1);
            if depth >= crate::menu::MAX_MENU_DEPTH {
                return Err(self.limit(
                    at,
                    format!(
                        "submenus nested more than {} deep",
                        crate::menu::MAX_MENU_DEPTH
                    ),
                ));
            }
            m = p;
        }
        let idx = self.out.menus.get(parent).map_or(0, |p| p.items.len());
        let (timeout, ontimeout) = self
            .out
            .menus
            .get(parent)
            .map(|p| (p.timeout, p.ontimeout.clone()))
            .unwrap_or_default();
        let new = self.out.menus.len();
        self.out.menus.push(MenuNode {
            parent: Some((parent, idx)),
            items: Vec::new(),
            title: tag.to_vec(),
            labelled: false,
            defentry: 0,
            timeout,
            ontimeout,
            passwd: None,
        });
        if let Some(p) = self.out.menus.get_mut(parent) {
            p.items.push(Item::Submenu(new));
        }
        self.current = new;
        Ok(())
    }

    fn end_submenu(&mut self) {
        if let Some((parent, _)) = self.out.menus.get(self.current).and_then(|m| m.parent) {
            self.current = parent;
        }
    }

    fn note(&mut self, at: (usize, u32), msg: &str) {
        if self.out.notes.len() < 64 {
            let file = self.out.files.get(at.0).cloned().unwrap_or_default();
            self.out.notes.push(format!("{file}:{}: {msg}", at.1));
        }
    }

    /// `record`: writes down the label being collected, on menu `m` (on no menu when
    /// hidden), with the global `APPEND` in force now.
    fn record(&mut self, m: usize) -> Result<(), ParseError> {
        let ld = core::mem::take(&mut self.ld);
        let Some(label) = ld.label else {
            return Ok(());
        };
        self.count_check(ld.at)?;
        let word = first_word(&label).0.to_vec();
        let idx = self.out.records.len();
        let rec = Record {
            word,
            label,
            kernel: ld.kernel,
            append: ld.append,
            global_append: self.append.clone(),
            initrd: ld.initrd,
            ipappend: ld.ipappend,
            menu_label: ld.menu_label,
            hidden: ld.hidden,
            disabled: ld.disabled,
            passwd: ld.passwd,
            action: match ld.action {
                Some(a) => Action::Navigate(a),
                None => Action::Cmd,
            },
            at: ld.at,
        };
        let is_cmd = rec.action == Action::Cmd && !rec.disabled;
        self.out.records.push(rec);
        if !ld.hidden {
            if let Some(menu) = self.out.menus.get_mut(m) {
                if ld.menu_default && is_cmd {
                    menu.defentry = menu.items.len();
                }
                menu.items.push(Item::Record(idx));
            }
        }
        Ok(())
    }
}

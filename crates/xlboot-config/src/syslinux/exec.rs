//! What syslinux does with a command line: `load_kernel` (label lookup, implicit
//! kernels), `execute` (image types, `.type` prefixes), `new_linux_kernel` (the kernel
//! command line and its `initrd=`), and `mboot.c32` (Xen's multiboot chain), from
//! `com32/elflink/ldlinux/{ldlinux,execute,kernel}.c` and `com32/mboot/mboot.c` of
//! syslinux 6.04.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::line::{first_word, my_isspace};
use super::parse::{Action, KernelType, Parsed};
use super::path::Namespace;
use crate::host::{ConfigHost, FilePath};
use crate::menu::BootSpec;

/// `MAX_CMDLINE_LEN`: `execute` refuses a command line this long or longer.
pub const MAX_CMDLINE_LEN: usize = 2048;

/// Deepest chain of `.type` prefixes and `CONFIG` files followed.
pub const MAX_EXEC_DEPTH: usize = 8;

/// The image type `parse_image_type` gives a command by its first word's extension
/// (compared case-sensitively, as syslinux does).
pub fn image_type(cmd: &[u8]) -> KernelType {
    let (kernel, _) = first_word(cmd);
    for (ext, ty) in [
        (&b".c32"[..], KernelType::Com32),
        (b".img", KernelType::Fdimage),
        (b".bss", KernelType::Bss),
        (b".bin", KernelType::Boot),
        (b".bs", KernelType::Boot),
        (b".0", KernelType::Pxe),
    ] {
        if kernel.ends_with(ext) {
            return ty;
        }
    }
    KernelType::Kernel
}

/// The extensions `get_extension` tries on an implicit kernel name, in order.
const EXTENSIONS: &[&str] = &[".c32", ".img", ".bss", ".bin", ".bs", ".0"];

/// What booting a command line does.
pub type Booted = Result<BootSpec, String>;

/// A fatal problem: the host failed or a budget ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// Reading a file failed.
    Host(String),
    /// A budget ran out.
    Limit(String),
}

/// Evaluates a nested config (`CONFIG`): its file (absolute), its working directory,
/// the depth; gives what its default boots.
pub type NestedFn<'a> = dyn Fn(&str, &str, usize) -> Result<Booted, ExecError> + 'a;

/// Where commands run.
pub struct Exec<'a> {
    /// What the configs said.
    pub parsed: &'a Parsed,
    /// The guest's disks.
    pub host: &'a dyn ConfigHost,
    /// The device syslinux reads (the one its config is on).
    pub device: &'a str,
    /// How names are looked up.
    pub names: Namespace,
    /// The working directory.
    pub cwd: &'a str,
    /// How many `CONFIG` files deep this is.
    pub depth: usize,
    /// Evaluates a `CONFIG` file.
    pub nested: &'a NestedFn<'a>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Splits after the first word, skipping the `my_isspace` bytes that follow it.
fn kernel_and_args(cmd: &[u8]) -> (&[u8], &[u8]) {
    let (k, rest) = first_word(cmd);
    let start = rest
        .iter()
        .position(|&c| !my_isspace(Some(c)))
        .unwrap_or(rest.len());
    (k, rest.get(start..).unwrap_or_default())
}

impl Exec<'_> {
    fn file(&self, name: &[u8]) -> FilePath {
        FilePath {
            device: String::from(self.device),
            path: self.names.resolve(self.cwd, &lossy(name)),
            root: Default::default(),
        }
    }

    /// ldlinux's `find_label`: the first label (ldlinux's first-word reading) equal to
    /// the first word of `cmd`.
    pub fn find_label(&self, cmd: &[u8]) -> Option<usize> {
        let (word, _) = first_word(cmd);
        self.parsed
            .records
            .iter()
            .position(|r| !r.disabled && r.word == word)
    }

    /// `load_kernel`: a command typed at the boot: prompt, or `DEFAULT`/`ONTIMEOUT`.
    pub fn load_kernel(&self, cmd: &[u8]) -> Result<Booted, ExecError> {
        if let Some(i) = self.find_label(cmd) {
            let Some(rec) = self.parsed.records.get(i) else {
                return Ok(Err(String::from("no such label")));
            };
            if let Action::Navigate(what) = rec.action {
                return Ok(Err(format!("the label is a {what} menu item")));
            }
            if let Some(why) = rec.ipappend_problem() {
                return Ok(Err(why));
            }
            let (_, args) = kernel_and_args(cmd);
            let mut line = rec.cmdline(false);
            if !args.is_empty() {
                line.push(b' ');
                line.extend_from_slice(args);
            }
            return self.execute(&line, image_type(&line), false, 0);
        }
        if self.parsed.implicit == 0 {
            return Ok(Err(format!(
                "`{}' names no label, and IMPLICIT 0 forbids booting other files",
                lossy(first_word(cmd).0)
            )));
        }
        let (kernel, rest) = first_word(cmd);
        let mut line: Vec<u8> = cmd.to_vec();
        if self.parsed.allow_options == 0 {
            line.truncate(kernel.len());
        }
        let mut ty = image_type(&line);
        if ty == KernelType::Kernel {
            // `get_extension`: the first of `name.c32`, `name.img`, ... that exists
            // is loaded instead; `findpath` looks for it as named, then in each
            // `PATH` directory.
            for ext in EXTENSIONS {
                let mut name = kernel.to_vec();
                name.extend_from_slice(ext.as_bytes());
                if self.find_in_path(&name)? {
                    line = name;
                    if self.parsed.allow_options != 0 {
                        line.extend_from_slice(rest);
                    }
                    ty = image_type(&line);
                    break;
                }
            }
        }
        self.execute(&line, ty, true, 0)
    }

    /// `findpath` (`com32/lib/sys/module/common.c`): whether `name` exists as named
    /// or in one of the `PATH` directories (a `/` put between where one is missing).
    fn find_in_path(&self, name: &[u8]) -> Result<bool, ExecError> {
        let in_dirs = self.parsed.path.iter().filter(|d| !d.is_empty()).map(|d| {
            let mut p = d.clone();
            if !p.ends_with(b"/") {
                p.push(b'/');
            }
            p.extend_from_slice(name);
            p
        });
        for candidate in core::iter::once(name.to_vec()).chain(in_dirs) {
            let file = self.file(&candidate);
            let found = self
                .host
                .file_size(&file)
                .map_err(|e| ExecError::Host(format!("{file}: {e}")))?;
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `execute`: runs a command line as an image of type `ty`.
    pub fn execute(
        &self,
        cmd: &[u8],
        ty: KernelType,
        sysappend: bool,
        depth: usize,
    ) -> Result<Booted, ExecError> {
        if depth >= MAX_EXEC_DEPTH {
            return Err(ExecError::Limit(format!(
                "more than {MAX_EXEC_DEPTH} nested `.type' prefixes"
            )));
        }
        if cmd.len() >= MAX_CMDLINE_LEN {
            return Ok(Err(format!(
                "the command line is {} bytes; syslinux refuses {MAX_CMDLINE_LEN} or more",
                cmd.len()
            )));
        }
        let (kernel, args) = kernel_and_args(cmd);
        if sysappend && self.parsed.sysappend & !3 != 0 {
            return Ok(Err(format!(
                "SYSAPPEND {:#x} adds values of the machine (DMI, CPU, UUID) to the command line",
                self.parsed.sysappend
            )));
        }
        if let Some(name) = kernel.strip_prefix(b".") {
            if let Some(t) = [
                KernelType::Localboot,
                KernelType::Kernel,
                KernelType::Linux,
                KernelType::Boot,
                KernelType::Bss,
                KernelType::Pxe,
                KernelType::Fdimage,
                KernelType::Com32,
                KernelType::Config,
            ]
            .into_iter()
            .find(|t| t.name().as_bytes() == name)
            {
                let mut next = args.to_vec();
                if t == KernelType::Com32 {
                    let (k, rest) = first_word(args);
                    if !k.ends_with(b".c32") {
                        next = k.to_vec();
                        next.extend_from_slice(b".c32");
                        next.extend_from_slice(rest);
                    }
                }
                return self.execute(&next, t, sysappend, depth.saturating_add(1));
            }
        }
        match ty {
            KernelType::Com32 => {
                let base = kernel.rsplit(|&c| c == b'/').next().unwrap_or(kernel);
                if base.eq_ignore_ascii_case(b"mboot.c32") {
                    Ok(self.mboot(args))
                } else {
                    Ok(Err(format!(
                        "it runs the syslinux module {}; xlboot boots only Linux kernels (and Xen's mboot.c32 chains)",
                        lossy(kernel)
                    )))
                }
            }
            KernelType::Config => {
                if self.depth.saturating_add(1) >= MAX_EXEC_DEPTH {
                    return Err(ExecError::Limit(format!(
                        "CONFIG files nested more than {MAX_EXEC_DEPTH} deep"
                    )));
                }
                let file = self.names.resolve(self.cwd, &lossy(kernel));
                let cwd = if args.is_empty() {
                    String::from(self.cwd)
                } else {
                    self.names.resolve(self.cwd, &lossy(first_word(args).0))
                };
                (self.nested)(&file, &cwd, self.depth.saturating_add(1))
            }
            KernelType::Localboot => Ok(Err(String::from(
                "LOCALBOOT hands the boot to another disk",
            ))),
            KernelType::Boot | KernelType::Bss | KernelType::Pxe | KernelType::Fdimage => {
                Ok(Err(format!(
                    "syslinux boots {} as a {} image, not as a Linux kernel (its name's extension decides; LINUX would force a kernel)",
                    lossy(kernel),
                    ty.name().to_ascii_uppercase()
                )))
            }
            _ => Ok(self.linux(kernel, args)),
        }
    }

    /// `new_linux_kernel`: the kernel gets `BOOT_IMAGE=<kernel> <args>`; the initrds
    /// are the comma list after the first `initrd=` anywhere in that line (each name
    /// ends at a space or comma), loaded one after the other.
    pub fn linux(&self, kernel: &[u8], args: &[u8]) -> Booted {
        let mut line = b"BOOT_IMAGE=".to_vec();
        line.extend_from_slice(kernel);
        line.push(b' ');
        line.extend_from_slice(args);
        let mut initrds = Vec::new();
        if let Some(pos) = line.windows(7).position(|w| w == b"initrd=") {
            let mut rest = line.get(pos.saturating_add(7)..).unwrap_or_default();
            loop {
                let n = rest
                    .iter()
                    .position(|&c| c == b' ' || c == b',')
                    .unwrap_or(rest.len());
                let name = rest.get(..n).unwrap_or_default();
                if name.is_empty() {
                    return Err(String::from(
                        "`initrd=' names an empty file, which syslinux fails to load",
                    ));
                }
                initrds.push(self.file(name));
                rest = rest.get(n..).unwrap_or_default();
                match rest.split_first() {
                    Some((b',', r)) => rest = r,
                    _ => break,
                }
            }
        }
        Ok(BootSpec {
            kernel: self.file(kernel),
            initrds,
            args: lossy(&line),
        })
    }

    /// `mboot.c32 [-solaris] [-aout] xen args --- kernel args --- initrd ...`: the
    /// modules are separated by `---` words; the first is Xen, the second the Linux
    /// kernel, whose command line is its words after the file name joined by single
    /// spaces (mboot joins them; Xen drops the file name), the third the initrd.
    pub fn mboot(&self, args: &[u8]) -> Booted {
        let c_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        let mut words = args.split(c_space).filter(|w| !w.is_empty()).peekable();
        while let Some(w) = words.peek() {
            // `-no` is cut off first, so `-no-solaris` and `-solaris` are options.
            let opt = w.strip_prefix(b"-no").unwrap_or(w);
            if matches!(opt, b"-solaris" | b"-aout") {
                words.next();
            } else {
                break;
            }
        }
        let mut modules: Vec<Vec<&[u8]>> = alloc::vec![Vec::new()];
        for w in words {
            if w == b"---" {
                if modules.len() >= 64 {
                    return Err(String::from("mboot.c32 with more than 64 modules"));
                }
                modules.push(Vec::new());
            } else if let Some(m) = modules.last_mut() {
                m.push(w);
            }
        }
        let Some((kernel, kargs)) = modules.get(1).and_then(|m| m.split_first()) else {
            return Err(String::from(
                "mboot.c32 loads no second module, so there is no Linux kernel to boot",
            ));
        };
        let initrds = modules
            .get(2)
            .and_then(|m| m.first())
            .map(|i| self.file(i))
            .into_iter()
            .collect();
        Ok(BootSpec {
            kernel: self.file(kernel),
            initrds,
            args: lossy(&kargs.join(&b' ')),
        })
    }
}

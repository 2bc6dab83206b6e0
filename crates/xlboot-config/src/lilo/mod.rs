//! LILO's `/etc/lilo.conf`, read as `/sbin/lilo` reads it and booted as LILO's second
//! stage boots it.
//!
//! - [`lexer`]: tokens and `name = value` items (`src/cfg.c`).
//! - [`model`]: global options and `image=` / `other=` sections, each checked against
//!   LILO's keyword tables.
//! - `eval`: labels, the default (`default=`, else the first image), and the command
//!   line: `auto BOOT_IMAGE=LABEL` and the options `bsect_common` stores (`ro`/`rw`,
//!   `root=` as LILO writes it, `ramdisk=`, `append`, `addappend`, or `literal`).
//!
//! `image=` and `initrd=` are paths of the running system (the guest's root
//! namespace): the caller maps them to volumes (through `/etc/fstab` when /boot is a
//! filesystem of its own). `other=` entries chain-load another boot sector: they are
//! listed, and cannot be booted by xlboot.

mod eval;
pub mod lexer;
pub mod model;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use eval::{command_line, label, root_option, stored_options, Located, MAX_LABEL};

use crate::error::{ConfigError, ConfigErrorKind};
use crate::host::FilePath;
use crate::menu::Menu;

/// Most items read from one `lilo.conf`.
pub const MAX_ITEMS: usize = 16384;
/// Most `image=` and `other=` sections (LILO's own descriptor table holds 27).
pub const MAX_IMAGES: usize = 1024;

/// A `lilo.conf` evaluated into a menu.
pub struct Evaluated {
    /// The menu: one entry per image, titled by its label.
    pub menu: Menu,
    /// The config as parsed.
    pub config: model::Config,
    /// Remarks for `--debug`.
    pub notes: Vec<String>,
}

/// Evaluates `lilo.conf` text found at `file`; `locate` maps paths of the guest's
/// root namespace to files.
pub fn evaluate(
    source: &[u8],
    file: &FilePath,
    max_size: usize,
    locate: &dyn Fn(&str) -> Located,
) -> Result<Evaluated, ConfigError> {
    let err = |line: u32, kind: ConfigErrorKind, message: String| ConfigError {
        file: file.to_string(),
        line,
        kind,
        message,
    };
    if source.len() > max_size {
        return Err(err(
            0,
            ConfigErrorKind::Limit,
            alloc::format!("{} bytes, more than the {max_size} allowed", source.len()),
        ));
    }
    let items = lexer::items(source, MAX_ITEMS).map_err(|e| {
        let kind = if e.unsupported {
            ConfigErrorKind::Unsupported
        } else {
            ConfigErrorKind::Syntax
        };
        err(e.line, kind, e.message)
    })?;
    let config = model::parse(&items, MAX_IMAGES)
        .map_err(|(line, m)| err(line, ConfigErrorKind::Syntax, m))?;
    let (menu, notes) =
        eval::menu(&config, locate).map_err(|m| err(0, ConfigErrorKind::Syntax, m))?;
    Ok(Evaluated {
        menu,
        config,
        notes,
    })
}

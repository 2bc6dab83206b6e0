//! GRUB legacy configs (`menu.lst`, `grub.conf`), evaluated as GRUB 0.97 (and Xen's
//! PV-GRUB, built from it) boots them.
//!
//! - [`lexer`]: logical lines and commands, as `get_line_from_config`, `find_command`
//!   and `skip_to` split them.
//! - [`model`]: the config GRUB builds while reading: menu settings and entries.
//! - `eval`: each entry run as GRUB runs it at boot (devices, files, `configfile`),
//!   and the default resolved with `default`, `default saved` and `fallback`.
//!
//! Devices are GRUB legacy's, with partitions counted from 0: `(hd0,0)` is the first
//! partition, which the [`crate::ConfigHost`] names `hd0,msdos1` (or `hd0,gpt1`).
//! The kernel command line is the rest of the `kernel` line after the file name, as
//! GRUB passes it: leading blanks skipped, everything else verbatim (tabs are spaces).

mod eval;
pub mod lexer;
pub mod model;

pub use eval::{legacy_device, saved_entry, Evaluated, MAX_CONFIG_FILES};

use crate::error::ConfigError;
use crate::grub2::Limits;
use crate::host::{ConfigHost, FilePath};

/// Evaluates the GRUB legacy config `source`, found at `file`, reading other files
/// (the `default` file, `configfile` targets, kernels' existence) through `host`.
pub fn evaluate(
    source: &[u8],
    file: &FilePath,
    limits: &Limits,
    host: &dyn ConfigHost,
) -> Result<Evaluated, ConfigError> {
    eval::Eval::new(host, limits).run(source, file)
}

//! The files xlboot writes in dom0: the kernel and initrd copies, and the reply.
//!
//! Copies are created exclusively with mode 0600 under pygrub's names
//! (`boot_kernel.XXXXXXXX`, `boot_ramdisk.XXXXXXXX`), so nothing in the output
//! directory can be overwritten or pre-planted. Until the run succeeds they belong to an
//! [`OutputFiles`] guard that removes them again: a failed run leaves nothing behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Where copies go when `--output-directory` is not given (created 0700 if missing,
/// as pygrub creates its `/var/run/xen/pygrub`).
pub const DEFAULT_OUTPUT_DIRECTORY: &str = "/var/run/xen/xlboot";

/// Characters of the random suffix: those of Python's `tempfile.mkstemp`.
const SUFFIX_ALPHABET: &[u8; 37] = b"abcdefghijklmnopqrstuvwxyz0123456789_";

/// Files created by this run, removed on drop unless [`OutputFiles::keep`] was called.
#[derive(Debug, Default)]
pub struct OutputFiles {
    created: Vec<PathBuf>,
    kept: bool,
}

impl OutputFiles {
    /// Creates `dir/<prefix>XXXXXXXX` exclusively, mode 0600, and remembers it.
    pub fn create(&mut self, dir: &Path, prefix: &str) -> io::Result<(File, PathBuf)> {
        for _ in 0..100 {
            let path = dir.join(format!("{prefix}{}", random_suffix()?));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc_o_nofollow())
                .open(&path)
            {
                Ok(f) => {
                    self.created.push(path.clone());
                    return Ok((f, path));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "could not create a unique {prefix}* file in {}",
                dir.display()
            ),
        ))
    }

    /// Removes one of the files now (an initrd copy the entry turned out not to need).
    pub fn remove(&mut self, path: &Path) {
        if let Some(i) = self.created.iter().position(|p| p == path) {
            let _ = std::fs::remove_file(self.created.swap_remove(i));
        }
    }

    /// The run succeeded: leave the files for the toolstack.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for OutputFiles {
    fn drop(&mut self) {
        if !self.kept {
            for p in &self.created {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// `O_NOFOLLOW`: with `create_new` the kernel already refuses to follow a symlink at
/// the final component, this says so explicitly.
fn libc_o_nofollow() -> i32 {
    // Value of O_NOFOLLOW on Linux (all architectures xlboot targets).
    0o400000
}

/// Eight characters from the kernel's random source.
pub fn random_suffix() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| {
            let i = usize::from(*b) % SUFFIX_ALPHABET.len();
            char::from(SUFFIX_ALPHABET.get(i).copied().unwrap_or(b'_'))
        })
        .collect())
}

/// The output directory: the one given (it was checked to exist), or the default,
/// created with mode 0700 when missing.
pub fn output_directory(given: Option<&Path>) -> io::Result<PathBuf> {
    if let Some(d) = given {
        return Ok(d.to_path_buf());
    }
    let d = PathBuf::from(DEFAULT_OUTPUT_DIRECTORY);
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&d)
    {
        Ok(()) => Ok(d),
        Err(_) if d.is_dir() => Ok(d),
        Err(e) => Err(e),
    }
}

/// Where the reply goes: an existing file (opened for writing, neither created nor
/// truncated, written from offset 0, as libxl expects) or stdout.
pub enum ReplySink {
    /// `--output=FILE`.
    File(File),
    /// No `--output`, or `--output=-`.
    Stdout,
}

impl ReplySink {
    /// Opens `--output` now, before anything is read from the guest, so that a bad
    /// path fails early and the file is open before privileges are dropped.
    pub fn open(path: Option<&Path>) -> io::Result<Self> {
        match path {
            Some(p) => OpenOptions::new().write(true).open(p).map(ReplySink::File),
            None => Ok(ReplySink::Stdout),
        }
    }

    /// Writes the whole reply.
    pub fn write(self, reply: &[u8]) -> io::Result<()> {
        match self {
            ReplySink::File(mut f) => f.write_all(reply),
            ReplySink::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(reply)?;
                out.flush()
            }
        }
    }
}

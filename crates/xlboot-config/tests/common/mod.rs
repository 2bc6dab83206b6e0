//! An in-memory guest for evaluator tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod grub_chosen;
pub mod grub_header;

use std::collections::BTreeMap;
use std::path::PathBuf;

use xlboot_config::grub2::{evaluate, EvalContext, Evaluated};
use xlboot_config::{ConfigError, ConfigHost, Device, FilePath, HostError};

/// Devices and files of a fake guest.
#[derive(Default, Clone)]
pub struct FakeHost {
    pub devices: Vec<Device>,
    pub files: BTreeMap<(String, String), Vec<u8>>,
    pub dirs: Vec<(String, String)>,
    /// Whether `list_dir` answers (otherwise it keeps the trait's default error).
    pub listable: bool,
}

impl FakeHost {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn device(mut self, name: &str, uuid: Option<&str>, label: Option<&str>) -> Self {
        self.devices.push(Device {
            name: name.to_string(),
            fs_uuid: uuid.map(str::to_string),
            label: label.map(str::to_string),
        });
        self
    }

    pub fn file(mut self, dev: &str, path: &str, data: &[u8]) -> Self {
        self.files
            .insert((dev.to_string(), path.to_string()), data.to_vec());
        self
    }

    /// Lets `list_dir` answer: names of the files and `dirs` directly inside.
    pub fn listable(mut self) -> Self {
        self.listable = true;
        self
    }

    pub fn dir(mut self, dev: &str, path: &str) -> Self {
        self.dirs.push((dev.to_string(), path.to_string()));
        self
    }

    /// The usual Debian kernels and initrds on `dev`, under `dir` (`/boot` or ``).
    pub fn debian_kernels(mut self, dev: &str, dir: &str) -> Self {
        for v in ["6.1.0-50-cloud-amd64", "6.1.0-50-amd64"] {
            self = self
                .file(dev, &format!("{dir}/vmlinuz-{v}"), b"kernel")
                .file(dev, &format!("{dir}/initrd.img-{v}"), b"initrd");
        }
        self
    }
}

impl ConfigHost for FakeHost {
    fn devices(&self) -> Vec<Device> {
        self.devices.clone()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        if self.devices.iter().any(|d| d.name == device) {
            return Some(device.to_string());
        }
        // `hd0,1` for `hd0,msdos1` / `hd0,gpt1`.
        let (disk, part) = device.split_once(',')?;
        if part.chars().all(|c| c.is_ascii_digit()) {
            for d in &self.devices {
                for scheme in ["msdos", "gpt"] {
                    if d.name == format!("{disk},{scheme}{part}") {
                        return Some(d.name.clone());
                    }
                }
            }
        }
        None
    }

    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(self
            .files
            .get(&(file.device.clone(), file.path.clone()))
            .map(|d| d.len() as u64))
    }

    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError> {
        match self.files.get(&(file.device.clone(), file.path.clone())) {
            Some(d) if d.len() > max => Err(HostError(format!("{file} larger than {max}"))),
            Some(d) => Ok(Some(d.clone())),
            None => Ok(None),
        }
    }

    fn list_dir(
        &self,
        dir: &FilePath,
        max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        if !self.listable {
            return Err(HostError(xlboot_config::LIST_DIR_UNAVAILABLE.to_string()));
        }
        let base = dir.path.trim_end_matches('/');
        let mut found = self
            .dirs
            .iter()
            .any(|(d, p)| *d == dir.device && p.trim_end_matches('/') == base);
        let mut names = Vec::new();
        let children = self
            .files
            .keys()
            .map(|(d, p)| (d.as_str(), p.as_str()))
            .chain(self.dirs.iter().map(|(d, p)| (d.as_str(), p.as_str())));
        for (d, p) in children {
            if d != dir.device {
                continue;
            }
            let Some(rest) = p.strip_prefix(base).and_then(|r| r.strip_prefix('/')) else {
                continue;
            };
            found = true;
            let name = rest.split('/').next().unwrap_or_default().to_string();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        if !found {
            return Ok(None);
        }
        if names.len() > max_entries {
            return Err(HostError(format!("{dir}: more than {max_entries} entries")));
        }
        Ok(Some(names))
    }

    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        Ok(self
            .dirs
            .iter()
            .any(|(d, p)| *d == dir.device && *p == dir.path))
    }
}

pub fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn ctx(dev: &str, path: &str) -> EvalContext {
    EvalContext::new(FilePath {
        device: dev.to_string(),
        path: path.to_string(),
        root: Default::default(),
    })
}

/// Evaluates `cfg` as `(dev)/boot/grub/grub.cfg`.
pub fn eval(cfg: &[u8], dev: &str, host: &FakeHost) -> Result<Evaluated, ConfigError> {
    evaluate(cfg, &ctx(dev, "/boot/grub/grub.cfg"), host)
}

pub fn fp(dev: &str, path: &str) -> FilePath {
    FilePath {
        device: dev.to_string(),
        path: path.to_string(),
        root: Default::default(),
    }
}

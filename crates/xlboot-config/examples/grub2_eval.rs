//! Evaluates a GRUB 2 config from the local file system, the way `grub-emu` sees it:
//! one device, `host`, whose paths are the host's. Prints what `echo` printed, then
//! `#DEFAULT=` and GRUB's `$chosen` for the default entry (ids, else titles, joined by
//! `>`), so the output can be compared with `grub-emu` running the same config with
//! entries that `echo CHOSEN=$chosen`. A development aid; never used by xlboot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;

use xlboot_config::grub2::{evaluate, EvalContext};
use xlboot_config::{ConfigHost, Device, FilePath, HostError};

#[path = "../tests/common/grub_chosen.rs"]
mod grub_chosen;
use grub_chosen::chosen;

/// With `all_files`, every device name is accepted and every file exists (to compare
/// configs written for another machine: only the choice and the arguments matter).
struct LocalHost {
    all_files: bool,
}

impl ConfigHost for LocalHost {
    fn devices(&self) -> Vec<Device> {
        vec![Device {
            name: "host".into(),
            fs_uuid: None,
            label: None,
        }]
    }
    fn canonical_device(&self, device: &str) -> Option<String> {
        (device == "host" || self.all_files).then(|| device.to_string())
    }
    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        if self.all_files && !file.path.starts_with("/tmp/") {
            return Ok(Some(1));
        }
        Ok(std::fs::metadata(&file.path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len()))
    }
    fn read_file(&self, file: &FilePath, max: usize) -> Result<Option<Vec<u8>>, HostError> {
        match std::fs::read(&file.path) {
            Ok(d) if d.len() <= max => Ok(Some(d)),
            Ok(_) => Err(HostError("too large".into())),
            Err(_) => Ok(None),
        }
    }
    fn dir_exists(&self, dir: &FilePath) -> Result<bool, HostError> {
        Ok(Path::new(&dir.path).is_dir())
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("a config path");
    let src = std::fs::read(&path).expect("readable config");
    let ctx = EvalContext {
        grub_platform: "emu".into(),
        ..EvalContext::new(FilePath {
            device: "host".into(),
            path: path.clone(),
            root: Default::default(),
        })
    };
    let host = LocalHost {
        all_files: std::env::var_os("GRUB2_EVAL_ALL_FILES").is_some(),
    };
    match evaluate(&src, &ctx, &host) {
        Ok(ev) => {
            for l in &ev.echoes {
                println!("{l}");
            }
            if let Some(p) = &ev.menu.default {
                println!("#DEFAULT={}", chosen(&ev.menu.items, p));
                match ev.menu.entry(p).map(|e| &e.boot) {
                    Some(Ok(b)) => {
                        println!("#LINUX {} {}", b.kernel.path, b.args);
                        let i: Vec<&str> = b.initrds.iter().map(|f| f.path.as_str()).collect();
                        println!("#INITRD {}", i.join(" "));
                    }
                    Some(Err(e)) => println!("#UNBOOTABLE {e}"),
                    None => {}
                }
            }
        }
        Err(e) => println!("ERROR {e}"),
    }
}

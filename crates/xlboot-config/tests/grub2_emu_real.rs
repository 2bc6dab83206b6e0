//! Real Debian 12 configs (tests/data/*.grub.cfg) with real environment blocks, booted
//! by real GRUB 2.06 (`grub-emu`, with `linux`/`initrd` replaced by functions that
//! print their arguments, and the graphical terminal switched off): the evaluator must
//! choose the same entry and produce the same kernel, arguments and initrds.
//! Data: tests/data/grub-emu/real-configs.txt (see the README in tests/data).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::grub_chosen::chosen;
use xlboot_config::grub2::{evaluate, EvalContext};
use xlboot_config::{ConfigHost, Device, FilePath, HostError};

/// Every device exists and every file in it (as in grub-emu, where the stand-in
/// `linux` never opens the kernel); the grubenv is served from the test data.
struct AnyHost {
    grubenv: Option<Vec<u8>>,
}

impl ConfigHost for AnyHost {
    fn devices(&self) -> Vec<Device> {
        Vec::new()
    }
    fn canonical_device(&self, device: &str) -> Option<String> {
        Some(device.to_string())
    }
    fn file_size(&self, file: &FilePath) -> Result<Option<u64>, HostError> {
        if file.path.ends_with("/grubenv") {
            return Ok(self.grubenv.as_ref().map(|g| g.len() as u64));
        }
        if file.path.ends_with("custom.cfg") {
            return Ok(None);
        }
        Ok(Some(1))
    }
    fn read_file(&self, file: &FilePath, _max: usize) -> Result<Option<Vec<u8>>, HostError> {
        if file.path.ends_with("/grubenv") {
            return Ok(self.grubenv.clone());
        }
        Ok(None)
    }
}

#[test]
fn same_entry_kernel_args_and_initrds_as_grub() {
    let table = String::from_utf8(common::data("grub-emu/real-configs.txt")).unwrap();
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.split('\t');
        let (name, env) = (f.next().unwrap(), f.next().unwrap());
        let mut grub: Vec<String> = f.map(str::to_string).collect();
        grub.sort();
        let host = AnyHost {
            grubenv: (!env.is_empty()).then(|| common::data(&format!("{env}.grubenv"))),
        };
        let ctx = EvalContext::new(FilePath {
            device: "hd0,msdos1".into(),
            path: "/boot/grub/grub.cfg".into(),
            root: Default::default(),
        });
        let ev = evaluate(&common::data(&format!("{name}.grub.cfg")), &ctx, &host)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = ev.menu.default.clone().unwrap();
        let b = ev.menu.entry(&path).unwrap().boot.clone().unwrap();
        let initrds: Vec<&str> = b.initrds.iter().map(|f| f.path.as_str()).collect();
        let mut mine = vec![
            format!("CHOSEN={}", chosen(&ev.menu.items, &path)),
            format!("INITRD {}", initrds.join(" ")),
            format!("LINUX {} {}", b.kernel.path, b.args),
        ];
        mine.sort();
        assert_eq!(mine, grub, "{name} with grubenv {env:?}");
        n += 1;
    }
    assert_eq!(n, 18);
}

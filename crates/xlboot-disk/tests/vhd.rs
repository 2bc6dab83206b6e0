//! VHD images made by the real `qemu-img` (`-O vpc`, fixed and dynamic, several block
//! sizes), read through xlboot's VHD layer; `qemu-img compare` is the oracle.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::FileDev;
use xlboot_disk::vhd::{Vhd, VhdError};
use xlboot_disk::BlockDevice;

fn tool(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn fixed_and_dynamic_vhds_read_as_qemu_reads_them() {
    if !common::have("qemu-img") {
        return;
    }
    let d = Dir(std::env::temp_dir().join(format!("xlboot-vhd-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&d.0);
    std::fs::create_dir_all(&d.0).unwrap();
    // 5 MiB with data, holes and an odd tail.
    let src = d.0.join("src.raw");
    let mut data = vec![0u8; 5 << 20];
    for (i, chunk) in data.chunks_mut(300_000).enumerate() {
        if i % 3 != 1 {
            chunk
                .iter_mut()
                .enumerate()
                .for_each(|(j, b)| *b = (i * 13 + j % 241) as u8);
        }
    }
    std::fs::write(&src, &data).unwrap();
    for (name, opts) in [
        ("fixed", "subformat=fixed"),
        ("dynamic", "subformat=dynamic"),
        ("forced", "subformat=dynamic,force_size=on"),
    ] {
        let img = d.0.join(format!("{name}.vhd"));
        tool(&[
            "qemu-img",
            "convert",
            "-f",
            "raw",
            "-O",
            "vpc",
            "-o",
            opts,
            s(&src),
            s(&img),
        ]);
        let v = Vhd::open(FileDev::open(&img)).unwrap();
        assert!(v.size() >= data.len() as u64, "{name}");
        let mut ours = vec![0u8; v.size() as usize];
        let mut off = 0;
        while off < ours.len() {
            let n = (ours.len() - off).min(70_001);
            v.read_exact_at(off as u64, &mut ours[off..off + n])
                .unwrap();
            off += n;
        }
        assert_eq!(&ours[..data.len()], &data[..], "{name}");
        let out = d.0.join(format!("{name}.ours"));
        std::fs::write(&out, &ours).unwrap();
        tool(&[
            "qemu-img",
            "compare",
            "-q",
            "-f",
            "raw",
            "-F",
            "vpc",
            s(&out),
            s(&img),
        ]);
    }
    // A damaged footer checksum on a fixed disk (no copy at the start): refused.
    let img = d.0.join("fixed.vhd");
    let mut bytes = std::fs::read(&img).unwrap();
    let n = bytes.len();
    bytes[n - 512 + 100] ^= 1;
    std::fs::write(&img, &bytes).unwrap();
    match Vhd::open(FileDev::open(&img)) {
        Err(VhdError::Corrupt(m)) => assert!(m.contains("checksum"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a damaged footer was accepted"),
    }
}

//! The chosen kernel checked before it is handed over (`--guest-type`,
//! `--require-guest-type`, `--debug`) and handed over decompressed
//! (`--uncompressed-kernel`), on real kernels: Debian's bzImages from the fixture
//! disks (xz and lz4), and their vmlinux made unfit for Xen by the real `objcopy`:
//! its `.notes` section removed (no Xen notes: neither PV nor PVH), or its
//! `XEN_ELFNOTE_PHYS32_ENTRY` note renumbered (a PV kernel without a PVH entry, as
//! Linux before 4.11). Those go on a disk made by `mke2fs -d` with a hand-written
//! grub.cfg. The decompressed copy must equal what the real `xz`/`lz4` make of the
//! bzImage's payload.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};

mod common;
use common::fixtures;

fn expect(name: &str, key: &str) -> String {
    let text = fs::read_to_string(fixtures().join(format!("{name}.expect"))).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{name}.expect has no {key}="))
        .to_string()
}

fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

fn run(cmd: &[&str]) {
    let out = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bzImage's payload (setup header `payload_offset`/`payload_length`) through the
/// real decompressor its `config-*` names. Linux appends the decompressed size after
/// the stream, which the tools may complain about; the output is what counts.
fn real_decompression(kernel: &Path) -> Vec<u8> {
    let image = fs::read(kernel).unwrap();
    let u32_at = |o: usize| u32::from_le_bytes(image[o..o + 4].try_into().unwrap()) as usize;
    let setup_sects = match image[0x1f1] {
        0 => 4,
        n => usize::from(n),
    };
    let start = (setup_sects + 1) * 512 + u32_at(0x248);
    let payload = &image[start..start + u32_at(0x24c)];
    let name = kernel.file_name().unwrap().to_str().unwrap();
    let config =
        fs::read_to_string(kernel.with_file_name(name.replace("vmlinuz-", "config-"))).unwrap();
    let tool: &[&str] = match config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_KERNEL_")?.strip_suffix("=y"))
        .unwrap()
    {
        "XZ" => &["xz", "-dc", "--single-stream"],
        "LZ4" => &["lz4", "-dc"],
        other => panic!("CONFIG_KERNEL_{other} not covered here"),
    };
    let mut child = Command::new(tool[0])
        .args(&tool[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = payload.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.stdout.starts_with(b"\x7fELF"), "{tool:?} gave no ELF");
    out.stdout
}

/// The disk of kernels unfit for Xen, built once per test run (and kept in cargo's
/// test scratch directory for the next run).
fn unfit_disk() -> &'static Path {
    static DISK: OnceLock<PathBuf> = OnceLock::new();
    DISK.get_or_init(|| {
        let kernel = fixtures().join("chroot/boot/vmlinuz-6.1.0-50-cloud-amd64");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "unfit-kernels-{}",
            &sha256(&fs::read(&kernel).unwrap())[..16]
        ));
        let disk = dir.join("disk.img");
        if disk.is_file() {
            return disk;
        }
        let _ = fs::remove_dir_all(&dir);
        let root = dir.join("root");
        fs::create_dir_all(root.join("boot/grub")).unwrap();
        let vmlinux = dir.join("vmlinux");
        fs::write(&vmlinux, real_decompression(&kernel)).unwrap();
        let v = vmlinux.to_str().unwrap();
        let noxen = root.join("boot/vmlinux-noxen");
        run(&["objcopy", "--remove-section=.notes", v, noxen.to_str().unwrap()]);

        // The PHYS32_ENTRY note (type 18) renumbered to a type Xen does not define.
        let notes = dir.join("notes.bin");
        let n = notes.to_str().unwrap();
        run(&["objcopy", "-O", "binary", "--only-section=.notes", v, n]);
        let mut bytes = fs::read(&notes).unwrap();
        let mut at = 0;
        let mut renumbered = 0;
        while at + 12 <= bytes.len() {
            let word = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize;
            let (namesz, descsz, kind) = (word(at), word(at + 4), word(at + 8));
            if &bytes[at + 12..at + 15] == b"Xen" && kind == 18 {
                bytes[at + 8..at + 12].copy_from_slice(&0x7fffu32.to_le_bytes());
                renumbered += 1;
            }
            at += 12 + namesz.div_ceil(4) * 4 + descsz.div_ceil(4) * 4;
        }
        assert_eq!(renumbered, 1);
        fs::write(&notes, bytes).unwrap();
        let nopvh = root.join("boot/vmlinux-nopvh");
        run(&[
            "objcopy",
            &format!("--update-section=.notes={n}"),
            v,
            nopvh.to_str().unwrap(),
        ]);
        fs::remove_file(&vmlinux).unwrap();
        fs::write(
            root.join("boot/grub/grub.cfg"),
            "set default=2\nset timeout=5\n\
             menuentry 'no Xen notes' --id noxen { linux /boot/vmlinux-noxen root=/dev/xvda ro }\n\
             menuentry 'no PVH entry' --id nopvh { linux /boot/vmlinux-nopvh root=/dev/xvda ro }\n\
             menuentry 'missing kernel' --id missing { linux /boot/vmlinuz-missing root=/dev/xvda ro }\n",
        )
        .unwrap();
        let tmp = dir.join("disk.img.tmp");
        run(&[
            "mke2fs",
            "-q",
            "-F",
            "-t",
            "ext4",
            "-L",
            "unfit",
            "-d",
            root.to_str().unwrap(),
            tmp.to_str().unwrap(),
            "160M",
        ]);
        fs::rename(&tmp, &disk).unwrap();
        disk
    })
}

fn host_file(name: &str) -> PathBuf {
    unfit_disk().parent().unwrap().join("root/boot").join(name)
}

/// A fresh output directory and reply file, as libxl makes them.
struct Run {
    base: PathBuf,
    out: Output,
}

impl Run {
    fn new(tag: &str, image: &Path, extra: &[&str]) -> Run {
        let base =
            std::env::temp_dir().join(format!("xlboot-handover-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("d")).unwrap();
        fs::write(base.join("out"), b"").unwrap();
        let out_arg = format!("--output={}", base.join("out").display());
        let dir_arg = format!("--output-directory={}", base.join("d").display());
        let mut args = vec!["-q", &out_arg, "--output-format=simple0", &dir_arg];
        args.extend(extra);
        args.push(image.to_str().unwrap());
        let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
            .args(&args)
            .output()
            .unwrap();
        Run { base, out }
    }

    fn stderr(&self) -> String {
        String::from_utf8(self.out.stderr.clone()).unwrap()
    }

    fn reply(&self) -> BTreeMap<String, String> {
        assert!(self.out.status.success(), "{}", self.stderr());
        let reply = String::from_utf8(fs::read(self.base.join("out")).unwrap()).unwrap();
        reply
            .split('\0')
            .filter(|i| !i.is_empty())
            .map(|i| {
                let (k, v) = i.split_once(' ').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    fn kernel_sha(&self) -> String {
        sha256(&fs::read(&self.reply()["kernel"]).unwrap())
    }

    /// Exit 1, one line, nothing written, nothing left.
    fn assert_clean_failure(&self, line: &str) {
        assert_eq!(self.out.status.code(), Some(1), "{}", self.stderr());
        assert_eq!(self.stderr(), format!("{line}\n"));
        assert!(self.out.stdout.is_empty());
        assert!(fs::read(self.base.join("out")).unwrap().is_empty());
        assert_eq!(fs::read_dir(self.base.join("d")).unwrap().count(), 0);
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

const NO_XEN: &str = "no Xen ELF notes and no __xen_guest section: not built for Xen";
const NO_PVH: &str = "no XEN_ELFNOTE_PHYS32_ENTRY note: no PVH entry point";

#[test]
fn inspect_reports_unfit_kernels_and_goes_on_past_a_missing_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(["inspect", "--json", unfit_disk().to_str().unwrap()])
        .output()
        .unwrap();
    // The default entry's kernel is missing: the report is printed, the run fails.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "xlboot: inspect: the default entry's kernel and initrds could not all be read (see the problems above)\n"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["complete"], false);
    assert_eq!(r["disks"][0]["partition_table"]["scheme"], "none");
    assert_eq!(r["volumes"][0]["filesystem"]["label"], "unfit");
    let items = &r["menu"]["items"];
    assert_eq!(r["menu"]["default"], "2");

    let noxen = &items[0]["boot"]["kernel"];
    let bytes = fs::read(host_file("vmlinux-noxen")).unwrap();
    assert_eq!(noxen["sha256"], sha256(&bytes));
    assert_eq!(noxen["size"], bytes.len());
    assert_eq!(noxen["format"], "ELF");
    assert_eq!(noxen["compression"], Value::Null);
    assert_eq!(noxen["version"], Value::Null);
    assert_eq!(noxen["elf"]["size"], bytes.len());
    assert_eq!(noxen["xen"], Value::Null);
    assert_eq!(noxen["capability"]["pv"]["ok"], false);
    assert_eq!(noxen["capability"]["pv"]["reason"], NO_XEN);
    assert_eq!(noxen["capability"]["pvh"]["ok"], false);
    assert_eq!(
        noxen["capability"]["pvh"]["reason"],
        "no Xen ELF notes: not built for Xen"
    );

    let nopvh = &items[1]["boot"]["kernel"];
    assert_eq!(nopvh["xen"]["source"], "note-segments");
    assert_eq!(nopvh["xen"]["guest_os"], "linux");
    assert_eq!(nopvh["xen"]["phys32_entry"], Value::Null);
    assert_eq!(nopvh["capability"]["pv"]["ok"], true);
    assert_eq!(nopvh["capability"]["pv"]["guest_type"], "xen-3.0-x86_64");
    assert_eq!(nopvh["capability"]["pvh"]["ok"], false);
    assert_eq!(nopvh["capability"]["pvh"]["reason"], NO_PVH);

    // The evaluator already finds the kernel missing: the entry cannot be booted.
    let missing = &items[2];
    assert_eq!(missing["boot"], Value::Null);
    assert_eq!(
        missing["error"],
        "kernel (hd0)/boot/vmlinuz-missing not found"
    );
    assert_eq!(
        r["problems"],
        serde_json::json!(["entry 2 'missing kernel': cannot be booted: kernel (hd0)/boot/vmlinuz-missing not found"])
    );
}

#[test]
fn guest_type_warns_and_boots_anyway() {
    let disk = unfit_disk();
    let r = Run::new("noxen-pv", disk, &["--entry=noxen", "--guest-type=pv"]);
    assert_eq!(
        r.stderr(),
        format!("xlboot: warning: the kernel (hd0)/boot/vmlinux-noxen of 'no Xen notes' cannot boot as PV: {NO_XEN}; booting it anyway\n")
    );
    assert_eq!(
        r.kernel_sha(),
        sha256(&fs::read(host_file("vmlinux-noxen")).unwrap())
    );
    assert_eq!(r.reply()["args"], "root=/dev/xvda ro");

    let r = Run::new("nopvh-pvh", disk, &["--entry=nopvh", "--guest-type=pvh"]);
    assert_eq!(
        r.stderr(),
        format!("xlboot: warning: the kernel (hd0)/boot/vmlinux-nopvh of 'no PVH entry' cannot boot as PVH: {NO_PVH}; booting it anyway\n")
    );
    assert_eq!(
        r.kernel_sha(),
        sha256(&fs::read(host_file("vmlinux-nopvh")).unwrap())
    );

    // The same kernel as PV: nothing to say.
    let r = Run::new("nopvh-pv", disk, &["--entry=nopvh", "--guest-type=pv"]);
    assert_eq!(r.stderr(), "");
    r.reply();
}

#[test]
fn require_guest_type_makes_it_fatal() {
    let disk = unfit_disk();
    Run::new(
        "nopvh-strict",
        disk,
        &["--entry=nopvh", "--guest-type=pvh", "--require-guest-type"],
    )
    .assert_clean_failure(&format!(
        "xlboot: the kernel (hd0)/boot/vmlinux-nopvh of 'no PVH entry' cannot boot as PVH: {NO_PVH} (--require-guest-type)"
    ));
    Run::new(
        "noxen-strict",
        disk,
        &["--entry=noxen", "--guest-type=pv", "--require-guest-type"],
    )
    .assert_clean_failure(&format!(
        "xlboot: the kernel (hd0)/boot/vmlinux-noxen of 'no Xen notes' cannot boot as PV: {NO_XEN} (--require-guest-type)"
    ));
    // A Debian kernel passes, and boots unchanged.
    let r = Run::new(
        "debian-strict",
        &fixtures().join("demo.img"),
        &["--guest-type=pvh", "--require-guest-type"],
    );
    assert_eq!(r.stderr(), "");
    assert_eq!(r.kernel_sha(), expect("demo", "kernel_sha256"));
}

#[test]
fn debug_says_what_the_kernel_is() {
    let r = Run::new(
        "nopvh-debug",
        unfit_disk(),
        &["--entry=nopvh", "--guest-type=pvh", "--debug"],
    );
    let size = fs::metadata(host_file("vmlinux-nopvh")).unwrap().len();
    let err = r.stderr();
    let want = format!(
        "xlboot: debug: kernel (hd0)/boot/vmlinux-nopvh: ELF, not compressed; ELF 64-bit machine x86-64, {size} bytes; \
         Xen notes (PT_NOTE segments): guest_os=linux loader=generic xen_version=xen-3.0 pae_mode=yes \
         features=!writable_page_tables|pae_pgdir_above_4gb; PV: yes (xen-3.0-x86_64), PVH: no ({NO_PVH})\n"
    );
    assert!(err.contains(&want), "{err}");

    let r = Run::new("debian-debug", &fixtures().join("demo.img"), &["--debug"]);
    let kernel = fixtures().join("chroot/boot/vmlinuz-6.1.0-50-amd64");
    let err = r.stderr();
    assert!(
        err.contains(
            "xlboot: debug: kernel (hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64: bzImage (boot protocol 2.15), xz compressed, version 6.1.0-50-amd64 (debian-kernel@lists.debian.org)"
        ),
        "{err}"
    );
    assert!(
        err.contains("phys32_entry=0x1000850; PV: yes (xen-3.0-x86_64), PVH: yes\n"),
        "{err}"
    );
    assert_eq!(r.kernel_sha(), sha256(&fs::read(kernel).unwrap()));
}

#[test]
fn uncompressed_kernel_is_the_real_decompression_of_the_payload() {
    for (image, entry, kernel) in [
        ("demo", None, "vmlinuz-6.1.0-50-amd64"),
        (
            "mbr-title",
            Some("--entry=0"),
            "vmlinuz-6.1.0-50-cloud-amd64",
        ),
    ] {
        let mut extra = vec!["--uncompressed-kernel"];
        extra.extend(entry);
        let r = Run::new(
            &format!("elf-{image}"),
            &fixtures().join(format!("{image}.img")),
            &extra,
        );
        let oracle = real_decompression(&fixtures().join("chroot/boot").join(kernel));
        assert_eq!(r.kernel_sha(), sha256(&oracle), "{image}");
        let reply = r.reply();
        let name = Path::new(&reply["kernel"])
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        assert!(name.starts_with("boot_kernel.") && name.len() == "boot_kernel.".len() + 8);
        if entry.is_none() {
            assert_eq!(
                sha256(&fs::read(&reply["ramdisk"]).unwrap()),
                expect(image, "initrd_sha256")
            );
            assert_eq!(reply["args"], expect(image, "args"));
        }
    }
}

#[test]
fn uncompressed_kernel_over_the_size_limit_is_refused_and_cleaned_up() {
    // The 8 MiB image fits in 32 MiB; its 63 MiB vmlinux does not.
    let r = Run::new(
        "elf-too-big",
        &fixtures().join("demo.img"),
        &["--uncompressed-kernel", "--max-kernel-size=32M"],
    );
    assert_eq!(r.out.status.code(), Some(1));
    let err = r.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "xlboot: --uncompressed-kernel: cannot unpack the kernel (hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64: kernel payload (xz): "
        ),
        "{err}"
    );
    assert_eq!(fs::read_dir(r.base.join("d")).unwrap().count(), 0);
}

//! The command line's contract with libxl and with scripts: failures are one line on
//! stderr and a non-zero exit, leave nothing behind, and never look like success.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xlboot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xlboot-cli-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("out")).unwrap();
    d
}

/// Asserts a clean failure: exit 1, one line on stderr naming the problem, nothing
/// on stdout, no files left in the output directory.
fn assert_clean_failure(out: &Output, dir: &Path, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    assert_eq!(stderr.lines().count(), 1, "want one line, got: {stderr}");
    assert!(
        stderr.starts_with("xlboot: ") && stderr.contains(needle),
        "{stderr}"
    );
    let left: Vec<_> = fs::read_dir(dir.join("out")).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

fn run_on(dir: &Path, image: &str, extra: &[&str]) -> Output {
    let out_dir = format!("--output-directory={}", dir.join("out").display());
    let mut args = vec!["-q", "--output-format=simple0", out_dir.as_str()];
    args.extend(extra);
    args.push(image);
    xlboot(&args)
}

#[test]
fn missing_image() {
    let d = scratch("missing");
    let out = run_on(&d, "/nonexistent/disk.img", &[]);
    assert_clean_failure(&out, &d, "cannot open the disk image /nonexistent/disk.img");
}

#[test]
fn disk_without_filesystem() {
    let d = scratch("zeros");
    let img = d.join("zeros.img");
    fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    let out = run_on(&d, img.to_str().unwrap(), &[]);
    assert_clean_failure(&out, &d, "no volume holds a filesystem xlboot can read");
}

/// Runs a real tool, or says why the test is skipped (None) when it is not installed.
fn tool(args: &[&str]) -> Option<()> {
    match Command::new(args[0]).args(&args[1..]).output() {
        Ok(o) if o.status.success() => Some(()),
        Ok(o) => panic!("{args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            assert!(
                std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
                "{} is required (XLBOOT_REQUIRE_TOOLS is set)",
                args[0]
            );
            eprintln!("skipping: {} not installed", args[0]);
            None
        }
    }
}

#[test]
fn encrypted_swap_empty_and_foreign_image_disks_say_what_they_hold() {
    // The Debian installer's encrypted layout without a separate /boot: a LUKS2
    // container (cryptsetup) in msdos1, swap (mkswap) in msdos2, made on files.
    let d = scratch("luks");
    let luks = d.join("luks.part");
    let swap = d.join("swap.part");
    fs::File::create(&luks).unwrap().set_len(32 << 20).unwrap();
    fs::File::create(&swap).unwrap().set_len(4 << 20).unwrap();
    let key = d.join("key");
    fs::write(&key, "guest passphrase").unwrap();
    let (l, sw, k) = (
        luks.to_str().unwrap(),
        swap.to_str().unwrap(),
        key.to_str().unwrap(),
    );
    let made = tool(&[
        "cryptsetup",
        "luksFormat",
        "--batch-mode",
        "--type",
        "luks2",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        k,
        l,
    ])
    .and_then(|()| tool(&["mkswap", "-q", sw]));
    if made.is_none() {
        return;
    }
    let img = d.join("disk.img");
    let mut disk = vec![0u8; 1 << 20];
    disk.extend(fs::read(&luks).unwrap());
    disk.extend(fs::read(&swap).unwrap());
    fs::write(&img, &disk).unwrap();
    let table = "label: dos\nunit: sectors\n\nstart=2048, size=65536, type=83\nstart=67584, size=8192, type=82\n";
    let mut sfdisk = Command::new("sfdisk")
        .args([
            "-q",
            "--no-reread",
            "--no-tell-kernel",
            img.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sfdisk (fdisk)");
    use std::io::Write;
    sfdisk
        .stdin
        .take()
        .unwrap()
        .write_all(table.as_bytes())
        .unwrap();
    assert!(sfdisk.wait().unwrap().success());
    let out = run_on(&d, img.to_str().unwrap(), &[]);
    assert_clean_failure(
        &out,
        &d,
        "(hd0,msdos1): unsupported: no filesystem xlboot can read: encrypted (a LUKS2 container)",
    );
    assert_clean_failure(
        &out,
        &d,
        "(hd0,msdos2): unsupported: no filesystem xlboot can read: Linux swap space",
    );
    // The container alone, as a whole disk; and an empty disk.
    let out = run_on(&d, l, &[]);
    assert_clean_failure(
        &out,
        &d,
        "(hd0): unsupported: no filesystem xlboot can read: encrypted (a LUKS2 container)",
    );
    let empty = d.join("empty.img");
    fs::write(&empty, b"").unwrap();
    let out = run_on(&d, empty.to_str().unwrap(), &[]);
    assert_clean_failure(
        &out,
        &d,
        "(hd0): unsupported: no filesystem xlboot can read: empty (0 bytes)",
    );
    // Disk image formats xlboot does not read, made by qemu-img from the disk above.
    for (format, name) in [
        ("qed", "QED"),
        ("vmdk", "VMDK"),
        ("vdi", "VDI"),
        ("vhdx", "VHDX"),
        ("parallels", "Parallels"),
    ] {
        let conv = d.join(format!("disk.{format}"));
        let c = conv.to_str().unwrap();
        if tool(&[
            "qemu-img",
            "convert",
            "-O",
            format,
            img.to_str().unwrap(),
            c,
        ])
        .is_none()
        {
            break;
        }
        let out = run_on(&d, c, &[]);
        assert_clean_failure(&out, &d, &format!("(hd0): unsupported: no filesystem xlboot can read: a {name} disk image, a format xlboot does not read"));
    }
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_partition_running_past_the_end_of_a_cut_disk_still_boots() {
    // A disk whose table (sfdisk) says 64 MiB for msdos1 but whose file was cut after
    // the ext4 (mke2fs -d) inside it, as when an image is copied onto a smaller
    // volume: Linux cuts the partition at the end, GRUB and pygrub read it, and the
    // files before the cut boot.
    let d = scratch("cut");
    let root = d.join("root");
    fs::create_dir_all(root.join("boot/grub")).unwrap();
    fs::write(
        root.join("boot/grub/grub.cfg"),
        "menuentry 'cut' {\n\tlinux /boot/vmlinuz root=/dev/xvda1 ro\n\tinitrd /boot/initrd.img\n}\n",
    )
    .unwrap();
    fs::write(root.join("boot/vmlinuz"), vec![0x4b; 300_000]).unwrap();
    fs::write(root.join("boot/initrd.img"), vec![0x49; 200_000]).unwrap();
    let fs_img = d.join("root.fs");
    let (r, f) = (root.to_str().unwrap(), fs_img.to_str().unwrap());
    if tool(&["mke2fs", "-q", "-F", "-t", "ext4", "-d", r, f, "8M"]).is_none() {
        return;
    }
    let img = d.join("disk.img");
    fs::File::create(&img).unwrap().set_len(65 << 20).unwrap();
    let mut sfdisk = Command::new("sfdisk")
        .args([
            "-q",
            "--no-reread",
            "--no-tell-kernel",
            img.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sfdisk (fdisk)");
    use std::io::Write;
    sfdisk
        .stdin
        .take()
        .unwrap()
        .write_all(b"label: dos\nunit: sectors\n\nstart=2048, size=131072, type=83\n")
        .unwrap();
    assert!(sfdisk.wait().unwrap().success());
    let mut disk = fs::read(&img).unwrap();
    disk.truncate(1 << 20);
    disk.extend(fs::read(&fs_img).unwrap());
    fs::write(&img, &disk).unwrap();
    let out = xlboot(&["-q", "-n", "--output-format=simple", img.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        [
            "kernel (hd0,msdos1)/boot/vmlinuz",
            "ramdisk (hd0,msdos1)/boot/initrd.img",
            "args root=/dev/xvda1 ro",
            "",
        ]
    );
    // Cut inside the filesystem, before the kernel's blocks: a read error, one line.
    let kernel_at = disk
        .windows(4096)
        .position(|w| w.iter().all(|&b| b == 0x4b))
        .unwrap();
    fs::write(&img, &disk[..kernel_at]).unwrap();
    let out = run_on(&d, img.to_str().unwrap(), &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn md_members_and_lvm_pvs_are_named_not_called_blank() {
    // The fixtures made by mdadm (superblock 1.2, 4 KiB in, where the first block is
    // still zero) and lvm2 in a real kernel: each member partition says what it is.
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    for (image, line) in [
        ("md.img", "(hd0,msdos1) at byte 1048576: unsupported: no filesystem xlboot can read: an md RAID member"),
        ("lvm.img", "(hd0,msdos1) at byte 1048576: unsupported: no filesystem xlboot can read: an LVM2 physical volume"),
    ] {
        let img = dir.join(image);
        if !img.is_file() {
            eprintln!("skipping: no {}", img.display());
            continue;
        }
        let out = xlboot(&["inspect", img.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(line)), "{image}: want {line:?} in\n{stdout}");
    }
}

#[test]
fn output_file_must_exist() {
    let d = scratch("output");
    let img = d.join("zeros.img");
    fs::write(&img, vec![0u8; 4096]).unwrap();
    let missing = format!("--output={}", d.join("no-such-file").display());
    let out = run_on(&d, img.to_str().unwrap(), &[&missing]);
    assert_clean_failure(&out, &d, "cannot open the output file");
    assert!(
        !d.join("no-such-file").exists(),
        "the output file must not be created"
    );
}

#[test]
fn runas_needs_quiet() {
    let d = scratch("runas");
    let img = d.join("zeros.img");
    fs::write(&img, vec![0u8; 4096]).unwrap();
    let out_dir = format!("--output-directory={}", d.join("out").display());
    let out = xlboot(&["--runas=65534", &out_dir, img.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--runas, you must also set --entry or -q")
    );
}

#[test]
fn usage_errors_exit_1() {
    for args in [
        &[][..],
        &["--output-format=json", "x"],
        &["--bogus", "x"],
        &["--outp=x", "x"],
    ] {
        let out = xlboot(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage:"),
            "{args:?}"
        );
    }
}

/// A mistyped `bootloader_args` is one line in libxl's log too.
#[test]
fn usage_errors_are_one_line() {
    for args in [&[][..], &["--bogus", "x"], &["-x", "d"], &["d", "--entry"]] {
        let out = xlboot(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("xlboot: "), "{stderr}");
    }
}

#[test]
fn help_and_version() {
    let out = xlboot(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--output-format"));
    let out = xlboot(&["--version"]);
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        version.starts_with(&format!("xlboot {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    // Built from this checkout: the commit is HEAD's (build.rs reruns when HEAD moves).
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert!(version.contains(&format!("(commit {head}, ")), "{version}");
    }
}

/// `--isconfig` on a directory of Boot Loader Specification entries prints the entry
/// the specification's ordering puts first (newest version).
#[test]
fn isconfig_on_a_bls_directory() {
    let d = scratch("bls");
    let entries = d.join("entries");
    fs::create_dir_all(&entries).unwrap();
    for v in ["6.9.1", "6.10.2"] {
        fs::write(
            entries.join(format!("abc-{v}.conf")),
            format!("title Fedora ({v})\nversion {v}\nlinux /vmlinuz-{v}\ninitrd /initramfs-{v}.img\noptions ro v={v}\n"),
        )
        .unwrap();
    }
    let out = xlboot(&["--isconfig", "-q", entries.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "  kernel: /vmlinuz-6.10.2\n  initrd: /initramfs-6.10.2.img\n  args: ro v=6.10.2\n"
    );
}

/// `--isconfig` on a file named `menu.lst` or `grub.conf` reads it as GRUB legacy
/// (`default=1`, `title`, `kernel` with its arguments, `initrd`).
#[test]
fn isconfig_on_a_grub_legacy_config() {
    let d = scratch("legacy");
    for name in ["menu.lst", "grub.conf"] {
        let cfg = d.join(name);
        fs::write(
            &cfg,
            "default=1\ntimeout=5\nhiddenmenu\ntitle A\n\troot (hd0,0)\n\tkernel /vmlinuz-a ro root=/dev/xvda2\n\
             title B\n\troot (hd0,0)\n\tkernel /vmlinuz-b ro root=/dev/xvda2 quiet\n\tinitrd /initrd-b.img\n",
        )
        .unwrap();
        let out = xlboot(&["--isconfig", "-q", cfg.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "  kernel: /vmlinuz-b\n  initrd: /initrd-b.img\n  args: ro root=/dev/xvda2 quiet\n"
        );
    }
}

/// `--isconfig` on a file named `lilo.conf` reads it as LILO: the default label, the
/// command line LILO's second stage passes.
#[test]
fn isconfig_on_a_lilo_conf() {
    let d = scratch("lilo");
    let cfg = d.join("lilo.conf");
    fs::write(
        &cfg,
        "prompt\ntimeout=50\ndefault=old\nappend=\"console=hvc0\"\nread-only\nroot=/dev/xvda1\n\
         image=/boot/vmlinuz\n\tlabel=linux\n\tinitrd=/boot/initrd.img\n\
         image=/boot/vmlinuz.old\n\tlabel=old\n\tinitrd=/boot/initrd.img.old\n",
    )
    .unwrap();
    let out = xlboot(&["--isconfig", "-q", cfg.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "  kernel: /boot/vmlinuz.old\n  initrd: /boot/initrd.img.old\n  args: auto BOOT_IMAGE=old ro root=ca01 console=hvc0\n"
    );
}

#[test]
fn an_esp_holding_only_unified_kernel_images_says_unsupported() {
    // A UKI made as systemd 252's documentation makes one (objcopy adds the sections
    // to systemd-boot-efi's stub), on a FAT ESP (mkfs.vfat, mcopy) in /EFI/Linux, with
    // loader.conf and no type #1 entry: systemd-boot would list it; xlboot says what
    // it cannot boot instead of "no boot config found".
    let d = scratch("uki");
    let stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
    if !Path::new(stub).exists() {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "{stub} is required (systemd-boot-efi; XLBOOT_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipping: {stub} not installed");
        return;
    }
    for (name, text) in [
        ("cmdline", "root=/dev/xvda2 ro console=hvc0"),
        (
            "osrel",
            "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        ),
        (
            "linux",
            "not a kernel: only the section's place matters here",
        ),
        ("loader.conf", "timeout 3\n"),
    ] {
        fs::write(d.join(name), text).unwrap();
    }
    let at = |p: &str| d.join(p).to_str().unwrap().to_string();
    let (uki, esp) = (at("debian.efi"), at("esp.img"));
    let sections = [
        ("osrel", "0x20000"),
        ("cmdline", "0x30000"),
        ("linux", "0x2000000"),
    ];
    let mut objcopy = vec!["objcopy".to_string()];
    for (s, vma) in sections {
        objcopy.push(format!("--add-section=.{s}={}", at(s)));
        objcopy.push(format!("--change-section-vma=.{s}={vma}"));
    }
    objcopy.extend([stub.to_string(), uki.clone()]);
    let objcopy: Vec<&str> = objcopy.iter().map(String::as_str).collect();
    let mtools = |args: &[&str]| {
        let mut a = vec!["env", "MTOOLS_SKIP_CHECK=1", args[0], "-i", esp.as_str()];
        a.extend(&args[1..]);
        tool(&a)
    };
    if tool(&objcopy).is_none()
        || tool(&["truncate", "-s", "40M", &esp]).is_none()
        || tool(&["mkfs.vfat", "-F", "32", &esp]).is_none()
        || mtools(&["mmd", "::/EFI", "::/EFI/Linux", "::/loader"]).is_none()
        || mtools(&["mcopy", &uki, "::/EFI/Linux/debian-6.1.0-50-amd64.efi"]).is_none()
        || mtools(&["mcopy", &at("loader.conf"), "::/loader/loader.conf"]).is_none()
    {
        return;
    }
    let out = run_on(&d, &esp, &[]);
    assert_clean_failure(
        &out,
        &d,
        "(hd0)/EFI/Linux: unsupported: Unified Kernel Images (debian-6.1.0-50-amd64.efi), \
         the only boot entries found, are not booted",
    );
    let _ = fs::remove_dir_all(&d);
}

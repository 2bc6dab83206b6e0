//! End-to-end tests on guest disks built by the real tools (scripts/fixtures/build):
//! real Debian 12 kernels and initrds, grub.cfg from the real grub-mkconfig, grubenv
//! from the real grub-editenv, partition tables from sfdisk and sgdisk, filesystems
//! from mke2fs. Each image comes with a `.expect` file saying which entry GRUB boots
//! and what that entry's files hash to; these tests check xlboot's answer against it,
//! byte for byte, and Debian's pygrub's answer where pygrub gets it right.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{fixtures, sha256_file};

/// One image's expected answer.
#[derive(Debug)]
struct Expect {
    name: String,
    image: PathBuf,
    fields: BTreeMap<String, String>,
}

impl Expect {
    fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("{}.expect has no {key}=", self.name))
    }

    /// `--disk=` for each of the guest's further disks (`disks=`: images beside this
    /// one, xl.cfg's xvdb, xvdc, ...), none for a guest of one disk.
    fn disk_args(&self) -> Vec<String> {
        let dir = self.image.parent().unwrap();
        self.fields
            .get("disks")
            .map(|d| {
                d.split_whitespace()
                    .map(|f| format!("--disk={}", dir.join(f).display()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn expectations() -> Vec<Expect> {
    let dir = fixtures();
    let mut all: Vec<Expect> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".expect")?
                .to_string();
            let fields = fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Some(Expect {
                image: dir.join(format!("{name}.img")),
                name,
                fields,
            })
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        all.len() >= 5,
        "expected several fixture images, found {}",
        all.len()
    );
    all
}

fn xlboot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .args(args)
        .output()
        .unwrap()
}

/// A fresh output directory and an empty, pre-created reply file, as libxl makes them.
fn libxl_dirs(tag: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("xlboot-test-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    let out_dir = base.join("d");
    fs::create_dir_all(&out_dir).unwrap();
    let out_file = base.join("out");
    fs::write(&out_file, b"").unwrap();
    (out_dir, out_file)
}

/// Parses a simple0 reply into its items.
fn parse_simple0(reply: &[u8]) -> BTreeMap<String, String> {
    assert!(
        reply.ends_with(b"\0\0"),
        "reply not terminated by an empty item: {reply:?}"
    );
    let text = std::str::from_utf8(reply).unwrap();
    text.split('\0')
        .filter(|i| !i.is_empty())
        .map(|i| {
            let (k, v) = i.split_once(' ').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Runs a boot loader the way libxl does and returns (kernel sha, initrd sha, args).
fn boot_like_libxl(
    loader: &[&str],
    image: &Path,
    tag: &str,
    extra: &[&str],
) -> (String, Option<String>, String) {
    let (out_dir, out_file) = libxl_dirs(tag);
    let out_arg = format!("--output={}", out_file.display());
    let dir_arg = format!("--output-directory={}", out_dir.display());
    let mut args: Vec<&str> = loader[1..].to_vec();
    args.extend(["-q", &out_arg, "--output-format=simple0", &dir_arg]);
    args.extend(extra);
    let image = image.to_str().unwrap();
    args.push(image);
    let out = Command::new(loader[0]).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{loader:?} failed on {image}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = parse_simple0(&fs::read(&out_file).unwrap());
    let kernel = PathBuf::from(&reply["kernel"]);
    assert_eq!(kernel.parent().unwrap(), out_dir);
    let kernel_name = kernel.file_name().unwrap().to_str().unwrap();
    assert!(
        kernel_name.starts_with("boot_kernel.") && kernel_name.len() == "boot_kernel.".len() + 8
    );
    let initrd = reply.get("ramdisk").map(|r| sha256_file(Path::new(r)));
    let result = (
        sha256_file(&kernel),
        initrd,
        reply.get("args").cloned().unwrap_or_default(),
    );
    let _ = fs::remove_dir_all(out_dir.parent().unwrap());
    result
}

/// Boots `e` with xlboot as libxl would, with `extra` options, and checks the answer
/// against the expectation: kernel and initrd hashes and the exact command line.
fn assert_boots_expected(e: &Expect, tag: &str, extra: &[&str]) {
    let disks = e.disk_args();
    let mut extra = extra.to_vec();
    extra.extend(disks.iter().map(String::as_str));
    let (kernel, initrd, args) =
        boot_like_libxl(&[env!("CARGO_BIN_EXE_xlboot")], &e.image, tag, &extra);
    assert_eq!(kernel, e.get("kernel_sha256"), "{}: kernel", e.name);
    assert_eq!(
        initrd.as_deref(),
        Some(e.get("initrd_sha256")),
        "{}: initrd",
        e.name
    );
    assert_eq!(args, e.get("args"), "{}: args", e.name);
}

#[test]
fn boots_the_entry_grub_boots_on_every_image() {
    for e in expectations() {
        assert_boots_expected(&e, &e.name, &[]);
    }
}

#[test]
fn lists_entries_and_marks_the_default() {
    for e in expectations() {
        let disks = e.disk_args();
        let mut args = vec!["-l", e.image.to_str().unwrap()];
        args.extend(disks.iter().map(String::as_str));
        let out = xlboot(&args);
        assert!(
            out.status.success(),
            "{}: {}",
            e.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8(out.stdout).unwrap();
        let blocks: Vec<&str> = listing.split("title: ").skip(1).collect();
        let defaults: Vec<&&str> = blocks
            .iter()
            .filter(|b| b.contains("\n  default: yes\n"))
            .collect();
        assert_eq!(defaults.len(), 1, "{}: one default in\n{listing}", e.name);
        let title = defaults[0].lines().next().unwrap();
        assert_eq!(title, e.get("title"), "{}: default title", e.name);
        assert!(
            defaults[0].contains(&format!("\n  kernel: {}\n", e.get("kernel"))),
            "{}",
            e.name
        );
    }
}

#[test]
fn entry_option_selects_by_title_path() {
    // Booting the expected entry by naming it must give the same answer as the default.
    for e in expectations() {
        // `entry=`: an id, for images whose entries share their titles (BLS).
        let name = e.fields.get("entry").map_or(e.get("title"), String::as_str);
        let entry = format!("--entry={name}");
        assert_boots_expected(&e, &format!("{}-entry", e.name), &[&entry]);
    }
}

/// Debian's pygrub, side by side, on the images where it boots the right entry: same
/// kernel, same initrd, same command line up to the spacing GRUB normalises (pygrub
/// passes the rest of the `linux` line verbatim, GRUB joins its words with one space).
#[test]
fn matches_debian_pygrub_where_pygrub_is_right() {
    let pygrub = "/usr/lib/xen-4.17/bin/pygrub";
    assert!(
        Path::new(pygrub).exists(),
        "Debian's pygrub is missing: apt-get install xen-utils-4.17"
    );
    let mut compared = 0;
    for e in expectations()
        .into_iter()
        .filter(|e| e.get("pygrub_ok") == "yes")
    {
        let ours = boot_like_libxl(
            &[env!("CARGO_BIN_EXE_xlboot")],
            &e.image,
            &format!("{}-x", e.name),
            &[],
        );
        let theirs = boot_like_libxl(&[pygrub], &e.image, &format!("{}-p", e.name), &[]);
        assert_eq!(ours.0, theirs.0, "{}: kernel differs from pygrub's", e.name);
        assert_eq!(ours.1, theirs.1, "{}: initrd differs from pygrub's", e.name);
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            ours.2,
            words(&theirs.2),
            "{}: args differ from pygrub's",
            e.name
        );
        compared += 1;
    }
    assert!(compared >= 2, "only {compared} images compared with pygrub");
}

fn expectation(name: &str) -> Expect {
    expectations()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// A btrfs over four whole disks (RAID0 data, RAID10 metadata): with all of them it
/// boots as the other tests check; with its first disk alone (libxl hands a boot
/// loader only that one) the refusal names the devices missing, and says unsupported.
#[test]
fn multi_device_btrfs_needs_its_other_disks() {
    let e = expectation("btrfs-multi");
    assert_eq!(e.disk_args().len(), 3, "btrfs-multi: three further disks");
    let out = xlboot(&["-n", "-q", e.image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported: btrfs: logical address "),
        "{err}"
    );
    assert!(
        err.contains("a device not found among the guest's disks"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `--kernel`/`--ramdisk`/`--args`: the config is not read, the files come from the
/// first volume with a filesystem, the command line is `--args` verbatim.
#[test]
fn given_kernel_and_ramdisk() {
    let e = expectation("sepboot");
    let kernel = format!("--kernel={}", e.get("kernel"));
    let ramdisk = format!("--ramdisk={}", e.get("initrd"));
    let (k, r, args) = boot_like_libxl(
        &[env!("CARGO_BIN_EXE_xlboot")],
        &e.image,
        "given",
        &[&kernel, &ramdisk, "--args=root=/dev/xvda2 ro  single"],
    );
    assert_eq!(k, e.get("kernel_sha256"));
    assert_eq!(r.as_deref(), Some(e.get("initrd_sha256")));
    assert_eq!(args, "root=/dev/xvda2 ro  single");
}

/// `--kernel` with `root=PARTUUID=` in `--args` (an MBR disk: the disk signature and
/// the partition number, as libblkid and the kernel make it; upper case and the
/// kernel's `/PARTNROFF=` too): the root's `/etc/fstab` is read from that partition,
/// and `/boot/vmlinuz-K` found on the `/boot` partition it names. Naming the `/boot`
/// partition as the root finds no fstab there, so no kernel.
#[test]
fn given_kernel_through_the_fstab_of_root_partuuid() {
    let e = expectation("lilo");
    let kernel = format!("--kernel=/boot{}", e.get("kernel"));
    let ramdisk = format!("--ramdisk=/boot{}", e.get("initrd"));
    for root in [
        "root=PARTUUID=1e9ac703-02",
        "root=PARTUUID=1E9AC703-01/PARTNROFF=1",
    ] {
        let args = format!("--args={root} ro");
        let (k, r, _) = boot_like_libxl(
            &[env!("CARGO_BIN_EXE_xlboot")],
            &e.image,
            "partuuid",
            &[&kernel, &ramdisk, &args],
        );
        assert_eq!(k, e.get("kernel_sha256"), "{root}");
        assert_eq!(r.as_deref(), Some(e.get("initrd_sha256")), "{root}");
    }
    let out = xlboot(&[
        "-q",
        "-n",
        &kernel,
        "--args=root=PARTUUID=1e9ac703-01",
        e.image.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
}

/// `--args` without `--kernel` is appended to the entry's command line.
#[test]
fn args_are_appended_to_the_entry() {
    let e = expectation("mbr-title");
    let (_, _, args) = boot_like_libxl(
        &[env!("CARGO_BIN_EXE_xlboot")],
        &e.image,
        "append",
        &["--args=xen_extra=1"],
    );
    assert_eq!(args, format!("{} xen_extra=1", e.get("args")));
}

/// `-n` checks without copying; `--offset` reads the one filesystem at that offset;
/// `sxp` quotes as pygrub does.
#[test]
fn not_really_offset_and_sxp() {
    let e = expectation("sepboot");
    let out = xlboot(&["-q", "-n", "--offset=1048576", e.image.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "linux (kernel '(hd0,msdos1){}')(ramdisk '(hd0,msdos1){}')(args '{}')",
            e.get("kernel"),
            e.get("initrd"),
            e.get("args")
        )
    );
    let out = xlboot(&["-q", "-n", "--offset=4096", e.image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

/// Runs `--isconfig -q` on `cfg` and checks it prints `kernel`, `initrd` and `args`
/// (from an `.expect` file) exactly.
fn assert_isconfig_prints(cfg: &Path, get: impl Fn(&str) -> String) {
    let out = xlboot(&["--isconfig", "-q", cfg.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "  kernel: {}\n  initrd: {}\n  args: {}\n",
            get("kernel"),
            get("initrd"),
            get("args")
        )
    );
}

/// `--isconfig` evaluates a config file on the host and prints its default entry.
#[test]
fn isconfig_prints_the_default_entry() {
    let e = expectation("mbr-title");
    let cfg = fixtures().join("cfg").join("mbr-title.grub.cfg");
    assert_isconfig_prints(&cfg, |k| e.get(k).to_string());
}

/// `--isconfig` on a pxelinux config: Debian 12's netboot tree (scripts/fixtures/build
/// unpacks it from the real package), whose `pxelinux.cfg` is a symlink into
/// `debian-installer/amd64/` and whose `INCLUDE`, `KERNEL` and `initrd=` names are all
/// relative to the TFTP root, where `pxelinux.0` is: they resolve from there, not from
/// the config's directory, and the paths printed are the TFTP server's.
#[test]
fn isconfig_resolves_pxelinux_names_from_the_tftp_root() {
    let tree = fixtures().join("netboot");
    let expect: BTreeMap<String, String> =
        fs::read_to_string(fixtures().join("cfg").join("netboot.expect"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let cfg = tree.join("pxelinux.cfg").join("default");
    assert_isconfig_prints(&cfg, |k| expect[k].clone());
    // Named through the link's target, the config is in debian-installer/amd64's
    // pxelinux.cfg: pxelinux.0 loaded from there takes that directory as its prefix,
    // and the tree's root-relative INCLUDEs find nothing, as they would for pxelinux.
    let direct = tree.join("debian-installer/amd64/pxelinux.cfg/default");
    let out = xlboot(&["--isconfig", "-q", direct.to_str().unwrap()]);
    assert!(!out.status.success());
}

/// The last line of `-l` on a fixture: every config found, the one used marked.
fn configs_found(name: &str) -> String {
    let e = expectation(name);
    let out = xlboot(&["-l", e.image.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8(out.stdout).unwrap();
    listing
        .lines()
        .find(|l| l.starts_with("configs found: "))
        .unwrap_or_else(|| panic!("{name}: no configs line in\n{listing}"))
        .to_string()
}

/// Where each layout keeps its config: Debian's cloud image reads GPT entry 1 (the
/// root, last on the disk, before the ESP's entry 15); the Debian installer's guided
/// LVM layout its /boot partition; /boot on md RAID1 the array; Fedora's btrfs root without a
/// /boot partition, the `grub.cfg` in subvolume `root` (whose blscfg finds the entries
/// through grubenv's `blsdir`), or with no boot loader config the entries
/// `kernel-install` wrote inside that subvolume, read from it.
#[test]
fn configs_are_found_where_each_layout_keeps_them() {
    for (name, want) in [
        ("cloud-gpt", "(hd0,gpt1)/boot/grub/grub.cfg (GRUB 2, used)"),
        ("debian-lvm", "(hd0,msdos1)/grub/grub.cfg (GRUB 2, used)"),
        // Superblock 1.0 at the members' end: the members start with /boot's ext4,
        // but only the array is a volume.
        ("md-lvm", "(md/boot)/grub/grub.cfg (GRUB 2, used)"),
        (
            "bls-btrfs",
            "(hd0,msdos1)/root/boot/grub2/grub.cfg (GRUB 2, used)",
        ),
        (
            "bls-btrfs-entries",
            "(hd0,msdos1)/boot/loader/entries (in subvolume root) (Boot Loader Specification, used), \
             (hd0,msdos1)/boot/loader/loader.conf (in subvolume root) (systemd-boot loader.conf)",
        ),
    ] {
        assert_eq!(configs_found(name), format!("configs found: {want}"));
    }
}

/// A root on LVM (the Debian installer's guided layout: the PV on logical partition 5;
/// and LVM on md RAID1): `--kernel` names a path of the running system. `/vmlinuz.old`
/// is a link in the root LV (found through its own /etc/fstab, which names it by
/// /dev/mapper name or by UUID) into /boot, another volume (p1; an md RAID1 with its
/// superblock at the end).
#[test]
fn kernel_paths_resolve_through_a_root_on_lvm() {
    for name in ["debian-lvm", "md-lvm"] {
        let e = expectation(name);
        let (kernel, initrd, args) = boot_like_libxl(
            &[env!("CARGO_BIN_EXE_xlboot")],
            &e.image,
            &format!("{name}-old"),
            &[
                "--kernel=/vmlinuz.old",
                "--ramdisk=/initrd.img.old",
                "--args=ro",
            ],
        );
        assert_eq!(kernel, e.get("kernel_sha256"), "{name}: kernel");
        assert_eq!(
            initrd.as_deref(),
            Some(e.get("initrd_sha256")),
            "{name}: initrd"
        );
        assert_eq!(args, "ro");
    }
}

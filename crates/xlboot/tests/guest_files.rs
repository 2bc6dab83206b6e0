//! Boot files and configs a guest chooses, on filesystems made by the real `mke2fs -d`:
//! several initrds, boot files that are not regular files, symlinks that try to climb
//! out of the guest, and guest text built to break the reply or the terminal.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Guest {
    dir: PathBuf,
    image: PathBuf,
}

/// Stages `files` (path, contents) plus `/boot/grub/grub.cfg` and makes an ext4 image
/// of them with mke2fs.
fn guest(tag: &str, grub_cfg: &str, files: &[(&str, &[u8])], prepare: impl FnOnce(&Path)) -> Guest {
    let dir = std::env::temp_dir().join(format!("xlboot-guest-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let root = dir.join("root");
    fs::create_dir_all(root.join("boot/grub")).unwrap();
    fs::create_dir_all(dir.join("out")).unwrap();
    fs::write(root.join("boot/grub/grub.cfg"), grub_cfg).unwrap();
    for (path, data) in files {
        let p = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }
    prepare(&root);
    let image = dir.join("disk.img");
    let out = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(&root)
        .arg(&image)
        .arg("8M")
        .output()
        .expect("mke2fs (e2fsprogs) is needed for these tests");
    assert!(
        out.status.success(),
        "mke2fs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Guest { dir, image }
}

impl Guest {
    fn run(&self, args: &[&str]) -> Output {
        let out_dir = format!("--output-directory={}", self.dir.join("out").display());
        Command::new(env!("CARGO_BIN_EXE_xlboot"))
            .args(["-q", &out_dir])
            .args(args)
            .arg(&self.image)
            .output()
            .unwrap()
    }

    fn output_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<_> = fs::read_dir(self.dir.join("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }

    /// Boots with the simple reply format and returns the reply's items, asserting
    /// success.
    fn boot(&self) -> Vec<(String, String)> {
        let out = self.run(&["--output-format=simple"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        reply_items(&out.stdout)
    }

    /// Asserts a clean failure mentioning `needle` that left no files behind.
    fn assert_fails(&self, args: &[&str], needle: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "want {needle:?} in {stderr}");
        assert!(self.output_files().is_empty(), "{:?}", self.output_files());
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn reply_items(stdout: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(text.ends_with("\n\n"), "{text:?}");
    text.trim_end_matches('\n')
        .split('\n')
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// GRUB loads several initrds as one: each after the first starts 4-byte aligned.
#[test]
fn several_initrds_are_concatenated_as_grub_loads_them() {
    let g = guest(
        "initrds",
        "menuentry 'x' {\n  linux /boot/k root=/dev/xvda\n  initrd /boot/a /boot/b /boot/c\n}\n",
        &[
            ("/boot/k", b"KERNEL"),
            ("/boot/a", b"AAAAA"),
            ("/boot/b", b"BBBBBB"),
            ("/boot/c", b"CCC"),
        ],
        |_| {},
    );
    let items = g.boot();
    assert_eq!(items[0].0, "kernel");
    assert_eq!(fs::read(&items[0].1).unwrap(), b"KERNEL");
    assert_eq!(items[1].0, "ramdisk");
    assert_eq!(fs::read(&items[1].1).unwrap(), b"AAAAA\0\0\0BBBBBB\0\0CCC");
    assert_eq!(items[2], ("args".to_string(), "root=/dev/xvda".to_string()));
}

/// Only regular files are boot files.
#[test]
fn boot_files_must_be_regular_files() {
    let g = guest(
        "kinds",
        "menuentry 'dir' { linux /boot/dir }\nmenuentry 'fifo' { linux /boot/fifo }\n\
         menuentry 'initrd dir' { linux /boot/k\n initrd /boot/dir }\n",
        &[("/boot/k", b"KERNEL"), ("/boot/dir/file", b"x")],
        |root| {
            let status = Command::new("mkfifo")
                .arg(root.join("boot/fifo"))
                .status()
                .unwrap();
            assert!(status.success());
        },
    );
    g.assert_fails(&["--entry=dir"], "/boot/dir");
    g.assert_fails(&["--entry=fifo"], "/boot/fifo");
    g.assert_fails(&["--entry=initrd dir"], "/boot/dir");
}

/// Absolute and `..`-laden symlinks resolve inside the guest's filesystem, never the
/// host's: a link to `/../../../etc/hostname` looks for the guest's /etc/hostname.
#[test]
fn symlinks_stay_inside_the_guest() {
    let g = guest(
        "links",
        "menuentry 'in' { linux /vmlinuz }\nmenuentry 'out' { linux /boot/escape }\n\
         menuentry 'loop' { linux /boot/loop1 }\n",
        &[("/boot/vmlinuz-6", b"REAL KERNEL")],
        |root| {
            symlink("boot/vmlinuz-6", root.join("vmlinuz")).unwrap();
            symlink("/../../../../etc/hostname", root.join("boot/escape")).unwrap();
            symlink("loop2", root.join("boot/loop1")).unwrap();
            symlink("/boot/loop1", root.join("boot/loop2")).unwrap();
        },
    );
    let out = g.run(&["--entry=in", "--output-format=simple"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read(&reply_items(&out.stdout)[0].1).unwrap(),
        b"REAL KERNEL"
    );
    for f in g.output_files() {
        fs::remove_file(f).unwrap();
    }
    g.assert_fails(&["--entry=in", "--limit=symlink-hops=0"], "limit");
    g.assert_fails(&["--entry=out"], "not found");
    g.assert_fails(&["--entry=loop"], "limit");
}

/// Titles, defaults and arguments full of shell and Python syntax are inert text:
/// nothing runs and every reply format stays well formed.
#[test]
fn metacharacters_are_inert() {
    let marker = std::env::temp_dir().join(format!("xlboot-pwned-{}", std::process::id()));
    let m = marker.display();
    let cfg = format!(
        "set default='$(touch {m}); `touch {m}`'\n\
         menuentry \"'; __import__('os').system('touch {m}') #\" {{\n\
           linux /boot/k \"')(kernel '/etc/shadow\" `touch {m}` \"a\\\"b\"\n\
         }}\n"
    );
    let g = guest("meta", &cfg, &[("/boot/k", b"KERNEL")], |_| {});
    let out = g.run(&["--output-format=sxp"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sxp = String::from_utf8(out.stdout).unwrap();
    assert!(sxp.starts_with("linux (kernel '"), "{sxp}");
    // GRUB's command line escapes the quotes; sxp then quotes it as repr() would.
    assert!(
        sxp.ends_with(&format!(
            r#"(args '"\\\')(kernel \\\'/etc/shadow" `touch {m}` a\\"b')"#
        )),
        "{sxp}"
    );
    assert!(!marker.exists(), "something was executed");
}

/// Escape sequences in guest text never reach the terminal raw.
#[test]
fn escape_sequences_are_sanitised() {
    let g = guest(
        "escapes",
        "menuentry \"evil\x1b]0;owned\x07\x1b[2J\" { linux /boot/missing }\n",
        &[],
        |_| {},
    );
    let out = g.run(&["-l"]);
    assert!(out.status.success());
    assert!(
        !out.stdout.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = g.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !out.stderr.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A command line a PV guest cannot take is refused, not cut.
#[test]
fn overlong_command_lines_are_refused() {
    let long = "x".repeat(600);
    let cfg = format!("menuentry 'long' {{ linux /boot/k a={long} }}\n");
    let g = guest("long", &cfg, &[("/boot/k", b"KERNEL")], |_| {});
    g.assert_fails(&[&format!("--args=b={long}")], "more than the 1023");
}

/// A sparse file can claim any size: an oversized kernel or initrd is refused at the
/// size check, before a byte of it is read.
#[test]
fn oversized_sparse_files_are_refused_without_reading() {
    let g = guest(
        "sparse",
        "menuentry 'big kernel' { linux /boot/huge }\n\
         menuentry 'big initrd' { linux /boot/k\n initrd /boot/k /boot/huge }\n",
        &[("/boot/k", b"KERNEL")],
        |root| {
            let f = fs::File::create(root.join("boot/huge")).unwrap();
            f.set_len(64 << 30).unwrap();
        },
    );
    g.assert_fails(&["--entry=big kernel"], "more than the 268435456 allowed");
    g.assert_fails(&["--entry=big initrd"], "allowed");
    g.assert_fails(&["--entry=big kernel", "--max-kernel-size=1G"], "allowed");
}

/// Sparse boot files (holes at the start, in the middle and at the end, as `mke2fs -d`
/// keeps them) are copied byte for byte, and their holes stay holes in the copies:
/// nothing is read or written for them, on a whole-disk filesystem and on a partition.
#[test]
fn sparse_files_are_copied_exactly_and_stay_sparse() {
    use std::os::unix::fs::{FileExt, MetadataExt};
    let data = |seed: u8, n: usize| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed | 1)
            .collect()
    };
    // (path, [(offset, bytes)], size)
    type Layout = (&'static str, Vec<(u64, Vec<u8>)>, u64);
    let layout: [Layout; 3] = [
        ("boot/k", vec![(3 << 20, data(1, 300_000))], 6 << 20),
        (
            "boot/a",
            vec![(0, data(2, 5000)), (2 << 20, data(3, 70_001))],
            (4 << 20) + 3,
        ),
        ("boot/b", vec![(1 << 20, data(4, 4096))], (1 << 20) + 4096),
    ];
    let mut want = Vec::new();
    for (_, parts, size) in &layout {
        let mut v = vec![0u8; *size as usize];
        for (at, b) in parts {
            v[*at as usize..*at as usize + b.len()].copy_from_slice(b);
        }
        want.push(v);
    }
    let cfg = "menuentry 'x' {\n linux /boot/k\n initrd /boot/a /boot/b\n}\n";
    let mut ramdisk = want[1].clone();
    ramdisk.resize(ramdisk.len().next_multiple_of(4), 0);
    ramdisk.extend_from_slice(&want[2]);
    for partitioned in [false, true] {
        let g = guest(
            if partitioned { "holes-part" } else { "holes" },
            cfg,
            &[],
            |root| {
                for (path, parts, size) in &layout {
                    let f = fs::File::create(root.join(path)).unwrap();
                    for (at, b) in parts {
                        f.write_all_at(b, *at).unwrap();
                    }
                    f.set_len(*size).unwrap();
                }
            },
        );
        if partitioned {
            // The same tree on an MBR partition from 1 MiB: the runs are found at
            // partition offsets and copied from the disk at the partition's start.
            let disk = g.dir.join("part.img");
            fs::File::create(&disk).unwrap().set_len(40 << 20).unwrap();
            let mut sf = Command::new("sfdisk")
                .args(["-q"])
                .arg(&disk)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("sfdisk (fdisk) is needed for this test");
            use std::io::Write;
            sf.stdin
                .take()
                .unwrap()
                .write_all(b"start=2048, type=83\n")
                .unwrap();
            assert!(sf.wait().unwrap().success());
            let st = Command::new("mke2fs")
                .args(["-q", "-F", "-t", "ext4", "-E", "offset=1048576", "-d"])
                .arg(g.dir.join("root"))
                .arg(&disk)
                .arg("30M")
                .status()
                .unwrap();
            assert!(st.success());
            fs::rename(&disk, &g.image).unwrap();
        }
        let items = g.boot();
        assert_eq!(fs::read(&items[0].1).unwrap(), want[0], "kernel");
        assert_eq!(fs::read(&items[1].1).unwrap(), ramdisk, "ramdisk");
        // Holes make no blocks: the kernel's 6 MiB hold 300 000 bytes of data.
        let blocks = fs::metadata(&items[0].1).unwrap().blocks() * 512;
        assert!(blocks < 2 << 20, "the kernel copy takes {blocks} bytes");
    }
}

/// `[ -d ]` and `[ -e ]` look at the guest's own directories (Ubuntu's config decides
/// `vt.handoff` with `[ -e ${prefix}/gfxblacklist.txt ]`).
#[test]
fn directory_tests_read_the_guest() {
    let g = guest(
        "dirs",
        "if [ -d /boot/grub ]; then if [ -e /nowhere ]; then set default=2; else set default=1; fi; fi\n\
         menuentry 'a' { linux /boot/k a }\nmenuentry 'b' { linux /boot/k b }\nmenuentry 'c' { linux /boot/k c }\n",
        &[("/boot/k", b"KERNEL")],
        |_| {},
    );
    let out = g.run(&["-n", "--output-format=simple"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        reply_items(&out.stdout)[1],
        ("args".to_string(), "b".to_string())
    );
}

/// A `linux` line longer than a PV guest accepts is refused, not cut as GRUB cuts it.
#[test]
fn overlong_linux_lines_are_refused() {
    let long = "y".repeat(700);
    let cfg = format!("menuentry 'long' {{ linux /boot/k a={long} b={long} }}\n");
    let g = guest("longline", &cfg, &[("/boot/k", b"KERNEL")], |_| {});
    g.assert_fails(&[], "more than the 1023");
}

/// A guest with Boot Loader Specification entries and no boot loader config (as
/// `kernel-install` with `layout=bls` leaves /boot): the newest entry boots.
#[test]
fn bls_entries_without_a_grub_cfg() {
    let entry = |v: &str| {
        format!(
            "title      Debian GNU/Linux 12 (bookworm)\nversion    {v}\nmachine-id 5b1f0c2e\n\
             sort-key   debian\noptions    root=/dev/xvda1 v={v}\nlinux      /boot/5b1f0c2e/{v}/linux\n\
             initrd     /boot/5b1f0c2e/{v}/initrd.img-{v}\n"
        )
    };
    let (old, new) = (entry("6.1.0-9-amd64"), entry("6.1.0-10-amd64"));
    let g = guest(
        "bls",
        "",
        &[
            (
                "/boot/loader/entries/5b1f0c2e-6.1.0-9-amd64.conf",
                old.as_bytes(),
            ),
            (
                "/boot/loader/entries/5b1f0c2e-6.1.0-10-amd64.conf",
                new.as_bytes(),
            ),
            ("/boot/5b1f0c2e/6.1.0-9-amd64/linux", b"OLD KERNEL"),
            (
                "/boot/5b1f0c2e/6.1.0-9-amd64/initrd.img-6.1.0-9-amd64",
                b"OLD INITRD",
            ),
            ("/boot/5b1f0c2e/6.1.0-10-amd64/linux", b"NEW KERNEL"),
            (
                "/boot/5b1f0c2e/6.1.0-10-amd64/initrd.img-6.1.0-10-amd64",
                b"NEW INITRD",
            ),
        ],
        |root| fs::remove_file(root.join("boot/grub/grub.cfg")).unwrap(),
    );
    let items = g.boot();
    assert_eq!(fs::read(&items[0].1).unwrap(), b"NEW KERNEL");
    assert_eq!(fs::read(&items[1].1).unwrap(), b"NEW INITRD");
    assert_eq!(items[2].1, "root=/dev/xvda1 v=6.1.0-10-amd64");
}

/// What libxl keeps in `/var/log/xen/bootloader.N.log` is xlboot's stderr: under
/// `--debug`, one line per decision (how the disk is read, the sandbox user, each
/// volume, the config found, the default rule, the entry chosen, each copy, the
/// reply), every line starting `xlboot: `; and on failure one line, even with
/// `--debug`'s notes before it.
#[test]
fn debug_log_has_one_line_per_decision() {
    let g = guest(
        "debuglog",
        "set default=1\nmenuentry 'A' { linux /vmlinuz-a ro a }\n\
         menuentry 'B' { linux /vmlinuz-b ro b\n initrd /initrd-b }\n",
        &[
            ("/vmlinuz-a", b"kernel a"),
            ("/vmlinuz-b", b"kernel b"),
            ("/initrd-b", b"initrd b"),
        ],
        |_| {},
    );
    let out = g.run(&["--debug", "--output-format=simple"]);
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = log.lines().collect();
    for line in &lines {
        assert!(line.starts_with("xlboot: debug: "), "{line:?} in\n{log}");
        assert!(!line.contains(" { "), "Rust debug formatting in {line:?}");
    }
    let image = g.image.display().to_string();
    for (i, want) in [
        "xlboot: debug: sandbox: the guest is read as uid ".to_string(),
        format!("xlboot: debug: disk {image}: opened read-only as raw (from its header), the guest sees 8388608 bytes"),
        "xlboot: debug: volume (hd0) at byte 0: ext2, UUID ".to_string(),
        "xlboot: debug: found GRUB 2 config (hd0)/boot/grub/grub.cfg (used)".to_string(),
        "xlboot: debug: default entry: default=\"1\" (index): entry 1".to_string(),
        "xlboot: debug: chose 'B': kernel (hd0)/vmlinuz-b, initrd (hd0)/initrd-b, command line 'ro b'".to_string(),
        "xlboot: debug: copied the kernel (hd0)/vmlinuz-b: 8 bytes".to_string(),
        "xlboot: debug: copied the initrd (hd0)/initrd-b: 8 bytes".to_string(),
        "xlboot: debug: reply written to stdout: kernel ".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let at = lines.iter().position(|l| l.starts_with(want.as_str()));
        assert!(at.is_some(), "line {i} {want:?} missing from\n{log}");
    }

    let out = g.run(&["--debug", "--entry=C"]);
    assert_eq!(out.status.code(), Some(1));
    let log = String::from_utf8_lossy(&out.stderr);
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| !l.starts_with("xlboot: debug: "))
        .collect();
    assert_eq!(failures.len(), 1, "{log}");
    assert!(
        failures[0].starts_with("xlboot: no entry matches --entry=C"),
        "{log}"
    );
    assert!(
        log.ends_with(&format!("{}\n", failures[0])),
        "the failure is the last line: {log}"
    );
}

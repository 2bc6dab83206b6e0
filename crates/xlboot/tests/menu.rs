//! The interactive menu, driven as a person at `xl create -c` drives it: the real
//! binary runs in a tmux pane (a pty, as libxl gives the boot loader, with
//! `TERM=vt100` and in one test xterm), keys go in with `send-keys`, the screen comes
//! back with `capture-pane`, and the chosen kernel and command line are checked in the
//! reply file libxl would read. Guest disks are the fixture images (Debian's
//! grub-mkconfig output, syslinux's extlinux-update) and ext4 images made by
//! `mke2fs -d` holding configs with passwords from `grub-mkpasswd-pbkdf2` and
//! `openssl passwd -1`, and the real Debian kernel of the fixtures.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{fixtures, have, sha256_file};

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// One run of xlboot in its own tmux server, with libxl's reply file and directory.
struct Pane {
    socket: String,
    dir: PathBuf,
}

impl Pane {
    /// Starts `xlboot ARGS... IMAGE` as libxl does (`--output`, `--output-format=simple0`,
    /// `--output-directory`) on a `cols` x `rows` terminal of type `term`.
    fn start(image: &Path, args: &[&str], term: &str, cols: u16, rows: u16) -> Pane {
        Pane::start_loader(env!("CARGO_BIN_EXE_xlboot"), image, args, term, cols, rows)
    }

    /// As [`Pane::start`], with another boot loader (Debian's pygrub).
    fn start_loader(
        loader: &str,
        image: &Path,
        args: &[&str],
        term: &str,
        cols: u16,
        rows: u16,
    ) -> Pane {
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let socket = format!("xlboot-menu-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("d")).unwrap();
        fs::write(dir.join("out"), b"").unwrap();
        let mut cmd = vec![
            "env".to_string(),
            format!("TERM={term}"),
            loader.to_string(),
            format!("--output={}", dir.join("out").display()),
            "--output-format=simple0".into(),
            format!("--output-directory={}", dir.join("d").display()),
        ];
        cmd.extend(args.iter().map(|a| a.to_string()));
        cmd.push(image.display().to_string());
        let quoted: Vec<String> = cmd
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        // After xlboot, the terminal's modes are recorded (raw mode must be gone),
        // then the exit status.
        let script = format!(
            "{} 2>'{}'; s=$?; stty -a > '{}'; echo $s > '{}'; sleep 600",
            quoted.join(" "),
            dir.join("err").display(),
            dir.join("stty").display(),
            dir.join("status").display()
        );
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .arg(script)
            .status()
            .unwrap();
        assert!(ok.success());
        Pane { socket, dir }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends tmux key names (`Down`, `Enter`, `C-x`, `Escape`) or text (`-l` for literal).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        self.tmux(&args);
        // Let the menu read them before the next batch (an Escape followed at once by
        // more bytes would read as the start of a sequence).
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", text]);
        std::thread::sleep(Duration::from_millis(300));
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// Waits until the screen shows `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the screen never showed {text:?}; it shows:\n{s}\nstderr: {}",
                fs::read_to_string(self.dir.join("err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status, once xlboot has ended (`None` while it runs).
    fn status(&self) -> Option<i32> {
        fs::read_to_string(self.dir.join("status"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// Waits for xlboot to end; returns its exit status and stderr.
    fn wait_exit(&self, within: Duration) -> (i32, String) {
        let start = Instant::now();
        loop {
            if let Some(s) = self.status() {
                return (
                    s,
                    fs::read_to_string(self.dir.join("err")).unwrap_or_default(),
                );
            }
            assert!(
                start.elapsed() < within,
                "xlboot did not end within {within:?}; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Checks that the terminal left behind echoes and edits lines again.
    fn assert_cooked(&self) {
        let stty = fs::read_to_string(self.dir.join("stty")).unwrap();
        for mode in ["icanon", "echo", "isig", "icrnl"] {
            assert!(
                stty.split_whitespace().any(|w| w == mode),
                "{mode} not restored: {stty}"
            );
        }
    }

    /// The reply after a successful run: items, and the kernel copy's sha256.
    fn reply(&self) -> (BTreeMap<String, String>, String) {
        let (status, err) = self.wait_exit(Duration::from_secs(60));
        assert_eq!(status, 0, "xlboot failed: {err}");
        self.assert_cooked();
        let reply = fs::read(self.dir.join("out")).unwrap();
        assert!(reply.ends_with(b"\0\0"), "{reply:?}");
        let items: BTreeMap<String, String> = std::str::from_utf8(&reply)
            .unwrap()
            .split('\0')
            .filter(|i| !i.is_empty())
            .map(|i| {
                let (k, v) = i.split_once(' ').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        let sha = sha256_file(Path::new(&items["kernel"]));
        (items, sha)
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What `--entry=E` (`-q` for "default") boots from `image`: (args, kernel sha256),
/// the menu's oracle.
fn entry_oracle(image: &Path, entry: &str) -> (String, String) {
    let choice = if entry == "default" {
        "-q".to_string()
    } else {
        format!("--entry={entry}")
    };
    let dir = std::env::temp_dir().join(format!(
        "xlboot-menu-oracle-{}-{}",
        std::process::id(),
        SESSIONS.fetch_add(1, Ordering::SeqCst)
    ));
    fs::create_dir_all(dir.join("d")).unwrap();
    fs::write(dir.join("out"), b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .arg(choice)
        .arg(format!("--output={}", dir.join("out").display()))
        .arg("--output-format=simple0")
        .arg(format!("--output-directory={}", dir.join("d").display()))
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = fs::read_to_string(dir.join("out")).unwrap();
    let mut args = String::new();
    let mut sha = String::new();
    for item in reply.split('\0') {
        if let Some(a) = item.strip_prefix("args ") {
            args = a.to_string();
        }
        if let Some(k) = item.strip_prefix("kernel ") {
            sha = sha256_file(Path::new(k));
        }
    }
    let _ = fs::remove_dir_all(&dir);
    (args, sha)
}

fn demo() -> PathBuf {
    fixtures().join("demo.img")
}

/// [`demo_pane`], or `None` (the test skips) without tmux.
fn demo_menu(args: &[&str], term: &str) -> Option<(Pane, String)> {
    have("tmux", "tmux").then(|| demo_pane(args, term))
}

/// xlboot with `args` on demo.img (Debian's grub-mkconfig menu) in an 80x24 `term`
/// pane, once the menu is drawn: the pane and the screen.
fn demo_pane(args: &[&str], term: &str) -> (Pane, String) {
    let p = Pane::start(&demo(), args, term, 80, 24);
    let s = p.wait_for("Advanced options");
    (p, s)
}

#[test]
fn navigation_submenu_and_enter() {
    let Some((p, s)) = demo_menu(&[], "vt100") else {
        return;
    };
    // The default highlighted, the help line, the countdown of grub.cfg's timeout=5.
    assert!(s.contains("*Debian GNU/Linux  "), "{s}");
    assert!(s.contains("Use the up and down keys"), "{s}");
    assert!(
        s.contains("The highlighted entry will be executed automatically in"),
        "{s}"
    );
    p.keys(&["Down", "Enter"]);
    let s = p.wait_for("(recovery mode)");
    assert!(s.contains("ESC to return to the previous menu."), "{s}");
    assert!(
        !s.contains("executed automatically"),
        "a key stops the countdown:\n{s}"
    );
    // Esc goes back, Enter opens again, End and Home move.
    p.keys(&["Escape"]);
    p.wait_for("*Advanced options");
    p.keys(&["Enter"]);
    p.wait_for("*Debian GNU/Linux, with Linux 6.1.0-50-amd64 ");
    p.keys(&["End"]);
    p.wait_for("*Debian GNU/Linux, with Linux 6.1.0-50-amd64 (recovery mode)");
    p.keys(&["Home", "PageDown"]);
    p.wait_for("*Debian GNU/Linux, with Linux 6.1.0-50-amd64 (recovery mode)");
    p.keys(&["PageUp", "Down", "Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!((reply["args"].clone(), sha), entry_oracle(&demo(), "1>1"));
    assert!(reply["args"].contains("single"), "{reply:?}");
}

#[test]
fn the_countdown_boots_the_default_and_a_key_stops_it() {
    let Some((p, _)) = demo_menu(&[], "vt100") else {
        return;
    };
    p.wait_for("executed automatically in 5s");
    let start = Instant::now();
    let (reply, sha) = p.reply();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(4), "booted after {waited:?}");
    assert_eq!(
        (reply["args"].clone(), sha),
        entry_oracle(&demo(), "default")
    );

    let (p, _) = demo_pane(&[], "xterm");
    p.wait_for("executed automatically");
    p.keys(&["Down"]);
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        p.status(),
        None,
        "the menu booted although a key was pressed"
    );
    let s = p.screen();
    assert!(!s.contains("executed automatically"), "{s}");
    p.keys(&["Up", "Enter"]);
    let (reply, _) = p.reply();
    assert_eq!(reply["args"], entry_oracle(&demo(), "default").0);
}

#[test]
fn edit_an_entry_and_boot_it() {
    let Some((p, _)) = demo_menu(&[], "vt100") else {
        return;
    };
    p.keys(&["e"]);
    let s = p.wait_for("Press Ctrl-X or F10 to boot");
    assert!(
        s.contains("linux (hd0,msdos1)/boot/vmlinuz-6.1.0-50-amd64 root=UUID="),
        "{s}"
    );
    assert!(
        s.contains("initrd (hd0,msdos1)/boot/initrd.img-6.1.0-50-amd64"),
        "{s}"
    );
    // Cursor movement: drop `quiet` at the end, add `single` after `ro`.
    p.keys(&["End", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace"]);
    p.type_text("console=hvc0");
    p.keys(&[
        "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left",
        "Left",
    ]);
    p.type_text("single ");
    p.keys(&["C-x"]);
    let (reply, sha) = p.reply();
    let (args, oracle_sha) = entry_oracle(&demo(), "default");
    assert_eq!(
        reply["args"],
        args.replace(" quiet", " single console=hvc0")
    );
    assert_eq!(sha, oracle_sha);
    assert!(reply.contains_key("ramdisk"));

    // F10 boots too; Esc throws the edits away.
    let (p, _) = demo_pane(&[], "xterm");
    p.keys(&["e", "End"]);
    p.type_text(" edited");
    p.keys(&["Escape"]);
    p.wait_for("Use the up and down keys");
    p.keys(&["e", "End"]);
    p.type_text(" nomodeset");
    p.keys(&["F10"]);
    let (reply, _) = p.reply();
    assert_eq!(
        reply["args"],
        format!("{} nomodeset", entry_oracle(&demo(), "default").0)
    );
}

#[test]
fn append_to_the_command_line() {
    let Some((p, _)) = demo_menu(&[], "vt100") else {
        return;
    };
    p.keys(&["a"]);
    p.wait_for("args> root=UUID=");
    p.type_text("init=/bin/sh");
    p.keys(&["Enter"]);
    let (reply, sha) = p.reply();
    let (args, oracle_sha) = entry_oracle(&demo(), "default");
    assert_eq!(reply["args"], format!("{args} init=/bin/sh"));
    assert_eq!(sha, oracle_sha);
}

#[test]
fn the_command_line_lists_and_boots_guest_files() {
    let Some((p, _)) = demo_menu(&[], "vt100") else {
        return;
    };
    p.keys(&["c"]);
    p.wait_for("grub>");
    p.type_text("ls");
    p.keys(&["Enter"]);
    p.wait_for("grub> ls\n(hd0,msdos1)");
    p.type_text("ls /boot");
    p.keys(&["Enter"]);
    p.wait_for("vmlinuz-6.1.0-50-amd64");
    p.type_text("boot");
    p.keys(&["Enter"]);
    p.wait_for("error: you need to load the kernel first.");
    p.type_text("linux /boot/nonexistent ro");
    p.keys(&["Enter"]);
    p.wait_for("error: file `(hd0,msdos1)/boot/nonexistent' not found.");
    p.type_text("linux /boot/vmlinuz-6.1.0-50-amd64 root=/dev/xvda1 ro");
    p.keys(&["Enter"]);
    p.type_text("initrd (hd0,msdos1)/boot/initrd.img-6.1.0-50-amd64");
    p.keys(&["Enter"]);
    p.type_text("args root=/dev/xvda1 console=hvc0");
    p.keys(&["Enter"]);
    p.type_text("boot");
    p.keys(&["Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda1 console=hvc0");
    let boot = fixtures().join("chroot/boot");
    assert_eq!(sha, sha256_file(&boot.join("vmlinuz-6.1.0-50-amd64")));
    assert_eq!(
        sha256_file(Path::new(&reply["ramdisk"])),
        sha256_file(&boot.join("initrd.img-6.1.0-50-amd64"))
    );
}

#[test]
fn a_resized_window_is_drawn_again() {
    let Some((p, s)) = demo_menu(&["--menu-wait=forever"], "xterm") else {
        return;
    };
    let width = |s: &str| {
        s.lines()
            .find(|l| l.contains("+---"))
            .map(|l| l.trim_end().len())
    };
    assert_eq!(width(&s), Some(79));
    p.keys(&["Down"]);
    p.tmux(&["resize-window", "-t", "0", "-x", "100", "-y", "30"]);
    let start = Instant::now();
    while width(&p.screen()) != Some(99) {
        assert!(start.elapsed() < Duration::from_secs(10), "{}", p.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    p.keys(&["Up", "Enter"]);
    p.reply();
}

#[test]
fn syslinux_timeout_in_tenths() {
    if !have("tmux", "tmux") {
        return;
    }
    // extlinux-update's `timeout 50`: five seconds.
    let image = fixtures().join("extlinux.img");
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    p.wait_for("executed automatically in 5s");
    let start = Instant::now();
    let (reply, sha) = p.reply();
    assert!(start.elapsed() >= Duration::from_secs(4));
    let (args, oracle) = entry_oracle(&image, "default");
    assert_eq!((reply["args"].clone(), sha), (args, oracle));
}

#[test]
fn quiet_and_entry_never_show_the_menu() {
    if !have("tmux", "tmux") {
        return;
    }
    for args in [&["-q"][..], &["--entry=1>1"][..]] {
        let p = Pane::start(&demo(), args, "vt100", 80, 24);
        let (status, err) = p.wait_exit(Duration::from_secs(20));
        assert_eq!(status, 0, "{err}");
        assert!(!p.screen().contains("Use the up and down keys"));
    }
}

/// A test image, removed with its directory when dropped.
struct TempImage {
    dir: PathBuf,
    image: PathBuf,
}

impl std::ops::Deref for TempImage {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.image
    }
}

impl Drop for TempImage {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A whole-disk ext4 image made by `mke2fs -d` from `files` (path, bytes) plus the
/// fixtures' real Debian kernel as `/boot/vmlinuz`.
fn ext4_image(name: &str, files: &[(&str, Vec<u8>)]) -> TempImage {
    let base = std::env::temp_dir().join(format!("xlboot-menu-img-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    let root = base.join("root");
    fs::create_dir_all(root.join("boot")).unwrap();
    fs::copy(kernel(), root.join("boot/vmlinuz")).unwrap();
    for (path, data) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }
    let image = base.join("disk.img");
    let out = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(&root)
        .arg(&image)
        .arg("64M")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TempImage { dir: base, image }
}

/// The real Debian kernel the images carry.
fn kernel() -> PathBuf {
    fixtures().join("chroot/boot/vmlinuz-6.1.0-50-amd64")
}

/// `grub-mkpasswd-pbkdf2`'s hash of `password`.
fn grub_pbkdf2(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("grub-mkpasswd-pbkdf2")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    write!(child.stdin.take().unwrap(), "{password}\n{password}\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let hash = text.split_whitespace().last().unwrap().to_string();
    assert!(hash.starts_with("grub.pbkdf2.sha512.10000."), "{text}");
    hash
}

/// A GRUB 2 config locked by `superusers`: root (PBKDF2) is the superuser, alice
/// (plain) may boot the entry that lists her, one entry is unrestricted; the default
/// is the superuser-only entry.
fn grub2_locked_image(timeout: &str) -> TempImage {
    let cfg = format!(
        "set superusers=\"root\"\n\
         password_pbkdf2 root {}\n\
         password alice alicepw\n\
         set default=2\n\
         set timeout={timeout}\n\
         menuentry 'Open entry' --unrestricted {{\n  linux /boot/vmlinuz root=/dev/xvda open\n}}\n\
         menuentry 'Alice entry' --users alice {{\n  linux /boot/vmlinuz root=/dev/xvda alice\n}}\n\
         menuentry 'Superuser entry' {{\n  linux /boot/vmlinuz root=/dev/xvda super\n}}\n",
        grub_pbkdf2("rootpw")
    );
    ext4_image(
        &format!("grub2-locked{timeout}"),
        &[("boot/grub/grub.cfg", cfg.into_bytes())],
    )
}

fn tools_for_images() -> bool {
    have("tmux", "tmux") && have("mke2fs", "e2fsprogs")
}

#[test]
fn grub2_users_and_superusers() {
    if !tools_for_images() || !have("grub-mkpasswd-pbkdf2", "grub-common") {
        return;
    }
    let image = grub2_locked_image("-1");
    let kernel_sha = sha256_file(&kernel());

    // alice boots her entry, after a wrong password; she may not boot the superuser's.
    let p = Pane::start(&image, &["--menu-wait=forever"], "vt100", 80, 24);
    let s = p.wait_for("*Superuser entry");
    assert!(s.contains("ask for a"), "{s}");
    p.keys(&["Enter"]);
    p.wait_for("Enter username:");
    p.type_text("alice");
    p.keys(&["Enter"]);
    p.wait_for("Enter password:");
    p.type_text("alicepw");
    p.keys(&["Enter"]);
    let s = p.wait_for("error: access denied.");
    assert!(!s.contains("alicepw"), "the password was shown:\n{s}");
    p.keys(&["Up", "Enter"]);
    p.wait_for("Enter username:");
    p.type_text("alice");
    p.keys(&["Enter"]);
    p.type_text("wrong");
    p.keys(&["Enter"]);
    p.wait_for("error: access denied.");
    p.keys(&["Enter"]);
    p.wait_for("Enter username:");
    p.type_text("alice");
    p.keys(&["Enter"]);
    p.type_text("alicepw");
    p.keys(&["Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda alice");
    assert_eq!(sha, kernel_sha);

    // Editing needs the superuser, whose password is PBKDF2; then nothing asks again.
    let p = Pane::start(&image, &["--menu-wait=forever"], "xterm", 80, 24);
    p.wait_for("*Superuser entry");
    p.keys(&["Home", "e"]);
    p.wait_for("Enter username:");
    p.type_text("root");
    p.keys(&["Enter"]);
    p.type_text("rootpw");
    p.keys(&["Enter"]);
    p.wait_for("Press Ctrl-X or F10 to boot");
    p.keys(&["Escape"]);
    let s = p.wait_for("`e' to edit the commands");
    assert!(!s.contains("ask for a"), "{s}");
    p.keys(&["End", "a"]);
    p.wait_for("args> root=/dev/xvda super");
    p.type_text("single");
    p.keys(&["Enter"]);
    let (reply, _) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda super single");

    // The unrestricted entry asks nothing.
    let p = Pane::start(&image, &["--menu-wait=forever"], "vt100", 80, 24);
    p.wait_for("*Superuser entry");
    p.keys(&["Home", "Enter"]);
    let (reply, _) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda open");

    // -q and --entry trust the administrator: no prompt, even for restricted entries.
    for (args, want) in [
        (&["-q"][..], "super"),
        (&["--entry=Alice entry"][..], "alice"),
    ] {
        let p = Pane::start(&image, args, "vt100", 80, 24);
        let (reply, _) = p.reply();
        assert_eq!(reply["args"], format!("root=/dev/xvda {want}"));
    }
}

#[test]
fn waiting_for_ever_is_capped_and_the_countdown_asks_nothing() {
    if !tools_for_images() || !have("grub-mkpasswd-pbkdf2", "grub-common") {
        return;
    }
    // Ubuntu's recordfail: timeout=-1. Capped at --menu-wait; the restricted default
    // boots at the end of the countdown without a prompt, as with -q.
    let image = grub2_locked_image("-1");
    let p = Pane::start(&image, &["--menu-wait=2"], "vt100", 80, 24);
    let s = p.wait_for("The config waits for ever");
    assert!(s.contains("*Superuser entry"), "{s}");
    let (reply, _) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda super");
}

#[test]
fn grub_legacy_password_and_lock() {
    if !tools_for_images() || !have("openssl", "openssl") {
        return;
    }
    let hash = Command::new("openssl")
        .args(["passwd", "-1", "legacypw"])
        .output()
        .unwrap();
    let hash = String::from_utf8(hash.stdout).unwrap().trim().to_string();
    let menu_lst = format!(
        "default 0\ntimeout 30\npassword --md5 {hash}\n\
         title Open entry\n\tkernel /boot/vmlinuz root=/dev/xvda open\n\
         title Locked entry\n\tlock\n\tkernel /boot/vmlinuz root=/dev/xvda locked\n\
         title Own password\n\tpassword ownpw\n\tkernel /boot/vmlinuz root=/dev/xvda own\n"
    );
    let image = ext4_image(
        "legacy-lock",
        &[("boot/grub/menu.lst", menu_lst.into_bytes())],
    );
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    let s = p.wait_for("*Open entry");
    assert!(s.contains("`p' to enter a"), "{s}");
    p.keys(&["e"]);
    p.wait_for("Locked: press `p' and enter the password first.");
    p.keys(&["Down", "Enter"]);
    p.wait_for("This entry is locked");
    p.keys(&["p"]);
    p.wait_for("Password:");
    p.type_text("wrong");
    p.keys(&["Enter"]);
    p.wait_for("Error 32: Must be authenticated");
    p.keys(&["p"]);
    p.wait_for("Password:");
    p.type_text("legacypw");
    p.keys(&["Enter"]);
    let s = p.wait_for("Unlocked");
    assert!(s.contains("`e' to edit the commands"), "{s}");
    p.keys(&["e"]);
    let s = p.wait_for("Press Ctrl-X or F10 to boot");
    assert!(
        s.contains("kernel (hd0)/boot/vmlinuz root=/dev/xvda locked"),
        "{s}"
    );
    p.keys(&["Escape", "Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda locked");
    assert_eq!(sha, sha256_file(&kernel()));

    // A password inside an entry is asked when that entry boots, without `p`.
    let p = Pane::start(&image, &[], "xterm", 80, 24);
    p.wait_for("*Open entry");
    p.keys(&["End", "Enter"]);
    p.wait_for("Password:");
    p.type_text("legacypw");
    p.keys(&["Enter"]);
    p.wait_for("Error 32: Must be authenticated");
    p.keys(&["Enter"]);
    p.wait_for("Password:");
    p.type_text("ownpw");
    p.keys(&["Enter"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda own");
}

#[test]
fn hostile_titles_and_arguments_reach_the_screen_harmless() {
    if !tools_for_images() {
        return;
    }
    let cfg = "set timeout=-1\n\
               menuentry 'a\x1b]2;pwned\x07b' {\n  linux /boot/vmlinuz root=/dev/xvda \x1b[31mred\n}\n\
               menuentry 'c\x1b[2J\x1b[Hd\u{9b}1;1He\u{85}f\rg' {\n  linux /boot/vmlinuz root=/dev/xvda two\n}\n";
    let image = ext4_image(
        "hostile",
        &[("boot/grub/grub.cfg", cfg.as_bytes().to_vec())],
    );
    for term in ["vt100", "xterm"] {
        let p = Pane::start(&image, &["--menu-wait=forever"], term, 80, 24);
        let s = p.wait_for("*a?]2;pwned?b");
        // (GRUB's reader drops the carriage return itself.)
        assert!(s.contains(" c?[2J?[Hd?1;1He?fg"), "{s}");
        assert!(
            s.contains("Use the up and down keys"),
            "the screen was cleared:\n{s}"
        );
        let title = p.tmux(&["display-message", "-p", "-t", "0", "#{pane_title}"]);
        assert!(
            !title.contains("pwned"),
            "the window title was set: {title}"
        );
        p.keys(&["e"]);
        let s = p.wait_for("Press Ctrl-X or F10 to boot");
        assert!(s.contains("root=/dev/xvda ?[31mred"), "{s}");
        p.keys(&["C-x"]);
        // The guest's own bytes still go to its kernel, unchanged.
        let (reply, _) = p.reply();
        assert_eq!(reply["args"], "root=/dev/xvda \x1b[31mred");
    }
}

#[test]
fn timeout_styles_countdown_and_hidden() {
    if !tools_for_images() {
        return;
    }
    let cfg = |style: &str| {
        format!(
            "set timeout_style={style}\nset timeout=3\n\
             menuentry 'First' {{\n  linux /boot/vmlinuz root=/dev/xvda first\n}}\n\
             menuentry 'Second' {{\n  linux /boot/vmlinuz root=/dev/xvda second\n}}\n"
        )
        .into_bytes()
    };
    let countdown = ext4_image(
        "style-countdown",
        &[("boot/grub/grub.cfg", cfg("countdown"))],
    );
    let hidden = ext4_image("style-hidden", &[("boot/grub/grub.cfg", cfg("hidden"))]);

    // countdown: one line, no menu; at its end the default boots.
    let p = Pane::start(&countdown, &[], "vt100", 80, 24);
    let s = p.wait_for("Press any key to enter the menu. Booting in");
    assert!(!s.contains("First"), "{s}");
    let (reply, _) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda first");

    // A key shows the menu, which then waits.
    let p = Pane::start(&countdown, &[], "vt100", 80, 24);
    p.wait_for("Press any key");
    p.keys(&["Escape"]);
    p.wait_for("*First");
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(p.status(), None);
    p.keys(&["Down", "Enter"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda second");

    // hidden: nothing drawn while waiting; a key shows the menu.
    let p = Pane::start(&hidden, &[], "vt100", 80, 24);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!p.screen().contains("First"), "{}", p.screen());
    p.keys(&["Down"]);
    p.wait_for("*First");
    p.keys(&["Down", "Enter"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda second");
}

#[test]
fn the_terminal_is_restored_after_a_signal() {
    let Some((p, _)) = demo_menu(&["--menu-wait=forever"], "vt100") else {
        return;
    };
    p.keys(&["Down"]);
    let pid = p.tmux(&["display-message", "-p", "-t", "0", "#{pane_pid}"]);
    let shell: i32 = pid.trim().parse().unwrap();
    let children = fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    let xlboot = children.split_whitespace().next().unwrap().to_string();
    assert_eq!(
        fs::read_to_string(format!("/proc/{xlboot}/comm"))
            .unwrap()
            .trim(),
        "xlboot"
    );
    assert!(Command::new("kill")
        .args(["-TERM", &xlboot])
        .status()
        .unwrap()
        .success());
    let (status, err) = p.wait_exit(Duration::from_secs(10));
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("stopped by SIGTERM"), "{err}");
    p.assert_cooked();
}

#[test]
fn systemd_boot_loader_conf_timeout() {
    if !have("tmux", "tmux") {
        return;
    }
    // kernel-install's entries with loader.conf `timeout 4`.
    let image = fixtures().join("sdboot.img");
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    let s = p.wait_for("executed automatically in 4s");
    assert!(
        s.contains("systemd-boot loader.conf") || s.contains("Boot Loader Specification"),
        "{s}"
    );
    let start = Instant::now();
    let (reply, sha) = p.reply();
    assert!(start.elapsed() >= Duration::from_secs(3));
    assert_eq!(
        (reply["args"].clone(), sha),
        entry_oracle(&image, "default")
    );
}

/// libxl's pty exactly: opened with no window size, `TERM=vt100`, the loader's stdin
/// and stdout. The menu is laid out for 80x24 and answers keys written to the master.
#[test]
fn a_pty_without_a_size_gets_80x24() {
    use std::io::{Read, Write};
    use std::process::Stdio;

    let pty = nix::pty::openpty(None, None).unwrap();
    let dir = std::env::temp_dir().join(format!("xlboot-menu-pty-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("d")).unwrap();
    fs::write(dir.join("out"), b"").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_xlboot"))
        .env("TERM", "vt100")
        .arg(format!("--output={}", dir.join("out").display()))
        .arg("--output-format=simple0")
        .arg(format!("--output-directory={}", dir.join("d").display()))
        .arg(demo())
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(pty.slave);
    let mut master = fs::File::from(pty.master);
    let mut reader = master.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("executed automatically") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}",
            String::from_utf8_lossy(&seen)
        );
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.extend(bytes);
        }
    }
    let text = String::from_utf8_lossy(&seen);
    // The box spans 80 columns (1 margin, 78 wide) and the last row drawn is row 24.
    assert!(text.contains(&format!(" +{}+", "-".repeat(76))), "{text}");
    assert!(
        text.contains("\x1b[24;1H") && !text.contains("\x1b[25;1H"),
        "{text}"
    );
    master.write_all(b"\x1b[B\r").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    master.write_all(b"\r").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = fs::read_to_string(dir.join("out")).unwrap();
    let (args, _) = entry_oracle(&demo(), "1>0");
    assert!(reply.contains(&format!("\0args {args}\0")), "{reply:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_person_at_the_menu_outlasts_the_disk_timeout() {
    // --timeout limits reading the disk; the menu tells the parent it is alive.
    let Some((p, _)) = demo_menu(&["--timeout=2", "--menu-wait=forever"], "vt100") else {
        return;
    };
    p.keys(&["Down"]);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        p.status(),
        None,
        "killed at the disk timeout:\n{}",
        p.screen()
    );
    p.keys(&["Up", "Enter"]);
    assert_eq!(p.reply().0["args"], entry_oracle(&demo(), "default").0);
}

#[test]
fn the_terminal_is_restored_when_the_boot_fails() {
    if !tools_for_images() {
        return;
    }
    let cfg = "set timeout=1\nmenuentry 'Gone' {\n  linux /boot/vmlinuz-gone root=/dev/xvda\n}\n";
    let image = ext4_image("gone", &[("boot/grub/grub.cfg", cfg.as_bytes().to_vec())]);
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    p.wait_for("*Gone");
    let (status, err) = p.wait_exit(Duration::from_secs(20));
    assert_eq!(status, 1);
    assert!(err.contains("vmlinuz-gone"), "{err}");
    p.assert_cooked();
    // The copies the parent made are gone.
    assert_eq!(fs::read_dir(p.dir.join("d")).unwrap().count(), 0);
}

/// Debian's pygrub.
const PYGRUB: &str = "/usr/lib/xen-4.17/bin/pygrub";

/// pygrub's `a` (and `e`, `c`) crash under Python 3 (`string.join`), so the guest does
/// not boot; the same keys in xlboot boot the entry with the added argument.
#[test]
fn side_by_side_with_pygrub_append() {
    if !have("tmux", "tmux") || !have(PYGRUB, "xen-utils-4.17") {
        return;
    }
    let p = Pane::start_loader(PYGRUB, &demo(), &[], "vt100", 80, 24);
    p.wait_for("pyGRUB");
    p.keys(&["a"]);
    let (status, err) = p.wait_exit(Duration::from_secs(30));
    assert_ne!(status, 0, "pygrub's a key worked after all: {err}");
    assert!(
        err.contains("Unable to find partition containing kernel"),
        "{err}"
    );

    let (p, _) = demo_pane(&[], "vt100");
    p.keys(&["a"]);
    p.wait_for("args>");
    p.type_text("single");
    p.keys(&["Enter"]);
    let (reply, _) = p.reply();
    assert_eq!(
        reply["args"],
        format!("{} single", entry_oracle(&demo(), "default").0)
    );
}

/// `openssl passwd ALG PASSWORD` (`-1`, `-5`, `-6`).
fn openssl_passwd(alg: &str, password: &str) -> String {
    let out = Command::new("openssl")
        .args(["passwd", alg, password])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn grub_legacy_password_loads_another_config() {
    if !tools_for_images() {
        return;
    }
    // GRUB legacy `password PASS FILE`: the password loads FILE as the new menu,
    // in which nothing is unlocked.
    let menu_lst = "default 0\ntimeout 30\npassword legacypw /boot/grub/admin.lst\n\
                    title Open entry\n\tkernel /boot/vmlinuz root=/dev/xvda open\n";
    let admin_lst = "timeout 30\npassword adminpw\n\
                     title Admin entry\n\tkernel /boot/vmlinuz root=/dev/xvda admin\n";
    let image = ext4_image(
        "legacy-newconfig",
        &[
            ("boot/grub/menu.lst", menu_lst.as_bytes().to_vec()),
            ("boot/grub/admin.lst", admin_lst.as_bytes().to_vec()),
        ],
    );
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    p.wait_for("*Open entry");
    p.keys(&["p"]);
    p.wait_for("Password:");
    p.type_text("legacypw");
    p.keys(&["Enter"]);
    let s = p.wait_for("*Admin entry");
    assert!(s.contains("(hd0)/boot/grub/admin.lst"), "{s}");
    assert!(
        s.contains("`p' to enter a"),
        "nothing is unlocked in it:\n{s}"
    );
    p.keys(&["Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!(reply["args"], "root=/dev/xvda admin");
    assert_eq!(sha, sha256_file(&kernel()));
}

#[test]
fn wrong_passwords_wait_and_end_the_asking() {
    if !tools_for_images() {
        return;
    }
    let menu_lst = "default 0\ntimeout 30\npassword rightpw\n\
                    title Open entry\n\tkernel /boot/vmlinuz root=/dev/xvda open\n\
                    title Locked entry\n\tlock\n\tkernel /boot/vmlinuz root=/dev/xvda locked\n";
    let image = ext4_image(
        "legacy-failures",
        &[("boot/grub/menu.lst", menu_lst.as_bytes().to_vec())],
    );
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    p.wait_for("*Open entry");
    // GRUB 2's wait after each wrong password: 1 s, then 2 s, then 4 s. A key
    // typed during the wait is read after it.
    for (n, wait) in [(1, 1), (2, 2), (3, 4)] {
        p.keys(&["p"]);
        p.wait_for("Password:");
        p.type_text(&format!("wrong{n}"));
        p.tmux(&["send-keys", "-t", "0", "Enter", "Down"]);
        let start = Instant::now();
        p.wait_for("Error 32: Must be authenticated");
        p.wait_for("*Locked entry");
        assert!(
            start.elapsed() >= Duration::from_secs(wait),
            "failure {n}: the menu read a key after {:?}",
            start.elapsed()
        );
        p.keys(&["Up"]);
    }
    // No fourth try, even with the right password; open entries still boot.
    p.keys(&["p"]);
    let s = p.wait_for("3 wrong passwords: no more are asked");
    assert!(!s.contains("Password:"), "{s}");
    p.keys(&["Enter"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda open");
}

#[test]
fn grub2_hotkeys_boot_and_open() {
    if !tools_for_images() {
        return;
    }
    let cfg = "set timeout=30\n\
               menuentry 'First' {\n  linux /boot/vmlinuz root=/dev/xvda first\n}\n\
               menuentry 'Second' --hotkey=x {\n  linux /boot/vmlinuz root=/dev/xvda second\n}\n\
               submenu 'More' --hotkey=m {\n\
                 menuentry 'Inner' --hotkey=f5 {\n  linux /boot/vmlinuz root=/dev/xvda inner\n}\n\
               }\n";
    let image = ext4_image(
        "grub2-hotkeys",
        &[("boot/grub/grub.cfg", cfg.as_bytes().to_vec())],
    );
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    p.wait_for("*First");
    p.keys(&["x"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda second");

    // A submenu's hotkey opens it; F5 is a hotkey of the submenu's entry only.
    let p = Pane::start(&image, &[], "xterm", 80, 24);
    p.wait_for("*First");
    p.keys(&["F5"]);
    p.keys(&["m"]);
    p.wait_for("*Inner");
    p.keys(&["F5"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda inner");

    // A hotkey chooses as Enter does: a restricted entry asks first.
    let locked = ext4_image(
        "grub2-hotkeys-locked",
        &[(
            "boot/grub/grub.cfg",
            format!("set superusers=root\npassword root rootpw\n{cfg}").into_bytes(),
        )],
    );
    let p = Pane::start(&locked, &[], "vt100", 80, 24);
    p.wait_for("*First");
    p.keys(&["x"]);
    p.wait_for("Enter username:");
    p.type_text("root");
    p.keys(&["Enter"]);
    p.type_text("rootpw");
    p.keys(&["Enter"]);
    assert_eq!(p.reply().0["args"], "root=/dev/xvda second");
}

#[test]
fn syslinux_passwords_hidden_menu_and_hidden_label() {
    if !tools_for_images() || !have("openssl", "openssl") {
        return;
    }
    let cfg = format!(
        "UI menu.c32\nTIMEOUT 30\nMENU HIDDEN\nMENU MASTER PASSWD {}\n\
         LABEL open\n  LINUX /boot/vmlinuz\n  APPEND root=/dev/xvda open\n\
         LABEL locked\n  MENU PASSWD {}\n  LINUX /boot/vmlinuz\n  APPEND root=/dev/xvda locked\n\
         LABEL gone\n  MENU HIDE\n  LINUX /boot/vmlinuz\n  APPEND root=/dev/xvda gone\n\
         MENU BEGIN sub\n  MENU PASSWD $4$c2FsdA$aGFzaA$\n\
         LABEL inner\n  LINUX /boot/vmlinuz\n  APPEND root=/dev/xvda inner\nMENU END\n",
        openssl_passwd("-6", "masterpw"),
        openssl_passwd("-5", "entrypw"),
    );
    let image = ext4_image(
        "syslinux-passwd",
        &[("boot/extlinux/extlinux.conf", cfg.into_bytes())],
    );
    // MENU HIDDEN: nothing drawn while waiting; a key shows the menu, without the
    // MENU HIDE label. The entry's password (SHA-256 crypt) boots it.
    let p = Pane::start(&image, &[], "vt100", 80, 24);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!p.screen().contains("open"), "{}", p.screen());
    p.keys(&["Down"]);
    let s = p.wait_for("*open");
    assert!(!s.contains("gone"), "{s}");
    assert!(s.contains("master password"), "{s}");
    p.keys(&["Down", "Enter"]);
    p.wait_for("Password:");
    p.type_text("entrypw");
    p.keys(&["Enter"]);
    let (reply, sha) = p.reply();
    assert_eq!(
        reply["args"],
        "BOOT_IMAGE=/boot/vmlinuz root=/dev/xvda locked"
    );
    assert_eq!(sha, sha256_file(&kernel()));

    // The master password (SHA-512 crypt) is asked before editing, and opens the
    // locked entry too.
    let p = Pane::start(&image, &[], "xterm", 80, 24);
    p.keys(&["Down"]);
    p.wait_for("*open");
    p.keys(&["a"]);
    p.wait_for("Password:");
    p.type_text("entrypw");
    p.keys(&["Enter"]);
    p.wait_for("Wrong password.");
    // A submenu's own password, in syslinux's SHA-1 form, which xlboot cannot check.
    p.keys(&["End", "Enter"]);
    p.wait_for("Password:");
    p.type_text("anything");
    p.keys(&["Enter"]);
    p.wait_for("The password cannot be checked: $4$ (SHA-1) password hashes are unsupported.");
    p.keys(&["Home", "Down", "Enter"]);
    p.wait_for("Password:");
    p.type_text("masterpw");
    p.keys(&["Enter"]);
    assert_eq!(
        p.reply().0["args"],
        "BOOT_IMAGE=/boot/vmlinuz root=/dev/xvda locked"
    );
}

#[test]
fn the_menu_time_ends_in_the_default() {
    // --menu-timeout bounds the whole menu, even in the editor with the countdown
    // stopped: then the default boots.
    let start = Instant::now();
    let Some((p, _)) = demo_menu(&["--menu-timeout=10", "--menu-wait=forever"], "vt100") else {
        return;
    };
    p.keys(&["e"]);
    p.wait_for("Press Ctrl-X or F10 to boot");
    let (reply, sha) = p.reply();
    assert!(start.elapsed() >= Duration::from_secs(10));
    assert_eq!(
        (reply["args"].clone(), sha),
        entry_oracle(&demo(), "default")
    );
}

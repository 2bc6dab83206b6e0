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

use sha2::{Digest, Sha256};

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    assert!(
        dir.join("MANIFEST").is_file(),
        "no fixture images in {}: run scripts/fixtures/build (or scripts/test)",
        dir.display()
    );
    dir
}

/// Whether `tool` runs; a missing one skips, unless XLBOOT_REQUIRE_TOOLS is set.
fn have(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool).arg("-V").output().is_ok();
    if !ok {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("{tool} is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: {tool} not installed (package {package})");
    }
    ok
}

fn sha256_file(path: &Path) -> String {
    format!("{:x}", Sha256::digest(fs::read(path).unwrap()))
}

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
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let socket = format!("xlboot-menu-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("d")).unwrap();
        fs::write(dir.join("out"), b"").unwrap();
        let mut cmd = vec![
            "env".to_string(),
            format!("TERM={term}"),
            env!("CARGO_BIN_EXE_xlboot").to_string(),
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
        let script = format!(
            "{} 2>'{}'; echo $? > '{}'; sleep 600",
            quoted.join(" "),
            dir.join("err").display(),
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

    /// The reply after a successful run: items, and the kernel copy's sha256.
    fn reply(&self) -> (BTreeMap<String, String>, String) {
        let (status, err) = self.wait_exit(Duration::from_secs(60));
        assert_eq!(status, 0, "xlboot failed: {err}");
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

#[test]
fn navigation_submenu_and_enter() {
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &[], "vt100", 80, 24);
    let s = p.wait_for("Advanced options for Debian GNU/Linux");
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
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &[], "vt100", 80, 24);
    p.wait_for("executed automatically in 5s");
    let start = Instant::now();
    let (reply, sha) = p.reply();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(4), "booted after {waited:?}");
    assert_eq!(
        (reply["args"].clone(), sha),
        entry_oracle(&demo(), "default")
    );

    let p = Pane::start(&demo(), &[], "xterm", 80, 24);
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
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &[], "vt100", 80, 24);
    p.wait_for("Advanced options");
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
    let p = Pane::start(&demo(), &[], "xterm", 80, 24);
    p.wait_for("Advanced options");
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
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &[], "vt100", 80, 24);
    p.wait_for("Advanced options");
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
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &[], "vt100", 80, 24);
    p.wait_for("Advanced options");
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
    if !have("tmux", "tmux") {
        return;
    }
    let p = Pane::start(&demo(), &["--menu-wait=forever"], "xterm", 80, 24);
    let s = p.wait_for("Advanced options");
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

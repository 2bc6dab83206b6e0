//! The `c` command line, and reading an edited entry's lines back.
//!
//! A small GRUB-like shell over the guest's files: `linux` (or `kernel`) names the
//! kernel and its command line, `initrd` the initrds, `args` replaces the command
//! line, `boot` boots, `ls` lists devices and directories. Paths are GRUB's:
//! `(hd0,msdos1)/boot/vmlinuz`, or `/boot/vmlinuz` on the config's device. The files
//! are looked up through [`GuestFiles`], i.e. by the sandboxed readers.

use xlboot_config::{BootSpec, FilePath};

use super::GuestFiles;

/// Longest the output history keeps, in lines.
const MAX_OUTPUT_LINES: usize = 200;

/// Most names `ls` lists.
const MAX_LISTED: usize = 4096;

/// Most initrds one `initrd` names.
const MAX_INITRDS: usize = 16;

/// The command line's state: what is loaded so far, and what was printed.
#[derive(Debug, Clone)]
pub struct State {
    device: String,
    kernel: Option<FilePath>,
    args: String,
    initrds: Vec<FilePath>,
    output: Vec<String>,
}

impl State {
    /// Nothing loaded; paths without a device are on `device`.
    pub fn new(device: &str) -> Self {
        State {
            device: device.to_string(),
            kernel: None,
            args: String::new(),
            initrds: Vec::new(),
            output: Vec::new(),
        }
    }

    /// Adds a line of output (the oldest go when there are too many).
    pub fn say(&mut self, line: &str) {
        if self.output.len() >= MAX_OUTPUT_LINES {
            self.output.remove(0);
        }
        self.output.push(line.to_string());
    }

    /// The output so far.
    pub fn output(&self) -> &[String] {
        &self.output
    }

    /// Runs one command line; `Some` when it is `boot` with a kernel loaded.
    pub fn run(&mut self, line: &str, files: &dyn GuestFiles) -> Option<BootSpec> {
        let (cmd, rest) = split_word(line.trim());
        match cmd {
            "" => {}
            "linux" | "linux16" | "linuxefi" | "kernel" => {
                let (path, args) = split_word(rest);
                match self.existing(path, files) {
                    Ok(f) => {
                        self.kernel = Some(f);
                        self.args = args.trim().to_string();
                        self.initrds.clear();
                    }
                    Err(m) => self.say(&m),
                }
            }
            "initrd" | "initrd16" | "initrdefi" => {
                let words: Vec<&str> = rest.split_ascii_whitespace().collect();
                if words.is_empty() || words.len() > MAX_INITRDS {
                    self.say(&format!("error: initrd takes 1 to {MAX_INITRDS} paths."));
                    return None;
                }
                let mut found = Vec::new();
                for w in words {
                    match self.existing(w, files) {
                        Ok(f) => found.push(f),
                        Err(m) => {
                            self.say(&m);
                            return None;
                        }
                    }
                }
                self.initrds = found;
            }
            "args" => self.args = rest.trim().to_string(),
            "boot" => match &self.kernel {
                Some(k) => {
                    return Some(BootSpec {
                        kernel: k.clone(),
                        initrds: self.initrds.clone(),
                        args: self.args.clone(),
                    })
                }
                None => self.say("error: you need to load the kernel first."),
            },
            "ls" => self.ls(rest.trim(), files),
            "help" => {
                self.say("linux PATH [ARGS...]  the kernel and its command line (also `kernel')");
                self.say("initrd PATH...        the initrds, loaded one after the other");
                self.say("args [ARGS...]        replace the command line");
                self.say("boot                  boot what is loaded");
                self.say("ls [PATH]             list the devices, or a directory");
                let loaded = match &self.kernel {
                    Some(k) => format!("loaded: {k} {}", self.args),
                    None => "loaded: nothing".to_string(),
                };
                self.say(&loaded);
            }
            other => self.say(&format!("error: can't find command `{other}'.")),
        }
        None
    }

    /// `path` as a file that exists, or the error line.
    fn existing(&self, path: &str, files: &dyn GuestFiles) -> Result<FilePath, String> {
        let f = parse_path(path, &self.device)?;
        match files.is_file(&f) {
            Ok(true) => Ok(f),
            Ok(false) => Err(format!("error: file `{f}' not found.")),
            Err(m) => Err(format!("error: {m}")),
        }
    }

    fn ls(&mut self, arg: &str, files: &dyn GuestFiles) {
        if arg.is_empty() {
            let devices: Vec<String> = files.devices().iter().map(|d| format!("({d})")).collect();
            self.wrap(&devices);
            return;
        }
        let dir = match parse_path(arg, &self.device) {
            Ok(d) => d,
            Err(m) => return self.say(&m),
        };
        match files.list(&dir) {
            Ok(Some(mut names)) => {
                names.truncate(MAX_LISTED);
                names.sort();
                self.wrap(&names);
            }
            Ok(None) => match files.is_file(&dir) {
                Ok(true) => self.say(&dir.path),
                _ => self.say(&format!("error: file `{dir}' not found.")),
            },
            Err(m) => self.say(&format!("error: {m}")),
        }
    }

    /// Names on lines of at most 78 columns.
    fn wrap(&mut self, names: &[String]) {
        let mut line = String::new();
        for n in names {
            if !line.is_empty() && line.len() + 1 + n.len() > 78 {
                self.say(&line);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(n);
        }
        if !line.is_empty() {
            self.say(&line);
        }
    }
}

/// The first blank-separated word and the rest after it.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find([' ', '\t']) {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i..).unwrap_or("")),
        None => (s, ""),
    }
}

/// A GRUB path: `(device)/path`, `(device)` (its root), or `/path` on `device`.
pub fn parse_path(word: &str, device: &str) -> Result<FilePath, String> {
    let (dev, path) = match word.strip_prefix('(') {
        Some(rest) => {
            let close = rest
                .find(')')
                .ok_or_else(|| format!("error: missing `)' in `{word}'."))?;
            (
                rest.get(..close).unwrap_or_default().to_string(),
                rest.get(close + 1..).unwrap_or_default(),
            )
        }
        None => (device.to_string(), word),
    };
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') {
        return Err(format!(
            "error: `{word}': a path starts with / or (device)."
        ));
    }
    Ok(FilePath::new(dev, path))
}

/// An edited entry's lines as what to boot: `linux PATH ARGS...` (or `linux16`,
/// `linuxefi`, `kernel`: the rest of the line is the command line as typed) and
/// `initrd PATH...`; blank lines and `#` remarks are skipped.
pub fn spec_from_lines(lines: &[String], device: &str) -> Result<BootSpec, String> {
    let mut kernel = None;
    let mut args = String::new();
    let mut initrds = Vec::new();
    for line in lines {
        let (cmd, rest) = split_word(line.trim());
        match cmd {
            "" => {}
            c if c.starts_with('#') => {}
            "linux" | "linux16" | "linuxefi" | "kernel" => {
                let (path, a) = split_word(rest);
                if path.is_empty() {
                    return Err(format!("error: `{cmd}' needs a path."));
                }
                kernel = Some(parse_path(path, device)?);
                args = a.trim().to_string();
            }
            "initrd" | "initrd16" | "initrdefi" => {
                initrds = rest
                    .split_ascii_whitespace()
                    .take(MAX_INITRDS)
                    .map(|w| parse_path(w, device))
                    .collect::<Result<_, _>>()?;
            }
            other => {
                return Err(format!(
                    "error: `{other}' is not something the editor boots (linux, kernel, initrd)."
                ))
            }
        }
    }
    let kernel = kernel.ok_or("error: you need to load the kernel first (a `linux' line).")?;
    Ok(BootSpec {
        kernel,
        initrds,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files;
    impl GuestFiles for Files {
        fn devices(&self) -> Vec<String> {
            vec!["hd0".into(), "hd0,msdos1".into()]
        }
        fn list(&self, dir: &FilePath) -> Result<Option<Vec<String>>, String> {
            Ok((dir.path == "/boot").then(|| vec!["vmlinuz".into(), "initrd.img".into()]))
        }
        fn is_file(&self, f: &FilePath) -> Result<bool, String> {
            Ok(f.path == "/boot/vmlinuz" || f.path == "/boot/initrd.img")
        }
    }

    #[test]
    fn paths() {
        let f = parse_path("(hd0,msdos2)/boot/x", "hd0,msdos1").unwrap();
        assert_eq!(
            (f.device.as_str(), f.path.as_str()),
            ("hd0,msdos2", "/boot/x")
        );
        assert_eq!(parse_path("(hd0)", "d").unwrap().path, "/");
        assert_eq!(parse_path("/a", "d").unwrap().device, "d");
        assert!(parse_path("a", "d").is_err());
        assert!(parse_path("(hd0/a", "d").is_err());
    }

    #[test]
    fn a_session() {
        let mut s = State::new("hd0,msdos1");
        assert!(s.run("boot", &Files).is_none());
        assert!(s.run("linux /boot/nope ro", &Files).is_none());
        assert!(s
            .run("linux /boot/vmlinuz root=/dev/xvda1  ro", &Files)
            .is_none());
        assert!(s.run("initrd /boot/initrd.img", &Files).is_none());
        assert!(s.run("args root=/dev/xvda2 single", &Files).is_none());
        s.run("ls", &Files);
        s.run("ls /boot", &Files);
        s.run("frobnicate", &Files);
        let spec = s.run("boot", &Files).unwrap();
        assert_eq!(spec.kernel.to_string(), "(hd0,msdos1)/boot/vmlinuz");
        assert_eq!(spec.initrds.len(), 1);
        assert_eq!(spec.args, "root=/dev/xvda2 single");
        let out = s.output().join("\n");
        assert!(
            out.contains("error: you need to load the kernel first."),
            "{out}"
        );
        assert!(
            out.contains("error: file `(hd0,msdos1)/boot/nope' not found."),
            "{out}"
        );
        assert!(out.contains("(hd0) (hd0,msdos1)"), "{out}");
        assert!(out.contains("initrd.img vmlinuz"), "{out}");
        assert!(
            out.contains("error: can't find command `frobnicate'."),
            "{out}"
        );
    }

    #[test]
    fn edited_lines() {
        let spec = spec_from_lines(
            &[
                "linux (hd0,msdos1)/boot/vmlinuz root=UUID=x ro  quiet".into(),
                "".into(),
                "initrd /boot/a /boot/b".into(),
            ],
            "hd0,msdos1",
        )
        .unwrap();
        assert_eq!(spec.args, "root=UUID=x ro  quiet");
        assert_eq!(spec.initrds.len(), 2);
        assert!(spec_from_lines(&["initrd /x".into()], "d").is_err());
        assert!(spec_from_lines(&["insmod gzio".into()], "d").is_err());
    }
}

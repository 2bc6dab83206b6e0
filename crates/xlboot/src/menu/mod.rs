//! The interactive boot menu on the guest's console.
//!
//! `xl create -c` shows what the boot loader draws on the pty libxl gives it
//! (`TERM=vt100`, no window size). This is GRUB's menu as users know it: the
//! entries in a box, submenus (Enter opens one, Esc goes back), the default
//! highlighted, a countdown by the config's own rules ([`countdown`]), `e` to edit
//! an entry, `a` to add to its command line, `c` for a small command line, and the
//! config's passwords ([`auth`]).
//!
//! Where it runs: in the sandboxed child, right after the config is evaluated, so
//! that guest data is never handed to a privileged process and the command line's
//! `ls` reads the guest through the same confined readers. The parent sets the
//! terminal's raw mode and restores it ([`raw_mode`]); the child only reads, writes,
//! polls and asks the window size ([`terminal`]). Everything drawn passes through
//! [`screen::Frame`], which lets no control character from the guest through.

mod auth;
mod command_line;
pub mod console;
pub mod countdown;
mod editor;
mod keys;
mod password;
pub mod raw_mode;
mod screen;
pub mod terminal;

use std::time::{Duration, Instant};

use xlboot_config::{BootSpec, EntryPath, FilePath, Menu, MenuItem, MenuKey, TimeoutStyle};

use self::auth::{Auth, Gate};
use self::countdown::Countdown;
pub use self::countdown::ForeverWait;
use self::editor::{EntryEditor, LineEditor};
use self::keys::Key;
use self::screen::Frame;
use self::terminal::{Input, Terminal};

/// What the menu may ask of the guest's disks: the command line's `ls`, and whether
/// the files an edited entry names exist.
pub trait GuestFiles {
    /// The devices, as GRUB names them (`hd0`, `hd0,msdos1`, ...).
    fn devices(&self) -> Vec<String>;
    /// The names in a directory; `None` if there is no such directory.
    fn list(&self, dir: &FilePath) -> Result<Option<Vec<String>>, String>;
    /// Whether a regular file exists.
    fn is_file(&self, file: &FilePath) -> Result<bool, String>;
}

/// What the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    /// Its title (a `a>b` path in a submenu; "edited" or "command line" for the
    /// others).
    pub title: String,
    /// What to boot.
    pub spec: BootSpec,
    /// Where it is in the menu, for an entry booted as the config has it (`None`
    /// for an edited entry or the command line's).
    pub path: Option<EntryPath>,
}

/// The menu's settings from the command line and the config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--menu-wait`.
    pub forever: ForeverWait,
    /// The config shown in the title, e.g. `GRUB 2: (hd0,msdos1)/boot/grub/grub.cfg`.
    pub config: String,
    /// The device of the config, for paths typed without one.
    pub device: String,
    /// The word that loads a kernel in the config's language (`kernel` for GRUB
    /// legacy, else `linux`), used by the entry editor.
    pub kernel_word: &'static str,
    /// When the menu's time (`--menu-timeout`) ends, whatever is being done in it;
    /// then the default boots.
    pub ends: Instant,
}

/// How the menu ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Something to boot.
    Boot(Picked),
    /// GRUB legacy's `password PASS FILE` was given: FILE is the config to show now.
    LoadConfig(FilePath),
}

/// How long the menu may be shown by default: libxl's bootloader timeout
/// (`LIBXL_BOOTLOADER_TIMEOUT`, 120 s unless set), after which libxl kills a
/// restricted boot loader anyway.
pub const DEFAULT_MENU_TIMEOUT: Duration = Duration::from_secs(120);

/// What a wrong password of GRUB legacy (and of a syslinux entry) says.
const WRONG_PASSWORD: &str = "Error 32: Must be authenticated (wrong password).";

/// Wrong passwords after which the menu asks for none any more.
pub const MAX_PASSWORD_FAILURES: u32 = 3;

/// The wait after the first wrong password; each further one doubles it (GRUB 2's
/// `punishment_delay` in `grub_auth_check_authentication`), up to
/// [`MAX_FAILURE_DELAY`].
const FIRST_FAILURE_DELAY: Duration = Duration::from_secs(1);

/// The longest wait after a wrong password.
pub const MAX_FAILURE_DELAY: Duration = Duration::from_secs(8);

/// Ticks at which the screen is redrawn when nothing happens: the countdown's
/// seconds, and a resized window (the size is asked again each time).
const TICK: Duration = Duration::from_millis(500);

/// Shows the menu on `term` until an entry is chosen, the countdown ends or the
/// menu's time is over, and says what to boot (or which config to show instead).
/// The screen is cleared afterwards.
pub fn run(
    menu: &Menu,
    term: &mut Terminal<'_>,
    files: &dyn GuestFiles,
    settings: &Settings,
) -> Result<Ended, String> {
    term.end_at(settings.ends);
    let mut session = Session {
        menu,
        files,
        settings,
        levels: vec![Level {
            prefix: Vec::new(),
            selected: menu
                .default
                .as_ref()
                .and_then(|p| p.first().copied())
                .unwrap_or(0),
            top: 0,
        }],
        deadline: None,
        capped: false,
        message: None,
        auth: Auth::default(),
        failures: 0,
        load: None,
        last: Vec::new(),
    };
    let result = session.main(term);
    let _ = term.write(screen::CLEAR);
    result
}

/// What a screen above the menu got while it waited.
enum Step {
    /// A key.
    Key(Key),
    /// Nothing within a tick: draw again (the window may have changed).
    Tick,
    /// Back to the menu.
    Leave,
}

/// One menu level on the screen.
#[derive(Debug, Clone)]
struct Level {
    /// The submenu's path (empty for the top menu).
    prefix: EntryPath,
    selected: usize,
    /// First item shown.
    top: usize,
}

struct Session<'a> {
    menu: &'a Menu,
    files: &'a dyn GuestFiles,
    settings: &'a Settings,
    levels: Vec<Level>,
    /// When the default boots, while the countdown runs.
    deadline: Option<Instant>,
    capped: bool,
    /// A line shown at the bottom until the next key.
    message: Option<String>,
    auth: Auth,
    /// Wrong passwords so far.
    failures: u32,
    /// Set when a password asks for another config ([`Ended::LoadConfig`]).
    load: Option<FilePath>,
    /// The last bytes drawn, so that an unchanged screen is not drawn again (libxl
    /// appends everything drawn to the bootloader log).
    last: Vec<u8>,
}

impl Session<'_> {
    fn main(&mut self, term: &mut Terminal<'_>) -> Result<Ended, String> {
        let countdown = Countdown::for_menu(self.menu, self.settings.forever);
        self.capped = countdown.capped;
        match (countdown.style, countdown.wait) {
            (_, Some(w)) if w.is_zero() => {
                if !term.key_waiting()? {
                    return self.boot_default().map(Ended::Boot);
                }
                // The key only asks for the menu.
                let _ = term.next(Some(Duration::ZERO))?;
            }
            (TimeoutStyle::Countdown | TimeoutStyle::Hidden, Some(w)) => {
                let deadline = Instant::now() + w;
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return self.boot_default().map(Ended::Boot);
                    }
                    if countdown.style == TimeoutStyle::Countdown {
                        let mut f = Frame::new(term.size());
                        f.put(
                            0,
                            0,
                            &format!(
                                "Press any key to enter the menu. Booting in {} s...",
                                ceil_secs(left)
                            ),
                        );
                        f.cursor = (0, 0);
                        self.draw(term, &f)?;
                    }
                    term.beat();
                    match term.next(Some(left.min(TICK)))? {
                        Input::Key(_) => break,
                        Input::Timeout => {}
                        Input::Closed | Input::Expired => {
                            return self.boot_default().map(Ended::Boot)
                        }
                    }
                }
            }
            (_, wait) => self.deadline = wait.map(|w| Instant::now() + w),
        }
        loop {
            let f = self.menu_frame(term.size());
            self.draw(term, &f)?;
            term.beat();
            let wait = match self.deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return self.boot_default().map(Ended::Boot);
                    }
                    left.min(TICK)
                }
                None => TICK,
            };
            let key = match term.next(Some(wait))? {
                Input::Key(k) => k,
                Input::Timeout => continue,
                // Nobody can choose any more (the console is gone, or the menu's time
                // is over): what the countdown would have done.
                Input::Closed | Input::Expired => return self.boot_default().map(Ended::Boot),
            };
            self.deadline = None;
            self.message = None;
            if let Some(picked) = self.menu_key(term, key)? {
                return Ok(Ended::Boot(picked));
            }
            if let Some(file) = self.load.take() {
                return Ok(Ended::LoadConfig(file));
            }
        }
    }

    /// Shows `f`, a screen above the menu (a prompt, the editor, the command line),
    /// and waits up to a tick for a key. Esc leaves the screen, and so does the end
    /// of the menu's time (the menu then boots the default).
    fn screen_step(&mut self, term: &mut Terminal<'_>, f: &Frame) -> Result<Step, String> {
        self.draw(term, f)?;
        term.beat();
        Ok(match term.next(Some(TICK))? {
            Input::Key(Key::Esc) | Input::Expired => Step::Leave,
            Input::Key(k) => Step::Key(k),
            Input::Timeout => Step::Tick,
            Input::Closed => return Err("the console closed".into()),
        })
    }

    /// Draws `f` unless the screen already shows it.
    fn draw(&mut self, term: &Terminal<'_>, f: &Frame) -> Result<(), String> {
        let bytes = f.render();
        if bytes != self.last {
            term.write(&bytes)?;
            self.last = bytes;
        }
        Ok(())
    }

    fn boot_default(&self) -> Result<Picked, String> {
        let path = self
            .menu
            .default
            .clone()
            .ok_or("the config has no menu entries")?;
        self.entry_pick(&path)
    }

    /// The entry at `path` as a choice, or why it cannot boot.
    fn entry_pick(&self, path: &[usize]) -> Result<Picked, String> {
        let flat = self.menu.flatten();
        let e = flat
            .iter()
            .find(|e| e.path.as_slice() == path)
            .ok_or("the selected entry does not exist")?;
        match &e.entry.boot {
            Ok(spec) => Ok(Picked {
                title: e.title_path.clone(),
                spec: spec.clone(),
                path: Some(path.to_vec()),
            }),
            Err(why) => Err(format!(
                "entry '{}' cannot be booted by xlboot: {why}",
                e.title_path
            )),
        }
    }

    fn items(&self, prefix: &[usize]) -> &[MenuItem] {
        let mut items = self.menu.items.as_slice();
        for i in prefix {
            match items.get(*i) {
                Some(MenuItem::Submenu { items: sub, .. }) => items = sub,
                _ => return &[],
            }
        }
        items
    }

    fn level(&self) -> &Level {
        // `levels` always holds the top menu.
        self.levels.last().unwrap_or_else(|| unreachable!())
    }

    fn level_mut(&mut self) -> &mut Level {
        self.levels.last_mut().unwrap_or_else(|| unreachable!())
    }

    /// The path of the highlighted item.
    fn selected_path(&self) -> EntryPath {
        let l = self.level();
        let mut p = l.prefix.clone();
        p.push(l.selected);
        p
    }

    fn menu_frame(&mut self, size: terminal::Size) -> Frame {
        let mut f = Frame::new(size);
        let (cols, rows) = (size.cols, size.rows);
        f.center(
            0,
            &format!(
                "xlboot {}  -  {}",
                env!("CARGO_PKG_VERSION"),
                self.settings.config
            ),
        );
        if self.levels.len() > 1 {
            let titles = self.title_path(&self.level().prefix);
            f.put(1, 2, &titles);
        }
        let height = rows.saturating_sub(12).max(1);
        let items_len = self.items(&self.level().prefix.clone()).len();
        {
            let l = self.level_mut();
            l.selected = l.selected.min(items_len.saturating_sub(1));
            if l.selected < l.top {
                l.top = l.selected;
            } else if l.selected >= l.top + height {
                l.top = l.selected + 1 - height;
            }
        }
        let inner = cols.saturating_sub(4);
        f.put(2, 1, &format!("+{}+", "-".repeat(inner)));
        let (top, selected) = (self.level().top, self.level().selected);
        let prefix = self.level().prefix.clone();
        let items = self.items(&prefix);
        for row in 0..height {
            let r = 3 + row;
            f.put(r, 1, "|");
            f.put(r, cols.saturating_sub(2), "|");
            let i = top + row;
            if let Some(item) = items.get(i) {
                let title = item.title();
                let marker = if i == selected { "*" } else { " " };
                let width = inner.saturating_sub(4);
                let mut text: String = screen::clean(title).chars().take(width).collect();
                if matches!(item, MenuItem::Submenu { .. }) {
                    while text.len() < width {
                        text.push(' ');
                    }
                    text.push_str(" >");
                }
                f.put(r, 2, &format!("{marker}{text}"));
                if i == selected {
                    f.highlight(r, 2, cols.saturating_sub(2));
                }
            }
        }
        if top > 0 {
            f.put(3, cols.saturating_sub(2), "^");
        }
        if top + height < items.len() {
            f.put(2 + height, cols.saturating_sub(2), "v");
        }
        let bottom = 3 + height;
        f.put(bottom, 1, &format!("+{}+", "-".repeat(inner)));
        let mut help =
            vec!["Use the up and down keys to select which entry is highlighted.".to_string()];
        if self.auth.editing_allowed(&self.menu.ui) {
            help.push("Press enter to boot the selected OS, `e' to edit the commands".into());
            help.push("before booting, `a' to add to its command line or `c' for a".into());
            help.push("command-line.".into());
        } else if self.auth.is_legacy(&self.menu.ui) {
            help.push("Press enter to boot the selected OS or `p' to enter a".into());
            help.push("password to unlock the next set of features.".into());
        } else if self.auth.has_master(&self.menu.ui) {
            help.push("Press enter to boot the selected OS; `e', `a' and `c' ask for the".into());
            help.push("master password.".into());
        } else {
            help.push("Press enter to boot the selected OS; `e', `a' and `c' ask for a".into());
            help.push("superuser's name and password.".into());
        }
        if self.levels.len() > 1 {
            help.push("ESC to return to the previous menu.".into());
        }
        for (i, h) in help.iter().enumerate() {
            f.put(bottom + 1 + i, 4, h);
        }
        if let Some(d) = self.deadline {
            let left = ceil_secs(d.saturating_duration_since(Instant::now()));
            let line = if self.capped {
                format!(
                    "The config waits for ever; the highlighted entry will be executed in {left}s."
                )
            } else {
                format!("The highlighted entry will be executed automatically in {left}s.")
            };
            f.put(rows.saturating_sub(2), 4, &line);
        }
        if let Some(m) = &self.message {
            f.put(rows.saturating_sub(1), 1, m);
        }
        f.cursor = (3 + selected.saturating_sub(top), 2);
        f
    }

    /// Titles from the top menu down to `path`, joined by `>`.
    fn title_path(&self, path: &[usize]) -> String {
        let mut out = Vec::new();
        let mut items = self.menu.items.as_slice();
        for i in path {
            match items.get(*i) {
                Some(item) => {
                    out.push(item.title().to_string());
                    if let MenuItem::Submenu { items: sub, .. } = item {
                        items = sub;
                    }
                }
                None => break,
            }
        }
        out.join(">")
    }

    /// Acts on a key in the menu; `Some` when something is to boot.
    fn menu_key(&mut self, term: &mut Terminal<'_>, key: Key) -> Result<Option<Picked>, String> {
        let prefix = self.level().prefix.clone();
        let len = self.items(&prefix).len();
        let page = term.size().rows.saturating_sub(12).max(1);
        let last = len.saturating_sub(1);
        match key {
            Key::Up | Key::Ctrl('p') => {
                let l = self.level_mut();
                l.selected = l.selected.saturating_sub(1);
            }
            Key::Down | Key::Ctrl('n') => {
                let l = self.level_mut();
                l.selected = (l.selected + 1).min(last);
            }
            Key::PageUp => {
                let l = self.level_mut();
                l.selected = l.selected.saturating_sub(page);
            }
            Key::PageDown => {
                let l = self.level_mut();
                l.selected = (l.selected + page).min(last);
            }
            Key::Home => self.level_mut().selected = 0,
            Key::End => self.level_mut().selected = last,
            Key::Esc => {
                if self.levels.len() > 1 {
                    self.levels.pop();
                }
            }
            // As GRUB 2's menu: Right and Ctrl-F choose too.
            Key::Enter | Key::Right | Key::Ctrl('f') => return self.enter(term),
            Key::Char('e') => return self.edit(term),
            Key::Char('c') => return self.command_line(term),
            k => {
                // GRUB 2 looks for a `--hotkey` among the shown menu's items with the
                // keys its menu does not use itself (`get_entry_index_by_hotkey`);
                // the item is then chosen as with Enter.
                if let Some(i) = self.hotkey_item(k, &prefix) {
                    self.level_mut().selected = i;
                    return self.enter(term);
                }
                match k {
                    Key::Char('a') => return self.append(term),
                    Key::Char('p') if self.auth.is_legacy(&self.menu.ui) => self.unlock(term)?,
                    _ => {}
                }
            }
        }
        Ok(None)
    }

    /// The index of the item in the menu at `prefix` whose hotkey `key` is.
    fn hotkey_item(&self, key: Key, prefix: &[usize]) -> Option<usize> {
        let wanted = match key {
            Key::Char(c) => MenuKey::Char(c),
            Key::Backspace => MenuKey::Backspace,
            Key::Tab => MenuKey::Tab,
            Key::Delete => MenuKey::Delete,
            Key::Insert => MenuKey::Insert,
            Key::F(n) => MenuKey::F(n),
            _ => return None,
        };
        self.menu
            .ui
            .hotkeys
            .iter()
            .find_map(|h| match h.path.split_last() {
                Some((i, p)) if p == prefix && h.key == wanted => Some(*i),
                _ => None,
            })
    }

    /// Enter: boots the entry, or opens the submenu.
    fn enter(&mut self, term: &mut Terminal<'_>) -> Result<Option<Picked>, String> {
        let path = self.selected_path();
        let prefix = self.level().prefix.clone();
        let selected = self.level().selected;
        let item = self.items(&prefix).get(selected).cloned();
        let Some(item) = item else {
            return Ok(None);
        };
        if !self.may_open(term, &path)? {
            return Ok(None);
        }
        match item {
            MenuItem::Entry(_) => match self.entry_pick(&path) {
                Ok(p) => Ok(Some(p)),
                Err(m) => {
                    self.message = Some(m);
                    Ok(None)
                }
            },
            MenuItem::Submenu { .. } => {
                // Highlight the submenu's default when the config's default is inside.
                let selected = match &self.menu.default {
                    Some(d) if d.starts_with(&path) => d.get(path.len()).copied().unwrap_or(0),
                    _ => 0,
                };
                self.levels.push(Level {
                    prefix: path,
                    selected,
                    top: 0,
                });
                Ok(None)
            }
        }
    }

    /// Whether the item at `path` may be booted or opened, asking for a password if
    /// the config restricts it.
    fn may_open(&mut self, term: &mut Terminal<'_>, path: &[usize]) -> Result<bool, String> {
        match self.auth.gate(&self.menu.ui, path) {
            Gate::Open => Ok(true),
            Gate::LegacyUnlock => {
                self.message =
                    Some("This entry is locked: press `p' and enter the password first.".into());
                Ok(false)
            }
            Gate::EntryPassword(secret) => {
                self.ask_password(term, WRONG_PASSWORD, |s, typed| {
                    match password::matches(&secret, typed) {
                        Ok(true) => Ok(true),
                        // syslinux: the master password opens every entry too, even
                        // one whose own password cannot be checked.
                        other => match s.auth.master_matches(&s.menu.ui, typed) {
                            Ok(true) => Ok(true),
                            _ => other,
                        },
                    }
                })
            }
            Gate::Login(users) => self.login(term, &users),
        }
    }

    /// Asks for a password and checks it with `check`: a wrong one is followed by
    /// [`Session::failed`] with `wrong`, one that cannot be checked says why.
    fn ask_password(
        &mut self,
        term: &mut Terminal<'_>,
        wrong: &str,
        check: impl FnOnce(&mut Self, &str) -> Result<bool, String>,
    ) -> Result<bool, String> {
        if !self.may_ask() {
            return Ok(false);
        }
        let Some(typed) = self.prompt(term, "Password:", true)? else {
            return Ok(false);
        };
        match check(self, &typed) {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.failed(term, wrong.into())?;
                Ok(false)
            }
            Err(m) => {
                self.message = Some(format!("The password cannot be checked: {m}."));
                Ok(false)
            }
        }
    }

    /// Whether another password may be asked; says why not when it may not.
    fn may_ask(&mut self) -> bool {
        if self.failures < MAX_PASSWORD_FAILURES {
            return true;
        }
        self.message = Some(format!(
            "{MAX_PASSWORD_FAILURES} wrong passwords: no more are asked (open entries still boot)."
        ));
        false
    }

    /// After a wrong password: `message`, and a wait before anything else is read
    /// (GRUB 2 waits 1 s after the first failure and doubles the wait after each
    /// further one; here it stops doubling at [`MAX_FAILURE_DELAY`]). Keys typed
    /// meanwhile stay queued, as in GRUB.
    fn failed(&mut self, term: &mut Terminal<'_>, message: String) -> Result<(), String> {
        let doublings = self.failures.min(8);
        self.failures = self.failures.saturating_add(1);
        self.message = Some(message);
        let f = self.menu_frame(term.size());
        self.draw(term, &f)?;
        let delay = FIRST_FAILURE_DELAY
            .saturating_mul(1 << doublings)
            .min(MAX_FAILURE_DELAY);
        term.pause(delay);
        Ok(())
    }

    /// GRUB 2's prompt: a user name and a password; `allowed` are the users besides
    /// the superusers who would do.
    fn login(&mut self, term: &mut Terminal<'_>, allowed: &[String]) -> Result<bool, String> {
        if !self.may_ask() {
            return Ok(false);
        }
        let Some(user) = self.prompt(term, "Enter username:", false)? else {
            return Ok(false);
        };
        let Some(pass) = self.prompt(term, "Enter password:", true)? else {
            return Ok(false);
        };
        match self.auth.grub2_login(&self.menu.ui, &user, &pass, allowed) {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.failed(term, "error: access denied.".into())?;
                Ok(false)
            }
            Err(m) => {
                self.message = Some(format!("error: access denied: {m}."));
                Ok(false)
            }
        }
    }

    /// GRUB legacy's `p`.
    fn unlock(&mut self, term: &mut Terminal<'_>) -> Result<(), String> {
        if self.ask_password(term, WRONG_PASSWORD, |s, typed| {
            s.auth.unlock(&s.menu.ui, typed)
        })? {
            if let Some(file) = &self.menu.ui.unlock_config {
                // GRUB legacy `password PASS FILE`: FILE replaces this menu, and
                // nothing is unlocked in it.
                self.load = Some(file.clone());
            }
            self.message = Some("Unlocked: `e', `a' and `c' work now.".into());
        }
        Ok(())
    }

    /// syslinux's master password, asked before each edit.
    fn master(&mut self, term: &mut Terminal<'_>) -> Result<bool, String> {
        self.ask_password(term, "Wrong password.", |s, typed| {
            s.auth.master_matches(&s.menu.ui, typed)
        })
    }

    /// Asks for editing rights (superuser, or legacy `p`); `false` if not given.
    fn may_edit(&mut self, term: &mut Terminal<'_>) -> Result<bool, String> {
        if self.auth.editing_allowed(&self.menu.ui) {
            return Ok(true);
        }
        if self.auth.is_legacy(&self.menu.ui) {
            self.message = Some("Locked: press `p' and enter the password first.".into());
            return Ok(false);
        }
        if self.auth.has_master(&self.menu.ui) {
            return self.master(term);
        }
        if self.login(term, &[])? && self.auth.editing_allowed(&self.menu.ui) {
            return Ok(true);
        }
        if self.message.is_none() {
            self.message = Some("error: access denied: editing needs a superuser.".into());
        }
        Ok(false)
    }

    /// A one-line prompt at the bottom of the menu; `None` on Esc. `hidden`: the
    /// typed text is not shown (passwords).
    fn prompt(
        &mut self,
        term: &mut Terminal<'_>,
        label: &str,
        hidden: bool,
    ) -> Result<Option<String>, String> {
        let mut ed = LineEditor::new("");
        loop {
            let size = term.size();
            let mut f = self.menu_frame(size);
            let row = size.rows.saturating_sub(1);
            f.put(row, 0, &" ".repeat(size.cols));
            f.put(row, 1, label);
            let col = 2 + label.len();
            if hidden {
                f.cursor = (row, col);
            } else {
                let (shown, cursor) = ed.view(size.cols.saturating_sub(col + 1));
                f.put(row, col, &shown);
                f.cursor = (row, col + cursor);
            }
            match self.screen_step(term, &f)? {
                Step::Key(Key::Enter) => return Ok(Some(ed.text())),
                Step::Key(k) => {
                    ed.handle(k);
                }
                Step::Tick => {}
                Step::Leave => return Ok(None),
            }
        }
    }

    /// The highlighted entry's spec, or `None` (with a message) for a submenu or an
    /// entry xlboot cannot boot.
    fn selected_spec(&mut self) -> Option<(String, BootSpec)> {
        let path = self.selected_path();
        let prefix = self.level().prefix.clone();
        let is_submenu = matches!(
            self.items(&prefix).get(self.level().selected),
            Some(MenuItem::Submenu { .. })
        );
        match self.entry_pick(&path) {
            Ok(p) => Some((p.title, p.spec)),
            Err(_) if is_submenu => None,
            Err(m) => {
                self.message = Some(m);
                None
            }
        }
    }

    /// `e`: the entry's lines in the editor; Ctrl-X or F10 boots them.
    fn edit(&mut self, term: &mut Terminal<'_>) -> Result<Option<Picked>, String> {
        if !self.may_edit(term)? {
            return Ok(None);
        }
        let Some((title, spec)) = self.selected_spec() else {
            return Ok(None);
        };
        let mut lines = vec![format!(
            "{} {} {}",
            self.settings.kernel_word, spec.kernel, spec.args
        )
        .trim_end()
        .to_string()];
        if !spec.initrds.is_empty() {
            let names: Vec<String> = spec.initrds.iter().map(ToString::to_string).collect();
            lines.push(format!("initrd {}", names.join(" ")));
        }
        let default_device = spec.kernel.device.clone();
        let mut ed = EntryEditor::new(&lines);
        let mut error: Option<String> = None;
        loop {
            let f = self.editor_frame(term.size(), &title, &ed, error.as_deref());
            let key = match self.screen_step(term, &f)? {
                Step::Key(k) => k,
                Step::Tick => continue,
                Step::Leave => return Ok(None),
            };
            error = None;
            match key {
                Key::Ctrl('x') | Key::F(10) => {
                    match command_line::spec_from_lines(&ed.texts(), &default_device)
                        .and_then(|s| self.check_files(&s).map(|()| s))
                    {
                        Ok(spec) => {
                            return Ok(Some(Picked {
                                title: format!("{title} (edited)"),
                                spec,
                                path: None,
                            }))
                        }
                        Err(m) => error = Some(m),
                    }
                }
                k => {
                    ed.handle(k);
                }
            }
        }
    }

    fn editor_frame(
        &self,
        size: terminal::Size,
        title: &str,
        ed: &EntryEditor,
        error: Option<&str>,
    ) -> Frame {
        let mut f = Frame::new(size);
        let (cols, rows) = (size.cols, size.rows);
        f.center(
            0,
            &format!("xlboot {}  -  editing", env!("CARGO_PKG_VERSION")),
        );
        f.put(1, 2, &format!("Entry: {title}"));
        let inner = cols.saturating_sub(4);
        f.put(2, 1, &format!("+{}+", "-".repeat(inner)));
        let height = rows.saturating_sub(10).max(1);
        let width = inner.saturating_sub(2);
        let top = ed.current.saturating_sub(height.saturating_sub(1));
        for row in 0..height {
            let r = 3 + row;
            f.put(r, 1, "|");
            f.put(r, cols.saturating_sub(2), "|");
            let i = top + row;
            if let Some(line) = ed.lines.get(i) {
                if i == ed.current {
                    let (shown, cursor) = line.view(width);
                    f.put(r, 3, &shown);
                    f.cursor = (r, 3 + cursor);
                } else {
                    let shown: String = line.text().chars().take(width).collect();
                    f.put(r, 3, &shown);
                }
            }
        }
        let bottom = 3 + height;
        f.put(bottom, 1, &format!("+{}+", "-".repeat(inner)));
        f.put(
            bottom + 1,
            4,
            "Emacs-like keys edit the lines. Press Ctrl-X or F10 to boot,",
        );
        f.put(
            bottom + 2,
            4,
            "ESC to discard the edits and return to the menu.",
        );
        f.put(
            bottom + 3,
            4,
            "Lines: `linux PATH ARGS...' (or `kernel'), `initrd PATH...'.",
        );
        if let Some(e) = error {
            f.put(rows.saturating_sub(1), 1, e);
        }
        f
    }

    /// `a`: a line with the entry's command line, Enter boots it (pygrub's `a`).
    fn append(&mut self, term: &mut Terminal<'_>) -> Result<Option<Picked>, String> {
        if !self.may_edit(term)? {
            return Ok(None);
        }
        let Some((title, spec)) = self.selected_spec() else {
            return Ok(None);
        };
        let start = if spec.args.is_empty() {
            String::new()
        } else {
            format!("{} ", spec.args)
        };
        let mut ed = LineEditor::new(&start);
        loop {
            let size = term.size();
            let mut f = Frame::new(size);
            f.center(
                0,
                &format!(
                    "xlboot {}  -  command line of the entry",
                    env!("CARGO_PKG_VERSION")
                ),
            );
            f.put(1, 2, &format!("Entry: {title}"));
            f.put(
                3,
                2,
                "Add to the kernel's command line; Enter boots, ESC returns to the menu.",
            );
            let label = "args> ";
            f.put(5, 1, label);
            let (shown, cursor) = ed.view(size.cols.saturating_sub(label.len() + 2));
            f.put(5, 1 + label.len(), &shown);
            f.cursor = (5, 1 + label.len() + cursor);
            match self.screen_step(term, &f)? {
                Step::Key(Key::Enter) => {
                    let mut spec = spec;
                    spec.args = ed.text().trim().to_string();
                    return Ok(Some(Picked {
                        title: format!("{title} (edited)"),
                        spec,
                        path: None,
                    }));
                }
                Step::Key(k) => {
                    ed.handle(k);
                }
                Step::Tick => {}
                Step::Leave => return Ok(None),
            }
        }
    }

    /// Whether the files of `spec` exist on the guest.
    fn check_files(&self, spec: &BootSpec) -> Result<(), String> {
        for f in std::iter::once(&spec.kernel).chain(&spec.initrds) {
            if !self.files.is_file(f)? {
                return Err(format!("error: file `{f}' not found."));
            }
        }
        Ok(())
    }

    /// `c`: the command line.
    fn command_line(&mut self, term: &mut Terminal<'_>) -> Result<Option<Picked>, String> {
        if !self.may_edit(term)? {
            return Ok(None);
        }
        let mut state = command_line::State::new(&self.settings.device);
        state.say("Commands: linux PATH [ARGS...], initrd PATH..., args [ARGS...], boot,");
        state.say("ls [PATH], help. Paths: /boot/vmlinuz or (hd0,msdos1)/boot/vmlinuz.");
        state.say("ESC returns to the menu.");
        let mut ed = LineEditor::new("");
        loop {
            let size = term.size();
            let mut f = Frame::new(size);
            f.center(
                0,
                &format!("xlboot {}  -  command line", env!("CARGO_PKG_VERSION")),
            );
            let rows = size.rows.saturating_sub(3);
            let out = state.output();
            let start = out.len().saturating_sub(rows);
            for (i, line) in out.iter().skip(start).enumerate() {
                f.put(2 + i, 0, line);
            }
            let prompt_row = size.rows.saturating_sub(1);
            let label = "grub> ";
            let (shown, cursor) = ed.view(size.cols.saturating_sub(label.len() + 1));
            f.put(prompt_row, 0, label);
            f.put(prompt_row, label.len(), &shown);
            f.cursor = (prompt_row, label.len() + cursor);
            let key = match self.screen_step(term, &f)? {
                Step::Key(k) => k,
                Step::Tick => continue,
                Step::Leave => return Ok(None),
            };
            match key {
                Key::Enter => {
                    let line = ed.text();
                    ed = LineEditor::new("");
                    state.say(&format!("{label}{line}"));
                    if let Some(spec) = state.run(&line, self.files) {
                        return Ok(Some(Picked {
                            title: "command line".into(),
                            spec,
                            path: None,
                        }));
                    }
                }
                k => {
                    ed.handle(k);
                }
            }
        }
    }
}

/// Whole seconds left, rounded up (what a countdown shows).
fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_seconds_round_up() {
        assert_eq!(ceil_secs(Duration::from_millis(4001)), 5);
        assert_eq!(ceil_secs(Duration::from_secs(5)), 5);
        assert_eq!(ceil_secs(Duration::ZERO), 0);
    }
}

//! Who may do what in the menu, by the config's passwords.
//!
//! GRUB legacy (`stage2/stage2.c`): a global `password` hides `e`, `c` (and here `a`)
//! until `p` is pressed and the password typed; entries holding `lock` cannot be
//! booted until then; an entry holding its own `password` asks for it each time it
//! boots.
//!
//! GRUB 2 (`grub-core/normal/auth.c`, `menu.c`): with `superusers` set, editing an
//! entry and the command line need a superuser; booting or opening an item needs a
//! superuser or a user its `--users` lists, unless it is `--unrestricted`. A name
//! and password once accepted stay accepted for the rest of the menu. Without
//! `superusers` nothing asks.
//!
//! syslinux (`com32/menu/menumain.c`): `MENU MASTER PASSWD` is asked each time Tab
//! (here `e`, `a` and `c`) edits a command line; an entry with its own `MENU PASSWD`
//! asks for it each time it boots or opens, and takes the master password too.
//!
//! The countdown booting the default asks nothing: nobody chose, and the default is
//! what the administrator who started the guest gets (as with `-q` and `--entry`,
//! which never show the menu).

use xlboot_config::{MenuLock, MenuUi, Secret};

use super::password;

/// What an item asks before it boots or opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Nothing.
    Open,
    /// GRUB legacy: `p` and the global password first (a `lock`ed entry).
    LegacyUnlock,
    /// GRUB legacy: the entry's own password, now.
    EntryPassword(Secret),
    /// GRUB 2: a superuser's or one of these users' name and password.
    Login(Vec<String>),
}

/// What has been unlocked so far (nothing, by default).
#[derive(Debug, Default)]
pub struct Auth {
    legacy_unlocked: bool,
    /// GRUB 2 users who gave their password.
    users: Vec<String>,
}

impl Auth {
    /// Whether the config uses GRUB legacy's `password` (the `p` key).
    pub fn is_legacy(&self, ui: &MenuUi) -> bool {
        matches!(ui.lock, MenuLock::Legacy(_)) && !self.legacy_unlocked
    }

    /// Whether `e`, `a` and `c` work without asking.
    pub fn editing_allowed(&self, ui: &MenuUi) -> bool {
        match &ui.lock {
            MenuLock::Open => true,
            MenuLock::Legacy(_) => self.legacy_unlocked,
            // Asked again each time.
            MenuLock::Master(_) => false,
            MenuLock::Users { superusers, .. } => self.users.iter().any(|u| superusers.contains(u)),
        }
    }

    /// What the item at `path` asks before it boots or opens. Each item is checked
    /// when it is booted or opened, so the items of a restricted submenu are reached
    /// only through its check.
    pub fn gate(&self, ui: &MenuUi, path: &[usize]) -> Gate {
        let Some(r) = ui.restricted.iter().find(|r| r.path.as_slice() == path) else {
            return Gate::Open;
        };
        if let Some(secret) = &r.password {
            return Gate::EntryPassword(secret.clone());
        }
        if self.editing_allowed(ui) || self.users.iter().any(|u| r.users.contains(u)) {
            return Gate::Open;
        }
        match ui.lock {
            MenuLock::Open | MenuLock::Master(_) => Gate::Open,
            MenuLock::Legacy(_) => Gate::LegacyUnlock,
            MenuLock::Users { .. } => Gate::Login(r.users.clone()),
        }
    }

    /// Whether the config has a syslinux master password.
    pub fn has_master(&self, ui: &MenuUi) -> bool {
        matches!(ui.lock, MenuLock::Master(_))
    }

    /// Whether `typed` is syslinux's master password (`false` when there is none).
    pub fn master_matches(&self, ui: &MenuUi, typed: &str) -> Result<bool, String> {
        match &ui.lock {
            MenuLock::Master(secret) => password::matches(secret, typed),
            _ => Ok(false),
        }
    }

    /// GRUB legacy's `p`: whether `typed` is the password.
    pub fn unlock(&mut self, ui: &MenuUi, typed: &str) -> Result<bool, String> {
        let MenuLock::Legacy(secret) = &ui.lock else {
            return Ok(true);
        };
        let ok = password::matches(secret, typed)?;
        self.legacy_unlocked |= ok;
        Ok(ok)
    }

    /// GRUB 2's prompt: whether `user` with `typed` is a superuser or one of
    /// `allowed`, with the right password.
    pub fn grub2_login(
        &mut self,
        ui: &MenuUi,
        user: &str,
        typed: &str,
        allowed: &[String],
    ) -> Result<bool, String> {
        let MenuLock::Users { superusers, users } = &ui.lock else {
            return Ok(true);
        };
        if !superusers.iter().chain(allowed).any(|u| u == user) {
            return Ok(false);
        }
        // The last registration of a name counts.
        let Some((_, secret)) = users.iter().rev().find(|(u, _)| u == user) else {
            return Ok(false);
        };
        let ok = password::matches(secret, typed)?;
        if ok && !self.users.iter().any(|u| u == user) {
            self.users.push(user.to_string());
        }
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xlboot_config::Restriction;

    fn grub2() -> MenuUi {
        MenuUi {
            lock: MenuLock::Users {
                superusers: vec!["root".into()],
                users: vec![
                    ("root".into(), Secret::Plain("rootpw".into())),
                    ("alice".into(), Secret::Plain("alicepw".into())),
                ],
            },
            restricted: vec![
                Restriction {
                    path: vec![0],
                    users: vec![],
                    password: None,
                },
                Restriction {
                    path: vec![1],
                    users: vec!["alice".into()],
                    password: None,
                },
            ],
            ..MenuUi::default()
        }
    }

    #[test]
    fn grub2_users_and_superusers() {
        let ui = grub2();
        let mut a = Auth::default();
        assert!(!a.editing_allowed(&ui));
        assert_eq!(a.gate(&ui, &[2]), Gate::Open);
        assert_eq!(a.gate(&ui, &[1]), Gate::Login(vec!["alice".to_string()]));
        // alice may boot entry 1 only; a wrong password or an unlisted user does nothing.
        assert!(!a
            .grub2_login(&ui, "alice", "wrong", &["alice".into()])
            .unwrap());
        assert!(!a.grub2_login(&ui, "alice", "alicepw", &[]).unwrap());
        assert!(a
            .grub2_login(&ui, "alice", "alicepw", &["alice".into()])
            .unwrap());
        assert_eq!(a.gate(&ui, &[1]), Gate::Open);
        assert_eq!(a.gate(&ui, &[0]), Gate::Login(vec![]));
        assert!(!a.editing_allowed(&ui));
        assert!(a.grub2_login(&ui, "root", "rootpw", &[]).unwrap());
        assert!(a.editing_allowed(&ui));
        assert_eq!(a.gate(&ui, &[0]), Gate::Open);
    }

    #[test]
    fn legacy_p_unlocks() {
        let ui = MenuUi {
            lock: MenuLock::Legacy(Secret::Plain("pw".into())),
            restricted: vec![
                Restriction {
                    path: vec![1],
                    users: vec![],
                    password: None,
                },
                Restriction {
                    path: vec![2],
                    users: vec![],
                    password: Some(Secret::Plain("own".into())),
                },
            ],
            ..MenuUi::default()
        };
        let mut a = Auth::default();
        assert!(a.is_legacy(&ui) && !a.editing_allowed(&ui));
        assert_eq!(a.gate(&ui, &[1]), Gate::LegacyUnlock);
        assert!(!a.unlock(&ui, "nope").unwrap());
        assert!(a.unlock(&ui, "pw").unwrap());
        assert!(a.editing_allowed(&ui) && !a.is_legacy(&ui));
        assert_eq!(a.gate(&ui, &[1]), Gate::Open);
        // An entry's own password is asked whatever was unlocked.
        assert_eq!(
            a.gate(&ui, &[2]),
            Gate::EntryPassword(Secret::Plain("own".into()))
        );
    }
}

//! Who may do what in the menu, by the config's passwords.
//!
//! GRUB legacy (`stage2/stage2.c`): a global `password` hides `e`, `c` (and here `a`)
//! until `p` is pressed and the password typed; entries holding `lock` cannot be
//! booted until then.
//!
//! GRUB 2 (`grub-core/normal/auth.c`, `menu.c`): with `superusers` set, editing an
//! entry and the command line need a superuser; booting or opening an item needs a
//! superuser or a user its `--users` lists, unless it is `--unrestricted`. A name
//! and password once accepted stay accepted for the rest of the menu. Without
//! `superusers` nothing asks.
//!
//! The countdown booting the default asks nothing: nobody chose, and the default is
//! what the administrator who started the guest gets (as with `-q` and `--entry`,
//! which never show the menu).

use xlboot_config::{MenuLock, MenuUi};

use super::password;

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
            MenuLock::Users { superusers, .. } => self.users.iter().any(|u| superusers.contains(u)),
        }
    }

    /// `Some(users)` when the item at `path` asks for a password before it boots or
    /// opens: the users besides the superusers who may; `None` when it may go.
    pub fn restriction(&self, ui: &MenuUi, path: &[usize]) -> Option<Vec<String>> {
        if self.editing_allowed(ui) {
            return None;
        }
        // Each item is checked when it is booted or opened, so the items of a
        // restricted submenu are reached only through its check.
        let r = ui.restricted.iter().find(|r| r.path.as_slice() == path)?;
        if self.users.iter().any(|u| r.users.contains(u)) {
            return None;
        }
        Some(r.users.clone())
    }

    /// GRUB legacy's `p`: whether `typed` is the password.
    pub fn legacy_login(&mut self, ui: &MenuUi, typed: &str) -> Result<bool, String> {
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
    use xlboot_config::{Restriction, Secret};

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
                },
                Restriction {
                    path: vec![1],
                    users: vec!["alice".into()],
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
        assert_eq!(a.restriction(&ui, &[2]), None);
        assert_eq!(a.restriction(&ui, &[1]), Some(vec!["alice".to_string()]));
        // alice may boot entry 1 only; a wrong password or an unlisted user does nothing.
        assert!(!a
            .grub2_login(&ui, "alice", "wrong", &["alice".into()])
            .unwrap());
        assert!(!a.grub2_login(&ui, "alice", "alicepw", &[]).unwrap());
        assert!(a
            .grub2_login(&ui, "alice", "alicepw", &["alice".into()])
            .unwrap());
        assert_eq!(a.restriction(&ui, &[1]), None);
        assert!(a.restriction(&ui, &[0]).is_some());
        assert!(!a.editing_allowed(&ui));
        assert!(a.grub2_login(&ui, "root", "rootpw", &[]).unwrap());
        assert!(a.editing_allowed(&ui));
        assert_eq!(a.restriction(&ui, &[0]), None);
    }

    #[test]
    fn legacy_p_unlocks() {
        let ui = MenuUi {
            lock: MenuLock::Legacy(Secret::Plain("pw".into())),
            restricted: vec![Restriction {
                path: vec![1],
                users: vec![],
            }],
            ..MenuUi::default()
        };
        let mut a = Auth::default();
        assert!(a.is_legacy(&ui) && !a.editing_allowed(&ui));
        assert!(a.restriction(&ui, &[1]).is_some());
        assert!(!a.legacy_login(&ui, "nope").unwrap());
        assert!(a.legacy_login(&ui, "pw").unwrap());
        assert!(a.editing_allowed(&ui) && !a.is_legacy(&ui));
        assert_eq!(a.restriction(&ui, &[1]), None);
    }
}

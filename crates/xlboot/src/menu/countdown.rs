//! How long the menu waits before it boots the default, by the config's own rules.
//!
//! The evaluators put each loader's rule into [`Menu::timeout`] (seconds, `None` for
//! "wait for ever") and [`MenuUi`] (GRUB 2 `timeout_style`, GRUB legacy
//! `hiddenmenu`, syslinux's tenths, systemd-boot's hidden menu):
//!
//! - GRUB 2: `timeout` seconds with `timeout_style` `menu` (the menu counts down),
//!   `countdown` (one line counts down) or `hidden` (nothing shown); unset or -1
//!   waits for ever with the menu shown; 0 boots at once.
//! - GRUB legacy: `timeout` seconds; `hiddenmenu` shows only the countdown line.
//! - syslinux: `TIMEOUT` in tenths of a second, 0 waiting for ever; without `PROMPT`
//!   or a `UI` menu the default boots at once.
//! - systemd-boot: `loader.conf`'s `timeout` (unset or 0: at once, the menu hidden;
//!   `menu-force`: for ever).
//!
//! Any key stops the countdown; in the hidden styles it shows the menu, which then
//! waits. With a wait of 0 the default boots at once, unless a key is already
//! waiting (a key pressed as the guest starts, as GRUB checks for Esc or Shift).
//!
//! "Wait for ever" from the guest (Ubuntu's `recordfail` writes `timeout=-1` after
//! a failed boot) would hang `xl create` when nobody is on the console. So it waits
//! [`DEFAULT_FOREVER_CAP`] unless `--menu-wait` says otherwise (`forever` to wait as
//! the config says).

use std::time::Duration;

use xlboot_config::{Menu, TimeoutStyle};

/// How long "wait for ever" waits by default.
pub const DEFAULT_FOREVER_CAP: Duration = Duration::from_secs(30);

/// `--menu-wait`: what a config's "wait for ever" becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeverWait {
    /// Boot the default after this long.
    Cap(Duration),
    /// Wait as the config says.
    Forever,
}

impl Default for ForeverWait {
    fn default() -> Self {
        ForeverWait::Cap(DEFAULT_FOREVER_CAP)
    }
}

/// What the menu does before the user presses a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    /// Whether the menu, a countdown line or nothing is shown meanwhile.
    pub style: TimeoutStyle,
    /// How long until the default boots; `None`: no countdown, the menu waits.
    pub wait: Option<Duration>,
    /// The wait came from the config's "for ever", capped (said on screen).
    pub capped: bool,
}

impl Countdown {
    /// The countdown for `menu`, "for ever" turned into `forever`.
    pub fn for_menu(menu: &Menu, forever: ForeverWait) -> Self {
        let config_wait = match menu.ui.timeout_tenths {
            Some(t) => Some(Duration::from_millis(t.saturating_mul(100))),
            None => menu.timeout.map(Duration::from_secs),
        };
        match (config_wait, forever) {
            (Some(w), _) => Countdown {
                style: menu.ui.style,
                wait: Some(w),
                capped: false,
            },
            // Waiting for ever always shows the menu (GRUB's rule for the hidden styles).
            (None, ForeverWait::Cap(cap)) => Countdown {
                style: TimeoutStyle::Menu,
                wait: Some(cap),
                capped: true,
            },
            (None, ForeverWait::Forever) => Countdown {
                style: TimeoutStyle::Menu,
                wait: None,
                capped: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xlboot_config::MenuUi;

    fn menu(timeout: Option<u64>, ui: MenuUi) -> Menu {
        Menu {
            timeout,
            ui,
            ..Menu::default()
        }
    }

    #[test]
    fn each_loaders_rule() {
        let hidden = MenuUi {
            style: TimeoutStyle::Hidden,
            ..MenuUi::default()
        };
        let c = Countdown::for_menu(&menu(Some(5), hidden.clone()), ForeverWait::default());
        assert_eq!(
            (c.style, c.wait),
            (TimeoutStyle::Hidden, Some(Duration::from_secs(5)))
        );
        // Waiting for ever: capped, and the menu shown.
        let c = Countdown::for_menu(&menu(None, hidden), ForeverWait::default());
        assert_eq!(
            (c.style, c.wait, c.capped),
            (TimeoutStyle::Menu, Some(DEFAULT_FOREVER_CAP), true)
        );
        let c = Countdown::for_menu(&menu(None, MenuUi::default()), ForeverWait::Forever);
        assert_eq!(c.wait, None);
        // syslinux: tenths.
        let tenths = MenuUi {
            timeout_tenths: Some(15),
            ..MenuUi::default()
        };
        let c = Countdown::for_menu(&menu(Some(2), tenths), ForeverWait::default());
        assert_eq!(c.wait, Some(Duration::from_millis(1500)));
    }
}

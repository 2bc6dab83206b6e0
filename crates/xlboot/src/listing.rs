//! `-l`: the entries in pygrub's listing format, which scripts parse.
//!
//! pygrub prints, for each entry, `title:`, `root:`, `kernel:`, `args:` and `initrd:`
//! lines. xlboot prints the same lines for every bootable entry in menu order, with
//! submenu entries titled by their GRUB path (`Advanced options>...`), and one more
//! line, `  default: yes`, under the entry the guest's boot loader would boot. A line
//! `default rule: ...` says which of the boot loader's rules chose it, and a last line
//! `configs found: ...` names every boot config on the guest's volumes in search
//! order, the one used marked `(used)`.

use std::fmt::Write;

use xlboot_boot::decide::FoundConfig;
use xlboot_config::Menu;

/// The listing, ready to print; `found` are the configs found, `used` the one
/// evaluated.
pub fn render(menu: &Menu, found: &[FoundConfig], used: Option<&FoundConfig>) -> String {
    let mut out = String::new();
    for e in menu.flatten() {
        let (root, kernel, args, initrd) = match &e.entry.boot {
            Ok(spec) => (
                pygrub_root(&spec.kernel.device),
                spec.kernel.path.clone(),
                if spec.args.is_empty() {
                    "None".to_string()
                } else {
                    spec.args.clone()
                },
                if spec.initrds.is_empty() {
                    "None".to_string()
                } else {
                    spec.initrds
                        .iter()
                        .map(|i| i.path.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            ),
            Err(_) => ("None".into(), "None".into(), "None".into(), "None".into()),
        };
        let _ = writeln!(out, "title: {}", crate::diag::sanitize(&e.title_path));
        let _ = writeln!(out, "  root: {root}");
        let _ = writeln!(out, "  kernel: {}", crate::diag::sanitize(&kernel));
        let _ = writeln!(out, "  args: {}", crate::diag::sanitize(&args));
        let _ = writeln!(out, "  initrd: {}", crate::diag::sanitize(&initrd));
        if menu.default.as_ref() == Some(&e.path) {
            let _ = writeln!(out, "  default: yes");
        }
    }
    if !menu.default_rule.is_empty() {
        let _ = writeln!(
            out,
            "default rule: {}",
            crate::diag::sanitize(&menu.default_rule)
        );
    }
    if !found.is_empty() {
        let list: Vec<String> = found
            .iter()
            .map(|f| {
                format!(
                    "{}{} ({}{})",
                    crate::diag::sanitize(&f.file.to_string()),
                    crate::diag::sanitize(&xlboot_boot::decide::describe_root(&f.file.root)),
                    f.kind.name(),
                    if used == Some(f) { ", used" } else { "" }
                )
            })
            .collect();
        let _ = writeln!(out, "configs found: {}", list.join(", "));
    }
    out
}

/// pygrub's spelling of a GRUB device: `d0p1` for `hd0,msdos1`, `d0` for `hd0`.
fn pygrub_root(device: &str) -> String {
    match device.split_once(',') {
        Some((_, part)) => format!(
            "d0p{}",
            part.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        ),
        None => "d0".to_string(),
    }
}

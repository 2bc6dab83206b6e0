//! GRUB's `$chosen` for a menu path, shared by the grub-emu tests and the
//! `grub2_eval` example that produces their comparison output.

/// The `chosen` variable GRUB sets when it boots the entry at `path` (ids, else
/// titles, joined by `>`, a `>` inside doubled), as grub-emu prints it.
pub fn chosen(items: &[xlboot_config::MenuItem], path: &[usize]) -> String {
    let mut out = String::new();
    let mut level = items;
    for (k, i) in path.iter().enumerate() {
        let item = &level[*i];
        if k > 0 {
            out.push('>');
        }
        out.push_str(&item.id().unwrap_or(item.title()).replace('>', ">>"));
        if let xlboot_config::MenuItem::Submenu { items, .. } = item {
            level = items;
        }
    }
    out
}

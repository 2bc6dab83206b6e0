//! Choosing an entry: GRUB's own rules for `default` (from `grub-core/normal/menu.c`)
//! and xlboot's `--entry` option.
//!
//! GRUB's rules, as `get_entry_number` and `grub_menu_execute_entry` implement them:
//!
//! - The value is first read as a number with `grub_strtoul (val, 0, 0)`: leading
//!   white space skipped, `0x` hex and leading-`0` octal accepted, parsing stops at the
//!   first non-digit *without* an error (so `1>2` is entry 1, and `2 foo` is entry 2),
//!   and the result is cast to `int`. Only when no digit at all is found is the value
//!   matched against titles and ids; an overflowing number counts as no entry.
//! - Titles and ids are compared by `menuentry_eq`: the value up to its first `>` that
//!   is not doubled, with `>>` standing for a literal `>`.
//! - A number outside the menu, or a value matching nothing, means entry 0.
//! - Booting a submenu (automatically, because it is the default) runs its body in a
//!   new context where `default` is set to what follows the first single `>` of the
//!   parent's `default` (or unset if nothing follows), and that submenu's menu then
//!   resolves its own `default` by the same rules.

use alloc::string::String;
use alloc::vec::Vec;

use crate::menu::{Entry, EntryPath, Menu, MenuItem};

/// `grub_strtoull (s, &end, 0)`: the value and whether any digit was found; `None` value
/// on overflow (GRUB's `GRUB_ERR_OUT_OF_RANGE`).
pub(crate) fn grub_strtoull(s: &str, base: u32) -> (Option<u64>, bool, usize) {
    let b = s.as_bytes();
    let mut i = 0usize;
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    {
        i = i.saturating_add(1);
    }
    let mut base = base;
    if b.get(i) == Some(&b'0') {
        if b.get(i.saturating_add(1)) == Some(&b'x') {
            if base == 0 || base == 16 {
                base = 16;
                i = i.saturating_add(2);
            }
        } else if base == 0
            && b.get(i.saturating_add(1))
                .is_some_and(|c| (b'0'..=b'7').contains(c))
        {
            base = 8;
        }
    }
    if base == 0 {
        base = 10;
    }
    let mut num: u64 = 0;
    let mut found = false;
    while let Some(&c) = b.get(i) {
        let digit = match c.to_ascii_lowercase() {
            d @ b'0'..=b'9' => u32::from(d.saturating_sub(b'0')),
            d @ b'a'..=b'z' => u32::from(d.saturating_sub(b'a')).saturating_add(10),
            _ => break,
        };
        if digit >= base {
            break;
        }
        found = true;
        match num
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(digit)))
        {
            Some(n) => num = n,
            None => return (None, true, i),
        }
        i = i.saturating_add(1);
    }
    (Some(num), found, i)
}

/// `(int) grub_strtoul (val, 0, 0)` as GRUB uses it for `default` and `timeout`:
/// `Ok(n)` for a number (truncated to `int` as C does), `Err(true)` when no digit was
/// found (a title or id), `Err(false)` on overflow.
pub(crate) fn grub_int(val: &str) -> Result<i32, bool> {
    match grub_strtoull(val, 0) {
        (_, false, _) => Err(true),
        (None, true, _) => Err(false),
        (Some(n), true, _) => {
            let low = n & 0xffff_ffff;
            let low = u32::try_from(low).unwrap_or(0);
            Ok(i32::from_ne_bytes(low.to_ne_bytes()))
        }
    }
}

/// GRUB's `menuentry_eq (id, spec)`: `id` equals the first `>`-component of `spec`
/// (with `>>` meaning `>`).
pub fn menuentry_eq(id: &str, spec: &str) -> bool {
    let a = id.as_bytes();
    let b = spec.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let c2 = b.get(j).copied();
        let next2 = b.get(j.saturating_add(1)).copied();
        let c1 = a.get(i).copied();
        if c2 == Some(b'>') && next2 != Some(b'>') {
            return c1.is_none();
        }
        if c2 == Some(b'>') {
            j = j.saturating_add(1);
        }
        let c2 = b.get(j).copied();
        if c1 != c2 {
            return false;
        }
        if c1.is_none() {
            return true;
        }
        i = i.saturating_add(1);
        j = j.saturating_add(1);
    }
}

/// What follows the first single `>` of a `default` value, as `grub_menu_execute_entry`
/// computes it for the submenu (or entry) being entered; `None` means `default` is
/// unset there.
pub fn default_remainder(def: Option<&str>) -> Option<String> {
    let b = def?.as_bytes();
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        if c == b'>' && b.get(i.saturating_add(1)) == Some(&b'>') {
            i = i.saturating_add(2);
            continue;
        }
        if c == b'>' {
            break;
        }
        i = i.saturating_add(1);
    }
    // `if (ptr && ptr[0] && ptr[1])`: there must be a `>` and something after it.
    if b.get(i).is_some() && b.get(i.saturating_add(1)).is_some() {
        let rest = b.get(i.saturating_add(1)..).unwrap_or_default();
        Some(String::from_utf8_lossy(rest).into_owned())
    } else {
        None
    }
}

/// GRUB's `get_entry_number`: the index `default` names in `items`, or `None` (which
/// GRUB turns into entry 0). `ids` are GRUB's entry ids (`--id`, else the title).
pub fn entry_number(items: &[MenuItem], value: Option<&str>) -> Option<usize> {
    let val = value?;
    match grub_int(val) {
        Ok(n) => usize::try_from(n).ok().filter(|n| *n < items.len()),
        Err(false) => None,
        Err(true) => items.iter().position(|it| {
            menuentry_eq(it.title(), val) || menuentry_eq(it.id().unwrap_or(it.title()), val)
        }),
    }
}

/// Finds the entry `spec` names, for xlboot's `--entry` option:
///
/// 1. a plain integer is an index into [`Menu::flatten`] (pygrub's numbering: bootable
///    entries in menu order, submenus flattened);
/// 2. else an exact title path (`Advanced options for Debian>Debian, with Linux ...`)
///    as printed by `-l`, or an exact title or id of any entry;
/// 3. else a GRUB-style `>` path whose components are each an index, a title or an id
///    (resolved like GRUB's `default`, but without falling back to entry 0).
pub fn find_entry(menu: &Menu, spec: &str) -> Option<EntryPath> {
    let flat = menu.flatten();
    if !spec.is_empty() && spec.bytes().all(|c| c.is_ascii_digit()) {
        let n: usize = spec.parse().ok()?;
        return flat.get(n).map(|f| f.path.clone());
    }
    if let Some(f) = flat.iter().find(|f| f.title_path == spec) {
        return Some(f.path.clone());
    }
    if let Some(f) = flat
        .iter()
        .find(|f| f.entry.title == spec || f.entry.id.as_deref() == Some(spec))
    {
        return Some(f.path.clone());
    }
    path_lookup(&menu.items, spec)
}

/// Splits a `>` path into components, `>>` standing for `>`.
fn split_path(spec: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '>' {
            if chars.peek() == Some(&'>') {
                chars.next();
                cur.push('>');
            } else {
                out.push(core::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn path_lookup(items: &[MenuItem], spec: &str) -> Option<EntryPath> {
    let mut path = Vec::new();
    let mut level = items;
    let comps = split_path(spec);
    let last = comps.len().checked_sub(1)?;
    for (k, comp) in comps.iter().enumerate() {
        let idx = if !comp.is_empty() && comp.bytes().all(|c| c.is_ascii_digit()) {
            comp.parse::<usize>().ok().filter(|n| *n < level.len())?
        } else {
            level
                .iter()
                .position(|it| it.title() == comp || it.id() == Some(comp.as_str()))?
        };
        path.push(idx);
        match level.get(idx)? {
            MenuItem::Entry(_) => return (k == last).then_some(path),
            MenuItem::Submenu { items, .. } => {
                if k == last {
                    return None;
                }
                level = items;
            }
        }
    }
    None
}

/// The entry at `path`, if it is an entry.
pub fn entry_at<'m>(menu: &'m Menu, path: &[usize]) -> Option<&'m Entry> {
    let mut level = &menu.items;
    let (last, init) = path.split_last()?;
    for i in init {
        match level.get(*i)? {
            MenuItem::Submenu { items, .. } => level = items,
            MenuItem::Entry(_) => return None,
        }
    }
    match level.get(*last)? {
        MenuItem::Entry(e) => Some(e),
        MenuItem::Submenu { .. } => None,
    }
}

/// Fedora's `menuentry_eq (id, spec, limit)` (`grub-core/normal/menu.c` of the
/// Fedora/RHEL GRUB): how much of `spec` names `id`, 0 for no match. `limit` bounds
/// the compared length of `id` (`None`: no bound).
fn fedora_menuentry_eq(id: &[u8], spec: &[u8], limit: Option<usize>) -> usize {
    let (mut i, mut j) = (0usize, 0usize);
    while limit.is_none_or(|l| i <= l) {
        let c2 = spec.get(j).copied().unwrap_or(0);
        let n2 = spec.get(j.saturating_add(1)).copied().unwrap_or(0);
        let c1 = id.get(i).copied().unwrap_or(0);
        if c2 == b'>' && n2 != b'>' {
            return if c1 == 0 { j } else { 0 };
        }
        if c2 == b'>' {
            j = j.saturating_add(1);
        }
        let c2 = spec.get(j).copied().unwrap_or(0);
        if c1 != c2 {
            if limit == Some(i) && c1 == 0 && is_c_space(c2) {
                return i.saturating_sub(1);
            }
            return 0;
        }
        if c1 == 0 {
            return i;
        }
        i = i.saturating_add(1);
        j = j.saturating_add(1);
    }
    0
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Fedora's `get_entry_number_helper`: an entry id (up to the first white space),
/// else a title, else a number; returns the index (possibly out of range or negative,
/// as GRUB's `int`) and where the rest of `val` starts (`None`: GRUB's NULL tail).
fn fedora_helper(items: &[MenuItem], val: &str) -> (i64, Option<usize>) {
    let v = val.as_bytes();
    let l = v.iter().position(|&c| is_c_space(c)).unwrap_or(v.len());
    for (i, it) in items.iter().enumerate() {
        let id = it.id().unwrap_or(it.title());
        if fedora_menuentry_eq(id.as_bytes(), v, Some(l)) != 0 {
            return (i64::try_from(i).unwrap_or(-1), Some(l));
        }
    }
    for (i, it) in items.iter().enumerate() {
        if fedora_menuentry_eq(it.title().as_bytes(), v, None) != 0 {
            return (i64::try_from(i).unwrap_or(-1), None);
        }
    }
    match grub_strtoull(val, 0) {
        (Some(n), true, end) => {
            if v.get(end).is_some_and(|&c| !is_c_space(c)) {
                return (-1, None);
            }
            // `(int) grub_strtoul (...)`: the low 32 bits, signed.
            let low = u32::try_from(n & 0xffff_ffff).unwrap_or(0);
            (i64::from(i32::from_ne_bytes(low.to_ne_bytes())), Some(end))
        }
        // Overflow: ULONG_MAX, which is -1 as an int.
        (None, true, _) => (-1, None),
        _ => (-1, None),
    }
}

/// Fedora/RHEL GRUB's `get_entry_number`: `default` as an entry id first, then a
/// title, then an index (the whole value must be used). `None` becomes entry 0.
pub fn fedora_entry_number(items: &[MenuItem], value: Option<&str>) -> Option<usize> {
    let val = value?;
    let (n, tail) = fedora_helper(items, val);
    if tail.is_some_and(|t| t < val.len()) {
        return None;
    }
    usize::try_from(n).ok().filter(|n| *n < items.len())
}

/// Fedora/RHEL GRUB's `get_and_remove_first_entry_number`, applied until the value
/// runs out: the `fallback` entries, each an id, a title or an index.
pub fn fedora_fallback_numbers(items: &[MenuItem], value: Option<&str>) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(mut rest) = value else { return out };
    while out.len() < 64 && !rest.is_empty() {
        let (n, tail) = fedora_helper(items, rest);
        let tail_ok = match tail {
            None => true,
            Some(t) => rest.as_bytes().get(t).is_none_or(|&c| is_c_space(c)),
        };
        if n < 0 || !tail_ok {
            break;
        }
        if let Ok(n) = usize::try_from(n) {
            out.push(n);
        }
        // A NULL tail (title match) ends the list: GRUB unsets the variable.
        let Some(t) = tail else { break };
        rest = rest
            .get(t..)
            .unwrap_or_default()
            .trim_start_matches(|c: char| c.is_ascii() && is_c_space(u8::try_from(c).unwrap_or(0)));
    }
    out
}

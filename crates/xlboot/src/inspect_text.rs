//! `xlboot inspect`'s report for people: disks, volumes, configs, the menu as a tree
//! with each entry's kernel and initrds, then the problems. Guest text is escaped
//! (see [`crate::diag::sanitize`]). Programs should read `--json`, whose layout is
//! versioned; this one may change.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::diag::sanitize;
use crate::inspect::{BootReport, FileReport, ItemReport, KernelReport, Report};
use crate::kernel_check;

/// The report, ready to print.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for d in &r.disks {
        let _ = writeln!(
            out,
            "disk {}: {} ({}{}, {} bytes)",
            d.name,
            sanitize(&d.path),
            d.format,
            if d.files > 1 {
                format!(" with {} backing files", d.files - 1)
            } else {
                String::new()
            },
            d.size
        );
        match &d.table {
            Err(e) => {
                let _ = writeln!(out, "  partition table: {}", sanitize(e));
            }
            Ok(t) => {
                let _ = writeln!(
                    out,
                    "  partition table: {} ({}-byte sectors{})",
                    t.scheme,
                    t.sector_size,
                    t.gpt_copy.map_or(String::new(), |c| format!(", {c} GPT"))
                );
                for p in &t.partitions {
                    let _ = write!(
                        out,
                        "    {}: start {}, {} bytes, type {}",
                        p.name, p.start, p.length, p.part_type
                    );
                    if !p.label.is_empty() {
                        let _ = write!(out, ", name \"{}\"", sanitize(&p.label));
                    }
                    if p.bootable {
                        out.push_str(", bootable");
                    }
                    out.push('\n');
                }
                for p in &t.problems {
                    let _ = writeln!(out, "    problem: {}", sanitize(p));
                }
            }
        }
    }
    out.push_str("volumes:\n");
    if r.volumes.is_empty() {
        out.push_str("  none\n");
    }
    for v in &r.volumes {
        let _ = write!(out, "  ({}) at byte {}: ", sanitize(&v.name), v.start);
        match &v.filesystem {
            Ok(fs) => {
                out.push_str(fs.fs_type);
                if let Some(u) = &fs.uuid {
                    let _ = write!(out, ", UUID {}", sanitize(u));
                }
                if let Some(l) = &fs.label {
                    let _ = write!(out, ", label \"{}\"", sanitize(l));
                }
            }
            Err(e) => out.push_str(&sanitize(e)),
        }
        for a in &v.aliases {
            let _ = write!(out, ", also ({})", sanitize(a));
        }
        out.push('\n');
    }
    out.push_str("configs:\n");
    if r.configs.is_empty() {
        out.push_str("  none\n");
    }
    for c in &r.configs {
        let _ = writeln!(
            out,
            "  {} ({}{})",
            sanitize(&c.file.to_string()),
            c.kind.name(),
            if c.used { ", used" } else { "" }
        );
    }
    if let Some(m) = &r.menu {
        let _ = writeln!(out, "menu of {}:", sanitize(&m.config.to_string()));
        let _ = writeln!(
            out,
            "  default: {} ({})",
            m.default.as_deref().unwrap_or("none"),
            sanitize(&m.default_rule)
        );
        let _ = writeln!(
            out,
            "  timeout: {}",
            m.timeout
                .map_or("none (waits)".to_string(), |t| format!("{t} s"))
        );
        items(&mut out, &m.items, 1, &mut BTreeSet::new());
    }
    if r.problems.is_empty() {
        out.push_str("problems: none\n");
    } else {
        out.push_str("problems:\n");
        for p in &r.problems {
            let _ = writeln!(out, "  {}", sanitize(p));
        }
    }
    out
}

/// A menu level, indented by `depth`; bounded by the menu's own depth cap. A kernel
/// is described in full the first time it appears; `seen` holds those described.
fn items(out: &mut String, list: &[ItemReport], depth: usize, seen: &mut BTreeSet<String>) {
    let pad = "  ".repeat(depth);
    for item in list {
        match item {
            ItemReport::Submenu {
                path,
                title,
                id,
                items: sub,
            } => {
                let _ = write!(out, "{pad}submenu {path} \"{}\"", sanitize(title));
                if let Some(id) = id {
                    let _ = write!(out, " (id {})", sanitize(id));
                }
                out.push('\n');
                items(out, sub, depth + 1, seen);
            }
            ItemReport::Entry(e) => {
                let _ = write!(
                    out,
                    "{pad}entry {}{} \"{}\"",
                    e.index.map_or(String::new(), |i| format!("{i}, path ")),
                    e.path,
                    sanitize(&e.title)
                );
                if let Some(id) = &e.id {
                    let _ = write!(out, " (id {})", sanitize(id));
                }
                if e.default {
                    out.push_str(" [default]");
                }
                out.push('\n');
                match &e.boot {
                    Err(why) => {
                        let _ = writeln!(out, "{pad}  cannot be booted: {}", sanitize(why));
                    }
                    Ok(b) => boot(out, b, &pad, seen),
                }
            }
        }
    }
}

fn boot(out: &mut String, b: &BootReport, pad: &str, seen: &mut BTreeSet<String>) {
    kernel(out, &b.kernel, pad, seen);
    for i in &b.initrds {
        file(out, "initrd", i, pad);
    }
    let _ = writeln!(out, "{pad}  args: {}", sanitize(&b.args));
}

fn file(out: &mut String, what: &str, f: &FileReport, pad: &str) {
    let _ = write!(out, "{pad}  {what}: {}", sanitize(&f.file.to_string()));
    match &f.read {
        Ok(facts) => {
            let _ = writeln!(out, ", {} bytes, sha256 {}", facts.size, facts.sha256);
        }
        Err(e) => {
            let _ = writeln!(out, ": {}", sanitize(e));
        }
    }
}

fn kernel(out: &mut String, k: &KernelReport, pad: &str, seen: &mut BTreeSet<String>) {
    file(out, "kernel", &k.file, pad);
    if !seen.insert(k.file.file.to_string()) {
        let _ = writeln!(out, "{pad}    (described above)");
        return;
    }
    match &k.kernel {
        None => {}
        Some(Err(e)) => {
            let _ = writeln!(out, "{pad}    {}", sanitize(e));
        }
        Some(Ok(kernel)) => {
            for part in kernel_check::describe_parts(kernel) {
                let _ = writeln!(out, "{pad}    {part}");
            }
        }
    }
}

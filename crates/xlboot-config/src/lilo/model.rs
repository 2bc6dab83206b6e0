//! A `lilo.conf` as `/sbin/lilo` reads it: global options first, then `image=` and
//! `other=` sections, each item checked against the keyword table of where it stands
//! (`cf_options`, `cf_image`, `cf_other`, `cf_kernel` and `cf_all` in `src/cfg.c`).
//! Keywords are matched without regard to case; a flag given a value, a value missing,
//! an item twice in one section, or an unknown keyword is an error, since `/sbin/lilo`
//! refuses such a config and the guest could not have installed it.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::lexer::Item;

/// Keyword kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
}

use Kind::{Flag, Value};

/// `cf_options`: global keywords.
const GLOBAL: &[(&str, Kind)] = &[
    ("append", Value),
    ("backup", Value),
    ("bios-passes-dl", Value),
    ("bitmap", Value),
    ("bmp-colors", Value),
    ("bmp-retain", Flag),
    ("bmp-table", Value),
    ("bmp-timer", Value),
    ("boot", Value),
    ("boot-as", Value),
    ("change-rules", Flag),
    ("compact", Flag),
    ("default", Value),
    ("delay", Value),
    ("disk", Value),
    ("disktab", Value),
    ("el-torito-bootable-cd", Flag),
    ("fallback", Value),
    ("fix-table", Flag),
    ("force-backup", Value),
    ("geometric", Flag),
    ("ignore-table", Flag),
    ("initrd", Value),
    ("install", Value),
    ("keytable", Value),
    ("large-memory", Flag),
    ("lba32", Flag),
    ("linear", Flag),
    ("loader", Value),
    ("lock", Flag),
    ("mandatory", Flag),
    ("map", Value),
    ("master-boot", Flag),
    ("menu-scheme", Value),
    ("menu-title", Value),
    ("message", Value),
    ("nodevcache", Flag),
    ("nokbdefault", Value),
    ("noraid", Flag),
    ("nowarn", Flag),
    ("optional", Flag),
    ("password", Value),
    ("prompt", Flag),
    ("raid-extra-boot", Value),
    ("ramdisk", Value),
    ("read-only", Flag),
    ("read-write", Flag),
    ("restricted", Flag),
    ("root", Value),
    ("serial", Value),
    ("single-key", Flag),
    ("small-memory", Flag),
    ("static-bios-codes", Flag),
    ("suppress-boot-time-bios-data", Flag),
    ("timeout", Value),
    ("unattended", Flag),
    ("verbose", Value),
    ("vga", Value),
    ("vmdefault", Value),
];

/// `cf_all`: keywords of every section.
const ALL: &[(&str, Kind)] = &[
    ("alias", Value),
    ("bmp-retain", Flag),
    ("bypass", Flag),
    ("fallback", Value),
    ("label", Value),
    ("literal", Value),
    ("lock", Flag),
    ("mandatory", Flag),
    ("nokbdisable", Flag),
    ("optional", Flag),
    ("password", Value),
    ("restricted", Flag),
    ("single-key", Flag),
    ("vmdisable", Flag),
    ("vmwarn", Flag),
];

/// `cf_kernel` (and `range` of `cf_image`): keywords of `image=` sections.
const KERNEL: &[(&str, Kind)] = &[
    ("addappend", Value),
    ("append", Value),
    ("initrd", Value),
    ("ramdisk", Value),
    ("range", Value),
    ("read-only", Flag),
    ("read-write", Flag),
    ("root", Value),
    ("vga", Value),
];

/// `cf_other`: keywords of `other=` sections.
const OTHER: &[(&str, Kind)] = &[
    ("boot-as", Value),
    ("change", Flag),
    ("loader", Value),
    ("map-drive", Value),
    ("master-boot", Flag),
    ("table", Value),
    ("unsafe", Flag),
];

/// Sub-sections (`disk=` geometry, `map-drive=`, `change-rules`) whose items LILO reads
/// with tables of their own; xlboot skips their items, which never change what boots.
const NESTED: &[&str] = &[
    "bios",
    "cylinders",
    "heads",
    "sectors",
    "inaccessible",
    "max-partitions",
    "sectors-per-track",
    "partition",
    "start",
    "to",
    "set",
    "reset",
    "type",
    "hide",
    "activate",
    "deactivate",
    "automatic",
];

/// The items of one section, by lower-case keyword.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Keyword → value (`None` for flags) and line.
    pub items: BTreeMap<String, (Option<String>, u32)>,
}

impl Section {
    /// A value keyword's value.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.items.get(key).and_then(|(v, _)| v.as_deref())
    }

    /// Whether a flag is set.
    pub fn flag(&self, key: &str) -> bool {
        self.items.contains_key(key)
    }
}

/// Whether a section boots a kernel or chain-loads another boot sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `image=`: a Linux kernel.
    Image,
    /// `other=`: another operating system's boot sector.
    Other,
}

/// One `image=` or `other=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Which kind.
    pub kind: SectionKind,
    /// The `image=` path (root namespace) or `other=` device.
    pub path: String,
    /// Its line.
    pub line: u32,
    /// Its own items.
    pub section: Section,
}

/// A parsed `lilo.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Global options.
    pub global: Section,
    /// Sections in file order (LILO's menu order, the default moved aside).
    pub images: Vec<Image>,
}

fn kind_in(table: &[(&str, Kind)], key: &str) -> Option<Kind> {
    table.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind)
}

/// Builds the config from its items, as `/sbin/lilo` checks them. `Err((line,
/// message))` when `/sbin/lilo` would refuse the config.
pub fn parse(items: &[Item], max_images: usize) -> Result<Config, (u32, String)> {
    let mut cfg = Config::default();
    for item in items {
        let key = item.name.to_ascii_lowercase();
        if key == "image" || key == "other" {
            let Some(path) = item.value.clone() else {
                return Err((
                    item.line,
                    alloc::format!("value expected for `{}'", item.name),
                ));
            };
            if cfg.images.len() >= max_images {
                return Err((item.line, alloc::format!("more than {max_images} images")));
            }
            cfg.images.push(Image {
                kind: if key == "image" {
                    SectionKind::Image
                } else {
                    SectionKind::Other
                },
                path,
                line: item.line,
                section: Section::default(),
            });
            continue;
        }
        let (section, kind) = match cfg.images.last_mut() {
            None => (&mut cfg.global, kind_in(GLOBAL, &key)),
            Some(img) => {
                let own = match img.kind {
                    SectionKind::Image => kind_in(KERNEL, &key),
                    SectionKind::Other => kind_in(OTHER, &key),
                };
                (&mut img.section, own.or_else(|| kind_in(ALL, &key)))
            }
        };
        let Some(kind) = kind else {
            if NESTED.contains(&key.as_str()) {
                continue;
            }
            return Err((
                item.line,
                alloc::format!("unrecognized keyword `{}' here", item.name),
            ));
        };
        match (kind, &item.value) {
            (Flag, Some(_)) => {
                return Err((
                    item.line,
                    alloc::format!("`{}' doesn't have a value", item.name),
                ))
            }
            (Value, None) => {
                return Err((
                    item.line,
                    alloc::format!("value expected for `{}'", item.name),
                ))
            }
            _ => {}
        }
        if section.items.contains_key(&key) {
            return Err((item.line, alloc::format!("duplicate entry `{}'", item.name)));
        }
        section
            .items
            .insert(key.to_string(), (item.value.clone(), item.line));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lilo::lexer::items;

    fn cfg(src: &str) -> Result<Config, (u32, String)> {
        parse(&items(src.as_bytes(), 1000).unwrap(), 100)
    }

    #[test]
    fn sections_and_keywords() {
        let c = cfg("Prompt\ntimeout=50\nimage=/vmlinuz\n label=Linux\n READ-ONLY\nother=/dev/xvda3\n label=dos\n").unwrap();
        assert!(c.global.flag("prompt"));
        assert_eq!(c.global.value("timeout"), Some("50"));
        assert_eq!(c.images.len(), 2);
        assert_eq!(c.images[0].section.value("label"), Some("Linux"));
        assert!(c.images[0].section.flag("read-only"));
        assert_eq!(c.images[1].kind, SectionKind::Other);
    }

    #[test]
    fn lilo_refuses_these() {
        assert!(cfg("prompt=1\n").is_err());
        assert!(cfg("timeout\n").is_err());
        assert!(cfg("image=/v\nlabel=a\nlabel=b\n").is_err());
        assert!(cfg("bogus=1\n").is_err());
        // A global-only keyword inside an image section.
        assert!(cfg("image=/v\ntimeout=5\n").is_err());
        // Kernel keywords are not valid in other= sections.
        assert!(cfg("other=/dev/xvda2\nappend=x\n").is_err());
    }
}

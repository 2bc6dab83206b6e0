//! `xlboot inspect --json`: the report for programs, in the layout docs/inspect-json.md
//! documents field by field, versioned by its `schema` number
//! ([`crate::inspect::SCHEMA`]).
//!
//! Every field is always present (`null` when there is nothing to say), so that a
//! reader can tell "absent" from "not looked at". Addresses are hex strings, because
//! a 64-bit address does not survive a reader that stores numbers as doubles.

use xlboot_boot::config_search::ConfigKind;
use xlboot_config::FilePath;
use xlboot_kernel::{Capability, Container, GuestOs, Kernel, XenSource};

use crate::inspect::{
    BootReport, DiskReport, EntryReport, FileReport, ItemReport, KernelReport, MenuReport, Report,
    SCHEMA,
};
use crate::json::Json;
use crate::kernel_check;

/// The report as JSON text.
pub fn render(r: &Report) -> String {
    Json::Object(vec![
        ("schema", SCHEMA.into()),
        ("xlboot", env!("CARGO_PKG_VERSION").into()),
        ("complete", r.complete.into()),
        ("disks", Json::Array(r.disks.iter().map(disk).collect())),
        (
            "volumes",
            Json::Array(
                r.volumes
                    .iter()
                    .map(|v| {
                        let (fs, error) = match &v.filesystem {
                            Ok(fs) => (
                                Json::Object(vec![
                                    ("type", fs.fs_type.into()),
                                    ("uuid", fs.uuid.clone().into()),
                                    ("label", fs.label.clone().into()),
                                ]),
                                Json::Null,
                            ),
                            Err(e) => (Json::Null, e.as_str().into()),
                        };
                        Json::Object(vec![
                            ("name", v.name.as_str().into()),
                            ("aliases", strings(&v.aliases)),
                            ("start", v.start.into()),
                            ("filesystem", fs),
                            ("error", error),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "configs",
            Json::Array(
                r.configs
                    .iter()
                    .map(|c| {
                        let mut fields = location(&c.file);
                        fields.push(("kind", kind_id(c.kind).into()));
                        fields.push(("used", c.used.into()));
                        Json::Object(fields)
                    })
                    .collect(),
            ),
        ),
        ("menu", r.menu.as_ref().map_or(Json::Null, menu)),
        ("problems", strings(&r.problems)),
    ])
    .render()
}

/// The config kind's identifier in the JSON layout.
fn kind_id(kind: ConfigKind) -> &'static str {
    match kind {
        ConfigKind::Grub2 => "grub2",
        ConfigKind::Syslinux => "syslinux",
        ConfigKind::GrubLegacy => "grub-legacy",
        ConfigKind::Lilo => "lilo",
        ConfigKind::Bls => "bls",
        ConfigKind::LoaderConf => "loader-conf",
    }
}

fn strings(list: &[String]) -> Json {
    Json::Array(list.iter().map(|s| s.as_str().into()).collect())
}

fn location(f: &FilePath) -> Vec<(&'static str, Json)> {
    vec![
        ("device", f.device.as_str().into()),
        ("path", f.path.as_str().into()),
    ]
}

fn hex(n: Option<u64>) -> Json {
    n.map_or(Json::Null, |n| Json::Str(format!("{n:#x}")))
}

fn disk(d: &DiskReport) -> Json {
    let (table, error) = match &d.table {
        Err(e) => (Json::Null, e.as_str().into()),
        Ok(t) => (
            Json::Object(vec![
                ("scheme", t.scheme.into()),
                ("sector_size", u64::from(t.sector_size).into()),
                ("gpt_copy", t.gpt_copy.into()),
                (
                    "partitions",
                    Json::Array(
                        t.partitions
                            .iter()
                            .map(|p| {
                                Json::Object(vec![
                                    ("name", p.name.as_str().into()),
                                    ("start", p.start.into()),
                                    ("length", p.length.into()),
                                    ("type", p.part_type.as_str().into()),
                                    ("label", p.label.as_str().into()),
                                    ("bootable", p.bootable.into()),
                                    ("unique_guid", p.unique_guid.clone().into()),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("problems", strings(&t.problems)),
            ]),
            Json::Null,
        ),
    };
    Json::Object(vec![
        ("name", d.name.as_str().into()),
        ("path", d.path.as_str().into()),
        ("format", d.format.into()),
        ("files", d.files.into()),
        ("size", d.size.into()),
        ("partition_table", table),
        ("partition_table_error", error),
    ])
}

fn menu(m: &MenuReport) -> Json {
    let default = find_default(&m.items);
    let mut config = location(&m.config);
    config.truncate(2);
    Json::Object(vec![
        ("config", Json::Object(config)),
        ("default", m.default.clone().into()),
        ("default_index", default.and_then(|e| e.index).into()),
        ("default_title", default.map(|e| e.title.clone()).into()),
        ("default_rule", m.default_rule.as_str().into()),
        ("timeout", m.timeout.into()),
        ("items", items(&m.items)),
    ])
}

/// The default entry in the tree; bounded by the menu's depth cap.
fn find_default(list: &[ItemReport]) -> Option<&EntryReport> {
    list.iter().find_map(|i| match i {
        ItemReport::Entry(e) if e.default => Some(e.as_ref()),
        ItemReport::Entry(_) => None,
        ItemReport::Submenu { items, .. } => find_default(items),
    })
}

/// A menu level; bounded by the menu's depth cap.
fn items(list: &[ItemReport]) -> Json {
    Json::Array(
        list.iter()
            .map(|i| match i {
                ItemReport::Submenu {
                    path,
                    title,
                    id,
                    items: sub,
                } => Json::Object(vec![
                    ("type", "submenu".into()),
                    ("path", path.as_str().into()),
                    ("title", title.as_str().into()),
                    ("id", id.clone().into()),
                    ("items", items(sub)),
                ]),
                ItemReport::Entry(e) => {
                    let (boot_json, error) = match &e.boot {
                        Ok(b) => (boot(b), Json::Null),
                        Err(why) => (Json::Null, why.as_str().into()),
                    };
                    Json::Object(vec![
                        ("type", "entry".into()),
                        ("index", e.index.into()),
                        ("path", e.path.as_str().into()),
                        ("title", e.title.as_str().into()),
                        ("id", e.id.clone().into()),
                        ("default", e.default.into()),
                        ("boot", boot_json),
                        ("error", error),
                    ])
                }
            })
            .collect(),
    )
}

fn boot(b: &BootReport) -> Json {
    Json::Object(vec![
        ("kernel", kernel(&b.kernel)),
        ("initrds", Json::Array(b.initrds.iter().map(file).collect())),
        ("args", b.args.as_str().into()),
    ])
}

fn file_fields(f: &FileReport) -> Vec<(&'static str, Json)> {
    let mut fields = location(&f.file);
    match &f.read {
        Ok(facts) => {
            fields.push(("size", facts.size.into()));
            fields.push(("sha256", facts.sha256.as_str().into()));
        }
        Err(_) => {
            fields.push(("size", Json::Null));
            fields.push(("sha256", Json::Null));
        }
    }
    fields
}

fn file(f: &FileReport) -> Json {
    let mut fields = file_fields(f);
    fields.push(("error", f.read.as_ref().err().cloned().into()));
    Json::Object(fields)
}

fn kernel(k: &KernelReport) -> Json {
    let mut fields = file_fields(&k.file);
    let error = match (&k.file.read, &k.kernel) {
        (Err(e), _) | (Ok(_), Some(Err(e))) => Some(e.clone()),
        _ => None,
    };
    let facts = match &k.kernel {
        Some(Ok(kernel)) => Some(kernel),
        _ => None,
    };
    fields.extend(kernel_fields(facts));
    fields.push(("error", error.into()));
    Json::Object(fields)
}

/// What the image is; every field `null` when it could not be read.
fn kernel_fields(k: Option<&Kernel>) -> Vec<(&'static str, Json)> {
    let Some(k) = k else {
        return [
            "format",
            "boot_protocol",
            "init_size",
            "compression",
            "version",
            "elf",
            "memory",
            "os",
            "xen",
            "capability",
            "elf_capability",
        ]
        .into_iter()
        .map(|name| (name, Json::Null))
        .collect();
    };
    let (protocol, init_size) = match &k.container {
        Container::BzImage(h) => (
            Json::Str(format!("{}.{:02}", h.protocol >> 8, h.protocol & 0xff)),
            Json::Int(u64::from(h.init_size)),
        ),
        _ => (Json::Null, Json::Null),
    };
    let x = &k.xen;
    let xen = match x.source {
        None => Json::Null,
        Some(source) => Json::Object(vec![
            (
                "source",
                match source {
                    XenSource::NoteSegments => "note-segments",
                    XenSource::NoteSections => "note-sections",
                    XenSource::LegacyGuestSection => "xen-guest-section",
                }
                .into(),
            ),
            ("note_count", x.note_count.into()),
            ("guest_os", x.guest_os.clone().into()),
            ("guest_version", x.guest_version.clone().into()),
            ("loader", x.loader.clone().into()),
            ("xen_version", x.xen_version.clone().into()),
            ("pae_mode", x.pae_mode.clone().into()),
            ("features", x.features.clone().into()),
            ("supported_features", hex(x.supported_features)),
            ("entry", hex(x.entry)),
            ("hypercall_page", hex(x.hypercall_page)),
            ("virt_base", hex(x.virt_base)),
            ("paddr_offset", hex(x.paddr_offset)),
            ("phys32_entry", hex(x.phys32_entry)),
            ("bsd_symtab", x.bsd_symtab.clone().into()),
            ("legacy_guest_string", x.legacy_guest_string.clone().into()),
        ]),
    };
    vec![
        ("format", kernel_check::container_name(&k.container).into()),
        ("boot_protocol", protocol),
        ("init_size", init_size),
        ("compression", k.compressor.map(|c| c.name()).into()),
        ("version", k.version().into()),
        (
            "elf",
            Json::Object(vec![
                (
                    "class",
                    match k.elf.class {
                        xlboot_kernel::elf::header::Class::Elf32 => 32u64,
                        xlboot_kernel::elf::header::Class::Elf64 => 64,
                    }
                    .into(),
                ),
                ("machine", kernel_check::machine_name(k.elf.machine).into()),
                ("size", k.elf_size.into()),
            ]),
        ),
        (
            "memory",
            k.memory.map_or(Json::Null, |(start, end)| {
                Json::Object(vec![("start", hex(Some(start))), ("end", hex(Some(end)))])
            }),
        ),
        (
            "os",
            x.os()
                .map(|os| match os {
                    GuestOs::Linux => "linux",
                    GuestOs::NetBsd => "netbsd",
                    GuestOs::FreeBsd => "freebsd",
                    GuestOs::Other => "other",
                })
                .into(),
        ),
        ("xen", xen),
        ("capability", capability(&k.capability)),
        ("elf_capability", capability(&k.elf_capability)),
    ]
}

fn capability(c: &Capability) -> Json {
    Json::Object(vec![
        (
            "pv",
            Json::Object(vec![
                ("ok", c.pv.is_ok().into()),
                ("guest_type", c.pv.ok().map(|a| a.xen_name()).into()),
                ("reason", c.pv.err().into()),
            ]),
        ),
        (
            "pvh",
            Json::Object(vec![
                ("ok", c.pvh.is_ok().into()),
                ("reason", c.pvh.err().into()),
            ]),
        ),
    ])
}

//! A parsed `lilo.conf` turned into the menu LILO installs, and the command line it
//! passes, as `bsect_common`, `get_image` (`src/bsect.c`) and the second stage
//! (`src/second.S`) of LILO 24 build them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::model::{Config, Image, SectionKind};
use crate::host::FilePath;
use crate::menu::{BootSpec, Entry, Menu, MenuItem};

/// The longest label LILO accepts (`MAX_IMAGE_NAME`).
pub const MAX_LABEL: usize = 15;

/// What resolving a path of the root namespace gave.
pub type Located = Result<Option<FilePath>, String>;

/// An image's label as `get_image` makes it: `label=` with blanks turned into `_`,
/// else the image path after its last `/`. `Err` when `/sbin/lilo` refuses it.
pub fn label(img: &Image) -> Result<String, String> {
    let label = match img.section.value("label") {
        Some(l) => l.replace(' ', "_"),
        None => {
            let name = img.path.rsplit('/').next().unwrap_or("");
            if img.path.contains('/') && name.contains(' ') {
                return Err(format!("image name `{name}' contains a blank"));
            }
            name.to_string()
        }
    };
    if label.len() > MAX_LABEL {
        return Err(format!(
            "label `{label}' is longer than {MAX_LABEL} characters"
        ));
    }
    if label.bytes().any(|b| b < b' ') {
        return Err(format!("label `{label}' contains a control character"));
    }
    Ok(label)
}

/// The `root=` option `bsect_common` writes: `LABEL=`, `UUID=` and `/dev/mapper/`
/// names as written; other device names as the device number `/sbin/lilo` found by
/// `stat`ing the device node, in hexadecimal (`/dev/xvda1` is `ca01`); a number as
/// that number in hexadecimal.
pub fn root_option(root: &str) -> Result<String, String> {
    if root.eq_ignore_ascii_case("current") {
        return Err(
            "root=current is the device / was on when /sbin/lilo ran, which is not recorded".into(),
        );
    }
    let literal = |p: &str| root.len() > p.len() && root.starts_with(p);
    if literal("/dev/mapper/") || literal("LABEL=") || literal("UUID=") {
        return Ok(root.to_string());
    }
    if root.starts_with(|c: char| c.is_ascii_digit()) {
        return c_number(root)
            .map(|n| format!("{n:x}"))
            .ok_or_else(|| format!("root={root}: not a number"));
    }
    let (major, minor) = device_number(root).ok_or_else(|| {
        format!("root={root}: /sbin/lilo writes this device's number, which xlboot cannot tell")
    })?;
    Ok(format!("{:x}", (major << 8) | minor))
}

/// `strtol (s, &end, 0)` with nothing left over, as `to_number` requires.
fn c_number(s: &str) -> Option<u32> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (s.get(1..)?, 8)
    } else {
        (s, 10)
    };
    u32::from_str_radix(digits, radix).ok()
}

/// The Linux device number of a disk or partition node, for the fixed-major drivers:
/// Xen virtual disks (`xvd`, major 202), SCSI/SATA disks (`sd`, majors 8 and 65-71)
/// and IDE disks (`hd`, majors 3, 22, 33, 34, ...). Virtio disks have a dynamic
/// major and are not answered.
fn device_number(dev: &str) -> Option<(u32, u32)> {
    let name = dev.strip_prefix("/dev/")?;
    let (prefix, per_disk, max_part) = if name.starts_with("xvd") {
        ("xvd", 16u32, 15u32)
    } else if name.starts_with("sd") {
        ("sd", 16, 15)
    } else if name.starts_with("hd") {
        ("hd", 64, 63)
    } else {
        return None;
    };
    let rest = name.get(prefix.len()..)?;
    let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    if letters != 1 {
        return None;
    }
    let disk = u32::from(rest.as_bytes().first()?.checked_sub(b'a')?);
    let part_str = rest.get(1..)?;
    let part = if part_str.is_empty() {
        0
    } else {
        if part_str.starts_with('0') || !part_str.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part_str.parse::<u32>().ok().filter(|p| *p <= max_part)?
    };
    match prefix {
        "xvd" => Some((202, disk.checked_mul(per_disk)?.checked_add(part)?)),
        "sd" => {
            let majors = [8u32, 65, 66, 67, 68, 69, 70, 71];
            let major = *majors.get(usize::try_from(disk / 16).ok()?)?;
            Some((major, (disk % 16).checked_mul(per_disk)?.checked_add(part)?))
        }
        _ => {
            let majors = [3u32, 22, 33, 34, 56, 57, 88, 89, 90, 91];
            let major = *majors.get(usize::try_from(disk / 2).ok()?)?;
            Some((major, (disk % 2).checked_mul(per_disk)?.checked_add(part)?))
        }
    }
}

/// The options `bsect_common` stores for an image: `ro`/`rw`, `root=`, `ramdisk=`,
/// the image's `append` (else the global one), then `addappend`; `literal` replaces
/// them all. Image keywords win over global ones.
pub fn stored_options(cfg: &Config, img: &Image) -> Result<String, String> {
    let local = &img.section;
    let global = &cfg.global;
    let get = |k: &str| local.value(k).or_else(|| global.value(k));
    if (local.flag("read-only") && local.flag("read-write"))
        || (global.flag("read-only") && global.flag("read-write"))
    {
        return Err("conflicting read-only and read-write settings".into());
    }
    let mut o = String::new();
    if local.flag("read-only") || global.flag("read-only") {
        o.push_str("ro ");
    }
    if local.flag("read-write") || global.flag("read-write") {
        o.push_str("rw ");
    }
    if let Some(root) = get("root") {
        o.push_str("root=");
        o.push_str(&root_option(root)?);
        o.push(' ');
    }
    if let Some(r) = get("ramdisk") {
        let n = c_number(r).ok_or_else(|| format!("ramdisk={r}: not a number"))?;
        o.push_str(&format!("ramdisk={n} "));
    }
    if let Some(a) = get("append") {
        o.push_str(a);
        o.push(' ');
    }
    if let Some(a) = local.value("addappend") {
        o.push_str(a);
    }
    if let Some(l) = local.value("literal") {
        o = l.to_string();
    }
    if o.ends_with(' ') {
        o.pop();
    }
    Ok(o)
}

/// The command line the second stage passes when it boots `label` by itself (after
/// the timeout, or with no prompt): `auto BOOT_IMAGE=LABEL`, then the stored options
/// with runs of spaces squeezed to one and leading and trailing spaces dropped.
pub fn command_line(label: &str, options: &str) -> String {
    let mut line = format!("auto BOOT_IMAGE={label}");
    let words: Vec<&str> = options.split(' ').filter(|w| !w.is_empty()).collect();
    if !words.is_empty() {
        line.push(' ');
        line.push_str(&words.join(" "));
    }
    line
}

/// The menu LILO installs. `locate` maps a path of the guest's root namespace to a
/// file (`Ok(None)`: no such file). Images marked `optional` whose file is missing are
/// left out, as `/sbin/lilo` leaves them out. `Err` when `/sbin/lilo` would refuse
/// the config.
pub fn menu(cfg: &Config, locate: &dyn Fn(&str) -> Located) -> Result<(Menu, Vec<String>), String> {
    if cfg.global.flag("read-only") && cfg.global.flag("read-write") {
        return Err("conflicting read-only and read-write settings".into());
    }
    let mut items = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for img in &cfg.images {
        let label = label(img).map_err(|m| format!("line {}: {m}", img.line))?;
        if labels.iter().any(|l| l.eq_ignore_ascii_case(&label)) {
            return Err(format!("line {}: duplicate label `{label}'", img.line));
        }
        if img.section.flag("read-only") && img.section.flag("read-write") {
            return Err(format!(
                "line {}: conflicting read-only and read-write settings",
                img.line
            ));
        }
        let optional = img.section.flag("optional") || cfg.global.flag("optional");
        let boot = match img.kind {
            SectionKind::Other => Err(format!(
                "other={}: chain-loads another operating system's boot sector",
                img.path
            )),
            SectionKind::Image if img.section.value("range").is_some() => {
                Err("image= with range= names disk sectors, not a file".to_string())
            }
            SectionKind::Image => {
                let kernel = locate(&img.path);
                if optional && matches!(kernel, Ok(None)) {
                    notes.push(format!(
                        "line {}: optional image {} is missing: left out, as /sbin/lilo leaves it out",
                        img.line, img.path
                    ));
                    continue;
                }
                image_spec(cfg, img, &label, kernel, locate)
            }
        };
        labels.push(label.clone());
        items.push(MenuItem::Entry(Entry {
            title: label,
            id: None,
            boot,
        }));
    }
    if items.is_empty() {
        return Err("no images are defined".into());
    }
    let (default, rule) = match cfg.global.value("default") {
        Some(d) => {
            let i = labels
                .iter()
                .position(|l| l.eq_ignore_ascii_case(d))
                .ok_or_else(|| {
                    format!(
                        "default={d} names no image (/sbin/lilo: \"Default image doesn't exist\")"
                    )
                })?;
            (
                i,
                format!(
                    "default={d}: entry {i} `{}'",
                    labels.get(i).map_or("", String::as_str)
                ),
            )
        }
        None => (
            0,
            format!(
                "no default=: the first image, `{}'",
                labels.first().map_or("", String::as_str)
            ),
        ),
    };
    let timeout = if cfg.global.flag("prompt") {
        cfg.global.value("timeout").and_then(tenths)
    } else {
        Some(cfg.global.value("delay").and_then(tenths).unwrap_or(0))
    };
    Ok((
        Menu {
            items,
            default: Some(alloc::vec![default]),
            timeout,
            default_rule: rule,
            ui: crate::MenuUi::default(),
        },
        notes,
    ))
}

/// LILO's times are tenths of seconds: whole seconds, rounded up.
fn tenths(v: &str) -> Option<u64> {
    let n = u64::from(c_number(v)?);
    Some(n.div_ceil(10))
}

fn image_spec(
    cfg: &Config,
    img: &Image,
    label: &str,
    kernel: Located,
    locate: &dyn Fn(&str) -> Located,
) -> Result<BootSpec, String> {
    let kernel = kernel?.ok_or_else(|| format!("image={}: file not found", img.path))?;
    let mut initrds = Vec::new();
    if let Some(i) = img
        .section
        .value("initrd")
        .or_else(|| cfg.global.value("initrd"))
    {
        initrds.push(locate(i)?.ok_or_else(|| format!("initrd={i}: file not found"))?);
    }
    let options = stored_options(cfg, img)?;
    Ok(BootSpec {
        kernel,
        initrds,
        args: command_line(label, &options),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_as_stat_gives_them() {
        assert_eq!(root_option("/dev/xvda1").unwrap(), "ca01");
        assert_eq!(root_option("/dev/xvdb2").unwrap(), "ca12");
        assert_eq!(root_option("/dev/sda3").unwrap(), "803");
        assert_eq!(root_option("/dev/sdq1").unwrap(), "4101");
        assert_eq!(root_option("/dev/hda1").unwrap(), "301");
        assert_eq!(root_option("/dev/hdb2").unwrap(), "342");
        assert_eq!(root_option("/dev/hdc1").unwrap(), "1601");
        assert_eq!(root_option("/dev/xvda").unwrap(), "ca00");
        assert_eq!(root_option("0x801").unwrap(), "801");
        assert_eq!(root_option("2049").unwrap(), "801");
        assert_eq!(root_option("UUID=abc").unwrap(), "UUID=abc");
        assert_eq!(root_option("LABEL=root").unwrap(), "LABEL=root");
        assert_eq!(
            root_option("/dev/mapper/vg-root").unwrap(),
            "/dev/mapper/vg-root"
        );
        assert!(root_option("/dev/vda1").is_err());
        assert!(root_option("current").is_err());
        assert!(root_option("/dev/xvda16").is_err());
        assert!(root_option("/dev/xvda01").is_err());
        assert!(root_option("UUID=").is_err());
    }

    #[test]
    fn command_line_squeezes_spaces() {
        assert_eq!(
            command_line("Linux", "ro root=ca01  console=hvc0 "),
            "auto BOOT_IMAGE=Linux ro root=ca01 console=hvc0"
        );
        assert_eq!(command_line("x", ""), "auto BOOT_IMAGE=x");
    }
}

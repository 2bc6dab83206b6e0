//! From the guest's disks to the kernel it boots, as xlboot decides it: connect every
//! `device/vbd`, find the volumes and filesystems, find (or take from the command line)
//! the boot config, evaluate it, show the menu and the entry chosen, load its kernel
//! and initrd ([`crate::kernel`]), undo what the loader set up ([`crate::teardown`])
//! and start the kernel.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xlboot_boot::config_search::{kind_of_file_name, ConfigKind};
use xlboot_boot::decide::{self, Choice, FoundConfig};
use xlboot_boot::{Decider, Guest};
use xlboot_config::{FilePath, Menu};
use xlboot_disk::BlockDevice;
use xlboot_xen::cmdline::{split_device, LoaderOptions};

use crate::blkfront::Blkfront;
use crate::disk::XenDisk;
use crate::grant::GrantTable;
use crate::platform::entry::Boot;
use crate::platform::{clock, handover};
use crate::println;
use crate::xenstore::Xenstore;

/// Devices connected at most (xl allows many more; a guest boots from its first few).
const MAX_DISKS: usize = 16;

/// Text from the guest's disk made safe to print: control characters (terminal
/// escapes) become `?`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Connects the block devices, in device-number order (xvda first).
fn connect_disks(xs: &mut Xenstore, grants: &mut GrantTable) -> Result<Vec<XenDisk>, String> {
    let mut ids: Vec<(u32, String)> = xs
        .directory("device/vbd")
        .map_err(|e| format!("no block devices: {e}"))?
        .into_iter()
        .filter_map(|id| Some((id.parse().ok()?, id)))
        .collect();
    ids.sort();
    if ids.is_empty() {
        return Err("no block devices (device/vbd is empty)".into());
    }
    let mut disks = Vec::new();
    for (_, id) in ids.into_iter().take(MAX_DISKS) {
        let front = Blkfront::connect(xs, grants, &id)?;
        println!(
            "disk {}: {} sectors of 512 bytes ({} MiB, sector size {}), backend {}",
            front.node,
            front.sectors,
            front.size() >> 20,
            front.sector_size,
            sanitize(&front.backend)
        );
        disks.push(XenDisk::new(front));
    }
    Ok(disks)
}

/// The config the command line names: on its device, or on the first volume that
/// has it.
fn given_config(guest: &Guest<'_>, path: &str) -> Result<FoundConfig, String> {
    let (device, file) = split_device(path);
    let kind = kind_of_file_name(file.rsplit('/').next().unwrap_or(""));
    if kind == ConfigKind::LoaderConf {
        return Err(format!(
            "config {path}: systemd-boot's loader.conf only chooses among its entries; \
             leave config= out to have the entries found"
        ));
    }
    let devices: Vec<String> = match device {
        Some(d) => {
            let v = guest
                .volume(d)
                .ok_or_else(|| format!("config {path}: device ({d}) does not exist"))?;
            alloc::vec![v.name.clone()]
        }
        None => guest.volumes.iter().map(|v| v.name.clone()).collect(),
    };
    let mut last = String::new();
    for d in devices {
        let candidate = FilePath::new(d, file);
        match guest.find(&candidate) {
            Ok(_) => {
                return Ok(FoundConfig {
                    file: candidate,
                    kind,
                })
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("config {path} not found: {last}"))
}

fn show_menu(menu: &Menu, choice: &Choice) {
    println!("menu:");
    for (i, e) in menu.flatten().iter().enumerate() {
        let mark = if menu.default.as_ref() == Some(&e.path) {
            '*'
        } else {
            ' '
        };
        println!(" {mark} {i}: {}", sanitize(&e.title_path));
        if let Err(why) = &e.entry.boot {
            println!("      (cannot be booted: {})", sanitize(why));
        }
    }
    if !menu.default_rule.is_empty() {
        println!("default rule: {}", sanitize(&menu.default_rule));
    }
    println!("booting: '{}'", sanitize(&choice.title));
    println!("  kernel: {}", sanitize(&choice.spec.kernel.to_string()));
    for initrd in &choice.spec.initrds {
        println!("  initrd: {}", sanitize(&initrd.to_string()));
    }
    println!("  args: {}", sanitize(&choice.spec.args));
}

/// Everything after the platform is up, up to the jump to the kernel; the error is
/// the one line to show before powering off.
pub fn run(boot: &Boot) -> Result<core::convert::Infallible, String> {
    let opts = LoaderOptions::parse(&boot.cmdline).map_err(|e| e.to_string())?;
    let mut xs = Xenstore::open()?;
    let mut grants = GrantTable::map()?;
    let disks = connect_disks(&mut xs, &mut grants)?;
    let views: Vec<&dyn BlockDevice> = disks.iter().map(|d| d as &dyn BlockDevice).collect();
    let guest = Guest::open_disks(&views, None).map_err(|e| format!("xvda: {e}"))?;
    for v in &guest.volumes {
        match &v.fs {
            Ok(fs) => {
                let info = fs.info();
                println!(
                    "volume ({}): {} uuid {}",
                    v.name,
                    info.fs_type,
                    sanitize(info.uuid.as_deref().unwrap_or("none"))
                );
            }
            Err(e) => println!("volume ({}): {}", v.name, sanitize(&e.to_string())),
        }
    }
    let mut decider = Decider::new(&guest);
    let found = match &opts.config {
        Some(path) => given_config(&guest, path)?,
        None => decider.find_config().map_err(|e| e.to_string())?,
    };
    println!(
        "config: {} ({})",
        sanitize(&found.file.to_string()),
        found.kind.name()
    );
    let menu = decider.evaluate(&found).map_err(|e| e.to_string());
    for note in &decider.notes {
        println!("note: {}", sanitize(note));
    }
    let menu = menu?;
    let choice = decide::choose(&menu, opts.entry.as_deref()).map_err(|e| e.to_string())?;
    show_menu(&menu, &choice);

    let t = clock::now_ms();
    let loaded = crate::kernel::load(&guest, &choice, boot)?;
    let (low, high) = loaded.extent();
    let placed = handover::place(loaded.segments(), &boot.memory, &loaded.busy).map_err(|e| {
        format!(
            "the kernel {} does not fit in this guest's memory: segment {e}",
            sanitize(&choice.spec.kernel.to_string())
        )
    })?;
    println!(
        "kernel segments {low:#x}-{high:#x}, PVH entry {:#x}, start info at {:#x}",
        loaded.entry, loaded.start_info
    );
    if let (Some(a), Some(b)) = (t, clock::now_ms()) {
        println!("loaded in {} ms", b.saturating_sub(a));
    }
    println!("xlboot-pvh: starting the kernel");
    drop(decider);
    drop(guest);
    drop(views);
    crate::teardown::before_handover(xs, grants, disks)?;
    handover::start(placed, loaded.entry, loaded.start_info)
}

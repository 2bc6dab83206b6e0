//! xlboot-pvh: the in-guest loader. Xen starts it as a PVH guest (`type = "pvh"`,
//! `kernel = ".../xlboot-pvh"`); it reads the guest's own disks through the block
//! frontend, evaluates their boot config with xlboot's crates and starts the chosen
//! kernel through its PVH entry.
//!
//! All `unsafe` code is in [`platform`]; the rest of the loader is safe.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod blkfront;
mod console;
mod disk;
mod grant;
mod kernel;
mod loader;
mod patience;
#[allow(unsafe_code)]
mod platform;
mod teardown;
mod xenstore;

use platform::entry::Boot;
use platform::hypercall::{self, Shutdown};

/// The loader, once the platform is up: prints what it finds and starts the kernel of
/// the chosen entry, or shows why not and powers off.
fn main(boot: Boot) -> ! {
    let console = console::init();
    println!(
        "xlboot-pvh {}: in-guest loader for Xen PVH guests",
        env!("CARGO_PKG_VERSION")
    );
    if let Err(e) = console {
        println!("xlboot-pvh: no PV console (HVM parameter error {})", e.0);
    }
    println!("command line: '{}'", boot.cmdline);
    println!(
        "start info version {}, {} memory map entries, heap {:#x}-{:#x} ({} MiB free)",
        boot.start_info.version,
        boot.memory.len(),
        boot.heap.0,
        boot.heap.1,
        platform::heap::free() >> 20
    );
    for r in &boot.memory {
        println!(
            "  memory {:#012x}-{:#012x} type {}",
            r.addr,
            r.addr.saturating_add(r.size),
            r.kind
        );
    }
    let Err(message) = loader::run(&boot);
    println!("xlboot-pvh: {}", loader::sanitize(&message));
    println!("xlboot-pvh: powering off");
    hypercall::shutdown(Shutdown::Poweroff)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("xlboot-pvh: panic: {info}");
    hypercall::shutdown(Shutdown::Crash)
}

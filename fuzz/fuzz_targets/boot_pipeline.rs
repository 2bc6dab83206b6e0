//! The CLI's config path end to end, minus the host I/O: a real MBR disk (ext4 at
//! 1 MiB with a Debian 12 grub.cfg, a grubenv by grub-editenv, stand-in kernel and
//! initrd) damaged by 5-byte patch records (u32 LE offset, u8 xor), then
//! `Guest::open` -> `Decider` -> `find_config` -> `evaluate` -> `choose` -> `find` +
//! `read_whole` of the kernel and initrds, and the `--update-grubenv` plan for each
//! choice (each block's place must lie inside the disk).
//!
//! The top two bits of each offset aim it: 00 anywhere on the disk, 01 at the MBR
//! sector and the partition's first 512 KiB (filesystem metadata), 10 at the blocks
//! of grub.cfg and grubenv, 11 at the partition's first 2 MiB. An input whose length
//! is not a multiple of 5 opens the disk as `--offset=1048576` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_boot::{decide, guest, Decider, Guest};
use xlboot_fuzz::meta::{PIPELINE_FILE_REGIONS, PIPELINE_PART_START};
use xlboot_fuzz::{exercise_menu, in_regions, Patched, DISK_MBR};

fuzz_target!(|data: &[u8]| {
    let size = DISK_MBR.len() as u64;
    let part = PIPELINE_PART_START;
    let dev = Patched::from_records(DISK_MBR, data, |v| {
        let low = v & 0x3fff_ffff;
        match v >> 30 {
            0 => u64::from(low) % size,
            1 => in_regions(low, &[(0, 512), (part, 512 << 10)]),
            2 => in_regions(low, PIPELINE_FILE_REGIONS),
            _ => in_regions(low, &[(part, 2 << 20)]),
        }
    });
    dev.dump_if_asked();
    let offset = (data.len() % 5 != 0).then_some(part);
    let Ok(guest) = Guest::open(&dev, offset) else {
        return;
    };
    let mut decider = Decider::new(&guest);
    let Ok(found) = decider.find_config() else {
        return;
    };
    let Ok(menu) = decider.evaluate(&found) else {
        return;
    };
    exercise_menu(&menu);
    for entry in [None, Some("0"), Some("1>0")] {
        let Ok(choice) = decide::choose(&menu, entry) else {
            continue;
        };
        if let Ok(writes) = decider.grubenv_writes(&choice) {
            for w in writes {
                assert_eq!(w.old.len(), w.new.len());
                assert!(w.disk_offset + w.old.len() as u64 <= size);
            }
        }
        let files = std::iter::once(&choice.spec.kernel).chain(choice.spec.initrds.iter().take(8));
        for f in files {
            if let Ok(found) = guest.find(f) {
                if let Ok(bytes) = guest::read_whole(&found, 1 << 20) {
                    assert!(bytes.len() <= 1 << 20);
                }
            }
        }
    }
});

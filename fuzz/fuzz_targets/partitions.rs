//! Raw bytes as a whole disk: partition table scan and volume discovery. Every volume
//! returned must lie inside the disk and open as a window on it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_disk::{discover, scan, BlockDevice, Volume};

fn check(v: &Volume, disk: &[u8]) {
    let size = disk.size();
    let end = v.start.checked_add(v.len);
    assert!(
        end.is_some_and(|e| e <= size),
        "volume {:?} at {}+{} lies outside the {size}-byte disk",
        v.number,
        v.start,
        v.len
    );
    assert!(v.window(disk).is_ok(), "volume {:?}: window() fails", v.number);
    let _ = (v.grub_name(), v.legacy_grub_name());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = scan(data) {
        for v in table.volumes() {
            check(v, data);
        }
        for p in table.problems() {
            let _ = p.to_string();
        }
    }
    if let Ok(volumes) = discover(data) {
        for v in &volumes {
            check(v, data);
        }
    }
});

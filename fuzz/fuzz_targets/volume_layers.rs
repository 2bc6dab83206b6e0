//! Raw bytes as a whole disk: partitions, then md superblocks and LVM2 physical
//! volumes on each partition, volume groups assembled, and every logical volume and
//! md array opened and read (the first 256 KiB, in odd-sized pieces that cross
//! stripe and segment boundaries). A read never returns bytes past the device.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_disk::{discover, lvm, md, BlockDevice, Window};

fn read_some<D: BlockDevice>(dev: &D) {
    let size = dev.size();
    let mut buf = [0u8; 3000];
    let mut off = 0u64;
    while off < size.min(256 * 1024) {
        let n = (size - off).min(buf.len() as u64) as usize;
        let _ = dev.read_exact_at(off, &mut buf[..n]);
        off += n as u64;
    }
    assert!(dev.read_exact_at(size, &mut [0u8; 1]).is_err());
}

fuzz_target!(|data: &[u8]| {
    let Ok(volumes) = discover(data) else { return };
    let mut parts: Vec<Window<&[u8]>> = Vec::new();
    for v in &volumes {
        if let Ok(w) = v.window(data) {
            parts.push(w);
        }
    }
    for p in &parts {
        if let Ok(Some(m)) = md::probe(p) {
            let _ = (m.grub_name(), m.grub_id());
            if let Ok(a) = m.array(*p) {
                read_some(&a);
            }
        }
    }
    let mut pvs = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if let Ok(Some(pv)) = lvm::probe(p) {
            pvs.push((i, pv));
        }
    }
    let found: Vec<(usize, &lvm::PhysicalVolume)> = pvs.iter().map(|(i, p)| (*i, p)).collect();
    for vg in lvm::assemble(&found) {
        for lv in &vg.meta.lvs {
            let _ = (vg.grub_name(lv), vg.grub_id(lv));
            match vg.open(lv, &parts) {
                Ok(dev) => read_some(&dev),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
});

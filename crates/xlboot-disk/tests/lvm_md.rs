//! LVM2 and md on the fixture disks made by the real tools in a QEMU guest
//! (scripts/fixtures/build: `lvm`, `md`). The oracle for the LV mapping is the guest
//! kernel's device mapper: the build records the sha256 of each LV as
//! `/dev/vg0/<lv>` reads, and xlboot's linear (two segments) and striped (two PVs,
//! 64 KiB chunks) mappings must read the same bytes.

mod common;

use std::path::PathBuf;

use common::FileDev;
use sha2::{Digest, Sha256};
use xlboot_disk::{discover, lvm, md, BlockDevice, Window};

fn fixture(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
        panic!(
            "{} is required (run scripts/fixtures/build)",
            path.display()
        );
    }
    eprintln!(
        "skipping: no {} (run scripts/fixtures/build)",
        path.display()
    );
    None
}

fn sha256_of<D: BlockDevice>(dev: &D) -> String {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0;
    while off < dev.size() {
        let n = (dev.size() - off).min(buf.len() as u64) as usize;
        dev.read_exact_at(off, &mut buf[..n]).unwrap();
        h.update(&buf[..n]);
        off += n as u64;
    }
    format!("{:x}", h.finalize())
}

#[test]
fn lvs_read_as_the_device_mapper_reads_them() {
    let (Some(img), Some(sums)) = (fixture("lvm.img"), fixture("lvm.lv.sha256")) else {
        return;
    };
    let disk = FileDev::open(&img);
    let parts: Vec<Window<&FileDev>> = discover(&disk)
        .unwrap()
        .iter()
        .map(|v| v.window(&disk).unwrap())
        .collect();
    let pvs: Vec<(usize, lvm::PhysicalVolume)> = parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| lvm::probe(p).unwrap().map(|pv| (i, pv)))
        .collect();
    assert_eq!(pvs.len(), 2);
    let found: Vec<(usize, &lvm::PhysicalVolume)> = pvs.iter().map(|(i, p)| (*i, p)).collect();
    let vgs = lvm::assemble(&found);
    assert_eq!(vgs.len(), 1);
    let vg = &vgs[0];
    assert_eq!(vg.meta.name, "vg0");
    assert_eq!(vg.members, [Some(0), Some(1)]);
    let expected = std::fs::read_to_string(sums).unwrap();
    let mut checked = 0;
    for line in expected.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        let lv = vg
            .visible_lvs()
            .find(|lv| vg.grub_name(lv) == name)
            .unwrap_or_else(|| panic!("no LV {name}"));
        let dev = vg.open(lv, &parts).unwrap();
        assert_eq!(sha256_of(&dev), sum, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 2);

    // Without the second disk's PV (as when a VG spans disks and only the first is
    // given), the striped LV says which PV is missing; the linear one on p1 reads.
    let only_p1: Vec<(usize, &lvm::PhysicalVolume)> = found[..1].to_vec();
    let vg = &lvm::assemble(&only_p1)[0];
    let root = vg.visible_lvs().find(|l| l.name == "root").unwrap();
    let err = vg.open(root, &parts).err().unwrap().to_string();
    assert!(err.contains("pv1") && err.contains("--disk"), "{err}");
    let boot = vg.visible_lvs().find(|l| l.name == "boot").unwrap();
    assert!(vg.open(boot, &parts).is_ok());
}

#[test]
fn md_member_superblock_1_2() {
    let Some(img) = fixture("md.img") else { return };
    let disk = FileDev::open(&img);
    let parts = discover(&disk).unwrap();
    let p1 = parts[0].window(&disk).unwrap();
    let m = md::probe(&p1).unwrap().expect("p1 is an md member");
    assert_eq!(m.version, md::MdVersion::V1_2);
    assert_eq!(m.level, 1);
    assert_eq!(m.raid_disks, 2);
    assert_eq!(m.name.as_deref(), Some("xlboot-md:boot"));
    assert_eq!(m.grub_name(), "md/boot");
    assert_eq!(m.grub_id(), "mduuid/5e1f0a027c3d4b6a9e8f7a6b1c2d3e4f");
    assert_eq!(m.superblock_at, 4096);
    // Both members hold the same array.
    let p2 = parts[1].window(&disk).unwrap();
    let m2 = md::probe(&p2).unwrap().unwrap();
    assert_eq!(m2.uuid, m.uuid);
    let (a1, a2) = (m.array(p1).unwrap(), m2.array(p2).unwrap());
    let mut b1 = vec![0u8; 65536];
    let mut b2 = vec![0u8; 65536];
    a1.read_exact_at(1024, &mut b1).unwrap();
    a2.read_exact_at(1024, &mut b2).unwrap();
    assert_eq!(b1, b2);
    assert_eq!(&b1[0x38..0x3a], &[0x53, 0xEF], "ext4 superblock magic");
    // p3 is no member.
    let p3 = parts[2].window(&disk).unwrap();
    assert_eq!(md::probe(&p3).unwrap(), None);
}

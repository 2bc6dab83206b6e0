//! LVM2 logical volumes and md RAID1 arrays on the fixture disks made by the real
//! tools in a QEMU guest (scripts/fixtures/build, `lvm` and `md`): found, named as
//! GRUB names them, and read as the file systems written into them.

mod common;

use common::Image;
use xlboot_boot::Guest;
use xlboot_config::ConfigHost;

fn image(name: &str) -> Image {
    Image::open(&common::fixtures().join(format!("{name}.img")))
}

fn uuid_of(guest: &Guest<'_>, name: &str) -> Option<String> {
    guest
        .devices()
        .into_iter()
        .find(|d| d.name == name)
        .and_then(|d| d.fs_uuid)
}

#[test]
fn lvm_volumes_are_found_by_name_and_id() {
    let disk = image("lvm");
    let guest = Guest::open(&disk, None).unwrap();
    let names: Vec<&str> = guest.volumes.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        ["hd0,msdos1", "hd0,msdos2", "lvm/vg0-boot", "lvm/vg0-root"]
    );
    // The file systems the build wrote into them (fixed UUIDs in the build script):
    // boot is linear in two segments, root striped over both PVs.
    assert_eq!(
        uuid_of(&guest, "lvm/vg0-boot").as_deref(),
        Some("1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9")
    );
    assert_eq!(
        uuid_of(&guest, "lvm/vg0-root").as_deref(),
        Some("4c5d6e7f-8091-4a2b-b3c4-d5e6f7081920")
    );
    // grub-mkconfig's `set root='lvmid/VG/LV'` names the same volume.
    let boot = guest
        .volumes
        .iter()
        .find(|v| v.name == "lvm/vg0-boot")
        .unwrap();
    let id = boot.aliases[0].clone();
    assert!(id.starts_with("lvmid/"), "{id}");
    assert_eq!(guest.canonical_device(&id).as_deref(), Some("lvm/vg0-boot"));
    // PVs hold no file system of their own.
    assert!(guest.volumes[0].fs.is_err());
}

#[test]
fn md_raid1_is_read_through_one_member() {
    let disk = image("md");
    let guest = Guest::open(&disk, None).unwrap();
    let md = guest.volumes.iter().find(|v| v.name == "md/boot").unwrap();
    assert_eq!(md.aliases, ["mduuid/5e1f0a027c3d4b6a9e8f7a6b1c2d3e4f"]);
    assert_eq!(
        uuid_of(&guest, "md/boot").as_deref(),
        Some("2b3c4d5e-6f70-4182-93a4-b5c6d7e8f90a")
    );
    // The 1.2 superblock sits at 4 KiB, the data further in: the members themselves
    // show no file system.
    assert!(guest.volumes[0].fs.is_err());
    assert!(guest.volumes[1].fs.is_err());
}

/// The layers the Debian installer and mdadm stack: a PV on a logical partition, a
/// PV on an md RAID1, and /boot on an md RAID1 with superblock 1.0 (at the end, so
/// each member starts with the ext4 itself): members are no volumes of their own.
#[test]
fn pvs_on_logical_partitions_and_md_arrays() {
    let names_and_fs = |name: &str| -> Vec<(String, bool)> {
        let disk = image(name);
        let guest = Guest::open(&disk, None).unwrap();
        guest
            .volumes
            .iter()
            .map(|v| (v.name.clone(), v.fs.is_ok()))
            .collect()
    };
    let expect = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
        v.iter().map(|(n, f)| (n.to_string(), *f)).collect()
    };
    assert_eq!(
        names_and_fs("debian-lvm"),
        expect(&[
            ("hd0,msdos1", true),
            ("hd0,msdos5", false),
            ("lvm/debian--vg-root", true),
            ("lvm/debian--vg-swap_1", false),
        ])
    );
    assert_eq!(
        names_and_fs("md-lvm"),
        expect(&[
            ("hd0,msdos1", false),
            ("hd0,msdos2", false),
            ("hd0,msdos3", false),
            ("hd0,msdos4", false),
            ("md/boot", true),
            ("md/pv", false),
            ("lvm/vgmd-root", true),
        ])
    );
}

/// Byte offset of the current metadata text of the PV starting at `pv` (its first
/// metadata area is at 4 KiB, LVM's default): raw_locn[0] of the area header.
fn metadata_text_at(disk: &Image, pv: u64) -> u64 {
    use xlboot_disk::BlockDevice;
    let mut h = [0u8; 512];
    disk.read_exact_at(pv + 4096, &mut h).unwrap();
    assert_eq!(&h[4..20], b" LVM2 x[5A%r0N*>");
    pv + 4096 + u64::from_le_bytes(h[40..48].try_into().unwrap())
}

const P1: u64 = 2048 * 512;
const P2: u64 = 227_328 * 512;

#[test]
fn a_damaged_metadata_copy_is_outvoted_by_the_other_pvs_copy() {
    let mut disk = image("lvm");
    let text = metadata_text_at(&disk, P1);
    disk.patches.insert(text + 40, 0x01);
    {
        let guest = Guest::open(&disk, None).unwrap();
        assert!(guest
            .volumes
            .iter()
            .any(|v| v.name == "lvm/vg0-root" && v.fs.is_ok()));
    }

    // Both copies damaged: no VG, and the reason is kept.
    let text2 = metadata_text_at(&disk, P2);
    disk.patches.insert(text2 + 40, 0x01);
    let guest = Guest::open(&disk, None).unwrap();
    assert!(!guest.volumes.iter().any(|v| v.name.starts_with("lvm/")));
    assert!(
        guest
            .problems
            .iter()
            .any(|p| p.contains("metadata text checksum")),
        "{:?}",
        guest.problems
    );
}

#[test]
fn a_damaged_label_is_reported() {
    let mut disk = image("lvm");
    // The PV UUID in p1's label sector (sector 1): covered by the label's checksum.
    disk.patches.insert(P1 + 512 + 40, 0x20);
    let guest = Guest::open(&disk, None).unwrap();
    assert!(
        guest.problems.iter().any(|p| p.contains("label checksum")),
        "{:?}",
        guest.problems
    );
    // root is striped over both PVs: without p1 it cannot be read, and says why.
    let root = guest
        .volumes
        .iter()
        .find(|v| v.name == "lvm/vg0-root")
        .unwrap();
    let err = root.fs.as_ref().err().unwrap().to_string();
    assert!(err.contains("none of the disks given"), "{err}");
}

/// The two whole-disk PVs of VG vg1 with one LV of each kind (fixture `lvm-kinds`).
fn lvm_kinds() -> Option<(Image, Image)> {
    let dir = common::fixtures();
    let (a, b) = (dir.join("lvm-kinds-a.img"), dir.join("lvm-kinds-b.img"));
    if !a.is_file() || !b.is_file() {
        assert!(
            std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_none(),
            "no lvm-kinds images in {} (run scripts/fixtures/build)",
            dir.display()
        );
        eprintln!("skipping: no lvm-kinds images (run scripts/fixtures/build)");
        return None;
    }
    Some((Image::open(&a), Image::open(&b)))
}

fn fs_result(guest: &Guest<'_>, name: &str) -> Result<Option<String>, String> {
    let v = guest
        .volumes
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no volume {name}"));
    match &v.fs {
        Ok(fs) => Ok(fs.info().uuid),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_kind_of_lv_is_read_or_refused_by_name() {
    let Some((a, b)) = lvm_kinds() else { return };
    let guest = Guest::open(&a, None).unwrap();
    assert_eq!(
        fs_result(&guest, "lvm/vg1-plain").unwrap().as_deref(),
        Some("0b1c2d3e-4f50-4617-8293-a4b5c6d7e801")
    );
    let expect_err = |name: &str, words: &[&str]| {
        let e = fs_result(&guest, name).unwrap_err();
        for w in words {
            assert!(e.contains(w), "{name}: {e}");
        }
    };
    // Only disk a given: span's second segment is on disk b.
    expect_err(
        "lvm/vg1-span",
        &["(lvm/vg1-span)", "none of the disks given", "--disk"],
    );
    // lvm2 writes a snapshot as a visible LV "snapshot0" of segment type snapshot
    // (origin plain, changes in the hidden LV snap), and GRUB names it so.
    expect_err("lvm/vg1-snapshot0", &["(lvm/vg1-snapshot0)", "snapshot"]);
    assert!(!guest.volumes.iter().any(|v| v.name == "lvm/vg1-snap"));
    expect_err("lvm/vg1-pool", &["(lvm/vg1-pool)", "thin-pool"]);
    expect_err("lvm/vg1-thin", &["(lvm/vg1-thin)", "thin volume"]);
    expect_err("lvm/vg1-mirror", &["(lvm/vg1-mirror)", "raid1"]);
    // Hidden LVs (the pool's data and metadata, the mirror's images) are no volumes.
    assert!(!guest
        .volumes
        .iter()
        .any(|v| v.name.contains("rimage") || v.name.contains("tdata")));

    // Both disks: the VG is whole and span reads (hd0 and hd1 are the PVs).
    let guest = Guest::open_disks(&[&a, &b], None).unwrap();
    assert_eq!(
        fs_result(&guest, "lvm/vg1-span").unwrap().as_deref(),
        Some("0b1c2d3e-4f50-4617-8293-a4b5c6d7e802")
    );
    assert!(guest.volumes.iter().any(|v| v.name == "hd1"));
}

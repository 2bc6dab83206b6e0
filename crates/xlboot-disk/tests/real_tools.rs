//! Partition tables written by the real tools (sfdisk, sgdisk, fdisk), read back with
//! exact offsets, lengths and GRUB numbers.

mod common;

use common::*;
use xlboot_disk::{discover, scan, Corrupt, DiskError, GptCopy, Guid, PartType, Scheme, Volume};

const MIB: u64 = 1 << 20;

/// Our volumes against `sfdisk -d`: the same numbers, starts and lengths, in the same
/// order (extended partitions left out of the oracle's list: they are containers, not
/// volumes).
fn check_against_sfdisk(img: &Scratch, vols: &[Volume], sector: u64) {
    if !have("sfdisk") {
        return;
    }
    let theirs: Vec<(u32, u64, u64)> = sfdisk_dump(img)
        .into_iter()
        .filter(|(_, _, _, ty)| !matches!(ty.as_str(), "5" | "f" | "85"))
        .map(|(n, start, size, _)| (n, start * sector, size * sector))
        .collect();
    let ours: Vec<(u32, u64, u64)> = vols
        .iter()
        .map(|v| (v.number.unwrap(), v.start, v.len))
        .collect();
    assert_eq!(ours, theirs);
    // PARTUUIDs as libblkid makes them (GPT unique GUIDs, MBR `signature-NN`).
    if have("partx") {
        let theirs: Vec<(u32, String)> = partx_uuids(img)
            .into_iter()
            .filter(|(n, _)| vols.iter().any(|v| v.number == Some(*n)))
            .collect();
        let ours: Vec<(u32, String)> = vols
            .iter()
            .map(|v| (v.number.unwrap(), v.part_uuid().unwrap_or_default()))
            .collect();
        assert_eq!(ours, theirs);
    }
}

fn mbr_volume(number: u32, start_lba: u64, sectors: u64, ty: u8, bootable: bool) -> Volume {
    Volume {
        number: Some(number),
        scheme: Scheme::Mbr,
        start: start_lba * 512,
        len: sectors * 512,
        part_type: PartType::Mbr(ty),
        name: String::new(),
        bootable,
        unique_guid: None,
        disk_signature: Some(SFDISK_LABEL_ID),
    }
}

#[test]
fn mbr_one_primary() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbr1", 64 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\nstart=2048, size=129024, type=83\n",
    );
    let dev = FileDev::open(&img.0);
    let vols = discover(&dev).unwrap();
    assert_eq!(vols, vec![mbr_volume(1, 2048, 129024, 0x83, false)]);
    assert_eq!(vols[0].grub_name(), "hd0,msdos1");
    assert_eq!(vols[0].legacy_grub_name(), "hd0,0");
    let w = vols[0].window(&dev).unwrap();
    assert_eq!(w.start(), 2048 * 512);
}

#[test]
fn mbr_two_primaries_second_bootable() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbr2", 64 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\n\
         start=2048, size=8192, type=82\n\
         start=10240, size=20480, type=83, bootable\n",
    );
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Mbr);
    assert_eq!(table.problems().count(), 0);
    // Table order, not active-first: pygrub (Python 3) never reorders.
    let vols: Vec<_> = table.volumes().cloned().collect();
    assert_eq!(
        vols,
        vec![
            mbr_volume(1, 2048, 8192, 0x82, false),
            mbr_volume(2, 10240, 20480, 0x83, true)
        ]
    );
    assert_eq!(vols[1].grub_name(), "hd0,msdos2");
    assert_eq!(vols[1].legacy_grub_name(), "hd0,1");
    check_against_sfdisk(&img, &vols, 512);
}

#[test]
fn mbr_four_primaries_with_swap_and_extended() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbr4", 64 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\n\
         start=2048, size=20480, type=83, bootable\n\
         start=22528, size=8192, type=82\n\
         start=30720, size=20480, type=5\n\
         start=51200, size=79872, type=83\n",
    );
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Mbr);
    let vols: Vec<_> = table.volumes().cloned().collect();
    assert_eq!(
        vols,
        vec![
            mbr_volume(1, 2048, 20480, 0x83, true),
            mbr_volume(2, 22528, 8192, 0x82, false),
            mbr_volume(4, 51200, 79872, 0x83, false),
        ]
    );
    // The extended partition is not a volume, and sfdisk wrote an empty EBR into it:
    // no logical partitions, no problems.
    assert_eq!(table.problems().count(), 0);
    assert_eq!(discover(&dev).unwrap(), vols);
    check_against_sfdisk(&img, &vols, 512);
    assert_eq!(vols[2].grub_name(), "hd0,msdos4");
    assert_eq!(vols[2].legacy_grub_name(), "hd0,3");
}

#[test]
fn mbr_logical_partition_only() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbrext", 64 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\n\
         start=2048, size=129024, type=5\n\
         start=4096, size=20480, type=83\n",
    );
    let dev = FileDev::open(&img.0);
    let vols = discover(&dev).unwrap();
    assert_eq!(vols, vec![mbr_volume(5, 4096, 20480, 0x83, false)]);
    assert_eq!(vols[0].grub_name(), "hd0,msdos5");
    assert_eq!(vols[0].legacy_grub_name(), "hd0,4");
    check_against_sfdisk(&img, &vols, 512);
}

/// `sfdisk -J`'s partitions: (node number, start, size, type), a second oracle in
/// another format.
fn sfdisk_json(img: &Scratch) -> Vec<(u32, u64, u64, String)> {
    let out = std::process::Command::new("sfdisk")
        .arg("-J")
        .arg(&img.0)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // One object per partition, its fields on their own lines: no JSON crate needed.
    let mut parts = Vec::new();
    let mut cur: (Option<u32>, Option<u64>, Option<u64>) = (None, None, None);
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        let Some((k, v)) = line.split_once(": ") else {
            continue;
        };
        let v = v.trim_matches('"');
        match k.trim_matches('"') {
            "node" => {
                let digits = v.len() - v.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                cur.0 = Some(v[v.len() - digits..].parse().unwrap());
            }
            "start" => cur.1 = Some(v.parse().unwrap()),
            "size" => cur.2 = Some(v.parse().unwrap()),
            "type" => {
                if let (Some(n), Some(start), Some(size)) = cur {
                    parts.push((n, start, size, v.to_string()));
                }
                cur = (None, None, None);
            }
            _ => {}
        }
    }
    parts
}

/// Swap, an extended partition, three logical partitions with a gap between the
/// second and the third, and a primary after the extended one.
#[test]
fn mbr_logical_partitions_after_primaries() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbrlogical", 128 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\n\
         start=2048, size=8192, type=82\n\
         start=10240, size=120000, type=5\n\
         start=200000, size=40000, type=83, bootable\n\
         start=12288, size=20480, type=83\n\
         start=34816, size=4096, type=b\n\
         start=60000, size=5000, type=83\n",
    );
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Mbr);
    assert_eq!(table.problems().count(), 0, "{:?}", table.entries);
    let vols: Vec<_> = table.volumes().cloned().collect();
    assert_eq!(
        vols,
        vec![
            mbr_volume(1, 2048, 8192, 0x82, false),
            mbr_volume(3, 200000, 40000, 0x83, true),
            mbr_volume(5, 12288, 20480, 0x83, false),
            mbr_volume(6, 34816, 4096, 0x0b, false),
            mbr_volume(7, 60000, 5000, 0x83, false),
        ]
    );
    let names: Vec<_> = vols.iter().map(Volume::grub_name).collect();
    assert_eq!(
        names,
        [
            "hd0,msdos1",
            "hd0,msdos3",
            "hd0,msdos5",
            "hd0,msdos6",
            "hd0,msdos7"
        ]
    );
    let legacy: Vec<_> = vols.iter().map(Volume::legacy_grub_name).collect();
    assert_eq!(legacy, ["hd0,0", "hd0,2", "hd0,4", "hd0,5", "hd0,6"]);
    assert_eq!(discover(&dev).unwrap(), vols);
    check_against_sfdisk(&img, &vols, 512);
    // And against sfdisk -J.
    let json: Vec<(u32, u64, u64)> = sfdisk_json(&img)
        .into_iter()
        .filter(|(_, _, _, ty)| ty != "5")
        .map(|(n, start, size, _)| (n, start * 512, size * 512))
        .collect();
    let ours: Vec<_> = vols
        .iter()
        .map(|v| (v.number.unwrap(), v.start, v.len))
        .collect();
    assert_eq!(ours, json);
    for v in &vols {
        v.window(&dev).unwrap();
    }
}

/// Chain order, not disk order: sfdisk puts `msdos5` at the far end of the extended
/// partition and `msdos6` near its start, and links EBR 1 to an EBR right after it.
#[test]
fn mbr_logical_partitions_in_chain_order() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbrorder", 64 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\n\
         start=2048, size=120000, type=f\n\
         start=60000, size=10240, type=83\n\
         start=4096, size=20480, type=83\n",
    );
    let dev = FileDev::open(&img.0);
    let vols = discover(&dev).unwrap();
    assert_eq!(
        vols,
        vec![
            mbr_volume(5, 60000, 10240, 0x83, false),
            mbr_volume(6, 4096, 20480, 0x83, false),
        ]
    );
    check_against_sfdisk(&img, &vols, 512);
}

/// As many logical partitions as sfdisk makes (it stops at partition 60): all read.
#[test]
fn mbr_many_logical_partitions() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbr60", 256 * MIB);
    let mut script = String::from("label: dos\nunit: sectors\nstart=2048, size=520000, type=5\n");
    for i in 0..56u64 {
        script.push_str(&format!("start={}, size=1024, type=83\n", 4096 + i * 4096));
    }
    sfdisk(&img, &script);
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.problems().count(), 0);
    let vols: Vec<_> = table.volumes().cloned().collect();
    assert_eq!(vols.len(), 56);
    assert_eq!(vols[55].grub_name(), "hd0,msdos60");
    assert_eq!(vols[55].start, (4096 + 55 * 4096) * 512);
    check_against_sfdisk(&img, &vols, 512);
}

#[test]
fn mbr_label_without_partitions_is_whole_disk() {
    if !have("sfdisk") {
        return;
    }
    let img = image("mbr0", 8 * MIB);
    sfdisk(&img, "label: dos\n");
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Whole);
    assert_eq!(discover(&dev).unwrap(), vec![Volume::whole(8 * MIB)]);
}

#[test]
fn no_partition_table_is_whole_disk() {
    let img = image("none", 8 * MIB);
    let dev = FileDev::open(&img.0);
    let vols = discover(&dev).unwrap();
    assert_eq!(vols, vec![Volume::whole(8 * MIB)]);
    assert_eq!(vols[0].grub_name(), "hd0");
    assert_eq!(vols[0].legacy_grub_name(), "hd0");
    assert_eq!(vols[0].number, None);
}

#[test]
fn whole_disk_ext4_is_whole_disk() {
    if !have("mkfs.ext4") {
        return;
    }
    let img = image("ext4", 8 * MIB);
    run("mkfs.ext4", &["-q", "-F", path(&img)], "");
    let dev = FileDev::open(&img.0);
    assert_eq!(discover(&dev).unwrap(), vec![Volume::whole(8 * MIB)]);
}

/// The GPT test disk: BIOS boot, Linux root, slot 3 unused, Linux swap.
fn sgdisk_disk(tag: &str) -> Scratch {
    let img = image(tag, 64 * MIB);
    sgdisk(
        &img,
        &[
            "-o",
            "-n",
            "1:2048:4095",
            "-t",
            "1:ef02",
            "-c",
            "1:bios",
            "-n",
            "2:4096:69631",
            "-t",
            "2:8300",
            "-c",
            "2:root",
            "-u",
            "2:6B3C9C0A-2D5E-4F4B-9A41-3C1E2B7F0A11",
            "-n",
            "4:69632:100000",
            "-t",
            "4:8200",
            "-c",
            "4:swap ünïcødé",
        ],
    );
    img
}

fn check_sgdisk_volumes(vols: &[Volume]) {
    let numbers: Vec<_> = vols.iter().map(|v| v.number).collect();
    assert_eq!(numbers, vec![Some(1), Some(2), Some(4)]);
    assert_eq!((vols[0].start, vols[0].len), (2048 * 512, 2048 * 512));
    assert_eq!((vols[1].start, vols[1].len), (4096 * 512, 65536 * 512));
    assert_eq!(
        (vols[2].start, vols[2].len),
        (69632 * 512, (100000 - 69632 + 1) * 512)
    );
    assert_eq!(vols[0].part_type, PartType::Gpt(Guid::BIOS_BOOT));
    assert_eq!(vols[1].part_type, PartType::Gpt(Guid::LINUX_FS));
    assert_eq!(vols[2].part_type, PartType::Gpt(Guid::LINUX_SWAP));
    assert_eq!(vols[0].name, "bios");
    assert_eq!(vols[1].name, "root");
    assert_eq!(vols[2].name, "swap ünïcødé");
    assert_eq!(
        vols[1].unique_guid.unwrap().to_string(),
        "6B3C9C0A-2D5E-4F4B-9A41-3C1E2B7F0A11"
    );
    assert!(vols.iter().all(|v| v.scheme == Scheme::Gpt && !v.bootable));
    assert_eq!(vols[1].grub_name(), "hd0,gpt2");
    assert_eq!(vols[2].grub_name(), "hd0,gpt4");
    assert_eq!(vols[2].legacy_grub_name(), "hd0,3");
}

#[test]
fn gpt_bios_boot_and_data() {
    if !have("sgdisk") {
        return;
    }
    let img = sgdisk_disk("gpt");
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Gpt);
    assert_eq!(table.sector_size, 512);
    let gpt = table.gpt.as_ref().unwrap();
    assert_eq!(gpt.copy, GptCopy::Primary);
    assert_eq!(gpt.primary_error, None);
    assert_eq!(gpt.header.my_lba, 1);
    assert_eq!(gpt.header.alternate_lba, 64 * MIB / 512 - 1);
    assert_eq!(gpt.header.first_usable_lba, 34);
    assert_eq!(gpt.header.last_usable_lba, 64 * MIB / 512 - 34);
    assert_eq!(gpt.header.entry_count, 128);
    assert_eq!(gpt.header.entry_size, 128);
    assert_eq!(table.problems().count(), 0);
    let vols = discover(&dev).unwrap();
    check_sgdisk_volumes(&vols);
    check_against_sfdisk(&img, &vols, 512);
    for v in &vols {
        v.window(&dev).unwrap();
    }
}

#[test]
fn gpt_primary_header_corrupt_uses_backup() {
    if !have("sgdisk") {
        return;
    }
    let img = sgdisk_disk("gpthdr");
    let mut bytes = read(&img);
    bytes[512 + hdr::FIRST_USABLE] ^= 0x01; // one bit, header CRC now wrong
    write(&img, &bytes);
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    let gpt = table.gpt.as_ref().unwrap();
    assert_eq!(gpt.copy, GptCopy::Backup);
    assert_eq!(gpt.header.my_lba, 64 * MIB / 512 - 1);
    assert!(matches!(
        gpt.primary_error,
        Some(DiskError::Corrupt(Corrupt::GptHeaderCrc { at: 512, .. }))
    ));
    check_sgdisk_volumes(&table.volumes().cloned().collect::<Vec<_>>());
}

#[test]
fn gpt_primary_signature_wiped_uses_backup() {
    if !have("sgdisk") {
        return;
    }
    let img = sgdisk_disk("gptsig");
    let mut bytes = read(&img);
    bytes[512..1024].fill(0);
    write(&img, &bytes);
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    let gpt = table.gpt.as_ref().unwrap();
    assert_eq!(gpt.copy, GptCopy::Backup);
    assert_eq!(
        gpt.primary_error,
        Some(DiskError::Corrupt(Corrupt::GptSignature { at: 512 }))
    );
    check_sgdisk_volumes(&discover(&dev).unwrap());
}

#[test]
fn gpt_primary_entry_array_corrupt_uses_backup() {
    if !have("sgdisk") {
        return;
    }
    let img = sgdisk_disk("gptarr");
    let mut bytes = read(&img);
    bytes[1024 + 128 + 56] = b'X'; // entry 2's name: array CRC now wrong
    write(&img, &bytes);
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    let gpt = table.gpt.as_ref().unwrap();
    assert_eq!(gpt.copy, GptCopy::Backup);
    assert!(matches!(
        gpt.primary_error,
        Some(DiskError::Corrupt(Corrupt::GptEntryArrayCrc {
            at: 512,
            ..
        }))
    ));
    check_sgdisk_volumes(&table.volumes().cloned().collect::<Vec<_>>());
}

#[test]
fn gpt_both_copies_corrupt_is_an_error() {
    if !have("sgdisk") {
        return;
    }
    let img = sgdisk_disk("gptboth");
    let mut bytes = read(&img);
    bytes[1024 + 56] ^= 0xFF; // primary array
    let backup = backup_at(&bytes, 512);
    bytes[backup + hdr::LAST_USABLE] ^= 0x01; // backup header
    write(&img, &bytes);
    let dev = FileDev::open(&img.0);
    let err = discover(&dev).unwrap_err();
    assert!(err.is_corrupt());
    match &err {
        DiskError::Corrupt(Corrupt::NoValidGpt { primary, backup }) => {
            assert!(matches!(
                **primary,
                DiskError::Corrupt(Corrupt::GptEntryArrayCrc { .. })
            ));
            assert!(matches!(
                **backup,
                DiskError::Corrupt(Corrupt::GptHeaderCrc { .. })
            ));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("primary") && msg.contains("backup"), "{msg}");
}

#[test]
fn gpt_truncated_image_partition_past_end() {
    if !have("sgdisk") {
        return;
    }
    // A 64 MiB disk cut to 40 MiB: the primary is intact, the backup is gone, the
    // root partition still fits and the swap partition runs past the end: it is cut
    // there, as Linux, GRUB and pygrub read it.
    let img = sgdisk_disk("gpttrunc");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&img.0)
        .unwrap()
        .set_len(40 * MIB)
        .unwrap();
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.gpt.as_ref().unwrap().copy, GptCopy::Primary);
    let numbers: Vec<_> = table.volumes().map(|v| v.number.unwrap()).collect();
    assert_eq!(numbers, vec![1, 2, 4]);
    assert_eq!(table.problems().count(), 0);
    let swap = table.volumes().nth(2).unwrap();
    assert_eq!(
        (swap.start, swap.len),
        (69632 * 512, 40 * MIB - 69632 * 512)
    );
    // Cut further, inside the root partition: swap now starts past the end and holds
    // nothing; it is a problem in slot 4's place, after 1 and 2.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&img.0)
        .unwrap()
        .set_len(30 * MIB)
        .unwrap();
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    let numbers: Vec<_> = table.volumes().map(|v| v.number.unwrap()).collect();
    assert_eq!(numbers, vec![1, 2]);
    let problems: Vec<_> = table.problems().collect();
    assert_eq!(problems.len(), 1);
    assert!(
        matches!(
            problems[0],
            DiskError::Corrupt(Corrupt::Partition {
                number: 4,
                scheme: Scheme::Gpt,
                ..
            })
        ),
        "{:?}",
        problems[0]
    );
    assert!(problems[0].to_string().contains("gpt4"), "{}", problems[0]);
    assert!(table.entries[2].is_err());
}

#[test]
fn gpt_4k_sectors_from_fdisk() {
    if !have("fdisk") {
        return;
    }
    let img = image("gpt4k", 64 * MIB);
    // fdisk can write a 4 KiB-sector label onto a plain file; sgdisk and sfdisk cannot.
    run(
        "fdisk",
        &["-b", "4096", path(&img)],
        "g\nn\n1\n256\n511\nt\n4\nn\n2\n512\n8703\nw\n",
    );
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Gpt);
    assert_eq!(table.sector_size, 4096);
    assert_eq!(table.gpt.as_ref().unwrap().copy, GptCopy::Primary);
    let vols: Vec<_> = table.volumes().cloned().collect();
    assert_eq!(vols.len(), 2);
    assert_eq!((vols[0].start, vols[0].len), (256 * 4096, 256 * 4096));
    assert_eq!((vols[1].start, vols[1].len), (512 * 4096, 8192 * 4096));
    assert_eq!(vols[0].part_type, PartType::Gpt(Guid::BIOS_BOOT));
    assert_eq!(vols[1].part_type, PartType::Gpt(Guid::LINUX_FS));
    assert_eq!(vols[1].grub_name(), "hd0,gpt2");

    // And with the primary damaged, the 4 KiB backup at the last LBA is found.
    let mut bytes = read(&img);
    bytes[4096..8192].fill(0);
    write(&img, &bytes);
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.sector_size, 4096);
    let gpt = table.gpt.as_ref().unwrap();
    assert_eq!(gpt.copy, GptCopy::Backup);
    assert_eq!(gpt.header.my_lba, 64 * MIB / 4096 - 1);
    assert_eq!(table.volumes().cloned().collect::<Vec<_>>(), vols);
}

#[test]
fn gpt_hybrid_mbr_reads_the_gpt() {
    if !have("sgdisk") {
        return;
    }
    // A hybrid MBR (GPT partition 2 also in the MBR, plus the 0xEE entry): the GPT
    // is what counts, as for GRUB and Linux.
    let img = sgdisk_disk("gpthybrid");
    sgdisk(&img, &["-h", "2"]);
    let bytes = read(&img);
    assert!(bytes[446..510].chunks(16).any(|e| e[4] == 0xEE));
    assert!(bytes[446..510].chunks(16).any(|e| e[4] == 0x83));
    let dev = FileDev::open(&img.0);
    let table = scan(&dev).unwrap();
    assert_eq!(table.scheme, Scheme::Gpt);
    check_sgdisk_volumes(&table.volumes().cloned().collect::<Vec<_>>());
}

#[test]
fn gpt_written_by_sfdisk() {
    if !have("sfdisk") {
        return;
    }
    let img = image("sfgpt", 32 * MIB);
    sfdisk(
        &img,
        "label: gpt\nunit: sectors\n\
         start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name=\"BIOS boot\"\n\
         start=4096, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=EFI\n\
         start=20480, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n",
    );
    let dev = FileDev::open(&img.0);
    let vols = discover(&dev).unwrap();
    let types: Vec<_> = vols.iter().map(|v| v.part_type).collect();
    assert_eq!(
        types,
        vec![
            PartType::Gpt(Guid::BIOS_BOOT),
            PartType::Gpt(Guid::EFI_SYSTEM),
            PartType::Gpt(Guid::LINUX_FS)
        ]
    );
    assert_eq!(vols[0].name, "BIOS boot");
    check_against_sfdisk(&img, &vols, 512);
}

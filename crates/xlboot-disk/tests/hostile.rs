//! Hand-damaged tables: every one must give a clean error (for the table or for one
//! partition), never a panic, and never a volume outside the disk.

mod common;

use common::*;
use xlboot_disk::{
    discover, scan, Corrupt, DiskError, GptCopy, PartitionProblem, Scheme, Unsupported,
};

const MIB: u64 = 1 << 20;
const SS: usize = 512;

/// A 4 MiB sgdisk disk in memory: 1 = 2048..=4095, 2 = 4096..=6143.
fn base_gpt() -> Option<Vec<u8>> {
    if !have("sgdisk") {
        return None;
    }
    let img = image("hostile", 4 * MIB);
    sgdisk(
        &img,
        &[
            "-o",
            "-n",
            "1:2048:4095",
            "-t",
            "1:ef02",
            "-n",
            "2:4096:6143",
            "-t",
            "2:8300",
        ],
    );
    Some(read(&img))
}

/// A 4 MiB sfdisk disk in memory: 1 = 2048+2048 (0x83), 2 = 4096+2048 (0x82).
fn base_mbr() -> Option<Vec<u8>> {
    if !have("sfdisk") {
        return None;
    }
    let img = image("hostilembr", 4 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\nstart=2048, size=2048, type=83\nstart=4096, size=2048, type=82\n",
    );
    Some(read(&img))
}

/// Volumes must lie inside the disk, whatever else happened.
fn check_sane(img: &[u8]) -> Result<xlboot_disk::PartitionTable, DiskError> {
    let table = scan(img)?;
    for v in table.volumes() {
        assert!(
            v.start.checked_add(v.len).unwrap() <= img.len() as u64,
            "{v:?}"
        );
        v.window(img).unwrap();
        let _ = (v.grub_name(), v.legacy_grub_name());
    }
    for p in table.problems() {
        let _ = p.to_string();
    }
    Ok(table)
}

/// Both copies patched the same way: the primary's error surfaces inside NoValidGpt.
fn both_fail(img: &[u8]) -> DiskError {
    let err = check_sane(img).unwrap_err();
    let _ = err.to_string();
    match err {
        DiskError::Corrupt(Corrupt::NoValidGpt { primary, .. }) => *primary,
        other => panic!("expected NoValidGpt, got {other:?}"),
    }
}

fn partition_problem(err: &DiskError) -> (u32, PartitionProblem) {
    match err {
        DiskError::Corrupt(Corrupt::Partition {
            number, problem, ..
        }) => (*number, problem.clone()),
        other => panic!("expected a partition problem, got {other:?}"),
    }
}

#[test]
fn gpt_header_size_zero_and_too_big() {
    let Some(mut img) = base_gpt() else { return };
    for size in [0u32, 91, 513, u32::MAX] {
        patch_both(&mut img, SS, |b, at| {
            put_u32(b, at + hdr::HEADER_SIZE, size)
        });
        let err = both_fail(&img);
        assert!(
            matches!(err, DiskError::Corrupt(Corrupt::GptHeaderSize { size: s, .. }) if s == size),
            "{size}: {err:?}"
        );
    }
}

#[test]
fn gpt_header_crc_mismatch_falls_back() {
    let Some(mut img) = base_gpt() else { return };
    img[512 + hdr::HEADER_CRC] ^= 0x80;
    let table = check_sane(&img).unwrap();
    let gpt = table.gpt.unwrap();
    assert_eq!(gpt.copy, GptCopy::Backup);
    match gpt.primary_error {
        Some(DiskError::Corrupt(Corrupt::GptHeaderCrc {
            at: 512,
            stored,
            computed,
        })) => {
            assert_eq!(stored ^ 0x80, computed)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gpt_huge_entry_count() {
    let Some(mut img) = base_gpt() else { return };
    for count in [1025u32, 0x0100_0000, u32::MAX] {
        patch_both(&mut img, SS, |b, at| {
            put_u32(b, at + hdr::ENTRY_COUNT, count)
        });
        let err = both_fail(&img);
        assert!(err.is_unsupported(), "{err:?}");
        assert!(matches!(
            err,
            DiskError::Unsupported(Unsupported::GptEntryCount { .. })
        ));
    }
}

#[test]
fn gpt_huge_entry_size() {
    let Some(mut img) = base_gpt() else { return };
    // 128 entries of 16 KiB = 2 MiB, over the 1 MiB cap.
    for size in [16384u32, 0x8000_0000, !7u32] {
        patch_both(&mut img, SS, |b, at| put_u32(b, at + hdr::ENTRY_SIZE, size));
        let err = both_fail(&img);
        assert!(
            matches!(
                err,
                DiskError::Unsupported(Unsupported::GptEntryArraySize { .. })
            ),
            "{size}: {err:?}"
        );
    }
}

#[test]
fn gpt_entry_size_not_multiple_of_8_or_too_small() {
    let Some(mut img) = base_gpt() else { return };
    for size in [0u32, 8, 64, 127, 130, 129, 255] {
        patch_both(&mut img, SS, |b, at| put_u32(b, at + hdr::ENTRY_SIZE, size));
        let err = both_fail(&img);
        assert!(
            matches!(err, DiskError::Corrupt(Corrupt::GptEntrySize { size: s, .. }) if s == size),
            "{size}: {err:?}"
        );
    }
}

#[test]
fn gpt_entry_array_in_bad_places() {
    let Some(mut img) = base_gpt() else { return };
    let last = (img.len() / SS - 1) as u64;
    for lba in [0u64, 1, 100, last - 1, last, u64::MAX / 512, u64::MAX] {
        patch_both(&mut img, SS, |b, at| put_u64(b, at + hdr::ENTRY_LBA, lba));
        let err = both_fail(&img);
        assert!(
            matches!(
                err,
                DiskError::Corrupt(Corrupt::GptEntryArrayLocation { .. })
            ),
            "{lba}: {err:?}"
        );
    }
}

#[test]
fn gpt_my_lba_wrong() {
    let Some(mut img) = base_gpt() else { return };
    patch_both(&mut img, SS, |b, at| put_u64(b, at + hdr::MY_LBA, 7));
    let err = both_fail(&img);
    assert!(matches!(
        err,
        DiskError::Corrupt(Corrupt::GptMyLba {
            expected: 1,
            found: 7,
            ..
        })
    ));
}

#[test]
fn gpt_usable_range_impossible() {
    let Some(mut img) = base_gpt() else { return };
    // Empty, over the MBR, over the primary header, over the backup header (its own
    // LBA for the backup copy, its alternate for the primary).
    for (first, last) in [
        (100u64, 99u64),
        (0, 8000),
        (1, 8000),
        (34, 8191),
        (34, u64::MAX),
    ] {
        patch_both(&mut img, SS, |b, at| {
            put_u64(b, at + hdr::FIRST_USABLE, first);
            put_u64(b, at + hdr::LAST_USABLE, last);
        });
        let err = both_fail(&img);
        assert!(
            matches!(err, DiskError::Corrupt(Corrupt::GptUsableRange { .. })),
            "{first}..{last}: {err:?}"
        );
    }
}

#[test]
fn gpt_revision_2_is_unsupported() {
    let Some(mut img) = base_gpt() else { return };
    patch_both(&mut img, SS, |b, at| {
        put_u32(b, at + hdr::REVISION, 0x0002_0000)
    });
    let err = both_fail(&img);
    assert!(matches!(
        err,
        DiskError::Unsupported(Unsupported::GptRevision { .. })
    ));
}

#[test]
fn gpt_zero_entries_is_whole_disk() {
    let Some(mut img) = base_gpt() else { return };
    patch_both(&mut img, SS, |b, at| put_u32(b, at + hdr::ENTRY_COUNT, 0));
    let table = check_sane(&img).unwrap();
    assert_eq!(table.scheme, Scheme::Whole);
}

/// Patches entry `index` in both arrays.
fn patch_entry(img: &mut Vec<u8>, index: usize, f: impl Fn(&mut [u8])) {
    patch_both(img, SS, |b, at| {
        let e = entry_at(b, at, SS, index);
        f(&mut b[e..e + 128]);
    });
}

#[test]
fn gpt_partition_start_lba_zero() {
    let Some(mut img) = base_gpt() else { return };
    patch_entry(&mut img, 1, |e| put_u64(e, 32, 0));
    let table = check_sane(&img).unwrap();
    assert_eq!(
        table
            .volumes()
            .map(|v| v.number.unwrap())
            .collect::<Vec<_>>(),
        vec![1]
    );
    let p: Vec<_> = table.problems().collect();
    assert_eq!(partition_problem(p[0]), (2, PartitionProblem::StartsAtZero));
    // discover still gives the good partition.
    assert_eq!(discover(img.as_slice()).unwrap().len(), 1);
}

#[test]
fn gpt_partition_over_header_area() {
    let Some(mut img) = base_gpt() else { return };
    patch_entry(&mut img, 0, |e| put_u64(e, 32, 2)); // over the primary entry array
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert!(matches!(
        partition_problem(p[0]),
        (1, PartitionProblem::OutsideUsable { .. })
    ));
    assert_eq!(
        table
            .volumes()
            .map(|v| v.number.unwrap())
            .collect::<Vec<_>>(),
        vec![2]
    );
}

#[test]
fn gpt_partition_past_end_of_disk() {
    let Some(mut img) = base_gpt() else { return };
    let sectors = (img.len() / SS) as u64;
    // The header claims a usable area past the disk (and puts its backup further
    // still), and partition 2 uses it. Only the primary can be valid like that.
    patch_both(&mut img, SS, |b, at| {
        put_u64(b, at + hdr::LAST_USABLE, u64::MAX / 2);
        put_u64(b, at + hdr::ALTERNATE_LBA, u64::MAX);
    });
    patch_entry(&mut img, 1, |e| put_u64(e, 40, sectors + 100));
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert!(matches!(
        partition_problem(p[0]),
        (2, PartitionProblem::PastEnd { .. })
    ));
    assert!(p[0].to_string().contains("past the end"), "{}", p[0]);
    // Byte range overflows 64 bits.
    patch_entry(&mut img, 1, |e| put_u64(e, 40, u64::MAX / 4));
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert!(matches!(
        partition_problem(p[0]),
        (2, PartitionProblem::Overflow)
    ));
}

#[test]
fn gpt_partition_last_before_first() {
    let Some(mut img) = base_gpt() else { return };
    patch_entry(&mut img, 0, |e| put_u64(e, 40, 2000));
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        partition_problem(p[0]),
        (
            1,
            PartitionProblem::LastBeforeFirst {
                first: 2048,
                last: 2000
            }
        )
    );
}

#[test]
fn gpt_partitions_overlap() {
    let Some(mut img) = base_gpt() else { return };
    patch_entry(&mut img, 1, |e| put_u64(e, 32, 4000));
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        partition_problem(p[0]),
        (2, PartitionProblem::Overlaps { other: 1 })
    );
}

#[test]
fn gpt_odd_sector_size_is_unsupported() {
    // Protective MBR, and a header at byte 2048 only.
    let mut img = vec![0u8; 64 * 1024];
    img[446 + 4] = 0xEE;
    put_u32(&mut img, 446 + 8, 1);
    put_u32(&mut img, 446 + 12, 31);
    img[510] = 0x55;
    img[511] = 0xAA;
    img[2048..2056].copy_from_slice(b"EFI PART");
    let err = scan(img.as_slice()).unwrap_err();
    assert_eq!(err, DiskError::Unsupported(Unsupported::SectorSize(2048)));
    // No header anywhere.
    img[2048..2056].fill(0);
    let err = scan(img.as_slice()).unwrap_err();
    assert!(
        matches!(err, DiskError::Corrupt(Corrupt::NoValidGpt { .. })),
        "{err:?}"
    );
}

#[test]
fn tiny_devices() {
    for len in [0usize, 1, 511, 512, 513, 1024, 4096] {
        let mut img = vec![0u8; len];
        let table = check_sane(&img).unwrap();
        assert_eq!(table.scheme, Scheme::Whole);
        if len >= 512 {
            // A protective MBR with nothing behind it.
            img[446 + 4] = 0xEE;
            put_u32(&mut img, 446 + 8, 1);
            put_u32(&mut img, 446 + 12, u32::MAX);
            img[510] = 0x55;
            img[511] = 0xAA;
            assert!(check_sane(&img).unwrap_err().is_corrupt());
            // An MBR partition bigger than the device.
            img[446 + 4] = 0x83;
            let table = check_sane(&img).unwrap();
            let p: Vec<_> = table.problems().collect();
            assert!(matches!(
                partition_problem(p[0]),
                (1, PartitionProblem::PastEnd { .. })
            ));
            assert!(discover(img.as_slice()).unwrap_err().is_corrupt());
        }
    }
}

#[test]
fn mbr_boot_sector_is_not_a_table() {
    // A FAT-like boot sector: signature present, but "entries" that are boot code.
    let mut img = vec![0u8; MIB as usize];
    for (i, b) in img[446..510].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    img[510] = 0x55;
    img[511] = 0xAA;
    let table = check_sane(&img).unwrap();
    assert_eq!(table.scheme, Scheme::Whole);
}

#[test]
fn mbr_partition_start_zero_and_past_end() {
    let Some(mut img) = base_mbr() else { return };
    put_u32(&mut img, 446 + 8, 0); // partition 1 starts at 0
    put_u32(&mut img, 462 + 12, u32::MAX); // partition 2 runs past the end
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert_eq!(partition_problem(p[0]), (1, PartitionProblem::StartsAtZero));
    assert!(matches!(
        partition_problem(p[1]),
        (2, PartitionProblem::PastEnd { .. })
    ));
    assert!(p[1].to_string().contains("msdos2"), "{}", p[1]);
    assert!(discover(img.as_slice()).is_err());
}

#[test]
fn mbr_overlapping_primaries() {
    let Some(mut img) = base_mbr() else { return };
    put_u32(&mut img, 462 + 8, 3000);
    let table = check_sane(&img).unwrap();
    assert_eq!(table.volumes().count(), 1);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        partition_problem(p[0]),
        (2, PartitionProblem::Overlaps { other: 1 })
    );
}

/// Random damage to a real sgdisk image, at the places that matter (MBR, both headers,
/// both arrays), half the time with the checksums repaired so that the checks behind
/// them are reached too. Deterministic: the seed is fixed.
#[test]
fn random_corruption_never_panics() {
    let Some(base) = base_gpt() else { return };
    let len = base.len();
    let backup = backup_at(&base, SS);
    let regions = [(0usize, 34 * SS), (len - 33 * SS, len)];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut img = base.clone();
    let (mut ok, mut err) = (0u32, 0u32);
    for round in 0..3000u32 {
        for (lo, hi) in regions {
            img[lo..hi].copy_from_slice(&base[lo..hi]);
        }
        let flips = 1 + rng.below(8);
        for _ in 0..flips {
            let (lo, hi) = regions[rng.below(2) as usize];
            // Favour header fields: a third of the flips hit a header.
            let pos = if rng.below(3) == 0 {
                let at = if rng.below(2) == 0 { 512 } else { backup };
                at + rng.below(92) as usize
            } else {
                lo + rng.below((hi - lo) as u64) as usize
            };
            img[pos] = match rng.below(4) {
                0 => 0,
                1 => 0xFF,
                2 => img[pos] ^ (1 << rng.below(8)),
                _ => rng.next() as u8,
            };
        }
        if round % 2 == 0 {
            fix_crcs(&mut img, 512, SS);
            fix_crcs(&mut img, backup, SS);
        }
        match check_sane(&img) {
            Ok(_) => ok += 1,
            Err(e) => {
                let _ = e.to_string();
                err += 1
            }
        }
        let _ = discover(img.as_slice());
    }
    // Both outcomes are exercised.
    assert!(ok > 100 && err > 100, "ok {ok}, err {err}");
}

/// Random MBR entries (status, type, start, size) on a small disk: each either a
/// volume inside the disk, a partition problem, or a whole-disk fallback.
#[test]
fn random_mbr_entries_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut img = vec![0u8; 64 * 1024];
    img[510] = 0x55;
    img[511] = 0xAA;
    let sectors = (img.len() / 512) as u64;
    for _ in 0..5000 {
        for slot in 0..4 {
            let e = 446 + 16 * slot;
            img[e] = [0x00, 0x80, 0x00, rng.next() as u8][rng.below(4) as usize];
            img[e + 4] =
                [0x00, 0x83, 0x82, 0x05, 0x0F, 0x85, 0xEE, rng.next() as u8][rng.below(8) as usize];
            let near = |r: &mut Rng| match r.below(3) {
                0 => r.below(sectors + 4) as u32,
                1 => r.next() as u32,
                _ => u32::MAX - r.below(4) as u32,
            };
            let start = near(&mut rng);
            let size = near(&mut rng);
            put_u32(&mut img, e + 8, start);
            put_u32(&mut img, e + 12, size);
        }
        match check_sane(&img) {
            Ok(table) => {
                assert!(!table.entries.is_empty());
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        let _ = discover(img.as_slice());
    }
}

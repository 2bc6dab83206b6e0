//! Hand-damaged tables: every one must give a clean error (for the table or for one
//! partition), never a panic, and never a volume outside the disk.

mod common;

use common::*;
use xlboot_disk::{
    discover, scan, Corrupt, DiskError, EbrProblem, GptCopy, PartitionProblem, Scheme, Unsupported,
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
    // Running past the end: cut at the end, as Linux, GRUB and pygrub read it.
    assert_eq!(table.problems().count(), 0);
    let v = table.volumes().find(|v| v.number == Some(2)).unwrap();
    assert_eq!(v.start + v.len, img.len() as u64);
    // Starting past the end: nothing to read.
    patch_entry(&mut img, 1, |e| put_u64(e, 32, sectors + 50));
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
            // An MBR partition bigger than the device: cut at the device's end; on a
            // device of one sector it starts past the end and holds nothing.
            img[446 + 4] = 0x83;
            let table = check_sane(&img).unwrap();
            if len > 512 {
                let v: Vec<_> = table.volumes().collect();
                assert_eq!((v[0].start, v[0].len), (512, len as u64 - 512));
                assert_eq!(table.problems().count(), 0);
            } else {
                let p: Vec<_> = table.problems().collect();
                assert!(matches!(
                    partition_problem(p[0]),
                    (1, PartitionProblem::PastEnd { .. })
                ));
                assert!(discover(img.as_slice()).unwrap_err().is_corrupt());
            }
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
    // Partition 1 starts at 0, as an isohybrid image's does: it is a volume.
    put_u32(&mut img, 446 + 8, 0);
    put_u32(&mut img, 462 + 12, u32::MAX); // partition 2 runs past the end: cut there
    let table = check_sane(&img).unwrap();
    assert_eq!(table.problems().count(), 0);
    let v: Vec<_> = table.volumes().collect();
    assert_eq!(v[1].start + v[1].len, img.len() as u64);
    put_u32(&mut img, 462 + 8, u32::MAX); // partition 2 starts past the end
    let table = check_sane(&img).unwrap();
    let v: Vec<_> = table.volumes().collect();
    assert_eq!((v[0].number, v[0].start), (Some(1), 0));
    let p: Vec<_> = table.problems().collect();
    assert!(matches!(
        partition_problem(p[0]),
        (2, PartitionProblem::PastEnd { .. })
    ));
    assert!(p[0].to_string().contains("msdos2"), "{}", p[0]);
    assert_eq!(discover(img.as_slice()).unwrap().len(), 1);
}

#[test]
fn mbr_extended_partition_at_zero_is_refused() {
    let Some(mut img) = base_mbr() else { return };
    put_u32(&mut img, 446 + 8, 0);
    img[446 + 4] = 0x05;
    let table = check_sane(&img).unwrap();
    let p: Vec<_> = table.problems().collect();
    assert_eq!(partition_problem(p[0]), (1, PartitionProblem::StartsAtZero));
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

// ---------------------------------------------------------------------------
// EBR chains, hand-made: the extended partition is LBA 100 to 1099 of a 2000-sector
// disk unless a test says otherwise.

const EXT_FIRST: u32 = 100;
const EXT_SECTORS: u32 = 1000;

/// Writes MBR-layout entry `slot` of the sector at `lba`, and the boot signature.
fn put_entry(img: &mut [u8], lba: u64, slot: usize, ty: u8, start: u32, size: u32) {
    let at = lba as usize * SS;
    let e = at + 446 + 16 * slot;
    img[e + 4] = ty;
    put_u32(img, e + 8, start);
    put_u32(img, e + 12, size);
    img[at + 510] = 0x55;
    img[at + 511] = 0xAA;
}

/// An EBR at `lba`: a logical partition (start relative to this EBR, size, type) in
/// slot 1 and a link (start relative to the extended partition) in slot 2.
fn put_ebr(img: &mut [u8], lba: u64, data: Option<(u32, u32, u8)>, link: Option<u32>) {
    let at = lba as usize * SS;
    img[at..at + SS].fill(0);
    img[at + 510] = 0x55;
    img[at + 511] = 0xAA;
    if let Some((start, size, ty)) = data {
        put_entry(img, lba, 0, ty, start, size);
    }
    if let Some(next) = link {
        put_entry(img, lba, 1, 0x05, next, 8);
    }
}

/// A disk of `sectors` sectors: primary 1 (0x83) at LBA 10 + 50, the extended
/// partition in slot 2.
fn ebr_disk(sectors: usize, ext_first: u32, ext_sectors: u32) -> Vec<u8> {
    let mut img = vec![0u8; sectors * SS];
    put_entry(&mut img, 0, 0, 0x83, 10, 50);
    put_entry(&mut img, 0, 1, 0x0F, ext_first, ext_sectors);
    img
}

/// The standard chain: EBRs at 100, 200, 300 (the last one's link given), each with
/// a 50-sector logical partition 2 sectors after it.
fn three_logicals(last_link: Option<u32>) -> Vec<u8> {
    let mut img = ebr_disk(2000, EXT_FIRST, EXT_SECTORS);
    put_ebr(&mut img, 100, Some((2, 50, 0x83)), Some(100));
    put_ebr(&mut img, 200, Some((2, 50, 0x83)), Some(200));
    put_ebr(&mut img, 300, Some((2, 50, 0x82)), last_link);
    img
}

fn numbers(table: &xlboot_disk::PartitionTable) -> Vec<u32> {
    table.volumes().map(|v| v.number.unwrap()).collect()
}

fn ebr_problem(err: &DiskError) -> (u32, u64, EbrProblem) {
    match err {
        DiskError::Corrupt(Corrupt::Ebr {
            extended,
            at,
            problem,
        }) => (*extended, *at, problem.clone()),
        other => panic!("expected an EBR problem, got {other:?}"),
    }
}

/// A device that counts its reads, to show that a hostile chain is read a bounded
/// number of times.
struct Counting<'a>(&'a [u8], std::cell::Cell<u32>);

impl xlboot_disk::BlockDevice for Counting<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), xlboot_disk::IoError> {
        self.1.set(self.1.get() + 1);
        self.0.read_exact_at(offset, buf)
    }
}

#[test]
fn ebr_chain_well_formed() {
    let img = three_logicals(None);
    let table = check_sane(&img).unwrap();
    assert_eq!(table.problems().count(), 0, "{:?}", table.entries);
    assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    let starts: Vec<_> = table.volumes().map(|v| v.start / 512).collect();
    assert_eq!(starts, vec![10, 102, 202, 302]);
    let names: Vec<_> = table.volumes().map(|v| v.grub_name()).collect();
    assert_eq!(names[1], "hd0,msdos5");
    let legacy: Vec<_> = table.volumes().map(|v| v.legacy_grub_name()).collect();
    assert_eq!(legacy[3], "hd0,6");
}

#[test]
fn ebr_links_to_itself() {
    let mut img = ebr_disk(2000, EXT_FIRST, EXT_SECTORS);
    // The first EBR links to offset 0 of the extended partition: itself.
    put_ebr(&mut img, 100, Some((2, 50, 0x83)), Some(0));
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(p.len(), 1);
    assert_eq!(
        ebr_problem(p[0]),
        (2, 100 * 512, EbrProblem::Cycle { target: 100 })
    );
    assert!(p[0].is_corrupt());
    assert!(p[0].to_string().contains("cycle"), "{}", p[0]);
    // A later EBR linking to itself.
    let mut img = three_logicals(Some(200));
    put_ebr(&mut img, 300, Some((2, 50, 0x82)), Some(200));
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        ebr_problem(p[0]),
        (2, 300 * 512, EbrProblem::Cycle { target: 300 })
    );
}

#[test]
fn ebr_links_to_an_earlier_ebr() {
    // 100 -> 200 -> 300 -> 200: the logical partitions before the loop all count,
    // each once.
    let img = three_logicals(Some(100));
    let dev = Counting(&img, 0.into());
    let table = scan(&dev).unwrap();
    assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        ebr_problem(p[0]),
        (2, 300 * 512, EbrProblem::Cycle { target: 200 })
    );
    // MBR + three EBRs.
    assert_eq!(dev.1.get(), 4);
    // Back to the first EBR.
    let img = three_logicals(Some(0));
    let table = check_sane(&img).unwrap();
    assert_eq!(
        ebr_problem(table.problems().next().unwrap()),
        (2, 300 * 512, EbrProblem::Cycle { target: 100 })
    );
    // discover keeps the volumes.
    assert_eq!(discover(img.as_slice()).unwrap().len(), 4);
}

#[test]
fn ebr_link_outside_the_extended_partition() {
    // Just past its end (inside the disk), far past the disk, the largest u32.
    for link in [EXT_SECTORS, EXT_SECTORS + 500, 1_000_000, u32::MAX] {
        let img = three_logicals(Some(link));
        let table = check_sane(&img).unwrap();
        assert_eq!(numbers(&table), vec![1, 5, 6, 7], "{link}");
        let p: Vec<_> = table.problems().collect();
        assert_eq!(p.len(), 1);
        assert_eq!(
            ebr_problem(p[0]),
            (
                2,
                300 * 512,
                EbrProblem::LinkOutside {
                    target: u64::from(EXT_FIRST) + u64::from(link),
                    first: 100,
                    last: 1099
                }
            ),
            "{link}"
        );
        assert!(p[0].to_string().contains("outside"), "{}", p[0]);
    }
}

#[test]
fn ebr_without_signature_ends_the_chain() {
    let mut img = three_logicals(None);
    img[300 * SS + 511] = 0;
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5, 6]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(ebr_problem(p[0]), (2, 300 * 512, EbrProblem::Signature));
    // A zeroed EBR further down is broken too.
    img[300 * SS..301 * SS].fill(0);
    let table = check_sane(&img).unwrap();
    assert_eq!(
        ebr_problem(table.problems().next().unwrap()).2,
        EbrProblem::Signature
    );
    // A zeroed first EBR: an extended partition with nothing in it. No problem.
    let img = ebr_disk(2000, EXT_FIRST, EXT_SECTORS);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1]);
    assert_eq!(table.problems().count(), 0);
    // Garbage without a signature at the first EBR: corrupt.
    let mut img = ebr_disk(2000, EXT_FIRST, EXT_SECTORS);
    img[100 * SS..100 * SS + 16].fill(0xE9);
    let table = check_sane(&img).unwrap();
    assert_eq!(
        ebr_problem(table.problems().next().unwrap()),
        (2, 100 * 512, EbrProblem::Signature)
    );
}

#[test]
fn logical_partition_outside_the_extended_partition() {
    // EBR 200's partition starts inside the extended partition and runs 2 sectors
    // past its end; EBR 300's lies wholly beyond it (inside the disk).
    let mut img = three_logicals(None);
    put_ebr(&mut img, 200, Some((2, 899, 0x83)), Some(200));
    put_ebr(&mut img, 300, Some((900, 50, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        partition_problem(p[0]),
        (
            6,
            PartitionProblem::OutsideExtended {
                extended: 2,
                first: 202,
                last: 1100,
                ext_first: 100,
                ext_last: 1099
            }
        )
    );
    assert!(matches!(
        partition_problem(p[1]),
        (7, PartitionProblem::OutsideExtended { first: 1200, .. })
    ));
    assert!(p[1].to_string().contains("msdos7"), "{}", p[1]);
}

#[test]
fn logical_partition_past_the_end_of_the_disk() {
    // An extended partition that covers the whole 2000-sector disk, and logical
    // partitions running past its end: by a little, by u32::MAX sectors, at the
    // largest relative start.
    let mut img = ebr_disk(2000, EXT_FIRST, 1900);
    put_ebr(&mut img, 100, Some((2, 1899, 0x83)), Some(100));
    put_ebr(&mut img, 200, Some((2, u32::MAX, 0x83)), Some(200));
    put_ebr(&mut img, 300, Some((u32::MAX, u32::MAX, 0x83)), Some(300));
    put_ebr(&mut img, 400, Some((2, 10, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 8]);
    let p: Vec<_> = table.problems().collect();
    // Past the disk's end and so past the extended partition's: outside it, as GRUB
    // checks a logical partition against its parent; the one starting past the disk's
    // end holds nothing.
    for (i, number) in [(0, 5), (1, 6)] {
        assert!(
            matches!(partition_problem(p[i]), (n, PartitionProblem::OutsideExtended { .. }) if n == number),
            "{:?}",
            p[i]
        );
    }
    assert!(
        matches!(
            partition_problem(p[2]),
            (
                7,
                PartitionProblem::PastEnd {
                    disk_size: 1_024_000,
                    ..
                }
            )
        ),
        "{:?}",
        p[2]
    );
}

#[test]
fn extended_partition_past_the_end_of_the_disk() {
    // Running past the end: its chain is read, as GRUB and Linux read it, and a
    // logical partition inside the disk is a volume.
    let mut img = ebr_disk(2000, EXT_FIRST, u32::MAX);
    put_ebr(&mut img, 100, Some((2, 50, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5]);
    assert_eq!(table.problems().count(), 0);
    // Starting at u32::MAX: its own range is checked first, nothing inside it is read.
    let img = ebr_disk(2000, u32::MAX, u32::MAX);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1]);
}

#[test]
fn zero_size_and_empty_entries() {
    // A typed entry of size 0 keeps its number (as in GRUB) and is reported; a type-0
    // entry is no partition at all; an EBR with no partition still links on.
    let mut img = three_logicals(None);
    put_ebr(&mut img, 100, Some((2, 0, 0x83)), Some(100));
    put_ebr(&mut img, 200, Some((2, 50, 0x00)), Some(200));
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 6]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(p.len(), 1);
    assert_eq!(partition_problem(p[0]), (5, PartitionProblem::Empty));
    let v: Vec<_> = table.volumes().collect();
    assert_eq!(
        (v[1].start / 512, v[1].grub_name().as_str()),
        (302, "hd0,msdos6")
    );
    // A zero-size extended partition is no extended partition.
    let mut img = three_logicals(None);
    put_u32(&mut img, 462 + 12, 0);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1]);
    assert_eq!(table.problems().count(), 0);
}

#[test]
fn logical_partition_on_its_own_ebr_or_overlapping() {
    // 5 starts on its own EBR (relative start 0); 6 (202..251) and 7 (302..351) are
    // fine; 8, in EBR 300's third slot (340..439), overlaps 7. EBR 300 links to an
    // empty EBR at 400.
    let mut img = three_logicals(Some(300));
    put_ebr(&mut img, 100, Some((0, 50, 0x83)), Some(100));
    put_entry(&mut img, 300, 2, 0x83, 40, 100);
    put_ebr(&mut img, 400, None, None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 6, 7]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(
        partition_problem(p[0]),
        (5, PartitionProblem::StartsOnEbr { ebr_lba: 100 })
    );
    assert_eq!(
        partition_problem(p[1]),
        (8, PartitionProblem::Overlaps { other: 7 })
    );
    // A logical partition over the primary (10..59).
    let mut img = ebr_disk(2000, 20, 500);
    put_ebr(&mut img, 20, Some((2, 10, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(
        partition_problem(table.problems().next().unwrap()),
        (5, PartitionProblem::Overlaps { other: 1 })
    );
}

#[test]
fn ten_thousand_long_chains() {
    // 10000 EBRs, each with a logical partition: 128 read, then "unsupported".
    let sectors = 100 + 10_000 * 4 + 10;
    let mut img = vec![0u8; sectors * SS];
    put_entry(&mut img, 0, 0, 0x05, 100, 10_000 * 4);
    for i in 0..10_000u32 {
        let lba = 100 + u64::from(i) * 4;
        let link = (i + 1 < 10_000).then_some((i + 1) * 4);
        put_ebr(&mut img, lba, Some((1, 3, 0x83)), link);
    }
    let dev = Counting(&img, 0.into());
    let table = scan(&dev).unwrap();
    assert_eq!(table.volumes().count(), 128);
    assert_eq!(table.volumes().last().unwrap().grub_name(), "hd0,msdos132");
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        p,
        vec![&DiskError::Unsupported(Unsupported::EbrChainLength {
            extended: 1,
            max: 128
        })]
    );
    assert!(p[0].is_unsupported());
    assert!(dev.1.get() <= 1 + 128, "{} reads", dev.1.get());

    // 10000 EBRs with no partition in them: 128 read, then the same.
    for i in 0..10_000u32 {
        let lba = 100 + u64::from(i) * 4;
        let link = (i + 1 < 10_000).then_some((i + 1) * 4);
        put_ebr(&mut img, lba, None, link);
    }
    let dev = Counting(&img, 0.into());
    let table = scan(&dev).unwrap();
    assert_eq!(table.volumes().count(), 0);
    assert!(dev.1.get() <= 1 + 128, "{} reads", dev.1.get());
    assert!(discover(&dev).unwrap_err().is_unsupported());

    // A 10000-long cycle-free chain going backwards on the disk (links decreasing).
    for i in 0..10_000u32 {
        let lba = 100 + u64::from(i) * 4;
        let link = (i > 0).then(|| (i - 1) * 4);
        put_ebr(&mut img, lba, Some((1, 3, 0x83)), link);
    }
    // Start from the far end: the MBR's extended partition still starts at 100, so
    // its first EBR (i = 0) has no link; rewrite it to jump to the last one.
    put_ebr(&mut img, 100, Some((1, 3, 0x83)), Some(9_999 * 4));
    let table = check_sane(&img).unwrap();
    assert_eq!(table.volumes().count(), 128);
    assert!(table.problems().all(|p| p.is_unsupported()));
}

#[test]
fn every_extended_type_and_second_extended() {
    for ty in [0x05u8, 0x0F, 0x85] {
        let mut img = three_logicals(None);
        img[462 + 4] = ty;
        let table = check_sane(&img).unwrap();
        assert_eq!(numbers(&table), vec![1, 5, 6, 7], "{ty:#x}");
    }
    // A second extended partition (slot 3) is reported, not read; the first is.
    let mut img = three_logicals(None);
    put_entry(&mut img, 0, 2, 0x85, 1200, 500);
    put_ebr(&mut img, 1200, Some((2, 50, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    let p: Vec<_> = table.problems().collect();
    assert_eq!(
        p,
        vec![&DiskError::Unsupported(Unsupported::SecondExtended {
            number: 3,
            followed: 2
        })]
    );
    // Its problem sits at its slot, before the logical partitions.
    assert!(table.entries[1].is_err());
}

#[test]
fn ebr_data_entries_in_every_slot_and_garbage_status() {
    // GRUB counts a data entry in any slot, in slot order; status bytes of EBR
    // entries are not checked (GRUB and Linux ignore them).
    let mut img = ebr_disk(2000, EXT_FIRST, EXT_SECTORS);
    put_ebr(&mut img, 100, None, Some(100));
    put_entry(&mut img, 100, 2, 0x83, 2, 10);
    put_entry(&mut img, 100, 3, 0x83, 20, 10);
    img[100 * SS + 446 + 32] = 0x7F;
    put_ebr(&mut img, 200, Some((2, 10, 0x83)), None);
    let table = check_sane(&img).unwrap();
    assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    let starts: Vec<_> = table.volumes().map(|v| v.start / 512).collect();
    assert_eq!(starts, vec![10, 102, 120, 202]);
}

/// A 16 MiB sfdisk disk with logical partitions, in memory: 1 = 2048+2048 (0x83),
/// 2 = extended 4096+28672, 5 = 6144+4096, 6 = 12288+4096, 7 = 20480+8192.
fn base_logical() -> Option<Vec<u8>> {
    if !have("sfdisk") {
        return None;
    }
    let img = image("hostilelogical", 16 * MIB);
    sfdisk(
        &img,
        "label: dos\nunit: sectors\nstart=2048, size=2048, type=83\n\
         start=4096, size=28672, type=5\n\
         start=6144, size=4096, type=83\nstart=12288, size=4096, type=82\n\
         start=20480, size=8192, type=83\n",
    );
    Some(read(&img))
}

/// The EBR sectors of a chain, found by following it the simple way (the base image
/// is sound).
fn ebr_lbas(img: &[u8]) -> Vec<usize> {
    let ext = get_u32(img, 462 + 8) as usize;
    let mut lbas = vec![ext];
    loop {
        let at = *lbas.last().unwrap() * SS;
        let link = get_u32(img, at + 462 + 8) as usize;
        if img[at + 462 + 4] == 0 {
            return lbas;
        }
        lbas.push(ext + link);
    }
}

/// Random damage to the MBR and the EBRs of a real sfdisk disk with logical
/// partitions, weighted towards the entry fields. Deterministic: the seed is fixed.
#[test]
fn random_ebr_corruption_never_panics() {
    let Some(base) = base_logical() else { return };
    let sectors: Vec<usize> = std::iter::once(0).chain(ebr_lbas(&base)).collect();
    assert_eq!(sectors.len(), 4, "{sectors:?}");
    {
        let table = check_sane(&base).unwrap();
        assert_eq!(numbers(&table), vec![1, 5, 6, 7]);
    }
    let disk_sectors = (base.len() / SS) as u64;
    let mut rng = Rng(0x243F_6A88_85A3_08D3);
    let mut img = base.clone();
    let (mut with_logical, mut with_problem) = (0u32, 0u32);
    for _ in 0..5000u32 {
        for &s in &sectors {
            img[s * SS..(s + 1) * SS].copy_from_slice(&base[s * SS..(s + 1) * SS]);
        }
        let flips = 1 + rng.below(6);
        for _ in 0..flips {
            let s = sectors[rng.below(sectors.len() as u64) as usize];
            let at = s * SS;
            match rng.below(4) {
                // A whole LBA or size field, with a value near something meaningful.
                0 | 1 => {
                    let field =
                        at + 446 + 16 * rng.below(4) as usize + [8, 12][rng.below(2) as usize];
                    let v = match rng.below(5) {
                        0 => rng.below(disk_sectors + 8) as u32,
                        1 => rng.below(64) as u32,
                        2 => u32::MAX - rng.below(4) as u32,
                        3 => get_u32(&img, field)
                            .wrapping_add(rng.below(9) as u32)
                            .wrapping_sub(4),
                        _ => rng.next() as u32,
                    };
                    put_u32(&mut img, field, v);
                }
                // A type byte: empty, data, extended.
                2 => {
                    let t = at + 446 + 16 * rng.below(4) as usize + 4;
                    img[t] =
                        [0x00, 0x83, 0x05, 0x0F, 0x85, rng.next() as u8][rng.below(6) as usize];
                }
                // Any byte of the sector (signature included).
                _ => {
                    let pos = at + 446 + rng.below(66) as usize;
                    img[pos] = match rng.below(3) {
                        0 => 0,
                        1 => 0xFF,
                        _ => img[pos] ^ (1 << rng.below(8)),
                    };
                }
            }
        }
        let dev = Counting(&img, 0.into());
        match scan(&dev) {
            Ok(table) => {
                for v in table.volumes() {
                    assert!(v.start + v.len <= img.len() as u64, "{v:?}");
                    v.window(img.as_slice()).unwrap();
                    let _ = (v.grub_name(), v.legacy_grub_name());
                    if v.number.is_some_and(|n| n >= 5) {
                        with_logical += 1;
                    }
                }
                // Volumes never overlap one another.
                let vols: Vec<_> = table.volumes().collect();
                for (i, a) in vols.iter().enumerate() {
                    for b in &vols[i + 1..] {
                        assert!(
                            a.start + a.len <= b.start || b.start + b.len <= a.start,
                            "{a:?} {b:?}"
                        );
                    }
                }
                for p in table.problems() {
                    assert!(!p.to_string().is_empty());
                    with_problem += 1;
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        // One MBR and at most 128 EBRs (in practice, the chain's few).
        assert!(dev.1.get() <= 129, "{} reads", dev.1.get());
        let _ = discover(img.as_slice());
    }
    assert!(
        with_logical > 1000 && with_problem > 1000,
        "{with_logical} {with_problem}"
    );
}

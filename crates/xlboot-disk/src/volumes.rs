//! Which volumes of a disk xlboot tries, and in which order.
//!
//! The order is **table order**: MBR primaries 1 to 4 then the logical partitions
//! from 5 in EBR-chain order, or GPT entries by index. That is
//! what pygrub does in practice: it means to move the MBR partition marked active to
//! the front, but under Python 3 it compares a `bytes` status with a `str` and the
//! test never matches, so every guest that boots with pygrub today boots from the first
//! partition (in table order) that has a usable config. We keep that order so that the
//! same guest boots the same kernel; [`Volume::bootable`] is there for callers that
//! want to report the flag.
//!
//! Rules:
//! - no 0x55AA boot signature, or a status byte other than 0x00/0x80 (a boot sector,
//!   not a table) ⇒ the whole disk, as one volume;
//! - an entry of type 0xEE (protective or hybrid MBR) ⇒ GPT, the MBR's other entries
//!   are ignored; GPT entries with a zero type GUID are unused and skipped (GRUB
//!   still counts them: the second slot is `gpt2` even if the first is empty);
//! - MBR primaries of type 0 or size 0 are unused and skipped; extended partitions
//!   (0x05, 0x0F, 0x85) are not volumes themselves: the logical partitions of the
//!   first one (`msdos5` on, see [`crate::ebr`]) come after the primaries, in
//!   EBR-chain order; each further extended partition is an [`Unsupported`] problem
//!   entry (GRUB 2 reads only the first one too);
//! - a table with no used entry at all ⇒ the whole disk (a FAT or ext4 written over a
//!   disk that once held an MBR, or a GRUB MBR with an empty table).
//!
//! A partition that runs past the end of the disk is cut at the end (as Linux, GRUB
//! and pygrub read it); one that starts there holds nothing.
//!
//! A partition that is broken (a GPT or extended partition at LBA 0, starts past the end of the disk, lies
//! over a GPT header or entry array, overlaps an earlier partition, a logical one
//! outside its extended partition) does not fail the disk: it becomes an `Err` entry
//! in [`PartitionTable::entries`], at its place in table order, and the other
//! partitions are still tried. A broken EBR chain (a cycle, a link outside the
//! extended partition, an EBR without its signature, too long a chain) ends with one
//! `Err` entry after the logical partitions found before the break. Only damage to the table itself
//! (both GPT copies bad, a read error on LBA 0) fails [`scan`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::block::{BlockDevice, IoError, Window};
use crate::ebr::{read_chain, Logical};
use crate::error::{Corrupt, DiskError, PartitionProblem, Unsupported};
use crate::gpt_entry::{read_entries, GptEntry};
use crate::gpt_header::{GptHeader, SIGNATURE};
use crate::guid::Guid;
use crate::mbr::{Mbr, MBR_SECTOR_SIZE};

/// Which kind of table a volume comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// No partition table: the whole disk is the volume.
    Whole,
    /// An MBR ("msdos" in GRUB) partition.
    Mbr,
    /// A GPT partition.
    Gpt,
}

/// A partition's type, as its table records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartType {
    /// The whole disk has no type.
    None,
    /// MBR type byte (0x83 Linux, 0x82 swap, 0x0C FAT32 LBA, ...).
    Mbr(u8),
    /// GPT type GUID.
    Gpt(Guid),
}

/// Which GPT copy was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GptCopy {
    /// The header at LBA 1 and its array.
    Primary,
    /// The header at the last LBA (or the primary's alternate LBA) and its array.
    Backup,
}

/// One place a filesystem may live: a partition or the whole disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// 1-based partition number as GRUB 2 names it (`msdos1`, `gpt2`; logical
    /// partitions from `msdos5`); `None` for the whole disk.
    pub number: Option<u32>,
    /// Table it comes from.
    pub scheme: Scheme,
    /// Offset of its first byte on the disk.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// Partition type.
    pub part_type: PartType,
    /// GPT partition name (lossy UTF-16); empty for MBR and the whole disk.
    pub name: String,
    /// MBR active flag (0x80), or GPT attribute bit 2 "legacy BIOS bootable".
    pub bootable: bool,
    /// GPT unique partition GUID (`PARTUUID`).
    pub unique_guid: Option<Guid>,
    /// For an MBR partition, the table's disk signature when it is not zero.
    pub disk_signature: Option<u32>,
}

impl Volume {
    /// The whole of a device of `size` bytes.
    pub fn whole(size: u64) -> Volume {
        Volume {
            number: None,
            scheme: Scheme::Whole,
            start: 0,
            len: size,
            part_type: PartType::None,
            name: String::new(),
            bootable: false,
            unique_guid: None,
            disk_signature: None,
        }
    }

    /// GRUB 2's device name without parentheses: `hd0`, `hd0,msdos1`, `hd0,gpt2`;
    /// logical partitions are `hd0,msdos5` on.
    pub fn grub_name(&self) -> String {
        match (self.scheme, self.number) {
            (Scheme::Mbr, Some(n)) => format!("hd0,msdos{n}"),
            (Scheme::Gpt, Some(n)) => format!("hd0,gpt{n}"),
            _ => String::from("hd0"),
        }
    }

    /// GRUB legacy's device name without parentheses, partitions counted from 0:
    /// `hd0`, `hd0,0` for the first partition, `hd0,4` for the first logical one
    /// (`msdos5`).
    pub fn legacy_grub_name(&self) -> String {
        match (self.scheme, self.number) {
            (Scheme::Mbr | Scheme::Gpt, Some(n)) => format!("hd0,{}", n.saturating_sub(1)),
            _ => String::from("hd0"),
        }
    }

    /// Its `PARTUUID` as blkid and the kernel's `root=PARTUUID=` know it: the GPT
    /// unique partition GUID (lower case), or for an MBR partition the disk signature
    /// and the partition number in hexadecimal, `%08x-%02x` (`dos.c` and
    /// `blkid_partition_gen_uuid` in libblkid; none when the signature is zero).
    pub fn part_uuid(&self) -> Option<String> {
        if let Some(g) = self.unique_guid {
            return Some(format!("{g}").to_ascii_lowercase());
        }
        let (sig, n) = (self.disk_signature?, self.number?);
        Some(format!("{sig:08x}-{n:02x}"))
    }

    /// A window onto this volume of `dev`, for the filesystem probe. Fails if the
    /// volume does not lie inside `dev` (it always does for volumes [`scan`] returned
    /// from the same device).
    pub fn window<D: BlockDevice>(&self, dev: D) -> Result<Window<D>, IoError> {
        Window::new(dev, self.start, self.len)
    }
}

/// GPT details, when the disk is GPT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptInfo {
    /// Which copy the partitions were read from.
    pub copy: GptCopy,
    /// The header used.
    pub header: GptHeader,
    /// Why the primary was refused, when the backup was used.
    pub primary_error: Option<DiskError>,
}

/// Everything [`scan`] learned about a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTable {
    /// The kind of table ([`Scheme::Whole`] when there is none, or it is empty).
    pub scheme: Scheme,
    /// Sector size the table was read with (512, or 4096 for a 4 KiB-sector GPT).
    pub sector_size: u32,
    /// GPT header details, for a GPT disk.
    pub gpt: Option<GptInfo>,
    /// The volumes to try, in table order, with broken partitions as `Err` in their
    /// place.
    pub entries: Vec<Result<Volume, DiskError>>,
}

impl PartitionTable {
    /// The usable volumes, in table order.
    pub fn volumes(&self) -> impl Iterator<Item = &Volume> {
        self.entries.iter().filter_map(|e| e.as_ref().ok())
    }

    /// The broken or unsupported partitions, in table order.
    pub fn problems(&self) -> impl Iterator<Item = &DiskError> {
        self.entries.iter().filter_map(|e| e.as_ref().err())
    }
}

/// The volumes xlboot tries, in table order (see the [module docs](self)).
///
/// Table order, not active-partition-first: pygrub means to try the active MBR
/// partition first, but a Python 3 bytes/str comparison keeps that from ever
/// happening, so guests booted by pygrub today boot from table order, and so do we.
///
/// Broken partitions are left out; if that leaves nothing, the first problem is the
/// error. Use [`scan`] to report the problems next to the volumes that work.
pub fn discover<D: BlockDevice + ?Sized>(dev: &D) -> Result<Vec<Volume>, DiskError> {
    let table = scan(dev)?;
    let mut volumes = Vec::new();
    let mut first_problem = None;
    for entry in table.entries {
        match entry {
            Ok(v) => volumes.push(v),
            Err(e) => {
                if first_problem.is_none() {
                    first_problem = Some(e);
                }
            }
        }
    }
    match first_problem {
        Some(e) if volumes.is_empty() => Err(e),
        _ => Ok(volumes),
    }
}

/// Reads the partition table of `dev`: the volumes, the problems, and which table.
pub fn scan<D: BlockDevice + ?Sized>(dev: &D) -> Result<PartitionTable, DiskError> {
    let size = dev.size();
    let whole = || PartitionTable {
        scheme: Scheme::Whole,
        sector_size: 512,
        gpt: None,
        entries: alloc::vec![Ok(Volume::whole(size))],
    };
    let Some(mbr) = Mbr::read(dev)? else {
        return Ok(whole());
    };
    let table = if mbr.is_protective() {
        scan_gpt(dev)?
    } else {
        scan_mbr(dev, &mbr, size)
    };
    if table.entries.is_empty() {
        return Ok(whole());
    }
    Ok(table)
}

/// A partition's byte range `[start, start + len)`, checked against the disk size.
///
/// A partition that starts inside the disk but runs past its end is cut at the end,
/// as Linux cuts it ("extends beyond EOD, truncated"), GRUB (which checks a
/// partition only against a parent partition, never the disk) and pygrub read it: a
/// disk image cut or copied onto a smaller volume keeps booting when the files it
/// boots lie before the cut, and a read past the cut fails as any read past a volume
/// does. One that starts at or past the end holds nothing: [`PartitionProblem::PastEnd`].
fn byte_range(
    first_lba: u64,
    sectors: u64,
    sector_size: u64,
    disk_size: u64,
) -> Result<(u64, u64), PartitionProblem> {
    let start = first_lba
        .checked_mul(sector_size)
        .ok_or(PartitionProblem::Overflow)?;
    let len = sectors
        .checked_mul(sector_size)
        .ok_or(PartitionProblem::Overflow)?;
    start.checked_add(len).ok_or(PartitionProblem::Overflow)?;
    if start >= disk_size {
        return Err(PartitionProblem::PastEnd { start, disk_size });
    }
    // start < disk_size, so this cannot underflow.
    Ok((start, len.min(disk_size.saturating_sub(start))))
}

/// The number of an earlier accepted volume whose bytes overlap `[start, start+len)`.
fn overlapping(accepted: &[Result<Volume, DiskError>], start: u64, len: u64) -> Option<u32> {
    let end = start.saturating_add(len);
    accepted
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .find_map(|v| {
            let v_end = v.start.saturating_add(v.len);
            (v.start < end && start < v_end).then_some(v.number.unwrap_or(0))
        })
}

fn scan_mbr<D: BlockDevice + ?Sized>(dev: &D, mbr: &Mbr, disk_size: u64) -> PartitionTable {
    let mut entries: Vec<Result<Volume, DiskError>> = Vec::new();
    // The extended partition whose chain is read: (number, first LBA, sectors).
    let mut extended: Option<(u32, u64, u64)> = None;
    for (number, e) in (1u32..).zip(mbr.entries.iter()) {
        if e.is_unused() {
            continue;
        }
        let fail = |problem| {
            Err(DiskError::Corrupt(Corrupt::Partition {
                scheme: Scheme::Mbr,
                number,
                problem,
            }))
        };
        // A primary starting at LBA 0 is how isohybrid images describe the ISO9660
        // filesystem that holds the table in its system area; Linux and GRUB both take
        // it as a partition. Only an extended partition there would be nonsense.
        if e.start_lba == 0 && e.is_extended() {
            entries.push(fail(PartitionProblem::StartsAtZero));
            continue;
        }
        let range = byte_range(
            u64::from(e.start_lba),
            u64::from(e.sectors),
            MBR_SECTOR_SIZE,
            disk_size,
        );
        let (start, len) = match range {
            Ok(r) => r,
            Err(problem) => {
                entries.push(fail(problem));
                continue;
            }
        };
        if e.is_extended() {
            // Not a volume itself. Its logical partitions are read from the EBR chain
            // after the primaries (they are numbered from 5 whatever slot this entry
            // is in). Only the first extended partition is read, as GRUB does.
            match extended {
                None => {
                    extended = Some((number, u64::from(e.start_lba), u64::from(e.sectors)));
                }
                Some((followed, _, _)) => {
                    entries.push(Err(DiskError::Unsupported(Unsupported::SecondExtended {
                        number,
                        followed,
                    })));
                }
            }
            continue;
        }
        if let Some(other) = overlapping(&entries, start, len) {
            entries.push(fail(PartitionProblem::Overlaps { other }));
            continue;
        }
        entries.push(Ok(Volume {
            number: Some(number),
            scheme: Scheme::Mbr,
            start,
            len,
            part_type: PartType::Mbr(e.part_type),
            name: String::new(),
            bootable: e.is_bootable(),
            unique_guid: None,
            disk_signature: None,
        }));
    }
    if let Some((number, first, sectors)) = extended {
        let chain = read_chain(dev, number, first, sectors);
        for logical in &chain.logicals {
            let entry = logical_volume(logical, number, first, sectors, disk_size, &entries);
            entries.push(entry);
        }
        if let Some(end) = chain.end {
            entries.push(Err(end));
        }
    }
    let signature = Some(mbr.disk_signature).filter(|&s| s != 0);
    for v in entries.iter_mut().flatten() {
        v.disk_signature = signature;
    }
    PartitionTable {
        scheme: Scheme::Mbr,
        sector_size: 512,
        gpt: None,
        entries,
    }
}

/// A logical partition of the chain of extended partition `extended` (`sectors`
/// from `ext_first`) as a volume, or why it is not one: it must have a size, start
/// after its EBR, lie inside the extended partition and the disk, and overlap no
/// earlier partition.
fn logical_volume(
    logical: &Logical,
    extended: u32,
    ext_first: u64,
    ext_sectors: u64,
    disk_size: u64,
    accepted: &[Result<Volume, DiskError>],
) -> Result<Volume, DiskError> {
    let e = &logical.entry;
    let fail = |problem| {
        Err(DiskError::Corrupt(Corrupt::Partition {
            scheme: Scheme::Mbr,
            number: logical.number,
            problem,
        }))
    };
    if e.sectors == 0 {
        return fail(PartitionProblem::Empty);
    }
    if e.start_lba == 0 {
        return fail(PartitionProblem::StartsOnEbr {
            ebr_lba: logical.ebr_lba,
        });
    }
    let Some(first) = logical.ebr_lba.checked_add(u64::from(e.start_lba)) else {
        return fail(PartitionProblem::Overflow);
    };
    let (start, len) = match byte_range(first, u64::from(e.sectors), MBR_SECTOR_SIZE, disk_size) {
        Ok(r) => r,
        Err(problem) => return fail(problem),
    };
    // sectors >= 1, and first + sectors fitted in bytes above, so in LBAs too.
    let last = first.saturating_add(u64::from(e.sectors)).saturating_sub(1);
    let ext_last = ext_first.saturating_add(ext_sectors).saturating_sub(1);
    if first < ext_first || last > ext_last {
        return fail(PartitionProblem::OutsideExtended {
            extended,
            first,
            last,
            ext_first,
            ext_last,
        });
    }
    if let Some(other) = overlapping(accepted, start, len) {
        return fail(PartitionProblem::Overlaps { other });
    }
    Ok(Volume {
        number: Some(logical.number),
        scheme: Scheme::Mbr,
        start,
        len,
        part_type: PartType::Mbr(e.part_type),
        name: String::new(),
        bootable: e.is_bootable(),
        unique_guid: None,
        disk_signature: None,
    })
}

/// Sector sizes whose GPT we read, in probe order.
const SECTOR_SIZES: [u32; 2] = [512, 4096];
/// Sector sizes we recognise a GPT header at, only to say they are unsupported.
const ODD_SECTOR_SIZES: [u32; 3] = [1024, 2048, 8192];

/// True if "EFI PART" is at byte `at`.
fn signature_at<D: BlockDevice + ?Sized>(dev: &D, at: u64) -> Result<bool, DiskError> {
    let mut sig = [0u8; 8];
    match dev.read_exact_at(at, &mut sig) {
        Ok(()) => Ok(&sig == SIGNATURE),
        Err(IoError::OutOfRange { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// LBA of the last sector of a disk of `size` bytes.
fn last_lba(size: u64, sector_size: u32) -> Option<u64> {
    size.checked_div(u64::from(sector_size))?.checked_sub(1)
}

/// The sector size of a GPT disk: that of a primary header with a signature, else of
/// a backup header with one.
fn gpt_sector_size<D: BlockDevice + ?Sized>(dev: &D) -> Result<u32, DiskError> {
    for ss in SECTOR_SIZES {
        if signature_at(dev, u64::from(ss))? {
            return Ok(ss);
        }
    }
    for ss in SECTOR_SIZES {
        if let Some(lba) = last_lba(dev.size(), ss) {
            if let Some(at) = lba.checked_mul(u64::from(ss)) {
                if signature_at(dev, at)? {
                    return Ok(ss);
                }
            }
        }
    }
    for ss in ODD_SECTOR_SIZES {
        if signature_at(dev, u64::from(ss))? {
            return Err(Unsupported::SectorSize(ss).into());
        }
    }
    // No header anywhere: report both as missing, for 512-byte sectors.
    let backup_at = last_lba(dev.size(), 512).unwrap_or(0).saturating_mul(512);
    Err(Corrupt::NoValidGpt {
        primary: alloc::boxed::Box::new(Corrupt::GptSignature { at: 512 }.into()),
        backup: alloc::boxed::Box::new(Corrupt::GptSignature { at: backup_at }.into()),
    }
    .into())
}

/// A header and its checked entry array.
type CopyRead = (GptHeader, Vec<(u32, GptEntry)>);

/// Why one GPT copy was refused, and where its header says the other copy is (when
/// the header itself was sound).
struct CopyFailure {
    alternate_lba: Option<u64>,
    error: DiskError,
}

fn read_copy<D: BlockDevice + ?Sized>(
    dev: &D,
    sector_size: u32,
    lba: u64,
) -> Result<CopyRead, CopyFailure> {
    let header = GptHeader::read(dev, sector_size, lba).map_err(|error| CopyFailure {
        alternate_lba: None,
        error,
    })?;
    match read_entries(dev, &header) {
        Ok(entries) => Ok((header, entries)),
        Err(error) => Err(CopyFailure {
            alternate_lba: Some(header.alternate_lba),
            error,
        }),
    }
}

fn scan_gpt<D: BlockDevice + ?Sized>(dev: &D) -> Result<PartitionTable, DiskError> {
    let sector_size = gpt_sector_size(dev)?;
    let (copy, header, used, primary_error) = match read_copy(dev, sector_size, 1) {
        Ok((header, used)) => (GptCopy::Primary, header, used, None),
        Err(CopyFailure {
            alternate_lba,
            error: primary_error,
        }) => {
            // The backup is at the last LBA. If the primary header was sound (only its
            // array was bad), its alternate LBA is also worth a try: a disk image that
            // was grown keeps its backup where it was.
            let last = last_lba(dev.size(), sector_size);
            let alternate = alternate_lba.filter(|&a| Some(a) != last);
            let mut backup_error = None;
            let mut found = None;
            for lba in [last, alternate].into_iter().flatten() {
                match read_copy(dev, sector_size, lba) {
                    Ok(copy) => {
                        found = Some(copy);
                        break;
                    }
                    Err(failure) => {
                        if backup_error.is_none() {
                            backup_error = Some(failure.error);
                        }
                    }
                }
            }
            match found {
                Some((header, used)) => (GptCopy::Backup, header, used, Some(primary_error)),
                None => {
                    let backup =
                        backup_error.unwrap_or(DiskError::Corrupt(Corrupt::GptSignature { at: 0 }));
                    return Err(Corrupt::NoValidGpt {
                        primary: alloc::boxed::Box::new(primary_error),
                        backup: alloc::boxed::Box::new(backup),
                    }
                    .into());
                }
            }
        }
    };

    let ss = u64::from(sector_size);
    let disk_size = dev.size();
    let mut entries: Vec<Result<Volume, DiskError>> = Vec::new();
    for (index, e) in used {
        let number = index.saturating_add(1);
        let fail = |problem| {
            Err(DiskError::Corrupt(Corrupt::Partition {
                scheme: Scheme::Gpt,
                number,
                problem,
            }))
        };
        let (first, last) = (e.first_lba, e.last_lba);
        if first == 0 {
            entries.push(fail(PartitionProblem::StartsAtZero));
            continue;
        }
        if last < first {
            entries.push(fail(PartitionProblem::LastBeforeFirst { first, last }));
            continue;
        }
        if first < header.first_usable_lba || last > header.last_usable_lba {
            entries.push(fail(PartitionProblem::OutsideUsable {
                first,
                last,
                first_usable: header.first_usable_lba,
                last_usable: header.last_usable_lba,
            }));
            continue;
        }
        // last >= first, so this cannot underflow; +1 can overflow only at u64::MAX.
        let Some(sectors) = last.checked_sub(first).and_then(|d| d.checked_add(1)) else {
            entries.push(fail(PartitionProblem::Overflow));
            continue;
        };
        let (start, len) = match byte_range(first, sectors, ss, disk_size) {
            Ok(r) => r,
            Err(problem) => {
                entries.push(fail(problem));
                continue;
            }
        };
        if let Some(other) = overlapping(&entries, start, len) {
            entries.push(fail(PartitionProblem::Overlaps { other }));
            continue;
        }
        entries.push(Ok(Volume {
            number: Some(number),
            scheme: Scheme::Gpt,
            start,
            len,
            part_type: PartType::Gpt(e.type_guid),
            bootable: e.is_legacy_bootable(),
            unique_guid: Some(e.unique_guid),
            disk_signature: None,
            name: e.name,
        }));
    }
    Ok(PartitionTable {
        scheme: Scheme::Gpt,
        sector_size,
        gpt: Some(GptInfo {
            copy,
            header,
            primary_error,
        }),
        entries,
    })
}

//! Partition-table errors, split the way an administrator needs them: is the table
//! damaged (corrupt), is it something xlboot does not read (unsupported), or did the
//! device fail (I/O)? Every error says where: a byte offset, or a partition number.

use alloc::boxed::Box;
use core::fmt;

use crate::block::IoError;
use crate::volumes::Scheme;

/// Why a partition table, or one partition in it, could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskError {
    /// On-disk data contradicts itself or the format.
    Corrupt(Corrupt),
    /// Valid-looking data using something xlboot does not read.
    Unsupported(Unsupported),
    /// The device could not be read.
    Io(IoError),
}

impl DiskError {
    /// True for damaged tables and partitions.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, DiskError::Corrupt(_))
    }

    /// True for valid data xlboot does not handle.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, DiskError::Unsupported(_))
    }

    /// True when the device itself failed.
    pub fn is_io(&self) -> bool {
        matches!(self, DiskError::Io(_))
    }
}

impl From<IoError> for DiskError {
    fn from(e: IoError) -> Self {
        DiskError::Io(e)
    }
}

impl From<Corrupt> for DiskError {
    fn from(e: Corrupt) -> Self {
        DiskError::Corrupt(e)
    }
}

impl From<Unsupported> for DiskError {
    fn from(e: Unsupported) -> Self {
        DiskError::Unsupported(e)
    }
}

/// What is damaged. `at` fields are byte offsets on the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corrupt {
    /// No "EFI PART" signature where a GPT header must be.
    GptSignature {
        /// Byte offset of the missing header.
        at: u64,
    },
    /// The header size field is below 92 or above the sector size.
    GptHeaderSize {
        /// Byte offset of the header.
        at: u64,
        /// The size it claims.
        size: u32,
    },
    /// The header checksum does not match.
    GptHeaderCrc {
        /// Byte offset of the header.
        at: u64,
        /// Checksum stored in the header.
        stored: u32,
        /// Checksum computed over it.
        computed: u32,
    },
    /// The header does not say it lives where it was read from.
    GptMyLba {
        /// Byte offset of the header.
        at: u64,
        /// LBA it was read from.
        expected: u64,
        /// LBA it claims.
        found: u64,
    },
    /// First usable LBA after last usable LBA, or the usable area covering the header.
    GptUsableRange {
        /// Byte offset of the header.
        at: u64,
        /// First usable LBA.
        first: u64,
        /// Last usable LBA.
        last: u64,
    },
    /// Entry size below 128 or not a multiple of 8.
    GptEntrySize {
        /// Byte offset of the header.
        at: u64,
        /// The size it claims.
        size: u32,
    },
    /// The entry array overlaps the header, the usable area, or runs past the disk.
    GptEntryArrayLocation {
        /// Byte offset of the header.
        at: u64,
        /// First LBA of the array.
        lba: u64,
    },
    /// The entry-array checksum does not match.
    GptEntryArrayCrc {
        /// Byte offset of the header.
        at: u64,
        /// Checksum stored in the header.
        stored: u32,
        /// Checksum computed over the array.
        computed: u32,
    },
    /// Neither the primary nor the backup GPT (header and array) is usable.
    NoValidGpt {
        /// Why the primary was refused.
        primary: Box<DiskError>,
        /// Why the backup was refused.
        backup: Box<DiskError>,
    },
    /// One partition is unusable; the others may still be fine.
    Partition {
        /// Table it comes from.
        scheme: Scheme,
        /// 1-based partition number, as GRUB 2 names it.
        number: u32,
        /// What is wrong with it.
        problem: PartitionProblem,
    },
    /// An EBR of an extended partition's chain is unusable: the chain ends there (the
    /// logical partitions before it are still read).
    Ebr {
        /// Number of the extended partition (1 to 4).
        extended: u32,
        /// Byte offset of the EBR with the bad link, or of the bad EBR itself.
        at: u64,
        /// What is wrong with it.
        problem: EbrProblem,
    },
}

/// What is wrong with one EBR of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EbrProblem {
    /// The EBR has no 0x55 0xAA boot signature.
    Signature,
    /// Its link points outside the extended partition.
    LinkOutside {
        /// LBA the link points to.
        target: u64,
        /// First LBA of the extended partition.
        first: u64,
        /// Last LBA of the extended partition.
        last: u64,
    },
    /// Its link points back to an EBR already read: the chain is a cycle.
    Cycle {
        /// LBA the link points to.
        target: u64,
    },
    /// Its link's LBA does not fit in 64 bits.
    Overflow,
}

/// What is wrong with one partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionProblem {
    /// It starts at LBA 0, on top of the partition table.
    StartsAtZero,
    /// Its last LBA is before its first.
    LastBeforeFirst {
        /// First LBA.
        first: u64,
        /// Last LBA.
        last: u64,
    },
    /// It lies (partly) outside the GPT usable area: over a header or entry array.
    OutsideUsable {
        /// First LBA.
        first: u64,
        /// Last LBA.
        last: u64,
        /// First usable LBA of the header.
        first_usable: u64,
        /// Last usable LBA of the header.
        last_usable: u64,
    },
    /// It starts at or past the end of the disk (one that only runs past the end is
    /// cut there, not refused).
    PastEnd {
        /// Byte offset of its first byte.
        start: u64,
        /// Disk size in bytes.
        disk_size: u64,
    },
    /// Its byte range does not fit in 64 bits.
    Overflow,
    /// It overlaps an earlier partition of the same table.
    Overlaps {
        /// Number of the earlier partition.
        other: u32,
    },
    /// A logical partition entry with a type but no sectors (GRUB still gives it a
    /// number, so it keeps one here).
    Empty,
    /// A logical partition that starts on its own EBR (relative start 0).
    StartsOnEbr {
        /// LBA of the EBR.
        ebr_lba: u64,
    },
    /// A logical partition that lies (partly) outside its extended partition.
    OutsideExtended {
        /// Number of the extended partition.
        extended: u32,
        /// First LBA of the logical partition.
        first: u64,
        /// Last LBA of the logical partition.
        last: u64,
        /// First LBA of the extended partition.
        ext_first: u64,
        /// Last LBA of the extended partition.
        ext_last: u64,
    },
}

/// What xlboot does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// A second (third, fourth) extended partition in the MBR. Only the first one's
    /// logical partitions are read, as GRUB 2 does: GRUB would not see the others'.
    SecondExtended {
        /// Number of the extended partition not read.
        number: u32,
        /// Number of the extended partition that is read.
        followed: u32,
    },
    /// An EBR chain longer than xlboot reads.
    EbrChainLength {
        /// Number of the extended partition.
        extended: u32,
        /// Most EBRs and logical partitions read.
        max: usize,
    },
    /// A GPT header was found for a sector size other than 512 or 4096.
    SectorSize(u32),
    /// A GPT revision whose major version is not 1.
    GptRevision {
        /// Byte offset of the header.
        at: u64,
        /// Revision field.
        revision: u32,
    },
    /// More GPT entries than xlboot reads.
    GptEntryCount {
        /// Byte offset of the header.
        at: u64,
        /// Entries claimed.
        count: u32,
        /// Most entries read.
        max: u32,
    },
    /// A GPT entry array bigger than xlboot reads.
    GptEntryArraySize {
        /// Byte offset of the header.
        at: u64,
        /// Entry count times entry size.
        bytes: u64,
        /// Largest array read.
        max: u64,
    },
}

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskError::Corrupt(c) => write!(f, "corrupt partition table: {c}"),
            DiskError::Unsupported(u) => write!(f, "unsupported partition table: {u}"),
            DiskError::Io(e) => write!(f, "I/O error reading the partition table: {e}"),
        }
    }
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corrupt::GptSignature { at } => {
                write!(f, "no GPT header signature at byte {at}")
            }
            Corrupt::GptHeaderSize { at, size } => {
                write!(f, "GPT header at byte {at} claims a size of {size} bytes")
            }
            Corrupt::GptHeaderCrc {
                at,
                stored,
                computed,
            } => write!(
                f,
                "GPT header at byte {at} has checksum {stored:#010x}, computed {computed:#010x}"
            ),
            Corrupt::GptMyLba {
                at,
                expected,
                found,
            } => write!(
                f,
                "GPT header at byte {at} (LBA {expected}) says it is at LBA {found}"
            ),
            Corrupt::GptUsableRange { at, first, last } => write!(
                f,
                "GPT header at byte {at} has an impossible usable area, LBA {first} to {last}"
            ),
            Corrupt::GptEntrySize { at, size } => write!(
                f,
                "GPT header at byte {at} claims an entry size of {size} bytes \
                 (must be at least 128 and a multiple of 8)"
            ),
            Corrupt::GptEntryArrayLocation { at, lba } => write!(
                f,
                "GPT header at byte {at} puts its entry array at LBA {lba}, \
                 over the header, the usable area or past the end of the disk"
            ),
            Corrupt::GptEntryArrayCrc {
                at,
                stored,
                computed,
            } => write!(
                f,
                "GPT entry array of the header at byte {at} has checksum {stored:#010x}, \
                 computed {computed:#010x}"
            ),
            Corrupt::NoValidGpt { primary, backup } => write!(
                f,
                "neither GPT is usable: primary: {primary}; backup: {backup}"
            ),
            Corrupt::Partition {
                scheme,
                number,
                problem,
            } => {
                let label = match scheme {
                    Scheme::Gpt => "gpt",
                    Scheme::Mbr | Scheme::Whole => "msdos",
                };
                write!(f, "partition {label}{number}: {problem}")
            }
            Corrupt::Ebr {
                extended,
                at,
                problem,
            } => write!(
                f,
                "extended partition msdos{extended}: EBR at byte {at} {problem}; \
                 no logical partitions are read after it"
            ),
        }
    }
}

impl fmt::Display for EbrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EbrProblem::Signature => write!(f, "has no 0x55AA boot signature"),
            EbrProblem::LinkOutside {
                target,
                first,
                last,
            } => write!(
                f,
                "links to LBA {target}, outside the extended partition (LBA {first} to {last})"
            ),
            EbrProblem::Cycle { target } => write!(
                f,
                "links back to the EBR at LBA {target}, already read (a cycle)"
            ),
            EbrProblem::Overflow => write!(f, "links to an LBA that does not fit in 64 bits"),
        }
    }
}

impl fmt::Display for PartitionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionProblem::StartsAtZero => {
                write!(f, "starts at LBA 0, on top of the partition table")
            }
            PartitionProblem::LastBeforeFirst { first, last } => {
                write!(f, "last LBA {last} is before first LBA {first}")
            }
            PartitionProblem::OutsideUsable {
                first,
                last,
                first_usable,
                last_usable,
            } => write!(
                f,
                "LBA {first} to {last} is outside the usable area {first_usable} to {last_usable} \
                 (it would overlap a GPT header or entry array)"
            ),
            PartitionProblem::PastEnd { start, disk_size } => write!(
                f,
                "starts at byte {start}, past the end of the disk ({disk_size} bytes)"
            ),
            PartitionProblem::Overflow => write!(f, "byte range does not fit in 64 bits"),
            PartitionProblem::Overlaps { other } => write!(f, "overlaps partition {other}"),
            PartitionProblem::Empty => write!(f, "has a type but a size of 0 sectors"),
            PartitionProblem::StartsOnEbr { ebr_lba } => {
                write!(f, "starts on its own EBR at LBA {ebr_lba}")
            }
            PartitionProblem::OutsideExtended {
                extended,
                first,
                last,
                ext_first,
                ext_last,
            } => write!(
                f,
                "LBA {first} to {last} is outside extended partition msdos{extended} \
                 (LBA {ext_first} to {ext_last})"
            ),
        }
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::SecondExtended { number, followed } => write!(
                f,
                "extended partition msdos{number} is not read: only the first one \
                 (msdos{followed}) is, as GRUB does"
            ),
            Unsupported::EbrChainLength { extended, max } => write!(
                f,
                "extended partition msdos{extended} has more than {max} EBRs or logical \
                 partitions (only the first {max} are read)"
            ),
            Unsupported::SectorSize(s) => {
                write!(f, "GPT with {s}-byte sectors (only 512 and 4096 are read)")
            }
            Unsupported::GptRevision { at, revision } => write!(
                f,
                "GPT header at byte {at} has revision {}.{} (only 1.x is read)",
                revision >> 16,
                revision & 0xffff
            ),
            Unsupported::GptEntryCount { at, count, max } => write!(
                f,
                "GPT header at byte {at} claims {count} entries (at most {max} are read)"
            ),
            Unsupported::GptEntryArraySize { at, bytes, max } => write!(
                f,
                "GPT header at byte {at} claims an entry array of {bytes} bytes \
                 (at most {max} are read)"
            ),
        }
    }
}

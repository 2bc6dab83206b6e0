//! Extended boot records: the chain of sectors inside an MBR extended partition
//! (type 0x05, 0x0F or 0x85) that describes its logical partitions.
//!
//! An EBR has the MBR's layout (four 16-byte entries from byte 446, 0x55 0xAA at
//! byte 510). Its entries are read the way GRUB 2's `part_msdos` reads them:
//!
//! - an entry of a type other than 0 and the extended types is a **logical
//!   partition**; its start is relative to *this EBR*. Partitioning tools write one,
//!   in the first slot; GRUB (and Linux) take any slot, in slot order, so we do too;
//! - the first entry of an extended type is the **link** to the next EBR; its start is
//!   relative to the *extended partition's* first sector (not to this EBR);
//! - type 0 entries are empty.
//!
//! Logical partitions are numbered from 5 in chain order, whatever their place on the
//! disk (`sfdisk` can put `msdos5` after `msdos6`): GRUB 2's `(hd0,msdos5)` and Linux's
//! `xvda5`; GRUB legacy counts from 0, so the same partition is its `(hd0,4)`.
//!
//! The chain is hostile input, so it is walked with a bound ([`MAX_EBRS`] sectors,
//! [`MAX_LOGICAL`] partitions), each EBR read at most once (a link back to an EBR
//! already read is a cycle), and every link must point inside the extended partition.
//! A bad link or EBR ends the chain with an error; the logical partitions found before
//! it are kept. Whether each logical partition lies where it may is checked by the
//! caller ([`crate::volumes`]), which knows the other partitions of the disk.

use alloc::vec::Vec;

use crate::block::{BlockDevice, IoError};
use crate::error::{Corrupt, DiskError, EbrProblem, Unsupported};
use crate::mbr::{has_signature, parse_entries, MbrEntry, MBR_SECTOR_SIZE};

/// The most EBR sectors read from one chain. Linux and GRUB have no fixed limit of
/// their own below this that a real disk reaches (fdisk tools stop at 60 or so).
pub const MAX_EBRS: usize = 128;

/// The most logical partitions taken from one chain.
pub const MAX_LOGICAL: usize = 128;

/// Number of the first logical partition (GRUB 2 and Linux; GRUB legacy says 4).
pub const FIRST_LOGICAL: u32 = 5;

/// One extended boot record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ebr {
    /// LBA it was read from.
    pub lba: u64,
    /// Its four entries, in slot order.
    pub entries: [MbrEntry; 4],
}

/// What a sector where an EBR should be holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EbrSector {
    /// An EBR (boot signature present).
    Ebr(Ebr),
    /// 512 zero bytes: nothing was ever written there.
    Blank,
    /// Something without the boot signature.
    NoSignature,
}

impl Ebr {
    /// Parses the sector read from `lba`.
    pub fn parse(lba: u64, sector: &[u8; 512]) -> EbrSector {
        if !has_signature(sector) {
            if sector.iter().all(|&b| b == 0) {
                return EbrSector::Blank;
            }
            return EbrSector::NoSignature;
        }
        EbrSector::Ebr(Ebr {
            lba,
            entries: parse_entries(sector),
        })
    }

    /// Reads and parses the sector at `lba`. An LBA whose byte offset does not fit in
    /// 64 bits is out of range like any other past the end of the device.
    pub fn read<D: BlockDevice + ?Sized>(dev: &D, lba: u64) -> Result<EbrSector, IoError> {
        let at = lba
            .checked_mul(MBR_SECTOR_SIZE)
            .ok_or(IoError::OutOfRange {
                offset: u64::MAX,
                len: MBR_SECTOR_SIZE,
                size: dev.size(),
            })?;
        let mut sector = [0u8; 512];
        dev.read_exact_at(at, &mut sector)?;
        Ok(Self::parse(lba, &sector))
    }

    /// The logical partition entries, in slot order: every entry whose type is
    /// neither 0 nor extended (GRUB's rule; a size of 0 still counts, and is reported
    /// by the caller, so that later numbers stay GRUB's).
    pub fn logical_entries(&self) -> impl Iterator<Item = &MbrEntry> {
        self.entries
            .iter()
            .filter(|e| e.part_type != 0 && !e.is_extended())
    }

    /// The link to the next EBR: the first entry of an extended type.
    pub fn link(&self) -> Option<&MbrEntry> {
        self.entries.iter().find(|e| e.is_extended())
    }
}

/// A logical partition entry as the chain gives it, not yet checked against the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logical {
    /// Its number: 5 for the first in chain order.
    pub number: u32,
    /// LBA of the EBR holding it (its start is relative to this).
    pub ebr_lba: u64,
    /// The entry.
    pub entry: MbrEntry,
}

/// The result of walking one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The logical partitions found, in chain order.
    pub logicals: Vec<Logical>,
    /// Why the chain ended early: a bad link or EBR, a read error, or the length cap.
    /// `None` when it ended where its last EBR says.
    pub end: Option<DiskError>,
}

/// Walks the EBR chain of the extended partition numbered `extended`, which covers
/// `sectors` sectors from `first_lba` (the caller has checked that it lies inside
/// the disk).
pub fn read_chain<D: BlockDevice + ?Sized>(
    dev: &D,
    extended: u32,
    first_lba: u64,
    sectors: u64,
) -> Chain {
    let mut logicals: Vec<Logical> = Vec::new();
    let mut visited: Vec<u64> = Vec::new();
    let corrupt = |lba: u64, problem| {
        Some(DiskError::Corrupt(Corrupt::Ebr {
            extended,
            at: lba.saturating_mul(MBR_SECTOR_SIZE),
            problem,
        }))
    };
    let too_long = || {
        Some(DiskError::Unsupported(Unsupported::EbrChainLength {
            extended,
            max: MAX_EBRS.min(MAX_LOGICAL),
        }))
    };
    // One past the last sector of the extended partition.
    let Some(end_lba) = first_lba.checked_add(sectors) else {
        return Chain {
            logicals,
            end: corrupt(first_lba, EbrProblem::Overflow),
        };
    };
    let mut lba = first_lba;
    let mut number = FIRST_LOGICAL;
    // Each pass reads one EBR; `visited` grows by one each time, so the loop ends
    // after MAX_EBRS passes at the latest.
    let end = loop {
        if visited.len() >= MAX_EBRS {
            break too_long();
        }
        visited.push(lba);
        let ebr = match Ebr::read(dev, lba) {
            Ok(EbrSector::Ebr(ebr)) => ebr,
            // An extended partition nobody wrote an EBR into holds no logical
            // partitions; a zeroed sector further down the chain is a broken link.
            Ok(EbrSector::Blank) if lba == first_lba => break None,
            Ok(EbrSector::Blank | EbrSector::NoSignature) => {
                break corrupt(lba, EbrProblem::Signature)
            }
            Err(e) => break Some(DiskError::Io(e)),
        };
        let mut full = false;
        for entry in ebr.logical_entries() {
            if logicals.len() >= MAX_LOGICAL {
                full = true;
                break;
            }
            logicals.push(Logical {
                number,
                ebr_lba: lba,
                entry: *entry,
            });
            number = number.saturating_add(1);
        }
        let Some(link) = ebr.link() else {
            break None;
        };
        if full {
            break too_long();
        }
        let Some(next) = first_lba.checked_add(u64::from(link.start_lba)) else {
            break corrupt(lba, EbrProblem::Overflow);
        };
        if next >= end_lba {
            break corrupt(
                lba,
                EbrProblem::LinkOutside {
                    target: next,
                    first: first_lba,
                    last: end_lba.saturating_sub(1),
                },
            );
        }
        if visited.contains(&next) {
            break corrupt(lba, EbrProblem::Cycle { target: next });
        }
        lba = next;
    };
    Chain { logicals, end }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A disk of `sectors` sectors with EBRs at the given LBAs, each with a logical
    /// entry (relative start, size, type) and a link (relative to `ext`, size).
    /// EBR LBA, logical entry (relative start, size, type), link (start, size).
    type EbrSpec = (u64, Option<(u32, u32, u8)>, Option<(u32, u32)>);

    fn disk(sectors: usize, ebrs: &[EbrSpec]) -> Vec<u8> {
        let mut d = vec![0u8; sectors * 512];
        for &(lba, data, link) in ebrs {
            let at = lba as usize * 512;
            d[at + 510] = 0x55;
            d[at + 511] = 0xAA;
            if let Some((start, size, ty)) = data {
                d[at + 446 + 4] = ty;
                d[at + 446 + 8..at + 446 + 12].copy_from_slice(&start.to_le_bytes());
                d[at + 446 + 12..at + 446 + 16].copy_from_slice(&size.to_le_bytes());
            }
            if let Some((start, size)) = link {
                d[at + 462 + 4] = 0x05;
                d[at + 462 + 8..at + 462 + 12].copy_from_slice(&start.to_le_bytes());
                d[at + 462 + 12..at + 462 + 16].copy_from_slice(&size.to_le_bytes());
            }
        }
        d
    }

    fn numbers_and_starts(c: &Chain) -> Vec<(u32, u64)> {
        c.logicals
            .iter()
            .map(|l| (l.number, l.ebr_lba + u64::from(l.entry.start_lba)))
            .collect()
    }

    #[test]
    fn two_logicals_links_relative_to_extended() {
        // Extended at 10..100; EBR 10 -> logical at 12; link +40 -> EBR 50 -> 52.
        let d = disk(
            100,
            &[
                (10, Some((2, 8, 0x83)), Some((40, 20))),
                (50, Some((2, 8, 0x82)), None),
            ],
        );
        let c = read_chain(d.as_slice(), 2, 10, 90);
        assert_eq!(c.end, None);
        assert_eq!(numbers_and_starts(&c), vec![(5, 12), (6, 52)]);
        assert_eq!(c.logicals[1].entry.part_type, 0x82);
    }

    #[test]
    fn blank_first_ebr_is_empty_chain() {
        let d = vec![0u8; 100 * 512];
        let c = read_chain(d.as_slice(), 1, 10, 90);
        assert_eq!(
            c,
            Chain {
                logicals: vec![],
                end: None
            }
        );
    }

    #[test]
    fn self_link_is_a_cycle() {
        let d = disk(100, &[(10, Some((2, 8, 0x83)), Some((0, 20)))]);
        let c = read_chain(d.as_slice(), 1, 10, 90);
        assert_eq!(c.logicals.len(), 1);
        assert_eq!(
            c.end,
            Some(DiskError::Corrupt(Corrupt::Ebr {
                extended: 1,
                at: 10 * 512,
                problem: EbrProblem::Cycle { target: 10 }
            }))
        );
    }

    #[test]
    fn link_past_extended_end() {
        let d = disk(100, &[(10, Some((2, 8, 0x83)), Some((90, 1)))]);
        let c = read_chain(d.as_slice(), 1, 10, 90);
        assert!(matches!(
            c.end,
            Some(DiskError::Corrupt(Corrupt::Ebr {
                problem: EbrProblem::LinkOutside {
                    target: 100,
                    first: 10,
                    last: 99
                },
                ..
            }))
        ));
    }

    #[test]
    fn several_logical_entries_in_one_ebr_count_like_grub() {
        let mut d = disk(100, &[(10, Some((2, 8, 0x83)), None)]);
        // Slot 3 holds a second data entry; slot 2 stays empty.
        let at = 10 * 512 + 478;
        d[at + 4] = 0x83;
        d[at + 8] = 20;
        d[at + 12] = 4;
        let c = read_chain(d.as_slice(), 1, 10, 90);
        assert_eq!(numbers_and_starts(&c), vec![(5, 12), (6, 30)]);
    }
}

//! The FAT boot sector and its BIOS parameter block (BPB): sector 0 of the volume.
//!
//! The probe must never take another filesystem for FAT, so a sector is only a FAT
//! boot sector when it has all of: an x86 jump (`EB xx 90` or `E9 xx xx`), the
//! `55 AA` signature at byte 510, and the `FAT12`/`FAT16`/`FAT` or `FAT32` type string
//! of the extended BPB (GRUB's FAT reader requires that string too). Only then is the
//! BPB checked, field by field, and a bad one is reported as corrupt.
//!
//! The type string is only a signature: whether a volume is FAT12 or FAT16 is decided,
//! as Microsoft's specification (fatgen103) says, by its count of data clusters.

use alloc::format;
use alloc::string::String;

use crate::bytes::{le16, le32, slice, u8_at};
use crate::FsError;

/// Size of the boot sector structure read (the smallest sector).
pub(crate) const BOOT_SECTOR_SIZE: usize = 512;

/// Which FAT a volume uses: the width of its table entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatType {
    /// 12-bit entries: fewer than 4085 clusters.
    Fat12,
    /// 16-bit entries: fewer than 65525 clusters.
    Fat16,
    /// 28-bit entries (in 32 bits): 65525 clusters or more.
    Fat32,
}

/// The BPB fields the reader uses, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BootSector {
    pub fat_type: FatType,
    pub bytes_per_sector: u32,
    pub sectors_per_cluster: u32,
    pub reserved_sectors: u32,
    pub num_fats: u32,
    /// Entries of the fixed FAT12/16 root directory (0 on FAT32).
    pub root_entries: u32,
    pub total_sectors: u64,
    /// Sectors per FAT.
    pub fat_sectors: u64,
    /// FAT32: first cluster of the root directory.
    pub root_cluster: u32,
    /// FAT32: sector of the FSInfo structure (0 or 0xFFFF: none).
    pub fs_info_sector: u32,
    /// FAT32: sector of the backup boot sector (0 or 0xFFFF: none).
    pub backup_sector: u32,
    /// FAT32: the FAT used when mirroring is disabled (`BPB_ExtFlags` bit 7), else 0.
    pub active_fat: u32,
    /// Number of data clusters (clusters 2 ..= count + 1 exist).
    pub cluster_count: u32,
    /// First sector of the fixed root directory (FAT12/16).
    pub root_dir_sector: u64,
    /// First sector of cluster 2.
    pub data_sector: u64,
    /// Volume serial number.
    pub serial: u32,
    /// Volume label from the BPB, blanks trimmed (the root directory's label entry is
    /// the one GRUB reports; this is the fallback).
    pub label: [u8; 11],
}

/// Whether `b` carries the FAT boot sector signature (see the module comment), and
/// whether its type string is FAT32's.
pub(crate) fn signature(b: &[u8]) -> Option<bool> {
    let jump = matches!((u8_at(b, 0)?, u8_at(b, 2)?), (0xEB, 0x90) | (0xE9, _));
    if !jump || slice(b, 510, 2)? != [0x55, 0xAA] {
        return None;
    }
    if slice(b, 82, 5)? == b"FAT32" && u8_at(b, 66)? == 0x29 {
        return Some(true);
    }
    let t = slice(b, 54, 8)?;
    let small = t == b"FAT12   " || t == b"FAT16   " || t == b"FAT     ";
    (small && u8_at(b, 38)? == 0x29).then_some(false)
}

fn corrupt(at: &str, what: String) -> FsError {
    FsError::Corrupt(format!("FAT boot sector at {at}: {what}"))
}

impl BootSector {
    /// Parses and checks a boot sector that has the signature. `at` names where it was
    /// read (the primary or the backup) for messages; `volume_size` is in bytes.
    pub(crate) fn parse(b: &[u8], at: &str, volume_size: u64) -> Result<Self, FsError> {
        let short = || corrupt(at, "short read".into());
        let f16 = |o| le16(b, o).map(u32::from).ok_or_else(short);
        let f8 = |o| u8_at(b, o).map(u32::from).ok_or_else(short);
        let f32_ = |o| le32(b, o).ok_or_else(short);

        let bps = f16(11)?;
        if !matches!(bps, 512 | 1024 | 2048 | 4096) {
            return Err(corrupt(at, format!("{bps} bytes per sector")));
        }
        let spc = f8(13)?;
        if !spc.is_power_of_two() {
            return Err(corrupt(at, format!("{spc} sectors per cluster")));
        }
        let reserved = f16(14)?;
        if reserved == 0 {
            return Err(corrupt(at, "no reserved sectors".into()));
        }
        let num_fats = f8(16)?;
        if !(1..=4).contains(&num_fats) {
            return Err(corrupt(at, format!("{num_fats} FATs")));
        }
        let root_entries = f16(17)?;
        let media = f8(21)?;
        if media != 0xF0 && media < 0xF8 {
            return Err(corrupt(at, format!("media byte {media:#04x}")));
        }
        let total16 = f16(19)?;
        let total = if total16 != 0 { total16 } else { f32_(32)? };
        let fat16 = f16(22)?;
        let is32 = fat16 == 0;
        let fat_sectors = if is32 { f32_(36)? } else { fat16 };
        if total == 0 || fat_sectors == 0 {
            return Err(corrupt(
                at,
                format!("{total} total sectors, {fat_sectors} sectors per FAT"),
            ));
        }
        let bps64 = u64::from(bps);
        let root_bytes = u64::from(root_entries).saturating_mul(32);
        let root_sectors = root_bytes.div_ceil(bps64);
        let fats = u64::from(num_fats).saturating_mul(u64::from(fat_sectors));
        let root_dir_sector = u64::from(reserved).saturating_add(fats);
        let data_sector = root_dir_sector.saturating_add(root_sectors);
        let total = u64::from(total);
        if data_sector >= total {
            return Err(corrupt(
                at,
                format!("metadata ({data_sector} sectors) fills all {total} sectors"),
            ));
        }
        if total.saturating_mul(bps64) > volume_size {
            return Err(corrupt(
                at,
                format!(
                    "{total} sectors of {bps} bytes are larger than its volume ({volume_size} bytes)"
                ),
            ));
        }
        let clusters = total
            .saturating_sub(data_sector)
            .checked_div(u64::from(spc))
            .unwrap_or(0);
        // fatgen103 decides the type by the cluster count alone. A BPB laid out for
        // FAT32 (no 16-bit FAT size) is FAT32 whatever its count, as Linux and GRUB
        // read it (mkfs.fat makes such small FAT32 volumes when asked); among the
        // others, the count decides between FAT12 and FAT16.
        let fat_type = if is32 {
            FatType::Fat32
        } else if clusters < 4085 {
            FatType::Fat12
        } else if clusters < 65525 {
            FatType::Fat16
        } else {
            return Err(corrupt(
                at,
                format!("{clusters} clusters, too many for FAT12/16, in a FAT12/16 BPB"),
            ));
        };
        if clusters == 0 || clusters > 0x0FFF_FFF5 {
            return Err(corrupt(at, format!("{clusters} clusters")));
        }
        let cluster_count = u32::try_from(clusters).map_err(|_| short())?;
        if is32 != (root_entries == 0) {
            return Err(corrupt(
                at,
                format!("{root_entries} root directory entries on {fat_type:?}"),
            ));
        }
        // Every cluster needs a FAT entry (clusters 0 and 1 are reserved entries).
        let bits: u64 = match fat_type {
            FatType::Fat12 => 12,
            FatType::Fat16 => 16,
            FatType::Fat32 => 32,
        };
        let entries = u64::from(fat_sectors)
            .saturating_mul(bps64)
            .saturating_mul(8)
            .checked_div(bits)
            .unwrap_or(0);
        if entries < clusters.saturating_add(2) {
            return Err(corrupt(
                at,
                format!("a FAT of {fat_sectors} sectors cannot map {clusters} clusters"),
            ));
        }

        let (root_cluster, fs_info_sector, backup_sector, active_fat, serial_at, label_at) = if is32
        {
            let ext_flags = f16(40)?;
            let version = f16(42)?;
            if version != 0 {
                return Err(FsError::Unsupported(format!(
                    "FAT32 version {}.{} (boot sector at {at})",
                    version >> 8,
                    version & 0xFF
                )));
            }
            let root = f32_(44)?;
            if root < 2 || u64::from(root) > clusters.saturating_add(1) {
                return Err(corrupt(at, format!("root directory cluster {root}")));
            }
            let active = if ext_flags & 0x80 != 0 {
                ext_flags & 0xF
            } else {
                0
            };
            if active >= num_fats {
                return Err(corrupt(at, format!("active FAT {active} of {num_fats}")));
            }
            (root, f16(48)?, f16(50)?, active, 67, 71)
        } else {
            (0, 0, 0, 0, 39, 43)
        };
        let mut label = [b' '; 11];
        label.copy_from_slice(slice(b, label_at, 11).ok_or_else(short)?);
        Ok(BootSector {
            fat_type,
            bytes_per_sector: bps,
            sectors_per_cluster: spc,
            reserved_sectors: reserved,
            num_fats,
            root_entries,
            total_sectors: total,
            fat_sectors: u64::from(fat_sectors),
            root_cluster,
            fs_info_sector,
            backup_sector,
            active_fat,
            cluster_count,
            root_dir_sector,
            data_sector,
            serial: f32_(serial_at)?,
            label,
        })
    }

    /// Bytes per cluster (at most 128 sectors of 4 KiB).
    pub(crate) fn cluster_size(&self) -> u64 {
        u64::from(self.bytes_per_sector).saturating_mul(u64::from(self.sectors_per_cluster))
    }

    /// Byte offset of cluster `c` (2 ..= count + 1) on the volume.
    pub(crate) fn cluster_offset(&self, c: u32) -> u64 {
        let sector = u64::from(c)
            .saturating_sub(2)
            .saturating_mul(u64::from(self.sectors_per_cluster))
            .saturating_add(self.data_sector);
        sector.saturating_mul(u64::from(self.bytes_per_sector))
    }

    /// Whether `c` names a data cluster.
    pub(crate) fn is_cluster(&self, c: u32) -> bool {
        c >= 2 && u64::from(c) <= u64::from(self.cluster_count).saturating_add(1)
    }

    /// The UUID as GRUB prints it for `search --fs-uuid`: the serial as `XXXX-XXXX`,
    /// uppercase hex.
    pub(crate) fn uuid_string(&self) -> String {
        format!("{:04X}-{:04X}", self.serial >> 16, self.serial & 0xFFFF)
    }
}

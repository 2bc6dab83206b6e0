//! Linux md (software RAID) members: the superblock that makes a partition part of
//! an array, and the array read through one member.
//!
//! Only RAID1 is read: each member holds the whole array, so one member is enough
//! (the array is the member's window from `data_offset`, `data_size` long). Other
//! levels are reported as unsupported, naming the array. Superblocks 0.90 ([`sb090`])
//! and 1.0, 1.1, 1.2 ([`sb1`]) are found where each lives, checksums checked.
//!
//! Names follow GRUB's: a 1.x array with a name is `md/NAME` (a `host:` prefix, the
//! homehost, stripped), a 0.90 array `mdN` by its minor number; both are also
//! `mduuid/UUID`, 32 hex digits, the name `grub-mkconfig` writes into `set root=`.

pub mod sb090;
pub mod sb1;

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::block::{BlockDevice, IoError, Window};

/// The md superblock magic.
pub const MAGIC: u32 = 0xA92B_4EFC;

/// Why an md superblock could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdError {
    /// Damaged.
    Corrupt(String),
    /// Valid, but not something xlboot reads (a level other than RAID1).
    Unsupported(String),
    /// The device could not be read.
    Io(IoError),
}

impl From<IoError> for MdError {
    fn from(e: IoError) -> Self {
        MdError::Io(e)
    }
}

impl fmt::Display for MdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MdError::Corrupt(m) => write!(f, "corrupt md RAID data: {m}"),
            MdError::Unsupported(m) => write!(f, "unsupported md RAID data: {m}"),
            MdError::Io(e) => write!(f, "reading md RAID data: {e}"),
        }
    }
}

/// Superblock versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdVersion {
    /// 0.90, at the end.
    V090,
    /// 1.0, at the end.
    V1_0,
    /// 1.1, at the start.
    V1_1,
    /// 1.2, 4 KiB from the start.
    V1_2,
}

impl fmt::Display for MdVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MdVersion::V090 => "0.90",
            MdVersion::V1_0 => "1.0",
            MdVersion::V1_1 => "1.1",
            MdVersion::V1_2 => "1.2",
        })
    }
}

/// A member's superblock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdMember {
    /// Superblock version.
    pub version: MdVersion,
    /// The array's UUID, in the byte order GRUB prints it.
    pub uuid: [u8; 16],
    /// The array's name (1.x), with any `host:` prefix.
    pub name: Option<String>,
    /// The array's minor number (0.90).
    pub minor: u32,
    /// RAID level (1 for RAID1; -1 linear, 0, 4, 5, 6, 10 ...).
    pub level: i32,
    /// Number of devices in the array.
    pub raid_disks: u32,
    /// Where the array's data starts on the member, in bytes.
    pub data_offset: u64,
    /// How much of the member the array uses, in bytes.
    pub data_size: u64,
    /// Where the superblock was found.
    pub superblock_at: u64,
}

impl MdMember {
    /// GRUB's name: `md/NAME` (homehost stripped) or `mdN`.
    pub fn grub_name(&self) -> String {
        match &self.name {
            Some(n) => format!("md/{}", n.split_once(':').map_or(n.as_str(), |(_, b)| b)),
            None => format!("md{}", self.minor),
        }
    }

    /// GRUB's id name: `mduuid/` and the UUID in hex.
    pub fn grub_id(&self) -> String {
        let mut s = String::from("mduuid/");
        for b in self.uuid {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The array, read through this member: only RAID1.
    pub fn array<D: BlockDevice>(&self, member: D) -> Result<Window<D>, MdError> {
        if self.level != 1 {
            return Err(MdError::Unsupported(format!(
                "({}) is an md RAID level {} array: only RAID1 is read",
                self.grub_name(),
                self.level
            )));
        }
        Window::new(member, self.data_offset, self.data_size).map_err(|_| {
            MdError::Corrupt(format!(
                "({}): data ({} bytes at byte {}) runs past the end of the member",
                self.grub_name(),
                self.data_size,
                self.data_offset
            ))
        })
    }
}

/// Looks for an md superblock on `dev`: 1.2, 1.1, then 1.0 and 0.90 (the two at the
/// end), as mdadm does. `Ok(None)` if there is none.
pub fn probe<D: BlockDevice + ?Sized>(dev: &D) -> Result<Option<MdMember>, MdError> {
    for v in [MdVersion::V1_2, MdVersion::V1_1, MdVersion::V1_0] {
        if let Some(m) = sb1::read(dev, v)? {
            return Ok(Some(m));
        }
    }
    sb090::read(dev)
}

//! GUIDs as GPT stores them: the first three fields little-endian, the last two as
//! bytes ("mixed-endian"), so `21686148-6449-6E6F-744E-656564454649` (BIOS boot) is
//! stored as `48 61 68 21 49 64 6F 6E 74 4E 65 65 64 45 46 49`.

use core::fmt;

/// A GUID in its on-disk byte order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// The all-zero GUID: an unused GPT entry.
    pub const ZERO: Guid = Guid([0; 16]);
    /// BIOS boot partition (where GRUB 2 puts its core image on a BIOS/GPT disk).
    pub const BIOS_BOOT: Guid = Guid::from_fields(0x2168_6148, 0x6449, 0x6E6F, *b"tNeedEFI");
    /// EFI system partition.
    pub const EFI_SYSTEM: Guid = Guid::from_fields(
        0xC12A_7328,
        0xF81F,
        0x11D2,
        [0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B],
    );
    /// Linux filesystem data.
    pub const LINUX_FS: Guid = Guid::from_fields(
        0x0FC6_3DAF,
        0x8483,
        0x4772,
        [0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4],
    );
    /// Linux swap.
    pub const LINUX_SWAP: Guid = Guid::from_fields(
        0x0657_FD6D,
        0xA4AB,
        0x43C4,
        [0x84, 0xE5, 0x09, 0x33, 0xC8, 0x4B, 0x4F, 0x4F],
    );
    /// Linux LVM physical volume.
    pub const LINUX_LVM: Guid = Guid::from_fields(
        0xE6D6_D379,
        0xF507,
        0x44C2,
        [0xA2, 0x3C, 0x23, 0x8F, 0x2A, 0x3D, 0xF9, 0x28],
    );
    /// Linux x86-64 root (Discoverable Partitions Specification).
    pub const LINUX_ROOT_X86_64: Guid = Guid::from_fields(
        0x4F68_BCE3,
        0xE8CD,
        0x4DB1,
        [0x96, 0xE7, 0xFB, 0xCA, 0xF9, 0x84, 0xB7, 0x09],
    );
    /// Extended Boot Loader Partition (`/boot` for BLS).
    pub const XBOOTLDR: Guid = Guid::from_fields(
        0xBC13_C2FF,
        0x59E6,
        0x4262,
        [0xA3, 0x52, 0xB2, 0x75, 0xFD, 0x6F, 0x71, 0x72],
    );

    /// A GUID from its textual fields (`d1-d2-d3-d4[0..2]d4[2..8]`).
    pub const fn from_fields(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
        let a = d1.to_le_bytes();
        let b = d2.to_le_bytes();
        let c = d3.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4],
            d4[5], d4[6], d4[7],
        ])
    }

    /// True for the all-zero GUID.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Guid {
    /// Upper-case canonical form, as `sgdisk` and `blkid` print type GUIDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.0;
        write!(
            f,
            "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
            g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
            g[14], g[15]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bios_boot_layout() {
        assert_eq!(&Guid::BIOS_BOOT.0, b"Hah!IdontNeedEFI");
        assert_eq!(
            Guid::BIOS_BOOT.to_string(),
            "21686148-6449-6E6F-744E-656564454649"
        );
        assert_eq!(
            Guid::LINUX_FS.to_string(),
            "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        );
    }
}

//! Names what a volume holds when it holds no filesystem: an encrypted container,
//! swap, an LVM physical volume, an md RAID member, a disk image format xlboot does
//! not read, nothing at all.
//!
//! Why: a guest installed with an encrypted disk (the Debian installer's "guided - use
//! entire disk and set up encrypted LVM" without a separate /boot, or a /boot inside
//! LUKS with `GRUB_ENABLE_CRYPTODISK`) cannot be booted from dom0 without the guest's
//! key, which xlboot neither has nor asks for. The administrator must be told that, in
//! one line, rather than "no filesystem", which reads like damage. Only the signatures
//! are read (one 4 KiB block and one page-sized block per page size swap knows), never
//! anything they point at.

use xlboot_disk::BlockDevice;

/// LUKS1 and LUKS2 headers start with this (cryptsetup's `LUKS_MAGIC`); a big-endian
/// u16 version follows.
const LUKS_MAGIC: &[u8; 6] = b"LUKS\xba\xbe";
/// BitLocker's volume header: the OEM name at byte 3 of its boot sector.
const BITLOCKER_OEM: &[u8; 8] = b"-FVE-FS-";
/// `mkswap`'s signature, in the last 10 bytes of the first page.
const SWAP_MAGIC: &[u8; 10] = b"SWAPSPACE2";
/// The page sizes swap signatures are written for (blkid checks the same ones).
const SWAP_PAGE_SIZES: [u64; 4] = [4096, 8192, 16384, 65536];
/// LVM2's label: `LABELONE` in one of the first four sectors, `LVM2 001` 24 bytes on.
const LVM_LABEL: &[u8; 8] = b"LABELONE";
const LVM_TYPE: &[u8; 8] = b"LVM2 001";

/// An md superblock's magic (0.90 and 1.x alike), little-endian at its start.
const MD_MAGIC: [u8; 4] = 0xa92b_4efc_u32.to_le_bytes();

/// Disk image formats xlboot does not read, by their magic at byte 0 (QED is one xl.cfg
/// accepts; VMDK's sparse extent and its text descriptor; VHDX's file type identifier,
/// as Hyper-V exports carry it; Parallels' two header versions). VDI keeps its
/// signature at byte 64.
const IMAGE_MAGICS: [(&[u8], &str); 6] = [
    (b"QED\0", "QED"),
    (b"KDMV", "VMDK"),
    (b"# Disk DescriptorFile", "VMDK descriptor"),
    (b"vhdxfile", "VHDX"),
    (b"WithoutFreeSpace", "Parallels"),
    (b"WithouFreSpacExt", "Parallels"),
];
const VDI_SIGNATURE: [u8; 4] = 0xbeda_107f_u32.to_le_bytes();

/// What a volume without a filesystem holds, as far as its signatures tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherContent {
    /// A LUKS container (its header version: 1 or 2).
    Luks(u16),
    /// A BitLocker volume.
    BitLocker,
    /// Linux swap space.
    Swap,
    /// An LVM2 physical volume (its logical volumes are volumes of their own).
    LvmPhysicalVolume,
    /// A member of an md RAID array (its array, when readable, is a volume of its own).
    MdMember,
    /// A disk image in a format xlboot does not read (its name).
    DiskImage(&'static str),
    /// Zero bytes long.
    Empty,
    /// Only zero bytes where every filesystem and container keeps its signature.
    Blank,
}

impl OtherContent {
    /// Whether the volume's contents are encrypted.
    pub fn is_encrypted(self) -> bool {
        matches!(self, OtherContent::Luks(_) | OtherContent::BitLocker)
    }
}

impl core::fmt::Display for OtherContent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OtherContent::Luks(v) => write!(
                f,
                "encrypted (a LUKS{v} container): xlboot cannot read encrypted volumes; \
                 the guest needs an unencrypted /boot"
            ),
            OtherContent::BitLocker => write!(
                f,
                "encrypted (a BitLocker volume): xlboot cannot read encrypted volumes"
            ),
            OtherContent::Swap => write!(f, "Linux swap space, no filesystem"),
            OtherContent::LvmPhysicalVolume => {
                write!(f, "an LVM2 physical volume, no filesystem")
            }
            OtherContent::MdMember => write!(f, "an md RAID member, no filesystem"),
            OtherContent::DiskImage(format) => write!(
                f,
                "a {format} disk image, a format xlboot does not read \
                 (qemu-img convert -O qcow2 or -O raw makes one it reads)"
            ),
            OtherContent::Empty => write!(f, "empty (0 bytes)"),
            OtherContent::Blank => write!(f, "blank (all zeros where signatures would be)"),
        }
    }
}

/// Looks for the signatures of [`OtherContent`] on `dev`. `None`: none of them, or the
/// device could not be read there (the caller's "no filesystem" stands).
pub fn identify<D: BlockDevice + ?Sized>(dev: &D) -> Option<OtherContent> {
    let size = dev.size();
    if size == 0 {
        return Some(OtherContent::Empty);
    }
    let mut head = [0u8; 4096];
    let head_len = usize::try_from(size.min(4096)).unwrap_or(4096);
    let head = head.get_mut(..head_len)?;
    dev.read_exact_at(0, head).ok()?;
    if head.starts_with(LUKS_MAGIC) {
        let version = head
            .get(6..8)
            .and_then(|v| <[u8; 2]>::try_from(v).ok())
            .map_or(0, u16::from_be_bytes);
        return Some(OtherContent::Luks(version));
    }
    if let Some((_, format)) = IMAGE_MAGICS.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(OtherContent::DiskImage(format));
    }
    if head.get(64..68) == Some(VDI_SIGNATURE.as_slice()) {
        return Some(OtherContent::DiskImage("VDI"));
    }
    if head.get(3..11) == Some(BITLOCKER_OEM.as_slice()) {
        return Some(OtherContent::BitLocker);
    }
    let lvm = [0usize, 512, 1024, 1536].iter().any(|&at| {
        head.get(at..).is_some_and(|s| {
            s.get(..8) == Some(LVM_LABEL.as_slice()) && s.get(24..32) == Some(LVM_TYPE.as_slice())
        })
    });
    if lvm {
        return Some(OtherContent::LvmPhysicalVolume);
    }
    if md_superblock(dev, size, head) {
        return Some(OtherContent::MdMember);
    }
    for page in SWAP_PAGE_SIZES {
        let Some(at) = page.checked_sub(10) else {
            continue;
        };
        let mut magic = [0u8; 10];
        if page <= size && dev.read_exact_at(at, &mut magic).is_ok() && &magic == SWAP_MAGIC {
            return Some(OtherContent::Swap);
        }
    }
    if head.iter().all(|&b| b == 0) && blank_beyond_head(dev, size) {
        return Some(OtherContent::Blank);
    }
    None
}

/// Whether an md superblock's magic is where mdadm writes one: at byte 0 (1.1), at 4
/// KiB (1.2), 8 to 12 KiB before the end on a 4 KiB boundary (1.0), or 64 KiB before
/// the end on a 64 KiB boundary (0.90).
fn md_superblock<D: BlockDevice + ?Sized>(dev: &D, size: u64, head: &[u8]) -> bool {
    if head.starts_with(&MD_MAGIC) {
        return true;
    }
    let v1_0 = size.checked_sub(8192).map(|at| at & !4095);
    let v0_90 = (size & !65535).checked_sub(65536);
    [Some(4096), v1_0, v0_90].into_iter().flatten().any(|at| {
        let mut magic = [0u8; 4];
        dev.read_exact_at(at, &mut magic).is_ok() && magic == MD_MAGIC
    })
}

/// Whether the places past the first 4 KiB where the filesystems xlboot reads keep
/// their signatures (ISO9660 at 32 KiB, btrfs at 64 KiB) are zero too.
fn blank_beyond_head<D: BlockDevice + ?Sized>(dev: &D, size: u64) -> bool {
    [32 * 1024u64, 64 * 1024].iter().all(|&at| {
        let mut block = [0u8; 4096];
        let Some(len) = size.checked_sub(at) else {
            return true;
        };
        let len = usize::try_from(len.min(4096)).unwrap_or(4096);
        match block.get_mut(..len) {
            Some(b) => dev.read_exact_at(at, b).is_ok() && b.iter().all(|&x| x == 0),
            None => false,
        }
    })
}

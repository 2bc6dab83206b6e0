//! The LVM2 label: a 32-byte header in one of a physical volume's first four
//! 512-byte sectors that marks it as a PV and says where the PV header is.
//!
//! Layout (little-endian): `"LABELONE"`, the sector it is in (u64), a checksum (u32)
//! over the rest of the sector from byte 20, the PV header's offset from the label's
//! sector (u32), and the type `"LVM2 001"`.

use crate::block::BlockDevice;
use crate::bytes::{array, u32_le, u64_le};
use crate::crc32::Crc32;

use super::{corrupt, LvmError};

/// Size of a label sector.
pub const SECTOR: usize = 512;
/// How many sectors from the start LVM scans for the label.
pub const SCAN_SECTORS: u64 = 4;
/// The initial value of LVM2's checksums (no final XOR is applied).
pub const CRC_INITIAL: u32 = 0xF597_A6CF;

/// LVM2's checksum of `data`.
pub fn lvm_crc(data: &[u8]) -> u32 {
    let mut c = Crc32::with_state(CRC_INITIAL);
    c.update(data);
    c.state()
}

/// A label found and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Byte offset of the label sector on the device.
    pub at: u64,
    /// The label's sector, read whole (the PV header follows the label in it).
    pub sector: [u8; SECTOR],
    /// Offset of the PV header inside [`Label::sector`].
    pub header_offset: usize,
}

impl Label {
    /// Looks for a label in the first four sectors of `dev`. `Ok(None)` if there is
    /// none (not a PV); an error if a label is there but damaged or of another type.
    pub fn find<D: BlockDevice + ?Sized>(dev: &D) -> Result<Option<Label>, LvmError> {
        for n in 0..SCAN_SECTORS {
            let at = n.saturating_mul(SECTOR as u64);
            let mut sector = [0u8; SECTOR];
            if at.saturating_add(SECTOR as u64) > dev.size() {
                return Ok(None);
            }
            dev.read_exact_at(at, &mut sector)?;
            if array::<8>(&sector, 0) != *b"LABELONE" {
                continue;
            }
            if u64_le(&sector, 8) != n {
                return Err(corrupt(at, "LVM label names another sector than its own"));
            }
            let stored = u32_le(&sector, 16);
            let computed = lvm_crc(sector.get(20..).unwrap_or(&[]));
            if stored != computed {
                return Err(corrupt(at, "LVM label checksum does not match"));
            }
            if array::<8>(&sector, 24) != *b"LVM2 001" {
                return Err(LvmError::Unsupported(alloc::format!(
                    "label at byte {at} is of type {:?}, not LVM2 001",
                    alloc::string::String::from_utf8_lossy(&array::<8>(&sector, 24))
                )));
            }
            let header_offset = u32_le(&sector, 20) as usize;
            if !(32..SECTOR).contains(&header_offset) {
                return Err(corrupt(
                    at,
                    "LVM label's PV header offset is outside its sector",
                ));
            }
            return Ok(Some(Label {
                at,
                sector,
                header_offset,
            }));
        }
        Ok(None)
    }
}

//! LVM2 physical volumes, volume groups and logical volumes, read from the guest's
//! disks without the device mapper.
//!
//! A PV is found by its label ([`label`]) in one of its first four sectors; the PV
//! header ([`pv_header`]) after it lists the metadata areas ([`mda_header`]), whose
//! current text ([`text`]) describes the whole volume group ([`metadata`]). Every
//! checksum LVM writes is checked (label, metadata area header, metadata text); of
//! the copies on a VG's PVs, the one with the highest sequence number wins, as in
//! LVM itself.
//!
//! An LV is readable when all its segments are `striped` (one stripe is LVM's
//! linear mapping) and every PV it uses is on a disk given: [`LvDevice`] maps its
//! bytes onto those PVs and is a [`BlockDevice`] like a partition window. Thin,
//! snapshot, RAID, mirror, cache and other segment types are reported as
//! unsupported, naming the LV; so is a snapshot's change store, whose own segments
//! look linear but do not hold a filesystem.
//!
//! Names follow GRUB's: `lvm/VG-LV` with each `-` inside the VG and LV names doubled
//! (as the device mapper does), and `lvmid/VG-UUID/LV-UUID`, the name
//! `grub-mkconfig` writes into `set root=` for an LV.

pub mod label;
pub mod mda_header;
pub mod metadata;
pub mod pv_header;
pub mod text;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::block::{check_range, BlockDevice, IoError};
use label::Label;
use metadata::{LvMeta, SegmentKind, VgMeta};
use pv_header::PvHeader;

/// Why LVM data could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LvmError {
    /// Damaged: a checksum, a location or the metadata contradicts itself.
    Corrupt(String),
    /// Valid, but something xlboot does not read (a thin or RAID LV, ...).
    Unsupported(String),
    /// Over one of our bounds.
    Limit(String),
    /// A PV the LV needs is on none of the disks given.
    MissingPv(String),
    /// The device could not be read.
    Io(IoError),
}

impl From<IoError> for LvmError {
    fn from(e: IoError) -> Self {
        LvmError::Io(e)
    }
}

impl fmt::Display for LvmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LvmError::Corrupt(m) => write!(f, "corrupt LVM data: {m}"),
            LvmError::Unsupported(m) => write!(f, "unsupported LVM data: {m}"),
            LvmError::Limit(m) => write!(f, "LVM data over xlboot's limits: {m}"),
            LvmError::MissingPv(m) => write!(f, "{m}"),
            LvmError::Io(e) => write!(f, "reading LVM data: {e}"),
        }
    }
}

pub(crate) fn corrupt(at: u64, what: &str) -> LvmError {
    LvmError::Corrupt(format!("{what} (at byte {at} of the PV)"))
}

/// A physical volume: its header and the newest VG metadata its areas hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalVolume {
    /// The PV header.
    pub header: PvHeader,
    /// The VG metadata with the highest sequence number among this PV's copies;
    /// `None` for a PV without metadata copies (its VG's other PVs have them), or
    /// whose copies are all damaged.
    pub metadata: Option<VgMeta>,
    /// Why a damaged copy was not used (the PV itself still counts: another PV's
    /// copy of the VG metadata may list it).
    pub metadata_problem: Option<LvmError>,
}

/// Looks for an LVM2 PV on `dev` (a partition or a whole disk). `Ok(None)` if there
/// is no LVM label. A damaged metadata copy is skipped and reported in
/// [`PhysicalVolume::metadata_problem`]; the PV is still returned.
pub fn probe<D: BlockDevice + ?Sized>(dev: &D) -> Result<Option<PhysicalVolume>, LvmError> {
    let Some(label) = Label::find(dev)? else {
        return Ok(None);
    };
    let header = PvHeader::parse(&label)?;
    let mut best: Option<VgMeta> = None;
    let mut first_error = None;
    for loc in &header.metadata_areas {
        let parsed = mda_header::read_text(dev, *loc).and_then(|t| {
            t.map(|t| {
                text::parse(&t)
                    .map_err(|e| {
                        LvmError::Corrupt(format!(
                            "metadata text at byte {} of the PV, byte {} of the text: {}",
                            loc.offset, e.at, e.what
                        ))
                    })
                    .and_then(|top| VgMeta::from_text(&top))
            })
            .transpose()
        });
        match parsed {
            Ok(Some(vg)) => {
                if best.as_ref().is_none_or(|b| vg.seqno > b.seqno) {
                    best = Some(vg);
                }
            }
            Ok(None) => {}
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    Ok(Some(PhysicalVolume {
        header,
        metadata: best,
        metadata_problem: first_error,
    }))
}

/// A volume group put together from the PVs found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeGroup {
    /// The newest metadata of the VG.
    pub meta: VgMeta,
    /// For each of [`VgMeta::pvs`], the caller's index of the device that holds it.
    pub members: Vec<Option<usize>>,
}

/// Groups PVs into VGs. `pvs` are `(caller's device index, PV)`; the newest
/// metadata copy of each VG (by UUID) wins, and each of its PVs is matched by UUID.
pub fn assemble(pvs: &[(usize, &PhysicalVolume)]) -> Vec<VolumeGroup> {
    let mut groups: Vec<VolumeGroup> = Vec::new();
    for (_, pv) in pvs {
        let Some(meta) = &pv.metadata else { continue };
        match groups.iter_mut().find(|g| g.meta.id == meta.id) {
            Some(g) if meta.seqno > g.meta.seqno => g.meta = meta.clone(),
            Some(_) => {}
            None => groups.push(VolumeGroup {
                meta: meta.clone(),
                members: Vec::new(),
            }),
        }
    }
    for g in &mut groups {
        g.members = g
            .meta
            .pvs
            .iter()
            .map(|m| {
                pvs.iter()
                    .find(|(_, pv)| pv.header.uuid == m.uuid)
                    .map(|(i, _)| *i)
            })
            .collect();
    }
    groups
}

/// Doubles each `-`, as GRUB and the device mapper do in `VG-LV` names.
fn escape_dashes(name: &str) -> String {
    name.replace('-', "--")
}

impl VolumeGroup {
    /// The visible LVs (hidden ones are parts of pools, mirrors and the like).
    pub fn visible_lvs(&self) -> impl Iterator<Item = &LvMeta> {
        self.meta.lvs.iter().filter(|l| l.visible)
    }

    /// GRUB's name for `lv`: `lvm/VG-LV`, dashes in the names doubled.
    pub fn grub_name(&self, lv: &LvMeta) -> String {
        format!(
            "lvm/{}-{}",
            escape_dashes(&self.meta.name),
            escape_dashes(&lv.name)
        )
    }

    /// GRUB's id name for `lv`: `lvmid/VG-UUID/LV-UUID`.
    pub fn grub_id(&self, lv: &LvMeta) -> String {
        format!("lvmid/{}/{}", self.meta.id, lv.id)
    }

    /// A device reading `lv` through the PVs in `devices` (indexed as in
    /// [`VolumeGroup::members`]).
    pub fn open<D: BlockDevice + Clone>(
        &self,
        lv: &LvMeta,
        devices: &[D],
    ) -> Result<LvDevice<D>, LvmError> {
        let name = self.grub_name(lv);
        if let Some(origin) = &lv.snapshot_of {
            return Err(LvmError::Unsupported(format!(
                "({name}) holds the changes of a snapshot of {origin}: snapshots are not supported"
            )));
        }
        if let Some(other) = lv.segments.iter().find_map(|s| match &s.kind {
            SegmentKind::Other(t) => Some(t),
            SegmentKind::Striped { .. } => None,
        }) {
            return Err(LvmError::Unsupported(format!(
                "({name}) is a {other} volume: only linear and striped volumes are supported"
            )));
        }
        let extent_bytes = self.meta.extent_size.saturating_mul(512);
        let mut used: Vec<D> = Vec::new();
        let mut used_index: Vec<usize> = Vec::new();
        let mut pieces = Vec::new();
        for seg in &lv.segments {
            let SegmentKind::Striped {
                stripe_size,
                stripes,
            } = &seg.kind
            else {
                continue;
            };
            let too_big = || LvmError::Corrupt(format!("({name}): segment sizes overflow"));
            let start = seg
                .start_extent
                .checked_mul(extent_bytes)
                .ok_or_else(too_big)?;
            let len = seg
                .extent_count
                .checked_mul(extent_bytes)
                .ok_or_else(too_big)?;
            let count = stripes.len() as u64;
            let per_stripe = len.checked_div(count).ok_or_else(too_big)?;
            let mut areas = Vec::new();
            for (pv_index, pe) in stripes {
                let pv = self.meta.pvs.get(*pv_index).ok_or_else(too_big)?;
                let Some(Some(dev_index)) = self.members.get(*pv_index) else {
                    return Err(LvmError::MissingPv(format!(
                        "({name}) needs physical volume {} (UUID {}) of volume group {}, which is on none of the disks given (pass further disks with --disk=PATH)",
                        pv.name, pv.uuid, self.meta.name
                    )));
                };
                let dev = devices.get(*dev_index).ok_or_else(too_big)?;
                let offset = pv
                    .pe_start
                    .checked_mul(512)
                    .and_then(|s| pe.checked_mul(extent_bytes).and_then(|o| s.checked_add(o)))
                    .ok_or_else(too_big)?;
                if offset
                    .checked_add(per_stripe)
                    .is_none_or(|end| end > dev.size())
                {
                    return Err(LvmError::Corrupt(format!(
                        "({name}): extents of {} run past the end of its device",
                        pv.name
                    )));
                }
                let slot = match used_index.iter().position(|i| i == dev_index) {
                    Some(s) => s,
                    None => {
                        used_index.push(*dev_index);
                        used.push(dev.clone());
                        used_index.len().saturating_sub(1)
                    }
                };
                areas.push((slot, offset));
            }
            let chunk = if count > 1 {
                stripe_size.saturating_mul(512)
            } else {
                len
            };
            if count > 1 && per_stripe.checked_rem(chunk) != Some(0) {
                return Err(LvmError::Corrupt(format!(
                    "({name}): a stripe is not a whole number of stripe chunks"
                )));
            }
            pieces.push(Piece {
                start,
                len,
                chunk,
                areas,
            });
        }
        let size = pieces.last().map_or(0, |p| p.start.saturating_add(p.len));
        Ok(LvDevice {
            devices: used,
            pieces,
            size,
        })
    }
}

/// One segment of an LV, in bytes.
#[derive(Debug, Clone)]
struct Piece {
    /// First byte of the LV it covers.
    start: u64,
    /// Bytes it covers.
    len: u64,
    /// Stripe chunk in bytes (the whole segment when there is one stripe).
    chunk: u64,
    /// Per stripe: (index into [`LvDevice::devices`], byte offset there).
    areas: Vec<(usize, u64)>,
}

/// A logical volume read through its PVs: a [`BlockDevice`] whose bytes are mapped
/// segment by segment, and within a striped segment chunk by chunk, onto the PVs.
#[derive(Debug, Clone)]
pub struct LvDevice<D> {
    devices: Vec<D>,
    pieces: Vec<Piece>,
    size: u64,
}

impl<D: BlockDevice> BlockDevice for LvDevice<D> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        check_range(offset, buf.len(), self.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset.saturating_add(done as u64);
            let out_of_range = IoError::OutOfRange {
                offset: pos,
                len: 1,
                size: self.size,
            };
            // Pieces are contiguous from 0 and sorted: the last one starting at or
            // before `pos` holds it.
            let i = self.pieces.partition_point(|p| p.start <= pos);
            let piece = i
                .checked_sub(1)
                .and_then(|i| self.pieces.get(i))
                .ok_or(out_of_range.clone())?;
            let rel = pos.saturating_sub(piece.start);
            let k = piece.areas.len() as u64;
            let chunk_no = rel.checked_div(piece.chunk).ok_or(out_of_range.clone())?;
            let in_chunk = rel.checked_rem(piece.chunk).ok_or(out_of_range.clone())?;
            let stripe = chunk_no.checked_rem(k).ok_or(out_of_range.clone())?;
            let row = chunk_no.checked_div(k).ok_or(out_of_range.clone())?;
            let (dev, base) = piece
                .areas
                .get(usize::try_from(stripe).unwrap_or(usize::MAX))
                .copied()
                .ok_or(out_of_range.clone())?;
            let dev = self.devices.get(dev).ok_or(out_of_range.clone())?;
            let at = base
                .saturating_add(row.saturating_mul(piece.chunk))
                .saturating_add(in_chunk);
            let left_in_chunk = piece.chunk.saturating_sub(in_chunk);
            let left_in_piece = piece.len.saturating_sub(rel);
            let want = (buf.len().saturating_sub(done) as u64)
                .min(left_in_chunk)
                .min(left_in_piece)
                .max(1);
            let n = usize::try_from(want).unwrap_or(1);
            let end = done.saturating_add(n);
            let part = buf.get_mut(done..end).ok_or(out_of_range)?;
            dev.read_exact_at(at, part)?;
            done = end;
        }
        Ok(())
    }
}

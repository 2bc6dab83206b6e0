//! The volume group a metadata text describes: its physical volumes, logical volumes
//! and their segments, checked for consistency before anything is read through them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::text::{Section, Value};
use super::LvmError;

/// Most physical volumes, logical volumes, and segments per LV accepted.
pub const MAX_PVS: usize = 256;
/// Most logical volumes in one VG.
pub const MAX_LVS: usize = 1024;
/// Most segments in one LV.
pub const MAX_SEGMENTS: usize = 1024;
/// Most stripes in one segment.
pub const MAX_STRIPES: usize = 128;

/// A physical volume as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvMeta {
    /// Its name inside the metadata (`pv0`).
    pub name: String,
    /// UUID without dashes, as in the PV header.
    pub uuid: String,
    /// Start of the first extent, in 512-byte sectors from the PV's start.
    pub pe_start: u64,
    /// Number of extents.
    pub pe_count: u64,
}

/// Where a segment's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentKind {
    /// `striped` (with one stripe: linear): the stripes as (index into
    /// [`VgMeta::pvs`], first extent on that PV), and the stripe size in sectors.
    Striped {
        /// Stripe size in 512-byte sectors (0 with a single stripe).
        stripe_size: u64,
        /// One entry per stripe.
        stripes: Vec<(usize, u64)>,
    },
    /// Another segment type (thin, snapshot, raid1, mirror, cache, ...).
    Other(String),
}

/// One segment of an LV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// First extent of the LV it covers.
    pub start_extent: u64,
    /// Number of LV extents it covers.
    pub extent_count: u64,
    /// Its type and data.
    pub kind: SegmentKind,
}

/// A logical volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LvMeta {
    /// Its name.
    pub name: String,
    /// Its UUID, with dashes (as in GRUB's `lvmid/` names).
    pub id: String,
    /// Has the VISIBLE status flag (hidden LVs are a pool's or a mirror's parts).
    pub visible: bool,
    /// Segments in LV order.
    pub segments: Vec<Segment>,
    /// The LV holds a snapshot's changes (a `snapshot` segment elsewhere names it
    /// as `cow_store`): its data is not a filesystem.
    pub snapshot_of: Option<String>,
}

/// A volume group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VgMeta {
    /// Its name.
    pub name: String,
    /// Its UUID, with dashes.
    pub id: String,
    /// Metadata sequence number: the highest copy wins.
    pub seqno: u64,
    /// Extent size in 512-byte sectors.
    pub extent_size: u64,
    /// Physical volumes.
    pub pvs: Vec<PvMeta>,
    /// Logical volumes.
    pub lvs: Vec<LvMeta>,
}

fn bad(vg: &str, what: String) -> LvmError {
    LvmError::Corrupt(format!("volume group {vg}: {what}"))
}

fn uint(s: &Section, key: &str, vg: &str, owner: &str) -> Result<u64, LvmError> {
    s.int(key)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| bad(vg, format!("{owner}: no valid {key}")))
}

impl VgMeta {
    /// The VG described by a parsed metadata text: the one section at the top level.
    pub fn from_text(top: &Section) -> Result<VgMeta, LvmError> {
        let mut vgs = top.sections();
        let (name, vg) = vgs
            .next()
            .ok_or_else(|| LvmError::Corrupt("metadata text names no volume group".into()))?;
        if vgs.next().is_some() {
            return Err(LvmError::Corrupt(
                "metadata text names several volume groups".into(),
            ));
        }
        let id = vg
            .str("id")
            .ok_or_else(|| bad(name, "no id".into()))?
            .to_string();
        let seqno = uint(vg, "seqno", name, "VG")?;
        let extent_size = uint(vg, "extent_size", name, "VG")?;
        if !(8..=(1 << 32)).contains(&extent_size) {
            return Err(bad(name, format!("extent size {extent_size} sectors")));
        }
        if vg.str("format").is_some_and(|f| f != "lvm2") {
            return Err(LvmError::Unsupported(format!(
                "volume group {name} has format {:?}",
                vg.str("format").unwrap_or_default()
            )));
        }
        let mut pvs = Vec::new();
        if let Some(list) = vg.section("physical_volumes") {
            for (pv_name, pv) in list.sections() {
                if pvs.len() >= MAX_PVS {
                    return Err(LvmError::Limit(format!(
                        "volume group {name}: more than {MAX_PVS} PVs"
                    )));
                }
                let uuid: String = pv
                    .str("id")
                    .ok_or_else(|| bad(name, format!("{pv_name}: no id")))?
                    .chars()
                    .filter(|c| *c != '-')
                    .collect();
                pvs.push(PvMeta {
                    name: pv_name.to_string(),
                    uuid,
                    pe_start: uint(pv, "pe_start", name, pv_name)?,
                    pe_count: uint(pv, "pe_count", name, pv_name)?,
                });
            }
        }
        let mut lvs = Vec::new();
        if let Some(list) = vg.section("logical_volumes") {
            for (lv_name, lv) in list.sections() {
                if lvs.len() >= MAX_LVS {
                    return Err(LvmError::Limit(format!(
                        "volume group {name}: more than {MAX_LVS} LVs"
                    )));
                }
                lvs.push(parse_lv(name, lv_name, lv, &pvs)?);
            }
        }
        // A snapshot segment names its origin and the LV holding its changes.
        let mut cows = Vec::new();
        for lv in &lvs {
            if let Some(l) = list_section(vg, &lv.name) {
                for (_, seg) in l.sections() {
                    if seg.str("type") == Some("snapshot") {
                        if let (Some(cow), Some(origin)) = (seg.str("cow_store"), seg.str("origin"))
                        {
                            cows.push((cow.to_string(), origin.to_string()));
                        }
                    }
                }
            }
        }
        for (cow, origin) in cows {
            if let Some(lv) = lvs.iter_mut().find(|l| l.name == cow) {
                lv.snapshot_of = Some(origin);
            }
        }
        Ok(VgMeta {
            name: name.to_string(),
            id,
            seqno,
            extent_size,
            pvs,
            lvs,
        })
    }
}

fn list_section<'s>(vg: &'s Section, lv: &str) -> Option<&'s Section> {
    vg.section("logical_volumes")?.section(lv)
}

fn parse_lv(vg: &str, name: &str, lv: &Section, pvs: &[PvMeta]) -> Result<LvMeta, LvmError> {
    let owner = format!("LV {name}");
    let id = lv
        .str("id")
        .ok_or_else(|| bad(vg, format!("{owner}: no id")))?
        .to_string();
    let count = uint(lv, "segment_count", vg, &owner)?;
    if count == 0 || count > MAX_SEGMENTS as u64 {
        return Err(bad(vg, format!("{owner}: segment_count {count}")));
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut next_extent = 0u64;
    for i in 1..=count {
        let seg_name = format!("segment{i}");
        let seg = lv
            .section(&seg_name)
            .ok_or_else(|| bad(vg, format!("{owner}: no {seg_name}")))?;
        let where_ = format!("{owner} {seg_name}");
        let start_extent = uint(seg, "start_extent", vg, &where_)?;
        let extent_count = uint(seg, "extent_count", vg, &where_)?;
        if start_extent != next_extent || extent_count == 0 {
            return Err(bad(
                vg,
                format!("{where_}: does not follow the previous segment"),
            ));
        }
        next_extent = start_extent
            .checked_add(extent_count)
            .ok_or_else(|| bad(vg, format!("{where_}: extent count overflows")))?;
        let ty = seg
            .str("type")
            .ok_or_else(|| bad(vg, format!("{where_}: no type")))?;
        let kind = if ty == "striped" {
            parse_stripes(vg, &where_, seg, extent_count, pvs)?
        } else {
            SegmentKind::Other(ty.to_string())
        };
        segments.push(Segment {
            start_extent,
            extent_count,
            kind,
        });
    }
    Ok(LvMeta {
        name: name.to_string(),
        id,
        visible: lv.has_flag("status", "VISIBLE"),
        segments,
        snapshot_of: None,
    })
}

fn parse_stripes(
    vg: &str,
    where_: &str,
    seg: &Section,
    extent_count: u64,
    pvs: &[PvMeta],
) -> Result<SegmentKind, LvmError> {
    let stripe_count = uint(seg, "stripe_count", vg, where_)?;
    let list = seg
        .array("stripes")
        .ok_or_else(|| bad(vg, format!("{where_}: no stripes")))?;
    if stripe_count == 0
        || stripe_count > MAX_STRIPES as u64
        || list.len() as u64 != stripe_count.saturating_mul(2)
    {
        return Err(bad(
            vg,
            format!("{where_}: {stripe_count} stripes, {} values", list.len()),
        ));
    }
    if extent_count.checked_rem(stripe_count) != Some(0) {
        return Err(bad(
            vg,
            format!("{where_}: {extent_count} extents over {stripe_count} stripes"),
        ));
    }
    let per_stripe = extent_count.checked_div(stripe_count).unwrap_or(0);
    let stripe_size = if stripe_count > 1 {
        let s = uint(seg, "stripe_size", vg, where_)?;
        if s < 8 || !s.is_power_of_two() || s > (1 << 22) {
            return Err(bad(vg, format!("{where_}: stripe size {s} sectors")));
        }
        s
    } else {
        0
    };
    let mut stripes = Vec::new();
    for pair in list.chunks(2) {
        let (Some(Value::Str(pv_name)), Some(Value::Int(pe))) = (pair.first(), pair.get(1)) else {
            return Err(bad(vg, format!("{where_}: a stripe is not \"pv\", extent")));
        };
        let pe = u64::try_from(*pe).map_err(|_| bad(vg, format!("{where_}: negative extent")))?;
        let index = pvs
            .iter()
            .position(|p| &p.name == pv_name)
            .ok_or_else(|| bad(vg, format!("{where_}: unknown PV {pv_name}")))?;
        let end = pe.checked_add(per_stripe);
        if end.is_none_or(|e| pvs.get(index).is_none_or(|p| e > p.pe_count)) {
            return Err(bad(
                vg,
                format!("{where_}: runs past the extents of {pv_name}"),
            ));
        }
        stripes.push((index, pe));
    }
    Ok(SegmentKind::Striped {
        stripe_size,
        stripes,
    })
}

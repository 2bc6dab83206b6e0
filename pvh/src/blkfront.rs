//! The block frontend: one `device/vbd/N` of this domain, connected to its backend
//! (blkback in dom0) through the XenbusState handshake, read a request at a time.
//!
//! Handshake (`xen/include/public/io/blkif.h`): wait for the backend to reach
//! InitWait; publish `ring-ref`, `event-channel` and `protocol`, then state
//! Initialised; wait for the backend to reach Connected and read the disk's size; then
//! state Connected. The ring page and eleven data pages are granted once and reused
//! for every request.
//!
//! Before the hand-over [`Blkfront::disconnect`] takes the device back to the state a
//! new one is in (`xlboot_xen::frontend_reset`), for the kernel's own driver.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use xlboot_xen::blkif::{self, FrontRing, Segment};
use xlboot_xen::frontend_reset::{Progress, ResetStep, CONNECTION_NODES, RESET_STEPS};
use xlboot_xen::xenbus_state::XenbusState;
use xlboot_xen::{SharedMemory, PAGE_SIZE};

use crate::grant::GrantTable;
use crate::patience::Patience;
use crate::platform::hypercall;
use crate::platform::shared_page::SharedPage;
use crate::xenstore::Xenstore;

/// The largest read one request carries.
pub const MAX_READ: usize = blkif::MAX_SEGMENTS * PAGE_SIZE;

/// A connected block device.
pub struct Blkfront {
    /// `device/vbd/N`.
    pub node: String,
    /// The backend's xenstore directory.
    pub backend: String,
    /// Size in 512-byte sectors.
    pub sectors: u64,
    /// The backend's sector size (reads are still addressed in 512-byte units).
    pub sector_size: u64,
    handle: u16,
    ring_page: SharedPage,
    ring_ref: u32,
    ring: FrontRing,
    port: u32,
    data: Vec<(SharedPage, u32)>,
    next_id: u64,
}

/// Reads the `state` node under `dir`.
fn read_state(xs: &mut Xenstore, dir: &str) -> Result<XenbusState, String> {
    let path = format!("{dir}/state");
    let value = xs.read(&path)?;
    XenbusState::parse(&value).ok_or_else(|| {
        format!(
            "{path}: '{}' is not a XenbusState",
            String::from_utf8_lossy(&value).escape_debug()
        )
    })
}

fn wait_for_state(
    xs: &mut Xenstore,
    node: &str,
    wanted: XenbusState,
    what: &'static str,
) -> Result<XenbusState, String> {
    let mut patience = Patience::new(what);
    loop {
        let state = read_state(xs, node)?;
        if state == wanted {
            return Ok(state);
        }
        if matches!(state, XenbusState::Closing | XenbusState::Closed) {
            return Err(format!(
                "{node}/state: the backend is closing (state {})",
                state.as_str()
            ));
        }
        patience.wait()?;
    }
}

impl Blkfront {
    /// Connects `device/vbd/<id>`.
    pub fn connect(
        xs: &mut Xenstore,
        grants: &mut GrantTable,
        id: &str,
    ) -> Result<Blkfront, String> {
        let node = format!("device/vbd/{id}");
        let backend = xs.read_text(&format!("{node}/backend"))?;
        let backend_id = xs.read_number(&format!("{node}/backend-id"))?;
        let backend_id = u16::try_from(backend_id)
            .map_err(|_| format!("{node}/backend-id: {backend_id} is not a domain id"))?;
        let handle = id
            .parse::<u32>()
            .map_err(|_| format!("{node}: not a device number"))?;
        wait_for_state(
            xs,
            &backend,
            XenbusState::InitWait,
            "the block backend (InitWait)",
        )?;

        let ring_page = SharedPage::alloc();
        let ring = FrontRing::init(&ring_page);
        let ring_ref = grants.grant(backend_id, &ring_page, false)?;
        let mut data = Vec::with_capacity(blkif::MAX_SEGMENTS);
        for _ in 0..blkif::MAX_SEGMENTS {
            let page = SharedPage::alloc();
            let gref = grants.grant(backend_id, &page, false)?;
            data.push((page, gref));
        }
        let port = hypercall::evtchn_alloc_unbound(backend_id)
            .map_err(|e| format!("{node}: no event channel (error {})", e.0))?;
        xs.write(&format!("{node}/ring-ref"), &format!("{ring_ref}"))?;
        xs.write(&format!("{node}/event-channel"), &format!("{port}"))?;
        xs.write(&format!("{node}/protocol"), "x86_64-abi")?;
        xs.write(&format!("{node}/state"), XenbusState::Initialised.as_str())?;
        wait_for_state(
            xs,
            &backend,
            XenbusState::Connected,
            "the block backend (Connected)",
        )?;
        let sectors = xs.read_number(&format!("{backend}/sectors"))?;
        let sector_size = xs
            .read_number(&format!("{backend}/sector-size"))
            .unwrap_or(512);
        xs.write(&format!("{node}/state"), XenbusState::Connected.as_str())?;
        Ok(Blkfront {
            node,
            backend,
            sectors,
            sector_size,
            // blkif's handle is 16 bits; blkback does not check it.
            handle: handle as u16,
            ring_page,
            ring_ref,
            ring,
            port,
            data,
            next_id: 1,
        })
    }

    /// Takes the device back to where the loader found it, as blkback and the next
    /// kernel's xen-blkfront expect (`xlboot_xen::frontend_reset`): frontend Closing,
    /// Closed (blkback unmaps the ring and data pages and unbinds the event channel),
    /// then the grants ended, the event channel closed, `ring-ref`, `event-channel`
    /// and `protocol` removed, and frontend Initialising with the backend back in
    /// InitWait. Every wait is bounded; the error names the device and the state the
    /// backend stayed in.
    pub fn disconnect(self, xs: &mut Xenstore, grants: &mut GrantTable) -> Result<(), String> {
        let node = &self.node;
        if self.ring.outstanding() != 0 {
            return Err(format!(
                "{node}: {} requests still in flight before the hand-over",
                self.ring.outstanding()
            ));
        }
        let (closing, closed, initialising) = (&RESET_STEPS[0], &RESET_STEPS[1], &RESET_STEPS[2]);
        self.reset_step(xs, closing)?;
        self.reset_step(xs, closed)?;
        grants.end(self.ring_ref, node)?;
        for (_, gref) in &self.data {
            grants.end(*gref, node)?;
        }
        hypercall::evtchn_close(self.port).map_err(|e| {
            format!(
                "{node}: cannot close event channel {} (error {})",
                self.port, e.0
            )
        })?;
        for name in CONNECTION_NODES {
            xs.remove(&format!("{node}/{name}"))?;
        }
        self.reset_step(xs, initialising)
    }

    /// Writes the frontend state of `step` and waits (bounded) for the backend.
    fn reset_step(&self, xs: &mut Xenstore, step: &ResetStep) -> Result<(), String> {
        let node = &self.node;
        xs.write(&format!("{node}/state"), step.frontend.as_str())?;
        let mut patience = Patience::new("the block backend (disconnecting)");
        loop {
            let backend = read_state(xs, &self.backend)?;
            let wait = match step.progress(backend) {
                Progress::Done => return Ok(()),
                Progress::Gone => Err(String::from("it is being removed")),
                Progress::Waiting => patience.wait(),
            };
            wait.map_err(|why| {
                format!(
                    "{node}: after the frontend went {} ({}), the backend {} stayed in state {} ({}) instead of {} ({}): {why}",
                    step.frontend.name(),
                    step.frontend.as_str(),
                    self.backend,
                    backend.name(),
                    backend.as_str(),
                    step.wanted.name(),
                    step.wanted.as_str(),
                )
            })?;
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.sectors.saturating_mul(blkif::SECTOR)
    }

    /// Reads `out.len()` bytes (a multiple of 512, at most [`MAX_READ`]) from 512-byte
    /// sector `sector`.
    pub fn read(&mut self, sector: u64, out: &mut [u8]) -> Result<(), String> {
        if out.is_empty() || out.len() > MAX_READ || out.len() % 512 != 0 {
            return Err(format!(
                "{}: a read of {} bytes cannot be one request",
                self.node,
                out.len()
            ));
        }
        let mut segments = Vec::with_capacity(blkif::MAX_SEGMENTS);
        for (chunk, (_, gref)) in out.chunks(PAGE_SIZE).zip(&self.data) {
            let (first_sect, last_sect) = blkif::segment_sectors(0, chunk.len())
                .ok_or_else(|| format!("{}: bad segment", self.node))?;
            segments.push(Segment {
                gref: *gref,
                first_sect,
                last_sect,
            });
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.ring
            .push_read(&self.ring_page, self.handle, id, sector, &segments)
            .map_err(|e| format!("{}: {e}", self.node))?;
        let _ = hypercall::evtchn_send(self.port);
        let mut patience = Patience::new("the block backend (read)");
        let response = loop {
            match self
                .ring
                .take_response(&self.ring_page)
                .map_err(|e| format!("{}: {e}", self.node))?
            {
                Some(r) => break r,
                None => patience.wait()?,
            }
        };
        if response.id != id {
            return Err(format!(
                "{}: {}",
                self.node,
                blkif::BlkError::UnknownId(response.id)
            ));
        }
        if response.status != 0 {
            return Err(format!(
                "{}: {} (sector {sector}, {} bytes)",
                self.node,
                blkif::BlkError::Status {
                    id,
                    status: response.status
                },
                out.len()
            ));
        }
        for (chunk, (page, _)) in out.chunks_mut(PAGE_SIZE).zip(&self.data) {
            page.read_bytes(0, chunk);
        }
        Ok(())
    }
}

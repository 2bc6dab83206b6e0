//! A xenstore client over the shared ring the HVM parameters name: one request at a
//! time, outside transactions, no watches (the loader polls the nodes it waits on), so
//! there is never a watch to remove before the hand-over.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use xlboot_xen::xenstore::{ring, wire};

use crate::patience::Patience;
use crate::platform::hypercall;
use crate::platform::shared_page::SharedPage;

/// `HVM_PARAM_STORE_PFN`.
const STORE_PFN: u32 = 1;
/// `HVM_PARAM_STORE_EVTCHN`.
const STORE_EVTCHN: u32 = 2;
/// Watch events skipped while waiting for one reply (none are asked for).
const MAX_SKIPPED: u32 = 64;

/// The connection to xenstored.
pub struct Xenstore {
    page: SharedPage,
    port: u32,
    next_id: u32,
}

impl Xenstore {
    /// Finds the ring.
    pub fn open() -> Result<Xenstore, String> {
        let (page, port) = SharedPage::from_hvm_params(STORE_PFN, STORE_EVTCHN)
            .map_err(|e| format!("no xenstore ring (HVM parameter error {})", e.0))?;
        Ok(Xenstore {
            page,
            port,
            next_id: 1,
        })
    }

    fn notify(&self) {
        let _ = hypercall::evtchn_send(self.port);
    }

    fn transact(&mut self, kind: wire::Kind, parts: &[&[u8]]) -> Result<Vec<u8>, String> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let request = wire::request(kind, id, parts).map_err(|e| e.to_string())?;
        let mut rest = request.as_slice();
        let mut patience = Patience::new("xenstored (request)");
        while !rest.is_empty() {
            let n = ring::send(&self.page, rest).map_err(|e| format!("xenstore {e}"))?;
            rest = rest.get(n..).unwrap_or(&[]);
            self.notify();
            if n == 0 {
                patience.wait()?;
            }
        }
        for _ in 0..MAX_SKIPPED {
            let mut header = [0u8; wire::HEADER_LEN];
            self.receive_exact(&mut header)?;
            let header = wire::Header::parse(&header).map_err(|e| e.to_string())?;
            let mut payload = vec![0u8; header.len as usize];
            self.receive_exact(&mut payload)?;
            if let Some(answer) =
                wire::answer(&header, payload, kind, id).map_err(|e| e.to_string())?
            {
                return Ok(answer);
            }
        }
        Err("xenstored sent only watch events".to_string())
    }

    fn receive_exact(&mut self, out: &mut [u8]) -> Result<(), String> {
        let mut filled = 0;
        let mut patience = Patience::new("xenstored (reply)");
        while filled < out.len() {
            let n = ring::receive(&self.page, out.get_mut(filled..).unwrap_or(&mut []))
                .map_err(|e| format!("xenstore {e}"))?;
            if n == 0 {
                patience.wait()?;
            } else {
                filled += n;
                self.notify();
            }
        }
        Ok(())
    }

    /// A node's value.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, String> {
        self.transact(wire::Kind::Read, &[path.as_bytes(), b"\0"])
            .map_err(|e| format!("{path}: {e}"))
    }

    /// A node's value as text.
    pub fn read_text(&mut self, path: &str) -> Result<String, String> {
        let value = self.read(path)?;
        wire::text(&value)
            .map(String::from)
            .map_err(|e| format!("{path}: {e}"))
    }

    /// A node's value as a decimal number.
    pub fn read_number(&mut self, path: &str) -> Result<u64, String> {
        let text = self.read_text(path)?;
        text.trim()
            .parse()
            .map_err(|_| format!("{path}: '{}' is not a number", text.escape_debug()))
    }

    /// A node's children.
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, String> {
        let list = self
            .transact(wire::Kind::Directory, &[path.as_bytes(), b"\0"])
            .map_err(|e| format!("{path}: {e}"))?;
        wire::directory(&list).map_err(|e| format!("{path}: {e}"))
    }

    /// Removes a node (`XS_RM`).
    pub fn remove(&mut self, path: &str) -> Result<(), String> {
        self.transact(wire::Kind::Rm, &[path.as_bytes(), b"\0"])
            .map(drop)
            .map_err(|e| format!("{path}: {e}"))
    }

    /// Leaves the ring as the next kernel's xenbus expects it (`xb_init_comms`):
    /// every request taken by xenstored, every reply read. Replies are read whole by
    /// each request, so anything left is a message nobody asked for: it is read and
    /// dropped (at most a ring's worth). The event channel stays open: it is the HVM
    /// parameter's, which the kernel uses too.
    pub fn quiesce(self) -> Result<(), String> {
        let mut patience = Patience::new("xenstored (taking the last request)");
        let mut dropped = 0u32;
        loop {
            let left = ring::pending(&self.page).map_err(|e| format!("xenstore {e}"))?;
            if left.requests == 0 && left.responses == 0 {
                if dropped > 0 {
                    crate::println!("xenstore: dropped {dropped} unrequested bytes");
                }
                return Ok(());
            }
            if left.responses > 0 && dropped < ring::SIZE {
                let mut sink = [0u8; ring::SIZE as usize];
                let n = left.responses.min(ring::SIZE - dropped) as usize;
                let n = ring::receive(&self.page, &mut sink[..n])
                    .map_err(|e| format!("xenstore {e}"))?;
                dropped += n as u32;
                self.notify();
                continue;
            }
            self.notify();
            patience.wait().map_err(|e| {
                format!(
                    "xenstore ring not quiet before the hand-over ({} request and {} reply bytes left): {e}",
                    left.requests, left.responses
                )
            })?;
        }
    }

    /// Writes a node.
    pub fn write(&mut self, path: &str, value: &str) -> Result<(), String> {
        self.transact(
            wire::Kind::Write,
            &[path.as_bytes(), b"\0", value.as_bytes()],
        )
        .map(drop)
        .map_err(|e| format!("{path}: {e}"))
    }
}

//! Handing a split device back: the XenbusState steps that take a connected frontend
//! (the loader's block frontend) back to the state a freshly created device is in, so
//! that the next driver (the booted kernel's xen-blkfront) connects as if it were the
//! first.
//!
//! The sequence is Mini-OS's `shutdown_blkfront` and Linux's `xenbus_reset_frontend`
//! (what a kexec'd kernel does to devices a previous kernel left connected), and it is
//! what blkback's `frontend_changed` answers:
//!
//! | frontend writes | blkback does | wait for backend |
//! | --- | --- | --- |
//! | Closing (5) | switches to Closing | Closing (or Closed) |
//! | Closed (6) | unmaps the ring and data pages, unbinds the event channel, switches to Closed (and stays, as the toolstack's `online` node is 1) | Closed |
//! | Initialising (1) | "prepare for reconnect": switches to InitWait | InitWait (2) |
//!
//! Each step waits for the backend before the next: blkback reacts to the state it
//! reads when its watch fires, so a frontend that went Closing and Closed at once
//! could be seen only as Closed. Linux's xenbus ignores a `device/vbd/N` whose
//! frontend state is not Initialising when it probes, and xen-blkfront connects
//! when it sees the backend in InitWait: the last step leaves exactly that.

use crate::xenbus_state::XenbusState;

/// One step: the frontend's new state and the backend states that complete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetStep {
    /// The state the frontend writes.
    pub frontend: XenbusState,
    /// The backend state waited for (named in a timeout).
    pub wanted: XenbusState,
    /// Every backend state that completes the step.
    pub done: &'static [XenbusState],
}

/// Where a wait stands after reading the backend's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The backend is where the step wants it: go on with the next step.
    Done,
    /// Not yet: poll again (bounded by the caller).
    Waiting,
    /// The backend says Unknown (0): it is being removed, nothing will connect.
    Gone,
}

/// The steps, in order.
pub const RESET_STEPS: [ResetStep; 3] = [
    ResetStep {
        frontend: XenbusState::Closing,
        wanted: XenbusState::Closing,
        done: &[XenbusState::Closing, XenbusState::Closed],
    },
    ResetStep {
        frontend: XenbusState::Closed,
        wanted: XenbusState::Closed,
        done: &[XenbusState::Closed],
    },
    ResetStep {
        frontend: XenbusState::Initialising,
        wanted: XenbusState::InitWait,
        done: &[XenbusState::InitWait],
    },
];

impl ResetStep {
    /// What the backend's state `backend` means for this step.
    pub fn progress(&self, backend: XenbusState) -> Progress {
        if self.done.contains(&backend) {
            Progress::Done
        } else if backend == XenbusState::Unknown {
            Progress::Gone
        } else {
            Progress::Waiting
        }
    }
}

/// The nodes the frontend wrote while connecting, removed once the backend has let
/// go of them: the next driver writes its own, and a stale `ring-ref` or
/// `event-channel` would name a grant and a port that no longer exist.
pub const CONNECTION_NODES: [&str; 3] = ["ring-ref", "event-channel", "protocol"];

#[cfg(test)]
mod tests {
    use super::*;
    use XenbusState::*;

    /// blkback's `frontend_changed`, reduced to the states: what the backend switches
    /// to when the frontend writes `frontend` while the backend is in `backend`
    /// (`online` = 1, no I/O in flight).
    fn blkback(frontend: XenbusState, backend: XenbusState) -> XenbusState {
        match frontend {
            Initialising if backend == Closed => InitWait,
            Initialised | Connected if backend != Connected => Connected,
            Closing => Closing,
            Closed => Closed,
            _ => backend,
        }
    }

    #[test]
    fn the_sequence_walks_blkback_from_connected_back_to_initwait() {
        let mut backend = Connected;
        for step in RESET_STEPS {
            assert_eq!(step.progress(backend), Progress::Waiting, "{step:?}");
            backend = blkback(step.frontend, backend);
            assert_eq!(step.progress(backend), Progress::Done, "{step:?}");
            assert_eq!(backend, step.wanted);
        }
        assert_eq!(backend, InitWait);
        // Where the frontend ends: the state Linux's xenbus probes a new device in.
        assert_eq!(RESET_STEPS[2].frontend, Initialising);
    }

    #[test]
    fn a_backend_already_closed_completes_the_first_step() {
        assert_eq!(RESET_STEPS[0].progress(Closed), Progress::Done);
        assert_eq!(RESET_STEPS[1].progress(Closing), Progress::Waiting);
        // Still Closed after the frontend's Initialising: keep waiting.
        assert_eq!(RESET_STEPS[2].progress(Closed), Progress::Waiting);
    }

    #[test]
    fn a_backend_being_removed_ends_every_wait() {
        for step in RESET_STEPS {
            assert_eq!(step.progress(Unknown), Progress::Gone);
        }
    }
}

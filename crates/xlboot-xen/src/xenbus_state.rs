//! The states of a split device's handshake (`xen/include/public/io/xenbus.h`), as
//! frontend and backend write them into xenstore.

/// `XenbusState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XenbusState {
    /// 0: not known.
    Unknown,
    /// 1: initialising.
    Initialising,
    /// 2: the backend waits for the frontend's details.
    InitWait,
    /// 3: the frontend has published its details.
    Initialised,
    /// 4: connected.
    Connected,
    /// 5: closing.
    Closing,
    /// 6: closed.
    Closed,
    /// 7: reconfiguring.
    Reconfiguring,
    /// 8: reconfigured.
    Reconfigured,
}

impl XenbusState {
    /// The state a xenstore `state` node holds, or `None` for anything else.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text = core::str::from_utf8(value).ok()?;
        Some(match text.trim_end_matches('\0').trim() {
            "0" => XenbusState::Unknown,
            "1" => XenbusState::Initialising,
            "2" => XenbusState::InitWait,
            "3" => XenbusState::Initialised,
            "4" => XenbusState::Connected,
            "5" => XenbusState::Closing,
            "6" => XenbusState::Closed,
            "7" => XenbusState::Reconfiguring,
            "8" => XenbusState::Reconfigured,
            _ => return None,
        })
    }

    /// The value to write into a `state` node.
    pub fn as_str(self) -> &'static str {
        match self {
            XenbusState::Unknown => "0",
            XenbusState::Initialising => "1",
            XenbusState::InitWait => "2",
            XenbusState::Initialised => "3",
            XenbusState::Connected => "4",
            XenbusState::Closing => "5",
            XenbusState::Closed => "6",
            XenbusState::Reconfiguring => "7",
            XenbusState::Reconfigured => "8",
        }
    }
}

impl XenbusState {
    /// The state's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            XenbusState::Unknown => "Unknown",
            XenbusState::Initialising => "Initialising",
            XenbusState::InitWait => "InitWait",
            XenbusState::Initialised => "Initialised",
            XenbusState::Connected => "Connected",
            XenbusState::Closing => "Closing",
            XenbusState::Closed => "Closed",
            XenbusState::Reconfiguring => "Reconfiguring",
            XenbusState::Reconfigured => "Reconfigured",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_junk() {
        assert_eq!(XenbusState::parse(b"4"), Some(XenbusState::Connected));
        assert_eq!(XenbusState::parse(b"2\0"), Some(XenbusState::InitWait));
        assert_eq!(
            XenbusState::parse(XenbusState::Closed.as_str().as_bytes()),
            Some(XenbusState::Closed)
        );
        assert_eq!(XenbusState::parse(b"44"), None);
        assert_eq!(XenbusState::parse(b"\xff"), None);
        assert_eq!(XenbusState::InitWait.name(), "InitWait");
    }
}

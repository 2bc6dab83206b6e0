//! xenstore as a guest speaks it: messages ([`wire`]) over the shared ring page
//! ([`ring`]) whose frame and event channel the HVM parameters give.

pub mod ring;
pub mod wire;

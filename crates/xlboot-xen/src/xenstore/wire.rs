//! xenstore messages (`xen/include/public/io/xs_wire.h`): a 16-byte header (`type`,
//! `req_id`, `tx_id`, `len`, each a little-endian u32) and `len` bytes of payload, at
//! most 4096.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Size of the header before every payload.
pub const HEADER_LEN: usize = 16;
/// The longest payload either side may send (`XENSTORE_PAYLOAD_MAX`).
pub const PAYLOAD_MAX: u32 = 4096;

/// The message types the loader sends or must recognise (`enum xsd_sockmsg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// `XS_DIRECTORY`: list a node's children.
    Directory = 1,
    /// `XS_READ`: read a node's value.
    Read = 2,
    /// `XS_WRITE`: write a node's value.
    Write = 11,
    /// `XS_RM`: remove a node (and its children).
    Rm = 13,
    /// `XS_WATCH_EVENT`: a watch fired (never asked for here, skipped if it comes).
    WatchEvent = 15,
    /// `XS_ERROR`: the request failed; the payload names the errno (`ENOENT`).
    Error = 16,
}

impl Kind {
    fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            1 => Kind::Directory,
            2 => Kind::Read,
            11 => Kind::Write,
            13 => Kind::Rm,
            15 => Kind::WatchEvent,
            16 => Kind::Error,
            _ => return None,
        })
    }
}

/// What went wrong talking to xenstored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XsError {
    /// A request would be longer than xenstored accepts.
    TooLong(usize),
    /// A header from xenstored announces more than [`PAYLOAD_MAX`] bytes.
    BadLength(u32),
    /// A reply of a type that answers nothing this loader sends.
    BadKind(u32),
    /// A reply to another request than the one outstanding.
    WrongReply {
        /// Request id sent.
        sent: u32,
        /// Request id and type of the reply.
        got: u32,
    },
    /// xenstored refused the request: `ENOENT`, `EACCES`, ...
    Refused(String),
    /// The reply is not what the request expects (a value that is not text).
    Malformed(&'static str),
}

impl fmt::Display for XsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XsError::TooLong(n) => write!(f, "xenstore request of {n} bytes is too long"),
            XsError::BadLength(n) => write!(f, "xenstore reply announces {n} bytes"),
            XsError::BadKind(k) => write!(f, "xenstore reply of unknown type {k}"),
            XsError::WrongReply { sent, got } => {
                write!(f, "xenstore reply to request {got}, expected {sent}")
            }
            XsError::Refused(e) => write!(f, "xenstore refused: {e}"),
            XsError::Malformed(what) => write!(f, "xenstore reply malformed: {what}"),
        }
    }
}

/// One request's bytes, header included: `kind` with the concatenated `parts` as
/// payload, outside any transaction.
pub fn request(kind: Kind, req_id: u32, parts: &[&[u8]]) -> Result<Vec<u8>, XsError> {
    let len = parts.iter().try_fold(0usize, |n, p| n.checked_add(p.len()));
    let len = len
        .filter(|n| u32::try_from(*n).is_ok_and(|n| n <= PAYLOAD_MAX))
        .ok_or(XsError::TooLong(usize::MAX))?;
    let mut out = Vec::with_capacity(HEADER_LEN.saturating_add(len));
    out.extend_from_slice(&(kind as u32).to_le_bytes());
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&u32::try_from(len).unwrap_or(0).to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

/// A reply header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Message type as sent (checked when the reply is matched).
    pub kind: u32,
    /// The request id it answers.
    pub req_id: u32,
    /// Payload length, at most [`PAYLOAD_MAX`].
    pub len: u32,
}

impl Header {
    /// Parses a header, refusing an over-long payload.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Header, XsError> {
        let word = |i: usize| {
            let mut w = [0u8; 4];
            for (k, b) in w.iter_mut().enumerate() {
                *b = bytes
                    .get(i.wrapping_mul(4).wrapping_add(k))
                    .copied()
                    .unwrap_or(0);
            }
            u32::from_le_bytes(w)
        };
        let len = word(3);
        if len > PAYLOAD_MAX {
            return Err(XsError::BadLength(len));
        }
        Ok(Header {
            kind: word(0),
            req_id: word(1),
            len,
        })
    }
}

/// What a whole reply means for the request `sent` of type `kind`: `Ok(None)` for a
/// watch event to skip, the payload on success, the refusal otherwise.
pub fn answer(
    header: &Header,
    payload: Vec<u8>,
    kind: Kind,
    sent: u32,
) -> Result<Option<Vec<u8>>, XsError> {
    match Kind::from_u32(header.kind) {
        Some(Kind::WatchEvent) => Ok(None),
        _ if header.req_id != sent => Err(XsError::WrongReply {
            sent,
            got: header.req_id,
        }),
        Some(Kind::Error) => {
            let name = payload.split(|b| *b == 0).next().unwrap_or(&[]);
            Err(XsError::Refused(printable(name)))
        }
        Some(k) if k == kind => Ok(Some(payload)),
        _ => Err(XsError::BadKind(header.kind)),
    }
}

/// The children a `XS_DIRECTORY` reply lists (NUL-separated names).
pub fn directory(payload: &[u8]) -> Result<Vec<String>, XsError> {
    payload
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| {
            core::str::from_utf8(n)
                .map(String::from)
                .map_err(|_| XsError::Malformed("a node name is not UTF-8"))
        })
        .collect()
}

/// A value as text, for values (paths, numbers, states) that must be text.
pub fn text(payload: &[u8]) -> Result<&str, XsError> {
    core::str::from_utf8(payload.strip_suffix(&[0]).unwrap_or(payload))
        .map_err(|_| XsError::Malformed("a value is not UTF-8"))
}

fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(32)
        .map(|b| match *b {
            0x20..=0x7e => char::from(*b),
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn read_request_layout() {
        let r = request(Kind::Read, 7, &[b"device/vbd\0"]).unwrap();
        assert_eq!(&r[..16], &[2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0]);
        assert_eq!(&r[16..], b"device/vbd\0");
        let big = vec![b'a'; 4097];
        assert!(request(Kind::Write, 1, &[&big]).is_err());
    }

    #[test]
    fn replies() {
        let h = Header::parse(&[16, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]).unwrap();
        assert_eq!(
            answer(&h, b"ENOENT\0".to_vec(), Kind::Read, 3),
            Err(XsError::Refused("ENOENT".into()))
        );
        let h = Header::parse(&[1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0]).unwrap();
        let p = answer(&h, b"768\0832\0".to_vec(), Kind::Directory, 3)
            .unwrap()
            .unwrap();
        assert_eq!(directory(&p).unwrap(), ["768", "832"]);
        assert!(answer(&h, vec![], Kind::Read, 3).is_err());
        assert!(answer(&h, vec![], Kind::Directory, 4).is_err());
        let h = Header::parse(&[13, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]).unwrap();
        assert_eq!(
            answer(&h, b"OK\0".to_vec(), Kind::Rm, 5),
            Ok(Some(b"OK\0".to_vec()))
        );
        assert!(Header::parse(&[1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 16, 0, 0]).is_err());
    }
}

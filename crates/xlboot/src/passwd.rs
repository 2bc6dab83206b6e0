//! The user the sandboxed child runs as, looked up in `/etc/passwd`.
//!
//! Read directly rather than through the C library's name service switch: a lookup
//! through NSS loads `libnss_systemd` and the libraries it needs and probes the
//! systemd user database, which cost more than half of the parent's instructions of an
//! `xlboot -n` run (and would tie the binary to a dynamically linked C library). The
//! users xlboot looks for are local ones: the `xlboot` system user the package creates
//! with `adduser --system`, and the uid libxl's restricted mode passes with `--runas`
//! (a local user, `xen-qemuuser-*` in Xen's documentation). A uid known only to a
//! network directory is run with its own number as gid, as pygrub does for a uid with
//! no entry.

use std::io::Read;

/// Where the local users are.
const PASSWD: &str = "/etc/passwd";

/// The most of `/etc/passwd` read: far more than any dom0 has, a bound all the same.
const MAX_PASSWD: u64 = 4 << 20;

/// A user's uid and primary gid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
}

/// Which user to find.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// By login name.
    Name(&'a str),
    /// By uid.
    Uid(u32),
}

/// The first entry of `/etc/passwd` that matches, or `None` when there is none or the
/// file cannot be read.
pub fn lookup(key: Key<'_>) -> Option<Ids> {
    // Sized for a whole ordinary file in one read.
    let mut text = Vec::with_capacity(16 << 10);
    std::fs::File::open(PASSWD)
        .ok()?
        .take(MAX_PASSWD)
        .read_to_end(&mut text)
        .ok()?;
    find(&text, key)
}

/// The first line of `text` (passwd(5): `name:password:uid:gid:gecos:home:shell`)
/// that matches `key`; malformed lines are skipped, as the C library skips them.
fn find(text: &[u8], key: Key<'_>) -> Option<Ids> {
    text.split(|b| *b == b'\n').find_map(|line| {
        let mut fields = line.split(|b| *b == b':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let uid = number(fields.next()?)?;
        let gid = number(fields.next()?)?;
        let matches = match key {
            Key::Name(n) => name == n.as_bytes(),
            Key::Uid(u) => uid == u,
        };
        matches.then_some(Ids { uid, gid })
    })
}

/// A decimal uid or gid.
fn number(field: &[u8]) -> Option<u32> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"root:x:0:0:root:/root:/bin/bash\n\
        # not a user\n\
        broken:x:notanumber:1::/:/bin/sh\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        xlboot:x:998:997::/nonexistent:/usr/sbin/nologin\n\
        +:::\n\
        xlboot:x:12:12::/:/bin/sh";

    #[test]
    fn finds_a_user_by_name_and_by_uid() {
        assert_eq!(
            find(SAMPLE, Key::Name("xlboot")),
            Some(Ids { uid: 998, gid: 997 })
        );
        assert_eq!(
            find(SAMPLE, Key::Uid(65534)),
            Some(Ids {
                uid: 65534,
                gid: 65534
            })
        );
        assert_eq!(find(SAMPLE, Key::Name("broken")), None);
        assert_eq!(find(SAMPLE, Key::Name("xlboo")), None);
        assert_eq!(find(SAMPLE, Key::Uid(1000)), None);
    }
}

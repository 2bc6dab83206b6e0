//! The order Fedora-family GRUB's `blscfg` gives BLS entries: newest first, by an
//! RPM-style comparison of the entry file names read as `name-version-release`.
//!
//! Follows `grub-core/commands/blscfg.c` of the Fedora/RHEL GRUB (rhboot/grub2,
//! branches fedora-44 and rhel-9-main): `vercmp` (rpm's `rpmvercmp` with `~` and `+`
//! separators), `split_package_string`, `split_cmp` and `bls_cmp`. RHEL 8's module
//! compared the `version` key first; that variant is not modelled.

use core::cmp::Ordering;

/// `vercmp`: RPM's version comparison over bytes. Alphanumeric runs are compared
/// segment by segment (digits numerically, letters by byte, a number newer than
/// letters); `~` sorts before everything, even the end; `+` sorts after the end;
/// any other byte separates segments. Loops are bounded by the input lengths.
pub fn vercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    while at(a, i) != 0 || at(b, j) != 0 {
        while at(a, i) != 0 && !at(a, i).is_ascii_alphanumeric() && !matches!(at(a, i), b'~' | b'+')
        {
            i = i.saturating_add(1);
        }
        while at(b, j) != 0 && !at(b, j).is_ascii_alphanumeric() && !matches!(at(b, j), b'~' | b'+')
        {
            j = j.saturating_add(1);
        }
        let (ca, cb) = (at(a, i), at(b, j));
        if ca == b'~' || cb == b'~' {
            if ca != b'~' {
                return Ordering::Greater;
            }
            if cb != b'~' {
                return Ordering::Less;
            }
            i = i.saturating_add(1);
            j = j.saturating_add(1);
            continue;
        }
        if ca == b'+' || cb == b'+' {
            if ca == 0 {
                return Ordering::Less;
            }
            if cb == 0 {
                return Ordering::Greater;
            }
            if ca != b'+' {
                return Ordering::Greater;
            }
            if cb != b'+' {
                return Ordering::Less;
            }
            i = i.saturating_add(1);
            j = j.saturating_add(1);
            continue;
        }
        if ca == 0 || cb == 0 {
            break;
        }
        let numeric = ca.is_ascii_digit();
        let class = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let mut ei = i;
        while at(a, ei) != 0 && class(at(a, ei)) {
            ei = ei.saturating_add(1);
        }
        let mut ej = j;
        while at(b, ej) != 0 && class(at(b, ej)) {
            ej = ej.saturating_add(1);
        }
        if ei == i {
            return Ordering::Less; // "cannot happen" in the C code: arbitrary.
        }
        if ej == j {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let mut sa = a.get(i..ei).unwrap_or_default();
        let mut sb = b.get(j..ej).unwrap_or_default();
        if numeric {
            while let [b'0', rest @ ..] = sa {
                sa = rest;
            }
            while let [b'0', rest @ ..] = sb {
                sb = rest;
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
        i = ei;
        j = ej;
    }
    match (at(a, i) == 0, at(b, j) == 0) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// `split_package_string` with a name: the part after the last `-` is the release,
/// the part after the `-` before it the version, the rest the name; missing parts
/// bubble up (one part: name only; two: name and version).
fn cut(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().rposition(|&c| c == b'-') {
        Some(p) => (
            s.get(..p).unwrap_or_default(),
            Some(s.get(p.saturating_add(1)..).unwrap_or_default()),
        ),
        None => (s, None),
    }
}

fn split_nvr(s: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (rest, release) = cut(s);
    let (name, version) = match release {
        Some(_) => cut(rest),
        None => (rest, None),
    };
    match (version, release) {
        (Some(v), Some(r)) => (name, v, r),
        (None, Some(r)) => (name, r, b""),
        _ => (name, b"", b""),
    }
}

/// `bls_cmp`: two entry ids (file names without `.conf`) compared as
/// name-version-release; `Greater` means `a` is newer (listed first).
pub fn blscfg_cmp(a: &str, b: &str) -> Ordering {
    let (na, va, ra) = split_nvr(a.as_bytes());
    let (nb, vb, rb) = split_nvr(b.as_bytes());
    vercmp(na, nb)
        .then_with(|| vercmp(va, vb))
        .then_with(|| vercmp(ra, rb))
}

/// systemd's `strverscmp_improved` (UAPI Version Format Specification), used by the
/// specification's own ordering ([`super::spec`]): characters other than ASCII
/// letters, digits and `~ - ^ .` are dropped; `~` sorts first, then the end of the
/// string, then `-`, `^`, `.`, and plain segments; numbers compare numerically and
/// beat letters; a longer run of letters with the same start is newer.
pub fn strverscmp_improved(a: &[u8], b: &[u8]) -> Ordering {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let valid = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.');
    let (mut i, mut j) = (0usize, 0usize);
    // Every round consumes a byte of one string or returns.
    let rounds = a.len().saturating_add(b.len()).saturating_add(2);
    for _ in 0..rounds {
        while at(a, i) != 0 && !valid(at(a, i)) {
            i = i.saturating_add(1);
        }
        while at(b, j) != 0 && !valid(at(b, j)) {
            j = j.saturating_add(1);
        }
        for sep in [b'~', 0, b'-', b'^', b'.'] {
            if sep == 0 {
                if at(a, i) == 0 || at(b, j) == 0 {
                    return at(a, i).cmp(&at(b, j));
                }
                continue;
            }
            if at(a, i) == sep || at(b, j) == sep {
                match (at(a, i) != sep).cmp(&(at(b, j) != sep)) {
                    Ordering::Equal => {}
                    o => return o,
                }
                i = i.saturating_add(1);
                j = j.saturating_add(1);
            }
        }
        let run = |s: &[u8], from: usize, digit: bool| {
            let mut e = from;
            while at(s, e) != 0
                && (if digit {
                    at(s, e).is_ascii_digit()
                } else {
                    at(s, e).is_ascii_alphabetic()
                })
            {
                e = e.saturating_add(1);
            }
            e
        };
        if at(a, i).is_ascii_digit() || at(b, j).is_ascii_digit() {
            let (ea, eb) = (run(a, i, true), run(b, j, true));
            match (ea != i).cmp(&(eb != j)) {
                Ordering::Equal => {}
                o => return o,
            }
            while at(a, i) == b'0' {
                i = i.saturating_add(1);
            }
            while at(b, j) == b'0' {
                j = j.saturating_add(1);
            }
            let sa = a.get(i..ea).unwrap_or_default();
            let sb = b.get(j..eb).unwrap_or_default();
            match sa.len().cmp(&sb.len()).then_with(|| sa.cmp(sb)) {
                Ordering::Equal => {}
                o => return o,
            }
            i = ea;
            j = eb;
        } else {
            let (ea, eb) = (run(a, i, false), run(b, j, false));
            let sa = a.get(i..ea).unwrap_or_default();
            let sb = b.get(j..eb).unwrap_or_default();
            let n = sa.len().min(sb.len());
            match sa
                .get(..n)
                .cmp(&sb.get(..n))
                .then_with(|| sa.len().cmp(&sb.len()))
            {
                Ordering::Equal => {}
                o => return o,
            }
            i = ea;
            j = eb;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpm_rules() {
        assert_eq!(vercmp(b"1.0", b"1.0"), Equal);
        assert_eq!(vercmp(b"1.10", b"1.9"), Greater);
        assert_eq!(vercmp(b"1.0~rc1", b"1.0"), Less);
        assert_eq!(vercmp(b"1.0+git", b"1.0"), Greater);
        assert_eq!(vercmp(b"1.0a", b"1.0"), Greater);
        assert_eq!(vercmp(b"1.0", b"1.a"), Greater);
        assert_eq!(vercmp(b"001", b"1"), Equal);
        assert_eq!(vercmp(b"1_0", b"1.0"), Equal);
        assert_eq!(vercmp(b"fc39", b"fc40"), Less);
    }

    #[test]
    fn systemd_version_order() {
        // The order documented with strverscmp_improved, oldest first.
        let v = [
            "122.1",
            "123~rc1-1",
            "123",
            "123-a",
            "123-a.1",
            "123-1",
            "123-1.1",
            "123^post1",
            "123.a-1",
            "123.1-1",
            "123a-1",
            "124-1",
        ];
        for w in v.windows(2) {
            assert_eq!(
                strverscmp_improved(w[0].as_bytes(), w[1].as_bytes()),
                Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                strverscmp_improved(w[1].as_bytes(), w[0].as_bytes()),
                Greater
            );
        }
        assert_eq!(strverscmp_improved(b"00123", b"123"), Equal);
        assert_eq!(strverscmp_improved(b"123_a", b"123a"), Equal);
        assert_eq!(strverscmp_improved(b"", b"1"), Less);
    }

    #[test]
    fn nvr_split() {
        assert_eq!(split_nvr(b"a-b-c-d"), (&b"a-b"[..], &b"c"[..], &b"d"[..]));
        assert_eq!(split_nvr(b"a-b"), (&b"a"[..], &b"b"[..], &b""[..]));
        assert_eq!(split_nvr(b"a"), (&b"a"[..], &b""[..], &b""[..]));
    }

    #[test]
    fn fedora_ids() {
        let m = "2c8e45b1d9f64f35a4d4c8d0e0f1a2b3";
        let new = alloc::format!("{m}-6.8.5-301.fc40.x86_64");
        let old = alloc::format!("{m}-6.5.6-300.fc39.x86_64");
        let rescue = alloc::format!("{m}-0-rescue");
        assert_eq!(blscfg_cmp(&new, &old), Greater);
        assert_eq!(blscfg_cmp(&old, &rescue), Greater);
    }
}

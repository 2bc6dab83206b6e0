//! Checking a typed password against what the guest's config stores.
//!
//! GRUB legacy keeps a password as is or as an MD5 crypt hash (`password --md5
//! $1$SALT$HASH`, made by `grub-md5-crypt` or `openssl passwd -1`); GRUB 2 as is
//! (`password USER PASS`) or as PBKDF2-HMAC-SHA512
//! (`password_pbkdf2 USER grub.pbkdf2.sha512.ITERATIONS.SALT.HASH`, salt and hash in
//! hexadecimal, made by `grub-mkpasswd-pbkdf2`). syslinux's `MENU PASSWD` and
//! `MENU MASTER PASSWD` (`com32/menu/passwd.c`) take a plain password or a crypt(3)
//! hash: `$1$` (MD5, as GRUB legacy's), `$5$` and `$6$` (SHA-256 and SHA-512 crypt,
//! `openssl passwd -5`/`-6`), checked here; and `$4$` (syslinux's own SHA-1 form,
//! made by its `sha1pass`), which is not: such an entry cannot be unlocked.
//!
//! The iteration count comes from the guest's disk: a config asking for 2^32 rounds
//! would keep dom0's CPU busy for hours at the first wrong key. So the work is capped
//! at [`MAX_PBKDF2_ROUNDS`] SHA-512 HMAC rounds (iterations times the hash's 64-byte
//! blocks); a hash that asks for more cannot be checked and unlocks nothing (the
//! administrator can still boot any entry with `--entry`). grub-mkpasswd-pbkdf2's
//! default is 10,000 iterations of one block.

use sha2::Sha512;
use xlboot_config::Secret;

/// The most PBKDF2-HMAC-SHA512 rounds one check computes.
pub const MAX_PBKDF2_ROUNDS: u64 = 100_000;

/// The most SHA-crypt rounds one check computes (the `rounds=` of a `$5$` or `$6$`
/// hash comes from the guest; the default is 5,000).
pub const MAX_SHA_CRYPT_ROUNDS: u64 = 200_000;

/// Longest salt or hash accepted in a `grub.pbkdf2.sha512` string, in bytes.
const MAX_PBKDF2_BYTES: usize = 1024;

/// Whether `typed` is the password `secret` stands for. `Err` when the stored form
/// cannot be checked (malformed, or over the work cap), said on screen.
pub fn matches(secret: &Secret, typed: &str) -> Result<bool, String> {
    match secret {
        Secret::Plain(p) => Ok(same(p.as_bytes(), typed.as_bytes())),
        Secret::Md5Crypt(hash) => {
            let computed = md5_crypt(typed.as_bytes(), hash.as_bytes())
                .ok_or("the MD5 password hash is not of the form $1$SALT$HASH")?;
            Ok(same(computed.as_bytes(), hash.as_bytes()))
        }
        Secret::Pbkdf2Sha512(s) => pbkdf2_matches(s, typed),
        Secret::Crypt(hash) => {
            let computed = match hash.get(..3) {
                Some("$1$") => md5_crypt(typed.as_bytes(), hash.as_bytes())
                    .ok_or("the MD5 password hash is not of the form $1$SALT$HASH")?,
                Some("$5$") => sha_crypt::<sha2::Sha256>(typed.as_bytes(), hash)?,
                Some("$6$") => sha_crypt::<Sha512>(typed.as_bytes(), hash)?,
                Some("$4$") => return Err("$4$ (SHA-1) password hashes are unsupported".into()),
                _ => return Err("the password hash is of no form syslinux knows".into()),
            };
            Ok(same(computed.as_bytes(), hash.as_bytes()))
        }
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `grub.pbkdf2.sha512.ITERATIONS.SALT.HASH` against `typed`.
fn pbkdf2_matches(stored: &str, typed: &str) -> Result<bool, String> {
    let bad =
        || "the password_pbkdf2 hash is not grub.pbkdf2.sha512.ITERATIONS.SALT.HASH".to_string();
    let rest = stored.strip_prefix("grub.pbkdf2.sha512.").ok_or_else(bad)?;
    let mut parts = rest.split('.');
    let (Some(iter), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let iterations: u32 = iter.parse().map_err(|_| bad())?;
    let salt = hex(salt).ok_or_else(bad)?;
    let hash = hex(hash).ok_or_else(bad)?;
    if iterations == 0
        || hash.is_empty()
        || salt.len() > MAX_PBKDF2_BYTES
        || hash.len() > MAX_PBKDF2_BYTES
    {
        return Err(bad());
    }
    let blocks = u64::try_from(hash.len().div_ceil(64)).unwrap_or(u64::MAX);
    let rounds = u64::from(iterations).saturating_mul(blocks);
    if rounds > MAX_PBKDF2_ROUNDS {
        return Err(format!(
            "the password hash asks for {rounds} PBKDF2 rounds, more than the {MAX_PBKDF2_ROUNDS} xlboot computes"
        ));
    }
    let mut out = vec![0u8; hash.len()];
    pbkdf2::pbkdf2_hmac::<Sha512>(typed.as_bytes(), &salt, iterations, &mut out);
    Ok(same(&out, &hash))
}

/// Hexadecimal digits (either case) to bytes.
fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > MAX_PBKDF2_BYTES * 2 {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let d = |c: u8| char::from(c).to_digit(16);
            u8::try_from(d(*p.first()?)? * 16 + d(*p.get(1)?)?).ok()
        })
        .collect()
}

/// The MD5 crypt of `password` with the salt of `setting` (`$1$SALT$...`), as
/// FreeBSD's `crypt_md5` and GRUB legacy's `md5_password` compute it.
fn md5_crypt(password: &[u8], setting: &[u8]) -> Option<String> {
    use md5::{Digest, Md5};
    const MAGIC: &[u8] = b"$1$";
    let rest = setting.strip_prefix(MAGIC)?;
    let end = rest
        .iter()
        .position(|&c| c == b'$')
        .unwrap_or(rest.len())
        .min(8);
    let salt = rest.get(..end)?;

    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt = alt.finalize();

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(MAGIC);
    ctx.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(alt.get(..n)?);
        left -= n;
    }
    let mut i = password.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(password.get(..1)?);
        }
        i >>= 1;
    }
    let fin = crypt_rounds::<Md5>(ctx.finalize().to_vec(), password, salt, 1000);
    let f = |i: usize| u32::from(fin.get(i).copied().unwrap_or(0));
    let mut out = String::from_utf8_lossy(MAGIC).into_owned();
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        to64(&mut out, (f(a) << 16) | (f(b) << 8) | f(c), 4);
    }
    to64(&mut out, f(11), 2);
    Some(out)
}

/// SHA-crypt (`$5$` with SHA-256, `$6$` with SHA-512, Ulrich Drepper's
/// specification as glibc's `crypt` and `openssl passwd -5`/`-6` compute it) of
/// `password` with the salt and rounds of `setting` (`$N$[rounds=R$]SALT$...`).
fn sha_crypt<D: sha2::Digest + Clone>(password: &[u8], setting: &str) -> Result<String, String> {
    let bad =
        || format!("the password hash {setting:.3}... is not of the form $N$[rounds=R$]SALT$HASH");
    let magic = setting.get(..3).ok_or_else(bad)?;
    let mut rest = setting.get(3..).ok_or_else(bad)?;
    let mut rounds_given = None;
    if let Some(r) = rest.strip_prefix("rounds=") {
        let (n, after) = r.split_once('$').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        rounds_given = Some(n.clamp(1000, 999_999_999));
        rest = after;
    }
    let rounds = rounds_given.unwrap_or(5000);
    if rounds > MAX_SHA_CRYPT_ROUNDS {
        return Err(format!(
            "the password hash asks for {rounds} SHA-crypt rounds, more than the {MAX_SHA_CRYPT_ROUNDS} xlboot computes"
        ));
    }
    let salt_end = rest.find('$').unwrap_or(rest.len()).min(16);
    let salt = rest.get(..salt_end).ok_or_else(bad)?.as_bytes();
    let size = <D as sha2::Digest>::output_size();
    let mut b = D::new();
    b.update(password);
    b.update(salt);
    b.update(password);
    let b = b.finalize();
    let mut a = D::new();
    a.update(password);
    a.update(salt);
    a.update(seq(&b, password.len()));
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            a.update(&b);
        } else {
            a.update(password);
        }
        bits >>= 1;
    }
    let a = a.finalize();
    let mut dp = D::new();
    for _ in 0..password.len() {
        dp.update(password);
    }
    let dp = dp.finalize();
    let p_bytes = seq(&dp, password.len());
    let mut ds = D::new();
    for _ in 0..16 + usize::from(a.first().copied().unwrap_or(0)) {
        ds.update(salt);
    }
    let s_bytes = seq(&ds.finalize(), salt.len());
    let c = crypt_rounds::<D>(a.to_vec(), &p_bytes, &s_bytes, rounds);
    let mut out = String::from(magic);
    if let Some(r) = rounds_given {
        out.push_str("rounds=");
        out.push_str(&r.to_string());
        out.push('$');
    }
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let order: &[(usize, usize, usize)] = if size == 32 {
        &[
            (0, 10, 20),
            (21, 1, 11),
            (12, 22, 2),
            (3, 13, 23),
            (24, 4, 14),
            (15, 25, 5),
            (6, 16, 26),
            (27, 7, 17),
            (18, 28, 8),
            (9, 19, 29),
        ]
    } else {
        &[
            (0, 21, 42),
            (22, 43, 1),
            (44, 2, 23),
            (3, 24, 45),
            (25, 46, 4),
            (47, 5, 26),
            (6, 27, 48),
            (28, 49, 7),
            (50, 8, 29),
            (9, 30, 51),
            (31, 52, 10),
            (53, 11, 32),
            (12, 33, 54),
            (34, 55, 13),
            (56, 14, 35),
            (15, 36, 57),
            (37, 58, 16),
            (59, 17, 38),
            (18, 39, 60),
            (40, 61, 19),
            (62, 20, 41),
        ]
    };
    let byte = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
    for &(x, y, z) in order {
        to64(&mut out, (byte(x) << 16) | (byte(y) << 8) | byte(z), 4);
    }
    if size == 32 {
        to64(&mut out, (byte(31) << 8) | byte(30), 3);
    } else {
        to64(&mut out, byte(63), 2);
    }
    Ok(out)
}

/// The rounds both crypt forms run over the first digest `first` (FreeBSD's MD5
/// crypt with `p` the password and `s` the salt, 1000 rounds; SHA-crypt with the
/// sequences it derives from them): each round hashes the previous digest with
/// `p`, and `s` and `p` again, in an order set by the round number.
fn crypt_rounds<D: sha2::Digest>(first: Vec<u8>, p: &[u8], s: &[u8], rounds: u64) -> Vec<u8> {
    let mut c = first;
    for round in 0..rounds {
        let mut ctx = D::new();
        if round & 1 == 1 {
            ctx.update(p);
        } else {
            ctx.update(&c);
        }
        if round % 3 != 0 {
            ctx.update(s);
        }
        if round % 7 != 0 {
            ctx.update(p);
        }
        if round & 1 == 1 {
            ctx.update(&c);
        } else {
            ctx.update(p);
        }
        c = ctx.finalize().to_vec();
    }
    c
}

/// `block` repeated to `len` bytes.
fn seq(block: &[u8], len: usize) -> Vec<u8> {
    block.iter().copied().cycle().take(len).collect()
}

/// crypt(3)'s base-64 digits.
const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The low `n` base-64 digits of `v`, least significant first, as crypt writes them.
fn to64(out: &mut String, mut v: u32, n: usize) {
    for _ in 0..n {
        out.push(char::from(
            ITOA64.get((v & 0x3f) as usize).copied().unwrap_or(b'.'),
        ));
        v >>= 6;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_crypt_known_answer() {
        // `openssl passwd -1 -salt saltsalt secret`
        let hash = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//";
        assert_eq!(md5_crypt(b"secret", hash.as_bytes()).unwrap(), hash);
        assert!(matches(&Secret::Md5Crypt(hash.into()), "secret").unwrap());
        assert!(!matches(&Secret::Md5Crypt(hash.into()), "Secret").unwrap());
        assert!(matches(&Secret::Md5Crypt("nonsense".into()), "x").is_err());
    }

    #[test]
    fn sha_crypt_known_answers() {
        // `openssl passwd -5`/`-6 -salt saltsalt secret`, and with
        // `-salt 'rounds=1200$abcdefghijklmnopqrst' pw` (the salt cut at 16).
        for hash in [
            "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA",
            "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
        ] {
            assert!(matches(&Secret::Crypt(hash.into()), "secret").unwrap());
            assert!(!matches(&Secret::Crypt(hash.into()), "secreT").unwrap());
        }
        for hash in [
            "$5$rounds=1200$abcdefghijklmnop$318lAS0s3Md2SAq0Z9YtvPRkifUs.7CvpDXJxL3o35D",
            "$6$rounds=1200$abcdefghijklmnop$qvuIwhCSc1WjoJSHV7qHtdJcDESvJN6RtC8xtyjIMUlKrRVsczgyj.3hWXznRKvl2LNW6XyVkzwClfcYW1K6B1",
        ] {
            assert!(matches(&Secret::Crypt(hash.into()), "pw").unwrap());
        }
        let md5 = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//";
        assert!(matches(&Secret::Crypt(md5.into()), "secret").unwrap());
        assert!(matches(&Secret::Crypt("plain".into()), "plain").is_err());
        let e = matches(&Secret::Crypt("$4$abc$def$".into()), "x").unwrap_err();
        assert!(e.contains("unsupported"), "{e}");
        let e = matches(&Secret::Crypt("$6$rounds=999999999$s$h".into()), "x").unwrap_err();
        assert!(e.contains("more than the 200000"), "{e}");
        assert!(matches(&Secret::Crypt("$5$rounds=x$s$h".into()), "x").is_err());
    }

    #[test]
    fn pbkdf2_cap_and_forms() {
        let huge = format!("grub.pbkdf2.sha512.4294967295.00.{}", "00".repeat(64));
        let e = matches(&Secret::Pbkdf2Sha512(huge), "x").unwrap_err();
        assert!(e.contains("more than the 100000"), "{e}");
        assert!(matches(
            &Secret::Pbkdf2Sha512("grub.pbkdf2.sha512.10.zz.00".into()),
            "x"
        )
        .is_err());
        assert!(matches(&Secret::Plain("pw".into()), "pw").unwrap());
        assert!(!matches(&Secret::Plain("pw".into()), "pw ").unwrap());
    }
}

//! Checking a typed password against what the guest's config stores.
//!
//! GRUB legacy keeps a password as is or as an MD5 crypt hash (`password --md5
//! $1$SALT$HASH`, made by `grub-md5-crypt` or `openssl passwd -1`); GRUB 2 as is
//! (`password USER PASS`) or as PBKDF2-HMAC-SHA512
//! (`password_pbkdf2 USER grub.pbkdf2.sha512.ITERATIONS.SALT.HASH`, salt and hash in
//! hexadecimal, made by `grub-mkpasswd-pbkdf2`).
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
    let mut fin = ctx.finalize();
    for round in 0..1000u32 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(password);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 1 {
            c.update(fin);
        } else {
            c.update(password);
        }
        fin = c.finalize();
    }
    const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let f = |i: usize| u32::from(fin.get(i).copied().unwrap_or(0));
    let mut out = String::from_utf8_lossy(MAGIC).into_owned();
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut to64 = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(char::from(
                ITOA64.get((v & 0x3f) as usize).copied().unwrap_or(b'.'),
            ));
            v >>= 6;
        }
    };
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        to64((f(a) << 16) | (f(b) << 8) | f(c), 4);
    }
    to64(f(11), 2);
    Some(out)
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

//! Time-based one-time passwords (RFC 6238 over RFC 4226), as authenticator apps compute them:
//! HMAC-SHA-1, 30-second steps, six digits. The clock is the caller's: every function here
//! takes the Unix time or the step, so this module does no I/O.
//!
//! A code is accepted one step either side of now (a phone's clock drifts, a person types
//! slowly) and only for a step later than the last one accepted, so that a code seen over a
//! shoulder or in a proxy log cannot be used again.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, the HMAC-SHA-1 block's natural key length).
pub const SECRET_BYTES: usize = 20;

/// The step a Unix time (seconds) falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value (RFC 4226) of `secret` at `counter`, with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The six-digit code of `secret` at `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    format!("{:06}", hotp(secret, step.max(0) as u64, DIGITS))
}

/// The step whose code `code` is, among `now_step - 1 ..= now_step + 1`, if it is one of
/// them and later than `last_used` (a step already used is never accepted again). Spaces in
/// the code are ignored; anything but six digits is not a code.
pub fn verify(secret: &[u8], code: &str, now_step: i64, last_used: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Every candidate is computed and compared, so the time taken does not say which matched.
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        let expected = code_at(secret, step);
        let same = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && step > last_used && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as `otpauth://` URIs carry secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of RFC 4648 base32 text (padding, spaces and case ignored); `None` when a
/// character is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32.iter().position(|&b| char::from(b) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads from the QR code: the issuer and the
/// account label are percent-encoded.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{}:{}", percent(issuer), percent(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        base32(secret),
        percent(issuer)
    )
}

fn percent(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed, the times and the eight-digit values.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_6238_sha1_test_vectors() {
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(RFC_SECRET, step_at(time) as u64, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn the_rfc_4226_hotp_values() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), value, "counter {counter}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let now = step_at(1_111_111_111);
        let code = code_at(RFC_SECRET, now);
        assert_eq!(code, "050471");
        assert_eq!(verify(RFC_SECRET, &code, now, 0), Some(now));
        assert_eq!(verify(RFC_SECRET, "050 471", now, 0), Some(now), "spaces ignored");
        assert_eq!(verify(RFC_SECRET, &code, now - 1, 0), Some(now), "the clock behind");
        assert_eq!(verify(RFC_SECRET, &code, now + 1, 0), Some(now), "the clock ahead");
        assert_eq!(verify(RFC_SECRET, &code, now + 2, 0), None, "two steps late");
        assert_eq!(verify(RFC_SECRET, &code, now, now), None, "its step was used: a replay");
        assert_eq!(
            verify(RFC_SECRET, &code_at(RFC_SECRET, now - 1), now, now - 1),
            None,
            "an older step after a newer one"
        );
        assert_eq!(verify(RFC_SECRET, "12345", now, 0), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", now, 0), None);
    }

    #[test]
    fn base32_as_rfc_4648_without_padding() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            RFC_SECRET
        );
        assert_eq!(from_base32("MZXW6YQ=").unwrap(), b"foob");
        assert_eq!(from_base32("M1"), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account_encoded() {
        let uri = otpauth_uri("Razam", "ales k", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Razam:ales%20k?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Razam&algorithm=SHA1&digits=6&period=30"
        );
    }
}

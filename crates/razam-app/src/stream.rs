//! Streaming encryption for files too large to hold in memory (backups now, evidence later).
//!
//! XChaCha20-Poly1305 over 64 KiB chunks. The stream starts with a 19-byte random nonce
//! prefix; each chunk's nonce is that prefix, a 4-byte counter and a byte that says whether
//! it is the last chunk, and each chunk is written as a 4-byte length and its ciphertext.
//! Reordering, dropping or appending chunks, and cutting the stream short, all fail to open.

use std::io::{self, Read, Write};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;

const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the encrypted data is damaged, cut short or was made with another key")]
    Damaged,
}

fn nonce(prefix: &[u8; 19], counter: u32, last: bool) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..19].copy_from_slice(prefix);
    n[19..23].copy_from_slice(&counter.to_be_bytes());
    n[23] = u8::from(last);
    n
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Encrypts all of `reader` into `writer`, binding `aad` (e.g. a header) to every chunk.
pub fn encrypt(
    key: &[u8; 32],
    aad: &[u8],
    reader: &mut impl Read,
    writer: &mut impl Write,
) -> Result<u64, StreamError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut prefix = [0u8; 19];
    OsRng.fill_bytes(&mut prefix);
    writer.write_all(&prefix)?;
    let mut current = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut len = fill(reader, &mut current)?;
    let mut counter: u32 = 0;
    let mut total = 0u64;
    loop {
        // Read ahead one chunk to know whether this one is the last.
        let next_len = if len == CHUNK { fill(reader, &mut next)? } else { 0 };
        let last = next_len == 0;
        let n = nonce(&prefix, counter, last);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&n),
                Payload {
                    msg: &current[..len],
                    aad,
                },
            )
            .map_err(|_| StreamError::Damaged)?;
        writer.write_all(&(sealed.len() as u32).to_be_bytes())?;
        writer.write_all(&sealed)?;
        total += len as u64;
        if last {
            return Ok(total);
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
        counter = counter.checked_add(1).ok_or(StreamError::Damaged)?;
    }
}

/// Decrypts a stream made by [`encrypt`] into `writer`. On error, what was written so far
/// must be thrown away by the caller; nothing is trusted until this returns `Ok`.
pub fn decrypt(
    key: &[u8; 32],
    aad: &[u8],
    reader: &mut impl Read,
    writer: &mut impl Write,
) -> Result<u64, StreamError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut prefix = [0u8; 19];
    if fill(reader, &mut prefix)? != 19 {
        return Err(StreamError::Damaged);
    }
    let mut counter: u32 = 0;
    let mut total = 0u64;
    let mut sealed = vec![0u8; CHUNK + TAG];
    loop {
        let mut len_bytes = [0u8; 4];
        if fill(reader, &mut len_bytes)? != 4 {
            return Err(StreamError::Damaged);
        }
        let len = u32::from_be_bytes(len_bytes) as usize;
        if !(TAG..=CHUNK + TAG).contains(&len) || fill(reader, &mut sealed[..len])? != len {
            return Err(StreamError::Damaged);
        }
        // A short chunk can only be the last one; a full one may be either: try "not last" first.
        let attempt = |last: bool| {
            cipher
                .decrypt(
                    XNonce::from_slice(&nonce(&prefix, counter, last)),
                    Payload {
                        msg: &sealed[..len],
                        aad,
                    },
                )
                .ok()
                .map(|plain| (plain, last))
        };
        let (plain, last) = if len == CHUNK + TAG {
            attempt(false).or_else(|| attempt(true))
        } else {
            attempt(true)
        }
        .ok_or(StreamError::Damaged)?;
        writer.write_all(&plain)?;
        total += plain.len() as u64;
        if last {
            let mut extra = [0u8; 1];
            if fill(reader, &mut extra)? != 0 {
                return Err(StreamError::Damaged);
            }
            return Ok(total);
        }
        counter = counter.checked_add(1).ok_or(StreamError::Damaged)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(len: usize) {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut sealed = Vec::new();
        encrypt(&[3; 32], b"hdr", &mut data.as_slice(), &mut sealed).unwrap();
        let mut plain = Vec::new();
        decrypt(&[3; 32], b"hdr", &mut sealed.as_slice(), &mut plain).unwrap();
        assert_eq!(plain, data, "length {len}");
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7] {
            round_trip(len);
        }
    }

    #[test]
    fn truncation_extension_tampering_and_wrong_keys_all_fail() {
        let data = vec![7u8; 2 * CHUNK + 10];
        let mut sealed = Vec::new();
        encrypt(&[3; 32], b"hdr", &mut data.as_slice(), &mut sealed).unwrap();
        let fails =
            |bytes: &[u8], key: [u8; 32], aad: &[u8]| decrypt(&key, aad, &mut &bytes[..], &mut Vec::new()).is_err();
        // Cut after the first full chunk: a full chunk is never accepted as the last.
        assert!(fails(&sealed[..19 + 4 + CHUNK + TAG], [3; 32], b"hdr"));
        assert!(fails(&sealed[..sealed.len() - 1], [3; 32], b"hdr"));
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(fails(&longer, [3; 32], b"hdr"));
        let mut flipped = sealed.clone();
        flipped[100] ^= 1;
        assert!(fails(&flipped, [3; 32], b"hdr"));
        assert!(fails(&sealed, [4; 32], b"hdr"));
        assert!(fails(&sealed, [3; 32], b"other header"));
        assert!(!fails(&sealed, [3; 32], b"hdr"));
    }
}

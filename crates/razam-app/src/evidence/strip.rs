//! Sharing copies: an original with the metadata that can locate or identify its maker taken
//! out, made on the fly and never stored. The original is never touched.
//!
//! JPEG: every APPn segment but APP0 (JFIF), APP2 `ICC_PROFILE` and APP14 `Adobe` (which the
//! decoder needs to render the colours), and every COM segment, are dropped before the first
//! scan: APP1 holds EXIF (GPS position, camera serial number, time) and XMP, APP13 holds IPTC.
//! The image data is copied as it is. Segments after the first scan are copied as they are
//! (encoders do not put metadata there).
//! PNG: the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are dropped; every other chunk
//! is copied as it is.
//! Any other format has no sharing copy: Razam does not strip PDF, video or audio metadata,
//! nor what is visible in the picture itself (faces, street signs, reflections).

use std::io::{self, Read, Write};

/// Which formats a sharing copy can be made of, by the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strippable {
    Jpeg,
    Png,
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

impl Strippable {
    pub fn recognise(head: &[u8]) -> Option<Strippable> {
        if head.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Strippable::Jpeg)
        } else if head.starts_with(&PNG_SIGNATURE) {
            Some(Strippable::Png)
        } else {
            None
        }
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Copies `reader` into `writer` without its locating metadata. Fails on a file that is not
/// the format it claimed to be; the caller throws away what was written.
pub fn strip(format: Strippable, reader: &mut impl Read, writer: &mut impl Write) -> io::Result<()> {
    match format {
        Strippable::Jpeg => strip_jpeg(reader, writer),
        Strippable::Png => strip_png(reader, writer),
    }
}

fn strip_jpeg(reader: &mut impl Read, writer: &mut impl Write) -> io::Result<()> {
    let mut soi = [0u8; 2];
    reader.read_exact(&mut soi)?;
    if soi != [0xff, 0xd8] {
        return Err(bad("not a JPEG file"));
    }
    writer.write_all(&soi)?;
    let mut segment = vec![0u8; 65_535];
    loop {
        let mut marker = [0u8; 2];
        reader.read_exact(&mut marker)?;
        // Fill bytes (0xFF) may stand before a marker.
        while marker[0] == 0xff && marker[1] == 0xff {
            reader.read_exact(&mut marker[1..])?;
        }
        if marker[0] != 0xff {
            return Err(bad("a JPEG segment does not start with a marker"));
        }
        let kind = marker[1];
        if kind == 0xd9 {
            writer.write_all(&marker)?;
            return Ok(());
        }
        if (0xd0..=0xd7).contains(&kind) || kind == 0x01 {
            writer.write_all(&marker)?;
            continue;
        }
        let mut len = [0u8; 2];
        reader.read_exact(&mut len)?;
        let len = usize::from(u16::from_be_bytes(len));
        if len < 2 {
            return Err(bad("a JPEG segment is shorter than its length field"));
        }
        let body = &mut segment[..len - 2];
        reader.read_exact(body)?;
        let keep = match kind {
            0xe0 => true,
            0xe2 => body.starts_with(b"ICC_PROFILE\0"),
            0xee => body.starts_with(b"Adobe"),
            0xe1 | 0xe3..=0xed | 0xef | 0xfe => false,
            _ => true,
        };
        if keep {
            writer.write_all(&marker)?;
            writer.write_all(&((len as u16).to_be_bytes()))?;
            writer.write_all(body)?;
        }
        if kind == 0xda {
            // Start of scan: the entropy-coded data and everything after it, as it is.
            io::copy(reader, writer)?;
            return Ok(());
        }
    }
}

fn strip_png(reader: &mut impl Read, writer: &mut impl Write) -> io::Result<()> {
    let mut signature = [0u8; 8];
    reader.read_exact(&mut signature)?;
    if signature != PNG_SIGNATURE {
        return Err(bad("not a PNG file"));
    }
    writer.write_all(&signature)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut head = [0u8; 8];
        match reader.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = &head[4..8];
        let drop = matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME");
        if !drop {
            writer.write_all(&head)?;
        }
        // The data and the 4-byte CRC, copied or skipped in pieces.
        let mut left = len + 4;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            reader.read_exact(&mut buf[..n])?;
            if !drop {
                writer.write_all(&buf[..n])?;
            }
            left -= n as u64;
        }
        if kind == b"IEND" {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xff, kind];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    #[test]
    fn a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_its_image() {
        let jfif = segment(0xe0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let exif = segment(0xe1, b"Exif\0\0GPS 53.9N 27.56E");
        let icc = segment(0xe2, b"ICC_PROFILE\0\x01\x01colours");
        let iptc = segment(0xed, b"Photoshop 3.0\0city Minsk");
        let comment = segment(0xfe, b"taken at Akrescina");
        let dqt = segment(0xdb, &[0; 65]);
        let sos = segment(0xda, &[1, 1, 0, 0, 63, 0]);
        let scan = [0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56];
        let mut original = vec![0xff, 0xd8];
        for s in [&jfif, &exif, &icc, &iptc, &comment, &dqt, &sos] {
            original.extend_from_slice(s);
        }
        original.extend_from_slice(&scan);
        original.extend_from_slice(&[0xff, 0xd9]);
        let mut copy = Vec::new();
        strip(Strippable::Jpeg, &mut original.as_slice(), &mut copy).unwrap();
        let mut expected = vec![0xff, 0xd8];
        for s in [&jfif, &icc, &dqt, &sos] {
            expected.extend_from_slice(s);
        }
        expected.extend_from_slice(&scan);
        expected.extend_from_slice(&[0xff, 0xd9]);
        assert_eq!(copy, expected);
        assert!(!copy.windows(3).any(|w| w == b"GPS"));
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        c
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks_and_keeps_the_rest() {
        let ihdr = chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        let exif = chunk(b"eXIf", b"MM\0*GPS");
        let text = chunk(b"tEXt", b"Location\0Minsk");
        let idat = chunk(b"IDAT", &[1, 2, 3]);
        let iend = chunk(b"IEND", &[]);
        let mut original = PNG_SIGNATURE.to_vec();
        for c in [&ihdr, &exif, &text, &idat, &iend] {
            original.extend_from_slice(c);
        }
        let mut copy = Vec::new();
        strip(Strippable::Png, &mut original.as_slice(), &mut copy).unwrap();
        let mut expected = PNG_SIGNATURE.to_vec();
        for c in [&ihdr, &idat, &iend] {
            expected.extend_from_slice(c);
        }
        assert_eq!(copy, expected);
        assert_eq!(Strippable::recognise(&original), Some(Strippable::Png));
        assert_eq!(Strippable::recognise(b"%PDF-1.7"), None);
    }
}

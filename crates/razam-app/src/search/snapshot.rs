//! The sealed snapshot of the search indexes: what a full build made, written so that the next
//! unlock loads it instead of opening every sealed record again.
//!
//! The file is the indexes' own tables in a plain binary form, encrypted as one stream
//! ([`crate::stream`], XChaCha20-Poly1305 in chunks) under a key derived from the data key for
//! this purpose only: nothing of it is ever on disk in the clear. It is written whole or not at
//! all (a temporary file, fsync, rename). It names the audit entry it was taken at (its
//! sequence number and hash); the loader checks that entry and decides from the changes
//! recorded after it whether the snapshot still holds (see `App::load_snapshot`).
//!
//! Nothing here trusts a file: a snapshot that does not decrypt, is of another version or does
//! not decode is refused with the reason, and the caller builds from the records instead.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::stream;

/// The version of the tables' layout; part of the encryption's associated data, so that a
/// snapshot of another layout does not even decrypt.
pub(crate) const VERSION: u32 = 2;

/// The snapshot's file name in the data folder.
pub(crate) const FILE: &str = "search.sealed";
/// The lock file next to it ([`lock`]); it holds nothing.
pub(crate) const LOCK_FILE: &str = "search.lock";

/// Bound to every chunk of the stream with the version.
pub(crate) fn aad() -> Vec<u8> {
    format!("razam search snapshot v{VERSION}").into_bytes()
}

/// Why a snapshot was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("it does not read: {0}")]
    Unreadable(#[from] std::io::Error),
    #[error("it does not decrypt: cut short, changed, of another layout or made with another key")]
    Sealed,
    #[error("it does not decode: {0}")]
    Damaged(&'static str),
}

/// Seals `plain` into `path`: a temporary file readable by the owner only, fsync, rename,
/// fsync of the folder; on any error the temporary file is removed and `path` is as it was.
pub(crate) fn write(path: &Path, key: &[u8; 32], plain: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        stream::encrypt(key, &aad(), &mut &plain[..], &mut out).map_err(std::io::Error::other)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        crate::files::sync_dir(path.parent().unwrap_or(Path::new(".")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The snapshot's lock: held by whoever writes the snapshot (from the check that the indexes
/// are current to the rename) and by an erasure (from removing the snapshot to its commit),
/// so that no snapshot holding an erased person is written after the erasure removed the
/// last one, by this process or another. Released when the file is dropped.
pub(crate) async fn lock(folder: &Path) -> std::io::Result<File> {
    let path = folder.join(LOCK_FILE);
    tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Opens the snapshot at `path`: its plain tables, once every chunk has decrypted.
pub(crate) fn read(path: &Path, key: &[u8; 32]) -> Result<Vec<u8>> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut plain = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut input = BufReader::with_capacity(1 << 20, file);
    stream::decrypt(key, &aad(), &mut input, &mut plain).map_err(|e| match e {
        stream::StreamError::Io(e) => Refused::Unreadable(e),
        stream::StreamError::Damaged => Refused::Sealed,
    })?;
    Ok(plain)
}

/// Removes the snapshot, if there is one (an erasure: no sealed copy of the erased names
/// may stay behind).
pub(crate) fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

type Result<T> = std::result::Result<T, Refused>;

/// Writes the tables: little-endian integers, lengths before lists and texts.
#[derive(Default)]
pub(crate) struct Encoder {
    pub(crate) buf: Vec<u8>,
}

impl Encoder {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.i64(n as i64);
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.buf.extend_from_slice(b);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(crate) fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    pub(crate) fn lists(&mut self, lists: &[Vec<u32>]) {
        self.len(lists.len());
        for l in lists {
            self.u32s(l);
        }
    }
    /// The keys of a map whose values are the ids `0..n`, in id order.
    pub(crate) fn dense_keys<'a>(&mut self, map: impl Iterator<Item = (&'a str, u32)>, n: usize) {
        let mut by_id: Vec<&str> = vec![""; n];
        for (k, id) in map {
            if let Some(slot) = by_id.get_mut(id as usize) {
                *slot = k;
            }
        }
        self.len(n);
        for k in by_id {
            self.str(k);
        }
    }
}

/// Reads what [`Encoder`] wrote; every read is checked against the end of the input.
pub(crate) struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Refused::Damaged("cut short"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub(crate) fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.array()
    }
    /// A length, no larger than what is left to read (each element takes a byte at least).
    pub(crate) fn len(&mut self) -> Result<usize> {
        let n = self.i64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.rest.len())
            .ok_or(Refused::Damaged("a length beyond the end"))
    }
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }
    pub(crate) fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Refused::Damaged("a text that is not UTF-8"))
    }
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.len()?;
        let raw = self.take(n.checked_mul(4).ok_or(Refused::Damaged("a list too long"))?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    /// Posting lists, each entry below `bound` (the slots they point to).
    pub(crate) fn lists(&mut self, bound: usize) -> Result<Vec<Vec<u32>>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let l = self.u32s()?;
            if l.iter().any(|&s| s as usize >= bound) {
                return Err(Refused::Damaged("a posting beyond the slots"));
            }
            out.push(l);
        }
        Ok(out)
    }
    /// The map [`Encoder::dense_keys`] wrote: each key to its id.
    pub(crate) fn dense_keys(&mut self) -> Result<HashMap<Box<str>, u32>> {
        let n = self.len()?;
        let mut map = HashMap::with_capacity(n);
        for id in 0..n {
            map.insert(self.str()?.into(), id as u32);
        }
        if map.len() != n {
            return Err(Refused::Damaged("a key twice"));
        }
        Ok(map)
    }
    pub(crate) fn finished(&self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Refused::Damaged("bytes after the end"))
        }
    }
}

#[cfg(test)]
mod tests {
    use razam_core::registry::Confidentiality;

    use super::*;
    use crate::search::{NameIndex, PersonNames, TextIndex};

    fn names() -> NameIndex {
        let mut ix = NameIndex::new();
        let variants = vec!["Kalinouski Aliaksandr".to_owned()];
        let none: Vec<String> = Vec::new();
        let mut add = |id, family, given, variants: &[String], birth, region: Option<&str>, level| {
            ix.upsert(
                id,
                &PersonNames {
                    family_name: family,
                    given_name: given,
                    patronymic: "",
                    variants,
                    birth_date: birth,
                },
                region,
                level,
            );
        };
        add(
            1,
            "Каліноўскі",
            "Аляксандр",
            &variants,
            "1990-02-03",
            Some("minsk-city"),
            Confidentiality::Internal,
        );
        add(
            2,
            "Калиновская",
            "Мария",
            &none,
            "1990",
            Some("brest"),
            Confidentiality::Restricted,
        );
        add(3, "Kalinowski", "Jan", &none, "1990-02", None, Confidentiality::Public);
        add(
            4,
            "Іваноў",
            "Алесь",
            &none,
            "",
            Some("minsk-city"),
            Confidentiality::Internal,
        );
        // An edit (a new slot), a removal and a merge: the retired slots are kept as they are.
        add(
            4,
            "Іванова",
            "Алеся",
            &none,
            "1985",
            Some("minsk-city"),
            Confidentiality::Internal,
        );
        add(5, "Пятроў", "Пётр", &none, "", None, Confidentiality::Internal);
        ix.remove(5);
        ix.merge(1, 3);
        ix
    }

    fn texts() -> TextIndex {
        let mut ix = TextIndex::new();
        ix.upsert_event(1, Confidentiality::Internal, &["Задержали у дома", "Минск"]);
        ix.upsert_event(2, Confidentiality::Restricted, &["После задержания избит"]);
        ix.upsert_event(1, Confidentiality::Internal, &["Обыск в квартире", "Минск"]);
        ix.upsert_source(7, 2, Confidentiality::Public, &["Report on the arrests"]);
        ix
    }

    fn encoded() -> Vec<u8> {
        let mut e = Encoder::default();
        names().encode(&mut e);
        texts().encode(&mut e);
        e.buf
    }

    const QUERIES: &[&str] = &[
        "Kalinouski",
        "Калиновский Ян",
        "Iванова 1985",
        "Алесь",
        "Пятроў",
        "1990",
    ];

    #[test]
    fn the_tables_read_back_answer_as_the_indexes_did() {
        let bytes = encoded();
        let mut d = Decoder::new(&bytes);
        let (n, t) = (NameIndex::decode(&mut d).unwrap(), TextIndex::decode(&mut d).unwrap());
        d.finished().unwrap();
        let (n0, t0) = (names(), texts());
        let every = |_| true;
        for q in QUERIES {
            let (a, b) = (n0.search(q, every, 10), n.search(q, every, 10));
            assert_eq!(format!("{:?}", a.hits), format!("{:?}", b.hits), "{q}");
            assert_eq!((a.all, a.any), (b.all, b.any), "{q}");
        }
        assert!(!n0.search("Kalinouski", every, 10).hits.is_empty());
        for q in ["обыск", "задержали", "arrested", "Минск"] {
            assert_eq!(t0.search(q, every, 10).hits, t.search(q, every, 10).hits, "{q}");
        }
        assert_eq!(
            t.search("задержали", every, 10).total,
            0,
            "the edit's old text stays retired"
        );
        assert_eq!((n.len(), t.len()), (n0.len(), t0.len()));
        assert_eq!(n.duplicate_blocks(every).1, n0.duplicate_blocks(every).1);
        assert_eq!(n.heap_bytes() > 0, n0.heap_bytes() > 0);
    }

    #[test]
    fn every_cut_and_many_changed_bytes_are_refused_or_read_without_a_panic() {
        let bytes = encoded();
        for cut in 0..bytes.len() {
            let mut d = Decoder::new(&bytes[..cut]);
            let read = NameIndex::decode(&mut d)
                .and_then(|_| TextIndex::decode(&mut d))
                .and_then(|_| d.finished());
            assert!(read.is_err(), "{cut} bytes of {} read as whole", bytes.len());
        }
        // The file is authenticated, so changed tables are never read in use; still, a
        // decoder that meets one refuses it or reads something it can search without a panic.
        for at in (0..bytes.len()).step_by(3) {
            let mut changed = bytes.clone();
            changed[at] ^= 0xa5;
            let mut d = Decoder::new(&changed);
            if let (Ok(n), Ok(t)) = (NameIndex::decode(&mut d), TextIndex::decode(&mut d)) {
                for q in QUERIES {
                    n.search(q, |_| true, 10);
                    t.search(q, |_| true, 10);
                }
                n.duplicate_blocks(|_| true);
            }
        }
    }
}

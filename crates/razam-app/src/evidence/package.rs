//! Case packages: one tar archive (optionally encrypted to an age recipient) that a court,
//! a lawyer or anyone else can verify without Razam.
//!
//! Layout, under one folder `razam-evidence-<package id>/`:
//! - `README.txt`: what the package is and how to verify it with standard tools;
//! - `public-key.pem`: the instance's Ed25519 public key (SubjectPublicKeyInfo);
//! - `manifest.json` and `manifest.json.sig`: every file's path, size, SHA-256, BLAKE3,
//!   capture metadata and custody log; the raw 64-byte Ed25519 signature over the manifest;
//! - `SHA256SUMS` and `SHA256SUMS.sig`: the files' SHA-256 in `sha256sum -c` form, signed too;
//! - `files/NNNN-<name>`: the originals, byte for byte as taken in.
//!
//! The package is written as a stream: each original is decrypted from its sealed file
//! straight into the archive, hashed on the way and checked against its intake hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use ed25519_dalek::{Signer, Verifier};
use razam_core::custody::{CustodyRecord, verify_custody};
use razam_core::role::Permission;
use serde::{Deserialize, Serialize};

use super::{Capture, CustodyView, Digests, HashingWriter, ItemView, SigningIdentity, open_file};
use crate::{Actor, App, AppError};

/// DER of SubjectPublicKeyInfo for Ed25519 up to the 32 key bytes (RFC 8410).
pub const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

pub const FORMAT: &str = "razam-evidence-package/1";
const README: &str = "README.txt";
const PUBLIC_KEY: &str = "public-key.pem";
const MANIFEST: &str = "manifest.json";
const MANIFEST_SIG: &str = "manifest.json.sig";
const SUMS: &str = "SHA256SUMS";
const SUMS_SIG: &str = "SHA256SUMS.sig";
/// The small files a package holds besides the originals (read whole when verifying).
const PACKAGE_FILES: [&str; 6] = [README, PUBLIC_KEY, MANIFEST, MANIFEST_SIG, SUMS, SUMS_SIG];
const SMALL_MAX: u64 = 256 * 1024 * 1024;
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub package: String,
    /// The case reference.
    pub case: String,
    pub created_at: String,
    pub created_by: String,
    pub signing_key: SigningKeyInfo,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyInfo {
    pub algorithm: String,
    /// The 32 key bytes, hex.
    pub public_key: String,
    /// SHA-256 of the DER public key (`public-key.pem`), hex in groups of four.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Relative to the package folder, e.g. `files/0001-photo.jpg`.
    pub path: String,
    /// The item's id in the instance.
    pub item: i64,
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
    pub blake3: String,
    /// As given at intake; empty fields were not given.
    pub capture: Capture,
    /// `person:7`, `event:12`, `source:3` or empty.
    pub attached_to: String,
    pub taken_in_at: String,
    pub custody: Vec<ManifestCustody>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestCustody {
    pub seq: i64,
    pub at: String,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct PackageReport {
    pub package: String,
    pub files: usize,
    pub bytes: u64,
    pub fingerprint: String,
    pub encrypted: bool,
}

/// One thing wrong with a package, as `verify` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing(String),
    Altered(String),
    Extra(String),
    BadSignature(String),
    Custody(String, String),
    Damaged(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing(p) => write!(f, "missing: {p}"),
            Problem::Altered(p) => write!(f, "altered: {p}"),
            Problem::Extra(p) => write!(f, "extra: {p}"),
            Problem::BadSignature(p) => write!(f, "bad signature: {p}"),
            Problem::Custody(p, why) => write!(f, "custody log broken: {p}: {why}"),
            Problem::Damaged(why) => write!(f, "damaged: {why}"),
        }
    }
}

/// The outcome of verifying a package.
#[derive(Debug, Clone)]
pub struct Verification {
    pub problems: Vec<Problem>,
    pub files: usize,
    pub case: Option<String>,
    pub fingerprint: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A file name safe in any archive tool and any file system: ASCII letters, digits, `.`,
/// `-`, `_`; other characters become `_`; at most 60 characters, extension kept.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let cleaned = if cleaned.is_empty() { "file" } else { cleaned };
    if cleaned.len() <= 60 {
        return cleaned.to_owned();
    }
    let ext = cleaned
        .rfind('.')
        .map(|i| &cleaned[i..])
        .filter(|e| e.len() <= 10)
        .unwrap_or("");
    format!("{}{ext}", &cleaned[..60 - ext.len()])
}

fn readme(manifest: &Manifest, folder: &str) -> String {
    format!(
        "RAZAM EVIDENCE PACKAGE
======================

Case:        {case}
Package:     {package}
Created:     {created} by {by}
Files:       {n}
Signing key: Ed25519, fingerprint (SHA-256 of the DER public key)
             {fp}

This package holds the original files of one case exactly as they were taken in, a
manifest (manifest.json) with each file's size, SHA-256 and BLAKE3 hash, the capture
metadata recorded with it (as given by whoever brought it in, never filled in) and its
custody log (intake, every view, download and export, each entry hash-chained to the one
before), and an Ed25519 signature over the manifest by the instance that kept the files.

Compare the fingerprint above with the one the sending organisation shows on its Razam
instance (page \"Evidence\") or tells you in person: the signature only proves that the
holder of that key made the package.

HOW TO VERIFY WITH STANDARD TOOLS (OpenSSL 3 and GNU coreutils)
--------------------------------------------------------------
In the folder {folder}/ :

1. The key's fingerprint:
     openssl pkey -pubin -in public-key.pem -outform DER | sha256sum
   The 64 hex digits are the fingerprint above without the colons.

2. The signatures (each prints \"Signature Verified Successfully\"):
     openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in manifest.json -sigfile manifest.json.sig
     openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig

3. Every file against the signed list (each line must end in OK):
     sha256sum -c SHA256SUMS

4. No file added: the number of files under files/ equals the number of lines of SHA256SUMS:
     find files -type f | wc -l ; wc -l < SHA256SUMS

The BLAKE3 hashes in manifest.json can be checked with b3sum. The command
`razam evidence verify PACKAGE` does all of the above, and also rechecks every custody log,
without needing a Razam instance.
",
        case = manifest.case,
        package = manifest.package,
        created = manifest.created_at,
        by = manifest.created_by,
        n = manifest.files.len(),
        fp = manifest.signing_key.fingerprint,
    )
}

/// Writes tar entries by hand around the streamed file contents: a header block from the
/// `tar` crate, the bytes, the padding to the next 512-byte block.
struct TarOut<W: Write> {
    inner: W,
    folder: String,
}

impl<W: Write> TarOut<W> {
    fn header(&mut self, path: &str, size: u64, mtime: u64) -> io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_path(format!("{}/{path}", self.folder))?;
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.inner.write_all(header.as_bytes())
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rest = (512 - size % 512) % 512;
        self.inner.write_all(&vec![0u8; rest as usize])
    }

    fn small(&mut self, path: &str, bytes: &[u8], mtime: u64) -> io::Result<()> {
        self.header(path, bytes.len() as u64, mtime)?;
        self.inner.write_all(bytes)?;
        self.pad(bytes.len() as u64)
    }

    fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&[0u8; 1024])?;
        Ok(self.inner)
    }
}

/// The output of an export: the file, or an age encryptor writing into it.
enum Sink {
    Plain(BufWriter<File>),
    Age(age::stream::StreamWriter<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

impl Sink {
    fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Age(w) => w.finish()?,
        };
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file)
    }
}

/// One item to put into a package, with what it needs on the blocking thread.
struct Entry {
    path: String,
    blob: String,
    size: u64,
    sha256: String,
    blake3: String,
}

impl App {
    /// Writes the package of a case to `out` (a new file): every item of the case the actor
    /// may read. Each item's custody log gets an `export` entry naming the package first, so
    /// the package carries its own export. `recipient` is an age public key (`age1…`).
    pub async fn export_evidence(
        &self,
        actor: &Actor,
        case_reference: &str,
        out: &Path,
        recipient: Option<&str>,
    ) -> Result<PackageReport, AppError> {
        self.require(actor, Permission::Export)?;
        let recipient = recipient
            .map(|r| {
                r.trim()
                    .parse::<age::x25519::Recipient>()
                    .map_err(|e| AppError::BadInput(format!("--age-recipient: not an age public key (age1…): {e}")))
            })
            .transpose()?;
        if out.exists() {
            return Err(AppError::BadInput(format!(
                "{} exists already: name a new file",
                out.display()
            )));
        }
        let case = self.evidence_case_by_reference(actor, case_reference).await?;
        let (_, items) = self.evidence_case(actor, case.id).await?;
        if items.is_empty() {
            return Err(AppError::BadInput(
                "the case holds no evidence this account may read".into(),
            ));
        }
        let package = hex::encode(rand::random::<[u8; 8]>());
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        self.record_custody(actor, &ids, "export", "evidence.export", &format!("package:{package}"))
            .await?;
        let identity = self.signing_identity();
        let mut files = Vec::new();
        let mut entries = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let row = self.readable_item(actor, item.id).await?;
            let custody = self.custody_log(item.id).await?;
            let path = format!("files/{:04}-{}", n + 1, safe_name(&item.facts.original_name));
            entries.push(Entry {
                path: path.clone(),
                blob: row.blob,
                size: item.facts.size,
                sha256: item.facts.sha256.clone(),
                blake3: item.facts.blake3.clone(),
            });
            files.push(manifest_file(path, item, &custody));
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            package: package.clone(),
            case: case.details.reference.clone(),
            created_at: rfc3339(crate::now_ms()),
            created_by: actor.audit_name(),
            signing_key: SigningKeyInfo {
                algorithm: "Ed25519".into(),
                public_key: hex::encode(identity.public_key),
                fingerprint: identity.fingerprint(),
            },
            files,
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Archive(e.to_string()))?;
        let sums: String = manifest
            .files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect();
        let signing = self.keys.signing.clone();
        let small = vec![
            (
                README.to_owned(),
                readme(&manifest, &format!("razam-evidence-{package}")).into_bytes(),
            ),
            (PUBLIC_KEY.to_owned(), identity.pem().into_bytes()),
            (
                MANIFEST_SIG.to_owned(),
                signing.sign(&manifest_json).to_bytes().to_vec(),
            ),
            (MANIFEST.to_owned(), manifest_json),
            (SUMS_SIG.to_owned(), signing.sign(sums.as_bytes()).to_bytes().to_vec()),
            (SUMS.to_owned(), sums.into_bytes()),
        ];
        let dir = self.evidence_dir();
        let key = zeroize::Zeroizing::new(*self.keys.evidence);
        let out = out.to_owned();
        let folder = format!("razam-evidence-{package}");
        let count = entries.len();
        let encrypted = recipient.is_some();
        let written =
            tokio::task::spawn_blocking(move || write_package(&out, &folder, &small, &entries, &dir, &key, recipient))
                .await
                .map_err(|e| AppError::Archive(e.to_string()))
                .and_then(|r| r);
        let bytes = match written {
            Ok(bytes) => bytes,
            Err(e) => {
                // The log says the items went into this package: say that it was not made.
                let detail = format!("package:{package}");
                self.record_custody(actor, &ids, "export-failed", "evidence.export_failed", &detail)
                    .await?;
                return Err(e);
            }
        };
        Ok(PackageReport {
            package,
            files: count,
            bytes,
            fingerprint: identity.fingerprint(),
            encrypted,
        })
    }
}

fn manifest_file(path: String, item: &ItemView, custody: &[CustodyView]) -> ManifestFile {
    use super::Attachment;
    ManifestFile {
        path,
        item: item.id,
        original_name: item.facts.original_name.clone(),
        size: item.facts.size,
        sha256: item.facts.sha256.clone(),
        blake3: item.facts.blake3.clone(),
        capture: item.facts.capture.clone(),
        attached_to: match item.attachment {
            Attachment::None => String::new(),
            Attachment::Person(id) => format!("person:{id}"),
            Attachment::Event(id) => format!("event:{id}"),
            Attachment::Source(id) => format!("source:{id}"),
        },
        taken_in_at: rfc3339(item.created_at_ms),
        custody: custody
            .iter()
            .map(|c| ManifestCustody {
                seq: c.record.seq,
                at: rfc3339(c.record.at_ms),
                at_ms: c.record.at_ms,
                actor: c.record.actor.clone(),
                action: c.record.action.clone(),
                detail: c.record.detail.clone(),
                prev_hash: hex::encode(c.prev_hash),
                hash: hex::encode(c.hash),
            })
            .collect(),
    }
}

/// Writes the archive to a `.part` file beside `out`, then renames it: a failed export leaves
/// nothing behind. Returns the archive's size.
fn write_package(
    out: &Path,
    folder: &str,
    small: &[(String, Vec<u8>)],
    entries: &[Entry],
    dir: &Path,
    key: &[u8; 32],
    recipient: Option<age::x25519::Recipient>,
) -> Result<u64, AppError> {
    let part = out.with_file_name(format!(
        ".{}.part",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let result = (|| -> Result<u64, AppError> {
        let file = crate::files::create_private_new(&part)?;
        let buffered = BufWriter::with_capacity(256 * 1024, file);
        let sink = match recipient {
            None => Sink::Plain(buffered),
            Some(r) => {
                let encryptor = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                    .map_err(|e| AppError::Archive(format!("age: {e}")))?;
                Sink::Age(
                    encryptor
                        .wrap_output(buffered)
                        .map_err(AppError::io("starting the age encryption"))?,
                )
            }
        };
        let mtime = (crate::now_ms() / 1000).max(0) as u64;
        let mut tar = TarOut {
            inner: sink,
            folder: folder.to_owned(),
        };
        let write_err = AppError::io(format!("writing {}", part.display()));
        for (path, bytes) in small {
            if let Err(e) = tar.small(path, bytes, mtime) {
                return Err(write_err(e));
            }
        }
        for entry in entries {
            tar.header(&entry.path, entry.size, mtime)
                .map_err(AppError::io("writing the archive"))?;
            let mut digests = Digests::default();
            let mut hashing = HashingWriter {
                inner: &mut tar.inner,
                digests: &mut digests,
            };
            open_file(&dir.join(&entry.blob), key, &entry.blob, &mut hashing)?;
            let (size, sha256, blake3) = digests.finish();
            if size != entry.size || sha256 != entry.sha256 || blake3 != entry.blake3 {
                return Err(AppError::Vault(format!(
                    "{} does not match the hashes taken at intake: the package was not written",
                    entry.path
                )));
            }
            tar.pad(size).map_err(AppError::io("writing the archive"))?;
        }
        let sink = tar.finish().map_err(AppError::io("writing the archive"))?;
        let file = sink.finish().map_err(AppError::io("finishing the archive"))?;
        let len = file.metadata().map_err(AppError::io("reading the archive size"))?.len();
        if out.exists() {
            return Err(AppError::BadInput(format!(
                "{} exists already: name a new file",
                out.display()
            )));
        }
        std::fs::rename(&part, out).map_err(AppError::io(format!("naming {}", out.display())))?;
        Ok(len)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// What `verify` collects of each archive entry: small files whole, originals as hashes.
enum Seen {
    Small(Vec<u8>),
    Hashed { size: u64, sha256: String, blake3: String },
}

/// Verifies a package without any instance: every file against the manifest, the manifest
/// and the checksum list against their signatures, every custody log against its chain.
/// `identity` opens a package encrypted with age (an `AGE-SECRET-KEY-1…` file).
pub fn verify_package(path: &Path, identity: Option<&Path>) -> Result<Verification, AppError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AppError::BadInput(format!("{} does not exist", path.display())),
        _ => AppError::io(format!("opening {}", path.display()))(e),
    })?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head = {
        use std::io::BufRead;
        reader
            .fill_buf()
            .map_err(AppError::io(format!("reading {}", path.display())))?
            .to_vec()
    };
    let input: Box<dyn Read> = if head.starts_with(AGE_MAGIC) {
        let Some(identity) = identity else {
            return Err(AppError::BadInput(
                "this package is encrypted with age: give --identity KEYFILE (or decrypt it first with `age -d -i KEYFILE`)"
                    .into(),
            ));
        };
        let text =
            std::fs::read_to_string(identity).map_err(AppError::io(format!("reading {}", identity.display())))?;
        let key = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .ok_or_else(|| AppError::BadInput(format!("{} holds no age secret key", identity.display())))?
            .parse::<age::x25519::Identity>()
            .map_err(|e| AppError::BadInput(format!("{}: {e}", identity.display())))?;
        let decryptor = age::Decryptor::new_buffered(reader)
            .map_err(|e| AppError::BadInput(format!("not a readable age file: {e}")))?;
        Box::new(
            decryptor
                .decrypt(std::iter::once(&key as &dyn age::Identity))
                .map_err(|e| AppError::BadInput(format!("the package does not open with this identity: {e}")))?,
        )
    } else {
        Box::new(reader)
    };
    Ok(check_archive(input))
}

fn check_archive(input: impl Read) -> Verification {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut folder: Option<String> = None;
    let mut archive = tar::Archive::new(input);
    let read = (|| -> io::Result<()> {
        for entry in archive.entries()? {
            let mut entry = entry?;
            let full = entry.path()?.to_string_lossy().into_owned();
            if entry.header().entry_type().is_dir() {
                continue;
            }
            let (top, rest) = full.split_once('/').unwrap_or(("", full.as_str()));
            if folder.is_none() {
                folder = Some(top.to_owned());
            }
            let rest = if folder.as_deref() == Some(top) {
                rest.to_owned()
            } else {
                full.clone()
            };
            if PACKAGE_FILES.contains(&rest.as_str()) && entry.size() <= SMALL_MAX {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes)?;
                seen.insert(rest, Seen::Small(bytes));
            } else {
                let mut digests = Digests::default();
                let mut sink = HashingWriter {
                    inner: io::sink(),
                    digests: &mut digests,
                };
                io::copy(&mut entry, &mut sink)?;
                let (size, sha256, blake3) = digests.finish();
                seen.insert(rest, Seen::Hashed { size, sha256, blake3 });
            }
        }
        Ok(())
    })();
    if let Err(e) = read {
        problems.push(Problem::Damaged(format!("the archive does not read to its end: {e}")));
    }
    let small = |name: &str| match seen.get(name) {
        Some(Seen::Small(b)) => Some(b.clone()),
        _ => None,
    };
    for name in PACKAGE_FILES {
        if small(name).is_none() {
            problems.push(Problem::Missing(name.to_owned()));
        }
    }
    let mut verification = Verification {
        problems: Vec::new(),
        files: 0,
        case: None,
        fingerprint: None,
    };
    let key = small(PUBLIC_KEY).and_then(|pem| parse_public_key(&pem));
    if small(PUBLIC_KEY).is_some() && key.is_none() {
        problems.push(Problem::Damaged(format!("{PUBLIC_KEY} is not an Ed25519 public key")));
    }
    let signed = |data: &str, sig: &str| -> Option<bool> {
        let (key, data, sig) = (key.as_ref()?, small(data)?, small(sig)?);
        let sig = ed25519_dalek::Signature::from_slice(&sig).ok();
        Some(sig.is_some_and(|s| key.verify(&data, &s).is_ok()))
    };
    for (data, sig) in [(MANIFEST, MANIFEST_SIG), (SUMS, SUMS_SIG)] {
        if signed(data, sig) == Some(false) {
            problems.push(Problem::BadSignature(data.to_owned()));
        }
    }
    let manifest: Option<Manifest> = small(MANIFEST).and_then(|m| match serde_json::from_slice(&m) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(Problem::Damaged(format!("{MANIFEST} does not parse: {e}")));
            None
        }
    });
    if let Some(manifest) = &manifest {
        if let Some(key) = &key {
            let identity = SigningIdentity {
                public_key: key.to_bytes(),
            };
            verification.fingerprint = Some(identity.fingerprint());
            if manifest.signing_key.public_key != hex::encode(identity.public_key) {
                problems.push(Problem::BadSignature(format!(
                    "{MANIFEST} names another key than {PUBLIC_KEY}"
                )));
            }
        }
        verification.case = Some(manifest.case.clone());
        verification.files = manifest.files.len();
        let mut listed = BTreeSet::new();
        for f in &manifest.files {
            listed.insert(f.path.clone());
            match seen.get(&f.path) {
                None | Some(Seen::Small(_)) => problems.push(Problem::Missing(f.path.clone())),
                Some(Seen::Hashed { size, sha256, blake3 }) => {
                    if *size != f.size || *sha256 != f.sha256 || *blake3 != f.blake3 {
                        problems.push(Problem::Altered(f.path.clone()));
                    }
                }
            }
            if let Err(why) = check_custody(f) {
                problems.push(Problem::Custody(f.path.clone(), why));
            }
        }
        for (name, what) in &seen {
            let known = PACKAGE_FILES.contains(&name.as_str()) && matches!(what, Seen::Small(_));
            if !known && !listed.contains(name) {
                problems.push(Problem::Extra(name.clone()));
            }
        }
        let sums: String = manifest
            .files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect();
        if small(SUMS).is_some_and(|s| s != sums.as_bytes()) {
            problems.push(Problem::Altered(format!("{SUMS} (it disagrees with {MANIFEST})")));
        }
    }
    problems.dedup();
    verification.problems = problems;
    verification
}

fn check_custody(file: &ManifestFile) -> Result<(), String> {
    let parse = |h: &str| -> Result<[u8; 32], String> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(h, &mut out).map_err(|_| format!("{h} is not a hash"))?;
        Ok(out)
    };
    let mut chain = Vec::new();
    for c in &file.custody {
        chain.push((
            CustodyRecord {
                item: file.item,
                seq: c.seq,
                at_ms: c.at_ms,
                actor: c.actor.clone(),
                action: c.action.clone(),
                detail: c.detail.clone(),
            },
            parse(&c.prev_hash)?,
            parse(&c.hash)?,
        ));
    }
    if chain.first().is_none_or(|(r, _, _)| r.action != "intake") {
        return Err("it does not start with the intake".into());
    }
    verify_custody(chain.iter().map(|(r, p, h)| (r, p, h)))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn parse_public_key(pem: &[u8]) -> Option<ed25519_dalek::VerifyingKey> {
    use base64::Engine;
    let text = std::str::from_utf8(pem).ok()?;
    let b64: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let key: [u8; 32] = der.strip_prefix(&ED25519_SPKI_PREFIX[..])?.try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_archive_are_safe_and_short() {
        assert_eq!(safe_name("фота 1.jpg"), "_____1.jpg");
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(""), "file");
        let long = format!("{}.jpeg", "a".repeat(100));
        assert_eq!(safe_name(&long).len(), 60);
        assert!(safe_name(&long).ends_with(".jpeg"));
    }

    #[test]
    fn a_pem_public_key_round_trips() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let identity = SigningIdentity {
            public_key: key.verifying_key().to_bytes(),
        };
        let parsed = parse_public_key(identity.pem().as_bytes()).unwrap();
        assert_eq!(parsed.to_bytes(), identity.public_key);
        assert_eq!(identity.fingerprint().len(), 64 + 15);
    }
}

//! Evidence and chain of custody (issue 5): files kept so that a court can verify them.
//!
//! A **case** is a reference the operator chooses (a court file number, "Case of X. v.
//! Belarus") that groups evidence items; it is found by a keyed hash of the reference, which
//! is itself sealed. An **item** is one original file, in one case, optionally attached to a
//! person, an event or a source. Its bytes are sealed in streaming chunks ([`crate::stream`])
//! into the data folder's `evidence/` under an opaque random name; its original name, size,
//! SHA-256 and BLAKE3 (computed at intake, in the same pass that seals it) and the capture
//! metadata given with it are sealed in the database. The original is never changed; a
//! sharing copy (locating metadata stripped, [`strip`]) is made on the fly and never stored.
//!
//! Every intake, view, download, export and transfer is a custody entry in the item's own hash
//! chain and an audit entry. Packages ([`package`]) carry the originals with a manifest signed
//! by the instance's Ed25519 key, which is derived from the data key: it lives in the vault
//! with it, is never written anywhere, and survives rekeying and restores.
//!
//! Nothing here reads a whole file into memory: files go through 64 KiB at a time.

pub mod package;
pub mod strip;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use razam_core::custody::CustodyRecord;
use razam_core::registry::Confidentiality;
use razam_core::role::Permission;
use razam_store::evidence::{CaseRow, ItemRow, NewCase, NewCustody, NewItem};
use razam_store::{AuditEvent, AuditObject};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::files::{create_private_dir, sync_dir};
use crate::registry::level;
use crate::{Actor, App, AppError, stream};

const SEAL_CASE: &str = "evidence.case";
const SEAL_ITEM: &str = "evidence.item";
/// The folder under the data folder that holds the sealed files.
pub const EVIDENCE_DIR: &str = "evidence";
const REFERENCE_MAX: usize = 200;
/// Every action a custody log records.
pub const CUSTODY_ACTIONS: [&str; 7] = [
    "intake",
    "view",
    "download",
    "sharing-copy",
    "export",
    "export-failed",
    "transfer",
];
const SEAL_TRANSFER: &str = "evidence.transfer";
const TEXT_MAX: usize = 10_000;

/// How an item was captured, as the person who brought it says: recorded as given, never
/// filled in or guessed. Empty means "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// Who collected it (a name, a pseudonym, an organisation).
    #[serde(default)]
    pub collected_by: String,
    /// When, as given (a date, a time, "evening of 9 August 2020").
    #[serde(default)]
    pub collected_at: String,
    /// How: filmed, photographed, downloaded, received from a witness…
    #[serde(default)]
    pub method: String,
    /// From where: a place, a URL.
    #[serde(default)]
    pub source: String,
    /// With what tool: a camera, an app, a web archiver.
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub notes: String,
}

/// What the database holds of an item, sealed whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFacts {
    pub original_name: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    pub blake3: String,
    pub capture: Capture,
}

/// The case's reference and notes, sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetails {
    pub reference: String,
    #[serde(default)]
    pub notes: String,
}

/// What an item is attached to in the registry (at most one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Attachment {
    #[default]
    None,
    Person(i64),
    Event(i64),
    Source(i64),
}

#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: i64,
    pub details: CaseDetails,
    pub items: i64,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ItemView {
    pub id: i64,
    pub case_id: i64,
    pub facts: ItemFacts,
    pub attachment: Attachment,
    pub confidentiality: Confidentiality,
    pub created_by: String,
    pub created_at_ms: i64,
    pub custody_len: i64,
}

/// One custody entry with its link hashes, as shown and exported.
#[derive(Debug, Clone)]
pub struct CustodyView {
    pub record: CustodyRecord,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// The instance's package-signing key, public half: safe to show anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningIdentity {
    pub public_key: [u8; 32],
}

impl SigningIdentity {
    /// The public key as SubjectPublicKeyInfo DER (RFC 8410): what `openssl pkey` reads.
    pub fn spki_der(&self) -> Vec<u8> {
        let mut der = package::ED25519_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.public_key);
        der
    }

    pub fn pem(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.spki_der());
        format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
    }

    /// SHA-256 of the DER public key, hex in groups of four:
    /// `openssl pkey -pubin -in public-key.pem -outform DER | sha256sum` prints the same digits.
    pub fn fingerprint(&self) -> String {
        let digest = hex::encode(sha2::Sha256::digest(self.spki_der()));
        digest
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// The two content hashes and the length of bytes that pass through.
pub struct Digests {
    sha256: sha2::Sha256,
    blake3: blake3::Hasher,
    size: u64,
}

impl Default for Digests {
    fn default() -> Digests {
        Digests {
            sha256: sha2::Sha256::new(),
            blake3: blake3::Hasher::new(),
            size: 0,
        }
    }
}

impl Digests {
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        self.blake3.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// (size, SHA-256 hex, BLAKE3 hex).
    pub fn finish(self) -> (u64, String, String) {
        (
            self.size,
            hex::encode(self.sha256.finalize()),
            self.blake3.finalize().to_hex().to_string(),
        )
    }
}

/// A reader that hashes what is read through it.
pub struct HashingReader<'a, R> {
    pub inner: R,
    pub digests: &'a mut Digests,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digests.update(&buf[..n]);
        Ok(n)
    }
}

/// A writer that hashes what is written through it.
pub struct HashingWriter<'a, W> {
    pub inner: W,
    pub digests: &'a mut Digests,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digests.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The AEAD context of a sealed file: a file cannot be passed off under another item's name.
fn file_aad(blob: &str) -> Vec<u8> {
    format!("razam evidence file v1 {blob}").into_bytes()
}

fn check_text(what: &str, text: &str, max: usize) -> Result<(), AppError> {
    if text.chars().count() > max {
        return Err(AppError::BadInput(format!("{what}: at most {max} characters")));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::BadInput(format!(
            "{what}: control characters are not allowed"
        )));
    }
    Ok(())
}

/// A case reference: trimmed, 1–200 characters, one line.
pub fn parse_reference(text: &str) -> Result<String, AppError> {
    let reference = text.trim();
    if reference.is_empty() {
        return Err(AppError::BadInput(
            "a case needs a reference (e.g. a court file number)".into(),
        ));
    }
    check_text("the case reference", reference, REFERENCE_MAX)?;
    if reference.contains(['\n', '\r']) {
        return Err(AppError::BadInput("the case reference: one line only".into()));
    }
    Ok(reference.to_owned())
}

impl Capture {
    fn check(&self) -> Result<(), AppError> {
        for (what, text) in [
            ("collected by", &self.collected_by),
            ("collected at", &self.collected_at),
            ("method", &self.method),
            ("source", &self.source),
            ("tool", &self.tool),
            ("notes", &self.notes),
        ] {
            check_text(what, text, TEXT_MAX)?;
        }
        Ok(())
    }
}

/// What sealing a file into the evidence folder found: its opaque name and its facts.
struct Sealed {
    blob: String,
    size: u64,
    sha256: String,
    blake3: String,
}

/// Seals all of `reader` into `dir` under a new random name, hashing it in the same pass.
/// The file is written beside its final name, synced, then renamed: a crash leaves at most a
/// `.part` file of ciphertext.
fn seal_file(dir: &Path, key: &[u8; 32], reader: impl Read) -> Result<Sealed, AppError> {
    create_private_dir(dir)?;
    let blob = hex::encode(rand::random::<[u8; 16]>());
    let part = dir.join(format!(".{blob}.part"));
    let path = dir.join(&blob);
    let mut digests = Digests::default();
    let result = (|| -> Result<(), AppError> {
        let file = crate::files::create_private_new(&part)?;
        let mut writer = BufWriter::with_capacity(256 * 1024, file);
        let mut hashing = HashingReader {
            inner: reader,
            digests: &mut digests,
        };
        stream::encrypt(key, &file_aad(&blob), &mut hashing, &mut writer).map_err(|e| match e {
            stream::StreamError::Io(source) => AppError::Io {
                what: "sealing an evidence file".into(),
                source,
            },
            stream::StreamError::Damaged => AppError::Vault("could not seal an evidence file".into()),
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| AppError::io("writing an evidence file")(e.into_error()))?;
        file.sync_all().map_err(AppError::io("syncing an evidence file"))?;
        std::fs::rename(&part, &path).map_err(AppError::io("naming an evidence file"))?;
        sync_dir(dir).map_err(AppError::io("syncing the evidence folder"))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    let (size, sha256, blake3) = digests.finish();
    Ok(Sealed {
        blob,
        size,
        sha256,
        blake3,
    })
}

impl App {
    fn evidence_dir(&self) -> PathBuf {
        self.config.data_dir.join(EVIDENCE_DIR)
    }

    /// The public half of the instance's package-signing key.
    pub fn signing_identity(&self) -> SigningIdentity {
        SigningIdentity {
            public_key: self.keys.signing.verifying_key().to_bytes(),
        }
    }

    fn case_lookup(&self, reference: &str) -> [u8; 32] {
        self.lookup_hash(&format!("evidence case\0{reference}"))
    }

    fn case_view(&self, row: &CaseRow) -> Result<CaseView, AppError> {
        Ok(CaseView {
            id: row.id,
            details: self.open_json(SEAL_CASE, &row.sealed)?,
            items: row.items,
            created_at_ms: row.created_at_ms,
        })
    }

    fn item_view(&self, row: &ItemRow) -> Result<ItemView, AppError> {
        let attachment = match (row.person_id, row.event_id, row.source_id) {
            (Some(p), _, _) => Attachment::Person(p),
            (_, Some(e), _) => Attachment::Event(e),
            (_, _, Some(s)) => Attachment::Source(s),
            _ => Attachment::None,
        };
        Ok(ItemView {
            id: row.id,
            case_id: row.case_id,
            facts: self.open_json(SEAL_ITEM, &row.sealed)?,
            attachment,
            confidentiality: level(&row.confidentiality)?,
            created_by: row.created_by.clone(),
            created_at_ms: row.created_at_ms,
            custody_len: row.custody_len,
        })
    }

    /// The case with this reference, made if there is none yet.
    async fn case_for(&self, actor: &Actor, reference: &str) -> Result<i64, AppError> {
        let reference = parse_reference(reference)?;
        let lookup = self.case_lookup(&reference);
        if let Some(row) = self.store.case_by_lookup(&lookup).await? {
            return Ok(row.id);
        }
        let case = NewCase {
            ref_lookup: lookup,
            sealed: self.seal_json(
                SEAL_CASE,
                &CaseDetails {
                    reference,
                    notes: String::new(),
                },
            )?,
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "evidence_case.create", AuditObject::Created("evidence_case"));
        Ok(self.store.create_case(&case, &audit).await?)
    }

    /// The case with this reference, if the actor may read evidence.
    pub async fn evidence_case_by_reference(&self, actor: &Actor, reference: &str) -> Result<CaseView, AppError> {
        self.readable_levels(actor)?;
        let reference = parse_reference(reference)?;
        let row = self
            .store
            .case_by_lookup(&self.case_lookup(&reference))
            .await?
            .ok_or(AppError::NotFound("a case with this reference"))?;
        self.case_view(&row)
    }

    /// Checks that what an item is to be attached to exists and may be read by the actor.
    async fn check_attachment(&self, actor: &Actor, attachment: Attachment) -> Result<(), AppError> {
        match attachment {
            Attachment::None => Ok(()),
            Attachment::Person(id) => {
                let row = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
                self.in_sight(actor, row.compartment)?;
                self.may_read(actor, &row.confidentiality)
            }
            Attachment::Event(id) => {
                let row = self.store.event(id).await?.ok_or(AppError::NotFound("the event"))?;
                self.in_sight(actor, row.compartment)?;
                self.may_read(actor, &row.confidentiality)
            }
            Attachment::Source(id) => {
                let (_, row) = self
                    .store
                    .sources_by_ids(&[id])
                    .await?
                    .into_iter()
                    .next()
                    .ok_or(AppError::NotFound("the source"))?;
                self.may_read(actor, &row.confidentiality)
            }
        }
    }

    /// Takes in one file: seals it in streaming chunks while hashing it, then records the
    /// item and its intake. `reader` is read to its end on a blocking thread.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence<R: Read + Send + 'static>(
        &self,
        actor: &Actor,
        case_reference: &str,
        original_name: &str,
        reader: R,
        capture: &Capture,
        attachment: Attachment,
        confidentiality: Confidentiality,
    ) -> Result<ItemView, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        self.may_read(actor, confidentiality.as_str())?;
        capture.check()?;
        let original_name = original_name.trim();
        if original_name.is_empty() {
            return Err(AppError::BadInput("an evidence file needs its original name".into()));
        }
        check_text("the file name", original_name, 500)?;
        self.check_attachment(actor, attachment).await?;
        let case_id = self.case_for(actor, case_reference).await?;
        let dir = self.evidence_dir();
        let key = zeroize::Zeroizing::new(*self.keys.evidence);
        let sealed = tokio::task::spawn_blocking(move || seal_file(&dir, &key, reader))
            .await
            .map_err(|e| AppError::Vault(e.to_string()))??;
        let facts = ItemFacts {
            original_name: original_name.to_owned(),
            size: sealed.size,
            sha256: sealed.sha256,
            blake3: sealed.blake3,
            capture: capture.clone(),
        };
        let (person_id, event_id, source_id) = match attachment {
            Attachment::None => (None, None, None),
            Attachment::Person(id) => (Some(id), None, None),
            Attachment::Event(id) => (None, Some(id), None),
            Attachment::Source(id) => (None, None, Some(id)),
        };
        let item = NewItem {
            case_id,
            blob: sealed.blob.clone(),
            sealed: self.seal_json(SEAL_ITEM, &facts)?,
            person_id,
            event_id,
            source_id,
            confidentiality: confidentiality.as_str(),
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "evidence.add", AuditObject::Created("evidence"));
        let id = match self.store.add_item(&item, &audit).await {
            Ok(id) => id,
            Err(e) => {
                // Nothing half-written: the sealed file goes with the row that failed.
                let _ = std::fs::remove_file(self.evidence_dir().join(&sealed.blob));
                return Err(e.into());
            }
        };
        let row = self
            .store
            .item(id)
            .await?
            .ok_or(AppError::NotFound("the evidence item"))?;
        self.item_view(&row)
    }

    /// Takes in a file from the local disk (the command line), under its own file name.
    pub async fn add_evidence_file(
        &self,
        actor: &Actor,
        case_reference: &str,
        path: &Path,
        capture: &Capture,
        attachment: Attachment,
        confidentiality: Confidentiality,
    ) -> Result<ItemView, AppError> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => AppError::BadInput(format!("{} does not exist", path.display())),
            _ => AppError::io(format!("opening {}", path.display()))(e),
        })?;
        if file.metadata().map(|m| !m.is_file()).unwrap_or(true) {
            return Err(AppError::BadInput(format!("{} is not a file", path.display())));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.add_evidence(
            actor,
            case_reference,
            &name,
            BufReader::with_capacity(256 * 1024, file),
            capture,
            attachment,
            confidentiality,
        )
        .await
    }

    /// Every case, if the actor may read evidence at all.
    pub async fn evidence_cases(&self, actor: &Actor) -> Result<Vec<CaseView>, AppError> {
        self.readable_levels(actor)?;
        self.store.cases().await?.iter().map(|c| self.case_view(c)).collect()
    }

    /// A case and the items in it the actor may read.
    pub async fn evidence_case(&self, actor: &Actor, id: i64) -> Result<(CaseView, Vec<ItemView>), AppError> {
        let levels = self.readable_levels(actor)?;
        let case = self.store.case(id).await?.ok_or(AppError::NotFound("the case"))?;
        let scope = self.scope(actor);
        let mut items = Vec::new();
        for row in self.store.items_of_case(id).await? {
            // An item attached to a record in a compartment out of sight is left out.
            let in_sight = scope == crate::compartments::Scope::All
                || scope.sees(self.store.evidence_item_compartment(row.id).await?);
            if levels.contains(&row.confidentiality.as_str()) && in_sight {
                items.push(self.item_view(&row)?);
            }
        }
        Ok((self.case_view(&case)?, items))
    }

    /// Items attached to a person (directly) that the actor may read.
    pub async fn evidence_of_person(&self, actor: &Actor, person: i64) -> Result<Vec<ItemView>, AppError> {
        let levels = self.readable_levels(actor)?;
        self.store
            .items_of_person(person)
            .await?
            .iter()
            .filter(|r| levels.contains(&r.confidentiality.as_str()))
            .map(|r| self.item_view(r))
            .collect()
    }

    /// Items attached to an event or to one of its sources that the actor may read.
    pub async fn evidence_of_event(&self, actor: &Actor, event: i64) -> Result<Vec<ItemView>, AppError> {
        let levels = self.readable_levels(actor)?;
        self.store
            .items_of_event(event)
            .await?
            .iter()
            .filter(|r| levels.contains(&r.confidentiality.as_str()))
            .map(|r| self.item_view(r))
            .collect()
    }

    async fn readable_item(&self, actor: &Actor, id: i64) -> Result<ItemRow, AppError> {
        let row = self
            .store
            .item(id)
            .await?
            .ok_or(AppError::NotFound("the evidence item"))?;
        self.in_sight(actor, self.store.evidence_item_compartment(id).await?)?;
        self.may_read(actor, &row.confidentiality)?;
        Ok(row)
    }

    /// Appends one custody entry (and its audit entry) for each item.
    async fn record_custody(
        &self,
        actor: &Actor,
        items: &[i64],
        action: &'static str,
        audit_action: &'static str,
        detail: &str,
    ) -> Result<(), AppError> {
        let (entries, audit) = self.custody_entries(actor, items, action, audit_action, detail);
        Ok(self.store.record_custody(&entries, &audit).await?)
    }

    /// One custody entry and one audit entry per item, all at the same moment.
    fn custody_entries(
        &self,
        actor: &Actor,
        items: &[i64],
        action: &'static str,
        audit_action: &'static str,
        detail: &str,
    ) -> (Vec<NewCustody>, Vec<razam_store::AuditEvent>) {
        let at_ms = crate::now_ms();
        let entries = items
            .iter()
            .map(|&item| NewCustody {
                item,
                at_ms,
                actor: actor.audit_name(),
                action,
                detail: detail.to_owned(),
            })
            .collect();
        let audit = items
            .iter()
            .map(|item| AuditEvent {
                at_ms,
                ..self.event(actor, audit_action, AuditObject::Named(format!("evidence:{item}")))
            })
            .collect();
        (entries, audit)
    }

    /// An item's description and custody log. Viewing it is itself a custody entry.
    pub async fn evidence_item(&self, actor: &Actor, id: i64) -> Result<(ItemView, Vec<CustodyView>), AppError> {
        self.readable_item(actor, id).await?;
        self.record_custody(actor, &[id], "view", "evidence.view", "").await?;
        let row = self.readable_item(actor, id).await?;
        Ok((self.item_view(&row)?, self.custody_log(id).await?))
    }

    pub(crate) async fn custody_log(&self, id: i64) -> Result<Vec<CustodyView>, AppError> {
        Ok(self
            .store
            .custody_of(id)
            .await?
            .into_iter()
            .map(|c| CustodyView {
                record: c.record,
                prev_hash: c.prev_hash,
                hash: c.hash,
            })
            .collect())
    }

    /// Checks that the actor may download the item, records the download in its custody log,
    /// and returns what writes it out. With `sharing`, the sharing copy instead of the original
    /// (JPEG and PNG only).
    pub async fn start_download(&self, actor: &Actor, id: i64, sharing: bool) -> Result<Download, AppError> {
        let row = self.readable_item(actor, id).await?;
        let item = self.item_view(&row)?;
        let path = self.evidence_dir().join(&row.blob);
        let key = zeroize::Zeroizing::new(*self.keys.evidence);
        let format =
            if sharing {
                let head = self.peek(&path, &key, &row.blob).await?;
                Some(strip::Strippable::recognise(&head).ok_or_else(|| {
                    AppError::BadInput("a sharing copy can be made of JPEG and PNG images only".into())
                })?)
            } else {
                None
            };
        let (action, audit) = if sharing {
            ("sharing-copy", "evidence.sharing_copy")
        } else {
            ("download", "evidence.download")
        };
        self.record_custody(actor, &[id], action, audit, "").await?;
        Ok(Download {
            item,
            path,
            key,
            blob: row.blob,
            format,
        })
    }

    /// [`App::start_download`] and the writing, on a blocking thread.
    pub async fn download_evidence<W: Write + Send + 'static>(
        &self,
        actor: &Actor,
        id: i64,
        sharing: bool,
        writer: W,
    ) -> Result<ItemView, AppError> {
        let download = self.start_download(actor, id, sharing).await?;
        let item = download.item.clone();
        tokio::task::spawn_blocking(move || download.write_to(writer))
            .await
            .map_err(|e| AppError::Vault(e.to_string()))??;
        Ok(item)
    }

    /// The first bytes of a sealed file (to recognise its format).
    async fn peek(&self, path: &Path, key: &[u8; 32], blob: &str) -> Result<Vec<u8>, AppError> {
        let (path, key, blob) = (path.to_owned(), zeroize::Zeroizing::new(*key), blob.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut head = Vec::new();
            let mut limited = Limited {
                inner: &mut head,
                left: 16,
            };
            match open_file(&path, &key, &blob, &mut limited) {
                Ok(()) => Ok(head),
                Err(_) if head.len() == 16 => Ok(head),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| AppError::Vault(e.to_string()))?
    }
}

/// An allowed download: the item, and what decrypts it (blocking; 64 KiB at a time).
pub struct Download {
    pub item: ItemView,
    path: PathBuf,
    key: zeroize::Zeroizing<[u8; 32]>,
    blob: String,
    format: Option<strip::Strippable>,
}

impl Download {
    /// A file name for the download: the original's, made safe; `sharing-` before a copy.
    pub fn file_name(&self) -> String {
        let name = package::safe_name(&self.item.facts.original_name);
        if self.format.is_some() {
            format!("sharing-{name}")
        } else {
            name
        }
    }

    /// Writes the original (or the sharing copy) into `writer`. Blocking.
    pub fn write_to(self, mut writer: impl Write) -> Result<(), AppError> {
        let Download {
            path,
            key,
            blob,
            format,
            ..
        } = self;
        match format {
            None => open_file(&path, &key, &blob, &mut writer),
            Some(format) => {
                let (pipe_reader, mut pipe_writer) = io::pipe().map_err(AppError::io("making a pipe"))?;
                let decrypting = std::thread::spawn(move || open_file(&path, &key, &blob, &mut pipe_writer));
                let stripped = strip::strip(format, &mut BufReader::new(pipe_reader), &mut writer);
                let decrypted = decrypting
                    .join()
                    .map_err(|_| AppError::Vault("the decrypting thread failed".into()))?;
                stripped.map_err(AppError::io("making the sharing copy"))?;
                match decrypted {
                    // The copy ended before the original did (bytes after a PNG's IEND): every
                    // chunk it took had been authenticated before it was handed over.
                    Err(AppError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other,
                }
            }
        }
    }
}

/// A writer that takes `left` bytes and then refuses (to stop a decryption early).
struct Limited<'a> {
    inner: &'a mut Vec<u8>,
    left: usize,
}

impl Write for Limited<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("enough"));
        }
        let n = buf.len().min(self.left);
        self.inner.extend_from_slice(&buf[..n]);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decrypts a sealed evidence file into `writer`.
pub(crate) fn open_file(path: &Path, key: &[u8; 32], blob: &str, writer: &mut impl Write) -> Result<(), AppError> {
    let file = File::open(path).map_err(AppError::io(format!("opening the sealed file {blob}")))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    stream::decrypt(key, &file_aad(blob), &mut reader, writer).map_err(|e| match e {
        stream::StreamError::Io(source) => AppError::Io {
            what: format!("reading the sealed file {blob}"),
            source,
        },
        stream::StreamError::Damaged => AppError::Vault(format!(
            "the sealed file {blob} is damaged or was altered: it does not open"
        )),
    })?;
    Ok(())
}

/// Whom a package was handed to, sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferDetails {
    /// A person, an organisation, a court registry, as given.
    pub to: String,
    #[serde(default)]
    pub notes: String,
}

impl App {
    /// Records that a package written earlier (`export`) was handed to someone: a `transfer`
    /// entry in the custody log of every item the package holds, naming the transfer by a
    /// random reference; whom to and the notes are sealed. Returns that reference.
    pub async fn transfer_package(
        &self,
        actor: &Actor,
        case_reference: &str,
        package: &str,
        details: &TransferDetails,
    ) -> Result<String, AppError> {
        self.require(actor, Permission::Export)?;
        if details.to.trim().is_empty() {
            return Err(AppError::BadInput("say whom the package was handed to (--to)".into()));
        }
        check_text("--to", &details.to, REFERENCE_MAX)?;
        check_text("--notes", &details.notes, TEXT_MAX)?;
        let case = self.evidence_case_by_reference(actor, case_reference).await?;
        let (_, items) = self.evidence_case(actor, case.id).await?;
        let exported = format!("package:{}", package.trim());
        let mut ids = Vec::new();
        for item in &items {
            let log = self.custody_log(item.id).await?;
            let made = log
                .iter()
                .any(|c| c.record.action == "export" && c.record.detail == exported);
            let failed = log
                .iter()
                .any(|c| c.record.action == "export-failed" && c.record.detail == exported);
            if made && !failed {
                ids.push(item.id);
            }
        }
        if ids.is_empty() {
            return Err(AppError::NotFound("a package with this id in this case"));
        }
        let reference = hex::encode(rand::random::<[u8; 8]>());
        let detail = format!("{exported} transfer:{reference}");
        let (entries, audit) = self.custody_entries(actor, &ids, "transfer", "evidence.transfer", &detail);
        let transfer = razam_store::evidence::NewTransfer {
            reference: reference.clone(),
            package: package.trim().to_owned(),
            sealed: self.seal_json(SEAL_TRANSFER, details)?,
            created_by: actor.audit_name(),
            created_at_ms: entries.first().map_or_else(crate::now_ms, |e| e.at_ms),
        };
        self.store.record_transfer(&transfer, &entries, &audit).await?;
        Ok(reference)
    }

    /// Whom a transfer went to, for the readers of evidence.
    pub async fn transfer_details(&self, actor: &Actor, reference: &str) -> Result<TransferDetails, AppError> {
        self.readable_levels(actor)?;
        let sealed = self
            .store
            .transfer_sealed(reference)
            .await?
            .ok_or(AppError::NotFound("the transfer"))?;
        self.open_json(SEAL_TRANSFER, &sealed)
    }
}

/// A printable dossier of a person: what the person page shows, the sources of each event,
/// and the evidence attached to the person, to their events or to those events' sources.
#[derive(Debug, Clone)]
pub struct PersonDossier {
    pub page: crate::registry::PersonPage,
    /// (event id, its sources the reader may read)
    pub sources: Vec<(i64, Vec<crate::sources::SourceView>)>,
    pub evidence: Vec<ItemView>,
}

/// A printable dossier of a case: its items, and the persons and events they are attached to.
#[derive(Debug, Clone)]
pub struct CaseDossier {
    pub case: CaseView,
    pub items: Vec<ItemView>,
    pub persons: Vec<crate::registry::PersonView>,
    pub events: Vec<crate::registry::EventView>,
}

impl App {
    /// A person's dossier, as the reader's role may see it. Audited like the person page.
    pub async fn person_dossier(&self, actor: &Actor, id: i64) -> Result<PersonDossier, AppError> {
        let page = self.person_page(actor, id).await?;
        let mut sources = Vec::new();
        let mut evidence = self.evidence_of_person(actor, id).await?;
        for (event, _) in &page.events {
            sources.push((event.id, self.event_sources(actor, event.id).await?));
            for item in self.evidence_of_event(actor, event.id).await? {
                if !evidence.iter().any(|e| e.id == item.id) {
                    evidence.push(item);
                }
            }
        }
        evidence.sort_by_key(|i| i.id);
        Ok(PersonDossier {
            page,
            sources,
            evidence,
        })
    }

    /// A case's dossier, as the reader's role may see it; reading it is audited.
    pub async fn case_dossier(&self, actor: &Actor, id: i64) -> Result<CaseDossier, AppError> {
        let (case, items) = self.evidence_case(actor, id).await?;
        let levels = self.readable_levels(actor)?;
        let scope = self.scope(actor);
        let mut persons = Vec::new();
        let mut events = Vec::new();
        for item in &items {
            let event = match item.attachment {
                Attachment::Person(p) => {
                    if let Some(row) = self.store.person(p).await?
                        && levels.contains(&row.confidentiality.as_str())
                        && scope.sees(row.compartment)
                        && !persons.iter().any(|v: &crate::registry::PersonView| v.id == p)
                    {
                        persons.push(self.person_view(&row)?);
                    }
                    None
                }
                Attachment::Event(e) => Some(e),
                Attachment::Source(s) => self.store.sources_by_ids(&[s]).await?.first().map(|(e, _)| *e),
                Attachment::None => None,
            };
            if let Some(e) = event
                && let Some(row) = self.store.event(e).await?
                && levels.contains(&row.confidentiality.as_str())
                && scope.sees(row.compartment)
                && !events.iter().any(|v: &crate::registry::EventView| v.id == e)
            {
                events.push(self.event_view(&row)?);
            }
        }
        events.sort_by_key(|e| (e.date.map(|d| d.first), e.id));
        self.store
            .append_audit(&self.event(
                actor,
                "evidence_case.dossier",
                AuditObject::Named(format!("evidence_case:{id}")),
            ))
            .await?;
        Ok(CaseDossier {
            case,
            items,
            persons,
            events,
        })
    }
}

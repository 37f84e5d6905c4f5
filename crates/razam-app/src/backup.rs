//! Backups: one encrypted archive that restores into an empty folder as a working instance.
//!
//! Layout: the 8 bytes `RAZAMBK1`, a 4-byte length and a JSON header (format, date, schema
//! version, the instance's configuration and its vault file — wrapped keys only), then the
//! database snapshot as an encrypted stream ([`crate::stream`]) under a key derived from the
//! data key, with the whole header bound to every chunk. Restoring needs the passphrase (or
//! recovery key) that was in force when the backup was taken.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use razam_store::AuditObject;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::config::{self, CONFIG_FILE, Config, DATABASE_FILE, Overrides};
use crate::files::{create_private_dir, is_missing_or_empty, sync_dir};
use crate::instance::{self, Unlock};
use crate::stream;
use crate::vault::VaultFile;
use crate::{Actor, App, AppError};

const MAGIC: &[u8; 8] = b"RAZAMBK1";
const MAX_HEADER: u32 = 1 << 20;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: u32,
    created_at_ms: i64,
    schema_version: i64,
    config: String,
    vault: VaultFile,
}

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub archive_bytes: u64,
    pub database_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub audit_entries: i64,
    pub key_id: String,
}

impl App {
    /// Writes an encrypted archive of the whole instance to `out` (which must not exist yet).
    pub async fn backup(&self, out: &Path) -> Result<BackupReport, AppError> {
        if out.exists() {
            return Err(AppError::BadInput(format!(
                "{} exists already: name a new file",
                out.display()
            )));
        }
        let dir = &self.config.data_dir;
        let staging = tempfile::Builder::new()
            .prefix(".razam-backup-")
            .tempdir_in(dir)
            .map_err(AppError::io(format!("creating a staging folder in {}", dir.display())))?;
        let snapshot = staging.path().join(DATABASE_FILE);
        self.store.snapshot_into(&snapshot).await?;
        let header = Header {
            format: 1,
            created_at_ms: crate::now_ms(),
            schema_version: self.store.schema_version().await?,
            config: std::fs::read_to_string(dir.join(CONFIG_FILE))
                .map_err(AppError::io("reading the configuration"))?,
            vault: instance::read_vault(dir)?,
        };
        let header = serde_json::to_vec(&header).map_err(|e| AppError::Archive(e.to_string()))?;
        let key = Zeroizing::new(*self.keys.backup);
        let out = out.to_owned();
        let report = tokio::task::spawn_blocking(move || write_archive(&out, &header, &snapshot, &key))
            .await
            .map_err(|e| AppError::Archive(e.to_string()))??;
        drop(staging);
        self.store
            .append_audit(&self.event(&Actor::Cli, "instance.backup", AuditObject::Named(String::new())))
            .await?;
        Ok(report)
    }
}

fn write_archive(out: &Path, header: &[u8], snapshot: &Path, key: &[u8; 32]) -> Result<BackupReport, AppError> {
    let tmp = PathBuf::from(format!("{}.partial", out.display()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        let mut w = BufWriter::new(&mut file);
        let aad = archive_aad(header);
        w.write_all(&aad)?;
        let mut db = BufReader::new(File::open(snapshot)?);
        let database_bytes = stream::encrypt(key, &aad, &mut db, &mut w).map_err(std::io::Error::other)?;
        w.flush()?;
        drop(w);
        file.sync_all()?;
        let archive_bytes = file.metadata()?.len();
        std::fs::rename(&tmp, out)?;
        sync_dir(
            out.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )?;
        Ok(BackupReport {
            archive_bytes,
            database_bytes,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(AppError::io(format!("writing {}", out.display())))
}

/// Magic, length and header: the bytes before the stream, all authenticated.
fn archive_aad(header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(12 + header.len());
    aad.extend_from_slice(MAGIC);
    aad.extend_from_slice(&(header.len() as u32).to_be_bytes());
    aad.extend_from_slice(header);
    aad
}

fn read_header(reader: &mut impl Read) -> Result<(Header, Vec<u8>), AppError> {
    let not_archive = || AppError::Archive("this is not a razam backup archive, or it is cut short".into());
    let mut start = [0u8; 12];
    reader.read_exact(&mut start).map_err(|_| not_archive())?;
    if &start[..8] != MAGIC {
        return Err(not_archive());
    }
    let len = u32::from_be_bytes([start[8], start[9], start[10], start[11]]);
    if len > MAX_HEADER {
        return Err(not_archive());
    }
    let mut header = vec![0u8; len as usize];
    reader.read_exact(&mut header).map_err(|_| not_archive())?;
    let parsed: Header =
        serde_json::from_slice(&header).map_err(|e| AppError::Archive(format!("damaged header: {e}")))?;
    if parsed.format != 1 {
        return Err(AppError::Archive(format!(
            "archive format {} is newer than this razam",
            parsed.format
        )));
    }
    Ok((parsed, archive_aad(&header)))
}

/// Restores `archive` into `target` (missing or empty). Nothing is written into `target`
/// unless the whole archive decrypts and the restored audit chain verifies.
pub async fn restore(archive: &Path, target: &Path, unlock: Unlock) -> Result<RestoreReport, AppError> {
    if !is_missing_or_empty(target) {
        return Err(AppError::BadInput(format!(
            "{} is not empty: restore into a new or empty folder",
            target.display()
        )));
    }
    let mut reader =
        BufReader::new(File::open(archive).map_err(AppError::io(format!("opening {}", archive.display())))?);
    let (header, aad) = read_header(&mut reader)?;
    let data_key = instance::unlock_key(&header.vault, unlock).await?;

    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".razam-restore-")
        .tempdir_in(&parent)
        .map_err(AppError::io(format!(
            "creating a staging folder in {}",
            parent.display()
        )))?;
    let dir = staging.path().to_owned();

    // The archive's configuration, but always on SQLite in the new folder.
    let mut file: config::ConfigFile =
        toml::from_str(&header.config).map_err(|e| AppError::Archive(format!("damaged configuration: {e}")))?;
    file.database = Some("sqlite".into());
    let config_text = toml::to_string(&file).map_err(|e| AppError::Archive(e.to_string()))?;
    crate::files::write_atomically(&dir.join(CONFIG_FILE), config_text.as_bytes())?;
    instance::write_vault(&dir, &header.vault)?;

    let key = Zeroizing::new(*data_key.derive("razam 2026 backup v1"));
    let db_path = dir.join(DATABASE_FILE);
    tokio::task::spawn_blocking(move || -> Result<(), AppError> {
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&db_path)
            .map_err(AppError::io("writing the restored database"))?;
        let mut w = BufWriter::new(&mut out);
        stream::decrypt(&key, &aad, &mut reader, &mut w).map_err(|e| AppError::Archive(e.to_string()))?;
        w.flush().map_err(AppError::io("writing the restored database"))?;
        drop(w);
        out.sync_all().map_err(AppError::io("writing the restored database"))
    })
    .await
    .map_err(|e| AppError::Archive(e.to_string()))??;

    let config = Config::load(&dir, &Overrides::default())?;
    let store = instance::open_store(&config.database, &data_key).await?;
    let key_id = header.vault.key_id.clone();
    let app = App::assemble(config, store, data_key, key_id.clone()).await?;
    let report = app.verify_audit(None, &|_| {}).await?;
    app.store.close().await;
    drop(app);

    if target.exists() {
        std::fs::remove_dir(target)
            .map_err(AppError::io(format!("replacing the empty folder {}", target.display())))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, target).map_err(AppError::io(format!(
        "moving the restored instance to {}",
        target.display()
    )))?;
    sync_dir(&parent).map_err(AppError::io("syncing"))?;
    Ok(RestoreReport {
        audit_entries: report.entries,
        key_id,
    })
}

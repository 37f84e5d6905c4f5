//! An instance on disk: its data folder (`razam.toml`, `vault.json`, and for SQLite
//! `razam.db`), created by `init` and opened — unlocked, migrated — by everything else.

use std::path::Path;
use std::sync::Arc;

use razam_core::audit::{Blake3Link, ChainLink};
use razam_store::{AuditObject, DatabaseLocation, Store};
use zeroize::Zeroizing;

use crate::config::{self, CONFIG_FILE, Config, VAULT_FILE};
use crate::files::{create_private_dir, is_missing_or_empty, write_atomically};
use crate::vault::{self, DataKey, RecoveryKey, Sealer, VaultFile};
use crate::{Actor, App, AppError, Keys, passwords};

/// What opens the vault.
pub enum Unlock {
    Passphrase(Zeroizing<String>),
    RecoveryKey(RecoveryKey),
}

/// A passphrase must be long enough to resist guessing even at Argon2id's cost.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), AppError> {
    if passphrase.chars().count() < 12 {
        return Err(AppError::BadInput("a passphrase needs at least 12 characters".into()));
    }
    Ok(())
}

/// Creates an instance in `dir` (missing or empty) and returns the recovery key, to be shown once.
pub async fn init(dir: &Path, passphrase: &str, database: Option<&str>) -> Result<RecoveryKey, AppError> {
    check_new_passphrase(passphrase)?;
    if dir.join(CONFIG_FILE).exists() || dir.join(VAULT_FILE).exists() {
        return Err(AppError::InstanceExists(dir.to_owned()));
    }
    if !is_missing_or_empty(dir) {
        return Err(AppError::BadInput(format!(
            "{} is not empty: give a new or empty folder",
            dir.display()
        )));
    }
    let database = database.unwrap_or("sqlite");
    let location = config::database_location(dir, database)?;
    create_private_dir(dir)?;
    let result = async {
        let passphrase = Zeroizing::new(passphrase.to_owned());
        let (vault, data_key, recovery) = tokio::task::spawn_blocking(move || vault::create(&passphrase))
            .await
            .map_err(|e| AppError::Vault(e.to_string()))??;
        let store = razam_store::open(&location, true, audit_link(&data_key)).await?;
        if store.schema_version().await? != 0 {
            return Err(AppError::BadInput(
                "the database already holds a razam instance: give an empty database".into(),
            ));
        }
        store.migrate().await?;
        let event = razam_store::AuditEvent {
            at_ms: crate::now_ms(),
            actor: Actor::Cli.audit_name(),
            action: "instance.init",
            object: AuditObject::Named(format!("vault:{}", vault.key_id)),
        };
        store.append_audit(&event).await?;
        write_vault(dir, &vault)?;
        write_atomically(&dir.join(CONFIG_FILE), config::initial_file(database).as_bytes())?;
        Ok(recovery)
    }
    .await;
    if result.is_err() {
        // Leave nothing half-made behind: the folder was missing or empty before.
        for name in [
            CONFIG_FILE,
            VAULT_FILE,
            config::DATABASE_FILE,
            "razam.db-wal",
            "razam.db-shm",
        ] {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
    result
}

pub fn read_vault(dir: &Path) -> Result<VaultFile, AppError> {
    let path = dir.join(VAULT_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NoInstance(dir.to_owned())),
        Err(e) => return Err(AppError::io(format!("reading {}", path.display()))(e)),
    };
    serde_json::from_str(&text).map_err(|e| AppError::Vault(format!("{} is damaged: {e}", path.display())))
}

pub fn write_vault(dir: &Path, vault: &VaultFile) -> Result<(), AppError> {
    let json = serde_json::to_string_pretty(vault).map_err(|e| AppError::Vault(e.to_string()))?;
    write_atomically(&dir.join(VAULT_FILE), json.as_bytes())
}

/// Unwraps the data key on a blocking thread (Argon2id takes a while by design).
pub async fn unlock_key(vault: &VaultFile, unlock: Unlock) -> Result<DataKey, AppError> {
    let vault = vault.clone();
    tokio::task::spawn_blocking(move || match unlock {
        Unlock::Passphrase(p) => vault::unlock(&vault, &p),
        Unlock::RecoveryKey(k) => vault::unlock_with_recovery(&vault, &k),
    })
    .await
    .map_err(|e| AppError::Vault(e.to_string()))?
}

pub(crate) fn audit_link(data_key: &DataKey) -> Arc<dyn ChainLink> {
    Arc::new(Blake3Link::new(*data_key.derive("razam 2026 audit chain v1")))
}

/// Unlocks the instance described by `config`, applies pending migrations, and returns it ready.
pub async fn open(config: Config, unlock: Unlock) -> Result<App, AppError> {
    let vault = read_vault(&config.data_dir)?;
    let data_key = unlock_key(&vault, unlock).await?;
    let store = razam_store::open(&config.database, false, audit_link(&data_key)).await?;
    let applied = store.migrate().await?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    App::assemble(config, store, data_key, vault.key_id).await
}

/// Opens the store of an already unlocked key (used by restore to check what it wrote).
pub(crate) async fn open_store(location: &DatabaseLocation, data_key: &DataKey) -> Result<Arc<dyn Store>, AppError> {
    Ok(razam_store::open(location, false, audit_link(data_key)).await?)
}

impl App {
    pub(crate) async fn assemble(
        config: Config,
        store: Arc<dyn Store>,
        data_key: DataKey,
        key_id: String,
    ) -> Result<App, AppError> {
        let keys = Keys {
            sealer: std::sync::Arc::new(Sealer::new(&data_key.derive("razam 2026 field sealing v1"))),
            lookup: data_key.derive("razam 2026 lookup v1"),
            csrf: data_key.derive("razam 2026 csrf v1"),
            api_token: data_key.derive("razam 2026 api token v1"),
            backup: data_key.derive("razam 2026 backup v1"),
            recovery_codes: data_key.derive("razam 2026 recovery codes v1"),
            evidence: data_key.derive("razam 2026 evidence files v1"),
            search_snapshot: data_key.derive("razam 2026 search snapshot v1"),
            signing: ed25519_dalek::SigningKey::from_bytes(&data_key.derive("razam 2026 evidence signing v1")),
            key_id,
            data: data_key,
        };
        let nobody = Zeroizing::new(hex::encode(rand::random::<[u8; 16]>()));
        let dummy_hash = passwords::hash(nobody).await?;
        Ok(App {
            store,
            keys,
            intake_limiter: crate::intake::SubmissionLimiter::new(config.intake),
            login_throttle: crate::throttle::LoginThrottle::new(config.login),
            pending: Default::default(),
            config,
            dummy_hash,
            figures: Default::default(),
            search: crate::search::SearchState::default(),
            observation_forensics: crate::observation::ForensicsCache::default(),
            reads: Default::default(),
        })
    }

    /// Gives the vault a new passphrase; the data key, and so all data, stay as they are.
    pub async fn rekey(&self, new_passphrase: &str) -> Result<(), AppError> {
        check_new_passphrase(new_passphrase)?;
        let dir = &self.config.data_dir;
        let vault = read_vault(dir)?;
        let data_key = self.keys.data.duplicate();
        let new_passphrase = Zeroizing::new(new_passphrase.to_owned());
        let new_vault = tokio::task::spawn_blocking(move || vault::rekey(&vault, &data_key, &new_passphrase))
            .await
            .map_err(|e| AppError::Vault(e.to_string()))??;
        write_vault(dir, &new_vault)?;
        self.store
            .append_audit(&self.event(
                &Actor::Cli,
                "vault.rekey",
                AuditObject::Named(format!("vault:{}", new_vault.key_id)),
            ))
            .await?;
        Ok(())
    }
}

//! Razam's use cases: the only way state changes.
//!
//! The CLI and the web both call [`App`]; no business rule is written twice. Here live
//! authorisation, audit, sealing (the vault) and backups. This crate knows nothing of HTTP
//! or SQL: it talks to storage through [`razam_store::Store`] and hands it sealed values only.

pub mod accounts;
pub mod aid;
pub mod approvals;
pub mod assistance;
pub mod audit;
mod audited_reads;
pub mod backup;
pub mod campaigns;
pub mod compartments;
pub mod config;
pub mod demo;
pub mod duplicates;
pub mod erasure;
pub mod events_import;
pub mod evidence;
pub mod export;
pub mod figures;
mod files;
pub mod import;
pub mod instance;
pub mod intake;
pub mod ledger;
pub mod lock;
pub mod merges;
pub mod observation;
pub mod passwords;
pub mod prisoners;
pub mod registry;
pub mod search;
pub mod sessions;
pub mod sources;
pub mod stream;
mod throttle;
pub mod tokens;
pub mod transparency;
pub mod two_factor;
pub mod vault;
pub mod volunteers;

use std::path::PathBuf;
use std::sync::Arc;

use razam_core::account::AccountFieldError;
use razam_core::audit::ChainBreak;
use razam_store::{AuditEvent, AuditObject, Store, StoreError};
use zeroize::Zeroizing;

pub use accounts::{NewUser, UserView};
pub use config::Config;
pub use instance::Unlock;
pub use sessions::{CurrentUser, LoginStep, SessionView};

/// An unlocked instance: the store, the keys derived from the data key, the configuration.
pub struct App {
    store: Arc<dyn Store>,
    keys: Keys,
    config: Config,
    /// A password hash of nobody, verified against when a login names an unknown account,
    /// so that the answer takes as long as for a real one.
    dummy_hash: String,
    /// Recent submissions of the public report form, counted in memory only.
    intake_limiter: intake::SubmissionLimiter,
    /// Recent failed logins, counted in memory only.
    login_throttle: throttle::LoginThrottle,
    /// Logins between their password and their second factor, in memory only.
    pending: two_factor::PendingLogins,
    /// The public figures last counted per day and the recount under way (figures.rs).
    figures: figures::FiguresCache,
    /// The in-memory search indexes (names and texts are sealed on disk).
    search: search::SearchState,
    /// The forensics of each election's protocols, computed once per import.
    observation_forensics: observation::ForensicsCache,
    /// Audit entries of reads waiting to be written together.
    reads: Arc<audited_reads::AuditedReads>,
}

struct Keys {
    /// Shared with the threads that open records while the search index is built.
    sealer: Arc<vault::Sealer>,
    lookup: Zeroizing<[u8; 32]>,
    csrf: Zeroizing<[u8; 32]>,
    api_token: Zeroizing<[u8; 32]>,
    backup: Zeroizing<[u8; 32]>,
    /// Keys the hashes of two-factor recovery codes.
    recovery_codes: Zeroizing<[u8; 32]>,
    /// Seals evidence files (one stream per file).
    evidence: Zeroizing<[u8; 32]>,
    /// Seals the search indexes' snapshot (search/snapshot.rs).
    search_snapshot: Zeroizing<[u8; 32]>,
    /// Signs evidence packages; derived from the data key, so kept in the vault with it.
    signing: ed25519_dalek::SigningKey,
    key_id: String,
    /// Kept for rewrapping (rekey); every use derives its own key from it.
    data: vault::DataKey,
}

/// Who is acting, as written in the audit log.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The operator at the command line, who holds the data folder and the passphrase.
    Cli,
    /// A logged-in account.
    Account(CurrentUser),
    /// Someone without an account (e.g. logging in).
    Anonymous,
}

impl Actor {
    pub(crate) fn audit_name(&self) -> String {
        match self {
            Actor::Cli => "cli".into(),
            Actor::Account(user) => format!("account:{}", user.id),
            Actor::Anonymous => "anonymous".into(),
        }
    }

    /// The registry's generation when this request began, if its session check read it.
    pub(crate) fn registry_generation(&self) -> Option<i64> {
        match self {
            Actor::Account(user) => user.registry_generation(),
            Actor::Cli | Actor::Anonymous => None,
        }
    }
}

/// What went wrong, in terms a person can act on. [`AppError::is_bad_input`] tells the
/// caller's fault from ours (exit code 2 against 1; HTTP 4xx against 5xx).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("wrong passphrase: the vault did not open, nothing was changed")]
    WrongPassphrase,
    #[error("wrong recovery key: the vault did not open, nothing was changed")]
    WrongRecoveryKey,
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Field(#[from] AccountFieldError),
    #[error("unknown user name or wrong password")]
    InvalidCredentials,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("this account logs in with a second factor")]
    SecondFactorNeeded,
    #[error("wrong or already used code")]
    InvalidCode,
    #[error("the login took too long: give the password again")]
    LoginExpired,
    /// Too many failed logins for this name or from this address; refused until `until_ms`.
    #[error("too many failed logins: try again later")]
    LoginLocked { until_ms: i64 },
    #[error("not allowed for this account's role")]
    Forbidden,
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("too many submissions for now: try again later")]
    RateLimited,
    #[error("there is no razam instance in {0}: run `razam init --data {0}` first")]
    NoInstance(PathBuf),
    #[error("{0} already holds a razam instance")]
    InstanceExists(PathBuf),
    #[error("configuration: {0}")]
    Config(String),
    #[error("vault: {0}")]
    Vault(String),
    #[error("the audit log is broken: {0}")]
    AuditBroken(ChainBreak),
    #[error("backup archive: {0}")]
    Archive(String),
    #[error("{0}")]
    Store(StoreError),
    #[error("counting the public figures failed: {0}")]
    FiguresFailed(String),
    #[error("the audit entry of this read was not written, so the read is refused: {0}")]
    AuditNotWritten(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl AppError {
    /// Whether the caller (a person, a script) gave something wrong, as opposed to a failure here.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            AppError::WrongPassphrase
                | AppError::WrongRecoveryKey
                | AppError::BadInput(_)
                | AppError::Field(_)
                | AppError::InvalidCredentials
                | AppError::AccountDisabled
                | AppError::SecondFactorNeeded
                | AppError::InvalidCode
                | AppError::LoginExpired
                | AppError::LoginLocked { .. }
                | AppError::Forbidden
                | AppError::NotFound(_)
                | AppError::Conflict(_)
                | AppError::RateLimited
                | AppError::NoInstance(_)
                | AppError::InstanceExists(_)
                | AppError::Config(_)
                | AppError::Archive(_)
        )
    }

    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
        let what = what.into();
        move |source| AppError::Io { what, source }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Refused(why) => AppError::BadInput(why),
            other => AppError::Store(other),
        }
    }
}

/// Today's date in UTC.
pub fn today() -> razam_core::registry::Day {
    let days = now_ms().div_euclid(86_400_000);
    // Outside 1900–2199 only if the system clock is wildly wrong.
    razam_core::registry::Day::from_days_since_epoch(days).unwrap_or(razam_core::registry::Day::EPOCH)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl App {
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `sqlite` or `postgres`.
    pub fn database_kind(&self) -> &'static str {
        self.store.kind()
    }

    /// A short fingerprint of the data key (safe to show).
    pub fn key_id(&self) -> &str {
        &self.keys.key_id
    }

    /// Whether the database answers; for `/healthz`.
    pub async fn healthy(&self) -> bool {
        self.store.schema_version().await.is_ok()
    }

    fn event(&self, actor: &Actor, action: &'static str, object: AuditObject) -> AuditEvent {
        AuditEvent {
            at_ms: now_ms(),
            actor: actor.audit_name(),
            action,
            object,
        }
    }

    fn lookup_hash(&self, text: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.keys.lookup, text.as_bytes()).as_bytes()
    }

    /// The keyed hash an idempotency key is stored as, apart for each kind of record
    /// (`domain`: "ledger", "aid movement", "event"); a key is 1 to 200 characters.
    pub(crate) fn idempotency_digest(&self, domain: &str, key: &str) -> Result<[u8; 32], AppError> {
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::BadInput("an idempotency key is 1 to 200 characters".into()));
        }
        Ok(self.lookup_hash(&format!("{domain} idempotency\0{key}")))
    }
}

impl App {
    /// Seals the search indexes if they changed and only this process wrote the registry
    /// meanwhile (`seal_search`), then closes the database cleanly (SQLite folds its
    /// WAL back into the database file).
    pub async fn close(&self) {
        self.seal_search().await;
        self.store.close().await;
    }
}

//! Razam's storage: one trait, [`Store`], with one implementation per database.
//!
//! This is the only crate that writes SQL. Personal data reaches it already sealed
//! (ciphertext and keyed lookup hashes); it never sees a key. Every method that changes
//! state is one transaction that also appends its audit entry.

pub mod aid;
pub mod approvals;
pub mod campaigns;
pub mod compartments;
mod direct;
pub mod erasure;
pub mod evidence;
pub mod ledger;
pub mod migrations;
pub mod observation;
mod postgres;
mod readers;
pub mod registry;
mod rows;
pub mod security;
mod sqlite;
pub mod tokens;
pub mod volunteers;

use std::path::Path;
use std::sync::Arc;

use razam_core::audit::{AuditRecord, ChainLink};
use razam_core::{Locale, Role};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

pub type AccountId = i64;

/// An account to create. The personal fields are sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username_lookup: [u8; 32],
    pub username_sealed: Vec<u8>,
    pub display_name_sealed: Vec<u8>,
    pub email_sealed: Option<Vec<u8>>,
    pub password_hash: String,
    pub role: Role,
    pub created_at_ms: i64,
}

/// An account as stored.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: AccountId,
    pub username_sealed: Vec<u8>,
    pub display_name_sealed: Vec<u8>,
    pub email_sealed: Option<Vec<u8>>,
    pub password_hash: String,
    pub role: Role,
    pub locale: Option<Locale>,
    pub disabled: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: [u8; 32],
    pub account_id: AccountId,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// When the session was last used, to the minute (see `touch_session`).
    pub last_seen_ms: i64,
    /// The browser family it was made with ("Firefox", "Chrome", …); never an address.
    pub agent: String,
}

/// A session as each request checks it: the session, its account, the account's compartments,
/// and the registry's generation as the check read it.
#[derive(Debug, Clone)]
pub struct SessionAccount {
    pub session: SessionRow,
    pub account: AccountRow,
    pub compartments: Vec<compartments::CompartmentId>,
    /// The registry clock ([`registry::RegistryStore::registry_generation`]) read in the same
    /// statement: every registry write committed before the request began is at or below it,
    /// so the search catches up to it without reading the clock once more.
    pub registry_generation: i64,
}

/// The audit entry a state change appends, in the same transaction.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at_ms: i64,
    pub actor: String,
    pub action: &'static str,
    pub object: AuditObject,
}

/// Which object an audit entry names.
#[derive(Debug, Clone)]
pub enum AuditObject {
    /// An object named in advance, such as `account:7` or `vault`.
    Named(String),
    /// The row the change creates (or, in a registry batch, affects), named `<kind>:<id>`
    /// once the id is known.
    Created(&'static str),
}

/// An audit entry as stored, with its link hashes.
#[derive(Debug, Clone)]
pub struct StoredAudit {
    pub record: AuditRecord,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database has schema version {found}, newer than this razam knows ({known}): upgrade razam")]
    NewerSchema { found: i64, known: i64 },
    #[error("the database is damaged or is not a razam database: {0}")]
    Damaged(String),
    #[error("there is no database at {0}: run `razam init` first")]
    Missing(String),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("this is not supported on {0}: {1}")]
    Unsupported(&'static str, &'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's direct read connections (`direct`).
    #[error("database error: {0}")]
    Direct(rusqlite::Error),
    /// The caller stopped a write while giving its batches (`apply_batches`); nothing was
    /// written.
    #[error("{0}")]
    Abandoned(String),
    /// A write that would break a rule of the data (e.g. a ledger account going below zero);
    /// nothing was written. The message names what and why.
    #[error("{0}")]
    Refused(String),
}

/// Where the data lives, parsed from configuration.
#[derive(Clone)]
pub enum DatabaseLocation {
    Sqlite(std::path::PathBuf),
    /// A `postgres://` URL; it may hold a password, so it is never printed.
    Postgres(String),
}

impl std::fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseLocation::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            DatabaseLocation::Postgres(_) => f.write_str("Postgres(…)"),
        }
    }
}

/// The storage interface. Implementations: [`SqliteStore`], [`PostgresStore`].
#[async_trait::async_trait]
pub trait Store:
    registry::RegistryStore
    + tokens::TokenStore
    + approvals::ApprovalStore
    + erasure::ErasureStore
    + compartments::CompartmentStore
    + observation::ObservationStore
    + evidence::EvidenceStore
    + ledger::LedgerStore
    + campaigns::CampaignStore
    + aid::AidStore
    + volunteers::VolunteerStore
    + security::SecurityStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;

    /// The schema version the database is at.
    async fn schema_version(&self) -> Result<i64, StoreError>;

    /// Applies the migrations the database lacks; returns how many were applied.
    async fn migrate(&self) -> Result<usize, StoreError>;

    async fn create_account(&self, account: &NewAccount, audit: &AuditEvent) -> Result<AccountId, StoreError>;
    async fn account_by_lookup(&self, lookup: &[u8; 32]) -> Result<Option<AccountRow>, StoreError>;
    async fn account_by_id(&self, id: AccountId) -> Result<Option<AccountRow>, StoreError>;
    async fn list_accounts(&self) -> Result<Vec<AccountRow>, StoreError>;
    async fn count_accounts(&self) -> Result<i64, StoreError>;
    /// Disabling also ends every session of the account.
    async fn set_account_disabled(&self, id: AccountId, disabled: bool, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Setting a password also ends every session of the account.
    async fn set_password_hash(&self, id: AccountId, hash: &str, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn set_account_locale(&self, id: AccountId, locale: Locale, audit: &AuditEvent) -> Result<(), StoreError>;

    async fn create_session(&self, session: &SessionRow, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn session_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError>;
    /// The session, its account and the account's compartments in one statement: the check
    /// every request makes. `None` when either row is missing.
    async fn session_with_account(&self, token_hash: &[u8; 32]) -> Result<Option<SessionAccount>, StoreError>;
    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEvent) -> Result<(), StoreError>;
    /// Ends every session of an account; returns how many there were.
    async fn delete_sessions_of(&self, id: AccountId, audit: &AuditEvent) -> Result<u64, StoreError>;
    /// Forgets sessions that expired before `now_ms`. Not audited: nothing a person did.
    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Appends an audit entry on its own, for changes outside the database (e.g. a new passphrase).
    async fn append_audit(&self, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Appends several entries in one transaction, linked in the order given, all or none:
    /// audited reads that arrive together share one commit (one fsync) instead of queueing
    /// for one each.
    async fn append_audits(&self, audits: &[AuditEvent]) -> Result<(), StoreError>;
    /// Up to `limit` entries with `seq > after_seq`, in order.
    async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<StoredAudit>, StoreError>;

    /// Closes every connection (SQLite checkpoints its WAL into the database file).
    async fn close(&self);

    /// Writes a consistent copy of the whole database to `path` (a new file).
    async fn snapshot_into(&self, path: &Path) -> Result<(), StoreError>;
}

/// Opens the store at `location` without migrating. `create` allows a new SQLite file.
pub async fn open(
    location: &DatabaseLocation,
    create: bool,
    link: Arc<dyn ChainLink>,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(SqliteStore::open(path, create, link).await?),
        DatabaseLocation::Postgres(url) => Arc::new(PostgresStore::open(url, link).await?),
    })
}

/// The object an audit entry names, once a new row's id is known.
fn audit_object(object: &AuditObject, created: Option<i64>) -> String {
    match (object, created) {
        (AuditObject::Named(name), _) => name.clone(),
        (AuditObject::Created(kind), Some(id)) => format!("{kind}:{id}"),
        (AuditObject::Created(kind), None) => format!("{kind}:?"),
    }
}

fn hash32(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Damaged(format!("{what} is not 32 bytes")))
}

fn account_from_row(row: &(impl rows::Cols + ?Sized)) -> Result<AccountRow, StoreError> {
    Ok(AccountRow {
        id: row.i64("id")?,
        username_sealed: row.blob("username_sealed")?,
        display_name_sealed: row.blob("display_name_sealed")?,
        email_sealed: row.opt_blob("email_sealed")?,
        password_hash: row.text("password_hash")?,
        role: parse_role(&row.text("role")?)?,
        locale: parse_locale(row.opt_text("locale")?),
        disabled: row.flag("disabled")?,
        created_at_ms: row.i64("created_at_ms")?,
    })
}

/// A session; `created` names its creation column (`session_with_account`'s join renames it).
fn session_from_row(row: &(impl rows::Cols + ?Sized), created: &str) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        token_hash: hash32(row.blob("token_hash")?, "a session hash")?,
        account_id: row.i64("account_id")?,
        created_at_ms: row.i64(created)?,
        expires_at_ms: row.i64("expires_at_ms")?,
        last_seen_ms: row.i64("last_seen_ms")?,
        agent: row.text("agent")?,
    })
}

/// A row of `session_with_account`'s statement (its text is each database's own).
fn session_account_from_row(row: &dyn rows::Cols) -> Result<SessionAccount, StoreError> {
    Ok(SessionAccount {
        session: session_from_row(row, "session_created_at_ms")?,
        account: account_from_row(row)?,
        compartments: compartments::id_list(row.opt_text("compartments")?)?,
        registry_generation: row.i64("registry_generation")?,
    })
}

fn parse_role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).map_err(|e| StoreError::Damaged(e.to_string()))
}

fn parse_locale(s: Option<String>) -> Option<Locale> {
    s.as_deref().and_then(Locale::parse)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

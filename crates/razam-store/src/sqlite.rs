//! The SQLite store: the embedded default, one file in the data folder.
//!
//! One writer connection (SQLite allows one writer at a time; queuing in the pool is cheaper
//! than busy retries), four sqlx readers (`readers`: no pings) and the direct readers of the
//! hot reads (`direct`: rusqlite on the calling thread), WAL, foreign keys on, temporary
//! tables in memory so nothing spills into temp files, `secure_delete` so freed pages are
//! zeroed, and `synchronous = FULL` so an acknowledged write survives a power cut.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use razam_core::Locale;
use razam_core::audit::{AuditRecord, ChainLink};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Executor, Row, Sqlite, Transaction};

use crate::direct::Direct;
use crate::migrations;
use crate::readers::{Reader, Readers};
use crate::rows::{Cols, Value};
use crate::{
    AccountId, AccountRow, AuditEvent, NewAccount, SessionAccount, SessionRow, Store, StoreError, StoredAudit,
    account_from_row, hash32, parse_role, session_account_from_row, session_from_row,
};

pub struct SqliteStore {
    write: SqlitePool,
    read: Readers<SqliteConnection>,
    /// The hot reads' connections (see `direct`); `read` serves the others.
    direct: Direct,
    link: Arc<dyn ChainLink>,
}

const ACCOUNT_COLUMNS: &str = "id, username_sealed, display_name_sealed, email_sealed, password_hash, role, \
     locale, disabled, created_at_ms";

impl SqliteStore {
    pub async fn open(path: &Path, create: bool, link: Arc<dyn ChainLink>) -> Result<SqliteStore, StoreError> {
        if !create && !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        if create && !path.exists() {
            // Created here, owner-only, because SQLite would use the umask; its -wal and -shm
            // files copy this file's permissions.
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| StoreError::Damaged(format!("cannot create {}: {e}", path.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Full)
            .pragma("temp_store", "memory")
            .pragma("secure_delete", "on");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(create)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await
            .map_err(classify)?;
        let read = Readers::new(options, 4, classify, true);
        let store = SqliteStore {
            write,
            read,
            direct: Direct::new(path),
            link,
        };
        let found = store.schema_version().await?;
        if found > migrations::latest() {
            return Err(StoreError::NewerSchema {
                found,
                known: migrations::latest(),
            });
        }
        Ok(store)
    }

    /// What an INSERT that gives its own ids says between its columns and VALUES: nothing
    /// here (PostgreSQL's identity columns need to be told).
    const EXPLICIT_ID: &'static str = "";

    /// The ids in `$1` (a comma-separated text, `registry_sql::id_list`) as a subquery: one
    /// statement text for any number of ids, where a list written into the text was prepared
    /// anew for every page and pushed other statements out of the connection's cache.
    const ID_LIST: &'static str = "SELECT value FROM json_each('[' || $1 || ']')";

    /// `n` ids for new rows of `table`, in order. The batch holds the write lock, so the
    /// next ids are the ones after the largest, as SQLite itself would choose them.
    async fn reserve_ids(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        table: &'static str,
        n: usize,
    ) -> Result<Vec<i64>, StoreError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let max: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
            .fetch_one(&mut **tx)
            .await?;
        Ok((1..=n as i64).map(|i| max + i).collect())
    }

    /// Nothing: SQLite plans without gathered statistics (no `sqlite_stat1` table), the
    /// way its statements were written and measured; PostgreSQL's `refresh_statistics` has
    /// its reason there.
    async fn refresh_statistics(&self, _rows: usize) {}

    /// What a ledger SELECT says to lock the balances it reads (see `impl_ledger_store!`).
    const LOCK_ROWS: &'static str = "";

    /// What makes a read transaction see one snapshot (see `impl_ledger_store!`).
    const READ_SNAPSHOT: &'static str = "";

    /// Runs a read statement (see `rows`) on the calling thread and maps its rows.
    async fn read_rows<T: Send>(
        &self,
        sql: &str,
        args: &[Value],
        map: impl FnMut(&dyn Cols) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        self.direct.read(sql, args, map)
    }

    /// A connection for reads (see `readers`).
    async fn reader(&self) -> Result<Reader<'_, SqliteConnection>, StoreError> {
        self.read.get().await
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // could fail to upgrade when another process (the CLI) writes meanwhile.
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Appends one entry to the audit chain in `tx`; `created` is the new row's id its object
    /// names, if any.
    async fn append(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        event: &AuditEvent,
        created: Option<i64>,
    ) -> Result<(), StoreError> {
        registry_sql::append_entries(self, tx, [(event, created)]).await
    }

    /// Runs one write statement on an account and its audit entry in one transaction.
    async fn update_account<'q>(
        &self,
        id: AccountId,
        end_sessions: bool,
        audit: &AuditEvent,
        statement: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let changed = statement.execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("the account"));
        }
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE account_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

crate::registry::impl_registry_store!(SqliteStore, Sqlite);
crate::tokens::impl_token_store!(SqliteStore, Sqlite);
crate::approvals::impl_approval_store!(SqliteStore, Sqlite);
crate::erasure::impl_erasure_store!(SqliteStore, Sqlite);
crate::compartments::impl_compartment_store!(SqliteStore, Sqlite);
crate::observation::impl_observation_store!(SqliteStore, Sqlite);
crate::evidence::impl_evidence_store!(SqliteStore, Sqlite);
crate::ledger::impl_ledger_store!(SqliteStore, Sqlite);
crate::campaigns::impl_campaign_store!(SqliteStore, Sqlite);
crate::aid::impl_aid_store!(SqliteStore, Sqlite);
crate::volunteers::impl_volunteer_store!(SqliteStore, Sqlite);
crate::security::impl_security_store!(SqliteStore, Sqlite);

/// Tells a damaged or foreign file from other failures.
pub(crate) fn classify(e: sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error() {
        // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with or without extended codes.
        if let Some(code) = db.code().and_then(|c| c.parse::<i64>().ok())
            && matches!(code & 0xff, 11 | 26)
        {
            return StoreError::Damaged(db.message().to_owned());
        }
    }
    StoreError::Database(e)
}

fn conflict_or(e: sqlx::Error, what: &'static str) -> StoreError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut *self.reader().await?)
            .await
            .map_err(classify)?;
        if !tables.iter().any(|t| t == "razam_schema") {
            return if tables.is_empty() {
                Ok(0)
            } else {
                Err(StoreError::Damaged("it holds tables but no razam schema".into()))
            };
        }
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM razam_schema")
            .fetch_one(&mut *self.reader().await?)
            .await
            .map_err(classify)?;
        Ok(version.unwrap_or(0))
    }

    async fn migrate(&self) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        (&mut *tx)
            .execute(
                "CREATE TABLE IF NOT EXISTS razam_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             applied_at_ms INTEGER NOT NULL) STRICT",
            )
            .await?;
        let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM razam_schema")
            .fetch_one(&mut *tx)
            .await?;
        let mut applied = 0;
        for m in migrations::SQLITE.iter().filter(|m| m.version > current) {
            (&mut *tx).execute(m.sql).await?;
            sqlx::query("INSERT INTO razam_schema (version, name, applied_at_ms) VALUES (?, ?, ?)")
                .bind(m.version)
                .bind(m.name)
                .bind(crate::now_ms())
                .execute(&mut *tx)
                .await?;
            applied += 1;
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn create_account(&self, account: &NewAccount, audit: &AuditEvent) -> Result<AccountId, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (username_lookup, username_sealed, display_name_sealed, email_sealed, \
             password_hash, role, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&account.username_lookup[..])
        .bind(&account.username_sealed)
        .bind(&account.display_name_sealed)
        .bind(&account.email_sealed)
        .bind(&account.password_hash)
        .bind(account.role.as_str())
        .bind(account.created_at_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, "an account with this user name"))?;
        self.append(&mut tx, audit, Some(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn account_by_lookup(&self, lookup: &[u8; 32]) -> Result<Option<AccountRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username_lookup = ?"
        ))
        .bind(&lookup[..])
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn account_by_id(&self, id: AccountId) -> Result<Option<AccountRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(account_from_row).collect()
    }

    async fn count_accounts(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&mut *self.reader().await?)
            .await?)
    }

    async fn set_account_disabled(&self, id: AccountId, disabled: bool, audit: &AuditEvent) -> Result<(), StoreError> {
        let statement = sqlx::query("UPDATE accounts SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(id);
        self.update_account(id, disabled, audit, statement).await
    }

    async fn set_password_hash(&self, id: AccountId, hash: &str, audit: &AuditEvent) -> Result<(), StoreError> {
        let statement = sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id);
        self.update_account(id, true, audit, statement).await
    }

    async fn set_account_locale(&self, id: AccountId, locale: Locale, audit: &AuditEvent) -> Result<(), StoreError> {
        let statement = sqlx::query("UPDATE accounts SET locale = ? WHERE id = ?")
            .bind(locale.code())
            .bind(id);
        self.update_account(id, false, audit, statement).await
    }

    async fn create_session(&self, session: &SessionRow, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at_ms, expires_at_ms, last_seen_ms, agent) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.token_hash[..])
        .bind(session.account_id)
        .bind(session.created_at_ms)
        .bind(session.expires_at_ms)
        .bind(session.last_seen_ms)
        .bind(&session.agent)
        .execute(&mut *tx)
        .await?;
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, account_id, created_at_ms, expires_at_ms, last_seen_ms, agent FROM sessions \
             WHERE token_hash = ?",
        )
        .bind(&token_hash[..])
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.as_ref().map(|r| session_from_row(r, "created_at_ms")).transpose()
    }

    async fn session_with_account(&self, token_hash: &[u8; 32]) -> Result<Option<SessionAccount>, StoreError> {
        // The compartments as one list of ids (group_concat), so that the check is one statement;
        // the registry clock with it, so that a search need not read it again.
        let sql = "SELECT s.token_hash, s.account_id, s.created_at_ms AS session_created_at_ms, s.expires_at_ms, \
             s.last_seen_ms, s.agent, a.id, a.username_sealed, a.display_name_sealed, a.email_sealed, \
             a.password_hash, a.role, a.locale, a.disabled, a.created_at_ms, \
             (SELECT group_concat(m.compartment_id) FROM compartment_members m WHERE m.account_id = a.id) AS compartments, \
             (SELECT n FROM registry_clock WHERE id = 1) AS registry_generation \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1";
        let rows = self
            .read_rows(sql, &[Value::Blob(token_hash.to_vec())], session_account_from_row)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(&token_hash[..])
            .execute(&mut *tx)
            .await?;
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, id: AccountId, audit: &AuditEvent) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE account_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= ?")
            .bind(now_ms)
            .execute(&self.write)
            .await?
            .rows_affected())
    }

    async fn append_audit(&self, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audits(&self, audits: &[AuditEvent]) -> Result<(), StoreError> {
        if audits.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        registry_sql::append_entries(self, &mut tx, audits.iter().map(|a| (a, None))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<StoredAudit>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, object, prev_hash, hash FROM audit_log WHERE seq > ? \
             ORDER BY seq LIMIT ?",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredAudit {
                    record: AuditRecord {
                        seq: row.try_get("seq")?,
                        at_ms: row.try_get("at_ms")?,
                        actor: row.try_get("actor")?,
                        action: row.try_get("action")?,
                        object: row.try_get("object")?,
                    },
                    prev_hash: hash32(row.try_get("prev_hash")?, "an audit hash")?,
                    hash: hash32(row.try_get("hash")?, "an audit hash")?,
                })
            })
            .collect()
    }

    async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        self.direct.close();
    }

    async fn snapshot_into(&self, path: &Path) -> Result<(), StoreError> {
        let target = path
            .to_str()
            .ok_or(StoreError::Unsupported("sqlite", "a snapshot path that is not UTF-8"))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut *self.reader().await?)
            .await?;
        Ok(())
    }
}

//! The PostgreSQL store, for shared deployments.
//!
//! Differences from SQLite, in plain sight: `$n` placeholders, BYTEA and BOOLEAN columns,
//! identity columns, and the audit chain serialised by locking `audit_log` at the start of
//! every write transaction (SQLite's single writer gives that for free). Migrations take an
//! advisory lock so that two servers starting at once do not both migrate.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use razam_core::Locale;
use razam_core::audit::{AuditRecord, ChainLink};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, Postgres, Row, Transaction};

use crate::migrations;
use crate::readers::{Reader, Readers};
use crate::rows::{Cols, Value};
use crate::{
    AccountId, AccountRow, AuditEvent, NewAccount, SessionAccount, SessionRow, Store, StoreError, StoredAudit,
    account_from_row, hash32, parse_role, session_account_from_row, session_from_row,
};

pub struct PostgresStore {
    pool: PgPool,
    /// The connections `read_rows` uses (without the pool's two pings per statement).
    read: Readers<PgConnection>,
    link: Arc<dyn ChainLink>,
}

const ACCOUNT_COLUMNS: &str = "id, username_sealed, display_name_sealed, email_sealed, password_hash, role, \
     locale, disabled, created_at_ms";

/// The connections of the pool (writes, and the reads not written with `read_rows`).
const POOL_SIZE: u32 = 16;

/// Any number; it only has to be the same for every razam process.
const MIGRATION_LOCK: i64 = 0x7261_7a61_6d00;

/// The advisory lock every write transaction takes first (see `begin`); another number than
/// `MIGRATION_LOCK`, the same for every razam process.
const WRITER_LOCK: i64 = 0x7261_7a61_6d01;

impl PostgresStore {
    /// How many records one `apply_batches` writes before the planner's statistics are
    /// refreshed (`refresh_statistics`): an import's size, far above a form's.
    pub const ANALYZE_AFTER_ROWS: usize = 1_000;

    pub async fn open(url: &str, link: Arc<dyn ChainLink>) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            // Not checked with a ping when handed out: `begin`'s BEGIN finds a closed one,
            // `reader` pings itself.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let read = Readers::new((*pool.connect_options()).clone(), POOL_SIZE, StoreError::from, false);
        let store = PostgresStore { pool, read, link };
        let found = store.schema_version().await?;
        if found > migrations::latest() {
            return Err(StoreError::NewerSchema {
                found,
                known: migrations::latest(),
            });
        }
        store.analyze_registry(true).await;
        Ok(store)
    }

    /// The registry's tables (`analyze_registry`), separated by commas.
    const REGISTRY_TABLES: &'static str = "persons,events,event_persons,event_articles,event_sources,sources,\
         recognitions,prisoner_status,person_merges,distinct_persons,intake_reports,record_versions,audit_log";

    /// What an INSERT that gives its own ids says between its columns and VALUES: the ids
    /// come from the column's own sequence (see `reserve_ids`), so they may override it.
    const EXPLICIT_ID: &'static str = " OVERRIDING SYSTEM VALUE";

    /// The ids in `$1` (a comma-separated text) as a subquery, as SQLite's `ID_LIST`.
    const ID_LIST: &'static str = "SELECT unnest(string_to_array($1, ',')::bigint[])";

    /// `n` ids for new rows of `table`, in order, taken from its identity sequence in one
    /// round trip.
    async fn reserve_ids(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        table: &'static str,
        n: usize,
    ) -> Result<Vec<i64>, StoreError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut ids: Vec<i64> =
            sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)")
                .bind(table)
                .bind(n as i64)
                .fetch_all(&mut **tx)
                .await?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// After a bulk write of `rows` records (`apply_batches`: an import, the demo's
    /// generation), refreshes the planner's statistics of the registry's tables, so that the
    /// next statements are planned on the tables as they now are, not on none until
    /// autovacuum's next round (a minute or more). Without it, after the demo of 100,000 persons, every
    /// search scanned the persons and the events, the public figures' first count took over a
    /// minute and the mixed load fell to 31 requests/s until that round (docs/operations.md,
    /// "PostgreSQL"). A failure is logged, not returned: the records are already committed.
    async fn refresh_statistics(&self, rows: usize) {
        if rows >= Self::ANALYZE_AFTER_ROWS {
            self.analyze_registry(false).await;
        }
    }

    /// `ANALYZE` of the registry's tables that hold rows, or, with `only_unknown`, only when
    /// one of them has no statistics yet (nothing in `pg_stats`: a restored dump, whose
    /// `CREATE INDEX` sets the row count but gathers none, or an import by a razam older than
    /// `refresh_statistics`), for the reason `refresh_statistics` gives. `SKIP_LOCKED`: a
    /// table that a VACUUM, another ANALYZE or a migration holds is left to them, never waited
    /// for (nor an autovacuum cancelled). Logged, never raised.
    ///
    /// A table with no rows is never analysed: PostgreSQL would record 0 rows and plan it as
    /// small or empty (with pages, as holding no rows at all however it grows), where a table
    /// never analysed is planned by its size, and at least ten pages of it. After the
    /// migrations of a new database had analysed its empty tables, the foreign-key checks of
    /// its first long import (planned once per connection, when the tables were small, and
    /// kept through the import's one transaction) scanned persons and events whole for every
    /// row written: the demo of 30,000 persons took 8 min 52 s instead of 19 s. A table that
    /// holds only the dead rows of an import rolled back is left alone too.
    async fn analyze_registry(&self, only_unknown: bool) {
        match self.tables_to_analyze(only_unknown).await {
            Ok(Some(tables)) => {
                if let Err(e) = sqlx::query(&format!("ANALYZE (SKIP_LOCKED) {tables}"))
                    .persistent(false)
                    .execute(&self.pool)
                    .await
                {
                    tracing::warn!(error = %e, "the planner's statistics were not refreshed");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not tell whether the planner has statistics"),
        }
    }

    /// The registry's tables `analyze_registry` analyses, comma-separated, if any: those that
    /// exist (an older schema lacks some) and hold a row; with `only_unknown`, none unless
    /// one of them has no statistics.
    async fn tables_to_analyze(&self, only_unknown: bool) -> Result<Option<String>, sqlx::Error> {
        let existing: Vec<(String, bool)> = sqlx::query_as(
            "SELECT t.name, EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname \
             AND s.tablename = c.relname) FROM unnest(string_to_array($1, ',')) AS t(name) \
             JOIN pg_class c ON c.oid = to_regclass(t.name) JOIN pg_namespace n ON n.oid = c.relnamespace",
        )
        .bind(Self::REGISTRY_TABLES)
        .fetch_all(&self.pool)
        .await?;
        if existing.is_empty() || (only_unknown && existing.iter().all(|(_, known)| *known)) {
            return Ok(None);
        }
        // Whether each holds a row, in one statement; the names are this file's own.
        let holding = existing
            .iter()
            .map(|(name, _)| format!("SELECT '{name}' AS name, EXISTS (SELECT 1 FROM {name}) AS filled"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let filled: Vec<(String, bool)> = sqlx::query_as(&holding).persistent(false).fetch_all(&self.pool).await?;
        let filled: Vec<&str> = filled
            .iter()
            .filter(|(_, filled)| *filled)
            .map(|(name, _)| name.as_str())
            .collect();
        let unknown = existing
            .iter()
            .any(|(name, known)| !known && filled.contains(&name.as_str()));
        Ok((!filled.is_empty() && (unknown || !only_unknown)).then(|| filled.join(", ")))
    }

    /// What a ledger SELECT says to lock the balances it reads (see `impl_ledger_store!`).
    const LOCK_ROWS: &'static str = " FOR UPDATE";

    /// What makes a read transaction see one snapshot (see `impl_ledger_store!`).
    const READ_SNAPSHOT: &'static str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

    /// Runs a read statement (see `rows`) and maps its rows.
    async fn read_rows<T: Send>(
        &self,
        sql: &str,
        args: &[Value],
        mut map: impl FnMut(&dyn Cols) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        let mut again = true;
        loop {
            let mut query = sqlx::query(sql);
            for value in args {
                query = match value {
                    Value::I64(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.as_str()),
                    Value::Blob(v) => query.bind(v.as_slice()),
                };
            }
            let mut reader = if again {
                self.read.get().await?
            } else {
                self.fresh_reader().await?
            };
            // A connection goes back only after a statement answered in full (`done`): one
            // whose statement failed or was abandoned is dropped, so that no later read waits
            // for that statement or is handed its error.
            match query.fetch_all(&mut *reader).await {
                Ok(rows) => {
                    reader.done();
                    return rows.iter().map(|row| map(row)).collect();
                }
                // The server closed this connection (it restarted, most likely, and closed the
                // idle ones too): a read can run again, once, on a newly opened connection.
                Err(e) if again && disconnected(&e) => {
                    tracing::info!(error = %e, "a read connection was closed by PostgreSQL; reading again on a new one");
                    self.read.drop_idle();
                    again = false;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A newly opened read connection; while the server is starting up (after a restart) or
    /// refuses connections, tried again for up to 10 s, as the pool does.
    async fn fresh_reader(&self) -> Result<Reader<'_, PgConnection>, StoreError> {
        let mut wait = Duration::from_millis(20);
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.read.fresh().await {
                Err(StoreError::Database(e)) if std::time::Instant::now() < until && starting_up(&e) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    /// A connection from the pool, for the reads that do not go through `read_rows`, checked
    /// with a ping: one the server closed (a restart) is dropped and another taken, rather than
    /// failing the statement (`read_rows` reads again instead).
    async fn reader(&self) -> Result<sqlx::pool::PoolConnection<Postgres>, StoreError> {
        let mut tries = POOL_SIZE + 1;
        loop {
            let mut conn = self.pool.acquire().await?;
            // Checked here, as the pool no longer does (see `open`): a closed one is dropped.
            match conn.ping().await {
                Ok(()) => return Ok(conn),
                Err(e) if tries > 1 && disconnected(&e) => {
                    conn.close_on_drop();
                    tries -= 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        // The pool hands its connections out unchecked (see `open`): on one the server closed
        // (a restart) BEGIN fails, before anything is written, and another is taken, up to one
        // more than the pool holds.
        let mut tries = POOL_SIZE + 1;
        let mut tx = loop {
            match self.pool.begin().await {
                Ok(tx) => break tx,
                Err(e) if tries > 1 && disconnected(&e) => {
                    tracing::info!(error = %e, "a connection was closed by PostgreSQL; beginning on another one");
                    tries -= 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Taken first, so every writer waits in one queue and no two interleave in the chain;
        // held to the end of the transaction. An advisory lock, not a lock on `audit_log`:
        // every table lock strong enough to queue writers also queues VACUUM, so autovacuum
        // of the audit log held every write up for a second (`deadlock_timeout`) and was
        // then cancelled, again and again, until a vacuum against wraparound, which is not
        // cancelled, would hold them up for its whole run. Not sent with BEGIN as one simple
        // query: a refused or cancelled lock would then leave the connection in a failed
        // transaction that nothing rolls back (sqlx counts the transaction only once BEGIN's
        // answer is complete); here the `Transaction` exists and rolls back when dropped.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITER_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Appends one entry to the audit chain in `tx`; `created` is the new row's id its object
    /// names, if any.
    async fn append(
        &self,
        tx: &mut Transaction<'static, Postgres>,
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
        statement: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let changed = statement.execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("the account"));
        }
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

crate::registry::impl_registry_store!(PostgresStore, Postgres);
crate::tokens::impl_token_store!(PostgresStore, Postgres);
crate::approvals::impl_approval_store!(PostgresStore, Postgres);
crate::erasure::impl_erasure_store!(PostgresStore, Postgres);
crate::compartments::impl_compartment_store!(PostgresStore, Postgres);
crate::observation::impl_observation_store!(PostgresStore, Postgres);
crate::evidence::impl_evidence_store!(PostgresStore, Postgres);
crate::ledger::impl_ledger_store!(PostgresStore, Postgres);
crate::campaigns::impl_campaign_store!(PostgresStore, Postgres);
crate::aid::impl_aid_store!(PostgresStore, Postgres);
crate::volunteers::impl_volunteer_store!(PostgresStore, Postgres);
crate::security::impl_security_store!(PostgresStore, Postgres);

/// Whether `e` says the server closed the connection: it went away (an I/O error), or said
/// it was shutting down or terminating this backend (SQLSTATE class 57P: a restart, a
/// failover, `pg_terminate_backend`) or that the connection failed (class 08).
fn disconnected(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// Whether a connect failed because the server is not accepting connections yet: refused,
/// or "the database system is starting up" (SQLSTATE 57P03).
fn starting_up(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code == "57P03"),
        _ => false,
    }
}

fn conflict_or(e: sqlx::Error, what: &'static str) -> StoreError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('razam_schema') IS NOT NULL")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        if !exists {
            return Ok(0);
        }
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM razam_schema")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(version.unwrap_or(0))
    }

    async fn migrate(&self) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        (&mut *tx)
            .execute(
                "CREATE TABLE IF NOT EXISTS razam_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             applied_at_ms BIGINT NOT NULL)",
            )
            .await?;
        let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM razam_schema")
            .fetch_one(&mut *tx)
            .await?;
        let mut applied = 0;
        for m in migrations::POSTGRES.iter().filter(|m| m.version > current) {
            (&mut *tx).execute(m.sql).await?;
            sqlx::query("INSERT INTO razam_schema (version, name, applied_at_ms) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind(crate::now_ms())
                .execute(&mut *tx)
                .await?;
            applied += 1;
        }
        tx.commit().await?;
        if applied > 0 {
            // A migration's new column has no statistics until the next ANALYZE, and without
            // them a condition on it is guessed (`compartment_id IS NOT NULL`, added by 0013,
            // is expected to hold for nearly every row: a scan instead of its index). The tables
            // that hold records only: see `analyze_registry`.
            self.analyze_registry(false).await;
        }
        Ok(applied)
    }

    async fn create_account(&self, account: &NewAccount, audit: &AuditEvent) -> Result<AccountId, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (username_lookup, username_sealed, display_name_sealed, email_sealed, \
             password_hash, role, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
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
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username_lookup = $1"
        ))
        .bind(&lookup[..])
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn account_by_id(&self, id: AccountId) -> Result<Option<AccountRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"))
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
        let statement = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id);
        self.update_account(id, disabled, audit, statement).await
    }

    async fn set_password_hash(&self, id: AccountId, hash: &str, audit: &AuditEvent) -> Result<(), StoreError> {
        let statement = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(id);
        self.update_account(id, true, audit, statement).await
    }

    async fn set_account_locale(&self, id: AccountId, locale: Locale, audit: &AuditEvent) -> Result<(), StoreError> {
        let statement = sqlx::query("UPDATE accounts SET locale = $1 WHERE id = $2")
            .bind(locale.code())
            .bind(id);
        self.update_account(id, false, audit, statement).await
    }

    async fn create_session(&self, session: &SessionRow, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at_ms, expires_at_ms, last_seen_ms, agent) \
             VALUES ($1, $2, $3, $4, $5, $6)",
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
             WHERE token_hash = $1",
        )
        .bind(&token_hash[..])
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.as_ref().map(|r| session_from_row(r, "created_at_ms")).transpose()
    }

    async fn session_with_account(&self, token_hash: &[u8; 32]) -> Result<Option<SessionAccount>, StoreError> {
        // The compartments as one list of ids (string_agg), so that the check is one statement;
        // the registry clock with it, so that a search need not read it again.
        let rows = self
            .read_rows(
                "SELECT s.token_hash, s.account_id, s.created_at_ms AS session_created_at_ms, s.expires_at_ms, \
             s.last_seen_ms, s.agent, a.id, a.username_sealed, a.display_name_sealed, a.email_sealed, \
             a.password_hash, a.role, a.locale, a.disabled, a.created_at_ms, \
             (SELECT string_agg(m.compartment_id::text, ',') FROM compartment_members m WHERE m.account_id = a.id) AS compartments, \
             (SELECT n FROM registry_clock WHERE id = 1) AS registry_generation \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
                &[Value::Blob(token_hash.to_vec())],
                session_account_from_row,
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&mut *tx)
            .await?;
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, id: AccountId, audit: &AuditEvent) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.append(&mut tx, audit, None).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
            .bind(now_ms)
            .execute(&mut *self.reader().await?)
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
            "SELECT seq, at_ms, actor, action, object, prev_hash, hash FROM audit_log WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
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
        self.read.close().await;
        self.pool.close().await;
    }

    async fn snapshot_into(&self, _path: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "postgres",
            "razam backup; back up PostgreSQL with pg_dump or pg_basebackup (docs/operations.md)",
        ))
    }
}

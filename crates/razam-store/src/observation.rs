//! Election-observation storage: elections and their days, polling stations, observers'
//! assignments and counts, the resolution of disagreeing counts, and official protocols.
//! The SQL is written once for both databases and compiled into each store by
//! [`impl_observation_store!`], like the registry's.
//!
//! Free text (an observer's note, a reviewer's reason) arrives sealed; the rest are facts about
//! polling stations, not about persons.

use crate::{AccountId, AuditEvent, StoreError};

pub type ElectionId = i64;
pub type StationId = i64;
pub type CountId = i64;

#[derive(Debug, Clone)]
pub struct NewElection {
    pub name: String,
    pub round: i64,
    pub tolerance_pct: i64,
    /// `(YYYY-MM-DD, "early" | "election")`.
    pub days: Vec<(String, &'static str)>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ElectionRow {
    pub id: ElectionId,
    pub name: String,
    pub round: i64,
    pub tolerance_pct: i64,
    pub created_at_ms: i64,
    /// `(day, kind)` in day order.
    pub days: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct NewStation {
    pub code: String,
    pub region: String,
    pub address: Option<String>,
    pub registered: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct StationRow {
    pub id: StationId,
    pub election_id: ElectionId,
    pub code: String,
    pub region: String,
    pub address: Option<String>,
    pub registered: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewCount {
    pub station_id: StationId,
    pub day: String,
    pub account_id: AccountId,
    pub voters: i64,
    pub window_from: String,
    pub window_to: String,
    pub flags: i64,
    pub note_sealed: Option<Vec<u8>>,
    pub paper: bool,
    pub submitted_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct CountRow {
    pub id: CountId,
    pub station_id: StationId,
    pub day: String,
    pub account_id: AccountId,
    pub voters: i64,
    pub window_from: String,
    pub window_to: String,
    pub flags: i64,
    pub note_sealed: Option<Vec<u8>>,
    pub paper: bool,
    pub entered_by: String,
    pub submitted_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct NewResolution {
    pub station_id: StationId,
    pub day: String,
    pub voters: i64,
    pub kept_count_id: Option<CountId>,
    /// The newest count the reviewer saw: a later one opens the question again.
    pub last_count_id: CountId,
    pub reason_sealed: Vec<u8>,
    pub resolved_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ResolutionRow {
    pub id: i64,
    pub station_id: StationId,
    pub day: String,
    pub voters: i64,
    pub kept_count_id: Option<CountId>,
    pub last_count_id: CountId,
    pub reason_sealed: Vec<u8>,
    pub resolved_by: String,
    pub resolved_at_ms: i64,
}

/// An official protocol of one station, as imported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolRow {
    pub station_code: String,
    pub line: i64,
    pub region: Option<String>,
    pub registered: Option<i64>,
    pub issued: i64,
    pub cast: i64,
    pub valid: Option<i64>,
    pub invalid: Option<i64>,
    /// received, issued early, issued in the station, issued outside, cancelled, portable,
    /// stationary, lost, not accounted for: all or none.
    pub lines: Option<[i64; 9]>,
    /// Comma-separated votes in the import's candidate order, empty where none is given.
    pub votes: String,
}

#[derive(Debug, Clone)]
pub struct ProtocolImport {
    pub id: i64,
    pub format: String,
    pub rows: i64,
    pub skipped: i64,
    pub candidates: Vec<String>,
    pub imported_by: String,
    pub imported_at_ms: i64,
}

#[async_trait::async_trait]
pub trait ObservationStore: Send + Sync {
    async fn create_election(&self, election: &NewElection, audit: &AuditEvent) -> Result<ElectionId, StoreError>;
    /// Every election, newest first.
    async fn elections(&self) -> Result<Vec<ElectionRow>, StoreError>;
    async fn election(&self, id: ElectionId) -> Result<Option<ElectionRow>, StoreError>;
    async fn set_tolerance(&self, id: ElectionId, pct: i64, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Adds the stations, or updates those whose code the election has already; all or
    /// nothing, one audit entry. Returns (created, updated).
    async fn import_stations(
        &self,
        election: ElectionId,
        stations: &[NewStation],
        audit: &AuditEvent,
    ) -> Result<(usize, usize), StoreError>;
    /// An election's stations by code.
    async fn stations(&self, election: ElectionId) -> Result<Vec<StationRow>, StoreError>;
    async fn station(&self, id: StationId) -> Result<Option<StationRow>, StoreError>;
    /// Assigns an observer; `false` (nothing written) when assigned already.
    async fn assign_observer(
        &self,
        station: StationId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// `(station, account)` of every assignment in an election.
    async fn assignments(&self, election: ElectionId) -> Result<Vec<(StationId, AccountId)>, StoreError>;
    /// The stations an account is assigned to (in any election).
    async fn stations_of_observer(&self, account: AccountId) -> Result<Vec<StationRow>, StoreError>;
    /// Writes counts in one transaction with one audit entry (naming the count when there is
    /// one). Returns the ids.
    async fn add_counts(&self, counts: &[NewCount], audit: &AuditEvent) -> Result<Vec<CountId>, StoreError>;
    /// Every count of an election's stations, in id order.
    async fn counts(&self, election: ElectionId) -> Result<Vec<CountRow>, StoreError>;
    async fn resolve_counts(&self, resolution: &NewResolution, audit: &AuditEvent) -> Result<i64, StoreError>;
    /// Every resolution in an election, in id order.
    async fn resolutions(&self, election: ElectionId) -> Result<Vec<ResolutionRow>, StoreError>;
    /// Replaces the election's protocols by `rows` in one transaction with one audit entry.
    async fn replace_protocols(
        &self,
        election: ElectionId,
        import: &ProtocolImport,
        rows: &[ProtocolRow],
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;
    /// The last import's description, without its rows.
    async fn protocol_import(&self, election: ElectionId) -> Result<Option<ProtocolImport>, StoreError>;
    /// The protocols of an election in file order.
    async fn protocols(&self, election: ElectionId) -> Result<Vec<ProtocolRow>, StoreError>;
}

/// Rows per multi-row statement: protocols are 20 columns, 500 rows bind 10,000 values, far
/// below both databases' limits.
pub(crate) const ROWS: usize = 500;

/// Protocols read back per statement.
pub(crate) const PAGE: i64 = 5_000;

pub(crate) const COUNT_COLUMNS: &str = "c.id, c.station_id, c.day, c.account_id, c.voters, c.window_from, \
     c.window_to, c.flags, c.note_sealed, c.paper, c.entered_by, c.submitted_at_ms";
pub(crate) const STATION_COLUMNS: &str = "s.id, s.election_id, s.code, s.region, s.address, s.registered";
pub(crate) const PROTOCOL_COLUMNS: &str = "station_code, line, region, registered, issued, cast_ballots, valid, invalid, \
     received, issued_early, issued_station, issued_outside, cancelled, portable, stationary, lost, unaccounted, votes";

macro_rules! impl_observation_store {
    ($store:ty, $db:ty) => {
        mod observation_sql {
            use super::*;
            use crate::observation::*;
            use sqlx::Row;

            pub(super) type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn station_from(row: &DbRow) -> Result<StationRow, StoreError> {
                Ok(StationRow {
                    id: row.try_get("id")?,
                    election_id: row.try_get("election_id")?,
                    code: row.try_get("code")?,
                    region: row.try_get("region")?,
                    address: row.try_get("address")?,
                    registered: row.try_get("registered")?,
                })
            }

            pub(super) fn count_from(row: &DbRow) -> Result<CountRow, StoreError> {
                Ok(CountRow {
                    id: row.try_get("id")?,
                    station_id: row.try_get("station_id")?,
                    day: row.try_get("day")?,
                    account_id: row.try_get("account_id")?,
                    voters: row.try_get("voters")?,
                    window_from: row.try_get("window_from")?,
                    window_to: row.try_get("window_to")?,
                    flags: row.try_get("flags")?,
                    note_sealed: row.try_get("note_sealed")?,
                    paper: row.try_get::<i64, _>("paper")? != 0,
                    entered_by: row.try_get("entered_by")?,
                    submitted_at_ms: row.try_get("submitted_at_ms")?,
                })
            }

            pub(super) fn protocol_from(row: &DbRow) -> Result<ProtocolRow, StoreError> {
                let names = [
                    "received",
                    "issued_early",
                    "issued_station",
                    "issued_outside",
                    "cancelled",
                    "portable",
                    "stationary",
                    "lost",
                    "unaccounted",
                ];
                let mut lines = [0i64; 9];
                let mut all = true;
                for (slot, name) in lines.iter_mut().zip(names) {
                    match row.try_get::<Option<i64>, _>(name)? {
                        Some(v) => *slot = v,
                        None => all = false,
                    }
                }
                Ok(ProtocolRow {
                    station_code: row.try_get("station_code")?,
                    line: row.try_get("line")?,
                    region: row.try_get("region")?,
                    registered: row.try_get("registered")?,
                    issued: row.try_get("issued")?,
                    cast: row.try_get("cast_ballots")?,
                    valid: row.try_get("valid")?,
                    invalid: row.try_get("invalid")?,
                    lines: all.then_some(lines),
                    votes: row.try_get("votes")?,
                })
            }

            pub(super) async fn days_of(
                executor: impl sqlx::Executor<'_, Database = $db>,
                election: ElectionId,
            ) -> Result<Vec<(String, String)>, StoreError> {
                Ok(sqlx::query_as("SELECT day, kind FROM election_days WHERE election_id = $1 ORDER BY day")
                    .bind(election)
                    .fetch_all(executor)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::observation::ObservationStore for $store {
            async fn create_election(
                &self,
                election: &$crate::observation::NewElection,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::observation::ElectionId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO elections (name, round, tolerance_pct, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&election.name)
                .bind(election.round)
                .bind(election.tolerance_pct)
                .bind(&audit.actor)
                .bind(election.created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                for (day, kind) in &election.days {
                    sqlx::query("INSERT INTO election_days (election_id, day, kind) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(day)
                        .bind(*kind)
                        .execute(&mut *tx)
                        .await?;
                }
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn elections(&self) -> Result<Vec<$crate::observation::ElectionRow>, StoreError> {
                let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT id, name, round, tolerance_pct, created_at_ms FROM elections ORDER BY id DESC",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for (id, name, round, tolerance_pct, created_at_ms) in rows {
                    out.push($crate::observation::ElectionRow {
                        id,
                        name,
                        round,
                        tolerance_pct,
                        created_at_ms,
                        days: observation_sql::days_of(&mut *self.reader().await?, id).await?,
                    });
                }
                Ok(out)
            }

            async fn election(
                &self,
                id: $crate::observation::ElectionId,
            ) -> Result<Option<$crate::observation::ElectionRow>, StoreError> {
                let row: Option<(String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT name, round, tolerance_pct, created_at_ms FROM elections WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                let Some((name, round, tolerance_pct, created_at_ms)) = row else {
                    return Ok(None);
                };
                Ok(Some($crate::observation::ElectionRow {
                    id,
                    name,
                    round,
                    tolerance_pct,
                    created_at_ms,
                    days: observation_sql::days_of(&mut *self.reader().await?, id).await?,
                }))
            }

            async fn set_tolerance(
                &self,
                id: $crate::observation::ElectionId,
                pct: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query("UPDATE elections SET tolerance_pct = $1 WHERE id = $2")
                    .bind(pct)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound("the election"));
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn import_stations(
                &self,
                election: $crate::observation::ElectionId,
                stations: &[$crate::observation::NewStation],
                audit: &$crate::AuditEvent,
            ) -> Result<(usize, usize), StoreError> {
                let mut tx = self.begin().await?;
                let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM polling_stations WHERE election_id = $1")
                    .bind(election)
                    .fetch_one(&mut *tx)
                    .await?;
                for chunk in stations.chunks($crate::observation::ROWS) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO polling_stations (election_id, code, region, address, registered) ",
                    );
                    q.push_values(chunk, |mut b, s| {
                        b.push_bind(election)
                            .push_bind(&s.code)
                            .push_bind(&s.region)
                            .push_bind(s.address.as_deref())
                            .push_bind(s.registered);
                    });
                    q.push(
                        " ON CONFLICT (election_id, code) DO UPDATE SET region = excluded.region, \
                         address = excluded.address, registered = excluded.registered",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM polling_stations WHERE election_id = $1")
                    .bind(election)
                    .fetch_one(&mut *tx)
                    .await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                let created = (after - before).max(0) as usize;
                Ok((created, stations.len().saturating_sub(created)))
            }

            async fn stations(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Vec<$crate::observation::StationRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM polling_stations s WHERE s.election_id = $1 ORDER BY s.code",
                    $crate::observation::STATION_COLUMNS
                ))
                .bind(election)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(observation_sql::station_from).collect()
            }

            async fn station(
                &self,
                id: $crate::observation::StationId,
            ) -> Result<Option<$crate::observation::StationRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM polling_stations s WHERE s.id = $1",
                    $crate::observation::STATION_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(observation_sql::station_from).transpose()
            }

            async fn assign_observer(
                &self,
                station: $crate::observation::StationId,
                account: $crate::AccountId,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query(
                    "INSERT INTO observer_assignments (station_id, account_id, assigned_by, assigned_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (station_id, account_id) DO NOTHING",
                )
                .bind(station)
                .bind(account)
                .bind(&audit.actor)
                .bind(audit.at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn assignments(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Vec<($crate::observation::StationId, $crate::AccountId)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT a.station_id, a.account_id FROM observer_assignments a \
                     JOIN polling_stations s ON s.id = a.station_id WHERE s.election_id = $1 \
                     ORDER BY a.station_id, a.account_id",
                )
                .bind(election)
                .fetch_all(&mut *self.reader().await?)
                .await?)
            }

            async fn stations_of_observer(
                &self,
                account: $crate::AccountId,
            ) -> Result<Vec<$crate::observation::StationRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM polling_stations s JOIN observer_assignments a ON a.station_id = s.id \
                     WHERE a.account_id = $1 ORDER BY s.election_id DESC, s.code",
                    $crate::observation::STATION_COLUMNS
                ))
                .bind(account)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(observation_sql::station_from).collect()
            }

            async fn add_counts(
                &self,
                counts: &[$crate::observation::NewCount],
                audit: &$crate::AuditEvent,
            ) -> Result<Vec<$crate::observation::CountId>, StoreError> {
                let mut tx = self.begin().await?;
                let mut ids = Vec::with_capacity(counts.len());
                for c in counts {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO observer_counts (station_id, day, account_id, voters, window_from, window_to, \
                         flags, note_sealed, paper, entered_by, submitted_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind(c.station_id)
                    .bind(&c.day)
                    .bind(c.account_id)
                    .bind(c.voters)
                    .bind(&c.window_from)
                    .bind(&c.window_to)
                    .bind(c.flags)
                    .bind(c.note_sealed.as_deref())
                    .bind(i64::from(c.paper))
                    .bind(&audit.actor)
                    .bind(c.submitted_at_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    ids.push(id);
                }
                let created = (ids.len() == 1).then(|| ids[0]);
                self.append(&mut tx, audit, created).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn counts(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Vec<$crate::observation::CountRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM observer_counts c JOIN polling_stations s ON s.id = c.station_id \
                     WHERE s.election_id = $1 ORDER BY c.id",
                    $crate::observation::COUNT_COLUMNS
                ))
                .bind(election)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(observation_sql::count_from).collect()
            }

            async fn resolve_counts(
                &self,
                r: &$crate::observation::NewResolution,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO count_resolutions (station_id, day, voters, kept_count_id, last_count_id, \
                     reason_sealed, resolved_by, resolved_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(r.station_id)
                .bind(&r.day)
                .bind(r.voters)
                .bind(r.kept_count_id)
                .bind(r.last_count_id)
                .bind(&r.reason_sealed)
                .bind(&audit.actor)
                .bind(r.resolved_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn resolutions(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Vec<$crate::observation::ResolutionRow>, StoreError> {
                let rows: Vec<(i64, i64, String, i64, Option<i64>, i64, Vec<u8>, String, i64)> = sqlx::query_as(
                    "SELECT r.id, r.station_id, r.day, r.voters, r.kept_count_id, r.last_count_id, r.reason_sealed, \
                     r.resolved_by, r.resolved_at_ms FROM count_resolutions r \
                     JOIN polling_stations s ON s.id = r.station_id WHERE s.election_id = $1 ORDER BY r.id",
                )
                .bind(election)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(id, station_id, day, voters, kept_count_id, last_count_id, reason_sealed, resolved_by, resolved_at_ms)| {
                            $crate::observation::ResolutionRow {
                                id,
                                station_id,
                                day,
                                voters,
                                kept_count_id,
                                last_count_id,
                                reason_sealed,
                                resolved_by,
                                resolved_at_ms,
                            }
                        },
                    )
                    .collect())
            }

            async fn replace_protocols(
                &self,
                election: $crate::observation::ElectionId,
                import: &$crate::observation::ProtocolImport,
                rows: &[$crate::observation::ProtocolRow],
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let previous: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM protocol_imports WHERE election_id = $1")
                        .bind(election)
                        .fetch_optional(&mut *tx)
                        .await?;
                let id = previous.unwrap_or(0) + 1;
                sqlx::query("DELETE FROM protocols WHERE election_id = $1")
                    .bind(election)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM protocol_imports WHERE election_id = $1")
                    .bind(election)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO protocol_imports (election_id, id, format, rows, skipped, candidates, imported_by, \
                     imported_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(election)
                .bind(id)
                .bind(&import.format)
                .bind(import.rows)
                .bind(import.skipped)
                .bind(import.candidates.join("\n"))
                .bind(&audit.actor)
                .bind(audit.at_ms)
                .execute(&mut *tx)
                .await?;
                let head = format!("INSERT INTO protocols (election_id, {}) ", $crate::observation::PROTOCOL_COLUMNS);
                for chunk in rows.chunks($crate::observation::ROWS) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(&head);
                    q.push_values(chunk, |mut b, p| {
                        let line = |i: usize| p.lines.map(|l| l[i]);
                        b.push_bind(election)
                            .push_bind(&p.station_code)
                            .push_bind(p.line)
                            .push_bind(p.region.as_deref())
                            .push_bind(p.registered)
                            .push_bind(p.issued)
                            .push_bind(p.cast)
                            .push_bind(p.valid)
                            .push_bind(p.invalid)
                            .push_bind(line(0))
                            .push_bind(line(1))
                            .push_bind(line(2))
                            .push_bind(line(3))
                            .push_bind(line(4))
                            .push_bind(line(5))
                            .push_bind(line(6))
                            .push_bind(line(7))
                            .push_bind(line(8))
                            .push_bind(&p.votes);
                    });
                    q.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| crate::observation::conflict_or(e, "a second protocol of one station"))?;
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn protocol_import(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Option<$crate::observation::ProtocolImport>, StoreError> {
                let row: Option<(i64, String, i64, i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, format, rows, skipped, candidates, imported_by, imported_at_ms \
                     FROM protocol_imports WHERE election_id = $1",
                )
                .bind(election)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                Ok(row.map(
                    |(id, format, rows, skipped, candidates, imported_by, imported_at_ms)| {
                        $crate::observation::ProtocolImport {
                            id,
                            format,
                            rows,
                            skipped,
                            candidates: if candidates.is_empty() {
                                Vec::new()
                            } else {
                                candidates.split('\n').map(str::to_owned).collect()
                            },
                            imported_by,
                            imported_at_ms,
                        }
                    },
                ))
            }

            async fn protocols(
                &self,
                election: $crate::observation::ElectionId,
            ) -> Result<Vec<$crate::observation::ProtocolRow>, StoreError> {
                // A page at a time: 95,000 database rows held at once cost far more memory
                // than the protocols they become.
                let mut out = Vec::new();
                let mut after = i64::MIN;
                loop {
                    let rows = sqlx::query(&format!(
                        "SELECT {} FROM protocols WHERE election_id = $1 AND line > $2 ORDER BY line LIMIT $3",
                        $crate::observation::PROTOCOL_COLUMNS
                    ))
                    .bind(election)
                    .bind(after)
                    .bind($crate::observation::PAGE)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                    for row in &rows {
                        out.push(observation_sql::protocol_from(row)?);
                    }
                    match out.last() {
                        Some(last) if rows.len() as i64 == $crate::observation::PAGE => after = last.line,
                        _ => break,
                    }
                }
                Ok(out)
            }
        }
    };
}
pub(crate) use impl_observation_store;

/// A unique-key violation as a conflict the caller can name; anything else as it is.
pub(crate) fn conflict_or(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

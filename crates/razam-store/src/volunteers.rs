//! Volunteer storage: profiles (name and contact sealed by the caller, skills in the clear),
//! places, shifts and sign-ups. The SQL is written once for both databases and compiled into
//! each store by [`impl_volunteer_store!`].
//!
//! A sign-up takes a place with a conditional UPDATE (`signed_up = signed_up + 1 WHERE
//! signed_up < head_count`) in the transaction that inserts the sign-up and its audit entry:
//! the last place is never given twice, and a second sign-up of the same volunteer hits the
//! primary key and is refused whole, on either database.

use crate::{AuditEvent, StoreError};

#[derive(Debug, Clone)]
pub struct NewVolunteer {
    pub sealed: Vec<u8>,
    /// Skill codes separated by spaces (`lang:uk first-aid`).
    pub skills: String,
    pub account_id: Option<i64>,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct VolunteerRow {
    pub id: i64,
    pub sealed: Vec<u8>,
    pub skills: String,
    pub account_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct PlaceRow {
    pub id: i64,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewShift {
    pub place_id: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub head_count: i64,
    pub needs: String,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ShiftRow {
    pub id: i64,
    pub place_id: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub head_count: i64,
    pub needs: String,
    pub signed_up: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupRow {
    pub shift_id: i64,
    pub volunteer_id: i64,
}

/// What became of a sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpOutcome {
    SignedUp,
    /// Every place is taken; nothing was written.
    Full,
    /// This volunteer is already signed up; nothing was written.
    Already,
    NoSuchShift,
}

#[async_trait::async_trait]
pub trait VolunteerStore: Send + Sync {
    /// Audit entry names `volunteer:<id>`. An account linked twice is a conflict.
    async fn create_volunteer(&self, v: &NewVolunteer, audit: &AuditEvent) -> Result<i64, StoreError>;
    async fn volunteers(&self) -> Result<Vec<VolunteerRow>, StoreError>;
    async fn volunteer(&self, id: i64) -> Result<Option<VolunteerRow>, StoreError>;
    async fn volunteer_of_account(&self, account: i64) -> Result<Option<VolunteerRow>, StoreError>;
    /// Links an account to a profile (or unlinks, with `None`).
    async fn link_volunteer_account(&self, id: i64, account: Option<i64>, audit: &AuditEvent)
    -> Result<(), StoreError>;
    /// Audit entry names `volunteer_place:<id>`.
    async fn create_place(
        &self,
        name: &str,
        description: &str,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;
    async fn places(&self) -> Result<Vec<PlaceRow>, StoreError>;
    /// Audit entry names `shift:<id>`.
    async fn create_shift(&self, s: &NewShift, audit: &AuditEvent) -> Result<i64, StoreError>;
    /// Shifts that end after `from_ms` and start before `to_ms`, by start.
    async fn shifts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<ShiftRow>, StoreError>;
    async fn shift(&self, id: i64) -> Result<Option<ShiftRow>, StoreError>;
    /// The sign-ups of these shifts.
    async fn signups_of(&self, shifts: &[i64]) -> Result<Vec<SignupRow>, StoreError>;
    async fn sign_up(
        &self,
        shift: i64,
        volunteer: i64,
        by: &str,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<SignUpOutcome, StoreError>;
    /// Removes a sign-up and frees its place; false (nothing written) if there was none.
    async fn cancel_sign_up(&self, shift: i64, volunteer: i64, audit: &AuditEvent) -> Result<bool, StoreError>;
}

pub(crate) const SHIFT_COLUMNS: &str = "id, place_id, starts_at_ms, ends_at_ms, head_count, needs, signed_up";

macro_rules! impl_volunteer_store {
    ($store:ty, $db:ty) => {
        mod volunteer_sql {
            use super::*;
            use crate::volunteers::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn volunteer_from(row: &DbRow) -> Result<VolunteerRow, StoreError> {
                Ok(VolunteerRow {
                    id: row.try_get("id")?,
                    sealed: row.try_get("sealed")?,
                    skills: row.try_get("skills")?,
                    account_id: row.try_get("account_id")?,
                })
            }

            pub(super) fn shift_from(row: &DbRow) -> Result<ShiftRow, StoreError> {
                Ok(ShiftRow {
                    id: row.try_get("id")?,
                    place_id: row.try_get("place_id")?,
                    starts_at_ms: row.try_get("starts_at_ms")?,
                    ends_at_ms: row.try_get("ends_at_ms")?,
                    head_count: row.try_get("head_count")?,
                    needs: row.try_get("needs")?,
                    signed_up: row.try_get("signed_up")?,
                })
            }

            pub(super) async fn volunteers_where(
                store: &$store,
                condition: &str,
                value: i64,
            ) -> Result<Vec<VolunteerRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT id, sealed, skills, account_id FROM volunteers WHERE {condition} ORDER BY id"
                ))
                .bind(value)
                .fetch_all(&mut *store.reader().await?)
                .await?;
                rows.iter().map(volunteer_from).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::volunteers::VolunteerStore for $store {
            async fn create_volunteer(
                &self,
                v: &$crate::volunteers::NewVolunteer,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO volunteers (sealed, skills, account_id, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&v.sealed)
                .bind(&v.skills)
                .bind(v.account_id)
                .bind(&v.created_by)
                .bind(v.created_at_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_or(e, "a volunteer profile for this account"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn volunteers(&self) -> Result<Vec<$crate::volunteers::VolunteerRow>, StoreError> {
                volunteer_sql::volunteers_where(self, "id > $1", 0).await
            }

            async fn volunteer(&self, id: i64) -> Result<Option<$crate::volunteers::VolunteerRow>, StoreError> {
                Ok(volunteer_sql::volunteers_where(self, "id = $1", id)
                    .await?
                    .into_iter()
                    .next())
            }

            async fn volunteer_of_account(
                &self,
                account: i64,
            ) -> Result<Option<$crate::volunteers::VolunteerRow>, StoreError> {
                Ok(volunteer_sql::volunteers_where(self, "account_id = $1", account)
                    .await?
                    .into_iter()
                    .next())
            }

            async fn link_volunteer_account(
                &self,
                id: i64,
                account: Option<i64>,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query("UPDATE volunteers SET account_id = $2 WHERE id = $1")
                    .bind(id)
                    .bind(account)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_or(e, "a volunteer profile for this account"))?
                    .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound("the volunteer"));
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_place(
                &self,
                name: &str,
                description: &str,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO volunteer_places (name, description, created_at_ms) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(name)
                .bind(description)
                .bind(at_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_or(e, "a place with this name"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn places(&self) -> Result<Vec<$crate::volunteers::PlaceRow>, StoreError> {
                let rows: Vec<(i64, String, String)> =
                    sqlx::query_as("SELECT id, name, description FROM volunteer_places ORDER BY name")
                        .fetch_all(&mut *self.reader().await?)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, description)| $crate::volunteers::PlaceRow {
                        id,
                        name,
                        description,
                    })
                    .collect())
            }

            async fn create_shift(
                &self,
                s: &$crate::volunteers::NewShift,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO shifts (place_id, starts_at_ms, ends_at_ms, head_count, needs, signed_up, \
                     created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id",
                )
                .bind(s.place_id)
                .bind(s.starts_at_ms)
                .bind(s.ends_at_ms)
                .bind(s.head_count)
                .bind(&s.needs)
                .bind(&s.created_by)
                .bind(s.created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn shifts_between(
                &self,
                from_ms: i64,
                to_ms: i64,
            ) -> Result<Vec<$crate::volunteers::ShiftRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM shifts WHERE ends_at_ms > $1 AND starts_at_ms < $2 ORDER BY starts_at_ms, id",
                    $crate::volunteers::SHIFT_COLUMNS
                ))
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(volunteer_sql::shift_from).collect()
            }

            async fn shift(&self, id: i64) -> Result<Option<$crate::volunteers::ShiftRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM shifts WHERE id = $1",
                    $crate::volunteers::SHIFT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(volunteer_sql::shift_from).transpose()
            }

            async fn signups_of(&self, shifts: &[i64]) -> Result<Vec<$crate::volunteers::SignupRow>, StoreError> {
                let mut out = Vec::new();
                for chunk in shifts.chunks(500) {
                    let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
                        "SELECT shift_id, volunteer_id FROM shift_signups WHERE shift_id IN ({list}) \
                         ORDER BY shift_id, at_ms, volunteer_id"
                    ))
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                    out.extend(
                        rows.into_iter()
                            .map(|(shift_id, volunteer_id)| $crate::volunteers::SignupRow {
                                shift_id,
                                volunteer_id,
                            }),
                    );
                }
                Ok(out)
            }

            async fn sign_up(
                &self,
                shift: i64,
                volunteer: i64,
                by: &str,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::volunteers::SignUpOutcome, StoreError> {
                use $crate::volunteers::SignUpOutcome;
                let mut tx = self.begin().await?;
                let taken =
                    sqlx::query("UPDATE shifts SET signed_up = signed_up + 1 WHERE id = $1 AND signed_up < head_count")
                        .bind(shift)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                if taken == 0 {
                    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM shifts WHERE id = $1")
                        .bind(shift)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let already: Option<i64> = sqlx::query_scalar(
                        "SELECT shift_id FROM shift_signups WHERE shift_id = $1 AND volunteer_id = $2",
                    )
                    .bind(shift)
                    .bind(volunteer)
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.rollback().await?;
                    return Ok(match (exists, already) {
                        (None, _) => SignUpOutcome::NoSuchShift,
                        (Some(_), Some(_)) => SignUpOutcome::Already,
                        (Some(_), None) => SignUpOutcome::Full,
                    });
                }
                let inserted = sqlx::query(
                    "INSERT INTO shift_signups (shift_id, volunteer_id, signed_up_by, at_ms) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (shift_id, volunteer_id) DO NOTHING",
                )
                .bind(shift)
                .bind(volunteer)
                .bind(by)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    tx.rollback().await?;
                    return Ok(SignUpOutcome::Already);
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(SignUpOutcome::SignedUp)
            }

            async fn cancel_sign_up(
                &self,
                shift: i64,
                volunteer: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let removed = sqlx::query("DELETE FROM shift_signups WHERE shift_id = $1 AND volunteer_id = $2")
                    .bind(shift)
                    .bind(volunteer)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if removed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query("UPDATE shifts SET signed_up = signed_up - 1 WHERE id = $1")
                    .bind(shift)
                    .execute(&mut *tx)
                    .await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_volunteer_store;

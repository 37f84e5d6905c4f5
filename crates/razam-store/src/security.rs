//! Security storage (issue 8): the sessions of an account, two-factor secrets (sealed by the
//! caller), recovery codes (keyed hashes from the caller) and the roles that must use a second
//! factor. The SQL is written once for both databases and compiled into each store by
//! [`impl_security_store!`].

use razam_core::Role;

use crate::{AccountId, AuditEvent, SessionRow, StoreError};

/// An account's TOTP enrolment as stored.
#[derive(Debug, Clone)]
pub struct TotpRow {
    pub account_id: AccountId,
    pub secret_sealed: Vec<u8>,
    pub created_at_ms: i64,
    /// `None` while the first code has not been given.
    pub confirmed_at_ms: Option<i64>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
}

#[async_trait::async_trait]
pub trait SecurityStore: Send + Sync {
    /// The live sessions of an account, newest first.
    async fn sessions_of(&self, account: AccountId) -> Result<Vec<SessionRow>, StoreError>;
    /// Notes that a session was used at `at_ms`. Bookkeeping, not audited (like a token's last
    /// use): what the session does is audited where it reads or changes anything.
    async fn touch_session(&self, token_hash: &[u8; 32], at_ms: i64) -> Result<(), StoreError>;
    /// Ends every session of an account but `keep`; returns how many there were.
    async fn delete_other_sessions(
        &self,
        account: AccountId,
        keep: &[u8; 32],
        audit: &AuditEvent,
    ) -> Result<u64, StoreError>;
    /// Ends every session of every account (the panic lock); returns how many there were.
    async fn delete_all_sessions(&self, audit: &AuditEvent) -> Result<u64, StoreError>;

    async fn totp_of(&self, account: AccountId) -> Result<Option<TotpRow>, StoreError>;
    /// Starts an enrolment: a new unconfirmed secret, replacing an unconfirmed one. Refused
    /// with a conflict when the account has a confirmed one.
    async fn start_totp(
        &self,
        account: AccountId,
        secret_sealed: &[u8],
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Confirms the unconfirmed secret with the step of its first code, and replaces the
    /// account's recovery codes with `codes`; `false` (nothing written) when there was no
    /// unconfirmed secret.
    async fn confirm_totp(
        &self,
        account: AccountId,
        step: i64,
        codes: &[[u8; 32]],
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Takes time step `step` for the account's confirmed secret if it is later than the last
    /// one taken; `false` when it is not (a replay, or a race lost to another request).
    async fn take_totp_step(&self, account: AccountId, step: i64) -> Result<bool, StoreError>;
    /// Uses a recovery code once, with its audit entry; `false` (nothing written) when the
    /// account has no such unused code.
    async fn use_recovery_code(
        &self,
        account: AccountId,
        code_hash: &[u8; 32],
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Unused recovery codes of the account.
    async fn recovery_codes_left(&self, account: AccountId) -> Result<i64, StoreError>;
    /// Removes the account's second factor and recovery codes and ends its sessions.
    async fn remove_totp(&self, account: AccountId, audit: &AuditEvent) -> Result<(), StoreError>;

    async fn totp_required_roles(&self) -> Result<Vec<Role>, StoreError>;
    /// Requiring a role ends the sessions of its accounts that have no confirmed second factor.
    async fn set_totp_required(&self, role: Role, required: bool, audit: &AuditEvent) -> Result<(), StoreError>;
}

pub(crate) const SESSION_COLUMNS: &str = "token_hash, account_id, created_at_ms, expires_at_ms, last_seen_ms, agent";

macro_rules! impl_security_store {
    ($store:ty, $db:ty) => {
        mod security_sql {
            use super::*;
            use crate::security::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn totp_from(row: &DbRow) -> Result<TotpRow, StoreError> {
                Ok(TotpRow {
                    account_id: row.try_get("account_id")?,
                    secret_sealed: row.try_get("secret_sealed")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    confirmed_at_ms: row.try_get("confirmed_at_ms")?,
                    last_step: row.try_get("last_step")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::security::SecurityStore for $store {
            async fn sessions_of(&self, account: $crate::AccountId) -> Result<Vec<$crate::SessionRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM sessions WHERE account_id = $1 AND expires_at_ms > $2 \
                     ORDER BY created_at_ms DESC",
                    $crate::security::SESSION_COLUMNS
                ))
                .bind(account)
                .bind($crate::now_ms())
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(|r| session_from_row(r, "created_at_ms")).collect()
            }

            async fn touch_session(&self, token_hash: &[u8; 32], at_ms: i64) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
                    .bind(at_ms)
                    .bind(&token_hash[..])
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_other_sessions(
                &self,
                account: $crate::AccountId,
                keep: &[u8; 32],
                audit: &$crate::AuditEvent,
            ) -> Result<u64, StoreError> {
                let mut tx = self.begin().await?;
                let n = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                    .bind(account)
                    .bind(&keep[..])
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn delete_all_sessions(&self, audit: &$crate::AuditEvent) -> Result<u64, StoreError> {
                let mut tx = self.begin().await?;
                let n = sqlx::query("DELETE FROM sessions").execute(&mut *tx).await?.rows_affected();
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn totp_of(
                &self,
                account: $crate::AccountId,
            ) -> Result<Option<$crate::security::TotpRow>, StoreError> {
                let row = sqlx::query(
                    "SELECT account_id, secret_sealed, created_at_ms, confirmed_at_ms, last_step \
                     FROM account_totp WHERE account_id = $1",
                )
                .bind(account)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(security_sql::totp_from).transpose()
            }

            async fn start_totp(
                &self,
                account: $crate::AccountId,
                secret_sealed: &[u8],
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let confirmed: Option<i64> = sqlx::query_scalar(
                    "SELECT account_id FROM account_totp WHERE account_id = $1 AND confirmed_at_ms IS NOT NULL",
                )
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?;
                if confirmed.is_some() {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict("a confirmed second factor"));
                }
                sqlx::query("DELETE FROM account_totp WHERE account_id = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO account_totp (account_id, secret_sealed, created_at_ms) VALUES ($1, $2, $3)")
                    .bind(account)
                    .bind(secret_sealed)
                    .bind(at_ms)
                    .execute(&mut *tx)
                    .await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn confirm_totp(
                &self,
                account: $crate::AccountId,
                step: i64,
                codes: &[[u8; 32]],
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query(
                    "UPDATE account_totp SET confirmed_at_ms = $1, last_step = $2 \
                     WHERE account_id = $3 AND confirmed_at_ms IS NULL",
                )
                .bind(at_ms)
                .bind(step)
                .bind(account)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                for code in codes {
                    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                        .bind(account)
                        .bind(&code[..])
                        .execute(&mut *tx)
                        .await?;
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn take_totp_step(&self, account: $crate::AccountId, step: i64) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query(
                    "UPDATE account_totp SET last_step = $1 \
                     WHERE account_id = $2 AND last_step < $1 AND confirmed_at_ms IS NOT NULL",
                )
                .bind(step)
                .bind(account)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(changed == 1)
            }

            async fn use_recovery_code(
                &self,
                account: $crate::AccountId,
                code_hash: &[u8; 32],
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query(
                    "UPDATE recovery_codes SET used_at_ms = $1 \
                     WHERE account_id = $2 AND code_hash = $3 AND used_at_ms IS NULL",
                )
                .bind(at_ms)
                .bind(account)
                .bind(&code_hash[..])
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

            async fn recovery_codes_left(&self, account: $crate::AccountId) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at_ms IS NULL",
                )
                .bind(account)
                .fetch_one(&mut *self.reader().await?)
                .await?)
            }

            async fn remove_totp(&self, account: $crate::AccountId, audit: &$crate::AuditEvent) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                for statement in [
                    "DELETE FROM account_totp WHERE account_id = $1",
                    "DELETE FROM recovery_codes WHERE account_id = $1",
                    "DELETE FROM sessions WHERE account_id = $1",
                ] {
                    sqlx::query(statement).bind(account).execute(&mut *tx).await?;
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn totp_required_roles(&self) -> Result<Vec<razam_core::Role>, StoreError> {
                let names: Vec<String> = sqlx::query_scalar("SELECT role FROM totp_required_roles ORDER BY role")
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                names.iter().map(|n| parse_role(n)).collect()
            }

            async fn set_totp_required(
                &self,
                role: razam_core::Role,
                required: bool,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                sqlx::query("DELETE FROM totp_required_roles WHERE role = $1")
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                if required {
                    sqlx::query("INSERT INTO totp_required_roles (role) VALUES ($1)")
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                    // Its accounts without a second factor enrol at their next login.
                    sqlx::query(
                        "DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts WHERE role = $1 \
                         AND id NOT IN (SELECT account_id FROM account_totp WHERE confirmed_at_ms IS NOT NULL))",
                    )
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_security_store;

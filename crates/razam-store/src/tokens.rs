//! Personal API tokens: stored as a keyed hash of the token text (the caller hashes), with a
//! sealed name. The SQL is written once for both databases and compiled into each store by
//! [`impl_token_store!`], like the registry's.

use crate::{AccountId, AuditEvent, StoreError};

pub type TokenId = i64;

/// A token to create. The hash is keyed by the caller; the name is sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token_hash: [u8; 32],
    pub account_id: AccountId,
    pub name_sealed: Vec<u8>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
}

/// A token as stored. The token text itself is never stored.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: TokenId,
    pub account_id: AccountId,
    pub name_sealed: Vec<u8>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    /// `YYYY-MM-DD`: the last day the token was used, if ever.
    pub last_used_on: Option<String>,
    pub revoked_at_ms: Option<i64>,
}

#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// Creates a token; its audit entry names `api_token:<id>`.
    async fn create_token(&self, token: &NewToken, audit: &AuditEvent) -> Result<TokenId, StoreError>;
    async fn token_by_hash(&self, token_hash: &[u8; 32]) -> Result<Option<TokenRow>, StoreError>;
    async fn token(&self, id: TokenId) -> Result<Option<TokenRow>, StoreError>;
    /// An account's tokens, newest first, revoked ones included.
    async fn tokens_of(&self, account: AccountId) -> Result<Vec<TokenRow>, StoreError>;
    /// Revokes a live token with its audit entry; `false` (and nothing written) when it was
    /// revoked already.
    async fn revoke_token(&self, id: TokenId, at_ms: i64, audit: &AuditEvent) -> Result<bool, StoreError>;
    /// Notes that a token was used on `day`. Bookkeeping, not audited: the requests the token
    /// makes are audited themselves where they read or change anything.
    async fn touch_token(&self, id: TokenId, day: &str) -> Result<(), StoreError>;
}

pub(crate) const TOKEN_COLUMNS: &str =
    "id, account_id, name_sealed, created_at_ms, expires_at_ms, last_used_on, revoked_at_ms";

macro_rules! impl_token_store {
    ($store:ty, $db:ty) => {
        mod token_sql {
            use super::*;
            use crate::tokens::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn token_from(row: &DbRow) -> Result<TokenRow, StoreError> {
                Ok(TokenRow {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    name_sealed: row.try_get("name_sealed")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    expires_at_ms: row.try_get("expires_at_ms")?,
                    last_used_on: row.try_get("last_used_on")?,
                    revoked_at_ms: row.try_get("revoked_at_ms")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::tokens::TokenStore for $store {
            async fn create_token(
                &self,
                token: &$crate::tokens::NewToken,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::tokens::TokenId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (token_hash, account_id, name_sealed, created_at_ms, expires_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&token.token_hash[..])
                .bind(token.account_id)
                .bind(&token.name_sealed)
                .bind(token.created_at_ms)
                .bind(token.expires_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn token_by_hash(
                &self,
                token_hash: &[u8; 32],
            ) -> Result<Option<$crate::tokens::TokenRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM api_tokens WHERE token_hash = $1",
                    $crate::tokens::TOKEN_COLUMNS
                ))
                .bind(&token_hash[..])
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(token_sql::token_from).transpose()
            }

            async fn token(&self, id: $crate::tokens::TokenId) -> Result<Option<$crate::tokens::TokenRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM api_tokens WHERE id = $1",
                    $crate::tokens::TOKEN_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(token_sql::token_from).transpose()
            }

            async fn tokens_of(&self, account: $crate::AccountId) -> Result<Vec<$crate::tokens::TokenRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM api_tokens WHERE account_id = $1 ORDER BY id DESC",
                    $crate::tokens::TOKEN_COLUMNS
                ))
                .bind(account)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(token_sql::token_from).collect()
            }

            async fn revoke_token(
                &self,
                id: $crate::tokens::TokenId,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed =
                    sqlx::query("UPDATE api_tokens SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
                        .bind(at_ms)
                        .bind(id)
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

            async fn touch_token(&self, id: $crate::tokens::TokenId, day: &str) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "UPDATE api_tokens SET last_used_on = $1 \
                     WHERE id = $2 AND (last_used_on IS NULL OR last_used_on <> $1)",
                )
                .bind(day)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_token_store;

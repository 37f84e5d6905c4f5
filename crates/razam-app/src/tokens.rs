//! Personal API tokens: how a script acts as its owner through `/api/v1`.
//!
//! A token is `razam_` and 32 random bytes in unpadded base64url, shown once when it is made.
//! The database keeps only a keyed hash of it (a key derived from the data key for this one
//! purpose), so neither a copy of the database nor of its backups opens anything. A token
//! carries no rights of its own: it acts with its owner's role as it is at each request, and
//! stops working when it is revoked, expires, or its owner is disabled.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rand::RngCore;
use rand::rngs::OsRng;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::tokens::{NewToken, TokenId, TokenRow};
use zeroize::Zeroizing;

use crate::{Actor, App, AppError, CurrentUser};

const PREFIX: &str = "razam_";
/// 32 bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;
const SEAL_NAME: &str = "accounts.api_token.name";
/// A name says where the token is used ("backup script on the office laptop").
pub const NAME_MAX_CHARS: usize = 100;
/// Ten years: a longer life is no different from none, which must be asked for by leaving
/// the field empty.
pub const MAX_DAYS: u32 = 3650;

/// A token just made: its text, to be shown once and never again.
pub struct IssuedToken {
    pub id: TokenId,
    pub token: Zeroizing<String>,
}

/// Whether a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

/// A token as its owner sees it in the list: never its text.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_on: Option<String>,
    pub state: TokenState,
}

impl App {
    fn token_hash(&self, token: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.keys.api_token, token.as_bytes()).as_bytes()
    }

    /// Makes a token for the acting account itself. `expires_in_days`: `None` never expires.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<IssuedToken, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::BadInput(format!(
                "a token's name is 1 to {NAME_MAX_CHARS} characters"
            )));
        }
        if let Some(days) = expires_in_days
            && !(1..=MAX_DAYS).contains(&days)
        {
            return Err(AppError::BadInput(format!(
                "a token expires after 1 to {MAX_DAYS} days, or never"
            )));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        let token = Zeroizing::new(format!("{PREFIX}{}", B64URL.encode(bytes.as_ref())));
        let now = crate::now_ms();
        let row = NewToken {
            token_hash: self.token_hash(&token),
            account_id: user.id,
            name_sealed: self.keys.sealer.seal(SEAL_NAME, name.as_bytes()),
            created_at_ms: now,
            expires_at_ms: expires_in_days.map(|d| now + i64::from(d) * 86_400_000),
        };
        let event = self.event(actor, "api_token.create", AuditObject::Created("api_token"));
        let id = self.store.create_token(&row, &event).await?;
        Ok(IssuedToken { id, token })
    }

    /// The acting account's own tokens, newest first.
    pub async fn own_api_tokens(&self, actor: &Actor) -> Result<Vec<TokenView>, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = crate::now_ms();
        self.store
            .tokens_of(user.id)
            .await?
            .iter()
            .map(|row| self.token_view(row, now))
            .collect()
    }

    fn token_view(&self, row: &TokenRow, now: i64) -> Result<TokenView, AppError> {
        Ok(TokenView {
            id: row.id,
            name: self.keys.sealer.open_string(SEAL_NAME, &row.name_sealed)?,
            created_at_ms: row.created_at_ms,
            expires_at_ms: row.expires_at_ms,
            last_used_on: row.last_used_on.clone(),
            state: state_of(row, now),
        })
    }

    /// Revokes a token: the owner's own, or anyone's for an administrator. Someone else's
    /// token is "not found" to everyone else, so ids tell nothing. Revoking twice is a no-op.
    pub async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<(), AppError> {
        let Actor::Account(user) = actor else {
            self.require(actor, Permission::ManageAccounts)?;
            return self.revoke(actor, id).await;
        };
        let row = self.store.token(id).await?.ok_or(AppError::NotFound("the token"))?;
        if row.account_id != user.id && !self.may(actor, Permission::ManageAccounts) {
            return Err(AppError::NotFound("the token"));
        }
        self.revoke(actor, id).await
    }

    async fn revoke(&self, actor: &Actor, id: TokenId) -> Result<(), AppError> {
        let event = self.event(actor, "api_token.revoke", AuditObject::Named(format!("api_token:{id}")));
        self.store.revoke_token(id, crate::now_ms(), &event).await?;
        Ok(())
    }

    /// The account a bearer token acts for: `None` for anything but a live token of an
    /// enabled account. Notes the day of use (at most one write per token and day).
    pub async fn api_user(&self, token: &str) -> Result<Option<CurrentUser>, AppError> {
        let Some(encoded) = token.strip_prefix(PREFIX) else {
            return Ok(None);
        };
        if encoded.len() != ENCODED_LEN
            || !encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(None);
        }
        let hash = self.token_hash(token);
        let Some(row) = self.store.token_by_hash(&hash).await? else {
            return Ok(None);
        };
        if state_of(&row, crate::now_ms()) != TokenState::Active {
            return Ok(None);
        }
        let Some(account) = self.store.account_by_id(row.account_id).await? else {
            return Ok(None);
        };
        if account.disabled {
            return Ok(None);
        }
        let today = crate::today().to_string();
        if row.last_used_on.as_deref() != Some(today.as_str()) {
            self.store.touch_token(row.id, &today).await?;
        }
        let view = self.unseal_account(&account)?;
        Ok(Some(CurrentUser::new(
            account.id,
            account.role,
            account.locale,
            view.display_name,
            view.username,
            // No session: a token request carries no cookie and so no CSRF token to bind.
            hash,
            self.store.compartments_of(account.id).await?,
        )))
    }
}

fn state_of(row: &TokenRow, now: i64) -> TokenState {
    if row.revoked_at_ms.is_some() {
        TokenState::Revoked
    } else if row.expires_at_ms.is_some_and(|at| at <= now) {
        TokenState::Expired
    } else {
        TokenState::Active
    }
}

//! Accounts: who may log in, with which role. Names and e-mail addresses are sealed; the
//! user name is also kept as a keyed hash so that a login can find its account.

use razam_core::role::Permission;
use razam_core::{DisplayName, EmailAddress, Locale, NewPassword, Role, Username};
use razam_store::{AccountId, AccountRow, AuditObject, NewAccount};
use zeroize::Zeroizing;

use crate::{Actor, App, AppError, passwords};

const SEAL_USERNAME: &str = "accounts.username";
const SEAL_DISPLAY_NAME: &str = "accounts.display_name";
const SEAL_EMAIL: &str = "accounts.email";

/// An account to create, every field already parsed.
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub display_name: DisplayName,
    pub email: Option<EmailAddress>,
    pub role: Role,
    pub password: NewPassword,
}

/// An account as a permitted reader sees it, unsealed.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub locale: Option<Locale>,
    pub disabled: bool,
    pub created_at_ms: i64,
}

impl App {
    pub(crate) fn require(&self, actor: &Actor, permission: Permission) -> Result<(), AppError> {
        match actor {
            Actor::Cli => Ok(()),
            Actor::Account(user) if user.role.may(permission) => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }

    pub async fn add_user(&self, actor: &Actor, user: NewUser) -> Result<AccountId, AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let sealer = &self.keys.sealer;
        let account = NewAccount {
            username_lookup: self.lookup_hash(user.username.as_str()),
            username_sealed: sealer.seal(SEAL_USERNAME, user.username.as_str().as_bytes()),
            display_name_sealed: sealer.seal(SEAL_DISPLAY_NAME, user.display_name.as_str().as_bytes()),
            email_sealed: user
                .email
                .as_ref()
                .map(|e| sealer.seal(SEAL_EMAIL, e.as_str().as_bytes())),
            password_hash: passwords::hash(Zeroizing::new(user.password.expose().to_owned())).await?,
            role: user.role,
            created_at_ms: crate::now_ms(),
        };
        let event = self.event(actor, "account.create", AuditObject::Created("account"));
        Ok(self.store.create_account(&account, &event).await?)
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserView>, AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let rows = self.store.list_accounts().await?;
        rows.iter().map(|row| self.unseal_account(row)).collect()
    }

    pub(crate) fn unseal_account(&self, row: &AccountRow) -> Result<UserView, AppError> {
        let sealer = &self.keys.sealer;
        Ok(UserView {
            id: row.id,
            username: sealer.open_string(SEAL_USERNAME, &row.username_sealed)?,
            display_name: sealer.open_string(SEAL_DISPLAY_NAME, &row.display_name_sealed)?,
            email: row
                .email_sealed
                .as_ref()
                .map(|e| sealer.open_string(SEAL_EMAIL, e))
                .transpose()?,
            role: row.role,
            locale: row.locale,
            disabled: row.disabled,
            created_at_ms: row.created_at_ms,
        })
    }

    pub(crate) async fn account_by_username(&self, username: &Username) -> Result<Option<AccountRow>, AppError> {
        Ok(self
            .store
            .account_by_lookup(&self.lookup_hash(username.as_str()))
            .await?)
    }

    pub(crate) async fn require_account(&self, username: &Username) -> Result<AccountRow, AppError> {
        self.account_by_username(username)
            .await?
            .ok_or(AppError::NotFound("an account with this user name"))
    }

    /// Disables (or enables again) an account; disabling ends all its sessions at once.
    pub async fn set_user_disabled(&self, actor: &Actor, username: &Username, disabled: bool) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let account = self.require_account(username).await?;
        let action = if disabled { "account.disable" } else { "account.enable" };
        let event = self.event(actor, action, AuditObject::Named(format!("account:{}", account.id)));
        Ok(self.store.set_account_disabled(account.id, disabled, &event).await?)
    }

    /// Sets a new password and ends every session of the account.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        username: &Username,
        password: NewPassword,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let account = self.require_account(username).await?;
        let hash = passwords::hash(Zeroizing::new(password.expose().to_owned())).await?;
        let event = self.event(
            actor,
            "account.reset_password",
            AuditObject::Named(format!("account:{}", account.id)),
        );
        Ok(self.store.set_password_hash(account.id, &hash, &event).await?)
    }

    /// An account's own choice of interface language.
    pub async fn set_own_locale(&self, actor: &Actor, locale: Locale) -> Result<(), AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let event = self.event(
            actor,
            "account.set_locale",
            AuditObject::Named(format!("account:{}", user.id)),
        );
        Ok(self.store.set_account_locale(user.id, locale, &event).await?)
    }
}

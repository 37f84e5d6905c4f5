//! The panic lock: ending every session at once before the server drops the unlocked
//! instance (and with it the data key, the search indexes and every cache of opened records;
//! they all live in [`App`] and are zeroised or freed with it), and the throttle on the
//! unlock form that follows. The server (razam-web) holds the instance and does the dropping;
//! this module holds the rules.

use std::net::IpAddr;

use razam_core::role::Permission;
use razam_store::AuditObject;
use zeroize::Zeroizing;

use crate::config::{Config, LoginLimits};
use crate::throttle::LoginThrottle;
use crate::{Actor, App, AppError, Unlock};

impl App {
    /// Whether `actor` may lock the instance (admins, and the operator at the command line).
    pub fn may_lock(&self, actor: &Actor) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)
    }

    /// Ends every session of every account, audited as `vault.lock`; returns how many. The
    /// caller drops the instance right after.
    pub async fn end_all_sessions_for_lock(&self, actor: &Actor) -> Result<u64, AppError> {
        self.may_lock(actor)?;
        let event = self.event(
            actor,
            "vault.lock",
            AuditObject::Named(format!("vault:{}", self.keys.key_id)),
        );
        Ok(self.store.delete_all_sessions(&event).await?)
    }
}

/// Opens the instance again from the unlock form: the passphrase unwraps the data key
/// (Argon2id), the store is opened and migrated, and `vault.unlock` is audited.
pub async fn unlock_again(config: Config, passphrase: &str) -> Result<App, AppError> {
    let app = crate::instance::open(config, Unlock::Passphrase(Zeroizing::new(passphrase.to_owned()))).await?;
    let event = app.event(
        &Actor::Anonymous,
        "vault.unlock",
        AuditObject::Named(format!("vault:{}", app.keys.key_id)),
    );
    app.store.append_audit(&event).await?;
    Ok(app)
}

/// Wrong passphrases on the unlock form, counted in memory like failed logins (one name,
/// "the vault", and the address): over `[login]`'s limits the form is refused until the lock
/// ends, without trying the passphrase.
pub struct UnlockThrottle {
    inner: LoginThrottle,
}

const VAULT: &str = "\u{0}vault";

impl UnlockThrottle {
    pub fn new(limits: LoginLimits) -> UnlockThrottle {
        UnlockThrottle {
            inner: LoginThrottle::new(limits),
        }
    }

    /// `Some(until_ms)` while the unlock form is locked for `peer`.
    pub fn locked(&self, peer: Option<IpAddr>) -> Option<i64> {
        self.inner.locked(&self.inner.attempt(VAULT, peer), crate::now_ms())
    }

    /// Counts a wrong passphrase; `Some(until_ms)` when it locks the form.
    pub fn failed(&self, peer: Option<IpAddr>) -> Option<i64> {
        self.inner.failed(&self.inner.attempt(VAULT, peer), crate::now_ms())
    }

    pub fn succeeded(&self, peer: Option<IpAddr>) {
        self.inner.succeeded(&self.inner.attempt(VAULT, peer));
    }
}

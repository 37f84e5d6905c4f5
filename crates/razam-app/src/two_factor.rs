//! Two-factor login: a TOTP secret per account (RFC 6238, see `razam_core::totp`), made here,
//! sealed in the database, shown once as an `otpauth://` URI, and confirmed by a first code;
//! ten one-time recovery codes, stored only as keyed hashes; the roles an admin requires it
//! for (stored in the database, so that an admin sets it on `/admin/users` without touching
//! the server's files).
//!
//! Between the password and the second factor a login is *pending*: a random token in a
//! cookie, held in memory for five minutes, that opens nothing but the code form (or, for an
//! account that must enrol, the enrolment form). A wrong code counts as a failed login of the
//! account's name and address (`throttle.rs`), so the code cannot be guessed faster than the
//! password.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;
use rand::rngs::OsRng;
use razam_core::role::Permission;
use razam_core::{Role, Username, totp};
use razam_store::{AccountId, AccountRow, AuditEvent, AuditObject};
use zeroize::Zeroizing;

use crate::sessions::LoggedIn;
use crate::throttle::Attempt;
use crate::{Actor, App, AppError};

const SEAL_TOTP: &str = "accounts.totp_secret";
/// How long the code form waits after the password.
const PENDING_MS: i64 = 5 * 60_000;
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Razam";

/// What a login needs after a correct password.
pub(crate) enum Needed {
    No,
    Code,
    Enrolment,
}

struct Pending {
    account: AccountId,
    enrol: bool,
    attempt: Attempt,
    agent: String,
    expires_at_ms: i64,
}

/// Logins between their password and their second factor, in memory only.
#[derive(Default)]
pub(crate) struct PendingLogins {
    by_hash: Mutex<HashMap<[u8; 32], Pending>>,
}

fn pending_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

impl PendingLogins {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Pending>> {
        self.by_hash.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn begin(
        &self,
        account: AccountId,
        enrol: bool,
        attempt: Attempt,
        agent: &str,
    ) -> crate::sessions::PendingLogin {
        let token = Zeroizing::new(hex::encode(rand::random::<[u8; 32]>()));
        let now = crate::now_ms();
        let mut map = self.lock();
        map.retain(|_, p| p.expires_at_ms > now);
        map.insert(
            pending_hash(&token),
            Pending {
                account,
                enrol,
                attempt,
                agent: agent.to_owned(),
                expires_at_ms: now + PENDING_MS,
            },
        );
        crate::sessions::PendingLogin { token }
    }

    /// The live pending login of `token`: (account, must enrol, attempt, agent).
    fn get(&self, token: &str) -> Option<(AccountId, bool, Attempt, String)> {
        let map = self.lock();
        let p = map.get(&pending_hash(token))?;
        (p.expires_at_ms > crate::now_ms()).then(|| (p.account, p.enrol, p.attempt.clone(), p.agent.clone()))
    }

    fn end(&self, token: &str) {
        self.lock().remove(&pending_hash(token));
    }
}

/// An enrolment under way: what the page shows to set up the authenticator app.
pub struct Enrolment {
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
    /// The secret in base32, for typing in by hand.
    pub secret: String,
}

/// The state of an account's second factor, for the account page.
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Whether the account's role must use it.
    pub required: bool,
}

/// Ten recovery codes of ten base32 letters (50 bits each), shown as `xxxxx-xxxxx`.
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            OsRng.fill_bytes(&mut bytes);
            let letters = totp::base32(&bytes).to_lowercase();
            format!("{}-{}", &letters[..5], &letters[5..10])
        })
        .collect()
}

/// A recovery code as typed: letters and digits only, any case.
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl App {
    fn account_event(&self, account: AccountId, action: &'static str) -> AuditEvent {
        AuditEvent {
            at_ms: crate::now_ms(),
            actor: format!("account:{account}"),
            action,
            object: AuditObject::Named(format!("account:{account}")),
        }
    }

    fn recovery_hash(&self, account: AccountId, code: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.keys.recovery_codes);
        hasher.update(&account.to_le_bytes());
        hasher.update(normalise_recovery_code(code).as_bytes());
        *hasher.finalize().as_bytes()
    }

    pub(crate) async fn second_factor_state(&self, account: &AccountRow) -> Result<Needed, AppError> {
        let confirmed = self
            .store
            .totp_of(account.id)
            .await?
            .is_some_and(|t| t.confirmed_at_ms.is_some());
        if confirmed {
            return Ok(Needed::Code);
        }
        if self.store.totp_required_roles().await?.contains(&account.role) {
            return Ok(Needed::Enrolment);
        }
        Ok(Needed::No)
    }

    /// The enrolment of `account`: the unconfirmed secret made earlier, or a new one.
    async fn enrolment_of(&self, account: &AccountRow) -> Result<Enrolment, AppError> {
        let sealer = &self.keys.sealer;
        let secret = match self.store.totp_of(account.id).await? {
            Some(row) if row.confirmed_at_ms.is_some() => return Err(AppError::Conflict("a second factor")),
            Some(row) => sealer.open(SEAL_TOTP, &row.secret_sealed)?,
            None => {
                let mut secret = Zeroizing::new(vec![0u8; totp::SECRET_BYTES]);
                OsRng.fill_bytes(&mut secret);
                let sealed = sealer.seal(SEAL_TOTP, &secret);
                let event = self.account_event(account.id, "totp.enrol");
                self.store
                    .start_totp(account.id, &sealed, crate::now_ms(), &event)
                    .await?;
                secret
            }
        };
        let label = self.unseal_account(account)?.username;
        Ok(Enrolment {
            uri: totp::otpauth_uri(ISSUER, &label, &secret),
            secret: totp::base32(&secret),
        })
    }

    /// Confirms an enrolment with its first code; returns the recovery codes, to show once.
    async fn confirm_enrolment_of(&self, account: AccountId, code: &str) -> Result<Vec<String>, AppError> {
        let row = self
            .store
            .totp_of(account)
            .await?
            .filter(|row| row.confirmed_at_ms.is_none())
            .ok_or(AppError::NotFound("an enrolment under way"))?;
        let secret = self.keys.sealer.open(SEAL_TOTP, &row.secret_sealed)?;
        let now_step = totp::step_at(crate::now_ms().div_euclid(1000));
        let step = totp::verify(&secret, code, now_step, row.last_step).ok_or(AppError::InvalidCode)?;
        let codes = new_recovery_codes();
        let hashes: Vec<[u8; 32]> = codes.iter().map(|c| self.recovery_hash(account, c)).collect();
        let event = self.account_event(account, "totp.confirm");
        if !self
            .store
            .confirm_totp(account, step, &hashes, crate::now_ms(), &event)
            .await?
        {
            return Err(AppError::NotFound("an enrolment under way"));
        }
        Ok(codes)
    }

    /// The acting account's second factor, for the account page.
    pub async fn own_two_factor(&self, actor: &Actor) -> Result<TwoFactorStatus, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let enabled = self
            .store
            .totp_of(user.id)
            .await?
            .is_some_and(|t| t.confirmed_at_ms.is_some());
        Ok(TwoFactorStatus {
            enabled,
            recovery_codes_left: if enabled {
                self.store.recovery_codes_left(user.id).await?
            } else {
                0
            },
            required: self.store.totp_required_roles().await?.contains(&user.role),
        })
    }

    /// Starts (or shows again) the acting account's enrolment.
    pub async fn start_own_enrolment(&self, actor: &Actor) -> Result<Enrolment, AppError> {
        let account = self.acting_account(actor).await?;
        self.enrolment_of(&account).await
    }

    /// Confirms the acting account's enrolment; returns its recovery codes, to show once.
    pub async fn confirm_own_enrolment(&self, actor: &Actor, code: &str) -> Result<Vec<String>, AppError> {
        let account = self.acting_account(actor).await?;
        self.confirm_enrolment_of(account.id, code).await
    }

    async fn acting_account(&self, actor: &Actor) -> Result<AccountRow, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        self.store
            .account_by_id(user.id)
            .await?
            .ok_or(AppError::NotFound("the account"))
    }

    /// Whether `token` is a live pending login, and whether it must enrol.
    pub fn pending_login(&self, token: &str) -> Option<bool> {
        self.pending.get(token).map(|(_, enrol, _, _)| enrol)
    }

    /// The enrolment a pending login that must enrol sets up.
    pub async fn pending_enrolment(&self, token: &str) -> Result<Enrolment, AppError> {
        let (account, enrol, _, _) = self.pending.get(token).ok_or(AppError::LoginExpired)?;
        if !enrol {
            return Err(AppError::LoginExpired);
        }
        let account = self.store.account_by_id(account).await?.ok_or(AppError::LoginExpired)?;
        self.enrolment_of(&account).await
    }

    /// The second step of a login: a code from the authenticator app (or a recovery code)
    /// for a pending login, or, for one that must enrol, the first code of its enrolment
    /// (then the recovery codes come back too, to show once). A wrong code is a failed login.
    pub async fn log_in_second_factor(
        &self,
        token: &str,
        code: &str,
    ) -> Result<(LoggedIn, Option<Vec<String>>), AppError> {
        let (account_id, enrol, attempt, agent) = self.pending.get(token).ok_or(AppError::LoginExpired)?;
        if let Some(until_ms) = self.login_throttle.locked(&attempt, crate::now_ms()) {
            return Err(AppError::LoginLocked { until_ms });
        }
        let account = self
            .store
            .account_by_id(account_id)
            .await?
            .filter(|a| !a.disabled)
            .ok_or(AppError::LoginExpired)?;
        let outcome = if enrol {
            self.confirm_enrolment_of(account_id, code).await.map(Some)
        } else {
            self.check_second_factor(account_id, code).await.map(|()| None)
        };
        let codes = match outcome {
            Ok(codes) => codes,
            Err(AppError::InvalidCode) => {
                if self.login_throttle.failed(&attempt, crate::now_ms()).is_some() {
                    self.store
                        .append_audit(&self.event(
                            &Actor::Anonymous,
                            "login.locked",
                            AuditObject::Named(format!("account:{account_id}")),
                        ))
                        .await?;
                }
                return Err(AppError::InvalidCode);
            }
            Err(e) => return Err(e),
        };
        self.login_throttle.succeeded(&attempt);
        self.pending.end(token);
        Ok((self.open_session(&account, &agent).await?, codes))
    }

    /// A TOTP code for a step not used before, or an unused recovery code.
    async fn check_second_factor(&self, account: AccountId, code: &str) -> Result<(), AppError> {
        let row = self
            .store
            .totp_of(account)
            .await?
            .filter(|row| row.confirmed_at_ms.is_some())
            .ok_or(AppError::InvalidCode)?;
        if code.chars().any(|c| c.is_ascii_alphabetic()) {
            let hash = self.recovery_hash(account, code);
            let event = self.account_event(account, "totp.recovery_code_used");
            return match self
                .store
                .use_recovery_code(account, &hash, crate::now_ms(), &event)
                .await?
            {
                true => Ok(()),
                false => Err(AppError::InvalidCode),
            };
        }
        let secret = self.keys.sealer.open(SEAL_TOTP, &row.secret_sealed)?;
        let now_step = totp::step_at(crate::now_ms().div_euclid(1000));
        let step = totp::verify(&secret, code, now_step, row.last_step).ok_or(AppError::InvalidCode)?;
        // The store takes the step only if it is still later than the last one taken, so
        // two requests racing with one code cannot both succeed.
        match self.store.take_totp_step(account, step).await? {
            true => Ok(()),
            false => Err(AppError::InvalidCode),
        }
    }

    /// An admin removes an account's second factor (a lost phone): its secret, its recovery
    /// codes and its sessions go; it enrols again at its next login if its role requires it.
    pub async fn reset_two_factor(&self, actor: &Actor, username: &Username) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let account = self.require_account(username).await?;
        let event = self.event(
            actor,
            "totp.reset",
            AuditObject::Named(format!("account:{}", account.id)),
        );
        Ok(self.store.remove_totp(account.id, &event).await?)
    }

    /// The roles whose accounts must log in with a second factor.
    pub async fn two_factor_required_roles(&self, actor: &Actor) -> Result<Vec<Role>, AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        Ok(self.store.totp_required_roles().await?)
    }

    /// An admin requires (or stops requiring) a second factor for a role. Requiring it ends
    /// the sessions of that role's accounts without one: they enrol at their next login.
    pub async fn set_two_factor_required(&self, actor: &Actor, role: Role, required: bool) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let action = if required { "totp.require" } else { "totp.unrequire" };
        let event = self.event(actor, action, AuditObject::Named(format!("role:{}", role.as_str())));
        Ok(self.store.set_totp_required(role, required, &event).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_back_in_any_case() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert_eq!(
                normalise_recovery_code(&code.to_uppercase().replace('-', " ")).len(),
                10
            );
        }
    }
}

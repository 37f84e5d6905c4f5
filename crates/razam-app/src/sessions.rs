//! Logging in and out. A session is a random 256-bit token in a cookie; the database keeps
//! only its BLAKE3 hash, so a copy of the database opens no session.

use std::net::IpAddr;

use rand::RngCore;
use rand::rngs::OsRng;
use razam_core::{Locale, Role, Username};
use razam_store::{AccountId, AccountRow, AuditObject, SessionRow};
use zeroize::Zeroizing;

use crate::{Actor, App, AppError, passwords};

/// The account behind a request, with what the pages need to show.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: AccountId,
    pub role: Role,
    pub locale: Option<Locale>,
    pub display_name: String,
    pub username: String,
    session: [u8; 32],
    /// The compartments the account is a member of, read with the session: the records in
    /// them are the only compartmented ones it sees (`App::scope`).
    compartments: Vec<i64>,
    /// The registry's generation read with the session, when it was (a request's start):
    /// the search catches up to it instead of reading the clock again (`App::catch_up_search`).
    registry_generation: Option<i64>,
}

impl CurrentUser {
    pub(crate) fn new(
        id: AccountId,
        role: Role,
        locale: Option<Locale>,
        display_name: String,
        username: String,
        session: [u8; 32],
        compartments: Vec<i64>,
    ) -> CurrentUser {
        CurrentUser {
            id,
            role,
            locale,
            display_name,
            username,
            session,
            compartments,
            registry_generation: None,
        }
    }

    /// The session's hash, to bind a CSRF token to it.
    pub fn session_binding(&self) -> &[u8; 32] {
        &self.session
    }

    /// The ids of the compartments the account is a member of, ascending.
    pub fn compartments(&self) -> &[i64] {
        &self.compartments
    }

    /// The registry's generation as read with the session, if it was.
    pub(crate) fn registry_generation(&self) -> Option<i64> {
        self.registry_generation
    }
}

/// A new session: the cookie value to hand to the browser, and who it is.
pub struct LoggedIn {
    pub token: Zeroizing<String>,
    pub user: CurrentUser,
}

fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// What a correct password leads to.
pub enum LoginStep {
    /// Logged in.
    Session(LoggedIn),
    /// The account has a second factor: its code (or a recovery code) is asked next, under
    /// this short-lived pending login (not a session: it opens nothing but that form).
    SecondFactor(PendingLogin),
    /// The account's role must use a second factor and the account has none: it enrols
    /// before anything else, under this pending login.
    MustEnrol(PendingLogin),
}

/// A pending login's cookie value, handed to the browser.
pub struct PendingLogin {
    pub token: Zeroizing<String>,
}

/// A session as its owner sees it on the sessions page. Never an address.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// Names the session in forms; not its token, nor its token's hash.
    pub handle: String,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    /// The browser family, e.g. "Firefox".
    pub agent: String,
    /// Whether this is the session viewing the page.
    pub current: bool,
}

/// The browser family of a `User-Agent` header, coarse on purpose: enough to recognise one's
/// own devices, too little to fingerprint anyone. Tor Browser says it is Firefox.
pub fn agent_family(user_agent: &str) -> &'static str {
    let families = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    families
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map_or("Other", |(_, family)| family)
}

fn session_handle(token_hash: &[u8; 32]) -> String {
    hex::encode(&blake3::derive_key("razam 2026 session handle v1", token_hash)[..12])
}

/// A session's last use is kept to the minute and written at most once a minute.
const TOUCH_MS: i64 = 60_000;

impl App {
    /// Checks a user name and password and opens a session. Unknown names, disabled accounts
    /// and wrong passwords take the same time; only a correct password for a disabled account
    /// is told apart (its holder knows the password already).
    ///
    /// Failed logins are counted per name and per address (`peer`, when known): over the
    /// limits of `[login]` in razam.toml, the name or address is locked for a while and every
    /// login through it is refused with [`AppError::LoginLocked`] before any password is
    /// checked. The lock of a known account is audited (`login.locked`).
    ///
    /// An account that needs a second factor is refused here with
    /// [`AppError::SecondFactorNeeded`]; [`App::log_in_step`] is the login that continues.
    pub async fn log_in(&self, username: &str, password: &str, peer: Option<IpAddr>) -> Result<LoggedIn, AppError> {
        match self.log_in_step(username, password, peer, "Other").await? {
            LoginStep::Session(logged_in) => Ok(logged_in),
            LoginStep::SecondFactor(_) | LoginStep::MustEnrol(_) => Err(AppError::SecondFactorNeeded),
        }
    }

    /// The login's first step, the password (as [`App::log_in`]); `agent` is the browser
    /// family ([`agent_family`]) kept with the session.
    pub async fn log_in_step(
        &self,
        username: &str,
        password: &str,
        peer: Option<IpAddr>,
        agent: &str,
    ) -> Result<LoginStep, AppError> {
        let attempt = self.login_throttle.attempt(username, peer);
        if let Some(until_ms) = self.login_throttle.locked(&attempt, crate::now_ms()) {
            return Err(AppError::LoginLocked { until_ms });
        }
        let password = Zeroizing::new(password.to_owned());
        let account = match Username::parse(username) {
            Ok(name) => self.account_by_username(&name).await?,
            Err(_) => None,
        };
        let verified = match &account {
            Some(account) => passwords::verify(password, account.password_hash.clone()).await,
            None => {
                passwords::verify(password, self.dummy_hash.clone()).await;
                false
            }
        };
        let Some(account) = account.filter(|_| verified) else {
            if self.login_throttle.failed(&attempt, crate::now_ms()).is_some() {
                self.audit_lock(username).await?;
            }
            return Err(AppError::InvalidCredentials);
        };
        if account.disabled {
            self.login_throttle.succeeded(&attempt);
            return Err(AppError::AccountDisabled);
        }
        match self.second_factor_state(&account).await? {
            crate::two_factor::Needed::No => {
                self.login_throttle.succeeded(&attempt);
                Ok(LoginStep::Session(self.open_session(&account, agent).await?))
            }
            // The name's failures are cleared only once the second factor is given too.
            crate::two_factor::Needed::Code => Ok(LoginStep::SecondFactor(
                self.pending.begin(account.id, false, attempt, agent),
            )),
            crate::two_factor::Needed::Enrolment => Ok(LoginStep::MustEnrol(
                self.pending.begin(account.id, true, attempt, agent),
            )),
        }
    }

    /// Opens a session for an account whose every factor was checked.
    pub(crate) async fn open_session(&self, account: &AccountRow, agent: &str) -> Result<LoggedIn, AppError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        let token = Zeroizing::new(hex::encode(bytes.as_ref()));
        let now = crate::now_ms();
        let session = SessionRow {
            token_hash: token_hash(&token),
            account_id: account.id,
            created_at_ms: now,
            expires_at_ms: now + i64::from(self.config.session_hours) * 3_600_000,
            last_seen_ms: now - now % TOUCH_MS,
            agent: agent_family(agent).to_owned(),
        };
        let view = self.unseal_account(account)?;
        let user = CurrentUser {
            id: account.id,
            role: account.role,
            locale: account.locale,
            display_name: view.display_name,
            username: view.username,
            session: session.token_hash,
            compartments: self.store.compartments_of(account.id).await?,
            registry_generation: None,
        };
        let event = self.event(
            &Actor::Account(user.clone()),
            "session.create",
            AuditObject::Named(format!("account:{}", account.id)),
        );
        self.store.create_session(&session, &event).await?;
        Ok(LoggedIn { token, user })
    }

    /// Audits that a failed login locked `username`, when it names an account.
    async fn audit_lock(&self, username: &str) -> Result<(), AppError> {
        let Ok(name) = Username::parse(username) else {
            return Ok(());
        };
        if let Some(account) = self.account_by_username(&name).await? {
            let object = AuditObject::Named(format!("account:{}", account.id));
            self.store
                .append_audit(&self.event(&Actor::Anonymous, "login.locked", object))
                .await?;
        }
        Ok(())
    }

    /// The account behind a session cookie, if the session is live and the account enabled.
    pub async fn current_user(&self, token: &str) -> Result<Option<CurrentUser>, AppError> {
        if token.len() != 64 {
            return Ok(None);
        }
        let hash = token_hash(token);
        // One statement: the session, its account, its compartments and the registry clock.
        let Some(razam_store::SessionAccount {
            session,
            account,
            compartments,
            registry_generation,
        }) = self.store.session_with_account(&hash).await?
        else {
            return Ok(None);
        };
        let now = crate::now_ms();
        if session.expires_at_ms <= now {
            return Ok(None);
        }
        if account.disabled {
            return Ok(None);
        }
        if now - session.last_seen_ms >= TOUCH_MS {
            self.store.touch_session(&hash, now - now % TOUCH_MS).await?;
        }
        let view = self.unseal_account(&account)?;
        Ok(Some(CurrentUser {
            id: account.id,
            role: account.role,
            locale: account.locale,
            display_name: view.display_name,
            username: view.username,
            session: hash,
            compartments,
            registry_generation: Some(registry_generation),
        }))
    }

    pub async fn log_out(&self, user: &CurrentUser) -> Result<(), AppError> {
        let event = self.event(
            &Actor::Account(user.clone()),
            "session.end",
            AuditObject::Named(format!("account:{}", user.id)),
        );
        Ok(self.store.delete_session(&user.session, &event).await?)
    }

    /// Ends every session of the account, on every device.
    pub async fn log_out_everywhere(&self, user: &CurrentUser) -> Result<u64, AppError> {
        let event = self.event(
            &Actor::Account(user.clone()),
            "session.end_all",
            AuditObject::Named(format!("account:{}", user.id)),
        );
        Ok(self.store.delete_sessions_of(user.id, &event).await?)
    }

    /// The live sessions of the acting account, newest first.
    pub async fn own_sessions(&self, actor: &Actor) -> Result<Vec<SessionView>, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let rows = self.store.sessions_of(user.id).await?;
        Ok(rows
            .into_iter()
            .map(|row| SessionView {
                handle: session_handle(&row.token_hash),
                created_at_ms: row.created_at_ms,
                last_seen_ms: row.last_seen_ms.max(row.created_at_ms - row.created_at_ms % TOUCH_MS),
                agent: row.agent,
                current: row.token_hash == user.session,
            })
            .collect())
    }

    /// Ends one of the acting account's own sessions, named by its handle.
    pub async fn end_own_session(&self, actor: &Actor, handle: &str) -> Result<(), AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let rows = self.store.sessions_of(user.id).await?;
        let row = rows
            .iter()
            .find(|row| session_handle(&row.token_hash) == handle)
            .ok_or(AppError::NotFound("the session"))?;
        let event = self.event(actor, "session.end", AuditObject::Named(format!("account:{}", user.id)));
        Ok(self.store.delete_session(&row.token_hash, &event).await?)
    }

    /// Ends every session of the acting account but the one it acts through.
    pub async fn end_other_sessions(&self, actor: &Actor) -> Result<u64, AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let event = self.event(
            actor,
            "session.end_others",
            AuditObject::Named(format!("account:{}", user.id)),
        );
        Ok(self.store.delete_other_sessions(user.id, &user.session, &event).await?)
    }

    /// An admin ends every session of an account.
    pub async fn end_sessions_of(&self, actor: &Actor, username: &Username) -> Result<u64, AppError> {
        self.require(actor, razam_core::role::Permission::ManageAccounts)?;
        let account = self.require_account(username).await?;
        let event = self.event(
            actor,
            "session.end_all",
            AuditObject::Named(format!("account:{}", account.id)),
        );
        Ok(self.store.delete_sessions_of(account.id, &event).await?)
    }

    /// Forgets expired sessions; returns how many.
    pub async fn sweep_sessions(&self) -> Result<u64, AppError> {
        Ok(self.store.delete_expired_sessions(crate::now_ms()).await?)
    }

    /// A CSRF token bound to `binding` (a session's hash, or a pre-login cookie).
    pub fn csrf_token(&self, binding: &[u8]) -> String {
        blake3::keyed_hash(&self.keys.csrf, binding).to_hex().to_string()
    }

    /// Whether `token` is the CSRF token for `binding`, compared in constant time.
    pub fn csrf_valid(&self, binding: &[u8], token: &str) -> bool {
        let mut bytes = [0u8; 32];
        if hex::decode_to_slice(token, &mut bytes).is_err() {
            return false;
        }
        blake3::keyed_hash(&self.keys.csrf, binding) == blake3::Hash::from_bytes(bytes)
    }
}

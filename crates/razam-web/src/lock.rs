//! The panic lock (issue 8). The server holds the unlocked instance in one place, the
//! [`Gate`]; every request goes through it to the routes of the instance, or, while it is
//! locked, to the locked routes: the unlock form, the stylesheet, and 503 for everything else
//! (a page, or JSON under `/api`).
//!
//! Locking (the admin's button on `/admin/users`, or `razam vault lock --data DIR`) ends every
//! session, then lets go of the instance: once the requests under way finish, the last
//! reference to the `App` goes and with it the data key (zeroised), the search indexes, the
//! figures cache, the duplicate state and every other cache of opened records. Nothing of the
//! instance stays in the server but its configuration (no secret in it).
//!
//! The command line reaches the running server through a Unix socket in the data folder,
//! `DATA/razam.sock`, created with mode 0600 in a folder that is itself 0700: only the data
//! folder's owner (and root) can connect, exactly those who could read the vault file
//! anyway. A signal would need a pid file and could come from any process of that user too,
//! but gives no answer; the socket answers with what was done.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use razam_app::config::Config;
use razam_app::lock::UnlockThrottle;
use razam_app::{Actor, App, AppError};
use razam_core::Locale;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;

use crate::context::{LANG_COOKIE, cookie};
use crate::i18n::{I18n, Tr};

/// The name of the control socket in the data folder.
pub const SOCKET: &str = "razam.sock";

struct Live {
    router: Router,
    app: Arc<App>,
    sweeper: tokio::task::JoinHandle<()>,
}

/// Where the unlocked instance lives while the server runs.
pub struct Gate {
    live: RwLock<Option<Live>>,
    config: Config,
    i18n: Arc<I18n>,
    throttle: UnlockThrottle,
    /// One unlock at a time (each costs an Argon2id and an index build).
    unlocking: tokio::sync::Mutex<()>,
    locked_routes: Router,
    me: Weak<Gate>,
}

impl Gate {
    pub(crate) fn new(config: Config) -> Result<Arc<Gate>, String> {
        let i18n = I18n::load()?;
        Ok(Arc::new_cyclic(|me: &Weak<Gate>| Gate {
            throttle: UnlockThrottle::new(config.login),
            config,
            i18n,
            live: RwLock::new(None),
            unlocking: tokio::sync::Mutex::new(()),
            locked_routes: locked_routes(me.clone()),
            me: me.clone(),
        }))
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Live>> {
        self.live.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Live>> {
        self.live.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn is_locked(&self) -> bool {
        self.read().is_none()
    }

    /// Puts an unlocked instance behind the gate: its search indexes are built first, so the
    /// routes answer only once it is ready.
    pub(crate) async fn open(&self, app: Arc<App>) -> Result<(), String> {
        app.prepare_search().await.map_err(|e| e.to_string())?;
        let router = crate::routes(app.clone(), self.me.clone(), self.i18n.clone());
        let sweeper = tokio::spawn({
            let app = app.clone();
            async move {
                let mut every = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    every.tick().await;
                    if let Err(e) = app.sweep_sessions().await {
                        tracing::warn!(error = %e, "could not forget expired sessions");
                    }
                }
            }
        });
        if let Some(old) = self.write().replace(Live { router, app, sweeper }) {
            old.sweeper.abort();
        }
        Ok(())
    }

    /// The panic lock: ends every session (audited), then drops the instance. Returns how
    /// many sessions were ended; `None` when it was locked already.
    pub async fn lock(&self, actor: &Actor) -> Result<Option<u64>, AppError> {
        let app = match &*self.read() {
            Some(live) => live.app.clone(),
            None => return Ok(None),
        };
        app.may_lock(actor)?;
        // Out of the gate first, so that no new request reaches the instance; then the sessions.
        let live = self.write().take();
        if let Some(live) = &live {
            live.sweeper.abort();
        }
        drop(live);
        let ended = app.end_all_sessions_for_lock(actor).await;
        drop(app);
        tracing::warn!("the instance is locked: the data key is dropped; unlock at /unlock");
        ended.map(Some)
    }

    /// The instance, for closing it at shutdown.
    pub(crate) fn take(&self) -> Option<Arc<App>> {
        self.write().take().map(|live| {
            live.sweeper.abort();
            live.app
        })
    }

    fn router(&self) -> Option<Router> {
        self.read().as_ref().map(|live| live.router.clone())
    }
}

/// Every request: to the instance's routes, or to the locked ones.
pub(crate) async fn dispatch(State(gate): State<Arc<Gate>>, request: Request) -> Response {
    let router = gate.router().unwrap_or_else(|| gate.locked_routes.clone());
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn locked_routes(gate: Weak<Gate>) -> Router {
    Router::new()
        .route("/unlock", get(unlock_form).post(unlock))
        .route("/static/razam.css", get(crate::pages::stylesheet))
        .route(
            "/healthz",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "locked\n") }),
        )
        .route("/api/{*rest}", axum::routing::any(api_locked))
        .fallback(locked_page)
        .with_state(gate)
}

fn tr(gate: &Gate, headers: &HeaderMap) -> Tr {
    let locale = cookie(headers, LANG_COOKIE)
        .and_then(Locale::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or(Locale::En);
    Tr::new(gate.i18n.clone(), locale)
}

#[derive(Template)]
#[template(path = "locked.html")]
struct LockedPage {
    tr: Tr,
    form: bool,
    error: Option<&'static str>,
    locked_until: Option<String>,
}

fn page(status: StatusCode, page: LockedPage) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn upgrade(gate: &Weak<Gate>) -> Option<Arc<Gate>> {
    gate.upgrade()
}

/// Every page but the unlock form, while locked.
async fn locked_page(State(gate): State<Weak<Gate>>, headers: HeaderMap) -> Response {
    locked_answer(&gate, &headers, StatusCode::SERVICE_UNAVAILABLE, false)
}

fn locked_answer(gate: &Weak<Gate>, headers: &HeaderMap, status: StatusCode, form: bool) -> Response {
    let Some(gate) = upgrade(gate) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let tr = tr(&gate, headers);
    page(
        status,
        LockedPage {
            tr,
            form,
            error: None,
            locked_until: None,
        },
    )
}

async fn api_locked() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "error": "the instance is locked: an operator must unlock it at /unlock",
            "code": "locked",
        })),
    )
        .into_response()
}

async fn unlock_form(State(gate): State<Weak<Gate>>, headers: HeaderMap) -> Response {
    locked_answer(&gate, &headers, StatusCode::OK, true)
}

#[derive(Deserialize)]
pub(crate) struct UnlockForm {
    passphrase: String,
}

/// The unlock form. It carries no CSRF token: there is no session or key to bind one to
/// while locked, and a forged submission would need the passphrase, which is the whole check.
async fn unlock(
    State(gate): State<Weak<Gate>>,
    headers: HeaderMap,
    crate::context::Peer(peer): crate::context::Peer,
    axum::Form(form): axum::Form<UnlockForm>,
) -> Response {
    let Some(gate) = upgrade(&gate) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let peer: Option<IpAddr> = peer;
    let tr = tr(&gate, &headers);
    let refuse = |status, error, locked_until| {
        page(
            status,
            LockedPage {
                tr: tr.clone(),
                form: true,
                error,
                locked_until,
            },
        )
    };
    let _one = gate.unlocking.lock().await;
    if !gate.is_locked() {
        return Redirect::to("/login").into_response();
    }
    if let Some(until_ms) = gate.throttle.locked(peer) {
        let locked_until = Some(crate::forms::utc_minute(until_ms));
        return crate::pages::with_retry_after(refuse(StatusCode::TOO_MANY_REQUESTS, None, locked_until), until_ms);
    }
    match razam_app::lock::unlock_again(gate.config.clone(), &form.passphrase).await {
        Ok(app) => {
            gate.throttle.succeeded(peer);
            match gate.open(Arc::new(app)).await {
                Ok(()) => Redirect::to("/login").into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "the unlocked instance could not be prepared");
                    refuse(StatusCode::INTERNAL_SERVER_ERROR, Some("error-internal"), None)
                }
            }
        }
        Err(AppError::WrongPassphrase) => {
            gate.throttle.failed(peer);
            refuse(StatusCode::UNAUTHORIZED, Some("lock-wrong-passphrase"), None)
        }
        Err(e) => {
            tracing::error!(error = %e, "unlock failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, Some("error-internal"), None)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LockForm {
    csrf: String,
}

/// The admin's button: locks the instance, then shows the unlock page.
pub(crate) async fn lock_button(
    State(state): State<crate::AppState>,
    ctx: crate::context::Ctx,
    axum::Form(form): axum::Form<LockForm>,
) -> Response {
    let actor = match crate::pages::form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    if let Err(e) = state.app.may_lock(&actor) {
        return crate::pages::app_error(&ctx, e);
    }
    let Some(gate) = state.gate.upgrade() else {
        return crate::pages::app_error(&ctx, AppError::NotFound("the server's lock"));
    };
    match gate.lock(&actor).await {
        Ok(_) => Redirect::to("/unlock").into_response(),
        Err(e) => crate::pages::app_error(&ctx, e),
    }
}

/// Serves the control socket `DATA/razam.sock` (mode 0600) until the task is aborted. One
/// command per connection, one line each way: `lock`, or `status`.
pub(crate) fn control_socket(gate: Arc<Gate>) -> std::io::Result<(PathBuf, tokio::task::JoinHandle<()>)> {
    let path = gate.config.data_dir.join(SOCKET);
    remove_stale_socket(&path)?;
    let listener = tokio::net::UnixListener::bind(&path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let gate = gate.clone();
            tokio::spawn(async move {
                if let Err(e) = control_command(&gate, stream).await {
                    tracing::warn!(error = %e, "control socket");
                }
            });
        }
    });
    Ok((path, task))
}

fn remove_stale_socket(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(std::io::Error::other(format!(
            "{} exists and is not a socket: remove it",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

async fn control_command(gate: &Gate, stream: tokio::net::UnixStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read).take(64).read_line(&mut line).await?;
    let answer = match line.trim() {
        "lock" => match gate.lock(&Actor::Cli).await {
            Ok(Some(ended)) => format!("locked: {ended} sessions ended, the data key dropped\n"),
            Ok(None) => "locked already\n".to_owned(),
            Err(e) => format!("error: {e}\n"),
        },
        "status" => if gate.is_locked() { "locked\n" } else { "unlocked\n" }.to_owned(),
        other => format!("error: unknown command {other:?}\n"),
    };
    write.write_all(answer.as_bytes()).await?;
    write.shutdown().await
}

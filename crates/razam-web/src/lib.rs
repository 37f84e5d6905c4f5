//! Razam over HTTP: server-rendered pages that work with JavaScript off, in six languages.
//!
//! The only crate that knows HTTP, HTML and cookies. Handlers translate requests into calls
//! on [`razam_app::App`] and its answers into pages; no business rule lives here. Every
//! response carries a strict Content-Security-Policy and nothing is loaded from another origin.

mod api;
mod context;
mod duplicates;
mod events;
mod evidence;
mod export;
mod figures;
mod forms;
pub mod i18n;
mod intake;
pub mod lock;
mod observation;
mod pages;
mod persons;
mod search;
mod security;
mod sessions;
mod tokens;
mod two_factor;

use std::future::Future;
use std::sync::{Arc, Weak};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use razam_app::App;

use crate::i18n::I18n;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub i18n: Arc<I18n>,
    /// The gate that holds the instance, for the panic lock (weak: the gate holds these routes).
    pub gate: Weak<lock::Gate>,
}

/// The routes of an unlocked instance. The security headers and `run_to_completion` are
/// layered around the gate in [`serve`], so that the locked pages have them too.
pub(crate) fn routes(app: Arc<App>, gate: Weak<lock::Gate>, i18n: Arc<I18n>) -> Router {
    // Forms are small; uploads get their own limit where they are accepted (`[limits]`).
    let limits = app.config().limits;
    let upload = DefaultBodyLimit::max(limits.upload_bytes());
    let state = AppState { app, i18n, gate };
    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(pages::healthz))
        .route("/static/razam.css", get(pages::stylesheet))
        .route("/login", get(pages::login_form).post(pages::log_in))
        .route("/login/code", get(two_factor::code_form).post(two_factor::submit_code))
        .route(
            "/login/enrol",
            get(two_factor::enrol_form).post(two_factor::submit_code),
        )
        .route("/logout", post(pages::log_out))
        .route("/logout/everywhere", post(pages::log_out_everywhere))
        .route("/account", get(pages::account))
        .route("/account/language", post(pages::set_language))
        .route("/account/tokens", post(tokens::create))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke))
        .route(
            "/account/two-factor",
            get(two_factor::own_enrol_form).post(two_factor::own_enrol),
        )
        .route("/account/sessions", get(sessions::page))
        .route("/account/sessions/end-others", post(sessions::end_others))
        .route("/account/sessions/{handle}/end", post(sessions::end_one))
        .route("/admin/users", get(pages::users))
        .route("/admin/lock", post(lock::lock_button))
        .route("/admin/users/two-factor-reset", post(two_factor::admin_reset))
        .route("/admin/users/end-sessions", post(two_factor::admin_end_sessions))
        .route("/admin/two-factor-roles", post(two_factor::admin_required))
        .route("/persons", get(persons::list).post(persons::create))
        .route("/persons/new", get(persons::new_form))
        .route("/persons/duplicates", get(duplicates::queue))
        .route("/persons/merge", get(duplicates::merge_form).post(duplicates::merge))
        .route("/persons/distinct", post(duplicates::distinct))
        .route("/persons/merges/{id}/undo", post(duplicates::undo))
        .route("/persons/{id}", get(persons::show).post(persons::update))
        .route("/persons/{id}/edit", get(persons::edit_form))
        .route("/persons/{id}/history", get(persons::history))
        .route("/persons/{id}/recognition", post(persons::recognise))
        .route("/persons/{id}/statuses", post(persons::add_status))
        .route("/events", get(events::list).post(events::create))
        .route("/events/new", get(events::new_form))
        .route("/events/{id}", get(events::show).post(events::update))
        .route("/events/{id}/edit", get(events::edit_form))
        .route("/events/{id}/history", get(events::history))
        .route("/events/{id}/sources", post(events::add_source))
        .route("/persons/{id}/dossier", get(evidence::person_dossier))
        .route("/evidence", get(evidence::cases))
        .route("/evidence/cases/{id}", get(evidence::case))
        .route("/evidence/cases/{id}/dossier", get(evidence::case_dossier))
        .route("/evidence/items/{id}", get(evidence::item))
        .route("/evidence/items/{id}/original", get(evidence::original))
        .route("/evidence/items/{id}/sharing-copy", get(evidence::sharing_copy))
        .route("/search", get(search::page))
        .route("/figures", get(figures::page))
        .route("/figures.json", get(figures::json))
        .nest("/api/v1", api::router())
        .route("/export", get(export::page))
        .route("/export/{file}", get(export::download))
        .route("/observation", get(observation::list).post(observation::create))
        .route("/observation/{id}", get(observation::report))
        .route("/observation/{id}/report.json", get(observation::report_json))
        .route("/observation/{id}/work", get(observation::work))
        .route("/observation/{id}/tolerance", post(observation::set_tolerance))
        .route("/observation/{id}/assign", post(observation::assign))
        .route(
            "/observation/{id}/stations",
            post(observation::upload_stations).layer(upload),
        )
        .route(
            "/observation/{id}/counts",
            post(observation::upload_counts).layer(upload),
        )
        .route(
            "/observation/{id}/protocols",
            post(observation::upload_protocols).layer(upload),
        )
        .route("/observation/stations/{id}/resolve", post(observation::resolve))
        .route("/observe", get(observation::my_stations))
        .route(
            "/observe/{station}",
            get(observation::count_form).post(observation::submit_count),
        )
        .route("/report", get(intake::report_form).post(intake::submit))
        .route("/report/thanks", get(intake::thanks))
        .route("/triage", get(intake::queue))
        .route("/triage/{id}", get(intake::report))
        .route("/triage/{id}/accept", post(intake::accept))
        .route("/triage/{id}/merge", post(intake::merge))
        .route("/triage/{id}/reject", post(intake::reject))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(limits.form_bytes()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::explain_too_large,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests under way and closes the
/// instance. The instance sits behind a [`lock::Gate`]: the panic lock (the admin's button, or
/// `razam vault lock` through `DATA/razam.sock`) drops it, and the unlock page opens it again.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let gate = lock::Gate::new(app.config().clone()).map_err(std::io::Error::other)?;
    let control = match lock::control_socket(gate.clone()) {
        Ok(control) => Some(control),
        Err(e) => {
            tracing::error!(error = %e, "no control socket: `razam vault lock` cannot reach this server (the admin's button still locks it)");
            None
        }
    };
    // The search indexes live in memory only: built from the sealed records before the first
    // request is answered, so that the server is ready when it answers.
    gate.open(app).await.map_err(std::io::Error::other)?;
    // The peer address reaches handlers only for the rate limits (in memory, under a keyed
    // hash); nothing logs it.
    let service = Router::new()
        .fallback(lock::dispatch)
        .layer(axum::middleware::from_fn_with_state(gate.clone(), security::headers))
        .layer(axum::middleware::from_fn(security::run_to_completion))
        .with_state(gate.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    if let Some((path, task)) = control {
        task.abort();
        let _ = std::fs::remove_file(path);
    }
    if let Some(app) = gate.take() {
        app.close().await;
    }
    result
}

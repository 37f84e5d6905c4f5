//! Razam over HTTP: server-rendered pages that work with JavaScript off, in six languages.
//!
//! The only crate that knows HTTP, HTML and cookies. Handlers translate requests into calls
//! on [`razam_app::App`] and its answers into pages; no business rule lives here. Every
//! response carries a strict Content-Security-Policy and nothing is loaded from another origin.

mod access;
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
mod observation;
mod pages;
mod persons;
mod search;
mod security;
mod tokens;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use razam_core::role::Permission;

use crate::access::route;
pub use crate::access::{Access, Route};
pub use crate::api::routes as api_routes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use razam_app::App;

use crate::i18n::I18n;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub i18n: Arc<I18n>,
}

/// Forms are small; larger uploads get their own limits where they are accepted.
const FORM_LIMIT: usize = 64 * 1024;

/// Every page route with its rule ([`access::Access`]): the one table the router is built
/// from and the authorisation test reads (`authz::every_route_answers_each_role_by_its_rule`).
/// A route cannot be added without a rule.
pub fn page_routes() -> Vec<Route> {
    use Access::{LoggedIn, May, Public};
    use Permission::{
        Export, ManageAccounts, ManageElections, ReadObservation, ReadRegistry, Recognise, ResolveCounts, SubmitCounts,
        WriteRegistry,
    };
    vec![
        route(Method::GET, "/", LoggedIn, get(pages::home)),
        route(Method::GET, "/healthz", Public, get(pages::healthz)),
        route(Method::GET, "/static/razam.css", Public, get(pages::stylesheet)),
        route(Method::GET, "/login", Public, get(pages::login_form)),
        route(Method::POST, "/login", Public, post(pages::log_in)),
        route(Method::POST, "/logout", LoggedIn, post(pages::log_out)),
        route(
            Method::POST,
            "/logout/everywhere",
            LoggedIn,
            post(pages::log_out_everywhere),
        ),
        route(Method::GET, "/account", LoggedIn, get(pages::account)),
        route(Method::POST, "/account/language", LoggedIn, post(pages::set_language)),
        route(Method::POST, "/account/tokens", LoggedIn, post(tokens::create)),
        route(
            Method::POST,
            "/account/tokens/{id}/revoke",
            LoggedIn,
            post(tokens::revoke),
        ),
        route(Method::GET, "/admin/users", May(ManageAccounts), get(pages::users)),
        route(Method::GET, "/persons", May(ReadRegistry), get(persons::list)),
        route(Method::POST, "/persons", May(WriteRegistry), post(persons::create)),
        route(Method::GET, "/persons/new", May(WriteRegistry), get(persons::new_form)),
        route(
            Method::GET,
            "/persons/duplicates",
            May(WriteRegistry),
            get(duplicates::queue),
        ),
        route(
            Method::GET,
            "/persons/merge",
            May(WriteRegistry),
            get(duplicates::merge_form),
        ),
        route(
            Method::POST,
            "/persons/merge",
            May(WriteRegistry),
            post(duplicates::merge),
        ),
        route(
            Method::POST,
            "/persons/distinct",
            May(WriteRegistry),
            post(duplicates::distinct),
        ),
        route(
            Method::POST,
            "/persons/merges/{id}/undo",
            May(WriteRegistry),
            post(duplicates::undo),
        ),
        route(Method::GET, "/persons/{id}", May(ReadRegistry), get(persons::show)),
        route(Method::POST, "/persons/{id}", May(WriteRegistry), post(persons::update)),
        route(
            Method::GET,
            "/persons/{id}/edit",
            May(WriteRegistry),
            get(persons::edit_form),
        ),
        route(
            Method::GET,
            "/persons/{id}/history",
            May(ReadRegistry),
            get(persons::history),
        ),
        route(
            Method::POST,
            "/persons/{id}/recognition",
            May(Recognise),
            post(persons::recognise),
        ),
        route(
            Method::POST,
            "/persons/{id}/statuses",
            May(Recognise),
            post(persons::add_status),
        ),
        route(Method::GET, "/events", May(ReadRegistry), get(events::list)),
        route(Method::POST, "/events", May(WriteRegistry), post(events::create)),
        route(Method::GET, "/events/new", May(WriteRegistry), get(events::new_form)),
        route(Method::GET, "/events/{id}", May(ReadRegistry), get(events::show)),
        route(Method::POST, "/events/{id}", May(WriteRegistry), post(events::update)),
        route(
            Method::GET,
            "/events/{id}/edit",
            May(WriteRegistry),
            get(events::edit_form),
        ),
        route(
            Method::GET,
            "/events/{id}/history",
            May(ReadRegistry),
            get(events::history),
        ),
        route(
            Method::POST,
            "/events/{id}/sources",
            May(WriteRegistry),
            post(events::add_source),
        ),
        route(
            Method::GET,
            "/persons/{id}/dossier",
            May(ReadRegistry),
            get(evidence::person_dossier),
        ),
        route(Method::GET, "/evidence", May(ReadRegistry), get(evidence::cases)),
        route(
            Method::GET,
            "/evidence/cases/{id}",
            May(ReadRegistry),
            get(evidence::case),
        ),
        route(
            Method::GET,
            "/evidence/cases/{id}/dossier",
            May(ReadRegistry),
            get(evidence::case_dossier),
        ),
        route(
            Method::GET,
            "/evidence/items/{id}",
            May(ReadRegistry),
            get(evidence::item),
        ),
        route(
            Method::GET,
            "/evidence/items/{id}/original",
            May(ReadRegistry),
            get(evidence::original),
        ),
        route(
            Method::GET,
            "/evidence/items/{id}/sharing-copy",
            May(ReadRegistry),
            get(evidence::sharing_copy),
        ),
        route(Method::GET, "/search", May(ReadRegistry), get(search::page)),
        route(Method::GET, "/figures", Public, get(figures::page)),
        route(Method::GET, "/figures.json", Public, get(figures::json)),
        route(Method::GET, "/export", May(Export), get(export::page)),
        route(Method::GET, "/export/{file}", May(Export), get(export::download)),
        route(Method::POST, "/export/approvals", May(Export), post(export::ask)),
        route(
            Method::POST,
            "/export/approvals/{id}/approve",
            May(Export),
            post(export::approve),
        ),
        route(
            Method::POST,
            "/export/approvals/{id}/refuse",
            May(Export),
            post(export::refuse),
        ),
        route(Method::GET, "/observation", Public, get(observation::list)),
        route(
            Method::POST,
            "/observation",
            May(ManageElections),
            post(observation::create),
        ),
        route(Method::GET, "/observation/{id}", Public, get(observation::report)),
        route(
            Method::GET,
            "/observation/{id}/report.json",
            Public,
            get(observation::report_json),
        ),
        route(
            Method::GET,
            "/observation/{id}/work",
            May(ReadObservation),
            get(observation::work),
        ),
        route(
            Method::POST,
            "/observation/{id}/tolerance",
            May(ManageElections),
            post(observation::set_tolerance),
        ),
        route(
            Method::POST,
            "/observation/{id}/assign",
            May(ManageElections),
            post(observation::assign),
        ),
        route(
            Method::POST,
            "/observation/{id}/stations",
            May(ManageElections),
            post(observation::upload_stations).layer(DefaultBodyLimit::max(observation::UPLOAD_LIMIT)),
        ),
        route(
            Method::POST,
            "/observation/{id}/counts",
            May(ManageElections),
            post(observation::upload_counts).layer(DefaultBodyLimit::max(observation::UPLOAD_LIMIT)),
        ),
        route(
            Method::POST,
            "/observation/{id}/protocols",
            May(ManageElections),
            post(observation::upload_protocols).layer(DefaultBodyLimit::max(observation::UPLOAD_LIMIT)),
        ),
        route(
            Method::POST,
            "/observation/stations/{id}/resolve",
            May(ResolveCounts),
            post(observation::resolve),
        ),
        route(
            Method::GET,
            "/observe",
            May(SubmitCounts),
            get(observation::my_stations),
        ),
        route(
            Method::GET,
            "/observe/{station}",
            May(SubmitCounts),
            get(observation::count_form),
        ),
        route(
            Method::POST,
            "/observe/{station}",
            May(SubmitCounts),
            post(observation::submit_count),
        ),
        route(Method::GET, "/report", Public, get(intake::report_form)),
        route(Method::POST, "/report", Public, post(intake::submit)),
        route(Method::GET, "/report/thanks", Public, get(intake::thanks)),
        route(Method::GET, "/triage", May(WriteRegistry), get(intake::queue)),
        route(Method::GET, "/triage/{id}", May(WriteRegistry), get(intake::report)),
        route(
            Method::POST,
            "/triage/{id}/accept",
            May(WriteRegistry),
            post(intake::accept),
        ),
        route(
            Method::POST,
            "/triage/{id}/merge",
            May(WriteRegistry),
            post(intake::merge),
        ),
        route(
            Method::POST,
            "/triage/{id}/reject",
            May(WriteRegistry),
            post(intake::reject),
        ),
    ]
}

pub fn router(app: Arc<App>) -> Result<Router, String> {
    let state = AppState {
        app,
        i18n: I18n::load()?,
    };
    let pages = page_routes().into_iter().fold(Router::new(), |router, r| {
        let guard = axum::middleware::from_fn_with_state((state.clone(), r.access), access::guard);
        router.route(r.path, r.handler.route_layer(guard))
    });
    Ok(pages
        .nest("/api/v1", api::router(&state))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(axum::middleware::from_fn(security::run_to_completion))
        .with_state(state))
}

/// Serves until `shutdown` completes, then finishes the requests under way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app.clone()).map_err(std::io::Error::other)?;
    // The search indexes live in memory only: built from the sealed records before the first
    // request is answered, so that the server is ready when it answers.
    app.prepare_search().await.map_err(std::io::Error::other)?;
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = app.sweep_sessions().await {
                tracing::warn!(error = %e, "could not forget expired sessions");
            }
        }
    });
    // The peer address reaches handlers only for the public form's rate limit (in memory,
    // under a keyed hash); nothing logs it.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    result
}

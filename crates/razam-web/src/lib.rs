//! Razam over HTTP: server-rendered pages that work with JavaScript off, in six languages.
//!
//! The only crate that knows HTTP, HTML and cookies. Handlers translate requests into calls
//! on [`razam_app::App`] and its answers into pages; no business rule lives here. Every
//! response carries a strict Content-Security-Policy and nothing is loaded from another origin.

mod access;
mod aid;
mod api;
mod assistance;
mod campaigns;
mod compartments;
mod context;
mod duplicates;
mod erasure;
mod events;
mod evidence;
mod export;
mod figures;
mod forms;
pub mod i18n;
mod intake;
mod ledger;
pub mod lock;
mod observation;
mod pages;
mod persons;
mod search;
mod security;
mod sessions;
mod tokens;
mod transparency;
mod two_factor;
mod volunteers;

use std::future::Future;
use std::sync::{Arc, Weak};

use axum::Router;
use axum::http::Method;
use razam_core::role::Permission;

use crate::access::route;
pub use crate::access::{Access, PathRecord, Route};
pub use crate::api::routes as api_routes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use razam_app::App;
use razam_app::compartments::RecordKind;

use crate::i18n::I18n;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub i18n: Arc<I18n>,
    /// The gate that holds the instance, for the panic lock (weak: the gate holds these routes).
    pub gate: Weak<lock::Gate>,
}

/// Every page route with its rule ([`access::Access`]): the one table the router is built
/// from and the authorisation test reads (`authz::every_route_answers_each_role_by_its_rule`).
/// A route cannot be added without a rule.
pub fn page_routes() -> Vec<Route> {
    use Access::{LoggedIn, May, MayAny, PendingLogin, Public};
    use Permission::{
        ErasePersons, Export, ManageAccounts, ManageCampaigns, ManageElections, ManageLedger, ManageShifts,
        ManageStock, ReadLedger, ReadObservation, ReadRegistry, Recognise, RequestAssistance, ResolveCounts,
        SubmitCounts, WriteRegistry,
    };
    vec![
        route(Method::GET, "/", LoggedIn, get(pages::home)),
        route(Method::GET, "/healthz", Public, get(pages::healthz)),
        route(Method::GET, "/static/razam.css", Public, get(pages::stylesheet)),
        route(Method::GET, "/login", Public, get(pages::login_form)),
        route(Method::POST, "/login", Public, post(pages::log_in)),
        route(Method::GET, "/login/code", PendingLogin, get(two_factor::code_form)),
        route(Method::POST, "/login/code", PendingLogin, post(two_factor::submit_code)),
        route(Method::GET, "/login/enrol", PendingLogin, get(two_factor::enrol_form)),
        route(
            Method::POST,
            "/login/enrol",
            PendingLogin,
            post(two_factor::submit_code),
        ),
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
        )
        .uncompartmented("API token"),
        route(
            Method::GET,
            "/account/two-factor",
            LoggedIn,
            get(two_factor::own_enrol_form),
        ),
        route(
            Method::POST,
            "/account/two-factor",
            LoggedIn,
            post(two_factor::own_enrol),
        ),
        route(Method::GET, "/account/sessions", LoggedIn, get(sessions::page)),
        route(
            Method::POST,
            "/account/sessions/end-others",
            LoggedIn,
            post(sessions::end_others),
        ),
        route(
            Method::POST,
            "/account/sessions/{handle}/end",
            LoggedIn,
            post(sessions::end_one),
        )
        .uncompartmented("session"),
        route(Method::GET, "/admin/users", May(ManageAccounts), get(pages::users)),
        route(
            Method::GET,
            "/admin/compartments",
            May(ManageAccounts),
            get(compartments::page),
        ),
        route(
            Method::POST,
            "/admin/compartments",
            May(ManageAccounts),
            post(compartments::create),
        ),
        route(
            Method::POST,
            "/admin/compartments/{id}/members",
            May(ManageAccounts),
            post(compartments::member),
        )
        .uncompartmented("compartment"),
        route(
            Method::POST,
            "/admin/lock",
            May(ManageAccounts),
            post(lock::lock_button),
        ),
        route(
            Method::POST,
            "/admin/users/two-factor-reset",
            May(ManageAccounts),
            post(two_factor::admin_reset),
        ),
        route(
            Method::POST,
            "/admin/users/end-sessions",
            May(ManageAccounts),
            post(two_factor::admin_end_sessions),
        ),
        route(
            Method::POST,
            "/admin/two-factor-roles",
            May(ManageAccounts),
            post(two_factor::admin_required),
        ),
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
        )
        .names(RecordKind::Merge),
        route(Method::GET, "/persons/{id}", May(ReadRegistry), get(persons::show)).names(RecordKind::Person),
        route(Method::POST, "/persons/{id}", May(WriteRegistry), post(persons::update)).names(RecordKind::Person),
        route(
            Method::GET,
            "/persons/{id}/edit",
            May(WriteRegistry),
            get(persons::edit_form),
        )
        .names(RecordKind::Person),
        route(
            Method::GET,
            "/persons/{id}/history",
            May(ReadRegistry),
            get(persons::history),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/recognition",
            May(Recognise),
            post(persons::recognise),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/statuses",
            May(Recognise),
            post(persons::add_status),
        )
        .names(RecordKind::Person),
        route(
            Method::GET,
            "/persons/{id}/erase",
            May(ErasePersons),
            get(erasure::show),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/erase",
            May(ErasePersons),
            post(erasure::erase),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/erase/request",
            May(ErasePersons),
            post(erasure::request),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/erase/decide",
            May(ErasePersons),
            post(erasure::decide),
        )
        .names(RecordKind::Person),
        route(Method::GET, "/events", May(ReadRegistry), get(events::list)),
        route(Method::POST, "/events", May(WriteRegistry), post(events::create)),
        route(Method::GET, "/events/new", May(WriteRegistry), get(events::new_form)),
        route(Method::GET, "/events/{id}", May(ReadRegistry), get(events::show)).names(RecordKind::Event),
        route(Method::POST, "/events/{id}", May(WriteRegistry), post(events::update)).names(RecordKind::Event),
        route(
            Method::GET,
            "/events/{id}/edit",
            May(WriteRegistry),
            get(events::edit_form),
        )
        .names(RecordKind::Event),
        route(
            Method::GET,
            "/events/{id}/history",
            May(ReadRegistry),
            get(events::history),
        )
        .names(RecordKind::Event),
        route(
            Method::POST,
            "/events/{id}/sources",
            May(WriteRegistry),
            post(events::add_source),
        )
        .names(RecordKind::Event),
        route(
            Method::GET,
            "/persons/{id}/dossier",
            May(ReadRegistry),
            get(evidence::person_dossier),
        )
        .names(RecordKind::Person),
        route(Method::GET, "/ledger", May(ReadLedger), get(ledger::index)),
        route(
            Method::GET,
            "/ledger/accounts/{id}",
            May(ReadLedger),
            get(ledger::account),
        )
        .uncompartmented("ledger account"),
        route(
            Method::GET,
            "/ledger/transfers/{id}",
            May(ReadLedger),
            get(ledger::transfer),
        )
        .uncompartmented("ledger transfer"),
        route(Method::POST, "/ledger/transfers", May(ManageLedger), post(ledger::book)),
        route(
            Method::POST,
            "/ledger/transfers/{id}/reverse",
            May(ManageLedger),
            post(ledger::reverse),
        )
        .uncompartmented("ledger transfer"),
        route(
            Method::POST,
            "/ledger/queue/{id}/resolve",
            May(ManageLedger),
            post(ledger::resolve),
        )
        .uncompartmented("statement line"),
        route(
            Method::POST,
            "/ledger/statements",
            May(ManageLedger),
            post(ledger::upload),
        )
        .upload(),
        // Solidarity: campaign pages and the transparency report are public; an assistance
        // case is read by its requester or by those who read every case (the app decides which).
        route(Method::GET, "/campaigns", Public, get(campaigns::list)),
        route(
            Method::POST,
            "/campaigns",
            May(ManageCampaigns),
            post(campaigns::create),
        ),
        route(Method::GET, "/campaigns/{code}", Public, get(campaigns::public)).uncompartmented("campaign"),
        route(
            Method::GET,
            "/campaigns/{code}/manage",
            May(ManageCampaigns),
            get(campaigns::manage),
        )
        .uncompartmented("campaign"),
        route(
            Method::POST,
            "/campaigns/{code}/edit",
            May(ManageCampaigns),
            post(campaigns::update),
        )
        .uncompartmented("campaign"),
        route(
            Method::POST,
            "/campaigns/{code}/donations",
            May(ManageCampaigns),
            post(campaigns::donate),
        )
        .uncompartmented("campaign"),
        route(
            Method::GET,
            "/assistance",
            MayAny(access::ASSISTANCE),
            get(assistance::list),
        ),
        route(
            Method::POST,
            "/assistance",
            May(RequestAssistance),
            post(assistance::request),
        ),
        route(
            Method::GET,
            "/assistance/{reference}",
            MayAny(access::ASSISTANCE),
            get(assistance::show),
        )
        .uncompartmented("assistance case (opaque reference, read by its requester or case readers)"),
        route(
            Method::POST,
            "/assistance/{reference}/{action}",
            MayAny(access::ASSISTANCE),
            post(assistance::step),
        )
        .uncompartmented("assistance case (opaque reference, read by its requester or case readers)"),
        route(Method::GET, "/transparency", Public, get(transparency::page)),
        route(Method::GET, "/transparency.csv", Public, get(transparency::csv)),
        route(Method::GET, "/transparency.hxl.csv", Public, get(transparency::hxl)),
        // In-kind aid and volunteers: the warehouses for those who keep them; the shifts also
        // for volunteers, who sign only themselves up (the app decides).
        route(Method::GET, "/aid", May(ManageStock), get(aid::page)),
        route(Method::POST, "/aid/items", May(ManageStock), post(aid::create_item)),
        route(
            Method::POST,
            "/aid/warehouses",
            May(ManageStock),
            post(aid::create_warehouse),
        ),
        route(
            Method::POST,
            "/aid/movements",
            May(ManageStock),
            post(aid::record_movement),
        ),
        route(Method::GET, "/aid/shipments", May(ManageStock), get(aid::shipments)),
        route(
            Method::POST,
            "/aid/shipments",
            May(ManageStock),
            post(aid::create_shipment),
        ),
        route(Method::GET, "/aid/shipments/{id}", May(ManageStock), get(aid::shipment)).uncompartmented("shipment"),
        route(
            Method::POST,
            "/aid/shipments/{id}/advance",
            May(ManageStock),
            post(aid::advance_shipment),
        )
        .uncompartmented("shipment"),
        route(Method::GET, "/aid/labels/{code}", May(ManageStock), get(aid::label)).uncompartmented("shipment label"),
        route(
            Method::GET,
            "/volunteers",
            MayAny(access::SHIFTS),
            get(volunteers::page),
        ),
        route(
            Method::POST,
            "/volunteers",
            May(ManageShifts),
            post(volunteers::create_volunteer),
        ),
        route(
            Method::POST,
            "/volunteers/places",
            May(ManageShifts),
            post(volunteers::create_place),
        ),
        route(
            Method::POST,
            "/volunteers/shifts",
            May(ManageShifts),
            post(volunteers::create_shift),
        ),
        route(
            Method::POST,
            "/volunteers/shifts/{id}/sign-up",
            MayAny(access::SHIFTS),
            post(volunteers::sign_up),
        )
        .uncompartmented("shift"),
        route(
            Method::POST,
            "/volunteers/shifts/{id}/cancel",
            MayAny(access::SHIFTS),
            post(volunteers::cancel),
        )
        .uncompartmented("shift"),
        route(Method::GET, "/evidence", May(ReadRegistry), get(evidence::cases)),
        route(
            Method::GET,
            "/evidence/cases/{id}",
            May(ReadRegistry),
            get(evidence::case),
        )
        .uncompartmented("evidence case (its items are filtered)"),
        route(
            Method::GET,
            "/evidence/cases/{id}/dossier",
            May(ReadRegistry),
            get(evidence::case_dossier),
        )
        .uncompartmented("evidence case (its items are filtered)"),
        route(
            Method::GET,
            "/evidence/items/{id}",
            May(ReadRegistry),
            get(evidence::item),
        )
        .names(RecordKind::EvidenceItem),
        route(
            Method::GET,
            "/evidence/items/{id}/original",
            May(ReadRegistry),
            get(evidence::original),
        )
        .names(RecordKind::EvidenceItem),
        route(
            Method::GET,
            "/evidence/items/{id}/sharing-copy",
            May(ReadRegistry),
            get(evidence::sharing_copy),
        )
        .names(RecordKind::EvidenceItem),
        route(Method::GET, "/search", May(ReadRegistry), get(search::page)),
        route(Method::GET, "/figures", Public, get(figures::page)),
        route(Method::GET, "/figures.json", Public, get(figures::json)),
        route(Method::GET, "/export", May(Export), get(export::page)),
        route(Method::GET, "/export/{file}", May(Export), get(export::download)).uncompartmented("export file"),
        route(Method::POST, "/export/approvals", May(Export), post(export::ask)),
        route(
            Method::POST,
            "/export/approvals/{id}/approve",
            May(Export),
            post(export::approve),
        )
        .uncompartmented("approval"),
        route(
            Method::POST,
            "/export/approvals/{id}/refuse",
            May(Export),
            post(export::refuse),
        )
        .uncompartmented("approval"),
        route(Method::GET, "/observation", Public, get(observation::list)),
        route(
            Method::POST,
            "/observation",
            May(ManageElections),
            post(observation::create),
        ),
        route(Method::GET, "/observation/{id}", Public, get(observation::report)).uncompartmented("election"),
        route(
            Method::GET,
            "/observation/{id}/report.json",
            Public,
            get(observation::report_json),
        )
        .uncompartmented("election"),
        route(
            Method::GET,
            "/observation/{id}/work",
            May(ReadObservation),
            get(observation::work),
        )
        .uncompartmented("election"),
        route(
            Method::POST,
            "/observation/{id}/tolerance",
            May(ManageElections),
            post(observation::set_tolerance),
        )
        .uncompartmented("election"),
        route(
            Method::POST,
            "/observation/{id}/assign",
            May(ManageElections),
            post(observation::assign),
        )
        .uncompartmented("election"),
        route(
            Method::POST,
            "/observation/{id}/stations",
            May(ManageElections),
            post(observation::upload_stations),
        )
        .uncompartmented("election")
        .upload(),
        route(
            Method::POST,
            "/observation/{id}/counts",
            May(ManageElections),
            post(observation::upload_counts),
        )
        .uncompartmented("election")
        .upload(),
        route(
            Method::POST,
            "/observation/{id}/protocols",
            May(ManageElections),
            post(observation::upload_protocols),
        )
        .uncompartmented("election")
        .upload(),
        route(
            Method::POST,
            "/observation/stations/{id}/resolve",
            May(ResolveCounts),
            post(observation::resolve),
        )
        .uncompartmented("polling station"),
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
        )
        .uncompartmented("polling station"),
        route(
            Method::POST,
            "/observe/{station}",
            May(SubmitCounts),
            post(observation::submit_count),
        )
        .uncompartmented("polling station"),
        route(Method::GET, "/report", Public, get(intake::report_form)),
        route(Method::POST, "/report", Public, post(intake::submit)),
        route(Method::GET, "/report/thanks", Public, get(intake::thanks)),
        route(Method::GET, "/triage", May(WriteRegistry), get(intake::queue)),
        route(Method::GET, "/triage/{id}", May(WriteRegistry), get(intake::report))
            .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/triage/{id}/accept",
            May(WriteRegistry),
            post(intake::accept),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/triage/{id}/merge",
            May(WriteRegistry),
            post(intake::merge),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/triage/{id}/reject",
            May(WriteRegistry),
            post(intake::reject),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
    ]
}

/// The routes of an unlocked instance, built from [`page_routes`] and `api::routes()`, each
/// behind the layer that checks its rule. The security headers and `run_to_completion` are
/// layered around the gate in [`serve`], so that the locked pages have them too.
pub(crate) fn routes(app: Arc<App>, gate: Weak<lock::Gate>, i18n: Arc<I18n>) -> Router {
    // Forms are small; uploads get their own limit where they are accepted (`[limits]`).
    let limits = app.config().limits;
    let state = AppState { app, i18n, gate };
    let pages = page_routes().into_iter().fold(Router::new(), |router, r| {
        let guard = axum::middleware::from_fn_with_state((state.clone(), r.access, r.record), access::guard);
        let handler = if r.upload {
            r.handler.layer(DefaultBodyLimit::max(limits.upload_bytes()))
        } else {
            r.handler
        };
        router.route(r.path, handler.route_layer(guard))
    });
    pages
        .nest("/api/v1", api::router(&state))
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

//! Registry exports over HTTP: a page with the four downloads, and the downloads themselves
//! (attachments, never cached); with the two-person rule, the requests for approval and their
//! decisions. Who may export what, and when, is decided by razam-app.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::Actor;
use razam_app::approvals::{ApprovalState, ApprovalView};
use razam_app::export::{ExportFormat, ExportKind};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::utc_minute;

const FILES: [&str; 4] = ["persons.csv", "persons.xlsx", "events.csv", "events.xlsx"];

/// One file of the page: offered for download, or where its approval stands.
struct FileCell {
    name: &'static str,
    /// `download`, `ask` (no usable approval), `waiting`.
    offer: &'static str,
}

/// Another account's request, as the one who may decide it sees it.
struct Request {
    id: i64,
    file: String,
    by: String,
    at: String,
    state: &'static str,
    decided_by: String,
    decidable: bool,
}

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    l: Layout,
    includes_restricted: bool,
    needs_approval: bool,
    files: Vec<FileCell>,
    requests: Vec<Request>,
    person_columns: String,
    event_columns: String,
}

/// What the reader can do with `file`: their newest request for it decides.
fn offer(file: &str, needs_approval: bool, mine: &[&ApprovalView]) -> &'static str {
    if !needs_approval {
        return "download";
    }
    match mine.iter().find(|a| a.file == file).map(|a| a.state) {
        Some(ApprovalState::Approved) => "download",
        Some(ApprovalState::Waiting) => "waiting",
        _ => "ask",
    }
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let actor = Actor::Account(user);
    let includes_restricted = match state.app.export_scope(&actor) {
        Ok(r) => r,
        Err(e) => return crate::pages::app_error(&ctx, e),
    };
    let needs_approval = state.app.export_needs_approval(&actor);
    let approvals = if needs_approval {
        match state.app.export_approvals(&actor).await {
            Ok(a) => a,
            Err(e) => return crate::pages::app_error(&ctx, e),
        }
    } else {
        Vec::new()
    };
    let mine: Vec<&ApprovalView> = approvals.iter().filter(|a| a.mine).collect();
    let files = FILES
        .into_iter()
        .map(|name| FileCell {
            name,
            offer: offer(name, needs_approval, &mine),
        })
        .collect();
    let requests = approvals
        .iter()
        .map(|a| Request {
            id: a.id,
            file: a.file.clone(),
            by: a.requested_by.clone(),
            at: utc_minute(a.requested_at_ms),
            state: a.state.as_str(),
            decided_by: a.decided_by.clone().unwrap_or_default(),
            decidable: !a.mine && a.state == ApprovalState::Waiting,
        })
        .collect();
    crate::pages::render(
        StatusCode::OK,
        ExportPage {
            l: ctx.layout(),
            includes_restricted,
            needs_approval,
            files,
            requests,
            person_columns: ExportKind::Persons.columns().join(", "),
            event_columns: ExportKind::Events.columns().join(", "),
        },
    )
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    file: String,
}

/// Asks a second person to approve the export of one file.
pub async fn ask(State(state): State<AppState>, ctx: Ctx, Form(form): Form<AskForm>) -> Response {
    let Some(actor) = ctx.actor() else {
        return Redirect::to("/login").into_response();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return crate::pages::csrf_rejected(&ctx);
    }
    let Some((kind, format)) = parse_file(&form.file) else {
        return crate::pages::app_error(&ctx, razam_app::AppError::BadInput("no such export".into()));
    };
    match state.app.request_export_approval(&actor, kind, format).await {
        Ok(_) => Redirect::to("/export").into_response(),
        Err(e) => crate::pages::app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
}

async fn decide(state: AppState, ctx: Ctx, id: i64, csrf: &str, approve: bool) -> Response {
    let Some(actor) = ctx.actor() else {
        return Redirect::to("/login").into_response();
    };
    if !ctx.csrf_ok(&state.app, csrf) {
        return crate::pages::csrf_rejected(&ctx);
    }
    match state.app.decide_export_approval(&actor, id, approve).await {
        Ok(()) => Redirect::to("/export").into_response(),
        Err(e) => crate::pages::app_error(&ctx, e),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> Response {
    decide(state, ctx, id, &form.csrf, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> Response {
    decide(state, ctx, id, &form.csrf, false).await
}

/// `persons.csv`, `persons.xlsx`, `events.csv` or `events.xlsx`.
fn parse_file(file: &str) -> Option<(ExportKind, ExportFormat)> {
    let (kind, format) = file.split_once('.')?;
    Some((ExportKind::parse(kind)?, ExportFormat::parse(format)?))
}

pub async fn download(State(state): State<AppState>, ctx: Ctx, Path(file): Path<String>) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let Some((kind, format)) = parse_file(&file) else {
        return crate::pages::not_found(ctx).await;
    };
    let export = match state.app.export(&Actor::Account(user), kind, format).await {
        Ok(export) => export,
        Err(e) => return crate::pages::app_error(&ctx, e),
    };
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (headers, export.bytes).into_response()
}

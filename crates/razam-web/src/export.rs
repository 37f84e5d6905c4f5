//! Registry exports over HTTP: a page with the four downloads, and the downloads themselves
//! (attachments, never cached). Who may export what is decided by razam-app.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::Actor;
use razam_app::export::{ExportFormat, ExportKind};

use crate::AppState;
use crate::context::{Ctx, Layout};

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    l: Layout,
    includes_restricted: bool,
    person_columns: String,
    event_columns: String,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    match state.app.export_scope(&Actor::Account(user)) {
        Ok(includes_restricted) => crate::pages::render(
            StatusCode::OK,
            ExportPage {
                l: ctx.layout(),
                includes_restricted,
                person_columns: ExportKind::Persons.columns().join(", "),
                event_columns: ExportKind::Events.columns().join(", "),
            },
        ),
        Err(e) => crate::pages::app_error(&ctx, e),
    }
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

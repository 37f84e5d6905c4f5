//! `/persons/{id}/erase`: the confirmation page of an erasure (what will be overwritten, shown
//! before anything is), the erasure itself, and under `[two_person] deletions` the request
//! for a second administrator's approval and that administrator's decision.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::erasure::{ErasureApproval, ErasurePreview, NEEDS_APPROVAL};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::pages::{app_error, bad_request, form_actor, render, to_login};

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage {
    l: Layout,
    p: ErasurePreview,
    /// The notice of a refused step (a translated text), or empty.
    notice: String,
    reason: String,
    /// Whether the reader may erase now (no approval needed, or theirs is approved).
    may_erase: bool,
}

async fn erase_page(state: &AppState, ctx: &Ctx, id: i64, status: StatusCode, notice: &str, reason: &str) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let p = match state.app.erasure_preview(&actor, id).await {
        Ok(p) => p,
        Err(e) => return app_error(ctx, e),
    };
    let may_erase = p.erased_on.is_none()
        && matches!(
            p.approval,
            ErasureApproval::NotNeeded | ErasureApproval::Approved { mine: true, .. }
        );
    render(
        status,
        ErasePage {
            notice: if notice.is_empty() {
                String::new()
            } else {
                ctx.tr.t(notice)
            },
            reason: reason.to_owned(),
            may_erase,
            p,
            l: ctx.layout(),
        },
    )
}

pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    erase_page(&state, &ctx, id, StatusCode::OK, "", "").await
}

#[derive(Deserialize, Default)]
pub struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    confirm: Option<String>,
}

pub async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<EraseForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let refused =
        |notice: &'static str| erase_page(&state, &ctx, id, StatusCode::UNPROCESSABLE_ENTITY, notice, &form.reason);
    if form.reason.trim().is_empty() {
        return refused("erase-reason-missing").await;
    }
    if form.confirm.is_none() {
        return refused("erase-not-confirmed").await;
    }
    match state.app.erase_person(&actor, id, &form.reason).await {
        Ok(()) => Redirect::to(&format!("/persons/{id}")).into_response(),
        Err(AppError::BadInput(why)) if why == NEEDS_APPROVAL => refused("erase-needs-approval").await,
        Err(AppError::BadInput(why)) if why.starts_with("reason") => refused("erase-reason-refused").await,
        Err(AppError::BadInput(_)) => refused("erase-already").await,
        Err(AppError::Conflict(_)) => {
            erase_page(&state, &ctx, id, StatusCode::CONFLICT, "erase-stale", &form.reason).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    /// For a decision: `approve` or `refuse`.
    #[serde(default)]
    decision: String,
}

/// Asks a second administrator to approve this erasure.
pub async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let result = state.app.request_erasure(&actor, id).await.map(drop);
    after_step(&state, &ctx, id, result, "erase-request-refused").await
}

/// A second administrator approves or refuses the waiting request; never the one who asked.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return bad_request(&ctx),
    };
    let result = state.app.decide_erasure(&actor, id, approve).await;
    after_step(&state, &ctx, id, result, "erase-own-request").await
}

/// Back to the confirmation page after a step of the two-person rule; a refused step is
/// explained there by `refused`.
async fn after_step(state: &AppState, ctx: &Ctx, id: i64, result: Result<(), AppError>, refused: &str) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/persons/{id}/erase")).into_response(),
        Err(AppError::BadInput(_)) => erase_page(state, ctx, id, StatusCode::UNPROCESSABLE_ENTITY, refused, "").await,
        Err(e) => app_error(ctx, e),
    }
}

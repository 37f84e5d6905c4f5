//! `/account/sessions`: one's own sessions (created, last seen, browser family; never an
//! address), ending one of them or all the others.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::pages::{app_error, form_actor, render, to_login};

struct SessionLine {
    handle: String,
    created: String,
    last_seen: String,
    agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    l: Layout,
    sessions: Vec<SessionLine>,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    match state.app.own_sessions(&actor).await {
        Ok(list) => {
            let sessions = list
                .into_iter()
                .map(|s| SessionLine {
                    handle: s.handle,
                    created: crate::forms::utc_minute(s.created_at_ms),
                    last_seen: crate::forms::utc_minute(s.last_seen_ms),
                    agent: s.agent,
                    current: s.current,
                })
                .collect();
            render(
                StatusCode::OK,
                SessionsPage {
                    l: ctx.layout(),
                    sessions,
                },
            )
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn end_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    match state.app.end_own_session(&actor, &handle).await {
        Ok(()) => Redirect::to("/account/sessions").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn end_others(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CsrfForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    match state.app.end_other_sessions(&actor).await {
        Ok(_) => Redirect::to("/account/sessions").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

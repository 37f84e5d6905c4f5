//! The API-token section of the account page: make a token (shown once, on the page that
//! answers the form, never in a URL or a later page), list one's tokens, revoke one.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::tokens::{NAME_MAX_CHARS, TokenState, TokenView};
use razam_app::{Actor, AppError};
use razam_core::registry::Day;
use serde::Deserialize;

use crate::AppState;
use crate::context::Ctx;
use crate::i18n::Tr;
use crate::pages::{account_page, app_error, csrf_rejected, to_login};

/// One line of the token list.
pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: String,
    pub active: bool,
}

/// What the account page shows about tokens.
#[derive(Default)]
pub struct TokenSection {
    pub lines: Vec<TokenLine>,
    /// A token just made: shown this once.
    pub new_token: Option<String>,
    /// A translation key saying what was wrong with the form.
    pub error: Option<&'static str>,
    pub name: String,
    pub days: String,
}

fn day_of(ms: i64) -> String {
    Day::from_days_since_epoch(ms.div_euclid(86_400_000)).map_or_else(String::new, |d| d.to_string())
}

impl TokenSection {
    pub fn fill(&mut self, tr: &Tr, tokens: Vec<TokenView>) {
        self.lines = tokens
            .into_iter()
            .map(|t| TokenLine {
                id: t.id,
                name: t.name,
                created: day_of(t.created_at_ms),
                expires: t.expires_at_ms.map_or_else(|| tr.t("tokens-never"), day_of),
                last_used: t.last_used_on.unwrap_or_else(|| tr.t("tokens-never-used")),
                state: tr.t(match t.state {
                    TokenState::Active => "tokens-state-active",
                    TokenState::Expired => "tokens-state-expired",
                    TokenState::Revoked => "tokens-state-revoked",
                }),
                active: t.state == TokenState::Active,
            })
            .collect();
    }
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    csrf: String,
    name: String,
    #[serde(default)]
    days: String,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(form): Form<NewTokenForm>) -> Response {
    let Some(user) = ctx.user.clone() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let mut section = TokenSection {
        name: form.name.chars().take(NAME_MAX_CHARS).collect(),
        days: form.days.chars().take(10).collect(),
        ..TokenSection::default()
    };
    let days = match form.days.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(d) => Some(d),
            Err(_) => {
                section.error = Some("tokens-error-days");
                return account_page(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, false, section).await;
            }
        },
    };
    match state
        .app
        .create_api_token(&Actor::Account(user), &form.name, days)
        .await
    {
        Ok(issued) => {
            let section = TokenSection {
                new_token: Some(issued.token.to_string()),
                ..TokenSection::default()
            };
            account_page(&state, &ctx, StatusCode::OK, false, section).await
        }
        Err(AppError::BadInput(_)) => {
            let name = form.name.trim();
            section.error = Some(
                if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
                    "tokens-error-name"
                } else {
                    "tokens-error-days"
                },
            );
            account_page(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, false, section).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(user) = ctx.user.clone() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    match state.app.revoke_api_token(&Actor::Account(user), id).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

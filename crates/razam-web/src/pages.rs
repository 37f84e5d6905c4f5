//! The page handlers: each turns a request into one call on the app and renders the answer.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use razam_app::{Actor, AppError, LoginStep};
use razam_core::{Locale, Role};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout, PRE_COOKIE, Peer, SESSION_COOKIE, pre_binding, set_cookie};

pub(crate) fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    message_key: &'static str,
}

pub(crate) fn error_page(ctx: &Ctx, status: StatusCode, message_key: &'static str) -> Response {
    render(
        status,
        ErrorPage {
            l: ctx.layout(),
            message_key,
        },
    )
}

/// An app error as a page: the caller's mistakes as 4xx with their reason, ours as 500 with
/// the cause logged (never personal data: errors carry ids and kinds, not content).
pub(crate) fn app_error(ctx: &Ctx, e: AppError) -> Response {
    match e {
        AppError::Forbidden => error_page(ctx, StatusCode::FORBIDDEN, "error-forbidden"),
        AppError::NotFound(_) => error_page(ctx, StatusCode::NOT_FOUND, "error-not-found"),
        AppError::RateLimited => error_page(ctx, StatusCode::TOO_MANY_REQUESTS, "intake-rate-limited"),
        e if e.is_bad_input() => error_page(ctx, StatusCode::BAD_REQUEST, "error-bad-request"),
        e => {
            let chain: Vec<String> = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                .map(ToString::to_string)
                .collect();
            tracing::error!(error = chain.join(": "), "request failed");
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

/// A 429 answer with the seconds until `until_ms` in `Retry-After`.
pub(crate) fn with_retry_after(mut response: Response, until_ms: i64) -> Response {
    let seconds = ((until_ms - razam_app::now_ms()) / 1000).max(1);
    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(crate) fn bad_request(ctx: &Ctx) -> Response {
    error_page(ctx, StatusCode::BAD_REQUEST, "error-bad-request")
}

pub(crate) fn csrf_rejected(ctx: &Ctx) -> Response {
    error_page(ctx, StatusCode::FORBIDDEN, "error-csrf")
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role-admin",
        Role::Coordinator => "role-coordinator",
        Role::Documenter => "role-documenter",
        Role::Reviewer => "role-reviewer",
        Role::Volunteer => "role-volunteer",
        Role::Observer => "role-observer",
        Role::Viewer => "role-viewer",
    }
}

/// Who submits a form: the logged-in account, if the form carries its CSRF token; else the
/// answer to give instead (the login page, or the refusal of the token).
pub(crate) fn form_actor(state: &AppState, ctx: &Ctx, csrf: &str) -> Result<Actor, Box<Response>> {
    let Some(actor) = ctx.actor() else {
        return Err(Box::new(to_login()));
    };
    if !ctx.csrf_ok(&state.app, csrf) {
        return Err(Box::new(csrf_rejected(ctx)));
    }
    Ok(actor)
}

/// Where a page that needs a login sends a visitor without one.
pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.app.healthy().await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/razam.css"),
    )
        .into_response()
}

pub async fn not_found(ctx: Ctx) -> Response {
    error_page(&ctx, StatusCode::NOT_FOUND, "error-not-found")
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    display_name: String,
    role_name: String,
}

pub async fn home(ctx: Ctx) -> Response {
    let Some(user) = &ctx.user else {
        return to_login();
    };
    let page = HomePage {
        display_name: user.display_name.clone(),
        role_name: ctx.tr.t(role_key(user.role)),
        l: ctx.layout(),
    };
    render(StatusCode::OK, page)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    error: Option<&'static str>,
    /// When a locked name or address may log in again (UTC).
    locked_until: Option<String>,
    username: String,
}

pub async fn login_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if ctx.user.is_some() {
        return Redirect::to("/").into_response();
    }
    let mut layout = ctx.layout();
    // The first visit gets the random value its CSRF token is bound to.
    let new_pre = ctx.pre.is_none().then(|| hex::encode(rand::random::<[u8; 32]>()));
    if let Some(pre) = &new_pre {
        layout.csrf = state.app.csrf_token(&pre_binding(pre));
    }
    let mut response = render(
        StatusCode::OK,
        LoginPage {
            l: layout,
            error: None,
            locked_until: None,
            username: String::new(),
        },
    );
    if let Some(pre) = new_pre {
        let secure = state.app.config().secure_cookies;
        response
            .headers_mut()
            .append(header::SET_COOKIE, set_cookie(PRE_COOKIE, &pre, None, secure));
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

pub async fn log_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Peer(peer): Peer,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let failed = |key: &'static str, status: StatusCode| {
        render(
            status,
            LoginPage {
                l: ctx.layout(),
                error: Some(key),
                locked_until: None,
                username: form.username.chars().take(64).collect(),
            },
        )
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let step = state.app.log_in_step(&form.username, &form.password, peer, agent).await;
    match step {
        Ok(LoginStep::SecondFactor(pending)) => crate::two_factor::to_second_step(&state, &pending.token, false),
        Ok(LoginStep::MustEnrol(pending)) => crate::two_factor::to_second_step(&state, &pending.token, true),
        Ok(LoginStep::Session(logged_in)) => {
            let secure = state.app.config().secure_cookies;
            let max_age = i64::from(state.app.config().session_hours) * 3600;
            let mut response = Redirect::to("/").into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &logged_in.token, Some(max_age), secure),
            );
            h.append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", Some(0), secure));
            response
        }
        Err(AppError::InvalidCredentials) => failed("login-failed", StatusCode::UNAUTHORIZED),
        Err(AppError::AccountDisabled) => failed("login-disabled", StatusCode::FORBIDDEN),
        Err(AppError::LoginLocked { until_ms }) => with_retry_after(
            render(
                StatusCode::TOO_MANY_REQUESTS,
                LoginPage {
                    l: ctx.layout(),
                    error: None,
                    locked_until: Some(crate::forms::utc_minute(until_ms)),
                    username: form.username.chars().take(64).collect(),
                },
            ),
            until_ms,
        ),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

fn logged_out(secure: bool) -> Response {
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), secure));
    response
}

pub async fn log_out(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CsrfForm>) -> Response {
    let Some(user) = &ctx.user else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    match state.app.log_out(user).await {
        Ok(()) => logged_out(state.app.config().secure_cookies),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn log_out_everywhere(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CsrfForm>) -> Response {
    let Some(user) = &ctx.user else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    match state.app.log_out_everywhere(user).await {
        Ok(_) => logged_out(state.app.config().secure_cookies),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    display_name: String,
    username: String,
    role_name: String,
    saved: bool,
    tokens: crate::tokens::TokenSection,
    two_factor: razam_app::two_factor::TwoFactorStatus,
}

#[derive(Deserialize)]
pub struct AccountQuery {
    saved: Option<String>,
}

pub async fn account(State(state): State<AppState>, ctx: Ctx, Query(query): Query<AccountQuery>) -> Response {
    let tokens = crate::tokens::TokenSection::default();
    account_page(&state, &ctx, StatusCode::OK, query.saved.is_some(), tokens).await
}

/// The account page; the token section may carry a token just made or a form error.
pub(crate) async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    saved: bool,
    mut tokens: crate::tokens::TokenSection,
) -> Response {
    let Some(user) = &ctx.user else {
        return to_login();
    };
    match state.app.own_api_tokens(&Actor::Account(user.clone())).await {
        Ok(list) => tokens.fill(&ctx.tr, list),
        Err(e) => return app_error(ctx, e),
    }
    let two_factor = match state.app.own_two_factor(&Actor::Account(user.clone())).await {
        Ok(status) => status,
        Err(e) => return app_error(ctx, e),
    };
    let page = AccountPage {
        display_name: user.display_name.clone(),
        username: user.username.clone(),
        role_name: ctx.tr.t(role_key(user.role)),
        saved,
        tokens,
        two_factor,
        l: ctx.layout(),
    };
    render(status, page)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    csrf: String,
    locale: String,
}

pub async fn set_language(State(state): State<AppState>, ctx: Ctx, Form(form): Form<LanguageForm>) -> Response {
    let Some(user) = ctx.user.clone() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let Some(locale) = Locale::parse(&form.locale) else {
        return error_page(&ctx, StatusCode::BAD_REQUEST, "error-bad-request");
    };
    match state.app.set_own_locale(&Actor::Account(user), locale).await {
        Ok(()) => {
            let mut response = Redirect::to("/account?saved=1").into_response();
            let secure = state.app.config().secure_cookies;
            let cookie = set_cookie(
                crate::context::LANG_COOKIE,
                locale.code(),
                Some(365 * 24 * 3600),
                secure,
            );
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(e) => app_error(&ctx, e),
    }
}

struct UserRow {
    username: String,
    /// Whether the row is the admin's own account (no reset or session-ending of oneself here).
    own: bool,
    display_name: String,
    role_key: &'static str,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    l: Layout,
    users: Vec<UserRow>,
    /// Every role with its label key and whether it must use a second factor.
    roles: Vec<(&'static str, &'static str, bool)>,
    done: bool,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
}

pub async fn users(State(state): State<AppState>, ctx: Ctx, Query(query): Query<UsersQuery>) -> Response {
    let Some(user) = ctx.user.clone() else {
        return to_login();
    };
    let actor = Actor::Account(user.clone());
    let required = match state.app.two_factor_required_roles(&actor).await {
        Ok(roles) => roles,
        Err(e) => return app_error(&ctx, e),
    };
    let roles = Role::ALL
        .into_iter()
        .map(|r| (r.as_str(), role_key(r), required.contains(&r)))
        .collect();
    match state.app.list_users(&actor).await {
        Ok(list) => {
            let users = list
                .into_iter()
                .map(|u| UserRow {
                    own: u.id == user.id,
                    username: u.username,
                    display_name: u.display_name,
                    role_key: role_key(u.role),
                    disabled: u.disabled,
                })
                .collect();
            render(
                StatusCode::OK,
                UsersPage {
                    l: ctx.layout(),
                    users,
                    roles,
                    done: query.done.is_some(),
                },
            )
        }
        Err(e) => app_error(&ctx, e),
    }
}

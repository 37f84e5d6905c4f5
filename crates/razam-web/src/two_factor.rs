//! Two-factor login pages: the code form after the password (`/login/code`), enrolment during
//! login for a role that requires it (`/login/enrol`) and from the account page
//! (`/account/two-factor`), the recovery codes shown once, and the admin's forms on
//! `/admin/users` (require per role, reset an account's second factor, end its sessions).
//! The QR code is drawn here as inline SVG: no script, no image from elsewhere.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::two_factor::Enrolment;
use razam_app::{Actor, AppError};
use razam_core::{Role, Username};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout, PRE_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use crate::pages::{app_error, csrf_rejected, form_actor, render, to_login};

/// The cookie of a login between its password and its second factor.
pub const PENDING_COOKIE: &str = "razam_pending";

/// The QR code of an `otpauth://` URI as an inline `<svg>` element.
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(220, 220)
                .build();
            // The XML declaration is for a file of its own, not an element in a page.
            match svg.find("<svg") {
                Some(start) => svg[start..].to_owned(),
                None => svg,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not draw the QR code");
            String::new()
        }
    }
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    l: Layout,
    error: Option<&'static str>,
    locked_until: Option<String>,
}

#[derive(Template)]
#[template(path = "two_factor_enrol.html")]
struct EnrolPage {
    l: Layout,
    action: &'static str,
    qr: String,
    uri: String,
    secret: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    l: Layout,
    codes: Vec<String>,
}

fn enrol_page(
    ctx: &Ctx,
    status: StatusCode,
    action: &'static str,
    e: Enrolment,
    error: Option<&'static str>,
) -> Response {
    render(
        status,
        EnrolPage {
            l: ctx.layout(),
            action,
            qr: qr_svg(&e.uri),
            uri: e.uri,
            secret: e.secret,
            error,
        },
    )
}

pub(crate) fn pending_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, PENDING_COOKIE).filter(|v| v.len() == 64)
}

/// Where the password step sends a login that needs a second factor, with its cookie.
pub(crate) fn to_second_step(state: &AppState, token: &str, enrol: bool) -> Response {
    let mut response = Redirect::to(if enrol { "/login/enrol" } else { "/login/code" }).into_response();
    let secure = state.app.config().secure_cookies;
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(PENDING_COOKIE, token, Some(300), secure));
    response
}

fn locked_page(ctx: &Ctx, until_ms: i64) -> Response {
    let page = CodePage {
        l: ctx.layout(),
        error: None,
        locked_until: Some(crate::forms::utc_minute(until_ms)),
    };
    crate::pages::with_retry_after(render(StatusCode::TOO_MANY_REQUESTS, page), until_ms)
}

pub async fn code_form(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    match pending_token(&headers).and_then(|t| state.app.pending_login(t)) {
        Some(false) => render(
            StatusCode::OK,
            CodePage {
                l: ctx.layout(),
                error: None,
                locked_until: None,
            },
        ),
        Some(true) => Redirect::to("/login/enrol").into_response(),
        None => to_login(),
    }
}

pub async fn enrol_form(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let Some(token) = pending_token(&headers) else {
        return to_login();
    };
    match state.app.pending_enrolment(token).await {
        Ok(e) => enrol_page(&ctx, StatusCode::OK, "/login/enrol", e, None),
        Err(AppError::LoginExpired) => to_login(),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

/// The second step of a login, for both forms: a code (or recovery code), or the first code
/// of an enrolment.
pub async fn submit_code(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let Some(token) = pending_token(&headers) else {
        return to_login();
    };
    let enrol = state.app.pending_login(token) == Some(true);
    match state.app.log_in_second_factor(token, &form.code).await {
        Ok((logged_in, codes)) => {
            let secure = state.app.config().secure_cookies;
            let max_age = i64::from(state.app.config().session_hours) * 3600;
            let mut response = match codes {
                Some(codes) => render(StatusCode::OK, RecoveryCodesPage { l: ctx.layout(), codes }),
                None => Redirect::to("/").into_response(),
            };
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &logged_in.token, Some(max_age), secure),
            );
            h.append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", Some(0), secure));
            h.append(header::SET_COOKIE, set_cookie(PENDING_COOKIE, "", Some(0), secure));
            response
        }
        Err(AppError::InvalidCode) if enrol => match state.app.pending_enrolment(token).await {
            Ok(e) => enrol_page(
                &ctx,
                StatusCode::UNAUTHORIZED,
                "/login/enrol",
                e,
                Some("totp-wrong-code"),
            ),
            Err(e) => app_error(&ctx, e),
        },
        Err(AppError::InvalidCode) => render(
            StatusCode::UNAUTHORIZED,
            CodePage {
                l: ctx.layout(),
                error: Some("totp-wrong-code"),
                locked_until: None,
            },
        ),
        Err(AppError::LoginLocked { until_ms }) => locked_page(&ctx, until_ms),
        Err(AppError::LoginExpired) => to_login(),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn own_enrol_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    match state.app.start_own_enrolment(&actor).await {
        Ok(e) => enrol_page(&ctx, StatusCode::OK, "/account/two-factor", e, None),
        Err(AppError::Conflict(_)) => Redirect::to("/account").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn own_enrol(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CodeForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    match state.app.confirm_own_enrolment(&actor, &form.code).await {
        Ok(codes) => render(StatusCode::OK, RecoveryCodesPage { l: ctx.layout(), codes }),
        Err(AppError::InvalidCode) => match state.app.start_own_enrolment(&actor).await {
            Ok(e) => enrol_page(
                &ctx,
                StatusCode::BAD_REQUEST,
                "/account/two-factor",
                e,
                Some("totp-wrong-code"),
            ),
            Err(e) => app_error(&ctx, e),
        },
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct AccountForm {
    csrf: String,
    username: String,
}

/// Runs an admin's action on the account named in the form, then back to the accounts page.
async fn on_account<F, Fut>(state: &AppState, ctx: &Ctx, form: &AccountForm, action: F) -> Response
where
    F: FnOnce(Actor, Username) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let actor = match form_actor(state, ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    let Ok(username) = Username::parse(&form.username) else {
        return crate::pages::bad_request(ctx);
    };
    match action(actor, username).await {
        Ok(()) => Redirect::to("/admin/users?done=1").into_response(),
        Err(e) => app_error(ctx, e),
    }
}

pub async fn admin_reset(State(state): State<AppState>, ctx: Ctx, Form(form): Form<AccountForm>) -> Response {
    let app = state.app.clone();
    on_account(&state, &ctx, &form, |actor, name| async move {
        app.reset_two_factor(&actor, &name).await
    })
    .await
}

pub async fn admin_end_sessions(State(state): State<AppState>, ctx: Ctx, Form(form): Form<AccountForm>) -> Response {
    let app = state.app.clone();
    on_account(&state, &ctx, &form, |actor, name| async move {
        app.end_sessions_of(&actor, &name).await.map(|_| ())
    })
    .await
}

/// The roles form: one checkbox per role, named `role-<role>`.
pub async fn admin_required(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let csrf = fields.get("csrf").map_or("", String::as_str);
    let actor = match form_actor(&state, &ctx, csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    let current = match state.app.two_factor_required_roles(&actor).await {
        Ok(roles) => roles,
        Err(e) => return app_error(&ctx, e),
    };
    for role in Role::ALL {
        let want = fields.contains_key(&format!("role-{}", role.as_str()));
        if want != current.contains(&role)
            && let Err(e) = state.app.set_two_factor_required(&actor, role, want).await
        {
            return app_error(&ctx, e);
        }
    }
    Redirect::to("/admin/users?done=1").into_response()
}

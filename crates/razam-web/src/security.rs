//! Headers on every response: no script, no frame, no foreign origin, no referrer, no cache
//! of pages that may hold personal data.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use std::sync::Arc;

use crate::context::lang_cookie_from_query;
use crate::lock::Gate;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn headers(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let secure = gate.config().secure_cookies;
    let lang_cookie = lang_cookie_from_query(request.uri().query(), secure);
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if is_static {
        set(h, header::CACHE_CONTROL, "public, max-age=3600");
    } else {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if secure {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if let Some(cookie) = lang_cookie {
        h.append(header::SET_COOKIE, cookie);
    }
    response
}

/// Runs the rest of a request on its own task, so that it finishes even when the client hangs
/// up. hyper drops the handler of a request whose connection closed; cut at an await, a write
/// could stop between BEGIN and COMMIT (sqlx's begin is not cancel-safe: its connection was
/// left inside a transaction and every later write failed) and an audited read could answer
/// without its audit entry. Only the answer is lost now. A handler that panics gives 500.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::error!(error = %failure, "a request handler failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `[limits] form_kib` as a page says it.
pub(crate) fn form_limit(config: &razam_app::Config) -> String {
    format!("{} KiB ([limits] form_kib)", config.limits.form_kib)
}

/// `[limits] upload_mib` as a page says it.
pub(crate) fn upload_limit(config: &razam_app::Config) -> String {
    format!("{} MiB ([limits] upload_mib)", config.limits.upload_mib)
}

#[derive(askama::Template)]
#[template(path = "too_large.html")]
struct TooLargePage {
    l: crate::context::Layout,
    message: String,
}

/// The 413 page naming the limit and its setting.
pub(crate) fn too_large(ctx: &crate::context::Ctx, limit: &str) -> Response {
    crate::pages::render(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        TooLargePage {
            l: ctx.layout(),
            message: ctx.tr.t1("error-too-large", "limit", limit),
        },
    )
}

/// A body over `[limits] form_kib` is refused by axum with a bare 413; this answers it with
/// the page that names the limit (the API with JSON naming it).
pub async fn explain_too_large(State(state): State<crate::AppState>, request: Request, next: Next) -> Response {
    let (head, body) = request.into_parts();
    let (uri, headers) = (head.uri.clone(), head.headers.clone());
    let response = next.run(Request::from_parts(head, body)).await;
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE
        || response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        return response;
    }
    let limit = form_limit(state.app.config());
    if uri.path().starts_with("/api/") {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({
                "error": format!("the request body is larger than {limit} in razam.toml"),
                "code": "too_large",
            })),
        )
            .into_response();
    }
    let mut parts = match axum::http::Request::builder().uri(uri).body(()) {
        Ok(r) => r.into_parts().0,
        Err(_) => return response,
    };
    parts.headers = headers;
    match <crate::context::Ctx as axum::extract::FromRequestParts<crate::AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(ctx) => too_large(&ctx, &limit),
        Err(_) => response,
    }
}

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

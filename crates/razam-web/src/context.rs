//! What a page needs to know about its request: who is logged in, in which language, and the
//! CSRF token its forms must carry. Cookies are read and written only here.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use razam_app::{Actor, CurrentUser};
use razam_core::role::Permission;
use razam_core::{Locale, Role};

use crate::AppState;
use crate::i18n::Tr;

pub const SESSION_COOKIE: &str = "razam_session";
/// A random value that binds the login form's CSRF token before there is a session.
pub const PRE_COOKIE: &str = "razam_pre";
pub const LANG_COOKIE: &str = "razam_lang";

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when served over TLS.
/// `max_age` 0 deletes the cookie; `None` makes it last for the browser session.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    // Names and values here are ours (hex, language codes), always valid header text.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn query_lang(query: Option<&str>) -> Option<Locale> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Locale::parse(v))
}

/// `?lang=xx` is remembered in a cookie, so the choice sticks on the pages that follow.
pub fn lang_cookie_from_query(query: Option<&str>, secure: bool) -> Option<HeaderValue> {
    query_lang(query).map(|l| set_cookie(LANG_COOKIE, l.code(), Some(365 * 24 * 3600), secure))
}

pub fn pre_binding(pre: &str) -> Vec<u8> {
    [b"pre:".as_slice(), pre.as_bytes()].concat()
}

/// The session's account as [`crate::access::guard`] found it, so that [`Ctx`] reads the
/// session once per request.
#[derive(Clone)]
pub struct ResolvedUser(pub Option<CurrentUser>);

/// The request's context, extracted before every page handler.
pub struct Ctx {
    pub user: Option<CurrentUser>,
    pub tr: Tr,
    pub locale: Locale,
    pub path: String,
    pub pre: Option<String>,
    pub csrf: String,
    /// The person or event row the access layer read to check that the path's record is in
    /// sight, on a GET (`access::guard`); the page passes it on instead of reading it again.
    pub checked: razam_app::compartments::Checked,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
        let app = &state.app;
        let resolved = parts.extensions.get::<ResolvedUser>().map(|r| r.0.clone());
        let mut user = match (resolved, cookie(&parts.headers, SESSION_COOKIE)) {
            (Some(user), _) => user,
            (None, Some(token)) => app.current_user(token).await.map_err(|e| {
                tracing::error!(error = %e, "could not read the session");
                axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            })?,
            (None, None) => None,
        };
        let explicit = query_lang(parts.uri.query());
        // Precedence: a language chosen on this request (and saved to the account), then the
        // account's setting, then the cookie, then what the browser asks for, then English.
        if let (Some(chosen), Some(u)) = (explicit, user.as_mut())
            && u.locale != Some(chosen)
        {
            match app.set_own_locale(&Actor::Account(u.clone()), chosen).await {
                Ok(()) => u.locale = Some(chosen),
                Err(e) => tracing::warn!(error = %e, "could not save the language"),
            }
        }
        let locale = explicit
            .or(user.as_ref().and_then(|u| u.locale))
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Locale::parse))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Locale::from_accept_language)
            })
            .unwrap_or(Locale::En);
        let pre = cookie(&parts.headers, PRE_COOKIE)
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_owned);
        let csrf = match (&user, &pre) {
            (Some(u), _) => app.csrf_token(u.session_binding()),
            (None, Some(p)) => app.csrf_token(&pre_binding(p)),
            (None, None) => String::new(),
        };
        Ok(Ctx {
            user,
            tr: Tr::new(state.i18n.clone(), locale),
            locale,
            path: parts.uri.path().to_owned(),
            pre,
            csrf,
            checked: parts
                .extensions
                .remove::<razam_app::compartments::Checked>()
                .unwrap_or_default(),
        })
    }
}

/// One entry of the language switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What the base layout shows on every page.
pub struct Layout {
    pub tr: Tr,
    pub user: Option<CurrentUser>,
    pub is_admin: bool,
    /// Whether the registry's persons and events are in the menu.
    pub reads_registry: bool,
    /// Whether the role may export the registry to files (the app checks again).
    pub exports: bool,
    /// Whether the intake queue (/triage) is in the navigation.
    pub may_triage: bool,
    /// Whether assistance cases (/assistance) are in the navigation.
    pub assists: bool,
    /// Whether the ledger (/ledger) is in the navigation: for those who keep the books.
    pub keeps_books: bool,

    /// Whether the warehouses (/aid) are in the navigation.
    pub manages_stock: bool,
    /// Whether the shifts (/volunteers) are in the navigation.
    pub shifts: bool,
    pub csrf: String,
    pub languages: Vec<LangLink>,
}

impl Ctx {
    /// The logged-in account as the app's actor, if there is one.
    pub fn actor(&self) -> Option<Actor> {
        self.user.clone().map(Actor::Account)
    }

    /// Whether the logged-in account's role has `permission` (what a page offers; the app
    /// checks again on every use).
    pub fn may(&self, permission: Permission) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.may(permission))
    }

    pub fn layout(&self) -> Layout {
        Layout {
            tr: self.tr.clone(),
            user: self.user.clone(),
            is_admin: self.user.as_ref().is_some_and(|u| u.role == Role::Admin),
            reads_registry: self.may(Permission::ReadRegistry),
            exports: self.may(Permission::Export),
            may_triage: self.may(Permission::WriteRegistry),
            assists: self.may(Permission::ReadAssistance) || self.may(Permission::RequestAssistance),
            keeps_books: self.may(Permission::ReadLedger),

            manages_stock: self.may(Permission::ManageStock),
            shifts: self.may(Permission::ManageShifts) || self.may(Permission::SignUpShifts),
            csrf: self.csrf.clone(),
            languages: Locale::ALL
                .into_iter()
                .map(|l| LangLink {
                    code: l.code(),
                    name: l.native_name(),
                    href: format!("{}?lang={}", self.path, l.code()),
                    current: l == self.locale,
                })
                .collect(),
        }
    }

    /// Whether a form's CSRF token belongs to this session (or, before login, this browser).
    pub fn csrf_ok(&self, app: &razam_app::App, token: &str) -> bool {
        match (&self.user, &self.pre) {
            (Some(u), _) => app.csrf_valid(u.session_binding(), token),
            (None, Some(p)) => app.csrf_valid(&pre_binding(p), token),
            (None, None) => false,
        }
    }
}

/// The address of the connection, when the server was started with it (see `serve`).
pub struct Peer(pub(crate) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

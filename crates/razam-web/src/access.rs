//! Who may reach each page route, declared beside the route in the one table
//! ([`crate::page_routes`]) and checked by a layer before the handler runs: a visitor is sent
//! to the login page, an account whose role lacks the permission gets the 403 page, and no
//! extractor or handler of the route runs for either. The app checks again on every use
//! (`App::require`); this is the first of the two locks, and the one a test can read.
//!
//! `api::routes()` is the same for `/api/v1`, where a bearer token stands for the session.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use razam_core::Role;
use razam_core::role::Permission;

use crate::AppState;
use crate::context::{Ctx, ResolvedUser};
use crate::pages::{app_error, to_login};

/// Who may reach a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (the public pages, the login and the public report form).
    Public,
    /// A login waiting for its second factor (the password given, the code or the enrolment
    /// still owed): no session of any role, only the pending login the password step left
    /// (its cookie, held in memory for five minutes); without one, the login page.
    PendingLogin,
    /// Any logged-in account (its own settings, logging out).
    LoggedIn,
    /// An account whose role has this permission.
    May(Permission),
    /// An account whose role has one of these permissions; the app decides the rest (an
    /// assistance case is read by its requester or by those who may read every case).
    MayAny(&'static [Permission]),
}

impl Access {
    /// Whether an account of `role` (or a visitor, `None`) passes.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            // No session, of whatever role, stands for a pending login.
            (Access::PendingLogin, _) => false,
            (_, None) => false,
            (Access::LoggedIn, Some(_)) => true,
            (Access::May(p), Some(role)) => role.may(p),
            (Access::MayAny(ps), Some(role)) => ps.iter().any(|p| role.may(*p)),
        }
    }

    /// The rule as docs/authorization.md writes it.
    pub fn describe(self) -> String {
        match self {
            Access::Public => "public".to_owned(),
            Access::PendingLogin => "pending login (second factor)".to_owned(),
            Access::LoggedIn => "logged in".to_owned(),
            Access::May(p) => format!("{p:?}"),
            Access::MayAny(ps) => ps.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(" or "),
        }
    }
}

/// Who may reach the assistance pages: a requester (who sees their own cases) or whoever reads
/// every case; each step then asks the app for its own permission.
pub(crate) const ASSISTANCE: &[Permission] = &[Permission::RequestAssistance, Permission::ReadAssistance];

/// Who may reach the shift pages: those who keep the shifts, and volunteers, who sign only
/// themselves up.
pub(crate) const SHIFTS: &[Permission] = &[Permission::ManageShifts, Permission::SignUpShifts];

/// One page route: method, path, its rule and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub(crate) handler: MethodRouter<AppState>,
    /// Whether the route takes a file upload, up to `[limits] upload_mib` instead of the form
    /// limit.
    pub upload: bool,
}

impl Route {
    /// Marks the route as taking a file upload.
    pub(crate) fn upload(mut self) -> Route {
        self.upload = true;
        self
    }
}

/// A route of the table. `handler` is `get(…)` or `post(…)` of the one method given.
pub(crate) fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        access,
        handler,
        upload: false,
    }
}

/// The layer in front of every routed handler: the rule checked with the session's account.
/// The account it found travels on to the handler's [`Ctx`], so the session is read once.
pub(crate) async fn guard(State((state, access)): State<(AppState, Access)>, request: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    if access == Access::PendingLogin {
        let pending = crate::two_factor::pending_token(request.headers()).and_then(|t| state.app.pending_login(t));
        return match pending {
            Some(_) => next.run(request).await,
            None => to_login(),
        };
    }
    let (mut parts, body) = request.into_parts();
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => ctx,
        Err(refused) => return refused,
    };
    match &ctx.user {
        None => return to_login(),
        Some(user) if !access.allows(Some(user.role)) => {
            return app_error(&ctx, razam_app::AppError::Forbidden);
        }
        Some(_) => {}
    }
    parts.extensions.insert(ResolvedUser(ctx.user));
    next.run(Request::from_parts(parts, body)).await
}

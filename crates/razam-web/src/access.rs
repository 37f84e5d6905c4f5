//! Who may reach each page route, declared beside the route in the one table
//! ([`crate::page_routes`]) and checked by a layer before the handler runs: a visitor is sent
//! to the login page, an account whose role lacks the permission gets the 403 page, and no
//! extractor or handler of the route runs for either. The app checks again on every use
//! (`App::require`); this is the first of the two locks, and the one a test can read.
//!
//! `api::routes()` is the same for `/api/v1`, where a bearer token stands for the session.
//!
//! A route whose path takes a record (`{id}`) also says what the record is ([`PathRecord`]):
//! for a person, event, merge or evidence item the layer asks the app whether the record is in
//! the account's sight (compartments) and answers 404 if not, exactly as for a record that
//! does not exist; a route that leaves it undeclared fails `authz::*`.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use razam_app::compartments::RecordKind;
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

/// What the record a route's path names (`{id}`) is, for the compartment check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRecord {
    /// The path names no record.
    Nothing,
    /// A record that can be in a compartment: checked by the layer (404 out of sight).
    Record(RecordKind),
    /// A record that is never in a compartment, and what it is (an election, a ledger
    /// account, an assistance case, …).
    Uncompartmented(&'static str),
    /// The path takes a record and the route does not say which: `authz::*` fails on it.
    Undeclared,
}

impl PathRecord {
    /// As docs/authorization.md writes it.
    pub fn describe(self) -> String {
        match self {
            PathRecord::Nothing => String::new(),
            PathRecord::Record(kind) => format!("{kind:?} (compartments)"),
            PathRecord::Uncompartmented(what) => what.to_owned(),
            PathRecord::Undeclared => "undeclared".to_owned(),
        }
    }
}

/// One page route: method, path, its rule and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// What the path's `{…}` names.
    pub record: PathRecord,
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

    /// Declares the path's record as one that can be in a compartment: the layer answers 404
    /// when it is out of the account's sight.
    pub(crate) fn names(mut self, kind: RecordKind) -> Route {
        self.record = PathRecord::Record(kind);
        self
    }

    /// Declares the path's record (`what`) as one that is never in a compartment.
    pub(crate) fn uncompartmented(mut self, what: &'static str) -> Route {
        self.record = PathRecord::Uncompartmented(what);
        self
    }
}

/// A route of the table. `handler` is `get(…)` or `post(…)` of the one method given.
pub(crate) fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        access,
        record: if path.contains('{') {
            PathRecord::Undeclared
        } else {
            PathRecord::Nothing
        },
        handler,
        upload: false,
    }
}

/// The layer in front of every routed handler: the rule checked with the session's account.
/// The account it found travels on to the handler's [`Ctx`], so the session is read once.
pub(crate) async fn guard(
    State((state, access, record)): State<(AppState, Access, PathRecord)>,
    request: Request,
    next: Next,
) -> Response {
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
        Some(user) => {
            let actor = razam_app::Actor::Account(user.clone());
            match record_in_sight(&state, &mut parts, &actor, record).await {
                // Only a GET's page shows the row as read here: a POST may change it first.
                Ok(checked) if parts.method == axum::http::Method::GET => {
                    parts.extensions.insert(checked);
                }
                Ok(_) => {}
                Err(e) => return app_error(&ctx, e),
            }
        }
    }
    parts.extensions.insert(ResolvedUser(ctx.user));
    next.run(Request::from_parts(parts, body)).await
}

/// For a route whose path names a record that can be in a compartment: "not found" when the
/// record is out of `actor`'s sight, else the row read to tell. A path id that is no number
/// passes (the handler says "not found" itself).
pub(crate) async fn record_in_sight(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
    actor: &razam_app::Actor,
    record: PathRecord,
) -> Result<razam_app::compartments::Checked, razam_app::AppError> {
    let PathRecord::Record(kind) = record else {
        return Ok(Default::default());
    };
    let Ok(params) = axum::extract::RawPathParams::from_request_parts(parts, state).await else {
        return Ok(Default::default());
    };
    let Some(id) = params.iter().next().and_then(|(_, v)| v.parse::<i64>().ok()) else {
        return Ok(Default::default());
    };
    state.app.record_in_sight(actor, kind, id).await
}

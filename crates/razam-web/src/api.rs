//! The JSON API under `/api/v1`: the registry's operations for scripts, described by the
//! hand-written OpenAPI document in `static/openapi.json`.
//!
//! Each handler parses its JSON at this edge into the app's input types and makes the same
//! call on [`razam_app::App`] as the page for the same operation, so authorisation, audit and
//! sealing are the app's, never this file's. A request authenticates with
//! `Authorization: Bearer <token>` only: cookies are not read here, so a browser's session
//! cannot be ridden by another site and no CSRF token is needed. [`routes`] is the one list of
//! what is served; a test holds it against the document's paths.

mod ledger;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use razam_app::compartments::RecordKind;
use razam_app::registry::{
    EventDetails, EventFilter, EventInput, EventView, Identity, PersonCard, PersonFilter, PersonInput, PersonView,
    VersionView, normalise_region,
};
use razam_app::{Actor, AppError, CurrentUser};
use razam_core::registry::{
    Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, PrisonerStatus, parse_articles,
};
use razam_core::role::Permission;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::access::{Access, Route, route};

mod aid;
mod erasure;
mod solidarity;
mod volunteers;

/// The OpenAPI 3.1 document, served as it is written.
pub const OPENAPI: &str = include_str!("../static/openapi.json");

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

/// Every route of the API: method, path below `/api/v1`, who may call it
/// ([`crate::access::Access`]), handler. The router is built from this list, the test compares
/// it with the OpenAPI document, so neither can drift, and `authz::every_route_answers_each_role_by_its_rule` calls each
/// route with a token of every role.
pub fn routes() -> Vec<Route> {
    use Access::{May, MayAny, Public};
    use Permission::{
        ErasePersons, ManageCampaigns, ManageLedger, ManageShifts, ManageStock, ReadLedger, ReadRegistry, Recognise,
        RequestAssistance, WriteRegistry,
    };
    vec![
        route(Method::GET, "/persons", May(ReadRegistry), get(list_persons)),
        route(Method::POST, "/persons", May(WriteRegistry), post(create_person)),
        route(Method::GET, "/persons/{id}", May(ReadRegistry), get(read_person)).names(RecordKind::Person),
        route(Method::PUT, "/persons/{id}", May(WriteRegistry), put(update_person)).names(RecordKind::Person),
        route(
            Method::GET,
            "/persons/{id}/history",
            May(ReadRegistry),
            get(person_history),
        )
        .names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/recognition",
            May(Recognise),
            post(recognise),
        )
        .names(RecordKind::Person),
        route(Method::POST, "/persons/{id}/statuses", May(Recognise), post(add_status)).names(RecordKind::Person),
        route(
            Method::POST,
            "/persons/{id}/erase",
            May(ErasePersons),
            post(erasure::erase_person),
        )
        .names(RecordKind::Person),
        route(
            Method::GET,
            "/persons/{id}/duplicates",
            May(WriteRegistry),
            get(person_duplicates),
        )
        .names(RecordKind::Person),
        route(Method::GET, "/duplicates", May(WriteRegistry), get(duplicates)),
        route(
            Method::POST,
            "/duplicates/distinct",
            May(WriteRegistry),
            post(mark_distinct),
        ),
        route(Method::POST, "/merges", May(WriteRegistry), post(merge_persons)),
        route(Method::POST, "/merges/{id}/undo", May(WriteRegistry), post(undo_merge)).names(RecordKind::Merge),
        route(Method::GET, "/events", May(ReadRegistry), get(list_events)),
        route(Method::POST, "/events", May(WriteRegistry), post(create_event)),
        route(Method::GET, "/events/{id}", May(ReadRegistry), get(read_event)).names(RecordKind::Event),
        route(Method::PUT, "/events/{id}", May(WriteRegistry), put(update_event)).names(RecordKind::Event),
        route(
            Method::GET,
            "/events/{id}/history",
            May(ReadRegistry),
            get(event_history),
        )
        .names(RecordKind::Event),
        route(
            Method::GET,
            "/events/{id}/sources",
            May(ReadRegistry),
            get(list_sources),
        )
        .names(RecordKind::Event),
        route(
            Method::POST,
            "/events/{id}/sources",
            May(WriteRegistry),
            post(add_source),
        )
        .names(RecordKind::Event),
        route(Method::GET, "/intake", May(WriteRegistry), get(intake_queue)),
        route(Method::GET, "/intake/{id}", May(WriteRegistry), get(intake_report))
            .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/intake/{id}/accept",
            May(WriteRegistry),
            post(intake_accept),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/intake/{id}/merge",
            May(WriteRegistry),
            post(intake_merge),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
        route(
            Method::POST,
            "/intake/{id}/reject",
            May(WriteRegistry),
            post(intake_reject),
        )
        .uncompartmented("intake report (names a person only once accepted)"),
        route(Method::GET, "/search", May(ReadRegistry), get(search)),
        route(Method::GET, "/figures", Public, get(crate::figures::json)),
        route(Method::GET, "/ledger/accounts", May(ReadLedger), get(ledger::accounts)),
        route(
            Method::GET,
            "/ledger/accounts/{id}",
            May(ReadLedger),
            get(ledger::read_account),
        )
        .uncompartmented("ledger account"),
        route(
            Method::GET,
            "/ledger/transfers",
            May(ReadLedger),
            get(ledger::transfers),
        ),
        route(Method::POST, "/ledger/transfers", May(ManageLedger), post(ledger::book)),
        route(
            Method::GET,
            "/ledger/transfers/{id}",
            May(ReadLedger),
            get(ledger::read_transfer),
        )
        .uncompartmented("ledger transfer"),
        route(
            Method::POST,
            "/ledger/transfers/{id}/reversal",
            May(ManageLedger),
            post(ledger::reverse),
        )
        .uncompartmented("ledger transfer"),
        route(Method::GET, "/ledger/check", May(ReadLedger), get(ledger::check)),
        route(
            Method::POST,
            "/ledger/statements",
            May(ManageLedger),
            post(ledger::import_statement),
        )
        .upload(),
        route(Method::GET, "/ledger/queue", May(ReadLedger), get(ledger::queue)),
        route(
            Method::POST,
            "/ledger/csv-mappings",
            May(ManageLedger),
            post(ledger::set_csv_mapping),
        ),
        route(
            Method::POST,
            "/ledger/queue/{id}/resolution",
            May(ManageLedger),
            post(ledger::resolve),
        )
        .uncompartmented("reconciliation queue entry (a bank entry, no person)"),
        route(
            Method::GET,
            "/campaigns",
            May(ManageCampaigns),
            get(solidarity::list_campaigns),
        ),
        route(
            Method::POST,
            "/campaigns",
            May(ManageCampaigns),
            post(solidarity::create_campaign),
        ),
        route(
            Method::GET,
            "/campaigns/{code}",
            May(ManageCampaigns),
            get(solidarity::read_campaign),
        )
        .uncompartmented("campaign"),
        route(
            Method::PUT,
            "/campaigns/{code}",
            May(ManageCampaigns),
            put(solidarity::update_campaign),
        )
        .uncompartmented("campaign"),
        route(
            Method::GET,
            "/campaigns/{code}/donations",
            May(ManageCampaigns),
            get(solidarity::list_donations),
        )
        .uncompartmented("campaign"),
        route(
            Method::POST,
            "/campaigns/{code}/donations",
            May(ManageCampaigns),
            post(solidarity::record_donation),
        )
        .uncompartmented("campaign"),
        route(
            Method::GET,
            "/assistance",
            MayAny(crate::access::ASSISTANCE),
            get(solidarity::list_cases),
        ),
        route(
            Method::POST,
            "/assistance",
            May(RequestAssistance),
            post(solidarity::request_case),
        ),
        route(
            Method::GET,
            "/assistance/{reference}",
            MayAny(crate::access::ASSISTANCE),
            get(solidarity::read_case),
        )
        .uncompartmented("assistance case (opaque reference, read by its requester or case readers)"),
        route(
            Method::POST,
            "/assistance/{reference}/{action}",
            MayAny(crate::access::ASSISTANCE),
            post(solidarity::step_case),
        )
        .uncompartmented("assistance case (opaque reference, read by its requester or case readers)"),
        route(Method::GET, "/transparency", Public, get(solidarity::transparency)),
        route(Method::GET, "/aid/stock", May(ManageStock), get(aid::stock)),
        route(Method::GET, "/aid/movements", May(ManageStock), get(aid::movements)),
        route(
            Method::POST,
            "/aid/movements",
            May(ManageStock),
            post(aid::record_movement),
        ),
        route(Method::GET, "/aid/items", May(ManageStock), get(aid::items)),
        route(Method::POST, "/aid/items", May(ManageStock), post(aid::create_item)),
        route(Method::GET, "/aid/items/{id}", May(ManageStock), get(aid::item)).uncompartmented("catalogue item"),
        route(Method::GET, "/aid/warehouses", May(ManageStock), get(aid::warehouses)),
        route(
            Method::POST,
            "/aid/warehouses",
            May(ManageStock),
            post(aid::create_warehouse),
        ),
        route(
            Method::GET,
            "/aid/warehouses/{id}",
            May(ManageStock),
            get(aid::warehouse),
        )
        .uncompartmented("warehouse"),
        route(Method::GET, "/aid/shipments", May(ManageStock), get(aid::shipments)),
        route(
            Method::POST,
            "/aid/shipments",
            May(ManageStock),
            post(aid::create_shipment),
        ),
        route(Method::GET, "/aid/shipments/{id}", May(ManageStock), get(aid::shipment)).uncompartmented("shipment"),
        route(
            Method::POST,
            "/aid/shipments/{id}/advance",
            May(ManageStock),
            post(aid::advance_shipment),
        )
        .uncompartmented("shipment"),
        route(
            Method::GET,
            "/volunteers",
            May(ManageShifts),
            get(volunteers::volunteers),
        ),
        route(
            Method::POST,
            "/volunteers",
            May(ManageShifts),
            post(volunteers::create_volunteer),
        ),
        route(
            Method::GET,
            "/volunteers/{id}",
            May(ManageShifts),
            get(volunteers::volunteer),
        )
        .uncompartmented("volunteer profile (not a registry record)"),
        route(
            Method::GET,
            "/places",
            MayAny(crate::access::SHIFTS),
            get(volunteers::places),
        ),
        route(
            Method::POST,
            "/places",
            May(ManageShifts),
            post(volunteers::create_place),
        ),
        route(
            Method::POST,
            "/shifts",
            May(ManageShifts),
            post(volunteers::create_shift),
        ),
        route(Method::GET, "/shifts", MayAny(crate::access::SHIFTS), get(aid::shifts)),
        route(
            Method::GET,
            "/shifts/coverage",
            MayAny(crate::access::SHIFTS),
            get(aid::coverage),
        ),
        route(
            Method::POST,
            "/shifts/{id}/sign-up",
            MayAny(crate::access::SHIFTS),
            post(aid::sign_up),
        )
        .uncompartmented("shift"),
        route(
            Method::POST,
            "/shifts/{id}/cancel",
            MayAny(crate::access::SHIFTS),
            post(aid::cancel),
        )
        .uncompartmented("shift"),
        route(Method::GET, "/openapi.json", Public, get(openapi)),
    ]
}

/// The API's router, to be nested under `/api/v1`.
pub fn router(state: &AppState) -> Router<AppState> {
    let upload_bytes = state.app.config().limits.upload_bytes();
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| {
            let guard = axum::middleware::from_fn_with_state((state.clone(), r.access, r.record), api_guard);
            // A statement is a file, not a form: it gets the upload limit (`[limits]`).
            let handler = if r.upload {
                r.handler.layer(axum::extract::DefaultBodyLimit::max(upload_bytes))
            } else {
                r.handler
            };
            router.route(r.path, handler.route_layer(guard))
        })
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take this method: see /api/v1/openapi.json",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such API route: see /api/v1/openapi.json")
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error as JSON: `{"error": "...", "fields": {"field": "why"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: String,
    fields: BTreeMap<String, String>,
}

impl ApiError {
    fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: error.into(),
            fields: BTreeMap::new(),
        }
    }

    fn unauthorised() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: send `Authorization: Bearer <token>` with a live token",
        )
    }

    fn invalid(fields: BTreeMap<String, String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            error: "some fields are not valid".into(),
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error });
        if !self.fields.is_empty() {
            body["fields"] = json!(self.fields);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The caller's mistakes as 4xx with their reason; ours as 500 with the cause chain logged
/// (errors carry ids and kinds, never content).
impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            AppError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            AppError::BadInput(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            e if e.is_bad_input() => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()),
            e => {
                let chain: Vec<String> = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                    .map(ToString::to_string)
                    .collect();
                tracing::error!(error = chain.join(": "), "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the cause is logged")
            }
        }
    }
}

type ApiResult = Result<Response, ApiError>;

/// 201 for a record written now, 200 for an answer that wrote nothing (a retry under the
/// same idempotency key, a file already imported).
fn created_or_ok(new: bool) -> StatusCode {
    if new { StatusCode::CREATED } else { StatusCode::OK }
}

fn ok<T: Serialize>(status: StatusCode, value: T) -> ApiResult {
    Ok((status, axum::Json(value)).into_response())
}

/// A JSON body, or 400 saying why it does not parse.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

/// Collects what is wrong with each field, to answer all of them at once.
#[derive(Default)]
struct Problems(BTreeMap<String, String>);

impl Problems {
    fn add(&mut self, field: &str, why: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| why.into());
    }

    fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    fn done(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.0))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication

/// The account a request's bearer token acts for.
pub struct ApiActor(Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiActor, ApiError> {
        if let Some(ResolvedApiUser(user)) = parts.extensions.get::<ResolvedApiUser>() {
            return Ok(ApiActor(Actor::Account(user.clone())));
        }
        Ok(ApiActor(Actor::Account(bearer_user(parts, state).await?)))
    }
}

/// The account of the request's live bearer token, or 401.
async fn bearer_user(parts: &Parts, state: &AppState) -> Result<CurrentUser, ApiError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(ApiError::unauthorised)?;
    state.app.api_user(token).await?.ok_or_else(ApiError::unauthorised)
}

/// The account [`api_guard`] found, so that the token is looked up once per request.
#[derive(Clone)]
struct ResolvedApiUser(CurrentUser);

/// The route's rule checked before its extractors and handler run: 401 without a live token,
/// 403 for a role without the permission (the app checks again on every use).
async fn api_guard(
    State((state, access, record)): State<(AppState, Access, crate::access::PathRecord)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let user = match bearer_user(&parts, &state).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    if !access.allows(Some(user.role)) {
        return ApiError::from(AppError::Forbidden).into_response();
    }
    let actor = Actor::Account(user.clone());
    if let Err(e) = crate::access::record_in_sight(&state, &mut parts, &actor, record).await {
        return ApiError::from(e).into_response();
    }
    parts.extensions.insert(ResolvedApiUser(user));
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

/// A field that may be given as null: absent is `None`, null is `Some(None)`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A record id from the path; anything but a positive number is a record that does not exist.
pub struct RecordId(i64);

impl FromRequestParts<AppState> for RecordId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<RecordId, ApiError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such record"))?;
        match text.parse::<i64>() {
            Ok(id) if id > 0 => Ok(RecordId(id)),
            _ => Err(ApiError::new(StatusCode::NOT_FOUND, "no such record")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Persons

/// A person as written by a client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    patronymic: String,
    #[serde(default)]
    variants: Vec<String>,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    contacts: String,
    #[serde(default)]
    notes: String,
    region: Option<String>,
    confidentiality: Option<String>,
    #[serde(default)]
    consent_to_publish: bool,
    /// The compartment's id (one the writer is a member of), or null for none; left out of a
    /// change, the record stays where it is.
    #[serde(default, deserialize_with = "present")]
    compartment: Option<Option<i64>>,
    /// Required when changing a person: the version the change was made against.
    version: Option<i64>,
    // What a read answers besides the fields above: accepted back and ignored, so that a
    // script may PUT what it read, changed, while a misspelt field is still refused.
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    #[serde(default, rename = "label")]
    _label: Option<IgnoredAny>,
    #[serde(default, rename = "recognized_on")]
    _recognized_on: Option<IgnoredAny>,
    #[serde(default, rename = "status")]
    _status: Option<IgnoredAny>,
    #[serde(default, rename = "events")]
    _events: Option<IgnoredAny>,
    #[serde(default, rename = "recognition")]
    _recognition: Option<IgnoredAny>,
    #[serde(default, rename = "merged_into")]
    _merged_into: Option<IgnoredAny>,
    #[serde(default, rename = "merged_from")]
    _merged_from: Option<IgnoredAny>,
    #[serde(default, rename = "erased_on")]
    _erased_on: Option<IgnoredAny>,
    #[serde(default, rename = "statuses")]
    _statuses: Option<IgnoredAny>,
}

fn confidentiality(p: &mut Problems, level: Option<&str>) -> Option<Confidentiality> {
    match level {
        None => {
            p.add("confidentiality", "required: public, internal or restricted");
            None
        }
        Some(text) => {
            let level = Confidentiality::parse(text);
            if level.is_none() {
                p.add("confidentiality", "one of public, internal, restricted");
            }
            level
        }
    }
}

fn person_input(body: PersonBody, p: &mut Problems) -> Option<PersonInput> {
    let trim = |s: String| s.trim().to_owned();
    if body.given_name.trim().is_empty() && body.family_name.trim().is_empty() {
        p.add("family_name", "give a family name or a given name");
    }
    if !body.birth_date.trim().is_empty() {
        p.check("birth_date", FuzzyDate::parse(body.birth_date.trim()));
    }
    let level = confidentiality(p, body.confidentiality.as_deref());
    Some(PersonInput {
        identity: Identity {
            given_name: trim(body.given_name),
            family_name: trim(body.family_name),
            patronymic: trim(body.patronymic),
            variants: body
                .variants
                .into_iter()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect(),
            birth_date: trim(body.birth_date),
            contacts: trim(body.contacts),
            notes: trim(body.notes),
        },
        region: body.region.as_deref().and_then(normalise_region),
        confidentiality: level?,
        consent_to_publish: body.consent_to_publish,
    })
}

#[derive(Serialize)]
struct StatusOut {
    status: &'static str,
    since: String,
}

/// A person's own fields: what the duplicates' items show of each person.
#[derive(Serialize)]
struct PersonCardOut {
    id: i64,
    label: String,
    given_name: String,
    family_name: String,
    patronymic: String,
    variants: Vec<String>,
    birth_date: String,
    contacts: String,
    notes: String,
    region: Option<String>,
    confidentiality: &'static str,
    consent_to_publish: bool,
    version: i64,
    merged_into: Option<i64>,
    erased_on: Option<String>,
    compartment: Option<i64>,
}

fn card_out(c: PersonCard) -> PersonCardOut {
    PersonCardOut {
        id: c.id,
        label: c.label,
        given_name: c.identity.given_name,
        family_name: c.identity.family_name,
        patronymic: c.identity.patronymic,
        variants: c.identity.variants,
        birth_date: c.identity.birth_date,
        contacts: c.identity.contacts,
        notes: c.identity.notes,
        region: c.region,
        confidentiality: c.confidentiality.as_str(),
        consent_to_publish: c.consent_to_publish,
        version: c.version,
        merged_into: c.merged_into,
        erased_on: c.erased_on,
        compartment: c.compartment,
    }
}

/// A person: their own fields and their group's recognition and latest status.
#[derive(Serialize)]
struct PersonOut {
    #[serde(flatten)]
    card: PersonCardOut,
    recognized_on: Option<String>,
    status: Option<StatusOut>,
}

fn person_out(v: PersonView) -> PersonOut {
    PersonOut {
        card: card_out(v.card()),
        recognized_on: v.recognized_on,
        status: v.status.map(|(s, since)| StatusOut {
            status: s.as_str(),
            since,
        }),
    }
}

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    /// Pass as `before` to get the next page; `null` on the last page.
    next_before: Option<i64>,
}

fn page<T>(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Page<T> {
    let next_before = if items.len() as i64 == limit {
        items.last().map(id)
    } else {
        None
    };
    Page { items, next_before }
}

#[derive(Deserialize)]
struct PersonQuery {
    region: Option<String>,
    status: Option<String>,
    as_of: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

fn paging(p: &mut Problems, before: Option<&str>, limit: Option<&str>) -> (Option<i64>, i64) {
    let before = before.filter(|s| !s.is_empty()).and_then(|s| match s.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            p.add("before", "a record id (a positive whole number)");
            None
        }
    });
    let limit = match limit.filter(|s| !s.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                p.add("limit", format!("a whole number from 1 to {MAX_LIMIT}"));
                DEFAULT_LIMIT
            }
        },
    };
    (before, limit)
}

fn optional_day(p: &mut Problems, field: &str, text: Option<&str>) -> Option<String> {
    let text = text.filter(|s| !s.is_empty())?;
    p.check(field, Day::parse(text)).map(|d| d.to_string())
}

async fn list_persons(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PersonQuery>,
) -> ApiResult {
    let mut p = Problems::default();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let known = ["held", "released", "recognised", "not_recognised"]
                .into_iter()
                .find(|k| *k == s);
            if known.is_none() {
                p.add("status", "one of held, released, recognised, not_recognised");
            }
            known
        }
    };
    let as_of = optional_day(&mut p, "as_of", q.as_of.as_deref());
    let (before, limit) = paging(&mut p, q.before.as_deref(), q.limit.as_deref());
    p.done()?;
    let filter = PersonFilter {
        region: q.region.as_deref().and_then(normalise_region),
        status,
        as_of,
        ..PersonFilter::default()
    };
    let persons = state.app.list_persons(&actor, filter, before, limit).await?;
    let items: Vec<PersonOut> = persons.into_iter().map(person_out).collect();
    ok(StatusCode::OK, page(items, limit, |x| x.card.id))
}

async fn create_person(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: PersonBody = parse_body(&body)?;
    let mut p = Problems::default();
    if body.version.is_some() {
        p.add("version", "not allowed when creating: a new person starts at version 1");
    }
    let compartment = body.compartment;
    let input = person_input(body, &mut p);
    p.done()?;
    let Some(input) = input else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    let id = state
        .app
        .create_person_in(&actor, &input, compartment.flatten())
        .await?;
    created_person(&state, &actor, id).await
}

async fn created_person(state: &AppState, actor: &Actor, id: i64) -> ApiResult {
    let person = state.app.person_page(actor, id).await?;
    let mut response = ok(StatusCode::CREATED, person_detail(person))?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/persons/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Serialize)]
struct RecognitionOut {
    recognized_on: String,
    criteria: String,
    reasoning: String,
    reviewer: String,
}

#[derive(Serialize)]
struct PersonEventOut {
    role: &'static str,
    #[serde(flatten)]
    event: EventOut,
}

#[derive(Serialize)]
struct PersonDetail {
    #[serde(flatten)]
    person: PersonOut,
    events: Vec<PersonEventOut>,
    recognition: Option<RecognitionOut>,
    statuses: Vec<StatusOut>,
    /// The persons merged into this one, each with its own records.
    merged_from: Vec<MergedOut>,
}

#[derive(Serialize)]
struct MergedOut {
    merge_id: i64,
    merged_by: String,
    merged_at_ms: i64,
    person: PersonOut,
    events: Vec<PersonEventOut>,
    recognition: Option<RecognitionOut>,
    statuses: Vec<StatusOut>,
}

type OwnRecords = (Vec<PersonEventOut>, Option<RecognitionOut>, Vec<StatusOut>);

fn records_out(
    events: Vec<(EventView, razam_core::registry::PersonRole)>,
    recognition: Option<razam_app::registry::RecognitionView>,
    statuses: Vec<(razam_core::registry::PrisonerStatus, String)>,
) -> OwnRecords {
    (
        events
            .into_iter()
            .map(|(e, role)| PersonEventOut {
                role: role.as_str(),
                event: event_out(e),
            })
            .collect(),
        recognition.map(|r| RecognitionOut {
            recognized_on: r.recognized_on,
            criteria: r.criteria,
            reasoning: r.reasoning,
            reviewer: r.reviewer,
        }),
        statuses
            .into_iter()
            .map(|(s, since)| StatusOut {
                status: s.as_str(),
                since,
            })
            .collect(),
    )
}

fn person_detail(page: razam_app::registry::PersonPage) -> PersonDetail {
    let (events, recognition, statuses) = records_out(page.events, page.recognition, page.statuses);
    PersonDetail {
        person: person_out(page.person),
        events,
        recognition,
        statuses,
        merged_from: page
            .merged_from
            .into_iter()
            .map(|m| {
                let (events, recognition, statuses) = records_out(m.events, m.recognition, m.statuses);
                MergedOut {
                    merge_id: m.merge_id,
                    merged_by: m.merged_by,
                    merged_at_ms: m.merged_at_ms,
                    person: person_out(m.person),
                    events,
                    recognition,
                    statuses,
                }
            })
            .collect(),
    }
}

/// Reading a person is audited by the app, as for the page.
async fn read_person(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let person = state.app.person_page(&actor, id).await?;
    ok(StatusCode::OK, person_detail(person))
}

async fn update_person(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: PersonBody = parse_body(&body)?;
    let mut p = Problems::default();
    let version = body.version;
    if version.is_none() {
        p.add("version", "required: the version your change was made against");
    }
    let compartment = body.compartment;
    let input = person_input(body, &mut p);
    p.done()?;
    let (Some(input), Some(version)) = (input, version) else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    state
        .app
        .update_person_in(&actor, id, version, &input, compartment)
        .await?;
    let person = state.app.person_page(&actor, id).await?;
    ok(StatusCode::OK, person_detail(person))
}

#[derive(Serialize)]
struct ChangeOut {
    field: String,
    before: String,
    after: String,
}

#[derive(Serialize)]
struct VersionOut {
    version: i64,
    at_ms: i64,
    actor: String,
    changes: Vec<ChangeOut>,
}

fn history_out(versions: Vec<VersionView>) -> Vec<VersionOut> {
    versions
        .into_iter()
        .map(|v| VersionOut {
            version: v.version,
            at_ms: v.at_ms,
            actor: v.actor,
            changes: v
                .changes
                .into_iter()
                .map(|(field, before, after)| ChangeOut { field, before, after })
                .collect(),
        })
        .collect()
}

async fn person_history(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let versions = state.app.history(&actor, "person", id).await?;
    ok(StatusCode::OK, json!({ "versions": history_out(versions) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecognitionBody {
    recognized_on: Option<String>,
    #[serde(default)]
    criteria: String,
    #[serde(default)]
    reasoning: String,
}

async fn recognise(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: RecognitionBody = parse_body(&body)?;
    let mut p = Problems::default();
    let day = match body.recognized_on.as_deref() {
        None => {
            p.add("recognized_on", "required: the decision's date, YYYY-MM-DD");
            None
        }
        Some(text) => p.check("recognized_on", Day::parse(text.trim())),
    };
    p.done()?;
    let Some(day) = day else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    state
        .app
        .recognise(&actor, id, day, &body.criteria, &body.reasoning)
        .await?;
    let person = state.app.person_page(&actor, id).await?;
    ok(StatusCode::OK, person_detail(person))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: Option<String>,
    on: Option<String>,
}

async fn add_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: StatusBody = parse_body(&body)?;
    let mut p = Problems::default();
    let status = body.status.as_deref().and_then(PrisonerStatus::parse);
    if status.is_none() {
        p.add("status", "one of held, released, pardoned, died");
    }
    let day = match body.on.as_deref() {
        None => {
            p.add("on", "required: the day the status starts, YYYY-MM-DD");
            None
        }
        Some(text) => p.check("on", Day::parse(text.trim())),
    };
    p.done()?;
    let (Some(status), Some(day)) = (status, day) else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    state.app.add_status(&actor, id, status, day).await?;
    let person = state.app.person_page(&actor, id).await?;
    ok(StatusCode::CREATED, person_detail(person))
}

// ---------------------------------------------------------------------------------------------
// Duplicates and merges

#[derive(Serialize)]
struct FieldEvidenceOut {
    field: &'static str,
    agreement: &'static str,
    weight: f64,
}

#[derive(Serialize)]
struct EvidenceOut {
    probability: f64,
    match_weight: f64,
    fields: Vec<FieldEvidenceOut>,
}

fn evidence_out(e: &razam_app::duplicates::Evidence) -> EvidenceOut {
    EvidenceOut {
        probability: e.probability,
        match_weight: e.match_weight,
        fields: e
            .fields
            .iter()
            .map(|f| FieldEvidenceOut {
                field: razam_app::duplicates::field_name(f.field),
                agreement: razam_app::duplicates::agreement_name(f.agreement),
                weight: f.weight,
            })
            .collect(),
    }
}

async fn duplicates(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let pairs = state.app.duplicate_candidates(&actor).await?;
    let items: Vec<Value> = pairs
        .into_iter()
        .map(|p| {
            json!({
                "evidence": evidence_out(&p.evidence),
                "survivor": card_out(p.survivor),
                "merged": card_out(p.merged),
            })
        })
        .collect();
    ok(StatusCode::OK, json!({ "items": items }))
}

async fn person_duplicates(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let page = state.app.person_page(&actor, id).await?;
    let found = state
        .app
        .probable_matches(&actor, &page.person.identity, &page.never_duplicates())
        .await?;
    let items: Vec<Value> = found
        .into_iter()
        .map(|(p, e)| json!({ "evidence": evidence_out(&e), "person": card_out(p) }))
        .collect();
    ok(StatusCode::OK, json!({ "items": items }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistinctBody {
    person_ids: [i64; 2],
}

async fn mark_distinct(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: DistinctBody = parse_body(&body)?;
    let [a, b] = body.person_ids;
    state.app.mark_distinct(&actor, a, b).await?;
    ok(StatusCode::OK, json!({ "person_ids": [a.min(b), a.max(b)] }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonsMergeBody {
    survivor_id: i64,
    survivor_version: i64,
    merged_id: i64,
    merged_version: i64,
}

async fn merge_persons(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: PersonsMergeBody = parse_body(&body)?;
    let merge = state
        .app
        .merge_persons(
            &actor,
            (body.survivor_id, body.survivor_version),
            (body.merged_id, body.merged_version),
        )
        .await?;
    let page = state.app.person_page(&actor, body.survivor_id).await?;
    ok(
        StatusCode::CREATED,
        json!({ "merge_id": merge, "survivor": person_detail(page) }),
    )
}

async fn undo_merge(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let (survivor, merged) = state.app.undo_merge(&actor, id).await?;
    ok(
        StatusCode::OK,
        json!({ "merge_id": id, "survivor_id": survivor, "merged_id": merged }),
    )
}

// ---------------------------------------------------------------------------------------------
// Events

/// Articles as a list (`["342", "361-1"]`) or as one `;`-separated text (`"342; 361-1"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Articles {
    List(Vec<String>),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventPerson {
    person_id: i64,
    role: String,
    /// Answered by a read; ignored when sent back.
    #[serde(default, rename = "label")]
    _label: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    kind: Option<String>,
    date: Option<String>,
    region: Option<String>,
    arrest_days: Option<i64>,
    term_months: Option<i64>,
    #[serde(default)]
    district: String,
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    facility: String,
    #[serde(default)]
    description: String,
    confidentiality: Option<String>,
    articles: Option<Articles>,
    #[serde(default)]
    persons: Vec<EventPerson>,
    /// The compartment's id (one the writer is a member of), or null for none; left out of a
    /// change, the record stays where it is.
    #[serde(default, deserialize_with = "present")]
    compartment: Option<Option<i64>>,
    version: Option<i64>,
    /// When creating: the same key again creates nothing and answers the first event (200).
    #[serde(default)]
    idempotency_key: Option<String>,
    // Answered by a read; accepted back and ignored (see `PersonBody`).
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    #[serde(default, rename = "date_first")]
    _date_first: Option<IgnoredAny>,
    #[serde(default, rename = "date_last")]
    _date_last: Option<IgnoredAny>,
}

fn event_input(body: EventBody, p: &mut Problems) -> Option<EventInput> {
    let kind = match body.kind.as_deref() {
        None => {
            p.add("kind", "required: the kind of event");
            None
        }
        Some(text) => {
            let kind = EventKind::parse(text);
            if kind.is_none() {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                p.add("kind", format!("one of {}", all.join(", ")));
            }
            kind
        }
    };
    let date = match body.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(text) => p.check("date", FuzzyDate::parse(text)).map(Some),
    };
    for (field, n) in [("arrest_days", body.arrest_days), ("term_months", body.term_months)] {
        if n.is_some_and(|n| !(0..=100_000).contains(&n)) {
            p.add(field, "a whole number, not negative");
        }
    }
    let articles: Option<Vec<Article>> = match body.articles {
        None => Some(Vec::new()),
        Some(Articles::Text(text)) => p.check("articles", parse_articles(&text)),
        Some(Articles::List(items)) => {
            let mut out: Vec<Article> = Vec::new();
            let mut good = true;
            for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                match Article::parse(item) {
                    Ok(a) if !out.contains(&a) => out.push(a),
                    Ok(_) => {}
                    Err(e) => {
                        p.add("articles", e.to_string());
                        good = false;
                    }
                }
            }
            good.then_some(out)
        }
    };
    let mut persons = Vec::with_capacity(body.persons.len());
    for link in &body.persons {
        match PersonRole::parse(&link.role) {
            Some(role) => persons.push((link.person_id, role)),
            None => p.add(
                "persons",
                "a role is one of victim, witness, official_responsible, lawyer",
            ),
        }
    }
    let level = confidentiality(p, body.confidentiality.as_deref());
    Some(EventInput {
        kind: kind?,
        date: date?,
        region: body.region.as_deref().and_then(normalise_region),
        arrest_days: body.arrest_days,
        term_months: body.term_months,
        details: EventDetails {
            district: body.district.trim().to_owned(),
            settlement: body.settlement.trim().to_owned(),
            facility: body.facility.trim().to_owned(),
            description: body.description.trim().to_owned(),
        },
        confidentiality: level?,
        articles: articles?,
        persons,
    })
}

#[derive(Serialize)]
struct EventPersonOut {
    person_id: i64,
    label: String,
    role: String,
}

#[derive(Serialize)]
struct EventOut {
    id: i64,
    kind: &'static str,
    date: Option<String>,
    date_first: Option<String>,
    date_last: Option<String>,
    region: Option<String>,
    arrest_days: Option<i64>,
    term_months: Option<i64>,
    district: String,
    settlement: String,
    facility: String,
    description: String,
    confidentiality: &'static str,
    version: i64,
    articles: Vec<String>,
    persons: Vec<EventPersonOut>,
    compartment: Option<i64>,
}

fn event_out(e: EventView) -> EventOut {
    EventOut {
        id: e.id,
        kind: e.kind.as_str(),
        date: e.date.map(|d| d.to_string()),
        date_first: e.date.map(|d| d.first.to_string()),
        date_last: e.date.map(|d| d.last.to_string()),
        region: e.region,
        arrest_days: e.arrest_days,
        term_months: e.term_months,
        district: e.details.district,
        settlement: e.details.settlement,
        facility: e.details.facility,
        description: e.details.description,
        confidentiality: e.confidentiality.as_str(),
        version: e.version,
        articles: e.articles,
        persons: e
            .persons
            .into_iter()
            .map(|(person_id, label, role)| EventPersonOut { person_id, label, role })
            .collect(),
        compartment: e.compartment,
    }
}

/// A person named by an event that does not exist is a fault of the body, not of the URL.
fn persons_field(e: AppError) -> ApiError {
    match e {
        AppError::NotFound("the person") => {
            ApiError::invalid(BTreeMap::from([("persons".to_owned(), "no such person".to_owned())]))
        }
        e => e.into(),
    }
}

#[derive(Deserialize)]
struct EventQuery {
    kind: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

async fn list_events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<EventQuery>,
) -> ApiResult {
    let mut p = Problems::default();
    let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let kind = EventKind::parse(s);
            if kind.is_none() {
                p.add("kind", "an event kind, e.g. detention");
            }
            kind.map(EventKind::as_str)
        }
    };
    let from = optional_day(&mut p, "from", q.from.as_deref());
    let to = optional_day(&mut p, "to", q.to.as_deref());
    let (before, limit) = paging(&mut p, q.before.as_deref(), q.limit.as_deref());
    p.done()?;
    let filter = EventFilter {
        kind,
        region: q.region.as_deref().and_then(normalise_region),
        from,
        to,
        ..EventFilter::default()
    };
    let events = state.app.list_events(&actor, filter, before, limit).await?;
    let items: Vec<EventOut> = events.into_iter().map(event_out).collect();
    ok(StatusCode::OK, page(items, limit, |x| x.id))
}

async fn create_event(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: EventBody = parse_body(&body)?;
    let mut p = Problems::default();
    if body.version.is_some() {
        p.add("version", "not allowed when creating: a new event starts at version 1");
    }
    let compartment = body.compartment;
    let key = body.idempotency_key.clone();
    let input = event_input(body, &mut p);
    p.done()?;
    let Some(input) = input else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    let created = state
        .app
        .create_event_once(&actor, &input, compartment.flatten(), key.as_deref())
        .await
        .map_err(persons_field)?;
    let id = created.id;
    let event = state.app.event_page(&actor, id).await?;
    let mut response = ok(created_or_ok(created.new), event_out(event))?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/events/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn read_event(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let event = state.app.event_page(&actor, id).await?;
    ok(StatusCode::OK, event_out(event))
}

async fn update_event(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: EventBody = parse_body(&body)?;
    let mut p = Problems::default();
    let version = body.version;
    if version.is_none() {
        p.add("version", "required: the version your change was made against");
    }
    if body.idempotency_key.is_some() {
        p.add(
            "idempotency_key",
            "only when creating: a change is made once by its version",
        );
    }
    let compartment = body.compartment;
    let input = event_input(body, &mut p);
    p.done()?;
    let (Some(input), Some(version)) = (input, version) else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    state
        .app
        .update_event_in(&actor, id, version, &input, compartment)
        .await
        .map_err(persons_field)?;
    let event = state.app.event_page(&actor, id).await?;
    ok(StatusCode::OK, event_out(event))
}

async fn event_history(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let versions = state.app.history(&actor, "event", id).await?;
    ok(StatusCode::OK, json!({ "versions": history_out(versions) }))
}

// ---------------------------------------------------------------------------------------------
// Sources

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceBody {
    kind: Option<String>,
    title: Option<String>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notes: String,
    confidentiality: Option<String>,
}

fn source_out(s: razam_app::sources::SourceView) -> Value {
    json!({
        "id": s.id,
        "kind": s.kind.as_str(),
        "title": s.details.title,
        "reference": s.details.reference,
        "notes": s.details.notes,
        "confidentiality": s.confidentiality.as_str(),
        "created_at_ms": s.created_at_ms,
    })
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct ReasonOut {
    query: String,
    meet: &'static str,
    word: String,
    /// The person merged into the one found whose word it is.
    merged_from: Option<String>,
}

#[derive(Serialize)]
struct PersonHitOut {
    id: i64,
    label: String,
    family_name: String,
    given_name: String,
    patronymic: String,
    variants: Vec<String>,
    birth_year: Option<i16>,
    region: Option<String>,
    confidentiality: &'static str,
    matched: usize,
    reasons: Vec<ReasonOut>,
}

#[derive(Serialize)]
struct SnippetOut {
    before: String,
    hit: String,
    after: String,
}

#[derive(Serialize)]
struct EventHitOut {
    id: i64,
    kind: &'static str,
    date: Option<String>,
    region: Option<String>,
    source: Option<i64>,
    snippet: Option<SnippetOut>,
}

/// Persons by any spelling of their names and events by the words of their details and
/// sources: the same search as the page's box, audited the same way.
async fn search(State(state): State<AppState>, ApiActor(actor): ApiActor, Query(q): Query<SearchQuery>) -> ApiResult {
    let mut p = Problems::default();
    let query = crate::search::clip(q.q.as_deref().unwrap_or_default());
    if query.is_empty() {
        p.add(
            "q",
            "words to look for: a name in any spelling, or words of events and sources",
        );
    }
    let (_, limit) = paging(&mut p, None, q.limit.as_deref());
    p.done()?;
    let found = state.app.search(&actor, &query, limit as usize).await?;
    let persons: Vec<PersonHitOut> = found
        .persons
        .hits
        .into_iter()
        .map(|h| PersonHitOut {
            id: h.id,
            label: razam_app::registry::label_for(h.id),
            family_name: h.family_name,
            given_name: h.given_name,
            patronymic: h.patronymic,
            variants: h.variants,
            birth_year: h.birth_year,
            region: h.region,
            confidentiality: h.level.as_str(),
            matched: h.matched,
            reasons: h
                .reasons
                .into_iter()
                .map(|r| ReasonOut {
                    query: r.query,
                    meet: r.meet.as_str(),
                    word: r.word,
                    merged_from: r.merged_from.map(razam_app::registry::label_for),
                })
                .collect(),
        })
        .collect();
    let events: Vec<EventHitOut> = found
        .events
        .into_iter()
        .map(|e| EventHitOut {
            id: e.id,
            kind: e.kind.as_str(),
            date: e.date.map(|d| d.to_string()),
            region: e.region,
            source: e.source,
            snippet: e.snippet.map(|s| SnippetOut {
                before: s.before,
                hit: s.hit,
                after: s.after,
            }),
        })
        .collect();
    ok(
        StatusCode::OK,
        json!({
            "words": found.persons.words,
            "persons": { "all": found.persons.all, "any": found.persons.any, "items": persons },
            "events": { "total": found.events_total, "items": events },
        }),
    )
}

async fn list_sources(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let sources = state.app.event_sources(&actor, id).await?;
    ok(
        StatusCode::OK,
        json!({ "sources": sources.into_iter().map(source_out).collect::<Vec<_>>() }),
    )
}

async fn add_source(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: SourceBody = parse_body(&body)?;
    let mut p = Problems::default();
    let kind = body.kind.as_deref().and_then(razam_core::registry::SourceKind::parse);
    if kind.is_none() {
        p.add("kind", "one of media_article, testimony, document");
    }
    let title = body.title.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if title.is_empty() {
        p.add("title", "required: what the source is");
    }
    let level = body.confidentiality.as_deref().and_then(Confidentiality::parse);
    if level.is_none() {
        p.add("confidentiality", "one of public, internal, restricted");
    }
    p.done()?;
    let (Some(kind), Some(confidentiality)) = (kind, level) else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    let input = razam_app::sources::SourceInput {
        kind,
        details: razam_app::sources::SourceDetails {
            title,
            reference: body.reference.trim().to_owned(),
            notes: body.notes.trim().to_owned(),
        },
        confidentiality,
    };
    let source = state.app.add_source(&actor, id, &input).await?;
    let added = state
        .app
        .event_sources(&actor, id)
        .await?
        .into_iter()
        .find(|s| s.id == source)
        .map(source_out)
        .unwrap_or(Value::Null);
    ok(StatusCode::CREATED, added)
}

// ---------------------------------------------------------------------------------------------
// Intake: the triage queue of anonymous reports

fn intake_out(v: razam_app::intake::IntakeView) -> Value {
    json!({
        "id": v.id,
        "received_at_ms": v.received_at_ms,
        "state": v.state,
        "person_id": v.person_id,
        "report": v.report,
    })
}

#[derive(Deserialize)]
struct QueueQuery {
    page: Option<String>,
}

async fn intake_queue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<QueueQuery>,
) -> ApiResult {
    let page = match q.page.as_deref() {
        None => 0,
        Some(text) => text.parse::<u32>().map_err(|_| {
            ApiError::invalid(BTreeMap::from([(
                "page".to_owned(),
                "a whole number from 0".to_owned(),
            )]))
        })?,
    };
    let queue = state.app.intake_queue(&actor, page).await?;
    ok(
        StatusCode::OK,
        json!({
            "reports": queue.reports.into_iter().map(intake_out).collect::<Vec<_>>(),
            "page": queue.page,
            "more": queue.more,
        }),
    )
}

async fn intake_report(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    let view = state.app.intake_report(&actor, id).await?;
    let candidates = state.app.merge_candidates(&actor, &view.report).await?;
    let mut out = intake_out(view);
    out["candidates"] = json!(candidates.into_iter().map(person_out).collect::<Vec<_>>());
    ok(StatusCode::OK, out)
}

/// The event of a decision: a detention, whatever `kind` says.
fn detention(mut event: EventBody, p: &mut Problems) -> Option<EventInput> {
    event.kind = Some(razam_core::registry::EventKind::Detention.as_str().to_owned());
    event_input(event, p)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    person: PersonBody,
    event: EventBody,
}

async fn intake_accept(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: AcceptBody = parse_body(&body)?;
    let mut p = Problems::default();
    let person = person_input(body.person, &mut p);
    let event = detention(body.event, &mut p);
    p.done()?;
    let (Some(person), Some(event)) = (person, event) else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    let person = state.app.accept_report(&actor, id, &person, &event).await?;
    let page = state.app.person_page(&actor, person).await?;
    ok(StatusCode::CREATED, person_detail(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    person_id: i64,
    event: EventBody,
}

async fn intake_merge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: MergeBody = parse_body(&body)?;
    let mut p = Problems::default();
    let event = detention(body.event, &mut p);
    p.done()?;
    let Some(event) = event else {
        return Err(ApiError::invalid(BTreeMap::new()));
    };
    state
        .app
        .merge_report(&actor, id, body.person_id, &event)
        .await
        .map_err(|e| match e {
            AppError::NotFound("the person") => {
                ApiError::invalid(BTreeMap::from([("person_id".to_owned(), "no such person".to_owned())]))
            }
            e => e.into(),
        })?;
    let page = state.app.person_page(&actor, body.person_id).await?;
    ok(StatusCode::OK, person_detail(page))
}

async fn intake_reject(State(state): State<AppState>, ApiActor(actor): ApiActor, RecordId(id): RecordId) -> ApiResult {
    state.app.reject_report(&actor, id).await?;
    ok(StatusCode::OK, json!({ "id": id, "state": "rejected" }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::collections::BTreeSet;

    use super::*;

    fn document() -> Result<Value, serde_json::Error> {
        serde_json::from_str(OPENAPI)
    }

    #[test]
    fn every_route_is_documented_and_every_documented_route_is_served() {
        let doc = document().expect("static/openapi.json is JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("the document has paths")
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|r| (r.method.to_string(), r.path.to_owned()))
            .collect();
        assert_eq!(served, documented);
        assert_eq!(routes().len(), served.len(), "no route is listed twice");
    }

    #[test]
    fn every_operation_names_its_answers_and_the_schemas_it_refers_to_exist() {
        let doc = document().unwrap();
        let text = OPENAPI;
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "schema {name} is referred to but missing");
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| *k != "parameters") {
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path} has no responses"
                );
            }
        }
    }
}

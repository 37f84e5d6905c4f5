//! The public report form (`/report`) and the documenters' intake queue (`/triage`).
//!
//! The form needs no account and no script; its CSRF token is bound to the pre-login cookie,
//! as on `/login`. The peer address is handed to the app for the in-memory rate limit only:
//! it is never logged, never rendered, never stored. The thank-you page shows nothing that
//! could tie the reporter to the report later.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::intake::{
    DECISION_FIELDS, DecisionForm, FieldErrors, IntakeReport, IntakeView, REPORT_FIELDS, ReportForm, max_len,
};
use razam_app::registry::PersonView;
use razam_app::{Actor, AppError};
use razam_core::registry::{Confidentiality, Day, Region};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout, PRE_COOKIE, pre_binding, set_cookie};
use crate::pages::{app_error, csrf_rejected, error_page, render, to_login};

/// The address of the connection, when the server was started with it (see `serve`).
pub struct Peer(Option<IpAddr>);

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

/// One field of a form as the template draws it.
pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
    pub autofocus: bool,
    pub max: usize,
    /// `text`, `textarea`, `region` or `level`
    pub kind: &'static str,
}

/// (code, label) for a region select, the first entry "not known".
fn region_options(ctx: &Ctx) -> Vec<(&'static str, String)> {
    let mut out = vec![("", ctx.tr.t("region-unknown"))];
    out.extend(
        Region::ALL
            .iter()
            .map(|r| (r.as_str(), ctx.tr.t(&format!("region-{}", r.as_str())))),
    );
    out
}

fn level_options(ctx: &Ctx) -> Vec<(&'static str, String)> {
    Confidentiality::ALL
        .iter()
        .map(|c| (c.as_str(), ctx.tr.t(&format!("triage-level-{}", c.as_str()))))
        .collect()
}

fn fields(
    ctx: &Ctx,
    names: &[&'static str],
    prefix: &str,
    value: impl Fn(&str) -> String,
    errors: &FieldErrors,
    limit: impl Fn(&str) -> usize,
) -> Vec<FieldView> {
    let first = errors.first(names);
    names
        .iter()
        .map(|&name| {
            let key = format!("{prefix}-{}", name.replace('_', "-"));
            let hint = match name {
                "birth_date" | "detained_on" | "facility" | "contact" | "confidentiality" => {
                    ctx.tr.t(&format!("{key}-hint"))
                }
                _ => String::new(),
            };
            FieldView {
                name,
                label: ctx.tr.t(&key),
                hint,
                value: value(name),
                error: errors.get(name).map(|k| ctx.tr.t(k)),
                autofocus: first == Some(name),
                max: limit(name),
                kind: match name {
                    "what_happened" | "description" | "contacts" | "contact" => "textarea",
                    "region" => "region",
                    "confidentiality" => "level",
                    _ => "text",
                },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    l: Layout,
    fields: Vec<FieldView>,
    regions: Vec<(&'static str, String)>,
    levels: Vec<(&'static str, String)>,
    show_unknown: bool,
    date_unknown: bool,
    consent: bool,
    has_errors: bool,
}

fn report_page(ctx: &Ctx, l: Layout, form: &ReportForm, errors: &FieldErrors) -> ReportPage {
    ReportPage {
        l,
        fields: fields(
            ctx,
            &REPORT_FIELDS,
            "intake",
            |f| form.value(f).to_owned(),
            errors,
            max_len,
        ),
        regions: region_options(ctx),
        levels: Vec::new(),
        show_unknown: true,
        date_unknown: form.date_unknown.is_some(),
        consent: form.consent_to_contact.is_some(),
        has_errors: !errors.is_empty(),
    }
}

pub async fn report_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    let mut layout = ctx.layout();
    // As on /login: the first visit gets the random value its CSRF token is bound to.
    let new_pre = (ctx.user.is_none() && ctx.pre.is_none()).then(|| hex::encode(rand::random::<[u8; 32]>()));
    if let Some(pre) = &new_pre {
        layout.csrf = state.app.csrf_token(&pre_binding(pre));
    }
    let page = report_page(&ctx, layout, &ReportForm::default(), &FieldErrors::default());
    let mut response = render(StatusCode::OK, page);
    if let Some(pre) = new_pre {
        let secure = state.app.config().secure_cookies;
        response
            .headers_mut()
            .append(header::SET_COOKIE, set_cookie(PRE_COOKIE, &pre, None, secure));
    }
    response
}

#[derive(Deserialize)]
pub struct SubmittedReport {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: ReportForm,
}

#[derive(Template)]
#[template(path = "report_done.html")]
struct ReportDone {
    l: Layout,
    title_key: &'static str,
    text_keys: &'static [&'static str],
}

pub async fn submit(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ctx: Ctx,
    Form(submitted): Form<SubmittedReport>,
) -> Response {
    if !ctx.csrf_ok(&state.app, &submitted.csrf) {
        return csrf_rejected(&ctx);
    }
    let report: IntakeReport = match submitted.form.parse() {
        Ok(report) => report,
        Err(errors) => {
            let page = report_page(&ctx, ctx.layout(), &submitted.form, &errors);
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    match state.app.submit_report(peer, &report).await {
        // See other: a reload of the thank-you page does not send the report again.
        Ok(()) => Redirect::to("/report/thanks").into_response(),
        Err(AppError::RateLimited) => render(
            StatusCode::TOO_MANY_REQUESTS,
            ReportDone {
                l: ctx.layout(),
                title_key: "intake-limited-title",
                text_keys: &["intake-limited-text", "intake-limited-other-ways"],
            },
        ),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn thanks(ctx: Ctx) -> Response {
    render(
        StatusCode::OK,
        ReportDone {
            l: ctx.layout(),
            title_key: "intake-thanks-title",
            text_keys: &["intake-thanks-text", "intake-thanks-next", "intake-thanks-safety"],
        },
    )
}

/// A report's summary line in the queue.
struct QueueRow {
    id: i64,
    received: String,
    name: String,
    detained_on: String,
    region: String,
}

#[derive(Template)]
#[template(path = "triage.html")]
struct QueuePage {
    l: Layout,
    rows: Vec<QueueRow>,
    previous: Option<u32>,
    next: Option<u32>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u32>,
}

fn day_of(ms: i64) -> String {
    Day::from_days_since_epoch(ms.div_euclid(86_400_000)).map_or_else(String::new, |d| d.to_string())
}

fn region_name(ctx: &Ctx, code: Option<&str>) -> String {
    match code.filter(|c| !c.is_empty()) {
        Some(c) if Region::parse(c).is_some() => ctx.tr.t(&format!("region-{c}")),
        Some(other) => other.to_owned(),
        None => ctx.tr.t("region-unknown"),
    }
}

fn documenter(ctx: &Ctx) -> Option<Actor> {
    ctx.user.clone().map(Actor::Account)
}

pub async fn queue(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let Some(actor) = documenter(&ctx) else {
        return to_login();
    };
    let page = q.page.unwrap_or(0);
    match state.app.intake_queue(&actor, page).await {
        Ok(queue) => {
            let rows = queue
                .reports
                .iter()
                .map(|r| QueueRow {
                    id: r.id,
                    received: day_of(r.received_at_ms),
                    name: r.report.full_name(),
                    detained_on: if r.report.detained_on.is_empty() {
                        ctx.tr.t("intake-date-unknown")
                    } else {
                        r.report.detained_on.clone()
                    },
                    region: region_name(&ctx, Some(&r.report.region)),
                })
                .collect();
            render(
                StatusCode::OK,
                QueuePage {
                    l: ctx.layout(),
                    rows,
                    previous: page.checked_sub(1),
                    next: queue.more.then_some(page + 1),
                },
            )
        }
        Err(e) => app_error(&ctx, e),
    }
}

/// A candidate for a merge, as the form lists it.
struct Candidate {
    id: i64,
    label: String,
    name: String,
    birth_date: String,
    region: String,
}

#[derive(Template)]
#[template(path = "triage_report.html")]
struct ReportTriagePage {
    l: Layout,
    id: i64,
    received: String,
    /// The message saying how the report was decided, once it was.
    decided: Option<String>,
    person_id: Option<i64>,
    /// (label, value) of every field the reporter filled in.
    reported: Vec<(String, String)>,
    fields: Vec<FieldView>,
    regions: Vec<(&'static str, String)>,
    levels: Vec<(&'static str, String)>,
    show_unknown: bool,
    date_unknown: bool,
    candidates: Vec<Candidate>,
    chosen: String,
    person_other: String,
    error: Option<String>,
}

fn reported_fields(ctx: &Ctx, r: &IntakeReport) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = REPORT_FIELDS
        .iter()
        .filter_map(|&f| {
            let value = match f {
                "given_name" => r.given_name.clone(),
                "family_name" => r.family_name.clone(),
                "patronymic" => r.patronymic.clone(),
                "birth_date" => r.birth_date.clone(),
                "detained_on" if r.detained_on.is_empty() => ctx.tr.t("intake-date-unknown"),
                "detained_on" => r.detained_on.clone(),
                "region" if r.region.is_empty() => String::new(),
                "region" => region_name(ctx, Some(&r.region)),
                "settlement" => r.settlement.clone(),
                "facility" => r.facility.clone(),
                "what_happened" => r.what_happened.clone(),
                "contact" => r.contact.clone(),
                "relation" => r.relation.clone(),
                _ => String::new(),
            };
            (!value.is_empty()).then(|| (ctx.tr.t(&format!("intake-{}", f.replace('_', "-"))), value))
        })
        .collect();
    out.push((
        ctx.tr.t("intake-consent"),
        ctx.tr.t(if r.consent_to_contact {
            "intake-yes"
        } else {
            "intake-no"
        }),
    ));
    out
}

fn candidate(ctx: &Ctx, p: PersonView) -> Candidate {
    Candidate {
        id: p.id,
        label: p.label.clone(),
        name: p.identity.full_name(),
        birth_date: p.identity.birth_date.clone(),
        region: region_name(ctx, p.region.as_deref()),
    }
}

/// The report with its decision forms; `form` and `errors` when a decision was refused.
async fn triage_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: Option<&DecisionForm>,
    errors: &FieldErrors,
    error: Option<&'static str>,
) -> Result<ReportTriagePage, AppError> {
    let view: IntakeView = state.app.intake_report(actor, id).await?;
    let prefilled;
    let form = match form {
        Some(f) => f,
        None => {
            prefilled = DecisionForm::from_report(&view.report);
            &prefilled
        }
    };
    let candidates = if view.state == "new" {
        state
            .app
            .merge_candidates(actor, &view.report)
            .await?
            .into_iter()
            .map(|p| candidate(ctx, p))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReportTriagePage {
        l: ctx.layout(),
        id,
        received: day_of(view.received_at_ms),
        decided: (view.state != "new").then(|| ctx.tr.t(&format!("triage-state-{}", view.state))),
        person_id: view.person_id,
        reported: reported_fields(ctx, &view.report),
        fields: fields(
            ctx,
            &DECISION_FIELDS,
            "triage",
            |f| form.value(f).to_owned(),
            errors,
            |f| match f {
                "contacts" => 500,
                "description" => 5000,
                "birth_date" | "detained_on" => 32,
                _ => 200,
            },
        ),
        regions: region_options(ctx),
        levels: level_options(ctx),
        show_unknown: false,
        date_unknown: false,
        candidates,
        chosen: form.person.clone(),
        person_other: form.person_other.clone(),
        error: error.map(|k| ctx.tr.t(k)),
    })
}

pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = documenter(&ctx) else {
        return to_login();
    };
    match triage_page(&state, &ctx, &actor, id, None, &FieldErrors::default(), None).await {
        Ok(page) => render(StatusCode::OK, page),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct DecisionSubmitted {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: DecisionForm,
}

/// A refused decision: the form again, with what was typed and why.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: &DecisionForm,
    errors: &FieldErrors,
    error: &'static str,
) -> Response {
    match triage_page(state, ctx, actor, id, Some(form), errors, Some(error)).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, page),
        Err(e) => app_error(ctx, e),
    }
}

fn decided(ctx: &Ctx, e: AppError) -> Response {
    match e {
        AppError::Conflict(_) => error_page(ctx, StatusCode::CONFLICT, "triage-already-decided"),
        e => app_error(ctx, e),
    }
}

pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(submitted): Form<DecisionSubmitted>,
) -> Response {
    let Some(actor) = documenter(&ctx) else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &submitted.csrf) {
        return csrf_rejected(&ctx);
    }
    let form = &submitted.form;
    let (person, event) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&state, &ctx, &actor, id, form, &errors, "triage-fix-fields").await,
    };
    match state.app.accept_report(&actor, id, &person, &event).await {
        Ok(person) => Redirect::to(&format!("/persons/{person}")).into_response(),
        Err(e) => decided(&ctx, e),
    }
}

pub async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(submitted): Form<DecisionSubmitted>,
) -> Response {
    let Some(actor) = documenter(&ctx) else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &submitted.csrf) {
        return csrf_rejected(&ctx);
    }
    let form = &submitted.form;
    let (_, event) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&state, &ctx, &actor, id, form, &errors, "triage-fix-fields").await,
    };
    let Some(person) = form.chosen_person() else {
        let none = FieldErrors::default();
        return refused(&state, &ctx, &actor, id, form, &none, "triage-choose-person").await;
    };
    match state.app.merge_report(&actor, id, person, &event).await {
        Ok(()) => Redirect::to(&format!("/persons/{person}")).into_response(),
        Err(AppError::NotFound(_)) => {
            let none = FieldErrors::default();
            refused(&state, &ctx, &actor, id, form, &none, "triage-no-such-person").await
        }
        Err(e) => decided(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(submitted): Form<CsrfOnly>,
) -> Response {
    let Some(actor) = documenter(&ctx) else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &submitted.csrf) {
        return csrf_rejected(&ctx);
    }
    match state.app.reject_report(&actor, id).await {
        Ok(()) => Redirect::to("/triage").into_response(),
        Err(e) => decided(&ctx, e),
    }
}

//! The public report form (`/report`) and the documenters' intake queue (`/triage`).
//!
//! The form needs no account and no script; its CSRF token is bound to the pre-login cookie,
//! as on `/login`. The peer address is handed to the app for the in-memory rate limit only:
//! it is never logged, never rendered, never stored. The thank-you page shows nothing that
//! could tie the reporter to the report later.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::intake::{
    DecisionForm, FieldErrors, IntakeReport, IntakeView, REPORT_FIELDS, ReportForm, decision_max_len, max_len,
};
use razam_app::registry::PersonView;
use razam_app::{Actor, AppError};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout, PRE_COOKIE, Peer, pre_binding, set_cookie};
use crate::forms::{
    Field, FieldError, FormView, Widget, level_options, refusals, region_name, region_options, utc_day,
};
use crate::i18n::Tr;
use crate::pages::{app_error, csrf_rejected, error_page, form_actor, render, to_login};

/// The form with the app's refusals beside their fields and the cursor in the first one. A
/// fresh form takes no cursor, so that what stands above it is read first.
fn refused_fields(tr: &Tr, mut form: FormView, errors: &FieldErrors) -> FormView {
    if !errors.is_empty() {
        form.refuse(tr, &refusals(&errors.0));
    }
    form
}

/// A ticked checkbox's value as the form keeps it.
fn ticked(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// The public form: the fields of [`ReportForm`], each with the limit the app checks.
fn report_fields(tr: &Tr, form: &ReportForm, errors: &FieldErrors) -> FormView {
    let text = |name: &'static str, key: &str, widget| {
        Field::new(tr, name, key, form.value(name), widget).max_len(max_len(name))
    };
    let mut f = FormView::new();
    f.push(text("given_name", "intake-given-name", Widget::Text));
    f.push(text("family_name", "intake-family-name", Widget::Text));
    f.push(text("patronymic", "intake-patronymic", Widget::Text));
    f.push(text("birth_date", "intake-birth-date", Widget::Text).hint(tr, "intake-birth-date-hint"));
    f.push(text("detained_on", "intake-detained-on", Widget::Text).hint(tr, "intake-detained-on-hint"));
    f.push(Field::new(
        tr,
        "date_unknown",
        "intake-date-unknown-box",
        ticked(&form.date_unknown),
        Widget::Checkbox,
    ));
    f.select(
        Field::new(tr, "region", "intake-region", &form.region, Widget::Select),
        region_options(tr, &form.region, "region-unknown"),
    );
    f.push(text("settlement", "intake-settlement", Widget::Text));
    f.push(text("facility", "intake-facility", Widget::Text).hint(tr, "intake-facility-hint"));
    f.push(text("what_happened", "intake-what-happened", Widget::TextArea).rows(8));
    f.push(text("relation", "intake-relation", Widget::Text));
    f.push(
        text("contact", "intake-contact", Widget::TextArea)
            .rows(3)
            .hint(tr, "intake-contact-hint"),
    );
    f.push(Field::new(
        tr,
        "consent_to_contact",
        "intake-consent",
        ticked(&form.consent_to_contact),
        Widget::Checkbox,
    ));
    refused_fields(tr, f, errors)
}

/// The documenter's decision: the fields of [`DecisionForm`], each with the limit the app checks.
fn decision_fields(tr: &Tr, form: &DecisionForm, errors: &FieldErrors) -> FormView {
    let text = |name: &'static str, key: &str, widget| {
        Field::new(tr, name, key, form.value(name), widget).max_len(decision_max_len(name))
    };
    let mut f = FormView::new();
    f.push(text("given_name", "triage-given-name", Widget::Text));
    f.push(text("family_name", "triage-family-name", Widget::Text));
    f.push(text("patronymic", "triage-patronymic", Widget::Text));
    f.push(text("birth_date", "triage-birth-date", Widget::Text).hint(tr, "triage-birth-date-hint"));
    f.push(text("contacts", "triage-contacts", Widget::TextArea).rows(3));
    f.select(
        Field::new(tr, "region", "triage-region", &form.region, Widget::Select),
        region_options(tr, &form.region, "region-unknown"),
    );
    f.push(text("detained_on", "triage-detained-on", Widget::Text).hint(tr, "triage-detained-on-hint"));
    f.push(text("settlement", "triage-settlement", Widget::Text));
    f.push(text("facility", "triage-facility", Widget::Text));
    f.push(text("description", "triage-description", Widget::TextArea).rows(8));
    f.select(
        Field::new(
            tr,
            "confidentiality",
            "triage-confidentiality",
            &form.confidentiality,
            Widget::Select,
        )
        .hint(tr, "triage-confidentiality-hint"),
        level_options(tr),
    );
    refused_fields(tr, f, errors)
}

/// The person a merge goes into, typed by number; `error` is why a merge was refused.
fn merge_fields(tr: &Tr, form: &DecisionForm, error: Option<&'static str>) -> FormView {
    let mut f = FormView::new();
    f.push(
        Field::new(
            tr,
            "person_other",
            "triage-person-number",
            &form.person_other,
            Widget::Text,
        )
        .max_len(20),
    );
    if let Some(key) = error {
        f.refuse(tr, &[FieldError::new("person_other", key)]);
    }
    f
}

/// A region as the queue and the candidates show it: "not known" when there is none.
fn region_or_unknown(tr: &Tr, code: Option<&str>) -> String {
    match code.filter(|c| !c.is_empty()) {
        Some(c) => region_name(tr, Some(c)),
        None => tr.t("region-unknown"),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    l: Layout,
    form: FormView,
}

fn report_page(ctx: &Ctx, l: Layout, form: &ReportForm, errors: &FieldErrors) -> ReportPage {
    ReportPage {
        l,
        form: report_fields(&ctx.tr, form, errors),
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

pub async fn queue(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
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
                    received: utc_day(r.received_at_ms),
                    name: r.report.full_name(),
                    detained_on: if r.report.detained_on.is_empty() {
                        ctx.tr.t("intake-date-unknown")
                    } else {
                        r.report.detained_on.clone()
                    },
                    region: region_or_unknown(&ctx.tr, Some(&r.report.region)),
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
    /// How likely the report is about this person, and the fields that agree.
    evidence: String,
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
    /// The person and the detention as they will be recorded.
    form: FormView,
    candidates: Vec<Candidate>,
    chosen: String,
    /// The person to merge into, by number.
    merge: FormView,
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
                "region" => region_name(&ctx.tr, Some(&r.region)),
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

fn candidate(ctx: &Ctx, report: &IntakeReport, p: PersonView) -> Candidate {
    let reported = razam_app::registry::Identity {
        given_name: report.given_name.clone(),
        family_name: report.family_name.clone(),
        patronymic: report.patronymic.clone(),
        birth_date: report.birth_date.clone(),
        ..razam_app::registry::Identity::default()
    };
    let evidence = razam_app::duplicates::evidence_between(&reported, &p.identity);
    Candidate {
        evidence: crate::duplicates::agreeing_text(&ctx.tr, &evidence),
        id: p.id,
        label: p.label.clone(),
        name: p.identity.full_name(),
        birth_date: p.identity.birth_date.clone(),
        region: region_or_unknown(&ctx.tr, p.region.as_deref()),
    }
}

/// The report with its decision forms; `form` with `errors` (refused fields) or
/// `merge_error` (a refused merge) when a decision was refused.
async fn triage_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: Option<&DecisionForm>,
    errors: &FieldErrors,
    merge_error: Option<&'static str>,
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
            .map(|p| candidate(ctx, &view.report, p))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReportTriagePage {
        l: ctx.layout(),
        id,
        received: utc_day(view.received_at_ms),
        decided: (view.state != "new").then(|| ctx.tr.t(&format!("triage-state-{}", view.state))),
        person_id: view.person_id,
        reported: reported_fields(ctx, &view.report),
        form: decision_fields(&ctx.tr, form, errors),
        candidates,
        chosen: form.person.clone(),
        merge: merge_fields(&ctx.tr, form, merge_error),
    })
}

pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
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

/// A refused decision: the form again, with what was typed and why beside each field.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: &DecisionForm,
    errors: &FieldErrors,
    merge_error: Option<&'static str>,
) -> Response {
    match triage_page(state, ctx, actor, id, Some(form), errors, merge_error).await {
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
    let actor = match form_actor(&state, &ctx, &submitted.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let form = &submitted.form;
    let (person, event) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&state, &ctx, &actor, id, form, &errors, None).await,
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
    let actor = match form_actor(&state, &ctx, &submitted.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let form = &submitted.form;
    let (_, event) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&state, &ctx, &actor, id, form, &errors, None).await,
    };
    let Some(person) = form.chosen_person() else {
        let none = FieldErrors::default();
        return refused(&state, &ctx, &actor, id, form, &none, Some("triage-choose-person")).await;
    };
    match state.app.merge_report(&actor, id, person, &event).await {
        Ok(()) => Redirect::to(&format!("/persons/{person}")).into_response(),
        Err(AppError::NotFound(_)) => {
            let none = FieldErrors::default();
            refused(&state, &ctx, &actor, id, form, &none, Some("triage-no-such-person")).await
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
    let actor = match form_actor(&state, &ctx, &submitted.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    match state.app.reject_report(&actor, id).await {
        Ok(()) => Redirect::to("/triage").into_response(),
        Err(e) => decided(&ctx, e),
    }
}

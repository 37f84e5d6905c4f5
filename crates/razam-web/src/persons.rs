//! The documenters' person pages: the list with its filters, the page with its timeline,
//! the create and edit form, recognition and status, the version history.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::duplicates::Evidence;
use razam_app::registry::{
    Identity, PersonCard, PersonFilter, PersonInput, PersonPage, PersonView, VersionView, label_for,
};
use razam_core::registry::{Confidentiality, Day, FuzzyDate, PrisonerStatus};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::duplicates::{MatchView, match_views};
use crate::forms::{
    Field, FieldError, FormView, Widget, level_options, query_string, region_name, region_options, utc_minute,
};
use crate::i18n::Tr;
use crate::pages::{app_error, bad_request, form_actor, render, to_login};

/// Rows on one page of a list.
pub const PAGE: i64 = 50;

/// The list's status filters, as the URL and the store name them.
pub(crate) const STATUS_FILTERS: [&str; 4] = ["held", "released", "recognised", "not_recognised"];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    before: String,
}

pub struct PersonRowView {
    pub id: i64,
    pub label: String,
    pub name: String,
    pub region: String,
    pub recognized_on: String,
    pub status: String,
    pub level: String,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct ListPage {
    l: Layout,
    rows: Vec<PersonRowView>,
    regions: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    q: ListQuery,
    next: Option<String>,
    first: Option<String>,
    may_write: bool,
}

fn status_text(tr: &Tr, status: &Option<(PrisonerStatus, String)>) -> String {
    match status {
        Some((s, on)) => format!("{} ({on})", tr.t(&format!("status-{}", s.as_str()))),
        None => String::new(),
    }
}

/// A person's name as pages show it; an erased person has none, only the day of the erasure.
pub fn shown_name(tr: &Tr, p: &PersonView) -> String {
    match &p.erased_on {
        Some(day) => tr.t1("person-erased-on", "day", day),
        None => p.identity.full_name(),
    }
}

fn row_view(tr: &Tr, p: &PersonView) -> PersonRowView {
    PersonRowView {
        id: p.id,
        label: p.label.clone(),
        name: shown_name(tr, p),
        region: region_name(tr, p.region.as_deref()),
        recognized_on: p.recognized_on.clone().unwrap_or_default(),
        status: status_text(tr, &p.status),
        level: tr.t(&format!("level-{}", p.confidentiality.as_str())),
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let status = STATUS_FILTERS.iter().copied().find(|s| *s == q.status);
    let as_of = match q.as_of.as_str() {
        "" => None,
        text => match Day::parse(text) {
            Ok(d) => Some(d.to_string()),
            Err(_) => return bad_request(&ctx),
        },
    };
    let before = match q.before.as_str() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return bad_request(&ctx),
        },
    };
    let filter = PersonFilter {
        region: Some(q.region.clone()).filter(|r| !r.is_empty()),
        status,
        as_of,
        ..PersonFilter::default()
    };
    let persons = match state.app.list_persons(&actor, filter, before, PAGE).await {
        Ok(p) => p,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let filters = [
        ("region", q.region.as_str()),
        ("status", q.status.as_str()),
        ("as_of", q.as_of.as_str()),
    ];
    let next = (persons.len() as i64 == PAGE).then(|| {
        let last = persons.last().map(|p| p.id.to_string()).unwrap_or_default();
        let mut pairs = filters.to_vec();
        pairs.push(("before", &last));
        format!("/persons{}", query_string(&pairs))
    });
    let first = before.map(|_| format!("/persons{}", query_string(&filters)));
    let mut statuses = vec![(String::new(), tr.t("persons-any-status"))];
    statuses.extend(
        STATUS_FILTERS
            .iter()
            .map(|s| (s.to_string(), tr.t(&format!("persons-filter-{s}")))),
    );
    let page = ListPage {
        rows: persons.iter().map(|p| row_view(tr, p)).collect(),
        regions: region_options(tr, &q.region, "persons-any-region"),
        statuses,
        next,
        first,
        may_write: ctx.may(Permission::WriteRegistry),
        q,
        l: ctx.layout(),
    };
    render(StatusCode::OK, page)
}

#[derive(Deserialize, Default)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    patronymic: String,
    #[serde(default)]
    variants: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    contacts: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    confidentiality: String,
    #[serde(default)]
    consent: Option<String>,
    /// Ticked when the documenter has seen the probable existing persons and creates anyway.
    #[serde(default)]
    create_anyway: Option<String>,
    /// The compartment's id, or empty for none.
    #[serde(default)]
    compartment: String,
    /// The writer's compartments, offered by the form (not submitted).
    #[serde(skip)]
    own_compartments: Vec<(i64, String)>,
}

const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 20_000;

impl PersonForm {
    fn from_view(p: &PersonView) -> PersonForm {
        let i = &p.identity;
        PersonForm {
            csrf: String::new(),
            version: p.version.to_string(),
            given_name: i.given_name.clone(),
            family_name: i.family_name.clone(),
            patronymic: i.patronymic.clone(),
            variants: i.variants.join("\n"),
            birth_date: i.birth_date.clone(),
            region: p.region.clone().unwrap_or_default(),
            contacts: i.contacts.clone(),
            notes: i.notes.clone(),
            confidentiality: p.confidentiality.as_str().to_owned(),
            consent: p.consent_to_publish.then(|| "1".to_owned()),
            create_anyway: None,
            compartment: p.compartment.map(|c| c.to_string()).unwrap_or_default(),
            own_compartments: Vec::new(),
        }
    }

    /// The input and its compartment, or every field that is wrong and why.
    fn parse(&self) -> Result<(PersonInput, Option<i64>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let compartment = crate::forms::parse_compartment(&self.compartment).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let given = self.given_name.trim();
        let family = self.family_name.trim();
        if given.is_empty() && family.is_empty() {
            errors.push(FieldError::new("family_name", "form-name-required"));
        }
        for (field, value) in [
            ("given_name", given),
            ("family_name", family),
            ("patronymic", self.patronymic.trim()),
        ] {
            if value.chars().count() > MAX_NAME {
                errors.push(FieldError::new(field, "form-too-long"));
            }
        }
        for (field, value) in [
            ("variants", &self.variants),
            ("contacts", &self.contacts),
            ("notes", &self.notes),
        ] {
            if value.chars().count() > MAX_TEXT {
                errors.push(FieldError::new(field, "form-too-long"));
            }
        }
        let birth = self.birth_date.trim();
        if !birth.is_empty() && FuzzyDate::parse(birth).is_err() {
            errors.push(FieldError::new("birth_date", "form-bad-fuzzy-date"));
        }
        let confidentiality = Confidentiality::parse(&self.confidentiality);
        if confidentiality.is_none() {
            errors.push(FieldError::new("confidentiality", "form-choose"));
        }
        let region = razam_app::registry::normalise_region(&self.region);
        if region.as_ref().is_some_and(|r| r.chars().count() > MAX_NAME) {
            errors.push(FieldError::new("region", "form-too-long"));
        }
        match confidentiality {
            Some(confidentiality) if errors.is_empty() => Ok((
                PersonInput {
                    identity: Identity {
                        given_name: given.to_owned(),
                        family_name: family.to_owned(),
                        patronymic: self.patronymic.trim().to_owned(),
                        variants: self
                            .variants
                            .lines()
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        birth_date: birth.to_owned(),
                        contacts: self.contacts.trim().to_owned(),
                        notes: self.notes.trim().to_owned(),
                    },
                    region,
                    confidentiality,
                    consent_to_publish: self.consent.is_some(),
                },
                compartment,
            )),
            _ => Err(errors),
        }
    }

    fn view(&self, tr: &Tr) -> FormView {
        let mut f = FormView::new();
        f.push(Field::new(tr, "family_name", "person-family-name", &self.family_name, Widget::Text).required());
        f.push(Field::new(
            tr,
            "given_name",
            "person-given-name",
            &self.given_name,
            Widget::Text,
        ));
        f.push(Field::new(
            tr,
            "patronymic",
            "person-patronymic",
            &self.patronymic,
            Widget::Text,
        ));
        f.push(
            Field::new(tr, "variants", "person-variants", &self.variants, Widget::TextArea)
                .hint(tr, "person-variants-hint"),
        );
        f.push(
            Field::new(tr, "birth_date", "person-birth-date", &self.birth_date, Widget::Text)
                .hint(tr, "form-fuzzy-date-hint"),
        );
        f.select(
            Field::new(tr, "region", "person-region", &self.region, Widget::Select),
            region_options(tr, &self.region, "region-unknown"),
        );
        f.push(Field::new(
            tr,
            "contacts",
            "person-contacts",
            &self.contacts,
            Widget::TextArea,
        ));
        f.push(Field::new(tr, "notes", "person-notes", &self.notes, Widget::TextArea));
        let level = if self.confidentiality.is_empty() {
            Confidentiality::Internal.as_str()
        } else {
            &self.confidentiality
        };
        f.select(
            Field::new(tr, "confidentiality", "record-level", level, Widget::Select).hint(tr, "record-level-hint"),
            level_options(tr),
        );
        f.push(Field::new(
            tr,
            "consent",
            "person-consent",
            self.consent.clone().unwrap_or_default(),
            Widget::Checkbox,
        ));
        crate::forms::compartment_field(tr, &mut f, &self.compartment, &self.own_compartments);
        f
    }

    /// Loads the writer's compartments for the form to offer.
    async fn offer_compartments(&mut self, state: &AppState, actor: &razam_app::Actor) {
        // Without them the form simply offers none; the app checks every write anyway.
        self.own_compartments = state.app.own_compartments(actor).await.unwrap_or_default();
    }
}

#[derive(Template)]
#[template(path = "record_form.html")]
pub struct RecordForm {
    pub l: Layout,
    /// Persons the one being entered probably is already, with the evidence.
    pub matches: Vec<MatchView>,
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub submit: String,
    pub version: Option<String>,
    /// The form's idempotency key ([`crate::forms::form_key`]), or empty for none.
    pub key: String,
    pub notice: String,
    pub form: FormView,
}

fn person_form_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &PersonForm,
    id: Option<i64>,
    errors: &[FieldError],
    notice: &str,
) -> Response {
    let mut view = form.view(&ctx.tr);
    view.refuse(&ctx.tr, errors);
    render(status, record_form(ctx, "person", id, &form.version, view, notice))
}

/// The new-person form again, with the persons it probably is already and a box to tick to
/// create it anyway; what was typed is kept.
fn probable_duplicate_page(
    ctx: &Ctx,
    form: &PersonForm,
    input: &PersonInput,
    found: &[(PersonCard, Evidence)],
) -> Response {
    let tr = &ctx.tr;
    let mut view = form.view(tr);
    view.push(
        Field::new(tr, "create_anyway", "person-create-anyway", "", Widget::Checkbox)
            .hint(tr, "person-create-anyway-hint"),
    );
    view.refuse(tr, &[]);
    let subject = PersonCard {
        id: 0,
        label: tr.t("person-new"),
        identity: input.identity.clone(),
        region: input.region.clone(),
        confidentiality: input.confidentiality,
        consent_to_publish: input.consent_to_publish,
        version: 0,
        merged_into: None,
        erased_on: None,
        compartment: None,
    };
    let mut page = record_form(ctx, "person", None, "", view, "person-probable-duplicate");
    page.matches = match_views(tr, &subject, found);
    render(StatusCode::CONFLICT, page)
}

/// The create or edit form of a person or an event (`kind`), posted to its list's address
/// when new and to the record's when edited.
pub(crate) fn record_form(
    ctx: &Ctx,
    kind: &str,
    id: Option<i64>,
    version: &str,
    form: FormView,
    notice: &str,
) -> RecordForm {
    let tr = &ctx.tr;
    let list = format!("/{kind}s");
    let target = id.map_or_else(|| list.clone(), |id| format!("{list}/{id}"));
    RecordForm {
        matches: Vec::new(),
        title: tr.t(&format!("{kind}-{}", if id.is_some() { "edit" } else { "new" })),
        action: target.clone(),
        cancel: target,
        submit: tr.t("form-save"),
        version: id.map(|_| version.to_owned()),
        key: String::new(),
        notice: if notice.is_empty() { String::new() } else { tr.t(notice) },
        form,
        l: ctx.layout(),
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.may(Permission::WriteRegistry) {
        return app_error(&ctx, AppError::Forbidden);
    }
    let mut form = PersonForm::default();
    form.offer_compartments(&state, &actor).await;
    person_form_page(&ctx, StatusCode::OK, &form, None, &[], "")
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(mut form): Form<PersonForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let errors = match form.parse() {
        Err(errors) => errors,
        Ok((input, compartment)) => {
            if form.create_anyway.is_none() {
                match state.app.probable_matches(&actor, &input.identity, &[]).await {
                    Ok(found) if !found.is_empty() => {
                        form.offer_compartments(&state, &actor).await;
                        return probable_duplicate_page(&ctx, &form, &input, &found);
                    }
                    Ok(_) => {}
                    Err(e) => return app_error(&ctx, e),
                }
            }
            match state.app.create_person_in(&actor, &input, compartment).await {
                Ok(id) => return Redirect::to(&format!("/persons/{id}")).into_response(),
                Err(AppError::BadInput(_)) if compartment.is_some() => vec![crate::forms::compartment_refused()],
                Err(e) => return app_error(&ctx, e),
            }
        }
    };
    // Only a form shown again needs the compartments it offers.
    form.offer_compartments(&state, &actor).await;
    person_form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, None, &errors, "")
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.may(Permission::WriteRegistry) {
        return app_error(&ctx, AppError::Forbidden);
    }
    match state.app.person_page(&actor, id).await {
        Ok(p) => {
            let mut form = PersonForm::from_view(&p.person);
            form.offer_compartments(&state, &actor).await;
            person_form_page(&ctx, StatusCode::OK, &form, Some(id), &[], "")
        }
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(mut form): Form<PersonForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let Ok(version) = form.version.parse::<i64>() else {
        return bad_request(&ctx);
    };
    let (status, errors, notice) = match form.parse() {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, ""),
        Ok((input, compartment)) => match state
            .app
            .update_person_in(&actor, id, version, &input, Some(compartment))
            .await
        {
            Ok(()) => return Redirect::to(&format!("/persons/{id}")).into_response(),
            Err(AppError::BadInput(_)) if compartment.is_some() => (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![crate::forms::compartment_refused()],
                "",
            ),
            Err(AppError::Conflict(_)) => (StatusCode::CONFLICT, Vec::new(), "form-stale"),
            Err(e) => return app_error(&ctx, e),
        },
    };
    // Only a form shown again needs the compartments it offers.
    form.offer_compartments(&state, &actor).await;
    person_form_page(&ctx, status, &form, Some(id), &errors, notice)
}

pub struct TimelineEntry {
    pub id: i64,
    /// The label of the merged person the event comes from, or empty for the person's own.
    pub from: String,
    pub date: String,
    pub kind: String,
    pub role: String,
    pub region: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPageView {
    l: Layout,
    p: PersonPage,
    name: String,
    region: String,
    level: String,
    timeline: Vec<TimelineEntry>,
    /// (status, from day, the merged person's label or empty)
    statuses: Vec<(String, String, String)>,
    /// (merged person's label, its recognition) for each merged person with one.
    merged_recognitions: Vec<(String, razam_app::registry::RecognitionView)>,
    /// The group's status as the figures count it, when persons are merged into this one.
    counted: String,
    /// (merge id, person id, label, name, who merged, when)
    merged_from: Vec<(i64, i64, String, String, String, String)>,
    merged_into: Option<(i64, String)>,
    duplicates: Vec<MatchView>,
    may_write: bool,
    may_recognise: bool,
    /// Whether the reader may erase the person (administrators), and they are not erased yet.
    may_erase: bool,
    recognise_form: FormView,
    status_form: FormView,
}

/// What an event adds to a timeline line: articles, days of arrest, a term.
pub fn event_summary(tr: &Tr, e: &razam_app::registry::EventView) -> String {
    let mut parts = Vec::new();
    if !e.articles.is_empty() {
        parts.push(tr.t1("event-articles-list", "articles", &e.articles.join(", ")));
    }
    if let Some(days) = e.arrest_days {
        parts.push(tr.t1("event-arrest-days-n", "n", &days.to_string()));
    }
    if let Some(months) = e.term_months {
        parts.push(tr.t1("event-term-months-n", "n", &months.to_string()));
    }
    parts.join(" · ")
}

#[derive(Deserialize, Default)]
pub struct RecogniseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    recognized_on: String,
    #[serde(default)]
    criteria: String,
    #[serde(default)]
    reasoning: String,
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    on: String,
}

fn recognise_view(tr: &Tr, f: &RecogniseForm) -> FormView {
    let mut v = FormView::new();
    v.push(
        Field::new(tr, "recognized_on", "recognition-date", &f.recognized_on, Widget::Text)
            .required()
            .hint(tr, "form-day-hint"),
    );
    v.push(
        Field::new(tr, "criteria", "recognition-criteria", &f.criteria, Widget::Text)
            .hint(tr, "recognition-criteria-hint"),
    );
    v.push(Field::new(
        tr,
        "reasoning",
        "recognition-reasoning",
        &f.reasoning,
        Widget::TextArea,
    ));
    v
}

fn status_view(tr: &Tr, f: &StatusForm) -> FormView {
    let mut v = FormView::new();
    v.select(
        Field::new(tr, "status", "status-label", &f.status, Widget::Select),
        PrisonerStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), tr.t(&format!("status-{}", s.as_str()))))
            .collect(),
    );
    v.push(
        Field::new(tr, "on", "status-from", &f.on, Widget::Text)
            .required()
            .hint(tr, "form-day-hint"),
    );
    v
}

async fn person_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    status: StatusCode,
    recognise: (&RecogniseForm, &[FieldError]),
    status_form: (&StatusForm, &[FieldError]),
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let p = match state.app.person_page_checked(&actor, id, ctx.checked.clone()).await {
        Ok(p) => p,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let entry =
        |e: &razam_app::registry::EventView, role: &razam_core::registry::PersonRole, from: &str| TimelineEntry {
            id: e.id,
            from: from.to_owned(),
            date: e.date.map(|d| d.to_string()).unwrap_or_else(|| tr.t("date-unknown")),
            kind: tr.t(&format!("kind-{}", e.kind.as_str())),
            role: tr.t(&format!("prole-{}", role.as_str())),
            region: region_name(tr, e.region.as_deref()),
            summary: event_summary(tr, e),
        };
    // One timeline of the person's events and those of the persons merged into them, by
    // date; an event that names both appears once.
    let mut timeline: Vec<(Option<razam_core::registry::Day>, TimelineEntry)> = p
        .events
        .iter()
        .map(|(e, role)| (e.date.map(|d| d.first), entry(e, role, "")))
        .collect();
    let mut statuses: Vec<(String, String, String)> = p
        .statuses
        .iter()
        .map(|(s, on)| (tr.t(&format!("status-{}", s.as_str())), on.clone(), String::new()))
        .collect();
    let mut merged_recognitions = Vec::new();
    for m in &p.merged_from {
        for (e, role) in &m.events {
            if !timeline.iter().any(|(_, t)| t.id == e.id) {
                timeline.push((e.date.map(|d| d.first), entry(e, role, &m.person.label)));
            }
        }
        statuses.extend(m.statuses.iter().map(|(s, on)| {
            (
                tr.t(&format!("status-{}", s.as_str())),
                on.clone(),
                m.person.label.clone(),
            )
        }));
        if let Some(r) = &m.recognition {
            merged_recognitions.push((m.person.label.clone(), r.clone()));
        }
    }
    timeline.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    statuses.sort_by(|a, b| a.1.cmp(&b.1));
    let counted = if p.merged_from.is_empty() {
        String::new()
    } else {
        let recognised = p
            .person
            .recognized_on
            .clone()
            .unwrap_or_else(|| tr.t("recognition-none"));
        let status = p
            .person
            .status
            .as_ref()
            .map(|(s, on)| format!("{} ({on})", tr.t(&format!("status-{}", s.as_str()))))
            .unwrap_or_default();
        tr.t1("merge-counted", "recognised", &recognised) + " " + &status
    };
    let may_write = ctx.may(Permission::WriteRegistry);
    let duplicates = if may_write && p.merged_into.is_none() {
        match state
            .app
            .probable_matches(&actor, &p.person.identity, &p.never_duplicates())
            .await
        {
            Ok(found) => match_views(tr, &p.person.card(), &found),
            Err(e) => return app_error(ctx, e),
        }
    } else {
        Vec::new()
    };
    let merged_from = p
        .merged_from
        .iter()
        .map(|m| {
            (
                m.merge_id,
                m.person.id,
                m.person.label.clone(),
                shown_name(tr, &m.person),
                m.merged_by.clone(),
                utc_minute(m.merged_at_ms),
            )
        })
        .collect();
    let mut recognise_form = recognise_view(tr, recognise.0);
    recognise_form.refuse(tr, recognise.1);
    let mut status_view_ = status_view(tr, status_form.0);
    status_view_.refuse(tr, status_form.1);
    // The cursor belongs in a refused form only; otherwise the page opens with none focused.
    for form in [&mut recognise_form, &mut status_view_] {
        if form.errors().is_empty() {
            form.fields.iter_mut().for_each(|c| c.field.focus = false);
        }
    }
    let page = PersonPageView {
        name: shown_name(tr, &p.person),
        may_erase: ctx.may(razam_core::role::Permission::ErasePersons) && p.person.erased_on.is_none(),
        region: region_name(tr, p.person.region.as_deref()),
        level: tr.t(&format!("level-{}", p.person.confidentiality.as_str())),
        timeline: timeline.into_iter().map(|(_, t)| t).collect(),
        statuses,
        merged_recognitions,
        counted,
        merged_from,
        merged_into: p.merged_into.map(|m| (m, label_for(m))),
        duplicates,
        may_write,
        may_recognise: ctx.may(Permission::Recognise),
        recognise_form,
        status_form: status_view_,
        p,
        l: ctx.layout(),
    };
    render(status, page)
}

pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    person_page(
        &state,
        &ctx,
        id,
        StatusCode::OK,
        (&RecogniseForm::default(), &[]),
        (&StatusForm::default(), &[]),
    )
    .await
}

pub async fn recognise(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RecogniseForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    let day = Day::parse(form.recognized_on.trim());
    if day.is_err() {
        errors.push(FieldError::new("recognized_on", "form-bad-day"));
    }
    if form.criteria.chars().count() > MAX_NAME {
        errors.push(FieldError::new("criteria", "form-too-long"));
    }
    if form.reasoning.chars().count() > MAX_TEXT {
        errors.push(FieldError::new("reasoning", "form-too-long"));
    }
    let Ok(day) = day
        .map_err(|_| ())
        .and_then(|d| if errors.is_empty() { Ok(d) } else { Err(()) })
    else {
        return person_page(
            &state,
            &ctx,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            (&form, &errors),
            (&StatusForm::default(), &[]),
        )
        .await;
    };
    match state
        .app
        .recognise(&actor, id, day, &form.criteria, &form.reasoning)
        .await
    {
        Ok(()) => Redirect::to(&format!("/persons/{id}")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn add_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    let status = PrisonerStatus::parse(&form.status);
    if status.is_none() {
        errors.push(FieldError::new("status", "form-choose"));
    }
    let day = Day::parse(form.on.trim()).ok();
    if day.is_none() {
        errors.push(FieldError::new("on", "form-bad-day"));
    }
    let (Some(status), Some(day)) = (status, day) else {
        return person_page(
            &state,
            &ctx,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            (&RecogniseForm::default(), &[]),
            (&form, &errors),
        )
        .await;
    };
    match state.app.add_status(&actor, id, status, day).await {
        Ok(()) => Redirect::to(&format!("/persons/{id}")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

pub struct VersionRowView {
    pub version: i64,
    pub at: String,
    pub actor: String,
    pub changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub l: Layout,
    pub title: String,
    pub back: String,
    pub versions: Vec<VersionRowView>,
}

/// The version history of a person or an event as a page, newest version first.
pub async fn history_page(state: &AppState, ctx: &Ctx, kind: &str, id: i64) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let versions: Vec<VersionView> = match state.app.history(&actor, kind, id).await {
        Ok(v) => v,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let (title, back) = match kind {
        "person" => (tr.t1("history-of", "record", &label_for(id)), format!("/persons/{id}")),
        _ => (
            tr.t1("history-of", "record", &format!("#{id}")),
            format!("/events/{id}"),
        ),
    };
    let page = HistoryPage {
        title,
        back,
        versions: versions
            .into_iter()
            .rev()
            .map(|v| VersionRowView {
                version: v.version,
                at: utc_minute(v.at_ms),
                actor: v.actor,
                changes: v
                    .changes
                    .into_iter()
                    .map(|(field, before, after)| (tr.t(&format!("field-{field}")), before, after))
                    .collect(),
            })
            .collect(),
        l: ctx.layout(),
    };
    render(StatusCode::OK, page)
}

pub async fn history(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    history_page(&state, &ctx, "person", id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_form_names_every_wrong_field() {
        let form = PersonForm {
            birth_date: "1990-13".into(),
            confidentiality: "secret".into(),
            notes: "x".repeat(MAX_TEXT + 1),
            ..PersonForm::default()
        };
        let errors = form.parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["family_name", "notes", "birth_date", "confidentiality"]);
        let form = PersonForm {
            family_name: "Іваноў".into(),
            confidentiality: "internal".into(),
            compartment: "legal".into(),
            ..PersonForm::default()
        };
        let fields: Vec<_> = form.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["compartment"]);
    }

    #[test]
    fn a_person_form_keeps_variants_one_per_line_and_recognises_regions() {
        let form = PersonForm {
            family_name: " Іваноў ".into(),
            variants: "Ivanou\n\n Иванов \n".into(),
            region: "Гомельская область".into(),
            confidentiality: "restricted".into(),
            consent: Some("1".into()),
            ..PersonForm::default()
        };
        let (input, compartment) = form.parse().unwrap();
        assert_eq!(compartment, None, "no compartment chosen is none");
        assert_eq!(input.identity.family_name, "Іваноў");
        assert_eq!(input.identity.variants, ["Ivanou", "Иванов"]);
        assert_eq!(input.region.as_deref(), Some("gomel"));
        assert!(input.consent_to_publish);
    }
}

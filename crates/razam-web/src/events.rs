//! The documenters' event pages: the list with its filters, the event page with its persons
//! and sources, the create and edit form, the version history.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::registry::{EventDetails, EventFilter, EventInput, EventView, label_for};
use razam_app::sources::{SourceDetails, SourceInput};
use razam_core::registry::{Confidentiality, Day, EventKind, FuzzyDate, PersonRole, SourceKind, parse_articles};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{
    Field, FieldError, FormView, Widget, level_options, parse_person_label, query_string, region_name, region_options,
    utc_minute,
};
use crate::i18n::Tr;
use crate::pages::{app_error, bad_request, form_actor, render, to_login};
use crate::persons::{PAGE, event_summary, history_page, record_form};

fn kind_options(tr: &Tr, empty_key: Option<&str>) -> Vec<(String, String)> {
    let mut options = Vec::new();
    if let Some(key) = empty_key {
        options.push((String::new(), tr.t(key)));
    }
    options.extend(
        EventKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), tr.t(&format!("kind-{}", k.as_str())))),
    );
    options
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: String,
}

pub struct EventRowView {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub region: String,
    /// (id, label)
    pub persons: Vec<(i64, String)>,
    pub summary: String,
    pub level: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct ListPage {
    l: Layout,
    rows: Vec<EventRowView>,
    kinds: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    q: ListQuery,
    next: Option<String>,
    first: Option<String>,
}

fn day_filter(text: &str) -> Result<Option<String>, ()> {
    match text.trim() {
        "" => Ok(None),
        t => Day::parse(t).map(|d| Some(d.to_string())).map_err(|_| ()),
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let (Ok(from), Ok(to)) = (day_filter(&q.from), day_filter(&q.to)) else {
        return bad_request(&ctx);
    };
    let before = match q.before.as_str() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return bad_request(&ctx),
        },
    };
    let filter = EventFilter {
        kind: EventKind::parse(&q.kind).map(EventKind::as_str),
        region: Some(q.region.clone()).filter(|r| !r.is_empty()),
        from,
        to,
        ..EventFilter::default()
    };
    let events = match state.app.list_events(&actor, filter, before, PAGE).await {
        Ok(e) => e,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let filters = [
        ("kind", q.kind.as_str()),
        ("region", q.region.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ];
    let next = (events.len() as i64 == PAGE).then(|| {
        let last = events.last().map(|e| e.id.to_string()).unwrap_or_default();
        let mut pairs = filters.to_vec();
        pairs.push(("before", &last));
        format!("/events{}", query_string(&pairs))
    });
    let first = before.map(|_| format!("/events{}", query_string(&filters)));
    let rows = events
        .iter()
        .map(|e| EventRowView {
            id: e.id,
            date: e.date.map(|d| d.to_string()).unwrap_or_else(|| tr.t("date-unknown")),
            kind: tr.t(&format!("kind-{}", e.kind.as_str())),
            region: region_name(tr, e.region.as_deref()),
            persons: e.persons.iter().map(|(id, label, _)| (*id, label.clone())).collect(),
            summary: event_summary(tr, e),
            level: tr.t(&format!("level-{}", e.confidentiality.as_str())),
        })
        .collect();
    let page = ListPage {
        rows,
        kinds: kind_options(tr, Some("events-any-kind")),
        regions: region_options(tr, &q.region, "persons-any-region"),
        next,
        first,
        q,
        l: ctx.layout(),
    };
    render(StatusCode::OK, page)
}

#[derive(Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    facility: String,
    #[serde(default)]
    arrest_days: String,
    #[serde(default)]
    term_months: String,
    #[serde(default)]
    articles: String,
    #[serde(default)]
    persons: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    confidentiality: String,
    /// The compartment's id, or empty for none.
    #[serde(default)]
    compartment: String,
    /// A new event's idempotency key ([`crate::forms::form_key`]): the form sent twice
    /// creates one event.
    #[serde(default)]
    key: String,
    /// The writer's compartments, offered by the form (not submitted).
    #[serde(skip)]
    own_compartments: Vec<(i64, String)>,
}

const MAX_SHORT: usize = 200;
const MAX_TEXT: usize = 20_000;

/// A count of days or months: empty, or a whole number from 0 to `max`.
fn count(text: &str, max: i64) -> Result<Option<i64>, ()> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .map(Some)
            .ok_or(()),
    }
}

/// The persons field: one per line, a label (`P-000012`) or id, then optionally a role.
fn parse_persons(text: &str) -> Result<Vec<(i64, PersonRole)>, ()> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words = line.split_whitespace();
        let id = words.next().and_then(parse_person_label).ok_or(())?;
        let role = match words.next() {
            None => PersonRole::Victim,
            Some(r) => PersonRole::parse(r).ok_or(())?,
        };
        if words.next().is_some() {
            return Err(());
        }
        if !out.iter().any(|(known, _)| *known == id) {
            out.push((id, role));
        }
    }
    Ok(out)
}

impl EventForm {
    fn from_view(e: &EventView) -> EventForm {
        EventForm {
            csrf: String::new(),
            version: e.version.to_string(),
            kind: e.kind.as_str().to_owned(),
            date: e.date.map(|d| d.to_string()).unwrap_or_default(),
            region: e.region.clone().unwrap_or_default(),
            district: e.details.district.clone(),
            settlement: e.details.settlement.clone(),
            facility: e.details.facility.clone(),
            arrest_days: e.arrest_days.map(|n| n.to_string()).unwrap_or_default(),
            term_months: e.term_months.map(|n| n.to_string()).unwrap_or_default(),
            articles: e.articles.join("; "),
            persons: e
                .persons
                .iter()
                .map(|(_, label, role)| format!("{label} {role}"))
                .collect::<Vec<_>>()
                .join("\n"),
            description: e.details.description.clone(),
            confidentiality: e.confidentiality.as_str().to_owned(),
            compartment: e.compartment.map(|c| c.to_string()).unwrap_or_default(),
            key: String::new(),
            own_compartments: Vec::new(),
        }
    }

    /// Loads the writer's compartments for the form to offer.
    async fn offer_compartments(&mut self, state: &AppState, actor: &razam_app::Actor) {
        // Without them the form simply offers none; the app checks every write anyway.
        self.own_compartments = state.app.own_compartments(actor).await.unwrap_or_default();
    }

    /// [`EventForm::parse`] and the compartment chosen.
    fn parse_with_compartment(&self) -> Result<(EventInput, Option<i64>), Vec<FieldError>> {
        match (self.parse(), crate::forms::parse_compartment(&self.compartment)) {
            (Ok(input), Ok(compartment)) => Ok((input, compartment)),
            (Err(mut errors), Err(e)) => {
                errors.push(e);
                Err(errors)
            }
            (Err(errors), _) => Err(errors),
            (_, Err(e)) => Err(vec![e]),
        }
    }

    fn parse(&self) -> Result<EventInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = EventKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "form-choose"));
        }
        let date = match self.date.trim() {
            "" => None,
            t => match FuzzyDate::parse(t) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new("date", "form-bad-fuzzy-date"));
                    None
                }
            },
        };
        for (field, value) in [
            ("district", &self.district),
            ("settlement", &self.settlement),
            ("facility", &self.facility),
            ("region", &self.region),
        ] {
            if value.chars().count() > MAX_SHORT {
                errors.push(FieldError::new(field, "form-too-long"));
            }
        }
        if self.description.chars().count() > MAX_TEXT {
            errors.push(FieldError::new("description", "form-too-long"));
        }
        let arrest_days = count(&self.arrest_days, 3650).unwrap_or_else(|()| {
            errors.push(FieldError::new("arrest_days", "form-bad-count"));
            None
        });
        let term_months = count(&self.term_months, 1200).unwrap_or_else(|()| {
            errors.push(FieldError::new("term_months", "form-bad-count"));
            None
        });
        let articles = parse_articles(&self.articles).unwrap_or_else(|_| {
            errors.push(FieldError::new("articles", "form-bad-articles"));
            Vec::new()
        });
        let persons = parse_persons(&self.persons).unwrap_or_else(|()| {
            errors.push(FieldError::new("persons", "form-bad-persons"));
            Vec::new()
        });
        let confidentiality = Confidentiality::parse(&self.confidentiality);
        if confidentiality.is_none() {
            errors.push(FieldError::new("confidentiality", "form-choose"));
        }
        match (kind, confidentiality) {
            (Some(kind), Some(confidentiality)) if errors.is_empty() => Ok(EventInput {
                kind,
                date,
                region: razam_app::registry::normalise_region(&self.region),
                arrest_days,
                term_months,
                details: EventDetails {
                    district: self.district.trim().to_owned(),
                    settlement: self.settlement.trim().to_owned(),
                    facility: self.facility.trim().to_owned(),
                    description: self.description.trim().to_owned(),
                },
                confidentiality,
                articles,
                persons,
            }),
            _ => Err(errors),
        }
    }

    fn view(&self, tr: &Tr) -> FormView {
        let mut f = FormView::new();
        let kind = if self.kind.is_empty() {
            EventKind::Detention.as_str()
        } else {
            &self.kind
        };
        f.select(
            Field::new(tr, "kind", "event-kind", kind, Widget::Select).required(),
            kind_options(tr, None),
        );
        f.push(Field::new(tr, "date", "event-date", &self.date, Widget::Text).hint(tr, "form-fuzzy-date-hint"));
        f.push(
            Field::new(tr, "persons", "event-persons", &self.persons, Widget::TextArea).hint(tr, "event-persons-hint"),
        );
        f.select(
            Field::new(tr, "region", "person-region", &self.region, Widget::Select),
            region_options(tr, &self.region, "region-unknown"),
        );
        f.push(Field::new(
            tr,
            "district",
            "event-district",
            &self.district,
            Widget::Text,
        ));
        f.push(Field::new(
            tr,
            "settlement",
            "event-settlement",
            &self.settlement,
            Widget::Text,
        ));
        f.push(
            Field::new(tr, "facility", "event-facility", &self.facility, Widget::Text).hint(tr, "event-facility-hint"),
        );
        f.push(
            Field::new(tr, "articles", "event-articles", &self.articles, Widget::Text).hint(tr, "event-articles-hint"),
        );
        f.push(Field::new(
            tr,
            "arrest_days",
            "event-arrest-days",
            &self.arrest_days,
            Widget::Number,
        ));
        f.push(Field::new(
            tr,
            "term_months",
            "event-term-months",
            &self.term_months,
            Widget::Number,
        ));
        f.push(Field::new(
            tr,
            "description",
            "event-description",
            &self.description,
            Widget::TextArea,
        ));
        let level = if self.confidentiality.is_empty() {
            Confidentiality::Internal.as_str()
        } else {
            &self.confidentiality
        };
        f.select(
            Field::new(tr, "confidentiality", "record-level", level, Widget::Select).hint(tr, "record-level-hint"),
            level_options(tr),
        );
        crate::forms::compartment_field(tr, &mut f, &self.compartment, &self.own_compartments);
        f
    }
}

fn event_form_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &EventForm,
    id: Option<i64>,
    errors: &[FieldError],
    notice: &str,
) -> Response {
    let mut view = form.view(&ctx.tr);
    view.refuse(&ctx.tr, errors);
    let mut page = record_form(ctx, "event", id, &form.version, view, notice);
    if id.is_none() {
        page.key = crate::forms::form_key(&form.key);
    }
    render(status, page)
}

/// An app refusal that belongs beside a field: a person that does not exist or may not be
/// linked. Anything else is a page of its own.
fn persons_refused(e: &AppError) -> bool {
    matches!(e, AppError::NotFound("the person"))
}

#[derive(Deserialize)]
pub struct NewQuery {
    person: Option<i64>,
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.may(Permission::WriteRegistry) {
        return app_error(&ctx, AppError::Forbidden);
    }
    let form = EventForm {
        persons: q
            .person
            .map(|id| format!("{} {}", label_for(id), PersonRole::Victim.as_str()))
            .unwrap_or_default(),
        ..EventForm::default()
    };
    let mut form = form;
    form.offer_compartments(&state, &actor).await;
    event_form_page(&ctx, StatusCode::OK, &form, None, &[], "")
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(mut form): Form<EventForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let errors = match form.parse_with_compartment() {
        Err(errors) => errors,
        Ok((input, compartment)) => {
            let key = Some(form.key.as_str()).filter(|k| !k.is_empty());
            match state.app.create_event_once(&actor, &input, compartment, key).await {
                Ok(created) => return Redirect::to(&format!("/events/{}", created.id)).into_response(),
                Err(AppError::BadInput(_)) if compartment.is_some() => vec![crate::forms::compartment_refused()],
                Err(e) if persons_refused(&e) => vec![FieldError::new("persons", "form-unknown-person")],
                Err(e) => return app_error(&ctx, e),
            }
        }
    };
    // Only a form shown again needs the compartments it offers.
    form.offer_compartments(&state, &actor).await;
    event_form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, None, &errors, "")
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.may(Permission::WriteRegistry) {
        return app_error(&ctx, AppError::Forbidden);
    }
    match state.app.event_page(&actor, id).await {
        Ok(e) => {
            let mut form = EventForm::from_view(&e);
            form.offer_compartments(&state, &actor).await;
            event_form_page(&ctx, StatusCode::OK, &form, Some(id), &[], "")
        }
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(mut form): Form<EventForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let Ok(version) = form.version.parse::<i64>() else {
        return bad_request(&ctx);
    };
    let (status, errors, notice) = match form.parse_with_compartment() {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, ""),
        Ok((input, compartment)) => match state
            .app
            .update_event_in(&actor, id, version, &input, Some(compartment))
            .await
        {
            Ok(()) => return Redirect::to(&format!("/events/{id}")).into_response(),
            Err(AppError::BadInput(_)) if compartment.is_some() => (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![crate::forms::compartment_refused()],
                "",
            ),
            Err(AppError::Conflict(_)) => (StatusCode::CONFLICT, Vec::new(), "form-stale"),
            Err(e) if persons_refused(&e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![FieldError::new("persons", "form-unknown-person")],
                "",
            ),
            Err(e) => return app_error(&ctx, e),
        },
    };
    // Only a form shown again needs the compartments it offers.
    form.offer_compartments(&state, &actor).await;
    event_form_page(&ctx, status, &form, Some(id), &errors, notice)
}

pub struct SourceRowView {
    pub kind: String,
    pub title: String,
    pub reference: String,
    pub notes: String,
    pub level: String,
    pub added: String,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    l: Layout,
    e: EventView,
    kind: String,
    date: String,
    region: String,
    level: String,
    /// (id, label, role)
    persons: Vec<(i64, String, String)>,
    sources: Vec<SourceRowView>,
    may_write: bool,
    source_form: FormView,
}

#[derive(Deserialize, Default)]
pub struct SourceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    confidentiality: String,
}

impl SourceForm {
    fn parse(&self) -> Result<SourceInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = SourceKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "form-choose"));
        }
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(FieldError::new("title", "form-required"));
        }
        if title.chars().count() > MAX_SHORT * 2 {
            errors.push(FieldError::new("title", "form-too-long"));
        }
        if self.reference.chars().count() > MAX_SHORT * 5 {
            errors.push(FieldError::new("reference", "form-too-long"));
        }
        if self.notes.chars().count() > MAX_TEXT {
            errors.push(FieldError::new("notes", "form-too-long"));
        }
        let confidentiality = Confidentiality::parse(&self.confidentiality);
        if confidentiality.is_none() {
            errors.push(FieldError::new("confidentiality", "form-choose"));
        }
        match (kind, confidentiality) {
            (Some(kind), Some(confidentiality)) if errors.is_empty() => Ok(SourceInput {
                kind,
                details: SourceDetails {
                    title: title.to_owned(),
                    reference: self.reference.trim().to_owned(),
                    notes: self.notes.trim().to_owned(),
                },
                confidentiality,
            }),
            _ => Err(errors),
        }
    }

    fn view(&self, tr: &Tr) -> FormView {
        let mut f = FormView::new();
        f.select(
            Field::new(tr, "kind", "source-kind", &self.kind, Widget::Select),
            SourceKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), tr.t(&format!("source-{}", k.as_str()))))
                .collect(),
        );
        f.push(Field::new(tr, "title", "source-title", &self.title, Widget::Text).required());
        f.push(
            Field::new(tr, "reference", "source-reference", &self.reference, Widget::Text)
                .hint(tr, "source-reference-hint"),
        );
        f.push(Field::new(tr, "notes", "source-notes", &self.notes, Widget::TextArea));
        let level = if self.confidentiality.is_empty() {
            Confidentiality::Internal.as_str()
        } else {
            &self.confidentiality
        };
        f.select(
            Field::new(tr, "confidentiality", "record-level", level, Widget::Select),
            level_options(tr),
        );
        f
    }
}

async fn event_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    status: StatusCode,
    source: (&SourceForm, &[FieldError]),
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let e = match state.app.event_page_checked(&actor, id, ctx.checked.clone()).await {
        Ok(e) => e,
        Err(err) => return app_error(ctx, err),
    };
    let sources = match state.app.event_sources(&actor, id).await {
        Ok(s) => s,
        Err(err) => return app_error(ctx, err),
    };
    let tr = &ctx.tr;
    let mut source_form = source.0.view(tr);
    source_form.refuse(tr, source.1);
    if source.1.is_empty() {
        source_form.fields.iter_mut().for_each(|c| c.field.focus = false);
    }
    let page = EventPage {
        kind: tr.t(&format!("kind-{}", e.kind.as_str())),
        date: e.date.map(|d| d.to_string()).unwrap_or_else(|| tr.t("date-unknown")),
        region: region_name(tr, e.region.as_deref()),
        level: tr.t(&format!("level-{}", e.confidentiality.as_str())),
        persons: e
            .persons
            .iter()
            .map(|(pid, label, role)| {
                let role =
                    PersonRole::parse(role).map_or_else(|| role.clone(), |r| tr.t(&format!("prole-{}", r.as_str())));
                (*pid, label.clone(), role)
            })
            .collect(),
        sources: sources
            .into_iter()
            .map(|s| SourceRowView {
                kind: tr.t(&format!("source-{}", s.kind.as_str())),
                title: s.details.title,
                reference: s.details.reference,
                notes: s.details.notes,
                level: tr.t(&format!("level-{}", s.confidentiality.as_str())),
                added: utc_minute(s.created_at_ms),
            })
            .collect(),
        may_write: ctx.may(Permission::WriteRegistry),
        source_form,
        e,
        l: ctx.layout(),
    };
    render(status, page)
}

pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    event_page(&state, &ctx, id, StatusCode::OK, (&SourceForm::default(), &[])).await
}

pub async fn add_source(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<SourceForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return event_page(&state, &ctx, id, StatusCode::UNPROCESSABLE_ENTITY, (&form, &errors)).await;
        }
    };
    match state.app.add_source(&actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/events/{id}#sources")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

pub async fn history(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    history_page(&state, &ctx, "event", id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_form_names_every_wrong_field() {
        let form = EventForm {
            kind: "picnic".into(),
            date: "2020-02-30".into(),
            arrest_days: "-1".into(),
            term_months: "many".into(),
            articles: "342;;x".into(),
            persons: "P-000001 judge".into(),
            confidentiality: "internal".into(),
            ..EventForm::default()
        };
        let fields: Vec<_> = form.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["kind", "date", "arrest_days", "term_months", "articles", "persons"]
        );
    }

    #[test]
    fn persons_are_written_one_per_line_with_an_optional_role() {
        assert_eq!(
            parse_persons("P-000012\n\n 7 witness \nP-000012 lawyer").unwrap(),
            [(12, PersonRole::Victim), (7, PersonRole::Witness)]
        );
        assert!(parse_persons("P-000012 victim extra").is_err());
        assert!(parse_persons("someone").is_err());
    }

    #[test]
    fn counts_are_whole_numbers_in_range() {
        assert_eq!(count(" 15 ", 3650), Ok(Some(15)));
        assert_eq!(count("", 3650), Ok(None));
        assert!(count("4000", 3650).is_err());
        assert!(count("1.5", 3650).is_err());
    }
}

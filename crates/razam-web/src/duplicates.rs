//! `/persons/duplicates`: the queue of likely duplicate pairs with their evidence; the merge
//! form (pick the survivor, confirm); "not the same person"; undoing a merge.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::duplicates::{Evidence, Field as LinkField, agreement_name, evidence_between, person_record};
use razam_app::registry::{Identity, PersonCard, PersonView};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget, region_name};
use crate::i18n::Tr;
use crate::pages::{app_error, bad_request, form_actor, render, to_login};

/// A person as a pair shows it.
pub struct PersonCell {
    pub id: i64,
    pub label: String,
    pub name: String,
    pub birth_date: String,
    pub region: String,
    pub level: String,
    pub version: i64,
}

impl PersonCell {
    pub fn of(tr: &Tr, p: &PersonCard) -> PersonCell {
        PersonCell {
            id: p.id,
            label: p.label.clone(),
            name: p.identity.full_name(),
            birth_date: p.identity.birth_date.clone(),
            region: region_name(tr, p.region.as_deref()),
            level: tr.t(&format!("level-{}", p.confidentiality.as_str())),
            version: p.version,
        }
    }
}

/// One field's evidence: the field, both values, how far they agree, the weight.
pub struct EvidenceRow {
    pub field: String,
    pub a: String,
    pub b: String,
    pub agreement: String,
    /// `agreement-<level>` as a class, so agreeing rows can be told apart without colour alone.
    pub level: &'static str,
    pub weight: String,
}

/// The evidence of a pair as the pages show it.
pub struct EvidenceView {
    /// "97.3 %"
    pub probability: String,
    pub match_weight: String,
    pub rows: Vec<EvidenceRow>,
}

fn value_of(identity: &Identity, field: LinkField) -> String {
    let r = person_record(identity);
    match field {
        LinkField::GivenName => r.given_name,
        LinkField::FamilyName => r.family_name,
        LinkField::Patronymic => r.patronymic,
        LinkField::BirthDate => r.birth_date,
        LinkField::BirthPlace => r.birth_place,
    }
}

fn field_label(tr: &Tr, field: LinkField) -> String {
    tr.t(match field {
        LinkField::GivenName => "person-given-name",
        LinkField::FamilyName => "person-family-name",
        LinkField::Patronymic => "person-patronymic",
        LinkField::BirthDate => "person-birth-date",
        LinkField::BirthPlace => "duplicates-birth-place",
    })
}

/// The evidence between `a` and `b`, the birth place (the registry keeps none) left out.
pub fn evidence_view(tr: &Tr, a: &Identity, b: &Identity, e: &Evidence) -> EvidenceView {
    EvidenceView {
        probability: percent(e.probability),
        match_weight: format!("{:+.1}", e.match_weight),
        rows: e
            .fields
            .iter()
            .filter(|f| f.field != LinkField::BirthPlace)
            .map(|f| EvidenceRow {
                field: field_label(tr, f.field),
                a: value_of(a, f.field),
                b: value_of(b, f.field),
                agreement: tr.t(&format!("agreement-{}", agreement_name(f.agreement))),
                level: agreement_name(f.agreement),
                weight: format!("{:+.1}", f.weight),
            })
            .collect(),
    }
}

/// The probability and the fields that speak for the pair, in one line:
/// "97.3 % · Family name: same, other spelling; Given name: equivalent".
pub fn agreeing_text(tr: &Tr, e: &Evidence) -> String {
    let fields: Vec<String> = e
        .fields
        .iter()
        .filter(|f| f.weight > 0.0)
        .map(|f| {
            format!(
                "{}: {}",
                field_label(tr, f.field),
                tr.t(&format!("agreement-{}", agreement_name(f.agreement)))
            )
        })
        .collect();
    format!("{} · {}", percent(e.probability), fields.join("; "))
}

/// A probability as a percentage with one decimal, never rounded up to a certain 100 %.
pub fn percent(p: f64) -> String {
    let tenths = (p * 1000.0).floor() / 10.0;
    format!("{tenths:.1} %")
}

pub struct PairView {
    pub a: PersonCell,
    pub b: PersonCell,
    pub evidence: EvidenceView,
    /// The link to the merge form, the suggested survivor first.
    pub merge_href: String,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct QueuePage {
    l: Layout,
    pairs: Vec<PairView>,
}

pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let pairs = match state.app.duplicate_candidates(&actor).await {
        Ok(p) => p,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let pairs = pairs
        .iter()
        .map(|p| PairView {
            a: PersonCell::of(tr, &p.survivor),
            b: PersonCell::of(tr, &p.merged),
            evidence: evidence_view(tr, &p.survivor.identity, &p.merged.identity, &p.evidence),
            merge_href: format!("/persons/merge?a={}&b={}", p.survivor.id, p.merged.id),
        })
        .collect();
    render(StatusCode::OK, QueuePage { pairs, l: ctx.layout() })
}

#[derive(Deserialize, Default)]
pub struct PairQuery {
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
}

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    l: Layout,
    a: PersonCell,
    b: PersonCell,
    evidence: EvidenceView,
    form: FormView,
    notice: String,
}

/// The merge form: both persons side by side, the evidence, the survivor to pick (the first
/// named, `a`, by default) and the confirmation.
pub async fn merge_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PairQuery>) -> Response {
    let (Ok(a), Ok(b)) = (q.a.parse::<i64>(), q.b.parse::<i64>()) else {
        return bad_request(&ctx);
    };
    merge_page(&state, &ctx, StatusCode::OK, (a, b), None, "").await
}

async fn merge_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    (a, b): (i64, i64),
    survivor: Option<i64>,
    notice: &str,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.may(Permission::WriteRegistry) {
        return app_error(ctx, AppError::Forbidden);
    }
    let (pa, pb) = match (
        state.app.person_page(&actor, a).await,
        state.app.person_page(&actor, b).await,
    ) {
        (Ok(pa), Ok(pb)) => (pa.person, pb.person),
        (Err(e), _) | (_, Err(e)) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let evidence = evidence_between(&pa.identity, &pb.identity);
    let mut form = FormView::new();
    let cell = |p: &PersonView| format!("{} · {}", p.label, p.identity.full_name());
    form.select(
        Field::new(
            tr,
            "survivor",
            "merge-survivor",
            survivor.unwrap_or(a).to_string(),
            Widget::Select,
        )
        .hint(tr, "merge-survivor-hint"),
        vec![(a.to_string(), cell(&pa)), (b.to_string(), cell(&pb))],
    );
    form.push(Field::new(tr, "confirm", "merge-confirm", "", Widget::Checkbox).required());
    let page = MergePage {
        evidence: evidence_view(tr, &pa.identity, &pb.identity, &evidence),
        a: PersonCell::of(tr, &pa.card()),
        b: PersonCell::of(tr, &pb.card()),
        form,
        notice: if notice.is_empty() { String::new() } else { tr.t(notice) },
        l: ctx.layout(),
    };
    render(status, page)
}

#[derive(Deserialize, Default)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
    #[serde(default)]
    version_a: String,
    #[serde(default)]
    version_b: String,
    #[serde(default)]
    survivor: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn merge(State(state): State<AppState>, ctx: Ctx, Form(form): Form<MergeForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let numbers = [&form.a, &form.b, &form.version_a, &form.version_b, &form.survivor].map(|t| t.parse::<i64>());
    let [Ok(a), Ok(b), Ok(va), Ok(vb), Ok(survivor)] = numbers else {
        return bad_request(&ctx);
    };
    if form.confirm.is_none() {
        return merge_page(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            (a, b),
            Some(survivor),
            "merge-not-confirmed",
        )
        .await;
    }
    let (kept, gone) = if survivor == b {
        ((b, vb), (a, va))
    } else {
        ((a, va), (b, vb))
    };
    match state.app.merge_persons(&actor, kept, gone).await {
        Ok(_) => Redirect::to(&format!("/persons/{}", kept.0)).into_response(),
        Err(AppError::Conflict(_)) => {
            merge_page(
                &state,
                &ctx,
                StatusCode::CONFLICT,
                (a, b),
                Some(survivor),
                "merge-stale",
            )
            .await
        }
        Err(AppError::BadInput(_)) => {
            merge_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                (a, b),
                Some(survivor),
                "merge-level",
            )
            .await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize, Default)]
pub struct DistinctForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
    /// Where to go afterwards: `person` for the page of `a`, else the queue.
    #[serde(default)]
    back: String,
}

pub async fn distinct(State(state): State<AppState>, ctx: Ctx, Form(form): Form<DistinctForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let (Ok(a), Ok(b)) = (form.a.parse::<i64>(), form.b.parse::<i64>()) else {
        return bad_request(&ctx);
    };
    match state.app.mark_distinct(&actor, a, b).await {
        Ok(()) if form.back == "person" => Redirect::to(&format!("/persons/{a}")).into_response(),
        Ok(()) => Redirect::to("/persons/duplicates").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize, Default)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
}

pub async fn undo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<UndoForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    match state.app.undo_merge(&actor, id).await {
        Ok((_, merged)) => Redirect::to(&format!("/persons/{merged}")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

/// A probable match as the person page and the person form list it.
pub struct MatchView {
    pub person: PersonCell,
    pub evidence: EvidenceView,
    pub merge_href: String,
}

/// The matches of `subject` (a person being viewed or entered), each with its evidence.
pub fn match_views(tr: &Tr, subject: &PersonCard, found: &[(PersonCard, Evidence)]) -> Vec<MatchView> {
    found
        .iter()
        .map(|(p, e)| MatchView {
            person: PersonCell::of(tr, p),
            evidence: evidence_view(tr, &subject.identity, &p.identity, e),
            merge_href: format!("/persons/merge?a={}&b={}", p.id, subject.id),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probability_is_never_rounded_up_to_certainty() {
        assert_eq!(percent(0.99999), "99.9 %");
        assert_eq!(percent(1.0), "100.0 %");
        assert_eq!(percent(0.5), "50.0 %");
        assert_eq!(percent(0.0), "0.0 %");
    }
}

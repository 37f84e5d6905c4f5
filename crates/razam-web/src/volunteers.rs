//! Volunteers over HTTP: `/volunteers` shows the coverage of the coming days (shifts with
//! open places or missing skills first), every shift with sign-up and cancel buttons, and,
//! for coordinators, the volunteers and the forms that add volunteers, places and shifts.
//! A volunteer sees shifts and open places, never names.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::volunteers::{
    PlaceView, ShiftInput, ShiftView, VolunteerDetails, VolunteerInput, VolunteerView, needs_from_text, parse_moment,
    skills_from_text,
};
use razam_core::aid::needs_text;
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget, utc_minute};
use crate::i18n::Tr;
use crate::pages::{app_error, form_actor, render, to_login};

/// One shift as the page shows it.
pub struct ShiftLine {
    pub id: i64,
    pub place: String,
    pub when: String,
    pub needs: String,
    pub signed: String,
    /// "2 places open", "lang:uk: 1 more" …, empty when covered.
    pub short: Vec<String>,
    pub names: String,
    pub mine: bool,
    pub full: bool,
}

fn shift_line(tr: &Tr, s: &ShiftView) -> ShiftLine {
    let mut short = Vec::new();
    if s.coverage.open_places > 0 {
        short.push(format!("{}: {}", tr.t("shifts-open-places"), s.coverage.open_places));
    }
    for (skill, n) in &s.coverage.missing {
        short.push(format!("{}: {skill} × {n}", tr.t("shifts-missing")));
    }
    ShiftLine {
        id: s.id,
        place: s.place.clone(),
        when: format!("{} – {}", utc_minute(s.starts_at_ms), utc_minute(s.ends_at_ms)),
        needs: needs_text(&s.needs),
        signed: format!("{} / {}", s.signed_up, s.head_count),
        short,
        names: s
            .volunteers
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        mine: s.mine,
        full: s.signed_up >= s.head_count,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct VolunteersQuery {
    #[serde(default)]
    days: Option<i64>,
}

/// The fields of every `/volunteers` form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct VolunteerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    head_count: String,
    #[serde(default)]
    needs: String,
    #[serde(default)]
    volunteer: String,
}

#[derive(Template)]
#[template(path = "volunteers.html")]
struct VolunteersPage {
    l: Layout,
    days: i64,
    uncovered: Vec<ShiftLine>,
    shifts: Vec<ShiftLine>,
    manages: bool,
    signs_up: bool,
    volunteers: Vec<(VolunteerView, String)>,
    places: Vec<PlaceView>,
    volunteer_form: FormView,
    place_form: FormView,
    shift_form: FormView,
    error: String,
}

fn volunteer_form(tr: &Tr, f: &VolunteerForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "name", "shifts-volunteer-name", f.name.clone(), Widget::Text)
            .max_len(200)
            .required(),
    );
    form.push(Field::new(tr, "contact", "shifts-contact", f.contact.clone(), Widget::Text).max_len(200));
    form.push(
        Field::new(tr, "skills", "shifts-skills", f.skills.clone(), Widget::Text)
            .max_len(400)
            .hint(tr, "shifts-skills-hint"),
    );
    form.push(
        Field::new(tr, "account", "shifts-account", f.account.clone(), Widget::Text)
            .max_len(64)
            .hint(tr, "shifts-account-hint"),
    );
    form
}

fn place_form(tr: &Tr, f: &VolunteerForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "name", "shifts-place-name", f.name.clone(), Widget::Text)
            .max_len(200)
            .required(),
    );
    form.push(
        Field::new(
            tr,
            "description",
            "shifts-place-description",
            f.description.clone(),
            Widget::Text,
        )
        .max_len(200),
    );
    form
}

fn shift_form(tr: &Tr, f: &VolunteerForm, places: &[PlaceView]) -> FormView {
    let mut form = FormView::new();
    form.select(
        Field::new(tr, "place", "shifts-place", f.place.clone(), Widget::Select).required(),
        places.iter().map(|p| (p.id.to_string(), p.name.clone())).collect(),
    );
    form.push(
        Field::new(tr, "starts", "shifts-starts", f.starts.clone(), Widget::Text)
            .max_len(16)
            .hint(tr, "shifts-time-hint")
            .required(),
    );
    form.push(
        Field::new(tr, "ends", "shifts-ends", f.ends.clone(), Widget::Text)
            .max_len(16)
            .required(),
    );
    form.push(
        Field::new(
            tr,
            "head_count",
            "shifts-head-count",
            f.head_count.clone(),
            Widget::Number,
        )
        .required(),
    );
    form.push(
        Field::new(tr, "needs", "shifts-needs", f.needs.clone(), Widget::Text)
            .max_len(400)
            .hint(tr, "shifts-needs-hint"),
    );
    form
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    None,
    Volunteer,
    Place,
    Shift,
}

async fn volunteers_page(
    state: &AppState,
    ctx: &Ctx,
    days: i64,
    f: &VolunteerForm,
    which: Which,
    error: String,
    status: StatusCode,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let app = &state.app;
    let manages = ctx.may(Permission::ManageShifts);
    let days = days.clamp(1, razam_app::volunteers::COVERAGE_DAYS_MAX);
    let loaded = async {
        let shifts = app.shifts(&actor, razam_app::now_ms(), days).await?;
        let volunteers = if manages {
            app.volunteers(&actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, AppError>((shifts, volunteers, app.places(&actor).await?))
    };
    let (shifts, volunteers, places) = match loaded.await {
        Ok(x) => x,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let empty = VolunteerForm::default();
    let pick = |w: Which| if which == w { f } else { &empty };
    render(
        status,
        VolunteersPage {
            l: ctx.layout(),
            days,
            uncovered: shifts
                .iter()
                .filter(|s| !s.coverage.is_covered())
                .map(|s| shift_line(tr, s))
                .collect(),
            shifts: shifts.iter().map(|s| shift_line(tr, s)).collect(),
            manages,
            signs_up: ctx.may(Permission::SignUpShifts),
            volunteers: volunteers
                .into_iter()
                .map(|v| {
                    let skills = v.skills.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
                    (v, skills)
                })
                .collect(),
            volunteer_form: volunteer_form(tr, pick(Which::Volunteer)),
            place_form: place_form(tr, pick(Which::Place)),
            shift_form: shift_form(tr, pick(Which::Shift), &places),
            places,
            error,
        },
    )
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<VolunteersQuery>) -> Response {
    let days = q.days.unwrap_or(7);
    volunteers_page(
        &state,
        &ctx,
        days,
        &VolunteerForm::default(),
        Which::None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn answer(
    state: &AppState,
    ctx: &Ctx,
    f: &VolunteerForm,
    which: Which,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to("/volunteers").into_response(),
        Err(AppError::BadInput(message)) => {
            volunteers_page(state, ctx, 7, f, which, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(what)) => {
            let message = format!("{what} already exists");
            volunteers_page(state, ctx, 7, f, which, message, StatusCode::CONFLICT).await
        }
        Err(e) => app_error(ctx, e),
    }
}

pub async fn create_volunteer(State(state): State<AppState>, ctx: Ctx, Form(f): Form<VolunteerForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = match skills_from_text(&f.skills) {
        Ok(skills) => {
            let input = VolunteerInput {
                details: VolunteerDetails {
                    name: f.name.clone(),
                    contact: f.contact.clone(),
                },
                skills,
                account: Some(f.account.clone()),
            };
            state.app.create_volunteer(&actor, &input).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    answer(&state, &ctx, &f, Which::Volunteer, result).await
}

pub async fn create_place(State(state): State<AppState>, ctx: Ctx, Form(f): Form<VolunteerForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = state
        .app
        .create_place(&actor, &f.name, &f.description)
        .await
        .map(|_| ());
    answer(&state, &ctx, &f, Which::Place, result).await
}

fn shift_input(f: &VolunteerForm) -> Result<ShiftInput, AppError> {
    Ok(ShiftInput {
        place_id: f
            .place
            .trim()
            .parse()
            .map_err(|_| AppError::BadInput("place: choose one".into()))?,
        starts_at_ms: parse_moment(&f.starts)?,
        ends_at_ms: parse_moment(&f.ends)?,
        head_count: f
            .head_count
            .trim()
            .parse()
            .map_err(|_| AppError::BadInput("head count: a whole number".into()))?,
        needs: needs_from_text(&f.needs)?,
    })
}

pub async fn create_shift(State(state): State<AppState>, ctx: Ctx, Form(f): Form<VolunteerForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = match shift_input(&f) {
        Ok(input) => state.app.create_shift(&actor, &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    answer(&state, &ctx, &f, Which::Shift, result).await
}

/// The volunteer a sign-up form names: a coordinator's choice, or nobody (oneself).
fn named_volunteer(f: &VolunteerForm) -> Option<i64> {
    f.volunteer.trim().parse().ok()
}

pub async fn sign_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VolunteerForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = state.app.sign_up(&actor, id, named_volunteer(&f)).await;
    answer(&state, &ctx, &VolunteerForm::default(), Which::None, result).await
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VolunteerForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = state.app.cancel_sign_up(&actor, id, named_volunteer(&f)).await;
    answer(&state, &ctx, &VolunteerForm::default(), Which::None, result).await
}

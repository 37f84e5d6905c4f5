//! The volunteer routes of `/api/v1` for coordinators: profiles, places and new shifts. The
//! shifts' list, coverage and sign-ups are in `api/aid.rs`; the same app calls as the page
//! `/volunteers`, JSON made here.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use razam_app::volunteers::{
    PlaceView, ShiftInput, VolunteerDetails, VolunteerInput, VolunteerView, needs_from_text, skills_from_text,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiResult, Problems, RecordId, ok, parse_body};
use crate::AppState;

fn volunteer_out(v: VolunteerView) -> Value {
    json!({
        "id": v.id,
        "name": v.details.name,
        "contact": v.details.contact,
        "skills": v.skills.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "linked": v.linked,
    })
}

pub(super) async fn volunteers(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let list = state.app.volunteers(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "volunteers": list.into_iter().map(volunteer_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn volunteer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let v = state.app.volunteer(&actor, id).await?;
    ok(StatusCode::OK, volunteer_out(v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VolunteerBody {
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    skills: Vec<String>,
    /// The user name of the volunteer's own account, if they have one.
    #[serde(default)]
    account: Option<String>,
}

pub(super) async fn create_volunteer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let b: VolunteerBody = parse_body(&body)?;
    let mut p = Problems::default();
    // The page's parsing, so a client and a form are refused alike (the bad word named).
    let skills = p.check("skills", skills_from_text(&b.skills.join(" ")));
    p.done()?;
    let input = VolunteerInput {
        details: VolunteerDetails {
            name: b.name,
            contact: b.contact,
        },
        skills: skills.unwrap_or_default(),
        account: b.account,
    };
    let id = state.app.create_volunteer(&actor, &input).await?;
    ok(StatusCode::CREATED, json!({ "id": id }))
}

fn place_out(p: PlaceView) -> Value {
    json!({ "id": p.id, "name": p.name, "description": p.description })
}

pub(super) async fn places(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let list = state.app.places(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "places": list.into_iter().map(place_out).collect::<Vec<_>>() }),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceBody {
    name: String,
    #[serde(default)]
    description: String,
}

pub(super) async fn create_place(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let b: PlaceBody = parse_body(&body)?;
    let id = state.app.create_place(&actor, &b.name, &b.description).await?;
    ok(StatusCode::CREATED, json!({ "id": id }))
}

/// A shift as a client writes it: times in milliseconds since the epoch (UTC), as the shifts
/// are read back; needs as skill → how many.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShiftBody {
    place: i64,
    starts_at_ms: i64,
    ends_at_ms: i64,
    head_count: i64,
    #[serde(default)]
    needs: BTreeMap<String, u32>,
}

pub(super) async fn create_shift(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let b: ShiftBody = parse_body(&body)?;
    let mut p = Problems::default();
    // Written as the form's text and parsed as the form is; a key that would read as more
    // than one word is refused first.
    if let Some(bad) = b
        .needs
        .keys()
        .find(|k| k.contains(|c: char| c == '=' || c == ',' || c.is_whitespace()))
    {
        p.add("needs", format!("`{bad}` is not one skill"));
    }
    let text: Vec<String> = b.needs.iter().map(|(skill, n)| format!("{skill}={n}")).collect();
    let needs = p.check("needs", needs_from_text(&text.join(" ")));
    p.done()?;
    let input = ShiftInput {
        place_id: b.place,
        starts_at_ms: b.starts_at_ms,
        ends_at_ms: b.ends_at_ms,
        head_count: b.head_count,
        needs: needs.unwrap_or_default(),
    };
    let id = state.app.create_shift(&actor, &input).await?;
    ok(StatusCode::CREATED, json!({ "id": id }))
}

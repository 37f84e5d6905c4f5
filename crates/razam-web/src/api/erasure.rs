//! `POST /api/v1/persons/{id}/erase`: the erasure of a person for scripts, the same app call
//! as the confirmation page `/persons/{id}/erase`. Under `[two_person] deletions` the approval
//! is asked for and given on that page; this route then carries the erasure out once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{ApiActor, ApiResult, Problems, RecordId, ok, parse_body};
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseBody {
    /// Why, as the audit entry records it; it may not name the person.
    reason: String,
}

pub(super) async fn erase_person(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: EraseBody = parse_body(&body)?;
    let mut p = Problems::default();
    if body.reason.trim().is_empty() {
        p.add("reason", "required: why the person is erased (it may not name them)");
    }
    p.done()?;
    state.app.erase_person(&actor, id, &body.reason).await?;
    let person = state.app.person_page(&actor, id).await?;
    ok(
        StatusCode::OK,
        json!({ "id": person.person.id, "label": person.person.label, "erased_on": person.person.erased_on }),
    )
}

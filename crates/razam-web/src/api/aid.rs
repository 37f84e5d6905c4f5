//! The in-kind aid and volunteer routes of `/api/v1`: stock levels, movements (read and
//! record), shifts with their coverage, sign-up and cancellation. The same app calls as the
//! pages `/aid` and `/volunteers`; JSON is made here, at the edge.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use razam_app::aid::{
    Donor, ItemInput, MovementInput, MovementView, RecipientLink, ShipmentView, Valuation, parse_unit_value,
};
use razam_app::volunteers::ShiftView;
use razam_core::aid::{Category, MovementKind, WriteOffReason, shipment_code};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiError, ApiResult, Problems, RecordId, created_or_ok, ok, parse_body};
use crate::AppState;

pub(super) async fn stock(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let levels = state.app.stock_levels(&actor).await?;
    let levels: Vec<Value> = levels
        .into_iter()
        .map(|l| {
            json!({
                "warehouse_id": l.warehouse_id,
                "warehouse": l.warehouse,
                "item_id": l.item_id,
                "item": l.item,
                "category": l.category.as_str(),
                "unit": l.unit,
                "quantity": l.quantity,
            })
        })
        .collect();
    ok(StatusCode::OK, json!({ "levels": levels }))
}

fn movement_out(m: MovementView) -> Value {
    json!({
        "id": m.id,
        "kind": m.kind.as_str(),
        "item_id": m.item_id,
        "quantity": m.quantity,
        "from_warehouse": m.from_warehouse,
        "to_warehouse": m.to_warehouse,
        "shipment": m.shipment_id.map(shipment_code),
        "donor": m.donor,
        "reason": m.reason.map(WriteOffReason::as_str),
        "value": m.value.map(|v| json!({ "minor": v.minor(), "currency": v.currency().code() })),
        "ledger_transfer": m.ledger_transfer,
        "box": m.box_code,
        "at_ms": m.at_ms,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LimitQuery {
    #[serde(default)]
    limit: Option<i64>,
}

pub(super) async fn movements(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<LimitQuery>,
) -> ApiResult {
    let list = state.app.movements(&actor, q.limit.unwrap_or(100)).await?;
    ok(
        StatusCode::OK,
        json!({ "movements": list.into_iter().map(movement_out).collect::<Vec<_>>() }),
    )
}

/// A movement as written by a client; which fields count follows from `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementBody {
    kind: String,
    item: i64,
    quantity: i64,
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    to: Option<i64>,
    #[serde(default)]
    shipment: Option<i64>,
    #[serde(default)]
    donor: String,
    #[serde(default)]
    donor_consented: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    notes: String,
    /// Also post the movement's value to the ledger.
    #[serde(default)]
    post_to_ledger: bool,
    /// A movement sent again with the same key is not recorded twice: the answer names the
    /// first one (200 instead of 201).
    #[serde(default)]
    idempotency_key: Option<String>,
}

pub(super) async fn record_movement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let b: MovementBody = parse_body(&body)?;
    let mut p = Problems::default();
    fn need(p: &mut Problems, field: &str, v: Option<i64>) -> i64 {
        if v.is_none() {
            p.add(field, "required for this kind of movement");
        }
        v.unwrap_or_default()
    }
    let input = match MovementKind::parse(&b.kind) {
        Some(MovementKind::Receipt) => Some(MovementInput::Receipt {
            warehouse: need(&mut p, "to", b.to),
            item: b.item,
            quantity: b.quantity,
            donor: Donor {
                name: b.donor,
                consented: b.donor_consented,
            },
            notes: b.notes,
        }),
        Some(MovementKind::Transfer) => Some(MovementInput::Transfer {
            from: need(&mut p, "from", b.from),
            to: need(&mut p, "to", b.to),
            item: b.item,
            quantity: b.quantity,
        }),
        Some(MovementKind::Dispatch) => Some(MovementInput::Dispatch {
            from: need(&mut p, "from", b.from),
            shipment: need(&mut p, "shipment", b.shipment),
            item: b.item,
            quantity: b.quantity,
        }),
        Some(MovementKind::WriteOff) => {
            let reason = b.reason.as_deref().and_then(WriteOffReason::parse);
            if reason.is_none() {
                p.add("reason", "one of expired, damaged, lost, other");
            }
            Some(MovementInput::WriteOff {
                from: need(&mut p, "from", b.from),
                item: b.item,
                quantity: b.quantity,
                reason: reason.unwrap_or(WriteOffReason::Other),
                notes: b.notes,
            })
        }
        None => {
            p.add("kind", "one of receipt, transfer, dispatch, write-off");
            None
        }
    };
    p.done()?;
    let input = input.ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no movement"))?;
    let valuation = if b.post_to_ledger {
        Valuation::Post
    } else {
        Valuation::Record
    };
    let recorded = state
        .app
        .record_movement_valued(&actor, &input, valuation, b.idempotency_key.as_deref())
        .await?;
    ok(
        created_or_ok(recorded.new),
        json!({ "id": recorded.id, "new": recorded.new }),
    )
}

fn shift_out(s: ShiftView) -> Value {
    json!({
        "id": s.id,
        "place_id": s.place_id,
        "place": s.place,
        "starts_at_ms": s.starts_at_ms,
        "ends_at_ms": s.ends_at_ms,
        "head_count": s.head_count,
        "needs": s.needs.iter().map(|(k, n)| (k.as_str().to_owned(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "signed_up": s.signed_up,
        "mine": s.mine,
        "volunteers": s.volunteers.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect::<Vec<_>>(),
        "open_places": s.coverage.open_places,
        "missing": s.coverage.missing.iter().map(|(k, n)| (k.as_str().to_owned(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "covered": s.coverage.is_covered(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DaysQuery {
    #[serde(default)]
    days: Option<i64>,
}

pub(super) async fn shifts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DaysQuery>,
) -> ApiResult {
    let list = state
        .app
        .shifts(&actor, razam_app::now_ms(), q.days.unwrap_or(7))
        .await?;
    ok(
        StatusCode::OK,
        json!({ "shifts": list.into_iter().map(shift_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DaysQuery>,
) -> ApiResult {
    let list = state
        .app
        .uncovered_shifts(&actor, razam_app::now_ms(), q.days.unwrap_or(7))
        .await?;
    ok(
        StatusCode::OK,
        json!({ "uncovered": list.into_iter().map(shift_out).collect::<Vec<_>>() }),
    )
}

/// Whom a sign-up is for: `{"volunteer": ID}` (coordinators), or an empty body (oneself).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignUpBody {
    #[serde(default)]
    volunteer: Option<i64>,
}

fn sign_up_body(body: &Bytes) -> Result<SignUpBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(SignUpBody::default())
    } else {
        parse_body(body)
    }
}

pub(super) async fn sign_up(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let b = sign_up_body(&body)?;
    state.app.sign_up(&actor, id, b.volunteer).await?;
    ok(StatusCode::OK, json!({ "shift": id, "signed_up": true }))
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let b = sign_up_body(&body)?;
    state.app.cancel_sign_up(&actor, id, b.volunteer).await?;
    ok(StatusCode::OK, json!({ "shift": id, "signed_up": false }))
}

// ---- catalogue, warehouses, shipments ----

fn item_out(i: razam_app::aid::ItemView) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "category": i.category.as_str(),
        "unit": i.unit,
        "unit_value": i.unit_value.map(|v| json!({ "minor": v.minor(), "currency": v.currency().code() })),
    })
}

pub(super) async fn items(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let list = state.app.aid_items(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "items": list.into_iter().map(item_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn item(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let item = state.app.aid_item(&actor, id).await?;
    ok(StatusCode::OK, item_out(item))
}

/// A unit value as a client writes it: a decimal string and a currency code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitValueBody {
    amount: String,
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    name: String,
    category: String,
    unit: String,
    #[serde(default)]
    unit_value: Option<UnitValueBody>,
}

pub(super) async fn create_item(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let b: ItemBody = parse_body(&body)?;
    let mut p = Problems::default();
    let category = Category::parse(b.category.trim());
    if category.is_none() {
        p.add("category", "one of the item categories, such as food or hygiene");
    }
    let unit_value = match &b.unit_value {
        Some(v) => p.check("unit_value", parse_unit_value(&v.amount, &v.currency)),
        None => None,
    };
    p.done()?;
    let input = ItemInput {
        name: b.name,
        category: category.unwrap_or(Category::Other),
        unit: b.unit,
        unit_value,
    };
    let id = state.app.create_aid_item(&actor, &input).await?;
    ok(StatusCode::CREATED, json!({ "id": id }))
}

fn warehouse_out(w: razam_app::aid::WarehouseView) -> Value {
    json!({ "id": w.id, "name": w.name, "place": w.place })
}

pub(super) async fn warehouses(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let list = state.app.warehouses(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "warehouses": list.into_iter().map(warehouse_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn warehouse(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let w = state.app.warehouse(&actor, id).await?;
    ok(StatusCode::OK, warehouse_out(w))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseBody {
    name: String,
    place: String,
}

pub(super) async fn create_warehouse(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let b: WarehouseBody = parse_body(&body)?;
    let id = state.app.create_warehouse(&actor, &b.name, &b.place).await?;
    ok(StatusCode::CREATED, json!({ "id": id }))
}

fn shipment_out(s: ShipmentView) -> Value {
    json!({
        "id": s.id,
        "code": s.code,
        "recipient": s.recipient,
        "status": s.status.as_str(),
        "items": s.items,
        "created_at_ms": s.created_at_ms,
        "sent_at_ms": s.sent_at_ms,
        "delivered_at_ms": s.delivered_at_ms,
    })
}

pub(super) async fn shipments(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let list = state.app.shipments(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "shipments": list.into_iter().map(shipment_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn shipment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let (s, moves) = state.app.shipment(&actor, id).await?;
    let mut out = shipment_out(s);
    out["dispatches"] = moves.into_iter().map(movement_out).collect();
    ok(StatusCode::OK, out)
}

/// Who a shipment is for, sealed; the answer names them only by the opaque reference.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShipmentBody {
    #[serde(default)]
    person: Option<i64>,
    #[serde(default)]
    case: String,
    #[serde(default)]
    notes: String,
}

pub(super) async fn create_shipment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let b: ShipmentBody = if body.iter().all(u8::is_ascii_whitespace) {
        ShipmentBody::default()
    } else {
        parse_body(&body)?
    };
    let link = RecipientLink {
        person: b.person,
        case: b.case,
        notes: b.notes,
    };
    let id = state.app.create_shipment(&actor, Some(link)).await?;
    ok(StatusCode::CREATED, json!({ "id": id, "code": shipment_code(id) }))
}

pub(super) async fn advance_shipment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let status = state.app.advance_shipment(&actor, id).await?;
    ok(StatusCode::OK, json!({ "id": id, "status": status.as_str() }))
}

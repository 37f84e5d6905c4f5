//! In-kind aid over HTTP: `/aid` (stock levels, catalogue, warehouses, recent movements and
//! the forms that add to them), `/aid/shipments…` (shipments, their dispatches, moving them
//! on) and `/aid/labels/{code}`, the printable label with its server-drawn Code 128 barcode.
//! Forms are drawn by `forms.rs`; a refused form comes back with the app's reason on top.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::aid::{
    Donor, ItemInput, ItemView, LabelContent, MovementInput, MovementView, RecipientLink, ShipmentView, StockLevel,
    Valuation, WarehouseView, parse_unit_value,
};
use razam_core::aid::{Category, MovementKind, ShipmentStatus, WriteOffReason};
use razam_core::barcode;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget, utc_minute};
use crate::i18n::Tr;
use crate::pages::{app_error, form_actor, render, to_login};

/// One movement as the table shows it.
pub struct MovementLine {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub item: String,
    pub quantity: i64,
    pub from: String,
    pub to: String,
    pub detail: String,
    pub value: String,
    pub box_code: String,
}

fn name_of(warehouses: &[WarehouseView], id: Option<i64>) -> &str {
    id.and_then(|id| warehouses.iter().find(|w| w.id == id))
        .map_or("", |w| w.name.as_str())
}

fn movement_line(tr: &Tr, m: &MovementView, items: &[ItemView], warehouses: &[WarehouseView]) -> MovementLine {
    let detail = match m.kind {
        MovementKind::Receipt => m.donor.clone().unwrap_or_else(|| tr.t("aid-donor-anonymous")),
        MovementKind::WriteOff => m
            .reason
            .map(|r| tr.t(&format!("aid-reason-{}", r.as_str())))
            .unwrap_or_default(),
        MovementKind::Dispatch => m.shipment_id.map(razam_core::aid::shipment_code).unwrap_or_default(),
        MovementKind::Transfer => String::new(),
    };
    MovementLine {
        id: m.id,
        at: utc_minute(m.at_ms),
        kind: tr.t(&format!("aid-kind-{}", m.kind.as_str())),
        item: items
            .iter()
            .find(|i| i.id == m.item_id)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        quantity: m.quantity,
        from: name_of(warehouses, m.from_warehouse).to_owned(),
        to: name_of(warehouses, m.to_warehouse).to_owned(),
        detail,
        value: m.value.map(|v| v.to_string()).unwrap_or_default(),
        box_code: m.box_code.clone().unwrap_or_default(),
    }
}

/// The fields of every `/aid` form, as typed (kept when a form is refused).
#[derive(Debug, Default, Deserialize)]
pub struct AidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    unit_value: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    shipment: String,
    #[serde(default)]
    donor: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    case: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    post: String,
    /// The movement form's idempotency key ([`crate::forms::form_key`]).
    #[serde(default)]
    key: String,
}

#[derive(Template)]
#[template(path = "aid.html")]
struct AidPage {
    l: Layout,
    levels: Vec<StockLevel>,
    items: Vec<(ItemView, String, String)>,
    warehouses: Vec<WarehouseView>,
    movements: Vec<MovementLine>,
    movement_form: FormView,
    /// The movement form's idempotency key: the refused form's own when it is shown again
    /// (nothing was recorded under it), else a fresh one.
    movement_key: String,
    item_form: FormView,
    warehouse_form: FormView,
    error: String,
}

fn options<T>(list: &[T], id: impl Fn(&T) -> i64, label: impl Fn(&T) -> String) -> Vec<(String, String)> {
    list.iter().map(|x| (id(x).to_string(), label(x))).collect()
}

fn movement_form(
    tr: &Tr,
    f: &AidForm,
    items: &[ItemView],
    warehouses: &[WarehouseView],
    shipments: &[ShipmentView],
) -> FormView {
    let mut form = FormView::new();
    let kinds = MovementKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), tr.t(&format!("aid-kind-{}", k.as_str()))))
        .collect();
    form.select(
        Field::new(tr, "kind", "aid-kind", f.kind.clone(), Widget::Select).required(),
        kinds,
    );
    form.select(
        Field::new(tr, "item", "aid-item", f.item.clone(), Widget::Select).required(),
        options(items, |i| i.id, |i| format!("{} ({})", i.name, i.unit)),
    );
    form.push(Field::new(tr, "quantity", "aid-quantity", f.quantity.clone(), Widget::Number).required());
    let mut from = vec![(String::new(), tr.t("aid-none"))];
    from.extend(options(warehouses, |w| w.id, |w| w.name.clone()));
    form.select(
        Field::new(tr, "from", "aid-from", f.from.clone(), Widget::Select).hint(tr, "aid-from-hint"),
        from.clone(),
    );
    form.select(
        Field::new(tr, "to", "aid-to", f.to.clone(), Widget::Select).hint(tr, "aid-to-hint"),
        from,
    );
    let mut open = vec![(String::new(), tr.t("aid-none"))];
    open.extend(
        shipments
            .iter()
            .filter(|s| s.status == ShipmentStatus::Packed)
            .map(|s| (s.id.to_string(), format!("{} ({})", s.code, s.recipient))),
    );
    form.select(
        Field::new(tr, "shipment", "aid-shipment", f.shipment.clone(), Widget::Select).hint(tr, "aid-shipment-hint"),
        open,
    );
    form.push(
        Field::new(tr, "donor", "aid-donor", f.donor.clone(), Widget::Text)
            .max_len(120)
            .hint(tr, "aid-donor-hint"),
    );
    form.push(Field::new(
        tr,
        "consent",
        "aid-consent",
        f.consent.clone(),
        Widget::Checkbox,
    ));
    let mut reasons = vec![(String::new(), tr.t("aid-none"))];
    reasons.extend(
        WriteOffReason::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), tr.t(&format!("aid-reason-{}", r.as_str())))),
    );
    form.select(
        Field::new(tr, "reason", "aid-reason", f.reason.clone(), Widget::Select),
        reasons,
    );
    form.push(
        Field::new(tr, "notes", "aid-notes", f.notes.clone(), Widget::TextArea)
            .max_len(2000)
            .rows(2),
    );
    form.push(Field::new(tr, "post", "aid-post", f.post.clone(), Widget::Checkbox).hint(tr, "aid-post-hint"));
    form
}

fn item_form(tr: &Tr, f: &AidForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "name", "aid-item-name", f.name.clone(), Widget::Text)
            .max_len(120)
            .required(),
    );
    let categories = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), tr.t(&format!("aid-category-{}", c.as_str()))))
        .collect();
    form.select(
        Field::new(tr, "category", "aid-category", f.category.clone(), Widget::Select).required(),
        categories,
    );
    form.push(
        Field::new(tr, "unit", "aid-unit", f.unit.clone(), Widget::Text)
            .max_len(120)
            .hint(tr, "aid-unit-hint")
            .required(),
    );
    form.push(Field::new(tr, "unit_value", "aid-unit-value", f.unit_value.clone(), Widget::Text).max_len(20));
    form.push(Field::new(tr, "currency", "aid-currency", f.currency.clone(), Widget::Text).max_len(3));
    form
}

fn warehouse_form(tr: &Tr, f: &AidForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "name", "aid-warehouse-name", f.name.clone(), Widget::Text)
            .max_len(120)
            .required(),
    );
    form.push(
        Field::new(tr, "place", "aid-place", f.place.clone(), Widget::Text)
            .max_len(120)
            .hint(tr, "aid-place-hint")
            .required(),
    );
    form
}

/// Which of the three forms on `/aid` was sent, so that only it keeps what was typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    None,
    Movement,
    Item,
    Warehouse,
}

async fn aid_page(
    state: &AppState,
    ctx: &Ctx,
    f: &AidForm,
    which: Which,
    error: String,
    status: StatusCode,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let app = &state.app;
    let loaded = async {
        Ok::<_, AppError>((
            app.stock_levels(&actor).await?,
            app.aid_items(&actor).await?,
            app.warehouses(&actor).await?,
            app.movements(&actor, 50).await?,
            app.shipments(&actor).await?,
        ))
    };
    let (levels, items, warehouses, movements, shipments) = match loaded.await {
        Ok(x) => x,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let empty = AidForm::default();
    let pick = |w: Which| if which == w { f } else { &empty };
    render(
        status,
        AidPage {
            movement_form: movement_form(tr, pick(Which::Movement), &items, &warehouses, &shipments),
            movement_key: crate::forms::form_key(&pick(Which::Movement).key),
            item_form: item_form(tr, pick(Which::Item)),
            warehouse_form: warehouse_form(tr, pick(Which::Warehouse)),
            movements: movements
                .iter()
                .map(|m| movement_line(tr, m, &items, &warehouses))
                .collect(),
            items: items
                .iter()
                .map(|i| {
                    (
                        i.clone(),
                        tr.t(&format!("aid-category-{}", i.category.as_str())),
                        i.unit_value.map(|v| v.to_string()).unwrap_or_default(),
                    )
                })
                .collect(),
            levels,
            warehouses,
            l: ctx.layout(),
            error,
        },
    )
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    aid_page(
        &state,
        &ctx,
        &AidForm::default(),
        Which::None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

fn id_of(text: &str, what: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadInput(format!("{what}: choose one")))
}

/// The movement a form describes; which fields count follows from its kind.
fn movement_input(f: &AidForm) -> Result<MovementInput, AppError> {
    let item = id_of(&f.item, "item")?;
    let quantity = f
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadInput("quantity: a whole number".into()))?;
    let from = || id_of(&f.from, "from warehouse");
    Ok(match MovementKind::parse(f.kind.trim()) {
        Some(MovementKind::Receipt) => MovementInput::Receipt {
            warehouse: id_of(&f.to, "to warehouse")?,
            item,
            quantity,
            donor: Donor {
                name: f.donor.clone(),
                consented: !f.consent.is_empty(),
            },
            notes: f.notes.clone(),
        },
        Some(MovementKind::Transfer) => MovementInput::Transfer {
            from: from()?,
            to: id_of(&f.to, "to warehouse")?,
            item,
            quantity,
        },
        Some(MovementKind::Dispatch) => MovementInput::Dispatch {
            from: from()?,
            shipment: id_of(&f.shipment, "shipment")?,
            item,
            quantity,
        },
        Some(MovementKind::WriteOff) => MovementInput::WriteOff {
            from: from()?,
            item,
            quantity,
            reason: WriteOffReason::parse(f.reason.trim())
                .ok_or_else(|| AppError::BadInput("a write-off needs a reason".into()))?,
            notes: f.notes.clone(),
        },
        None => return Err(AppError::BadInput("choose what kind of movement this is".into())),
    })
}

/// Runs a form's use case: on success back to `to`, on refusal the page again with the reason.
async fn answer(state: &AppState, ctx: &Ctx, f: &AidForm, which: Which, result: Result<(), AppError>) -> Response {
    match result {
        Ok(()) => Redirect::to("/aid").into_response(),
        Err(AppError::BadInput(message)) => {
            aid_page(state, ctx, f, which, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(what)) => {
            let message = format!("{what} already exists");
            aid_page(state, ctx, f, which, message, StatusCode::CONFLICT).await
        }
        Err(e) => app_error(ctx, e),
    }
}

pub async fn record_movement(State(state): State<AppState>, ctx: Ctx, Form(f): Form<AidForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = match movement_input(&f) {
        Ok(input) => {
            let valuation = if f.post.is_empty() {
                Valuation::Record
            } else {
                Valuation::Post
            };
            state
                .app
                .record_movement_valued(
                    &actor,
                    &input,
                    valuation,
                    Some(f.key.as_str()).filter(|k| !k.is_empty()),
                )
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    answer(&state, &ctx, &f, Which::Movement, result).await
}

pub async fn create_item(State(state): State<AppState>, ctx: Ctx, Form(f): Form<AidForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let input = (|| {
        let category =
            Category::parse(f.category.trim()).ok_or_else(|| AppError::BadInput("choose a category".into()))?;
        let unit_value = match (f.unit_value.trim(), f.currency.trim()) {
            ("", "") => None,
            (value, currency) => Some(parse_unit_value(value, currency)?),
        };
        Ok::<_, AppError>(ItemInput {
            name: f.name.clone(),
            category,
            unit: f.unit.clone(),
            unit_value,
        })
    })();
    let result = match input {
        Ok(input) => state.app.create_aid_item(&actor, &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    answer(&state, &ctx, &f, Which::Item, result).await
}

pub async fn create_warehouse(State(state): State<AppState>, ctx: Ctx, Form(f): Form<AidForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = state.app.create_warehouse(&actor, &f.name, &f.place).await.map(|_| ());
    answer(&state, &ctx, &f, Which::Warehouse, result).await
}

// ---- shipments ----

#[derive(Template)]
#[template(path = "aid_shipments.html")]
struct ShipmentsPage {
    l: Layout,
    shipments: Vec<(ShipmentView, String)>,
    form: FormView,
    error: String,
}

fn shipment_form(tr: &Tr, f: &AidForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "case", "aid-recipient-case", f.case.clone(), Widget::Text)
            .max_len(120)
            .hint(tr, "aid-recipient-hint"),
    );
    form.push(Field::new(tr, "person", "aid-recipient-person", f.person.clone(), Widget::Text).max_len(20));
    form.push(
        Field::new(tr, "notes", "aid-notes", f.notes.clone(), Widget::TextArea)
            .max_len(2000)
            .rows(2),
    );
    form
}

fn status_text(tr: &Tr, s: ShipmentStatus) -> String {
    tr.t(&format!("aid-status-{}", s.as_str()))
}

async fn shipments_page(state: &AppState, ctx: &Ctx, f: &AidForm, error: String, status: StatusCode) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    match state.app.shipments(&actor).await {
        Ok(list) => render(
            status,
            ShipmentsPage {
                shipments: list
                    .into_iter()
                    .map(|s| {
                        let st = status_text(&ctx.tr, s.status);
                        (s, st)
                    })
                    .collect(),
                form: shipment_form(&ctx.tr, f),
                l: ctx.layout(),
                error,
            },
        ),
        Err(e) => app_error(ctx, e),
    }
}

pub async fn shipments(State(state): State<AppState>, ctx: Ctx) -> Response {
    shipments_page(&state, &ctx, &AidForm::default(), String::new(), StatusCode::OK).await
}

pub async fn create_shipment(State(state): State<AppState>, ctx: Ctx, Form(f): Form<AidForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let person = match f.person.trim() {
        "" => None,
        text => match crate::forms::parse_person_label(text) {
            Some(id) => Some(id),
            None => {
                let message = format!("`{text}` is not a person label such as P-000012");
                return shipments_page(&state, &ctx, &f, message, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let link = RecipientLink {
        person,
        case: f.case.trim().to_owned(),
        notes: f.notes.trim().to_owned(),
    };
    match state.app.create_shipment(&actor, Some(link)).await {
        Ok(id) => Redirect::to(&format!("/aid/shipments/{id}")).into_response(),
        Err(AppError::BadInput(message)) => {
            shipments_page(&state, &ctx, &f, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "aid_shipment.html")]
struct ShipmentPage {
    l: Layout,
    s: ShipmentView,
    status: String,
    next: String,
    lines: Vec<MovementLine>,
}

pub async fn shipment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let app = &state.app;
    let loaded = async {
        Ok::<_, AppError>((
            app.shipment(&actor, id).await?,
            app.aid_items(&actor).await?,
            app.warehouses(&actor).await?,
        ))
    };
    let ((s, movements), items, warehouses) = match loaded.await {
        Ok(x) => x,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    render(
        StatusCode::OK,
        ShipmentPage {
            status: status_text(tr, s.status),
            next: s
                .status
                .next()
                .map(|n| tr.t(&format!("aid-advance-{}", n.as_str())))
                .unwrap_or_default(),
            lines: movements
                .iter()
                .map(|m| movement_line(tr, m, &items, &warehouses))
                .collect(),
            s,
            l: ctx.layout(),
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn advance_shipment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match state.app.advance_shipment(&actor, id).await {
        Ok(_) => Redirect::to(&format!("/aid/shipments/{id}")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

// ---- labels ----

#[derive(Template)]
#[template(path = "aid_label.html")]
struct LabelPage {
    l: Layout,
    code: String,
    lines: Vec<String>,
    svg: String,
}

/// The printable label of a box or shipment: the code in large type and as a Code 128
/// barcode drawn here as inline SVG (two pixels a module on screen; print scales it).
pub async fn label(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let label = match state.app.label(&actor, &code).await {
        Ok(l) => l,
        Err(e) => return app_error(&ctx, e),
    };
    let line = match label.content {
        LabelContent::Shipment { recipient, units } => {
            format!(
                "{} {recipient} · {} {units}",
                ctx.tr.t("aid-recipient"),
                ctx.tr.t("aid-units")
            )
        }
        LabelContent::Box { item, quantity, unit } => format!("{item} × {quantity} {unit}"),
    };
    match barcode::svg(&label.code, 2, 80) {
        Ok(svg) => render(
            StatusCode::OK,
            LabelPage {
                l: ctx.layout(),
                code: label.code,
                lines: vec![line],
                svg,
            },
        ),
        Err(e) => app_error(&ctx, AppError::BadInput(e.to_string())),
    }
}

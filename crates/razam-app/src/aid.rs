//! In-kind aid (issue 6 item 5): the catalogue, warehouses, stock movements and shipments,
//! and the labels of boxes and shipments ([docs/solidarity-aid.md]).
//!
//! Every movement is one transaction with its stock change and its audit entry; a movement
//! that would take a level below zero is refused whole ([`razam_store::aid`] says how, on
//! both databases). A donor is anonymous unless they consented to be named, and then the
//! name is sealed; a recipient is an opaque reference (`R-…`), and what it stands for (a
//! registry person, an assistance case) is sealed. Catalogue, warehouses and places are not
//! personal and are kept in the clear.
//!
//! Valuation: an item may carry a unit value; each movement records its value (quantity ×
//! unit value at the time). Posting those values to the ledger waits for the ledger's API
//! (docs/solidarity-aid.md says which accounts each kind would post to).

use std::collections::BTreeMap;

use razam_core::aid::{Category, MovementKind, ShipmentStatus, WriteOffReason, box_code, shipment_code};
use razam_core::ledger::{AccountKind, AccountRules, Currency, Money, Posting};
use razam_core::registry::Day;
use razam_core::role::Permission;
use razam_store::aid::{AidItemRow, MovementOutcome, MovementRow, NewAidItem, NewMovement, NewShipment, ShipmentRow};
use razam_store::ledger::NewLedgerTransfer;
use razam_store::{AuditObject, StoreError};
use serde::{Deserialize, Serialize};

use crate::registry::Created;
use crate::{Actor, App, AppError};

const SEAL_MOVEMENT: &str = "aid.movement";
const SEAL_RECIPIENT: &str = "aid.recipient";
const NAME_MAX: usize = 120;
const NOTES_MAX: usize = 2_000;
/// The largest quantity one movement takes (a typo guard; a truck of cans is far below).
pub const QUANTITY_MAX: i64 = 1_000_000_000;

/// A unit value as people type it (`12`, `12.5`, `12,50`) in a currency (`EUR`, `pln`):
/// exact, in the currency's minor units, not negative.
pub fn parse_unit_value(amount: &str, currency: &str) -> Result<Money, AppError> {
    let currency =
        Currency::parse(&currency.trim().to_ascii_uppercase()).map_err(|e| AppError::BadInput(e.to_string()))?;
    let money =
        Money::parse(&amount.trim().replace(',', "."), currency).map_err(|e| AppError::BadInput(e.to_string()))?;
    if money.minor() < 0 {
        return Err(AppError::BadInput("a unit value is not negative".into()));
    }
    Ok(money)
}

/// Whether a movement's value is only recorded on it, or also posted to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Valuation {
    #[default]
    Record,
    /// Also book it in the ledger, in the movement's transaction (needs `ManageLedger` too).
    Post,
}

/// The ledger accounts valued movements post to (any currency), opened the first time
/// they are needed: (code, kind, name).
pub const INVENTORY: (&str, AccountKind, &str) = ("aid-inventory", AccountKind::Asset, "In-kind aid in stock");
pub const IN_KIND_DONATIONS: (&str, AccountKind, &str) =
    ("aid-in-kind-donations", AccountKind::Income, "In-kind donations");
pub const AID_GIVEN: (&str, AccountKind, &str) = ("aid-given", AccountKind::Expense, "In-kind aid given");
pub const WRITE_OFFS: (&str, AccountKind, &str) = ("aid-write-offs", AccountKind::Expense, "In-kind aid written off");

#[derive(Debug, Clone)]
pub struct ItemInput {
    pub name: String,
    pub category: Category,
    /// `pcs`, `kg`, `pair`, `box`, `vehicle`…
    pub unit: String,
    pub unit_value: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct ItemView {
    pub id: i64,
    pub name: String,
    pub category: Category,
    pub unit: String,
    pub unit_value: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct WarehouseView {
    pub id: i64,
    pub name: String,
    pub place: String,
}

/// One stock level, with the names it is shown by.
#[derive(Debug, Clone)]
pub struct StockLevel {
    pub warehouse_id: i64,
    pub warehouse: String,
    pub item_id: i64,
    pub item: String,
    pub category: Category,
    pub unit: String,
    pub quantity: i64,
}

/// A donor who gave goods. Named only if they consented; otherwise the name is not kept.
#[derive(Debug, Clone, Default)]
pub struct Donor {
    pub name: String,
    pub consented: bool,
}

/// A movement to record.
#[derive(Debug, Clone)]
pub enum MovementInput {
    Receipt {
        warehouse: i64,
        item: i64,
        quantity: i64,
        donor: Donor,
        notes: String,
    },
    Transfer {
        from: i64,
        to: i64,
        item: i64,
        quantity: i64,
    },
    Dispatch {
        from: i64,
        shipment: i64,
        item: i64,
        quantity: i64,
    },
    WriteOff {
        from: i64,
        item: i64,
        quantity: i64,
        reason: WriteOffReason,
        notes: String,
    },
}

/// What a movement holds sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct MovementSecrets {
    /// The donor's name, present only if they consented to be named.
    #[serde(default)]
    donor: Option<String>,
    #[serde(default)]
    notes: String,
}

#[derive(Debug, Clone)]
pub struct MovementView {
    pub id: i64,
    pub kind: MovementKind,
    pub item_id: i64,
    pub quantity: i64,
    pub from_warehouse: Option<i64>,
    pub to_warehouse: Option<i64>,
    pub shipment_id: Option<i64>,
    /// The donor's name if they consented to be named; `None` is an anonymous donor.
    pub donor: Option<String>,
    pub notes: String,
    pub reason: Option<WriteOffReason>,
    pub value: Option<Money>,
    /// The ledger transfer the value was posted as, if it was.
    pub ledger_transfer: Option<i64>,
    /// A receipt's box label code.
    pub box_code: Option<String>,
    pub created_by: String,
    pub at_ms: i64,
}

/// What a recipient's opaque reference stands for, sealed; shown only to those who manage stock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientLink {
    /// A registry person, by id.
    #[serde(default)]
    pub person: Option<i64>,
    /// An assistance case, by its reference.
    #[serde(default)]
    pub case: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone)]
pub struct ShipmentView {
    pub id: i64,
    pub code: String,
    pub recipient: String,
    pub link: Option<RecipientLink>,
    pub status: ShipmentStatus,
    pub items: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
}

/// What a label shows: the code (printed large and as a barcode) and a line under it.
#[derive(Debug, Clone)]
pub struct Label {
    pub code: String,
    /// What the label says under the code.
    pub content: LabelContent,
}

#[derive(Debug, Clone)]
pub enum LabelContent {
    /// A shipment: its recipient's opaque reference and the units in it.
    Shipment { recipient: String, units: i64 },
    /// A received box: the item, how many and the unit.
    Box { item: String, quantity: i64, unit: String },
}

/// Aid shipped in one month and category: raw counts, for a public report to suppress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedSummary {
    /// `YYYY-MM` of the day the shipment was sent (UTC).
    pub month: String,
    pub category: Category,
    /// Shipments sent that month holding something of this category.
    pub shipments: i64,
    /// Units of this category in them.
    pub items: i64,
}

fn check_name(what: &str, text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadInput(format!("{what}: required")));
    }
    if t.chars().count() > NAME_MAX {
        return Err(AppError::BadInput(format!("{what}: at most {NAME_MAX} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(AppError::BadInput(format!("{what}: one line, no control characters")));
    }
    Ok(t.to_owned())
}

fn check_notes(text: &str) -> Result<String, AppError> {
    if text.chars().count() > NOTES_MAX {
        return Err(AppError::BadInput(format!("notes: at most {NOTES_MAX} characters")));
    }
    Ok(text.trim().to_owned())
}

fn check_quantity(quantity: i64) -> Result<i64, AppError> {
    if (1..=QUANTITY_MAX).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(AppError::BadInput(format!(
            "quantity: a whole number from 1 to {QUANTITY_MAX}"
        )))
    }
}

fn item_view(row: &AidItemRow) -> Result<ItemView, AppError> {
    Ok(ItemView {
        id: row.id,
        name: row.name.clone(),
        category: Category::parse(&row.category)
            .ok_or_else(|| AppError::Store(StoreError::Damaged(format!("unknown category {}", row.category))))?,
        unit: row.unit.clone(),
        unit_value: money_of(row.unit_value_minor, row.currency.as_deref())?,
    })
}

/// A stored amount and currency code as money (both or neither).
fn money_of(minor: Option<i64>, currency: Option<&str>) -> Result<Option<Money>, AppError> {
    match (minor, currency) {
        (Some(minor), Some(code)) => Ok(Some(Money::from_minor(
            minor,
            Currency::parse(code).map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))?,
        ))),
        _ => Ok(None),
    }
}

fn shipment_status(s: &str) -> Result<ShipmentStatus, AppError> {
    ShipmentStatus::parse(s).ok_or_else(|| AppError::Store(StoreError::Damaged(format!("unknown shipment status {s}"))))
}

/// `YYYY-MM` of a moment, UTC.
pub(crate) fn month_of(at_ms: i64) -> String {
    Day::from_days_since_epoch(at_ms.div_euclid(86_400_000)).map_or_else(|| "?".into(), |d| d.month_key())
}

impl App {
    /// The ledger account `spec` names, opened the first time it is needed (any currency).
    async fn aid_ledger_account(&self, actor: &Actor, spec: (&str, AccountKind, &str)) -> Result<i64, AppError> {
        let (code, kind, name) = spec;
        if let Some(row) = self.store.ledger_account_by_code(code).await? {
            return Ok(row.id);
        }
        let spec = crate::ledger::AccountSpec {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            currency: None,
            rules: AccountRules::default(),
            iban: None,
        };
        match self.create_ledger_account(actor, spec).await {
            Ok(id) => Ok(id),
            // Opened meanwhile by another request.
            Err(AppError::Conflict(_)) => self
                .store
                .ledger_account_by_code(code)
                .await?
                .map(|row| row.id)
                .ok_or(AppError::NotFound("the ledger account")),
            Err(e) => Err(e),
        }
    }

    /// The ledger transfer that posts a movement's value, or none (a transfer between
    /// warehouses, or a zero value).
    async fn valuation_transfer(
        &self,
        actor: &Actor,
        kind: MovementKind,
        value: Money,
    ) -> Result<Option<NewLedgerTransfer>, AppError> {
        let (debit, credit) = match kind {
            MovementKind::Transfer => return Ok(None),
            MovementKind::Receipt => (INVENTORY, IN_KIND_DONATIONS),
            MovementKind::Dispatch => (AID_GIVEN, INVENTORY),
            MovementKind::WriteOff => (WRITE_OFFS, INVENTORY),
        };
        if value.is_zero() {
            return Ok(None);
        }
        let postings = vec![
            Posting {
                account: self.aid_ledger_account(actor, debit).await?,
                amount: value,
            },
            Posting {
                account: self.aid_ledger_account(actor, credit).await?,
                amount: Money::from_minor(-value.minor(), value.currency()),
            },
        ];
        Ok(Some(NewLedgerTransfer {
            idempotency: rand::random(),
            kind: razam_core::ledger::TransferKind::Booking,
            reverses: None,
            booked_on: crate::today(),
            value_on: None,
            rate: None,
            details: None,
            postings,
            queue: None,
            resolves: None,
            audit_action: "ledger.book",
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        }))
    }

    pub async fn create_aid_item(&self, actor: &Actor, input: &ItemInput) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let item = NewAidItem {
            name: check_name("item name", &input.name)?,
            category: input.category.as_str(),
            unit: check_name("unit", &input.unit)?,
            unit_value: match input.unit_value {
                Some(m) if m.minor() < 0 => return Err(AppError::BadInput("unit value: not negative".into())),
                Some(m) => Some((m.minor(), m.currency().code().to_owned())),
                None => None,
            },
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "aid_item.create", AuditObject::Created("aid_item"));
        Ok(self.store.create_aid_item(&item, &audit).await?)
    }

    pub async fn aid_items(&self, actor: &Actor) -> Result<Vec<ItemView>, AppError> {
        self.require(actor, Permission::ManageStock)?;
        self.store.aid_items().await?.iter().map(item_view).collect()
    }

    /// One catalogue item (the catalogue is small: read whole, as the page reads it).
    pub async fn aid_item(&self, actor: &Actor, id: i64) -> Result<ItemView, AppError> {
        let items = self.aid_items(actor).await?;
        items
            .into_iter()
            .find(|i| i.id == id)
            .ok_or(AppError::NotFound("the item"))
    }

    pub async fn create_warehouse(&self, actor: &Actor, name: &str, place: &str) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let name = check_name("warehouse name", name)?;
        let place = check_name("place", place)?;
        let audit = self.event(actor, "warehouse.create", AuditObject::Created("warehouse"));
        Ok(self
            .store
            .create_warehouse(&name, &place, crate::now_ms(), &audit)
            .await?)
    }

    pub async fn warehouses(&self, actor: &Actor) -> Result<Vec<WarehouseView>, AppError> {
        self.require(actor, Permission::ManageStock)?;
        Ok(self
            .store
            .warehouses()
            .await?
            .into_iter()
            .map(|w| WarehouseView {
                id: w.id,
                name: w.name,
                place: w.place,
            })
            .collect())
    }

    pub async fn warehouse(&self, actor: &Actor, id: i64) -> Result<WarehouseView, AppError> {
        let all = self.warehouses(actor).await?;
        all.into_iter()
            .find(|w| w.id == id)
            .ok_or(AppError::NotFound("the warehouse"))
    }

    /// Every stock level, by warehouse and item name (levels at zero included).
    pub async fn stock_levels(&self, actor: &Actor) -> Result<Vec<StockLevel>, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let items: BTreeMap<i64, ItemView> = self
            .store
            .aid_items()
            .await?
            .iter()
            .map(|r| item_view(r).map(|v| (v.id, v)))
            .collect::<Result<_, _>>()?;
        let warehouses: BTreeMap<i64, String> = self
            .store
            .warehouses()
            .await?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        let mut levels = Vec::new();
        for row in self.store.stock_levels().await? {
            let (Some(item), Some(warehouse)) = (items.get(&row.item_id), warehouses.get(&row.warehouse_id)) else {
                continue;
            };
            levels.push(StockLevel {
                warehouse_id: row.warehouse_id,
                warehouse: warehouse.clone(),
                item_id: row.item_id,
                item: item.name.clone(),
                category: item.category,
                unit: item.unit.clone(),
                quantity: row.quantity,
            });
        }
        levels.sort_by(|a, b| (&a.warehouse, &a.item).cmp(&(&b.warehouse, &b.item)));
        Ok(levels)
    }

    /// Records a movement with its stock change and audit entry in one transaction, or
    /// refuses it whole: not enough stock (saying how much there is), a shipment that is no
    /// longer packed, a warehouse or item that does not exist.
    pub async fn record_movement(&self, actor: &Actor, input: &MovementInput) -> Result<i64, AppError> {
        Ok(self
            .record_movement_valued(actor, input, Valuation::Record, None)
            .await?
            .id)
    }

    /// Like [`App::record_movement`]; with [`Valuation::Post`] the movement's value is also
    /// booked in the ledger in the same transaction: a receipt debits inventory and credits
    /// in-kind donations, a dispatch debits aid given, a write-off debits write-offs, each
    /// crediting inventory (a transfer posts nothing: inventory stays inventory).
    ///
    /// `key` is the movement's idempotency key (a form's, a client's): a movement sent again
    /// with the same key is not recorded a second time, and the first one's id is returned.
    /// Without one, every call records a movement.
    pub async fn record_movement_valued(
        &self,
        actor: &Actor,
        input: &MovementInput,
        valuation: Valuation,
        key: Option<&str>,
    ) -> Result<Created, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let idempotency = key
            .map(|key| self.idempotency_digest("aid movement", key))
            .transpose()?;
        if valuation == Valuation::Post {
            self.require(actor, Permission::ManageLedger)?;
        }
        let (kind, item, quantity, from, to, shipment, secrets, reason) = match input {
            MovementInput::Receipt {
                warehouse,
                item,
                quantity,
                donor,
                notes,
            } => {
                let donor = if donor.consented && !donor.name.trim().is_empty() {
                    Some(check_name("donor", &donor.name)?)
                } else {
                    None
                };
                let secrets = MovementSecrets {
                    donor,
                    notes: check_notes(notes)?,
                };
                (
                    MovementKind::Receipt,
                    *item,
                    *quantity,
                    None,
                    Some(*warehouse),
                    None,
                    Some(secrets),
                    None,
                )
            }
            MovementInput::Transfer {
                from,
                to,
                item,
                quantity,
            } => {
                if from == to {
                    return Err(AppError::BadInput(
                        "a transfer goes from one warehouse to another".into(),
                    ));
                }
                (
                    MovementKind::Transfer,
                    *item,
                    *quantity,
                    Some(*from),
                    Some(*to),
                    None,
                    None,
                    None,
                )
            }
            MovementInput::Dispatch {
                from,
                shipment,
                item,
                quantity,
            } => (
                MovementKind::Dispatch,
                *item,
                *quantity,
                Some(*from),
                None,
                Some(*shipment),
                None,
                None,
            ),
            MovementInput::WriteOff {
                from,
                item,
                quantity,
                reason,
                notes,
            } => {
                let secrets = MovementSecrets {
                    donor: None,
                    notes: check_notes(notes)?,
                };
                (
                    MovementKind::WriteOff,
                    *item,
                    *quantity,
                    Some(*from),
                    None,
                    None,
                    Some(secrets),
                    Some(reason.as_str()),
                )
            }
        };
        let quantity = check_quantity(quantity)?;
        let items = self.store.aid_items().await?;
        let item_row = items
            .iter()
            .find(|i| i.id == item)
            .ok_or(AppError::NotFound("the item"))?;
        let warehouses = self.store.warehouses().await?;
        let warehouse_name = |id: i64| {
            warehouses
                .iter()
                .find(|w| w.id == id)
                .map(|w| w.name.clone())
                .ok_or(AppError::NotFound("the warehouse"))
        };
        for w in from.iter().chain(to.iter()) {
            warehouse_name(*w)?;
        }
        if let Some(s) = shipment {
            self.store
                .shipment(s)
                .await?
                .ok_or(AppError::NotFound("the shipment"))?;
        }
        let value = money_of(item_row.unit_value_minor, item_row.currency.as_deref())?
            .map(|unit| {
                unit.minor()
                    .checked_mul(quantity)
                    .map(|v| Money::from_minor(v, unit.currency()))
                    .ok_or_else(|| AppError::BadInput("the movement's value is too large".into()))
            })
            .transpose()?;
        let ledger = match (valuation, value) {
            (Valuation::Record, _) => None,
            (Valuation::Post, None) => {
                return Err(AppError::BadInput(format!(
                    "{} has no unit value, so there is nothing to post to the ledger",
                    item_row.name
                )));
            }
            (Valuation::Post, Some(value)) => self.valuation_transfer(actor, kind, value).await?,
        };
        let movement = NewMovement {
            idempotency,
            kind: kind.as_str(),
            item_id: item,
            quantity,
            from_warehouse: from,
            to_warehouse: to,
            shipment_id: shipment,
            sealed: secrets.map(|s| self.seal_json(SEAL_MOVEMENT, &s)).transpose()?,
            reason,
            value: value.map(|v| (v.minor(), v.currency().code().to_owned())),
            ledger,
            created_by: actor.audit_name(),
            at_ms: crate::now_ms(),
        };
        let action = match kind {
            MovementKind::Receipt => "aid.receipt",
            MovementKind::Transfer => "aid.transfer",
            MovementKind::Dispatch => "aid.dispatch",
            MovementKind::WriteOff => "aid.write_off",
        };
        let audit = self.event(actor, action, AuditObject::Created("aid_movement"));
        match self.store.record_movement(&movement, &audit).await? {
            MovementOutcome::Recorded(id) => Ok(Created { id, new: true }),
            MovementOutcome::Known(id) => Ok(Created { id, new: false }),
            MovementOutcome::Short { available } => Err(AppError::BadInput(format!(
                "not enough {} in {}: {available} {} in stock, {quantity} asked; nothing was recorded",
                item_row.name,
                warehouse_name(from.unwrap_or_default())?,
                item_row.unit,
            ))),
            MovementOutcome::ShipmentClosed => Err(AppError::BadInput(
                "this shipment has been sent: nothing more can be dispatched into it".into(),
            )),
        }
    }

    fn movement_view(&self, row: &MovementRow) -> Result<MovementView, AppError> {
        let kind = MovementKind::parse(&row.kind)
            .ok_or_else(|| AppError::Store(StoreError::Damaged(format!("unknown movement kind {}", row.kind))))?;
        let secrets: MovementSecrets = match &row.sealed {
            Some(sealed) => self.open_json(SEAL_MOVEMENT, sealed)?,
            None => MovementSecrets::default(),
        };
        Ok(MovementView {
            id: row.id,
            kind,
            item_id: row.item_id,
            quantity: row.quantity,
            from_warehouse: row.from_warehouse,
            to_warehouse: row.to_warehouse,
            shipment_id: row.shipment_id,
            donor: secrets.donor,
            notes: secrets.notes,
            reason: row.reason.as_deref().and_then(WriteOffReason::parse),
            value: money_of(row.value_minor, row.currency.as_deref())?,
            ledger_transfer: row.ledger_transfer,
            box_code: (kind == MovementKind::Receipt).then(|| box_code(row.id)),
            created_by: row.created_by.clone(),
            at_ms: row.at_ms,
        })
    }

    /// The newest movements, newest first.
    pub async fn movements(&self, actor: &Actor, limit: i64) -> Result<Vec<MovementView>, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let rows = self.store.movements(limit.clamp(1, 10_000)).await?;
        rows.iter().map(|r| self.movement_view(r)).collect()
    }

    /// A new shipment (packed) to a recipient: an opaque reference is made for them, and the
    /// link behind it, if given, is sealed.
    pub async fn create_shipment(&self, actor: &Actor, link: Option<RecipientLink>) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageStock)?;
        if let Some(l) = &link {
            check_notes(&l.notes)?;
            if l.case.chars().count() > NAME_MAX {
                return Err(AppError::BadInput(format!("case: at most {NAME_MAX} characters")));
            }
        }
        let link = link.filter(|l| *l != RecipientLink::default());
        let shipment = NewShipment {
            recipient: format!("R-{}", hex::encode_upper(rand::random::<[u8; 4]>())),
            recipient_sealed: link.map(|l| self.seal_json(SEAL_RECIPIENT, &l)).transpose()?,
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "shipment.create", AuditObject::Created("shipment"));
        Ok(self.store.create_shipment(&shipment, &audit).await?)
    }

    fn shipment_view(&self, row: &ShipmentRow) -> Result<ShipmentView, AppError> {
        Ok(ShipmentView {
            id: row.id,
            code: shipment_code(row.id),
            recipient: row.recipient.clone(),
            link: row
                .recipient_sealed
                .as_ref()
                .map(|s| self.open_json(SEAL_RECIPIENT, s))
                .transpose()?,
            status: shipment_status(&row.status)?,
            items: row.items,
            created_at_ms: row.created_at_ms,
            sent_at_ms: row.sent_at_ms,
            delivered_at_ms: row.delivered_at_ms,
        })
    }

    pub async fn shipments(&self, actor: &Actor) -> Result<Vec<ShipmentView>, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let rows = self.store.shipments().await?;
        rows.iter().map(|r| self.shipment_view(r)).collect()
    }

    /// A shipment and its dispatches.
    pub async fn shipment(&self, actor: &Actor, id: i64) -> Result<(ShipmentView, Vec<MovementView>), AppError> {
        self.require(actor, Permission::ManageStock)?;
        let row = self
            .store
            .shipment(id)
            .await?
            .ok_or(AppError::NotFound("the shipment"))?;
        let movements = self.store.movements_of_shipment(id).await?;
        Ok((
            self.shipment_view(&row)?,
            movements
                .iter()
                .map(|m| self.movement_view(m))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Moves a shipment on to its next state (packed → sent → delivered). An empty shipment
    /// is not sent; a shipment is never moved back.
    pub async fn advance_shipment(&self, actor: &Actor, id: i64) -> Result<ShipmentStatus, AppError> {
        self.require(actor, Permission::ManageStock)?;
        let row = self
            .store
            .shipment(id)
            .await?
            .ok_or(AppError::NotFound("the shipment"))?;
        let from = shipment_status(&row.status)?;
        let to = from
            .next()
            .ok_or_else(|| AppError::BadInput("this shipment has been delivered already".into()))?;
        if from == ShipmentStatus::Packed && row.items == 0 {
            return Err(AppError::BadInput(
                "this shipment is empty: dispatch something into it first".into(),
            ));
        }
        let action = if to == ShipmentStatus::Sent {
            "shipment.send"
        } else {
            "shipment.deliver"
        };
        let audit = self.event(actor, action, AuditObject::Named(format!("shipment:{id}")));
        if self
            .store
            .advance_shipment(id, from.as_str(), to.as_str(), crate::now_ms(), &audit)
            .await?
        {
            Ok(to)
        } else {
            Err(AppError::BadInput(
                "this shipment was moved on by someone else meanwhile; reload it".into(),
            ))
        }
    }

    /// What a label of `code` shows: a shipment (`SHP-…`) or a received box (`BOX-…`).
    pub async fn label(&self, actor: &Actor, code: &str) -> Result<Label, AppError> {
        self.require(actor, Permission::ManageStock)?;
        if let Some(id) = razam_core::aid::parse_shipment_code(code) {
            let row = self
                .store
                .shipment(id)
                .await?
                .ok_or(AppError::NotFound("the shipment"))?;
            return Ok(Label {
                code: shipment_code(id),
                content: LabelContent::Shipment {
                    recipient: row.recipient,
                    units: row.items,
                },
            });
        }
        let id = code
            .trim()
            .strip_prefix("BOX-")
            .and_then(|d| d.parse::<i64>().ok())
            .ok_or_else(|| AppError::BadInput(format!("`{}` is not a box or shipment code", code.trim())))?;
        let row = self
            .store
            .movement(id)
            .await?
            .filter(|m| m.kind == MovementKind::Receipt.as_str())
            .ok_or(AppError::NotFound("the box"))?;
        let item = self
            .store
            .aid_items()
            .await?
            .into_iter()
            .find(|i| i.id == row.item_id)
            .ok_or(AppError::NotFound("the item"))?;
        Ok(Label {
            code: box_code(id),
            content: LabelContent::Box {
                item: item.name,
                quantity: row.quantity,
                unit: item.unit,
            },
        })
    }

    /// Aid shipped, by month sent and category: how many shipments held something of the
    /// category and how many units. Raw counts: whoever publishes them suppresses the small
    /// ones (razam_core::registry::PublicCount). Names nobody, so it asks for no actor; the
    /// public transparency report calls it.
    pub async fn aid_shipped_summary(&self) -> Result<Vec<ShippedSummary>, AppError> {
        let mut cells: BTreeMap<(String, Category), (std::collections::BTreeSet<i64>, i64)> = BTreeMap::new();
        for row in self.store.shipped().await? {
            let category = Category::parse(&row.category).unwrap_or(Category::Other);
            let cell = cells.entry((month_of(row.sent_at_ms), category)).or_default();
            cell.0.insert(row.shipment_id);
            cell.1 += row.quantity;
        }
        Ok(cells
            .into_iter()
            .map(|((month, category), (shipments, items))| ShippedSummary {
                month,
                category,
                shipments: shipments.len() as i64,
                items,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_values_parse_exactly_in_their_currency() {
        let v = parse_unit_value("12,5", "eur").unwrap();
        assert_eq!((v.minor(), v.currency().code()), (1250, "EUR"));
        assert_eq!(parse_unit_value(" 0.07 ", "PLN").unwrap().minor(), 7);
        for (amount, currency) in [
            ("", "EUR"),
            ("-1", "EUR"),
            ("1.234", "EUR"),
            ("1e3", "EUR"),
            ("5", "EURO"),
        ] {
            assert!(parse_unit_value(amount, currency).is_err(), "{amount} {currency}");
        }
        assert_eq!(parse_unit_value("12.05", "PLN").unwrap().to_string(), "12.05 PLN");
    }
}

//! In-kind aid storage: the catalogue, warehouses, stock levels, movements and shipments.
//! The SQL is written once for both databases and compiled into each store by
//! [`impl_aid_store!`].
//!
//! Stock never goes negative. A movement that takes stock out does so with a conditional
//! UPDATE (`quantity = quantity - n WHERE quantity >= n`) in the transaction that records the
//! movement and appends its audit entry; when that UPDATE changes no row the transaction is
//! rolled back and the caller is told how much there was ([`MovementOutcome::Short`]). The
//! UPDATE locks the level's row, so two dispatches racing for the last boxes never both
//! win, on either database; `aid_stock.quantity` also has a CHECK as the last word.

use crate::{AuditEvent, StoreError};

/// A catalogue item to create.
#[derive(Debug, Clone)]
pub struct NewAidItem {
    pub name: String,
    pub category: &'static str,
    pub unit: String,
    /// Value of one unit in minor units of `currency` (both or neither).
    pub unit_value: Option<(i64, String)>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct AidItemRow {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub unit_value_minor: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WarehouseRow {
    pub id: i64,
    pub name: String,
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub warehouse_id: i64,
    pub item_id: i64,
    pub quantity: i64,
}

/// A movement to record. Which warehouses it names follows from its kind: a receipt has
/// only `to_warehouse`, a dispatch and a write-off only `from_warehouse`, a transfer both.
#[derive(Debug, Clone)]
pub struct NewMovement {
    /// Keyed hash of the movement's idempotency key, if it has one: a second movement with
    /// the same key is not recorded (see [`MovementOutcome::Known`]).
    pub idempotency: Option<[u8; 32]>,
    pub kind: &'static str,
    pub item_id: i64,
    pub quantity: i64,
    pub from_warehouse: Option<i64>,
    pub to_warehouse: Option<i64>,
    /// A dispatch's shipment, which must still be packed.
    pub shipment_id: Option<i64>,
    /// Donor (if consented) and notes, sealed by the caller.
    pub sealed: Option<Vec<u8>>,
    pub reason: Option<&'static str>,
    pub value: Option<(i64, String)>,
    /// The movement's value posted to the ledger, booked in the movement's own transaction
    /// (with its own audit entry); a booking the ledger refuses refuses the movement.
    pub ledger: Option<crate::ledger::NewLedgerTransfer>,
    pub created_by: String,
    pub at_ms: i64,
}

/// What became of a movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementOutcome {
    /// Recorded, with its id.
    Recorded(i64),
    /// A movement with the same idempotency key was recorded before, with this id; nothing
    /// was written.
    Known(i64),
    /// Refused: the warehouse holds only this many; nothing was written.
    Short { available: i64 },
    /// Refused: the shipment is no longer packed (or does not exist); nothing was written.
    ShipmentClosed,
}

#[derive(Debug, Clone)]
pub struct MovementRow {
    pub id: i64,
    pub kind: String,
    pub item_id: i64,
    pub quantity: i64,
    pub from_warehouse: Option<i64>,
    pub to_warehouse: Option<i64>,
    pub shipment_id: Option<i64>,
    pub sealed: Option<Vec<u8>>,
    pub reason: Option<String>,
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    /// The ledger transfer its value was posted as, if it was.
    pub ledger_transfer: Option<i64>,
    pub created_by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct NewShipment {
    /// An opaque reference chosen by the app.
    pub recipient: String,
    /// The link to a registry person or an assistance case, sealed, if any.
    pub recipient_sealed: Option<Vec<u8>>,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ShipmentRow {
    pub id: i64,
    pub recipient: String,
    pub recipient_sealed: Option<Vec<u8>>,
    pub status: String,
    /// Units dispatched into it.
    pub items: i64,
    pub created_by: String,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
}

/// One dispatch of a shipment that has left (sent or delivered), for the public summary.
#[derive(Debug, Clone)]
pub struct ShippedRow {
    pub shipment_id: i64,
    pub sent_at_ms: i64,
    pub category: String,
    pub quantity: i64,
}

#[async_trait::async_trait]
pub trait AidStore: Send + Sync {
    /// A second item of the same name is a conflict. Audit entry names `aid_item:<id>`.
    async fn create_aid_item(&self, item: &NewAidItem, audit: &AuditEvent) -> Result<i64, StoreError>;
    async fn aid_items(&self) -> Result<Vec<AidItemRow>, StoreError>;
    /// A second warehouse of the same name is a conflict. Audit entry names `warehouse:<id>`.
    async fn create_warehouse(
        &self,
        name: &str,
        place: &str,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;
    async fn warehouses(&self) -> Result<Vec<WarehouseRow>, StoreError>;
    /// Every level that was ever touched (zeros included), by warehouse then item.
    async fn stock_levels(&self) -> Result<Vec<StockRow>, StoreError>;
    /// Records a movement, changes the levels it touches and appends its audit entry (which
    /// names `aid_movement:<id>`), all in one transaction, or refuses and writes nothing.
    async fn record_movement(&self, movement: &NewMovement, audit: &AuditEvent) -> Result<MovementOutcome, StoreError>;
    /// The newest `limit` movements, newest first.
    async fn movements(&self, limit: i64) -> Result<Vec<MovementRow>, StoreError>;
    async fn movement(&self, id: i64) -> Result<Option<MovementRow>, StoreError>;
    async fn movements_of_shipment(&self, shipment: i64) -> Result<Vec<MovementRow>, StoreError>;
    /// Audit entry names `shipment:<id>`.
    async fn create_shipment(&self, shipment: &NewShipment, audit: &AuditEvent) -> Result<i64, StoreError>;
    /// Newest first.
    async fn shipments(&self) -> Result<Vec<ShipmentRow>, StoreError>;
    async fn shipment(&self, id: i64) -> Result<Option<ShipmentRow>, StoreError>;
    /// Moves a shipment from `from` to `to` (stamping the time), if it is still in `from`;
    /// false (nothing written) if it is not.
    async fn advance_shipment(
        &self,
        id: i64,
        from: &'static str,
        to: &'static str,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// The dispatches of every shipment that has been sent.
    async fn shipped(&self) -> Result<Vec<ShippedRow>, StoreError>;
}

pub(crate) const MOVEMENT_COLUMNS: &str = "id, kind, item_id, quantity, from_warehouse, to_warehouse, shipment_id, \
     sealed, reason, value_minor, currency, ledger_transfer, created_by, at_ms";
pub(crate) const SHIPMENT_COLUMNS: &str = "id, recipient, recipient_sealed, status, items, created_by, created_at_ms, \
     sent_at_ms, delivered_at_ms";

macro_rules! impl_aid_store {
    ($store:ty, $db:ty) => {
        mod aid_sql {
            use super::*;
            use crate::aid::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            pub(super) type Tx = sqlx::Transaction<'static, $db>;

            pub(super) fn movement_from(row: &DbRow) -> Result<MovementRow, StoreError> {
                Ok(MovementRow {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    item_id: row.try_get("item_id")?,
                    quantity: row.try_get("quantity")?,
                    from_warehouse: row.try_get("from_warehouse")?,
                    to_warehouse: row.try_get("to_warehouse")?,
                    shipment_id: row.try_get("shipment_id")?,
                    sealed: row.try_get("sealed")?,
                    reason: row.try_get("reason")?,
                    value_minor: row.try_get("value_minor")?,
                    currency: row.try_get("currency")?,
                    ledger_transfer: row.try_get("ledger_transfer")?,
                    created_by: row.try_get("created_by")?,
                    at_ms: row.try_get("at_ms")?,
                })
            }

            pub(super) fn shipment_from(row: &DbRow) -> Result<ShipmentRow, StoreError> {
                Ok(ShipmentRow {
                    id: row.try_get("id")?,
                    recipient: row.try_get("recipient")?,
                    recipient_sealed: row.try_get("recipient_sealed")?,
                    status: row.try_get("status")?,
                    items: row.try_get("items")?,
                    created_by: row.try_get("created_by")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    sent_at_ms: row.try_get("sent_at_ms")?,
                    delivered_at_ms: row.try_get("delivered_at_ms")?,
                })
            }

            /// The movements matching `condition` (with its ordering), which binds one number.
            pub(super) async fn movements_where(
                store: &$store,
                condition: &str,
                value: i64,
            ) -> Result<Vec<MovementRow>, StoreError> {
                let rows = sqlx::query(&format!("SELECT {MOVEMENT_COLUMNS} FROM aid_movements WHERE {condition}"))
                    .bind(value)
                    .fetch_all(&mut *store.reader().await?)
                    .await?;
                rows.iter().map(movement_from).collect()
            }

            /// Adds to a level, creating it at zero first.
            pub(super) async fn put(tx: &mut Tx, warehouse: i64, item: i64, quantity: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO aid_stock (warehouse_id, item_id, quantity) VALUES ($1, $2, $3) \
                     ON CONFLICT (warehouse_id, item_id) DO UPDATE SET quantity = aid_stock.quantity + excluded.quantity",
                )
                .bind(warehouse)
                .bind(item)
                .bind(quantity)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Takes from a level if it holds enough; otherwise the level as it is.
            pub(super) async fn take(
                tx: &mut Tx,
                warehouse: i64,
                item: i64,
                quantity: i64,
            ) -> Result<Result<(), i64>, StoreError> {
                let changed = sqlx::query(
                    "UPDATE aid_stock SET quantity = quantity - $3 \
                     WHERE warehouse_id = $1 AND item_id = $2 AND quantity >= $3",
                )
                .bind(warehouse)
                .bind(item)
                .bind(quantity)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    return Ok(Ok(()));
                }
                let available: Option<i64> =
                    sqlx::query_scalar("SELECT quantity FROM aid_stock WHERE warehouse_id = $1 AND item_id = $2")
                        .bind(warehouse)
                        .bind(item)
                        .fetch_optional(&mut **tx)
                        .await?;
                Ok(Err(available.unwrap_or(0)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::aid::AidStore for $store {
            async fn create_aid_item(
                &self,
                item: &$crate::aid::NewAidItem,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO aid_items (name, category, unit, unit_value_minor, currency, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&item.name)
                .bind(item.category)
                .bind(&item.unit)
                .bind(item.unit_value.as_ref().map(|v| v.0))
                .bind(item.unit_value.as_ref().map(|v| v.1.clone()))
                .bind(item.created_at_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_or(e, "an item with this name"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn aid_items(&self) -> Result<Vec<$crate::aid::AidItemRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, name, category, unit, unit_value_minor, currency FROM aid_items ORDER BY category, name",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::aid::AidItemRow {
                            id: row.try_get("id")?,
                            name: row.try_get("name")?,
                            category: row.try_get("category")?,
                            unit: row.try_get("unit")?,
                            unit_value_minor: row.try_get("unit_value_minor")?,
                            currency: row.try_get("currency")?,
                        })
                    })
                    .collect()
            }

            async fn create_warehouse(
                &self,
                name: &str,
                place: &str,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO aid_warehouses (name, place, created_at_ms) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(name)
                .bind(place)
                .bind(at_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_or(e, "a warehouse with this name"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn warehouses(&self) -> Result<Vec<$crate::aid::WarehouseRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id, name, place FROM aid_warehouses ORDER BY name")
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::aid::WarehouseRow {
                            id: row.try_get("id")?,
                            name: row.try_get("name")?,
                            place: row.try_get("place")?,
                        })
                    })
                    .collect()
            }

            async fn stock_levels(&self) -> Result<Vec<$crate::aid::StockRow>, StoreError> {
                let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT warehouse_id, item_id, quantity FROM aid_stock ORDER BY warehouse_id, item_id",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(warehouse_id, item_id, quantity)| $crate::aid::StockRow {
                        warehouse_id,
                        item_id,
                        quantity,
                    })
                    .collect())
            }

            async fn record_movement(
                &self,
                m: &$crate::aid::NewMovement,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::aid::MovementOutcome, StoreError> {
                use $crate::aid::MovementOutcome;
                let mut tx = self.begin().await?;
                if let Some(key) = &m.idempotency {
                    // Writers take turns (`begin`), so no other movement with this key can be
                    // written between this look and the insert; the unique index stands behind it.
                    let known: Option<i64> = sqlx::query_scalar("SELECT id FROM aid_movements WHERE idempotency = $1")
                        .bind(&key[..])
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(id) = known {
                        tx.rollback().await?;
                        return Ok(MovementOutcome::Known(id));
                    }
                }
                if let Some(shipment) = m.shipment_id {
                    // Locks the shipment's row and checks it is still packed, in one statement.
                    let open = sqlx::query(
                        "UPDATE aid_shipments SET items = items + $2 WHERE id = $1 AND status = 'packed'",
                    )
                    .bind(shipment)
                    .bind(m.quantity)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if open == 0 {
                        tx.rollback().await?;
                        return Ok(MovementOutcome::ShipmentClosed);
                    }
                }
                if let Some(from) = m.from_warehouse {
                    if let Err(available) = aid_sql::take(&mut tx, from, m.item_id, m.quantity).await? {
                        tx.rollback().await?;
                        return Ok(MovementOutcome::Short { available });
                    }
                }
                if let Some(to) = m.to_warehouse {
                    aid_sql::put(&mut tx, to, m.item_id, m.quantity).await?;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO aid_movements (kind, item_id, quantity, from_warehouse, to_warehouse, shipment_id, \
                     sealed, reason, value_minor, currency, created_by, at_ms, idempotency) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(m.kind)
                .bind(m.item_id)
                .bind(m.quantity)
                .bind(m.from_warehouse)
                .bind(m.to_warehouse)
                .bind(m.shipment_id)
                .bind(m.sealed.as_deref())
                .bind(m.reason)
                .bind(m.value.as_ref().map(|v| v.0))
                .bind(m.value.as_ref().map(|v| v.1.clone()))
                .bind(&m.created_by)
                .bind(m.at_ms)
                .bind(m.idempotency.as_ref().map(|k| &k[..]))
                .fetch_one(&mut *tx)
                .await?;
                if let Some(transfer) = &m.ledger {
                    // The ledger's own booking, inside this transaction: its rules and audit
                    // entry hold, and an error here rolls the movement back with it.
                    let booked = ledger_sql::book(self, &mut tx, std::slice::from_ref(transfer), None).await?;
                    if let Some(b) = booked.first() {
                        sqlx::query("UPDATE aid_movements SET ledger_transfer = $1 WHERE id = $2")
                            .bind(b.id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(MovementOutcome::Recorded(id))
            }

            async fn movements(&self, limit: i64) -> Result<Vec<$crate::aid::MovementRow>, StoreError> {
                aid_sql::movements_where(self, "id > 0 ORDER BY id DESC LIMIT $1", limit).await
            }

            async fn movement(&self, id: i64) -> Result<Option<$crate::aid::MovementRow>, StoreError> {
                Ok(aid_sql::movements_where(self, "id = $1", id).await?.into_iter().next())
            }

            async fn movements_of_shipment(&self, shipment: i64) -> Result<Vec<$crate::aid::MovementRow>, StoreError> {
                aid_sql::movements_where(self, "shipment_id = $1 ORDER BY id", shipment).await
            }

            async fn create_shipment(
                &self,
                s: &$crate::aid::NewShipment,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO aid_shipments (recipient, recipient_sealed, status, items, created_by, created_at_ms) \
                     VALUES ($1, $2, 'packed', 0, $3, $4) RETURNING id",
                )
                .bind(&s.recipient)
                .bind(s.recipient_sealed.as_deref())
                .bind(&s.created_by)
                .bind(s.created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn shipments(&self) -> Result<Vec<$crate::aid::ShipmentRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM aid_shipments ORDER BY id DESC",
                    $crate::aid::SHIPMENT_COLUMNS
                ))
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(aid_sql::shipment_from).collect()
            }

            async fn shipment(&self, id: i64) -> Result<Option<$crate::aid::ShipmentRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM aid_shipments WHERE id = $1",
                    $crate::aid::SHIPMENT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(aid_sql::shipment_from).transpose()
            }

            async fn advance_shipment(
                &self,
                id: i64,
                from: &'static str,
                to: &'static str,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let stamp = if to == "sent" { "sent_at_ms" } else { "delivered_at_ms" };
                let changed = sqlx::query(&format!(
                    "UPDATE aid_shipments SET status = $3, {stamp} = $4 WHERE id = $1 AND status = $2"
                ))
                .bind(id)
                .bind(from)
                .bind(to)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn shipped(&self) -> Result<Vec<$crate::aid::ShippedRow>, StoreError> {
                let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                    "SELECT s.id, s.sent_at_ms, i.category, m.quantity FROM aid_movements m \
                     JOIN aid_shipments s ON s.id = m.shipment_id JOIN aid_items i ON i.id = m.item_id \
                     WHERE m.kind = 'dispatch' AND s.status IN ('sent', 'delivered') AND s.sent_at_ms IS NOT NULL",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(shipment_id, sent_at_ms, category, quantity)| $crate::aid::ShippedRow {
                        shipment_id,
                        sent_at_ms,
                        category,
                        quantity,
                    })
                    .collect())
            }
        }
    };
}
pub(crate) use impl_aid_store;

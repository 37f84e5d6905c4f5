//! `/api/v1/ledger/…`: accounts with balances, transfers, booking, reversal, the check,
//! statement import and the reconciliation queue
//! ([docs/ledger.md]). Amounts are decimal strings (`"1234.56"`) with their currency, never
//! JSON numbers, so no client rounds them through a float.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use razam_app::ledger::{BookRequest, LedgerAccount, TransferDetails, TransferView};
use razam_core::ledger::{Currency, Money, Posting};
use razam_core::registry::Day;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiError, ApiResult, Problems, RecordId, created_or_ok, ok, parse_body};
use crate::AppState;

fn money(m: Money) -> Value {
    json!({ "currency": m.currency().code(), "amount": m.format() })
}

fn account(a: &LedgerAccount) -> Value {
    json!({
        "id": a.id,
        "code": a.code,
        "name": a.name,
        "kind": a.kind.as_str(),
        "currency": a.currency.map(|c| c.code()),
        "no_negative": a.rules.no_negative,
        "iban": a.iban,
        "balances": a.balances.iter().map(|m| money(*m)).collect::<Vec<_>>(),
    })
}

fn transfer(t: &TransferView) -> Value {
    json!({
        "id": t.id,
        "kind": t.kind.as_str(),
        "booked_on": t.booked_on.to_string(),
        "value_on": t.value_on.map(|d| d.to_string()),
        "reverses": t.reverses,
        "reversed_by": t.reversed_by,
        "rate": t.rate,
        "statement_id": t.statement_id,
        "memo": t.details.memo,
        "counterparty": t.details.counterparty,
        "remittance": t.details.remittance,
        "postings": t.postings.iter().map(|p| {
            let mut v = money(p.amount);
            v["account_id"] = json!(p.account);
            v
        }).collect::<Vec<_>>(),
    })
}

pub(super) async fn accounts(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let accounts = state.app.ledger_accounts(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "accounts": accounts.iter().map(account).collect::<Vec<_>>() }),
    )
}

pub(super) async fn read_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let a = state.app.ledger_account(&actor, id).await?;
    let postings = state.app.ledger_postings(&actor, id, 100).await?;
    let mut body = account(&a);
    body["postings"] = json!(
        postings
            .iter()
            .map(|p| {
                let mut v = money(p.amount);
                v["transfer_id"] = json!(p.transfer_id);
                v["kind"] = json!(p.kind.as_str());
                v["booked_on"] = json!(p.booked_on.to_string());
                v
            })
            .collect::<Vec<_>>()
    );
    ok(StatusCode::OK, body)
}

#[derive(Deserialize)]
pub(super) struct TransfersQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

pub(super) async fn transfers(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TransfersQuery>,
) -> ApiResult {
    let list = state
        .app
        .ledger_transfers(&actor, q.before, q.limit.unwrap_or(100))
        .await?;
    ok(
        StatusCode::OK,
        json!({ "transfers": list.iter().map(transfer).collect::<Vec<_>>() }),
    )
}

pub(super) async fn read_transfer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
) -> ApiResult {
    let t = state.app.ledger_transfer(&actor, id).await?;
    ok(StatusCode::OK, transfer(&t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostingBody {
    account_id: i64,
    currency: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    idempotency_key: Option<String>,
    booked_on: String,
    #[serde(default)]
    memo: String,
    postings: Vec<PostingBody>,
}

pub(super) async fn book(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: TransferBody = parse_body(&body)?;
    let mut problems = Problems::default();
    let booked_on = problems.check("booked_on", Day::parse(&body.booked_on));
    let mut postings = Vec::new();
    for (i, p) in body.postings.iter().enumerate() {
        let field = format!("postings[{i}]");
        if let Some(currency) = problems.check(&field, Currency::parse(&p.currency))
            && let Some(amount) = problems.check(&field, Money::parse(&p.amount, currency))
        {
            postings.push(Posting {
                account: p.account_id,
                amount,
            });
        }
    }
    problems.done()?;
    let request = BookRequest {
        idempotency_key: body.idempotency_key,
        booked_on: booked_on.ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "booked_on"))?,
        postings,
        details: TransferDetails::memo(&body.memo),
    };
    let booked = state.app.ledger_book(&actor, &request).await?;
    let t = state.app.ledger_transfer(&actor, booked.id).await?;
    let mut answer = transfer(&t);
    answer["new"] = json!(booked.new);
    ok(created_or_ok(booked.new), answer)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReversalBody {
    idempotency_key: Option<String>,
    #[serde(default)]
    memo: String,
}

pub(super) async fn reverse(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let body: ReversalBody = if body.is_empty() {
        ReversalBody::default()
    } else {
        parse_body(&body)?
    };
    let booked = state
        .app
        .ledger_reverse(&actor, id, body.idempotency_key.as_deref(), &body.memo)
        .await?;
    let t = state.app.ledger_transfer(&actor, booked.id).await?;
    let mut answer = transfer(&t);
    answer["new"] = json!(booked.new);
    ok(created_or_ok(booked.new), answer)
}

pub(super) async fn check(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let c = state.app.ledger_check(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "accounts": c.accounts, "transfers": c.transfers, "postings": c.postings, "problems": c.problems }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatementQuery {
    /// The account's IBAN, for a CSV statement (read by its saved mapping).
    iban: Option<String>,
}

/// Imports a bank statement sent as the request body: camt.053 XML, or CSV with `?iban=`.
/// All or nothing, as `razam ledger import-statement`; the answer is the import report.
pub(super) async fn import_statement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<StatementQuery>,
    body: Bytes,
) -> ApiResult {
    let iban = match q.iban.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(text) => Some(
            razam_core::ledger::Iban::parse(text)
                .map_err(|e| ApiError::from(razam_app::AppError::BadInput(format!("iban: {e}"))))?,
        ),
        None => None,
    };
    let r = state.app.import_statement(&actor, &body, iban.as_ref()).await?;
    ok(
        created_or_ok(r.booked > 0 || r.opening_booked.is_some()),
        json!({
            "format": r.format,
            "iban_tail": r.iban_tail,
            "account_id": r.account_id,
            "account_opened": r.account_opened,
            "already_imported": r.already_imported,
            "entries": r.entries,
            "pending": r.pending,
            "booked": r.booked,
            "split": r.split,
            "matched": r.matched,
            "cleared": r.cleared,
            "queued": r.queued,
            "reversals": r.reversals,
            "opening_booked": r.opening_booked.map(money),
            "balance": money(r.balance),
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QueueQuery {
    /// `true` (the default): only payments still waiting.
    open: Option<bool>,
}

/// The reconciliation queue: each payment that waits (or, with `?open=false`, waited) in
/// suspense, with the transfer it was booked as.
pub(super) async fn queue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<QueueQuery>,
) -> ApiResult {
    let mut out = Vec::new();
    for row in state.app.reconciliation_queue(&actor, q.open.unwrap_or(true)).await? {
        let t = state.app.ledger_transfer(&actor, row.transfer_id).await?;
        out.push(json!({
            "transfer_id": row.transfer_id,
            "suspense_account_id": row.account_id,
            "resolved_by": row.resolved_by,
            "transfer": transfer(&t),
        }));
    }
    ok(StatusCode::OK, json!({ "queue": out }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    /// The code of the account the payment is booked on to.
    account: String,
    #[serde(default)]
    memo: String,
}

/// Books a queued payment on to the account named by its code; again, the first answer.
pub(super) async fn resolve(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    RecordId(id): RecordId,
    body: Bytes,
) -> ApiResult {
    let b: ResolveBody = parse_body(&body)?;
    let account = state.app.ledger_account_by_code(&actor, b.account.trim()).await?;
    let booked = state.app.resolve_payment(&actor, id, account.id, &b.memo).await?;
    let t = state.app.ledger_transfer(&actor, booked.id).await?;
    ok(created_or_ok(booked.new), transfer(&t))
}

/// A bank account's CSV layout: the account by its IBAN, the columns by their header text
/// (the same mapping `razam ledger csv-mapping` takes).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvMappingBody {
    iban: String,
    mapping: razam_app::ledger::statement::CsvMapping,
}

pub(super) async fn set_csv_mapping(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let b: CsvMappingBody = parse_body(&body)?;
    let mut p = Problems::default();
    let iban = p.check("iban", razam_core::ledger::Iban::parse(&b.iban));
    p.done()?;
    let Some(iban) = iban else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no IBAN"));
    };
    state.app.set_csv_mapping(&actor, &iban, &b.mapping).await?;
    ok(StatusCode::OK, json!({ "iban_tail": iban.tail(), "saved": true }))
}

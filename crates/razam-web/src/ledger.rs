//! `/ledger…`: the books for treasurers (admins, coordinators): accounts with balances, an
//! account's postings, a transfer with its reversal button, statement upload (multipart)
//! with the import's report, and the reconciliation queue with a form per payment. No
//! script: every action is a form.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::ledger::import::ImportReport;
use razam_app::ledger::{LedgerAccount, TransferView};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::pages::{app_error, bad_request, csrf_rejected, render, to_login};

/// An account as a line of the list.
pub struct AccountLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub balances: String,
}

fn line(a: &LedgerAccount) -> AccountLine {
    AccountLine {
        id: a.id,
        code: a.code.clone(),
        name: a.name.clone(),
        kind: a.kind.as_str(),
        balances: a
            .balances
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A payment waiting in the queue.
pub struct QueueLine {
    pub transfer_id: i64,
    pub booked_on: String,
    pub amount: String,
    pub counterparty: String,
    pub remittance: String,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    l: Layout,
    accounts: Vec<AccountLine>,
    queue: Vec<QueueLine>,
    problems: Vec<String>,
    transfers: i64,
    /// A fresh idempotency key for the booking form: a form sent twice books once.
    form_key: String,
    today: String,
}

pub async fn index(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let app = &state.app;
    let result = async {
        let accounts = app.ledger_accounts(&actor).await?;
        let mut queue = Vec::new();
        for q in app.reconciliation_queue(&actor, true).await? {
            let t = app.ledger_transfer(&actor, q.transfer_id).await?;
            let amount = t.postings.iter().find(|p| p.account == q.account_id).map(|p| p.amount);
            queue.push(QueueLine {
                transfer_id: t.id,
                booked_on: t.booked_on.to_string(),
                amount: amount
                    .and_then(|m| m.checked_neg().ok())
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                counterparty: t.details.counterparty,
                remittance: t.details.remittance,
            });
        }
        let check = app.ledger_check(&actor).await?;
        Ok::<_, razam_app::AppError>((accounts, queue, check))
    }
    .await;
    match result {
        Ok((accounts, queue, check)) => render(
            StatusCode::OK,
            LedgerPage {
                l: ctx.layout(),
                accounts: accounts.iter().map(line).collect(),
                queue,
                problems: check.problems,
                transfers: check.transfers,
                form_key: crate::forms::form_key(""),
                today: razam_app::today().to_string(),
            },
        ),
        Err(e) => app_error(&ctx, e),
    }
}

/// One posting of an account as shown.
pub struct PostingLine {
    pub transfer_id: i64,
    pub booked_on: String,
    pub kind: &'static str,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "ledger_account.html")]
struct AccountPage {
    l: Layout,
    account: AccountLine,
    postings: Vec<PostingLine>,
}

pub async fn account(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let result = async {
        let a = state.app.ledger_account(&actor, id).await?;
        let postings = state.app.ledger_postings(&actor, id, 500).await?;
        Ok::<_, razam_app::AppError>((a, postings))
    }
    .await;
    match result {
        Ok((a, postings)) => render(
            StatusCode::OK,
            AccountPage {
                l: ctx.layout(),
                account: line(&a),
                postings: postings
                    .iter()
                    .map(|p| PostingLine {
                        transfer_id: p.transfer_id,
                        booked_on: p.booked_on.to_string(),
                        kind: p.kind.as_str(),
                        amount: p.amount.to_string(),
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "ledger_transfer.html")]
struct TransferPage {
    l: Layout,
    t: TransferView,
    kind: &'static str,
    postings: Vec<(i64, String, String)>,
}

pub async fn transfer(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let result = async {
        let t = state.app.ledger_transfer(&actor, id).await?;
        let accounts = state.app.ledger_accounts(&actor).await?;
        Ok::<_, razam_app::AppError>((t, accounts))
    }
    .await;
    match result {
        Ok((t, accounts)) => {
            let postings = t
                .postings
                .iter()
                .map(|p| {
                    let code = accounts
                        .iter()
                        .find(|a| a.id == p.account)
                        .map_or_else(String::new, |a| a.code.clone());
                    (p.account, code, p.amount.to_string())
                })
                .collect();
            render(
                StatusCode::OK,
                TransferPage {
                    l: ctx.layout(),
                    kind: t.kind.as_str(),
                    t,
                    postings,
                },
            )
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct ReverseForm {
    csrf: String,
    #[serde(default)]
    memo: String,
}

pub async fn reverse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReverseForm>,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    match state.app.ledger_reverse(&actor, id, None, &form.memo).await {
        Ok(b) => Redirect::to(&format!("/ledger/transfers/{}", b.id)).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct ResolveForm {
    csrf: String,
    account: String,
    #[serde(default)]
    memo: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let result = async {
        let account = state.app.ledger_account_by_code(&actor, form.account.trim()).await?;
        state.app.resolve_payment(&actor, id, account.id, &form.memo).await
    }
    .await;
    match result {
        Ok(b) => Redirect::to(&format!("/ledger/transfers/{}", b.id)).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "ledger_import.html")]
struct ImportPage {
    l: Layout,
    r: ImportReport,
}

pub async fn upload(State(state): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let (mut csrf, mut bytes, mut iban) = (String::new(), Vec::new(), String::new());
    // A body cut short or over the limit is refused whole, never read in part.
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(value) = field.bytes().await else {
                    return bad_request(&ctx);
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&value).into_owned(),
                    "iban" => iban = String::from_utf8_lossy(&value).trim().to_owned(),
                    "file" => bytes = value.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return bad_request(&ctx),
        }
    }
    if !ctx.csrf_ok(&state.app, &csrf) {
        return csrf_rejected(&ctx);
    }
    let iban = if iban.is_empty() {
        None
    } else {
        match razam_core::ledger::Iban::parse(&iban) {
            Ok(i) => Some(i),
            Err(e) => return app_error(&ctx, razam_app::AppError::BadInput(e.to_string())),
        }
    };
    match state.app.import_statement(&actor, &bytes, iban.as_ref()).await {
        Ok(r) => render(StatusCode::OK, ImportPage { l: ctx.layout(), r }),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct BookForm {
    csrf: String,
    key: String,
    booked_on: String,
    debit: String,
    credit: String,
    amount: String,
    currency: String,
    #[serde(default)]
    memo: String,
}

/// The booking form: `amount` debited to one account and credited to another, in one
/// currency. Its hidden key makes a form sent twice book once.
pub async fn book(State(state): State<AppState>, ctx: Ctx, Form(form): Form<BookForm>) -> Response {
    use razam_app::AppError;
    use razam_core::ledger::{Currency, Money, Posting};
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    if !ctx.csrf_ok(&state.app, &form.csrf) {
        return csrf_rejected(&ctx);
    }
    let app = &state.app;
    let result = async {
        let bad = |e: &dyn std::fmt::Display| AppError::BadInput(e.to_string());
        let booked_on = razam_core::registry::Day::parse(form.booked_on.trim()).map_err(|e| bad(&e))?;
        let currency = Currency::parse(form.currency.trim()).map_err(|e| bad(&e))?;
        let amount = Money::parse(form.amount.trim(), currency).map_err(|e| bad(&e))?;
        let debit = app.ledger_account_by_code(&actor, form.debit.trim()).await?;
        let credit = app.ledger_account_by_code(&actor, form.credit.trim()).await?;
        let request = razam_app::ledger::BookRequest {
            idempotency_key: Some(form.key.clone()).filter(|k| !k.is_empty()),
            booked_on,
            postings: vec![
                Posting {
                    account: debit.id,
                    amount,
                },
                Posting {
                    account: credit.id,
                    amount: amount.checked_neg().map_err(|e| bad(&e))?,
                },
            ],
            details: razam_app::ledger::TransferDetails::memo(&form.memo),
        };
        app.ledger_book(&actor, &request).await
    }
    .await;
    match result {
        Ok(b) => Redirect::to(&format!("/ledger/transfers/{}", b.id)).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

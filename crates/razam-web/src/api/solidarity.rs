//! The API's campaigns, donations, assistance cases and transparency report: the same calls
//! on the app as the pages make.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use razam_app::assistance::{AssistanceForm, AssistanceView, PaymentForm};
use razam_app::campaigns::{CampaignForm, CampaignView, DonationForm};
use razam_core::assistance::CaseAction;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiError, ApiResult, ok, parse_body};
use crate::AppState;

fn campaign_out(c: &CampaignView) -> Value {
    json!({
        "id": c.id,
        "code": c.code,
        "title": c.text.title,
        "description": c.text.description,
        "currency": c.goal.currency().code(),
        "goal": c.goal.format(),
        "raised": c.raised.format(),
        "donations": c.donations,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "status": c.status.as_str(),
        "public": c.public,
        "ledger_account": c.account_id,
    })
}

/// A campaign as a client sends it: `public` as a JSON boolean.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    public: bool,
}

impl From<CampaignBody> for CampaignForm {
    fn from(b: CampaignBody) -> CampaignForm {
        CampaignForm {
            code: b.code,
            title: b.title,
            description: b.description,
            currency: b.currency,
            goal: b.goal,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            status: b.status,
            public: b.public.then(|| "1".to_owned()),
        }
    }
}

pub(super) async fn list_campaigns(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let all = state.app.campaigns(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "campaigns": all.iter().map(campaign_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn create_campaign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> ApiResult {
    let body: CampaignBody = parse_body(&body)?;
    let c = state.app.create_campaign(&actor, &body.into()).await?;
    ok(StatusCode::CREATED, campaign_out(&c))
}

pub(super) async fn read_campaign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult {
    let c = state.app.campaign_by_code(&actor, &code).await?;
    ok(StatusCode::OK, campaign_out(&c))
}

pub(super) async fn update_campaign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: CampaignBody = parse_body(&body)?;
    let c = state.app.campaign_by_code(&actor, &code).await?;
    let c = state.app.update_campaign(&actor, c.id, &body.into()).await?;
    ok(StatusCode::OK, campaign_out(&c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DonationBody {
    amount: String,
    /// The ledger account (bank or cash) the money came into.
    account: i64,
    #[serde(default)]
    booked_on: String,
    #[serde(default)]
    donor: String,
    #[serde(default)]
    named: bool,
    #[serde(default)]
    amount_shown: bool,
    idempotency_key: String,
}

pub(super) async fn list_donations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult {
    let c = state.app.campaign_by_code(&actor, &code).await?;
    let donations = state.app.donations(&actor, c.id).await?;
    ok(
        StatusCode::OK,
        json!({
            "donations": donations.iter().map(|d| json!({
                "transfer": d.transfer_id,
                "booked_on": d.booked_on,
                "amount": d.amount.format(),
                "currency": d.amount.currency().code(),
                "donor": d.donor,
                "named": d.named,
                "amount_shown": d.amount_shown,
            })).collect::<Vec<_>>()
        }),
    )
}

pub(super) async fn record_donation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: DonationBody = parse_body(&body)?;
    let c = state.app.campaign_by_code(&actor, &code).await?;
    let form = DonationForm {
        amount: body.amount,
        account: body.account.to_string(),
        booked_on: body.booked_on,
        donor: body.donor,
        named: body.named.then(|| "1".to_owned()),
        amount_shown: body.amount_shown.then(|| "1".to_owned()),
        idempotency_key: body.idempotency_key,
    };
    let transfer = state.app.record_donation(&actor, c.id, &form).await?;
    let c = state.app.campaign(&actor, c.id).await?;
    ok(
        StatusCode::CREATED,
        json!({ "transfer": transfer, "campaign": campaign_out(&c) }),
    )
}

fn case_out(c: &AssistanceView) -> Value {
    json!({
        "reference": c.reference,
        "category": c.category.as_str(),
        "amount": c.amount.format(),
        "currency": c.amount.currency().code(),
        "state": c.state.as_str(),
        "approvals_required": c.required,
        "approvals": c.approvals,
        "requested_by": c.requested_by,
        "requested_at_ms": c.requested_at_ms,
        "persons": c.details.persons,
        "purpose": c.details.purpose,
        "transfer": c.transfer_id,
        "steps": c.steps.iter().map(|s| json!({
            "action": s.action, "actor": s.actor, "at_ms": s.at_ms,
        })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseBody {
    /// Registry person ids (a family: several).
    persons: Vec<i64>,
    category: String,
    currency: String,
    amount: String,
    #[serde(default)]
    purpose: String,
}

pub(super) async fn list_cases(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    let cases = state.app.assistance_cases(&actor).await?;
    ok(
        StatusCode::OK,
        json!({ "cases": cases.iter().map(case_out).collect::<Vec<_>>() }),
    )
}

pub(super) async fn request_case(State(state): State<AppState>, ApiActor(actor): ApiActor, body: Bytes) -> ApiResult {
    let body: CaseBody = parse_body(&body)?;
    let form = AssistanceForm {
        persons: body.persons.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        category: body.category,
        currency: body.currency,
        amount: body.amount,
        purpose: body.purpose,
    };
    let reference = state.app.request_assistance(&actor, &form).await?;
    let c = state.app.assistance_case(&actor, &reference).await?;
    ok(StatusCode::CREATED, case_out(&c))
}

pub(super) async fn read_case(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(reference): Path<String>,
) -> ApiResult {
    let c = state.app.assistance_case(&actor, &reference).await?;
    ok(StatusCode::OK, case_out(&c))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PayBody {
    /// The ledger account (bank or cash) it is paid from.
    account: i64,
    #[serde(default)]
    paid_on: String,
}

/// `POST /assistance/{reference}/{action}`: review, approve, refuse, withdraw, or pay (with
/// the account in the body).
pub(super) async fn step_case(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((reference, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let action = CaseAction::parse(&action).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no such step: review, approve, refuse, withdraw, pay",
        )
    })?;
    if action == CaseAction::Pay {
        let pay: PayBody = parse_body(&body)?;
        let form = PaymentForm {
            account: pay.account.to_string(),
            paid_on: pay.paid_on,
        };
        state.app.pay_assistance(&actor, &reference, &form).await?;
    } else {
        state.app.act_on_assistance(&actor, &reference, action).await?;
    }
    let c = state.app.assistance_case(&actor, &reference).await?;
    ok(StatusCode::OK, case_out(&c))
}

/// The public transparency report as JSON (no token needed: it names nobody).
pub(super) async fn transparency(State(state): State<AppState>) -> ApiResult {
    let report = state.app.transparency_report().await?;
    ok(StatusCode::OK, report)
}

//! Assistance pages: the cases (all of them for those who read cases, one's own requests for
//! those who only ask), the request form, and a case with its steps and the buttons its
//! reader may press. Cases are named by their opaque reference only.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::assistance::{AssistanceForm, AssistanceView, PaymentForm};
use razam_app::campaigns::FundsAccount;
use razam_core::assistance::{CaseAction, CaseState, Category};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget, utc_minute};
use crate::i18n::Tr;
use crate::pages::{app_error, form_actor, render, to_login};

fn category_options(tr: &Tr) -> Vec<(String, String)> {
    Category::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), tr.t(&format!("assist-category-{}", c.as_str()))))
        .collect()
}

/// One case as the list shows it.
pub struct CaseLine {
    pub reference: String,
    pub category: String,
    pub amount: String,
    pub state: String,
    pub approvals: String,
    pub requested: String,
}

fn line(tr: &Tr, c: &AssistanceView) -> CaseLine {
    CaseLine {
        reference: c.reference.clone(),
        category: tr.t(&format!("assist-category-{}", c.category.as_str())),
        amount: c.amount.to_string(),
        state: tr.t(&format!("assist-state-{}", c.state.as_str())),
        approvals: format!("{}/{}", c.approvals.len(), c.required),
        requested: utc_minute(c.requested_at_ms),
    }
}

#[derive(Template)]
#[template(path = "assistance.html")]
struct ListPage {
    l: Layout,
    cases: Vec<CaseLine>,
    may_request: bool,
    form: FormView,
    error: String,
    required: u8,
}

fn request_form(tr: &Tr, f: &AssistanceForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "persons", "assist-persons", f.persons.clone(), Widget::Text)
            .hint(tr, "assist-persons-hint")
            .max_len(300)
            .required(),
    );
    form.select(
        Field::new(tr, "category", "assist-category", f.category.clone(), Widget::Select).required(),
        category_options(tr),
    );
    form.push(
        Field::new(tr, "amount", "assist-amount", f.amount.clone(), Widget::Text)
            .max_len(20)
            .required(),
    );
    form.push(
        Field::new(tr, "currency", "camp-currency", f.currency.clone(), Widget::Text)
            .hint(tr, "camp-currency-hint")
            .max_len(3)
            .required(),
    );
    form.push(
        Field::new(tr, "purpose", "assist-purpose", f.purpose.clone(), Widget::TextArea)
            .hint(tr, "assist-purpose-hint")
            .max_len(10_000),
    );
    form
}

async fn list_page(state: &AppState, ctx: &Ctx, form: &AssistanceForm, error: String, status: StatusCode) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let cases = match state.app.assistance_cases(&actor).await {
        Ok(c) => c,
        Err(e) => return app_error(ctx, e),
    };
    render(
        status,
        ListPage {
            cases: cases.iter().map(|c| line(&ctx.tr, c)).collect(),
            may_request: ctx.may(Permission::RequestAssistance),
            form: request_form(&ctx.tr, form),
            error,
            required: state.app.approvals_required(),
            l: ctx.layout(),
        },
    )
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    list_page(&state, &ctx, &AssistanceForm::default(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RequestPost {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: AssistanceForm,
}

pub async fn request(State(state): State<AppState>, ctx: Ctx, Form(f): Form<RequestPost>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match state.app.request_assistance(&actor, &f.form).await {
        Ok(reference) => Redirect::to(&format!("/assistance/{reference}")).into_response(),
        Err(e @ AppError::BadInput(_)) => {
            list_page(&state, &ctx, &f.form, e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "assistance_case.html")]
struct CasePage {
    l: Layout,
    c: CaseLine,
    persons: Vec<(i64, String)>,
    purpose: String,
    steps: Vec<(String, String, String)>,
    /// (action, label) of each button this reader may press now.
    actions: Vec<(&'static str, String)>,
    pay: Option<FormView>,
    transfer: Option<i64>,
    error: String,
}

fn payment_form(tr: &Tr, funds: &[FundsAccount]) -> FormView {
    let mut form = FormView::new();
    form.select(
        Field::new(tr, "account", "assist-pay-from", "", Widget::Select).required(),
        crate::campaigns::funds_options(funds),
    );
    form.push(
        Field::new(tr, "paid_on", "assist-paid-on", "", Widget::Text)
            .hint(tr, "camp-date-hint")
            .max_len(10),
    );
    form
}

async fn case_page(state: &AppState, ctx: &Ctx, reference: &str, error: String, status: StatusCode) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let c = match state.app.assistance_case(&actor, reference).await {
        Ok(c) => c,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let me = actor_name(ctx);
    let own = c.requested_by == me;
    let mut actions = Vec::new();
    let approver = ctx.may(Permission::ApproveAssistance) && !own;
    if approver && c.state == CaseState::Requested {
        actions.push(("review", tr.t("assist-do-review")));
    }
    if approver && c.state == CaseState::InReview && !c.approvals.contains(&me) {
        actions.push(("approve", tr.t("assist-do-approve")));
    }
    if approver && !c.state.is_final() {
        actions.push(("refuse", tr.t("assist-do-refuse")));
    }
    if own && !c.state.is_final() {
        actions.push(("withdraw", tr.t("assist-do-withdraw")));
    }
    let pay = if c.state == CaseState::Approved && ctx.may(Permission::PayAssistance) {
        match state.app.funds_accounts(&actor).await {
            Ok(funds) => Some(payment_form(tr, &funds)),
            Err(e) => return app_error(ctx, e),
        }
    } else {
        None
    };
    render(
        status,
        CasePage {
            c: line(tr, &c),
            persons: c.details.persons.iter().map(|id| (*id, format!("P-{id:06}"))).collect(),
            purpose: c.details.purpose.clone(),
            steps: c
                .steps
                .iter()
                .map(|s| {
                    (
                        utc_minute(s.at_ms),
                        tr.t(&format!("assist-step-{}", s.action)),
                        s.actor.clone(),
                    )
                })
                .collect(),
            actions,
            pay,
            transfer: c.transfer_id,
            error,
            l: ctx.layout(),
        },
    )
}

fn actor_name(ctx: &Ctx) -> String {
    ctx.user
        .as_ref()
        .map(|u| format!("account:{}", u.id))
        .unwrap_or_default()
}

pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(reference): Path<String>) -> Response {
    case_page(&state, &ctx, &reference, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct StepPost {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    payment: PaymentForm,
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((reference, action)): Path<(String, String)>,
    Form(f): Form<StepPost>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(action) = CaseAction::parse(&action) else {
        return crate::pages::not_found(ctx).await;
    };
    let result = if action == CaseAction::Pay {
        state.app.pay_assistance(&actor, &reference, &f.payment).await
    } else {
        state.app.act_on_assistance(&actor, &reference, action).await
    };
    match result {
        Ok(_) => Redirect::to(&format!("/assistance/{reference}")).into_response(),
        Err(e @ (AppError::BadInput(_) | AppError::Conflict(_))) => {
            case_page(
                &state,
                &ctx,
                &reference,
                e.to_string(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&ctx, e),
    }
}

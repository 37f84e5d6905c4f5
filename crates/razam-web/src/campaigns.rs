//! Campaign pages: the public list and each public campaign's page (no login, no script: the
//! progress bar is drawn as SVG here), and the coordinators' pages (new campaign, a campaign's
//! settings, its donations with the donors' names, the donation form).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::AppError;
use razam_app::campaigns::{CampaignForm, CampaignView, DonationForm, DonationView, FundsAccount, PublicCampaign};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget};
use crate::i18n::Tr;
use crate::pages::{app_error, form_actor, render, to_login};

/// A progress bar as inline SVG: no script, no foreign asset; its text says the same.
pub fn progress_svg(permille: u32, label: &str) -> String {
    let filled = f64::from(permille.min(1000)) / 10.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" \
         class=\"progress\" role=\"img\" aria-label=\"{}\">\
         <rect width=\"100\" height=\"6\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"0.4\"/>\
         <rect width=\"{filled:.1}\" height=\"6\" fill=\"currentColor\"/></svg>",
        crate::figures::escape(label)
    )
}

/// The bank and cash accounts as a select's options: code, name and currency.
pub fn funds_options(funds: &[FundsAccount]) -> Vec<(String, String)> {
    funds
        .iter()
        .map(|a| {
            let currency = a.currency.clone().unwrap_or_default();
            (a.id.to_string(), format!("{} · {} {currency}", a.code, a.name))
        })
        .collect()
}

fn percent(permille: u32) -> String {
    format!("{}.{} %", permille / 10, permille % 10)
}

// ---- the public list and page ----

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    l: Layout,
    public: Vec<(String, String, String)>,
    all: Vec<CampaignView>,
    may_manage: bool,
    form: FormView,
    error: String,
}

fn campaign_form(tr: &Tr, f: &CampaignForm, new: bool) -> FormView {
    let mut form = FormView::new();
    if new {
        form.push(
            Field::new(tr, "code", "camp-code", f.code.clone(), Widget::Text)
                .hint(tr, "camp-code-hint")
                .max_len(16)
                .required(),
        );
    }
    form.push(
        Field::new(tr, "title", "camp-title-field", f.title.clone(), Widget::Text)
            .max_len(200)
            .required(),
    );
    form.push(
        Field::new(
            tr,
            "description",
            "camp-description",
            f.description.clone(),
            Widget::TextArea,
        )
        .hint(tr, "camp-description-hint")
        .max_len(10_000)
        .rows(6),
    );
    if new {
        form.push(
            Field::new(tr, "currency", "camp-currency", f.currency.clone(), Widget::Text)
                .hint(tr, "camp-currency-hint")
                .max_len(3)
                .required(),
        );
    }
    form.push(
        Field::new(tr, "goal", "camp-goal", f.goal.clone(), Widget::Text)
            .max_len(20)
            .required(),
    );
    if new {
        form.push(
            Field::new(tr, "starts_on", "camp-starts", f.starts_on.clone(), Widget::Text)
                .hint(tr, "camp-date-hint")
                .max_len(10),
        );
    }
    form.push(
        Field::new(tr, "ends_on", "camp-ends", f.ends_on.clone(), Widget::Text)
            .hint(tr, "camp-date-hint")
            .max_len(10),
    );
    if !new {
        form.select(
            Field::new(tr, "status", "camp-status", f.status.clone(), Widget::Select),
            vec![
                ("active".into(), tr.t("camp-status-active")),
                ("closed".into(), tr.t("camp-status-closed")),
            ],
        );
    }
    form.push(
        Field::new(
            tr,
            "public",
            "camp-public",
            f.public.clone().unwrap_or_default(),
            Widget::Checkbox,
        )
        .hint(tr, "camp-public-hint"),
    );
    form
}

async fn list_page(state: &AppState, ctx: &Ctx, form: &CampaignForm, error: String, status: StatusCode) -> Response {
    let public = match state.app.public_campaigns().await {
        Ok(p) => p,
        Err(e) => return app_error(ctx, e),
    };
    let may_manage = ctx.may(Permission::ManageCampaigns);
    let all = match ctx.actor() {
        Some(actor) if may_manage => match state.app.campaigns(&actor).await {
            Ok(all) => all,
            Err(e) => return app_error(ctx, e),
        },
        _ => Vec::new(),
    };
    render(
        status,
        ListPage {
            l: ctx.layout(),
            public,
            all,
            may_manage,
            form: campaign_form(&ctx.tr, form, true),
            error,
        },
    )
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    list_page(&state, &ctx, &CampaignForm::default(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CampaignPost {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: CampaignForm,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<CampaignPost>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match state.app.create_campaign(&actor, &f.form).await {
        Ok(c) => Redirect::to(&format!("/campaigns/{}/manage", c.code)).into_response(),
        Err(e @ (AppError::BadInput(_) | AppError::Conflict(_))) => {
            list_page(&state, &ctx, &f.form, e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "campaign_public.html")]
struct PublicPage {
    l: Layout,
    c: PublicCampaign,
    status: String,
    bar: String,
    percent: String,
    may_manage: bool,
}

/// `/campaigns/{code}`: readable by anyone, for a campaign marked public.
pub async fn public(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Response {
    match state.app.public_campaign(&code).await {
        Ok(c) => {
            let percent = percent(c.progress_permille);
            let label = ctx.tr.t1("camp-progress", "percent", &percent);
            render(
                StatusCode::OK,
                PublicPage {
                    status: ctx.tr.t(&format!("camp-status-{}", c.status)),
                    bar: progress_svg(c.progress_permille, &label),
                    percent,
                    may_manage: ctx.may(Permission::ManageCampaigns),
                    l: ctx.layout(),
                    c,
                },
            )
        }
        // A campaign not marked public is "not found" to visitors; its coordinators manage it.
        Err(AppError::NotFound(_)) if ctx.may(Permission::ManageCampaigns) => {
            Redirect::to(&format!("/campaigns/{code}/manage")).into_response()
        }
        Err(e) => app_error(&ctx, e),
    }
}

// ---- the coordinators' page of one campaign ----

#[derive(Template)]
#[template(path = "campaign_manage.html")]
struct ManagePage {
    l: Layout,
    c: CampaignView,
    status: String,
    bar: String,
    percent: String,
    donations: Vec<DonationView>,
    edit: FormView,
    donate: FormView,
    funds: bool,
    error: String,
    /// A fresh key in the donation form: sending the same form twice books once.
    key: String,
}

fn donation_form(tr: &Tr, f: &DonationForm, funds: &[FundsAccount]) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "amount", "camp-amount", f.amount.clone(), Widget::Text)
            .max_len(20)
            .required(),
    );
    form.select(
        Field::new(tr, "account", "camp-into", f.account.clone(), Widget::Select).required(),
        funds_options(funds),
    );
    form.push(
        Field::new(tr, "booked_on", "camp-donated-on", f.booked_on.clone(), Widget::Text)
            .hint(tr, "camp-date-hint")
            .max_len(10),
    );
    form.push(
        Field::new(tr, "donor", "camp-donor", f.donor.clone(), Widget::Text)
            .hint(tr, "camp-donor-hint")
            .max_len(200),
    );
    form.push(Field::new(
        tr,
        "named",
        "camp-named",
        f.named.clone().unwrap_or_default(),
        Widget::Checkbox,
    ));
    form.push(Field::new(
        tr,
        "amount_shown",
        "camp-amount-shown",
        f.amount_shown.clone().unwrap_or_default(),
        Widget::Checkbox,
    ));
    form
}

async fn manage_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    donation: &DonationForm,
    error: String,
    status: StatusCode,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let c = match state.app.campaign_by_code(&actor, code).await {
        Ok(c) => c,
        Err(e) => return app_error(ctx, e),
    };
    let (donations, funds) = match (
        state.app.donations(&actor, c.id).await,
        state.app.funds_accounts(&actor).await,
    ) {
        (Ok(d), Ok(f)) => (d, f),
        (Err(e), _) | (_, Err(e)) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let current = CampaignForm {
        title: c.text.title.clone(),
        description: c.text.description.clone(),
        goal: c.goal.format(),
        ends_on: c.ends_on.clone().unwrap_or_default(),
        status: c.status.as_str().to_owned(),
        public: c.public.then(|| "1".to_owned()),
        ..CampaignForm::default()
    };
    let percent = percent(c.progress_permille);
    render(
        status,
        ManagePage {
            status: tr.t(&format!("camp-status-{}", c.status.as_str())),
            bar: progress_svg(c.progress_permille, &tr.t1("camp-progress", "percent", &percent)),
            percent,
            edit: campaign_form(tr, &current, false),
            donate: donation_form(tr, donation, &funds),
            funds: !funds.is_empty(),
            key: crate::forms::form_key(&donation.idempotency_key),
            l: ctx.layout(),
            c,
            donations,
            error,
        },
    )
}

pub async fn manage(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Response {
    manage_page(
        &state,
        &ctx,
        &code,
        &DonationForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<CampaignPost>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = match state.app.campaign_by_code(&actor, &code).await {
        Ok(c) => state.app.update_campaign(&actor, c.id, &f.form).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Redirect::to(&format!("/campaigns/{}/manage", c.code)).into_response(),
        Err(e @ AppError::BadInput(_)) => {
            manage_page(
                &state,
                &ctx,
                &code,
                &DonationForm::default(),
                e.to_string(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct DonationPost {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: DonationForm,
}

pub async fn donate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<DonationPost>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let result = match state.app.campaign_by_code(&actor, &code).await {
        Ok(c) => state.app.record_donation(&actor, c.id, &f.form).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/campaigns/{code}/manage")).into_response(),
        Err(e @ AppError::BadInput(_)) => {
            manage_page(
                &state,
                &ctx,
                &code,
                &f.form,
                e.to_string(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&ctx, e),
    }
}

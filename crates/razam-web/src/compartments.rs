//! `/admin/compartments`: an admin creates compartments and adds or removes members (each
//! change audited by the app). The page shows names and members only, never a record.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use razam_app::AppError;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::pages::{app_error, form_actor, render, to_login};

struct Row {
    id: i64,
    name: String,
    /// (account id, display name)
    members: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "compartments.html")]
struct CompartmentsPage {
    l: Layout,
    compartments: Vec<Row>,
    /// (account id, display name) of every account, for the add form.
    accounts: Vec<(i64, String)>,
    done: bool,
    /// Why the name given was refused (a translation key), or empty.
    refused: &'static str,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(query): Query<DoneQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    show(&state, &ctx, &actor, StatusCode::OK, query.done.is_some(), "").await
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    actor: &razam_app::Actor,
    status: StatusCode,
    done: bool,
    refused: &'static str,
) -> Response {
    let compartments = match state.app.compartments(actor).await {
        Ok(list) => list,
        Err(e) => return app_error(ctx, e),
    };
    let accounts = match state.app.list_users(actor).await {
        Ok(users) => users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        Err(e) => return app_error(ctx, e),
    };
    render(
        status,
        CompartmentsPage {
            l: ctx.layout(),
            compartments: compartments
                .into_iter()
                .map(|c| Row {
                    id: c.id,
                    name: c.name,
                    members: c.members,
                })
                .collect(),
            accounts,
            done,
            refused,
        },
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CreateForm>) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    match state.app.create_compartment(&actor, &form.name).await {
        Ok(_) => Redirect::to("/admin/compartments?done=1").into_response(),
        Err(AppError::BadInput(_) | AppError::Conflict(_)) => {
            show(
                &state,
                &ctx,
                &actor,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
                "compartments-name-refused",
            )
            .await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
    /// `add` or `remove`.
    #[serde(default)]
    action: String,
}

pub async fn member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &form.csrf) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    let Ok(compartment) = id.parse::<i64>() else {
        return app_error(&ctx, razam_app::AppError::NotFound("the compartment"));
    };
    let Ok(account) = form.account.parse::<i64>() else {
        return app_error(&ctx, razam_app::AppError::BadInput("choose an account".into()));
    };
    let member = match form.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return app_error(&ctx, razam_app::AppError::BadInput("add or remove?".into())),
    };
    match state
        .app
        .set_compartment_member(&actor, compartment, account, member)
        .await
    {
        Ok(()) => Redirect::to("/admin/compartments?done=1").into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

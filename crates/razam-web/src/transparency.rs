//! `/transparency`, `/transparency.csv` and `/transparency.hxl.csv`: money in by campaign and
//! out by category per month, and aid shipped per month and item category, public, with small cells suppressed by razam-app before they
//! get here (the rules: docs/solidarity.md).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use razam_app::transparency::{AidRow, Flow, ReportRow, TOTAL, TransparencyReport, to_csv};

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::i18n::Tr;
use crate::pages::{app_error, render};

/// One table of the page: a flow in one currency.
struct Table {
    title: String,
    rows: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct Page {
    l: Layout,
    as_of: String,
    tables: Vec<Table>,
    /// Aid shipped: month, item category, shipments, units.
    aid: Vec<(String, String, String, String)>,
}

fn tables(tr: &Tr, report: &TransparencyReport) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut current: Option<(Flow, String)> = None;
    for r in &report.rows {
        let key = (r.flow, r.currency.clone());
        if current.as_ref() != Some(&key) {
            let title = match r.flow {
                Flow::In => tr.t1("transp-in", "currency", &r.currency),
                Flow::Out => tr.t1("transp-out", "currency", &r.currency),
            };
            out.push(Table {
                title,
                rows: Vec::new(),
            });
            current = Some(key);
        }
        if let Some(table) = out.last_mut() {
            table.rows.push(cells(tr, r));
        }
    }
    out
}

fn month(tr: &Tr, month: &str) -> String {
    if month == TOTAL {
        tr.t("transp-total")
    } else {
        month.to_owned()
    }
}

fn aid_cells(tr: &Tr, r: &AidRow) -> (String, String, String, String) {
    let category = if r.category == TOTAL {
        tr.t("transp-total")
    } else {
        tr.t(&format!("aid-category-{}", r.category))
    };
    let shown = |n: Option<i64>| n.map_or_else(|| tr.t("figures-suppressed"), |n| n.to_string());
    (month(tr, &r.month), category, shown(r.shipments), shown(r.units))
}

fn cells(tr: &Tr, r: &ReportRow) -> (String, String, String, String) {
    let month = month(tr, &r.month);
    let line = match (r.flow, r.line.as_str()) {
        (_, TOTAL) => tr.t("transp-total"),
        (Flow::In, razam_app::transparency::OTHER_CAMPAIGNS) => tr.t("transp-other-campaigns"),
        (Flow::In, code) => code.to_owned(),
        (Flow::Out, category) => tr.t(&format!("assist-category-{category}")),
    };
    let suppressed = tr.t("figures-suppressed");
    (
        month,
        line,
        r.count.map_or_else(|| suppressed.clone(), |n| n.to_string()),
        r.amount.clone().unwrap_or(suppressed),
    )
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.transparency_report().await {
        Ok(report) => render(
            StatusCode::OK,
            Page {
                tables: tables(&ctx.tr, &report),
                aid: report.aid.iter().map(|r| aid_cells(&ctx.tr, r)).collect(),
                as_of: report.as_of,
                l: ctx.layout(),
            },
        ),
        Err(e) => app_error(&ctx, e),
    }
}

async fn download(state: &AppState, hxl: bool) -> Response {
    let body = match state.app.transparency_report().await {
        Ok(report) => to_csv(&report, hxl),
        Err(e) => Err(e),
    };
    match body {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    if hxl {
                        "attachment; filename=\"transparency.hxl.csv\""
                    } else {
                        "attachment; filename=\"transparency.csv\""
                    },
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "transparency report failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub async fn csv(State(state): State<AppState>) -> Response {
    download(&state, false).await
}

pub async fn hxl(State(state): State<AppState>) -> Response {
    download(&state, true).await
}

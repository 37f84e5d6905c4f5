//! The public figures page, its JSON and its chart: no login, counts only, small counts
//! suppressed by razam-app before they get here.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use razam_app::figures::{Cell, PublicFigures, Published};
use razam_core::registry::Day;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::i18n::Tr;

#[derive(Deserialize)]
pub struct AsOf {
    as_of: Option<String>,
}

fn day(q: &AsOf) -> Result<Day, StatusCode> {
    match q.as_of.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(razam_app::today()),
        Some(text) => Day::parse(text).map_err(|_| StatusCode::BAD_REQUEST),
    }
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    l: Layout,
    f: PublicFigures,
    counted_at: String,
    held: String,
    recognized: String,
    chart: String,
    regions: Vec<(String, String)>,
    articles: Vec<(String, String)>,
}

fn shown(tr: &Tr, p: Published) -> String {
    match p.value {
        Some(n) => n.to_string(),
        None => tr.t("figures-suppressed"),
    }
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AsOf>) -> Response {
    let Ok(as_of) = day(&q) else {
        return crate::pages::bad_request(&ctx);
    };
    let f = match state.app.public_figures(as_of).await {
        Ok(f) => f,
        Err(e) => return crate::pages::app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let rows = |cells: &[Cell], name: &dyn Fn(&str) -> String| {
        cells
            .iter()
            .map(|c| (name(&c.key), shown(tr, c.count)))
            .collect::<Vec<_>>()
    };
    let page = FiguresPage {
        counted_at: crate::forms::utc_minute(f.counted_at_ms),
        held: shown(tr, f.held),
        recognized: shown(tr, f.recognized_total),
        chart: chart(
            &f.detentions_per_month,
            &tr.t("figures-detentions"),
            &tr.t("figures-suppressed"),
        ),
        regions: rows(&f.held_by_region, &|k| tr.t(&format!("region-{k}"))),
        articles: rows(&f.held_by_article, &|k| k.to_owned()),
        l: ctx.layout(),
        f,
    };
    crate::pages::render(StatusCode::OK, page)
}

pub async fn json(State(state): State<AppState>, Query(q): Query<AsOf>) -> Response {
    let Ok(as_of) = day(&q) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "as_of: write YYYY-MM-DD"})),
        )
            .into_response();
    };
    match state.app.public_figures(as_of).await {
        Ok(f) => Json(f).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "public figures failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A bar chart of counts per month as inline SVG: no script, no foreign asset. A suppressed
/// month is drawn as an outlined stub, never as its true height.
pub fn chart(months: &[Cell], title: &str, suppressed: &str) -> String {
    const W: usize = 720;
    const H: usize = 200;
    const PAD: usize = 30;
    let max = months.iter().filter_map(|c| c.count.value).max().unwrap_or(0).max(1);
    let n = months.len().max(1);
    let slot = (W - PAD) as f64 / n as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        H + 40,
        escape(title)
    );
    svg.push_str(&format!(
        "<line x1=\"{PAD}\" y1=\"{H}\" x2=\"{W}\" y2=\"{H}\" stroke=\"currentColor\"/><text x=\"0\" y=\"12\" font-size=\"11\">{max}</text>"
    ));
    for (i, c) in months.iter().enumerate() {
        let x = PAD as f64 + i as f64 * slot;
        let label = match c.count.value {
            Some(v) => v.to_string(),
            None => suppressed.to_owned(),
        };
        match c.count.value {
            Some(v) => {
                let h = (v as f64 / max as f64) * (H - 20) as f64;
                svg.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"currentColor\"><title>{}: {}</title></rect>",
                    H as f64 - h,
                    escape(&c.key),
                    escape(&label)
                ));
            }
            None => svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{bar:.1}\" height=\"4\" fill=\"none\" stroke=\"currentColor\"><title>{}: {}</title></rect>",
                H - 4,
                escape(&c.key),
                escape(&label)
            )),
        }
        if c.key.ends_with("-01") || months.len() <= 12 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"10\">{}</text>",
                H + 14,
                escape(&c.key)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

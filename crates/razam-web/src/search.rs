//! `/search`: the one search box's page. Persons by any spelling of their names, with why
//! each was found; events by the words of their details and sources, with a snippet.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use razam_app::registry::label_for;
use razam_app::search::{EventHit, NameHit, SearchResults, Snippet};
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::region_name;
use crate::i18n::Tr;
use crate::pages::{app_error, render, to_login};

/// Persons and events shown, at most, each.
pub const SHOWN: usize = 50;
/// Characters of a query taken into account; the box accepts no more.
pub const MAX_QUERY_CHARS: usize = 200;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// The query as searched: trimmed, at most [`MAX_QUERY_CHARS`] characters.
pub fn clip(q: &str) -> String {
    q.trim().chars().take(MAX_QUERY_CHARS).collect()
}

pub struct PersonHitView {
    pub id: i64,
    pub label: String,
    pub name: String,
    pub variants: String,
    pub born: String,
    pub region: String,
    pub why: String,
}

pub struct EventHitView {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub region: String,
    pub in_source: bool,
    pub snippet: Option<Snippet>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    q: String,
    searched: bool,
    persons: Vec<PersonHitView>,
    persons_count: String,
    events: Vec<EventHitView>,
    events_count: String,
}

/// Why a person was found, one phrase per query word that met: "same key as Каліноўскі".
fn why(tr: &Tr, hit: &NameHit) -> String {
    hit.reasons
        .iter()
        .map(|r| {
            let why = tr.t1(&format!("search-why-{}", r.meet.as_str()), "word", &r.word);
            match r.merged_from {
                Some(m) => format!("{why} ({})", tr.t1("search-why-merged", "label", &label_for(m))),
                None => why,
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn person_view(tr: &Tr, hit: &NameHit) -> PersonHitView {
    PersonHitView {
        id: hit.id,
        label: label_for(hit.id),
        name: hit.full_name(),
        variants: hit.variants.join("; "),
        born: hit.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        region: region_name(tr, hit.region.as_deref()),
        why: why(tr, hit),
    }
}

fn event_view(tr: &Tr, hit: &EventHit) -> EventHitView {
    EventHitView {
        id: hit.id,
        date: hit.date.map(|d| d.to_string()).unwrap_or_else(|| tr.t("date-unknown")),
        kind: tr.t(&format!("kind-{}", hit.kind.as_str())),
        region: region_name(tr, hit.region.as_deref()),
        in_source: hit.source.is_some(),
        snippet: hit.snippet.clone(),
    }
}

fn counts(tr: &Tr, r: &SearchResults) -> (String, String) {
    let persons = format!(
        "{} {}",
        tr.t1("search-persons-all", "count", &r.persons.all.to_string()),
        tr.t1("search-persons-any", "count", &r.persons.any.to_string())
    );
    let events = tr.t1("search-events-count", "count", &r.events_total.to_string());
    (persons, events)
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let query = clip(&q.q);
    let results = if query.is_empty() {
        // Nothing asked: the page says what the box does, and nothing is read or audited.
        SearchResults::default()
    } else {
        match state.app.search(&actor, &query, SHOWN).await {
            Ok(r) => r,
            Err(e) => return app_error(&ctx, e),
        }
    };
    let tr = &ctx.tr;
    let (persons_count, events_count) = counts(tr, &results);
    let page = SearchPage {
        searched: !query.is_empty(),
        persons: results.persons.hits.iter().map(|h| person_view(tr, h)).collect(),
        events: results.events.iter().map(|h| event_view(tr, h)).collect(),
        persons_count,
        events_count,
        q: query,
        l: ctx.layout(),
    };
    render(StatusCode::OK, page)
}

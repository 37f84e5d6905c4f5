//! The public figures: what journalists quote. Each states its definition and date; every
//! count from 1 to 4 is suppressed (see [`PublicCount`]), because a small count in a cell can
//! point at the people behind it. No one is shown one by one.

use razam_core::registry::{Day, PublicCount, Region};
use serde::Serialize;

use crate::{App, AppError};

/// A published count: its value, or `null` with `suppressed: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Published {
    pub value: Option<i64>,
    pub suppressed: bool,
}

impl Published {
    pub fn of(n: i64) -> Published {
        match PublicCount::of(n) {
            PublicCount::Shown(v) => Published {
                value: Some(v),
                suppressed: false,
            },
            PublicCount::Suppressed => Published {
                value: None,
                suppressed: true,
            },
        }
    }
}

/// One row of a breakdown (a month, a region, an article).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub key: String,
    #[serde(flatten)]
    pub count: Published,
}

/// Everything the public figures page and its JSON show.
#[derive(Debug, Clone, Serialize)]
pub struct PublicFigures {
    pub as_of: String,
    pub held: Published,
    pub recognized_total: Published,
    pub detentions_per_month: Vec<Cell>,
    pub held_by_region: Vec<Cell>,
    pub held_by_article: Vec<Cell>,
    pub definitions: Definitions,
}

/// The definitions published with the figures (in English; the page shows them translated).
#[derive(Debug, Clone, Serialize)]
pub struct Definitions {
    pub held: &'static str,
    pub recognized_total: &'static str,
    pub detentions_per_month: &'static str,
    pub held_by_region: &'static str,
    pub held_by_article: &'static str,
    pub suppression: &'static str,
}

pub const DEFINITIONS: Definitions = Definitions {
    held: "Persons recognised as political prisoners on or before the date and not released, pardoned or \
           deceased on or before it.",
    recognized_total: "Persons recognised as political prisoners on or before the date, whatever happened since.",
    detentions_per_month: "Detention events recorded in the registry, by the month they happened in; detentions \
                           known only to the year, or to a range longer than a month, are not counted here.",
    held_by_region: "Political prisoners held on the date, by the region recorded for the person.",
    held_by_article: "Political prisoners held on the date, by each article of the Criminal Code in their \
                      criminal cases (a person charged under two articles counts under both).",
    suppression: "Counts from 1 to 4 are not published (null, suppressed: true): a small count can identify people.",
};

fn cells(rows: impl IntoIterator<Item = (String, i64)>) -> Vec<Cell> {
    rows.into_iter()
        .map(|(key, n)| Cell {
            key,
            count: Published::of(n),
        })
        .collect()
}

impl App {
    /// The public figures on `as_of`. Needs no account: it shows counts only.
    /// Computed again only when the registry changed since (every change appends to the
    /// audit chain, whose head is the change mark) or for another day.
    pub async fn public_figures(&self, as_of: Day) -> Result<PublicFigures, AppError> {
        let day = as_of.to_string();
        let mut cache = self.figures.lock().await;
        let mark = self.store.change_mark().await?;
        if let Some((cached_day, cached_mark, figures)) = cache.as_ref()
            && *cached_day == day
            && *cached_mark == mark
        {
            return Ok(figures.clone());
        }
        let figures = self.count_public_figures(as_of).await?;
        *cache = Some((day, mark, figures.clone()));
        Ok(figures)
    }

    async fn count_public_figures(&self, as_of: Day) -> Result<PublicFigures, AppError> {
        let day = as_of.to_string();
        let held = self.store.held_breakdown(&day).await?;
        let months = self.store.detentions_per_month().await?;
        let (counts, regions, articles) = (held.counts, held.by_region, held.by_article);
        let region_name = |r: Option<String>| match r {
            Some(code) if Region::parse(&code).is_some() => code,
            Some(_) => "other".to_owned(),
            None => "unknown".to_owned(),
        };
        // Free-text regions are merged into "other" so that no rare spelling stands alone.
        let mut by_region: Vec<(String, i64)> = Vec::new();
        for (region, n) in regions {
            let key = region_name(region);
            match by_region.iter_mut().find(|(k, _)| *k == key) {
                Some((_, total)) => *total += n,
                None => by_region.push((key, n)),
            }
        }
        by_region.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(PublicFigures {
            as_of: day,
            held: Published::of(counts.held),
            recognized_total: Published::of(counts.recognized_total),
            detentions_per_month: cells(
                months
                    .into_iter()
                    .filter(|(m, _)| m.as_str() <= as_of.month_key().as_str()),
            ),
            held_by_region: cells(by_region),
            held_by_article: cells(articles),
            definitions: DEFINITIONS,
        })
    }
}

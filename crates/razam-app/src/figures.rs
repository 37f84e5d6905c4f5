//! The public figures: what journalists quote. Each states its definition and date; every
//! count from 1 to 4 is suppressed (see [`PublicCount`]), because a small count in a cell can
//! point at the people behind it. No one is shown one by one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use razam_core::registry::{Day, PublicCount, Region};
use razam_store::{Store, StoreError};
use serde::Serialize;
use tokio::sync::{Semaphore, watch};

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
    /// When these figures were counted (milliseconds since the epoch): a page may show a
    /// count made before the latest change while the next one is made.
    pub counted_at_ms: i64,
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

/// What a recount gives its waiters: the figures and the change mark they were counted at,
/// or why the count failed.
type Outcome = Option<Result<Arc<Counted>, String>>;

struct Counted {
    mark: i64,
    figures: PublicFigures,
}

#[derive(Default)]
struct DayEntry {
    counted: Option<Arc<Counted>>,
    /// The recount under way for this day, if any: at most one per day.
    running: Option<watch::Receiver<Outcome>>,
    /// When the entry was last asked for (a tick of the cache), to evict the oldest day.
    used: u64,
    /// The page clock when the count was last known to be at the change mark (counted, or
    /// the mark read and found unchanged): pages read the mark again only
    /// [`RECOUNT_EVERY_MS`] later.
    checked_ms: i64,
}

/// The public figures last counted, per day, and the recounts under way.
///
/// Counting a million events takes seconds, and the public page is asked far more often
/// than the registry changes. So a page is answered at once with the last count, and a
/// change (a new change mark) starts one recount in the background; the next page shows it.
/// Only a day never counted waits for its count (all askers of that day wait for the one).
/// Counts of different days run one after another, never side by side.
///
/// Under steady writes the mark moves with nearly every request, and recounting at each
/// move kept a count running all the time (half a second of CPU each at a million events).
/// So a page reads the change mark at most once every [`RECOUNT_EVERY_MS`] per day, and
/// starts a recount only once the day's last count is that old; until then it shows that
/// count, whose time it states.
#[derive(Default)]
pub(crate) struct FiguresCache {
    days: Arc<Mutex<Days>>,
    one_count: Arc<OneCount>,
    /// Counts started since the instance opened (what tests and the bench look at).
    started: AtomicU64,
}

/// How old a day's count must be before a page starts the next one after a change.
pub const RECOUNT_EVERY_MS: i64 = 10_000;

/// What a caller accepts: the figures at the latest change, or the last ones counted (as a
/// page does), which the clock's `now_ms` decides when to count again.
#[derive(Clone, Copy)]
enum Want {
    Latest,
    LastCounted { now_ms: i64 },
}

#[derive(Default)]
struct Days {
    /// Counts lookups, to tell the least recently asked day.
    tick: u64,
    entries: HashMap<String, DayEntry>,
}

struct OneCount(Semaphore);

impl Default for OneCount {
    fn default() -> Self {
        OneCount(Semaphore::new(1))
    }
}

/// Days kept: today and the dates people ask for; the least recently asked goes first.
const DAYS_KEPT: usize = 16;

/// What a caller does once the cache has been looked at.
enum Next {
    Answer(Arc<Counted>),
    Wait(watch::Receiver<Outcome>),
}

fn poisoned() -> AppError {
    AppError::Store(StoreError::Damaged("the figures cache's lock was poisoned".into()))
}

impl FiguresCache {
    /// The day's count when it was known to be at the change mark less than
    /// [`RECOUNT_EVERY_MS`] before `now_ms`: a page answers it without reading the mark.
    fn recent(&self, as_of: Day, now_ms: i64) -> Result<Option<Arc<Counted>>, AppError> {
        let mut days = self.days.lock().map_err(|_| poisoned())?;
        let days = &mut *days;
        days.tick += 1;
        let Some(entry) = days.entries.get_mut(&as_of.to_string()) else {
            return Ok(None);
        };
        entry.used = days.tick;
        Ok(entry
            .counted
            .clone()
            .filter(|_| now_ms < entry.checked_ms.saturating_add(RECOUNT_EVERY_MS)))
    }

    /// Looks the day up at change mark `mark`: the figures counted at `mark`; else, when
    /// the last count will do, that count; else the recount to wait for. Starts the recount
    /// when the count is not at `mark` and none runs (a page gets here only once the count
    /// is [`RECOUNT_EVERY_MS`] old: [`FiguresCache::recent`]).
    fn look(&self, store: &Arc<dyn Store>, as_of: Day, mark: i64, want: Want) -> Result<Next, AppError> {
        let mut days = self.days.lock().map_err(|_| poisoned())?;
        let days = &mut *days;
        days.tick += 1;
        let day = as_of.to_string();
        if !days.entries.contains_key(&day) && days.entries.len() >= DAYS_KEPT {
            let oldest = days
                .entries
                .iter()
                .filter(|(_, e)| e.running.is_none())
                .min_by_key(|(_, e)| e.used)
                .map(|(d, _)| d.clone());
            if let Some(oldest) = oldest {
                days.entries.remove(&oldest);
            }
        }
        let entry = days.entries.entry(day.clone()).or_default();
        entry.used = days.tick;
        if let Some(counted) = &entry.counted
            && counted.mark == mark
        {
            if let Want::LastCounted { now_ms } = want {
                entry.checked_ms = entry.checked_ms.max(now_ms);
            }
            return Ok(Next::Answer(counted.clone()));
        }
        let running = match &entry.running {
            Some(rx) => rx.clone(),
            None => {
                let counted_at_ms = match want {
                    Want::LastCounted { now_ms } => now_ms,
                    Want::Latest => crate::now_ms(),
                };
                let rx = self.start(store.clone(), as_of, day, mark, counted_at_ms);
                entry.running = Some(rx.clone());
                rx
            }
        };
        match (&entry.counted, want) {
            (Some(counted), Want::LastCounted { .. }) => Ok(Next::Answer(counted.clone())),
            _ => Ok(Next::Wait(running)),
        }
    }

    /// Starts the recount of `day` at `mark` on its own task, so that it ends even when the
    /// request that started it is dropped; counts run one at a time.
    /// `counted_at_ms` is the time the figures will state: the clock of the page that
    /// started the count.
    fn start(
        &self,
        store: Arc<dyn Store>,
        as_of: Day,
        day: String,
        mark: i64,
        counted_at_ms: i64,
    ) -> watch::Receiver<Outcome> {
        self.started.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        let one_count = self.one_count.clone();
        let days = self.days.clone();
        tokio::spawn(async move {
            let outcome = match one_count.0.acquire().await {
                Ok(_permit) => count(store.as_ref(), as_of, counted_at_ms)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
            .map(|figures| Arc::new(Counted { mark, figures }));
            match &outcome {
                Ok(_) => tracing::debug!(day = %day, mark, "public figures counted"),
                Err(e) => tracing::warn!(error = %e, day = %day, "counting the public figures failed"),
            }
            if let Ok(mut days) = days.lock()
                && let Some(entry) = days.entries.get_mut(&day)
            {
                entry.running = None;
                if let Ok(counted) = &outcome {
                    entry.counted = Some(counted.clone());
                    entry.checked_ms = counted_at_ms;
                }
            }
            // Nobody waiting is not a failure: the count is kept for the next page.
            let _ = tx.send(Some(outcome));
        });
        rx
    }
}

impl App {
    /// The public figures on `as_of`, answered at once with the day's last count, even when
    /// the registry changed since: the change starts a recount in the background (one at a
    /// time, and only once the last count is [`RECOUNT_EVERY_MS`] old) and the figures carry
    /// when they were counted. Only a day never counted waits for its count. Needs no
    /// account: it shows counts only.
    pub async fn public_figures(&self, as_of: Day) -> Result<PublicFigures, AppError> {
        self.public_figures_at_clock(as_of, crate::now_ms()).await
    }

    /// [`App::public_figures`] with the clock read by the caller (milliseconds since the
    /// epoch): what decides whether the last count is old enough to count again, and the
    /// time a count started now states. Tests move this clock instead of sleeping.
    pub async fn public_figures_at_clock(&self, as_of: Day, now_ms: i64) -> Result<PublicFigures, AppError> {
        self.figures_at(as_of, Want::LastCounted { now_ms }).await
    }

    /// The public figures on `as_of` as counted at the registry's latest change: waits for
    /// the recount under way, or starts one. What the command line wants, and what a test
    /// awaits to see a change counted.
    pub async fn public_figures_recounted(&self, as_of: Day) -> Result<PublicFigures, AppError> {
        self.figures_at(as_of, Want::Latest).await
    }

    /// How many counts of the public figures were started since the instance opened: tests
    /// see from it whether a page started one.
    pub fn public_figures_counts_started(&self) -> u64 {
        self.figures.started.load(Ordering::Relaxed)
    }

    async fn figures_at(&self, as_of: Day, want: Want) -> Result<PublicFigures, AppError> {
        let stale = matches!(want, Want::LastCounted { .. });
        if let Want::LastCounted { now_ms } = want
            && let Some(counted) = self.figures.recent(as_of, now_ms)?
        {
            return Ok(counted.figures.clone());
        }
        loop {
            // The change mark: the newest audit entry that is not a read.
            let mark = self.store.change_mark().await?;
            let mut running = match self.figures.look(&self.store, as_of, mark, want)? {
                Next::Answer(counted) => return Ok(counted.figures.clone()),
                Next::Wait(running) => running,
            };
            let outcome = running
                .wait_for(Option::is_some)
                .await
                .map_err(|_| AppError::FiguresFailed("the count stopped".into()))?
                .clone();
            match outcome {
                Some(Ok(counted)) if stale || counted.mark == mark => return Ok(counted.figures.clone()),
                // Counted at an older mark: count again.
                Some(Ok(_)) | None => continue,
                Some(Err(e)) => return Err(AppError::FiguresFailed(e)),
            }
        }
    }
}

/// Counts the public figures on `as_of` from the store.
async fn count(store: &dyn Store, as_of: Day, counted_at_ms: i64) -> Result<PublicFigures, AppError> {
    let day = as_of.to_string();
    let held = store.held_breakdown(&day).await?;
    let months = store.detentions_per_month().await?;
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
        counted_at_ms,
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

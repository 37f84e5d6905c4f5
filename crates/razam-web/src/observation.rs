//! Election observation pages: the list of elections, the public report of one (no observer
//! is ever named there), the working view for coordinators and reviewers (uploads, assignments,
//! conflicts), and the observer's short count form (works on a phone with JavaScript off).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use razam_app::figures::Published;
use razam_app::intake::FieldErrors;
use razam_app::observation::{
    CountForm, ElectionForm, ElectionView, PublicReport, Resolution, VIOLATIONS, violation_names,
};
use razam_app::{Actor, AppError};
use razam_core::role::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{Field, FormView, Widget, refusals, utc_minute};
use crate::i18n::Tr;
use crate::pages::{app_error, bad_request, csrf_rejected, form_actor, render, to_login};

/// Rows of a long table the pages show; the JSON and the CLI give them all.
const SHOWN: usize = 300;

fn days_text(tr: &Tr, e: &ElectionView) -> String {
    e.days
        .iter()
        .map(|(d, k)| {
            format!(
                "{d} ({})",
                tr.t(if k == "early" {
                    "observe-day-early"
                } else {
                    "observe-day-election"
                })
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(tr: &Tr, p: Published) -> String {
    p.value.map_or_else(|| tr.t("figures-suppressed"), |v| v.to_string())
}

// ---- the list of elections ----

#[derive(Template)]
#[template(path = "observation_list.html")]
struct ListPage {
    l: Layout,
    elections: Vec<(i64, String, String)>,
    may_manage: bool,
    may_read: bool,
    may_count: bool,
    form: FormView,
    error: String,
}

fn election_form(tr: &Tr, f: &ElectionForm) -> FormView {
    let mut form = FormView::new();
    form.push(
        Field::new(tr, "name", "observe-election-name", f.name.clone(), Widget::Text)
            .max_len(200)
            .required(),
    );
    form.push(Field::new(
        tr,
        "round",
        "observe-election-round",
        f.round.clone(),
        Widget::Number,
    ));
    form.push(
        Field::new(
            tr,
            "early_from",
            "observe-early-from",
            f.early_from.clone(),
            Widget::Text,
        )
        .hint(tr, "observe-date-hint")
        .max_len(10),
    );
    form.push(Field::new(tr, "early_to", "observe-early-to", f.early_to.clone(), Widget::Text).max_len(10));
    form.push(
        Field::new(
            tr,
            "election_day",
            "observe-election-day",
            f.election_day.clone(),
            Widget::Text,
        )
        .hint(tr, "observe-date-hint")
        .max_len(10)
        .required(),
    );
    form
}

async fn list_page(state: &AppState, ctx: &Ctx, form: &ElectionForm, error: String, status: StatusCode) -> Response {
    let elections = match state.app.elections().await {
        Ok(e) => e,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    render(
        status,
        ListPage {
            l: ctx.layout(),
            elections: elections
                .iter()
                .map(|e| (e.id, e.name.clone(), days_text(tr, e)))
                .collect(),
            may_manage: ctx.may(Permission::ManageElections),
            may_read: ctx.may(Permission::ReadObservation),
            may_count: ctx.may(Permission::SubmitCounts),
            form: election_form(tr, form),
            error,
        },
    )
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    list_page(&state, &ctx, &ElectionForm::default(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewElection {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: ElectionForm,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewElection>) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match state.app.create_election(&actor, &f.form).await {
        Ok(id) => Redirect::to(&format!("/observation/{id}/work")).into_response(),
        Err(AppError::BadInput(message)) => {
            list_page(&state, &ctx, &f.form, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

// ---- the public report ----

struct DiscrepancyLine {
    code: String,
    region: String,
    comparison: String,
    observed: i64,
    protocol: i64,
    difference: i64,
    percent: String,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "observation_report.html")]
struct ReportPage {
    l: Layout,
    r: PublicReport,
    days: String,
    lines: Vec<DiscrepancyLine>,
    more_lines: usize,
    violations: Vec<(String, String)>,
    failures: Vec<(u64, String, String, i128, i128)>,
    svg: String,
    integer: Vec<(String, u64, String, String, String)>,
    shpilkin: Option<(u32, String, String, String, String)>,
    digits: Vec<(String, String, u64, String, String)>,
    may_read: bool,
    tolerance_text: String,
    more_text: String,
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x)
}

fn lines_of(tr: &Tr, r: &razam_app::observation::Discrepancies) -> Vec<DiscrepancyLine> {
    r.rows
        .iter()
        .take(SHOWN)
        .map(|d| DiscrepancyLine {
            code: d.code.clone(),
            region: d.region.clone(),
            comparison: tr.t(&format!("observe-comparison-{}", d.comparison.key())),
            observed: d.observed,
            protocol: d.protocol,
            difference: d.difference,
            percent: d.percent.map(percent).unwrap_or_default(),
            flagged: d.flagged,
        })
        .collect()
}

pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let r = match state.app.public_report(id).await {
        Ok(r) => r,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let lines = lines_of(tr, &r.discrepancies);
    let violations = r
        .violations
        .iter()
        .map(|t| (tr.t(&format!("observe-flag-{}", t.flag)), shown(tr, t.stations)))
        .collect();
    let failures = r
        .protocols
        .as_ref()
        .map(|p| {
            p.failures
                .iter()
                .take(SHOWN)
                .map(|f| (f.line, f.station.clone(), f.relation.to_owned(), f.left, f.right))
                .collect()
        })
        .unwrap_or_default();
    let (svg, integer, shpilkin, digits) = match &r.forensics {
        None => (String::new(), Vec::new(), None, Vec::new()),
        Some(f) => {
            let integer = f
                .report
                .integer_percentages
                .as_ref()
                .map(|ip| {
                    [
                        (
                            "observe-integer-either",
                            ip.observed.either,
                            ip.expected.either,
                            ip.excess.either,
                            ip.p999.either,
                        ),
                        (
                            "observe-integer-result",
                            ip.observed.result,
                            ip.expected.result,
                            ip.excess.result,
                            ip.p999.result,
                        ),
                        (
                            "observe-integer-turnout",
                            ip.observed.turnout,
                            ip.expected.turnout,
                            ip.excess.turnout,
                            ip.p999.turnout,
                        ),
                    ]
                    .into_iter()
                    .map(|(k, o, e, x, p)| (tr.t(k), o, format!("{e:.1}"), format!("{x:.1}"), format!("{p:.1}")))
                    .collect()
                })
                .unwrap_or_default();
            let shpilkin = f.report.shpilkin.as_ref().map(|s| {
                (
                    s.mode_turnout,
                    percent(100.0 * s.reference_share),
                    format!("{:.0}", s.anomalous_votes),
                    percent(100.0 * s.leader_share),
                    percent(100.0 * s.leader_share_without_anomalous),
                )
            });
            let digits = f
                .report
                .digits
                .second_digit
                .iter()
                .map(|t| (tr.t("observe-digits-second"), t))
                .chain(
                    f.report
                        .digits
                        .last_digit
                        .iter()
                        .map(|t| (tr.t("observe-digits-last"), t)),
                )
                .map(|(kind, t)| {
                    (
                        kind,
                        t.candidate.clone(),
                        t.counts,
                        format!("{:.3} ({:.3})", t.mean, t.expected_mean),
                        format!("{:.3} – {:.3}", t.mean_ci95[0], t.mean_ci95[1]),
                    )
                })
                .collect();
            (f.svg.clone(), integer, shpilkin, digits)
        }
    };
    render(
        StatusCode::OK,
        ReportPage {
            l: ctx.layout(),
            days: days_text(tr, &r.election),
            more_lines: r.discrepancies.rows.len().saturating_sub(SHOWN),
            lines,
            violations,
            failures,
            svg,
            integer,
            shpilkin,
            digits,
            may_read: ctx.may(Permission::ReadObservation),
            tolerance_text: tr.t1(
                "observe-tolerance-is",
                "pct",
                &r.discrepancies.tolerance_pct.to_string(),
            ),
            more_text: tr.t1(
                "observe-more-rows",
                "n",
                &r.discrepancies.rows.len().saturating_sub(SHOWN).to_string(),
            ),
            r,
        },
    )
}

/// The public report as JSON: the same numbers, nothing more.
pub async fn report_json(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    match state.app.public_report(id).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

// ---- the working view ----

struct CountLine {
    id: i64,
    observer: String,
    voters: i64,
    window: String,
    flags: String,
    note: String,
    paper: bool,
}

struct ConflictBox {
    station_id: i64,
    code: String,
    day: String,
    counts: Vec<CountLine>,
}

struct StationLine {
    code: String,
    region: String,
    registered: String,
    observers: String,
    days: Vec<String>,
}

#[derive(Template)]
#[template(path = "observation_work.html")]
struct WorkPage {
    l: Layout,
    e: ElectionView,
    days: String,
    may_manage: bool,
    may_resolve: bool,
    conflicts: Vec<ConflictBox>,
    stations: Vec<StationLine>,
    more_stations: usize,
    day_names: Vec<String>,
    lines: Vec<DiscrepancyLine>,
    regions: Vec<razam_app::observation::RegionTotals>,
    protocols: String,
    failing: String,
    message: String,
    tolerance_text: String,
    more_text: String,
}

async fn work_page(state: &AppState, ctx: &Ctx, actor: &Actor, id: i64, message: String) -> Response {
    let app = &state.app;
    let overview = match app.election_overview(actor, id).await {
        Ok(o) => o,
        Err(e) => return app_error(ctx, e),
    };
    let names = match app.observer_pseudonyms(actor).await {
        Ok(n) => n,
        Err(e) => return app_error(ctx, e),
    };
    let tr = &ctx.tr;
    let name = |account: i64| {
        names
            .get(&account)
            .cloned()
            .unwrap_or_else(|| format!("account:{account}"))
    };
    let mut conflicts = Vec::new();
    let codes: HashMap<i64, String> = overview
        .stations
        .iter()
        .map(|s| (s.station.id, s.station.code.clone()))
        .collect();
    for c in &overview.conflicts {
        let mut counts = Vec::new();
        for row in &c.current {
            let note = match app.count_note(actor, row) {
                Ok(n) => n.unwrap_or_default(),
                Err(e) => return app_error(ctx, e),
            };
            counts.push(CountLine {
                id: row.id,
                observer: name(row.account_id),
                voters: row.voters,
                window: format!("{}–{}", row.window_from, row.window_to),
                flags: violation_names(row.flags)
                    .iter()
                    .map(|f| tr.t(&format!("observe-flag-{f}")))
                    .collect::<Vec<_>>()
                    .join(", "),
                note,
                paper: row.paper,
            });
        }
        conflicts.push(ConflictBox {
            station_id: c.station_id,
            code: codes.get(&c.station_id).cloned().unwrap_or_default(),
            day: c.day.clone(),
            counts,
        });
    }
    let day_names: Vec<String> = overview.election.days.iter().map(|(d, _)| d.clone()).collect();
    // Stations with observers or counts first: they are the ones worked on.
    let mut views: Vec<&razam_app::observation::StationView> = overview.stations.iter().collect();
    views.sort_by_key(|s| (s.observers.is_empty() && s.days.is_empty(), s.station.code.clone()));
    let stations = views
        .iter()
        .take(SHOWN)
        .map(|s| StationLine {
            code: s.station.code.clone(),
            region: s.station.region.clone(),
            registered: s.station.registered.map(|r| r.to_string()).unwrap_or_default(),
            observers: s.observers.join(", "),
            days: day_names
                .iter()
                .map(|d| match s.days.iter().find(|c| c.day == *d) {
                    None => String::new(),
                    Some(c) if c.conflict => tr.t("observe-conflict"),
                    Some(c) => c.value.map(|v| v.to_string()).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let (protocols, failing) = match &overview.protocols {
        None => (tr.t("observe-no-protocols"), String::new()),
        Some(p) => (
            format!("{} · {} · {}", p.format, p.stations, utc_minute(p.imported_at_ms)),
            format!("{} / {}", p.failing_stations, p.rows_checked),
        ),
    };
    render(
        StatusCode::OK,
        WorkPage {
            l: ctx.layout(),
            days: days_text(tr, &overview.election),
            may_manage: ctx.may(Permission::ManageElections),
            may_resolve: ctx.may(Permission::ResolveCounts),
            conflicts,
            more_stations: overview.stations.len().saturating_sub(SHOWN),
            stations,
            day_names,
            lines: lines_of(tr, &overview.discrepancies),
            regions: overview.discrepancies.regions.clone(),
            protocols,
            failing,
            message,
            tolerance_text: tr.t1(
                "observe-tolerance-is",
                "pct",
                &overview.election.tolerance_pct.to_string(),
            ),
            more_text: tr.t1(
                "observe-more-rows",
                "n",
                &overview.stations.len().saturating_sub(SHOWN).to_string(),
            ),
            e: overview.election,
        },
    )
}

#[derive(Deserialize)]
pub struct Message {
    #[serde(default)]
    done: String,
}

pub async fn work(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, Query(q): Query<Message>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let message = match q.done.as_str() {
        "assigned" => ctx.tr.t("observe-done-assigned"),
        "resolved" => ctx.tr.t("observe-done-resolved"),
        "tolerance" => ctx.tr.t("observe-done-tolerance"),
        _ => String::new(),
    };
    work_page(&state, &ctx, &actor, id, message).await
}

#[derive(Deserialize)]
pub struct ToleranceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tolerance: String,
}

pub async fn set_tolerance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ToleranceForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok(pct) = f.tolerance.trim().parse::<i64>() else {
        return bad_request(&ctx);
    };
    match state.app.set_tolerance(&actor, id, pct).await {
        Ok(()) => Redirect::to(&format!("/observation/{id}/work?done=tolerance")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    station: String,
    #[serde(default)]
    username: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let stations = match state.app.stations(id).await {
        Ok(s) => s,
        Err(e) => return app_error(&ctx, e),
    };
    let Some(station) = stations.iter().find(|s| s.code == f.station.trim()) else {
        return work_page(&state, &ctx, &actor, id, ctx.tr.t("observe-error-no-station")).await;
    };
    match state.app.assign_observer(&actor, station.id, &f.username).await {
        Ok(_) => Redirect::to(&format!("/observation/{id}/work?done=assigned")).into_response(),
        Err(e) if e.is_bad_input() && !matches!(e, AppError::Forbidden) => {
            work_page(&state, &ctx, &actor, id, ctx.tr.t("observe-error-not-observer")).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    day: String,
    /// A count's id to keep, or `enter` with `voters`.
    #[serde(default)]
    keep: String,
    #[serde(default)]
    voters: String,
    #[serde(default)]
    reason: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(station): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let decision = match (f.keep.as_str(), f.voters.trim().parse::<i64>()) {
        ("enter", Ok(n)) => Resolution::Enter(n),
        (id, _) => match id.parse::<i64>() {
            Ok(id) => Resolution::Keep(id),
            Err(_) => return bad_request(&ctx),
        },
    };
    let election = match state.app.station(station).await {
        Ok(s) => s.election_id,
        Err(e) => return app_error(&ctx, e),
    };
    match state
        .app
        .resolve_counts(&actor, station, &f.day, decision, &f.reason)
        .await
    {
        Ok(_) => Redirect::to(&format!("/observation/{election}/work?done=resolved")).into_response(),
        Err(AppError::BadInput(_)) => {
            work_page(&state, &ctx, &actor, election, ctx.tr.t("observe-error-resolution")).await
        }
        Err(e) => app_error(&ctx, e),
    }
}

// ---- uploads ----

/// A multipart upload: the CSRF token, the dry-run box, and the file (or pasted text).
struct Upload {
    csrf: String,
    dry_run: bool,
    bytes: Vec<u8>,
}

/// The upload, or the status to refuse it with (413 when over `[limits] upload_mib`).
async fn read_upload(mut multipart: Multipart) -> Result<Upload, StatusCode> {
    let mut upload = Upload {
        csrf: String::new(),
        dry_run: false,
        bytes: Vec::new(),
    };
    let mut text = Vec::new();
    // A body cut short or over the limit is refused whole, never read in part.
    while let Some(field) = multipart.next_field().await.map_err(|e| e.status())? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|e| e.status())?;
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "dry_run" => upload.dry_run = !bytes.is_empty(),
            "file" => upload.bytes = bytes.to_vec(),
            "text" => text = bytes.to_vec(),
            _ => {}
        }
    }
    if upload.bytes.is_empty() {
        upload.bytes = text;
    }
    Ok(upload)
}

#[derive(Template)]
#[template(path = "observation_import.html")]
struct ImportResult {
    l: Layout,
    election: i64,
    what: String,
    dry_run: bool,
    ok: bool,
    summary: Vec<String>,
    errors: Vec<String>,
}

fn import_result(
    ctx: &Ctx,
    election: i64,
    what: &str,
    dry_run: bool,
    summary: Vec<String>,
    errors: Vec<String>,
) -> Response {
    let ok = errors.is_empty();
    render(
        if ok {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        ImportResult {
            l: ctx.layout(),
            election,
            what: ctx.tr.t(what),
            dry_run,
            ok,
            summary,
            errors,
        },
    )
}

/// Which upload a route takes.
#[derive(Clone, Copy)]
enum Kind {
    Stations,
    Counts,
    Protocols,
}

async fn upload(state: AppState, ctx: Ctx, id: i64, multipart: Multipart, kind: Kind) -> Response {
    let Some(user) = ctx.actor() else {
        return to_login();
    };
    let u = match read_upload(multipart).await {
        Ok(u) => u,
        Err(StatusCode::PAYLOAD_TOO_LARGE) => {
            return crate::security::too_large(&ctx, &crate::security::upload_limit(state.app.config()));
        }
        Err(_) => return bad_request(&ctx),
    };
    if !ctx.csrf_ok(&state.app, &u.csrf) {
        return csrf_rejected(&ctx);
    }
    if u.bytes.is_empty() {
        return import_result(
            &ctx,
            id,
            "observe-upload",
            u.dry_run,
            Vec::new(),
            vec![ctx.tr.t("observe-error-no-file")],
        );
    }
    let app = &state.app;
    let tr = &ctx.tr;
    match kind {
        Kind::Stations | Kind::Counts => {
            let (what, report) = match kind {
                Kind::Stations => (
                    "observe-stations",
                    app.import_stations(&user, id, &u.bytes, u.dry_run).await,
                ),
                _ => (
                    "observe-paper-counts",
                    app.import_counts(&user, id, &u.bytes, u.dry_run).await,
                ),
            };
            match report {
                Ok(r) => {
                    let errors = r
                        .errors
                        .iter()
                        .map(|e| {
                            let column = if e.column.is_empty() {
                                String::new()
                            } else {
                                format!(", {}", e.column)
                            };
                            format!("{} {}{column}: {}", tr.t("observe-line"), e.line, e.message)
                        })
                        .collect();
                    let summary = vec![
                        tr.t1("observe-rows-created", "n", &r.created.to_string()),
                        tr.t1("observe-rows-updated", "n", &r.updated.to_string()),
                    ];
                    import_result(&ctx, id, what, u.dry_run, summary, errors)
                }
                Err(e) => app_error(&ctx, e),
            }
        }
        Kind::Protocols => match app.import_protocols(&user, id, u.bytes, u.dry_run).await {
            Ok(r) => {
                let mut summary = vec![
                    format!("{}: {}", tr.t("observe-format"), r.format_name),
                    tr.t1("observe-protocols-read", "n", &r.stations.to_string()),
                    tr.t1("observe-arithmetic-failing", "n", &r.failing_stations.to_string()),
                ];
                summary.extend(r.failures.iter().take(SHOWN).map(|f| {
                    format!(
                        "{} {}: {}: {} ({} ≠ {})",
                        tr.t("observe-line"),
                        f.line,
                        f.station,
                        f.relation,
                        f.left,
                        f.right
                    )
                }));
                summary.extend(r.notes.iter().cloned());
                import_result(&ctx, id, "observe-protocols", u.dry_run, summary, Vec::new())
            }
            Err(AppError::BadInput(message)) => {
                import_result(&ctx, id, "observe-protocols", u.dry_run, Vec::new(), vec![message])
            }
            Err(e) => app_error(&ctx, e),
        },
    }
}

pub async fn upload_stations(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, m: Multipart) -> Response {
    upload(state, ctx, id, m, Kind::Stations).await
}

pub async fn upload_counts(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, m: Multipart) -> Response {
    upload(state, ctx, id, m, Kind::Counts).await
}

pub async fn upload_protocols(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, m: Multipart) -> Response {
    upload(state, ctx, id, m, Kind::Protocols).await
}

// ---- the observer's pages ----

#[derive(Template)]
#[template(path = "observe_stations.html")]
struct MyStations {
    l: Layout,
    stations: Vec<(i64, String, String, String)>,
}

pub async fn my_stations(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let stations = match state.app.my_stations(&actor).await {
        Ok(s) => s,
        Err(e) => return app_error(&ctx, e),
    };
    let mut names: HashMap<i64, String> = HashMap::new();
    for s in &stations {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(s.election_id) {
            match state.app.election(s.election_id).await {
                Ok(e) => slot.insert(e.name),
                Err(e) => return app_error(&ctx, e),
            };
        }
    }
    render(
        StatusCode::OK,
        MyStations {
            l: ctx.layout(),
            stations: stations
                .into_iter()
                .map(|s| {
                    (
                        s.id,
                        s.code,
                        s.region,
                        names.get(&s.election_id).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "observe_count.html")]
struct CountPage {
    l: Layout,
    station_id: i64,
    code: String,
    election: String,
    form: FormView,
    saved: bool,
}

fn count_fields(tr: &Tr, days: &[(String, String)], f: &CountForm, errors: &FieldErrors) -> FormView {
    let mut form = FormView::new();
    let options = days
        .iter()
        .map(|(d, k)| {
            let kind = tr.t(if k == "early" {
                "observe-day-early"
            } else {
                "observe-day-election"
            });
            (d.clone(), format!("{d} ({kind})"))
        })
        .collect();
    let day = if f.day.is_empty() {
        days.last().map(|(d, _)| d.clone()).unwrap_or_default()
    } else {
        f.day.clone()
    };
    form.select(
        Field::new(tr, "day", "observe-count-day", day, Widget::Select).required(),
        options,
    );
    form.push(
        Field::new(tr, "voters", "observe-count-voters", f.voters.clone(), Widget::Number)
            .hint(tr, "observe-count-voters-hint")
            .required(),
    );
    form.push(
        Field::new(
            tr,
            "window_from",
            "observe-count-from",
            f.window_from.clone(),
            Widget::Text,
        )
        .hint(tr, "observe-time-hint")
        .max_len(5)
        .required(),
    );
    form.push(
        Field::new(tr, "window_to", "observe-count-to", f.window_to.clone(), Widget::Text)
            .max_len(5)
            .required(),
    );
    for flag in VIOLATIONS {
        let value = if f.ticked(flag) { "1" } else { "" };
        form.push(Field::new(
            tr,
            flag,
            &format!("observe-flag-{flag}"),
            value,
            Widget::Checkbox,
        ));
    }
    form.push(
        Field::new(tr, "note", "observe-count-note", f.note.clone(), Widget::TextArea)
            .hint(tr, "observe-count-note-hint")
            .max_len(razam_app::observation::NOTE_MAX)
            .rows(3),
    );
    form.refuse(tr, &refusals(errors.0.iter()));
    form
}

async fn count_page(
    state: &AppState,
    ctx: &Ctx,
    station: i64,
    f: &CountForm,
    errors: &FieldErrors,
    saved: bool,
    status: StatusCode,
) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let stations = match state.app.my_stations(&actor).await {
        Ok(s) => s,
        Err(e) => return app_error(ctx, e),
    };
    let Some(s) = stations.into_iter().find(|s| s.id == station) else {
        return app_error(ctx, AppError::NotFound("the polling station"));
    };
    let election = match state.app.election(s.election_id).await {
        Ok(e) => e,
        Err(e) => return app_error(ctx, e),
    };
    render(
        status,
        CountPage {
            l: ctx.layout(),
            station_id: s.id,
            code: s.code,
            form: count_fields(&ctx.tr, &election.days, f, errors),
            election: election.name,
            saved,
        },
    )
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

pub async fn count_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(station): Path<i64>,
    Query(q): Query<Saved>,
) -> Response {
    count_page(
        &state,
        &ctx,
        station,
        &CountForm::default(),
        &FieldErrors::default(),
        !q.saved.is_empty(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct SubmittedCount {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: CountForm,
}

pub async fn submit_count(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(station): Path<i64>,
    Form(f): Form<SubmittedCount>,
) -> Response {
    let actor = match form_actor(&state, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let days: Vec<String> = match state.app.my_stations(&actor).await {
        Ok(stations) => match stations.iter().find(|s| s.id == station) {
            Some(s) => match state.app.election(s.election_id).await {
                Ok(e) => e.days.into_iter().map(|(d, _)| d).collect(),
                Err(e) => return app_error(&ctx, e),
            },
            None => return app_error(&ctx, AppError::NotFound("the polling station")),
        },
        Err(e) => return app_error(&ctx, e),
    };
    let input = match f.form.parse(&days) {
        Ok(input) => input,
        Err(errors) => {
            return count_page(
                &state,
                &ctx,
                station,
                &f.form,
                &errors,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match state.app.submit_count(&actor, station, &input).await {
        // See other: a reload of the page does not send the count again.
        Ok(_) => Redirect::to(&format!("/observe/{station}?saved=1")).into_response(),
        Err(e) => app_error(&ctx, e),
    }
}

//! Evidence over HTTP: the cases, a case, an item with its custody log, downloads of an
//! original or its sharing copy (streamed, never held whole), the instance's signing key,
//! and the printable dossiers of a person and of a case. Taking files in and writing
//! packages are command-line work (`razam evidence add`, `razam evidence export`).

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use razam_app::evidence::{Attachment, CaseView, ItemView};
use razam_core::role::Permission;

use crate::AppState;
use crate::context::{Ctx, Layout};
use crate::forms::{region_name, utc_minute};
use crate::pages::{app_error, render, to_login};
use crate::persons::event_summary;

/// One item as the tables show it.
pub struct ItemRowView {
    pub id: i64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub blake3: String,
    pub level: String,
    /// (href, text) of what it is attached to, if anything.
    pub attached: Option<(String, String)>,
    pub taken_in: String,
}

fn item_row(ctx: &Ctx, item: &ItemView) -> ItemRowView {
    let attached = match item.attachment {
        Attachment::None => None,
        Attachment::Person(id) => Some((
            format!("/persons/{id}"),
            format!("{} {id}", ctx.tr.t("evidence-person")),
        )),
        Attachment::Event(id) => Some((format!("/events/{id}"), format!("{} {id}", ctx.tr.t("evidence-event")))),
        Attachment::Source(id) => Some((String::new(), format!("{} {id}", ctx.tr.t("evidence-source")))),
    };
    ItemRowView {
        id: item.id,
        name: item.facts.original_name.clone(),
        size: item.facts.size,
        sha256: item.facts.sha256.clone(),
        blake3: item.facts.blake3.clone(),
        level: ctx.tr.t(&format!("level-{}", item.confidentiality.as_str())),
        attached,
        taken_in: utc_minute(item.created_at_ms),
    }
}

#[derive(Template)]
#[template(path = "evidence_cases.html")]
struct CasesPage {
    l: Layout,
    cases: Vec<CaseView>,
    fingerprint: String,
    public_key: String,
}

pub async fn cases(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    match state.app.evidence_cases(&actor).await {
        Ok(cases) => {
            let identity = state.app.signing_identity();
            render(
                StatusCode::OK,
                CasesPage {
                    l: ctx.layout(),
                    cases,
                    fingerprint: identity.fingerprint(),
                    public_key: identity.pem(),
                },
            )
        }
        Err(e) => app_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "evidence_case.html")]
struct CasePage {
    l: Layout,
    case: CaseView,
    items: Vec<ItemRowView>,
    exports: bool,
}

pub async fn case(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    match state.app.evidence_case(&actor, id).await {
        Ok((case, items)) => render(
            StatusCode::OK,
            CasePage {
                items: items.iter().map(|i| item_row(&ctx, i)).collect(),
                exports: ctx.may(Permission::Export),
                l: ctx.layout(),
                case,
            },
        ),
        Err(e) => app_error(&ctx, e),
    }
}

/// One custody entry as the item page shows it.
struct CustodyRowView {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    detail: String,
    hash: String,
}

#[derive(Template)]
#[template(path = "evidence_item.html")]
struct ItemPage {
    l: Layout,
    item: ItemRowView,
    case_id: i64,
    capture: Vec<(String, String)>,
    custody: Vec<CustodyRowView>,
    sharable: bool,
}

pub async fn item(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let (item, log) = match state.app.evidence_item(&actor, id).await {
        Ok(found) => found,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let c = &item.facts.capture;
    let capture = [
        ("evidence-collected-by", &c.collected_by),
        ("evidence-collected-at", &c.collected_at),
        ("evidence-method", &c.method),
        ("evidence-from", &c.source),
        ("evidence-tool", &c.tool),
        ("evidence-notes", &c.notes),
    ]
    .into_iter()
    .map(|(key, value)| {
        let shown = if value.is_empty() {
            tr.t("evidence-not-given")
        } else {
            value.clone()
        };
        (tr.t(key), shown)
    })
    .collect();
    let lower = item.facts.original_name.to_lowercase();
    let sharable = [".jpg", ".jpeg", ".png"].iter().any(|e| lower.ends_with(e));
    let mut custody = Vec::new();
    for e in &log {
        let mut detail = e.record.detail.clone();
        // A transfer names its sealed record: show whom the package went to.
        if let Some(reference) = detail.split_once(" transfer:").map(|(_, r)| r.to_owned()) {
            match state.app.transfer_details(&actor, &reference).await {
                Ok(t) => detail = format!("{detail} → {}", t.to),
                Err(e) => return app_error(&ctx, e),
            }
        }
        custody.push(CustodyRowView {
            seq: e.record.seq,
            at: utc_minute(e.record.at_ms),
            actor: e.record.actor.clone(),
            action: tr.t(&format!("custody-{}", e.record.action)),
            detail,
            hash: hex::encode(e.hash),
        });
    }
    render(
        StatusCode::OK,
        ItemPage {
            item: item_row(&ctx, &item),
            case_id: item.case_id,
            capture,
            custody,
            sharable,
            l: ctx.layout(),
        },
    )
}

/// A `Write` that hands 64 KiB pieces to the response body; a full channel makes the
/// decryption wait, so a slow client never makes a file pile up in memory.
struct BodyWriter(tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>);

impl std::io::Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(buf.to_vec()))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn download(state: AppState, ctx: Ctx, id: i64, sharing: bool) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let download = match state.app.start_download(&actor, id, sharing).await {
        Ok(d) => d,
        Err(e) => return app_error(&ctx, e),
    };
    let name = download.file_name();
    let length = download.item.facts.size;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let failed = tx.clone();
    tokio::task::spawn_blocking(move || {
        let writer = std::io::BufWriter::with_capacity(64 * 1024, BodyWriter(tx));
        if let Err(e) = download.write_to(writer) {
            tracing::warn!(error = %e, "an evidence download stopped");
            // The body ends in an error, so the client sees a broken download, not a short file.
            let _ = failed.blocking_send(Err(std::io::Error::other("the download stopped")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|piece| (piece, rx)) });
    let mut headers = vec![
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    if !sharing {
        headers.push((header::CONTENT_LENGTH, HeaderValue::from(length)));
    }
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().extend(headers);
    response
}

pub async fn original(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    download(state, ctx, id, false).await
}

pub async fn sharing_copy(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    download(state, ctx, id, true).await
}

/// One line of a dossier's timeline.
struct DossierEvent {
    id: i64,
    date: String,
    kind: String,
    role: String,
    region: String,
    summary: String,
    articles: Vec<String>,
    /// (kind, title, reference)
    sources: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    l: Layout,
    title: String,
    generated: String,
    /// (label, (field, value) pairs) for each person in the dossier.
    persons: Vec<(String, Vec<(String, String)>)>,
    events: Vec<DossierEvent>,
    /// (article, event date)
    charges: Vec<(String, String)>,
    items: Vec<ItemRowView>,
    fingerprint: String,
}

fn identity_fields(ctx: &Ctx, p: &razam_app::registry::PersonView) -> (String, Vec<(String, String)>) {
    let tr = &ctx.tr;
    let i = &p.identity;
    let mut fields = vec![
        (tr.t("person-family-name"), i.family_name.clone()),
        (tr.t("person-given-name"), i.given_name.clone()),
        (tr.t("person-patronymic"), i.patronymic.clone()),
        (tr.t("person-variants"), i.variants.join(", ")),
        (tr.t("person-birth-date"), i.birth_date.clone()),
        (tr.t("person-region"), region_name(tr, p.region.as_deref())),
        (
            tr.t("record-level"),
            tr.t(&format!("level-{}", p.confidentiality.as_str())),
        ),
    ];
    if let Some(on) = &p.recognized_on {
        fields.push((tr.t("recognition-date"), on.clone()));
    }
    if let Some((s, on)) = &p.status {
        fields.push((
            tr.t("status-label"),
            format!("{} ({on})", tr.t(&format!("status-{}", s.as_str()))),
        ));
    }
    fields.retain(|(_, v)| !v.is_empty());
    (p.label.clone(), fields)
}

fn dossier_event(
    ctx: &Ctx,
    e: &razam_app::registry::EventView,
    role: String,
    sources: Vec<(String, String, String)>,
) -> DossierEvent {
    let tr = &ctx.tr;
    DossierEvent {
        id: e.id,
        date: e.date.map(|d| d.to_string()).unwrap_or_else(|| tr.t("date-unknown")),
        kind: tr.t(&format!("kind-{}", e.kind.as_str())),
        role,
        region: region_name(tr, e.region.as_deref()),
        summary: event_summary(tr, e),
        articles: e.articles.clone(),
        sources,
    }
}

fn charges_of(events: &[DossierEvent]) -> Vec<(String, String)> {
    let mut charges: Vec<(String, String)> = Vec::new();
    for e in events {
        for a in &e.articles {
            if !charges.iter().any(|(known, _)| known == a) {
                charges.push((a.clone(), e.date.clone()));
            }
        }
    }
    charges
}

pub async fn person_dossier(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let d = match state.app.person_dossier(&actor, id).await {
        Ok(d) => d,
        Err(e) => return app_error(&ctx, e),
    };
    let tr = &ctx.tr;
    let events: Vec<DossierEvent> = d
        .page
        .events
        .iter()
        .map(|(e, role)| {
            let sources = d
                .sources
                .iter()
                .find(|(eid, _)| *eid == e.id)
                .map(|(_, s)| {
                    s.iter()
                        .map(|s| {
                            (
                                tr.t(&format!("source-{}", s.kind.as_str())),
                                s.details.title.clone(),
                                s.details.reference.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            dossier_event(&ctx, e, tr.t(&format!("prole-{}", role.as_str())), sources)
        })
        .collect();
    let (label, fields) = identity_fields(&ctx, &d.page.person);
    render(
        StatusCode::OK,
        DossierPage {
            title: format!("{label} · {}", d.page.person.identity.full_name()),
            generated: utc_minute(razam_app::now_ms()),
            persons: vec![(label, fields)],
            charges: charges_of(&events),
            events,
            items: d.evidence.iter().map(|i| item_row(&ctx, i)).collect(),
            fingerprint: state.app.signing_identity().fingerprint(),
            l: ctx.layout(),
        },
    )
}

pub async fn case_dossier(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(actor) = ctx.actor() else {
        return to_login();
    };
    let d = match state.app.case_dossier(&actor, id).await {
        Ok(d) => d,
        Err(e) => return app_error(&ctx, e),
    };
    let events: Vec<DossierEvent> = d
        .events
        .iter()
        .map(|e| dossier_event(&ctx, e, String::new(), Vec::new()))
        .collect();
    render(
        StatusCode::OK,
        DossierPage {
            title: d.case.details.reference.clone(),
            generated: utc_minute(razam_app::now_ms()),
            persons: d.persons.iter().map(|p| identity_fields(&ctx, p)).collect(),
            charges: charges_of(&events),
            events,
            items: d.items.iter().map(|i| item_row(&ctx, i)).collect(),
            fingerprint: state.app.signing_identity().fingerprint(),
            l: ctx.layout(),
        },
    )
}

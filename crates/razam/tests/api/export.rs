//! Registry exports on both databases: what each role gets, formula neutralisation, the
//! XLSX's content, the audit entry, the command line; and the demo registry they are shown on.

use std::io::Read;

use razam_app::config::Overrides;
use razam_app::export::{EVENT_COLUMNS, ExportFormat, ExportKind, PERSON_COLUMNS};
use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_app::{Actor, demo};
use razam_core::Role;
use razam_core::registry::{Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole};
use sqlx::Connection;

use crate::helpers::{Db, PASSPHRASE, TestApp, add_user};
use crate::on_both_databases;

const HIDDEN: &str = "Схаваная";
const FORMULA: &str = "=HYPERLINK(\"http://example.invalid\",\"x\")";

fn person(given: &str, family: &str, level: Confidentiality) -> PersonInput {
    PersonInput {
        identity: Identity {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: "Іванаўна".into(),
            variants: vec!["Alena Test".into(), "Алена Тест".into()],
            birth_date: "1990-02".into(),
            contacts: "secret contact".into(),
            notes: String::new(),
        },
        region: Some("grodno".into()),
        confidentiality: level,
        consent_to_publish: false,
    }
}

/// A restricted person, an internal one whose name is a formula, and an event naming both.
async fn records(app: &TestApp) -> (i64, i64) {
    let a = &app.app;
    let hidden = a
        .create_person(&Actor::Cli, &person("Алена", HIDDEN, Confidentiality::Restricted))
        .await
        .unwrap();
    let open = a
        .create_person(
            &Actor::Cli,
            &person("+375 29 000 00 00", FORMULA, Confidentiality::Internal),
        )
        .await
        .unwrap();
    let event = EventInput {
        kind: EventKind::Sentence,
        date: Some(FuzzyDate::parse("2021-05").unwrap()),
        region: Some("grodno".into()),
        arrest_days: None,
        term_months: Some(36),
        details: EventDetails {
            district: "Гродзенскі раён".into(),
            settlement: "Гродна".into(),
            facility: "-суд".into(),
            description: "@SUM(1,2)".into(),
        },
        confidentiality: Confidentiality::Internal,
        articles: vec![Article::parse("342").unwrap(), Article::parse("361-1").unwrap()],
        persons: vec![(open, PersonRole::Victim), (hidden, PersonRole::Witness)],
    };
    a.create_event(&Actor::Cli, &event).await.unwrap();
    (hidden, open)
}

async fn log_in_as(app: &TestApp, username: &str, role: Role) -> reqwest::Client {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    app.logged_in_client(username, &password).await
}

/// Downloads `file` the way an account must: it asks for approval, a second account (a
/// reviewer made for the purpose) approves, then the file comes.
async fn download(
    app: &TestApp,
    client: &reqwest::Client,
    file: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    static SECOND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let (_, page) = app.get(client, "/export").await;
    let r = app
        .post_form(client, "/export/approvals", &page, &[("file", file)])
        .await;
    assert_eq!(r.status(), 303, "the request for approval of {file}");
    let n = SECOND.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let second = log_in_as(app, &format!("second{n}"), Role::Reviewer).await;
    let (_, page) = app.get(&second, "/export").await;
    let id = waiting_request(&page, file);
    let r = app
        .post_form(&second, &format!("/export/approvals/{id}/approve"), &page, &[])
        .await;
    assert_eq!(r.status(), 303, "the approval of {file}");
    fetch(app, client, file).await
}

/// The id of the waiting request for `file` that the export page offers to approve.
fn waiting_request(page: &str, file: &str) -> i64 {
    page.split("<tr>")
        .filter(|row| row.contains(&format!("<td>{file}</td>")))
        .find_map(|row| {
            let at = row.find("/export/approvals/")? + "/export/approvals/".len();
            row[at..].split('/').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no request for {file} to approve in {page}"))
}

/// GET of the file itself, approved or not.
async fn fetch(
    app: &TestApp,
    client: &reqwest::Client,
    file: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = client.get(app.url(&format!("/export/{file}"))).send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// The rows of a CSV, the header first.
fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// (actor, object) of every audit entry recorded under `action`.
async fn audit_entries(app: &TestApp, action: &str) -> Vec<(String, String)> {
    let sql = "SELECT actor, object FROM audit_log WHERE action = $1 ORDER BY seq";
    match app.db {
        Db::Sqlite => {
            let url = format!("sqlite://{}", app.data_dir().join("razam.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(sql).bind(action).fetch_all(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query_as(sql).bind(action).fetch_all(&mut conn).await.unwrap()
        }
    }
}

async fn each_role_exports_what_it_may_read(app: TestApp) {
    records(&app).await;
    let documenter = log_in_as(&app, "ales", Role::Documenter).await;
    let viewer = log_in_as(&app, "volha", Role::Viewer).await;
    let volunteer = log_in_as(&app, "ihar", Role::Volunteer).await;

    // A documenter's export holds the restricted person, in a file meant to be downloaded.
    let (status, headers, body) = download(&app, &documenter, "persons.csv").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"razam-persons-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    let table = rows(&body);
    assert_eq!(table[0], PERSON_COLUMNS);
    assert_eq!(table.len(), 3, "{table:?}");
    let hidden = table.iter().find(|r| r[1] == HIDDEN).expect("the restricted person");
    assert_eq!(hidden[2], "Алена");
    assert_eq!(hidden[3], "Іванаўна");
    assert_eq!(hidden[4], "Alena Test; Алена Тест");
    assert_eq!(hidden[5], "1990-02");
    assert_eq!(hidden[6], "grodno");
    assert_eq!(hidden[7], "restricted");
    assert_eq!(hidden[8], "no");
    assert!(hidden[0].starts_with("P-"));
    assert!(
        !String::from_utf8_lossy(&body).contains("secret contact"),
        "contacts are not exported"
    );

    // Formulas come out as text in a spreadsheet.
    let formula = table.iter().find(|r| r[1].contains("HYPERLINK")).unwrap();
    assert_eq!(formula[1], format!("'{FORMULA}"));
    assert_eq!(formula[2], "'+375 29 000 00 00");

    // Read-only roles read on screen: a viewer, like a volunteer, exports nothing.
    for client in [&viewer, &volunteer] {
        for path in ["/export", "/export/persons.csv", "/export/events.xlsx"] {
            let r = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 403, "{path}");
        }
    }
    let (_, home) = app.get(&viewer, "/persons").await;
    assert!(!home.contains("href=\"/export\""), "no export link for a viewer");
    let (status, body) = app.get(&crate::helpers::client(), "/export/persons.csv").await;
    assert_eq!(status, 303, "{body}");
    let (status, _) = app.get(&documenter, "/export/accounts.csv").await;
    assert_eq!(status, 404);

    // The page offers the four files (each to ask approval for: the persons file's approval
    // was used by its download) and says what the role gets.
    let (status, page) = app.get(&documenter, "/export").await;
    assert_eq!(status, 200);
    for file in ["persons.csv", "persons.xlsx", "events.csv", "events.xlsx"] {
        assert!(page.contains(&format!("name=\"file\" value=\"{file}\"")), "{file}");
    }
    assert!(page.contains("id=\"export-warning\""));
    assert!(page.contains("id=\"export-two-person\""));

    // Events: articles, persons with their roles by label, neutralised text.
    let (status, _, body) = download(&app, &documenter, "events.csv").await;
    assert_eq!(status, 200);
    let table = rows(&body);
    assert_eq!(table[0], EVENT_COLUMNS);
    let e = &table[1];
    assert_eq!(e[1], "sentence");
    assert_eq!((e[2].as_str(), e[3].as_str()), ("2021-05", "month"));
    assert_eq!(
        (e[5].as_str(), e[6].as_str(), e[7].as_str()),
        ("Гродзенскі раён", "Гродна", "'-суд")
    );
    assert_eq!((e[8].as_str(), e[9].as_str()), ("", "36"));
    assert_eq!(e[10], "342; 361-1");
    assert!(e[11].contains("(victim)") && e[11].contains("(witness)"), "{}", e[11]);
    assert_eq!(e[12], "internal");
    assert_eq!(e[13], "'@SUM(1,2)");

    // Every export is in the audit log, with its size and never its content.
    let persons = audit_entries(&app, "export.persons").await;
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!(persons[0].1, "persons:csv rows=2 with-restricted");
    let events = audit_entries(&app, "export.events").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "events:csv rows=1 with-restricted");
    assert!(events[0].0.starts_with("account:"));
}
on_both_databases!(each_role_exports_what_it_may_read);

/// The text of `name` in a zip archive.
fn zipped(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

async fn the_spreadsheet_holds_the_same_cells_and_no_formula(app: TestApp) {
    records(&app).await;
    let documenter = log_in_as(&app, "ales", Role::Documenter).await;
    let (status, headers, body) = download(&app, &documenter, "persons.xlsx").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(body.starts_with(b"PK"), "a zip archive");
    let workbook = zipped(&body, "xl/workbook.xml");
    assert!(workbook.contains("name=\"persons\""), "{workbook}");
    let sheet = zipped(&body, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no cell is a formula: {sheet}");
    let strings = zipped(&body, "xl/sharedStrings.xml");
    for expected in [
        "label",
        "status_since",
        HIDDEN,
        "Alena Test; Алена Тест",
        "'+375 29 000 00 00",
    ] {
        assert!(strings.contains(expected), "{expected} in {strings}");
    }
    assert!(
        strings.contains("&apos;=HYPERLINK") || strings.contains("'=HYPERLINK"),
        "{strings}"
    );

    let (_, _, body) = download(&app, &documenter, "events.xlsx").await;
    let sheet = zipped(&body, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<v>36</v>"), "the term is a number: {sheet}");
    let strings = zipped(&body, "xl/sharedStrings.xml");
    assert!(
        strings.contains("'@SUM(1,2)") || strings.contains("&apos;@SUM(1,2)"),
        "{strings}"
    );
    let entries = audit_entries(&app, "export.events").await;
    assert_eq!(entries[0].1, "events:xlsx rows=1 with-restricted");
}
on_both_databases!(the_spreadsheet_holds_the_same_cells_and_no_formula);

async fn an_export_waits_for_a_second_person_and_is_used_once(app: TestApp) {
    records(&app).await;
    let documenter = log_in_as(&app, "ales", Role::Documenter).await;
    let reviewer = log_in_as(&app, "nasta", Role::Reviewer).await;
    let viewer = log_in_as(&app, "volha", Role::Viewer).await;

    // Without an approval the file does not come, and nothing is exported or audited.
    let (status, _, _) = fetch(&app, &documenter, "persons.csv").await;
    assert_eq!(status, 400);
    assert!(audit_entries(&app, "export.persons").await.is_empty());

    // Asked for: waiting. The one who asked cannot approve it, a viewer cannot either.
    let (_, page) = app.get(&documenter, "/export").await;
    let r = app
        .post_form(&documenter, "/export/approvals", &page, &[("file", "persons.csv")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&documenter, "/export").await;
    assert!(page.contains("persons.csv: waiting for a second person"), "{page}");
    assert!(!page.contains("/approve\""), "no approve button on one's own request");
    let (_, reviewer_page) = app.get(&reviewer, "/export").await;
    let id = waiting_request(&reviewer_page, "persons.csv");
    let r = app
        .post_form(&documenter, &format!("/export/approvals/{id}/approve"), &page, &[])
        .await;
    assert_eq!(r.status(), 400, "the one who asked cannot approve");
    let (_, viewer_page) = app.get(&viewer, "/persons").await;
    let r = app
        .post_form(&viewer, &format!("/export/approvals/{id}/approve"), &viewer_page, &[])
        .await;
    assert_eq!(r.status(), 403, "a viewer may not export, so may not approve");
    assert_eq!(fetch(&app, &documenter, "persons.csv").await.0, 400, "still waiting");

    // A second person approves: the file comes once, and only the file approved.
    let r = app
        .post_form(
            &reviewer,
            &format!("/export/approvals/{id}/approve"),
            &reviewer_page,
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &reviewer,
            &format!("/export/approvals/{id}/refuse"),
            &reviewer_page,
            &[],
        )
        .await;
    assert_eq!(r.status(), 400, "decided once");
    assert_eq!(
        fetch(&app, &documenter, "events.csv").await.0,
        400,
        "another file needs its own"
    );
    let (status, _, body) = fetch(&app, &documenter, "persons.csv").await;
    assert_eq!(status, 200);
    assert_eq!(rows(&body).len(), 3);
    assert_eq!(fetch(&app, &documenter, "persons.csv").await.0, 400, "used once");
    let (_, reviewer_page) = app.get(&reviewer, "/export").await;
    assert!(reviewer_page.contains("downloaded (Тэст)"), "{reviewer_page}");

    // A refused request gives nothing.
    let (_, page) = app.get(&documenter, "/export").await;
    app.post_form(&documenter, "/export/approvals", &page, &[("file", "events.xlsx")])
        .await;
    let (_, reviewer_page) = app.get(&reviewer, "/export").await;
    let id = waiting_request(&reviewer_page, "events.xlsx");
    let r = app
        .post_form(
            &reviewer,
            &format!("/export/approvals/{id}/refuse"),
            &reviewer_page,
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(fetch(&app, &documenter, "events.xlsx").await.0, 400);

    // Every step is in the audit log, by id only.
    let requests = audit_entries(&app, "approval.request").await;
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|(actor, object)| actor.starts_with("account:") && object.starts_with("approval:"))
    );
    assert_eq!(audit_entries(&app, "approval.approve").await.len(), 1);
    assert_eq!(audit_entries(&app, "approval.refuse").await.len(), 1);
    assert_eq!(audit_entries(&app, "export.persons").await.len(), 1);
    assert!(audit_entries(&app, "export.events").await.is_empty());
    app.app.verify_audit(None, &|_| {}).await.unwrap();
}
on_both_databases!(an_export_waits_for_a_second_person_and_is_used_once);

#[tokio::test]
async fn where_one_person_works_alone_the_rule_can_be_switched_off() {
    let app = crate::helpers::spawn_app_configured(Db::Sqlite, "[two_person]\nexports = false\n")
        .await
        .unwrap();
    records(&app).await;
    let documenter = log_in_as(&app, "ales", Role::Documenter).await;
    let (_, page) = app.get(&documenter, "/export").await;
    assert!(page.contains("href=\"/export/persons.csv\""));
    assert!(!page.contains("id=\"export-two-person\""));
    let (status, _, body) = fetch(&app, &documenter, "persons.csv").await;
    assert_eq!(status, 200);
    assert_eq!(rows(&body).len(), 3);
}

async fn the_command_line_writes_an_owner_only_file_and_warns(app: TestApp) {
    use std::os::unix::fs::PermissionsExt;

    records(&app).await;
    let out = app.dir.path().join("persons.csv");
    let run = |out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_razam"))
            .args(["export", "persons", "--format", "csv", "--data"])
            .arg(app.data_dir())
            .arg("--out")
            .arg(out)
            .env("RAZAM_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap()
    };
    let o = run(&out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("personal data in the clear"), "{stderr}");
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    let table = rows(&std::fs::read(&out).unwrap());
    assert_eq!(table.len(), 3, "the command line reads everything: {table:?}");
    assert!(table.iter().any(|r| r[1] == HIDDEN));
    // An existing file is never overwritten.
    let o = run(&out);
    assert_eq!(o.status.code(), Some(2));
    let entries = audit_entries(&app, "export.persons").await;
    assert_eq!(
        entries,
        [("cli".to_owned(), "persons:csv rows=2 with-restricted".to_owned())]
    );
}
on_both_databases!(the_command_line_writes_an_owner_only_file_and_warns);

/// The demo is SQLite only, by design.
#[tokio::test]
async fn the_demo_holds_a_registry_with_something_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = demo::prepare(&dir.path().join("demo"), &Overrides::default())
        .await
        .unwrap();
    let persons = app
        .export(&Actor::Cli, ExportKind::Persons, ExportFormat::Csv)
        .await
        .unwrap();
    let events = app
        .export(&Actor::Cli, ExportKind::Events, ExportFormat::Csv)
        .await
        .unwrap();
    assert!(persons.rows >= 200, "{} persons", persons.rows);
    assert!(events.rows >= 2000, "{} events", events.rows);
    let table = rows(&persons.bytes);
    let level = |l: &str| table.iter().filter(|r| r[7] == l).count();
    assert!(level("public") > 0 && level("internal") > level("restricted") && level("restricted") > 0);
    assert!(
        table.iter().any(|r| r[4].chars().any(|c| c.is_ascii_alphabetic())),
        "Latin variants"
    );
    let held = app.prisoner_figures(Day::parse("2022-06-01").unwrap()).await.unwrap();
    assert!(held.held > 0 && held.recognized_total >= held.held, "{held:?}");
    let end = app.prisoner_figures(Day::parse("2026-11-01").unwrap()).await.unwrap();
    assert!(end.held > 0 && end.recognized_total >= 100, "{end:?}");
    let figures = app.public_figures(Day::parse("2022-06-01").unwrap()).await.unwrap();
    assert!(!figures.detentions_per_month.is_empty());
    let kinds: std::collections::HashSet<String> = rows(&events.bytes).into_iter().map(|r| r[1].clone()).collect();
    for kind in [
        "detention",
        "administrative_arrest",
        "criminal_case",
        "trial",
        "sentence",
        "release",
        "pardon",
        "forced_departure",
        "extremist_designation",
    ] {
        assert!(kinds.contains(kind), "{kind}");
    }
    // Cases and ill-treatment carry sources.
    let mut with_sources = 0;
    for r in rows(&events.bytes)
        .iter()
        .skip(1)
        .filter(|r| r[1] == "ill_treatment" || r[1] == "criminal_case")
    {
        let id: i64 = r[0].parse().unwrap();
        if !app.event_sources(&Actor::Cli, id).await.unwrap().is_empty() {
            with_sources += 1;
        }
    }
    assert!(with_sources >= 10, "{with_sources} events with sources");
    app.close().await;

    // The same seed, the same registry.
    let again = demo::prepare(&dir.path().join("again"), &Overrides::default())
        .await
        .unwrap();
    let second = again
        .export(&Actor::Cli, ExportKind::Persons, ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(second.bytes, persons.bytes);
    again.close().await;
}

//! Anonymous intake: a relative reports a detention without an account; a documenter
//! accepts, merges or rejects the report from the triage queue.

use razam_app::Actor;
use razam_app::registry::{Identity, PersonInput};
use razam_core::Role;
use razam_core::registry::{Confidentiality, EventKind};
use reqwest::StatusCode;
use sqlx::Connection;

use crate::helpers::{Db, TestApp, add_user, client, files_below, spawn_app_configured};
use crate::on_both_databases;

/// Every audit entry as (actor, action, object), oldest first, read straight from the database.
async fn audit_entries(app: &TestApp) -> Vec<(String, String, String)> {
    crate::helpers::audit_log(app).await
}

/// Every stored intake row's bytes (the sealed report, the state, who decided), concatenated.
async fn intake_rows(app: &TestApp) -> Vec<Vec<u8>> {
    let sql = "SELECT report_sealed, state, COALESCE(decided_by, '') FROM intake_reports ORDER BY id";
    let rows: Vec<(Vec<u8>, String, String)> = match app.db {
        Db::Sqlite => {
            let url = format!("sqlite://{}?mode=ro", app.data_dir().join("razam.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
        }
    };
    rows.into_iter()
        .map(|(sealed, state, by)| [sealed, state.into_bytes(), by.into_bytes()].concat())
        .collect()
}

async fn count_persons(a: &razam_app::App) -> usize {
    a.list_persons(&Actor::Cli, razam_store::registry::PersonFilter::default(), None, 500)
        .await
        .unwrap()
        .len()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    memchr::memmem::find(haystack, needle.as_bytes()).is_some()
}

/// Opens the form as a first-time visitor and sends `fields`; returns the answer to the POST.
async fn report(app: &TestApp, c: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let (status, page) = app.get(c, "/report").await;
    assert_eq!(status, StatusCode::OK);
    app.post_form(c, "/report", &page, fields).await
}

fn detention(family: &str, what: &str) -> Vec<(&'static str, String)> {
    vec![
        ("given_name", "Алесь".to_owned()),
        ("family_name", family.to_owned()),
        ("detained_on", "2024-03-15".to_owned()),
        ("region", "grodno".to_owned()),
        ("settlement", "Ліда".to_owned()),
        ("what_happened", what.to_owned()),
        ("relation", "сястра".to_owned()),
        ("contact", "@sister".to_owned()),
        ("consent_to_contact", "on".to_owned()),
    ]
}

/// The text of `page` after the first `start`, up to the next `end`.
fn after<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let rest = page.split_once(start).unwrap().1;
    rest.split_once(end).map_or(rest, |(inside, _)| inside)
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn an_anonymous_report_is_sealed_and_names_nobody(app: TestApp) {
    let marker = format!("zq{}", hex::encode(rand::random::<[u8; 8]>()));
    let c = client();
    let r = c.get(app.url("/report")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("razam_pre=")),
        "the first visit gets the cookie its CSRF token is bound to"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("Tor Browser") && page.contains("IP"), "the safety notice");

    let fields = detention(&marker, &format!("Забралі з дому {marker}"));
    let r = app.post_form(&c, "/report", &page, &borrowed(&fields)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/report/thanks");
    let (status, thanks) = app.get(&c, "/report/thanks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!thanks.contains(&marker));
    assert!(
        !thanks.contains("intake:"),
        "no report number to identify the reporter by"
    );

    // The row holds the report sealed, and nothing about the sender.
    let rows = intake_rows(&app).await;
    assert_eq!(rows.len(), 1);
    for needle in [marker.as_str(), "127.0.0.1", "@sister", "Ліда"] {
        assert!(!contains(&rows[0], needle), "{needle} in the intake row");
    }
    for file in files_below(&app.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, &marker),
            "{} holds the report in the clear",
            file.display()
        );
    }
    // Its audit entry says what and which, not who or what was written.
    let audit = audit_entries(&app).await;
    let submit: Vec<_> = audit
        .iter()
        .filter(|(_, action, _)| action == "intake.submit")
        .collect();
    assert_eq!(submit.len(), 1, "{audit:?}");
    assert_eq!((submit[0].0.as_str(), submit[0].2.as_str()), ("anonymous", "intake:1"));

    // A form without its token is refused.
    let r = client()
        .post(app.url("/report"))
        .form(&borrowed(&fields))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(intake_rows(&app).await.len(), 1);
}
on_both_databases!(an_anonymous_report_is_sealed_and_names_nobody);

async fn a_missing_field_is_explained_beside_it_and_the_typed_text_kept(app: TestApp) {
    let c = client();
    let r = report(
        &app,
        &c,
        &[
            ("family_name", "Каваленка"),
            ("settlement", "Баранавічы"),
            ("what_happened", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"e-what_happened\""), "{page}");
    assert!(page.contains("id=\"e-detained_on\""), "{page}");
    assert!(!page.contains("id=\"e-family_name\""));
    assert!(page.contains("value=\"Каваленка\"") && page.contains("value=\"Баранавічы\""));
    // The summary above the form links to each refused field, as on the documenters' forms.
    let summary = after(&page, "id=\"form-errors\"", "</div>");
    assert!(
        summary.contains("href=\"#f-detained_on\"") && summary.contains("href=\"#f-what_happened\""),
        "{summary}"
    );
    // The first field in error has the focus, and says why it is invalid.
    let detained = after(&page, "id=\"f-detained_on\"", ">");
    assert!(
        detained.contains("autofocus") && detained.contains("aria-invalid"),
        "{detained}"
    );
    assert_eq!(page.matches("autofocus").count(), 1);
    // What cannot be stored cannot be typed: the app's limits are on the controls.
    assert!(page.contains("id=\"f-what_happened\" name=\"what_happened\" rows=\"8\" maxlength=\"5000\""));
    assert!(intake_rows(&app).await.is_empty());
    // A fresh form puts the cursor nowhere: the safety notice above it comes first.
    let (_, fresh) = app.get(&c, "/report").await;
    assert!(!fresh.contains("autofocus") && !fresh.contains("form-errors"));

    // Every language has every text of the form.
    for lang in ["be", "ru", "uk", "pl", "lt", "en"] {
        let (_, page) = app.get(&c, &format!("/report?lang={lang}")).await;
        assert!(!page.contains("intake-"), "{lang}: {page}");
    }
}
on_both_databases!(a_missing_field_is_explained_beside_it_and_the_typed_text_kept);

async fn the_form_rests_after_its_hourly_share(db: Db) {
    let Some(app) = spawn_app_configured(db, "[intake]\nper_address_per_hour = 2\nper_hour = 10").await else {
        return;
    };
    let c = client();
    let fields = detention("Іваноў", "затрымалі");
    for _ in 0..2 {
        let r = report(&app, &c, &borrowed(&fields)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = report(&app, &c, &borrowed(&fields)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = r.text().await.unwrap();
    assert!(page.contains("try again"), "{page}");
    assert_eq!(intake_rows(&app).await.len(), 2);
}

#[tokio::test]
async fn the_form_rests_after_its_hourly_share_sqlite() {
    the_form_rests_after_its_hourly_share(Db::Sqlite).await;
}

#[tokio::test]
async fn the_form_rests_after_its_hourly_share_postgres() {
    the_form_rests_after_its_hourly_share(Db::Postgres).await;
}

/// The decision form's fields, as a documenter sends them after reading the report.
fn decision(family: &str) -> Vec<(&'static str, String)> {
    vec![
        ("given_name", "Алесь".to_owned()),
        ("family_name", family.to_owned()),
        ("patronymic", String::new()),
        ("birth_date", "1980".to_owned()),
        ("contacts", "сястра: @sister".to_owned()),
        ("region", "grodno".to_owned()),
        ("detained_on", "2024-03-15".to_owned()),
        ("settlement", "Ліда".to_owned()),
        ("facility", "ІЧУ".to_owned()),
        ("description", "Забралі з дому".to_owned()),
        ("confidentiality", "restricted".to_owned()),
    ]
}

async fn a_documenter_accepts_merges_and_rejects(app: TestApp) {
    let a = &app.app;
    add_user(a, "doc", "Documenter", Role::Documenter, "doc-password-1").await;
    let doc = app.logged_in_client("doc", "doc-password-1").await;
    let (_, home) = app.get(&doc, "/").await;
    assert!(home.contains("href=\"/triage\""), "the documenter has the Triage link");
    let (_, queue) = app.get(&doc, "/triage").await;
    assert!(queue.contains("id=\"queue-empty\""));

    // Accept: the report becomes a person and a detention event, in one step.
    let public = client();
    let r = report(&app, &public, &borrowed(&detention("Каваленка", "Забралі з дому"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, queue) = app.get(&doc, "/triage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue.contains("href=\"/triage/1\"") && queue.contains("Каваленка Алесь"),
        "{queue}"
    );
    let (status, page) = app.get(&doc, "/triage/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"Каваленка\""), "the accept form is prefilled");
    assert!(
        page.contains("сястра: @sister"),
        "the reporter's contact, for the documenter"
    );
    assert!(
        page.contains("<option value=\"restricted\" selected>"),
        "restricted by default"
    );
    assert!(!page.contains(">triage-"), "every label and hint is translated: {page}");
    // A refused correction keeps what the documenter typed.
    let mut bad = decision("Каваленка");
    bad[6].1 = "на мінулым тыдні".into();
    let r = app.post_form(&doc, "/triage/1/accept", &page, &borrowed(&bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("value=\"на мінулым тыдні\""));
    assert!(
        refused.contains("id=\"e-detained_on\"") && refused.contains("href=\"#f-detained_on\""),
        "the refusal beside the field and in the summary: {refused}"
    );
    let r = app
        .post_form(&doc, "/triage/1/accept", &page, &borrowed(&decision("Каваленка")))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let person: i64 = location.strip_prefix("/persons/").unwrap().parse().unwrap();
    let record = a.person_page(&Actor::Cli, person).await.unwrap();
    assert_eq!(record.person.identity.full_name(), "Каваленка Алесь");
    assert_eq!(record.person.identity.birth_date, "1980");
    assert_eq!(record.person.confidentiality, Confidentiality::Restricted);
    assert_eq!(record.events.len(), 1);
    let event = &record.events[0].0;
    assert_eq!(event.kind, EventKind::Detention);
    assert_eq!(event.date.unwrap().to_string(), "2024-03-15");
    assert_eq!(
        (event.details.settlement.as_str(), event.details.facility.as_str()),
        ("Ліда", "ІЧУ")
    );
    let (_, queue) = app.get(&doc, "/triage").await;
    assert!(queue.contains("id=\"queue-empty\""), "the report left the queue");
    // A decision is taken once.
    let r = app
        .post_form(&doc, "/triage/1/accept", &page, &borrowed(&decision("Каваленка")))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(count_persons(a).await, 1);

    // Merge: a report in a passport romanisation finds the person written in Cyrillic.
    let existing = a
        .create_person(
            &Actor::Cli,
            &PersonInput {
                identity: Identity {
                    given_name: "Ігар".into(),
                    family_name: "Лосік".into(),
                    ..Identity::default()
                },
                region: None,
                confidentiality: Confidentiality::Internal,
                consent_to_publish: false,
            },
        )
        .await
        .unwrap();
    let mut latin = detention("LOSIK", "detained at the station");
    latin[0].1 = "Ihar".into();
    assert_eq!(
        report(&app, &public, &borrowed(&latin)).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.get(&doc, "/triage/2").await;
    assert!(
        page.contains(&format!("name=\"person\" value=\"{existing}\"")),
        "the person is offered for the merge: {page}"
    );
    // A merge into nobody is refused beside the person's number.
    let r = app
        .post_form(&doc, "/triage/2/merge", &page, &borrowed(&decision("LOSIK")))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("id=\"e-person_other\""), "{refused}");
    let mut merge = decision("LOSIK");
    merge.push(("person", existing.to_string()));
    let r = app.post_form(&doc, "/triage/2/merge", &page, &borrowed(&merge)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/persons/{existing}").as_str());
    let record = a.person_page(&Actor::Cli, existing).await.unwrap();
    assert_eq!(
        record.person.identity.family_name, "Лосік",
        "the person is not rewritten"
    );
    assert_eq!(record.events.len(), 1);
    assert_eq!(record.events[0].0.kind, EventKind::Detention);

    // Reject: the report leaves the queue, nothing is added.
    assert_eq!(
        report(&app, &public, &borrowed(&detention("Нехта", "?")))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.get(&doc, "/triage/3").await;
    let r = app.post_form(&doc, "/triage/3/reject", &page, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/triage");
    let (_, queue) = app.get(&doc, "/triage").await;
    assert!(queue.contains("id=\"queue-empty\""));
    assert_eq!(count_persons(a).await, 2);

    // Every decision is in the audit log, naming the report; the chain verifies.
    let audit = audit_entries(&app).await;
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|(_, action, _)| action.starts_with("intake."))
        .map(|(_, action, object)| (action.as_str(), object.as_str()))
        .collect();
    for expected in [
        ("intake.submit", "intake:1"),
        ("intake.read", "intake:1"),
        ("intake.accept", "intake:1"),
        ("intake.merge", "intake:2"),
        ("intake.reject", "intake:3"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    assert!(
        audit
            .iter()
            .any(|(_, action, object)| action == "person.create" && object == &format!("person:{person}"))
    );
    a.verify_audit(None, &|_| {}).await.unwrap();
}
on_both_databases!(a_documenter_accepts_merges_and_rejects);

async fn only_documenters_see_the_queue(app: TestApp) {
    assert_eq!(
        report(&app, &client(), &borrowed(&detention("Каваленка", "x")))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, _) = app.get(&client(), "/triage").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "to the login");
    for (name, role) in [("viewer", Role::Viewer), ("volunteer", Role::Volunteer)] {
        let password = format!("{name}-password-1");
        add_user(&app.app, name, name, role, &password).await;
        let c = app.logged_in_client(name, &password).await;
        let (_, home) = app.get(&c, "/").await;
        assert!(!home.contains("href=\"/triage\""), "{name} has no Triage link");
        assert!(home.contains("href=\"/report\""), "everyone has the report link");
        for path in ["/triage", "/triage/1"] {
            assert_eq!(app.get(&c, path).await.0, StatusCode::FORBIDDEN, "{name} {path}");
        }
        let r = app.post_form(&c, "/triage/1/reject", &home, &[]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name} rejects");
    }
    assert_eq!(intake_rows(&app).await.len(), 1);
}
on_both_databases!(only_documenters_see_the_queue);

/// Not a test but a measurement (figures in docs/benchmarks.md): how long the merge
/// candidates of one report take among 20,000 persons, on SQLite. Run it with
/// `cargo nextest run --release -p razam --test api --run-ignored only bench_ --no-capture`.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn bench_merge_candidates_among_20000_persons() {
    fn letters(mut i: usize) -> String {
        let mut s = String::new();
        loop {
            s.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
            if i == 0 {
                break s;
            }
        }
    }
    let app = crate::helpers::spawn_app().await;
    let mut list = String::from(
        "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n",
    );
    for i in 0..20_000 {
        let l = letters(i);
        list.push_str(&format!("{i},Name{l},Family{l},,,Minsk,2021-07-14,342,2021-07-15,\n"));
    }
    app.app
        .import_prisoners(&Actor::Cli, list.as_bytes(), false)
        .await
        .unwrap();
    // The newest and the oldest person: every readable person is opened either way.
    for i in [19_999, 0, 19_999, 0] {
        let report = razam_app::intake::IntakeReport {
            given_name: format!("Name{}", letters(i)),
            family_name: format!("Family{}", letters(i)),
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let found = app.app.merge_candidates(&Actor::Cli, &report).await.unwrap();
        assert_eq!(found.len(), 1);
        eprintln!("merge candidates among 20,000 persons: {:?}", started.elapsed());
    }
}

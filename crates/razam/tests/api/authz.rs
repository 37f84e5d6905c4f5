//! The authorisation matrix, generated from the router's own table (`razam_web::page_routes`):
//! every page route is called by a visitor and by an account of every role, and each answer
//! must be what the route's rule says — a visitor sent to the login page, a role without the
//! permission refused with the 403 page before anything of the route runs, every other
//! account let through to the handler. The matrix is also written out as
//! docs/authorization.md; a route added, removed or given another rule changes it, and this
//! test fails until the document says the same (`RAZAM_BLESS=1` rewrites it after review).

use razam_app::Actor;
use razam_app::compartments::RecordKind;
use razam_app::evidence::{Attachment, Capture};
use razam_app::observation::ElectionForm;
use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_core::Role;
use razam_core::registry::{Confidentiality, EventKind, PersonRole};
use razam_web::{Access, PathRecord};
use reqwest::StatusCode;

use crate::helpers::{TestApp, add_user, spawn_app};

const FORBIDDEN: &str = "Your role does not allow this.";

/// One record of each kind, each the first of its table, so that `{id}` = 1 finds it.
async fn one_of_each(app: &TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let person = a
        .create_person(
            &cli,
            &PersonInput {
                identity: Identity {
                    given_name: "Алесь".into(),
                    family_name: "Бяляцкі".into(),
                    ..Identity::default()
                },
                region: Some("minsk".into()),
                confidentiality: Confidentiality::Internal,
                consent_to_publish: false,
            },
        )
        .await
        .unwrap();
    a.create_event(
        &cli,
        &EventInput {
            kind: EventKind::Detention,
            date: None,
            region: Some("minsk".into()),
            arrest_days: None,
            term_months: None,
            details: EventDetails::default(),
            confidentiality: Confidentiality::Internal,
            articles: Vec::new(),
            persons: vec![(person, PersonRole::Victim)],
        },
    )
    .await
    .unwrap();
    let form = ElectionForm {
        name: "Matrix election".into(),
        round: "1".into(),
        early_from: String::new(),
        early_to: String::new(),
        election_day: "2024-03-15".into(),
    };
    let election = a.create_election(&cli, &form).await.unwrap();
    a.import_stations(&cli, election, b"code,region\nA-1,Minsk\n", false)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("note.txt");
    std::fs::write(&file, "a note").unwrap();
    a.add_evidence_file(
        &cli,
        "MATRIX 1",
        &file,
        &Capture::default(),
        Attachment::Person(person),
        Confidentiality::Internal,
    )
    .await
    .unwrap();
    let report = razam_app::intake::IntakeReport {
        given_name: "Алесь".into(),
        family_name: "Каваленка".into(),
        detained_on: "2024-03-15".into(),
        region: "grodno".into(),
        what_happened: "Затрымалі".into(),
        ..Default::default()
    };
    a.submit_report(None, &report).await.unwrap();
}

/// What one request came back as.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    ToLogin,
    Refused,
    /// Reached the handler (whatever it then said: a page, a 404 for a missing record, a
    /// refused form without its CSRF token, …).
    Through(StatusCode),
}

/// `path` with each `{…}` segment replaced by `id`.
fn fill(path: &str, id: i64) -> String {
    let path = path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                id.to_string()
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    if path.is_empty() { "/".to_owned() } else { path }
}

async fn call(app: &TestApp, client: &reqwest::Client, method: &reqwest::Method, path: &str) -> Answer {
    call_at(app, client, method, &fill(path, 1)).await
}

async fn call_at(app: &TestApp, client: &reqwest::Client, method: &reqwest::Method, path: &str) -> Answer {
    let path = path.to_owned();
    let response = client.request(method.clone(), app.url(&path)).send().await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    assert!(!status.is_server_error(), "{method} {path}: {status}\n{body}");
    if status == StatusCode::SEE_OTHER && location.as_deref() == Some("/login") {
        Answer::ToLogin
    } else if status == StatusCode::FORBIDDEN && body.contains(FORBIDDEN) {
        Answer::Refused
    } else {
        Answer::Through(status)
    }
}

/// The matrix as docs/authorization.md holds it.
fn matrix() -> String {
    let mut out = String::from(
        "# Who may reach which page\n\n\
         Generated from `razam_web::page_routes()` by `authz::every_route_answers_each_role_by_its_rule`,\n\
         which also calls every route as each role and fails when an answer differs from this table\n\
         or this table from the router (`RAZAM_BLESS=1` rewrites it). `✓` = let through to the page,\n\
         `·` = refused (a visitor is sent to the login page, an account gets 403). The app checks\n\
         the same permission again on every use; records also carry a confidentiality level that\n\
         decides what a page shows (docs/registry.md). `record` says what a path's `{…}` names:\n\
         one marked (compartments) answers 404 to an account outside its compartment, whatever\n\
         the role (`authz::a_record_in_a_compartment_is_not_found_by_outsiders_on_every_route`).\n\n",
    );
    out.push_str("| method | path | rule | record | visitor |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|---|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    let mark = |ok: bool| if ok { "✓" } else { "·" };
    for r in razam_web::page_routes() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |",
            r.method,
            r.path,
            r.access.describe(),
            r.record.describe(),
            mark(r.access.allows(None))
        ));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", mark(r.access.allows(Some(role)))));
        }
        out.push('\n');
    }
    out.push_str(
        "\n## The API (`/api/v1`, a bearer token of the account)\n\n| method | path | rule | record | no token |",
    );
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|---|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for r in razam_web::api_routes() {
        out.push_str(&format!(
            "| {} | `/api/v1{}` | {} | {} | {} |",
            r.method,
            r.path,
            r.access.describe(),
            r.record.describe(),
            mark(r.access.allows(None))
        ));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", mark(r.access.allows(Some(role)))));
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn every_route_answers_each_role_by_its_rule() {
    let document = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/authorization.md");
    let expected = matrix();
    if std::env::var_os("RAZAM_BLESS").is_some() {
        std::fs::write(&document, &expected).unwrap();
    }
    let written = std::fs::read_to_string(&document).unwrap_or_default();
    assert!(
        written == expected,
        "docs/authorization.md differs from the router's table: review the rules, then rerun with RAZAM_BLESS=1"
    );

    let app = spawn_app().await;
    one_of_each(&app).await;
    let mut clients = vec![(None, crate::helpers::client())];
    for role in Role::ALL {
        let name = format!("matrix-{role}");
        let password = format!("{name}-password-1");
        add_user(&app.app, &name, "Matrix", role, &password).await;
        clients.push((Some(role), app.logged_in_client(&name, &password).await));
    }
    app.app
        .assign_observer(&Actor::Cli, 1, "matrix-observer")
        .await
        .unwrap();

    let mut wrong = Vec::new();
    let routes = razam_web::page_routes();
    assert!(routes.len() > 50, "the table holds the routes");
    for r in &routes {
        // Logging out would end the session the next routes need: those come last, below.
        if r.path.starts_with("/logout") {
            continue;
        }
        for (role, client) in &clients {
            let got = call(&app, client, &r.method, r.path).await;
            let ok = match r.access {
                // Without the pending login the password step leaves, nobody gets through.
                Access::PendingLogin => got == Answer::ToLogin,
                _ => matches!(
                    (r.access.allows(*role), role, &got),
                    (true, _, Answer::Through(_)) | (false, None, Answer::ToLogin) | (false, Some(_), Answer::Refused)
                ),
            };
            if !ok {
                let who = role.map_or("visitor".to_owned(), |r| r.to_string());
                wrong.push(format!(
                    "{} {} as {who}: {got:?} against rule {:?}",
                    r.method, r.path, r.access
                ));
            }
        }
    }
    for r in routes.iter().filter(|r| r.path.starts_with("/logout")) {
        assert_eq!(r.access, Access::LoggedIn);
        // Without the form's CSRF token a logged-in account reaches the handler, which refuses.
        for (role, client) in &clients {
            let got = call(&app, client, &r.method, r.path).await;
            let expected = if role.is_some() {
                got != Answer::ToLogin && got != Answer::Refused
            } else {
                got == Answer::ToLogin
            };
            if !expected {
                wrong.push(format!("{} {} as {role:?}: {got:?}", r.method, r.path));
            }
        }
    }

    // The API: the same rules, a bearer token of each role instead of a session.
    let mut tokens = vec![(None, None)];
    for role in Role::ALL {
        let token = crate::api::token_for(&app, &format!("api-{role}"), role).await;
        tokens.push((Some(role), Some(token)));
    }
    let api = crate::helpers::client();
    for r in razam_web::api_routes() {
        let path = format!("/api/v1{}", r.path.replace("{id}", "1"));
        for (role, token) in &tokens {
            let mut request = api.request(r.method.clone(), app.url(&path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let status = request.send().await.unwrap().status();
            assert!(!status.is_server_error(), "{} {path}: {status}", r.method);
            let ok = match (r.access.allows(*role), role) {
                (true, _) => status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                (false, None) => status == StatusCode::UNAUTHORIZED,
                (false, Some(_)) => status == StatusCode::FORBIDDEN,
            };
            if !ok {
                wrong.push(format!(
                    "{} {path} as {role:?}: {status} against rule {:?}",
                    r.method, r.access
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the rules:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A person (with another merged into it), an event naming it and an evidence item attached
/// to it, in compartment `compartment` (or in none): the ids a route's `{id}` takes for each
/// kind of record.
async fn records_in(app: &TestApp, name: &str, compartment: Option<i64>) -> [(RecordKind, i64); 4] {
    let a = &app.app;
    let cli = Actor::Cli;
    let input = |family: &str| PersonInput {
        identity: Identity {
            given_name: "Марфа".into(),
            family_name: family.into(),
            ..Identity::default()
        },
        region: Some("minsk".into()),
        confidentiality: Confidentiality::Internal,
        consent_to_publish: false,
    };
    let person = a.create_person_in(&cli, &input(name), compartment).await.unwrap();
    let twin = a
        .create_person_in(&cli, &input(&format!("{name}-twin")), compartment)
        .await
        .unwrap();
    let version = |id| async move { a.person_page(&Actor::Cli, id).await.unwrap().person.version };
    let merge = a
        .merge_persons(&cli, (person, version(person).await), (twin, version(twin).await))
        .await
        .unwrap();
    let event = EventInput {
        kind: EventKind::Detention,
        date: None,
        region: Some("minsk".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails::default(),
        confidentiality: Confidentiality::Internal,
        articles: Vec::new(),
        persons: vec![(person, PersonRole::Victim)],
    };
    let event = a.create_event_in(&cli, &event, compartment).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("note.txt");
    std::fs::write(&file, name).unwrap();
    let item = a
        .add_evidence_file(
            &cli,
            "MATRIX 2",
            &file,
            &Capture::default(),
            Attachment::Person(person),
            Confidentiality::Internal,
        )
        .await
        .unwrap()
        .id;
    [
        (RecordKind::Person, person),
        (RecordKind::Event, event),
        (RecordKind::Merge, merge),
        (RecordKind::EvidenceItem, item),
    ]
}

fn id_of(records: &[(RecordKind, i64); 4], kind: RecordKind) -> i64 {
    records.iter().find(|(k, _)| *k == kind).map(|(_, id)| *id).unwrap()
}

async fn account_id(app: &TestApp, username: &str) -> i64 {
    let users = app.app.list_users(&Actor::Cli).await.unwrap();
    users.iter().find(|u| u.username == username).unwrap().id
}

/// The compartment half of the matrix, generated from the same tables: every route whose path
/// takes a record must say what the record is (a route that does not fails here), and for
/// every route naming a person, event, merge or evidence item, a record in a compartment
/// answers 404 to an account of every role outside it — admins included — exactly as a
/// missing record does, while a member gets what its role gets on the same kind of record in
/// no compartment. Pages and the API alike.
#[tokio::test]
async fn a_record_in_a_compartment_is_not_found_by_outsiders_on_every_route() {
    let app = spawn_app().await;
    let mut wrong = Vec::new();
    let pages = razam_web::page_routes();
    let api_routes = razam_web::api_routes();
    for r in pages.iter().chain(api_routes.iter()) {
        if r.record == PathRecord::Undeclared {
            wrong.push(format!(
                "{} {}: takes a record and says nothing of compartments",
                r.method, r.path
            ));
        }
    }
    let compartment = app.app.create_compartment(&Actor::Cli, "Matrix").await.unwrap();
    let plain = records_in(&app, "Адкрытая", None).await;
    let hidden = records_in(&app, "Схаваная", Some(compartment)).await;

    // Per role: an outsider and a member, each with a session and with an API token.
    let mut people = Vec::new();
    for role in Role::ALL {
        let mut pair = Vec::new();
        for who in ["outsider", "member"] {
            let name = format!("{who}-{role}");
            let password = format!("{name}-password-1");
            add_user(&app.app, &name, "Matrix", role, &password).await;
            let id = account_id(&app, &name).await;
            if who == "member" {
                app.app
                    .set_compartment_member(&Actor::Cli, compartment, id, true)
                    .await
                    .unwrap();
            }
            let client = app.logged_in_client(&name, &password).await;
            let token = crate::api::token_for(&app, &format!("{name}-api"), role).await;
            if who == "member" {
                let api_id = account_id(&app, &format!("{name}-api")).await;
                app.app
                    .set_compartment_member(&Actor::Cli, compartment, api_id, true)
                    .await
                    .unwrap();
            }
            pair.push((client, token));
        }
        people.push((role, pair));
    }

    let mut checked = 0;
    for r in &pages {
        let PathRecord::Record(kind) = r.record else { continue };
        if r.path.starts_with("/logout") {
            continue;
        }
        let (plain_path, hidden_path) = (fill(r.path, id_of(&plain, kind)), fill(r.path, id_of(&hidden, kind)));
        for (role, pair) in &people {
            let allowed = r.access.allows(Some(*role));
            let outsider = call_at(&app, &pair[0].0, &r.method, &hidden_path).await;
            let expected = if allowed {
                Answer::Through(StatusCode::NOT_FOUND)
            } else {
                Answer::Refused
            };
            if outsider != expected {
                wrong.push(format!(
                    "{} {hidden_path} as an outsider {role}: {outsider:?}",
                    r.method
                ));
            }
            let on_plain = call_at(&app, &pair[1].0, &r.method, &plain_path).await;
            let member = call_at(&app, &pair[1].0, &r.method, &hidden_path).await;
            if member != on_plain {
                wrong.push(format!(
                    "{} {hidden_path} as a member {role}: {member:?}, but {on_plain:?} out of any compartment",
                    r.method
                ));
            }
            checked += 1;
        }
    }
    let api = crate::helpers::client();
    let status = |method: &reqwest::Method, path: String, token: &str| {
        let request = api.request(method.clone(), app.url(&path)).bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    for r in &api_routes {
        let PathRecord::Record(kind) = r.record else { continue };
        let plain_path = format!("/api/v1{}", fill(r.path, id_of(&plain, kind)));
        let hidden_path = format!("/api/v1{}", fill(r.path, id_of(&hidden, kind)));
        for (role, pair) in &people {
            let allowed = r.access.allows(Some(*role));
            let outsider = status(&r.method, hidden_path.clone(), &pair[0].1).await;
            let expected = if allowed {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            if outsider != expected {
                wrong.push(format!("{} {hidden_path} as an outsider {role}: {outsider}", r.method));
            }
            let on_plain = status(&r.method, plain_path.clone(), &pair[1].1).await;
            let member = status(&r.method, hidden_path.clone(), &pair[1].1).await;
            assert!(!member.is_server_error(), "{} {hidden_path}: {member}", r.method);
            if member != on_plain {
                wrong.push(format!(
                    "{} {hidden_path} as a member {role}: {member}, but {on_plain} out of any compartment",
                    r.method
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "every record route was called as each role ({checked})");
    assert!(
        wrong.is_empty(),
        "{} answers leak a compartment:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

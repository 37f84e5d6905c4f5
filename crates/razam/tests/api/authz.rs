//! The authorisation matrix, generated from the router's own table (`razam_web::page_routes`):
//! every page route is called by a visitor and by an account of every role, and each answer
//! must be what the route's rule says — a visitor sent to the login page, a role without the
//! permission refused with the 403 page before anything of the route runs, every other
//! account let through to the handler. The matrix is also written out as
//! docs/authorization.md; a route added, removed or given another rule changes it, and this
//! test fails until the document says the same (`RAZAM_BLESS=1` rewrites it after review).

use razam_app::Actor;
use razam_app::evidence::{Attachment, Capture};
use razam_app::observation::ElectionForm;
use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_core::Role;
use razam_core::registry::{Confidentiality, EventKind, PersonRole};
use razam_web::Access;
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

async fn call(app: &TestApp, client: &reqwest::Client, method: &reqwest::Method, path: &str) -> Answer {
    let path = path
        .split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    let path = if path.is_empty() { "/".to_owned() } else { path };
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
         decides what a page shows (docs/registry.md).\n\n",
    );
    out.push_str("| method | path | rule | visitor |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    let mark = |ok: bool| if ok { "✓" } else { "·" };
    for r in razam_web::page_routes() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |",
            r.method,
            r.path,
            r.access.describe(),
            mark(r.access.allows(None))
        ));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", mark(r.access.allows(Some(role)))));
        }
        out.push('\n');
    }
    out.push_str("\n## The API (`/api/v1`, a bearer token of the account)\n\n| method | path | rule | no token |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for r in razam_web::api_routes() {
        out.push_str(&format!(
            "| {} | `/api/v1{}` | {} | {} |",
            r.method,
            r.path,
            r.access.describe(),
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

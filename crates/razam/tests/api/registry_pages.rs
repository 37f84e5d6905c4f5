//! The documenters' pages over HTTP on both databases: forms with their errors beside the
//! fields, the person timeline, sources, history, recognition, lists with filters and paging,
//! and who may see and do what.

use razam_app::Actor;
use razam_app::registry::{Identity, PersonFilter, PersonInput};
use razam_core::Role;
use razam_core::registry::Confidentiality;
use reqwest::StatusCode;

use crate::helpers::{TestApp, add_user};
use crate::on_both_databases;

async fn user(app: &TestApp, username: &str, role: Role) -> reqwest::Client {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    app.logged_in_client(username, &password).await
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

fn id_from(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_documenter_works_through_the_pages(app: TestApp) {
    let doc = user(&app, "ales", Role::Documenter).await;
    let reviewer = user(&app, "hanna", Role::Reviewer).await;

    // A form without a name comes back with the error beside the field and the typed values kept.
    let (status, form) = app.get(&doc, "/persons/new").await;
    assert_eq!(status, StatusCode::OK);
    let r = app
        .post_form(
            &doc,
            "/persons",
            &form,
            &[
                ("given_name", ""),
                ("family_name", ""),
                ("birth_date", "1984-13"),
                ("notes", "кватэра на Сурганава"),
                ("region", "minsk-city"),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"e-family_name\""),
        "the name error sits beside its field"
    );
    assert!(
        page.contains("id=\"e-birth_date\""),
        "the date error sits beside its field"
    );
    assert!(page.contains("кватэра на Сурганава"), "typed values are kept");
    assert!(
        page.contains("href=\"#f-family_name\""),
        "the summary links to the field"
    );
    assert!(
        page.contains("autofocus"),
        "the cursor starts in the first refused field"
    );

    let r = app
        .post_form(
            &doc,
            "/persons",
            &form,
            &[
                ("given_name", "Аляксандр"),
                ("family_name", "Лукашэвіч"),
                ("variants", "Aliaksandr Lukashevich\nАлександр Лукашевич"),
                ("birth_date", "1984"),
                ("region", "minsk-city"),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let person = id_from(&location(&r), "/persons/");
    let (status, page) = app.get(&doc, &format!("/persons/{person}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Лукашэвіч") && page.contains("Aliaksandr Lukashevich"));

    // An event from the person page: the form comes with the person filled in.
    let (_, form) = app.get(&doc, &format!("/events/new?person={person}")).await;
    assert!(form.contains(&format!("P-{person:06} victim")));
    let r = app
        .post_form(
            &doc,
            "/events",
            &form,
            &[
                ("kind", "detention"),
                ("date", "2020-08-10"),
                ("persons", &format!("P-{person:06} victim\nP-999999 witness")),
                ("region", "minsk-city"),
                ("facility", "ЦІП на Акрэсціна"),
                ("articles", ""),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown person is refused"
    );
    assert!(r.text().await.unwrap().contains("id=\"e-persons\""));
    let r = app
        .post_form(
            &doc,
            "/events",
            &form,
            &[
                ("kind", "administrative_arrest"),
                ("date", "2020-08"),
                ("persons", &format!("P-{person:06}")),
                ("region", "minsk-city"),
                ("facility", "ЦІП на Акрэсціна"),
                ("arrest_days", "15"),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let event = id_from(&location(&r), "/events/");
    let (_, page) = app.get(&doc, &format!("/events/{event}")).await;
    assert!(page.contains(&format!("href=\"/persons/{person}\"")));
    assert!(page.contains("ЦІП на Акрэсціна"));

    // The new-event form carries an idempotency key: sent twice (a click again after a lost
    // answer) it creates one event, and both answers lead to it; the next form has another.
    let key_of = |page: &str| {
        let marker = "name=\"key\" value=\"";
        let at = page.find(marker).expect("the new-event form has a key") + marker.len();
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    };
    let (_, fresh) = app.get(&doc, "/events/new").await;
    let key = key_of(&fresh);
    let victim = format!("P-{person:06}");
    let fields = [
        ("kind", "detention"),
        ("date", "2020-09-13"),
        ("persons", victim.as_str()),
        ("region", "minsk-city"),
        ("confidentiality", "internal"),
        ("key", key.as_str()),
    ];
    let first = app.post_form(&doc, "/events", &fresh, &fields).await;
    let second = app.post_form(&doc, "/events", &fresh, &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));
    assert!(id_from(&location(&first), "/events/") > event);
    let (_, again) = app.get(&doc, "/events/new").await;
    assert_ne!(key_of(&again), key);
    let (_, edit) = app.get(&doc, &format!("/events/{event}/edit")).await;
    assert!(!edit.contains("name=\"key\""), "a change is made once by its version");

    // A source on the event, with its title required.
    let r = app
        .post_form(
            &doc,
            &format!("/events/{event}/sources"),
            &page,
            &[
                ("kind", "media_article"),
                ("title", ""),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-title\""));
    let r = app
        .post_form(
            &doc,
            &format!("/events/{event}/sources"),
            &page,
            &[
                ("kind", "testimony"),
                ("title", "Сведчанне сваякоў"),
                ("reference", "archive 2020/114"),
                ("confidentiality", "restricted"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&doc, &format!("/events/{event}")).await;
    assert!(page.contains("Сведчанне сваякоў") && page.contains("archive 2020/114"));

    // The timeline shows the event with its facts.
    let (_, page) = app.get(&doc, &format!("/persons/{person}")).await;
    assert!(page.contains(&format!("href=\"/events/{event}\"")));
    assert!(page.contains("2020-08") && page.contains("15 days of arrest"));

    // Edit: a change is saved; an edit from the stale form is refused, nothing lost.
    let (_, edit) = app.get(&doc, &format!("/persons/{person}/edit")).await;
    let at = edit.find("name=\"version\" value=\"").unwrap() + 22;
    let version = edit[at..].split('"').next().unwrap().to_owned();
    let fields = |notes: &'static str| {
        vec![
            ("version", version.as_str()),
            ("given_name", "Аляксандр"),
            ("family_name", "Лукашэвіч"),
            ("patronymic", "Пятровіч"),
            ("birth_date", "1984"),
            ("region", "minsk-city"),
            ("notes", notes),
            ("confidentiality", "internal"),
        ]
    };
    let r = app
        .post_form(&doc, &format!("/persons/{person}"), &edit, &fields("first edit"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(&doc, &format!("/persons/{person}"), &edit, &fields("second edit"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text().await.unwrap().contains("second edit"),
        "the refused text is still in the form"
    );
    let (_, history) = app.get(&doc, &format!("/persons/{person}/history")).await;
    assert!(history.contains("<ins>Пятровіч</ins>") && history.contains("<ins>first edit</ins>"));
    assert!(!history.contains("second edit"));
    assert!(history.contains("Тэст"), "the history names who changed it");

    // A documenter may not recognise; a reviewer does it from the person page.
    let (_, page) = app.get(&doc, &format!("/persons/{person}")).await;
    assert!(!page.contains("/recognition\""), "no recognition form for a documenter");
    let r = app
        .post_form(
            &doc,
            &format!("/persons/{person}/recognition"),
            &page,
            &[("recognized_on", "2020-09-01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = app.get(&reviewer, &format!("/persons/{person}")).await;
    let r = app
        .post_form(
            &reviewer,
            &format!("/persons/{person}/recognition"),
            &page,
            &[("recognized_on", "2020-09-31")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-recognized_on\""));
    let r = app
        .post_form(
            &reviewer,
            &format!("/persons/{person}/recognition"),
            &page,
            &[
                ("recognized_on", "2020-09-01"),
                ("criteria", "3.b"),
                ("reasoning", "peaceful protest"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &reviewer,
            &format!("/persons/{person}/statuses"),
            &page,
            &[("status", "released"), ("on", "2021-03-01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&reviewer, &format!("/persons/{person}")).await;
    assert!(page.contains("2020-09-01") && page.contains("peaceful protest"));
    assert!(page.contains("released"));
    let (_, list) = app.get(&reviewer, "/persons?status=held&as_of=2020-12-31").await;
    assert!(list.contains(&format!("P-{person:06}")));
    let (_, list) = app.get(&reviewer, "/persons?status=held&as_of=2021-03-01").await;
    assert!(!list.contains(&format!("P-{person:06}")));
}
on_both_databases!(a_documenter_works_through_the_pages);

async fn lists_filter_page_and_hide_what_a_role_may_not_see(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let level_of = |i: usize| {
        if i == 0 {
            Confidentiality::Restricted
        } else {
            Confidentiality::Internal
        }
    };
    // 61 persons: one restricted, 60 internal; every third in Grodno.
    for i in 0..61 {
        let input = PersonInput {
            identity: Identity {
                family_name: format!("Прозвішча{i:03}"),
                ..Identity::default()
            },
            region: Some(if i % 3 == 0 { "grodno" } else { "brest" }.to_owned()),
            confidentiality: level_of(i),
            consent_to_publish: false,
        };
        add_person_as_cli(a, &cli, &input).await;
    }
    let doc = user(&app, "ales", Role::Documenter).await;
    let viewer = user(&app, "volha", Role::Viewer).await;
    let volunteer = user(&app, "ihar", Role::Volunteer).await;

    let (_, first) = app.get(&doc, "/persons").await;
    assert_eq!(first.matches("<tr><td><a href=\"/persons/").count(), 50);
    assert!(first.contains("Прозвішча060"), "newest first");
    let next = first.split("rel=\"next\"").next().unwrap();
    let href = next.rsplit("href=\"").next().unwrap().split('"').next().unwrap();
    let (_, second) = app.get(&doc, href).await;
    assert_eq!(second.matches("<tr><td><a href=\"/persons/").count(), 11);
    assert!(second.contains("Прозвішча000"), "the restricted one, for a documenter");
    assert!(!second.contains("rel=\"next\""));

    let (_, grodno) = app.get(&doc, "/persons?region=grodno").await;
    assert_eq!(grodno.matches("<tr><td><a href=\"/persons/").count(), 21);
    let (_, grodno) = app.get(&viewer, "/persons?region=grodno").await;
    assert_eq!(grodno.matches("<tr><td><a href=\"/persons/").count(), 20);
    assert!(
        !grodno.contains("Прозвішча000"),
        "a viewer does not see restricted persons"
    );

    // The start page offers what each role may do, and nothing else.
    let start = |page: String| {
        page.split("id=\"start\"")
            .nth(1)
            .unwrap()
            .split("</ul>")
            .next()
            .unwrap()
            .to_owned()
    };
    let doc_start = start(app.get(&doc, "/").await.1);
    for href in ["/triage", "/persons/new", "/persons", "/events", "/export", "/figures"] {
        assert!(doc_start.contains(&format!("href=\"{href}\"")), "documenter: {href}");
    }
    let viewer_start = start(app.get(&viewer, "/").await.1);
    assert!(viewer_start.contains("href=\"/persons\""));
    for href in ["/triage", "/persons/new", "/export"] {
        assert!(!viewer_start.contains(&format!("href=\"{href}\"")), "viewer: {href}");
    }
    let volunteer_start = start(app.get(&volunteer, "/").await.1);
    assert!(!volunteer_start.contains("href=\"/persons\"") && volunteer_start.contains("href=\"/figures\""));

    // A viewer reads but does not write; a volunteer does not read; a visitor logs in first.
    let (status, _) = app.get(&viewer, "/persons/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = app.get(&viewer, "/persons").await;
    assert!(!page.contains("/persons/new"));
    let r = app
        .post_form(
            &viewer,
            "/persons",
            &page,
            &[("family_name", "X"), ("confidentiality", "internal")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = app.get(&volunteer, "/persons").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&volunteer, "/events").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&crate::helpers::client(), "/persons").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let restricted = a
        .list_persons(&cli_reader(&app).await, PersonFilter::default(), None, 500)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.confidentiality == Confidentiality::Restricted)
        .unwrap();
    let (status, _) = app.get(&viewer, &format!("/persons/{}", restricted.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&viewer, &format!("/persons/{}/history", restricted.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
on_both_databases!(lists_filter_page_and_hide_what_a_role_may_not_see);

async fn add_person_as_cli(app: &razam_app::App, actor: &Actor, input: &PersonInput) -> i64 {
    app.create_person(actor, input).await.unwrap()
}

/// An admin actor, who may read every level.
async fn cli_reader(app: &TestApp) -> Actor {
    Actor::Account(
        app.app
            .log_in(crate::helpers::ADMIN, crate::helpers::ADMIN_PASSWORD, None)
            .await
            .unwrap()
            .user,
    )
}

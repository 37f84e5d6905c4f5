//! Compartments on both databases: a record in one is left out of every list, search,
//! duplicate candidate, export and linking page of an account outside it (an admin too, until
//! the admin adds themselves, which is audited); a member sees it; one may write only into
//! one's own compartments; a move is audited. The figures still count it (they name nobody).

use razam_app::Actor;
use razam_app::compartments::RecordKind;
use razam_app::evidence::{Attachment, Capture};
use razam_app::export::{ExportFormat, ExportKind};
use razam_app::registry::{EventDetails, EventFilter, EventInput, Identity, PersonFilter, PersonInput};
use razam_core::Role;
use razam_core::registry::{Confidentiality, EventKind, PersonRole};
use sqlx::Connection;

use crate::helpers::{Db, TestApp, add_user};
use crate::on_both_databases;

fn person(given: &str, family: &str, birth: &str) -> PersonInput {
    PersonInput {
        identity: Identity {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: "Віктаравіч".into(),
            birth_date: birth.into(),
            ..Identity::default()
        },
        region: Some("minsk".into()),
        confidentiality: Confidentiality::Internal,
        consent_to_publish: false,
    }
}

fn detention(persons: Vec<i64>, description: &str) -> EventInput {
    EventInput {
        kind: EventKind::Detention,
        date: None,
        region: Some("minsk".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails {
            description: description.into(),
            ..EventDetails::default()
        },
        confidentiality: Confidentiality::Internal,
        articles: Vec::new(),
        persons: persons.into_iter().map(|p| (p, PersonRole::Victim)).collect(),
    }
}

/// Logs in a new account of `role` (the session carries its compartments as they are now).
async fn account(app: &TestApp, name: &str, role: Role) -> (i64, String) {
    let password = format!("{name}-password-1");
    add_user(&app.app, name, "Тэст", role, &password).await;
    let users = app.app.list_users(&Actor::Cli).await.unwrap();
    (users.iter().find(|u| u.username == name).unwrap().id, password)
}

async fn actor(app: &TestApp, name: &str, password: &str) -> Actor {
    Actor::Account(app.app.log_in(name, password, None).await.unwrap().user)
}

/// The objects of the audit entries recorded under `action`.
async fn audited(app: &TestApp, action: &str) -> Vec<String> {
    let sql = "SELECT object FROM audit_log WHERE action = $1 ORDER BY seq";
    match app.db {
        Db::Sqlite => {
            let url = format!("sqlite://{}", app.data_dir().join("razam.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(sql).bind(action).fetch_all(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query_scalar(sql).bind(action).fetch_all(&mut conn).await.unwrap()
        }
    }
}

/// What `who` sees of the registry: person ids listed, event ids listed, person ids and event
/// ids found by searching `name` and `word`, persons in duplicate pairs, and the persons
/// export's text.
async fn sight(
    app: &TestApp,
    who: &Actor,
    name: &str,
    word: &str,
) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) {
    let a = &app.app;
    let persons = a.list_persons(who, PersonFilter::default(), None, 100).await.unwrap();
    let events = a.list_events(who, EventFilter::default(), None, 100).await.unwrap();
    let by_name = a.search(who, name, 50).await.unwrap();
    let by_word = a.search(who, word, 50).await.unwrap();
    // A page of one counts what a page of fifty counts: the hidden matches beyond the page
    // are out of the count too.
    let one = a.search(who, name, 1).await.unwrap();
    assert_eq!(
        one.persons.any, by_name.persons.any,
        "a page of one counts a hidden person"
    );
    assert_eq!(
        one.persons.all, by_name.persons.all,
        "a page of one counts a hidden person"
    );
    assert_eq!(
        by_name.persons.any,
        by_name.persons.hits.len(),
        "the count names no hidden person"
    );
    assert_eq!(
        by_word.events_total,
        by_word.events.len(),
        "the count names no hidden event"
    );
    let pairs = a.duplicate_candidates(who).await.unwrap();
    (
        persons.iter().map(|p| p.id).collect(),
        events.iter().map(|e| e.id).collect(),
        by_name.persons.hits.iter().map(|h| h.id).collect(),
        by_word.events.iter().map(|e| e.id).collect(),
        pairs.iter().flat_map(|p| [p.survivor.id, p.merged.id]).collect(),
    )
}

/// The persons export of `who`, approved by `approver`.
async fn exported(app: &TestApp, who: &Actor, approver: &Actor) -> String {
    let a = &app.app;
    let id = a
        .request_export_approval(who, ExportKind::Persons, ExportFormat::Csv)
        .await
        .unwrap();
    a.decide_export_approval(approver, id, true).await.unwrap();
    let file = a.export(who, ExportKind::Persons, ExportFormat::Csv).await.unwrap();
    String::from_utf8(file.bytes).unwrap()
}

async fn a_compartment_hides_its_records_from_everyone_outside_it(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let legal = a.create_compartment(&cli, "Юрысты").await.unwrap();
    assert!(
        a.create_compartment(&cli, " Юрысты ").await.is_err(),
        "a name is taken once"
    );
    let too_long = "x".repeat(razam_app::compartments::NAME_MAX + 1);
    assert!(a.create_compartment(&cli, &too_long).await.unwrap_err().is_bad_input());

    // An open person, and a likely duplicate of them in the compartment with an event there
    // that names both: the open person's page must not show it.
    let open = a
        .create_person(&cli, &person("Алесь", "Бяляцкі", "1962-09-25"))
        .await
        .unwrap();
    let hidden = a
        .create_person_in(&cli, &person("Ales", "Bialiatski", "1962-09-25"), Some(legal))
        .await
        .unwrap();
    let open_event = a.create_event(&cli, &detention(vec![open], "агульны")).await.unwrap();
    let hidden_event = a
        .create_event_in(&cli, &detention(vec![open, hidden], "таемны"), Some(legal))
        .await
        .unwrap();
    a.prepare_search().await.unwrap();

    let (outsider_id, pw) = account(&app, "ales", Role::Documenter).await;
    let outsider = actor(&app, "ales", &pw).await;
    let (member_id, pw) = account(&app, "vera", Role::Documenter).await;
    a.set_compartment_member(&cli, legal, member_id, true).await.unwrap();
    let member = actor(&app, "vera", &pw).await;
    let (admin_id, admin_pw) = account(&app, "root", Role::Admin).await;
    let admin = actor(&app, "root", &admin_pw).await;
    let (_, pw) = account(&app, "rita", Role::Reviewer).await;
    let reviewer = actor(&app, "rita", &pw).await;

    // The member sees both persons, both events, the pair; outsiders of any role see none of
    // the compartment's records.
    let (persons, events, by_name, by_word, paired) = sight(&app, &member, "Бяляцкі", "таемны").await;
    assert!(persons.contains(&hidden) && persons.contains(&open));
    assert!(events.contains(&hidden_event) && events.contains(&open_event));
    assert!(by_name.contains(&hidden), "{by_name:?}");
    assert_eq!(by_word, vec![hidden_event]);
    assert!(
        paired.contains(&hidden) && paired.contains(&open),
        "the pair is proposed: {paired:?}"
    );
    for who in [&outsider, &admin] {
        let (persons, events, by_name, by_word, paired) = sight(&app, who, "Бяляцкі", "таемны").await;
        assert_eq!(persons, vec![open]);
        assert_eq!(events, vec![open_event]);
        assert_eq!(by_name, vec![open]);
        assert!(by_word.is_empty());
        assert!(
            paired.is_empty(),
            "no duplicate candidate names a hidden person: {paired:?}"
        );
        let page = a.person_page(who, open).await.unwrap();
        assert_eq!(
            page.events.iter().map(|(e, _)| e.id).collect::<Vec<_>>(),
            vec![open_event]
        );
        let warned = a
            .probable_matches(who, &person("Ales", "Bialiatski", "1962-09-25").identity, &[])
            .await
            .unwrap();
        assert!(
            warned.iter().all(|(p, _)| p.id != hidden),
            "the form's warning names no hidden person"
        );
        for e in [
            a.person_page(who, hidden).await.err(),
            a.event_page(who, hidden_event).await.err(),
        ] {
            assert!(matches!(e, Some(razam_app::AppError::NotFound(_))), "{e:?}");
        }
        assert!(matches!(
            a.history(who, "person", hidden).await,
            Err(razam_app::AppError::NotFound(_))
        ));
    }
    // An evidence case lists only the items attached to what the reader sees, a source of a
    // hidden event included.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("note.txt");
    std::fs::write(&file, "a note").unwrap();
    let source = a
        .add_source(
            &cli,
            hidden_event,
            &razam_app::sources::SourceInput {
                kind: razam_core::registry::SourceKind::Testimony,
                details: razam_app::sources::SourceDetails {
                    title: "Сведка".into(),
                    ..Default::default()
                },
                confidentiality: Confidentiality::Internal,
            },
        )
        .await
        .unwrap();
    let mut items = Vec::new();
    for attachment in [
        Attachment::Person(open),
        Attachment::Person(hidden),
        Attachment::Event(hidden_event),
        Attachment::Source(source),
    ] {
        let item = a
            .add_evidence_file(
                &cli,
                "CASE 1",
                &file,
                &Capture::default(),
                attachment,
                Confidentiality::Internal,
            )
            .await
            .unwrap();
        items.push(item.id);
    }
    let case = a.evidence_cases(&cli).await.unwrap()[0].id;
    for (who, expected) in [(&outsider, vec![items[0]]), (&member, items.clone())] {
        let (_, shown) = a.evidence_case(who, case).await.unwrap();
        assert_eq!(shown.iter().map(|i| i.id).collect::<Vec<_>>(), expected);
    }

    // The member's view of the open event's page names the hidden person; an outsider's not.
    let seen = a.event_page(&member, hidden_event).await.unwrap();
    assert_eq!(seen.persons.len(), 2);
    let list = a
        .list_events(&outsider, EventFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(list.iter().all(|e| e.persons.iter().all(|p| p.0 != hidden)));

    // An open event that names the hidden person too: the outsider's event page, events list
    // and the open person's timeline name only the open person, the member's both; and an
    // outsider's edit of the event keeps the person they were never shown.
    let shared = a
        .create_event(&cli, &detention(vec![open, hidden], "сумесны"))
        .await
        .unwrap();
    let named = |e: &razam_app::registry::EventView| {
        let mut ids: Vec<i64> = e.persons.iter().map(|p| p.0).collect();
        ids.sort_unstable();
        ids
    };
    let both = {
        let mut ids = vec![open, hidden];
        ids.sort_unstable();
        ids
    };
    assert_eq!(named(&a.event_page(&member, shared).await.unwrap()), both);
    let shown = a.event_page(&outsider, shared).await.unwrap();
    assert_eq!(named(&shown), vec![open]);
    let listed = a
        .list_events(&outsider, EventFilter::default(), None, 10)
        .await
        .unwrap();
    let in_list = listed
        .iter()
        .find(|e| e.id == shared)
        .expect("the open event is listed");
    assert_eq!(named(in_list), vec![open]);
    for (who, expected) in [(&outsider, vec![open]), (&member, both.clone())] {
        let page = a.person_page(who, open).await.unwrap();
        let (event, _) = page.events.iter().find(|(e, _)| e.id == shared).unwrap();
        assert_eq!(named(event), expected);
    }
    a.update_event_in(
        &outsider,
        shared,
        shown.version,
        &detention(vec![open], "сумесны, выпраўлена"),
        None,
    )
    .await
    .unwrap();
    let edited = a.event_page(&member, shared).await.unwrap();
    assert_eq!(edited.details.description, "сумесны, выпраўлена");
    assert_eq!(named(&edited), both, "the outsider's edit kept the hidden person");
    // The event's history names the hidden person to the member only.
    let mentions = |history: &[razam_app::registry::VersionView], id: i64| {
        history
            .iter()
            .flat_map(|v| v.changes.iter())
            .filter(|(field, _, _)| field == "persons")
            .flat_map(|(_, before, after)| [before, after])
            .flat_map(|value| value.split("; "))
            .any(|entry| entry.split_once(':').is_some_and(|(p, _)| p == id.to_string()))
    };
    let seen_by_member = a.history(&member, "event", shared).await.unwrap();
    assert!(mentions(&seen_by_member, hidden) && mentions(&seen_by_member, open));
    let seen_by_outsider = a.history(&outsider, "event", shared).await.unwrap();
    assert!(mentions(&seen_by_outsider, open));
    assert!(!mentions(&seen_by_outsider, hidden), "{seen_by_outsider:?}");

    // Exports: the outsider's file holds only the open person, the member's both.
    let label = |id| razam_app::registry::label_for(id);
    let file = exported(&app, &outsider, &reviewer).await;
    assert!(file.contains(&label(open)) && !file.contains(&label(hidden)), "{file}");
    let file = exported(&app, &member, &reviewer).await;
    assert!(file.contains(&label(open)) && file.contains(&label(hidden)), "{file}");

    // Writes: only into one's own compartment, with a clear refusal and nothing written.
    let before = a
        .list_persons(&cli, PersonFilter::default(), None, 100)
        .await
        .unwrap()
        .len();
    let refused = a
        .create_person_in(&outsider, &person("Марыя", "Калеснікава", ""), Some(legal))
        .await
        .unwrap_err();
    assert!(refused.is_bad_input(), "{refused}");
    let after = a
        .list_persons(&cli, PersonFilter::default(), None, 100)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);
    assert!(
        a.move_to_compartment(&outsider, RecordKind::Person, hidden, None)
            .await
            .is_err()
    );

    // The admin adds themselves (audited), sees inside with the next session, and the member
    // moves the open event into the compartment (audited): the outsider loses it.
    a.set_compartment_member(&admin, legal, admin_id, true).await.unwrap();
    let admin = actor(&app, "root", &admin_pw).await;
    assert!(a.person_page(&admin, hidden).await.is_ok());
    a.move_to_compartment(&member, RecordKind::Event, open_event, Some(legal))
        .await
        .unwrap();
    let left: Vec<i64> = a
        .list_events(&outsider, EventFilter::default(), None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, vec![shared], "only the shared event is left to the outsider");
    assert!(
        audited(&app, "compartment.member.add")
            .await
            .contains(&format!("compartment:{legal}+account:{admin_id}"))
    );
    assert_eq!(
        audited(&app, "event.compartment").await,
        vec![format!("event:{hidden_event}"), format!("event:{open_event}")]
    );
    assert_eq!(
        audited(&app, "person.compartment").await,
        vec![format!("person:{hidden}")]
    );
    assert_eq!(
        audited(&app, "compartment.create").await,
        vec![format!("compartment:{legal}")]
    );
    let _ = outsider_id;
}
on_both_databases!(a_compartment_hides_its_records_from_everyone_outside_it);

/// The pages and the API: an admin makes a compartment and a member on its page, the member
/// puts a person into it with the person form (which offers only the member's compartments)
/// and an event with the API; an outsider gets 404 on both; a change through the API that
/// leaves the field out keeps the record where it is.
async fn the_admin_page_the_forms_and_the_api_place_records(app: TestApp) {
    let (_, admin_pw) = account(&app, "root", Role::Admin).await;
    let admin = app.logged_in_client("root", &admin_pw).await;
    let (member_id, member_pw) = account(&app, "vera", Role::Documenter).await;
    let (_, outsider_pw) = account(&app, "ales", Role::Documenter).await;

    let (status, page) = app.get(&admin, "/admin/compartments").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let r = app
        .post_form(&admin, "/admin/compartments", &page, &[("name", "Юрысты")])
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let r = app
        .post_form(&admin, "/admin/compartments", &page, &[("name", "")])
        .await;
    assert_eq!(
        r.status(),
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "an empty name is refused"
    );
    assert!(r.text().await.unwrap().contains("A name of 1 to 40 characters"));
    let legal = a_compartment_id(&app).await;
    let member = member_id.to_string();
    let r = app
        .post_form(
            &admin,
            &format!("/admin/compartments/{legal}/members"),
            &page,
            &[("account", member.as_str()), ("action", "add")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let (_, page) = app.get(&admin, "/admin/compartments").await;
    assert!(page.contains("Юрысты") && page.contains("Тэст"), "the member is listed");

    // The person form offers the member's compartment, and an outsider's form offers none.
    let vera = app.logged_in_client("vera", &member_pw).await;
    let ales = app.logged_in_client("ales", &outsider_pw).await;
    let (_, form) = app.get(&vera, "/persons/new").await;
    assert!(form.contains("name=\"compartment\"") && form.contains("Юрысты"));
    let (_, other) = app.get(&ales, "/persons/new").await;
    assert!(!other.contains("name=\"compartment\""));
    let legal_text = legal.to_string();
    let r = app
        .post_form(
            &vera,
            "/persons",
            &form,
            &[
                ("family_name", "Бабарыка"),
                ("given_name", "Віктар"),
                ("confidentiality", "internal"),
                ("compartment", legal_text.as_str()),
                ("create_anyway", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(app.get(&vera, &at).await.0, reqwest::StatusCode::OK);
    let (status, body) = app.get(&ales, &at).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    assert!(!body.contains("Бабарыка"));
    // A form refused and shown again still offers the member's compartments (they are read
    // only when it is shown again).
    let (_, form) = app.get(&vera, "/persons/new").await;
    let r = app
        .post_form(
            &vera,
            "/persons",
            &form,
            &[
                ("family_name", "Бабарыка"),
                ("birth_date", "not a date"),
                ("confidentiality", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let again = r.text().await.unwrap();
    assert!(
        again.contains("name=\"compartment\"") && again.contains("Юрысты"),
        "{again}"
    );
    // An outsider cannot put a record into it: a clear refusal, nothing written.
    let (_, form) = app.get(&ales, "/persons/new").await;
    let r = app
        .post_form(
            &ales,
            "/persons",
            &form,
            &[
                ("family_name", "Лукашэвіч"),
                ("confidentiality", "internal"),
                ("compartment", legal_text.as_str()),
                ("create_anyway", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("only put a record into a compartment you are a member of"));
    assert!(refused.contains("Лукашэвіч"), "the form keeps what was typed");
    let listed = app
        .app
        .list_persons(&Actor::Cli, PersonFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "nothing written");

    // The API: the field in and out; a PUT without it keeps the compartment.
    let token = crate::api::token_for(&app, "vera-api", Role::Documenter).await;
    let api_id = app
        .app
        .list_users(&Actor::Cli)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "vera-api")
        .unwrap()
        .id;
    app.app
        .set_compartment_member(&Actor::Cli, legal, api_id, true)
        .await
        .unwrap();
    let outsider_token = crate::api::token_for(&app, "ales-api", Role::Documenter).await;
    let api = crate::helpers::client();
    let r = api
        .post(app.url("/api/v1/events"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "detention", "confidentiality": "internal", "compartment": legal}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let event: serde_json::Value = r.json().await.unwrap();
    assert_eq!(event["compartment"], legal);
    let path = format!("/api/v1/events/{}", event["id"]);
    let mut changed = event.clone();
    changed.as_object_mut().unwrap().remove("compartment");
    changed["description"] = "змена".into();
    let r = api
        .put(app.url(&path))
        .bearer_auth(&token)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let after: serde_json::Value = r.json().await.unwrap();
    assert_eq!(after["compartment"], legal, "left out, the compartment stays");
    let r = api
        .get(app.url(&path))
        .bearer_auth(&outsider_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
}
on_both_databases!(the_admin_page_the_forms_and_the_api_place_records);

async fn a_compartment_id(app: &TestApp) -> i64 {
    app.app.own_compartments(&Actor::Cli).await.unwrap()[0].0
}

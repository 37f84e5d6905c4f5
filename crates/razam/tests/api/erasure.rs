//! Erasure of a person on both databases: the group goes together, every text naming them is
//! redacted, the ids, events, figures, assistance cases, ledger and audit chain stay whole,
//! and the name is found nowhere afterwards (pages, API, search, duplicates, export, files).
//! Under `[two_person] deletions` (on by default) an account's erasure waits for a second
//! administrator, and the requester never approves their own.

use razam_app::assistance::AssistanceForm;
use razam_app::export::{ExportFormat, ExportKind};
use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_app::sources::{SourceDetails, SourceInput};
use razam_app::{Actor, AppError};
use razam_core::Role;
use razam_core::registry::{Confidentiality, Day, EventKind, FuzzyDate, PersonRole, SourceKind};
use reqwest::StatusCode;
use serde_json::json;

use crate::api::{Api, token_for};
use crate::helpers::{TestApp, audit_log, files_below};
use crate::on_both_databases;

/// Every spelling of the erased man's name the test records; none may be found afterwards.
const SPELLINGS: [&str; 5] = ["Kavalenka", "Каваленка", "Коваленко", "Ales", "Алесь"];

fn person(family: &str, given: &str, variants: &[&str], notes: &str) -> PersonInput {
    PersonInput {
        identity: Identity {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: String::new(),
            variants: variants.iter().map(|v| (*v).into()).collect(),
            birth_date: "1990-04-05".into(),
            contacts: "+375 29 000 00 00".into(),
            notes: notes.into(),
        },
        region: Some("minsk-city".into()),
        confidentiality: Confidentiality::Internal,
        consent_to_publish: false,
    }
}

fn event(kind: EventKind, description: &str, persons: Vec<(i64, PersonRole)>) -> EventInput {
    EventInput {
        kind,
        date: Some(FuzzyDate::parse("2021-03-02").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: None,
        term_months: (kind == EventKind::Sentence).then_some(36),
        details: EventDetails {
            description: description.into(),
            settlement: "Мінск".into(),
            ..EventDetails::default()
        },
        confidentiality: Confidentiality::Internal,
        articles: Vec::new(),
        persons,
    }
}

fn assert_names_nobody(what: &str, text: &str) {
    for s in SPELLINGS {
        assert!(!text.contains(s), "{what} still names the erased person ({s}): {text}");
    }
}

async fn actor_of(app: &TestApp, username: &str) -> Actor {
    let password = format!("{username}-password-1");
    Actor::Account(app.app.log_in(username, &password, None).await.unwrap().user)
}

async fn figures(app: &TestApp) -> serde_json::Value {
    let day = Day::parse("2026-01-01").unwrap();
    serde_json::to_value(app.app.public_figures(day).await.unwrap()).unwrap()
}

async fn a_person_is_erased_with_their_group_and_nothing_else_changes(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    // Ales Kavalenka in two records (merged), and Ivan Piatrou, who shares an event with him.
    let ales = a
        .create_person(
            &cli,
            &person("Kavalenka", "Ales", &["Каваленка Алесь"], "met his sister"),
        )
        .await
        .unwrap();
    let twin = a
        .create_person(&cli, &person("Коваленко", "Алесь", &[], ""))
        .await
        .unwrap();
    let ivan = a
        .create_person(&cli, &person("Piatrou", "Ivan", &[], "witness"))
        .await
        .unwrap();
    let detained = a
        .create_event(
            &cli,
            &event(
                EventKind::Detention,
                "Ales Kavalenka was detained together with Ivan Piatrou",
                vec![(ales, PersonRole::Victim), (ivan, PersonRole::Witness)],
            ),
        )
        .await
        .unwrap();
    // A second version, so that an earlier snapshot names him too.
    let mut edited = event(
        EventKind::Detention,
        "KAVALENKA (Каваленка) detained with Ivan Piatrou",
        vec![(ales, PersonRole::Victim), (ivan, PersonRole::Witness)],
    );
    edited.details.facility = "Akrescina".into();
    a.update_event(&cli, detained, 1, &edited).await.unwrap();
    let sentenced = a
        .create_event(
            &cli,
            &event(
                EventKind::Sentence,
                "Коваленко sentenced to three years",
                vec![(twin, PersonRole::Victim)],
            ),
        )
        .await
        .unwrap();
    let unrelated = a
        .create_event(
            &cli,
            &event(
                EventKind::Search,
                "Ivan Piatrou's flat searched",
                vec![(ivan, PersonRole::Victim)],
            ),
        )
        .await
        .unwrap();
    a.add_source(
        &cli,
        detained,
        &SourceInput {
            kind: SourceKind::MediaArticle,
            details: SourceDetails {
                title: "Interview: Kavalenka's mother".into(),
                reference: "https://example.org/1".into(),
                notes: String::new(),
            },
            confidentiality: Confidentiality::Internal,
        },
    )
    .await
    .unwrap();
    a.recognise(
        &cli,
        ales,
        Day::parse("2021-05-01").unwrap(),
        "art. 1.1",
        "Kavalenka was detained for a peaceful protest",
    )
    .await
    .unwrap();
    let merge_version = |id| async move { a.person_page(&Actor::Cli, id).await.unwrap().person.version };
    a.merge_persons(
        &cli,
        (ales, merge_version(ales).await),
        (twin, merge_version(twin).await),
    )
    .await
    .unwrap();
    let case = a
        .request_assistance(
            &cli,
            &AssistanceForm {
                persons: format!("P-{ales:06}, P-{ivan:06}"),
                category: "legal-aid".into(),
                currency: "EUR".into(),
                amount: "300.00".into(),
                purpose: "Lawyer for Ales and Ivan".into(),
            },
        )
        .await
        .unwrap();
    a.prepare_search().await.unwrap();
    let figures_before = figures(&app).await;
    let ledger_before = a.ledger_check(&cli).await.unwrap();

    // The preview names what goes: both records, the spellings, the events and the case.
    token_for(&app, "olga", Role::Admin).await;
    let admin2 = token_for(&app, "pavel", Role::Admin).await;
    let olga = actor_of(&app, "olga").await;
    let pavel = actor_of(&app, "pavel").await;
    let preview = a.erasure_preview(&olga, twin).await.unwrap();
    assert_eq!(
        preview.id, ales,
        "a merged record is erased with the person it is merged into"
    );
    assert_eq!(preview.persons.len(), 2);
    assert_eq!(preview.events, vec![detained, sentenced]);
    assert_eq!(preview.events_redacted, vec![detained, sentenced]);
    assert_eq!((preview.sources_redacted, preview.recognitions_redacted), (1, 1));
    assert_eq!(preview.cases, vec![case.clone()]);

    // Two persons: olga asks, may not approve her own request, pavel approves, only olga erases.
    let refused = a.erase_person(&olga, ales, "request of 3 December").await;
    assert!(matches!(refused, Err(AppError::BadInput(_))), "{refused:?}");
    a.request_erasure(&olga, ales).await.unwrap();
    assert!(
        a.decide_erasure(&olga, ales, true).await.is_err(),
        "the requester approves her own"
    );
    a.decide_erasure(&pavel, ales, true).await.unwrap();
    let pavel_api = Api::new(&app, Some(&admin2));
    let (status, body) = pavel_api
        .post(
            &format!("/persons/{ales}/erase"),
            json!({"reason": "request of 3 December"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the approver erases: {body}");
    // A reason that names him is refused: the audit log keeps no names.
    let named = a.erase_person(&olga, ales, "Kavalenka asked by letter").await;
    assert!(
        matches!(named, Err(AppError::BadInput(ref m)) if m.starts_with("reason")),
        "{named:?}"
    );
    a.erase_person(&olga, ales, "request of 3 December").await.unwrap();
    // The approval is spent with the erasure.
    let again = a.erase_person(&olga, ales, "request of 3 December").await;
    assert!(
        matches!(again, Err(AppError::BadInput(ref m)) if m.contains("already")),
        "{again:?}"
    );

    // Both records stay, with their ids, marked erased, with nothing of him in them.
    let today = razam_app::today().to_string();
    for id in [ales, twin] {
        let page = a.person_page(&cli, id).await.unwrap();
        assert_eq!(page.person.identity, Identity::default());
        assert_eq!(page.person.erased_on.as_deref(), Some(today.as_str()));
        for v in a.history(&cli, "person", id).await.unwrap() {
            assert_names_nobody("a version of the person", &format!("{:?}", v.changes));
        }
    }
    let page = a.person_page(&cli, ales).await.unwrap();
    assert_eq!(page.merged_from.len(), 1, "the merge stays");
    let recognition = page.recognition.unwrap();
    assert_eq!(recognition.reasoning, "[erased] was detained for a peaceful protest");
    assert_eq!(recognition.recognized_on, "2021-05-01");
    // The events keep their ids, persons and kinds; only his names are gone from them.
    let e = a.event_page(&cli, detained).await.unwrap();
    assert_eq!(e.details.description, "[erased] ([erased]) detained with Ivan Piatrou");
    assert_eq!(e.persons.len(), 2);
    for v in a.history(&cli, "event", detained).await.unwrap() {
        assert_names_nobody("a version of the event", &format!("{:?}", v.changes));
    }
    assert_eq!(
        a.event_page(&cli, sentenced).await.unwrap().details.description,
        "[erased] sentenced to three years"
    );
    assert_eq!(
        a.event_page(&cli, unrelated).await.unwrap().details.description,
        "Ivan Piatrou's flat searched"
    );
    assert_names_nobody(
        "a source",
        &format!("{:?}", a.event_sources(&cli, detained).await.unwrap()[0].details),
    );
    // The case keeps its reference and amount; only its link to him is gone.
    let c = a.assistance_case(&cli, &case).await.unwrap();
    assert_eq!(c.details.persons, vec![ivan]);
    assert_eq!(c.details.purpose, "Lawyer for [erased] and Ivan");

    // Figures, events and the books are as they were; the audit chain verifies.
    assert_eq!(figures(&app).await, figures_before);
    let ledger_after = a.ledger_check(&cli).await.unwrap();
    assert!(ledger_after.problems.is_empty(), "{:?}", ledger_after.problems);
    assert_eq!(ledger_after.transfers, ledger_before.transfers);
    a.verify_audit(None, &|_| {}).await.unwrap();
    let log = audit_log(&app).await;
    let erasures: Vec<_> = log.iter().filter(|(_, action, _)| action == "person.erase").collect();
    assert_eq!(erasures.len(), 1, "{erasures:?}");
    assert_eq!(erasures[0].2, format!("person:{ales} reason:request of 3 December"));
    assert_names_nobody("the audit log", &format!("{log:?}"));

    // Found nowhere: search, lists, duplicates, export, the API.
    for word in SPELLINGS {
        let r = a.search(&cli, word, 50).await.unwrap();
        assert!(r.persons.hits.is_empty() && r.events.is_empty(), "search {word}: {r:?}");
    }
    let r = a.search(&cli, "Piatrou", 50).await.unwrap();
    assert_eq!(r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![ivan]);
    assert_names_nobody(
        "the duplicates",
        &format!("{:?}", a.duplicate_candidates(&cli).await.unwrap()),
    );
    for kind in [ExportKind::Persons, ExportKind::Events] {
        let file = a.export(&cli, kind, ExportFormat::Csv).await.unwrap();
        assert_names_nobody("an export", &String::from_utf8_lossy(&file.bytes));
    }
    let (status, body) = pavel_api.get(&format!("/persons/{ales}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["erased_on"], today.as_str());
    assert_names_nobody("the API's person", &body.to_string());
    let (_, body) = pavel_api.get("/persons?limit=500").await;
    assert_names_nobody("the API's list", &body.to_string());
    let (_, body) = pavel_api.get(&format!("/events/{detained}/history")).await;
    assert_names_nobody("the API's event history", &body.to_string());
    let c = crate::helpers::client();
    let web = app.logged_in_client("olga", "olga-password-1").await;
    for path in [
        format!("/persons/{ales}"),
        format!("/persons/{twin}"),
        "/persons".into(),
        format!("/events/{detained}"),
        format!("/events/{detained}/history"),
        format!("/persons/{ales}/history"),
        format!("/persons/{ales}/erase"),
        "/search?q=Piatrou".into(),
        "/persons/duplicates".into(),
    ] {
        let (status, html) = app.get(&web, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_names_nobody(&path, &html);
    }
    let (_, public) = app.get(&c, "/figures").await;
    assert_names_nobody("the public figures", &public);

    // The files of the data folder never held the name in the clear.
    let dir = app.stop().await;
    for file in files_below(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for s in SPELLINGS {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds {s}",
                file.display()
            );
        }
    }
}
on_both_databases!(a_person_is_erased_with_their_group_and_nothing_else_changes);

async fn only_an_administrator_erases_and_the_command_line_needs_no_second_person(app: TestApp) {
    let a = &app.app;
    let id = a
        .create_person(&Actor::Cli, &person("Kavalenka", "Ales", &[], ""))
        .await
        .unwrap();
    for role in [Role::Documenter, Role::Reviewer, Role::Coordinator, Role::Viewer] {
        let name = format!("u{}", role.as_str());
        let token = token_for(&app, &name, role).await;
        let actor = actor_of(&app, &name).await;
        assert!(matches!(a.erasure_preview(&actor, id).await, Err(AppError::Forbidden)));
        assert!(matches!(
            a.erase_person(&actor, id, "x").await,
            Err(AppError::Forbidden)
        ));
        let (status, _) = Api::new(&app, Some(&token))
            .post(&format!("/persons/{id}/erase"), json!({"reason": "x"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    // Bad input loses nothing: no reason, an unknown person.
    assert!(matches!(
        a.erase_person(&Actor::Cli, id, "  ").await,
        Err(AppError::BadInput(_))
    ));
    assert!(matches!(
        a.erase_person(&Actor::Cli, id + 100, "r").await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(
        a.person_page(&Actor::Cli, id)
            .await
            .unwrap()
            .person
            .identity
            .family_name,
        "Kavalenka"
    );
    a.erase_person(&Actor::Cli, id, "request by post").await.unwrap();
    assert!(a.person_page(&Actor::Cli, id).await.unwrap().person.erased_on.is_some());
}
on_both_databases!(only_an_administrator_erases_and_the_command_line_needs_no_second_person);

#[test]
fn the_command_line_erases_once_and_leaves_the_figures_the_books_and_the_chain_as_they_were() {
    use crate::cli::{Instance, code, stderr, stdout};
    let i = Instance::new();
    let list = i._tmp.path().join("list.csv");
    std::fs::write(
        &list,
        "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
         A1,Ales,Kavalenka,,1990,Minsk,2021-01-05,342,2021-01-10,\n\
         A2,Ivan,Piatrou,,1985,Minsk,2021-01-06,342,2021-01-11,\n",
    )
    .unwrap();
    let o = i.run(&["import", "prisoners"], &[list.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let figures = || {
        let o = i.run(
            &["stats", "political-prisoners"],
            &["--as-of", "2022-01-01", "--format", "json"],
            &[],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o)
    };
    let before = figures();
    let export = |name: &str| {
        let out = i._tmp.path().join(name);
        let o = i.run(&["export", "persons"], &["--out", out.to_str().unwrap()], &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        std::fs::read_to_string(out).unwrap()
    };
    let id = export("before.csv")
        .lines()
        .find(|l| l.contains("Kavalenka"))
        .and_then(|l| l.split(',').next())
        .map(|c| c.trim_matches('"').to_owned())
        .expect("the person is exported with their label first");

    // A reason that names him, and an unknown id, are refused with exit 2 and change nothing.
    let o = i.run(&["person", "erase"], &["--id", &id, "--reason", "Kavalenka asked"], &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("names the person"), "{}", stderr(&o));
    let o = i.run(&["person", "erase"], &["--id", "P-000999", "--reason", "r"], &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    let o = i.run(
        &["person", "erase"],
        &["--id", &id, "--reason", "request of 3 December"],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("erased"), "{}", stdout(&o));
    let o = i.run(
        &["person", "erase"],
        &["--id", &id, "--reason", "request of 3 December"],
        &[],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("erased on") && stderr(&o).contains("already"),
        "{}",
        stderr(&o)
    );

    assert_eq!(figures(), before, "the figures do not change");
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = i.run(&["ledger", "check"], &[], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = export("after.csv");
    assert_names_nobody("the export after the erasure", &after);
    assert!(after.contains("Piatrou"), "{after}");
}

//! The registry on both databases: persons, events, recognition, history, access by level.

use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_app::{Actor, AppError};
use razam_core::Role;
use razam_core::registry::{Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, PrisonerStatus};
use razam_store::registry::PersonFilter;

use crate::helpers::{TestApp, add_user};
use crate::on_both_databases;

async fn actor(app: &TestApp, username: &str, role: Role) -> Actor {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    Actor::Account(app.app.log_in(username, &password, None).await.unwrap().user)
}

fn person(given: &str, family: &str, level: Confidentiality) -> PersonInput {
    PersonInput {
        identity: Identity {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: String::new(),
            variants: vec!["Aliaksandr".into()],
            birth_date: "1984".into(),
            contacts: String::new(),
            notes: String::new(),
        },
        region: Some("minsk-city".into()),
        confidentiality: level,
        consent_to_publish: false,
    }
}

async fn a_documenter_records_and_a_reviewer_recognises(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let reviewer = actor(&app, "hanna", Role::Reviewer).await;
    let viewer = actor(&app, "volha", Role::Viewer).await;
    let volunteer = actor(&app, "ihar", Role::Volunteer).await;
    let a = &app.app;

    let id = a
        .create_person(
            &documenter,
            &person("Аляксандр", "Лукашэвіч", Confidentiality::Internal),
        )
        .await
        .unwrap();
    let detention = EventInput {
        kind: EventKind::Detention,
        date: Some(FuzzyDate::parse("2021-03").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails {
            facility: "ЦИП на Окрестина".into(),
            ..EventDetails::default()
        },
        confidentiality: Confidentiality::Internal,
        articles: vec![Article::parse("342").unwrap()],
        persons: vec![(id, PersonRole::Victim)],
    };
    let event = a.create_event(&documenter, &detention).await.unwrap();

    // A documenter may not recognise; a reviewer may.
    let day = Day::parse("2021-04-01").unwrap();
    assert!(matches!(
        a.recognise(&documenter, id, day, "a", "").await,
        Err(AppError::Forbidden)
    ));
    a.recognise(&reviewer, id, day, "Guidelines 3.b", "peaceful protest")
        .await
        .unwrap();
    let figures = a.prisoner_figures(Day::parse("2021-04-01").unwrap()).await.unwrap();
    assert_eq!((figures.held, figures.recognized_total), (1, 1));
    a.add_status(
        &reviewer,
        id,
        PrisonerStatus::Released,
        Day::parse("2022-01-01").unwrap(),
    )
    .await
    .unwrap();
    let figures = a.prisoner_figures(Day::parse("2022-01-01").unwrap()).await.unwrap();
    assert_eq!((figures.held, figures.recognized_total), (0, 1));

    // The person page: identity unsealed, the timeline, the recognition, the status history.
    let page = a.person_page(&viewer, id).await.unwrap();
    assert_eq!(page.person.identity.full_name(), "Лукашэвіч Аляксандр");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].0.details.facility, "ЦИП на Окрестина");
    assert_eq!(page.events[0].0.date.unwrap().to_string(), "2021-03");
    assert_eq!(page.recognition.as_ref().unwrap().criteria, "Guidelines 3.b");
    let statuses: Vec<_> = page.statuses.iter().map(|(s, d)| (s.as_str(), d.as_str())).collect();
    assert_eq!(statuses, [("held", "2021-04-01"), ("released", "2022-01-01")]);
    assert!(matches!(a.person_page(&volunteer, id).await, Err(AppError::Forbidden)));

    // A person with two roles in one event: the timeline shows it once per role, each time
    // whole (its articles and persons).
    let search = EventInput {
        kind: EventKind::Search,
        date: Some(FuzzyDate::parse("2021-05").unwrap()),
        articles: vec![Article::parse("361-1").unwrap()],
        persons: vec![(id, PersonRole::Victim), (id, PersonRole::Witness)],
        ..detention.clone()
    };
    let both = a.create_event(&documenter, &search).await.unwrap();
    let page = a.person_page(&viewer, id).await.unwrap();
    let twice: Vec<_> = page.events.iter().filter(|(e, _)| e.id == both).collect();
    assert_eq!(
        twice.iter().map(|(_, role)| *role).collect::<Vec<_>>(),
        [PersonRole::Victim, PersonRole::Witness]
    );
    for (event, _) in twice {
        assert_eq!(event.articles, ["361-1"]);
        assert_eq!(event.persons.len(), 2, "{:?}", event.persons);
    }

    // An edit is a new version; the history shows what changed; a stale edit is refused.
    let mut changed = person("Аляксандр", "Лукашевич", Confidentiality::Internal);
    changed.identity.notes = "surname in Russian spelling".into();
    a.update_person(&documenter, id, page.person.version, &changed)
        .await
        .unwrap();
    let stale = a.update_person(&documenter, id, page.person.version, &changed).await;
    assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
    let history = a.history(&viewer, "person", id).await.unwrap();
    assert_eq!(history.len(), 2);
    let second: Vec<_> = history[1]
        .changes
        .iter()
        .map(|(f, b, n)| (f.as_str(), b.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        second,
        [
            ("family_name", "Лукашэвіч", "Лукашевич"),
            ("notes", "", "surname in Russian spelling")
        ]
    );
    assert_eq!(a.history(&viewer, "event", event).await.unwrap().len(), 1);

    // Restricted records exist only for those who may read them.
    let hidden = a
        .create_person(&documenter, &person("Maryja", "K", Confidentiality::Restricted))
        .await
        .unwrap();
    let seen_by = |persons: Vec<razam_app::registry::PersonView>| persons.iter().map(|p| p.id).collect::<Vec<_>>();
    let all = PersonFilter::default();
    assert_eq!(
        seen_by(a.list_persons(&reviewer, all.clone(), None, 50).await.unwrap()),
        [hidden, id]
    );
    assert_eq!(
        seen_by(a.list_persons(&viewer, all.clone(), None, 50).await.unwrap()),
        [id]
    );
    assert!(matches!(a.person_page(&viewer, hidden).await, Err(AppError::Forbidden)));
    assert!(matches!(
        a.list_persons(&volunteer, all, None, 50).await,
        Err(AppError::Forbidden)
    ));
    let released = PersonFilter {
        status: Some("released"),
        ..PersonFilter::default()
    };
    assert_eq!(
        seen_by(a.list_persons(&reviewer, released, None, 50).await.unwrap()),
        [id]
    );

    // Every change and every read of a person is in the audit chain, which verifies.
    let report = a.verify_audit(None, &|_| {}).await.unwrap();
    assert!(report.entries >= 10, "{}", report.entries);
}
on_both_databases!(a_documenter_records_and_a_reviewer_recognises);

async fn an_event_sent_twice_with_one_key_is_created_once(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let a = app.app.clone();
    let id = a
        .create_person(&documenter, &person("Алесь", "Бяляцкі", Confidentiality::Internal))
        .await
        .unwrap();
    let detention = EventInput {
        kind: EventKind::Detention,
        date: Some(FuzzyDate::parse("2021-07-14").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails::default(),
        confidentiality: Confidentiality::Internal,
        articles: Vec::new(),
        persons: vec![(id, PersonRole::Victim)],
    };
    let send = |key: &'static str| {
        let (a, who, input) = (a.clone(), documenter.clone(), detention.clone());
        async move { a.create_event_once(&who, &input, None, Some(key)).await }
    };
    // Two sends at once, then a third: one event, one audit entry, the same id each time.
    let first = crate::helpers::sent_twice_at_once_and_again(&send).await;
    let events = a.list_events(&documenter, Default::default(), None, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    let created = crate::helpers::audit_log(&app)
        .await
        .iter()
        .filter(|(_, action, _)| action == "event.create")
        .count();
    assert_eq!(created, 1);
    // Another key is another event; a bad key is refused and creates nothing.
    let other = send("form-2").await.unwrap();
    assert!(other.new && other.id != first);
    for bad in ["", &"k".repeat(201)] {
        let e = a
            .create_event_once(&documenter, &detention, None, Some(bad))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("idempotency key"), "{e}");
    }
    assert_eq!(
        a.list_events(&documenter, Default::default(), None, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    app.app.verify_audit(None, &|_| {}).await.unwrap();
}
on_both_databases!(an_event_sent_twice_with_one_key_is_created_once);

async fn a_prisoner_list_imports_all_or_nothing(app: TestApp) {
    let a = &app.app;
    let list = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                1,Ales,B,,,Minsk,2021-07-14,228,2021-07-15,\n\
                2,Ihar,L,,,Brest,2020-06-25,342;361-1,2020-06-30,2024-09-01\n";
    let report = a.import_prisoners(&Actor::Cli, list.as_bytes(), false).await.unwrap();
    assert_eq!((report.created, report.errors.len()), (2, 0));
    let again = a.import_prisoners(&Actor::Cli, list.as_bytes(), false).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    let f = a.prisoner_figures(Day::parse("2024-09-01").unwrap()).await.unwrap();
    assert_eq!((f.held, f.recognized_total), (1, 2));
    // A row that fails leaves every row of the file unwritten.
    let bad = format!("{list}3,X,Y,,,Minsk,2021-01-01,,2021-01-02,2020-01-01\n").replace("\n1,", "\n9,");
    let report = a.import_prisoners(&Actor::Cli, bad.as_bytes(), false).await.unwrap();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(
        (report.errors[0].line, report.errors[0].column.as_str()),
        (4, "released_on")
    );
    let f = a.prisoner_figures(Day::parse("2024-09-01").unwrap()).await.unwrap();
    assert_eq!((f.held, f.recognized_total), (1, 2));
}
on_both_databases!(a_prisoner_list_imports_all_or_nothing);

/// Every read of a restricted record leaves an audit entry naming it (ids only): lists, event
/// pages, histories and duplicate candidates, besides person pages and searches; a read of
/// internal records alone leaves none of these.
async fn every_read_of_a_restricted_record_is_audited(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let a = &app.app;
    let open = a
        .create_person(&documenter, &person("Вольга", "Адкрытая", Confidentiality::Internal))
        .await
        .unwrap();
    let hidden = a
        .create_person(
            &documenter,
            &person("Аляксандр", "Схаваны", Confidentiality::Restricted),
        )
        .await
        .unwrap();
    let twin = a
        .create_person(
            &documenter,
            &person("Александр", "Схаваный", Confidentiality::Restricted),
        )
        .await
        .unwrap();
    let event = |level, who| EventInput {
        kind: EventKind::Detention,
        date: Some(FuzzyDate::parse("2021-03").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails {
            description: "Затрыманы каля вакзала".into(),
            ..EventDetails::default()
        },
        confidentiality: level,
        articles: vec![],
        persons: vec![(who, PersonRole::Victim)],
    };
    let open_event = a
        .create_event(&documenter, &event(Confidentiality::Internal, open))
        .await
        .unwrap();
    let hidden_event = a
        .create_event(&documenter, &event(Confidentiality::Restricted, hidden))
        .await
        .unwrap();
    // The objects of the audit entries of one action, oldest first.
    let entries = |action: &'static str| {
        let app = &app;
        async move {
            crate::api::sql(
                app,
                &format!("SELECT action, object FROM audit_log WHERE action = '{action}' ORDER BY seq"),
            )
            .await
            .into_iter()
            .map(|(_, object)| object)
            .collect::<Vec<_>>()
        }
    };
    let reads = || entries("restricted.read");

    // Internal records alone: nothing.
    a.event_page(&documenter, open_event).await.unwrap();
    a.history(&documenter, "event", open_event).await.unwrap();
    assert!(reads().await.is_empty());

    let persons = a
        .list_persons(&documenter, PersonFilter::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(persons.len(), 3);
    let mut expected = vec![format!("person:{twin},{hidden}")];
    assert_eq!(reads().await, expected);
    let events = a.list_events(&documenter, Default::default(), None, 50).await.unwrap();
    assert_eq!(events.len(), 2);
    expected.push(format!("event:{hidden_event}"));
    assert_eq!(reads().await, expected);
    a.event_page(&documenter, hidden_event).await.unwrap();
    expected.push(format!("event:{hidden_event}"));
    a.history(&documenter, "person", hidden).await.unwrap();
    expected.push(format!("person:{hidden}"));
    assert_eq!(reads().await, expected);

    // The duplicate queue shows the restricted pair: both are named.
    a.prepare_search().await.unwrap();
    let pairs = a.duplicate_candidates(&documenter).await.unwrap();
    assert!(
        pairs
            .iter()
            .any(|p| [p.survivor.id, p.merged.id].contains(&hidden) && [p.survivor.id, p.merged.id].contains(&twin)),
        "the near-twins are a candidate pair"
    );
    let last = reads().await.pop().unwrap();
    let mut named: Vec<i64> = last["person:".len()..].split(',').map(|n| n.parse().unwrap()).collect();
    named.sort();
    assert_eq!(named, [hidden, twin]);

    // A search names the restricted persons and events it showed, and only those.
    let searches = || entries("registry.search");
    a.search(&documenter, "Адкрытая", 20).await.unwrap();
    assert_eq!(searches().await.pop().unwrap(), "search:1 persons,0 events");
    let found = a.search(&documenter, "Aliaksandr Skhavany", 20).await.unwrap();
    let shown: Vec<i64> = found.persons.hits.iter().map(|h| h.id).collect();
    assert!(shown.contains(&hidden) && shown.contains(&twin), "{shown:?}");
    let restricted: Vec<String> = shown
        .iter()
        .filter(|id| [hidden, twin].contains(id))
        .map(i64::to_string)
        .collect();
    assert_eq!(
        searches().await.pop().unwrap(),
        format!(
            "search:{} persons,0 events; restricted persons:{}",
            found.persons.any,
            restricted.join(",")
        )
    );
    let found = a.search(&documenter, "вакзала", 20).await.unwrap();
    assert_eq!(found.events_total, 2);
    assert_eq!(
        searches().await.pop().unwrap(),
        format!("search:0 persons,2 events; restricted events:{hidden_event}")
    );
    a.verify_audit(None, &|_| {}).await.unwrap();
}
on_both_databases!(every_read_of_a_restricted_record_is_audited);

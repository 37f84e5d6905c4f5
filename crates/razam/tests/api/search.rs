//! Search on both databases: persons by any spelling in any script, events and sources by
//! their words, filtered by level, kept current by every write, rebuilt the same at restart.

use razam_app::config::{Config, Overrides};
use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
use razam_app::search::{Meet, SearchResults};
use razam_app::sources::{SourceDetails, SourceInput};
use razam_app::{Actor, Unlock, instance};
use razam_core::Role;
use razam_core::registry::{Confidentiality, EventKind, FuzzyDate, PersonRole, SourceKind};
use reqwest::StatusCode;
use zeroize::Zeroizing;

use crate::api::{sql, token_for};
use crate::helpers::{PASSPHRASE, TestApp, add_user};
use crate::on_both_databases;

async fn actor(app: &TestApp, username: &str, role: Role) -> Actor {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    Actor::Account(app.app.log_in(username, &password, None).await.unwrap().user)
}

pub(crate) fn person(family: &str, given: &str, patronymic: &str, level: Confidentiality) -> PersonInput {
    PersonInput {
        identity: Identity {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: patronymic.into(),
            variants: Vec::new(),
            birth_date: String::new(),
            contacts: String::new(),
            notes: String::new(),
        },
        region: Some("minsk-city".into()),
        confidentiality: level,
        consent_to_publish: false,
    }
}

pub(crate) fn event(description: &str, person: i64, level: Confidentiality) -> EventInput {
    EventInput {
        kind: EventKind::Detention,
        date: Some(FuzzyDate::parse("2021-03-02").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: None,
        term_months: None,
        details: EventDetails {
            description: description.into(),
            settlement: "Мінск".into(),
            ..EventDetails::default()
        },
        confidentiality: level,
        articles: Vec::new(),
        persons: vec![(person, PersonRole::Victim)],
    }
}

/// The ids of the persons found, best first.
fn persons(r: &SearchResults) -> Vec<i64> {
    r.persons.hits.iter().map(|h| h.id).collect()
}

fn events(r: &SearchResults) -> Vec<(i64, Option<i64>)> {
    r.events.iter().map(|e| (e.id, e.source)).collect()
}

/// What a search answers, as comparable data: persons with their reasons, counts, events.
fn answer(r: &SearchResults) -> String {
    format!(
        "{:?} {} {} {:?} {}",
        r.persons
            .hits
            .iter()
            .map(|h| (h.id, h.full_name(), h.reasons.clone()))
            .collect::<Vec<_>>(),
        r.persons.all,
        r.persons.any,
        events(r),
        r.events_total
    )
}

async fn a_name_is_found_in_any_script_and_spelling(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let a = &app.app;
    let kalinouski = a
        .create_person(
            &documenter,
            &person("Каліноўскі", "Аляксандр", "Іванавіч", Confidentiality::Internal),
        )
        .await
        .unwrap();
    let kalinovsky = a
        .create_person(
            &documenter,
            &person("Калиновский", "Дмитрий", "", Confidentiality::Internal),
        )
        .await
        .unwrap();
    let losik = a
        .create_person(&documenter, &person("Losik", "Ihar", "", Confidentiality::Internal))
        .await
        .unwrap();
    let tsikhanouskaya = a
        .create_person(
            &documenter,
            &person("Тихановская", "Светлана", "", Confidentiality::Public),
        )
        .await
        .unwrap();
    let tsikhanouski = a
        .create_person(
            &documenter,
            &person("Ціханоўскі", "Сяргей", "", Confidentiality::Internal),
        )
        .await
        .unwrap();

    // A Latin spelling finds the Cyrillic record, which meets every word; the other
    // Kalinouski meets one word only and comes after.
    let r = a.search(&documenter, "Aliaksandr Kalinouski", 50).await.unwrap();
    assert_eq!(persons(&r), vec![kalinouski, kalinovsky]);
    assert_eq!((r.persons.all, r.persons.any), (1, 2));
    let top = &r.persons.hits[0];
    assert_eq!(top.full_name(), "Каліноўскі Аляксандр Іванавіч");
    assert_eq!(
        top.reasons
            .iter()
            .map(|x| (x.meet, x.word.as_str()))
            .collect::<Vec<_>>(),
        vec![(Meet::Key, "Аляксандр"), (Meet::Key, "Каліноўскі")]
    );

    // Russian Cyrillic finds the Belarusian record, and the Cyrillic finds the Latin one.
    let r = a.search(&documenter, "Калиновский Александр", 50).await.unwrap();
    assert_eq!(persons(&r)[0], kalinouski);
    assert_eq!(persons(&a.search(&documenter, "Лосік", 50).await.unwrap()), vec![losik]);
    assert_eq!(
        persons(&a.search(&documenter, "LOSIK Ihar", 50).await.unwrap()),
        vec![losik]
    );

    // Given-name equivalents across Belarusian and Russian: Алесь = Аляксандр, Зміцер = Дмитрий.
    let r = a.search(&documenter, "Алесь Каліноўскі", 50).await.unwrap();
    assert_eq!(persons(&r), vec![kalinouski, kalinovsky]);
    assert_eq!(r.persons.hits[0].reasons[0].meet, Meet::GivenName);
    let r = a.search(&documenter, "Зміцер Калиновский", 50).await.unwrap();
    assert_eq!(persons(&r), vec![kalinovsky, kalinouski]);
    assert_eq!(r.persons.all, 1);

    // The same family name with the other gender's ending comes after the same key.
    let r = a.search(&documenter, "Tsikhanouskaya", 50).await.unwrap();
    assert_eq!(persons(&r), vec![tsikhanouskaya, tsikhanouski]);
    assert_eq!(r.persons.hits[1].reasons[0].meet, Meet::OtherGender);

    assert!(
        a.search(&documenter, "Petrov", 50)
            .await
            .unwrap()
            .persons
            .hits
            .is_empty()
    );
}
on_both_databases!(a_name_is_found_in_any_script_and_spelling);

async fn a_restricted_person_is_not_found_by_a_viewer(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let viewer = actor(&app, "volha", Role::Viewer).await;
    let volunteer = actor(&app, "ihar", Role::Volunteer).await;
    let a = &app.app;
    let secret = a
        .create_person(&documenter, &person("Лосік", "Ігар", "", Confidentiality::Restricted))
        .await
        .unwrap();
    a.create_event(
        &documenter,
        &event("Ігара затрымалі дома", secret, Confidentiality::Restricted),
    )
    .await
    .unwrap();
    let open = a
        .create_person(&documenter, &person("Лосик", "Игорь", "", Confidentiality::Internal))
        .await
        .unwrap();

    let r = a.search(&documenter, "Losik Ihar", 50).await.unwrap();
    assert_eq!(persons(&r), vec![secret, open]);
    assert_eq!(r.events.len(), 0);
    assert_eq!(a.search(&documenter, "затрымалі", 50).await.unwrap().events_total, 1);

    // The viewer neither sees nor counts what is above their level.
    let r = a.search(&viewer, "Losik Ihar", 50).await.unwrap();
    assert_eq!(persons(&r), vec![open]);
    assert_eq!((r.persons.all, r.persons.any), (1, 1));
    let r = a.search(&viewer, "затрымалі", 50).await.unwrap();
    assert_eq!((r.events_total, r.events.len()), (0, 0));

    // Who may not read the registry may not search it.
    assert!(matches!(
        a.search(&volunteer, "Losik", 50).await,
        Err(razam_app::AppError::Forbidden)
    ));
}
on_both_databases!(a_restricted_person_is_not_found_by_a_viewer);

async fn events_and_sources_are_found_by_their_words(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let a = &app.app;
    let p = a
        .create_person(&documenter, &person("Лосик", "Игорь", "", Confidentiality::Internal))
        .await
        .unwrap();
    let detained = a
        .create_event(
            &documenter,
            &event(
                "Вечером его задержали у дома и увезли в РУВД",
                p,
                Confidentiality::Internal,
            ),
        )
        .await
        .unwrap();
    let after = a
        .create_event(
            &documenter,
            &event(
                "После задержания провёл сутки в изоляторе",
                p,
                Confidentiality::Internal,
            ),
        )
        .await
        .unwrap();
    let trial = a
        .create_event(&documenter, &event("Слушание перенесли", p, Confidentiality::Internal))
        .await
        .unwrap();
    let source = a
        .add_source(
            &documenter,
            trial,
            &SourceInput {
                kind: SourceKind::MediaArticle,
                details: SourceDetails {
                    title: "Наша Ніва: суд над блогерам адкладзены".into(),
                    reference: "https://example.org/nn/1".into(),
                    notes: "Lawyer reports the hearings were postponed".into(),
                },
                confidentiality: Confidentiality::Internal,
            },
        )
        .await
        .unwrap();

    // Snowball's Russian stemmer takes задержан and задержали to one stem, задержания and
    // задержании to another: the noun and the verb do not meet.
    let r = a.search(&documenter, "задержан", 50).await.unwrap();
    assert_eq!(events(&r), vec![(detained, None)]);
    let snippet = r.events[0].snippet.clone().unwrap();
    assert_eq!(snippet.hit, "задержали");
    assert_eq!(snippet.before, "Вечером его ");
    let r = a.search(&documenter, "задержании", 50).await.unwrap();
    assert_eq!(events(&r), vec![(after, None)]);
    assert_eq!(
        events(&a.search(&documenter, "изолятор РУВД", 50).await.unwrap()),
        vec![]
    );

    // A source's words find its event; English words are stemmed too.
    let r = a.search(&documenter, "блогерам", 50).await.unwrap();
    assert_eq!(events(&r), vec![(trial, Some(source))]);
    assert_eq!(r.events[0].snippet.as_ref().unwrap().hit, "блогерам");
    let r = a.search(&documenter, "postpone hearing", 50).await.unwrap();
    assert_eq!(events(&r), vec![(trial, Some(source))]);
    // Settlements are words of the event: newest first.
    let r = a.search(&documenter, "Мінск", 50).await.unwrap();
    assert_eq!(events(&r), vec![(trial, None), (after, None), (detained, None)]);
}
on_both_databases!(events_and_sources_are_found_by_their_words);

async fn the_index_follows_every_write(app: TestApp) {
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let a = &app.app;
    let id = a
        .create_person(&documenter, &person("Петров", "Иван", "", Confidentiality::Internal))
        .await
        .unwrap();
    assert_eq!(persons(&a.search(&documenter, "Petrov", 50).await.unwrap()), vec![id]);
    a.update_person(
        &documenter,
        id,
        1,
        &person("Сидоров", "Иван", "", Confidentiality::Internal),
    )
    .await
    .unwrap();
    assert!(
        a.search(&documenter, "Petrov", 50)
            .await
            .unwrap()
            .persons
            .hits
            .is_empty()
    );
    assert_eq!(persons(&a.search(&documenter, "Sidorov", 50).await.unwrap()), vec![id]);

    let e = a
        .create_event(&documenter, &event("обыск в квартире", id, Confidentiality::Internal))
        .await
        .unwrap();
    assert_eq!(
        events(&a.search(&documenter, "обыска", 50).await.unwrap()),
        vec![(e, None)]
    );
    a.update_event(&documenter, e, 1, &event("допрос в СК", id, Confidentiality::Internal))
        .await
        .unwrap();
    assert_eq!(a.search(&documenter, "обыска", 50).await.unwrap().events_total, 0);
    assert_eq!(
        events(&a.search(&documenter, "допроса", 50).await.unwrap()),
        vec![(e, None)]
    );

    // An import reaches the index once it commits.
    let csv = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
               PP-1,Ігар,Лосік,,1992,Мінск,2020-06-25,342,2020-07-01,\n";
    a.import_prisoners(&Actor::Cli, csv.as_bytes(), false).await.unwrap();
    let r = a.search(&documenter, "Losik 1992", 50).await.unwrap();
    assert_eq!(r.persons.all, 1);
    assert_eq!(r.persons.hits[0].full_name(), "Лосік Ігар");

    // A record made by another process on the same data (a command-line import while the
    // server runs) is caught up before the next search: by a request whose session check
    // read the registry clock after the write (a page's request), as by any other.
    let token = a.log_in("ales", "ales-password-1", None).await.unwrap().token;
    let config = Config::load(&app.data_dir(), &Overrides::default()).unwrap();
    let other = instance::open(config, Unlock::Passphrase(Zeroizing::new(PASSPHRASE.into())))
        .await
        .unwrap();
    let elsewhere = other
        .create_person(
            &Actor::Cli,
            &person("Бабарика", "Виктор", "", Confidentiality::Internal),
        )
        .await
        .unwrap();
    other.close().await;
    let request = Actor::Account(a.current_user(&token).await.unwrap().unwrap());
    assert_eq!(
        persons(&a.search(&request, "Babaryka", 50).await.unwrap()),
        vec![elsewhere]
    );
    assert_eq!(
        persons(&a.search(&documenter, "Babaryka", 50).await.unwrap()),
        vec![elsewhere]
    );

    // Searches are audited with what they found, never with what was asked.
    let audit = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action = 'registry.search' ORDER BY seq",
    )
    .await;
    assert_eq!(audit.len(), 9);
    assert_eq!(audit[0].1, "search:1 persons,0 events");
    assert!(
        audit
            .iter()
            .all(|(_, object)| !object.contains("Petrov") && !object.contains("обыск"))
    );
}
on_both_databases!(the_index_follows_every_write);

async fn the_index_is_rebuilt_the_same_after_a_restart(app: TestApp) {
    let documenter = Actor::Cli;
    let a = app.app.clone();
    let id = a
        .create_person(
            &documenter,
            &person("Каліноўскі", "Аляксандр", "", Confidentiality::Internal),
        )
        .await
        .unwrap();
    a.update_person(
        &documenter,
        id,
        1,
        &person("Каліноўскі", "Кастусь", "", Confidentiality::Internal),
    )
    .await
    .unwrap();
    let other = a
        .create_person(
            &documenter,
            &person("Kalinowski", "Jan", "", Confidentiality::Restricted),
        )
        .await
        .unwrap();
    a.create_event(&documenter, &event("Кастуся задержали", id, Confidentiality::Internal))
        .await
        .unwrap();
    a.create_event(&documenter, &event("Яна задержали", other, Confidentiality::Restricted))
        .await
        .unwrap();
    let queries = [
        "Kalinouski Kanstantsin",
        "Аляксандр",
        "Иван Калиновский",
        "задержали",
        "Янка",
    ];
    let mut before = Vec::new();
    for q in queries {
        before.push(answer(&a.search(&documenter, q, 50).await.unwrap()));
    }
    assert!(before[0].starts_with(&format!("[({id}, \"Каліноўскі Кастусь\"")));
    assert!(before[1].starts_with("[] 0 0"), "{}", before[1]);
    let stats = a.search_stats();
    assert_eq!((stats.persons, stats.events, stats.sources), (2, 2, 0));
    drop(a);

    let dir = app.stop().await;
    let config = Config::load(&dir.path().join("data"), &Overrides::default()).unwrap();
    let reopened = instance::open(config, Unlock::Passphrase(Zeroizing::new(PASSPHRASE.into())))
        .await
        .unwrap();
    assert_eq!(reopened.search_stats().persons, 0, "one-shot commands build no index");
    let stats = reopened.prepare_search().await.unwrap();
    assert_eq!((stats.persons, stats.events, stats.sources), (2, 2, 0));
    assert!(stats.heap_bytes > 0);
    for (q, expected) in queries.iter().zip(&before) {
        assert_eq!(
            &answer(&reopened.search(&documenter, q, 50).await.unwrap()),
            expected,
            "{q}"
        );
    }
    reopened.close().await;
}
on_both_databases!(the_index_is_rebuilt_the_same_after_a_restart);

async fn the_page_and_the_api_search(app: TestApp) {
    let password = "ales-password-1";
    add_user(&app.app, "ales", "Алесь", Role::Documenter, password).await;
    let documenter = Actor::Account(app.app.log_in("ales", password, None).await.unwrap().user);
    let id = app
        .app
        .create_person(
            &documenter,
            &person("Каліноўскі", "Аляксандр", "", Confidentiality::Internal),
        )
        .await
        .unwrap();
    app.app
        .create_person(&documenter, &person("Лосік", "Ігар", "", Confidentiality::Restricted))
        .await
        .unwrap();

    let c = app.logged_in_client("ales", password).await;
    let (_, home) = app.get(&c, "/").await;
    assert!(home.contains("<label for=\"site-q\">Search</label>"), "{home}");
    assert!(home.contains("action=\"/search\""));
    let (status, page) = app.get(&c, "/search?q=Kalinouski").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("<a href=\"/persons/{id}\">P-{id:06}</a>")),
        "{page}"
    );
    assert!(page.contains("Каліноўскі Аляксандр"));
    assert!(page.contains("same key as Каліноўскі"));
    let (_, page) = app.get(&c, "/search?q=Kalinouski&lang=be").await;
    assert!(page.contains("той жа ключ, што ў Каліноўскі"), "{page}");
    // No query, no search: the page explains the box.
    let (status, page) = app.get(&c, "/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<h2 id=\"persons\">"));
    // Without a login, the search is not there.
    let (status, _) = app.get(&crate::helpers::client(), "/search?q=Kalinouski").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let viewer = token_for(&app, "volha", Role::Viewer).await;
    let http = crate::helpers::client();
    let body: serde_json::Value = http
        .get(app.url("/api/v1/search?q=Losik%20Ihar%20Kalinouski"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["words"], serde_json::json!(["losik", "ihar", "kalinouski"]));
    assert_eq!(body["persons"]["any"], 1, "the restricted Лосік is not counted: {body}");
    assert_eq!(body["persons"]["items"][0]["id"], id);
    assert_eq!(body["persons"]["items"][0]["reasons"][0]["meet"], "key");
    assert_eq!(body["persons"]["items"][0]["reasons"][0]["word"], "Каліноўскі");
    assert_eq!(body["events"]["total"], 0);
    let r = http
        .get(app.url("/api/v1/search?q=%20"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["fields"]["q"].is_string());
}
on_both_databases!(the_page_and_the_api_search);

async fn a_merged_person_is_found_as_the_survivor_until_the_merge_is_undone(app: TestApp) {
    let documenter = Actor::Cli;
    let a = app.app.clone();
    let born = |mut p: PersonInput| {
        p.identity.birth_date = "1992-06-12".into();
        p
    };
    let cyr = a
        .create_person(
            &documenter,
            &born(person("Лосік", "Ігар", "", Confidentiality::Internal)),
        )
        .await
        .unwrap();
    let lat = a
        .create_person(
            &documenter,
            &born(person("Losik", "Ihar", "", Confidentiality::Internal)),
        )
        .await
        .unwrap();
    let query = "Losik Ihar";
    let before = a.search(&documenter, query, 50).await.unwrap();
    assert_eq!(persons(&before), [lat, cyr]);

    // Merged: one hit, the survivor, found by the merged person's spelling with the reason.
    let merge = a.merge_persons(&documenter, (cyr, 1), (lat, 1)).await.unwrap();
    let merged = a.search(&documenter, query, 50).await.unwrap();
    assert_eq!(persons(&merged), [cyr]);
    assert_eq!((merged.persons.all, merged.persons.any), (1, 1));
    let reasons: Vec<(Meet, &str, Option<i64>)> = merged.persons.hits[0]
        .reasons
        .iter()
        .map(|r| (r.meet, r.word.as_str(), r.merged_from))
        .collect();
    assert_eq!(
        reasons,
        [(Meet::Exact, "Losik", Some(lat)), (Meet::Exact, "Ihar", Some(lat))]
    );
    let own = a.search(&documenter, "Лосік", 50).await.unwrap();
    assert_eq!(persons(&own), [cyr]);
    assert_eq!(own.persons.hits[0].reasons[0].merged_from, None);
    // The duplicates queue and the survivor's page propose nothing more.
    assert!(a.duplicate_candidates(&documenter).await.unwrap().is_empty());
    let page = a.person_page(&documenter, cyr).await.unwrap();
    assert!(
        a.probable_matches(&documenter, &page.person.identity, &page.never_duplicates())
            .await
            .unwrap()
            .is_empty()
    );
    let after_merge = answer(&merged);
    // The page and the API say whose word it is.
    add_user(&a, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = app.logged_in_client("ales", "ales-password-1").await;
    let (_, page) = app.get(&c, "/search?q=Losik").await;
    assert!(
        page.contains(&format!(
            "same spelling: Losik (from P-{lat:06}, merged into this person)"
        )),
        "{page}"
    );
    assert!(!page.contains(&format!("<a href=\"/persons/{lat}\">")), "{page}");
    let viewer = token_for(&app, "volha", Role::Viewer).await;
    let body: serde_json::Value = crate::helpers::client()
        .get(app.url("/api/v1/search?q=Losik"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["persons"]["items"][0]["id"], cyr);
    assert_eq!(
        body["persons"]["items"][0]["reasons"][0]["merged_from"],
        format!("P-{lat:06}")
    );
    assert_eq!(body["persons"]["any"], 1);
    drop(a);

    // A restart knows the merge from the store.
    let dir = app.stop().await;
    let config = Config::load(&dir.path().join("data"), &Overrides::default()).unwrap();
    let reopened = instance::open(config, Unlock::Passphrase(Zeroizing::new(PASSPHRASE.into())))
        .await
        .unwrap();
    reopened.prepare_search().await.unwrap();
    assert_eq!(
        answer(&reopened.search(&documenter, query, 50).await.unwrap()),
        after_merge
    );

    // Undone: both are found on their own again, as before.
    reopened.undo_merge(&documenter, merge).await.unwrap();
    assert_eq!(
        answer(&reopened.search(&documenter, query, 50).await.unwrap()),
        answer(&before)
    );
    let pairs = reopened.duplicate_candidates(&documenter).await.unwrap();
    assert_eq!(
        pairs.iter().map(|p| (p.survivor.id, p.merged.id)).collect::<Vec<_>>(),
        [(cyr, lat)]
    );
    reopened.close().await;
}
on_both_databases!(a_merged_person_is_found_as_the_survivor_until_the_merge_is_undone);

async fn reads_at_once_each_leave_their_entry_in_one_unbroken_chain(app: TestApp) {
    let reader = actor(&app, "rita", Role::Reviewer).await;
    let a = app.app.clone();
    let id = a
        .create_person(&Actor::Cli, &person("Лосік", "Ігар", "", Confidentiality::Internal))
        .await
        .unwrap();
    a.prepare_search().await.unwrap();
    // Searches and person pages at once: their audit entries are written together, and each
    // is answered only after its own entry.
    const READS: usize = 24;
    let mut tasks = Vec::new();
    for n in 0..READS {
        let (a, reader) = (a.clone(), reader.clone());
        tasks.push(tokio::spawn(async move {
            if n % 3 == 0 {
                a.person_page(&reader, id).await.map(|p| p.person.id)
            } else {
                let r = a.search(&reader, "Losik", 50).await?;
                Ok(r.persons.hits[0].id)
            }
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), id);
    }
    let audit = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action IN ('registry.search', 'person.read') ORDER BY seq",
    )
    .await;
    let count = |action: &str, object: &str| audit.iter().filter(|(a, o)| a == action && o == object).count();
    assert_eq!(count("registry.search", "search:1 persons,0 events"), READS - READS / 3);
    assert_eq!(count("person.read", &format!("person:{id}")), READS / 3);
    assert_eq!(audit.len(), READS);
    a.verify_audit(None, &|_| {}).await.unwrap();
}
on_both_databases!(reads_at_once_each_leave_their_entry_in_one_unbroken_chain);

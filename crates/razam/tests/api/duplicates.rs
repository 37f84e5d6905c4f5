//! Duplicates on both databases: candidates with their evidence, a merge that loses nothing
//! and counts the pair once, its exact undo, "not the same person", and the warnings at data
//! entry and at import.

use razam_app::Actor;
use razam_core::Role;
use razam_core::registry::Day;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{Api, sql, token_for};
use crate::helpers::{TestApp, add_user};
use crate::on_both_databases;

const HEADER: &str =
    "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n";

/// Lines 2–3 are one man from two sources (Belarusian Cyrillic and a Latin transliteration),
/// line 4 a namesake born another year, lines 5–9 other held prisoners.
fn list() -> String {
    let mut csv = String::from(HEADER);
    csv.push_str("a1,Ігар,Лосік,,1992-06-12,Minsk,2020-06-25,342,2021-01-10,\n");
    csv.push_str("b7,Ihar,Losik,,1992-06-12,Minsk,2020-06-25,342;361-1,2021-03-01,\n");
    csv.push_str("c3,Ігар,Лосік,,1971-02-03,Гомель,2021-05-05,342,,\n");
    for (i, name) in ["Бабарыка", "Калеснікава", "Знак", "Бяляцкі", "Статкевіч"]
        .iter()
        .enumerate()
    {
        csv.push_str(&format!("o{i},Імя{i},{name},,,Minsk,2021-01-1{i},342,2021-02-01,\n"));
    }
    csv
}

async fn held(app: &TestApp) -> (i64, i64) {
    let f = app
        .app
        .prisoner_figures(Day::parse("2023-01-01").unwrap())
        .await
        .unwrap();
    (f.held, f.recognized_total)
}

fn pair_of(body: &Value, a: i64, b: i64) -> Option<Value> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            let ids = [p["survivor"]["id"].as_i64(), p["merged"]["id"].as_i64()];
            ids == [Some(a), Some(b)] || ids == [Some(b), Some(a)]
        })
        .cloned()
}

async fn a_duplicate_is_proposed_merged_counted_once_and_undone_exactly(app: TestApp) {
    // The import warns of the two spellings of one man, with line numbers and evidence, and
    // imports anyway; a dry run says the same and writes nothing.
    let dry = app
        .app
        .import_prisoners(&Actor::Cli, list().as_bytes(), true)
        .await
        .unwrap();
    assert!(dry.errors.is_empty(), "{dry:?}");
    let lines: Vec<(u64, &str)> = dry.warnings.iter().map(|w| (w.line, w.candidate.as_str())).collect();
    assert_eq!(lines, [(3, "line 2")], "{dry:?}");
    assert!(dry.warnings[0].agreeing.contains("family_name: same_key"), "{dry:?}");
    let json = serde_json::to_value(&dry).unwrap();
    assert_eq!(json["warnings"][0]["line"], 3);
    let report = app
        .app
        .import_prisoners(&Actor::Cli, list().as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(report.created, 8);
    assert_eq!(report.warnings, dry.warnings);
    assert_eq!(held(&app).await, (7, 7));

    let writer = token_for(&app, "ales", Role::Documenter).await;
    let viewer = token_for(&app, "volha", Role::Viewer).await;
    let api = Api::new(&app, Some(&writer));
    let (_, list) = api.get("/persons?limit=500").await;
    let id_of = |family: &str, birth: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["family_name"] == family && p["birth_date"] == birth)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (cyr, lat, namesake) = (
        id_of("Лосік", "1992-06-12"),
        id_of("Losik", "1992-06-12"),
        id_of("Лосік", "1971-02-03"),
    );

    // The candidates: the two spellings, with the evidence; the namesake is not proposed.
    let (status, found) = api.get("/duplicates").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let pair = pair_of(&found, cyr, lat).expect("the two spellings are proposed");
    assert_eq!(pair["survivor"]["id"], cyr, "the older record is suggested to survive");
    let fields = pair["evidence"]["fields"].as_array().unwrap();
    let level = |f: &str| fields.iter().find(|x| x["field"] == f).unwrap()["agreement"].clone();
    assert_eq!(level("family_name"), "same_key");
    assert_eq!(level("given_name"), "same_key");
    assert_eq!(level("birth_date"), "exact");
    assert!(pair["evidence"]["probability"].as_f64().unwrap() > 0.99);
    assert!(pair_of(&found, cyr, namesake).is_none() && pair_of(&found, lat, namesake).is_none());
    let (_, of_person) = api.get(&format!("/persons/{lat}/duplicates")).await;
    assert_eq!(of_person["items"][0]["person"]["id"], cyr);
    // Candidates are cards: the person's own fields, not the group's recognition and status.
    for card in [&pair["survivor"], &of_person["items"][0]["person"]] {
        assert_eq!(card["family_name"], "Лосік", "{card}");
        assert!(
            card.get("recognized_on").is_none() && card.get("status").is_none(),
            "{card}"
        );
    }
    // The namesake scores lower against either.
    let (_, of_namesake) = api.get(&format!("/persons/{namesake}/duplicates")).await;
    assert_eq!(of_namesake["items"], json!([]));

    let (_, before_cyr) = api.get(&format!("/persons/{cyr}")).await;
    let (_, before_lat) = api.get(&format!("/persons/{lat}")).await;
    let version = |p: &Value| p["version"].as_i64().unwrap();
    let merge = json!({
        "survivor_id": cyr, "survivor_version": version(&before_cyr),
        "merged_id": lat, "merged_version": version(&before_lat),
    });

    // A viewer may not merge; a stale version is refused.
    let (status, _) = Api::new(&app, Some(&viewer)).post("/merges", merge.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut stale = merge.clone();
    stale["merged_version"] = json!(version(&before_lat) - 1);
    let (status, body) = api.post("/merges", stale).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The merge: the survivor shows both persons' records; lists hide the merged one; the
    // figures count the two once, recognised from the earlier recognition.
    let (status, merged) = api.post("/merges", merge.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{merged}");
    let merge_id = merged["merge_id"].as_i64().unwrap();
    let survivor = &merged["survivor"];
    assert_eq!(survivor["merged_from"][0]["person"]["id"], lat);
    assert_eq!(survivor["merged_from"][0]["events"], before_lat["events"]);
    assert_eq!(survivor["merged_from"][0]["recognition"], before_lat["recognition"]);
    assert_eq!(survivor["merged_from"][0]["statuses"], before_lat["statuses"]);
    assert_eq!(survivor["events"], before_cyr["events"]);
    assert_eq!(survivor["recognized_on"], "2021-01-10");
    let (_, after_lat) = api.get(&format!("/persons/{lat}")).await;
    assert_eq!(after_lat["merged_into"], cyr);
    assert_eq!(
        after_lat["events"], before_lat["events"],
        "nothing of the merged person is lost"
    );
    let (_, listed) = api.get("/persons?limit=500").await;
    let ids: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&cyr) && !ids.contains(&lat));
    assert_eq!(held(&app).await, (6, 6));
    let public = app
        .get_json(&crate::helpers::client(), "/figures.json?as_of=2023-01-01")
        .await;
    assert_eq!(public["held"]["value"], 6);
    let (_, found) = api.get("/duplicates").await;
    assert!(pair_of(&found, cyr, lat).is_none(), "a merged pair is not proposed");
    // The same merge again is refused.
    let (status, _) = api.post("/merges", merge).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Undo: every page is what it was, and the figures too.
    let (status, _) = Api::new(&app, Some(&viewer))
        .post(&format!("/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = api.post(&format!("/merges/{merge_id}/undo"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["merged_id"], lat);
    let (_, again) = api.post(&format!("/merges/{merge_id}/undo"), json!({})).await;
    assert!(again["error"].as_str().unwrap().contains("undone already"), "{again}");
    assert_eq!(api.get(&format!("/persons/{cyr}")).await.1, before_cyr);
    assert_eq!(api.get(&format!("/persons/{lat}")).await.1, before_lat);
    assert_eq!(held(&app).await, (7, 7));

    // "Not the same person": the pair is not proposed again.
    let (status, _) = api
        .post("/duplicates/distinct", json!({"person_ids": [lat, cyr]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, found) = api.get("/duplicates").await;
    assert!(pair_of(&found, cyr, lat).is_none());

    let audit = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action IN ('person.merge', 'person.unmerge', 'person.distinct') \
         ORDER BY seq",
    )
    .await;
    let (low, high) = (cyr.min(lat), cyr.max(lat));
    assert_eq!(
        audit,
        [
            ("person.merge".to_owned(), format!("merge:{merge_id}")),
            ("person.unmerge".to_owned(), format!("merge:{merge_id}")),
            ("person.distinct".to_owned(), format!("person:{low}+person:{high}")),
        ]
    );
    // The merge row stays, stamped undone.
    let rows = sql(
        &app,
        &format!(
            "SELECT CAST(survivor_id AS TEXT), CAST(undone_at_ms IS NOT NULL AS TEXT) FROM person_merges WHERE id = {merge_id}"
        ),
    )
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, cyr.to_string());
}
on_both_databases!(a_duplicate_is_proposed_merged_counted_once_and_undone_exactly);

async fn merging_two_held_prisoners_lowers_the_held_count_by_one(app: TestApp) {
    let report = app
        .app
        .import_prisoners(&Actor::Cli, list().as_bytes(), false)
        .await
        .unwrap();
    assert!(report.errors.is_empty());
    let writer = token_for(&app, "ales", Role::Documenter).await;
    let api = Api::new(&app, Some(&writer));
    let (_, list) = api.get("/persons?status=held&limit=500").await;
    let held_ids: Vec<(i64, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(held_ids.len(), 7);
    let (a, b) = (held_ids[0], held_ids[1]);
    let (status, body) = api
        .post(
            "/merges",
            json!({"survivor_id": a.0, "survivor_version": a.1, "merged_id": b.0, "merged_version": b.1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(held(&app).await, (6, 6));
    let (_, list) = api.get("/persons?status=held&limit=500").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 6);
    let public = app
        .get_json(&crate::helpers::client(), "/figures.json?as_of=2023-01-01")
        .await;
    assert_eq!(public["held"]["value"], 6);
    let minsk = public["held_by_region"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "minsk-city")
        .unwrap()
        .clone();
    assert_eq!(minsk["value"], 6);
    let undo = body["merge_id"].as_i64().unwrap();
    let (status, _) = api.post(&format!("/merges/{undo}/undo"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held(&app).await, (7, 7));
}
on_both_databases!(merging_two_held_prisoners_lowers_the_held_count_by_one);

async fn the_person_form_warns_of_a_probable_duplicate_and_merges_on_the_pages(app: TestApp) {
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = app.logged_in_client("ales", "ales-password-1").await;
    let (_, form) = app.get(&c, "/persons/new").await;
    let fields = |family: &'static str, given: &'static str| {
        vec![
            ("family_name", family),
            ("given_name", given),
            ("birth_date", "1962-09-25"),
            ("confidentiality", "internal"),
        ]
    };
    let r = app.post_form(&c, "/persons", &form, &fields("Бяляцкі", "Алесь")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first: i64 = r.headers()["location"].to_str().unwrap()[9..].parse().unwrap();

    // The same man in Latin letters: not saved; the existing person with the evidence, the
    // typed text kept, a box to create anyway.
    let r = app
        .post_form(&c, "/persons?lang=en", &form, &fields("Bialiatski", "Aleksandr"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("probably in the registry already"), "{html}");
    assert!(html.contains(&format!("/persons/{first}\"")), "{html}");
    assert!(html.contains("value=\"Bialiatski\""), "the typed text is kept");
    assert!(html.contains("name=\"create_anyway\""));
    assert!(html.contains("agreement-same_key"), "the evidence is shown: {html}");
    let mut anyway = fields("Bialiatski", "Aleksandr");
    anyway.push(("create_anyway", "1"));
    let r = app.post_form(&c, "/persons", &html, &anyway).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second: i64 = r.headers()["location"].to_str().unwrap()[9..].parse().unwrap();

    // The queue and the person page propose the pair; the merge form asks to confirm.
    let (status, queue) = app.get(&c, "/persons/duplicates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue.contains(&format!("/persons/merge?a={first}&#38;b={second}")),
        "{queue}"
    );
    let (_, page) = app.get(&c, &format!("/persons/{second}")).await;
    assert!(page.contains("id=\"duplicates\""), "{page}");
    let (status, merge_page) = app.get(&c, &format!("/persons/merge?a={first}&b={second}")).await;
    assert_eq!(status, StatusCode::OK);
    let pair = [
        ("a", first.to_string()),
        ("b", second.to_string()),
        ("version_a", "1".to_owned()),
        ("version_b", "1".to_owned()),
        ("survivor", first.to_string()),
    ];
    let pair: Vec<(&str, &str)> = pair.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&c, "/persons/merge", &merge_page, &pair).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "not confirmed");
    let mut confirmed = pair.clone();
    confirmed.push(("confirm", "1"));
    let r = app.post_form(&c, "/persons/merge", &merge_page, &confirmed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, survivor) = app.get(&c, &format!("/persons/{first}?lang=en")).await;
    assert!(survivor.contains("Merged into this person"), "{survivor}");
    assert!(survivor.contains("/persons/merges/"), "an undo button");
    let (_, merged) = app.get(&c, &format!("/persons/{second}?lang=en")).await;
    assert!(merged.contains("This person is merged into"), "{merged}");
    let (_, list) = app.get(&c, "/persons").await;
    assert!(!list.contains(&format!("/persons/{second}\"")));
    // A second merge of the same pair, from the old form, is stale.
    let r = app.post_form(&c, "/persons/merge", &merge_page, &confirmed).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Undo from the survivor's page.
    let at = survivor.find("/persons/merges/").unwrap();
    let path = survivor[at..].split('"').next().unwrap().to_owned();
    let r = app.post_form(&c, &path, &survivor, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&c, "/persons").await;
    assert!(list.contains(&format!("/persons/{second}\"")));
}
on_both_databases!(the_person_form_warns_of_a_probable_duplicate_and_merges_on_the_pages);

async fn a_command_line_import_warns_without_building_the_search_index(app: TestApp) {
    app.app
        .import_prisoners(&Actor::Cli, list().as_bytes(), false)
        .await
        .unwrap();
    let dir = app.stop().await;
    let config = razam_app::config::Config::load(&dir.path().join("data"), &Default::default()).unwrap();
    let cli = razam_app::instance::open(
        config,
        razam_app::Unlock::Passphrase(zeroize::Zeroizing::new(crate::helpers::PASSPHRASE.into())),
    )
    .await
    .unwrap();
    // A new row in Russian spelling of the man already there twice (lines 2 and 3 of the
    // first list), and one that is nobody.
    let more = format!("{HEADER}z1,Игорь,Лосик,,1992-06-12,Minsk,,,,\nz2,Янка,Купала,,1982-07-07,Minsk,,,,\n");
    let dry = cli.import_prisoners(&Actor::Cli, more.as_bytes(), true).await.unwrap();
    let lines: Vec<(u64, &str)> = dry.warnings.iter().map(|w| (w.line, w.candidate.as_str())).collect();
    assert_eq!(lines.len(), 1, "{dry:?}");
    assert_eq!(lines[0].0, 2);
    assert!(lines[0].1.starts_with("P-"), "{dry:?}");
    assert_eq!(
        cli.search_stats().persons,
        0,
        "the import read the store, built no index"
    );
    cli.close().await;
}
on_both_databases!(a_command_line_import_warns_without_building_the_search_index);

/// An internal person born on the day both tests' namesakes share.
fn input(family: &str, given: &str) -> razam_app::registry::PersonInput {
    razam_app::registry::PersonInput {
        identity: razam_app::registry::Identity {
            family_name: family.into(),
            given_name: given.into(),
            birth_date: "1962-09-25".into(),
            ..Default::default()
        },
        region: None,
        confidentiality: razam_core::registry::Confidentiality::Internal,
        consent_to_publish: false,
    }
}

/// The possible duplicates of a person page come from candidates prepared once and kept
/// between views; an edit must show on the very next view all the same: a person renamed
/// away leaves the section, one renamed into the same name enters it.
async fn a_change_to_a_person_shows_on_the_next_person_page(app: TestApp) {
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = app.logged_in_client("ales", "ales-password-1").await;
    let a = &app.app;
    let first = a.create_person(&Actor::Cli, &input("Бяляцкі", "Алесь")).await.unwrap();
    let second = a
        .create_person(&Actor::Cli, &input("Bialiatski", "Aleksandr"))
        .await
        .unwrap();
    let third = a.create_person(&Actor::Cli, &input("Kowalski", "Jan")).await.unwrap();
    // The ids of the persons the page proposes as possible duplicates.
    let proposed = |page: &str| -> Vec<i64> {
        let Some(at) = page.find("id=\"duplicates\"") else {
            return Vec::new();
        };
        page[at..]
            .split("<h3><a href=\"/persons/")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect()
    };
    let (status, page) = app.get(&c, &format!("/persons/{first}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proposed(&page), [second], "{page}");
    // Viewed again (the candidates now kept), the same.
    let (_, page) = app.get(&c, &format!("/persons/{first}")).await;
    assert_eq!(proposed(&page), [second]);

    a.update_person(&Actor::Cli, second, 1, &input("Kowalski", "Jan"))
        .await
        .unwrap();
    a.update_person(&Actor::Cli, third, 1, &input("Бяляцки", "Александр"))
        .await
        .unwrap();
    let (_, page) = app.get(&c, &format!("/persons/{first}")).await;
    assert_eq!(proposed(&page), [third], "the edits show on the next view: {page}");
    let (_, page) = app.get(&c, &format!("/persons/{second}")).await;
    assert!(proposed(&page).is_empty(), "{page}");
}
on_both_databases!(a_change_to_a_person_shows_on_the_next_person_page);

/// A person page reads its "not the same person" pairs, recognition and statuses in batched
/// statements, and each request reads its session, account and compartments in one: every
/// change shows on the very next view, whichever side of a pair the person is on.
async fn batched_reads_show_each_change_on_the_next_view(app: TestApp) {
    use razam_app::compartments::RecordKind;
    use razam_core::registry::PrisonerStatus;
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = app.logged_in_client("ales", "ales-password-1").await;
    let a = &app.app;
    let low = a.create_person(&Actor::Cli, &input("Бяляцкі", "Алесь")).await.unwrap();
    let middle = a
        .create_person(&Actor::Cli, &input("Bialiatski", "Aleksandr"))
        .await
        .unwrap();
    let high = a
        .create_person(&Actor::Cli, &input("Бяляцки", "Александр"))
        .await
        .unwrap();
    let proposed = |page: &str| -> Vec<i64> {
        let Some(at) = page.find("id=\"duplicates\"") else {
            return Vec::new();
        };
        let mut ids: Vec<i64> = page[at..]
            .split("<h3><a href=\"/persons/")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect();
        ids.sort_unstable();
        ids
    };
    let page = |id: i64| {
        let (app, c) = (&app, &c);
        async move { app.get(c, &format!("/persons/{id}?lang=en")).await }
    };
    let (status, view) = page(middle).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proposed(&view), [low, high], "{view}");

    // `middle` is the higher id of one pair and the lower of the other.
    a.mark_distinct(&Actor::Cli, low, middle).await.unwrap();
    let (_, view) = page(middle).await;
    assert_eq!(proposed(&view), [high], "the pair where it is the higher id");
    a.mark_distinct(&Actor::Cli, high, middle).await.unwrap();
    let (_, view) = page(middle).await;
    assert!(proposed(&view).is_empty(), "{view}");
    let (_, view) = page(low).await;
    assert_eq!(proposed(&view), [high], "other persons' pairs do not hide candidates");

    // The recognition and each status show on the next view, in order.
    assert!(!view.contains("2021-04-01") && !view.contains("2022-01-01"), "{view}");
    a.recognise(
        &Actor::Cli,
        low,
        Day::parse("2021-04-01").unwrap(),
        "Guidelines 3.b",
        "",
    )
    .await
    .unwrap();
    let (_, view) = page(low).await;
    assert!(view.contains("2021-04-01") && view.contains("Guidelines 3.b"), "{view}");
    a.add_status(
        &Actor::Cli,
        low,
        PrisonerStatus::Released,
        Day::parse("2022-01-01").unwrap(),
    )
    .await
    .unwrap();
    let (_, view) = page(low).await;
    let (held, released) = (view.find("2021-04-01").unwrap(), view.rfind("2022-01-01").unwrap());
    assert!(held < released, "the statuses oldest first: {view}");

    // The session's compartments are read on every request: joining and leaving show at once.
    let cell = a.create_compartment(&Actor::Cli, "Юрысты").await.unwrap();
    a.move_to_compartment(&Actor::Cli, RecordKind::Person, high, Some(cell))
        .await
        .unwrap();
    assert_eq!(page(high).await.0, StatusCode::NOT_FOUND);
    let users = a.list_users(&Actor::Cli).await.unwrap();
    let ales = users.iter().find(|u| u.username == "ales").unwrap().id;
    a.set_compartment_member(&Actor::Cli, cell, ales, true).await.unwrap();
    assert_eq!(page(high).await.0, StatusCode::OK);
    a.set_compartment_member(&Actor::Cli, cell, ales, false).await.unwrap();
    assert_eq!(page(high).await.0, StatusCode::NOT_FOUND);
}
on_both_databases!(batched_reads_show_each_change_on_the_next_view);

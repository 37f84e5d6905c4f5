//! The public figures: no login, definitions and date, small counts suppressed.

use razam_app::Actor;

use crate::helpers::{TestApp, client};
use crate::on_both_databases;

/// Seven persons held in Minsk under article 342 (detained January 2021), two in Brest under
/// 361-1 (detained February 2021): the Brest cells must be suppressed everywhere.
fn list() -> String {
    let mut csv = String::from(
        "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n",
    );
    for i in 1..=7 {
        csv.push_str(&format!("m{i},Name{i},Minsker,,,Minsk,2021-01-1{i},342,2021-03-01,\n"));
    }
    for i in 1..=2 {
        csv.push_str(&format!(
            "b{i},Name{i},Brester,,,Брэст,2021-02-0{i},361-1,2021-03-01,\n"
        ));
    }
    csv
}

async fn the_public_figures_state_their_date_and_hide_small_counts(app: TestApp) {
    let report = app
        .app
        .import_prisoners(&Actor::Cli, list().as_bytes(), false)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    let c = client();
    let json: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2022-01-01").await;
    assert_eq!(json["as_of"], "2022-01-01");
    assert_eq!(json["held"], serde_json::json!({"value": 9, "suppressed": false}));
    assert_eq!(json["recognized_total"]["value"], 9);
    assert!(json["definitions"]["held"].as_str().unwrap().contains("not released"));
    let cell = |list: &str, key: &str| {
        json[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{list} has no {key}: {json}"))
    };
    assert_eq!(cell("held_by_region", "minsk-city")["value"], 7);
    assert_eq!(
        cell("held_by_region", "brest"),
        serde_json::json!({"key": "brest", "value": null, "suppressed": true})
    );
    assert_eq!(cell("held_by_article", "342")["value"], 7);
    assert_eq!(cell("held_by_article", "361-1")["suppressed"], true);
    assert_eq!(cell("detentions_per_month", "2021-01")["value"], 7);
    assert_eq!(
        cell("detentions_per_month", "2021-02")["value"],
        serde_json::Value::Null
    );
    // Before anyone was recognised the totals are zero, which is not suppressed.
    let early: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2021-02-28").await;
    assert_eq!(early["held"]["value"], 0);

    // The page: no login needed, the figure, its definition, a chart drawn on the server,
    // and not a single name.
    let (status, html) = app.get(&c, "/figures?as_of=2022-01-01&lang=en").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>9</strong>"), "{html}");
    assert!(html.contains("As of 2022-01-01"));
    assert!(html.contains("<svg"));
    assert!(html.contains("fewer than 5"));
    assert!(!html.contains("Minsker") && !html.contains("Brester"));
    let (status, _) = app.get(&c, "/figures?as_of=2022-02-30").await;
    assert_eq!(status, 400);
}
on_both_databases!(the_public_figures_state_their_date_and_hide_small_counts);

/// The page answers with the day's last count at once; a change starts one recount, which
/// the next page shows once it is done (awaited here through the app, never by sleeping).
async fn the_page_answers_with_the_last_count_and_shows_a_change_once_recounted(app: TestApp) {
    let day = razam_core::registry::Day::parse("2022-01-01").unwrap();
    app.app
        .import_prisoners(&Actor::Cli, list().as_bytes(), false)
        .await
        .unwrap();
    let c = client();
    let first: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2022-01-01").await;
    assert_eq!(first["held"]["value"], 9, "a day never counted is counted first");
    let first_at = first["counted_at_ms"]
        .as_i64()
        .expect("the figures say when they were counted");

    // A change: one more prisoner held in Minsk.
    let one_more = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                    m8,Name8,Minsker,,,Minsk,2021-01-18,342,2021-03-01,\n";
    let report = app
        .app
        .import_prisoners(&Actor::Cli, one_more.as_bytes(), false)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{report:?}");

    // The next page is answered with the last count, not after a recount...
    let stale: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2022-01-01").await;
    assert_eq!(stale["held"]["value"], 9);
    assert_eq!(stale["counted_at_ms"], first["counted_at_ms"]);
    // ...while the recount that change started runs; once it is done, pages show it.
    let recounted = app.app.public_figures_recounted(day).await.unwrap();
    assert_eq!(recounted.held.value, Some(10));
    assert_eq!(recounted.held_by_region[0].count.value, Some(8));
    assert!(recounted.counted_at_ms >= first_at);
    let after: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2022-01-01").await;
    assert_eq!(after["held"]["value"], 10);
    assert_eq!(after["counted_at_ms"].as_i64(), Some(recounted.counted_at_ms));
    let (status, html) = app.get(&c, "/figures?as_of=2022-01-01&lang=en").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>10</strong>"), "{html}");
    assert!(html.contains("id=\"counted-at\">Counted 20"), "{html}");

    // Reads leave the count alone: a search (an audited read) starts no recount.
    let found = app.app.search(&Actor::Cli, "Minsker", 20).await.unwrap();
    assert!(found.persons.all > 0);
    let again = app.app.public_figures_recounted(day).await.unwrap();
    assert_eq!(again.counted_at_ms, recounted.counted_at_ms);
}
on_both_databases!(the_page_answers_with_the_last_count_and_shows_a_change_once_recounted);

/// Under steady writes the figures are counted at most once every `RECOUNT_EVERY_MS`: a page
/// within that time of the last count shows it and starts nothing, the first page after it
/// starts the recount, and once that is done the change shows on the next page. The clock is
/// the app's argument, moved here instead of slept.
async fn a_change_is_recounted_at_most_once_in_the_interval_and_then_shown(app: TestApp) {
    use razam_app::figures::RECOUNT_EVERY_MS;
    let day = razam_core::registry::Day::parse("2022-01-01").unwrap();
    let a = &app.app;
    a.import_prisoners(&Actor::Cli, list().as_bytes(), false).await.unwrap();
    let t = razam_app::now_ms();
    let first = a.public_figures_at_clock(day, t).await.unwrap();
    assert_eq!(first.held.value, Some(9), "a day never counted is counted first");
    assert_eq!(
        first.counted_at_ms, t,
        "the count states the clock of the page that started it"
    );
    let counts = a.public_figures_counts_started();

    // Writes, one after another, each moving the change mark.
    for i in 1..=3 {
        let row = format!(
            "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
             n{i},Name{i},Newer,,,Minsk,2021-01-2{i},342,2021-03-01,\n"
        );
        let report = a.import_prisoners(&Actor::Cli, row.as_bytes(), false).await.unwrap();
        assert!(report.errors.is_empty(), "{report:?}");
        // Pages within the interval: the last count, and no recount started.
        for ms in [1, RECOUNT_EVERY_MS / 2, RECOUNT_EVERY_MS - 1] {
            let page = a.public_figures_at_clock(day, t + ms).await.unwrap();
            assert_eq!(page.held.value, Some(9));
            assert_eq!(page.counted_at_ms, t);
        }
    }
    assert_eq!(
        a.public_figures_counts_started(),
        counts,
        "no recount within the interval"
    );

    // The first page after the interval still answers at once with the last count, and
    // starts one recount; the pages while it runs start no other.
    let later = t + RECOUNT_EVERY_MS;
    let page = a.public_figures_at_clock(day, later).await.unwrap();
    assert_eq!((page.held.value, page.counted_at_ms), (Some(9), t));
    let _ = a.public_figures_at_clock(day, later + 1).await.unwrap();
    let recounted = a.public_figures_recounted(day).await.unwrap();
    assert_eq!(a.public_figures_counts_started(), counts + 1, "one recount");
    assert_eq!(recounted.held.value, Some(12), "all three changes counted");
    assert_eq!(recounted.counted_at_ms, later);
    // The next page shows the change.
    let next = a.public_figures_at_clock(day, later + 2).await.unwrap();
    assert_eq!(next.held.value, Some(12));
    assert_eq!(next.counted_at_ms, recounted.counted_at_ms);
    let c = client();
    let json: serde_json::Value = app.get_json(&c, "/figures.json?as_of=2022-01-01").await;
    assert_eq!(json["held"]["value"], 12);
}
on_both_databases!(a_change_is_recounted_at_most_once_in_the_interval_and_then_shown);

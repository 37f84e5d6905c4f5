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

//! The JSON API under /api/v1 on both databases: tokens made on the account page, the same
//! authorisation and levels as the pages, JSON errors naming the bad fields, stale versions.

use razam_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{Db, TestApp, add_user, client};
use crate::on_both_databases;

/// Makes a user of `role`, logs in, makes a token on the account page; returns the token.
pub(crate) async fn token_for(app: &TestApp, username: &str, role: Role) -> String {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    let c = app.logged_in_client(username, &password).await;
    make_token(app, &c, "script").await
}

async fn make_token(app: &TestApp, c: &reqwest::Client, name: &str) -> String {
    let (_, page) = app.get(c, "/account").await;
    let r = app
        .post_form(c, "/account/tokens", &page, &[("name", name), ("days", "30")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let at = html.find("<code id=\"new-token\">").expect("the new token is shown") + 21;
    html[at..].split('<').next().unwrap().to_owned()
}

/// Runs one SQL statement against the instance's database, as an operator with a shell would.
pub(crate) async fn sql(app: &TestApp, statement: &str) -> Vec<(String, String)> {
    match app.db {
        Db::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(app.data_dir().join("razam.db"));
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            sqlx::query_as(statement).fetch_all(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query_as(statement).fetch_all(&mut conn).await.unwrap()
        }
    }
}

pub(crate) struct Api<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: Option<String>,
}

impl<'a> Api<'a> {
    pub(crate) fn new(app: &'a TestApp, token: Option<&str>) -> Api<'a> {
        Api {
            app,
            http: client(),
            token: token.map(str::to_owned),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self.http.request(method, self.app.url(&format!("/api/v1{path}")));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
}

pub(crate) fn person(family: &str, level: &str) -> Value {
    json!({
        "given_name": "Алесь",
        "family_name": family,
        "variants": ["Ales"],
        "birth_date": "1962-04",
        "region": "Minsk",
        "confidentiality": level,
    })
}

async fn a_token_is_made_on_the_account_page_shown_once_and_revoked_there(app: TestApp) {
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = app.logged_in_client("ales", "ales-password-1").await;
    let token = make_token(&app, &c, "backup script").await;
    assert!(token.starts_with("razam_"), "{token}");
    assert_eq!(token.len(), 6 + 43);
    assert!(
        token[6..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );

    // The account page lists the token by name from now on, never its text.
    let (_, page) = app.get(&c, "/account").await;
    assert!(page.contains("backup script"));
    assert!(page.contains("not yet"), "not used yet");
    assert!(!page.contains(&token), "the token is shown once only");

    let api = Api::new(&app, Some(&token));
    let (status, body) = api.get("/persons").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["next_before"], Value::Null);
    // The day of use is noted.
    let (_, page) = app.get(&c, "/account").await;
    assert!(!page.contains("not yet"), "used today");

    // A bad name or expiry is refused on the page, and nothing is made.
    let r = app
        .post_form(&c, "/account/tokens", &page, &[("name", "x"), ("days", "-3")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(&c, "/account/tokens", &page, &[("name", " "), ("days", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Without the session's CSRF token, no token.
    let r = c
        .post(app.url("/account/tokens"))
        .form(&[("csrf", "00"), ("name", "sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Someone else cannot revoke it; its owner can.
    let id = page
        .split("/account/tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    add_user(&app.app, "other", "Іншы", Role::Documenter, "other-password-1").await;
    let other = app.logged_in_client("other", "other-password-1").await;
    let (_, other_page) = app.get(&other, "/account").await;
    let r = app
        .post_form(&other, &format!("/account/tokens/{id}/revoke"), &other_page, &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.get("/persons").await.0, StatusCode::OK);
    let r = app
        .post_form(&c, &format!("/account/tokens/{id}/revoke"), &page, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) = api.get("/persons").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("Bearer"));
    let (_, page) = app.get(&c, "/account").await;
    assert!(page.contains("revoked"));

    // Both are in the audit log, naming the token by id only.
    let audit = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action LIKE 'api_token.%' ORDER BY seq",
    )
    .await;
    assert_eq!(
        audit,
        vec![
            ("api_token.create".to_owned(), format!("api_token:{id}")),
            ("api_token.revoke".to_owned(), format!("api_token:{id}")),
        ]
    );
}
on_both_databases!(a_token_is_made_on_the_account_page_shown_once_and_revoked_there);

async fn a_documenter_records_through_the_api_and_reads_it_back(app: TestApp) {
    let token = token_for(&app, "ales", Role::Documenter).await;
    let api = Api::new(&app, Some(&token));

    let (status, created) = api.post("/persons", person("Бяляцкі", "internal")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["label"], json!(format!("P-{id:06}")));
    assert_eq!(created["version"], json!(1));
    assert_eq!(created["region"], json!("minsk-city"));
    assert_eq!(created["variants"], json!(["Ales"]));

    let (status, event) = api
        .post(
            "/events",
            json!({
                "kind": "criminal_case",
                "date": "2021-07",
                "region": "minsk-city",
                "facility": "СІЗА-1",
                "confidentiality": "internal",
                "articles": ["342", "ст. 361-1"],
                "persons": [{"person_id": id, "role": "victim"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event_id = event["id"].as_i64().unwrap();
    assert_eq!(event["articles"], json!(["342", "361-1"]));
    assert_eq!(event["date_first"], json!("2021-07-01"));
    assert_eq!(event["date_last"], json!("2021-07-31"));

    // Read back: the person with the event, the event with the person.
    let (status, read) = api.get(&format!("/persons/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["family_name"], json!("Бяляцкі"));
    assert_eq!(read["events"][0]["id"], json!(event_id));
    assert_eq!(read["events"][0]["role"], json!("victim"));
    assert_eq!(read["events"][0]["facility"], json!("СІЗА-1"));
    let (status, read_event) = api.get(&format!("/events/{event_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read_event["persons"][0]["person_id"], json!(id));
    // Reading a person is audited as on the page; the token acts as its owner.
    let reads = sql(
        &app,
        &format!("SELECT actor, object FROM audit_log WHERE action = 'person.read' AND object = 'person:{id}'"),
    )
    .await;
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads[0].0.starts_with("account:"));

    // An edit against the stored version is saved; one against an older version is refused.
    let mut edit = person("Бяляцкі", "internal");
    edit["notes"] = json!("перапісана");
    edit["version"] = json!(1);
    let (status, updated) = api.put(&format!("/persons/{id}"), edit.clone()).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], json!(2));
    let (status, stale) = api.put(&format!("/persons/{id}"), edit).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert!(stale["error"].as_str().unwrap().contains("newer version"));
    let mut event_edit =
        json!({"kind": "criminal_case", "date": "2021-07", "confidentiality": "internal", "version": 1});
    let (status, _) = api.put(&format!("/events/{event_id}"), event_edit.clone()).await;
    assert_eq!(status, StatusCode::OK);
    event_edit["description"] = json!("x");
    assert_eq!(
        api.put(&format!("/events/{event_id}"), event_edit).await.0,
        StatusCode::CONFLICT
    );

    // What a read answers may be sent back changed, as it is.
    let (_, mut read) = api.get(&format!("/persons/{id}")).await;
    read["patronymic"] = json!("Віктаравіч");
    let (status, body) = api.put(&format!("/persons/{id}"), read).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], json!(3));
    let (_, mut read) = api.get(&format!("/events/{event_id}")).await;
    read["facility"] = json!("СІЗА-8");
    let (status, body) = api.put(&format!("/events/{event_id}"), read).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["facility"], json!("СІЗА-8"));

    // The history says who changed which field.
    let (status, history) = api.get(&format!("/persons/{id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(
        versions[1]["changes"],
        json!([{"field": "notes", "before": "", "after": "перапісана"}])
    );
    let (status, history) = api.get(&format!("/events/{event_id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["versions"].as_array().unwrap().len(), 3);

    // Bad input: every bad field named at once.
    let (status, bad) = api
        .post(
            "/persons",
            json!({"birth_date": "1962-13", "confidentiality": "secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields = bad["fields"].as_object().unwrap();
    assert!(fields.contains_key("birth_date"));
    assert!(fields.contains_key("confidentiality"));
    assert!(fields.contains_key("family_name"));
    let (status, bad) = api
        .post(
            "/events",
            json!({"kind": "arrest", "date": "yesterday", "articles": "342; abc", "confidentiality": "internal",
                   "persons": [{"person_id": 999999, "role": "victim"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields = bad["fields"].as_object().unwrap();
    for f in ["kind", "date", "articles"] {
        assert!(fields.contains_key(f), "{f} in {bad}");
    }
    let (status, bad) = api
        .post(
            "/events",
            json!({"kind": "detention", "confidentiality": "internal", "persons": [{"person_id": 999999, "role": "victim"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["fields"]["persons"].is_string());
    let (status, bad) = api.put(&format!("/persons/{id}"), person("Бяляцкі", "internal")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["fields"]["version"].is_string());
    let (status, bad) = api.post("/persons", json!({"family_name": "X", "nmae": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"].as_str().unwrap().contains("nmae"));
    let (status, _) = api.get("/persons?limit=0&status=free").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.get("/persons/999999").await.0, StatusCode::NOT_FOUND);
    let (status, body) = api.get("/events/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string(), "JSON even for a malformed id");
    assert_eq!(api.get("/no-such-route").await.0, StatusCode::NOT_FOUND);
    let (status, body) = api.send(reqwest::Method::DELETE, "/persons", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["error"].is_string(), "{body}");

    // Keyset paging: newest first, `next_before` until the last page.
    for name in ["Два", "Тры"] {
        assert_eq!(
            api.post("/persons", person(name, "public")).await.0,
            StatusCode::CREATED
        );
    }
    let (_, first) = api.get("/persons?limit=2").await;
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["family_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Тры", "Два"]);
    let next = first["next_before"].as_i64().unwrap();
    let (_, second) = api.get(&format!("/persons?limit=2&before={next}")).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], json!(id));
    assert_eq!(second["next_before"], Value::Null);
    let (_, events) = api.get("/events?kind=criminal_case&from=2021-07-15").await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    let (_, events) = api.get("/events?to=2021-06-30").await;
    assert_eq!(events["items"], json!([]));

    // Recognition is for reviewers.
    let (status, _) = api
        .post(
            &format!("/persons/{id}/recognition"),
            json!({"recognized_on": "2021-08-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reviewer = token_for(&app, "hanna", Role::Reviewer).await;
    let reviewer = Api::new(&app, Some(&reviewer));
    let (status, recognised) = reviewer
        .post(
            &format!("/persons/{id}/recognition"),
            json!({"recognized_on": "2021-08-01", "criteria": "3.b", "reasoning": "пратэст"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{recognised}");
    assert_eq!(recognised["recognition"]["recognized_on"], json!("2021-08-01"));
    assert_eq!(recognised["status"], json!({"status": "held", "since": "2021-08-01"}));
    let (status, released) = reviewer
        .post(
            &format!("/persons/{id}/statuses"),
            json!({"status": "released", "on": "2024-09-16"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{released}");
    assert_eq!(released["statuses"].as_array().unwrap().len(), 2);
    let (status, bad) = reviewer
        .post(
            &format!("/persons/{id}/statuses"),
            json!({"status": "free", "on": "2024"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["fields"]["status"].is_string() && bad["fields"]["on"].is_string());
    let (_, held) = reviewer.get("/persons?status=held&as_of=2022-01-01").await;
    assert_eq!(held["items"][0]["id"], json!(id));

    // A client's retry with the same idempotency key creates nothing: 200 with the first
    // event. A change carries none (it is made once by its version).
    let keyed = json!({
        "kind": "detention",
        "date": "2020-08-10",
        "region": "minsk-city",
        "confidentiality": "internal",
        "persons": [{"person_id": id, "role": "victim"}],
        "idempotency_key": "client-retry-1",
    });
    let (status, made) = api.post("/events", keyed.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, again) = api.post("/events", keyed).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], made["id"]);
    let mut change = again.clone();
    change["idempotency_key"] = json!("client-retry-2");
    let (status, refused) = api.put(&format!("/events/{}", made["id"]), change).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["fields"]["idempotency_key"].is_string(), "{refused}");
}
on_both_databases!(a_documenter_records_through_the_api_and_reads_it_back);

async fn the_api_allows_what_the_pages_allow(app: TestApp) {
    let documenter = token_for(&app, "ales", Role::Documenter).await;
    let viewer = token_for(&app, "volha", Role::Viewer).await;
    let volunteer = token_for(&app, "ihar", Role::Volunteer).await;
    let documenter = Api::new(&app, Some(&documenter));
    let viewer = Api::new(&app, Some(&viewer));
    let volunteer = Api::new(&app, Some(&volunteer));

    let (_, open) = documenter.post("/persons", person("Адкрыты", "internal")).await;
    let (_, hidden) = documenter.post("/persons", person("Схаваны", "restricted")).await;
    let (open, hidden) = (open["id"].as_i64().unwrap(), hidden["id"].as_i64().unwrap());
    let (_, event) = documenter
        .post(
            "/events",
            json!({"kind": "search", "confidentiality": "restricted", "persons": [{"person_id": open, "role": "witness"}]}),
        )
        .await;
    let event = event["id"].as_i64().unwrap();

    // A viewer reads public and internal records, not restricted ones, and writes nothing.
    let (status, list) = viewer.get("/persons").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [open]);
    let (status, read) = viewer.get(&format!("/persons/{open}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["events"], json!([]), "the restricted event is left out");
    assert_eq!(viewer.get(&format!("/persons/{hidden}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get(&format!("/persons/{hidden}/history")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(viewer.get(&format!("/events/{event}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/events").await.1["items"], json!([]));
    let (status, body) = viewer.post("/persons", person("Новы", "public")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut edit = person("Адкрыты", "internal");
    edit["version"] = json!(1);
    assert_eq!(
        viewer.put(&format!("/persons/{open}"), edit).await.0,
        StatusCode::FORBIDDEN
    );

    // A volunteer reads nothing of the registry.
    assert_eq!(volunteer.get("/persons").await.0, StatusCode::FORBIDDEN);
    assert_eq!(volunteer.get("/events").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        volunteer.get(&format!("/persons/{open}")).await.0,
        StatusCode::FORBIDDEN
    );

    // The public figures and the document need no token.
    let anonymous = Api::new(&app, None);
    let (status, figures) = anonymous.get("/figures?as_of=2026-01-01").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(figures["as_of"], json!("2026-01-01"));
    let (status, doc) = anonymous.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], json!("3.1.0"));
}
on_both_databases!(the_api_allows_what_the_pages_allow);

async fn only_a_live_token_of_an_enabled_account_gets_in(app: TestApp) {
    let token = token_for(&app, "ales", Role::Documenter).await;
    assert_eq!(Api::new(&app, Some(&token)).get("/persons").await.0, StatusCode::OK);

    // No token, garbage, a well-formed stranger, a cookie instead of a token.
    let r = client().get(app.url("/api/v1/persons")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string());
    let stranger = format!("razam_{}", "A".repeat(43));
    for bad in ["garbage", "razam_", stranger.as_str(), &token[..token.len() - 1]] {
        assert_eq!(
            Api::new(&app, Some(bad)).get("/persons").await.0,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
    let r = client()
        .get(app.url("/api/v1/persons"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let browser = app.logged_in_client("ales", "ales-password-1").await;
    let r = browser.get(app.url("/api/v1/persons")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a session cookie is not a token");

    // An expired token: its expiry moved into the past, as time would.
    let second = make_token(&app, &browser, "expiring").await;
    assert_eq!(Api::new(&app, Some(&second)).get("/persons").await.0, StatusCode::OK);
    sql(&app, "UPDATE api_tokens SET expires_at_ms = 1 WHERE expires_at_ms IS NOT NULL AND id = (SELECT MAX(id) FROM api_tokens)").await;
    assert_eq!(
        Api::new(&app, Some(&second)).get("/persons").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, page) = app.get(&browser, "/account").await;
    assert!(page.contains("expired"));

    // A disabled owner's token stops at once, and works again when enabled.
    let ales = razam_core::Username::parse("ales").unwrap();
    app.app
        .set_user_disabled(&razam_app::Actor::Cli, &ales, true)
        .await
        .unwrap();
    assert_eq!(
        Api::new(&app, Some(&token)).get("/persons").await.0,
        StatusCode::UNAUTHORIZED
    );
    app.app
        .set_user_disabled(&razam_app::Actor::Cli, &ales, false)
        .await
        .unwrap();
    assert_eq!(Api::new(&app, Some(&token)).get("/persons").await.0, StatusCode::OK);

    // An administrator may revoke anyone's token.
    let id = &sql(&app, "SELECT CAST(MIN(id) AS TEXT), 'x' FROM api_tokens").await[0].0;
    let admin = app
        .logged_in_client(crate::helpers::ADMIN, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (_, page) = app.get(&admin, "/account").await;
    let r = app
        .post_form(&admin, &format!("/account/tokens/{id}/revoke"), &page, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Api::new(&app, Some(&token)).get("/persons").await.0,
        StatusCode::UNAUTHORIZED
    );
}
on_both_databases!(only_a_live_token_of_an_enabled_account_gets_in);

async fn sources_are_added_and_read_through_the_api_by_level(app: TestApp) {
    let doc = Api::new(&app, Some(&token_for(&app, "ales", Role::Documenter).await));
    let viewer = Api::new(&app, Some(&token_for(&app, "volha", Role::Viewer).await));
    let (_, p) = doc.post("/persons", person("Бяляцкі", "internal")).await;
    let (_, e) = doc
        .post(
            "/events",
            json!({"kind": "search", "date": "2021-07-14", "confidentiality": "internal",
                   "persons": [{"person_id": p["id"], "role": "victim"}]}),
        )
        .await;
    let path = format!("/events/{}/sources", e["id"]);

    let (status, refused) = doc
        .post(&path, json!({"kind": "rumour", "confidentiality": "internal"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["fields"]["kind"].is_string() && refused["fields"]["title"].is_string(),
        "{refused}"
    );
    for (title, level) in [("Viasna report", "internal"), ("Сведчанне суседа", "restricted")] {
        let (status, added) = doc
            .post(
                &path,
                json!({"kind": "testimony", "title": title, "reference": "arch/7", "confidentiality": level}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["title"], json!(title));
    }
    let (status, viewer_post) = viewer
        .post(
            &path,
            json!({"kind": "document", "title": "x", "confidentiality": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{viewer_post}");

    let (_, all) = doc.get(&path).await;
    assert_eq!(all["sources"].as_array().unwrap().len(), 2);
    let (_, seen) = viewer.get(&path).await;
    let titles: Vec<_> = seen["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].clone())
        .collect();
    assert_eq!(
        titles,
        [json!("Viasna report")],
        "a viewer does not see restricted sources"
    );
}
on_both_databases!(sources_are_added_and_read_through_the_api_by_level);

async fn the_triage_queue_is_worked_through_the_api(app: TestApp) {
    for family in ["Каваленка", "Kavalenka", "Адкінуты"] {
        let report = razam_app::intake::IntakeReport {
            given_name: "Алесь".into(),
            family_name: family.into(),
            detained_on: "2024-03-15".into(),
            region: "grodno".into(),
            what_happened: "Затрымалі каля дома".into(),
            ..Default::default()
        };
        app.app.submit_report(None, &report).await.unwrap();
    }
    let doc = Api::new(&app, Some(&token_for(&app, "ales", Role::Documenter).await));
    let viewer = Api::new(&app, Some(&token_for(&app, "volha", Role::Viewer).await));
    let (status, _) = viewer.get("/intake").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, queue) = doc.get("/intake").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let ids: Vec<i64> = queue["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    let (_, first) = doc.get(&format!("/intake/{}", ids[0])).await;
    assert_eq!(first["report"]["family_name"], json!("Каваленка"));

    // Accept as corrected: a new person with the detention.
    let (status, accepted) = doc
        .post(
            &format!("/intake/{}/accept", ids[0]),
            json!({"person": person("Каваленка", "restricted"),
                   "event": {"date": "2024-03-15", "region": "grodno", "confidentiality": "restricted"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{accepted}");
    let person_id = accepted["id"].as_i64().unwrap();
    assert_eq!(accepted["events"][0]["kind"], json!("detention"));
    let (status, again) = doc
        .post(
            &format!("/intake/{}/accept", ids[0]),
            json!({"person": person("Каваленка", "restricted"), "event": {"confidentiality": "restricted"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // The Latin spelling is the same person: its candidates name her; merged into her.
    let (_, second) = doc.get(&format!("/intake/{}", ids[1])).await;
    assert!(
        second["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == json!(person_id)),
        "{second}"
    );
    let (status, refused) = doc
        .post(
            &format!("/intake/{}/merge", ids[1]),
            json!({"person_id": 999_999, "event": {"date": "2024-03", "confidentiality": "internal"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["fields"]["person_id"].is_string(), "{refused}");
    let (status, merged) = doc
        .post(
            &format!("/intake/{}/merge", ids[1]),
            json!({"person_id": person_id, "event": {"date": "2024-03", "confidentiality": "internal"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["events"].as_array().unwrap().len(), 2);

    let (status, _) = doc.post(&format!("/intake/{}/reject", ids[2]), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, queue) = doc.get("/intake").await;
    assert!(queue["reports"].as_array().unwrap().is_empty(), "{queue}");
}
on_both_databases!(the_triage_queue_is_worked_through_the_api);

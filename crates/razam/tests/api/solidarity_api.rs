//! In-kind aid, volunteers and a bank's CSV layout over `/api/v1`, on both databases: a
//! coordinator keeps a catalogue, warehouses, stock and a shipment; stock never goes below zero
//! (422 naming the level); a volunteer signs up and the coverage shows it; a CSV mapping saved
//! through the API is the one a statement is then read by; roles without the permission get 403.

use razam_app::Actor;
use razam_app::ledger::AccountSpec;
use razam_core::Role;
use razam_core::ledger::{AccountKind, AccountRules, Currency, Iban};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_databases;

/// A client acting with one token: `send(method, path, body)` → (status, JSON or null).
struct Client<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: String,
}

impl<'a> Client<'a> {
    async fn new(app: &'a TestApp, name: &str, role: Role) -> Client<'a> {
        Client {
            app,
            http: reqwest::Client::new(),
            token: crate::api::token_for(app, name, role).await,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}

async fn a_coordinator_keeps_stock_and_ships_through_the_api(app: TestApp) {
    let coord = Client::new(&app, "coord", Role::Coordinator).await;
    let (status, e) = coord
        .post(
            "/aid/items",
            json!({"name": "Soap", "category": "soap", "unit": "pcs", "unit_value": {"amount": "-1", "currency": "EUR"}}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["fields"]["category"].is_string(), "{e}");
    assert!(e["fields"]["unit_value"].is_string(), "{e}");
    let (status, r) = coord
        .post(
            "/aid/items",
            json!({"name": "Soap", "category": "hygiene", "unit": "pcs", "unit_value": {"amount": "0,90", "currency": "eur"}}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let soap = r["id"].as_i64().unwrap();
    let (status, item) = coord.get(&format!("/aid/items/{soap}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        item,
        json!({"id": soap, "name": "Soap", "category": "hygiene", "unit": "pcs", "unit_value": {"minor": 90, "currency": "EUR"}})
    );
    let (status, r) = coord
        .post("/aid/warehouses", json!({"name": "Hall", "place": "Vilnius"}))
        .await;
    assert_eq!(status, 201, "{r}");
    let hall = r["id"].as_i64().unwrap();
    let (_, list) = coord.get("/aid/warehouses").await;
    assert_eq!(
        list["warehouses"],
        json!([{"id": hall, "name": "Hall", "place": "Vilnius"}])
    );
    let (status, _) = coord.get(&format!("/aid/warehouses/{}", hall + 1000)).await;
    assert_eq!(status, 404);

    let (status, r) = coord
        .post(
            "/aid/movements",
            json!({"kind": "receipt", "item": soap, "quantity": 40, "to": hall}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let (status, r) = coord
        .post("/aid/shipments", json!({"case": "A-TEST", "notes": "family of four"}))
        .await;
    assert_eq!(status, 201, "{r}");
    let shipment = r["id"].as_i64().unwrap();
    assert_eq!(r["code"], format!("SHP-{shipment:06}"));
    let (status, e) = coord
        .post(&format!("/aid/shipments/{shipment}/advance"), json!({}))
        .await;
    assert_eq!(status, 422, "an empty shipment is not sent: {e}");
    let dispatch = |quantity: i64| json!({"kind": "dispatch", "item": soap, "quantity": quantity, "from": hall, "shipment": shipment});
    let (status, r) = coord.post("/aid/movements", dispatch(15)).await;
    assert_eq!(status, 201, "{r}");
    // Stock never goes below zero: refused whole, the level named.
    let (status, e) = coord.post("/aid/movements", dispatch(30)).await;
    assert_eq!(status, 422);
    assert!(
        e["error"].as_str().unwrap().contains("25 pcs in stock, 30 asked"),
        "{e}"
    );
    let (_, stock) = coord.get("/aid/stock").await;
    assert_eq!(stock["levels"][0]["item_id"], soap);
    assert_eq!(stock["levels"][0]["quantity"], 25);

    let (status, r) = coord
        .post(&format!("/aid/shipments/{shipment}/advance"), json!({}))
        .await;
    assert_eq!((status, &r["status"]), (200, &json!("sent")), "{r}");
    let (status, s) = coord.get(&format!("/aid/shipments/{shipment}")).await;
    assert_eq!(status, 200);
    assert_eq!(s["status"], "sent");
    assert_eq!(s["items"], 15);
    assert_eq!(s["dispatches"][0]["quantity"], 15);
    assert_eq!(s["dispatches"][0]["shipment"], format!("SHP-{shipment:06}"));
    // The recipient is the opaque reference; what it stands for is not answered.
    assert!(s["recipient"].as_str().unwrap().starts_with("R-"), "{s}");
    let text = s.to_string();
    assert!(!text.contains("A-TEST") && !text.contains("family"), "{s}");
    let (_, list) = coord.get("/aid/shipments").await;
    assert_eq!(list["shipments"][0]["id"], shipment);

    // A volunteer, who may not keep stock, is refused every one of these.
    let vol = Client::new(&app, "vol", Role::Volunteer).await;
    for path in ["/aid/items", "/aid/warehouses", "/aid/shipments", "/aid/stock"] {
        assert_eq!(vol.get(path).await.0, 403, "{path}");
    }
    let (status, _) = vol
        .post("/aid/warehouses", json!({"name": "Mine", "place": "Home"}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        coord.get("/aid/warehouses").await.1["warehouses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
on_both_databases!(a_coordinator_keeps_stock_and_ships_through_the_api);

async fn a_volunteer_signs_up_through_the_api_and_the_coverage_shows_it(app: TestApp) {
    let coord = Client::new(&app, "coord", Role::Coordinator).await;
    let vol = Client::new(&app, "vol", Role::Volunteer).await;
    let (status, r) = coord
        .post(
            "/places",
            json!({"name": "Help desk, Vilnius station", "description": "hall"}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let place = r["id"].as_i64().unwrap();
    let (_, places) = vol.get("/places").await;
    assert_eq!(places["places"][0]["id"], place, "volunteers see the places");
    let day_ms = 86_400_000;
    let tomorrow = (razam_app::today().days_since_epoch() + 1) * day_ms;
    let shift = |needs: Value| {
        json!({"place": place, "starts_at_ms": tomorrow + 8 * 3_600_000, "ends_at_ms": tomorrow + 14 * 3_600_000,
               "head_count": 2, "needs": needs})
    };
    let (status, e) = coord.post("/shifts", shift(json!({"lang:xx": 1}))).await;
    assert_eq!(status, 422);
    assert!(e["fields"]["needs"].as_str().unwrap().contains("lang:xx"), "{e}");
    let (status, r) = coord.post("/shifts", shift(json!({"lang:uk": 1}))).await;
    assert_eq!(status, 201, "{r}");
    let shift = r["id"].as_i64().unwrap();
    let (status, e) = coord
        .post(
            "/volunteers",
            json!({"name": "Olena", "skills": ["lang:uk", "cooking?"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(e["fields"]["skills"].as_str().unwrap().contains("cooking?"), "{e}");
    let (status, r) = coord
        .post(
            "/volunteers",
            json!({"name": "Olena", "contact": "+370 600 00000", "skills": ["lang:uk", "lang:ru"], "account": "vol"}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let olena = r["id"].as_i64().unwrap();
    let (_, v) = coord.get(&format!("/volunteers/{olena}")).await;
    assert_eq!(
        v,
        json!({"id": olena, "name": "Olena", "contact": "+370 600 00000", "skills": ["lang:ru", "lang:uk"], "linked": true})
    );
    let (_, cov) = coord.get("/shifts/coverage?days=3").await;
    assert_eq!(cov["uncovered"][0]["id"], shift);
    assert_eq!(cov["uncovered"][0]["open_places"], 2);
    assert_eq!(cov["uncovered"][0]["missing"]["lang:uk"], 1);

    // The volunteer signs themselves up (no body): one place taken, the language covered.
    let (status, r) = vol
        .send(reqwest::Method::POST, &format!("/shifts/{shift}/sign-up"), None)
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, mine) = vol.get("/shifts?days=3").await;
    assert_eq!(
        (&mine["shifts"][0]["id"], &mine["shifts"][0]["mine"]),
        (&json!(shift), &json!(true))
    );
    let (_, cov) = coord.get("/shifts/coverage?days=3").await;
    assert_eq!(cov["uncovered"][0]["open_places"], 1);
    assert_eq!(cov["uncovered"][0]["missing"], json!({}));
    assert_eq!(
        cov["uncovered"][0]["volunteers"],
        json!([{"id": olena, "name": "Olena"}])
    );
    let (status, _) = vol.post(&format!("/shifts/{shift}/cancel"), json!({})).await;
    assert_eq!(status, 200);
    let (_, cov) = coord.get("/shifts/coverage?days=3").await;
    assert_eq!(cov["uncovered"][0]["open_places"], 2);

    // A volunteer does not manage volunteers, places or shifts; a documenter not even shifts.
    assert_eq!(vol.get("/volunteers").await.0, 403);
    assert_eq!(vol.get(&format!("/volunteers/{olena}")).await.0, 403);
    assert_eq!(vol.post("/volunteers", json!({"name": "Me"})).await.0, 403);
    assert_eq!(vol.post("/places", json!({"name": "Mine"})).await.0, 403);
    assert_eq!(
        vol.post(
            "/shifts",
            json!({"place": place, "starts_at_ms": 0, "ends_at_ms": 1, "head_count": 1})
        )
        .await
        .0,
        403
    );
    let doc = Client::new(&app, "doc", Role::Documenter).await;
    assert_eq!(doc.get("/places").await.0, 403);
    assert_eq!(
        coord.get("/volunteers").await.1["volunteers"].as_array().unwrap().len(),
        1
    );
}
on_both_databases!(a_volunteer_signs_up_through_the_api_and_the_coverage_shows_it);

async fn a_csv_mapping_saved_through_the_api_reads_the_next_statement(app: TestApp) {
    let pl = "PL61109010140000071219812874";
    app.app
        .create_ledger_account(
            &Actor::Cli,
            AccountSpec {
                code: "bank-pln".into(),
                name: "Konto".into(),
                kind: AccountKind::Asset,
                currency: Some(Currency::PLN),
                rules: AccountRules::default(),
                iban: Some(Iban::parse(pl).unwrap()),
            },
        )
        .await
        .unwrap();
    let coord = Client::new(&app, "coord", Role::Coordinator).await;
    let csv = "Data;Kwota;Kontrahent;Tytuł\n01.03.2026;1.250,00;Fundacja;darowizna\n";
    let import = || async {
        let r = coord
            .http
            .post(app.url(&format!("/api/v1/ledger/statements?iban={pl}")))
            .bearer_auth(&coord.token)
            .body(csv)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let (status, e) = import().await;
    assert_eq!(status, 404, "no mapping yet: {e}");
    let mapping = json!({"delimiter": ";", "date": "Data", "date_format": "DD.MM.YYYY", "amount": "Kwota",
                         "counterparty": "Kontrahent", "reference": "Tytuł", "decimal_comma": true});
    let (status, e) = coord
        .post("/ledger/csv-mappings", json!({"iban": "PL00 1234", "mapping": mapping}))
        .await;
    assert_eq!(status, 422);
    assert!(e["fields"]["iban"].is_string(), "{e}");
    let (status, e) = coord
        .post(
            "/ledger/csv-mappings",
            json!({"iban": pl, "mapping": {"date": "Data", "debit": "Wn"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(e["error"].as_str().unwrap().contains("an amount column"), "{e}");
    let (status, e) = coord
        .post(
            "/ledger/csv-mappings",
            json!({"iban": "DE89 3704 0044 0532 0130 00", "mapping": mapping}),
        )
        .await;
    assert_eq!(status, 404, "no bank account with this IBAN: {e}");
    let vol = Client::new(&app, "vol", Role::Volunteer).await;
    let (status, _) = vol
        .post("/ledger/csv-mappings", json!({"iban": pl, "mapping": mapping}))
        .await;
    assert_eq!(status, 403);
    let (status, r) = coord
        .post("/ledger/csv-mappings", json!({"iban": pl, "mapping": mapping}))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r, json!({"iban_tail": "2874", "saved": true}));
    let (status, r) = import().await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["booked"], 1, "{r}");
}
on_both_databases!(a_csv_mapping_saved_through_the_api_reads_the_next_statement);

//! The browser smoke test: Debian's Chromium, driven through chromedriver over the W3C
//! WebDriver protocol, with JavaScript switched off as in Tor Browser's safest mode.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use razam_core::Role;
use serde_json::{Value, json};

use crate::helpers::{add_user, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl Drop for Browser {
    /// Kills chromedriver and the Chromium it started (its own process group): ending the
    /// session alone left Chromium's processes running after the test.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session; `None` (skip) only where the
    /// test command did not ask for a browser.
    async fn start() -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("RAZAM_TEST_REQUIRE_BROWSER").is_err(),
                "{CHROMEDRIVER} is missing: run scripts/test, which installs chromium-driver"
            );
            eprintln!("skipped: no {CHROMEDRIVER} (scripts/test installs it)");
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _tmp: tmp,
        };
        // chromedriver answers within milliseconds; wait for it a bounded number of times.
        let mut ready = false;
        for _ in 0..200 {
            if let Ok(r) = browser.http.get(format!("{}/status", browser.base)).send().await {
                ready = r.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true);
                if ready {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not become ready");
        let profile = browser._tmp.path().join("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1024,768",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {"profile.managed_default_content_settings.javascript": 2}
            }
        }}});
        let r: Value = browser
            .http
            .post(format!("{}/session", browser.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_owned();
        browser.base = format!("{}/session/{session}", browser.base);
        Some(browser)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_null() {
            request = request.json(&body);
        }
        let r: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(r["value"].get("error").is_none(), "{path}: {r}");
        r["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("{css}: {v}")).to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), json!({}))
            .await;
    }

    /// Clicks something that loads a new page (a link, a submit button) and returns once the
    /// old page is gone: chromedriver may answer the click before the navigation starts.
    async fn click_to_load(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        for _ in 0..500 {
            let r: Value = self
                .http
                .get(format!("{}/element/{old}/name", self.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if r["value"]["error"] == "stale element reference" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("clicking {css} loaded no new page");
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn attribute(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{el}/attribute/{name}"),
                Value::Null,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call(reqwest::Method::GET, "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    async fn quit(self) {
        self.call(reqwest::Method::DELETE, "", Value::Null).await;
    }
}

#[tokio::test]
async fn browser_smoke_a_documenter_logs_in_and_switches_language_with_javascript_off() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, "ales-password-1").await;

    browser.goto(&app.url("/login")).await;
    assert_eq!(browser.attribute("html", "lang").await, "en");
    browser.type_into("#username", "ales").await;
    browser.type_into("#password", "wrong-password-1").await;
    browser.click_to_load("#login-submit").await;
    assert_eq!(
        browser.text("#login-error").await,
        "Unknown user name or wrong password."
    );

    browser.type_into("#username", "").await;
    browser.type_into("#password", "ales-password-1").await;
    browser.click_to_load("#login-submit").await;
    assert_eq!(browser.text("#greeting").await, "Hello, Алесь Бяляцкі.");

    browser.click_to_load("a[hreflang=\"be\"]").await;
    assert_eq!(browser.attribute("html", "lang").await, "be");
    assert_eq!(browser.text("#greeting").await, "Вітаем, Алесь Бяляцкі.");
    let shot = browser.screenshot("browser-smoke-home-be.png").await;
    eprintln!("screenshot: {}", shot.display());

    // The account page remembers the choice on the next visit, still without JavaScript.
    browser.goto(&app.url("/account")).await;
    assert_eq!(browser.attribute("html", "lang").await, "be");
    browser.quit().await;
}

/// Fills a form field by its id (`f-<name>` in the registry's forms), replacing what is there.
async fn fill(browser: &Browser, id: &str, text: &str) {
    let el = browser.find(&format!("#{id}")).await;
    browser
        .call(reqwest::Method::POST, &format!("/element/{el}/clear"), json!({}))
        .await;
    browser
        .call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
}

async fn log_in_as(browser: &Browser, app: &crate::helpers::TestApp, username: &str, password: &str) {
    browser.goto(&app.url("/login")).await;
    fill(browser, "username", username).await;
    fill(browser, "password", password).await;
    browser.click_to_load("#login-submit").await;
}

#[tokio::test]
async fn browser_a_reported_detention_becomes_a_recognised_prisoner_and_a_public_figure() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    add_user(&app.app, "hanna", "Ганна", Role::Reviewer, "hanna-password-1").await;
    // Four political prisoners already held: the public page says "fewer than 5" until a fifth.
    let cli = razam_app::Actor::Cli;
    for i in 0..4 {
        let input = razam_app::registry::PersonInput {
            identity: razam_app::registry::Identity {
                family_name: format!("Вядомы{i}"),
                ..Default::default()
            },
            region: Some("grodno".into()),
            confidentiality: razam_core::registry::Confidentiality::Internal,
            consent_to_publish: false,
        };
        let id = app.app.create_person(&cli, &input).await.unwrap();
        let day = razam_core::registry::Day::parse("2021-01-10").unwrap();
        app.app.recognise(&cli, id, day, "3.b", "").await.unwrap();
    }
    browser.goto(&app.url("/figures?as_of=2026-01-01")).await;
    assert_eq!(browser.text("#held strong").await, "fewer than 5");

    // A relative, without an account: a field forgotten, corrected beside the field.
    browser.goto(&app.url("/report?lang=be")).await;
    browser.type_into("#f-family_name", "Каваленка").await;
    browser.type_into("#f-given_name", "Ганна").await;
    browser.type_into("#f-what_happened", "Затрымалі каля дома").await;
    browser.click_to_load("#report-submit").await;
    assert!(!browser.text("#e-detained_on").await.is_empty());
    assert_eq!(browser.attribute("#f-family_name", "value").await, "Каваленка");
    browser.screenshot("browser-intake-form-error-be.png").await;
    browser.type_into("#f-detained_on", "2021-05-20").await;
    browser.click_to_load("#report-submit").await;
    assert_eq!(browser.text("h1").await, "Дзякуй");

    // The documenter accepts it from the queue: a person with a detention.
    browser.goto(&app.url("/figures?lang=en")).await;
    log_in_as(&browser, &app, "ales", "ales-password-1").await;
    browser.goto(&app.url("/triage")).await;
    browser.click_to_load("#queue a").await;
    assert_eq!(browser.attribute("#f-family_name", "value").await, "Каваленка");
    browser.screenshot("browser-intake-triage-en.png").await;
    browser.click_to_load("#accept").await;
    let h1 = browser.text("h1").await;
    assert!(h1.contains("Каваленка Ганна"), "{h1}");
    assert!(browser.text("ol.timeline").await.contains("2021-05-20"));
    let person_url = browser.call(reqwest::Method::GET, "/url", Value::Null).await;
    let person_url = person_url.as_str().unwrap().to_owned();

    // Then the criminal case, through the event form: a wrong date is refused beside it.
    browser.click_to_load("a[accesskey=a]").await;
    browser.click("#f-kind option[value=criminal_case]").await;
    fill(&browser, "f-date", "2021-13").await;
    fill(&browser, "f-articles", "342; 361-1").await;
    browser.click_to_load("button[type=submit][accesskey=s]").await;
    assert!(!browser.text("#e-date").await.is_empty());
    fill(&browser, "f-date", "2021-06").await;
    browser.click_to_load("button[type=submit][accesskey=s]").await;
    assert!(browser.text("main").await.contains("342, 361-1"));
    browser.goto(&person_url).await;
    assert!(browser.text("ol.timeline").await.contains("Criminal case"));

    // The reviewer recognises her; the public page now shows five.
    browser.click_to_load("nav button.link").await;
    log_in_as(&browser, &app, "hanna", "hanna-password-1").await;
    browser.goto(&person_url).await;
    browser.click("details:first-of-type summary").await;
    fill(&browser, "f-recognized_on", "2021-06-01").await;
    fill(&browser, "f-criteria", "3.b").await;
    browser.click_to_load("form[action$=\"/recognition\"] button").await;
    assert!(browser.text("main").await.contains("2021-06-01"));
    let shot = browser.screenshot("browser-person-recognised.png").await;
    eprintln!("screenshot: {}", shot.display());

    // The page answers at once from the last count while the change's recount runs; once
    // that is done, the page shows it.
    let day = razam_core::registry::Day::parse("2026-01-01").unwrap();
    let recounted = app.app.public_figures_recounted(day).await.unwrap();
    assert_eq!(recounted.held.value, Some(5));
    browser.goto(&app.url("/figures?as_of=2026-01-01")).await;
    assert_eq!(browser.text("#held strong").await, "5");
    browser.quit().await;
}

#[tokio::test]
async fn browser_a_documenter_types_a_latin_spelling_and_finds_the_cyrillic_record() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let cli = razam_app::Actor::Cli;
    let mut ids = Vec::new();
    for (family, given) in [
        ("Каліноўскі", "Аляксандр"),
        ("Калиновский", "Дмитрий"),
        ("Лосік", "Ігар"),
    ] {
        let input = razam_app::registry::PersonInput {
            identity: razam_app::registry::Identity {
                family_name: family.into(),
                given_name: given.into(),
                ..Default::default()
            },
            region: Some("minsk-city".into()),
            confidentiality: razam_core::registry::Confidentiality::Internal,
            consent_to_publish: false,
        };
        ids.push(app.app.create_person(&cli, &input).await.unwrap());
    }

    log_in_as(&browser, &app, "ales", "ales-password-1").await;
    // The box in the header, on whatever page the documenter is.
    browser.goto(&app.url("/events")).await;
    assert_eq!(browser.text("label[for=\"site-q\"]").await, "Search");
    assert_eq!(browser.attribute("#site-q", "accesskey").await, "k");
    browser.type_into("#site-q", "Aliaksandr Kalinouski").await;
    browser.click_to_load("#site-search-submit").await;
    assert_eq!(browser.attribute("#q", "value").await, "Aliaksandr Kalinouski");
    // The record that meets both words first, with why; the other Kalinouski after it.
    let first = format!("table tbody tr:first-child a[href=\"/persons/{}\"]", ids[0]);
    assert_eq!(browser.text(&first).await, format!("P-{:06}", ids[0]));
    assert_eq!(
        browser.text("table tbody tr:first-child td:last-child").await,
        "same key as Аляксандр; same key as Каліноўскі"
    );
    browser
        .find(&format!("table tbody tr:nth-child(2) a[href=\"/persons/{}\"]", ids[1]))
        .await;
    browser.screenshot("browser-search-latin-finds-cyrillic.png").await;
    browser.click_to_load(&first).await;
    assert_eq!(
        browser.text("h1").await,
        format!("P-{:06} · Каліноўскі Аляксандр", ids[0])
    );
    browser.quit().await;
}

#[tokio::test]
async fn browser_an_observer_sends_a_count_from_the_short_form_with_javascript_off() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let cli = razam_app::Actor::Cli;
    let form = razam_app::observation::ElectionForm {
        name: "Presidential election (browser test)".into(),
        early_from: "2024-03-14".into(),
        election_day: "2024-03-15".into(),
        ..Default::default()
    };
    let election = app.app.create_election(&cli, &form).await.unwrap();
    app.app
        .import_stations(&cli, election, b"code,region\n07-001-0001,Grodno\n", false)
        .await
        .unwrap();
    let station = app.app.stations(election).await.unwrap()[0].id;
    add_user(&app.app, "zubr7", "Назіральнік", Role::Observer, "zubr7-password-1").await;
    app.app.assign_observer(&cli, station, "zubr7").await.unwrap();

    log_in_as(&browser, &app, "zubr7", "zubr7-password-1").await;
    browser.goto(&app.url("/observe")).await;
    browser.click_to_load(&format!("a[href='/observe/{station}']")).await;
    // Election day is chosen; the window ends before it begins: refused beside the field.
    fill(&browser, "f-voters", "812").await;
    fill(&browser, "f-window_from", "08:00").await;
    fill(&browser, "f-window_to", "07:00").await;
    browser.click("#f-removed").await;
    browser.click_to_load("#count-submit").await;
    assert_eq!(
        browser.text("#e-window_to").await,
        "The window must end after it begins."
    );
    assert_eq!(browser.attribute("#f-voters", "value").await, "812");
    browser.screenshot("browser-observer-count-error.png").await;
    fill(&browser, "f-window_to", "20:00").await;
    browser.click_to_load("#count-submit").await;
    assert!(browser.text("#saved").await.starts_with("Your count is saved."));
    let counts = app.app.election_counts(&cli, election).await.unwrap();
    let day = &counts[&(station, "2024-03-15".to_string())];
    assert_eq!(
        (day.value, razam_app::observation::violation_names(day.flags)),
        (Some(812), vec!["removed"])
    );
    browser.quit().await;
}

#[tokio::test]
async fn browser_a_visitor_reads_a_campaign_page_with_javascript_off() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let bank = crate::campaigns::bank(&app, "bank-eur").await;
    let cli = razam_app::Actor::Cli;
    let c = app
        .app
        .create_campaign(&cli, &crate::campaigns::campaign("WINTER26", "65000", true))
        .await
        .unwrap();
    for (i, (donor, named)) in [("Ганна Шчодрая", true), ("Ціхі Дабрадзей", false)].iter().enumerate()
    {
        let key = format!("b{i}");
        let form = crate::campaigns::donation(&key, bank, "32500", donor, *named, false);
        app.app.record_donation(&cli, c.id, &form).await.unwrap();
    }
    browser.goto(&app.url("/campaigns/WINTER26?lang=be")).await;
    assert_eq!(browser.attribute("html", "lang").await, "be");
    assert_eq!(browser.text("#raised").await, "65000.00 EUR");
    assert_eq!(browser.text("#donations").await, "менш за 5");
    assert!(browser.text("#progress").await.contains("100.0 %"));
    assert_eq!(browser.text("#donors").await, "Ганна Шчодрая");
    let shot = browser.screenshot("browser-campaign-be.png").await;
    eprintln!("screenshot: {}", shot.display());
}

#[tokio::test]
async fn browser_a_volunteer_signs_up_and_a_coordinator_prints_a_shipment_label() {
    use razam_app::aid::{Donor, ItemInput, MovementInput};
    use razam_app::volunteers::{ShiftInput, VolunteerDetails, VolunteerInput, needs_from_text};
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let (a, cli) = (&app.app, razam_app::Actor::Cli);
    let place = a
        .create_place(&cli, "Help desk, Vilnius station", "hall")
        .await
        .unwrap();
    let start = (razam_app::today().days_since_epoch() + 1) * 86_400_000 + 8 * 3_600_000;
    let shift = a
        .create_shift(
            &cli,
            &ShiftInput {
                place_id: place,
                starts_at_ms: start,
                ends_at_ms: start + 6 * 3_600_000,
                head_count: 2,
                needs: needs_from_text("lang:uk=2").unwrap(),
            },
        )
        .await
        .unwrap();
    add_user(a, "marta", "Marta", Role::Volunteer, "marta-password-1").await;
    let profile = VolunteerInput {
        details: VolunteerDetails {
            name: "Marta".into(),
            contact: String::new(),
        },
        skills: razam_app::volunteers::skills_from_text("lang:uk lang:pl").unwrap(),
        account: Some("marta".into()),
    };
    a.create_volunteer(&cli, &profile).await.unwrap();

    log_in_as(&browser, &app, "marta", "marta-password-1").await;
    browser.goto(&app.url("/volunteers")).await;
    assert!(browser.text("#uncovered").await.contains("lang:uk × 2"));
    browser.click_to_load(&format!("#shift-{shift} button")).await;
    assert!(browser.text("#uncovered").await.contains("lang:uk × 1"));
    assert_eq!(browser.text(&format!("#shift-{shift} button")).await, "Cancel");
    browser.screenshot("browser-volunteer-shifts.png").await;
    browser.click_to_load("form[action='/logout'] button").await;

    add_user(a, "volha", "Volha", Role::Coordinator, "volha-password-1").await;
    let item = a
        .create_aid_item(
            &cli,
            &ItemInput {
                name: "Winter boots".into(),
                category: razam_core::aid::Category::Footwear,
                unit: "pair".into(),
                unit_value: None,
            },
        )
        .await
        .unwrap();
    let w = a.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
    let receipt = MovementInput::Receipt {
        warehouse: w,
        item,
        quantity: 12,
        donor: Donor::default(),
        notes: String::new(),
    };
    a.record_movement(&cli, &receipt).await.unwrap();
    let s = a.create_shipment(&cli, None).await.unwrap();
    log_in_as(&browser, &app, "volha", "volha-password-1").await;
    browser.goto(&app.url(&format!("/aid/shipments/{s}"))).await;
    browser.click_to_load("#print-label").await;
    let code = format!("SHP-{s:06}");
    assert_eq!(browser.text(".label-code").await, code);
    let width: f64 = browser.attribute("svg.barcode", "width").await.parse().unwrap();
    assert!(width > 200.0, "the barcode is drawn: {width}");
    browser.screenshot("browser-shipment-label.png").await;
    browser.quit().await;
}

#[tokio::test]
async fn browser_an_admin_erases_a_person_through_the_confirmation_page_and_the_name_is_gone() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    add_user(&app.app, "olga", "Вольга", Role::Admin, "olga-password-1").await;
    add_user(&app.app, "pavel", "Павел", Role::Admin, "pavel-password-1").await;
    let cli = razam_app::Actor::Cli;
    let person = |family: &str, given: &str| razam_app::registry::PersonInput {
        identity: razam_app::registry::Identity {
            family_name: family.into(),
            given_name: given.into(),
            variants: vec![format!("{family} {given}")],
            ..Default::default()
        },
        region: Some("minsk-city".into()),
        confidentiality: razam_core::registry::Confidentiality::Internal,
        consent_to_publish: false,
    };
    let ales = app.app.create_person(&cli, &person("Kavalenka", "Ales")).await.unwrap();
    let ivan = app.app.create_person(&cli, &person("Piatrou", "Ivan")).await.unwrap();
    let event = razam_app::registry::EventInput {
        kind: razam_core::registry::EventKind::Detention,
        date: Some(razam_core::registry::FuzzyDate::parse("2021-03-02").unwrap()),
        region: Some("minsk-city".into()),
        arrest_days: Some(15),
        term_months: None,
        details: razam_app::registry::EventDetails {
            description: "Ales Kavalenka and Ivan Piatrou detained at the station".into(),
            ..Default::default()
        },
        confidentiality: razam_core::registry::Confidentiality::Internal,
        articles: Vec::new(),
        persons: vec![
            (ales, razam_core::registry::PersonRole::Victim),
            (ivan, razam_core::registry::PersonRole::Victim),
        ],
    };
    let detained = app.app.create_event(&cli, &event).await.unwrap();
    let source = || async {
        browser
            .call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .to_string()
    };

    // Olga opens the person, follows "Erase", sees what will go, and asks for approval.
    log_in_as(&browser, &app, "olga", "olga-password-1").await;
    browser.goto(&app.url(&format!("/persons/{ales}"))).await;
    browser
        .click_to_load(&format!("a[href=\"/persons/{ales}/erase\"]"))
        .await;
    assert!(source().await.contains("Kavalenka Ales"), "the preview names what goes");
    browser.click_to_load("#erase-request").await;
    assert!(
        source().await.contains("Waiting for a second administrator"),
        "the requester waits and has no button to approve her own request"
    );
    // Pavel, the second administrator, approves on the same page.
    let pavel = app.logged_in_client("pavel", "pavel-password-1").await;
    let (_, page) = app.get(&pavel, &format!("/persons/{ales}/erase")).await;
    let r = app
        .post_form(
            &pavel,
            &format!("/persons/{ales}/erase/decide"),
            &page,
            &[("decision", "approve")],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());

    // Olga gives the reason, confirms and erases: the person's page says erased, no name.
    browser.goto(&app.url(&format!("/persons/{ales}/erase"))).await;
    fill(&browser, "erase-reason", "request of 3 December").await;
    browser.click("#erase-confirm").await;
    browser.click_to_load("#erase-submit").await;
    let today = razam_app::today().to_string();
    assert_eq!(browser.text("h1").await, format!("P-{ales:06} · erased on {today}"));
    browser.screenshot("browser-erased-person.png").await;

    // Found nowhere: search, the list, the event, the duplicates queue, the export page.
    for path in [
        "/search?q=Piatrou".to_owned(),
        "/persons".into(),
        format!("/events/{detained}"),
        format!("/events/{detained}/history"),
        "/persons/duplicates".into(),
        "/export".into(),
    ] {
        browser.goto(&app.url(&path)).await;
        let html = source().await;
        assert!(!html.contains("Kavalenka") && !html.contains("Ales"), "{path}: {html}");
    }
    browser.goto(&app.url("/search?q=Kavalenka")).await;
    assert!(
        !source().await.contains(&format!("href=\"/persons/{ales}\"")),
        "search finds the erased person"
    );
    browser.quit().await;
}

/// A coordinator reaches the ledger from the navigation, uploads a camt.053 statement (a file
/// input, a multipart form, no JavaScript), reads the import report, and books the one
/// payment it could not match to an account from the reconciliation queue's form.
#[tokio::test]
async fn browser_a_coordinator_uploads_a_statement_and_resolves_a_queued_payment() {
    use razam_app::ledger::AccountSpec;
    use razam_core::ledger::{AccountKind, AccountRules, Currency};
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let (a, cli) = (&app.app, razam_app::Actor::Cli);
    let general = a
        .create_ledger_account(
            &cli,
            AccountSpec {
                code: "donations-general".into(),
                name: "General donations".into(),
                kind: AccountKind::Income,
                currency: Some(Currency::EUR),
                rules: AccountRules::default(),
                iban: None,
            },
        )
        .await
        .unwrap();
    let statement = crate::ledger::camt053("B1", "DE89370400440532013000", 50_000, &[(8_000, "for the families")]);
    let file = app.dir.path().join("statement-b1.xml");
    std::fs::write(&file, statement).unwrap();
    add_user(a, "volha", "Volha", Role::Coordinator, "volha-password-1").await;

    log_in_as(&browser, &app, "volha", "volha-password-1").await;
    browser.click_to_load("nav a[href='/ledger']").await;
    // A file input takes the path typed into it, as a person picking the file.
    browser.type_into("#statement-file", file.to_str().unwrap()).await;
    browser.click_to_load("#upload-statement button[type=submit]").await;
    assert_eq!(browser.text("#queued").await, "1");
    assert_eq!(browser.text("#balance").await, "580.00 EUR");
    browser.screenshot("browser-ledger-import.png").await;

    let queue = a.reconciliation_queue(&cli, true).await.unwrap();
    assert_eq!(queue.len(), 1);
    let queued = queue[0].transfer_id;
    browser.goto(&app.url("/ledger")).await;
    assert!(browser.text("#queue + table").await.contains("for the families"));
    fill(&browser, &format!("to-{queued}"), "donations-general").await;
    browser
        .click_to_load(&format!("form[action='/ledger/queue/{queued}/resolve'] button"))
        .await;
    browser.goto(&app.url("/ledger")).await;
    assert_eq!(browser.text("#queue + p").await, "No payment is waiting.");
    let balance = a.ledger_balance(&cli, general).await.unwrap();
    assert_eq!(
        balance.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["-80.00 EUR"]
    );
    browser.screenshot("browser-ledger-resolved.png").await;
    browser.quit().await;
}

#[tokio::test]
async fn browser_an_admin_makes_a_compartment_and_a_member_files_a_person_into_it_with_javascript_off() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    add_user(&app.app, "root", "Адмін", Role::Admin, "root-password-1").await;
    add_user(&app.app, "vera", "Вера", Role::Documenter, "vera-password-1").await;
    log_in_as(&browser, &app, "root", "root-password-1").await;
    browser.goto(&app.url("/admin/compartments?lang=en")).await;
    browser.type_into("#compartment-name", "Legal").await;
    browser.click_to_load("#create-compartment").await;
    assert!(browser.text("main").await.contains("Legal"));
    let vera = app
        .app
        .list_users(&razam_app::Actor::Cli)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "vera")
        .unwrap()
        .id;
    let legal = app.app.own_compartments(&razam_app::Actor::Cli).await.unwrap()[0].0;
    browser
        .click(&format!("#account-{legal} option[value=\"{vera}\"]"))
        .await;
    browser.click_to_load("section form:last-of-type button").await;
    assert!(browser.text("main").await.contains("Вера"), "the member is listed");
    browser.screenshot("browser-compartments-en.png").await;

    browser.call(reqwest::Method::DELETE, "/cookie", Value::Null).await;
    log_in_as(&browser, &app, "vera", "vera-password-1").await;
    browser.goto(&app.url("/persons/new?lang=en")).await;
    browser.type_into("#f-family_name", "Бабарыка").await;
    browser
        .click(&format!("#f-compartment option[value=\"{legal}\"]"))
        .await;
    browser.click_to_load("#record-submit").await;
    assert!(browser.text("h1").await.contains("Бабарыка"));
    let persons = app
        .app
        .list_persons(&razam_app::Actor::Cli, Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(persons[0].compartment, Some(legal), "filed into the compartment");
}

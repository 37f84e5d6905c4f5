//! Election observation inside an instance: stations imported from CSV, counts by assigned
//! observers only (the form with JavaScript off is a plain POST), conflicts and their
//! resolution, protocols from the real files with their arithmetic, discrepancies against the
//! tolerance, and a public report that names no observer.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use razam_app::Actor;
use razam_app::observation::ElectionForm;
use razam_core::Role;
use sqlx::Connection;

use crate::helpers::{Db, TestApp, add_user, csrf_from, spawn_app};
use crate::on_both_databases;

const PASSWORD: &str = "observer-password-2026";

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/elections")
        .join(path)
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    let sql = "SELECT actor, action, object FROM audit_log ORDER BY seq";
    match app.db {
        Db::Sqlite => {
            let url = format!("sqlite://{}?mode=ro", app.data_dir().join("razam.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
        }
    }
}

pub(crate) async fn election(app: &TestApp, early: bool) -> i64 {
    let form = ElectionForm {
        name: "Presidential election (test)".into(),
        round: "1".into(),
        early_from: if early { "2024-03-14".into() } else { String::new() },
        early_to: String::new(),
        election_day: "2024-03-15".into(),
    };
    app.app.create_election(&Actor::Cli, &form).await.unwrap()
}

/// POSTs a multipart upload the way the page's form does.
pub(crate) async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (reqwest::StatusCode, String) {
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf_from(page)).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if dry_run {
        form = form.text("dry_run", "1");
    }
    let r = client.post(app.url(path)).multipart(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A consistent Russian CEC protocol row: ballots cast = issued, all valid, 100 cancelled.
fn ru_row(region: &str, uik: u32, registered: u64, early: u64, station: u64, outside: u64, a: u64) -> String {
    let issued = early + station + outside;
    let b = issued - a;
    format!(
        "{region},1 {region},{uik},{registered},{},{early},{station},{outside},100,{outside},{},0,{issued},0,0,{a},{b},http://x",
        issued + 100,
        early + station
    )
}

fn quoted_header() -> String {
    // Column names hold commas: each is quoted.
    razam_app::demo::PROTOCOL_HEADER
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(",")
}

async fn stations_import_names_each_bad_cell_and_writes_nothing(app: TestApp) {
    add_user(&app.app, "coord", "Coordinator", Role::Coordinator, PASSWORD).await;
    let coordinator = app.logged_in_client("coord", PASSWORD).await;
    let (_, list) = app.get(&coordinator, "/observation").await;
    let r = app
        .post_form(
            &coordinator,
            "/observation",
            &list,
            &[
                ("name", "Local election"),
                ("election_day", "2024-03-15"),
                ("early_from", "2024-03-13"),
                ("early_to", "2024-03-14"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let work = r.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = work
        .trim_start_matches("/observation/")
        .trim_end_matches("/work")
        .parse()
        .unwrap();
    assert_eq!(app.app.election(id).await.unwrap().days.len(), 3);

    let (status, page) = app.get(&coordinator, &work).await;
    assert_eq!(status, 200);
    let bad = "code,region,address,registered\n01-001,Minsk,School 5,1200\n01-001,Minsk,,x\n,Brest,,\n";
    let (status, answer) = upload(
        &app,
        &coordinator,
        &page,
        &format!("/observation/{id}/stations"),
        "s.csv",
        bad.into(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    for named in [
        "Line 3, registered: ",
        "is not a whole number of voters",
        "Line 3, code: station ",
        "is on line 2 already",
        "Line 4, code: empty",
    ] {
        assert!(answer.contains(named), "{named} in {answer}");
    }
    assert!(app.app.stations(id).await.unwrap().is_empty(), "nothing was written");

    let good = "code,region\n01-001,Minsk\n01-002,Minsk\n02-001,Brest\n";
    let (status, answer) = upload(
        &app,
        &coordinator,
        &page,
        &format!("/observation/{id}/stations"),
        "s.csv",
        good.into(),
        true,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        app.app.stations(id).await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let (status, _) = upload(
        &app,
        &coordinator,
        &page,
        &format!("/observation/{id}/stations"),
        "s.csv",
        good.into(),
        false,
    )
    .await;
    assert_eq!(status, 200);
    let stations = app.app.stations(id).await.unwrap();
    assert_eq!(
        stations.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
        vec!["01-001", "01-002", "02-001"]
    );
    // An observer may not import.
    add_user(&app.app, "obs", "Observer", Role::Observer, PASSWORD).await;
    let observer = app.logged_in_client("obs", PASSWORD).await;
    let (_, own) = app.get(&observer, "/observe").await;
    let (status, _) = upload(
        &app,
        &observer,
        &own,
        &format!("/observation/{id}/stations"),
        "s.csv",
        good.into(),
        false,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|(_, action, object)| action == "election.import_stations" && *object == format!("election:{id}"))
    );
}
on_both_databases!(stations_import_names_each_bad_cell_and_writes_nothing);

async fn only_an_assigned_observer_counts_and_a_reviewer_settles_a_conflict(app: TestApp) {
    let id = election(&app, false).await;
    let report = app
        .app
        .import_stations(&Actor::Cli, id, b"code,region\nA-1,Minsk\nA-2,Minsk\n", false)
        .await
        .unwrap();
    assert_eq!(report.created, 2);
    let stations = app.app.stations(id).await.unwrap();
    let (a1, a2) = (stations[0].id, stations[1].id);
    for (name, role) in [
        ("olga", Role::Observer),
        ("pavel", Role::Observer),
        ("stray", Role::Observer),
        ("rita", Role::Reviewer),
        ("coord", Role::Coordinator),
    ] {
        add_user(&app.app, name, name, role, PASSWORD).await;
    }
    assert!(app.app.assign_observer(&Actor::Cli, a1, "olga").await.unwrap());
    assert!(app.app.assign_observer(&Actor::Cli, a1, "pavel").await.unwrap());
    assert!(
        !app.app.assign_observer(&Actor::Cli, a1, "pavel").await.unwrap(),
        "twice changes nothing"
    );
    assert!(
        app.app
            .assign_observer(&Actor::Cli, a2, "rita")
            .await
            .unwrap_err()
            .is_bad_input(),
        "only observers"
    );

    // The observer's form: a plain POST, as with JavaScript off.
    let olga = app.logged_in_client("olga", PASSWORD).await;
    let (status, mine) = app.get(&olga, "/observe").await;
    assert_eq!(status, 200);
    assert!(mine.contains(&format!("href=\"/observe/{a1}\"")) && !mine.contains(&format!("/observe/{a2}\"")));
    let (status, form) = app.get(&olga, &format!("/observe/{a1}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"voters\"") && form.contains("name=\"removed\"") && !form.contains("<script"));
    let r = app
        .post_form(
            &olga,
            &format!("/observe/{a1}"),
            &form,
            &[
                ("day", "2024-03-15"),
                ("voters", "abc"),
                ("window_from", "20:00"),
                ("window_to", "08:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let refused = r.text().await.unwrap();
    assert!(
        refused.contains("A whole number from 0 to 100000.")
            && refused.contains("The window must end after it begins.")
    );
    let r = app
        .post_form(
            &olga,
            &format!("/observe/{a1}"),
            &form,
            &[
                ("day", "2024-03-15"),
                ("voters", "812"),
                ("window_from", "8:00"),
                ("window_to", "20:00"),
                ("removed", "1"),
                ("note", "The chair covered the box"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/observe/{a1}?saved=1").as_str());

    // Not assigned: the station is not found; a coordinator does not count.
    let stray = app.logged_in_client("stray", PASSWORD).await;
    let (status, _) = app.get(&stray, &format!("/observe/{a1}")).await;
    assert_eq!(status, 404);
    let (_, own) = app.get(&stray, "/observe").await;
    let r = app
        .post_form(
            &stray,
            &format!("/observe/{a1}"),
            &own,
            &[
                ("day", "2024-03-15"),
                ("voters", "1"),
                ("window_from", "08:00"),
                ("window_to", "09:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    let coord = app.logged_in_client("coord", PASSWORD).await;
    let (_, list) = app.get(&coord, "/observation").await;
    let r = app
        .post_form(
            &coord,
            &format!("/observe/{a1}"),
            &list,
            &[
                ("day", "2024-03-15"),
                ("voters", "1"),
                ("window_from", "08:00"),
                ("window_to", "09:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // A second observer disagrees: a conflict until a reviewer settles it.
    let pavel = app.logged_in_client("pavel", PASSWORD).await;
    let (_, form) = app.get(&pavel, &format!("/observe/{a1}")).await;
    let r = app
        .post_form(
            &pavel,
            &format!("/observe/{a1}"),
            &form,
            &[
                ("day", "2024-03-15"),
                ("voters", "790"),
                ("window_from", "08:00"),
                ("window_to", "20:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let counts = app.app.election_counts(&Actor::Cli, id).await.unwrap();
    let day = &counts[&(a1, "2024-03-15".to_string())];
    assert!(day.conflict);
    let olga_count = day.current.iter().find(|c| c.voters == 812).unwrap().id;
    let rita = app.logged_in_client("rita", PASSWORD).await;
    let (status, work) = app.get(&rita, &format!("/observation/{id}/work")).await;
    assert_eq!(status, 200);
    assert!(work.contains(&format!("id=\"conflict-{a1}-2024-03-15\"")), "{work}");
    assert!(work.contains("olga") && work.contains("pavel") && work.contains("The chair covered the box"));
    let (_, public) = app
        .get(&crate::helpers::client(), &format!("/observation/{id}/report.json"))
        .await;
    let public: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(public["discrepancies"]["in_conflict"], 1);

    // A coordinator cannot settle it; a reason is needed; then it is settled and audited.
    let (_, coord_work) = app.get(&coord, &format!("/observation/{id}/work")).await;
    let keep = olga_count.to_string();
    let r = app
        .post_form(
            &coord,
            &format!("/observation/stations/{a1}/resolve"),
            &coord_work,
            &[("day", "2024-03-15"), ("keep", &keep), ("reason", "video")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &rita,
            &format!("/observation/stations/{a1}/resolve"),
            &work,
            &[("day", "2024-03-15"), ("keep", &keep), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("give a reason"));
    let r = app
        .post_form(
            &rita,
            &format!("/observation/stations/{a1}/resolve"),
            &work,
            &[
                ("day", "2024-03-15"),
                ("keep", &keep),
                ("reason", "Matches the station's video"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let counts = app.app.election_counts(&Actor::Cli, id).await.unwrap();
    let day = &counts[&(a1, "2024-03-15".to_string())];
    assert_eq!((day.conflict, day.value), (false, Some(812)));
    let (_, work) = app.get(&rita, &format!("/observation/{id}/work")).await;
    assert!(work.contains("id=\"no-conflicts\""));
    let audit = audit_actions(&app).await;
    for action in [
        "election.create",
        "station.assign_observer",
        "observer_count.submit",
        "observer_count.resolve",
    ] {
        assert!(audit.iter().any(|(_, a, _)| a == action), "{action} audited");
    }
    // The audit names ids, never a note or a reason.
    assert!(!audit.iter().any(|(_, _, o)| o.contains("chair") || o.contains("video")));
    // The note and the reason are sealed: not in any file of the data folder (SQLite).
    if app.db == Db::Sqlite {
        for file in crate::helpers::files_below(&app.data_dir()) {
            let bytes = std::fs::read(&file).unwrap();
            for secret in ["The chair covered the box", "Matches the station's video"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    file.display()
                );
            }
        }
    }
}
on_both_databases!(only_an_assigned_observer_counts_and_a_reviewer_settles_a_conflict);

/// The Belarus relation checked independently of the library: where cast, invalid and every
/// candidate are given (none negative), cast = candidates + invalid.
fn belarus_arithmetic_by_hand() -> (usize, usize, Vec<String>) {
    let mut reader = csv::Reader::from_path(data("by-2020/voice.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let candidates: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.ends_with("_officialVotes") && !h.starts_with("corrupted") && !h.starts_with("ignore"))
        .map(|(i, _)| i)
        .collect();
    let (mut checked, mut failing, mut stations) = (0, 0, Vec::new());
    for row in reader.records() {
        let row = row.unwrap();
        let Ok(cast) = row[at("officialVotes")].parse::<i64>() else {
            continue;
        };
        let Ok(invalid) = row[at("corrupted_officialVotes")].parse::<i64>() else {
            continue;
        };
        let votes: Option<Vec<i64>> = candidates
            .iter()
            .map(|&i| row[i].parse::<i64>().ok().filter(|v| *v >= 0))
            .collect();
        let Some(votes) = votes else { continue };
        checked += 1;
        if cast != votes.iter().sum::<i64>() + invalid {
            failing += 1;
            stations.push(row[at("id")].to_owned());
        }
    }
    (checked, failing, stations)
}

async fn protocols_of_the_real_belarus_file_are_imported_and_their_arithmetic_named(app: TestApp) {
    let id = election(&app, false).await;
    add_user(&app.app, "coord", "Coordinator", Role::Coordinator, PASSWORD).await;
    let coordinator = app.logged_in_client("coord", PASSWORD).await;
    let (_, page) = app.get(&coordinator, &format!("/observation/{id}/work")).await;
    let bytes = std::fs::read(data("by-2020/voice.csv")).unwrap();
    let (status, answer) = upload(
        &app,
        &coordinator,
        &page,
        &format!("/observation/{id}/protocols"),
        "voice.csv",
        bytes,
        false,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (checked, failing, stations) = belarus_arithmetic_by_hand();
    assert!(failing > 0, "the published file has protocols that do not add up");
    assert!(
        answer.contains(&format!("Stations failing the arithmetic: {failing}")),
        "{answer}"
    );
    let report = app.app.public_report(id).await.unwrap();
    let p = report.protocols.as_ref().unwrap();
    assert_eq!((p.stations, p.format.as_str()), (1374, "by-2020-voice"));
    assert_eq!((p.rows_checked, p.failing_stations), (checked, failing));
    let named: Vec<&str> = p.failures.iter().map(|f| f.station.as_str()).collect();
    assert_eq!(named, stations.iter().map(String::as_str).collect::<Vec<_>>());
    // The public page shows the failing stations, the charts and their definitions.
    let (status, html) = app.get(&crate::helpers::client(), &format!("/observation/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("<td>{}</td>", stations[0])));
    assert!(html.contains("id=\"fingerprint\"><svg") && html.contains("Kobak, Shpilkin"));
    assert_eq!(
        report.forensics.as_ref().unwrap().report.leader.as_deref(),
        Some("lukashenko")
    );
    // A file in neither format is refused, its header named; the protocols stay.
    let (status, answer) = upload(
        &app,
        &coordinator,
        &page,
        &format!("/observation/{id}/protocols"),
        "x.csv",
        b"a,b\n1,2\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert!(answer.contains("the header has: a, b"));
    assert_eq!(
        app.app.public_report(id).await.unwrap().protocols.unwrap().stations,
        1374
    );
}
on_both_databases!(protocols_of_the_real_belarus_file_are_imported_and_their_arithmetic_named);

#[tokio::test]
async fn a_slice_of_the_russian_2012_file_is_imported_by_the_cli_with_its_broken_row_named() {
    let app = spawn_app().await;
    let id = election(&app, true).await;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(data("ru/2012.csv.zip")).unwrap()).unwrap();
    let mut text = String::new();
    archive.by_index(0).unwrap().read_to_string(&mut text).unwrap();
    let mut lines: Vec<String> = text.lines().take(1501).map(str::to_owned).collect();
    // Line 11: one more vote for the last candidate than the valid ballots allow.
    let mut cells: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(lines[10].as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let last_candidate = cells.len() - 2;
    let votes: u64 = cells[last_candidate].parse().unwrap();
    cells[last_candidate] = (votes + 7).to_string();
    let label = format!("{} / {} / {}", cells[0], cells[1], cells[2]);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&cells).unwrap();
    lines[10] = String::from_utf8(w.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_owned();
    let file = app.dir.path().join("slice.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let cli = |dry_run: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_razam"));
        c.args(["observe", "import-protocols", "--data"])
            .arg(app.data_dir())
            .args(["--election", &id.to_string(), "--format", "json"])
            .arg(&file)
            .env("RAZAM_PASSPHRASE", crate::helpers::PASSPHRASE)
            .env("RAZAM_LOG", "warn")
            .stdin(Stdio::null());
        if dry_run {
            c.arg("--dry-run");
        }
        c.output().unwrap()
    };
    let out = cli(true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["stations"].as_u64(), json["dry_run"].as_bool()),
        (Some(1500), Some(true))
    );
    assert!(
        app.app.public_report(id).await.unwrap().protocols.is_none(),
        "a dry run writes nothing"
    );
    let out = cli(false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "ru-cec");
    assert_eq!(json["failing_stations"], 1);
    assert_eq!(json["failures"][0]["line"], 11);
    assert_eq!(json["failures"][0]["station"], label.as_str());
    assert_eq!(json["failures"][0]["relation"], "valid = sum of the candidates' votes");
    assert_eq!(
        json["failures"][0]["right"].as_i64().unwrap() - json["failures"][0]["left"].as_i64().unwrap(),
        7
    );
    let report = app.app.public_report(id).await.unwrap();
    assert_eq!(report.protocols.unwrap().stations, 1500);
    // An unknown election is refused with exit 2.
    let mut c = Command::new(env!("CARGO_BIN_EXE_razam"));
    let out = c
        .args(["observe", "import-protocols", "--data"])
        .arg(app.data_dir())
        .args(["--election", "999"])
        .arg(&file)
        .env("RAZAM_PASSPHRASE", crate::helpers::PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

async fn discrepancies_are_flagged_above_the_tolerance_and_the_public_report_names_no_observer(app: TestApp) {
    let id = election(&app, true).await;
    let stations = "code,region\nMinsk / 1 Minsk / 1,Minsk\nMinsk / 1 Minsk / 2,Minsk\nBrest / 1 Brest / 1,Brest\n";
    app.app
        .import_stations(&Actor::Cli, id, stations.as_bytes(), false)
        .await
        .unwrap();
    add_user(
        &app.app,
        "observer-zubr-7",
        "Secret Observer Name",
        Role::Observer,
        PASSWORD,
    )
    .await;
    add_user(&app.app, "coord", "Coordinator", Role::Coordinator, PASSWORD).await;
    for s in app.app.stations(id).await.unwrap() {
        app.app
            .assign_observer(&Actor::Cli, s.id, "observer-zubr-7")
            .await
            .unwrap();
    }
    // Paper forms entered in bulk; a bad one names its line and column and writes nothing.
    let bad = "station,day,observer,voters,from,to,flags,note\nMinsk / 1 Minsk / 1,2024-03-16,observer-zubr-7,100,08:00,20:00,,\n";
    let report = app
        .app
        .import_counts(&Actor::Cli, id, bad.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((report.errors[0].line, report.errors[0].column.as_str()), (2, "day"));
    let paper = "station,day,observer,voters,from,to,flags,note\n\
Minsk / 1 Minsk / 1,2024-03-14,observer-zubr-7,100,08:00,19:00,,\n\
Minsk / 1 Minsk / 1,2024-03-15,observer-zubr-7,500,08:00,20:00,removed;stuffing,NOTE-MARKER-4471\n\
Minsk / 1 Minsk / 2,2024-03-15,observer-zubr-7,600,07:45,20:00,,\n\
Brest / 1 Brest / 1,2024-03-14,observer-zubr-7,50,08:00,19:00,,\n\
Brest / 1 Brest / 1,2024-03-15,observer-zubr-7,300,08:00,20:00,,\n";
    let report = app
        .app
        .import_counts(&Actor::Cli, id, paper.as_bytes(), false)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.created, 5);
    // Protocols: 1 within the tolerance (4 %), 2 inflated on election day (50 %), 3 early (60 %).
    let protocols = [
        quoted_header(),
        ru_row("Minsk", 1, 2000, 100, 520, 30, 400),
        ru_row("Minsk", 2, 2000, 0, 900, 10, 700),
        ru_row("Brest", 1, 1500, 80, 300, 0, 200),
    ]
    .join("\n");
    let imported = app
        .app
        .import_protocols(&Actor::Cli, id, protocols.into_bytes(), false)
        .await
        .unwrap();
    assert_eq!(
        (
            imported.stations,
            imported.failing_stations,
            imported.stations_without_protocol
        ),
        (3, 0, 0)
    );
    let public: serde_json::Value = app
        .get_json(&crate::helpers::client(), &format!("/observation/{id}/report.json"))
        .await;
    let d = &public["discrepancies"];
    assert_eq!(d["tolerance_pct"], 10);
    assert_eq!(
        (d["total"]["comparisons"].as_u64(), d["total"]["flagged"].as_u64()),
        (Some(5), Some(2))
    );
    let flagged: Vec<(String, String, i64)> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["flagged"] == true)
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["comparison"].as_str().unwrap().to_owned(),
                r["difference"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flagged,
        vec![
            ("Minsk / 1 Minsk / 2".to_owned(), "election_day".to_owned(), 300),
            ("Brest / 1 Brest / 1".to_owned(), "early".to_owned(), 30),
        ]
    );
    let regions: Vec<(String, u64, u64)> = d["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap().to_owned(),
                r["comparisons"].as_u64().unwrap(),
                r["flagged"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(regions, vec![("Brest".to_owned(), 2, 1), ("Minsk".to_owned(), 3, 1)]);
    // One station ticked "removed": fewer than 5, suppressed.
    let removed = public["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["flag"] == "removed")
        .unwrap();
    assert_eq!(
        (
            removed["stations"]["value"].is_null(),
            removed["stations"]["suppressed"].as_bool()
        ),
        (true, Some(true))
    );

    // The coordinator raises the tolerance to 60 %: nothing exceeds it (60 % is not above it).
    let coord = app.logged_in_client("coord", PASSWORD).await;
    let (_, work) = app.get(&coord, &format!("/observation/{id}/work")).await;
    let r = app
        .post_form(
            &coord,
            &format!("/observation/{id}/tolerance"),
            &work,
            &[("tolerance", "60")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let public: serde_json::Value = app
        .get_json(&crate::helpers::client(), &format!("/observation/{id}/report.json"))
        .await;
    assert_eq!(public["discrepancies"]["total"]["flagged"], 0);

    // Nothing public names an observer, shows a note or a time window.
    let anonymous = crate::helpers::client();
    let (status, html) = app.get(&anonymous, &format!("/observation/{id}")).await;
    assert_eq!(status, 200);
    let (_, json) = app.get(&anonymous, &format!("/observation/{id}/report.json")).await;
    let (_, list) = app.get(&anonymous, "/observation").await;
    for page in [&html, &json, &list] {
        for secret in [
            "observer-zubr-7",
            "Secret Observer Name",
            "NOTE-MARKER-4471",
            "07:45",
            "account:",
        ] {
            assert!(!page.contains(secret), "{secret} is public");
        }
    }
    assert!(html.contains("Minsk / 1 Minsk / 2") && html.contains("fewer than 5"));
    // The working view is not public.
    let (status, _) = app.get(&anonymous, &format!("/observation/{id}/work")).await;
    assert!(status.is_redirection());
}
on_both_databases!(discrepancies_are_flagged_above_the_tolerance_and_the_public_report_names_no_observer);

#[tokio::test]
async fn the_demo_election_shows_inflated_stations_a_conflict_and_a_broken_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let app = razam_app::demo::prepare(&dir.path().join("demo"), &razam_app::config::Overrides::default())
        .await
        .unwrap();
    let elections = app.elections().await.unwrap();
    assert_eq!(elections.len(), 1);
    let report = app.public_report(elections[0].id).await.unwrap();
    assert_eq!((report.stations, report.observed_stations), (70, 12));
    let d = &report.discrepancies;
    assert_eq!(d.in_conflict, 1);
    let mut flagged: Vec<&str> = d.rows.iter().filter(|r| r.flagged).map(|r| r.code.as_str()).collect();
    flagged.sort_unstable();
    flagged.dedup();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    assert_eq!(
        d.total.flagged, 6,
        "early voting and election day at each inflated station"
    );
    assert_eq!(report.protocols.as_ref().unwrap().failing_stations, 1);
    assert!(report.forensics.as_ref().unwrap().svg.starts_with("<svg"));
    let conflicts = app.election_counts(&Actor::Cli, elections[0].id).await.unwrap();
    assert_eq!(conflicts.values().filter(|c| c.conflict).count(), 1);
    app.close().await;
}

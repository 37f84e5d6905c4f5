//! The events import on both databases: a good file, bad cells, a dry run, a second import;
//! and the same through the `razam` binary.

use std::process::{Command, Stdio};

use razam_app::Actor;
use razam_app::import::CellError;
use razam_core::Role;

use crate::helpers::{TestApp, add_user};
use crate::on_both_databases;

const PRISONERS: &str = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                         A1,Аляксандр,Лукашэвіч,,1984,Minsk,,,2021-01-10,\n\
                         A2,Maryja,Kalesnikava,,,Brest,,,,\n";

const HEADER: &str = "person_ref,role,kind,date,region,district,settlement,facility,articles,arrest_days,term_months,confidentiality,description";

fn events_file() -> String {
    format!(
        "{HEADER}\n\
         A1,victim,detention,2021-01-05,Minsk,Фрунзенскі,Мінск,ЦІП на Акрэсціна,,,,,\"held overnight, then \"\"released\"\"\"\n\
         A1,,criminal_case,2021-01,Minsk,,,,342;361-1,,,restricted,\n\
         A1,victim,sentence,2021-06-30,Minsk,,,,342,,36,,\n\
         A2,witness,search,2020,brest,,,,,,,public,\n\
         A2,victim,administrative_arrest,2020-08-10/2020-08-25,,,,,,15,,,\n"
    )
}

async fn audit_entries(app: &TestApp) -> i64 {
    app.app.verify_audit(None, &|_| {}).await.unwrap().entries
}

async fn events_import_all_or_nothing_and_once(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let report = a.import_prisoners(&cli, PRISONERS.as_bytes(), false).await.unwrap();
    assert_eq!((report.created, report.errors.len()), (2, 0));
    let persons = a.list_persons(&cli, Default::default(), None, 10).await.unwrap();
    let id_of = |family: &str| persons.iter().find(|p| p.identity.family_name == family).unwrap().id;
    let (a1, a2) = (id_of("Лукашэвіч"), id_of("Kalesnikava"));

    // A dry run counts and writes nothing.
    let before = audit_entries(&app).await;
    let dry = a.import_events(&cli, events_file().as_bytes(), true).await.unwrap();
    assert_eq!((dry.rows, dry.created, dry.unchanged, dry.dry_run), (5, 5, 0, true));
    assert!(a.person_page(&cli, a1).await.unwrap().events.is_empty());
    // Reading a person's page is audited; nothing else happened.
    let before = before + 1;
    assert_eq!(audit_entries(&app).await, before);

    // The import: five events, each with its audit entry and its first version.
    let report = a.import_events(&cli, events_file().as_bytes(), false).await.unwrap();
    assert_eq!(
        (report.rows, report.created, report.unchanged, report.errors.len()),
        (5, 5, 0, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(audit_entries(&app).await, before + 5);
    let page = a.person_page(&cli, a1).await.unwrap();
    let summary: Vec<_> = page
        .events
        .iter()
        .map(|(e, role)| {
            (
                e.kind.as_str(),
                e.date.map(|d| d.to_string()).unwrap_or_default(),
                e.articles.join(";"),
                e.term_months,
                e.confidentiality.as_str(),
                role.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "criminal_case",
                "2021-01".into(),
                "342;361-1".into(),
                None,
                "restricted",
                "victim"
            ),
            (
                "detention",
                "2021-01-05".into(),
                String::new(),
                None,
                "internal",
                "victim"
            ),
            (
                "sentence",
                "2021-06-30".into(),
                "342".into(),
                Some(36),
                "internal",
                "victim"
            ),
        ]
    );
    let detention = &page.events[1].0;
    assert_eq!(detention.details.facility, "ЦІП на Акрэсціна");
    assert_eq!(detention.details.description, "held overnight, then \"released\"");
    assert_eq!(detention.region.as_deref(), Some("minsk-city"));
    assert_eq!(a.history(&cli, "event", detention.id).await.unwrap().len(), 1);
    let page = a.person_page(&cli, a2).await.unwrap();
    let summary: Vec<_> = page
        .events
        .iter()
        .map(|(e, role)| (e.kind.as_str(), e.arrest_days, role.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("search", None, "witness"),
            ("administrative_arrest", Some(15), "victim")
        ]
    );
    let after_import = audit_entries(&app).await;

    // The same file again: every row unchanged, nothing written (not even an audit entry).
    let again = a.import_events(&cli, events_file().as_bytes(), false).await.unwrap();
    assert_eq!((again.created, again.unchanged, again.errors.len()), (0, 5, 0));
    assert_eq!(audit_entries(&app).await, after_import);
    // A longer file adds only its new row.
    let longer = format!("{}A2,victim,interrogation,2021-02-01,,,,,,,,,\n", events_file());
    let report = a.import_events(&cli, longer.as_bytes(), false).await.unwrap();
    assert_eq!((report.created, report.unchanged), (1, 5));
    assert_eq!(audit_entries(&app).await, after_import + 1);
    let after_longer = after_import + 1;

    // Bad cells: each named with its line and column; nothing written, not even good rows.
    let bad = format!(
        "{HEADER}\n\
         A1,victim,pardon,2022-01-01,,,,,,,,,\n\
         A9,victim,detention,2021-02-30,,,,,,,,,\n\
         A2,boss,search,,,,,,,3,,,\n\
         A1,victim,pardon,2022-01-01,,,,,,,,,\n"
    );
    let report = a.import_events(&cli, bad.as_bytes(), false).await.unwrap();
    let cells = |errors: &[CellError]| {
        errors
            .iter()
            .map(|e| (e.line, e.column.clone(), e.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cells(&report.errors),
        [
            (
                3,
                "date".to_owned(),
                razam_core::registry::FuzzyDate::parse("2021-02-30")
                    .unwrap_err()
                    .to_string()
            ),
            (
                4,
                "role".to_owned(),
                "unknown role `boss` (one of: victim, witness, official_responsible, lawyer)".to_owned()
            ),
            (
                4,
                "arrest_days".to_owned(),
                "only an administrative_arrest has days of arrest".to_owned()
            ),
        ]
    );
    // Once every cell reads, the references and repeats are checked.
    let bad = format!(
        "{HEADER}\n\
         A1,victim,pardon,2022-01-01,,,,,,,,,\n\
         A9,victim,detention,2021-02-03,,,,,,,,,\n\
         A1,victim,pardon,2022-01-01,,,,,,,,,\n"
    );
    let report = a.import_events(&cli, bad.as_bytes(), false).await.unwrap();
    assert_eq!(
        cells(&report.errors),
        [
            (
                3,
                "person_ref".to_owned(),
                "no person was imported with the reference `A9` (import the prisoner list first)".to_owned()
            ),
            (
                4,
                String::new(),
                "this row repeats line 2; one event is imported once (tell two events apart, e.g. by their description)"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(audit_entries(&app).await, after_longer);
    assert_eq!(a.person_page(&cli, a1).await.unwrap().events.len(), 3);

    // Only those who may import in bulk may import.
    add_user(a, "ales", "Тэст", Role::Documenter, "ales-password-1").await;
    let documenter = Actor::Account(a.log_in("ales", "ales-password-1", None).await.unwrap().user);
    assert!(matches!(
        a.import_events(&documenter, events_file().as_bytes(), true).await,
        Err(razam_app::AppError::Forbidden)
    ));
}
on_both_databases!(events_import_all_or_nothing_and_once);

/// Through the binary: the report on stdout, each bad cell on stderr, exit code 2.
#[test]
fn import_events_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let razam = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_razam"))
            .args(args)
            .env_remove("RAZAM_DATABASE")
            .env("RAZAM_PASSPHRASE", "operator passphrase 2026")
            .env("RAZAM_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let file = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    assert_eq!(razam(&["init", "--data", data]).0, 0);
    let list = file("list.csv", PRISONERS);
    assert_eq!(razam(&["import", "prisoners", "--data", data, &list]).0, 0);
    let events = file("events.csv", &events_file());

    let (code, out, err) = razam(&["import", "events", "--data", data, &events, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("5 rows: 5 would be created, 0 would be updated, 0 unchanged (dry run"),
        "{out}"
    );
    let (code, out, err) = razam(&["import", "events", "--data", data, &events]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 rows: 5 were created"), "{out}");
    let (code, out, _) = razam(&["import", "events", "--data", data, &events, "--format", "json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(5))
    );

    let bad = file(
        "bad.csv",
        &format!("{HEADER}\nA1,victim,trial,2021-02-01,,,,,,,,,\nA2,victim,sentence,,,,,,,,twelve,,\n"),
    );
    let (code, out, err) = razam(&["import", "events", "--data", data, &bad]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!(
            "{bad}: line 3, column term_months: `twelve` is not a whole number from 1 to 1200"
        )),
        "{err}"
    );
    assert!(err.contains("1 error(s)"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let (code, out, _) = razam(&["audit", "verify", "--data", data]);
    assert_eq!(code, 0);
    // init, the two persons' list import (2 persons), the five events.
    assert!(out.contains("audit chain intact"), "{out}");
}

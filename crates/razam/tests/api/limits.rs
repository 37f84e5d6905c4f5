//! Input limits (`[limits]` in razam.toml): a form, an API body, an upload or an import over
//! its limit is refused whole with an answer that names the limit and its setting.

use razam_app::Actor;

use crate::helpers::{ADMIN, ADMIN_PASSWORD, Db, client, spawn_app_configured};

#[tokio::test]
async fn each_limit_refuses_what_is_over_it_and_names_its_setting() {
    let app = spawn_app_configured(Db::Sqlite, "[limits]\nform_kib = 2\nupload_mib = 1\nimport_rows = 2\n")
        .await
        .unwrap();

    // A form over form_kib: 413, a page naming the setting.
    let c = client();
    let (_, page) = app.get(&c, "/login").await;
    let big = "x".repeat(3 * 1024);
    let r = app
        .post_form(&c, "/login", &page, &[("username", &big), ("password", "p")])
        .await;
    assert_eq!(r.status(), 413);
    let text = r.text().await.unwrap();
    assert!(text.contains("at most 2 KiB ([limits] form_kib)"), "{text}");
    let small = "x".repeat(1024);
    let r = app
        .post_form(&c, "/login", &page, &[("username", &small), ("password", "p")])
        .await;
    assert_eq!(r.status(), 401, "under the limit it is an ordinary failed login");

    // The API says it in JSON.
    let token = crate::api::token_for(&app, "ales", razam_core::Role::Documenter).await;
    let r = c
        .post(app.url("/api/v1/persons"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(format!("{{\"notes\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_large");
    assert!(body["error"].as_str().unwrap().contains("[limits] form_kib"));

    // An upload over upload_mib: 413, naming its setting; under it, read.
    let admin = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let id = crate::observation::election(&app, false).await;
    let (_, work) = app.get(&admin, &format!("/observation/{id}/work")).await;
    let path = format!("/observation/{id}/stations");
    let mut csv = String::from("code,region,address,registered\n");
    while csv.len() < 1024 * 1024 + 10 {
        csv.push_str("01-001,Minsk,School 5 with a long address line to fill the file,1200\n");
    }
    let (status, answer) = crate::observation::upload(&app, &admin, &work, &path, "s.csv", csv.into(), true).await;
    assert_eq!(status, 413);
    assert!(answer.contains("at most 1 MiB ([limits] upload_mib)"), "{answer}");

    // An import over import_rows: refused whole, the error names the setting.
    let rows = "code,region,address,registered\n01-001,Minsk,,1\n01-002,Minsk,,1\n01-003,Minsk,,1\n";
    let (status, answer) = crate::observation::upload(&app, &admin, &work, &path, "s.csv", rows.into(), false).await;
    assert_eq!(status, 422);
    assert!(answer.contains("[limits] import_rows"), "{answer}");
    let prisoners = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
        R-1,Вольга,Адамава,,1990,Minsk,2021-01-05,342,2021-01-10,\n\
        R-2,Вольга,Бурая,,1990,Minsk,2021-01-05,342,2021-01-10,\n\
        R-3,Вольга,Вайцюк,,1990,Minsk,2021-01-05,342,2021-01-10,\n";
    let report = app
        .app
        .import_prisoners(&Actor::Cli, prisoners.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((report.created, report.errors.len()), (0, 1), "nothing imported");
    assert!(report.errors[0].message.contains("[limits] import_rows in razam.toml"));
    let two: String = prisoners.lines().take(3).map(|l| format!("{l}\n")).collect();
    let report = app
        .app
        .import_prisoners(&Actor::Cli, two.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(report.created, 2, "at the limit it imports");

    // A bank statement with more entries than import_rows: refused before anything is booked.
    let statement = include_bytes!("../data/camt.053.001.02.xml");
    let err = app
        .app
        .import_statement(&Actor::Cli, statement, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than 2 entries") && err.contains("[limits] import_rows"),
        "{err}"
    );
}

#[tokio::test]
async fn a_limit_of_zero_is_a_configuration_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    razam_app::instance::init(&data, crate::helpers::PASSPHRASE, None)
        .await
        .unwrap();
    let path = data.join("razam.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n[limits]\nimport_rows = 0\n")).unwrap();
    let e = razam_app::config::Config::load(&data, &Default::default()).unwrap_err();
    assert!(e.to_string().contains("limits"), "{e}");
}

//! A request whose client hangs up still runs to its end. hyper drops the handler of a request
//! whose connection closed; a write cut between BEGIN and COMMIT left sqlx's connection in a
//! transaction it no longer knew about, and every later write failed ("begin_with at non-zero
//! transaction depth"). Handlers now run on their own task (`security::run_to_completion`).

use razam_core::Role;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::api::{Api, person, sql, token_for};
use crate::helpers::spawn_app;

#[tokio::test]
async fn requests_whose_clients_hang_up_finish_and_later_writes_still_work() {
    const HANGUPS: usize = 40;
    let app = spawn_app().await;
    let token = token_for(&app, "dora", Role::Documenter).await;
    let api = Api::new(&app, Some(&token));
    let (status, created) = api.post("/persons", person("Бяляцкі", "internal")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();

    let count = |rows: Vec<(String, String)>| rows.len();
    let query = format!("SELECT actor, object FROM audit_log WHERE action = 'person.read' AND object = 'person:{id}'");
    let before = count(sql(&app, &query).await);

    // Each of these reads writes an audit entry; the client sends it whole and hangs up at once.
    let request = format!("GET /api/v1/persons/{id} HTTP/1.1\r\nHost: razam\r\nAuthorization: Bearer {token}\r\n\r\n");
    let mut cut = 0;
    for _ in 0..HANGUPS {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        if answer.is_empty() {
            cut += 1;
        }
    }
    // The server closes a half-closed connection before its handler answers: every one of
    // these handlers lost its client while it ran.
    assert_eq!(
        cut, HANGUPS,
        "the server answered some requests before noticing the hang-up"
    );

    // Later writes still work, and every read that reached a handler left its audit entry.
    for n in 0..5 {
        let (status, body) = api.post("/persons", person(&format!("Лосік{n}"), "internal")).await;
        assert_eq!(status, StatusCode::CREATED, "write {n} after the hang-ups: {body}");
    }
    // The handlers finish on their own tasks; wait for them by asking again (bounded), not by
    // sleeping for a guessed time.
    let mut reads = count(sql(&app, &query).await);
    for _ in 0..20_000 {
        if reads == before + HANGUPS {
            break;
        }
        tokio::task::yield_now().await;
        reads = count(sql(&app, &query).await);
    }
    assert_eq!(reads - before, HANGUPS, "every read that was sent whole ran to its end");
}

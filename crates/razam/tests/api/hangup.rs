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
    let reads_query =
        format!("SELECT actor, object FROM audit_log WHERE action = 'person.read' AND object = 'person:{id}'");
    let writes_query = "SELECT actor, object FROM audit_log WHERE action = 'person.create'";
    let reads_before = count(sql(&app, &reads_query).await);
    let writes_before = count(sql(&app, writes_query).await);

    // Half of these are reads that write an audit entry, half are writes (a transaction: a
    // handler cut between BEGIN and COMMIT is what broke every later write). Each client sends
    // its request whole and hangs up at once.
    let read = format!("GET /api/v1/persons/{id} HTTP/1.1\r\nHost: razam\r\nAuthorization: Bearer {token}\r\n\r\n");
    let write = |n: usize| {
        let body = person(&format!("Лосік-{n}"), "internal").to_string();
        format!(
            "POST /api/v1/persons HTTP/1.1\r\nHost: razam\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let mut cut = 0;
    for n in 0..HANGUPS {
        let request = if n % 2 == 0 { read.clone() } else { write(n) };
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        if answer.is_empty() {
            cut += 1;
        }
    }
    // The server closes a half-closed connection, usually before its handler answers. How many
    // answers it still sends depends on timing; the test needs some handlers to lose their client.
    assert!(cut > 0, "no handler lost its client: nothing was tested");
    println!("{cut} of {HANGUPS} handlers lost their client");

    // Later writes still work, and every read that reached a handler left its audit entry.
    for n in 0..5 {
        let (status, body) = api.post("/persons", person(&format!("Лосік{n}"), "internal")).await;
        assert_eq!(status, StatusCode::CREATED, "write {n} after the hang-ups: {body}");
    }
    // The handlers finish on their own tasks; wait for them by asking again (bounded), not by
    // sleeping for a guessed time.
    let done = async || {
        (
            count(sql(&app, &reads_query).await) - reads_before,
            count(sql(&app, writes_query).await) - writes_before,
        )
    };
    let mut finished = done().await;
    for _ in 0..20_000 {
        if finished == (HANGUPS / 2, HANGUPS / 2 + 5) {
            break;
        }
        tokio::task::yield_now().await;
        finished = done().await;
    }
    assert_eq!(
        finished,
        (HANGUPS / 2, HANGUPS / 2 + 5),
        "every read and write that was sent whole ran to its end (and the five later writes too)"
    );
}

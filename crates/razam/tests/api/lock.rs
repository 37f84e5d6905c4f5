//! The panic lock (issue 8) on a real `razam serve` process: `razam vault lock --data DIR`
//! through the control socket and the admin's button each end every session and drop the
//! instance (key, indexes, caches); every page then answers 503 without a name, the API 503
//! JSON, until the unlock page gets the passphrase (throttled); afterwards everything is back.

use std::os::unix::fs::PermissionsExt;

use crate::cli::{Instance, PASS, Server, code, razam, stderr, stdout};
use crate::helpers::{client, csrf_from};

const PASSWORD: &str = "a-new-password-1";
const FAMILY: &str = "Калеснікава";

async fn get(c: &reqwest::Client, addr: &str, path: &str) -> (u16, String) {
    let r = c.get(format!("http://{addr}{path}")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(c: &reqwest::Client, addr: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(format!("http://{addr}{path}")).form(form).send().await.unwrap()
}

async fn logged_in(addr: &str, username: &str) -> reqwest::Client {
    let c = client();
    let (_, page) = get(&c, addr, "/login").await;
    let csrf = csrf_from(&page);
    let r = post(
        &c,
        addr,
        "/login",
        &[("csrf", &csrf), ("username", username), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 303, "{username} logs in");
    c
}

/// The pages that show the person's name while unlocked.
async fn shows_the_name(c: &reqwest::Client, addr: &str) -> bool {
    let (_, persons) = get(c, addr, "/persons").await;
    let (_, search) = get(c, addr, &format!("/search?q={FAMILY}")).await;
    persons.contains(FAMILY) && search.contains(FAMILY)
}

/// Every page a locked instance is asked for, without any name on it.
async fn everything_is_locked(addr: &str, old: &reqwest::Client) {
    for path in [
        "/",
        "/persons",
        "/search?q=Калеснікава",
        "/admin/users",
        "/figures",
        "/login",
        "/report",
    ] {
        let (status, body) = get(old, addr, path).await;
        assert_eq!(status, 503, "{path}");
        assert!(body.contains("This instance is locked"), "{path}: {body}");
        assert!(
            !body.contains(FAMILY) && !body.contains("Вольга"),
            "{path} shows no name"
        );
    }
    let r = old.get(format!("http://{addr}/api/v1/persons")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "locked");
    let (status, page) = get(old, addr, "/unlock").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"passphrase\""));
}

async fn unlock(addr: &str, passphrase: &str) {
    let c = client();
    let r = post(&c, addr, "/unlock", &[("passphrase", passphrase)]).await;
    assert_eq!(r.status(), 303, "the right passphrase unlocks");
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn the_panic_lock_drops_the_instance_and_the_passphrase_brings_it_back() {
    let i = Instance::new();
    for (user, role) in [("admin", "admin"), ("ales", "documenter")] {
        assert_eq!(code(&i.add_user(user, role)), 0);
    }
    let server = Server::start(i.data(), PASS);
    let addr = server.addr.clone();

    let ales = logged_in(&addr, "ales").await;
    // The control socket (made before the first answer) is the data folder owner's alone.
    let socket = i.data.join("razam.sock");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let (_, form) = get(&ales, &addr, "/persons/new").await;
    let r = post(
        &ales,
        &addr,
        "/persons",
        &[
            ("csrf", &csrf_from(&form)),
            ("given_name", "Вольга"),
            ("family_name", FAMILY),
            ("birth_date", ""),
            ("notes", ""),
            ("region", "minsk-city"),
            ("confidentiality", "internal"),
            ("create_anyway", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(shows_the_name(&ales, &addr).await, "the name is there before the lock");
    let (_, figures) = get(&ales, &addr, "/figures").await; // fills the figures cache

    // The operator locks it from the command line.
    let o = razam().args(["vault", "lock", "--data", i.data()]).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("locked: 1 sessions ended"), "{}", stdout(&o));
    everything_is_locked(&addr, &ales).await;
    let o = razam().args(["vault", "lock", "--data", i.data()]).output().unwrap();
    assert!(stdout(&o).contains("locked already"), "{}", stdout(&o));

    // Wrong passphrases are refused, then throttled (default [login]: 5 per address).
    let c = client();
    for _ in 0..5 {
        let r = post(&c, &addr, "/unlock", &[("passphrase", "not the passphrase at all")]).await;
        assert_eq!(r.status(), 401);
    }
    let r = post(&c, &addr, "/unlock", &[("passphrase", PASS)]).await;
    assert_eq!(r.status(), 429, "even the right passphrase waits out the throttle");
    assert!(r.headers().get("retry-after").is_some());
    drop(server);

    // Again with a fresh server: unlock, and everything is back; the old session is not.
    let server = Server::start(i.data(), PASS);
    let addr = server.addr.clone();
    let admin = logged_in(&addr, "admin").await;
    let (_, users) = get(&admin, &addr, "/admin/users").await;
    let r = post(&admin, &addr, "/admin/lock", &[("csrf", &csrf_from(&users))]).await;
    assert_eq!(r.status(), 303, "the admin's button locks");
    assert_eq!(r.headers()["location"], "/unlock");
    everything_is_locked(&addr, &admin).await;
    unlock(&addr, PASS).await;
    assert_eq!(
        get(&admin, &addr, "/").await.0,
        303,
        "sessions ended by the lock stay ended"
    );
    let ales = logged_in(&addr, "ales").await;
    assert!(shows_the_name(&ales, &addr).await, "the indexes are built again");
    let (_, again) = get(&ales, &addr, "/figures").await;
    assert_eq!(figures_of(&again), figures_of(&figures), "the same figures");

    // Only an admin may press the button.
    let (_, page) = get(&ales, &addr, "/account").await;
    let r = post(&ales, &addr, "/admin/lock", &[("csrf", &csrf_from(&page))]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&ales, &addr, "/persons").await.0, 200, "still unlocked");

    // Both locks and the unlock are in the audit log.
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sql = i.sqlite_url();
    let actions: Vec<(String, String)> = {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&sql).await.unwrap();
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE action LIKE 'vault.%' ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    let actions: Vec<(&str, &str)> = actions.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("cli", "vault.lock"),
            ("account:1", "vault.lock"),
            ("anonymous", "vault.unlock")
        ]
    );
    assert!(server.stop().success());
    assert!(!socket.exists(), "the socket goes with the server");
}

/// A figures page without its CSRF token and without the time it was counted: counted again
/// after the lock, the same figures may fall in another minute.
fn figures_of(page: &str) -> String {
    let page = strip_csrf(page);
    let start = page
        .find("<small id=\"counted-at\">")
        .expect("the page says when it was counted");
    let end = start + page[start..].find("</small>").expect("the count time's element ends");
    format!("{}{}", &page[..start], &page[end..])
}

fn strip_csrf(page: &str) -> String {
    match page.find("name=\"csrf\" value=\"") {
        Some(_) => page.replace(&csrf_from(page), ""),
        None => page.to_owned(),
    }
}

/// In process, to see the instance itself go: once the button's answer is back, nothing holds
/// the `App` (its data key zeroised on drop, its indexes and caches freed).
#[tokio::test]
async fn after_the_lock_nothing_holds_the_instance() {
    use razam_app::config::{Config, Overrides};
    use razam_app::{Unlock, instance};
    use zeroize::Zeroizing;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    instance::init(&data, crate::helpers::PASSPHRASE, None).await.unwrap();
    let config = Config::load(&data, &Overrides::default()).unwrap();
    let app = instance::open(
        config,
        Unlock::Passphrase(Zeroizing::new(crate::helpers::PASSPHRASE.into())),
    )
    .await
    .unwrap();
    crate::helpers::add_user(&app, "admin", "Адмін", razam_core::Role::Admin, PASSWORD).await;
    let app = std::sync::Arc::new(app);
    let weak = std::sync::Arc::downgrade(&app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(razam_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    let admin = logged_in(&addr, "admin").await;
    assert!(weak.upgrade().is_some(), "served while unlocked");
    let (_, users) = get(&admin, &addr, "/admin/users").await;
    let r = post(&admin, &addr, "/admin/lock", &[("csrf", &csrf_from(&users))]).await;
    assert_eq!(r.status(), 303);
    assert!(weak.upgrade().is_none(), "the instance is gone from the server");
    unlock(&addr, crate::helpers::PASSPHRASE).await;
    assert!(weak.upgrade().is_none(), "unlocking opens a new instance");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

//! `spawn_app()` and the typed helpers that make tests read like a user's actions.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use razam_app::config::{Config, Overrides};
use razam_app::{Actor, App, NewUser, Unlock, instance};
use razam_core::{DisplayName, EmailAddress, NewPassword, Role, Username};
use zeroize::Zeroizing;

pub const PASSPHRASE: &str = "a test passphrase, long enough";
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-2026";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body once on SQLite and once on PostgreSQL, as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app_on($crate::helpers::Db::Sqlite).await {
                    super::$name(app).await
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_on($crate::helpers::Db::Postgres).await {
                    super::$name(app).await
                }
            }
        }
    };
}

pub use razam_testkit::fresh_postgres_url;

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub dir: tempfile::TempDir,
    pub db: Db,
    /// The PostgreSQL database of this instance, if on PostgreSQL.
    pub database_url: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(Db::Sqlite).await.unwrap()
}

/// A fresh instance (new data folder, new database) with one admin, served on port 0.
pub async fn spawn_app_on(db: Db) -> Option<TestApp> {
    spawn_app_configured(db, "").await
}

/// Like [`spawn_app_on`], with `extra` appended to the instance's razam.toml.
pub async fn spawn_app_configured(db: Db, extra: &str) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await?),
    };
    instance::init(&data, PASSPHRASE, database.as_deref()).await.unwrap();
    if !extra.is_empty() {
        let path = data.join("razam.toml");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("secure_cookies = false\n", "");
        std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
    }
    let config = Config::load(&data, &Overrides::default()).unwrap();
    let app = instance::open(config, Unlock::Passphrase(Zeroizing::new(PASSPHRASE.into())))
        .await
        .unwrap();
    add_user(&app, ADMIN, "Test Administrator", Role::Admin, ADMIN_PASSWORD).await;
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn({
        let app = app.clone();
        async move {
            razam_web::serve(listener, app, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        }
    });
    Some(TestApp {
        addr,
        app,
        dir,
        db,
        database_url: database,
        shutdown: Some(tx),
        server: Some(server),
    })
}

pub async fn add_user(app: &App, username: &str, name: &str, role: Role, password: &str) {
    add_user_with_email(app, username, name, None, role, password).await;
}

pub async fn add_user_with_email(
    app: &App,
    username: &str,
    name: &str,
    email: Option<&str>,
    role: Role,
    password: &str,
) {
    let user = NewUser {
        username: Username::parse(username).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        email: email.map(|e| EmailAddress::parse(e).unwrap()),
        role,
        password: NewPassword::parse(password.into()).unwrap(),
    };
    app.add_user(&Actor::Cli, user).await.unwrap();
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The body of a GET of `url`, sent with an Accept-Language header.
pub async fn text_in_language(client: &reqwest::Client, url: &str, accept_language: &str) -> String {
    let r = client
        .get(url)
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    r.text().await.unwrap()
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_from(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("the page has a CSRF field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (reqwest::StatusCode, String) {
        let r = client.get(self.url(path)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Submits a form the way a browser would: with the CSRF token from `page`.
    /// GET `path` and parse the answer as JSON.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        client.get(self.url(path)).send().await.unwrap().json().await.unwrap()
    }

    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        page: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let csrf = csrf_from(page);
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend_from_slice(fields);
        client.post(self.url(path)).form(&form).send().await.unwrap()
    }

    /// Opens the login page and submits it; returns the answer to the POST.
    pub async fn log_in(&self, client: &reqwest::Client, username: &str, password: &str) -> reqwest::Response {
        let (_, page) = self.get(client, "/login").await;
        self.post_form(
            client,
            "/login",
            &page,
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Logs in and checks it worked.
    pub async fn logged_in_client(&self, username: &str, password: &str) -> reqwest::Client {
        let c = client();
        let r = self.log_in(&c, username, password).await;
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "login of {username}");
        c
    }

    /// Stops the server gracefully and closes the database; the data folder stays.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        self.app.close().await;
        self.dir
    }
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                // Regular files only: the server's control socket (razam.sock) holds no bytes.
                out.push(p);
            }
        }
    }
    out
}

/// Every audit entry's (actor, action, object), in order, read straight from the database.
pub async fn audit_log(app: &TestApp) -> Vec<(String, String, String)> {
    use sqlx::Connection;
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

/// Sends one record under the key `form-1` twice at once (a double click) and once more after
/// (the first answer lost): all three answer the same record, and exactly one created it.
/// Returns its id.
pub async fn sent_twice_at_once_and_again<F, Fut>(send: F) -> i64
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = Result<razam_app::registry::Created, razam_app::AppError>>,
{
    let (first, second) = tokio::join!(send("form-1"), send("form-1"));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.id, second.id);
    assert_eq!([first.new, second.new].iter().filter(|n| **n).count(), 1);
    let third = send("form-1").await.unwrap();
    assert_eq!((third.id, third.new), (first.id, false));
    first.id
}

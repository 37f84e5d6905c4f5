//! Logging in and out, CSRF, roles, disabled accounts.

use razam_core::{Role, Username};

use crate::helpers::{ADMIN, ADMIN_PASSWORD, TestApp, add_user, client, csrf_from};
use crate::on_both_databases;

async fn a_user_logs_in_and_sees_their_name(app: TestApp) {
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, "ales-password-1").await;
    let c = client();
    let r = app.log_in(&c, "Ales", "ales-password-1").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers().get("location").unwrap(), "/");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("razam_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not behind TLS in this test: {cookie}");
    let (status, home) = app.get(&c, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Hello, Алесь Бяляцкі."), "{home}");
    assert!(home.contains("documenter"));
}
on_both_databases!(a_user_logs_in_and_sees_their_name);

async fn wrong_passwords_and_unknown_users_get_the_same_answer(app: TestApp) {
    let c = client();
    let wrong = app.log_in(&c, ADMIN, "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    let wrong = wrong.text().await.unwrap();
    let unknown = app.log_in(&c, "nobody-here", "not-the-password").await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Unknown user name or wrong password."));
    // The same page but for the name typed in and the fresh CSRF token.
    let strip = |s: &str, name: &str| s.replace(name, "").replace(&csrf_from(s), "");
    assert_eq!(strip(&wrong, ADMIN), strip(&unknown, "nobody-here"));
    let (_, home) = app.get(&c, "/").await;
    assert!(home.is_empty(), "still logged out (a redirect)");
}
on_both_databases!(wrong_passwords_and_unknown_users_get_the_same_answer);

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let c = client();
    let (_, page) = app.get(&c, "/login").await;
    assert!(!csrf_from(&page).is_empty());
    for token in ["", "00", &"ab".repeat(32)] {
        let r = c
            .post(app.url("/login"))
            .form(&[("csrf", token), ("username", ADMIN), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "token {token:?}");
    }
    // A token from another browser's login page is no good either.
    let (_, other_page) = app.get(&client(), "/login").await;
    let r = app
        .post_form(
            &c,
            "/login",
            &other_page,
            &[("username", ADMIN), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 403);
    // Logged in, a logout without the session's token does nothing.
    let c = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let r = c.post(app.url("/logout")).form(&[("csrf", "00")]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.get(&c, "/").await.0, 200);
}

async fn logging_out_everywhere_ends_every_session(app: TestApp) {
    let laptop = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let phone = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, page) = app.get(&laptop, "/account").await;
    let r = app.post_form(&laptop, "/logout/everywhere", &page, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&laptop, "/").await.0, 303);
    assert_eq!(app.get(&phone, "/").await.0, 303);
}
on_both_databases!(logging_out_everywhere_ends_every_session);

#[tokio::test]
async fn logging_out_ends_only_this_session() {
    let app = crate::helpers::spawn_app().await;
    let laptop = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let phone = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, page) = app.get(&laptop, "/").await;
    let r = app.post_form(&laptop, "/logout", &page, &[]).await;
    assert_eq!(r.headers().get("location").unwrap(), "/login");
    assert_eq!(app.get(&laptop, "/").await.0, 303);
    assert_eq!(app.get(&phone, "/").await.0, 200);
}

async fn only_admins_see_the_accounts(app: TestApp) {
    add_user(&app.app, "hanna", "Ганна", Role::Reviewer, "hanna-password-1").await;
    let reviewer = app.logged_in_client("hanna", "hanna-password-1").await;
    let (status, html) = app.get(&reviewer, "/admin/users").await;
    assert_eq!(status, 403);
    assert!(html.contains("Your role does not allow this."));
    assert!(
        !html.contains("href=\"/admin/users\""),
        "no link to what the role may not see"
    );
    let admin = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (status, html) = app.get(&admin, "/admin/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("Ганна") && html.contains("reviewer") && html.contains("Test Administrator"));
}
on_both_databases!(only_admins_see_the_accounts);

async fn disabling_an_account_ends_its_sessions(app: TestApp) {
    add_user(&app.app, "volha", "Вольга", Role::Volunteer, "volha-password-1").await;
    let c = app.logged_in_client("volha", "volha-password-1").await;
    let name = Username::parse("volha").unwrap();
    app.app
        .set_user_disabled(&razam_app::Actor::Cli, &name, true)
        .await
        .unwrap();
    assert_eq!(app.get(&c, "/").await.0, 303);
    let r = app.log_in(&client(), "volha", "volha-password-1").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("This account is disabled."));
    app.app
        .set_user_disabled(&razam_app::Actor::Cli, &name, false)
        .await
        .unwrap();
    app.logged_in_client("volha", "volha-password-1").await;
}
on_both_databases!(disabling_an_account_ends_its_sessions);

#[tokio::test]
async fn every_change_is_in_the_audit_chain_and_it_verifies() {
    let app = crate::helpers::spawn_app().await;
    let c = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, page) = app.get(&c, "/").await;
    app.post_form(&c, "/logout", &page, &[]).await;
    let report = app.app.verify_audit(None, &|_| {}).await.unwrap();
    // init, account.create, session.create, session.end
    assert_eq!(report.entries, 4);
}

#[tokio::test]
async fn behind_tls_cookies_are_secure_and_hsts_is_sent() {
    let app = crate::helpers::spawn_app_configured(crate::helpers::Db::Sqlite, "secure_cookies = true")
        .await
        .unwrap();
    let r = app.log_in(&client(), ADMIN, ADMIN_PASSWORD).await;
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies.iter().find(|c| c.starts_with("razam_session=")).unwrap();
    assert!(session.ends_with("; Secure"), "{session}");
    assert!(r.headers().get("strict-transport-security").is_some());
}

/// The audit entries `login.locked` of account `id`.
async fn lock_entries(app: &TestApp, id: &str) -> usize {
    crate::api::sql(
        app,
        &format!("SELECT action, object FROM audit_log WHERE action = 'login.locked' AND object = 'account:{id}'"),
    )
    .await
    .len()
}

#[tokio::test]
async fn failed_logins_lock_the_name_even_for_the_right_password_and_no_other_account() {
    let app = crate::helpers::spawn_app().await;
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    add_user(&app.app, "hanna", "Ганна", Role::Documenter, "hanna-password-1").await;
    let id = crate::api::sql(
        &app,
        "SELECT CAST(id AS TEXT), role FROM accounts WHERE role = 'documenter'",
    )
    .await
    .into_iter()
    .map(|(id, _)| id)
    .min()
    .unwrap();
    let c = client();
    // The default: five failures within 15 minutes lock the name.
    for n in 1..=5 {
        let r = app.log_in(&c, "ales", &format!("guess-{n}")).await;
        assert_eq!(r.status(), 401, "guess {n} is only wrong");
    }
    assert_eq!(lock_entries(&app, &id).await, 1, "the lock is audited once");
    for name in ["ales", " ALES "] {
        let r = app.log_in(&c, name, "ales-password-1").await;
        assert_eq!(r.status(), 429, "locked, even with the right password");
        assert!(r.headers().get("retry-after").is_some());
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"login-locked\""), "{page}");
        assert!(page.contains("(UTC)"), "the page says until when: {page}");
    }
    // Another account from the same address is not touched.
    assert_eq!(app.log_in(&client(), "hanna", "hanna-password-1").await.status(), 303);

    // An unknown name is locked the same way: the lock tells nobody which names exist.
    for n in 1..=5 {
        assert_eq!(app.log_in(&c, "nobody-here", &format!("guess-{n}")).await.status(), 401);
    }
    assert_eq!(app.log_in(&c, "nobody-here", "guess-6").await.status(), 429);
}

#[tokio::test]
async fn one_address_trying_many_names_is_locked_by_its_own_limit() {
    let app = crate::helpers::spawn_app_configured(
        crate::helpers::Db::Sqlite,
        "[login]\nfailures_per_address = 3\nlockout_minutes = 1",
    )
    .await
    .unwrap();
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let c = client();
    for name in ["a1", "a2", "a3"] {
        assert_eq!(app.log_in(&c, name, "guess").await.status(), 401);
    }
    assert_eq!(
        app.log_in(&c, "ales", "ales-password-1").await.status(),
        429,
        "the address is locked, whatever the name"
    );
}

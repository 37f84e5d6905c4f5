//! Two-factor login (TOTP, RFC 6238): enrolment with its first code, the second step of the
//! login, codes never accepted twice, recovery codes used once, wrong codes throttled like
//! wrong passwords, roles that must use it, and the admin's reset.

use razam_core::{Role, totp};

use crate::helpers::{ADMIN, ADMIN_PASSWORD, Db, TestApp, add_user, client, spawn_app_configured};
use crate::on_both_databases;

const PASSWORD: &str = "ales-password-1";

/// The secret an enrolment page shows for typing in by hand.
fn secret_of(page: &str) -> Vec<u8> {
    let at = page.find("id=\"totp-secret\">").expect("the page shows the secret") + 17;
    let text = page[at..].split('<').next().unwrap();
    totp::from_base32(text).unwrap()
}

fn now_step() -> i64 {
    totp::step_at(razam_app::now_ms() / 1000)
}

/// A six-digit code that is none of the three steps around now.
fn wrong_code(secret: &[u8]) -> String {
    let near: Vec<String> = (-1..=1).map(|d| totp::code_at(secret, now_step() + d)).collect();
    (0..4u32)
        .map(|n| format!("{:06}", (n * 250_001) % 1_000_000))
        .find(|c| !near.contains(c))
        .unwrap()
}

fn recovery_codes_of(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect()
}

async fn log_out(app: &TestApp, c: &reqwest::Client) {
    let (_, page) = app.get(c, "/account").await;
    assert_eq!(app.post_form(c, "/logout", &page, &[]).await.status(), 303);
}

/// The password step, which must lead to `second` (`/login/code` or `/login/enrol`), with no
/// session yet.
async fn password_step(app: &TestApp, c: &reqwest::Client, username: &str, password: &str, second: &str) {
    let r = app.log_in(c, username, password).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers().get("location").unwrap(), second);
    assert!(
        !r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("razam_session=")),
        "no session before the second factor"
    );
    let (status, _) = app.get(c, "/").await;
    assert_eq!(status, 303, "the pending login opens nothing");
}

async fn give_code(app: &TestApp, c: &reqwest::Client, code: &str) -> reqwest::Response {
    let (_, page) = app.get(c, "/login/code").await;
    app.post_form(c, "/login/code", &page, &[("code", code)]).await
}

/// Enrols a logged-in client from the account page; returns the secret and recovery codes.
async fn enrol(app: &TestApp, c: &reqwest::Client) -> (Vec<u8>, Vec<String>) {
    let (status, page) = app.get(c, "/account/two-factor").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<svg") && page.contains("otpauth://totp/Razam:"),
        "{page}"
    );
    let secret = secret_of(&page);
    let r = app
        .post_form(c, "/account/two-factor", &page, &[("code", &wrong_code(&secret))])
        .await;
    assert_eq!(r.status(), 400, "a wrong first code confirms nothing");
    let (_, account) = app.get(c, "/account").await;
    assert!(account.contains("id=\"two-factor-start\""), "still off");
    let r = app
        .post_form(
            c,
            "/account/two-factor",
            &page,
            &[("code", &totp::code_at(&secret, now_step()))],
        )
        .await;
    assert_eq!(r.status(), 200);
    let codes = recovery_codes_of(&r.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn a_user_enrols_and_each_code_opens_one_login(app: TestApp) {
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, PASSWORD).await;
    let c = app.logged_in_client("ales", PASSWORD).await;
    let (secret, codes) = enrol(&app, &c).await;
    let (_, account) = app.get(&c, "/account").await;
    assert!(account.contains("Unused recovery codes: 10"), "{account}");
    log_out(&app, &c).await;

    // The code that confirmed the enrolment is used: its step is never taken again.
    password_step(&app, &c, "ales", PASSWORD, "/login/code").await;
    let enrol_code = totp::code_at(&secret, now_step());
    let r = give_code(&app, &c, &enrol_code).await;
    assert_eq!(r.status(), 401, "a replay of the enrolment's code");
    assert!(r.text().await.unwrap().contains("Wrong or already used code."));

    // The next step's code (a phone clock a little ahead) opens the login, once.
    let next = totp::code_at(&secret, now_step() + 1);
    let r = give_code(&app, &c, &next).await;
    assert_eq!(r.status(), 303);
    let (status, home) = app.get(&c, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Алесь Бяляцкі"));
    log_out(&app, &c).await;
    password_step(&app, &c, "ales", PASSWORD, "/login/code").await;
    assert_eq!(give_code(&app, &c, &next).await.status(), 401, "the same code again");

    // A recovery code, typed in capitals, opens it once.
    let recovery = codes[3].to_uppercase();
    assert_eq!(give_code(&app, &c, &recovery).await.status(), 303);
    let (_, account) = app.get(&c, "/account").await;
    assert!(account.contains("Unused recovery codes: 9"), "{account}");
    log_out(&app, &c).await;
    password_step(&app, &c, "ales", PASSWORD, "/login/code").await;
    assert_eq!(
        give_code(&app, &c, &recovery).await.status(),
        401,
        "a used recovery code"
    );

    // The API logs in nobody with a password alone either: `log_in` refuses.
    assert!(matches!(
        app.app.log_in("ales", PASSWORD, None).await,
        Err(razam_app::AppError::SecondFactorNeeded)
    ));
}
on_both_databases!(a_user_enrols_and_each_code_opens_one_login);

#[tokio::test]
async fn wrong_codes_lock_the_login_like_wrong_passwords() {
    let app = spawn_app_configured(Db::Sqlite, "[login]\nfailures_per_account = 3\n")
        .await
        .unwrap();
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, PASSWORD).await;
    let c = app.logged_in_client("ales", PASSWORD).await;
    let (secret, _) = enrol(&app, &c).await;
    log_out(&app, &c).await;
    password_step(&app, &c, "ales", PASSWORD, "/login/code").await;
    for _ in 0..3 {
        assert_eq!(give_code(&app, &c, &wrong_code(&secret)).await.status(), 401);
    }
    let r = give_code(&app, &c, &totp::code_at(&secret, now_step() + 1)).await;
    assert_eq!(r.status(), 429, "locked, even with the right code");
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(
        app.log_in(&client(), "ales", PASSWORD).await.status(),
        429,
        "and the password step too"
    );
}

async fn a_required_role_enrols_before_anything_else(app: TestApp) {
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, PASSWORD).await;
    let ales = app.logged_in_client("ales", PASSWORD).await;
    let admin = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, users) = app.get(&admin, "/admin/users").await;
    let r = app
        .post_form(&admin, "/admin/two-factor-roles", &users, &[("role-documenter", "on")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, users) = app.get(&admin, "/admin/users").await;
    assert!(users.contains("name=\"role-documenter\" checked"), "{users}");
    assert!(users.contains("name=\"role-admin\">"), "admins not required");
    assert_eq!(app.get(&ales, "/").await.0, 303, "requiring it ended ales's session");

    let c = client();
    password_step(&app, &c, "ales", PASSWORD, "/login/enrol").await;
    assert_eq!(app.get(&c, "/persons").await.0, 303, "nothing else opens");
    assert_eq!(app.get(&c, "/login/code").await.0, 303, "the enrolment comes first");
    let (status, page) = app.get(&c, "/login/enrol").await;
    assert_eq!(status, 200);
    let secret = secret_of(&page);
    let (_, again) = app.get(&c, "/login/enrol").await;
    assert_eq!(secret_of(&again), secret, "a reload shows the same secret");
    let r = app
        .post_form(&c, "/login/enrol", &page, &[("code", &wrong_code(&secret))])
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_form(
            &c,
            "/login/enrol",
            &page,
            &[("code", &totp::code_at(&secret, now_step()))],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(recovery_codes_of(&r.text().await.unwrap()).len(), 10);
    let (status, home) = app.get(&c, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Алесь Бяляцкі"));

    // A lost phone: the admin resets it, which ends the sessions; required, so enrol again.
    let (_, users) = app.get(&admin, "/admin/users").await;
    let r = app
        .post_form(&admin, "/admin/users/two-factor-reset", &users, &[("username", "ales")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&c, "/").await.0, 303);
    password_step(&app, &c, "ales", PASSWORD, "/login/enrol").await;
    let (_, page) = app.get(&c, "/login/enrol").await;
    assert_ne!(secret_of(&page), secret, "a new secret");

    // No longer required: the password alone opens it again.
    let r = app.post_form(&admin, "/admin/two-factor-roles", &users, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.log_in(&client(), "ales", PASSWORD).await.headers()["location"], "/");

    // Only an admin may do these.
    let ales = app.logged_in_client("ales", PASSWORD).await;
    let (_, page) = app.get(&ales, "/account").await;
    let r = app
        .post_form(&ales, "/admin/two-factor-roles", &page, &[("role-admin", "on")])
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(&ales, "/admin/users/two-factor-reset", &page, &[("username", ADMIN)])
        .await;
    assert_eq!(r.status(), 403);

    let actions = audit_actions(&app).await;
    for action in [
        "totp.require",
        "totp.enrol",
        "totp.confirm",
        "totp.reset",
        "totp.unrequire",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }
}
on_both_databases!(a_required_role_enrols_before_anything_else);

/// The actions of the audit log, in order.
pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    crate::api::sql(app, "SELECT action, object FROM audit_log ORDER BY seq")
        .await
        .into_iter()
        .map(|(action, _)| action)
        .collect()
}

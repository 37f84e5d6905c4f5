//! `/account/sessions`: one's sessions with when they began and were last used and the
//! browser family (never an address); ending one, all the others, and an admin ending all.

use razam_core::Role;

use crate::helpers::{ADMIN, ADMIN_PASSWORD, TestApp, add_user};
use crate::on_both_databases;

const PASSWORD: &str = "ales-password-1";

fn browser(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap()
}

async fn logged_in(app: &TestApp, user_agent: &str) -> reqwest::Client {
    let c = browser(user_agent);
    assert_eq!(app.log_in(&c, "ales", PASSWORD).await.status(), 303);
    c
}

/// The handles in the page's "end this session" forms.
fn handles(page: &str) -> Vec<String> {
    page.split("action=\"/account/sessions/")
        .skip(1)
        .filter_map(|s| s.split_once("/end\"").map(|(h, _)| h.to_owned()))
        .collect()
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

async fn a_person_sees_their_sessions_and_ends_them(app: TestApp) {
    add_user(&app.app, "ales", "Алесь Бяляцкі", Role::Documenter, PASSWORD).await;
    let laptop = logged_in(&app, FIREFOX).await;
    let phone = logged_in(&app, CHROME).await;
    let (status, page) = app.get(&laptop, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<td>Firefox</td>") && page.contains("<td>Chrome</td>"),
        "{page}"
    );
    assert!(page.contains("this session"));
    assert!(!page.contains("127.0.0.1"), "no address is shown (none is kept)");
    let others = handles(&page);
    assert_eq!(others.len(), 1, "every session but this one can be ended");

    // End the phone's session from the laptop.
    let r = app
        .post_form(&laptop, &format!("/account/sessions/{}/end", others[0]), &page, &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&phone, "/").await.0, 303, "the phone is logged out");
    assert_eq!(app.get(&laptop, "/").await.0, 200, "the laptop is not");
    // A handle of someone else's session, or made up, ends nothing.
    let r = app
        .post_form(&laptop, "/account/sessions/00112233445566778899aabb/end", &page, &[])
        .await;
    assert_eq!(r.status(), 404);

    // "End all other sessions".
    let phone = logged_in(&app, CHROME).await;
    let tablet = logged_in(&app, FIREFOX).await;
    let (_, page) = app.get(&laptop, "/account/sessions").await;
    assert_eq!(handles(&page).len(), 2);
    let r = app.post_form(&laptop, "/account/sessions/end-others", &page, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&phone, "/").await.0, 303);
    assert_eq!(app.get(&tablet, "/").await.0, 303);
    assert_eq!(app.get(&laptop, "/").await.0, 200);
    let (_, page) = app.get(&laptop, "/account/sessions").await;
    assert!(handles(&page).is_empty());

    // An admin ends every session of the account.
    let admin = crate::helpers::client();
    assert_eq!(app.log_in(&admin, ADMIN, ADMIN_PASSWORD).await.status(), 303);
    let (_, users) = app.get(&admin, "/admin/users").await;
    let r = app
        .post_form(&admin, "/admin/users/end-sessions", &users, &[("username", "ales")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&laptop, "/").await.0, 303);
    assert_eq!(app.get(&admin, "/").await.0, 200);

    let audit: Vec<String> = crate::api::sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action LIKE 'session.end%' ORDER BY seq",
    )
    .await
    .into_iter()
    .map(|(action, _)| action)
    .collect();
    assert_eq!(audit, ["session.end", "session.end_others", "session.end_all"]);
}
on_both_databases!(a_person_sees_their_sessions_and_ends_them);

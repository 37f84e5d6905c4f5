//! The web shell: health, security headers, no foreign assets, errors as pages.

use crate::helpers::{TestApp, client};
use crate::on_both_databases;

async fn healthz_answers_ok(app: TestApp) {
    let r = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok\n");
}
on_both_databases!(healthz_answers_ok);

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = crate::helpers::spawn_app().await;
    for path in ["/login", "/healthz", "/no/such/page", "/static/razam.css"] {
        let r = client().get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src"), "no script is ever allowed: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        if !path.starts_with("/static/") {
            assert_eq!(h.get("cache-control").unwrap(), "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn pages_load_nothing_from_another_origin_and_need_no_script() {
    let app = crate::helpers::spawn_app().await;
    let c = app
        .logged_in_client(crate::helpers::ADMIN, crate::helpers::ADMIN_PASSWORD)
        .await;
    for path in [
        "/",
        "/account",
        "/admin/users",
        "/persons",
        "/persons/new",
        "/events",
        "/events/new",
        "/figures",
    ] {
        let (status, html) = app.get(&c, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script"), "{path} has a script");
        for attr in ["src=\"", "href=\"", "action=\""] {
            for (i, _) in html.match_indices(attr) {
                let value = &html[i + attr.len()..];
                assert!(
                    value.starts_with('/') || value.starts_with('#') || value.starts_with('?'),
                    "{path}: {attr}{} points outside this origin",
                    value.split('"').next().unwrap()
                );
            }
        }
    }
    let (_, login) = app.get(&client(), "/login").await;
    assert!(login.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page_in_the_layout() {
    let app = crate::helpers::spawn_app().await;
    let (status, html) = app.get(&client(), "/nothing-here").await;
    assert_eq!(status, 404);
    assert!(html.contains("This page does not exist."), "{html}");
}

#[tokio::test]
async fn pages_behind_a_login_send_visitors_to_it() {
    let app = crate::helpers::spawn_app().await;
    for path in [
        "/",
        "/account",
        "/admin/users",
        "/persons",
        "/persons/new",
        "/events",
        "/events/new",
        "/persons/1",
        "/events/1/history",
    ] {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers().get("location").unwrap(), "/login", "{path}");
    }
}

#[tokio::test]
async fn a_form_larger_than_the_limit_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let big = "x".repeat(200 * 1024);
    let r = client()
        .post(app.url("/login"))
        .form(&[("csrf", "0"), ("username", big.as_str()), ("password", "p")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

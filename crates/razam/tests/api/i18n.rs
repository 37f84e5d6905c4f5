//! Choosing the interface language.

use razam_core::Role;

use crate::helpers::{add_user, client, spawn_app, text_in_language};

#[tokio::test]
async fn the_browser_language_is_used_when_nothing_else_is_chosen() {
    let app = spawn_app().await;
    let html = text_in_language(&client(), &app.url("/login"), "de-DE,de;q=0.9,be;q=0.8,ru;q=0.5").await;
    assert!(html.contains("<html lang=\"be\">"));
    assert!(html.contains("Імя карыстальніка"), "{html}");
}

#[tokio::test]
async fn a_chosen_language_wins_and_is_remembered() {
    let app = spawn_app().await;
    let c = client();
    let r = c
        .get(app.url("/login?lang=lt"))
        .header("accept-language", "ru")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("razam_lang=lt"))
    );
    assert!(r.text().await.unwrap().contains("Prisijungimas"));
    // The next page, without ?lang, stays in Lithuanian.
    let html = text_in_language(&c, &app.url("/login"), "ru").await;
    assert!(html.contains("<html lang=\"lt\">"));
}

#[tokio::test]
async fn an_accounts_language_follows_it_to_another_device() {
    let app = spawn_app().await;
    add_user(&app.app, "ales", "Алесь", Role::Documenter, "ales-password-1").await;
    let phone = app.logged_in_client("ales", "ales-password-1").await;
    let (_, html) = app.get(&phone, "/?lang=uk").await;
    assert!(html.contains("Вітаємо, Алесь."), "{html}");
    // A second device with an English browser gets the account's language.
    let laptop = app.logged_in_client("ales", "ales-password-1").await;
    let html = text_in_language(&laptop, &app.url("/"), "en").await;
    assert!(html.contains("<html lang=\"uk\">"), "{html}");
    // And the account page's form changes it.
    let (_, page) = app.get(&laptop, "/account").await;
    let r = app
        .post_form(&laptop, "/account/language", &page, &[("locale", "pl")])
        .await;
    assert_eq!(r.headers().get("location").unwrap(), "/account?saved=1");
    let (_, html) = app.get(&phone, "/account?saved=1").await;
    assert!(html.contains("Język zapisany."), "{html}");
}

//! Test support shared by the crates' tests. Only ever a dev-dependency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;

/// A new, empty database on the test cluster that `scripts/test` starts, or `None` (the test
/// skips) where there is no cluster and the test command did not ask for one.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(admin) = std::env::var("RAZAM_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("RAZAM_TEST_REQUIRE_POSTGRES").is_err(),
            "RAZAM_TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL"
        );
        eprintln!("skipped: no RAZAM_TEST_POSTGRES_URL (scripts/test sets it)");
        return None;
    };
    let name = format!("razam_test_{}", hex::encode(rand::random::<[u8; 8]>()));
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    Some(format!("{base}/{name}"))
}

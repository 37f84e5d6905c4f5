//! One story, told to both databases: whatever SQLite does, PostgreSQL must do the same.
//!
//! PostgreSQL comes from `RAZAM_TEST_POSTGRES_URL` (the test command starts a throwaway
//! cluster); each test gets a new database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use razam_core::audit::{Blake3Link, ChainLink, ChainVerifier};
use razam_core::{Locale, Role};
use razam_store::{AuditEvent, AuditObject, DatabaseLocation, NewAccount, SessionRow, Store, StoreError};
use sqlx::Connection;

fn link() -> Arc<dyn ChainLink> {
    Arc::new(Blake3Link::new([42; 32]))
}

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = DatabaseLocation::Sqlite(dir.path().join("razam.db"));
    let store = razam_store::open(&location, true, link()).await.unwrap();
    (store, dir)
}

use razam_testkit::fresh_postgres_url;

async fn postgres() -> Option<Arc<dyn Store>> {
    let url = fresh_postgres_url().await?;
    Some(
        razam_store::open(&DatabaseLocation::Postgres(url), true, link())
            .await
            .unwrap(),
    )
}

fn event(action: &'static str, object: AuditObject) -> AuditEvent {
    AuditEvent {
        at_ms: 1_750_000_000_000,
        actor: "cli".into(),
        action,
        object,
    }
}

fn account(name: u8) -> NewAccount {
    NewAccount {
        username_lookup: [name; 32],
        username_sealed: vec![name, 1, 2, 3],
        display_name_sealed: vec![name, 4, 5],
        email_sealed: None,
        password_hash: "$argon2id$not-a-real-hash".into(),
        role: Role::Documenter,
        created_at_ms: 1_750_000_000_000,
    }
}

async fn verify_chain(store: &dyn Store) -> i64 {
    let link = link();
    let mut verifier = ChainVerifier::new(link.as_ref());
    for entry in store.audit_page(0, 100_000).await.unwrap() {
        verifier.check(&entry.record, &entry.prev_hash, &entry.hash).unwrap();
    }
    verifier.count()
}

/// The story every store must tell the same way.
async fn story(store: Arc<dyn Store>) {
    assert_eq!(store.schema_version().await.unwrap(), 0);
    assert_eq!(
        store.migrate().await.unwrap(),
        razam_store::migrations::latest() as usize
    );
    assert_eq!(store.migrate().await.unwrap(), 0, "migrating twice applies nothing");
    assert_eq!(store.schema_version().await.unwrap(), razam_store::migrations::latest());

    // Accounts: created with an audit entry naming the new id; the lookup hash is unique.
    let id = store
        .create_account(&account(1), &event("account.create", AuditObject::Created("account")))
        .await
        .unwrap();
    let again = store
        .create_account(&account(1), &event("account.create", AuditObject::Created("account")))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let found = store.account_by_lookup(&[1; 32]).await.unwrap().unwrap();
    assert_eq!((found.id, found.role, found.disabled), (id, Role::Documenter, false));
    assert_eq!(found.username_sealed, vec![1, 1, 2, 3]);
    assert!(store.account_by_lookup(&[2; 32]).await.unwrap().is_none());
    let other = store
        .create_account(&account(2), &event("account.create", AuditObject::Created("account")))
        .await
        .unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 2);
    assert_eq!(
        store
            .list_accounts()
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        vec![id, other]
    );

    // Sessions: found by hash; disabling the account and resetting its password end them.
    let session = |n: u8, account_id| SessionRow {
        token_hash: [n; 32],
        account_id,
        created_at_ms: 1_000,
        expires_at_ms: 2_000,
        last_seen_ms: 1_000,
        agent: "Firefox".into(),
    };
    let named = |what: &str| AuditObject::Named(what.into());
    store
        .create_session(&session(10, id), &event("session.create", named("account:1")))
        .await
        .unwrap();
    store
        .create_session(&session(11, id), &event("session.create", named("account:1")))
        .await
        .unwrap();
    store
        .create_session(&session(12, other), &event("session.create", named("account:2")))
        .await
        .unwrap();
    assert_eq!(
        store.session_by_token_hash(&[10; 32]).await.unwrap(),
        Some(session(10, id))
    );
    store
        .delete_session(&[10; 32], &event("session.end", named("account:1")))
        .await
        .unwrap();
    assert_eq!(store.session_by_token_hash(&[10; 32]).await.unwrap(), None);
    store
        .set_account_disabled(id, true, &event("account.disable", named("account:1")))
        .await
        .unwrap();
    assert_eq!(store.session_by_token_hash(&[11; 32]).await.unwrap(), None);
    assert!(store.account_by_id(id).await.unwrap().unwrap().disabled);
    store
        .set_password_hash(
            other,
            "$argon2id$new",
            &event("account.reset_password", named("account:2")),
        )
        .await
        .unwrap();
    assert_eq!(store.session_by_token_hash(&[12; 32]).await.unwrap(), None);
    assert_eq!(
        store.account_by_id(other).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    store
        .set_account_locale(other, Locale::Be, &event("account.set_locale", named("account:2")))
        .await
        .unwrap();
    assert_eq!(
        store.account_by_id(other).await.unwrap().unwrap().locale,
        Some(Locale::Be)
    );
    let missing = store
        .set_account_disabled(999, true, &event("account.disable", named("account:999")))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");

    store
        .create_session(&session(13, other), &event("session.create", named("account:2")))
        .await
        .unwrap();
    store
        .create_session(&session(14, other), &event("session.create", named("account:2")))
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_sessions_of(other, &event("session.end_all", named("account:2")))
            .await
            .unwrap(),
        2
    );
    store
        .create_session(&session(15, other), &event("session.create", named("account:2")))
        .await
        .unwrap();
    assert_eq!(store.delete_expired_sessions(2_000).await.unwrap(), 1);

    // The audit log: one entry per change, in order, with the new row's id filled in.
    let entries = store.audit_page(0, 1000).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.create",
            "account.create",
            "session.create",
            "session.create",
            "session.create",
            "session.end",
            "account.disable",
            "account.reset_password",
            "account.set_locale",
            "session.create",
            "session.create",
            "session.end_all",
            "session.create",
        ],
        "the failed (conflicting, missing) changes left no entry"
    );
    assert_eq!(entries[0].record.object, format!("account:{id}"));
    assert_eq!(entries[1].record.object, format!("account:{other}"));
    assert_eq!(verify_chain(store.as_ref()).await, 13);
    let page = store.audit_page(5, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.record.seq).collect::<Vec<_>>(), vec![6, 7, 8]);

    // Many writers at once still make one unbroken chain.
    let mut tasks = Vec::new();
    for n in 0..24u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_session(
                    &session(100 + n, other),
                    &event("session.create", AuditObject::Named("account:2".into())),
                )
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(verify_chain(store.as_ref()).await, 13 + 24);

    // Audited reads written together: one transaction, linked in the order given; an empty
    // batch writes nothing; batches and single writers at once still make one chain.
    let read = |n: u32| {
        event(
            "registry.search",
            AuditObject::Named(format!("search:{n} persons,0 events")),
        )
    };
    store.append_audits(&[read(1), read(2), read(3)]).await.unwrap();
    store.append_audits(&[]).await.unwrap();
    let last = store.audit_page(13 + 24, 100).await.unwrap();
    assert_eq!(
        last.iter()
            .map(|e| (e.record.seq, e.record.object.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (38, "search:1 persons,0 events"),
            (39, "search:2 persons,0 events"),
            (40, "search:3 persons,0 events"),
        ]
    );
    let mut tasks = Vec::new();
    for n in 0..8u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                store.append_audits(&[read(n), read(n + 100)]).await
            } else {
                store.append_audit(&read(n)).await
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(verify_chain(store.as_ref()).await, 13 + 24 + 3 + 12);
    // A batch stays together in the chain.
    let objects: Vec<String> = store
        .audit_page(40, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record.object)
        .collect();
    for n in (0..8u32).step_by(2) {
        let at = objects
            .iter()
            .position(|o| *o == format!("search:{n} persons,0 events"))
            .unwrap();
        assert_eq!(objects[at + 1], format!("search:{} persons,0 events", n + 100));
    }
    // A batch longer than one statement's rows (500) is still one chain, in its order.
    let many: Vec<_> = (1000..1501u32).map(read).collect();
    store.append_audits(&many).await.unwrap();
    assert_eq!(verify_chain(store.as_ref()).await, 13 + 24 + 3 + 12 + 501);
    let tail = store.audit_page(13 + 24 + 3 + 12 + 499, 100).await.unwrap();
    assert_eq!(
        tail.iter().map(|e| e.record.object.as_str()).collect::<Vec<_>>(),
        ["search:1499 persons,0 events", "search:1500 persons,0 events"]
    );
}

#[tokio::test]
async fn sqlite_tells_the_story() {
    let (store, _dir) = sqlite().await;
    story(store).await;
}

#[tokio::test]
async fn postgres_tells_the_story() {
    if let Some(store) = postgres().await {
        story(store).await;
    }
}

async fn with_one_audit_entry(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store
        .append_audit(&event("instance.init", AuditObject::Named(String::new())))
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_refuses_a_database_of_a_newer_schema_and_a_damaged_file() {
    let (store, dir) = sqlite().await;
    store.migrate().await.unwrap();
    store.close().await;
    let path = dir.path().join("razam.db");
    {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query("INSERT INTO razam_schema (version, name, applied_at_ms) VALUES (999, 'future', 0)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let location = DatabaseLocation::Sqlite(path.clone());
    let err = razam_store::open(&location, false, link()).await.err().unwrap();
    assert!(matches!(err, StoreError::NewerSchema { found: 999, .. }), "{err}");

    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, vec![0x5a; 8192]).unwrap();
    let err = razam_store::open(&DatabaseLocation::Sqlite(damaged), false, link())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Damaged(_)), "{err}");

    let err = razam_store::open(&DatabaseLocation::Sqlite(dir.path().join("none.db")), false, link())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Missing(_)), "{err}");
}

#[tokio::test]
async fn postgres_refuses_a_database_of_a_newer_schema() {
    let Some(url) = fresh_postgres_url().await else { return };
    let location = DatabaseLocation::Postgres(url.clone());
    let store = razam_store::open(&location, true, link()).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO razam_schema (version, name, applied_at_ms) VALUES (999, 'future', 0)")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = razam_store::open(&location, false, link()).await.err().unwrap();
    assert!(matches!(err, StoreError::NewerSchema { found: 999, .. }), "{err}");
}

#[tokio::test]
async fn the_audit_log_is_append_only_in_both_databases() {
    let (store, dir) = sqlite().await;
    with_one_audit_entry(store.clone()).await;
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.path().join("razam.db").display()))
        .await
        .unwrap();
    for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if let Some(url) = fresh_postgres_url().await {
        let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), true, link())
            .await
            .unwrap();
        with_one_audit_entry(store).await;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        for sql in [
            "UPDATE audit_log SET action = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ] {
            let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
    }
}

/// A VACUUM of the audit log (autovacuum's lock, SHARE UPDATE EXCLUSIVE, held here by another
/// session) holds no write up: writers queue on their own advisory lock, not on a lock of the
/// table. With a table lock the write below waited for the other session's end, and
/// autovacuum was cancelled after every second it held writers up.
#[tokio::test]
async fn postgres_writes_go_on_while_the_audit_log_is_vacuumed() {
    let Some(url) = fresh_postgres_url().await else { return };
    let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), true, link())
        .await
        .unwrap();
    with_one_audit_entry(store.clone()).await;
    let mut vacuum = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut held = vacuum.begin().await.unwrap();
    sqlx::query("LOCK TABLE audit_log IN SHARE UPDATE EXCLUSIVE MODE")
        .execute(&mut *held)
        .await
        .unwrap();
    // The lock is held until after the write: the write must end on its own. The timeout is
    // no measure of speed, only what keeps a regression from hanging the suite.
    let entry = event("instance.backup", AuditObject::Named(String::new()));
    let wrote = tokio::time::timeout(std::time::Duration::from_secs(60), store.append_audit(&entry)).await;
    held.rollback().await.unwrap();
    wrote.expect("the write waited for the vacuum's lock").unwrap();
    assert_eq!(verify_chain(store.as_ref()).await, 2);
}

/// A writer refused the writers' lock (here by `lock_timeout`; a cancelled wait is the same)
/// leaves its connection as it found it: the writes after the lock is free again succeed on
/// every connection of the pool, and the chain holds exactly the acknowledged entries. When
/// the lock was sent with BEGIN as one simple query, a refusal left the connection inside a
/// failed transaction that nothing rolled back, and every later statement on it failed.
#[tokio::test]
async fn postgres_a_writer_refused_the_lock_leaves_its_connection_usable() {
    let Some(url) = fresh_postgres_url().await else { return };
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} SET lock_timeout = '100ms'"))
        .execute(&mut other)
        .await
        .unwrap();
    let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), true, link())
        .await
        .unwrap();
    with_one_audit_entry(store.clone()).await;
    // The writers' lock (`WRITER_LOCK` in postgres.rs), held by another session.
    sqlx::query("SELECT pg_advisory_lock(125762990599425)")
        .execute(&mut other)
        .await
        .unwrap();
    // As many writes as the pool has connections and more, all at once: refused, then accepted.
    let writes = |n: usize| {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let store = store.clone();
            set.spawn(async move {
                store
                    .append_audit(&event("instance.backup", AuditObject::Named(String::new())))
                    .await
            });
        }
        set.join_all()
    };
    let refused = writes(24).await;
    assert!(refused.iter().all(|r| r.is_err()), "a write went past the held lock");
    sqlx::query("SELECT pg_advisory_unlock(125762990599425)")
        .execute(&mut other)
        .await
        .unwrap();
    for w in writes(24).await {
        w.unwrap();
    }
    assert_eq!(verify_chain(store.as_ref()).await, 25);
}

/// API tokens: found by hash, listed per account, revoked once with one audit entry, the day
/// of use noted without an audit entry.
async fn token_story(store: Arc<dyn Store>) {
    use razam_store::tokens::NewToken;
    store.migrate().await.unwrap();
    let owner = store
        .create_account(&account(1), &event("account.create", AuditObject::Created("account")))
        .await
        .unwrap();
    let new = |n: u8, expires_at_ms| NewToken {
        token_hash: [n; 32],
        account_id: owner,
        name_sealed: vec![n, 9, 9],
        created_at_ms: 1_000,
        expires_at_ms,
    };
    let create = event("api_token.create", AuditObject::Created("api_token"));
    let first = store.create_token(&new(1, None), &create).await.unwrap();
    let second = store.create_token(&new(2, Some(5_000)), &create).await.unwrap();
    assert!(matches!(
        store.create_token(&new(1, None), &create).await,
        Err(StoreError::Conflict(_) | StoreError::Database(_))
    ));

    let found = store.token_by_hash(&[2; 32]).await.unwrap().unwrap();
    assert_eq!((found.id, found.account_id), (second, owner));
    assert_eq!(found.name_sealed, vec![2, 9, 9]);
    assert_eq!(
        (found.expires_at_ms, found.last_used_on, found.revoked_at_ms),
        (Some(5_000), None, None)
    );
    assert!(store.token_by_hash(&[3; 32]).await.unwrap().is_none());
    let listed: Vec<i64> = store.tokens_of(owner).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(listed, [second, first], "newest first");

    store.touch_token(first, "2026-11-28").await.unwrap();
    store.touch_token(first, "2026-11-28").await.unwrap();
    assert_eq!(
        store.token(first).await.unwrap().unwrap().last_used_on.as_deref(),
        Some("2026-11-28")
    );

    let revoke = event("api_token.revoke", AuditObject::Named(format!("api_token:{first}")));
    assert!(store.revoke_token(first, 7_000, &revoke).await.unwrap());
    assert!(
        !store.revoke_token(first, 8_000, &revoke).await.unwrap(),
        "twice is a no-op"
    );
    assert_eq!(store.token(first).await.unwrap().unwrap().revoked_at_ms, Some(7_000));

    let entries = store.audit_page(0, 100).await.unwrap();
    let told: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.record.action.as_str(), e.record.object.as_str()))
        .collect();
    let (a, b) = (format!("api_token:{first}"), format!("api_token:{second}"));
    assert_eq!(
        told[1..],
        [
            ("api_token.create", a.as_str()),
            ("api_token.create", b.as_str()),
            ("api_token.revoke", a.as_str()),
        ]
    );
    assert_eq!(verify_chain(store.as_ref()).await, 4);
}

#[tokio::test]
async fn sqlite_tells_the_token_story() {
    let (store, _dir) = sqlite().await;
    token_story(store).await;
}

#[tokio::test]
async fn postgres_tells_the_token_story() {
    if let Some(store) = postgres().await {
        token_story(store).await;
    }
}

/// Evidence: a case found by its lookup hash (twice is a conflict), items with their intake as
/// the first custody entry, custody entries appended to each item's own chain with their audit
/// entries in the same transaction, a chain anyone can recheck.
async fn evidence_story(store: Arc<dyn Store>) {
    use razam_core::custody::verify_custody;
    use razam_store::evidence::{NewCase, NewCustody, NewItem};
    store.migrate().await.unwrap();
    let case = NewCase {
        ref_lookup: [5; 32],
        sealed: vec![1, 2, 3],
        created_by: "cli".into(),
        created_at_ms: 1_000,
    };
    let case_id = store
        .create_case(
            &case,
            &event("evidence_case.create", AuditObject::Created("evidence_case")),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_case(
                &case,
                &event("evidence_case.create", AuditObject::Created("evidence_case"))
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.case_by_lookup(&[5; 32]).await.unwrap().unwrap().id, case_id);
    assert!(store.case_by_lookup(&[6; 32]).await.unwrap().is_none());
    let item = |blob: &str| NewItem {
        case_id,
        blob: blob.into(),
        sealed: vec![7; 40],
        person_id: None,
        event_id: None,
        source_id: None,
        confidentiality: "restricted",
        created_by: "cli".into(),
        created_at_ms: 2_000,
    };
    let add = event("evidence.add", AuditObject::Created("evidence"));
    let first = store.add_item(&item("aa"), &add).await.unwrap();
    let second = store.add_item(&item("bb"), &add).await.unwrap();
    assert!(
        store.add_item(&item("aa"), &add).await.is_err(),
        "a blob name is used once"
    );
    let custody = |item, action| NewCustody {
        item,
        at_ms: 3_000,
        actor: "account:1".into(),
        action,
        detail: String::new(),
    };
    let audit = |item| event("evidence.view", AuditObject::Named(format!("evidence:{item}")));
    store
        .record_custody(
            &[custody(first, "view"), custody(second, "view")],
            &[audit(first), audit(second)],
        )
        .await
        .unwrap();
    store
        .record_custody(&[custody(first, "download")], &[audit(first)])
        .await
        .unwrap();
    let log = store.custody_of(first).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|c| c.record.action.as_str()).collect();
    assert_eq!(actions, ["intake", "view", "download"]);
    assert_eq!(
        verify_custody(log.iter().map(|c| (&c.record, &c.prev_hash, &c.hash))),
        Ok(3)
    );
    assert_eq!(store.item(first).await.unwrap().unwrap().custody_len, 3);
    assert_eq!(
        store.custody_of(second).await.unwrap().len(),
        2,
        "each item its own chain"
    );
    assert!(
        store
            .record_custody(&[custody(999, "view")], &[audit(999)])
            .await
            .is_err(),
        "no entry for an item that does not exist"
    );
    assert_eq!(store.cases().await.unwrap()[0].items, 2);
    assert_eq!(store.items_of_case(case_id).await.unwrap().len(), 2);
    // 1 case, 2 items, 3 custody writes: each with its audit entry, none for the refused ones.
    assert_eq!(verify_chain(store.as_ref()).await, 1 + 2 + 3);
}

#[tokio::test]
async fn sqlite_tells_the_evidence_story() {
    let (store, _dir) = sqlite().await;
    evidence_story(store).await;
}

#[tokio::test]
async fn postgres_tells_the_evidence_story() {
    if let Some(store) = postgres().await {
        evidence_story(store).await;
    }
}

/// The persons a scan of what changed after `since` reads, page by page (`page` at a time):
/// (id, generation that last wrote it, merged into), in the scan's order.
async fn changed_persons(store: &dyn Store, since: i64, page: i64) -> Vec<(i64, i64, Option<i64>)> {
    use razam_store::registry::ScanFrom;
    let (mut from, mut read) = (ScanFrom::changed_since(since), Vec::new());
    loop {
        let rows = store.scan_persons(from, page).await.unwrap();
        let Some(last) = rows.last() else { return read };
        from = from.after(last.changed_in, last.id);
        read.extend(rows.iter().map(|p| (p.id, p.changed_in, p.merged_into)));
    }
}

/// Every committed registry transaction counts once in the generation, and none rolled back;
/// each stamps the records it writes (created, edited, merged, unmerged) with its generation,
/// so that a scan of what changed after a generation reads exactly the records written
/// later, in (generation, id) order, page by page. An edit without its version snapshot is
/// refused. The registry's point names an audit entry the chain holds.
async fn change_story(store: Arc<dyn Store>) {
    use razam_store::registry::{Change, EventWrite, PersonWrite, RegistryOp, ScanFrom, Target};
    store.migrate().await.unwrap();
    let write = |sealed: u8| PersonWrite {
        identity_sealed: vec![sealed; 40],
        ref_lookup: None,
        region: None,
        confidentiality: "internal",
        consent_to_publish: false,
        import_digest: None,
    };
    let change = |op, snapshot: Option<u8>| Change {
        op,
        actor: "cli".into(),
        audit: Some("person.test"),
        snapshot_sealed: snapshot.map(|s| vec![s; 40]),
    };
    // The session check reads the registry clock with the session.
    let account = store
        .create_account(&account(1), &event("account.create", AuditObject::Created("account")))
        .await
        .unwrap();
    let session = SessionRow {
        token_hash: [10; 32],
        account_id: account,
        created_at_ms: 1_000,
        expires_at_ms: 2_000,
        last_seen_ms: 1_000,
        agent: "Firefox".into(),
    };
    store
        .create_session(
            &session,
            &event("session.create", AuditObject::Named("account:1".into())),
        )
        .await
        .unwrap();
    let checked = || async {
        let found = store.session_with_account(&[10; 32]).await.unwrap().unwrap();
        assert_eq!((&found.session, found.account.id), (&session, account));
        found.registry_generation
    };
    assert_eq!(checked().await, 0, "no registry write yet");
    let (ids, generation) = store
        .apply(&[
            change(RegistryOp::CreatePerson(write(1)), Some(1)),
            change(RegistryOp::CreatePerson(write(2)), Some(2)),
        ])
        .await
        .unwrap();
    let (a, b) = (ids[0], ids[1]);
    assert_eq!(generation, 1, "a write tells the generation it wrote");
    assert_eq!(store.registry_generation().await.unwrap(), 1, "one transaction so far");
    assert_eq!(checked().await, 1, "the session check reads the clock");
    assert_eq!(
        changed_persons(store.as_ref(), 0, 100).await,
        [(a, 1, None), (b, 1, None)]
    );
    assert_eq!(changed_persons(store.as_ref(), 1, 100).await, []);

    let (ids, generation) = store
        .apply(&[change(RegistryOp::CreatePerson(write(3)), Some(3))])
        .await
        .unwrap();
    let c = ids[0];
    assert_eq!(generation, 2);
    assert_eq!(changed_persons(store.as_ref(), 1, 100).await, [(c, 2, None)]);

    let edit = |snapshot| {
        change(
            RegistryOp::UpdatePerson {
                id: Target::Existing(a),
                expected_version: None,
                person: write(9),
            },
            snapshot,
        )
    };
    let refused = store.apply(&[edit(None)]).await;
    assert!(matches!(refused, Err(StoreError::Damaged(_))), "{refused:?}");
    assert_eq!(
        store.registry_generation().await.unwrap(),
        2,
        "the refused edit's transaction did not count"
    );
    assert_eq!(
        changed_persons(store.as_ref(), 2, 100).await,
        [],
        "nothing of it was written"
    );
    store.apply(&[edit(Some(9))]).await.unwrap();
    assert_eq!(changed_persons(store.as_ref(), 2, 100).await, [(a, 3, None)]);

    let merge = store
        .apply(&[change(
            RegistryOp::MergePersons {
                survivor: a,
                merged: b,
                survivor_version: 2,
                merged_version: 1,
            },
            None,
        )])
        .await
        .unwrap()
        .0[0];
    assert_eq!(changed_persons(store.as_ref(), 3, 100).await, [(b, 4, Some(a))]);
    store
        .apply(&[change(RegistryOp::UndoMerge { merge }, None)])
        .await
        .unwrap();
    assert_eq!(changed_persons(store.as_ref(), 4, 100).await, [(b, 5, None)]);
    // Each record once, at the generation that last wrote it, one page at a time.
    assert_eq!(
        changed_persons(store.as_ref(), 0, 1).await,
        [(c, 2, None), (a, 3, None), (b, 5, None)]
    );

    // An event and its source, and an edit of the event.
    let event = |sealed: u8| EventWrite {
        kind: "detention",
        date: None,
        region: None,
        arrest_days: None,
        term_months: None,
        details_sealed: vec![sealed; 40],
        confidentiality: "internal",
        articles: Vec::new(),
        persons: vec![(Target::Existing(c), "detained")],
        import_digest: None,
    };
    let (made, _) = store
        .apply(&[
            change(RegistryOp::CreateEvent(event(1)), Some(1)),
            change(
                RegistryOp::AddSource {
                    event: Target::New(0),
                    kind: "link",
                    sealed: vec![7; 40],
                    confidentiality: "internal",
                },
                None,
            ),
        ])
        .await
        .unwrap();
    let events = store.scan_events(ScanFrom::changed_since(5), 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| (e.id, e.changed_in)).collect::<Vec<_>>(),
        [(made[0], 6)]
    );
    let sources = store.scan_sources(ScanFrom::changed_since(5), 100).await.unwrap();
    assert_eq!(
        sources
            .iter()
            .map(|s| (s.id, s.event, s.changed_in))
            .collect::<Vec<_>>(),
        [(made[1], made[0], 6)]
    );
    store
        .apply(&[change(
            RegistryOp::UpdateEvent {
                id: Target::Existing(made[0]),
                expected_version: None,
                event: event(2),
            },
            Some(2),
        )])
        .await
        .unwrap();
    let events = store.scan_events(ScanFrom::changed_since(6), 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| (e.id, e.changed_in)).collect::<Vec<_>>(),
        [(made[0], 7)]
    );
    assert!(
        store
            .scan_sources(ScanFrom::changed_since(6), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // A long import counts once, however many batches it gives; one undone by an error not.
    let mut batches = vec![
        vec![change(RegistryOp::CreatePerson(write(4)), Some(4))],
        vec![change(RegistryOp::CreatePerson(write(5)), Some(5))],
    ]
    .into_iter();
    let applied = store
        .apply_batches(&mut || Ok(batches.next()), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(applied, (2, 8), "two changes, at the generation written");
    assert_eq!(store.registry_generation().await.unwrap(), 8);
    assert_eq!(
        changed_persons(store.as_ref(), 7, 100)
            .await
            .iter()
            .map(|p| p.1)
            .collect::<Vec<_>>(),
        [8, 8]
    );
    let mut failing = vec![
        Ok(Some(vec![change(RegistryOp::CreatePerson(write(6)), Some(6))])),
        Err(StoreError::Damaged("the file ends early".into())),
    ]
    .into_iter();
    let refused = store
        .apply_batches(&mut || failing.next().unwrap_or(Ok(None)), &mut |_, _| {})
        .await;
    assert!(refused.is_err());
    assert_eq!(store.registry_generation().await.unwrap(), 8);
    assert_eq!(changed_persons(store.as_ref(), 8, 100).await, []);

    let point = store.registry_point().await.unwrap();
    assert_eq!(point.generation, 8);
    assert!(point.audit_seq > 0);
    assert_eq!(
        store.audit_hash_at(point.audit_seq).await.unwrap(),
        Some(point.audit_hash)
    );
    assert_eq!(store.audit_hash_at(point.audit_seq + 1).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_tells_the_change_story() {
    let (store, _dir) = sqlite().await;
    change_story(store).await;
}

#[tokio::test]
async fn postgres_tells_the_change_story() {
    if let Some(store) = postgres().await {
        change_story(store).await;
    }
}

/// A new person as an import would write it, with its version and audit entry.
fn person() -> razam_store::registry::Change {
    use razam_store::registry::{Change, PersonWrite, RegistryOp};
    Change {
        op: RegistryOp::CreatePerson(PersonWrite {
            identity_sealed: vec![1; 40],
            ref_lookup: None,
            region: None,
            confidentiality: "internal",
            consent_to_publish: false,
            import_digest: None,
        }),
        actor: "cli".into(),
        audit: Some("person.create"),
        snapshot_sealed: Some(vec![1; 40]),
    }
}

/// Two processes append to one chain: entries of reads (`append_audits`) after the other's
/// entries, after a write of this process that linked its entries and was then undone (its
/// entry's number taken by the other's next entry), and all at once with registry writes.
/// The chain holds every acknowledged entry once, in order, and verifies. (A one-statement
/// append at the head a process linked last, tried for issue 9, broke the chain here when it
/// checked the head's number without its hash.)
async fn two_writers_story(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    a.migrate().await.unwrap();
    let read = || event("person.read", AuditObject::Named("person:1".into()));
    a.append_audits(&[read(), read()]).await.unwrap();
    a.append_audits(&[read()]).await.unwrap();
    b.append_audits(&[read()]).await.unwrap();
    a.append_audits(&[read()]).await.unwrap();
    let mut undone = vec![
        Ok(Some(vec![person()])),
        Err(StoreError::Damaged("the file ends early".into())),
    ]
    .into_iter();
    let refused = a
        .apply_batches(&mut || undone.next().unwrap_or(Ok(None)), &mut |_, _| {})
        .await;
    assert!(refused.is_err());
    b.append_audits(&[read()]).await.unwrap();
    a.append_audits(&[read(), read()]).await.unwrap();
    assert_eq!(verify_chain(a.as_ref()).await, 8);

    // All at once: each task appends reads and writes a person, on one process or the other.
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..8 {
        let store = if t % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move {
            for i in 0..10 {
                store.append_audits(&vec![read(); 1 + i % 3]).await.unwrap();
                if i % 4 == 0 {
                    store.apply(&[person()]).await.unwrap();
                }
            }
        });
    }
    tasks.join_all().await;
    // Per task: 1+2+3+1+2+3+1+2+3+1 = 19 read entries and 3 persons.
    assert_eq!(verify_chain(b.as_ref()).await, 8 + 8 * (19 + 3));
}

#[tokio::test]
async fn sqlite_two_writers_keep_one_chain() {
    let (a, dir) = sqlite().await;
    let location = DatabaseLocation::Sqlite(dir.path().join("razam.db"));
    a.migrate().await.unwrap();
    let b = razam_store::open(&location, false, link()).await.unwrap();
    two_writers_story(a, b).await;
}

#[tokio::test]
async fn postgres_two_writers_keep_one_chain() {
    let Some(url) = fresh_postgres_url().await else { return };
    let location = DatabaseLocation::Postgres(url);
    let a = razam_store::open(&location, true, link()).await.unwrap();
    a.migrate().await.unwrap();
    let b = razam_store::open(&location, false, link()).await.unwrap();
    two_writers_story(a, b).await;
}

/// An import as large as `ANALYZE_AFTER_ROWS` leaves PostgreSQL's planner statistics fresh
/// (a manual ANALYZE, which autovacuum's own does not count as); a smaller write does not
/// spend one. Applied migrations end with one, and a store opened on a registry table never
/// analysed analyses it; but an empty table is never analysed: the planner would take it for
/// empty from then on, and the foreign-key checks of a long import into a new database
/// scanned persons and events whole for every row (the demo of 30,000 persons: 8 min 52 s
/// instead of 19 s).
#[tokio::test]
async fn postgres_a_bulk_write_refreshes_the_planner_statistics() {
    let Some(url) = fresh_postgres_url().await else { return };
    let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), true, link())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    // Autovacuum (on in the test cluster) must not analyse it meanwhile.
    sqlx::query("ALTER TABLE persons SET (autovacuum_enabled = false)")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut statistics = async || -> (i64, f32) {
        sqlx::query_as(
            "SELECT s.analyze_count, c.reltuples FROM pg_stat_user_tables s \
             JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'persons'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    let limit = razam_store::PostgresStore::ANALYZE_AFTER_ROWS;

    assert_eq!(
        statistics().await,
        (0, -1.0),
        "the new tables are empty: the migrations analysed none of them"
    );
    store.close().await;
    let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), false, link())
        .await
        .unwrap();
    assert_eq!(statistics().await, (0, -1.0), "nor does opening the store");

    // An import rolled back leaves pages of dead rows and no row: not analysed at open
    // either.
    let mut failing = vec![
        Ok(Some(vec![person(); limit])),
        Err(razam_store::StoreError::Damaged("the import's third row".into())),
    ]
    .into_iter();
    store
        .apply_batches(&mut || failing.next().unwrap(), &mut |_, _| {})
        .await
        .unwrap_err();
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    let pages: i64 = sqlx::query_scalar("SELECT pg_relation_size('persons')")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert!(pages > 0, "the rolled-back rows' pages");
    store.close().await;
    let store = razam_store::open(&DatabaseLocation::Postgres(url.clone()), false, link())
        .await
        .unwrap();
    assert_eq!(statistics().await, (0, -1.0), "persons holds no row: not analysed");
    let mut small = vec![vec![person(); limit - 1]].into_iter();
    let written = store
        .apply_batches(&mut || Ok(small.next()), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(written.0, limit - 1);
    assert_eq!(statistics().await, (0, -1.0), "below the limit, no ANALYZE");

    // In two batches of one write: the write's total counts.
    let mut large = vec![vec![person(); limit / 2], vec![person(); limit - limit / 2]].into_iter();
    store
        .apply_batches(&mut || Ok(large.next()), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        statistics().await,
        (1, (2 * limit - 1) as f32),
        "analysed; the planner knows every person"
    );

    // A migration applied to a registry that holds records ends with an ANALYZE (a new
    // column has no statistics): the latest migration (0021, a column and its index) undone,
    // then applied again.
    assert_eq!(
        razam_store::migrations::latest(),
        21,
        "a new migration: undo it here instead of 0021"
    );
    for sql in [
        "DELETE FROM razam_schema WHERE version = 21",
        "ALTER TABLE aid_movements DROP COLUMN idempotency",
    ] {
        sqlx::query(sql).execute(&mut other).await.unwrap();
    }
    assert_eq!(store.migrate().await.unwrap(), 1, "0021 applied again");
    assert_eq!(
        statistics().await,
        (2, (2 * limit - 1) as f32),
        "the migration analysed"
    );

    // Opened on a table never analysed (as a restored dump leaves it, or an import by an
    // older razam): analysed then.
    for sql in [
        "CREATE TABLE restored WITH (autovacuum_enabled = false) AS SELECT * FROM persons",
        "ALTER TABLE persons RENAME TO replaced",
        "ALTER TABLE restored RENAME TO persons",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let mut reltuples = async || -> f32 {
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'persons'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(reltuples().await, -1.0, "a table never analysed");
    store.close().await;
    let again = razam_store::open(&DatabaseLocation::Postgres(url), false, link())
        .await
        .unwrap();
    assert_eq!(reltuples().await, (2 * limit - 1) as f32);
    again.close().await;
}

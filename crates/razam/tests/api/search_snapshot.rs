//! The search indexes' sealed snapshot: loaded at the next start instead of opening every
//! record again, it answers as a fresh build does, catches up with the records made since,
//! is sealed again at close after the server's own writes, gives way to a build after any
//! change to the records it holds made elsewhere (an edit, a merge, an erasure), after
//! damage, or under another key, and holds no name in the clear.

use razam_app::config::{Config, Overrides};
use razam_app::registry::PersonInput;
use razam_app::search::SearchResults;
use razam_app::sources::{SourceDetails, SourceInput};
use razam_app::{Actor, App, Unlock, instance};
use razam_core::registry::{Confidentiality, SourceKind};
use zeroize::Zeroizing;

use crate::helpers::{PASSPHRASE, TestApp};
use crate::on_both_databases;
use crate::search::event;

const SNAPSHOT: &str = "search.sealed";

fn person(family: &str, given: &str, birth: &str, variants: &[&str], level: Confidentiality) -> PersonInput {
    let mut p = crate::search::person(family, given, "", level);
    p.identity.birth_date = birth.into();
    p.identity.variants = variants.iter().map(|v| v.to_string()).collect();
    p
}

/// Every name the registry of [`fill`] holds, as written: none may be in the snapshot's bytes.
const NAMES: &[&str] = &[
    "Снапшотава",
    "Ефрасіння",
    "Snapshotava",
    "Yefrasinnia",
    "Снапшотов",
    "Мікалай",
    "Гарбуновіч",
    "Harbunovich",
    "Казімір",
];

/// A small registry with what the indexes hold: names in both scripts with variants, birth
/// years, levels, a merge, events and a source.
/// Returns the first person, the merge's survivor and the merge.
async fn fill(a: &App) -> (i64, i64, i64) {
    let cli = Actor::Cli;
    let p1 = a
        .create_person(
            &cli,
            &person(
                "Снапшотава",
                "Ефрасіння",
                "1984-05-02",
                &["Snapshotava Yefrasinnia"],
                Confidentiality::Internal,
            ),
        )
        .await
        .unwrap();
    let p2 = a
        .create_person(
            &cli,
            &person("Снапшотов", "Мікалай", "1984", &[], Confidentiality::Restricted),
        )
        .await
        .unwrap();
    let p3 = a
        .create_person(
            &cli,
            &person(
                "Гарбуновіч",
                "Казімір",
                "1990",
                &["Harbunovich"],
                Confidentiality::Internal,
            ),
        )
        .await
        .unwrap();
    let p4 = a
        .create_person(
            &cli,
            &person("Harbunovich", "Kazimir", "1990", &[], Confidentiality::Internal),
        )
        .await
        .unwrap();
    let merge = a.merge_persons(&cli, (p3, 1), (p4, 1)).await.unwrap();
    let e = a
        .create_event(
            &cli,
            &event("Задержали у суда после заседания", p1, Confidentiality::Internal),
        )
        .await
        .unwrap();
    a.create_event(
        &cli,
        &event("Обыск в квартире родителей", p2, Confidentiality::Restricted),
    )
    .await
    .unwrap();
    a.add_source(
        &cli,
        e,
        &SourceInput {
            kind: SourceKind::MediaArticle,
            details: SourceDetails {
                title: "Зеркало: задержание у суда".into(),
                reference: "https://example.org/z/1".into(),
                notes: "The hearing was postponed".into(),
            },
            confidentiality: Confidentiality::Internal,
        },
    )
    .await
    .unwrap();
    (p1, p3, merge)
}

const QUERIES: &[&str] = &[
    "Snapshotava",
    "Снапшотова Ефросинья",
    "Snapshotau 1984",
    "Мікалай",
    "Harbunovich Kazimir",
    "Гарбуновичи",
    "задержание",
    "суда",
    "postponed hearing",
    "Мінск",
    "Зміцер Новы",
];

/// What a search answers, as comparable data: persons with their reasons, counts, events.
fn answer(r: &SearchResults) -> String {
    format!(
        "{:?} {} {} {:?} {}",
        r.persons
            .hits
            .iter()
            .map(|h| (
                h.id,
                h.full_name(),
                h.variants.clone(),
                h.birth_year,
                h.level,
                h.reasons.clone()
            ))
            .collect::<Vec<_>>(),
        r.persons.all,
        r.persons.any,
        r.events
            .iter()
            .map(|e| (e.id, e.source, e.snippet.clone()))
            .collect::<Vec<_>>(),
        r.events_total
    )
}

/// Every query's answer and the duplicate candidates, as `app` gives them.
async fn answers(a: &App) -> Vec<String> {
    let mut out = Vec::new();
    for q in QUERIES {
        out.push(answer(&a.search(&Actor::Cli, q, 50).await.unwrap()));
    }
    let pairs = a.duplicate_candidates(&Actor::Cli).await.unwrap();
    out.push(format!("{pairs:?}"));
    out
}

async fn reopen(data: &std::path::Path) -> App {
    let config = Config::load(data, &Overrides::default()).unwrap();
    instance::open(config, Unlock::Passphrase(Zeroizing::new(PASSPHRASE.into())))
        .await
        .unwrap()
}

/// Opens the instance again and prepares its search: whether it came from the snapshot.
async fn restart(data: &std::path::Path) -> (App, bool) {
    let a = reopen(data).await;
    let stats = a.prepare_search().await.unwrap();
    (a, stats.from_snapshot)
}

/// Stops the server, which seals its indexes at close (the records were added while it ran,
/// on top of the empty registry it built at start), and checks that the next start loads them
/// and answers as the server did. Then removes the snapshot and starts once more: that start
/// builds from the records, answers the same, and seals a snapshot holding them. Returns the
/// answers of that build.
async fn settle(app: TestApp) -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let running = answers(&app.app).await;
    let data = app.data_dir();
    let dir = app.stop().await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the server sealed its changed indexes at close");
    assert_eq!(
        answers(&a).await,
        running,
        "the sealed indexes answer as the running ones did"
    );
    a.close().await;
    std::fs::remove_file(data.join(SNAPSHOT)).unwrap();
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "no snapshot: the start builds");
    let built = answers(&a).await;
    assert_eq!(built, running, "a build answers as the running index did");
    a.close().await;
    (dir, data, built)
}

async fn a_snapshot_answers_as_a_fresh_build_and_catches_up(app: TestApp) {
    let a = app.app.clone();
    let (p1, _, _) = fill(&a).await;
    let running = answers(&a).await;
    drop(a);
    let (dir, data, built) = settle(app).await;
    assert_eq!(built, running, "a build answers as the running index did");
    assert!(
        built[0].starts_with(&format!("[({p1}, \"Снапшотава Ефрасіння\"")),
        "{}",
        built[0]
    );
    let sealed = std::fs::read(data.join(SNAPSHOT)).expect("the build writes the snapshot");
    assert!(sealed.len() > 1000, "{} bytes", sealed.len());
    // No name in the clear, in any form the index keeps: as written or lower-cased.
    for name in NAMES {
        for form in [name.to_string(), name.to_lowercase()] {
            let needle = form.as_bytes();
            assert!(
                !sealed.windows(needle.len()).any(|w| w == needle),
                "{form} is in the snapshot"
            );
        }
    }

    // Loaded from the snapshot: the same answers, duplicates included.
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the second start loads the snapshot");
    assert_eq!(answers(&a).await, built);

    // A person created after the snapshot (here, by this process; a command-line import
    // would be the same) is found after the next start, which still loads the snapshot.
    let later = a
        .create_person(
            &Actor::Cli,
            &person("Навасадская", "Зміцер", "", &["Novy"], Confidentiality::Internal),
        )
        .await
        .unwrap();
    a.close().await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "a record created since is read on top of the snapshot");
    let found = a.search(&Actor::Cli, "Зміцер Новы", 50).await.unwrap();
    assert_eq!(found.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![later]);
    let with_later = answers(&a).await;
    a.close().await;

    // A fresh build from the records answers the same.
    std::fs::remove_file(data.join(SNAPSHOT)).unwrap();
    let (a, loaded) = restart(&data).await;
    assert!(!loaded);
    assert_eq!(answers(&a).await, with_later);
    assert!(data.join(SNAPSHOT).exists(), "the build seals a new snapshot");
    a.close().await;
    drop(dir);
}
on_both_databases!(a_snapshot_answers_as_a_fresh_build_and_catches_up);

async fn an_edit_or_a_merge_since_the_snapshot_makes_the_next_start_build(app: TestApp) {
    let (p1, p3, merge) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;

    // An edit of a person the snapshot holds (by a command while the server was down).
    edit_elsewhere(&data, p1).await;
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "an edit since the snapshot makes the start build");
    let old = a.search(&Actor::Cli, "Snapshotava Yefrasinnia", 50).await.unwrap();
    assert!(
        !old.persons
            .hits
            .iter()
            .any(|h| h.id == p1 && h.family_name == "Снапшотава"),
        "the old name is not found"
    );
    assert!(
        !old.persons.hits.is_empty(),
        "Снапшотов still meets it, as the other gender"
    );
    let r = a.search(&Actor::Cli, "Перамененая", 50).await.unwrap();
    assert_eq!(r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![p1]);
    a.close().await;
    // That build sealed a new snapshot, which the next start loads.
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    let fresh = answers(&a).await;

    // An undone merge: the merged person stands alone again, not found as the survivor.
    let merges = a.search(&Actor::Cli, "Harbunovich Kazimir", 50).await.unwrap();
    assert_eq!(merges.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![p3]);
    a.close().await;
    let a = reopen(&data).await;
    a.undo_merge(&Actor::Cli, merge).await.unwrap();
    a.close().await;
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "an undone merge since the snapshot makes the start build");
    let r = a.search(&Actor::Cli, "Harbunovich Kazimir", 50).await.unwrap();
    assert_eq!(r.persons.hits.len(), 2, "both persons stand alone again");
    assert_ne!(answers(&a).await, fresh);
    a.close().await;
    drop(dir);
}
on_both_databases!(an_edit_or_a_merge_since_the_snapshot_makes_the_next_start_build);

/// The first person of [`fill`], erased, is found by none of its spellings.
async fn assert_erased_not_found(a: &App, p1: i64) {
    for q in ["Snapshotava", "Ефрасіння", "Снапшотава 1984"] {
        let r = a.search(&Actor::Cli, q, 50).await.unwrap();
        assert!(
            !r.persons.hits.iter().any(|h| h.id == p1),
            "{q} finds the erased person"
        );
    }
}

async fn an_erasure_removes_the_snapshot_and_an_older_one_is_not_trusted(app: TestApp) {
    let (p1, _, _) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let older = std::fs::read(data.join(SNAPSHOT)).unwrap();
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    a.erase_person(&Actor::Cli, p1, "request by letter").await.unwrap();
    assert!(
        !data.join(SNAPSHOT).exists(),
        "the erasure removes the snapshot that holds the names"
    );
    a.close().await;

    // The older snapshot put back (a copy kept somewhere): it is not trusted, the erased
    // person is not found.
    std::fs::write(data.join(SNAPSHOT), &older).unwrap();
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "a snapshot from before the erasure is not loaded");
    assert_erased_not_found(&a, p1).await;
    a.close().await;
    drop(dir);
}
on_both_databases!(an_erasure_removes_the_snapshot_and_an_older_one_is_not_trusted);

/// A snapshot cut short, changed, replaced by noise, or sealed by another instance is
/// refused and the indexes are built from the records, with the same answers.
#[tokio::test]
async fn a_damaged_or_foreign_snapshot_is_refused_and_the_indexes_built() {
    let app = crate::helpers::spawn_app().await;
    fill(&app.app).await;
    let (dir, data, built) = settle(app).await;
    let good = std::fs::read(data.join(SNAPSHOT)).unwrap();

    // Another instance's snapshot, sealed under its own key, from its own registry.
    let other = crate::helpers::spawn_app().await;
    fill(&other.app).await;
    let (other_dir, other_data, _) = settle(other).await;
    let foreign = std::fs::read(other_data.join(SNAPSHOT)).unwrap();
    drop(other_dir);

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut short", good[..good.len() - 100].to_vec()),
        ("cut to its start", good[..30].to_vec()),
        ("a byte changed", flipped),
        ("bytes appended", [good.clone(), vec![0u8; 64]].concat()),
        ("empty", Vec::new()),
        ("noise", (0..good.len()).map(|i| (i * 7919 % 251) as u8).collect()),
        ("another instance's", foreign),
    ];
    for (what, bytes) in cases {
        std::fs::write(data.join(SNAPSHOT), &bytes).unwrap();
        let (a, loaded) = restart(&data).await;
        assert!(!loaded, "a snapshot {what} is loaded");
        assert_eq!(answers(&a).await, built, "answers after a snapshot {what}");
        a.close().await;
        let rewritten = std::fs::read(data.join(SNAPSHOT)).unwrap();
        assert_ne!(rewritten, bytes, "the build replaces the snapshot {what}");
    }
    // And the good one (as rewritten by the last build) still loads.
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    assert_eq!(answers(&a).await, built);
    a.close().await;
    drop(dir);
}

async fn own_edits_merges_and_imports_are_sealed_at_close_and_answer_as_a_build_an_erasure_not(app: TestApp) {
    let (p1, _, merge) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    let cli = Actor::Cli;
    a.update_person(
        &cli,
        p1,
        1,
        &person("Перамененая", "Ефрасіння", "1984-05-02", &[], Confidentiality::Internal),
    )
    .await
    .unwrap();
    a.undo_merge(&cli, merge).await.unwrap();
    let csv = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
               PP-1,Ігар,Лосік,,1992,Мінск,2020-06-25,342,2020-07-01,\n";
    a.import_prisoners(&cli, csv.as_bytes(), false).await.unwrap();
    let erased = a
        .create_person(
            &cli,
            &person("Навасадская", "Зміцер", "", &["Novy"], Confidentiality::Internal),
        )
        .await
        .unwrap();
    let running = answers(&a).await;
    a.close().await;
    assert!(data.join(SNAPSHOT).exists(), "the close sealed the indexes again");

    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the server's own writes since the snapshot leave it loadable");
    assert_eq!(answers(&a).await, running);
    let ids = |r: SearchResults| r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(ids(a.search(&cli, "Перамененая", 50).await.unwrap()), vec![p1]);
    assert_eq!(a.search(&cli, "Losik 1992", 50).await.unwrap().persons.all, 1);
    assert_eq!(ids(a.search(&cli, "Зміцер Новы", 50).await.unwrap()), vec![erased]);
    a.close().await;

    // A build from the records agrees with what was sealed.
    std::fs::remove_file(data.join(SNAPSHOT)).unwrap();
    let (a, loaded) = restart(&data).await;
    assert!(!loaded);
    assert_eq!(answers(&a).await, running);

    // An erasure: the indexes only mark the names dead, so they are not sealed again from
    // memory (the snapshot would carry the erased names' bytes); the next start builds.
    a.erase_person(&cli, erased, "request by letter").await.unwrap();
    a.create_person(&cli, &person("Пасля", "Сцірання", "", &[], Confidentiality::Internal))
        .await
        .unwrap();
    a.close().await;
    assert!(
        !data.join(SNAPSHOT).exists(),
        "no snapshot is sealed from indexes that held an erased person"
    );
    let (a, loaded) = restart(&data).await;
    assert!(!loaded);
    for q in ["Навасадская", "Зміцер Новы"] {
        assert!(!ids(a.search(&cli, q, 50).await.unwrap()).contains(&erased), "{q}");
    }
    a.close().await;
    drop(dir);
}
on_both_databases!(own_edits_merges_and_imports_are_sealed_at_close_and_answer_as_a_build_an_erasure_not);

/// A command (another process) renames the first person of [`fill`] to "Перамененая".
async fn edit_elsewhere(data: &std::path::Path, p1: i64) {
    let other = reopen(data).await;
    other
        .update_person(
            &Actor::Cli,
            p1,
            1,
            &person("Перамененая", "Ефрасіння", "1984-05-02", &[], Confidentiality::Internal),
        )
        .await
        .unwrap();
    other.close().await;
}

/// While the server runs, a command edits a person the running indexes hold (they do not
/// see the edit), before or after the server's own write: either way the close seals
/// nothing (the per-write count or the check at close sees the generation move), and the
/// next start builds and finds the edit.
async fn a_commands_edit_is_not_sealed_over(app: TestApp, command_first: bool) {
    let (p1, _, _) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    let own = person("Навасадская", "Зміцер", "", &[], Confidentiality::Internal);
    if command_first {
        edit_elsewhere(&data, p1).await;
    }
    a.create_person(&Actor::Cli, &own).await.unwrap();
    if !command_first {
        edit_elsewhere(&data, p1).await;
    }
    a.close().await;
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "indexes that missed another process's edit were not sealed");
    let r = a.search(&Actor::Cli, "Перамененая", 50).await.unwrap();
    assert_eq!(r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![p1]);
    a.close().await;
    drop(dir);
}

async fn an_edit_by_another_process_while_the_server_runs_is_not_sealed_over(app: TestApp) {
    a_commands_edit_is_not_sealed_over(app, true).await;
}
on_both_databases!(an_edit_by_another_process_while_the_server_runs_is_not_sealed_over);

async fn a_write_by_another_process_after_the_servers_last_is_seen_at_close(app: TestApp) {
    a_commands_edit_is_not_sealed_over(app, false).await;
}
on_both_databases!(a_write_by_another_process_after_the_servers_last_is_seen_at_close);

async fn an_erasure_by_another_process_while_the_server_runs_is_not_sealed_over(app: TestApp) {
    let (p1, _, _) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    a.create_person(
        &Actor::Cli,
        &person("Навасадская", "Зміцер", "", &[], Confidentiality::Internal),
    )
    .await
    .unwrap();
    // A command erases a person the running indexes still find.
    let other = reopen(&data).await;
    other.erase_person(&Actor::Cli, p1, "request by letter").await.unwrap();
    other.close().await;
    assert!(
        !data.join(SNAPSHOT).exists(),
        "the command's erasure removed the snapshot"
    );
    a.close().await;
    assert!(
        !data.join(SNAPSHOT).exists(),
        "the server sealed nothing over the other process's erasure"
    );
    let (a, loaded) = restart(&data).await;
    assert!(!loaded);
    assert_erased_not_found(&a, p1).await;
    a.close().await;
    drop(dir);
}
on_both_databases!(an_erasure_by_another_process_while_the_server_runs_is_not_sealed_over);

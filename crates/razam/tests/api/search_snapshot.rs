//! The search indexes' sealed snapshot: loaded at the next start instead of opening every
//! record again, it answers as a fresh build does, catches up with every record written
//! since (by a command, or by a server killed before it sealed), is sealed again at close,
//! gives way to a build after an erasure, damage, another key or another history of the
//! registry, and holds no name in the clear.

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

/// [`fill`], [`settle`], then a start that loads the snapshot: what `fill` returns, the
/// instance's folder (kept while it lives) and path, and the started app.
async fn filled_and_loaded(app: TestApp) -> ((i64, i64, i64), tempfile::TempDir, std::path::PathBuf, App) {
    let filled = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the start loads the settled snapshot");
    (filled, dir, data, a)
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

    // A person created after the snapshot (here, by this process, stopped without sealing; a
    // command-line import would be the same) is found after the next start, which still loads
    // the snapshot and reads the person on top.
    let later = a
        .create_person(
            &Actor::Cli,
            &person("Навасадская", "Зміцер", "", &["Novy"], Confidentiality::Internal),
        )
        .await
        .unwrap();
    drop(a);
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

/// Restarts with the snapshot removed: the build's answers, to hold a catch-up's against.
async fn built_answers(data: &std::path::Path) -> Vec<String> {
    let kept = std::fs::read(data.join(SNAPSHOT)).ok();
    if kept.is_some() {
        std::fs::remove_file(data.join(SNAPSHOT)).unwrap();
    }
    let (a, loaded) = restart(data).await;
    assert!(!loaded, "no snapshot: the start builds");
    let built = answers(&a).await;
    // Closed without sealing over the kept snapshot, which the caller goes on with.
    drop(a);
    match kept {
        Some(bytes) => std::fs::write(data.join(SNAPSHOT), bytes).unwrap(),
        None => {
            let _ = std::fs::remove_file(data.join(SNAPSHOT));
        }
    }
    built
}

async fn an_edit_or_a_merge_since_the_snapshot_is_caught_up_at_the_next_start(app: TestApp) {
    let (p1, p3, merge) = fill(&app.app).await;
    let (dir, data, _) = settle(app).await;

    // An edit of a person the snapshot holds (by a command while the server was down).
    edit_elsewhere(&data, p1).await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "an edit since the snapshot is read on top of it");
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
    let caught_up = answers(&a).await;
    a.close().await;
    assert_eq!(caught_up, built_answers(&data).await, "the catch-up answers as a build");
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
    assert!(loaded, "an undone merge since the snapshot is read on top of it");
    let r = a.search(&Actor::Cli, "Harbunovich Kazimir", 50).await.unwrap();
    assert_eq!(r.persons.hits.len(), 2, "both persons stand alone again");
    let undone = answers(&a).await;
    assert_ne!(undone, fresh);
    a.close().await;
    assert_eq!(undone, built_answers(&data).await, "the catch-up answers as a build");
    drop(dir);
}
on_both_databases!(an_edit_or_a_merge_since_the_snapshot_is_caught_up_at_the_next_start);

/// A server killed after its writes (it never sealed them): the next start loads the older
/// snapshot and reads every write since on top, answering as a build.
async fn a_server_killed_after_its_writes_starts_from_the_older_snapshot(app: TestApp) {
    let ((p1, p3, _), dir, data, a) = filled_and_loaded(app).await;
    let cli = Actor::Cli;
    let new = a
        .create_person(
            &cli,
            &person("Навасадская", "Зміцер", "", &["Novy"], Confidentiality::Internal),
        )
        .await
        .unwrap();
    rename_first(&a, p1).await;
    a.merge_persons(&cli, (p3, 1), (new, 1)).await.unwrap();
    let running = answers(&a).await;
    // Killed: no close, nothing sealed.
    drop(a);
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the older snapshot is loaded and caught up");
    assert_eq!(answers(&a).await, running);
    let r = a.search(&cli, "Зміцер Новы", 50).await.unwrap();
    assert_eq!(
        r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![p3],
        "found as the survivor"
    );
    a.close().await;
    assert_eq!(running, built_answers(&data).await, "a build answers the same");
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the close sealed the caught-up indexes");
    assert_eq!(answers(&a).await, running);
    a.close().await;
    drop(dir);
}
on_both_databases!(a_server_killed_after_its_writes_starts_from_the_older_snapshot);

/// Copies the instance's database files (closed) from `from` to `to`, replacing those there.
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(to).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("razam.db") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if name.to_string_lossy().starts_with("razam.db") {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// A database put back from an older copy and written on from there reaches the snapshot's
/// generation by another history: the snapshot names an audit entry that history does not
/// hold, so it is refused and the start builds, finding that history's records and not the
/// other's.
#[tokio::test]
async fn a_snapshot_of_another_history_of_the_registry_is_refused() {
    let app = crate::helpers::spawn_app().await;
    fill(&app.app).await;
    let (dir, data, _) = settle(app).await;
    let copy = tempfile::tempdir().unwrap();
    copy_database(&data, copy.path());

    // This history: two persons, sealed at close, two generations on.
    let (a, loaded) = restart(&data).await;
    assert!(loaded);
    for given in ["Зміцер", "Янка"] {
        a.create_person(
            &Actor::Cli,
            &person("Навасадская", given, "", &[], Confidentiality::Internal),
        )
        .await
        .unwrap();
    }
    a.close().await;

    // The copy put back, and three other persons written by a command: past the snapshot's
    // generation, by another history.
    copy_database(copy.path(), &data);
    let other = reopen(&data).await;
    for given in ["Алесь", "Васіль", "Ўладзімір"] {
        other
            .create_person(
                &Actor::Cli,
                &person("Гістарычная", given, "", &[], Confidentiality::Internal),
            )
            .await
            .unwrap();
    }
    other.close().await;
    let (a, loaded) = restart(&data).await;
    assert!(!loaded, "a snapshot of another history is refused");
    assert_eq!(a.search(&Actor::Cli, "Навасадская", 50).await.unwrap().persons.all, 0);
    assert_eq!(a.search(&Actor::Cli, "Гістарычная", 50).await.unwrap().persons.all, 3);
    let rebuilt = answers(&a).await;
    a.close().await;
    assert_eq!(rebuilt, built_answers(&data).await);
    drop(dir);
}

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
    let ((p1, _, merge), dir, data, a) = filled_and_loaded(app).await;
    let cli = Actor::Cli;
    rename_first(&a, p1).await;
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
    rename_first(&other, p1).await;
    other.close().await;
}

/// Renames the first person of [`fill`] (at its first version) to "Перамененая".
async fn rename_first(a: &App, p1: i64) {
    a.update_person(
        &Actor::Cli,
        p1,
        1,
        &person("Перамененая", "Ефрасіння", "1984-05-02", &[], Confidentiality::Internal),
    )
    .await
    .unwrap();
}

/// While the server runs, a command edits a person the running indexes hold, before or
/// after the server's own write: the server's next search catches the edit up (every record
/// carries the generation that last wrote it), the close seals both, and the next start
/// loads them.
async fn a_commands_edit_is_caught_up_and_sealed(app: TestApp, command_first: bool) {
    let ((p1, _, _), dir, data, a) = filled_and_loaded(app).await;
    let own = person("Навасадская", "Зміцер", "", &[], Confidentiality::Internal);
    if command_first {
        edit_elsewhere(&data, p1).await;
    }
    let mine = a.create_person(&Actor::Cli, &own).await.unwrap();
    if !command_first {
        edit_elsewhere(&data, p1).await;
    }
    let ids = |r: SearchResults| r.persons.hits.iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(ids(a.search(&Actor::Cli, "Перамененая", 50).await.unwrap()), vec![p1]);
    let running = answers(&a).await;
    a.close().await;
    let (a, loaded) = restart(&data).await;
    assert!(loaded, "the caught-up indexes were sealed");
    assert_eq!(ids(a.search(&Actor::Cli, "Перамененая", 50).await.unwrap()), vec![p1]);
    assert_eq!(
        ids(a.search(&Actor::Cli, "Навасадская Зміцер", 50).await.unwrap()),
        vec![mine]
    );
    assert_eq!(answers(&a).await, running);
    a.close().await;
    assert_eq!(running, built_answers(&data).await, "a build answers the same");
    drop(dir);
}

async fn an_edit_by_another_process_while_the_server_runs_is_caught_up(app: TestApp) {
    a_commands_edit_is_caught_up_and_sealed(app, true).await;
}
on_both_databases!(an_edit_by_another_process_while_the_server_runs_is_caught_up);

async fn a_write_by_another_process_after_the_servers_last_is_caught_up(app: TestApp) {
    a_commands_edit_is_caught_up_and_sealed(app, false).await;
}
on_both_databases!(a_write_by_another_process_after_the_servers_last_is_caught_up);

async fn an_erasure_by_another_process_while_the_server_runs_is_not_sealed_over(app: TestApp) {
    let ((p1, _, _), dir, data, a) = filled_and_loaded(app).await;
    let cli = Actor::Cli;
    a.create_person(
        &cli,
        &person("Навасадская", "Зміцер", "", &[], Confidentiality::Internal),
    )
    .await
    .unwrap();
    // An event and a source that name the person: the erasure redacts them.
    let named = a
        .create_event(
            &cli,
            &event("Снапшотаву затрымалі каля суда", p1, Confidentiality::Internal),
        )
        .await
        .unwrap();
    a.add_source(
        &cli,
        named,
        &SourceInput {
            kind: SourceKind::MediaArticle,
            details: SourceDetails {
                title: "Затрыманне".into(),
                reference: "https://example.org/z/2".into(),
                notes: "Snapshotava was taken away".into(),
            },
            confidentiality: Confidentiality::Internal,
        },
    )
    .await
    .unwrap();
    let events_of = |r: SearchResults| r.events.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        events_of(a.search(&cli, "Снапшотаву затрымалі", 50).await.unwrap()),
        vec![named]
    );
    assert_eq!(events_of(a.search(&cli, "taken away", 50).await.unwrap()), vec![named]);
    // A command erases a person the running indexes still find.
    let other = reopen(&data).await;
    other.erase_person(&cli, p1, "request by letter").await.unwrap();
    other.close().await;
    assert!(
        !data.join(SNAPSHOT).exists(),
        "the command's erasure removed the snapshot"
    );
    // The running server's next searches catch the erasure up: the person's names and the
    // event's and source's words that named them are found no more.
    assert_erased_not_found(&a, p1).await;
    assert_eq!(
        events_of(a.search(&cli, "Снапшотаву затрымалі", 50).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        events_of(a.search(&cli, "Snapshotava taken away", 50).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        events_of(a.search(&cli, "суда затрымалі", 50).await.unwrap()),
        vec![named]
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

//! Nothing acknowledged is lost when the power goes (issue 9): the server is killed with SIGKILL
//! while documenters post the person form and a command-line import runs, at seeded random
//! moments, again and again. Afterwards every write the server acknowledged is there, an import
//! is there whole or not at all, no record is half-written, and the audit chain verifies. A
//! backup taken while writes continue restores to a consistent instance.
//!
//! `RAZAM_CRASH_ROUNDS` (default 3) sets the number of kills and `RAZAM_CRASH_SEED` the seed;
//! docs/operations.md gives the longer run.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};
use sqlx::Connection;
use tokio::sync::mpsc;

use crate::cli::{Instance, PASS, Server, code, razam, stderr, stdout};
use crate::helpers::{client, csrf_from};

const WRITERS: usize = 3;
// Two batches of the import (`ROWS_PER_BATCH` is 2,000), so that a kill can fall between them.
const IMPORT_ROWS: usize = 2_100;
const PASSWORD: &str = "a-new-password-1";

/// A family name no other in the test has and that no name key folds into another: four
/// syllables drawn from letters the keys keep apart, with the counter spelled in the last two.
fn family_name(rng: &mut StdRng, n: usize) -> String {
    const SYLLABLES: [&str; 10] = ["ка", "ла", "ма", "на", "ра", "со", "ту", "фе", "чы", "шу"];
    let pick = |i: usize| SYLLABLES[i % 10];
    let name = format!(
        "{}{}{}{}{}{}",
        pick(rng.gen_range(0..10)),
        pick(rng.gen_range(0..10)),
        pick(n / 1000),
        pick(n / 100),
        pick(n / 10),
        pick(n)
    );
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// A documenter logged in to `addr`, with the CSRF token of the person form; `None` when the
/// server is gone (killed before this writer got in).
async fn try_documenter(addr: &str) -> Option<(reqwest::Client, String)> {
    let c = client();
    let text = async |path: &str| {
        c.get(format!("http://{addr}{path}"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()
    };
    let page = text("/login").await?;
    let r = c
        .post(format!("http://{addr}/login"))
        .form(&[
            ("csrf", csrf_from(&page).as_str()),
            ("username", "ales"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .ok()?;
    assert_eq!(r.status(), 303, "the documenter logs in");
    let form = text("/persons/new").await?;
    Some((c, csrf_from(&form)))
}

async fn documenter(addr: &str) -> (reqwest::Client, String) {
    try_documenter(addr).await.expect("the server answers")
}

/// Posts the person form with the names it is given until the server stops answering; sends
/// `(id, family name)` for every creation the server acknowledged (303 to the new person).
async fn write_persons(addr: String, names: Vec<String>, acked: mpsc::UnboundedSender<(i64, String)>) -> usize {
    let Some((c, csrf)) = try_documenter(&addr).await else {
        return 0;
    };
    let mut refused = 0;
    for name in names {
        let answer = c
            .post(format!("http://{addr}/persons"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("given_name", "Алесь"),
                ("family_name", name.as_str()),
                ("birth_date", ""),
                ("notes", ""),
                ("region", "minsk-city"),
                ("confidentiality", "internal"),
                ("create_anyway", "1"),
            ])
            .send()
            .await;
        let Ok(answer) = answer else {
            break; // the server is gone
        };
        let location = answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        match location.strip_prefix("/persons/").and_then(|id| id.parse::<i64>().ok()) {
            Some(id) if answer.status() == 303 => {
                if acked.send((id, name)).is_err() {
                    break;
                }
            }
            _ => refused += 1,
        }
    }
    refused
}

/// `WRITERS` documenters posting `each` new persons (names numbered from `next_name`); the
/// channel gives every acknowledged creation, and closes when all writers stopped.
pub(crate) fn spawn_writers(
    addr: &str,
    each: usize,
    rng: &mut StdRng,
    next_name: &mut usize,
) -> (
    Vec<tokio::task::JoinHandle<usize>>,
    mpsc::UnboundedReceiver<(i64, String)>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let writers = (0..WRITERS)
        .map(|_| {
            let names: Vec<String> = (0..each)
                .map(|_| {
                    *next_name += 1;
                    family_name(rng, *next_name)
                })
                .collect();
            tokio::spawn(write_persons(addr.to_owned(), names, tx.clone()))
        })
        .collect();
    (writers, rx)
}

/// A prisoner list of `rows` persons whose references start with `prefix`.
fn prisoner_list(prefix: &str, rows: usize, rng: &mut StdRng, first: usize) -> String {
    let mut csv = String::from(
        "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n",
    );
    for n in 0..rows {
        let family = family_name(rng, first + n);
        csv.push_str(&format!(
            "{prefix}-{n},Вольга,{family},,1990,Minsk,2021-01-05,342,2021-01-10,\n"
        ));
    }
    csv
}

fn import(i: &Instance, list: &std::path::Path) -> Child {
    razam()
        .args(["import", "prisoners", "--data", i.data(), list.to_str().unwrap()])
        .env("RAZAM_PASSPHRASE", PASS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(child: &mut Child) {
    // SIGKILL: no handler runs, nothing is flushed; exactly what a power cut leaves behind.
    let _ = child.kill();
    let _ = child.wait();
}

async fn query_pairs(i: &Instance, statement: &str) -> Vec<(i64, i64)> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(i.data.join("razam.db"));
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query_as(statement).fetch_all(&mut conn).await.unwrap()
}

async fn imported_persons(i: &Instance) -> i64 {
    query_pairs(i, "SELECT COUNT(*), 0 FROM persons WHERE ref_lookup IS NOT NULL").await[0].0
}

/// Nothing half-written: every person has each of its versions and its audit entry, and the
/// audit chain verifies from the first entry to the last.
async fn assert_consistent(i: &Instance) {
    let unversioned = query_pairs(
        i,
        "SELECT p.id, p.version FROM persons p WHERE p.version <> \
         (SELECT COUNT(*) FROM record_versions v WHERE v.kind = 'person' AND v.record_id = p.id)",
    )
    .await;
    assert!(
        unversioned.is_empty(),
        "persons whose versions are missing: {unversioned:?}"
    );
    let unaudited = query_pairs(
        i,
        "SELECT p.id, 0 FROM persons p WHERE NOT EXISTS \
         (SELECT 1 FROM audit_log a WHERE a.object = 'person:' || p.id)",
    )
    .await;
    assert!(unaudited.is_empty(), "persons without an audit entry: {unaudited:?}");
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 0, "the audit chain verifies: {}{}", stdout(&o), stderr(&o));
}

/// Every acknowledged person is there, with the name it was given (opened from its sealed record).
pub(crate) async fn assert_present(addr: &str, acked: &[(i64, String)]) {
    let (c, _) = documenter(addr).await;
    for (id, name) in acked {
        let r = c.get(format!("http://{addr}/persons/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged person {id} ({name}) is there");
        let page = r.text().await.unwrap();
        assert!(page.contains(name.as_str()), "person {id} still has the name {name}");
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_form_posts_and_imports_loses_no_acknowledged_write() {
    let rounds = setting("RAZAM_CRASH_ROUNDS", 3) as usize;
    let seed = setting("RAZAM_CRASH_SEED", 2026);
    println!("crash test: {rounds} rounds, seed {seed} (RAZAM_CRASH_ROUNDS, RAZAM_CRASH_SEED)");
    let mut rng = StdRng::seed_from_u64(seed);
    let i = Instance::new();
    assert_eq!(code(&i.add_user("ales", "documenter")), 0);

    // One whole import first, timed, so that later kills can land inside one.
    let list = i._tmp.path().join("list-0.csv");
    std::fs::write(&list, prisoner_list("R0", IMPORT_ROWS, &mut rng, 0)).unwrap();
    let started = Instant::now();
    let finished = import(&i, &list).wait().unwrap();
    assert!(finished.success(), "the first import runs whole");
    let import_time = started.elapsed();
    println!("crash test: one import of {IMPORT_ROWS} rows took {import_time:?}");
    assert_eq!(imported_persons(&i).await, IMPORT_ROWS as i64);

    let mut acked: Vec<(i64, String)> = Vec::new();
    let mut next_name = IMPORT_ROWS;
    let (mut imports_cut, mut imports_whole) = (0, 0);
    for round in 1..=rounds {
        let server = Server::start(i.data(), PASS);
        let addr = server.addr.clone();
        let mut server = server;

        let list = i._tmp.path().join(format!("list-{round}.csv"));
        std::fs::write(
            &list,
            prisoner_list(&format!("R{round}"), IMPORT_ROWS, &mut rng, next_name),
        )
        .unwrap();
        next_name += IMPORT_ROWS;
        let imported_before = imported_persons(&i).await;
        let mut importer = import(&i, &list);
        let import_deadline = Instant::now() + import_time.mul_f64(rng.gen_range(0.1..1.0));

        let (writers, mut rx) = spawn_writers(&addr, 200, &mut rng, &mut next_name);

        // The server dies after a random number of acknowledged writes; the import at a random
        // moment of its expected run, whichever comes first.
        let kill_after = rng.gen_range(1..40);
        let mut seen = 0;
        let mut import_done = None;
        while seen < kill_after {
            if import_done.is_none() {
                if let Some(status) = importer.try_wait().unwrap() {
                    import_done = Some(status.success());
                } else if Instant::now() >= import_deadline {
                    kill(&mut importer);
                    import_done = Some(false);
                }
            }
            match tokio::time::timeout(Duration::from_millis(5), rx.recv()).await {
                Ok(Some(write)) => {
                    acked.push(write);
                    seen += 1;
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
        kill(&mut server.child);
        // Whatever was acknowledged before the kill counts; the writers now fail and stop.
        while let Some(write) = rx.recv().await {
            acked.push(write);
        }
        for w in writers {
            w.await.unwrap();
        }
        let import_whole = match import_done {
            Some(whole) => whole,
            None => match importer.try_wait().unwrap() {
                Some(status) => status.success(),
                None => {
                    kill(&mut importer);
                    false
                }
            },
        };

        // An import is there whole or not at all; one that said it finished is there whole.
        let delta = imported_persons(&i).await - imported_before;
        assert!(
            delta == 0 || delta == IMPORT_ROWS as i64,
            "round {round}: an import left {delta} of its {IMPORT_ROWS} persons"
        );
        if import_whole {
            assert_eq!(
                delta, IMPORT_ROWS as i64,
                "round {round}: a finished import is all there"
            );
        }
        if delta == 0 {
            imports_cut += 1;
        } else {
            imports_whole += 1;
        }
    }
    // The chain runs through every round: verifying it once at the end covers them all.
    assert_consistent(&i).await;
    println!(
        "crash test: {} acknowledged form posts over {rounds} kills; imports cut {imports_cut}, whole {imports_whole}",
        acked.len()
    );
    assert!(!acked.is_empty(), "the server acknowledged writes before it was killed");

    let ids: BTreeSet<i64> = acked.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), acked.len(), "no id was acknowledged twice");
    let server = Server::start(i.data(), PASS);
    assert_present(&server.addr, &acked).await;
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writes_continue_restores_consistently() {
    let mut rng = StdRng::seed_from_u64(setting("RAZAM_CRASH_SEED", 2026));
    let i = Instance::new();
    assert_eq!(code(&i.add_user("ales", "documenter")), 0);
    let server = Server::start(i.data(), PASS);
    let addr = server.addr.clone();

    let (writers, mut rx) = spawn_writers(&addr, 2_000, &mut rng, &mut 0);

    // Wait for some writes, then back up while the writers go on.
    let mut before_backup = Vec::new();
    while before_backup.len() < 20 {
        before_backup.push(rx.recv().await.expect("the writers write"));
    }
    let archive = i._tmp.path().join("under-load.backup");
    let backup = tokio::task::spawn_blocking({
        let data = i.data().to_owned();
        let archive = archive.clone();
        move || {
            razam()
                .args(["backup", "--data", &data, "--out", archive.to_str().unwrap()])
                .env("RAZAM_PASSPHRASE", PASS)
                .output()
                .unwrap()
        }
    });
    let mut backup = backup;
    let mut during = 0;
    let o = loop {
        tokio::select! {
            done = &mut backup => break done.unwrap(),
            write = rx.recv() => match write {
                Some(_) => during += 1,
                None => break (&mut backup).await.unwrap(),
            },
        }
    };
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The writers stop at their next acknowledgement, now that nobody listens.
    drop(rx);
    let mut refused = 0;
    for w in writers {
        refused += w.await.unwrap();
    }
    assert_eq!(refused, 0, "no write was refused while the backup ran");
    assert!(during > 0, "writes went on while the backup ran");
    println!("backup under load: {during} writes acknowledged while the backup ran");
    assert!(server.stop().success());

    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let restored = Instance {
        _tmp: target,
        data,
        recovery_key: String::new(),
    };
    let o = crate::cli::run(
        &[
            "restore",
            "--data",
            restored.data(),
            "--from",
            archive.to_str().unwrap(),
        ],
        &[("RAZAM_PASSPHRASE", PASS)],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_consistent(&restored).await;
    let server = Server::start(restored.data(), PASS);
    assert_present(&server.addr, &before_backup).await;
    assert!(server.stop().success());
}

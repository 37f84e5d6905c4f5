//! The `razam` binary as an operator uses it: exit codes, messages, and what stays unchanged.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sqlx::Connection;

use crate::helpers::files_below;

pub(crate) const PASS: &str = "operator passphrase 2026";

pub(crate) fn razam() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_razam"));
    for var in [
        "RAZAM_PASSPHRASE",
        "RAZAM_NEW_PASSWORD",
        "RAZAM_NEW_PASSPHRASE",
        "RAZAM_LISTEN",
        "RAZAM_DATABASE",
    ] {
        c.env_remove(var);
    }
    c.env("RAZAM_LOG", "warn").stdin(Stdio::null());
    c
}

pub(crate) fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = razam();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) struct Instance {
    pub(crate) _tmp: tempfile::TempDir,
    pub(crate) data: PathBuf,
    pub(crate) recovery_key: String,
}

impl Instance {
    pub(crate) fn new() -> Instance {
        Instance::on(None)
    }

    /// A new instance on SQLite, or on the PostgreSQL database `database` when given.
    pub(crate) fn on(database: Option<&str>) -> Instance {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let mut args = vec!["init", "--data", data.to_str().unwrap()];
        args.extend(database.iter().flat_map(|url| ["--database", *url]));
        let o = run(&args, &[("RAZAM_PASSPHRASE", PASS)]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let recovery_key = stdout(&o)
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 79 && l.matches('-').count() == 15)
            .expect("init prints the recovery key")
            .to_owned();
        Instance {
            _tmp: tmp,
            data,
            recovery_key,
        }
    }

    pub(crate) fn data(&self) -> &str {
        self.data.to_str().unwrap()
    }

    /// `razam <command> --data DIR <args>` with the right passphrase.
    pub(crate) fn run(&self, command: &[&str], args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all: Vec<&str> = command.to_vec();
        all.extend(["--data", self.data()]);
        all.extend(args);
        let mut env = env.to_vec();
        if !env.iter().any(|(k, _)| *k == "RAZAM_PASSPHRASE") {
            env.push(("RAZAM_PASSPHRASE", PASS));
        }
        run(&all, &env)
    }

    pub(crate) fn add_user(&self, username: &str, role: &str) -> Output {
        self.run(
            &["user", "add"],
            &["--username", username, "--name", "Тэставы Карыстальнік", "--role", role],
            &[("RAZAM_NEW_PASSWORD", "a-new-password-1")],
        )
    }

    pub(crate) fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.data.join("razam.db").display())
    }
}

/// Every file under `dir` with its bytes, to prove nothing changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_below(dir)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn every_subcommand_has_help_and_bad_usage_exits_2() {
    for args in [
        &["--help"][..],
        &["init", "--help"],
        &["serve", "--help"],
        &["demo", "--help"],
        &["user", "--help"],
        &["user", "add", "--help"],
        &["user", "list", "--help"],
        &["user", "disable", "--help"],
        &["user", "enable", "--help"],
        &["user", "reset-password", "--help"],
        &["audit", "verify", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
        &["vault", "rekey", "--help"],
        &["evidence", "add", "--help"],
        &["evidence", "export", "--help"],
        &["evidence", "transfer", "--help"],
        &["evidence", "verify", "--help"],
    ] {
        let o = run(args, &[]);
        assert_eq!(code(&o), 0, "{args:?}");
        assert!(stdout(&o).contains("Usage:"), "{args:?}");
    }
    assert_eq!(code(&run(&["frobnicate"], &[])), 2);
    assert_eq!(code(&run(&["serve"], &[])), 2, "--data is required");
}

#[test]
fn init_prints_a_recovery_key_once_and_never_overwrites_an_instance() {
    let i = Instance::new();
    let o = run(&["init", "--data", i.data()], &[("RAZAM_PASSPHRASE", PASS)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("already holds a razam instance"), "{}", stderr(&o));
    let short = tempfile::tempdir().unwrap();
    let o = run(
        &["init", "--data", short.path().to_str().unwrap()],
        &[("RAZAM_PASSPHRASE", "short")],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("at least 12 characters"));
    let o = run(&["init", "--data", short.path().to_str().unwrap()], &[]);
    assert_eq!(code(&o), 2, "no terminal, no variable, no file");
    assert!(stderr(&o).contains("RAZAM_PASSPHRASE"), "{}", stderr(&o));
    assert!(
        files_below(short.path()).is_empty(),
        "a refused init leaves nothing behind"
    );
}

#[test]
fn accounts_are_managed_from_the_command_line() {
    let i = Instance::new();
    let o = i.add_user("ales", "documenter");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&i.add_user("ales", "documenter")), 2, "the same user name twice");
    let o = i.add_user("hanna", "emperor");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown role"), "{}", stderr(&o));
    let o = i.run(
        &["user", "add"],
        &["--username", "x", "--name", "X", "--role", "viewer"],
        &[("RAZAM_NEW_PASSWORD", "a-new-password-1")],
    );
    assert_eq!(code(&o), 2);
    let o = i.run(
        &["user", "add"],
        &["--username", "short", "--name", "X", "--role", "viewer"],
        &[("RAZAM_NEW_PASSWORD", "short")],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("at least 12"), "{}", stderr(&o));

    assert_eq!(code(&i.run(&["user", "disable"], &["--username", "ales"], &[])), 0);
    let o = i.run(&["user", "list"], &["--format", "json"], &[]);
    assert_eq!(code(&o), 0);
    let list: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(list[0]["username"], "ales");
    assert_eq!(list[0]["display_name"], "Тэставы Карыстальнік");
    assert_eq!(list[0]["disabled"], true);
    assert_eq!(code(&i.run(&["user", "enable"], &["--username", "ales"], &[])), 0);
    let o = i.run(
        &["user", "reset-password"],
        &["--username", "ales"],
        &[("RAZAM_NEW_PASSWORD", "another-password-2")],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&i.run(&["user", "disable"], &["--username", "nobody"], &[])), 2);

    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // init, create, disable, enable, reset-password
    assert!(stdout(&o).contains("intact: 5 entries"), "{}", stdout(&o));
}

#[test]
fn a_wrong_passphrase_exits_2_and_changes_nothing() {
    let i = Instance::new();
    i.add_user("ales", "documenter");
    let before = snapshot(&i.data);
    let wrong = [
        ("RAZAM_PASSPHRASE", "not the passphrase at all"),
        ("RAZAM_NEW_PASSWORD", "a-new-password-1"),
    ];
    let out = i._tmp.path().join("backup.razam");
    for command in [
        vec!["audit", "verify"],
        vec!["user", "list"],
        vec!["user", "disable", "--username", "ales"],
        vec!["vault", "rekey"],
        vec!["backup", "--out", out.to_str().unwrap()],
        vec!["serve", "--listen", "127.0.0.1:0"],
    ] {
        let (cmd, args) = command.split_at(if command[0] == "backup" || command[0] == "serve" {
            1
        } else {
            2
        });
        let o = i.run(cmd, args, &wrong);
        assert_eq!(code(&o), 2, "{command:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("wrong passphrase"), "{command:?}: {}", stderr(&o));
    }
    assert_eq!(snapshot(&i.data), before, "not one byte changed");
    assert!(!out.exists());
}

async fn tamper(i: &Instance, sql: &[&str]) {
    let mut conn = sqlx::SqliteConnection::connect(&i.sqlite_url()).await.unwrap();
    // Whoever tampers with the file can drop the append-only triggers; the chain still tells.
    sqlx::raw_sql("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .execute(&mut conn)
        .await
        .unwrap();
    for s in sql {
        sqlx::raw_sql(s).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

fn instance_with_five_entries() -> Instance {
    let i = Instance::new();
    for name in ["ales", "hanna", "volha", "zmicer"] {
        assert_eq!(code(&i.add_user(name, "viewer")), 0);
    }
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert!(stdout(&o).contains("intact: 5 entries"), "{}", stdout(&o));
    i
}

fn assert_broken(i: &Instance, expected: &str) {
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stderr(&o).contains(expected), "expected {expected:?} in {}", stderr(&o));
}

#[tokio::test]
async fn audit_verify_names_the_first_altered_removed_or_reordered_entry() {
    let altered = instance_with_five_entries();
    tamper(&altered, &["UPDATE audit_log SET object = 'account:9' WHERE seq = 3"]).await;
    assert_broken(&altered, "entry 3 was altered");

    let removed = instance_with_five_entries();
    tamper(&removed, &["DELETE FROM audit_log WHERE seq = 2"]).await;
    assert_broken(&removed, "entry 3 stands where entry 2 should");

    // Renumbered to hide the gap: the link to the previous entry breaks instead.
    let renumbered = instance_with_five_entries();
    tamper(
        &renumbered,
        &[
            "DELETE FROM audit_log WHERE seq = 2",
            "UPDATE audit_log SET seq = seq - 1 WHERE seq > 2",
        ],
    )
    .await;
    assert_broken(&renumbered, "entry 2 does not link");

    // Cut off the end: the chain alone is intact, but a head recorded earlier is gone.
    let truncated = instance_with_five_entries();
    let o = truncated.run(&["audit", "verify"], &[], &[]);
    let head = stdout(&o).trim().rsplit(' ').next().unwrap().to_owned();
    let o = truncated.run(&["audit", "verify"], &["--head", &head], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    tamper(&truncated, &["DELETE FROM audit_log WHERE seq >= 4"]).await;
    let o = truncated.run(&["audit", "verify"], &[], &[]);
    assert!(stdout(&o).contains("intact: 3 entries"), "{}", stdout(&o));
    let o = truncated.run(&["audit", "verify"], &["--head", &head], &[]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("cut off the end"), "{}", stderr(&o));

    let reordered = instance_with_five_entries();
    tamper(
        &reordered,
        &[
            "UPDATE audit_log SET seq = 100 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = 100",
        ],
    )
    .await;
    assert_broken(&reordered, "entry 2 does not link");
}

#[tokio::test]
async fn a_newer_schema_a_damaged_database_and_an_unknown_config_key_are_refused() {
    let newer = Instance::new();
    let mut conn = sqlx::SqliteConnection::connect(&newer.sqlite_url()).await.unwrap();
    sqlx::query("INSERT INTO razam_schema (version, name, applied_at_ms) VALUES (999, 'future', 0)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let o = newer.run(&["serve"], &["--listen", "127.0.0.1:0"], &[]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("schema version 999, newer than this razam"),
        "{}",
        stderr(&o)
    );

    let damaged = Instance::new();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(damaged.data.join(format!("razam.db{suffix}")));
    }
    std::fs::write(damaged.data.join("razam.db"), vec![0x42; 16384]).unwrap();
    let o = damaged.run(&["serve"], &["--listen", "127.0.0.1:0"], &[]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("damaged"), "{}", stderr(&o));

    let unknown = Instance::new();
    let config = unknown.data.join("razam.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\ncolour = \"red\"\n")).unwrap();
    let o = unknown.run(&["serve"], &[], &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown field `colour`"), "{}", stderr(&o));

    let missing = tempfile::tempdir().unwrap();
    let o = run(
        &["serve", "--data", missing.path().to_str().unwrap()],
        &[("RAZAM_PASSPHRASE", PASS)],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("run `razam init"), "{}", stderr(&o));
}

#[test]
fn serve_says_when_the_port_is_in_use() {
    let i = Instance::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = i.run(&["serve"], &["--listen", &addr], &[]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("the port is in use"), "{}", stderr(&o));
}

/// `razam serve` as a child process: waits for its address, and stops it with SIGTERM.
pub(crate) struct Server {
    pub(crate) child: std::process::Child,
    pub(crate) addr: String,
}

impl Server {
    pub(crate) fn start(data: &str, passphrase: &str) -> Server {
        let mut child = razam()
            .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
            .env("RAZAM_PASSPHRASE", passphrase)
            .env("RAZAM_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the server printed its address").unwrap();
            if let Some(rest) = line.split("serving on http://").nth(1) {
                break rest.split('/').next().unwrap().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    /// SIGTERM, then the exit status: a graceful shutdown exits 0.
    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

/// A test that fails part-way leaves no server running behind it.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn can_log_in(addr: &str, username: &str, password: &str) -> bool {
    let c = crate::helpers::client();
    let page = crate::helpers::text_in_language(&c, &format!("http://{addr}/login"), "en").await;
    let csrf = crate::helpers::csrf_from(&page);
    let r = c
        .post(format!("http://{addr}/login"))
        .form(&[("csrf", csrf.as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    r.status() == 303
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_folder_and_serves_the_same_data() {
    let i = Instance::new();
    assert_eq!(code(&i.add_user("ales", "documenter")), 0);
    let archive = i._tmp.path().join("razam.backup");
    let o = i.run(&["backup"], &["--out", archive.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = i.run(&["backup"], &["--out", archive.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 2, "an existing archive is never overwritten");

    // The archive holds no plaintext of the instance's data.
    let bytes = std::fs::read(&archive).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == b"SQLite"),
        "the database inside is encrypted"
    );

    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("restored");
    let r = restored.to_str().unwrap();
    let a = archive.to_str().unwrap();

    let o = run(
        &["restore", "--data", r, "--from", a],
        &[("RAZAM_PASSPHRASE", "not the passphrase at all")],
    );
    assert_eq!(code(&o), 2);
    assert!(!restored.exists(), "a refused restore writes nothing");

    let mut damaged = bytes.clone();
    let middle = damaged.len() - 100;
    damaged[middle] ^= 0x01;
    let damaged_path = target.path().join("damaged.backup");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let o = run(
        &["restore", "--data", r, "--from", damaged_path.to_str().unwrap()],
        &[("RAZAM_PASSPHRASE", PASS)],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("damaged"), "{}", stderr(&o));
    assert!(!restored.exists());
    assert!(
        files_below(target.path())
            .iter()
            .all(|f| !f.to_string_lossy().contains("razam-restore"))
    );

    let o = run(&["restore", "--data", r, "--from", a], &[("RAZAM_PASSPHRASE", PASS)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("audit chain intact"), "{}", stdout(&o));

    let server = Server::start(r, PASS);
    assert!(can_log_in(&server.addr, "ales", "a-new-password-1").await);
    assert!(!can_log_in(&server.addr, "ales", "wrong-password-1").await);
    assert!(server.stop().success(), "SIGTERM shuts down gracefully with exit 0");

    // The recovery key opens the archive too.
    let key_file = target.path().join("recovery.txt");
    std::fs::write(&key_file, &i.recovery_key).unwrap();
    let second = target.path().join("second");
    let o = run(
        &[
            "restore",
            "--data",
            second.to_str().unwrap(),
            "--from",
            a,
            "--recovery-key-file",
            key_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[tokio::test]
async fn rekey_changes_the_passphrase_and_keeps_the_data() {
    let i = Instance::new();
    assert_eq!(code(&i.add_user("ales", "documenter")), 0);
    let new = "a completely new passphrase";
    let o = i.run(&["vault", "rekey"], &[], &[("RAZAM_NEW_PASSPHRASE", new)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = i.run(&["user", "list"], &[], &[]);
    assert_eq!(code(&o), 2, "the old passphrase no longer opens the vault");
    let o = i.run(&["user", "list"], &[], &[("RAZAM_PASSPHRASE", new)]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("ales"));
    let o = i.run(&["audit", "verify"], &[], &[("RAZAM_PASSPHRASE", new)]);
    assert!(stdout(&o).contains("intact: 3 entries"), "{}", stdout(&o));

    // The recovery key from init still opens it, and can set a passphrase again.
    let key_file = i._tmp.path().join("recovery.txt");
    std::fs::write(&key_file, &i.recovery_key).unwrap();
    let o = i.run(
        &["vault", "rekey"],
        &["--recovery-key-file", key_file.to_str().unwrap()],
        &[("RAZAM_NEW_PASSPHRASE", PASS)],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let server = Server::start(i.data(), PASS);
    assert!(can_log_in(&server.addr, "ales", "a-new-password-1").await);
    assert!(server.stop().success());
}

#[tokio::test]
async fn the_demo_starts_with_its_logins_and_reuses_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("razam-demo");
    for run in ["first", "second"] {
        let mut child = razam()
            .args(["demo", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .strip_prefix("Razam demo: http://")
            .unwrap_or_else(|| panic!("{run}: {first}"))
            .trim_end_matches('/')
            .to_owned();
        let printed: Vec<String> = lines.by_ref().take(6).map(Result::unwrap).collect();
        assert!(printed.iter().any(|l| l.contains("demo-password-demo")), "{printed:?}");
        std::thread::spawn(move || for _ in lines {});
        assert!(can_log_in(&addr, "demo", "demo-password-demo").await, "{run} run");
        assert!(can_log_in(&addr, "ales", "demo-password-ales").await, "{run} run");
        let pid = child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        assert!(child.wait().unwrap().success(), "{run} run stops gracefully");
    }
}

/// `razam demo --size`: the registry of that size in one go, without serving; the same seed
/// gives the same registry.
#[test]
fn a_demo_of_any_size_is_written_without_serving_and_the_same_from_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let export = |data: &Path, what: &str| {
        let out = data.with_extension(format!("{what}.csv"));
        let o = run(
            &[
                "export",
                what,
                "--data",
                data.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[("RAZAM_PASSPHRASE", razam_app::demo::DEMO_PASSPHRASE)],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        text
    };
    let mut persons = Vec::new();
    for (name, seed) in [("a", "11"), ("b", "11"), ("c", "12")] {
        let data = tmp.path().join(name);
        let o = run(
            &[
                "demo",
                "--data",
                data.to_str().unwrap(),
                "--size",
                "1500",
                "--events",
                "12000",
                "--seed",
                seed,
                "--no-serve",
            ],
            &[],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).is_empty(),
            "no server address printed"
        );
        persons.push(export(&data, "persons"));
        if name == "a" {
            let events = export(&data, "events").lines().count() - 1;
            assert!((11_500..=12_500).contains(&events), "{events} events");
        }
    }
    assert_eq!(persons[0].lines().count(), 1 + 1500);
    let cyrillic = |l: &str| {
        l.split(',')
            .nth(1)
            .is_some_and(|family| family.chars().any(|c| ('а'..='я').contains(&c)))
    };
    assert!(persons[0].lines().skip(1).all(cyrillic), "Belarusian family names");
    assert_eq!(persons[0], persons[1], "the same seed, the same registry");
    assert_ne!(persons[0], persons[2], "another seed, other persons");
    // An existing demo is opened as it is.
    let o = run(
        &[
            "demo",
            "--data",
            tmp.path().join("a").to_str().unwrap(),
            "--size",
            "20",
            "--no-serve",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("exists"), "{}", stderr(&o));
    assert_eq!(export(&tmp.path().join("a"), "persons"), persons[0]);
}

const PRISONER_HEADER: &str =
    "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on";

/// Six rows whose figures are worked out by hand in the test below.
fn prisoner_list(extra: &str) -> String {
    format!(
        "{PRISONER_HEADER}\n\
         A1,Аляксандр,Лукашэвіч,Сяргеевіч,1984,Minsk,2021-01-05,342,2021-01-10,\n\
         A2,Maryja,Kalesnikava,,1982-04-24,Минская область,2020-09-07,361-1;357,2021-02-01,2021-06-30\n\
         A3,\"Ales, Jr.\",Bialiatski,Viktaravich,1962,Homiel,2021-11,228 ч.4,2022-03-15,\n\
         A4,Ihar,Losik,,,Brest,2021-05-05,,,\n\
         A5,Volha,Z,,,Гродно,,,2021-05-01,2021-04-01\n\
         A6,Ivan,K,,,,2021-06-01,342,2021-06-30,2021-06-30\n{extra}"
    )
}

fn figures(i: &Instance, day: &str) -> serde_json::Value {
    let o = i.run(
        &["stats", "political-prisoners"],
        &["--as-of", day, "--format", "json"],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

fn audit_entries(i: &Instance) -> String {
    let o = i.run(&["audit", "verify"], &[], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn a_prisoner_list_imports_once_and_the_figures_follow_the_definition() {
    let i = Instance::new();
    let list = i._tmp.path().join("list.csv");
    std::fs::write(&list, prisoner_list("")).unwrap();
    let list = list.to_str().unwrap();

    let o = i.run(&["import", "prisoners"], &[list], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("6 rows: 6 were created, 0 were updated, 0 unchanged"),
        "{}",
        stdout(&o)
    );

    let expect = |day: &str, held: i64, total: i64| {
        assert_eq!(
            figures(&i, day),
            serde_json::json!({"as_of": day, "held": held, "recognized_total": total}),
            "as of {day}"
        );
    };
    expect("2020-12-31", 0, 0);
    expect("2021-01-10", 1, 1);
    // A2 is released on the 30th and A6 recognised and released the same day: neither is held.
    expect("2021-06-29", 2, 3);
    expect("2021-06-30", 1, 4);
    expect("2022-12-31", 2, 5);

    // The same file again changes nothing, not even the audit log.
    let before = audit_entries(&i);
    let o = i.run(&["import", "prisoners"], &[list], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 were created, 0 were updated, 6 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(audit_entries(&i), before);

    // A dry run of a longer list says what it would do and writes nothing.
    let longer = i._tmp.path().join("longer.csv");
    std::fs::write(
        &longer,
        prisoner_list("A7,Mikola,Statkevich,,,Minsk,2020-05-31,342,2020-06-15,\n"),
    )
    .unwrap();
    let o = i.run(&["import", "prisoners"], &[longer.to_str().unwrap(), "--dry-run"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("1 would be created"), "{}", stdout(&o));
    assert_eq!(audit_entries(&i), before);
    expect("2022-12-31", 2, 5);

    // A changed row updates its person: A3 released.
    let changed = i._tmp.path().join("changed.csv");
    std::fs::write(
        &changed,
        prisoner_list("").replace("2022-03-15,\n", "2022-03-15,2022-06-01\n"),
    )
    .unwrap();
    let o = i.run(&["import", "prisoners"], &[changed.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 were created, 1 were updated, 5 unchanged"),
        "{}",
        stdout(&o)
    );
    expect("2022-05-31", 2, 5);
    expect("2022-12-31", 1, 5);
    let after_change = audit_entries(&i);

    // A file with bad cells names each one, exits 2 and imports nothing, not even its good rows.
    let bad = i._tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{PRISONER_HEADER}\nB1,Good,Row,,,Minsk,2021-01-01,342,2021-02-01,\n\
             B2,Bad,Date,,,Minsk,2021-02-30,342,2021-03-01,\nB3,Bad,Article,,,Minsk,,theft,2021-03-01,\n"
        ),
    )
    .unwrap();
    let o = i.run(&["import", "prisoners"], &[bad.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("line 3, column detained_on"), "{err}");
    assert!(err.contains("line 4, column articles"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(audit_entries(&i), after_change);
    expect("2022-12-31", 1, 5);

    // Bad usage: a date that is not a day.
    let o = i.run(&["stats", "political-prisoners"], &["--as-of", "2021-02-30"], &[]);
    assert_eq!(code(&o), 2);
}

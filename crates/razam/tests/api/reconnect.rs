//! A running server outlives a restart of its PostgreSQL server (issue 9): writes acknowledged
//! before the restart are kept, and the server reconnects by itself, without being restarted.
//!
//! The test starts a PostgreSQL cluster of its own (`scripts/pg-throwaway`, as the test command
//! does for the others) so that restarting it disturbs no other test.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use rand::{SeedableRng, rngs::StdRng};
use sqlx::Connection;

use crate::cli::{Instance, PASS, Server, code, stderr};
use crate::crash::{assert_present, spawn_writers};

/// A PostgreSQL cluster of this test's own, stopped and removed when dropped.
struct Cluster {
    script: Child,
    url: String,
    dir: PathBuf,
    bin: PathBuf,
}

impl Cluster {
    /// `None` where the test command did not ask for PostgreSQL tests.
    fn start() -> Option<Cluster> {
        if std::env::var("RAZAM_TEST_POSTGRES_URL").is_err() {
            assert!(
                std::env::var("RAZAM_TEST_REQUIRE_POSTGRES").is_err(),
                "PostgreSQL tests were required"
            );
            eprintln!("skipped: no RAZAM_TEST_POSTGRES_URL (scripts/test sets it)");
            return None;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-throwaway");
        // The script keeps its cluster while the command it runs waits on stdin, and stops it
        // when that command ends (when this test closes its stdin).
        let mut child = Command::new(script)
            .args([
                "bash",
                "-c",
                "echo \"cluster $RAZAM_TEST_POSTGRES_URL $PG_THROWAWAY_DIR $PG_THROWAWAY_BIN\"; read -r _",
            ])
            .env_remove("RAZAM_TEST_POSTGRES_URL")
            .env_remove("PG_THROWAWAY_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = loop {
            let line = lines.next().expect("pg-throwaway started a cluster").unwrap();
            if line.starts_with("cluster ") {
                break line;
            }
        };
        let parts: Vec<&str> = line.split(' ').collect();
        Some(Cluster {
            script: child,
            url: parts[1].to_owned(),
            dir: PathBuf::from(parts[2]),
            bin: PathBuf::from(parts[3]),
        })
    }

    /// A new empty database on this cluster.
    async fn database(&self, name: &str) -> String {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        format!("{}/{name}", self.url.rsplit_once('/').unwrap().0)
    }

    /// `pg_ctl restart -m fast`: every connection is closed, the server starts again on the
    /// same port.
    fn restart(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.dir.join("data");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "razam-pg", "--"]).arg(&pg_ctl);
            c
        } else {
            Command::new(&pg_ctl)
        };
        let status = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "-t", "60", "restart"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "PostgreSQL restarted");
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.script.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        let _ = self.script.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reconnects_after_postgresql_restarts_and_loses_no_acknowledged_write() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.database("razam_reconnect").await;
    let i = Instance::on(Some(&url));
    let o = i.add_user("ales", "documenter");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let server = Server::start(i.data(), PASS);
    let mut rng = StdRng::seed_from_u64(2026);

    let (writers, mut rx) = spawn_writers(&server.addr, 10, &mut rng, &mut 0);
    let mut before = Vec::new();
    while let Some(write) = rx.recv().await {
        before.push(write);
    }
    for w in writers {
        assert_eq!(w.await.unwrap(), 0, "no write refused before the restart");
    }
    assert_eq!(before.len(), 30);

    cluster.restart();

    // The same server, not restarted: its write pool finds its connections closed and opens
    // new ones, and its read connections (the writers' session checks read first) are
    // dropped at their first failed statement, which runs again on a new one.
    let (writers, mut rx) = spawn_writers(&server.addr, 10, &mut rng, &mut 100);
    let mut after = Vec::new();
    while let Some(write) = rx.recv().await {
        after.push(write);
    }
    let mut refused = 0;
    for w in writers {
        refused += w.await.unwrap();
    }
    assert_eq!(refused, 0, "no write refused after the restart");
    assert_eq!(after.len(), 30);

    before.extend(after);
    assert_present(&server.addr, &before).await;
    assert!(server.stop().success());
}

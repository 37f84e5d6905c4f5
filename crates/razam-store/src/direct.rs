//! SQLite's hot reads, run on the calling thread through rusqlite.
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is a message to
//! that thread and back (its channel and two task switches), and every value is copied out of
//! SQLite before it is decoded. On a person page those crossings cost about a quarter of the
//! server's CPU. A read here takes an idle connection, runs the statement where it is called,
//! maps the rows straight from SQLite's memory ([`Cols`]) and puts the connection back. No
//! statement waits for anything in between, so a connection is never held across an `.await`
//! and there are never more connections than threads that read at once.
//!
//! The connections read only (`query_only`). They see what the writer (sqlx's) committed, as
//! any second connection to the file would; each statement is its own read transaction, as it
//! was on sqlx's readers. rusqlite links the same libsqlite3-sys as sqlx (one SQLite).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ffi};

use crate::StoreError;
use crate::rows::{Cols, Value};

/// Idle connections kept; more are opened when more threads read at once, and closed on return.
const KEEP: usize = 8;

/// Statements kept prepared per connection: the hot reads' texts, with room to spare.
const PREPARED: usize = 64;

pub(crate) struct Direct {
    path: PathBuf,
    /// `None` once closed.
    idle: Mutex<Option<Vec<Connection>>>,
}

impl Direct {
    pub(crate) fn new(path: &Path) -> Direct {
        Direct {
            path: path.to_owned(),
            idle: Mutex::new(Some(Vec::with_capacity(KEEP))),
        }
    }

    /// Runs `sql` with `args` (for `$1`, `$2`, …) and maps each row.
    pub(crate) fn read<T>(
        &self,
        sql: &str,
        args: &[Value],
        map: impl FnMut(&dyn Cols) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let conn = self.take()?;
        let result = run(&conn, sql, args, map);
        self.give(conn);
        result
    }

    /// Closes the idle connections and refuses later reads; a read under way closes its
    /// connection when it ends.
    pub(crate) fn close(&self) {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(idle);
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .ok_or_else(|| StoreError::Damaged("the read connections are closed".into()))?
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open(&self.path),
        }
    }

    fn give(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(idle) = idle.as_mut()
            && idle.len() < KEEP
        {
            idle.push(conn);
        }
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    // Read-write only so that WAL's shared memory can be used; `query_only` refuses writes.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(error)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(error)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;")
        .map_err(error)?;
    conn.set_prepared_statement_cache_capacity(PREPARED);
    Ok(conn)
}

fn run<T>(
    conn: &Connection,
    sql: &str,
    args: &[Value],
    mut map: impl FnMut(&dyn Cols) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(error)?;
    for i in 1..=statement.parameter_count() {
        // `$n` names its value; an unnamed `?` takes the next.
        let n = match statement.parameter_name(i).and_then(|name| name.strip_prefix('$')) {
            Some(number) => number
                .parse::<usize>()
                .map_err(|_| StoreError::Damaged(format!("a placeholder ${number} that is not a number")))?,
            None => i,
        };
        let value = args
            .get(n.wrapping_sub(1))
            .ok_or_else(|| StoreError::Damaged(format!("no value for placeholder {n} of {} given", args.len())))?;
        match value {
            Value::I64(v) => statement.raw_bind_parameter(i, v),
            Value::Text(v) => statement.raw_bind_parameter(i, v),
            Value::Blob(v) => statement.raw_bind_parameter(i, v),
        }
        .map_err(error)?;
    }
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// A damaged or foreign file (SQLITE_CORRUPT, SQLITE_NOTADB) told from other failures.
pub(crate) fn error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e
        && matches!(failure.extended_code & 0xff, ffi::SQLITE_CORRUPT | ffi::SQLITE_NOTADB)
    {
        return StoreError::Damaged(message.clone().unwrap_or_else(|| failure.to_string()));
    }
    StoreError::Direct(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &tempfile::TempDir) -> PathBuf {
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB); \
             INSERT INTO t VALUES (1, 'a', NULL), (2, NULL, x'0102'), (3, 'c', x'');",
        )
        .expect("fill");
        path
    }

    #[test]
    fn placeholders_bind_by_number_in_any_order_and_repeated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let direct = Direct::new(&file(&dir));
        let rows = direct
            .read(
                "SELECT id, name FROM t WHERE id > $2 AND id <= $1 OR id = $2 ORDER BY id",
                &[Value::I64(3), Value::I64(1)],
                |r| Ok((r.i64("id")?, r.opt_text("name")?)),
            )
            .expect("read");
        assert_eq!(rows, vec![(1, Some("a".into())), (2, None), (3, Some("c".into()))]);
        let missing = direct.read("SELECT id FROM t WHERE id = $2", &[Value::I64(1)], |r| r.i64("id"));
        assert!(matches!(missing, Err(StoreError::Damaged(m)) if m.contains("placeholder 2")));
    }

    #[test]
    fn nulls_blobs_and_required_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let direct = Direct::new(&file(&dir));
        let blobs = direct
            .read("SELECT data FROM t ORDER BY id", &[], |r| r.opt_blob("data"))
            .expect("read");
        assert_eq!(blobs, vec![None, Some(vec![1, 2]), Some(vec![])]);
        let required = direct.read("SELECT name FROM t WHERE id = 2", &[], |r| r.text("name"));
        assert!(matches!(required, Err(StoreError::Damaged(m)) if m.contains("name")));
        let wrong_type = direct.read("SELECT name FROM t WHERE id = 1", &[], |r| r.i64("name"));
        assert!(matches!(wrong_type, Err(StoreError::Direct(_))));
    }

    #[test]
    fn reads_only_and_refuses_after_close() {
        let dir = tempfile::tempdir().expect("tempdir");
        let direct = Direct::new(&file(&dir));
        let write = direct.read("DELETE FROM t", &[], |r| r.i64("id"));
        assert!(matches!(write, Err(StoreError::Direct(_))), "{write:?}");
        let left = direct
            .read("SELECT COUNT(*) AS n FROM t", &[], |r| r.i64("n"))
            .expect("count");
        assert_eq!(left, vec![3]);
        direct.close();
        assert!(matches!(
            direct.read("SELECT 1 AS n", &[], |r| r.i64("n")),
            Err(StoreError::Damaged(_))
        ));
    }

    #[test]
    fn a_foreign_file_is_damaged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("not.db");
        std::fs::write(&path, vec![0x5a; 8192]).expect("write");
        let direct = Direct::new(&path);
        let read = direct.read("SELECT 1 AS n FROM sqlite_master", &[], |r| r.i64("n"));
        assert!(matches!(read, Err(StoreError::Damaged(_))), "{read:?}");
    }
}

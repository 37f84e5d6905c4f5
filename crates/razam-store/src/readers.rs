//! Read connections, handed out and taken back without sqlx's pool.
//!
//! sqlx's pool pings a connection when it hands it out and again when it takes it back. For
//! SQLite that is two extra crossings to the connection's own thread and back (and a spawned
//! task) for every statement; for PostgreSQL it is two extra round trips to the server, each
//! waking a backend on the same few cores (`bench/load.sh` measured them). Here a connection
//! is taken from a list under a semaphore and put back when its `Reader` drops; the
//! connections are opened as they are first needed, up to `size`.
//!
//! On SQLite a `Reader` dropped halfway through a statement (its request cancelled) still goes
//! back: its connection thread finishes or abandons that statement before it runs the next
//! one, and a transaction dropped unfinished queues its rollback first (sqlx's `Transaction`
//! does that). On PostgreSQL a connection goes back only after its statement was answered in
//! full (`Reader::done`): the next reader would otherwise wait for an abandoned statement and
//! be handed its error. What the ping on the way out was for, a connection the server closed
//! (a restart), is left to the caller: PostgreSQL's `read_rows` drops such a connection and
//! every idle one, and runs its statement once more on a newly opened one.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};

use sqlx::Connection;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::StoreError;

pub(crate) struct Readers<C: Connection> {
    options: C::Options,
    size: u32,
    idle: Mutex<Vec<C>>,
    free: Semaphore,
    /// What a failed connect is as a store error (each database tells its own apart).
    classify: fn(sqlx::Error) -> StoreError,
    /// Whether a connection goes back when its `Reader` drops without `done` (its statement
    /// failed or was abandoned). Yes for SQLite, whose connection thread finishes or abandons
    /// the statement by itself; no for PostgreSQL, where the next reader would wait for the
    /// abandoned statement and be handed its error.
    keep_unfinished: bool,
}

/// One read connection, back in the list when dropped (on PostgreSQL only after `done`).
pub(crate) struct Reader<'a, C: Connection> {
    conn: Option<C>,
    /// Whether the connection goes back to the idle list when this drops.
    keep: bool,
    readers: &'a Readers<C>,
    _permit: SemaphorePermit<'a>,
}

impl<C: Connection> Readers<C> {
    pub(crate) fn new(
        options: C::Options,
        size: u32,
        classify: fn(sqlx::Error) -> StoreError,
        keep_unfinished: bool,
    ) -> Readers<C> {
        Readers {
            options,
            size,
            idle: Mutex::new(Vec::with_capacity(size as usize)),
            free: Semaphore::new(size as usize),
            classify,
            keep_unfinished,
        }
    }

    /// Waits for every connection to come back, closes them, and refuses any later `get`.
    pub(crate) async fn close(&self) {
        // Every permit taken: no reader is out. Forgotten so that none comes back.
        if let Ok(all) = self.free.acquire_many(self.size).await {
            all.forget();
        }
        self.free.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for conn in idle {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "a read connection did not close cleanly");
            }
        }
    }

    /// A connection: an idle one, or a new one while fewer than `size` are open.
    pub(crate) async fn get(&self) -> Result<Reader<'_, C>, StoreError> {
        self.take(true).await
    }

    /// A newly opened connection, never an idle one.
    pub(crate) async fn fresh(&self) -> Result<Reader<'_, C>, StoreError> {
        self.take(false).await
    }

    async fn take(&self, idle: bool) -> Result<Reader<'_, C>, StoreError> {
        let permit = self
            .free
            .acquire()
            .await
            .map_err(|_| StoreError::Damaged("the read connections are closed".into()))?;
        let idle = if idle {
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
        } else {
            None
        };
        let conn = match idle {
            Some(conn) => conn,
            None => C::connect_with(&self.options).await.map_err(self.classify)?,
        };
        Ok(Reader {
            conn: Some(conn),
            keep: self.keep_unfinished,
            readers: self,
            _permit: permit,
        })
    }

    /// Drops every idle connection (the server closed them all, or is about to find out).
    pub(crate) fn drop_idle(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop(idle);
    }
}

impl<C: Connection> Reader<'_, C> {
    /// Puts the connection back: its statement was answered in full.
    pub(crate) fn done(mut self) {
        self.keep = true;
    }
}

impl<C: Connection> Deref for Reader<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        // Some from construction until drop.
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a reader holds its connection until dropped"))
    }
}

impl<C: Connection> DerefMut for Reader<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a reader holds its connection until dropped"))
    }
}

impl<C: Connection> Drop for Reader<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.keep
        {
            self.readers
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

    use super::Readers;

    /// Readers of a new database holding the numbers 1 to 5,000.
    async fn readers(dir: &tempfile::TempDir, size: u32) -> Arc<Readers<SqliteConnection>> {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("db.sqlite"))
            .create_if_missing(true);
        let readers = Readers::new(options, size, crate::sqlite::classify, true);
        let mut conn = readers.get().await.unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000) \
             INSERT INTO t SELECT n FROM c",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        Arc::new(readers)
    }

    async fn sum(readers: &Readers<SqliteConnection>) -> i64 {
        let mut conn = readers.get().await.unwrap();
        sqlx::query_scalar("SELECT SUM(n) FROM t")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_readers_than_connections_take_turns_on_the_same_connections() {
        let dir = tempfile::tempdir().unwrap();
        let readers = readers(&dir, 2).await;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let readers = readers.clone();
            tasks.spawn(async move { sum(&readers).await });
        }
        let sums = tasks.join_all().await;
        assert_eq!(sums, vec![12_502_500; 32]);
        // Never more than two were opened, and both came back.
        assert_eq!(readers.idle.lock().unwrap().len(), 2);
        assert_eq!(readers.free.available_permits(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_cancelled_halfway_leaves_its_connection_usable() {
        let dir = tempfile::tempdir().unwrap();
        let readers = readers(&dir, 1).await;
        // A statement whose rows are still coming when its future is dropped: the one
        // connection goes back with that statement abandoned, and answers the next one right.
        for _ in 0..20 {
            let slow = async {
                let mut conn = readers.get().await.unwrap();
                let rows: Vec<i64> = sqlx::query_scalar("SELECT a.n FROM t a, t b")
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                rows.len()
            };
            assert!(tokio::time::timeout(Duration::from_millis(1), slow).await.is_err());
            assert_eq!(sum(&readers).await, 12_502_500);
        }
        assert_eq!(readers.idle.lock().unwrap().len(), 1);
        assert_eq!(readers.free.available_permits(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn close_waits_for_the_connections_out_and_refuses_later_ones() {
        let dir = tempfile::tempdir().unwrap();
        let readers = readers(&dir, 2).await;
        let out = readers.get().await.unwrap();
        let closing = {
            let readers = readers.clone();
            tokio::spawn(async move { readers.close().await })
        };
        tokio::task::yield_now().await;
        assert!(!closing.is_finished(), "close returned with a connection still out");
        drop(out);
        closing.await.unwrap();
        assert!(readers.idle.lock().unwrap().is_empty());
        assert!(readers.get().await.is_err());
    }
}

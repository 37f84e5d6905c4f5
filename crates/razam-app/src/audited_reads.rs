//! Audited reads written together (group commit).
//!
//! A search, a person page, a report opened in triage: each is a read of sealed data, and its
//! reader is answered only once the read's audit entry is durable. An entry written on its
//! own is one transaction, and on SQLite (`synchronous = FULL`) one fsync, so readers who
//! arrived together waited in line for one fsync each. Here they share: the entries queued
//! while one commit is under way are all written by the next commit, in one transaction, and
//! each reader is answered when the commit holding its entry has returned. The chain is the
//! one that writing them one by one in the order they were queued would have made; nothing
//! is answered before its entry is written, and a failed commit fails every read in it.
//!
//! Writes (registry changes, sessions) keep their entry in their own transaction; this is
//! for entries that record a read and nothing else.

use std::sync::{Arc, Mutex};

use razam_store::{AuditEvent, Store};
use tokio::sync::oneshot;

use crate::{App, AppError};

/// A queued entry and the reader waiting for it.
type Waiting = (AuditEvent, oneshot::Sender<Result<(), String>>);

/// Entries of reads waiting for the next commit.
#[derive(Default)]
pub(crate) struct AuditedReads {
    queued: Mutex<Vec<Waiting>>,
    /// Held while a commit is under way: the next one takes whatever queued meanwhile.
    committing: tokio::sync::Mutex<()>,
}

impl AuditedReads {
    fn queue(&self, entry: AuditEvent) -> oneshot::Receiver<Result<(), String>> {
        let (done, receipt) = oneshot::channel();
        // A panic while the lock was held leaves the queue as it was: go on with it.
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((entry, done));
        receipt
    }

    /// Writes everything queued, unless an earlier commit already took it.
    async fn commit(&self, store: &dyn Store) {
        let _one = self.committing.lock().await;
        // The tasks already runnable go first: those about to queue an entry join this commit
        // instead of the next one. Nothing else waits, so alone this costs nothing.
        tokio::task::yield_now().await;
        let batch = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return;
        }
        let (entries, readers): (Vec<AuditEvent>, Vec<_>) = batch.into_iter().unzip();
        let written = store.append_audits(&entries).await.map_err(|e| e.to_string());
        if let Err(e) = &written {
            tracing::error!(error = %e, entries = entries.len(), "audit entries of reads were not written");
        }
        for reader in readers {
            // A reader that went away needs no answer; its entry is written all the same.
            let _ = reader.send(written.clone());
        }
    }
}

impl App {
    /// Records a read in the audit log and returns once the entry is durable, sharing the
    /// commit with the reads that arrive meanwhile.
    pub(crate) async fn audit_read(&self, entry: AuditEvent) -> Result<(), AppError> {
        let receipt = self.reads.queue(entry);
        // The commit runs on its own task: a reader who goes away (a closed tab) must not cut
        // a transaction short that holds other readers' entries.
        let (reads, store): (Arc<AuditedReads>, Arc<dyn Store>) = (self.reads.clone(), self.store.clone());
        tokio::spawn(async move { reads.commit(store.as_ref()).await });
        match receipt.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppError::AuditNotWritten(e)),
            Err(_) => Err(AppError::AuditNotWritten("the commit stopped".into())),
        }
    }
}

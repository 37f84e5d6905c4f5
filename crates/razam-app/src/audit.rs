//! Verifying the audit chain from the first entry to the last.

use razam_core::audit::ChainVerifier;

use crate::{App, AppError, instance};

/// An intact chain: how many entries, and the hash of the last (worth writing down elsewhere:
/// a later verification that still finds this head proves nothing before it was cut away).
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub entries: i64,
    pub head: String,
}

const PAGE: i64 = 10_000;

impl App {
    pub async fn verify_audit(&self, progress: &dyn Fn(i64)) -> Result<AuditReport, AppError> {
        let link = instance::audit_link(&self.keys.data);
        let mut verifier = ChainVerifier::new(link.as_ref());
        let mut after = 0;
        loop {
            let page = self.store.audit_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.record.seq;
            for entry in &page {
                verifier
                    .check(&entry.record, &entry.prev_hash, &entry.hash)
                    .map_err(AppError::AuditBroken)?;
            }
            progress(verifier.count());
        }
        Ok(AuditReport {
            entries: verifier.count(),
            head: hex::encode(verifier.head()),
        })
    }
}

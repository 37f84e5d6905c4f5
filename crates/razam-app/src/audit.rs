//! Verifying the audit chain from the first entry to the last.

use razam_core::audit::ChainVerifier;

use crate::{App, AppError, instance};

/// An intact chain: how many entries, and the hash of the last (worth writing down elsewhere:
/// a later verification that still finds this head proves nothing before it was cut away).
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub entries: i64,
    pub head: String,
    /// Whether the head recorded earlier (if one was given) is still in the chain.
    pub recorded_head_found: Option<bool>,
}

const PAGE: i64 = 10_000;

impl App {
    /// Verifies every link. With `recorded_head` (the hex head printed by an earlier
    /// verification), also says whether that entry is still in the chain: if not, entries were
    /// cut off the end, which no chain can show on its own.
    pub async fn verify_audit(
        &self,
        recorded_head: Option<&str>,
        progress: &dyn Fn(i64),
    ) -> Result<AuditReport, AppError> {
        let recorded: Option<[u8; 32]> = match recorded_head {
            Some(text) => {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut bytes)
                    .map_err(|_| AppError::BadInput("a recorded head is 64 hexadecimal digits".into()))?;
                Some(bytes)
            }
            None => None,
        };
        let mut found = false;
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
                found |= recorded == Some(entry.hash);
            }
            progress(verifier.count());
        }
        Ok(AuditReport {
            entries: verifier.count(),
            head: hex::encode(verifier.head()),
            recorded_head_found: recorded.map(|_| found),
        })
    }
}

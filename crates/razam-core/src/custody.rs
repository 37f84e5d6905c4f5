//! The custody log of one evidence item: intake, every view and download, every export and
//! transfer, each entry linked to the one before by a plain BLAKE3 hash.
//!
//! Unlike the audit chain, the link is not keyed: an exported manifest carries every item's
//! custody log, and whoever receives it must be able to recheck the chain without the
//! instance's key. What keeps a chain from being rewritten is elsewhere: each entry is also in
//! the keyed audit chain, and an exported manifest is signed.

/// One entry of an item's custody log, as stored and as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyRecord {
    /// The item this entry belongs to (its id in the instance).
    pub item: i64,
    /// 1, 2, 3, … per item, without gaps.
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Who: `account:7`, `cli`.
    pub actor: String,
    /// What: `intake`, `view`, `download`, `sharing-copy`, `export`, `transfer`.
    pub action: String,
    /// Ids only (e.g. the package an export went into); never personal content.
    pub detail: String,
}

/// The hash the first entry of every item links to.
pub const CUSTODY_GENESIS: [u8; 32] = [0; 32];

/// The entry's hash: BLAKE3 over a domain string, the previous hash and the fields, each
/// text field prefixed by its length so that no two entries encode alike.
pub fn custody_link(prev: &[u8; 32], record: &CustodyRecord) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"razam custody v1");
    h.update(prev);
    h.update(&record.item.to_le_bytes());
    h.update(&record.seq.to_le_bytes());
    h.update(&record.at_ms.to_le_bytes());
    for field in [&record.actor, &record.action, &record.detail] {
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// Where a custody chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustodyBreak {
    #[error("custody entry {found} stands where entry {expected} should")]
    Sequence { expected: i64, found: i64 },
    #[error("custody entry {seq} does not link to the entry before it")]
    PrevMismatch { seq: i64 },
    #[error("custody entry {seq} was altered (its hash does not match its content)")]
    HashMismatch { seq: i64 },
}

/// Checks one item's chain from its first entry: `(record, prev_hash, hash)` in order.
pub fn verify_custody<'a>(
    entries: impl IntoIterator<Item = (&'a CustodyRecord, &'a [u8; 32], &'a [u8; 32])>,
) -> Result<usize, CustodyBreak> {
    let mut prev = CUSTODY_GENESIS;
    let mut count = 0;
    for (record, stored_prev, stored_hash) in entries {
        let expected = count as i64 + 1;
        if record.seq != expected {
            return Err(CustodyBreak::Sequence {
                expected,
                found: record.seq,
            });
        }
        if stored_prev != &prev {
            return Err(CustodyBreak::PrevMismatch { seq: record.seq });
        }
        if &custody_link(stored_prev, record) != stored_hash {
            return Err(CustodyBreak::HashMismatch { seq: record.seq });
        }
        prev = *stored_hash;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(CustodyRecord, [u8; 32], [u8; 32])> {
        let mut prev = CUSTODY_GENESIS;
        (1..=n)
            .map(|seq| {
                let r = CustodyRecord {
                    item: 4,
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor: "cli".into(),
                    action: if seq == 1 { "intake" } else { "view" }.into(),
                    detail: String::new(),
                };
                let h = custody_link(&prev, &r);
                let out = (r, prev, h);
                prev = h;
                out
            })
            .collect()
    }

    fn check(c: &[(CustodyRecord, [u8; 32], [u8; 32])]) -> Result<usize, CustodyBreak> {
        verify_custody(c.iter().map(|(r, p, h)| (r, p, h)))
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named() {
        let c = chain(4);
        assert_eq!(check(&c), Ok(4));
        let mut altered = c.clone();
        altered[2].0.actor = "account:9".into();
        assert_eq!(check(&altered), Err(CustodyBreak::HashMismatch { seq: 3 }));
        let mut dropped = c.clone();
        dropped.remove(1);
        assert_eq!(check(&dropped), Err(CustodyBreak::Sequence { expected: 2, found: 3 }));
        let mut relinked = c.clone();
        relinked[1].1 = [1; 32];
        assert_eq!(check(&relinked), Err(CustodyBreak::PrevMismatch { seq: 2 }));
        // The item id is covered: an entry cannot be moved to another item's log.
        let mut moved = c;
        moved[0].0.item = 5;
        assert_eq!(check(&moved), Err(CustodyBreak::HashMismatch { seq: 1 }));
    }
}

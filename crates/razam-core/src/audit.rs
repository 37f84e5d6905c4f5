//! The audit chain: every state change leaves an entry that names who did what to which
//! object and when, and never the sensitive content.
//!
//! Entries are linked with keyed BLAKE3: each hash covers the previous hash and the entry's
//! fields, under a key derived from the instance's data key. A plain hash chain can be
//! rewritten by anyone who can write the database (alter an entry, recompute every later
//! hash); a keyed chain cannot be rewritten without the key, so verifying needs the vault
//! unlocked. The linking key is held by an implementation of [`ChainLink`]; storage only
//! calls it and never sees the key.

/// One entry of the audit log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// 1, 2, 3, … with no gaps.
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Who: `account:7`, `cli`, `anonymous`, `system`.
    pub actor: String,
    /// What: a stable dotted name such as `account.create`.
    pub action: String,
    /// Which object: `account:7`, `vault`, or empty.
    pub object: String,
}

/// The hash the first entry links to.
pub const GENESIS: [u8; 32] = [0; 32];

/// Computes an entry's link hash from the previous one. Implemented by the holder of the key.
pub trait ChainLink: Send + Sync {
    fn link(&self, prev: &[u8; 32], record: &AuditRecord) -> [u8; 32];
}

/// The keyed BLAKE3 link. Fields are length-prefixed so that no two different entries
/// encode to the same bytes.
pub struct Blake3Link {
    key: [u8; 32],
}

impl Blake3Link {
    pub fn new(key: [u8; 32]) -> Blake3Link {
        Blake3Link { key }
    }
}

impl Drop for Blake3Link {
    fn drop(&mut self) {
        // Best effort without a dependency: overwrite the key before the memory is freed.
        self.key = [0; 32];
        std::hint::black_box(&self.key);
    }
}

impl ChainLink for Blake3Link {
    fn link(&self, prev: &[u8; 32], record: &AuditRecord) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(prev);
        h.update(&record.seq.to_le_bytes());
        h.update(&record.at_ms.to_le_bytes());
        for field in [&record.actor, &record.action, &record.object] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        *h.finalize().as_bytes()
    }
}

/// The first place where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {found} stands where entry {expected} should (an entry was removed or reordered)")]
    Sequence { expected: i64, found: i64 },
    #[error("entry {seq} does not link to the entry before it (an entry before it was removed, altered or reordered)")]
    PrevMismatch { seq: i64 },
    #[error("entry {seq} was altered (its hash does not match its content)")]
    HashMismatch { seq: i64 },
}

/// Checks entries in order, one page at a time, so a long log never has to be in memory.
pub struct ChainVerifier<'a> {
    link: &'a dyn ChainLink,
    expected_seq: i64,
    prev: [u8; 32],
}

impl<'a> ChainVerifier<'a> {
    pub fn new(link: &'a dyn ChainLink) -> ChainVerifier<'a> {
        ChainVerifier {
            link,
            expected_seq: 1,
            prev: GENESIS,
        }
    }

    /// Checks the next entry with the hashes it was stored with.
    pub fn check(
        &mut self,
        record: &AuditRecord,
        stored_prev: &[u8; 32],
        stored_hash: &[u8; 32],
    ) -> Result<(), ChainBreak> {
        if record.seq != self.expected_seq {
            return Err(ChainBreak::Sequence {
                expected: self.expected_seq,
                found: record.seq,
            });
        }
        if stored_prev != &self.prev {
            return Err(ChainBreak::PrevMismatch { seq: record.seq });
        }
        if &self.link.link(stored_prev, record) != stored_hash {
            return Err(ChainBreak::HashMismatch { seq: record.seq });
        }
        self.prev = *stored_hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// How many entries were checked.
    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    /// The hash of the last entry checked (the head), for recording elsewhere.
    pub fn head(&self) -> [u8; 32] {
        self.prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: i64, action: &str) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 1_700_000_000_000 + seq,
            actor: "cli".into(),
            action: action.into(),
            object: format!("account:{seq}"),
        }
    }

    fn chain(link: &Blake3Link, n: i64) -> Vec<(AuditRecord, [u8; 32], [u8; 32])> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let r = record(seq, "account.create");
                let hash = link.link(&prev, &r);
                let entry = (r, prev, hash);
                prev = hash;
                entry
            })
            .collect()
    }

    fn verify(link: &Blake3Link, entries: &[(AuditRecord, [u8; 32], [u8; 32])]) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new(link);
        for (r, prev, hash) in entries {
            v.check(r, prev, hash)?;
        }
        Ok(v.count())
    }

    #[test]
    fn an_intact_chain_verifies() {
        let link = Blake3Link::new([7; 32]);
        assert_eq!(verify(&link, &chain(&link, 5)), Ok(5));
    }

    #[test]
    fn alteration_removal_and_reordering_are_each_named() {
        let link = Blake3Link::new([7; 32]);
        let mut altered = chain(&link, 5);
        altered[2].0.action = "account.disable".into();
        assert_eq!(verify(&link, &altered), Err(ChainBreak::HashMismatch { seq: 3 }));

        let mut removed = chain(&link, 5);
        removed.remove(1);
        assert_eq!(
            verify(&link, &removed),
            Err(ChainBreak::Sequence { expected: 2, found: 3 })
        );

        let mut swapped = chain(&link, 5);
        swapped.swap(1, 3);
        assert_eq!(
            verify(&link, &swapped),
            Err(ChainBreak::Sequence { expected: 2, found: 4 })
        );
    }

    #[test]
    fn a_chain_recomputed_without_the_key_does_not_verify() {
        let link = Blake3Link::new([7; 32]);
        let forger = Blake3Link::new([8; 32]);
        assert_eq!(
            verify(&link, &chain(&forger, 3)),
            Err(ChainBreak::HashMismatch { seq: 1 })
        );
    }

    #[test]
    fn fields_are_length_prefixed() {
        let link = Blake3Link::new([1; 32]);
        let mut a = record(1, "ab");
        a.object = "c".into();
        let mut b = record(1, "a");
        b.object = "bc".into();
        assert_ne!(link.link(&GENESIS, &a), link.link(&GENESIS, &b));
    }
}

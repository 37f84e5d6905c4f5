//! Blocking: which pairs are compared at all.
//!
//! Comparing every record with every other is quadratic, so records are only compared when
//! they share a block under at least one [`Rule`] (a union of rules: a pair missed by one rule
//! is found by another that does not depend on the field with the error). Each rule gives a
//! record a block key, or none when a field it needs is missing.
//!
//! A block larger than `max_block` records (a very common name) is not compared all against
//! all: its records are sorted by family key, given key and date, and each is compared with
//! its `window` neighbours on either side (sorted neighbourhood). The report counts such
//! blocks.
//!
//! The index per rule is a sorted vector of `(block key, record)`, kept so that records added
//! later are compared only with the members of their own blocks.

use rayon::prelude::*;

use crate::masculine_surname_key;
use crate::record::{Column, FieldKind, Schema};

/// A blocking rule: records with equal keys are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Family name (masculine key, so Иванова meets Иванов) and the first letter of the given
    /// name's key.
    FamilyAndGivenInitial,
    /// Given name (its group when it has one, else its key) and birth year.
    GivenAndBirthYear,
    /// Family name (masculine key) and birth year.
    FamilyAndBirthYear,
    /// The full birth date (year, month and day known).
    BirthDate,
    /// Family name (masculine key) and birth place key.
    FamilyAndPlace,
    /// Given name (group or key) and birth place key.
    GivenAndPlace,
    /// Given name (group or key) and the first three symbols of the family name key (a typo
    /// later in the family name).
    GivenAndFamilyPrefix,
    /// The exact value of an identifying text field (one whose values are mostly distinct,
    /// such as an identity number or an address): the field's index.
    Text(usize),
}

impl Rule {
    /// The rules that fit a schema: every name/date/place rule whose fields exist, and one
    /// rule per text field in `identifying` (chosen by the caller from the data).
    pub fn for_schema(schema: &Schema, identifying: &[usize]) -> Vec<Rule> {
        let has = |kind| schema.position(kind).is_some();
        let (given, family, date, place) = (
            has(FieldKind::GivenName),
            has(FieldKind::FamilyName),
            has(FieldKind::Date),
            has(FieldKind::Place),
        );
        let mut rules = Vec::new();
        if family && given {
            rules.push(Rule::FamilyAndGivenInitial);
        }
        if given && date {
            rules.push(Rule::GivenAndBirthYear);
        }
        if family && date {
            rules.push(Rule::FamilyAndBirthYear);
        }
        if date {
            rules.push(Rule::BirthDate);
        }
        if family && place {
            rules.push(Rule::FamilyAndPlace);
        }
        if given && place {
            rules.push(Rule::GivenAndPlace);
        }
        if given && family {
            rules.push(Rule::GivenAndFamilyPrefix);
        }
        rules.extend(identifying.iter().map(|&field| Rule::Text(field)));
        rules
    }

    /// The fields whose agreement the rule selects for (left out when `m` is estimated on the
    /// rule's pairs, as they agree there by construction).
    pub(crate) fn uses(&self, fields: &Fields) -> Vec<usize> {
        let list: &[Option<usize>] = match self {
            Rule::FamilyAndGivenInitial => &[fields.family, fields.given],
            Rule::GivenAndBirthYear => &[fields.given, fields.date],
            Rule::FamilyAndBirthYear => &[fields.family, fields.date],
            Rule::BirthDate => &[fields.date],
            Rule::FamilyAndPlace => &[fields.family, fields.place],
            Rule::GivenAndPlace => &[fields.given, fields.place],
            Rule::GivenAndFamilyPrefix => &[fields.given, fields.family],
            Rule::Text(field) => return vec![*field],
        };
        list.iter().flatten().copied().collect()
    }

    /// A description for reports.
    pub fn describe(&self, schema: &Schema) -> String {
        match self {
            Rule::FamilyAndGivenInitial => "family name key + given-name initial".into(),
            Rule::GivenAndBirthYear => "given name (group or key) + birth year".into(),
            Rule::FamilyAndBirthYear => "family name key + birth year".into(),
            Rule::BirthDate => "full birth date".into(),
            Rule::FamilyAndPlace => "family name key + birth place key".into(),
            Rule::GivenAndPlace => "given name (group or key) + birth place key".into(),
            Rule::GivenAndFamilyPrefix => "given name (group or key) + first 3 letters of the family key".into(),
            Rule::Text(field) => format!("{} (exact)", schema.fields.get(*field).map_or("?", |f| f.name.as_str())),
        }
    }

    /// The block key of a record, or `None` when a field the rule needs is missing.
    pub(crate) fn key(&self, columns: &[Column], fields: &Fields, record: usize) -> Option<u64> {
        let value = |field: Option<usize>| field.map(|f| columns[f].value(record)).filter(|_| true);
        let present = |field: Option<usize>| field.is_some_and(|f| columns[f].ids[record] != 0);
        // The family name's masculine key, hashed from its text so that a record with a
        // one-word name and no family name can take that word as its family name (it may be
        // either; see `compare_records`).
        let family = || {
            let f = fields.family?;
            if present(fields.family) {
                let alt = columns[f].value(record).alt;
                (alt != 0).then(|| text_hash(columns[f].keys.get(alt)))
            } else {
                let g = fields.given.filter(|_| present(fields.given))?;
                let word = masculine_surname_key(columns[g].key_of(record));
                (!word.is_empty()).then(|| text_hash(&word))
            }
        };
        let given =
            || present(fields.given).then(|| value(fields.given).map_or(0, |v| if v.alt != 0 { v.alt } else { v.key }));
        let initial = |field: Option<usize>| {
            field
                .and_then(|f| columns[f].key_of(record).chars().next())
                .map(u64::from)
                .filter(|_| present(field))
        };
        let date = || value(fields.date).map(|v| v.date).filter(|d| d.is_known());
        let place = || {
            value(fields.place)
                .map(|v| v.key)
                .filter(|&k| k != 0 && present(fields.place))
        };
        let parts: [u64; 3] = match self {
            Rule::FamilyAndGivenInitial => [family()?, initial(fields.given)?, 0],
            Rule::GivenAndBirthYear => [given()?.into(), date()?.year.into(), 0],
            Rule::FamilyAndBirthYear => [family()?, date()?.year.into(), 0],
            Rule::BirthDate => {
                let d = date()?;
                if d.day == 0 {
                    return None;
                }
                [
                    u64::from(d.year) << 16 | u64::from(d.month) << 8 | u64::from(d.day),
                    0,
                    0,
                ]
            }
            Rule::FamilyAndPlace => [family()?, place()?.into(), 0],
            Rule::GivenAndPlace => [given()?.into(), place()?.into(), 0],
            Rule::GivenAndFamilyPrefix => {
                let prefix = fields.family.filter(|_| present(fields.family)).map(|f| {
                    columns[f]
                        .key_of(record)
                        .chars()
                        .take(3)
                        .fold(0u64, |h, c| h << 21 | u64::from(c))
                })?;
                [given()?.into(), prefix, 1]
            }
            Rule::Text(field) => {
                let id = columns.get(*field)?.ids[record];
                if id == 0 {
                    return None;
                }
                [id.into(), 0, 0]
            }
        };
        Some(
            parts
                .iter()
                .fold(0xcbf2_9ce4_8422_2325u64, |hash, &part| mix(hash ^ part)),
        )
    }
}

/// A hash of a key's text (FNV-1a, then mixed).
fn text_hash(text: &str) -> u64 {
    mix(text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }))
}

/// A 64-bit mixer (the finaliser of SplitMix64): block keys spread over all 64 bits.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Where the fields that rules use are in the schema.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fields {
    pub given: Option<usize>,
    pub family: Option<usize>,
    pub date: Option<usize>,
    pub place: Option<usize>,
}

impl Fields {
    pub(crate) fn of(schema: &Schema) -> Fields {
        Fields {
            given: schema.position(FieldKind::GivenName),
            family: schema.position(FieldKind::FamilyName),
            date: schema.position(FieldKind::Date),
            place: schema.position(FieldKind::Place),
        }
    }
}

/// Limits on block sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLimits {
    /// Blocks with more records than this are compared by sorted neighbourhood.
    pub max_block: usize,
    /// Neighbours on either side compared in a block over the cap.
    pub window: usize,
    /// Pairs one rule may give per record: a rule whose blocks would give more gets a lower
    /// cap than `max_block` (see [`choose_cap`]).
    pub pairs_per_record: usize,
}

/// The block size cap of one rule, from the sizes of its blocks: the largest cap up to
/// `limits.max_block` at which the rule gives at most `limits.pairs_per_record` pairs per
/// record (blocks within the cap all against all, blocks over it `window` neighbours each),
/// and at least 2.
pub(crate) fn choose_cap(sizes: &[usize], records: usize, limits: BlockLimits) -> usize {
    let budget = (limits.pairs_per_record * records) as u64;
    let cost = |cap: usize| -> u64 {
        sizes
            .iter()
            .map(|&n| {
                if n <= cap {
                    (n * n.saturating_sub(1) / 2) as u64
                } else {
                    (n * limits.window) as u64
                }
            })
            .sum()
    };
    let (mut lo, mut hi) = (2usize, limits.max_block.max(2));
    if cost(hi) <= budget {
        return hi;
    }
    // cost grows with the cap (all-against-all beats the window once n > 2·window); search.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if cost(mid) <= budget { lo = mid } else { hi = mid - 1 }
    }
    lo
}

/// One rule's index: `(block key, record)` sorted.
#[derive(Debug, Default)]
pub(crate) struct Index {
    entries: Vec<(u64, u32)>,
}

/// What one rule contributed to a round of pair generation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCount {
    /// Candidate pairs the rule gave (before removing pairs other rules gave too).
    pub pairs: u64,
    /// Blocks over the size limit, compared by sorted neighbourhood.
    pub capped_blocks: u64,
    /// The rule's block size cap.
    pub cap: usize,
}

impl Index {
    /// Adds the records `new_from..` to the index and returns the candidate pairs `(a, b)`
    /// with `a < b` and `b` new. `order` gives each record's position in the sort used for
    /// capped blocks; `allowed` filters pairs (linkage compares only across sources).
    pub(crate) fn add(
        &mut self,
        keys: Vec<(u64, u32)>,
        limits: BlockLimits,
        order: &(dyn Fn(u32, u32) -> std::cmp::Ordering + Sync),
        allowed: &(dyn Fn(u32, u32) -> bool + Sync),
    ) -> (Vec<u64>, RuleCount) {
        let mut new = keys;
        new.par_sort_unstable();
        // Group the new entries by key, then find each group's old members.
        let groups: Vec<&[(u64, u32)]> = new.chunk_by(|a, b| a.0 == b.0).collect();
        let old = &self.entries;
        let results: Vec<(Vec<u64>, bool)> = groups
            .par_iter()
            .map(|group| {
                let key = group[0].0;
                let start = old.partition_point(|e| e.0 < key);
                let end = old.partition_point(|e| e.0 <= key);
                let old_members: Vec<u32> = old[start..end].iter().map(|e| e.1).collect();
                let new_members: Vec<u32> = group.iter().map(|e| e.1).collect();
                block_pairs(&old_members, &new_members, limits, order, allowed)
            })
            .collect();
        let mut count = RuleCount::default();
        let mut pairs = Vec::new();
        for (block, capped) in results {
            count.pairs += block.len() as u64;
            count.capped_blocks += u64::from(capped);
            pairs.extend(block);
        }
        self.entries.extend(new);
        self.entries.par_sort_unstable();
        (pairs, count)
    }
}

/// Packs a pair with `a < b` into one `u64`.
pub(crate) fn pack(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    u64::from(lo) << 32 | u64::from(hi)
}

/// Unpacks a pair packed by [`pack`].
pub(crate) fn unpack(pair: u64) -> (u32, u32) {
    ((pair >> 32) as u32, pair as u32)
}

/// The pairs of one block: every new member with every old one and every other new one, or,
/// for a block over the limit, each new member with its `window` neighbours in `order`.
fn block_pairs(
    old: &[u32],
    new: &[u32],
    limits: BlockLimits,
    order: &(dyn Fn(u32, u32) -> std::cmp::Ordering + Sync),
    allowed: &(dyn Fn(u32, u32) -> bool + Sync),
) -> (Vec<u64>, bool) {
    let mut pairs = Vec::new();
    if old.len() + new.len() <= limits.max_block {
        for (i, &b) in new.iter().enumerate() {
            for &a in old.iter().chain(&new[..i]) {
                if allowed(a, b) {
                    pairs.push(pack(a, b));
                }
            }
        }
        return (pairs, false);
    }
    // Sorted neighbourhood: all members in order; new ones meet their neighbours.
    let mut members: Vec<(u32, bool)> = old
        .iter()
        .map(|&r| (r, false))
        .chain(new.iter().map(|&r| (r, true)))
        .collect();
    members.sort_by(|a, b| order(a.0, b.0).then(a.0.cmp(&b.0)));
    for (i, &(b, is_new)) in members.iter().enumerate() {
        if !is_new {
            continue;
        }
        let lo = i.saturating_sub(limits.window);
        let hi = (i + limits.window + 1).min(members.len());
        for &(a, a_new) in &members[lo..hi] {
            // A pair of two new members is given once, by the later of the two.
            if a == b || (a_new && a > b) {
                continue;
            }
            if allowed(a, b) {
                pairs.push(pack(a, b));
            }
        }
    }
    (pairs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_order(_: u32, _: u32) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }

    fn all(_: u32, _: u32) -> bool {
        true
    }

    #[test]
    fn pack_orders_and_unpacks() {
        assert_eq!(unpack(pack(7, 3)), (3, 7));
        assert_eq!(pack(3, 7), pack(7, 3));
    }

    #[test]
    fn adding_in_two_rounds_gives_the_pairs_of_one_round() {
        let limits = BlockLimits {
            max_block: 100,
            window: 2,
            pairs_per_record: 100,
        };
        let keys: Vec<(u64, u32)> = (0..20u32).map(|r| (u64::from(r % 3), r)).collect();
        let mut once = Index::default();
        let (mut all_at_once, _) = once.add(keys.clone(), limits, &no_order, &all);
        let mut twice = Index::default();
        let (mut first, _) = twice.add(keys[..9].to_vec(), limits, &no_order, &all);
        let (second, _) = twice.add(keys[9..].to_vec(), limits, &no_order, &all);
        first.extend(second);
        all_at_once.sort_unstable();
        first.sort_unstable();
        assert_eq!(all_at_once, first);
        // Every pair within a block, and no other: 20 records in blocks of 7, 7, 6.
        assert_eq!(all_at_once.len(), 21 + 21 + 15);
        assert!(all_at_once.iter().all(|&p| {
            let (a, b) = unpack(p);
            a < b && a % 3 == b % 3
        }));
    }

    #[test]
    fn a_block_over_the_limit_compares_neighbours_only() {
        let limits = BlockLimits {
            max_block: 5,
            window: 2,
            pairs_per_record: 100,
        };
        let keys: Vec<(u64, u32)> = (0..10u32).map(|r| (1, r)).collect();
        let order = |a: u32, b: u32| a.cmp(&b);
        let (pairs, count) = Index::default().add(keys, limits, &order, &all);
        assert_eq!(count.capped_blocks, 1);
        // Each record meets the next two: 9 + 8 pairs.
        assert_eq!(pairs.len(), 17);
        assert!(pairs.iter().all(|&p| {
            let (a, b) = unpack(p);
            b - a <= 2
        }));
    }

    #[test]
    fn the_cap_keeps_a_rule_within_its_budget() {
        let limits = BlockLimits {
            max_block: 500,
            window: 2,
            pairs_per_record: 4,
        };
        // 1,000 records in blocks of 10 give 4.5 pairs per record: over budget, so capped.
        let sizes = vec![10; 100];
        let cap = choose_cap(&sizes, 1000, limits);
        assert!(cap < 10, "{cap}");
        // Small blocks stay whole.
        assert_eq!(choose_cap(&[3; 100], 300, limits), 500);
    }

    #[test]
    fn disallowed_pairs_are_left_out() {
        let limits = BlockLimits {
            max_block: 100,
            window: 2,
            pairs_per_record: 100,
        };
        let keys: Vec<(u64, u32)> = (0..6u32).map(|r| (1, r)).collect();
        let across = |a: u32, b: u32| a % 2 != b % 2;
        let (pairs, _) = Index::default().add(keys, limits, &no_order, &across);
        assert_eq!(pairs.len(), 9);
    }
}

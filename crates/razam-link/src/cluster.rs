//! Clustering: records joined by links above the threshold, and stable cluster ids.
//!
//! Clusters are the connected components of the accepted links (union–find with path halving
//! and union by size), so adding links later never needs the earlier ones again.
//!
//! A cluster's id is the smallest record id among its members (byte order of the id text). It
//! does not depend on the order of the input or on the internal numbering, so a re-run on the
//! same records gives the same ids; it changes only when a record with a smaller id joins the
//! cluster or two clusters merge (the merged one takes the smaller of the two ids).

use std::collections::HashMap;

/// Disjoint sets over records `0..n`.
#[derive(Clone, Debug, Default)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` records, each alone.
    pub fn new(n: usize) -> UnionFind {
        let mut sets = UnionFind::default();
        sets.grow(n);
        sets
    }

    /// Adds records up to `n` in all, each alone.
    pub fn grow(&mut self, n: usize) {
        let start = self.parent.len();
        if n > start {
            self.parent.extend((start..n).map(|i| i as u32));
            self.size.resize(n, 1);
        }
    }

    /// Records in all.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Joins the sets of `a` and `b`; false when they were one already.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
        true
    }

    /// The size of `x`'s set.
    pub fn set_size(&mut self, x: u32) -> u32 {
        let root = self.find(x);
        self.size[root as usize]
    }

    /// For each record, the index (in `ids`) of the smallest id of its set: the stable
    /// cluster id.
    pub fn stable_ids<S: AsRef<str>>(&mut self, ids: &[S]) -> Vec<u32> {
        let n = self.len().min(ids.len());
        let mut smallest: Vec<u32> = (0..self.len() as u32).collect();
        for record in 0..n as u32 {
            let root = self.find(record) as usize;
            if ids[record as usize].as_ref() < ids[smallest[root] as usize].as_ref() {
                smallest[root] = record;
            }
        }
        (0..n as u32)
            .map(|record| smallest[self.find(record) as usize])
            .collect()
    }
}

/// For each record, the position of the record with the smallest id in its cluster, given
/// each record's cluster label (any member's position).
pub(crate) fn smallest_ids<S: AsRef<str>>(labels: &[u32], ids: &[S]) -> Vec<u32> {
    let mut smallest: Vec<u32> = (0..labels.len() as u32).collect();
    for (record, &label) in labels.iter().enumerate() {
        let best = &mut smallest[label as usize];
        if ids[record].as_ref() < ids[*best as usize].as_ref() {
            *best = record as u32;
        }
    }
    labels.iter().map(|&label| smallest[label as usize]).collect()
}

/// Average-linkage clustering of one connected component, against chaining.
///
/// `members` are the component's records, sorted by id text so that the result does not
/// depend on internal numbering; `edges` the links between them as `(a, b, p)` with `a`, `b`
/// positions in `members` and `p` the match probability. Starting from single records, the
/// two clusters with the highest average link probability are merged, a pair without a link
/// counting 0, while that average is at least `min_average`. One strong link between two big
/// clusters (a namesake bridging two persons) averages out small and does not merge them;
/// a record linked to most members of a cluster joins it.
///
/// With `sources` (linking files, each free of duplicates), two clusters that hold records of
/// the same source are never merged: a cluster has at most one record per file.
///
/// Returns for each member the position (in `members`) of its cluster's first member.
pub(crate) fn average_linkage(
    size: usize,
    edges: &[(u32, u32, f64)],
    min_average: f64,
    sources: Option<&[u8]>,
) -> Vec<u32> {
    use std::collections::{BinaryHeap, HashMap};

    #[derive(PartialEq)]
    struct Candidate {
        average: f64,
        a: u32,
        b: u32,
        stamp: (u32, u32),
    }
    impl Eq for Candidate {}
    impl PartialOrd for Candidate {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Candidate {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.average
                .total_cmp(&other.average)
                .then_with(|| other.a.cmp(&self.a))
                .then_with(|| other.b.cmp(&self.b))
        }
    }

    let mut sets = UnionFind::new(size);
    let mut sizes = vec![1u32; size];
    // Per cluster: the sources of its records, one bit each.
    let mut held: Vec<u8> = (0..size).map(|m| sources.map_or(0, |s| 1u8 << (s[m] % 8))).collect();
    let mut version = vec![0u32; size];
    let mut adjacency: Vec<HashMap<u32, f64>> = vec![HashMap::new(); size];
    for &(a, b, p) in edges {
        if a != b {
            *adjacency[a as usize].entry(b).or_insert(0.0) += p;
            *adjacency[b as usize].entry(a).or_insert(0.0) += p;
        }
    }
    let mut heap = BinaryHeap::new();
    for (a, neighbours) in adjacency.iter().enumerate() {
        for (&b, &sum) in neighbours {
            if (a as u32) < b {
                heap.push(Candidate {
                    average: sum,
                    a: a as u32,
                    b,
                    stamp: (0, 0),
                });
            }
        }
    }
    while let Some(Candidate { average, a, b, stamp }) = heap.pop() {
        if average < min_average {
            break;
        }
        if stamp != (version[a as usize], version[b as usize]) || held[a as usize] & held[b as usize] != 0 {
            continue;
        }
        // Merge the smaller adjacency into the larger; the survivor keeps the smaller index.
        let (keep, gone) = if a < b { (a, b) } else { (b, a) };
        let moved = std::mem::take(&mut adjacency[gone as usize]);
        for (other, sum) in moved {
            if other == keep {
                continue;
            }
            adjacency[other as usize].remove(&gone);
            *adjacency[other as usize].entry(keep).or_insert(0.0) += sum;
            *adjacency[keep as usize].entry(other).or_insert(0.0) += sum;
        }
        adjacency[keep as usize].remove(&gone);
        sets.union(keep, gone);
        sizes[keep as usize] += sizes[gone as usize];
        held[keep as usize] |= held[gone as usize];
        version[keep as usize] += 1;
        version[gone as usize] += 1;
        for (&other, &sum) in &adjacency[keep as usize] {
            let average = sum / (f64::from(sizes[keep as usize]) * f64::from(sizes[other as usize]));
            let (x, y) = if keep < other { (keep, other) } else { (other, keep) };
            heap.push(Candidate {
                average,
                a: x,
                b: y,
                stamp: (version[x as usize], version[y as usize]),
            });
        }
    }
    let mut first = vec![u32::MAX; size];
    (0..size as u32)
        .map(|m| {
            let root = sets.find(m) as usize;
            if first[root] == u32::MAX {
                first[root] = m;
            }
            first[root]
        })
        .collect()
}

/// Pairwise precision, recall and F1 of predicted clusters against true ones, both given as
/// one label per record (for measuring the engine against a known truth).
pub fn pairwise_scores<P: AsRef<str>, T: AsRef<str>>(predicted: &[P], truth: &[T]) -> (f64, f64, f64) {
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut by_pred: HashMap<&str, u64> = HashMap::new();
    let mut by_truth: HashMap<&str, u64> = HashMap::new();
    let mut by_both: HashMap<(&str, &str), u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *by_pred.entry(p.as_ref()).or_default() += 1;
        *by_truth.entry(t.as_ref()).or_default() += 1;
        *by_both.entry((p.as_ref(), t.as_ref())).or_default() += 1;
    }
    let predicted_pairs: u64 = by_pred.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = by_truth.values().map(|&n| pairs(n)).sum();
    let both: u64 = by_both.values().map(|&n| pairs(n)).sum();
    let precision = both as f64 / predicted_pairs.max(1) as f64;
    let recall = both as f64 / true_pairs.max(1) as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{UnionFind, average_linkage, pairwise_scores};

    #[test]
    fn pairwise_scores_count_pairs() {
        // Truth {a, b, c} {d}; predicted {a, b} {c, d}: 1 of 2 predicted pairs is true, 1 of 3
        // true pairs is found.
        let (p, r, f1) = pairwise_scores(&["1", "1", "2", "2"], &["x", "x", "x", "y"]);
        assert!((p - 0.5).abs() < 1e-12 && (r - 1.0 / 3.0).abs() < 1e-12, "{p} {r}");
        assert!((f1 - 0.4).abs() < 1e-12, "{f1}");
        assert_eq!(pairwise_scores(&["1", "1"], &["x", "x"]), (1.0, 1.0, 1.0));
    }

    #[test]
    fn one_bridge_does_not_join_two_dense_clusters() {
        // Two cliques of four (0..4, 4..8) and one weaker link 3–4.
        let mut edges = Vec::new();
        for group in [0u32, 4] {
            for a in group..group + 4 {
                for b in a + 1..group + 4 {
                    edges.push((a, b, 0.99));
                }
            }
        }
        edges.push((3, 4, 0.9));
        let clusters = average_linkage(8, &edges, 0.3, None);
        assert_eq!(clusters, vec![0, 0, 0, 0, 4, 4, 4, 4]);
        // Plain components would join them; a low bar joins them too.
        assert_eq!(average_linkage(8, &edges, 0.01, None), vec![0; 8]);
        // A record linked to three of four members joins.
        edges.push((8, 0, 0.9));
        edges.push((8, 1, 0.9));
        edges.push((8, 2, 0.9));
        assert_eq!(average_linkage(9, &edges, 0.3, None)[8], 0);
        // Linking two files: 1 and 2 (file 0) both match 0 (file 1), only one of them joins it.
        let edges = [(0, 1, 0.99), (0, 2, 0.9)];
        assert_eq!(average_linkage(3, &edges, 0.3, Some(&[1, 0, 0])), vec![0, 0, 2]);
    }

    #[test]
    fn links_make_components() {
        let mut sets = UnionFind::new(6);
        assert!(sets.union(0, 1));
        assert!(sets.union(2, 1));
        assert!(!sets.union(0, 2));
        sets.union(4, 5);
        assert_eq!(sets.find(0), sets.find(2));
        assert_ne!(sets.find(0), sets.find(3));
        assert_eq!(sets.set_size(5), 2);
        let ids = ["c", "b", "a", "d", "f", "e"];
        assert_eq!(sets.stable_ids(&ids), vec![2, 2, 2, 3, 5, 5]);
    }

    proptest! {
        /// Average linkage gives a partition: every record's label is the first member of its
        /// cluster, and that member is labelled with itself.
        #[test]
        fn average_linkage_partitions(
            links in prop::collection::vec((0u32..20, 0u32..20, 0.0f64..1.0), 0..60),
            min_average in 0.05f64..0.9,
        ) {
            let labels = average_linkage(20, &links, min_average, None);
            for (i, &label) in labels.iter().enumerate() {
                prop_assert!(label as usize <= i);
                prop_assert_eq!(labels[label as usize], label);
            }
        }

        /// Clusters are a partition, and the cluster id of every record is the smallest id of
        /// its cluster, whatever order the records and links come in.
        #[test]
        fn stable_ids_do_not_depend_on_order(
            links in prop::collection::vec((0u32..30, 0u32..30), 0..40),
            rotation in 0usize..30,
        ) {
            let ids: Vec<String> = (0..30).map(|i| format!("id{:02}", (i * 7) % 30)).collect();
            let mut sets = UnionFind::new(30);
            for &(a, b) in &links {
                sets.union(a, b);
            }
            let clusters: Vec<String> = sets.stable_ids(&ids).iter().map(|&i| ids[i as usize].clone()).collect();
            // The same records renumbered by a rotation, the links in reverse order.
            let at = |i: u32| ((i as usize + rotation) % 30) as u32;
            let mut rotated_ids = vec![String::new(); 30];
            for i in 0..30u32 {
                rotated_ids[at(i) as usize] = ids[i as usize].clone();
            }
            let mut other = UnionFind::new(30);
            for &(a, b) in links.iter().rev() {
                other.union(at(b), at(a));
            }
            let other_clusters = other.stable_ids(&rotated_ids);
            for i in 0..30u32 {
                prop_assert_eq!(&rotated_ids[other_clusters[at(i) as usize] as usize], &clusters[i as usize]);
                // The id belongs to a member of the same cluster and is its smallest.
                let mine = sets.find(i);
                let members: Vec<&String> = (0..30u32).filter(|&j| sets.find(j) == mine).map(|j| &ids[j as usize]).collect();
                prop_assert!(members.contains(&&clusters[i as usize]));
                prop_assert!(members.iter().all(|m| **m >= clusters[i as usize]));
            }
        }
    }
}

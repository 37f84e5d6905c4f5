//! The linkage engine: records in, clusters out, more records later.
//!
//! [`Linker::fit`] prepares the records, blocks them ([`crate::block`]), compares the blocked
//! pairs field by field, estimates `u` on random pairs and `m` by EM ([`crate::em`]), scores
//! every pair with term-frequency adjusted weights, and joins the pairs at or above the
//! threshold into clusters ([`crate::cluster`]). It keeps the prepared columns, the block
//! indexes, the parameters and the clusters, so [`Linker::add`] compares only the new records
//! with the members of their blocks and adds their links to the clusters.
//!
//! Adding records in several rounds gives the same clusters as adding them in one round with
//! the same [`Parameters`], as long as no block grows past the size limit (a capped block is
//! compared by sorted neighbourhood, whose neighbours depend on who was there first). A linker
//! made by `fit` on part of the records and then given the rest differs from one fitted on
//! all records only through the parameters (estimated on the first part, term frequencies of
//! the first part).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::block::{BlockLimits, Fields, Index, Rule, RuleCount, choose_cap, pack, unpack};
use crate::cluster::{UnionFind, average_linkage, smallest_ids};
use crate::compare::{
    Agreement, LevelProbabilities, compare_dates, graded, initials_fit, names_similar, probability_of_weight,
    text_level, words_within,
};
use crate::em::{Estimate, LEVELS, RulePatterns, estimate_by_rule, level_of, levels, random_pairs, u_from_vectors};
use crate::record::{Column, FieldKind, Record, Schema};

/// Errors of the engine: all of them bad input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// A record has an empty id.
    #[error("record {index} has an empty id")]
    EmptyId {
        /// The record's position in the batch given.
        index: usize,
    },
    /// Two records share an id.
    #[error("record {index} repeats the id {id:?}")]
    DuplicateId {
        /// The record's position in the batch given.
        index: usize,
        /// The repeated id.
        id: String,
    },
    /// A record has another number of values than the schema has fields.
    #[error("record {index} has {got} values, the schema {expected} fields")]
    WrongLength {
        /// The record's position in the batch given.
        index: usize,
        /// Values in the record.
        got: usize,
        /// Fields in the schema.
        expected: usize,
    },
    /// The schema has too many fields.
    #[error("at most {max} fields can be compared, the schema has {got}")]
    TooManyFields {
        /// Fields in the schema.
        got: usize,
        /// The limit.
        max: usize,
    },
}

/// How the engine runs. [`Settings::default`] gives the values the CLI uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Pairs with a match probability at or above this are linked (default 0.5).
    pub threshold: f64,
    /// Block size limit, window and pair budget per rule (default 500 records, 10 neighbours
    /// each side, 10 pairs per record).
    pub limits: BlockLimits,
    /// Random pairs drawn to estimate `u` (default 1,000,000).
    pub u_pairs: usize,
    /// EM iterations at most (default 100) and the change at which EM stops (default 1e-6).
    pub max_iterations: usize,
    /// See `max_iterations`.
    pub tolerance: f64,
    /// Whether agreeing names, dates, places and text weigh by how rare the value is (default
    /// true).
    pub term_frequencies: bool,
    /// Compare only records of different sources (linking two files) instead of all (default
    /// false: deduplication).
    pub across_sources_only: bool,
    /// Clustering: `None` joins every link (connected components); `Some(a)` merges clusters
    /// by average link probability while it is at least `a`, against chaining (default
    /// `Some(0.25)`; see [`crate::cluster`]).
    pub min_average: Option<f64>,
    /// A text field is an identifying blocking key when its distinct values are at least this
    /// share of the records that have it (default 0.2).
    pub identifying_share: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            threshold: 0.5,
            limits: BlockLimits {
                max_block: 500,
                window: 10,
                pairs_per_record: 10,
            },
            u_pairs: 1_000_000,
            max_iterations: 100,
            tolerance: 1e-6,
            term_frequencies: true,
            across_sources_only: false,
            identifying_share: 0.2,
            min_average: Some(0.25),
        }
    }
}

/// Everything a linker needs to score pairs, estimated by [`Linker::fit`]; give it to
/// [`Linker::with_parameters`] to link more records the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameters {
    /// The fields.
    pub schema: Schema,
    /// The blocking rules.
    pub rules: Vec<Rule>,
    /// Per rule: the block size cap chosen when fitting.
    pub caps: Vec<usize>,
    /// The probability that two records taken at random are one person (the prior): the
    /// matches EM expects among the blocked pairs over all pairs there are.
    pub lambda: f64,
    /// `m` and `u` of each level of each field.
    pub fields: Vec<LevelProbabilities>,
    /// Per field: how many records had each key when the parameters were estimated.
    pub term_counts: Vec<HashMap<String, u32>>,
    /// Per field: how many records had a value.
    pub term_totals: Vec<u32>,
    /// How EM went.
    pub estimate: Estimate,
}

/// What a fit or an add did, for the report the CLI prints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Records added.
    pub records: usize,
    /// Per rule: its description and its counts.
    pub rules: Vec<(String, RuleCount)>,
    /// Distinct pairs compared.
    pub pairs_compared: u64,
    /// Pairs at or above the threshold.
    pub links: u64,
    /// Clusters after the round.
    pub clusters: usize,
}

/// Told how far a long run is; the CLI draws a progress bar with it. Every method has a
/// default that does nothing.
pub trait Progress: Sync {
    /// A stage begins with `total` steps.
    fn stage(&self, _name: &str, _total: u64) {}
    /// `steps` more steps are done.
    fn advance(&self, _steps: u64) {}
}

/// A [`Progress`] that shows nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// Prepared records, block indexes, parameters and clusters.
pub struct Linker {
    settings: Settings,
    schema: Schema,
    fields: Fields,
    columns: Vec<Column>,
    ids: Vec<Box<str>>,
    id_hashes: HashMap<u64, u32>,
    id_overflow: HashSet<Box<str>>,
    sources: Vec<u8>,
    rules: Vec<Rule>,
    /// Per rule: its block size cap, chosen on the first records.
    caps: Vec<usize>,
    indexes: Vec<Index>,
    parameters: Option<Parameters>,
    /// Per field, per key id: the term count used for scoring (0: unknown, counts as 1).
    term_counts: Vec<Vec<u32>>,
    clusters: UnionFind,
    /// The accepted links: packed pair and match weight.
    links: Vec<(u64, f32)>,
    /// Per record: its cluster's label (a member's position).
    labels: Vec<u32>,
}

const PROGRESS_CHUNK: usize = 65_536;

impl Linker {
    fn empty(schema: Schema, settings: Settings) -> Result<Linker, LinkError> {
        if schema.fields.len() > Schema::MAX_FIELDS {
            return Err(LinkError::TooManyFields {
                got: schema.fields.len(),
                max: Schema::MAX_FIELDS,
            });
        }
        Ok(Linker {
            settings,
            fields: Fields::of(&schema),
            columns: schema.fields.iter().map(|f| Column::new(f.kind)).collect(),
            term_counts: vec![Vec::new(); schema.fields.len()],
            schema,
            ids: Vec::new(),
            id_hashes: HashMap::new(),
            id_overflow: HashSet::new(),
            sources: Vec::new(),
            rules: Vec::new(),
            caps: Vec::new(),
            indexes: Vec::new(),
            parameters: None,
            clusters: UnionFind::default(),
            links: Vec::new(),
            labels: Vec::new(),
        })
    }

    /// Links `records` from scratch: estimates the parameters on them and clusters them.
    pub fn fit(
        schema: Schema,
        settings: Settings,
        records: Vec<Record>,
        progress: &dyn Progress,
    ) -> Result<(Linker, Report), LinkError> {
        let mut linker = Linker::empty(schema, settings)?;
        linker.push_records(records)?;
        let identifying: Vec<usize> = linker
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.kind == FieldKind::Text
                    && c.present > 0
                    && (c.texts.len() - 1) as f64 >= settings.identifying_share * f64::from(c.present)
            })
            .map(|(i, _)| i)
            .collect();
        linker.rules = Rule::for_schema(&linker.schema, &identifying);
        linker.indexes = linker.rules.iter().map(|_| Index::default()).collect();
        let (pairs, rule_counts) = linker.candidate_pairs(0, progress);
        let vectors = linker.compare_pairs(&pairs, progress);

        // u from random pairs; m and λ by EM on the blocked pairs.
        progress.stage("estimating u", 0);
        let u = u_from_vectors(&linker.random_vectors(), linker.columns.len());
        progress.stage("estimating m", 0);
        let (patterns, uses) = linker.patterns_by_rule(&pairs, &vectors);
        let estimate = estimate_by_rule(&patterns, &uses, &u, settings.max_iterations, settings.tolerance);
        // The prior of a pair taken at random: the matches expected among the blocked pairs
        // over all pairs there are.
        let expected_matches = estimate.lambda * pairs.len() as f64;
        let lambda = (expected_matches / linker.possible_pairs()).clamp(1e-15, 0.5);
        linker.term_counts = linker.columns.iter().map(|c| c.key_counts.clone()).collect();
        linker.parameters = Some(Parameters {
            schema: linker.schema.clone(),
            rules: linker.rules.clone(),
            caps: linker.caps.clone(),
            lambda,
            fields: levels(&estimate.m, &u),
            term_counts: Vec::new(),
            term_totals: linker.columns.iter().map(|c| c.present).collect(),
            estimate,
        });
        progress.stage("linking", 0);
        let links = linker.link(&pairs, &vectors, progress);
        progress.stage("done", 0);
        let report = linker.report(linker.ids.len(), rule_counts, pairs.len(), links);
        Ok((linker, report))
    }

    /// A linker with no records that scores with `parameters` (from [`Linker::parameters`]).
    pub fn with_parameters(settings: Settings, parameters: Parameters) -> Result<Linker, LinkError> {
        let mut linker = Linker::empty(parameters.schema.clone(), settings)?;
        linker.rules = parameters.rules.clone();
        linker.caps = parameters.caps.clone();
        linker.indexes = linker.rules.iter().map(|_| Index::default()).collect();
        linker.parameters = Some(parameters);
        Ok(linker)
    }

    /// Adds records: compares them with the records of their blocks (old and new), scores with
    /// the parameters as they are and adds the links to the clusters.
    pub fn add(&mut self, records: Vec<Record>, progress: &dyn Progress) -> Result<Report, LinkError> {
        let first = self.ids.len();
        self.push_records(records)?;
        self.refresh_term_counts();
        let (pairs, rule_counts) = self.candidate_pairs(first, progress);
        let vectors = self.compare_pairs(&pairs, progress);
        let links = self.link(&pairs, &vectors, progress);
        Ok(self.report(self.ids.len() - first, rule_counts, pairs.len(), links))
    }

    /// The parameters, with the term counts spelled out by key.
    pub fn parameters(&self) -> Option<Parameters> {
        let mut parameters = self.parameters.clone()?;
        if parameters.term_counts.is_empty() {
            parameters.term_counts = self
                .columns
                .iter()
                .zip(&self.term_counts)
                .map(|(column, counts)| {
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, count)| **count > 0)
                        .map(|(key, &count)| (column.keys.get(key as u32).to_owned(), count))
                        .collect()
                })
                .collect();
        }
        Some(parameters)
    }

    /// The accepted links: the two records (by position) and the match weight.
    pub fn links(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.links.iter().map(|&(pair, weight)| {
            let (a, b) = unpack(pair);
            (a as usize, b as usize, f64::from(weight))
        })
    }

    /// The record ids, in the order they were added.
    pub fn ids(&self) -> &[Box<str>] {
        &self.ids
    }

    /// For each record (in the order added), its stable cluster id: the smallest record id of
    /// its cluster.
    pub fn cluster_ids(&self) -> Vec<&str> {
        let smallest = smallest_ids(&self.labels, &self.ids);
        smallest.iter().map(|&i| &*self.ids[i as usize]).collect()
    }

    /// The evidence of one pair of records (by position), with the weights the linker uses.
    pub fn explain(&self, a: usize, b: usize) -> Option<Vec<(Agreement, f64)>> {
        let parameters = self.parameters.as_ref()?;
        if a >= self.ids.len() || b >= self.ids.len() {
            return None;
        }
        let gamma = compare_records(&self.columns, &self.fields, a, b);
        Some(
            (0..self.columns.len())
                .map(|f| {
                    let level = level_of(gamma, f);
                    (Agreement::ALL[level], self.field_weight(parameters, f, level, a, b))
                })
                .collect(),
        )
    }

    fn push_records(&mut self, records: Vec<Record>) -> Result<(), LinkError> {
        let expected = self.schema.fields.len();
        let mut seen_here: HashSet<&str> = HashSet::new();
        for (index, record) in records.iter().enumerate() {
            if record.id.is_empty() {
                return Err(LinkError::EmptyId { index });
            }
            if record.values.len() != expected {
                return Err(LinkError::WrongLength {
                    index,
                    got: record.values.len(),
                    expected,
                });
            }
            if !seen_here.insert(&record.id) || self.knows_id(&record.id) {
                return Err(LinkError::DuplicateId {
                    index,
                    id: record.id.clone(),
                });
            }
        }
        for record in records {
            let position = self.ids.len() as u32;
            let hash = id_hash(&record.id);
            if self.id_hashes.insert(hash, position).is_some() {
                self.id_overflow.insert(Box::from(record.id.as_str()));
            }
            for (column, value) in self.columns.iter_mut().zip(&record.values) {
                column.push(value);
            }
            self.ids.push(record.id.into_boxed_str());
            self.sources.push(record.source);
        }
        self.clusters.grow(self.ids.len());
        let known = self.labels.len() as u32;
        self.labels.extend(known..self.ids.len() as u32);
        Ok(())
    }

    fn knows_id(&self, id: &str) -> bool {
        match self.id_hashes.get(&id_hash(id)) {
            Some(&position) => &*self.ids[position as usize] == id || self.id_overflow.contains(id),
            None => false,
        }
    }

    /// Term counts of keys first seen since the parameters were fixed: from the parameters'
    /// table when it has them (a linker made with parameters), else unknown (counted as 1).
    fn refresh_term_counts(&mut self) {
        let Some(parameters) = &self.parameters else { return };
        for (field, column) in self.columns.iter().enumerate() {
            let counts = &mut self.term_counts[field];
            let known = counts.len();
            let table = parameters.term_counts.get(field);
            counts.extend((known..column.keys.len()).map(|key| {
                table
                    .and_then(|t| t.get(column.keys.get(key as u32)).copied())
                    .unwrap_or(0)
            }));
        }
    }

    /// Blocks the records `first..` and returns the distinct candidate pairs, sorted.
    fn candidate_pairs(&mut self, first: usize, progress: &dyn Progress) -> (Vec<u64>, Vec<(String, RuleCount)>) {
        progress.stage("blocking", self.rules.len() as u64);
        let columns = &self.columns;
        let fields = self.fields;
        let sources = &self.sources;
        let across = self.settings.across_sources_only;
        let allowed = |a: u32, b: u32| !across || sources[a as usize] != sources[b as usize];
        let sort_key = |r: u32| {
            let r = r as usize;
            let key = |f: Option<usize>| f.map_or("", |f| columns[f].key_of(r));
            (key(fields.family), key(fields.given), key(fields.date))
        };
        let order = |a: u32, b: u32| sort_key(a).cmp(&sort_key(b));
        let mut all = Vec::new();
        let mut counts = Vec::new();
        for (i, (rule, index)) in self.rules.iter().zip(self.indexes.iter_mut()).enumerate() {
            let mut keys: Vec<(u64, u32)> = (first..self.ids.len())
                .into_par_iter()
                .filter_map(|r| rule.key(columns, &fields, r).map(|k| (k, r as u32)))
                .collect();
            keys.par_sort_unstable();
            if self.caps.len() <= i {
                let sizes: Vec<usize> = keys.chunk_by(|a, b| a.0 == b.0).map(<[_]>::len).collect();
                self.caps
                    .push(choose_cap(&sizes, self.ids.len() - first, self.settings.limits));
            }
            let limits = BlockLimits {
                max_block: self.caps[i],
                ..self.settings.limits
            };
            let (pairs, count) = index.add(keys, limits, &order, &allowed);
            all.extend(pairs);
            counts.push((
                rule.describe(&self.schema),
                RuleCount {
                    cap: self.caps[i],
                    ..count
                },
            ));
            progress.advance(1);
        }
        all.par_sort_unstable();
        all.dedup();
        all.shrink_to_fit();
        (all, counts)
    }

    /// The comparison vector of every pair, written in place (no second copy of the vectors
    /// while they are gathered).
    fn compare_pairs(&self, pairs: &[u64], progress: &dyn Progress) -> Vec<u64> {
        progress.stage("comparing pairs", pairs.len() as u64);
        let mut vectors = vec![0u64; pairs.len()];
        vectors
            .par_chunks_mut(PROGRESS_CHUNK)
            .zip(pairs.par_chunks(PROGRESS_CHUNK))
            .for_each(|(out, chunk)| {
                for (vector, &pair) in out.iter_mut().zip(chunk) {
                    let (a, b) = unpack(pair);
                    *vector = compare_records(&self.columns, &self.fields, a as usize, b as usize);
                }
                progress.advance(chunk.len() as u64);
            });
        vectors
    }

    /// All pairs there are: n(n-1)/2, or n0 × n1 when only pairs across sources count.
    fn possible_pairs(&self) -> f64 {
        let n = self.ids.len() as f64;
        if self.settings.across_sources_only {
            let first = self.sources.iter().filter(|&&s| s == 0).count() as f64;
            (first * (n - first)).max(1.0)
        } else {
            (n * (n - 1.0) / 2.0).max(1.0)
        }
    }

    /// The comparison vectors of the pairs, counted by vector and by the set of rules whose
    /// blocks hold both records (bit `r` for rule `r`), and the fields each rule uses.
    fn patterns_by_rule(&self, pairs: &[u64], vectors: &[u64]) -> (RulePatterns, Vec<Vec<usize>>) {
        // Each rule's key per record; 0 for none (a real key of 0 is read as 1).
        let keys: Vec<Vec<u64>> = self
            .rules
            .iter()
            .map(|rule| {
                (0..self.ids.len())
                    .into_par_iter()
                    .map(|r| rule.key(&self.columns, &self.fields, r).map_or(0, |k| k.max(1)))
                    .collect()
            })
            .collect();
        let patterns = pairs
            .par_iter()
            .zip(vectors.par_iter())
            .fold(RulePatterns::new, |mut patterns, (&pair, &gamma)| {
                let (a, b) = unpack(pair);
                let rules = keys.iter().enumerate().fold(0u32, |rules, (i, keys)| {
                    let ka = keys[a as usize];
                    if ka != 0 && ka == keys[b as usize] {
                        rules | 1 << i
                    } else {
                        rules
                    }
                });
                *patterns.entry((gamma, rules)).or_insert(0) += 1;
                patterns
            })
            .reduce(RulePatterns::new, |mut a, b| {
                for (key, count) in b {
                    *a.entry(key).or_insert(0) += count;
                }
                a
            });
        (
            patterns,
            self.rules.iter().map(|rule| rule.uses(&self.fields)).collect(),
        )
    }

    /// Comparison vectors of random pairs (across sources when linking two sources).
    fn random_vectors(&self) -> Vec<u64> {
        let n = self.ids.len() as u64;
        if n < 2 {
            return Vec::new();
        }
        let across = self.settings.across_sources_only;
        let sources = &self.sources;
        let wanted = self.settings.u_pairs.min((n * (n - 1) / 2) as usize).max(1);
        let pick = |r: u64| {
            let a = (r % n) as u32;
            let b = ((r >> 32) % n) as u32;
            let ok = a != b && (!across || sources[a as usize] != sources[b as usize]);
            ok.then_some((a, b))
        };
        random_pairs(wanted, &pick)
            .par_iter()
            .map(|&(a, b)| compare_records(&self.columns, &self.fields, a as usize, b as usize))
            .collect()
    }

    /// The weight of one field's level for the pair `a`, `b` (term frequency of `a`'s key for
    /// the agreeing levels, or `b`'s when `a` has no value: a one-word name met as the other's
    /// family name, see [`compare_records`]).
    fn field_weight(&self, parameters: &Parameters, field: usize, level: usize, a: usize, b: usize) -> f64 {
        if level == Agreement::Missing as usize {
            return 0.0;
        }
        let a = if self.columns[field].ids[a] == 0 { b } else { a };
        let levels = &parameters.fields[field];
        let agrees = level == Agreement::Exact as usize || level == Agreement::SameKey as usize;
        if self.settings.term_frequencies && agrees {
            let column = &self.columns[field];
            let key = column.value(a).key as usize;
            let total = parameters.term_totals.get(field).copied().unwrap_or(0).max(1);
            let count = self.term_counts[field].get(key).copied().unwrap_or(0).max(1);
            let u_tf = f64::from(count) / f64::from(total);
            return (levels.m[level].max(1e-9) / u_tf).log2();
        }
        levels.weight(Agreement::ALL[level])
    }

    /// Scores the pairs and joins those at or above the threshold; returns how many.
    fn link(&mut self, pairs: &[u64], vectors: &[u64], progress: &dyn Progress) -> u64 {
        let Some(scorer) = self.scorer() else { return 0 };
        let threshold = self.settings.threshold.clamp(1e-12, 1.0 - 1e-12);
        let threshold_weight = (threshold / (1.0 - threshold)).log2();
        let links: Vec<(u64, f32)> = pairs
            .par_iter()
            .zip(vectors.par_iter())
            .filter_map(|(&pair, &gamma)| {
                let weight = scorer.weight(self, pair, gamma);
                (weight >= threshold_weight).then_some((pair, weight as f32))
            })
            .collect();
        progress.stage("clustering", 0);
        let mut touched = Vec::with_capacity(links.len());
        for &(pair, _) in &links {
            let (a, b) = unpack(pair);
            self.clusters.union(a, b);
            touched.push(a);
        }
        let count = links.len() as u64;
        self.links.extend(links);
        self.recluster(&touched);
        count
    }

    fn scorer(&self) -> Option<Scorer<'_>> {
        let parameters = self.parameters.as_ref()?;
        let lambda = parameters.lambda.clamp(1e-15, 1.0 - 1e-12);
        let table = parameters
            .fields
            .iter()
            .map(|f| std::array::from_fn(|l| f.weight(Agreement::ALL[l])))
            .collect();
        Some(Scorer {
            parameters,
            prior: (lambda / (1.0 - lambda)).log2(),
            table,
        })
    }

    /// Clusters again the components that hold a record of `touched`: every record of such a
    /// component gets the label of its cluster.
    fn recluster(&mut self, touched: &[u32]) {
        let mut roots: Vec<u32> = touched.iter().map(|&r| self.clusters.find(r)).collect();
        roots.sort_unstable();
        roots.dedup();
        if roots.is_empty() {
            return;
        }
        let n = self.ids.len();
        let root_of: Vec<u32> = (0..n as u32).map(|r| self.clusters.find(r)).collect();
        let Some(min_average) = self.settings.min_average else {
            for (record, &root) in root_of.iter().enumerate() {
                self.labels[record] = root;
            }
            return;
        };
        // Members and links of each touched component.
        let slot: HashMap<u32, usize> = roots.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); roots.len()];
        for (record, root) in root_of.iter().enumerate() {
            if let Some(&i) = slot.get(root) {
                members[i].push(record as u32);
            }
        }
        let mut edges: Vec<Vec<(u32, u32, f64)>> = vec![Vec::new(); roots.len()];
        for &(pair, weight) in &self.links {
            let (a, b) = unpack(pair);
            if let Some(&i) = slot.get(&root_of[a as usize]) {
                edges[i].push((a, b, probability_of_weight(f64::from(weight))));
            }
        }
        let ids = &self.ids;
        let scorer = self.scorer();
        let this = &*self;
        let labels: Vec<Vec<(u32, u32)>> = members
            .par_iter_mut()
            .zip(edges.par_iter_mut())
            .map(|(members, edges)| {
                members.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
                let local: HashMap<u32, u32> = members.iter().enumerate().map(|(i, &r)| (r, i as u32)).collect();
                let mut local_edges: Vec<(u32, u32, f64)> = match &scorer {
                    Some(scorer) if members.len() <= FULL_COMPONENT => {
                        let mut all = Vec::new();
                        for (i, &a) in members.iter().enumerate() {
                            for (j, &b) in members.iter().enumerate().skip(i + 1) {
                                if this.settings.across_sources_only
                                    && this.sources[a as usize] == this.sources[b as usize]
                                {
                                    continue;
                                }
                                let gamma = compare_records(&this.columns, &this.fields, a as usize, b as usize);
                                let p = probability_of_weight(scorer.weight(this, pack(a, b), gamma));
                                if p >= 1e-3 {
                                    all.push((i as u32, j as u32, p));
                                }
                            }
                        }
                        all
                    }
                    _ => edges
                        .iter()
                        .map(|&(a, b, p)| {
                            let (x, y) = (local[&a], local[&b]);
                            (x.min(y), x.max(y), p)
                        })
                        .collect(),
                };
                local_edges.sort_by_key(|e| (e.0, e.1));
                let sources: Option<Vec<u8>> = this
                    .settings
                    .across_sources_only
                    .then(|| members.iter().map(|&r| this.sources[r as usize]).collect());
                let first = average_linkage(members.len(), &local_edges, min_average, sources.as_deref());
                members
                    .iter()
                    .zip(first)
                    .map(|(&r, f)| (r, members[f as usize]))
                    .collect()
            })
            .collect();
        for (record, label) in labels.into_iter().flatten() {
            self.labels[record as usize] = label;
        }
    }

    fn report(&mut self, records: usize, rules: Vec<(String, RuleCount)>, pairs: usize, links: u64) -> Report {
        let clusters = self
            .labels
            .iter()
            .enumerate()
            .filter(|&(r, &label)| r as u32 == label)
            .count();
        Report {
            records,
            rules,
            pairs_compared: pairs as u64,
            links,
            clusters,
        }
    }
}

/// Match weights of pairs: the prior plus the field weights, term-frequency adjusted.
struct Scorer<'a> {
    parameters: &'a Parameters,
    prior: f64,
    /// Weights without term frequencies, per field and level.
    table: Vec<[f64; LEVELS]>,
}

impl Scorer<'_> {
    fn weight(&self, linker: &Linker, pair: u64, gamma: u64) -> f64 {
        let (a, b) = unpack(pair);
        let mut weight = self.prior;
        for (field, row) in self.table.iter().enumerate() {
            let level = level_of(gamma, field);
            weight += if linker.settings.term_frequencies && level <= Agreement::SameKey as usize {
                linker.field_weight(self.parameters, field, level, a as usize, b as usize)
            } else {
                row[level]
            };
        }
        weight
    }
}

/// Components up to this size are clustered on the weights of all their pairs, not only the
/// links found by blocking.
const FULL_COMPONENT: usize = 1500;

/// A hash of an id with fixed keys (SipHash with zero keys), the same for the whole run.
fn id_hash(id: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

/// The packed comparison vector of records `a` and `b`: four bits per field, the level's
/// index in [`Agreement::ALL`].
///
/// A name written in one word is as often the family name as the given name (historical
/// records: `porter` for Sir … Porter, `charles` for Charles Hammond). When one record has a
/// given name and no family name, the other a family name, and the given names do not agree,
/// the lone word is compared with the other's family name: if their keys are equal, the pair
/// counts as the family name agreeing (SameKey) and the given name unknown.
pub(crate) fn compare_records(columns: &[Column], fields: &Fields, a: usize, b: usize) -> u64 {
    let gamma = columns.iter().enumerate().fold(0u64, |gamma, (field, column)| {
        gamma | (field_level(column, a, b) as u64) << (4 * field)
    });
    let (Some(given), Some(family)) = (fields.given, fields.family) else {
        return gamma;
    };
    let (fa, fb) = (columns[family].ids[a] == 0, columns[family].ids[b] == 0);
    if fa == fb || level_of(gamma, given) <= Agreement::Equivalent as usize {
        return gamma;
    }
    let (lone, other) = if fa { (a, b) } else { (b, a) };
    if columns[given].ids[lone] == 0 {
        return gamma;
    }
    let word = columns[given].key_of(lone);
    if word.is_empty() {
        return gamma;
    }
    let level = if word == columns[family].key_of(other) {
        Agreement::SameKey
    } else if names_similar(
        columns[given].text_and_profile(lone),
        columns[family].text_and_profile(other),
    ) {
        Agreement::Similar
    } else {
        return gamma;
    };
    let clear = !(0xfu64 << (4 * given) | 0xfu64 << (4 * family));
    gamma & clear | (Agreement::Missing as u64) << (4 * given) | (level as u64) << (4 * family)
}

/// The level of one field for records `a` and `b`.
fn field_level(column: &Column, a: usize, b: usize) -> Agreement {
    let (va, vb) = (column.ids[a], column.ids[b]);
    if va == 0 || vb == 0 {
        return Agreement::Missing;
    }
    if va == vb {
        return Agreement::Exact;
    }
    let (pa, pb) = (column.values[va as usize], column.values[vb as usize]);
    if matches!(column.kind, FieldKind::GivenName | FieldKind::Patronymic)
        && initials_fit(column.texts.get(va), column.texts.get(vb))
    {
        return Agreement::Missing;
    }
    let forms = |v: u32, key: u32| (column.texts.get(v), column.keys.get(key));
    let similar = || names_similar(column.text_and_profile(a), column.text_and_profile(b));
    match column.kind {
        FieldKind::Date => compare_dates(pa.date, pb.date),
        FieldKind::Text => text_level(
            (
                column.texts.get(va),
                column.keys.get(pa.key),
                &column.profiles[va as usize],
            ),
            (
                column.texts.get(vb),
                column.keys.get(pb.key),
                &column.profiles[vb as usize],
            ),
        ),
        FieldKind::Place => graded(
            forms(va, pa.key),
            forms(vb, pb.key),
            || words_within(column.keys.get(pa.key), column.keys.get(pb.key)),
            similar,
        ),
        FieldKind::GivenName | FieldKind::FamilyName | FieldKind::Patronymic => graded(
            forms(va, pa.key),
            forms(vb, pb.key),
            || pa.alt != 0 && pa.alt == pb.alt,
            similar,
        ),
    }
}

//! Record linkage for Razam: finding one person however the name is written.
//!
//! This first piece turns a name into comparable forms:
//! - [`normalise`]: the same text with case, accents, apostrophes and punctuation removed,
//!   keeping the letters Belarusian and Łacinka mark with a diacritic apart first;
//! - [`name_key`]: a phonetic skeleton that is the same for a name written in Belarusian or
//!   Russian Cyrillic or in any romanisation in real use (docs/linkage.md lists the rules);
//! - [`masculine_surname_key`]: the key with a feminine surname ending made masculine, to flag
//!   "same family name, other gender" (the key itself keeps them apart);
//! - [`given_name_group`]: the group of given-name equivalents across be, ru, uk, pl and en.
//!
//! On top of them, [`Model::compare`] compares two [`PersonRecord`]s field by field and weighs
//! the evidence (Fellegi–Sunter: one agreement level per field, `log2(m/u)` per level).
//!
//! The crate does no I/O (no files, network, clock or async runtime): it is pure functions over
//! strings, so the registry, the CLI and the benchmarks can all share it.

mod block;
mod cluster;
mod columns;
mod compare;
mod date;
mod em;
mod given;
mod key;
mod linker;
mod normalise;
mod record;
mod sim;
pub mod synth;

pub use block::{BlockLimits, Rule, RuleCount};
pub use cluster::{UnionFind, pairwise_scores};
pub use columns::{Layout, Role, split_full_name};
pub use compare::compare_texts;
pub use compare::{
    Agreement, Evidence, Field, FieldEvidence, LevelProbabilities, Model, PersonRecord, PreparedName, PreparedPerson,
    Screen, compare_dates, compare_family_names, compare_given_names, compare_patronymics, compare_places,
    probability_of_weight,
};
pub use date::PartialDate;
pub use em::Estimate;
pub use given::given_name_group;
pub use key::{masculine_surname_key, name_key};
pub use linker::{LinkError, Linker, Parameters, Progress, Quiet, Report, Settings};
pub use normalise::{normalise, normalise_into};
pub use record::{FieldKind, FieldSpec, Record, Schema};

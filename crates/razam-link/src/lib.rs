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
//! The crate does no I/O (no files, network, clock or async runtime): it is pure functions over
//! strings, so the registry, the CLI and the benchmarks can all share it.

mod given;
mod key;
mod normalise;
pub mod synth;

pub use given::given_name_group;
pub use key::{masculine_surname_key, name_key};
pub use normalise::normalise;

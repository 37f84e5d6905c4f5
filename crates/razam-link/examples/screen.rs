//! Compares every pair of synthetic records that share a family-name key, as a block of
//! namesakes on a person page or in the duplicates queue is compared: once whole
//! (`Model::compare_prepared`, then the threshold) and once through `Model::screen`. Prints
//! the pairs, the time of each way (the best of five rounds) and the pairs each kept, which
//! must be equal: the figure in docs/benchmarks.md.
//!
//! cargo run --release -p razam-link --example screen -- [RECORDS] [SEED]
//!
//! RECORDS defaults to 100000, SEED to 20261204; the threshold is 0.5 (the app's `PROPOSE_AT`).

use std::collections::HashMap;
use std::error::Error;
use std::time::{Duration, Instant};

use razam_link::{Model, PersonRecord, PreparedPerson, name_key};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(20_261_204), |a| a.parse())?;
    let threshold = 0.5;

    let records = razam_link::synth::records(seed, count);
    let mut blocks: HashMap<String, Vec<PreparedPerson>> = HashMap::new();
    for r in &records {
        let person = PreparedPerson::new(&PersonRecord {
            given_name: r.given_name.clone(),
            family_name: r.family_name.clone(),
            patronymic: r.patronymic.clone(),
            birth_date: r.birth_date.clone(),
            birth_place: r.birth_place.clone(),
        });
        blocks.entry(name_key(&r.family_name)).or_default().push(person);
    }
    // As the app does, a block larger than 400 (its MAX_BLOCK) is not compared within.
    let blocks: Vec<Vec<PreparedPerson>> = blocks.into_values().filter(|b| b.len() <= 400).collect();
    let pairs: usize = blocks.iter().map(|b| b.len() * (b.len() - 1) / 2).sum();

    let model = Model::default();
    let whole = || {
        let mut kept = 0usize;
        for block in &blocks {
            for (i, a) in block.iter().enumerate() {
                for b in &block[i + 1..] {
                    kept += usize::from(model.compare_prepared(a, b).probability >= threshold);
                }
            }
        }
        kept
    };
    let screen = model.screen(threshold);
    let screened = || {
        let mut kept = 0usize;
        for block in &blocks {
            for (i, a) in block.iter().enumerate() {
                for b in &block[i + 1..] {
                    kept += usize::from(screen.compare(a, b).is_some());
                }
            }
        }
        kept
    };
    let (whole_time, whole_kept) = best_of_five(whole);
    let (screen_time, screen_kept) = best_of_five(screened);
    println!("records {count}, blocks {}, pairs {pairs}", blocks.len());
    println!(
        "whole:    {:>8.1} ms, {:>6.0} ns a pair, {whole_kept} kept",
        whole_time.as_secs_f64() * 1e3,
        whole_time.as_secs_f64() * 1e9 / pairs as f64
    );
    println!(
        "screened: {:>8.1} ms, {:>6.0} ns a pair, {screen_kept} kept",
        screen_time.as_secs_f64() * 1e3,
        screen_time.as_secs_f64() * 1e9 / pairs as f64
    );
    if whole_kept != screen_kept {
        return Err(format!("the screen kept {screen_kept} pairs, the whole comparison {whole_kept}").into());
    }
    Ok(())
}

fn best_of_five(run: impl Fn() -> usize) -> (Duration, usize) {
    let mut best = (Duration::MAX, 0);
    for _ in 0..5 {
        let start = Instant::now();
        let kept = run();
        best = best.min((start.elapsed(), kept));
    }
    best
}

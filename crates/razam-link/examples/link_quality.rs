//! Links a CSV with a truth column and says how good the estimated parameters are: the
//! pairwise precision, recall and F1 of the clusters, the `m` EM learned next to the `m`
//! counted on the true pairs, and the F1 the same linker reaches with the true `m` (what EM
//! could at best give). A tool for tuning the engine (docs/linkage.md), not for users:
//!
//! cargo run --release -p razam-link --example link_quality -- FILE.csv [THRESHOLD] [--no-truth-m] [--link FILE2.csv]
//!
//! The stages of the fit and their times go to standard error. `--no-truth-m` stops after
//! the fit (the second linking, with the true `m`, doubles the time). `--link FILE2.csv` links
//! the two files (pairs across them only, as FEBRL 4) instead of deduplicating one; the scores
//! then count pairs across the files only.
//!
//! The truth is the column `cluster` (the synthetic set, historical-figures-50k) or, when
//! there is none, the FEBRL id `rec-N-…`.

use std::collections::HashMap;
use std::error::Error;
use std::time::Instant;

use std::sync::Mutex;

use razam_link::{Agreement, Layout, Linker, Progress, Quiet, Record, Settings, pairwise_scores};

/// Prints each stage's start and the time since the fit began, to standard error.
struct Stages(Instant, Mutex<()>);

impl Progress for Stages {
    fn stage(&self, name: &str, _total: u64) {
        let _guard = self.1.lock();
        eprintln!("{:>7.2} s  {name}", self.0.elapsed().as_secs_f64());
    }
}

const USAGE: &str = "usage: link_quality FILE.csv [THRESHOLD] [--no-truth-m] [--link FILE2.csv]";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_truth_m = !args.iter().any(|a| a == "--no-truth-m");
    let second = args
        .iter()
        .position(|a| a == "--link")
        .map(|i| args.get(i + 1).ok_or(USAGE));
    let mut positional = args.iter().filter(|a| !a.starts_with("--") && Some(Ok(*a)) != second);
    let path = positional.next().ok_or(USAGE)?;
    let threshold: f64 = positional.next().map_or(Ok(0.95), |t| t.parse())?;
    let mut paths = vec![path];
    if let Some(second) = second {
        paths.push(second?);
    }
    let mut records: Vec<Record> = Vec::new();
    let mut truth: Vec<String> = Vec::new();
    let mut layout = None;
    for (source, path) in paths.iter().enumerate() {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path)?;
        let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        let this = Layout::recognise(&headers);
        let truth_column = headers.iter().position(|h| h == "cluster");
        for row in reader.records() {
            let row = row?;
            let cells: Vec<&str> = row.iter().collect();
            let record = this.record(&cells, source as u8, String::new);
            truth.push(match truth_column {
                Some(c) => cells[c].to_owned(),
                None => record.id.split('-').nth(1).unwrap_or(&record.id).to_owned(),
            });
            records.push(record);
        }
        layout.get_or_insert(this);
    }
    let layout = layout.ok_or(USAGE)?;
    let linking = paths.len() > 1;
    let settings = Settings {
        threshold,
        across_sources_only: linking,
        ..Settings::default()
    };
    let sources: Vec<u8> = records.iter().map(|r| r.source).collect();
    // Linking two files, only pairs across them count (as in bench/linkage_eval.py).
    let pairwise_scores = |predicted: &[&str], truth: &[String]| {
        if linking {
            cross_file_scores(predicted, truth, &sources)
        } else {
            pairwise_scores(predicted, truth)
        }
    };
    let started = Instant::now();
    let stages = Stages(started, Mutex::new(()));
    let (linker, report) = Linker::fit(layout.schema.clone(), settings, records.clone(), &stages)?;
    let took = started.elapsed().as_secs_f64();
    let (p, r, f1) = pairwise_scores(&linker.cluster_ids(), &truth);
    let Some(parameters) = linker.parameters() else {
        return Err("no parameters".into());
    };
    println!(
        "{} records, {} pairs compared, {} links; fit in {took:.1} s; prior {:.3e}; EM {} iterations",
        records.len(),
        report.pairs_compared,
        report.links,
        parameters.lambda,
        parameters.estimate.iterations
    );
    println!("estimated: P {p:.4} R {r:.4} F1 {f1:.4}");

    if !with_truth_m {
        return Ok(());
    }
    // m counted on the true pairs (all of them, blocked or not).
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        members.entry(t).or_default().push(i);
    }
    let fields = layout.schema.fields.len();
    let mut counts = vec![[0u64; 6]; fields];
    for list in members.values() {
        for (i, &a) in list.iter().enumerate() {
            for &b in &list[i + 1..] {
                if let Some(levels) = linker.explain(a, b) {
                    for (f, (level, _)) in levels.iter().enumerate() {
                        counts[f][level.index()] += 1;
                    }
                }
            }
        }
    }
    let mut oracle = parameters.clone();
    println!("field: level m estimated / m from truth / u");
    for ((f, spec), count) in layout.schema.fields.iter().enumerate().zip(&counts) {
        let present: u64 = count.iter().take(5).sum();
        let mut line = format!("  {:<14}", spec.name);
        for (level, &seen) in count.iter().enumerate().take(5) {
            let true_m = (seen as f64 + 0.5) / (present as f64 + 2.5);
            line += &format!(
                " {:?} {:.3}/{:.3}/{:.4}",
                Agreement::ALL[level],
                parameters.fields[f].m[level],
                true_m,
                parameters.fields[f].u[level]
            );
            oracle.fields[f].m[level] = true_m;
        }
        println!("{line}");
    }
    let true_pairs: f64 = members.values().map(|l| (l.len() * (l.len() - 1) / 2) as f64).sum();
    let n = records.len() as f64;
    let first = sources.iter().filter(|&&s| s == 0).count() as f64;
    oracle.lambda = if linking {
        true_pairs / (first * (n - first))
    } else {
        true_pairs / (n * (n - 1.0) / 2.0)
    };
    println!("prior estimated {:.3e}, true {:.3e}", parameters.lambda, oracle.lambda);
    let mut with_truth = Linker::with_parameters(settings, oracle)?;
    with_truth.add(records, &Quiet)?;
    let (p, r, f1) = pairwise_scores(&with_truth.cluster_ids(), &truth);
    println!("with m and prior from the truth: P {p:.4} R {r:.4} F1 {f1:.4}");
    Ok(())
}

/// Pairwise precision, recall and F1 counting only pairs of records from different files.
fn cross_file_scores(predicted: &[&str], truth: &[String], sources: &[u8]) -> (f64, f64, f64) {
    let cross = |groups: HashMap<(&str, u8), u64>| -> u64 {
        let mut by: HashMap<&str, (u64, u64)> = HashMap::new();
        for ((label, source), n) in groups {
            let entry = by.entry(label).or_default();
            if source == 0 { entry.0 += n } else { entry.1 += n }
        }
        by.values().map(|(a, b)| a * b).sum()
    };
    let count = |label: &dyn Fn(usize) -> String| {
        let labels: Vec<String> = (0..predicted.len()).map(label).collect();
        let mut groups: HashMap<(&str, u8), u64> = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            *groups.entry((l.as_str(), sources[i])).or_default() += 1;
        }
        cross(groups)
    };
    let predicted_pairs = count(&|i| predicted[i].to_owned());
    let true_pairs = count(&|i| truth[i].clone());
    let both = count(&|i| format!("{}\u{1f}{}", predicted[i], truth[i]));
    let precision = both as f64 / predicted_pairs.max(1) as f64;
    let recall = both as f64 / true_pairs.max(1) as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE),
    )
}

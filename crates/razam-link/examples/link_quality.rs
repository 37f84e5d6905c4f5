//! Links a CSV with a truth column and says how good the estimated parameters are: the
//! pairwise precision, recall and F1 of the clusters, the `m` EM learned next to the `m`
//! counted on the true pairs, and the F1 the same linker reaches with the true `m` (what EM
//! could at best give). A tool for tuning the engine (docs/linkage.md), not for users:
//!
//! cargo run --release -p razam-link --example link_quality -- FILE.csv [THRESHOLD] [--no-truth-m]
//!
//! The stages of the fit and their times go to standard error. `--no-truth-m` stops after
//! the fit (the second linking, with the true `m`, doubles the time).
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

const USAGE: &str = "usage: link_quality FILE.csv [THRESHOLD] [--no-truth-m]";

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(USAGE)?;
    let threshold: f64 = args.next().map_or(Ok(0.95), |t| t.parse())?;
    let with_truth_m = args.next().as_deref() != Some("--no-truth-m");
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(&path)?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let layout = Layout::recognise(&headers);
    let truth_column = headers.iter().position(|h| h == "cluster");
    let mut records: Vec<Record> = Vec::new();
    let mut truth: Vec<String> = Vec::new();
    for row in reader.records() {
        let row = row?;
        let cells: Vec<&str> = row.iter().collect();
        let record = layout.record(&cells, 0, String::new);
        truth.push(match truth_column {
            Some(c) => cells[c].to_owned(),
            None => record.id.split('-').nth(1).unwrap_or(&record.id).to_owned(),
        });
        records.push(record);
    }
    let settings = Settings {
        threshold,
        ..Settings::default()
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
    oracle.lambda = true_pairs / (n * (n - 1.0) / 2.0);
    println!("prior estimated {:.3e}, true {:.3e}", parameters.lambda, oracle.lambda);
    let mut with_truth = Linker::with_parameters(settings, oracle)?;
    with_truth.add(records, &Quiet)?;
    let (p, r, f1) = pairwise_scores(&with_truth.cluster_ids(), &truth);
    println!("with m and prior from the truth: P {p:.4} R {r:.4} F1 {f1:.4}");
    Ok(())
}

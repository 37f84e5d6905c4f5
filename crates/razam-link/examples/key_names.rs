//! Keys every name of a CSV file and prints how long it took and how many distinct keys came
//! out: the building-block figure in docs/benchmarks.md (not the linkage benchmark of issue 4).
//!
//! cargo run --release -p razam-link --example key_names -- FILE.csv [COLUMN] [CLUSTER_COLUMN]
//!
//! COLUMN defaults to `full_name`. With CLUSTER_COLUMN (e.g. `cluster`) it also counts, among
//! the pairs of records of one true cluster, how many have equal keys.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::time::Instant;

use razam_link::{name_key, normalise};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: key_names FILE.csv [COLUMN] [CLUSTER_COLUMN]")?;
    let column = args.next().unwrap_or_else(|| "full_name".to_owned());
    let cluster_column = args.next();

    let mut reader = csv::Reader::from_path(&path)?;
    let headers = reader.headers()?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column {name:?} in {path}"))
    };
    let name_at = find(&column)?;
    let cluster_at = cluster_column.as_deref().map(find).transpose()?;
    let mut names = Vec::new();
    let mut clusters = Vec::new();
    for record in reader.records() {
        let record = record?;
        names.push(record.get(name_at).unwrap_or("").to_owned());
        if let Some(at) = cluster_at {
            clusters.push(record.get(at).unwrap_or("").to_owned());
        }
    }

    let started = Instant::now();
    let keys: Vec<String> = names.iter().map(|n| name_key(n)).collect();
    let elapsed = started.elapsed();

    let distinct_names: HashSet<&str> = names.iter().map(String::as_str).collect();
    let distinct_keys: HashSet<&str> = keys.iter().map(String::as_str).collect();
    println!("file: {path}, column: {column}");
    println!("records: {}", names.len());
    println!("distinct names: {}", distinct_names.len());
    println!("distinct keys: {}", distinct_keys.len());
    println!(
        "keying time: {:.1} ms ({:.2} µs per name)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / names.len().max(1) as f64
    );

    if cluster_at.is_some() {
        // For comparison: the same count with normalise() only, no phonetic folding.
        let normalised: Vec<String> = names.iter().map(|n| normalise(n)).collect();
        let mut by_cluster: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
        for ((cluster, key), norm) in clusters.iter().zip(&keys).zip(&normalised) {
            by_cluster.entry(cluster).or_default().push((key, norm));
        }
        let (mut pairs, mut equal, mut equal_normalised) = (0u64, 0u64, 0u64);
        for members in by_cluster.values() {
            for (i, a) in members.iter().enumerate() {
                for b in &members[i + 1..] {
                    pairs += 1;
                    equal += u64::from(a.0 == b.0);
                    equal_normalised += u64::from(a.1 == b.1);
                }
            }
        }
        println!("true clusters: {}", by_cluster.len());
        println!(
            "pairs within true clusters: {pairs}, with equal keys: {equal} ({:.1} %)",
            100.0 * equal as f64 / pairs.max(1) as f64
        );
        println!(
            "  with equal normalise() only: {equal_normalised} ({:.1} %)",
            100.0 * equal_normalised as f64 / pairs.max(1) as f64
        );
    }
    Ok(())
}

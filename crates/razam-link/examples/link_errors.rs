//! Error analysis of a linkage against a known truth: which pairs the clusters get wrong and
//! why. A tool for working on the engine (docs/linkage.md, "Error analysis"), not for users:
//!
//! cargo run --release -p razam-link --example link_errors -- FILE.csv [THRESHOLD] [SAMPLES] [OUT.csv]
//!
//! With `OUT.csv` it also writes `id,cluster_id` there, for looking at whole clusters.
//!
//! The truth is the column `cluster` or, when there is none, the FEBRL id `rec-N-…`.
//!
//! Every wrong pair is counted once (pairwise F1 weighs pairs):
//! - a false negative (one person, two clusters) is *below the threshold* when its own match
//!   probability is under the threshold, or *split by clustering* when it is above but average
//!   linkage kept the two records apart;
//! - a false positive (two persons, one cluster) is *direct* when its own probability is at or
//!   above the threshold, or *chained* when the records were joined through other records.
//!
//! For each kind it prints the pairs by the level of every field (the patterns that cost the
//! most pairs first) and a sample of pairs with their values, levels and weights.

use std::collections::HashMap;
use std::error::Error;

use razam_link::{Agreement, Layout, Linker, Quiet, Record, Settings, pairwise_scores, probability_of_weight};

const USAGE: &str = "usage: link_errors FILE.csv [THRESHOLD] [SAMPLES] [CLUSTERS_OUT.csv]";

/// A wrong pair: its records (by position) and its match probability.
struct Wrong {
    a: usize,
    b: usize,
    probability: f64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(USAGE)?;
    let threshold: f64 = args.next().map_or(Ok(0.5), |t| t.parse())?;
    let samples: usize = args.next().map_or(Ok(25), |t| t.parse())?;
    let out = args.next();
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
    let (linker, _) = Linker::fit(layout.schema.clone(), settings, records.clone(), &Quiet)?;
    let predicted = linker.cluster_ids();
    if let Some(out) = out {
        let mut writer = csv::Writer::from_path(out)?;
        writer.write_record(["id", "cluster_id"])?;
        for (id, cluster) in linker.ids().iter().zip(&predicted) {
            writer.write_record([&**id, *cluster])?;
        }
        writer.flush()?;
    }
    let (p, r, f1) = pairwise_scores(&predicted, &truth);
    println!("P {p:.4} R {r:.4} F1 {f1:.4} at threshold {threshold}");
    let lambda = linker.parameters().ok_or("no parameters")?.lambda;
    let prior = (lambda / (1.0 - lambda)).log2();
    let probability = |a: usize, b: usize| {
        let levels = linker.explain(a, b).unwrap_or_default();
        probability_of_weight(prior + levels.iter().map(|(_, w)| w).sum::<f64>())
    };

    // False negatives: pairs within a true cluster across predicted ones; false positives:
    // pairs within a predicted cluster across true ones.
    let group = |labels: &[&str]| {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            groups.entry((*l).to_owned()).or_default().push(i);
        }
        groups
    };
    // Pairs together in one labelling and apart in the other.
    let apart = |together: &[&str], other: &[&str]| -> Vec<Wrong> {
        let mut wrong = Vec::new();
        for members in group(together).values() {
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    if other[a] != other[b] {
                        wrong.push(Wrong {
                            a,
                            b,
                            probability: probability(a, b),
                        });
                    }
                }
            }
        }
        wrong
    };
    let truth_refs: Vec<&str> = truth.iter().map(String::as_str).collect();
    let negatives = apart(&truth_refs, &predicted);
    let positives = apart(&predicted, &truth_refs);
    let above = |w: &[Wrong]| w.iter().filter(|w| w.probability >= threshold).count();
    println!(
        "\nfalse negatives: {} pairs; below the threshold {}, split by clustering {}",
        negatives.len(),
        negatives.len() - above(&negatives),
        above(&negatives)
    );
    println!(
        "false positives: {} pairs; direct {}, chained {}",
        positives.len(),
        above(&positives),
        positives.len() - above(&positives)
    );
    let show = |title: &str, wrong: &[Wrong]| {
        println!("\n== {title}: {} pairs, by the level of each field", wrong.len());
        let names: Vec<&str> = layout.schema.fields.iter().map(|f| f.name.as_str()).collect();
        let mut patterns: HashMap<String, usize> = HashMap::new();
        for w in wrong {
            let levels = linker.explain(w.a, w.b).unwrap_or_default();
            let pattern: Vec<String> = levels
                .iter()
                .zip(&names)
                .filter(|((level, _), _)| *level != Agreement::Exact)
                .map(|((level, _), name)| format!("{name}:{level:?}"))
                .collect();
            *patterns.entry(pattern.join(" ")).or_default() += 1;
        }
        let mut patterns: Vec<(String, usize)> = patterns.into_iter().collect();
        patterns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (pattern, count) in patterns.iter().take(25) {
            println!("{count:>7}  {pattern}");
        }
        // An even sample over the list, which is in a fixed order.
        println!("-- sample");
        let step = (wrong.len() / samples.max(1)).max(1);
        for w in wrong.iter().step_by(step).take(samples) {
            println!("p = {:.3}  truth {} / {}", w.probability, truth[w.a], truth[w.b]);
            let levels = linker.explain(w.a, w.b).unwrap_or_default();
            for (f, (level, weight)) in levels.iter().enumerate() {
                println!(
                    "    {:<14} {:<10} {:>6.2}  {:?} / {:?}",
                    names[f],
                    format!("{level:?}"),
                    weight,
                    records[w.a].values[f],
                    records[w.b].values[f]
                );
            }
        }
    };
    let (negatives_below, negatives_split): (Vec<Wrong>, Vec<Wrong>) =
        negatives.into_iter().partition(|w| w.probability < threshold);
    let (positives_direct, positives_chained): (Vec<Wrong>, Vec<Wrong>) =
        positives.into_iter().partition(|w| w.probability >= threshold);
    // Blame: which one field's evidence, taken away, would have put the pair on the right
    // side of the threshold (its disagreement for a false negative, its agreement for a
    // direct false positive); pairs that no single field turns are "no single field".
    let blame = |title: &str, wrong: &[Wrong], negative: bool| {
        let names: Vec<&str> = layout.schema.fields.iter().map(|f| f.name.as_str()).collect();
        let mut by_field: HashMap<String, usize> = HashMap::new();
        let line = (threshold / (1.0 - threshold)).log2();
        for w in wrong {
            let levels = linker.explain(w.a, w.b).unwrap_or_default();
            let total = prior + levels.iter().map(|(_, x)| x).sum::<f64>();
            let mut culprits: Vec<&str> = levels
                .iter()
                .zip(&names)
                .filter(|((_, x), _)| {
                    if negative {
                        *x < 0.0 && total - x >= line
                    } else {
                        *x > 0.0 && total - x < line
                    }
                })
                .map(|(_, name)| *name)
                .collect();
            if culprits.is_empty() {
                culprits.push("no single field");
            }
            for c in culprits {
                *by_field.entry(c.to_owned()).or_default() += 1;
            }
        }
        let mut by_field: Vec<(String, usize)> = by_field.into_iter().collect();
        by_field.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        println!("\n== {title}: {} pairs", wrong.len());
        for (field, count) in by_field {
            println!("{count:>7}  {field}");
        }
    };
    blame(
        "false negatives below the threshold, by the field whose disagreement alone kept them under",
        &negatives_below,
        true,
    );
    blame(
        "direct false positives, by the field whose agreement alone put them over",
        &positives_direct,
        false,
    );
    show("false negatives below the threshold", &negatives_below);
    show("false negatives split by clustering", &negatives_split);
    show("false positives, direct", &positives_direct);
    show("false positives, chained", &positives_chained);
    Ok(())
}

//! Writes synthetic Belarusian person records with known truth as CSV (razam_link::synth;
//! docs/linkage.md, "The synthetic data set"):
//!
//! cargo run --release -p razam-link --example synth -- [--records N] [--seed S] [--output FILE]
//!
//! Columns: unique_id, cluster (the true person), given_name, family_name, patronymic,
//! birth_date (YYYY-MM-DD, YYYY or empty), birth_place. Defaults: 100,000 records, seed 1,
//! standard output. The time taken goes to standard error.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use razam_link::synth::{HEADER, records};

const USAGE: &str = "usage: synth [--records N] [--seed S] [--output FILE]";

fn main() -> Result<(), Box<dyn Error>> {
    let mut count = 100_000usize;
    let mut seed = 1u64;
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value; {USAGE}"));
        match arg.as_str() {
            "--records" => count = value()?.parse().map_err(|e| format!("--records: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--output" => output = Some(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }

    let started = Instant::now();
    let records = records(seed, count);
    let generated = started.elapsed();

    let sink: Box<dyn Write> = match &output {
        Some(path) => Box::new(File::create(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, sink));
    writer.write_record(HEADER)?;
    for record in &records {
        writer.write_record(record.fields())?;
    }
    writer.flush()?;
    let clusters = records.iter().map(|r| r.cluster).max().unwrap_or(0);
    eprintln!(
        "synth: {} records of {clusters} persons (seed {seed}) generated in {:.2} s, written in {:.2} s",
        records.len(),
        generated.as_secs_f64(),
        (started.elapsed() - generated).as_secs_f64()
    );
    Ok(())
}

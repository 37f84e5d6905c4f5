//! Builds the person-name index from a prisoner-list CSV (the `razam import prisoners` header)
//! in memory, without a database, and prints its heap estimate with and without the duplicate
//! blocks, the time taken and the duplicate blocks' sizes (docs/benchmarks.md, "Duplicates").
//!
//! `cargo run --release -p razam-app --example name_index_heap -- prisoners.csv`

use std::time::Instant;

use razam_app::search::{NameIndex, PersonNames};
use razam_core::registry::Confidentiality;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: name_index_heap FILE.csv")?;
    let mut reader = csv::Reader::from_path(&path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(format!("no {name} column"))
    };
    let (given, family, patronymic, birth) = (
        column("given_name")?,
        column("family_name")?,
        column("patronymic")?,
        column("birth_date")?,
    );
    let started = Instant::now();
    let mut ix = NameIndex::new();
    let mut id = 0;
    for row in reader.records() {
        let row = row?;
        id += 1;
        let names = PersonNames {
            family_name: &row[family],
            given_name: &row[given],
            patronymic: &row[patronymic],
            variants: &[],
            birth_date: &row[birth],
        };
        ix.upsert(id, &names, None, Confidentiality::Internal);
    }
    let built = started.elapsed();
    let (blocks, block_bytes, largest) = ix.block_stats();
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "{} persons in {:.2} s; heap {:.1} MiB, of which duplicate blocks {:.1} MiB ({} blocks, largest {})",
        ix.len(),
        built.as_secs_f64(),
        mib(ix.heap_bytes()),
        mib(block_bytes),
        blocks,
        largest
    );
    Ok(())
}

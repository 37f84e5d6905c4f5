//! `razam link`: record linkage of plain CSV files, with no instance.
//!
//! One input is deduplicated; two inputs are linked (only pairs across the files are
//! compared). Columns are recognised by their usual names ([`razam_link::Layout`]); the output
//! is `id,cluster_id` with every input id exactly once. What was used is printed to stderr.

use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use razam_link::{Agreement, FieldKind, Layout, Linker, Progress, Record, Role, Settings};

/// A mistake in the input or the arguments: the command exits with 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn bad(message: impl Into<String>) -> anyhow::Error {
    BadInput(message.into()).into()
}

/// Inputs above this many records get a progress bar (when stderr is a terminal).
const PROGRESS_FROM: usize = 20_000;

/// Runs the command.
pub fn run(inputs: &[PathBuf], output: &Path, threshold: Option<f64>) -> anyhow::Result<()> {
    if inputs.is_empty() || inputs.len() > 2 {
        return Err(bad("give one --input to deduplicate or two to link"));
    }
    let mut settings = Settings::default();
    if let Some(threshold) = threshold {
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(bad(format!(
                "--threshold {threshold}: a probability between 0 and 1 (exclusive)"
            )));
        }
        settings.threshold = threshold;
    }
    settings.across_sources_only = inputs.len() == 2;

    let mut tables = Vec::new();
    for (source, path) in inputs.iter().enumerate() {
        tables.push(read_table(path, source as u8)?);
    }
    let layout = tables[0].layout.clone();
    let mut records = Vec::new();
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    for (file, table) in tables.into_iter().enumerate() {
        let order = field_order(&layout, &table.layout, &inputs[file])?;
        for (record, line) in table.records.into_iter().zip(table.lines) {
            if let Some((other_file, other_line)) = seen.insert(record.id.clone(), (file, line)) {
                return Err(bad(format!(
                    "{} line {line}: the id {:?} is already on {} line {other_line}",
                    inputs[file].display(),
                    record.id,
                    inputs[other_file].display()
                )));
            }
            let values = order.iter().map(|&i| record.values[i].clone()).collect();
            records.push(Record { values, ..record });
        }
    }
    print_columns(&layout, inputs);
    eprintln!("rows: {}", records.len());
    if inputs.len() == 2 {
        eprintln!("linkage: only pairs across the two files are compared");
    }

    let bar = (records.len() >= PROGRESS_FROM && std::io::stderr().is_terminal()).then(Bar::new);
    let quiet = razam_link::Quiet;
    let progress: &dyn Progress = match &bar {
        Some(bar) => bar,
        None => &quiet,
    };
    let (linker, report) =
        Linker::fit(layout.schema.clone(), settings, records, progress).map_err(|e| bad(format!("{e}")))?;
    if let Some(bar) = &bar {
        bar.0.finish_and_clear();
    }
    print_report(&linker, &report, &layout, &settings);
    write_output(output, &linker)?;
    eprintln!("wrote {} ({} rows)", output.display(), linker.ids().len());
    Ok(())
}

struct Table {
    layout: Layout,
    records: Vec<Record>,
    /// The line of each record in its file (the header is line 1).
    lines: Vec<u64>,
}

fn read_table(path: &Path, source: u8) -> anyhow::Result<Table> {
    let file = std::fs::File::open(path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(file);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("{}: cannot read the header: {e}", path.display())))?
        .iter()
        .map(str::to_owned)
        .collect();
    let layout = Layout::recognise(&headers);
    if layout.id_column().is_none() {
        return Err(bad(format!(
            "{}: no id column (one of id, unique_id, rec_id, record_id)",
            path.display()
        )));
    }
    let mut records = Vec::new();
    let mut lines = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(format!("{} line {line}: {e}", path.display())));
            }
        }
        let line = row.position().map_or(0, |p| p.line());
        let cells: Vec<&str> = row.iter().collect();
        let record = layout.record(&cells, source, String::new);
        if record.id.is_empty() {
            return Err(bad(format!("{} line {line}: the id is empty", path.display())));
        }
        records.push(record);
        lines.push(line);
    }
    Ok(Table { layout, records, lines })
}

/// For each field of `first`, its position in `other`'s records; an error when the compared
/// fields differ.
fn field_order(first: &Layout, other: &Layout, path: &Path) -> anyhow::Result<Vec<usize>> {
    let name = |f: &razam_link::FieldSpec| (f.name.to_lowercase(), f.kind);
    let theirs: Vec<_> = other.schema.fields.iter().map(name).collect();
    let order: Option<Vec<usize>> = first
        .schema
        .fields
        .iter()
        .map(|f| theirs.iter().position(|t| *t == name(f)))
        .collect();
    match order {
        Some(order) if theirs.len() == order.len() => Ok(order),
        _ => Err(bad(format!(
            "{}: its columns differ from the first input's (compared there: {})",
            path.display(),
            first
                .schema
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::GivenName => "given name",
        FieldKind::FamilyName => "family name",
        FieldKind::Patronymic => "patronymic",
        FieldKind::Date => "birth date",
        FieldKind::Place => "birth place",
        FieldKind::Text => "other, compared as text",
    }
}

fn print_columns(layout: &Layout, inputs: &[PathBuf]) {
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    eprintln!("razam link: {}", names.join(" + "));
    eprintln!("columns:");
    for (header, role) in &layout.columns {
        let used = match role {
            Role::Id => "id".to_owned(),
            Role::Field(kind) => kind_name(*kind).to_owned(),
            Role::FullName => "full name, split into given name, family name, patronymic".to_owned(),
            Role::IgnoredFullName => "not compared (full name; the separate name columns are)".to_owned(),
            Role::Truth => "not compared (a truth column)".to_owned(),
            Role::Ignored => "not compared (a second column for a role, or beyond 16 fields)".to_owned(),
        };
        eprintln!("  {header:<20} -> {used}");
    }
}

fn level_name(level: Agreement) -> &'static str {
    match level {
        Agreement::Exact => "exact",
        Agreement::SameKey => "same key",
        Agreement::Equivalent => "equivalent",
        Agreement::Similar => "similar",
        Agreement::Different => "different",
        Agreement::Missing => "missing",
    }
}

fn print_report(linker: &Linker, report: &razam_link::Report, layout: &Layout, settings: &Settings) {
    eprintln!(
        "blocking rules (a pair is compared when its records share a block under any rule; blocks over {} \
         records compare each record with its {} neighbours on either side):",
        settings.limits.max_block, settings.limits.window
    );
    for (rule, count) in &report.rules {
        let capped = if count.capped_blocks > 0 {
            format!(", {} blocks capped", count.capped_blocks)
        } else {
            String::new()
        };
        eprintln!("  {rule}: {} pairs{capped}", count.pairs);
    }
    eprintln!("pairs compared: {} (distinct)", report.pairs_compared);
    if let Some(parameters) = linker.parameters() {
        let estimate = &parameters.estimate;
        eprintln!(
            "EM: {} iterations over the blocking rules ({}), prior match probability {:.3e}",
            estimate.iterations,
            if estimate.converged {
                "converged"
            } else {
                "stopped at the limit"
            },
            parameters.lambda
        );
        eprintln!(
            "m / u per field and level (weight log2 m/u; exact and same key are adjusted by how rare the value is):"
        );
        for (field, levels) in layout.schema.fields.iter().zip(&parameters.fields) {
            let cells: Vec<String> = Agreement::ALL[..5]
                .iter()
                .filter(|&&level| field.kind != FieldKind::Text || level != Agreement::Equivalent)
                .map(|&level| {
                    let i = level.index();
                    format!(
                        "{} {:.3}/{:.4} ({:+.1})",
                        level_name(level),
                        levels.m[i],
                        levels.u[i],
                        levels.weight(level)
                    )
                })
                .collect();
            eprintln!("  {:<20} {}", field.name, cells.join(", "));
        }
    }
    eprintln!(
        "threshold: match probability {} (links: {}); clusters by average link probability >= {}",
        settings.threshold,
        report.links,
        settings.min_average.map_or("any".to_owned(), |a| a.to_string())
    );
    eprintln!("clusters: {} for {} records", report.clusters, report.records);
}

/// Writes `id,cluster_id` to a file beside `output`, then renames it into place, so a failure
/// leaves no half-written output.
fn write_output(output: &Path, linker: &Linker) -> anyhow::Result<()> {
    let mut partial = output.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
        writer.write_record(["id", "cluster_id"])?;
        for (id, cluster) in linker.ids().iter().zip(linker.cluster_ids()) {
            writer.write_record([&**id, cluster])?;
        }
        let mut inner = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        inner.flush()?;
        inner.get_ref().sync_all()?;
        std::fs::rename(&partial, output).with_context(|| format!("cannot write {}", output.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// The progress bar on stderr.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg:20} [{bar:40}] {pos}/{len} {eta}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn stage(&self, name: &str, total: u64) {
        self.0.set_message(name.to_owned());
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn advance(&self, steps: u64) {
        self.0.inc(steps);
    }
}

//! `razam observe …`: election observation commands: forensics on a file (no instance), and
//! the import of official protocols into an instance's election.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use razam_app::{Actor, AppError};
use razam_forensics::protocol::{self, Parsed};
use razam_forensics::{Options, Report};

#[derive(Subcommand)]
pub enum ObserveCommand {
    /// Election forensics on a per-station protocol file (CSV, or a .zip holding one CSV):
    /// integer percentages, the turnout × result fingerprint, Shpilkin's estimate, digit tests,
    /// a parallel vote tabulation and the protocol arithmetic (docs/observation.md). Reads the
    /// Russian CEC per-station protocol and the Belarus 2020 platform file; needs no instance.
    Forensics {
        /// The protocol file.
        #[arg(long, value_name = "FILE")]
        protocols: PathBuf,
        /// `text` or `json`.
        #[arg(long, default_value = "text")]
        format: String,
        /// Seed of the Monte Carlo, the bootstraps and the samples.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Monte Carlo repetitions of the integer-percentage null.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        repetitions: u64,
        /// Bootstrap resamples of the digit tests.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        bootstrap: u64,
        /// Stations in the parallel-vote-tabulation sample.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        pvt_sample: u64,
        /// Also write the fingerprint as an SVG drawing to this file (must not exist).
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Create an election with its voting days; prints its number.
    NewElection {
        #[command(flatten)]
        unlock: crate::UnlockArgs,
        #[arg(long)]
        name: String,
        /// The round (default 1).
        #[arg(long, default_value = "1")]
        round: String,
        /// Election day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        election_day: String,
        /// First and last early voting day, YYYY-MM-DD (none without early voting).
        #[arg(long, value_name = "DATE")]
        early_from: Option<String>,
        #[arg(long, value_name = "DATE")]
        early_to: Option<String>,
    },
    /// Import an election's official protocols (CSV, or a .zip holding one) into an instance:
    /// the Russian CEC per-station protocol or the Belarus 2020 platform file. Replaces the
    /// protocols imported before; checks the protocol arithmetic and lists every failing
    /// station. All or nothing.
    ImportProtocols {
        #[command(flatten)]
        unlock: crate::UnlockArgs,
        /// The election's number (as on its page, /observation/N).
        #[arg(long, value_name = "N")]
        election: i64,
        /// The protocol file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// `text` or `json` (the report).
        #[arg(long, default_value = "text")]
        format: String,
    },
}

pub async fn run(command: ObserveCommand) -> anyhow::Result<()> {
    if let ObserveCommand::NewElection {
        unlock,
        name,
        round,
        election_day,
        early_from,
        early_to,
    } = command
    {
        let form = razam_app::observation::ElectionForm {
            name,
            round,
            early_from: early_from.unwrap_or_default(),
            early_to: early_to.unwrap_or_default(),
            election_day,
        };
        let app = crate::open(&unlock, &crate::Overrides::default()).await?;
        let id = app.create_election(&Actor::Cli, &form).await;
        app.close().await;
        println!("{}", id?);
        return Ok(());
    }
    if let ObserveCommand::ImportProtocols {
        unlock,
        election,
        file,
        dry_run,
        format,
    } = command
    {
        return import_protocols(&unlock, election, &file, dry_run, &format).await;
    }
    forensics(command)
}

async fn import_protocols(
    unlock: &crate::UnlockArgs,
    election: i64,
    file: &Path,
    dry_run: bool,
    format: &str,
) -> anyhow::Result<()> {
    crate::check_format(format, &["text", "json"])?;
    let bytes = std::fs::read(file).map_err(|e| AppError::BadInput(format!("cannot read {}: {e}", file.display())))?;
    let app = crate::open(unlock, &crate::Overrides::default()).await?;
    let bar = crate::spinner(if dry_run {
        "checking the protocols"
    } else {
        "importing the protocols"
    });
    let report = app.import_protocols(&Actor::Cli, election, bytes, dry_run).await;
    bar.finish_and_clear();
    app.close().await;
    let report = report.map_err(|e| match e {
        AppError::BadInput(m) => AppError::BadInput(format!("{}: {m}", file.display())),
        e => e,
    })?;
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    eprintln!(
        "{}: {}, {} stations{}",
        file.display(),
        report.format_name,
        report.stations,
        if report.skipped > 0 {
            format!(" ({} rows skipped)", report.skipped)
        } else {
            String::new()
        }
    );
    eprintln!("columns used:");
    for (role, names) in &report.columns {
        eprintln!("  {role}: {}", names.join(" | "));
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let verb = if dry_run { "would be" } else { "were" };
    println!(
        "{} protocols {verb} imported into election {election}{}",
        report.stations,
        if dry_run { " (dry run: nothing was written)" } else { "" }
    );
    println!(
        "protocol arithmetic: {} stations checked, {} failing",
        report.rows_checked, report.failing_stations
    );
    for f in &report.failures {
        println!(
            "  line {}: {}: {} ({} against {})",
            f.line, f.station, f.relation, f.left, f.right
        );
    }
    println!(
        "stations of the election without a protocol: {}; protocols of stations the election does not list: {}",
        report.stations_without_protocol, report.protocols_without_station
    );
    Ok(())
}

fn forensics(command: ObserveCommand) -> anyhow::Result<()> {
    let ObserveCommand::Forensics {
        protocols,
        format,
        seed,
        repetitions,
        bootstrap,
        pvt_sample,
        svg,
    } = command
    else {
        return Ok(());
    };
    if format != "text" && format != "json" {
        return Err(AppError::BadInput("--format: one of text, json".into()).into());
    }
    if let Some(path) = &svg
        && path.exists()
    {
        return Err(AppError::BadInput(format!("{} exists already: choose a new file", path.display())).into());
    }
    let bytes = read_protocols(&protocols)?;
    let parsed = protocol::parse(&bytes).map_err(|e| AppError::BadInput(format!("{}: {e}", protocols.display())))?;
    drop(bytes);
    let options = Options {
        seed,
        repetitions: repetitions as usize,
        bootstrap: bootstrap as usize,
        pvt_sample: pvt_sample as usize,
    };
    let report = razam_forensics::analyse(&parsed.election, &options);
    if let (Some(path), Some(fp)) = (&svg, &report.fingerprint) {
        let title = format!("{}: turnout × leader's result", file_name(&protocols));
        std::fs::write(path, razam_forensics::fingerprint::svg(fp, &title))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if format == "json" {
        let mut value = serde_json::to_value(&report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("file".into(), protocols.display().to_string().into());
            map.insert("format".into(), serde_json::to_value(parsed.format)?);
            map.insert("skipped_rows".into(), parsed.skipped.into());
            map.insert("notes".into(), serde_json::to_value(&parsed.notes)?);
            map.insert("columns".into(), serde_json::to_value(&parsed.columns)?);
            map.insert(
                "parameters".into(),
                serde_json::json!({
                    "seed": seed, "repetitions": repetitions, "bootstrap": bootstrap, "pvt_sample": pvt_sample,
                }),
            );
        }
        println!("{}", serde_json::to_string(&value)?);
    } else {
        describe_input(&protocols, &parsed);
        print_text(&report, &options);
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file's bytes, or those of the one CSV inside a .zip.
fn read_protocols(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| AppError::BadInput(format!("cannot read {}: {e}", path.display())))?;
    Ok(razam_app::observation::protocol_bytes(bytes)
        .map_err(|e| AppError::BadInput(format!("{}: {e}", path.display())))?)
}

/// What was read, on stderr: the format, the stations, the columns used, the notes.
fn describe_input(path: &Path, parsed: &Parsed) {
    eprintln!(
        "{}: {}, {} stations{}",
        path.display(),
        parsed.format.describe(),
        parsed.rows,
        if parsed.skipped > 0 {
            format!(" ({} rows skipped)", parsed.skipped)
        } else {
            String::new()
        }
    );
    eprintln!("columns used:");
    for (role, names) in &parsed.columns {
        eprintln!("  {role}: {}", names.join(" | "));
    }
    for note in &parsed.notes {
        eprintln!("note: {note}");
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

fn print_text(r: &Report, o: &Options) {
    println!(
        "stations: {}; leader: {}",
        r.stations,
        r.leader.as_deref().unwrap_or("none")
    );
    if let Some(ip) = &r.integer_percentages {
        println!();
        println!(
            "integer percentages (Kobak, Shpilkin & Pshenichnikov 2016): {} stations included; {} repetitions, seed {}",
            ip.stations_included, o.repetitions, o.seed
        );
        println!(
            "  {:<8} {:>9} {:>11} {:>10} {:>11}",
            "", "observed", "expected", "excess", "99.9th pct"
        );
        for (name, obs, exp, exc, p) in [
            (
                "either",
                ip.observed.either,
                ip.expected.either,
                ip.excess.either,
                ip.p999.either,
            ),
            (
                "result",
                ip.observed.result,
                ip.expected.result,
                ip.excess.result,
                ip.p999.result,
            ),
            (
                "turnout",
                ip.observed.turnout,
                ip.expected.turnout,
                ip.excess.turnout,
                ip.p999.turnout,
            ),
        ] {
            println!("  {name:<8} {obs:>9} {exp:>11.1} {exc:>10.1} {p:>11.1}");
        }
    }
    if let Some(fp) = &r.fingerprint {
        let (mut best, mut at) = (0, (0, 0));
        for (t, row) in fp.station_counts.iter().enumerate() {
            for (res, &n) in row.iter().enumerate() {
                if n > best {
                    (best, at) = (n, (t, res));
                }
            }
        }
        println!();
        println!(
            "fingerprint: {} stations in 1-point cells of turnout × result; fullest cell turnout {}–{} %, result {}–{} % ({best} stations)",
            fp.stations,
            at.0,
            at.0 + 1,
            at.1,
            at.1 + 1
        );
    }
    if let Some(s) = &r.shpilkin {
        println!();
        println!(
            "Shpilkin's estimate: mode of turnout {}–{} %, leader's share there {}; {:.0} anomalous votes above it ({} of the leader's {}); leader's share {} as counted, {} without them",
            s.mode_turnout,
            s.mode_turnout + 1,
            pct(s.reference_share),
            s.anomalous_votes,
            pct(s.anomalous_votes / s.leader_votes.max(1) as f64),
            s.leader_votes,
            pct(s.leader_share),
            pct(s.leader_share_without_anomalous)
        );
    }
    println!();
    println!("digit tests (mean digit, 95 % bootstrap interval, chi-square with 9 df; 5 % critical value 16.92):");
    for (label, tests) in [
        ("second digit (2BL)", &r.digits.second_digit),
        ("last digit", &r.digits.last_digit),
    ] {
        for t in tests {
            println!(
                "  {label:<18} {:<32} n {:>6}  mean {:.3} [{:.3}, {:.3}] expected {:.3}  chi² {:.1}",
                t.candidate, t.counts, t.mean, t.mean_ci95[0], t.mean_ci95[1], t.expected_mean, t.chi_square
            );
        }
    }
    if let Some(p) = &r.pvt {
        println!();
        println!(
            "parallel vote tabulation: the leader's result over {} stations is {}",
            p.population,
            pct(p.full_count)
        );
        for (design, e) in [
            ("simple random", Some(&p.simple)),
            ("stratified by region", p.stratified.as_ref()),
        ] {
            if let Some(e) = e {
                println!(
                    "  {design:<21} {} stations: {} ± {}{}",
                    e.sample,
                    pct(e.estimate),
                    pct(e.margin95),
                    if e.contains_full_count {
                        ""
                    } else {
                        "  (the full count is outside)"
                    }
                );
            }
        }
    }
    println!();
    let a = &r.arithmetic;
    println!(
        "protocol arithmetic: {} rows checked, {} fail a control relation",
        a.rows_checked, a.failing_rows
    );
    for f in &a.first_failures {
        println!(
            "  line {} ({}): {}: {} ≠ {}",
            f.line, f.station, f.relation, f.left, f.right
        );
    }
}

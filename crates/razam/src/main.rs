//! The `razam` command: every operator task, and the wiring that starts the server.
//!
//! Exit codes scripts can rely on: 0 success, 1 failure, 2 bad usage or bad input (including
//! a wrong passphrase). The only crate that uses `anyhow`; it calls razam-app for every rule.

mod evidence;
mod ledger;
mod link;
mod observe;
mod person;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use razam_app::config::{Config, Overrides};
use razam_app::export::{ExportFormat, ExportKind};
use razam_app::{Actor, App, AppError, NewUser, Unlock, demo, instance};
use razam_core::registry::Day;
use razam_core::{DisplayName, EmailAddress, NewPassword, Role, Username};

#[derive(Parser)]
#[command(
    name = "razam",
    version,
    about = "Razam: documentation of repression, solidarity and election observation, in one self-hosted system."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new instance: configuration, database and vault. Prints the recovery key once.
    Init {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// `sqlite` (default: a file in DIR) or a postgres:// URL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Read the new passphrase from this file (else RAZAM_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Unlock the vault, apply pending migrations and serve HTTP until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// Address and port, e.g. 127.0.0.1:8080 (overrides razam.toml and RAZAM_LISTEN).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
        /// `sqlite` or a postgres:// URL (overrides razam.toml and RAZAM_DATABASE).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Start a demo instance with fictional data (created in ./razam-demo on first run).
    Demo {
        #[arg(long, value_name = "DIR", default_value = "razam-demo")]
        data: PathBuf,
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Persons in a new demo's registry (default 300), with about nine events each.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(19..=100_000_000))]
        size: Option<u64>,
        /// About this many events in all, instead of every person's whole story.
        #[arg(long, value_name = "M")]
        events: Option<u64>,
        /// The seed a new demo is drawn from (the same seed and size, the same registry).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// A postgres:// URL for a new demo's database (default: SQLite in DIR).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Create the instance (or open it) and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write the whole instance into one encrypted archive.
    Backup {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The archive to create (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore an archive into a new or empty folder (as a SQLite instance).
    Restore {
        /// The folder to restore into.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The archive made by `razam backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The passphrase in force when the backup was taken, from this file (else RAZAM_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Unlock with the recovery key in this file instead of the passphrase.
        #[arg(long, value_name = "FILE", conflicts_with = "passphrase_file")]
        recovery_key_file: Option<PathBuf>,
    },
    /// Manage the vault that holds the data key.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Import records from files (all or nothing; every failing row and cell is named).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write every person or every event into a CSV or XLSX file, unsealed. The file holds
    /// personal data in the clear: keep it on encrypted storage only.
    Export {
        /// `persons` or `events`.
        #[arg(value_parser = ["persons", "events"])]
        what: String,
        #[command(flatten)]
        unlock: UnlockArgs,
        /// `csv` or `xlsx`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to create (must not exist); written readable by its owner only.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print published figures.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Find the records of one person in CSV files, however the name is written; no instance
    /// needed. One input is deduplicated, two are linked. Writes `id,cluster_id`.
    Link {
        /// A CSV file with a header row (id, given_name, family_name, patronymic, birth_date,
        /// birth_place…; other columns are compared as text). Give two to link them.
        #[arg(long, value_name = "FILE", required = true)]
        input: Vec<PathBuf>,
        /// The CSV file to write: every input id once, with its cluster id.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// Match probability at which two records are linked (default 0.5).
        #[arg(long, value_name = "P")]
        threshold: Option<f64>,
    },
    /// Evidence and chain of custody: take files in, write a signed case package, verify one.
    Evidence {
        #[command(subcommand)]
        command: evidence::EvidenceCommand,
    },
    /// The ledger: bank statements, balances, the whole-ledger check, accounts.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Election observation: forensics on official protocols (no instance needed).
    Observe {
        #[command(subcommand)]
        command: observe::ObserveCommand,
    },
    /// One registry person: erase them (a data-protection request).
    Person {
        #[command(subcommand)]
        command: person::PersonCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a political-prisoner list. Header: ref,given_name,family_name,patronymic,
    /// birth_date,region,detained_on,articles,recognized_on,released_on. Importing the same
    /// file again changes nothing; a changed row updates its person.
    Prisoners {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The CSV file (UTF-8, comma-separated, with the header row).
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// Check every row and say what would change, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// `text` or `json` (the report).
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Import events about persons a prisoner list brought in. Header: person_ref,role,kind,
    /// date,region,district,settlement,facility,articles,arrest_days,term_months,
    /// confidentiality,description. Importing the same file again changes nothing.
    Events {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The CSV file (UTF-8, comma-separated, with the header row).
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// Check every row and say what would change, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// `text` or `json` (the report).
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Political prisoners held on a day (recognised on or before it and not released on or
    /// before it) and recognised in total (on or before it).
    PoliticalPrisoners {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The day, YYYY-MM-DD (default: today, UTC).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// `json` or `text`.
        #[arg(long, default_value = "text")]
        format: String,
    },
}

/// How to find and unlock an instance.
#[derive(Args)]
struct UnlockArgs {
    /// The instance's data folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Read the passphrase from this file (else RAZAM_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Unlock with the recovery key in this file instead of the passphrase.
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_file")]
    recovery_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password comes from RAZAM_NEW_PASSWORD or a prompt.
    Add {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long)]
        username: String,
        /// The name colleagues see.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// admin, coordinator, documenter, reviewer, volunteer, observer or viewer.
        #[arg(long)]
        role: String,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Disable an account and end all its sessions.
    Disable {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long)]
        username: String,
    },
    /// Set a new password (from RAZAM_NEW_PASSWORD or a prompt) and end all sessions.
    ResetPassword {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain: exit 0 with the count when intact, 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// A head printed by an earlier verification: fail if that entry is gone (entries cut off the end).
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Give the vault a new passphrase (from --new-passphrase-file, RAZAM_NEW_PASSPHRASE or a prompt).
    Rekey {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Panic lock: the running server of DIR ends every session and drops the data key from
    /// memory; it then answers only its unlock page. Reaches the server through DIR/razam.sock
    /// (only the data folder's owner can); needs no passphrase.
    Lock {
        /// The instance's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
}

/// jemalloc, not the C library's allocator: a page answered allocates and frees many small
/// buffers, and glibc's malloc and free took about a seventh of the server's CPU under load;
/// with jemalloc the server needs 10–20 % less CPU per answer and builds its indexes in a
/// quarter less time, at no more memory (mimalloc was as fast but held 1.7 times the memory;
/// docs/benchmarks.md, "The allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Linkage needs no instance and no async runtime.
    if let Command::Link {
        input,
        output,
        threshold,
    } = &cli.command
    {
        return match link::run(input, output, *threshold) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(if e.chain().any(|c| c.downcast_ref::<link::BadInput>().is_some()) {
                    2
                } else {
                    1
                })
            }
        };
    }
    // Verifying a package needs no instance and no async runtime.
    if let Command::Evidence {
        command: evidence::EvidenceCommand::Verify { package, identity },
    } = &cli.command
    {
        let code = evidence::verify(package, identity.as_deref());
        report_peak_memory();
        return code;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAZAM_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli.command));
    report_peak_memory();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let bad_input = e
                .chain()
                .any(|c| c.downcast_ref::<AppError>().is_some_and(AppError::is_bad_input));
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// With `RAZAM_PEAK_RSS` set, prints the process's peak resident memory to stderr at the end
/// (the evidence benchmark and the bounded-memory test read it).
fn report_peak_memory() {
    if std::env::var_os("RAZAM_PEAK_RSS").is_none() {
        return;
    }
    if let Some(line) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
    {
        eprintln!("peak RSS: {}", line.trim_start_matches("VmHWM:").trim());
    }
}

fn unlock_from(args: &UnlockArgs) -> Result<Unlock, AppError> {
    if let Some(path) = &args.recovery_key_file {
        let text = secrets::read("recovery key", Some(path), "RAZAM_RECOVERY_KEY", false)?;
        return Ok(Unlock::RecoveryKey(razam_app::vault::RecoveryKey::parse(&text)?));
    }
    Ok(Unlock::Passphrase(secrets::read(
        "passphrase",
        args.passphrase_file.as_deref(),
        "RAZAM_PASSPHRASE",
        false,
    )?))
}

async fn open(args: &UnlockArgs, overrides: &Overrides) -> anyhow::Result<App> {
    let config = Config::load(&args.data, overrides)?;
    Ok(instance::open(config, unlock_from(args)?).await?)
}

fn new_password() -> Result<NewPassword, AppError> {
    let password = secrets::read("new password", None, "RAZAM_NEW_PASSWORD", true)?;
    Ok(NewPassword::parse(password.to_string())?)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init {
            data,
            database,
            passphrase_file,
        } => {
            let passphrase = secrets::read("passphrase", passphrase_file.as_deref(), "RAZAM_PASSPHRASE", true)?;
            let recovery = instance::init(&data, &passphrase, database.as_deref()).await?;
            println!("Created a razam instance in {}.", data.display());
            println!();
            println!("Recovery key (shown only now; store it offline, apart from the passphrase):");
            println!();
            println!("    {}", recovery.display().as_str());
            println!();
            println!("Start it with: razam serve --data {}", data.display());
            Ok(())
        }
        Command::Serve {
            unlock,
            listen,
            database,
        } => {
            let overrides = Overrides { listen, database };
            let config = Config::load(&unlock.data, &overrides)?;
            let listener = bind(&config).await?;
            let app = instance::open(config, unlock_from(&unlock)?).await?;
            serve(listener, app).await
        }
        Command::Demo {
            data,
            listen,
            size,
            events,
            seed,
            database,
            no_serve,
        } => {
            let overrides = Overrides {
                listen: Some(listen),
                database,
            };
            let fresh = !demo::exists(&data);
            let mut demo_size = demo::DemoSize::default();
            if let Some(n) = size {
                demo_size.persons = usize::try_from(n)?;
            }
            demo_size.events = events.map(usize::try_from).transpose()?;
            if let Some(s) = seed {
                demo_size.seed = s;
            }
            if fresh {
                eprintln!(
                    "Creating the demo instance in {} (fictional data only)…",
                    data.display()
                );
            } else if size.is_some() || events.is_some() || seed.is_some() {
                eprintln!(
                    "The demo instance in {} exists: it is opened as it is (--size, --events and --seed make a new one only).",
                    data.display()
                );
            }
            let started = std::time::Instant::now();
            let app = demo::prepare_sized(&data, &overrides, demo_size).await?;
            if no_serve {
                if fresh {
                    eprintln!("Created in {:.1} s.", started.elapsed().as_secs_f64());
                }
                app.close().await;
                return Ok(());
            }
            let listener = bind(app.config()).await?;
            let addr = listener.local_addr()?;
            println!("Razam demo: http://{addr}/");
            println!(
                "Data folder: {} (demo passphrase: \"{}\")",
                data.display(),
                demo::DEMO_PASSPHRASE
            );
            println!("Log in as:");
            for (username, _, role, _) in demo::DEMO_USERS {
                println!(
                    "    {username:<8} password {:<24} ({role})",
                    demo::demo_password(username)
                );
            }
            serve(listener, app).await
        }
        Command::User { command } => user(command).await,
        Command::Import { command } => import(command).await,
        Command::Stats { command } => stats(command).await,
        Command::Link {
            input,
            output,
            threshold,
        } => link::run(&input, &output, threshold),
        Command::Observe { command } => observe::run(command).await,
        Command::Evidence { command } => evidence::run(command).await,
        Command::Ledger { command } => ledger::run(command).await,
        Command::Person { command } => person::run(command).await,
        Command::Export {
            what,
            unlock,
            format,
            out,
        } => export(&what, &unlock, &format, &out).await,
        Command::Audit {
            command: AuditCommand::Verify { unlock, head },
        } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let bar = spinner("verifying the audit chain");
            let result = app
                .verify_audit(head.as_deref(), &|n| bar.set_message(format!("{n} entries verified")))
                .await;
            bar.finish_and_clear();
            match result {
                Ok(report) if report.recorded_head_found == Some(false) => anyhow::bail!(
                    "audit chain broken: the recorded head is no longer in the chain (entries were cut off the end); \
                     {} entries remain, head {}",
                    report.entries,
                    report.head
                ),
                Ok(report) => {
                    println!("audit chain intact: {} entries, head {}", report.entries, report.head);
                    Ok(())
                }
                Err(AppError::AuditBroken(brk)) => anyhow::bail!("audit chain broken: {brk}"),
                Err(e) => Err(e.into()),
            }
        }
        Command::Backup { unlock, out } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let bar = spinner("writing the encrypted backup");
            let report = app.backup(&out).await;
            bar.finish_and_clear();
            let report = report?;
            println!(
                "backup written: {} ({} bytes; database {} bytes)",
                out.display(),
                report.archive_bytes,
                report.database_bytes
            );
            let evidence = unlock.data.join(razam_app::evidence::EVIDENCE_DIR);
            if std::fs::read_dir(&evidence).is_ok_and(|mut files| files.next().is_some()) {
                eprintln!(
                    "warning: evidence files are NOT in this archive: copy {} with it (ciphertext only; \
                     docs/operations.md, \"Backups\")",
                    evidence.display()
                );
            }
            Ok(())
        }
        Command::Restore {
            data,
            from,
            passphrase_file,
            recovery_key_file,
        } => {
            let unlock = unlock_from(&UnlockArgs {
                data: data.clone(),
                passphrase_file,
                recovery_key_file,
            })?;
            let bar = spinner("restoring");
            let report = razam_app::backup::restore(&from, &data, unlock).await;
            bar.finish_and_clear();
            let report = report?;
            println!(
                "restored into {}: audit chain intact with {} entries (key {})",
                data.display(),
                report.audit_entries,
                report.key_id
            );
            Ok(())
        }
        Command::Vault {
            command: VaultCommand::Rekey {
                unlock,
                new_passphrase_file,
            },
        } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let new = secrets::read(
                "new passphrase",
                new_passphrase_file.as_deref(),
                "RAZAM_NEW_PASSPHRASE",
                true,
            )?;
            app.rekey(&new).await?;
            println!("the vault has a new passphrase; the data key and all data are unchanged");
            Ok(())
        }
        Command::Vault {
            command: VaultCommand::Lock { data },
        } => lock(&data),
    }
}

/// `razam vault lock`: one line to the server's control socket, its answer printed.
fn lock(data: &std::path::Path) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let path = data.join(razam_web::lock::SOCKET);
    let mut stream = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
        anyhow::anyhow!(
            "no running razam server answers at {} ({e}): is it serving this data folder, and are you its owner?",
            path.display()
        )
    })?;
    stream.write_all(b"lock\n")?;
    let mut answer = String::new();
    std::io::BufReader::new(stream).read_line(&mut answer)?;
    let answer = answer.trim();
    match answer.strip_prefix("error: ") {
        Some(error) => anyhow::bail!("the server refused: {error}"),
        None => {
            println!("{answer}");
            Ok(())
        }
    }
}

async fn import(command: ImportCommand) -> anyhow::Result<()> {
    let (events, unlock, file, dry_run, format) = match command {
        ImportCommand::Prisoners {
            unlock,
            file,
            dry_run,
            format,
        } => (false, unlock, file, dry_run, format),
        ImportCommand::Events {
            unlock,
            file,
            dry_run,
            format,
        } => (true, unlock, file, dry_run, format),
    };
    check_format(&format, &["text", "json"])?;
    let bytes = std::fs::read(&file).map_err(|e| AppError::BadInput(format!("cannot read {}: {e}", file.display())))?;
    let app = open(&unlock, &Overrides::default()).await?;
    let bar = spinner(if dry_run {
        "checking the file"
    } else {
        "importing the file"
    });
    let report = if events {
        app.import_events(&Actor::Cli, &bytes, dry_run).await
    } else {
        app.import_prisoners(&Actor::Cli, &bytes, dry_run).await
    };
    bar.finish_and_clear();
    app.close().await;
    let report = report?;
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.errors.is_empty() {
        let verb = if dry_run { "would be" } else { "were" };
        println!(
            "{} rows: {} {verb} created, {} {verb} updated, {} unchanged{}",
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            if dry_run { " (dry run: nothing was written)" } else { "" }
        );
        for w in &report.warnings {
            eprintln!(
                "{}: line {}: probably the same person as {} ({:.1} %: {})",
                file.display(),
                w.line,
                w.candidate,
                w.probability * 100.0,
                w.agreeing
            );
        }
    } else {
        for e in &report.errors {
            let column = if e.column.is_empty() {
                String::new()
            } else {
                format!(", column {}", e.column)
            };
            eprintln!("{}: line {}{column}: {}", file.display(), e.line, e.message);
        }
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadInput(format!(
            "{} error(s) in {}; nothing was imported",
            report.errors.len(),
            file.display()
        ))
        .into())
    }
}

async fn export(what: &str, unlock: &UnlockArgs, format: &str, out: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let kind = ExportKind::parse(what).ok_or_else(|| AppError::BadInput("export persons or events".into()))?;
    let format = ExportFormat::parse(format).ok_or_else(|| AppError::BadInput("--format: one of csv, xlsx".into()))?;
    if out.exists() {
        return Err(AppError::BadInput(format!("{} exists already: choose a new file", out.display())).into());
    }
    let app = open(unlock, &Overrides::default()).await?;
    let bar = spinner("exporting");
    let export = app.export(&Actor::Cli, kind, format).await;
    bar.finish_and_clear();
    app.close().await;
    let export = export?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    file.write_all(&export.bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} {} written to {}", export.rows, kind.as_str(), out.display());
    eprintln!(
        "warning: {} holds personal data in the clear. Keep it only on encrypted storage \
         (an encrypted disk or archive), share it with no one who may not read the registry, \
         and delete it when it is no longer needed.",
        out.display()
    );
    Ok(())
}

async fn stats(command: StatsCommand) -> anyhow::Result<()> {
    let StatsCommand::PoliticalPrisoners { unlock, as_of, format } = command;
    check_format(&format, &["text", "json"])?;
    let as_of = match as_of {
        Some(text) => Day::parse(&text).map_err(|e| AppError::BadInput(format!("--as-of: {e}")))?,
        None => razam_app::today(),
    };
    let app = open(&unlock, &Overrides::default()).await?;
    let figures = app.prisoner_figures(as_of).await;
    app.close().await;
    let figures = figures?;
    if format == "json" {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        println!(
            "as of {}: {} political prisoners held; {} recognised in total",
            figures.as_of, figures.held, figures.recognized_total
        );
    }
    Ok(())
}

fn check_format(format: &str, allowed: &[&str]) -> Result<(), AppError> {
    if allowed.contains(&format) {
        Ok(())
    } else {
        Err(AppError::BadInput(format!("--format: one of {}", allowed.join(", "))))
    }
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            unlock,
            username,
            name,
            email,
            role,
        } => {
            // Parse everything before asking for secrets, so a typo costs nothing.
            let username = Username::parse(&username).map_err(AppError::from)?;
            let display_name = DisplayName::parse(&name).map_err(AppError::from)?;
            let email = email
                .as_deref()
                .map(EmailAddress::parse)
                .transpose()
                .map_err(AppError::from)?;
            let role = Role::parse(&role).map_err(|e| AppError::BadInput(e.to_string()))?;
            let app = open(&unlock, &Overrides::default()).await?;
            let password = new_password()?;
            let id = app
                .add_user(
                    &Actor::Cli,
                    NewUser {
                        username,
                        display_name,
                        email,
                        role,
                        password,
                    },
                )
                .await?;
            println!("created account {id}");
            Ok(())
        }
        UserCommand::List { unlock, format } => {
            if format != "table" && format != "json" {
                return Err(AppError::BadInput("--format: `table` or `json`".into()).into());
            }
            let app = open(&unlock, &Overrides::default()).await?;
            let users = app.list_users(&Actor::Cli).await?;
            if format == "json" {
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "id": u.id, "username": u.username, "display_name": u.display_name,
                            "email": u.email, "role": u.role.as_str(), "disabled": u.disabled,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!("{:>4}  {:<20} {:<12} {:<9} name", "id", "username", "role", "status");
                for u in &users {
                    let status = if u.disabled { "disabled" } else { "active" };
                    println!(
                        "{:>4}  {:<20} {:<12} {:<9} {}",
                        u.id, u.username, u.role, status, u.display_name
                    );
                }
            }
            Ok(())
        }
        UserCommand::Disable { unlock, username } => set_disabled(&unlock, &username, true).await,
        UserCommand::Enable { unlock, username } => set_disabled(&unlock, &username, false).await,
        UserCommand::ResetPassword { unlock, username } => {
            let username = Username::parse(&username).map_err(AppError::from)?;
            let app = open(&unlock, &Overrides::default()).await?;
            let password = new_password()?;
            app.reset_password(&Actor::Cli, &username, password).await?;
            println!("password set; every session of the account has ended");
            Ok(())
        }
    }
}

async fn set_disabled(unlock: &UnlockArgs, username: &str, disabled: bool) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(AppError::from)?;
    let app = open(unlock, &Overrides::default()).await?;
    app.set_user_disabled(&Actor::Cli, &username, disabled).await?;
    println!(
        "{}",
        if disabled {
            "account disabled; its sessions have ended"
        } else {
            "account enabled"
        }
    );
    Ok(())
}

fn spinner(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

async fn bind(config: &Config) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "cannot listen on {}: the port is in use by another program",
                config.listen
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot listen on {}", config.listen))
        }
    })
}

async fn serve(listener: tokio::net::TcpListener, app: App) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = app.database_kind(), key = app.key_id(), "serving");
    eprintln!("razam is serving on http://{addr}/ (database: {})", app.database_kind());
    // The server holds the only reference, so that the panic lock can drop the instance; it
    // closes the database when it stops.
    razam_web::serve(listener, Arc::new(app), shutdown_signal())
        .await
        .context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot watch SIGTERM; stop with SIGINT");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing requests under way");
}

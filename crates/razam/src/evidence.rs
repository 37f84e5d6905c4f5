//! `razam evidence …`: taking files in, writing a case package, verifying one (no instance).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use razam_app::config::Overrides;
use razam_app::evidence::package::{self, Verification};
use razam_app::evidence::{Attachment, Capture};
use razam_app::{Actor, AppError};
use razam_core::registry::Confidentiality;

use crate::{UnlockArgs, open};

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Take files in as evidence of a case (made if new): each is sealed in the data folder
    /// with its SHA-256 and BLAKE3, and its intake starts its custody log. Capture metadata
    /// is recorded as given; what is not given stays empty.
    Add {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The case reference (e.g. a court file number); a new one makes a new case.
        #[arg(long, value_name = "REF")]
        case: String,
        /// Attach the files to this person (id).
        #[arg(long, value_name = "ID", conflicts_with_all = ["event", "source"])]
        person: Option<i64>,
        /// Attach the files to this event (id).
        #[arg(long, value_name = "ID", conflicts_with = "source")]
        event: Option<i64>,
        /// Attach the files to this source (id).
        #[arg(long, value_name = "ID")]
        source: Option<i64>,
        /// Who collected the files.
        #[arg(long, value_name = "TEXT", default_value = "")]
        collected_by: String,
        /// When they were collected, as given.
        #[arg(long, value_name = "TEXT", default_value = "")]
        collected_at: String,
        /// How: filmed, photographed, downloaded, received from a witness…
        #[arg(long, value_name = "TEXT", default_value = "")]
        method: String,
        /// From where: a place or a URL.
        #[arg(long = "from", value_name = "TEXT", default_value = "")]
        from: String,
        /// With what tool.
        #[arg(long, value_name = "TEXT", default_value = "")]
        tool: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        notes: String,
        /// public, internal or restricted (default).
        #[arg(long, default_value = "restricted")]
        confidentiality: String,
        /// The files.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one case's package: the original files, a manifest (sizes, SHA-256, BLAKE3,
    /// capture metadata, custody logs), an Ed25519 signature by this instance, and a README
    /// on verifying it with standard tools. Each file's custody log records the export.
    Export {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long, value_name = "REF")]
        case: String,
        /// The package to create (must not exist); readable by its owner only.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt the package to this age public key (age1…).
        #[arg(long, value_name = "KEY")]
        age_recipient: Option<String>,
    },
    /// Record that a package was handed to someone: a `transfer` entry in the custody log of
    /// every file in it. Whom to and the notes are sealed.
    Transfer {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long, value_name = "REF")]
        case: String,
        /// The package id `razam evidence export` printed.
        #[arg(long, value_name = "ID")]
        package: String,
        /// Whom it was handed to (a person, an organisation, a court registry).
        #[arg(long, value_name = "TEXT")]
        to: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        notes: String,
    },
    /// Verify a package; needs no instance. Exit 0 when every file, hash, custody log and
    /// signature holds; 1 naming each file missing, altered or extra, or a bad signature.
    Verify {
        /// The package (`razam evidence export`), plain or encrypted with age.
        #[arg(value_name = "FILE")]
        package: PathBuf,
        /// The age identity file that opens an encrypted package.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
}

/// `verify` runs without the async runtime, like `link`: 0 intact, 1 not, 2 bad input.
pub fn verify(package: &std::path::Path, identity: Option<&std::path::Path>) -> ExitCode {
    match package::verify_package(package, identity) {
        Ok(v) => {
            print_verification(&v);
            ExitCode::from(u8::from(!v.problems.is_empty()))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}

fn print_verification(v: &Verification) {
    for p in &v.problems {
        println!("{p}");
    }
    let fp = v.fingerprint.as_deref().unwrap_or("unknown");
    if v.problems.is_empty() {
        println!(
            "OK: {} files of case {} are intact, their custody logs hold, and the manifest is signed by the key with fingerprint {fp}",
            v.files,
            v.case.as_deref().unwrap_or("?")
        );
        println!("Compare this fingerprint with the one the sender's instance shows.");
    } else {
        println!("FAILED: {} problem(s) found", v.problems.len());
    }
}

pub async fn run(command: EvidenceCommand) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Add {
            unlock,
            case,
            person,
            event,
            source,
            collected_by,
            collected_at,
            method,
            from,
            tool,
            notes,
            confidentiality,
            files,
        } => {
            let level = Confidentiality::parse(&confidentiality)
                .ok_or_else(|| AppError::BadInput("--confidentiality: one of public, internal, restricted".into()))?;
            // Check every file before taking any in.
            for f in &files {
                if !f.is_file() {
                    return Err(AppError::BadInput(format!("{} is not a readable file", f.display())).into());
                }
            }
            let attachment = match (person, event, source) {
                (Some(id), _, _) => Attachment::Person(id),
                (_, Some(id), _) => Attachment::Event(id),
                (_, _, Some(id)) => Attachment::Source(id),
                _ => Attachment::None,
            };
            let capture = Capture {
                collected_by,
                collected_at,
                method,
                source: from,
                tool,
                notes,
            };
            let app = open(&unlock, &Overrides::default()).await?;
            let mut result = Ok(());
            for f in &files {
                match app
                    .add_evidence_file(&Actor::Cli, &case, f, &capture, attachment, level)
                    .await
                    .with_context(|| format!("taking in {}", f.display()))
                {
                    Ok(item) => println!(
                        "evidence {}  {}  {} bytes  sha256 {}  blake3 {}",
                        item.id,
                        f.display(),
                        item.facts.size,
                        item.facts.sha256,
                        item.facts.blake3
                    ),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            app.close().await;
            result
        }
        EvidenceCommand::Export {
            unlock,
            case,
            out,
            age_recipient,
        } => {
            if out.exists() {
                return Err(AppError::BadInput(format!("{} exists already: choose a new file", out.display())).into());
            }
            let app = open(&unlock, &Overrides::default()).await?;
            let report = app
                .export_evidence(&Actor::Cli, &case, &out, age_recipient.as_deref())
                .await;
            app.close().await;
            let report = report?;
            println!(
                "package {} written to {}: {} files, {} bytes{}",
                report.package,
                out.display(),
                report.files,
                report.bytes,
                if report.encrypted { ", encrypted with age" } else { "" }
            );
            println!("signing key fingerprint: {}", report.fingerprint);
            if !report.encrypted {
                eprintln!(
                    "warning: {} holds the evidence files in the clear. Keep it only on encrypted storage, \
                     hand it over in person or encrypted (--age-recipient), and delete it when it is no \
                     longer needed.",
                    out.display()
                );
            }
            Ok(())
        }
        EvidenceCommand::Transfer {
            unlock,
            case,
            package,
            to,
            notes,
        } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let details = razam_app::evidence::TransferDetails { to, notes };
            let result = app.transfer_package(&Actor::Cli, &case, &package, &details).await;
            app.close().await;
            println!("transfer {} of package {package} recorded", result?);
            Ok(())
        }
        EvidenceCommand::Verify { .. } => Ok(()),
    }
}

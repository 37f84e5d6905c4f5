//! `razam person …`: what an operator does to one registry person from the command line; for
//! now the erasure of a person (a data-protection request; docs/registry.md).

use clap::Subcommand;
use razam_app::Actor;
use razam_app::config::Overrides;

use crate::{UnlockArgs, open};

#[derive(Subcommand)]
pub enum PersonCommand {
    /// Erase a person and everyone merged with them: names, birth date, contacts, notes and
    /// every earlier version overwritten, their names redacted in the texts of their events,
    /// the ids kept (events, figures, ledger and audit chain unchanged). Cannot be undone.
    Erase {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The person's id (12) or label (P-000012).
        #[arg(long, value_name = "N")]
        id: String,
        /// Why, as the audit log records it; it may not name the person.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

pub async fn run(command: PersonCommand) -> anyhow::Result<()> {
    match command {
        PersonCommand::Erase { unlock, id, reason } => {
            let id = parse_id(&id)?;
            refuse_while_served(&unlock.data)?;
            let app = open(&unlock, &Overrides::default()).await?;
            app.erase_person(&Actor::Cli, id, &reason).await?;
            println!(
                "{} erased: its id stays, nothing that names the person is left (backups made earlier still hold them)",
                razam_app::registry::label_for(id)
            );
            Ok(())
        }
    }
}

fn parse_id(text: &str) -> anyhow::Result<i64> {
    let digits = text.trim().trim_start_matches(['P', 'p']).trim_start_matches('-');
    match digits.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(
            razam_app::AppError::BadInput(format!("--id: `{text}` is not a person id such as 12 or P-000012")).into(),
        ),
    }
}

/// A server serving this folder keeps the names in its in-memory search index: erasing behind
/// its back would leave them findable there until it restarts. Erase on its page instead.
fn refuse_while_served(data: &std::path::Path) -> anyhow::Result<()> {
    let socket = data.join(razam_web::lock::SOCKET);
    if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
        return Err(razam_app::AppError::BadInput(
            "a razam server is serving this data folder: erase on its page /persons/<id>/erase, or stop it first, \
             so that its search index forgets the person at once"
                .into(),
        )
        .into());
    }
    Ok(())
}

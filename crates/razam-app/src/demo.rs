//! The demo instance behind the README's run command: fictional people only.

mod aid;
mod observation;
mod registry;

pub use observation::PROTOCOL_HEADER;
pub use registry::{DemoCounts, NOTE};

use std::path::Path;

use razam_core::{DisplayName, NewPassword, Role, Username};
use zeroize::Zeroizing;

use crate::config::{Config, Overrides};
use crate::instance::{self, Unlock};
use crate::{Actor, App, AppError, NewUser};

/// Not a secret: the demo holds fictional data only, and says so on every start.
pub const DEMO_PASSPHRASE: &str = "razam demo passphrase";

/// The demo accounts: user name, display name, role, password. All fictional.
pub const DEMO_USERS: &[(&str, &str, Role, &str)] = &[
    ("demo", "Demo Administrator", Role::Admin, "demo-password"),
    ("ales", "Алесь Дакументатар", Role::Documenter, "demo-password"),
    ("hanna", "Ганна Рэцэнзентка", Role::Reviewer, "demo-password"),
    ("volha", "Вольга Каардынатарка", Role::Coordinator, "demo-password"),
    ("zmicer", "Назіральнік З.", Role::Observer, "demo-password"),
    ("lesia", "Назіральніца Л.", Role::Observer, "demo-password"),
    ("marta", "Marta K. (volunteer)", Role::Volunteer, "demo-password"),
];

/// Whether `dir` holds the demo instance already.
pub fn exists(dir: &Path) -> bool {
    dir.join(crate::config::VAULT_FILE).exists()
}

/// Opens the demo instance in `dir`, creating it with its fictional data first if needed.
pub async fn prepare(dir: &Path, overrides: &Overrides) -> Result<App, AppError> {
    let fresh = !exists(dir);
    if fresh {
        instance::init(dir, DEMO_PASSPHRASE, None).await?;
    }
    let config = Config::load(dir, overrides)?;
    let app = instance::open(config, Unlock::Passphrase(Zeroizing::new(DEMO_PASSPHRASE.into()))).await?;
    if fresh {
        for (username, display_name, role, password) in DEMO_USERS {
            let user = NewUser {
                username: Username::parse(username)?,
                display_name: DisplayName::parse(display_name)?,
                email: None,
                role: *role,
                password: NewPassword::parse(format!("{password}-{username}"))?,
            };
            app.add_user(&Actor::Cli, user).await?;
        }
        let counts = app.write_demo_registry().await?;
        tracing::info!(
            persons = counts.persons,
            events = counts.events,
            recognised = counts.recognised,
            "demo registry written"
        );
        let election = app.write_demo_observation().await?;
        tracing::info!(election, "demo election written");
        let (movements, shifts) = app.write_demo_aid().await?;
        tracing::info!(movements, shifts, "demo aid and shifts written");
    }
    Ok(app)
}

/// The password of a demo account (the table's stem plus the user name, to reach 12 characters).
pub fn demo_password(username: &str) -> String {
    format!("demo-password-{username}")
}

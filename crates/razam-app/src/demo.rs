//! The demo instance behind the README's run command: fictional people only.

mod aid;
mod ledger;
mod observation;
mod registry;
mod solidarity;

pub use ledger::{DEMO_IBAN_EUR, DEMO_IBAN_PLN};
pub use observation::PROTOCOL_HEADER;
pub use registry::{DemoCounts, DemoSize, NOTE};

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
    prepare_sized(dir, overrides, DemoSize::default()).await
}

/// [`prepare`] with a registry of `size` (`razam demo --size N`). An instance that exists
/// already is opened as it is, whatever its size. `overrides.database` puts a new demo in
/// PostgreSQL (for load tests); by default it is SQLite in `dir`.
pub async fn prepare_sized(dir: &Path, overrides: &Overrides, size: DemoSize) -> Result<App, AppError> {
    let fresh = !exists(dir);
    if fresh {
        instance::init(dir, DEMO_PASSPHRASE, overrides.database.as_deref()).await?;
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
        let started = std::time::Instant::now();
        let counts = app.write_demo_registry(size).await?;
        tracing::info!(
            persons = counts.persons,
            events = counts.events,
            recognised = counts.recognised,
            ms = started.elapsed().as_millis() as u64,
            "demo registry written"
        );
        let started = std::time::Instant::now();
        let election = app.write_demo_observation(size.persons).await?;
        tracing::info!(
            election,
            ms = started.elapsed().as_millis() as u64,
            "demo election written"
        );
        // The demo books are of one size whatever `size` asks; books at scale are still owed
        // (issue 9, item 1).
        let transfers = app.write_demo_ledger().await?;
        tracing::info!(transfers, "demo ledger written");
        let as_user = |name: &'static str| {
            let app = &app;
            async move {
                app.log_in(name, &format!("demo-password-{name}"), None)
                    .await
                    .map(|login| Actor::Account(login.user))
            }
        };
        let (volha, ales, hanna) = (as_user("volha").await?, as_user("ales").await?, as_user("hanna").await?);
        let solidarity = app
            .write_demo_solidarity(&volha, &ales, [&hanna, &volha], &[5, 12, 19, 26, 33, 40, 47])
            .await?;
        tracing::info!(
            campaigns = solidarity.campaigns,
            donations = solidarity.donations,
            cases = solidarity.cases,
            "demo solidarity written"
        );
        let (movements, shifts) = app.write_demo_aid().await?;
        tracing::info!(movements, shifts, "demo aid and shifts written");
    }
    Ok(app)
}

/// The password of a demo account (the table's stem plus the user name, to reach 12 characters).
pub fn demo_password(username: &str) -> String {
    format!("demo-password-{username}")
}

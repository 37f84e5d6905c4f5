//! Configuration: the instance's `razam.toml`, then environment variables, then command-line
//! flags, each overriding the one before. An unknown key is an error that names it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use razam_store::DatabaseLocation;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub const CONFIG_FILE: &str = "razam.toml";
pub const VAULT_FILE: &str = "vault.json";
pub const DATABASE_FILE: &str = "razam.db";

/// `razam.toml` as written on disk. Every key is optional; defaults are in [`Config::load`].
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address and port to serve on.
    pub listen: Option<String>,
    /// `sqlite` (the file razam.db in the data folder) or a `postgres://` URL.
    pub database: Option<String>,
    /// Mark cookies `Secure`: set this when Razam is served over HTTPS (a TLS proxy or onion service).
    pub secure_cookies: Option<bool>,
    /// How long a login lasts, in hours.
    pub session_hours: Option<u32>,
    /// Limits on the public report form.
    pub intake: Option<IntakeFile>,
    /// Limits on failed logins.
    pub login: Option<LoginFile>,
    /// Assistance cases.
    pub assistance: Option<AssistanceFile>,
    /// Limits on what a request or an import may hold.
    pub limits: Option<LimitsFile>,
    /// What needs a second person's approval.
    pub two_person: Option<TwoPersonFile>,
}

/// `[assistance]` in `razam.toml`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistanceFile {
    /// How many different people (never the requester) approve a case before it is paid.
    pub approvals: Option<u8>,
}

/// The assistance rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistanceSettings {
    pub approvals: u8,
}

impl Default for AssistanceSettings {
    fn default() -> AssistanceSettings {
        AssistanceSettings {
            approvals: razam_core::assistance::DEFAULT_APPROVALS,
        }
    }
}

/// `[limits]` in `razam.toml`: the largest request, upload and import the instance takes.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// The largest form (request body) a page takes, in KiB.
    pub form_kib: Option<u32>,
    /// The largest file upload (stations, counts, protocols), in MiB.
    pub upload_mib: Option<u32>,
    /// The most data rows a CSV import takes.
    pub import_rows: Option<u32>,
}

/// The input limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub form_kib: u32,
    pub upload_mib: u32,
    pub import_rows: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            form_kib: 64,
            upload_mib: 64,
            import_rows: 2_000_000,
        }
    }
}

impl Limits {
    pub fn form_bytes(&self) -> usize {
        self.form_kib as usize * 1024
    }

    pub fn upload_bytes(&self) -> usize {
        self.upload_mib as usize * 1024 * 1024
    }
}

/// `[two_person]` in `razam.toml`: what an account may do only once a second account with the
/// same permission has approved it (docs/security.md). On unless switched off.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoPersonFile {
    /// Exports of the whole registry to a file (`/export`).
    pub exports: Option<bool>,
    /// Deletions of records: the erasure of a person (`/persons/{id}/erase`).
    pub deletions: Option<bool>,
}

/// `[login]` in `razam.toml`: failed logins allowed before a name or an address is locked.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFile {
    /// Failed logins of one account name within the window before it is locked.
    pub failures_per_account: Option<u32>,
    /// Failed logins from one network address within the window before it is locked.
    pub failures_per_address: Option<u32>,
    /// The window failures are counted over, in minutes.
    pub window_minutes: Option<u32>,
    /// How long a name or address stays locked, in minutes.
    pub lockout_minutes: Option<u32>,
}

/// The login limits in force (in memory only; see `throttle.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub failures_per_account: u32,
    pub failures_per_address: u32,
    pub window_minutes: u32,
    pub lockout_minutes: u32,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            failures_per_account: 5,
            // An onion service sees every visitor as one address: high, against one machine
            // trying many names, not against a crowd behind one address.
            failures_per_address: 100,
            window_minutes: 15,
            lockout_minutes: 15,
        }
    }
}

/// `[intake]` in `razam.toml`: how many reports the public form accepts per hour.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeFile {
    /// Reports per hour from one network address (kept in memory only, as a keyed hash).
    pub per_address_per_hour: Option<u32>,
    /// Reports per hour from everyone together.
    pub per_hour: Option<u32>,
}

/// The public form's limits in force: reports per hour, per address and in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    pub per_address_per_hour: u32,
    pub per_hour: u32,
}

impl Default for IntakeLimits {
    fn default() -> IntakeLimits {
        IntakeLimits {
            per_address_per_hour: 5,
            per_hour: 200,
        }
    }
}

/// Values given on the command line; they win over the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database: Option<String>,
}

/// The configuration in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database: DatabaseLocation,
    pub secure_cookies: bool,
    pub session_hours: u32,
    pub intake: IntakeLimits,
    pub login: LoginLimits,
    pub assistance: AssistanceSettings,
    pub limits: Limits,
    /// Whether an account's export waits for a second account's approval.
    pub two_person_exports: bool,
    /// Whether an account's erasure of a person waits for a second account's approval.
    pub two_person_deletions: bool,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Config {
    /// Reads `DIR/razam.toml`, then `RAZAM_LISTEN`, `RAZAM_DATABASE`, `RAZAM_SECURE_COOKIES`,
    /// then the command-line overrides.
    pub fn load(data_dir: &Path, overrides: &Overrides) -> Result<Config, AppError> {
        Config::load_with_env(data_dir, overrides, |k| std::env::var(k).ok())
    }

    pub fn load_with_env(
        data_dir: &Path,
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, AppError> {
        let path = data_dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AppError::NoInstance(data_dir.to_owned()));
            }
            Err(e) => return Err(AppError::io(format!("reading {}", path.display()))(e)),
        };
        let file: ConfigFile =
            toml::from_str(&text).map_err(|e| AppError::Config(format!("{}: {}", path.display(), e.message())))?;

        let listen = overrides
            .listen
            .clone()
            .or_else(|| env("RAZAM_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen.parse().map_err(|_| {
            AppError::Config(format!(
                "listen: `{listen}` is not an address and port such as 127.0.0.1:8080"
            ))
        })?;
        let database = overrides
            .database
            .clone()
            .or_else(|| env("RAZAM_DATABASE"))
            .or(file.database)
            .unwrap_or_else(|| "sqlite".into());
        let secure_cookies = match env("RAZAM_SECURE_COOKIES") {
            Some(v) => parse_bool("RAZAM_SECURE_COOKIES", &v)?,
            None => file.secure_cookies.unwrap_or(false),
        };
        let session_hours = file.session_hours.unwrap_or(12);
        if !(1..=24 * 30).contains(&session_hours) {
            return Err(AppError::Config("session_hours: between 1 and 720".into()));
        }
        let defaults = IntakeLimits::default();
        let intake_file = file.intake.unwrap_or_default();
        let intake = IntakeLimits {
            per_address_per_hour: intake_file
                .per_address_per_hour
                .unwrap_or(defaults.per_address_per_hour),
            per_hour: intake_file.per_hour.unwrap_or(defaults.per_hour),
        };
        if intake.per_address_per_hour == 0 || intake.per_hour == 0 {
            return Err(AppError::Config(
                "intake: per_address_per_hour and per_hour are at least 1".into(),
            ));
        }
        let defaults = LoginLimits::default();
        let login_file = file.login.unwrap_or_default();
        let login = LoginLimits {
            failures_per_account: login_file.failures_per_account.unwrap_or(defaults.failures_per_account),
            failures_per_address: login_file.failures_per_address.unwrap_or(defaults.failures_per_address),
            window_minutes: login_file.window_minutes.unwrap_or(defaults.window_minutes),
            lockout_minutes: login_file.lockout_minutes.unwrap_or(defaults.lockout_minutes),
        };
        if [
            login.failures_per_account,
            login.failures_per_address,
            login.window_minutes,
            login.lockout_minutes,
        ]
        .contains(&0)
        {
            return Err(AppError::Config("login: every limit is at least 1".into()));
        }
        let assistance = AssistanceSettings {
            approvals: file
                .assistance
                .and_then(|a| a.approvals)
                .unwrap_or(razam_core::assistance::DEFAULT_APPROVALS),
        };
        if !(1..=razam_core::assistance::MAX_APPROVALS).contains(&assistance.approvals) {
            return Err(AppError::Config(format!(
                "assistance: approvals is from 1 to {}",
                razam_core::assistance::MAX_APPROVALS
            )));
        }
        let defaults = Limits::default();
        let limits_file = file.limits.unwrap_or_default();
        let limits = Limits {
            form_kib: limits_file.form_kib.unwrap_or(defaults.form_kib),
            upload_mib: limits_file.upload_mib.unwrap_or(defaults.upload_mib),
            import_rows: limits_file.import_rows.unwrap_or(defaults.import_rows),
        };
        if limits.form_kib == 0 || limits.upload_mib == 0 || limits.import_rows == 0 {
            return Err(AppError::Config("limits: every limit is at least 1".into()));
        }
        if limits.form_kib > 1024 * 1024 || limits.upload_mib > 64 * 1024 {
            return Err(AppError::Config(
                "limits: form_kib is at most 1048576 and upload_mib at most 65536".into(),
            ));
        }
        Ok(Config {
            data_dir: data_dir.to_owned(),
            listen,
            database: database_location(data_dir, &database)?,
            secure_cookies,
            session_hours,
            intake,
            login,
            assistance,
            limits,
            two_person_exports: file.two_person.as_ref().and_then(|t| t.exports).unwrap_or(true),
            two_person_deletions: file.two_person.as_ref().and_then(|t| t.deletions).unwrap_or(true),
        })
    }
}

pub fn database_location(data_dir: &Path, database: &str) -> Result<DatabaseLocation, AppError> {
    if database == "sqlite" {
        Ok(DatabaseLocation::Sqlite(data_dir.join(DATABASE_FILE)))
    } else if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        Ok(DatabaseLocation::Postgres(database.to_owned()))
    } else {
        Err(AppError::Config("database: `sqlite` or a postgres:// URL".into()))
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(AppError::Config(format!("{name}: `true` or `false`"))),
    }
}

/// The file `razam init` writes, with each key explained.
pub fn initial_file(database: &str) -> String {
    format!(
        "# Razam instance configuration (docs/configuration.md).\n\
         # Environment variables RAZAM_LISTEN, RAZAM_DATABASE and RAZAM_SECURE_COOKIES override it.\n\n\
         # Address and port to serve on. Keep it on loopback behind a TLS proxy or onion service.\n\
         listen = \"{DEFAULT_LISTEN}\"\n\n\
         # `sqlite` (razam.db in this folder) or a postgres:// URL.\n\
         database = {database:?}\n\n\
         # Set to true when Razam is reached over HTTPS, so cookies are sent only over TLS.\n\
         secure_cookies = false\n\n\
         # How long a login lasts, in hours.\n\
         session_hours = 12\n\n\
         # The public report form (/report): reports accepted per hour from one network address\n\
         # (behind a proxy or onion service every visitor shares the proxy's address) and in total.\n\
         # Addresses are never stored; the count lives in memory only. Uncomment to change.\n\
         # (A table: keep it below every other key of this file.)\n\
         # [intake]\n\
         # per_address_per_hour = 5\n\
         # per_hour = 200\n\n\
         # Failed logins before a user name or a network address is locked, within a window of\n\
         # minutes, and how long the lock lasts (docs/configuration.md). In memory only.\n\
         # [login]\n\
         # failures_per_account = 5\n\
         # failures_per_address = 100\n\
         # window_minutes = 15\n\
         # lockout_minutes = 15\n\n\
         # Assistance cases: how many different people (never the requester) approve a case\n\
         # before it can be paid (1 to 9).\n\
         # [assistance]\n\
         # approvals = 2\n\n\
         # An export of the registry by an account waits until a second account that may export\n\
         # approves it (the two-person rule). Switch off only where one person works alone.\n\
         # [two_person]\n\
         # exports = true\n\
         # The erasure of a person by an account waits the same way for a second account that\n\
         # may erase (an administrator): it cannot be undone.\n\
         # deletions = true\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: &str, env: &[(&str, &str)], overrides: Overrides) -> Result<Config, AppError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), file).unwrap();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load_with_env(dir.path(), &overrides, |k| {
            env.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_initial_file_loads_with_its_defaults() {
        let c = load(&initial_file("sqlite"), &[], Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(matches!(c.database, DatabaseLocation::Sqlite(_)));
        assert!(!c.secure_cookies);
        assert_eq!(c.intake, IntakeLimits::default());
    }

    #[test]
    fn intake_limits_are_read_and_checked() {
        let c = load("[intake]\nper_address_per_hour = 2\n", &[], Overrides::default()).unwrap();
        assert_eq!((c.intake.per_address_per_hour, c.intake.per_hour), (2, 200));
        let err = load("[intake]\nper_hour = 0\n", &[], Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("intake"), "{err}");
    }

    #[test]
    fn assistance_approvals_default_to_two_and_are_checked() {
        let c = load("", &[], Overrides::default()).unwrap();
        assert_eq!(c.assistance.approvals, 2);
        let c = load("[assistance]\napprovals = 3\n", &[], Overrides::default()).unwrap();
        assert_eq!(c.assistance.approvals, 3);
        for bad in ["[assistance]\napprovals = 0\n", "[assistance]\napprovals = 10\n"] {
            let err = load(bad, &[], Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("approvals"), "{err}");
        }
    }

    #[test]
    fn environment_overrides_the_file_and_flags_override_both() {
        let c = load(
            "listen = \"127.0.0.1:1\"",
            &[("RAZAM_LISTEN", "127.0.0.1:2")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 2);
        let flags = Overrides {
            listen: Some("127.0.0.1:3".into()),
            database: None,
        };
        let c = load("listen = \"127.0.0.1:1\"", &[("RAZAM_LISTEN", "127.0.0.1:2")], flags).unwrap();
        assert_eq!(c.listen.port(), 3);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = load("listen = \"127.0.0.1:1\"\nlisten_port = 8\n", &[], Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("listen_port"), "{err}");
        assert!(err.is_bad_input());
    }

    #[test]
    fn bad_values_are_explained() {
        let err = load("database = \"mysql://x\"", &[], Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("database"), "{err}");
        let err = load("listen = \"everywhere\"", &[], Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("everywhere"), "{err}");
    }
}

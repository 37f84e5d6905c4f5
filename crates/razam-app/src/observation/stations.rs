//! Polling stations imported from CSV, and observers assigned to them.

use std::collections::HashMap;

use razam_core::Role;
use razam_core::account::Username;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::observation::{ElectionId, NewStation, StationId, StationRow};

use crate::import::{self, CellError, ImportReport};
use crate::{Actor, App, AppError};

/// The header of a station file; `address` and `registered` may be left out.
pub const STATION_COLUMNS: [&str; 4] = ["code", "region", "address", "registered"];
const OPTIONAL: [&str; 2] = ["address", "registered"];
const CODE_MAX: usize = 64;
const REGION_MAX: usize = 100;
const ADDRESS_MAX: usize = 300;

/// Reads a station file: every row, or every failing cell (line and column named).
pub(crate) fn parse_stations(bytes: &[u8], max_rows: u32) -> Result<Vec<(u64, NewStation)>, Vec<CellError>> {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    import::read_rows_with_optional(bytes, &STATION_COLUMNS, &OPTIONAL, max_rows, |cells, errors| {
        let line = cells.line;
        let text = |i: usize, max: usize, required: bool, errors: &mut Vec<CellError>| {
            let cell = cells.get(i);
            if required && cell.is_empty() {
                errors.push(import::error(
                    line,
                    STATION_COLUMNS[i],
                    "empty; this column is required".into(),
                ));
            } else if cell.chars().count() > max || cell.chars().any(char::is_control) {
                errors.push(import::error(
                    line,
                    STATION_COLUMNS[i],
                    format!("at most {max} characters, no control characters"),
                ));
            }
            cell.to_owned()
        };
        let code = text(0, CODE_MAX, true, errors);
        let region = text(1, REGION_MAX, true, errors);
        let address = text(2, ADDRESS_MAX, false, errors);
        let registered = match cells.get(3) {
            "" => None,
            cell => match cell.parse::<i64>() {
                Ok(n) if (0..=10_000_000).contains(&n) => Some(n),
                _ => {
                    errors.push(import::error(
                        line,
                        "registered",
                        format!("\"{cell}\" is not a whole number of voters ≥ 0"),
                    ));
                    None
                }
            },
        };
        if !code.is_empty() {
            if let Some(first) = first_line.get(&code) {
                errors.push(import::error(
                    line,
                    "code",
                    format!("station \"{code}\" is on line {first} already"),
                ));
            } else {
                first_line.insert(code.clone(), line);
            }
        }
        Some((
            line,
            NewStation {
                code,
                region,
                address: (!address.is_empty()).then_some(address),
                registered,
            },
        ))
    })
}

impl App {
    /// Imports polling stations into an election: all or nothing; a station whose code the
    /// election has already is updated.
    pub async fn import_stations(
        &self,
        actor: &Actor,
        election: ElectionId,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::ManageElections)?;
        self.election(election).await?;
        let rows = match parse_stations(bytes, self.config.limits.import_rows) {
            Ok(rows) => rows,
            Err(errors) => return Ok(ImportReport::failed(dry_run, errors)),
        };
        if rows.is_empty() {
            return Ok(ImportReport::failed(
                dry_run,
                vec![import::error(1, "", "the file has a header but no stations".into())],
            ));
        }
        let existing: std::collections::HashSet<String> = self
            .store
            .stations(election)
            .await?
            .into_iter()
            .map(|s| s.code)
            .collect();
        let updated = rows.iter().filter(|(_, s)| existing.contains(&s.code)).count();
        let mut report = ImportReport {
            rows: rows.len(),
            created: rows.len() - updated,
            updated,
            dry_run,
            ..ImportReport::default()
        };
        if !dry_run {
            let stations: Vec<NewStation> = rows.into_iter().map(|(_, s)| s).collect();
            let event = self.event(
                actor,
                "election.import_stations",
                AuditObject::Named(format!("election:{election}")),
            );
            let (created, updated) = self.store.import_stations(election, &stations, &event).await?;
            report.created = created;
            report.updated = updated;
        }
        Ok(report)
    }

    /// An election's polling stations, for the pages of those who run or read the observation
    /// (and, without observers, for the public report).
    pub async fn stations(&self, election: ElectionId) -> Result<Vec<StationRow>, AppError> {
        Ok(self.store.stations(election).await?)
    }

    pub async fn station(&self, id: StationId) -> Result<StationRow, AppError> {
        self.store
            .station(id)
            .await?
            .ok_or(AppError::NotFound("the polling station"))
    }

    /// Assigns an observer account (by user name) to a station. Only accounts with the
    /// observer role observe; assigning twice changes nothing.
    pub async fn assign_observer(&self, actor: &Actor, station: StationId, username: &str) -> Result<bool, AppError> {
        self.require(actor, Permission::ManageElections)?;
        self.station(station).await?;
        let username = Username::parse(username)?;
        let account = self
            .account_by_username(&username)
            .await?
            .ok_or(AppError::NotFound("an account with this user name"))?;
        if account.role != Role::Observer || account.disabled {
            return Err(AppError::BadInput(
                "only an enabled account with the observer role can be assigned to a station".into(),
            ));
        }
        let event = self.event(
            actor,
            "station.assign_observer",
            AuditObject::Named(format!("station:{station}/account:{}", account.id)),
        );
        Ok(self.store.assign_observer(station, account.id, &event).await?)
    }

    /// The stations the acting observer is assigned to, newest election first.
    pub async fn my_stations(&self, actor: &Actor) -> Result<Vec<StationRow>, AppError> {
        self.require(actor, Permission::SubmitCounts)?;
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        Ok(self.store.stations_of_observer(user.id).await?)
    }

    /// Observers' pseudonyms (user names) by account id: for those who read the observation.
    pub(crate) async fn observer_names(&self) -> Result<HashMap<i64, String>, AppError> {
        let mut names = HashMap::new();
        for row in self.store.list_accounts().await? {
            if row.role == Role::Observer {
                names.insert(row.id, self.unseal_account(&row)?.username);
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_station_file_names_each_bad_cell_and_a_repeated_code() {
        let ok = parse_stations(b"code,region\n01-001,Minsk\n01-002,Minsk\n", u32::MAX).unwrap_or_default();
        assert_eq!(ok.len(), 2);
        assert_eq!((ok[1].0, ok[1].1.registered), (3, None));
        let errors = parse_stations(
            "code,region,address,registered\n01-001,Minsk,\"School 5\",1200\n01-001,Minsk,,x\n,Brest,,\n".as_bytes(),
            u32::MAX,
        )
        .err()
        .unwrap_or_default();
        let named: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(named, vec![(3, "registered"), (3, "code"), (4, "code")]);
        let header = parse_stations(b"code,town\n1,x\n", u32::MAX).err().unwrap_or_default();
        assert_eq!(header.len(), 2, "{header:?}");
    }
}

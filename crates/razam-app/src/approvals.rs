//! The two-person rule (issue 8): an account's export of the registry waits until a second
//! account that may export approves it. The request names the file (`export:persons.csv`),
//! never content; it is used by the export it allows, once, within a day of its approval, in
//! the same transaction as the export's audit entry. The command line is not held to it: the
//! operator there holds the data folder and the passphrase, which is more than any approval
//! could guard (docs/security.md). The erasure of a person is held to the same rule
//! (`[two_person] deletions`, `crate::erasure`), decided by an account that may erase.

use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::approvals::{ApprovalId, ApprovalRow};

use crate::export::{ExportFormat, ExportKind};
use crate::{Actor, App, AppError, CurrentUser};

/// How long an approval can be used after it was given.
pub const VALID_FOR_MS: i64 = 24 * 3600 * 1000;
/// How far back the export page lists requests.
const LISTED_FOR_MS: i64 = 7 * 24 * 3600 * 1000;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    Waiting,
    Approved,
    Refused,
    Used,
    /// Approved, not used within [`VALID_FOR_MS`].
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Waiting => "waiting",
            ApprovalState::Approved => "approved",
            ApprovalState::Refused => "refused",
            ApprovalState::Used => "used",
            ApprovalState::Expired => "expired",
        }
    }
}

/// A request as the export page shows it.
#[derive(Debug, Clone)]
pub struct ApprovalView {
    pub id: ApprovalId,
    /// The file it is for (`persons.csv`).
    pub file: String,
    pub requested_by: String,
    pub requested_at_ms: i64,
    /// Whether the reader asked for it (and so may not decide it).
    pub mine: bool,
    pub decided_by: Option<String>,
    pub state: ApprovalState,
}

/// What an approval of an export is for.
pub fn export_subject(kind: ExportKind, format: ExportFormat) -> String {
    format!("export:{}.{}", kind.as_str(), format.as_str())
}

fn state(row: &ApprovalRow, now_ms: i64) -> ApprovalState {
    match (row.approved, row.used_at_ms, row.decided_at_ms) {
        (None, _, _) => ApprovalState::Waiting,
        (Some(false), _, _) => ApprovalState::Refused,
        (Some(true), Some(_), _) => ApprovalState::Used,
        (Some(true), None, Some(at)) if now_ms - at > VALID_FOR_MS => ApprovalState::Expired,
        (Some(true), None, _) => ApprovalState::Approved,
    }
}

impl App {
    /// Whether `actor`'s exports wait for a second person's approval.
    pub fn export_needs_approval(&self, actor: &Actor) -> bool {
        self.config.two_person_exports && matches!(actor, Actor::Account(_))
    }

    /// The account that asks for or decides an approval of something `permission` allows.
    pub(crate) fn approver(&self, actor: &Actor, permission: Permission) -> Result<CurrentUser, AppError> {
        self.require(actor, permission)?;
        match actor {
            Actor::Account(user) => Ok(user.clone()),
            _ => Err(AppError::BadInput(
                "only an account asks for or gives an approval; the command line needs none".into(),
            )),
        }
    }

    /// Asks for a second person's approval of an export.
    pub async fn request_export_approval(
        &self,
        actor: &Actor,
        kind: ExportKind,
        format: ExportFormat,
    ) -> Result<ApprovalId, AppError> {
        self.request_approval(actor, &export_subject(kind, format)).await
    }

    /// Asks for a second person's approval of `subject`, by an account that may do it.
    pub(crate) async fn request_approval(&self, actor: &Actor, subject: &str) -> Result<ApprovalId, AppError> {
        let user = self.approver(actor, permission_for(subject))?;
        let audit = self.event(actor, "approval.request", AuditObject::Created("approval"));
        Ok(self
            .store
            .request_approval(subject, user.id, crate::now_ms(), &audit)
            .await?)
    }

    /// The requests of the last week, newest first, for anyone who may export.
    pub async fn export_approvals(&self, actor: &Actor) -> Result<Vec<ApprovalView>, AppError> {
        let me = self.approver(actor, Permission::Export)?;
        let now = crate::now_ms();
        let rows = self.store.approvals_since(now - LISTED_FOR_MS).await?;
        let mut names: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(file) = row.subject.strip_prefix("export:") else {
                continue;
            };
            for id in std::iter::once(row.requested_by).chain(row.decided_by) {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
                    let name = match self.store.account_by_id(id).await? {
                        Some(account) => self.unseal_account(&account)?.display_name,
                        None => format!("account {id}"),
                    };
                    slot.insert(name);
                }
            }
            let requested_by = names.get(&row.requested_by).cloned().unwrap_or_default();
            let decided_by = row.decided_by.and_then(|id| names.get(&id).cloned());
            views.push(ApprovalView {
                id: row.id,
                file: file.to_owned(),
                requested_by,
                requested_at_ms: row.requested_at_ms,
                mine: row.requested_by == me.id,
                decided_by,
                state: state(&row, now),
            });
        }
        Ok(views)
    }

    /// Approves or refuses another account's waiting request. Nobody decides their own, and
    /// only an account that may do what was asked for decides it (an export: `Export`; an
    /// erasure: `ErasePersons`).
    pub async fn decide_export_approval(&self, actor: &Actor, id: ApprovalId, approve: bool) -> Result<(), AppError> {
        let row = self
            .store
            .approval(id)
            .await?
            .ok_or(AppError::NotFound("the request"))?;
        let me = self.approver(actor, permission_for(&row.subject))?;
        if row.requested_by == me.id {
            return Err(AppError::BadInput(
                "a request is decided by a second person, never by the one who asked".into(),
            ));
        }
        let action = if approve { "approval.approve" } else { "approval.refuse" };
        let audit = self.event(actor, action, AuditObject::Named(format!("approval:{id}")));
        if !self
            .store
            .decide_approval(id, me.id, approve, crate::now_ms(), &audit)
            .await?
        {
            return Err(AppError::BadInput("this request has been decided already".into()));
        }
        Ok(())
    }

    /// Whether `actor` holds an approved, unused, unexpired approval for `subject`.
    pub(crate) async fn holds_approval(&self, actor: &Actor, subject: &str) -> Result<bool, AppError> {
        Ok(self.latest_request(subject).await?.is_some_and(|(row, state)| {
            state == ApprovalState::Approved && matches!(actor, Actor::Account(user) if user.id == row.requested_by)
        }))
    }

    /// The newest request of the last week for `subject` and where it stands.
    pub(crate) async fn latest_request(&self, subject: &str) -> Result<Option<(ApprovalRow, ApprovalState)>, AppError> {
        let now = crate::now_ms();
        Ok(self
            .store
            .approvals_since(now - LISTED_FOR_MS)
            .await?
            .into_iter()
            .find(|r| r.subject == subject)
            .map(|r| {
                let st = state(&r, now);
                (r, st)
            }))
    }

    /// Uses `actor`'s approval for `subject` together with the audit entry of what it allowed;
    /// refused when there is none (another tab may have used it meanwhile).
    pub(crate) async fn use_approval(
        &self,
        actor: &Actor,
        subject: &str,
        audit: &razam_store::AuditEvent,
    ) -> Result<(), AppError> {
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = crate::now_ms();
        match self
            .store
            .use_approval(subject, user.id, now - VALID_FOR_MS, now, audit)
            .await?
        {
            Some(_) => Ok(()),
            None => Err(AppError::BadInput(NEEDS_APPROVAL.into())),
        }
    }
}

/// The permission an approval of `subject` is asked for and decided under.
fn permission_for(subject: &str) -> Permission {
    if subject.starts_with(crate::erasure::SUBJECT_PREFIX) {
        Permission::ErasePersons
    } else {
        Permission::Export
    }
}

/// The refusal of an export without its approval.
pub const NEEDS_APPROVAL: &str =
    "this export needs a second person's approval: ask for it on the export page, then download it once within a day";

#[cfg(test)]
mod tests {
    use super::*;

    fn row(approved: Option<bool>, decided_at_ms: Option<i64>, used_at_ms: Option<i64>) -> ApprovalRow {
        ApprovalRow {
            id: 1,
            subject: "export:persons.csv".into(),
            requested_by: 1,
            requested_at_ms: 0,
            decided_by: approved.map(|_| 2),
            decided_at_ms,
            approved,
            used_at_ms,
        }
    }

    #[test]
    fn an_approval_is_good_for_a_day_and_once() {
        let day = VALID_FOR_MS;
        assert_eq!(state(&row(None, None, None), day * 3), ApprovalState::Waiting);
        assert_eq!(state(&row(Some(false), Some(10), None), 20), ApprovalState::Refused);
        assert_eq!(
            state(&row(Some(true), Some(10), None), 10 + day),
            ApprovalState::Approved
        );
        assert_eq!(
            state(&row(Some(true), Some(10), None), 11 + day),
            ApprovalState::Expired
        );
        assert_eq!(state(&row(Some(true), Some(10), Some(20)), 30), ApprovalState::Used);
    }
}

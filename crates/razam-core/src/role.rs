//! Roles: what an account may do. Compartments (need to know) come on top of these later.

use std::fmt;

/// The role of an account. Each role is a fixed set of permissions; see [`Role::may`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Coordinator,
    Documenter,
    Reviewer,
    Volunteer,
    Observer,
    Viewer,
}

/// Something an account may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create, disable and reset accounts.
    ManageAccounts,
    /// Read the audit log.
    ReadAudit,
    /// Read registry records marked public or internal.
    ReadRegistry,
    /// Read registry records marked restricted (need to know).
    ReadRestricted,
    /// Create and change persons, events and sources; work the intake queue.
    WriteRegistry,
    /// Decide political-prisoner recognition and record status changes.
    Recognise,
    /// Import registry data in bulk.
    BulkData,
    /// Export what the role may read to a file (CSV, XLSX), in the clear. Only the roles
    /// that keep the registry: a file leaves the vault, so read-only roles read on screen.
    Export,
    /// Create elections, import polling stations and protocols, assign observers, enter
    /// observers' paper forms.
    ManageElections,
    /// Read an election's counts, conflicts and discrepancies with the observers' names.
    ReadObservation,
    /// Submit counts at the stations one is assigned to (the app checks the assignment).
    SubmitCounts,
    /// Settle disagreeing counts of one station and day.
    ResolveCounts,
    /// Keep the books: open ledger accounts, book, reverse and exchange, import bank
    /// statements, work the reconciliation queue, register reference codes.
    ManageLedger,
    /// Read the ledger: accounts, balances, transfers with their counterparties, the check.
    ReadLedger,
    /// Create and change campaigns and record donations (with donors' sealed names).
    ManageCampaigns,
    /// Read assistance cases: amounts, categories and who the beneficiary is.
    ReadAssistance,
    /// Ask for assistance for someone (the requester can never approve their own request).
    RequestAssistance,
    /// Review, approve or refuse requests of others.
    ApproveAssistance,
    /// Book the payment of an approved case in the ledger.
    PayAssistance,

    /// Keep the aid catalogue and warehouses, record stock movements (receipts with their
    /// donors, transfers, dispatches, write-offs) and shipments, print their labels.
    ManageStock,
    /// Keep volunteer profiles (sealed names and contacts), places and shifts; sign anyone
    /// up or off; see the coverage of the coming days.
    ManageShifts,
    /// See the shifts and sign oneself up or off, through the volunteer profile linked to
    /// one's own account; never another volunteer's name.
    SignUpShifts,

    /// Erase a person (a request under data-protection law): anonymise every record naming
    /// them, keep the ids. Irreversible, so administrators only.
    ErasePersons,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Coordinator,
        Role::Documenter,
        Role::Reviewer,
        Role::Volunteer,
        Role::Observer,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Documenter => "documenter",
            Role::Reviewer => "reviewer",
            Role::Volunteer => "volunteer",
            Role::Observer => "observer",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }

    /// Least privilege: a permission is granted only where it is listed here.
    pub fn may(self, permission: Permission) -> bool {
        match permission {
            Permission::ManageAccounts | Permission::ReadAudit => self == Role::Admin,
            Permission::ReadRegistry => matches!(
                self,
                Role::Admin | Role::Coordinator | Role::Documenter | Role::Reviewer | Role::Viewer
            ),
            Permission::ReadRestricted | Permission::WriteRegistry => {
                matches!(self, Role::Admin | Role::Documenter | Role::Reviewer)
            }
            Permission::Recognise => matches!(self, Role::Admin | Role::Reviewer),
            Permission::BulkData => matches!(self, Role::Admin | Role::Reviewer),
            Permission::Export => matches!(self, Role::Admin | Role::Reviewer | Role::Documenter),
            Permission::ManageElections => matches!(self, Role::Admin | Role::Coordinator),
            Permission::ReadObservation => matches!(self, Role::Admin | Role::Coordinator | Role::Reviewer),
            // Only observers count: an administrator or coordinator enters an observer's paper
            // form in the observer's name (ManageElections), never a count of their own.
            Permission::SubmitCounts => self == Role::Observer,
            Permission::ResolveCounts => matches!(self, Role::Admin | Role::Reviewer),
            // Treasurer's work: the ledger names counterparties (sealed), so only those who
            // keep the books read it.
            Permission::ManageLedger | Permission::ReadLedger => matches!(self, Role::Admin | Role::Coordinator),
            // Solidarity: coordinators run campaigns and pay; reviewers (who decide on
            // persons) approve with them; documenters, who meet the families, may ask.
            // Volunteers, observers and viewers see nothing of it beyond the public pages.
            Permission::ManageCampaigns | Permission::PayAssistance => {
                matches!(self, Role::Admin | Role::Coordinator)
            }
            Permission::ReadAssistance | Permission::ApproveAssistance => {
                matches!(self, Role::Admin | Role::Coordinator | Role::Reviewer)
            }
            Permission::RequestAssistance => matches!(self, Role::Admin | Role::Coordinator | Role::Documenter),

            // The crisis centre's coordinators run the warehouses and the shifts; registry
            // roles never see donors or volunteers, and volunteers only sign themselves up.
            Permission::ManageStock | Permission::ManageShifts => matches!(self, Role::Admin | Role::Coordinator),
            Permission::SignUpShifts => matches!(self, Role::Volunteer),
            Permission::ErasePersons => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}` (expected one of: admin, coordinator, documenter, reviewer, volunteer, observer, viewer)")]
pub struct UnknownRole(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn volunteers_and_observers_see_no_registry_and_only_reviewers_recognise() {
        for role in [Role::Volunteer, Role::Observer] {
            assert!(!role.may(Permission::ReadRegistry));
        }
        assert!(Role::Viewer.may(Permission::ReadRegistry));
        assert!(!Role::Viewer.may(Permission::ReadRestricted));
        assert!(Role::Documenter.may(Permission::WriteRegistry));
        assert!(!Role::Documenter.may(Permission::Recognise));
        assert!(Role::Reviewer.may(Permission::Recognise));
    }

    #[test]
    fn observers_only_count_and_coordinators_run_elections() {
        for role in Role::ALL {
            assert_eq!(role.may(Permission::SubmitCounts), role == Role::Observer);
        }
        for p in [
            Permission::ManageElections,
            Permission::ReadObservation,
            Permission::ResolveCounts,
            Permission::ReadRegistry,
        ] {
            assert!(!Role::Observer.may(p));
        }
        assert!(Role::Coordinator.may(Permission::ManageElections));
        assert!(!Role::Coordinator.may(Permission::ResolveCounts));
        assert!(Role::Reviewer.may(Permission::ResolveCounts));
        assert!(!Role::Reviewer.may(Permission::ManageElections));
    }

    #[test]
    fn only_admins_and_coordinators_keep_the_books() {
        for role in Role::ALL {
            let treasurer = matches!(role, Role::Admin | Role::Coordinator);
            assert_eq!(role.may(Permission::ManageLedger), treasurer);
            assert_eq!(role.may(Permission::ReadLedger), treasurer);
        }
    }

    #[test]
    fn solidarity_is_for_coordinators_reviewers_and_requesting_documenters() {
        for role in [Role::Volunteer, Role::Observer, Role::Viewer] {
            for p in [
                Permission::ManageCampaigns,
                Permission::ReadAssistance,
                Permission::RequestAssistance,
                Permission::ApproveAssistance,
                Permission::PayAssistance,
            ] {
                assert!(!role.may(p), "{role} {p:?}");
            }
        }
        assert!(Role::Documenter.may(Permission::RequestAssistance));
        assert!(!Role::Documenter.may(Permission::ReadAssistance));
        assert!(!Role::Documenter.may(Permission::ApproveAssistance));
        assert!(Role::Reviewer.may(Permission::ApproveAssistance));
        assert!(!Role::Reviewer.may(Permission::PayAssistance));
        assert!(Role::Coordinator.may(Permission::PayAssistance));
    }

    #[test]
    fn coordinators_run_stock_and_shifts_and_volunteers_only_sign_up() {
        for role in Role::ALL {
            let runs = matches!(role, Role::Admin | Role::Coordinator);
            assert_eq!(role.may(Permission::ManageStock), runs, "{role}");
            assert_eq!(role.may(Permission::ManageShifts), runs, "{role}");
            assert_eq!(role.may(Permission::SignUpShifts), role == Role::Volunteer, "{role}");
        }
    }

    #[test]
    fn only_admins_manage_accounts() {
        for role in Role::ALL {
            assert_eq!(role.may(Permission::ManageAccounts), role == Role::Admin);
        }
    }
}

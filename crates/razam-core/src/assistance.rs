//! Assistance cases: money paid to a person (or a family) persecuted for their views, decided
//! by several people so that no one alone can pay anyone.
//!
//! A case is named by an opaque random reference ([`CaseRef`], shown as `A-7K3QX9MZ`); who the
//! beneficiary is lives sealed elsewhere and never reaches this module. The life of a case is
//! a small state machine ([`step`]):
//!
//! ```text
//! requested ──review──▶ in_review ──approve × N──▶ approved ──pay──▶ paid
//!     │                    │                          │
//!     └──── refuse (not the requester) / withdraw (the requester only) ──▶ refused / withdrawn
//! ```
//!
//! The rules that protect the money are here, not in the pages: the requester can never
//! review, approve or refuse their own request; each person's approval counts once; a case is
//! paid only once it holds the number of approvals it was requested under.

use std::fmt;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    Requested,
    InReview,
    Approved,
    Paid,
    Refused,
    Withdrawn,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        CaseState::Requested,
        CaseState::InReview,
        CaseState::Approved,
        CaseState::Paid,
        CaseState::Refused,
        CaseState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Requested => "requested",
            CaseState::InReview => "in_review",
            CaseState::Approved => "approved",
            CaseState::Paid => "paid",
            CaseState::Refused => "refused",
            CaseState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether nothing more can happen to the case.
    pub fn is_final(self) -> bool {
        matches!(self, CaseState::Paid | CaseState::Refused | CaseState::Withdrawn)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What someone does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseAction {
    /// Take the request up for review.
    Review,
    Approve,
    Refuse,
    /// The requester takes the request back.
    Withdraw,
    /// The payment is booked in the ledger.
    Pay,
}

impl CaseAction {
    pub const ALL: [CaseAction; 5] = [
        CaseAction::Review,
        CaseAction::Approve,
        CaseAction::Refuse,
        CaseAction::Withdraw,
        CaseAction::Pay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseAction::Review => "review",
            CaseAction::Approve => "approve",
            CaseAction::Refuse => "refuse",
            CaseAction::Withdraw => "withdraw",
            CaseAction::Pay => "pay",
        }
    }

    pub fn parse(s: &str) -> Option<CaseAction> {
        CaseAction::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the assistance is for. Each category is its own expense account in the ledger, so
/// that the public report can say how much went to legal aid without naming anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    LegalAid,
    PrisonParcels,
    FamilySupport,
    Evacuation,
    Medical,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::LegalAid,
        Category::PrisonParcels,
        Category::FamilySupport,
        Category::Evacuation,
        Category::Medical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::LegalAid => "legal-aid",
            Category::PrisonParcels => "prison-parcels",
            Category::FamilySupport => "family-support",
            Category::Evacuation => "evacuation",
            Category::Medical => "medical",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The approvals a case needs unless `razam.toml` says otherwise.
pub const DEFAULT_APPROVALS: u8 = 2;
/// The most approvals a configuration may ask for.
pub const MAX_APPROVALS: u8 = 9;

/// A case's opaque reference: `A-` and eight characters of Crockford's base 32 (40 random
/// bits). It says nothing about the beneficiary and is the only name a case has outside
/// its sealed record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef(String);

/// Crockford's base-32 alphabet: no I, L, O or U, so a reference read aloud or copied by hand
/// survives.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl CaseRef {
    /// The reference of 40 random bits (the caller draws them; this crate has no randomness).
    pub fn from_random(bits: [u8; 5]) -> CaseRef {
        let mut n = bits.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let mut chars = [0u8; 8];
        for c in chars.iter_mut().rev() {
            *c = CROCKFORD[(n & 31) as usize];
            n >>= 5;
        }
        CaseRef(format!("A-{}", String::from_utf8_lossy(&chars)))
    }

    /// A reference as typed: case and the letters Crockford maps (O→0, I/L→1) forgiven.
    pub fn parse(text: &str) -> Option<CaseRef> {
        let t = text.trim().to_ascii_uppercase();
        let body = t.strip_prefix("A-")?;
        if body.len() != 8 {
            return None;
        }
        let mut out = String::from("A-");
        for c in body.chars() {
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !CROCKFORD.contains(&(c as u8)) || !c.is_ascii() {
                return None;
            }
            out.push(c);
        }
        Some(CaseRef(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// What the rules need to know of a case. Actors are named as in the audit log
/// (`account:7`, `cli`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub state: CaseState,
    pub requester: String,
    /// Who has approved so far, each once.
    pub approvals: Vec<String>,
    /// How many different people must approve (fixed when the case was requested).
    pub required: u8,
}

/// The result of a legal step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub to: CaseState,
    /// Whether the step adds the actor's approval.
    pub approval: bool,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IllegalStep {
    #[error("the requester cannot {0} their own request")]
    OwnRequest(&'static str),
    #[error("only the requester can withdraw a request")]
    NotTheRequester,
    #[error("this person has already approved the case")]
    AlreadyApproved,
    #[error("a case that is {state} cannot be {action}")]
    WrongState { state: CaseState, action: &'static str },
    #[error("the case has {have} of the {need} approvals it needs")]
    NotEnoughApprovals { have: usize, need: u8 },
}

fn done(action: CaseAction) -> &'static str {
    match action {
        CaseAction::Review => "taken up for review",
        CaseAction::Approve => "approved",
        CaseAction::Refuse => "refused",
        CaseAction::Withdraw => "withdrawn",
        CaseAction::Pay => "paid",
    }
}

/// The step `actor` may take with `action`, or why not. Permissions (who may approve at all)
/// are the role's business ([`crate::role`]); this is what follows from the case itself.
pub fn step(case: &CaseFacts, actor: &str, action: CaseAction) -> Result<Step, IllegalStep> {
    use CaseState::*;
    let wrong = || IllegalStep::WrongState {
        state: case.state,
        action: done(action),
    };
    let own = actor == case.requester;
    match action {
        CaseAction::Review => {
            if case.state != Requested {
                return Err(wrong());
            }
            if own {
                return Err(IllegalStep::OwnRequest("review"));
            }
            Ok(Step {
                to: InReview,
                approval: false,
            })
        }
        CaseAction::Approve => {
            if case.state != InReview {
                return Err(wrong());
            }
            if own {
                return Err(IllegalStep::OwnRequest("approve"));
            }
            if case.approvals.iter().any(|a| a == actor) {
                return Err(IllegalStep::AlreadyApproved);
            }
            let have = distinct(&case.approvals) + 1;
            Ok(Step {
                to: if have >= usize::from(case.required.max(1)) {
                    Approved
                } else {
                    InReview
                },
                approval: true,
            })
        }
        CaseAction::Refuse => {
            if case.state.is_final() {
                return Err(wrong());
            }
            if own {
                return Err(IllegalStep::OwnRequest("refuse"));
            }
            Ok(Step {
                to: Refused,
                approval: false,
            })
        }
        CaseAction::Withdraw => {
            if case.state.is_final() {
                return Err(wrong());
            }
            if !own {
                return Err(IllegalStep::NotTheRequester);
            }
            Ok(Step {
                to: Withdrawn,
                approval: false,
            })
        }
        CaseAction::Pay => {
            if case.state != Approved {
                return Err(wrong());
            }
            // A second check of the count the approvals reached: a row edited by hand, or a
            // bug elsewhere, must not be enough to pay.
            let have = distinct(&case.approvals);
            if have < usize::from(case.required.max(1)) || case.approvals.contains(&case.requester) {
                return Err(IllegalStep::NotEnoughApprovals {
                    have,
                    need: case.required,
                });
            }
            Ok(Step {
                to: Paid,
                approval: false,
            })
        }
    }
}

fn distinct(approvals: &[String]) -> usize {
    let mut seen: Vec<&str> = approvals.iter().map(String::as_str).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(state: CaseState, approvals: &[&str]) -> CaseFacts {
        CaseFacts {
            state,
            requester: "account:1".into(),
            approvals: approvals.iter().map(|a| a.to_string()).collect(),
            required: 2,
        }
    }

    #[test]
    fn a_case_goes_from_request_to_payment_with_two_approvals() {
        let mut c = case(CaseState::Requested, &[]);
        let s = step(&c, "account:2", CaseAction::Review).unwrap();
        assert_eq!(s.to, CaseState::InReview);
        c.state = s.to;
        let s = step(&c, "account:2", CaseAction::Approve).unwrap();
        assert_eq!((s.to, s.approval), (CaseState::InReview, true));
        c.approvals.push("account:2".into());
        let s = step(&c, "account:3", CaseAction::Approve).unwrap();
        assert_eq!((s.to, s.approval), (CaseState::Approved, true));
        c.approvals.push("account:3".into());
        c.state = s.to;
        assert_eq!(step(&c, "account:4", CaseAction::Pay).unwrap().to, CaseState::Paid);
    }

    #[test]
    fn the_requester_can_never_review_approve_or_refuse() {
        for (state, action) in [
            (CaseState::Requested, CaseAction::Review),
            (CaseState::InReview, CaseAction::Approve),
            (CaseState::Requested, CaseAction::Refuse),
            (CaseState::InReview, CaseAction::Refuse),
            (CaseState::Approved, CaseAction::Refuse),
        ] {
            let c = case(state, &["account:2"]);
            assert!(
                matches!(step(&c, "account:1", action), Err(IllegalStep::OwnRequest(_))),
                "{state} {action:?}"
            );
        }
    }

    #[test]
    fn one_person_approves_once() {
        let c = case(CaseState::InReview, &["account:2"]);
        assert_eq!(
            step(&c, "account:2", CaseAction::Approve),
            Err(IllegalStep::AlreadyApproved)
        );
    }

    #[test]
    fn only_the_requester_withdraws() {
        let c = case(CaseState::InReview, &[]);
        assert_eq!(
            step(&c, "account:2", CaseAction::Withdraw),
            Err(IllegalStep::NotTheRequester)
        );
        assert_eq!(
            step(&c, "account:1", CaseAction::Withdraw).unwrap().to,
            CaseState::Withdrawn
        );
    }

    /// Every (state, action) pair not on the diagram is refused, whoever asks.
    #[test]
    fn every_illegal_step_is_refused() {
        let legal = |state: CaseState, action: CaseAction| match action {
            CaseAction::Review => state == CaseState::Requested,
            CaseAction::Approve => state == CaseState::InReview,
            CaseAction::Refuse | CaseAction::Withdraw => !state.is_final(),
            CaseAction::Pay => state == CaseState::Approved,
        };
        for state in CaseState::ALL {
            for action in CaseAction::ALL {
                let c = case(state, &["account:2", "account:3"]);
                let someone = if action == CaseAction::Withdraw {
                    "account:1"
                } else {
                    "account:9"
                };
                let r = step(&c, someone, action);
                if legal(state, action) {
                    assert!(r.is_ok(), "{state} {action:?}: {r:?}");
                } else {
                    assert!(
                        matches!(r, Err(IllegalStep::WrongState { .. })),
                        "{state} {action:?}: {r:?}"
                    );
                }
            }
        }
        for state in [CaseState::Paid, CaseState::Refused, CaseState::Withdrawn] {
            assert!(state.is_final());
        }
    }

    #[test]
    fn payment_needs_the_approvals_even_when_the_state_says_approved() {
        let c = case(CaseState::Approved, &["account:2"]);
        assert_eq!(
            step(&c, "account:3", CaseAction::Pay),
            Err(IllegalStep::NotEnoughApprovals { have: 1, need: 2 })
        );
        // The same person twice is one approval.
        let c = case(CaseState::Approved, &["account:2", "account:2"]);
        assert!(step(&c, "account:3", CaseAction::Pay).is_err());
        // The requester's own approval never counts.
        let c = case(CaseState::Approved, &["account:1", "account:2"]);
        assert!(step(&c, "account:3", CaseAction::Pay).is_err());
    }

    #[test]
    fn three_approvals_when_three_are_required() {
        let mut c = case(CaseState::InReview, &["account:2"]);
        c.required = 3;
        assert_eq!(
            step(&c, "account:3", CaseAction::Approve).unwrap().to,
            CaseState::InReview
        );
        c.approvals.push("account:3".into());
        assert_eq!(
            step(&c, "account:4", CaseAction::Approve).unwrap().to,
            CaseState::Approved
        );
    }

    #[test]
    fn references_are_opaque_and_parse_forgivingly() {
        let r = CaseRef::from_random([0, 0, 0, 0, 0]);
        assert_eq!(r.as_str(), "A-00000000");
        let r = CaseRef::from_random([0xff; 5]);
        assert_eq!(r.as_str(), "A-ZZZZZZZZ");
        let r = CaseRef::from_random([0x3a, 0x1c, 0x55, 0x90, 0x07]);
        assert_eq!(CaseRef::parse(&r.as_str().to_lowercase()), Some(r.clone()));
        assert_eq!(CaseRef::parse("a-7k3qx9mo").unwrap().as_str(), "A-7K3QX9M0");
        assert_eq!(CaseRef::parse("A-7K3QX9M"), None);
        assert_eq!(CaseRef::parse("A-7K3QX9MU"), None);
        assert_eq!(CaseRef::parse("B-7K3QX9MZ"), None);
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }
}

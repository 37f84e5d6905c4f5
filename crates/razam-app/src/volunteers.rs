//! Volunteers (issue 6 item 6): profiles, places, shifts, sign-ups and the coverage of the
//! coming days ([docs/solidarity-aid.md]).
//!
//! A volunteer's name and contact are sealed; their skills are vocabulary codes kept in the
//! clear for the coverage view. A volunteer signs up themselves through the profile linked to
//! their own account (role Volunteer, `SignUpShifts`), and sees shifts and how many places are
//! open, never who else is signed up; a coordinator (`ManageShifts`) signs anyone up or off.
//! No double sign-up and no sign-up over the head count: [`razam_store::volunteers`] says how.

use std::collections::{BTreeMap, HashMap};

use razam_core::Username;
use razam_core::aid::{Coverage, Skill, coverage, needs_text, parse_needs, parse_skills};
use razam_core::registry::Day;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::volunteers::{NewShift, NewVolunteer, SignUpOutcome, VolunteerRow};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError};

const SEAL_VOLUNTEER: &str = "volunteer.profile";
const TEXT_MAX: usize = 200;
const DAY_MS: i64 = 86_400_000;
/// The most days the coverage view looks ahead.
pub const COVERAGE_DAYS_MAX: i64 = 60;

/// A volunteer's name and contact, sealed whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolunteerDetails {
    pub name: String,
    #[serde(default)]
    pub contact: String,
}

#[derive(Debug, Clone)]
pub struct VolunteerInput {
    pub details: VolunteerDetails,
    pub skills: Vec<Skill>,
    /// The user name of the account that may sign this volunteer up (role Volunteer).
    pub account: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VolunteerView {
    pub id: i64,
    pub details: VolunteerDetails,
    pub skills: Vec<Skill>,
    pub linked: bool,
}

#[derive(Debug, Clone)]
pub struct PlaceView {
    pub id: i64,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ShiftInput {
    pub place_id: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub head_count: i64,
    pub needs: BTreeMap<Skill, u32>,
}

/// A shift as shown, with its coverage.
#[derive(Debug, Clone)]
pub struct ShiftView {
    pub id: i64,
    pub place_id: i64,
    pub place: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub head_count: i64,
    pub needs: BTreeMap<Skill, u32>,
    pub signed_up: i64,
    /// Who is signed up (id, name): filled only for those who manage shifts.
    pub volunteers: Vec<(i64, String)>,
    /// Whether the acting volunteer is signed up.
    pub mine: bool,
    pub coverage: Coverage,
}

fn check_text(what: &str, text: &str, required: bool) -> Result<String, AppError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(AppError::BadInput(format!("{what}: required")));
    }
    if t.chars().count() > TEXT_MAX {
        return Err(AppError::BadInput(format!("{what}: at most {TEXT_MAX} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(AppError::BadInput(format!("{what}: one line, no control characters")));
    }
    Ok(t.to_owned())
}

/// A moment written `YYYY-MM-DD HH:MM` (or with a `T`), in UTC.
pub fn parse_moment(text: &str) -> Result<i64, AppError> {
    let t = text.trim();
    let bad = || AppError::BadInput(format!("`{t}` is not a time such as 2026-12-03 08:00 (UTC)"));
    let (day, time) = t.split_once([' ', 'T']).ok_or_else(bad)?;
    let day = Day::parse(day).map_err(|_| bad())?;
    let (h, m) = time.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(day.days_since_epoch() * DAY_MS + (h * 60 + m) * 60_000)
}

fn skills_of(row: &VolunteerRow) -> Vec<Skill> {
    // Written by this module from parsed skills; anything unknown is skipped, not fatal.
    row.skills.split(' ').filter_map(Skill::parse).collect()
}

fn skills_text(skills: &[Skill]) -> String {
    skills.iter().map(Skill::as_str).collect::<Vec<_>>().join(" ")
}

impl App {
    pub async fn create_volunteer(&self, actor: &Actor, input: &VolunteerInput) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageShifts)?;
        let details = VolunteerDetails {
            name: check_text("name", &input.details.name, true)?,
            contact: check_text("contact", &input.details.contact, false)?,
        };
        let account_id = match input.account.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(username) => Some(self.volunteer_account(username).await?),
            None => None,
        };
        let v = NewVolunteer {
            sealed: self.seal_json(SEAL_VOLUNTEER, &details)?,
            skills: skills_text(&input.skills),
            account_id,
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "volunteer.create", AuditObject::Created("volunteer"));
        Ok(self.store.create_volunteer(&v, &audit).await?)
    }

    /// The account behind a user name, which must have the volunteer role.
    async fn volunteer_account(&self, username: &str) -> Result<i64, AppError> {
        let username = Username::parse(username)?;
        let account = self
            .account_by_username(&username)
            .await?
            .ok_or(AppError::NotFound("an account with this user name"))?;
        if account.role != razam_core::Role::Volunteer {
            return Err(AppError::BadInput(
                "only an account with the volunteer role can be linked to a volunteer profile".into(),
            ));
        }
        Ok(account.id)
    }

    /// Links a volunteer profile to an account (role Volunteer), so its holder signs up
    /// themselves.
    pub async fn link_volunteer_account(&self, actor: &Actor, volunteer: i64, username: &str) -> Result<(), AppError> {
        self.require(actor, Permission::ManageShifts)?;
        let account = self.volunteer_account(username).await?;
        let audit = self.event(
            actor,
            "volunteer.link_account",
            AuditObject::Named(format!("volunteer:{volunteer}/account:{account}")),
        );
        Ok(self
            .store
            .link_volunteer_account(volunteer, Some(account), &audit)
            .await?)
    }

    pub async fn volunteers(&self, actor: &Actor) -> Result<Vec<VolunteerView>, AppError> {
        self.require(actor, Permission::ManageShifts)?;
        let rows = self.store.volunteers().await?;
        rows.iter()
            .map(|r| {
                Ok(VolunteerView {
                    id: r.id,
                    details: self.open_json(SEAL_VOLUNTEER, &r.sealed)?,
                    skills: skills_of(r),
                    linked: r.account_id.is_some(),
                })
            })
            .collect()
    }

    pub async fn volunteer(&self, actor: &Actor, id: i64) -> Result<VolunteerView, AppError> {
        let all = self.volunteers(actor).await?;
        all.into_iter()
            .find(|v| v.id == id)
            .ok_or(AppError::NotFound("the volunteer"))
    }

    pub async fn create_place(&self, actor: &Actor, name: &str, description: &str) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageShifts)?;
        let name = check_text("place name", name, true)?;
        let description = check_text("description", description, false)?;
        let audit = self.event(actor, "volunteer_place.create", AuditObject::Created("volunteer_place"));
        Ok(self
            .store
            .create_place(&name, &description, crate::now_ms(), &audit)
            .await?)
    }

    pub async fn places(&self, actor: &Actor) -> Result<Vec<PlaceView>, AppError> {
        if !self.may(actor, Permission::SignUpShifts) {
            self.require(actor, Permission::ManageShifts)?;
        }
        Ok(self
            .store
            .places()
            .await?
            .into_iter()
            .map(|p| PlaceView {
                id: p.id,
                name: p.name,
                description: p.description,
            })
            .collect())
    }

    pub async fn create_shift(&self, actor: &Actor, input: &ShiftInput) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageShifts)?;
        if input.ends_at_ms <= input.starts_at_ms {
            return Err(AppError::BadInput("a shift ends after it starts".into()));
        }
        if input.ends_at_ms - input.starts_at_ms > DAY_MS {
            return Err(AppError::BadInput("a shift lasts at most 24 hours".into()));
        }
        if !(1..=500).contains(&input.head_count) {
            return Err(AppError::BadInput("head count: from 1 to 500".into()));
        }
        if !self.store.places().await?.iter().any(|p| p.id == input.place_id) {
            return Err(AppError::NotFound("the place"));
        }
        let shift = NewShift {
            place_id: input.place_id,
            starts_at_ms: input.starts_at_ms,
            ends_at_ms: input.ends_at_ms,
            head_count: input.head_count,
            needs: needs_text(&input.needs),
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "shift.create", AuditObject::Created("shift"));
        Ok(self.store.create_shift(&shift, &audit).await?)
    }

    /// The volunteer profile of the acting account, if it has one.
    async fn own_volunteer(&self, actor: &Actor) -> Result<Option<i64>, AppError> {
        Ok(match actor {
            Actor::Account(user) => self.store.volunteer_of_account(user.id).await?.map(|v| v.id),
            _ => None,
        })
    }

    /// Shifts from `from_ms` over the next `days` days, each with its coverage. Volunteers see
    /// the shifts and open places; only those who manage shifts see who is signed up.
    pub async fn shifts(&self, actor: &Actor, from_ms: i64, days: i64) -> Result<Vec<ShiftView>, AppError> {
        let manages = self.may(actor, Permission::ManageShifts);
        if !manages {
            self.require(actor, Permission::SignUpShifts)?;
        }
        let days = days.clamp(1, COVERAGE_DAYS_MAX);
        let rows = self.store.shifts_between(from_ms, from_ms + days * DAY_MS).await?;
        let places: HashMap<i64, String> = self.store.places().await?.into_iter().map(|p| (p.id, p.name)).collect();
        let volunteers: HashMap<i64, VolunteerRow> =
            self.store.volunteers().await?.into_iter().map(|v| (v.id, v)).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut signups: HashMap<i64, Vec<i64>> = HashMap::new();
        for s in self.store.signups_of(&ids).await? {
            signups.entry(s.shift_id).or_default().push(s.volunteer_id);
        }
        let me = self.own_volunteer(actor).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let needs = parse_needs(&row.needs).unwrap_or_default();
            let signed = signups.remove(&row.id).unwrap_or_default();
            let skills: Vec<Vec<Skill>> = signed.iter().filter_map(|v| volunteers.get(v)).map(skills_of).collect();
            let names = if manages {
                signed
                    .iter()
                    .filter_map(|v| volunteers.get(v))
                    .map(|v| {
                        let d: VolunteerDetails = self.open_json(SEAL_VOLUNTEER, &v.sealed)?;
                        Ok((v.id, d.name))
                    })
                    .collect::<Result<Vec<_>, AppError>>()?
            } else {
                Vec::new()
            };
            out.push(ShiftView {
                id: row.id,
                place_id: row.place_id,
                place: places.get(&row.place_id).cloned().unwrap_or_default(),
                starts_at_ms: row.starts_at_ms,
                ends_at_ms: row.ends_at_ms,
                head_count: row.head_count,
                coverage: coverage(row.head_count.max(0) as u32, &needs, &skills),
                needs,
                signed_up: row.signed_up,
                volunteers: names,
                mine: me.is_some_and(|m| signed.contains(&m)),
            });
        }
        Ok(out)
    }

    /// The coverage view: the shifts of the coming days that are not covered (places open
    /// or skills missing).
    pub async fn uncovered_shifts(&self, actor: &Actor, from_ms: i64, days: i64) -> Result<Vec<ShiftView>, AppError> {
        let mut shifts = self.shifts(actor, from_ms, days).await?;
        shifts.retain(|s| !s.coverage.is_covered());
        Ok(shifts)
    }

    /// Which volunteer a sign-up or cancellation is for: the one named (coordinators only),
    /// or the acting volunteer's own profile.
    async fn signing_volunteer(&self, actor: &Actor, volunteer: Option<i64>) -> Result<i64, AppError> {
        match volunteer {
            Some(id) => {
                self.require(actor, Permission::ManageShifts)?;
                self.store
                    .volunteer(id)
                    .await?
                    .ok_or(AppError::NotFound("the volunteer"))?;
                Ok(id)
            }
            // A coordinator has no sign-up of their own: they name the volunteer.
            None if self.may(actor, Permission::ManageShifts) && !self.may(actor, Permission::SignUpShifts) => Err(
                AppError::BadInput("say which volunteer to sign up or off (the volunteer's number)".into()),
            ),
            None => {
                self.require(actor, Permission::SignUpShifts)?;
                self.own_volunteer(actor).await?.ok_or_else(|| {
                    AppError::BadInput("this account has no volunteer profile yet: ask a coordinator to link it".into())
                })
            }
        }
    }

    /// Signs a volunteer up for a shift: themselves (`volunteer` None) or, for a coordinator,
    /// anyone. Refused whole when every place is taken or they are signed up already.
    pub async fn sign_up(&self, actor: &Actor, shift: i64, volunteer: Option<i64>) -> Result<(), AppError> {
        let volunteer = self.signing_volunteer(actor, volunteer).await?;
        let audit = self.event(
            actor,
            "shift.sign_up",
            AuditObject::Named(format!("shift:{shift}/volunteer:{volunteer}")),
        );
        match self
            .store
            .sign_up(shift, volunteer, &actor.audit_name(), crate::now_ms(), &audit)
            .await?
        {
            SignUpOutcome::SignedUp => Ok(()),
            SignUpOutcome::Full => Err(AppError::BadInput(
                "every place of this shift is taken; nothing was changed".into(),
            )),
            SignUpOutcome::Already => Err(AppError::Conflict("a sign-up of this volunteer for this shift")),
            SignUpOutcome::NoSuchShift => Err(AppError::NotFound("the shift")),
        }
    }

    pub async fn cancel_sign_up(&self, actor: &Actor, shift: i64, volunteer: Option<i64>) -> Result<(), AppError> {
        let volunteer = self.signing_volunteer(actor, volunteer).await?;
        let audit = self.event(
            actor,
            "shift.cancel_sign_up",
            AuditObject::Named(format!("shift:{shift}/volunteer:{volunteer}")),
        );
        if self.store.cancel_sign_up(shift, volunteer, &audit).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("a sign-up of this volunteer for this shift"))
        }
    }
}

/// Skills as people type them, with the bad word named.
pub fn skills_from_text(text: &str) -> Result<Vec<Skill>, AppError> {
    parse_skills(text).map_err(|e| AppError::BadInput(e.to_string()))
}

/// A shift's needs as people type them (`lang:uk=2 first-aid`).
pub fn needs_from_text(text: &str) -> Result<BTreeMap<Skill, u32>, AppError> {
    parse_needs(text).map_err(|e| AppError::BadInput(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_parse_in_utc_and_bad_ones_are_named() {
        assert_eq!(parse_moment("1970-01-02 01:30").unwrap(), DAY_MS + 90 * 60_000);
        assert_eq!(parse_moment("1970-01-02T01:30").unwrap(), DAY_MS + 90 * 60_000);
        let e = parse_moment("2026-12-03 25:00").unwrap_err().to_string();
        assert!(e.contains("2026-12-03 25:00"), "{e}");
        assert!(parse_moment("tomorrow").is_err());
    }
}

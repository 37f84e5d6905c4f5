//! Campaigns: a public appeal for money with a goal, and its code.
//!
//! The code is short and unique; donors write it in the remittance text of a bank transfer,
//! and statement import books a payment that names it to the campaign. It is what a campaign
//! is called in URLs and in the public report, so it must not name anyone: that is left to
//! the operator (the title and description are sealed).

use std::fmt;

/// A campaign code: 3–16 characters, capital Latin letters, digits and `-`, starting with a
/// letter (e.g. `WINTER24`, `EVAC-2025`). Codes are read without regard to case, because
/// donors type them into bank forms by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CampaignCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a campaign code is 3 to 16 Latin letters, digits and `-`, starting with a letter (e.g. WINTER24)")]
pub struct BadCampaignCode;

impl CampaignCode {
    pub const MIN: usize = 3;
    pub const MAX: usize = 16;

    pub fn parse(text: &str) -> Result<CampaignCode, BadCampaignCode> {
        let code = text.trim().to_ascii_uppercase();
        let ok = (Self::MIN..=Self::MAX).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_uppercase())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            && !code.ends_with('-');
        if ok {
            Ok(CampaignCode(code))
        } else {
            Err(BadCampaignCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// Whether a campaign takes donations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    /// Taking donations.
    Active,
    /// Finished: its page stays, donations are refused.
    Closed,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 2] = [CampaignStatus::Active, CampaignStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Active => "active",
            CampaignStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Progress towards a goal in whole per-mille (0–1000, capped), for the bar on the public page.
pub fn progress_permille(raised: i64, goal: i64) -> u32 {
    if goal <= 0 || raised <= 0 {
        return 0;
    }
    let p = i128::from(raised) * 1000 / i128::from(goal);
    p.clamp(0, 1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_latin_and_case_blind() {
        assert_eq!(CampaignCode::parse(" winter24 ").unwrap().as_str(), "WINTER24");
        assert_eq!(CampaignCode::parse("EVAC-2025").unwrap().as_str(), "EVAC-2025");
        for bad in [
            "",
            "AB",
            "1WINTER",
            "WINTER-",
            "ЗІМА24",
            "WINTER 24",
            "A234567890123456X",
        ] {
            assert_eq!(CampaignCode::parse(bad), Err(BadCampaignCode), "{bad}");
        }
    }

    #[test]
    fn progress_is_capped_and_never_negative() {
        assert_eq!(progress_permille(0, 6_500_000), 0);
        assert_eq!(progress_permille(3_250_000, 6_500_000), 500);
        assert_eq!(progress_permille(9_000_000, 6_500_000), 1000);
        assert_eq!(progress_permille(-5, 100), 0);
        assert_eq!(progress_permille(5, 0), 0);
    }
}

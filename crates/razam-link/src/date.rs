//! Dates as records give them: a full day, a month or only a year.
//!
//! Parsing accepts `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `YYYYMMDD` and `DD.MM.YYYY` (also with `/`
//! as the separator of the day-first form). Anything else is no date: a comparison treats it
//! as missing rather than failing, because a linkage run must not stop on one odd cell.

/// A date known to a year, a month or a day. Month and day are 1-based; `day` is only set with
/// `month`. The all-zero value means "no date".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PartialDate {
    /// The year, 0 when unknown (then the whole date is unknown).
    pub year: u16,
    /// The month 1–12, 0 when unknown.
    pub month: u8,
    /// The day 1–31, 0 when unknown.
    pub day: u8,
}

impl PartialDate {
    /// No date.
    pub const NONE: PartialDate = PartialDate {
        year: 0,
        month: 0,
        day: 0,
    };

    /// Whether anything is known.
    pub fn is_known(self) -> bool {
        self.year != 0
    }

    /// Parses the forms listed in the module documentation; `None` for anything else (an
    /// empty cell included). Impossible months and days (13, 32) are refused; the day is not
    /// checked against the month's length.
    pub fn parse(text: &str) -> Option<PartialDate> {
        PartialDate::read(text, false).filter(|d| d.month <= 12 && d.day <= 31)
    }

    /// Whether only the year is known (no month and no day).
    pub(crate) fn year_only(self) -> bool {
        self.month == 0 && self.day == 0
    }

    /// Parses like [`PartialDate::parse`] but keeps a month or day that cannot be (`1856-86-18`,
    /// and a month of `00` before a day, `1795-00-01`: typos in a record): it still compares
    /// as a date one digit away from the right one.
    pub fn parse_lenient(text: &str) -> Option<PartialDate> {
        PartialDate::read(text, true)
    }

    fn read(text: &str, lenient: bool) -> Option<PartialDate> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = bytes.get(range)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter()
                .try_fold(0u16, |acc, b| acc.checked_mul(10)?.checked_add(u16::from(b - b'0')))
        };
        let (year, month, day) = match bytes.len() {
            4 => (digits(0..4)?, 0, 0),
            7 if bytes[4] == b'-' => (digits(0..4)?, digits(5..7)?, 0),
            8 => (digits(0..4)?, digits(4..6)?, digits(6..8)?),
            10 if bytes[4] == b'-' && bytes[7] == b'-' => (digits(0..4)?, digits(5..7)?, digits(8..10)?),
            10 if (bytes[2] == b'.' && bytes[5] == b'.') || (bytes[2] == b'/' && bytes[5] == b'/') => {
                (digits(6..10)?, digits(3..5)?, digits(0..2)?)
            }
            _ => return None,
        };
        if year == 0 || (day != 0 && month == 0 && !lenient) {
            return None;
        }
        Some(PartialDate {
            year,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// Parses like [`PartialDate::parse`], giving [`PartialDate::NONE`] for text that is no date.
    pub fn parse_or_none(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap_or(PartialDate::NONE)
    }

    /// The eight digits `YYYYMMDD`, zeros where unknown.
    fn digits(self) -> [u8; 8] {
        let y = self.year % 10000;
        let digit = |n: u16| (n % 10) as u8;
        [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            self.month / 10,
            self.month % 10,
            self.day / 10,
            self.day % 10,
        ]
    }

    /// How many of the eight digits differ (both dates fully known).
    pub(crate) fn digits_apart(self, other: PartialDate) -> usize {
        self.digits()
            .iter()
            .zip(other.digits().iter())
            .filter(|(a, b)| a != b)
            .count()
    }
}

impl std::fmt::Display for PartialDate {
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; nothing for no date.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.year == 0 {
            return Ok(());
        }
        write!(f, "{:04}", self.year)?;
        if self.month != 0 || self.day != 0 {
            write!(f, "-{:02}", self.month)?;
            if self.day != 0 {
                write!(f, "-{:02}", self.day)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PartialDate;

    fn d(year: u16, month: u8, day: u8) -> Option<PartialDate> {
        Some(PartialDate { year, month, day })
    }

    #[test]
    fn the_accepted_forms_parse() {
        assert_eq!(PartialDate::parse("1990-05-12"), d(1990, 5, 12));
        assert_eq!(PartialDate::parse("19900512"), d(1990, 5, 12));
        assert_eq!(PartialDate::parse("12.05.1990"), d(1990, 5, 12));
        assert_eq!(PartialDate::parse("12/05/1990"), d(1990, 5, 12));
        assert_eq!(PartialDate::parse("1990-05"), d(1990, 5, 0));
        assert_eq!(PartialDate::parse(" 1990 "), d(1990, 0, 0));
    }

    #[test]
    fn anything_else_is_no_date() {
        for text in [
            "",
            "1990-13-01",
            "19901332",
            "May 1990",
            "90",
            "1990-5-1",
            "0000",
            "abcd-ef-gh",
        ] {
            assert_eq!(PartialDate::parse(text), None, "{text}");
        }
    }

    #[test]
    fn lenient_parsing_keeps_impossible_months_and_prints_back() {
        assert_eq!(PartialDate::parse_lenient("1856-86-18"), d(1856, 86, 18));
        assert_eq!(PartialDate::parse("1856-86-18"), None);
        // A month of 00 before a day is a typo too (a day without a month is not a precision).
        assert_eq!(PartialDate::parse_lenient("1795-00-01"), d(1795, 0, 1));
        assert_eq!(PartialDate::parse("1795-00-01"), None);
        assert_eq!(
            PartialDate::parse_lenient("1795-00-01")
                .map(|d| d.to_string())
                .as_deref(),
            Some("1795-00-01")
        );
        for text in ["1990-05-12", "1990-05", "1990"] {
            assert_eq!(PartialDate::parse_or_none(text).to_string(), text);
        }
        assert_eq!(PartialDate::NONE.to_string(), "");
    }

    #[test]
    fn digits_apart_counts_positions() {
        let a = PartialDate {
            year: 1990,
            month: 5,
            day: 12,
        };
        assert_eq!(a.digits_apart(a), 0);
        assert_eq!(
            a.digits_apart(PartialDate {
                year: 1991,
                month: 5,
                day: 12
            }),
            1
        );
        assert_eq!(
            a.digits_apart(PartialDate {
                year: 1990,
                month: 12,
                day: 5
            }),
            4
        );
    }
}

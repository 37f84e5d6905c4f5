//! The registry's vocabulary: kinds of events, imprecise dates, regions, articles,
//! confidentiality, political-prisoner status. Each is parsed once here.

use std::fmt;

/// A calendar day, stored and shown as ISO 8601 `YYYY-MM-DD` (which also sorts correctly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl Day {
    /// 1970-01-01.
    pub const EPOCH: Day = Day {
        year: 1970,
        month: 1,
        day: 1,
    };

    pub fn new(year: u16, month: u8, day: u8) -> Option<Day> {
        let valid =
            (1900..=2199).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in(year, month);
        valid.then_some(Day { year, month, day })
    }

    /// Parses `YYYY-MM-DD` exactly.
    pub fn parse(s: &str) -> Result<Day, DateError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Format(s.to_owned()));
        }
        let year = number(&s[0..4]).ok_or_else(|| DateError::Format(s.to_owned()))?;
        let month = number(&s[5..7]).ok_or_else(|| DateError::Format(s.to_owned()))?;
        let day = number(&s[8..10]).ok_or_else(|| DateError::Format(s.to_owned()))?;
        Day::new(year, month as u8, day as u8).ok_or_else(|| DateError::NoSuchDay(s.to_owned()))
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// `YYYY-MM`, the month this day is in.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The last day of this day's month.
    pub fn end_of_month(self) -> Day {
        Day {
            day: days_in(self.year, self.month),
            ..self
        }
    }

    /// The first day of the next month.
    pub fn next_month(self) -> Day {
        if self.month == 12 {
            Day {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        } else {
            Day {
                month: self.month + 1,
                day: 1,
                ..self
            }
        }
    }

    /// Days since 1970-01-01 (negative before), for arithmetic such as "days held".
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day `days` days since 1970-01-01; `None` outside the years Razam accepts.
    pub fn from_days_since_epoch(days: i64) -> Option<Day> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Day::new(u16::try_from(year).ok()?, month as u8, day as u8)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn number(s: &str) -> Option<u16> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is not a date: write YYYY-MM-DD, YYYY-MM or YYYY, or a range FROM/TO")]
    Format(String),
    #[error("`{0}` is not a day of the calendar (years 1900–2199)")]
    NoSuchDay(String),
    #[error("the range `{0}` ends before it starts")]
    Backwards(String),
}

/// How precisely a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Day,
    Month,
    Year,
    Range,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Year => "year",
            Precision::Range => "range",
        }
    }

    pub fn parse(s: &str) -> Option<Precision> {
        [Precision::Day, Precision::Month, Precision::Year, Precision::Range]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A date known to a day, a month, a year or only as lying in a range: stored as its first
/// and last possible day and its precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuzzyDate {
    pub first: Day,
    pub last: Day,
    pub precision: Precision,
}

impl FuzzyDate {
    pub fn day(day: Day) -> FuzzyDate {
        FuzzyDate {
            first: day,
            last: day,
            precision: Precision::Day,
        }
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or `FROM/TO` (each side a full day).
    pub fn parse(s: &str) -> Result<FuzzyDate, DateError> {
        let s = s.trim();
        if let Some((from, to)) = s.split_once('/') {
            let (first, last) = (Day::parse(from.trim())?, Day::parse(to.trim())?);
            if last < first {
                return Err(DateError::Backwards(s.to_owned()));
            }
            let precision = if first == last {
                Precision::Day
            } else {
                Precision::Range
            };
            return Ok(FuzzyDate { first, last, precision });
        }
        match s.len() {
            10 => Day::parse(s).map(FuzzyDate::day),
            7 if s.as_bytes()[4] == b'-' => {
                let year = number(&s[0..4]).ok_or_else(|| DateError::Format(s.to_owned()))?;
                let month = number(&s[5..7]).ok_or_else(|| DateError::Format(s.to_owned()))?;
                let first = Day::new(year, month as u8, 1).ok_or_else(|| DateError::NoSuchDay(s.to_owned()))?;
                Ok(FuzzyDate {
                    first,
                    last: first.end_of_month(),
                    precision: Precision::Month,
                })
            }
            4 => {
                let year = number(s).ok_or_else(|| DateError::Format(s.to_owned()))?;
                let first = Day::new(year, 1, 1).ok_or_else(|| DateError::NoSuchDay(s.to_owned()))?;
                let last = Day::new(year, 12, 31).ok_or_else(|| DateError::NoSuchDay(s.to_owned()))?;
                Ok(FuzzyDate {
                    first,
                    last,
                    precision: Precision::Year,
                })
            }
            _ => Err(DateError::Format(s.to_owned())),
        }
    }

    /// Rebuilds a date from its stored parts.
    pub fn from_parts(first: &str, last: &str, precision: &str) -> Result<FuzzyDate, DateError> {
        Ok(FuzzyDate {
            first: Day::parse(first)?,
            last: Day::parse(last)?,
            precision: Precision::parse(precision).ok_or_else(|| DateError::Format(precision.to_owned()))?,
        })
    }
}

impl fmt::Display for FuzzyDate {
    /// The same text [`FuzzyDate::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{}", self.first),
            Precision::Month => write!(f, "{}", self.first.month_key()),
            Precision::Year => write!(f, "{:04}", self.first.year()),
            Precision::Range => write!(f, "{}/{}", self.first, self.last),
        }
    }
}

/// Declares a closed vocabulary: an enum, its stored names, parsing and `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in the database and used in CSV, JSON and URLs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// What happened to a person.
    EventKind {
        Detention = "detention",
        Search = "search",
        Interrogation = "interrogation",
        AdministrativeArrest = "administrative_arrest",
        CriminalCase = "criminal_case",
        Trial = "trial",
        Sentence = "sentence",
        Release = "release",
        Pardon = "pardon",
        IllTreatment = "ill_treatment",
        ForcedDeparture = "forced_departure",
        Dismissal = "dismissal",
        ExtremistDesignation = "extremist_designation",
        DeathInCustody = "death_in_custody",
        PressureOnRelatives = "pressure_on_relatives",
    }
}

vocabulary! {
    /// Who may see a record. Aggregated public figures count every record; only records
    /// marked public may ever be shown one by one outside the organisation.
    Confidentiality {
        Public = "public",
        Internal = "internal",
        Restricted = "restricted",
    }
}

vocabulary! {
    /// A person's part in an event.
    PersonRole {
        Victim = "victim",
        Witness = "witness",
        OfficialResponsible = "official_responsible",
        Lawyer = "lawyer",
    }
}

vocabulary! {
    /// Where a fact comes from.
    SourceKind {
        MediaArticle = "media_article",
        Testimony = "testimony",
        Document = "document",
    }
}

vocabulary! {
    /// A recognised political prisoner's situation from a date on.
    PrisonerStatus {
        Held = "held",
        Released = "released",
        Pardoned = "pardoned",
        Died = "died",
    }
}

impl PrisonerStatus {
    /// Whether this status ends being held. On the same day an ending status wins, so that
    /// "released on D" means "not held on D".
    pub fn ends_detention(self) -> bool {
        self != PrisonerStatus::Held
    }
}

vocabulary! {
    /// The regions of Belarus (six oblasts and the city of Minsk) and "abroad".
    Region {
        Brest = "brest",
        Vitebsk = "vitebsk",
        Gomel = "gomel",
        Grodno = "grodno",
        MinskCity = "minsk-city",
        Minsk = "minsk-region",
        Mogilev = "mogilev",
        Abroad = "abroad",
    }
}

impl Region {
    /// Recognises a region however it is commonly written: its code, or its name in
    /// Belarusian, Russian, Polish or a Latin spelling, with or without "region", "вобласць",
    /// "область", "г.". `None` when unknown. "Minsk" alone is the city; "Minsk region",
    /// "Минская область", "Мінская вобласць" are the oblast around it.
    pub fn recognise(text: &str) -> Option<Region> {
        let t = text.trim().to_lowercase();
        if let Some(r) = Region::parse(&t) {
            return Some(r);
        }
        const OBLAST_WORDS: [&str; 9] = [
            "region",
            "oblast",
            "voblasts",
            "voblast",
            "вобласць",
            "область",
            "обл",
            "województwo",
            "obwód",
        ];
        let words: Vec<String> = t
            .split(|c: char| c.is_whitespace() || c == '.' || c == ',')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let oblast = words.iter().any(|w| OBLAST_WORDS.contains(&w.as_str()));
        let name = words
            .iter()
            .find(|w| !OBLAST_WORDS.contains(&w.as_str()) && w.chars().count() > 2)?;
        const PREFIXES: [(&str, Region); 25] = [
            ("brest", Region::Brest),
            ("brześ", Region::Brest),
            ("брест", Region::Brest),
            ("брэст", Region::Brest),
            ("vitebsk", Region::Vitebsk),
            ("vitsebsk", Region::Vitebsk),
            ("viciebsk", Region::Vitebsk),
            ("witebsk", Region::Vitebsk),
            ("витебск", Region::Vitebsk),
            ("віцебск", Region::Vitebsk),
            ("gomel", Region::Gomel),
            ("homel", Region::Gomel),
            ("homiel", Region::Gomel),
            ("гомел", Region::Gomel),
            ("grodn", Region::Grodno),
            ("hrodn", Region::Grodno),
            ("гродн", Region::Grodno),
            ("гродз", Region::Grodno),
            ("mogil", Region::Mogilev),
            ("mahil", Region::Mogilev),
            ("могил", Region::Mogilev),
            ("магіл", Region::Mogilev),
            ("minsk", Region::MinskCity),
            ("mińsk", Region::MinskCity),
            ("минск", Region::MinskCity),
        ];
        let region = PREFIXES
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .map(|(_, r)| *r)
            .or_else(|| name.starts_with("мінск").then_some(Region::MinskCity))
            .or_else(|| {
                ["abroad", "эміграцыя", "эмиграция"]
                    .contains(&name.as_str())
                    .then_some(Region::Abroad)
            })?;
        // An adjective ("Минская", "Мінская") or an oblast word names the oblast, not the city.
        let adjective = name.ends_with("ая") || name.ends_with("ай");
        if region == Region::MinskCity && (oblast || adjective) {
            return Some(Region::Minsk);
        }
        Some(region)
    }
}

/// An article of the Criminal Code, as written (`342`, `361-1`, `130 ч.3`), whitespace
/// collapsed. Its base (`342`, `361-1`) is what statistics group by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Article(String);

impl Article {
    pub fn parse(s: &str) -> Result<Article, ArticleError> {
        let text: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        // A leading word for "article" ("ст.", "арт.", "art.") is not part of the number.
        let lower = text.to_lowercase();
        let text = ["ст.", "арт.", "art."]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map_or(text.as_str(), |p| &text[p.len()..])
            .trim()
            .to_owned();
        if text.is_empty() || text.chars().count() > 40 || text.chars().any(char::is_control) {
            return Err(ArticleError(s.to_owned()));
        }
        if !text.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(ArticleError(s.to_owned()));
        }
        Ok(Article(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The article number without its part: the leading digits and a `-N` suffix.
    pub fn base(&self) -> &str {
        let bytes = self.0.as_bytes();
        let mut end = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if bytes.get(end) == Some(&b'-') {
            let suffix = bytes[end + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if suffix > 0 {
                end += 1 + suffix;
            }
        }
        &self.0[..end]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an article of the Criminal Code: write its number, e.g. 342 or 361-1")]
pub struct ArticleError(pub String);

/// Splits a `;`-separated list of articles; empty items are skipped, duplicates removed.
pub fn parse_articles(s: &str) -> Result<Vec<Article>, ArticleError> {
    let mut out: Vec<Article> = Vec::new();
    for item in s.split(';').map(str::trim).filter(|i| !i.is_empty()) {
        let article = Article::parse(item)?;
        if !out.contains(&article) {
            out.push(article);
        }
    }
    Ok(out)
}

/// Counts below this are suppressed in anything public: a small count in a cell (a region,
/// a month, an article) can point at the few people behind it.
pub const SUPPRESS_BELOW: i64 = 5;

/// A count as it may be published: shown, or suppressed because it is between 1 and 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicCount {
    Shown(i64),
    Suppressed,
}

impl PublicCount {
    pub fn of(n: i64) -> PublicCount {
        if n > 0 && n < SUPPRESS_BELOW {
            PublicCount::Suppressed
        } else {
            PublicCount::Shown(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_strictly_and_count_from_the_epoch() {
        assert_eq!(Day::parse("2020-08-09").unwrap().to_string(), "2020-08-09");
        assert!(Day::parse("2021-02-29").is_err());
        assert!(Day::parse("2024-02-29").is_ok());
        assert!(Day::parse("2020-8-9").is_err());
        assert!(Day::parse("09.08.2020").is_err());
        assert_eq!(Day::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        for text in ["1900-01-01", "2000-02-29", "2020-08-09", "2199-12-31"] {
            let d = Day::parse(text).unwrap();
            assert_eq!(Day::from_days_since_epoch(d.days_since_epoch()), Some(d));
        }
        assert_eq!(Day::parse("2020-12-15").unwrap().next_month().to_string(), "2021-01-01");
    }

    #[test]
    fn fuzzy_dates_keep_their_precision() {
        let m = FuzzyDate::parse("2021-02").unwrap();
        assert_eq!(
            (m.first.to_string(), m.last.to_string()),
            ("2021-02-01".into(), "2021-02-28".into())
        );
        assert_eq!(m.to_string(), "2021-02");
        let y = FuzzyDate::parse("2020").unwrap();
        assert_eq!(y.precision, Precision::Year);
        assert_eq!(y.last.to_string(), "2020-12-31");
        let r = FuzzyDate::parse("2020-08-09/2020-08-12").unwrap();
        assert_eq!(r.to_string(), "2020-08-09/2020-08-12");
        assert_eq!(
            FuzzyDate::parse("2020-08-12/2020-08-09"),
            Err(DateError::Backwards("2020-08-12/2020-08-09".into()))
        );
        assert!(FuzzyDate::parse("2020-13").is_err());
        assert!(FuzzyDate::parse("yesterday").is_err());
    }

    #[test]
    fn regions_are_recognised_in_several_scripts() {
        for (text, region) in [
            ("Minsk", Region::MinskCity),
            ("г. Минск", Region::MinskCity),
            ("Мінск", Region::MinskCity),
            ("Минская область", Region::Minsk),
            ("Мінская вобласць", Region::Minsk),
            ("Minsk region", Region::Minsk),
            ("Homiel", Region::Gomel),
            ("Гомельская обл.", Region::Gomel),
            ("Гродно", Region::Grodno),
            ("Hrodna", Region::Grodno),
            ("Brest region", Region::Brest),
            ("Віцебская вобласць", Region::Vitebsk),
            ("Могилёв", Region::Mogilev),
            ("minsk-city", Region::MinskCity),
        ] {
            assert_eq!(Region::recognise(text), Some(region), "{text}");
        }
        assert_eq!(Region::recognise("Atlantis"), None);
    }

    #[test]
    fn articles_keep_their_text_and_group_by_their_base() {
        let list = parse_articles("342; 361-1 ;;130 ч.3;342").unwrap();
        let texts: Vec<&str> = list.iter().map(Article::as_str).collect();
        assert_eq!(texts, ["342", "361-1", "130 ч.3"]);
        let bases: Vec<&str> = list.iter().map(Article::base).collect();
        assert_eq!(bases, ["342", "361-1", "130"]);
        let prefixed = parse_articles("ст. 342; Art.361-1").unwrap();
        assert_eq!(
            prefixed.iter().map(Article::as_str).collect::<Vec<_>>(),
            ["342", "361-1"]
        );
        assert!(parse_articles("murder").is_err());
        assert!(parse_articles("ст.").is_err());
        assert!(parse_articles("").unwrap().is_empty());
    }

    #[test]
    fn small_public_counts_are_suppressed() {
        assert_eq!(PublicCount::of(0), PublicCount::Shown(0));
        assert_eq!(PublicCount::of(4), PublicCount::Suppressed);
        assert_eq!(PublicCount::of(5), PublicCount::Shown(5));
    }

    #[test]
    fn an_ending_status_wins_on_the_same_day() {
        assert!(!PrisonerStatus::Held.ends_detention());
        for s in [PrisonerStatus::Released, PrisonerStatus::Pardoned, PrisonerStatus::Died] {
            assert!(s.ends_detention());
        }
    }
}

//! Comparing two person records field by field, and the Fellegi–Sunter weight of the evidence.
//!
//! Each field of a pair gets one [`Agreement`] level; each level has an `m` probability (how
//! often the level occurs between two records of the same person) and a `u` probability (how
//! often it occurs between two records of different persons). The weight of a level is
//! `log2(m / u)`, the log Bayes factor; the match weight of a pair is the prior log-odds plus the
//! sum of its field weights, and the probability is `2^w / (1 + 2^w)`.
//!
//! [`Model::default`] holds fixed priors for persons in a human-rights registry (documented on
//! [`Model::default`]); the linkage engine estimates `m` and `u` from the data itself.

use crate::date::PartialDate;
use crate::sim::{Profile, jaro_winkler_at_least, one_edit_apart, within_one_edit};
use crate::{given_name_group, masculine_surname_key, name_key, normalise};

/// One person as the registry or a CSV row gives it. Empty strings mean "not known".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonRecord {
    /// Given name in any script or romanisation.
    pub given_name: String,
    /// Family name in any script or romanisation.
    pub family_name: String,
    /// Patronymic (father's name form), if known.
    pub patronymic: String,
    /// Birth date as given: `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or empty (also `YYYYMMDD`,
    /// `DD.MM.YYYY`); anything else counts as missing.
    pub birth_date: String,
    /// Place of birth as given.
    pub birth_place: String,
}

/// The compared fields of a [`PersonRecord`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// [`PersonRecord::given_name`].
    GivenName,
    /// [`PersonRecord::family_name`].
    FamilyName,
    /// [`PersonRecord::patronymic`].
    Patronymic,
    /// [`PersonRecord::birth_date`].
    BirthDate,
    /// [`PersonRecord::birth_place`].
    BirthPlace,
}

impl Field {
    /// Every field, in the order [`Evidence::fields`] lists them.
    pub const ALL: [Field; 5] = [
        Field::GivenName,
        Field::FamilyName,
        Field::Patronymic,
        Field::BirthDate,
        Field::BirthPlace,
    ];
}

/// How far two values of one field agree, from strongest to none. The first level that holds
/// is the one given.
///
/// | level | names (given, family, patronymic) | birth date | birth place |
/// |---|---|---|---|
/// | `Exact` | same [`normalise`]d text | same date at the same precision | same normalised text |
/// | `SameKey` | same [`name_key`] (another script or romanisation) | one is less precise and they agree as far as it goes (`1990` and `1990-05-12`) | same name key |
/// | `Equivalent` | given: same [`given_name_group`] (Алесь / Аляксандр); family: same [`masculine_surname_key`], other gender ending (Иванова / Иванов); patronymic: same father's name, other gender ending (Іванавіч / Ивановна) | day and month swapped | one's words are all among the other's (`Minsk` / `Minsk region`) |
/// | `Similar` | Jaro–Winkler of the keys ≥ 0.88 (a typo) | full dates one digit apart, or same year and month | Jaro–Winkler of the keys ≥ 0.88 |
/// | `Different` | none of the above | none of the above | none of the above |
/// | `Missing` | either side empty | either side empty or no date | either side empty |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Agreement {
    /// The same value written the same way (see the table on [`Agreement`]).
    Exact,
    /// The same value in another spelling.
    SameKey,
    /// Values that denote the same thing by a known equivalence.
    Equivalent,
    /// Values close enough to be a slip of the pen.
    Similar,
    /// Values that disagree.
    Different,
    /// At least one value is not known: no evidence either way.
    Missing,
}

impl Agreement {
    /// Every level, strongest first; the index of a level in this array is its number.
    pub const ALL: [Agreement; 6] = [
        Agreement::Exact,
        Agreement::SameKey,
        Agreement::Equivalent,
        Agreement::Similar,
        Agreement::Different,
        Agreement::Missing,
    ];

    /// The level's number: its index in [`Agreement::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The evidence one field gives about a pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldEvidence {
    /// The field.
    pub field: Field,
    /// How far the two values agree.
    pub agreement: Agreement,
    /// `log2(m / u)` of that level: positive speaks for one person, negative against; 0 when
    /// missing.
    pub weight: f64,
}

/// The evidence of a whole pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// One entry per field, in the order of [`Field::ALL`].
    pub fields: Vec<FieldEvidence>,
    /// Prior log2-odds plus the sum of the field weights.
    pub match_weight: f64,
    /// The match probability `2^w / (1 + 2^w)` of the match weight `w`.
    pub probability: f64,
}

/// `m` and `u` probabilities of each agreement level of one field, indexed by
/// [`Agreement::index`]. The `Missing` entries are ignored (its weight is 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelProbabilities {
    /// P(level | same person).
    pub m: [f64; 6],
    /// P(level | different persons).
    pub u: [f64; 6],
}

impl LevelProbabilities {
    /// The weight `log2(m / u)` of a level; 0 for `Missing`.
    pub fn weight(&self, level: Agreement) -> f64 {
        if level == Agreement::Missing {
            return 0.0;
        }
        let i = level.index();
        (self.m[i].max(1e-9) / self.u[i].max(1e-12)).log2()
    }
}

/// A Fellegi–Sunter model for [`PersonRecord`]s: the prior and the level probabilities of each
/// field.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Prior probability that two records picked at random are the same person.
    pub prior: f64,
    /// Level probabilities per field, in the order of [`Field::ALL`].
    pub fields: [LevelProbabilities; 5],
}

impl Default for Model {
    /// Fixed priors for persons in a registry of repression (not estimated from data):
    ///
    /// - prior 1 in 10,000 that two registry persons are the same;
    /// - given name: m = 0.70 / 0.15 / 0.06 / 0.04 / 0.05 for Exact / SameKey / Equivalent /
    ///   Similar / Different (documenters write names from several sources and languages), u =
    ///   0.01 / 0.004 / 0.003 / 0.01 / 0.973 (a few hundred common given names);
    /// - family name: m = 0.70 / 0.18 / 0.02 / 0.05 / 0.05, u = 0.002 / 0.001 / 0.0005 / 0.005 /
    ///   0.9915 (family names are far more varied);
    /// - patronymic: m = 0.70 / 0.15 / 0.05 / 0.05 / 0.05, u = 0.02 / 0.01 / 0.005 / 0.01 / 0.955;
    /// - birth date: m = 0.80 / 0.08 / 0.02 / 0.05 / 0.05, u = 0.00005 / 0.01 / 0.00005 / 0.001 /
    ///   0.98890 (about 36,000 days in a century; a year-only date agrees with 1 in 100);
    /// - birth place: m = 0.60 / 0.15 / 0.05 / 0.05 / 0.15 (people name their town differently),
    ///   u = 0.05 / 0.01 / 0.01 / 0.02 / 0.91 (many persons come from Minsk).
    ///
    /// With these, the same full name and birth date gives a probability above 0.999; the same
    /// full name alone about 0.7; the same full name and a different birth date about 0.1.
    fn default() -> Model {
        let level = |m: [f64; 5], u: [f64; 5]| LevelProbabilities {
            m: [m[0], m[1], m[2], m[3], m[4], 1.0],
            u: [u[0], u[1], u[2], u[3], u[4], 1.0],
        };
        Model {
            prior: 1e-4,
            fields: [
                level([0.70, 0.15, 0.06, 0.04, 0.05], [0.01, 0.004, 0.003, 0.01, 0.973]),
                level([0.70, 0.18, 0.02, 0.05, 0.05], [0.002, 0.001, 0.0005, 0.005, 0.9915]),
                level([0.70, 0.15, 0.05, 0.05, 0.05], [0.02, 0.01, 0.005, 0.01, 0.955]),
                level([0.80, 0.08, 0.02, 0.05, 0.05], [0.00005, 0.01, 0.00005, 0.001, 0.9889]),
                level([0.60, 0.15, 0.05, 0.05, 0.15], [0.05, 0.01, 0.01, 0.02, 0.91]),
            ],
        }
    }
}

impl Model {
    /// Compares two persons field by field and weighs the evidence.
    ///
    /// ```
    /// use razam_link::{Agreement, Model, PersonRecord};
    /// let a = PersonRecord { given_name: "Алесь".into(), family_name: "Бяляцкі".into(),
    ///     birth_date: "1962-09-25".into(), ..PersonRecord::default() };
    /// let b = PersonRecord { given_name: "Aleksandr".into(), family_name: "Bialiatski".into(),
    ///     birth_date: "1962-09-25".into(), ..PersonRecord::default() };
    /// let evidence = Model::default().compare(&a, &b);
    /// assert_eq!(evidence.fields[0].agreement, Agreement::Equivalent);
    /// assert_eq!(evidence.fields[1].agreement, Agreement::SameKey);
    /// assert!(evidence.probability > 0.99);
    /// ```
    pub fn compare(&self, a: &PersonRecord, b: &PersonRecord) -> Evidence {
        self.compare_prepared(&PreparedPerson::new(a), &PreparedPerson::new(b))
    }

    /// [`Model::compare`] of two persons prepared once ([`PreparedPerson`]): the same
    /// evidence, without working out each person's keys again for every pair it is in.
    pub fn compare_prepared(&self, a: &PreparedPerson, b: &PreparedPerson) -> Evidence {
        let levels = Field::ALL.map(|field| field_level(field, a, b));
        let fields: Vec<FieldEvidence> = Field::ALL
            .iter()
            .zip(levels)
            .zip(self.fields.iter())
            .map(|((&field, agreement), probabilities)| FieldEvidence {
                field,
                agreement,
                weight: probabilities.weight(agreement),
            })
            .collect();
        let match_weight = self.prior_weight() + fields.iter().map(|f| f.weight).sum::<f64>();
        Evidence {
            fields,
            match_weight,
            probability: probability_of_weight(match_weight),
        }
    }

    /// The prior's log2-odds, where every match weight starts.
    fn prior_weight(&self) -> f64 {
        let prior = self.prior.clamp(1e-12, 1.0 - 1e-12);
        (prior / (1.0 - prior)).log2()
    }

    /// A [`Screen`]: [`Model::compare_prepared`] for when only the pairs of a probability of
    /// at least `threshold` matter.
    pub fn screen(&self, threshold: f64) -> Screen<'_> {
        let weights = self.fields.map(|f| Agreement::ALL.map(|level| f.weight(level)));
        // What the fields after each step of `Screen::ORDER` can add at most.
        let mut best_after = [0.0; 5];
        for step in (0..4).rev() {
            let next = Screen::ORDER[step + 1];
            let best = weights[next as usize].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            best_after[step] = best_after[step + 1] + best;
        }
        Screen {
            model: self,
            threshold,
            prior_weight: self.prior_weight(),
            weights,
            best_after,
        }
    }
}

/// Compares persons against one threshold, setting a pair aside as soon as the fields not yet
/// compared could not lift its match weight to the threshold's, even if they all agreed at
/// their strongest level: the cheap, decisive birth date first, then the given name. In a
/// block of namesakes most pairs are set aside after those two, before any family name,
/// patronymic or place is compared and with nothing allocated. A pair that is kept is
/// compared whole by [`Model::compare_prepared`], so its evidence is the same.
pub struct Screen<'m> {
    model: &'m Model,
    threshold: f64,
    prior_weight: f64,
    /// The weight of each level of each field, by [`Field::ALL`] and [`Agreement::index`].
    weights: [[f64; 6]; 5],
    /// The most the fields after each step of [`Screen::ORDER`] can add.
    best_after: [f64; 5],
}

impl Screen<'_> {
    /// The order the fields are compared in, as indexes into [`Field::ALL`].
    const ORDER: [u8; 5] = [3, 0, 1, 2, 4];

    /// The evidence that `a` is `b`, if its probability is at least the threshold.
    pub fn compare(&self, a: &PreparedPerson, b: &PreparedPerson) -> Option<Evidence> {
        let mut weight = self.prior_weight;
        for (step, &field) in Self::ORDER.iter().enumerate() {
            let level = field_level(Field::ALL[field as usize], a, b);
            weight += self.weights[field as usize][level.index()];
            // A small margin: the sums here and in `compare_prepared` add in other orders.
            if probability_of_weight(weight + self.best_after[step] + 1e-9) < self.threshold {
                return None;
            }
        }
        let evidence = self.model.compare_prepared(a, b);
        (evidence.probability >= self.threshold).then_some(evidence)
    }
}

/// The agreement of `a` and `b` in one field (see the table on [`Agreement`]).
fn field_level(field: Field, a: &PreparedPerson, b: &PreparedPerson) -> Agreement {
    let name = |a: &PreparedValue, b: &PreparedValue, equivalent: bool| {
        graded(
            (&a.text, &a.key),
            (&b.text, &b.key),
            || equivalent,
            || names_similar((&a.text, &a.profile), (&b.text, &b.profile)),
        )
    };
    // Given names and patronymics may be initials.
    let initial_or_name = |a: &PreparedValue, b: &PreparedValue, equivalent: bool| {
        if a.text != b.text && initials_fit(&a.text, &b.text) {
            Agreement::Missing
        } else {
            name(a, b, equivalent)
        }
    };
    match field {
        Field::GivenName => initial_or_name(
            &a.given,
            &b.given,
            a.given_group.is_some() && a.given_group == b.given_group,
        ),
        Field::FamilyName => name(&a.family, &b.family, a.family_masculine == b.family_masculine),
        Field::Patronymic => initial_or_name(&a.patronymic, &b.patronymic, a.patronymic_stem == b.patronymic_stem),
        Field::BirthDate => compare_dates(a.birth_date, b.birth_date),
        Field::BirthPlace => name(
            &a.birth_place,
            &b.birth_place,
            words_within(&a.birth_place.key, &b.birth_place.key),
        ),
    }
}

/// One name or place with what comparing it needs: the [`normalise`]d text, the
/// [`name_key`] and the key's similarity profile.
#[derive(Clone, Debug, Default)]
struct PreparedValue {
    text: String,
    key: String,
    profile: Profile,
}

impl PreparedValue {
    fn new(value: &str) -> PreparedValue {
        let key = name_key(value);
        PreparedValue {
            text: normalise(value),
            profile: Profile::new(&key),
            key,
        }
    }
}

/// A [`PersonRecord`] with everything [`Model::compare_prepared`] needs worked out once:
/// normalised texts, name keys, the given-name group, the masculine family-name key, the
/// father's name of the patronymic, the parsed birth date and the similarity profiles.
/// Preparing costs about as much as one [`Model::compare`]; comparing prepared persons is a
/// few string comparisons.
#[derive(Clone, Debug, Default)]
pub struct PreparedPerson {
    given: PreparedValue,
    given_group: Option<&'static str>,
    family: PreparedValue,
    family_masculine: String,
    patronymic: PreparedValue,
    patronymic_stem: String,
    birth_date: PartialDate,
    birth_place: PreparedValue,
}

impl PreparedPerson {
    /// Works out the forms of every field of `record`.
    pub fn new(record: &PersonRecord) -> PreparedPerson {
        let given = PreparedValue::new(&record.given_name);
        let family = PreparedValue::new(&record.family_name);
        let patronymic = PreparedValue::new(&record.patronymic);
        PreparedPerson {
            given_group: given_name_group(&given.key),
            family_masculine: masculine_surname_key(&family.key),
            patronymic_stem: patronymic_stem(&patronymic.key).to_owned(),
            birth_date: PartialDate::parse_or_none(&record.birth_date),
            birth_place: PreparedValue::new(&record.birth_place),
            given,
            family,
            patronymic,
        }
    }
}

/// `2^w / (1 + 2^w)`, computed without overflow.
pub fn probability_of_weight(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// A name value with its comparable forms worked out once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreparedName {
    /// [`normalise`]d text.
    pub text: String,
    /// [`name_key`].
    pub key: String,
}

impl PreparedName {
    /// Works out the forms of `value`.
    pub fn new(value: &str) -> PreparedName {
        PreparedName {
            text: normalise(value),
            key: name_key(value),
        }
    }
}

/// Jaro–Winkler similarity at or above which two keys count as `Similar`.
pub const SIMILAR: f64 = 0.88;

/// Whether one of two different normalised names is written as initials (`m`, `h m`) that
/// fit the other (`michael`, `henry m`): the same first letter. An initial tells too little
/// to weigh either way, so such a pair counts as the name unknown (`Missing`), not as two
/// different names.
pub(crate) fn initials_fit(a: &str, b: &str) -> bool {
    let initials = |t: &str| t.split(' ').all(|w| w.chars().nth(1).is_none());
    // The first letters first: most different names part there, before any word is walked.
    a.chars().next().is_some() && a.chars().next() == b.chars().next() && (initials(a) || initials(b))
}

/// Names of at least this many letters one edit apart in their normalised text are `Similar`.
pub(crate) const TYPO_MIN_CHARS: usize = 4;

/// Whether two names or places are `Similar`: Jaro–Winkler of their keys at least
/// [`SIMILAR`], or their normalised texts one edit apart (a letter dropped, added, changed or
/// two swapped) and at least [`TYPO_MIN_CHARS`] long. The key folds letters by sound, so one
/// typed letter can change several key symbols (`nohn` / `john`, `eilliam` / `william`); the
/// text sees it as the one slip it is.
pub(crate) fn names_similar((a_text, a_key): (&str, &Profile), (b_text, b_key): (&str, &Profile)) -> bool {
    jaro_winkler_at_least(a_key, b_key, SIMILAR) || one_edit_apart(a_text, b_text, TYPO_MIN_CHARS)
}

fn similar(a: &PreparedName, b: &PreparedName) -> bool {
    names_similar((&a.text, &Profile::new(&a.key)), (&b.text, &Profile::new(&b.key)))
}

/// The levels of a name or place: Missing, Exact (same text), SameKey, then Equivalent when
/// `equivalent` says so, Similar when `similar` does, else Different.
pub(crate) fn graded(
    (a_text, a_key): (&str, &str),
    (b_text, b_key): (&str, &str),
    equivalent: impl FnOnce() -> bool,
    similar: impl FnOnce() -> bool,
) -> Agreement {
    if a_text.is_empty() || b_text.is_empty() {
        Agreement::Missing
    } else if a_text == b_text {
        Agreement::Exact
    } else if !a_key.is_empty() && a_key == b_key {
        Agreement::SameKey
    } else if equivalent() {
        Agreement::Equivalent
    } else if similar() {
        Agreement::Similar
    } else {
        Agreement::Different
    }
}

fn forms(name: &PreparedName) -> (&str, &str) {
    (&name.text, &name.key)
}

/// Given names: the levels of the table on [`Agreement`].
pub fn compare_given_names(a: &PreparedName, b: &PreparedName) -> Agreement {
    if a.text != b.text && initials_fit(&a.text, &b.text) {
        return Agreement::Missing;
    }
    graded(
        forms(a),
        forms(b),
        || given_name_group(&a.key).is_some_and(|group| given_name_group(&b.key) == Some(group)),
        || similar(a, b),
    )
}

/// Family names: the levels of the table on [`Agreement`].
pub fn compare_family_names(a: &PreparedName, b: &PreparedName) -> Agreement {
    graded(
        forms(a),
        forms(b),
        || masculine_surname_key(&a.key) == masculine_surname_key(&b.key),
        || similar(a, b),
    )
}

/// Patronymic endings in key symbols (masculine and feminine, Belarusian, Russian and their
/// romanisations after [`name_key`]), longest first.
const PATRONYMIC_ENDINGS: &[&str] = &["авіх", "аўна", "авна", "іхна", "іх", "ава", "на"];

/// The father's name in a patronymic key: the key without its patronymic ending.
pub(crate) fn patronymic_stem(key: &str) -> &str {
    for ending in PATRONYMIC_ENDINGS {
        if let Some(stem) = key.strip_suffix(ending)
            && stem.chars().count() >= 2
        {
            return stem;
        }
    }
    key
}

/// Patronymics: the levels of the table on [`Agreement`].
pub fn compare_patronymics(a: &PreparedName, b: &PreparedName) -> Agreement {
    if a.text != b.text && initials_fit(&a.text, &b.text) {
        return Agreement::Missing;
    }
    graded(
        forms(a),
        forms(b),
        || patronymic_stem(&a.key) == patronymic_stem(&b.key),
        || similar(a, b),
    )
}

/// Birth dates: the levels of the table on [`Agreement`].
pub fn compare_dates(a: PartialDate, b: PartialDate) -> Agreement {
    if !a.is_known() || !b.is_known() {
        return Agreement::Missing;
    }
    if a == b {
        return Agreement::Exact;
    }
    let same_year = a.year == b.year;
    let full = a.day != 0 && b.day != 0;
    if same_year && (a.year_only() || b.year_only() || (a.month == b.month && (a.day == 0 || b.day == 0))) {
        return Agreement::SameKey;
    }
    if full && same_year && a.month == b.day && a.day == b.month {
        return Agreement::Equivalent;
    }
    if (full && a.digits_apart(b) == 1) || (same_year && a.month == b.month) {
        return Agreement::Similar;
    }
    Agreement::Different
}

/// Whether every word of one key is among the words of the other (`minsk` / `minsk region`).
pub(crate) fn words_within(a: &str, b: &str) -> bool {
    let within = |x: &str, y: &str| !x.is_empty() && x.split(' ').all(|word| y.split(' ').any(|other| other == word));
    within(a, b) || within(b, a)
}

/// Places: the levels of the table on [`Agreement`].
pub fn compare_places(a: &PreparedName, b: &PreparedName) -> Agreement {
    graded(forms(a), forms(b), || words_within(&a.key, &b.key), || similar(a, b))
}

/// Other text (postcode, address, identity number…), given trimmed lower-case texts and the
/// same without spaces and punctuation: Exact; SameKey (equal without spaces and
/// punctuation); Similar (one edit apart, a transposition of neighbours counting as one, or
/// Jaro–Winkler ≥ 0.9); Different; Missing.
pub fn compare_texts((a_text, a_key): (&str, &str), (b_text, b_key): (&str, &str)) -> Agreement {
    text_level(
        (a_text, a_key, &Profile::new(a_text)),
        (b_text, b_key, &Profile::new(b_text)),
    )
}

/// [`compare_texts`] with the texts' profiles worked out already.
pub(crate) fn text_level(
    (a_text, a_key, a): (&str, &str, &Profile),
    (b_text, b_key, b): (&str, &str, &Profile),
) -> Agreement {
    if a_text.is_empty() || b_text.is_empty() {
        Agreement::Missing
    } else if a_text == b_text {
        Agreement::Exact
    } else if !a_key.is_empty() && a_key == b_key {
        Agreement::SameKey
    } else if within_one_edit(&a.chars, &b.chars) || jaro_winkler_at_least(a, b, TEXT_SIMILAR) {
        Agreement::Similar
    } else {
        Agreement::Different
    }
}

/// Jaro–Winkler at which other text counts as `Similar`.
const TEXT_SIMILAR: f64 = 0.9;

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PreparedName {
        PreparedName::new(s)
    }

    fn date(s: &str) -> PartialDate {
        PartialDate::parse_or_none(s)
    }

    fn person(given: &str, family: &str, patronymic: &str, born: &str, place: &str) -> PersonRecord {
        PersonRecord {
            given_name: given.into(),
            family_name: family.into(),
            patronymic: patronymic.into(),
            birth_date: born.into(),
            birth_place: place.into(),
        }
    }

    #[test]
    fn given_name_levels() {
        assert_eq!(compare_given_names(&name("Ihar"), &name("ihar")), Agreement::Exact);
        assert_eq!(compare_given_names(&name("Ігар"), &name("Ihar")), Agreement::SameKey);
        assert_eq!(
            compare_given_names(&name("Алесь"), &name("Aliaksandr")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_given_names(&name("Zmitser"), &name("Дмитрий")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_given_names(&name("Aliaksandr"), &name("Aliaksnadr")),
            Agreement::Similar
        );
        assert_eq!(compare_given_names(&name("Ihar"), &name("Volha")), Agreement::Different);
        assert_eq!(compare_given_names(&name(""), &name("Volha")), Agreement::Missing);
    }

    #[test]
    fn a_typo_the_key_magnifies_is_still_similar() {
        // One typed letter changes more than one key symbol; the text is one edit apart.
        assert_eq!(compare_given_names(&name("Nohn"), &name("John")), Agreement::Similar);
        assert_eq!(
            compare_given_names(&name("Eilliam"), &name("William")),
            Agreement::Similar
        );
        assert_eq!(
            compare_family_names(&name("Middlet9n"), &name("Middleton")),
            Agreement::Similar
        );
        assert_eq!(
            compare_family_names(&name("Ціханоўсаая"), &name("Ціханоўская")),
            Agreement::Similar
        );
        // Three letters are too few to call one edit a typo.
        assert_eq!(compare_given_names(&name("Ada"), &name("Qda")), Agreement::Different);
        assert_eq!(compare_given_names(&name("Ян"), &name("Ян")), Agreement::Exact);
    }

    #[test]
    fn an_initial_that_fits_counts_as_unknown() {
        assert_eq!(
            compare_given_names(&name("A."), &name("Aliaksandr")),
            Agreement::Missing
        );
        assert_eq!(compare_given_names(&name("С. Г."), &name("Сяргей")), Agreement::Missing);
        assert_eq!(compare_given_names(&name("Сяргей"), &name("С.")), Agreement::Missing);
        assert_eq!(
            compare_patronymics(&name("Г."), &name("Георгіеўна")),
            Agreement::Missing
        );
        // An initial that does not fit is another name; two equal initials are equal.
        assert_eq!(
            compare_given_names(&name("Ю."), &name("Аляксандр")),
            Agreement::Different
        );
        assert_eq!(compare_given_names(&name("A."), &name("a")), Agreement::Exact);
        // Family names are never initials.
        assert_eq!(
            compare_family_names(&name("Б."), &name("Бяляцкі")),
            Agreement::Different
        );
    }

    #[test]
    fn family_name_levels() {
        assert_eq!(
            compare_family_names(&name("Ціханоўская"), &name("Tsikhanouskaya")),
            Agreement::SameKey
        );
        assert_eq!(
            compare_family_names(&name("Иванова"), &name("Ivanov")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_family_names(&name("Kalinowski"), &name("Kalinowsky")),
            Agreement::SameKey
        );
        assert_eq!(
            compare_family_names(&name("Kalesnikava"), &name("Kalesnikova")),
            Agreement::SameKey
        );
        assert_eq!(
            compare_family_names(&name("Kalesnikava"), &name("Kalesnikaba")),
            Agreement::Similar
        );
        // Keys one letter apart are a possible slip, never the same key.
        assert_eq!(
            compare_family_names(&name("Петров"), &name("Петраш")),
            Agreement::Similar
        );
        assert_eq!(
            compare_family_names(&name("Петров"), &name("Сідарэнка")),
            Agreement::Different
        );
    }

    #[test]
    fn patronymic_levels() {
        assert_eq!(
            compare_patronymics(&name("Іванавіч"), &name("Ivanovich")),
            Agreement::SameKey
        );
        assert_eq!(
            compare_patronymics(&name("Іванавіч"), &name("Ивановна")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_patronymics(&name("Аляксандраўна"), &name("Александрович")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_patronymics(&name("Іванавіч"), &name("Пятровіч")),
            Agreement::Different
        );
    }

    #[test]
    fn date_levels() {
        assert_eq!(compare_dates(date("1990-05-12"), date("12.05.1990")), Agreement::Exact);
        assert_eq!(compare_dates(date("1990"), date("1990-05-12")), Agreement::SameKey);
        assert_eq!(compare_dates(date("1990-05"), date("1990-05-12")), Agreement::SameKey);
        assert_eq!(
            compare_dates(date("1990-05-12"), date("1990-12-05")),
            Agreement::Equivalent
        );
        assert_eq!(
            compare_dates(date("1990-05-12"), date("1990-05-13")),
            Agreement::Similar
        );
        assert_eq!(
            compare_dates(date("1990-05-12"), date("1980-05-12")),
            Agreement::Similar
        );
        assert_eq!(
            compare_dates(date("1990-05-12"), date("1990-05-28")),
            Agreement::Similar
        );
        assert_eq!(
            compare_dates(date("1990-05-12"), date("1991-06-13")),
            Agreement::Different
        );
        assert_eq!(compare_dates(date("1990"), date("1991")), Agreement::Different);
        assert_eq!(compare_dates(date(""), date("1991")), Agreement::Missing);
        // A month of 00 before a day is a typo, one digit away (records keep it, leniently).
        let typo = PartialDate::parse_lenient("1795-00-01").expect("lenient");
        assert_eq!(compare_dates(typo, date("1795-01-01")), Agreement::Similar);
        assert_eq!(compare_dates(typo, date("1795")), Agreement::SameKey);
        assert_eq!(compare_dates(typo, date("1796-02-01")), Agreement::Different);
        assert_eq!(compare_dates(date("soon"), date("1991")), Agreement::Missing);
    }

    #[test]
    fn text_levels() {
        assert_eq!(compare_texts(("4011", "4011"), ("4011", "4011")), Agreement::Exact);
        assert_eq!(
            compare_texts(("pridham street", "pridhamstreet"), ("pridhamstreet", "pridhamstreet")),
            Agreement::SameKey
        );
        assert_eq!(
            compare_texts(("6988048", "6988048"), ("6988084", "6988084")),
            Agreement::Similar
        );
        assert_eq!(
            compare_texts(("male", "male"), ("female", "female")),
            Agreement::Different
        );
        assert_eq!(compare_texts(("", ""), ("female", "female")), Agreement::Missing);
    }

    #[test]
    fn place_levels() {
        assert_eq!(compare_places(&name("Мінск"), &name("Minsk")), Agreement::SameKey);
        assert_eq!(
            compare_places(&name("Minsk"), &name("Minsk region")),
            Agreement::Equivalent
        );
        assert_eq!(compare_places(&name("Гродна"), &name("Minsk")), Agreement::Different);
    }

    #[test]
    fn the_same_person_in_two_scripts_is_probably_one() {
        let model = Model::default();
        let a = person("Ціханоўская", "", "", "", "");
        let _ = model.compare(&a, &a);
        let a = person("Святлана", "Ціханоўская", "Георгіеўна", "1982-09-11", "Мікашэвічы");
        let b = person(
            "Sviatlana",
            "Tsikhanouskaya",
            "Georgievna",
            "1982-09-11",
            "Mikashevichy",
        );
        let evidence = model.compare(&a, &b);
        assert!(evidence.probability > 0.999, "{evidence:?}");
        assert_eq!(evidence.fields.len(), 5);
        assert_eq!(evidence.fields[3].agreement, Agreement::Exact);
        let sum: f64 = evidence.fields.iter().map(|f| f.weight).sum();
        assert!((evidence.match_weight - (sum + (1e-4f64 / (1.0 - 1e-4)).log2())).abs() < 1e-9);
    }

    #[test]
    fn namesakes_born_on_other_days_are_probably_two() {
        let model = Model::default();
        let a = person("Ivan", "Ivanov", "", "1970-01-01", "");
        let b = person("Иван", "Иванов", "", "1985-07-23", "");
        let evidence = model.compare(&a, &b);
        assert!(evidence.probability < 0.2, "{evidence:?}");
        let c = person("Иван", "Иванов", "", "", "");
        let alone = model.compare(&a, &c).probability;
        assert!(alone > evidence.probability && alone < 0.9, "{alone}");
    }

    #[test]
    fn prepared_persons_compare_as_the_field_functions_do() {
        let people = [
            person("Святлана", "Ціханоўская", "Георгіеўна", "1982-09-11", "Мікашэвічы"),
            person("Sviatlana", "Tsikhanouskaya", "", "1982", "Mikashevichy"),
            person(
                "Светлана",
                "Тихановский",
                "Георгиевич",
                "1982-11-09",
                "Микашевичи район",
            ),
            person("Алесь", "Бяляцкі", "Віктаравіч", "1962-09-25", ""),
            person("Aleksandr", "Bialiatski", "Viktorovna", "1962-09-26", "Minsk"),
            person("Aliaksnadr", "Bialacki", "", "", "Minsk region"),
            person("", "Иванова", "Ивановна", "soon", "Гродна"),
            person("Ivan", "Ivanov", "Ivanovich", "1970-01-01", ""),
            person("漢字", "Ляхоў", "", "", ""),
        ];
        let model = Model::default();
        for a in &people {
            for b in &people {
                let levels: Vec<Agreement> = model.compare(a, b).fields.iter().map(|f| f.agreement).collect();
                let expected = [
                    compare_given_names(&name(&a.given_name), &name(&b.given_name)),
                    compare_family_names(&name(&a.family_name), &name(&b.family_name)),
                    compare_patronymics(&name(&a.patronymic), &name(&b.patronymic)),
                    compare_dates(date(&a.birth_date), date(&b.birth_date)),
                    compare_places(&name(&a.birth_place), &name(&b.birth_place)),
                ];
                assert_eq!(levels, expected, "{a:?} {b:?}");
            }
        }
    }

    /// The screen keeps exactly the pairs, and the evidence, that comparing every pair whole
    /// and keeping those at the threshold gives: synthetic records written 1–5 times each
    /// (so that true pairs are among them), every pair, three thresholds, and a model whose
    /// birth date weighs little (so the order of the screen matters less).
    #[test]
    fn the_screen_keeps_what_the_whole_comparison_keeps() {
        let records: Vec<PreparedPerson> = crate::synth::records(20261204, 700)
            .iter()
            .map(|r| {
                PreparedPerson::new(&PersonRecord {
                    given_name: r.given_name.clone(),
                    family_name: r.family_name.clone(),
                    patronymic: r.patronymic.clone(),
                    birth_date: r.birth_date.clone(),
                    birth_place: r.birth_place.clone(),
                })
            })
            .collect();
        let mut flat = Model::default();
        flat.fields[3] = LevelProbabilities {
            m: [0.3, 0.2, 0.2, 0.1, 0.2, 0.0],
            u: [0.1, 0.2, 0.2, 0.1, 0.4, 0.0],
        };
        let thresholds = [0.05, 0.5, 0.9];
        for model in [Model::default(), flat] {
            let screens = thresholds.map(|t| model.screen(t));
            let mut kept = [0; 3];
            for (i, a) in records.iter().enumerate() {
                for b in &records[i + 1..] {
                    let whole = model.compare_prepared(a, b);
                    for ((screen, threshold), kept) in screens.iter().zip(thresholds).zip(&mut kept) {
                        let expected = (whole.probability >= threshold).then(|| whole.clone());
                        *kept += usize::from(expected.is_some());
                        assert_eq!(screen.compare(a, b), expected, "{a:?} {b:?} at {threshold}");
                    }
                }
            }
            assert!(kept.iter().all(|&k| k > 200), "{kept:?} pairs kept: too few to tell");
        }
    }

    #[test]
    fn a_missing_field_weighs_nothing() {
        let model = Model::default();
        let evidence = model.compare(&person("Ivan", "", "", "", ""), &person("Ivan", "Ivanov", "", "", ""));
        assert_eq!(evidence.fields[1].agreement, Agreement::Missing);
        assert_eq!(evidence.fields[1].weight, 0.0);
    }
}

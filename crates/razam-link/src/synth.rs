//! Synthetic Belarusian person records with realistic variants and known truth, for the
//! linkage benchmarks and tests (docs/linkage.md, "The synthetic data set").
//!
//! Pure and deterministic: the same seed gives the same records on every machine. Each true
//! person (a cluster) has a gender, a given name, a patronymic (from the father's given name),
//! a family name (feminine for women where the language makes it so), a birth date and a place
//! of birth, in Belarusian and in Russian. Given names, surnames and places are drawn with
//! Zipf weights, so namesakes are common; on top of that [`NAMESAKE`] of the persons copy the
//! full name of an earlier person and differ only in the birth date or only in the patronymic.
//!
//! Each person is written 1 to 5 times ([`RECORDS_PER_PERSON`]), each record in one script:
//! Belarusian or Russian Cyrillic, or one of the romanisations of [`System`] ([`WRITING`]).
//! A record may use another form of the given name (Алесь for Аляксандр, Саша, Зміцер…,
//! [`OTHER_GIVEN`]), write Russian ё as е ([`YO_AS_E`]), carry a typo in one name
//! ([`TYPO`]), lack the patronymic ([`NO_PATRONYMIC_CYRILLIC`], [`NO_PATRONYMIC_LATIN`]),
//! the birth date ([`NO_BIRTH_DATE`]) or the place ([`NO_PLACE`]), or give a wrong birth date
//! ([`DATE_YEAR_ONLY`], [`DATE_SWAPPED`], [`DATE_DIGIT`]). Records are shuffled, and their
//! ids say nothing about the person.

mod names;
mod translit;

pub use translit::{Language, System};

use names::{Gendered, Given, MEN, PLACES, ROOTS, SUFFIXES, WHOLE_SURNAMES, WOMEN};

/// Share of records per person (1, 2, 3, 4, 5 records): 40 %, 25 %, 15 %, 10 %, 10 % (2.25
/// records per person on average).
pub const RECORDS_PER_PERSON: [u32; 5] = [40, 25, 15, 10, 10];
/// How records are written, per mille: Belarusian Cyrillic, Russian Cyrillic, then each
/// romanisation. A system that romanises both languages takes each half of the time.
pub const WRITING: [(Writing, u32); 12] = [
    (Writing::Cyrillic(Language::Belarusian), 300),
    (Writing::Cyrillic(Language::Russian), 300),
    (Writing::Latin(System::IcaoBelarusian), 80),
    (Writing::Latin(System::IcaoRussian), 60),
    (Writing::Latin(System::By2007), 30),
    (Writing::Latin(System::By2023), 30),
    (Writing::Latin(System::BgnBelarusian), 30),
    (Writing::Latin(System::BgnRussian), 40),
    (Writing::Latin(System::Iso9), 20),
    (Writing::Latin(System::Lacinka), 30),
    (Writing::Latin(System::Polish), 50),
    (Writing::Latin(System::German), 30),
];
/// Share of persons who copy an earlier person's full name (and gender and place) and differ
/// only in the birth date or only in the patronymic: the hard negatives.
pub const NAMESAKE: f64 = 0.10;
/// Share of records that use another form of the given name (a short form, where the table
/// has one for the language).
pub const OTHER_GIVEN: f64 = 0.15;
/// Share of records from Russian that write ё as е.
pub const YO_AS_E: f64 = 0.5;
/// Share of records with one typo (a letter dropped, doubled, or two swapped) in one name.
pub const TYPO: f64 = 0.10;
/// Share of Cyrillic records without the patronymic.
pub const NO_PATRONYMIC_CYRILLIC: f64 = 0.10;
/// Share of Latin records without the patronymic (foreign sources rarely give it).
pub const NO_PATRONYMIC_LATIN: f64 = 0.50;
/// Share of records without a birth date.
pub const NO_BIRTH_DATE: f64 = 0.08;
/// Share of records with the birth year only.
pub const DATE_YEAR_ONLY: f64 = 0.07;
/// Share of records with day and month swapped (when the day is 12 or less, else a digit).
pub const DATE_SWAPPED: f64 = 0.03;
/// Share of records with one digit of the birth date wrong (still a valid date).
pub const DATE_DIGIT: f64 = 0.03;
/// Share of records without a place of birth.
pub const NO_PLACE: f64 = 0.25;

/// The CSV header of the records, in the order of [`Record::fields`].
pub const HEADER: [&str; 7] = [
    "unique_id",
    "cluster",
    "given_name",
    "family_name",
    "patronymic",
    "birth_date",
    "birth_place",
];

/// The script (and system) a record is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Writing {
    /// Cyrillic, in the person's name in that language.
    Cyrillic(Language),
    /// A romanisation (of the language the system romanises; both halves for ISO 9, Polish
    /// and German).
    Latin(System),
}

/// One generated record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `s1`, `s2`…, in the shuffled order.
    pub unique_id: String,
    /// The true person.
    pub cluster: u64,
    pub given_name: String,
    pub family_name: String,
    /// Empty when missing.
    pub patronymic: String,
    /// `YYYY-MM-DD`, `YYYY`, or empty.
    pub birth_date: String,
    /// Empty when missing.
    pub birth_place: String,
    /// How it is written.
    pub writing: Writing,
    /// The language its names were taken from.
    pub language: Language,
}

impl Record {
    /// The cells of the record in the order of [`HEADER`] (the cluster as decimal).
    pub fn fields(&self) -> [String; 7] {
        [
            self.unique_id.clone(),
            self.cluster.to_string(),
            self.given_name.clone(),
            self.family_name.clone(),
            self.patronymic.clone(),
            self.birth_date.clone(),
            self.birth_place.clone(),
        ]
    }
}

/// A true person: what every record of the cluster is written from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The cluster id.
    pub id: u64,
    pub female: bool,
    /// Year, month, day.
    pub birth: (u16, u8, u8),
    given: usize,
    father: usize,
    surname: Surname,
    place: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Surname {
    Whole(usize),
    Composed(usize, usize),
}

/// A person's names in one language, in Cyrillic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    pub given: String,
    pub family: String,
    pub patronymic: String,
    pub place: String,
}

impl Person {
    fn given_entry(&self) -> &'static Given {
        if self.female {
            &WOMEN[self.given]
        } else {
            &MEN[self.given]
        }
    }

    /// The person's names in `language` (the canonical given name, not a short form).
    pub fn names(&self, language: Language) -> Names {
        let given = self.given_entry();
        let father = &MEN[self.father];
        let be = language == Language::Belarusian;
        let patronymic = match (be, self.female) {
            (true, false) => format!("{}віч", father.patronymic.0),
            (true, true) => format!("{}ўна", father.patronymic.0),
            (false, false) => format!("{}вич", father.patronymic.1),
            (false, true) => format!("{}вна", father.patronymic.1),
        };
        let (masculine, gendered) = match self.surname {
            Surname::Whole(i) => {
                let (b, r, g) = WHOLE_SURNAMES[i];
                ((if be { b } else { r }).to_owned(), g)
            }
            Surname::Composed(root, suffix) => {
                let (rb, rr) = ROOTS[root];
                let (sb, sr, g) = SUFFIXES[suffix];
                (
                    if be {
                        join(rb, sb, language)
                    } else {
                        join(rr, sr, language)
                    },
                    g,
                )
            }
        };
        let family = if self.female {
            feminine(&masculine, gendered, language)
        } else {
            masculine
        };
        let (place_be, place_ru) = PLACES[self.place];
        Names {
            given: (if be { given.be } else { given.ru }).to_owned(),
            family,
            patronymic,
            place: (if be { place_be } else { place_ru }).to_owned(),
        }
    }

    /// The other forms of the given name a record in `language` may use.
    pub fn other_given(&self, language: Language) -> &'static [&'static str] {
        let given = self.given_entry();
        match language {
            Language::Belarusian => given.be_other,
            Language::Russian => given.ru_other,
        }
    }
}

/// Joins a surname root and suffix with the spelling rules at the seam: after a hard
/// consonant Belarusian writes э о а ы у for е ё я і ю, Russian и а у for ы я ю; a letter
/// doubled across the seam is written once.
fn join(root: &str, suffix: &str, language: Language) -> String {
    let last = root.chars().last();
    let mut out = String::with_capacity(root.len() + suffix.len());
    out.push_str(root);
    let mut rest = suffix.chars();
    if let Some(first) = rest.next() {
        let hard_be = matches!(last, Some('ж' | 'ш' | 'ч' | 'ц' | 'р'));
        let hard_ru = matches!(last, Some('ж' | 'ш' | 'ч' | 'щ' | 'ц'));
        let first = match (language, first) {
            (Language::Belarusian, 'е') if hard_be => 'э',
            (Language::Belarusian, 'ё') if hard_be => 'о',
            (Language::Belarusian, 'я') if hard_be => 'а',
            (Language::Belarusian, 'і') if hard_be => 'ы',
            (Language::Belarusian, 'ю') if hard_be => 'у',
            (Language::Russian, 'ы') if hard_ru => 'и',
            (Language::Russian, 'я') if hard_ru => 'а',
            (Language::Russian, 'ю') if hard_ru => 'у',
            (_, c) => c,
        };
        if Some(first) != last {
            out.push(first);
        }
    }
    out.push_str(rest.as_str());
    out
}

/// The feminine form of a masculine surname: Кавалёў → Кавалёва, Калинин → Калинина,
/// Каліноўскі → Каліноўская, Беляцкий → Беляцкая; invariant ones stay.
fn feminine(masculine: &str, gendered: Gendered, language: Language) -> String {
    match gendered {
        Gendered::Invariant => masculine.to_owned(),
        Gendered::Possessive => match masculine.strip_suffix('ў') {
            Some(stem) => format!("{stem}ва"),
            None => format!("{masculine}а"),
        },
        Gendered::Adjectival => {
            let stem = match language {
                Language::Belarusian => masculine.strip_suffix('і'),
                Language::Russian => masculine.strip_suffix("ий").or_else(|| masculine.strip_suffix("ый")),
            };
            match stem {
                Some(stem) => format!("{stem}ая"),
                None => masculine.to_owned(),
            }
        }
    }
}

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let x = self.unit() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len().saturating_sub(1))
    }
}

/// Cumulative Zipf weights 1/rank^s for `n` items.
fn zipf(n: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += 1.0 / (rank as f64).powf(s);
            total
        })
        .collect()
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .into_iter()
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const FIRST_YEAR: u16 = 1940;
const LAST_YEAR: u16 = 2006;
/// How many recent persons a namesake may copy.
const RECENT: usize = 1024;

/// Makes persons and their records from a seed.
pub struct Generator {
    rng: Rng,
    next_id: u64,
    recent: Vec<Person>,
    men: Vec<f64>,
    women: Vec<f64>,
    fathers: Vec<f64>,
    roots: Vec<f64>,
    suffixes: Vec<f64>,
    whole: Vec<f64>,
    places: Vec<f64>,
    per_person: Vec<f64>,
    writing: Vec<f64>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
            next_id: 1,
            recent: Vec::with_capacity(RECENT),
            men: zipf(MEN.len(), 1.0),
            women: zipf(WOMEN.len(), 1.0),
            fathers: zipf(MEN.len(), 1.0),
            roots: zipf(ROOTS.len(), 0.9),
            suffixes: zipf(SUFFIXES.len(), 0.8),
            whole: zipf(WHOLE_SURNAMES.len(), 1.0),
            places: zipf(PLACES.len(), 1.1),
            per_person: cumulative(RECORDS_PER_PERSON.iter().map(|&w| f64::from(w))),
            writing: cumulative(WRITING.iter().map(|&(_, w)| f64::from(w))),
        }
    }

    fn birth(&mut self) -> (u16, u8, u8) {
        let year = FIRST_YEAR + self.rng.below(usize::from(LAST_YEAR - FIRST_YEAR) + 1) as u16;
        let month = 1 + self.rng.below(12) as u8;
        let day = 1 + self.rng.below(usize::from(days_in_month(year, month))) as u8;
        (year, month, day)
    }

    /// The next true person: new, or a namesake of a recent one.
    pub fn person(&mut self) -> Person {
        let id = self.next_id;
        self.next_id += 1;
        let person = if !self.recent.is_empty() && self.rng.chance(NAMESAKE) {
            let mut twin = self.recent[self.rng.below(self.recent.len())].clone();
            twin.id = id;
            if self.rng.chance(0.5) {
                // Same full name and patronymic, another birth date.
                let before = twin.birth;
                while twin.birth == before {
                    twin.birth = self.birth();
                }
            } else {
                // Same full name and birth date, another patronymic.
                let before = twin.father;
                while twin.father == before {
                    twin.father = self.rng.weighted(&self.fathers);
                }
            }
            twin
        } else {
            let female = self.rng.chance(0.5);
            let given = self.rng.weighted(if female { &self.women } else { &self.men });
            let surname = if self.rng.chance(0.25) {
                Surname::Whole(self.rng.weighted(&self.whole))
            } else {
                Surname::Composed(self.rng.weighted(&self.roots), self.rng.weighted(&self.suffixes))
            };
            Person {
                id,
                female,
                birth: self.birth(),
                given,
                father: self.rng.weighted(&self.fathers),
                surname,
                place: self.rng.weighted(&self.places),
            }
        };
        if self.recent.len() < RECENT {
            self.recent.push(person.clone());
        } else {
            let slot = (id as usize) % RECENT;
            self.recent[slot] = person.clone();
        }
        person
    }

    /// How many records the next person gets (1 to 5).
    fn record_count(&mut self) -> usize {
        1 + self.rng.weighted(&self.per_person)
    }

    /// One record of `person`, with the variants drawn at their rates. Its id is empty (the
    /// caller numbers the records after shuffling them).
    pub fn record(&mut self, person: &Person) -> Record {
        let writing = WRITING[self.rng.weighted(&self.writing)].0;
        let language = match writing {
            Writing::Cyrillic(language) => language,
            Writing::Latin(system) => {
                let sources = system.sources();
                sources[self.rng.below(sources.len())]
            }
        };
        let mut names = person.names(language);
        let other = person.other_given(language);
        if !other.is_empty() && self.rng.chance(OTHER_GIVEN) {
            names.given = other[self.rng.below(other.len())].to_owned();
        }
        if language == Language::Russian && self.rng.chance(YO_AS_E) {
            for field in [
                &mut names.given,
                &mut names.family,
                &mut names.patronymic,
                &mut names.place,
            ] {
                if field.contains(['ё', 'Ё']) {
                    *field = field.replace('ё', "е").replace('Ё', "Е");
                }
            }
        }
        let write = |s: &str| match writing {
            Writing::Cyrillic(_) => s.to_owned(),
            Writing::Latin(system) => system.transliterate(s, language),
        };
        let no_patronymic = match writing {
            Writing::Cyrillic(_) => NO_PATRONYMIC_CYRILLIC,
            Writing::Latin(_) => NO_PATRONYMIC_LATIN,
        };
        let mut record = Record {
            unique_id: String::new(),
            cluster: person.id,
            given_name: write(&names.given),
            family_name: write(&names.family),
            patronymic: if self.rng.chance(no_patronymic) {
                String::new()
            } else {
                write(&names.patronymic)
            },
            birth_date: self.birth_date(person.birth),
            birth_place: if self.rng.chance(NO_PLACE) {
                String::new()
            } else {
                write(&names.place)
            },
            writing,
            language,
        };
        if self.rng.chance(TYPO) {
            let field = match self.rng.below(3) {
                0 => &mut record.given_name,
                1 => &mut record.family_name,
                _ if record.patronymic.is_empty() => &mut record.family_name,
                _ => &mut record.patronymic,
            };
            typo(&mut self.rng, field);
        }
        record
    }

    fn birth_date(&mut self, (year, month, day): (u16, u8, u8)) -> String {
        let x = self.rng.unit();
        let mut cut = NO_BIRTH_DATE;
        if x < cut {
            return String::new();
        }
        cut += DATE_YEAR_ONLY;
        if x < cut {
            return year.to_string();
        }
        cut += DATE_SWAPPED;
        if x < cut && day <= 12 && day != month {
            return format!("{year:04}-{day:02}-{month:02}");
        }
        if x < cut + DATE_DIGIT {
            return self.wrong_digit(year, month, day);
        }
        format!("{year:04}-{month:02}-{day:02}")
    }

    /// The date with one digit of the year's last two, the month or the day changed, still a
    /// valid date (after a few tries; else the date itself).
    fn wrong_digit(&mut self, year: u16, month: u8, day: u8) -> String {
        for _ in 0..16 {
            let (mut y, mut m, mut d) = (year, month, day);
            let digit = self.rng.below(10) as u16;
            match self.rng.below(6) {
                0 => y = y / 100 * 100 + digit * 10 + y % 10,
                1 => y = y / 10 * 10 + digit,
                2 => m = (digit * 10 + u16::from(m % 10)) as u8,
                3 => m = (u16::from(m / 10) * 10 + digit) as u8,
                4 => d = (digit * 10 + u16::from(d % 10)) as u8,
                _ => d = (u16::from(d / 10) * 10 + digit) as u8,
            }
            let valid = (1900..=2020).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m);
            if valid && (y, m, d) != (year, month, day) {
                return format!("{y:04}-{m:02}-{d:02}");
            }
        }
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// One typo: a letter dropped, a letter doubled, or two neighbours swapped.
fn typo(rng: &mut Rng, field: &mut String) {
    let mut chars: Vec<char> = field.chars().collect();
    if chars.len() < 3 {
        return;
    }
    let at = 1 + rng.below(chars.len() - 2);
    match rng.below(3) {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        _ => chars.swap(at, at + 1),
    }
    *field = chars.into_iter().collect();
}

/// `count` records of as many persons as it takes (the last person may be cut short), from
/// `seed`, shuffled and numbered `s1`, `s2`…
pub fn records(seed: u64, count: usize) -> Vec<Record> {
    let mut generator = Generator::new(seed);
    let mut records = Vec::with_capacity(count);
    while records.len() < count {
        let person = generator.person();
        let n = generator.record_count().min(count - records.len());
        for _ in 0..n {
            records.push(generator.record(&person));
        }
    }
    for i in (1..records.len()).rev() {
        let j = generator.rng.below(i + 1);
        records.swap(i, j);
    }
    for (i, record) in records.iter_mut().enumerate() {
        record.unique_id = format!("s{}", i + 1);
    }
    records
}

#[cfg(test)]
mod tests;

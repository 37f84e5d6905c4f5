//! The demo registry: by default about three hundred fictional persons and a few thousand
//! events over 2020–2026; at any size with `razam demo --size N` (issue 9). Drawn from a seed,
//! so that every demo of a size and seed holds the same records.
//!
//! The shape follows the years it imitates (a peak of detentions after 9 August 2020,
//! administrative arrests, criminal cases under the articles used against protesters, trials,
//! sentences, releases and pardons, forced departures); the people do not exist. Names come
//! from the synthetic generator of razam-link (Belarusian names drawn with Zipf weights, so
//! namesakes are common; variants in a Latin romanisation and in Russian), and every person's
//! notes say "fictional demo person".
//!
//! Everything is written through the same [`RegistryOp`] path as the imports, in one
//! transaction of many batches (`App::apply_batches_seeing`): the persons of a chunk, then the
//! chunk's events, sources, recognitions and statuses naming them by the ids the first batch
//! got. Sealing a batch runs on every core; nothing is checked for duplicates (the names are
//! drawn, not typed), so 100,000 persons take minutes, not hours.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use razam_core::registry::{
    Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, Precision, PrisonerStatus, SourceKind,
};
use razam_link::synth::{self, Language, System};
use razam_store::StoreError;
use razam_store::registry::{Change, RegistryOp, Target};

use crate::registry::{EventDetails, EventInput, Identity, PersonInput};
use crate::sources::{SourceDetails, SourceInput};
use crate::{Actor, App, AppError};

const SEED: u64 = 0x5241_5a41_4d20_2020;
/// The default demo: this many persons, of whom [`LAWYERS`] lawyers and [`OFFICIALS`]
/// officials (at least; a larger registry has one of each per [`PERSONS_PER_LAWYER`]).
const DEFAULT_PERSONS: usize = 300;
const LAWYERS: usize = 10;
const OFFICIALS: usize = 8;
const PERSONS_PER_LAWYER: usize = 500;
/// Of every [`PROTESTERS`] protesters in turn, the first [`CRIMINAL`] have a criminal case and
/// the first [`RECOGNISED`] of them are recognised.
const PROTESTERS: usize = 282;
const CRIMINAL: usize = 140;
const RECOGNISED: usize = 120;
/// Protesters planned and written per chunk: two batches of one transaction.
const CHUNK: usize = 2_000;
pub const NOTE: &str = "fictional demo person";

/// How large a registry the demo writes, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSize {
    /// Persons in all (at least [`LAWYERS`] + [`OFFICIALS`] + 1).
    pub persons: usize,
    /// Events in all, about: when given, a protester whose story would run ahead of this
    /// budget is recorded without events (as persons known only from a list are). When not
    /// given, every protester's story is told (about nine events each).
    pub events: Option<usize>,
    pub seed: u64,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            persons: DEFAULT_PERSONS,
            events: None,
            seed: SEED,
        }
    }
}

impl DemoSize {
    fn lawyers(&self) -> usize {
        LAWYERS.max(self.persons / PERSONS_PER_LAWYER)
    }

    fn officials(&self) -> usize {
        OFFICIALS.max(self.persons / PERSONS_PER_LAWYER)
    }

    fn protesters(&self) -> usize {
        self.persons.saturating_sub(self.lawyers() + self.officials())
    }
}

/// (district, settlement)
type Places = &'static [(&'static str, &'static str)];

/// Region code, weight, and places within it.
const REGIONS: [(&str, u32, Places); 7] = [
    (
        "minsk-city",
        40,
        &[
            ("Фрунзенскі раён", "Мінск"),
            ("Маскоўскі раён", "Мінск"),
            ("Кастрычніцкі раён", "Мінск"),
            ("Партызанскі раён", "Мінск"),
            ("Першамайскі раён", "Мінск"),
            ("Цэнтральны раён", "Мінск"),
            ("Савецкі раён", "Мінск"),
        ],
    ),
    (
        "brest",
        10,
        &[
            ("Брэсцкі раён", "Брэст"),
            ("Баранавіцкі раён", "Баранавічы"),
            ("Пінскі раён", "Пінск"),
            ("Кобрынскі раён", "Кобрын"),
        ],
    ),
    (
        "vitebsk",
        9,
        &[
            ("Віцебскі раён", "Віцебск"),
            ("Полацкі раён", "Полацк"),
            ("Полацкі раён", "Наваполацк"),
            ("Аршанскі раён", "Орша"),
        ],
    ),
    (
        "gomel",
        10,
        &[
            ("Гомельскі раён", "Гомель"),
            ("Мазырскі раён", "Мазыр"),
            ("Жлобінскі раён", "Жлобін"),
            ("Рэчыцкі раён", "Рэчыца"),
        ],
    ),
    (
        "grodno",
        11,
        &[
            ("Гродзенскі раён", "Гродна"),
            ("Лідскі раён", "Ліда"),
            ("Слонімскі раён", "Слонім"),
            ("Ваўкавыскі раён", "Ваўкавыск"),
        ],
    ),
    (
        "minsk-region",
        12,
        &[
            ("Барысаўскі раён", "Барысаў"),
            ("Салігорскі раён", "Салігорск"),
            ("Маладзечанскі раён", "Маладзечна"),
            ("Смалявіцкі раён", "Жодзіна"),
        ],
    ),
    (
        "mogilev",
        8,
        &[
            ("Магілёўскі раён", "Магілёў"),
            ("Бабруйскі раён", "Бабруйск"),
            ("Асіповіцкі раён", "Асіповічы"),
            ("Крычаўскі раён", "Крычаў"),
        ],
    ),
];

const ABROAD: [&str; 4] = ["Вільнюс", "Варшава", "Беласток", "Рыга"];

/// Article, weight, shortest and longest term in months.
const ARTICLES: [(&str, u32, i64, i64); 10] = [
    ("342", 30, 12, 42),
    ("361-1", 10, 36, 96),
    ("130", 8, 24, 72),
    ("369", 10, 12, 24),
    ("364", 8, 24, 60),
    ("293", 8, 36, 96),
    ("361-4", 10, 24, 72),
    ("368", 6, 12, 36),
    ("342 ч.1", 4, 12, 30),
    ("361", 6, 24, 60),
];

const ARREST_DAYS: [i64; 9] = [10, 13, 14, 15, 15, 15, 25, 30, 30];

struct Planned {
    input: EventInput,
    people: Vec<(usize, PersonRole)>,
}

/// One chunk of the demo registry. Persons are numbered across the whole registry: the
/// chunk's own are `first..first + persons.len()`, lower numbers were written before.
struct Plan {
    first: usize,
    persons: Vec<PersonInput>,
    events: Vec<Planned>,
    recognitions: Vec<(usize, Day)>,
    statuses: Vec<(usize, PrisonerStatus, Day)>,
}

fn day(y: u16, m: u8, d: u8) -> Day {
    Day::new(y, m, d).unwrap_or(Day::EPOCH)
}

fn plus(d: Day, days: i64) -> Day {
    Day::from_days_since_epoch(d.days_since_epoch() + days).unwrap_or(d)
}

/// The last day the demo records anything on.
fn last_day() -> Day {
    day(2026, 10, 31)
}

fn between(rng: &mut StdRng, from: Day, to: Day) -> Day {
    let (a, b) = (
        from.days_since_epoch(),
        to.days_since_epoch().max(from.days_since_epoch()),
    );
    plus(Day::EPOCH, rng.gen_range(a..=b))
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut at = rng.gen_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if at < w {
            return item;
        }
        at -= w;
    }
    &items[0]
}

struct Person {
    region: &'static str,
    level: Confidentiality,
}

struct Planner {
    size: DemoSize,
    rng: StdRng,
    names: synth::Generator,
    plan: Plan,
    /// Every person planned so far, by number.
    people: Vec<Person>,
    /// Group detentions of August 2020 by (day, region): the event others may join (this
    /// chunk's).
    groups: Vec<(Day, &'static str, usize)>,
    lawyers: Vec<usize>,
    officials: Vec<usize>,
    /// Protesters planned, and events planned in all.
    protesters: usize,
    events: usize,
}

impl Planner {
    fn person(&mut self, female: bool, region: &'static str, level: Confidentiality, role_note: &str) -> usize {
        // The generator draws the gender with the names; a person of the other gender is
        // drawn again (at most a few times) so that the demo keeps its proportions.
        let mut drawn = self.names.person();
        for _ in 0..8 {
            if drawn.female == female {
                break;
            }
            drawn = self.names.person();
        }
        let female = drawn.female;
        let (be, ru) = (drawn.names(Language::Belarusian), drawn.names(Language::Russian));
        let rng = &mut self.rng;
        let mut variants = Vec::new();
        if rng.gen_bool(0.45) {
            // Mostly the passport spelling; some in another romanisation of Belarusian.
            let system = if rng.gen_bool(0.7) {
                System::IcaoBelarusian
            } else {
                *[System::By2023, System::BgnBelarusian, System::Lacinka, System::Polish]
                    .choose(rng)
                    .unwrap_or(&System::By2023)
            };
            variants.push(system.transliterate(&format!("{} {}", be.given, be.family), Language::Belarusian));
        }
        if rng.gen_bool(0.2) {
            variants.push(format!("{} {}", ru.given, ru.family));
        }
        let birth_year: u16 = rng.gen_range(1958..=2004);
        let birth_date = match rng.gen_range(0..10) {
            0..=5 => birth_year.to_string(),
            6..=8 => between(rng, day(birth_year, 1, 1), day(birth_year, 12, 31)).to_string(),
            _ => String::new(),
        };
        let consent = level == Confidentiality::Public && rng.gen_bool(0.5);
        let gender = if female { "; she" } else { "" };
        self.plan.persons.push(PersonInput {
            identity: Identity {
                given_name: be.given,
                family_name: be.family,
                patronymic: be.patronymic,
                variants,
                birth_date,
                contacts: String::new(),
                notes: format!("{NOTE}{role_note}{gender}"),
            },
            region: Some(region.to_owned()),
            confidentiality: level,
            consent_to_publish: consent,
        });
        self.people.push(Person { region, level });
        self.people.len() - 1
    }

    fn level(&mut self) -> Confidentiality {
        match self.rng.gen_range(0..100) {
            0..=9 => Confidentiality::Restricted,
            10..=24 => Confidentiality::Public,
            _ => Confidentiality::Internal,
        }
    }

    /// An event's level: never less protected than its first person's.
    fn event_level(&mut self, person: usize) -> Confidentiality {
        if self.people[person].level == Confidentiality::Restricted {
            return Confidentiality::Restricted;
        }
        match self.rng.gen_range(0..100) {
            0..=4 => Confidentiality::Restricted,
            5..=19 if self.people[person].level == Confidentiality::Public => Confidentiality::Public,
            _ => Confidentiality::Internal,
        }
    }

    fn date(&mut self, on: Day) -> FuzzyDate {
        match self.rng.gen_range(0..100) {
            0..=84 => FuzzyDate::day(on),
            85..=92 => FuzzyDate {
                first: on,
                last: plus(on, self.rng.gen_range(1..=3)),
                precision: Precision::Range,
            },
            _ => FuzzyDate {
                first: day(on.year(), on.month(), 1),
                last: on.end_of_month(),
                precision: Precision::Month,
            },
        }
    }

    /// Adds an event of `person` (as the victim unless `role` says otherwise); returns its index.
    fn event(&mut self, kind: EventKind, person: usize, on: Day, with: impl FnOnce(&mut EventInput)) -> usize {
        let region = self.people[person].region;
        let (district, settlement) = if region == "abroad" {
            (
                String::new(),
                (*ABROAD.choose(&mut self.rng).unwrap_or(&ABROAD[0])).to_owned(),
            )
        } else {
            let places = REGIONS.iter().find(|r| r.0 == region).map_or(REGIONS[0].2, |r| r.2);
            let (d, s) = places.choose(&mut self.rng).unwrap_or(&places[0]);
            ((*d).to_owned(), (*s).to_owned())
        };
        let date = if matches!(kind, EventKind::Detention | EventKind::Search | EventKind::Dismissal) {
            self.date(on)
        } else {
            FuzzyDate::day(on)
        };
        let confidentiality = self.event_level(person);
        let mut input = EventInput {
            kind,
            date: Some(date),
            region: Some(region.to_owned()),
            arrest_days: None,
            term_months: None,
            details: EventDetails {
                district,
                settlement,
                facility: facility(kind, region).to_owned(),
                description: description(kind).to_owned(),
            },
            confidentiality,
            articles: Vec::new(),
            persons: Vec::new(),
        };
        with(&mut input);
        self.plan.events.push(Planned {
            input,
            people: vec![(person, PersonRole::Victim)],
        });
        self.events += 1;
        self.plan.events.len() - 1
    }

    fn join(&mut self, event: usize, person: usize, role: PersonRole) {
        let people = &mut self.plan.events[event].people;
        if !people.iter().any(|(p, _)| *p == person) {
            people.push((person, role));
        }
    }

    /// A detention, often joined to a group detention on the same day in the same region in
    /// August 2020, and the administrative arrest that usually followed.
    fn detention_and_arrest(&mut self, person: usize, on: Day, arrest: f64) {
        let region = self.people[person].region;
        let in_peak = on >= day(2020, 8, 9) && on <= day(2020, 8, 31);
        let group = self
            .groups
            .iter()
            .find(|(d, r, _)| *d == on && *r == region)
            .map(|g| g.2);
        match group {
            Some(event) if in_peak && self.rng.gen_bool(0.3) => self.join(event, person, PersonRole::Victim),
            _ => {
                let event = self.event(EventKind::Detention, person, on, |_| {});
                if in_peak {
                    self.groups.push((on, region, event));
                }
            }
        }
        if self.rng.gen_bool(arrest) {
            let days = *ARREST_DAYS.choose(&mut self.rng).unwrap_or(&15);
            let when = plus(on, self.rng.gen_range(0..=2));
            self.event(EventKind::AdministrativeArrest, person, when, |e| {
                e.arrest_days = Some(days)
            });
        }
    }

    fn first_detention(&mut self) -> Day {
        match self.rng.gen_range(0..100) {
            0..=54 => between(&mut self.rng, day(2020, 8, 9), day(2020, 8, 14)),
            55..=79 => between(&mut self.rng, day(2020, 8, 15), day(2020, 12, 31)),
            80..=91 => between(&mut self.rng, day(2021, 1, 1), day(2021, 12, 31)),
            _ => between(&mut self.rng, day(2022, 1, 1), day(2026, 9, 30)),
        }
    }

    fn protester(&mut self, index: usize) {
        let region = weighted(&mut self.rng, &REGIONS, |r| r.1).0;
        let level = self.level();
        let female = self.rng.gen_bool(0.35);
        let p = self.person(female, region, level, "");
        // With a budget, the events keep its pace: a person past it is known from a list
        // only, a person behind it was detained more often.
        let mut more = 0;
        if let Some(budget) = self.size.events {
            let due = (index + 1).saturating_mul(budget) / self.size.protesters().max(1);
            if self.events >= due {
                return;
            }
            more = ((due - self.events) / 2).min(4);
        }
        let first = self.first_detention();
        self.detention_and_arrest(p, first, 0.75);
        let repeats = more + *[0, 1, 1, 2, 2, 2, 3, 3, 4, 5].choose(&mut self.rng).unwrap_or(&1);
        let mut last = first;
        for _ in 0..repeats {
            // Most repeated detentions came in the marches of autumn 2020.
            let from = plus(last, 7);
            if from > day(2023, 6, 30) {
                break;
            }
            let to = if from < day(2020, 12, 20) && self.rng.gen_bool(0.8) {
                day(2020, 12, 31)
            } else {
                plus(from, 300)
            };
            last = between(&mut self.rng, from, to);
            self.detention_and_arrest(p, last, 0.7);
        }
        if self.rng.gen_bool(0.35) {
            let on = between(&mut self.rng, first, plus(first, 400));
            self.event(EventKind::Search, p, on.min(last_day()), |_| {});
        }
        if self.rng.gen_bool(0.4) {
            let on = between(&mut self.rng, first, plus(first, 300));
            self.event(EventKind::Interrogation, p, on.min(last_day()), |_| {});
        }
        if self.rng.gen_bool(0.12) {
            let on = between(&mut self.rng, plus(first, 30), plus(first, 200));
            self.event(EventKind::Dismissal, p, on.min(last_day()), |_| {});
        }
        if self.rng.gen_bool(0.05) {
            let on = between(&mut self.rng, first, plus(first, 500));
            self.event(EventKind::PressureOnRelatives, p, on.min(last_day()), |_| {});
        }
        if index % PROTESTERS < CRIMINAL {
            self.criminal(p, index % PROTESTERS < RECOGNISED, first);
        } else if self.rng.gen_bool(0.1) {
            let on = between(&mut self.rng, plus(last, 30), plus(last, 400)).min(last_day());
            self.people[p].region = "abroad";
            self.event(EventKind::ForcedDeparture, p, on, |_| {});
        }
    }

    /// A criminal case: detention, search, case, trial, sentence; held until the end of the
    /// term, a pardon, or still.
    fn criminal(&mut self, p: usize, recognised: bool, first: Day) {
        let (lawyers, officials) = (std::mem::take(&mut self.lawyers), std::mem::take(&mut self.officials));
        self.case(p, recognised, first, &lawyers, &officials);
        (self.lawyers, self.officials) = (lawyers, officials);
    }

    fn case(&mut self, p: usize, recognised: bool, first: Day, lawyers: &[usize], officials: &[usize]) {
        let rng = &mut self.rng;
        let start = match rng.gen_range(0..100) {
            0..=24 => between(rng, plus(first, 14), day(2020, 12, 31).max(plus(first, 14))),
            25..=59 => between(
                rng,
                day(2021, 1, 1).max(plus(first, 14)),
                day(2021, 12, 31).max(plus(first, 14)),
            ),
            _ => between(
                rng,
                day(2022, 1, 1).max(plus(first, 14)),
                day(2025, 10, 31).max(plus(first, 14)),
            ),
        }
        .min(day(2025, 12, 31));
        let mut articles = vec![weighted(rng, &ARTICLES, |a| a.1)];
        if rng.gen_bool(0.3) {
            let second = weighted(rng, &ARTICLES, |a| a.1);
            if second.0 != articles[0].0 {
                articles.push(second);
            }
        }
        let term = articles.iter().map(|a| rng.gen_range(a.2..=a.3)).max().unwrap_or(24);
        let parsed: Vec<Article> = articles.iter().filter_map(|a| Article::parse(a.0).ok()).collect();
        self.event(EventKind::Detention, p, start, |e| {
            e.details.facility = "ІЧУ (ізалятар часовага ўтрымання)".into();
        });
        if self.rng.gen_bool(0.7) {
            self.event(EventKind::Search, p, start, |_| {});
        }
        let case_on = plus(start, self.rng.gen_range(0..=3));
        let case_articles = parsed.clone();
        self.event(EventKind::CriminalCase, p, case_on, |e| e.articles = case_articles);
        if self.rng.gen_bool(0.08) {
            let on = plus(start, self.rng.gen_range(1..=60));
            let event = self.event(EventKind::IllTreatment, p, on, |e| {
                e.details.facility = "СІЗА № 1".into();
                e.confidentiality = Confidentiality::Restricted;
            });
            if let Some(o) = officials.choose(&mut self.rng) {
                self.join(event, *o, PersonRole::OfficialResponsible);
            }
        }
        if self.rng.gen_bool(0.3) {
            let on = plus(case_on, self.rng.gen_range(30..=200)).min(last_day());
            self.event(EventKind::ExtremistDesignation, p, on, |_| {});
        }
        let trial_on = plus(case_on, self.rng.gen_range(90..=300)).min(last_day());
        let trial_articles = parsed.clone();
        let trial = self.event(EventKind::Trial, p, trial_on, |e| {
            e.articles = trial_articles;
            e.details.facility = "суд раёна".into();
        });
        if let Some(l) = lawyers.choose(&mut self.rng) {
            self.join(trial, *l, PersonRole::Lawyer);
        }
        if self.rng.gen_bool(0.4)
            && let Some(o) = officials.choose(&mut self.rng)
        {
            self.join(trial, *o, PersonRole::OfficialResponsible);
        }
        if self.rng.gen_bool(0.25) {
            let witness = self.rng.gen_range(0..p.max(1));
            if witness != p
                && self
                    .people
                    .get(witness)
                    .is_some_and(|w| w.level != Confidentiality::Restricted)
            {
                self.join(trial, witness, PersonRole::Witness);
            }
        }
        let sentence_on = plus(trial_on, self.rng.gen_range(0..=14)).min(last_day());
        let sentence_articles = parsed;
        self.event(EventKind::Sentence, p, sentence_on, |e| {
            e.articles = sentence_articles;
            e.term_months = Some(term);
        });
        if self.rng.gen_bool(0.5) {
            let on = plus(sentence_on, self.rng.gen_range(45..=120));
            if on <= last_day() {
                self.event(EventKind::Trial, p, on, |e| {
                    e.details.facility = "абласны суд (апеляцыя)".into();
                    e.details.description = "Апеляцыя: прысуд пакінуты без зменаў.".into();
                });
            }
        }
        let term_end = plus(start, term * 365 / 12);
        let pardon_from = day(2024, 7, 3).max(plus(sentence_on, 60));
        let pardoned = term_end > pardon_from && self.rng.gen_bool(0.25) && pardon_from < day(2026, 9, 30);
        let end = if pardoned {
            let on = between(&mut self.rng, pardon_from, day(2026, 9, 30).min(term_end));
            self.event(EventKind::Pardon, p, on, |_| {});
            if self.rng.gen_bool(0.35) {
                self.people[p].region = "abroad";
                self.event(EventKind::ForcedDeparture, p, on, |e| {
                    e.details.description = "Вызвалены і ў той жа дзень вывезены за мяжу.".into();
                });
            }
            Some((PrisonerStatus::Pardoned, on))
        } else if term_end <= last_day() {
            self.event(EventKind::Release, p, term_end, |e| {
                e.details.facility = "папраўчая калонія".into();
            });
            Some((PrisonerStatus::Released, term_end))
        } else {
            None
        };
        if recognised {
            let on = plus(start, self.rng.gen_range(20..=120)).min(last_day());
            self.plan.recognitions.push((p, on));
            self.plan.statuses.push((p, PrisonerStatus::Held, start));
            if let Some((status, on)) = end {
                self.plan.statuses.push((p, status, on));
            }
        }
    }
}

fn facility(kind: EventKind, region: &str) -> &'static str {
    match kind {
        EventKind::Detention if region == "minsk-city" => "ЦІП на вул. Акрэсціна",
        EventKind::Detention | EventKind::AdministrativeArrest => "ІЧУ РУУС",
        EventKind::Interrogation => "аддзел Следчага камітэта",
        _ => "",
    }
}

fn description(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Detention => "Затрыманне пасля мірнай акцыі.",
        EventKind::Search => "Ператрус у кватэры, забраная тэхніка.",
        EventKind::Interrogation => "Допыт у якасці сведкі.",
        EventKind::AdministrativeArrest => "Адміністрацыйны арышт па арт. 24.23 КаАП.",
        EventKind::CriminalCase => "Узбуджаная крымінальная справа.",
        EventKind::Trial => "Закрыты судовы працэс.",
        EventKind::Sentence => "Прысуд: пазбаўленне волі.",
        EventKind::Release => "Вызвалены па заканчэнні тэрміну.",
        EventKind::Pardon => "Вызвалены паводле памілавання.",
        EventKind::IllTreatment => "Скаргі на збіццё падчас утрымання.",
        EventKind::ForcedDeparture => "Вымушаны выезд за мяжу.",
        EventKind::Dismissal => "Звольнены з працы за грамадзянскую пазіцыю.",
        EventKind::ExtremistDesignation => "Унесены ў пералік «экстрэмістаў».",
        EventKind::DeathInCustody => "Смерць падчас утрымання.",
        EventKind::PressureOnRelatives => "Ціск на сваякоў.",
    }
}

impl Planner {
    fn new(size: DemoSize) -> Self {
        Planner {
            size,
            rng: StdRng::seed_from_u64(size.seed),
            names: synth::Generator::new(size.seed),
            plan: Plan::starting_at(0),
            people: Vec::with_capacity(size.persons),
            groups: Vec::new(),
            lawyers: Vec::new(),
            officials: Vec::new(),
            protesters: 0,
            events: 0,
        }
    }

    /// The lawyers and officials, and the dismissals of some lawyers: the first chunk.
    fn fixed(&mut self) -> Plan {
        for _ in 0..self.size.lawyers() {
            let female = self.rng.gen_bool(0.6);
            let p = self.person(female, "minsk-city", Confidentiality::Internal, "; lawyer");
            self.lawyers.push(p);
        }
        for _ in 0..self.size.officials() {
            let region = weighted(&mut self.rng, &REGIONS, |r| r.1).0;
            let p = self.person(false, region, Confidentiality::Restricted, "; official");
            self.officials.push(p);
        }
        // Some lawyers lost their licence.
        for l in self.lawyers.clone().into_iter().step_by(3) {
            let on = between(&mut self.rng, day(2021, 3, 1), day(2023, 12, 31));
            self.event(EventKind::Dismissal, l, on, |e| {
                e.details.description = "Пазбаўлены адвакацкай ліцэнзіі.".into();
            });
        }
        self.finish()
    }

    /// The next chunk of protesters, or `None` once every one is planned.
    fn next_chunk(&mut self) -> Option<Plan> {
        let total = self.size.protesters();
        if self.protesters >= total {
            return None;
        }
        let end = (self.protesters + CHUNK).min(total);
        for index in self.protesters..end {
            self.protester(index);
        }
        self.protesters = end;
        Some(self.finish())
    }

    /// The chunk planned so far, its events in date order; the next starts empty.
    fn finish(&mut self) -> Plan {
        self.groups.clear();
        let mut plan = std::mem::replace(&mut self.plan, Plan::starting_at(self.people.len()));
        plan.events.sort_by_key(|e| e.input.date.map(|d| d.first));
        plan
    }
}

impl Plan {
    fn starting_at(first: usize) -> Self {
        Plan {
            first,
            persons: Vec::new(),
            events: Vec::new(),
            recognitions: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

/// A fictional source for some of the demo's events: a media report on every fourth case,
/// trial or sentence, a testimony on every ill-treatment.
fn demo_source(index: usize, kind: EventKind, level: Confidentiality) -> Option<SourceInput> {
    let (source, title, reference) = match kind {
        EventKind::CriminalCase | EventKind::Trial | EventKind::Sentence if index.is_multiple_of(4) => (
            SourceKind::MediaArticle,
            "Fictional demo report",
            format!("https://news.example.org/demo/{index}"),
        ),
        EventKind::IllTreatment => (
            SourceKind::Testimony,
            "Сведчанне (fictional demo testimony)",
            format!("demo archive {index}"),
        ),
        _ => return None,
    };
    Some(SourceInput {
        kind: source,
        details: SourceDetails {
            title: title.to_owned(),
            reference,
            notes: "fictional demo source".to_owned(),
        },
        confidentiality: if source == SourceKind::Testimony {
            Confidentiality::Restricted
        } else {
            level
        },
    })
}

/// The figures of the demo registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    pub persons: usize,
    pub events: usize,
    pub recognised: usize,
}

impl App {
    /// Writes the demo registry of `size`: in one transaction, chunk after chunk, the
    /// persons in one batch, then everything naming them in another.
    pub(crate) async fn write_demo_registry(&self, size: DemoSize) -> Result<DemoCounts, AppError> {
        let mut planner = Planner::new(size);
        let mut fixed = Some(planner.fixed());
        // Every person's id by number, as the persons' batches are written.
        let ids: Mutex<Vec<i64>> = Mutex::new(Vec::with_capacity(size.persons));
        let mut pending: Option<Plan> = None;
        let mut counts = DemoCounts::default();
        let who = Actor::Cli.audit_name();
        let abandoned = |e: AppError| StoreError::Abandoned(e.to_string());
        let mut next = || -> Result<Option<Vec<Change>>, StoreError> {
            loop {
                if let Some(plan) = pending.take() {
                    let ids = ids.lock().map_err(|_| StoreError::Abandoned("the demo's ids".into()))?;
                    if ids.len() != plan.first + plan.persons.len() {
                        return Err(StoreError::Abandoned("the demo persons were not all created".into()));
                    }
                    let changes = self.demo_changes(plan, &ids, &who, &mut counts).map_err(abandoned)?;
                    if changes.is_empty() {
                        continue;
                    }
                    return Ok(Some(changes));
                }
                let Some(plan) = fixed.take().or_else(|| planner.next_chunk()) else {
                    return Ok(None);
                };
                let changes = plan
                    .persons
                    .par_iter()
                    .map(|p| {
                        Ok(Change {
                            op: RegistryOp::CreatePerson(self.person_write(p)?),
                            actor: who.clone(),
                            audit: Some("person.create"),
                            snapshot_sealed: Some(self.person_snapshot(p)?),
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()
                    .map_err(abandoned)?;
                counts.persons += changes.len();
                pending = Some(plan);
                return Ok(Some(changes));
            }
        };
        let mut seen = |changes: &[Change], new: &[i64]| {
            if matches!(changes.first().map(|c| &c.op), Some(RegistryOp::CreatePerson(_)))
                && let Ok(mut ids) = ids.lock()
            {
                ids.extend_from_slice(new);
            }
        };
        self.apply_batches_seeing(&mut next, &mut seen).await?;
        Ok(counts)
    }

    /// The changes of a chunk's events, sources, recognitions and statuses, its persons
    /// written: person number `p` is `ids[p]`. Sealed on every core.
    fn demo_changes(
        &self,
        plan: Plan,
        ids: &[i64],
        who: &str,
        counts: &mut DemoCounts,
    ) -> Result<Vec<Change>, AppError> {
        let first_event = counts.events;
        let mut changes = plan
            .events
            .into_par_iter()
            .map(|planned| {
                let mut input = planned.input;
                input.persons = planned.people.iter().map(|(p, role)| (ids[*p], *role)).collect();
                let persons = planned
                    .people
                    .iter()
                    .map(|(p, role)| (Target::Existing(ids[*p]), role.as_str()))
                    .collect();
                Ok((
                    input.kind,
                    input.confidentiality,
                    Change {
                        op: RegistryOp::CreateEvent(self.event_write(&input, persons)?),
                        actor: who.to_owned(),
                        audit: Some("event.create"),
                        snapshot_sealed: Some(self.event_snapshot(&input)?),
                    },
                ))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let events = changes.len();
        counts.events += events;
        let mut sources = Vec::new();
        for (index, (kind, level, _)) in changes.iter().enumerate() {
            if let Some(source) = demo_source(first_event + index, *kind, *level) {
                sources.push((index, source));
            }
        }
        let mut changes: Vec<Change> = changes.drain(..).map(|(_, _, c)| c).collect();
        for (event, source) in &sources {
            changes.push(Change {
                op: self.source_op(Target::New(*event), source)?,
                actor: who.to_owned(),
                audit: Some("source.add"),
                snapshot_sealed: None,
            });
        }
        for (p, on) in &plan.recognitions {
            changes.push(Change {
                op: self.recognise_op(
                    Target::Existing(ids[*p]),
                    *on,
                    "demo",
                    "fictional demo recognition",
                    who.to_owned(),
                )?,
                actor: who.to_owned(),
                audit: Some("person.recognise"),
                snapshot_sealed: None,
            });
        }
        counts.recognised += plan.recognitions.len();
        for (p, status, on) in &plan.statuses {
            changes.push(Change {
                op: RegistryOp::AddStatus {
                    person: Target::Existing(ids[*p]),
                    status: status.as_str(),
                    on_date: on.to_string(),
                },
                actor: who.to_owned(),
                audit: Some("person.status"),
                snapshot_sealed: None,
            });
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chunk of a plan, in order.
    fn plan(size: DemoSize) -> Vec<Plan> {
        let mut planner = Planner::new(size);
        let mut chunks = vec![planner.fixed()];
        while let Some(chunk) = planner.next_chunk() {
            chunks.push(chunk);
        }
        chunks
    }

    fn names(chunks: &[Plan]) -> Vec<String> {
        chunks
            .iter()
            .flat_map(|c| c.persons.iter().map(|p| p.identity.full_name()))
            .collect()
    }

    #[test]
    fn the_plan_is_the_same_every_time_and_has_the_intended_shape() {
        let (a, b) = (plan(DemoSize::default()), plan(DemoSize::default()));
        assert_eq!(names(&a), names(&b));
        let events: Vec<&Planned> = a.iter().flat_map(|c| &c.events).collect();
        assert_eq!(events.len(), b.iter().map(|c| c.events.len()).sum::<usize>());
        assert_eq!(names(&a).len(), DEFAULT_PERSONS);
        assert!(events.len() >= 2000, "{} events", events.len());
        assert_eq!(a.iter().map(|c| c.recognitions.len()).sum::<usize>(), RECOGNISED);
        assert!(
            a.iter()
                .flat_map(|c| &c.persons)
                .all(|p| p.identity.notes.starts_with(NOTE))
        );
        let in_2020 = |e: &&&Planned| {
            e.input.kind == EventKind::Detention && e.input.date.is_some_and(|d| d.first.year() == 2020)
        };
        let detentions = events.iter().filter(|e| e.input.kind == EventKind::Detention).count();
        assert!(events.iter().filter(in_2020).count() * 2 > detentions, "the 2020 peak");
        for e in &events {
            let d = e.input.date.unwrap();
            assert!(d.first >= day(2020, 1, 1) && d.last <= day(2026, 12, 31), "{d}");
        }
        // Persons are numbered across chunks, and events name only persons planned by then.
        let mut first = 0;
        for chunk in &a {
            assert_eq!(chunk.first, first);
            first += chunk.persons.len();
            assert!(chunk.events.iter().flat_map(|e| &e.people).all(|(p, _)| *p < first));
        }
    }

    #[test]
    fn a_larger_registry_comes_in_chunks_keeps_its_event_budget_and_depends_on_the_seed() {
        let size = DemoSize {
            persons: 5_000,
            events: Some(20_000),
            seed: 7,
        };
        let chunks = plan(size);
        assert_eq!(chunks.len(), 1 + size.protesters().div_ceil(CHUNK));
        assert_eq!(names(&chunks).len(), 5_000);
        let events: usize = chunks.iter().map(|c| c.events.len()).sum();
        assert!(
            (19_500..=20_500).contains(&events),
            "{events} events for a budget of 20,000"
        );
        // More than the stories alone would give (about nine a person).
        let dense = plan(DemoSize {
            events: Some(60_000),
            ..size
        });
        let events: usize = dense.iter().map(|c| c.events.len()).sum();
        assert!(
            (57_000..=63_000).contains(&events),
            "{events} events for a budget of 60,000"
        );
        // Persons beyond the budget's pace have no events, yet the budget is spread over all.
        let last = chunks.last().unwrap();
        assert!(!last.events.is_empty());
        let unrecorded = chunks
            .iter()
            .flat_map(|c| (c.first..c.first + c.persons.len()).map(move |p| (c, p)))
            .filter(|(c, p)| !c.events.iter().any(|e| e.people.iter().any(|(q, _)| q == p)))
            .count();
        assert!(unrecorded > 1_000, "{unrecorded} persons without events");
        // Names repeat (namesakes are common) but are not one name.
        let mut distinct = names(&chunks);
        distinct.sort_unstable();
        distinct.dedup();
        assert!(
            distinct.len() > 2_500 && distinct.len() < 5_000,
            "{} distinct names",
            distinct.len()
        );
        let other = plan(DemoSize { seed: 8, ..size });
        assert_ne!(names(&other), names(&chunks));
        assert_eq!(names(&plan(size)), names(&chunks));
    }
}

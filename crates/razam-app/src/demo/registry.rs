//! The demo registry: about three hundred fictional persons and a few thousand events over
//! 2020–2026, drawn from a fixed seed so that every demo holds the same records.
//!
//! The shape follows the years it imitates (a peak of detentions after 9 August 2020,
//! administrative arrests, criminal cases under the articles used against protesters, trials,
//! sentences, releases and pardons, forced departures); the people do not exist. Names are
//! combined at random from common Belarusian names, and every person's notes say
//! "fictional demo person". Everything is written in two batches through the same
//! [`RegistryOp`] path as the prisoner-list import, so the demo starts in seconds.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use razam_core::registry::{
    Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, Precision, PrisonerStatus, SourceKind,
};
use razam_store::registry::{Change, RegistryOp, Target};

use crate::registry::{EventDetails, EventInput, Identity, PersonInput};
use crate::sources::{SourceDetails, SourceInput};
use crate::{Actor, App, AppError};

const SEED: u64 = 0x5241_5a41_4d20_2020;
const PROTESTERS: usize = 282;
const LAWYERS: usize = 10;
const OFFICIALS: usize = 8;
/// Persons with a criminal case; the first [`RECOGNISED`] of them are recognised.
const CRIMINAL: usize = 140;
const RECOGNISED: usize = 120;
pub const NOTE: &str = "fictional demo person";

/// (Belarusian, Latin, Russian)
const MALE_NAMES: [(&str, &str, &str); 20] = [
    ("Аляксандр", "Aliaksandr", "Александр"),
    ("Сяргей", "Siarhei", "Сергей"),
    ("Дзмітрый", "Dzmitry", "Дмитрий"),
    ("Андрэй", "Andrei", "Андрей"),
    ("Павел", "Pavel", "Павел"),
    ("Мікалай", "Mikalai", "Николай"),
    ("Уладзімір", "Uladzimir", "Владимир"),
    ("Ігар", "Ihar", "Игорь"),
    ("Віктар", "Viktar", "Виктор"),
    ("Максім", "Maksim", "Максим"),
    ("Юрый", "Yury", "Юрий"),
    ("Алег", "Aleh", "Олег"),
    ("Раман", "Raman", "Роман"),
    ("Арцём", "Artsiom", "Артём"),
    ("Дзяніс", "Dzianis", "Денис"),
    ("Васіль", "Vasil", "Василий"),
    ("Міхаіл", "Mikhail", "Михаил"),
    ("Яўген", "Yauhen", "Евгений"),
    ("Антон", "Anton", "Антон"),
    ("Кастусь", "Kastus", "Константин"),
];

const FEMALE_NAMES: [(&str, &str, &str); 15] = [
    ("Вольга", "Volha", "Ольга"),
    ("Ганна", "Hanna", "Анна"),
    ("Алена", "Alena", "Елена"),
    ("Наталля", "Natallia", "Наталья"),
    ("Таццяна", "Tatsiana", "Татьяна"),
    ("Марыя", "Maryia", "Мария"),
    ("Кацярына", "Katsiaryna", "Екатерина"),
    ("Юлія", "Yulia", "Юлия"),
    ("Ірына", "Iryna", "Ирина"),
    ("Святлана", "Sviatlana", "Светлана"),
    ("Дар'я", "Darya", "Дарья"),
    ("Людміла", "Liudmila", "Людмила"),
    ("Вераніка", "Veranika", "Вероника"),
    ("Алеся", "Alesia", "Олеся"),
    ("Надзея", "Nadzeya", "Надежда"),
];

/// (masculine, feminine)
const PATRONYMICS: [(&str, &str); 14] = [
    ("Аляксандравіч", "Аляксандраўна"),
    ("Сяргеевіч", "Сяргееўна"),
    ("Дзмітрыевіч", "Дзмітрыеўна"),
    ("Андрэевіч", "Андрэеўна"),
    ("Паўлавіч", "Паўлаўна"),
    ("Мікалаевіч", "Мікалаеўна"),
    ("Уладзіміравіч", "Уладзіміраўна"),
    ("Ігаравіч", "Ігараўна"),
    ("Віктаравіч", "Віктараўна"),
    ("Юр'евіч", "Юр'еўна"),
    ("Васільевіч", "Васільеўна"),
    ("Міхайлавіч", "Міхайлаўна"),
    ("Яўгенавіч", "Яўгенаўна"),
    ("Антонавіч", "Антонаўна"),
];

/// Belarusian masculine and feminine, Latin masculine and feminine, Russian masculine and
/// feminine. Many Belarusian family names do not change with gender.
const FAMILY_NAMES: [[&str; 6]; 24] = [
    [
        "Каваленка",
        "Каваленка",
        "Kavalenka",
        "Kavalenka",
        "Коваленко",
        "Коваленко",
    ],
    ["Мельнік", "Мельнік", "Melnik", "Melnik", "Мельник", "Мельник"],
    ["Жук", "Жук", "Zhuk", "Zhuk", "Жук", "Жук"],
    ["Новік", "Новік", "Novik", "Novik", "Новик", "Новик"],
    ["Бондар", "Бондар", "Bondar", "Bondar", "Бондарь", "Бондарь"],
    [
        "Грыцкевіч",
        "Грыцкевіч",
        "Hrytskevich",
        "Hrytskevich",
        "Грицкевич",
        "Грицкевич",
    ],
    [
        "Шымановіч",
        "Шымановіч",
        "Shymanovich",
        "Shymanovich",
        "Шиманович",
        "Шиманович",
    ],
    [
        "Лапацёнак",
        "Лапацёнак",
        "Lapatsionak",
        "Lapatsionak",
        "Лопатёнок",
        "Лопатёнок",
    ],
    [
        "Сідарэнка",
        "Сідарэнка",
        "Sidarenka",
        "Sidarenka",
        "Сидоренко",
        "Сидоренко",
    ],
    ["Карповіч", "Карповіч", "Karpovich", "Karpovich", "Карпович", "Карпович"],
    ["Баранчык", "Баранчык", "Baranchyk", "Baranchyk", "Баранчик", "Баранчик"],
    [
        "Станкевіч",
        "Станкевіч",
        "Stankevich",
        "Stankevich",
        "Станкевич",
        "Станкевич",
    ],
    ["Марозаў", "Марозава", "Marozau", "Marozava", "Морозов", "Морозова"],
    ["Кавалёў", "Кавалёва", "Kavaliou", "Kavaliova", "Ковалёв", "Ковалёва"],
    ["Сямёнаў", "Сямёнава", "Siamionau", "Siamionava", "Семёнов", "Семёнова"],
    ["Паўлаў", "Паўлава", "Paulau", "Paulava", "Павлов", "Павлова"],
    [
        "Вішнеўскі",
        "Вішнеўская",
        "Vishneuski",
        "Vishneuskaya",
        "Вишневский",
        "Вишневская",
    ],
    [
        "Лазоўскі",
        "Лазоўская",
        "Lazouski",
        "Lazouskaya",
        "Лазовский",
        "Лазовская",
    ],
    [
        "Садоўскі",
        "Садоўская",
        "Sadouski",
        "Sadouskaya",
        "Садовский",
        "Садовская",
    ],
    [
        "Крукоўскі",
        "Крукоўская",
        "Krukouski",
        "Krukouskaya",
        "Круковский",
        "Круковская",
    ],
    [
        "Лебедзеў",
        "Лебедзева",
        "Liebiedzeu",
        "Liebiedzeva",
        "Лебедев",
        "Лебедева",
    ],
    ["Цвірко", "Цвірко", "Tsvirko", "Tsvirko", "Цвирко", "Цвирко"],
    ["Дубовік", "Дубовік", "Dubovik", "Dubovik", "Дубовик", "Дубовик"],
    [
        "Ярашэвіч",
        "Ярашэвіч",
        "Yarashevich",
        "Yarashevich",
        "Ярошевич",
        "Ярошевич",
    ],
];

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

/// Everything the demo registry holds, by person index.
struct Plan {
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
    rng: StdRng,
    plan: Plan,
    people: Vec<Person>,
    /// Group detentions of August 2020 by (day, region): the event others may join.
    groups: Vec<(Day, &'static str, usize)>,
}

impl Planner {
    fn person(&mut self, female: bool, region: &'static str, level: Confidentiality, role_note: &str) -> usize {
        let rng = &mut self.rng;
        let given = if female {
            *FEMALE_NAMES.choose(rng).unwrap_or(&FEMALE_NAMES[0])
        } else {
            *MALE_NAMES.choose(rng).unwrap_or(&MALE_NAMES[0])
        };
        let family = FAMILY_NAMES.choose(rng).unwrap_or(&FAMILY_NAMES[0]);
        let g = usize::from(female);
        let patronymic = PATRONYMICS.choose(rng).unwrap_or(&PATRONYMICS[0]);
        let mut variants = Vec::new();
        if rng.gen_bool(0.45) {
            variants.push(format!("{} {}", given.1, family[2 + g]));
        }
        if rng.gen_bool(0.2) {
            variants.push(format!("{} {}", given.2, family[4 + g]));
        }
        let birth_year: u16 = rng.gen_range(1958..=2004);
        let birth_date = match rng.gen_range(0..10) {
            0..=5 => birth_year.to_string(),
            6..=8 => between(rng, day(birth_year, 1, 1), day(birth_year, 12, 31)).to_string(),
            _ => String::new(),
        };
        let consent = level == Confidentiality::Public && rng.gen_bool(0.5);
        self.plan.persons.push(PersonInput {
            identity: Identity {
                given_name: given.0.to_owned(),
                family_name: family[g].to_owned(),
                patronymic: if female { patronymic.1 } else { patronymic.0 }.to_owned(),
                variants,
                birth_date,
                contacts: String::new(),
                notes: format!("{NOTE}{role_note}"),
            },
            region: Some(region.to_owned()),
            confidentiality: level,
            consent_to_publish: consent,
        });
        self.people.push(Person { region, level });
        self.plan.persons.len() - 1
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

    fn protester(&mut self, index: usize, lawyers: &[usize], officials: &[usize]) {
        let region = weighted(&mut self.rng, &REGIONS, |r| r.1).0;
        let level = self.level();
        let female = self.rng.gen_bool(0.35);
        let p = self.person(female, region, level, "");
        let first = self.first_detention();
        self.detention_and_arrest(p, first, 0.75);
        let repeats = *[0, 1, 1, 2, 2, 2, 3, 3, 4, 5].choose(&mut self.rng).unwrap_or(&1);
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
        if index < CRIMINAL {
            self.criminal(p, index < RECOGNISED, first, lawyers, officials);
        } else if self.rng.gen_bool(0.1) {
            let on = between(&mut self.rng, plus(last, 30), plus(last, 400)).min(last_day());
            self.people[p].region = "abroad";
            self.event(EventKind::ForcedDeparture, p, on, |_| {});
        }
    }

    /// A criminal case: detention, search, case, trial, sentence; held until the end of the
    /// term, a pardon, or still.
    fn criminal(&mut self, p: usize, recognised: bool, first: Day, lawyers: &[usize], officials: &[usize]) {
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

fn plan() -> Plan {
    let mut planner = Planner {
        rng: StdRng::seed_from_u64(SEED),
        plan: Plan {
            persons: Vec::new(),
            events: Vec::new(),
            recognitions: Vec::new(),
            statuses: Vec::new(),
        },
        people: Vec::new(),
        groups: Vec::new(),
    };
    let mut lawyers = Vec::new();
    for _ in 0..LAWYERS {
        let female = planner.rng.gen_bool(0.6);
        let p = planner.person(female, "minsk-city", Confidentiality::Internal, "; lawyer");
        lawyers.push(p);
    }
    let mut officials = Vec::new();
    for _ in 0..OFFICIALS {
        let region = weighted(&mut planner.rng, &REGIONS, |r| r.1).0;
        let p = planner.person(false, region, Confidentiality::Restricted, "; official");
        officials.push(p);
    }
    // Some lawyers lost their licence.
    for l in lawyers.iter().take(3) {
        let on = between(&mut planner.rng, day(2021, 3, 1), day(2023, 12, 31));
        planner.event(EventKind::Dismissal, *l, on, |e| {
            e.details.description = "Пазбаўлены адвакацкай ліцэнзіі.".into();
        });
    }
    for index in 0..PROTESTERS {
        planner.protester(index, &lawyers, &officials);
    }
    let mut plan = planner.plan;
    plan.events.sort_by_key(|e| e.input.date.map(|d| d.first));
    plan
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCounts {
    pub persons: usize,
    pub events: usize,
    pub recognised: usize,
}

impl App {
    /// Writes the demo registry: the persons in one batch, then everything else in another.
    pub(crate) async fn write_demo_registry(&self) -> Result<DemoCounts, AppError> {
        let plan = plan();
        let actor = Actor::Cli;
        let who = actor.audit_name();
        let mut changes = Vec::with_capacity(plan.persons.len());
        for p in &plan.persons {
            changes.push(Change {
                op: RegistryOp::CreatePerson(self.person_write(p)?),
                actor: who.clone(),
                audit: Some("person.create"),
                snapshot_sealed: Some(self.person_snapshot(p)?),
            });
        }
        let ids = self.apply_changes(&changes).await?;
        if ids.len() != plan.persons.len() {
            return Err(AppError::Vault("the demo persons were not all created".into()));
        }
        let mut changes = Vec::with_capacity(plan.events.len() + 2 * plan.recognitions.len());
        let mut sources = Vec::new();
        for (index, planned) in plan.events.into_iter().enumerate() {
            if let Some(source) = demo_source(index, planned.input.kind, planned.input.confidentiality) {
                sources.push((index, source));
            }
            let mut input = planned.input;
            input.persons = planned.people.iter().map(|(p, role)| (ids[*p], *role)).collect();
            let persons = planned
                .people
                .iter()
                .map(|(p, role)| (Target::Existing(ids[*p]), role.as_str()))
                .collect();
            changes.push(Change {
                op: RegistryOp::CreateEvent(self.event_write(&input, persons)?),
                actor: who.clone(),
                audit: Some("event.create"),
                snapshot_sealed: Some(self.event_snapshot(&input)?),
            });
        }
        let events = changes.len();
        for (event, source) in &sources {
            changes.push(Change {
                op: self.source_op(Target::New(*event), source)?,
                actor: who.clone(),
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
                    who.clone(),
                )?,
                actor: who.clone(),
                audit: Some("person.recognise"),
                snapshot_sealed: None,
            });
        }
        for (p, status, on) in &plan.statuses {
            changes.push(Change {
                op: RegistryOp::AddStatus {
                    person: Target::Existing(ids[*p]),
                    status: status.as_str(),
                    on_date: on.to_string(),
                },
                actor: who.clone(),
                audit: Some("person.status"),
                snapshot_sealed: None,
            });
        }
        self.apply_changes(&changes).await?;
        Ok(DemoCounts {
            persons: ids.len(),
            events,
            recognised: plan.recognitions.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_the_same_every_time_and_has_the_intended_shape() {
        let (a, b) = (plan(), plan());
        assert_eq!(a.persons.len(), b.persons.len());
        assert_eq!(a.events.len(), b.events.len());
        assert_eq!(
            a.persons.iter().map(|p| p.identity.full_name()).collect::<Vec<_>>(),
            b.persons.iter().map(|p| p.identity.full_name()).collect::<Vec<_>>()
        );
        assert_eq!(a.persons.len(), PROTESTERS + LAWYERS + OFFICIALS);
        assert!(a.events.len() >= 2000, "{} events", a.events.len());
        assert_eq!(a.recognitions.len(), RECOGNISED);
        assert!(a.persons.iter().all(|p| p.identity.notes.starts_with(NOTE)));
        let in_2020 =
            |e: &&Planned| e.input.kind == EventKind::Detention && e.input.date.is_some_and(|d| d.first.year() == 2020);
        let detentions = a.events.iter().filter(|e| e.input.kind == EventKind::Detention).count();
        assert!(
            a.events.iter().filter(in_2020).count() * 2 > detentions,
            "the 2020 peak"
        );
        for e in &a.events {
            let d = e.input.date.unwrap();
            assert!(d.first >= day(2020, 1, 1) && d.last <= day(2026, 12, 31), "{d}");
        }
    }
}

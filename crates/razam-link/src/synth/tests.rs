use std::collections::{HashMap, HashSet};

use super::*;

#[test]
fn the_same_seed_gives_the_same_records() {
    let a = records(7, 5_000);
    assert_eq!(a, records(7, 5_000));
    assert_ne!(a, records(8, 5_000));
}

#[test]
fn ids_are_unique_and_every_person_has_one_to_five_records() {
    let records = records(1, 20_000);
    assert_eq!(records.len(), 20_000);
    let ids: HashSet<&str> = records.iter().map(|r| r.unique_id.as_str()).collect();
    assert_eq!(ids.len(), records.len());
    let mut sizes: HashMap<u64, usize> = HashMap::new();
    for r in &records {
        *sizes.entry(r.cluster).or_default() += 1;
        assert!(!r.given_name.is_empty() && !r.family_name.is_empty(), "{r:?}");
    }
    assert!(sizes.values().all(|&n| (1..=5).contains(&n)));
    // 2.25 records per person on average.
    let per_person = records.len() as f64 / sizes.len() as f64;
    assert!((2.1..2.4).contains(&per_person), "{per_person}");
    // Records of one person are not next to each other.
    let adjacent = records.windows(2).filter(|w| w[0].cluster == w[1].cluster).count();
    assert!(adjacent < 50, "{adjacent} neighbours share a cluster");
}

#[test]
fn surnames_take_the_feminine_form_for_women() {
    use Language::{Belarusian as BE, Russian as RU};
    let cases = [
        ("Кавалёў", Gendered::Possessive, BE, "Кавалёва"),
        ("Калеснікаў", Gendered::Possessive, BE, "Калеснікава"),
        ("Колесников", Gendered::Possessive, RU, "Колесникова"),
        ("Калінін", Gendered::Possessive, BE, "Калініна"),
        ("Каліноўскі", Gendered::Adjectival, BE, "Каліноўская"),
        ("Беляцкий", Gendered::Adjectival, RU, "Беляцкая"),
        ("Лукашэнка", Gendered::Invariant, BE, "Лукашэнка"),
        ("Статкевич", Gendered::Invariant, RU, "Статкевич"),
    ];
    for (masculine, gendered, language, expected) in cases {
        assert_eq!(feminine(masculine, gendered, language), expected);
    }
}

#[test]
fn roots_and_suffixes_join_with_the_spelling_rules() {
    use Language::{Belarusian as BE, Russian as RU};
    assert_eq!(join("Шаўч", "енка", BE), "Шаўчэнка");
    assert_eq!(join("Шевч", "енко", RU), "Шевченко");
    assert_eq!(join("Бандар", "ік", BE), "Бандарык");
    assert_eq!(join("Ткач", "ёнак", BE), "Ткачонак");
    assert_eq!(join("Юрч", "чык", BE), "Юрчык");
    assert_eq!(join("Калін", "оўскі", BE), "Каліноўскі");
}

#[test]
fn patronymics_follow_the_father_and_the_gender() {
    let mut generator = Generator::new(3);
    let mut seen = 0;
    for _ in 0..2_000 {
        let person = generator.person();
        if person.father != 0 {
            continue;
        }
        seen += 1;
        let (be, ru) = (person.names(Language::Belarusian), person.names(Language::Russian));
        if person.female {
            assert_eq!(
                (be.patronymic.as_str(), ru.patronymic.as_str()),
                ("Аляксандраўна", "Александровна")
            );
        } else {
            assert_eq!(
                (be.patronymic.as_str(), ru.patronymic.as_str()),
                ("Аляксандравіч", "Александрович")
            );
        }
    }
    assert!(seen > 50, "{seen}");
}

#[test]
fn namesakes_differ_only_in_birth_date_or_patronymic() {
    let mut generator = Generator::new(5);
    let persons: Vec<Person> = (0..20_000).map(|_| generator.person()).collect();
    let mut by_name: HashMap<(bool, usize, Surname), Vec<&Person>> = HashMap::new();
    for p in &persons {
        by_name.entry((p.female, p.given, p.surname)).or_default().push(p);
    }
    let sharing = by_name.values().filter(|v| v.len() > 1).map(Vec::len).sum::<usize>();
    // Zipf names and the copied namesakes: most persons share their full name with another.
    assert!(
        sharing > persons.len() / 2,
        "{sharing} of {} share a full name",
        persons.len()
    );
    // The copies: same name, gender and place, and exactly one of birth date and father
    // differs. Nobody is an exact twin of another.
    let (mut copies, mut exact_twins) = (0, 0);
    for group in by_name.values() {
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                let same_birth = a.birth == b.birth;
                let same_father = a.father == b.father;
                if a.place == b.place && same_birth != same_father {
                    copies += 1;
                }
                if a.place == b.place && same_birth && same_father {
                    exact_twins += 1;
                }
            }
        }
    }
    let expected = (NAMESAKE * persons.len() as f64) as usize;
    assert!(
        copies >= expected * 9 / 10,
        "{copies} namesake pairs, expected about {expected}"
    );
    assert!(
        exact_twins < persons.len() / 1000,
        "{exact_twins} persons indistinguishable"
    );
}

/// The variant rates of the module documentation, measured on 100,000 records.
#[test]
fn variants_come_at_their_documented_rates() {
    let records = records(11, 100_000);
    let n = records.len() as f64;
    let share = |f: &dyn Fn(&Record) -> bool| records.iter().filter(|r| f(r)).count() as f64 / n;
    let near = |what: &str, got: f64, want: f64| {
        assert!((got - want).abs() < 0.01, "{what}: {got:.4}, documented {want}");
    };
    near(
        "Belarusian Cyrillic",
        share(&|r| r.writing == Writing::Cyrillic(Language::Belarusian)),
        0.30,
    );
    near("Latin", share(&|r| matches!(r.writing, Writing::Latin(_))), 0.40);
    near("no birth date", share(&|r| r.birth_date.is_empty()), NO_BIRTH_DATE);
    near("year only", share(&|r| r.birth_date.len() == 4), DATE_YEAR_ONLY);
    near("no place", share(&|r| r.birth_place.is_empty()), NO_PLACE);
    let cyrillic = records.iter().filter(|r| matches!(r.writing, Writing::Cyrillic(_)));
    let (count, empty) = cyrillic.fold((0, 0), |(c, e), r| (c + 1, e + usize::from(r.patronymic.is_empty())));
    near(
        "no patronymic, Cyrillic",
        empty as f64 / f64::from(count),
        NO_PATRONYMIC_CYRILLIC,
    );
    for r in records.iter().take(1_000) {
        if let Writing::Latin(_) = r.writing {
            let all = [&r.given_name, &r.family_name, &r.patronymic, &r.birth_place];
            assert!(
                all.iter()
                    .all(|s| !s.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'))),
                "{r:?}"
            );
        }
    }
}

//! Real names in every system: all spellings of one name give one key, near-misses differ.

use super::name_key;

/// Every spelling in `spellings` has the same key as the first.
#[track_caller]
fn same(spellings: &[&str]) {
    let first = name_key(spellings[0]);
    assert!(!first.is_empty(), "empty key for {:?}", spellings[0]);
    for s in &spellings[1..] {
        assert_eq!(name_key(s), first, "{s:?} should meet {:?}", spellings[0]);
    }
}

/// `a` and `b` have different keys.
#[track_caller]
fn differ(a: &str, b: &str) {
    assert_ne!(name_key(a), name_key(b), "{a:?} and {b:?} must stay apart");
}

#[test]
fn tsikhanouskaya() {
    same(&[
        "Ціханоўская",
        "Тихановская",
        "Tsikhanouskaya",
        "Tsikhanouskaia", // ICAO
        "Cichanoŭskaja",  // BY-2007, Łacinka
        "Cichanouskaja",  // BY-2007 without diacritics
        "Cichanouska",    // Polish press
        "Tsikhanowskaya", // BGN/PCGN Belarusian (ў → w)
        "Tikhanovskaya",  // BGN/PCGN Russian
        "Tichanowskaja",  // Duden
        "Tichanovskaja",  // ISO 9 (х → h is the exception; this is the common ch form)
    ]);
}

#[test]
fn kalinouski() {
    same(&[
        "Каліноўскі",
        "Калиновский",
        "Kalinoŭski",
        "Kalinouski",
        "Kalinowski",
        "Kalinovskiy",
        "Kalinovsky",
        "Kalinovskij",
        "Kalinovskii",
    ]);
}

#[test]
fn aliaksandr() {
    same(&[
        "Аляксандр",
        "Александр",
        "Олександр",
        "Aliaksandr",
        "Aliaksandar",
        "Aleksandr",
        "Alexander",
        "Aleksander",
        "Alaksandar",
        "Oleksandr",
        "ALIAKSANDR",
    ]);
}

#[test]
fn kalesnikava() {
    same(&[
        "Калеснікава",
        "Колесникова",
        "Kalesnikava",
        "Kolesnikova",
        "Kalieśnikava",
    ]);
    same(&[
        "Maria Kalesnikava",
        "Мария Колесникова",
        "Maryja Kalesnikava",
        "Mariya Kolesnikova",
    ]);
}

#[test]
fn babaryka() {
    same(&["Бабарыка", "Бабарико", "Babaryka", "Babariko", "Babarika"]);
}

#[test]
fn bialiatski() {
    same(&[
        "Бяляцкі",
        "Беляцкий",
        "Bialiatski",
        "Bialacki",
        "Bialiacki",
        "Byalyatski",
        "Belyatsky",
        "Belyatskiy",
        "Bieliacki",
    ]);
    same(&["Алесь Бяляцкі", "Ales Bialiatski", "Aleś Bialacki"]);
}

#[test]
fn lukashenka() {
    same(&[
        "Лукашэнка",
        "Лукашенко",
        "Lukashenka",
        "Lukashenko",
        "Łukašenka",
        "Łukaszenka",
        "Lukaschenko",
        "Lukašenka",
    ]);
}

#[test]
fn losik() {
    same(&["Лосік", "Лосик", "Losik", "Łosik"]);
    same(&["Ігар Лосік", "Игорь Лосик", "Ihar Losik", "Igor Losik", "Ihar Łosik"]);
}

#[test]
fn tsapkala() {
    same(&["Цапкала", "Цепкала", "Цепкало", "Tsapkala", "Tsepkalo", "Capkała"]);
}

#[test]
fn znak() {
    same(&["Знак", "Znak", "ZNAK", "Snak"]);
}

#[test]
fn s_for_z_and_sch_for_s_ch() {
    // German writes з as s; the key reads з as с (so Зенько and Сенько share a key: the cost).
    same(&["Кузьменко", "Кузьменка", "Kuzmenko", "Kusmenko", "Kuźmienka"]);
    same(&["Казлоў", "Козлов", "Kazlou", "Koslow", "Kozlov"]);
    // Latin sch is ш in German and с + ч in English-based systems: Cyrillic сч is ш too.
    same(&["Лысчык", "Lyschyk", "Łysczyk"]);
    same(&["Protaschik", "Протасчик"]);
    same(&["Lukaschenko", "Лукашенко"]);
}

#[test]
fn statkevich() {
    same(&[
        "Статкевіч",
        "Статкевич",
        "Statkevich",
        "Statkievič",
        "Statkievich",
        "Statkiewicz",
        "Statkewitsch",
    ]);
}

#[test]
fn pratasevich() {
    same(&[
        "Пратасевіч",
        "Протасевич",
        "Pratasevich",
        "Protasevich",
        "Pratasievič",
        "Protasiewicz",
    ]);
}

#[test]
fn given_names_spelled_many_ways() {
    same(&[
        "Дзмітрый",
        "Дмитрий",
        "Dzmitry",
        "Dzmitryi",
        "Dmitry",
        "Dmitriy",
        "Dmitrij",
        "Dmitri",
    ]);
    same(&["Сяргей", "Сергей", "Siarhei", "Siarhiej", "Sergei", "Sergey", "Sergej"]);
    same(&["Тацяна", "Татьяна", "Tatsiana", "Tatiana", "Tatyana", "Tacciana"]);
    same(&["Святлана", "Светлана", "Sviatlana", "Svetlana", "Swiatłana"]);
    same(&["Аляксей", "Алексей", "Aliaksei", "Aleksei", "Alexey", "Aleksiej"]);
    same(&["Наталля", "Наталья", "Natallia", "Natalia", "Natalya", "Natal'ya"]);
    same(&["Алена", "Елена", "Alena", "Elena", "Yelena", "Jelena"]);
    same(&["Ігар", "Игорь", "Ihar", "Igor"]);
    same(&["Віктар", "Виктор", "Viktar", "Viktor", "Wiktor"]);
    same(&["Юрый", "Юрий", "Yury", "Yuri", "Yuriy", "Jurij", "Iurii"]);
    same(&["Арцём", "Артём", "Artsiom", "Artiom", "Artyom", "Artem"]);
    same(&["Дзяніс", "Денис", "Dzianis", "Denis"]);
    same(&["Пётр", "Петр", "Piotr", "Pyotr", "Petr", "Peter"]);
    same(&["Алег", "Олег", "Aleh", "Oleg", "Oleh"]);
    same(&["Ганна", "Hanna", "Hana"]);
    same(&[
        "Кавалёў",
        "Ковалёв",
        "Kavaliou",
        "Kavalyou",
        "Kovalev",
        "Kovalyov",
        "Kowalow",
    ]);
    same(&["Жанна", "Žanna", "Zhanna", "Żanna", "Schanna"]);
}

#[test]
fn near_misses_stay_apart() {
    let pairs = [
        ("Иванов", "Иванова"),
        ("Ivanov", "Ivanova"),
        ("Петров", "Петраш"),
        ("Petrov", "Petrenko"),
        ("Kavalenka", "Kavaliou"),
        ("Maria", "Marina"),
        ("Мария", "Марина"),
        ("Yana", "Anna"),
        ("Яна", "Ганна"),
        ("Jan", "Ivan"),
        ("Ales", "Aliaksandr"),
        ("Kalinouski", "Kalinouskaya"),
        ("Losik", "Lasko"),
        ("Znak", "Zenko"),
        ("Babaryka", "Babrova"),
        ("Shushkevich", "Statkevich"),
        ("Цапкала", "Цыганкоў"),
        ("Ihar Losik", "Losik Ihar"),
        ("Сяргей", "Сергеевич"),
        ("Tsikhanouski", "Tsikhanouskaya"),
        ("Цапкала", "Сапкала"),
        ("Лысчык", "Лысык"),
    ];
    for (a, b) in pairs {
        differ(a, b);
    }
}

#[test]
fn keys_read_as_their_own_input() {
    for s in [
        "Ціханоўская",
        "Alexander",
        "Statkiewicz",
        "Щукин",
        "Tsiatsiana Dzmitrieŭna",
    ] {
        let key = name_key(s);
        assert_eq!(name_key(&key), key, "key of {s:?}");
    }
}

#[test]
fn words_without_latin_or_cyrillic_vanish() {
    assert_eq!(name_key(""), "");
    assert_eq!(name_key("123 ---"), "");
    assert_eq!(name_key("Ζεύς Losik"), name_key("Losik"));
}

/// One row per name, one spelling per system of /work/shared/data/ROMANISATION.md: Cyrillic
/// (Belarusian, Russian), ICAO, BY-2007, BY-2023, BGN/PCGN Belarusian and Russian, ISO 9,
/// Łacinka, Polish, German.
#[test]
fn every_system_meets_the_cyrillic() {
    let rows: &[&[(&str, &str)]] = &[
        &[
            ("be", "Жураўлёў"),
            ("ru", "Журавлёв"),
            ("ICAO", "Zhurauliou"),
            ("BY-2007", "Žuraŭlioŭ"),
            ("BY-2023", "Zhurawliow"),
            ("BGN-BE", "Zhurawlyow"),
            ("BGN-RU", "Zhuravlyov"),
            ("ISO 9", "Žuravlëv"),
            ("Łacinka", "Žuraŭloŭ"),
            ("PL", "Żurawlow"),
            ("DE", "Schurawljow"),
        ],
        &[
            ("be", "Шчарбакоў"),
            ("ru", "Щербаков"),
            ("ICAO be", "Shcharbakou"),
            ("ICAO ru", "Shcherbakov"),
            ("BY-2007", "Ščarbakoŭ"),
            ("BY-2023", "Shcharbakow"),
            ("BGN-RU", "Shcherbakov"),
            ("ISO 9", "Ŝerbakov"),
            ("PL", "Szczerbakow"),
            ("DE", "Schtscherbakow"),
        ],
        &[
            ("be", "Галіна"),
            ("ru", "Галина"),
            ("ICAO be passport", "Halina"),
            ("BY-2023", "Galina"),
            ("BGN-BE", "Halina"),
            ("ISO 9", "Galina"),
            ("PL", "Halina"),
        ],
        &[
            ("be", "Лукашэнка"),
            ("ru", "Лукашенко"),
            ("ICAO", "Lukashenka"),
            ("BY-2007", "Lukašenka"),
            ("BGN-RU", "Lukashenko"),
            ("ISO 9", "Lukašenko"),
            ("Łacinka", "Łukašenka"),
            ("PL", "Łukaszenka"),
            ("DE", "Lukaschenko"),
        ],
        &[
            ("be", "Ціханоўская"),
            ("ICAO", "Tsikhanouskaia"),
            ("BY-2007", "Cichanoŭskaja"),
            ("BY-2023", "Cichanowskaja"),
            ("BGN-BE", "Tsikhanowskaya"),
            ("BGN-RU", "Tikhanovskaya"),
            ("Łacinka", "Cichanoŭskaja"),
            ("PL", "Cichanouska"),
            ("DE", "Tichanowskaja"),
        ],
        &[
            ("be", "Юрый Яўгенавіч"),
            ("ICAO", "Iuryi Iauhenavich"),
            ("BY-2007", "Jurij Jaŭhienavič"),
            ("BGN-BE", "Yuryy Yawhyenavich"),
        ],
        // Яўген and Евгений are one given name in two languages, not one spelling: the keys
        // differ and given_name_group joins them.
        &[
            ("ru", "Юрий Евгеньевич"),
            ("ICAO", "Iurii Evgenevich"),
            ("BGN-RU", "Yuriy Yevgen'yevich"),
            ("ISO 9", "Ûrij Evgenʹevič"),
        ],
    ];
    for row in rows {
        let (_, first) = row[0];
        let expected = name_key(first);
        for (system, spelling) in &row[1..] {
            assert_eq!(
                name_key(spelling),
                expected,
                "{system} {spelling:?} should meet {first:?}"
            );
        }
    }
}

#[test]
fn feminine_endings_are_flagged_not_merged() {
    use super::masculine_surname_key;
    let couples = [
        ("Иванова", "Иванов"),
        ("Kalesnikava", "Калеснікаў"),
        ("Колесникова", "Kalesnikau"),
        ("Tsikhanouskaya", "Ціханоўскі"),
        ("Cichanouska", "Tikhanovsky"),
        ("Bialiatskaya", "Бяляцкі"),
        ("Пушкина", "Pushkin"),
    ];
    for (feminine, masculine) in couples {
        differ(feminine, masculine);
        assert_eq!(
            masculine_surname_key(feminine),
            masculine_surname_key(masculine),
            "{feminine:?} / {masculine:?}"
        );
    }
    // Names that merely end like a feminine surname keep their key.
    for name in ["Babaryka", "Лукашэнка", "Znak", "Ава", "Ina"] {
        assert_eq!(masculine_surname_key(name), name_key(name), "{name:?}");
    }
}

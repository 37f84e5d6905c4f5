//! Given-name equivalents across Belarusian, Russian, Ukrainian, Polish and English.
//!
//! A group is one name as it is called in each language, with its common short forms
//! (Алесь for Аляксандр, Зміцер for Дзмітрый, Янка for Іван, Кастусь for Канстанцін). The table
//! lists spellings; a lookup goes through [`name_key`], so any romanisation of a listed
//! spelling finds the group too.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::name_key;

/// Group id (the Russian form in ICAO romanisation), then its spellings in be, ru, uk, pl, en
/// and the common short forms. Keep each group's spellings distinct from every other group's
/// after keying: a unit test checks it.
pub(crate) const GROUPS: &[(&str, &[&str])] = &[
    (
        "aleksandr",
        &[
            "Аляксандр",
            "Александр",
            "Олександр",
            "Aleksander",
            "Alex",
            "Alec",
            "Sandy",
            "Alexander",
            "Алесь",
            "Ales",
            "Алесь",
            "Саша",
            "Sasha",
            "Sasza",
            "Шура",
        ],
    ),
    (
        "aleksei",
        &[
            "Аляксей",
            "Алексей",
            "Олексій",
            "Aleksy",
            "Alexis",
            "Алёша",
            "Алеша",
            "Alosza",
        ],
    ),
    (
        "anna",
        &[
            "Ганна",
            "Анна",
            "Anna",
            "Hanna",
            "Ганнa",
            "Ганка",
            "Аня",
            "Anya",
            "Ania",
            "Annie",
            "Ann",
        ],
    ),
    (
        "andrei",
        &[
            "Андрэй",
            "Андрей",
            "Андрій",
            "Andrzej",
            "Andrew",
            "Andy",
            "Andrii",
            "Андрусь",
        ],
    ),
    ("artem", &["Арцём", "Артём", "Артем", "Артем", "Artemiy"]),
    ("denis", &["Дзяніс", "Денис", "Denys", "Dionizy", "Dennis"]),
    (
        "dmitri",
        &[
            "Дзмітрый",
            "Дмитрий",
            "Дмитро",
            "Зміцер",
            "Zmitser",
            "Zmicier",
            "Dymitr",
            "Дзіма",
            "Дима",
            "Dima",
            "Mitya",
            "Міця",
        ],
    ),
    (
        "ekaterina",
        &[
            "Кацярына",
            "Екатерина",
            "Катерина",
            "Katarzyna",
            "Catherine",
            "Kathy",
            "Katie",
            "Kitty",
            "Katherine",
            "Kate",
            "Каця",
            "Катя",
            "Kasia",
        ],
    ),
    (
        "elena",
        &[
            "Алена",
            "Елена",
            "Олена",
            "Helena",
            "Helen",
            "Nell",
            "Nellie",
            "Лена",
            "Lena",
        ],
    ),
    (
        "evgeni",
        &[
            "Яўген",
            "Евгений",
            "Євген",
            "Jauhien",
            "Eugeniusz",
            "Eugene",
            "Жэня",
            "Женя",
        ],
    ),
    (
        "grigori",
        &[
            "Рыгор",
            "Григорий",
            "Григорій",
            "Hryhoriy",
            "Grzegorz",
            "Gregory",
            "Greg",
            "Рыгорый",
        ],
    ),
    ("igor", &["Ігар", "Игорь", "Ігор", "Ihor"]),
    ("irina", &["Ірына", "Ирина", "Ірина", "Irena", "Irene"]),
    (
        "ivan",
        &[
            "Іван", "Иван", "Янка", "Ян", "Jan", "John", "Johnny", "Jack", "Jock", "Janka", "Iwan", "Ваня", "Vania",
        ],
    ),
    (
        "konstantin",
        &[
            "Канстанцін",
            "Константин",
            "Костянтин",
            "Кастусь",
            "Kastus",
            "Konstanty",
            "Constantine",
            "Костя",
            "Kostia",
        ],
    ),
    ("lyudmila", &["Людміла", "Людмила", "Ludmiła", "Люда", "Liuda"]),
    (
        "maksim",
        &["Максім", "Максим", "Максим", "Maksym", "Maxim", "Maksymilian", "Max"],
    ),
    (
        "maria",
        &[
            "Марыя",
            "Мария",
            "Марія",
            "Maria",
            "Mary",
            "Molly",
            "Polly",
            "Mamie",
            "Marie",
            "Маша",
            "Masha",
            "Marysia",
        ],
    ),
    ("marina", &["Марына", "Марина", "Maryna", "Marina"]),
    (
        "mikhail",
        &[
            "Міхаіл",
            "Михаил",
            "Михайло",
            "Michał",
            "Michael",
            "Mike",
            "Mick",
            "Mickey",
            "Міхась",
            "Mikhas",
            "Миша",
            "Misha",
        ],
    ),
    (
        "natalia",
        &["Наталля", "Наталья", "Наталія", "Natalie", "Наташа", "Natasha"],
    ),
    (
        "nikolai",
        &[
            "Мікалай",
            "Николай",
            "Микола",
            "Mikołaj",
            "Nicholas",
            "Nick",
            "Nicky",
            "Мікола",
            "Коля",
            "Kolya",
        ],
    ),
    ("oleg", &["Алег", "Олег", "Олег", "Aleh"]),
    (
        "olga",
        &[
            "Вольга",
            "Ольга",
            "Ольга",
            "Volha",
            "Olga",
            "Olha",
            "Wolha",
            "Оля",
            "Olia",
        ],
    ),
    (
        "pavel",
        &[
            "Павел",
            "Павел",
            "Павло",
            "Paweł",
            "Paul",
            "Paulie",
            "Паўлюк",
            "Паша",
            "Pasha",
        ],
    ),
    (
        "petr",
        &["Пётр", "Петр", "Петро", "Piotr", "Peter", "Pete", "Пятрусь", "Petrus"],
    ),
    ("roman", &["Раман", "Роман", "Роман", "Roman"]),
    (
        "sergei",
        &[
            "Сяргей",
            "Сергей",
            "Сергій",
            "Siarhei",
            "Sergiusz",
            "Serhii",
            "Serge",
            "Сярожа",
            "Серёжа",
        ],
    ),
    (
        "svetlana",
        &["Святлана", "Светлана", "Світлана", "Swietłana", "Света", "Sveta"],
    ),
    (
        "tatiana",
        &["Тацяна", "Татьяна", "Тетяна", "Tatiana", "Tetiana", "Таня", "Tania"],
    ),
    (
        "vasili",
        &["Васіль", "Василий", "Василь", "Wasyl", "Basil", "Вася", "Vasia"],
    ),
    (
        "veronika",
        &["Вераніка", "Вероника", "Вероніка", "Weronika", "Veronica", "Nika"],
    ),
    (
        "viktor",
        &[
            "Віктар",
            "Виктор",
            "Віктор",
            "Wiktor",
            "Victor",
            "Віця",
            "Витя",
            "Vitia",
        ],
    ),
    (
        "vladimir",
        &[
            "Уладзімір",
            "Владимир",
            "Володимир",
            "Włodzimierz",
            "Uladzimir",
            "Vladimir",
            "Volodymyr",
            "Валодзя",
            "Володя",
            "Volodia",
            "Vova",
            "Вова",
        ],
    ),
    ("yulia", &["Юлія", "Юлия", "Julia", "Yuliia", "Julie", "Юля", "Yulya"]),
    (
        "yuri",
        &[
            "Юрый",
            "Юрий",
            "Юрій",
            "Jerzy",
            "George",
            "Georgie",
            "Geordie",
            "Георгій",
            "Георгий",
            "Jürgen",
            "Юрась",
            "Yuras",
            "Юра",
            "Yura",
        ],
    ),
    // English given names with their short forms (English-language sources write them), and
    // their Belarusian, Russian and Polish equivalents where they are in use.
    (
        "uilyam",
        &[
            "William",
            "Will",
            "Willie",
            "Willy",
            "Bill",
            "Billy",
            "Вільям",
            "Уильям",
            "Wilhelm",
        ],
    ),
    ("foma", &["Thomas", "Tom", "Tommy", "Tomasz", "Тамаш", "Фама", "Фома"]),
    ("genrikh", &["Henry", "Harry", "Henryk", "Генрых", "Генрих", "Heinrich"]),
    ("dzheims", &["James", "Jim", "Jimmy", "Jamie", "Jem"]),
    (
        "karl",
        &["Charles", "Charlie", "Chas", "Carl", "Karl", "Karol", "Карл", "Карал"],
    ),
    (
        "eduard",
        &["Edward", "Eddie", "Ted", "Teddy", "Ned", "Эдуард", "Эдвард", "Edmund"],
    ),
    ("robert", &["Robert", "Rob", "Robbie", "Bob", "Bobby", "Роберт"]),
    ("artur", &["Arthur", "Art", "Artie", "Артур", "Artur"]),
    ("alfred", &["Alfred", "Alf", "Alfie", "Альфрэд", "Альфред"]),
    (
        "fridrikh",
        &[
            "Frederick",
            "Frederic",
            "Fred",
            "Freddie",
            "Freddy",
            "Fritz",
            "Fryderyk",
        ],
    ),
    (
        "iosif",
        &["Joseph", "Joe", "Joey", "Józef", "Юзаф", "Язэп", "Иосиф", "Осип"],
    ),
    (
        "frants",
        &[
            "Francis",
            "Frank",
            "Frankie",
            "Franz",
            "Franciszek",
            "Францішак",
            "Франц",
        ],
    ),
    ("valter", &["Walter", "Wally", "Walt", "Вальтэр", "Вальтер"]),
    (
        "richard",
        &["Richard", "Rick", "Ricky", "Dick", "Ryszard", "Рычард", "Ричард"],
    ),
    ("samuil", &["Samuel", "Sam", "Sammy", "Самуіл", "Самуил"]),
    (
        "elizaveta",
        &[
            "Elizabeth",
            "Eliza",
            "Liz",
            "Lizzie",
            "Beth",
            "Betty",
            "Bess",
            "Bessie",
            "Elżbieta",
            "Елізавета",
            "Елизавета",
            "Лізавета",
        ],
    ),
    ("david", &["David", "Dave", "Davy", "Dawid", "Давід", "Давид", "Давыд"]),
    (
        "margarita",
        &[
            "Margaret",
            "Maggie",
            "Meg",
            "Peggy",
            "Małgorzata",
            "Маргарыта",
            "Маргарита",
        ],
    ),
    ("yakov", &["Jacob", "Jake", "Jakub", "Якаў", "Яков"]),
    ("ernest", &["Ernest", "Ernie", "Эрнэст", "Эрнест"]),
];

fn index() -> &'static HashMap<String, &'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for (group, spellings) in GROUPS {
            for spelling in *spellings {
                index.insert(name_key(spelling), *group);
            }
        }
        index
    })
}

/// The equivalence group of a given name, whatever the language or spelling: `Some("ivan")`
/// for Янка, Іван, Иван, Ivan, Jan and John. `None` for names outside the table (the group is
/// a hint for scoring, never a reason to treat two names as different).
///
/// ```
/// use razam_link::given_name_group;
/// assert_eq!(given_name_group("Zmitser"), given_name_group("Дмитрий"));
/// assert_eq!(given_name_group("Ales"), Some("aleksandr"));
/// assert_eq!(given_name_group("Qwerty"), None);
/// ```
pub fn given_name_group(name: &str) -> Option<&'static str> {
    let key = name_key(name);
    if key.is_empty() {
        return None;
    }
    index().get(&key).copied()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{GROUPS, given_name_group};
    use crate::name_key;

    #[test]
    fn no_spelling_belongs_to_two_groups() {
        let mut seen: HashMap<String, (&str, &str)> = HashMap::new();
        for (group, spellings) in GROUPS {
            for spelling in *spellings {
                let key = name_key(spelling);
                assert!(!key.is_empty(), "{spelling:?} has an empty key");
                assert!(!key.contains(' '), "{spelling:?} is more than one word");
                if let Some((other, other_spelling)) = seen.get(&key) {
                    assert_eq!(
                        other, group,
                        "{spelling:?} ({group}) and {other_spelling:?} ({other}) share key {key:?}"
                    );
                }
                seen.insert(key, (group, spelling));
            }
        }
    }

    #[track_caller]
    fn group(expected: &str, names: &[&str]) {
        for name in names {
            assert_eq!(given_name_group(name), Some(expected), "{name:?}");
        }
    }

    #[test]
    fn the_equivalents_of_issue_4() {
        group("anna", &["Ганна", "Анна", "Hanna", "Anna"]);
        group(
            "aleksandr",
            &[
                "Алесь",
                "Аляксандр",
                "Aliaksandr",
                "Alexander",
                "Aleksander",
                "Ales",
                "Aleś",
                "Sasha",
            ],
        );
        group(
            "dmitri",
            &[
                "Зміцер",
                "Дзмітрый",
                "Дмитрий",
                "Dzmitry",
                "Dmitry",
                "Zmitser",
                "Zmicier",
            ],
        );
        group("ivan", &["Янка", "Іван", "Иван", "Ivan", "Jan", "John", "Janka"]);
        group(
            "konstantin",
            &[
                "Кастусь",
                "Канстанцін",
                "Константин",
                "Konstantin",
                "Kanstantsin",
                "Kastuś",
            ],
        );
        group("olga", &["Вольга", "Ольга", "Volha", "Olga", "Wolha"]);
    }

    #[test]
    fn more_groups_in_many_spellings() {
        group("sergei", &["Сяргей", "Сергей", "Siarhei", "Sergei", "Sergey", "Serhiy"]);
        group(
            "nikolai",
            &[
                "Мікалай",
                "Николай",
                "Mikalai",
                "Nikolai",
                "Nikolay",
                "Mykola",
                "Mikołaj",
            ],
        );
        group(
            "vladimir",
            &["Уладзімір", "Владимир", "Uladzimir", "Vladimir", "Włodzimierz"],
        );
        group("andrei", &["Андрэй", "Андрей", "Andrei", "Andrey", "Andrzej", "Andrew"]);
        group("maria", &["Марыя", "Мария", "Maryia", "Maryja", "Maria", "Mariya"]);
        group("marina", &["Марына", "Марина", "Maryna", "Marina"]);
        group("elena", &["Алена", "Елена", "Alena", "Elena", "Yelena"]);
        group("tatiana", &["Тацяна", "Татьяна", "Tatsiana", "Tatyana"]);
        group("veronika", &["Вераніка", "Вероника", "Veranika", "Veronika"]);
        group("igor", &["Ігар", "Игорь", "Ihar", "Igor"]);
        group("pavel", &["Павел", "Pavel", "Paweł", "Paul"]);
        group("viktor", &["Віктар", "Виктор", "Viktar", "Viktor"]);
        group("yuri", &["Юрый", "Юрий", "Yury", "Yuri", "Jerzy"]);
        group("mikhail", &["Міхаіл", "Михаил", "Mikhail", "Michał"]);
        group("natalia", &["Наталля", "Наталья", "Natallia", "Natalya"]);
        group("svetlana", &["Святлана", "Светлана", "Sviatlana", "Svetlana"]);
        group(
            "ekaterina",
            &["Кацярына", "Екатерина", "Katsiaryna", "Ekaterina", "Yekaterina"],
        );
        group("lyudmila", &["Людміла", "Людмила", "Liudmila", "Lyudmila", "Ludmila"]);
        group("irina", &["Ірына", "Ирина", "Iryna", "Irina"]);
        group("yulia", &["Юлія", "Юлия", "Yulia", "Yuliya"]);
        group("maksim", &["Максім", "Максим", "Maksim", "Maxim"]);
        group("denis", &["Дзяніс", "Денис", "Dzianis", "Denis"]);
        group("artem", &["Арцём", "Артём", "Artsiom", "Artyom"]);
        group("evgeni", &["Яўген", "Евгений", "Yauhen", "Yevgeny", "Evgeny"]);
        group("oleg", &["Алег", "Олег", "Aleh", "Oleg"]);
        group("roman", &["Раман", "Роман", "Raman", "Roman"]);
        group("vasili", &["Васіль", "Василий", "Vasil", "Vasily"]);
        group("petr", &["Пётр", "Петр", "Piotr", "Pyotr", "Peter"]);
        group("grigori", &["Рыгор", "Григорий", "Ryhor", "Grigory"]);
    }

    #[test]
    fn names_outside_the_table() {
        assert_eq!(given_name_group("Лосік"), None);
        assert_eq!(given_name_group(""), None);
        assert_eq!(given_name_group("Yana"), None);
    }
}

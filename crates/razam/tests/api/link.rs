//! `razam link` on plain CSV files, with no instance: the clusters it writes, the columns it
//! recognises, two files linked, and the bad input it refuses (exit 2, nothing written).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Persons in Belarusian and Russian Cyrillic and in several romanisations; `cluster` is the
/// truth (the command must not compare it). Two namesakes (Іван Іваноў, E and F) differ by birth
/// date and patronymic.
const PEOPLE: &str = "\
id,given_name,family_name,patronymic,birth_date,birth_place,cluster
1,Аляксандр,Бяляцкі,Віктаравіч,1962-09-25,Вяртсіля,A
2,Aleksandr,Belyatskiy,Viktorovich,1962-09-25,Vyartsilya,A
3,Ales,Bialiatski,,25.09.1962,,A
4,Алесь,Бяляцкі,,1962,Vartsila,A
5,Святлана,Ціханоўская,Георгіеўна,1982-09-11,Мікашэвічы,B
6,Sviatlana,Tsikhanouskaya,,1982-09-11,Mikashevichy,B
7,Светлана,Тихановская,Георгиевна,11.09.1982,Микашевичи,B
8,Ігар,Лосік,Аляксандравіч,1992-09-08,Баранавічы,C
9,Ihar,Losik,,1992-09-08,Baranavichy,C
10,Игорь,Лосик,Александрович,08.09.1992,,C
11,Марыя,Калеснікава,Аляксандраўна,1982-04-24,Мінск,D
12,Maria,Kalesnikava,,1982-04-24,Minsk,D
13,Мария,Колесникова,Александровна,1982-04-24,Минск,D
14,Іван,Іваноў,Пятровіч,1970-01-15,Гомель,E
15,Ivan,Ivanov,Petrovich,1970-01-15,Gomel,E
16,Іван,Іваноў,Міхайлавіч,1985-07-23,Брэст,F
17,Ivan,Ivanou,Mikhailovich,1985-07-23,Brest,F
18,Зміцер,Дашкевіч,,1981-10-12,Мінск,G
19,Dzmitry,Dashkevich,Uladzimiravich,1981-10-12,Minsk,G
20,Дмитрий,Дашкевич,Владимирович,12.10.1981,Минск,G
21,Кастусь,Каліноўскі,Сямёнавіч,1838-02-02,Мастаўляны,H
22,Konstantin,Kalinovsky,,1838-02-02,Mostovlyany,H
23,Kastus,Kalinouski,,1838,,H
24,Вольга,Харлан,,1990-05-03,Гродна,I
25,Ганна,Сідарэнка,,1975-03-08,Магілёў,J
26,Hanna,Sidarenka,,1975-03-08,Mahiliou,J
27,Павел,Севярынец,Канстанцінавіч,1976-07-30,Орша,K
28,Pavel,Seviarynets,,1976-07-30,Orsha,K
29,Павел,Северинец,Константинович,30.07.1976,Орша,K
30,Мікалай,Статкевіч,Віктаравіч,1956-08-12,Ляхавічы,L
31,Mikalai,Statkevich,,1956-08-12,Liakhavichy,L
32,Николай,Статкевич,Викторович,1956-08-12,Ляховичи,L
";

fn link(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_razam"))
        .arg("link")
        .args(args)
        .env("RAZAM_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The output as id -> cluster id, checking the header and that each id comes once.
fn read_output(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,cluster_id"));
    let rows: Vec<(String, String)> = lines
        .map(|line| {
            let (id, cluster) = line.split_once(',').unwrap();
            (id.to_owned(), cluster.to_owned())
        })
        .collect();
    let mut ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "an id came twice");
    rows
}

/// The partition of ids given by labels, as sorted groups, for comparing two partitions.
fn groups<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Vec<String>> {
    let mut by_label: HashMap<&str, Vec<String>> = HashMap::new();
    for (id, label) in labels {
        by_label.entry(label).or_default().push(id.to_owned());
    }
    let mut groups: Vec<Vec<String>> = by_label.into_values().collect();
    for group in &mut groups {
        group.sort();
    }
    groups.sort();
    groups
}

fn truth_of(csv: &str) -> Vec<Vec<String>> {
    let rows: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[0].trim().to_owned(), cells[cells.len() - 1].trim().to_owned())
        })
        .collect();
    groups(rows.iter().map(|(id, c)| (id.as_str(), c.as_str())))
}

#[test]
fn one_file_is_deduplicated_across_scripts_and_the_namesakes_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "people.csv", PEOPLE);
    let output = dir.path().join("clusters.csv").to_str().unwrap().to_owned();
    let o = link(&["--input", &input, "--output", &output]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let rows = read_output(&output);
    assert_eq!(rows.len(), 32);
    assert_eq!(
        groups(rows.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
        truth_of(PEOPLE)
    );
    // The cluster id is the smallest id of the cluster (as text).
    let cluster_of: HashMap<&str, &str> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(cluster_of["7"], "5");
    assert_eq!(cluster_of["20"], "18");
    assert_ne!(cluster_of["14"], cluster_of["16"]);
    // It says what it used, and that the truth column was left out.
    for expected in [
        "given_name           -> given name",
        "birth_date           -> birth date",
        "cluster              -> not compared (a truth column)",
        "rows: 32",
        "pairs compared:",
        "EM:",
        "clusters: 12 for 32 records",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
    // A second run writes the same file (stable ids).
    let again = dir.path().join("again.csv").to_str().unwrap().to_owned();
    assert_eq!(link(&["--input", &input, "--output", &again]).status.code(), Some(0));
    assert_eq!(std::fs::read(&output).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn two_files_are_linked_only_across_and_other_column_names_are_recognised() {
    // FEBRL-like layout: ", " separators, YYYYMMDD dates, other columns compared as text.
    let left = "rec_id, first_name, surname, dob, city, postcode
a1, Ihar, Losik, 19920908, Baranavichy, 225409
a2, Maria, Kalesnikava, 19820424, Minsk, 220030
a3, Pavel, Seviarynets, 19760730, Orsha, 211030
a4, Mikalai, Statkevich, 19560812, Liakhavichy, 225370
a5, Ivan, Ivanov, 19700115, Gomel, 246000
a6, Ivan, Ivanov, 19700116, Gomel, 246000
";
    let right = "rec_id, first_name, surname, dob, city, postcode
b1, Игорь, Лосик, 08.09.1992, Барановичи, 225409
b2, Мария, Колесникова, 24.04.1982, Минск, 220030
b3, Павел, Северинец, 30.07.1976, Орша, 211030
b4, Олег, Петров, 01.01.1990, Брест, 224000
b5, Іван, Іваноў, 1970-01-15, Гомель, 246000
";
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", left);
    let b = write(dir.path(), "b.csv", right);
    let output = dir.path().join("links.csv").to_str().unwrap().to_owned();
    let o = link(&["--input", &a, "--input", &b, "--output", &output]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("only pairs across the two files are compared"),
        "{stderr}"
    );
    assert!(
        stderr.contains("postcode             -> other, compared as text"),
        "{stderr}"
    );
    let rows = read_output(&output);
    assert_eq!(rows.len(), 11);
    let found = groups(rows.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let expected: Vec<Vec<String>> = {
        let mut g: Vec<Vec<String>> = [
            vec!["a1", "b1"],
            vec!["a2", "b2"],
            vec!["a3", "b3"],
            vec!["a4"],
            vec!["a5", "b5"],
            vec!["a6"],
            vec!["b4"],
        ]
        .iter()
        .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
        .collect();
        g.sort();
        g
    };
    // a5 and a6 are in one file: both look like b5, but a cluster holds at most one record of
    // each file, and a5 agrees best.
    assert_eq!(found, expected);
}

#[test]
fn a_full_name_column_is_split_into_its_parts() {
    let text = "id,name,date_of_birth
1,Лосік Ігар Аляксандравіч,1992-09-08
2,Ihar Losik,08.09.1992
3,\"Losik, Ihar\",1992
4,Калеснікава Марыя Аляксандраўна,1982-04-24
5,Maria Kalesnikava,24.04.1982
6,Pavel Seviarynets,1976-07-30
";
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "names.csv", text);
    let output = dir.path().join("out.csv").to_str().unwrap().to_owned();
    let o = link(&["--input", &input, "--output", &output]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("name                 -> full name, split"), "{stderr}");
    let rows = read_output(&output);
    let cluster_of: HashMap<&str, &str> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(cluster_of["2"], "1");
    assert_eq!(cluster_of["3"], "1");
    assert_eq!(cluster_of["5"], "4");
    assert_eq!(cluster_of["6"], "6");
}

#[test]
fn bad_input_exits_2_naming_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.csv").to_str().unwrap().to_owned();
    let cases = [
        (
            "id,given_name,family_name\n1,Ihar,Losik\n2,Maria,Kalesnikava\n1,Ivan,Ivanov\n",
            "line 4: the id \"1\" is already on",
        ),
        (
            "id,given_name,family_name\n1,Ihar,Losik\n ,Maria,Kalesnikava\n",
            "line 3: the id is empty",
        ),
        ("given_name,family_name\nIhar,Losik\n", "no id column"),
        ("id,given_name\n1,Ihar,Losik\n", "line 2"),
    ];
    for (text, expected) in cases {
        let input = write(dir.path(), "bad.csv", text);
        let o = link(&["--input", &input, "--output", &output]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(!Path::new(&output).exists());
    }
    // An id repeated across the two files of a linkage.
    let a = write(dir.path(), "a.csv", "id,given_name,family_name\nx,Ihar,Losik\n");
    let b = write(dir.path(), "b.csv", "id,given_name,family_name\nx,Ігар,Лосік\n");
    let o = link(&["--input", &a, "--input", &b, "--output", &output]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 2: the id \"x\" is already on"));
    let o = link(&["--input", &a, "--output", &output, "--threshold", "1.5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!Path::new(&output).exists());
}

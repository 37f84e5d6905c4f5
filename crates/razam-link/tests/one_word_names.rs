//! A name written in one word may be the family name: historical records write `porter` for
//! Sir … Porter as often as `charles` for Charles Hammond. The engine compares a lone word with
//! the other record's family name and blocks it as a family name too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use razam_link::{Agreement, FieldKind, FieldSpec, Linker, Quiet, Record, Schema, Settings};

fn schema() -> Schema {
    let field = |name: &str, kind| FieldSpec {
        name: name.into(),
        kind,
    };
    Schema {
        fields: vec![
            field("first_name", FieldKind::GivenName),
            field("surname", FieldKind::FamilyName),
            field("dob", FieldKind::Date),
            field("birth_place", FieldKind::Place),
        ],
    }
}

fn record(id: &str, values: [&str; 4]) -> Record {
    Record {
        id: id.into(),
        source: 0,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

#[test]
fn a_lone_word_meets_the_family_name_not_the_given_name() {
    let mut records = vec![
        record("a", ["sir", "porter", "1858-01-01", "donegal"]),
        record("b", ["porter", "", "", "donegal"]),
        record("c", ["charles", "hammond", "1853-01-01", "swansea"]),
        record("d", ["charles", "", "", "swansea"]),
        record("e", ["mary", "porter", "1901-05-05", "donegal"]),
        record("f", ["chaderton", "", "", "moston"]),
        record("g", ["william", "chadertn", "1540-01-01", "moston"]),
        record("h", ["ward", "", "", "moston"]),
    ];
    // Some filler so that the estimates have pairs to work on.
    for i in 0..200 {
        let year = 1800 + i % 90;
        records.push(record(
            &format!("x{i}"),
            ["john", &format!("smith{}", i / 2), &format!("{year}-01-01"), "leeds"],
        ));
    }
    let (linker, _) = Linker::fit(schema(), Settings::default(), records, &Quiet).expect("fit");
    let levels = |a: usize, b: usize| -> Vec<Agreement> {
        linker
            .explain(a, b)
            .expect("explain")
            .iter()
            .map(|(level, _)| *level)
            .collect()
    };
    // porter (alone) and sir porter: the family name agrees, the given name is unknown.
    assert_eq!(levels(0, 1)[..2], [Agreement::Missing, Agreement::SameKey]);
    assert_eq!(levels(1, 0)[..2], [Agreement::Missing, Agreement::SameKey]);
    // charles (alone) and charles hammond: the given names agree; nothing is moved.
    assert_eq!(levels(2, 3)[..2], [Agreement::Exact, Agreement::Missing]);
    // Two records with family names are compared field by field as ever.
    assert_eq!(levels(0, 4)[..2], [Agreement::Different, Agreement::Exact]);
    // A lone word a typo away from the other's family name: the family name is Similar.
    assert_eq!(levels(5, 6)[..2], [Agreement::Missing, Agreement::Similar]);
    assert_eq!(levels(6, 5)[..2], [Agreement::Missing, Agreement::Similar]);
    // A short word is not taken for a typo of a longer name, nor a word far from it.
    assert_eq!(levels(7, 6)[..2], [Agreement::Different, Agreement::Missing]);
    assert_eq!(levels(5, 0)[..2], [Agreement::Different, Agreement::Missing]);
    // And the family-name weight of porter alone is a real one (its term frequency is the
    // other record's), not a missing field's.
    let weight = linker.explain(1, 0).expect("explain")[1].1;
    assert!(weight > 3.0, "{weight}");
}

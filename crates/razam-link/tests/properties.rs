//! Properties of the keys that hold for any input.

use proptest::prelude::*;
use razam_link::{Agreement, Model, PersonRecord, given_name_group, name_key, normalise};

/// Names built from the letters the tables know, so that the rules get exercised.
const NAME_LIKE: &str = "[а-яА-ЯёЁіІўЎїєґ'ʼ’a-zA-ZłŁčČšŠžŽżŻŭćśźń -]{0,40}";

proptest! {
    #[test]
    fn key_is_idempotent_on_arbitrary_unicode(s in any::<String>()) {
        let key = name_key(&s);
        prop_assert_eq!(name_key(&key), key);
        let _ = given_name_group(&s);
    }

    #[test]
    fn key_is_idempotent_on_name_like_text(s in NAME_LIKE) {
        let key = name_key(&s);
        prop_assert_eq!(name_key(&key), key);
    }

    #[test]
    fn normalise_is_idempotent(s in any::<String>()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once);
    }
}

fn person() -> impl Strategy<Value = PersonRecord> {
    let date = prop_oneof![
        Just(String::new()),
        (1900u16..2010).prop_map(|y| y.to_string()),
        (1900u16..2010, 1u8..13, 1u8..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    ];
    (NAME_LIKE, NAME_LIKE, NAME_LIKE, date, NAME_LIKE).prop_map(
        |(given_name, family_name, patronymic, birth_date, birth_place)| PersonRecord {
            given_name,
            family_name,
            patronymic,
            birth_date,
            birth_place,
        },
    )
}

proptest! {
    /// Comparing a with b gives the same levels and weights as b with a.
    #[test]
    fn comparison_is_symmetric(a in person(), b in person()) {
        let model = Model::default();
        let (ab, ba) = (model.compare(&a, &b), model.compare(&b, &a));
        prop_assert_eq!(ab.fields.iter().map(|f| f.agreement).collect::<Vec<_>>(), ba.fields.iter().map(|f| f.agreement).collect::<Vec<_>>());
        prop_assert!((ab.match_weight - ba.match_weight).abs() < 1e-9);
        prop_assert!((0.0..=1.0).contains(&ab.probability));
    }

    /// A record agrees with itself wherever it has a value.
    #[test]
    fn a_record_agrees_with_itself(a in person()) {
        let evidence = Model::default().compare(&a, &a);
        for field in &evidence.fields {
            prop_assert!(matches!(field.agreement, Agreement::Exact | Agreement::Missing), "{:?}", field);
        }
    }
}

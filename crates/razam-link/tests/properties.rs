//! Properties of the keys that hold for any input.

use proptest::prelude::*;
use razam_link::{given_name_group, name_key, normalise};

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

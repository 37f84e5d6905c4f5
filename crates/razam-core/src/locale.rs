//! The languages Razam speaks.

/// A supported interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Be,
    Ru,
    Uk,
    En,
    Pl,
    Lt,
}

impl Locale {
    pub const ALL: [Locale; 6] = [Locale::Be, Locale::Ru, Locale::Uk, Locale::En, Locale::Pl, Locale::Lt];

    pub fn code(self) -> &'static str {
        match self {
            Locale::Be => "be",
            Locale::Ru => "ru",
            Locale::Uk => "uk",
            Locale::En => "en",
            Locale::Pl => "pl",
            Locale::Lt => "lt",
        }
    }

    /// The language's own name for itself, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::Be => "Беларуская",
            Locale::Ru => "Русский",
            Locale::Uk => "Українська",
            Locale::En => "English",
            Locale::Pl => "Polski",
            Locale::Lt => "Lietuvių",
        }
    }

    /// Parses a language tag such as `be`, `ru-RU` or `en_GB`; only the primary subtag counts.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best supported language from an HTTP `Accept-Language` header, by its q-values.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(Locale, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(tag) = pieces.next() else { continue };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(locale) = Locale::parse(tag)
                && q > 0.0
                && best.is_none_or(|(_, bq)| q > bq)
            {
                best = Some((locale, q));
            }
        }
        best.map(|(l, _)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_highest_supported_quality() {
        let check = |header: &str, expected: Option<Locale>| {
            assert_eq!(Locale::from_accept_language(header), expected, "{header}")
        };
        check("be-BY,be;q=0.9,ru;q=0.8", Some(Locale::Be));
        check("de-DE,de;q=0.9,ru;q=0.5,pl;q=0.7", Some(Locale::Pl));
        check("fr", None);
        check("", None);
        check("lt;q=0, uk;q=0.1", Some(Locale::Uk));
        check("en_GB", Some(Locale::En));
    }
}

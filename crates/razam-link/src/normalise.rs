//! Text normalisation: the first stage of every comparison.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Letters whose diacritic carries a distinction a name must keep, mapped before the
/// diacritics are stripped. Everything else loses its marks (ä → a, ą → a, ń → n).
///
/// Cyrillic letters are kept as they are: NFKD would split й, ё, ў, ї into a base letter and a
/// mark, and stripping the mark would turn them into и, е, у, і.
const DELIBERATE: &[(char, &str)] = &[
    // Cyrillic letters that NFKD decomposes: keep them whole.
    ('й', "й"),
    ('ё', "ё"),
    ('ў', "ў"),
    ('ї', "ї"),
    ('ѓ', "г"),
    ('ќ', "к"),
    // Łacinka and BY-2007 / ISO 9 carons: the Polish digraph keeps the sound apart from c, s, z.
    ('č', "cz"),
    ('š', "sz"),
    ('ž', "zh"),
    ('ż', "zh"),
    ('ǆ', "dzh"),
    // Łacinka ŭ (Belarusian ў) is the sound Polish writes w.
    ('ŭ', "w"),
    // Stroke letters have no decomposition.
    ('ł', "l"),
    ('đ', "d"),
    ('ø', "o"),
    ('ı', "i"),
    ('ß', "ss"),
    ('æ', "ae"),
    ('œ', "oe"),
    // ISO 9 letters whose mark is the only thing that tells them apart.
    ('ŝ', "shch"),
    ('û', "ju"),
    ('â', "ja"),
];

/// Apostrophes join the letters around them (Belarusian ʼ ' ’, the soft and hard signs of
/// transliterations ʹ ʺ ″); any other punctuation separates words.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '’' | '‘' | 'ʼ' | 'ʻ' | '`' | '´' | 'ʹ' | 'ʺ' | '″' | '′' | '"' | '”' | '“'
    )
}

/// Lower-cases `name`, strips diacritics (after mapping the letters in which they matter),
/// drops apostrophes, turns hyphens, other punctuation and runs of white space into one space,
/// and trims. Letters and digits of any script are kept; Cyrillic stays Cyrillic.
///
/// ```
/// assert_eq!(razam_link::normalise("  Łukašenka-KALINOŬSKI "), "lukaszenka kalinowski");
/// assert_eq!(razam_link::normalise("Аб’ядковіч"), "абядковіч");
/// ```
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    normalise_into(name, &mut out);
    out
}

/// [`normalise`] appended to `out`, a space before it when neither is empty: what joining the
/// normalised texts by spaces gives, with no `String` for each text. An index build
/// normalises millions of texts into a few reused buffers.
///
/// ```
/// let mut out = String::from("losik");
/// razam_link::normalise_into("  IHAR, ", &mut out);
/// razam_link::normalise_into(" - ", &mut out);
/// assert_eq!(out, "losik ihar");
/// ```
pub fn normalise_into(name: &str, out: &mut String) {
    // What was there before is one word run already: the first letter of this text starts
    // a new word, so it gets its space.
    let mut pending_space = !out.is_empty();
    for c in name.chars().flat_map(lower) {
        if let Some(plain) = plain_letter(c) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            out.push(plain);
            pending_space = false;
            continue;
        }
        if is_apostrophe(c) || is_combining_mark(c) {
            continue;
        }
        if c == ' ' || !c.is_alphanumeric() {
            pending_space = true;
            continue;
        }
        let mark = out.len();
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        let start = out.len();
        push_letter(out, c);
        if out.len() == start {
            // The letter decomposed into nothing (a lone mark): no word began.
            out.truncate(mark);
        } else {
            pending_space = false;
        }
    }
}

/// The lower case of `c`: the letters most names are written in directly, the rest by the
/// Unicode tables.
fn lower(c: char) -> impl Iterator<Item = char> {
    let direct = match c {
        // ASCII, and Cyrillic already in lower case (а..я, ѐ..џ: ё, і, ў…).
        _ if c.is_ascii() => Some(c.to_ascii_lowercase()),
        'а'..='я' | 'ѐ'..='џ' => Some(c),
        // Cyrillic А..Я are а..я shifted by 0x20.
        'А'..='Я' => char::from_u32(u32::from(c) + 0x20),
        'І' => Some('і'),
        _ => None,
    };
    let (one, many) = match direct {
        Some(l) => (Some(l), None),
        None => (None, Some(c.to_lowercase())),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// A lower-case letter or digit that normalising keeps as it is: none of these decomposes
/// or is in [`DELIBERATE`] (but й, which it maps to itself). Most letters of names are these.
fn plain_letter(c: char) -> Option<char> {
    matches!(c, 'a'..='z' | '0'..='9' | 'а'..='я' | 'і').then_some(c)
}

/// Appends one lower-case letter or digit: deliberately mapped, or decomposed with its marks
/// stripped. Compatibility forms (ligatures, full-width and archaic letters) may decompose into
/// upper case, punctuation or a letter of the deliberate table, so each part goes through the
/// same steps again.
fn push_letter(out: &mut String, c: char) {
    if let Some((_, mapped)) = DELIBERATE.iter().find(|(from, _)| *from == c) {
        out.push_str(mapped);
        return;
    }
    for d in std::iter::once(c).nfkd() {
        for l in d.to_lowercase() {
            if !l.is_alphanumeric() || is_combining_mark(l) {
                continue;
            }
            if l == c {
                out.push(l);
            } else if let Some((_, mapped)) = DELIBERATE.iter().find(|(from, _)| *from == l) {
                out.push_str(mapped);
            } else {
                out.push(l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(normalise(input), expected, "normalise({input:?})");
    }

    #[test]
    fn case_spaces_hyphens_and_punctuation() {
        check("  Maria   KALESNIKAVA ", "maria kalesnikava");
        check("Kalesnikava-Babaryka", "kalesnikava babaryka");
        check("Losik, Ihar", "losik ihar");
        check("A. G. Lukashenka", "a g lukashenka");
        check("", "");
        check(" - ,. ", "");
    }

    #[test]
    fn the_short_ways_give_what_the_unicode_tables_give() {
        use unicode_normalization::UnicodeNormalization;
        for c in ('0'..='9').chain('a'..='z').chain('а'..='я').chain(['і']) {
            assert_eq!(super::plain_letter(c), Some(c));
            let long = super::DELIBERATE.iter().find(|(from, _)| *from == c).map_or_else(
                || std::iter::once(c).nfkd().collect::<String>(),
                |(_, to)| (*to).to_owned(),
            );
            assert_eq!(long, c.to_string(), "{c}");
            assert!(c.is_alphanumeric() && !super::is_combining_mark(c));
        }
        let ascii = (0u8..128).map(char::from);
        let cyrillic = ('А'..='я').chain('Ѐ'..='џ');
        for c in ascii.chain(cyrillic).chain(['Ґ', 'Є', 'ẞ', 'İ', 'Ω']) {
            assert_eq!(
                super::lower(c).collect::<String>(),
                c.to_lowercase().collect::<String>(),
                "{c}"
            );
        }
        check("ЙЁЎІ Їж", "йёўі їж");
    }

    #[test]
    fn appending_gives_the_normalised_texts_joined_by_spaces() {
        let texts = [
            "  Maria   KALESNIKAVA ",
            " - ,. ",
            "",
            "Аб’ядковіч",
            "\u{301}",
            "Łukašenka-KALINOŬSKI",
            "ﬁnal ＡＢＣ",
            "Пётр, Ігар",
        ];
        for a in texts {
            for b in texts {
                for c in texts {
                    let mut out = String::new();
                    for t in [a, b, c] {
                        super::normalise_into(t, &mut out);
                    }
                    let joined: Vec<String> = [a, b, c]
                        .iter()
                        .map(|t| normalise(t))
                        .filter(|n| !n.is_empty())
                        .collect();
                    assert_eq!(out, joined.join(" "), "{a:?} {b:?} {c:?}");
                }
            }
        }
    }

    #[test]
    fn apostrophes_join() {
        check("Аб'ядковіч", "абядковіч");
        check("Аб’ядковіч", "абядковіч");
        check("Абʼядковіч", "абядковіч");
        check("Natal'ya", "natalya");
    }

    #[test]
    fn cyrillic_letters_with_marks_survive() {
        check("Каліноўскі", "каліноўскі");
        check("Пётр", "пётр");
        check("Андрэй", "андрэй");
        check("Ігар", "ігар");
        check("Юрій Їжак", "юрій їжак");
    }

    #[test]
    fn lacinka_and_iso9_letters_are_mapped_before_stripping() {
        check("Kalinoŭski", "kalinowski");
        check("Łukašenka", "lukaszenka");
        check("Statkievič", "statkievicz");
        check("Žanna", "zhanna");
        check("Żanna", "zhanna");
        check("Aleś Bialacki", "ales bialacki");
        check("Ŝukin", "shchukin");
        check("Ûrij", "jurij");
    }

    #[test]
    fn other_diacritics_are_stripped() {
        check("Müller", "muller");
        check("Ąžuolas", "azhuolas");
        check("Ostrołęka", "ostroleka");
        check("Straße", "strasse");
    }

    #[test]
    fn idempotent_on_examples() {
        for s in ["Ціханоўская", "Tsikhanouskaya", "Łukašenka", "Müller-Lüdenscheidt"] {
            let once = normalise(s);
            assert_eq!(normalise(&once), once);
        }
    }
}

//! Name keys: one phonetic skeleton for every way a name is written.
//!
//! The pipeline, each stage a table or a named rule (docs/linkage.md says why each fold exists):
//! 1. [`normalise`]: lower case, no diacritics except the deliberate ones, no punctuation.
//! 2. Read each word into key symbols: Cyrillic letter by letter ([`CYRILLIC`]), Latin by the
//!    longest matching letter group ([`LATIN`]). Both tables write the same small alphabet.
//! 3. Apply the folding rules ([`fold_word`]) until nothing changes.
//!
//! The key alphabet is 19 Cyrillic letters: vowels а і у, consonants б в г д к л м н п р с т
//! ф х ц ш (з is read, then folded into с). Each of them reads back as itself in step 2 and
//! the rules run to a fixed point, so `name_key(name_key(x)) == name_key(x)`. Cyrillic is used for the key (rather than Latin)
//! because Latin letter groups are ambiguous (ts, ch, sh, cz) while single Cyrillic letters are
//! not, which is what makes a key read back as itself.

use crate::normalise;

/// Cyrillic letters (Belarusian, Russian, Ukrainian) to key symbols. Letters not listed (other
/// scripts, digits) are dropped from the key.
const CYRILLIC: &[(char, &str)] = &[
    ('а', "а"),
    ('б', "б"),
    ('в', "в"),
    ('г', "г"),
    ('ґ', "г"),
    ('д', "д"),
    // е is written with and without a glide in Latin (Yevgeny / Evgeny, Sergeyevich); the
    // glide is dropped in LATIN too, so е is a plain vowel. Vowel reduction: е → а.
    ('е', "а"),
    ('є', "а"),
    ('ё', "іа"),
    ('ж', "ш"),
    ('з', "з"),
    ('и', "і"),
    ('і', "і"),
    ('ї', "і"),
    ('й', "і"),
    ('к', "к"),
    ('л', "л"),
    ('м', "м"),
    ('н', "н"),
    ('о', "а"),
    ('п', "п"),
    ('р', "р"),
    ('с', "с"),
    ('т', "т"),
    ('у', "у"),
    ('ў', "в"),
    ('ф', "ф"),
    ('х', "х"),
    ('ц', "ц"),
    ('ч', "х"),
    ('ш', "ш"),
    ('щ', "шх"),
    ('ъ', ""),
    ('ы', "і"),
    ('ь', ""),
    ('э', "а"),
    ('ю', "іу"),
    ('я', "іа"),
];

/// Latin letter groups to key symbols, longest first (the reader takes the first entry that
/// matches). Input is already normalised: lower case, Łacinka č š ž ŭ written cz sz zh w.
const LATIN: &[(&str, &str)] = &[
    // Щ: German, BGN/ICAO, Polish.
    ("schtsch", "шх"),
    ("shch", "шх"),
    ("szcz", "шх"),
    // Ч: German tsch, English/French tch.
    ("tsch", "х"),
    ("tch", "х"),
    ("sch", "ш"),
    // Х and Ч share one symbol: "ch" is Ч in English, ICAO and BY-2023 but Х in Łacinka,
    // BY-2007, Polish and German, so no reader can tell them apart.
    ("kh", "х"),
    ("ch", "х"),
    ("cz", "х"),
    // Ж and Ш share one symbol: German writes both sch.
    ("zh", "ш"),
    ("sh", "ш"),
    ("sz", "ш"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("ph", "ф"),
    ("th", "т"),
    ("gh", "г"),
    // The glide before е is written in some systems only (Yevgeny / Evgeny / Jeŭhien); е has
    // no glide in CYRILLIC either.
    ("ye", "а"),
    ("je", "а"),
    ("x", "кс"),
    ("a", "а"),
    ("b", "б"),
    ("c", "ц"),
    ("d", "д"),
    ("e", "а"),
    ("f", "ф"),
    ("g", "г"),
    // Belarusian Г is h (ICAO Belarusian passports, BY-2007, BGN-BE, Łacinka), Russian Г is g.
    ("h", "г"),
    ("i", "і"),
    ("j", "і"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "а"),
    ("p", "п"),
    ("q", "к"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("w", "в"),
    ("y", "і"),
    ("z", "з"),
];

const A: char = 'а';
const I: char = 'і';
const U: char = 'у';

fn is_vowel(c: char) -> bool {
    matches!(c, A | I | U)
}

/// Returns the key of `name`: one skeleton per word, separated by single spaces, word order
/// kept. Any spelling of the same name in Belarusian or Russian Cyrillic or a romanisation in
/// real use gives the same key; the key is opaque (it looks like shortened Cyrillic) and only
/// meant for comparison. Words in scripts other than Latin and Cyrillic are dropped.
///
/// Gender endings are kept apart (Иванов and Иванова have different keys); given-name
/// equivalents are not merged (Алесь and Аляксандр differ; see [`crate::given_name_group`]).
///
/// ```
/// use razam_link::name_key;
/// assert_eq!(name_key("Ціханоўская"), name_key("Tikhanovskaya"));
/// assert_eq!(name_key("Каліноўскі"), name_key("Kalinowski"));
/// assert_ne!(name_key("Петров"), name_key("Петраш"));
/// ```
pub fn name_key(name: &str) -> String {
    let normalised = normalise(name);
    let mut key = String::with_capacity(normalised.len() * 2);
    let mut word = Vec::with_capacity(24);
    for raw in normalised.split(' ') {
        word.clear();
        read_word(raw, &mut word);
        fold_word(&mut word);
        if word.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.iter());
    }
    key
}

/// Feminine surname endings in key symbols and the masculine ending they replace: -ова / -ава
/// / -ova → -ов, -ина / -іна → -ін, -ская / -ska → -скі, -цкая → -цкі.
const FEMININE_ENDINGS: &[(&str, &str)] = &[("ска", "скі"), ("цка", "цкі"), ("ава", "ав"), ("іна", "ін")];

/// The key of a surname with a feminine ending replaced by the masculine one, so that a caller
/// can tell "same family name, other gender" (Иванова / Ivanov, Ціханоўская / Tsikhanouski)
/// from "other name": [`name_key`] keeps them apart on purpose. Only the last word changes, and
/// only when at least three symbols remain before the ending.
///
/// ```
/// use razam_link::{masculine_surname_key, name_key};
/// assert_ne!(name_key("Иванова"), name_key("Ivanov"));
/// assert_eq!(masculine_surname_key("Иванова"), masculine_surname_key("Ivanov"));
/// assert_eq!(masculine_surname_key("Tsikhanouskaya"), name_key("Ціханоўскі"));
/// ```
pub fn masculine_surname_key(surname: &str) -> String {
    let mut key = name_key(surname);
    let last_word_start = key.rfind(' ').map_or(0, |space| space + 1);
    for (feminine, masculine) in FEMININE_ENDINGS {
        if key.ends_with(feminine) && key[last_word_start..].chars().count() >= feminine.chars().count() + 3 {
            key.truncate(key.len() - feminine.len());
            key.push_str(masculine);
            break;
        }
    }
    key
}

/// Step 2: one normalised word into key symbols.
fn read_word(raw: &str, word: &mut Vec<char>) {
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if let Some((_, symbols)) = CYRILLIC.iter().find(|(from, _)| *from == c) {
            word.extend(symbols.chars());
            rest = &rest[c.len_utf8()..];
        } else if let Some((from, symbols)) = LATIN.iter().find(|(from, _)| rest.starts_with(from)) {
            word.extend(symbols.chars());
            rest = &rest[from.len()..];
        } else {
            // Digits and letters of other scripts are not part of a name's sound.
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// Step 3: the folding rules, repeated until the word no longer changes. Every rule shortens
/// the word or replaces a symbol by one later in a fixed order (ц → т, у → в, з → с), so this ends.
fn fold_word(word: &mut Vec<char>) {
    const RULES: [fn(&mut Vec<char>) -> bool; 11] = [
        collapse_doubles,
        drop_z_after_d,
        |w| z_is_s(w),
        s_kh_is_sh,
        |w| soft_ts_is_t(w),
        |w| u_after_vowel_is_v(w),
        collapse_doubles,
        drop_palatal_glide,
        collapse_doubles,
        drop_adjectival_ja,
        drop_vowel_before_final_r,
    ];
    loop {
        let mut changed = false;
        for rule in RULES {
            changed |= rule(word);
        }
        if !changed {
            return;
        }
    }
}

/// Дз / dz is д: Belarusian дз where Russian has д before a soft vowel (Дзмітрый / Дмитрий,
/// Дзяніс / Денис).
fn drop_z_after_d(word: &mut Vec<char>) -> bool {
    let before = word.len();
    let mut prev = None;
    word.retain(|&c| {
        let keep = !(c == 'з' && prev == Some('д'));
        if keep {
            prev = Some(c);
        }
        keep
    });
    word.len() != before
}

/// З is с (after дз has lost its з).
fn z_is_s(word: &mut [char]) -> bool {
    let mut changed = false;
    for c in word.iter_mut().filter(|c| **c == 'з') {
        *c = 'с';
        changed = true;
    }
    changed
}

/// С + Х is ш: Latin sch is ш in German (Lukaschenko) and с + ч in English-based systems
/// (Lyschyk / Лысчык), and no reader can tell which, so the Cyrillic сч and сх are ш too.
fn s_kh_is_sh(word: &mut Vec<char>) -> bool {
    let before = word.len();
    let mut i = 1;
    while i < word.len() {
        if word[i] == 'х' && word[i - 1] == 'с' {
            word[i - 1] = 'ш';
            word.remove(i);
        } else {
            i += 1;
        }
    }
    word.len() != before
}

/// Ц before і is т: Belarusian ць where Russian has ть (Ціханоўская / Тихановская,
/// Тацяна / Татьяна). Polish ci and Latin tsi meet here too.
fn soft_ts_is_t(word: &mut [char]) -> bool {
    let mut changed = false;
    for i in 1..word.len() {
        if word[i] == I && word[i - 1] == 'ц' {
            word[i - 1] = 'т';
            changed = true;
        }
    }
    changed
}

/// У after а is в: Belarusian ў after a vowel is written ŭ, u, w or, in the Russian form, в
/// (Каліноўскі / Kalinouski / Kalinowski / Калиновский). After і the у is the vowel of ю.
fn u_after_vowel_is_v(word: &mut [char]) -> bool {
    let mut changed = false;
    for i in 1..word.len() {
        if word[i] == U && word[i - 1] == A {
            word[i] = 'в';
            changed = true;
        }
    }
    changed
}

/// Doubled letters are written single in some spellings (Ганна / Hana, Наталля / Natalia).
fn collapse_doubles(word: &mut Vec<char>) -> bool {
    let before = word.len();
    word.dedup();
    word.len() != before
}

/// The key does not record palatalisation: і between a consonant and a vowel is the glide
/// that marks the consonant soft (я ю ё after a consonant; ia, ya, ja, ie, io), written in
/// some systems only (Бяляцкі / Беляцкий / Bialiatski / Belyatsky).
fn drop_palatal_glide(word: &mut Vec<char>) -> bool {
    let before = word.len();
    let mut i = 1;
    while i + 1 < word.len() {
        if word[i] == I && !is_vowel(word[i - 1]) && matches!(word[i + 1], A | U) {
            word.remove(i);
        } else {
            i += 1;
        }
    }
    word.len() != before
}

/// The adjectival feminine ending -ая (-aja, -aya, -aia) is written -a in Polish
/// (Ціханоўская / Cichanouska). Only for words long enough to be such a surname.
fn drop_adjectival_ja(word: &mut Vec<char>) -> bool {
    if word.len() > 4 && word.ends_with(&[A, I, A]) {
        word.truncate(word.len() - 2);
        return true;
    }
    false
}

/// A vowel between a consonant and a final р is written in some languages only (Aleksandr /
/// Alexander, Пётр / Peter, Ігар / Igor): it is dropped when another vowel remains.
fn drop_vowel_before_final_r(word: &mut Vec<char>) -> bool {
    let n = word.len();
    if n >= 3
        && word[n - 1] == 'р'
        && word[n - 2] == A
        && !is_vowel(word[n - 3])
        && word[..n - 3].iter().any(|&c| is_vowel(c))
    {
        word.remove(n - 2);
        return true;
    }
    false
}

#[cfg(test)]
mod tests;

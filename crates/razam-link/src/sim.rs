//! String similarity for comparisons, made cheap for millions of pairs.
//!
//! [`Profile`] holds a value's characters and a small letter histogram worked out once per
//! distinct value. Most pairs compared are clearly different; the histogram bounds their
//! Jaro–Winkler similarity from above without computing it ([`jaro_winkler_at_least`]), and
//! [`within_one_edit`] decides "one typo apart" in linear time.

/// A value's characters and a histogram of them over 16 buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub chars: Box<[char]>,
    histogram: [u8; 16],
}

impl Profile {
    pub(crate) fn new(text: &str) -> Profile {
        let chars: Box<[char]> = text.chars().collect();
        let mut histogram = [0u8; 16];
        for &c in chars.iter() {
            let bucket = &mut histogram[(c as usize) % 16];
            *bucket = bucket.saturating_add(1);
        }
        Profile { chars, histogram }
    }

    /// An upper bound on the number of characters the two have in common.
    fn common_bound(&self, other: &Profile) -> usize {
        self.histogram
            .iter()
            .zip(&other.histogram)
            .map(|(a, b)| usize::from(*a.min(b)))
            .sum()
    }
}

/// Whether the Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4) of `a` and `b` is
/// at least `bound`. Empty strings are never similar.
pub(crate) fn jaro_winkler_at_least(a: &Profile, b: &Profile, bound: f64) -> bool {
    let (la, lb) = (a.chars.len(), b.chars.len());
    if la == 0 || lb == 0 {
        return false;
    }
    // Upper bound: every possibly common character matched, no transpositions, full prefix.
    let m = a.common_bound(b).min(la).min(lb) as f64;
    let jaro_bound = (m / la as f64 + m / lb as f64 + 1.0) / 3.0;
    let prefix = a
        .chars
        .iter()
        .zip(b.chars.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count() as f64;
    if jaro_bound + prefix * 0.1 * (1.0 - jaro_bound) < bound {
        return false;
    }
    let jaro = jaro(&a.chars, &b.chars);
    // The prefix bonus applies above 0.7 only, as in strsim.
    let similarity = if jaro > 0.7 {
        jaro + prefix * 0.1 * (1.0 - jaro)
    } else {
        jaro
    };
    similarity >= bound
}

/// The Jaro similarity.
fn jaro(a: &[char], b: &[char]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let window = (la.max(lb) / 2).saturating_sub(1);
    let mut stack = [false; 128];
    let mut heap = Vec::new();
    let flags: &mut [bool] = if la + lb <= stack.len() {
        &mut stack[..la + lb]
    } else {
        heap.resize(la + lb, false);
        &mut heap
    };
    let (a_matched, b_matched) = flags.split_at_mut(la);
    let mut matches = 0usize;
    for (i, &c) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for j in lo..hi {
            if !b_matched[j] && b[j] == c {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &c) in a.iter().enumerate() {
        if !a_matched[i] {
            continue;
        }
        while !b_matched[j] {
            j += 1;
        }
        if c != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    (m / la as f64 + m / lb as f64 + (m - (transpositions / 2) as f64) / m) / 3.0
}

/// Whether `a` and `b` differ by at most one edit: a substitution, an insertion, a deletion or
/// the transposition of two neighbours.
pub(crate) fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if prefix == la && prefix == lb {
        return true;
    }
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match la.cmp(&lb) {
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        std::cmp::Ordering::Less => ra == &rb[1..],
        std::cmp::Ordering::Greater => &ra[1..] == rb,
    }
}

/// Whether two texts differ by one edit (as [`within_one_edit`]) and are both at least
/// `min_chars` characters long; equal texts are not "one edit apart". Works on the bytes of
/// the strings without copying or counting them (it runs for most pairs compared): the common
/// prefix and suffix are skipped, and what is left must be at most one character on each
/// side, or two swapped neighbours. Most different names differ in their first and last
/// letters, so this ends after a byte or two.
pub(crate) fn one_edit_apart(a: &str, b: &str, min_chars: usize) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    // A character is at most four bytes, so the middles below are at most eight.
    if x == y || x.len().abs_diff(y.len()) > 4 {
        return false;
    }
    let mut prefix = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    while !a.is_char_boundary(prefix) || !b.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let room = x.len().min(y.len()) - prefix;
    let mut suffix = x
        .iter()
        .rev()
        .zip(y.iter().rev())
        .take(room)
        .take_while(|(p, q)| p == q)
        .count();
    while !a.is_char_boundary(x.len() - suffix) || !b.is_char_boundary(y.len() - suffix) {
        suffix -= 1;
    }
    let (ma, mb) = (&a[prefix..x.len() - suffix], &b[prefix..y.len() - suffix]);
    if ma.len() > 8 || mb.len() > 8 {
        return false;
    }
    let (mut ca, mut cb) = (ma.chars(), mb.chars());
    let one_edit = match (ca.next(), ca.next(), ca.next(), cb.next(), cb.next(), cb.next()) {
        // At most one character left on each side: a substitution, insertion or deletion.
        (_, None, _, _, None, _) => true,
        // Two on each side, swapped.
        (Some(p0), Some(p1), None, Some(q0), Some(q1), None) => p0 == q1 && p1 == q0,
        _ => false,
    };
    one_edit && a.chars().count().min(b.chars().count()) >= min_chars
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit() {
        for (a, b, expected) in [
            ("6988048", "6988048", true),
            ("6988048", "6988084", true),
            ("6988048", "698848", true),
            ("4011", "40111", true),
            ("abc", "xbc", true),
            ("abcd", "badc", false),
            ("gu14 8bu", "gu14 0au", false),
            ("", "a", true),
            ("", "ab", false),
        ] {
            assert_eq!(within_one_edit(&chars(a), &chars(b)), expected, "{a} {b}");
            assert_eq!(within_one_edit(&chars(b), &chars(a)), expected, "{b} {a}");
        }
    }

    #[test]
    fn one_edit_apart_on_text() {
        for (a, b, expected) in [
            ("john", "nohn", true),
            ("william", "eilliam", true),
            ("middleton", "middlet9n", true),
            ("chappell", "chapell", true),
            ("alexsandr", "aleksandr", true),
            ("aliaksandr", "aliaksnadr", true),
            ("кацярына", "кацярна", true),
            ("john", "john", false),
            ("joe", "koe", false),
            ("mark", "mary", true),
            ("aleksandr", "aleksey", false),
            ("ab", "abc", false),
        ] {
            assert_eq!(one_edit_apart(a, b, 4), expected, "{a} {b}");
            assert_eq!(one_edit_apart(b, a, 4), expected, "{b} {a}");
        }
    }

    proptest! {
        /// The string form agrees with `within_one_edit` on characters, above the length floor.
        #[test]
        fn one_edit_apart_agrees_with_within_one_edit(a in "[abcйў😀]{0,7}", b in "[abcйў😀]{0,7}", floor in 0usize..5) {
            let expected = a != b
                && a.chars().count().min(b.chars().count()) >= floor
                && within_one_edit(&chars(&a), &chars(&b));
            prop_assert_eq!(one_edit_apart(&a, &b, floor), expected);
        }

        /// The bounded test agrees with strsim's Jaro–Winkler at any bound.
        #[test]
        fn jaro_winkler_agrees_with_strsim(a in "[abcdeсшаі]{0,12}", b in "[abcdeсшаі]{0,12}", bound in 0.5f64..1.0) {
            let expected = !a.is_empty() && !b.is_empty() && strsim::jaro_winkler(&a, &b) >= bound;
            prop_assert_eq!(jaro_winkler_at_least(&Profile::new(&a), &Profile::new(&b), bound), expected);
        }

        #[test]
        fn one_edit_agrees_with_strsim(a in "[abc]{0,6}", b in "[abc]{0,6}") {
            prop_assert_eq!(within_one_edit(&chars(&a), &chars(&b)), strsim::osa_distance(&a, &b) <= 1);
        }
    }
}

//! In-kind aid and volunteers (issue 6 items 5 and 6): the vocabulary (item categories,
//! movement kinds, shipment states, write-off reasons, volunteer skills), the stock rule
//! ("never negative") as a pure model, and a shift's coverage. Parsed once here; no I/O.

use std::collections::BTreeMap;
use std::fmt;

/// What kind of goods an item of the catalogue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Food,
    Clothing,
    Footwear,
    Hygiene,
    Medicine,
    Bedding,
    Vehicles,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Food,
        Category::Clothing,
        Category::Footwear,
        Category::Hygiene,
        Category::Medicine,
        Category::Bedding,
        Category::Vehicles,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Food => "food",
            Category::Clothing => "clothing",
            Category::Footwear => "footwear",
            Category::Hygiene => "hygiene",
            Category::Medicine => "medicine",
            Category::Bedding => "bedding",
            Category::Vehicles => "vehicles",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a stock movement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Goods come in (from a donor) to a warehouse.
    Receipt,
    /// Goods move from one warehouse to another; the total stays the same.
    Transfer,
    /// Goods leave a warehouse in a shipment to a recipient.
    Dispatch,
    /// Goods are lost, spoiled or damaged, with a reason.
    WriteOff,
}

impl MovementKind {
    pub const ALL: [MovementKind; 4] = [
        MovementKind::Receipt,
        MovementKind::Transfer,
        MovementKind::Dispatch,
        MovementKind::WriteOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Transfer => "transfer",
            MovementKind::Dispatch => "dispatch",
            MovementKind::WriteOff => "write-off",
        }
    }

    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why goods were written off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOffReason {
    Expired,
    Damaged,
    Lost,
    Other,
}

impl WriteOffReason {
    pub const ALL: [WriteOffReason; 4] = [
        WriteOffReason::Expired,
        WriteOffReason::Damaged,
        WriteOffReason::Lost,
        WriteOffReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffReason::Expired => "expired",
            WriteOffReason::Damaged => "damaged",
            WriteOffReason::Lost => "lost",
            WriteOffReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<WriteOffReason> {
        WriteOffReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where a shipment is: packed (dispatches may still be added), sent, delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShipmentStatus {
    Packed,
    Sent,
    Delivered,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 3] = [ShipmentStatus::Packed, ShipmentStatus::Sent, ShipmentStatus::Delivered];

    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Packed => "packed",
            ShipmentStatus::Sent => "sent",
            ShipmentStatus::Delivered => "delivered",
        }
    }

    pub fn parse(s: &str) -> Option<ShipmentStatus> {
        ShipmentStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The one state that may follow this one: packed → sent → delivered, never back.
    pub fn next(self) -> Option<ShipmentStatus> {
        match self {
            ShipmentStatus::Packed => Some(ShipmentStatus::Sent),
            ShipmentStatus::Sent => Some(ShipmentStatus::Delivered),
            ShipmentStatus::Delivered => None,
        }
    }
}

/// The label code of a received box (`BOX-000123`), from the receipt's movement id.
pub fn box_code(movement_id: i64) -> String {
    format!("BOX-{movement_id:06}")
}

/// The label code of a shipment (`SHP-000045`), from its id.
pub fn shipment_code(shipment_id: i64) -> String {
    format!("SHP-{shipment_id:06}")
}

/// The shipment id a code names, if it is a shipment code.
pub fn parse_shipment_code(code: &str) -> Option<i64> {
    code.trim()
        .strip_prefix("SHP-")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|id| *id > 0)
}

/// Languages a volunteer may speak, as skills.
pub const LANGUAGES: [&str; 7] = ["be", "ru", "uk", "pl", "en", "de", "lt"];
/// Driving-licence categories.
pub const LICENCES: [&str; 6] = ["B", "BE", "C", "CE", "D", "D1"];
/// Skills that are not a language or a licence.
pub const PLAIN_SKILLS: [&str; 6] = ["first-aid", "sorting", "translation", "psychology", "legal", "cooking"];

/// One skill from the vocabulary: `lang:uk`, `driving:C`, `first-aid`, … Stored as this text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Skill(String);

impl Skill {
    pub fn parse(s: &str) -> Option<Skill> {
        let s = s.trim();
        let known = if let Some(lang) = s.strip_prefix("lang:") {
            LANGUAGES.contains(&lang)
        } else if let Some(cat) = s.strip_prefix("driving:") {
            LICENCES.contains(&cat)
        } else {
            PLAIN_SKILLS.contains(&s)
        };
        known.then(|| Skill(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every skill of the vocabulary, in the order forms list them.
    pub fn all() -> Vec<Skill> {
        LANGUAGES
            .iter()
            .map(|l| Skill(format!("lang:{l}")))
            .chain(LICENCES.iter().map(|c| Skill(format!("driving:{c}"))))
            .chain(PLAIN_SKILLS.iter().map(|s| Skill((*s).to_owned())))
            .collect()
    }
}

impl fmt::Display for Skill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillError {
    #[error("unknown skill `{0}` (e.g. lang:uk, driving:B, first-aid, sorting, translation, psychology)")]
    Unknown(String),
    #[error("`{0}`: write a skill as skill=count with a count from 1 to 99")]
    Count(String),
}

/// A set of skills written as text: `lang:uk lang:ru first-aid` (spaces or commas).
pub fn parse_skills(text: &str) -> Result<Vec<Skill>, SkillError> {
    let mut skills = Vec::new();
    for word in text.split([' ', ',', '\n', '\t']).filter(|w| !w.trim().is_empty()) {
        let skill = Skill::parse(word).ok_or_else(|| SkillError::Unknown(word.trim().to_owned()))?;
        if !skills.contains(&skill) {
            skills.push(skill);
        }
    }
    skills.sort();
    Ok(skills)
}

/// The skills a shift needs, each with how many people must have it:
/// `lang:uk=2 first-aid` (a skill without a count needs one person).
pub fn parse_needs(text: &str) -> Result<BTreeMap<Skill, u32>, SkillError> {
    let mut needs = BTreeMap::new();
    for word in text.split([' ', ',', '\n', '\t']).filter(|w| !w.trim().is_empty()) {
        let (name, count) = match word.split_once('=') {
            Some((name, count)) => {
                let n = count
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=99).contains(n))
                    .ok_or_else(|| SkillError::Count(word.to_owned()))?;
                (name, n)
            }
            None => (word, 1),
        };
        let skill = Skill::parse(name).ok_or_else(|| SkillError::Unknown(name.trim().to_owned()))?;
        *needs.entry(skill).or_insert(0) += count;
    }
    Ok(needs)
}

/// Needs written back as text, the form [`parse_needs`] reads.
pub fn needs_text(needs: &BTreeMap<Skill, u32>) -> String {
    needs
        .iter()
        .map(|(s, n)| if *n == 1 { s.0.clone() } else { format!("{}={n}", s.0) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How far a shift is covered by the people signed up for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Places still open: head count minus sign-ups (never below zero).
    pub open_places: u32,
    /// Each needed skill that too few of the signed-up have, with how many more are needed.
    pub missing: BTreeMap<Skill, u32>,
}

impl Coverage {
    pub fn is_covered(&self) -> bool {
        self.open_places == 0 && self.missing.is_empty()
    }
}

/// A shift's coverage: a person counts towards every needed skill they have (one interpreter
/// who speaks Ukrainian and Russian covers one place of each), and towards one place.
pub fn coverage(head_count: u32, needs: &BTreeMap<Skill, u32>, signed_up: &[Vec<Skill>]) -> Coverage {
    let open_places = head_count.saturating_sub(signed_up.len() as u32);
    let missing = needs
        .iter()
        .filter_map(|(skill, need)| {
            let have = signed_up.iter().filter(|s| s.contains(skill)).count() as u32;
            (have < *need).then(|| (skill.clone(), need - have))
        })
        .collect();
    Coverage { open_places, missing }
}

/// Stock levels per (warehouse, item): the rule every movement keeps, as a model the store's
/// transactions are tested against. A movement that would take a level below zero is refused
/// whole and changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockModel {
    levels: BTreeMap<(i64, i64), i64>,
}

/// Refused: the warehouse holds only `available` of the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not enough in stock: {available} available")]
pub struct Short {
    pub available: i64,
}

impl StockModel {
    pub fn level(&self, warehouse: i64, item: i64) -> i64 {
        self.levels.get(&(warehouse, item)).copied().unwrap_or(0)
    }

    /// The sum over warehouses of one item.
    pub fn total(&self, item: i64) -> i64 {
        self.levels
            .iter()
            .filter(|((_, i), _)| *i == item)
            .map(|(_, q)| q)
            .sum()
    }

    pub fn receive(&mut self, warehouse: i64, item: i64, quantity: i64) {
        *self.levels.entry((warehouse, item)).or_insert(0) += quantity;
    }

    /// Takes `quantity` out of a warehouse (dispatch, write-off), or refuses.
    pub fn take(&mut self, warehouse: i64, item: i64, quantity: i64) -> Result<(), Short> {
        let available = self.level(warehouse, item);
        if available < quantity {
            return Err(Short { available });
        }
        self.levels.insert((warehouse, item), available - quantity);
        Ok(())
    }

    pub fn transfer(&mut self, from: i64, to: i64, item: i64, quantity: i64) -> Result<(), Short> {
        self.take(from, item, quantity)?;
        self.receive(to, item, quantity);
        Ok(())
    }

    /// Every level, none negative if the rule held.
    pub fn levels(&self) -> impl Iterator<Item = ((i64, i64), i64)> + '_ {
        self.levels.iter().map(|(k, v)| (*k, *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn skills(s: &str) -> Vec<Skill> {
        parse_skills(s).unwrap()
    }

    #[test]
    fn vocabularies_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for k in MovementKind::ALL {
            assert_eq!(MovementKind::parse(k.as_str()), Some(k));
        }
        for s in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::parse(s.as_str()), Some(s));
        }
        for s in Skill::all() {
            assert_eq!(Skill::parse(s.as_str()), Some(s));
        }
        assert_eq!(Skill::parse("lang:fr"), None);
        assert_eq!(Skill::parse("driving:Z"), None);
        assert_eq!(parse_shipment_code(&shipment_code(45)), Some(45));
        assert_eq!(shipment_code(45), "SHP-000045");
        assert_eq!(parse_shipment_code("BOX-000045"), None);
    }

    #[test]
    fn shipments_only_go_forward() {
        assert_eq!(ShipmentStatus::Packed.next(), Some(ShipmentStatus::Sent));
        assert_eq!(ShipmentStatus::Sent.next(), Some(ShipmentStatus::Delivered));
        assert_eq!(ShipmentStatus::Delivered.next(), None);
    }

    #[test]
    fn needs_parse_with_counts_and_name_the_bad_word() {
        let needs = parse_needs("lang:uk=2, first-aid lang:uk").unwrap();
        assert_eq!(needs_text(&needs), "first-aid lang:uk=3");
        assert_eq!(parse_needs("lang:uk=0"), Err(SkillError::Count("lang:uk=0".into())));
        assert_eq!(parse_needs("juggling"), Err(SkillError::Unknown("juggling".into())));
        assert_eq!(skills("sorting lang:be sorting"), skills("lang:be sorting"));
    }

    #[test]
    fn a_shift_needing_two_ukrainian_speakers_with_one_is_short_by_one() {
        let needs = parse_needs("lang:uk=2 first-aid").unwrap();
        let signed = vec![skills("lang:uk lang:ru first-aid")];
        let c = coverage(3, &needs, &signed);
        assert_eq!(c.open_places, 2);
        assert_eq!(c.missing, BTreeMap::from([(Skill::parse("lang:uk").unwrap(), 1)]));
        assert!(!c.is_covered());
        let full = coverage(2, &needs, &[skills("lang:uk first-aid"), skills("lang:uk")]);
        assert!(full.is_covered());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Receive(i64, i64, i64),
        Take(i64, i64, i64),
        Transfer(i64, i64, i64, i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1..4i64, 1..4i64, 1..50i64).prop_map(|(w, i, q)| Op::Receive(w, i, q)),
            (1..4i64, 1..4i64, 1..50i64).prop_map(|(w, i, q)| Op::Take(w, i, q)),
            (1..4i64, 1..4i64, 1..4i64, 1..50i64).prop_map(|(f, t, i, q)| Op::Transfer(f, t, i, q)),
        ]
    }

    proptest! {
        /// Under any sequence of movements: no level is ever negative, a refused movement
        /// changes nothing, a transfer keeps the item's total, and each item's total is what
        /// came in minus what went out.
        #[test]
        fn stock_never_goes_negative_and_totals_balance(ops in prop::collection::vec(op(), 0..200)) {
            let mut stock = StockModel::default();
            let mut net: BTreeMap<i64, i64> = BTreeMap::new();
            for op in ops {
                let before = stock.clone();
                match op {
                    Op::Receive(w, i, q) => {
                        stock.receive(w, i, q);
                        *net.entry(i).or_insert(0) += q;
                    }
                    Op::Take(w, i, q) => match stock.take(w, i, q) {
                        Ok(()) => *net.entry(i).or_insert(0) -= q,
                        Err(short) => {
                            prop_assert!(short.available < q);
                            prop_assert_eq!(&stock, &before);
                        }
                    },
                    Op::Transfer(f, t, i, q) => {
                        let total = stock.total(i);
                        if stock.transfer(f, t, i, q).is_err() {
                            prop_assert_eq!(&stock, &before);
                        }
                        prop_assert_eq!(stock.total(i), total);
                    }
                }
                prop_assert!(stock.levels().all(|(_, q)| q >= 0));
            }
            for (item, n) in net {
                prop_assert_eq!(stock.total(item), n);
            }
        }
    }
}

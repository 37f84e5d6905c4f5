//! The demo's in-kind aid and volunteers: two warehouses, a catalogue with unit values,
//! receipts (some donors named with consent, the rest anonymous), a transfer, shipments in
//! each state, a write-off; a station help desk and a sorting hall with shifts over the week
//! from the day the demo is made, volunteers (one linked to the demo account `marta`) and
//! sign-ups that leave some shifts short. All fictional; valued movements are posted to the
//! ledger.

use std::collections::BTreeMap;

use razam_core::aid::{Category, WriteOffReason, parse_needs};
use razam_core::ledger::{Currency, Money};

use crate::aid::{Donor, ItemInput, MovementInput, RecipientLink, Valuation};
use crate::volunteers::{ShiftInput, VolunteerDetails, VolunteerInput, skills_from_text};
use crate::{Actor, App, AppError};

/// The demo volunteer account (in `DEMO_USERS`) linked to a volunteer profile.
pub const VOLUNTEER: &str = "marta";

/// (name, category, unit, unit value in euro cents).
const CATALOGUE: [(&str, Category, &str, i64); 8] = [
    ("Canned beans 400 g", Category::Food, "pcs", 120),
    ("Buckwheat 1 kg", Category::Food, "pcs", 250),
    ("Winter boots", Category::Footwear, "pair", 3_500),
    ("Warm jacket", Category::Clothing, "pcs", 4_000),
    ("Hygiene kit", Category::Hygiene, "pcs", 800),
    ("First-aid kit", Category::Medicine, "pcs", 1_500),
    ("Blanket", Category::Bedding, "pcs", 1_200),
    ("Pickup truck", Category::Vehicles, "vehicle", 900_000),
];

/// (name, contact, skills, linked account).
const VOLUNTEERS: [(&str, &str, &str, Option<&str>); 8] = [
    (
        "Marta K. (fictional)",
        "@marta_demo",
        "lang:pl lang:be lang:ru sorting",
        Some(VOLUNTEER),
    ),
    (
        "Olena S. (fictional)",
        "@olena_demo",
        "lang:uk lang:ru lang:pl first-aid",
        None,
    ),
    ("Paval D. (fictional)", "@paval_demo", "lang:be lang:ru driving:C", None),
    (
        "Iryna V. (fictional)",
        "@iryna_demo",
        "lang:uk lang:en psychology",
        None,
    ),
    (
        "Tomasz W. (fictional)",
        "@tomasz_demo",
        "lang:pl lang:en driving:B sorting",
        None,
    ),
    (
        "Siarhei L. (fictional)",
        "@siarhei_demo",
        "lang:be lang:ru lang:lt translation",
        None,
    ),
    ("Anna M. (fictional)", "@anna_demo", "lang:de lang:en sorting", None),
    ("Bohdan R. (fictional)", "@bohdan_demo", "lang:uk lang:ru cooking", None),
];

const HOUR: i64 = 3_600_000;
/// A demo shipment: its recipient's link, its dispatches (warehouse, item index, quantity)
/// and how many steps it went on (0 packed, 1 sent, 2 delivered).
type DemoShipment = (RecipientLink, Vec<(i64, usize, i64)>, usize);
/// A demo shift: place, start hour, hours, head count, needs, volunteers (indexes) signed up.
type DemoShift<'a> = (i64, i64, i64, i64, &'a str, Vec<usize>);
const DAY: i64 = 24 * HOUR;

impl App {
    /// Writes the demo's aid and volunteers; returns (movements, shifts).
    pub async fn write_demo_aid(&self) -> Result<(usize, usize), AppError> {
        let cli = Actor::Cli;
        let mut items = Vec::new();
        for (name, category, unit, cents) in CATALOGUE {
            let input = ItemInput {
                name: name.into(),
                category,
                unit: unit.into(),
                unit_value: Some(Money::from_minor(cents, Currency::EUR)),
            };
            items.push(self.create_aid_item(&cli, &input).await?);
        }
        let vilnius = self
            .create_warehouse(&cli, "Vilnius hall (fictional)", "Vilnius, Naujamiestis")
            .await?;
        let warsaw = self
            .create_warehouse(&cli, "Warsaw depot (fictional)", "Warsaw, Praga-Północ")
            .await?;
        let mut movements = 0;
        let record = |input: MovementInput| async move {
            self.record_movement_valued(&Actor::Cli, &input, Valuation::Post, None)
                .await
                .map(|r| r.id)
        };
        // Receipts: (warehouse, item index, quantity, donor named with consent).
        let receipts: [(i64, usize, i64, Option<&str>); 10] = [
            (vilnius, 0, 1_200, Some("Parish of St. Casimir (fictional)")),
            (vilnius, 1, 600, None),
            (vilnius, 2, 140, None),
            (vilnius, 3, 90, Some("Vilnius Rotary Club (fictional)")),
            (vilnius, 4, 300, None),
            (warsaw, 5, 80, Some("Pharmacy “Zdrowie” (fictional)")),
            (warsaw, 6, 200, None),
            (warsaw, 0, 800, None),
            (warsaw, 7, 2, Some("Diaspora of Białystok (fictional)")),
            (warsaw, 2, 60, None),
        ];
        for (warehouse, item, quantity, donor) in receipts {
            record(MovementInput::Receipt {
                warehouse,
                item: items[item],
                quantity,
                donor: Donor {
                    name: donor.unwrap_or("Anonymous at the door").to_owned(),
                    consented: donor.is_some(),
                },
                notes: String::new(),
            })
            .await?;
            movements += 1;
        }
        record(MovementInput::Transfer {
            from: vilnius,
            to: warsaw,
            item: items[0],
            quantity: 300,
        })
        .await?;
        record(MovementInput::WriteOff {
            from: warsaw,
            item: items[6],
            quantity: 6,
            reason: WriteOffReason::Damaged,
            notes: "soaked in transit".into(),
        })
        .await?;
        movements += 2;
        // Shipments: (recipient link, dispatches (warehouse, item, quantity), how far it got).
        let shipments: [DemoShipment; 5] = [
            (
                RecipientLink {
                    case: "AC-2026-003".into(),
                    ..RecipientLink::default()
                },
                vec![(vilnius, 0, 48), (vilnius, 1, 20), (vilnius, 4, 4)],
                2,
            ),
            (
                RecipientLink {
                    case: "AC-2026-011".into(),
                    ..RecipientLink::default()
                },
                vec![(vilnius, 2, 6), (vilnius, 3, 6)],
                2,
            ),
            (
                RecipientLink {
                    notes: "family of four arriving from Minsk (fictional)".into(),
                    ..RecipientLink::default()
                },
                vec![(warsaw, 6, 4), (warsaw, 0, 24), (warsaw, 5, 1)],
                1,
            ),
            (
                RecipientLink {
                    notes: "volunteer transport to Kyiv (fictional)".into(),
                    ..RecipientLink::default()
                },
                vec![(warsaw, 7, 1), (warsaw, 5, 20)],
                1,
            ),
            (RecipientLink::default(), vec![(vilnius, 2, 10), (vilnius, 4, 10)], 0),
        ];
        for (link, dispatches, steps) in shipments {
            let shipment = self.create_shipment(&cli, Some(link)).await?;
            for (from, item, quantity) in dispatches {
                record(MovementInput::Dispatch {
                    from,
                    shipment,
                    item: items[item],
                    quantity,
                })
                .await?;
                movements += 1;
            }
            for _ in 0..steps {
                self.advance_shipment(&cli, shipment).await?;
            }
        }
        let shifts = self.write_demo_shifts().await?;
        Ok((movements, shifts))
    }

    async fn write_demo_shifts(&self) -> Result<usize, AppError> {
        let cli = Actor::Cli;
        let desk = self
            .create_place(
                &cli,
                "Help desk, Warszawa Centralna (fictional)",
                "main hall, by the ticket office",
            )
            .await?;
        let hall = self
            .create_place(&cli, "Sorting hall, Vilnius (fictional)", "the warehouse's back room")
            .await?;
        let mut volunteers = Vec::new();
        for (name, contact, skills, account) in VOLUNTEERS {
            let input = VolunteerInput {
                details: VolunteerDetails {
                    name: name.into(),
                    contact: contact.into(),
                },
                skills: skills_from_text(skills)?,
                account: account.map(str::to_owned),
            };
            volunteers.push(self.create_volunteer(&cli, &input).await?);
        }
        let needs = |text: &str| -> Result<BTreeMap<_, _>, AppError> {
            parse_needs(text).map_err(|e| AppError::BadInput(e.to_string()))
        };
        let today = crate::today().days_since_epoch() * DAY;
        let mut count = 0;
        for day in 1..=7 {
            let start = today + day * DAY;
            let plan: [DemoShift; 3] = [
                (
                    desk,
                    8,
                    6,
                    3,
                    "lang:uk=2 lang:pl",
                    match day % 3 {
                        0 => vec![1, 4, 7],
                        1 => vec![1, 0],
                        _ => vec![3],
                    },
                ),
                (
                    desk,
                    14,
                    6,
                    3,
                    "lang:uk=2 first-aid",
                    match day % 2 {
                        0 => vec![1, 3, 7],
                        _ => vec![7, 5],
                    },
                ),
                (
                    hall,
                    10,
                    5,
                    4,
                    "sorting=2 driving:C",
                    match day % 4 {
                        0 => vec![0, 4, 6, 2],
                        _ => vec![6, 4],
                    },
                ),
            ];
            for (place, hour, hours, head_count, need, signed) in plan {
                let input = ShiftInput {
                    place_id: place,
                    starts_at_ms: start + hour * HOUR,
                    ends_at_ms: start + (hour + hours) * HOUR,
                    head_count,
                    needs: needs(need)?,
                };
                let shift = self.create_shift(&cli, &input).await?;
                for v in signed {
                    self.sign_up(&cli, shift, Some(volunteers[v])).await?;
                }
                count += 1;
            }
        }
        Ok(count)
    }
}

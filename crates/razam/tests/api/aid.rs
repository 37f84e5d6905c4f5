//! In-kind aid on both databases: stock never negative under concurrent dispatches, a
//! transfer keeps totals, random movement sequences against the stock model, donors
//! anonymous unless they consented, shipments that only go forward, the shipped summary,
//! who may do what, and labels whose barcode decodes back to their code.

use std::sync::Arc;

use razam_app::aid::{Donor, ItemInput, MovementInput, RecipientLink, Valuation};
use razam_app::{Actor, App, AppError};
use razam_core::Role;
use razam_core::aid::{Category, MovementKind, ShipmentStatus, StockModel, WriteOffReason};
use razam_core::barcode::{PATTERNS, QUIET_ZONE, START_B, STOP};
use razam_core::ledger::{Currency, Money};

use crate::helpers::{ADMIN, ADMIN_PASSWORD, TestApp, add_user, audit_log, spawn_app};
use crate::on_both_databases;

async fn item(a: &App, name: &str, category: Category, value: Option<i64>) -> i64 {
    let input = ItemInput {
        name: name.into(),
        category,
        unit: "pcs".into(),
        unit_value: value.map(|minor| Money::from_minor(minor, Currency::EUR)),
    };
    a.create_aid_item(&Actor::Cli, &input).await.unwrap()
}

async fn receive(a: &App, warehouse: i64, item: i64, quantity: i64) -> i64 {
    let m = MovementInput::Receipt {
        warehouse,
        item,
        quantity,
        donor: Donor::default(),
        notes: String::new(),
    };
    a.record_movement(&Actor::Cli, &m).await.unwrap()
}

async fn level(a: &App, warehouse: i64, item: i64) -> i64 {
    a.stock_levels(&Actor::Cli)
        .await
        .unwrap()
        .iter()
        .find(|l| l.warehouse_id == warehouse && l.item_id == item)
        .map_or(0, |l| l.quantity)
}

/// How many audit entries have this action; the chain verifies.
async fn audit_actions(app: &TestApp, action: &str) -> usize {
    app.app.verify_audit(None, &|_| {}).await.unwrap();
    audit_log(app).await.iter().filter(|(_, a, _)| a == action).count()
}

async fn concurrent_dispatches_never_take_stock_below_zero(app: TestApp) {
    let a: Arc<App> = app.app.clone();
    let cli = Actor::Cli;
    let boots = item(&a, "Winter boots", Category::Footwear, None).await;
    let w = a.create_warehouse(&cli, "Vilnius hall", "Vilnius").await.unwrap();
    receive(&a, w, boots, 10).await;
    let shipment = a.create_shipment(&cli, None).await.unwrap();
    // 25 dispatches of one pair each race for 10 pairs.
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move {
                let m = MovementInput::Dispatch {
                    from: w,
                    shipment,
                    item: boots,
                    quantity: 1,
                };
                a.record_movement(&Actor::Cli, &m).await
            })
        })
        .collect();
    let mut done = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => done += 1,
            Err(AppError::BadInput(msg)) => {
                assert!(
                    msg.contains("not enough Winter boots in Vilnius hall: 0 pcs in stock, 1 asked"),
                    "{msg}"
                );
                refused += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((done, refused), (10, 15));
    assert_eq!(level(&a, w, boots).await, 0);
    let (s, dispatched) = a.shipment(&cli, shipment).await.unwrap();
    assert_eq!((s.items, dispatched.len()), (10, 10));
    // Each movement has its audit entry, none for the refused ones.
    assert_eq!(audit_actions(&app, "aid.dispatch").await, 10);
    // A larger dispatch than the level is refused whole.
    receive(&a, w, boots, 3).await;
    let big = MovementInput::Dispatch {
        from: w,
        shipment,
        item: boots,
        quantity: 4,
    };
    let e = a.record_movement(&cli, &big).await.unwrap_err().to_string();
    assert!(e.contains("3 pcs in stock, 4 asked; nothing was recorded"), "{e}");
    assert_eq!(level(&a, w, boots).await, 3);
    assert_eq!(a.shipment(&cli, shipment).await.unwrap().0.items, 10);
}
on_both_databases!(concurrent_dispatches_never_take_stock_below_zero);

async fn movements_keep_totals_value_and_keep_donors_anonymous(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let cans = item(a, "Canned beans", Category::Food, Some(150)).await;
    let coats = item(a, "Warm coat", Category::Clothing, None).await;
    let vilnius = a.create_warehouse(&cli, "Vilnius hall", "Vilnius").await.unwrap();
    let warsaw = a.create_warehouse(&cli, "Warsaw depot", "Warsaw").await.unwrap();
    assert!(matches!(
        a.create_warehouse(&cli, "Warsaw depot", "elsewhere").await,
        Err(AppError::Conflict(_))
    ));
    let named = MovementInput::Receipt {
        warehouse: vilnius,
        item: cans,
        quantity: 120,
        donor: Donor {
            name: "Parish of St. Anne".into(),
            consented: true,
        },
        notes: "two pallets".into(),
    };
    let named = a.record_movement(&cli, &named).await.unwrap();
    let anonymous = MovementInput::Receipt {
        warehouse: vilnius,
        item: coats,
        quantity: 30,
        donor: Donor {
            name: "Someone who did not consent".into(),
            consented: false,
        },
        notes: String::new(),
    };
    let anonymous = a.record_movement(&cli, &anonymous).await.unwrap();
    let transfer = MovementInput::Transfer {
        from: vilnius,
        to: warsaw,
        item: cans,
        quantity: 50,
    };
    a.record_movement(&cli, &transfer).await.unwrap();
    assert_eq!((level(a, vilnius, cans).await, level(a, warsaw, cans).await), (70, 50));
    let too_much = MovementInput::Transfer {
        from: warsaw,
        to: vilnius,
        item: cans,
        quantity: 51,
    };
    assert!(a.record_movement(&cli, &too_much).await.is_err());
    assert_eq!(level(a, vilnius, cans).await + level(a, warsaw, cans).await, 120);
    let write_off = MovementInput::WriteOff {
        from: warsaw,
        item: cans,
        quantity: 2,
        reason: WriteOffReason::Damaged,
        notes: "dented".into(),
    };
    a.record_movement(&cli, &write_off).await.unwrap();

    let movements = a.movements(&cli, 100).await.unwrap();
    let by_id = |id: i64| movements.iter().find(|m| m.id == id).unwrap();
    assert_eq!(by_id(named).donor.as_deref(), Some("Parish of St. Anne"));
    assert_eq!(
        by_id(named).box_code.as_deref(),
        Some(format!("BOX-{named:06}").as_str())
    );
    assert_eq!(by_id(named).value, Some(Money::from_minor(18_000, Currency::EUR)));
    assert_eq!(by_id(anonymous).donor, None, "no consent, no name kept");
    assert_eq!(by_id(anonymous).value, None);
    let w = movements.iter().find(|m| m.kind == MovementKind::WriteOff).unwrap();
    assert_eq!((w.reason, w.notes.as_str()), (Some(WriteOffReason::Damaged), "dented"));

    // A shipment: packed, dispatched into, sent (then closed), delivered, never back.
    let link = RecipientLink {
        person: None,
        case: "AC-2026-017".into(),
        notes: String::new(),
    };
    let s = a.create_shipment(&cli, Some(link.clone())).await.unwrap();
    assert!(
        a.advance_shipment(&cli, s).await.is_err(),
        "an empty shipment is not sent"
    );
    for (item, quantity) in [(cans, 20), (coats, 5)] {
        let d = MovementInput::Dispatch {
            from: vilnius,
            shipment: s,
            item,
            quantity,
        };
        a.record_movement(&cli, &d).await.unwrap();
    }
    assert_eq!(a.advance_shipment(&cli, s).await.unwrap(), ShipmentStatus::Sent);
    let late = MovementInput::Dispatch {
        from: vilnius,
        shipment: s,
        item: cans,
        quantity: 1,
    };
    let e = a.record_movement(&cli, &late).await.unwrap_err().to_string();
    assert!(e.contains("has been sent"), "{e}");
    assert_eq!(a.advance_shipment(&cli, s).await.unwrap(), ShipmentStatus::Delivered);
    assert!(a.advance_shipment(&cli, s).await.is_err());
    let (view, _) = a.shipment(&cli, s).await.unwrap();
    assert_eq!(view.link, Some(link));
    assert!(view.recipient.starts_with("R-") && !view.recipient.contains("AC-2026"));
    assert_eq!(view.items, 25);

    let summary = a.aid_shipped_summary().await.unwrap();
    let cells: Vec<(Category, i64, i64)> = summary.iter().map(|c| (c.category, c.shipments, c.items)).collect();
    assert_eq!(cells, vec![(Category::Food, 1, 20), (Category::Clothing, 1, 5)]);
    assert!(summary.iter().all(|c| c.month == razam_app::today().month_key()));

    for action in [
        "aid.receipt",
        "aid.transfer",
        "aid.write_off",
        "shipment.send",
        "shipment.deliver",
    ] {
        assert!(audit_actions(&app, action).await >= 1, "{action}");
    }
}
on_both_databases!(movements_keep_totals_value_and_keep_donors_anonymous);

async fn ledger_balance(a: &App, code: &str) -> i64 {
    let account = a.ledger_account_by_code(&Actor::Cli, code).await.unwrap();
    a.ledger_balance(&Actor::Cli, account.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.minor())
        .sum()
}

async fn valued_movements_post_to_the_ledger_in_their_own_transaction(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let cans = item(a, "Canned fish", Category::Food, Some(250)).await;
    let coats = item(a, "Coat", Category::Clothing, None).await;
    let w = a.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
    let w2 = a.create_warehouse(&cli, "Depot", "Warsaw").await.unwrap();
    let post = |input: MovementInput| async move {
        a.record_movement_valued(&Actor::Cli, &input, Valuation::Post, None)
            .await
            .map(|r| r.id)
    };
    let receipt = post(MovementInput::Receipt {
        warehouse: w,
        item: cans,
        quantity: 100,
        donor: Donor::default(),
        notes: String::new(),
    })
    .await
    .unwrap();
    let s = a.create_shipment(&cli, None).await.unwrap();
    post(MovementInput::Dispatch {
        from: w,
        shipment: s,
        item: cans,
        quantity: 30,
    })
    .await
    .unwrap();
    post(MovementInput::WriteOff {
        from: w,
        item: cans,
        quantity: 4,
        reason: WriteOffReason::Expired,
        notes: String::new(),
    })
    .await
    .unwrap();
    // A transfer keeps inventory as it is: nothing is booked.
    let transfer = post(MovementInput::Transfer {
        from: w,
        to: w2,
        item: cans,
        quantity: 10,
    })
    .await
    .unwrap();
    assert_eq!(ledger_balance(a, "aid-inventory").await, (100 - 30 - 4) * 250);
    assert_eq!(ledger_balance(a, "aid-in-kind-donations").await, -100 * 250);
    assert_eq!(ledger_balance(a, "aid-given").await, 30 * 250);
    assert_eq!(ledger_balance(a, "aid-write-offs").await, 4 * 250);
    let moves = a.movements(&cli, 100).await.unwrap();
    let posted = moves.iter().find(|m| m.id == receipt).unwrap().ledger_transfer.unwrap();
    let booked = a.ledger_transfer(&cli, posted).await.unwrap();
    assert_eq!(booked.postings.len(), 2);
    assert_eq!(moves.iter().find(|m| m.id == transfer).unwrap().ledger_transfer, None);
    // A refused movement books nothing; an item without a value cannot be posted.
    let transfers_before = a.ledger_check(&cli).await.unwrap().transfers;
    let short = post(MovementInput::Dispatch {
        from: w,
        shipment: s,
        item: cans,
        quantity: 1_000,
    })
    .await;
    assert!(short.unwrap_err().to_string().contains("56 pcs in stock"));
    let unvalued = post(MovementInput::Receipt {
        warehouse: w,
        item: coats,
        quantity: 1,
        donor: Donor::default(),
        notes: String::new(),
    })
    .await;
    assert!(unvalued.unwrap_err().to_string().contains("no unit value"));
    let check = a.ledger_check(&cli).await.unwrap();
    assert_eq!(check.transfers, transfers_before);
    assert!(check.problems.is_empty(), "{:#?}", check.problems);
    assert_eq!(audit_actions(&app, "ledger.book").await, 3);
    // A coordinator may post (stock and ledger); posting needs both permissions.
    add_user(a, "vol", "vol", Role::Volunteer, "vol-password-1").await;
    let vol = Actor::Account(a.log_in("vol", "vol-password-1", None).await.unwrap().user);
    let r = a
        .record_movement_valued(
            &vol,
            &MovementInput::Receipt {
                warehouse: w,
                item: cans,
                quantity: 1,
                donor: Donor::default(),
                notes: String::new(),
            },
            Valuation::Post,
            None,
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)));
}
on_both_databases!(valued_movements_post_to_the_ledger_in_their_own_transaction);

async fn a_movement_sent_twice_with_one_key_is_recorded_once(app: TestApp) {
    let a: Arc<App> = app.app.clone();
    let cli = Actor::Cli;
    let cans = item(&a, "Canned peas", Category::Food, Some(200)).await;
    let w = a.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
    receive(&a, w, cans, 10).await;
    let shipment = a.create_shipment(&cli, None).await.unwrap();
    let dispatch = MovementInput::Dispatch {
        from: w,
        shipment,
        item: cans,
        quantity: 6,
    };
    let books_before = audit_actions(&app, "ledger.book").await;
    // Two sends at once with the same key (a double click), then a third after the first
    // answer was lost: one dispatch, one booking, one audit entry, the same id each time.
    let send = |key: &'static str| {
        let (a, dispatch) = (a.clone(), dispatch.clone());
        async move {
            a.record_movement_valued(&Actor::Cli, &dispatch, Valuation::Post, Some(key))
                .await
        }
    };
    // The third send comes when the warehouse holds 4, fewer than the 6 asked: still no
    // error, since nothing new is taken.
    crate::helpers::sent_twice_at_once_and_again(&send).await;
    assert_eq!(level(&a, w, cans).await, 4);
    assert_eq!(ledger_balance(&a, "aid-given").await, 6 * 200);
    assert_eq!(audit_actions(&app, "aid.dispatch").await, 1);
    assert_eq!(audit_actions(&app, "ledger.book").await, books_before + 1);
    let moves = a.movements(&cli, 100).await.unwrap();
    assert_eq!(moves.iter().filter(|m| m.kind == MovementKind::Dispatch).count(), 1);
    // Another key is another movement (here refused: only 4 are left), and without a key
    // every call records one.
    let e = send("form-2").await.unwrap_err().to_string();
    assert!(e.contains("not enough"), "{e}");
    receive(&a, w, cans, 1).await;
    receive(&a, w, cans, 1).await;
    assert_eq!(level(&a, w, cans).await, 6);
    // Keys are 1 to 200 characters; nothing is written for a refused one.
    for bad in ["", &"k".repeat(201)] {
        let e = a
            .record_movement_valued(&cli, &dispatch, Valuation::Record, Some(bad))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("idempotency key"), "{e}");
    }
    assert_eq!(level(&a, w, cans).await, 6);
}
on_both_databases!(a_movement_sent_twice_with_one_key_is_recorded_once);

/// A small deterministic generator, so that a failing sequence can be replayed.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn random_movement_sequences_match_the_stock_model(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let items = [
        item(a, "Rice", Category::Food, None).await,
        item(a, "Soap", Category::Hygiene, None).await,
    ];
    let warehouses = [
        a.create_warehouse(&cli, "A", "Vilnius").await.unwrap(),
        a.create_warehouse(&cli, "B", "Warsaw").await.unwrap(),
        a.create_warehouse(&cli, "C", "Kraków").await.unwrap(),
    ];
    let shipment = a.create_shipment(&cli, None).await.unwrap();
    let mut model = StockModel::default();
    let mut rng = Lcg(0x5eed_2026);
    let (mut refused, mut recorded) = (0, 0);
    for _ in 0..300 {
        let w = warehouses[rng.below(3) as usize];
        let w2 = warehouses[rng.below(3) as usize];
        let i = items[rng.below(2) as usize];
        let q = 1 + rng.below(40) as i64;
        let (input, expected) = match rng.below(4) {
            0 => {
                model.receive(w, i, q);
                let m = MovementInput::Receipt {
                    warehouse: w,
                    item: i,
                    quantity: q,
                    donor: Donor::default(),
                    notes: String::new(),
                };
                (m, Ok(()))
            }
            1 if w != w2 => (
                MovementInput::Transfer {
                    from: w,
                    to: w2,
                    item: i,
                    quantity: q,
                },
                model.transfer(w, w2, i, q),
            ),
            2 => (
                MovementInput::Dispatch {
                    from: w,
                    shipment,
                    item: i,
                    quantity: q,
                },
                model.take(w, i, q),
            ),
            _ => (
                MovementInput::WriteOff {
                    from: w,
                    item: i,
                    quantity: q,
                    reason: WriteOffReason::Expired,
                    notes: String::new(),
                },
                model.take(w, i, q),
            ),
        };
        let got = a.record_movement(&cli, &input).await;
        assert_eq!(got.is_ok(), expected.is_ok(), "{input:?}: {got:?}");
        if let Err(short) = expected {
            let msg = got.unwrap_err().to_string();
            assert!(msg.contains(&format!(": {} pcs in stock", short.available)), "{msg}");
            refused += 1;
        } else {
            recorded += 1;
        }
    }
    assert!(
        refused > 20 && recorded > 150,
        "the sequence exercises both ({refused}, {recorded})"
    );
    for l in a.stock_levels(&cli).await.unwrap() {
        assert!(l.quantity >= 0);
        assert_eq!(l.quantity, model.level(l.warehouse_id, l.item_id), "{l:?}");
    }
    assert_eq!(a.movements(&cli, 10_000).await.unwrap().len(), recorded);
}
on_both_databases!(random_movement_sequences_match_the_stock_model);

async fn only_coordinators_and_admins_touch_stock(app: TestApp) {
    let a = &app.app;
    for (name, role) in [
        ("coord", Role::Coordinator),
        ("vol", Role::Volunteer),
        ("doc", Role::Documenter),
        ("viewer", Role::Viewer),
    ] {
        add_user(a, name, name, role, &format!("{name}-password-1")).await;
    }
    let actor = |name: &'static str| async move {
        Actor::Account(a.log_in(name, &format!("{name}-password-1"), None).await.unwrap().user)
    };
    let coord = actor("coord").await;
    let boots = a
        .create_aid_item(
            &coord,
            &ItemInput {
                name: "Boots".into(),
                category: Category::Footwear,
                unit: "pair".into(),
                unit_value: None,
            },
        )
        .await
        .unwrap();
    let w = a.create_warehouse(&coord, "Hall", "Vilnius").await.unwrap();
    let receipt = MovementInput::Receipt {
        warehouse: w,
        item: boots,
        quantity: 5,
        donor: Donor::default(),
        notes: String::new(),
    };
    a.record_movement(&coord, &receipt).await.unwrap();
    for name in ["vol", "doc", "viewer"] {
        let who = actor(name).await;
        assert!(
            matches!(a.record_movement(&who, &receipt).await, Err(AppError::Forbidden)),
            "{name}"
        );
        assert!(matches!(a.stock_levels(&who).await, Err(AppError::Forbidden)), "{name}");
        assert!(
            matches!(a.create_shipment(&who, None).await, Err(AppError::Forbidden)),
            "{name}"
        );
    }
    assert_eq!(level(a, w, boots).await, 5);
}
on_both_databases!(only_coordinators_and_admins_touch_stock);

/// Reads the bars back from the SVG: each `<rect x= width=>` after the background is a bar,
/// the gaps between them are spaces, all in modules.
fn widths_from_svg(svg: &str) -> Vec<u32> {
    let mut bars = Vec::new();
    for rect in svg.split("<rect ").skip(2) {
        let attr = |name: &str| -> u32 {
            let at = rect.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            rect[at..].split('"').next().unwrap().parse().unwrap()
        };
        bars.push((attr("x"), attr("width")));
    }
    let mut widths = Vec::new();
    for (i, (x, w)) in bars.iter().enumerate() {
        if i > 0 {
            let (px, pw) = bars[i - 1];
            widths.push(x - px - pw);
        }
        widths.push(*w);
    }
    assert_eq!(
        bars.first().map(|b| b.0),
        Some(QUIET_ZONE as u32),
        "the quiet zone before the bars"
    );
    widths
}

/// Decodes Code 128 set B from element widths: checks the start, the checksum and the stop.
fn decode(widths: &[u32]) -> String {
    let pattern = |ws: &[u32]| ws.iter().map(|w| char::from(b'0' + *w as u8)).collect::<String>();
    let value_of = |p: &str| {
        PATTERNS
            .iter()
            .position(|q| *q == p)
            .unwrap_or_else(|| panic!("no symbol {p}"))
    };
    assert_eq!(widths.len() % 6, 1, "symbols of six elements and a seven-element stop");
    let symbols = (widths.len() - 7) / 6;
    let values: Vec<usize> = (0..symbols)
        .map(|s| value_of(&pattern(&widths[s * 6..s * 6 + 6])))
        .collect();
    assert_eq!(value_of(&pattern(&widths[symbols * 6..])), STOP);
    assert_eq!(values[0], START_B);
    let (data, check) = values[1..].split_at(values.len() - 2);
    let sum = START_B + data.iter().enumerate().map(|(i, v)| (i + 1) * v).sum::<usize>();
    assert_eq!(sum % 103, check[0], "checksum");
    data.iter().map(|v| char::from((v + 32) as u8)).collect()
}

#[tokio::test]
async fn labels_print_their_code_large_and_as_a_barcode_that_decodes_back() {
    let app = spawn_app().await;
    let a = &app.app;
    let cli = Actor::Cli;
    let coats = item(a, "Warm coat", Category::Clothing, None).await;
    let w = a.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
    let box_id = receive(a, w, coats, 12).await;
    let s = a.create_shipment(&cli, None).await.unwrap();
    let c = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    for code in [format!("SHP-{s:06}"), format!("BOX-{box_id:06}")] {
        let (status, page) = app.get(&c, &format!("/aid/labels/{code}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(&format!("<p class=\"label-code\">{code}</p>")), "{page}");
        assert!(
            page.contains("@media print") || page.contains("label-sheet"),
            "printable"
        );
        assert!(!page.contains("<script"), "no script");
        let at = page.find("<svg").unwrap();
        let svg = &page[at..at + page[at..].find("</svg>").unwrap()];
        assert_eq!(decode(&widths_from_svg(svg)), code);
    }
    let (status, _) = app.get(&c, "/aid/labels/NOPE-1").await;
    assert_eq!(status, 400);
    // Someone who may not manage stock gets no label.
    add_user(a, "vol", "vol", Role::Volunteer, "vol-password-1").await;
    let v = app.logged_in_client("vol", "vol-password-1").await;
    let (status, _) = app.get(&v, &format!("/aid/labels/SHP-{s:06}")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_api_and_the_pages_record_movements_and_show_the_coverage() {
    let app = spawn_app().await;
    let a = &app.app;
    let cli = Actor::Cli;
    let soap = item(a, "Soap", Category::Hygiene, Some(90)).await;
    let w = a.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
    let token = crate::api::token_for(&app, "coord", Role::Coordinator).await;
    let http = reqwest::Client::new();
    let post = |body: serde_json::Value| {
        http.post(app.url("/api/v1/aid/movements"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let get = |path: &str| http.get(app.url(&format!("/api/v1{path}"))).bearer_auth(&token).send();
    let r = post(serde_json::json!({"kind": "receipt", "item": soap, "quantity": 40, "to": w}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = post(serde_json::json!({"kind": "write-off", "item": soap, "quantity": 41, "from": w, "reason": "lost"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("40 pcs in stock, 41 asked"),
        "{e}"
    );
    let r = post(serde_json::json!({"kind": "transfer", "item": soap, "quantity": 1, "from": w}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["fields"]["to"], "required for this kind of movement");
    let stock: serde_json::Value = get("/aid/stock").await.unwrap().json().await.unwrap();
    assert_eq!(stock["levels"][0]["quantity"], 40);
    assert_eq!(stock["levels"][0]["category"], "hygiene");
    let moves: serde_json::Value = get("/aid/movements").await.unwrap().json().await.unwrap();
    assert_eq!(moves["movements"][0]["value"]["minor"], 3600);
    assert_eq!(moves["movements"][0]["donor"], serde_json::Value::Null);
    // A client's retry with the same key records once: 201, then 200 naming the same one.
    let keyed = serde_json::json!({"kind": "receipt", "item": soap, "quantity": 5, "to": w, "idempotency_key": "r-1"});
    let r = post(keyed.clone()).await.unwrap();
    assert_eq!(r.status(), 201);
    let made: serde_json::Value = r.json().await.unwrap();
    let r = post(keyed).await.unwrap();
    assert_eq!(r.status(), 200);
    let again: serde_json::Value = r.json().await.unwrap();
    assert_eq!((&again["id"], &again["new"]), (&made["id"], &serde_json::json!(false)));
    assert_eq!(level(a, w, soap).await, 45);
    // The page's movement form carries a fresh key: the same form sent twice records once,
    // a form opened again records anew.
    let c = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, page) = app.get(&c, "/aid").await;
    let key_of = |page: &str| {
        let marker = "name=\"key\" value=\"";
        let at = page.find(marker).expect("the movement form has a key") + marker.len();
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    };
    let key = key_of(&page);
    assert_eq!(key.len(), 32, "{key}");
    let (item_id, to) = (soap.to_string(), w.to_string());
    let fields = [
        ("kind", "receipt"),
        ("item", item_id.as_str()),
        ("quantity", "3"),
        ("to", to.as_str()),
        ("key", key.as_str()),
    ];
    for _ in 0..2 {
        let r = app.post_form(&c, "/aid/movements", &page, &fields).await;
        assert_eq!(r.status(), 303);
    }
    assert_eq!(level(a, w, soap).await, 48);
    let (_, page) = app.get(&c, "/aid").await;
    assert_ne!(key_of(&page), key, "each form gets its own key");

    // A shift short of a Ukrainian speaker, through the pages, shows in the API's coverage.
    let c = app.logged_in_client(ADMIN, ADMIN_PASSWORD).await;
    let (_, page) = app.get(&c, "/volunteers").await;
    let r = app
        .post_form(
            &c,
            "/volunteers/places",
            &page,
            &[("name", "Help desk, Vilnius station"), ("description", "hall")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&c, "/volunteers").await;
    let place = a.places(&cli).await.unwrap()[0].id.to_string();
    let tomorrow = razam_app::today().days_since_epoch() + 1;
    let day = razam_core::registry::Day::from_days_since_epoch(tomorrow).unwrap();
    let shift_ending = |end: &'static str| {
        let (app, c, page, place) = (&app, &c, &page, &place);
        async move {
            let (starts, ends) = (format!("{day} 08:00"), format!("{day} {end}"));
            let fields = [
                ("place", place.as_str()),
                ("starts", starts.as_str()),
                ("ends", ends.as_str()),
                ("head_count", "2"),
                ("needs", "lang:uk=2"),
            ];
            app.post_form(c, "/volunteers/shifts", page, &fields).await
        }
    };
    let r = shift_ending("25:00").await;
    assert_eq!(r.status(), 422, "a bad time is refused and named");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("`{day} 25:00` is not a time"))
    );
    let r = shift_ending("14:00").await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &c,
            "/volunteers",
            &page,
            &[("name", "Olena"), ("skills", "lang:uk lang:ru"), ("account", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&c, "/volunteers").await;
    let shift = a.shifts(&cli, razam_app::now_ms(), 7).await.unwrap()[0].id;
    let olena = a.volunteers(&cli).await.unwrap()[0].id.to_string();
    let r = app
        .post_form(
            &c,
            &format!("/volunteers/shifts/{shift}/sign-up"),
            &page,
            &[("volunteer", olena.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&c, "/volunteers").await;
    assert!(page.contains("lang:uk × 1"), "{page}");
    let cov: serde_json::Value = get("/shifts/coverage?days=3").await.unwrap().json().await.unwrap();
    assert_eq!(cov["uncovered"][0]["missing"]["lang:uk"], 1);
    assert_eq!(cov["uncovered"][0]["open_places"], 1);
    assert_eq!(cov["uncovered"][0]["volunteers"][0]["name"], "Olena");
    // The stock page lists the level; no page needs a script.
    let (status, page) = app.get(&c, "/aid").await;
    assert_eq!(status, 200);
    assert!(page.contains("<td>Hall</td><td>Soap</td><td>48 pcs</td>"), "{page}");
    assert!(!page.contains("<script"));
}

#[tokio::test]
async fn the_demo_has_stock_shipments_in_every_state_and_short_shifts() {
    let dir = tempfile::tempdir().unwrap();
    let app = razam_app::demo::prepare(&dir.path().join("demo"), &razam_app::config::Overrides::default())
        .await
        .unwrap();
    let cli = Actor::Cli;
    assert_eq!(app.warehouses(&cli).await.unwrap().len(), 2);
    assert_eq!(app.aid_items(&cli).await.unwrap().len(), 8);
    let levels = app.stock_levels(&cli).await.unwrap();
    assert!(levels.iter().all(|l| l.quantity >= 0) && levels.iter().any(|l| l.quantity > 0));
    let mut states: Vec<ShipmentStatus> = app.shipments(&cli).await.unwrap().iter().map(|s| s.status).collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(states, ShipmentStatus::ALL.to_vec());
    let moves = app.movements(&cli, 1_000).await.unwrap();
    assert!(
        moves.iter().any(|m| m.donor.is_some())
            && moves
                .iter()
                .any(|m| m.kind == MovementKind::Receipt && m.donor.is_none())
    );
    assert!(
        moves
            .iter()
            .filter(|m| m.kind != MovementKind::Transfer)
            .all(|m| m.ledger_transfer.is_some())
    );
    assert!(app.ledger_check(&cli).await.unwrap().problems.is_empty());
    let summary = app.aid_shipped_summary().await.unwrap();
    assert!(summary.iter().map(|c| c.shipments).sum::<i64>() >= 4);
    let shifts = app.shifts(&cli, razam_app::now_ms(), 8).await.unwrap();
    assert_eq!(shifts.len(), 21);
    assert!(shifts.iter().any(|s| !s.coverage.is_covered()) && shifts.iter().any(|s| s.coverage.is_covered()));
    // The demo volunteer signs up as themselves and sees the shifts without names.
    let marta = Actor::Account(app.log_in("marta", "demo-password-marta", None).await.unwrap().user);
    let seen = app.shifts(&marta, razam_app::now_ms(), 8).await.unwrap();
    assert!(seen.iter().any(|s| s.mine) && seen.iter().all(|s| s.volunteers.is_empty()));
    app.close().await;
}

/// Aid shipped in the public report (page, CSV, HXL CSV, JSON): a single shipment to one
/// recipient shows neither its units nor its recipient anywhere, nor a total that gives them
/// back; five shipments of a category in a month are shown with their units.
async fn the_public_report_shows_aid_shipped_and_never_a_single_shipment(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let w = a.create_warehouse(&cli, "Vilnius hall", "Vilnius").await.unwrap();
    let boots = item(a, "Winter boots", Category::Footwear, None).await;
    let cans = item(a, "Canned beans", Category::Food, None).await;
    receive(a, w, boots, 1_000).await;
    receive(a, w, cans, 1_000).await;
    let ship = async |item: i64, quantity: i64, case: &str| {
        let link = RecipientLink {
            person: None,
            case: case.into(),
            notes: String::new(),
        };
        let s = a.create_shipment(&cli, Some(link)).await.unwrap();
        let d = MovementInput::Dispatch {
            from: w,
            shipment: s,
            item,
            quantity,
        };
        a.record_movement(&cli, &d).await.unwrap();
        assert_eq!(a.advance_shipment(&cli, s).await.unwrap(), ShipmentStatus::Sent);
    };
    // One recipient gets one shipment of 37 pairs of boots; five get cans, 11 each.
    ship(boots, 37, "AC-LONE-001").await;
    for n in 0..5 {
        ship(cans, 11, &format!("AC-CANS-{n:03}")).await;
    }
    let month = razam_app::today().month_key();
    let report = a.transparency_report().await.unwrap();
    let row = |category: &str, month: &str| {
        report
            .aid
            .iter()
            .find(|r| r.category == category && r.month == month)
            .unwrap()
            .clone()
    };
    let lone = row("footwear", &month);
    assert_eq!((lone.shipments, lone.units), (None, None));
    let food = row("food", &month);
    assert_eq!((food.shipments, food.units), (Some(5), Some(55)));
    // The month's, the category's and the grand total would give the 37 back: hidden.
    for (category, m) in [("total", month.as_str()), ("footwear", "total"), ("total", "total")] {
        assert!(row(category, m).suppressed(), "{category} {m}");
    }
    assert!(report.aid.iter().all(|r| r.shipments.is_none_or(|n| n >= 5)));

    let visitor = crate::helpers::client();
    for path in [
        "/transparency",
        "/transparency.csv",
        "/transparency.hxl.csv",
        "/api/v1/transparency",
    ] {
        let (status, page) = app.get(&visitor, path).await;
        assert_eq!(status, 200, "{path}");
        // The page's own section (a form token elsewhere on it may hold any digits).
        let body = match (page.find("id=\"aid-shipped\""), page.find("<small>")) {
            (Some(from), Some(to)) if path == "/transparency" => &page[from..to],
            _ => page.as_str(),
        };
        for secret in ["37", "92", "AC-LONE", "AC-CANS", "R-"] {
            assert!(!body.contains(secret), "{path} shows {secret}: {body}");
        }
        assert!(body.contains("55"), "{path}: {body}");
    }
    let (_, hxl) = app.get(&visitor, "/transparency.hxl.csv").await;
    let tags = hxl.lines().nth(1).unwrap();
    assert!(
        tags.ends_with(",#item+type,#output+shipments+num,#output+units+num"),
        "{tags}"
    );
    assert!(hxl.lines().any(|l| l == format!("{month},,,,,,,,food,5,55")), "{hxl}");
    assert!(
        hxl.lines().any(|l| l == format!("{month},,,,,,,yes,footwear,,")),
        "{hxl}"
    );
}
on_both_databases!(the_public_report_shows_aid_shipped_and_never_a_single_shipment);

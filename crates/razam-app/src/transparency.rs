//! The public transparency report (issue 6, item 7): money in by campaign and money out by
//! category of assistance, per month and currency, read from the ledger and published under
//! the rules of [`razam_core::transparency`]: cells of 1 to 4 payments hidden with their
//! amounts, more cells hidden where a published total would give one back, no case reference,
//! name or single payment ever shown.
//!
//! Money in is shown per public campaign (by its code); campaigns not marked public are
//! added up in one line, `other`, so that a code nobody published never appears. A public
//! campaign's total over the months is on its own page anyway, so that total is never hidden
//! here (a forced group). Money out is shown per category (legal aid, parcels to prison, …);
//! nothing about a case reaches this report but its category, month, currency and amount.
//!
//! Aid shipped is a third table: shipments and units per month and item category, under the
//! same rules (a cell of 1 to 4 shipments is hidden with its units), so that no recipient of
//! a shipment can be picked out. Every table goes through one function, [`publish_table`].

use std::collections::{BTreeMap, BTreeSet};

use razam_core::assistance::Category;
use razam_core::ledger::{Currency, format_minor};
use razam_core::registry::PublicCount;
use razam_core::transparency::{Cell, Group, suppress};
use serde::Serialize;

use crate::aid::ShippedSummary;
use crate::{App, AppError};

/// Which way money went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Donations to campaigns.
    In,
    /// Assistance paid.
    Out,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::In => "in",
            Flow::Out => "out",
        }
    }
}

/// The line of money in that stands for every campaign not marked public.
pub const OTHER_CAMPAIGNS: &str = "other";
/// The month or line of a total row.
pub const TOTAL: &str = "total";

/// One row of the report: a cell or a total. `count` and `amount` are `None` when suppressed;
/// a public campaign's total keeps its amount (on its page anyway) and hides a count of 1 to 4,
/// as its page does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub flow: Flow,
    /// `YYYY-MM`, or `total` for a line's total over the months.
    pub month: String,
    /// A campaign code or `other` (money in), a category (money out), or `total`.
    pub line: String,
    pub currency: String,
    pub count: Option<i64>,
    /// Decimal text in the currency's units.
    pub amount: Option<String>,
}

impl ReportRow {
    pub fn suppressed(&self) -> bool {
        self.amount.is_none()
    }
}

/// One row of aid shipped: a month and item category, or a total. `shipments` and `units` are
/// `None` when suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AidRow {
    /// `YYYY-MM`, or `total`.
    pub month: String,
    /// An item category (`food`, `clothing`, …), or `total`.
    pub category: String,
    pub shipments: Option<i64>,
    pub units: Option<i64>,
}

impl AidRow {
    pub fn suppressed(&self) -> bool {
        self.units.is_none()
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct TransparencyReport {
    /// The day it was computed (UTC).
    pub as_of: String,
    pub rows: Vec<ReportRow>,
    /// Aid shipped per month and item category.
    pub aid: Vec<AidRow>,
}

/// A cell before suppression: flow, currency, month, line → (count, minor units).
type Cells = BTreeMap<(Flow, String, String, String), (i64, i64)>;

impl App {
    /// The report as it may be published. Needs no login: it names nobody.
    pub async fn transparency_report(&self) -> Result<TransparencyReport, AppError> {
        let mut cells: Cells = BTreeMap::new();
        // Money in: each campaign's income account.
        let campaigns = self.store.campaigns().await?;
        let mut public_lines: BTreeSet<String> = BTreeSet::new();
        let mut line_of: BTreeMap<i64, (Flow, String)> = BTreeMap::new();
        for c in &campaigns {
            let line = if c.public {
                public_lines.insert(c.code.clone());
                c.code.clone()
            } else {
                OTHER_CAMPAIGNS.to_owned()
            };
            line_of.insert(c.account_id, (Flow::In, line));
        }
        // Money out: the expense account of each category and currency.
        for account in self.store.ledger_accounts().await? {
            if let Some(rest) = account.code.strip_prefix("assistance-")
                && let Some(category) = Category::ALL
                    .into_iter()
                    .find(|c| rest.strip_prefix(c.as_str()).is_some_and(|tail| tail.starts_with('-')))
            {
                line_of.insert(account.id, (Flow::Out, category.as_str().to_owned()));
            }
        }
        let accounts: Vec<i64> = line_of.keys().copied().collect();
        for f in self.store.monthly_flows(&accounts).await? {
            let Some((flow, line)) = line_of.get(&f.account_id) else {
                continue;
            };
            // Income is posted as credits (negative); expenses as debits.
            let amount = if *flow == Flow::In { -f.amount } else { f.amount };
            let cell = cells
                .entry((*flow, f.currency.clone(), f.month.clone(), line.clone()))
                .or_default();
            cell.0 += f.count;
            cell.1 += amount;
        }
        Ok(TransparencyReport {
            as_of: crate::today().to_string(),
            rows: publish(&cells, &public_lines),
            aid: publish_aid(&self.aid_shipped_summary().await?),
        })
    }
}

/// One published cell or total of a table: its month (or `total`), its line (or `total`), its
/// count and its measure, each `None` when suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Published {
    month: String,
    line: String,
    count: Option<i64>,
    measure: Option<i64>,
}

/// One table of the report: cells by month and line, each holding a count (payments,
/// shipments) and a measure (an amount, units). Published with each line's total over the
/// months, each month's total over the lines and the grand total, under the suppression of
/// [`razam_core::transparency::suppress`]: whatever the table holds, the same rules. A line
/// that `forced` names has its total public anyway (a public campaign's page shows it).
fn publish_table<'a>(
    entries: impl IntoIterator<Item = (&'a String, &'a String, Cell)>,
    forced: &dyn Fn(&str) -> bool,
) -> Vec<Published> {
    let table: Vec<(&String, &String, Cell)> = entries.into_iter().collect();
    let months: BTreeSet<&String> = table.iter().map(|(m, _, _)| *m).collect();
    let lines: BTreeSet<&String> = table.iter().map(|(_, l, _)| *l).collect();
    let core_cells: Vec<Cell> = table.iter().map(|(_, _, cell)| *cell).collect();
    let members = |pred: &dyn Fn(&String, &String) -> bool| -> Vec<usize> {
        table
            .iter()
            .enumerate()
            .filter(|(_, (m, l, _))| pred(m, l))
            .map(|(i, _)| i)
            .collect()
    };
    // Groups: each line over the months, each month over the lines, everything.
    let mut groups: Vec<(String, String, Group)> = Vec::new();
    for line in &lines {
        groups.push((
            TOTAL.to_owned(),
            (*line).clone(),
            Group {
                cells: members(&|_, l| l == *line),
                forced: forced(line),
            },
        ));
    }
    for month in &months {
        groups.push((
            (*month).clone(),
            TOTAL.to_owned(),
            Group {
                cells: members(&|m, _| m == *month),
                forced: false,
            },
        ));
    }
    groups.push((
        TOTAL.to_owned(),
        TOTAL.to_owned(),
        Group {
            cells: (0..table.len()).collect(),
            forced: false,
        },
    ));
    let plain: Vec<Group> = groups.iter().map(|(_, _, g)| g.clone()).collect();
    let hidden = suppress(&core_cells, &plain);
    let published = |month: &str, line: &str, cell: Cell, hide: bool| Published {
        month: month.to_owned(),
        line: line.to_owned(),
        count: (!hide && PublicCount::of(cell.count) != PublicCount::Suppressed).then_some(cell.count),
        measure: (!hide).then_some(cell.amount),
    };
    let mut out = Vec::with_capacity(table.len() + groups.len());
    for (i, (month, line, cell)) in table.iter().enumerate() {
        out.push(published(month, line, *cell, hidden.cells[i]));
    }
    for (g, (month, line, group)) in groups.iter().enumerate() {
        let total = group.cells.iter().fold(Cell { count: 0, amount: 0 }, |t, &i| Cell {
            count: t.count + core_cells[i].count,
            amount: t.amount + core_cells[i].amount,
        });
        out.push(published(month, line, total, hidden.groups[g]));
    }
    out
}

/// Lays the money cells out per flow and currency, one table each.
fn publish(cells: &Cells, public_lines: &BTreeSet<String>) -> Vec<ReportRow> {
    let tables: BTreeSet<(Flow, String)> = cells.keys().map(|(f, c, _, _)| (*f, c.clone())).collect();
    let mut rows = Vec::new();
    for (flow, currency) in tables {
        let exponent = Currency::parse(&currency).map_or(2, Currency::exponent);
        let entries = cells
            .iter()
            .filter(|((f, c, _, _), _)| *f == flow && *c == currency)
            .map(|((_, _, month, line), (count, amount))| {
                (
                    month,
                    line,
                    Cell {
                        count: *count,
                        amount: *amount,
                    },
                )
            });
        let forced = |line: &str| flow == Flow::In && public_lines.contains(line);
        for p in publish_table(entries, &forced) {
            rows.push(ReportRow {
                flow,
                month: p.month,
                line: p.line,
                currency: currency.clone(),
                count: p.count,
                amount: p.measure.map(|minor| format_minor(minor, exponent)),
            });
        }
    }
    rows
}

/// Lays aid shipped out as one table: shipments (the count) and units (the measure) per month
/// and item category. A shipment holding two categories counts once in each; a total is the
/// sum of its cells.
fn publish_aid(summary: &[ShippedSummary]) -> Vec<AidRow> {
    let cells: Vec<(String, String, Cell)> = summary
        .iter()
        .map(|s| {
            (
                s.month.clone(),
                s.category.as_str().to_owned(),
                Cell {
                    count: s.shipments,
                    amount: s.items,
                },
            )
        })
        .collect();
    publish_table(cells.iter().map(|(m, l, c)| (m, l, *c)), &|_| false)
        .into_iter()
        .map(|p| AidRow {
            month: p.month,
            category: p.line,
            shipments: p.count,
            units: p.measure,
        })
        .collect()
}

/// The report as CSV; with `hxl`, the HXL hashtag row under the header. The tags (HXL 1.1
/// dictionary and the attributes HXL tools use): `#date+month`, `#activity+code` for the
/// campaign, `#sector` for the category of assistance, `#currency`, `#value+income` for
/// money in and `#value+expenditure` for money out (one of the two per row), `#meta+count`
/// for the number of payments, as HXL tools name a count, and `#meta+suppressed`. Aid rows
/// fill the last three columns instead: `#item+type` for the item category,
/// `#output+shipments+num` and `#output+units+num`. A suppressed row leaves its numbers
/// empty and says `yes` in `suppressed`.
pub fn to_csv(report: &TransparencyReport, hxl: bool) -> Result<Vec<u8>, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, record: &[&str]| {
        out.write_record(record)
            .map_err(|e| AppError::Vault(format!("writing the report: {e}")))
    };
    write(
        &mut out,
        &[
            "month",
            "campaign",
            "category",
            "currency",
            "money_in",
            "money_out",
            "payments",
            "suppressed",
            "item_category",
            "shipments",
            "units",
        ],
    )?;
    if hxl {
        write(
            &mut out,
            &[
                "#date+month",
                "#activity+code",
                "#sector",
                "#currency",
                "#value+income",
                "#value+expenditure",
                "#meta+count",
                "#meta+suppressed",
                "#item+type",
                "#output+shipments+num",
                "#output+units+num",
            ],
        )?;
    }
    let number = |n: Option<i64>| n.map(|c| c.to_string()).unwrap_or_default();
    let flag = |suppressed: bool| if suppressed { "yes" } else { "" };
    for r in &report.rows {
        let amount = r.amount.as_deref().unwrap_or("");
        let (campaign, category, money_in, money_out) = match r.flow {
            Flow::In => (r.line.as_str(), "", amount, ""),
            Flow::Out => ("", r.line.as_str(), "", amount),
        };
        write(
            &mut out,
            &[
                &r.month,
                campaign,
                category,
                &r.currency,
                money_in,
                money_out,
                &number(r.count),
                flag(r.suppressed()),
                "",
                "",
                "",
            ],
        )?;
    }
    for r in &report.aid {
        write(
            &mut out,
            &[
                &r.month,
                "",
                "",
                "",
                "",
                "",
                "",
                flag(r.suppressed()),
                &r.category,
                &number(r.shipments),
                &number(r.units),
            ],
        )?;
    }
    out.into_inner()
        .map_err(|e| AppError::Vault(format!("writing the report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(entries: &[(Flow, &str, &str, i64, i64)]) -> Cells {
        entries
            .iter()
            .map(|(f, month, line, n, a)| ((*f, "EUR".to_owned(), month.to_string(), line.to_string()), (*n, *a)))
            .collect()
    }

    #[test]
    fn a_small_category_month_hides_its_amount_and_the_totals_that_would_give_it_back() {
        let c = cells(&[
            (Flow::Out, "2025-01", "legal-aid", 2, 80_000),
            (Flow::Out, "2025-01", "medical", 9, 300_000),
            (Flow::Out, "2025-02", "legal-aid", 7, 200_000),
            (Flow::Out, "2025-02", "medical", 12, 500_000),
        ]);
        let rows = publish(&c, &BTreeSet::new());
        let cell = |m: &str, l: &str| rows.iter().find(|r| r.month == m && r.line == l).unwrap();
        assert_eq!(cell("2025-01", "legal-aid").amount, None);
        assert_eq!(cell("2025-01", "legal-aid").count, None);
        // Its month total, its category total and the grand total would each give it back.
        assert!(cell("2025-01", "total").suppressed() && cell("total", "legal-aid").suppressed());
        assert!(cell("total", "total").suppressed());
        assert_eq!(cell("2025-02", "medical").count, Some(12));
        assert!(rows.iter().all(|r| r.count.is_none_or(|n| n == 0 || n >= 5)));
    }

    #[test]
    fn the_hxl_csv_has_its_hashtag_row_under_the_header() {
        let report = TransparencyReport {
            as_of: "2025-03-01".into(),
            rows: publish(
                &cells(&[(Flow::In, "2025-01", "WINTER24", 6, 120_000)]),
                &BTreeSet::from(["WINTER24".to_owned()]),
            ),
            aid: publish_aid(&[ShippedSummary {
                month: "2025-01".into(),
                category: razam_core::aid::Category::Food,
                shipments: 7,
                items: 240,
            }]),
        };
        let text = String::from_utf8(to_csv(&report, true).unwrap()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("month,campaign,category"));
        assert_eq!(
            lines.next().unwrap(),
            "#date+month,#activity+code,#sector,#currency,#value+income,#value+expenditure,#meta+count,\
             #meta+suppressed,#item+type,#output+shipments+num,#output+units+num"
        );
        assert_eq!(lines.next().unwrap(), "2025-01,WINTER24,,EUR,1200.00,,6,,,,");
        let aid: Vec<&str> = text.lines().filter(|l| l.contains(",food,")).collect();
        assert_eq!(aid, ["2025-01,,,,,,,,food,7,240", "total,,,,,,,,food,7,240"]);
        let plain = String::from_utf8(to_csv(&report, false).unwrap()).unwrap();
        assert!(!plain.contains('#'));
    }

    #[test]
    fn one_shipment_in_a_month_shows_neither_itself_nor_a_total_that_gives_it_back() {
        use razam_core::aid::Category;
        let shipped = |month: &str, category: Category, shipments: i64, items: i64| ShippedSummary {
            month: month.into(),
            category,
            shipments,
            items,
        };
        let rows = publish_aid(&[
            shipped("2026-01", Category::Food, 1, 12),
            shipped("2026-01", Category::Clothing, 8, 70),
            shipped("2026-02", Category::Food, 6, 50),
            shipped("2026-02", Category::Clothing, 9, 90),
        ]);
        let row = |m: &str, c: &str| rows.iter().find(|r| r.month == m && r.category == c).unwrap();
        assert_eq!(
            (row("2026-01", "food").shipments, row("2026-01", "food").units),
            (None, None)
        );
        // The month's, the category's and the grand total would each give the 12 units back.
        for (m, c) in [("2026-01", TOTAL), (TOTAL, "food"), (TOTAL, TOTAL)] {
            assert!(row(m, c).suppressed(), "{m} {c}");
        }
        assert_eq!(
            (row("2026-02", "clothing").shipments, row("2026-02", "clothing").units),
            (Some(9), Some(90))
        );
        assert!(rows.iter().all(|r| r.shipments.is_none_or(|n| n >= 5)));
    }
}

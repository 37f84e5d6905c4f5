//! Exports of the registry as CSV or XLSX: every person or every event the actor may read,
//! unsealed, in one file.
//!
//! An export is personal data in the clear, so it is built in memory and handed to the caller
//! (the web answers it as a download, the command line writes it with owner-only
//! permissions); nothing here writes it to disk. Each export leaves an audit entry with its
//! kind, format and row count, never its content. Cells that a spreadsheet would read as a
//! formula are neutralised in both formats.

use razam_core::registry::Confidentiality;
use razam_store::AuditObject;
use razam_store::registry::{EventFilter, PersonFilter};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::registry::{EventView, PersonView};
use crate::{Actor, App, AppError};

/// Rows read from the store at a time: one page is unsealed, written out and dropped before
/// the next is read, so that an export holds every record once (in the file being built).
const PAGE: i64 = 500;

/// The longest text a spreadsheet cell holds; longer text is cut there in XLSX (never in CSV).
const XLSX_CELL_MAX: usize = 32_767;

/// The rows a worksheet holds, the header included.
const XLSX_ROWS_MAX: u32 = 1_048_576;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Persons,
    Events,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Persons => "persons",
            ExportKind::Events => "events",
        }
    }

    pub fn parse(s: &str) -> Option<ExportKind> {
        [ExportKind::Persons, ExportKind::Events]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The header row, in the order of the cells of every row.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Persons => &PERSON_COLUMNS,
            ExportKind::Events => &EVENT_COLUMNS,
        }
    }
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// Also the file name extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<ExportFormat> {
        [ExportFormat::Csv, ExportFormat::Xlsx]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A finished export: the file's bytes and how many records it holds.
pub struct Export {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub kind: ExportKind,
    pub format: ExportFormat,
}

impl Export {
    /// A file name for the download, e.g. `razam-persons-2026-11-28.csv`.
    pub fn file_name(&self) -> String {
        format!(
            "razam-{}-{}.{}",
            self.kind.as_str(),
            crate::today(),
            self.format.as_str()
        )
    }
}

pub const PERSON_COLUMNS: [&str; 12] = [
    "label",
    "family_name",
    "given_name",
    "patronymic",
    "variants",
    "birth_date",
    "region",
    "confidentiality",
    "consent_to_publish",
    "recognized_on",
    "status",
    "status_since",
];

pub const EVENT_COLUMNS: [&str; 14] = [
    "id",
    "kind",
    "date",
    "precision",
    "region",
    "district",
    "settlement",
    "facility",
    "arrest_days",
    "term_months",
    "articles",
    "persons",
    "confidentiality",
    "description",
];

/// One cell: text (neutralised when written) or a whole number.
enum Cell {
    Text(String),
    Number(i64),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn number(n: Option<i64>) -> Cell {
    n.map_or_else(|| text(""), Cell::Number)
}

/// A cell a spreadsheet would take for a formula (or that starts with a character some
/// spreadsheets strip before reading one) gets a leading apostrophe: it stays text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The file being built.
enum Sheet {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Xlsx { sheet: Box<Worksheet>, next_row: u32 },
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Vault(format!("the spreadsheet could not be written: {e}"))
}

fn csv_error(e: impl std::fmt::Display) -> AppError {
    AppError::Vault(format!("the CSV could not be written: {e}"))
}

impl Sheet {
    fn new(format: ExportFormat, kind: ExportKind) -> Result<Sheet, AppError> {
        let columns = kind.columns();
        match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(columns).map_err(csv_error)?;
                Ok(Sheet::Csv(Box::new(w)))
            }
            ExportFormat::Xlsx => {
                let mut sheet = Worksheet::new();
                sheet.set_name(kind.as_str()).map_err(xlsx_error)?;
                let bold = Format::new().set_bold();
                for (col, name) in columns.iter().enumerate() {
                    sheet
                        .write_string_with_format(0, col as u16, *name, &bold)
                        .map_err(xlsx_error)?;
                }
                sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
                Ok(Sheet::Xlsx {
                    sheet: Box::new(sheet),
                    next_row: 1,
                })
            }
        }
    }

    fn row(&mut self, cells: &[Cell]) -> Result<(), AppError> {
        match self {
            Sheet::Csv(w) => {
                for cell in cells {
                    match cell {
                        Cell::Text(s) => w.write_field(neutralise(s).as_bytes()),
                        Cell::Number(n) => w.write_field(n.to_string()),
                    }
                    .map_err(csv_error)?;
                }
                w.write_record(None::<&[u8]>).map_err(csv_error)
            }
            Sheet::Xlsx { sheet, next_row } => {
                if *next_row >= XLSX_ROWS_MAX {
                    return Err(AppError::BadInput(
                        "more rows than a spreadsheet holds (1,048,576): export as CSV".into(),
                    ));
                }
                for (col, cell) in cells.iter().enumerate() {
                    let col = col as u16;
                    match cell {
                        Cell::Text(s) if s.is_empty() => {}
                        Cell::Text(s) => {
                            let s = neutralise(s);
                            let s = match s.char_indices().nth(XLSX_CELL_MAX) {
                                Some((cut, _)) => &s[..cut],
                                None => &s,
                            };
                            sheet.write_string(*next_row, col, s).map_err(xlsx_error)?;
                        }
                        Cell::Number(n) => {
                            sheet.write_number(*next_row, col, *n as f64).map_err(xlsx_error)?;
                        }
                    }
                }
                *next_row += 1;
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<Vec<u8>, AppError> {
        match self {
            Sheet::Csv(w) => w.into_inner().map_err(csv_error),
            Sheet::Xlsx { sheet, .. } => {
                let mut book = Workbook::new();
                book.push_worksheet(*sheet);
                book.save_to_buffer().map_err(xlsx_error)
            }
        }
    }
}

fn person_cells(p: &PersonView) -> [Cell; 12] {
    let i = &p.identity;
    let (status, since) = match &p.status {
        Some((s, d)) => (s.as_str().to_owned(), d.clone()),
        None => (String::new(), String::new()),
    };
    [
        text(&p.label),
        text(&i.family_name),
        text(&i.given_name),
        text(&i.patronymic),
        text(i.variants.join("; ")),
        text(&i.birth_date),
        text(p.region.clone().unwrap_or_default()),
        text(p.confidentiality.as_str()),
        text(if p.consent_to_publish { "yes" } else { "no" }),
        text(p.recognized_on.clone().unwrap_or_default()),
        text(status),
        text(since),
    ]
}

fn event_cells(e: &EventView) -> [Cell; 14] {
    let d = &e.details;
    let persons: Vec<String> = e
        .persons
        .iter()
        .map(|(_, label, role)| format!("{label} ({role})"))
        .collect();
    [
        Cell::Number(e.id),
        text(e.kind.as_str()),
        text(e.date.map(|d| d.to_string()).unwrap_or_default()),
        text(e.date.map(|d| d.precision.as_str()).unwrap_or_default()),
        text(e.region.clone().unwrap_or_default()),
        text(&d.district),
        text(&d.settlement),
        text(&d.facility),
        number(e.arrest_days),
        number(e.term_months),
        text(e.articles.join("; ")),
        text(persons.join("; ")),
        text(e.confidentiality.as_str()),
        text(&d.description),
    ]
}

impl App {
    /// Whether `actor` may export at all (refused to roles without `Export`), and whether
    /// their exports include restricted records.
    pub fn export_scope(&self, actor: &Actor) -> Result<bool, AppError> {
        self.require(actor, razam_core::role::Permission::Export)?;
        Ok(self
            .readable_levels(actor)?
            .contains(&Confidentiality::Restricted.as_str()))
    }

    /// Every person or event `actor` may read (restricted ones only with that permission),
    /// newest first, as one file. Refused to roles without `Export`.
    pub async fn export(&self, actor: &Actor, kind: ExportKind, format: ExportFormat) -> Result<Export, AppError> {
        self.require(actor, razam_core::role::Permission::Export)?;
        let levels = self.readable_levels(actor)?;
        let subject = crate::approvals::export_subject(kind, format);
        let approval = self.export_needs_approval(actor);
        if approval && !self.holds_approval(actor, &subject).await? {
            return Err(AppError::BadInput(crate::approvals::NEEDS_APPROVAL.into()));
        }
        let mut sheet = Sheet::new(format, kind)?;
        let mut rows = 0usize;
        let mut before = None;
        loop {
            let fetched = match kind {
                ExportKind::Persons => {
                    let page = self.list_persons(actor, PersonFilter::default(), before, PAGE).await?;
                    for p in &page {
                        sheet.row(&person_cells(p))?;
                    }
                    page.last().map(|p| (p.id, page.len()))
                }
                ExportKind::Events => {
                    let page = self.list_events(actor, EventFilter::default(), before, PAGE).await?;
                    for e in &page {
                        sheet.row(&event_cells(e))?;
                    }
                    page.last().map(|e| (e.id, page.len()))
                }
            };
            let Some((last, n)) = fetched else { break };
            rows += n;
            before = Some(last);
            if (n as i64) < PAGE {
                break;
            }
        }
        let bytes = sheet.finish()?;
        let restricted = levels.contains(&Confidentiality::Restricted.as_str());
        let object = format!(
            "{}:{} rows={rows}{}",
            kind.as_str(),
            format.as_str(),
            if restricted { " with-restricted" } else { "" }
        );
        let action = match kind {
            ExportKind::Persons => "export.persons",
            ExportKind::Events => "export.events",
        };
        let audit = self.event(actor, action, AuditObject::Named(object));
        if approval {
            // The approval is spent with the export's audit entry, in one transaction.
            self.use_approval(actor, &subject, &audit).await?;
        } else {
            self.store.append_audit(&audit).await?;
        }
        Ok(Export {
            bytes,
            rows,
            kind,
            format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_nothing_else() {
        for (cell, expected) in [
            ("=1+1", "'=1+1"),
            ("+375 29 000", "'+375 29 000"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Аляксандр", "Аляксандр"),
            ("P-000001", "P-000001"),
            ("2020-08-09", "2020-08-09"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn kinds_and_formats_round_trip() {
        for k in [ExportKind::Persons, ExportKind::Events] {
            assert_eq!(ExportKind::parse(k.as_str()), Some(k));
        }
        for f in [ExportFormat::Csv, ExportFormat::Xlsx] {
            assert_eq!(ExportFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(ExportKind::parse("accounts"), None);
    }
}

//! What every CSV import shares: reading the header and the rows, naming each failing cell,
//! and the report. The imports themselves (prisoner lists, events) say what a row means.
//!
//! Imports are all or nothing: every row is read and checked before anything is written, and
//! one failing cell means nothing is written at all.

use serde::Serialize;

/// Rows an import seals and hands to the store at a time, inside its one transaction: the
/// memory of an import grows with this, not with the file.
pub(crate) const ROWS_PER_BATCH: usize = 2_000;

/// One failing cell (or row, when `column` is empty), with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// Empty when the import is (or would be) applied; otherwise nothing was written.
    pub errors: Vec<CellError>,
    /// Rows that probably are a person already in the registry (not the one their reference
    /// names) or another row of the file. Not a refusal: the rows are imported all the same.
    pub warnings: Vec<DuplicateWarning>,
}

/// A row that is probably a person the registry or the file has already.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateWarning {
    pub line: u64,
    /// The person (`P-000012`) or the row (`line 7`) it probably is.
    pub candidate: String,
    pub probability: f64,
    /// The fields that speak for it, as `field: level` (`family_name: same_key, …`).
    pub agreeing: String,
}

impl ImportReport {
    pub(crate) fn failed(dry_run: bool, errors: Vec<CellError>) -> ImportReport {
        ImportReport {
            dry_run,
            errors,
            ..ImportReport::default()
        }
    }
}

pub(crate) fn error(line: u64, column: &str, message: String) -> CellError {
    CellError {
        line,
        column: column.to_owned(),
        message,
    }
}

/// One row of the file: its line and its cells by the import's column order.
pub(crate) struct Cells<'r> {
    pub line: u64,
    record: &'r csv::StringRecord,
    index: &'r [Option<usize>],
}

impl Cells<'_> {
    /// The trimmed cell of column `i` (in the import's column order).
    pub fn get(&self, i: usize) -> &str {
        self.index
            .get(i)
            .and_then(|&at| at.and_then(|at| self.record.get(at)))
            .unwrap_or("")
            .trim()
    }
}

/// Reads a UTF-8 CSV (a byte-order mark is allowed) whose header names exactly `columns`, in
/// any order, and hands every row to `row`, which pushes the errors it finds and returns the
/// parsed row when it found none. Returns every row, or every error of the file.
pub(crate) fn read_rows<R>(
    bytes: &[u8],
    columns: &[&str],
    max_rows: u32,
    row: impl FnMut(&Cells<'_>, &mut Vec<CellError>) -> Option<R>,
) -> Result<Vec<R>, Vec<CellError>> {
    read_rows_with_optional(bytes, columns, &[], max_rows, row)
}

/// The error of a file with more than `max_rows` rows, naming the setting.
fn too_many_rows(line: u64, max_rows: u32) -> CellError {
    error(
        line,
        "",
        format!(
            "the file has more than {max_rows} rows, the most an import takes ([limits] import_rows in razam.toml): split it, or raise the limit"
        ),
    )
}

/// [`read_rows`] where the columns in `optional` (a subset of `columns`) may be left out of
/// the header; their cells then read as empty.
pub(crate) fn read_rows_with_optional<R>(
    bytes: &[u8],
    columns: &[&str],
    optional: &[&str],
    max_rows: u32,
    mut row: impl FnMut(&Cells<'_>, &mut Vec<CellError>) -> Option<R>,
) -> Result<Vec<R>, Vec<CellError>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![error(1, "", format!("the header row cannot be read: {e}"))]),
    };
    let mut errors = Vec::new();
    for column in columns {
        if !optional.contains(column) && !headers.iter().any(|h| h == column) {
            errors.push(error(1, column, "this column is missing from the header".into()));
        }
    }
    for h in &headers {
        if !columns.contains(&h.as_str()) {
            errors.push(error(
                1,
                h,
                format!("unknown column (the columns are: {})", columns.join(",")),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let index: Vec<Option<usize>> = columns.iter().map(|c| headers.iter().position(|h| h == c)).collect();
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        if n as u64 >= u64::from(max_rows) {
            // Refused whole before more is read: nothing of the file is imported.
            let line = record.as_ref().ok().and_then(|r| r.position()).map_or(0, |p| p.line());
            return Err(vec![too_many_rows(line, max_rows)]);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(error(line, "", format!("the row cannot be read: {e}")));
                continue;
            }
        };
        let cells = Cells {
            line: record.position().map_or(0, |p| p.line()),
            record: &record,
            index: &index,
        };
        let before = errors.len();
        let parsed = row(&cells, &mut errors);
        if errors.len() == before
            && let Some(parsed) = parsed
        {
            rows.push(parsed);
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_row_limit_is_refused_whole_naming_the_setting() {
        let csv = b"a\n1\n2\n3\n";
        let keep = |cells: &Cells<'_>, _: &mut Vec<CellError>| Some(cells.get(0).to_owned());
        assert_eq!(read_rows(csv, &["a"], 3, keep).map(|r| r.len()), Ok(3));
        let Err(errors) = read_rows(csv, &["a"], 2, keep) else {
            panic!("three rows over a limit of two");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert!(
            errors[0].message.contains("[limits] import_rows"),
            "{}",
            errors[0].message
        );
    }
}

//! Per-station protocol files: recognising the format from the header and reading the rows.
//!
//! Takes the bytes of a CSV file (UTF-8, comma-separated, a header row); reads nothing itself.
//! Two real formats are recognised:
//!
//! - **Russian CEC per-station protocol** (the files of Shpilkin and Kobak): `region`, `tik`,
//!   `uik`, then the protocol lines by their Russian names (`Число избирателей, включенных в
//!   список избирателей`, the three `… бюллетеней, выданных …` columns, `Число действительных
//!   …`, `Число недействительных …`, received, cancelled, portable and stationary boxes, lost,
//!   not accounted for), one column per candidate (every column whose name does not begin
//!   with `Число`), and `url`. Ballots issued = the sum of the three issued columns; ballots
//!   cast = valid + invalid.
//! - **Belarus 2020 platform file** (`voice.csv` of the "Golos" platform): `id`,
//!   `officialVotes`, `officialVoters` and `<candidate>_officialVotes` columns. Only rows with
//!   `officialVotes` carry the official protocol (1,374 of 5,709 stations); the others are
//!   skipped and counted. Ballots cast = `officialVotes`, registered = `officialVoters`
//!   (empty in some rows), invalid = `corrupted_officialVotes`; `ignore` is not a vote. The
//!   file has no ballots-issued count: ballots cast stand in for it, so turnout there is
//!   ballots cast / registered. The region is the first part of the station id.
//!
//! Every number must be a whole number ≥ 0; a bad cell is an error naming its line and column.
//! One exception, for the Belarus file as published: a negative candidate count (three cells
//! of `against_officialVotes` are negative there) is left out as not given and listed in the
//! notes.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::{CecLines, Election, Station};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    /// The Russian CEC per-station protocol.
    #[serde(rename = "ru-cec")]
    RuCec,
    /// The Belarus 2020 "Golos" platform file.
    #[serde(rename = "by-2020-voice")]
    ByVoice2020,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::RuCec => "Russian CEC per-station protocol",
            Format::ByVoice2020 => "Belarus 2020 platform file (Golos)",
        }
    }
}

/// A parsed file: the election and what was used to make it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub format: Format,
    pub election: Election,
    /// Each role (registered, issued, valid, …) and the columns it was read from.
    pub columns: BTreeMap<&'static str, Vec<String>>,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows left out (and why, in `notes`).
    pub skipped: usize,
    /// What a reader must know about this file.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error(
        "no recognisable columns: expected a Russian CEC protocol (region, tik, uik, \"Число избирателей, включенных в список избирателей\", …) or the Belarus 2020 platform file (id, officialVotes, officialVoters, <candidate>_officialVotes); the header has: {header}"
    )]
    Unrecognised { header: String },
    #[error("line {line}, column \"{column}\": {message}")]
    Cell { line: u64, column: String, message: String },
    #[error("the file has a header but no data rows")]
    Empty,
}

/// Recognises the format and reads every row.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ProtocolError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let parsed = if let Some(layout) = RuLayout::find(&header) {
        read_ru(&mut reader, &header, &layout)?
    } else if let Some(layout) = ByLayout::find(&header) {
        read_by(&mut reader, &header, &layout)?
    } else {
        return Err(ProtocolError::Unrecognised {
            header: header.join(", "),
        });
    };
    if parsed.rows == 0 {
        return Err(ProtocolError::Empty);
    }
    Ok(parsed)
}

fn csv_error(e: &csv::Error) -> ProtocolError {
    let line = e.position().map(csv::Position::line).unwrap_or(1);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    ProtocolError::Csv { line, message }
}

fn number(record: &csv::StringRecord, header: &[String], i: usize, line: u64) -> Result<u64, ProtocolError> {
    let cell = record.get(i).unwrap_or("").trim();
    cell.parse::<u64>().map_err(|_| ProtocolError::Cell {
        line,
        column: header[i].clone(),
        message: if cell.is_empty() {
            "empty; a whole number ≥ 0 is needed".into()
        } else {
            format!("\"{cell}\" is not a whole number ≥ 0")
        },
    })
}

fn optional(record: &csv::StringRecord, header: &[String], i: usize, line: u64) -> Result<Option<u64>, ProtocolError> {
    if record.get(i).unwrap_or("").trim().is_empty() {
        Ok(None)
    } else {
        number(record, header, i, line).map(Some)
    }
}

struct Regions {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Regions {
    fn new() -> Self {
        Regions {
            names: Vec::new(),
            index: HashMap::new(),
        }
    }
    fn of(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }
}

/// Where each role sits in a Russian CEC header.
struct RuLayout {
    region: usize,
    tik: usize,
    uik: usize,
    registered: usize,
    issued: [usize; 3],
    valid: usize,
    invalid: usize,
    /// received, cancelled, portable, stationary, lost, unaccounted: all or none.
    lines: Option<[usize; 6]>,
    candidates: Vec<usize>,
}

impl RuLayout {
    fn find(header: &[String]) -> Option<RuLayout> {
        let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
        let one = |pred: &dyn Fn(&str) -> bool| -> Option<usize> {
            let found: Vec<usize> = (0..lower.len()).filter(|&i| pred(&lower[i])).collect();
            (found.len() == 1).then(|| found[0])
        };
        let exact = |name: &str| one(&|h: &str| h == name);
        let region = exact("region")?;
        let tik = exact("tik")?;
        let uik = exact("uik")?;
        let registered = one(&|h: &str| {
            h.starts_with("число избирателей, включенных") || h.starts_with("число избирателей, внесенных")
        })?;
        let issued: Vec<usize> = (0..lower.len())
            .filter(|&i| lower[i].contains("бюллетеней, выданных"))
            .collect();
        let issued: [usize; 3] = issued.try_into().ok()?;
        let valid = one(&|h: &str| h.starts_with("число действительных"))?;
        let invalid = one(&|h: &str| h.starts_with("число недействительных"))?;
        let lines = (|| {
            Some([
                one(&|h: &str| h.contains("бюллетеней, полученных"))?,
                one(&|h: &str| h.starts_with("число погашенных"))?,
                one(&|h: &str| h.contains("в переносных ящиках"))?,
                one(&|h: &str| h.contains("в стационарных ящиках"))?,
                one(&|h: &str| {
                    h.contains("утраченных избирательных бюллетеней") || h == "число утраченных бюллетеней"
                })?,
                one(&|h: &str| h.contains("не учтенных при получении") || h.contains("неучтенных при получении"))?,
            ])
        })();
        let candidates = (0..lower.len())
            .filter(|&i| {
                !lower[i].starts_with("число") && !["region", "tik", "uik", "oik", "url"].contains(&lower[i].as_str())
            })
            .collect();
        Some(RuLayout {
            region,
            tik,
            uik,
            registered,
            issued,
            valid,
            invalid,
            lines,
            candidates,
        })
    }
}

fn read_ru(reader: &mut csv::Reader<&[u8]>, header: &[String], l: &RuLayout) -> Result<Parsed, ProtocolError> {
    let mut regions = Regions::new();
    let mut stations = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        let line = record.position().map(csv::Position::line).unwrap_or(0);
        let num = |i: usize| number(&record, header, i, line);
        let issued = num(l.issued[0])? + num(l.issued[1])? + num(l.issued[2])?;
        let (valid, invalid) = (num(l.valid)?, num(l.invalid)?);
        let votes = l
            .candidates
            .iter()
            .map(|&i| num(i).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        let lines = match l.lines {
            Some([received, cancelled, portable, stationary, lost, unaccounted]) => Some(CecLines {
                received: num(received)?,
                issued_early: num(l.issued[0])?,
                issued_station: num(l.issued[1])?,
                issued_outside: num(l.issued[2])?,
                cancelled: num(cancelled)?,
                portable: num(portable)?,
                stationary: num(stationary)?,
                lost: num(lost)?,
                unaccounted: num(unaccounted)?,
            }),
            None => None,
        };
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        stations.push(Station {
            line,
            label: format!("{} / {} / {}", cell(l.region), cell(l.tik), cell(l.uik)),
            region: Some(regions.of(cell(l.region))),
            registered: Some(num(l.registered)?),
            issued,
            cast: valid + invalid,
            valid: Some(valid),
            invalid: Some(invalid),
            votes,
            lines,
        });
    }
    let names = |is: &[usize]| is.iter().map(|&i| header[i].clone()).collect::<Vec<_>>();
    let mut columns = BTreeMap::new();
    columns.insert("station", names(&[l.region, l.tik, l.uik]));
    columns.insert("region", names(&[l.region]));
    columns.insert("registered", names(&[l.registered]));
    columns.insert("issued", names(&l.issued));
    columns.insert("cast", names(&[l.valid, l.invalid]));
    columns.insert("valid", names(&[l.valid]));
    columns.insert("invalid", names(&[l.invalid]));
    columns.insert("candidates", names(&l.candidates));
    let mut notes = Vec::new();
    if let Some(lines) = l.lines {
        columns.insert("control", names(&lines));
    } else {
        notes.push(
            "the received / cancelled / box / lost lines are not all present: only valid = sum of votes is checked"
                .into(),
        );
    }
    let rows = stations.len();
    Ok(Parsed {
        format: Format::RuCec,
        election: Election {
            candidates: names(&l.candidates),
            regions: regions.names,
            stations,
        },
        columns,
        rows,
        skipped: 0,
        notes,
    })
}

/// Where each role sits in the Belarus platform header.
struct ByLayout {
    id: usize,
    votes: usize,
    voters: usize,
    invalid: Option<usize>,
    /// (name, column)
    candidates: Vec<(String, usize)>,
}

impl ByLayout {
    fn find(header: &[String]) -> Option<ByLayout> {
        let at = |name: &str| header.iter().position(|h| h == name);
        let mut candidates = Vec::new();
        let mut invalid = None;
        for (i, h) in header.iter().enumerate() {
            if let Some(name) = h.strip_suffix("_officialVotes") {
                match name {
                    "corrupted" => invalid = Some(i),
                    "ignore" => {}
                    _ => candidates.push((name.to_string(), i)),
                }
            }
        }
        if candidates.is_empty() {
            return None;
        }
        Some(ByLayout {
            id: at("id")?,
            votes: at("officialVotes")?,
            voters: at("officialVoters")?,
            invalid,
            candidates,
        })
    }
}

fn read_by(reader: &mut csv::Reader<&[u8]>, header: &[String], l: &ByLayout) -> Result<Parsed, ProtocolError> {
    let mut regions = Regions::new();
    let mut stations = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    let mut negative: Vec<String> = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        rows += 1;
        let line = record.position().map(csv::Position::line).unwrap_or(0);
        let Some(cast) = optional(&record, header, l.votes, line)? else {
            continue;
        };
        let id = record.get(l.id).unwrap_or("").trim();
        let region = id.split('-').next().filter(|r| !r.is_empty()).map(|r| regions.of(r));
        stations.push(Station {
            line,
            label: id.to_string(),
            region,
            registered: optional(&record, header, l.voters, line)?,
            issued: cast,
            cast,
            valid: None,
            invalid: match l.invalid {
                Some(i) => optional(&record, header, i, line)?,
                None => None,
            },
            votes: l
                .candidates
                .iter()
                .map(|&(_, i)| {
                    let cell = record.get(i).unwrap_or("").trim();
                    if cell
                        .strip_prefix('-')
                        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    {
                        negative.push(format!("line {line}, {} = {cell}", header[i]));
                        return Ok(None);
                    }
                    optional(&record, header, i, line)
                })
                .collect::<Result<Vec<_>, _>>()?,
            lines: None,
        });
    }
    let used = stations.len();
    let mut columns = BTreeMap::new();
    columns.insert("station", vec![header[l.id].clone()]);
    columns.insert("region", vec![format!("{} (before the first '-')", header[l.id])]);
    columns.insert("registered", vec![header[l.voters].clone()]);
    columns.insert(
        "issued",
        vec![format!(
            "{} (no ballots-issued column: ballots cast stand in)",
            header[l.votes]
        )],
    );
    columns.insert("cast", vec![header[l.votes].clone()]);
    if let Some(i) = l.invalid {
        columns.insert("invalid", vec![header[i].clone()]);
    }
    columns.insert(
        "candidates",
        l.candidates.iter().map(|&(_, i)| header[i].clone()).collect(),
    );
    let no_registered = stations.iter().filter(|s| s.registered.is_none()).count();
    let mut notes = vec![
        format!(
            "official protocol figures ({}) are present for {used} of {rows} stations; only those are used",
            header[l.votes]
        ),
        format!(
            "{no_registered} of them have no {}: they are left out of every turnout-based analysis",
            header[l.voters]
        ),
        "no ballots-issued count in this file: turnout = ballots cast / registered".into(),
        "empty candidate cells are left out (not counted as 0)".into(),
    ];
    if !negative.is_empty() {
        notes.push(format!(
            "{} candidate cells hold negative numbers and are left out as not given: {}",
            negative.len(),
            negative.join("; ")
        ));
    }
    Ok(Parsed {
        format: Format::ByVoice2020,
        election: Election {
            candidates: l.candidates.iter().map(|(n, _)| n.clone()).collect(),
            regions: regions.names,
            stations,
        },
        columns,
        rows: used,
        skipped: rows - used,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str = "region,tik,uik,\"Число избирателей, включенных в список избирателей\",\"Число избирательных бюллетеней, полученных участковой избирательной комиссией\",\"Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно\",\"Число избирательных бюллетеней, выданных в помещении для голосования в день голосования\",\"Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования\",Число погашенных избирательных бюллетеней,Число избирательных бюллетеней в переносных ящиках для голосования,Число бюллетеней в стационарных ящиках для голосования,Число недействительных избирательных бюллетеней,Число действительных избирательных бюллетеней,Число утраченных избирательных бюллетеней,\"Число избирательных бюллетеней, не учтенных при получении\",Жириновский Владимир Вольфович,Путин Владимир Владимирович,url\n\
Республика Адыгея (Адыгея),1 Адыгейская,1,2383,2147,0,1513,77,557,77,1513,19,1571,0,0,505,1066,http://x\n";

    #[test]
    fn a_russian_protocol_is_recognised_and_read() {
        let p = parse(RU.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.format, Format::RuCec);
        assert_eq!(
            p.election.candidates,
            vec!["Жириновский Владимир Вольфович", "Путин Владимир Владимирович"]
        );
        let s = &p.election.stations[0];
        assert_eq!((s.line, s.registered, s.issued, s.cast), (2, Some(2383), 1590, 1590));
        assert_eq!(s.votes, vec![Some(505), Some(1066)]);
        assert_eq!(s.label, "Республика Адыгея (Адыгея) / 1 Адыгейская / 1");
        assert_eq!(p.columns["issued"].len(), 3);
        assert!(p.columns.contains_key("control"));
        assert_eq!(crate::arithmetic::check(&p.election).failing_rows, 0);
    }

    #[test]
    fn a_bad_cell_is_named_by_line_and_column() {
        let bad = RU.replace(",1571,", ",15x1,");
        assert_eq!(
            parse(bad.as_bytes()).err(),
            Some(ProtocolError::Cell {
                line: 2,
                column: "Число действительных избирательных бюллетеней".into(),
                message: "\"15x1\" is not a whole number ≥ 0".into()
            })
        );
        let empty = RU.replace(",2383,", ",,");
        assert!(matches!(
            parse(empty.as_bytes()),
            Err(ProtocolError::Cell { line: 2, .. })
        ));
        let short = RU.replace(",http://x", "");
        assert!(matches!(
            parse(short.as_bytes()),
            Err(ProtocolError::Csv { line: 2, .. })
        ));
        assert!(matches!(parse(b"a,b\n1,2\n"), Err(ProtocolError::Unrecognised { .. })));
        let header_only = RU.lines().next().unwrap_or_default().to_string() + "\n";
        assert_eq!(parse(header_only.as_bytes()).err(), Some(ProtocolError::Empty));
        let mut not_utf8 = header_only.into_bytes();
        not_utf8.extend_from_slice(b"\xff\xfe,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,x\n");
        assert_eq!(
            parse(&not_utf8).err(),
            Some(ProtocolError::Csv {
                line: 2,
                message: "not UTF-8 text".into()
            })
        );
    }

    #[test]
    fn the_belarus_file_keeps_only_rows_with_official_figures() {
        let text = "id,officialVotes,officialVoters,corrupted_officialVotes,ignore_officialVotes,lukashenko_officialVotes,tihanovkaja_officialVotes,lukashenko_photoVoices\n\
01-010-0001,1319,1656,5,,464,701,3\n\
01-010-0002,,,,,,,4\n\
01-010-0003,100,200,0,,-5,100,1\n\
02-001-0003,900,,,,800,,1\n";
        let p = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.format, Format::ByVoice2020);
        assert_eq!((p.rows, p.skipped), (3, 1));
        assert_eq!(p.election.stations[1].votes, vec![None, Some(100)]);
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("line 4, lukashenko_officialVotes = -5")),
            "{:?}",
            p.notes
        );
        assert_eq!(p.election.candidates, vec!["lukashenko", "tihanovkaja"]);
        assert_eq!(p.election.regions, vec!["01", "02"]);
        let s = &p.election.stations[2];
        assert_eq!((s.line, s.registered, s.cast, s.invalid), (5, None, 900, None));
        assert_eq!(s.votes, vec![Some(800), None]);
        assert!(p.notes[0].contains("3 of 4 stations"));
    }
}

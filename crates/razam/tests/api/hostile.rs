//! Parsers under attack (issue 8, item 7): every import and the package verifier fed valid
//! files broken at random — truncated, bytes flipped, quotes, separators and line ends
//! inserted, a huge cell, invalid UTF-8, a byte-order mark, columns swapped. Whatever comes
//! in: no panic, a clear error or a report naming cells, and either the whole file is taken
//! or nothing at all is written (the audit chain, which gets an entry with every write in the
//! same transaction, does not move).
//!
//! The seed is fixed so a failure reproduces; `RAZAM_HOSTILE_CASES` runs more cases (the
//! longer variant in docs/security.md), `RAZAM_HOSTILE_SEED` another sequence.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use razam_app::evidence::{Attachment, Capture};
use razam_app::observation::ElectionForm;
use razam_app::{Actor, AppError};
use razam_core::registry::Confidentiality;

use crate::helpers::TestApp;
use crate::on_both_databases;

const PRISONERS: &str = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                         H1,Аляксандр,Лукашэвіч,Іванавіч,1984-03-02,Minsk,2021-01-05,342,2021-01-10,\n\
                         H2,Maryja,Kalesnikava,,1982,Brest,2020-09-07,361-1;357,2020-09-10,\n\
                         H3,Ігар,Losik,,,Hrodna,,,,2025-06-21\n";

const EVENTS: &str = "person_ref,role,kind,date,region,district,settlement,facility,articles,arrest_days,term_months,confidentiality,description\n\
                      H1,victim,detention,2021-01-05,Minsk,Фрунзенскі,Мінск,ЦІП на Акрэсціна,,,,,\"held overnight, then \"\"released\"\"\"\n\
                      H1,,criminal_case,2021-01,Minsk,,,,342;361-1,,,restricted,\n\
                      H2,victim,administrative_arrest,2020-08-10/2020-08-25,,,,,,15,,,\n";

const STATIONS: &str = "code,region\nA-1,Minsk\nA-2,Brest\n\"A-3\",\"Hrodna\"\n";

/// How many broken files each parser gets in the test command (kept short).
fn cases(default: usize) -> usize {
    std::env::var("RAZAM_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rng() -> StdRng {
    let seed = std::env::var("RAZAM_HOSTILE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_u64);
    StdRng::seed_from_u64(seed)
}

/// One valid file broken in one or two random ways.
fn mutate(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..rng.gen_range(1..=2) {
        let at = rng.gen_range(0..=bytes.len());
        match rng.gen_range(0..9) {
            0 => bytes.truncate(at),
            1 => {
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.gen_range(0..8);
                }
            }
            2 => {
                let hostile: &[&[u8]] = &[b"\"", b",", b"\n", b"\r", b"\r\n", b";", b"\0", b"\xff\xfe", b"\xd0"];
                let pick = hostile[rng.gen_range(0..hostile.len())];
                bytes.splice(at..at, pick.iter().copied());
            }
            3 => {
                let huge = vec![b'x'; rng.gen_range(10_000..200_000)];
                bytes.splice(at..at, huge);
            }
            4 => bytes.splice(0..0, *b"\xef\xbb\xbf").for_each(drop),
            5 => {
                // A line repeated (a duplicate row, or a second header).
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[rng.gen_range(0..lines.len())];
                    bytes.extend_from_slice(format!("\n{line}\n").as_bytes());
                }
            }
            6 => {
                // Two header columns swapped.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some((header, rest)) = text.split_once('\n') {
                    let mut cols: Vec<&str> = header.split(',').collect();
                    if cols.len() > 1 {
                        let (i, j) = (rng.gen_range(0..cols.len()), rng.gen_range(0..cols.len()));
                        cols.swap(i, j);
                    }
                    bytes = format!("{}\n{rest}", cols.join(",")).into_bytes();
                }
            }
            7 => {
                // A long run of random bytes.
                let noise: Vec<u8> = (0..rng.gen_range(1..400)).map(|_| rng.r#gen()).collect();
                bytes.splice(at..at, noise);
            }
            _ => {
                // A cell replaced by a hostile value: a formula, a far date, a huge number.
                let hostile: &[&str] = &[
                    "=HYPERLINK(\"x\")",
                    "9999-99-99",
                    "99999999999999999999",
                    "-1",
                    "0000-00-00",
                ];
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some(comma) = text.match_indices(',').nth(rng.gen_range(0..12)).map(|(i, _)| i) {
                    let pick = hostile[rng.gen_range(0..hostile.len())];
                    bytes = format!("{}{pick}{}", &text[..=comma], &text[comma + 1..]).into_bytes();
                }
            }
        }
    }
    bytes
}

async fn audit_entries(app: &TestApp) -> i64 {
    app.app.verify_audit(None, &|_| {}).await.unwrap().entries
}

/// The rule every import keeps: an error is the caller's (bad input, never a failure of
/// ours), and a refused file writes nothing; an accepted one writes something only if its
/// report says it created or changed rows.
async fn check_all_or_nothing(
    app: &TestApp,
    what: &str,
    file: &[u8],
    result: Result<(usize, usize, bool), AppError>,
    before: i64,
) {
    let after = audit_entries(app).await;
    let shown = String::from_utf8_lossy(&file[..file.len().min(300)]).into_owned();
    match result {
        Err(e) => {
            assert!(
                e.is_bad_input(),
                "{what}: a broken file is the caller's mistake, not ours: {e}\n{shown}"
            );
            assert!(!e.to_string().is_empty());
            assert_eq!(after, before, "{what}: a refused file wrote something\n{shown}");
        }
        Ok((_, _, true)) => assert_eq!(after, before, "{what}: a file with errors wrote something\n{shown}"),
        Ok((created, updated, false)) => {
            if created + updated == 0 {
                assert_eq!(after, before, "{what}: nothing to write, yet something was\n{shown}");
            } else {
                assert!(
                    after > before,
                    "{what}: {created} created without an audit entry\n{shown}"
                );
            }
        }
    }
}

async fn registry_imports_survive_broken_files(app: TestApp) {
    let a = &app.app;
    let mut rng = rng();
    // The persons the events file names exist, as in real use.
    let report = a
        .import_prisoners(&Actor::Cli, PRISONERS.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((report.created, report.errors.len()), (3, 0));
    let (mut refused, mut taken) = (0, 0);
    for _ in 0..cases(60) {
        for (what, base) in [("prisoners", PRISONERS), ("events", EVENTS)] {
            let file = mutate(&mut rng, base.as_bytes());
            let before = audit_entries(&app).await;
            let result = match what {
                "prisoners" => a.import_prisoners(&Actor::Cli, &file, false).await,
                _ => a.import_events(&Actor::Cli, &file, false).await,
            };
            if let Ok(r) = &result {
                for e in &r.errors {
                    assert!(
                        e.line >= 1 && !e.message.is_empty(),
                        "{what}: an error names its line: {e:?}"
                    );
                }
            }
            let failed = result.as_ref().map_or(true, |r| !r.errors.is_empty());
            if failed {
                refused += 1
            } else {
                taken += 1
            }
            let summary = result.map(|r| (r.created, r.updated, !r.errors.is_empty()));
            check_all_or_nothing(&app, what, &file, summary, before).await;
        }
    }
    // The mutations are neither all harmless nor all fatal: both paths were exercised.
    assert!(refused > 0 && taken > 0, "refused {refused}, taken {taken}");
    assert!(a.verify_audit(None, &|_| {}).await.is_ok(), "the chain still verifies");
}
on_both_databases!(registry_imports_survive_broken_files);

async fn observation_imports_survive_broken_files(app: TestApp) {
    let a = &app.app;
    let mut rng = rng();
    let form = ElectionForm {
        name: "Hostile files (test)".into(),
        round: "1".into(),
        early_from: String::new(),
        early_to: String::new(),
        election_day: "2024-03-15".into(),
    };
    let election = a.create_election(&Actor::Cli, &form).await.unwrap();
    let protocols = {
        let header = razam_app::demo::PROTOCOL_HEADER
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(",");
        let row = |uik: u32, a: u64| {
            let issued = 900u64;
            format!(
                "Minsk,1 Minsk,{uik},1000,1000,0,900,0,100,0,900,0,900,0,0,{a},{},http://x",
                issued - a
            )
        };
        format!("{header}\n{}\n{}\n{}\n", row(1, 500), row(2, 600), row(3, 700))
    };
    let (mut refused, mut taken) = (0, 0);
    for _ in 0..cases(40) {
        let file = mutate(&mut rng, STATIONS.as_bytes());
        let before = audit_entries(&app).await;
        let result = a.import_stations(&Actor::Cli, election, &file, false).await;
        let summary = result.map(|r| (r.created, r.updated, !r.errors.is_empty()));
        check_all_or_nothing(&app, "stations", &file, summary, before).await;

        let file = mutate(&mut rng, protocols.as_bytes());
        let before = audit_entries(&app).await;
        let result = a.import_protocols(&Actor::Cli, election, file.clone(), false).await;
        if result.is_err() {
            refused += 1
        } else {
            taken += 1
        }
        // A protocol import replaces the election's protocols: taken means written.
        let summary = result.map(|r| (r.stations, 0, false));
        check_all_or_nothing(&app, "protocols", &file, summary, before).await;
    }
    assert!(refused > 0 && taken > 0, "protocols refused {refused}, taken {taken}");
}
on_both_databases!(observation_imports_survive_broken_files);

/// A package broken at random never panics the verifier and never verifies unless every
/// signed part of it is still the original (a flipped byte in tar padding changes nothing;
/// README.txt is unsigned guidance, which is why it tells the recipient to compare the key's
/// fingerprint out of band: whoever can rewrite a package can also re-sign it with a key of
/// their own).
#[tokio::test]
async fn a_broken_package_never_verifies_as_intact() {
    let app = crate::helpers::spawn_app().await;
    let a = &app.app;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("statement.txt");
    std::fs::write(&photo, "The witness saw the detention at 14:05.\n".repeat(40)).unwrap();
    a.add_evidence_file(
        &Actor::Cli,
        "HOSTILE 1",
        &photo,
        &Capture::default(),
        Attachment::None,
        Confidentiality::Restricted,
    )
    .await
    .unwrap();
    let package = dir.path().join("case.tar");
    a.export_evidence(&Actor::Cli, "HOSTILE 1", &package, None)
        .await
        .unwrap();
    let original = std::fs::read(&package).unwrap();
    let contents = |bytes: &[u8]| -> Option<Vec<(String, Vec<u8>)>> {
        let mut archive = tar::Archive::new(bytes);
        let mut out = Vec::new();
        for entry in archive.entries().ok()? {
            let mut entry = entry.ok()?;
            let path = entry.path().ok()?.to_string_lossy().into_owned();
            if path.ends_with("/README.txt") {
                continue;
            }
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).ok()?;
            out.push((path, data));
        }
        Some(out)
    };
    let intact = contents(&original).unwrap();
    let verdict = |bytes: &[u8]| {
        let path = dir.path().join("broken.tar");
        std::fs::write(&path, bytes).unwrap();
        razam_app::evidence::package::verify_package(&path, None)
    };
    assert!(
        verdict(&original).unwrap().problems.is_empty(),
        "the untouched package verifies"
    );

    let mut rng = rng();
    let mut rejected = 0;
    for _ in 0..cases(80) {
        let mut bytes = original.clone();
        match rng.gen_range(0..3) {
            0 => bytes.truncate(rng.gen_range(0..original.len())),
            1 => {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] ^= 1 << rng.gen_range(0..8);
            }
            _ => {
                let at = rng.gen_range(0..bytes.len());
                let noise: Vec<u8> = (0..rng.gen_range(1..2_000)).map(|_| rng.r#gen()).collect();
                let end = (at + noise.len()).min(bytes.len());
                bytes.splice(at..end, noise);
            }
        }
        let verified = matches!(verdict(&bytes), Ok(v) if v.problems.is_empty());
        if verified {
            let got = contents(&bytes);
            let names = |c: &Option<Vec<(String, Vec<u8>)>>| -> Vec<String> {
                c.iter().flatten().map(|(p, _)| p.clone()).collect()
            };
            assert!(
                got.as_ref() == Some(&intact),
                "a changed package verified as intact: {:?}",
                names(&got)
            );
        } else {
            rejected += 1;
        }
    }
    assert!(rejected > 0);
}

//! The analyses on the real protocols in ../shared/data/elections, each figure derived a
//! second way here: a plain re-reading of the file (columns by their full names, floating-point
//! percentages as the authors' NumPy code computes them), the exact binomial expectation, and
//! the figures Kobak, Shpilkin & Pshenichnikov published for these same files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use razam_forensics::protocol::{self, Format};
use razam_forensics::{integer, pvt, shpilkin};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/elections")
        .join(path)
}

fn unzip(path: &str) -> Vec<u8> {
    let file = std::fs::File::open(data(path)).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut entry = archive.by_index(0).unwrap();
    let mut out = Vec::new();
    entry.read_to_end(&mut out).unwrap();
    out
}

/// One station as the test reads it: registered, issued, cast, leader, region, all candidates.
struct Row {
    voters: f64,
    given: f64,
    received: f64,
    leader: f64,
    region: String,
    candidates: Vec<u64>,
}

/// A second reading of a Russian file: columns looked up by their full names.
fn rows(bytes: &[u8], leader_name: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let voters = col("Число избирателей, включенных в список избирателей");
    let given = [
        col("Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно"),
        col("Число избирательных бюллетеней, выданных в помещении для голосования в день голосования"),
        col("Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования"),
    ];
    let valid = col("Число действительных избирательных бюллетеней");
    let invalid = col("Число недействительных избирательных бюллетеней");
    let url = col("url");
    let first_candidate = col("Число избирательных бюллетеней, не учтенных при получении") + 1;
    let leader = col(leader_name);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let n = |i: usize| r[i].parse::<f64>().unwrap();
            Row {
                voters: n(voters),
                given: given.iter().map(|&i| n(i)).sum(),
                received: n(valid) + n(invalid),
                leader: n(leader),
                region: r[0].to_string(),
                candidates: (first_candidate..url).map(|i| r[i].parse().unwrap()).collect(),
            }
        })
        .collect()
}

/// The inclusion rule and the integer test as the authors' NumPy code writes them: float
/// ratios, `np.round` (half to even), `<= binwidth/2`.
fn observed_as_numpy(rows: &[Row]) -> (usize, [u64; 3]) {
    let mut included = 0;
    let mut counts = [0u64; 3];
    for r in rows {
        if !(r.received > 0.0 && r.voters >= 100.0) {
            continue;
        }
        if !(r.given / r.voters <= 0.99 && r.leader / r.received <= 0.99) {
            continue;
        }
        included += 1;
        let p1 = 100.0 * r.leader / r.received;
        let p2 = 100.0 * r.given / r.voters;
        let i1 = (p1 - p1.round_ties_even()).abs() <= 0.1 / 2.0;
        let i2 = (p2 - p2.round_ties_even()).abs() <= 0.1 / 2.0;
        counts[0] += u64::from(i1 || i2);
        counts[1] += u64::from(i1);
        counts[2] += u64::from(i2);
    }
    (included, counts)
}

/// ln n! by Stirling's series above 20, by the product below.
fn ln_factorial(n: f64) -> f64 {
    if n < 20.0 {
        return (1..=n as u64).map(|k| (k as f64).ln()).sum();
    }
    let x = n + 1.0;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

/// P(100·K/n is within 0.05 of a whole number) for K ~ Binomial(n, x/n): every whole percent's
/// window of counts, each count's probability from Stirling's factorials.
fn landing(x: f64, n: f64) -> f64 {
    if x == 0.0 || x == n {
        return 1.0;
    }
    let p = x / n;
    let mut total = 0.0;
    for m in 0..=100 {
        let lo = (n * (m as f64 - 0.05) / 100.0 - 1e-9).ceil().max(0.0) as u64;
        let hi = (n * (m as f64 + 0.05) / 100.0 + 1e-9).floor().min(n) as u64;
        for k in lo..=hi {
            let k = k as f64;
            let ln = ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k) + k * p.ln() + (n - k) * (1.0 - p).ln();
            total += ln.exp();
        }
    }
    total
}

/// The exact expectation and variance of the three null counts: Σ q and Σ q(1 − q), with
/// q_either = 1 − (1 − q_result)(1 − q_turnout) (the two draws are independent).
fn analytic(rows: &[Row]) -> ([f64; 3], [f64; 3]) {
    let mut mean = [0.0; 3];
    let mut var = [0.0; 3];
    for r in rows {
        if !(r.received > 0.0 && r.voters >= 100.0 && r.given / r.voters <= 0.99 && r.leader / r.received <= 0.99) {
            continue;
        }
        let qr = landing(r.leader, r.received);
        let qt = landing(r.given, r.voters);
        for (i, q) in [1.0 - (1.0 - qr) * (1.0 - qt), qr, qt].into_iter().enumerate() {
            mean[i] += q;
            var[i] += q * (1.0 - q);
        }
    }
    (mean, var)
}

/// The excess of integer polling stations ("turnout or leader's result", counted in
/// stations) that Kobak, Shpilkin & Pshenichnikov computed on these very files (identical
/// bytes: ../shared/data/elections/ru comes from their repository dkobak/elections, snapshot
/// 8003707): their notebook `analysis/2024/2024.ipynb` prints `anomalies[:,0,0]` for the
/// federal elections 2000–2024 as
/// `[108.577 84.458 933.748 722.725 1722.779 1003.477 1159.585 1502.391 1708.839 3610.885
/// 1309.768 2930.984]`, the 7th being 2012 and the 9th 2018 (years 2000, 2003, 2004, 2007,
/// 2008, 2011, 2012, 2016, 2018, 2020, 2021, 2024), from `nrep = 1000` NumPy repetitions with
/// `seed = 42`. (The AoAS 2016 paper's text was not at hand here; its code is this one, with
/// "the inclusion criteria that we used in the AOAS paper".)
const PUBLISHED_EXCESS: [(&str, &str, f64); 2] = [
    ("ru/2012.csv.zip", "Путин Владимир Владимирович", 1159.585),
    ("ru/2018.csv.zip", "Путин Владимир Владимирович", 1708.839),
];

#[test]
fn integer_percentages_on_2012_and_2018_match_a_second_reading_the_exact_null_and_the_authors() {
    for (file, leader_name, published) in PUBLISHED_EXCESS {
        let bytes = unzip(file);
        let parsed = protocol::parse(&bytes).unwrap();
        assert_eq!(parsed.format, Format::RuCec);
        let election = &parsed.election;
        let leader = election.leader().unwrap();
        assert_eq!(election.candidates[leader], leader_name);
        let rows = rows(&bytes, leader_name);
        assert_eq!(election.stations.len(), rows.len());

        let repetitions = 200;
        let ip = integer::integer_percentages(election, leader, repetitions, 7);

        // Observed counts and inclusions: exactly those of the authors' float arithmetic.
        let (included, observed) = observed_as_numpy(&rows);
        assert_eq!(ip.stations_included, included, "{file}");
        assert_eq!(
            [ip.observed.either, ip.observed.result, ip.observed.turnout],
            observed,
            "{file}"
        );

        // The Monte Carlo mean against the exact expectation: the mean of R repetitions has a
        // standard error of sqrt(Σ q(1 − q) / R); allow five of them.
        let (exact, var) = analytic(&rows);
        let mc = [ip.expected.either, ip.expected.result, ip.expected.turnout];
        let p999 = [ip.p999.either, ip.p999.result, ip.p999.turnout];
        for i in 0..3 {
            let se = (var[i] / repetitions as f64).sqrt();
            assert!(
                (mc[i] - exact[i]).abs() <= 5.0 * se,
                "{file} count {i}: Monte Carlo {} vs exact {} (se {se})",
                mc[i],
                exact[i]
            );
            // The 99.9th percentile of 200 draws lies between the 199th and 200th order
            // statistics: about 2.5–3 standard deviations above the mean; allow 1.5–5.
            let sd = var[i].sqrt();
            assert!(
                p999[i] > exact[i] + 1.5 * sd && p999[i] < exact[i] + 5.0 * sd,
                "{file} count {i}: p999 {} vs mean {} sd {sd}",
                p999[i],
                exact[i]
            );
        }

        // The excess against the authors': their expected count is a mean of 1,000 NumPy
        // repetitions, standard error sqrt(Σ q(1 − q) / 1000) (about 3); ours is exact here.
        let excess = observed[0] as f64 - exact[0];
        let se = (var[0] / 1000.0).sqrt();
        assert!(
            (excess - published).abs() <= 5.0 * se,
            "{file}: excess {excess} vs published {published} (se {se})"
        );
        // And the library's own excess, Monte Carlo error on both sides.
        let both = (var[0] / repetitions as f64 + var[0] / 1000.0).sqrt();
        assert!(
            (ip.excess.either - published).abs() <= 5.0 * both,
            "{file}: {}",
            ip.excess.either
        );
    }
}

#[test]
fn the_other_analyses_on_2012_agree_with_plain_loops_over_the_file() {
    let bytes = unzip("ru/2012.csv.zip");
    let parsed = protocol::parse(&bytes).unwrap();
    let election = &parsed.election;
    let leader = election.leader().unwrap();
    let rows = rows(&bytes, "Путин Владимир Владимирович");

    // Protocol arithmetic: SOURCES.md says every control relation holds on every row.
    let a = razam_forensics::arithmetic::check(election);
    assert_eq!((a.rows_checked, a.failing_rows), (95_415, 0));

    // Fingerprint: every station with voters, ballots and issued ≤ registered, in its cell.
    let fp = razam_forensics::fingerprint::fingerprint(election, leader);
    let mut cells: HashMap<(usize, usize), u32> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| r.voters > 0.0 && r.received > 0.0 && r.given <= r.voters)
    {
        let t = ((100.0 * r.given / r.voters).floor() as usize).min(99);
        let s = ((100.0 * r.leader / r.received).floor() as usize).min(99);
        *cells.entry((t, s)).or_default() += 1;
    }
    assert_eq!(fp.stations, cells.values().sum::<u32>() as usize);
    for ((t, s), n) in &cells {
        assert_eq!(fp.station_counts[*t][*s], *n, "cell {t}, {s}");
    }

    // Shpilkin: the mode, the reference ratio and the anomalous votes by a second loop.
    let sh = shpilkin::shpilkin(election, leader).unwrap();
    let mut by_bin = vec![(0.0f64, 0.0f64, 0.0f64); 100]; // registered, leader, others
    for r in rows
        .iter()
        .filter(|r| r.voters > 0.0 && r.received > 0.0 && r.given <= r.voters)
    {
        let b = ((100.0 * r.given / r.voters).floor() as usize).min(99);
        let others: u64 = r.candidates.iter().sum::<u64>() - r.leader as u64;
        by_bin[b].0 += r.voters;
        by_bin[b].1 += r.leader;
        by_bin[b].2 += others as f64;
    }
    let mode = (0..100).max_by(|&a, &b| by_bin[a].0.total_cmp(&by_bin[b].0)).unwrap();
    assert_eq!(sh.mode_turnout as usize, mode);
    let k = by_bin[..=mode].iter().map(|b| b.1).sum::<f64>() / by_bin[..=mode].iter().map(|b| b.2).sum::<f64>();
    let anomalous: f64 = by_bin[mode + 1..].iter().map(|b| b.1 - k * b.2).sum();
    assert!(
        (sh.anomalous_votes - anomalous).abs() < 1.0,
        "{} vs {anomalous}",
        sh.anomalous_votes
    );

    // Digits: the second digits of the leader's counts, read off their decimal strings.
    let d = razam_forensics::digits::digits(election, 50, 3);
    let mut second = [0u64; 10];
    for r in &rows {
        let text = (r.leader as u64).to_string();
        if text.len() >= 2 {
            second[text.as_bytes()[1] as usize - b'0' as usize] += 1;
        }
    }
    let t = &d.second_digit[leader];
    assert_eq!(t.frequencies, second);
    assert!(t.mean_ci95[0] < t.mean && t.mean < t.mean_ci95[1]);

    // PVT: the full count by a plain sum, and with seed 1 both intervals hold it.
    let (y, x) = rows
        .iter()
        .filter(|r| r.received > 0.0)
        .fold((0.0, 0.0), |(y, x), r| (y + r.leader, x + r.received));
    let p = pvt::pvt(election, leader, 1000, 1).unwrap();
    assert!((p.full_count - y / x).abs() < 1e-12);
    assert!(p.simple.contains_full_count, "{:?} vs {}", p.simple, p.full_count);
    let st = p.stratified.unwrap();
    assert!(st.contains_full_count, "{st:?} vs {}", p.full_count);
    assert_eq!(p.simple.sample, 1000);
    let regions: std::collections::HashSet<&str> = rows.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(election.regions.len(), regions.len());
    // A margin of a 1,000-station sample of a ~64 % result: about a percentage point.
    assert!((0.003..0.02).contains(&p.simple.margin95), "{}", p.simple.margin95);
}

#[test]
fn the_belarus_file_gives_its_1374_official_rows_and_their_arithmetic() {
    let bytes = std::fs::read(data("by-2020/voice.csv")).unwrap();
    let parsed = protocol::parse(&bytes).unwrap();
    assert_eq!(parsed.format, Format::ByVoice2020);
    assert_eq!((parsed.rows, parsed.skipped), (1374, 5709 - 1374));
    let election = &parsed.election;
    assert_eq!(election.candidates[election.leader().unwrap()], "lukashenko");
    // Three negative counts of "against all" in the published file are left out, by name.
    let note = parsed.notes.iter().find(|n| n.contains("negative")).unwrap();
    assert!(
        note.starts_with("3 candidate cells") && note.contains("line 67, against_officialVotes = -48"),
        "{note}"
    );

    // A second reading: rows with officialVotes whose every official cell but `ignore` is
    // given; those must add up to officialVotes.
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let official: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].ends_with("_officialVotes") && header[i] != "ignore_officialVotes")
        .collect();
    let total = header.iter().position(|h| h == "officialVotes").unwrap();
    let (mut checked, mut failing) = (0, 0);
    for r in reader.records() {
        let r = r.unwrap();
        if r[total].is_empty() || official.iter().any(|&i| r[i].is_empty() || r[i].starts_with('-')) {
            continue;
        }
        checked += 1;
        let sum: u64 = official.iter().map(|&i| r[i].parse::<u64>().unwrap()).sum();
        failing += usize::from(sum != r[total].parse::<u64>().unwrap());
    }
    let a = razam_forensics::arithmetic::check(election);
    assert_eq!((a.rows_checked, a.failing_rows), (checked, failing));
    assert!(checked > 600 && failing > 0, "{checked} {failing}");

    let report = razam_forensics::analyse(
        election,
        &razam_forensics::Options {
            repetitions: 50,
            bootstrap: 50,
            ..razam_forensics::Options::default()
        },
    );
    // 39 of the 1,374 rows lack officialVoters and cannot enter the integer analysis.
    let ip = report.integer_percentages.unwrap();
    assert!(ip.stations_included <= 1374 - 39, "{}", ip.stations_included);
    assert!(ip.stations_included > 1000);
}

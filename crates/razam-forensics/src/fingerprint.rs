//! The election fingerprint: a 2D histogram of stations by turnout and the leader's result.
//!
//! **Stations**: at least one registered voter, ballots cast above 0, ballots issued not above
//! the registered voters, and the leader's votes given.
//! **Turnout** = ballots issued / registered; **result** = leader's votes / ballots cast.
//! **Bins**: 100 × 100 cells of one percentage point: turnout cell `i` holds turnouts in
//! `[i %, (i + 1) %)`, result cell `j` results in `[j %, (j + 1) %)`; 100 % falls into the last
//! cell (99). Two matrices: the number of stations per cell and the registered voters per cell
//! (the weighting of Kobak, Shpilkin & Pshenichnikov's figures), both indexed
//! `[turnout][result]`.
//!
//! What it can show: an honest election draws one compact cloud (Klimek et al., PNAS 2012); a
//! comet's tail towards (100 %, 100 %), where turnout and the leader's share rise together, and
//! dots at round values are the marks of ballot stuffing and of written-in results. What it
//! cannot show by itself: a tail can also come from real differences between regions (e.g.
//! where one candidate is popular and turnout high), so read it with the regional breakdown.

use std::fmt::Write;

use serde::Serialize;

use crate::Election;

/// Cells per axis.
pub const BINS: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct Fingerprint {
    /// Width of a cell in percentage points.
    pub bin_width: f64,
    /// Stations drawn.
    pub stations: usize,
    /// `stations[turnout][result]`.
    pub station_counts: Vec<Vec<u32>>,
    /// `voters[turnout][result]`: registered voters.
    pub voters: Vec<Vec<u64>>,
}

/// The cell of `100·num/den` percent (0..=99).
fn cell(num: u64, den: u64) -> usize {
    ((u128::from(num) * BINS as u128 / u128::from(den)) as usize).min(BINS - 1)
}

pub fn fingerprint(election: &Election, leader: usize) -> Fingerprint {
    let mut counts = vec![vec![0u32; BINS]; BINS];
    let mut voters = vec![vec![0u64; BINS]; BINS];
    let mut drawn = 0;
    for s in &election.stations {
        let (Some(registered), Some(Some(votes))) = (s.registered, s.votes.get(leader)) else {
            continue;
        };
        if registered == 0 || s.cast == 0 || s.issued > registered {
            continue;
        }
        let (t, r) = (cell(s.issued, registered), cell((*votes).min(s.cast), s.cast));
        counts[t][r] += 1;
        voters[t][r] += registered;
        drawn += 1;
    }
    Fingerprint {
        bin_width: 100.0 / BINS as f64,
        stations: drawn,
        station_counts: counts,
        voters,
    }
}

/// The fingerprint as a self-contained SVG: no script, no external reference. Each non-empty
/// cell is a square whose darkness grows with the logarithm of its station count; axes in
/// steps of 10 %.
pub fn svg(fp: &Fingerprint, title: &str) -> String {
    const CELL: usize = 4;
    const LEFT: usize = 48;
    const TOP: usize = 28;
    let side = CELL * BINS;
    let (width, height) = (LEFT + side + 16, TOP + side + 44);
    let max = fp.station_counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    let scale = f64::from(max).ln_1p();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="fp-title"><title id="fp-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{side}" height="{side}" fill="#fff" stroke="#888"/>"##
    );
    for (t, row) in fp.station_counts.iter().enumerate() {
        for (r, &n) in row.iter().enumerate() {
            if n == 0 {
                continue;
            }
            // Lightness from 85 % (one station) down to 10 % (the fullest cell).
            let level = f64::from(n).ln_1p() / scale;
            let light = 85.0 - 75.0 * level;
            let x = LEFT + t * CELL;
            let y = TOP + (BINS - 1 - r) * CELL;
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="hsl(220,60%,{light:.0}%)"><title>turnout {t}–{}%, result {r}–{}%: {n}</title></rect>"#,
                t + 1,
                r + 1
            );
        }
    }
    for k in (0..=100).step_by(10) {
        let x = LEFT + k * CELL;
        let y = TOP + side - k * CELL;
        let _ = write!(
            out,
            r##"<text x="{x}" y="{}" font-size="11" text-anchor="middle" fill="#333">{k}</text><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333">{k}</text>"##,
            TOP + side + 14,
            LEFT - 4,
            y + 4
        );
    }
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#000">turnout, % (ballots issued / registered)</text><text x="12" y="{}" font-size="12" text-anchor="middle" fill="#000" transform="rotate(-90 12 {})">leader's result, % of ballots cast</text><text x="{LEFT}" y="18" font-size="13" fill="#000">{}</text></svg>"##,
        LEFT + side / 2,
        TOP + side + 34,
        TOP + side / 2,
        TOP + side / 2,
        escape(title)
    );
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Station;

    fn station(registered: u64, issued: u64, cast: u64, leader: u64) -> Station {
        Station {
            registered: Some(registered),
            issued,
            cast,
            votes: vec![Some(leader), Some(cast - leader)],
            ..Station::default()
        }
    }

    #[test]
    fn cells_are_one_point_wide_and_100_percent_falls_in_the_last() {
        let election = Election {
            candidates: vec!["A".into(), "B".into()],
            regions: vec![],
            stations: vec![
                station(1000, 500, 500, 250), // 50 %, 50 %
                station(1000, 509, 500, 254), // 50.9 %, 50.8 %
                station(200, 200, 200, 200),  // 100 %, 100 %
                station(300, 3, 3, 0),        // 1 %, 0 %
                station(100, 101, 100, 50),   // issued above registered: left out
                station(0, 0, 0, 0),          // empty: left out
            ],
        };
        let fp = fingerprint(&election, 0);
        assert_eq!(fp.stations, 4);
        assert_eq!(fp.station_counts[50][50], 2);
        assert_eq!(fp.voters[50][50], 2000);
        assert_eq!(fp.station_counts[99][99], 1);
        assert_eq!(fp.station_counts[1][0], 1);
        assert_eq!(fp.station_counts.iter().flatten().sum::<u32>(), 4);
        let drawing = svg(&fp, "A <test> & more");
        assert!(drawing.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(drawing.ends_with("</svg>"));
        assert!(!drawing.contains("<script") && !drawing.contains("href"));
        assert!(drawing.contains("A &lt;test&gt; &amp; more"));
        // One square per non-empty cell (3) plus the frame.
        assert_eq!(drawing.matches("<rect").count(), 4);
    }
}

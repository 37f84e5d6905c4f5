//! What the public transparency report may show: money in and out per month, by campaign and
//! by category, with small cells hidden so that no beneficiary can be picked out.
//!
//! A **cell** is the number of payments and their sum in one currency, for one month and one
//! campaign (money in) or one category of assistance (money out). A **group** is a set of
//! cells whose total is published too (a month's total, a category's total over the months,
//! the grand total). The rules, applied by [`suppress`]:
//!
//! 1. A cell of 1 to 4 payments is suppressed: neither its count nor its amount is shown
//!    ([`crate::registry::PublicCount`]).
//! 2. A published total must not give a suppressed cell back by subtraction: within every
//!    group whose total is shown, the suppressed cells together hold no payment or at least 5;
//!    otherwise the group's total is suppressed.
//! 3. Beyond single subtractions, no suppressed cell may be the solution of the published
//!    totals taken together (a month's total minus the other categories' totals can pin a
//!    cell down even when no single total does): the published totals are solved as linear
//!    equations in the hidden cells, and while one hidden cell is determined by them, the
//!    total of one of its groups is suppressed too.
//!
//! Totals are suppressed rather than more cells: a total is one number, while a cell hidden
//! in its place would hide its payments from every other total it is in.
//!
//! A group can be **forced**: its total is public anyway (a campaign's "raised so far" is on
//! its public page by choice). A forced total is never suppressed; where rule 2 asks for more
//! within it, its smallest shown cell is suppressed instead. What the forced total gives away
//! is the campaign's own public figure.

use crate::registry::SUPPRESS_BELOW;

/// One cell: how many payments and their sum (minor units of one currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub count: i64,
    pub amount: i64,
}

/// Cells whose total is published, by index into the cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub cells: Vec<usize>,
    /// Whether the total is public anyway and so can never be suppressed.
    pub forced: bool,
}

/// Which cells and group totals are suppressed (`true`), in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub cells: Vec<bool>,
    pub groups: Vec<bool>,
}

/// Applies the three rules of this module to `cells` and the totals of `groups`.
pub fn suppress(cells: &[Cell], groups: &[Group]) -> Suppression {
    let mut hidden: Vec<bool> = cells.iter().map(|c| c.count > 0 && c.count < SUPPRESS_BELOW).collect();
    let mut hidden_total = vec![false; groups.len()];
    // Each round hides at least one more cell or total, so this ends.
    loop {
        let mut changed = false;
        for (g, group) in groups.iter().enumerate() {
            if hidden_total[g] {
                continue;
            }
            let hidden_count: i64 = group
                .cells
                .iter()
                .filter(|&&i| hidden[i])
                .map(|&i| cells[i].count)
                .sum();
            let any_hidden = group.cells.iter().any(|&i| hidden[i] && cells[i].count > 0);
            if any_hidden && hidden_count < SUPPRESS_BELOW {
                changed |= hide_one_more(cells, group, g, &mut hidden, &mut hidden_total);
            }
        }
        if !changed && let Some(j) = determined_cell(groups, &hidden, &hidden_total) {
            // Hide the total of a group of the determined cell (one that can be hidden first).
            let mut candidates: Vec<usize> = (0..groups.len())
                .filter(|&g| !hidden_total[g] && groups[g].cells.contains(&j))
                .collect();
            candidates.sort_by_key(|&g| groups[g].forced);
            for g in candidates {
                if hide_one_more(cells, &groups[g], g, &mut hidden, &mut hidden_total) {
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            return Suppression {
                cells: hidden,
                groups: hidden_total,
            };
        }
    }
}

/// Hides the group's total; a forced total stays, so then the group's smallest shown cell that
/// holds payments. Hiding a total loses one number where hiding a cell would lose it and
/// cascade into every other total the cell is in. Whether anything was hidden.
fn hide_one_more(cells: &[Cell], group: &Group, g: usize, hidden: &mut [bool], hidden_total: &mut [bool]) -> bool {
    if !group.forced {
        hidden_total[g] = true;
        return true;
    }
    let next = group
        .cells
        .iter()
        .copied()
        .filter(|&i| !hidden[i] && cells[i].count > 0)
        .min_by_key(|&i| (cells[i].count, cells[i].amount, i));
    match next {
        Some(i) => {
            hidden[i] = true;
            true
        }
        None => false,
    }
}

/// The Mersenne prime 2^61 − 1: the totals' equations are solved modulo it, exactly.
const P: u64 = (1 << 61) - 1;

fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(P)) as u64
}

fn inverse(a: u64) -> u64 {
    let (mut base, mut exp, mut out) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            out = mul(out, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    out
}

/// A hidden cell whose value the published totals determine, if there is one (only forced
/// totals are left out of the question: no more can be hidden behind them, and what they
/// give away is public by choice). A cell `j` is determined exactly when the unit vector
/// `e_j` lies in the row space of the totals' equations over the hidden cells; in reduced
/// row-echelon form that means some row is `e_j` itself.
fn determined_cell(groups: &[Group], hidden: &[bool], hidden_total: &[bool]) -> Option<usize> {
    let unknowns: Vec<usize> = (0..hidden.len()).filter(|&i| hidden[i]).collect();
    if unknowns.is_empty() {
        return None;
    }
    let column = |cell: usize| unknowns.iter().position(|&u| u == cell);
    let mut rows: Vec<Vec<u64>> = groups
        .iter()
        .enumerate()
        .filter(|(g, group)| !hidden_total[*g] && !group.forced)
        .map(|(_, group)| {
            let mut row = vec![0u64; unknowns.len()];
            for &i in &group.cells {
                if let Some(c) = column(i) {
                    row[c] = 1;
                }
            }
            row
        })
        .filter(|row| row.iter().any(|&v| v != 0))
        .collect();
    let mut pivot_row = 0;
    for col in 0..unknowns.len() {
        let Some(found) = (pivot_row..rows.len()).find(|&r| rows[r][col] != 0) else {
            continue;
        };
        rows.swap(pivot_row, found);
        let inv = inverse(rows[pivot_row][col]);
        for v in rows[pivot_row].iter_mut() {
            *v = mul(*v, inv);
        }
        let pivot = rows[pivot_row].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != pivot_row && row[col] != 0 {
                let factor = row[col];
                for (v, p) in row.iter_mut().zip(&pivot) {
                    *v = (*v + P - mul(factor, *p)) % P;
                }
            }
        }
        pivot_row += 1;
    }
    rows.iter()
        .take(pivot_row)
        .find(|row| row.iter().filter(|&&v| v != 0).count() == 1)
        .and_then(|row| row.iter().position(|&v| v != 0))
        .map(|c| unknowns[c])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(counts: &[i64]) -> Vec<Cell> {
        counts
            .iter()
            .map(|&count| Cell {
                count,
                amount: count * 1_000,
            })
            .collect()
    }

    fn group(cells: &[usize]) -> Group {
        Group {
            cells: cells.to_vec(),
            forced: false,
        }
    }

    /// A table of `rows` × `cols` cells (row-major) with a total per row, per column and overall.
    fn table_groups(rows: usize, cols: usize) -> Vec<Group> {
        let mut groups = Vec::new();
        for r in 0..rows {
            groups.push(group(&(0..cols).map(|c| r * cols + c).collect::<Vec<_>>()));
        }
        for c in 0..cols {
            groups.push(group(&(0..rows).map(|r| r * cols + c).collect::<Vec<_>>()));
        }
        groups.push(group(&(0..rows * cols).collect::<Vec<_>>()));
        groups
    }

    /// Rank of a 0/1 matrix in floating point (an independent way to ask the same question).
    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let mut rank = 0;
        let cols = m.first().map_or(0, Vec::len);
        for col in 0..cols {
            let Some(p) = (rank..m.len()).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs())) else {
                break;
            };
            if m[p][col].abs() < 1e-9 {
                continue;
            }
            m.swap(rank, p);
            let pivot = m[rank].clone();
            for (r, row) in m.iter_mut().enumerate() {
                if r != rank {
                    let f = row[col] / pivot[col];
                    for (v, p) in row.iter_mut().zip(&pivot) {
                        *v -= f * p;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// Whether hidden cell `j` can be computed from the published totals: deleting its column
    /// from the equations lowers their rank.
    fn recoverable(groups: &[Group], s: &Suppression, j: usize) -> bool {
        let unknowns: Vec<usize> = (0..s.cells.len()).filter(|&i| s.cells[i]).collect();
        let m: Vec<Vec<f64>> = groups
            .iter()
            .enumerate()
            .filter(|(g, _)| !s.groups[*g])
            .map(|(_, g)| {
                unknowns
                    .iter()
                    .map(|u| if g.cells.contains(u) { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        let without: Vec<Vec<f64>> = m
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(c, _)| unknowns[*c] != j)
                    .map(|(_, v)| *v)
                    .collect()
            })
            .collect();
        rank(m) != rank(without)
    }

    fn check(counts: &[i64], groups: &[Group]) -> Suppression {
        let cs = cells(counts);
        let s = suppress(&cs, groups);
        for (i, c) in cs.iter().enumerate() {
            if !s.cells[i] {
                assert!(c.count == 0 || c.count >= 5, "cell {i} shows {}", c.count);
            } else {
                assert!(
                    !recoverable(groups, &s, i),
                    "cell {i} can be computed: {counts:?} {s:?}"
                );
            }
        }
        for (g, group) in groups.iter().enumerate() {
            if !s.groups[g] {
                let hidden: i64 = group.cells.iter().filter(|&&i| s.cells[i]).map(|&i| cs[i].count).sum();
                assert!(hidden == 0 || hidden >= 5, "group {g} gives {hidden} back");
            }
        }
        s
    }

    #[test]
    fn a_small_cell_is_hidden_with_every_total_that_would_give_it_back() {
        // Two months, two categories; one cell of 2 payments.
        let s = check(&[2, 10, 7, 20], &table_groups(2, 2));
        assert_eq!(s.cells, vec![true, false, false, false]);
        // Its row, its column and the grand total would each give it back.
        assert_eq!(s.groups, vec![true, false, true, false, true]);
    }

    #[test]
    fn a_forced_total_makes_a_partner_cell_hidden_instead() {
        let groups = vec![
            Group {
                cells: vec![0, 1, 2],
                forced: true,
            },
            group(&[0]),
            group(&[1]),
            group(&[2]),
        ];
        let s = check(&[2, 9, 30], &groups);
        assert_eq!(s.cells, vec![true, true, false]);
        assert_eq!(s.groups, vec![false, true, true, false]);
    }

    #[test]
    fn a_lone_small_row_hides_its_total() {
        // One category paid twice in total, nothing else in its row: the row total is hidden.
        let s = check(&[3], &[group(&[0])]);
        assert_eq!(
            s,
            Suppression {
                cells: vec![true],
                groups: vec![true]
            }
        );
    }

    #[test]
    fn big_cells_are_all_shown() {
        let s = check(&[5, 6, 7, 80, 9, 10], &table_groups(2, 3));
        assert!(s.cells.iter().all(|h| !h) && s.groups.iter().all(|h| !h));
    }

    #[test]
    fn a_forced_total_is_never_hidden() {
        let groups = vec![Group {
            cells: vec![0, 1],
            forced: true,
        }];
        let s = suppress(&cells(&[2, 40]), &groups);
        assert_eq!(s.groups, vec![false]);
        assert_eq!(s.cells, vec![true, true]);
    }

    /// Random tables with many small cells: every shown cell is 0 or ≥ 5, no hidden cell can
    /// be computed from the published totals, and no total gives back fewer than 5 payments.
    #[test]
    fn random_tables_never_give_a_hidden_cell_back() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..300 {
            let rows = 1 + next(5) as usize;
            let cols = 1 + next(5) as usize;
            let counts: Vec<i64> = (0..rows * cols)
                .map(|_| match next(4) {
                    0 => 0,
                    1 => 1 + next(4) as i64,
                    _ => 5 + next(40) as i64,
                })
                .collect();
            check(&counts, &table_groups(rows, cols));
        }
    }
}

#!/usr/bin/env python3
"""bench/linkage_eval.py: pairwise precision, recall and F1 of a clustering against the truth.

    linkage_eval.py --truth FILE.csv [--truth FILE2.csv] --predicted PRED.csv
                    [--id-column unique_id] [--truth-column cluster | --truth-from-id REGEX]
                    [--predicted-id-column id] [--predicted-cluster-column cluster_id]

Each truth file holds one record per row: an id column and a truth column (the true entity),
or the truth is taken from the id by a regular expression whose first group names the entity
(FEBRL: --truth-from-id 'rec-(\\d+)-'). Cells and header names are stripped of white space
(the FEBRL files have a space after every comma).

With one truth file the task is deduplication: every pair of records counts. With two or more
truth files the task is linkage: only pairs of records from different files count (pairs
within one file are neither rewarded nor punished).

A pair is predicted when both records have the same predicted cluster, true when both have
the same truth. Pairs are counted from the sizes of the clusters and of their intersections,
never enumerated, so this is linear in the number of records:
    predicted pairs = sum over predicted clusters, true pairs = sum over true clusters,
    true positives = sum over (predicted, true) intersections.
For linkage, a group of records with n_i records from file i holds
(n^2 - sum n_i^2) / 2 cross-file pairs.

The predicted file must hold every input id exactly once and no other id; otherwise the
script names the problem and exits 1 (after printing the figures of what it could match).

Output: a human-readable summary, then one machine-readable line
    RESULT records=N true_pairs=T predicted_pairs=P true_positives=TP precision=.. recall=.. f1=..
Plain Python 3 standard library only.
"""

import argparse
import csv
import re
import sys
from collections import Counter


def read_rows(path):
    """The rows of a CSV file as dicts, names and cells stripped of surrounding white space."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            sys.exit(f"error: {path} is empty")
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                sys.exit(f"error: {path} line {line}: {len(row)} cells, the header has {len(header)}")
            yield line, dict(zip(header, (c.strip() for c in row)))


def column(path, name):
    with open(path, newline="", encoding="utf-8") as f:
        header = [h.strip() for h in next(csv.reader(f), [])]
    if name not in header:
        sys.exit(f"error: {path} has no column {name!r} (it has {', '.join(header)})")


def pairs_within(sources, link):
    """Pairs counted in a group whose records come from `sources` (a Counter of file index ->
    records): all pairs for one file, cross-file pairs otherwise."""
    n = sum(sources.values())
    if link:
        return (n * n - sum(k * k for k in sources.values())) // 2
    return n * (n - 1) // 2


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--truth", action="append", required=True, help="truth CSV; twice (or more) for linkage")
    p.add_argument("--predicted", required=True, help="predicted CSV with an id and a cluster column")
    p.add_argument("--id-column", default="unique_id")
    p.add_argument("--truth-column", default=None, help="default: cluster")
    p.add_argument("--truth-from-id", default=None, metavar="REGEX",
                   help="the truth is the first group of REGEX matched against the id")
    p.add_argument("--predicted-id-column", default="id")
    p.add_argument("--predicted-cluster-column", default="cluster_id")
    args = p.parse_args()
    if args.truth_column and args.truth_from_id:
        sys.exit("error: give --truth-column or --truth-from-id, not both")
    truth_column = args.truth_column or ("cluster" if not args.truth_from_id else None)
    pattern = re.compile(args.truth_from_id) if args.truth_from_id else None
    link = len(args.truth) > 1

    # id -> (truth, source file index)
    truth = {}
    for index, path in enumerate(args.truth):
        column(path, args.id_column)
        if truth_column:
            column(path, truth_column)
        for line, row in read_rows(path):
            rid = row[args.id_column]
            if not rid:
                sys.exit(f"error: {path} line {line}: empty id")
            if rid in truth:
                sys.exit(f"error: {path} line {line}: id {rid!r} appears twice in the input")
            if pattern:
                m = pattern.search(rid)
                if not m:
                    sys.exit(f"error: {path} line {line}: id {rid!r} does not match {args.truth_from_id!r}")
                entity = m.group(1)
            else:
                entity = row[truth_column]
                if not entity:
                    sys.exit(f"error: {path} line {line}: empty truth cell")
            truth[rid] = (entity, index)

    column(args.predicted, args.predicted_id_column)
    column(args.predicted, args.predicted_cluster_column)
    predicted = {}
    problems = []
    for line, row in read_rows(args.predicted):
        rid = row[args.predicted_id_column]
        if rid in predicted:
            problems.append(f"{args.predicted} line {line}: id {rid!r} appears more than once")
            continue
        if rid not in truth:
            problems.append(f"{args.predicted} line {line}: id {rid!r} is not in the input")
            continue
        predicted[rid] = row[args.predicted_cluster_column]
    missing = [rid for rid in truth if rid not in predicted]
    if missing:
        problems.append(f"{len(missing)} input ids are missing from {args.predicted}, e.g. {missing[:5]}")

    # Group sizes by true cluster, by predicted cluster, and by their intersection, each split
    # by source file.
    by_truth, by_pred, by_both = {}, {}, {}
    for rid, (entity, source) in truth.items():
        by_truth.setdefault(entity, Counter())[source] += 1
        cluster = predicted.get(rid)
        if cluster is None:
            continue
        by_pred.setdefault(cluster, Counter())[source] += 1
        by_both.setdefault((cluster, entity), Counter())[source] += 1
    true_pairs = sum(pairs_within(s, link) for s in by_truth.values())
    predicted_pairs = sum(pairs_within(s, link) for s in by_pred.values())
    tp = sum(pairs_within(s, link) for s in by_both.values())
    precision = tp / predicted_pairs if predicted_pairs else 0.0
    recall = tp / true_pairs if true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    mode = f"linkage of {len(args.truth)} files (cross-file pairs only)" if link else "deduplication"
    print(f"task: {mode}")
    print(f"records: {len(truth)}; true clusters: {len(by_truth)}; predicted clusters: {len(by_pred)}")
    print(f"true pairs: {true_pairs}; predicted pairs: {predicted_pairs}; true positives: {tp}")
    print(f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}")
    print(f"RESULT records={len(truth)} true_pairs={true_pairs} predicted_pairs={predicted_pairs} "
          f"true_positives={tp} precision={precision:.4f} recall={recall:.4f} f1={f1:.4f}")
    if problems:
        for problem in problems[:20]:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

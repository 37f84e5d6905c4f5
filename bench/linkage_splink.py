#!/usr/bin/env python3
"""bench/linkage_splink.py: the reference side of bench/linkage.sh, Splink on DuckDB.

    linkage_splink.py --dataset {historical,febrl3,febrl4,synthetic} --input FILE.csv
                      [--input FILE2.csv] --output PRED.csv [--threshold 0.95] [--threads 2]

Reads the CSV file(s) into DuckDB (every column as text, cells stripped of white space: the
FEBRL files have a space after every comma), trains a Fellegi-Sunter model without labels in
the usual Splink way (probability two random records match from deterministic rules, u by
random sampling, m by expectation maximisation on a few blocking rules), predicts the pairs
of the blocking rules, clusters them at the threshold (connected components) and writes
`id,cluster_id` with every input id once. Run inside the throwaway virtual environment that
bench/linkage.sh makes (pip install splink).

The settings per data set follow the style of Splink's own example notebooks (the same kinds
of comparisons and blocking rules) but are written for this benchmark. The truth column is
never given to Splink.
"""

import argparse
import csv
import logging
import sys

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def load(con, path, table, columns_out):
    """A DuckDB table from a CSV file, every cell text and stripped; empty cells are NULL."""
    source = f"read_csv('{path}', all_varchar = true, header = true)"
    raw = con.sql(f"SELECT * FROM {source}").columns
    select = []
    for name in raw:
        clean = name.strip()
        select.append(f"NULLIF(TRIM(\"{name}\"), '') AS \"{clean}\"")
    con.execute(f"CREATE TABLE {table}_raw AS SELECT {', '.join(select)} FROM {source}")
    con.execute(f"CREATE TABLE {table} AS SELECT {columns_out} FROM {table}_raw")


def historical(con, paths):
    # Columns: unique_id, cluster (truth, not used), full_name, first_and_surname, first_name,
    # surname, dob, birth_place, postcode_fake, gender, occupation.
    load(con, paths[0], "t0", "unique_id, first_name, surname, dob, birth_place, postcode_fake, "
         "gender, occupation, first_name || ' ' || surname AS first_and_surname")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison("first_name", "surname",
                                         forename_surname_concat_col_name="first_and_surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode_fake"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("gender"),
            cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode_fake", "first_name"),
            block_on("postcode_fake", "surname"),
            block_on("dob", "birth_place"),
            block_on("substr(postcode_fake, 1, 3)", "dob"),
            block_on("substr(postcode_fake, 1, 3)", "first_name"),
            block_on("substr(postcode_fake, 1, 3)", "surname"),
            block_on("substr(first_name, 1, 2)", "substr(surname, 1, 2)", "substr(dob, 1, 4)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    deterministic = [
        block_on("first_name", "surname", "dob"),
        "l.first_name = r.first_name and levenshtein(r.dob, l.dob) <= 1",
        "l.surname = r.surname and levenshtein(r.dob, l.dob) <= 1",
        "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
    ]
    em_rules = [block_on("first_name", "surname"), block_on("dob")]
    return ["t0"], settings, deterministic, 0.6, em_rules


FEBRL_COLUMNS = ("rec_id AS unique_id, given_name, surname, street_number, address_1, "
                 "address_2, suburb, postcode, state, date_of_birth, soc_sec_id")


def febrl_settings(link_type):
    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
            block_on("postcode", "surname"),
            block_on("substr(given_name, 1, 2)", "substr(surname, 1, 2)"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def febrl3(con, paths):
    load(con, paths[0], "t0", FEBRL_COLUMNS)
    deterministic = [block_on("soc_sec_id", "date_of_birth"),
                     block_on("given_name", "surname", "date_of_birth")]
    em_rules = [block_on("date_of_birth"), block_on("postcode"), block_on("surname")]
    return ["t0"], febrl_settings("dedupe_only"), deterministic, 0.9, em_rules


def febrl4(con, paths):
    load(con, paths[0], "t0", FEBRL_COLUMNS)
    load(con, paths[1], "t1", FEBRL_COLUMNS)
    deterministic = [block_on("soc_sec_id", "date_of_birth"),
                     block_on("given_name", "surname", "date_of_birth")]
    em_rules = [block_on("date_of_birth"), block_on("postcode"), block_on("surname")]
    return ["t0", "t1"], febrl_settings("link_only"), deterministic, 0.9, em_rules


def synthetic(con, paths):
    # Columns: unique_id, cluster (truth, not used), given_name, family_name, patronymic,
    # birth_date (YYYY-MM-DD or YYYY), birth_place. Names are lower-cased (as Splink's
    # examples clean their data); transliteration is beyond Splink's comparisons.
    load(con, paths[0], "t0",
         "unique_id, lower(given_name) AS given_name, lower(family_name) AS family_name, "
         "lower(patronymic) AS patronymic, birth_date, "
         "lower(birth_place) AS birth_place, substr(birth_date, 1, 4) AS birth_year")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison("given_name", "family_name"),
            cl.NameComparison("patronymic"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("family_name", "birth_date"),
            block_on("given_name", "birth_date"),
            block_on("patronymic", "birth_date"),
            block_on("family_name", "birth_year", "birth_place"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "birth_year"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    deterministic = [
        block_on("given_name", "family_name", "birth_date"),
        block_on("family_name", "patronymic", "birth_date"),
    ]
    em_rules = [block_on("given_name", "family_name"), block_on("birth_date")]
    return ["t0"], settings, deterministic, 0.5, em_rules


DATASETS = {"historical": historical, "febrl3": febrl3, "febrl4": febrl4, "synthetic": synthetic}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    p.add_argument("--input", action="append", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {args.threads}")
    tables, settings, deterministic, recall, em_rules = DATASETS[args.dataset](con, args.input)
    db_api = DuckDBAPI(connection=con)
    inputs = [db_api.register(t) for t in tables]
    linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=logging.WARNING)

    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)

    pairs = linker.inference.predict(threshold_match_probability=min(0.5, args.threshold))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=args.threshold)
    rows = con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    with open(args.output, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "cluster_id"])
        w.writerows(rows)
    print(f"splink {len(rows)} records, {len(set(c for _, c in rows))} clusters", file=sys.stderr)


if __name__ == "__main__":
    main()

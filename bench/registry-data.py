#!/usr/bin/env python3
"""Writes a deterministic, fictional prisoner list and events file for the registry benchmarks.

Usage: registry-data.py PERSONS EVENTS SEED OUT_DIR

OUT_DIR/prisoners.csv  the `razam import prisoners` header, refs PP-000001…
OUT_DIR/events.csv     the `razam import events` header; every row names one of those refs,
                       and its description carries the row number, so no row repeats.
Names are made of invented syllables: nobody real is in the files.
"""
import csv
import datetime as dt
import random
import sys

persons, events, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
D = dt.date

SYLLABLES = ["ra", "zam", "lo", "vi", "ka", "shu", "bel", "da", "ny", "ta", "ro", "mi", "sia", "len", "vo", "ha"]
REGIONS = ["Minsk", "Мінск", "Брест", "Homiel", "Гродно", "Мінская вобласць", "Mahilyow", "Віцебск", "Brest region", ""]
ARTICLES = ["342", "342", "361-1;130", "342;293", "130", "369", "361-1", "423-1", "", ""]
KINDS = [
    ("detention", 0.30), ("search", 0.15), ("interrogation", 0.10), ("administrative_arrest", 0.12),
    ("criminal_case", 0.10), ("trial", 0.06), ("sentence", 0.06), ("release", 0.04), ("pardon", 0.01),
    ("ill_treatment", 0.02), ("forced_departure", 0.01), ("dismissal", 0.02), ("pressure_on_relatives", 0.01),
]
ROLES = [("victim", 0.9), ("witness", 0.07), ("lawyer", 0.03)]
LEVELS = [("internal", 0.8), ("public", 0.15), ("restricted", 0.05)]


def word(n):
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()


def weighted(pairs):
    r, acc = rng.random(), 0.0
    for value, weight in pairs:
        acc += weight
        if r < acc:
            return value
    return pairs[-1][0]


def day_between(a, b):
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


with open(f"{out}/prisoners.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ref", "given_name", "family_name", "patronymic", "birth_date", "region", "detained_on",
                "articles", "recognized_on", "released_on"])
    for i in range(1, persons + 1):
        detained = day_between(D(2020, 8, 1), D(2026, 6, 30))
        rec = detained + dt.timedelta(days=rng.randint(0, 300)) if rng.random() < 0.85 else None
        rel = (rec or detained) + dt.timedelta(days=rng.randint(1, 1500)) if rng.random() < 0.4 else None
        w.writerow([f"PP-{i:06d}", word(2), word(3), word(4) if rng.random() < 0.5 else "",
                    str(rng.randint(1950, 2005)), rng.choice(REGIONS), detained.isoformat(),
                    rng.choice(ARTICLES), rec.isoformat() if rec else "", rel.isoformat() if rel else ""])

with open(f"{out}/events.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["person_ref", "role", "kind", "date", "region", "district", "settlement", "facility", "articles",
                "arrest_days", "term_months", "confidentiality", "description"])
    for i in range(1, events + 1):
        kind = weighted(KINDS)
        day = day_between(D(2020, 8, 1), D(2026, 10, 31))
        date = day.strftime("%Y-%m") if rng.random() < 0.1 else day.isoformat()
        w.writerow([
            f"PP-{rng.randint(1, persons):06d}", weighted(ROLES), kind, date, rng.choice(REGIONS),
            word(2) + " district", word(2), "facility " + word(2) if kind in ("detention", "administrative_arrest") else "",
            rng.choice(ARTICLES[:8]) if kind in ("criminal_case", "trial", "sentence") else "",
            str(rng.randint(3, 30)) if kind == "administrative_arrest" else "",
            str(rng.randint(12, 180)) if kind == "sentence" else "",
            weighted(LEVELS), f"event {i}: {word(3)} {word(2)}",
        ])

"""bench/forensics_numpy.py: the integer-percentage Monte Carlo of Kobak, Shpilkin &
Pshenichnikov in plain NumPy, the reference for bench/forensics.sh.

Reads a Russian CEC per-station protocol (.csv or .zip holding one CSV), applies the paper's
inclusion rule (ballots cast > 0, registered >= 100, turnout and leader's result <= 0.99),
counts the stations whose result or turnout lies within 0.05 of a whole percent, then redraws
each station's leader votes ~ Binomial(cast, result) and ballots issued ~ Binomial(registered,
turnout), vectorised over stations and over blocks of repetitions, and counts again.
Prints one JSON line: stations_included, observed, expected, excess, p999 (for "either"),
repetitions, and the seconds spent reading and in the Monte Carlo alone.

Usage: python3 forensics_numpy.py FILE REPETITIONS [SEED]
"""
import csv
import io
import json
import sys
import time
import zipfile

import numpy as np


def read(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            text = z.read(z.namelist()[0]).decode("utf-8")
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    find = lambda pred: [i for i, h in enumerate(header) if pred(h)]
    registered = find(lambda h: h.startswith("Число избирателей, включенных"))[0]
    issued = find(lambda h: "бюллетеней, выданных" in h)
    valid = find(lambda h: h.startswith("Число действительных"))[0]
    invalid = find(lambda h: h.startswith("Число недействительных"))[0]
    candidates = find(lambda h: not h.startswith("Число") and h not in ("region", "tik", "uik", "url"))
    data = np.array(
        [[int(r[registered]), sum(int(r[i]) for i in issued), int(r[valid]) + int(r[invalid])]
         + [int(r[i]) for i in candidates] for r in rows],
        dtype=np.int64,
    )
    votes = data[:, 3:]
    leader = votes[:, votes.sum(axis=0).argmax()]
    return data[:, 0], data[:, 1], data[:, 2], leader


def integer(p):
    return np.abs(p - np.round(p)) <= 0.05


def main():
    path, reps = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    t0 = time.perf_counter()
    voters, given, cast, leader = read(path)
    read_s = time.perf_counter() - t0

    ind = (cast > 0) & (voters >= 100)
    ind &= (given <= 0.99 * voters) & (leader <= 0.99 * np.maximum(cast, 1))
    voters, given, cast, leader = voters[ind], given[ind], cast[ind], leader[ind]
    observed = int(np.sum(integer(100 * leader / cast) | integer(100 * given / voters)))

    t1 = time.perf_counter()
    rng = np.random.default_rng(seed)
    p_leader, p_given = leader / cast, given / voters
    counts = np.empty(reps)
    block = 50
    for start in range(0, reps, block):
        b = min(block, reps - start)
        l = rng.binomial(cast, p_leader, size=(b, cast.size))
        g = rng.binomial(voters, p_given, size=(b, voters.size))
        counts[start:start + b] = np.sum(integer(100 * l / cast) | integer(100 * g / voters), axis=1)
    mc_s = time.perf_counter() - t1
    expected = float(counts.mean())
    print(json.dumps({
        "stations_included": int(ind.sum()),
        "observed": observed,
        "expected": expected,
        "excess": observed - expected,
        "p999": float(np.percentile(counts, 99.9)),
        "repetitions": reps,
        "read_seconds": read_s,
        "monte_carlo_seconds": mc_s,
        "repetitions_per_second": reps / mc_s,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()

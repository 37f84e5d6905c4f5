#!/usr/bin/env bash
# bench/forensics.sh: election forensics (issue 7), Razam next to NumPy, on the same file.
#
# What it does, in this order:
#   1. Tools: GNU time (the Debian package `time` is installed with apt-get if missing; that
#      needs root), cargo, python3. A throwaway virtual environment for the reference:
#      `python3 -m venv` in BENCH_VENV (default target/bench-venv-numpy) and `pip install numpy`
#      from PyPI (the newest release; its version is printed). An existing venv that imports
#      numpy is reused; delete the folder to get a fresh one.
#   2. Build: `cargo build --release -p razam` (BENCH_BIN=path skips it).
#   3. Data: ../shared/data/elections/ru/2012.csv.zip (95,415 stations), read in place.
#   4. Razam, each run alone under GNU time (wall, CPU, peak RSS):
#        full     `razam observe forensics --format json` with the defaults (1,000 Monte Carlo
#                 repetitions, 1,000 bootstrap resamples per digit test, PVT of 1,000): the
#                 whole report, unzipping and parsing included;
#        mc-1 / mc-N  the same with `--repetitions 1` and `--repetitions BENCH_REPS` (default
#                 20,001); Monte Carlo repetitions per second = (BENCH_REPS − 1) / (wall of
#                 mc-N − wall of mc-1), the rest of the work cancelling out.
#   5. NumPy (bench/forensics_numpy.py): the same integer-percentage Monte Carlo, vectorised
#      (binomial redraws of every station, blocks of 50 repetitions), BENCH_NUMPY_REPS
#      (default 1,000) repetitions; it times its Monte Carlo alone and its whole run is timed
#      by GNU time.
#   6. Prints the figures and the ratio of the repetition rates (Razam / NumPy).
#
# Caveat: the machine may be shared (the load average is printed); CPU seconds are printed.
#
# Run from anywhere:   bench/forensics.sh
# Knobs (environment): BENCH_REPS=20001  BENCH_NUMPY_REPS=1000  BENCH_VENV=target/bench-venv-numpy
#   BENCH_BIN=path (use this razam binary, skip its build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

FILE="$(cd "$ROOT/../shared/data/elections/ru" && pwd)/2012.csv.zip"
VENV="${BENCH_VENV:-$ROOT/target/bench-venv-numpy}"
REPS="${BENCH_REPS:-20001}"
NUMPY_REPS="${BENCH_NUMPY_REPS:-1000}"
TMP="$(mktemp -d -t razam-forensics-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if ! { [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; }; then
    log "installing GNU time"
    [[ $(id -u) -eq 0 ]] || die "GNU time is missing and installing it needs root"
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends time </dev/null >/dev/null
fi
if ! [[ -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import numpy' 2>/dev/null; then
    log "creating the venv $VENV with numpy"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check numpy >"$TMP/pip.log" 2>&1 ||
        { tail -n 20 "$TMP/pip.log" >&2; die "pip install numpy failed"; }
fi
BIN="${BENCH_BIN:-}"
if [[ -z $BIN ]]; then
    log "building razam (release)"
    cargo build --release --locked -p razam >&2
    BIN="$ROOT/target/release/razam"
fi

# timed NAME CMD…: runs CMD under GNU time; leaves wall, cpu (user+sys) and rss (KiB).
timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$TMP/$name.time" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        { cat "$TMP/$name.err" >&2; die "$name failed"; }
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$TMP/$1.time"; }
cpu() { awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$TMP/$1.time"; }
rss() { awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$TMP/$1.time"; }

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rustc: $(rustc --version)"
echo "- python: $("$VENV/bin/python" --version 2>&1), numpy $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)')"
echo "- commit: $(git rev-parse --short HEAD)"
echo

log "razam: full report"
timed full "$BIN" observe forensics --protocols "$FILE" --format json
log "razam: 1 and $REPS repetitions"
timed mc1 "$BIN" observe forensics --protocols "$FILE" --format json --repetitions 1 --bootstrap 1
timed mcn "$BIN" observe forensics --protocols "$FILE" --format json --repetitions "$REPS" --bootstrap 1
log "numpy: $NUMPY_REPS repetitions"
timed numpy "$VENV/bin/python" bench/forensics_numpy.py "$FILE" "$NUMPY_REPS"

razam_rate=$(awk -v n="$REPS" -v a="$(wall mc1)" -v b="$(wall mcn)" 'BEGIN { printf "%.0f", (n - 1) / (b - a) }')
numpy_rate=$("$VENV/bin/python" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["repetitions_per_second"], 1))' "$TMP/numpy.out")
excess=$("$VENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1]))["integer_percentages"]; print(d["observed"]["either"], round(d["expected"]["either"], 1), round(d["excess"]["either"], 1))' "$TMP/full.out")
numpy_excess=$("$VENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["observed"], round(d["expected"], 1), round(d["excess"], 1), round(d["monte_carlo_seconds"], 2))' "$TMP/numpy.out")

echo "## Forensics on the 2012 protocols (95,415 stations)"
echo
echo "| what | Razam | NumPy | ratio Razam/NumPy |"
echo "|---|---|---|---|"
echo "| full report (1,000 repetitions, digit bootstraps, PVT, arithmetic): wall / CPU / peak RSS | $(wall full) s / $(cpu full) s / $(rss full) MiB | | |"
echo "| integer percentages, $NUMPY_REPS repetitions: whole run wall / peak RSS | | $(wall numpy) s / $(rss numpy) MiB | |"
echo "| Monte Carlo repetitions per second | $razam_rate | $numpy_rate | $(awk -v a="$razam_rate" -v b="$numpy_rate" 'BEGIN { printf "%.0f", a / b }') |"
echo "| $REPS repetitions: wall / CPU | $(wall mcn) s / $(cpu mcn) s | | |"
echo "| observed / expected / excess (either) | $excess | ${numpy_excess% *} | |"
echo "| NumPy Monte Carlo alone, $NUMPY_REPS repetitions | | ${numpy_excess##* } s | |"

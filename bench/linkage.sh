#!/usr/bin/env bash
# bench/linkage.sh: record linkage (issue 4), Razam next to Splink, on the same inputs.
#
# What it does, in this order:
#   1. Tools: python3, GNU time (the Debian package `time` is installed with apt-get if
#      missing; that needs root), cargo. A throwaway virtual environment for Splink:
#      `python3 -m venv` in BENCH_VENV (default target/bench-venv), `pip install splink` from
#      PyPI (the newest release; its version and DuckDB's are printed). An existing venv that
#      imports splink is reused; delete the folder to get a fresh one.
#   2. Build: `cargo build --release -p razam` (the `razam link` command) and the generator
#      example `cargo build --release -p razam-link --example synth`. If `razam link --help`
#      fails (the command does not exist yet), Razam's half is skipped with a message and
#      only Splink is measured.
#   3. Data: ../shared/data/linkage (read in place, never copied):
#        historical   historical-figures-50k.csv, deduplication, truth column `cluster`
#        febrl3       febrl-dataset3.csv, deduplication, truth from rec_id rec-N-org/rec-N-dup-K
#        febrl4       febrl-dataset4a.csv + febrl-dataset4b.csv, linkage only (pairs across the
#                     two files), truth rec-N-org in 4a = rec-N-dup-0 in 4b
#        synthetic    BENCH_SYNTH_N (default 100,000) records from the generator
#                     (razam_link::synth, seed 1), deduplication, truth column `cluster`
#        synthetic-1m BENCH_SYNTH_BIG (default 1,000,000; 0 skips it) records, same seed
#      The synthetic files are written to a temp dir (fictional names) and removed on exit.
#   4. For each data set: Splink (bench/linkage_splink.py: DuckDB, 2 threads, trained without
#      labels, predictions clustered at match probability BENCH_THRESHOLD, default 0.95), then
#      `razam link --input … --output … --threshold BENCH_THRESHOLD`, each timed alone: wall
#      seconds, CPU seconds and peak RSS from GNU time; a run longer than BENCH_TIMEOUT
#      (default 600 s) is stopped and reported as such. Both outputs are scored by
#      bench/linkage_eval.py (pairwise precision, recall, F1 of the clusters; every input id
#      exactly once).
#   5. Prints one table line per data set: records, Razam P/R/F1, wall, peak RSS, Splink
#      P/R/F1, wall, peak RSS, and the ratio of the walls (Razam / Splink).
#
# Caveat: the machine may be shared (the load average is printed at the start); CPU seconds
# are printed too.
#
# Run from anywhere:   bench/linkage.sh
# Knobs (environment): BENCH_SYNTH_N=100000  BENCH_SYNTH_BIG=1000000  BENCH_THRESHOLD=0.95
#   BENCH_TIMEOUT=600  BENCH_VENV=target/bench-venv  BENCH_ONLY=historical,febrl3 (a subset)
#   BENCH_BIN=path (use this razam binary, skip its build)  BENCH_SKIP_SPLINK=1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DATA="$(cd "$ROOT/../shared/data/linkage" && pwd)"
VENV="${BENCH_VENV:-$ROOT/target/bench-venv}"
SYNTH_N="${BENCH_SYNTH_N:-100000}"
SYNTH_BIG="${BENCH_SYNTH_BIG:-1000000}"
THRESHOLD="${BENCH_THRESHOLD:-0.95}"
LIMIT_S="${BENCH_TIMEOUT:-600}"
ONLY="${BENCH_ONLY:-}"

TMP="$(mktemp -d -t razam-linkage-bench.XXXXXX)"

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$?
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools

if ! { [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; }; then
    log "installing GNU time"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends time </dev/null >/dev/null
fi
for tool in python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[[ -n "${BENCH_BIN:-}" ]] || command -v cargo >/dev/null 2>&1 || die "cargo is needed"

if [[ -z "${BENCH_SKIP_SPLINK:-}" ]]; then
    if ! "$VENV/bin/python" -c 'import splink' >/dev/null 2>&1; then
        log "making a virtual environment in $VENV and installing splink from PyPI"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check splink >"$TMP/pip.log" 2>&1 ||
            { tail -n 20 "$TMP/pip.log" >&2; die "pip install splink failed"; }
    fi
    SPLINK_VERSION="$("$VENV/bin/python" -c 'import splink, duckdb; print(f"splink {splink.__version__}, duckdb {duckdb.__version__}")')"
fi

# ---------------------------------------------------------------- helpers

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print "n/a"; else printf "%.2f", a / b }'; }

# measure NAME CMD...: runs CMD (stdin /dev/null, stdout/stderr to $TMP/NAME.out/.err),
# stopped after LIMIT_S seconds. Sets M_WALL (s), M_CPU (user + sys s), M_RSS (peak RSS,
# KiB) and M_RC (exit status; 124 = stopped by the time limit).
measure() {
    local name="$1" t0 t1
    shift
    t0="$(now_ns)"
    set +e
    # timeout inside GNU time, so that a stopped run still reports its CPU and peak RSS.
    /usr/bin/time -v -o "$TMP/$name.time" timeout "$LIMIT_S" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
    M_RC=$?
    set -e
    t1="$(now_ns)"
    M_WALL="$(secs "$t0" "$t1")"
    M_RSS="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/$name.time" 2>/dev/null)"
    M_CPU="$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$TMP/$name.time" 2>/dev/null)"
    : "${M_RSS:=0}"
    log "$name: exit $M_RC, ${M_WALL} s wall, ${M_CPU} s CPU, peak RSS $(mib "$M_RSS") MiB"
}

# score NAME PREDICTED EVAL_ARGS...: runs linkage_eval.py; sets S_P, S_R, S_F1 (or "error").
score() {
    local name="$1" predicted="$2"
    shift 2
    S_P="error" S_R="error" S_F1="error"
    if python3 "$ROOT/bench/linkage_eval.py" "$@" --predicted "$predicted" >"$TMP/$name.eval" 2>&1; then
        read -r S_P S_R S_F1 < <(awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            print v["precision"], v["recall"], v["f1"] }' "$TMP/$name.eval")
    fi
    {
        echo "--- $name"
        cat "$TMP/$name.eval"
    } >>"$TMP/runs.log"
}

# run_tool RUN EVAL_ARGS... -- CMD...: measures CMD (which writes $TMP/RUN.csv) and scores
# its output. Sets T_CELLS (the table cells: scores | wall | peak RSS) and T_WALL (empty
# unless the run succeeded).
run_tool() {
    local run="$1" eval_args=()
    shift
    while [[ "$1" != "--" ]]; do eval_args+=("$1"); shift; done
    shift
    log "$run"
    measure "$run" "$@"
    T_WALL=""
    if ((M_RC == 0)); then
        score "$run" "$TMP/$run.csv" "${eval_args[@]}"
        T_CELLS="$S_P / $S_R / **$S_F1** | ${M_WALL} s (CPU ${M_CPU} s) | $(mib "$M_RSS") MiB"
        T_WALL="$M_WALL"
        return 0
    fi
    if ((M_RC == 124)); then
        T_CELLS="stopped after ${LIMIT_S} s | > ${LIMIT_S} s (CPU ${M_CPU} s) | $(mib "$M_RSS") MiB so far"
        echo "--- $run stopped after $LIMIT_S s; its last output:" >>"$TMP/runs.log"
    else
        T_CELLS="failed (exit $M_RC) | ${M_WALL} s | $(mib "$M_RSS") MiB"
        echo "--- $run failed, exit $M_RC; its last output:" >>"$TMP/runs.log"
    fi
    tail -n 15 "$TMP/$run.err" >>"$TMP/runs.log"
}

# ---------------------------------------------------------------- machine

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- python3: $(python3 --version 2>&1 | awk '{ print $2 }')"
echo "- reference: ${SPLINK_VERSION:-Splink skipped (BENCH_SKIP_SPLINK)} (PyPI, in $VENV); DuckDB threads: 2"
echo "- razam source: working tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')"
echo "- threshold: match probability $THRESHOLD; time limit per run: $LIMIT_S s"
echo

# ---------------------------------------------------------------- build

log "building the generator (release)"
cargo build --release --locked -q -p razam-link --example synth >"$TMP/build-synth.log" 2>&1 ||
    { tail -n 30 "$TMP/build-synth.log" >&2; die "building the generator failed"; }
SYNTH="$ROOT/target/release/examples/synth"
RAZAM_OK=""
if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$BENCH_BIN"
else
    log "building razam (release)"
    if cargo build --release --locked -q -p razam >"$TMP/build.log" 2>&1; then
        BIN="$ROOT/target/release/razam"
    else
        tail -n 30 "$TMP/build.log" >&2
        die "building razam failed"
    fi
fi
if "$BIN" link --help >/dev/null 2>&1; then
    RAZAM_OK=1
else
    log "SKIPPING Razam: \`$BIN link --help\` fails (the link command is not in this build); measuring Splink only"
fi

# ---------------------------------------------------------------- data sets

# dataset NAME SPLINK_KIND RECORDS "INPUT..." EVAL_ARGS...
ROWS=()
dataset() {
    local name="$1" kind="$2" records="$3" inputs="$4"
    shift 4
    if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* && ",$ONLY," != *",$kind,"* ]]; then
        return 0
    fi
    local in_args=() f
    for f in $inputs; do in_args+=(--input "$f"); done
    local r_cells="skipped (no \`razam link\`) | | " s_cells="skipped | | "
    local r_wall="" s_wall=""
    if [[ -z "${BENCH_SKIP_SPLINK:-}" ]]; then
        run_tool "$name.splink" "$@" -- "$VENV/bin/python" "$ROOT/bench/linkage_splink.py" --dataset "$kind" \
            "${in_args[@]}" --output "$TMP/$name.splink.csv" --threshold "$THRESHOLD" --threads 2
        s_cells="$T_CELLS" s_wall="$T_WALL"
    fi
    if [[ -n "$RAZAM_OK" ]]; then
        run_tool "$name.razam" "$@" -- "$BIN" link "${in_args[@]}" --output "$TMP/$name.razam.csv" --threshold "$THRESHOLD"
        r_cells="$T_CELLS" r_wall="$T_WALL"
    fi
    ROWS+=("| $name | $records | $r_cells | $s_cells | $(ratio "$r_wall" "$s_wall") |")
}

count_records() {
    local total=0 f
    for f in "$@"; do
        total=$((total + $(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$f")))
    done
    echo "$total"
}

H="$DATA/historical-figures-50k.csv"
F3="$DATA/febrl-dataset3.csv"
F4A="$DATA/febrl-dataset4a.csv"
F4B="$DATA/febrl-dataset4b.csv"
FEBRL_TRUTH=(--id-column rec_id --truth-from-id 'rec-([0-9]+)-')

dataset historical historical "$(count_records "$H")" "$H" --truth "$H" --id-column unique_id --truth-column cluster
dataset febrl3 febrl3 "$(count_records "$F3")" "$F3" --truth "$F3" "${FEBRL_TRUTH[@]}"
dataset febrl4 febrl4 "$(count_records "$F4A" "$F4B")" "$F4A $F4B" --truth "$F4A" --truth "$F4B" "${FEBRL_TRUTH[@]}"
for n in "$SYNTH_N" "$SYNTH_BIG"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || continue
    name="synthetic-$n"
    if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* && ",$ONLY," != *",synthetic,"* ]]; then
        continue
    fi
    "$SYNTH" --records "$n" --seed 1 --output "$TMP/synth-$n.csv" 2>>"$TMP/runs.log"
    dataset "$name" synthetic "$n" "$TMP/synth-$n.csv" --truth "$TMP/synth-$n.csv" --id-column unique_id --truth-column cluster
done

# ---------------------------------------------------------------- report

echo "## Scores of each run"
echo
echo '```'
cat "$TMP/runs.log" 2>/dev/null || true
echo '```'
echo
echo "## Figures"
echo
echo "Pairwise precision / recall / F1 of the clusters (linkage: pairs across the two files only);"
echo "wall and CPU seconds and peak RSS from GNU time, each tool run alone, the same input files."
echo
echo "| data set | records | Razam P / R / F1 | Razam wall | Razam peak RSS | Splink P / R / F1 | Splink wall | Splink peak RSS | wall ratio Razam/Splink |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Rerun: \`bench/linkage.sh\`"

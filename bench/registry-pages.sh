#!/usr/bin/env bash
# bench/registry-pages.sh: the registry at 100,000 persons and 1,000,000 events: import rates,
# then the latency of the documenters' pages and of the public figures.
#
# What it does, in this order:
#   1. Binary: BENCH_BIN if given, else target/bench-build/release/razam (built by
#      bench/registry-import.sh from a clean export of HEAD; run that first, or set BENCH_BIN).
#   2. Data: bench/registry-data.py writes a deterministic, fictional prisoner list of
#      BENCH_PERSONS rows (default 100000) and an events file of BENCH_EVENTS rows (default
#      1000000) about those persons (seed BENCH_SEED).
#   3. Razam, on a fresh SQLite instance in a temp dir: `razam import prisoners`, then
#      `razam import events` (wall, CPU, peak RSS, rows/s; each includes the ~0.2 s vault
#      unlock), and `razam import events` again (every row unchanged). A reviewer account is
#      added (`razam user add`), `razam serve` started on loopback, and curl logs in through
#      the form (CSRF token from the page) to get the session cookie.
#   4. Latency, with wrk (Debian package) and bench/latency.lua (p50/p95/p99 and requests/s),
#      `wrk -t2 -c8 --timeout 30s -dBENCH_SECONDS` after a 2 s warm-up, for:
#        - /persons/{id}: the person page, ids drawn at random from 1..persons (each read is
#          also an audit entry, i.e. a write: Razam records who opened whom);
#        - /persons (first page) and /persons?before=persons/2 (a page in the middle);
#        - /events (first page) and /events?before=events/2;
#        - /figures and /figures.json (public, no cookie).
#   5. Reference, same run, same wrk parameters: Datasette (PyPI; installed with pip if
#      missing) serving a plain SQLite database with the same two CSVs loaded by the sqlite3
#      shell (`.import`, unencrypted, no audit, no access control): its row page
#      /ref/persons/{rowid} (random), its table pages /ref/persons and /ref/events (first page,
#      and `?_next=` in the middle), and, for the figures, the JSON of one SQL query of
#      persons held per region (/ref.json?sql=…), which is one of the four figures Razam
#      computes per request.
#
# Caveat: wrk, the server and the reference share the same cores; on a shared machine the
# load average (printed) matters. Figures are lower bounds.
#
# Needs: python3, sqlite3, wrk, curl, timeout (wrk, sqlite3 from Debian with apt-get if
# missing; that needs root). The temp dir is removed on exit.
#
# Run:   bench/registry-pages.sh
# Knobs: BENCH_PERSONS=100000 BENCH_EVENTS=1000000 BENCH_SEED=20260101 BENCH_SECONDS=10
#        BENCH_BIN=path BENCH_PORT=18181 BENCH_REF_PORT=18182
# Sizes for a quick check: BENCH_PERSONS=1000 BENCH_EVENTS=10000 BENCH_SECONDS=2
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PERSONS="${BENCH_PERSONS:-100000}"
EVENTS="${BENCH_EVENTS:-1000000}"
SEED="${BENCH_SEED:-20260101}"
SECONDS_RUN="${BENCH_SECONDS:-10}"
PORT="${BENCH_PORT:-18181}"
REF_PORT="${BENCH_REF_PORT:-18182}"
BIN="${BENCH_BIN:-$ROOT/target/bench-build/release/razam}"
PASSPHRASE='bench-passphrase-not-secret'
PASSWORD='bench-password-not-secret'

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ -x "$BIN" ]] || die "no binary at $BIN: run bench/registry-import.sh first (it builds HEAD) or set BENCH_BIN"

TMP="$(mktemp -d -t razam-pages-bench.XXXXXX)"
RAZAM_PID=""
REF_PID=""
cleanup() {
    local rc=$?
    stop_pid "$RAZAM_PID"
    stop_pid "$REF_PID"
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_debian_tools wrk sqlite3
if ! command -v datasette >/dev/null 2>&1; then
    log "installing datasette (pip)"
    python3 -m pip install -q datasette >/dev/null
fi
for tool in python3 sqlite3 wrk curl timeout datasette; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

per_s() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3g", a / b; else print "n/a" }'; }

# wait_for URL: until it answers (at most 30 s).
wait_for() {
    local i
    for i in $(seq 300); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    die "$1 did not answer"
}

# measure LABEL URL [COOKIE] [RANDOM_PREFIX RANDOM_MAX]: sets M_P50 M_P95 M_P99 (ms) and M_RPS.
measure() {
    local label="$1" url="$2" cookie="${3:-}" out
    export LAT_PREFIX="${4:-}" LAT_MAX="${5:-0}"
    local args=(-t2 -c8 --timeout 30s -s "$ROOT/bench/latency.lua")
    [[ -n "$cookie" ]] && args+=(-H "Cookie: $cookie")
    timeout 30 wrk -d2s "${args[@]}" "$url" >/dev/null || die "warm-up of $url failed"
    out="$(timeout $((SECONDS_RUN + 20)) wrk -d"${SECONDS_RUN}s" "${args[@]}" "$url")" ||
        die "wrk against $url failed"
    if grep -q "Non-2xx" <<<"$out"; then
        die "$label: answers other than 2xx/3xx: $(grep Non-2xx <<<"$out")"
    fi
    M_P50="$(awk '/^p50/ { print $2 }' <<<"$out")"
    M_P95="$(awk '/^p95/ { print $2 }' <<<"$out")"
    M_P99="$(awk '/^p99/ { print $2 }' <<<"$out")"
    M_RPS="$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")"
    log "$label: p50 ${M_P50} ms, p95 ${M_P95} ms, p99 ${M_P99} ms, ${M_RPS} req/s"
}

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- razam: $BIN ($("$BIN" --version 2>/dev/null || echo unknown version))"
echo "- wrk: $(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }'); sqlite3: $(sqlite3 --version | awk '{ print $1 }'); datasette: $(datasette --version | awk '{ print $NF }')"
echo

# ---------------------------------------------------------------- data

log "writing $PERSONS persons and $EVENTS events (seed $SEED)"
python3 "$ROOT/bench/registry-data.py" "$PERSONS" "$EVENTS" "$SEED" "$TMP"

# ---------------------------------------------------------------- razam: imports

DATA="$TMP/data"
export RAZAM_PASSPHRASE="$PASSPHRASE" RAZAM_LOG=warn
"$BIN" init --data "$DATA" >/dev/null 2>&1 </dev/null || die "razam init failed"
timed import_persons "$BIN" import prisoners --data "$DATA" "$TMP/prisoners.csv"
I_PERSONS=("$T_WALL" "$T_CPU" "$T_RSS")
timed import_events "$BIN" import events --data "$DATA" "$TMP/events.csv"
I_EVENTS=("$T_WALL" "$T_CPU" "$T_RSS")
timed import_events_again "$BIN" import events --data "$DATA" "$TMP/events.csv"
I_AGAIN=("$T_WALL" "$T_CPU" "$T_RSS")
grep -qF "0 were created, 0 were updated, $EVENTS unchanged" "$TMP/import_events_again.out" ||
    die "the second events import changed something: $(cat "$TMP/import_events_again.out")"
RAZAM_NEW_PASSWORD="$PASSWORD" "$BIN" user add --data "$DATA" --username bench --name Bench --role reviewer \
    >/dev/null 2>&1 </dev/null || die "razam user add failed"
DATA_MIB="$(du -sm "$DATA" | awk '{ print $1 }')"

# ---------------------------------------------------------------- razam: pages

"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" </dev/null >"$TMP/serve.log" 2>&1 &
RAZAM_PID=$!
URL="http://127.0.0.1:$PORT"
wait_for "$URL/healthz"
JAR="$TMP/cookies"
CSRF="$(curl -fs -c "$JAR" -b "$JAR" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
[[ -n "$CSRF" ]] || die "no CSRF token on /login"
CODE="$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "username=bench" --data-urlencode "password=$PASSWORD" "$URL/login")"
[[ "$CODE" == 303 || "$CODE" == 302 || "$CODE" == 200 ]] || die "login answered $CODE"
COOKIE="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$JAR")"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$URL/persons")" == 200 ]] ||
    die "the session cookie does not open /persons"

declare -A R
measure person "$URL/persons/1" "$COOKIE" "/persons/" "$PERSONS"
R[person]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure persons "$URL/persons" "$COOKIE"
R[persons]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure persons_deep "$URL/persons?before=$((PERSONS / 2))" "$COOKIE"
R[persons_deep]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure events "$URL/events" "$COOKIE"
R[events]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure events_deep "$URL/events?before=$((EVENTS / 2))" "$COOKIE"
R[events_deep]="$M_P50 $M_P95 $M_P99 $M_RPS"
# The first request counts the figures (nothing is cached yet); time it alone, then the crowd.
FIRST_COUNT=$(curl -s -o /dev/null -w '%{time_total}' "$URL/figures")
measure figures "$URL/figures"
R[figures]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure figures_json "$URL/figures.json"
R[figures_json]="$M_P50 $M_P95 $M_P99 $M_RPS"
RSS_SERVE="$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
stop_pid "$RAZAM_PID"
RAZAM_PID=""

# ---------------------------------------------------------------- reference: datasette

REF="$TMP/ref.db"
cat >"$TMP/ref.sql" <<EOF
.mode csv
BEGIN;
.import $TMP/prisoners.csv persons
.import $TMP/events.csv events
COMMIT;
EOF
sqlite3 -bail "$REF" ".read $TMP/ref.sql"
datasette serve "$REF" --host 127.0.0.1 --port "$REF_PORT" --setting sql_time_limit_ms 20000 \
    </dev/null >"$TMP/datasette.log" 2>&1 &
REF_PID=$!
RURL="http://127.0.0.1:$REF_PORT"
wait_for "$RURL/ref.json"
HELD_SQL="SELECT region, COUNT(*) FROM persons WHERE recognized_on <> '' AND recognized_on <= '2026-01-01' AND (released_on = '' OR released_on > '2026-01-01') GROUP BY region ORDER BY 2 DESC"
HELD_Q="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$HELD_SQL")"
measure ref_person "$RURL/ref/persons/1" "" "/ref/persons/" "$PERSONS"
R[ref_person]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure ref_persons "$RURL/ref/persons?_size=50"
R[ref_persons]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure ref_persons_deep "$RURL/ref/persons?_size=50&_next=$((PERSONS / 2))"
R[ref_persons_deep]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure ref_events "$RURL/ref/events?_size=50"
R[ref_events]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure ref_events_deep "$RURL/ref/events?_size=50&_next=$((EVENTS / 2))"
R[ref_events_deep]="$M_P50 $M_P95 $M_P99 $M_RPS"
measure ref_figures "$RURL/ref.json?sql=$HELD_Q"
R[ref_figures]="$M_P50 $M_P95 $M_P99 $M_RPS"

# ---------------------------------------------------------------- report

# cell P50 P95 P99 RPS: "p50 / p95 ms, N/s", or a note when no request finished in the run.
cell() {
    if [[ "$4" == 0 ]]; then echo "no request finished within the run"; else echo "$1 / $2 ms, $4/s"; fi
}
row() {
    local what="$1" ours="$2" ref="$3" a b
    read -r -a a <<<"${R[$ours]}"
    if [[ -n "$ref" ]]; then
        read -r -a b <<<"${R[$ref]}"
        echo "| $what | $(cell "${a[@]}") | $(cell "${b[@]}") | $(ratio "${a[1]}" "${b[1]}") |"
    else
        echo "| $what | $(cell "${a[@]}") | | |"
    fi
}
echo "## Imports ($PERSONS persons, $EVENTS events)"
echo
echo "| what | wall | rows/s | CPU | peak RSS |"
echo "|---|---|---|---|---|"
echo "| import prisoners | ${I_PERSONS[0]} s | $(per_s "$PERSONS" "${I_PERSONS[0]}") | ${I_PERSONS[1]} s | ${I_PERSONS[2]} MiB |"
echo "| import events | ${I_EVENTS[0]} s | $(per_s "$EVENTS" "${I_EVENTS[0]}") | ${I_EVENTS[1]} s | ${I_EVENTS[2]} MiB |"
echo "| import events again (all unchanged) | ${I_AGAIN[0]} s | $(per_s "$EVENTS" "${I_AGAIN[0]}") | ${I_AGAIN[1]} s | ${I_AGAIN[2]} MiB |"
echo "| data folder afterwards | $DATA_MIB MiB | | | |"
echo
echo "## Pages (wrk -t2 -c8 -d${SECONDS_RUN}s; p50 / p95, requests/s; ratio = p95 Razam / p95 Datasette)"
echo
echo "| page | Razam | Datasette | ratio |"
echo "|---|---|---|---|"
row "person page /persons/{id}, random ids (an audited read)" person ref_person
row "persons list, first page" persons ref_persons
row "persons list, page in the middle (keyset)" persons_deep ref_persons_deep
row "events list, first page" events ref_events
row "events list, page in the middle (keyset)" events_deep ref_events_deep
row "/figures (four figures and the chart; reference: one of the four as one SQL query)" figures ref_figures
row "/figures.json" figures_json ref_figures
echo
echo "The first /figures request of the run (the count, nothing cached): ${FIRST_COUNT} s."
echo
echo "Server peak RSS during the page runs: ${RSS_SERVE} MiB. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."

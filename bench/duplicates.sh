#!/usr/bin/env bash
# bench/duplicates.sh: duplicate candidates at 100,000 persons, two binaries on the same data:
# BENCH_BIN_BEFORE (duplicates fed by opening every readable person) and BENCH_BIN (fed by
# the in-memory name index). The "before" binary is the reference of the same run.
#
# What it does, in this order:
#   1. Binaries: BENCH_BIN_BEFORE and BENCH_BIN must be given (release builds; e.g. a clean
#      export of each commit built with `cargo build --release --locked -p razam`).
#   2. Data: bench/registry-data.py writes BENCH_PERSONS fictional persons (default 100000) and
#      BENCH_EVENTS events (default 100000) about them (seed BENCH_SEED); `razam init`,
#      `razam import prisoners`, `razam import events` (by BENCH_BIN) fill one SQLite
#      instance, and `razam user add` a reviewer (who may write: the person page computes
#      the possible duplicates for writers). Both binaries then serve the same data folder,
#      one after the other.
#   3. The import's warnings, per binary: `razam import prisoners --dry-run` of a file of 1,000
#      new rows (other refs, same generator, another seed) and the first 20 persons of the
#      registry again under new refs (so that warnings exist): wall, CPU and peak RSS. It
#      includes the vault unlock (~0.2 s), the reading of the rows and the warnings.
#   4. Per binary, `razam serve` on loopback: time from start to the first /healthz answer
#      (the server answers once the search index is built), the index's own heap estimate and
#      build time (its "search index ready" log line), RSS when ready; then, logged in as the
#      reviewer, BENCH_REQUESTS requests (20) one after another with curl after one unmeasured
#      (not wrk: a "before" request at 100,000 persons takes seconds, and a request wrk
#      abandons at the end of its run goes on in the server, which runs every request to
#      its end, and slows the next measurement):
#        - person:   /persons/{id}, ids at random (the page with its possible duplicates);
#        - queue:    /persons/duplicates (at most 100 pairs, the whole registry's candidates;
#                    a binary that keeps the queue until the registry moves computes it on
#                    the unmeasured first request and serves the measured ones from memory;
#                    that first view is timed on its own: the comparing of every pair);
#        - warning:  POST /persons of a new person who is an existing one (the form answers
#                    "probably in the registry already" and saves nothing: checked before and
#                    by counting the persons after);
#      and the peak RSS (VmHWM) after the runs.
#
# Caveat: curl and the server share the machine's cores with whatever else runs (the load
# average is printed); figures are lower bounds on a shared machine.
#
# Needs: python3, curl.
#
# Run:   BENCH_BIN_BEFORE=path/to/main/razam BENCH_BIN=path/to/razam bench/duplicates.sh
# Knobs: BENCH_PERSONS=100000 BENCH_EVENTS=100000 BENCH_SEED=20260101 BENCH_REQUESTS=20
#        BENCH_PORT=18201
# Sizes for a quick check: BENCH_PERSONS=2000 BENCH_EVENTS=2000 BENCH_REQUESTS=3
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PERSONS="${BENCH_PERSONS:-100000}"
EVENTS="${BENCH_EVENTS:-100000}"
SEED="${BENCH_SEED:-20260101}"
REQUESTS="${BENCH_REQUESTS:-20}"
PORT="${BENCH_PORT:-18201}"
BEFORE="${BENCH_BIN_BEFORE:-}"
AFTER="${BENCH_BIN:-}"
PASSPHRASE='bench-passphrase-not-secret'
PASSWORD='bench-password-not-secret'

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ -x "$BEFORE" && -x "$AFTER" ]] || die "set BENCH_BIN_BEFORE and BENCH_BIN to two razam binaries"

TMP="$(mktemp -d -t razam-dup-bench.XXXXXX)"
RAZAM_PID=""
cleanup() {
    local rc=$?
    stop_pid "$RAZAM_PID"
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3g", a / b; else print "n/a" }'; }

# measure LABEL URL COOKIE [RANDOM_MAX]: BENCH_REQUESTS requests one after another (curl,
# each waited for: a slow request is never abandoned to run on in the server and slow the
# next), after one unmeasured; with RANDOM_MAX, URL gets a random number from 1 to it
# appended per request; with M_BODY (a file), each request POSTs it. Sets M_P50 M_P95 (ms).
measure() {
    local label="$1" url="$2" cookie="$3" max="${4:-0}" i target times=()
    local args=(-s -o /dev/null -w '%{time_total} %{http_code}\n' --max-time 600 -H "Cookie: $cookie")
    [[ -n "${M_BODY:-}" ]] && args+=(-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$M_BODY")
    for i in $(seq 0 "$REQUESTS"); do
        target="$url"
        ((max > 0)) && target="$url$(((RANDOM * 32768 + RANDOM) % max + 1))"
        read -r t code < <(curl "${args[@]}" "$target")
        [[ "$code" == 2* || "$code" == 3* || ( -n "${M_BODY:-}" && "$code" == 4* ) ]] ||
            die "$label: $target answered $code"
        ((i > 0)) && times+=("$t")
    done
    read -r M_P50 M_P95 < <(printf '%s\n' "${times[@]}" | sort -g | awk '
        { v[NR] = $1 * 1000 }
        END { i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999); printf "%.1f %.1f\n", v[i50], v[i95] }')
    log "$label: p50 ${M_P50} ms, p95 ${M_P95} ms ($REQUESTS requests)"
}

wait_for() {
    local i
    for i in $(seq 3000); do
        curl -fs -o /dev/null "$1" && return 0
        kill -0 "$RAZAM_PID" 2>/dev/null || die "razam serve stopped: $(tail -n 5 "$TMP/serve.log")"
        sleep 0.1
    done
    die "$1 did not answer"
}

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- before: $BEFORE ($("$BEFORE" --version 2>/dev/null || echo unknown version))"
echo "- after:  $AFTER ($("$AFTER" --version 2>/dev/null || echo unknown version))"
echo

# ---------------------------------------------------------------- data

log "writing $PERSONS persons and $EVENTS events (seed $SEED)"
python3 "$ROOT/bench/registry-data.py" "$PERSONS" "$EVENTS" "$SEED" "$TMP"
mkdir -p "$TMP/new"
python3 "$ROOT/bench/registry-data.py" 1000 0 "$((SEED + 1))" "$TMP/new"
# New refs for the new rows, and the first 20 registry persons again under new refs.
{
    head -n 1 "$TMP/new/prisoners.csv"
    tail -n +2 "$TMP/new/prisoners.csv" | sed 's/^PP-/NEW-/'
    sed -n '2,21p' "$TMP/prisoners.csv" | sed 's/^PP-/AGAIN-/'
} >"$TMP/more.csv"

DATA="$TMP/data"
export RAZAM_PASSPHRASE="$PASSPHRASE" RAZAM_LOG=warn
"$AFTER" init --data "$DATA" >/dev/null 2>&1 </dev/null || die "razam init failed"
timed import_persons "$AFTER" import prisoners --data "$DATA" "$TMP/prisoners.csv"
timed import_events "$AFTER" import events --data "$DATA" "$TMP/events.csv"
RAZAM_NEW_PASSWORD="$PASSWORD" "$AFTER" user add --data "$DATA" --username bench --name Bench --role reviewer \
    >/dev/null 2>&1 </dev/null || die "razam user add failed"

# The form of a new person who is the registry's first person.
FIRST="$(sed -n 2p "$TMP/prisoners.csv")"
IFS=, read -r _ GIVEN FAMILY PATRONYMIC BIRTH _ <<<"$FIRST"

declare -A R
for side in before after; do
    bin="$BEFORE"
    [[ "$side" == after ]] && bin="$AFTER"

    timed "warn_$side" "$bin" import prisoners --dry-run --data "$DATA" "$TMP/more.csv"
    R[import_$side]="$T_WALL $T_CPU $T_RSS"
    WARNINGS="$(grep -c "probably the same person" "$TMP/warn_$side.err" || true)"
    log "$side: $WARNINGS warnings of probable duplicates"
    R[import_warnings_$side]="$WARNINGS"

    : >"$TMP/serve.log"
    t0="$(now_ns)"
    RAZAM_LOG=info "$bin" serve --data "$DATA" --listen "127.0.0.1:$PORT" </dev/null >"$TMP/serve.log" 2>&1 &
    RAZAM_PID=$!
    URL="http://127.0.0.1:$PORT"
    wait_for "$URL/healthz"
    READY="$(secs "$t0" "$(now_ns)")"
    RSS_READY="$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
    LINE="$(sed "s/\x1b\[[0-9;]*m//g" "$TMP/serve.log" | grep -m1 "search index ready" || true)"
    field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$LINE"; }
    R[ready_$side]="$READY $(field ms) $(field heap_mib) $RSS_READY"
    log "$side: ready in $READY s (index $(field ms) ms, $(field heap_mib) MiB), RSS $RSS_READY MiB"

    JAR="$TMP/cookies-$side"
    CSRF="$(curl -fs -c "$JAR" -b "$JAR" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
    [[ -n "$CSRF" ]] || die "no CSRF token on /login"
    curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" \
        --data-urlencode "username=bench" --data-urlencode "password=$PASSWORD" "$URL/login"
    COOKIE="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$JAR")"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$URL/persons")" == 200 ]] ||
        die "the session cookie does not open /persons"
    FORM_CSRF="$(curl -fs -H "Cookie: $COOKIE" "$URL/persons/new" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
    python3 - "$TMP/body" "$FORM_CSRF" "$GIVEN" "$FAMILY" "$PATRONYMIC" "$BIRTH" <<'PY'
import sys, urllib.parse
out, csrf, given, family, patronymic, birth = sys.argv[1:]
form = {"csrf": csrf, "given_name": given, "family_name": family, "patronymic": patronymic,
        "birth_date": birth, "confidentiality": "internal", "region": ""}
open(out, "w").write(urllib.parse.urlencode(form))
PY
    curl -s -H "Cookie: $COOKIE" -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "@$TMP/body" "$URL/persons" >"$TMP/warning.html"
    grep -q "probably in the registry already" "$TMP/warning.html" ||
        die "the form did not warn: $(head -c 400 "$TMP/warning.html")"
    # The first view of the queue computes it (a binary that keeps it serves the next from
    # memory): its wall time is the comparing of every in-block pair.
    FIRST_S="$(curl -fs -o "$TMP/queue.html" -w '%{time_total}' -H "Cookie: $COOKIE" "$URL/persons/duplicates")"
    QUEUE_PAIRS="$(grep -c 'action="/persons/distinct"' "$TMP/queue.html" || true)"
    R[queue_first_$side]="$(awk -v s="$FIRST_S" 'BEGIN { printf "%.1f", s * 1000 }')"
    log "$side: the queue shows $QUEUE_PAIRS pairs; its first view took ${R[queue_first_$side]} ms"

    M_BODY="" measure "$side person" "$URL/persons/" "$COOKIE" "$PERSONS"
    R[person_$side]="$M_P50 $M_P95"
    M_BODY="" measure "$side queue" "$URL/persons/duplicates" "$COOKIE"
    R[queue_$side]="$M_P50 $M_P95"
    M_BODY="$TMP/body" measure "$side warning" "$URL/persons" "$COOKIE"
    R[warning_$side]="$M_P50 $M_P95"
    R[peak_$side]="$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
    R[queue_pairs_$side]="$QUEUE_PAIRS"
    stop_pid "$RAZAM_PID"
    RAZAM_PID=""
done

# Nothing was saved by the warnings.
"$AFTER" export persons --data "$DATA" --out "$TMP/persons.csv" >/dev/null 2>&1 </dev/null || true
if [[ -f "$TMP/persons.csv" ]]; then
    SAVED=$(($(wc -l <"$TMP/persons.csv") - 1))
    [[ "$SAVED" -eq "$PERSONS" ]] || die "the registry holds $SAVED persons, not $PERSONS: a warning saved one"
fi

row() { # label key
    read -r b50 b95 <<<"${R[$2_before]}"
    read -r a50 a95 <<<"${R[$2_after]}"
    echo "| $1 | $b50 / $b95 | $a50 / $a95 | $(ratio "$b50" "$a50")× |"
}

echo "## Duplicates at $PERSONS persons, $EVENTS events (SQLite)"
echo
echo "| latency, ms (p50 / p95), $REQUESTS requests one after another | before | after | p50 before / after |"
echo "|---|---|---|---|"
row "person page, writer (possible duplicates)" person
row "duplicates queue /persons/duplicates" queue
row "new-person form warning (POST /persons)" warning
echo "| duplicates queue, first view (computes it: every in-block pair compared) | ${R[queue_first_before]} | ${R[queue_first_after]} | $(ratio "${R[queue_first_before]}" "${R[queue_first_after]}")× |"
echo
read -r bw bc bm <<<"${R[import_before]}"
read -r aw ac am <<<"${R[import_after]}"
read -r br bix bheap brss <<<"${R[ready_before]}"
read -r ar aix aheap arss <<<"${R[ready_after]}"
echo "| | before | after |"
echo "|---|---|---|"
echo "| import dry run of 1,020 rows (warnings against the registry): wall / CPU / peak RSS | $bw s / $bc s / $bm MiB | $aw s / $ac s / $am MiB |"
echo "| serve: start to ready (index build) | $br s ($bix ms) | $ar s ($aix ms) |"
echo "| index heap (its own estimate) | $bheap MiB | $aheap MiB |"
echo "| RSS when ready / peak after the runs | $brss / ${R[peak_before]} MiB | $arss / ${R[peak_after]} MiB |"
echo "| pairs on the queue page | ${R[queue_pairs_before]} | ${R[queue_pairs_after]} |"
echo "| warnings of the dry run | ${R[import_warnings_before]} | ${R[import_warnings_after]} |"

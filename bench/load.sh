#!/usr/bin/env bash
# bench/load.sh: load on loopback at 100,000 persons and 1,000,000 events (issue 9, items 1
# and 2), on SQLite and on PostgreSQL: the generator's time and size, unlock to ready, then
# wrk with a Lua-scripted mix of logged-in page views, searches, form posts and the public
# figures, and each kind alone for its own percentiles.
#
# What it does, in this order, for each database of BENCH_DATABASES:
#   1. Binary: BENCH_BIN if given, else target/release/razam (built here when missing).
#   2. Data: `razam demo --size BENCH_PERSONS --events BENCH_EVENTS --seed BENCH_SEED
#      --no-serve` writes the fictional registry (persons with Belarusian names, events of
#      every kind 2020–2026, sources, recognitions, statuses) and the demo election with its
#      stations, counts and protocols; timed (wall, CPU, peak RSS) with the database's size.
#      SQLite: kept in BENCH_WORK (default /tmp/scale) between runs (each run's posts add a
#      few thousand events to it). PostgreSQL: a throwaway cluster (scripts/pg-throwaway:
#      fsync, synchronous_commit and full_page_writes OFF, so its writes are cheaper than a
#      real deployment's), generated afresh every run, then VACUUMed (timed), as pgbench
#      does before its runs, so that autovacuum's first round does not run beside them.
#   3. Search queries: `razam export persons` (fictional data, deleted at once) gives 2,000
#      persons' family and given names, a quarter of them romanised (their Latin variant).
#   4. `razam serve` on 127.0.0.1: start to the first answer of /healthz (unlock, migrations,
#      the in-memory indexes), RSS; log in as the demo documenter `ales` through the form
#      (cookie and CSRF token).
#   5. wrk (Debian's; installed if missing), bench/load.lua, after a 2 s warm-up:
#        - each kind alone, `wrk -t2 -c8 -dBENCH_KIND_SECONDS`: figures, person, persons,
#          events, search, post (a new detention event, which must answer 303);
#        - the mix, `wrk -t2 -c16 -dBENCH_SECONDS` (LOAD_MIX weights: person 30, persons 10,
#          events 10, search 15, figures 25, post 10);
#      every run also stops after BENCH_MAX requests per thread. An error is any answer other
#      than 200 to a GET or 303 to /events/{id} to a POST, or a socket error.
#   6. A markdown report on standard output (the progress on standard error).
#
# Caveat: wrk, the server (and PostgreSQL) share the two cores; on a shared machine the load
# average (printed) matters, and figures are upper bounds for latency, lower for req/s.
#
# Needs: wrk, curl, python3, timeout, /usr/bin/time; PostgreSQL's binaries for the second run.
#
# Run:   bench/load.sh
# Knobs: BENCH_PERSONS=100000 BENCH_EVENTS=1000000 BENCH_SEED=20261202 BENCH_SECONDS=30
#        BENCH_KIND_SECONDS=10 BENCH_MAX=200000 BENCH_DATABASES="sqlite postgres"
#        BENCH_BIN=path BENCH_WORK=/tmp/scale BENCH_PORT=18291
#        BENCH_KINDS="figures person persons events search post" (the kinds run alone)
#        BENCH_PERF="mix person": `perf record --call-graph dwarf` of the server during those
#        kinds' runs (reports in BENCH_WORK/perf-DB-KIND.txt; the release build has no frame
#        pointers, so `-g` would show no callers; 40–90 MB of samples per 8 s run)
#        BENCH_COUNT=1: `perf stat` of the server during every run: its task switches per
#        answer (steadier than CPU time when comparing two binaries)
# Besides latency and req/s, each row gives the server's CPU per answer (user + system ticks
# from /proc/PID/stat over the run, divided by the answers): a figure the machine's load moves
# far less than wall-clock ones.
# Sizes for a quick check: BENCH_PERSONS=2000 BENCH_EVENTS=20000 BENCH_SECONDS=3 BENCH_KIND_SECONDS=2
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PERSONS="${BENCH_PERSONS:-100000}"
EVENTS="${BENCH_EVENTS:-1000000}"
SEED="${BENCH_SEED:-20261202}"
SECONDS_RUN="${BENCH_SECONDS:-30}"
KIND_SECONDS="${BENCH_KIND_SECONDS:-10}"
MAX="${BENCH_MAX:-200000}"
DATABASES="${BENCH_DATABASES:-sqlite postgres}"
KINDS="${BENCH_KINDS:-figures person persons events search post}"
PERF="${BENCH_PERF:-}"
COUNT="${BENCH_COUNT:-}"
BIN="${BENCH_BIN:-$ROOT/target/release/razam}"
WORK="${BENCH_WORK:-/tmp/scale}"
PORT="${BENCH_PORT:-18291}"
export RAZAM_PASSPHRASE='razam demo passphrase'
USER_NAME=ales
USER_PASSWORD=demo-password-ales

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ ! -x "$BIN" ]]; then
    log "building razam (release)"
    cargo build --release -p razam >&2
fi

mkdir -p "$WORK"
TMP="$(mktemp -d "$WORK/load.XXXXXX")"
RAZAM_PID=""
PG_STARTED=""
cleanup() {
    local rc=$?
    stop_pid "$RAZAM_PID"
    [[ -n "$PG_STARTED" ]] && pg_throwaway_stop
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_debian_tools wrk curl
for tool in wrk curl python3 timeout /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- razam: $BIN ($("$BIN" --version 2>/dev/null || echo unknown version), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "- wrk: $(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }')"
echo "- size: $PERSONS persons, about $EVENTS events, seed $SEED"
echo

# cpu_ticks PID: user + system clock ticks the process has used so far (of all its threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICKS_PER_S="$(getconf CLK_TCK)"

# run_wrk LABEL CONNECTIONS SECONDS KIND: sets W_P50 W_P95 W_P99 (ms), W_RPS, W_N, W_BAD,
# W_CPU (the server's CPU ms per answer) and W_LOAD (the load average at the start).
run_wrk() {
    local label="$1" conns="$2" secs="$3" kind="$4" out
    local args=(-t2 "-c$conns" --timeout 10s -s "$ROOT/bench/load.lua" -H "Cookie: $COOKIE")
    export LOAD_KIND="$kind" LOAD_PERSONS="$PERSONS" LOAD_EVENTS="$EVENTS" LOAD_CSRF="$CSRF" \
        LOAD_QUERIES="$TMP/queries.txt" LOAD_MAX="$MAX"
    LOAD_MAX=2000 timeout 30 wrk -d2s "${args[@]}" "$URL" >/dev/null || die "warm-up of $label failed"
    W_LOAD="$(cut -d' ' -f1 /proc/loadavg)"
    local c0 c1 perf_pid="" stat_pid=""
    c0="$(cpu_ticks "$RAZAM_PID")"
    if [[ -n "$COUNT" ]]; then
        perf stat -x, -e context-switches -o "$TMP/stat.csv" -p "$RAZAM_PID" -- sleep "$secs" &
        stat_pid=$!
    fi
    if [[ " $PERF " == *" $kind "* ]]; then
        perf record --call-graph dwarf -F 499 -o "$WORK/perf-${label// /-}.data" -p "$RAZAM_PID" -- sleep "$secs" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    out="$(timeout $((secs + 30)) wrk -d"${secs}s" "${args[@]}" "$URL")" || die "wrk for $label failed"
    c1="$(cpu_ticks "$RAZAM_PID")"
    if [[ -n "$perf_pid" ]]; then
        wait "$perf_pid" || true
        perf report -i "$WORK/perf-${label// /-}.data" --no-children --percent-limit 0.7 --stdio \
            >"$WORK/perf-${label// /-}.txt" 2>/dev/null || true
        log "$label: perf report in $WORK/perf-${label// /-}.txt"
    fi
    W_P50="$(awk '/^p50/ { print $2 }' <<<"$out")"
    W_P95="$(awk '/^p95/ { print $2 }' <<<"$out")"
    W_P99="$(awk '/^p99/ { print $2 }' <<<"$out")"
    W_RPS="$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")"
    W_N="$(awk '/^answered/ { print $2 }' <<<"$out")"
    local bad socket
    bad="$(awk '/^bad/ { print $2 }' <<<"$out")"
    socket="$(awk '/^socket_errors/ { print $2 }' <<<"$out")"
    W_BAD=$((bad + socket))
    if ((W_BAD > 0)); then
        W_BAD="$W_BAD ($(awk '/^bad/ { $1 = ""; $2 = ""; print }' <<<"$out" | xargs), socket $socket)"
        sed 's/\x1b\[[0-9;]*m//g' "$TMP/serve.log" | grep -iE 'error|warn' | tail -n 3 >&2 || true
    fi
    W_CPU="$(awk -v t=$((c1 - c0)) -v hz="$TICKS_PER_S" -v n="$W_N" 'BEGIN { printf "%.2f", n ? t * 1000 / hz / n : 0 }')"
    # Little's law: requests in flight = req/s × mean latency, at most the connections (wrk's
    # own figures leave a few per cent of slack). Far more means wrk's latencies cannot be
    # right (seen 2026-12-04: 75 "in flight" on 8 connections); the row then says so.
    local mean rps_exact in_flight
    mean="$(awk '/^mean/ { print $2 }' <<<"$out")"
    rps_exact="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
    in_flight="$(awk -v r="$rps_exact" -v m="$mean" 'BEGIN { printf "%.1f", r * m / 1000 }')"
    if awk -v f="$in_flight" -v c="$conns" 'BEGIN { exit !(f > c * 1.25) }'; then
        W_P50="$W_P50 (inconsistent: $in_flight in flight on $conns connections)"
    fi
    log "$label: p50 $W_P50 ms, p95 $W_P95 ms, p99 $W_P99 ms, $W_RPS req/s, $W_N answers, errors $W_BAD, server CPU $W_CPU ms per answer (load average $W_LOAD)"
    if [[ -n "$stat_pid" ]]; then
        # perf stat counts over the same seconds as wrk (it may end a moment after wrk did):
        # the server's task switches per answer, a figure the machine's load hardly moves.
        wait "$stat_pid" || true
        log "$label: $(awk -F, -v n="$W_N" '$3 == "context-switches" { c = $1 }
            END { printf "%.1f task switches per answer", n ? c / n : 0 }' "$TMP/stat.csv")"
    fi
}

bench_database() {
    local db="$1" data url="" t0 t1 size_mib gen
    if [[ "$db" == sqlite ]]; then
        data="$WORK/load-sqlite-$PERSONS-$EVENTS-$SEED"
    else
        data="$TMP/load-postgres"
        # shellcheck source=scripts/pg-throwaway
        source "$ROOT/scripts/pg-throwaway" || die "no PostgreSQL cluster"
        PG_STARTED=1
        url="$RAZAM_TEST_POSTGRES_URL"
    fi

    # ------------------------------------------------------------ generate (cached for SQLite)
    if [[ ! -f "$data/generated" ]]; then
        rm -rf "$data"
        log "$db: generating $PERSONS persons, about $EVENTS events (seed $SEED)"
        local args=(demo --data "$data" --size "$PERSONS" --events "$EVENTS" --seed "$SEED" --no-serve)
        [[ -n "$url" ]] && args+=(--database "$url")
        timed "generate-$db" env RAZAM_LOG=info "$BIN" "${args[@]}"
        grep -m1 'demo registry written' "$TMP/generate-$db.err" | sed 's/\x1b\[[0-9;]*m//g' >"$data.line" || true
        echo "$T_WALL $T_CPU $T_RSS" >"$data.times"
        touch "$data/generated"
    else
        log "$db: reusing $data"
    fi
    read -r G_WALL G_CPU G_RSS <"$data.times"
    # PostgreSQL: VACUUM before the runs, as pgbench does before its own. Autovacuum's first
    # round over the freshly written tables (a minute or two after the generation: the
    # visibility map, the hint bits) would otherwise run beside the first measured kinds, which
    # is not the state a deployment serves from. (The planner's statistics are razam's own
    # doing: `razam demo` ends with ANALYZE.)
    local vacuum_s=""
    if [[ -n "$url" ]]; then
        t0="$(now_ns)"
        "$PG_THROWAWAY_BIN/psql" "$url" -qc VACUUM || die "VACUUM failed"
        t1="$(now_ns)"
        vacuum_s="$(secs "$t0" "$t1")"
        log "$db: VACUUM took $vacuum_s s"
    fi
    if [[ "$db" == sqlite ]]; then
        size_mib="$(du -sm "$data" | awk '{ print $1 }')"
    else
        size_mib="$("$PG_THROWAWAY_BIN/psql" "$url" -tAc 'SELECT pg_database_size(current_database())' |
            awk '{ printf "%.0f", $1 / 1048576 }')"
    fi
    gen="$(sed -n 's/.*persons=\([0-9]*\) events=\([0-9]*\) recognised=\([0-9]*\).*/\1 persons, \2 events, \3 recognised/p' "$data.line" 2>/dev/null || true)"

    # ------------------------------------------------------------ search queries
    "$BIN" export persons --data "$data" --format csv --out "$TMP/persons.csv" </dev/null >/dev/null 2>&1 ||
        die "export of persons failed"
    python3 - "$TMP/persons.csv" "$TMP/queries.txt" "$SEED" <<'EOF'
import csv, random, sys, urllib.parse
src, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
rng = random.Random(seed)
picked = rng.sample(rows, min(2000, len(rows)))
with open(out, "w") as o:
    for r in picked:
        variants = [v for v in (r.get("variants") or "").split(";") if v.strip() and v.strip().isascii()]
        if variants and rng.random() < 0.25:
            q = variants[0].strip()
        else:
            q = f"{r['family_name']} {r['given_name']}"
        o.write(urllib.parse.quote(q) + "\n")
EOF
    rm -f "$TMP/persons.csv"

    # ------------------------------------------------------------ serve: unlock to ready
    URL="http://127.0.0.1:$PORT"
    local serve_args=(serve --data "$data" --listen "127.0.0.1:$PORT")
    [[ -n "$url" ]] && serve_args+=(--database "$url")
    t0="$(now_ns)"
    RAZAM_LOG=info "$BIN" "${serve_args[@]}" </dev/null >"$TMP/serve.log" 2>&1 &
    RAZAM_PID=$!
    for _ in $(seq 6000); do
        curl -fs -o /dev/null "$URL/healthz" && break
        kill -0 "$RAZAM_PID" 2>/dev/null || { tail "$TMP/serve.log" >&2; die "razam serve stopped"; }
        sleep 0.02
    done
    t1="$(now_ns)"
    READY="$(secs "$t0" "$t1")"
    RSS_READY="$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
    log "$db: ready after $READY s, RSS $RSS_READY MiB"

    local jar="$TMP/cookies" csrf
    rm -f "$jar"
    csrf="$(curl -fs -c "$jar" -b "$jar" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
    [[ -n "$csrf" ]] || die "no CSRF token on /login"
    curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "username=$USER_NAME" \
        --data-urlencode "password=$USER_PASSWORD" "$URL/login"
    COOKIE="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$jar")"
    CSRF="$(curl -fs -H "Cookie: $COOKIE" "$URL/events/new" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
    [[ -n "$CSRF" ]] || die "the session cookie does not open /events/new"
    CSRF="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$CSRF")"

    # The first /figures answer waits for the first count (about a second at 1,000,000
    # events); later ones get the last count while a newer one runs. Asked once here so that
    # no measured run includes it (a run's 2 s warm-up may stop after LOAD_MAX requests).
    curl -fs -o /dev/null --max-time 300 "$URL/figures" || die "/figures did not answer"

    declare -gA ROWS
    for kind in $KINDS; do
        run_wrk "$db $kind" 8 "$KIND_SECONDS" "$kind"
        ROWS[$db-$kind]="$W_P50 / $W_P95 / $W_P99 ms | $W_RPS/s | $W_N | $W_BAD | $W_CPU ms | $W_LOAD"
    done
    run_wrk "$db mix" 16 "$SECONDS_RUN" mix
    ROWS[$db-mix]="$W_P50 / $W_P95 / $W_P99 ms | $W_RPS/s | $W_N | $W_BAD | $W_CPU ms | $W_LOAD"
    RSS_PEAK="$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
    stop_pid "$RAZAM_PID"
    RAZAM_PID=""
    if [[ -n "$PG_STARTED" ]]; then
        pg_throwaway_stop
        PG_STARTED=""
    fi

    echo "## $db: $PERSONS persons, about $EVENTS events"
    echo
    echo "| what | figure |"
    echo "|---|---|"
    echo "| generated (razam demo --size $PERSONS --events $EVENTS --seed $SEED) | ${gen:-see the log} |"
    echo "| generation: wall / CPU (user + system) / peak RSS | $G_WALL s / $G_CPU s / $G_RSS MiB |"
    echo "| database size after generation and earlier runs' posts | $size_mib MiB |"
    [[ -n "$vacuum_s" ]] && echo "| VACUUM after the generation, before the runs | $vacuum_s s |"
    echo "| \`razam serve\` start to first answer (unlock, indexes) / RSS then / peak after the runs | $READY s / $RSS_READY MiB / $RSS_PEAK MiB |"
    echo
    echo "| requests | p50 / p95 / p99 | req/s | answers | errors | server CPU per answer | load average at start |"
    echo "|---|---|---|---|---|---|---|"
    for kind in $KINDS; do
        echo "| $kind (wrk -t2 -c8 -d${KIND_SECONDS}s) | ${ROWS[$db-$kind]} |"
    done
    echo "| **mix** (wrk -t2 -c16 -d${SECONDS_RUN}s) | ${ROWS[$db-mix]} |"
    echo
}

for db in $DATABASES; do
    bench_database "$db"
done
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."

#!/usr/bin/env bash
# bench/search.sh: search at 1,000,000 persons: unlock-to-ready with the in-memory index build,
# the server's memory and the index's size, and the latency of /search for a mix of queries,
# next to SQLite FTS5 (trigram) over a plaintext copy of the same names and descriptions.
#
# What it does, in this order:
#   1. Binary: BENCH_BIN if given, else target/release/razam (built here with
#      `cargo build --release -p razam` when missing).
#   2. Data, cached between runs in BENCH_CACHE (default target/bench-cache/search-N-E-SEED):
#      bench/search-data.py writes BENCH_PERSONS fictional persons (default 1000000) with
#      Belarusian and Russian Cyrillic names, BENCH_EVENTS events (default 300000) with Russian
#      descriptions, and the queries; `razam init`, `razam import prisoners`, `razam import
#      events` and `razam user add` (a reviewer) fill a SQLite instance once (timed; the
#      times are kept in the cache and printed again).
#   3. `razam serve`: from the start of the process to the first answer of /healthz (the
#      server answers only once the index is built): unlock (Argon2id), migrations check,
#      reading and opening every person, event and source, indexing them. The index's own
#      estimate of its heap comes from the "search index ready" log line; the server's RSS is
#      read from /proc after it is ready and its peak (VmHWM) after the runs.
#   4. Latency with wrk (bench/latency.lua, LAT_PATHS: a random query of the kind per request),
#      `wrk -t2 -cBENCH_CONNECTIONS -dBENCH_SECONDS` (8 connections unless told) after a 2 s warm-up, logged in as the reviewer, for:
#        - latin:    "Family Given" romanised (Lasyshouski Aliaksandr) of the persons' names;
#        - cyrillic: "Family Given" in the other Cyrillic spelling (Ласышовский Александр);
#        - given:    "Given Family", the given name in the other language's romanisation;
#        - text:     one or two words of event descriptions in another inflected form;
#      Each /search answers both persons (top 50 and counts) and events (newest 50, counts,
#      snippets) and appends its audit entry. The server's debug line per search splits each
#      into its in-memory part and the audit entry's write (fsync'd); both are reported.
#   5. Found or not: for 200 latin queries with the birth year added (as a documenter narrows a
#      common name), whether the intended person is on the first page.
#   6. Reference, same run: SQLite FTS5 with the trigram tokenizer over a plaintext copy of the
#      names ("family given patronymic birth-year") and descriptions, served by Datasette
#      (PyPI) with the same wrk parameters, one query per request (`... WHERE t MATCH :q LIMIT 50`, each word
#      quoted); and the raw FTS5 query time in Python's sqlite3 (no HTTP) as the floor.
#      FTS5 finds only the same letters: its "found" figure is measured the same way.
#
# Caveat: wrk, the server and the reference share the machine's cores; figures are lower
# bounds on a shared machine (the load average is printed).
#
# Needs: python3, sqlite3, wrk, curl, datasette (wrk and sqlite3 from Debian, datasette with
# pip, installed here if missing; that needs root).
#
# Run:   bench/search.sh
# Knobs: BENCH_PERSONS=1000000 BENCH_EVENTS=300000 BENCH_SEED=20260401 BENCH_SECONDS=10 BENCH_CONNECTIONS=8
#        BENCH_BIN=path BENCH_CACHE=dir BENCH_PORT=18191 BENCH_REF_PORT=18192
#        BENCH_REFERENCE=0 leaves the FTS5 reference out (a second binary in the same session)
# Sizes for a quick check: BENCH_PERSONS=20000 BENCH_EVENTS=5000 BENCH_SECONDS=2
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PERSONS="${BENCH_PERSONS:-1000000}"
EVENTS="${BENCH_EVENTS:-300000}"
SEED="${BENCH_SEED:-20260401}"
SECONDS_RUN="${BENCH_SECONDS:-10}"
# Connections kept open by wrk: 8 saturates the two cores (throughput, latency under queueing);
# 1 is one person searching at a time (the latency a documenter sees).
CONNECTIONS="${BENCH_CONNECTIONS:-8}"
THREADS=$((CONNECTIONS < 2 ? 1 : 2))
PORT="${BENCH_PORT:-18191}"
REF_PORT="${BENCH_REF_PORT:-18192}"
BIN="${BENCH_BIN:-$ROOT/target/release/razam}"
CACHE="${BENCH_CACHE:-$ROOT/target/bench-cache/search-$PERSONS-$EVENTS-$SEED}"
PASSPHRASE='bench-passphrase-not-secret'
PASSWORD='bench-password-not-secret'

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ ! -x "$BIN" ]]; then
    log "building razam (release)"
    cargo build --release -p razam >&2
fi

TMP="$(mktemp -d -t razam-search-bench.XXXXXX)"
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
    python3 -m pip install -q datasette >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages datasette >/dev/null
fi
for tool in python3 sqlite3 wrk curl timeout datasette; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0 && b > 0) printf "%.3g", a / b; else print "n/a" }'; }

# percentiles: "p50 / p95 ms" of the microseconds on standard input, one a line.
percentiles() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.2f / %.2f ms", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.95) + 1] / 1000 }'
}

# measure LABEL PATHS_FILE BASE_URL [COOKIE]: sets M_P50 M_P95 M_P99 (ms) and M_RPS.
measure() {
    local label="$1" paths="$2" url="$3" cookie="${4:-}" out
    export LAT_PATHS="$paths"
    local args=(-t"$THREADS" -c"$CONNECTIONS" --timeout 30s -s "$ROOT/bench/latency.lua")
    [[ -n "$cookie" ]] && args+=(-H "Cookie: $cookie")
    timeout 30 wrk -d2s "${args[@]}" "$url" >/dev/null || die "warm-up of $label failed"
    out="$(timeout $((SECONDS_RUN + 20)) wrk -d"${SECONDS_RUN}s" "${args[@]}" "$url")" ||
        die "wrk for $label failed"
    if grep -q "Non-2xx" <<<"$out"; then
        [[ -f "$TMP/serve.log" ]] && sed 's/\x1b\[[0-9;]*m//g' "$TMP/serve.log" | grep -v ' search persons=' | tail -n 5 >&2
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
echo "- razam: $BIN ($("$BIN" --version 2>/dev/null || echo unknown version), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "- wrk: $(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }'); sqlite3: $(sqlite3 --version | awk '{ print $1 }'); datasette: $(datasette --version | awk '{ print $NF }')"
echo

# ---------------------------------------------------------------- data (cached)

DATA="$CACHE/data"
export RAZAM_PASSPHRASE="$PASSPHRASE"
if [[ ! -f "$CACHE/ready" ]]; then
    rm -rf "$CACHE"
    mkdir -p "$CACHE"
    log "writing $PERSONS persons and $EVENTS events (seed $SEED) into $CACHE"
    python3 "$ROOT/bench/search-data.py" "$PERSONS" "$EVENTS" "$SEED" "$CACHE"
    RAZAM_LOG=warn "$BIN" init --data "$DATA" >/dev/null 2>&1 </dev/null || die "razam init failed"
    t0="$(now_ns)"
    RAZAM_LOG=warn "$BIN" import prisoners --data "$DATA" "$CACHE/prisoners.csv" </dev/null >"$CACHE/import.log" 2>&1 ||
        { tail "$CACHE/import.log" >&2; die "import prisoners failed"; }
    t1="$(now_ns)"
    RAZAM_LOG=warn "$BIN" import events --data "$DATA" "$CACHE/events.csv" </dev/null >>"$CACHE/import.log" 2>&1 ||
        { tail "$CACHE/import.log" >&2; die "import events failed"; }
    t2="$(now_ns)"
    RAZAM_NEW_PASSWORD="$PASSWORD" RAZAM_LOG=warn "$BIN" user add --data "$DATA" --username bench --name Bench \
        --role reviewer >/dev/null 2>&1 </dev/null || die "razam user add failed"
    echo "$(secs "$t0" "$t1") $(secs "$t1" "$t2")" >"$CACHE/import-times"
    touch "$CACHE/ready"
else
    log "reusing the instance in $CACHE"
fi
read -r IMPORT_PERSONS IMPORT_EVENTS <"$CACHE/import-times"
DATA_MIB="$(du -sm "$DATA" | awk '{ print $1 }')"

# ---------------------------------------------------------------- razam: unlock to ready

URL="http://127.0.0.1:$PORT"
t0="$(now_ns)"
RAZAM_LOG=info,razam_app::search=debug "$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" </dev/null >"$TMP/serve.log" 2>&1 &
RAZAM_PID=$!
for _ in $(seq 2400); do
    curl -fs -o /dev/null "$URL/healthz" && break
    kill -0 "$RAZAM_PID" 2>/dev/null || { tail "$TMP/serve.log" >&2; die "razam serve stopped"; }
    sleep 0.05
done
t1="$(now_ns)"
READY="$(secs "$t0" "$t1")"
RSS_READY="$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
# CPU seconds (user + system) the server spent to get ready: on a shared machine a fairer
# figure than the wall time, which waits for other processes' turns.
CPU_READY="$(awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$RAZAM_PID/stat")"
INDEX_LINE="$(sed "s/\x1b\[[0-9;]*m//g" "$TMP/serve.log" | grep -m1 "search index ready" || true)"
[[ -n "$INDEX_LINE" ]] || die "no 'search index ready' line in the server's log"
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$INDEX_LINE"; }
IX_PERSONS="$(field persons)"
IX_EVENTS="$(field events)"
IX_MIB="$(field heap_mib)"
IX_MS="$(field ms)"
[[ "$IX_PERSONS" == "$PERSONS" ]] || die "the index holds $IX_PERSONS persons, not $PERSONS"
log "ready after $READY s (index build $IX_MS ms, ~$IX_MIB MiB, $CPU_READY s of CPU), RSS $RSS_READY MiB"

JAR="$TMP/cookies"
CSRF="$(curl -fs -c "$JAR" -b "$JAR" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
[[ -n "$CSRF" ]] || die "no CSRF token on /login"
curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "username=bench" \
    --data-urlencode "password=$PASSWORD" "$URL/login"
COOKIE="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$JAR")"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$URL/search?q=x")" == 200 ]] ||
    die "the session cookie does not open /search"

# ---------------------------------------------------------------- found or not

# The persons were imported in file order into a new instance: SP-000000i is person i.
FOUND=0
SAMPLE=0
while IFS=$'\t' read -r ref query && ((SAMPLE < 200)); do
    id=$((10#${ref#SP-}))
    q="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$query")"
    # The page is read whole before grep looks at it: `curl | grep -q` under pipefail counts
    # a hit as a miss whenever grep stops reading before curl has written everything.
    page="$(curl -fs -H "Cookie: $COOKIE" "$URL/search?q=$q")" || die "search for $ref failed"
    if grep -q "href=\"/persons/$id\"" <<<"$page"; then
        FOUND=$((FOUND + 1))
    fi
    SAMPLE=$((SAMPLE + 1))
done <"$CACHE/expected-latin.tsv"
log "latin queries whose person is on the first page: $FOUND of $SAMPLE"

declare -A R P
cat "$CACHE"/queries-{latin,cyrillic,given,text}.txt >"$TMP/queries-mix.txt"
for kind in latin cyrillic given text mix; do
    file="$CACHE/queries-$kind.txt"
    [[ "$kind" == mix ]] && file="$TMP/queries-mix.txt"
    before="$(wc -l <"$TMP/serve.log")"
    measure "razam $kind" "$file" "$URL" "$COOKIE"
    R[$kind]="$M_P50 $M_P95 $M_P99 $M_RPS"
    # The server's own debug line per search: the in-memory part (catch-up check, both
    # indexes, opening the events shown) and the audit entry's write, in microseconds.
    tail -n +"$((before + 1))" "$TMP/serve.log" | sed 's/\x1b\[[0-9;]*m//g' | grep ' search persons=' |
        sed -n 's/.*catch_up_us=\([0-9]*\) index_us=\([0-9]*\) events_us=\([0-9]*\) audit_us=\([0-9]*\).*/\1 \2 \3 \4/p' \
        >"$TMP/split-$kind"
    P[$kind]="$(percentiles < <(awk '{ print $1 + $2 + $3 }' "$TMP/split-$kind")) | $(percentiles < <(awk '{ print $4 }' "$TMP/split-$kind"))"
done
RSS_PEAK="$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$RAZAM_PID/status")"
stop_pid "$RAZAM_PID"
RAZAM_PID=""

# ---------------------------------------------------------------- reference: FTS5 trigram

if [[ "${BENCH_REFERENCE:-1}" == 0 ]]; then
    for kind in latin cyrillic given text mix; do R[ref_$kind]="n/a n/a n/a n/a"; done
    REF_BUILD="n/a"
    REF_MIB="n/a"
    REF_FOUND="n/a"
else

REF="$TMP/ref.db"
log "building the FTS5 reference"
t0="$(now_ns)"
python3 - "$CACHE" "$REF" "$TMP" <<'EOF'
import csv, sqlite3, sys, time, urllib.parse
cache, ref, tmp = sys.argv[1:4]
db = sqlite3.connect(ref)
db.execute("CREATE VIRTUAL TABLE names USING fts5(name, tokenize='trigram')")
db.execute("CREATE VIRTUAL TABLE descriptions USING fts5(description, tokenize='trigram')")
with open(f"{cache}/prisoners.csv", encoding="utf-8") as f:
    r = csv.reader(f)
    next(r)
    db.executemany("INSERT INTO names(rowid, name) VALUES (?, ?)",
                   ((i, " ".join(x for x in (row[2], row[1], row[3], row[4]) if x)) for i, row in enumerate(r, 1)))
with open(f"{cache}/events.csv", encoding="utf-8") as f:
    r = csv.reader(f)
    next(r)
    db.executemany("INSERT INTO descriptions(rowid, description) VALUES (?, ?)",
                   ((i, row[12]) for i, row in enumerate(r, 1)))
db.commit()

def match(q):
    return " ".join('"' + w.replace('"', '') + '"' for w in q.split())

def queries(kind):
    with open(f"{cache}/queries-{kind}.txt") as f:
        return [urllib.parse.unquote(line.strip()[len("/search?q="):]) for line in f if line.strip()]

# Paths for Datasette: the same queries, one FTS5 query each.
for kind in ("latin", "cyrillic", "given", "text"):
    table = "descriptions" if kind == "text" else "names"
    sql = f"SELECT rowid FROM {table} WHERE {table} MATCH :q LIMIT 50"
    with open(f"{tmp}/ref-{kind}.txt", "w") as out:
        for q in queries(kind):
            out.write("/ref.json?" + urllib.parse.urlencode({"sql": sql, "q": match(q), "_shape": "array"}) + "\n")
    # The floor: the raw query in-process.
    times = []
    for q in queries(kind)[:500]:
        t = time.perf_counter()
        db.execute(sql, {"q": match(q)}).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    with open(f"{tmp}/raw-{kind}", "w") as out:
        out.write(f"{times[len(times) // 2]:.3f} {times[int(len(times) * 0.95)]:.3f}\n")
# Found or not, the same 200 latin queries.
found = 0
with open(f"{cache}/expected-latin.tsv") as f:
    for n, line in enumerate(f):
        if n == 200:
            break
        ref_, q = line.rstrip("\n").split("\t")
        ids = [r[0] for r in db.execute("SELECT rowid FROM names WHERE names MATCH ? LIMIT 50", (match(q),))]
        found += int(ref_[3:]) in ids
with open(f"{tmp}/ref-found", "w") as out:
    out.write(f"{found}\n")
EOF
t1="$(now_ns)"
REF_BUILD="$(secs "$t0" "$t1")"
REF_MIB="$(du -sm "$REF" | awk '{ print $1 }')"
REF_FOUND="$(cat "$TMP/ref-found")"
datasette serve "$REF" --host 127.0.0.1 --port "$REF_PORT" --setting sql_time_limit_ms 20000 \
    </dev/null >"$TMP/datasette.log" 2>&1 &
REF_PID=$!
RURL="http://127.0.0.1:$REF_PORT"
for _ in $(seq 600); do curl -fs -o /dev/null "$RURL/ref.json" && break; sleep 0.1; done
cat "$TMP"/ref-{latin,cyrillic,given,text}.txt >"$TMP/ref-mix.txt"
for kind in latin cyrillic given text mix; do
    measure "fts5 $kind" "$TMP/ref-$kind.txt" "$RURL"
    R[ref_$kind]="$M_P50 $M_P95 $M_P99 $M_RPS"
done
stop_pid "$REF_PID"
REF_PID=""
fi

# ---------------------------------------------------------------- report

cell() { echo "$1 / $2 ms, $4/s"; }
echo "## Search at $PERSONS persons and $EVENTS events (SQLite)"
echo
echo "| what | figure |"
echo "|---|---|"
echo "| import prisoners ($PERSONS rows), once, cached | $IMPORT_PERSONS s |"
echo "| import events ($EVENTS rows), once, cached | $IMPORT_EVENTS s |"
echo "| data folder | $DATA_MIB MiB |"
echo "| \`razam serve\` start to first answer (unlock, open and index every record) | $READY s |"
echo "| of which the index build (log) | $(awk -v m="$IX_MS" 'BEGIN { printf "%.2f", m / 1000 }') s |"
echo "| CPU time of the server until ready (user + system, both cores) | $CPU_READY s |"
echo "| index size (its own estimate of its heap) | $IX_MIB MiB for $IX_PERSONS persons, $IX_EVENTS events |"
echo "| server RSS when ready / peak after the runs | $RSS_READY MiB / $RSS_PEAK MiB |"
echo "| latin queries with the birth year whose person is on the first page (of 200) | Razam $FOUND, FTS5 trigram $REF_FOUND |"
echo "| FTS5 reference: build (Python, plaintext) / size | $REF_BUILD s / $REF_MIB MiB |"
echo
echo "## /search latency (wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_RUN}s; p50 / p95, requests/s; ratio = p95 Razam / p95 FTS5 via Datasette)"
echo
echo "| queries | Razam /search | FTS5 trigram via Datasette | ratio | FTS5 raw query p50 / p95 (no HTTP) | Razam in memory p50 / p95 (no HTTP, no audit) | Razam audit write p50 / p95 |"
echo "|---|---|---|---|---|---|---|"
for kind in latin cyrillic given text mix; do
    read -r -a a <<<"${R[$kind]}"
    read -r -a b <<<"${R[ref_$kind]}"
    raw="$( [[ -f "$TMP/raw-$kind" ]] && awk '{ print $1 " / " $2 " ms" }' "$TMP/raw-$kind" || echo "")"
    echo "| $kind | $(cell "${a[@]}") | $(cell "${b[@]}") | $(ratio "${a[1]}" "${b[1]}") | $raw | ${P[$kind]} |"
done
echo
echo "Each Razam request searches persons and events, renders the page and appends an audit entry"
echo "(an fsync'd write). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."

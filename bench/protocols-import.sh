#!/usr/bin/env bash
# bench/protocols-import.sh: official protocols imported into an instance's election (issue 7),
# Razam next to the sqlite3 shell's `.import` of the same CSV.
#
# What it does, in this order:
#   1. Tools: GNU time, sqlite3, unzip (Debian packages, installed with apt-get if missing;
#      that needs root), cargo.
#   2. Build: `cargo build --release --locked -p razam` (BENCH_BIN=path skips it).
#   3. Data: ../shared/data/elections/ru/2012.csv.zip (95,415 stations), read in place; for
#      the reference it is unzipped into a temporary folder.
#   4. A fresh SQLite instance in a temporary folder (`razam init`, passphrase from the
#      environment), one election (`razam observe new-election`, timed: the vault unlock with
#      Argon2id that every command pays).
#   5. Razam, each run alone under GNU time (wall, CPU, peak RSS), each including the unlock:
#        dry-run   `observe import-protocols --dry-run --format json`: unzip, parse, check every
#                  station's control relations, compare with the election's stations;
#        import    the same, written (one transaction, multi-row statements);
#        again     the same file again: the election's protocols replaced.
#   6. The public report: `razam serve` on the instance; the first GET of /observation/E (the
#      protocols read back, the report and the forensics computed) and a second (cached), with
#      curl; the server's peak RSS (VmHWM) after them.
#   7. sqlite3: `.import --csv` of the unzipped CSV into a new database file (one table, every
#      column text, no checks): the floor for getting these rows into SQLite at all.
#   8. Prints the figures and the ratios.
#
# Caveat: the machine may be shared with parallel builds (the load average is printed).
#
# Run from anywhere:   bench/protocols-import.sh
# Knobs (environment): BENCH_BIN=path (use this razam binary, skip its build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

FILE="$(cd "$ROOT/../shared/data/elections/ru" && pwd)/2012.csv.zip"
TMP="$(mktemp -d -t razam-protocols-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || need_debian_tools time
need_debian_tools sqlite3 unzip curl
BIN="${BENCH_BIN:-}"
if [[ -z $BIN ]]; then
    log "building razam (release)"
    cargo build --release --locked -p razam >&2
    BIN="$ROOT/target/release/razam"
fi

export RAZAM_PASSPHRASE="protocol benchmark passphrase"
export RAZAM_LOG=warn
DATA="$TMP/instance"
"$BIN" init --data "$DATA" >/dev/null 2>&1 || die "razam init failed"

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rustc: $(rustc --version)"
echo "- sqlite3: $(sqlite3 --version | cut -d' ' -f1)"
echo "- commit: $(git rev-parse --short HEAD)"
echo

timed election "$BIN" observe new-election --data "$DATA" --name "Russia 2012" --election-day 2012-03-04
E="$(cat "$TMP/election.out")"
UNLOCK="$T_WALL"
timed dry "$BIN" observe import-protocols --data "$DATA" --election "$E" --dry-run --format json "$FILE"
DRY=("$T_WALL" "$T_CPU" "$T_RSS")
timed import "$BIN" observe import-protocols --data "$DATA" --election "$E" --format json "$FILE"
IMPORT=("$T_WALL" "$T_CPU" "$T_RSS")
timed again "$BIN" observe import-protocols --data "$DATA" --election "$E" --format json "$FILE"
AGAIN=("$T_WALL" "$T_CPU" "$T_RSS")
stations=$(grep -o '"stations": [0-9]*' "$TMP/import.out" | head -1 | grep -o '[0-9]*$')
failing=$(grep -o '"failing_stations": [0-9]*' "$TMP/import.out" | grep -o '[0-9]*$')

PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
SERVER=$!
trap 'stop_pid "$SERVER"; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
t0=$(now_ns); curl -fsS -o "$TMP/page1.html" "http://127.0.0.1:$PORT/observation/$E"; t1=$(now_ns)
PAGE_FIRST=$(secs "$t0" "$t1")
t0=$(now_ns); curl -fsS -o "$TMP/page2.html" "http://127.0.0.1:$PORT/observation/$E"; t1=$(now_ns)
PAGE_AGAIN=$(secs "$t0" "$t1")
SERVER_RSS=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER/status")
PAGE_KIB=$(( $(stat -c %s "$TMP/page1.html") / 1024 ))
stop_pid "$SERVER"
log "report page: first $PAGE_FIRST s, again $PAGE_AGAIN s, server peak $SERVER_RSS MiB, $PAGE_KIB KiB"

unzip -q -o "$FILE" -d "$TMP/csv"
CSV="$(find "$TMP/csv" -name '*.csv' | head -1)"
timed sqlite sqlite3 "$TMP/reference.db" ".import --csv '$CSV' protocols"
SQLITE=("$T_WALL" "$T_CPU" "$T_RSS")
rows=$(sqlite3 "$TMP/reference.db" "SELECT COUNT(*) FROM protocols")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b }'; }
echo "## Protocol import of the 2012 file ($stations stations; sqlite3 read $rows rows)"
echo
echo "| what | Razam | sqlite3 .import | ratio Razam/sqlite3 |"
echo "|---|---|---|---|"
echo "| unlock alone (\`observe new-election\`, Argon2id) | $UNLOCK s | | |"
echo "| dry run (unzip, parse, arithmetic: $failing failing): wall / CPU / peak RSS | ${DRY[0]} s / ${DRY[1]} s / ${DRY[2]} MiB | | |"
echo "| import into an empty election: wall / CPU / peak RSS | ${IMPORT[0]} s / ${IMPORT[1]} s / ${IMPORT[2]} MiB | ${SQLITE[0]} s / ${SQLITE[1]} s / ${SQLITE[2]} MiB | $(ratio "${IMPORT[0]}" "${SQLITE[0]}") (wall) |"
echo "| import again (replaces the protocols): wall / CPU / peak RSS | ${AGAIN[0]} s / ${AGAIN[1]} s / ${AGAIN[2]} MiB | | |"
echo "| public report page, first view (protocols read back, forensics with 1,000 repetitions): wall | $PAGE_FIRST s ($PAGE_KIB KiB of HTML) | | |"
echo "| public report page again (forensics kept per import) | $PAGE_AGAIN s | | |"
echo "| server peak RSS after both views | $SERVER_RSS MiB | | |"
echo "| database file after the import | $(du -m "$DATA/razam.db" | cut -f1) MiB | $(du -m "$TMP/reference.db" | cut -f1) MiB | |"

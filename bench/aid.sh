#!/usr/bin/env bash
# bench/aid.sh: stock movements recorded per second (issue 6 item 5), next to plain INSERTs
# of rows of the same shape into the same database, one transaction each, as the physical
# limit (a movement is one transaction: the conditional stock UPDATE, its row, its audit
# entry).
#
# What it does:
#   1. Build: `cargo build --release -p razam-app --example aid_movements`.
#   2. SQLite: a new instance; the example records BENCH_N receipts, then BENCH_N dispatches
#      one after another, then BENCH_N × 1.5 dispatches from BENCH_CONCURRENCY tasks racing
#      for the BENCH_N units left (a third are refused: stock never goes negative); then
#      `sqlite3` inserts BENCH_N rows shaped like `aid_movements`, each in its own
#      transaction, into a new file with the instance's settings (WAL, synchronous=FULL).
#   3. PostgreSQL (if scripts/pg-throwaway can start one): the same on a throwaway cluster,
#      and the plain INSERTs through `psql` (autocommit). The throwaway cluster runs with
#      fsync off: both sides alike, so the ratio stands, not the absolute figures.
#   4. Prints movements per second and the ratio to the plain INSERTs.
#
# Caveat: the machine may be shared (the load average is printed).
#
# Run from anywhere:   bench/aid.sh
# Knobs (environment): BENCH_N=2000  BENCH_CONCURRENCY=8  BENCH_TMP=folder
#                      BENCH_PROFILE=release (or debug, when a release build does not fit)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

N="${BENCH_N:-2000}"
C="${BENCH_CONCURRENCY:-8}"
TMP="$(mktemp -d -p "${BENCH_TMP:-${TMPDIR:-/tmp}}" razam-aid-bench.XXXXXX)"
cleanup() {
    if declare -F pg_throwaway_stop >/dev/null; then pg_throwaway_stop; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

PROFILE="${BENCH_PROFILE:-release}"
log "building the aid_movements example ($PROFILE)"
if [[ $PROFILE == release ]]; then
    cargo build --release -q -p razam-app --example aid_movements
    EX="$ROOT/target/release/examples/aid_movements"
else
    cargo build -q -p razam-app --example aid_movements
    EX="$ROOT/target/debug/examples/aid_movements"
fi

# The INSERTs: BENCH_N rows like a dispatch's, one statement (one transaction) each.
inserts() {
    awk -v n="$N" 'BEGIN {
        for (i = 1; i <= n; i++)
            printf "INSERT INTO m (kind, item_id, quantity, from_warehouse, to_warehouse, shipment_id, sealed, reason, value_minor, currency, ledger_transfer, created_by, at_ms) VALUES (%s, 1, 1, 1, NULL, 1, NULL, NULL, NULL, NULL, NULL, %s, %d);\n", "\047dispatch\047", "\047cli\047", 1764700000000 + i
    }'
}
TABLE="CREATE TABLE m (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, item_id BIGINT NOT NULL, quantity BIGINT NOT NULL, from_warehouse BIGINT, to_warehouse BIGINT, shipment_id BIGINT, sealed BYTEA, reason TEXT, value_minor BIGINT, currency TEXT, ledger_transfer BIGINT, created_by TEXT NOT NULL, at_ms BIGINT NOT NULL);"
inserts >"$TMP/inserts.sql"

per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
field() { tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- sqlite3 $(sqlite3 --version | cut -d' ' -f1); build profile: $PROFILE"
echo

log "SQLite: razam"
"$EX" "$TMP/sqlite" "$N" "$C" >"$TMP/sqlite.out"
log "SQLite: plain INSERTs"
{
    echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    echo "${TABLE//BYTEA/BLOB}"
} | sqlite3 "$TMP/plain.db" >/dev/null
t0="$(now_ns)"
sqlite3 "$TMP/plain.db" "PRAGMA synchronous=FULL;" ".read $TMP/inserts.sql" >/dev/null
t1="$(now_ns)"
SQLITE_PLAIN="$(per_s "$N" "$(secs "$t0" "$t1")")"

PG=""
if source scripts/pg-throwaway; then
    log "PostgreSQL: razam"
    "$EX" "$TMP/postgres" "$N" "$C" "$RAZAM_TEST_POSTGRES_URL" >"$TMP/postgres.out"
    log "PostgreSQL: plain INSERTs"
    psql -q "$RAZAM_TEST_POSTGRES_URL" -c "${TABLE/id INTEGER PRIMARY KEY/id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY}" >/dev/null
    t0="$(now_ns)"
    psql -q "$RAZAM_TEST_POSTGRES_URL" -f "$TMP/inserts.sql" >/dev/null
    t1="$(now_ns)"
    PG="$(per_s "$N" "$(secs "$t0" "$t1")")"
fi

echo "## In-kind aid: movements per second (N=$N, $C concurrent tasks)"
echo
echo "| database | receipts/s | dispatches/s | concurrent dispatch attempts/s | plain INSERTs/s (one transaction each) | dispatches ÷ INSERTs |"
echo "|---|---|---|---|---|---|"
row() {
    local out="$1" plain="$2" d
    d="$(field "$out" dispatches_per_s)"
    echo "| $(field "$out" database) | $(field "$out" receipts_per_s) | $d | $(field "$out" concurrent_attempts_per_s) (recorded $(field "$out" recorded), refused $(field "$out" refused), left $(field "$out" left)) | $plain | $(awk -v a="$d" -v b="$plain" 'BEGIN { printf "%.2f", a / b }') |"
}
row "$TMP/sqlite.out" "$SQLITE_PLAIN"
if [[ -n $PG ]]; then row "$TMP/postgres.out" "$PG"; fi
echo
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

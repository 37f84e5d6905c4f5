#!/usr/bin/env bash
# bench/ledger.sh: ledger transfers booked per second (one per request, and in batches) and
# statement import rate (camt.053 entries per second), on SQLite and on PostgreSQL, each next
# to the physical limit of the same database: plain INSERTs of the same rows (one transfer
# row, two posting rows, one audit row per transfer; the same transactions: one per transfer,
# or one per batch) through sqlite3 / psql in the same run.
#
# What it does:
#   1. Builds `razam` and the example `ledger_bench` (BENCH_PROFILE=release by default; dev
#      for a quick debug-build run, which is slower and says so in the output).
#   2. SQLite: `razam init` in a temporary folder; `ledger_bench` books SINGLE transfers one
#      by one (each its own transaction, audit entry, fsync), BATCHED in batches of BATCH,
#      imports a generated statement of ENTRIES booked entries (every one unmatched, so each
#      also goes into the reconciliation queue), and times the whole-ledger check. Then
#      sqlite3 (WAL, synchronous=FULL, as Razam) inserts the same rows into plain tables.
#   3. PostgreSQL: a throwaway cluster (scripts/pg-throwaway: fsync off, for Razam and psql
#      alike), the same with `razam init --database` and psql.
#
# Knobs: SINGLE (2000), BATCHED (50000), BATCH (1000), ENTRIES (20000), BENCH_PROFILE.
# Caveat: the machine is shared with parallel builds; the load average is printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

SINGLE="${SINGLE:-2000}"
BATCHED="${BATCHED:-50000}"
BATCH="${BATCH:-1000}"
ENTRIES="${ENTRIES:-20000}"
PROFILE="${BENCH_PROFILE:-release}"
TMP="$(mktemp -d -t razam-ledger-bench.XXXXXX)"
log() { echo ">> $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }
cleanup() { declare -F pg_throwaway_stop >/dev/null && pg_throwaway_stop; rm -rf "$TMP"; }
trap cleanup EXIT

need_debian_tools sqlite3
if [[ "$PROFILE" == release ]]; then flag=--release; dir=release; else flag=; dir=debug; fi
cargo build $flag --locked -q -p razam --bin razam -p razam-app --example ledger_bench
RAZAM="target/$dir/razam"
BENCH="target/$dir/examples/ledger_bench"
export RAZAM_PASSPHRASE="ledger bench passphrase, long enough" RAZAM_LOG=warn

# The rows of plain INSERTs: TABLES, then the transactions.
plain_sql() { # $1: rows per transaction, $2: number of transfers
    python3 - "$1" "$2" <<'PY'
import sys
per, n = int(sys.argv[1]), int(sys.argv[2])
print("CREATE TABLE t (id BIGINT PRIMARY KEY, idem BYTEA UNIQUE, kind TEXT, booked_on TEXT, audit_seq BIGINT, created_by TEXT, created_at_ms BIGINT);")
print("CREATE TABLE p (transfer_id BIGINT, seq BIGINT, account_id BIGINT, currency TEXT, amount BIGINT, PRIMARY KEY (transfer_id, seq));")
print("CREATE TABLE a (seq BIGINT PRIMARY KEY, at_ms BIGINT, actor TEXT, action TEXT, object TEXT, prev_hash BYTEA, hash BYTEA);")
h = "'\\x" + "ab" * 32 + "'"
for start in range(1, n + 1, per):
    ids = range(start, min(start + per, n + 1))
    print("BEGIN;")
    print("INSERT INTO t VALUES " + ",".join(f"({i}, '\\x{i:064x}', 'booking', '2026-03-01', {i}, 'cli', 1767225600000)" for i in ids) + ";")
    print("INSERT INTO p VALUES " + ",".join(f"({i}, 1, 1, 'EUR', {100 + i % 1000}),({i}, 2, 2, 'EUR', {-(100 + i % 1000)})" for i in ids) + ";")
    print("INSERT INTO a VALUES " + ",".join(f"({i}, 1767225600000, 'cli', 'ledger.book', 'ledger_transfer:{i}', {h}, {h})" for i in ids) + ";")
    print("COMMIT;")
PY
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

report=()
run_db() { # $1: name, $2: init extra args
    local name="$1" data="$TMP/$1"
    shift
    "$RAZAM" init --data "$data" "$@" >/dev/null 2>&1 || die "razam init ($name)"
    log "$name: razam"
    "$BENCH" "$data" "$SINGLE" "$BATCHED" "$BATCH" "$ENTRIES" >"$TMP/$name.out" || die "ledger_bench ($name)"
    cat "$TMP/$name.out" >&2
    while read -r what count seconds per; do
        if [[ "$what" == check ]]; then
            report+=("| $name | razam: whole-ledger check over $count transfers | $count | $seconds s | $per broken |")
        else
            report+=("| $name | razam: $what | $count | $seconds s | $per /s |")
        fi
    done <"$TMP/$name.out"
}

plain_sqlite() { # $1: rows per transaction, $2: transfers, $3: label
    local db="$TMP/plain-$1.db" t0 t1
    plain_sql "$1" "$2" | sed "s/'\\\\x\([0-9a-f]*\)'/X'\1'/g" >"$TMP/plain.sql"
    t0="$(now_ns)"
    { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"; cat "$TMP/plain.sql"; } | sqlite3 "$db" >/dev/null
    t1="$(now_ns)"
    report+=("| sqlite | sqlite3 plain INSERTs: $3 | $2 | $(secs "$t0" "$t1") s | $(rate "$2" "$(secs "$t0" "$t1")") /s |")
}

plain_psql() { # $1: rows per transaction, $2: transfers, $3: label
    local t0 t1 db="plain_$1_$RANDOM"
    psql -q "$RAZAM_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
    plain_sql "$1" "$2" >"$TMP/plain.sql"
    local url="${RAZAM_TEST_POSTGRES_URL%/*}/$db"
    t0="$(now_ns)"
    psql -q -v ON_ERROR_STOP=1 "$url" -f "$TMP/plain.sql" >/dev/null
    t1="$(now_ns)"
    report+=("| postgres | psql plain INSERTs: $3 | $2 | $(secs "$t0" "$t1") s | $(rate "$2" "$(secs "$t0" "$t1")") /s |")
}

run_db sqlite
plain_sqlite 1 "$SINGLE" "one transfer per transaction"
plain_sqlite "$BATCH" "$BATCHED" "$BATCH per transaction"
plain_sqlite 5000 "$ENTRIES" "statement rows, one transaction"

# shellcheck source=scripts/pg-throwaway
source scripts/pg-throwaway || die "no PostgreSQL"
psql -q "$RAZAM_TEST_POSTGRES_URL" -c "CREATE DATABASE razam_bench" >/dev/null
run_db postgres --database "${RAZAM_TEST_POSTGRES_URL%/*}/razam_bench"
plain_psql 1 "$SINGLE" "one transfer per transaction"
plain_psql "$BATCH" "$BATCHED" "$BATCH per transaction"
plain_psql 5000 "$ENTRIES" "statement rows, one transaction"

machine_header
echo "- profile: $PROFILE; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| database | what | count | time | rate |"
echo "|---|---|---|---|---|"
printf '%s\n' "${report[@]}"

#!/usr/bin/env bash
# bench/registry-import.sh: measure the political-prisoner list import on this machine.
#
# What it measures, in this order:
#   1. Build: `cargo build --release --locked -p razam` of a clean export of BENCH_REV
#      (default HEAD: `git archive` into a temp dir, so uncommitted edits in crates/ are not
#      included) into target/bench-build. The build is not timed (see bench/foundation.sh).
#   2. Data: python3 writes a deterministic CSV (seed BENCH_SEED) of BENCH_N rows (default
#      100000) with the documented header
#      ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,
#      recognized_on,released_on: unique refs PP-000001…, Belarusian and Russian Cyrillic and
#      Latin names, birth dates empty / YYYY / YYYY-MM-DD, regions written in several
#      languages, detentions 2020-08-01..2026-06-30 (some YYYY-MM only), articles such as
#      `342`, `361-1;130` or none, recognitions on or after the detention (some none),
#      releases for ~40% after the recognition. It also computes the figures that
#      `razam stats political-prisoners --as-of BENCH_AS_OF` must print.
#   3. Razam, on a fresh SQLite instance in a temp dir (`razam init`, passphrase from
#      RAZAM_PASSPHRASE), each command timed on its own (wall seconds, CPU user+sys, peak RSS
#      from /usr/bin/time -v, else by polling /proc):
#        - `razam stats political-prisoners` on the empty instance: the unlock baseline.
#          Every command below opens the vault first (Argon2id, 64 MiB, 3 passes, ~0.15 s)
#          and runs the migrations check; this row is that fixed cost.
#        - `razam import prisoners --dry-run` on the empty instance (parse, check, hash),
#        - `razam import prisoners` (must report N created),
#        - the same import again (must report `0 were created, 0 were updated, N unchanged`),
#        - `--dry-run` again on the imported instance (must report N unchanged),
#        - `razam stats political-prisoners --as-of BENCH_AS_OF --format json` (printed, and
#          compared with the figures computed from the CSV),
#        - `razam audit verify` (the chain the import extended),
#      then the size of the data folder, and a check that a few names from the CSV are not
#      in any file of it in plaintext.
#   4. Reference, same run, same timing: the sqlite3 command-line shell loads the same CSV
#      (`.mode csv`, `.import`) into a new table of a new database inside one transaction,
#      with Razam's durability settings (WAL, synchronous=FULL): a plain unencrypted load,
#      so the ratio shows what parsing and validation, sealing, the audit chain and the
#      version history cost. The stats row's reference is the same figures by one SQL query
#      on that table. Ratio = Razam / sqlite3.
#
# Caveat: the machine may be shared (check the load average printed at the start). CPU
# seconds are less sensitive to that than wall seconds.
#
# Needs: git, cargo, python3, timeout, and the Debian package sqlite3 (installed with
# apt-get if missing; that needs root). /usr/bin/time is used when present. The temp dir
# (source export, CSV, instance, reference database) is removed on exit, also on failure;
# target/bench-build is kept and reused.
#
# Run from anywhere:   bench/registry-import.sh
# Knobs (environment): BENCH_N=100000  BENCH_SEED=20260101  BENCH_AS_OF=2026-01-01
#   BENCH_REV=HEAD (the commit to build)  BENCH_BIN=path (use this binary, skip the build)
#   BENCH_TIMEOUT=300 (seconds; a Razam command that takes longer is stopped and the run fails)
# Scaling, e.g.:  for n in 10000 30000 100000; do BENCH_N=$n bench/registry-import.sh; done
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

N="${BENCH_N:-100000}"
SEED="${BENCH_SEED:-20260101}"
AS_OF="${BENCH_AS_OF:-2026-01-01}"
REV="${BENCH_REV:-HEAD}"
LIMIT_S="${BENCH_TIMEOUT:-300}"
PASSPHRASE='bench-passphrase-not-secret'

[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_N must be a positive integer" >&2; exit 2; }

TMP="$(mktemp -d -t razam-import-bench.XXXXXX)"

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

if ! command -v sqlite3 >/dev/null 2>&1; then
    log "installing sqlite3"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends sqlite3 </dev/null >/dev/null
fi
for tool in git python3 sqlite3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[[ -n "${BENCH_BIN:-}" ]] || command -v cargo >/dev/null 2>&1 || die "cargo is needed"
GNU_TIME=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
    GNU_TIME=/usr/bin/time
fi

# ---------------------------------------------------------------- helpers

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print "n/a"; exit } r = a / b
        if (r < 0) print "n/a"; else if (r < 0.1) printf "%.4f", r; else if (r < 10) printf "%.2f", r; else printf "%.0f", r }'
}
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# measure NAME CMD...: runs CMD (stdin /dev/null, stdout to $TMP/NAME.out, stderr to
# $TMP/NAME.err), stopped after LIMIT_S seconds. Sets M_WALL (s), M_CPU (user + sys s),
# M_RSS (peak RSS, KiB) and M_RC (exit status; 124 = stopped by the time limit).
measure() {
    local name="$1" t0 t1
    shift
    if [[ -n "$GNU_TIME" ]]; then
        t0="$(now_ns)"
        set +e
        timeout "$LIMIT_S" "$GNU_TIME" -v -o "$TMP/$name.time" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
        M_RC=$?
        set -e
        t1="$(now_ns)"
        M_RSS="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/$name.time" 2>/dev/null)"
        M_CPU="$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$TMP/$name.time" 2>/dev/null)"
        # GNU time reports "Command exited with non-zero status" but exits with the status.
    else
        # No GNU time: poll /proc every 20 ms; the peak RSS (VmHWM) and CPU ticks are the
        # last values seen before the process exits.
        local pid hz ticks=0 hwm=0 v deadline
        hz="$(getconf CLK_TCK)"
        t0="$(now_ns)"
        "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
        pid=$!
        deadline=$(($(date +%s) + LIMIT_S))
        while kill -0 "$pid" 2>/dev/null; do
            v="$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
            [[ -n "$v" ]] && ((v > hwm)) && hwm="$v"
            v="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true)"
            [[ -n "$v" ]] && ((v > ticks)) && ticks="$v"
            if (($(date +%s) >= deadline)); then
                kill -TERM "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.02
        done
        set +e
        wait "$pid"
        M_RC=$?
        set -e
        (($(date +%s) >= deadline)) && M_RC=124
        t1="$(now_ns)"
        M_RSS="$hwm"
        M_CPU="$(awk -v t="$ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')"
    fi
    M_WALL="$(secs "$t0" "$t1")"
    : "${M_RSS:=0}"
    : "${M_CPU:=0}"
    log "$name: exit $M_RC, ${M_WALL} s wall, ${M_CPU} s CPU, peak RSS $(mib "$M_RSS") MiB"
}

# must_succeed NAME: stop with the command's output when it failed.
must_succeed() {
    local name="$1"
    if ((M_RC == 124)); then
        die "$name took longer than ${LIMIT_S} s and was stopped (BENCH_TIMEOUT); try a smaller BENCH_N to see the scaling"
    fi
    if ((M_RC != 0)); then
        tail -n 20 "$TMP/$name.out" "$TMP/$name.err" >&2
        die "$name exited $M_RC"
    fi
}

# expect_line NAME TEXT: the command's stdout must contain TEXT; else note the problem.
PROBLEMS=()
expect_line() {
    local name="$1" text="$2"
    if ! grep -qF -- "$text" "$TMP/$name.out"; then
        PROBLEMS+=("$name: expected \`$text\`, got \`$(tr '\n' ' ' <"$TMP/$name.out")\`")
        log "PROBLEM: $name did not report: $text"
    fi
}

# ---------------------------------------------------------------- machine

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- python3: $(python3 --version 2>&1 | awk '{ print $2 }')"
echo "- sqlite3: $(sqlite3 --version | awk '{ print $1 }')"
if [[ -n "$GNU_TIME" ]]; then
    echo "- timing: wall from date +%s%N; CPU and peak RSS from /usr/bin/time -v"
else
    echo "- timing: wall from date +%s%N; CPU and peak RSS by polling /proc (no /usr/bin/time)"
fi

# ---------------------------------------------------------------- build

if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
    [[ -x "$BIN" ]] || die "BENCH_BIN=$BENCH_BIN is not an executable"
    echo "- razam binary: $BIN (given by BENCH_BIN; not built by this run)"
else
    COMMIT="$(git -C "$ROOT" rev-parse "$REV^{commit}")"
    echo "- razam source: $REV = $COMMIT (clean export; uncommitted changes not included)"
    echo "- rustc: $(rustc --version)"
    export CARGO_TARGET_DIR="$ROOT/target/bench-build"
    BIN="$CARGO_TARGET_DIR/release/razam"
    # The commit the binary in target/bench-build was last built from by this script; a
    # rerun at the same commit skips the build (bench/foundation.sh removes the whole dir).
    MARK="$CARGO_TARGET_DIR/registry-import.commit"
    if [[ -x "$BIN" && -f "$MARK" && "$(cat "$MARK")" == "$COMMIT" && ! "$BIN" -nt "$MARK" ]]; then
        log "target/bench-build/release/razam is already built from ${COMMIT:0:7}"
    else
        rm -f "$MARK"
        SRC="$TMP/src"
        mkdir -p "$SRC"
        # -m: the files get the extraction time, not the commit time. With commit times,
        # cargo would find the sources older than a previous build's outputs in
        # target/bench-build and reuse a binary built from another commit.
        git -C "$ROOT" archive "$COMMIT" | tar -x -m -C "$SRC"
        log "building $REV (${COMMIT:0:7}) from a clean export into target/bench-build (may take minutes)"
        t0="$(now_ns)"
        if ! (cd "$SRC" && cargo build --release --locked -p razam) >"$TMP/build.log" 2>&1; then
            tail -n 40 "$TMP/build.log" >&2
            die "the release build failed"
        fi
        log "built in $(secs "$t0" "$(now_ns)") s"
        echo "$COMMIT" >"$MARK"
        rm -rf "$SRC"
    fi
fi
echo

# ---------------------------------------------------------------- data

CSV="$TMP/prisoners.csv"
log "writing $N rows (seed $SEED)"
python3 - "$N" "$SEED" "$CSV" "$AS_OF" >"$TMP/expected.env" <<'PY'
import csv, datetime as dt, random, sys

n, seed, path, as_of = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = random.Random(seed)
D = dt.date
first_detention, last_detention = D(2020, 8, 1), D(2026, 6, 30)
last_day = D(2026, 11, 20)  # nothing recognised or released after this
as_of = D.fromisoformat(as_of)

# (given names, family names, patronymics) by script and sex.
names = {
    ("be", "m"): (["Алесь", "Андрэй", "Зміцер", "Сяргей", "Мікола", "Павел", "Уладзімір", "Яўген", "Віктар", "Раман", "Ігар", "Юрась"],
                  ["Бяляцкі", "Каваленка", "Шавель", "Лукашэвіч", "Новік", "Мароз", "Жук", "Статкевіч", "Сакалоўскі", "Лосік", "Дашкевіч", "Севярынец"],
                  ["Віктаравіч", "Мікалаевіч", "Алесевіч", "Уладзіміравіч", "Сяргеевіч", "Іванавіч", "Пятровіч", ""]),
    ("be", "f"): (["Марыя", "Вольга", "Святлана", "Алена", "Ганна", "Таццяна", "Наталля", "Юлія", "Кацярына", "Вераніка", "Мар'я", "Ганна-Марыя"],
                  ["Калеснікава", "Каваленка", "Лукашэвіч", "Новік", "Мароз", "Жук", "Сакалоўская", "Андрэева", "Бахвалава", "Статкевіч"],
                  ["Віктараўна", "Мікалаеўна", "Сяргееўна", "Андрэеўна", "Уладзіміраўна", ""]),
    ("ru", "m"): (["Александр", "Сергей", "Дмитрий", "Николай", "Павел", "Владимир", "Евгений", "Виктор", "Игорь", "Максим", "Артём"],
                  ["Иванов", "Кузнецов", "Смирнов", "Ковалёв", "Новиков", "Морозов", "Жуков", "Соколов", "Лосик", "Бабарико", "Тихановский"],
                  ["Иванович", "Петрович", "Сергеевич", "Александрович", "Николаевич", "Викторович"]),
    ("ru", "f"): (["Мария", "Ольга", "Светлана", "Елена", "Анна", "Татьяна", "Наталья", "Юлия", "Екатерина", "Дарья"],
                  ["Иванова", "Кузнецова", "Смирнова", "Ковалёва", "Новикова", "Морозова", "Соколова", "Колесникова", "Андреева"],
                  ["Ивановна", "Петровна", "Сергеевна", "Александровна", "Николаевна", "Викторовна"]),
    ("la", "m"): (["Ales", "Andrei", "Zmicier", "Siarhiej", "Mikola", "Paval", "Uladzimir", "Jauhien", "Viktar", "Raman", "Ihar"],
                  ["Bialiatski", "Kavalenka", "Shavel", "Lukashevich", "Novik", "Maroz", "Zhuk", "Statkevich", "Sakalouski", "Losik", "O'Connor", "Kowalski-Nowak"],
                  ["Viktaravich", "Mikalaevich", "", "", ""]),
    ("la", "f"): (["Maryja", "Volha", "Sviatlana", "Alena", "Hanna", "Tatsiana", "Natallia", "Julija", "Katsiaryna", "Veranika"],
                  ["Kalesnikava", "Kavalenka", "Novik", "Maroz", "Zhuk", "Sakalouskaya", "Andreyeva", "Bakhvalava"],
                  ["Viktarauna", "Mikalaeuna", "", "", ""]),
}
scripts = [("be", 0.45), ("ru", 0.35), ("la", 0.20)]
regions = ["Minsk", "Мінск", "Минск", "Брест", "Homiel", "Гомель", "Гродно", "Hrodna", "Мінская вобласць",
           "Минская область", "Mahilyow", "Магілёў", "Віцебск", "Vitsebsk", "Brest region", ""]
articles = ["342", "342", "342", "361-1;130", "342;293", "130", "369", "361-1", "423-1", "130 ч.3", "293;342;130",
            "", "", ""]


def pick_weighted(pairs):
    r, acc = rng.random(), 0.0
    for value, weight in pairs:
        acc += weight
        if r < acc:
            return value
    return pairs[-1][0]


def day_between(a, b):
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


def end_of_month(d):
    nxt = D(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


held = recognized = with_detention = with_case = released_n = 0
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ref", "given_name", "family_name", "patronymic", "birth_date", "region", "detained_on",
                "articles", "recognized_on", "released_on"])
    for i in range(1, n + 1):
        script = pick_weighted(scripts)
        sex = "f" if rng.random() < 0.25 else "m"
        givens, families, patronymics = names[(script, sex)]
        given = "" if rng.random() < 0.01 else rng.choice(givens)
        family = rng.choice(families)
        patronymic = rng.choice(patronymics)
        b = rng.random()
        born = day_between(D(1945, 1, 1), D(2005, 12, 31))
        birth = "" if b < 0.2 else str(born.year) if b < 0.5 else born.isoformat()
        detained = day_between(first_detention, last_detention)
        if rng.random() < 0.1:
            detained_text, detained_last = detained.strftime("%Y-%m"), end_of_month(detained)
            detained = detained.replace(day=1)
        else:
            detained_text, detained_last = detained.isoformat(), detained
        with_detention += 1
        art = rng.choice(articles)
        with_case += art != ""
        rec = None
        if rng.random() < 0.85:
            rec = min(detained_last + dt.timedelta(days=rng.randint(0, 400)), last_day)
        rel = None
        if rng.random() < 0.40:
            after = rec or detained_last
            if after < last_day:
                rel = min(after + dt.timedelta(days=rng.randint(1, 1500)), last_day)
        released_n += rel is not None
        if rec is not None and rec <= as_of:
            recognized += 1
            if rel is None or rel > as_of:
                held += 1
        w.writerow([f"PP-{i:06d}", given, family, patronymic, birth, rng.choice(regions), detained_text, art,
                    rec.isoformat() if rec else "", rel.isoformat() if rel else ""])

print(f"EXP_HELD={held}")
print(f"EXP_RECOGNIZED={recognized}")
print(f"EXP_DETENTIONS={with_detention}")
print(f"EXP_CASES={with_case}")
print(f"EXP_RELEASED={released_n}")
PY
# shellcheck source=/dev/null
source "$TMP/expected.env"
CSV_BYTES="$(stat -c %s "$CSV")"
log "CSV: $CSV_BYTES bytes; as of $AS_OF: $EXP_HELD held, $EXP_RECOGNIZED recognised; $EXP_RELEASED released rows"
echo "## Data"
echo
echo "$N rows, $CSV_BYTES bytes (seed $SEED). First rows:"
echo
echo '```'
head -n 6 "$CSV"
echo '```'
echo

# ---------------------------------------------------------------- razam

DATA="$TMP/data"
export RAZAM_PASSPHRASE="$PASSPHRASE"
"$BIN" init --data "$DATA" >"$TMP/init.out" 2>&1 </dev/null || { cat "$TMP/init.out" >&2; die "razam init failed"; }

measure unlock "$BIN" stats political-prisoners --data "$DATA" --as-of "$AS_OF" --format json
must_succeed unlock
R_UNLOCK=("$M_WALL" "$M_CPU" "$M_RSS")

measure dry_new "$BIN" import prisoners --data "$DATA" --dry-run "$CSV"
must_succeed dry_new
expect_line dry_new "$N rows: $N would be created, 0 would be updated, 0 unchanged"
R_DRY_NEW=("$M_WALL" "$M_CPU" "$M_RSS")

measure import1 "$BIN" import prisoners --data "$DATA" "$CSV"
must_succeed import1
expect_line import1 "$N rows: $N were created, 0 were updated, 0 unchanged"
R_IMPORT1=("$M_WALL" "$M_CPU" "$M_RSS")
DATA_BYTES="$(du -sb "$DATA" | awk '{ print $1 }')"

measure import2 "$BIN" import prisoners --data "$DATA" "$CSV"
must_succeed import2
expect_line import2 "0 were created, 0 were updated, $N unchanged"
R_IMPORT2=("$M_WALL" "$M_CPU" "$M_RSS")

measure dry_again "$BIN" import prisoners --data "$DATA" --dry-run "$CSV"
must_succeed dry_again
expect_line dry_again "$N rows: 0 would be created, 0 would be updated, $N unchanged"
R_DRY_AGAIN=("$M_WALL" "$M_CPU" "$M_RSS")

measure stats "$BIN" stats political-prisoners --data "$DATA" --as-of "$AS_OF" --format json
must_succeed stats
R_STATS=("$M_WALL" "$M_CPU" "$M_RSS")
STATS_OUT="$(cat "$TMP/stats.out")"
STATS_CHECK="$(python3 -c '
import json, sys
got = json.loads(sys.argv[1])
want = {"as_of": sys.argv[2], "held": int(sys.argv[3]), "recognized_total": int(sys.argv[4])}
print("ok" if got == want else "expected " + json.dumps(want, separators=(",", ":")))
' "$STATS_OUT" "$AS_OF" "$EXP_HELD" "$EXP_RECOGNIZED" 2>&1)" || true
[[ "$STATS_CHECK" == ok ]] || PROBLEMS+=("stats: got \`$STATS_OUT\`, $STATS_CHECK")

measure audit "$BIN" audit verify --data "$DATA"
must_succeed audit
R_AUDIT=("$M_WALL" "$M_CPU" "$M_RSS")
AUDIT_OUT="$(tr '\n' ' ' <"$TMP/audit.out")"

# No name from the list may be on disk in plaintext (the data folder after all the above).
LEAKS=0
for name in Бяляцкі Калеснікава Kowalski-Nowak Тихановский "PP-000001"; do
    if grep -rqaF -- "$name" "$DATA"; then
        LEAKS=$((LEAKS + 1))
        PROBLEMS+=("plaintext \`$name\` found in the data folder")
    fi
done

# ---------------------------------------------------------------- sqlite3 reference

REF="$TMP/reference.db"
cat >"$TMP/reference.sql" <<EOF
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
.mode csv
BEGIN;
.import $CSV prisoners
COMMIT;
EOF
measure sqlite_import sqlite3 -bail "$REF" ".read $TMP/reference.sql"
must_succeed sqlite_import
S_IMPORT=("$M_WALL" "$M_CPU" "$M_RSS")
S_ROWS="$(sqlite3 "$REF" 'SELECT COUNT(*) FROM prisoners')"
[[ "$S_ROWS" == "$N" ]] || die "sqlite3 loaded $S_ROWS rows, not $N"
sqlite3 "$REF" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
REF_BYTES="$(du -sb "$REF"* | awk '{ s += $1 } END { print s }')"

measure sqlite_stats sqlite3 "$REF" "SELECT COUNT(CASE WHEN released_on = '' OR released_on > '$AS_OF' THEN 1 END),
    COUNT(*) FROM prisoners WHERE recognized_on <> '' AND recognized_on <= '$AS_OF'"
must_succeed sqlite_stats
S_STATS=("$M_WALL" "$M_CPU" "$M_RSS")
[[ "$(cat "$TMP/sqlite_stats.out")" == "$EXP_HELD|$EXP_RECOGNIZED" ]] ||
    PROBLEMS+=("the reference query disagrees with the generator: $(cat "$TMP/sqlite_stats.out")")

# ---------------------------------------------------------------- report

echo "## Output of the Razam commands"
echo
echo '```'
for name in dry_new import1 import2 dry_again stats; do
    echo "\$ razam $(case "$name" in
        dry_new | dry_again) echo "import prisoners --dry-run FILE.csv" ;;
        import1 | import2) echo "import prisoners FILE.csv" ;;
        stats) echo "stats political-prisoners --as-of $AS_OF --format json" ;;
    esac)"
    cat "$TMP/$name.out"
done
echo "\$ razam audit verify"
cat "$TMP/audit.out"
echo '```'
echo
echo "Expected from the CSV, as of $AS_OF: held $EXP_HELD, recognised in total $EXP_RECOGNIZED."
echo

# row LABEL R[@] [S[@]]: wall, rows/s, CPU and peak RSS lines for one command.
row() {
    local label="$1" rw="$2" rc="$3" rr="$4" sw="${5:-}" sc="${6:-}" sr="${7:-}"
    if [[ -n "$sw" ]]; then
        echo "| $label: wall | ${rw} s | ${sw} s | $(ratio "$rw" "$sw") |"
        echo "| $label: rows/s | $(per_s "$N" "$rw") | $(per_s "$N" "$sw") | $(ratio "$(per_s "$N" "$rw")" "$(per_s "$N" "$sw")") |"
        echo "| $label: CPU user+sys | ${rc} s | ${sc} s | $(ratio "$rc" "$sc") |"
        echo "| $label: peak RSS | $(mib "$rr") MiB | $(mib "$sr") MiB | $(ratio "$rr" "$sr") |"
    else
        echo "| $label: wall | ${rw} s | | |"
        echo "| $label: rows/s | $(per_s "$N" "$rw") | | |"
        echo "| $label: CPU user+sys | ${rc} s | | |"
        echo "| $label: peak RSS | $(mib "$rr") MiB | | |"
    fi
}

echo "## Figures"
echo
echo "$N rows; each Razam command includes the vault unlock (Argon2id) and the database open:"
echo "the first row is that fixed cost alone. Ratio = Razam / sqlite3 .import."
echo
echo "| what | Razam | sqlite3 .import | ratio |"
echo "|---|---|---|---|"
echo "| unlock baseline (\`stats\` on the empty instance): wall | ${R_UNLOCK[0]} s | | |"
echo "| unlock baseline: CPU user+sys / peak RSS | ${R_UNLOCK[1]} s / $(mib "${R_UNLOCK[2]}") MiB | | |"
row "first import ($N created)" "${R_IMPORT1[@]}" "${S_IMPORT[@]}"
IMPORT_NET="$(minus "${R_IMPORT1[0]}" "${R_UNLOCK[0]}")"
echo "| first import minus the unlock baseline: wall | ${IMPORT_NET} s ($(per_s "$N" "$IMPORT_NET") rows/s) | ${S_IMPORT[0]} s | $(ratio "$IMPORT_NET" "${S_IMPORT[0]}") |"
row "second import ($N unchanged)" "${R_IMPORT2[@]}" "${S_IMPORT[@]}"
row "--dry-run, empty instance" "${R_DRY_NEW[@]}" "${S_IMPORT[@]}"
row "--dry-run, after the import" "${R_DRY_AGAIN[@]}" "${S_IMPORT[@]}"
echo "| stats political-prisoners --as-of $AS_OF: wall (reference: one SQL query on the plain table) | ${R_STATS[0]} s | ${S_STATS[0]} s | $(ratio "${R_STATS[0]}" "${S_STATS[0]}") |"
echo "| stats minus the unlock baseline: wall | $(minus "${R_STATS[0]}" "${R_UNLOCK[0]}") s | ${S_STATS[0]} s | $(ratio "$(minus "${R_STATS[0]}" "${R_UNLOCK[0]}")" "${S_STATS[0]}") |"
echo "| stats: CPU user+sys / peak RSS | ${R_STATS[1]} s / $(mib "${R_STATS[2]}") MiB | ${S_STATS[1]} s / $(mib "${S_STATS[2]}") MiB | |"
echo "| stats output | \`$STATS_OUT\` | \`$(cat "$TMP/sqlite_stats.out")\` (held, recognised) | $([[ "$STATS_CHECK" == ok ]] && echo "matches the CSV" || echo "MISMATCH") |"
echo "| audit verify after the imports: wall / CPU / peak RSS | ${R_AUDIT[0]} s / ${R_AUDIT[1]} s / $(mib "${R_AUDIT[2]}") MiB | | |"
echo "| audit verify output | ${AUDIT_OUT% } | | |"
echo "| on disk after the first import (data folder / database + WAL) | $(mib $((DATA_BYTES / 1024))) MiB | $(mib $((REF_BYTES / 1024))) MiB | $(ratio "$DATA_BYTES" "$REF_BYTES") |"
echo "| CSV size | $(mib $((CSV_BYTES / 1024))) MiB | | |"
echo "| names from the CSV found in plaintext in the data folder | $LEAKS of 5 | | |"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
if ((${#PROBLEMS[@]})); then
    echo "## Problems"
    echo
    for p in "${PROBLEMS[@]}"; do
        echo "- $p"
    done
    echo
fi
echo "Rerun: \`$(env | grep -E '^BENCH_' | sort | tr '\n' ' ')bench/registry-import.sh\`"
((${#PROBLEMS[@]} == 0)) || exit 1

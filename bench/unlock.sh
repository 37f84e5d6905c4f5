#!/usr/bin/env bash
# bench/unlock.sh: from `razam serve` to ready at 1,000,000 persons (issue 9, item 3): the
# unlock (Argon2id), the migrations check, and the in-memory indexes built over every sealed
# person, event and source; the server's CPU time and memory then.
#
# What it does:
#   1. Data: `razam demo --size BENCH_PERSONS --events BENCH_EVENTS --seed BENCH_SEED
#      --no-serve` into BENCH_WORK (default /tmp/scale), once (cached; the generation's wall,
#      CPU and peak RSS are kept and printed with the folder's size).
#   2. For each binary of BENCH_BINS (default target/release/razam), BENCH_RUNS times (default
#      3): `razam serve` on loopback, timed from the start of the process to the first answer
#      of /healthz (the server answers only once the indexes are built or loaded); the index build's
#      own time from the "search index ready" log line; CPU (user + system) and RSS when
#      ready from /proc, peak RSS (VmHWM).
#   The first run of each binary starts without the search indexes' sealed snapshot
#   (DATA/search.sealed is removed): it builds the indexes from every record and seals the
#   snapshot (its own time from the "search snapshot sealed" line); the later runs load that
#   snapshot and read only what is newer ("index from": built or snapshot).
#   3. Then, per binary, a restart after an edit: start (from the snapshot), log in as the
#      demo documenter and save event 1's edit form with a new description (bench/form_fields.py
#      sends the form back as the server gave it), stop with SIGINT (timed: the close seals the
#      changed indexes), and start again: row "after the edit" (from the snapshot when the
#      close sealed, else built). The edits accumulate in the data folder (fictional data).
#   4. Then, per binary, a restart after a kill: start, save event 1's form again, SIGKILL
#      the server (nothing sealed), and start again: row "after a kill" (from the older
#      snapshot and caught up with the edit, or built).
#   With BENCH_PERF=1 the last run of the first binary is recorded by `perf record -g` and
#   the top of `perf report` is printed (where the time goes).
#
# Caveat: on a shared machine the wall time waits for other processes' turns; the CPU time is
# the fairer figure (the load average is printed).
#
# Run:   bench/unlock.sh
# Knobs: BENCH_PERSONS=1000000 BENCH_EVENTS=1000000 BENCH_SEED=1 BENCH_RUNS=3
#        BENCH_BINS="path1 path2" BENCH_WORK=/tmp/scale BENCH_PORT=18391 BENCH_PERF=0
#        (list older binaries first: a newer one migrates the cached data folder, which an
#        older one then refuses)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PERSONS="${BENCH_PERSONS:-1000000}"
EVENTS="${BENCH_EVENTS:-1000000}"
SEED="${BENCH_SEED:-1}"
RUNS="${BENCH_RUNS:-3}"
BINS="${BENCH_BINS:-$ROOT/target/release/razam}"
WORK="${BENCH_WORK:-/tmp/scale}"
PORT="${BENCH_PORT:-18391}"
export RAZAM_PASSPHRASE='razam demo passphrase'

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$WORK"
TMP="$(mktemp -d "$WORK/unlock.XXXXXX")"
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

FIRST_BIN="${BINS%% *}"
[[ -x "$FIRST_BIN" ]] || { log "building razam (release)"; cargo build --release -p razam >&2; }

DATA="$WORK/unlock-$PERSONS-$EVENTS-$SEED"
if [[ ! -f "$DATA/generated" ]]; then
    rm -rf "$DATA"
    log "generating $PERSONS persons, about $EVENTS events (seed $SEED) into $DATA"
    timed generate env RAZAM_LOG=info "$FIRST_BIN" demo --data "$DATA" --size "$PERSONS" --events "$EVENTS" \
        --seed "$SEED" --no-serve
    sed 's/\x1b\[[0-9;]*m//g' "$TMP/generate.err" | grep -m1 'demo registry written' >"$DATA.line" || true
    echo "$T_WALL $T_CPU $T_RSS" >"$DATA.times"
    touch "$DATA/generated"
fi
read -r G_WALL G_CPU G_RSS <"$DATA.times"

machine_header
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- data: $(sed -n 's/.*persons=\([0-9]*\) events=\([0-9]*\) recognised=\([0-9]*\).*/\1 persons, \2 events, \3 recognised/p' "$DATA.line"), $(du -sm "$DATA" | awk '{ print $1 }') MiB; generated in $G_WALL s wall, $G_CPU s CPU, $G_RSS MiB peak"
echo
echo "| binary | run | index from | start to ready | index ready (log) | snapshot sealed (log) | CPU until ready | RSS ready / peak | load average |"
echo "|---|---|---|---|---|---|---|---|---|"

URL="http://127.0.0.1:$PORT"

# start BIN LABEL [PERF]: starts `razam serve`, waits for its first answer, prints the row;
# the server is left running (RAZAM_PID).
start() {
    local bin="$1" label="$2" perf="${3:-0}" prefix=() t0 t1 pid cpu rss peak plain_log ready_line build from sealed sealed_s
    if [[ "$perf" == 1 ]]; then
        prefix=(perf record -g -F 499 -o "$TMP/perf.data" --)
    fi
    t0="$(now_ns)"
    RAZAM_LOG=info "${prefix[@]}" "$bin" serve --data "$DATA" --listen "127.0.0.1:$PORT" </dev/null >"$TMP/serve.log" 2>&1 &
    RAZAM_PID=$!
    for _ in $(seq 12000); do
        curl -fs -o /dev/null "$URL/healthz" && break
        kill -0 "$RAZAM_PID" 2>/dev/null || { tail "$TMP/serve.log" >&2; die "razam serve stopped"; }
        sleep 0.01
    done
    t1="$(now_ns)"
    pid="$RAZAM_PID"
    if ((${#prefix[@]})); then
        pid="$(pgrep -P "$RAZAM_PID" | head -n 1 || echo "$RAZAM_PID")"
    fi
    cpu="$(awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$pid/stat")"
    rss="$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")"
    peak="$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")"
    plain_log="$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/serve.log")"
    ready_line="$(grep -m1 'search index ready' <<<"$plain_log" || true)"
    build="$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' <<<"$ready_line")"
    from="built"
    [[ "$ready_line" == *from_snapshot=true* ]] && from="snapshot"
    sealed="$(grep -m1 'search snapshot sealed' <<<"$plain_log" | sed -n 's/.* ms=\([0-9]*\).*/\1/p' || true)"
    sealed_s="–"
    [[ -n "$sealed" ]] && sealed_s="$(awk -v m="$sealed" 'BEGIN { printf "%.2f s", m / 1000 }')"
    echo "| \`$bin\` | $label | $from | $(secs "$t0" "$t1") s | $(awk -v m="${build:-0}" 'BEGIN { printf "%.2f", m / 1000 }') s | $sealed_s | $cpu s | $rss / $peak MiB | $(cut -d' ' -f1 /proc/loadavg) |"
}

# stop: SIGINT to the server, waits for it to exit; sets STOP_S (seconds) and STOP_SEALED.
stop() {
    local t0 t1
    t0="$(now_ns)"
    kill -INT "$RAZAM_PID" 2>/dev/null || true
    wait "$RAZAM_PID" 2>/dev/null || true
    t1="$(now_ns)"
    RAZAM_PID=""
    STOP_S="$(secs "$t0" "$t1")"
    STOP_SEALED="no"
    # A seal after the start's own (a start that built seals too).
    if sed 's/\x1b\[[0-9;]*m//g' "$TMP/serve.log" | sed -n '/search index ready/,$p' | grep -q 'search snapshot sealed'; then
        STOP_SEALED="yes"
    fi
}

# edit: logs in as the demo documenter and saves the form of event 1 through the server
# with its description changed (an edit of a record the snapshot holds).
edit() {
    local jar="$TMP/cookies" csrf
    rm -f "$jar"
    csrf="$(curl -fs -c "$jar" -b "$jar" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')"
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "username=ales" --data-urlencode "password=demo-password-ales" "$URL/login"
    local code
    code="$(curl -fs -b "$jar" "$URL/events/1/edit" | python3 "$ROOT/bench/form_fields.py" /events/1 \
        description="edited by bench/unlock.sh at $(date -u +%FT%TZ)" |
        curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H 'Content-Type: application/x-www-form-urlencoded' \
            --data-binary @- "$URL/events/1")"
    [[ "$code" == 303 ]] || die "the edit of event 1 answered $code"
}

first=1
EDITS=()
for bin in $BINS; do
    for run in $(seq "$RUNS"); do
        if [[ $run == 1 ]]; then
            rm -f "$DATA/search.sealed"
        fi
        perf=0
        [[ "${BENCH_PERF:-0}" == 1 && $first == 1 && $run == "$RUNS" ]] && perf=1
        start "$bin" "$run" "$perf"
        stop
    done
    # A restart after an edit made through this server: sealed again at its close (or not,
    # and the next start builds).
    start "$bin" "edit" >/dev/null
    edit
    stop
    EDITS+=("| \`$bin\` | $STOP_S s | $STOP_SEALED |")
    start "$bin" "after the edit"
    stop
    # A restart after a kill that followed an edit: nothing was sealed.
    start "$bin" "kill" >/dev/null
    edit
    kill -KILL "$RAZAM_PID"
    wait "$RAZAM_PID" 2>/dev/null || true
    RAZAM_PID=""
    start "$bin" "after a kill"
    stop
    first=0
done

echo
echo "Stop after an edit of event 1 made through the server (\`edit\` above: SIGINT to exit):"
echo
echo "| binary | stop (SIGINT to exit) | sealed at close |"
echo "|---|---|---|"
printf '%s\n' "${EDITS[@]}"

if [[ -f "$TMP/perf.data" ]]; then
    echo
    echo '```'
    perf report -i "$TMP/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 30
    echo '```'
fi

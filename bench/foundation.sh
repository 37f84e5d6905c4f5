#!/usr/bin/env bash
# bench/foundation.sh: measure the figures of Razam's foundation on this machine.
#
# What it measures, in this order:
#   1. Build time: a clean `cargo build --release --locked -p razam` (wall seconds) into a
#      separate target dir, target/bench-build, so target/ stays untouched. The release
#      profile uses thin LTO.
#   2. Binary size of target/bench-build/release/razam, as built and stripped (a stripped copy).
#   3. Start-up: `razam serve` on a fresh SQLite instance in a temp dir, listening on
#      127.0.0.1:0. Time to ready = spawn until the "razam is serving on" line on stderr
#      (includes the Argon2id vault unlock and migrations; the poll has ~10 ms resolution).
#      Idle RSS = VmRSS after ~2 s of idleness.
#   4. Load, on loopback only: `wrk -t2 -c32 -d10s --latency` against /healthz (which asks
#      the database) and /login (server-rendered HTML), after a 2 s warm-up, two runs each;
#      req/s and p50/p99 latency are the mean of the two runs, errors are summed. Then RSS
#      (and peak RSS) after the load, and server CPU use during the load.
#   5. Reference, same run, same wrk parameters: a throwaway nginx (Debian package,
#      worker_processes 2, access_log off) serving two static files: "ok\n" and the exact
#      bytes of Razam's /login body. The ratio column is razam / nginx.
#   6. Stop: SIGTERM to razam, which must exit 0 (graceful shutdown), and the time it takes.
#
# Caveat: wrk runs on the same machine as the server, so both share the same cores. The
# "machine busy" figures show how close the machine was to saturation during each run.
#
# Needs: cargo, curl, strip, and the Debian packages wrk and nginx (installed with apt-get
# if missing; that needs root). Everything it starts is stopped and its temp dir removed on
# exit, also on failure. target/bench-build is kept (the next run removes it first).
#
# Run from anywhere:   bench/foundation.sh
# To build a commit instead of the working tree (e.g. while it is being edited), set
# BENCH_REV: BENCH_REV=HEAD bench/foundation.sh builds `git archive HEAD` in a temp dir
# (same target/bench-build, same crates from the local cargo cache).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WRK_ARGS=(-t2 -c32 -d10s --latency)
RUNS=2
PASSPHRASE='bench-passphrase-not-secret'
READY_TIMEOUT_S=120

TMP="$(mktemp -d -t razam-bench.XXXXXX)"
RAZAM_PID=""
NGINX_PID=""

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Stop a process we started: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_pid "$RAZAM_PID"
    stop_pid "$NGINX_PID"
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
for tool in cargo curl strip wrk timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

# ---------------------------------------------------------------- helpers

now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" -v d="${2:-2}" 'BEGIN { printf "%.*f", d, (b - a) / 1e9 }'; }
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Direct children of a process (nginx workers), found by their parent pid.
children() {
    local f
    for f in /proc/[0-9]*/stat; do
        sed 's/.*) //' "$f" 2>/dev/null | awk -v p="$1" -v f="$f" '$2 == p { split(f, a, "/"); print a[3] }'
    done
}
# CPU ticks (utime + stime) of a process and its direct children (nginx workers).
proc_ticks() {
    local total=0 pid
    for pid in "$1" $(children "$1"); do
        # Fields after the ")" of the command name: utime is the 12th, stime the 13th.
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 } END { if (!NR) print 0 }')))
    done
    echo "$total"
}
# Busy and total jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }

# A free TCP port on 127.0.0.1 (nothing answers on it).
free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

# Latency like "812.00us", "1.23ms", "1.02s", "2.00m" -> milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# run_wrk LABEL URL SERVER_PID: RUNS measured runs after a warm-up. Sets W_RPS, W_P50, W_P99
# (means), W_ERR (socket errors + non-2xx/3xx, summed), W_CPU (server CPU %, mean of one
# core = 100) and W_BUSY (whole-machine busy %, mean).
run_wrk() {
    local label="$1" url="$2" pid="$3" out i t0 t1 m0 m1 hz
    hz="$(getconf CLK_TCK)"
    timeout 20 wrk -t2 -c32 -d2s "$url" >/dev/null || die "wrk warm-up against $url failed"
    local rps=() p50=() p99=() err=0 cpu=() busy=()
    for i in $(seq "$RUNS"); do
        t0="$(proc_ticks "$pid")"; m0="$(machine_ticks)"
        out="$(timeout 30 wrk "${WRK_ARGS[@]}" "$url")" || die "wrk against $url failed"
        t1="$(proc_ticks "$pid")"; m1="$(machine_ticks)"
        printf '%s\n' "--- wrk $label run $i: $url" "$out" >>"$TMP/wrk.log"
        rps+=("$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")")
        p50+=("$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")")
        p99+=("$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")")
        err=$((err + $(awk '/Non-2xx or 3xx responses:/ { n += $NF }
            /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
            END { print n + 0 }' <<<"$out")))
        # Server CPU % over the run's wall time (10 s), 100 = one core.
        cpu+=("$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) / hz / 10 * 100 }')")
        busy+=("$(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " "); split(b, y, " ");
            printf "%.0f", (y[1] - x[1]) / (y[2] - x[2]) * 100 }')")
        log "$label run $i: ${rps[-1]} req/s, p50 ${p50[-1]} ms, p99 ${p99[-1]} ms, server CPU ${cpu[-1]}%, machine busy ${busy[-1]}%"
    done
    W_RPS="$(printf '%s\n' "${rps[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')"
    W_P50="$(printf '%s\n' "${p50[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')"
    W_P99="$(printf '%s\n' "${p99[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')"
    W_CPU="$(printf '%s\n' "${cpu[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')"
    W_BUSY="$(printf '%s\n' "${busy[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')"
    W_ERR="$err"
}

# ---------------------------------------------------------------- machine

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
machine_header
echo "- rustc: $(rustc --version)"
echo "- cargo: $(cargo --version)"
echo "- wrk: $(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }')"
echo "- nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
if [[ -n "${BENCH_REV:-}" ]]; then
    echo "- razam source: $BENCH_REV = $(git rev-parse --short "$BENCH_REV") (clean export, uncommitted changes not included)"
else
    echo "- razam source: working tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')"
fi
echo

# ---------------------------------------------------------------- build

export CARGO_TARGET_DIR="$ROOT/target/bench-build"
rm -rf "$CARGO_TARGET_DIR"
SRC="$ROOT"
if [[ -n "${BENCH_REV:-}" ]]; then
    SRC="$TMP/src"
    mkdir -p "$SRC"
    git -C "$ROOT" archive "$BENCH_REV" | tar -x -C "$SRC"
    log "building $BENCH_REV ($(git -C "$ROOT" rev-parse --short "$BENCH_REV")) from a clean export"
fi
log "clean release build into target/bench-build (takes minutes)"
t0="$(now_ns)"
if ! (cd "$SRC" && cargo build --release --locked -p razam) >"$TMP/build.log" 2>&1; then
    tail -n 40 "$TMP/build.log" >&2
    die "the release build failed"
fi
BUILD_S="$(secs_since "$t0")"
BIN="$CARGO_TARGET_DIR/release/razam"
SIZE="$(stat -c %s "$BIN")"
cp "$BIN" "$TMP/razam-stripped"
strip "$TMP/razam-stripped"
SIZE_STRIPPED="$(stat -c %s "$TMP/razam-stripped")"
log "built in $BUILD_S s; $SIZE bytes, stripped $SIZE_STRIPPED bytes"

# ---------------------------------------------------------------- razam

DATA="$TMP/data"
export RAZAM_PASSPHRASE="$PASSPHRASE"
"$BIN" init --data "$DATA" >"$TMP/init.out" 2>&1 </dev/null || { cat "$TMP/init.out" >&2; die "razam init failed"; }
RAZAM_NEW_PASSWORD='bench-password-not-secret' "$BIN" user add --data "$DATA" \
    --username bench --name "Bench User" --role admin >"$TMP/user.out" 2>&1 </dev/null ||
    { cat "$TMP/user.out" >&2; die "razam user add failed"; }

log "starting razam serve"
t0="$(now_ns)"
"$BIN" serve --data "$DATA" --listen 127.0.0.1:0 </dev/null >"$TMP/serve.out" 2>"$TMP/serve.err" &
RAZAM_PID=$!
RAZAM_ADDR=""
deadline=$(($(date +%s) + READY_TIMEOUT_S))
while [[ -z "$RAZAM_ADDR" ]]; do
    RAZAM_ADDR="$(sed -n 's|.*razam is serving on http://\([^/]*\)/.*|\1|p' "$TMP/serve.err" | head -n1)"
    [[ -n "$RAZAM_ADDR" ]] && break
    kill -0 "$RAZAM_PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; die "razam serve exited early"; }
    (($(date +%s) < deadline)) || { cat "$TMP/serve.err" >&2; die "razam was not ready in ${READY_TIMEOUT_S} s"; }
    sleep 0.01
done
READY_S="$(secs_since "$t0" 3)"
RAZAM="http://$RAZAM_ADDR"
[[ "$(curl -fsS "$RAZAM/healthz")" == "ok" ]] || die "/healthz did not answer ok"
sleep 2
RSS_IDLE="$(rss_kib "$RAZAM_PID" VmRSS)"
HWM_IDLE="$(rss_kib "$RAZAM_PID" VmHWM)"
log "ready in $READY_S s on $RAZAM_ADDR; idle RSS $RSS_IDLE KiB"

# ---------------------------------------------------------------- nginx

NG="$TMP/nginx"
mkdir -p "$NG/www" "$NG/tmp"
printf 'ok\n' >"$NG/www/healthz"
curl -fsS -o "$NG/www/login.html" "$RAZAM/login"
LOGIN_BYTES="$(stat -c %s "$NG/www/login.html")"
# Workers run as nobody: let them through the temp dirs and read the files.
chmod 755 "$TMP" "$NG" "$NG/www"
chmod 644 "$NG/www/"*

start_nginx() {
    NGINX_PORT="$(free_port)"
    cat >"$NG/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location = /healthz { default_type "text/plain; charset=utf-8"; alias $NG/www/healthz; }
        location = /login { default_type "text/html; charset=utf-8"; alias $NG/www/login.html; }
    }
}
EOF
    "$NGINX" -p "$NG" -c "$NG/nginx.conf" </dev/null >"$NG/stdout.log" 2>&1 &
    NGINX_PID=$!
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" 2>/dev/null && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05
    done
    stop_pid "$NGINX_PID"
    NGINX_PID=""
    return 1
}
for attempt in 1 2 3; do
    start_nginx && break
    ((attempt < 3)) || { cat "$NG/stdout.log" "$NG/error.log" >&2 2>/dev/null; die "nginx did not start"; }
done
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
cmp -s "$NG/www/login.html" <(curl -fsS "$NGINX_URL/login") || die "nginx does not serve the same /login bytes"
log "nginx reference on $NGINX_URL (pid $NGINX_PID)"
# Bytes on the wire per response (headers + body), as wrk asks (no compression).
wire() { curl -fsS -o /dev/null -w '%{size_header} + %{size_download}' "$1"; }
WIRE_RH="$(wire "$RAZAM/healthz")"; WIRE_RL="$(wire "$RAZAM/login")"
WIRE_NH="$(wire "$NGINX_URL/healthz")"; WIRE_NL="$(wire "$NGINX_URL/login")"

# ---------------------------------------------------------------- load

# Razam first, then nginx, so nothing else runs while either is measured.
run_wrk "razam /healthz" "$RAZAM/healthz" "$RAZAM_PID"
R_H=("$W_RPS" "$W_P50" "$W_P99" "$W_ERR" "$W_CPU" "$W_BUSY")
run_wrk "razam /login" "$RAZAM/login" "$RAZAM_PID"
R_L=("$W_RPS" "$W_P50" "$W_P99" "$W_ERR" "$W_CPU" "$W_BUSY")
RSS_LOAD="$(rss_kib "$RAZAM_PID" VmRSS)"
RSS_PEAK="$(rss_kib "$RAZAM_PID" VmHWM)"

run_wrk "nginx /healthz" "$NGINX_URL/healthz" "$NGINX_PID"
N_H=("$W_RPS" "$W_P50" "$W_P99" "$W_ERR" "$W_CPU" "$W_BUSY")
run_wrk "nginx /login" "$NGINX_URL/login" "$NGINX_PID"
N_L=("$W_RPS" "$W_P50" "$W_P99" "$W_ERR" "$W_CPU" "$W_BUSY")
NGINX_RSS=0
for pid in "$NGINX_PID" $(children "$NGINX_PID"); do
    NGINX_RSS=$((NGINX_RSS + $(rss_kib "$pid" VmRSS)))
done

# ---------------------------------------------------------------- stop

log "stopping razam with SIGTERM"
t0="$(now_ns)"
kill -TERM "$RAZAM_PID"
set +e
wait "$RAZAM_PID"
STOP_RC=$?
set -e
STOP_S="$(secs_since "$t0" 3)"
RAZAM_PID=""
stop_pid "$NGINX_PID"
NGINX_PID=""
((STOP_RC == 0)) || { cat "$TMP/serve.err" >&2; die "razam exited $STOP_RC after SIGTERM (expected 0)"; }

# ---------------------------------------------------------------- report

echo "## wrk output"
echo
echo '```'
cat "$TMP/wrk.log"
echo '```'
echo
echo "## Figures"
echo
echo "wrk ${WRK_ARGS[*]} on loopback, ${RUNS} runs each after a 2 s warm-up (mean of the runs; errors summed)."
echo "The load generator and the server share the machine's $(nproc) cores."
echo
echo "| what | figure | reference (nginx) | ratio |"
echo "|---|---|---|---|"
echo "| clean release build (\`cargo build --release --locked -p razam\`, thin LTO) | ${BUILD_S} s | | |"
echo "| binary size | ${SIZE} B ($(mib "$SIZE") MiB) | | |"
echo "| binary size, stripped | ${SIZE_STRIPPED} B ($(mib "$SIZE_STRIPPED") MiB) | | |"
echo "| time to ready (spawn to ready line, incl. Argon2id unlock) | ${READY_S} s | | |"
echo "| RSS idle (~2 s after ready) | $((RSS_IDLE / 1024)) MiB (${RSS_IDLE} KiB); peak so far $((HWM_IDLE / 1024)) MiB (start-up, Argon2id) | | |"
echo "| RSS after load | $((RSS_LOAD / 1024)) MiB (${RSS_LOAD} KiB); peak $((RSS_PEAK / 1024)) MiB | $((NGINX_RSS / 1024)) MiB (${NGINX_RSS} KiB, master + workers) | |"
for row in "/healthz:R_H:N_H:WIRE_RH:WIRE_NH" "/login:R_L:N_L:WIRE_RL:WIRE_NL"; do
    IFS=: read -r name r n wr wn <<<"$row"
    declare -n R="$r" N="$n"
    echo "| $name response bytes (headers + body) | ${!wr} | ${!wn} | |"
    echo "| $name requests/s | ${R[0]} | ${N[0]} | $(ratio "${R[0]}" "${N[0]}") |"
    echo "| $name latency p50 | ${R[1]} ms | ${N[1]} ms | $(ratio "${R[1]}" "${N[1]}") |"
    echo "| $name latency p99 | ${R[2]} ms | ${N[2]} ms | $(ratio "${R[2]}" "${N[2]}") |"
    echo "| $name errors + non-2xx/3xx | ${R[3]} | ${N[3]} | |"
    echo "| $name server CPU (100% = one core) / machine busy | ${R[4]}% / ${R[5]}% | ${N[4]}% / ${N[5]}% | |"
    unset -n R N
done
echo "| graceful stop (SIGTERM to exit) | exit ${STOP_RC} in ${STOP_S} s | | |"
echo
echo "Rerun: \`${BENCH_REV:+BENCH_REV=$BENCH_REV }bench/foundation.sh\`"

# bench/lib.sh: shared by the benchmark scripts (source it; it defines functions only).

# Prints the "## Machine" header lines every benchmark report starts with; the caller adds
# the versions of the tools it uses.
machine_header() {
    local cpu mem
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    mem="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "## Machine"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- nproc: $(nproc)"
    echo "- CPU: ${cpu:-unknown}"
    echo "- memory: $mem"
    echo "- kernel: $(uname -srm)"
}

# stop_pid PID: asks a process this script started to stop (SIGTERM) and waits for it.
stop_pid() {
    [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# need_debian_tools TOOL...: installs from Debian those of the tools (package = command) that
# are missing; that needs root.
need_debian_tools() {
    local missing=() tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    ((${#missing[@]})) || return 0
    printf '>> installing %s\n' "${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

now_ns() { date +%s%N; }
# secs T0_NS T1_NS: the seconds between two now_ns, two decimals.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# timed NAME CMD...: wall seconds, CPU user+sys and peak RSS (GNU time) of one command, in
# T_WALL, T_CPU, T_RSS (MiB); its output in $TMP/NAME.out and .err. Needs the caller's TMP,
# log and die.
timed() {
    local name="$1" t0 t1 u s m
    shift
    t0="$(now_ns)"
    /usr/bin/time -f '%U %S %M' -o "$TMP/$name.time" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        { tail -n 20 "$TMP/$name.out" "$TMP/$name.err" >&2; die "$name failed"; }
    t1="$(now_ns)"
    T_WALL="$(secs "$t0" "$t1")"
    read -r u s m <"$TMP/$name.time"
    T_CPU="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')"
    T_RSS="$(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }')"
    log "$name: ${T_WALL} s wall, ${T_CPU} s CPU, ${T_RSS} MiB peak; $(head -c 200 "$TMP/$name.out")"
}

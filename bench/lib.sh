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

#!/usr/bin/env bash
# bench/login.sh: what a password check costs with the Argon2id parameters logins use
# (19 MiB, 2 passes, 1 lane; razam-app/src/passwords.rs), next to Debian's `argon2` CLI (the
# reference implementation) with the same parameters.
#
# What it does:
#   1. Tools: Debian's `argon2` (installed with apt-get if missing; that needs root).
#   2. Razam: `cargo run -p razam-app --example login_cost -- CHECKS`: the median time of one
#      check on one core (each offline guess against a stolen hash costs an attacker this much
#      on a core like ours) and the checks per second with every core busy (the most logins
#      per second the server can answer; a login is one check). The dev profile builds the
#      argon2 crate at opt-level 3 (workspace Cargo.toml), so no release build is needed.
#   3. Reference: `argon2 SALT -id -t 2 -k 19456 -p 1` CHECKS times on one core; its own
#      printed time per hash, median.
#   4. Prints the figures, the ratio Razam/reference, and the load average (the machine may
#      be shared).
#
# Run from anywhere:   bench/login.sh
# Knobs (environment): BENCH_CHECKS=40
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

CHECKS="${BENCH_CHECKS:-40}"
log() { printf '>> %s\n' "$*" >&2; }

need_debian_tools argon2
log "building and running the example (dev profile, argon2 at opt-level 3)"
RAZAM="$(cargo run -q -p razam-app --example login_cost -- "$CHECKS")"
razam() { awk -v k="$1" '$1 == k { print $2 }' <<<"$RAZAM"; }

log "argon2 CLI, $CHECKS hashes"
REF_TIMES=()
for _ in $(seq "$CHECKS"); do
    t="$(printf 'a guessed password' | argon2 razam-bench-salt -id -t 2 -k 19456 -p 1 |
        awk '/seconds/ { print $1 }')"
    REF_TIMES+=("$t")
done
REF_MS="$(printf '%s\n' "${REF_TIMES[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f", a[int(NR / 2) + 1] * 1000 }')"
RAZAM_MS="$(razam ms_per_check_median)"
PER_S="$(razam parallel_checks_per_second)"

machine_header
echo "- argon2 CLI: $(dpkg-query -W -f='${Version}' argon2 2>/dev/null)"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$(grep ^argon2id <<<"$RAZAM") (the login's parameters), $CHECKS checks"
echo
echo "| what | Razam | argon2 CLI | ratio Razam/CLI |"
echo "|---|---|---|---|"
echo "| one password check on one core, median | ${RAZAM_MS} ms | ${REF_MS} ms | $(awk -v a="$RAZAM_MS" -v b="$REF_MS" 'BEGIN { printf "%.2f", a / b }') |"
echo "| password checks per second, every core ($(razam cores)) | ${PER_S} | | |"
echo "| offline guesses per core-day against one stolen hash | $(awk -v ms="$RAZAM_MS" 'BEGIN { printf "%.0f", 86400000 / ms }') | | |"
echo "| online guesses per day at one account (default [login]: 5 failures, then 15 min locked) | $((5 * 24 * 60 / 15)) at most | | |"

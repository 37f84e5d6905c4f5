#!/usr/bin/env bash
# bench/evidence.sh: evidence intake, export and verification (issue 5) on one large file,
# next to `sha256sum` on the same file as the physical reference (reading it once and
# hashing it is the least any intake must do).
#
# What it does, in this order:
#   1. Tools: GNU time (the Debian package `time` is installed with apt-get if missing; that
#      needs root), cargo, sha256sum.
#   2. Build: `cargo build --release -p razam` (BENCH_BIN=path skips it).
#   3. Data: a file of BENCH_MIB MiB (default 2048) of pseudo-random bytes (`openssl enc` of
#      zeros under a random key, so nothing compresses), written to a temporary folder, and
#      a 1-byte file for the baseline memory (unlocking the vault alone takes 64 MiB: Argon2id).
#   4. sha256sum on the large file, twice (the second run is the one reported: the file is
#      then in the page cache, as it is for Razam's runs after it).
#   5. A new SQLite instance; each run alone under GNU time (wall, CPU, peak RSS):
#        add-1B / add     `razam evidence add` of the small file, then of the large file
#                         (read once: SHA-256, BLAKE3 and the sealing in one pass);
#        export-1B / export  `razam evidence export` of each case (decrypt, rehash, tar);
#        verify           `razam evidence verify` of the large package (no instance).
#   6. Prints MB/s (10^6 bytes per wall second) and the ratio to sha256sum's.
#
# Caveat: the machine may be shared (the load average is printed); CPU seconds are printed.
#
# Run from anywhere:   bench/evidence.sh
# Knobs (environment): BENCH_MIB=2048  BENCH_BIN=path  BENCH_TMP=folder (default: mktemp -d)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh

MIB="${BENCH_MIB:-2048}"
TMP="$(mktemp -d -p "${BENCH_TMP:-${TMPDIR:-/tmp}}" razam-evidence-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if ! { [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; }; then
    [[ $(id -u) -eq 0 ]] || die "GNU time is missing and installing it needs root"
    need_debian_tools time
fi
need_debian_tools openssl
BIN="${BENCH_BIN:-}"
if [[ -z $BIN ]]; then
    log "building razam (release)"
    cargo build --release -q -p razam
    BIN="$ROOT/target/release/razam"
fi

log "writing a ${MIB} MiB file"
LARGE="$TMP/large.bin"
SMALL="$TMP/small.bin"
head -c "$((MIB * 1024 * 1024))" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K "$(openssl rand -hex 16)" -iv 00000000000000000000000000000000 >"$LARGE"
printf 'x' >"$SMALL"
BYTES="$(stat -c %s "$LARGE")"
mbps() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }

timed sha256sum-cold sha256sum "$LARGE"
timed sha256sum sha256sum "$LARGE"
SHA_WALL=$T_WALL SHA_CPU=$T_CPU SHA_RSS=$T_RSS

export RAZAM_PASSPHRASE="benchmark passphrase 2026" RAZAM_LOG=warn
DATA="$TMP/data"
"$BIN" init --data "$DATA" >/dev/null
timed add-1B "$BIN" evidence add --data "$DATA" --case small "$SMALL"
BASE_RSS=$T_RSS
timed add "$BIN" evidence add --data "$DATA" --case large "$LARGE"
ADD_WALL=$T_WALL ADD_CPU=$T_CPU ADD_RSS=$T_RSS
grep -q "$(cut -d' ' -f1 "$TMP/sha256sum.out")" "$TMP/add.out" || die "razam's SHA-256 differs from sha256sum's"
timed export-1B "$BIN" evidence export --data "$DATA" --case small --out "$TMP/small.tar"
timed export "$BIN" evidence export --data "$DATA" --case large --out "$TMP/large.tar"
EXP_WALL=$T_WALL EXP_CPU=$T_CPU EXP_RSS=$T_RSS
timed verify-1B "$BIN" evidence verify "$TMP/small.tar"
VBASE_RSS=$T_RSS
timed verify "$BIN" evidence verify "$TMP/large.tar"
VER_WALL=$T_WALL VER_CPU=$T_CPU VER_RSS=$T_RSS

machine_header
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $("$BIN" --version); $(sha256sum --version | head -n 1); $(openssl version)"
echo
echo "## Evidence: ${MIB} MiB file (${BYTES} bytes)"
echo
echo "| run | wall s | CPU s | MB/s | peak RSS MiB | ratio of MB/s to sha256sum |"
echo "|---|---|---|---|---|---|"
echo "| sha256sum (reference) | $SHA_WALL | $SHA_CPU | $(mbps "$SHA_WALL") | $SHA_RSS | 1 |"
for run in add export verify; do
    case $run in
        add) w=$ADD_WALL c=$ADD_CPU r=$ADD_RSS base=$BASE_RSS ;;
        export) w=$EXP_WALL c=$EXP_CPU r=$EXP_RSS base=$BASE_RSS ;;
        verify) w=$VER_WALL c=$VER_CPU r=$VER_RSS base=$VBASE_RSS ;;
    esac
    ratio="$(awk -v a="$SHA_WALL" -v b="$w" 'BEGIN { printf "%.2f", a / b }')"
    echo "| razam evidence $run | $w | $c | $(mbps "$w") | $r (1-byte file: $base) | $ratio |"
done

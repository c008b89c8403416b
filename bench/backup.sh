#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire benchmark: `quire backup` and `quire restore` (SEC-3) against the same job done by
# standard tools in the same run: `tar c | openssl enc -aes-256-ctr` (archive + AES-256,
# but no authentication) and back. Data: a SQLite install with BENCH_BACKUP_MB MiB of
# document files (random bytes, like the encrypted blobs quire stores) in 64 files.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${QUIRE_BIN_DIR:-build}
MB=${BENCH_BACKUP_MB:-512}
RUNS=${BENCH_BACKUP_RUNS:-3}

die() {
    echo "bench/backup.sh: $*" >&2
    exit 1
}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup quire-bench-backup

[ -x "$BIN/quire" ] || die "build first (make)"
command -v openssl >/dev/null || die "openssl is missing"

export QUIRE_DATA_DIR="$D/data" QUIRE_LOG_LEVEL=error QUIRE_ARGON2_MEMORY_KIB=256
unset QUIRE_DATABASE QUIRE_CONFIG
"$BIN/quire" bootstrap >/dev/null
mkdir -p "$D/data/blobs/org"
for i in $(seq 64); do
    head -c $((MB * 1024 * 1024 / 64)) /dev/urandom >"$D/data/blobs/org/doc$i"
done
sync
bytes=$(du -sb "$D/data" | cut -f1)
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/pass"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

qb=() qr=() pb=() pr=()
for r in $(seq "$RUNS"); do
    rm -rf "$D/out" && mkdir "$D/out"
    t0=$(now_ms)
    f=$("$BIN/quire" backup --dir "$D/out")
    t1=$(now_ms)
    "$BIN/quire" restore "$f" >/dev/null
    t2=$(now_ms)
    qb+=($((t1 - t0)))
    qr+=($((t2 - t1)))

    t0=$(now_ms)
    tar -C "$D/data" -cf - quire.db blobs |
        openssl enc -aes-256-ctr -pbkdf2 -pass "file:$D/pass" -out "$D/out/peer.enc"
    t1=$(now_ms)
    rm -rf "$D/peer" && mkdir "$D/peer"
    openssl enc -d -aes-256-ctr -pbkdf2 -pass "file:$D/pass" -in "$D/out/peer.enc" |
        tar -C "$D/peer" -xf -
    t2=$(now_ms)
    pb+=($((t1 - t0)))
    pr+=($((t2 - t1)))
    cmp -s "$D/data/blobs/org/doc1" "$D/peer/blobs/org/doc1" || die "the peer's round trip differs"
done
cmp -s "$D/data/blobs/org/doc64" "$D/peer/blobs/org/doc64" || die "documents differ"

qbm=$(printf '%s\n' "${qb[@]}" | median)
qrm=$(printf '%s\n' "${qr[@]}" | median)
pbm=$(printf '%s\n' "${pb[@]}" | median)
prm=$(printf '%s\n' "${pr[@]}" | median)
rate() { awk -v b="$bytes" -v ms="$1" 'BEGIN {printf "%.0f", b / 1048576 / (ms / 1000)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }

echo "quire backup bench  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$(nproc) data=$((bytes / 1048576)) MiB (SQLite + 64 files), median of $RUNS"
printf '%-48s %8s %8s\n' "" "ms" "MiB/s"
printf '%-48s %8s %8s\n' "quire backup (tar + AES-256-GCM, authenticated)" "$qbm" "$(rate "$qbm")"
printf '%-48s %8s %8s\n' "tar | openssl enc -aes-256-ctr (no auth)" "$pbm" "$(rate "$pbm")"
printf '%-48s %8s %8s\n' "quire restore (verify all, then replace)" "$qrm" "$(rate "$qrm")"
printf '%-48s %8s %8s\n' "openssl enc -d | tar x" "$prm" "$(rate "$prm")"
echo "ratios quire / peer (speed, > 1 = quire faster): backup $(ratio "$qbm" "$pbm")x, restore $(ratio "$qrm" "$prm")x"

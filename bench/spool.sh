#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Spool throughput (PRN-2, SEC-2): a BENCH_SPOOL_MB (100) MB PDF uploaded into quired's
# encrypted spool (POST /api/v1/jobs: AES-256-GCM as it streams, published by rename) and read
# back (GET /api/v1/jobs/{id}/document: decrypted as it streams), next to nginx in the same
# run over TLS with the same certificate: nginx receiving the same body and discarding it, and
# serving the same file with sendfile. One client (curl), BENCH_SPOOL_RUNS (5) runs each, the
# median is reported with the ratio quired/nginx.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build}
QT=${QUIRE_THREADS:-2}
MB=${BENCH_SPOOL_MB:-100}
RUNS=${BENCH_SPOOL_RUNS:-5}
die() { echo "bench: $*" >&2; exit 1; }
for t in curl jq node; do command -v $t >/dev/null || die "$t missing (make deps)"; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$BIN/quired" ] || die "$BIN/quired missing: run make first"

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-spool
PEER_SIG=QUIT
QPORT=$(free_port)
NPORT=$(free_port)
[ "$QPORT" != "$NPORT" ] || NPORT=$((QPORT + 1))
export QUIRE_MAX_JOB_MB=$((MB + 16))
bench_start_quired "$NPORT"
AT=$("${C[@]}" -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$Q/api/v1/auth/login" |
     jq -er .access_token) || die "login failed"
AUTH="Authorization: Bearer $AT"

mkdir -p "$D/nginx/www"
node --input-type=module -e "
import { makePdf } from '$ROOT/tests/e2e/lib/pdf.js';
import fs from 'node:fs';
fs.writeFileSync('$D/nginx/www/job.pdf', makePdf({ pages: 2, size: $MB * 1024 * 1024 }));"
FILE=$D/nginx/www/job.pdf
BYTES=$(stat -c %s "$FILE")
bench_start_nginx "client_max_body_size 0; location = /upload { return 204; } location / { }" /job.pdf

secs() { # curl args...: prints time_total of one transfer, fails on an HTTP error
    "${C[@]}" --max-time 600 -f -o /dev/null -w '%{time_total}' "$@"
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

UP_Q=() UP_N=() DOWN_Q=() DOWN_N=()
JOB=""
for _ in $(seq "$RUNS"); do
    out=$("${C[@]}" --max-time 600 -f -H "$AUTH" -H 'Content-Type: application/pdf' -T "$FILE" \
          -X POST -w '\n%{time_total}' "$Q/api/v1/jobs") || die "upload to quired failed"
    [ -n "$JOB" ] && { "${C[@]}" -f -X DELETE -H "$AUTH" "$Q/api/v1/jobs/$JOB" || die "delete failed"; }
    JOB=$(head -1 <<<"$out" | jq -er .id)
    UP_Q+=("$(tail -1 <<<"$out")")
    UP_N+=("$(secs -H 'Content-Type: application/pdf' -T "$FILE" -X POST "$N/upload")")
    DOWN_Q+=("$(secs -H "$AUTH" "$Q/api/v1/jobs/$JOB/document")")
    DOWN_N+=("$(secs "$N/job.pdf")")
done
cmp -s "$FILE" <("${C[@]}" --max-time 600 -H "$AUTH" "$Q/api/v1/jobs/$JOB/document") ||
    die "quired returned a different document"

mbps() { awk -v b="$BYTES" -v t="$1" 'BEGIN {printf "%.0f", b / 1048576 / t}'; }
uq=$(printf '%s\n' "${UP_Q[@]}" | median)
un=$(printf '%s\n' "${UP_N[@]}" | median)
dq=$(printf '%s\n' "${DOWN_Q[@]}" | median)
dn=$(printf '%s\n' "${DOWN_N[@]}" | median)
echo "bench spool: $BYTES-byte PDF, median of $RUNS, TLS, one curl client, quired threads $QT, nginx 1 worker"
printf '%-10s %-36s %8s MB/s   %-30s %8s MB/s   ratio %s\n' \
    upload "quired (encrypt + store)" "$(mbps "$uq")" "nginx (read + discard)" "$(mbps "$un")" \
    "$(awk -v a="$un" -v b="$uq" 'BEGIN {printf "%.2fx", a / b}')"
printf '%-10s %-36s %8s MB/s   %-30s %8s MB/s   ratio %s\n' \
    download "quired (decrypt + send)" "$(mbps "$dq")" "nginx (sendfile)" "$(mbps "$dn")" \
    "$(awk -v a="$dn" -v b="$dq" 'BEGIN {printf "%.2fx", a / b}')"

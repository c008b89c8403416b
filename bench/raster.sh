#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire bench: raster intake speed (PRN-1), pages/s, against the converter cupsd itself runs
# for the same job, on the same file in the same run:
#   quire        the intake converter (bench/rastertime.c): the PWG raster fed in 64 KiB pieces
#                through libcups' reader into the PDF written page by page, in memory
#   rastertopdf  cups-filters' /usr/lib/cups/filter/rastertopdf (what a cupsd queue runs for
#                image/pwg-raster -> application/pdf), the file to /dev/null
# The document: BENCH_RASTER_PAGES (100) pages of letter at BENCH_RASTER_DPI (150) dpi,
# BENCH_RASTER_TYPE (srgb_8), written by libcups (bench/rastergen.c): grey text-like bars,
# one page with a red square. Knobs also: BENCH_RASTER_RUNS (3; rastertopdf runs once),
# QUIRE_BIN_DIR (build). About 20 s here.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
PAGES=${BENCH_RASTER_PAGES:-100}
DPI=${BENCH_RASTER_DPI:-150}
TYPE=${BENCH_RASTER_TYPE:-srgb_8}
RUNS=${BENCH_RASTER_RUNS:-3}
RASTERTOPDF=/usr/lib/cups/filter/rastertopdf
die() { echo "bench: $*" >&2; exit 1; }
[ -f "$BIN/libquire.a" ] || die "$BIN/libquire.a missing: run make first"
[ -x "$RASTERTOPDF" ] || die "$RASTERTOPDF missing (apt-get install cups-filters)"

D=$(mktemp -d "${TMPDIR:-/tmp}/quire-bench-raster.XXXXXX")
trap 'rm -rf "$D"' EXIT

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra "$HERE/rastergen.c" -o "$D/rastergen" -lcups -ljpeg
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/src" "$HERE/rastertime.c" -o "$D/rastertime" \
    "$BIN/libquire.a" -lssl -lcrypto -lcups -lmupdf -lmupdf-third -lz -ljpeg -lopenjp2 -ljbig2dec \
    -lfreetype -lharfbuzz -lgumbo -lmujs -lm -lpthread
W=$((85 * DPI / 10))
H=$((11 * DPI))
timeout 120 "$D/rastergen" pwg "$D/doc.pwg" "$TYPE" "$PAGES" "$W" "$H" "$DPI" $((PAGES / 2)) ||
    die "rastergen failed"

Q=$(timeout 300 "$D/rastertime" "$D/doc.pwg" image/pwg-raster "$RUNS" "$D/quire.pdf") ||
    die "rastertime failed"
QPAGES=$(sed -n 's/.*pages=\([0-9]*\).*/\1/p' <<<"$Q")
QBYTES=$(sed -n 's/.*pdf_bytes=\([0-9]*\).*/\1/p' <<<"$Q")
QS=$(sed -n 's/.* s=\([0-9.]*\).*/\1/p' <<<"$Q")
QCPU=$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' <<<"$Q")

# rastertopdf: wall-clock and CPU (user + system) seconds of one run.
TIMEFORMAT='%R %U %S'
{ time timeout 300 "$RASTERTOPDF" 1 bench bench 1 '' "$D/doc.pwg" >"$D/cf.pdf" 2>/dev/null; } \
    2>"$D/cf.time" || die "rastertopdf failed"
read -r CWALL CUSER CSYS <"$D/cf.time"
CPAGES=$(pdfinfo "$D/cf.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
IPAGES=$(pdfinfo "$D/quire.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
[ "$QPAGES" = "$PAGES" ] && [ "$IPAGES" = "$PAGES" ] && [ "$CPAGES" = "$PAGES" ] ||
    die "page counts differ: quire $QPAGES (pdfinfo $IPAGES), rastertopdf $CPAGES"

rate() { awk -v p="$PAGES" -v s="$1" 'BEGIN { printf "%.1f", p / s }'; }
CCPU=$(awk -v u="$CUSER" -v s="$CSYS" 'BEGIN { printf "%.3f", u + s }')
echo "quire bench raster  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$(nproc)  $PAGES pages $TYPE" \
    "${W}x${H} px ($DPI dpi), $(stat -c %s "$D/doc.pwg") bytes of PWG raster"
printf '%-36s %8s s %8s pages/s  PDF %10s bytes\n' "quire converter, wall clock (median)" "$QS" \
    "$(rate "$QS")" "$QBYTES"
printf '%-36s %8s s %8s pages/s\n' "quire converter, CPU (median of $RUNS)" "$QCPU" "$(rate "$QCPU")"
printf '%-36s %8s s %8s pages/s  PDF %10s bytes\n' "rastertopdf, wall clock (1 run)" "$CWALL" \
    "$(rate "$CWALL")" "$(stat -c %s "$D/cf.pdf")"
printf '%-36s %8s s %8s pages/s\n' "rastertopdf, CPU user+system" "$CCPU" "$(rate "$CCPU")"
echo "ratios (same run, pages/s):"
awk -v q="$QS" -v qc="$QCPU" -v w="$CWALL" -v c="$CCPU" 'BEGIN {
    printf "  quire vs rastertopdf (wall clock): %.2fx\n", w / q
    printf "  quire vs rastertopdf (CPU time):   %.2fx\n", c / qc }'
echo "(wall clock counts waits: on this shared machine other load, and rastertopdf's own pauses;"
echo " CPU time is the work each does)"
exit 0

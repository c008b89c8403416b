#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire bench: PDF inspection speed (PRN-2), pages/s, against peers run here on the same file:
#   quire   qr_pdf_inspect through the decrypting blob reader (bench/pdftime.c): page count and
#           colour, every page drawn on MuPDF's test device
#   pdfinfo (poppler) page count only: the floor of "just open it and count"
#   gs      -sDEVICE=inkcov (Ghostscript) renders every page and reports CMYK ink coverage:
#           the same question (is there colour?) answered by rasterizing
# Knobs: BENCH_PDF_PAGES (300), BENCH_PDF_RUNS (5; gs runs once), QUIRE_BIN_DIR (build).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
PAGES=${BENCH_PDF_PAGES:-300}
RUNS=${BENCH_PDF_RUNS:-5}
die() { echo "bench: $*" >&2; exit 1; }
[ -f "$BIN/libquire.a" ] || die "$BIN/libquire.a missing: run make first"
command -v pdfinfo >/dev/null || die "pdfinfo missing (apt-get install poppler-utils)"
GS=$(command -v gs || true)

D=$(mktemp -d "${TMPDIR:-/tmp}/quire-bench-pdf.XXXXXX")
trap 'rm -rf "$D"' EXIT

# The document: PAGES pages of text (45 lines each) and a grey box; colour only on the last
# page, so colour detection must look at every page.
node - "$D/doc.pdf" "$PAGES" <<'JS'
const fs = require('fs');
const [file, n] = [process.argv[2], Number(process.argv[3])];
const objs = ['<< /Type /Catalog /Pages 2 0 R >>', null, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
const kids = [];
for (let p = 0; p < n; p++) {
    let c = '0.5 g 40 40 200 30 re f 0 g BT /F1 10 Tf 50 800 Td 14 TL\n';
    for (let l = 0; l < 45; l++)
        c += `(Page ${p + 1} line ${l + 1}: the quick brown fox jumps over the lazy dog 0123456789) '\n`;
    c += 'ET\n' + (p === n - 1 ? '1 0 0 rg 300 40 50 50 re f\n' : '');
    kids.push(`${objs.length + 1} 0 R`);
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objs.length + 2} 0 R >>`);
    objs.push(`<< /Length ${Buffer.byteLength(c)} >>\nstream\n${c}endstream`);
}
objs[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${n} >>`;
let out = '%PDF-1.4\n';
const off = objs.map((o, i) => { const at = Buffer.byteLength(out); out += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
const x = Buffer.byteLength(out);
out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + off.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
fs.writeFileSync(file, out);
JS

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/src" "$HERE/pdftime.c" -o "$D/pdftime" \
    "$BIN/libquire.a" -lssl -lcrypto -lmupdf -lmupdf-third -lz -ljpeg -lopenjp2 -ljbig2dec \
    -lfreetype -lharfbuzz -lgumbo -lmujs -lm -lpthread

now() { date +%s.%N; }
per_run() { # start end runs -> seconds per run
    awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.6f", (b - a) / n }'
}

Q=$(timeout 300 "$D/pdftime" "$D/doc.pdf" "$RUNS") || die "pdftime failed"
QPAGES=$(sed -n 's/.*pages=\([0-9]*\).*/\1/p' <<<"$Q")
QCOLOR=$(sed -n 's/.*color=\([0-9]\).*/\1/p' <<<"$Q")
QBLOB=$(sed -n 's/.*blob_s=\([0-9.]*\).*/\1/p' <<<"$Q")
QMEM=$(sed -n 's/.*mem_s=\([0-9.]*\).*/\1/p' <<<"$Q")

IPAGES=$(pdfinfo "$D/doc.pdf" | awk '/^Pages:/ {print $2}')
t0=$(now)
for _ in $(seq "$RUNS"); do pdfinfo "$D/doc.pdf" >/dev/null; done
PINFO=$(per_run "$t0" "$(now)" "$RUNS")

GSL="(gs not installed)"
if [ -n "$GS" ]; then
    t0=$(now)
    timeout 300 "$GS" -q -dSAFER -dNOPAUSE -dBATCH -o - -sDEVICE=inkcov "$D/doc.pdf" >"$D/inkcov"
    PGS=$(per_run "$t0" "$(now)" 1)
    GCOLOR=$(awk '$1 + $2 + $3 > 0 { c = 1 } END { print c + 0 }' "$D/inkcov")
    GSL=$(printf '%-34s %8s s %10.0f pages/s   colour=%s' "gs -sDEVICE=inkcov (1 run)" "$PGS" \
        "$(awk -v p="$PAGES" -v s="$PGS" 'BEGIN { print p / s }')" "$GCOLOR")
fi

rate() { awk -v p="$PAGES" -v s="$1" 'BEGIN { printf "%.0f", p / s }'; }
echo "quire bench pdf  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$(nproc)  $PAGES pages, $(stat -c %s "$D/doc.pdf") bytes, median of $RUNS runs"
[ "$QPAGES" = "$PAGES" ] && [ "$IPAGES" = "$PAGES" ] || die "page counts differ: quire $QPAGES, pdfinfo $IPAGES"
printf '%-34s %8s s %10s pages/s   colour=%s\n' "quire inspect (encrypted blob)" "$QBLOB" "$(rate "$QBLOB")" "$QCOLOR"
printf '%-34s %8s s %10s pages/s   colour=%s\n' "quire inspect (from memory)" "$QMEM" "$(rate "$QMEM")" "$QCOLOR"
printf '%-34s %8s s %10s pages/s   (count only)\n' "pdfinfo" "$PINFO" "$(rate "$PINFO")"
echo "$GSL"
echo "ratios (same run):"
awk -v q="$QBLOB" -v m="$QMEM" -v i="$PINFO" 'BEGIN {
    printf "  quire (blob) vs pdfinfo pages/s: %.2fx\n", i / q
    printf "  quire (blob) vs quire (memory):  %.2fx (cost of decrypting and seeking)\n", m / q }'
[ -n "$GS" ] && awk -v q="$QBLOB" -v g="$PGS" 'BEGIN { printf "  quire (blob) vs gs inkcov pages/s: %.1fx\n", g / q }'
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire bench: the scan pipeline (CAP-1, CAP-3): pages/s and character error rate (CER) of a
# searchable PDF made from scanned pages, against peers run here on the same pages:
#   quire      qr_scan_process (bench/scantime.c): W worker threads, one OCR engine each,
#              every page a one-page scan; (A) deskew + OCR -> pdf_text,
#              (B) auto_rotate + deskew + despeckle + OCR -> pdf_text
#   tesseract  the CLI, OMP_THREAD_LIMIT=1, `tesseract page.png out -l eng pdf` (image + text
#              layer: the same output kind), W processes at once (xargs -P W)
#   ocrmypdf   --jobs W --deskew --output-type pdf on a PDF of the same pages (img2pdf, 300
#              dpi); also its default output (PDF/A via Ghostscript) and, for (B),
#              --rotate-pages --deskew --clean
# The corpus is made here (bench/scancorpus.py: known text, Helvetica / Times, rendered by
# pdftoppm -r 300 -gray; skew, specks and one page turned 180 degrees by scantime degrade).
# CER of every tool is taken the same way: pdftotext of its PDF, page by page, against the
# ground truth (whitespace collapsed; Levenshtein / truth length).
# Knobs: BENCH_SCAN_PAGES (6), BENCH_SCAN_WORKERS (nproc), BENCH_SCAN_ROTATE (1: run config
# B), BENCH_SCAN_REPEAT (2: runs of quire (A) and tesseract, alternating, the faster kept),
# BENCH_SCAN_PDFA (1: also ocrmypdf's default PDF/A output), BENCH_SCAN_STEPS (extra quire
# configurations, e.g. "ocr,pdf_text;ocr,pdf" for a breakdown), BENCH_SCAN_TIMEOUT (900 s per
# tool run), BENCH_KEEP=1 (keep the temporary directory), QUIRE_BIN_DIR (build).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
PAGES=${BENCH_SCAN_PAGES:-6}
W=${BENCH_SCAN_WORKERS:-$(nproc)}
ROTATE=${BENCH_SCAN_ROTATE:-1}
PDFA=${BENCH_SCAN_PDFA:-1}
EXTRA=${BENCH_SCAN_STEPS:-}
REPEAT=${BENCH_SCAN_REPEAT:-2}
TMO=${BENCH_SCAN_TIMEOUT:-900}
die() { echo "bench: $*" >&2; exit 1; }
[ -f "$BIN/libquire.a" ] || die "$BIN/libquire.a missing: run make first"
for c in python3 pdftoppm pdftotext tesseract ocrmypdf img2pdf xargs; do
    command -v "$c" >/dev/null || die "$c missing (tesseract-ocr, poppler-utils, ocrmypdf, img2pdf)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
if [ "$PAGES" -lt 1 ] || [ "$PAGES" -gt 200 ]; then die "BENCH_SCAN_PAGES must be 1..200"; fi

D=$(mktemp -d "${TMPDIR:-/tmp}/quire-bench-scan.XXXXXX")
# shellcheck disable=SC2317
cleanup() { if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $D" >&2; else rm -rf "$D"; fi; }
trap cleanup EXIT

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -pthread -I"$ROOT/src" -I/usr/include/leptonica \
    "$HERE/scantime.c" -o "$D/scantime" "$BIN/libquire.a" \
    -lmicrohttpd -ljansson -lsqlite3 -lpq -lcurl -lssl -lcrypto -largon2 -licui18n -licuuc \
    -licudata -lcups -lmupdf -lmupdf-third -lz -ljpeg -lopenjp2 -ljbig2dec -lfreetype \
    -lharfbuzz -lgumbo -lmujs -lm -lpthread -ltesseract -llept -ltiff -lzbar -lgomp

# --- the corpus ------------------------------------------------------------------------------
# Degradation of page i, cycling every 6 pages: skew degrees, specks, turned 180 degrees.
DEGRADE=("0 0 0" "1.0 0 0" "-2.0 1500 0" "0 2500 0" "3.0 800 0" "0 0 1")
python3 "$HERE/scancorpus.py" "$D" "$PAGES"
mkdir -p "$D/pages" "$D/rot"
ROTPAGES=()
for i in $(seq "$PAGES"); do
    n=$(printf '%03d' "$i")
    timeout 60 pdftoppm -r 300 -gray -png -f "$i" -l "$i" -singlefile "$D/clean.pdf" "$D/pages/clean-$n"
    read -r skew specks rot <<<"${DEGRADE[$(((i - 1) % 6))]}"
    "$D/scantime" degrade "$D/pages/clean-$n.png" "$D/pages/page-$n.png" "$skew" "$specks" "$rot" ||
        die "degrading page $i failed"
    rm -f "$D/pages/clean-$n.png"
    if [ "$rot" = 1 ]; then ROTPAGES+=("$i"); fi
done
PNGS=()
for i in $(seq "$PAGES"); do PNGS+=("$D/pages/page-$(printf '%03d' "$i").png"); done
timeout 120 img2pdf --imgsize 300dpi -o "$D/scan.pdf" "${PNGS[@]}" || die "img2pdf failed"

# --- measuring -------------------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
now() { date +%s.%N; }
# measure NAME CMD...: runs CMD under /usr/bin/time and a time bound; writes $D/NAME.m with
# "wall cpu maxrss_kb other%" (wall from the clock here, cpu = user+sys of CMD and everything it
# waited for, maxrss = the largest single process, other = share of all CPU ticks taken by other
# processes during the run).
measure() {
    local name=$1 c0 c1 t0 t1 rc=0
    shift
    c0=$(cpu_ticks)
    t0=$(now)
    /usr/bin/time -f '%e %U %S %M' -o "$D/$name.time" timeout "$TMO" "$@" >"$D/$name.out" 2>"$D/$name.err" || rc=$?
    t1=$(now)
    c1=$(cpu_ticks)
    if [ "$rc" != 0 ]; then
        echo "bench: $name failed (exit $rc):" >&2
        tail -20 "$D/$name.err" >&2
        exit 1
    fi
    tail -1 "$D/$name.time" | awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v t0="$t0" -v t1="$t1" '{
        split(a, x, " "); split(b, y, " "); cpu = $2 + $3; t = y[2] - x[2];
        o = y[1] - x[1] - cpu * hz; if (o < 0) o = 0;
        printf "%.3f %.3f %d %d\n", t1 - t0, cpu, $4, (t > 0 ? 100 * o / t : 0) }' >"$D/$name.m"
}
# cers NAME: CER of every page of $D/NAME/page-NNN.txt -> $D/NAME.cer "mean max rot all_mean"
# (mean and max over the upright pages, rot = the worst page turned 180 degrees or -, all_mean
# over every page).
cers() {
    local name=$1 i n
    : >"$D/$name.pages"
    for i in $(seq "$PAGES"); do
        n=$(printf '%03d' "$i")
        echo "$i $("$D/scantime" cer "$D/truth/page-$n.txt" "$D/$name/page-$n.txt")" >>"$D/$name.pages"
    done
    awk -v rot=" ${ROTPAGES[*]:-} " '{
        if (index(rot, " " $1 " ")) { r = $2 > r ? $2 : r; hasr = 1 } else { s += $2; n++; m = $2 > m ? $2 : m }
        all += $2; na++ }
        END { printf "%.4f %.4f %s %.4f\n", n ? s / n : 0, m, hasr ? sprintf("%.4f", r) : "-", all / na }' \
        "$D/$name.pages" >"$D/$name.cer"
}
pdf_pages_text() { # PDF DIR: DIR/page-NNN.txt from each page of a multi-page PDF
    local i
    mkdir -p "$2"
    for i in $(seq "$PAGES"); do
        pdftotext -enc UTF-8 -f "$i" -l "$i" "$1" "$2/page-$(printf '%03d' "$i").txt"
    done
}
per_page_text() { # DIR: DIR/page-NNN.txt from DIR/page-NNN.pdf
    local f
    for f in "$1"/page-*.pdf; do pdftotext -enc UTF-8 "$f" "${f%.pdf}.txt"; done
}

BUSY0=$(a=$(cpu_ticks); sleep 1; b=$(cpu_ticks); echo "$a $b" |
    awk '{ t = $4 - $2; printf "%d", (t > 0 ? 100 * ($3 - $1) / t : 0) }')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ROWS=()
quire_run() { # NAME STEPS (outputs without a text layer: CER of qr_scan_output_t.text)
    local f
    mkdir -p "$D/$1"
    measure "$1" "$D/scantime" run "$2" "$W" "$D/$1" "$D/truth" "${PNGS[@]}"
    case ",$2," in
    *,pdf_text,* | *,pdfa,*) per_page_text "$D/$1" ;;
    *) for f in "$D/$1"/page-*.ocr.txt; do cp "$f" "${f%.ocr.txt}.txt"; done ;;
    esac
    cers "$1"
}
tess_run() { # NAME
    mkdir -p "$D/$1"
    # shellcheck disable=SC2016
    measure "$1" env OMP_THREAD_LIMIT=1 xargs -a "$D/pages.list" -P "$W" -n 1 sh -c \
        'b=$(basename "$1" .png); exec /usr/bin/time -f "%e %U %S" -o "$0/$b.time" tesseract "$1" "$0/$b" -l eng pdf' "$D/$1"
    per_page_text "$D/$1"
    cers "$1"
}
wall_of() { # quire: the driver's own clock (engines made, pages loaded); others: the whole run
    case $1 in
    q*) sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$D/$1.out" ;;
    *) cut -d' ' -f1 "$D/$1.m" ;;
    esac
}
printf '%s\n' "${PNGS[@]}" >"$D/pages.list"
# (A) quire and the tesseract CLI, REPEAT times each, alternating who goes first; the run with
# the lowest wall time of each is kept (QN, TN).
QN=qA1
TN=tess1
for k in $(seq "$REPEAT"); do
    if [ $((k % 2)) = 1 ]; then
        quire_run "qA$k" "deskew,ocr,pdf_text"
        tess_run "tess$k"
    else
        tess_run "tess$k"
        quire_run "qA$k" "deskew,ocr,pdf_text"
    fi
    awk -v a="$(wall_of "qA$k")" -v b="$(wall_of "$QN")" 'BEGIN { exit !(a < b) }' && QN=qA$k
    awk -v a="$(wall_of "tess$k")" -v b="$(wall_of "$TN")" 'BEGIN { exit !(a < b) }' && TN=tess$k
done
ROWS+=("$QN")
if [ "$ROTATE" = 1 ]; then
    quire_run qB "auto_rotate,deskew,despeckle,ocr,pdf_text"
    ROWS+=(qB)
fi
i=0
IFS=';' read -r -a XSTEPS <<<"$EXTRA"
for s in "${XSTEPS[@]}"; do
    [ -n "$s" ] || continue
    i=$((i + 1))
    echo "$s" >"$D/qX$i.steps"
    quire_run "qX$i" "$s"
    ROWS+=("qX$i")
done
ROWS+=("$TN")

ocrmypdf_run() { # NAME ARGS...
    local name=$1
    shift
    measure "$name" env OMP_THREAD_LIMIT=1 ocrmypdf -q --jobs "$W" "$@" "$D/scan.pdf" "$D/$name.pdf"
    pdf_pages_text "$D/$name.pdf" "$D/$name"
    cers "$name"
    ROWS+=("$name")
}
ocrmypdf_run omA --deskew --output-type pdf
if [ "$PDFA" = 1 ]; then ocrmypdf_run omA2 --deskew; fi
if [ "$ROTATE" = 1 ]; then ocrmypdf_run omB --rotate-pages --deskew --clean --output-type pdf; fi

# --- the table -------------------------------------------------------------------------------
label() {
    case $1 in
    qA*) echo "(A) quire deskew+ocr, pdf_text" ;;
    tess*) echo "(A) tesseract CLI, pdf" ;;
    omA) echo "(A) ocrmypdf --deskew, pdf" ;;
    omA2) echo "(A) ocrmypdf --deskew, PDF/A" ;;
    qB) echo "(B) quire rotate+deskew+despeckle" ;;
    omB) echo "(B) ocrmypdf rotate+deskew+clean" ;;
    qX*) echo "(x) quire $(cat "$D/$1.steps")" ;;
    esac
}
cpu_of() {
    case $1 in
    q*) sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' "$D/$1.out" ;;
    *) cut -d' ' -f2 "$D/$1.m" ;;
    esac
}
rss_of() { # MB: quire = process ru_maxrss / workers; others = largest single process
    case $1 in
    q*) sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$D/$1.out" | awk -v w="$W" '{ printf "%.0f/w", $1 / 1024 / w }' ;;
    *) cut -d' ' -f3 "$D/$1.m" | awk '{ printf "%.0f", $1 / 1024 }' ;;
    esac
}

echo "quire bench scan  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$(nproc)  workers=$W  $PAGES pages A4 300 dpi gray" \
    "(180-degree page: ${ROTPAGES[*]:-none})  $(tesseract --version 2>&1 | head -1), ocrmypdf $(ocrmypdf --version)"
printf '%-36s %5s %8s %7s %7s %7s %8s %8s %8s %8s %6s\n' "" pages "wall s" pages/s s/page \
    "cpu s/p" "mean CER" "max CER" "180 CER" "RSS MB" other
for r in "${ROWS[@]}"; do
    wall=$(wall_of "$r")
    cpu=$(cpu_of "$r")
    read -r mean max rot _ <"$D/$r.cer"
    printf '%-36s %5d %8.2f %7.3f %7.2f %7.2f %7.2f%% %7.2f%% %8s %8s %5s%%\n' "$(label "$r")" "$PAGES" "$wall" \
        "$(awk -v p="$PAGES" -v w="$wall" 'BEGIN { print p / w }')" \
        "$(awk -v p="$PAGES" -v w="$wall" 'BEGIN { print w / p }')" \
        "$(awk -v p="$PAGES" -v c="$cpu" 'BEGIN { print c / p }')" \
        "$(awk -v x="$mean" 'BEGIN { print 100 * x }')" "$(awk -v x="$max" 'BEGIN { print 100 * x }')" \
        "$(if [ "$rot" = - ]; then echo -; else awk -v x="$rot" 'BEGIN { printf "%.2f%%", 100 * x }'; fi)" \
        "$(rss_of "$r")" "$(cut -d' ' -f4 "$D/$r.m")"
done
st() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$D/$1.out"; }
echo "mean/max CER over the upright pages; 180 CER = the page turned 180 degrees; CER from pdftotext of each tool's PDF"
for r in "$QN" qB; do
    [ -f "$D/$r.out" ] || continue
    echo "  quire $r: engine creation $(st "$r" engine_s) s per worker (before the clock, $W in parallel);" \
        "largest image memory held (peak_bytes) $(awk -v b="$(st "$r" peak_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }') MB;" \
        "CER of qr_scan_output_t.text, mean over all pages: $(awk '/^SCANPAGE/ { for (i = 2; i <= NF; i++) if ($i ~ /^cer=/) { s += substr($i, 5); n++ } } END { printf "%.2f%%", 100 * s / n }' "$D/$r.out")"
done
echo "  per page (A), W at once: wall s / CPU s, CER (tesseract: its whole process)"
for i in $(seq "$PAGES"); do tail -1 "$D/$TN/page-$(printf '%03d' "$i").time"; done |
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' >"$D/tess.secs"
awk '/^SCANPAGE/ { split($3, a, "="); split($4, b, "="); printf "%s %s\n", a[2], b[2] }' "$D/$QN.out" >"$D/qA.secs"
# perpage: quire_wall quire_cpu tess_wall tess_cpu quire_cer tess_cer skew specks turned
paste -d' ' "$D/qA.secs" "$D/tess.secs" <(cut -d' ' -f2 "$D/$QN.pages") <(cut -d' ' -f2 "$D/$TN.pages") \
    <(for i in $(seq "$PAGES"); do echo "${DEGRADE[$(((i - 1) % 6))]}"; done) >"$D/perpage"
awk '{ printf "    page %2d (skew %4s, specks %4s, %-10s  quire %5.2f / %5.2f s %6.2f%%   tesseract %5.2f / %5.2f s %6.2f%%\n",
    NR, $7, $8, ($9 ? "turned):" : "upright):"), $1, $2, 100 * $5, $3, $4, 100 * $6 }' "$D/perpage"

QA=$(wall_of "$QN")
TS=$(wall_of "$TN")
OA=$(wall_of omA)
read -r QACER _ <"$D/$QN.cer"
read -r TSCER _ <"$D/$TN.cer"
read -r OACER _ <"$D/omA.cer"
echo "ratios (same run; (A) quire and tesseract: the faster of $REPEAT alternating runs each):"
echo "  (A) every run, wall s (other %): quire$(for k in $(seq "$REPEAT"); do printf ' %s (%s%%)' "$(wall_of "qA$k")" "$(cut -d' ' -f4 "$D/qA$k.m")"; done);" \
    "tesseract$(for k in $(seq "$REPEAT"); do printf ' %s (%s%%)' "$(wall_of "tess$k")" "$(cut -d' ' -f4 "$D/tess$k.m")"; done)"
awk '$5 < 0.05 && $6 < 0.05 { q += $1; qc += $2; t += $3; tc += $4; n++ } END {
    if (n) printf "  (A) on the %d pages both read (CER < 5%%), per page: wall quire %.2f s vs tesseract %.2f s = %.2fx; CPU %.2f s vs %.2f s = %.2fx (tesseract includes its process start and model load)\n",
        n, q / n, t / n, q / t, qc / n, tc / n, qc / tc }' "$D/perpage"
awk -v q="$QA" -v t="$TS" -v qc="$(cpu_of "$QN")" -v tc="$(cpu_of "$TN")" \
    -v noisy="$(cat "$D/$QN.m" "$D/$TN.m" | awk '$4 > 10 { n = 1 } END { print n + 0 }')" 'BEGIN {
    printf "  (A) quire wall time vs tesseract CLI: %.2fx (target <= 1.15: %s%s); CPU time %.2fx\n",
        q / t, (q / t <= 1.15 ? "met" : "NOT met"), (noisy ? ", but other > 10%: trust the CPU ratio" : ""), qc / tc }'
awk -v q="$QA" -v o="$OA" -v qc="$QACER" -v oc="$OACER" 'BEGIN {
    printf "  (A) quire vs ocrmypdf (pdf): %.2fx its pages/s; mean CER %.2f%% vs %.2f%% (target: faster at equal or better CER: %s)\n",
        o / q, 100 * qc, 100 * oc, (o > q && qc <= oc + 0.002 ? "met" : "NOT met") }'
if [ "$ROTATE" = 1 ]; then
    read -r _ _ _ QBALL <"$D/qB.cer"
    read -r _ _ _ OBALL <"$D/omB.cer"
    awk -v q="$(wall_of qB)" -v o="$(wall_of omB)" -v qc="$QBALL" -v oc="$OBALL" 'BEGIN {
        printf "  (B) quire vs ocrmypdf (pdf): %.2fx its pages/s; mean CER over all pages %.2f%% vs %.2f%% (%s)\n",
            o / q, 100 * qc, 100 * oc, (o > q && qc <= oc + 0.002 ? "met" : "NOT met") }'
fi
echo "other load: CPU ${BUSY0}% busy in the second before the runs; loadavg (1/5/15 min) at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(wall: quire from its driver's clock after the engines exist; tesseract and ocrmypdf include process start and model loading."
echo " RSS: quire = ru_maxrss of the whole process / workers; others = the largest single process. other = CPU share of other processes)"

status=0
# The clean pages must read well with plain tesseract, or the corpus (not quire) is broken.
CLEANCER=$(awk '(NR - 1) % 6 == 0 { if ($6 > m) m = $6 } END { print m + 0 }' "$D/perpage")
awk -v t="$CLEANCER" 'BEGIN { exit !(t > 0.05) }' &&
    { echo "bench: tesseract's CER on an undegraded page is $CLEANCER: the corpus is broken" >&2; status=1; }
awk -v q="$QACER" -v t="$TSCER" 'BEGIN { exit !(q > 2 * t + 0.01) }' &&
    { echo "bench: quire's CER ($QACER) is far worse than tesseract's ($TSCER)" >&2; status=1; }
if [ "$ROTATE" = 1 ]; then
    awk -v q="$QBALL" -v t="$OBALL" 'BEGIN { exit !(q > 2 * t + 0.01) }' &&
        { echo "bench: quire's (B) CER ($QBALL) is far worse than ocrmypdf's ($OBALL)" >&2; status=1; }
fi
for r in "${ROWS[@]}"; do
    [ "$(cut -d' ' -f4 "$D/$r.m")" -le 10 ] ||
        echo "bench: WARNING: other processes took more than 10% of the CPUs during $r; its figures are not trustworthy" >&2
done
exit "$status"

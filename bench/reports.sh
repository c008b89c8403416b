#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire benchmark: reports from the usage ledger (REP-1, REP-3, TEN-4) on PostgreSQL at scale.
# Seeds a private PostgreSQL (scripts/pg.sh) with BENCH_REPORTS_ROWS (10 M) job-log rows over
# 1,000 orgs (root -> 10 dealers -> 989 customers; one dealer with 500 customers) and 100,000
# users, fills the ledger from the log as quired would have (INSERT ... SELECT ... GROUP BY),
# runs quired on it and measures over HTTPS (wrk, many requests):
#   a) GET /api/v1/orgs/{customer}/reports/users for a month (the customer per-user report)
#   b) GET /api/v1/orgs/{dealer}/usage?month=  (the dealer's rollup over its 500 customers)
# and as the peer, in the same run, the same figures by a plain GROUP BY over job_log (psql,
# \timing, server time only): prints p50/p99 and the ledger / GROUP BY ratios. Then, if quired
# answers GET /api/v1/orgs/{id}/log?format=csv, the CSV export of the 1-million-row customer
# against psql's `\copy (same query) to stdout csv`: rate ratio and quired's peak RSS.
# Knobs: BENCH_REPORTS_ROWS (10000000), BENCH_REPORTS_BIG (1000000 rows of the measured
# customer), BENCH_DURATION (10 s per wrk run), BENCH_REPORTS_PEER_N (20 peer runs of the
# customer report; the rollup's peer runs 5 times), BENCH_KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
ROWS=${BENCH_REPORTS_ROWS:-10000000}
BIG=${BENCH_REPORTS_BIG:-1000000}
DUR=${BENCH_DURATION:-10}
PEER_N=${BENCH_REPORTS_PEER_N:-20}
QT=${BENCH_QUIRED_THREADS:-2}

die() {
    echo "bench/reports.sh: $*" >&2
    exit 1
}
for t in wrk jq curl psql ss; do command -v "$t" >/dev/null || die "$t is missing"; done
[ -x "$BIN/quired" ] || die "build first (make)"
[ "$BIG" -lt "$ROWS" ] || die "BENCH_REPORTS_BIG must be below BENCH_REPORTS_ROWS"

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-bench-reports
now_ms() { date +%s%3N; }

# --- PostgreSQL ------------------------------------------------------------------------------
PGPORT=$(free_port)
PGURL=$("$ROOT/scripts/pg.sh" start "$D/pg" "$PGPORT" 2>"$D/pg.err") ||
    { cat "$D/pg.err" >&2; die "PostgreSQL did not start"; }
# The cleanup stops PostgreSQL (fast shutdown) as the peer, then quired.
PEER_PID=$(head -1 "$D/pg/data/postmaster.pid")
PEER_SIG=INT
PSQL=(psql "$PGURL" -v ON_ERROR_STOP=1 -q -A -t)

# --- quired on it, the measured dealer and customer made through the API ---------------------
QPORT=$(free_port)
BENCH_DATABASE=$PGURL bench_start_quired "$QPORT"
ROOT_TOKEN=$OWN_TOKEN
api() { # method path token [body]
    if [ $# -ge 4 ]; then
        "${C[@]}" -f -X "$1" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
            -d "$4" "$Q$2"
    else
        "${C[@]}" -f -X "$1" -H "Authorization: Bearer $3" "$Q$2"
    fi
}
login() { # slug username password -> access token
    "${C[@]}" -f -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg o "$1" --arg u "$2" --arg p "$3" '{org: $o, username: $u, password: $p}')" \
        "$Q/api/v1/auth/login" | jq -er .access_token
}
mkorg() { # token parent type slug -> sets ORG_ID ORG_PW
    local out
    out=$(api POST /api/v1/orgs "$1" "$(jq -cn --arg p "$2" --arg t "$3" --arg s "$4" \
        '{parent_id: $p, type: $t, name: ("Bench " + $s), slug: $s, admin: {username: "admin"}}')") ||
        die "could not create org $4"
    ORG_ID=$(jq -r .id <<<"$out")
    bench_own_password "$4" admin "$(jq -r .admin.password <<<"$out")"
    ORG_PW=$OWN_PW
}
mkorg "$ROOT_TOKEN" "$ORG" provider bench-dealer-0
D1=$ORG_ID D1_PW=$ORG_PW
mkorg "$OWN_TOKEN" "$D1" customer bench-customer-0
CX=$ORG_ID CX_PW=$ORG_PW

# --- seed -------------------------------------------------------------------------------------
NOW=$("${PSQL[@]}" -c "SELECT extract(epoch FROM now())::bigint")
SPAN=$((180 * 86400))
T0=$((NOW - SPAN))
# The last full month (UTC, every seeded org's time zone), inside the seeded 180 days.
MONTH=$("${PSQL[@]}" -c "SELECT to_char(date_trunc('month', now()) - interval '1 month', 'YYYY-MM')")
MS=$("${PSQL[@]}" -c "SELECT extract(epoch FROM (date '$MONTH-01'))::bigint")
ME=$("${PSQL[@]}" -c "SELECT extract(epoch FROM (date '$MONTH-01' + interval '1 month'))::bigint")
LAST=$("${PSQL[@]}" -c "SELECT to_char(date '$MONTH-01' + interval '1 month' - interval '1 day', 'YYYY-MM-DD')")
echo "bench: seeding $ROWS job-log rows (1,000 orgs, 100,000 users) into PostgreSQL :$PGPORT" >&2
t0=$(now_ms)
"${PSQL[@]}" -v root="$ORG" -v d1="$D1" -v cx="$CX" -v rows="$ROWS" -v big="$BIG" -v t0="$T0" \
    -v span="$SPAN" >/dev/null <<'SQL'
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
SET synchronous_commit = off;
-- 9 more dealers under the root; customer 0 is the API-made one; 1..499 under dealer 0 (500
-- customers), 500..988 spread over dealers 1..9: 1 + 10 + 989 = 1,000 orgs.
INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, created_at, updated_at)
SELECT md5('dealer' || k), r.id, r.path || md5('dealer' || k) || '/', 1, 'provider',
       'Dealer ' || k, 'bench-dealer-' || k, 0, 0
FROM generate_series(1, 9) k, orgs r WHERE r.id = :'root';
CREATE TABLE bench_cust (idx INTEGER PRIMARY KEY, id TEXT NOT NULL, parent TEXT NOT NULL);
INSERT INTO bench_cust VALUES (0, :'cx', :'d1');
INSERT INTO bench_cust
SELECT i, md5('cust' || i), CASE WHEN i < 500 THEN :'d1' ELSE md5('dealer' || (1 + (i - 500) % 9)) END
FROM generate_series(1, 988) i;
INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, created_at, updated_at)
SELECT c.id, c.parent, p.path || c.id || '/', p.depth + 1, 'customer', 'Customer ' || c.idx,
       'bench-customer-' || c.idx, 0, 0
FROM bench_cust c JOIN orgs p ON p.id = c.parent WHERE c.idx > 0;
-- 100,000 users: user n belongs to customer n % 989; 2 devices per customer.
INSERT INTO users (id, org_id, username, role, created_at, updated_at)
SELECT md5('user' || n), c.id, 'user' || n, 'customer_user', 0, 0
FROM generate_series(0, 99999) n JOIN bench_cust c ON c.idx = n % 989;
INSERT INTO devices (id, org_id, serial, client_id, created_at, updated_at)
SELECT md5('dev' || c.idx || '-' || k), c.id, 'SN-' || c.idx || '-' || k,
       md5('client' || c.idx || '-' || k), 0, 0
FROM bench_cust c, generate_series(0, 1) k;
-- The log: rows - big spread over the 989 customers, big more for customer 0; 70 % print,
-- 20 % copy (a quarter of them walk-up, no user), 10 % scan; over the last 180 days.
DROP INDEX job_log_org;
DROP INDEX job_log_user;
INSERT INTO job_log (org_id, time, user_id, device_id, type, pages, copies, color, duplex)
SELECT c.id, :t0 + (s.g::bigint * 104729) % :span,
       CASE WHEN s.g % 10 IN (7, 8) AND s.g % 4 = 0 THEN NULL
            ELSE md5('user' || (c.idx + 989 * ((s.g / 989) % 101))) END,
       md5('dev' || c.idx || '-' || (s.g / 13) % 2),
       CASE WHEN s.g % 10 < 7 THEN 'print' WHEN s.g % 10 < 9 THEN 'copy' ELSE 'scan' END,
       1 + (s.g * 31) % 20, 1 + (s.g / 7) % 2, ((s.g / 3) % 3 = 0)::int, ((s.g / 5) % 2)::int
FROM (SELECT g, g % 989 AS idx FROM generate_series(1, :rows - :big) g
      UNION ALL SELECT g, 0 FROM generate_series(:rows - :big + 1, :rows) g) s
JOIN bench_cust c ON c.idx = s.idx;
CREATE INDEX job_log_org ON job_log(org_id, id);
CREATE INDEX job_log_user ON job_log(user_id, id);
-- The ledger as quired writes it (every org in UTC): per day, user and device; per month.
-- (Its indexes are built after the fill, as the log's.)
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
DROP INDEX usage_daily_cover;
INSERT INTO usage_daily (org_id, day, user_id, device_id, print_jobs, print_pages, print_color,
                         print_duplex, copy_jobs, copy_pages, scan_jobs, scan_pages)
SELECT org_id, to_char(date '1970-01-01' + (time / 86400)::int, 'YYYY-MM-DD'),
       COALESCE(user_id, ''), device_id,
       SUM((type = 'print')::int), SUM(CASE WHEN type = 'print' THEN pages * copies ELSE 0 END),
       SUM(CASE WHEN type = 'print' AND color = 1 THEN pages * copies ELSE 0 END),
       SUM(CASE WHEN type = 'print' AND duplex = 1 THEN pages * copies ELSE 0 END),
       SUM((type = 'copy')::int), SUM(CASE WHEN type = 'copy' THEN pages * copies ELSE 0 END),
       SUM((type = 'scan')::int), SUM(CASE WHEN type = 'scan' THEN pages * copies ELSE 0 END)
FROM job_log GROUP BY 1, 2, 3, 4;
ALTER TABLE usage_daily ADD PRIMARY KEY (org_id, day, user_id, device_id);
CREATE INDEX usage_daily_cover ON usage_daily(org_id, day, user_id, device_id, print_jobs,
    print_pages, print_color, print_duplex, copy_jobs, copy_pages, scan_jobs, scan_pages);
INSERT INTO usage_active (org_id, month, kind, ref)
SELECT DISTINCT org_id, substr(day, 1, 7), 'user', user_id FROM usage_daily WHERE user_id <> ''
UNION ALL
SELECT DISTINCT org_id, substr(day, 1, 7), 'device', device_id FROM usage_daily;
INSERT INTO usage_month (org_id, month, print_jobs, print_pages, print_color, print_duplex,
                         copy_jobs, copy_pages, scan_jobs, scan_pages, active_users,
                         active_devices)
SELECT d.org_id, d.month, d.pj, d.pp, d.pc, d.pd, d.cj, d.cp, d.sj, d.sp,
       (SELECT COUNT(*) FROM usage_active a WHERE a.org_id = d.org_id AND a.month = d.month
        AND a.kind = 'user'),
       (SELECT COUNT(*) FROM usage_active a WHERE a.org_id = d.org_id AND a.month = d.month
        AND a.kind = 'device')
FROM (SELECT org_id, substr(day, 1, 7) AS month, SUM(print_jobs) pj, SUM(print_pages) pp,
             SUM(print_color) pc, SUM(print_duplex) pd, SUM(copy_jobs) cj, SUM(copy_pages) cp,
             SUM(scan_jobs) sj, SUM(scan_pages) sp
      FROM usage_daily GROUP BY 1, 2) d;
VACUUM ANALYZE;
SQL
t1=$(now_ms)
SEED_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", (b - a) / 1000}')
count() { "${PSQL[@]}" -c "$1"; }
N_LOG=$(count "SELECT COUNT(*) FROM job_log")
N_ORGS=$(count "SELECT COUNT(*) FROM orgs")
N_USERS=$(count "SELECT COUNT(*) FROM users WHERE role = 'customer_user'")
N_DAILY=$(count "SELECT COUNT(*) FROM usage_daily")
N_D1=$(count "SELECT COUNT(*) FROM orgs WHERE parent_id = '$D1'")
N_CX=$(count "SELECT COUNT(*) FROM job_log WHERE org_id = '$CX'")
N_CXM=$(count "SELECT COUNT(*) FROM job_log WHERE org_id = '$CX' AND time >= $MS AND time < $ME")
echo "bench: seeded in ${SEED_S} s: $N_LOG log rows, $N_ORGS orgs, $N_USERS users, $N_DAILY ledger day rows" >&2

# --- correctness: the ledger answers what the GROUP BY over the log answers --------------------
CX_TOKEN=$(login bench-customer-0 admin "$CX_PW") || die "customer admin login failed"
D1_TOKEN=$(login bench-dealer-0 admin "$D1_PW") || die "dealer admin login failed"
REPORT="/api/v1/orgs/$CX/reports/users?from=$MONTH-01&to=$LAST"
ROLLUP="/api/v1/orgs/$D1/usage?month=$MONTH"
api GET "$REPORT" "$CX_TOKEN" >"$D/report.json" || die "GET the customer report failed"
api GET "$ROLLUP" "$D1_TOKEN" >"$D/rollup.json" || die "GET the dealer rollup failed"
PEER_REPORT="SELECT j.user_id, u.username,
  SUM(CASE WHEN j.type = 'print' THEN j.pages * j.copies ELSE 0 END) AS print_pages,
  SUM(CASE WHEN j.type = 'print' AND j.color = 1 THEN j.pages * j.copies ELSE 0 END) AS color,
  SUM(CASE WHEN j.type = 'print' AND j.duplex = 1 THEN j.pages * j.copies ELSE 0 END) AS duplex,
  SUM(CASE WHEN j.type = 'print' THEN 1 ELSE 0 END) AS print_jobs,
  SUM(CASE WHEN j.type = 'copy' THEN j.pages * j.copies ELSE 0 END) AS copy_pages,
  SUM(CASE WHEN j.type = 'scan' THEN j.pages * j.copies ELSE 0 END) AS scan_pages
FROM job_log j LEFT JOIN users u ON u.id = j.user_id
WHERE j.org_id = '$CX' AND j.time >= $MS AND j.time < $ME GROUP BY j.user_id, u.username"
PEER_ROLLUP="SELECT o.id, o.name,
  SUM(CASE WHEN j.type = 'print' THEN j.pages * j.copies ELSE 0 END) AS print_pages,
  SUM(CASE WHEN j.type = 'print' AND j.color = 1 THEN j.pages * j.copies ELSE 0 END) AS color,
  SUM(CASE WHEN j.type = 'print' AND j.duplex = 1 THEN j.pages * j.copies ELSE 0 END) AS duplex,
  SUM(CASE WHEN j.type = 'print' THEN 1 ELSE 0 END) AS print_jobs,
  SUM(CASE WHEN j.type = 'copy' THEN j.pages * j.copies ELSE 0 END) AS copy_pages,
  SUM(CASE WHEN j.type = 'scan' THEN j.pages * j.copies ELSE 0 END) AS scan_pages,
  COUNT(DISTINCT j.user_id) AS active_users
FROM orgs o JOIN job_log j ON j.org_id = o.id
WHERE o.parent_id = '$D1' AND j.time >= $MS AND j.time < $ME GROUP BY o.id, o.name"
PEER_CX=$(count "SELECT SUM(print_pages) || ' ' || COUNT(*) FROM ($PEER_REPORT) x")
LEDGER_CX="$(jq -r '.totals.print_pages' "$D/report.json") $(jq -r '.items | length' "$D/report.json")"
[ "$PEER_CX" = "$LEDGER_CX" ] || die "customer report: ledger '$LEDGER_CX' != GROUP BY '$PEER_CX' (print pages, rows)"
PEER_D1=$(count "SELECT SUM(print_pages) || ' ' || SUM(active_users) || ' ' || COUNT(*) FROM ($PEER_ROLLUP) x")
LEDGER_D1="$(jq -r '[.children[].subtree.print_pages] | add' "$D/rollup.json") $(jq -r '[.children[].subtree.active_users] | add' "$D/rollup.json") $(jq -r '.children | length' "$D/rollup.json")"
[ "$PEER_D1" = "$LEDGER_D1" ] || die "dealer rollup: ledger '$LEDGER_D1' != GROUP BY '$PEER_D1' (print pages, active users, children)"

# --- quired over HTTPS: wrk, 2 connections, DUR seconds each -----------------------------------
WQ=https://127.0.0.1:$QPORT
wrk_stat() { # name path token
    timeout $((DUR + 60)) wrk -t1 -c2 -d"${DUR}s" --latency -s "$HERE/stats.lua" \
        -H "Authorization: Bearer $3" "$WQ$2" >"$D/$1.wrk" 2>&1 || { cat "$D/$1.wrk" >&2; die "wrk $1 failed"; }
    grep '^WRKSTAT' "$D/$1.wrk" >"$D/$1.stat"
}
sv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$D/$1.stat"; }
wrk_stat report "$REPORT" "$CX_TOKEN"
wrk_stat rollup "$ROLLUP" "$D1_TOKEN"
for n in report rollup; do
    errs=$(($(sv $n err_status) + $(sv $n err_connect) + $(sv $n err_read) + $(sv $n err_timeout)))
    [ "$errs" -eq 0 ] || die "wrk $n: $errs errors"
done

# --- the peer: the same figures by GROUP BY over job_log, psql \timing (server side) -----------
peer_times() { # n query -> one time in ms per line
    { echo '\timing on'; for _ in $(seq "$1"); do echo "$2;"; done; } |
        psql "$PGURL" -q -A -t -o /dev/null 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i = int((NR - 1) * p / 100 + 0.5) + 1; print a[i]}'; }
peer_times "$PEER_N" "$PEER_REPORT" >"$D/peer_report.ms"
peer_times 5 "$PEER_ROLLUP" >"$D/peer_rollup.ms"
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
R50=$(ms "$(sv report p50_us)") R99=$(ms "$(sv report p99_us)")
U50=$(ms "$(sv rollup p50_us)") U99=$(ms "$(sv rollup p99_us)")
PR50=$(pct 50 <"$D/peer_report.ms") PR99=$(pct 99 <"$D/peer_report.ms")
PU50=$(pct 50 <"$D/peer_rollup.ms") PU99=$(pct 99 <"$D/peer_rollup.ms")

# --- CSV export of the 1-million-row customer (the log's CSV answer, if this quired has it) ----
CSV_LINE="not measured: this quired has no CSV answer for GET /api/v1/orgs/{id}/log?format=csv"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CX_TOKEN" \
    "$Q/api/v1/orgs/$CX/log?format=csv&limit=1" || true)
ctype=$("${C[@]}" -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $CX_TOKEN" \
    "$Q/api/v1/orgs/$CX/log?format=csv&limit=1" || true)
if [ "$code" = 200 ] && [[ "$ctype" == text/csv* ]]; then
    CX_TOKEN=$(login bench-customer-0 admin "$CX_PW")
    RSS0=$(awk '/^VmHWM/{print $2}' "/proc/$QPID/status")
    t0=$(now_ms)
    curl -sS --max-time 600 --connect-to "localhost:$QPORT:127.0.0.1:$QPORT" --cacert "$CERT" \
        -H "Authorization: Bearer $CX_TOKEN" "$Q/api/v1/orgs/$CX/log?format=csv" -o "$D/export.csv" ||
        die "CSV export failed"
    t1=$(now_ms)
    RSS1=$(awk '/^VmHWM/{print $2}' "/proc/$QPID/status")
    Q_LINES=$(wc -l <"$D/export.csv")
    Q_BYTES=$(stat -c %s "$D/export.csv")
    Q_MS=$((t1 - t0))
    t0=$(now_ms)
    psql "$PGURL" -q -c "\\copy (SELECT j.id, j.time, j.user_id, u.username, j.device_id, d.serial, j.type, j.pages, j.copies, j.color, j.duplex FROM job_log j LEFT JOIN users u ON u.id = j.user_id LEFT JOIN devices d ON d.id = j.device_id WHERE j.org_id = '$CX' ORDER BY j.id DESC) to stdout csv" >"$D/peer.csv"
    t1=$(now_ms)
    P_LINES=$(wc -l <"$D/peer.csv")
    P_MS=$((t1 - t0))
    CSV_LINE=$(awk -v ql="$Q_LINES" -v qb="$Q_BYTES" -v qm="$Q_MS" -v pl="$P_LINES" -v pm="$P_MS" \
        -v r0="$RSS0" -v r1="$RSS1" 'BEGIN {
        qr = pl > 0 ? (ql - 1) / (qm / 1000) : 0; pr = pl / (pm / 1000);
        printf "quired %d lines (%.1f MB) in %d ms = %.0f rows/s; psql \\copy %d rows in %d ms = %.0f rows/s; rate ratio %.2fx; quired peak RSS %.1f MB before, %.1f MB after",
            ql, qb / 1e6, qm, qr, pl, pm, pr, (pr > 0 ? qr / pr : 0), r0 / 1024, r1 / 1024 }')
fi

echo
echo "quire reports bench  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$(nproc)  PostgreSQL 15, quired QUIRE_THREADS=$QT"
echo "data: $N_LOG job-log rows, $N_ORGS orgs, $N_USERS users, $N_DAILY ledger day rows (seed ${SEED_S} s);" \
    "month $MONTH; customer: $N_CX rows ($N_CXM in the month); dealer: $N_D1 customers"
echo "quired: wrk -t1 -c2 -d${DUR}s over HTTPS; peer: psql \\timing (server time, no HTTP), customer x$PEER_N, dealer x5"
printf '%-46s %9s %9s %10s %10s %9s %9s\n' "" "p50 ms" "p99 ms" "peer p50" "peer p99" "p50 ratio" "p99 ratio"
printf '%-46s %9s %9s %10s %10s %9s %9s\n' "(a) customer per-user month report" "$R50" "$R99" "$PR50" "$PR99" \
    "$(ratio "$R50" "$PR50")" "$(ratio "$R99" "$PR99")"
printf '%-46s %9s %9s %10s %10s %9s %9s\n' "(b) dealer rollup over $N_D1 customers" "$U50" "$U99" "$PU50" "$PU99" \
    "$(ratio "$U50" "$PU50")" "$(ratio "$U99" "$PU99")"
echo "requests/s: (a) $(sv report rps), (b) $(sv rollup rps); ratio = ledger via HTTPS / GROUP BY in psql (< 1: the ledger is faster)"
echo "CSV export: $CSV_LINE"

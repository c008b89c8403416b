#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire benchmark: the web portal (issue 14), in one run on this machine, over TLS on loopback:
#   a) its first load in Debian's Chromium (bench/portal-load.mjs), a fresh profile each time:
#      the bytes of JavaScript and CSS as sent (compressed; the budget is 120 KB) and the
#      median time from navigation to the signed-in home page, beside the same browser
#      loading the same files from nginx (gzip_static, the same compressed bytes) up to the
#      application's signed-out page: quire's time / nginx's time;
#   b) the user list of an org with 100,000 users, paged on the server (GET
#      /api/v1/orgs/{id}/users?limit=50): the first page, a page in the middle (after=), a
#      search for a rare term (10 users) and one for a common term (q=), each p50/p99 by wrk (the goal: p99 < 50 ms), beside nginx serving a
#      static file of the same size (p99 ratio).
# Knobs: BENCH_DURATION (10 s per wrk run), BENCH_PORTAL_USERS (100000), BENCH_PORTAL_RUNS (10
# browser loads each), BENCH_QUIRED_THREADS (2), BENCH_KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
DUR=${BENCH_DURATION:-10}
USERS=${BENCH_PORTAL_USERS:-100000}
RUNS=${BENCH_PORTAL_RUNS:-10}
QT=${BENCH_QUIRED_THREADS:-2}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

die() {
    echo "bench/portal.sh: $*" >&2
    exit 1
}
for t in wrk jq curl sqlite3 node ss gzip; do command -v "$t" >/dev/null || die "$t is missing"; done
[ -x "$NGINX" ] || die "nginx is missing"
[ -x "$BIN/quired" ] || die "build first (make)"
[ -f "$BIN/web/manifest.json" ] || die "the portal is not built ($BIN/web): make"

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-bench-portal

QPORT=$(free_port)
NPORT=$(free_port)
bench_start_quired "$NPORT"
api() { # method path token [body]
    if [ $# -ge 4 ]; then
        "${C[@]}" -f -X "$1" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
            -d "$4" "$Q$2"
    else
        "${C[@]}" -f -X "$1" -H "Authorization: Bearer $3" "$Q$2"
    fi
}

# --- a customer org with USERS users ------------------------------------------------------------
out=$(api POST /api/v1/orgs "$OWN_TOKEN" "$(jq -cn --arg p "$ORG" '{parent_id: $p, type: "customer",
    name: "Bench Portal GmbH", slug: "bench-portal", admin: {username: "admin"}}')") || die "could not create the customer"
CX=$(jq -r .id <<<"$out")
bench_own_password bench-portal admin "$(jq -r .admin.password <<<"$out")"
CX_TOKEN=$OWN_TOKEN
CX_PW=$OWN_PW
echo "bench: seeding $USERS users into one org (SQLite)" >&2
sqlite3 "$QUIRE_DATA_DIR/quire.db" <<SQL || die "seeding failed"
.timeout 10000
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS - 1)
INSERT INTO users (id, org_id, username, username_key, email, first_name, last_name, role,
                   created_at, updated_at)
SELECT lower(hex(randomblob(16))), '$CX', printf('user%06d', i), printf('user%06d', i),
       printf('user%06d@example.test', i), 'First' || i, 'Last' || i, 'customer_user', 0, 0
FROM n;
ANALYZE;
SQL
FIRST="/api/v1/orgs/$CX/users?limit=50"
MIDDLE="/api/v1/orgs/$CX/users?limit=50&after=$(printf 'user%06d' $((USERS / 2)))"
SEARCH="/api/v1/orgs/$CX/users?limit=50&q=$(printf 'user%05d' $((USERS / 20)))"
COMMON="/api/v1/orgs/$CX/users?limit=50&q=last1" # a common term: about one user in nine
for p in "$FIRST" "$MIDDLE" "$SEARCH" "$COMMON"; do
    n=$(api GET "$p" "$CX_TOKEN" | jq '.items | length') || die "GET $p failed"
    [ "$n" -gt 0 ] || die "GET $p: no users"
done

# --- nginx: the portal's files (gzip_static) and a user page's JSON as a static file ----------
mkdir -p "$D/nginx/www/assets"
cp "$BIN/web/index.html" "$D/nginx/www/"
cp "$BIN"/web/assets/* "$D/nginx/www/assets/"
# The assets' names carry no extension: their types, from the build's manifest.
types=""
while IFS=$'\t' read -r src name; do
    case "$src" in
    *.css) t=text/css ;;
    *.svg) t=image/svg+xml ;;
    *) t=text/javascript ;;
    esac
    types+="location = /assets/$name { default_type $t; add_header Content-Security-Policy \"default-src 'self'\" always; } "
done < <(jq -r 'to_entries[] | [.key, .value] | @tsv' "$BIN/web/manifest.json")
# The build wrote each text file's gzip form beside it (NAME.gz): gzip_static sends those bytes.
api GET "$FIRST" "$CX_TOKEN" >"$D/nginx/www/users.json"
bench_start_nginx "gzip_static on; location / { default_type text/html; add_header Content-Security-Policy \"default-src 'self'\" always; } $types" /users.json

# --- a) first load in the browser -------------------------------------------------------------
echo "bench: $RUNS cold loads each in Chromium" >&2
LOAD=$(timeout 600 node "$HERE/portal-load.mjs" "$Q" "https://localhost:$NPORT" "$CERT" bench-portal admin "$CX_PW" "$RUNS") ||
    die "the browser run failed"

# --- b) the user list under wrk ---------------------------------------------------------------
WQ=https://127.0.0.1:$QPORT
WN=https://127.0.0.1:$NPORT
wrk_stat() { # name url token
    timeout $((DUR + 60)) wrk -t1 -c4 -d"${DUR}s" --latency -s "$HERE/stats.lua" \
        -H "Authorization: Bearer $3" "$2" >"$D/$1.wrk" 2>&1 || { cat "$D/$1.wrk" >&2; die "wrk $1 failed"; }
    grep '^WRKSTAT' "$D/$1.wrk" >"$D/$1.stat"
    local errs
    errs=$(($(sv "$1" err_status) + $(sv "$1" err_connect) + $(sv "$1" err_read) + $(sv "$1" err_timeout)))
    [ "$errs" -eq 0 ] || die "wrk $1: $errs errors"
}
sv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$D/$1.stat"; }
wrk_stat first "$WQ$FIRST" "$CX_TOKEN"
wrk_stat middle "$WQ$MIDDLE" "$CX_TOKEN"
wrk_stat search "$WQ$SEARCH" "$CX_TOKEN"
wrk_stat common "$WQ$COMMON" "$CX_TOKEN"
wrk_stat nginx "$WN/users.json" "$CX_TOKEN"

ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
j() { jq -r ".$1" <<<"$LOAD"; }
echo
echo "quire portal benchmark ($(nproc) cores, quired threads $QT, $USERS users in one org)"
printf '%-44s %10s %10s %9s\n' "first load (Chromium, cold, median of $RUNS)" "quire" "nginx" "ratio"
printf '%-44s %8s ms %8s ms %8sx\n' "  to the usable page" "$(j quire_ms | xargs printf '%.0f')" \
    "$(j nginx_ms | xargs printf '%.0f')" "$(ratio "$(j quire_ms)" "$(j nginx_ms)")"
printf '%-44s %7s KB %7s KB   (budget 120 KB)\n' "  JavaScript + CSS as sent" \
    "$(awk -v b="$(j quire_bytes)" 'BEGIN{printf "%.1f", b/1024}')" \
    "$(awk -v b="$(j nginx_bytes)" 'BEGIN{printf "%.1f", b/1024}')"
printf '%-44s %10s %10s %9s\n' "user list, wrk 4 connections, ${DUR} s" "p50 ms" "p99 ms" "p99/nginx"
for n in first middle search common nginx; do
    printf '%-44s %10s %10s %9s\n' "  $n ($(sv $n rps) req/s)" "$(ms "$(sv $n p50_us)")" \
        "$(ms "$(sv $n p99_us)")" "$(ratio "$(sv $n p99_us)" "$(sv nginx p99_us)")"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire benchmarks (bench/README.md). `make bench` builds, then runs this.
#
# In one run on this machine, over TLS on loopback only:
#   a) quired  GET /api/v1/me with a bearer token   (token check + DB read + JSON)
#   b) nginx   GET of a static file of the same size (the ceiling: one worker, same cert)
#   c) quired  GET /healthz, unauthenticated        (the HTTP/TLS floor of quired itself)
#   d) quired  POST /api/v1/auth/login              (bounded by Argon2id)
#   plus the time of one Argon2id hash (bench/hashtime.c, same libargon2, same parameters).
# Every figure is printed next to a peer measured in the same run.
#
# Knobs (environment): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2),
# BENCH_WRK_THREADS (2), BENCH_CONNECTIONS (64), BENCH_LOGIN_CONNECTIONS (8),
# BENCH_QUIRED_THREADS (quired's QUIRE_THREADS, default 2), BENCH_HASH_N (20),
# BENCH_KEEP=1 keeps the temporary directory (logs, nginx config) for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-2}
WT=${BENCH_WRK_THREADS:-2}
WC=${BENCH_CONNECTIONS:-64}
LC=${BENCH_LOGIN_CONNECTIONS:-8}
QT=${BENCH_QUIRED_THREADS:-2}
HN=${BENCH_HASH_N:-20}
NCPU=$(nproc)

die() { echo "bench: $*" >&2; exit 1; }

# --- dependencies ---------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v ss >/dev/null || missing+=(iproute2)
[ -f /usr/include/argon2.h ] || missing+=(libargon2-dev)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (apt-get install them)"
    echo "bench: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$BIN/quired" ] || [ ! -x "$BIN/quire" ]; then die "$BIN/quired missing: run make first"; fi

# --- temp dir, cleanup (bench/lib.sh) ---------------------------------------------------------
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-bench
PEER_SIG=QUIT

QPORT=${BENCH_QUIRED_PORT:-$(free_port)}
NPORT=${BENCH_NGINX_PORT:-$(free_port)}
[ "$QPORT" != "$NPORT" ] || NPORT=$((QPORT + 1))

# --- quired ---------------------------------------------------------------------------------
bench_start_quired "$NPORT"

AT=$("${C[@]}" -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$Q/api/v1/auth/login" |
     jq -er .access_token) || die "login failed"
AUTH="Authorization: Bearer $AT"
"${C[@]}" -f -H "$AUTH" -o "$D/me.json" "$Q/api/v1/me" || die "GET /api/v1/me failed"
ME_BYTES=$(stat -c %s "$D/me.json")

# --- nginx: one worker, same cert and key, a static file of the same size -------------------
mkdir -p "$D/nginx/www" "$D/nginx/tmp"
cp "$D/me.json" "$D/nginx/www/me.json" # the very bytes quired sent: same size by construction
bench_start_nginx "location / { }" /me.json
NPID=$PEER_PID

# --- sanity: same body, keep-alive honoured (2 requests on 1 connection) --------------------
cmp -s "$D/me.json" <("${C[@]}" "$N/me.json") || die "nginx serves a different body"
reuse() { # prints the number of TCP connects per request for two requests in one curl
    "${C[@]}" -o /dev/null -o /dev/null -w '%{num_connects} ' "$@" | sed 's/ $//'
}
KA_ME=$(reuse -H "$AUTH" "$Q/api/v1/me" "$Q/api/v1/me")
KA_NG=$(reuse -H "$AUTH" "$N/me.json" "$N/me.json")
KA_HZ=$(reuse "$Q/healthz" "$Q/healthz")
KA_LG=$(reuse -H 'Content-Type: application/json' -d "$LOGIN_BODY" \
    "$Q/api/v1/auth/login" "$Q/api/v1/auth/login")
size_of() { "${C[@]}" -o /dev/null -w '%{size_header}+%{size_download}' "$@"; }
SZ_ME=$(size_of -H "$AUTH" "$Q/api/v1/me")
SZ_NG=$(size_of -H "$AUTH" "$N/me.json")
SZ_HZ=$(size_of "$Q/healthz")
tls_of() {
    timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
        awk '/^New, /{print $2 " " $NF; exit}'
}
TLS_Q=$(tls_of "$QPORT")
TLS_N=$(tls_of "$NPORT")

# --- other load on the machine (both servers idle now) -------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_busy() { # percent of all CPUs busy over one second, servers idle: other work on the box
    local a b
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN{split(a,x," "); split(b,y," "); bu=y[1]-x[1]; id=y[2]-x[2];
        t = bu + id; printf "%d", (t > 0 ? 100 * bu / t : 0)}'
}
BUSY0=$(cpu_busy)
if [ "$BUSY0" -gt 10 ]; then
    echo "bench: WARNING: the machine is already ${BUSY0}% busy before the run;" \
        "figures will be low and noisy" >&2
fi

# CPU accounting in clock ticks, to tell how much of the machine other work took during a run:
# all CPUs' busy and total ticks (/proc/stat), ours = quired + nginx (/proc/PID/stat, all
# threads) + wrk (bash's `times`: CPU of waited-for children).
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
proc_ticks() {
    local p
    for p in "$QPID" "$NPID" $(pgrep -P "$NPID" 2>/dev/null || true); do
        awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
    done | awk '{s += $1} END {print s + 0}'
}
HZ=$(getconf CLK_TCK)
child_ticks() { # user+sys of waited-for children: `times` must run in this shell, not a $( )
    times >"$D/times"
    awk -v hz="$HZ" 'NR == 2 {
        s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
        printf "%d", s * hz }' "$D/times"
}
other_pct() { # c0 c1 ours_ticks: percent of all CPU ticks spent by other processes
    awk -v a="$1" -v b="$2" -v ours="$3" 'BEGIN {
        split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; o = y[1] - x[1] - ours;
        if (o < 0) o = 0; printf "%d", (t > 0 ? 100 * o / t : 0) }'
}

# --- Argon2id hash time (nothing else is running yet besides idle servers) ------------------
noisy=0
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -pthread "$HERE/hashtime.c" -o "$D/hashtime" -largon2
c0=$(cpu_ticks)
p0=$(proc_ticks)
child_ticks >"$D/k0"
HASH_OUT=$(timeout 60 "$D/hashtime" "$HN" "$NCPU") || die "hashtime failed"
child_ticks >"$D/k1"
p1=$(proc_ticks)
c1=$(cpu_ticks)
H_OTHER=$(other_pct "$c0" "$c1" $((p1 - p0 + $(cat "$D/k1") - $(cat "$D/k0"))))
[ "$H_OTHER" -le 10 ] || noisy=1
HS=$(grep '^HASHSTAT' <<<"$HASH_OUT")
hv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$HS"; }
H_MED=$(hv median_ms)
H_MEAN=$(hv mean_ms)
H_PAR=$(hv par_rate)

# --- wrk runs --------------------------------------------------------------------------------
export QUIRE_BENCH_DIR=$HERE QUIRE_BENCH_LOGIN_BODY=$LOGIN_BODY
# TCP connects made on this machine (all processes): about the wrk connection count per run
# when keep-alive works, about the request count when every response closes the connection.
tcp_opens() { awk '/^Tcp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
wrk_run() { # name script conns url [wrk args...]: runs wrk, leaves WRKSTAT in $D/name.stat
    local name=$1 script=$2 conns=$3 url=$4 tw0 tw1 c0 c1 p0 p1 k0 k1 other
    shift 4
    if [ "$WARM" -gt 0 ]; then
        timeout $((WARM + 30)) wrk -t"$WT" -c"$conns" -d"${WARM}s" -s "$HERE/$script" "$@" "$url" \
            >/dev/null 2>&1 || true
    fi
    tw0=$(tcp_opens)
    c0=$(cpu_ticks)
    p0=$(proc_ticks)
    child_ticks >"$D/k0"
    timeout $((DUR + 60)) wrk -t"$WT" -c"$conns" -d"${DUR}s" --latency \
        -s "$HERE/$script" "$@" "$url" \
        >"$D/$name.wrk" 2>&1 || { cat "$D/$name.wrk" >&2; die "wrk $name failed"; }
    child_ticks >"$D/k1"
    p1=$(proc_ticks)
    k0=$(cat "$D/k0")
    k1=$(cat "$D/k1")
    c1=$(cpu_ticks)
    tw1=$(tcp_opens)
    other=$(other_pct "$c0" "$c1" $((p1 - p0 + k1 - k0)))
    grep '^WRKSTAT' "$D/$name.wrk" |
        sed "s/\$/ connects=$((tw1 - tw0)) other=$other/" >"$D/$name.stat"
    kill -0 "$QPID" 2>/dev/null || { tail -20 "$D/quired.err" >&2; die "quired died during $name"; }
}
echo "bench: quired :$QPORT, nginx :$NPORT, wrk -t$WT -c$WC -d${DUR}s (login -c$LC)," \
    "loadavg $LOAD0" >&2
# wrk does not verify certificates; it gets the literal loopback address so it never tries ::1.
# Every GET carries the same Authorization header (ignored by nginx and /healthz), so all
# requests are the same size.
WQ=https://127.0.0.1:$QPORT
WN=https://127.0.0.1:$NPORT
wrk_run me stats.lua "$WC" "$WQ/api/v1/me" -H "$AUTH"
wrk_run nginx stats.lua "$WC" "$WN/me.json" -H "$AUTH"
wrk_run healthz stats.lua "$WC" "$WQ/healthz" -H "$AUTH"
wrk_run login login.lua "$LC" "$WQ/api/v1/auth/login"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ---------------------------------------------------------------------------------
sv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$D/$1.stat"; }
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
problems=0
row() { # name label
    local n=$1 errs
    errs=$(($(sv "$n" err_status) + $(sv "$n" err_connect) + $(sv "$n" err_read) +
            $(sv "$n" err_write) + $(sv "$n" err_timeout)))
    [ "$errs" -eq 0 ] || problems=1
    [ "$(sv "$n" other)" -le 10 ] || noisy=1
    printf '%-34s %10s %9s %9s %8s %8s %7s\n' "$2" "$(sv "$n" rps)" "$(ms "$(sv "$n" p50_us)")" \
        "$(ms "$(sv "$n" p99_us)")" "$errs" "$(sv "$n" connects)" "$(sv "$n" other)%"
}
NG_RPS=$(sv nginx rps)
NG_P99=$(sv nginx p99_us)
BOUND=$(awk -v c="$NCPU" -v h="$H_MED" 'BEGIN{printf "%.1f", c*1000/h}')
LG_RPS=$(sv login rps)

echo
echo "quire bench  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$NCPU" \
    "cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\""
echo "TLS: quired $TLS_Q, nginx $TLS_N; quired QUIRE_THREADS=$QT, nginx 1 worker;" \
    "wrk -t$WT -c$WC -d${DUR}s (login -c$LC)"
echo "static file $ME_BYTES bytes; response bytes (headers+body): /me $SZ_ME, nginx $SZ_NG, /healthz $SZ_HZ;" \
    "connects for 2 requests: /me $KA_ME, nginx $KA_NG, /healthz $KA_HZ, login $KA_LG"
echo
printf '%-34s %10s %9s %9s %8s %8s %7s\n' "" "req/s" "p50 ms" "p99 ms" "errors" "connects" "other"
row me "(a) quired GET /api/v1/me"
row nginx "(b) nginx static, same size"
row healthz "(c) quired GET /healthz"
row login "(d) quired POST /auth/login"
echo
echo "ratios vs nginx (same run):"
echo "  /api/v1/me : req/s $(ratio "$(sv me rps)" "$NG_RPS")x   p99 $(ratio "$(sv me p99_us)" "$NG_P99")x"
echo "  /healthz   : req/s $(ratio "$(sv healthz rps)" "$NG_RPS")x   p99 $(ratio "$(sv healthz p99_us)" "$NG_P99")x"
echo "  /me vs /healthz (cost of token check + DB read): req/s $(ratio "$(sv me rps)" "$(sv healthz rps)")x"
echo "login vs Argon2id:"
echo "  one hash (m=19456 KiB, t=2, p=1, N=$HN): median $H_MED ms, mean $H_MEAN ms" \
    "(other ${H_OTHER}%)"
echo "  bound = nproc / hash time = $NCPU / $H_MED ms = $BOUND logins/s;" \
    "$NCPU hashing threads at once measured $H_PAR hashes/s"
echo "  login $LG_RPS req/s = $(ratio "$LG_RPS" "$BOUND")x of the bound," \
    "$(ratio "$LG_RPS" "$H_PAR")x of the measured parallel hash rate"
echo "other load: CPU ${BUSY0}% busy in the second before the runs;" \
    "loadavg (1/5/15 min) at start $LOAD0, at end $LOAD_END"
echo "(errors = non-2xx/3xx + socket errors + timeouts counted by wrk; connects = TCP connects"
echo " on the machine during the run: about the wrk connection count when keep-alive works;"
echo " other = CPU share taken by processes other than quired, nginx and wrk during the run)"
if [ "$noisy" != 0 ]; then
    echo "bench: WARNING: other processes took more than 10% of the CPUs during a run;" \
        "those figures are low and noisy: rerun on an idle machine" >&2
fi

if grep -qiE '"level":"(error|fatal)"' "$D/quired.err"; then
    echo "bench: quired logged errors:" >&2
    grep -iE '"level":"(error|fatal)"' "$D/quired.err" | tail -10 >&2
    problems=1
fi
if [ "$problems" != 0 ]; then
    echo "bench: PROBLEMS (see errors/connects above); wrk output:" >&2
    for n in me nginx healthz login; do grep -E 'Non-2xx|Socket errors' "$D/$n.wrk" | sed "s/^/  $n: /" >&2 || true; done
    exit 1
fi

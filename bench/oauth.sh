#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire OAuth benchmark (bench/README.md): quired against oidc-provider (npm, the reference
# Node.js OpenID provider) on the same machine, in one run, over TLS on loopback only, with
# the same wrk settings, the same client credentials and the same certificate and key.
#   cc    POST token endpoint, grant_type=client_credentials, client_secret_basic
#         (quired /oauth/token; oidc-provider /token, JWT access tokens, ES256 on both sides)
#   me    authenticated GET with a user's access token
#         (quired /api/v1/me; oidc-provider's userinfo /me)
#   intro token introspection (RFC 7662) of a client-credentials access token, with client auth
#         (quired /oauth/introspect; oidc-provider /token/introspection)
# `make bench` runs this after bench/run.sh.
#
# Knobs (environment): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2),
# BENCH_WRK_THREADS (2), BENCH_OAUTH_CONNECTIONS (32), BENCH_QUIRED_THREADS (2),
# BENCH_KEEP=1 keeps the temporary directory (logs) for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-2}
WT=${BENCH_WRK_THREADS:-2}
WC=${BENCH_OAUTH_CONNECTIONS:-32}
QT=${BENCH_QUIRED_THREADS:-2}
NCPU=$(nproc)

die() { echo "bench/oauth: $*" >&2; exit 1; }

# --- dependencies ---------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v ss >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (apt-get install them)"
    echo "bench/oauth: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        >/dev/null
fi
command -v node >/dev/null || die "node missing (Node.js >= 20.19 for oidc-provider 9)"
if [ ! -f "$ROOT/node_modules/oidc-provider/package.json" ]; then
    echo "bench/oauth: installing the npm devDependencies (npm ci)"
    (cd "$ROOT" && timeout 300 npm ci --no-audit --no-fund >/dev/null) || die "npm ci failed"
fi
OIDC_VERSION=$(jq -r .version "$ROOT/node_modules/oidc-provider/package.json")
if [ ! -x "$BIN/quired" ] || [ ! -x "$BIN/quire" ]; then die "$BIN/quired missing: run make first"; fi

# --- temp dir, cleanup (bench/lib.sh) ---------------------------------------------------------
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-bench-oauth
PEER_SIG=TERM

QPORT=${BENCH_QUIRED_PORT:-$(free_port)}
OPORT=${BENCH_OIDC_PORT:-$(free_port)}
[ "$QPORT" != "$OPORT" ] || OPORT=$((QPORT + 1))

# --- quired ---------------------------------------------------------------------------------
bench_start_quired "$OPORT"
O=https://localhost:$OPORT

AT=$("${C[@]}" -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$Q/api/v1/auth/login" |
     jq -er .access_token) || die "login failed"
CLIENT=$("${C[@]}" -f -H "Authorization: Bearer $AT" -H 'Content-Type: application/json' \
    -d '{"name":"bench"}' "$Q/api/v1/orgs/$ORG/clients") || die "creating the API client failed"
CID=$(jq -er .client_id <<<"$CLIENT") || die "no client_id in $CLIENT"
CSEC=$(jq -er .client_secret <<<"$CLIENT") || die "no client_secret in the answer"
# Both servers get the very same client id and secret (32 hex digits, 43 base64url
# characters: nothing to percent-encode), so the token requests are byte for byte the same.
BASIC="Authorization: Basic $(printf '%s:%s' "$CID" "$CSEC" | base64 -w0)"
CC_BODY=grant_type=client_credentials

# --- oidc-provider: one node process, same certificate and key -----------------------------
OIDC_BENCH_PORT=$OPORT OIDC_BENCH_CERT=$CERT OIDC_BENCH_KEY=$KEY OIDC_BENCH_CLIENT_ID=$CID \
OIDC_BENCH_CLIENT_SECRET=$CSEC NODE_ENV=production \
    node "$HERE/oidc-provider.mjs" >"$D/oidc.out" 2>"$D/oidc.err" &
OPID=$!
PEER_PID=$OPID
up=0
for _ in $(seq 300); do
    kill -0 "$OPID" 2>/dev/null || break
    grep -q '"ready":true' "$D/oidc.out" 2>/dev/null && { up=1; break; }
    sleep 0.05
done
[ $up = 1 ] || { tail -20 "$D/oidc.err" >&2; die "oidc-provider did not come up"; }
UT=$(head -1 "$D/oidc.out" | jq -er .userinfo_token) || die "no userinfo token from oidc-provider"
NODE_VERSION=$(head -1 "$D/oidc.out" | jq -r .node)

# --- sanity: both grants work and give ES256 at+jwt tokens; both verifications answer -------
cc() { "${C[@]}" -f -H "$BASIC" -d "$CC_BODY" "$@"; }
jwt_hdr() { # token on stdin: its JOSE header's alg and typ
    local h
    h=$(cut -d. -f1 | tr '_-' '/+')
    while [ $((${#h} % 4)) -ne 0 ]; do h+="="; done
    base64 -d <<<"$h" 2>/dev/null | jq -c '{alg, typ}' 2>/dev/null || true
}
QCC=$(cc "$Q/oauth/token") || die "quired client_credentials grant failed"
OCC=$(cc "$O/token") || die "oidc-provider client_credentials grant failed"
QTOK=$(jq -er .access_token <<<"$QCC")
QHDR=$(jwt_hdr <<<"$QTOK")
OHDR=$(jq -er .access_token <<<"$OCC" | jwt_hdr)
[ "$QHDR" = '{"alg":"ES256","typ":"at+jwt"}' ] || die "quired token header: $QHDR"
[ "$OHDR" = '{"alg":"ES256","typ":"at+jwt"}' ] || die "oidc-provider token header: $OHDR"
# oidc-provider does not store (so cannot introspect) its JWT access tokens: ask it for an
# opaque one (a second resource indicator) to introspect.
OTOK=$(cc -d resource=urn:quire:bench:opaque "$O/token" | jq -er .access_token) ||
    die "oidc-provider opaque token failed"
QI_BODY="token=$QTOK&token_type_hint=access_token"
OI_BODY="token=$OTOK&token_type_hint=access_token"
QI=$("${C[@]}" -f -H "$BASIC" -d "$QI_BODY" "$Q/oauth/introspect" | jq -c .active)
OI=$("${C[@]}" -f -H "$BASIC" -d "$OI_BODY" "$O/token/introspection" | jq -c .active)
if [ "$QI" != true ] || [ "$OI" != true ]; then
    die "introspection not active (quired $QI, oidc-provider $OI)"
fi
AUTH_Q="Authorization: Bearer $AT"
AUTH_O="Authorization: Bearer $UT"
"${C[@]}" -f -o /dev/null -H "$AUTH_Q" "$Q/api/v1/me" || die "quired GET /api/v1/me failed"
"${C[@]}" -f -o /dev/null -H "$AUTH_O" "$O/me" || die "oidc-provider userinfo failed"

reuse() { # connects per request for two requests in one curl (1 0 = keep-alive honoured)
    "${C[@]}" -o /dev/null -o /dev/null -w '%{num_connects} ' "$@" | sed 's/ $//'
}
size_of() { "${C[@]}" -o /dev/null -w '%{size_header}+%{size_download}' "$@"; }
KA_QCC=$(reuse -H "$BASIC" -d "$CC_BODY" "$Q/oauth/token" "$Q/oauth/token")
KA_OCC=$(reuse -H "$BASIC" -d "$CC_BODY" "$O/token" "$O/token")
KA_QME=$(reuse -H "$AUTH_Q" "$Q/api/v1/me" "$Q/api/v1/me")
KA_OME=$(reuse -H "$AUTH_O" "$O/me" "$O/me")
KA_QI=$(reuse -H "$BASIC" -d "$QI_BODY" "$Q/oauth/introspect" "$Q/oauth/introspect")
KA_OI=$(reuse -H "$BASIC" -d "$OI_BODY" "$O/token/introspection" "$O/token/introspection")
SZ_QCC=$(size_of -H "$BASIC" -d "$CC_BODY" "$Q/oauth/token")
SZ_OCC=$(size_of -H "$BASIC" -d "$CC_BODY" "$O/token")
SZ_QME=$(size_of -H "$AUTH_Q" "$Q/api/v1/me")
SZ_OME=$(size_of -H "$AUTH_O" "$O/me")
SZ_QI=$(size_of -H "$BASIC" -d "$QI_BODY" "$Q/oauth/introspect")
SZ_OI=$(size_of -H "$BASIC" -d "$OI_BODY" "$O/token/introspection")
tls_of() {
    timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
        awk '/^New, /{print $2 " " $NF; exit}'
}
TLS_Q=$(tls_of "$QPORT")
TLS_O=$(tls_of "$OPORT")

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
    echo "bench/oauth: WARNING: the machine is already ${BUSY0}% busy before the run;" \
        "figures will be low and noisy" >&2
fi

# CPU accounting in clock ticks: all CPUs (/proc/stat); each server (/proc/PID/stat, all
# threads); wrk (bash's `times`: CPU of waited-for children).
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
pid_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
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

# --- wrk runs --------------------------------------------------------------------------------
export QUIRE_BENCH_DIR=$HERE
tcp_opens() { awk '/^Tcp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
wrk_run() { # name server-pid script url [wrk args...]: leaves WRKSTAT in $D/name.stat
    local name=$1 spid=$2 script=$3 url=$4 tw0 tw1 c0 c1 q0 q1 o0 o1 s0 s1 k0 k1 other
    shift 4
    if [ "$WARM" -gt 0 ]; then
        timeout $((WARM + 30)) wrk -t"$WT" -c"$WC" -d"${WARM}s" -s "$HERE/$script" "$@" "$url" \
            >/dev/null 2>&1 || true
    fi
    tw0=$(tcp_opens)
    c0=$(cpu_ticks)
    q0=$(pid_ticks "$QPID")
    o0=$(pid_ticks "$OPID")
    s0=$(pid_ticks "$spid")
    child_ticks >"$D/k0"
    timeout $((DUR + 60)) wrk -t"$WT" -c"$WC" -d"${DUR}s" --latency -s "$HERE/$script" "$@" "$url" \
        >"$D/$name.wrk" 2>&1 || { cat "$D/$name.wrk" >&2; die "wrk $name failed"; }
    child_ticks >"$D/k1"
    s1=$(pid_ticks "$spid")
    o1=$(pid_ticks "$OPID")
    q1=$(pid_ticks "$QPID")
    c1=$(cpu_ticks)
    tw1=$(tcp_opens)
    k0=$(cat "$D/k0")
    k1=$(cat "$D/k1")
    other=$(other_pct "$c0" "$c1" $((q1 - q0 + o1 - o0 + k1 - k0)))
    # cores = the measured server's CPU time / wall time (quired has QUIRE_THREADS threads,
    # node runs JavaScript on one).
    grep '^WRKSTAT' "$D/$name.wrk" | sed "s/\$/ connects=$((tw1 - tw0)) other=$other/" |
        awk -v t=$((s1 - s0)) -v hz="$HZ" '{ split($3, d, "="); printf "%s cores=%.2f\n", $0,
            (d[2] > 0 ? t / hz / (d[2] / 1e6) : 0) }' >"$D/$name.stat"
    kill -0 "$QPID" 2>/dev/null || { tail -20 "$D/quired.err" >&2; die "quired died during $name"; }
    kill -0 "$OPID" 2>/dev/null || { tail -20 "$D/oidc.err" >&2; die "oidc-provider died during $name"; }
}
echo "bench/oauth: quired :$QPORT, oidc-provider :$OPORT, wrk -t$WT -c$WC -d${DUR}s," \
    "loadavg $LOAD0" >&2
# wrk does not verify certificates; it gets the literal loopback address so it never tries ::1.
WQ=https://127.0.0.1:$QPORT
WO=https://127.0.0.1:$OPORT
export QUIRE_BENCH_FORM_BODY=$CC_BODY
wrk_run q_cc "$QPID" form.lua "$WQ/oauth/token" -H "$BASIC"
wrk_run o_cc "$OPID" form.lua "$WO/token" -H "$BASIC"
wrk_run q_me "$QPID" stats.lua "$WQ/api/v1/me" -H "$AUTH_Q"
wrk_run o_me "$OPID" stats.lua "$WO/me" -H "$AUTH_O"
export QUIRE_BENCH_FORM_BODY=$QI_BODY
wrk_run q_in "$QPID" form.lua "$WQ/oauth/introspect" -H "$BASIC"
export QUIRE_BENCH_FORM_BODY=$OI_BODY
wrk_run o_in "$OPID" form.lua "$WO/token/introspection" -H "$BASIC"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ---------------------------------------------------------------------------------
sv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$D/$1.stat"; }
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
problems=0
noisy=0
FMT='%-40s %9s %8s %8s %7s %8s %6s %6s\n'
row() { # name label
    local n=$1 errs
    errs=$(($(sv "$n" err_status) + $(sv "$n" err_connect) + $(sv "$n" err_read) +
            $(sv "$n" err_write) + $(sv "$n" err_timeout)))
    [ "$errs" -eq 0 ] || problems=1
    [ "$(sv "$n" other)" -le 10 ] || noisy=1
    # shellcheck disable=SC2059
    printf "$FMT" "$2" "$(sv "$n" rps)" "$(ms "$(sv "$n" p50_us)")" "$(ms "$(sv "$n" p99_us)")" \
        "$errs" "$(sv "$n" connects)" "$(sv "$n" cores)" "$(sv "$n" other)%"
}
ratios() { # quired-name oidc-name label
    local rq ro
    rq=$(sv "$1" rps)
    ro=$(sv "$2" rps)
    printf '  %-14s req/s %5sx   p50 %5sx   p99 %5sx   req/s per server core %5sx\n' "$3" \
        "$(ratio "$rq" "$ro")" "$(ratio "$(sv "$1" p50_us)" "$(sv "$2" p50_us)")" \
        "$(ratio "$(sv "$1" p99_us)" "$(sv "$2" p99_us)")" \
        "$(ratio "$(awk -v r="$rq" -v c="$(sv "$1" cores)" 'BEGIN{print (c > 0 ? r / c : 0)}')" \
                 "$(awk -v r="$ro" -v c="$(sv "$2" cores)" 'BEGIN{print (c > 0 ? r / c : 0)}')")"
}

echo
echo "quire OAuth bench  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$NCPU" \
    "cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\""
echo "quired QUIRE_THREADS=$QT, $TLS_Q; oidc-provider $OIDC_VERSION on node $NODE_VERSION" \
    "(one process), $TLS_O; wrk -t$WT -c$WC -d${DUR}s"
echo "access tokens: quired JWT $QHDR; oidc-provider JWT $OHDR for the grant, opaque for introspection"
echo "response bytes (headers+body): token $SZ_QCC vs $SZ_OCC, /me $SZ_QME vs $SZ_OME," \
    "introspect $SZ_QI vs $SZ_OI"
echo "connects for 2 requests: token $KA_QCC / $KA_OCC, /me $KA_QME / $KA_OME," \
    "introspect $KA_QI / $KA_OI"
echo
# shellcheck disable=SC2059
printf "$FMT" "" "req/s" "p50 ms" "p99 ms" "errors" "connects" "cores" "other"
row q_cc "quired  POST /oauth/token (cc)"
row o_cc "oidc-pr POST /token (cc)"
row q_me "quired  GET /api/v1/me"
row o_me "oidc-pr GET /me (userinfo)"
row q_in "quired  POST /oauth/introspect"
row o_in "oidc-pr POST /token/introspection"
echo
echo "ratios quired / oidc-provider (same run; > 1 = quired does more req/s, or has higher latency):"
ratios q_cc o_cc "token (cc)"
ratios q_me o_me "me/userinfo"
ratios q_in o_in "introspection"
echo "other load: CPU ${BUSY0}% busy in the second before the runs;" \
    "loadavg (1/5/15 min) at start $LOAD0, at end $LOAD_END"
echo "(errors = non-2xx/3xx + socket errors + timeouts counted by wrk; connects = TCP connects"
echo " on the machine during the run; cores = CPU time of the measured server / wall time;"
echo " other = CPU share taken by processes other than quired, node and wrk during the run)"
if [ "$noisy" != 0 ]; then
    echo "bench/oauth: WARNING: other processes took more than 10% of the CPUs during a run;" \
        "those figures are low and noisy: rerun on an idle machine" >&2
fi

if grep -qiE '"level":"(error|fatal)"' "$D/quired.err"; then
    echo "bench/oauth: quired logged errors:" >&2
    grep -iE '"level":"(error|fatal)"' "$D/quired.err" | tail -10 >&2
    problems=1
fi
if grep -q 'server_error' "$D/oidc.err"; then
    echo "bench/oauth: oidc-provider logged server errors:" >&2
    grep -A3 'server_error' "$D/oidc.err" | tail -10 >&2
    problems=1
fi
if [ "$problems" != 0 ]; then
    echo "bench/oauth: PROBLEMS (see errors above); wrk output:" >&2
    for n in q_cc o_cc q_me o_me q_in o_in; do
        grep -E 'Non-2xx|Socket errors' "$D/$n.wrk" | sed "s/^/  $n: /" >&2 || true
    done
    exit 1
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quire IPP benchmark (bench/README.md): IPP Print-Job requests per second at quired's IPP
# Everywhere queue, next to two peers in the same run, with the same client (bench/ippload.mjs),
# the same one-page PDF and the same concurrency, on loopback only:
#   quired         POST /ipp/print over HTTPS, as a customer user: Bearer access token, and
#                  HTTP Basic (one Argon2id, then the credential cache of issue 15 answers for
#                  5 minutes); the job is held in the encrypted spool after MuPDF has read its
#                  pages
#   cupsd          CUPS' scheduler with a private config, spool, log dir and port: a raw queue
#                  whose device is file:///dev/null; over plain HTTP (ipp://) and over HTTPS
#   ippeveprinter  CUPS' IPP Everywhere test printer, -c /bin/true; plain HTTP and HTTPS. It
#                  accepts one job at a time (server-error-busy while a job is active, by
#                  design): the client sends a job again after a busy answer and counts those
#                  answers apart
# `make bench` runs this after bench/pdf.sh.
#
# Knobs (environment): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2),
# BENCH_IPP_CONNECTIONS ("4 16": one round per value), BENCH_QUIRED_THREADS (2),
# BENCH_IPP_PEER_TLS (1: also measure both peers over HTTPS; 0: plain HTTP only),
# BENCH_IPP_BUSY_WAIT_MS (1: the pause before a job refused busy is sent again),
# BENCH_KEEP=1 keeps the temporary directory (logs, configurations, spools).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${QUIRE_BIN_DIR:-$ROOT/build}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-2}
CONNS=${BENCH_IPP_CONNECTIONS:-4 16}
QT=${BENCH_QUIRED_THREADS:-2}
PEER_TLS=${BENCH_IPP_PEER_TLS:-1}
BUSY_WAIT=${BENCH_IPP_BUSY_WAIT_MS:-1}
NCPU=$(nproc)
PATH=$PATH:/usr/sbin:/sbin

die() { echo "bench/ipp: $*" >&2; exit 1; }

# --- dependencies (not installed here: see bench/README.md) ----------------------------------
missing=()
for t in node jq curl ss cupsd ippeveprinter dbus-daemon; do
    command -v "$t" >/dev/null || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (Debian: nodejs jq curl iproute2" \
    "cups-daemon cups-ipp-utils dbus)"
if [ ! -x "$BIN/quired" ] || [ ! -x "$BIN/quire" ]; then die "$BIN/quired missing: run make first"; fi
CUPS_VERSION=$(dpkg-query -W -f '${Version}' cups-daemon 2>/dev/null || echo "?")
EVE_VERSION=$(dpkg-query -W -f '${Version}' cups-ipp-utils 2>/dev/null || echo "?")

# --- temp dir, cleanup (bench/lib.sh) ---------------------------------------------------------
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
bench_setup quire-bench-ipp

QPORT=$(free_port)
CPORT=$(free_port)
EPORT=$(free_port)
while [ "$CPORT" = "$QPORT" ]; do CPORT=$(free_port); done
while [ "$EPORT" = "$QPORT" ] || [ "$EPORT" = "$CPORT" ]; do EPORT=$(free_port); done

# --- the document: one A4 page of text, made in code (tests/e2e/lib/pdf.js) -------------------
timeout 30 node --input-type=module -e "
import { makePdf } from '$ROOT/tests/e2e/lib/pdf.js';
import fs from 'node:fs';
fs.writeFileSync('$D/doc.pdf', makePdf({ pages: 1, marker: 'quire ipp bench' }));" ||
    die "could not make the PDF"
DOC_BYTES=$(stat -c %s "$D/doc.pdf")

# --- quired, and a customer user (provider -> customer org -> customer_user) ----------------
bench_start_quired "$CPORT"
jpost() { # token path json: POST with a bearer token, prints the JSON answer, fails on HTTP errors
    "${C[@]}" -f -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$Q$2"
}
login() { # slug username password: prints an access token
    "${C[@]}" -f -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg o "$1" --arg u "$2" --arg p "$3" '{org: $o, username: $u, password: $p}')" \
        "$Q/api/v1/auth/login" | jq -er .access_token
}
RT=$(login root admin "$PW") || die "root login failed"
SFX=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
PROV=$(jpost "$RT" /api/v1/orgs "$(jq -cn --arg p "$ORG" --arg s "prov-$SFX" \
    '{parent_id: $p, type: "provider", name: "Bench provider", slug: $s, admin: {username: "padmin"}}')") ||
    die "creating the provider org failed"
bench_own_password "prov-$SFX" padmin "$(jq -r .admin.password <<<"$PROV")"
PT=$OWN_TOKEN
CUST=$(jpost "$PT" /api/v1/orgs "$(jq -cn --arg p "$(jq -r .id <<<"$PROV")" --arg s "cust-$SFX" \
    '{parent_id: $p, type: "customer", name: "Bench customer", slug: $s, admin: {username: "cadmin"}}')") ||
    die "creating the customer org failed"
SLUG=cust-$SFX
bench_own_password "$SLUG" cadmin "$(jq -r .admin.password <<<"$CUST")"
CT=$OWN_TOKEN
UPW="Bench-Ipp-7x!$SFX"
USER_JSON=$(jpost "$CT" "/api/v1/orgs/$(jq -r .id <<<"$CUST")/users" \
    "$(jq -cn --arg p "$UPW" '{username: "printer.user", role: "customer_user", password: $p}')") ||
    die "creating the customer user failed"
if [ "$(jq -r .active <<<"$USER_JSON")" = false ]; then
    "${C[@]}" -f -o /dev/null -X PATCH -H "Authorization: Bearer $CT" -H 'Content-Type: application/json' \
        -d '{"active": true}' "$Q/api/v1/users/$(jq -r .id <<<"$USER_JSON")" || die "activating the user failed"
fi
user_token() { login "$SLUG" printer.user "$UPW" || die "customer user login failed"; }
BASIC="Basic $(printf '%s\\%s:%s' "$SLUG" printer.user "$UPW" | base64 -w0)"

# --- cupsd: private ServerRoot, spool, logs and port; one raw queue to file:///dev/null -------
CD=$D/cups
mkdir -p "$CD/root/ssl" "$CD/spool/tmp" "$CD/log" "$CD/cache" "$CD/state"
cat >"$CD/cups-files.conf" <<EOF
ServerRoot $CD/root
RequestRoot $CD/spool
TempDir $CD/spool/tmp
CacheDir $CD/cache
StateDir $CD/state
AccessLog $CD/log/access_log
ErrorLog $CD/log/error_log
PageLog $CD/log/page_log
FileDevice Yes
EOF
cat >"$CD/cupsd.conf" <<EOF
Listen 127.0.0.1:$CPORT
Browsing No
LogLevel warn
MaxLogSize 0
MaxJobs 0
MaxJobsPerUser 0
MaxJobsPerPrinter 0
PreserveJobHistory No
PreserveJobFiles No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
cat >"$CD/root/printers.conf" <<EOF
<Printer bench>
Info bench
State Idle
Accepting Yes
Shared No
DeviceURI file:///dev/null
</Printer>
EOF
cupsd -f -c "$CD/cupsd.conf" -s "$CD/cups-files.conf" >"$CD/cupsd.out" 2>&1 &
CUPSD_PID=$!
bench_stop_later "$CUPSD_PID" TERM

# --- ippeveprinter with its private dbus-daemon (DESIGN.md 5) ---------------------------------
ED=$D/eve
mkdir -p "$ED/spool" "$ED/ssl"
dbus-daemon --session --address="unix:path=$ED/dbus.sock" --nofork --nopidfile \
    >"$ED/dbus.out" 2>&1 &
bench_stop_later $! TERM
for _ in $(seq 100); do [ -S "$ED/dbus.sock" ] && break; sleep 0.05; done
[ -S "$ED/dbus.sock" ] || die "dbus-daemon did not come up"
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$ED/dbus.sock" ippeveprinter -r off -n localhost -p "$EPORT" \
    -f application/pdf -d "$ED/spool" -K "$ED/ssl" -c /bin/true bench >"$ED/out" 2>&1 &
EVE_PID=$!
bench_stop_later "$EVE_PID" TERM

wait_http() { # pid url log: waits until url answers (any HTTP status)
    for _ in $(seq 200); do
        kill -0 "$1" 2>/dev/null || break
        curl -s -k --max-time 2 -o /dev/null "$2" && return 0
        sleep 0.05
    done
    tail -20 "$3" >&2
    die "nothing answers at $2"
}
wait_http "$CUPSD_PID" "http://127.0.0.1:$CPORT/" "$CD/log/error_log"
wait_http "$EVE_PID" "http://127.0.0.1:$EPORT/" "$ED/out"
# The first TLS connection makes each peer's self-signed key and certificate (RSA 2048); make
# them now, not during a measurement.
if [ "$PEER_TLS" = 1 ]; then
    wait_http "$CUPSD_PID" "https://127.0.0.1:$CPORT/" "$CD/log/error_log"
    wait_http "$EVE_PID" "https://127.0.0.1:$EPORT/" "$ED/out"
fi

# --- targets ----------------------------------------------------------------------------------
# name|label|url|printer-uri|pid|extra client arguments (the Authorization header is added in
# run_target for quired: a fresh access token for each Bearer run)
TARGETS=(
    "q_bearer|quired   HTTPS  Bearer|https://127.0.0.1:$QPORT/ipp/print|ipps://localhost:$QPORT/ipp/print|$QPID|--ca $CERT --servername localhost"
    "q_basic|quired   HTTPS  Basic (cached)|https://127.0.0.1:$QPORT/ipp/print|ipps://localhost:$QPORT/ipp/print|$QPID|--ca $CERT --servername localhost"
    "c_http|cupsd    HTTP   raw queue|http://127.0.0.1:$CPORT/printers/bench|ipp://127.0.0.1:$CPORT/printers/bench|$CUPSD_PID|"
    "e_http|ippeve   HTTP   -c /bin/true|http://127.0.0.1:$EPORT/ipp/print|ipp://localhost:$EPORT/ipp/print|$EVE_PID|--retry-busy --busy-wait $BUSY_WAIT"
)
if [ "$PEER_TLS" = 1 ]; then
    TARGETS+=(
        "c_https|cupsd    HTTPS  raw queue|https://127.0.0.1:$CPORT/printers/bench|ipps://127.0.0.1:$CPORT/printers/bench|$CUPSD_PID|--insecure"
        "e_https|ippeve   HTTPS  -c /bin/true|https://127.0.0.1:$EPORT/ipp/print|ipps://localhost:$EPORT/ipp/print|$EVE_PID|--insecure --retry-busy --busy-wait $BUSY_WAIT"
    )
fi
target() { # name field-number
    local t
    for t in "${TARGETS[@]}"; do
        [ "${t%%|*}" = "$1" ] && { cut -d'|' -f"$2" <<<"$t"; return 0; }
    done
    return 1
}

cupsd_backlog() { find "$CD/spool" -maxdepth 1 -name 'd*' | wc -l; }
drain_cupsd() { # waits (up to 600 s) until cupsd has printed every queued job; prints seconds
    local t0 n
    t0=$(date +%s.%N)
    while n=$(cupsd_backlog) && [ "$n" -gt 0 ] && [ $(($(date +%s) - ${t0%.*})) -lt 600 ]; do
        sleep 0.1
    done
    [ "$n" -eq 0 ] || die "cupsd still has $n jobs queued after 600 s"
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
alive() {
    kill -0 "$QPID" 2>/dev/null || { tail -20 "$D/quired.err" >&2; die "quired died"; }
    kill -0 "$CUPSD_PID" 2>/dev/null || { tail -20 "$CD/log/error_log" >&2; die "cupsd died"; }
    kill -0 "$EVE_PID" 2>/dev/null || { tail -20 "$ED/out" >&2; die "ippeveprinter died"; }
}

declare -A TOTAL=() # accepted jobs per server, every phase: what each server must account for
problems=0
run_target() { # name conns duration warmup: runs the client, leaves its IPPSTAT line in $D/name-conns.stat
    local name=$1 conns=$2 dur=$3 warm=$4 auth=() extra srv out rc=0
    extra=$(target "$name" 6)
    case $name in
        q_bearer) auth=(--auth "Bearer $(user_token)") ;;
        q_basic) auth=(--auth "$BASIC") ;;
    esac
    # shellcheck disable=SC2086 # extra: space-separated client arguments, split on purpose
    out=$(timeout $((dur + warm + 90)) node "$HERE/ippload.mjs" --name "$name" \
        --url "$(target "$name" 3)" --printer-uri "$(target "$name" 4)" --doc "$D/doc.pdf" \
        --conns "$conns" --duration "$dur" --warmup "$warm" --pids "$(target "$name" 5)" \
        "${auth[@]}" $extra 2>"$D/$name-$conns.err") || rc=$?
    grep '^IPPSTAT' <<<"$out" >"$D/$name-$conns.stat" || true
    if [ "$rc" != 0 ]; then
        problems=1
        echo "bench/ipp: $name with $conns connections: client exit $rc: $(cat "$D/$name-$conns.err")" >&2
        [ -s "$D/$name-$conns.stat" ] || die "no result from the client"
    fi
    srv=${name%%_*}
    TOTAL[$srv]=$((${TOTAL[$srv]:-0} + $(sed -n 's/.* total=\([0-9]*\).*/\1/p' "$D/$name-$conns.stat")))
    alive
}

# --- sanity: one short run against each target, all jobs accepted; quired holds them ---------
for t in "${TARGETS[@]}"; do
    run_target "${t%%|*}" 1 1 0
done
[ "$problems" = 0 ] || die "a sanity run failed (above)"
drain_cupsd >/dev/null
held=$("${C[@]}" -f -H "Authorization: Bearer $(user_token)" "$Q/api/v1/jobs" |
    jq '[.items[] | select(.status == "held" and .pages == 1)] | length')
[ "$held" -eq "$((TOTAL[q]))" ] ||
    die "quired holds $held one-page jobs for the user; the client had $((TOTAL[q])) accepted"

# --- other load on the machine (all servers idle now) -----------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_busy() { # percent of all CPUs busy over one second
    local a b
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN{split(a,x," "); split(b,y," "); bu=y[1]-x[1]; id=y[2]-x[2];
        t = bu + id; printf "%d", (t > 0 ? 100 * bu / t : 0)}'
}
BUSY0=$(cpu_busy)
if [ "$BUSY0" -gt 10 ]; then
    echo "bench/ipp: WARNING: the machine is already ${BUSY0}% busy before the run;" \
        "figures will be low and noisy" >&2
fi

# --- the runs -----------------------------------------------------------------------------------
echo "bench/ipp: quired :$QPORT, cupsd :$CPORT, ippeveprinter :$EPORT; connections $CONNS," \
    "${WARM} s warm-up + ${DUR} s each; loadavg $LOAD0" >&2
declare -A BACKLOG=() DRAIN=()
ORDER=(c_http c_https e_http e_https q_bearer q_basic)
for c in $CONNS; do
    for name in "${ORDER[@]}"; do
        target "$name" 1 >/dev/null || continue
        run_target "$name" "$c" "$DUR" "$WARM"
        if [ "${name%%_*}" = c ]; then
            # cupsd answers a Print-Job before it has "printed" the job: let the queue empty
            # before the next run, so that no run pays for another's work.
            BACKLOG[$name-$c]=$(cupsd_backlog)
            DRAIN[$name-$c]=$(drain_cupsd)
        fi
    done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- what the servers did with the jobs ---------------------------------------------------------
drain_cupsd >/dev/null
sleep 0.5 # ippeveprinter finishes its last job
JOBS_JSON=$D/jobs.json
"${C[@]}" --max-time 120 -f -H "Authorization: Bearer $(user_token)" -o "$JOBS_JSON" "$Q/api/v1/jobs" ||
    die "listing quired's jobs failed"
Q_JOBS=$(jq '.items | length' "$JOBS_JSON")
Q_HELD=$(jq '[.items[] | select(.status == "held" and .pages == 1)] | length' "$JOBS_JSON")
Q_BLOBS=$(find "$QUIRE_DATA_DIR/blobs" -type f ! -name '*.part' | wc -l)
Q_BLOB_BYTES=$(find "$QUIRE_DATA_DIR/blobs" -type f ! -name '*.part' -printf '%s\n' |
    awk '{ s += $1 } END { printf "%d", (NR ? s / NR : 0) }')
C_PRINTED=$(wc -l <"$CD/log/page_log" 2>/dev/null || echo 0)
E_DONE=$(grep -c 'Processing time was' "$ED/out" || true)
if [ "$Q_JOBS" -ne "${TOTAL[q]}" ] || [ "$Q_HELD" -ne "${TOTAL[q]}" ] || [ "$Q_BLOBS" -ne "${TOTAL[q]}" ]; then
    echo "bench/ipp: quired: client accepted ${TOTAL[q]}, listed $Q_JOBS, held one-page $Q_HELD, blobs $Q_BLOBS" >&2
    problems=1
fi
if [ "$C_PRINTED" -ne "${TOTAL[c]}" ]; then
    echo "bench/ipp: cupsd: client accepted ${TOTAL[c]}, page_log has $C_PRINTED" >&2
    problems=1
fi
if [ "$E_DONE" -ne "${TOTAL[e]}" ]; then
    echo "bench/ipp: ippeveprinter: client accepted ${TOTAL[e]}, processed $E_DONE" >&2
    problems=1
fi

# --- report -------------------------------------------------------------------------------------
sv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$D/$1.stat"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "n/a" }'; }
noisy=0
FMT='%-5s %-34s %9s %8s %8s %7s %7s %8s %6s %6s %6s\n'
row() { # name conns
    local s=$1-$2 errs
    errs=$(sv "$s" errors)
    [ "$errs" -eq 0 ] || problems=1
    [ "$(sv "$s" other)" -le 10 ] || noisy=1
    # shellcheck disable=SC2059 # FMT is the table's format
    printf "$FMT" "$2" "$(target "$1" 2)" "$(sv "$s" rps)" "$(sv "$s" p50_ms)" "$(sv "$s" p99_ms)" \
        "$errs" "$(sv "$s" busy)" "$(sv "$s" connects)" "$(sv "$s" server_cores)" \
        "$(sv "$s" client_cores)" "$(sv "$s" other)%"
}
tls_of() { [ -s "$D/$1.stat" ] && sv "$1" tls | tr ',' ' ' || echo "-"; }
first_c=${CONNS%% *}
echo
echo "quire bench ipp  $(date -u '+%Y-%m-%d %H:%M UTC')  nproc=$NCPU" \
    "cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\""
echo "Print-Job (IPP/2.0) of a $DOC_BYTES-byte one-page PDF, $(sv "q_bearer-$first_c" bytes)-byte request;" \
    "client bench/ippload.mjs on node $(node --version), one process, keep-alive; ${WARM} s warm-up, ${DUR} s measured"
echo "quired QUIRE_THREADS=$QT, $(tls_of "q_bearer-$first_c"); cupsd $CUPS_VERSION, raw queue," \
    "file:///dev/null$( [ "$PEER_TLS" = 1 ] && echo ", HTTPS $(tls_of "c_https-$first_c")");" \
    "ippeveprinter $EVE_VERSION -c /bin/true$( [ "$PEER_TLS" = 1 ] && echo ", HTTPS $(tls_of "e_https-$first_c")")"
echo
# shellcheck disable=SC2059
printf "$FMT" conns server jobs/s "p50 ms" "p99 ms" errors busy connects "srv" client other
# shellcheck disable=SC2059
printf "$FMT" "" "" "" "" "" "" "" "" cores cores ""
for c in $CONNS; do
    for name in q_bearer q_basic c_http c_https e_http e_https; do
        target "$name" 1 >/dev/null && row "$name" "$c"
    done
done
echo
echo "ratios quired / peer, jobs/s (same run; > 1 = quired accepts more jobs per second):"
peers=(c_http e_http)
[ "$PEER_TLS" = 1 ] && peers=(c_http c_https e_http e_https)
hdr="               "
for p in "${peers[@]}"; do hdr+=$(printf '%-18s' "$(target "$p" 2 | awk '{print $1 " " $2}')"); done
echo "  $hdr"
for c in $CONNS; do
    for q in q_bearer q_basic; do
        line=$(printf 'c=%-3s %-8s' "$c" "${q#q_}")
        for p in "${peers[@]}"; do
            line+=$(printf '%-18s' "$(ratio "$(sv "$q-$c" rps)" "$(sv "$p-$c" rps)")")
        done
        echo "  $line"
    done
    echo "  c=$c Bearer / Basic: $(ratio "$(sv "q_bearer-$c" rps)" "$(sv "q_basic-$c" rps)")" \
        "(what Basic costs over a token, with the credential cache)"
done
echo
echo "what the servers did with the jobs (all phases, warm-up and the sanity runs included):"
echo "  quired: ${TOTAL[q]} jobs accepted; $Q_HELD held in the spool with 1 page (GET /api/v1/jobs lists $Q_JOBS)," \
    "$Q_BLOBS encrypted blobs of $Q_BLOB_BYTES bytes on average"
echo "  cupsd: ${TOTAL[c]} jobs accepted; $C_PRINTED in page_log (completed to file:///dev/null, no filter" \
    "or backend process); still queued when a run ended, then drained:"
for c in $CONNS; do
    for name in c_http c_https; do
        [ -n "${BACKLOG[$name-$c]:-}" ] &&
            echo "      c=$c $(target "$name" 2 | awk '{print $2}'): ${BACKLOG[$name-$c]} jobs, ${DRAIN[$name-$c]} s"
    done
done
echo "  ippeveprinter: ${TOTAL[e]} jobs accepted, $E_DONE processed (/bin/true ran once per job);" \
    "server-error-busy answers in the measured windows: $(for c in $CONNS; do for n in e_http e_https; do
        [ -s "$D/$n-$c.stat" ] && printf 'c=%s %s %s; ' "$c" "${n#e_}" "$(sv "$n-$c" busy)"; done; done | sed 's/; $//')"
echo "other load: CPU ${BUSY0}% busy in the second before the runs;" \
    "loadavg (1/5/15 min) at start $LOAD0, at end $LOAD_END"
echo "(jobs/s = Print-Jobs answered successful-ok in the measured window; p50/p99 = from the first"
echo " attempt to that answer; errors = any other answer, socket errors and timeouts, busy apart;"
echo " connects = connections the client opened (= conns when keep-alive works); srv cores = the"
echo " server's CPU time, children included / wall time; client = the client's; other = the CPU"
echo " share of every other process)"
if [ "$noisy" != 0 ]; then
    echo "bench/ipp: WARNING: other processes took more than 10% of the CPUs during a run;" \
        "those figures are low and noisy: rerun on an idle machine" >&2
fi
if grep -qiE '"level":"(error|fatal)"' "$D/quired.err"; then
    echo "bench/ipp: quired logged errors:" >&2
    grep -iE '"level":"(error|fatal)"' "$D/quired.err" | tail -10 >&2
    problems=1
fi
if [ "$problems" != 0 ]; then
    echo "bench/ipp: PROBLEMS (above)" >&2
    exit 1
fi

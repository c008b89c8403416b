# SPDX-License-Identifier: Apache-2.0
# quire benchmarks: what bench/run.sh and bench/oauth.sh share. Sourced, not run.
# The caller sets BIN, QT (quired threads), die(), and PEER_PORT_VAR's port before
# bench_start_quired; it may set PEER_PID and PEER_SIG for the cleanup, and add more
# processes with bench_stop_later.

QPID=""
PEER_PID=""
PEER_SIG=TERM
STOP_LATER=() # "pid signal" pairs, stopped by the cleanup in reverse order, before the peer

stop_pid() { # pid signal: signal, wait up to 10 s, then SIGKILL
    local pid=$1 sig=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# Makes the temporary directory D (prefix $1) and stops everything on exit.
bench_setup() {
    D=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_stop_later() { # pid signal: the cleanup stops it (signal, then SIGKILL after 10 s)
    STOP_LATER+=("$1 $2")
}

bench_cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#STOP_LATER[@]} - 1; i >= 0; i--)); do
        # shellcheck disable=SC2086 # "pid signal", split on purpose
        stop_pid ${STOP_LATER[i]}
    done
    stop_pid "$PEER_PID" "$PEER_SIG"
    stop_pid "$QPID" TERM
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "bench: kept $D"
    else
        rm -rf "$D"
    fi
    exit $rc
}

free_port() { # a port no one listens on, in 20000..59999
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return 0; }
    done
    die "no free port"
}

# Bootstraps and starts quired on QPORT (SQLite in D, or BENCH_DATABASE), waits until it answers, and sets
# BOOT, PW, ORG, LOGIN_BODY, QPID, CERT, KEY, Q, CURL (curl resolving localhost for QPORT and
# the peer's port $1) and C (CURL with quired's certificate).
bench_start_quired() {
    local peer_port=$1 up=0
    export QUIRE_DATA_DIR=$D/quire QUIRE_PORT=$QPORT QUIRE_LISTEN=127.0.0.1 QUIRE_THREADS=$QT
    unset QUIRE_CONFIG QUIRE_DATABASE
    # A benchmark on PostgreSQL (bench/reports.sh) sets BENCH_DATABASE to its URL.
    [ -z "${BENCH_DATABASE:-}" ] || export QUIRE_DATABASE=$BENCH_DATABASE
    mkdir -p "$QUIRE_DATA_DIR"
    BOOT=$(timeout 60 "$BIN/quire" bootstrap --json 2>"$D/bootstrap.err") ||
        { cat "$D/bootstrap.err" >&2; die "quire bootstrap failed"; }
    PW=$(jq -r .password <<<"$BOOT")
    ORG=$(jq -r .org_id <<<"$BOOT")
    LOGIN_BODY=$(jq -cn --arg p "$PW" '{org:"root", username:"admin", password:$p}')
    "$BIN/quired" >"$D/quired.out" 2>"$D/quired.err" &
    QPID=$!
    CERT=$QUIRE_DATA_DIR/tls/cert.pem
    KEY=$QUIRE_DATA_DIR/tls/key.pem
    Q=https://localhost:$QPORT
    CURL=(curl -sS --max-time 10 --connect-to "localhost:$peer_port:127.0.0.1:$peer_port"
          --connect-to "localhost:$QPORT:127.0.0.1:$QPORT")
    for _ in $(seq 200); do
        kill -0 "$QPID" 2>/dev/null || break
        if [ -s "$CERT" ] && "${CURL[@]}" --cacert "$CERT" -o /dev/null "$Q/healthz" 2>/dev/null; then
            up=1
            break
        fi
        sleep 0.05
    done
    [ $up = 1 ] || { tail -20 "$D/quired.err" >&2; die "quired did not come up"; }
    C=("${CURL[@]}" --cacert "$CERT")
    # The bootstrap password is one-time: replace it, as an admin would, before anything else.
    bench_own_password root admin "$PW"
    PW=$OWN_PW
    LOGIN_BODY=$(jq -cn --arg p "$PW" '{org:"root", username:"admin", password:$p}')
}

# Signs slug/username in with a generated (one-time) password $3 and replaces it with one of
# its own, as the person would first. Sets OWN_PW (the new password) and OWN_TOKEN (an access
# token that then works fully).
bench_own_password() {
    OWN_PW="Bench-Own-7x!$RANDOM$RANDOM"
    OWN_TOKEN=$("${C[@]}" -f -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg o "$1" --arg u "$2" --arg p "$3" '{org: $o, username: $u, password: $p}')" \
        "$Q/api/v1/auth/login" | jq -er .access_token) || die "login of $1/$2 failed"
    "${C[@]}" -f -o /dev/null -H "Authorization: Bearer $OWN_TOKEN" -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg c "$3" --arg n "$OWN_PW" '{current_password: $c, new_password: $n}')" \
        "$Q/api/v1/me/password" || die "$1/$2 could not replace the one-time password"
}

# Starts nginx (one worker, quired's certificate and key, the same security headers) on NPORT,
# serving $D/nginx/www, with the server-block lines $1; waits until GET $2 answers. Sets N and
# PEER_PID. The caller sets NGINX and C (bench_start_quired) first.
bench_start_nginx() {
    local up=0
    mkdir -p "$D/nginx/www" "$D/nginx/tmp"
    NGINX_USER=""
    # The worker must read files in the 0700 temp dir: as root, let it stay root.
    [ "$(id -u)" = 0 ] && NGINX_USER="user root;"
    cat >"$D/nginx/nginx.conf" <<EOF
    $NGINX_USER
    worker_processes 1;
    daemon off;
    master_process on;
    pid $D/nginx/nginx.pid;
    error_log $D/nginx/error.log warn;
    events { worker_connections 1024; }
    http {
        access_log off;
        server_tokens off;
        sendfile on;
        tcp_nodelay on;
        keepalive_timeout 75s;
        keepalive_requests 1000000;   # quired (libmicrohttpd) has no per-connection request cap
        client_body_temp_path $D/nginx/tmp/body;
        proxy_temp_path $D/nginx/tmp/proxy;
        fastcgi_temp_path $D/nginx/tmp/fastcgi;
        uwsgi_temp_path $D/nginx/tmp/uwsgi;
        scgi_temp_path $D/nginx/tmp/scgi;
        types { }
        default_type application/json;
        server {
            listen 127.0.0.1:$NPORT ssl;
            server_name localhost;
            ssl_certificate $CERT;
            ssl_certificate_key $KEY;
            ssl_protocols TLSv1.2 TLSv1.3;
            root $D/nginx/www;
            # The same response headers quired sends, so both answers are about the same size.
            add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
            add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
            add_header X-Frame-Options DENY always;
            add_header X-Content-Type-Options nosniff always;
            add_header Referrer-Policy no-referrer always;
            add_header Cache-Control no-store always;
            $1
        }
    }
EOF
    "$NGINX" -t -q -p "$D/nginx" -e "$D/nginx/error.log" -c "$D/nginx/nginx.conf" ||
        die "nginx config test failed"
    "$NGINX" -p "$D/nginx" -e "$D/nginx/error.log" -c "$D/nginx/nginx.conf" &
    PEER_PID=$!
    N=https://localhost:$NPORT
    for _ in $(seq 100); do
        kill -0 "$PEER_PID" 2>/dev/null || break
        "${C[@]}" -f -o /dev/null "$N$2" 2>/dev/null && { up=1; break; }
        sleep 0.05
    done
    [ $up = 1 ] || { cat "$D/nginx/error.log" >&2; die "nginx did not come up"; }
}

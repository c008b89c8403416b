#!/usr/bin/env bash
# Private PostgreSQL 15 for tests.
#   scripts/pg.sh start DIR PORT   init (if needed) + start on 127.0.0.1:PORT, print the URL
#                                  (TLS only over TCP, SEC-1: the URL verifies the server's
#                                  certificate against DIR/ca.crt, made at init)
#   scripts/pg.sh stop DIR         stop it (fast shutdown)
# Runs as root (via runuser to postgres) or as a normal user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() {
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    [ $# -eq 3 ] || usage
    port=$3
    case "$port" in
    '' | *[!0-9]*) echo "pg.sh: bad port '$port'" >&2; exit 2 ;;
    esac
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        # postgres must be able to reach DIR through its parents (e.g. /tmp/x/y).
        p=$(dirname "$dir")
        while [ "$p" != / ]; do
            perm=$(stat -c %A "$p")
            if [ "${perm:9:1}" != x ] && [ "${perm:9:1}" != t ]; then
                chmod o+x "$p"
            fi
            p=$(dirname "$p")
        done
    fi
    data="$dir/data"
    sock="$dir/sock"
    if [ ! -f "$data/PG_VERSION" ]; then
        echo "pg.sh: initdb $data" >&2
        as_pg mkdir -p "$data" "$sock"
        as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust \
            --locale=C --encoding=UTF8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
        as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
CONF
        # A private CA and a server certificate for 127.0.0.1 (SEC-1: clients verify it)
        tls="$dir/tls"
        mkdir -p "$tls"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -subj "/CN=quire test PostgreSQL CA" -keyout "$tls/ca.key" -out "$dir/ca.crt" \
            >/dev/null 2>&1
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=127.0.0.1" -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/ext.cnf"
        openssl x509 -req -in "$tls/server.csr" -CA "$dir/ca.crt" -CAkey "$tls/ca.key" \
            -CAcreateserial -days 3650 -extfile "$tls/ext.cnf" -out "$tls/server.crt" \
            >/dev/null 2>&1
        chmod 644 "$dir/ca.crt"
        install -m 600 "$tls/server.key" "$data/server.key"
        install -m 644 "$tls/server.crt" "$data/server.crt"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$data/server.key" "$data/server.crt"
        fi
        rm -rf "$tls"
        # Over TCP only TLS is accepted; the Unix socket (local) needs none
        as_pg tee "$data/pg_hba.conf" >/dev/null <<HBA
local    all all trust
hostssl  all all 127.0.0.1/32 trust
HBA
    fi
    as_pg mkdir -p "$sock"
    if as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        echo "pg.sh: already running in $data" >&2
    else
        echo "pg.sh: starting on 127.0.0.1:$port" >&2
        as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $port" -w -t 60 start >&2 || {
            tail -n 30 "$dir/postgres.log" >&2 || true
            exit 1
        }
    fi
    ok=0
    for _ in $(seq 1 100); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ "$ok" -ne 1 ]; then
        echo "pg.sh: server on port $port not ready" >&2
        tail -n 30 "$dir/postgres.log" >&2 || true
        exit 1
    fi
    echo "postgresql://postgres@127.0.0.1:$port/postgres?sslmode=verify-full&sslrootcert=$dir/ca.crt"
    ;;
stop)
    data="$dir/data"
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
    else
        echo "pg.sh: not running in $dir" >&2
    fi
    ;;
*)
    usage
    ;;
esac

#!/usr/bin/env bash
# Private WebDAV server (nginx's dav module over TLS) for the tests of the WebDAV connector.
#   scripts/webdav.sh start DIR PORT   make a self-signed certificate, a Basic-auth user and an
#                                      nginx config in DIR, start nginx on 127.0.0.1:PORT and
#                                      print one line of JSON:
#                                      {"url","username","password","ca_file","root"}
#   scripts/webdav.sh stop DIR         stop it (SIGTERM, then SIGKILL after 5 s)
# Everything (pid, logs, temp files, documents under DIR/www) stays inside DIR. Paths under
# /dav/ whose last segment begins with "x507-" or "x500-" answer a PUT with that status, so
# tests can see a full or broken server; /moved/ redirects to /dav/.
set -euo pipefail

NGINX=${NGINX:-/usr/sbin/nginx}
START_TIMEOUT_S=10
STOP_TIMEOUT_S=5

usage() {
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
}

die() {
    echo "webdav.sh: $*" >&2
    exit 1
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2

nginx_pid() { # prints the pid of the running nginx master of DIR, or nothing
    local pid
    [ -f "$dir/nginx.pid" ] || return 0
    pid=$(cat "$dir/nginx.pid" 2>/dev/null || true)
    case "$pid" in
    '' | *[!0-9]*) return 0 ;;
    esac
    if kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
    fi
}

case "$cmd" in
start)
    [ $# -eq 3 ] || usage
    port=$3
    case "$port" in
    '' | *[!0-9]*) die "bad port '$port': a number from 1 to 65535 is expected" ;;
    esac
    [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port '$port': 1 to 65535"
    [ -x "$NGINX" ] || die "$NGINX not found (Debian package nginx)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -z "$(nginx_pid)" ] || die "nginx already running for $dir"
    mkdir -p "$dir/www" "$dir/tmp"

    # A certificate for 127.0.0.1 and localhost, valid for two days.
    timeout 20 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >"$dir/openssl.log" 2>&1 ||
        die "openssl req failed: $(tail -n 5 "$dir/openssl.log")"

    # One Basic-auth user with a fresh random password.
    user=quire
    password=$(timeout 10 openssl rand -hex 12)
    hash=$(timeout 10 openssl passwd -apr1 "$password")
    printf '%s:%s\n' "$user" "$hash" >"$dir/htpasswd"
    chmod 600 "$dir/htpasswd" "$dir/key.pem"

    # As root, nginx's workers would run as nobody, who cannot enter DIR.
    user_line=""
    if [ "$(id -u)" -eq 0 ]; then
        user_line="user root;"
    fi
    cat >"$dir/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 128; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    map "\$request_method:\$uri" \$dav_fail {
        default 0;
        "~^PUT:/dav/(.*/)?x507-[^/]*\$" 507;
        "~^PUT:/dav/(.*/)?x500-[^/]*\$" 500;
    }
    server {
        listen 127.0.0.1:$port ssl;
        server_name localhost;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 0;
        location /moved/ {
            return 301 /dav/;
        }
        location /dav/ {
            alias $dir/www/;
            if (\$dav_fail = 507) { return 507; }
            if (\$dav_fail = 500) { return 500; }
            auth_basic "quire test";
            auth_basic_user_file $dir/htpasswd;
            dav_methods PUT DELETE MKCOL COPY MOVE;
            dav_access user:rw;
            create_full_put_path off;
        }
    }
}
CONF
    timeout "$START_TIMEOUT_S" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/nginx.out" 2>&1 || die "nginx did not start: $(tail -n 5 "$dir/nginx.out" \
        "$dir/error.log" 2>/dev/null)"

    # Up when the port accepts a TLS connection.
    ok=0
    for _ in $(seq 1 $((START_TIMEOUT_S * 10))); do
        if timeout 2 openssl s_client -connect "127.0.0.1:$port" -CAfile "$dir/cert.pem" \
            -verify_return_error </dev/null >/dev/null 2>&1; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ "$ok" -ne 1 ]; then
        pid=$(nginx_pid)
        [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
        die "nginx is not answering on 127.0.0.1:$port: $(tail -n 5 "$dir/error.log" 2>/dev/null)"
    fi
    printf '{"url":"https://127.0.0.1:%s/dav/","username":"%s","password":"%s","ca_file":"%s","root":"%s"}\n' \
        "$port" "$user" "$password" "$dir/cert.pem" "$dir/www"
    ;;
stop)
    pid=$(nginx_pid)
    if [ -z "$pid" ]; then
        echo "webdav.sh: not running in $dir" >&2
        exit 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((STOP_TIMEOUT_S * 10))); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "webdav.sh: nginx $pid did not stop in ${STOP_TIMEOUT_S}s; killed" >&2
    ;;
*)
    usage
    ;;
esac

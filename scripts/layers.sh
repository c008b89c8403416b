#!/usr/bin/env bash
# The layer rule of docs/architecture.md, checked over every `#include "dir/file.h"` in src/:
# a module may include its own folder and the folders below it, never one above it.
#
#   core < crypto < store < tenancy < report < auth < device < print < scan < admin
#        < http < api < cmd
#
# http is the transport: it includes only core and crypto (and itself); the domain
# (tenancy .. admin) never includes http or api. client/ is the device client's own code: it
# includes only core and client. Prints each include that points up and exits 1 if any does.
set -uo pipefail
cd "$(dirname "$0")/.."

rank() {
    case "$1" in
    core) echo 0 ;; crypto) echo 1 ;; store) echo 2 ;; tenancy) echo 3 ;; report) echo 4 ;;
    auth) echo 5 ;; device) echo 6 ;; print) echo 7 ;; scan) echo 8 ;; admin) echo 9 ;;
    http) echo 10 ;; api) echo 11 ;; cmd) echo 12 ;; client) echo 100 ;;
    *) echo -1 ;;
    esac
}

bad=0
while IFS=: read -r file line text; do
    from=$(echo "$file" | cut -d/ -f2)
    to=$(echo "$text" | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/')
    [ "$from" = "$to" ] && continue
    rf=$(rank "$from")
    rt=$(rank "$to")
    ok=1
    if [ "$rf" -lt 0 ] || [ "$rt" -lt 0 ]; then
        ok=0
    elif [ "$from" = client ]; then
        [ "$to" = core ] || ok=0
    elif [ "$from" = http ]; then
        [ "$to" = core ] || [ "$to" = crypto ] || ok=0
    elif [ "$to" = client ]; then
        [ "$from" = cmd ] || ok=0
    elif [ "$rt" -gt "$rf" ]; then
        ok=0
    elif [ "$rf" -le 9 ] && [ "$rt" -ge 10 ]; then
        ok=0
    fi
    if [ "$ok" -eq 0 ]; then
        echo "$file:$line: $from includes $to (${text#*#include })"
        bad=$((bad + 1))
    fi
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' src --include='*.[ch]')

if [ "$bad" -gt 0 ]; then
    echo "layers: $bad include(s) point up (docs/architecture.md, section Layers)"
    exit 1
fi
echo "layers: every include points down"

